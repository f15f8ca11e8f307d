//! One small HTTP client: a bounded HTTP/1.0 GET over the probe's own tokio-rustls stack,
//! shared by the MTA-STS policy fetch, the CRL fetch and the CA Issuers (AIA) fetch.
//!
//! Every fetch has a deadline and a size cap; redirects follow the rule of each use (never for
//! MTA-STS, RFC 8461 §3.3); `--connect-to` sends a host and port elsewhere (curl's option), so
//! tests serve on loopback high ports. Host names resolve through the run's resolver.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rustls::pki_types::{ServerName, UnixTime};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::dns::Resolver;
use crate::tls::{TrustResult, TrustStore};

/// `--connect-to HOST:PORT:ADDR:PORT`: connect to `to` when a URL names `host` and `port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectTo {
    /// The host name as URLs write it, lower case.
    pub host: String,
    /// The port as URLs mean it (443 for https, 80 for http when none is written).
    pub port: u16,
    /// Where to connect instead.
    pub to: SocketAddr,
}

/// How fetches connect and how long they may take.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// `--connect-to` rules.
    pub connect_to: Vec<ConnectTo>,
    /// The limit of each step (connect, handshake, each read): `--timeout`.
    pub step_timeout: Duration,
    /// The roots an https server's chain is checked against (the probe's).
    pub trust: TrustStore,
}

/// Which redirects a fetch follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirects {
    /// None: a 3xx is the answer (MTA-STS, RFC 8461 §3.3).
    Never,
    /// Up to this many, http and https only.
    Follow(u8),
}

/// The TLS side of an https fetch.
#[derive(Debug, Clone)]
pub struct FetchTls {
    /// `TLSv1.3`.
    pub version: String,
    /// The chain as sent, leaf first.
    pub chain: Vec<Vec<u8>>,
    /// The chain's trust check.
    pub trust: TrustResult,
    /// The leaf covers the URL's host name.
    pub name_matches: bool,
}

/// An HTTP response, as far as it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The reason phrase (escaped when shown).
    pub reason: String,
    /// The header fields in order, names lower case.
    pub headers: Vec<(String, String)>,
    /// The body (at most the cap).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header named `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why a fetch got no response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The URL is not one this client fetches.
    #[error("not a URL this tool fetches: {0}")]
    Url(String),
    /// The host name did not resolve.
    #[error("{0}")]
    Dns(String),
    /// TCP failed: no connection, or the connection failed while sending or reading (the
    /// text says how far it got).
    #[error("{0}")]
    Connect(String),
    /// The TLS handshake failed.
    #[error("TLS handshake failed: {0}")]
    Tls(String),
    /// A step ran out of time (`--timeout`): the server, or the path to it, was too slow. The
    /// text says how far the fetch got ("connected to 192.0.2.1:443, TLS 1.3 done, request
    /// sent, no HTTP status line within 3 s"); the stage says where it stopped.
    #[error("{1}")]
    Timeout(Stage, String),
    /// The run's deadline (`--deadline`) ended the fetch before the step's own limit: the
    /// server was not given its time, so this says nothing about it. The text says how far
    /// the fetch got.
    #[error(
        "not finished when the run's deadline (--deadline) ran out, which says nothing about the server: {1}"
    )]
    Deadline(Stage, String),
    /// The response was larger than the cap.
    #[error("the response is larger than {0} bytes")]
    TooLarge(usize),
    /// The response is not HTTP as this client reads it.
    #[error("not a valid HTTP response: {0}")]
    Malformed(String),
    /// A redirect this fetch may not follow: from https to http, too many, or to a URL this
    /// client does not fetch. (A 3xx under [`Redirects::Never`] is no error: it is the
    /// response.)
    #[error("redirect refused: {0}")]
    Redirect(String),
}

/// Where a fetch stopped, for a timeout: what to fix differs (a firewall before a
/// connection, the TLS set-up during the handshake, the web server or application after it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Looking up the host name.
    Resolve,
    /// Connecting over TCP: no connection was made.
    Connect,
    /// Connected; the TLS handshake did not finish.
    Handshake,
    /// Connected (and TLS done): sending the request, or waiting for the status line and
    /// header fields.
    Response,
    /// The status line and header fields came; the body stopped coming.
    Body,
    /// The status line and header fields came; the body was still coming, too slowly.
    SlowBody,
}

/// `1234567` as `1,234,567`, for byte counts in messages.
fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One fetch: where it went, what came back, how long it took.
#[derive(Debug, Clone)]
pub struct Fetch {
    /// The URL asked for.
    pub url: String,
    /// The URLs redirected to, in order.
    pub redirects: Vec<String>,
    /// The address connected to (after `--connect-to`).
    pub address: Option<SocketAddr>,
    /// How long it took.
    pub elapsed: Duration,
    /// The TLS side, for https.
    pub tls: Option<FetchTls>,
    /// The response, or why there is none.
    pub outcome: Result<HttpResponse, FetchError>,
}

/// The most bytes of a response's status line and header fields.
const HEAD_CAP: usize = 16 * 1024;

/// A URL this client fetches: `http://` or `https://`, a host, an optional port, a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// `https`.
    pub https: bool,
    /// The host name (lower case, no trailing dot) or IP literal (without brackets).
    pub host: String,
    /// The port (the scheme's default when none is written).
    pub port: u16,
    /// The path and query, starting with `/`.
    pub path: String,
}

