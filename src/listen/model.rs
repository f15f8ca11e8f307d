//! What the listener saw of each sender: the data the rules read and the report shows.
//!
//! Everything a sender sent is kept raw (bytes) or as already-escaped text made with
//! [`crate::smtp::escape`]: a sender is a stranger, and its EHLO name, envelope addresses and
//! SNI reach a terminal and a ticket only through the report layer's escaping.

use std::net::SocketAddr;
use std::time::Duration;

use time::OffsetDateTime;

use crate::smtp::Transcript;
use crate::tls::TrustResult;

/// One `listen` run: where it listened, with which certificate, and every session.
#[derive(Debug, Clone)]
pub struct ListenRun {
    /// The address bound.
    pub bound: SocketAddr,
    /// Bound to a non-loopback address (`--public`).
    pub public: bool,
    /// The certificate offered after STARTTLS.
    pub certificate: OurCertificate,
    /// `--expect-name`: the names the senders' certificates should carry.
    pub expect_names: Vec<String>,
    /// `--warn-days`: a sender's certificate with fewer days left is a WARN.
    pub warn_days: i64,
    /// When the listener started.
    pub started_at: OffsetDateTime,
    /// Why the run ended.
    pub ended: RunEnd,
    /// Every session, in the order they began.
    pub sessions: Vec<SenderSession>,
}

/// The receiver's own certificate.
#[derive(Debug, Clone)]
pub struct OurCertificate {
    /// Subject DN.
    pub subject: String,
    /// Its DNS names.
    pub dns_names: Vec<String>,
    /// SHA-256 of the DER, lowercase hex with colons (as the probe shows thumbprints).
    pub sha256: String,
    /// Made at start (self-signed) rather than given with `--cert`.
    pub generated: bool,
}

/// Why the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunEnd {
    /// `--once`: the first session ended.
    Once,
    /// `--duration` ran out.
    Duration,
    /// Ctrl-C or SIGTERM.
    Interrupted,
    /// `--max-sessions` sessions were served.
    MaxSessions,
}

/// One sender's connection, from accept to close.
#[derive(Debug, Clone)]
pub struct SenderSession {
    /// 1-based, in accept order.
    pub id: usize,
    /// The sender's address.
    pub peer: SocketAddr,
    /// Its reverse name.
    pub ptr: Ptr,
    /// When it connected.
    pub started_at: OffsetDateTime,
    /// From accept to close.
    pub duration: Duration,
    /// The first EHLO or HELO.
    pub greeting: Option<Greeting>,
    /// Whether it used STARTTLS.
    pub starttls: StarttlsUse,
    /// Bytes that followed the STARTTLS line in the same read, before our 220 (pipelined in
    /// clear text: discarded, never executed; RFC 3207 §4, CVE-2011-0411 seen from the server).
    pub pipelined_after_starttls: Vec<u8>,
    /// What its ClientHello offered, read from the record itself before rustls saw it.
    pub client_hello: Option<OfferedHello>,
    /// What was negotiated.
    pub tls: Option<NegotiatedIn>,
    /// Why the handshake failed, when it did.
    pub handshake_error: Option<ListenHandshakeError>,
    /// The certificate chain the sender presented (leaf first, DER), empty when none.
    pub client_chain: Vec<Vec<u8>>,
    /// The chain judged against our trust store for client authentication; `None` when no
    /// chain came.
    pub client_trust: Option<TrustResult>,
    /// The EHLO (or HELO) name sent after TLS, escaped; `None` when it sent none.
    pub greeting_after_tls: Option<Greeting>,
    /// `MAIL FROM` address as sent (escaped), when it got that far.
    pub mail_from: Option<String>,
    /// Every `RCPT TO` address (escaped), each refused.
    pub rcpt_to: Vec<String>,
    /// The refusal we gave (the 451/550 line), when one was given.
    pub refused_with: Option<String>,
    /// How the session ended.
    pub end: SessionEnd,
    /// The conversation (received bytes raw; escaped only when shown).
    pub transcript: Transcript,
}

/// A sender's reverse name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ptr {
    /// Not looked up: loopback peer, or `--no-ptr`.
    Skipped(&'static str),
    /// The PTR names (escaped), forward-confirmed or not.
    Names {
        /// The names.
        names: Vec<String>,
        /// A name's A/AAAA leads back to the peer (FCrDNS).
        forward_confirmed: bool,
    },
    /// NXDOMAIN or no PTR record.
    None,
    /// The lookup failed.
    Failed(String),
}

/// EHLO or HELO and the name given (escaped).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Greeting {
    /// `EHLO` or `HELO`.
    pub verb: &'static str,
    /// The name as sent, escaped.
    pub name: String,
}

/// Whether the sender used STARTTLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StarttlsUse {
    /// It never sent STARTTLS.
    NotUsed,
    /// It sent STARTTLS and the handshake completed.
    Used,
    /// It sent STARTTLS, but the handshake failed.
    HandshakeFailed,
}

