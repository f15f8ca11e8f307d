//! MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) rules: the TXT records, the policy fetch and
//! file, and every MX host matched against the policy's `mx:` patterns.
//!
//! The rules read [`crate::policy::mta_sts::assess`]'s report (the same the JSON shows) and
//! never fetch anything. A problem only becomes a FAIL when senders would refuse mail: an MX
//! host outside an enforced policy that senders can actually use (record, fetch, certificate
//! and file all valid, RFC 8461 §5).
//!
//! # References
//! - RFC 8461 §3.1–§3.3 (record, file, fetch), §4.1 (MX matching), §4.2 (the MX certificate),
//!   §5 (modes)
//! - RFC 8460 §3 (the TLS-RPT record)

use time::OffsetDateTime;

use crate::diagnose::fix::Fix;
use crate::diagnose::fixes::mta_sts as fixes;
use crate::diagnose::{Code, Finding, Severity};
use crate::evidence::Evidence;
use crate::policy::DomainPolicy;
use crate::policy::mta_sts::{Gravity, Mode, MtaStsReport, Part, RecordState};
use crate::policy::tlsrpt::TlsRptState;

/// The MTA-STS and TLS-RPT findings of `policies`; per-endpoint findings go to
/// Some MX endpoint of `domain` got as far as an EHLO reply: the domain receives mail, so
/// what it publishes about TLS is worth a word.
fn receives_mail(domain: &str, evidence: &[Evidence]) -> bool {
    evidence.iter().any(|e| {
        e.starttls.is_some()
            && e.obs.endpoint.via.as_ref().is_some_and(|v| {
                v.domain
                    .trim_end_matches('.')
                    .eq_ignore_ascii_case(domain.trim_end_matches('.'))
            })
    })
}

/// `per_endpoint` (parallel to `evidence`).
pub fn rules(
    policies: &[DomainPolicy],
    evidence: &[Evidence],
    per_endpoint: &mut [Vec<Finding>],
    now: OffsetDateTime,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in policies {
        let Some(domain) = crate::target::normalize_name(&p.domain) else {
            continue;
        };
        if let Some(report) = crate::policy::mta_sts::report(p) {
            out.extend(mta_sts(p, &domain, &report, evidence, per_endpoint, now));
        }
        if let Some(t) = crate::policy::tlsrpt::report(p) {
            let find = |code, severity, summary: String, evidence: Vec<String>, fix| {
                Finding::new(
                    code,
                    severity,
                    domain.clone(),
                    Vec::new(),
                    summary,
                    evidence,
                    fix,
                )
            };
            match t.state {
                TlsRptState::Missing if p.has_mx && receives_mail(&domain, evidence) => out.push(find(
                    Code::TlsrptMissing,
                    Severity::Info,
                    format!("{domain} publishes no TLS-RPT record: nobody reports TLS failures delivering to it"),
                    vec![format!("_smtp._tls.{domain} has no TXT record starting v=TLSRPTv1;")],
                    fixes::tlsrpt_missing(&domain),
                )),
                TlsRptState::Invalid => out.push(find(
                    Code::TlsrptInvalid,
                    Severity::Warn,
                    format!("the TLS-RPT record of {domain} is invalid: senders send no reports"),
                    t.record
                        .iter()
                        .map(|r| format!("_smtp._tls.{domain} TXT \"{r}\""))
                        .chain(t.problems.iter().cloned())
                        .collect(),
                    fixes::tlsrpt_invalid(&domain),
                )),
                TlsRptState::Valid => out.push(find(
                    Code::TlsrptOk,
                    Severity::Info,
                    format!("{domain} asks for TLS reports at {}", t.rua.join(", ")),
                    t.record.iter().map(|r| format!("_smtp._tls.{domain} TXT \"{r}\"")).collect(),
                    fixes::tlsrpt_ok(&domain),
                )),
                // Nothing is known: said as a note, neither for nor against the domain.
                TlsRptState::LookupFailed => out.push(find(
                    Code::PolicyLookupFailed,
                    Severity::Info,
                    format!("TLS-RPT of {domain} could not be checked: the lookup of _smtp._tls.{domain} failed"),
                    t.problems.clone(),
                    fixes::lookup_failed(&format!("_smtp._tls.{domain}")),
                )),
                TlsRptState::Missing => {}
            }
        }
    }
    out
}

/// Every problem of `part` and `gravity`, as evidence lines.
fn lines(r: &MtaStsReport, part: Part, gravity: Gravity) -> Vec<String> {
    r.problems
        .iter()
        .filter(|p| p.part == part && p.gravity == gravity)
        .map(|p| match p.line {
            Some(n) => format!("line {n}: {}", p.text),
            None => p.text.clone(),
        })
        .collect()
}

