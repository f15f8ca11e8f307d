//! What a DNS server did when the resolver got no answer from it: one hand-built query, sent
//! only after the resolver has been waiting for half its timeout, and watched until the
//! timeout ends.
//!
//! hickory discards an answer whose transaction ID does not match, and falls back to TCP on
//! a truncated answer; both then surface as a bare "request timed out", which would blame the
//! wait on nobody. This watcher sees the bytes themselves, so the finding can say "answered
//! with a wrong transaction ID" or "truncated its answer and did not answer over TCP".
//!
//! # References
//! - RFC 1035 §4.1.1 (the header: ID copied into the reply, TC, RCODE)
//! - RFC 7766 §5 (a DNS server must answer over TCP; TC tells the client to retry over TCP)

use std::hash::{BuildHasher, Hasher};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{Instant, timeout_at};

/// Size of the buffer for one UDP answer: the largest UDP payload; a longer datagram is cut,
/// and only its 12-byte header is read here.
const UDP_BUFFER: usize = 65_535;

/// Datagrams read before giving up on a server that floods the socket with wrong answers:
/// enough to see a right answer behind a few stray ones, few enough that a flood cannot keep
/// the watcher busy.
const MAX_DATAGRAMS: usize = 64;

/// What the server did with our query before the resolver's timeout ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// No answer at all.
    Nothing,
    /// Only answers whose transaction ID did not match ours.
    WrongId {
        /// The ID we sent.
        sent: u16,
        /// The ID the server answered with.
        got: u16,
    },
    /// Datagrams too short to be a DNS header, or not marked as a response.
    Garbled {
        /// How many bytes the first one had.
        len: usize,
    },
    /// An answer with our ID, but to another question (the name shown escaped).
    WrongQuestion(String),
    /// The UDP answer was truncated (TC); what then happened over TCP.
    Truncated(Tcp),
    /// The server answered, with this RCODE: the resolver's failure was elsewhere.
    Answered(u8),
    /// The query could not be sent or the server refused it at the network level.
    Unreachable(String),
}

/// The TCP retry after a truncated answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tcp {
    /// The connection was refused or failed.
    NoConnection(String),
    /// Connected, sent the query, and got nothing back.
    Silent,
    /// Connected, and the server closed the connection without an answer.
    Closed,
    /// Connected, and an answer came back.
    Answered,
}

impl Seen {
    /// What the server did, as a clause after "the DNS server at ADDR".
    pub fn describe(&self, waited: std::time::Duration) -> String {
        let secs = crate::text::seconds(waited);
        match self {
            Seen::Nothing => format!("did not answer within {secs}"),
            Seen::WrongId { sent, got } => format!(
                "answered with a wrong transaction ID (0x{got:04x} to a query with ID 0x{sent:04x}), an answer every resolver must discard (RFC 1035 §4.1.1), and sent no valid answer within {secs}"
            ),
            Seen::Garbled { len } => format!(
                "sent a {len}-byte datagram that is not a DNS answer, and no valid answer within {secs}"
            ),
            Seen::WrongQuestion(name) => format!(
                "answered a different question (for {name}) than the one asked, an answer every resolver must discard, and sent no valid answer within {secs}"
            ),
            Seen::Truncated(Tcp::Silent) => format!(
                "truncated its answer (TC bit set) over UDP, then accepted a TCP connection but did not answer over TCP within {secs} (RFC 7766 §5)"
            ),
            Seen::Truncated(Tcp::Closed) => "truncated its answer (TC bit set) over UDP, then closed the TCP connection without answering (RFC 7766 §5)".into(),
            Seen::Truncated(Tcp::NoConnection(e)) => format!(
                "truncated its answer (TC bit set) over UDP, and the TCP connection for the full answer failed: {e} (RFC 7766 §5)"
            ),
            Seen::Truncated(Tcp::Answered) => format!(
                "truncated its answer (TC bit set) over UDP; its answer over TCP came too late or could not be read within {secs}"
            ),
            Seen::Answered(rcode) => format!(
                "answered a direct query (RCODE {rcode}), but the resolver got no usable answer within {secs}"
            ),
            Seen::Unreachable(e) => format!("could not be reached: {e}"),
        }
    }
}

fn random_id() -> u16 {
    // A fresh random state per call: the std hasher's keys come from the OS's randomness.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0x5354_4152_5454_4c53);
    (h.finish() & 0xffff) as u16
}

/// A standard query for `name` (a validated host name) and `qtype`, recursion desired.
pub fn query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
    let mut q = Vec::with_capacity(name.len() + 18);
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
    {
        // Names reaching here passed the host-name check: labels are at most 63 bytes.
        let bytes = &label.as_bytes()[..label.len().min(63)];
        q.push(bytes.len() as u8);
        q.extend_from_slice(bytes);
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes());
    q
}

