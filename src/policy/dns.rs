//! DNS lookups with DO and AD set, sent by hand to the run's DNS server, so that the answer's
//! DNSSEC status can be read (hickory's resolver neither asks for AD nor reports it).
//!
//! The AD bit only means something from a validating resolver the client trusts (RFC 4035
//! §3.2.3, RFC 6698 §A.3.1, RFC 7672 §2.1): a server on loopback, or one named with
//! `--trust-resolver`. From any other server the status is [`Dnssec::NotValidated`], and the
//! report says so. A SERVFAIL from a trusted validating resolver is asked again with checking
//! disabled (CD, RFC 4035 §3.2.2): data or a denial then proves that validation failed
//! ([`Dnssec::Bogus`]); a second SERVFAIL means the resolver or the zone's servers fail, which
//! is a lookup failure ([`Dnssec::Indeterminate`], see [`SERVFAIL_EVEN_UNCHECKED`]), not
//! proof of bogus data.
//!
//! Every query has a deadline; answers are read over UDP (EDNS0, 1232 bytes) and retried over
//! TCP when truncated; nothing is read beyond one message.
//!
//! # References
//! - RFC 1035 §4.1.1 (the header: ID, TC, RCODE), RFC 5452 §4.3 and §9.1 (a random ID, an
//!   answer accepted only when its ID and question match)
//! - RFC 6840 §5.7 (setting AD in a query asks for the AD bit), RFC 3225 (the DO bit)
//! - RFC 6891 §6.2.5 (the EDNS0 payload size), RFC 7766 §5 (TCP after TC)
//! - RFC 7672 §2.2 (address lookups, the CNAME chain, the TLSA base domain)

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hickory_resolver::proto::op::{Edns, Message, MessageType, Query, ResponseCode};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Answer, DnsResult, Dnssec, HostDane, PolicyConfig, ResolverTrust, Tlsa};

/// How the answer of a lookup that failed even with checking disabled begins: the rules tell
/// it from a timeout by this (both are [`Dnssec::Indeterminate`]).
pub const SERVFAIL_EVEN_UNCHECKED: &str = "SERVFAIL, also with checking disabled";

/// A lookup whose validating resolver answered SERVFAIL with and without checking disabled:
/// the resolver or the zone's name servers fail (DANE senders defer all the same: Postfix
/// "TLSA lookup error").
pub fn servfail_even_unchecked<T>(r: &DnsResult<T>) -> bool {
    matches!(&r.answer, Answer::Failed(why) if why.starts_with(SERVFAIL_EVEN_UNCHECKED))
}

/// The EDNS0 UDP payload size asked for: the DNS Flag Day 2020 value, small enough to pass
/// without IP fragmentation (RFC 6891 §6.2.5); a larger answer comes truncated, then over TCP.
const EDNS_PAYLOAD: u16 = 1232;

/// The UDP receive buffer: the largest datagram; longer is cut by the kernel.
const UDP_BUFFER: usize = 65_535;

/// Datagrams read for one query before giving up on a server (or an attacker) that sends
/// answers with other IDs or questions: enough to see the real one behind a few strays.
const MAX_DATAGRAMS: usize = 32;

/// CNAME links followed inside one answer (hickory's resolver stops at 8 as well).
const MAX_CNAMES: usize = 8;

/// A DNS client bound to the run's first DNS server, knowing whether its AD bit counts.
#[derive(Debug, Clone)]
pub struct Client {
    /// The server asked; `None` when none could be found (the trust says why).
    server: Option<SocketAddr>,
    trust: ResolverTrust,
    /// The limit of one query (UDP and the TCP retry together): `--timeout`.
    step: Duration,
}

