//! DNS rules: what the MX and address lookups of a target said, as findings. Pure: a
//! [`Route`] in, findings out.
//!
//! # References
//! - RFC 5321 §5.1 (MX lookup, implicit MX; an MX names a host, not an address)
//! - RFC 7505 §3 (null MX, and that it must stand alone)
//! - RFC 2181 §10.3 (an MX must not point to an alias)

use crate::diagnose::{Code, Finding, Severity};
use crate::dns::DnsError;
use crate::dns::route::{Family, Lookup, MailHost, Route};

/// DNS findings concern names, not probed endpoints: their endpoint list is empty.
fn finding(
    code: Code,
    severity: Severity,
    endpoint: String,
    summary: String,
    evidence: Vec<String>,
    fix: String,
) -> Finding {
    Finding::new(code, severity, endpoint, Vec::new(), summary, evidence, fix)
}

fn lookup_failed(
    what: &str,
    name: &str,
    where_: String,
    error: &DnsError,
    resolver: &str,
) -> Finding {
    let code = Code::DnsLookupFailed;
    finding(
        code,
        code.default_severity(),
        where_,
        format!("could not look up {what} {name}: {resolver} failed"),
        vec![format!("{error} (asked {resolver})")],
        format!(
            "Nothing is known about {name} yet. Retry; ask another resolver with --resolver IP[:PORT] \
             (the domain's own authoritative server answers for its zone); or skip DNS for a host with --resolve HOST:ADDRESS."
        ),
    )
}

