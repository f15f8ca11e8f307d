//! Scripted SMTP servers on loopback, described as data: the demo probes them, and the tests
//! drive the real binary against them. Each [`Scenario`] is one server behaviour seen in the
//! field (a healthy Postfix, an Exchange receive connector without STARTTLS, a silent port...).
//!
//! The server records every command it receives, so tests can prove the probe never sends
//! MAIL, RCPT or DATA and always says QUIT.

pub mod http;
pub mod pki;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::ServerConfig;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

pub use pki::{Ca, Leaf, LeafSpec};

/// What happens right after the TCP connection is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConnect {
    /// Send the banner and talk.
    Talk,
    /// Accept and never say a word (a blackholed or hung service).
    Silent,
    /// Close at once.
    Close,
}

/// How the STARTTLS command is handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartTls {
    /// Advertised; the command gets this reply, and a `220` starts the handshake.
    Offered(String),
    /// Not advertised.
    NotOffered,
}

/// One scripted server behaviour.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The greeting line, e.g. `220 mail.demo.test ESMTP Postfix`.
    pub banner: String,
    /// Line 1 of the EHLO reply is `250-<greeting> Hello [client]`.
    pub greeting: String,
    /// Keywords besides STARTTLS.
    pub keywords: Vec<String>,
    /// The STARTTLS behaviour.
    pub starttls: StartTls,
    /// The TLS side; required for `Offered("220 ...")` and implicit TLS.
    pub tls: Option<Arc<ServerConfig>>,
    /// Reply to EHLO instead of the capabilities, sent as written plus CRLF (e.g. `500 5.5.1
    /// Command unrecognized`; lines joined with `\r\n` make a multi-line reply).
    pub ehlo_refusal: Option<String>,
    /// What happens on connect.
    pub on_connect: OnConnect,
    /// Bytes sent right after the STARTTLS 220, before the handshake.
    pub inject_after_starttls: Vec<u8>,
    /// TLS from the first byte (port 465 style).
    pub implicit_tls: bool,
    /// Wait this long before the greeting (a tarpit, a proxy holding the banner).
    pub banner_delay: Duration,
    /// Wait this long before answering EHLO.
    pub ehlo_delay: Duration,
    /// Hang up right after the greeting (a server shedding connections).
    pub close_after_banner: bool,
    /// The address the EHLO greeting says it saw (`Hello [203.0.113.7]`) instead of the
    /// peer's: an egress address behind NAT, as a server on the internet would write it.
    pub seen_as: Option<IpAddr>,
    /// The reply to `MAIL FROM` (default `503 5.5.1 This scripted server takes no mail`).
    pub mail_reply: Option<String>,
    /// Over TLS only: the reply to EHLO, sent as written plus CRLF, then the connection is
    /// closed (Postfix's `smtpd_tls_req_ccert`: `421 4.7.1 … Error: No client certificate
    /// presented` after a handshake that completed without one).
    pub ehlo_tls_refusal: Option<String>,
}

impl Scenario {
    /// A Postfix-like server that offers STARTTLS with this chain.
    pub fn postfix(name: &str, leaf: &Leaf) -> Self {
        Scenario {
            banner: format!("220 {name} ESMTP Postfix (Debian/GNU)"),
            greeting: name.to_string(),
            keywords: [
                "PIPELINING",
                "SIZE 10240000",
                "VRFY",
                "ETRN",
                "ENHANCEDSTATUSCODES",
                "8BITMIME",
                "DSN",
                "CHUNKING",
            ]
            .map(String::from)
            .to_vec(),
            starttls: StartTls::Offered("220 2.0.0 Ready to start TLS".into()),
            tls: Some(server_config(leaf)),
            ehlo_refusal: None,
            on_connect: OnConnect::Talk,
            inject_after_starttls: Vec::new(),
            implicit_tls: false,
            banner_delay: Duration::ZERO,
            ehlo_delay: Duration::ZERO,
            close_after_banner: false,
            seen_as: None,
            mail_reply: None,
            ehlo_tls_refusal: None,
        }
    }

