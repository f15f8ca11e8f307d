//! The client handshake driven here, byte by byte, so what the server sent during it is kept.
//!
//! tokio-rustls hides the bytes it reads, and when a handshake fails it drops the connection
//! state with them: a report could then only repeat the library's one-line error, and could
//! not say that a ServerHello arrived before the server hung up, which message claimed an
//! impossible length, or what a port that is not TLS answered instead. Driving rustls's
//! `ClientConnection` here keeps the first [`HEARD_CAP`] bytes and the state; a handshake
//! that completes is handed to tokio-rustls (`connect_with` swaps the finished connection
//! in), so the caller gets the usual `TlsStream<S>`.
//!
//! # References
//! - RFC 8446 §5.1 / RFC 5246 §6.2 (records), §4 / §7.4 (handshake messages)

use std::io;

use rustls::ClientConnection;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The most bytes of the server's handshake kept: a ServerHello and the header of the next
/// message fit many times over, and a plaintext answer is shown in its first lines.
pub(crate) const HEARD_CAP: usize = 4096;

/// What the server sent during the handshake, and how far rustls got with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Heard {
    /// The first [`HEARD_CAP`] bytes received.
    pub bytes: Vec<u8>,
    /// Every byte received, counted.
    pub total: usize,
    /// The version and cipher suite of the ServerHello, when one was accepted.
    pub hello: Option<(rustls::ProtocolVersion, rustls::CipherSuite)>,
}

impl Heard {
    fn keep(&mut self, bytes: &[u8]) {
        self.total += bytes.len();
        let room = HEARD_CAP.saturating_sub(self.bytes.len());
        self.bytes
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    /// Reads the ServerHello's parameters once rustls has accepted one.
    fn note(&mut self, conn: &ClientConnection) {
        if let (Some(v), Some(s)) = (conn.protocol_version(), conn.negotiated_cipher_suite()) {
            self.hello = Some((v, s.suite()));
        }
    }
}

/// Sends what rustls has to send.
async fn flush<S: AsyncWrite + Unpin>(
    stream: &mut S,
    conn: &mut ClientConnection,
) -> io::Result<()> {
    while conn.wants_write() {
        let mut out = Vec::new();
        conn.write_tls(&mut out)?;
        stream.write_all(&out).await?;
    }
    stream.flush().await
}

/// Runs the handshake of `conn` over `stream` to its end, recording into `heard`. The errors
/// are those tokio-rustls gives (a rustls error as `InvalidData`, an end of stream as
/// `UnexpectedEof`), so they are classified alike; a fatal alert rustls queued is sent first.
pub(crate) async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    conn: &mut ClientConnection,
    heard: &mut Heard,
) -> io::Result<()> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        flush(stream, conn).await?;
        if !conn.is_handshaking() {
            return Ok(());
        }
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "tls handshake eof",
            ));
        }
        heard.keep(&buf[..n]);
        let mut rest = &buf[..n];
        while !rest.is_empty() {
            let took = conn.read_tls(&mut rest)?;
            let processed = conn.process_new_packets();
            heard.note(conn);
            if let Err(e) = processed {
                let _ = flush(stream, conn).await;
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
            if took == 0 {
                return Err(io::Error::other("the TLS library took no more bytes"));
            }
        }
    }
}
