//! The SMTP side of a probe: a bounded reply reader, EHLO capability parsing, a session generic
//! over the stream, and the transcript of everything sent and received.
//!
//! # References
//! - RFC 5321 §4.2 (reply syntax), §4.5.3.1 (size limits), §4.1.1.1 (EHLO)
//! - RFC 3207 §4 (STARTTLS), §4.2 (forget what was learned before TLS)

pub mod capabilities;
pub mod reply;
pub mod session;
pub mod transcript;

pub use capabilities::Capabilities;
pub use reply::{Reply, ReplyError, is_over_limit, starts_like_tls_record};
pub use session::{Session, SessionError, Unsolicited, UnsolicitedHow, can_answer};
pub use transcript::{Direction, Transcript, escape, is_invisible};
