//! A bounded SMTP reply reader (RFC 5321 §4.2).
//!
//! Off-the-shelf parsers drop what a diagnostic tool needs (unknown keywords, raw lines,
//! per-line codes), so this one keeps every line as received. It never reads without bound: a
//! line is capped at [`MAX_LINE`] bytes and a reply at [`MAX_LINES`] lines, which covers every
//! real server (RFC 5321 §4.5.3.1.5 sets 512 octets) with a wide margin.

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use super::transcript::{Direction, Transcript, escape};

/// The longest reply line accepted, CRLF included. RFC 5321 §4.5.3.1.5 allows 512 octets;
/// eight times that covers every real server (long `250-AUTH` lines, verbose banners) while a
/// peer that streams bytes without a line end is cut after a few kilobytes, not megabytes.
pub const MAX_LINE: usize = 4096;
/// The most lines accepted in one multi-line reply. Real EHLO replies have 5 to 20; 256 lets
/// any server's list through and stops an endless `250-` stream at about one megabyte
/// (with [`MAX_LINE`]).
pub const MAX_LINES: usize = 256;

/// How the messages of [`ReplyError::LineTooLong`] and [`ReplyError::TooManyLines`] end:
/// the failure carries only the message, and the rules must tell a reply longer than this
/// probe reads (legal SMTP) from one that is not SMTP.
const OVER_LIMIT: &str = "(the limit of this probe)";

/// `message` is that of a reply over this probe's limits ([`MAX_LINE`], [`MAX_LINES`]).
pub fn is_over_limit(message: &str) -> bool {
    message.ends_with(OVER_LIMIT)
}

/// `bytes` begin like a TLS record (RFC 8446 §5.1, RFC 5246 §6.2.1): content type 20-24
/// (change_cipher_spec, alert, handshake, application_data, heartbeat), then protocol version
/// major 3 with a minor of 0-4. Three bytes are needed: one or two could be anything. No SMTP
/// reply can start so (a reply starts with a digit).
pub fn starts_like_tls_record(bytes: &[u8]) -> bool {
    matches!(bytes, [20..=24, 3, 0..=4, ..])
}

/// One line of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyLine {
    /// The three-digit code on this line.
    pub code: u16,
    /// The text after the code and separator, raw.
    pub text: Vec<u8>,
    /// The line ended with a bare LF instead of CRLF.
    pub bare_lf: bool,
}

/// A complete reply: one or more lines, the last one with a space (or nothing) after the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The reply code: that of the last line (RFC 5321 requires every line to carry the
    /// same one; see [`Reply::has_mixed_codes`]).
    pub code: u16,
    /// Every line, in order.
    pub lines: Vec<ReplyLine>,
}

/// Why no complete reply could be read.
#[derive(Debug, thiserror::Error)]
pub enum ReplyError {
    /// The server closed the connection; `partial` holds what arrived of the unfinished line.
    #[error("the server closed the connection")]
    Closed {
        /// Bytes of an unfinished line, if any.
        partial: Vec<u8>,
    },
    /// A line exceeded [`MAX_LINE`]; the bytes read of it stay in [`Pending`].
    #[error("the server sent a line over {MAX_LINE} bytes {OVER_LIMIT}")]
    LineTooLong,
    /// A reply exceeded [`MAX_LINES`].
    #[error("the server sent a reply of over {MAX_LINES} lines {OVER_LIMIT}")]
    TooManyLines,
    /// A line did not start with a three-digit code.
    #[error("the server sent a line that is not an SMTP reply: \"{}\"", escape(.0))]
    Malformed(Vec<u8>),
    /// The socket failed.
    #[error("read failed: {0}")]
    Io(#[from] std::io::Error),
}

impl Reply {
    /// 2xx.
    pub fn is_positive(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// 4xx: try again later.
    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }

    /// Some lines carry a different code than the last (a protocol violation that some
    /// middleboxes produce when they rewrite replies).
    pub fn has_mixed_codes(&self) -> bool {
        self.lines.iter().any(|l| l.code != self.code)
    }

    /// Some lines ended in a bare LF (tolerated, but a sign of a non-conforming peer or proxy).
    pub fn has_bare_lf(&self) -> bool {
        self.lines.iter().any(|l| l.bare_lf)
    }

    /// The text of the first line, raw.
    pub fn first_text(&self) -> &[u8] {
        self.lines.first().map_or(&[], |l| &l.text)
    }

