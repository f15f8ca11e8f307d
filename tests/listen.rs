//! `listen`: the receiver, driven by in-process senders on loopback (a tokio-rustls client with
//! and without a client certificate, plain-text senders, raw ClientHello bytes) and the binary
//! itself for what a user sees before any report (bind errors, the refusal of a public
//! address, the replies a sender gets). Every address is 127.0.0.1 or ::1; no PTR lookup is
//! made (`PtrLookup::Off`, `--no-ptr`). With `--redact`, the binary's output in every format
//! it writes hides what a sender names (its EHLO name, envelope, client certificate) and what
//! the listener names (its address, name and certificate).

#![allow(clippy::unwrap_used)]

mod common;
mod schema_check;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use starttls_check::listen::identity::{self, Identity};
use starttls_check::listen::model::{
    ListenHandshakeFailure, ListenRun, Ptr, RunEnd, SessionEnd, StarttlsUse,
};
use starttls_check::listen::{self, ListenConfig, Reject, ptr::PtrLookup};
use starttls_check::scripted::LeafSpec;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use common::pki;

const RECEIVER: &str = "receiver.example.test";

fn config(identity: Identity) -> ListenConfig {
    ListenConfig {
        hostname: RECEIVER.into(),
        identity,
        expect_names: Vec::new(),
        reject: Reject::Temporary,
        session_timeout: Duration::from_secs(5),
        duration: Duration::from_secs(20),
        once: true,
        max_sessions: 1000,
        max_concurrent: listen::MAX_CONCURRENT,
        ptr: PtrLookup::Off,
        public: false,
        ca_files: Vec::new(),
        system_roots: false,
        warn_days: 30,
    }
}

/// Our certificate from the test PKI (so that a verifying client trusts it).
fn trusted_identity() -> Identity {
    let leaf = pki().healthy(RECEIVER, 90);
    Identity::from_parts(leaf.chain, leaf.key).unwrap()
}

struct Running {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    run: JoinHandle<ListenRun>,
}

impl Running {
    async fn finish(self) -> ListenRun {
        tokio::time::timeout(Duration::from_secs(15), self.run)
            .await
            .expect("the run ends")
            .unwrap()
    }
    /// Ends the run as Ctrl-C would.
    async fn interrupt(mut self) -> ListenRun {
        let _ = self.stop.take().unwrap().send(());
        self.finish().await
    }
}

async fn start_on(ip: IpAddr, cfg: ListenConfig) -> Running {
    let listener = listen::bind(SocketAddr::new(ip, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let shutdown = async move {
        let _ = rx.await;
    };
    let run = tokio::spawn(async move {
        listen::serve(listener, Arc::new(cfg), shutdown, |_| {})
            .await
            .unwrap()
    });
    Running {
        addr,
        stop: Some(tx),
        run,
    }
}

async fn start(cfg: ListenConfig) -> Running {
    start_on(IpAddr::V4(Ipv4Addr::LOCALHOST), cfg).await
}

/// A line-at-a-time SMTP client over any stream.
struct Client<S> {
    io: BufReader<S>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    /// The whole (possibly multi-line) reply.
    async fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(Duration::from_secs(5), self.io.read_line(&mut line))
                .await
                .expect("a reply in time")
                .unwrap();
            if n == 0 {
                return all;
            }
            all.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return all;
            }
        }
    }
    async fn send(&mut self, bytes: &[u8]) {
        self.io.get_mut().write_all(bytes).await.unwrap();
    }
    async fn cmd(&mut self, line: &str) -> String {
        self.send(format!("{line}\r\n").as_bytes()).await;
        self.reply().await
    }
}

async fn connect(addr: SocketAddr) -> Client<TcpStream> {
    let mut c = Client {
        io: BufReader::new(TcpStream::connect(addr).await.unwrap()),
    };
    let banner = c.reply().await;
    assert!(
        banner.starts_with(&format!("220 {RECEIVER} ESMTP")),
        "{banner}"
    );
    c
}