/// The watcher's own query could not go out. A routing error says the server cannot be
/// reached; any other error is this machine's (an address it cannot use, a link-local
/// server whose scope was lost, a permission) and says nothing about the server: the lookup
/// itself went unanswered, and that is all that is reported.
fn sent_nothing(e: std::io::Error) -> Seen {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NetworkUnreachable | K::HostUnreachable | K::ConnectionRefused => {
            Seen::Unreachable(e.to_string())
        }
        _ => Seen::Nothing,
    }
}

/// Sends one query for `name`/`qtype` to `server` and watches what comes back until `end`.
pub async fn observe(server: SocketAddr, name: &str, qtype: u16, end: Instant) -> Seen {
    let id = random_id();
    let q = query(id, name, qtype);
    let local: IpAddr = if server.is_ipv4() {
        Ipv4Addr::UNSPECIFIED.into()
    } else {
        Ipv6Addr::UNSPECIFIED.into()
    };
    let sock = match tokio::net::UdpSocket::bind((local, 0)).await {
        Ok(s) => s,
        // Our own socket: nothing learned about the server, whose lookup simply went
        // unanswered.
        Err(_) => return Seen::Nothing,
    };
    if let Err(e) = sock.connect(server).await {
        return sent_nothing(e);
    }
    if let Err(e) = sock.send(&q).await {
        return sent_nothing(e);
    }
    let mut buf = vec![0u8; UDP_BUFFER];
    let mut seen = Seen::Nothing;
    for _ in 0..MAX_DATAGRAMS {
        let n = match timeout_at(end, sock.recv(&mut buf)).await {
            Err(_) => return seen,
            Ok(Err(e)) => return Seen::Unreachable(e.to_string()),
            Ok(Ok(n)) => n,
        };
        if n < 12 || buf[2] & 0x80 == 0 {
            if seen == Seen::Nothing {
                seen = Seen::Garbled { len: n };
            }
            continue;
        }
        let got = u16::from_be_bytes([buf[0], buf[1]]);
        if got != id {
            if !matches!(seen, Seen::WrongId { .. }) {
                seen = Seen::WrongId { sent: id, got };
            }
            continue;
        }
        let asked = &q[12..];
        let echoed = buf.get(12..12 + asked.len()).unwrap_or_default();
        if !echoed.eq_ignore_ascii_case(asked) {
            let name = read_name(&buf[..n], 12)
                .map_or_else(|| "an unreadable name".into(), |(l, _)| name_text(&l));
            seen = Seen::WrongQuestion(name);
            continue;
        }
        if buf[2] & 0x02 != 0 {
            return Seen::Truncated(over_tcp(server, &q, end).await);
        }
        return Seen::Answered(buf[3] & 0x0f);
    }
    seen
}

