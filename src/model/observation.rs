//! What one probe learned: every reply, the negotiated TLS, the chain as sent and the first
//! failure with its phase.

use std::net::SocketAddr;
use std::time::Duration;

use super::{Endpoint, LegacyTls, RequiredCheck, TlsMode};
use crate::smtp::{Capabilities, Reply, Transcript, Unsolicited};
use crate::tls::{HandshakeError, Negotiated, TrustResult};

/// The phases of a probe, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Opening the TCP connection.
    Connect,
    /// Waiting for the 220 greeting.
    Banner,
    /// EHLO (or HELO).
    Ehlo,
    /// The STARTTLS command.
    Starttls,
    /// The TLS handshake.
    Handshake,
    /// The SMTP session over TLS (EHLO again).
    TlsSession,
}

impl Phase {
    /// The phase as written in reports and JSON (`tls-session`).
    pub fn name(self) -> &'static str {
        match self {
            Phase::Connect => "connect",
            Phase::Banner => "banner",
            Phase::Ehlo => "ehlo",
            Phase::Starttls => "starttls",
            Phase::Handshake => "handshake",
            Phase::TlsSession => "tls-session",
        }
    }
}

/// What went wrong in a phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// The connection was actively refused (RST).
    Refused,
    /// Nothing happened before the deadline.
    Timeout,
    /// The peer closed the connection.
    Closed,
    /// No route, host unreachable and other socket errors.
    Unreachable,
    /// The peer sent something that is not SMTP.
    Protocol,
    /// A 4xx reply: try again later.
    TemporaryReply,
    /// A 5xx reply (or any unexpected reply).
    Rejected,
    /// The TLS handshake failed.
    Handshake,
    /// After the handshake, the server ended the TLS session with a fatal alert.
    TlsAlert,
    /// After the handshake, the TLS session broke (a record that fails its integrity check,
    /// a malformed or oversized record).
    TlsError,
    /// The server demands a client certificate (its alert `certificate_required`).
    ClientCertRequired,
}

/// A failure, with its phase.
#[derive(Debug, Clone)]
pub struct PhaseFailure {
    /// Where it happened.
    pub phase: Phase,
    /// What kind of failure.
    pub kind: FailureKind,
    /// In plain words, escaped.
    pub message: String,
    /// The reply that caused it, if it was a reply.
    pub reply: Option<Reply>,
    /// The run's overall deadline cut this step short.
    pub overall_deadline: bool,
}

/// Everything one probe learned.
#[derive(Debug, Clone)]
pub struct Observation {
    /// What was probed.
    pub endpoint: Endpoint,
    /// Our side of the connection (the source address a firewall or blocklist sees, before NAT).
    pub local_addr: Option<SocketAddr>,
    /// How long it took.
    pub duration: Duration,
    /// The name we sent in EHLO/HELO.
    pub ehlo_name: String,
    /// The SNI name sent in the handshake, if any.
    pub sni: Option<String>,
    /// The greeting.
    pub banner: Option<Reply>,
    /// The reply to EHLO (positive or not).
    pub ehlo: Option<Reply>,
    /// The reply to HELO, when EHLO was refused and HELO was tried.
    pub helo: Option<Reply>,
    /// The capabilities before TLS (from EHLO, or an empty set from HELO).
    pub capabilities: Option<Capabilities>,
    /// The reply to STARTTLS.
    pub starttls_reply: Option<Reply>,
    /// Bytes the server sent after its STARTTLS 220 and before the handshake.
    pub injected: Vec<u8>,
    /// What TLS negotiated.
    pub tls: Option<Negotiated>,
    /// Why the handshake failed.
    pub handshake_error: Option<HandshakeError>,
    /// The chain as sent, leaf first (recorded even when the handshake failed).
    pub chain: Vec<Vec<u8>>,
    /// The chain's trust check.
    pub trust: Option<TrustResult>,
    /// The EHLO reply over TLS.
    pub ehlo_tls: Option<Reply>,
    /// The first failure, if any; the probe stops there.
    pub failure: Option<PhaseFailure>,
    /// Everything sent and received.
    pub transcript: Transcript,
    /// What a hand-built TLS 1.0-1.2 hello learned after a failed handshake (`probe::legacy`).
    pub legacy_tls: Option<LegacyTls>,
    /// What `--check-required` learned on a connection of its own (`probe::required`).
    pub tls_required: Option<RequiredCheck>,
    /// What DNS blocklists said about the address the server saw us as (asked after the
    /// probe, by the engine), if they were asked.
    pub blocklist: Option<super::BlocklistCheck>,
    /// How long the greeting and the EHLO reply took.
    pub waits: Waits,
    /// The follow-up connection in the other TLS mode, when the first conversation failed.
    pub mode_check: Option<ModeCheck>,
    /// What the server sent that no complete reply holds: the unfinished reply of a failed
    /// step, bytes sent unasked, the first bytes of a handshake after STARTTLS.
    pub wire: Wire,
    /// The OCSP response the server stapled in its handshake (RFC 6066 §8, RFC 8446 §4.4.2.1),
    /// as sent; empty when it sent none.
    pub ocsp_staple: Vec<u8>,
    /// What the CRL and CA Issuers fetches learned (asked after the probe, by the engine),
    /// unless `--no-policy`.
    pub revocation: Option<super::revocation::RevocationObservation>,
    /// Client authentication in the main handshake: asked for, sent, accepted
    /// (`--client-cert`). `None` when no handshake got as far as the server's certificate.
    pub client_auth: Option<super::ClientAuth>,
}

