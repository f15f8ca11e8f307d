//! The merge of findings that several endpoints share, so a report says "all 4 endpoints"
//! once. Findings merge when they have the same code, severity and summary and a fix with the
//! same identity (family, template, values): never by comparing fix prose.

use super::Finding;
use crate::model::EndpointId;

/// One endpoint and its own evidence for a merged finding.
type Member = (Option<EndpointId>, Vec<String>);

/// Whether `b` can be said together with `a`.
fn same(a: &Finding, b: &Finding) -> bool {
    a.code == b.code
        && a.severity == b.severity
        && a.summary == b.summary
        && a.fix.key == b.fix.key
        && !a.endpoints.is_empty()
        && !b.endpoints.is_empty()
}

/// The evidence of a merged finding: lines every member saw as they are, the rest attributed
/// to the endpoint that saw them.
fn merged_evidence(members: &[Member]) -> Vec<String> {
    let shared = |line: &String| members.iter().all(|(_, ev)| ev.contains(line));
    let mut evidence: Vec<String> = Vec::new();
    for (id, ev) in members {
        for line in ev {
            let line = match id {
                Some(id) if !shared(line) => format!("{id}: {line}"),
                _ => line.clone(),
            };
            if !evidence.contains(&line) {
                evidence.push(line);
            }
        }
    }
    evidence
}

/// How a merged finding names its endpoints: `all 4 endpoints`, `all 2 endpoints of mx1`,
/// `3 endpoints of mx1`, `3 endpoints`.
fn group_name(members: &[EndpointId], run: &[EndpointId]) -> String {
    let n = members.len();
    let one_host = members.windows(2).all(|w| w[0].host == w[1].host);
    if n == run.len() {
        format!("all {n} endpoints")
    } else if let (true, Some(first)) = (one_host, members.first()) {
        let of_host = run.iter().filter(|x| x.host == first.host).count();
        if of_host == n {
            format!("all {n} endpoints of {}", first.host)
        } else {
            format!("{n} endpoints of {}", first.host)
        }
    } else {
        format!("{n} endpoints")
    }
}

/// Merges findings that several endpoints share into one that lists them all. `run` is every
/// endpoint of the report, in report order.
pub fn merge_shared(findings: Vec<Finding>, run: &[EndpointId]) -> Vec<Finding> {
    let mut merged: Vec<(Finding, Vec<Member>)> = Vec::new();
    for f in findings {
        let member = (f.endpoints.first().cloned(), f.evidence.clone());
        match merged.iter_mut().find(|(m, _)| same(m, &f)) {
            Some((m, members)) => {
                for id in f.endpoints {
                    if !m.endpoints.contains(&id) {
                        m.endpoints.push(id);
                    }
                }
                members.push(member);
            }
            None => merged.push((f, vec![member])),
        }
    }
    merged
        .into_iter()
        .map(|(mut m, members)| {
            if members.len() > 1 {
                m.evidence = merged_evidence(&members);
            }
            if m.endpoints.len() > 1 && !m.code.is_cross_endpoint() {
                m.endpoints
                    .sort_by_key(|id| run.iter().position(|x| x == id));
                m.endpoint = group_name(&m.endpoints, run);
            }
            m
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::fix::{Family, Fix};
    use crate::diagnose::{Code, Severity};
    use crate::model::TlsMode;
    use crate::target::Host;

    fn id(host: &str, ip: &str) -> EndpointId {
        EndpointId {
            host: Host::Name(host.into()),
            address: format!("{ip}:25").parse().unwrap(),
            tls_mode: TlsMode::Starttls,
        }
    }

    fn f(code: Code, on: Option<&EndpointId>, summary: &str, evidence: &str) -> Finding {
        Finding::new(
            code,
            code.default_severity(),
            on.map_or_else(|| "a (port 25)".to_string(), EndpointId::label),
            on.into_iter().cloned().collect(),
            summary.into(),
            vec![evidence.into()],
            Fix::new(Family::Generic, "test::fix", &[]).say("fix"),
        )
    }

    fn run() -> Vec<EndpointId> {
        vec![
            id("mx1.contoso.test", "192.0.2.1"),
            id("mx1.contoso.test", "192.0.2.2"),
            id("mx2.contoso.test", "192.0.2.3"),
        ]
    }

    #[test]
    fn shared_findings_merge_with_every_endpoint_and_evidence_listed() {
        let l = run();
        let merged = merge_shared(
            vec![
                f(Code::CertExpired, Some(&l[0]), "expired", "seen on .1"),
                f(Code::CertExpired, Some(&l[1]), "expired", "seen on .2"),
                f(Code::CertExpired, Some(&l[2]), "expired", "seen on .2"),
                f(Code::StarttlsOk, Some(&l[0]), "works", "x"),
            ],
            &l,
        );
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].endpoint, "all 3 endpoints");
        assert_eq!(merged[0].endpoints.len(), 3);
        assert_eq!(
            merged[0].evidence,
            [
                format!("{}: seen on .1", l[0]),
                format!("{}: seen on .2", l[1]),
                format!("{}: seen on .2", l[2])
            ],
            "evidence particular to one endpoint stays attributed to it"
        );
        assert_eq!(
            merged[1].endpoint,
            l[0].label(),
            "a single endpoint keeps its label"
        );
    }

    #[test]
    fn a_subset_of_one_host_is_named_by_the_host_and_different_summaries_stay_apart() {
        let l = run();
        let merged = merge_shared(
            vec![
                f(Code::BannerTimeout, Some(&l[0]), "silent", "a"),
                f(Code::BannerTimeout, Some(&l[1]), "silent", "b"),
                f(Code::CertExpired, Some(&l[2]), "expired 3 days ago", "c"),
                f(Code::CertExpired, Some(&l[1]), "expired 4 days ago", "d"),
            ],
            &l,
        );
        assert_eq!(merged[0].endpoint, "all 2 endpoints of mx1.contoso.test");
        assert_eq!(merged.len(), 3);
        assert!(merged.iter().all(|m| m.severity == Severity::Fail));
    }

    #[test]
    fn findings_without_endpoints_are_never_merged() {
        let merged = merge_shared(
            vec![
                f(Code::DnsMxNoAddress, None, "same", "x"),
                f(Code::DnsMxNoAddress, None, "same", "x"),
            ],
            &run(),
        );
        assert_eq!(merged.len(), 2);
    }

    #[test]
    fn fixes_with_different_identities_stay_apart_even_with_equal_text() {
        let l = run();
        let mut a = f(Code::CertExpired, Some(&l[0]), "expired", "x");
        let mut b = f(Code::CertExpired, Some(&l[1]), "expired", "x");
        a.fix.key.template = "postfix::install_certificate";
        b.fix.key.template = "exchange::install_certificate";
        assert_eq!(merge_shared(vec![a, b], &l).len(), 2);
    }
}
