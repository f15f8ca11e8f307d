//! Receiver mode (`listen`): a minimal SMTP server that offers STARTTLS, records what each
//! sender offers and presents, and never accepts mail.
//!
//! # References
//! - RFC 5321 §4.1 (commands and replies), §4.5.3 (limits and timeouts)
//! - RFC 3207 (STARTTLS; §4.2 the state discarded after TLS, §5 pipelined commands)
//! - RFC 8446 §4.1.2 (ClientHello), §4.3.2 (CertificateRequest), §4.4.2 (client Certificate)

pub mod hello;
pub mod identity;
pub mod model;
pub mod ptr;
mod session;
pub mod tls;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use identity::Identity;
use model::{ListenRun, RunEnd, SenderSession};

pub use session::{MAX_COMMANDS, MAX_ERRORS, MAX_LINE};

/// Sessions served at once; one more is answered `421` and closed (RFC 5321 §3.8).
pub const MAX_CONCURRENT: usize = 32;

/// How RCPT is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reject {
    /// `451 4.7.0`: the sender keeps the message and retries.
    Temporary,
    /// `550 5.7.0`: the sender bounces at once.
    Permanent,
}

/// Everything a run needs.
#[derive(Debug)]
pub struct ListenConfig {
    /// The name in our banner and EHLO reply.
    pub hostname: String,
    /// The certificate offered after STARTTLS.
    pub identity: Identity,
    /// `--expect-name`, carried into the run for the rules.
    pub expect_names: Vec<String>,
    /// How RCPT is refused.
    pub reject: Reject,
    /// Per command (and per handshake).
    pub session_timeout: Duration,
    /// The whole run.
    pub duration: Duration,
    /// Stop after the first session ends.
    pub once: bool,
    /// Stop after this many sessions.
    pub max_sessions: usize,
    /// Sessions at once.
    pub max_concurrent: usize,
    /// Reverse lookups.
    pub ptr: ptr::PtrLookup,
    /// `--public` was given.
    pub public: bool,
    /// `--ca-file`: roots, besides the system's, that senders' certificates are judged
    /// against (as a receiver judges a client certificate).
    pub ca_files: Vec<std::path::PathBuf>,
    /// Trust the system's roots too (not with `--no-system-roots`).
    pub system_roots: bool,
    /// `--warn-days`: a sender's client certificate with fewer days left is a WARN.
    pub warn_days: i64,
}

/// Why the listener could not start.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    /// The address argument is not `PORT`, `ADDR:PORT` or `[IPv6]:PORT`.
    #[error("{0:?} is not PORT, ADDR:PORT or [IPv6]:PORT")]
    Address(String),
    /// A non-loopback address without `--public`.
    #[error(
        "refusing to listen on {0}: it is not a loopback address, so anyone who can reach it \
         could connect; add --public to listen there anyway, or listen on 127.0.0.1"
    )]
    NotPublic(SocketAddr),
    /// Binding failed.
    #[error("cannot listen on {addr}: {reason}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why, with what to do.
        reason: String,
    },
    /// `--ca-file` could not be used.
    #[error(transparent)]
    Trust(#[from] crate::tls::TrustError),
    /// Our certificate could not be read or made.
    #[error("certificate {source_name}: {reason}")]
    Certificate {
        /// The file, or what was being made.
        source_name: String,
        /// Why.
        reason: String,
    },
}

/// Judges the chain a sender presented as a receiver judges a client certificate (path to a
/// trusted root, clientAuth usage; dates apart), on a blocking thread: the first check may
/// wait for the system's roots to load.
async fn judge_chain(trust: &crate::tls::TrustStore, s: &mut SenderSession) {
    if s.client_chain.is_empty() {
        return;
    }
    let (trust, chain) = (trust.clone(), s.client_chain.clone());
    let now = rustls::pki_types::UnixTime::now();
    s.client_trust = tokio::task::spawn_blocking(move || trust.check_client(&chain, now))
        .await
        .ok();
}

