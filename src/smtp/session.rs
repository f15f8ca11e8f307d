//! An SMTP client session over any stream, with a deadline on every step.
//!
//! The session is generic over the stream so the same code runs over TCP, over TLS, and over
//! in-memory pipes in tests. [`Session::into_parts`] hands the stream back for the STARTTLS
//! upgrade, which makes it impossible to send another plaintext command after the upgrade.
//!
//! The session never pipelines: it sends one command and reads its reply. So any byte that is
//! already waiting when a command is about to go out was sent unasked, and a `220` where a
//! command's answer was due is a greeting repeated: it belongs to something else. Both are
//! recorded as [`Unsolicited`] (RFC 5321 §4.2, §4.3.2): a server that sends an extra reply
//! shifts every answer after it by one, and the probe must say so instead of judging the wrong
//! reply. Any other odd code (`299` to EHLO, `250` to QUIT) is one reply with a wrong code:
//! the command's own answer, judged as such, never a desync.

use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

use super::reply::{Pending, Reply, ReplyError, read_reply_into};
use super::transcript::{Direction, Transcript};

/// The most unsolicited bytes drained (and kept as evidence) before one command. Enough for
/// a few stray replies; a peer streaming more is cut here and the rest is left unread.
pub const MAX_UNSOLICITED: usize = 4096;

/// How long the session waits for the real answer after a reply that cannot answer the
/// command: a server out of step by one reply sends it at once, and a server that truly
/// answered with the wrong code should not cost a whole step timeout.
pub const RESYNC_WAIT: Duration = Duration::from_millis(1500);

/// How long a one-line reply to QUIT that cannot answer it waits for a reply behind it (the
/// real `221`): the verdict is known by then, so the wait is short.
const QUIT_FOLLOW_WAIT: Duration = Duration::from_millis(500);

/// Bytes the server sent that answered nothing the probe asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsolicited {
    /// The command being sent (or answered) when they were seen: `EHLO`, `QUIT`.
    pub command: String,
    /// What was wrong: already waiting before the command was sent, or a reply code that
    /// cannot answer it.
    pub how: UnsolicitedHow,
    /// The bytes, raw (at most [`MAX_UNSOLICITED`]).
    pub bytes: Vec<u8>,
}

/// How the session knew the bytes were not an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsolicitedHow {
    /// They were waiting before the command was sent.
    BeforeCommand,
    /// A greeting (`220`) where the command's answer was due (RFC 5321 §4.3.2).
    WrongCode,
}

/// A reply `code` that, where it cannot answer `verb`, is plausibly someone else's reply: a
/// `220` is a greeting (repeated, or a proxy's), so the real answer may follow. Any other
/// code that cannot answer is that command's answer with a wrong code, not an extra reply.
fn is_foreign(verb: &str, code: u16) -> bool {
    code == 220 && !can_answer(verb, code)
}

/// Whether a reply `code` can answer `verb` (RFC 5321 §4.3.2; RFC 3207 §4 for STARTTLS): any
/// 4xx/5xx can, a positive reply only the one the command is answered with. The probe never
/// sends DATA or AUTH, so 1xx and 3xx answer nothing it sends.
pub fn can_answer(verb: &str, code: u16) -> bool {
    if (400..600).contains(&code) {
        return true;
    }
    match verb.to_ascii_uppercase().as_str() {
        "EHLO" | "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => code == 250,
        "STARTTLS" => code == 220,
        "QUIT" => code == 221,
        _ => (200..300).contains(&code),
    }
}

/// Why a session step failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// No complete reply within the step's deadline.
    #[error("no reply within {}{}", crate::text::seconds(*.waited), if *.overall { " (the overall deadline)" } else { "" })]
    Timeout {
        /// How long we waited.
        waited: Duration,
        /// The run's overall deadline, not the step's own timeout, cut it short.
        overall: bool,
        /// What had arrived of the reply when time ran out (no line end, or lines of a reply
        /// never finished), raw: evidence of what the server did.
        partial: Vec<u8>,
    },
    /// The reply could not be read.
    #[error(transparent)]
    Reply(#[from] ReplyError),
    /// Writing the command failed.
    #[error("sending failed: {0}")]
    Write(std::io::Error),
}

