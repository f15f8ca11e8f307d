//! What the bytes the server sent during a failed handshake say: which handshake message
//! claimed a length over the limit, whether a ServerHello came before a hang-up, and what a
//! peer that is not TLS answered instead.
//!
//! rustls reports "handshake payload too large" for any message header over 64 KiB, and an
//! end of stream the same way wherever it comes: the record layer decides the finding. A
//! Certificate that large is a real, oversized chain; a ServerHello that claims 8 MB is a
//! corrupt peer, and the admin must not be told to split a certificate.
//!
//! # References
//! - RFC 8446 §5.1 (records: type, version, 16-bit length), §4 (handshake header: type,
//!   24-bit length), §B.3 (handshake types), §D.4 (the compatibility ChangeCipherSpec)
//! - RFC 5246 §6.2.1, §7.4 (the same for TLS 1.2)

use super::HandshakeFailure;
use super::drive::Heard;
use super::errors::MAX_HANDSHAKE_MESSAGE;

/// The most bytes shown as evidence: the first lines of a plaintext answer, or a few TLS
/// records, escaped.
pub(crate) const SHOWN: usize = 200;

/// A handshake message whose header claims more than [`MAX_HANDSHAKE_MESSAGE`] bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Claim {
    kind: u8,
    len: usize,
    /// The length of the record that holds its header.
    record: usize,
}

/// What the plaintext records say about an oversized message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walk {
    Claim(Claim),
    /// No plaintext header is over the limit, and encrypted records followed: the message is
    /// one of them (TLS 1.3 encrypts everything after the ServerHello).
    Encrypted,
    Nothing,
}

/// The handshake messages of the plaintext records of `bytes`, walked header by header.
fn walk(bytes: &[u8]) -> Walk {
    let mut hs = Vec::new();
    let mut starts: Vec<(usize, usize)> = Vec::new();
    let mut encrypted = false;
    let mut i = 0;
    while i + 5 <= bytes.len() {
        let len = usize::from(u16::from_be_bytes([bytes[i + 3], bytes[i + 4]]));
        let body = &bytes[i + 5..(i + 5 + len).min(bytes.len())];
        match bytes[i] {
            22 => {
                starts.push((hs.len(), len));
                hs.extend_from_slice(body);
            }
            20 => {}
            23 => {
                encrypted = true;
                break;
            }
            _ => break,
        }
        i += 5 + len;
    }
    let mut off = 0;
    while off + 4 <= hs.len() {
        let len = u32::from_be_bytes([0, hs[off + 1], hs[off + 2], hs[off + 3]]) as usize;
        if len > MAX_HANDSHAKE_MESSAGE {
            let record = starts
                .iter()
                .rev()
                .find(|(s, _)| *s <= off)
                .map_or(0, |r| r.1);
            return Walk::Claim(Claim {
                kind: hs[off],
                len,
                record,
            });
        }
        off += 4 + len;
    }
    if encrypted {
        Walk::Encrypted
    } else {
        Walk::Nothing
    }
}

/// A handshake message type as RFC 8446 §B.3 / RFC 5246 §7.4 name it.
fn message_name(kind: u8) -> String {
    let name = match kind {
        0 => "HelloRequest",
        1 => "ClientHello",
        2 => "ServerHello",
        4 => "NewSessionTicket",
        8 => "EncryptedExtensions",
        11 => "Certificate",
        12 => "ServerKeyExchange",
        13 => "CertificateRequest",
        14 => "ServerHelloDone",
        15 => "CertificateVerify",
        20 => "Finished",
        22 => "CertificateStatus",
        _ => return format!("of unknown type {kind}"),
    };
    format!("{name} (type {kind})")
}

/// What a "handshake message too large" error means, read from the bytes; `None` when the
/// bytes say nothing (the library's words stand).
pub(crate) fn too_large(heard: &Heard) -> Option<(HandshakeFailure, String)> {
    let limit =
        format!("the {MAX_HANDSHAKE_MESSAGE} bytes (64 KiB) this client accepts (rustls's limit)");
    Some(match walk(&heard.bytes) {
        Walk::Claim(c) if c.kind == 11 => (
            HandshakeFailure::MessageTooLarge,
            format!(
                "the server's certificate chain (its Certificate message) is {} bytes, larger than {limit}: a certificate with thousands of names, or many certificates",
                c.len
            ),
        ),
        Walk::Claim(c) if c.kind == 13 => (
            HandshakeFailure::MessageTooLarge,
            format!(
                "the server's request for a client certificate (CertificateRequest) is {} bytes, larger than {limit}: it lists too many CA names",
                c.len
            ),
        ),
        Walk::Claim(c) => (
            HandshakeFailure::ProtocolViolation,
            format!(
                "the server sent a handshake message {} that claims to be {} bytes long, in a record of {} bytes: no server sends such a message anywhere near {limit}, so the bytes are corrupt (a broken TLS stack, or a box in the path that rewrites the stream), not an oversized certificate",
                message_name(c.kind),
                c.len,
                c.record
            ),
        ),
        Walk::Encrypted => (
            HandshakeFailure::MessageTooLarge,
            format!(
                "a handshake message after the ServerHello (the certificate chain, in TLS 1.3, where it is encrypted) is larger than {limit}: a certificate with thousands of names, or many certificates (or a request for a client certificate listing many CA names)"
            ),
        ),
        Walk::Nothing => return None,
    })
}