/// Whether the AD bit of `server` counts, and why, in words. `server` is `Err(why)` when no
/// server could be found.
pub(crate) fn trust_of(server: Result<SocketAddr, String>, trust_resolver: bool) -> ResolverTrust {
    let server = match server {
        Ok(s) => s,
        Err(why) => {
            return ResolverTrust {
                server: "none".into(),
                trusted: false,
                why: format!(
                    "no DNS server to ask ({why}): the DNSSEC status of every answer is unknown"
                ),
            };
        }
    };
    let loopback = server.ip().to_canonical().is_loopback();
    let (trusted, why) = if loopback {
        (
            true,
            format!(
                "{} is on loopback: its AD bit is trusted, as Postfix and Exim trust a local validating resolver (RFC 7672 §2.1); if it does not validate DNSSEC, every answer reads as insecure",
                server.ip()
            ),
        )
    } else if trust_resolver {
        (
            true,
            format!(
                "--trust-resolver: the AD bit of {} is trusted although it is not on loopback; an attacker on the path to it could forge or strip the bit",
                server.ip()
            ),
        )
    } else {
        (
            false,
            format!(
                "{} is not on loopback and --trust-resolver was not given: its AD bit could be forged or stripped on the way (RFC 6698 §A.3.1), so DNSSEC is not validated here; ask a validating resolver on this machine (e.g. unbound on 127.0.0.1) with --resolver, or pass --trust-resolver if the path to it is trusted",
                server.ip()
            ),
        )
    };
    ResolverTrust {
        server: server.to_string(),
        trusted,
        why,
    }
}

/// The system's first name server (`/etc/resolv.conf`, or the adapters' on Windows), as
/// hickory reads it for the resolver (`crate::dns`).
fn system_server() -> Result<SocketAddr, String> {
    let (config, _) = hickory_resolver::system_conf::read_system_conf()
        .map_err(|e| format!("the system's DNS configuration could not be read: {e}"))?;
    let first = config
        .name_servers()
        .first()
        .ok_or_else(|| "the system's DNS configuration names no server".to_string())?;
    let port = first
        .connections
        .iter()
        .find(|c| matches!(c.protocol, hickory_resolver::config::ProtocolConfig::Udp))
        .map_or(53, |c| c.port);
    Ok(SocketAddr::new(first.ip, port))
}

/// A random transaction ID (RFC 5452 §9.1): the system's randomness, so that an off-path
/// attacker cannot guess it.
fn random_id() -> u16 {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 2];
    if ring::rand::SystemRandom::new().fill(&mut b).is_err() {
        // No system randomness at all: the std hasher's per-process keys are the next best.
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        return (h.finish() & 0xffff) as u16;
    }
    u16::from_be_bytes(b)
}

/// How one query ended.
enum Reply {
    /// A response with our ID and our question.
    Message(Box<Message>),
    /// No usable response; why, in words.
    Failed(String),
}

/// The records of `rtype` in `msg`'s answer, reached from `qname` through any CNAME chain
/// (RRSIGs and strays left out), and the chain's names in order.
fn follow<'m>(msg: &'m Message, qname: &Name, rtype: RecordType) -> (Vec<&'m Record>, Vec<String>) {
    let mut name = qname.clone();
    let mut cnames = Vec::new();
    for _ in 0..=MAX_CNAMES {
        let here: Vec<&'m Record> = msg
            .answers
            .iter()
            .filter(|r| r.name == name && r.record_type() == rtype)
            .collect();
        if !here.is_empty() || rtype == RecordType::CNAME {
            return (here, cnames);
        }
        let next = msg.answers.iter().find_map(|r| match &r.data {
            RData::CNAME(c) if r.name == name => Some(c.0.clone()),
            _ => None,
        });
        match next {
            Some(target) if !cnames.contains(&text(&target)) => {
                cnames.push(text(&target));
                name = target;
            }
            _ => break,
        }
    }
    (Vec::new(), cnames)
}

/// A name from an answer as text: lower-cased, without the trailing dot, each odd byte
/// escaped (it is shown in the report).
fn text(name: &Name) -> String {
    crate::dns::name_text(name)
}

impl Client {
    /// The client for `cfg`'s first `--resolver`, or the system's first name server.
    pub fn new(cfg: &PolicyConfig) -> Self {
        let server = match cfg.dns_servers.first() {
            Some(s) => Ok(*s),
            None => system_server(),
        };
        Client {
            server: server.as_ref().ok().copied(),
            trust: trust_of(server, cfg.trust_resolver),
            step: cfg.fetch.step_timeout,
        }
    }

    /// The server asked and whether its AD bit counts.
    pub fn trust(&self) -> ResolverTrust {
        self.trust.clone()
    }

