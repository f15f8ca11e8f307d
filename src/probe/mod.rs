//! One endpoint, one conversation: the only module that does network I/O.
//!
//! A failure in any phase is recorded in the [`Observation`] with its [`Phase`], and the
//! probe stops there; everything learned before it is kept (a failed handshake still yields
//! the certificate chain). The probe never sends RCPT or DATA, nor MAIL unless the user asks
//! with `--check-required` (then `MAIL FROM:<>` on a connection of its own: `required.rs`),
//! and says QUIT whenever the session is still in a state where that is possible. Follow-up
//! connections run after the main one, under the same one-connection-per-address rule:
//! `legacy.rs` (which TLS version a server speaks when the handshake failed on it) and
//! `required.rs`.
//!
//! # References
//! - RFC 5321 §3.1 (session initiation), §4.1.1.1 (EHLO/HELO), §4.1.4 (client name literal)
//! - RFC 3207 §4 (STARTTLS), §4.2 (EHLO again after TLS)
//! - RFC 8314 §3.3 (implicit TLS on port 465)

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::model::{
    ClientAuth, ClientCertOutcome, Endpoint, FailureKind, Observation, Phase, PhaseFailure,
    TlsMode, Waits,
};
use crate::smtp::{
    Capabilities, Direction, Reply, ReplyError, Session, SessionError, Transcript, escape,
    starts_like_tls_record,
};
use crate::target::Host;
use crate::tls::{self, HandshakeFailure, TrustStore};
use net::Tcp;

mod followup;
mod legacy;
mod mode;
mod net;
mod required;

/// What a probe needs to know.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    /// The EHLO name; `None` picks [`default_ehlo_name`].
    pub ehlo_name: Option<String>,
    /// This machine's host name, if it is a usable FQDN.
    pub local_hostname: Option<String>,
    /// The longest any single step may take.
    pub step_timeout: Duration,
    /// No step runs past this.
    pub deadline: Instant,
    /// Roots for the trust check.
    pub trust: TrustStore,
    /// The name to send as SNI when the target is an address (`--expect-name`).
    pub sni_fallback: Option<String>,
    /// `--check-required`: on a connection of its own, send `MAIL FROM:<>` without STARTTLS.
    pub check_required: bool,
    /// `--client-cert`: presented when a server asks for a certificate.
    pub client_cert: Option<std::sync::Arc<crate::tls::client_cert::ClientIdentity>>,
}

/// An RFC 5321 client name that never claims to be the target: this machine's FQDN when it
/// has one, else the address literal of our side of the connection (§4.1.4). Greeting a
/// server with its own name is refused by Exchange Online (`5.7.506 Bad HELO`).
pub fn default_ehlo_name(
    local: Option<SocketAddr>,
    hostname: Option<&str>,
    target: &Host,
) -> String {
    if let Some(h) = hostname {
        let h = h.trim_end_matches('.').to_ascii_lowercase();
        let usable = h.contains('.') && !h.ends_with(".localdomain") && !h.starts_with("localhost");
        if usable && target.name() != Some(h.as_str()) {
            return h;
        }
    }
    match local.map(|a| a.ip()) {
        Some(IpAddr::V4(ip)) => format!("[{ip}]"),
        Some(IpAddr::V6(ip)) => match ip.to_ipv4_mapped() {
            Some(v4) => format!("[{v4}]"),
            None => format!("[IPv6:{ip}]"),
        },
        None => "[127.0.0.1]".to_string(),
    }
}

struct Probe<'a> {
    cfg: &'a ProbeConfig,
    obs: Observation,
    /// The chain check of the main handshake, at the instant its certificates arrived, on
    /// a blocking thread beside the rest of the conversation ([`tls::HandshakeRecord`] says
    /// why): it may wait for the root store, or read the certificate directory.
    judging: Option<tokio::task::JoinHandle<tls::TrustResult>>,
    /// The first bytes the server sent in the last handshake (`tls::HandshakeRecord::heard`).
    heard: Vec<u8>,
}

/// The most bytes of the server's side of the handshake after STARTTLS kept as evidence. The
/// decision needs the first five (a record header); the rest is evidence, as much as a report
/// shows of injected text.
const HANDSHAKE_BYTES_KEPT: usize = 512;

