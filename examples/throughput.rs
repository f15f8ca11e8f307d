//! The tools of the throughput benchmark (issue 13, `bench/throughput.sh`, BENCHMARKS.md):
//! a loopback DNS server that maps many mail domains onto a few Postfix listeners, and the
//! practical ceiling, a minimal tokio-rustls client that only does the network and TLS work
//! a STARTTLS check cannot avoid.
//!
//! ```text
//! throughput dns --domains 1000 --listeners 127.0.1.1,127.0.1.2 --targets-file T [--port-file P]
//! throughput ceiling --listeners 127.0.1.1,127.0.1.2 --port 2525 --n 1000 --ca root.pem
//! throughput ceiling --implicit --listeners … --port 2465 --n 1000 --ca root.pem
//! ```
//!
//! `dns` serves, over UDP and TCP on one port of 127.0.0.1 (hickory-server, authoritative),
//! domain `dNNNN.bench.test` with `MX 10 mxNNNN.bench.example.test`, and that host with one A
//! record, the listeners taken in turn (domain 1 on the first listener, domain 2 on the
//! second, …), each name a small zone of its own (see `zones`). AAAA
//! gets NODATA, any other name NXDOMAIN. It writes the domains, one per line, to the targets
//! file (and with `--hosts-file`, each MX host and its address, `mxNNNN.bench.example.test
//! 127.0.1.1`, for a run without DNS through `--resolve`), prints `127.0.0.1:PORT` (also to
//! `--port-file`) and serves until it is killed; on SIGTERM or Ctrl-C it prints how many
//! queries it answered.
//!
//! `ceiling` makes `--n` checks' worth of connections, one connection per listener at a time
//! (the tool's "one connection per address and port" rule, so at most one per listener is in
//! flight): one task per listener takes the next number from a shared counter until `--n`
//! are done. Each connection is exactly the conversation of a passing STARTTLS check, with
//! nothing else: TCP connect (`TCP_NODELAY`), read the banner, `EHLO`, `STARTTLS`, the TLS
//! handshake (rustls with ring, TLS 1.2 and 1.3, the chain verified against `--ca` for the
//! name `mxNNNN.bench.example.test`, sent as SNI; no session resumption), `EHLO` again inside
//! TLS, `QUIT`, its reply, close_notify and TCP shutdown. Like the tool it sets
//! `TCP_QUICKACK` before every read on Linux, so Postfix's reply never waits out a 40 ms
//! delayed ACK (BENCHMARKS.md, "The post-handshake stall"). What it leaves out is everything
//! a diagnosis adds: DNS, the root store of the system, recording and parsing the chain,
//! findings, the report. With `--implicit` the connection is TLS from the first byte
//! (RFC 8314, port 465 style): handshake, banner inside TLS, `QUIT`, its reply, close.
//!
//! It prints one JSON object on stdout (`n`, `ok`, `failed`, `wall_s`, `rate_per_s`,
//! `cpu_s`, `cpu_ms_per_handshake`, latency percentiles) and a readable line on stderr; it
//! exits 1 when any connection failed (the first errors are printed). Its CPU time is read
//! from `/proc/self/stat` (10 ms ticks); the script measures it precisely from outside.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line bench tool: printing its figures is its job"
)]

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use clap::{Parser, Subcommand};
use hickory_server::Server;
use hickory_server::net::runtime::Time;
use hickory_server::proto::rr::{LowerName, Name};
use hickory_server::proto::serialize::txt::Parser as ZoneParser;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneType};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// The zone of the mail domains (`dNNNN.bench.test`).
const DOMAIN_ZONE: &str = "bench.test";
/// The zone of their MX hosts (`mxNNNN.bench.example.test`); the bench listeners' leaf
/// certificate is for `*.bench.example.test`.
const HOST_ZONE: &str = "bench.example.test";
/// The name the ceiling says in EHLO (the tool says its own host name or an address literal;
/// Postfix does the same work for either).
const EHLO_NAME: &str = "bench-client.example.test";
/// An SMTP reply longer than this is a broken server, not a reply.
const MAX_REPLY: usize = 64 * 1024;
/// Any one step (connect, a reply, the handshake) longer than this fails the connection.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);
/// Failures printed in full; the rest are only counted.
const SHOWN_ERRORS: usize = 5;

