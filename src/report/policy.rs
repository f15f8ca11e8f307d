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

/// MTA-STS in one word, as the Prometheus mode label and the HTML page's tag say it:
/// `enforce`, `testing` or `none` from a policy in effect; `missing` without a record;
/// `error` when a record exists but no valid policy was read (RFC 8461 §3: senders then use
/// none); `None` when the lookup failed and nothing is known.
pub fn mta_sts_mode(m: &policy::mta_sts::MtaStsReport) -> Option<&'static str> {
    use policy::mta_sts::{Mode, RecordState};
    match (&m.record_state, m.policy.as_ref().and_then(|p| p.mode)) {
        (RecordState::Missing, _) => Some("missing"),
        (RecordState::LookupFailed, _) => None,
        (_, Some(Mode::Enforce)) if m.in_effect => Some("enforce"),
        (_, Some(Mode::Testing)) if m.in_effect => Some("testing"),
        (_, Some(Mode::None)) if m.in_effect => Some("none"),
        _ => Some("error"),
    }
}

/// DANE (RFC 7672) for one endpoint: `Some(true)` when a usable secure TLSA record matches
/// the chain it served, `Some(false)` when DANE senders defer (no record matches, or usable
/// secure records and no TLS session gave a chain, §2.2); `None` when DANE does not apply.
pub fn dane_matched(d: &policy::dane::DaneMatch) -> Option<bool> {
    use policy::dane::{NotApplicable, Verdict};
    match d.verdict {
        Verdict::Match => Some(true),
        Verdict::NoMatch => Some(false),
        Verdict::NotApplicable
            if d.dnssec == Dnssec::Secure
                && d.why == Some(NotApplicable::NoTls)
                && d.usable().next().is_some() =>
        {
            Some(false)
        }
        _ => None,
    }
}

/// TLS-RPT (RFC 8460): `Some(true)` for one valid record, `Some(false)` for none or an
/// invalid one, `None` when the lookup failed and nothing is known.
pub fn tlsrpt_published(t: &policy::tlsrpt::TlsRptReport) -> Option<bool> {
    use policy::tlsrpt::TlsRptState;
    (t.state != TlsRptState::LookupFailed).then_some(t.state == TlsRptState::Valid)
}
