//! A scripted HTTP/1.x server on loopback, described as data: the tests (and the demo) serve
//! MTA-STS policies over https, and CRLs and CA Issuers certificates over http, from it.
//!
//! Each path maps to a canned [`Response`], sent as written: a test can serve a redirect, a
//! wrong Content-Type, chunked encoding, a body larger than any cap, or a server that accepts
//! and never answers ([`Response::Silent`]). Every request line is recorded, so a test can
//! prove what was (and was not) fetched.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// What the server does for one path.
#[derive(Debug, Clone)]
pub enum Response {
    /// These bytes, exactly: a status line, headers and body (see [`Response::ok`]).
    Raw(Vec<u8>),
    /// Read the request, then never answer (the connection stays open until the client
    /// gives up).
    Silent,
    /// These bytes, then a pause of this long between each of `times` further copies of
    /// the last chunk: a server that dribbles its body.
    Dribble(Vec<u8>, Vec<u8>, Duration, usize),
}

impl Response {
    /// `200 OK` with this Content-Type, a Content-Length and `body`.
    pub fn ok(content_type: &str, body: &[u8]) -> Response {
        Response::status(200, "OK", &[("Content-Type", content_type)], body)
    }

    /// A response with this status, these header fields (a Content-Length is added), and
    /// `body`.
    pub fn status(code: u16, reason: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
        let mut out = format!("HTTP/1.1 {code} {reason}\r\n").into_bytes();
        for (name, value) in headers {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
        out.extend_from_slice(b"Connection: close\r\n\r\n");
        out.extend_from_slice(body);
        Response::Raw(out)
    }

    /// A redirect to `location` (`301`, `302`, `307`…).
    pub fn redirect(code: u16, location: &str) -> Response {
        Response::status(code, "Moved", &[("Location", location)], b"")
    }
}

/// A running scripted HTTP server; it stops when dropped.
#[derive(Debug)]
pub struct HttpServer {
    /// Where it listens.
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The most bytes of a request head read before answering (a GET has no body).
const REQUEST_CAP: usize = 16 * 1024;

impl HttpServer {
    /// Serves `routes` (path → response; any other path gets 404) on `ip`, port `port` (0
    /// picks a free one), over TLS with `tls` when given.
    pub async fn start(
        routes: Vec<(String, Response)>,
        tls: Option<Arc<ServerConfig>>,
        ip: IpAddr,
        port: u16,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind((ip, port)).await?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = requests.clone();
        let routes: Arc<HashMap<String, Response>> = Arc::new(routes.into_iter().collect());
        let acceptor = tls.map(TlsAcceptor::from);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                let (routes, log, acceptor) = (routes.clone(), log.clone(), acceptor.clone());
                tokio::spawn(async move {
                    match acceptor {
                        Some(a) => {
                            if let Ok(tls) = a.accept(stream).await {
                                let _ = serve(tls, &routes, &log).await;
                            }
                        }
                        None => {
                            let _ = serve(stream, &routes, &log).await;
                        }
                    }
                });
            }
        });
        Ok(HttpServer {
            addr,
            requests,
            task,
        })
    }

    /// Every request head received so far, one string each (the request line and headers,
    /// CRLF-joined).
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    routes: &HashMap<String, Response>,
    log: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < REQUEST_CAP {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let path = text
        .lines()
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("")
        .to_string();
    if let Ok(mut l) = log.lock() {
        l.push(text.trim_end().to_string());
    }
    let not_found = Response::status(404, "Not Found", &[("Content-Type", "text/plain")], b"");
    match routes.get(&path).unwrap_or(&not_found) {
        Response::Raw(bytes) => stream.write_all(bytes).await?,
        Response::Silent => {
            std::future::pending::<()>().await;
        }
        Response::Dribble(first, chunk, pause, times) => {
            stream.write_all(first).await?;
            stream.flush().await?;
            for _ in 0..*times {
                tokio::time::sleep(*pause).await;
                stream.write_all(chunk).await?;
                stream.flush().await?;
            }
        }
    }
    stream.flush().await?;
    stream.shutdown().await
}
