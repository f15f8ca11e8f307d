//! Reads a sender's ClientHello from the bytes peeked off the socket, before rustls sees
//! them: rustls 0.23 has no accessor for the offered versions, and it rejects a TLS 1.0-only
//! hello before exposing anything, yet "the sender offered only TLS 1.0" is the finding.
//!
//! The parser never panics and never reads past its input: every length is checked, and a
//! hello cut short (a record split over several reads, a hostile length) yields what was read
//! with `truncated` set.
//!
//! # References
//! - RFC 8446 §5.1 (record layer), §4.1.2 (ClientHello), §4.2 (extensions)
//! - RFC 5246 §7.4.1.2 (TLS 1.2 ClientHello), RFC 6066 §3 (server_name), RFC 7301 (ALPN)
//! - RFC 8701 (GREASE values, dropped here)

use super::model::OfferedHello;

/// The most we peek: a record header plus the largest record (RFC 8446 §5.1, 2^14 octets).
pub const MAX_PEEK: usize = 5 + 16384;

/// A record-layer content type: handshake (RFC 8446 §5.1).
const HANDSHAKE: u8 = 22;

/// What the first bytes say about what is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peeked {
    /// Not a TLS handshake record (first byte not 22): the sender did not start TLS.
    NotTls,
    /// Need this many bytes in all before the first record is complete.
    Need(usize),
    /// The first record is complete.
    Complete,
}

/// How many bytes of `buf` are needed for the first record (header + fragment).
pub fn peeked(buf: &[u8]) -> Peeked {
    match buf {
        [] => Peeked::Need(5),
        [t, ..] if *t != HANDSHAKE => Peeked::NotTls,
        [_, _, _, hi, lo, ..] => {
            let need = 5 + (usize::from(*hi) << 8 | usize::from(*lo));
            if buf.len() >= need.min(MAX_PEEK) {
                Peeked::Complete
            } else {
                Peeked::Need(need.min(MAX_PEEK))
            }
        }
        _ => Peeked::Need(5),
    }
}

/// GREASE values (RFC 8701 §2): 0x?A?A with both bytes equal.
fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff
}

/// A bounds-checked reader.
struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn u8(&mut self) -> Option<u8> {
        let (&b, rest) = self.buf.split_first()?;
        self.buf = rest;
        Some(b)
    }
    fn u16(&mut self) -> Option<u16> {
        let b = self.take(2)?;
        Some(u16::from(b[0]) << 8 | u16::from(b[1]))
    }
    fn u24(&mut self) -> Option<usize> {
        let b = self.take(3)?;
        Some(usize::from(b[0]) << 16 | usize::from(b[1]) << 8 | usize::from(b[2]))
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.buf.len() < n {
            return None;
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Some(head)
    }
    /// A vector with a `width`-octet length prefix; `None` when the length runs past the end.
    fn vec(&mut self, width: usize) -> Option<Reader<'a>> {
        let len = match width {
            1 => usize::from(self.u8()?),
            _ => usize::from(self.u16()?),
        };
        self.take(len).map(|buf| Reader { buf })
    }
    fn u16s(mut self) -> Vec<u16> {
        let mut out = Vec::new();
        while let Some(v) = self.u16() {
            if !is_grease(v) {
                out.push(v);
            }
        }
        out
    }
}

/// Parses the ClientHello in the first record of `buf` (bytes from the socket, record header
/// first). `None` when the bytes are not a TLS handshake record holding a ClientHello.
pub fn parse(buf: &[u8]) -> Option<OfferedHello> {
    let mut rec = Reader { buf };
    if rec.u8()? != HANDSHAKE {
        return None;
    }
    let record_version = rec.u16()?;
    let len = usize::from(rec.u16()?);
    // A record cut short by the peek: read what is there.
    let fragment = &rec.buf[..len.min(rec.buf.len())];
    let mut truncated = fragment.len() < len;
    let mut hs = Reader { buf: fragment };
    // Handshake type 1: client_hello (RFC 8446 §4).
    if hs.u8()? != 1 {
        return None;
    }
    let mut hello = OfferedHello {
        legacy_version: record_version,
        ..OfferedHello::default()
    };
    let body_len = hs.u24().unwrap_or(0);
    if hs.buf.len() < body_len {
        truncated = true;
    }
    let mut body = Reader {
        buf: &hs.buf[..body_len.min(hs.buf.len())],
    };
    let done = fill(&mut body, &mut hello);
    hello.truncated = truncated || done.is_none();
    Some(hello)
}