/// `PORT` → `127.0.0.1:PORT`; `ADDR:PORT`; `[IPv6]:PORT`.
pub fn parse_address(s: &str) -> Result<SocketAddr, ListenError> {
    if let Ok(port) = s.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    s.parse::<SocketAddr>()
        .map_err(|_| ListenError::Address(crate::smtp::escape(s.as_bytes())))
}

/// Refuses a non-loopback address without `--public`, before anything is bound.
pub fn check_public(addr: SocketAddr, public: bool) -> Result<(), ListenError> {
    if addr.ip().is_loopback() || public {
        Ok(())
    } else {
        Err(ListenError::NotPublic(addr))
    }
}

/// Binds `addr` (inside a tokio runtime); a failure says what to do about it.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, ListenError> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| ListenError::Bind {
            addr,
            reason: bind_advice(addr, &e),
        })
}

/// What a bind error means and what to do.
pub fn bind_advice(addr: SocketAddr, e: &std::io::Error) -> String {
    let port = addr.port();
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => {
            if cfg!(windows) {
                // Windows needs no privilege for a low port: access denied there means
                // another program bound it exclusively.
                return format!(
                    "permission denied: another program holds the port exclusively (for port \
                     25 usually Exchange's transport service or IIS SMTP). See who: \
                     Get-NetTCPConnection -LocalPort {port} -State Listen; or listen on a \
                     high port, e.g. 2525, and forward {port} to it: netsh interface portproxy \
                     add v4tov4 listenport={port} connectaddress=127.0.0.1 connectport=2525 ({e})"
                );
            }
            // A PREROUTING redirect rewrites the destination to the address the packet came
            // in on, so it reaches a listener on 0.0.0.0, never one on 127.0.0.1; and a
            // connection made on this machine skips PREROUTING (the OUTPUT chain has it).
            format!(
                "permission denied. Ports below 1024 need root or the CAP_NET_BIND_SERVICE \
                 capability: sudo setcap cap_net_bind_service=+ep \"$(command -v starttls-check)\". \
                 Or listen on a high port of every address and redirect {port} to it: \
                 starttls-check listen 0.0.0.0:2525 --public, then \
                 sudo nft add table ip nat; \
                 sudo nft 'add chain ip nat prerouting {{ type nat hook prerouting priority -100; }}'; \
                 sudo nft add rule ip nat prerouting tcp dport {port} redirect to :2525 \
                 (iptables: sudo iptables -t nat -A PREROUTING -p tcp --dport {port} -j REDIRECT \
                 --to-ports 2525; for a sender on this machine itself, the same in the OUTPUT \
                 chain: sudo iptables -t nat -A OUTPUT -o lo -p tcp --dport {port} -j REDIRECT \
                 --to-ports 2525) ({e})"
            )
        }
        std::io::ErrorKind::AddrInUse => {
            let who = if port == 25 || port == 587 {
                "usually the local mail server (Postfix, Exim, Sendmail; on Windows Exchange's \
                 transport service or IIS SMTP)"
            } else {
                "another program, or another starttls-check listen"
            };
            format!(
                "the address is already in use, {who}. See who holds it: \
                 sudo ss -ltnp 'sport = :{port}' (Windows: Get-NetTCPConnection -LocalPort \
                 {port} -State Listen); or choose another port ({e})"
            )
        }
        std::io::ErrorKind::AddrNotAvailable => {
            format!("this machine has no such address (it is not on any interface): {e}")
        }
        _ => crate::smtp::escape(e.to_string().as_bytes()),
    }
}

