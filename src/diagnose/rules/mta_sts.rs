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

use crate::diagnose::fixes::mta_sts as fixes;
use crate::diagnose::{Code, Finding, Severity};
use crate::evidence::Evidence;
use crate::policy::DomainPolicy;
use crate::policy::mta_sts::{Gravity, Mode, MtaStsReport, Part, RecordState};
use crate::policy::tlsrpt::TlsRptState;

/// The MTA-STS and TLS-RPT findings of `policies`; per-endpoint findings go to
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
                TlsRptState::Missing if p.has_mx => out.push(find(
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
                TlsRptState::Missing | TlsRptState::LookupFailed => {}
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

fn mta_sts(
    p: &DomainPolicy,
    domain: &str,
    r: &MtaStsReport,
    evidence: &[Evidence],
    per_endpoint: &mut [Vec<Finding>],
    now: OffsetDateTime,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let hosts = safe_hosts(&crate::policy::mta_sts::mx_hosts(p));
    let find = |code, severity, summary: String, ev: Vec<String>, fix| {
        Finding::new(
            code,
            severity,
            domain.to_string(),
            Vec::new(),
            summary,
            ev,
            fix,
        )
    };
    let record_line = r
        .record
        .as_ref()
        .map(|t| format!("_mta-sts.{domain} TXT \"{t}\""));
    match r.record_state {
        RecordState::Missing => {
            // Only a mail domain is expected to publish it; a host target is not.
            if p.has_mx {
                out.push(find(
                    Code::MtaStsMissing,
                    Severity::Info,
                    format!("{domain} publishes no MTA-STS: senders cannot tell a downgraded connection from a server without TLS"),
                    vec![format!("_mta-sts.{domain} has no TXT record starting v=STSv1;")],
                    fixes::missing(domain, &hosts, now),
                ));
            }
            return out;
        }
        RecordState::LookupFailed => return out,
        RecordState::Invalid => {
            out.push(find(
                Code::MtaStsRecordInvalid,
                Severity::Warn,
                format!("the MTA-STS record of {domain} is invalid: senders ignore MTA-STS for it"),
                record_line
                    .iter()
                    .cloned()
                    .chain(lines(r, Part::Record, Gravity::Invalid))
                    .collect(),
                fixes::record_invalid(domain, now),
            ));
            return out;
        }
        RecordState::Valid => {}
    }
    let fetch_problems = lines(r, Part::Fetch, Gravity::Invalid);
    if !fetch_problems.is_empty() {
        let kind = fetch_kind(r);
        let mut ev = vec![format!("GET {}", r.policy_url)];
        ev.extend(fetch_problems);
        out.push(find(
            Code::MtaStsPolicyFetchFailed,
            Severity::Warn,
            format!("the MTA-STS policy of {domain} cannot be fetched: senders without a cached copy use none"),
            ev,
            fixes::fetch_failed(domain, kind),
        ));
    }
    let cert = lines(r, Part::Certificate, Gravity::Invalid);
    if !cert.is_empty() {
        out.push(find(
            Code::MtaStsPolicyCertificateInvalid,
            Severity::Warn,
            format!(
                "the certificate of mta-sts.{domain} is not valid: senders do not use the policy"
            ),
            cert,
            fixes::certificate_invalid(domain),
        ));
    }
    let Some(policy) = &r.policy else {
        return out;
    };
    let mode = policy.mode.map_or("testing", mode_text);
    let max_age = policy.max_age.unwrap_or(86_400);
    let invalid = lines(r, Part::Policy, Gravity::Invalid);
    if !invalid.is_empty() {
        out.push(find(
            Code::MtaStsPolicyInvalid,
            Severity::Warn,
            format!("the MTA-STS policy of {domain} is invalid: senders use none"),
            invalid,
            fixes::policy_invalid(domain, mode, &hosts, max_age, now),
        ));
    }
    let odd: Vec<String> = lines(r, Part::Record, Gravity::Irregular)
        .into_iter()
        .chain(lines(r, Part::Policy, Gravity::Irregular))
        .collect();
    if !odd.is_empty() {
        out.push(find(
            Code::MtaStsPolicyIrregular,
            Severity::Info,
            format!("the MTA-STS record or policy of {domain} works, with irregularities"),
            odd,
            fixes::policy_irregular(domain),
        ));
    }
    if !r.in_effect {
        return out;
    }
    let outside: Vec<&str> =
        r.mx.iter()
            .filter(|m| m.pattern.is_none())
            .map(|m| m.host.as_str())
            .collect();
    let severity = match policy.mode {
        Some(Mode::Enforce) => Some(Severity::Fail),
        Some(Mode::Testing) => Some(Severity::Warn),
        _ => None,
    };
    if let (Some(severity), false) = (severity, outside.is_empty()) {
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
        out.push(Finding::new(
            Code::MtaStsMxMismatch,
            severity,
            domain.to_string(),
            ids,
            format!(
                "MX host {} is not in {domain}'s MTA-STS policy ({mode}): {what}",
                outside.join(", ")
            ),
            ev,
            fixes::mx_mismatch(domain, mode, &hosts, max_age, now),
        ));
    }
    if policy.mode == Some(Mode::Enforce) {
        enforced_endpoints(domain, evidence, per_endpoint);
    } else {
        out.push(find(
            Code::MtaStsModeTesting,
            Severity::Info,
            format!("the MTA-STS policy of {domain} is in {mode} mode: senders report failures but still deliver"),
            vec![format!("mode: {mode}")],
            fixes::mode_testing(domain, mode),
        ));
    }
    if outside.is_empty() {
        let mut ev: Vec<String> = record_line.into_iter().collect();
        ev.push(format!(
            "mode {mode}, max_age {max_age}, mx {}",
            policy.mx.join(", ")
        ));
        ev.extend(r.mx.iter().map(|m| {
            format!(
                "MX {} matches {}",
                m.host,
                m.pattern.as_deref().unwrap_or_default()
            )
        }));
        out.push(find(
            Code::MtaStsOk,
            Severity::Info,
            format!("{domain} publishes a valid MTA-STS policy ({mode}) that covers every MX host"),
            ev,
            fixes::ok(domain),
        ));
    }
    out
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

/// Under an enforced policy, each MX endpoint's certificate (or TLS) failure also means MTA-STS
/// senders do not deliver: said as evidence on the failure it already has.
fn enforced_endpoints(domain: &str, evidence: &[Evidence], per_endpoint: &mut [Vec<Finding>]) {
    for (e, own) in evidence.iter().zip(per_endpoint.iter_mut()) {
        let Some(host) = e.id.host.name() else {
            continue;
        };
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        for f in own
            .iter_mut()
            .filter(|f| REFUSED_UNDER_ENFORCE.contains(&f.code))
        {
            f.evidence.push(format!(
                "{domain} enforces MTA-STS: senders that honour it refuse to deliver to {host} until this is fixed (RFC 8461 §4.2)"
            ));
        }
    }
}

fn fetch_kind(r: &MtaStsReport) -> fixes::FetchFailure {
    use crate::diagnose::fixes::mta_sts::FetchFailure as K;
    let Some(f) = &r.fetch else {
        return K::Other;
    };
    if let Some(e) = &f.error {
        return if e.starts_with("redirect") {
            K::Redirect
        } else if e.contains("larger than") {
            K::Size
        } else if f.address.is_none() && !e.starts_with("cannot connect") {
            K::Dns
        } else if f.status.is_none()
            && (e.starts_with("cannot connect")
                || e.starts_with("TLS")
                || e.starts_with("no answer"))
        {
            K::Connect
        } else {
            K::Other
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
            dane: vec![HostDane {
                host: "mx1.contoso.test".into(),
                port: 25,
                addresses: Dnssec::Indeterminate,
                tlsa: None,
                base_domain: None,
                cnames: vec![],
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

    fn judged(p: &DomainPolicy) -> Vec<(String, Severity)> {
        let now = time::OffsetDateTime::now_utc();
        rules(std::slice::from_ref(p), &[], &mut [], now)
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
}
