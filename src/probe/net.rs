//! The probe's TCP connection: Nagle's algorithm off, and on Linux every segment the server
//! sends acknowledged as soon as the probe reads it.
//!
//! # Why the prompt ACK
//! After a TLS 1.3 handshake the server sends its session ticket(s) (RFC 8446 §4.6.1), and
//! then, in a second write, its reply to our EHLO. A server that leaves Nagle's algorithm on
//! (Postfix 3.7's smtpd does, on its SMTP sockets) holds that second, small write until the
//! ticket is acknowledged (RFC 896; RFC 1122 §4.2.3.4). The probe has nothing to send while
//! it waits for the reply, so its kernel delays the ACK (RFC 1122 §4.2.3.2): 40 ms on Linux
//! (`TCP_DELACK_MIN`, HZ/25), after which the reply is released. Whether a run stalls depends on a
//! race of microseconds: if the ticket arrives before our EHLO leaves, the EHLO carries the
//! ACK and nothing waits (slower clients such as `posttls-finger` win this race by being
//! slow). Traces and figures: BENCHMARKS.md.
//!
//! Linux's `TCP_QUICKACK` leaves the delayed-ACK ("ping-pong") mode our own write entered;
//! with it off, a read that drains a small segment sends its ACK at once
//! (`tcp_cleanup_rbuf`). The option is not sticky (the next write re-enters the mode), so it
//! is set again before every read: one `setsockopt` per read, about a microsecond. Other
//! systems keep their default. `socket2` is the maintained safe wrapper tokio itself uses.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A connected TCP stream with `TCP_NODELAY`, which acknowledges what it reads at once.
#[derive(Debug)]
pub struct Tcp {
    stream: TcpStream,
    heard: Heard,
    connected: Instant,
}

/// Whether the server has sent a single byte on a connection, readable from elsewhere
/// (`mode.rs` starts a check beside a connection that stays silent).
#[derive(Debug, Clone, Default)]
pub struct Heard(Arc<AtomicBool>);

impl Heard {
    /// Whether anything at all arrived.
    pub fn anything(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn set(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

impl Tcp {
    /// Connects, and turns Nagle's algorithm off on our side (each SMTP command is one
    /// small write that must leave at once).
    pub async fn connect(addr: SocketAddr) -> io::Result<Tcp> {
        let stream = TcpStream::connect(addr).await?;
        let _ = stream.set_nodelay(true);
        Ok(Tcp {
            stream,
            heard: Heard::default(),
            connected: Instant::now(),
        })
    }

    /// When the connection was made: a server's greeting delay counts from here, not from
    /// when our task got round to reading (on a loaded machine that can be milliseconds
    /// later, and the wait would read shorter than the server's own delay).
    pub fn connected_at(&self) -> Instant {
        self.connected
    }

    /// Tells, later and from elsewhere, whether the server has sent anything.
    pub fn heard(&self) -> Heard {
        self.heard.clone()
    }

    /// Our side's address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.stream.local_addr()
    }

    /// Reads what is already in the socket, without waiting.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.ack_promptly();
        let n = self.stream.try_read(buf)?;
        if n > 0 {
            self.heard.set();
        }
        Ok(n)
    }

    /// See the module documentation. A failure only costs the delay it avoids.
    fn ack_promptly(&self) {
        #[cfg(target_os = "linux")]
        {
            let _ = socket2::SockRef::from(&self.stream).set_tcp_quickack(true);
        }
    }
}

impl AsyncRead for Tcp {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.ack_promptly();
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.heard.set();
        }
        polled
    }
}

impl AsyncWrite for Tcp {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    // rustls hands a flight of records over as several buffers; forwarding the vectored
    // write keeps them in one segment, as without the wrapper.
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::net::Ipv4Addr;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// Our write right after a read puts the socket in delayed-ACK mode; a read through
    /// [`Tcp`] leaves it (what `getsockopt(TCP_QUICKACK)` reports), a plain read does not.
    #[tokio::test]
    async fn a_read_leaves_delayed_ack_mode_that_our_write_entered() {
        let l = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .unwrap();
        let addr = l.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut line = [0u8; 64];
            s.write_all(b"220 ready\r\n").await.unwrap();
            while s.read(&mut line).await.unwrap() > 0 {
                s.write_all(b"250 ok\r\n").await.unwrap();
            }
        });
        let quickack = |t: &TcpStream| socket2::SockRef::from(t).tcp_quickack().unwrap();
        let mut buf = [0u8; 64];

        let mut tcp = Tcp::connect(addr).await.unwrap();
        // Plain reads first: the control. Some kernels enter the mode only after a few
        // such exchanges (TCP_PINGPONG_THRESH).
        let _ = tcp.stream.read(&mut buf).await.unwrap();
        for _ in 0..4 {
            tcp.write_all(b"NOOP\r\n").await.unwrap();
            let _ = tcp.stream.read(&mut buf).await.unwrap();
        }
        assert!(
            !quickack(&tcp.stream),
            "after a reply to our write, Linux delays ACKs (the control)"
        );
        // The same exchange through the wrapper.
        tcp.write_all(b"NOOP\r\n").await.unwrap();
        let _ = tcp.read(&mut buf).await.unwrap();
        assert!(
            quickack(&tcp.stream),
            "a read through Tcp acknowledges at once"
        );
        drop(tcp);
        server.await.unwrap();
    }
}
