//! The domain's published TLS policy: DNSSEC and TLSA (DANE, RFC 7672), MTA-STS (RFC 8461)
//! and TLS-RPT (RFC 8460), gathered while the SMTP probes run (never after them), as data.
//!
//! This module only looks things up and fetches; what the answers mean is the rules'
//! business (`diagnose/rules/{dane,mta_sts}.rs`), which take these observations and `now`.
//! Every lookup goes to the run's DNS server with the AD and DO bits set (`dns.rs`); its AD
//! bit is trusted only from a loopback server or one named with `--trust-resolver`, and the
//! report says which (RFC 7672 §2.1 relies on a validating resolver the client trusts).
//!
//! # References
//! - RFC 4035 §4.3 (secure, insecure, bogus, indeterminate), §3.2.3 (the AD bit)
//! - RFC 6698 §2 (the TLSA record), RFC 7671 (its operational rules), RFC 7672 (DANE for SMTP)
//! - RFC 8461 (MTA-STS), RFC 8460 (TLS-RPT)

pub mod dane;
pub mod dns;
pub mod lookups;
pub mod mta_sts;
pub mod tlsrpt;

use std::net::SocketAddr;
use std::time::Instant;

use crate::dns::Resolver;
use crate::dns::route::{Lookup, Route};
use crate::fetch::{Fetch, FetchConfig};

/// What the policy phase may do, from the command line.
#[derive(Debug, Clone)]
pub struct PolicyConfig {
    /// `--no-policy` turns all of it off: no DNSSEC/TLSA, MTA-STS or TLS-RPT lookups and no
    /// CRL or CA Issuers fetches.
    pub enabled: bool,
    /// `--trust-resolver`: trust the AD bit of a `--resolver` that is not on loopback.
    pub trust_resolver: bool,
    /// The DNS servers to ask (`--resolver`); empty: the system's.
    pub dns_servers: Vec<SocketAddr>,
    /// How HTTP(S) fetches connect, how long they may take, which roots they trust.
    pub fetch: FetchConfig,
}

/// The DNSSEC status of an answer, as the client can know it (RFC 4035 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dnssec {
    /// Validated by a resolver we trust (AD set).
    Secure,
    /// Answered by a trusted validating resolver without AD: an unsigned zone or delegation.
    Insecure,
    /// The validating resolver failed it (SERVFAIL from a validating resolver, RFC 4035
    /// §5.5): senders that use DANE defer.
    Bogus,
    /// No answer to judge (a timeout, a lookup that failed for another reason).
    Indeterminate,
    /// The resolver's AD bit cannot be trusted here (not on loopback, no `--trust-resolver`):
    /// the status is unknown, not insecure.
    NotValidated,
}

/// The answer part of a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer<T> {
    /// The records of the queried type (after any CNAME).
    Records(Vec<T>),
    /// The name does not exist.
    NxDomain,
    /// The name exists without records of this type.
    NoData,
    /// No usable answer: the rcode or the network error, in words.
    Failed(String),
}

/// One DNS lookup made with DO and AD set: its name, the answer, and its DNSSEC status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsResult<T> {
    /// The name asked, without the trailing dot.
    pub name: String,
    /// The DNSSEC status of the answer (of the records or of the denial).
    pub dnssec: Dnssec,
    /// What came back.
    pub answer: Answer<T>,
    /// The names of a CNAME chain the answer went through, in order (empty without one).
    pub cnames: Vec<String>,
}

/// A TLSA record (RFC 6698 §2.1): usage, selector, matching type, association data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tlsa {
    /// Certificate usage: 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE, 255 private.
    pub usage: u8,
    /// Selector: 0 the full certificate, 1 the SubjectPublicKeyInfo.
    pub selector: u8,
    /// Matching type: 0 exact, 1 SHA2-256, 2 SHA2-512.
    pub matching: u8,
    /// The certificate association data.
    pub data: Vec<u8>,
}

/// The RFC 7672 §2.2 lookups for one mail host and port: its addresses' DNSSEC status and,
/// when they are secure, its TLSA records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostDane {
    /// The mail host as the MX (or the target) names it, without the trailing dot.
    pub host: String,
    /// The port probed (`_PORT._tcp`).
    pub port: u16,
    /// The DNSSEC status of the host's A/AAAA answer (through any CNAME).
    pub addresses: Dnssec,
    /// The TLSA lookup at the TLSA base domain, when it was made (only for secure
    /// addresses, RFC 7672 §2.2); `None` otherwise.
    pub tlsa: Option<DnsResult<Tlsa>>,
    /// The TLSA base domain (where the records were found: the CNAME-expanded name first,
    /// then the original name, RFC 7672 §2.2.2).
    pub base_domain: Option<String>,
    /// The CNAME chain of the address lookup, in order, the expanded name last (empty when
    /// the host is no alias).
    pub cnames: Vec<String>,
}

