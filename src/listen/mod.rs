//! Receiver mode (`listen`): a minimal SMTP server that offers STARTTLS, records what each
//! sender offers and presents, and never accepts mail.
//!
//! # References
//! - RFC 5321 §4.1 (commands and replies), §4.5.3 (limits and timeouts)
//! - RFC 3207 (STARTTLS; §4.2 the state discarded after TLS, §5 pipelined commands)
//! - RFC 8446 §4.1.2 (ClientHello), §4.3.2 (CertificateRequest), §4.4.2 (client Certificate)

pub mod model;
