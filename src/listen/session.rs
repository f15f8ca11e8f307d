//! One sender's session: the SMTP server side (RFC 5321 §4.1, RFC 3207), the ClientHello
//! peek and the handshake, recorded into a [`SenderSession`]. Never accepts mail: every RCPT
//! is refused, DATA and BDAT get 503, nothing is relayed or stored.

use std::sync::Arc;
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_rustls::server::TlsStream;

use super::model::{
    Greeting, ListenHandshakeError, ListenHandshakeFailure, NegotiatedIn, OfferedHello, Ptr,
    SenderSession, SessionEnd, StarttlsUse,
};
use super::{ListenConfig, Reject, hello, tls};
use crate::smtp::{Direction, Transcript, escape};

/// RFC 5321 §4.5.3.1.4: a command line is at most 512 octets, a text line 1000; we allow
/// 1000 (CRLF included) so that a long but honest MAIL with parameters still fits.
pub const MAX_LINE: usize = 1000;
/// Commands in one session before we close it: a sender that sends more is not delivering.
pub const MAX_COMMANDS: usize = 100;
/// Error replies in one session before we close it (RFC 5321 §4.1.4 lets a server close).
pub const MAX_ERRORS: usize = 10;
/// RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets, CRLF included.
const MAX_REPLY: usize = 510;
/// How long we wait for the ClientHello's first record to arrive whole.
const HELLO_WAIT: Duration = Duration::from_secs(5);

/// The replies to one command, and what it changes (`None`: the conversation goes on).
type Answer = (Vec<String>, Option<Step>);

/// What ended a conversation phase.
enum Step {
    /// STARTTLS accepted: hand the socket to TLS.
    StartTls,
    /// The session is over.
    End(SessionEnd),
}

/// The state of one session, and what it recorded.
struct Conv<'a> {
    cfg: &'a ListenConfig,
    rec: SenderSession,
    buf: Vec<u8>,
    commands: usize,
    errors: usize,
    tls: bool,
    in_mail: bool,
    /// The last step, for "disconnected after ...".
    last: &'static str,
    cancel: watch::Receiver<bool>,
}

/// Serves one accepted connection to its end; the run's end (`cancel` turning true) ends it
/// as [`SessionEnd::RunEnded`].
pub async fn serve(
    cfg: Arc<ListenConfig>,
    id: usize,
    stream: TcpStream,
    peer: std::net::SocketAddr,
    cancel: watch::Receiver<bool>,
) -> SenderSession {
    let start = Instant::now();
    let ptr_how = cfg.ptr.clone();
    let ptr = tokio::spawn(async move { super::ptr::lookup(&ptr_how, peer.ip()).await });
    let mut conv = Conv {
        cfg: &cfg,
        rec: SenderSession {
            id,
            peer,
            ptr: Ptr::Skipped("not looked up"),
            started_at: OffsetDateTime::now_utc(),
            duration: Duration::ZERO,
            greeting: None,
            starttls: StarttlsUse::NotUsed,
            pipelined_after_starttls: Vec::new(),
            client_hello: None,
            tls: None,
            handshake_error: None,
            client_chain: Vec::new(),
            client_trust: None,
            greeting_after_tls: None,
            mail_from: None,
            rcpt_to: Vec::new(),
            refused_with: None,
            end: SessionEnd::RunEnded,
            transcript: Transcript::new(start),
        },
        buf: Vec::new(),
        commands: 0,
        errors: 0,
        tls: false,
        in_mail: false,
        last: "connect",
        cancel,
    };
    conv.rec
        .transcript
        .push(Direction::Event, format!("connection from {peer}"));
    let end = conv.run(stream).await;
    conv.rec.end = end;
    conv.rec.duration = start.elapsed();
    // The run's end does not wait for a slow name server.
    let mut cancel = conv.cancel.clone();
    let abort = ptr.abort_handle();
    conv.rec.ptr = tokio::select! {
        r = ptr => r.unwrap_or_else(|e| Ptr::Failed(format!("lookup task failed: {e}"))),
        _ = cancel.wait_for(|c| *c) => {
            abort.abort();
            Ptr::Failed("the run ended before the lookup finished".into())
        }
    };
    conv.rec
}