    /// The DNSSEC status of `domain`'s MX RRset (RFC 7672 §2.2.1).
    pub async fn mx_status(&self, domain: &str, deadline: Instant) -> Dnssec {
        self.lookup(domain, RecordType::MX, deadline, |_| Some(()))
            .await
            .dnssec
    }

    /// TXT records of `name`, each record's character-strings concatenated (RFC 7208 §3.3
    /// style; RFC 8461 §3.1, RFC 8460 §3).
    pub async fn txt(&self, name: &str, deadline: Instant) -> DnsResult<String> {
        self.lookup(name, RecordType::TXT, deadline, |d| match d {
            RData::TXT(t) => {
                let bytes: Vec<u8> = t.txt_data.iter().flat_map(|s| s.iter().copied()).collect();
                Some(String::from_utf8_lossy(&bytes).into_owned())
            }
            _ => None,
        })
        .await
    }

    /// The TLSA records at `name`.
    async fn tlsa(&self, name: &str, deadline: Instant) -> DnsResult<Tlsa> {
        self.lookup(name, RecordType::TLSA, deadline, |d| match d {
            RData::TLSA(t) => Some(Tlsa {
                usage: u8::from(t.cert_usage),
                selector: u8::from(t.selector),
                matching: u8::from(t.matching),
                data: t.cert_data.clone(),
            }),
            _ => None,
        })
        .await
    }

    /// The RFC 7672 §2.2 procedure for `host` on `port`: the addresses' status, then, if
    /// they are secure, TLSA at `_PORT._tcp` of the CNAME-expanded name and then of `host`.
    pub async fn host_dane(&self, host: &str, port: u16, deadline: Instant) -> HostDane {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let (a, aaaa) = tokio::join!(
            self.lookup(&host, RecordType::A, deadline, |_| Some(())),
            self.lookup(&host, RecordType::AAAA, deadline, |_| Some(())),
        );
        let addresses = address_status(&a, &aaaa);
        // The chain of the answer that has addresses (both families share it).
        let cnames = if matches!(a.answer, Answer::Records(_)) || aaaa.cnames.is_empty() {
            a.cnames.clone()
        } else {
            aaaa.cnames.clone()
        };
        let mut dane = HostDane {
            host: host.clone(),
            port,
            addresses,
            tlsa: None,
            base_domain: None,
            cnames: cnames.clone(),
        };
        // RFC 7672 §2.2: TLSA only for a host whose addresses are secure (through any CNAME,
        // whose every link the AD bit then covers). A server whose AD bit cannot be believed
        // leaves the status unknown, not insecure: the records are looked up all the same, so
        // the report can say that DANE is published but could not be judged here
        // (dane-dnssec-unknown), instead of staying silent about it.
        if !matches!(addresses, Dnssec::Secure | Dnssec::NotValidated) {
            return dane;
        }
        let mut candidates = Vec::new();
        if let Some(expanded) = cnames.last().filter(|e| **e != host) {
            candidates.push(expanded.clone());
        }
        candidates.push(host.clone());
        for (i, base) in candidates.iter().enumerate() {
            let result = self.tlsa(&format!("_{port}._tcp.{base}"), deadline).await;
            let last = i + 1 == candidates.len();
            // §2.2.2: a denial at the expanded name sends the lookup on to the original
            // name; records or a failure there decide.
            let denial = matches!(result.answer, Answer::NxDomain | Answer::NoData);
            if !denial || last {
                if matches!(result.answer, Answer::Records(_)) {
                    dane.base_domain = Some(base.clone());
                }
                dane.tlsa = Some(result);
                break;
            }
        }
        dane
    }

