//! The cross-check rules: the configuration (and the live probe, when there is one) →
//! findings. Pure functions of their inputs and `now`. Ranked as in the research note
//! (`shared/research/exchange-config.md` §3.2): the on-premises side (receive connectors,
//! certificates) in [`receive`], the cross-premises side (send connector, Exchange Online
//! connectors, hybrid configuration, accepted domains) in [`online`], the trusted roots the
//! collection script reports in [`roots`], the live join in [`probe`].
//!
//! A rule that needs a value the paste cut, wrapped or left ambiguous returns an
//! `exchange-check-inconclusive` finding naming the rule and the doubt, never FAIL.

pub mod online;
pub mod probe;
pub mod receive;
pub mod roots;

use time::OffsetDateTime;

use super::Limits;
use super::model::{Config, Join};
use crate::diagnose::Finding;

/// Every finding for `config` (and `join`) at `now`, expiry judged by `limits`.
pub fn check(
    config: &Config,
    join: Option<&Join>,
    now: OffsetDateTime,
    limits: Limits,
) -> Vec<Finding> {
    let mut findings = receive::check(config, now, limits);
    findings.extend(online::check(config, now, limits));
    findings.extend(roots::check(config));
    if let Some(join) = join {
        findings.extend(probe::check(config, join, now));
    }
    findings
}