impl Conv<'_> {
    async fn run(&mut self, mut stream: TcpStream) -> SessionEnd {
        let banner = format!("220 {} ESMTP starttls-check receiver", self.cfg.hostname);
        if let Err(e) = self.reply(&mut stream, &[banner]).await {
            return SessionEnd::Error(e);
        }
        match self.converse(&mut stream).await {
            Step::End(end) => end,
            Step::StartTls => self.start_tls(stream).await,
        }
    }

    /// RFC 3207 §4: after our 220 to STARTTLS the sender's next bytes must be a TLS
    /// handshake; once it is up the session starts over inside TLS. Until the handshake
    /// completes, STARTTLS counts as tried and failed.
    async fn start_tls(&mut self, stream: TcpStream) -> SessionEnd {
        self.last = "STARTTLS";
        self.rec.starttls = StarttlsUse::HandshakeFailed;
        let (mut tls_stream, recorder) = match self.handshake(stream).await {
            Ok(up) => up,
            Err(end) => return end,
        };
        self.established(tls_stream.get_ref().1, &recorder);
        match self.converse(&mut tls_stream).await {
            Step::End(end) => {
                let _ = tls_stream.shutdown().await;
                end
            }
            // converse never returns StartTls once TLS is up.
            Step::StartTls => SessionEnd::ProtocolError("STARTTLS inside TLS".into()),
        }
    }

    /// Runs the server side of the handshake, bounded by the session timeout and cut short
    /// by the run's end; the ClientHello is peeked first so that a failure can be explained
    /// by what the sender offered. Err is how the session ends.
    async fn handshake(
        &mut self,
        stream: TcpStream,
    ) -> Result<(TlsStream<TcpStream>, Arc<tls::Recorder>), SessionEnd> {
        let hello = self.peek_hello(&stream).await;
        let not_tls = matches!(hello, PeekResult::NotTls);
        if let PeekResult::Hello(h) = &hello {
            self.rec.client_hello = Some(h.clone());
        }
        let recorder = Arc::new(tls::Recorder::new(crate::tls::provider()));
        let config = match tls::server_config(&self.cfg.identity, recorder.clone()) {
            Ok(c) => c,
            Err(e) => return Err(SessionEnd::Error(format!("TLS configuration: {e}"))),
        };
        let timeout = self.cfg.session_timeout;
        let handshake = async {
            let acceptor =
                tokio_rustls::LazyConfigAcceptor::new(rustls::server::Acceptor::default(), stream);
            acceptor.await?.into_stream(config).await
        };
        let mut cancel = self.cancel.clone();
        let result = tokio::select! {
            r = tokio::time::timeout(timeout, handshake) => r,
            _ = cancel.wait_for(|c| *c) => return Err(SessionEnd::RunEnded),
        };
        match result {
            Ok(Ok(s)) => Ok((s, recorder)),
            Ok(Err(e)) => Err(self.handshake_failed(&e, not_tls, &recorder)),
            Err(_) => {
                self.rec.handshake_error = Some(ListenHandshakeError {
                    kind: ListenHandshakeFailure::Timeout,
                    reason: format!(
                        "the handshake did not finish within {}",
                        crate::text::seconds(timeout)
                    ),
                    detail: "timeout".into(),
                });
                Err(SessionEnd::Timeout {
                    after: "during the TLS handshake after STARTTLS".into(),
                })
            }
        }
    }

    /// Why the handshake failed: a sender whose first bytes after our 220 were not TLS at all
    /// is told apart from one whose handshake went wrong, which [`tls::classify`] explains
    /// from its ClientHello. Keeps whatever chain the sender presented before it failed.
    fn handshake_failed(
        &mut self,
        e: &std::io::Error,
        not_tls: bool,
        recorder: &tls::Recorder,
    ) -> SessionEnd {
        self.rec.client_chain = recorder.chain();
        let err = if not_tls {
            ListenHandshakeError {
                kind: ListenHandshakeFailure::NotTls,
                reason: "the sender did not start a TLS handshake after our 220".into(),
                detail: escape(e.to_string().as_bytes()),
            }
        } else {
            tls::classify(e, self.rec.client_hello.as_ref())
        };
        self.rec.transcript.push(
            Direction::Event,
            format!("TLS handshake failed: {}", err.reason),
        );
        self.rec.handshake_error = Some(err);
        SessionEnd::Disconnected {
            after: "TLS handshake failed".into(),
        }
    }

    /// Records what the handshake negotiated and the sender's chain, and resets the session
    /// as RFC 3207 §4.2 requires.
    fn established(&mut self, conn: &rustls::ServerConnection, recorder: &tls::Recorder) {
        let version = match conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => crate::tls::TlsVersion::Tls13,
            _ => crate::tls::TlsVersion::Tls12,
        };
        let negotiated = NegotiatedIn {
            version,
            cipher_suite: conn
                .negotiated_cipher_suite()
                .map_or_else(|| "unknown".to_string(), |s| format!("{:?}", s.suite())),
            key_exchange: conn
                .negotiated_key_exchange_group()
                .map(|g| format!("{:?}", g.name())),
        };
        self.rec.client_chain = recorder.chain();
        // Judged against the trust store when the session ends (`listen::judge_chain`).
        self.rec.transcript.push(
            Direction::Event,
            format!(
                "TLS established: {}, {}",
                negotiated.version.label(),
                negotiated.cipher_suite
            ),
        );
        self.rec.tls = Some(negotiated);
        self.rec.starttls = StarttlsUse::Used;
        // RFC 3207 §4.2: forget everything said before TLS.
        self.tls = true;
        self.in_mail = false;
        self.last = "TLS established";
    }

    /// Waits (bounded) until the first TLS record is whole in the socket's receive queue, and
    /// parses the ClientHello from it without consuming anything.
    async fn peek_hello(&self, stream: &TcpStream) -> PeekResult {
        let mut buf = vec![0u8; hello::MAX_PEEK];
        let deadline = tokio::time::Instant::now() + HELLO_WAIT.min(self.cfg.session_timeout);
        loop {
            let n = match tokio::time::timeout_at(deadline, stream.peek(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return PeekResult::Nothing,
                Ok(Ok(n)) => n,
                Err(_) => return PeekResult::Nothing,
            };
            match hello::peeked(&buf[..n]) {
                hello::Peeked::NotTls => return PeekResult::NotTls,
                hello::Peeked::Complete => {
                    return hello::parse(&buf[..n]).map_or(PeekResult::Nothing, PeekResult::Hello);
                }
                hello::Peeked::Need(_) if tokio::time::Instant::now() >= deadline => {
                    return hello::parse(&buf[..n]).map_or(PeekResult::Nothing, PeekResult::Hello);
                }
                // peek returns at once while bytes are queued: wait for more to arrive.
                hello::Peeked::Need(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    }

    /// Reads and answers commands until STARTTLS (before TLS) or the end.
    async fn converse<S: AsyncRead + AsyncWrite + Unpin>(&mut self, io: &mut S) -> Step {
        loop {
            let line = match self.read_line(io).await {
                Ok(l) => l,
                Err(end) => return Step::End(end),
            };
            self.commands += 1;
            let (replies, step) = self.answer(&line);
            if let Err(e) = self.reply(io, &replies).await {
                return Step::End(SessionEnd::Error(e));
            }
            if let Some(step) = step {
                return step;
            }
            if self.commands >= MAX_COMMANDS || self.errors >= MAX_ERRORS {
                let why = if self.errors >= MAX_ERRORS {
                    format!("{MAX_ERRORS} commands refused as errors")
                } else {
                    format!("{MAX_COMMANDS} commands")
                };
                let _ = self
                    .reply(
                        io,
                        &[format!("421 4.7.0 {} closing: {why}", self.cfg.hostname)],
                    )
                    .await;
                return Step::End(SessionEnd::ProtocolError(why));
            }
        }
    }

    /// One line without its CRLF; Err ends the session.
    async fn read_line<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        io: &mut S,
    ) -> Result<Vec<u8>, SessionEnd> {
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                if pos + 1 > MAX_LINE {
                    return Err(self.too_long(io).await);
                }
                let mut line: Vec<u8> = self.buf.drain(..=pos).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                self.rec.transcript.push(Direction::Received, line.clone());
                return Ok(line);
            }
            if self.buf.len() >= MAX_LINE {
                return Err(self.too_long(io).await);
            }
            let mut chunk = [0u8; 1024];
            let mut cancel = self.cancel.clone();
            let read = tokio::select! {
                r = tokio::time::timeout(self.cfg.session_timeout, io.read(&mut chunk)) => r,
                _ = cancel.wait_for(|c| *c) => return Err(SessionEnd::RunEnded),
            };
            match read {
                Err(_) => {
                    // RFC 5321 §4.5.3.2: a server may close after its timeout; a 421 tells the
                    // sender why rather than leaving it to find a dead connection.
                    let why = self.waiting_for();
                    self.rec.transcript.push(
                        Direction::Event,
                        format!(
                            "silent for {} ({why})",
                            crate::text::seconds(self.cfg.session_timeout)
                        ),
                    );
                    let bye = format!("421 4.4.2 {} timeout, closing", self.cfg.hostname);
                    let _ = self.reply(io, &[bye]).await;
                    return Err(SessionEnd::Timeout { after: why });
                }
                // A sender that closes TLS without close_notify (RFC 8446 §6.1) has still only
                // disconnected: rustls reports it as UnexpectedEof.
                Ok(Ok(0)) => {
                    self.rec
                        .transcript
                        .push(Direction::Event, "closed by the sender");
                    return Err(SessionEnd::Disconnected {
                        after: self.last.into(),
                    });
                }
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    self.rec.transcript.push(
                        Direction::Event,
                        "closed by the sender (without TLS close_notify)",
                    );
                    return Err(SessionEnd::Disconnected {
                        after: self.last.into(),
                    });
                }
                Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
                Ok(Err(e)) => return Err(SessionEnd::Error(escape(e.to_string().as_bytes()))),
            }
        }
    }

    /// RFC 5321 §4.5.3.1.4 / §4.2.2: 500 for a line too long, then close (what follows the
    /// limit cannot be told apart from the next command).
    async fn too_long<S: AsyncWrite + Unpin>(&mut self, io: &mut S) -> SessionEnd {
        self.rec.transcript.push(
            Direction::Event,
            format!(
                "a line over {MAX_LINE} octets (first 80: {})",
                escape(&self.buf[..self.buf.len().min(80)])
            ),
        );
        let _ = self
            .reply(io, &["500 5.5.6 Line too long".to_string()])
            .await;
        SessionEnd::ProtocolError(format!("sent a line over {MAX_LINE} octets"))
    }

    /// What we were waiting for when the sender went silent: the connection was made, so a
    /// silence before the greeting is "waiting for EHLO/HELO", not a connect timeout.
    fn waiting_for(&self) -> String {
        match self.last {
            "connect" => "waiting for EHLO/HELO".into(),
            "TLS established" => "waiting for EHLO/HELO after TLS".into(),
            step => format!("after {step}"),
        }
    }

    /// The replies to one command line, and what it changes.
    fn answer(&mut self, line: &[u8]) -> Answer {
        let text = String::from_utf8_lossy(line);
        let (verb, arg) = match text.split_once(' ') {
            Some((v, a)) => (v.to_ascii_uppercase(), a.trim().to_string()),
            None => (text.trim().to_ascii_uppercase(), String::new()),
        };
        match verb.as_str() {
            "EHLO" | "HELO" => self.greet(&verb, &arg),
            "STARTTLS" => self.starttls(&arg),
            "MAIL" => self.mail(&arg),
            "RCPT" => self.rcpt(&arg),
            "DATA" | "BDAT" => {
                self.errors += 1;
                self.last = "DATA refused";
                one("503 5.5.1 No valid recipients: no mail is accepted here")
            }
            "RSET" => {
                self.in_mail = false;
                one("250 2.0.0 OK")
            }
            "NOOP" => one("250 2.0.0 OK"),
            "QUIT" => (
                vec![format!("221 2.0.0 {} closing", self.cfg.hostname)],
                Some(Step::End(SessionEnd::Quit)),
            ),
            "VRFY" => one("252 2.5.0 Cannot VRFY"),
            "EXPN" | "AUTH" => {
                self.errors += 1;
                one("502 5.5.1 Not implemented")
            }
            "HELP" => one("214 2.0.0 starttls-check receiver: records senders, accepts no mail"),
            _ => {
                self.errors += 1;
                one("502 5.5.2 Command not recognized")
            }
        }
    }

    /// EHLO or HELO (RFC 5321 §4.1.1.1): records the first greeting before and after TLS,
    /// ends any mail transaction, and offers STARTTLS in clear text only.
    fn greet(&mut self, verb: &str, arg: &str) -> Answer {
        if arg.is_empty() {
            self.errors += 1;
            return one("501 5.5.4 Syntax: EHLO or HELO needs a host name");
        }
        let greeting = Greeting {
            verb: if verb == "EHLO" { "EHLO" } else { "HELO" },
            name: escape(arg.as_bytes()),
        };
        if self.tls {
            self.rec.greeting_after_tls.get_or_insert(greeting);
        } else {
            self.rec.greeting.get_or_insert(greeting);
        }
        self.last = if verb == "EHLO" { "EHLO" } else { "HELO" };
        self.in_mail = false;
        let host = &self.cfg.hostname;
        if verb == "HELO" {
            return one(&format!("250 {host}"));
        }
        // No PIPELINING: a sender that pipelines across STARTTLS anyway is the finding.
        let mut r = vec![
            format!("250-{host} greets {}", short(&escape(arg.as_bytes()))),
            "250-8BITMIME".into(),
            "250-ENHANCEDSTATUSCODES".into(),
        ];
        if !self.tls {
            r.push("250-STARTTLS".into());
        }
        r.push("250 SIZE 10485760".into());
        (r, None)
    }

    /// STARTTLS (RFC 3207 §4): refused once TLS is up or with a parameter, else 220 and the
    /// hand-over to TLS.
    fn starttls(&mut self, arg: &str) -> Answer {
        if self.tls {
            self.errors += 1;
            return one("503 5.5.1 TLS is already active");
        }
        if !arg.is_empty() {
            self.errors += 1;
            return one("501 5.5.4 Syntax: STARTTLS takes no parameters");
        }
        // RFC 3207 §4: what the sender sent after STARTTLS before our 220 was sent in
        // clear text and must not be executed after TLS: kept as evidence, discarded.
        if !self.buf.is_empty() {
            self.rec.pipelined_after_starttls = std::mem::take(&mut self.buf);
            self.rec.transcript.push(
                Direction::Event,
                format!(
                    "{} octets pipelined after STARTTLS discarded",
                    self.rec.pipelined_after_starttls.len()
                ),
            );
        }
        (
            vec!["220 2.0.0 Ready to start TLS".into()],
            Some(Step::StartTls),
        )
    }

    /// MAIL FROM (RFC 5321 §4.1.1.2): records the envelope sender and opens a transaction.
    fn mail(&mut self, arg: &str) -> Answer {
        let Some(addr) = param(arg, "FROM:") else {
            self.errors += 1;
            return one("501 5.5.4 Syntax: MAIL FROM:<address>");
        };
        // Accepted with or without TLS, so that the envelope sender is recorded in both
        // cases; the refusal comes at RCPT, where its text carries the result.
        self.rec.mail_from.get_or_insert(escape(addr.as_bytes()));
        self.in_mail = true;
        self.last = "MAIL";
        one("250 2.1.0 Sender recorded")
    }

    /// RCPT TO (RFC 5321 §4.1.1.3): records the recipient and refuses it, the refusal's text
    /// carrying the session's result (see [`Conv::refusal`]).
    fn rcpt(&mut self, arg: &str) -> Answer {
        if !self.in_mail {
            self.errors += 1;
            return one("503 5.5.1 MAIL first");
        }
        let Some(addr) = param(arg, "TO:") else {
            self.errors += 1;
            return one("501 5.5.4 Syntax: RCPT TO:<address>");
        };
        if self.rec.rcpt_to.len() < MAX_COMMANDS {
            self.rec.rcpt_to.push(escape(addr.as_bytes()));
        }
        self.last = "RCPT refused";
        let refusal = self.refusal();
        self.rec.refused_with.get_or_insert(refusal.clone());
        one(&refusal)
    }

    /// The RCPT refusal, carrying the one-line result so that the sender's queue shows it
    /// (Exchange `Get-Queue` LastError, Postfix `mailq`).
    fn refusal(&self) -> String {
        let code = match self.cfg.reject {
            Reject::Temporary => "451 4.7.0",
            Reject::Permanent => "550 5.7.0",
        };
        let mut result = match &self.rec.tls {
            Some(t) => format!("{}, {}", t.version.label(), t.cipher_suite),
            None => "no STARTTLS (plain text)".into(),
        };
        if self.rec.tls.is_some() {
            match self.rec.client_chain.first().map(|d| leaf_cn(d)) {
                Some(cn) => result.push_str(&format!(", client certificate {cn} presented")),
                None => result.push_str(", no client certificate"),
            }
        }
        let line = format!("{code} starttls-check receiver: {result}; no mail is accepted here");
        short(&line)
    }

    /// Writes reply lines (each cut to 512 octets) and records them.
    async fn reply<S: AsyncWrite + Unpin>(
        &mut self,
        io: &mut S,
        lines: &[String],
    ) -> Result<(), String> {
        let mut out = Vec::new();
        for l in lines {
            let l = short(l);
            self.rec.transcript.push(Direction::Sent, l.clone());
            out.extend_from_slice(l.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        let write = async {
            io.write_all(&out).await?;
            io.flush().await
        };
        match tokio::time::timeout(self.cfg.session_timeout, write).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(escape(e.to_string().as_bytes())),
            Err(_) => Err("writing a reply timed out".into()),
        }
    }
}