/// What a ClientHello offered (RFC 8446 §4.1.2; RFC 5246 §7.4.1.2 for older ones).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OfferedHello {
    /// The record's and the hello's legacy_version (`0x0303` for TLS 1.2 and 1.3 hellos).
    pub legacy_version: u16,
    /// The `supported_versions` extension (TLS 1.3 hellos), in the sender's order.
    pub supported_versions: Vec<u16>,
    /// Cipher suites in the sender's order (GREASE values dropped).
    pub cipher_suites: Vec<u16>,
    /// The SNI host name (escaped), if sent.
    pub sni: Option<String>,
    /// ALPN protocols (escaped).
    pub alpn: Vec<String>,
    /// Supported groups (GREASE dropped).
    pub groups: Vec<u16>,
    /// Signature algorithms (GREASE dropped).
    pub signature_schemes: Vec<u16>,
    /// The hello could not be parsed completely; what was read is above.
    pub truncated: bool,
}

/// What was negotiated with the sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiatedIn {
    /// The protocol version.
    pub version: crate::tls::TlsVersion,
    /// The IANA cipher suite name.
    pub cipher_suite: String,
    /// The key exchange group.
    pub key_exchange: Option<String>,
}

/// A handshake with a sender that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenHandshakeError {
    /// The category.
    pub kind: ListenHandshakeFailure,
    /// In plain words.
    pub reason: String,
    /// The library's message.
    pub detail: String,
}

/// Why a sender's handshake failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ListenHandshakeFailure {
    /// The sender offered only versions before TLS 1.2.
    LegacyVersionsOnly,
    /// No cipher suite or group in common.
    NoSharedCipher,
    /// The sender sent an alert refusing our certificate (unknown_ca, bad_certificate,
    /// certificate_unknown...): it validates the receiver's certificate.
    RefusedOurCertificate,
    /// Another alert from the sender.
    Alert,
    /// The sender closed the connection during the handshake.
    Closed,
    /// It did not finish in time.
    Timeout,
    /// Not TLS after our 220.
    NotTls,
    /// Anything else.
    Other,
}

/// How a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEnd {
    /// It said QUIT.
    Quit,
    /// It closed the connection; `after` names the last step (`after RCPT refused`).
    Disconnected {
        /// The last step.
        after: String,
    },
    /// It went silent past the session timeout.
    Timeout {
        /// The last step.
        after: String,
    },
    /// It sent a line over the limit, or something not SMTP, and we closed.
    ProtocolError(String),
    /// A socket error.
    Error(String),
    /// The run ended (duration, Ctrl-C) while the session was open.
    RunEnded,
}

/// TLS versions by wire value, for reports: `0x0304` → `TLS 1.3`.
pub fn version_name(v: u16) -> String {
    match v {
        0x0300 => "SSL 3.0".into(),
        0x0301 => "TLS 1.0".into(),
        0x0302 => "TLS 1.1".into(),
        0x0303 => "TLS 1.2".into(),
        0x0304 => "TLS 1.3".into(),
        other => format!("0x{other:04x}"),
    }
}

impl OfferedHello {
    /// The versions offered, newest first: `supported_versions` when present (RFC 8446
    /// §4.2.1: then legacy_version is ignored), else the legacy_version alone. A hello
    /// without `supported_versions` names only its highest version (RFC 5246 §E.1): whether
    /// the sender would accept an older one is not in the hello, so nothing older is listed.
    pub fn versions(&self) -> Vec<u16> {
        let mut v: Vec<u16> = if self.supported_versions.is_empty() {
            vec![self.legacy_version]
        } else {
            self.supported_versions.clone()
        };
        v.sort_unstable_by(|a, b| b.cmp(a));
        v.dedup();
        v
    }

    /// The hello sent no `supported_versions`: [`Self::versions`] holds its one highest
    /// version, not a list of what it accepts.
    pub fn highest_only(&self) -> bool {
        self.supported_versions.is_empty()
    }

    /// The versions in words, newest first: `TLS 1.3, TLS 1.2`, or for a hello without
    /// `supported_versions` `up to TLS 1.0 (no supported_versions extension)`.
    pub fn versions_words(&self) -> String {
        let names: Vec<String> = self.versions().into_iter().map(version_name).collect();
        if self.highest_only() {
            format!(
                "up to {} (no supported_versions extension)",
                names.join(", ")
            )
        } else {
            names.join(", ")
        }
    }

    /// The newest version offered.
    pub fn best_version(&self) -> Option<u16> {
        self.versions().first().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_come_from_supported_versions_when_sent() {
        let h = OfferedHello {
            legacy_version: 0x0303,
            supported_versions: vec![0x0303, 0x0304],
            ..OfferedHello::default()
        };
        assert_eq!(h.versions(), [0x0304, 0x0303]);
        let old = OfferedHello {
            legacy_version: 0x0301,
            ..OfferedHello::default()
        };
        // `openssl s_client -tls1`: 03 01 and no supported_versions. OpenSSL 3 cannot speak
        // SSL 3.0, and the hello does not say it would: only TLS 1.0 is listed.
        assert_eq!(old.versions(), [0x0301]);
        assert!(old.highest_only());
        assert_eq!(
            old.versions_words(),
            "up to TLS 1.0 (no supported_versions extension)"
        );
        assert!(!h.highest_only());
        assert_eq!(h.versions_words(), "TLS 1.3, TLS 1.2");
        assert_eq!(version_name(0x0301), "TLS 1.0");
    }
}
