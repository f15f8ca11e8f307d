//! Rules across endpoints: what no single probe can see. Nodes behind one MX name that serve
//! different certificates (the intermittent `450 4.7.320 SubjectMismatch` behind a load
//! balancer), MX hosts of one domain that disagree on STARTTLS or the TLS version, and a host
//! that offers STARTTLS on one port but not on another. Also the merge of findings that
//! several endpoints share, so a report says "all 4 endpoints" once.
//!
//! # References
//! - RFC 5321 §5.1 (senders try MX hosts in preference order and move on after a failure)
//! - RFC 3207 §4 (STARTTLS is advertised per session: each listener decides for itself)

use std::collections::BTreeMap;

use crate::cert::{CertInfo, NameMatch, name_match};
use crate::diagnose::fixes::generic::{list, ports_words};
use crate::diagnose::fixes::{self, Differs, generic};
use crate::diagnose::{Code, Finding, ServerKind, Severity};
use crate::evidence::Evidence;
use crate::model::TlsMode;
use crate::target::Host;

/// One endpoint as compared: its evidence.
type Seen = Evidence;

/// The address probed, as text.
fn ip(m: &Seen) -> String {
    m.obs.endpoint.address.ip().to_string()
}

fn cert_words(c: &CertInfo) -> String {
    let how = if c.self_signed {
        "self-signed".to_string()
    } else {
        format!("issued by {}", c.issuer)
    };
    let expired = if c.expired { ", EXPIRED" } else { "" };
    format!(
        "{} ({how}{expired}, expires {}, SHA-256 {}…)",
        c.subject,
        &c.not_after[..10],
        &c.sha256[..c.sha256.len().min(23)]
    )
}

/// One aspect compared across a group: the distinct values, each with its members.
struct Split<'s> {
    reference: Vec<&'s Seen>,
    odd: Vec<&'s Seen>,
}

/// Splits `members` by `key` into the reference value and the odd ones out. The reference is
/// the healthy value when there is one (`better`: a trusted certificate, STARTTLS offered,
/// the newest TLS version), even when most nodes are broken: the fix copies the reference
/// onto the odd nodes, never the other way round. Among equally healthy values, the most
/// common wins. `None` when all agree.
fn split<'s, K: Ord + Clone>(
    members: &[&'s Seen],
    key: impl Fn(&Seen) -> Option<K>,
    better: impl Fn(&Seen) -> bool,
) -> Option<Split<'s>> {
    let mut by: BTreeMap<K, Vec<&'s Seen>> = BTreeMap::new();
    for m in members {
        if let Some(k) = key(m) {
            by.entry(k).or_default().push(m);
        }
    }
    if by.len() < 2 {
        return None;
    }
    let (ref_key, _) = by
        .iter()
        .max_by_key(|(_, v)| (v.iter().any(|m| better(m)), v.len()))?;
    let ref_key = ref_key.clone();
    let reference = by.remove(&ref_key).unwrap_or_default();
    let mut odd: Vec<&Seen> = by.into_values().flatten().collect();
    odd.sort_by_key(|m| members.iter().position(|x| std::ptr::eq(*x, *m)));
    Some(Split { reference, odd })
}

/// `mx2.contoso.com [203.0.113.9]` or `mx2.contoso.com [203.0.113.9, 203.0.113.10]`.
fn who(host: &str, odd: &[&Seen]) -> String {
    let ips: Vec<String> = odd.iter().map(|m| ip(m)).collect();
    format!("{host} [{}]", ips.join(", "))
}

/// `the other address` / `the other 3 addresses`.
fn others(n: usize) -> String {
    if n == 1 {
        "the other address".into()
    } else {
        format!("the other {n} addresses")
    }
}

/// Picks the singular or plural verb form for `n` subjects.
fn verb<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// How the nodes behind one host compare, one aspect after the other.
#[derive(Default)]
struct Comparison<'s> {
    evidence: Vec<String>,
    /// The first aspect that differs words the summary.
    summary: Option<String>,
    /// The odd nodes, every aspect together, in report order (with repeats).
    odd: Vec<&'s Seen>,
    /// The certificate of the reference nodes.
    good_cert: Option<CertInfo>,
    /// The first aspect that fails some senders.
    differs: Option<Differs>,
    severity: Option<Severity>,
}