#[derive(Parser)]
#[command(about = "Throughput benchmark tools: a loopback DNS server and the practical ceiling")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve MX and A records of N bench domains on 127.0.0.1 until killed.
    Dns {
        /// How many domains: d0001.bench.test and up.
        #[arg(long, default_value_t = 1000)]
        domains: usize,
        /// The listener addresses the MX hosts' A records point at, in turn (comma-separated).
        #[arg(long, value_delimiter = ',', required = true)]
        listeners: Vec<Ipv4Addr>,
        /// Where to write the targets (one domain per line).
        #[arg(long)]
        targets_file: PathBuf,
        /// Also write the server's `127.0.0.1:PORT` here (written once it is listening).
        #[arg(long)]
        port_file: Option<PathBuf>,
        /// Also write each MX host and its address here, one `HOST ADDR` per line.
        #[arg(long)]
        hosts_file: Option<PathBuf>,
        /// The UDP and TCP port (0: a free one).
        #[arg(long, default_value_t = 0)]
        port: u16,
    },
    /// The practical ceiling: N minimal STARTTLS (or implicit-TLS) sessions, one per listener
    /// at a time.
    Ceiling {
        /// The listener addresses (comma-separated).
        #[arg(long, value_delimiter = ',', required = true)]
        listeners: Vec<IpAddr>,
        /// Their port.
        #[arg(long, default_value_t = 2525)]
        port: u16,
        /// How many sessions in all.
        #[arg(long, default_value_t = 1000)]
        n: usize,
        /// The PEM root(s) the chain must lead to.
        #[arg(long)]
        ca: PathBuf,
        /// TLS from the first byte (SMTPS) instead of STARTTLS.
        #[arg(long)]
        implicit: bool,
        /// Untimed sessions per listener before the measured ones (Postfix starts its smtpd
        /// processes on the first connections).
        #[arg(long, default_value_t = 2)]
        warmup: usize,
    },
}

fn main() {
    let cli = Cli::parse();
    // Two workers, as the tool's runtime (src/commands/mod.rs): the same scheduling for both.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .build()
    {
        Ok(r) => r,
        Err(e) => fail(anyhow!(e).context("cannot start the async runtime")),
    };
    let outcome = match cli.command {
        Command::Dns {
            domains,
            listeners,
            targets_file,
            port_file,
            hosts_file,
            port,
        } => runtime.block_on(serve_dns(
            domains,
            &listeners,
            &targets_file,
            hosts_file,
            port_file,
            port,
        )),
        Command::Ceiling {
            listeners,
            port,
            n,
            ca,
            implicit,
            warmup,
        } => runtime.block_on(ceiling(&listeners, port, n, &ca, implicit, warmup)),
    };
    match outcome {
        Ok(code) => std::process::exit(code),
        Err(e) => fail(e),
    }
}

/// Prints the error with its causes (not a backtrace: RUST_BACKTRACE is set on these machines)
/// and exits 2, "the bench could not run".
fn fail(e: anyhow::Error) -> ! {
    eprintln!("throughput: error: {e:#}");
    std::process::exit(2)
}

/// Zero-padded numbers wide enough for `n` (at least 4 digits: d0001 … d1000).
fn width(n: usize) -> usize {
    n.to_string().len().max(4)
}

// --- dns ---------------------------------------------------------------------------------

/// The catalog, counting the queries it answers (printed at the end, to show every target
/// really was looked up).
struct Counting {
    inner: Catalog,
    queries: Arc<AtomicU64>,
}

// The trait is declared with `#[async_trait]`: this is the signature it expands to (as in
// tests/common/dns.rs).
impl RequestHandler for Counting {
    fn handle_request<'life0, 'life1, 'async_trait, R, T>(
        &'life0 self,
        request: &'life1 Request,
        response_handle: R,
    ) -> Pin<Box<dyn Future<Output = ResponseInfo> + Send + 'async_trait>>
    where
        R: ResponseHandler + 'async_trait,
        T: Time + 'async_trait,
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        self.queries.fetch_add(1, Ordering::Relaxed);
        self.inner.handle_request::<R, T>(request, response_handle)
    }
}

/// The address of MX host `i` (from 1): the listeners in turn.
fn host_address(i: usize, listeners: &[Ipv4Addr]) -> Ipv4Addr {
    listeners[(i - 1) % listeners.len()]
}