    /// One lookup of `name`/`rtype`: the records `pick` takes from the answer (after any
    /// CNAME), the denial or the failure, and the DNSSEC status, as far as this server's AD
    /// bit can be believed.
    async fn lookup<T>(
        &self,
        name: &str,
        rtype: RecordType,
        deadline: Instant,
        pick: impl Fn(&RData) -> Option<T>,
    ) -> DnsResult<T> {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let Some(server) = self.server else {
            return failed(name, Dnssec::Indeterminate, "no DNS server to ask".into());
        };
        let qname = match Name::from_ascii(format!("{name}.")) {
            Ok(n) => n,
            Err(e) => {
                let why = format!("not a name that can be looked up: {e}");
                let why = crate::smtp::escape(why.as_bytes());
                return failed(name, Dnssec::Indeterminate, why);
            }
        };
        let end = deadline.min(Instant::now() + self.step);
        let msg = match ask(server, &qname, rtype, end, false).await {
            Reply::Message(m) => m,
            Reply::Failed(why) => return failed(name, Dnssec::Indeterminate, why),
        };
        match msg.metadata.response_code {
            ResponseCode::NoError | ResponseCode::NXDomain => {
                let dnssec = self.status(msg.metadata.authentic_data);
                answered(name, &msg, &qname, rtype, dnssec, pick)
            }
            ResponseCode::ServFail if self.trust.trusted => {
                let (dnssec, why) = servfail_unchecked(server, &qname, rtype, end).await;
                failed(name, dnssec, why)
            }
            ResponseCode::ServFail => failed(
                name,
                Dnssec::NotValidated,
                format!("the DNS server at {server} answered SERVFAIL"),
            ),
            code => failed(
                name,
                Dnssec::Indeterminate,
                format!(
                    "the DNS server at {server} answered {}",
                    crate::smtp::escape(code.to_string().as_bytes())
                ),
            ),
        }
    }

    /// What an answer's AD bit says: only a trusted validating resolver's bit counts (RFC
    /// 4035 §3.2.3); from any other server the status is not validated, set or not.
    fn status(&self, ad: bool) -> Dnssec {
        match (self.trust.trusted, ad) {
            (false, _) => Dnssec::NotValidated,
            (true, true) => Dnssec::Secure,
            (true, false) => Dnssec::Insecure,
        }
    }
}

/// A lookup that failed, giving neither records nor a denial: why, and what that says about
/// DNSSEC.
fn failed<T>(name: String, dnssec: Dnssec, why: String) -> DnsResult<T> {
    DnsResult {
        name,
        dnssec,
        answer: Answer::Failed(why),
        cnames: Vec::new(),
    }
}

/// Reads a NOERROR or NXDOMAIN answer (RFC 1035 §4.1.1 RCODE 0 and 3): the records `pick`
/// takes, reached through any CNAME chain, else the denial, NXDOMAIN or an empty answer
/// (NODATA). A name error after a CNAME still shows the records when any were picked.
fn answered<T>(
    name: String,
    msg: &Message,
    qname: &Name,
    rtype: RecordType,
    dnssec: Dnssec,
    pick: impl Fn(&RData) -> Option<T>,
) -> DnsResult<T> {
    let (records, cnames) = follow(msg, qname, rtype);
    let records: Vec<T> = records.into_iter().filter_map(|r| pick(&r.data)).collect();
    let answer = if !records.is_empty() {
        Answer::Records(records)
    } else if msg.metadata.response_code == ResponseCode::NXDomain {
        Answer::NxDomain
    } else {
        Answer::NoData
    };
    DnsResult {
        name,
        dnssec,
        answer,
        cnames,
    }
}

/// Why a trusted validating resolver answered SERVFAIL, asked again with checking disabled
/// (RFC 4035 §3.2.2: with CD set the resolver returns what it has without validating). An
/// answer then means the data is there and fails validation (bogus, §5.5); a second SERVFAIL
/// means no data could be had at all, which is a failure, not proof of bogus data.
async fn servfail_unchecked(
    server: SocketAddr,
    qname: &Name,
    rtype: RecordType,
    end: Instant,
) -> (Dnssec, String) {
    match ask(server, qname, rtype, end, true).await {
        Reply::Message(m)
            if matches!(
                m.metadata.response_code,
                ResponseCode::NoError | ResponseCode::NXDomain
            ) =>
        {
            (
                Dnssec::Bogus,
                format!(
                    "the validating resolver at {server} answered SERVFAIL, and with checking disabled (CD) it answered {}: the data is there and fails DNSSEC validation (bogus, RFC 4035 §5.5)",
                    crate::smtp::escape(m.metadata.response_code.to_string().as_bytes())
                ),
            )
        }
        Reply::Message(m) if m.metadata.response_code == ResponseCode::ServFail => (
            Dnssec::Indeterminate,
            format!(
                "{SERVFAIL_EVEN_UNCHECKED} (CD): the validating resolver at {server} gets no answer whether or not it validates, so the resolver or the zone's name servers fail; this is not proof of bogus data"
            ),
        ),
        Reply::Message(m) => (
            Dnssec::Indeterminate,
            format!(
                "the validating resolver at {server} answered SERVFAIL, then {} with checking disabled",
                crate::smtp::escape(m.metadata.response_code.to_string().as_bytes())
            ),
        ),
        Reply::Failed(why) => (
            Dnssec::Indeterminate,
            format!(
                "the validating resolver at {server} answered SERVFAIL, and asked again with checking disabled: {why}"
            ),
        ),
    }
}

