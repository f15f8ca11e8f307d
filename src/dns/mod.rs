//! Name resolution behind a trait, so tests and the demo never touch the system resolver, and
//! [`route`]: from what the user typed to the MX hosts and addresses to probe.
//!
//! # References
//! - RFC 5321 §5.1 (locating the target host: MX, then the host's own A/AAAA)
//! - RFC 7505 (null MX)
//! - RFC 2181 §10.3 (an MX must not name an alias)

pub(crate) mod dnsbl;
pub(crate) mod route;
pub(crate) mod wire;

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::time::Instant;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, LookupIpStrategy, NameServerConfig, ProtocolConfig, ResolveHosts,
    ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType};

/// CNAME links followed when a host's address lookup fails, to say why: hickory itself
/// follows at most 8 (its `MAX_QUERY_DEPTH`), so a longer chain never resolves here, and a
/// chain that long is a mistake in any zone (RFC 1034 §5.2.2 asks resolvers to bound it).
pub const MAX_CNAME_CHAIN: usize = 8;

/// Longest host name in text form without the trailing dot (RFC 1035 §2.3.4: 255 octets on
/// the wire are 253 characters of text).
pub const MAX_NAME_LEN: usize = 253;

/// Why a lookup produced no address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    /// The name does not exist (NXDOMAIN).
    #[error("{name} does not exist in DNS (NXDOMAIN)")]
    NxDomain {
        /// The name looked up.
        name: String,
    },
    /// The name exists but has no address of the requested family.
    #[error("{name} has no A/AAAA record")]
    NoAddress {
        /// The name looked up.
        name: String,
    },
    /// The resolver itself failed or timed out: nothing is known about the name.
    #[error("looking up {name} failed: {reason}")]
    Failed {
        /// The name looked up.
        name: String,
        /// What the resolver said.
        reason: String,
    },
    /// The DNS server answered with an error code (SERVFAIL, REFUSED, ...).
    #[error("the DNS server answered {rcode} for {name}")]
    Rcode {
        /// The name looked up.
        name: String,
        /// The code and what it means (`SERVFAIL (server failure)`).
        rcode: String,
    },
    /// No usable answer within the timeout: `seen` says what the server did instead.
    #[error("no usable answer for {name}: {seen}")]
    NoAnswer {
        /// The name looked up.
        name: String,
        /// `the DNS server at 127.0.0.1:5353 answered with a wrong transaction ID ...`.
        seen: String,
    },
    /// An answer came back but could not be read.
    #[error("the answer for {name} could not be read: {reason}")]
    Malformed {
        /// The name looked up.
        name: String,
        /// What was wrong with it.
        reason: String,
    },
    /// The answer held records, but only for other names: a resolver ignores them, so the
    /// lookup looked empty, yet nothing is known about the name itself.
    #[error(
        "the DNS server answered the query for {name} with records for other names only: {records}"
    )]
    Foreign {
        /// The name looked up.
        name: String,
        /// `elsewhere.test. MX, elsewhere.test. A` (escaped, at most a few).
        records: String,
    },
    /// DNS data named something that is not a host name (an MX exchange with a control byte,
    /// a space, an empty label): it was not looked up.
    #[error("{name} is not a valid host name: {reason}")]
    InvalidName {
        /// The name as received, escaped (`mx\x07.example`).
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The name cannot be a mail host anywhere: it is `localhost` (RFC 6761 §6.3), or DNS
    /// gave only addresses no host has (unspecified, broadcast, multicast). Not probed.
    #[error("{name} cannot be a mail host: {reason}")]
    Unusable {
        /// The name.
        name: String,
        /// Why, in words (`its only address, 0.0.0.0, is the unspecified address`).
        reason: String,
    },
    /// The name is an alias whose CNAME chain loops, runs too long, or ends at a name without
    /// an address.
    #[error("{name} is an alias: {}", chain_text(chain, end))]
    Alias {
        /// The name looked up.
        name: String,
        /// The names of the chain in order, the name looked up first.
        chain: Vec<String>,
        /// How the chain ends.
        end: AliasEnd,
    },
}

impl DnsError {
    /// Whether the lookup says nothing about the name (a broken or refused lookup), as opposed
    /// to a statement about it (NXDOMAIN, no address, an alias chain, an invalid name).
    pub fn is_inconclusive(&self) -> bool {
        matches!(
            self,
            DnsError::Failed { .. }
                | DnsError::Rcode { .. }
                | DnsError::NoAnswer { .. }
                | DnsError::Malformed { .. }
                | DnsError::Foreign { .. }
        )
    }
}

