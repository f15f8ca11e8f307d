//! Every line sent and received, with a timestamp relative to the start of the probe.
//!
//! Server bytes are stored raw; [`escape`] is the only way they become text, so a hostile or
//! broken server cannot move the user's cursor, recolour the terminal or forge report lines.

use std::time::Instant;

/// Who produced a transcript entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Sent by the probe.
    Sent,
    /// Received from the server.
    Received,
    /// Something that happened on the connection (connected, TLS established, closed...).
    Event,
}

/// One line of the transcript.
#[derive(Debug, Clone)]
pub struct TranscriptEntry {
    /// Milliseconds since the probe of this endpoint started.
    pub at_ms: u64,
    /// Who produced it.
    pub direction: Direction,
    /// The bytes as they crossed the wire (without CRLF), or the event text.
    pub bytes: Vec<u8>,
}

/// The transcript of one endpoint's conversation.
#[derive(Debug, Clone)]
pub struct Transcript {
    start: Instant,
    /// The entries, in order.
    pub entries: Vec<TranscriptEntry>,
}

impl Transcript {
    /// A transcript whose clock starts now.
    pub fn new(start: Instant) -> Self {
        Transcript {
            start,
            entries: Vec::new(),
        }
    }

    /// An empty transcript on the same clock, for a connection that runs beside this one.
    pub fn fork(&self) -> Transcript {
        Transcript::new(self.start)
    }

    /// Appends the entries of a [`Self::fork`] after this one's: each connection's lines stay
    /// together, and their times say when they happened.
    pub fn append(&mut self, other: Transcript) {
        self.entries.extend(other.entries);
    }

    /// Milliseconds since the start.
    pub fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Appends an entry stamped with the time since the start.
    pub fn push(&mut self, direction: Direction, bytes: impl Into<Vec<u8>>) {
        let at_ms = self.now_ms();
        self.entries.push(TranscriptEntry {
            at_ms,
            direction,
            bytes: bytes.into(),
        });
    }
}

/// Renders bytes from the network as printable text: printable ASCII and valid non-control
/// UTF-8 pass through; `\r`, `\n`, `\t`, `\\` and every other control or invalid byte become
/// escapes (`\x1b`), so nothing the server sends can act on a terminal.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\r' => out.push_str("\\r"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                c if crate::text::is_hidden(c) => {
                    for b in c.to_string().bytes() {
                        out.push_str(&format!("\\x{b:02x}"));
                    }
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// A format character (Cf) or a line or paragraph separator (Zl, Zp): invisible, yet it can
/// make a line read differently from what it is (bidi overrides, CVE-2021-42574; zero-width
/// characters; tag characters; U+2028). The one set every escape in the crate uses, from
/// [`crate::text`]; controls are [`char::is_control`].
pub fn is_invisible(c: char) -> bool {
    crate::text::is_format(c) || crate::text::is_separator(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_bytes_never_survive() {
        assert_eq!(escape(b"220 ok\r\n"), "220 ok\\r\\n");
        assert_eq!(escape(b"\x1b[31mred"), "\\x1b[31mred");
        assert_eq!(escape(b"a\\b"), "a\\\\b");
        assert_eq!(escape(b"\xff\xfe"), "\\xff\\xfe");
        assert_eq!(escape("caf\u{e9}".as_bytes()), "caf\u{e9}");
        assert_eq!(escape("\u{202e}txt".as_bytes()), "\\xe2\\x80\\xaetxt");
        assert_eq!(escape(b"\x7f\x00"), "\\x7f\\x00");
        assert_eq!(escape("a\u{200b}b".as_bytes()), "a\\xe2\\x80\\x8bb");
    }
}