/// The zones' master-file texts, (origin, text): one small zone per domain and per MX host,
/// below two parent zones that hold only their SOA (so any other name in them is NXDOMAIN).
/// Why not two big zones: hickory-server's in-memory zone answered slower the more records it
/// held (0.14 ms of server CPU per check at 1000 domains, 0.50 ms at 10000), CPU the
/// benchmark's two cores then lack for Postfix; a zone per name keeps a lookup's cost flat.
fn zones(domains: usize, listeners: &[Ipv4Addr]) -> Vec<(String, String)> {
    let w = width(domains);
    let soa = |zone: &str, parent: &str| {
        format!(
            "$ORIGIN {zone}.\n$TTL 3600\n@ IN SOA ns.{parent}. hostmaster.{parent}. 1 3600 600 86400 60\n"
        )
    };
    let mut out = vec![
        (DOMAIN_ZONE.to_string(), soa(DOMAIN_ZONE, DOMAIN_ZONE)),
        (HOST_ZONE.to_string(), soa(HOST_ZONE, HOST_ZONE)),
    ];
    for i in 1..=domains {
        let domain = format!("d{i:0w$}.{DOMAIN_ZONE}");
        let host = format!("mx{i:0w$}.{HOST_ZONE}");
        let addr = host_address(i, listeners);
        let mx = soa(&domain, DOMAIN_ZONE) + &format!("@ IN MX 10 {host}.\n");
        let a = soa(&host, HOST_ZONE) + &format!("@ IN A {addr}\n");
        out.push((domain, mx));
        out.push((host, a));
    }
    out
}

async fn serve_dns(
    domains: usize,
    listeners: &[Ipv4Addr],
    targets_file: &std::path::Path,
    hosts_file: Option<PathBuf>,
    port_file: Option<PathBuf>,
    port: u16,
) -> anyhow::Result<i32> {
    if domains == 0 {
        bail!("--domains must be at least 1");
    }
    let mut catalog = Catalog::new();
    for (origin, text) in zones(domains, listeners) {
        let origin = Name::from_str(&format!("{origin}."))?;
        let (name, records) = ZoneParser::new(text, None, Some(origin.clone()))
            .parse()
            .with_context(|| format!("zone {origin} does not parse"))?;
        let handler: InMemoryZoneHandler =
            InMemoryZoneHandler::new(name.clone(), records, ZoneType::Primary, AxfrPolicy::Deny)
                .map_err(|e| anyhow!("zone {origin} rejected: {e}"))?;
        catalog.upsert(LowerName::new(&name), vec![Arc::new(handler)]);
    }

    let w = width(domains);
    let mut targets = format!(
        "# {domains} bench domains (examples/throughput.rs dns): dNNNN.{DOMAIN_ZONE} has MX \
         mxNNNN.{HOST_ZONE}\n"
    );
    for i in 1..=domains {
        targets.push_str(&format!("d{i:0w$}.{DOMAIN_ZONE}\n"));
    }
    std::fs::write(targets_file, targets)
        .with_context(|| format!("cannot write {}", targets_file.display()))?;
    if let Some(p) = hosts_file {
        let hosts: String = (1..=domains)
            .map(|i| format!("mx{i:0w$}.{HOST_ZONE} {}\n", host_address(i, listeners)))
            .collect();
        std::fs::write(&p, hosts).with_context(|| format!("cannot write {}", p.display()))?;
    }

    let (udp, tcp) = bind_udp_and_tcp(port)?;
    let addr = udp.local_addr()?;
    let queries = Arc::new(AtomicU64::new(0));
    let mut server = Server::new(Counting {
        inner: catalog,
        queries: queries.clone(),
    });
    server.register_socket(udp);
    server.register_listener(tcp, Duration::from_secs(30), 64);
    if let Some(p) = port_file {
        std::fs::write(&p, format!("{addr}\n"))
            .with_context(|| format!("cannot write {}", p.display()))?;
    }
    println!("{addr}");
    eprintln!(
        "throughput dns: {domains} domains on {} listener(s), serving on {addr} (UDP and TCP)",
        listeners.len()
    );
    stopped().await;
    eprintln!(
        "throughput dns: stopping; answered {} queries",
        queries.load(Ordering::Relaxed)
    );
    Ok(0)
}

/// Resolves when the process is asked to stop (SIGTERM on Unix, or Ctrl-C).
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// UDP and TCP on the same port of 127.0.0.1, as a name server listens (hickory retries over
/// TCP on truncation).
fn bind_udp_and_tcp(port: u16) -> anyhow::Result<(tokio::net::UdpSocket, tokio::net::TcpListener)> {
    let mut last = None;
    for _ in 0..20 {
        let udp = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, port))
            .context("cannot bind UDP on 127.0.0.1")?;
        let got = udp.local_addr()?.port();
        match std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, got)) {
            Ok(tcp) => {
                udp.set_nonblocking(true)?;
                tcp.set_nonblocking(true)?;
                return Ok((
                    tokio::net::UdpSocket::from_std(udp)?,
                    tokio::net::TcpListener::from_std(tcp)?,
                ));
            }
            Err(e) if port == 0 => last = Some(e), // taken for TCP: try another port
            Err(e) => return Err(e).context(format!("cannot bind TCP 127.0.0.1:{port}")),
        }
    }
    Err(anyhow!(
        "no port free for both UDP and TCP on 127.0.0.1: {last:?}"
    ))
}