/// A plaintext or TLS SMTP session.
#[derive(Debug)]
pub struct Session<S> {
    io: BufReader<S>,
    /// Everything sent and received so far.
    pub transcript: Transcript,
    step_timeout: Duration,
    deadline: Instant,
    /// The reply being read: outlives a step's timeout (see [`Pending`]).
    pending: Pending,
    /// Replies and bytes that answered nothing asked, in order.
    pub unsolicited: Vec<Unsolicited>,
    /// How long the last command's returned reply took to arrive, from the command sent to
    /// that reply complete: never the session's own [`RESYNC_WAIT`] after it.
    answered_in: Option<Duration>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Session<S> {
    /// Wraps a connected stream. Each step waits at most `step_timeout`, and never past
    /// `deadline`.
    pub fn new(
        stream: S,
        transcript: Transcript,
        step_timeout: Duration,
        deadline: Instant,
    ) -> Self {
        Session {
            io: BufReader::new(stream),
            transcript,
            step_timeout,
            deadline,
            pending: Pending::default(),
            unsolicited: Vec::new(),
            answered_in: None,
        }
    }

    fn budget(&self) -> (Duration, bool) {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left < self.step_timeout {
            (left, true)
        } else {
            (self.step_timeout, false)
        }
    }

    /// Reads one reply (the banner, or the answer to a command already sent). On a timeout,
    /// what arrived of the reply goes into the transcript and the error.
    pub async fn read_reply(&mut self) -> Result<Reply, SessionError> {
        let (budget, overall) = self.budget();
        let started = Instant::now();
        let read = read_reply_into(&mut self.io, &mut self.transcript, &mut self.pending);
        match tokio::time::timeout(budget, read).await {
            Ok(r) => Ok(r?),
            Err(_) => {
                let partial = self.pending.received();
                self.pending.clear();
                if partial.is_empty() {
                    self.transcript
                        .push(Direction::Event, "timed out waiting for a reply");
                } else {
                    // Complete lines are in the transcript already; the unfinished one is not.
                    self.transcript.push(
                        Direction::Event,
                        format!(
                            "timed out waiting for the rest of a reply ({} bytes received, no complete reply)",
                            partial.len()
                        ),
                    );
                    self.transcript.push(Direction::Received, partial.clone());
                }
                Err(SessionError::Timeout {
                    waited: started.elapsed(),
                    overall,
                    partial,
                })
            }
        }
    }

    /// What arrived of a reply that could not be completed (the line over the limit, the
    /// lines before a hang-up), raw; emptied by the next read.
    pub fn unfinished(&self) -> Vec<u8> {
        self.pending.received()
    }

    /// Takes whatever the server has already sent, unasked, before `verb` goes out: the
    /// session never pipelines, so every such byte is unsolicited. Returns at once. A read
    /// error already waiting (a TLS alert, a reset) is the session's end and is returned:
    /// dropped, the command would only meet it as a vaguer failure.
    async fn drain_unsolicited(&mut self, verb: &str) -> std::io::Result<()> {
        let mut bytes = Vec::new();
        while bytes.len() < MAX_UNSOLICITED {
            // One poll: data already here is taken, none is waited for. (Not a zero timeout:
            // tokio's timer fires on its next millisecond tick, which cost every command up
            // to a millisecond and doubled a whole check's time on loopback.) The read
            // registers its waker again at the next real await, so nothing is lost.
            let ready = futures_util::FutureExt::now_or_never(self.io.fill_buf());
            let available = match ready {
                Some(Ok(available)) => available,
                Some(Err(e)) => {
                    self.record_unsolicited(verb, bytes);
                    return Err(e);
                }
                None => break,
            };
            if available.is_empty() {
                break;
            }
            let n = available.len().min(MAX_UNSOLICITED - bytes.len());
            bytes.extend_from_slice(&available[..n]);
            self.io.consume(n);
        }
        self.record_unsolicited(verb, bytes);
        Ok(())
    }

    fn record_unsolicited(&mut self, verb: &str, bytes: Vec<u8>) {
        if bytes.is_empty() {
            return;
        }
        self.transcript.push(
            Direction::Event,
            format!(
                "{} bytes were waiting before {verb}, unasked: the server is a reply ahead",
                bytes.len()
            ),
        );
        self.transcript.push(Direction::Received, bytes.clone());
        self.unsolicited.push(Unsolicited {
            command: verb.to_string(),
            how: UnsolicitedHow::BeforeCommand,
            bytes,
        });
    }

    /// How long the reply last returned by [`Session::command`] took, from the command sent
    /// to that reply complete (a greeting-like reply the resync gave up on counts as
    /// answered when it came, not after the wait).
    pub fn answered_in(&self) -> Option<Duration> {
        self.answered_in
    }

    /// Sends one command line and reads its reply. Bytes already waiting are drained and
    /// recorded first; a `220` where the answer was due is recorded, and the real answer is
    /// waited for briefly ([`RESYNC_WAIT`]) before the `220` is returned.
    pub async fn command(&mut self, line: &str) -> Result<Reply, SessionError> {
        self.answered_in = None;
        let verb = line.split(' ').next().unwrap_or_default().to_string();
        self.drain_unsolicited(&verb)
            .await
            .map_err(|e| SessionError::Reply(ReplyError::Io(e)))?;
        self.transcript.push(Direction::Sent, line);
        let (budget, overall) = self.budget();
        let mut wire = Vec::with_capacity(line.len() + 2);
        wire.extend_from_slice(line.as_bytes());
        wire.extend_from_slice(b"\r\n");
        let io = self.io.get_mut();
        let write = async {
            io.write_all(&wire).await?;
            io.flush().await
        };
        match tokio::time::timeout(budget, write).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(SessionError::Write(e)),
            Err(_) => {
                return Err(SessionError::Timeout {
                    waited: budget,
                    overall,
                    partial: Vec::new(),
                });
            }
        }
        let sent = Instant::now();
        let reply = self.read_reply().await?;
        self.answered_in = Some(sent.elapsed());
        if !is_foreign(&verb, reply.code) {
            return Ok(reply);
        }
        let reply = self.resync(&verb, reply).await;
        if reply.code != 220 {
            // The real answer came: its wait is from the command to it.
            self.answered_in = Some(sent.elapsed());
        }
        Ok(reply)
    }

