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

use super::certificate::safe_name;
use crate::diagnose::server::exchange_connector_lookup;
use crate::diagnose::{Code, Finding, ServerKind, Severity};
use crate::cert::CertInfo;
use crate::evidence::Evidence;
use crate::model::{EndpointId, TlsMode};
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

/// What differs between the nodes behind one name, which decides the wording of the fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Differs {
    Starttls,
    Certificate,
    Version,
}

fn align_fix(
    kind: ServerKind,
    host: &str,
    differs: Differs,
    good: Option<&CertInfo>,
    odd: &[&Seen],
) -> String {
    let odd_ips: Vec<String> = odd.iter().map(|m| ip(m)).collect();
    let odd_ips = odd_ips.join(", ");
    let symptom = match differs {
        Differs::Certificate => "the classic intermittent `450 4.7.320 Certificate validation failed [Message=SubjectMismatch]` \
             from Exchange Online behind a load balancer"
            .to_string(),
        Differs::Starttls => "senders that require TLS (Exchange Online with forced TLS: `451 5.7.3 STARTTLS is required to send mail`) \
             queue the mail, and opportunistic senders deliver it in clear text"
            .to_string(),
        Differs::Version => "the older TLS version is what those senders negotiate".to_string(),
    };
    let intro = format!(
        "Senders are spread over the addresses of {host}, so they fail only when they land on {odd_ips}: {symptom}. \
         Make every node behind {host} serve the same certificate and TLS settings, or take the odd node out of the pool until it does."
    );
    let thumb = good.map_or("<thumbprint>".to_string(), |c| c.thumbprint.clone());
    match (kind, differs) {
        (ServerKind::Exchange, Differs::Certificate) => format!(
            "{intro}\nCopy the good certificate to the odd node (Exchange Management Shell):\n  \
             $b = Export-ExchangeCertificate -Thumbprint {thumb} -BinaryEncoded -Password (Read-Host -AsSecureString)   # on a good node\n  \
             [System.IO.File]::WriteAllBytes('C:\\certs\\mail.pfx', $b.FileData)\n  \
             Import-ExchangeCertificate -FileData ([System.IO.File]::ReadAllBytes('C:\\certs\\mail.pfx')) -Password (Read-Host -AsSecureString)   # on the odd node\n  \
             Enable-ExchangeCertificate -Thumbprint {thumb} -Services SMTP\n  \
             Restart-Service MSExchangeFrontEndTransport"
        ),
        (ServerKind::Exchange, _) => format!(
            "{intro}\nCompare the receive connectors of a good node and the odd one (Exchange Management Shell, on each server):\n  \
             Get-ReceiveConnector -Server $env:COMPUTERNAME | fl Identity,Bindings,Fqdn,AuthMechanism,TlsCertificateName\n  \
             Get-ExchangeCertificate | Where-Object {{ $_.Services -match 'SMTP' }} | fl Thumbprint,Subject,CertificateDomains,NotAfter"
        ),
        (ServerKind::Postfix, _) => format!(
            "{intro}\nCompare the TLS settings of a good node and the odd one, and copy the key and full chain across:\n  \
             postconf -n | grep -E '^smtpd_tls_'   # on each node\n  \
             openssl x509 -noout -fingerprint -sha256 -in /etc/postfix/tls/fullchain.pem   # compare on each node\n  \
             postfix check && postfix reload"
        ),
        _ => format!(
            "{intro}\nCompare the certificate files and TLS settings of each node behind {host} and install the same ones on the odd node."
        ),
    }
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

/// Endpoints of one host and port (several addresses) that disagree.
fn within_host(group: &[&Seen], out: &mut Vec<Finding>) {
    let Some(first) = group.first() else { return };
    let host = first.obs.endpoint.host.to_string();
    let port = first.port();
    let ids: Vec<EndpointId> = group.iter().map(|m| m.id.clone()).collect();
    let mut evidence = Vec::new();
    let mut summary = None;
    let mut odd_all: Vec<&Seen> = Vec::new();
    let mut good_cert = None;
    let mut differs = None;
    let mut severity = Severity::Info;
    if let Some(s) = split(group, |m| m.starttls, |m| m.starttls == Some(true)) {
        let offered = s.reference[0].starttls == Some(true);
        let word = |b: bool| if b { "offered" } else { "NOT offered" };
        for m in &s.odd {
            evidence.push(format!("{}: STARTTLS {}", m.label, word(!offered)));
        }
        evidence.push(format!(
            "{}: STARTTLS {}",
            others(s.reference.len()),
            word(offered)
        ));
        let n = s.odd.len();
        summary.get_or_insert(if offered {
            format!(
                "{} {} not offer STARTTLS on port {port}; {} {}",
                who(&host, &s.odd),
                verb(n, "does", "do"),
                others(s.reference.len()),
                verb(s.reference.len(), "does", "do")
            )
        } else {
            format!(
                "{} {} STARTTLS on port {port}; {} {} not",
                who(&host, &s.odd),
                verb(n, "offers", "offer"),
                others(s.reference.len()),
                verb(s.reference.len(), "does", "do")
            )
        });
        differs.get_or_insert(Differs::Starttls);
        severity = Severity::Warn;
        odd_all.extend(s.odd);
    }
    let healthy_cert = |m: &Seen| m.trusted && m.leaf().is_some_and(|c| !c.expired);
    if let Some(s) = split(group, |m| m.leaf().map(|c| c.sha256.clone()), healthy_cert) {
        let good = s.reference[0].leaf().cloned();
        for m in &s.odd {
            if let Some(c) = m.leaf() {
                evidence.push(format!("{}: {}", m.label, cert_words(c)));
            }
        }
        if let Some(c) = &good {
            evidence.push(format!("{}: {}", others(s.reference.len()), cert_words(c)));
        }
        // Different certificates that are all trusted and current break nothing today (only
        // a DANE pin, or the next renewal of one of them): worth knowing, not a warning.
        let benign = group
            .iter()
            .filter(|m| m.leaf().is_some())
            .all(|m| healthy_cert(m));
        if benign {
            summary.get_or_insert(format!(
                "the {} addresses of {host} present different certificates, all trusted and current",
                group.len()
            ));
        } else {
            let what = s
                .odd
                .first()
                .and_then(|m| m.leaf())
                .map(|c| {
                    if c.self_signed {
                        format!("the self-signed certificate {}", c.subject)
                    } else if c.expired {
                        format!("the expired certificate {}", c.subject)
                    } else {
                        format!("another certificate ({})", c.subject)
                    }
                })
                .unwrap_or_default();
            let reference = good
                .as_ref()
                .map(|c| format!(" {}", c.subject))
                .unwrap_or_default();
            let n = s.odd.len();
            summary.get_or_insert(format!(
                "{} still {} {what}; {} {}{reference}",
                who(&host, &s.odd),
                verb(n, "presents", "present"),
                others(s.reference.len()),
                verb(s.reference.len(), "presents", "present"),
            ));
            differs.get_or_insert(Differs::Certificate);
            severity = Severity::Warn;
        }
        good_cert = good;
        odd_all.extend(s.odd);
    }
    let newest = group.iter().filter_map(|m| m.version).max();
    if let Some(s) = split(group, |m| m.version, |m| m.version == newest) {
        let reference = s.reference[0]
            .version
            .map(|v| v.label())
            .unwrap_or_default();
        for m in &s.odd {
            evidence.push(format!(
                "{}: {} ({}: {reference})",
                m.label,
                m.version.map(|v| v.label()).unwrap_or_default(),
                others(s.reference.len())
            ));
        }
        summary.get_or_insert(format!(
            "{} {} {}; {} {reference}",
            who(&host, &s.odd),
            verb(s.odd.len(), "negotiates", "negotiate"),
            s.odd[0].version.map(|v| v.label()).unwrap_or_default(),
            others(s.reference.len()),
        ));
        differs.get_or_insert(Differs::Version);
        odd_all.extend(s.odd);
    }
    let Some(summary) = summary else { return };
    let mut unique: Vec<&Seen> = Vec::new();
    for m in odd_all {
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
    let fix = match differs {
        Some(d) => align_fix(kind, &host, d, good_cert.as_ref(), &unique),
        None => format!(
            "Nothing fails today. Keep the nodes behind {host} on one certificate anyway, so that a renewal (or a DANE TLSA record) \
             covers them all at once; the evidence lists each node's expiry date."
        ),
    };
    // Only a different STARTTLS setting or a broken certificate fails some senders; a newer
    // TLS version on some nodes, or different valid certificates, fails none.
    out.push(Finding::new(
        Code::EndpointsInconsistent,
        severity,
        format!("{host} (port {port}, {} addresses)", group.len()),
        ids,
        summary,
        evidence,
        fix,
    ));
}

/// One compared value of an endpoint.
type Aspect = fn(&Seen) -> Option<String>;

/// MX hosts of one domain and port that disagree on STARTTLS or the TLS version. Each host is
/// represented by its value only when all its addresses agree (else `within_host` spoke).
fn within_domain(domain: &str, hosts: &[Vec<&Seen>], out: &mut Vec<Finding>) {
    if hosts.len() < 2 {
        return;
    }
    let port = hosts[0][0].port();
    let uniform = |g: &Vec<&Seen>, f: Aspect| {
        let first = f(g[0])?;
        g.iter()
            .all(|m| f(m).as_ref() == Some(&first))
            .then_some(first)
    };
    let starttls: Aspect = |m| {
        m.starttls
            .map(|b| if b { "offered" } else { "not offered" }.to_string())
    };
    let version: Aspect = |m| m.version.map(|v| v.label().to_string());
    let aspects = [("STARTTLS", starttls), ("TLS version", version)];
    for (aspect, f) in aspects {
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
        let severity = if aspect == "STARTTLS" {
            Severity::Warn
        } else {
            Severity::Info
        };
        let summary = match aspect {
            "STARTTLS" => {
                let none = by.get("not offered").cloned().unwrap_or_default();
                let some = by.get("offered").cloned().unwrap_or_default();
                format!(
                    "MX hosts of {domain} disagree on port {port}: {} {} STARTTLS, {} {} not",
                    some.join(", "),
                    verb(some.len(), "offers", "offer"),
                    none.join(", "),
                    verb(none.len(), "does", "do")
                )
            }
            _ => format!(
                "MX hosts of {domain} negotiate different TLS versions on port {port}: {}",
                evidence.join("; ")
            ),
        };
        let fix = if aspect == "STARTTLS" {
            format!(
                "Senders try the MX hosts of {domain} in preference order and move on when one fails, so whether mail arrives over TLS depends on \
                 which host a sender reaches. Configure every MX host alike; the findings of the odd host say what to change there."
            )
        } else {
            format!(
                "Nothing fails: every host negotiates a current TLS version. Bring the older host's TLS library or configuration up to date \
                 when convenient, so every MX host of {domain} behaves alike."
            )
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

fn port_mismatch_fix(
    kind: ServerKind,
    host: &str,
    closed: &[u16],
    open: &[u16],
    cert: Option<&CertInfo>,
) -> String {
    let closed_list = list(closed);
    let open_list = list(open);
    let (open_words, closed_words) = (ports_words(open), ports_words(closed));
    let name = cert
        .and_then(|c| {
            c.dns_names
                .iter()
                .find_map(|n| safe_name(n).filter(|n| !n.starts_with('*')))
        })
        .unwrap_or_else(|| "<a name on the SMTP certificate>".into());
    let intro = format!(
        "{host} can do TLS: {open_words} {} STARTTLS{}. So the certificate is usable; the listener on {closed_words} does not offer it.",
        if open.len() == 1 { "offers" } else { "offer" },
        cert.map(|c| format!(" with {}", c.subject))
            .unwrap_or_default()
    );
    match kind {
        ServerKind::Exchange => {
            let lookups: Vec<String> = closed
                .iter()
                .map(|p| format!("  {}", exchange_connector_lookup(*p)))
                .collect();
            format!(
                "{intro} On Exchange that is the receive connector bound to port {closed_list}: its AuthMechanism must include `Tls`, \
                 and its Fqdn must be a name on the SMTP certificate (otherwise Exchange silently withholds STARTTLS). In the Exchange Management Shell:\n\
                 {}\n  \
                 $rc = Get-ReceiveConnector \"<identity from above>\"\n  \
                 Set-ReceiveConnector $rc.Identity -AuthMechanism \"$($rc.AuthMechanism), Tls\"   # adds Tls, keeps the rest\n  \
                 Set-ReceiveConnector $rc.Identity -Fqdn {name}\n  \
                 Get-ExchangeCertificate | Where-Object {{ $_.Services -match 'SMTP' }} | fl Thumbprint,Subject,CertificateDomains,NotAfter\n  \
                 Restart-Service MSExchangeFrontEndTransport",
                lookups.join("\n")
            )
        }
        ServerKind::Postfix => {
            let services: Vec<String> = closed
                .iter()
                .map(|p| match p {
                    25 => "smtp/inet/smtpd_tls_security_level".to_string(),
                    587 => "submission/inet/smtpd_tls_security_level".to_string(),
                    p => format!("<service on port {p}>/inet/smtpd_tls_security_level"),
                })
                .collect();
            format!(
                "{intro} In Postfix the TLS level is set per master.cf service: the service on port {closed_list} overrides it or main.cf never sets it.\n  \
                 postconf -P | grep -E 'tls_security_level|tls_wrappermode'   # per-service overrides\n  \
                 postconf smtpd_tls_security_level   # main.cf: must be 'may' (or 'encrypt')\n  \
                 postconf -e 'smtpd_tls_security_level = may'\n  \
                 postconf -PX {}   # drop a per-service 'none'\n  \
                 postfix reload",
                services.join(" ")
            )
        }
        _ => format!(
            "{intro} Enable STARTTLS on the listener for port {closed_list} with the same certificate as port {open_list}; if it is already \
             enabled there, a firewall with SMTP inspection on that port's path strips the keyword."
        ),
    }
}

/// `port 25` / `ports 25, 2525`.
fn ports_words(ports: &[u16]) -> String {
    let s = if ports.len() == 1 { "" } else { "s" };
    format!("port{s} {}", list(ports))
}

fn list(ports: &[u16]) -> String {
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// STARTTLS offered on some ports of an address and not on others.
fn port_mismatch(group: &[&Seen], out: &mut Vec<Finding>) {
    let open: Vec<&Seen> = group
        .iter()
        .copied()
        .filter(|m| m.starttls == Some(true))
        .collect();
    let closed: Vec<&Seen> = group
        .iter()
        .copied()
        .filter(|m| m.starttls == Some(false))
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
    let cert = open.iter().find_map(|m| m.leaf().filter(|_| m.trusted));
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
        port_mismatch_fix(kind, &host, &closed_ports, &open_ports, cert),
    ));
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
    }
    out
}