/// The MX host names that are safe to write into a policy file.
fn safe_hosts(hosts: &[String]) -> Vec<String> {
    hosts
        .iter()
        .filter_map(|h| crate::target::normalize_name(h))
        .collect()
}

/// What every MTA-STS finding of one domain shares, so the helpers below need not pass
/// the domain, its report and the fix inputs one by one.
struct Ctx<'a> {
    domain: &'a str,
    r: &'a MtaStsReport,
    /// The MX hosts safe to write into a corrected policy file.
    hosts: Vec<String>,
    now: OffsetDateTime,
}

impl Ctx<'_> {
    /// A finding about the whole domain (no single endpoint), as most MTA-STS findings are.
    fn find(
        &self,
        code: Code,
        severity: Severity,
        summary: String,
        ev: Vec<String>,
        fix: Fix,
    ) -> Finding {
        Finding::new(
            code,
            severity,
            self.domain.to_string(),
            Vec::new(),
            summary,
            ev,
            fix,
        )
    }
}

fn mta_sts(
    p: &DomainPolicy,
    domain: &str,
    r: &MtaStsReport,
    evidence: &[Evidence],
    per_endpoint: &mut [Vec<Finding>],
    now: OffsetDateTime,
) -> Vec<Finding> {
    let cx = Ctx {
        domain,
        r,
        hosts: safe_hosts(&crate::policy::mta_sts::mx_hosts(p)),
        now,
    };
    let record_line = r
        .record
        .as_ref()
        .map(|t| format!("_mta-sts.{domain} TXT \"{t}\""));
    if let Some(out) = record_findings(&cx, p.has_mx, evidence, &record_line) {
        return out;
    }
    let mut out = fetch_findings(&cx);
    let Some(policy) = &r.policy else {
        return out;
    };
    // The corrected files keep the domain's mode; a max_age the irregularity check accepts
    // (one week at least, RFC 8461 §3.2), the domain's own when it is longer.
    let mode = policy.mode.map(mode_text);
    let max_age = policy
        .max_age
        .unwrap_or(0)
        .max(crate::policy::mta_sts::MAX_AGE_SHORT);
    out.extend(policy_file_findings(&cx, mode, max_age));
    if !r.in_effect {
        return out;
    }
    if policy.mode == Some(Mode::None) {
        // `mode: none` withdraws MTA-STS (RFC 8461 §5): senders apply nothing, so no MX is
        // "outside" it, nothing is enforced, and there is nothing to move to enforce.
        out.push(cx.find(
            Code::MtaStsModeTesting,
            Severity::Info,
            format!("{domain} withdraws MTA-STS (policy mode none): senders drop any cached policy and deliver as if it published none"),
            record_line
                .iter()
                .cloned()
                .chain([format!("mode: none, max_age {}", policy.max_age.unwrap_or_default())])
                .collect(),
            fixes::mode_none(domain),
        ));
        return out;
    }
    let mode = mode.unwrap_or("testing");
    let outside: Vec<&str> =
        r.mx.iter()
            .filter(|m| m.pattern.is_none())
            .map(|m| m.host.as_str())
            .collect();
    out.extend(mx_mismatch_finding(
        &cx, policy, mode, max_age, &outside, evidence,
    ));
    let enforced = policy.mode == Some(Mode::Enforce);
    let failing = failing_endpoints(domain, enforced, evidence, per_endpoint);
    if !enforced {
        out.push(cx.find(
            Code::MtaStsModeTesting,
            Severity::Info,
            format!("the MTA-STS policy of {domain} is in testing mode: senders report failures but still deliver"),
            vec![format!("mode: {mode}")],
            fixes::mode_testing(domain),
        ));
    }
    if outside.is_empty() {
        let covered = Covered {
            policy,
            mode,
            max_age,
            enforced,
            failing: &failing,
        };
        out.push(covered_finding(&cx, record_line, &covered));
    }
    out
}