// --- ceiling -----------------------------------------------------------------------------

async fn ceiling(
    listeners: &[IpAddr],
    port: u16,
    n: usize,
    ca: &std::path::Path,
    implicit: bool,
    warmup: usize,
) -> anyhow::Result<i32> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca)
        .with_context(|| format!("cannot read {}", ca.display()))?
    {
        roots.add(cert.with_context(|| format!("bad PEM in {}", ca.display()))?)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    // Every check of a survey meets a new server: no resumption, a full handshake each time.
    config.resumption = rustls::client::Resumption::disabled();
    let connector = TlsConnector::from(Arc::new(config));
    let w = width(n);

    // Warm-up: Postfix's master forks smtpd processes on the first connections.
    for &ip in listeners {
        for k in 0..warmup {
            let name = format!("mx{:0w$}.{HOST_ZONE}", k + 1);
            session(&connector, SocketAddr::new(ip, port), name, implicit)
                .await
                .with_context(|| format!("warm-up session with {ip}:{port}"))?;
        }
    }

    let next = Arc::new(AtomicUsize::new(0));
    let cpu0 = own_cpu();
    let t0 = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for &ip in listeners {
        let (next, connector) = (next.clone(), connector.clone());
        workers.spawn(async move {
            let mut lat = Vec::new();
            let mut errors = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let name = format!("mx{:0w$}.{HOST_ZONE}", i + 1);
                let started = Instant::now();
                match session(&connector, SocketAddr::new(ip, port), name, implicit).await {
                    Ok(()) => lat.push(started.elapsed()),
                    Err(e) => errors.push(format!("{ip}:{port}: {e:#}")),
                }
            }
            (lat, errors)
        });
    }
    let mut lat = Vec::new();
    let mut errors = Vec::new();
    while let Some(done) = workers.join_next().await {
        let (l, e) = done.context("a worker panicked")?;
        lat.extend(l);
        errors.extend(e);
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu = match (cpu0, own_cpu()) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };

    lat.sort();
    let pct = |p: f64| -> f64 {
        if lat.is_empty() {
            return f64::NAN;
        }
        let k = ((lat.len() - 1) as f64 * p).round() as usize;
        lat[k].as_secs_f64() * 1000.0
    };
    let ok = lat.len();
    let rate = ok as f64 / wall;
    let cpu_ms = cpu.map(|c| c * 1000.0 / n as f64);
    let json = serde_json::json!({
        "mode": if implicit { "implicit-tls" } else { "starttls" },
        "listeners": listeners.len(),
        "port": port,
        "n": n,
        "ok": ok,
        "failed": errors.len(),
        "wall_s": wall,
        "rate_per_s": rate,
        "cpu_s": cpu,
        "cpu_ms_per_handshake": cpu_ms,
        "latency_ms": { "p50": pct(0.5), "p90": pct(0.9), "p99": pct(0.99), "max": pct(1.0) },
    });
    println!("{json}");
    eprintln!(
        "throughput ceiling ({}): {ok}/{n} sessions ok over {} listener(s) in {wall:.3} s = \
         {rate:.1}/s; own CPU {} per session; latency p50 {:.2} ms, p90 {:.2} ms",
        if implicit { "implicit TLS" } else { "STARTTLS" },
        listeners.len(),
        cpu_ms.map_or_else(|| "unknown".to_string(), |c| format!("{c:.3} ms")),
        pct(0.5),
        pct(0.9),
    );
    for e in errors.iter().take(SHOWN_ERRORS) {
        eprintln!("throughput ceiling: failed: {e}");
    }
    if errors.len() > SHOWN_ERRORS {
        eprintln!(
            "throughput ceiling: … and {} more failures",
            errors.len() - SHOWN_ERRORS
        );
    }
    Ok(if errors.is_empty() { 0 } else { 1 })
}