/// EHLO, STARTTLS, then a rustls handshake trusting the test root, with `client_cert`.
async fn tls_client(
    addr: SocketAddr,
    client_cert: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
) -> Result<Client<tokio_rustls::client::TlsStream<TcpStream>>, std::io::Error> {
    let mut c = connect(addr).await;
    let ehlo = c.cmd("EHLO sender.example.test").await;
    assert!(ehlo.contains("250-STARTTLS"), "{ehlo}");
    assert!(!ehlo.contains("PIPELINING"), "{ehlo}");
    assert!(c.cmd("STARTTLS").await.starts_with("220 2.0.0"));
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki().root.der()).unwrap();
    let builder = rustls::ClientConfig::builder_with_provider(starttls_check::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let config = match client_cert {
        Some((chain, key)) => builder.with_client_auth_cert(chain, key).unwrap(),
        None => builder.with_no_client_auth(),
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = c.io.into_inner();
    let tls = connector
        .connect(ServerName::try_from(RECEIVER).unwrap(), tcp)
        .await?;
    Ok(Client {
        io: BufReader::new(tls),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_with_a_client_certificate_is_recorded_and_refused_at_rcpt() {
    let mut cfg = config(trusted_identity());
    cfg.ca_files = vec![pki().root_file.clone()];
    let running = start(cfg).await;
    let now = pki().now;
    let mut spec = LeafSpec::valid_for("onprem.contoso.test", now, 60);
    spec.client_auth_only = true;
    let leaf = pki().chain(&spec);
    let mut c = tls_client(running.addr, Some((leaf.chain.clone(), leaf.key)))
        .await
        .unwrap();
    let ehlo = c.cmd("EHLO onprem.contoso.test").await;
    assert!(!ehlo.contains("STARTTLS"), "no STARTTLS after TLS: {ehlo}");
    assert!(c.cmd("MAIL FROM:<a@contoso.test>").await.starts_with("250"));
    let rcpt = c.cmd("RCPT TO:<b@fabrikam.test>").await;
    assert!(
        rcpt.starts_with("451 4.7.0 starttls-check receiver: TLS 1.3"),
        "{rcpt}"
    );
    assert!(
        rcpt.contains("client certificate CN=onprem.contoso.test presented"),
        "{rcpt}"
    );
    assert!(rcpt.len() <= 512);
    assert!(c.cmd("DATA").await.starts_with("503"));
    assert!(c.cmd("QUIT").await.starts_with("221"));
    let run = running.finish().await;
    assert_eq!(run.ended, RunEnd::Once);
    let s = &run.sessions[0];
    assert_eq!(s.starttls, StarttlsUse::Used);
    assert_eq!(s.greeting.as_ref().unwrap().name, "sender.example.test");
    assert_eq!(
        s.greeting_after_tls.as_ref().unwrap().name,
        "onprem.contoso.test"
    );
    assert_eq!(s.client_chain.len(), 2, "leaf and intermediate");
    assert_eq!(s.client_chain[0], leaf.chain[0].as_ref());
    let hello = s.client_hello.as_ref().unwrap();
    assert_eq!(hello.sni.as_deref(), Some(RECEIVER));
    assert!(hello.supported_versions.contains(&0x0304));
    assert!(!hello.cipher_suites.is_empty() && !hello.truncated);
    let tls = s.tls.as_ref().unwrap();
    assert_eq!(tls.version.label(), "TLS 1.3");
    assert_eq!(s.mail_from.as_deref(), Some("a@contoso.test"));
    assert_eq!(s.rcpt_to, ["b@fabrikam.test"]);
    assert!(s.refused_with.as_ref().unwrap().starts_with("451 4.7.0"));
    assert_eq!(s.end, SessionEnd::Quit);
    assert_eq!(s.ptr, Ptr::Skipped("loopback"));
    // Judged as a receiver judges a client certificate, against --ca-file.
    let trust = s.client_trust.as_ref().unwrap();
    assert!(trust.trusted && trust.valid_now, "{trust:?}");
    assert!(s.pipelined_after_starttls.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_without_a_client_certificate_has_an_empty_chain() {
    let running = start(config(trusted_identity())).await;
    let mut c = tls_client(running.addr, None).await.unwrap();
    assert!(c.cmd("EHLO s.test").await.starts_with("250"));
    assert!(c.cmd("MAIL FROM:<>").await.starts_with("250"));
    let rcpt = c.cmd("RCPT TO:<x@y.test>").await;
    assert!(rcpt.contains("no client certificate"), "{rcpt}");
    drop(c);
    let run = running.finish().await;
    let s = &run.sessions[0];
    assert_eq!(s.starttls, StarttlsUse::Used);
    assert!(s.client_chain.is_empty());
    assert_eq!(s.mail_from.as_deref(), Some(""));
    assert!(matches!(&s.end, SessionEnd::Disconnected { after } if after == "RCPT refused"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_text_sender_is_recorded_and_refused_temporarily_or_permanently() {
    for (reject, code) in [
        (Reject::Temporary, "451 4.7.0"),
        (Reject::Permanent, "550 5.7.0"),
    ] {
        let mut cfg = config(trusted_identity());
        cfg.reject = reject;
        let running = start(cfg).await;
        let mut c = connect(running.addr).await;
        assert!(c.cmd("EHLO plain.test").await.contains("250-STARTTLS"));
        assert!(
            c.cmd("MAIL FROM:<a@plain.test> SIZE=10")
                .await
                .starts_with("250")
        );
        let rcpt = c.cmd("RCPT TO:<b@x.test>").await;
        assert!(rcpt.starts_with(code), "{rcpt}");
        assert!(rcpt.contains("no STARTTLS"), "{rcpt}");
        assert!(c.cmd("DATA").await.starts_with("503 5.5.1"));
        assert!(c.cmd("BDAT 10 LAST").await.starts_with("503"));
        assert!(c.cmd("QUIT").await.starts_with("221"));
        let run = running.finish().await;
        let s = &run.sessions[0];
        assert_eq!(s.starttls, StarttlsUse::NotUsed);
        assert!(s.tls.is_none() && s.client_hello.is_none());
        assert_eq!(s.mail_from.as_deref(), Some("a@plain.test"));
        assert!(s.refused_with.as_ref().unwrap().starts_with(code));
        assert_eq!(s.end, SessionEnd::Quit);
        // Received lines are kept raw.
        assert!(
            s.transcript
                .entries
                .iter()
                .any(|e| e.bytes == b"MAIL FROM:<a@plain.test> SIZE=10")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_helo_only_sender_gets_no_extensions() {
    let running = start(config(trusted_identity())).await;
    let mut c = connect(running.addr).await;
    let helo = c.cmd("HELO old.test").await;
    assert_eq!(helo.trim_end(), format!("250 {RECEIVER}"));
    assert!(c.cmd("NOOP").await.starts_with("250"));
    assert!(c.cmd("RSET").await.starts_with("250"));
    assert!(c.cmd("VRFY x").await.starts_with("252"));
    assert!(c.cmd("AUTH PLAIN x").await.starts_with("502"));
    assert!(c.cmd("XYZZY").await.starts_with("502 5.5.2"));
    assert!(c.cmd("QUIT").await.starts_with("221"));
    let run = running.finish().await;
    let g = run.sessions[0].greeting.as_ref().unwrap();
    assert_eq!((g.verb, g.name.as_str()), ("HELO", "old.test"));
}

/// A TLS 1.0-only ClientHello (as `openssl s_client -tls1` sends): rustls refuses it before
/// exposing anything, yet the peeked hello says what was offered.
fn tls10_hello() -> Vec<u8> {
    let mut body = vec![0x03, 0x01];
    body.extend([7u8; 32]);
    body.push(0);
    body.extend([0x00, 0x04, 0x00, 0x2f, 0x00, 0x35]);
    body.extend([0x01, 0x00]);
    let mut hs = vec![1, 0, 0, body.len() as u8];
    hs.extend(body);
    let mut rec = vec![22, 3, 1, 0, hs.len() as u8];
    rec.extend(hs);
    rec
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls10_only_hello_is_parsed_and_the_failure_named() {
    let running = start(config(trusted_identity())).await;
    let mut c = connect(running.addr).await;
    c.cmd("EHLO legacy.test").await;
    assert!(c.cmd("STARTTLS").await.starts_with("220"));
    c.send(&tls10_hello()).await;
    // rustls answers with an alert and closes.
    let _ = c.reply().await;
    let run = running.finish().await;
    let s = &run.sessions[0];
    assert_eq!(s.starttls, StarttlsUse::HandshakeFailed);
    let h = s.client_hello.as_ref().unwrap();
    assert_eq!(h.legacy_version, 0x0301);
    assert_eq!(h.cipher_suites, [0x002f, 0x0035]);
    assert_eq!(
        s.handshake_error.as_ref().unwrap().kind,
        ListenHandshakeFailure::LegacyVersionsOnly,
        "{:?}",
        s.handshake_error
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_that_validates_refuses_our_self_signed_certificate() {
    let running = start(config(identity::generated(RECEIVER).unwrap())).await;
    let err = tls_client(running.addr, None).await.err();
    assert!(
        err.is_some(),
        "the client must refuse a self-signed certificate"
    );
    let run = running.finish().await;
    assert!(run.certificate.generated);
    assert_eq!(run.certificate.dns_names, [RECEIVER]);
    let s = &run.sessions[0];
    assert_eq!(s.starttls, StarttlsUse::HandshakeFailed);
    assert_eq!(
        s.handshake_error.as_ref().unwrap().kind,
        ListenHandshakeFailure::RefusedOurCertificate,
        "{:?}",
        s.handshake_error
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_pipelined_after_starttls_are_recorded_and_discarded() {
    let running = start(config(trusted_identity())).await;
    let mut c = connect(running.addr).await;
    c.cmd("EHLO p.test").await;
    c.send(b"STARTTLS\r\nMAIL FROM:<evil@p.test>\r\n").await;
    assert!(c.reply().await.starts_with("220"));
    drop(c);
    let run = running.finish().await;
    let s = &run.sessions[0];
    assert_eq!(s.pipelined_after_starttls, b"MAIL FROM:<evil@p.test>\r\n");
    assert!(s.mail_from.is_none(), "never executed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overlong_line_is_refused_and_the_session_closed() {
    for size in [1200, 200_000] {
        let running = start(config(trusted_identity())).await;
        let mut c = connect(running.addr).await;
        let mut long = vec![b'A'; size];
        long.extend(b"\r\n");
        // The server closes while a 200 kB line is still arriving: a reset may cut the send.
        let _ = c.io.get_mut().write_all(&long).await;
        assert!(c.reply().await.starts_with("500 5.5.6"));
        let run = running.finish().await;
        assert_eq!(
            run.sessions[0].end,
            SessionEnd::ProtocolError("sent a line over 1000 octets".into())
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_sender_times_out_and_an_idle_run_ends_at_its_duration() {
    let mut cfg = config(trusted_identity());
    cfg.session_timeout = Duration::from_millis(300);
    let running = start(cfg).await;
    let mut c = connect(running.addr).await;
    // RFC 5321 §4.5.3.2: told why before the close.
    assert_eq!(
        c.reply().await,
        format!("421 4.4.2 {RECEIVER} timeout, closing\r\n")
    );
    let run = running.finish().await;
    // The connection was made: the sender went silent before its greeting.
    assert_eq!(
        run.sessions[0].end,
        SessionEnd::Timeout {
            after: "waiting for EHLO/HELO".into()
        }
    );

    let mut cfg = config(trusted_identity());
    cfg.session_timeout = Duration::from_millis(300);
    let running = start(cfg).await;
    let mut c = connect(running.addr).await;
    c.cmd("EHLO sender.example.test").await;
    assert!(c.reply().await.starts_with("421 4.4.2"));
    let run = running.finish().await;
    assert_eq!(
        run.sessions[0].end,
        SessionEnd::Timeout {
            after: "after EHLO".into()
        }
    );

    let mut cfg = config(trusted_identity());
    cfg.duration = Duration::from_millis(200);
    let run = start(cfg).await.finish().await;
    assert_eq!(run.ended, RunEnd::Duration);
    assert!(run.sessions.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupt_ends_open_sessions_and_max_sessions_stops_the_run() {
    let mut cfg = config(trusted_identity());
    cfg.once = false;
    let running = start(cfg).await;
    let mut c = connect(running.addr).await;
    c.cmd("EHLO open.test").await;
    let run = running.interrupt().await;
    assert_eq!(run.ended, RunEnd::Interrupted);
    assert_eq!(run.sessions[0].end, SessionEnd::RunEnded);

    let mut cfg = config(trusted_identity());
    cfg.once = false;
    cfg.max_sessions = 2;
    let running = start(cfg).await;
    for _ in 0..2 {
        let mut c = connect(running.addr).await;
        c.cmd("QUIT").await;
    }
    let run = running.finish().await;
    assert_eq!(run.ended, RunEnd::MaxSessions);
    assert_eq!(run.sessions.len(), 2);
    assert_eq!(
        run.sessions.iter().map(|s| s.id).collect::<Vec<_>>(),
        [1, 2]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_cap_a_sender_gets_421() {
    let mut cfg = config(trusted_identity());
    cfg.once = false;
    cfg.max_concurrent = 1;
    let running = start(cfg).await;
    let _first = connect(running.addr).await;
    let mut second = Client {
        io: BufReader::new(TcpStream::connect(running.addr).await.unwrap()),
    };
    assert!(second.reply().await.starts_with("421 4.3.2"));
    let run = running.interrupt().await;
    assert_eq!(run.sessions.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listener_works_over_ipv6_loopback() {
    let ip = IpAddr::V6(Ipv6Addr::LOCALHOST);
    if std::net::TcpListener::bind((ip, 0)).is_err() {
        eprintln!("skipped: ::1 cannot be bound here");
        return;
    }
    let running = start_on(ip, config(trusted_identity())).await;
    let mut c = connect(running.addr).await;
    c.cmd("QUIT").await;
    let run = running.finish().await;
    assert!(run.bound.is_ipv6());
    assert!(run.sessions[0].peer.is_ipv6());
    assert_eq!(run.sessions[0].ptr, Ptr::Skipped("loopback"));
}

#[test]
fn addresses_parse_and_a_public_one_needs_the_flag() {
    let a = listen::parse_address("2525").unwrap();
    assert_eq!(a.to_string(), "127.0.0.1:2525");
    assert_eq!(
        listen::parse_address("[::1]:2525").unwrap().to_string(),
        "[::1]:2525"
    );
    assert!(listen::parse_address("nope").is_err());
    let public = listen::parse_address("0.0.0.0:2525").unwrap();
    let e = listen::check_public(public, false).unwrap_err().to_string();
    assert!(
        e.contains("refusing to listen on 0.0.0.0:2525") && e.contains("--public"),
        "{e}"
    );
    assert!(listen::check_public(public, true).is_ok());
    assert!(listen::check_public(a, false).is_ok());
}

/// The command refuses 0.0.0.0 without --public before binding (run in-process: the test
/// harness never lets the binary see a non-loopback address).
#[test]
fn the_command_refuses_a_public_address_without_the_flag() {
    use clap::Parser;
    let cli = starttls_check::Cli::try_parse_from([
        "starttls-check",
        "listen",
        "0.0.0.0:2525",
        "--no-ptr",
    ])
    .unwrap();
    let e = starttls_check::commands::run(cli).unwrap_err();
    assert!(format!("{e:#}").contains("add --public"), "{e:#}");
}

#[test]
fn a_taken_port_is_an_error_that_says_so() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let r = common::run(&["listen", &port, "--no-ptr", "--once"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("already in use"), "{}", r.stderr);
    assert!(r.stderr.contains("ss -ltnp"), "{}", r.stderr);
}

/// A PREROUTING redirect never reaches a listener on 127.0.0.1 (the default): the advice for
/// a low port names a listener on every address, and says nothing about Windows on Unix.
#[test]
fn the_privilege_advice_redirects_to_a_listener_that_the_redirect_reaches() {
    let e = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
    let advice = listen::bind_advice("127.0.0.1:25".parse().unwrap(), &e);
    if cfg!(windows) {
        assert!(advice.contains("Exchange"), "{advice}");
        assert!(advice.contains("portproxy"), "{advice}");
    } else {
        assert!(advice.contains("CAP_NET_BIND_SERVICE"), "{advice}");
        assert!(
            advice.contains("listen 0.0.0.0:2525 --public, then"),
            "{advice}"
        );
        assert!(advice.contains("REDIRECT"), "{advice}");
        assert!(advice.contains("-A OUTPUT -o lo"), "{advice}");
        assert!(!advice.contains("Windows"), "{advice}");
        assert!(!advice.contains("Exchange"), "{advice}");
    }
}

#[test]
fn the_binary_serves_a_sender_and_says_where_it_listens() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut cmd = common::command(&[
        "listen",
        &port.to_string(),
        "--once",
        "--no-ptr",
        "--duration",
        "20",
        "--hostname",
        RECEIVER,
    ]);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let replies = common::runtime().block_on(async {
        let mut tries = 0;
        let stream = loop {
            match TcpStream::connect(addr).await {
                Ok(s) => break s,
                Err(_) if tries < 100 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("{e}"),
            }
        };
        let mut c = Client {
            io: BufReader::new(stream),
        };
        let mut all = c.reply().await;
        for l in [
            "EHLO s.test",
            "MAIL FROM:<a@s.test>",
            "RCPT TO:<b@t.test>",
            "QUIT",
        ] {
            all.push_str(&c.cmd(l).await);
        }
        all
    });
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "listening on 127.0.0.1:{port} (certificate CN={RECEIVER}"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("Ctrl-C to stop"), "{stderr}");
    assert!(
        replies.contains("451 4.7.0 starttls-check receiver: no STARTTLS"),
        "{replies}"
    );
    assert!(replies.contains("221 2.0.0"), "{replies}");
}

/// PTR lookups for a non-loopback sender, answered by an in-process DNS server on 127.0.0.1
/// (203.0.113.0/24 is only a name looked up here; nothing is sent to it).
#[test]
fn reverse_names_are_forward_confirmed_through_the_given_resolver() {
    let dns = common::dns::DnsServer::start(&[
        (
            "113.0.203.in-addr.arpa.",
            "$ORIGIN 113.0.203.in-addr.arpa.\n$TTL 60\n\
             @ IN SOA ns.invalid. h.invalid. 1 60 60 60 60\n\
             7 IN PTR mail.contoso.test.\n\
             8 IN PTR fake.contoso.test.\n",
        ),
        (
            "contoso.test.",
            "$ORIGIN contoso.test.\n$TTL 60\n\
             @ IN SOA ns.invalid. h.invalid. 1 60 60 60 60\n\
             mail IN A 203.0.113.7\n\
             fake IN A 203.0.113.99\n",
        ),
    ]);
    let how = PtrLookup::Dns {
        servers: vec![dns.resolver_arg().parse().unwrap()],
        timeout: Duration::from_secs(3),
    };
    let ip = |last: u8| IpAddr::V4(Ipv4Addr::new(203, 0, 113, last));
    let rt = common::runtime();
    assert_eq!(
        rt.block_on(listen::ptr::lookup(&how, ip(7))),
        Ptr::Names {
            names: vec!["mail.contoso.test".into()],
            forward_confirmed: true
        }
    );
    assert_eq!(
        rt.block_on(listen::ptr::lookup(&how, ip(8))),
        Ptr::Names {
            names: vec!["fake.contoso.test".into()],
            forward_confirmed: false
        }
    );
    assert_eq!(rt.block_on(listen::ptr::lookup(&how, ip(9))), Ptr::None);
    assert_eq!(
        rt.block_on(listen::ptr::lookup(&PtrLookup::Off, ip(7))),
        Ptr::Skipped("--no-ptr")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_text_after_our_220_is_not_tls() {
    let running = start(config(trusted_identity())).await;
    let mut c = connect(running.addr).await;
    c.cmd("EHLO confused.test").await;
    assert!(c.cmd("STARTTLS").await.starts_with("220"));
    c.send(b"EHLO confused.test\r\n").await;
    let _ = c.reply().await;
    let run = running.finish().await;
    let s = &run.sessions[0];
    assert_eq!(s.starttls, StarttlsUse::HandshakeFailed);
    assert!(s.client_hello.is_none());
    assert_eq!(
        s.handshake_error.as_ref().unwrap().kind,
        ListenHandshakeFailure::NotTls
    );
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = common::base64(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

#[test]
fn our_certificate_loads_from_pem_with_the_key_inside_or_apart_and_a_pfx_through_the_loader() {
    let leaf = pki().healthy("mx.fabrikam.test", 90);
    let chain: String = leaf.chain.iter().map(|c| pem("CERTIFICATE", c)).collect();
    let key = pem("PRIVATE KEY", leaf.key.secret_der());
    let both = common::write_temp("both.pem", &format!("{chain}{key}"));
    let id = identity::load_identity(&both, None, None).unwrap();
    assert_eq!(id.chain.len(), 2);
    assert!(!id.certificate.generated);
    assert_eq!(id.certificate.dns_names, ["mx.fabrikam.test"]);
    assert!(id.certificate.subject.contains("CN=mx.fabrikam.test"));
    // The key never shows in Debug.
    assert!(format!("{id:?}").contains("(hidden)"));

    let certs = common::write_temp("chain.pem", &chain);
    let key_file = common::write_temp("key.pem", &key);
    assert!(identity::load_identity(&certs, Some(&key_file), None).is_ok());
    let e = identity::load_identity(&certs, None, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("--key"), "{e}");

    // A PFX goes through the --client-cert loader; its words name this command's options.
    let pfx = common::write_temp("id.pfx", "\u{30}\u{82}binary");
    let e = identity::load_identity(&pfx, None, Some("STARTTLS_CHECK_TEST_UNSET_PFX_PASSWORD"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("STARTTLS_CHECK_TEST_UNSET_PFX_PASSWORD (--cert-password-env) is not set"),
        "{e}"
    );
    assert!(!e.contains("--client-cert"), "{e}");
}

/// The names of the `--redact` run: a private CA whose organisation is on both certificates,
/// the listener's name, and what the sender says and presents.
const SECRET_RECEIVER: &str = "receiver.contoso-secret.test";
const SECRET_SENDER: &str = "mail.contoso-secret.test";

/// A private PKI (`Contoso Secret Ltd`), our certificate from it as PEM files for `--cert`,
/// its root for `--ca-file` and the sender's client certificate, with the fingerprints and
/// serials as the report would write them.
struct SecretWorld {
    root: starttls_check::scripted::Ca,
    root_file: String,
    cert_file: String,
    client: starttls_check::scripted::Leaf,
    /// The heads of the SHA-256 (with and without colons) and thumbprint of both leaves, and
    /// the client certificate's serial (read from a run without `--redact`).
    prints: Vec<String>,
    /// Those of [`SecretWorld::prints`] a JSON report shows without `--redact`: both
    /// SHA-256 with colons, the client certificate's thumbprint and serial.
    shown: Vec<String>,
}

fn secret_world() -> SecretWorld {
    use starttls_check::scripted::Ca;
    let now = time::OffsetDateTime::now_utc();
    let root = Ca::root_of("Contoso Secret Ltd", "Contoso Secret Root", now).unwrap();
    let issuing = root.intermediate("Contoso Secret Issuing", now).unwrap();
    let leaf = |spec: &LeafSpec| {
        let mut l = issuing.leaf_of(spec, "Contoso Secret Ltd").unwrap();
        l.chain.push(issuing.der());
        l
    };
    let ours = leaf(&LeafSpec::valid_for(SECRET_RECEIVER, now, 90));
    let mut spec = LeafSpec::valid_for(SECRET_SENDER, now, 60);
    spec.client_auth_only = true;
    let client = leaf(&spec);
    let (mut prints, mut shown) = (Vec::new(), Vec::new());
    for (is_client, der) in [(false, &ours.chain[0]), (true, &client.chain[0])] {
        let hex = |alg, sep: &str| {
            ring::digest::digest(alg, der)
                .as_ref()
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect::<Vec<_>>()
                .join(sep)
        };
        let sha256 = hex(&ring::digest::SHA256, ":");
        let thumbprint = hex(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, "")[..16].to_string();
        prints.push(sha256[..11].to_string());
        shown.push(sha256[..11].to_string());
        prints.push(sha256.replace(':', "")[..16].to_string());
        if is_client {
            shown.push(thumbprint.clone());
        }
        prints.push(thumbprint);
    }
    let chain: String = ours.chain.iter().map(|c| pem("CERTIFICATE", c)).collect();
    let key = pem("PRIVATE KEY", ours.key.secret_der());
    let cert_file = common::write_temp("ours.pem", &format!("{chain}{key}"));
    let root_file = common::write_temp("secret-root.pem", root.pem());
    SecretWorld {
        root_file: root_file.display().to_string(),
        cert_file: cert_file.display().to_string(),
        root,
        client,
        prints,
        shown,
    }
}

/// What must never be written with `--redact` (case-insensitively), but the fingerprints.
const LISTEN_SECRETS: &[&str] = &["contoso", "ceo@", "<ceo", "helpdesk.lead", "127.0.0."];

/// The binary listening once with `extra`, served by a sender that says EHLO with its name,
/// STARTTLS with a client certificate, EHLO again and gives an envelope of its domain.
fn listen_run(w: &SecretWorld, extra: &[&str]) -> common::Run {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let port_s = port.to_string();
    let mut args = vec![
        "listen",
        &port_s,
        "--once",
        "--no-ptr",
        "--duration",
        "20",
        "--hostname",
        SECRET_RECEIVER,
        "--cert",
        &w.cert_file,
        "--ca-file",
        &w.root_file,
        "--no-system-roots",
        "--expect-name",
        SECRET_SENDER,
        "-v",
    ];
    args.extend_from_slice(extra);
    let mut cmd = common::command(&args);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    common::runtime().block_on(async {
        let mut tries = 0;
        let stream = loop {
            match TcpStream::connect(addr).await {
                Ok(s) => break s,
                Err(_) if tries < 100 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("{e}"),
            }
        };
        let mut c = Client {
            io: BufReader::new(stream),
        };
        assert!(c.reply().await.starts_with("220 "));
        let ehlo = c.cmd(&format!("EHLO {SECRET_SENDER}")).await;
        assert!(ehlo.contains("STARTTLS"), "{ehlo}");
        assert!(c.cmd("STARTTLS").await.starts_with("220"));
        let mut roots = rustls::RootCertStore::empty();
        roots.add(w.root.der()).unwrap();
        let config = rustls::ClientConfig::builder_with_provider(starttls_check::provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_client_auth_cert(w.client.chain.clone(), w.client.key.clone_key())
            .unwrap();
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(
                ServerName::try_from(SECRET_RECEIVER).unwrap(),
                c.io.into_inner(),
            )
            .await
            .unwrap();
        let mut c = Client {
            io: BufReader::new(tls),
        };
        assert!(
            c.cmd(&format!("EHLO {SECRET_SENDER}"))
                .await
                .starts_with("250")
        );
        assert!(
            c.cmd("MAIL FROM:<ceo@contoso-secret.test>")
                .await
                .starts_with("250")
        );
        assert!(
            c.cmd("RCPT TO:<helpdesk.lead@contoso-secret.test>")
                .await
                .starts_with("451")
        );
        assert!(c.cmd("QUIT").await.starts_with("221"));
    });
    let out = child.wait_with_output().unwrap();
    common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The secrets of `w` that `text` shows.
fn listen_leaks(w: &SecretWorld, text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    LISTEN_SECRETS
        .iter()
        .map(|s| s.to_string())
        .chain(w.prints.iter().cloned())
        .filter(|s| lower.contains(&s.to_lowercase()))
        .collect()
}

/// The placeholder `prefix-N` that starts `s`.
#[track_caller]
fn placeholder_at(s: &str, prefix: &str) -> String {
    let n: String = s
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("no {prefix} placeholder at: {s}"))
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    assert!(!n.is_empty(), "no {prefix} placeholder at: {s}");
    format!("{prefix}{n}")
}

#[test]
fn listen_redact_hides_what_the_sender_and_the_listener_name_in_every_format() {
    let mut w = secret_world();
    // Without --redact, every secret shows, so that this test can fail.
    let plain = listen_run(&w, &["--format", "json"]);
    let serial = plain.json()["sessions"][0]["client_certificate"]["certificate"]["serial"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(serial.len() >= 8, "{serial}");
    w.prints.push(serial.clone());
    w.shown.push(serial);
    let shown = listen_leaks(&w, &format!("{}{}", plain.stdout, plain.stderr));
    for s in LISTEN_SECRETS
        .iter()
        .map(|s| s.to_string())
        .chain(w.shown.clone())
    {
        assert!(
            shown.contains(&s),
            "the run does not show {s}:\n{}",
            plain.stdout
        );
    }
    for format in ["json", "jsonl", "human", "markdown"] {
        let r = listen_run(&w, &["--format", format, "--redact"]);
        assert!(
            r.code == 0 || r.code == 1,
            "{format}: exit {}\n{}",
            r.code,
            r.stderr
        );
        for (stream, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
            let found = listen_leaks(&w, text);
            assert!(
                found.is_empty(),
                "--format {format}: --redact left {found:?} on {stream}:\n{text}"
            );
        }
        // The listening line names our address by its placeholder.
        let bound = r
            .stderr
            .split("listening on ")
            .nth(1)
            .unwrap_or_else(|| panic!("{}", r.stderr));
        let addr = placeholder_at(bound, "addr-");
        match format {
            "json" | "jsonl" => {
                let j = if format == "json" {
                    schema_check::assert_valid_text(&r.stdout, "listen --redact --format json")
                } else {
                    let lines =
                        schema_check::assert_valid_lines(&r.stdout, "listen --redact jsonl");
                    assert_eq!(lines.len(), 1);
                    lines.into_iter().next().unwrap()
                };
                let s = &j["sessions"][0];
                // 127.0.0.1 is one address: ours and the sender's.
                assert!(
                    j["listen"]["address"]
                        .as_str()
                        .unwrap()
                        .starts_with(&format!("{addr}:"))
                );
                assert!(
                    s["peer"].as_str().unwrap().starts_with(&format!("{addr}:")),
                    "{s}"
                );
                // mail.contoso-secret.test is one host: the EHLO names, the certificate's
                // name and --expect-name.
                let host = placeholder_at(s["greeting"]["name"].as_str().unwrap(), "host-");
                assert_eq!(s["greeting"]["name"], host.as_str());
                assert_eq!(s["greeting_after_tls"]["name"], host.as_str());
                assert_eq!(j["listen"]["expect_names"][0], host.as_str());
                let cert = &s["client_certificate"]["certificate"];
                assert_eq!(cert["dns_names"][0], host.as_str(), "{cert}");
                assert!(cert["sha256"].as_str().unwrap().starts_with("00:00:00:00"));
                assert!(cert["serial"].as_str().unwrap().starts_with("00000000"));
                assert!(
                    j["listen"]["certificate"]["sha256"]
                        .as_str()
                        .unwrap()
                        .starts_with("00:00:00:00")
                );
                // The envelope: the same domain, one user each.
                let from = s["mail_from"].as_str().unwrap();
                let to = s["rcpt_to"][0].as_str().unwrap();
                let (u1, d1) = from.split_once('@').unwrap();
                let (u2, d2) = to.split_once('@').unwrap();
                assert!(
                    u1.starts_with("user-") && u2.starts_with("user-") && u1 != u2,
                    "{s}"
                );
                assert!(d1 == d2 && d1.starts_with("domain-"), "{s}");
                // The transcript says what the fields say.
                let lines: Vec<&str> = s["transcript"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l["line"].as_str().unwrap())
                    .collect();
                assert!(
                    lines.contains(&format!("EHLO {host}").as_str()),
                    "{lines:?}"
                );
                assert!(
                    lines.contains(&format!("MAIL FROM:<{from}>").as_str()),
                    "{lines:?}"
                );
                assert!(j["invocation"].as_str().unwrap().contains(&host));
            }
            "human" => {
                let (live, summary) = r.stdout.split_once("\nListened on ").unwrap();
                let sender = live.split("Session 1 — sender ").nth(1).unwrap();
                assert!(sender.starts_with(&format!("{addr}:")), "{live}");
                let greeting = live.split("EHLO ").nth(1).unwrap();
                let host = placeholder_at(greeting, "host-");
                // The summary names the sender and its greeting as its live block did.
                let line = summary.split("#1 ").nth(1).unwrap();
                assert!(line.starts_with(&format!("{addr}:")), "{summary}");
                assert!(line.contains(&format!("EHLO {host},")), "{summary}");
                assert!(
                    summary.contains(&format!("expected      {host}")),
                    "{summary}"
                );
                assert!(live.contains("C: MAIL FROM:<user-"), "{live}");
            }
            _ => {
                let (live, summary) = r.stdout.split_once("\n### starttls-check listen").unwrap();
                let sender = live.split("#### Session 1 — sender ").nth(1).unwrap();
                assert!(sender.starts_with(&format!("{addr}:")), "{live}");
                assert!(summary.contains(&format!("| 1 | {addr}:")), "{summary}");
                let host = placeholder_at(live.split("EHLO ").nth(1).unwrap(), "host-");
                assert!(summary.contains(&format!("EHLO {host},")), "{summary}");
            }
        }
    }
}

/// `listen`, `explain` and `exchange-config` write no page, status line or metrics: asked for
/// one, each is a usage error on stderr (exit 3) with nothing on stdout, where a
/// `starttls_check_up 0` would read as a probe's result; listen's help names what it writes.
#[test]
fn a_probe_only_format_is_a_usage_error_with_nothing_on_stdout() {
    for format in ["html", "nagios", "prometheus"] {
        for args in [
            vec!["listen", "0", "--no-ptr", "--format", format],
            vec!["listen", "0", "--no-ptr", "--format", format, "--bogus"],
            vec!["explain", "--format", format, "454 4.7.0 TLS not available"],
            vec!["exchange-config", "--format", format, "/nonexistent.txt"],
            vec!["exchange-config", "--format", format, "--bogus"],
        ] {
            let r = common::run(&args);
            assert_eq!(r.code, 3, "{args:?}: {}", r.stderr);
            assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
            let named = if args.contains(&"--bogus") {
                "--bogus"
            } else {
                format
            };
            assert!(r.stderr.contains(named), "{args:?}: {}", r.stderr);
        }
    }
    let r = common::run(&["listen", "0", "--format", "prometheus"]);
    assert!(
        r.stderr
            .contains("[possible values: human, json, jsonl, markdown]"),
        "{}",
        r.stderr
    );
    let help = common::run(&["listen", "--help"]).stdout;
    assert!(
        help.contains("listen writes human, json, jsonl or markdown"),
        "{help}"
    );
    assert!(
        !help.contains("prometheus") && !help.contains("nagios"),
        "{help}"
    );
}

/// Runs the binary's `listen` on a free port with `extra`, says `lines` as a sender, and
/// returns every reply (banner first) and the binary's stderr.
fn converse_with_binary(extra: &[&str], lines: &[&str]) -> (String, String) {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port().to_string()
    };
    let mut args = vec!["listen", &port, "--once", "--no-ptr", "--duration", "20"];
    args.extend_from_slice(extra);
    let mut cmd = common::command(&args);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let replies = common::runtime().block_on(async {
        let mut tries = 0;
        let stream = loop {
            match TcpStream::connect(addr).await {
                Ok(s) => break s,
                Err(_) if tries < 200 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("{e}"),
            }
        };
        let mut c = Client {
            io: BufReader::new(stream),
        };
        let mut all = c.reply().await;
        for l in lines {
            all.push_str(&c.cmd(l).await);
        }
        all
    });
    let out = child.wait_with_output().unwrap();
    (replies, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// With --cert and no --hostname, the banner and the EHLO reply name the certificate's first
/// DNS name, not starttls-check.invalid; --hostname still wins; a wildcard is no greeting.
#[test]
fn the_greeting_names_the_first_dns_name_of_the_given_certificate() {
    let leaf = pki().healthy("mail.example.test", 90);
    let chain: String = leaf.chain.iter().map(|c| pem("CERTIFICATE", c)).collect();
    let key = pem("PRIVATE KEY", leaf.key.secret_der());
    let both = common::write_temp("greeting.pem", &format!("{chain}{key}"));
    let both = both.to_str().unwrap();
    let (replies, stderr) = converse_with_binary(&["--cert", both], &["EHLO s.test", "QUIT"]);
    assert!(
        replies.starts_with("220 mail.example.test ESMTP"),
        "{replies}\n{stderr}"
    );
    assert!(
        replies.contains("250-mail.example.test greets s.test"),
        "{replies}"
    );
    assert!(!replies.contains("starttls-check.invalid"), "{replies}");
    let (replies, _) = converse_with_binary(
        &["--cert", both, "--hostname", "other.example.test"],
        &["QUIT"],
    );
    assert!(
        replies.starts_with("220 other.example.test ESMTP"),
        "{replies}"
    );

    let ours = |names: &[&str]| listen::model::OurCertificate {
        subject: "CN=x".into(),
        dns_names: names.iter().map(|n| (*n).to_string()).collect(),
        sha256: String::new(),
        generated: false,
    };
    assert_eq!(
        listen::hostname_of(&ours(&["MX.Example.test.", "b.test"])).as_deref(),
        Some("mx.example.test")
    );
    assert_eq!(listen::hostname_of(&ours(&["*.example.test"])), None);
    assert_eq!(listen::hostname_of(&ours(&[])), None);
}

/// `--max-sessions 0` is refused (it used to serve one); `--duration` goes up to a day, for a
/// sender's retries, and no further.
#[test]
fn max_sessions_zero_is_refused_and_duration_goes_up_to_a_day() {
    let r = common::run(&["listen", "0", "--no-ptr", "--max-sessions", "0"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("0 is out of range (1-1000000)"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    let r = common::run(&["listen", "0", "--no-ptr", "--duration", "86401"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("out of range (0.05-86400 seconds)"),
        "{}",
        r.stderr
    );
    use clap::Parser;
    let cli = starttls_check::Cli::try_parse_from([
        "starttls-check",
        "listen",
        "0",
        "--duration",
        "86400",
    ]);
    assert!(cli.is_ok(), "{:?}", cli.err());
    // --session-timeout keeps the probe's bound.
    let r = common::run(&["listen", "0", "--no-ptr", "--session-timeout", "7200"]);
    assert!(
        r.stderr.contains("out of range (0.05-3600 seconds)"),
        "{}",
        r.stderr
    );
}

/// `--warn-days` sets when a sender's client certificate is about to expire: 40 days left
/// warns under `--warn-days 60`, not under the default 30.
#[test]
fn warn_days_sets_when_a_senders_certificate_is_about_to_expire() {
    let receiver = pki().healthy(RECEIVER, 90);
    let chain: String = receiver
        .chain
        .iter()
        .map(|c| pem("CERTIFICATE", c))
        .collect();
    let key = pem("PRIVATE KEY", receiver.key.secret_der());
    let cert_file = common::write_temp("warn-days-receiver.pem", &format!("{chain}{key}"));
    let mut spec = LeafSpec::valid_for("mail.sender.test", pki().now, 40);
    spec.client_auth_only = true;
    let sender = pki().chain(&spec);
    for (warn_days, warns) in [("60", true), ("30", false)] {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let mut cmd = common::command(&[
            "listen",
            &port.to_string(),
            "--once",
            "--no-ptr",
            "--duration",
            "20",
            "--cert",
            cert_file.to_str().unwrap(),
            "--format",
            "json",
            "--warn-days",
            warn_days,
        ]);
        cmd.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let child = cmd.spawn().unwrap();
        // Listening once our own bind of the port fails (a connect would use up --once).
        for _ in 0..200 {
            if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let (chain, key) = (sender.chain.clone(), sender.key.clone_key());
        common::runtime().block_on(async {
            let mut c = tls_client(addr, Some((chain, key))).await.unwrap();
            c.cmd("EHLO mail.sender.test").await;
            c.cmd("QUIT").await;
        });
        let out = child.wait_with_output().unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let codes: Vec<&str> = json["sessions"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        assert_eq!(
            codes.contains(&"sender-cert-expires-soon"),
            warns,
            "--warn-days {warn_days}: {codes:?}"
        );
    }
}
