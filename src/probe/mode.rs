//! The follow-up connection in the other TLS mode. A port that never greets when probed for
//! STARTTLS may be waiting for a ClientHello (SMTPS, RFC 8314); a port that answers a
//! ClientHello with something that is not TLS may be greeting in plaintext. One short second
//! connection tells which, so the report can name the mode the port speaks instead of
//! blaming a tarpit or a firewall.
//!
//! The check is made after the first connection is closed (one connection per address at a
//! time), with one exception that keeps a dead endpoint at the cost of one timeout instead
//! of up to one and a quarter: when a port has sent not a single byte by the time only the
//! check's own wait is left of the first wait (the greeting on a STARTTLS port, the answer
//! to the ClientHello on an implicit-TLS one), the check starts beside it, so that both end
//! together. A server that answers within that last stretch (a greeting delay of 8.5 to
//! 10 s at the default timeout) sees a second connection it need not have seen; the check
//! is then dropped, its answer never used, and the transcript says a second connection was
//! made. The answer is used only when the first connection never received a byte.
//!
//! For STARTTLS → implicit TLS the probe starts a TLS handshake at once and, when it
//! completes, reads the greeting over TLS and says QUIT. For implicit TLS → plaintext it
//! reads one reply and looks for `220`, then says QUIT. Every step waits at most
//! [`MODE_CHECK_WAIT`] and a quarter of the step timeout, never past the run's deadline: a
//! port that speaks the other mode answers within a round trip or two, and a blackholed
//! endpoint, which gets this check too, should cost little more than its timeout.
//!
//! # References
//! - RFC 8314 §3.3 (implicit TLS for submission on port 465: TLS from the first byte)
//! - RFC 3207 §4 (STARTTLS: the server greets in plaintext first)
//! - RFC 5321 §3.1 (the server speaks first: `220` greeting)

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;

use super::net::{Heard, Tcp};
use super::{Probe, ProbeConfig};
use crate::model::{FailureKind, ModeCheck, Phase, TlsMode};
use crate::smtp::{Direction, Session, SessionError, Transcript, starts_like_tls_record};
use crate::tls::{self, HandshakeFailure};

/// The longest one step of the follow-up connection may take.
pub const MODE_CHECK_WAIT: Duration = Duration::from_millis(1500);

/// How long one step of the check may take now.
fn wait(cfg: &ProbeConfig) -> Duration {
    MODE_CHECK_WAIT
        .min(cfg.step_timeout / 4)
        .min(cfg.deadline.saturating_duration_since(Instant::now()))
}

/// When a check started beside the first connection began its connection, if it has (in
/// milliseconds of the probe's transcript clock).
#[derive(Debug, Clone)]
pub(super) struct Began(Arc<AtomicU64>);

impl Default for Began {
    fn default() -> Self {
        Began(Arc::new(AtomicU64::new(u64::MAX)))
    }
}

impl Began {
    /// The instant the connection began, if it did.
    pub(super) fn at_ms(&self) -> Option<u64> {
        Some(self.0.load(Ordering::Relaxed)).filter(|ms| *ms != u64::MAX)
    }

    fn set(&self, ms: u64) {
        self.0.store(ms, Ordering::Relaxed);
    }
}

/// What the check found, and the transcript it wrote into.
pub(super) struct Checked {
    seen: Option<ModeCheck>,
    transcript: Transcript,
}