/// Reads the hello's fields into `hello`; `None` where the body ended early.
fn fill(body: &mut Reader<'_>, hello: &mut OfferedHello) -> Option<()> {
    hello.legacy_version = body.u16()?;
    body.take(32)?; // random
    body.vec(1)?; // legacy_session_id
    hello.cipher_suites = body.vec(2)?.u16s();
    body.vec(1)?; // legacy_compression_methods
    if body.buf.is_empty() {
        // No extensions at all: a TLS 1.0-era hello (RFC 5246 §7.4.1.2 allows it).
        return Some(());
    }
    let mut exts = body.vec(2)?;
    while !exts.buf.is_empty() {
        let kind = exts.u16()?;
        let mut data = exts.vec(2)?;
        match kind {
            // server_name (RFC 6066 §3): a list of (type, name); host_name is type 0.
            0 => {
                let mut list = data.vec(2)?;
                while !list.buf.is_empty() {
                    let t = list.u8()?;
                    let name = list.vec(2)?;
                    if t == 0 && hello.sni.is_none() {
                        hello.sni = Some(crate::smtp::escape(name.buf));
                    }
                }
            }
            // supported_groups (RFC 8446 §4.2.7)
            10 => hello.groups = data.vec(2)?.u16s(),
            // signature_algorithms (RFC 8446 §4.2.3)
            13 => hello.signature_schemes = data.vec(2)?.u16s(),
            // ALPN (RFC 7301 §3.1)
            16 => {
                let mut list = data.vec(2)?;
                while !list.buf.is_empty() {
                    hello.alpn.push(crate::smtp::escape(list.vec(1)?.buf));
                }
            }
            // supported_versions (RFC 8446 §4.2.1), a one-octet length in the ClientHello
            43 => hello.supported_versions = data.vec(1)?.u16s(),
            _ => {}
        }
    }
    Some(())
}

/// The IANA name of a cipher suite (`TLS_RSA_WITH_AES_128_CBC_SHA`), from rustls's table, else
/// the probe's table of legacy suites, else `suite 0x....`.
pub fn suite_name(v: u16) -> String {
    rustls::CipherSuite::from(v)
        .as_str()
        .map_or_else(|| crate::tls::legacy::cipher_name(v), str::to_string)
}

/// The IANA name of a named group (`X25519`), else `0x....`.
pub fn group_name(v: u16) -> String {
    rustls::NamedGroup::from(v)
        .as_str()
        .map_or_else(|| format!("0x{v:04x}"), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A TLS 1.0-only ClientHello as `openssl s_client -tls1` sends it, trimmed: record
    /// version 0x0301, hello version 0x0301, CBC suites, no supported_versions.
    pub(crate) fn tls10_hello() -> Vec<u8> {
        let mut body = vec![0x03, 0x01];
        body.extend([7u8; 32]);
        body.push(0); // session id
        body.extend([0x00, 0x04, 0x00, 0x2f, 0x00, 0x35]); // AES128-SHA, AES256-SHA
        body.extend([0x01, 0x00]); // compression: null
        // extensions: server_name "mx.test"
        let name = b"mx.test";
        let mut sni = vec![0x00, 0x00];
        let list_len = 3 + name.len();
        let ext_len = 2 + list_len;
        sni.extend((ext_len as u16).to_be_bytes());
        sni.extend((list_len as u16).to_be_bytes());
        sni.push(0);
        sni.extend((name.len() as u16).to_be_bytes());
        sni.extend(name);
        body.extend((sni.len() as u16).to_be_bytes());
        body.extend(sni);
        let mut hs = vec![1, 0, (body.len() >> 8) as u8, body.len() as u8];
        hs.extend(body);
        let mut rec = vec![22, 3, 1, (hs.len() >> 8) as u8, hs.len() as u8];
        rec.extend(hs);
        rec
    }

    #[test]
    fn a_tls10_hello_is_read_whole() {
        let bytes = tls10_hello();
        assert_eq!(peeked(&bytes), Peeked::Complete);
        let h = parse(&bytes).expect("a hello");
        assert_eq!(h.legacy_version, 0x0301);
        assert!(h.supported_versions.is_empty());
        assert_eq!(h.cipher_suites, [0x002f, 0x0035]);
        assert_eq!(h.sni.as_deref(), Some("mx.test"));
        assert!(!h.truncated);
        assert_eq!(h.best_version(), Some(0x0301));
        assert_eq!(suite_name(0x002f), "TLS_RSA_WITH_AES_128_CBC_SHA");
        assert_eq!(group_name(0x001d), "X25519");
    }

    #[test]
    fn grease_is_dropped() {
        assert!(is_grease(0x0a0a) && is_grease(0xfafa));
        assert!(!is_grease(0x0a1a) && !is_grease(0x1301));
    }

    #[test]
    fn every_prefix_and_garbage_parse_without_panic() {
        let bytes = tls10_hello();
        for n in 0..bytes.len() {
            let h = parse(&bytes[..n]);
            if let Some(h) = h {
                assert!(h.truncated, "prefix {n} read as complete");
            }
            let _ = peeked(&bytes[..n]);
        }
        // Lengths that claim more than there is, at every position.
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] = 0xff;
            let _ = parse(&b);
            b[i] = 0x00;
            let _ = parse(&b);
        }
        // Pseudo-random bytes behind a handshake record header.
        let mut x: u32 = 0x1234_5678;
        for _ in 0..2000 {
            let mut b = vec![22, 3, 1];
            for _ in 0..64 {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                b.push(x as u8);
            }
            let _ = parse(&b);
        }
        assert_eq!(peeked(b"EHLO x\r\n"), Peeked::NotTls);
        assert!(parse(b"EHLO x\r\n").is_none());
    }
}