/// Whether the AD bit of the server asked can be believed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ResolverTrust {
    /// The server asked (`127.0.0.1:53`), or why none could be.
    pub server: String,
    /// Its AD bit is trusted: on loopback, or named with `--trust-resolver`.
    pub trusted: bool,
    /// Why (or why not), in words.
    pub why: String,
}

/// What MTA-STS lookups found for a domain (RFC 8461 §3).
#[derive(Debug, Clone)]
pub struct MtaStsObservation {
    /// `_mta-sts.DOMAIN` TXT, each record's strings concatenated.
    pub txt: DnsResult<String>,
    /// `https://mta-sts.DOMAIN/.well-known/mta-sts.txt`.
    pub policy_url: String,
    /// The policy fetch, when a TXT record made it worth trying (or always, for the report).
    pub fetch: Option<Fetch>,
}

/// Everything the policy phase learned about one domain (one route of the job).
#[derive(Debug, Clone)]
pub struct DomainPolicy {
    /// The domain (the target's name), without the trailing dot.
    pub domain: String,
    /// The target has MX records (a mail domain): missing MTA-STS or TLS-RPT is worth a
    /// word; for a host target without MX it is not.
    pub has_mx: bool,
    /// The DNS server asked and whether its AD bit counts.
    pub resolver: ResolverTrust,
    /// The DNSSEC status of the MX RRset, when the target had an MX lookup.
    pub mx: Option<Dnssec>,
    /// The mail hosts of the route by name, in MX order, without the trailing dot: what
    /// MTA-STS matches against the policy's `mx:` patterns (RFC 8461 §4.1).
    pub mx_hosts: Vec<String>,
    /// The DANE lookups, one per mail host and port probed.
    pub dane: Vec<HostDane>,
    /// MTA-STS, for a mail domain (MX or implicit MX); `None` for a direct host target.
    pub mta_sts: Option<MtaStsObservation>,
    /// `_smtp._tls.DOMAIN` TXT, for a mail domain; `None` for a direct host target.
    pub tlsrpt: Option<DnsResult<String>>,
}

/// The policy of every route of a job, looked up concurrently (the engine runs this beside
/// the SMTP probes). Empty when `--no-policy` is given, or for routes that name no host.
pub async fn gather<R: Resolver>(
    routes: &[Route],
    cfg: &PolicyConfig,
    resolver: &R,
    deadline: Instant,
) -> Vec<DomainPolicy> {
    if !cfg.enabled {
        return Vec::new();
    }
    let wanted = routes.iter().filter(|r| {
        // An address target publishes nothing: no name to ask about.
        matches!(r.lookup, Lookup::Mx | Lookup::Implicit | Lookup::Direct)
            && r.hosts.iter().any(|h| h.host.name().is_some())
    });
    futures_util::future::join_all(wanted.map(|r| domain(r, cfg, resolver, deadline))).await
}

/// One route's policy: the MX RRset's status, each host's DANE lookups, MTA-STS and TLS-RPT,
/// all at once.
async fn domain<R: Resolver>(
    route: &Route,
    cfg: &PolicyConfig,
    resolver: &R,
    deadline: Instant,
) -> DomainPolicy {
    let client = dns::Client::new(cfg);
    let domain = route.name.trim_end_matches('.').to_ascii_lowercase();
    let mail_domain = matches!(route.lookup, Lookup::Mx | Lookup::Implicit);
    let mx = async {
        match route.lookup {
            Lookup::Mx => Some(client.mx_status(&domain, deadline).await),
            _ => None,
        }
    };
    let hosts: Vec<(String, u16)> = route
        .hosts
        .iter()
        .filter_map(|h| h.host.name())
        .flat_map(|name| {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            route.ports.iter().map(move |p| (name.clone(), *p))
        })
        .collect();
    // Every MX host by name, those --max-mx cut included: a host the policy does not
    // cover is refused by enforcing senders whether or not this run probed it.
    let mut mx_hosts: Vec<String> = Vec::new();
    let named = route.hosts.iter().filter_map(|h| h.host.name());
    for name in named.chain(route.mx_cut.iter().map(|m| m.exchange.as_str())) {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if !name.is_empty() && !mx_hosts.contains(&name) {
            mx_hosts.push(name);
        }
    }
    let dane = futures_util::future::join_all(
        hosts.iter().map(|(h, p)| client.host_dane(h, *p, deadline)),
    );
    let mta_sts = async {
        if mail_domain {
            Some(mta_sts::observe(&client, &domain, &cfg.fetch, resolver, deadline).await)
        } else {
            None
        }
    };
    let tlsrpt = async {
        if mail_domain {
            Some(client.txt(&format!("_smtp._tls.{domain}"), deadline).await)
        } else {
            None
        }
    };
    let (mx, dane, mta_sts, tlsrpt) = tokio::join!(mx, dane, mta_sts, tlsrpt);
    DomainPolicy {
        domain,
        has_mx: route.lookup == Lookup::Mx,
        resolver: client.trust(),
        mx,
        mx_hosts,
        dane,
        mta_sts,
        tlsrpt,
    }
}