/// STARTTLS offered by some nodes and not by others: senders that require TLS fail on the
/// odd ones.
fn compare_starttls<'s>(host: &str, port: u16, group: &[&'s Seen], c: &mut Comparison<'s>) {
    let Some(s) = split(group, |m| m.starttls, |m| m.starttls == Some(true)) else {
        return;
    };
    let offered = s.reference[0].starttls == Some(true);
    let word = |b: bool| if b { "offered" } else { "NOT offered" };
    for m in &s.odd {
        c.evidence
            .push(format!("{}: STARTTLS {}", m.label, word(!offered)));
    }
    c.evidence.push(format!(
        "{}: STARTTLS {}",
        others(s.reference.len()),
        word(offered)
    ));
    let (n, r) = (s.odd.len(), s.reference.len());
    c.summary.get_or_insert(if offered {
        format!(
            "{} {} not offer STARTTLS on port {port}; {} {}",
            who(host, &s.odd),
            verb(n, "does", "do"),
            others(r),
            verb(r, "does", "do")
        )
    } else {
        format!(
            "{} {} STARTTLS on port {port}; {} {} not",
            who(host, &s.odd),
            verb(n, "offers", "offer"),
            others(r),
            verb(r, "does", "do")
        )
    });
    c.differs.get_or_insert(Differs::Starttls);
    c.severity = Some(Severity::Warn);
    c.odd.extend(s.odd);
}

/// A trusted, current certificate.
fn healthy_cert(m: &Seen) -> bool {
    m.trusted && m.leaf().is_some_and(|c| !c.expired)
}

/// Different certificates: the odd node still serves a self-signed, expired or other one.
fn compare_certificates<'s>(host: &str, group: &[&'s Seen], c: &mut Comparison<'s>) {
    let Some(s) = split(group, |m| m.leaf().map(|c| c.sha256.clone()), healthy_cert) else {
        return;
    };
    let good = s.reference[0].leaf().cloned();
    for m in &s.odd {
        if let Some(cert) = m.leaf() {
            c.evidence
                .push(format!("{}: {}", m.label, cert_words(cert)));
        }
    }
    if let Some(cert) = &good {
        c.evidence.push(format!(
            "{}: {}",
            others(s.reference.len()),
            cert_words(cert)
        ));
    }
    // Different certificates that are all trusted and current break nothing today (only
    // a DANE pin, or the next renewal of one of them): worth knowing, not a warning.
    let benign = group
        .iter()
        .filter(|m| m.leaf().is_some())
        .all(|m| healthy_cert(m));
    if benign {
        c.summary.get_or_insert(format!(
            "the {} addresses of {host} present different certificates, all trusted and current",
            group.len()
        ));
    } else {
        let what = s.odd.first().and_then(|m| m.leaf()).map(odd_certificate);
        let reference = good
            .as_ref()
            .map(|c| format!(" {}", c.subject))
            .unwrap_or_default();
        let (n, r) = (s.odd.len(), s.reference.len());
        c.summary.get_or_insert(format!(
            "{} still {} {}; {} {}{reference}",
            who(host, &s.odd),
            verb(n, "presents", "present"),
            what.unwrap_or_default(),
            others(r),
            verb(r, "presents", "present"),
        ));
        c.differs.get_or_insert(Differs::Certificate);
        c.severity = Some(Severity::Warn);
    }
    c.good_cert = good;
    c.odd.extend(s.odd);
}

/// How the summary names the certificate of an odd node.
fn odd_certificate(c: &CertInfo) -> String {
    if c.self_signed {
        format!("the self-signed certificate {}", c.subject)
    } else if c.expired {
        format!("the expired certificate {}", c.subject)
    } else {
        format!("another certificate ({})", c.subject)
    }
}

/// Different TLS versions: what fails nobody today, but is not what senders get elsewhere.
fn compare_versions<'s>(host: &str, group: &[&'s Seen], c: &mut Comparison<'s>) {
    let newest = group.iter().filter_map(|m| m.version).max();
    let Some(s) = split(group, |m| m.version, |m| m.version == newest) else {
        return;
    };
    let label = |m: &Seen| m.version.map(|v| v.label()).unwrap_or_default();
    let reference = label(s.reference[0]);
    for m in &s.odd {
        c.evidence.push(format!(
            "{}: {} ({}: {reference})",
            m.label,
            label(m),
            others(s.reference.len())
        ));
    }
    c.summary.get_or_insert(format!(
        "{} {} {}; {} {reference}",
        who(host, &s.odd),
        verb(s.odd.len(), "negotiates", "negotiate"),
        label(s.odd[0]),
        others(s.reference.len()),
    ));
    c.differs.get_or_insert(Differs::Version);
    c.odd.extend(s.odd);
}