/// This process's user + system CPU so far, in seconds (`/proc/self/stat`, clock ticks of
/// 10 ms); None where there is no procfs.
fn own_cpu() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// One session: STARTTLS (or implicit TLS) to a passing server, as described at the top.
async fn session(
    connector: &TlsConnector,
    addr: SocketAddr,
    name: String,
    implicit: bool,
) -> anyhow::Result<()> {
    let server_name = ServerName::try_from(name).context("bad server name")?;
    let tcp = step("connect", TcpStream::connect(addr)).await?;
    tcp.set_nodelay(true)?;
    let mut buf = Vec::with_capacity(1024);
    let tcp = if implicit {
        tcp
    } else {
        let mut tcp = tcp;
        expect(&mut tcp, &mut buf, "220", "banner").await?;
        command(&mut tcp, &mut buf, &format!("EHLO {EHLO_NAME}"), "250").await?;
        if !String::from_utf8_lossy(&buf).lines().any(|l| {
            l.get(4..)
                .is_some_and(|k| k.eq_ignore_ascii_case("STARTTLS"))
        }) {
            bail!("STARTTLS not offered");
        }
        command(&mut tcp, &mut buf, "STARTTLS", "220").await?;
        tcp
    };
    let mut tls = step("TLS handshake", connector.connect(server_name, tcp)).await?;
    if implicit {
        expect(&mut tls, &mut buf, "220", "banner").await?;
    } else {
        command(&mut tls, &mut buf, &format!("EHLO {EHLO_NAME}"), "250").await?;
    }
    command(&mut tls, &mut buf, "QUIT", "221").await?;
    // close_notify, then the TCP FIN (the tool's QUIT does the same).
    step("shutdown", tls.shutdown()).await?;
    Ok(())
}

/// `what` within [`STEP_TIMEOUT`], its error named.
async fn step<T, E>(what: &str, f: impl Future<Output = Result<T, E>>) -> anyhow::Result<T>
where
    E: std::error::Error + Send + Sync + 'static,
{
    match tokio::time::timeout(STEP_TIMEOUT, f).await {
        Ok(r) => r.with_context(|| what.to_string()),
        Err(_) => bail!("{what}: no answer within {STEP_TIMEOUT:?}"),
    }
}

/// Something to read SMTP replies from that can ask for prompt ACKs first.
trait Conn: AsyncRead + AsyncWrite + Unpin {
    /// Sets `TCP_QUICKACK` (Linux): the read that drains the next segment acknowledges it at
    /// once, so Postfix's next small write does not wait for a delayed ACK (Nagle).
    fn ack_promptly(&self);
}

impl Conn for TcpStream {
    fn ack_promptly(&self) {
        #[cfg(target_os = "linux")]
        {
            let _ = socket2::SockRef::from(self).set_tcp_quickack(true);
        }
    }
}

impl Conn for tokio_rustls::client::TlsStream<TcpStream> {
    fn ack_promptly(&self) {
        self.get_ref().0.ack_promptly();
    }
}

async fn command<S: Conn>(
    s: &mut S,
    buf: &mut Vec<u8>,
    line: &str,
    code: &str,
) -> anyhow::Result<()> {
    let what = line.split(' ').next().unwrap_or(line);
    step(what, s.write_all(format!("{line}\r\n").as_bytes())).await?;
    expect(s, buf, code, what).await
}

/// Reads one whole reply (lines up to `NNN text`) into `buf` and checks its code.
async fn expect<S: Conn>(
    s: &mut S,
    buf: &mut Vec<u8>,
    code: &str,
    what: &str,
) -> anyhow::Result<()> {
    buf.clear();
    let mut chunk = [0u8; 4096];
    loop {
        s.ack_promptly();
        let n = step(what, s.read(&mut chunk)).await?;
        if n == 0 {
            bail!("{what}: the server closed the connection");
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > MAX_REPLY {
            bail!("{what}: reply longer than {MAX_REPLY} bytes");
        }
        if complete(buf) {
            break;
        }
    }
    if !buf.starts_with(code.as_bytes()) {
        bail!(
            "{what}: expected {code}, got {:?}",
            String::from_utf8_lossy(buf).trim_end()
        );
    }
    Ok(())
}

/// True when `buf` ends with a reply's last line (`NNN text\r\n`, a space after the code).
fn complete(buf: &[u8]) -> bool {
    if !buf.ends_with(b"\n") {
        return false;
    }
    let body = &buf[..buf.len() - 1];
    let last = body.rsplit(|&b| b == b'\n').next().unwrap_or(body);
    last.len() >= 4 && last[..3].iter().all(u8::is_ascii_digit) && last[3] == b' '
}