    /// An Exim-like server greeting as `name`: the default banner of Debian's Exim 4.96
    /// (`$smtp_active_hostname ESMTP Exim $version_number $tod_full`) and its EHLO keywords,
    /// PIPECONNECT among them, as a capture of Exim 4.96 shows them (mnomico/tyr).
    pub fn exim(name: &str, leaf: &Leaf) -> Self {
        Scenario {
            banner: format!("220 {name} ESMTP Exim 4.96 Sun, 22 Nov 2026 12:00:00 +0000"),
            keywords: [
                "SIZE 52428800",
                "8BITMIME",
                "PIPELINING",
                "PIPECONNECT",
                "CHUNKING",
                "SMTPUTF8",
                "HELP",
            ]
            .map(String::from)
            .to_vec(),
            starttls: StartTls::Offered("220 TLS go ahead".into()),
            ..Scenario::postfix(name, leaf)
        }
    }

    /// An Exchange-like receive connector greeting as `greeting`, with this chain (or none:
    /// STARTTLS not offered).
    pub fn exchange(greeting: &str, leaf: Option<&Leaf>) -> Self {
        Scenario {
            banner: format!(
                "220 {greeting} Microsoft ESMTP MAIL Service ready at Sun, 22 Nov 2026 12:00:00 +0000"
            ),
            greeting: greeting.to_string(),
            keywords: [
                "SIZE 37748736",
                "PIPELINING",
                "DSN",
                "ENHANCEDSTATUSCODES",
                "AUTH NTLM",
                "8BITMIME",
                "BINARYMIME",
                "CHUNKING",
            ]
            .map(String::from)
            .to_vec(),
            starttls: if leaf.is_some() {
                StartTls::Offered("220 2.0.0 SMTP server ready".into())
            } else {
                StartTls::NotOffered
            },
            tls: leaf.map(server_config),
            ehlo_refusal: None,
            on_connect: OnConnect::Talk,
            inject_after_starttls: Vec::new(),
            implicit_tls: false,
            banner_delay: Duration::ZERO,
            ehlo_delay: Duration::ZERO,
            close_after_banner: false,
            seen_as: None,
            mail_reply: None,
            ehlo_tls_refusal: None,
        }
    }
}

/// A rustls server config for a chain (ring provider, TLS 1.2 and 1.3).
pub fn server_config(leaf: &Leaf) -> Arc<ServerConfig> {
    let provider = crate::tls::provider();
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .and_then(|b| {
            b.with_no_client_auth()
                .with_single_cert(leaf.chain.clone(), leaf.key.clone_key())
        });
    match config {
        Ok(c) => Arc::new(c),
        // Only reachable with a malformed key made by this module itself.
        Err(e) => panic!("scripted server TLS config: {e}"),
    }
}