/// Findings about the target as a whole: the MX lookup, null MX, implicit MX, caps.
pub fn route_rules(route: &Route, resolver: &str) -> Vec<Finding> {
    let name = &route.name;
    let here = format!("{name} (port {})", route.ports_text());
    let mut out = Vec::new();
    match &route.lookup {
        Lookup::Failed(DnsError::NxDomain { .. }) => {
            let code = Code::DnsNxdomain;
            out.push(finding(
                code,
                code.default_severity(),
                here.clone(),
                format!("{name} does not exist in DNS"),
                vec![format!("MX lookup for {name}: NXDOMAIN (asked {resolver})")],
                format!(
                    "Check the spelling of {name}. If it is your mail domain, its registration or delegation is broken: \
                     check `dig NS {name}` and the records at your DNS provider. Senders bounce mail to it at once (`550 5.1.2` / `Host unknown`)."
                ),
            ));
        }
        Lookup::Failed(e) => out.push(lookup_failed(
            "the MX records of",
            name,
            here.clone(),
            e,
            resolver,
        )),
        Lookup::NullMx => {
            let code = Code::DnsNullMx;
            out.push(finding(
                code,
                code.default_severity(),
                here.clone(),
                format!("{name} accepts no mail: it publishes a null MX (RFC 7505), so there is nothing to probe"),
                vec![format!("{name}. IN MX 0 .")],
                format!(
                    "Nothing to change if {name} should not receive mail: senders bounce at once instead of queueing. \
                     If it should, replace the null MX with records naming your mail hosts, e.g.\n  {name}. 3600 IN MX 10 mail.{name}."
                ),
            ));
        }
        Lookup::Implicit => {
            let code = Code::DnsNoMx;
            let addrs = route
                .hosts
                .first()
                .and_then(|h| h.answer.as_ref().ok())
                .map(|a| {
                    a.addrs
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            let mut evidence = vec![format!(
                "MX lookup for {name}: no records (asked {resolver})"
            )];
            if !addrs.is_empty() {
                evidence.push(format!("{name} itself has the address(es) {addrs}"));
            }
            out.push(finding(
                code,
                code.default_severity(),
                here.clone(),
                format!("{name} has no MX record, so it is probed as its own mail host (implicit MX)"),
                evidence,
                format!(
                    "Nothing to change if {name} is itself the mail host. If {name} is a mail domain, publish MX records, \
                     since some senders do not fall back to the address record:\n  {name}. 3600 IN MX 10 mail.{name}."
                ),
            ));
        }
        Lookup::Mx | Lookup::Direct => {}
    }
    if route.null_mx_mixed {
        let code = Code::DnsMxInvalid;
        out.push(finding(
            code,
            code.default_severity(),
            here.clone(),
            format!("{name} publishes a null MX next to real MX records"),
            vec![format!("{name}. IN MX 0 . (with {} other MX record(s))", route.hosts.len() + route.mx_cut.len())],
            format!(
                "A null MX says the domain accepts no mail and must stand alone (RFC 7505 §3); senders that honour it bounce. \
                 Delete the `{name}. IN MX 0 .` record if the domain receives mail."
            ),
        ));
    }
    let addr_cut: Vec<String> = route
        .hosts
        .iter()
        .filter(|h| !h.cut.is_empty())
        .map(|h| {
            let cut: Vec<String> = h.cut.iter().map(ToString::to_string).collect();
            format!("{}: {} not probed", h.host, cut.join(", "))
        })
        .collect();
    if !route.mx_cut.is_empty() || !addr_cut.is_empty() {
        let code = Code::EndpointsCapped;
        let mut evidence: Vec<String> = route
            .mx_cut
            .iter()
            .map(|m| format!("MX {} {} not probed", m.preference, m.exchange))
            .collect();
        evidence.extend(addr_cut.iter().cloned());
        let mut raise = Vec::new();
        if !route.mx_cut.is_empty() {
            raise.push(format!(
                "--max-mx {}",
                route.hosts.len() + route.mx_cut.len()
            ));
        }
        if let Some(most) = route
            .hosts
            .iter()
            .map(|h| h.addresses.len() + h.cut.len())
            .max()
            && !addr_cut.is_empty()
        {
            raise.push(format!("--max-addresses {most}"));
        }
        let n = route.mx_cut.len();
        let hosts = match n {
            0 => String::new(),
            1 => "1 MX host".to_string(),
            n => format!("{n} MX hosts"),
        };
        let addrs = addr_cut.len();
        let what = match (hosts.is_empty(), addrs) {
            (false, 0) => format!("{hosts} of {name}"),
            (true, 1) => format!("some addresses of one mail host of {name}"),
            (true, _) => format!("some addresses of {addrs} mail hosts of {name}"),
            (false, _) => format!("{hosts} and some addresses of {name}"),
        };
        let verb = if n == 1 && addrs == 0 { "was" } else { "were" };
        out.push(finding(
            code,
            code.default_severity(),
            here,
            format!("{what} {verb} not probed: the verdict covers only the rest"),
            evidence,
            format!("Probe them all with {}.", raise.join(" ")),
        ));
    }
    out
}

/// Whether a mail host can be used by a standards-following sender.
fn usable(h: &MailHost) -> bool {
    !h.literal && !h.addresses.is_empty()
}

/// Findings about one mail host: its addresses, and whether the MX record naming it is valid.
pub fn host_rules(route: &Route, host: &MailHost, resolver: &str) -> Vec<Finding> {
    let domain = &route.name;
    let ports = route.ports_text();
    let name = host.host.to_string();
    let (here, record) = match host.preference {
        Some(p) if route.lookup == Lookup::Mx => (
            format!("{name} (MX {p} of {domain}, port {ports})"),
            format!("{domain}. IN MX {p} {name}."),
        ),
        _ => (format!("{name} (port {ports})"), String::new()),
    };
    let mut out = Vec::new();
    let others_usable = route
        .hosts
        .iter()
        .any(|h| !std::ptr::eq(h, host) && usable(h));
    if host.literal {
        let code = Code::DnsMxInvalid;
        let severity = if others_usable {
            Severity::Warn
        } else {
            Severity::Fail
        };
        let p = host.preference.unwrap_or(10);
        out.push(finding(
            code,
            severity,
            here.clone(),
            format!("the MX record of {domain} names the IP address {name}, not a host name: most senders skip it"),
            vec![
                record.clone(),
                format!("Postfix skips it: \"warning: numeric domain name in resource data of MX record for {domain}: {name}\"; Exim refuses it unless allow_mx_to_ip is set"),
            ],
            format!(
                "Give the server a name and point the MX record at the name (RFC 5321 §5.1):\n  mail.{domain}. 3600 IN A {name}\n  {domain}. 3600 IN MX {p} mail.{domain}.\n\
                 The probe below still connected to {name}, so you can see what that server would offer."
            ),
        ));
    }
    let family = match route.family {
        Family::Any => None,
        Family::V4 => Some(("IPv4", "A", "-4")),
        Family::V6 => Some(("IPv6", "AAAA", "-6")),
    };
    // Under -4/-6, "no address" means "none of that family": a fact about reachability over
    // that family, not a broken record.
    let family_gap = |here: String, evidence: Vec<String>| {
        let (fam, rr, flag) = family.unwrap_or(("IPv4", "A", "-4"));
        finding(
            Code::DnsNoAddress,
            Severity::Warn,
            here,
            format!(
                "{name} has no {fam} address ({rr} record): {fam}-only senders cannot reach it, and {flag} leaves nothing to probe"
            ),
            evidence,
            format!(
                "Add an {rr} record for {name} if the server should be reachable over {fam}; drop {flag} to probe the addresses it has."
            ),
        )
    };
    let answer = match &host.answer {
        Ok(a) => a,
        Err(e @ DnsError::NoAddress { .. }) if family.is_some() && !host.overridden => {
            out.push(family_gap(
                here,
                vec![format!(
                    "{e} (asked {resolver} for {} only)",
                    family.map_or("", |f| f.1)
                )],
            ));
            return out;
        }
        Err(e @ DnsError::Failed { .. }) => {
            out.push(lookup_failed("the address of", &name, here, e, resolver));
            return out;
        }
        Err(e) => {
            let in_mx = route.lookup == Lookup::Mx;
            let (code, summary, fix) = match (in_mx, route.lookup == Lookup::Implicit, e) {
                (true, _, _) => (
                    Code::DnsMxNoAddress,
                    format!(
                        "MX host {name} of {domain} has no address: senders cannot deliver through it"
                    ),
                    format!(
                        "Add an A record (and AAAA, if the server has IPv6) for {name}, or delete the MX record `{record}` if the host is gone. \
                         Senders that pick this MX first try the next one, or queue mail for days when it is the only one."
                    ),
                ),
                (false, true, _) => (
                    Code::DnsNoAddress,
                    format!("{name} has no MX record and no address: it cannot receive mail"),
                    format!(
                        "Publish MX records for {name} naming your mail hosts (`{name}. 3600 IN MX 10 mail.{name}.`), \
                         or an A/AAAA record if {name} is itself the mail host."
                    ),
                ),
                (false, false, DnsError::NxDomain { .. }) => (
                    Code::DnsNxdomain,
                    format!("{name} does not exist in DNS"),
                    format!(
                        "Check the spelling of {name}. If it is your mail host, create its A/AAAA record at your DNS provider, and check that the MX record names it exactly."
                    ),
                ),
                (false, false, _) => (
                    Code::DnsNoAddress,
                    format!("{name} has no address record"),
                    format!("Add an A (and AAAA, if the server has IPv6) record for {name}."),
                ),
            };
            out.push(finding(
                code,
                code.default_severity(),
                here,
                summary,
                vec![format!("{e} (asked {resolver})")],
                fix,
            ));
            return out;
        }
    };
    if let (Some(canonical), Some(p)) = (&answer.alias_of, host.preference)
        && route.lookup == Lookup::Mx
    {
        let code = Code::DnsMxInvalid;
        out.push(finding(
            code,
            code.default_severity(),
            here.clone(),
            format!("the MX record of {domain} points to {name}, an alias (CNAME) of {canonical}"),
            vec![record.clone(), format!("{name}. IN CNAME {canonical}.")],
            format!(
                "An MX must name a host, not an alias (RFC 2181 §10.3, RFC 5321 §5.1); some senders refuse it, and DANE and MTA-STS checks match the MX name. \
                 Point the MX at the canonical name, and make sure the certificate covers it:\n  {domain}. 3600 IN MX {p} {canonical}."
            ),
        ));
    }
    if host.addresses.is_empty() && !host.filtered.is_empty() {
        let list: Vec<String> = host.filtered.iter().map(ToString::to_string).collect();
        out.push(family_gap(
            here,
            vec![format!("{name}: {}", list.join(", "))],
        ));
    }
    out
}