impl Url {
    /// Parses `s`; refuses other schemes, userinfo, fragments, non-ASCII (write IDNs as
    /// punycode), and anything but a host name or IP literal as host.
    pub fn parse(s: &str) -> Result<Url, FetchError> {
        let bad =
            |why: &str| FetchError::Url(format!("{} ({why})", crate::smtp::escape(s.as_bytes())));
        if !s.is_ascii() {
            return Err(bad("non-ASCII; write an international name as punycode"));
        }
        if s.bytes().any(|b| b.is_ascii_control() || b == b' ') {
            return Err(bad("a control character or space"));
        }
        let lower = s.to_ascii_lowercase();
        let (https, rest) = if lower.starts_with("https://") {
            (true, &s[8..])
        } else if lower.starts_with("http://") {
            (false, &s[7..])
        } else {
            return Err(bad("only http:// and https:// are fetched"));
        };
        if rest.contains('#') {
            return Err(bad("a fragment"));
        }
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_string()),
            Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
            None => (rest, "/".to_string()),
        };
        if authority.contains('@') {
            return Err(bad("user information in the URL"));
        }
        let default = if https { 443 } else { 80 };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (addr, tail) = v6.split_once(']').ok_or_else(|| bad("an unclosed ["))?;
            let ip: std::net::Ipv6Addr = addr.parse().map_err(|_| bad("not an IPv6 address"))?;
            let port = match tail.strip_prefix(':') {
                Some(p) => p.parse().map_err(|_| bad("not a port"))?,
                None if tail.is_empty() => default,
                None => return Err(bad("junk after the address")),
            };
            (ip.to_string(), port)
        } else {
            let (host, port) = match authority.rsplit_once(':') {
                Some((h, p)) => (h, p.parse().map_err(|_| bad("not a port"))?),
                None => (authority, default),
            };
            let host = if host.parse::<std::net::Ipv4Addr>().is_ok() {
                host.to_string()
            } else {
                crate::target::normalize_name(host).ok_or_else(|| bad("not a host name"))?
            };
            (host, port)
        };
        if port == 0 {
            return Err(bad("port 0"));
        }
        Ok(Url {
            https,
            host,
            port,
            path,
        })
    }

    /// `https://host:port/path`, the port only when not the default.
    pub fn text(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let default = if self.https { 443 } else { 80 };
        if self.port == default {
            format!("{scheme}://{host}{}", self.path)
        } else {
            format!("{scheme}://{host}:{}{}", self.port, self.path)
        }
    }

    /// Where a `Location` points, from this URL: an absolute http(s) URL, or a path on the
    /// same server (`/x`); anything else (a relative path, another scheme) is refused.
    fn join(&self, location: &str) -> Result<Url, FetchError> {
        if location.starts_with("//") {
            let scheme = if self.https { "https:" } else { "http:" };
            return Url::parse(&format!("{scheme}{location}"));
        }
        if location.starts_with('/') {
            let text = self.text();
            let origin = text.strip_suffix(self.path.as_str()).unwrap_or(&text);
            return Url::parse(&format!("{origin}{location}"));
        }
        Url::parse(location)
    }
}

/// GETs `url` (http or https) under `deadline`, reading at most `cap` bytes of body, with the
/// redirects `redirects` allows. Every failure is data in [`Fetch::outcome`].
pub async fn get<R: Resolver>(
    url: &str,
    redirects: Redirects,
    cap: usize,
    cfg: &FetchConfig,
    resolver: &R,
    deadline: Instant,
) -> Fetch {
    let start = Instant::now();
    let mut fetch = Fetch {
        url: url.to_string(),
        redirects: Vec::new(),
        address: None,
        elapsed: Duration::ZERO,
        tls: None,
        outcome: Err(FetchError::Url(crate::smtp::escape(url.as_bytes()))),
    };
    let mut current = match Url::parse(url) {
        Ok(u) => u,
        Err(e) => {
            fetch.outcome = Err(e);
            return fetch;
        }
    };
    let allowed = match redirects {
        Redirects::Never => 0,
        Redirects::Follow(n) => n,
    };
    loop {
        let (address, tls, outcome) = once(&current, cap, cfg, resolver, deadline).await;
        fetch.address = address;
        fetch.tls = tls;
        let location = match &outcome {
            Ok(r) if matches!(r.status, 301 | 302 | 303 | 307 | 308) && allowed > 0 => {
                r.header("location").map(str::to_string)
            }
            _ => None,
        };
        let Some(location) = location else {
            fetch.outcome = outcome;
            break;
        };
        if fetch.redirects.len() >= usize::from(allowed) {
            fetch.outcome = Err(FetchError::Redirect(format!(
                "more than {allowed} redirects (the last to {location})"
            )));
            break;
        }
        let next = match current.join(&location) {
            Ok(n) => n,
            Err(e) => {
                fetch.outcome = Err(FetchError::Redirect(e.to_string()));
                break;
            }
        };
        fetch.redirects.push(next.text());
        // A redirect from https to http would hand a verified fetch to an unverified one.
        if current.https && !next.https {
            fetch.outcome = Err(FetchError::Redirect(format!(
                "from https to http ({})",
                next.text()
            )));
            break;
        }
        current = next;
    }
    fetch.elapsed = start.elapsed();
    fetch
}

/// The time a step may take: `--timeout`, and never past the deadline.
fn step(cfg: &FetchConfig, deadline: Instant) -> Duration {
    cfg.step_timeout
        .min(deadline.saturating_duration_since(Instant::now()))
}

