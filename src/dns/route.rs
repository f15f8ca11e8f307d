//! From what the user typed to the hosts and addresses to probe: the MX lookup, implicit MX,
//! null MX, `--resolve` overrides, the address family and the caps. What DNS said is kept as
//! data (a [`Route`] per target); the rules in `diagnose::rules::dns` turn it into findings, and
//! [`endpoints`] turns it into the list of probes.
//!
//! # References
//! - RFC 5321 §5.1 (MX lookup, preference order, implicit MX)
//! - RFC 7505 (null MX: `MX 0 .`)

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use super::{DnsError, HostAnswer, Mx, Resolver};
use crate::model::{Endpoint, TlsMode, Via};
use crate::target::{Host, Target};

/// Which address family to probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Both.
    Any,
    /// `-4`.
    V4,
    /// `-6`.
    V6,
}

impl Family {
    /// Whether an address is of this family.
    pub fn allows(self, ip: &IpAddr) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => ip.is_ipv4(),
            Family::V6 => ip.is_ipv6(),
        }
    }
}

/// How a target's mail hosts were found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// No MX lookup: an address, a bracketed name, `--no-mx`, or a name given with `--resolve`.
    Direct,
    /// The MX records name the mail hosts.
    Mx,
    /// No MX records: the name is its own mail host (implicit MX).
    Implicit,
    /// `MX 0 .`: the domain accepts no mail.
    NullMx,
    /// The MX lookup failed: the name does not exist, or the resolver failed.
    Failed(DnsError),
}

/// One mail host of a target: an MX host, or the target itself.
#[derive(Debug, Clone)]
pub struct MailHost {
    /// The host name, or the address (an address target, or an MX record naming an address).
    pub host: Host,
    /// The MX preference (0 for an implicit MX; `None` for a direct target).
    pub preference: Option<u16>,
    /// The MX record names an IP address instead of a host name.
    pub literal: bool,
    /// What the address lookup said (addresses and literals answer themselves).
    pub answer: Result<HostAnswer, DnsError>,
    /// The addresses came from `--resolve`.
    pub overridden: bool,
    /// The addresses to probe: the answer, filtered by family and cut to the cap.
    pub addresses: Vec<IpAddr>,
    /// Addresses left out by `-4`/`-6`.
    pub filtered: Vec<IpAddr>,
    /// Addresses left out by `--max-addresses`.
    pub cut: Vec<IpAddr>,
}

/// What DNS said about one target.
#[derive(Debug, Clone)]
pub struct Route {
    /// The domain or host name (or the address) it stands for.
    pub name: String,
    /// How the mail hosts were found.
    pub lookup: Lookup,
    /// The mail hosts in preference order.
    pub hosts: Vec<MailHost>,
    /// The ports to probe on each address.
    pub ports: Vec<u16>,
    /// MX records left out by `--max-mx`.
    pub mx_cut: Vec<Mx>,
    /// The MX set also holds a null MX (`MX 0 .`) next to real hosts.
    pub null_mx_mixed: bool,
    /// The address family asked for (`-4`/`-6`).
    pub family: Family,
}