impl<'a> Probe<'a> {
    /// The check of `tried`, writing into `transcript`; the SNI is the probe's, but the
    /// observation keeps only what the probe itself sent.
    fn other_mode(&mut self, tried: TlsMode, transcript: Transcript) -> OtherMode<'a> {
        let sni = self.obs.sni.clone();
        let name = self.server_name();
        self.obs.sni = sni;
        OtherMode {
            cfg: self.cfg,
            addr: self.obs.endpoint.address,
            name,
            tried,
            transcript,
            beside: None,
        }
    }

    /// For a connection whose first wait (STARTTLS: the greeting; implicit TLS: the answer to
    /// the ClientHello) starts now: a check of the other mode that sleeps until only its own
    /// wait is left of that wait, and then runs if nothing at all was `heard` on the first
    /// connection (the module documentation says why); [`Began`] tells when it connected.
    /// `None` when the run's deadline cuts the banner wait: then no check at all, as after.
    pub(super) fn early_check(
        &mut self,
        heard: Heard,
    ) -> Option<(Began, impl Future<Output = Option<Checked>> + 'a)> {
        let cfg = self.cfg;
        let now = Instant::now();
        let left = cfg.deadline.saturating_duration_since(now);
        let wait = wait(cfg);
        if left < cfg.step_timeout || wait.is_zero() {
            return None;
        }
        let at = now + cfg.step_timeout.saturating_sub(wait);
        let tried = match self.obs.endpoint.tls_mode {
            TlsMode::Starttls => TlsMode::Implicit,
            TlsMode::Implicit => TlsMode::Starttls,
        };
        let began = Began::default();
        let mut check = self.other_mode(tried, self.obs.transcript.fork());
        check.beside = Some(began.clone());
        Some((began, async move {
            tokio::time::sleep_until(at.into()).await;
            if heard.anything() {
                return None;
            }
            Some(check.run().await)
        }))
    }
}

impl Probe<'_> {
    /// The mode the first conversation's failure leaves in doubt: a STARTTLS port that never
    /// greeted may speak implicit TLS; an implicit-TLS port that answered the ClientHello with
    /// something other than TLS (and sent no certificate) may greet in plaintext.
    pub(super) fn other_mode_in_doubt(&self) -> Option<TlsMode> {
        let f = self.obs.failure.as_ref()?;
        if f.overall_deadline {
            return None;
        }
        // TLS records where the greeting was expected already say which mode the port speaks:
        // no second connection is needed to tell (the rules name it from the bytes).
        if f.phase == Phase::Banner && starts_like_tls_record(&self.obs.wire.received_so_far) {
            return None;
        }
        match (self.obs.endpoint.tls_mode, f.phase, f.kind) {
            (TlsMode::Starttls, Phase::Banner, FailureKind::Timeout) => Some(TlsMode::Implicit),
            (TlsMode::Implicit, Phase::Handshake, _) if self.obs.chain.is_empty() => {
                let kind = self.obs.handshake_error.as_ref().map(|h| h.kind);
                matches!(
                    kind,
                    Some(
                        HandshakeFailure::NotTls
                            | HandshakeFailure::Closed
                            | HandshakeFailure::Timeout
                            | HandshakeFailure::Other
                    )
                )
                .then_some(TlsMode::Starttls)
            }
            _ => None,
        }
    }

    /// Tries the other mode on a second connection when the first failed in a way it would
    /// explain, and records what it saw in [`crate::model::Observation::mode_check`]. A
    /// check already made beside the first connection (`early`) is used instead.
    pub(super) async fn check_mode(&mut self, early: Option<Checked>) {
        if self.other_mode_in_doubt().is_none() {
            return;
        }
        let checked = match early {
            Some(c) => {
                self.obs.transcript.append(c.transcript);
                c.seen
            }
            None => {
                let tried = self.other_mode_in_doubt().unwrap_or(TlsMode::Implicit);
                let t = self.take_transcript();
                let c = self.other_mode(tried, t).run().await;
                self.obs.transcript = c.transcript;
                c.seen
            }
        };
        if checked.is_some() {
            self.obs.mode_check = checked;
        }
    }
}

/// One look at the other mode on a connection of its own. It owns what it needs, so that it
/// can run beside the first connection.
pub(super) struct OtherMode<'a> {
    cfg: &'a ProbeConfig,
    addr: SocketAddr,
    name: ServerName<'static>,
    tried: TlsMode,
    transcript: Transcript,
    /// Set when the check runs beside the first connection: told when it connects.
    beside: Option<Began>,
}

