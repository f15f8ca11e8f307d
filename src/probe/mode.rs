//! The follow-up connection in the other TLS mode. A port that never greets when probed for
//! STARTTLS may be waiting for a ClientHello (SMTPS, RFC 8314); a port that answers a
//! ClientHello with something that is not TLS may be greeting in plaintext. One short second
//! connection, made only after the first one is closed (one connection per address at a
//! time), tells which, so the report can name the mode the port speaks instead of blaming a
//! tarpit or a firewall.
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

use std::time::{Duration, Instant};

use super::Probe;
use super::net::Tcp;
use crate::model::{FailureKind, ModeCheck, Phase, TlsMode};
use crate::smtp::{Direction, Session, SessionError};
use crate::tls::{self, HandshakeFailure};

/// The longest one step of the follow-up connection may take.
pub const MODE_CHECK_WAIT: Duration = Duration::from_millis(1500);

impl Probe<'_> {
    /// The mode the first conversation's failure leaves in doubt: a STARTTLS port that never
    /// greeted may speak implicit TLS; an implicit-TLS port that answered the ClientHello with
    /// something other than TLS (and sent no certificate) may greet in plaintext.
    fn other_mode_in_doubt(&self) -> Option<TlsMode> {
        let f = self.obs.failure.as_ref()?;
        if f.overall_deadline {
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

    /// How long one step of the follow-up may take now.
    fn mode_wait(&self) -> Duration {
        MODE_CHECK_WAIT
            .min(self.cfg.step_timeout / 4)
            .min(self.cfg.deadline.saturating_duration_since(Instant::now()))
    }

    /// Tries the other mode on a second connection when the first failed in a way it would
    /// explain, and records what it saw in [`crate::model::Observation::mode_check`].
    pub(super) async fn check_mode(&mut self) {
        let Some(tried) = self.other_mode_in_doubt() else {
            return;
        };
        let wait = self.mode_wait();
        if wait.is_zero() {
            return;
        }
        let what = match tried {
            TlsMode::Implicit => "a TLS handshake at once (implicit TLS)",
            TlsMode::Starttls => "a plaintext greeting (STARTTLS mode)",
        };
        self.obs.transcript.push(
            Direction::Event,
            format!("second connection: looking for {what}"),
        );
        let addr = self.obs.endpoint.address;
        let tcp = match tokio::time::timeout(wait, Tcp::connect(addr)).await {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(e)) => {
                return self.mode_seen(tried, false, format!("cannot connect again: {e}"));
            }
            Err(_) => {
                let detail = format!(
                    "no answer to a second connection within {:.1}s",
                    wait.as_secs_f32()
                );
                return self.mode_seen(tried, false, detail);
            }
        };
        match tried {
            TlsMode::Implicit => self.try_implicit(tcp).await,
            TlsMode::Starttls => self.try_plaintext(tcp).await,
        }
    }

    fn mode_seen(&mut self, tried: TlsMode, speaks: bool, detail: String) {
        self.mode_seen_with(tried, speaks, false, detail);
    }

    fn mode_seen_with(
        &mut self,
        tried: TlsMode,
        speaks: bool,
        handshake_failed: bool,
        detail: String,
    ) {
        let verdict = if speaks { "yes" } else { "no" };
        self.obs.transcript.push(
            Direction::Event,
            format!("second connection: {verdict}: {detail}"),
        );
        self.obs.mode_check = Some(ModeCheck {
            tried,
            speaks,
            detail,
            handshake_failed,
        });
    }

    /// A TLS handshake spoken first; a completed handshake, or an alert or a certificate in
    /// answer, means the port speaks TLS from the first byte.
    async fn try_implicit(&mut self, tcp: Tcp) {
        // The SNI of this check is not the probe's: the observation keeps what the probe sent.
        let sni = self.obs.sni.clone();
        let name = self.server_name();
        self.obs.sni = sni;
        let (outcome, record) = tls::handshake(tcp, name, &self.cfg.trust, self.mode_wait()).await;
        let tls = match outcome {
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
                return self.mode_seen_with(TlsMode::Implicit, tls_peer, tls_peer, detail);
            }
        };
        let (stream, detail) = tls;
        let mut s = Session::new(
            stream,
            self.take_transcript(),
            self.mode_wait(),
            self.cfg.deadline,
        );
        let greeting = s.read_reply().await;
        self.obs.transcript = s.quit().await;
        let detail = match greeting {
            Ok(r) => format!("{detail}; greeting over TLS: {}", r.one_line()),
            Err(_) => detail,
        };
        self.mode_seen(TlsMode::Implicit, true, detail);
    }

    /// One reply read in plaintext; a `220` means the port greets as a STARTTLS port does.
    async fn try_plaintext(&mut self, tcp: Tcp) {
        let mut s = Session::new(
            tcp,
            self.take_transcript(),
            self.mode_wait(),
            self.cfg.deadline,
        );
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
                    "no plaintext greeting within {:.1}s either",
                    waited.as_secs_f32()
                ),
            ),
            Err(e) => (false, format!("no plaintext greeting either: {e}")),
        };
        self.obs.transcript = if speaks {
            s.quit().await
        } else {
            s.into_parts().2
        };
        self.mode_seen(TlsMode::Starttls, speaks, detail);
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
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((s, _)) = l.accept().await {
                held.push(s);
            }
        });
        (addr, task)
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