/// A one-line reply that changes nothing.
fn one(s: &str) -> Answer {
    (vec![s.to_string()], None)
}

enum PeekResult {
    Hello(OfferedHello),
    NotTls,
    Nothing,
}

/// `FROM:<a@b> SIZE=1` → `a@b`; `None` without the keyword.
fn param(arg: &str, keyword: &str) -> Option<String> {
    let head = arg.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = arg[keyword.len()..].trim_start();
    let addr = match rest.strip_prefix('<') {
        Some(r) => &r[..path_end(r)],
        None => rest.split(' ').next().unwrap_or_default(),
    };
    Some(addr.to_string())
}

/// Where a path after `<` ends: at the first `>` outside a quoted local part (RFC 5321
/// §4.1.2: `"<b>"@example.com` is one address, with a backslash quoting the next
/// character inside the quotes); the whole text when no `>` closes it.
fn path_end(r: &str) -> usize {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in r.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '>' if !quoted => return i,
            _ => {}
        }
    }
    r.len()
}

/// The subject CN of a DER certificate (escaped), `CN=?` when it has none.
fn leaf_cn(der: &[u8]) -> String {
    x509_parser::parse_x509_certificate(der)
        .ok()
        .and_then(|(_, c)| {
            c.subject().iter_common_name().next().and_then(|cn| {
                cn.as_str()
                    .ok()
                    .map(|s| format!("CN={}", escape(s.as_bytes())))
            })
        })
        .unwrap_or_else(|| "without a CN".into())
}

