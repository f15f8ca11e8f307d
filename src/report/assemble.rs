//! From what DNS said and what the rules found to the parts of the report DTO that summarise:
//! each mail host's verdict and the cause that decides it.

use std::net::IpAddr;

use super::{MxReport, Verdict};
use crate::diagnose::{self, Finding, Severity};
use crate::dns::route::{Lookup, Route};
use crate::evidence::Evidence;
use crate::model::EndpointId;

/// The verdict of every mail host, from its DNS findings and the findings of its endpoints
/// (before they are merged across endpoints). `host_findings[r][h]` are the DNS findings of
/// host `h` of route `r`; `per_endpoint[i]` are the findings of `evidence[i]`.
pub fn mx_reports(
    routes: &[Route],
    host_findings: &[Vec<Vec<Finding>>],
    evidence: &[Evidence],
    per_endpoint: &[Vec<Finding>],
    cross: &[Finding],
) -> Vec<MxReport> {
    let mut out = Vec::new();
    for (r, per_host) in routes.iter().zip(host_findings) {
        if !matches!(r.lookup, Lookup::Mx | Lookup::Implicit) {
            continue;
        }
        for (h, dns) in r.hosts.iter().zip(per_host) {
            // By host and address, not by domain: a probe shared by two domains counts for both.
            let mine =
                |e: &Evidence| e.id.host == h.host && h.addresses.contains(&e.id.address.ip());
            let ids: Vec<&EndpointId> =
                evidence.iter().filter(|e| mine(e)).map(|e| &e.id).collect();
            let mut fs: Vec<Finding> = dns.clone();
            for (e, f) in evidence.iter().zip(per_endpoint) {
                if mine(e) {
                    fs.extend(f.iter().cloned());
                }
            }
            // A comparison that lies within this host is the host's. One that spans hosts
            // belongs to none of them, except an inconclusive one (port25-blocked-here: this
            // network, not the servers): it leaves every host it touches unknown, or a host
            // would claim a verdict for a port that was never reached.
            fs.extend(
                cross
                    .iter()
                    .filter(|f| {
                        f.endpoints.iter().all(|id| ids.contains(&id))
                            || (f.code.inconclusive()
                                && f.endpoints.iter().any(|id| ids.contains(&id)))
                    })
                    .cloned(),
            );
            diagnose::rank(&mut fs);
            out.push(MxReport {
                domain: r.name.clone(),
                preference: h.preference.unwrap_or(0),
                exchange: h.host.to_string(),
                implicit: r.lookup == Lookup::Implicit,
                addresses: h.addresses.iter().map(IpAddr::to_string).collect(),
                verdict: Verdict::from_findings(&fs),
                cause: cause(&fs, &h.host.to_string()),
            });
        }
    }
    out
}

/// The first finding that matters, said with where it is.
fn cause(ranked: &[Finding], host: &str) -> Option<String> {
    ranked
        .iter()
        .find(|f| f.severity > Severity::Info || f.code.inconclusive())
        .map(|f| match f.endpoints.len() {
            // DNS findings name their host in the summary already.
            0 => f.summary.clone(),
            1 => format!("{}: {}", f.endpoint, f.summary),
            _ => format!("{host}: {}", f.summary),
        })
}

/// Orders findings for the reader: worst first; within a severity, by the first endpoint they
/// concern in report order (MX preference, address, port; findings about names before any
/// endpoint), so the headline's cause leads; then causes before symptoms (the catalogue rank,
/// a symptom right after the finding that explains it).
pub fn order_for_reading(findings: &mut [Finding], run: &[EndpointId]) {
    let place = |f: &Finding| {
        f.endpoints
            .iter()
            .filter_map(|id| run.iter().position(|x| x == id))
            .min()
            .map_or(0, |p| p + 1)
    };
    let keys: Vec<(usize, u16)> = findings
        .iter()
        .map(|f| (place(f), diagnose::effective_rank(f, findings)))
        .collect();
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by(|&a, &b| {
        findings[b]
            .severity
            .cmp(&findings[a].severity)
            .then(keys[a].cmp(&keys[b]))
    });
    let sorted: Vec<Finding> = order.iter().map(|&i| findings[i].clone()).collect();
    findings.clone_from_slice(&sorted);
}