/// The findings about the `_mta-sts` TXT record, or `None` when it is valid. `Some` ends
/// the check: without a valid record senders never fetch the policy, so nothing after it
/// matters.
fn record_findings(
    cx: &Ctx,
    has_mx: bool,
    evidence: &[Evidence],
    record_line: &Option<String>,
) -> Option<Vec<Finding>> {
    let (domain, r, now) = (cx.domain, cx.r, cx.now);
    let mut out = Vec::new();
    match r.record_state {
        RecordState::Missing => {
            // Only a mail domain is expected to publish it (a host target is not), and only
            // once mail can reach it: advice on MTA-STS for a domain whose MX leads nowhere
            // would bury what is broken.
            if has_mx && receives_mail(domain, evidence) {
                out.push(cx.find(
                    Code::MtaStsMissing,
                    Severity::Info,
                    format!("{domain} publishes no MTA-STS: senders cannot tell a downgraded connection from a server without TLS"),
                    vec![format!("_mta-sts.{domain} has no TXT record starting v=STSv1;")],
                    fixes::missing(domain, &cx.hosts, now),
                ));
            }
        }
        RecordState::LookupFailed => {
            // Nothing is known: a note, neither for nor against the domain (senders whose
            // lookup fails keep a cached policy, RFC 8461 §5.1).
            out.push(cx.find(
                Code::PolicyLookupFailed,
                Severity::Info,
                format!("MTA-STS of {domain} could not be checked: the lookup of _mta-sts.{domain} failed"),
                lines(r, Part::Record, Gravity::Invalid),
                fixes::lookup_failed(&format!("_mta-sts.{domain}")),
            ));
        }
        RecordState::Invalid => {
            out.push(
                cx.find(
                    Code::MtaStsRecordInvalid,
                    Severity::Warn,
                    format!(
                        "the MTA-STS record of {domain} is invalid: senders ignore MTA-STS for it"
                    ),
                    record_line
                        .iter()
                        .cloned()
                        .chain(lines(r, Part::Record, Gravity::Invalid))
                        .collect(),
                    fixes::record_invalid(domain, now),
                ),
            );
        }
        RecordState::Valid => return None,
    }
    Some(out)
}

/// The findings about getting the policy file over HTTPS: a failed fetch, a fetch the
/// run's deadline cut short (not the server's fault), and an invalid certificate on
/// `mta-sts.<domain>`. Each of these leaves senders without the policy.
fn fetch_findings(cx: &Ctx) -> Vec<Finding> {
    let (domain, r) = (cx.domain, cx.r);
    let mut out = Vec::new();
    let fetch_problems = lines(r, Part::Fetch, Gravity::Invalid);
    if !fetch_problems.is_empty() {
        let kind = fetch_kind(r);
        let mut ev = vec![format!("GET {}", r.policy_url)];
        ev.extend(fetch_problems);
        out.push(cx.find(
            Code::MtaStsPolicyFetchFailed,
            Severity::Warn,
            format!("the MTA-STS policy of {domain} cannot be fetched: senders without a cached copy use none"),
            ev,
            fixes::fetch_failed(domain, kind),
        ));
    }
    if let Some(f) = r.fetch.as_ref().filter(|f| f.stopped_by_deadline) {
        // The run ran out of time, not the server: no finding against the domain.
        out.push(cx.find(
            Code::PolicyLookupFailed,
            Severity::Info,
            format!("the MTA-STS policy of {domain} was not checked: the run's deadline (--deadline) ended its fetch"),
            vec![
                format!("GET {}", r.policy_url),
                f.error.clone().unwrap_or_default(),
            ],
            fixes::deadline(domain),
        ));
    }
    let cert = lines(r, Part::Certificate, Gravity::Invalid);
    if !cert.is_empty() {
        out.push(cx.find(
            Code::MtaStsPolicyCertificateInvalid,
            Severity::Warn,
            format!(
                "the certificate of mta-sts.{domain} is not valid: senders do not use the policy"
            ),
            cert,
            fixes::certificate_invalid(domain),
        ));
    }
    out
}

/// The findings about the policy file's content: invalid (senders use none) and merely
/// irregular (it works, but something in the record or file is off). The corrected file
/// offered keeps `mode` and `max_age`.
fn policy_file_findings(cx: &Ctx, mode: Option<&str>, max_age: u64) -> Vec<Finding> {
    let (domain, r) = (cx.domain, cx.r);
    let mut out = Vec::new();
    let invalid = lines(r, Part::Policy, Gravity::Invalid);
    if !invalid.is_empty() {
        out.push(cx.find(
            Code::MtaStsPolicyInvalid,
            Severity::Warn,
            format!("the MTA-STS policy of {domain} is invalid: senders use none"),
            invalid,
            fixes::policy_invalid(domain, mode, &cx.hosts, max_age, cx.now),
        ));
    }
    let odd: Vec<String> = lines(r, Part::Record, Gravity::Irregular)
        .into_iter()
        .chain(lines(r, Part::Policy, Gravity::Irregular))
        .collect();
    if !odd.is_empty() {
        out.push(cx.find(
            Code::MtaStsPolicyIrregular,
            Severity::Info,
            format!("the MTA-STS record or policy of {domain} works, with irregularities"),
            odd,
            fixes::policy_irregular(domain),
        ));
    }
    out
}