/// Endpoints of one host and port (several addresses) that disagree.
fn within_host(group: &[&Seen], out: &mut Vec<Finding>) {
    let Some(first) = group.first() else { return };
    let host = first.obs.endpoint.host.to_string();
    let port = first.port();
    let mut c = Comparison::default();
    compare_starttls(&host, port, group, &mut c);
    compare_certificates(&host, group, &mut c);
    compare_versions(&host, group, &mut c);
    let Some(summary) = c.summary else { return };
    let mut unique: Vec<&Seen> = Vec::new();
    for m in c.odd {
        if !unique.iter().any(|u| std::ptr::eq(*u, m)) {
            unique.push(m);
        }
    }
    let kind = unique
        .iter()
        .chain(group.iter())
        .map(|m| m.kind)
        .find(|k| *k != ServerKind::Unknown)
        .unwrap_or(ServerKind::Unknown);
    let odd_ips: Vec<String> = unique.iter().map(|m| ip(m)).collect();
    let fix = match c.differs {
        Some(d) => fixes::align_nodes(kind, &host, &odd_ips.join(", "), d, c.good_cert.as_ref()),
        None => generic::one_certificate_for_all_nodes(&host),
    };
    // Only a different STARTTLS setting or a broken certificate fails some senders; a newer
    // TLS version on some nodes, or different valid certificates, fails none.
    out.push(Finding::new(
        Code::EndpointsInconsistent,
        c.severity.unwrap_or(Severity::Info),
        format!("{host} (port {port}, {} addresses)", group.len()),
        group.iter().map(|m| m.id.clone()).collect(),
        summary,
        c.evidence,
        fix,
    ));
}

/// One compared value of an endpoint.
type Aspect = fn(&Seen) -> Option<String>;

/// The value of `f` a host has when all its addresses agree.
fn uniform(g: &[&Seen], f: Aspect) -> Option<String> {
    let first = f(g[0])?;
    g.iter()
        .all(|m| f(m).as_ref() == Some(&first))
        .then_some(first)
}

/// MX hosts of one domain and port that disagree on STARTTLS or the TLS version. Each host is
/// represented by its value only when all its addresses agree (else `within_host` spoke).
fn within_domain(domain: &str, hosts: &[Vec<&Seen>], out: &mut Vec<Finding>) {
    if hosts.len() < 2 {
        return;
    }
    let port = hosts[0][0].port();
    let starttls: Aspect = |m| {
        m.starttls
            .map(|b| if b { "offered" } else { "not offered" }.to_string())
    };
    let version: Aspect = |m| m.version.map(|v| v.label().to_string());
    for (aspect, f) in [("STARTTLS", starttls), ("TLS version", version)] {
        let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut ids = Vec::new();
        for g in hosts {
            if let Some(v) = uniform(g, f) {
                by.entry(v)
                    .or_default()
                    .push(g[0].obs.endpoint.host.to_string());
                ids.extend(g.iter().map(|m| m.id.clone()));
            }
        }
        if by.len() < 2 {
            continue;
        }
        let evidence: Vec<String> = by
            .iter()
            .map(|(v, hs)| format!("{aspect} {v}: {}", hs.join(", ")))
            .collect();
        // A newer TLS version on some hosts fails no sender; a missing STARTTLS does.
        let (severity, summary, fix) = if aspect == "STARTTLS" {
            let hosts_that = |v: &str| by.get(v).cloned().unwrap_or_default();
            let (some, none) = (hosts_that("offered"), hosts_that("not offered"));
            let summary = format!(
                "MX hosts of {domain} disagree on port {port}: {} {} STARTTLS, {} {} not",
                some.join(", "),
                verb(some.len(), "offers", "offer"),
                none.join(", "),
                verb(none.len(), "does", "do")
            );
            (Severity::Warn, summary, generic::mx_hosts_alike(domain))
        } else {
            let summary = format!(
                "MX hosts of {domain} negotiate different TLS versions on port {port}: {}",
                evidence.join("; ")
            );
            (Severity::Info, summary, generic::mx_hosts_versions(domain))
        };
        out.push(Finding::new(
            Code::EndpointsInconsistent,
            severity,
            format!("{domain} (port {port}, {} MX hosts)", hosts.len()),
            ids,
            summary,
            evidence,
            fix,
        ));
    }
}