impl Route {
    /// The port list as written in findings (`25,587`).
    pub fn ports_text(&self) -> String {
        self.ports
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// How targets become routes.
#[derive(Debug, Clone)]
pub struct RouteSettings {
    /// Ports for targets that name none.
    pub ports: Vec<u16>,
    /// Address family filter.
    pub family: Family,
    /// `--resolve` overrides: no DNS for these names (and no MX lookup when typed).
    pub overrides: HashMap<String, Vec<IpAddr>>,
    /// Look up MX records for names (off with `--no-mx`).
    pub mx: bool,
    /// At most this many MX hosts per domain.
    pub max_mx: usize,
    /// At most this many addresses per host.
    pub max_addresses: usize,
}

/// The reason of a lookup the run's deadline cut: the rules say it in the headline, so the
/// resolver is not blamed for the run's own limit.
pub const DEADLINE_REASON: &str = "no answer before the run's --deadline";

/// Runs a lookup, but never past the run's deadline.
async fn bounded<T>(
    name: &str,
    deadline: Instant,
    lookup: impl std::future::Future<Output = Result<T, DnsError>>,
) -> Result<T, DnsError> {
    match tokio::time::timeout_at(deadline.into(), lookup).await {
        Ok(r) => r,
        Err(_) => Err(DnsError::Failed {
            name: name.to_string(),
            reason: DEADLINE_REASON.into(),
        }),
    }
}

async fn host_answer<R: Resolver>(
    name: &str,
    s: &RouteSettings,
    resolver: &R,
    deadline: Instant,
) -> (Result<HostAnswer, DnsError>, bool) {
    match s.overrides.get(name) {
        Some(addrs) => (
            Ok(HostAnswer {
                addrs: addrs.clone(),
                alias_of: None,
                unusable: Vec::new(),
            }),
            true,
        ),
        None => (
            bounded(name, deadline, resolver.lookup_host(name))
                .await
                .and_then(|a| usable_addresses(name, a)),
            false,
        ),
    }
}

/// Why no host can be reached at `ip`, or `None` for an address a host can have (loopback
/// included: a test zone serves its mail hosts on 127.0.0.x).
fn unusable_address(ip: &IpAddr) -> Option<&'static str> {
    match ip {
        _ if ip.is_unspecified() => {
            Some("the unspecified address: a connection to it reaches the sender itself")
        }
        IpAddr::V4(v4) if v4.is_broadcast() => Some("the broadcast address"),
        _ if ip.is_multicast() => Some("a multicast address"),
        _ => None,
    }
}

/// The answer without the addresses no host has; a name left with none of its own is
/// [`DnsError::Unusable`]: probing those would connect to this machine or to no one.
fn usable_addresses(name: &str, mut a: HostAnswer) -> Result<HostAnswer, DnsError> {
    let bad: Vec<String> = a
        .addrs
        .iter()
        .filter_map(|ip| unusable_address(ip).map(|why| format!("{ip} ({why})")))
        .collect();
    a.addrs.retain(|ip| unusable_address(ip).is_none());
    a.unusable.clone_from(&bad);
    if a.addrs.is_empty() && !bad.is_empty() {
        return Err(DnsError::Unusable {
            name: name.to_string(),
            reason: format!(
                "DNS gives it only addresses no host can have: {}",
                bad.join(", ")
            ),
        });
    }
    Ok(a)
}

/// `localhost` and names under it always name the sender's own machine (RFC 6761 §6.3): an
/// MX naming one is the zone's mistake, and resolvers answer it without asking DNS.
fn is_localhost(name: &str) -> bool {
    let n = name.trim_end_matches('.').to_ascii_lowercase();
    n == "localhost" || n.ends_with(".localhost")
}

fn mail_host(
    host: Host,
    preference: Option<u16>,
    literal: bool,
    (answer, overridden): (Result<HostAnswer, DnsError>, bool),
    s: &RouteSettings,
) -> MailHost {
    let mut addresses = Vec::new();
    let mut filtered = Vec::new();
    let mut cut = Vec::new();
    if let Ok(a) = &answer {
        // Resolvers rotate their answers: a stable order keeps reports and the cap repeatable.
        let mut addrs = a.addrs.clone();
        addrs.sort_by_key(|ip| (ip.is_ipv6(), *ip));
        addrs.dedup();
        for ip in &addrs {
            if !s.family.allows(ip) {
                filtered.push(*ip);
            } else if addresses.len() < s.max_addresses.max(1) {
                addresses.push(*ip);
            } else {
                cut.push(*ip);
            }
        }
    }
    MailHost {
        host,
        preference,
        literal,
        answer,
        overridden,
        addresses,
        filtered,
        cut,
    }
}

fn literal_answer(ip: IpAddr) -> (Result<HostAnswer, DnsError>, bool) {
    (
        Ok(HostAnswer {
            addrs: vec![ip],
            alias_of: None,
            unusable: Vec::new(),
        }),
        false,
    )
}

/// Resolves one target.
async fn route<R: Resolver>(
    target: &Target,
    s: &RouteSettings,
    resolver: &R,
    deadline: Instant,
) -> Route {
    let ports = target.port.map_or_else(|| s.ports.clone(), |p| vec![p]);
    let mut route = Route {
        name: target.host.to_string(),
        lookup: Lookup::Direct,
        hosts: Vec::new(),
        ports,
        mx_cut: Vec::new(),
        null_mx_mixed: false,
        family: s.family,
    };
    let name = match &target.host {
        Host::Ip(ip) => {
            let host = mail_host(target.host.clone(), None, false, literal_answer(*ip), s);
            route.hosts.push(host);
            return route;
        }
        Host::Name(n) => n.clone(),
    };
    if !target.is_mail_domain() || !s.mx || s.overrides.contains_key(&name) {
        let answer = host_answer(&name, s, resolver, deadline).await;
        route
            .hosts
            .push(mail_host(target.host.clone(), None, false, answer, s));
        return route;
    }
    let records = match bounded(&name, deadline, resolver.lookup_mx(&name)).await {
        Ok(r) => r,
        Err(e) => {
            route.lookup = Lookup::Failed(e);
            return route;
        }
    };
    if records.is_empty() {
        route.lookup = Lookup::Implicit;
        let answer = host_answer(&name, s, resolver, deadline).await;
        route
            .hosts
            .push(mail_host(target.host.clone(), Some(0), false, answer, s));
        return route;
    }
    if records.iter().all(|m| m.exchange.is_empty()) {
        route.lookup = Lookup::NullMx;
        return route;
    }
    route.lookup = Lookup::Mx;
    route.null_mx_mixed = records.iter().any(|m| m.exchange.is_empty());
    let (kept, cut) = order_and_cap(records, s.max_mx);
    route.mx_cut = cut;
    route.hosts = mx_hosts(&kept, s, resolver, deadline).await;
    route
}

/// The real MX records in the order senders try them, each host once, cut to `max_mx`:
/// `(kept, cut)`.
fn order_and_cap(mut records: Vec<Mx>, max_mx: usize) -> (Vec<Mx>, Vec<Mx>) {
    records.retain(|m| !m.exchange.is_empty());
    // RFC 5321 §5.1: lowest preference first; equal preferences in a stable order here (a
    // sender randomises them, a report should not).
    records.sort_by(|a, b| {
        a.preference
            .cmp(&b.preference)
            .then_with(|| a.exchange.cmp(&b.exchange))
    });
    // The same host twice (MX 10 mx1, MX 30 mx1) is one mail host, at its best preference.
    let mut seen = std::collections::HashSet::new();
    records.retain(|m| seen.insert(m.exchange.clone()));
    let keep = max_mx.max(1).min(records.len());
    let cut = records.split_off(keep);
    (records, cut)
}

/// The mail host each MX record names, their addresses looked up concurrently; an MX that
/// names an address literal answers itself.
async fn mx_hosts<R: Resolver>(
    records: &[Mx],
    s: &RouteSettings,
    resolver: &R,
    deadline: Instant,
) -> Vec<MailHost> {
    let lookups = records.iter().map(|mx| async move {
        match mx.exchange.parse::<IpAddr>() {
            Ok(ip) => mail_host(
                Host::Ip(ip),
                Some(mx.preference),
                true,
                literal_answer(ip),
                s,
            ),
            Err(_) if is_localhost(&mx.exchange) => {
                let answer = Err(DnsError::Unusable {
                    name: mx.exchange.clone(),
                    reason: "localhost names the sender's own machine (RFC 6761 §6.3): every sender would deliver to itself".into(),
                });
                mail_host(
                    Host::Name(mx.exchange.clone()),
                    Some(mx.preference),
                    false,
                    (answer, false),
                    s,
                )
            }
            Err(_) if host_name_problem(&mx.exchange).is_some() => {
                // Not a host name: nothing to look up, and the record itself is the finding.
                let reason = host_name_problem(&mx.exchange).unwrap_or_default();
                let answer = Err(DnsError::InvalidName {
                    name: mx.exchange.clone(),
                    reason,
                });
                mail_host(
                    Host::Name(mx.exchange.clone()),
                    Some(mx.preference),
                    false,
                    (answer, false),
                    s,
                )
            }
            Err(_) => {
                let answer = host_answer(&mx.exchange, s, resolver, deadline).await;
                mail_host(
                    Host::Name(mx.exchange.clone()),
                    Some(mx.preference),
                    false,
                    answer,
                    s,
                )
            }
        }
    });
    futures_util::future::join_all(lookups).await
}

/// Why `name` (an MX exchange as text, see `dns::name_text`) is not a host name a sender can
/// look up, or `None` when it is one (RFC 1123 §2.1 letters, digits and hyphens; underscores
/// tolerated, as in `target::normalize_name`).
pub fn host_name_problem(name: &str) -> Option<String> {
    if crate::target::normalize_name(name).is_some() {
        return None;
    }
    let labels: Vec<&str> = name.split('.').collect();
    Some(if name.contains('\\') {
        "it contains bytes no host name has (a control byte, a space, a dot or other punctuation inside a label)".into()
    } else if name.len() > super::MAX_NAME_LEN {
        format!(
            "it is {} characters long, more than the {} a name can have",
            name.len(),
            super::MAX_NAME_LEN
        )
    } else if labels.iter().any(|l| l.is_empty()) {
        "it has an empty label".into()
    } else if labels.iter().any(|l| l.len() > 63) {
        "it has a label longer than 63 characters".into()
    } else if labels
        .iter()
        .any(|l| l.starts_with('-') || l.ends_with('-'))
    {
        "a label starts or ends with a hyphen".into()
    } else {
        "it contains characters no host name has".into()
    })
}

/// Resolves every target; lookups run concurrently, each bounded by the resolver's timeout
/// and by `deadline`.
pub async fn resolve<R: Resolver>(
    targets: &[Target],
    s: &RouteSettings,
    resolver: &R,
    deadline: Instant,
) -> Vec<Route> {
    futures_util::future::join_all(targets.iter().map(|t| route(t, s, resolver, deadline))).await
}

/// The probes for a set of routes, in order: target, MX preference, address, port. Port 465
/// (or every port with `implicit_tls`) is implicit TLS.
pub fn endpoints(routes: &[Route], implicit_tls: bool) -> Vec<Endpoint> {
    let mut out: Vec<Endpoint> = Vec::new();
    for r in routes {
        for h in &r.hosts {
            let via = h.preference.map(|preference| Via {
                domain: r.name.clone(),
                preference,
            });
            for ip in &h.addresses {
                for &port in &r.ports {
                    let tls_mode = if implicit_tls || port == 465 {
                        TlsMode::Implicit
                    } else {
                        TlsMode::Starttls
                    };
                    let ep = Endpoint {
                        host: h.host.clone(),
                        address: SocketAddr::new(*ip, port),
                        tls_mode,
                        via: via.clone(),
                    };
                    // Two domains sharing an MX host: one probe serves both.
                    let seen = out.iter().any(|o| {
                        o.host == ep.host && o.address == ep.address && o.tls_mode == ep.tls_mode
                    });
                    if !seen {
                        out.push(ep);
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::StaticResolver;
    use std::time::Duration;

    fn settings() -> RouteSettings {
        RouteSettings {
            ports: vec![25],
            family: Family::Any,
            overrides: HashMap::new(),
            mx: true,
            max_mx: 10,
            max_addresses: 8,
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn resolver() -> StaticResolver {
        let mut r = StaticResolver::default();
        r.mx.insert(
            "contoso.test".into(),
            vec![
                Mx {
                    preference: 20,
                    exchange: "mx2.contoso.test".into(),
                },
                Mx {
                    preference: 10,
                    exchange: "mx1.contoso.test".into(),
                },
                Mx {
                    preference: 30,
                    exchange: "192.0.2.7".into(),
                },
                Mx {
                    preference: 40,
                    exchange: "mx1.contoso.test".into(),
                },
            ],
        );
        r.mx.insert(
            "null.test".into(),
            vec![Mx {
                preference: 0,
                exchange: String::new(),
            }],
        );
        r.hosts
            .insert("mx1.contoso.test".into(), vec![ip("192.0.2.1")]);
        r.hosts.insert(
            "mx2.contoso.test".into(),
            vec![ip("192.0.2.2"), ip("2001:db8::2"), ip("192.0.2.3")],
        );
        r.hosts.insert("plain.test".into(), vec![ip("192.0.2.9")]);
        r
    }

    fn run(target: &str, s: &RouteSettings) -> Route {
        let t: Target = target.parse().unwrap_or_else(|e| panic!("{e}"));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let deadline = Instant::now() + Duration::from_secs(5);
        rt.block_on(route(&t, s, &resolver(), deadline))
    }

    #[test]
    fn mx_hosts_come_in_preference_order_with_literals_marked() {
        let r = run("user@contoso.test", &settings());
        assert_eq!(r.lookup, Lookup::Mx);
        let names: Vec<String> = r.hosts.iter().map(|h| h.host.to_string()).collect();
        assert_eq!(names, ["mx1.contoso.test", "mx2.contoso.test", "192.0.2.7"]);
        assert!(r.hosts[2].literal);
        assert_eq!(
            r.hosts[0].preference,
            Some(10),
            "a repeated MX keeps its best preference"
        );
        let mx2: Vec<String> = r.hosts[1]
            .addresses
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            mx2,
            ["192.0.2.2", "192.0.2.3", "2001:db8::2"],
            "IPv4 first, sorted"
        );
        let eps = endpoints(std::slice::from_ref(&r), false);
        assert_eq!(eps.len(), 5);
        let twice = endpoints(&[r.clone(), r], false);
        assert_eq!(
            twice.len(),
            5,
            "an address:port shared by two routes is probed once"
        );
        assert_eq!(
            eps[0].via.as_ref().map(|v| v.preference),
            Some(10),
            "{eps:?}"
        );
    }

    #[test]
    fn caps_and_family_leave_addresses_out_and_say_so() {
        let mut s = settings();
        s.max_mx = 1;
        s.family = Family::V4;
        s.max_addresses = 1;
        let r = run("contoso.test", &s);
        assert_eq!(r.hosts.len(), 1);
        assert_eq!(r.mx_cut.len(), 2);
        let mut s = settings();
        s.family = Family::V4;
        s.max_addresses = 1;
        let r = run("[mx2.contoso.test]", &s);
        assert_eq!(r.lookup, Lookup::Direct);
        assert_eq!(r.hosts[0].addresses, [ip("192.0.2.2")]);
        assert_eq!(r.hosts[0].filtered, [ip("2001:db8::2")]);
        assert_eq!(r.hosts[0].cut, [ip("192.0.2.3")]);
    }

    #[test]
    fn null_implicit_missing_and_overridden_names() {
        assert_eq!(run("null.test", &settings()).lookup, Lookup::NullMx);
        let implicit = run("plain.test:587", &settings());
        assert_eq!(implicit.lookup, Lookup::Implicit);
        assert_eq!(implicit.ports, [587]);
        assert!(matches!(
            run("nope.test", &settings()).lookup,
            Lookup::Failed(DnsError::NxDomain { .. })
        ));
        let mut s = settings();
        s.overrides
            .insert("contoso.test".into(), vec![ip("127.0.0.9")]);
        let r = run("contoso.test", &s);
        assert_eq!(r.lookup, Lookup::Direct);
        assert!(r.hosts[0].overridden);
        let mut s = settings();
        s.mx = false;
        assert_eq!(run("plain.test", &s).lookup, Lookup::Direct);
    }
}