/// `TLS 1.2`, for a version a ServerHello chose.
fn version_name(v: rustls::ProtocolVersion) -> String {
    match v {
        rustls::ProtocolVersion::TLSv1_2 => "TLS 1.2".into(),
        rustls::ProtocolVersion::TLSv1_3 => "TLS 1.3".into(),
        other => format!("version 0x{:04x}", u16::from(other)),
    }
}

/// The words for a server that closed the connection during the handshake: after a
/// ServerHello it accepted this client's hello, so the hello is not what it refused.
pub(crate) fn closed(heard: &Heard) -> (HandshakeFailure, String) {
    if let Some((version, suite)) = heard.hello {
        let suite = format!("{suite:?}");
        return (
            HandshakeFailure::ProtocolViolation,
            format!(
                "the server answered with a ServerHello ({}, {}), then closed the connection before the handshake finished: it accepted this client's hello, and broke off later (a TLS stack failing while it builds the rest of its answer, or a box in the path cutting the connection)",
                version_name(version),
                crate::smtp::escape(suite.as_bytes())
            ),
        );
    }
    let reason = if heard.total == 0 {
        "the server closed the connection during the handshake without sending anything (often a legacy-only TLS stack or an inspecting firewall)".to_string()
    } else {
        format!(
            "the server sent {} bytes, then closed the connection before the handshake finished (they are in the evidence)",
            heard.total
        )
    };
    (HandshakeFailure::Closed, reason)
}

/// Bytes as ASCII: printable characters as they are, `\r` `\n` `\t` `\\` `\"` escaped, and
/// every other byte as `\xHH`. The handshake is binary: read as UTF-8, random bytes of a
/// ServerHello would show as letters of other scripts, which are not what was sent.
fn ascii(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

/// The bytes received, escaped and capped, as an evidence line.
pub(crate) fn evidence(heard: &Heard) -> String {
    let shown = &heard.bytes[..heard.bytes.len().min(SHOWN)];
    let cut = if heard.total > shown.len() {
        format!("; the first {} shown", shown.len())
    } else {
        String::new()
    };
    format!(
        "received from the server during the handshake: {} bytes{cut}: \"{}\"",
        heard.total,
        ascii(shown)
    )
}

/// The library's message, then (on lines of their own) the bytes received, for the failures
/// whose finding rests on them: an answer that is not TLS, a broken protocol, a hang-up.
pub(crate) fn with_evidence(detail: String, kind: HandshakeFailure, heard: &Heard) -> String {
    let shows = matches!(
        kind,
        HandshakeFailure::NotTls | HandshakeFailure::ProtocolViolation | HandshakeFailure::Closed
    );
    if shows && heard.total > 0 {
        format!("{detail}\n{}", evidence(heard))
    } else {
        detail
    }
}

/// The reason for an answer that is not TLS, with its first line quoted.
pub(crate) fn not_tls(reason: String, heard: &Heard) -> String {
    if heard.total == 0 {
        return reason;
    }
    let first: Vec<u8> = heard
        .bytes
        .iter()
        .copied()
        .take_while(|&b| b != b'\n')
        .take(80)
        .collect();
    let first = first.strip_suffix(b"\r").unwrap_or(&first);
    format!("{reason}; it began \"{}\"", ascii(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heard(bytes: &[u8]) -> Heard {
        Heard {
            bytes: bytes.to_vec(),
            total: bytes.len(),
            hello: None,
        }
    }

    /// The trial's repro: a 4-byte record whose header claims an 8 MB ServerHello.
    #[test]
    fn a_server_hello_claiming_8_mb_is_corrupt_not_a_large_certificate() {
        let (kind, why) = too_large(&heard(&[0x16, 3, 3, 0, 4, 2, 0x7f, 0xff, 0xff])).unwrap();
        assert_eq!(kind, HandshakeFailure::ProtocolViolation);
        assert!(
            why.contains("ServerHello (type 2)") && why.contains("8388607 bytes"),
            "{why}"
        );
        assert!(
            why.contains("record of 4 bytes") && !why.contains("certificate chain"),
            "{why}"
        );
    }

    #[test]
    fn a_large_certificate_after_a_server_hello_is_the_chain() {
        let mut b = vec![0x16, 3, 3, 0, 8, 2, 0, 0, 4, 1, 2, 3, 4];
        b.extend([0x16, 3, 3, 0x40, 0, 11, 0x03, 0x0d, 0x40]);
        let (kind, why) = too_large(&heard(&b)).unwrap();
        assert_eq!(kind, HandshakeFailure::MessageTooLarge);
        assert!(
            why.contains("certificate chain") && why.contains("200000 bytes"),
            "{why}"
        );
        let mut tls13 = vec![0x16, 3, 3, 0, 4, 2, 0, 0, 0, 0x14, 3, 3, 0, 1, 1];
        tls13.extend([0x17, 3, 3, 0, 2, 0, 0]);
        let (kind, why) = too_large(&heard(&tls13)).unwrap();
        assert_eq!(kind, HandshakeFailure::MessageTooLarge);
        assert!(why.contains("after the ServerHello"), "{why}");
        assert_eq!(too_large(&heard(b"")), None);
    }

    /// Binary bytes never show as letters: a valid UTF-8 sequence is still two bytes.
    #[test]
    fn received_bytes_are_shown_in_ascii() {
        let line = evidence(&heard(b"\x16\xce\x9c\"\\A\r\n"));
        assert!(
            line.ends_with(r#"8 bytes: "\x16\xce\x9c\"\\A\r\n""#),
            "{line}"
        );
    }
}