/// How a CNAME chain that yields no address ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AliasEnd {
    /// It comes back to a name already in the chain (the last name of the chain).
    Loop,
    /// It goes on past [`MAX_CNAME_CHAIN`] links.
    TooLong,
    /// Its last name does not exist (NXDOMAIN).
    Missing,
    /// Its last name exists without an address.
    NoAddress,
}

/// `a.example → b.example → a.example (a loop)`.
pub fn chain_text(chain: &[String], end: &AliasEnd) -> String {
    let links = chain.join(" → ");
    match end {
        AliasEnd::Loop => format!("{links} (a CNAME loop)"),
        AliasEnd::TooLong => format!("{links} → … (more than {MAX_CNAME_CHAIN} CNAME links)"),
        AliasEnd::Missing => format!("{links}, which does not exist (NXDOMAIN)"),
        AliasEnd::NoAddress => format!("{links}, which has no A/AAAA record"),
    }
}

/// One MX record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mx {
    /// Lower is preferred.
    pub preference: u16,
    /// The mail host, lower-cased, without the trailing dot; empty for the root (null MX).
    pub exchange: String,
}

/// The addresses of a host, and the name it is an alias of, if it is one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HostAnswer {
    /// A and AAAA addresses, in the order the resolver gave them.
    pub addrs: Vec<IpAddr>,
    /// The canonical name when the host is a CNAME.
    pub alias_of: Option<String>,
    /// Addresses DNS gave that no host can have (0.0.0.0, broadcast, multicast), each with
    /// why, left out of `addrs`: not probed, and reported.
    pub unusable: Vec<String>,
}

/// Looks up MX records and addresses.
pub trait Resolver: Send + Sync {
    /// The MX records of `name`; an empty list when the name exists without MX (NODATA).
    fn lookup_mx(&self, name: &str) -> impl Future<Output = Result<Vec<Mx>, DnsError>> + Send;

    /// All A and AAAA addresses of `name`.
    fn lookup_host(&self, name: &str) -> impl Future<Output = Result<HostAnswer, DnsError>> + Send;

    /// How the resolver is named in findings ("the system resolver (10.0.0.2)").
    fn describe(&self) -> String;

    /// The A records of `name` (a DNS blocklist query: `7.113.0.203.zen.spamhaus.org`); an
    /// empty list when the name exists without A records.
    fn lookup_a(&self, name: &str) -> impl Future<Output = Result<Vec<Ipv4Addr>, DnsError>> + Send;
}

fn fqdn(name: &str) -> String {
    // A trailing dot stops search-domain expansion: the user typed a full name.
    if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    }
}