/// The status of a host's addresses (RFC 7672 §2.2): secure only when every address answer
/// that holds addresses, or failed, is secure; the worst of them otherwise. With no address
/// at all, the worst of the two denials.
fn address_status<T>(a: &DnsResult<T>, aaaa: &DnsResult<T>) -> Dnssec {
    fn rank(d: Dnssec) -> u8 {
        match d {
            Dnssec::Secure => 0,
            Dnssec::Insecure => 1,
            Dnssec::NotValidated => 2,
            Dnssec::Indeterminate => 3,
            Dnssec::Bogus => 4,
        }
    }
    let counts = |r: &&DnsResult<T>| matches!(r.answer, Answer::Records(_) | Answer::Failed(_));
    let both = [a, aaaa];
    let mut counted: Vec<&DnsResult<T>> = both.iter().copied().filter(|r| counts(r)).collect();
    if counted.is_empty() {
        counted = both.to_vec();
    }
    counted
        .iter()
        .map(|r| r.dnssec)
        .max_by_key(|d| rank(*d))
        .unwrap_or(Dnssec::Indeterminate)
}

/// Sends one query (RD, AD and DO set) to `server` over UDP, and over TCP when the answer
/// comes truncated; the first response with our ID and our question, until `end`.
async fn ask(
    server: SocketAddr,
    qname: &Name,
    rtype: RecordType,
    end: Instant,
    checking_disabled: bool,
) -> Reply {
    let id = random_id();
    let mut msg = Message::query();
    msg.metadata.id = id;
    msg.metadata.recursion_desired = true;
    // RFC 6840 §5.7: AD in a query asks the resolver to say whether it validated.
    msg.metadata.authentic_data = true;
    msg.metadata.checking_disabled = checking_disabled;
    msg.add_query(Query::query(qname.clone(), rtype));
    let mut edns = Edns::new();
    edns.set_dnssec_ok(true);
    edns.set_max_payload(EDNS_PAYLOAD);
    msg.set_edns(edns);
    let bytes = match msg.to_vec() {
        Ok(b) => b,
        Err(e) => return Reply::Failed(format!("the query could not be encoded: {e}")),
    };
    let end = tokio::time::Instant::from_std(end);
    let waited = || "no answer before the time for this lookup ran out (--timeout)".to_string();
    match tokio::time::timeout_at(end, over_udp(server, &bytes, id, qname, rtype)).await {
        Err(_) => Reply::Failed(format!("the DNS server at {server}: {}", waited())),
        Ok(Err(why)) => Reply::Failed(format!("the DNS server at {server}: {why}")),
        Ok(Ok(m)) if !m.metadata.truncation => Reply::Message(Box::new(m)),
        Ok(Ok(_)) => {
            match tokio::time::timeout_at(end, over_tcp(server, &bytes, id, qname, rtype)).await {
                Err(_) => Reply::Failed(format!(
                    "the DNS server at {server} truncated its answer over UDP, and over TCP: {}",
                    waited()
                )),
                Ok(Err(why)) => Reply::Failed(format!(
                    "the DNS server at {server} truncated its answer over UDP, and over TCP: {why}"
                )),
                Ok(Ok(m)) => Reply::Message(Box::new(m)),
            }
        }
    }
}