/// The server's first bytes in a handshake are surely not TLS: three or more that do not
/// start a record header (an alert is a record too), or a first byte no record starts with.
/// Fewer bytes that could still begin a record decide nothing: the rest may be late.
/// Plaintext that answers our ClientHello rather than anything of the server's own: the
/// error reply of a server (or an SMTP-inspecting box) that read the hello as a command
/// (`500 5.5.1 Command unrecognized`, a `421`), or an HTTP error. Any other plaintext after
/// the `220` (a `250`, a banner, text) answers nothing we sent: the rule, and
/// CVE-2011-0411's, is that it is injected, whatever its timing.
fn answers_hello(first: &[u8]) -> bool {
    let smtp_error = first.len() >= 4
        && matches!(first[0], b'4' | b'5')
        && first[1..3].iter().all(u8::is_ascii_digit)
        && matches!(first[3], b' ' | b'-' | b'\r' | b'\n');
    smtp_error || first.starts_with(b"HTTP/")
}

fn not_tls(first: &[u8]) -> bool {
    match first {
        [] => false,
        [b, ..] if !(20..=24).contains(b) => true,
        [_] | [_, 3] => false,
        [_, _] => true,
        _ => !starts_like_tls_record(first),
    }
}

/// The most bytes of an unfinished line quoted in the message of a hang-up mid-line: the
/// message is one line of the report; the evidence holds more (`RECEIVED_SO_FAR_CAP`).
const CLOSED_MID_LINE_SHOWN: usize = 200;

/// The message of a step that timed out with `partial` bytes of a reply received.
fn unfinished_reply(waited: Duration, partial: &[u8]) -> String {
    format!(
        "no complete reply within {} ({} bytes received, {})",
        crate::text::seconds(waited),
        partial.len(),
        // Lines that ended were continuation lines (`220-`): the reply did not end.
        if partial.ends_with(b"\n") {
            "every line ended but the reply's last line never came"
        } else {
            "the last line never ended"
        }
    )
}

fn session_failure(phase: Phase, e: &SessionError) -> PhaseFailure {
    let (kind, message, overall) = match e {
        SessionError::Timeout {
            waited,
            overall,
            partial,
        } if partial.is_empty() => (
            FailureKind::Timeout,
            format!("no reply within {}", crate::text::seconds(*waited)),
            *overall,
        ),
        SessionError::Timeout {
            waited,
            overall,
            partial,
        } => (
            FailureKind::Timeout,
            unfinished_reply(*waited, partial),
            *overall,
        ),
        SessionError::Reply(ReplyError::Closed { partial }) if partial.is_empty() => (
            FailureKind::Closed,
            "the server closed the connection".to_string(),
            false,
        ),
        SessionError::Reply(ReplyError::Closed { partial }) => (
            FailureKind::Closed,
            format!(
                "the server closed the connection mid-line after \"{}\"{}",
                escape(&partial[..partial.len().min(CLOSED_MID_LINE_SHOWN)]),
                if partial.len() > CLOSED_MID_LINE_SHOWN {
                    format!(
                        " (the first {CLOSED_MID_LINE_SHOWN} of {} bytes)",
                        partial.len()
                    )
                } else {
                    String::new()
                }
            ),
            false,
        ),
        // Over TLS, an io error carries the TLS library's error: an alert, a record that
        // fails its integrity check, a close without close_notify. Only a plain socket error
        // is a matter of reachability.
        SessionError::Reply(ReplyError::Io(io)) | SessionError::Write(io) => {
            match (tls::session_error(io), io.kind()) {
                (Some((broke, message)), _) => {
                    let kind = match broke {
                        tls::SessionBreak::ClientCertRequired => FailureKind::ClientCertRequired,
                        tls::SessionBreak::Alert => FailureKind::TlsAlert,
                        tls::SessionBreak::Error => FailureKind::TlsError,
                        tls::SessionBreak::Closed => FailureKind::Closed,
                    };
                    (kind, message, false)
                }
                (None, std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe) => (
                    FailureKind::Closed,
                    format!("the connection was reset ({io})"),
                    false,
                ),
                (None, _) => (FailureKind::Unreachable, io.to_string(), false),
            }
        }
        SessionError::Reply(other) => (FailureKind::Protocol, other.to_string(), false),
    };
    PhaseFailure {
        phase,
        kind,
        message,
        reply: None,
        overall_deadline: overall,
    }
}