/// The most bytes of an unfinished reply kept as evidence. A greeting or an EHLO reply cut
/// short fits in it many times over, and TLS records show their header in the first five; a
/// report must stay readable when a peer streams kilobytes of junk.
pub const RECEIVED_SO_FAR_CAP: usize = 512;

/// Bytes the server sent outside any complete reply, kept as evidence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wire {
    /// What had arrived of the reply the failed step was reading (a line with no line end,
    /// the lines of a reply never finished, the start of a line over the limit), raw, at most
    /// [`RECEIVED_SO_FAR_CAP`] bytes.
    pub received_so_far: Vec<u8>,
    /// How many bytes had arrived in all ([`Wire::received_so_far`] holds the first ones).
    pub received_total: usize,
    /// Replies and bytes that answered nothing the probe asked, in order.
    pub unsolicited: Vec<Unsolicited>,
    /// The handshake after the STARTTLS `220` read bytes that are not a TLS record (text,
    /// typically) before any TLS: injected plaintext when [`Observation::injected`] holds
    /// bytes, else an error reply answering our ClientHello (the server never switched).
    pub handshake_read_plaintext: bool,
}

impl Wire {
    /// Keeps the first [`RECEIVED_SO_FAR_CAP`] bytes of `bytes` as what the failed step had
    /// received.
    pub fn keep_received(&mut self, bytes: &[u8]) {
        self.received_total = bytes.len();
        self.received_so_far = bytes[..bytes.len().min(RECEIVED_SO_FAR_CAP)].to_vec();
    }
}

/// How long the server took to answer, beside how long the probe would have waited: a reply
/// that comes, but late, is a tarpit or a greet pause, not a dead server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Waits {
    /// `--timeout`: the longest any single step could take.
    pub step_timeout: Duration,
    /// From the start of the SMTP session to the complete greeting.
    pub banner: Option<Duration>,
    /// From sending EHLO to its complete reply.
    pub ehlo: Option<Duration>,
    /// The run's deadline came while the probe waited this long for its turn
    /// (`--concurrency`, one connection per address and port): it never started.
    pub never_started: Option<Duration>,
}

/// What a second connection learned about the mode of a port that failed in the mode asked
/// for: a silent port that completes a TLS handshake when spoken to first, or a port that
/// greets in plaintext when TLS was expected from the first byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeCheck {
    /// The mode tried on the second connection (the other one).
    pub tried: TlsMode,
    /// The port spoke it.
    pub speaks: bool,
    /// What was seen: the TLS version negotiated, the greeting (escaped), or why not.
    pub detail: String,
    /// The port answered the ClientHello in TLS, but the handshake failed (a server that
    /// speaks only TLS 1.0, say): the port's mode is known, its TLS is broken too.
    pub handshake_failed: bool,
}
