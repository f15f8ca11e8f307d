//! The report's `policy` object: what each domain publishes about its TLS (DNSSEC, TLSA,
//! MTA-STS, TLS-RPT), one entry per domain, built from the policy phase's observations.

use std::collections::BTreeMap;

use crate::policy::{self, Dnssec, DomainPolicy, ResolverTrust};

/// One domain's published TLS policy, for the report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PolicyReport {
    /// The DNS server asked, and whether its AD bit was trusted.
    pub resolver: ResolverTrust,
    /// The DNSSEC status of the MX RRset, when the target had an MX lookup.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mx_dnssec: Option<Dnssec>,
    /// Each mail host and port's DANE lookups.
    pub dane: Vec<policy::lookups::HostDaneReport>,
    /// MTA-STS, for a mail domain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mta_sts: Option<policy::mta_sts::MtaStsReport>,
    /// TLS-RPT, for a mail domain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tlsrpt: Option<policy::tlsrpt::TlsRptReport>,
}

/// The `policy` object of a report: each domain's policy, keyed by domain.
pub fn build(policies: &[DomainPolicy]) -> BTreeMap<String, PolicyReport> {
    policies
        .iter()
        .map(|p| {
            let r = PolicyReport {
                resolver: p.resolver.clone(),
                mx_dnssec: p.mx,
                dane: policy::lookups::host_reports(p),
                mta_sts: policy::mta_sts::report(p),
                tlsrpt: policy::tlsrpt::report(p),
            };
            (p.domain.clone(), r)
        })
        .collect()
}
