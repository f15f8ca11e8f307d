//! An SMTP client session over any stream, with a deadline on every step.
//!
//! The session is generic over the stream so the same code runs over TCP, over TLS, and over
//! in-memory pipes in tests. [`Session::into_parts`] hands the stream back for the STARTTLS
//! upgrade, which makes it impossible to send another plaintext command after the upgrade.

use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

use super::reply::{Reply, ReplyError, read_reply};
use super::transcript::{Direction, Transcript};

/// Why a session step failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// No complete reply within the step's deadline.
    #[error("no reply within {}s{}", .waited.as_secs_f32(), if *.overall { " (the overall deadline)" } else { "" })]
    Timeout {
        /// How long we waited.
        waited: Duration,
        /// The run's overall deadline, not the step's own timeout, cut it short.
        overall: bool,
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

    /// Reads one reply (the banner, or the answer to a command already sent).
    pub async fn read_reply(&mut self) -> Result<Reply, SessionError> {
        let (budget, overall) = self.budget();
        let started = Instant::now();
        match tokio::time::timeout(budget, read_reply(&mut self.io, &mut self.transcript)).await {
            Ok(r) => Ok(r?),
            Err(_) => {
                self.transcript
                    .push(Direction::Event, "timed out waiting for a reply");
                Err(SessionError::Timeout {
                    waited: started.elapsed(),
                    overall,
                })
            }
        }
    }

    /// Sends one command line and reads its reply.
    pub async fn command(&mut self, line: &str) -> Result<Reply, SessionError> {
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
                });
            }
        }
        self.read_reply().await
    }

    /// Says QUIT and closes, politely but without waiting long: the verdict is already known.
    pub async fn quit(mut self) -> Transcript {
        self.step_timeout = self.step_timeout.min(Duration::from_secs(2));
        let _ = self.command("QUIT").await;
        let _ = tokio::time::timeout(Duration::from_secs(1), self.io.get_mut().shutdown()).await;
        self.transcript
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