/// A step limited to `limit` timed out: the run's deadline ended it when `limit` was shorter
/// than `--timeout` (the deadline was nearer), else the server took too long.
fn timed_out(
    cfg: &FetchConfig,
    limit: Duration,
    stage: Stage,
    slow: String,
    cut: String,
) -> FetchError {
    if limit < cfg.step_timeout {
        FetchError::Deadline(stage, cut)
    } else {
        FetchError::Timeout(stage, slow)
    }
}

type Once = (
    Option<SocketAddr>,
    Option<FetchTls>,
    Result<HttpResponse, FetchError>,
);

/// One request to one URL: resolve (or `--connect-to`), connect, TLS, GET, read.
async fn once<R: Resolver>(
    url: &Url,
    cap: usize,
    cfg: &FetchConfig,
    resolver: &R,
    deadline: Instant,
) -> Once {
    let addrs = match addresses(url, cfg, resolver, deadline).await {
        Ok(a) => a,
        Err(e) => return (None, None, Err(e)),
    };
    let (addr, stream) = match connect(addrs, cfg, deadline).await {
        Ok(c) => c,
        Err(e) => return (None, None, Err(e)),
    };
    let _ = stream.set_nodelay(true);
    if !url.https {
        let reached = format!("connected to {addr}");
        return (
            Some(addr),
            None,
            exchange(stream, url, cap, cfg, deadline, &reached).await,
        );
    }
    over_tls(stream, addr, url, cap, cfg, deadline).await
}

/// The first address that takes a TCP connection, each tried for one step in turn. When
/// none does, every address's failure in order; when the run's deadline cuts a try, that
/// ends it (the failures so far then lead the text), since the server was not given its time.
async fn connect(
    addrs: Vec<SocketAddr>,
    cfg: &FetchConfig,
    deadline: Instant,
) -> Result<(SocketAddr, TcpStream), FetchError> {
    let mut failures = Vec::new();
    for addr in addrs {
        let limit = step(cfg, deadline);
        match tokio::time::timeout(limit, TcpStream::connect(addr)).await {
            Ok(Ok(s)) => return Ok((addr, s)),
            Ok(Err(e)) => failures.push(format!("{addr}: {e}")),
            Err(_) if limit < cfg.step_timeout => {
                let mut so_far = failures.join("; ");
                if !so_far.is_empty() {
                    so_far.push_str("; ");
                }
                return Err(FetchError::Deadline(
                    Stage::Connect,
                    format!("{so_far}connecting to {addr} had not finished"),
                ));
            }
            Err(_) => failures.push(format!(
                "{addr}: no TCP connection within {} (nothing answered: a firewall dropping the packets, or no route)",
                crate::text::seconds(limit)
            )),
        }
    }
    Err(FetchError::Connect(format!(
        "cannot connect: {}",
        failures.join("; ")
    )))
}

/// The https side of [`once`]: the TLS handshake with the URL's host name, then the exchange.
/// The chain is reported whether or not the handshake finished, so a failure can be
/// explained by the certificate the server sent.
async fn over_tls(
    stream: TcpStream,
    addr: SocketAddr,
    url: &Url,
    cap: usize,
    cfg: &FetchConfig,
    deadline: Instant,
) -> Once {
    let Ok(name) = ServerName::try_from(url.host.clone()) else {
        let e = FetchError::Url(format!("{} is no TLS server name", url.host));
        return (Some(addr), None, Err(e));
    };
    let limit = step(cfg, deadline);
    let (result, record) = crate::tls::handshake(stream, name, &cfg.trust, limit).await;
    match result {
        Ok((tls, negotiated)) => {
            let info = fetch_tls(&record, url, cfg, negotiated.version.label().to_string());
            let reached = format!("connected to {addr}, {} done", negotiated.version.label());
            // The chain is judged and reported, not refused here: the caller decides what an
            // untrusted policy host means, and the report can still show what it serves.
            (
                Some(addr),
                info,
                exchange(tls, url, cap, cfg, deadline, &reached).await,
            )
        }
        Err(e) if e.kind == crate::tls::HandshakeFailure::Timeout => (
            Some(addr),
            fetch_tls(&record, url, cfg, String::new()),
            Err(timed_out(
                cfg,
                limit,
                Stage::Handshake,
                format!(
                    "connected to {addr}, the TLS handshake did not finish within {}",
                    crate::text::seconds(limit)
                ),
                format!("connected to {addr}, the TLS handshake had not finished"),
            )),
        ),
        Err(e) => (
            Some(addr),
            fetch_tls(&record, url, cfg, String::new()),
            Err(FetchError::Tls(e.reason)),
        ),
    }
}

/// The TLS side as seen (`None` when no chain came): the chain judged at the time it was
/// received, and whether its leaf covers the URL's host. `version` is empty when the
/// handshake did not finish.
fn fetch_tls(
    record: &crate::tls::HandshakeRecord,
    url: &Url,
    cfg: &FetchConfig,
    version: String,
) -> Option<FetchTls> {
    if record.chain.is_empty() {
        return None;
    }
    let seen = record.seen_at.unwrap_or_else(UnixTime::now);
    let now = time::OffsetDateTime::from_unix_timestamp(
        i64::try_from(seen.as_secs()).unwrap_or(i64::MAX),
    )
    .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    let name_matches = crate::cert::CertInfo::parse(&record.chain[0], now).is_ok_and(|info| {
        crate::cert::name_match(&record.chain[0], &info, &url.host)
            == crate::cert::NameMatch::Covered
    });
    Some(FetchTls {
        version,
        trust: cfg.trust.check(&record.chain, seen),
        chain: record.chain.clone(),
        name_matches,
    })
}