    /// The reply as the server sent it, one escaped string per line (`250-SIZE 1000`).
    pub fn display_lines(&self) -> Vec<String> {
        let n = self.lines.len();
        self.lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let sep = if i + 1 == n { ' ' } else { '-' };
                let text = escape(&l.text);
                if text.is_empty() {
                    l.code.to_string()
                } else {
                    format!("{}{sep}{text}", l.code)
                }
            })
            .collect()
    }

    /// The reply as it came on the wire, CRLF after every line (bare LF where it had one).
    pub fn raw(&self) -> Vec<u8> {
        let n = self.lines.len();
        let mut out = Vec::new();
        for (i, l) in self.lines.iter().enumerate() {
            out.extend_from_slice(l.code.to_string().as_bytes());
            if i + 1 < n {
                out.push(b'-');
            } else if !l.text.is_empty() {
                out.push(b' ');
            }
            out.extend_from_slice(&l.text);
            out.extend_from_slice(if l.bare_lf { b"\n" } else { b"\r\n" });
        }
        out
    }

    /// The reply on one line, escaped: `454 4.7.0 TLS not available due to local problem`.
    pub fn one_line(&self) -> String {
        self.display_lines().join(" / ")
    }
}

fn parse_line(raw: &[u8], bare_lf: bool) -> Result<(ReplyLine, bool), ReplyError> {
    let digits = raw.get(..3).filter(|d| d.iter().all(u8::is_ascii_digit));
    let Some(digits) = digits else {
        return Err(ReplyError::Malformed(raw.to_vec()));
    };
    if !(b'1'..=b'5').contains(&digits[0]) {
        return Err(ReplyError::Malformed(raw.to_vec()));
    }
    let code = digits
        .iter()
        .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
    let (last, text) = match raw.get(3) {
        None => (true, &[][..]),
        Some(b' ') => (true, &raw[4..]),
        Some(b'-') => (false, &raw[4..]),
        Some(_) => return Err(ReplyError::Malformed(raw.to_vec())),
    };
    Ok((
        ReplyLine {
            code,
            text: text.to_vec(),
            bare_lf,
        },
        last,
    ))
}

/// What has arrived of a reply not yet complete, kept outside the reading future: a step's
/// timeout drops that future, and the bytes the server sent so far are evidence (a banner
/// without a line end, TLS records where a greeting was expected, half an EHLO reply).
/// Reading consumes bytes from the stream's buffer only in the same poll that appends them
/// here, so nothing is lost whenever the future is dropped.
#[derive(Debug, Default, Clone)]
pub struct Pending {
    /// Complete lines of the reply so far, raw, with the line ends they came with.
    raw: Vec<u8>,
    /// Parsed complete lines of the reply so far.
    lines: Vec<ReplyLine>,
    /// The line being read, no line end seen yet (at most [`MAX_LINE`] bytes).
    line: Vec<u8>,
}

impl Pending {
    /// Everything received of the unfinished reply, as sent (complete lines, then the
    /// unfinished one).
    pub fn received(&self) -> Vec<u8> {
        let mut all = self.raw.clone();
        all.extend_from_slice(&self.line);
        all
    }

    /// Forgets the unfinished reply (after it was reported).
    pub fn clear(&mut self) {
        *self = Pending::default();
    }
}

