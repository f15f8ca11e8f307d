//! `--check-required`: does the server let a client start a mail transaction without TLS?
//!
//! On a connection of its own, after the main probe, this sends exactly: `EHLO <name>`,
//! `MAIL FROM:<>` (the null reverse-path, RFC 5321 §4.5.5: no address of anyone), then
//! `RSET` and `QUIT`. Never STARTTLS, never RCPT, never DATA: no transaction can come of it.
//! The reply to `MAIL FROM:<>` is recorded for the rules (`rules::tls_policy`), which read
//! `530 5.7.0 Must issue a STARTTLS command first` as "TLS required" and a 2xx as "not
//! required". When the greeting or EHLO fails, nothing else is sent.
//!
//! # References
//! - RFC 3207 §4 (a server may require TLS with `530 5.7.0`; a publicly-referenced server
//!   must not), RFC 5321 §4.1.1.2 (MAIL), §4.1.1.5 (RSET), §4.5.5 (null reverse-path)

use super::ProbeConfig;
use super::followup;
use crate::model::{Observation, RequiredCheck, TlsMode};

/// The check is asked for, the port speaks STARTTLS, the main probe got past EHLO and the
/// run's deadline did not cut it short.
pub(super) fn wanted(cfg: &ProbeConfig, obs: &Observation) -> bool {
    cfg.check_required
        && obs.endpoint.tls_mode == TlsMode::Starttls
        && obs.capabilities.is_some()
        && !obs.failure.as_ref().is_some_and(|f| f.overall_deadline)
}

/// Runs the check and records it in `obs.tls_required`.
pub(super) async fn run(cfg: &ProbeConfig, obs: &mut Observation) {
    let tcp = match followup::connect(
        cfg,
        obs,
        "is TLS required? (--check-required: EHLO, MAIL FROM:<>, RSET, QUIT; no STARTTLS)",
    )
    .await
    {
        Ok(t) => t,
        Err(problem) => {
            obs.tls_required = Some(RequiredCheck {
                mail_reply: None,
                problem: Some(problem),
            });
            return;
        }
    };
    let mut s = followup::session(cfg, obs, tcp);
    let ehlo_name = obs.ehlo_name.clone();
    let (check, in_sync) = match followup::greet(&mut s, &ehlo_name).await {
        Err((problem, in_sync)) => (
            RequiredCheck {
                mail_reply: None,
                problem: Some(problem),
            },
            in_sync,
        ),
        Ok(()) => match s.command("MAIL FROM:<>").await {
            Ok(r) => {
                let rset = s.command("RSET").await.is_ok();
                (
                    RequiredCheck {
                        mail_reply: Some(r),
                        problem: None,
                    },
                    rset,
                )
            }
            Err(e) => (
                RequiredCheck {
                    mail_reply: None,
                    problem: Some(format!("no reply to MAIL FROM:<>: {e}")),
                },
                false,
            ),
        },
    };
    obs.transcript = if in_sync {
        s.quit().await
    } else {
        s.into_parts().2
    };
    obs.tls_required = Some(check);
}