/// A rustls server config that asks for a client certificate and verifies it against
/// `client_roots` (webpki, client-authentication usage): `required` demands one (Postfix
/// `smtpd_tls_req_ccert = yes`), else it only asks and goes on without one
/// (`smtpd_tls_ask_ccert = yes`). A certificate it cannot verify is refused with an alert
/// either way.
pub fn server_config_client_auth(
    leaf: &Leaf,
    client_roots: &[rustls::pki_types::CertificateDer<'static>],
    required: bool,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<ServerConfig> {
    let provider = crate::tls::provider();
    let mut roots = rustls::RootCertStore::empty();
    for r in client_roots {
        // Only certificates made by this module's PKI are given.
        let _ = roots.add(r.clone());
    }
    let builder = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    );
    let builder = if required {
        builder
    } else {
        builder.allow_unauthenticated()
    };
    let config = builder
        .build()
        .map_err(|e| e.to_string())
        .and_then(|verifier| {
            ServerConfig::builder_with_provider(provider)
                .with_protocol_versions(versions)
                .map_err(|e| e.to_string())?
                .with_client_cert_verifier(verifier)
                .with_single_cert(leaf.chain.clone(), leaf.key.clone_key())
                .map_err(|e| e.to_string())
        });
    match config {
        Ok(c) => Arc::new(c),
        // Only reachable with roots or a key made wrongly by the caller's test PKI.
        Err(e) => panic!("scripted server client-auth TLS config: {e}"),
    }
}

/// Connection counts, to prove the probe never opens two sessions to one address and port
/// at once.
#[derive(Debug, Default)]
pub struct ConnStats {
    active: AtomicUsize,
    peak: AtomicUsize,
    total: AtomicUsize,
}

/// One session in progress; it ends when the client says QUIT (before the 221, so the client
/// cannot be seen to overlap with itself) or when the connection ends.
struct Active {
    stats: Arc<ConnStats>,
    done: AtomicBool,
}

impl Active {
    fn new(stats: Arc<ConnStats>) -> Self {
        let now = stats.active.fetch_add(1, Ordering::SeqCst) + 1;
        stats.peak.fetch_max(now, Ordering::SeqCst);
        stats.total.fetch_add(1, Ordering::SeqCst);
        Active {
            stats,
            done: AtomicBool::new(false),
        }
    }

    fn release(&self) {
        if !self.done.swap(true, Ordering::SeqCst) {
            self.stats.active.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        self.release();
    }
}

/// A running scripted server; it stops when dropped.
#[derive(Debug)]
pub struct ScriptedServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Every command line received, across connections.
    pub commands: Arc<Mutex<Vec<String>>>,
    stats: Arc<ConnStats>,
    task: JoinHandle<()>,
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ScriptedServer {
    /// Starts serving `scenario` on `ip`, port `port` (0 picks a free one).
    pub async fn start(scenario: Scenario, ip: IpAddr, port: u16) -> std::io::Result<Self> {
        let listener = TcpListener::bind((ip, port)).await?;
        let addr = listener.local_addr()?;
        let commands = Arc::new(Mutex::new(Vec::new()));
        let log = commands.clone();
        let stats = Arc::new(ConnStats::default());
        let counted = stats.clone();
        let scenario = Arc::new(scenario);
        let task = tokio::spawn(async move {
            while let Ok((stream, peer)) = listener.accept().await {
                // Small replies must not wait for delayed ACKs (Nagle): measured 40 ms stalls.
                let _ = stream.set_nodelay(true);
                let (sc, log) = (scenario.clone(), log.clone());
                let active = Active::new(counted.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, peer, &sc, &log, &active).await;
                });
            }
        });
        Ok(ScriptedServer {
            addr,
            commands,
            stats,
            task,
        })
    }

    /// The commands received so far.
    pub fn received(&self) -> Vec<String> {
        self.commands.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.stats.total.load(Ordering::SeqCst)
    }

    /// The most sessions that were open at the same time.
    pub fn peak_sessions(&self) -> usize {
        self.stats.peak.load(Ordering::SeqCst)
    }
}

async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    sc: &Scenario,
    log: &Mutex<Vec<String>>,
    active: &Active,
) -> std::io::Result<()> {
    match sc.on_connect {
        OnConnect::Silent => {
            let mut sink = [0u8; 512];
            let mut stream = stream;
            // Hold the connection open without a word until the client gives up.
            let _ = tokio::time::timeout(Duration::from_secs(300), async {
                while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
            })
            .await;
            return Ok(());
        }
        OnConnect::Close => return Ok(()),
        OnConnect::Talk => {}
    }
    let acceptor = sc.tls.clone().map(TlsAcceptor::from);
    if sc.implicit_tls {
        let Some(acceptor) = acceptor else {
            return Ok(());
        };
        let tls = acceptor.accept(stream).await?;
        let mut io = BufReader::new(tls);
        dialogue(&mut io, peer, sc, log, active, true).await?;
        return Ok(());
    }
    let mut io = BufReader::new(stream);
    if dialogue(&mut io, peer, sc, log, active, false).await? {
        let Some(acceptor) = acceptor else {
            return Ok(());
        };
        let tls = acceptor.accept(io.into_inner()).await?;
        let mut io = BufReader::new(tls);
        dialogue(&mut io, peer, sc, log, active, true).await?;
    }
    Ok(())
}