/// `the greeting's code is 299, not 220 (...): 299 mx.example ESMTP`.
fn wrong_code(phase: Phase, code: u16, reply: &Reply) -> String {
    let (what, due) = match phase {
        Phase::Banner => ("the greeting's code", "220 (or a 421/554 refusal)"),
        Phase::Starttls => ("the answer to STARTTLS", "220 (or a 4xx/5xx refusal)"),
        Phase::TlsSession => ("the answer to EHLO over TLS", "250 (or a 4xx/5xx refusal)"),
        _ => ("the answer to EHLO", "250 (or a 4xx/5xx refusal)"),
    };
    format!("{what} is {code}, not {due}: {}", reply.one_line())
}

/// A reply that ends the conversation: a 4xx is "later", a 5xx a refusal, and any other
/// code (a `299` or `199` greeting, a `250` to STARTTLS) is no refusal at all but a code that
/// cannot answer there (RFC 5321 §4.2.1, §4.3.2): a protocol error, said with the code.
fn reply_failure(phase: Phase, reply: &Reply) -> PhaseFailure {
    let (kind, message) = match reply.code {
        400..=499 => (FailureKind::TemporaryReply, reply.one_line()),
        500..=599 => (FailureKind::Rejected, reply.one_line()),
        code => (FailureKind::Protocol, wrong_code(phase, code, reply)),
    };
    PhaseFailure {
        phase,
        kind,
        message,
        reply: Some(reply.clone()),
        overall_deadline: false,
    }
}