/// The finding for MX hosts that match no `mx:` pattern of a policy in effect, if any.
/// It is the one MTA-STS finding tied to endpoints (those of the hosts outside), and a
/// FAIL under enforce because senders then refuse to deliver to them (RFC 8461 §4.1).
fn mx_mismatch_finding(
    cx: &Ctx,
    policy: &crate::policy::mta_sts::Policy,
    mode: &str,
    max_age: u64,
    outside: &[&str],
    evidence: &[Evidence],
) -> Option<Finding> {
    let domain = cx.domain;
    let severity = match policy.mode {
        Some(Mode::Enforce) => Severity::Fail,
        Some(Mode::Testing) => Severity::Warn,
        _ => return None,
    };
    if outside.is_empty() {
        return None;
    }
    let ids = evidence
        .iter()
        .filter(|e| {
            e.id.host.name().is_some_and(|n| {
                outside.contains(&n.trim_end_matches('.').to_ascii_lowercase().as_str())
            })
        })
        .map(|e| e.id.clone())
        .collect();
    let what = if severity == Severity::Fail {
        "senders that honour MTA-STS refuse to deliver to it"
    } else {
        "in enforce mode senders would refuse it; now they report it"
    };
    let mut ev: Vec<String> = outside
        .iter()
        .map(|h| format!("MX {h} matches no mx: pattern of the policy"))
        .collect();
    ev.push(format!("the policy lists: {}", policy.mx.join(", ")));
    Some(Finding::new(
        Code::MtaStsMxMismatch,
        severity,
        domain.to_string(),
        ids,
        format!(
            "MX host {} is not in {domain}'s MTA-STS policy ({mode}): {what}",
            outside.join(", ")
        ),
        ev,
        fixes::mx_mismatch(domain, mode, &cx.hosts, max_age, cx.now),
    ))
}

/// What [`covered_finding`] reports on: a policy in effect that covers every MX host.
struct Covered<'a> {
    policy: &'a crate::policy::mta_sts::Policy,
    mode: &'a str,
    max_age: u64,
    enforced: bool,
    /// MX hosts that fail the TLS or certificate check MTA-STS senders make.
    failing: &'a [String],
}

/// The summary finding for a policy that covers every MX host. It names the MX hosts that
/// still fail the TLS or certificate check senders make (RFC 8461 §4.2), since the policy
/// can be right while delivery to them is not: "nothing to change" would then be false.
fn covered_finding(cx: &Ctx, record_line: Option<String>, c: &Covered) -> Finding {
    let (domain, r, mode) = (cx.domain, cx.r, c.mode);
    let mut ev: Vec<String> = record_line.into_iter().collect();
    ev.push(format!(
        "mode {mode}, max_age {}, mx {}",
        c.max_age,
        c.policy.mx.join(", ")
    ));
    ev.extend(r.mx.iter().map(|m| {
        format!(
            "MX {} matches {}",
            m.host,
            m.pattern.as_deref().unwrap_or_default()
        )
    }));
    let (summary, fix) = if c.failing.is_empty() {
        (
            format!("{domain} publishes a valid MTA-STS policy ({mode}) that covers every MX host"),
            fixes::ok(domain),
        )
    } else {
        let hosts = c.failing.join(", ");
        ev.extend(c.failing.iter().map(|h| {
            format!("MX {h} fails the TLS or certificate check MTA-STS senders make (its own finding says why)")
        }));
        let what = if c.enforced {
            "senders that honour it refuse to deliver to"
        } else {
            "in testing, senders deliver but report failures for"
        };
        (
            format!(
                "{domain} publishes a valid MTA-STS policy ({mode}) that covers every MX host, but {what} {hosts}"
            ),
            fixes::ok_but_failing(domain, &safe_hosts(c.failing), c.enforced),
        )
    };
    cx.find(Code::MtaStsOk, Severity::Info, summary, ev, fix)
}

fn mode_text(m: Mode) -> &'static str {
    match m {
        Mode::Enforce => "enforce",
        Mode::Testing => "testing",
        Mode::None => "none",
    }
}

/// The certificate and TLS failures of an MX host that MTA-STS senders refuse (RFC 8461
/// §4.2: a PKIX-valid certificate for the MX name, over TLS).
const REFUSED_UNDER_ENFORCE: &[Code] = &[
    Code::CertExpired,
    Code::CertNotYetValid,
    Code::CertSelfSigned,
    Code::CertUntrusted,
    Code::CertChainIncomplete,
    Code::CertNameMismatch,
    Code::CertCommonNameOnly,
    Code::CertNoServerAuth,
    Code::StarttlsNotOffered,
    Code::TlsHandshakeFailed,
];

