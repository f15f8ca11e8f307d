//! DNS rules: what the MX and address lookups of a target said, as findings. Pure: a
//! [`Route`] in, findings out.
//!
//! # References
//! - RFC 5321 §5.1 (MX lookup, implicit MX; an MX names a host, not an address)
//! - RFC 7505 §3 (null MX, and that it must stand alone)
//! - RFC 2181 §10.3 (an MX must not point to an alias)

use super::certificate::safe_name;
use crate::diagnose::fixes::{dns as dns_fixes, generic};
use crate::diagnose::{Code, Finding, Fix, Severity};
use crate::dns::route::{Family, Lookup, MailHost, Route};
use crate::dns::{DnsError, chain_text};

/// DNS findings concern names, not probed endpoints: their endpoint list is empty.
fn finding(
    code: Code,
    severity: Severity,
    endpoint: String,
    summary: String,
    evidence: Vec<String>,
    fix: Fix,
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
    // Say what the server did; "failed" only when nothing more is known.
    let (summary, fix) = match error {
        DnsError::Rcode { rcode, .. } => (
            format!("could not look up {what} {name}: {resolver} answered {rcode}"),
            dns_fixes::server_error(name, rcode),
        ),
        DnsError::NoAnswer { seen, .. } => (
            format!("could not look up {what} {name}: {seen}"),
            dns_fixes::no_usable_answer(name),
        ),
        DnsError::Foreign { records, .. } => (
            format!(
                "could not look up {what} {name}: {resolver} answered with records for other names only ({records})"
            ),
            dns_fixes::no_usable_answer(name),
        ),
        DnsError::Malformed { reason, .. } => (
            format!(
                "could not look up {what} {name}: the answer from {resolver} could not be read ({reason})"
            ),
            dns_fixes::malformed(name),
        ),
        DnsError::Failed { reason, .. } if reason == crate::dns::route::DEADLINE_REASON => (
            format!(
                "could not look up {what} {name}: the run's --deadline ended before {resolver} answered"
            ),
            dns_fixes::deadline_cut(name),
        ),
        _ => (
            format!("could not look up {what} {name}: {resolver} failed"),
            generic::lookup_failed(name),
        ),
    };
    finding(
        code,
        code.default_severity(),
        where_,
        summary,
        vec![format!("{error} (asked {resolver})")],
        fix,
    )
}

/// Findings about the target as a whole: the MX lookup, null MX, implicit MX, caps.
pub fn route_rules(route: &Route, resolver: &str) -> Vec<Finding> {
    let name = &route.name;
    let here = format!("{name} (port {})", route.ports_text());
    let mut out = Vec::new();
    out.extend(mx_lookup(route, resolver, &here));
    if route.null_mx_mixed {
        let code = Code::DnsMxInvalid;
        out.push(finding(
            code,
            code.default_severity(),
            here.clone(),
            format!("{name} publishes a null MX next to real MX records"),
            vec![format!(
                "{name}. IN MX 0 . (with {} other MX record(s))",
                route.hosts.len() + route.mx_cut.len()
            )],
            generic::null_mx_mixed(name),
        ));
    }
    out.extend(capped(route, here));
    out
}

/// What the MX lookup itself said: no such domain, a failed resolver, a null MX, or no MX
/// records (implicit MX).
fn mx_lookup(route: &Route, resolver: &str, here: &str) -> Option<Finding> {
    let name = &route.name;
    let here = here.to_string();
    match &route.lookup {
        Lookup::Failed(DnsError::NxDomain { .. }) => {
            let code = Code::DnsNxdomain;
            Some(finding(
                code,
                code.default_severity(),
                here,
                format!("{name} does not exist in DNS"),
                vec![format!("MX lookup for {name}: NXDOMAIN (asked {resolver})")],
                generic::domain_missing(name),
            ))
        }
        Lookup::Failed(e) => Some(lookup_failed("the MX records of", name, here, e, resolver)),
        Lookup::NullMx => {
            let code = Code::DnsNullMx;
            Some(finding(
                code,
                code.default_severity(),
                here,
                format!(
                    "{name} accepts no mail: it publishes a null MX (RFC 7505), so there is nothing to probe"
                ),
                vec![format!("{name}. IN MX 0 .")],
                generic::null_mx(name),
            ))
        }
        Lookup::Implicit => Some(implicit_mx(route, resolver, here)),
        Lookup::Mx | Lookup::Direct => None,
    }
}