/// Serves senders on `listener` until `--once`, `--max-sessions`, `--duration` or
/// `shutdown` (Ctrl-C); `on_session` sees each session as it ends. Sessions still open at the
/// end are ended and recorded as [`model::SessionEnd::RunEnded`].
pub async fn serve(
    listener: TcpListener,
    config: Arc<ListenConfig>,
    shutdown: impl std::future::Future<Output = ()>,
    mut on_session: impl FnMut(&SenderSession),
) -> Result<ListenRun, ListenError> {
    let bound = listener.local_addr().map_err(|e| ListenError::Bind {
        addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        reason: e.to_string(),
    })?;
    // The roots are read now (a bad --ca-file fails the start), the system's on a thread.
    let trust = crate::tls::TrustStore::load(&config.ca_files, config.system_roots)?;
    let started_at = OffsetDateTime::now_utc();
    let deadline = tokio::time::Instant::now() + config.duration;
    let (cancel_tx, cancel_rx) = watch::channel(false);
    let mut tasks: JoinSet<SenderSession> = JoinSet::new();
    let mut sessions = Vec::new();
    let mut accepted = 0usize;
    // Accepting stops at --once / --max-sessions; the run then waits for open sessions.
    let mut accepting = true;
    tokio::pin!(shutdown);
    let ended = loop {
        if !accepting && tasks.is_empty() {
            break if config.once {
                RunEnd::Once
            } else {
                RunEnd::MaxSessions
            };
        }
        tokio::select! {
            () = &mut shutdown => break RunEnd::Interrupted,
            () = tokio::time::sleep_until(deadline) => break RunEnd::Duration,
            Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                if let Ok(s) = done {
                    on_session(&s);
                    sessions.push(s);
                }
            }
            conn = listener.accept(), if accepting => {
                let Ok((mut stream, peer)) = conn else {
                    // Out of file descriptors or a connection reset before accept: do not
                    // spin; the next accept may succeed.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                if tasks.len() >= config.max_concurrent {
                    // RFC 5321 §3.8: a server may refuse a connection with 421.
                    let _ = tokio::time::timeout(Duration::from_secs(2), async {
                        let _ = stream.write_all(b"421 4.3.2 too many connections, try later\r\n").await;
                        let _ = stream.shutdown().await;
                    }).await;
                    continue;
                }
                accepted += 1;
                let fut = session::serve(config.clone(), accepted, stream, peer, cancel_rx.clone());
                let trust = trust.clone();
                tasks.spawn(async move {
                    let mut s = fut.await;
                    judge_chain(&trust, &mut s).await;
                    s
                });
                if config.once || accepted >= config.max_sessions {
                    accepting = false;
                }
            }
        }
    };
    // End the open sessions: each records RunEnded and returns what it saw.
    let _ = cancel_tx.send(true);
    while let Some(done) = tasks.join_next().await {
        if let Ok(s) = done {
            on_session(&s);
            sessions.push(s);
        }
    }
    sessions.sort_by_key(|s| s.id);
    Ok(ListenRun {
        bound,
        public: config.public,
        certificate: config.identity.certificate.clone(),
        expect_names: config.expect_names.clone(),
        warn_days: config.warn_days,
        started_at,
        ended,
        sessions,
    })
}

/// The name in our greeting: this machine's name when it is a usable FQDN, else
/// `starttls-check.invalid` (RFC 2606 §2: a name that can never exist).
pub fn default_hostname() -> String {
    hostname::get()
        .ok()
        .and_then(|n| n.into_string().ok())
        .map(|s| s.trim().trim_end_matches('.').to_ascii_lowercase())
        .filter(|s| s.contains('.') && is_host_name(s))
        .unwrap_or_else(|| "starttls-check.invalid".into())
}

/// The name in our greeting when `--cert` is given and `--hostname` is not: the
/// certificate's first DNS name, when it is a host name (not a wildcard, not an address), so
/// that the banner and EHLO reply name what the certificate covers.
pub fn hostname_of(certificate: &model::OurCertificate) -> Option<String> {
    let first = certificate.dns_names.first()?;
    let name = first.trim_end_matches('.').to_ascii_lowercase();
    (is_host_name(&name) && name.parse::<IpAddr>().is_err()).then_some(name)
}

/// A host name safe for our greeting, a certificate and a pasted command: LDH labels of 1 to
/// 63 octets, 253 in all (RFC 1123 §2.1).
pub fn is_host_name(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}