/// STARTTLS offered on some ports of an address and not on others.
fn port_mismatch(group: &[&Seen], out: &mut Vec<Finding>) {
    let open: Vec<&Seen> = group
        .iter()
        .copied()
        .filter(|m| m.starttls == Some(true))
        .collect();
    // A port whose conversation a firewall edited (masked keywords, a masked greeting, EHLO
    // answered as HELO) lacks STARTTLS because of the firewall: a Cisco ASA inspects port 25
    // and leaves 587 alone by default. The middlebox finding names that; a connector fix for
    // the server would be wrong.
    let closed: Vec<&Seen> = group
        .iter()
        .copied()
        .filter(|m| m.starttls == Some(false) && !super::middlebox::edited_in_path(&m.obs))
        .collect();
    if open.is_empty() || closed.is_empty() {
        return;
    }
    let host = match &group[0].obs.endpoint.host {
        Host::Name(n) => n.clone(),
        Host::Ip(ip) => ip.to_string(),
    };
    let open_ports: Vec<u16> = open.iter().map(|m| m.port()).collect();
    let closed_ports: Vec<u16> = closed.iter().map(|m| m.port()).collect();
    let mut evidence = Vec::new();
    for m in &open {
        evidence.push(format!("{}: STARTTLS offered", m.label));
    }
    for m in &closed {
        let caps = m
            .obs
            .capabilities
            .as_ref()
            .map(|c| c.keyword_lines().join(", "))
            .unwrap_or_default();
        evidence.push(format!(
            "{}: STARTTLS NOT offered (EHLO keywords: {caps})",
            m.label
        ));
    }
    let kind = closed[0].kind;
    // Only a port where TLS worked with a certificate senders accept shows that the server
    // can do TLS; a 454 or a failed handshake shows nothing of the kind.
    let working: Vec<&Seen> = open.iter().copied().filter(|m| tls_worked(m)).collect();
    let working_ports: Vec<u16> = working.iter().map(|m| m.port()).collect();
    let cert = working.first().and_then(|m| m.leaf());
    out.push(Finding::new(
        Code::StarttlsPortMismatch,
        Code::StarttlsPortMismatch.default_severity(),
        format!(
            "{host} (ports {})",
            list(&group.iter().map(|m| m.port()).collect::<Vec<_>>())
        ),
        group.iter().map(|m| m.id.clone()).collect(),
        format!(
            "{host} offers STARTTLS on {} but not on {}",
            ports_words(&open_ports),
            ports_words(&closed_ports)
        ),
        evidence,
        fixes::port_without_starttls(
            kind,
            &host,
            &closed_ports,
            &open_ports,
            &working_ports,
            cert,
        ),
    ));
}

/// TLS completed on this endpoint with a current, trusted certificate that covers the host
/// name probed (an address has no name to cover).
fn tls_worked(m: &Seen) -> bool {
    let Some((leaf, der)) = m.leaf().zip(m.obs.chain.first()) else {
        return false;
    };
    let covered = match &m.obs.endpoint.host {
        Host::Name(h) => name_match(der, leaf, h) == NameMatch::Covered,
        Host::Ip(_) => true,
    };
    m.obs.tls.is_some() && m.obs.failure.is_none() && m.trusted && !leaf.expired && covered
}

/// Groups items by a key, keeping the order in which keys first appear.
fn group_by<T: Copy, K: PartialEq>(
    items: impl IntoIterator<Item = T>,
    key: impl Fn(T) -> Option<K>,
) -> Vec<(K, Vec<T>)> {
    let mut groups: Vec<(K, Vec<T>)> = Vec::new();
    for item in items {
        let Some(k) = key(item) else { continue };
        match groups.iter_mut().find(|(g, _)| *g == k) {
            Some((_, v)) => v.push(item),
            None => groups.push((k, vec![item])),
        }
    }
    groups
}

/// Findings that only a comparison of endpoints shows. `seen` in report order.
pub fn rules(seen: &[Evidence]) -> Vec<Finding> {
    let mut out = Vec::new();
    // Same host, same port and mode, several addresses.
    let by_host = group_by(seen, |m| {
        let e = &m.obs.endpoint;
        Some((e.host.to_string(), e.address.port(), e.tls_mode))
    });
    for (_, group) in &by_host {
        if group.len() > 1 {
            within_host(group, &mut out);
        }
    }
    // Same domain, same port and mode, several MX hosts.
    let by_domain = group_by(&by_host, |(key, group)| {
        let via = group[0].obs.endpoint.via.as_ref()?;
        Some((via.domain.clone(), key.1, key.2))
    });
    for ((domain, _, _), hosts) in &by_domain {
        let hosts: Vec<Vec<&Seen>> = hosts.iter().map(|(_, g)| g.clone()).collect();
        within_domain(domain, &hosts, &mut out);
    }
    // Same address, several STARTTLS ports.
    let by_addr = group_by(seen, |m| {
        let e = &m.obs.endpoint;
        (e.tls_mode == TlsMode::Starttls).then(|| (e.host.to_string(), e.address.ip()))
    });
    for (_, group) in &by_addr {
        port_mismatch(group, &mut out);
        super::middlebox::downgraded_elsewhere(group, &mut out);
    }
    // Port 25 dropped everywhere while another port of the same addresses answers.
    out.extend(super::honest::port_blocked_here(
        seen,
        super::honest::RELAY_PORT,
    ));
    out
}