/// The MX hosts (lower case, in order, once each) whose certificate or TLS fails the check
/// MTA-STS senders make. Under an enforced policy each such failure also means those senders
/// do not deliver: said as evidence on the failure it already has.
fn failing_endpoints(
    domain: &str,
    enforced: bool,
    evidence: &[Evidence],
    per_endpoint: &mut [Vec<Finding>],
) -> Vec<String> {
    let mut failing: Vec<String> = Vec::new();
    for (e, own) in evidence.iter().zip(per_endpoint.iter_mut()) {
        let Some(host) = e.id.host.name() else {
            continue;
        };
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        for f in own
            .iter_mut()
            .filter(|f| REFUSED_UNDER_ENFORCE.contains(&f.code))
        {
            if enforced {
                f.evidence.push(format!(
                    "{domain} enforces MTA-STS: senders that honour it refuse to deliver to {host} until this is fixed (RFC 8461 §4.2)"
                ));
            }
            if !failing.contains(&host) {
                failing.push(host.clone());
            }
        }
    }
    failing
}

fn fetch_kind(r: &MtaStsReport) -> fixes::FetchFailure {
    use crate::diagnose::fixes::mta_sts::FetchFailure as K;
    use crate::fetch::{FetchError as E, Stage};
    let Some(f) = &r.fetch else {
        return K::Other;
    };
    // The advice follows how far the fetch got (RFC 8461 §3.3 asks for all of it).
    if let Some(e) = &f.failure {
        return match e {
            E::Redirect(_) => K::Redirect,
            E::TooLarge(_) => K::Size,
            E::Dns(_) | E::Url(_) => K::Dns,
            E::Connect(_) if f.address.is_none() => K::Connect,
            E::Connect(_) => K::Stalled,
            E::Tls(_) | E::Timeout(Stage::Handshake, _) => K::Tls,
            E::Timeout(Stage::Resolve, _) => K::Dns,
            E::Timeout(Stage::Connect, _) => K::Connect,
            E::Timeout(Stage::Response | Stage::Body, _) => K::Stalled,
            E::Timeout(Stage::SlowBody, _) => K::Slow,
            E::Malformed(_) | E::Deadline(..) => K::Other,
        };
    }
    match f.status {
        Some(s) if (300..400).contains(&s) => K::Redirect,
        Some(200) => K::ContentType,
        Some(_) => K::Status,
        None => K::Other,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::net::{IpAddr, Ipv4Addr};
    use std::time::{Duration, Instant};

    use super::*;
    use crate::dns::StaticResolver;
    use crate::fetch::{ConnectTo, FetchConfig};
    use crate::policy::{Answer, DnsResult, Dnssec, HostDane, MtaStsObservation, ResolverTrust};
    use crate::scripted::http::{HttpServer, Response};
    use crate::scripted::{Ca, LeafSpec, server_config};
    use crate::tls::TrustStore;

    const DOMAIN: &str = "contoso.test";
    const POLICY: &str =
        "version: STSv1\r\nmode: enforce\r\nmx: mx1.contoso.test\r\nmax_age: 1209600\r\n";

    fn txt(name: &str, records: &[&str]) -> DnsResult<String> {
        DnsResult {
            name: name.into(),
            dnssec: Dnssec::Indeterminate,
            answer: if records.is_empty() {
                Answer::NxDomain
            } else {
                Answer::Records(records.iter().map(|r| r.to_string()).collect())
            },
            cnames: Vec::new(),
        }
    }

    /// A domain whose MX is mx1.contoso.test, with these records, its policy served as
    /// `served` over https (trusted or not), fetched for real.
    async fn domain(
        sts: &[&str],
        tlsrpt: &[&str],
        served: Response,
        trusted: bool,
    ) -> (DomainPolicy, Vec<String>) {
        let now = time::OffsetDateTime::now_utc();
        let ca = Ca::root("Rules Root", now).unwrap();
        let leaf = ca
            .leaf(&LeafSpec::valid_for("mta-sts.contoso.test", now, 30))
            .unwrap();
        let routes = vec![("/.well-known/mta-sts.txt".to_string(), served)];
        let server = HttpServer::start(
            routes,
            Some(server_config(&leaf)),
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            0,
        )
        .await
        .unwrap();
        let trust = if trusted {
            TrustStore::from_certs([ca.der()], None)
        } else {
            TrustStore::from_certs([], None)
        };
        let cfg = FetchConfig {
            connect_to: vec![ConnectTo {
                host: format!("mta-sts.{DOMAIN}"),
                port: 443,
                to: server.addr,
            }],
            step_timeout: Duration::from_secs(2),
            trust,
        };
        let record = txt("_mta-sts.contoso.test", sts);
        let announced = !sts.is_empty();
        let url = format!("https://mta-sts.{DOMAIN}/.well-known/mta-sts.txt");
        let fetch = if announced {
            let deadline = Instant::now() + Duration::from_secs(5);
            Some(
                crate::fetch::get(
                    &url,
                    crate::fetch::Redirects::Never,
                    65536,
                    &cfg,
                    &StaticResolver::default(),
                    deadline,
                )
                .await,
            )
        } else {
            None
        };
        let p = DomainPolicy {
            domain: DOMAIN.into(),
            has_mx: true,
            resolver: ResolverTrust {
                server: String::new(),
                trusted: true,
                why: String::new(),
            },
            mx: None,
            mx_hosts: vec!["mx1.contoso.test".into()],
            dane: vec![HostDane {
                host: "mx1.contoso.test".into(),
                port: 25,
                addresses: Dnssec::Indeterminate,
                tlsa: None,
                base_domain: None,
                cnames: Vec::new(),
            }],
            mta_sts: Some(MtaStsObservation {
                txt: record,
                policy_url: url,
                fetch,
            }),
            tlsrpt: Some(txt("_smtp._tls.contoso.test", tlsrpt)),
        };
        (p, server.requests())
    }

    /// One endpoint of `p`'s domain that got as far as EHLO: the domain receives mail, so
    /// its missing records are worth a note.
    fn receiving(p: &DomainPolicy) -> Vec<Evidence> {
        let w = crate::diagnose::rules::tests::world();
        let mut obs = crate::diagnose::rules::tests::observed(
            "mx1.contoso.test",
            "mx1",
            Vec::new(),
            &w.trust,
        );
        obs.endpoint.via = Some(crate::model::Via {
            domain: p.domain.clone(),
            preference: 10,
        });
        let now = time::OffsetDateTime::now_utc();
        vec![Evidence::derive(obs, now)]
    }

    fn judged(p: &DomainPolicy) -> Vec<(String, Severity)> {
        let now = time::OffsetDateTime::now_utc();
        let e = receiving(p);
        rules(std::slice::from_ref(p), &e, &mut [Vec::new()], now)
            .into_iter()
            .map(|f| (f.code.as_str().to_string(), f.severity))
            .collect()
    }

    fn has(found: &[(String, Severity)], code: &str, severity: Severity) -> bool {
        found.iter().any(|(c, s)| c == code && *s == severity)
    }

    const RPT: &[&str] = &["v=TLSRPTv1; rua=mailto:tls@contoso.test"];

    #[tokio::test]
    async fn enforce_matching_is_ok() {
        let (p, _) = domain(
            &["v=STSv1; id=1"],
            RPT,
            Response::ok("text/plain", POLICY.as_bytes()),
            true,
        )
        .await;
        let f = judged(&p);
        assert!(has(&f, "mta-sts-ok", Severity::Info), "{f:?}");
        assert!(has(&f, "tlsrpt-ok", Severity::Info), "{f:?}");
        assert_eq!(f.len(), 2, "{f:?}");
    }

    #[tokio::test]
    async fn mismatch_fails_in_enforce_and_warns_in_testing() {
        let other = POLICY.replace("mx1.contoso.test", "*.mail.contoso.test");
        let (p, _) = domain(
            &["v=STSv1; id=1"],
            RPT,
            Response::ok("text/plain", other.as_bytes()),
            true,
        )
        .await;
        let now = time::OffsetDateTime::now_utc();
        let found = rules(std::slice::from_ref(&p), &[], &mut [], now);
        let m = found
            .iter()
            .find(|f| f.code == Code::MtaStsMxMismatch)
            .unwrap();
        assert_eq!(m.severity, Severity::Fail);
        let text: String = m.fix.steps.iter().map(|s| format!("{s:?}")).collect();
        assert!(text.contains("mx: mx1.contoso.test"), "{text}");
        assert!(text.contains("_mta-sts.contoso.test. IN TXT"), "{text}");
        assert!(!found.iter().any(|f| f.code == Code::MtaStsOk));
        let testing = other.replace("enforce", "testing");
        let (p, _) = domain(
            &["v=STSv1; id=1"],
            RPT,
            Response::ok("text/plain", testing.as_bytes()),
            true,
        )
        .await;
        let f = judged(&p);
        assert!(has(&f, "mta-sts-mx-mismatch", Severity::Warn), "{f:?}");
        assert!(has(&f, "mta-sts-mode-testing", Severity::Info), "{f:?}");
    }

    #[tokio::test]
    async fn a_redirect_is_a_fetch_failure_and_is_not_followed() {
        let (p, requests) = domain(
            &["v=STSv1; id=1"],
            RPT,
            Response::redirect(301, "https://elsewhere.test/p"),
            true,
        )
        .await;
        let f = judged(&p);
        assert!(
            has(&f, "mta-sts-policy-fetch-failed", Severity::Warn),
            "{f:?}"
        );
        assert_eq!(requests.len(), 1);
    }

    #[tokio::test]
    async fn status_type_certificate_and_syntax() {
        let (p, _) = domain(
            &["v=STSv1; id=1"],
            RPT,
            Response::status(404, "Not Found", &[], b""),
            true,
        )
        .await;
        assert!(has(
            &judged(&p),
            "mta-sts-policy-fetch-failed",
            Severity::Warn
        ));
        let (p, _) = domain(
            &["v=STSv1; id=1"],
            RPT,
            Response::ok("text/html", POLICY.as_bytes()),
            true,
        )
        .await;
        assert!(has(
            &judged(&p),
            "mta-sts-policy-fetch-failed",
            Severity::Warn
        ));
        let (p, _) = domain(
            &["v=STSv1; id=1"],
            RPT,
            Response::ok("text/plain", POLICY.as_bytes()),
            false,
        )
        .await;
        let f = judged(&p);
        assert!(
            has(&f, "mta-sts-policy-certificate-invalid", Severity::Warn),
            "{f:?}"
        );
        assert!(
            !f.iter()
                .any(|(c, _)| c == "mta-sts-ok" || c == "mta-sts-mx-mismatch"),
            "{f:?}"
        );
        let bad = POLICY.replace("mode: enforce", "mode: strict");
        let (p, _) = domain(
            &["v=STSv1; id=1"],
            RPT,
            Response::ok("text/plain", bad.as_bytes()),
            true,
        )
        .await;
        assert!(has(&judged(&p), "mta-sts-policy-invalid", Severity::Warn));
        let lf = POLICY.replace("\r\n", "\n");
        let (p, _) = domain(
            &["v=STSv1; id=1"],
            RPT,
            Response::ok("text/plain", lf.as_bytes()),
            true,
        )
        .await;
        let f = judged(&p);
        assert!(
            has(&f, "mta-sts-policy-irregular", Severity::Info)
                && has(&f, "mta-sts-ok", Severity::Info),
            "{f:?}"
        );
    }

    #[tokio::test]
    async fn records_missing_invalid_and_tlsrpt() {
        let (p, requests) = domain(
            &[],
            &[],
            Response::ok("text/plain", POLICY.as_bytes()),
            true,
        )
        .await;
        let f = judged(&p);
        assert!(
            has(&f, "mta-sts-missing", Severity::Info) && has(&f, "tlsrpt-missing", Severity::Info),
            "{f:?}"
        );
        assert!(requests.is_empty(), "no policy fetched without a record");
        let (p, _) = domain(
            &["v=STSv1; id=1", "v=STSv1; id=2"],
            &["v=TLSRPTv1;"],
            Response::ok("text/plain", POLICY.as_bytes()),
            true,
        )
        .await;
        let f = judged(&p);
        assert!(
            has(&f, "mta-sts-record-invalid", Severity::Warn)
                && has(&f, "tlsrpt-invalid", Severity::Warn),
            "{f:?}"
        );
        let mut host = p.clone();
        host.has_mx = false;
        host.mta_sts.as_mut().unwrap().txt = txt("_mta-sts.contoso.test", &[]);
        host.tlsrpt = Some(txt("_smtp._tls.contoso.test", &[]));
        assert!(judged(&host).is_empty(), "no missing findings without MX");
    }

    fn found(p: &DomainPolicy) -> Vec<Finding> {
        let e = receiving(p);
        rules(
            std::slice::from_ref(p),
            &e,
            &mut [Vec::new()],
            time::OffsetDateTime::now_utc(),
        )
    }

    #[tokio::test]
    async fn mode_none_is_a_withdrawal_not_testing() {
        // MX mx1 is not listed and max_age is a day: neither matters once withdrawn.
        let none = "version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n";
        let (p, _) = domain(
            &["v=STSv1; id=1"],
            RPT,
            Response::ok("text/plain", none.as_bytes()),
            true,
        )
        .await;
        let f = found(&p);
        let codes: Vec<&str> = f.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, ["mta-sts-mode-testing", "tlsrpt-ok"], "{f:#?}");
        let m = &f[0];
        assert_eq!(m.severity, Severity::Info);
        assert!(m.summary.contains("withdraws MTA-STS"), "{}", m.summary);
        let text = format!("{} {:?}", m.summary, m.fix.steps);
        assert!(
            !text.contains("report failures") && !text.contains("set `mode: enforce`"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn a_fetch_cut_by_the_deadline_is_a_note_not_a_finding() {
        let (mut p, _) = domain(
            &["v=STSv1; id=1"],
            RPT,
            Response::ok("text/plain", POLICY.as_bytes()),
            true,
        )
        .await;
        let fetch = p.mta_sts.as_mut().unwrap().fetch.as_mut().unwrap();
        fetch.tls = None;
        fetch.outcome = Err(crate::fetch::FetchError::Deadline(
            crate::fetch::Stage::Response,
            "connected to 127.0.0.1:443, TLS 1.3 done, request sent, no HTTP status line yet"
                .into(),
        ));
        let f = found(&p);
        let codes: Vec<&str> = f.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, ["policy-lookup-failed", "tlsrpt-ok"], "{f:#?}");
        assert_eq!(f[0].severity, Severity::Info);
        assert!(f[0].summary.contains("deadline"), "{}", f[0].summary);
        let r = crate::policy::mta_sts::report(&p).unwrap();
        assert!(r.fetch.unwrap().stopped_by_deadline);
    }

    #[tokio::test]
    async fn failed_lookups_are_said_as_notes() {
        let (mut p, _) = domain(
            &["v=STSv1; id=1"],
            RPT,
            Response::ok("text/plain", POLICY.as_bytes()),
            true,
        )
        .await;
        let failed = |name: &str| DnsResult {
            name: name.into(),
            dnssec: Dnssec::Indeterminate,
            answer: Answer::Failed("SERVFAIL".into()),
            cnames: Vec::new(),
        };
        let sts = p.mta_sts.as_mut().unwrap();
        sts.txt = failed("_mta-sts.contoso.test");
        sts.fetch = None;
        p.tlsrpt = Some(failed("_smtp._tls.contoso.test"));
        let f = found(&p);
        assert_eq!(f.len(), 2, "{f:#?}");
        for (f, what) in f.iter().zip(["MTA-STS", "TLS-RPT"]) {
            assert_eq!(
                (f.code, f.severity),
                (Code::PolicyLookupFailed, Severity::Info)
            );
            assert!(
                f.summary
                    .starts_with(&format!("{what} of contoso.test could not be checked")),
                "{}",
                f.summary
            );
            assert!(
                f.evidence.iter().any(|e| e.contains("SERVFAIL")),
                "{:?}",
                f.evidence
            );
        }
    }

    /// The policy file a fix writes (its printf line), as the server would serve it.
    fn written(fix: &crate::diagnose::Fix) -> String {
        let text = format!("{:?}", fix.steps);
        let start = text.find("printf '").unwrap() + 8;
        let end = start + text[start..].find('\'').unwrap();
        text[start..end].replace("\\\\r\\\\n", "\r\n")
    }

    #[tokio::test]
    async fn corrected_policies_pass_the_tools_own_checks_and_keep_the_mode() {
        use crate::policy::mta_sts::parse_policy;
        // An enforce policy with an MX outside it and a day's max_age; one with a bad line.
        let outside = POLICY
            .replace("mx1.contoso.test", "*.mail.contoso.test")
            .replace("1209600", "86400");
        let broken = POLICY.replace("max_age: 1209600", "max_age: 99999999999");
        for (served, code) in [
            (outside, Code::MtaStsMxMismatch),
            (broken, Code::MtaStsPolicyInvalid),
        ] {
            let (p, _) = domain(
                &["v=STSv1; id=1"],
                RPT,
                Response::ok("text/plain", served.as_bytes()),
                true,
            )
            .await;
            let f = found(&p);
            let fix = &f.iter().find(|f| f.code == code).unwrap().fix;
            let file = written(fix);
            let (policy, problems) = parse_policy(file.as_bytes());
            assert!(problems.is_empty(), "{file:?}: {problems:?}");
            assert_eq!(policy.mode, Some(Mode::Enforce), "{file:?}");
            assert_eq!(
                policy.max_age,
                Some(crate::policy::mta_sts::MAX_AGE_SHORT),
                "{file:?}"
            );
        }
        let (p, _) = domain(&[], &[], Response::Silent, true).await;
        let f = found(&p);
        let fix = &f
            .iter()
            .find(|f| f.code == Code::MtaStsMissing)
            .unwrap()
            .fix;
        let (_, problems) = parse_policy(written(fix).as_bytes());
        assert!(problems.is_empty(), "{problems:?}");
    }
}