/// Cut to the reply limit, on a character boundary, in ASCII only (RFC 5321 §4.5.3.1.5).
fn short(s: &str) -> String {
    let ascii: String = s
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '?'
            }
        })
        .collect();
    ascii.chars().take(MAX_REPLY).collect()
}

#[cfg(test)]
mod tests {
    use super::param;

    #[test]
    fn a_quoted_local_part_keeps_its_angle_brackets() {
        // New-user trial: `RCPT TO:<"<b>"@y>` was recorded as `"<b`.
        assert_eq!(param("TO:<\"<b>\"@y>", "TO:").as_deref(), Some("\"<b>\"@y"));
        assert_eq!(
            param("TO:<\"a\\\"> b\"@y> NOTIFY=NEVER", "TO:").as_deref(),
            Some("\"a\\\"> b\"@y")
        );
    }

    #[test]
    fn plain_paths_and_parameters() {
        assert_eq!(
            param("FROM:<a@b.test> SIZE=10", "FROM:").as_deref(),
            Some("a@b.test")
        );
        assert_eq!(param("from: <>", "FROM:").as_deref(), Some(""));
        assert_eq!(param("FROM:a@b.test", "FROM:").as_deref(), Some("a@b.test"));
        assert_eq!(
            param("FROM:<a@b.test", "FROM:").as_deref(),
            Some("a@b.test")
        );
        assert_eq!(param("TO:<a@b.test>", "FROM:"), None);
    }
}