fn implicit_mx(route: &Route, resolver: &str, here: String) -> Finding {
    let name = &route.name;
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
    finding(
        code,
        code.default_severity(),
        here,
        format!("{name} has no MX record, so it is probed as its own mail host (implicit MX)"),
        evidence,
        generic::implicit_mx(name),
    )
}

/// Skipped MX records, and skipped addresses of one host, listed one by one in evidence;
/// the rest are counted. The MX set itself is not cut before it is sorted: a DNS message is
/// at most 65,535 bytes (about 2,800 compressed MX records), so sorting all of them is cheap
/// and the most preferred hosts are always the ones probed; only the listing must stay
/// readable (an MX set of thousands would otherwise print thousands of evidence lines).
pub const MAX_LISTED: usize = 20;

/// The skipped MX records and addresses, at most [`MAX_LISTED`] of each listed.
fn capped_evidence(route: &Route, addr_cut: &[String]) -> Vec<String> {
    let mut evidence: Vec<String> = route
        .mx_cut
        .iter()
        .take(MAX_LISTED)
        .map(|m| format!("MX {} {} not probed", m.preference, m.exchange))
        .collect();
    if route.mx_cut.len() > MAX_LISTED {
        evidence.push(format!(
            "… and {} more MX records not probed ({} in the MX set)",
            route.mx_cut.len() - MAX_LISTED,
            route.hosts.len() + route.mx_cut.len()
        ));
    }
    evidence.extend(addr_cut.iter().take(MAX_LISTED).cloned());
    if addr_cut.len() > MAX_LISTED {
        evidence.push(format!(
            "… and {} more mail hosts with addresses not probed",
            addr_cut.len() - MAX_LISTED
        ));
    }
    evidence
}

/// MX hosts or addresses left out by `--max-mx` / `--max-addresses`.
fn capped(route: &Route, here: String) -> Option<Finding> {
    let name = &route.name;
    let addr_cut: Vec<String> = route
        .hosts
        .iter()
        .filter(|h| !h.cut.is_empty())
        .map(|h| {
            let mut cut: Vec<String> = h
                .cut
                .iter()
                .take(MAX_LISTED)
                .map(ToString::to_string)
                .collect();
            if h.cut.len() > MAX_LISTED {
                cut.push(format!("and {} more", h.cut.len() - MAX_LISTED));
            }
            format!("{}: {} not probed", h.host, cut.join(", "))
        })
        .collect();
    if route.mx_cut.is_empty() && addr_cut.is_empty() {
        return None;
    }
    let code = Code::EndpointsCapped;
    let evidence = capped_evidence(route, &addr_cut);
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
    Some(finding(
        code,
        code.default_severity(),
        here,
        format!("{what} {verb} not probed: the verdict covers only the rest"),
        evidence,
        generic::probe_all(&raise.join(" ")),
    ))
}

/// Whether a mail host can be used by a standards-following sender.
fn usable(h: &MailHost) -> bool {
    !h.literal && !h.addresses.is_empty()
}

/// How findings about one mail host name it, and the MX record that names it.
struct HostContext<'a> {
    route: &'a Route,
    host: &'a MailHost,
    resolver: &'a str,
    /// The host name (or address) as written.
    name: String,
    /// `mx1.contoso.com (MX 10 of contoso.com, port 25)`.
    here: String,
    /// `contoso.com. IN MX 10 mx1.contoso.com.`, when an MX record names the host.
    record: String,
    /// The address family asked for (`-4`/`-6`): its name, record type and flag.
    family: Option<(&'static str, &'static str, &'static str)>,
}

