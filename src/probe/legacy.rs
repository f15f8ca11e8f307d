//! After a failed handshake: which TLS version does the server speak? rustls offers TLS 1.2
//! and 1.3 only, so a server limited to TLS 1.0/1.1 answers it with a `protocol_version` or
//! `handshake_failure` alert, or hangs up. On a connection of its own this follow-up redoes
//! the greeting, EHLO and STARTTLS (or nothing, on an implicit-TLS port), sends the
//! hand-built hello of [`crate::tls::legacy`] (TLS 1.0 to 1.2, classic suites, SNI), reads the
//! ServerHello's version with a bounded read under the step's deadline, and closes: no key
//! exchange, nothing encrypted, no QUIT (the session is mid-handshake).
//!
//! # References
//! - RFC 3207 §4 (STARTTLS), RFC 5246 §7.4.1.2–7.4.1.3 and Appendix E.1 (version
//!   negotiation), RFC 8996 (TLS 1.0 and 1.1 deprecated)

use ring::rand::SecureRandom;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::ProbeConfig;
use super::followup::{self, budget};
use super::net::Tcp;
use crate::model::{LegacyTls, Observation, TlsMode};
use crate::smtp::Direction;
use crate::tls::HandshakeFailure;
use crate::tls::legacy::{self as hello, Parse, ServerAnswer};

/// The handshake failed the way a legacy-only TLS stack makes it fail: an alert about the
/// version or the handshake, or a hang-up. A timeout is not asked about again (it would
/// cost another timeout), nor is a deadline that ran out.
pub(super) fn wanted(obs: &Observation) -> bool {
    let cut_short = obs.failure.as_ref().is_some_and(|f| f.overall_deadline);
    !cut_short
        && obs.handshake_error.as_ref().is_some_and(|h| {
            matches!(
                h.kind,
                HandshakeFailure::ProtocolVersion
                    | HandshakeFailure::NoSharedCipher
                    | HandshakeFailure::Closed
            )
        })
}

/// Runs the follow-up and records what it learned in `obs.legacy_tls`.
pub(super) async fn run(cfg: &ProbeConfig, obs: &mut Observation) {
    let outcome = match followup::connect(
        cfg,
        obs,
        "which TLS version does the server speak? (a TLS 1.0-1.2 ClientHello with classic cipher suites)",
    )
    .await
    {
        Err(e) => LegacyTls::NotReached(e),
        Ok(tcp) => match obs.endpoint.tls_mode {
            TlsMode::Implicit => ask(cfg, obs, tcp).await,
            TlsMode::Starttls => match starttls(cfg, obs, tcp).await {
                Ok(tcp) => ask(cfg, obs, tcp).await,
                Err(e) => LegacyTls::NotReached(e),
            },
        },
    };
    let said = match &outcome {
        LegacyTls::Answered(ServerAnswer::Hello { version, cipher }) => format!(
            "ServerHello: {}, {}",
            hello::version_name(*version),
            hello::cipher_name(*cipher)
        ),
        LegacyTls::Answered(ServerAnswer::Alert { description, .. }) => {
            format!("alert: {}", hello::alert_name(*description))
        }
        LegacyTls::Answered(ServerAnswer::NotTls) => "the answer is not TLS".into(),
        LegacyTls::Closed => "the server closed the connection".into(),
        LegacyTls::Timeout => "no answer to the ClientHello".into(),
        LegacyTls::NotReached(why) => format!("follow-up stopped: {why}"),
    };
    obs.transcript.push(Direction::Event, said);
    obs.legacy_tls = Some(outcome);
}

/// Greeting, EHLO, STARTTLS → 220: the stream, ready for a ClientHello.
async fn starttls(cfg: &ProbeConfig, obs: &mut Observation, tcp: Tcp) -> Result<Tcp, String> {
    let mut s = followup::session(cfg, obs, tcp);
    let ehlo_name = obs.ehlo_name.clone();
    // The error, and whether the session is still in step so that a QUIT can end it.
    let outcome = match followup::greet(&mut s, &ehlo_name).await {
        Err((e, in_sync)) => Err((e, in_sync)),
        Ok(()) => match s.command("STARTTLS").await {
            Ok(r) if r.code == 220 => Ok(()),
            Ok(r) => Err((format!("STARTTLS refused: {}", r.one_line()), true)),
            Err(e) => Err((format!("no reply to STARTTLS: {e}"), false)),
        },
    };
    match outcome {
        Ok(()) => {
            let (tcp, _, transcript) = s.into_parts();
            obs.transcript = transcript;
            Ok(tcp)
        }
        Err((e, true)) => {
            obs.transcript = s.quit().await;
            Err(e)
        }
        Err((e, false)) => {
            obs.transcript = s.into_parts().2;
            Err(e)
        }
    }
}

/// Sends the hello and reads the answer: at most [`hello::MAX_ANSWER`] bytes, within the
/// step's budget.
async fn ask(cfg: &ProbeConfig, obs: &mut Observation, mut tcp: Tcp) -> LegacyTls {
    let mut random = [0u8; 32];
    let _ = ring::rand::SystemRandom::new().fill(&mut random);
    let record = hello::client_hello(obs.sni.as_deref(), &random);
    obs.transcript.push(
        Direction::Event,
        format!(
            "sent a ClientHello for TLS 1.0 to 1.2 ({} bytes, {} cipher suites{})",
            record.len(),
            hello::OFFERED_SUITES.len() - 1,
            obs.sni
                .as_deref()
                .map(|n| format!(", SNI {n}"))
                .unwrap_or_default()
        ),
    );
    let exchange = async {
        tcp.write_all(&record).await?;
        tcp.flush().await?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = tcp.read(&mut chunk).await?;
            if n == 0 {
                return Ok::<_, std::io::Error>(None);
            }
            buf.extend_from_slice(&chunk[..n]);
            match hello::parse_answer(&buf) {
                Parse::Done(answer) => return Ok(Some(answer)),
                Parse::Incomplete if buf.len() >= hello::MAX_ANSWER => {
                    return Ok(Some(ServerAnswer::NotTls));
                }
                Parse::Incomplete => {}
            }
        }
    };
    let outcome = match tokio::time::timeout(budget(cfg), exchange).await {
        Ok(Ok(Some(answer))) => LegacyTls::Answered(answer),
        Ok(Ok(None)) => LegacyTls::Closed,
        Ok(Err(e))
            if matches!(
                e.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
            ) =>
        {
            LegacyTls::Closed
        }
        Ok(Err(e)) => LegacyTls::NotReached(format!("the connection failed: {e}")),
        Err(_) => LegacyTls::Timeout,
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), tcp.shutdown()).await;
    outcome
}