/// The TCP retry after a truncated answer: connect, send, wait for the length prefix.
async fn over_tcp(server: SocketAddr, q: &[u8], end: Instant) -> Tcp {
    let mut stream = match timeout_at(end, tokio::net::TcpStream::connect(server)).await {
        Err(_) => return Tcp::NoConnection("no connection before the timeout".into()),
        Ok(Err(e)) => return Tcp::NoConnection(e.to_string()),
        Ok(Ok(s)) => s,
    };
    let mut framed = (q.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(q);
    // A peer that accepts and never reads could hold a large write; this one is small, but
    // no await of the watcher goes without the lookup's end time.
    match timeout_at(end, stream.write_all(&framed)).await {
        Err(_) => return Tcp::Silent,
        Ok(Err(e)) => return Tcp::NoConnection(e.to_string()),
        Ok(Ok(())) => {}
    }
    let mut len = [0u8; 2];
    match timeout_at(end, stream.read_exact(&mut len)).await {
        Err(_) => Tcp::Silent,
        Ok(Err(_)) => Tcp::Closed,
        Ok(Ok(_)) => Tcp::Answered,
    }
}

/// Hops through compression pointers allowed in one name: more is a pointer loop.
const MAX_POINTER_HOPS: usize = 32;

/// The labels of the name at `pos` in `msg` (compression pointers followed) and the position
/// after it; `None` for a name that runs off the message or loops.
fn read_name(msg: &[u8], mut pos: usize) -> Option<(Vec<Vec<u8>>, usize)> {
    let mut labels = Vec::new();
    let mut after = None;
    for _ in 0..MAX_POINTER_HOPS {
        let len = usize::from(*msg.get(pos)?);
        match len {
            0 => return Some((labels, after.unwrap_or(pos + 1))),
            l if l & 0xc0 == 0xc0 => {
                let target = (l & 0x3f) << 8 | usize::from(*msg.get(pos + 1)?);
                after.get_or_insert(pos + 2);
                pos = target;
            }
            l if l <= 63 => {
                labels.push(msg.get(pos + 1..pos + 1 + l)?.to_vec());
                pos += 1 + l;
            }
            _ => return None,
        }
    }
    None
}

/// A name from the wire as text: each label escaped, a `.` inside a label too.
pub fn name_text(labels: &[Vec<u8>]) -> String {
    labels
        .iter()
        .map(|l| {
            crate::smtp::escape(l)
                .to_ascii_lowercase()
                .replace('.', "\\x2e")
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn type_name(t: u16) -> String {
    // The mnemonic of RFC 1035 and its successors (TXT, SOA, NS…), as dig writes it; an
    // unknown type as RFC 3597 writes it (TYPE65280).
    match hickory_resolver::proto::rr::RecordType::from(t) {
        hickory_resolver::proto::rr::RecordType::Unknown(n) => format!("TYPE{n}"),
        known => known.to_string(),
    }
}

/// The answer section of `msg`: each record's owner (as text) and type.
fn answer_section(msg: &[u8]) -> Option<Vec<(String, String)>> {
    let qd = usize::from(u16::from_be_bytes([*msg.get(4)?, *msg.get(5)?]));
    let an = usize::from(u16::from_be_bytes([*msg.get(6)?, *msg.get(7)?]));
    let mut pos = 12;
    for _ in 0..qd {
        pos = read_name(msg, pos)?.1 + 4;
    }
    let mut out = Vec::new();
    for _ in 0..an {
        let (owner, next) = read_name(msg, pos)?;
        let rtype = u16::from_be_bytes([*msg.get(next)?, *msg.get(next + 1)?]);
        let rdlen = usize::from(u16::from_be_bytes([
            *msg.get(next + 8)?,
            *msg.get(next + 9)?,
        ]));
        pos = next + 10 + rdlen;
        out.push((name_text(&owner), type_name(rtype)));
    }
    Some(out)
}

/// The records (owner and type) of the server's answer to `name`/`qtype` over UDP, asked
/// once: `None` when no readable, untruncated answer with our ID came before `end`.
pub async fn answer_records(
    server: SocketAddr,
    name: &str,
    qtype: u16,
    end: Instant,
) -> Option<Vec<(String, String)>> {
    let id = random_id();
    let local: IpAddr = if server.is_ipv4() {
        Ipv4Addr::UNSPECIFIED.into()
    } else {
        Ipv6Addr::UNSPECIFIED.into()
    };
    let sock = tokio::net::UdpSocket::bind((local, 0)).await.ok()?;
    sock.connect(server).await.ok()?;
    sock.send(&query(id, name, qtype)).await.ok()?;
    let mut buf = vec![0u8; UDP_BUFFER];
    for _ in 0..MAX_DATAGRAMS {
        let n = timeout_at(end, sock.recv(&mut buf)).await.ok()?.ok()?;
        let msg = &buf[..n];
        if n >= 12 && u16::from_be_bytes([msg[0], msg[1]]) == id && msg[2] & 0x80 != 0 {
            return (msg[2] & 0x02 == 0).then(|| answer_section(msg)).flatten();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only a routing error blames the server; our own socket's errors do not.
    #[test]
    fn the_watchers_own_errors_do_not_blame_the_server() {
        use std::io::{Error, ErrorKind as K};
        assert!(matches!(
            sent_nothing(Error::from(K::NetworkUnreachable)),
            Seen::Unreachable(_)
        ));
        for kind in [K::InvalidInput, K::AddrNotAvailable, K::PermissionDenied] {
            assert_eq!(sent_nothing(Error::from(kind)), Seen::Nothing, "{kind:?}");
        }
    }

    #[test]
    fn a_query_is_a_header_and_one_question() {
        let q = query(0x1234, "mx.example.", 15);
        assert_eq!(&q[..4], &[0x12, 0x34, 0x01, 0x00]);
        assert_eq!(&q[12..], b"\x02mx\x07example\x00\x00\x0f\x00\x01");
    }

    #[test]
    fn answer_owners_are_read_through_compression_and_loops_are_refused() {
        let mut m = query(1, "example.test", 15);
        m[2] = 0x81;
        m[7] = 2;
        // An MX owned by the question's name (pointer), then one by another name.
        m.extend_from_slice(&[
            0xc0, 0x0c, 0, 15, 0, 1, 0, 0, 0, 60, 0, 4, 0, 10, 0xc0, 0x0c,
        ]);
        m.extend_from_slice(
            b"\x04else\xc0\x14\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x7f\x00\x00\x01",
        );
        let got = answer_section(&m).unwrap();
        assert_eq!(
            got,
            [
                ("example.test".to_string(), "MX".to_string()),
                ("else.test".to_string(), "A".to_string())
            ]
        );
        let looped = [0u8, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c];
        assert_eq!(answer_section(&looped), None);
    }
}