impl Probe<'_> {
    fn budget(&self) -> Duration {
        self.cfg
            .step_timeout
            .min(self.cfg.deadline.saturating_duration_since(Instant::now()))
    }

    /// Records the failure, and an event in the transcript that is live at that moment (the
    /// session's while one owns it, else the observation's).
    fn fail(&mut self, live: Option<&mut Transcript>, f: PhaseFailure) {
        let event = format!("{} failed: {}", f.phase.name(), f.message);
        live.unwrap_or(&mut self.obs.transcript)
            .push(Direction::Event, event);
        self.obs.failure = Some(f);
    }

    /// Records a failed session step, with what the server had sent of the reply it was
    /// reading as evidence (kept even when time ran out: see `smtp::Pending`).
    fn fail_session<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        s: &mut Session<S>,
        phase: Phase,
        e: &SessionError,
    ) {
        let received = match e {
            SessionError::Timeout { partial, .. } => partial.clone(),
            SessionError::Reply(ReplyError::Malformed(raw)) => {
                let mut all = s.unfinished();
                if all.is_empty() {
                    all.clone_from(raw);
                }
                all
            }
            SessionError::Reply(_) => s.unfinished(),
            SessionError::Write(_) => Vec::new(),
        };
        if !received.is_empty() {
            self.obs.wire.keep_received(&received);
        }
        self.fail(Some(&mut s.transcript), session_failure(phase, e));
    }

    async fn connect(&mut self) -> Option<Tcp> {
        let addr = self.obs.endpoint.address;
        let budget = self.budget();
        let outcome = tokio::time::timeout(budget, Tcp::connect(addr)).await;
        let (kind, message) = match outcome {
            Ok(Ok(s)) => {
                self.obs.local_addr = s.local_addr().ok();
                let from = self
                    .obs
                    .local_addr
                    .map(|a| format!(" from {a}"))
                    .unwrap_or_default();
                self.obs
                    .transcript
                    .push(Direction::Event, format!("connected to {addr}{from}"));
                return Some(s);
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => (
                FailureKind::Refused,
                format!("connection to {addr} refused"),
            ),
            Ok(Err(e)) => (
                FailureKind::Unreachable,
                format!("cannot connect to {addr}: {e}"),
            ),
            Err(_) => (
                FailureKind::Timeout,
                format!(
                    "no answer from {addr} within {}",
                    crate::text::seconds(budget)
                ),
            ),
        };
        // Only a wait can be cut short: a refusal or a routing error is the answer itself,
        // however little time was left.
        let overall = kind == FailureKind::Timeout && budget < self.cfg.step_timeout;
        self.fail(
            None,
            PhaseFailure {
                phase: Phase::Connect,
                kind,
                message,
                reply: None,
                overall_deadline: overall,
            },
        );
        None
    }

    fn server_name(&mut self) -> ServerName<'static> {
        let name = self
            .obs
            .endpoint
            .host
            .name()
            .map(str::to_string)
            .or_else(|| self.cfg.sni_fallback.clone());
        match name.and_then(|n| ServerName::try_from(n.clone()).ok().map(|s| (n, s))) {
            Some((n, s)) => {
                self.obs.sni = Some(n);
                s
            }
            None => ServerName::IpAddress(self.obs.endpoint.address.ip().into()),
        }
    }

    /// Banner, then EHLO with a HELO fallback. Returns false when the session cannot go on.
    /// `since`: when the server could first have greeted (the connection, or the end of the
    /// handshake on an implicit-TLS port); the banner wait counts from there.
    async fn greet<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        s: &mut Session<S>,
        since: Instant,
    ) -> bool {
        let started = since;
        let banner = match s.read_reply().await {
            Ok(r) => r,
            Err(e) => {
                self.fail_session(s, Phase::Banner, &e);
                return false;
            }
        };
        self.obs.waits.banner = Some(started.elapsed());
        self.obs.banner = Some(banner.clone());
        if banner.code != 220 {
            self.fail(
                Some(&mut s.transcript),
                reply_failure(Phase::Banner, &banner),
            );
            return false;
        }
        let ehlo_name = self.obs.ehlo_name.clone();
        let ehlo = match s.command(&format!("EHLO {ehlo_name}")).await {
            Ok(r) => r,
            Err(e) => {
                self.fail_session(s, Phase::Ehlo, &e);
                return false;
            }
        };
        // The session's own wait for a real answer after a repeated greeting is not the
        // server's delay: only the time to the reply taken counts (smtp-tarpit).
        self.obs.waits.ehlo = s.answered_in();
        self.obs.ehlo = Some(ehlo.clone());
        if ehlo.is_positive() {
            self.obs.capabilities = Some(Capabilities::parse(&ehlo));
            return true;
        }
        // Only "command not recognised / not implemented" means the server (or a box in the
        // path) does not speak ESMTP (RFC 5321 §4.1.4 lets a client fall back to HELO then).
        // Anything else, e.g. 501 or 550, refuses *us* (our EHLO name) and HELO would hide it.
        if !matches!(ehlo.code, 500 | 502 | 504) {
            self.fail(Some(&mut s.transcript), reply_failure(Phase::Ehlo, &ehlo));
            return false;
        }
        match s.command(&format!("HELO {ehlo_name}")).await {
            Ok(helo) if helo.is_positive() => {
                self.obs.capabilities = Some(Capabilities::parse(&helo));
                self.obs.helo = Some(helo);
                true
            }
            Ok(helo) => {
                self.fail(Some(&mut s.transcript), reply_failure(Phase::Ehlo, &helo));
                self.obs.helo = Some(helo);
                false
            }
            Err(e) => {
                self.fail_session(s, Phase::Ehlo, &e);
                false
            }
        }
    }

    async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        stream: S,
    ) -> Option<tokio_rustls::client::TlsStream<S>> {
        let name = self.server_name();
        let budget = self.budget();
        let identity = self.cfg.client_cert.as_deref();
        let (outcome, record) =
            tls::handshake_as(stream, name, &self.cfg.trust, budget, identity).await;
        self.obs.client_auth = client_auth(&record, outcome.as_ref().map(|(_, n)| n.version));
        self.obs.chain = record.chain;
        self.obs.ocsp_staple = record.ocsp_staple;
        self.heard = record.heard;
        if let Some(at) = record.seen_at {
            let trust = self.cfg.trust.clone();
            let chain = self.obs.chain.clone();
            self.judging = Some(tokio::task::spawn_blocking(move || trust.check(&chain, at)));
        }
        match outcome {
            Ok((stream, negotiated)) => {
                self.obs.transcript.push(
                    Direction::Event,
                    format!(
                        "TLS established: {}, {}",
                        negotiated.version, negotiated.cipher_suite
                    ),
                );
                self.obs.tls = Some(negotiated);
                Some(stream)
            }
            Err(e) => {
                let overall = e.kind == HandshakeFailure::Timeout && budget < self.cfg.step_timeout;
                self.fail(
                    None,
                    PhaseFailure {
                        phase: Phase::Handshake,
                        kind: if e.kind == HandshakeFailure::Timeout {
                            FailureKind::Timeout
                        } else {
                            FailureKind::Handshake
                        },
                        message: e.reason.clone(),
                        reply: None,
                        overall_deadline: overall,
                    },
                );
                self.obs.handshake_error = Some(e);
                None
            }
        }
    }

    async fn run_starttls(&mut self, tcp: Tcp) {
        let since = tcp.connected_at();
        let mut s = self.session(tcp);
        if !self.greet(&mut s, since).await {
            return self.close(s).await;
        }
        if !self
            .obs
            .capabilities
            .as_ref()
            .is_some_and(Capabilities::starttls)
        {
            return self.close(s).await;
        }
        let reply = match s.command("STARTTLS").await {
            Ok(r) => r,
            Err(e) => {
                self.fail_session(&mut s, Phase::Starttls, &e);
                return self.close(s).await;
            }
        };
        self.obs.starttls_reply = Some(reply.clone());
        if reply.code != 220 {
            self.fail(
                Some(&mut s.transcript),
                reply_failure(Phase::Starttls, &reply),
            );
            return self.close(s).await;
        }
        let Some(tls) = self.upgrade(s).await else {
            return;
        };
        // RFC 3207 §4.2: forget everything learned before TLS and ask again.
        let mut s = self.session(tls);
        match s.command(&format!("EHLO {}", self.obs.ehlo_name)).await {
            Ok(r) => {
                if !r.is_positive() {
                    self.fail(
                        Some(&mut s.transcript),
                        reply_failure(Phase::TlsSession, &r),
                    );
                }
                self.obs.ehlo_tls = Some(r);
            }
            Err(e) => self.fail_session(&mut s, Phase::TlsSession, &e),
        }
        self.close(s).await;
    }

    /// After the STARTTLS `220`: the handshake, on a stream that records the server's first
    /// bytes. Plaintext already in the socket before our ClientHello (the same packet as the
    /// `220`, or right behind it) was sent before the server could have read the hello:
    /// injected (CVE-2011-0411 class). Plaintext the handshake reads after the hello went out
    /// is what the server (or a box in the path) said to it: it never switched to TLS.
    async fn upgrade(
        &mut self,
        mut s: Session<Tcp>,
    ) -> Option<tokio_rustls::client::TlsStream<Tcp>> {
        self.obs.wire.unsolicited.append(&mut s.unsolicited);
        let (tcp, mut leftover, transcript) = s.into_parts();
        self.obs.transcript = transcript;
        let mut pending = [0u8; 4096];
        while leftover.len() < 64 * 1024 {
            match tcp.try_read(&mut pending) {
                Ok(n) if n > 0 => leftover.extend_from_slice(&pending[..n]),
                _ => break,
            }
        }
        if !leftover.is_empty() {
            self.obs.transcript.push(
                Direction::Event,
                "bytes received after 220 and before the handshake",
            );
            self.obs
                .transcript
                .push(Direction::Received, leftover.clone());
            self.obs.injected = leftover;
        }
        let tls = self.handshake(tcp).await;
        let mut first = std::mem::take(&mut self.heard);
        first.truncate(HANDSHAKE_BYTES_KEPT);
        if tls.is_none() && not_tls(&first) {
            let event = if self.obs.injected.is_empty() && answers_hello(&first) {
                // Kept as what the failed step received: the rules quote it.
                self.obs.wire.keep_received(&first);
                "the server answered the TLS ClientHello with an error in plaintext: it did not start TLS after its 220"
            } else {
                // Whatever its timing: a server that switched to TLS sends a record, and one
                // that did not would answer our hello with an error, not with this.
                if self.obs.injected.is_empty() {
                    self.obs.injected = first.clone();
                }
                "the handshake read bytes that are not TLS after the 220: plaintext injected into the TLS negotiation"
            };
            self.obs.transcript.push(Direction::Event, event);
            self.obs.transcript.push(Direction::Received, first);
            self.obs.wire.handshake_read_plaintext = true;
        }
        tls
    }

    /// The conversation in the endpoint's mode, with `early` (see `mode.rs`) running beside
    /// it; the check's answer is kept only when the first connection ended in the silence
    /// it was made for.
    async fn run_beside(
        &mut self,
        tcp: Tcp,
        early: Option<(mode::Began, impl Future<Output = Option<mode::Checked>>)>,
    ) -> Option<mode::Checked> {
        let Some((began, early)) = early else {
            self.run(tcp).await;
            return None;
        };
        let heard = tcp.heard();
        let mut early = std::pin::pin!(early);
        let mut finished = None;
        {
            let mut main = std::pin::pin!(self.run(tcp));
            tokio::select! {
                biased;
                () = &mut main => {}
                checked = &mut early => {
                    finished = Some(checked);
                    main.await;
                }
            }
        }
        // The check was made for a first connection that never says a word and ends in a way
        // the other mode explains; anything else, and its answer is not this port's.
        if self.other_mode_in_doubt().is_some() && !heard.anything() {
            match finished {
                Some(checked) => return checked,
                // Under way: the first wait is over, so it ends within its own wait.
                None if began.at_ms().is_some() => return early.await,
                // Not begun (the first connection ended early): the check runs after it.
                None => return None,
            }
        }
        if let Some(ms) = began.at_ms() {
            self.obs.transcript.push(
                Direction::Event,
                format!(
                    "the second connection, begun at {ms} ms to look for the other TLS mode while the server was still silent, was closed and its answer dropped unused"
                ),
            );
        }
        None
    }

    async fn run(&mut self, tcp: Tcp) {
        match self.obs.endpoint.tls_mode {
            TlsMode::Starttls => self.run_starttls(tcp).await,
            TlsMode::Implicit => self.run_implicit(tcp).await,
        }
        self.settle_client_auth();
    }

    /// TLS 1.3: the server judges our certificate after its own Finished (RFC 8446
    /// §4.4.2.4), so the handshake completing says nothing; the first read over TLS does. An
    /// answer to EHLO over TLS (the greeting, on an implicit-TLS port) means it accepted
    /// ours; an alert on that read means it refused it; any other end leaves it unknown.
    ///
    /// Whatever the version, a refusal of that first command that names the certificate is
    /// the server refusing ours: Postfix with `smtpd_tls_req_ccert` completes the handshake
    /// (TLS 1.2 and 1.3 alike) and answers the EHLO after it `421 4.7.1 … Client certificate
    /// not trusted` (seen in the Postfix tier, tests/hybrid.rs).
    fn settle_client_auth(&mut self) {
        let Some(auth) = self.obs.client_auth.as_mut() else {
            return;
        };
        if self.obs.tls.is_none() {
            return;
        }
        let first = match self.obs.endpoint.tls_mode {
            TlsMode::Starttls => self.obs.ehlo_tls.as_ref(),
            TlsMode::Implicit => self.obs.banner.as_ref(),
        }
        .or_else(|| {
            self.obs
                .failure
                .as_ref()
                .filter(|f| {
                    f.phase >= Phase::TlsSession || self.obs.endpoint.tls_mode == TlsMode::Implicit
                })
                .and_then(|f| f.reply.as_ref())
        });
        if auth.presented
            && let Some(r) = first.filter(|r| !r.is_positive() && names_certificate(r))
        {
            auth.outcome = ClientCertOutcome::Refused;
            auth.detail = Some(r.one_line());
            return;
        }
        // Asked, none sent, and the first answer over TLS refuses the session naming the
        // certificate (Postfix's smtpd_tls_req_ccert: `421 4.7.1 … Error: No client
        // certificate presented`): the server demands one, not a broken proxy or MTA.
        let demanded = !auth.presented
            && auth.outcome == ClientCertOutcome::NoneSent
            && first.is_some_and(|r| !r.is_positive() && names_certificate(r));
        let implicit = self.obs.endpoint.tls_mode == TlsMode::Implicit;
        let over_tls = self
            .obs
            .failure
            .as_ref()
            .is_some_and(|f| f.phase >= Phase::TlsSession || implicit);
        if demanded && over_tls {
            if let Some(f) = self.obs.failure.as_mut() {
                f.kind = FailureKind::ClientCertRequired;
            }
            return;
        }
        if auth.outcome != ClientCertOutcome::Unknown {
            return;
        }
        let answered = first.is_some_and(Reply::is_positive);
        let failure = self.obs.failure.as_ref();
        if answered {
            auth.outcome = match self.obs.tls.as_ref().map(|t| t.version) {
                Some(tls::TlsVersion::Tls12) => ClientCertOutcome::Accepted,
                _ => ClientCertOutcome::AcceptedAfterEhlo,
            };
        } else if let Some(f) = failure.filter(|f| {
            matches!(
                f.kind,
                FailureKind::TlsAlert | FailureKind::ClientCertRequired
            )
        }) {
            auth.outcome = ClientCertOutcome::Refused;
            auth.detail = Some(f.message.clone());
        } else {
            auth.detail = Some(failure.map_or_else(
                || "the session ended before the server answered over TLS".to_string(),
                |f| f.message.clone(),
            ));
        }
    }

    async fn run_implicit(&mut self, tcp: Tcp) {
        let Some(tls) = self.handshake(tcp).await else {
            return;
        };
        let since = Instant::now();
        let mut s = self.session(tls);
        self.greet(&mut s, since).await;
        self.close(s).await;
    }

    /// A session over `stream` that takes over the transcript and the run's limits.
    fn session<S: AsyncRead + AsyncWrite + Unpin>(&mut self, stream: S) -> Session<S> {
        Session::new(
            stream,
            self.take_transcript(),
            self.cfg.step_timeout,
            self.cfg.deadline,
        )
    }

    fn take_transcript(&mut self) -> Transcript {
        std::mem::replace(&mut self.obs.transcript, Transcript::new(Instant::now()))
    }

    async fn close<S: AsyncRead + AsyncWrite + Unpin>(&mut self, s: Session<S>) {
        let closed_early = self.obs.failure.as_ref().is_some_and(|f| {
            matches!(
                f.kind,
                FailureKind::Closed
                    | FailureKind::Timeout
                    | FailureKind::Protocol
                    | FailureKind::TlsAlert
                    | FailureKind::TlsError
                    | FailureKind::ClientCertRequired
            )
        });
        if closed_early {
            // The session is dead or out of sync; a QUIT would only add a timeout.
            let mut s = s;
            self.obs.wire.unsolicited.append(&mut s.unsolicited);
            let (_, _, t) = s.into_parts();
            self.obs.transcript = t;
        } else {
            let (t, mut unsolicited) = s.finish().await;
            self.obs.transcript = t;
            self.obs.wire.unsolicited.append(&mut unsolicited);
        }
    }
}