/// `bytes` as a response to our query: `None` when it is not one (another ID, not a
/// response, another question, unreadable), which the caller discards (RFC 5452 §4.3).
fn ours(bytes: &[u8], id: u16, qname: &Name, rtype: RecordType) -> Option<Message> {
    let m = Message::from_vec(bytes).ok()?;
    let q = m.queries.first()?;
    (m.metadata.id == id
        && m.metadata.message_type == MessageType::Response
        && m.queries.len() == 1
        && q.name() == qname
        && q.query_type() == rtype)
        .then_some(m)
}

async fn over_udp(
    server: SocketAddr,
    query: &[u8],
    id: u16,
    qname: &Name,
    rtype: RecordType,
) -> Result<Message, String> {
    let local: SocketAddr = if server.is_ipv4() {
        (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let sock = tokio::net::UdpSocket::bind(local)
        .await
        .map_err(|e| format!("no UDP socket: {e}"))?;
    sock.connect(server)
        .await
        .map_err(|e| format!("cannot be reached: {e}"))?;
    sock.send(query)
        .await
        .map_err(|e| format!("the query could not be sent: {e}"))?;
    let mut buf = vec![0u8; UDP_BUFFER];
    for _ in 0..MAX_DATAGRAMS {
        let n = sock
            .recv(&mut buf)
            .await
            .map_err(|e| format!("cannot be reached: {e}"))?;
        if let Some(m) = ours(&buf[..n], id, qname, rtype) {
            return Ok(m);
        }
    }
    Err(format!(
        "sent {MAX_DATAGRAMS} datagrams none of which answers the query (another ID or question)"
    ))
}

async fn over_tcp(
    server: SocketAddr,
    query: &[u8],
    id: u16,
    qname: &Name,
    rtype: RecordType,
) -> Result<Message, String> {
    let mut stream = tokio::net::TcpStream::connect(server)
        .await
        .map_err(|e| format!("no connection: {e}"))?;
    let len = u16::try_from(query.len()).map_err(|_| "the query is too long".to_string())?;
    let mut framed = len.to_be_bytes().to_vec();
    framed.extend_from_slice(query);
    stream
        .write_all(&framed)
        .await
        .map_err(|e| format!("the query could not be sent: {e}"))?;
    // One message: its two-byte length bounds the read (RFC 7766 §8).
    let mut len = [0u8; 2];
    stream
        .read_exact(&mut len)
        .await
        .map_err(|_| "the server closed the connection without an answer".to_string())?;
    let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream
        .read_exact(&mut buf)
        .await
        .map_err(|_| "the server closed the connection in the middle of its answer".to_string())?;
    ours(&buf, id, qname, rtype).ok_or_else(|| {
        "its answer over TCP does not answer the query (another ID or question, or unreadable)"
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> Result<SocketAddr, String> {
        Ok(s.parse().unwrap())
    }

    #[test]
    fn only_loopback_or_a_named_resolver_is_trusted() {
        for s in [
            "127.0.0.1:53",
            "127.0.0.53:53",
            "[::1]:5353",
            "[::ffff:127.0.0.1]:53",
        ] {
            let t = trust_of(addr(s), false);
            assert!(t.trusted, "{s}: {t:?}");
            assert!(t.why.contains("on loopback"), "{}", t.why);
        }
        let t = trust_of(addr("192.0.2.53:53"), false);
        assert!(!t.trusted);
        assert_eq!(t.server, "192.0.2.53:53");
        assert!(t.why.contains("not on loopback"), "{}", t.why);
        assert!(t.why.contains("--trust-resolver"), "{}", t.why);
        let t = trust_of(addr("192.0.2.53:53"), true);
        assert!(t.trusted);
        assert!(t.why.starts_with("--trust-resolver"), "{}", t.why);
        let t = trust_of(Err("no resolv.conf".into()), true);
        assert!(!t.trusted);
        assert_eq!(t.server, "none");
    }

    fn result(dnssec: Dnssec, answer: Answer<()>) -> DnsResult<()> {
        DnsResult {
            name: "mx.example".into(),
            dnssec,
            answer,
            cnames: vec![],
        }
    }

    #[test]
    fn addresses_are_secure_only_when_every_address_answer_is() {
        use Dnssec::*;
        let rec = || Answer::Records(vec![()]);
        let s = |a, b| address_status(&a, &b);
        assert_eq!(
            s(result(Secure, rec()), result(Secure, Answer::NoData)),
            Secure
        );
        assert_eq!(s(result(Secure, rec()), result(Insecure, rec())), Insecure);
        assert_eq!(
            s(result(Secure, rec()), result(Insecure, Answer::NoData)),
            Secure
        );
        assert_eq!(
            s(
                result(Secure, rec()),
                result(Bogus, Answer::Failed("x".into()))
            ),
            Bogus
        );
        assert_eq!(
            s(
                result(Secure, Answer::NxDomain),
                result(Insecure, Answer::NxDomain)
            ),
            Insecure
        );
    }

    /// A response is taken only with our ID and our question (RFC 5452 §9.1).
    #[test]
    fn a_response_must_carry_our_id_and_question() {
        let name = Name::from_ascii("mx.example.").unwrap();
        let mut m = Message::response(7, hickory_resolver::proto::op::OpCode::Query);
        m.add_query(Query::query(name.clone(), RecordType::TLSA));
        let bytes = m.to_vec().unwrap();
        assert!(ours(&bytes, 7, &name, RecordType::TLSA).is_some());
        let upper = Name::from_ascii("MX.Example.").unwrap();
        assert!(ours(&bytes, 7, &upper, RecordType::TLSA).is_some());
        assert!(ours(&bytes, 8, &name, RecordType::TLSA).is_none());
        assert!(ours(&bytes, 7, &name, RecordType::A).is_none());
        let other = Name::from_ascii("evil.example.").unwrap();
        assert!(ours(&bytes, 7, &other, RecordType::TLSA).is_none());
        assert!(ours(&bytes[..5], 7, &name, RecordType::TLSA).is_none());
    }

    /// A loopback server that first sends a stray answer (another ID), then a truncated
    /// one; the full answer comes over TCP, with AD and a TXT record of two strings.
    #[tokio::test]
    async fn strays_are_discarded_and_a_truncated_answer_is_asked_again_over_tcp() {
        use hickory_resolver::proto::op::OpCode;
        use hickory_resolver::proto::rr::rdata::TXT;
        let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server = udp.local_addr().unwrap();
        let tcp = tokio::net::TcpListener::bind(server).await.unwrap();
        let answer = |q: &Message, tc: bool| {
            let mut m = Message::response(q.metadata.id, OpCode::Query);
            m.add_query(q.queries[0].clone());
            m.metadata.authentic_data = true;
            m.metadata.truncation = tc;
            if !tc {
                let txt = TXT::new(vec!["v=STSv1; ".into(), "id=1".into()]);
                let name = q.queries[0].name().clone();
                m.add_answer(Record::from_rdata(name, 300, RData::TXT(txt)));
            }
            m
        };
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            let (n, peer) = udp.recv_from(&mut buf).await.unwrap();
            let q = Message::from_vec(&buf[..n]).unwrap();
            assert!(q.metadata.authentic_data && q.metadata.recursion_desired);
            assert!(q.edns.as_ref().unwrap().flags().dnssec_ok);
            let mut stray = answer(&q, false);
            stray.metadata.id = q.metadata.id.wrapping_add(1);
            udp.send_to(&stray.to_vec().unwrap(), peer).await.unwrap();
            let tc = answer(&q, true);
            udp.send_to(&tc.to_vec().unwrap(), peer).await.unwrap();
            let (mut s, _) = tcp.accept().await.unwrap();
            let mut len = [0u8; 2];
            s.read_exact(&mut len).await.unwrap();
            let mut body = vec![0u8; usize::from(u16::from_be_bytes(len))];
            s.read_exact(&mut body).await.unwrap();
            let q = Message::from_vec(&body).unwrap();
            let full = answer(&q, false).to_vec().unwrap();
            let mut framed = (full.len() as u16).to_be_bytes().to_vec();
            framed.extend_from_slice(&full);
            s.write_all(&framed).await.unwrap();
        });
        let client = Client {
            server: Some(server),
            trust: trust_of(Ok(server), false),
            step: Duration::from_secs(5),
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        let r = client.txt("_mta-sts.example.test", deadline).await;
        assert_eq!(r.dnssec, Dnssec::Secure);
        assert_eq!(r.answer, Answer::Records(vec!["v=STSv1; id=1".to_string()]));
    }

    /// An AD bit from a server whose AD is not trusted is not believed: the records come back,
    /// the status is not-validated. (The server is on loopback, as every test's must be; the
    /// trust is that of a remote resolver without --trust-resolver.)
    #[tokio::test]
    async fn an_untrusted_servers_ad_bit_is_not_validated() {
        use hickory_resolver::proto::op::OpCode;
        let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server = udp.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            let (n, peer) = udp.recv_from(&mut buf).await.unwrap();
            let q = Message::from_vec(&buf[..n]).unwrap();
            let mut m = Message::response(q.metadata.id, OpCode::Query);
            m.add_query(q.queries[0].clone());
            m.metadata.authentic_data = true;
            let name = q.queries[0].name().clone();
            let a = RData::A(hickory_resolver::proto::rr::rdata::A::new(127, 0, 0, 1));
            m.add_answer(Record::from_rdata(name, 300, a));
            udp.send_to(&m.to_vec().unwrap(), peer).await.unwrap();
        });
        let client = Client {
            server: Some(server),
            trust: trust_of(Ok("192.0.2.53:53".parse().unwrap()), false),
            step: Duration::from_secs(5),
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        let r = client
            .lookup("mx.example.test", RecordType::A, deadline, |_| Some(()))
            .await;
        assert_eq!(r.dnssec, Dnssec::NotValidated);
        assert_eq!(r.answer, Answer::Records(vec![()]));
    }

    /// A loopback "validating resolver" that answers SERVFAIL without CD and `with_cd` with
    /// CD set; the CD bit of each query it saw.
    async fn servfail_then(with_cd: ResponseCode) -> (DnsResult<Tlsa>, Vec<bool>) {
        use hickory_resolver::proto::op::OpCode;
        let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server = udp.local_addr().unwrap();
        let seen = tokio::spawn(async move {
            let mut cd = Vec::new();
            let mut buf = vec![0u8; 4096];
            for _ in 0..2 {
                let (n, peer) = udp.recv_from(&mut buf).await.unwrap();
                let q = Message::from_vec(&buf[..n]).unwrap();
                cd.push(q.metadata.checking_disabled);
                let mut m = Message::response(q.metadata.id, OpCode::Query);
                m.add_query(q.queries[0].clone());
                m.metadata.response_code = if q.metadata.checking_disabled {
                    with_cd
                } else {
                    ResponseCode::ServFail
                };
                udp.send_to(&m.to_vec().unwrap(), peer).await.unwrap();
            }
            cd
        });
        let client = Client {
            server: Some(server),
            trust: trust_of(Ok(server), false),
            step: Duration::from_secs(5),
        };
        assert!(client.trust.trusted);
        let deadline = Instant::now() + Duration::from_secs(5);
        let r = client.tlsa("_25._tcp.mx.example.test", deadline).await;
        (r, seen.await.unwrap())
    }

    /// RFC 4035 §3.2.2: SERVFAIL, then an answer with checking disabled: the data is there
    /// and fails validation, bogus proven.
    #[tokio::test]
    async fn a_servfail_answered_with_checking_disabled_is_bogus() {
        let (r, cd) = servfail_then(ResponseCode::NoError).await;
        assert_eq!(cd, [false, true]);
        assert_eq!(r.dnssec, Dnssec::Bogus);
        assert!(!servfail_even_unchecked(&r));
        assert!(matches!(&r.answer, Answer::Failed(w) if w.contains("checking disabled")));
    }

    /// SERVFAIL with and without CD: the server or the zone's name servers fail, which is a
    /// lookup failure, not proof of bogus data.
    #[tokio::test]
    async fn a_servfail_also_with_checking_disabled_is_a_lookup_failure() {
        let (r, cd) = servfail_then(ResponseCode::ServFail).await;
        assert_eq!(cd, [false, true]);
        assert_eq!(r.dnssec, Dnssec::Indeterminate);
        assert!(servfail_even_unchecked(&r), "{:?}", r.answer);
        assert!(matches!(&r.answer, Answer::Failed(w) if w.contains("not proof of bogus")));
    }
}