    /// `odd` cannot answer `verb`: records it, and returns the next reply if one comes within
    /// [`RESYNC_WAIT`] (the real answer of a server one reply ahead), else `odd`.
    async fn resync(&mut self, verb: &str, odd: Reply) -> Reply {
        self.transcript.push(
            Direction::Event,
            format!(
                "a {} reply cannot answer {verb}: waiting briefly for the real answer",
                odd.code
            ),
        );
        self.unsolicited.push(Unsolicited {
            command: verb.to_string(),
            how: UnsolicitedHow::WrongCode,
            bytes: odd.raw(),
        });
        let wait = RESYNC_WAIT.min(self.budget().0);
        let read = read_reply_into(&mut self.io, &mut self.transcript, &mut self.pending);
        match tokio::time::timeout(wait, read).await {
            Ok(Ok(next)) => next,
            _ => {
                // Nothing complete came: the odd reply is the answer after all. What arrived
                // of a next reply is recorded and dropped here: left pending, it would be
                // taken as the start of the next command's answer.
                let partial = self.pending.received();
                self.pending.clear();
                if !partial.is_empty() {
                    self.transcript.push(
                        Direction::Event,
                        format!(
                            "gave up waiting for the real answer to {verb}: {} bytes of an unfinished reply dropped",
                            partial.len()
                        ),
                    );
                    self.transcript.push(Direction::Received, partial.clone());
                    self.unsolicited.push(Unsolicited {
                        command: verb.to_string(),
                        how: UnsolicitedHow::BeforeCommand,
                        bytes: partial,
                    });
                }
                odd
            }
        }
    }

    /// Says QUIT and closes, politely but without waiting long: the verdict is already known.
    pub async fn quit(self) -> Transcript {
        self.finish().await.0
    }