/// Reads one line, CRLF or bare LF terminated, of at most [`MAX_LINE`] bytes, into `line`
/// (which keeps what arrived if the future is dropped); returns it without its line end.
async fn read_line<R: AsyncBufRead + Unpin>(
    r: &mut R,
    line: &mut Vec<u8>,
) -> Result<(Vec<u8>, bool), ReplyError> {
    loop {
        let available = r.fill_buf().await?;
        if available.is_empty() {
            return Err(ReplyError::Closed {
                partial: line.clone(),
            });
        }
        let (take, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        if line.len() + take > MAX_LINE {
            // Keep what fits: the evidence shows the start of the over-long line.
            let room = MAX_LINE.saturating_sub(line.len());
            line.extend_from_slice(&available[..room]);
            r.consume(room);
            return Err(ReplyError::LineTooLong);
        }
        line.extend_from_slice(&available[..take]);
        r.consume(take);
        if done {
            break;
        }
    }
    let mut raw = std::mem::take(line);
    raw.pop(); // the LF
    let bare_lf = raw.last() != Some(&b'\r');
    if !bare_lf {
        raw.pop();
    }
    Ok((raw, bare_lf))
}

/// Reads one complete reply, recording every line in the transcript as it arrives.
// The session reads through `read_reply_into`; this stays for readers without a session (the
// unit tests, the fuzzing harness), which have no timeout to survive.
#[allow(dead_code)]
pub async fn read_reply<R: AsyncBufRead + Unpin>(
    r: &mut R,
    transcript: &mut Transcript,
) -> Result<Reply, ReplyError> {
    read_reply_into(r, transcript, &mut Pending::default()).await
}

/// [`read_reply`], keeping what arrived of an unfinished reply in `pending` (emptied when
/// the reply completes), so that a caller's timeout does not lose it.
pub async fn read_reply_into<R: AsyncBufRead + Unpin>(
    r: &mut R,
    transcript: &mut Transcript,
    pending: &mut Pending,
) -> Result<Reply, ReplyError> {
    loop {
        let (raw, bare_lf) = match read_line(r, &mut pending.line).await {
            Ok(l) => l,
            Err(ReplyError::Closed { partial }) if !partial.is_empty() => {
                transcript.push(Direction::Received, partial.clone());
                return Err(ReplyError::Closed { partial });
            }
            Err(e) => return Err(e),
        };
        transcript.push(Direction::Received, raw.clone());
        pending.raw.extend_from_slice(&raw);
        pending
            .raw
            .extend_from_slice(if bare_lf { b"\n" } else { b"\r\n" });
        let (line, last) = parse_line(&raw, bare_lf)?;
        pending.lines.push(line);
        if last {
            break;
        }
        if pending.lines.len() >= MAX_LINES {
            return Err(ReplyError::TooManyLines);
        }
    }
    let lines = std::mem::take(&mut pending.lines);
    pending.clear();
    // RFC 5321 §4.2.1 wants one code on every line; when a broken server or a rewriting
    // middlebox mixes them, the last line (the one that ends the reply) decides, so a
    // "250-... / 550 ..." is never taken as success.
    let code = lines.last().map_or(0, |l| l.code);
    Ok(Reply { code, lines })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    async fn read(input: &[u8]) -> Result<Reply, ReplyError> {
        let mut r = tokio::io::BufReader::new(input);
        read_reply(&mut r, &mut Transcript::new(Instant::now())).await
    }

    #[tokio::test]
    async fn multi_line_reply_keeps_every_line() {
        let r = read(b"250-mx.example Hello [192.0.2.1]\r\n250-SIZE 1000\r\n250 STARTTLS\r\n")
            .await
            .unwrap();
        assert_eq!(r.code, 250);
        assert_eq!(r.lines.len(), 3);
        assert_eq!(r.lines[2].text, b"STARTTLS");
        assert!(!r.has_bare_lf() && !r.has_mixed_codes());
        assert_eq!(r.display_lines()[1], "250-SIZE 1000");
    }

    #[tokio::test]
    async fn bare_lf_is_tolerated_and_noted() {
        let r = read(b"220 mx ESMTP\n").await.unwrap();
        assert_eq!(r.first_text(), b"mx ESMTP");
        assert!(r.has_bare_lf());
    }

    #[tokio::test]
    async fn code_without_text_ends_a_reply() {
        let r = read(b"250-first\r\n250\r\n").await.unwrap();
        assert_eq!(r.lines.len(), 2);
        assert_eq!(r.one_line(), "250-first / 250");
    }

    #[tokio::test]
    async fn mixed_codes_are_kept_and_flagged() {
        let r = read(b"250-a\r\n550 b\r\n").await.unwrap();
        assert_eq!(r.code, 550, "the terminating line decides");
        assert!(r.has_mixed_codes() && !r.is_positive());
    }

    #[tokio::test]
    async fn over_long_line_is_refused_without_reading_on() {
        let mut input = b"220 ".to_vec();
        input.extend(std::iter::repeat_n(b'a', MAX_LINE + 10));
        input.extend_from_slice(b"\r\n");
        assert!(matches!(read(&input).await, Err(ReplyError::LineTooLong)));
    }

    #[tokio::test]
    async fn endless_continuation_is_cut() {
        let input = b"250-x\r\n".repeat(MAX_LINES + 5);
        assert!(matches!(read(&input).await, Err(ReplyError::TooManyLines)));
    }

    #[tokio::test]
    async fn garbage_and_eof_are_errors() {
        assert!(matches!(
            read(b"SSH-2.0-OpenSSH\r\n").await,
            Err(ReplyError::Malformed(_))
        ));
        assert!(matches!(
            read(b"2x0 hi\r\n").await,
            Err(ReplyError::Malformed(_))
        ));
        assert!(matches!(
            read(b"250+x\r\n").await,
            Err(ReplyError::Malformed(_))
        ));
        match read(b"250-half\r\n250 no end").await {
            Err(ReplyError::Closed { partial }) => assert_eq!(partial, b"250 no end"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(read(b"").await, Err(ReplyError::Closed { .. })));
    }

    #[tokio::test]
    async fn reply_classes() {
        assert!(read(b"421 busy\r\n").await.unwrap().is_transient());
        assert_eq!(read(b"554 no\r\n").await.unwrap().code, 554);
        assert!(read(b"220 ok\r\n").await.unwrap().is_positive());
    }
}
