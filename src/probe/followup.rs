//! What the follow-up connections share: connect, read the greeting and say EHLO again, on
//! a connection of their own, under the run's limits, writing into the endpoint's transcript.

use std::time::Instant;

use super::ProbeConfig;
use super::net::Tcp;
use crate::model::Observation;
use crate::smtp::{Direction, Session, Transcript};

/// The time a step may take now: the step timeout, cut by the run's deadline.
pub(super) fn budget(cfg: &ProbeConfig) -> std::time::Duration {
    cfg.step_timeout
        .min(cfg.deadline.saturating_duration_since(Instant::now()))
}

/// Opens a TCP connection to the endpoint, noting it in the transcript with `why`.
pub(super) async fn connect(
    cfg: &ProbeConfig,
    obs: &mut Observation,
    why: &str,
) -> Result<Tcp, String> {
    let addr = obs.endpoint.address;
    obs.transcript
        .push(Direction::Event, format!("follow-up connection: {why}"));
    let budget = budget(cfg);
    match tokio::time::timeout(budget, Tcp::connect(addr)).await {
        Ok(Ok(s)) => {
            obs.transcript
                .push(Direction::Event, format!("connected to {addr}"));
            Ok(s)
        }
        Ok(Err(e)) => Err(format!("cannot connect again: {e}")),
        Err(_) => Err(format!(
            "no answer to the new connection within {}",
            crate::text::seconds(budget)
        )),
    }
}

/// A session over `tcp` that owns the endpoint's transcript until it is handed back.
pub(super) fn session(cfg: &ProbeConfig, obs: &mut Observation, tcp: Tcp) -> Session<Tcp> {
    let t = std::mem::replace(&mut obs.transcript, Transcript::new(Instant::now()));
    Session::new(tcp, t, cfg.step_timeout, cfg.deadline)
}

/// Reads the greeting and says EHLO with the name the main probe used. `Err` says why the
/// session cannot go on (escaped), and whether it is still in sync for a QUIT.
pub(super) async fn greet(s: &mut Session<Tcp>, ehlo_name: &str) -> Result<(), (String, bool)> {
    let banner = s
        .read_reply()
        .await
        .map_err(|e| (format!("no greeting: {e}"), false))?;
    if banner.code != 220 {
        return Err((format!("greeting: {}", banner.one_line()), true));
    }
    let ehlo = s
        .command(&format!("EHLO {ehlo_name}"))
        .await
        .map_err(|e| (format!("no reply to EHLO: {e}"), false))?;
    if !ehlo.is_positive() {
        return Err((format!("EHLO refused: {}", ehlo.one_line()), true));
    }
    Ok(())
}