fn normalize(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// A name from DNS data (an MX exchange, a CNAME target) as text: lower-cased when every label is a host-name label; otherwise each
/// label escaped (a `.` inside a label too), so that a control byte never leaves here raw and
/// the host-name check in `route` refuses the result.
pub(crate) fn name_text(name: &hickory_resolver::proto::rr::Name) -> String {
    let plain = |l: &[u8]| {
        l.iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
    };
    if name.iter().all(plain) {
        return normalize(&name.to_ascii());
    }
    name.iter()
        .map(|l| crate::smtp::escape(l).replace('.', "\\x2e"))
        .collect::<Vec<_>>()
        .join(".")
}

/// The code and its meaning, as the finding quotes it.
fn rcode_text(code: ResponseCode) -> String {
    let meaning = match code {
        ResponseCode::ServFail => "SERVFAIL (server failure: it could not get an answer)",
        ResponseCode::Refused => "REFUSED (it will not answer this query for us)",
        ResponseCode::FormErr => "FORMERR (it could not read the query)",
        ResponseCode::NotImp => "NOTIMP (it does not implement the query)",
        ResponseCode::YXDomain => {
            "YXDOMAIN (a name that should not exist does: not an answer to a lookup)"
        }
        ResponseCode::NotAuth => "NOTAUTH (it is not authoritative for the zone)",
        _ => return format!("the error code {}", u16::from(code)),
    };
    meaning.to_string()
}

/// The DNS library's words for an answer it could not read, said plainly where they are
/// known (its own phrasing names its parser's internals), and escaped.
fn proto_words(text: &str) -> String {
    const KNOWN: &[(&str, &str)] = &[
        (
            "label points to data not prior to",
            "a compression pointer points forward or at itself (RFC 1035 §4.1.4 allows only earlier data): a corrupt answer",
        ),
        (
            "incorrect rdata length",
            "a record's data length does not match its contents: a corrupt or truncated answer",
        ),
        (
            "unexpected end of input",
            "the answer ends in the middle of a record",
        ),
    ];
    let words = KNOWN
        .iter()
        .find(|(lib, _)| text.contains(lib))
        .map(|(_, plain)| format!("{plain} (the library said: {text})"));
    crate::smtp::escape(words.as_deref().unwrap_or(text).as_bytes())
}

fn classify(name: &str, e: &NetError) -> DnsError {
    use hickory_resolver::net::DnsError as Dns;
    if e.is_nx_domain() {
        return DnsError::NxDomain { name: name.into() };
    }
    if e.is_no_records_found() {
        return DnsError::NoAddress { name: name.into() };
    }
    match e {
        NetError::Dns(Dns::ResponseCode(code)) => DnsError::Rcode {
            name: name.into(),
            rcode: rcode_text(*code),
        },
        NetError::Proto(p) => DnsError::Malformed {
            name: name.into(),
            reason: proto_words(&p.to_string()),
        },
        // The library's words may quote what the server sent: escaped like the rest.
        _ => DnsError::Failed {
            name: name.into(),
            reason: crate::smtp::escape(e.to_string().as_bytes()),
        },
    }
}

/// hickory's resolver: the system's configuration (`/etc/resolv.conf` on Unix, the network
/// adapters' DNS servers on Windows), or the name servers given with `--resolver`.
#[derive(Debug, Clone)]
pub struct HickoryResolver {
    inner: TokioResolver,
    description: String,
    /// The whole budget of one lookup, retries and the TCP fallback included.
    timeout: Duration,
    /// The server a slow lookup is watched on (see [`wire`]): the first one asked.
    watch: Option<SocketAddr>,
    /// How many servers are asked, so a finding about the watched one says it was the first.
    servers: usize,
    /// The address family asked for.
    family: route::Family,
}

impl HickoryResolver {
    /// Builds the resolver; each lookup costs at most `timeout` in all (one try with the whole
    /// of it, the alias chase and the foreign-answer check included; a slow lookup is
    /// watched, see [`wire`]). With `servers`, only those are asked (UDP,
    /// then TCP for truncated answers); otherwise the system's.
    pub fn new(timeout: Duration, servers: &[SocketAddr]) -> Result<Self, DnsError> {
        Self::with_family(timeout, servers, route::Family::Any)
    }

    /// Like [`HickoryResolver::new`], asking only for the addresses of `family` (`-4`/`-6`
    /// need not wait for the other family's answer).
    pub fn with_family(
        timeout: Duration,
        servers: &[SocketAddr],
        family: route::Family,
    ) -> Result<Self, DnsError> {
        let failed = |e: &dyn std::fmt::Display| DnsError::Failed {
            name: "(resolver configuration)".into(),
            reason: e.to_string(),
        };
        let (mut builder, description, watch, count) = if servers.is_empty() {
            // Read the system's configuration once: for the resolver, and to name its servers
            // in findings.
            let (config, options) =
                hickory_resolver::system_conf::read_system_conf().map_err(|e| failed(&e))?;
            let description = system_description(&config);
            let (watch, count) = system_watch(&config);
            let mut builder =
                TokioResolver::builder_with_config(config, TokioRuntimeProvider::default());
            *builder.options_mut() = options;
            (builder, description, watch, count)
        } else {
            let name_servers = servers
                .iter()
                .map(|s| {
                    let mut udp = ConnectionConfig::udp();
                    udp.port = s.port();
                    let mut tcp = ConnectionConfig::tcp();
                    tcp.port = s.port();
                    NameServerConfig::new(s.ip(), true, vec![udp, tcp])
                })
                .collect();
            let builder = TokioResolver::builder_with_config(
                ResolverConfig::from_name_servers(name_servers),
                TokioRuntimeProvider::default(),
            );
            let watch = servers.first().copied();
            let description = describe_servers("the resolver", servers);
            (builder, description, watch, servers.len())
        };
        let opts: &mut ResolverOpts = builder.options_mut();
        opts.ip_strategy = match family {
            route::Family::Any => LookupIpStrategy::Ipv4AndIpv6,
            route::Family::V4 => LookupIpStrategy::Ipv4Only,
            route::Family::V6 => LookupIpStrategy::Ipv6Only,
        };
        // One try with the whole --timeout: hickory retries a timed-out query on a new socket
        // and drops the first one, so with two tries of half of it a server answering every
        // query in 0.6 T was never heard and was reported as "did not answer within T". A
        // lost datagram is not retried within the budget; the watcher (see `guarded`) still
        // says whether the server answered a query of its own.
        opts.timeout = timeout;
        opts.attempts = 1;
        opts.preserve_intermediates = true;
        if !servers.is_empty() {
            // The user named the resolver to ask: /etc/hosts must not answer instead.
            opts.use_hosts_file = ResolveHosts::Never;
        }
        let inner = builder.build().map_err(|e| failed(&e))?;
        Ok(HickoryResolver {
            inner,
            description,
            timeout,
            watch,
            servers: count,
            family,
        })
    }

    /// Runs one hickory lookup until `end` (the end of the whole lookup's budget). When it
    /// has no answer halfway, a query of our own watches what the server does (see
    /// [`wire`]), so a lookup that ends without an answer says what the server did instead.
    async fn guarded<T>(
        &self,
        name: &str,
        qtype: RecordType,
        lookup: impl Future<Output = Result<T, NetError>>,
        end: Instant,
    ) -> Result<T, DnsError> {
        let start = Instant::now();
        // What the messages say was waited: the time this lookup really had.
        let waited = end.saturating_duration_since(start);
        let lookup = tokio::time::timeout_at(end, lookup);
        let watch = async {
            let server = self.watch?;
            tokio::time::sleep_until(start + waited / 2).await;
            let qname = fqdn(name);
            Some((
                server,
                wire::observe(server, &qname, u16::from(qtype), end).await,
            ))
        };
        tokio::pin!(lookup, watch);
        let mut seen = None;
        let result = loop {
            tokio::select! {
                r = &mut lookup => break r,
                s = &mut watch, if seen.is_none() => seen = Some(s),
            }
        };
        match result {
            Ok(Ok(v)) => return Ok(v),
            Ok(Err(e)) if !matches!(e, NetError::Timeout) => return Err(classify(name, &e)),
            _ => {}
        }
        // The watcher's own deadline is `end`, which has passed: this does not wait long.
        let seen = match seen {
            Some(s) => s,
            None => watch.await,
        };
        Err(match seen {
            // Nothing listens there: the resolver itself is down or unreachable from here.
            Some((server, seen @ wire::Seen::Unreachable(_))) => DnsError::Failed {
                name: name.into(),
                reason: format!("{} {}", self.server_text(server), seen.describe(waited)),
            },
            Some((server, seen)) => DnsError::NoAnswer {
                name: name.into(),
                seen: format!("{} {}", self.server_text(server), seen.describe(waited)),
            },
            None => DnsError::NoAnswer {
                name: name.into(),
                seen: format!("no answer within {}", crate::text::seconds(waited)),
            },
        })
    }

    /// "the DNS server at ADDR", or "(the first of N servers asked)" when several were.
    fn server_text(&self, server: SocketAddr) -> String {
        match self.servers {
            0 | 1 => format!("the DNS server at {server}"),
            n => format!("the DNS server at {server} (the first of the {n} servers asked)"),
        }
    }

    /// When a lookup came back empty: whether the server's answer actually held records, all
    /// for other names (a broken server or a proxy answering from the wrong cache). `None`
    /// when the answer is really empty or cannot be read again before `end`.
    async fn foreign_answer(
        &self,
        name: &str,
        qtype: RecordType,
        end: Instant,
    ) -> Option<DnsError> {
        /// Records quoted in the finding; the rest are counted.
        const QUOTED: usize = 5;
        let server = self.watch?;
        let records = wire::answer_records(server, &fqdn(name), u16::from(qtype), end).await?;
        let own = normalize(name);
        let asked = qtype.to_string();
        // An answer of the name's own records, none of the type asked (TXT to an MX query):
        // a resolver finds nothing in it, yet it says nothing about the name's MX records.
        let wrong_type: Vec<String> = records
            .iter()
            .filter(|(owner, t)| *owner == own && *t != asked && t != "CNAME")
            .take(QUOTED)
            .map(|(owner, t)| format!("{owner}. {t}"))
            .collect();
        let answered = |t: &str| t == asked || t == "CNAME";
        if !wrong_type.is_empty() && !records.iter().any(|(o, t)| *o == own && answered(t)) {
            return Some(DnsError::Malformed {
                name: name.into(),
                reason: format!(
                    "the answer to the {asked} query holds only records of other types, {}, which no resolver takes for an answer, RFC 1034 §4.3.2",
                    wrong_type.join(", ")
                ),
            });
        }
        if records.is_empty() || records.iter().any(|(owner, _)| *owner == own) {
            return None;
        }
        let mut listed: Vec<String> = records
            .iter()
            .take(QUOTED)
            .map(|(owner, t)| format!("{owner}. {t}"))
            .collect();
        if records.len() > QUOTED {
            listed.push(format!("and {} more", records.len() - QUOTED));
        }
        Some(DnsError::Foreign {
            name: name.into(),
            records: listed.join(", "),
        })
    }

    /// [`HickoryResolver::alias_chain`] until `end`, the end of the lookup that asked for
    /// it: a server slow at every link must not multiply the wait by the chain's length, nor
    /// add a timeout of its own to the lookup's.
    async fn chase(&self, name: &str, last: &DnsError, end: Instant) -> Option<DnsError> {
        let found = tokio::time::timeout_at(end, self.alias_chain(name, last, end))
            .await
            .ok()
            .flatten();
        // Under -4/-6 a chain whose end has no address of that family says nothing more than
        // "no address of that family": an alias verdict would claim it has none at all.
        match found {
            Some(DnsError::Alias {
                end: AliasEnd::NoAddress,
                ..
            }) if self.family != route::Family::Any => None,
            other => other,
        }
    }

    /// Why `name` has no address when it is an alias: its CNAME chain, followed one link at
    /// a time, up to [`MAX_CNAME_CHAIN`] links. `None` when `name` is not an alias.
    async fn alias_chain(&self, name: &str, last: &DnsError, end: Instant) -> Option<DnsError> {
        let mut chain = vec![normalize(name)];
        let end = loop {
            if chain.len() > MAX_CNAME_CHAIN {
                break AliasEnd::TooLong;
            }
            let current = chain.last()?.clone();
            let qname = fqdn(&current);
            let q = self.inner.lookup(qname.as_str(), RecordType::CNAME);
            let next = match self.guarded(&current, RecordType::CNAME, q, end).await {
                Ok(l) => l.answers().iter().find_map(|r| match &r.data {
                    RData::CNAME(t) if name_text(&r.name) == current => Some(name_text(&t.0)),
                    _ => None,
                }),
                Err(_) => None,
            };
            match next {
                Some(n) if chain.contains(&n) => {
                    chain.push(n);
                    break AliasEnd::Loop;
                }
                Some(n) => chain.push(n),
                None if chain.len() == 1 => return None,
                // The end of the chain: what the lookup of the whole chain said about it.
                None => match last {
                    DnsError::NxDomain { .. } => break AliasEnd::Missing,
                    DnsError::NoAddress { .. } => break AliasEnd::NoAddress,
                    _ => return None,
                },
            }
        };
        Some(DnsError::Alias {
            name: name.into(),
            chain,
            end,
        })
    }
}

fn describe_servers(what: &str, servers: &[SocketAddr]) -> String {
    let list: Vec<String> = servers
        .iter()
        .map(|s| {
            if s.port() == 53 {
                s.ip().to_string()
            } else {
                s.to_string()
            }
        })
        .collect();
    format!("{what} {}", list.join(", "))
}

/// The system server a slow lookup is watched on, and how many distinct servers are asked.
fn system_watch(config: &ResolverConfig) -> (Option<SocketAddr>, usize) {
    // hickory keeps a server as an IpAddr (no IPv6 scope ID: it cannot ask a link-local
    // server either) and asks it on its configured port: watch the address and port it asks.
    let watch = config.name_servers().first().map(|n| {
        let port = n
            .connections
            .iter()
            .find(|c| matches!(c.protocol, ProtocolConfig::Udp))
            .map_or(53, |c| c.port);
        SocketAddr::new(n.ip, port)
    });
    let count = config
        .name_servers()
        .iter()
        .map(|n| n.ip)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    (watch, count)
}

fn system_description(config: &ResolverConfig) -> String {
    let ips: Vec<String> = config
        .name_servers()
        .iter()
        .map(|n| n.ip.to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    // Findings quote this on every platform: name where the servers come from in words
    // that hold for /etc/resolv.conf and for a Windows network adapter alike.
    format!(
        "the system resolver ({}, from this machine's DNS settings)",
        ips.join(", ")
    )
}

impl Resolver for HickoryResolver {
    async fn lookup_mx(&self, name: &str) -> Result<Vec<Mx>, DnsError> {
        let qname = fqdn(name);
        let q = self.inner.mx_lookup(qname.as_str());
        // One budget for the lookup and the foreign-answer check after it.
        let end = Instant::now() + self.timeout;
        match self.guarded(name, RecordType::MX, q, end).await {
            Ok(lookup) => Ok(lookup
                .answers()
                .iter()
                .filter_map(|r| match &r.data {
                    RData::MX(mx) => Some(Mx {
                        preference: mx.preference,
                        exchange: name_text(&mx.exchange),
                    }),
                    _ => None,
                })
                .collect()),
            Err(DnsError::NoAddress { .. }) => {
                match self.foreign_answer(name, RecordType::MX, end).await {
                    Some(e) => Err(e),
                    None => Ok(Vec::new()),
                }
            }
            Err(other) => Err(other),
        }
    }

    async fn lookup_host(&self, name: &str) -> Result<HostAnswer, DnsError> {
        let qname = fqdn(name);
        let q = self.inner.lookup_ip(qname.as_str());
        // One budget for the lookup, the alias chase and the foreign-answer check.
        let end = Instant::now() + self.timeout;
        match self.guarded(name, RecordType::A, q, end).await {
            Ok(l) => {
                let addrs: Vec<IpAddr> = l.iter().collect();
                if addrs.is_empty() {
                    return Err(DnsError::NoAddress { name: name.into() });
                }
                // Follow the CNAME chain to its end: the canonical name is what an MX should name.
                let answers = l.as_lookup().answers();
                let mut current = normalize(name);
                let mut alias_of = None;
                for _ in 0..answers.len() {
                    let next = answers.iter().find_map(|r| match &r.data {
                        RData::CNAME(target) if normalize(&r.name.to_ascii()) == current => {
                            Some(normalize(&target.0.to_ascii()))
                        }
                        _ => None,
                    });
                    match next {
                        Some(n) if Some(&n) != alias_of.as_ref() => {
                            current = n.clone();
                            alias_of = Some(n);
                        }
                        _ => break,
                    }
                }
                Ok(HostAnswer {
                    addrs,
                    alias_of,
                    unusable: Vec::new(),
                })
            }
            Err(e @ DnsError::NxDomain { .. }) => Err(self.chase(name, &e, end).await.unwrap_or(e)),
            Err(e @ DnsError::NoAddress { .. }) => {
                // Both within what is left of the budget, side by side.
                let (alias, foreign) = tokio::join!(
                    self.chase(name, &e, end),
                    self.foreign_answer(name, RecordType::A, end)
                );
                Err(alias.or(foreign).unwrap_or(e))
            }
            Err(e) => Err(e),
        }
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    async fn lookup_a(&self, name: &str) -> Result<Vec<Ipv4Addr>, DnsError> {
        let qname = fqdn(name);
        let q = self.inner.ipv4_lookup(qname.as_str());
        let end = Instant::now() + self.timeout;
        match self.guarded(name, RecordType::A, q, end).await {
            Ok(lookup) => Ok(lookup
                .answers()
                .iter()
                .filter_map(|r| match &r.data {
                    RData::A(a) => Some(a.0),
                    _ => None,
                })
                .collect()),
            Err(DnsError::NoAddress { .. }) => Ok(Vec::new()),
            Err(other) => Err(other),
        }
    }
}

/// hickory's resolver, built on first use: runs that need no DNS (addresses, `--resolve`)
/// never read the system's DNS configuration, and a broken one becomes a finding, not an abort.
#[derive(Debug)]
pub struct LazyResolver {
    timeout: Duration,
    servers: Vec<SocketAddr>,
    family: route::Family,
    inner: tokio::sync::OnceCell<Result<HickoryResolver, DnsError>>,
}

impl LazyResolver {
    /// A resolver whose queries are bounded by `timeout`, asking `servers` (empty: the
    /// system's).
    pub fn new(timeout: Duration, servers: Vec<SocketAddr>) -> Self {
        LazyResolver {
            timeout,
            servers,
            family: route::Family::Any,
            inner: tokio::sync::OnceCell::new(),
        }
    }

    /// Asks only for the addresses of `family`.
    pub fn family(mut self, family: route::Family) -> Self {
        self.family = family;
        self
    }

    async fn get(&self, name: &str) -> Result<&HickoryResolver, DnsError> {
        let built = self
            .inner
            .get_or_init(|| async {
                HickoryResolver::with_family(self.timeout, &self.servers, self.family)
            })
            .await;
        built.as_ref().map_err(|e| DnsError::Failed {
            name: name.into(),
            reason: e.to_string(),
        })
    }
}

impl Resolver for LazyResolver {
    async fn lookup_mx(&self, name: &str) -> Result<Vec<Mx>, DnsError> {
        self.get(name).await?.lookup_mx(name).await
    }

    async fn lookup_host(&self, name: &str) -> Result<HostAnswer, DnsError> {
        self.get(name).await?.lookup_host(name).await
    }

    async fn lookup_a(&self, name: &str) -> Result<Vec<Ipv4Addr>, DnsError> {
        self.get(name).await?.lookup_a(name).await
    }

    fn describe(&self) -> String {
        match self.inner.get() {
            Some(Ok(r)) => r.describe(),
            _ if self.servers.is_empty() => "the system resolver".into(),
            _ => describe_servers("the resolver", &self.servers),
        }
    }
}

/// A fixed table of names, for the demo and unit tests: a name in neither table does not
/// exist; a name with addresses but no MX entry has no MX records.
#[derive(Debug, Clone, Default)]
pub struct StaticResolver {
    /// Name → addresses.
    pub hosts: std::collections::HashMap<String, Vec<IpAddr>>,
    /// Domain → MX records.
    pub mx: std::collections::HashMap<String, Vec<Mx>>,
}

impl Resolver for StaticResolver {
    async fn lookup_mx(&self, name: &str) -> Result<Vec<Mx>, DnsError> {
        let key = normalize(name);
        match (self.mx.get(&key), self.hosts.contains_key(&key)) {
            (Some(mx), _) => Ok(mx.clone()),
            (None, true) => Ok(Vec::new()),
            (None, false) => Err(DnsError::NxDomain { name: key }),
        }
    }

    async fn lookup_host(&self, name: &str) -> Result<HostAnswer, DnsError> {
        let key = normalize(name);
        match (self.hosts.get(&key), self.mx.contains_key(&key)) {
            (Some(addrs), _) => Ok(HostAnswer {
                addrs: addrs.clone(),
                alias_of: None,
                unusable: Vec::new(),
            }),
            (None, true) => Err(DnsError::NoAddress { name: key }),
            (None, false) => Err(DnsError::NxDomain { name: key }),
        }
    }

    fn describe(&self) -> String {
        "the built-in table".into()
    }

    async fn lookup_a(&self, name: &str) -> Result<Vec<Ipv4Addr>, DnsError> {
        self.lookup_host(name).await.map(|a| {
            a.addrs
                .iter()
                .filter_map(|ip| match ip {
                    IpAddr::V4(v4) => Some(*v4),
                    IpAddr::V6(_) => None,
                })
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The library's phrasing of a corrupt answer is said in words, and codes it has no
    /// sentence for are written as the number, never as a variant name.
    #[test]
    fn corrupt_answers_and_odd_codes_are_said_in_words() {
        let w = proto_words("label points to data not prior to idx: 36 ptr: 36");
        assert!(w.starts_with("a compression pointer points forward"), "{w}");
        assert_eq!(proto_words("odd\x1b"), "odd\\x1b");
        assert!(rcode_text(ResponseCode::YXDomain).starts_with("YXDOMAIN"));
        assert_eq!(rcode_text(ResponseCode::BADCOOKIE), "the error code 23");
    }

    #[test]
    fn the_system_resolver_is_named_without_a_unix_path() {
        // Findings quote this: an admin on Windows has no /etc/resolv.conf to look at.
        let server = |ip: &str, conn| NameServerConfig::new(ip.parse().unwrap(), true, vec![conn]);
        let config = ResolverConfig::from_name_servers(vec![
            server("192.0.2.53", ConnectionConfig::udp()),
            server("192.0.2.53", ConnectionConfig::tcp()),
            server("2001:db8::53", ConnectionConfig::udp()),
        ]);
        assert_eq!(
            system_description(&config),
            "the system resolver (192.0.2.53, 2001:db8::53, from this machine's DNS settings)"
        );
    }
}
