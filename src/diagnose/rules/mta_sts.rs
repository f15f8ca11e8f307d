//! MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) rules: the TXT records, the policy fetch and
//! file, and every MX host matched against the policy's `mx:` patterns.

use time::OffsetDateTime;

use crate::diagnose::Finding;
use crate::evidence::Evidence;
use crate::policy::DomainPolicy;

/// The MTA-STS and TLS-RPT findings of `policies`; per-endpoint findings go to
/// `per_endpoint` (parallel to `evidence`).
pub fn rules(
    policies: &[DomainPolicy],
    evidence: &[Evidence],
    per_endpoint: &mut [Vec<Finding>],
    now: OffsetDateTime,
) -> Vec<Finding> {
    let _ = (policies, evidence, per_endpoint, now);
    Vec::new()
}