    /// [`Session::quit`], also giving back what the server sent unasked during the session
    /// (a reply still due surfaces here, as the answer to QUIT).
    pub async fn finish(mut self) -> (Transcript, Vec<Unsolicited>) {
        self.step_timeout = self.step_timeout.min(Duration::from_secs(2));
        if let Ok(reply) = self.command("QUIT").await
            && !can_answer("QUIT", reply.code)
        {
            self.late_reply_at_quit(reply).await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), self.io.get_mut().shutdown()).await;
        (self.transcript, self.unsolicited)
    }

    /// `reply` came after QUIT but cannot answer it (RFC 5321 §4.3.2: QUIT is answered 221).
    /// It is a reply the server still owed (a server one reply ahead whose late answer had
    /// not arrived when QUIT was sent) when it is multi-line, which no QUIT answer is, or when
    /// another reply follows it; a lone one-line `250 bye` is only a sloppy QUIT answer.
    async fn late_reply_at_quit(&mut self, reply: Reply) {
        let proven = reply.lines.len() > 1 || {
            let wait = QUIT_FOLLOW_WAIT.min(self.budget().0);
            let read = read_reply_into(&mut self.io, &mut self.transcript, &mut self.pending);
            matches!(tokio::time::timeout(wait, read).await, Ok(Ok(_)))
        };
        if proven {
            self.unsolicited.push(Unsolicited {
                command: "QUIT".to_string(),
                how: UnsolicitedHow::WrongCode,
                bytes: reply.raw(),
            });
        }
    }

    /// Gives the stream back for a TLS upgrade, with any bytes the server sent after the last
    /// reply (after a STARTTLS `220` these are an injection sign: CVE-2011-0411).
    pub fn into_parts(self) -> (S, Vec<u8>, Transcript) {
        let leftover = self.io.buffer().to_vec();
        (self.io.into_inner(), leftover, self.transcript)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, duplex};

    #[tokio::test]
    async fn command_is_crlf_terminated_and_reply_read() {
        let (client, mut server) = duplex(1024);
        let mut s = Session::new(
            client,
            Transcript::new(Instant::now()),
            Duration::from_secs(5),
            Instant::now() + Duration::from_secs(5),
        );
        let srv = tokio::spawn(async move {
            let mut buf = [0u8; 64];
            let n = server.read(&mut buf).await.unwrap();
            server.write_all(b"250 ok\r\nEXTRA").await.unwrap();
            buf[..n].to_vec()
        });
        let reply = s.command("NOOP").await.unwrap();
        assert_eq!(reply.code, 250);
        assert_eq!(srv.await.unwrap(), b"NOOP\r\n");
        // Bytes that follow a reply stay in the buffer and are reported on upgrade.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let (_, leftover, t) = s.into_parts();
        assert!(leftover.is_empty() || leftover == b"EXTRA");
        assert_eq!(t.entries.len(), 2);
    }

    fn session(
        client: tokio::io::DuplexStream,
        step: Duration,
    ) -> Session<tokio::io::DuplexStream> {
        Session::new(
            client,
            Transcript::new(Instant::now()),
            step,
            Instant::now() + Duration::from_secs(5),
        )
    }

    /// The timeout drops the reading future; what the server sent survives it.
    #[tokio::test]
    async fn a_timeout_keeps_what_arrived_of_the_reply() {
        let (client, mut server) = duplex(1024);
        let mut s = session(client, Duration::from_millis(100));
        server
            .write_all(b"250-first\r\n250 no line end")
            .await
            .unwrap();
        match s.read_reply().await {
            Err(SessionError::Timeout { partial, .. }) => {
                assert_eq!(partial, b"250-first\r\n250 no line end");
            }
            other => panic!("{other:?}"),
        }
        let last = s.transcript.entries.last().unwrap();
        assert_eq!(last.bytes, b"250-first\r\n250 no line end");
    }

    /// Bytes waiting before a command are unsolicited; a reply that cannot answer the
    /// command is recorded and the next one taken.
    #[tokio::test]
    async fn unsolicited_bytes_and_wrong_codes_are_recorded() {
        let (client, mut server) = duplex(1024);
        let mut s = session(client, Duration::from_secs(2));
        server.write_all(b"220 extra\r\n").await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let srv = tokio::spawn(async move {
            let mut buf = [0u8; 64];
            let _ = server.read(&mut buf).await.unwrap();
            server
                .write_all(b"220 again\r\n250 mx STARTTLS\r\n")
                .await
                .unwrap();
            server
        });
        let r = s.command("EHLO probe.test").await.unwrap();
        assert_eq!(r.code, 250);
        assert_eq!(s.unsolicited.len(), 2, "{:?}", s.unsolicited);
        assert_eq!(s.unsolicited[0].how, UnsolicitedHow::BeforeCommand);
        assert_eq!(s.unsolicited[0].bytes, b"220 extra\r\n");
        assert_eq!(s.unsolicited[1].how, UnsolicitedHow::WrongCode);
        assert_eq!(s.unsolicited[1].bytes, b"220 again\r\n");
        drop(srv.await.unwrap());
    }

    /// Sends QUIT to a server that answers it with `answer` once it has read the QUIT line
    /// (so nothing is waiting before QUIT: the late reply can only surface as its answer).
    async fn quit_answered_with(answer: &'static [u8]) -> Vec<Unsolicited> {
        let (client, mut server) = duplex(1024);
        let s = session(client, Duration::from_secs(2));
        let srv = tokio::spawn(async move {
            let mut got = Vec::new();
            let mut buf = [0u8; 64];
            while !got.ends_with(b"QUIT\r\n") {
                let n = server.read(&mut buf).await.unwrap();
                got.extend_from_slice(&buf[..n]);
            }
            server.write_all(answer).await.unwrap();
            server
        });
        let (_, unsolicited) = s.finish().await;
        drop(srv.await.unwrap());
        unsolicited
    }

    /// A late EHLO reply that arrives only after QUIT was sent is the answer QUIT gets: it
    /// is recorded as out of turn, whether the `221` follows it or not (CI lost this race
    /// under load and reported STARTTLS missing instead of the desync).
    #[tokio::test]
    async fn a_late_reply_taken_for_the_quit_answer_is_out_of_turn() {
        let late = quit_answered_with(b"250-mx.example.test\r\n250 STARTTLS\r\n").await;
        assert_eq!(late.len(), 1, "{late:?}");
        assert_eq!(late[0].command, "QUIT");
        assert_eq!(late[0].how, UnsolicitedHow::WrongCode);
        assert_eq!(late[0].bytes, b"250-mx.example.test\r\n250 STARTTLS\r\n");
        let late = quit_answered_with(b"250 mx.example.test\r\n221 bye\r\n").await;
        assert_eq!(late.len(), 1, "{late:?}");
        assert_eq!(late[0].bytes, b"250 mx.example.test\r\n");
    }

    /// A lone one-line 250 to QUIT is a sloppy server, not a desync; a 221 is the answer.
    #[tokio::test]
    async fn a_lone_250_or_a_221_to_quit_is_not_out_of_turn() {
        assert!(quit_answered_with(b"250 bye\r\n").await.is_empty());
        assert!(quit_answered_with(b"221 bye\r\n").await.is_empty());
    }

    /// A stream whose every read fails, as a TLS stream does once an alert has arrived.
    struct Broken;

    impl AsyncRead for Broken {
        fn poll_read(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            _: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Err(std::io::Error::other("received fatal alert")))
        }
    }

    impl AsyncWrite for Broken {
        fn poll_write(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            std::task::Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn poll_shutdown(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    }

    /// An error already waiting before a command is returned, the command never sent.
    #[tokio::test]
    async fn an_error_waiting_before_a_command_is_returned() {
        let mut s = Session::new(
            Broken,
            Transcript::new(Instant::now()),
            Duration::from_secs(1),
            Instant::now() + Duration::from_secs(1),
        );
        match s.command("EHLO probe.test").await {
            Err(SessionError::Reply(ReplyError::Io(e))) => {
                assert!(e.to_string().contains("fatal alert"), "{e}");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            s.transcript.entries.is_empty(),
            "{:?}",
            s.transcript.entries
        );
    }

    #[test]
    fn which_codes_answer_which_command() {
        assert!(can_answer("EHLO", 250) && can_answer("EHLO", 550) && can_answer("QUIT", 221));
        assert!(!can_answer("EHLO", 220) && !can_answer("QUIT", 250));
        assert!(can_answer("STARTTLS", 454) && !can_answer("STARTTLS", 250));
    }

    #[tokio::test]
    async fn silent_server_times_out_at_the_overall_deadline() {
        let (client, _server) = duplex(64);
        let mut s = Session::new(
            client,
            Transcript::new(Instant::now()),
            Duration::from_secs(30),
            Instant::now() + Duration::from_millis(50),
        );
        match s.read_reply().await {
            Err(SessionError::Timeout { overall, .. }) => assert!(overall),
            other => panic!("{other:?}"),
        }
    }
}