/// A refusal whose text is about the client certificate (`Client certificate not trusted`,
/// `No client certificate presented`, Exchange's `Client certificate required`).
fn names_certificate(r: &Reply) -> bool {
    r.one_line().to_ascii_lowercase().contains("certificate")
}

/// What the handshake showed about client authentication, once it got as far as the
/// server's certificate (`None` before that: nothing was asked yet). `version`: the
/// negotiated version, or the handshake's failure.
fn client_auth(
    record: &tls::HandshakeRecord,
    version: Result<tls::TlsVersion, &tls::HandshakeError>,
) -> Option<ClientAuth> {
    record.seen_at?;
    let requested = record.client_cert_requested.is_some();
    let presented = record.client_cert_presented;
    let (outcome, detail) = match (requested, presented, version) {
        (false, _, _) => (ClientCertOutcome::NotRequested, None),
        (true, false, _) => (ClientCertOutcome::NoneSent, None),
        // Settled by the first answer over TLS (`settle_client_auth`): in TLS 1.3 the
        // server judges ours after its Finished (RFC 8446 §4.4.2.4); in TLS 1.2 it has read
        // it before its Finished (RFC 5246 §7.4.6, §7.4.8), but a server may still refuse
        // the session over it afterwards (Postfix's smtpd_tls_req_ccert: 421 to the EHLO).
        (true, true, Ok(_)) => (ClientCertOutcome::Unknown, None),
        (true, true, Err(e)) if e.reason.contains(tls::REFUSED_OURS) => {
            (ClientCertOutcome::Refused, Some(e.reason.clone()))
        }
        (true, true, Err(e)) => (ClientCertOutcome::Unknown, Some(e.reason.clone())),
    };
    Some(ClientAuth {
        requested,
        acceptable_ca_names: record.client_cert_requested.clone().unwrap_or_default(),
        presented,
        outcome,
        detail,
    })
}