/// Waits `d`; no wait at all for zero (a zero sleep still waits for the timer's next
/// millisecond tick: measured 4 ms more per domain check of 4 healthy endpoints).
async fn pause(d: Duration) {
    if !d.is_zero() {
        tokio::time::sleep(d).await;
    }
}

/// The reply to EHLO: the scenario's own text, or the greeting line and the keywords (with
/// STARTTLS before TLS when it is offered).
fn ehlo_reply(sc: &Scenario, peer: SocketAddr, in_tls: bool) -> String {
    if let Some(r) = &sc.ehlo_refusal {
        return format!("{r}\r\n");
    }
    let seen = sc.seen_as.unwrap_or(peer.ip());
    let mut lines = vec![format!("{} Hello [{seen}]", sc.greeting)];
    lines.extend(sc.keywords.iter().cloned());
    if !in_tls && matches!(sc.starttls, StartTls::Offered(_)) {
        lines.push("STARTTLS".into());
    }
    let last = lines.len() - 1;
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| format!("250{}{l}\r\n", if i == last { ' ' } else { '-' }))
        .collect()
}

/// Runs the command loop; returns true when the client should be upgraded to TLS.
async fn dialogue<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut BufReader<S>,
    peer: SocketAddr,
    sc: &Scenario,
    log: &Mutex<Vec<String>>,
    active: &Active,
    in_tls: bool,
) -> std::io::Result<bool> {
    if !in_tls || sc.implicit_tls {
        pause(sc.banner_delay).await;
        io.get_mut()
            .write_all(format!("{}\r\n", sc.banner).as_bytes())
            .await?;
        if sc.close_after_banner {
            io.get_mut().shutdown().await?;
            return Ok(false);
        }
    }
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut *io).take(1024).read_until(b'\n', &mut line).await?;
        if n == 0 {
            return Ok(false);
        }
        let cmd = String::from_utf8_lossy(&line).trim_end().to_string();
        if let Ok(mut l) = log.lock() {
            l.push(cmd.clone());
        }
        let verb = cmd
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply = match verb.as_str() {
            "EHLO" if in_tls && sc.ehlo_tls_refusal.is_some() => {
                let r = sc.ehlo_tls_refusal.as_deref().unwrap_or_default();
                io.get_mut()
                    .write_all(format!("{r}\r\n").as_bytes())
                    .await?;
                io.get_mut().shutdown().await?;
                return Ok(false);
            }
            "EHLO" => {
                pause(sc.ehlo_delay).await;
                ehlo_reply(sc, peer, in_tls)
            }
            "HELO" => format!("250 {}\r\n", sc.greeting),
            "STARTTLS" if !in_tls => match &sc.starttls {
                StartTls::Offered(r) => {
                    let mut bytes = format!("{r}\r\n").into_bytes();
                    if r.starts_with("220") {
                        // One write, as an injecting box in the path would send it.
                        bytes.extend_from_slice(&sc.inject_after_starttls);
                        io.get_mut().write_all(&bytes).await?;
                        io.get_mut().flush().await?;
                        return Ok(true);
                    }
                    io.get_mut().write_all(&bytes).await?;
                    continue;
                }
                StartTls::NotOffered => "502 5.5.1 Unrecognized command\r\n".into(),
            },
            "QUIT" => {
                active.release();
                io.get_mut().write_all(b"221 2.0.0 Bye\r\n").await?;
                io.get_mut().shutdown().await?;
                return Ok(false);
            }
            "NOOP" | "RSET" => "250 2.0.0 OK\r\n".into(),
            "MAIL" => match &sc.mail_reply {
                Some(r) => format!("{r}\r\n"),
                None => "503 5.5.1 This scripted server takes no mail\r\n".into(),
            },
            "RCPT" | "DATA" => "503 5.5.1 This scripted server takes no mail\r\n".into(),
            _ => "502 5.5.2 Error: command not recognized\r\n".into(),
        };
        io.get_mut().write_all(reply.as_bytes()).await?;
    }
}
