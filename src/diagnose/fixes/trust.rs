//! Fixes for a chain refused for a reason other than its issuer (a signature that does not
//! verify, a chain too long, a certificate badly encoded or dated before 1970), for a
//! handshake message too large, a TLS protocol violation, a server that demands a client
//! certificate, and a TLS session that breaks after the handshake.
//!
//! Each says what to change in words; the certificate itself is installed with the server
//! family's own commands (`fixes::install_certificate`), so no command here names a file.
//!
//! # References
//! - RFC 5280 §4.1.2.5 (validity dates), §4.2 (critical extensions), §4.2.1.9-10 (basic and
//!   name constraints), §6.1 (path validation)
//! - RFC 8446 §4 (handshake message lengths), §4.4.2.4 and RFC 5246 §7.4.6 (client
//!   certificates), §6.1 (close_notify)
//! - OpenSSL `SSL_CTX_set_max_cert_list(3)`: peers' certificate chains up to 100 kB by default;
//!   Go `crypto/tls` `maxHandshake` = 65536 (golang/go#35153); rustls `MAX_HANDSHAKE_SIZE`
//!   = 0xffff; Schannel: `MessageLimitClient` (KB 2541763) caps fragmented handshake messages

use crate::diagnose::fix::{Family, Fix};
use crate::tls::TrustFailure;

fn fix(template: &'static str, values: &[&str]) -> Fix {
    Fix::new(Family::Generic, template, values)
}

/// What to get instead, for a chain refused as `failure` (the `what` of
/// `fixes::install_certificate`); `None` for the kinds the issuer explains (the caller's
/// existing wording: a trusted CA, the missing intermediate).
pub fn replacement(failure: TrustFailure) -> Option<&'static str> {
    use TrustFailure as T;
    Some(match failure {
        T::BadSignature => {
            "A signature in the chain does not verify, so no client can trust it: a certificate was altered after it was signed (a corrupted or hand-edited file), or the certificate sent as its issuer is not the one that signed it. Download the certificate and its intermediates again from the CA and install them unchanged."
        }
        T::ChainTooLong => {
            "Send only the server's certificate and the intermediates between it and the root (usually one or two). Clients follow only a few intermediates: rustls/webpki at most 6, so a longer chain is refused even where each link is sound."
        }
        T::Malformed => {
            "Have the certificate re-issued: it is not encoded as X.509 requires, which clients refuse whatever its contents. Certificates from a public CA never are; check the tool or script that made it."
        }
        T::UnsupportedDate => {
            "Have the certificate re-issued with a notBefore date after 1970 (normally the issuing date): clients built on rustls/webpki cannot represent earlier dates and refuse the certificate."
        }
        T::UnsupportedAlgorithm => {
            "Have the certificate (and any intermediate so signed) re-issued with a SHA-256 signature (RSA with PKCS#1 v1.5 or PSS, or ECDSA) whose algorithm matches the issuer's key."
        }
        T::CriticalExtension => {
            "Have the certificate re-issued without the extension marked critical that clients do not understand (RFC 5280 §4.2: a client must refuse a certificate with a critical extension it does not know)."
        }
        T::WrongUsage => {
            "Install a server certificate issued for TLS servers: not a CA certificate, issued by a CA certificate (basicConstraints CA:TRUE) within its pathLenConstraint, with the serverAuth extended key usage."
        }
        T::NameConstraints => {
            "The CA that issued the certificate is not allowed to issue for the server's names (its name constraints exclude them): get the certificate from a CA allowed to, or have the constraints widened."
        }
        T::UnknownIssuer | T::NoCertificate | T::NoRoots | T::Other => return None,
    })
}

/// A handshake message over the size clients accept: the certificate chain, in practice.
pub fn oversized_handshake() -> Fix {
    fix("generic::oversized_handshake", &[]).say(
        "Make the certificate chain the server sends smaller than 64 KiB: split a certificate with thousands of names (subjectAltName) into several certificates, each for a group of names (a mail server needs only the names senders use: its MX host names), and send only the intermediates needed, never the root. \
         Clients limit it: rustls and Go refuse handshake messages over 64 KiB, OpenSSL refuses a certificate chain over 100 kB by default (SSL_CTX_set_max_cert_list), and Schannel (Exchange) caps fragmented handshake messages (MessageLimitClient). \
         If the server asks for client certificates, a request listing hundreds of CA names grows large too: list fewer.",
    )
}

/// The server broke the TLS protocol.
pub fn protocol_violation() -> Fix {
    fix("generic::protocol_violation", &[]).say(
        "The server answered in TLS but broke the protocol (the TLS library's message is in the evidence). Update the server's TLS library or MTA; if a TLS-inspecting firewall or load balancer sits in front of it, test from inside to tell which one does it, and update or bypass that box.",
    )
}

/// The server demands a client certificate.
pub fn client_cert_required() -> Fix {
    fix("generic::client_cert_required", &[]).say(
        "The server demands a client certificate from every sender, which public senders do not have: on a port that receives mail from the internet (25), make client certificates optional \
         (Postfix: smtpd_tls_req_ccert = no, and smtpd_tls_ask_ccert to ask without demanding) and authorise relays by certificate only where that is needed. \
         On a port meant for certificate-authenticated clients this is expected; to test it, run this tool again with --client-cert FILE (the certificate and key such a client uses).",
    )
}

/// The server asked for a client certificate and then refused or closed the handshake
/// without saying it demands one (no `certificate_required` alert): probably the
/// certificate, but a server that only asks has another reason.
pub fn client_cert_asked() -> Fix {
    fix("generic::client_cert_asked", &[]).say(
        "The server asked for a client certificate, and when none came it refused or closed the handshake. If it demands one from every sender (Postfix: smtpd_tls_req_ccert = yes), which public senders cannot meet, make client certificates optional on a port that receives mail from the internet (25): smtpd_tls_req_ccert = no, keeping smtpd_tls_ask_ccert = yes to ask without demanding. \
         If it already only asks (Postfix smtpd_tls_ask_ccert = yes with smtpd_tls_req_ccert = no, Exchange), the certificate is not the cause: read the server's TLS log for this connection (the alert is in the evidence), and if a TLS-inspecting firewall or load balancer sits in front of it, test from inside to tell which one breaks the handshake.",
    )
}

/// The TLS session broke after the handshake: an alert, a corrupt record, a cut connection.
pub fn session_broke() -> Fix {
    fix("generic::session_broke", &[]).say(
        "The TLS handshake completed, then the session broke (what happened is in the evidence). A record that fails its integrity check or a connection cut without close_notify points at a box in the path that rewrites or cuts the stream (a TLS-inspecting firewall, an SMTP proxy): test from inside to tell it from the server. An alert comes from the server's TLS library: its log for this connection says why.",
    )
}