impl OtherMode<'_> {
    /// Connects and looks; nothing at all when no time is left.
    pub(super) async fn run(mut self) -> Checked {
        let wait = wait(self.cfg);
        if wait.is_zero() {
            return self.done(None);
        }
        let what = match self.tried {
            TlsMode::Implicit => "a TLS handshake at once (implicit TLS)",
            TlsMode::Starttls => "a plaintext greeting (STARTTLS mode)",
        };
        let which = if self.beside.is_some() {
            "second connection, beside the first, which is still silent"
        } else {
            "second connection"
        };
        self.transcript
            .push(Direction::Event, format!("{which}: looking for {what}"));
        let began_ms = self.transcript.now_ms();
        let tcp = match tokio::time::timeout(wait, Tcp::connect(self.addr)).await {
            Ok(Ok(tcp)) => {
                // Only a connection made is one the server saw.
                if let Some(began) = &self.beside {
                    began.set(began_ms);
                }
                tcp
            }
            Ok(Err(e)) => {
                return self.seen(false, false, format!("cannot connect again: {e}"));
            }
            Err(_) => {
                let detail = format!(
                    "no answer to a second connection within {}",
                    crate::text::seconds(wait)
                );
                return self.seen(false, false, detail);
            }
        };
        match self.tried {
            TlsMode::Implicit => self.implicit(tcp).await,
            TlsMode::Starttls => self.plaintext(tcp).await,
        }
    }

    fn done(self, seen: Option<ModeCheck>) -> Checked {
        Checked {
            seen,
            transcript: self.transcript,
        }
    }

    fn seen(mut self, speaks: bool, handshake_failed: bool, detail: String) -> Checked {
        let verdict = if speaks { "yes" } else { "no" };
        self.transcript.push(
            Direction::Event,
            format!("second connection: {verdict}: {detail}"),
        );
        let tried = self.tried;
        self.done(Some(ModeCheck {
            tried,
            speaks,
            detail,
            handshake_failed,
        }))
    }

    /// A TLS handshake spoken first; a completed handshake, or an alert or a certificate in
    /// answer, means the port speaks TLS from the first byte.
    async fn implicit(mut self, tcp: Tcp) -> Checked {
        let name = self.name.clone();
        let (outcome, record) = tls::handshake(tcp, name, &self.cfg.trust, wait(self.cfg)).await;
        let (stream, detail) = match outcome {
            Ok((tls, negotiated)) => {
                let detail = format!(
                    "a TLS handshake spoken first completed: {}, {}",
                    negotiated.version, negotiated.cipher_suite
                );
                (tls, detail)
            }
            Err(e) => {
                let tls_peer = !record.chain.is_empty()
                    || matches!(
                        e.kind,
                        HandshakeFailure::ProtocolVersion
                            | HandshakeFailure::NoSharedCipher
                            | HandshakeFailure::WeakOrBadKey
                            | HandshakeFailure::Alert
                    );
                let detail = if tls_peer {
                    format!(
                        "the port answered a ClientHello in TLS, but the handshake failed: {}",
                        e.reason
                    )
                } else {
                    format!("no TLS either: {}", e.reason)
                };
                return self.seen(tls_peer, tls_peer, detail);
            }
        };
        let fresh = self.transcript.fork();
        let t = std::mem::replace(&mut self.transcript, fresh);
        let mut s = Session::new(stream, t, wait(self.cfg), self.cfg.deadline);
        let greeting = s.read_reply().await;
        self.transcript = s.quit().await;
        let detail = match greeting {
            Ok(r) => format!("{detail}; greeting over TLS: {}", r.one_line()),
            Err(_) => detail,
        };
        self.seen(true, false, detail)
    }

    /// One reply read in plaintext; a `220` means the port greets as a STARTTLS port does.
    async fn plaintext(mut self, tcp: Tcp) -> Checked {
        let fresh = self.transcript.fork();
        let t = std::mem::replace(&mut self.transcript, fresh);
        let mut s = Session::new(tcp, t, wait(self.cfg), self.cfg.deadline);
        let (speaks, detail) = match s.read_reply().await {
            // The greetings RFC 5321 §3.1 allows (220, 554) and a busy server's 421 are all
            // plaintext SMTP.
            Ok(r) if matches!(r.code, 220 | 421 | 554) => (
                true,
                format!("the port greets in plaintext: {}", r.one_line()),
            ),
            Ok(r) => (
                false,
                format!(
                    "the port answered in plaintext, but not with a greeting: {}",
                    r.one_line()
                ),
            ),
            Err(SessionError::Timeout { waited, .. }) => (
                false,
                format!(
                    "no plaintext greeting within {} either",
                    crate::text::seconds(waited)
                ),
            ),
            Err(e) => (false, format!("no plaintext greeting either: {e}")),
        };
        self.transcript = if speaks {
            s.quit().await
        } else {
            s.into_parts().2
        };
        self.seen(speaks, false, detail)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::net::{Ipv4Addr, SocketAddr};

    use super::*;
    use crate::model::Endpoint;
    use crate::probe::{ProbeConfig, probe};
    use crate::target::Host;
    use crate::tls::TrustStore;

    /// Accepts connections and never says a word (each kept until the listener task ends).
    async fn silent() -> (SocketAddr, tokio::task::JoinHandle<()>) {
        let l = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .unwrap();
        let addr = l.local_addr().unwrap();
        (addr, tokio::spawn(hold_all(l)))
    }

    /// Accepts every connection and holds it, unanswered, until the task ends.
    async fn hold_all(l: tokio::net::TcpListener) {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s);
        }
    }

    fn cfg(step: Duration, deadline: Duration) -> ProbeConfig {
        ProbeConfig {
            ehlo_name: Some("probe.test".into()),
            local_hostname: None,
            step_timeout: step,
            deadline: Instant::now() + deadline,
            trust: TrustStore::from_certs([], None),
            sni_fallback: None,
            check_required: false,
            client_cert: None,
        }
    }

    fn endpoint(addr: SocketAddr) -> Endpoint {
        Endpoint {
            host: Host::Name("mail.contoso.test".into()),
            address: addr,
            tls_mode: TlsMode::Starttls,
            via: None,
        }
    }

    /// Greets after `delay`, answers EHLO without STARTTLS and QUIT; any other connection
    /// (the check's) is held open and never answered.
    async fn late_greeter(delay: Duration) -> (SocketAddr, tokio::task::JoinHandle<()>) {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let l = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .unwrap();
        let addr = l.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let (first, _) = l.accept().await.unwrap();
            let held = tokio::spawn(hold_all(l));
            tokio::time::sleep(delay).await;
            let mut s = BufReader::new(first);
            s.get_mut()
                .write_all(b"220 late.test ESMTP\r\n")
                .await
                .unwrap();
            let mut line = String::new();
            while s.read_line(&mut line).await.unwrap_or(0) > 0 {
                let reply: &[u8] = if line.starts_with("QUIT") {
                    b"221 bye\r\n"
                } else {
                    b"250 late.test\r\n"
                };
                s.get_mut().write_all(reply).await.unwrap();
                line.clear();
            }
            held.abort();
        });
        (addr, task)
    }

    /// When the first transcript entry holding `needle` happened.
    fn at_ms(obs: &crate::model::Observation, needle: &str) -> u64 {
        let i = position(obs, needle).unwrap_or_else(|| panic!("no {needle:?}"));
        obs.transcript.entries[i].at_ms
    }

    fn position(obs: &crate::model::Observation, needle: &str) -> Option<usize> {
        obs.transcript
            .entries
            .iter()
            .position(|e| String::from_utf8_lossy(&e.bytes).contains(needle))
    }

    /// A port silent to the end: the check runs in the last quarter of the banner wait,
    /// beside the first connection, so a dead endpoint costs one timeout.
    #[tokio::test]
    async fn a_silent_port_is_checked_beside_the_first_connection() {
        let (addr, _task) = silent().await;
        let obs = probe(
            endpoint(addr),
            &cfg(Duration::from_millis(400), Duration::from_secs(5)),
        )
        .await;
        let mc = obs.mode_check.clone().expect("checked");
        assert!(!mc.speaks, "{}", mc.detail);
        let began = at_ms(&obs, "beside the first, which is still silent: looking for");
        let gave_up = at_ms(&obs, "timed out waiting for a reply");
        assert!(began < gave_up, "{:?}", obs.transcript.entries);
        assert_eq!(obs.failure.unwrap().phase, Phase::Banner);
    }

    /// The same for an implicit-TLS port that never answers the ClientHello: the check for
    /// a plaintext greeting runs beside the handshake.
    #[tokio::test]
    async fn a_silent_implicit_tls_port_is_checked_beside_the_handshake() {
        let (addr, _task) = silent().await;
        let mut ep = endpoint(addr);
        ep.tls_mode = TlsMode::Implicit;
        let obs = probe(ep, &cfg(Duration::from_millis(400), Duration::from_secs(5))).await;
        let mc = obs.mode_check.clone().expect("checked");
        assert_eq!(mc.tried, TlsMode::Starttls);
        assert!(!mc.speaks, "{}", mc.detail);
        let began = at_ms(&obs, "beside the first, which is still silent: looking for");
        let gave_up = at_ms(&obs, "handshake failed");
        assert!(began < gave_up, "{:?}", obs.transcript.entries);
    }

    /// A greeting in the last quarter of the banner wait ends the check unused; the
    /// transcript says a second connection was made.
    #[tokio::test]
    async fn a_greeting_after_the_check_began_drops_the_check() {
        let (addr, task) = late_greeter(Duration::from_millis(450)).await;
        let obs = probe(
            endpoint(addr),
            &cfg(Duration::from_millis(500), Duration::from_secs(5)),
        )
        .await;
        assert!(obs.failure.is_none(), "{:?}", obs.failure);
        assert!(obs.banner.is_some());
        assert!(obs.mode_check.is_none());
        assert!(
            position(&obs, "its answer dropped unused").is_some(),
            "{:?}",
            obs.transcript.entries
        );
        task.await.unwrap();
    }

    /// Sends `first` on the first connection after `delay` (nothing if empty), then closes
    /// it when `close` (else holds it); every other connection is held and never answered.
    async fn first_then(
        delay: Duration,
        first: &'static [u8],
        close: bool,
    ) -> (SocketAddr, tokio::task::JoinHandle<()>) {
        use tokio::io::AsyncWriteExt;
        let l = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .unwrap();
        let addr = l.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let _held = tokio::spawn(hold_all(l));
            tokio::time::sleep(delay).await;
            if !first.is_empty() {
                let _ = s.write_all(first).await;
            }
            if close {
                drop(s);
            } else {
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        });
        (addr, task)
    }

    fn count(obs: &crate::model::Observation, needle: &str) -> usize {
        obs.transcript
            .entries
            .iter()
            .filter(|e| String::from_utf8_lossy(&e.bytes).contains(needle))
            .count()
    }

    /// A first line of a greeting after the check began, then nothing: the banner wait
    /// times out, but the server spoke, so the check beside it is not its answer; the check
    /// is made again after the first connection, as for any greeting that stalls.
    #[tokio::test]
    async fn a_server_that_spoke_after_the_check_began_is_not_answered_by_it() {
        let (addr, _task) = first_then(Duration::from_millis(450), b"220-partial\r\n", false).await;
        let obs = probe(
            endpoint(addr),
            &cfg(Duration::from_millis(500), Duration::from_secs(5)),
        )
        .await;
        assert_eq!(obs.failure.as_ref().unwrap().phase, Phase::Banner);
        assert_eq!(
            count(&obs, "its answer dropped unused"),
            1,
            "{:?}",
            obs.transcript.entries
        );
        assert_eq!(count(&obs, "second connection: looking for"), 1);
        assert!(obs.mode_check.is_some());
    }

    /// An implicit-TLS port that stays silent and then hangs up before the timeout: the
    /// check made beside it answers, and no third connection is made.
    #[tokio::test]
    async fn a_silent_hang_up_is_answered_by_the_check_beside_it() {
        let (addr, _task) = first_then(Duration::from_millis(450), b"", true).await;
        let mut ep = endpoint(addr);
        ep.tls_mode = TlsMode::Implicit;
        let obs = probe(ep, &cfg(Duration::from_millis(500), Duration::from_secs(5))).await;
        assert_eq!(obs.failure.as_ref().unwrap().phase, Phase::Handshake);
        let mc = obs.mode_check.clone().expect("checked");
        assert_eq!(mc.tried, TlsMode::Starttls);
        assert_eq!(
            count(&obs, "looking for"),
            1,
            "{:?}",
            obs.transcript.entries
        );
        assert_eq!(count(&obs, "dropped unused"), 0);
    }

    /// A check whose connection was refused made no connection the server saw: no note.
    #[tokio::test]
    async fn a_check_that_could_not_connect_leaves_no_note() {
        use tokio::io::AsyncWriteExt;
        let l = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .unwrap();
        let addr = l.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            drop(l); // the check's connection is refused
            tokio::time::sleep(Duration::from_millis(450)).await;
            let _ = s.write_all(b"554 not today\r\n").await;
        });
        let obs = probe(
            endpoint(addr),
            &cfg(Duration::from_millis(500), Duration::from_secs(5)),
        )
        .await;
        assert!(obs.banner.is_some(), "{:?}", obs.transcript.entries);
        assert!(obs.mode_check.is_none());
        assert_eq!(
            count(&obs, "dropped unused"),
            0,
            "{:?}",
            obs.transcript.entries
        );
        server.await.unwrap();
    }

    /// A greeting before the check's time: no second connection at all.
    #[tokio::test]
    async fn a_greeting_before_the_last_quarter_makes_no_second_connection() {
        let (addr, task) = late_greeter(Duration::from_millis(50)).await;
        let obs = probe(
            endpoint(addr),
            &cfg(Duration::from_millis(800), Duration::from_secs(5)),
        )
        .await;
        assert!(obs.failure.is_none(), "{:?}", obs.failure);
        assert!(position(&obs, "second connection").is_none());
        task.await.unwrap();
    }

    #[tokio::test]
    async fn the_check_waits_a_quarter_of_the_step_and_never_past_the_deadline() {
        let (addr, _task) = silent().await;
        let obs = probe(
            endpoint(addr),
            &cfg(Duration::from_millis(400), Duration::from_secs(5)),
        )
        .await;
        let mc = obs
            .mode_check
            .clone()
            .expect("a silent STARTTLS port is checked");
        assert_eq!(mc.tried, TlsMode::Implicit);
        assert!(!mc.speaks, "{}", mc.detail);
        assert!(mc.detail.contains("within 0.1s"), "{}", mc.detail);
        assert!(
            obs.duration < Duration::from_millis(900),
            "{:?}",
            obs.duration
        );
        // The run's deadline ends the banner wait: no check at all.
        let obs = probe(
            endpoint(addr),
            &cfg(Duration::from_secs(5), Duration::from_millis(300)),
        )
        .await;
        assert!(obs.failure.unwrap().overall_deadline);
        assert!(obs.mode_check.is_none());
        assert!(
            obs.duration < Duration::from_millis(800),
            "{:?}",
            obs.duration
        );
    }
}