impl HostContext<'_> {
    fn finding(
        &self,
        code: Code,
        severity: Severity,
        summary: String,
        evidence: Vec<String>,
        fix: Fix,
    ) -> Finding {
        finding(code, severity, self.here.clone(), summary, evidence, fix)
    }

    /// Under -4/-6, "no address" means "none of that family": a fact about reachability
    /// over that family, not a broken record.
    fn family_gap(&self, evidence: Vec<String>) -> Finding {
        let (fam, rr, flag) = self.family.unwrap_or(("IPv4", "A", "-4"));
        let name = &self.name;
        self.finding(
            Code::DnsNoAddress,
            Severity::Warn,
            format!(
                "{name} has no {fam} address ({rr} record): {fam}-only senders cannot reach it, and {flag} leaves nothing to probe"
            ),
            evidence,
            generic::no_address_of_family(name, fam, rr, flag),
        )
    }
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
    let h = HostContext {
        route,
        host,
        resolver,
        name,
        here,
        record,
        family: match route.family {
            Family::Any => None,
            Family::V4 => Some(("IPv4", "A", "-4")),
            Family::V6 => Some(("IPv6", "AAAA", "-6")),
        },
    };
    let mut out = Vec::new();
    if host.literal {
        out.push(literal_mx(&h));
    }
    let answer = match &host.answer {
        Ok(a) => a,
        Err(e) => {
            out.push(no_answer(&h, e));
            return out;
        }
    };
    if let (Some(canonical), Some(p)) = (&answer.alias_of, host.preference)
        && route.lookup == Lookup::Mx
    {
        let code = Code::DnsMxInvalid;
        out.push(h.finding(
            code,
            code.default_severity(),
            format!(
                "the MX record of {domain} points to {}, an alias (CNAME) of {canonical}",
                h.name
            ),
            vec![
                h.record.clone(),
                format!("{}. IN CNAME {canonical}.", h.name),
            ],
            // The canonical name comes from DNS: only a well-formed one reaches the record.
            generic::mx_to_canonical(
                domain,
                p,
                &safe_name(canonical).unwrap_or_else(|| "<the canonical name>".into()),
            ),
        ));
    }
    if !answer.unusable.is_empty() {
        out.push(unusable_beside_real(&h, &answer.unusable));
    }
    if host.addresses.is_empty() && !host.filtered.is_empty() {
        let list: Vec<String> = host.filtered.iter().map(ToString::to_string).collect();
        out.push(h.family_gap(vec![format!("{}: {}", h.name, list.join(", "))]));
    }
    out
}

/// The MX record names something that is not a host name (a control byte, a space, an empty
/// label): the zone's data is wrong, not the resolver. Fail when no other MX is usable.
fn invalid_mx_name(h: &HostContext<'_>, reason: &str) -> Finding {
    let (domain, name) = (&h.route.name, &h.name);
    let severity = if others_usable(h) {
        Severity::Warn
    } else {
        Severity::Fail
    };
    let p = h.host.preference.unwrap_or(10);
    h.finding(
        Code::DnsMxInvalid,
        severity,
        format!(
            "the MX record of {domain} names \"{name}\" (shown escaped), which is not a host name: {reason}; senders cannot deliver through it"
        ),
        vec![
            format!("{domain}. IN MX {p} {name}. (as received from {}, escaped)", h.resolver),
            "not looked up: a sender's resolver refuses such a name or looks up a different one".into(),
        ],
        dns_fixes::mx_name_invalid(domain, p, name),
    )
}

/// The host is `localhost` or has only addresses no host can have: not probed, and for an
/// MX the record is the zone's mistake. Fail when no other MX is usable.
fn unusable_host(h: &HostContext<'_>, reason: &str) -> Finding {
    let (domain, name) = (&h.route.name, &h.name);
    let severity = if others_usable(h) {
        Severity::Warn
    } else {
        Severity::Fail
    };
    let is_mx = h.route.lookup == Lookup::Mx;
    let (code, summary) = if is_mx {
        (
            Code::DnsMxInvalid,
            format!(
                "the MX record of {domain} names {name}, which cannot be a mail host: {reason}; senders cannot deliver through it"
            ),
        )
    } else {
        (
            Code::DnsNoAddress,
            format!("{name} cannot be reached: {reason}"),
        )
    };
    let mut evidence = Vec::new();
    if is_mx {
        evidence.push(format!("{} (as received from {})", h.record, h.resolver));
    }
    evidence.push("not probed: a connection would reach this machine or no host at all".into());
    h.finding(
        code,
        severity,
        summary,
        evidence,
        dns_fixes::unusable_host(name, &h.record),
    )
}