/// An observation with nothing learned yet, its clock started at `started`.
fn fresh(endpoint: Endpoint, cfg: &ProbeConfig, started: Instant) -> Observation {
    Observation {
        endpoint,
        local_addr: None,
        duration: Duration::ZERO,
        ehlo_name: String::new(),
        sni: None,
        banner: None,
        ehlo: None,
        helo: None,
        capabilities: None,
        starttls_reply: None,
        injected: Vec::new(),
        tls: None,
        handshake_error: None,
        chain: Vec::new(),
        trust: None,
        ehlo_tls: None,
        failure: None,
        transcript: Transcript::new(started),
        legacy_tls: None,
        tls_required: None,
        blocklist: None,
        waits: Waits {
            step_timeout: cfg.step_timeout,
            ..Waits::default()
        },
        mode_check: None,
        wire: Default::default(),
        ocsp_staple: Vec::new(),
        revocation: None,
        client_auth: None,
    }
}

/// The least time a probe needs to say anything true about an endpoint: with less left
/// before the deadline it would only report a wait of no length ("no reply within 0.0s").
pub const LEAST_BUDGET: Duration = Duration::from_millis(50);

/// The observation of an endpoint whose turn (`--concurrency`, one connection per address
/// and port at a time) came after the run's deadline, or too close to it: never connected
/// to, and said so, instead of a connection that waited no time at all.
pub fn unstarted(endpoint: Endpoint, cfg: &ProbeConfig, waited: Duration) -> Observation {
    let mut obs = fresh(endpoint, cfg, Instant::now());
    let message = format!(
        "not started: the run's deadline (--deadline) came while it waited {} for its turn \
         (--concurrency; one connection per address and port at a time)",
        crate::text::seconds(waited)
    );
    obs.waits.never_started = Some(waited);
    obs.transcript.push(Direction::Event, message.clone());
    obs.failure = Some(PhaseFailure {
        phase: Phase::Connect,
        kind: FailureKind::Timeout,
        message,
        reply: None,
        overall_deadline: true,
    });
    obs
}

