//! A recording adapter for the stream handed to the TLS handshake after STARTTLS: it keeps the
//! first bytes the server sent, so that plaintext injected after the `220` (CVE-2011-0411
//! class) is recognised whatever its timing. Bytes already in the socket when the handshake
//! starts are caught before it (`run_starttls`); bytes that arrive a moment later are read by
//! the TLS library, which only says "not TLS". With the bytes in hand the probe can tell
//! injected text from a TLS record (an alert included) by their first five bytes.
//!
//! # References
//! - RFC 3207 §4.2 (nothing learned before TLS may be trusted), CVE-2011-0411
//! - RFC 8446 §5.1, RFC 5246 §6.2.1 (the TLS record header)

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The most bytes of the server's side of the handshake kept. The decision needs the first
/// five (a record header); the rest is evidence, as much as a report shows of injected text.
pub const WATCH_CAP: usize = 512;

/// A stream that copies the first [`WATCH_CAP`] bytes read through it.
#[derive(Debug)]
pub struct Watch<S> {
    inner: S,
    seen: Arc<Mutex<Vec<u8>>>,
}

/// The handle that outlives the stream (the handshake drops it when it fails).
#[derive(Debug, Clone, Default)]
pub struct Seen(Arc<Mutex<Vec<u8>>>);

impl Seen {
    /// The first bytes read so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

impl<S> Watch<S> {
    /// Wraps `inner`; the returned [`Seen`] reads what went through.
    pub fn new(inner: S) -> (Self, Seen) {
        let seen = Seen::default();
        (
            Watch {
                inner,
                seen: seen.0.clone(),
            },
            seen,
        )
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watch<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled
            && let Ok(mut seen) = self.seen.lock()
        {
            let new = &buf.filled()[before..];
            let room = WATCH_CAP.saturating_sub(seen.len());
            seen.extend_from_slice(&new[..new.len().min(room)]);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watch<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt, duplex};

    #[tokio::test]
    async fn keeps_the_first_bytes_read_and_no_more() {
        let (a, mut b) = duplex(4096);
        let (mut w, seen) = Watch::new(a);
        let big = vec![b'x'; WATCH_CAP + 100];
        b.write_all(b"250 injected\r\n").await.unwrap();
        b.write_all(&big).await.unwrap();
        drop(b);
        let mut all = Vec::new();
        w.read_to_end(&mut all).await.unwrap();
        assert_eq!(all.len(), 14 + WATCH_CAP + 100);
        let s = seen.bytes();
        assert_eq!(s.len(), WATCH_CAP);
        assert!(s.starts_with(b"250 injected\r\n"));
    }
}