/// The addresses to try: the `--connect-to` rule's, the IP literal, or the resolver's.
async fn addresses<R: Resolver>(
    url: &Url,
    cfg: &FetchConfig,
    resolver: &R,
    deadline: Instant,
) -> Result<Vec<SocketAddr>, FetchError> {
    if let Some(rule) = cfg
        .connect_to
        .iter()
        .find(|r| r.host == url.host && r.port == url.port)
    {
        return Ok(vec![rule.to]);
    }
    if let Ok(ip) = url.host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, url.port)]);
    }
    let limit = step(cfg, deadline);
    match tokio::time::timeout(limit, resolver.lookup_host(&url.host)).await {
        Ok(Ok(a)) if !a.addrs.is_empty() => Ok(a
            .addrs
            .iter()
            .map(|ip| SocketAddr::new(*ip, url.port))
            .collect()),
        Ok(Ok(_)) => Err(FetchError::Dns(format!(
            "{} has no A/AAAA record",
            url.host
        ))),
        Ok(Err(e)) => Err(FetchError::Dns(e.to_string())),
        Err(_) if limit < cfg.step_timeout => Err(FetchError::Deadline(
            Stage::Resolve,
            format!("looking up {} had not finished", url.host),
        )),
        Err(_) => Err(FetchError::Dns(format!(
            "looking up {} gave no answer within {}",
            url.host,
            crate::text::seconds(limit)
        ))),
    }
}

/// Sends the GET and reads the response, each read bounded by the step limit and the whole
/// read by the step limit after the first byte. `reached` says how far the fetch got before
/// ("connected to 192.0.2.1:443, TLS 1.3 done"), for the text of a timeout.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    url: &Url,
    cap: usize,
    cfg: &FetchConfig,
    deadline: Instant,
    reached: &str,
) -> Result<HttpResponse, FetchError> {
    let limit = step(cfg, deadline);
    send_request(&mut stream, &request(url), cfg, limit, reached).await?;
    read_response(&mut stream, cap, deadline, limit, reached).await
}

/// The GET for `url`: HTTP/1.0 with `Connection: close`, so the response ends with the
/// connection at the latest; `Host` carries the port only when it is not the scheme's
/// default, and an IPv6 literal in brackets.
fn request(url: &Url) -> String {
    let host = if url.host.contains(':') {
        format!("[{}]", url.host)
    } else {
        url.host.clone()
    };
    let host = match (url.https, url.port) {
        (true, 443) | (false, 80) => host,
        (_, p) => format!("{host}:{p}"),
    };
    format!(
        "GET {} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: starttls-check/{}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        url.path,
        env!("CARGO_PKG_VERSION")
    )
}

/// Writes `request` within `limit`: a write error is a connection failure, a timeout the
/// server's (or, when the deadline shortened `limit`, the run's).
async fn send_request<S: AsyncWrite + Unpin>(
    stream: &mut S,
    request: &str,
    cfg: &FetchConfig,
    limit: Duration,
    reached: &str,
) -> Result<(), FetchError> {
    let send = async {
        stream.write_all(request.as_bytes()).await?;
        stream.flush().await
    };
    match tokio::time::timeout(limit, send).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(FetchError::Connect(format!(
            "{reached}, sending the request failed: {e}"
        ))),
        Err(_) => {
            let within = crate::text::seconds(limit);
            Err(timed_out(
                cfg,
                limit,
                Stage::Response,
                format!("{reached}, the request could not be sent within {within}"),
                format!("{reached}, the request was not sent yet"),
            ))
        }
    }
}