/// Probes one endpoint. Never fails: every problem is part of the observation.
pub async fn probe(endpoint: Endpoint, cfg: &ProbeConfig) -> Observation {
    let started = Instant::now();
    let obs = fresh(endpoint, cfg, started);
    let mut p = Probe {
        cfg,
        obs,
        judging: None,
        heard: Vec::new(),
    };
    if let Some(tcp) = p.connect().await {
        p.obs.ehlo_name = cfg.ehlo_name.clone().unwrap_or_else(|| {
            default_ehlo_name(
                p.obs.local_addr,
                cfg.local_hostname.as_deref(),
                &p.obs.endpoint.host,
            )
        });
        let early = p.early_check(tcp.heard());
        let early = p.run_beside(tcp, early).await;
        p.check_mode(early).await;
        if legacy::wanted(&p.obs) {
            legacy::run(cfg, &mut p.obs).await;
        }
        if required::wanted(cfg, &p.obs) {
            required::run(cfg, &mut p.obs).await;
        }
    }
    if let Some(judging) = p.judging.take() {
        // Within the run's deadline (the root store could hang on a dead mount); a panic in
        // the check is the probe's, as when the check ran inside the handshake.
        match tokio::time::timeout_at(cfg.deadline.into(), judging).await {
            Ok(Ok(trust)) => p.obs.trust = Some(trust),
            Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Ok(Err(_)) | Err(_) => {}
        }
    }
    p.obs.duration = started.elapsed();
    p.obs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ehlo_name_is_never_the_target() {
        let local: SocketAddr = "192.0.2.7:40000".parse().unwrap();
        let target = Host::Name("mail.contoso.com".into());
        assert_eq!(
            default_ehlo_name(Some(local), Some("probe.example.net"), &target),
            "probe.example.net"
        );
        assert_eq!(
            default_ehlo_name(Some(local), Some("mail.contoso.com"), &target),
            "[192.0.2.7]"
        );
        assert_eq!(
            default_ehlo_name(Some(local), Some("laptop"), &target),
            "[192.0.2.7]"
        );
        assert_eq!(
            default_ehlo_name(Some(local), Some("localhost.localdomain"), &target),
            "[192.0.2.7]"
        );
        let v6: SocketAddr = "[2001:db8::5]:1".parse().unwrap();
        assert_eq!(
            default_ehlo_name(Some(v6), None, &target),
            "[IPv6:2001:db8::5]"
        );
    }
}