/// The host has real addresses, and beside them some no host can have (0.0.0.0, broadcast,
/// multicast): only the real ones were probed, but a sender that picks one of the others
/// reaches itself or no one, so the record is worth a warning.
fn unusable_beside_real(h: &HostContext<'_>, bad: &[String]) -> Finding {
    let is_mx = h.route.lookup == Lookup::Mx;
    let code = if is_mx {
        Code::DnsMxInvalid
    } else {
        Code::DnsNoAddress
    };
    let mut evidence = vec![format!("{}: {}", h.name, bad.join(", "))];
    evidence.push("not probed: a connection would reach this machine or no host at all".into());
    h.finding(
        code,
        Severity::Warn,
        format!(
            "{} publishes addresses no host can have beside its real ones ({}): not probed; a sender that picks one fails",
            h.name,
            bad.iter()
                .map(|b| b.split(" (").next().unwrap_or(b))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        evidence,
        dns_fixes::unusable_host(&h.name, ""),
    )
}

/// The host is an alias whose CNAME chain loops, runs too long or ends without an address:
/// name the chain, not a missing A record of the first name.
fn alias(h: &HostContext<'_>, chain: &[String], end: crate::dns::AliasEnd) -> Finding {
    let (route, name) = (h.route, &h.name);
    let text = chain_text(chain, &end);
    let is_mx = route.lookup == Lookup::Mx;
    let (code, summary) = if is_mx {
        (
            Code::DnsMxNoAddress,
            format!(
                "MX host {name} of {} has no address: it is an alias, {text}",
                route.name
            ),
        )
    } else {
        (
            Code::DnsNoAddress,
            format!("{name} has no address: it is an alias, {text}"),
        )
    };
    let mut evidence: Vec<String> = chain
        .windows(2)
        .map(|w| format!("{}. IN CNAME {}.", w[0], w[1]))
        .collect();
    evidence.push(format!("(asked {})", h.resolver));
    h.finding(
        code,
        code.default_severity(),
        summary,
        evidence,
        dns_fixes::alias_chain(
            name,
            if is_mx { &h.record } else { "" },
            &chain.join(" → "),
            end,
        ),
    )
}

/// Whether another mail host of the route than `h`'s is usable.
fn others_usable(h: &HostContext<'_>) -> bool {
    h.route
        .hosts
        .iter()
        .any(|o| !std::ptr::eq(o, h.host) && usable(o))
}

/// The MX record names an IP address: most senders skip it (fail when no other MX is usable).
fn literal_mx(h: &HostContext<'_>) -> Finding {
    let (domain, name) = (&h.route.name, &h.name);
    let severity = if others_usable(h) {
        Severity::Warn
    } else {
        Severity::Fail
    };
    h.finding(
        Code::DnsMxInvalid,
        severity,
        format!("the MX record of {domain} names the IP address {name}, not a host name: most senders skip it"),
        vec![
            h.record.clone(),
            format!("Postfix skips it: \"warning: numeric domain name in resource data of MX record for {domain}: {name}\"; Exim refuses it unless allow_mx_to_ip is set"),
        ],
        generic::name_the_mail_host(domain, name, h.host.preference.unwrap_or(10)),
    )
}

/// The address lookup of the host failed: no address of the family asked for, a failed
/// resolver, no such name, or no address at all.
fn no_answer(h: &HostContext<'_>, e: &DnsError) -> Finding {
    let (route, name) = (h.route, &h.name);
    match e {
        DnsError::NoAddress { .. } if h.family.is_some() && !h.host.overridden => {
            h.family_gap(vec![format!(
                "{e} (asked {} for {} only)",
                h.resolver,
                h.family.map_or("", |f| f.1)
            )])
        }
        e if e.is_inconclusive() => {
            lookup_failed("the address of", name, h.here.clone(), e, h.resolver)
        }
        DnsError::InvalidName { reason, .. } => invalid_mx_name(h, reason),
        DnsError::Unusable { reason, .. } => unusable_host(h, reason),
        DnsError::Alias { chain, end, .. } => alias(h, chain, *end),
        _ => {
            let (code, summary, fix) = match (
                route.lookup == Lookup::Mx,
                route.lookup == Lookup::Implicit,
                e,
            ) {
                (true, _, _) => (
                    Code::DnsMxNoAddress,
                    format!(
                        "MX host {name} of {} has no address: senders cannot deliver through it",
                        route.name
                    ),
                    generic::mx_host_without_address(name, &h.record),
                ),
                (false, true, _) => (
                    Code::DnsNoAddress,
                    format!("{name} has no MX record and no address: it cannot receive mail"),
                    generic::publish_mx(name),
                ),
                (false, false, DnsError::NxDomain { .. }) => (
                    Code::DnsNxdomain,
                    format!("{name} does not exist in DNS"),
                    generic::host_missing(name),
                ),
                (false, false, _) => (
                    Code::DnsNoAddress,
                    format!("{name} has no address record"),
                    generic::add_address(name),
                ),
            };
            h.finding(
                code,
                code.default_severity(),
                summary,
                vec![format!("{e} (asked {})", h.resolver)],
                fix,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::rules::sweep::{answer, mail_host, route};
    use crate::dns::AliasEnd;

    fn invalid(name: &str) -> MailHost {
        mail_host(
            name,
            Some(10),
            Err(DnsError::InvalidName {
                name: name.into(),
                reason: "it has an empty label".into(),
            }),
        )
    }

    #[test]
    fn an_invalid_mx_name_fails_alone_and_warns_beside_a_usable_mx() {
        let alone = route(
            "contoso.test",
            Lookup::Mx,
            vec![invalid("mx\\x07.contoso.test")],
        );
        let f = host_rules(&alone, &alone.hosts[0], "the resolver 127.0.0.1:5353");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, Code::DnsMxInvalid);
        assert_eq!(f[0].severity, Severity::Fail);
        assert!(
            f[0].summary
                .contains("\"mx\\x07.contoso.test\" (shown escaped)"),
            "{}",
            f[0].summary
        );
        let beside = route(
            "contoso.test",
            Lookup::Mx,
            vec![
                invalid("mx\\x07.contoso.test"),
                mail_host("mx1.contoso.test", Some(20), answer("192.0.2.1", None)),
            ],
        );
        let f = host_rules(&beside, &beside.hosts[0], "the resolver 127.0.0.1:5353");
        assert_eq!(f[0].severity, Severity::Warn);
    }

    #[test]
    fn an_alias_chain_is_named_and_a_server_error_is_not_called_a_resolver_failure() {
        let chain = vec![
            "a.contoso.test".to_string(),
            "b.contoso.test".into(),
            "a.contoso.test".into(),
        ];
        let looped = mail_host(
            "a.contoso.test",
            Some(10),
            Err(DnsError::Alias {
                name: "a.contoso.test".into(),
                chain,
                end: AliasEnd::Loop,
            }),
        );
        let r = route("contoso.test", Lookup::Mx, vec![looped]);
        let f = host_rules(&r, &r.hosts[0], "the resolver 127.0.0.1:5353");
        assert_eq!(f[0].code, Code::DnsMxNoAddress);
        assert!(f[0].summary.ends_with("(a CNAME loop)"), "{}", f[0].summary);
        let failed = route(
            "contoso.test",
            Lookup::Failed(DnsError::Rcode {
                name: "contoso.test".into(),
                rcode: "SERVFAIL (server failure: it could not get an answer)".into(),
            }),
            Vec::new(),
        );
        let f = route_rules(&failed, "the resolver 127.0.0.1:5353");
        assert_eq!(f[0].code, Code::DnsLookupFailed);
        assert!(!f[0].summary.ends_with("failed"), "{}", f[0].summary);
        assert!(
            f[0].summary.contains("answered SERVFAIL"),
            "{}",
            f[0].summary
        );
    }
}