/// Reads the response until it is complete ([`settle`]): the first byte within one step,
/// the rest within one more; a timeout says how far the response got ([`progress`]).
async fn read_response<S: AsyncRead + Unpin>(
    stream: &mut S,
    cap: usize,
    deadline: Instant,
    limit: Duration,
    reached: &str,
) -> Result<HttpResponse, FetchError> {
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    let mut head: Option<(HttpResponse, usize)> = None;
    let mut last_byte = Instant::now();
    // The first byte within one step; the rest of the response within one more.
    let mut until = Instant::now() + limit;
    loop {
        let left = until
            .min(deadline)
            .saturating_duration_since(Instant::now());
        let read = tokio::time::timeout(left, stream.read(&mut chunk)).await;
        let n = match read {
            Err(_) => {
                let (stage, slow, cut) = progress(reached, &buf, head.as_ref(), last_byte, limit);
                // The deadline ended the read when it came before the step's own end.
                return Err(if deadline < until {
                    FetchError::Deadline(stage, cut)
                } else {
                    FetchError::Timeout(stage, slow)
                });
            }
            Ok(Ok(n)) => n,
            // A TLS peer that closes without close_notify: complete only when the body
            // has its Content-Length (or its last chunk), checked below.
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => 0,
            Ok(Err(e)) => {
                let (_, _, so_far) = progress(reached, &buf, head.as_ref(), last_byte, limit);
                return Err(FetchError::Connect(format!(
                    "{so_far}, then reading failed: {e}"
                )));
            }
        };
        if n > 0 {
            last_byte = Instant::now();
        }
        if buf.is_empty() && n > 0 {
            until = Instant::now() + limit;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(resp) = settle(&buf, &mut head, cap, n == 0)? {
            return Ok(resp);
        }
    }
}

/// What the bytes read so far make: the head once it is complete (kept in `head`), then the
/// response once its body is (`Some`); `None` while more is to come. When the peer has
/// `closed`, the answer is final: a response whose body needs no length, or why none came.
fn settle(
    buf: &[u8],
    head: &mut Option<(HttpResponse, usize)>,
    cap: usize,
    closed: bool,
) -> Result<Option<HttpResponse>, FetchError> {
    if head.is_none() {
        if let Some(end) = head_end(buf) {
            *head = Some((parse_head(&buf[..end])?, end));
        } else if buf.len() > HEAD_CAP {
            return Err(FetchError::Malformed(format!(
                "no end of the header fields within {HEAD_CAP} bytes"
            )));
        }
    }
    if let Some((resp, end)) = head.as_ref()
        && let Some(body) = body_done(resp, &buf[*end..], cap)?
    {
        let mut resp = resp.clone();
        resp.body = body;
        return Ok(Some(resp));
    }
    if !closed {
        return Ok(None);
    }
    match head.as_ref() {
        None if buf.is_empty() => Err(FetchError::Malformed(
            "the server closed the connection without answering".into(),
        )),
        None => Err(FetchError::Malformed(
            "the connection closed inside the header fields".into(),
        )),
        Some((resp, end)) => close_body(resp, &buf[*end..]).map(Some),
    }
}

/// How far a response got when a read timed out: the stage, the text for a server too slow
/// (after `limit`), and the text for a fetch the run's deadline cut (no judgement).
fn progress(
    reached: &str,
    buf: &[u8],
    head: Option<&(HttpResponse, usize)>,
    last_byte: Instant,
    limit: Duration,
) -> (Stage, String, String) {
    let within = crate::text::seconds(limit);
    let Some((resp, end)) = head else {
        return if buf.is_empty() {
            (
                Stage::Response,
                format!("{reached}, request sent, no HTTP status line within {within}"),
                format!("{reached}, request sent, no HTTP status line yet"),
            )
        } else {
            let got = format!(
                "{reached}, request sent, {} bytes of the status line and header fields",
                count(buf.len())
            );
            (
                Stage::Response,
                format!("{got}, not complete within {within}"),
                format!("{got} so far"),
            )
        };
    };
    let body = buf.len().saturating_sub(*end);
    let of = match content_length(resp) {
        Ok(Some(len)) => format!("{} of {} bytes", count(body), count(len)),
        _ => format!("{} bytes (of a length not announced)", count(body)),
    };
    let got = format!("{reached}, HTTP {} received", resp.status);
    // Bytes still arriving in the last half of the window: slow, not stalled.
    let trickling = body > 0 && last_byte.elapsed() < limit / 2;
    let (stage, slow) = if trickling {
        (
            Stage::SlowBody,
            format!("{got}, the body still coming too slowly: {of} after {within}"),
        )
    } else {
        (
            Stage::Body,
            format!("{got}, the body stopped after {of}, not complete within {within}"),
        )
    };
    (stage, slow, format!("{got}, {of} of the body so far"))
}

/// The end of the head (after the blank line), CRLF or bare LF.
fn head_end(buf: &[u8]) -> Option<usize> {
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The status line and header fields.
fn parse_head(head: &[u8]) -> Result<HttpResponse, FetchError> {
    // Split on the raw bytes, then escape each line: nothing a server sent is kept raw.
    let mut lines = head
        .split(|b| *b == b'\n')
        .map(|l| crate::smtp::escape(l.strip_suffix(b"\r").unwrap_or(l)));
    let status_line = lines.next().unwrap_or_default();
    let status_line = status_line.as_str();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let status = parts.next().and_then(|c| c.parse::<u16>().ok());
    let (true, Some(status)) = (version.starts_with("HTTP/1."), status) else {
        return Err(FetchError::Malformed(format!(
            "the status line is {status_line:?}"
        )));
    };
    let headers = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| {
            l.split_once(':')
                .map(|(n, v)| (n.to_string(), v.to_string()))
        })
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok(HttpResponse {
        status,
        reason: parts.next().unwrap_or_default().to_string(),
        headers,
        body: Vec::new(),
    })
}

fn chunked(resp: &HttpResponse) -> bool {
    resp.header("transfer-encoding")
        .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"))
}

fn content_length(resp: &HttpResponse) -> Result<Option<usize>, FetchError> {
    resp.header("content-length")
        .map(|v| {
            v.parse::<usize>()
                .map_err(|_| FetchError::Malformed(format!("Content-Length is {v:?}")))
        })
        .transpose()
}

/// The body, once it is complete (`Some`), or `None` while more is to come.
fn body_done(resp: &HttpResponse, body: &[u8], cap: usize) -> Result<Option<Vec<u8>>, FetchError> {
    if chunked(resp) {
        return match dechunk(body) {
            Dechunk::Done(b) if b.len() > cap => Err(FetchError::TooLarge(cap)),
            Dechunk::Done(b) => Ok(Some(b)),
            Dechunk::More(so_far) if so_far > cap => Err(FetchError::TooLarge(cap)),
            Dechunk::More(_) => Ok(None),
            Dechunk::Bad(why) => Err(FetchError::Malformed(format!(
                "Transfer-Encoding: chunked, badly framed: {why}"
            ))),
        };
    }
    if let Some(len) = content_length(resp)? {
        if len > cap {
            return Err(FetchError::TooLarge(cap));
        }
        if body.len() >= len {
            return Ok(Some(body[..len].to_vec()));
        }
    }
    if body.len() > cap {
        return Err(FetchError::TooLarge(cap));
    }
    Ok(None)
}

/// The body at the end of the connection: complete without a length, short with one.
fn close_body(resp: &HttpResponse, body: &[u8]) -> Result<HttpResponse, FetchError> {
    if chunked(resp) {
        return Err(FetchError::Malformed(
            "Transfer-Encoding: chunked, the connection closed before the last chunk".into(),
        ));
    }
    if let Some(len) = content_length(resp)? {
        return Err(FetchError::Malformed(format!(
            "the connection closed after {} of {len} bytes (Content-Length)",
            body.len()
        )));
    }
    let mut resp = resp.clone();
    resp.body = body.to_vec();
    Ok(resp)
}

enum Dechunk {
    Done(Vec<u8>),
    /// Incomplete; the bytes of data seen so far.
    More(usize),
    Bad(String),
}

/// Decodes a chunked body (RFC 9112 §7.1); extensions and trailers are ignored.
fn dechunk(mut body: &[u8]) -> Dechunk {
    let mut out = Vec::new();
    loop {
        let Some(eol) = body.iter().position(|b| *b == b'\n') else {
            return Dechunk::More(out.len());
        };
        let line = String::from_utf8_lossy(&body[..eol]);
        let size = line
            .trim_end_matches('\r')
            .split(';')
            .next()
            .unwrap_or("")
            .trim();
        let Ok(size) = usize::from_str_radix(size, 16) else {
            return Dechunk::Bad(format!(
                "chunk size {:?}",
                crate::smtp::escape(size.as_bytes())
            ));
        };
        body = &body[eol + 1..];
        if size == 0 {
            return Dechunk::Done(out);
        }
        if body.len() < size {
            return Dechunk::More(out.len() + body.len());
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size..];
        match body {
            [b'\r', b'\n', rest @ ..] | [b'\n', rest @ ..] => body = rest,
            [] | [b'\r'] => return Dechunk::More(out.len()),
            _ => return Dechunk::Bad("no line end after a chunk".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::net::Ipv4Addr;

    use super::*;
    use crate::dns::StaticResolver;
    use crate::scripted::http::{HttpServer, Response};
    use crate::scripted::{Ca, LeafSpec, server_config};

    const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    fn config(trust: TrustStore, connect_to: Vec<ConnectTo>, step: u64) -> FetchConfig {
        FetchConfig {
            connect_to,
            step_timeout: Duration::from_millis(step),
            trust,
        }
    }

    fn resolver(name: &str) -> StaticResolver {
        let mut r = StaticResolver::default();
        r.hosts.insert(name.to_string(), vec![LOOPBACK]);
        r
    }

    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(10)
    }

    async fn plain(routes: Vec<(&str, Response)>) -> HttpServer {
        let routes = routes
            .into_iter()
            .map(|(p, r)| (p.to_string(), r))
            .collect();
        HttpServer::start(routes, None, LOOPBACK, 0).await.unwrap()
    }

    async fn fetch_plain(
        server: &HttpServer,
        path: &str,
        redirects: Redirects,
        cap: usize,
    ) -> Fetch {
        let url = format!("http://web.test:{}{path}", server.addr.port());
        let cfg = config(TrustStore::from_certs([], None), Vec::new(), 2000);
        get(&url, redirects, cap, &cfg, &resolver("web.test"), soon()).await
    }

    #[test]
    fn urls_parse_and_refuse() {
        let u = Url::parse("HTTPS://Mta-STS.Example.com/.well-known/mta-sts.txt").unwrap();
        assert_eq!(
            (u.https, u.host.as_str(), u.port, u.path.as_str()),
            (true, "mta-sts.example.com", 443, "/.well-known/mta-sts.txt")
        );
        let u = Url::parse("http://[::1]:8080?x=1").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("::1", 8080, "/?x=1")
        );
        assert_eq!(u.text(), "http://[::1]:8080/?x=1");
        for bad in [
            "ftp://x.example/",
            "https://user@x.example/",
            "https://x.example/#frag",
            "https://bücher.example/",
            "https://x.example:0/",
            "https://x.example:http/",
            "https://bad_host!/",
        ] {
            assert!(matches!(Url::parse(bad), Err(FetchError::Url(_))), "{bad}");
        }
        let base = Url::parse("https://a.example/x/y").unwrap();
        assert_eq!(base.join("/z").unwrap().text(), "https://a.example/z");
        assert_eq!(
            base.join("//b.example/q").unwrap().text(),
            "https://b.example/q"
        );
        assert!(base.join("relative").is_err());
    }

    #[tokio::test]
    async fn ok_not_found_and_the_request_sent() {
        let s = plain(vec![("/a", Response::ok("text/plain", b"hello"))]).await;
        let f = fetch_plain(&s, "/a", Redirects::Never, 100).await;
        let r = f.outcome.unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"hello"[..]));
        assert_eq!(r.header("content-type"), Some("text/plain"));
        assert_eq!(f.address, Some(s.addr));
        let f = fetch_plain(&s, "/missing", Redirects::Never, 100).await;
        assert_eq!(f.outcome.unwrap().status, 404);
        let req = &s.requests()[0];
        assert!(req.starts_with("GET /a HTTP/1.0\r\n"), "{req}");
        assert!(
            req.contains(&format!("Host: web.test:{}", s.addr.port())),
            "{req}"
        );
        assert!(req.contains("User-Agent: starttls-check/"), "{req}");
        assert!(req.contains("Connection: close"), "{req}");
    }

    #[tokio::test]
    async fn redirects_followed_or_not() {
        let s = plain(vec![
            ("/old", Response::redirect(301, "/new")),
            ("/new", Response::ok("text/plain", b"moved")),
            ("/loop", Response::redirect(302, "/loop")),
            ("/down", Response::redirect(302, "http://web.test/x")),
        ])
        .await;
        let f = fetch_plain(&s, "/old", Redirects::Never, 100).await;
        assert_eq!(f.outcome.unwrap().status, 301);
        assert!(f.redirects.is_empty());
        assert_eq!(
            s.requests().len(),
            1,
            "a redirect not followed is not fetched"
        );
        let f = fetch_plain(&s, "/old", Redirects::Follow(3), 100).await;
        assert_eq!(f.outcome.unwrap().body, b"moved");
        assert_eq!(
            f.redirects,
            vec![format!("http://web.test:{}/new", s.addr.port())]
        );
        let f = fetch_plain(&s, "/loop", Redirects::Follow(2), 100).await;
        assert_eq!(f.redirects.len(), 2);
        assert!(matches!(f.outcome, Err(FetchError::Redirect(ref w)) if w.contains("more than 2")));
    }

    #[tokio::test]
    async fn chunked_is_decoded_and_bad_framing_refused() {
        let head =
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";
        let good = format!("{head}5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n");
        let bad = format!("{head}zz\r\nhello\r\n0\r\n\r\n");
        let s = plain(vec![
            ("/good", Response::Raw(good.into_bytes())),
            ("/bad", Response::Raw(bad.into_bytes())),
        ])
        .await;
        let f = fetch_plain(&s, "/good", Redirects::Never, 100).await;
        assert_eq!(f.outcome.unwrap().body, b"hello world");
        let f = fetch_plain(&s, "/bad", Redirects::Never, 100).await;
        assert!(matches!(f.outcome, Err(FetchError::Malformed(ref w)) if w.contains("chunked")));
    }

    #[tokio::test]
    async fn over_the_cap_short_and_unframed_bodies() {
        let no_length = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close".to_vec();
        let short = b"HTTP/1.0 200 OK\r\nContent-Length: 50\r\n\r\nonly this".to_vec();
        let big_unframed = [b"HTTP/1.0 200 OK\r\n\r\n".to_vec(), vec![b'x'; 5000]].concat();
        let s = plain(vec![
            ("/big", Response::ok("text/plain", &[b'x'; 5000])),
            ("/nolen", Response::Raw(no_length)),
            ("/short", Response::Raw(short)),
            ("/bigger", Response::Raw(big_unframed)),
        ])
        .await;
        let f = fetch_plain(&s, "/big", Redirects::Never, 1000).await;
        assert_eq!(f.outcome.unwrap_err(), FetchError::TooLarge(1000));
        let f = fetch_plain(&s, "/bigger", Redirects::Never, 1000).await;
        assert_eq!(f.outcome.unwrap_err(), FetchError::TooLarge(1000));
        let f = fetch_plain(&s, "/nolen", Redirects::Never, 1000).await;
        assert_eq!(f.outcome.unwrap().body, b"until close");
        let f = fetch_plain(&s, "/short", Redirects::Never, 1000).await;
        assert!(matches!(f.outcome, Err(FetchError::Malformed(ref w)) if w.contains("9 of 50")));
    }

    #[tokio::test]
    async fn a_silent_server_times_out() {
        let s = plain(vec![("/", Response::Silent)]).await;
        let url = format!("http://web.test:{}/", s.addr.port());
        let cfg = config(TrustStore::from_certs([], None), Vec::new(), 300);
        let started = Instant::now();
        let f = get(
            &url,
            Redirects::Never,
            100,
            &cfg,
            &resolver("web.test"),
            soon(),
        )
        .await;
        assert!(
            matches!(f.outcome, Err(FetchError::Timeout(Stage::Response, _))),
            "{:?}",
            f.outcome
        );
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn dns_and_connect_failures_are_data() {
        let cfg = config(TrustStore::from_certs([], None), Vec::new(), 500);
        let f = get(
            "http://nowhere.test/",
            Redirects::Never,
            10,
            &cfg,
            &StaticResolver::default(),
            soon(),
        )
        .await;
        assert!(
            matches!(f.outcome, Err(FetchError::Dns(_))),
            "{:?}",
            f.outcome
        );
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let f = get(
            &format!("http://127.0.0.1:{port}/"),
            Redirects::Never,
            10,
            &cfg,
            &StaticResolver::default(),
            soon(),
        )
        .await;
        assert!(
            matches!(f.outcome, Err(FetchError::Connect(_))),
            "{:?}",
            f.outcome
        );
    }

    struct Tls {
        server: HttpServer,
        trust: TrustStore,
    }

    async fn https(name: &str, trusted: bool) -> Tls {
        let now = time::OffsetDateTime::now_utc();
        let ca = Ca::root("Fetch Test Root", now).unwrap();
        let leaf = ca.leaf(&LeafSpec::valid_for(name, now, 30)).unwrap();
        let routes = vec![(
            "/.well-known/mta-sts.txt".to_string(),
            Response::ok("text/plain", b"version: STSv1\r\n"),
        )];
        let server = HttpServer::start(routes, Some(server_config(&leaf)), LOOPBACK, 0)
            .await
            .unwrap();
        let trust = if trusted {
            TrustStore::from_certs([ca.der()], None)
        } else {
            TrustStore::from_certs([], None)
        };
        Tls { server, trust }
    }

    async fn fetch_tls(t: &Tls, host: &str) -> Fetch {
        // The URL names port 443; --connect-to sends it to the test server, no DNS asked.
        let rule = ConnectTo {
            host: host.to_string(),
            port: 443,
            to: t.server.addr,
        };
        let cfg = config(t.trust.clone(), vec![rule], 2000);
        let url = format!("https://{host}/.well-known/mta-sts.txt");
        get(
            &url,
            Redirects::Never,
            1000,
            &cfg,
            &StaticResolver::default(),
            soon(),
        )
        .await
    }

    #[tokio::test]
    async fn https_through_connect_to_with_a_trusted_chain() {
        let t = https("mta-sts.example.com", true).await;
        let f = fetch_tls(&t, "mta-sts.example.com").await;
        assert_eq!(f.address, Some(t.server.addr));
        assert_eq!(f.outcome.unwrap().body, b"version: STSv1\r\n");
        let tls = f.tls.unwrap();
        assert!(tls.trust.trusted && tls.name_matches, "{tls:?}");
        assert!(tls.version.starts_with("TLS 1."), "{}", tls.version);
        assert!(t.server.requests()[0].contains("Host: mta-sts.example.com\r\n"));
    }

    #[tokio::test]
    async fn an_untrusted_chain_and_a_wrong_name_are_recorded() {
        let t = https("mta-sts.example.com", false).await;
        let f = fetch_tls(&t, "mta-sts.example.com").await;
        let tls = f.tls.clone().unwrap();
        assert!(!tls.trust.trusted && tls.name_matches, "{tls:?}");
        assert!(f.outcome.is_ok(), "the body is still read, for the report");
        let t = https("www.example.com", true).await;
        let f = fetch_tls(&t, "mta-sts.example.com").await;
        let tls = f.tls.unwrap();
        assert!(tls.trust.trusted && !tls.name_matches, "{tls:?}");
    }

    #[test]
    fn counts_have_separators() {
        assert_eq!(
            (count(7), count(1234), count(5000), count(1_234_567)),
            (
                "7".into(),
                "1,234".into(),
                "5,000".into(),
                "1,234,567".into()
            )
        );
    }

    /// `served` over https, fetched with a step limit of `step` ms and a deadline `deadline`
    /// ms away.
    async fn stalled(served: Response, step: u64, deadline: u64) -> (Fetch, SocketAddr) {
        let now = time::OffsetDateTime::now_utc();
        let ca = Ca::root("Stall Root", now).unwrap();
        let leaf = ca.leaf(&LeafSpec::valid_for("web.test", now, 30)).unwrap();
        let server = HttpServer::start(
            vec![("/".to_string(), served)],
            Some(server_config(&leaf)),
            LOOPBACK,
            0,
        )
        .await
        .unwrap();
        let rule = ConnectTo {
            host: "web.test".into(),
            port: 443,
            to: server.addr,
        };
        let cfg = config(TrustStore::from_certs([ca.der()], None), vec![rule], step);
        let until = Instant::now() + Duration::from_millis(deadline);
        let f = get(
            "https://web.test/",
            Redirects::Never,
            100_000,
            &cfg,
            &StaticResolver::default(),
            until,
        )
        .await;
        (f, server.addr)
    }

    #[tokio::test]
    async fn a_timeout_says_how_far_the_fetch_got() {
        let (f, addr) = stalled(Response::Silent, 300, 10_000).await;
        let Err(FetchError::Timeout(Stage::Response, text)) = &f.outcome else {
            panic!("{:?}", f.outcome)
        };
        let want =
            format!("connected to {addr}, TLS 1.3 done, request sent, no HTTP status line within");
        assert!(text.starts_with(&want), "{text}");
        let head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5000\r\n\r\n";
        let first = [head.to_vec(), vec![b'x'; 1234]].concat();
        let stop = Response::Dribble(first, b"x".to_vec(), Duration::from_secs(5), 1);
        let (f, _) = stalled(stop, 300, 10_000).await;
        let Err(FetchError::Timeout(Stage::Body, text)) = &f.outcome else {
            panic!("{:?}", f.outcome)
        };
        assert!(
            text.contains("HTTP 200 received, the body stopped after 1,234 of 5,000 bytes"),
            "{text}"
        );
        let slow = Response::Dribble(head.to_vec(), b"x".to_vec(), Duration::from_millis(20), 200);
        let (f, _) = stalled(slow, 400, 10_000).await;
        let Err(FetchError::Timeout(Stage::SlowBody, text)) = &f.outcome else {
            panic!("{:?}", f.outcome)
        };
        assert!(
            text.contains("still coming too slowly") && text.contains("of 5,000 bytes"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn the_runs_deadline_is_not_the_servers_fault() {
        let started = Instant::now();
        let (f, _) = stalled(Response::Silent, 5_000, 400).await;
        assert!(started.elapsed() < Duration::from_secs(3));
        let Err(e @ FetchError::Deadline(Stage::Response, _)) = &f.outcome else {
            panic!("{:?}", f.outcome)
        };
        let text = e.to_string();
        assert!(
            text.contains("--deadline") && text.contains("says nothing about the server"),
            "{text}"
        );
        assert!(text.contains("no HTTP status line yet"), "{text}");
    }
}
