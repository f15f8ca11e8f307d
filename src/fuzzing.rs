//! Entry points for the fuzz targets (`fuzz/`) and the corpus replay (`tests/fuzz_corpus.rs`).
//!
//! Each function takes arbitrary bytes, drives one parser exactly as the binary does (same
//! limits, same wrapping), and panics when an invariant that must hold for *any* input breaks:
//! no panic inside the parser, no raw control or invisible format character in anything that
//! reaches the user (the guarantee of [`crate::smtp::escape`]), the reply reader's bounds.
//! Nothing here decides anything: it only drives and asserts, so a fuzzer crash is a bug in
//! the parser, never in this file. Not part of the supported API.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use futures_util::FutureExt;
use time::OffsetDateTime;
use tokio::io::{AsyncRead, ReadBuf};

use crate::smtp::reply::{Reply, ReplyError, ReplyLine, read_reply};
use crate::smtp::{Capabilities, Direction, Transcript};
use crate::text::is_hidden;

pub use crate::smtp::reply::{MAX_LINE, MAX_LINES};

/// The clock every target runs at: a fixed instant keeps a crash reproducible.
fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Panics when `s` holds a character never written raw ([`crate::text::is_hidden`]: one
/// that could act on a terminal or make text read differently from what it is). `newlines`
/// allows `\n` (multi-line human output).
fn assert_clean(what: &str, s: &str, newlines: bool) {
    if let Some(c) = s
        .chars()
        .find(|&c| is_hidden(c) && !(newlines && c == '\n'))
    {
        panic!("{what} holds the raw character {c:?}: {s:?}");
    }
}

/// Every string inside a JSON value is clean. Only a fix's plain text (`fix`: prose and
/// commands, the crate's own words) may span lines.
fn assert_json_clean(what: &str, v: &serde_json::Value, newlines: bool) {
    match v {
        serde_json::Value::String(s) => assert_clean(what, s, newlines),
        serde_json::Value::Array(a) => a.iter().for_each(|v| assert_json_clean(what, v, newlines)),
        serde_json::Value::Object(o) => o.iter().for_each(|(k, v)| {
            assert_clean(what, k, false);
            assert_json_clean(what, v, newlines || k == "fix");
        }),
        _ => {}
    }
}

fn assert_serialized_clean(what: &str, value: &impl serde::Serialize) {
    let v = serde_json::to_value(value).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_json_clean(what, &v, false);
}

/// Escaping: whatever the bytes, the text holds no control or invisible character, and
/// printable ASCII other than `\\` passes unchanged.
pub fn escape(data: &[u8]) {
    let text = crate::smtp::escape(data);
    assert_clean("escaped bytes", &text, false);
    if data
        .iter()
        .all(|&b| (b' '..=b'~').contains(&b) && b != b'\\')
    {
        assert_eq!(text.as_bytes(), data);
    }
}

/// A peer that hands over its bytes `chunk` at a time (0: all at once), as a network does,
/// and counts what the reader took.
struct Peer<'a> {
    data: &'a [u8],
    chunk: usize,
    taken: usize,
}

impl AsyncRead for Peer<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let rest = &self.data[self.taken..];
        let limit = if self.chunk == 0 {
            rest.len()
        } else {
            self.chunk
        };
        let n = rest.len().min(limit).min(buf.remaining());
        buf.put_slice(&rest[..n]);
        self.taken += n;
        Poll::Ready(Ok(()))
    }
}

/// What [`read_replies`] saw, for the property tests.
#[derive(Debug)]
pub struct ReaderRun {
    /// Lines per reply read, in order.
    pub replies: Vec<usize>,
    /// The longest line of any reply read (raw, without its line end).
    pub longest_line: usize,
    /// The longest transcript entry (a line, or the partial line of a closed connection).
    pub longest_entry: usize,
    /// How the last read ended (`Closed`, `LineTooLong`...).
    pub error: String,
    /// Bytes the reader took from the peer.
    pub taken: usize,
    /// Where the last line of the last complete reply ended in the input (0: none).
    pub end_of_last_reply: usize,
}

/// The capacity of the session's `BufReader` (tokio's default, `BufReader::new`).
pub const READER_CAPACITY: usize = 8 * 1024;

/// Reads replies from `data` as a session does (a `BufReader` of the default capacity over
/// the peer, handed over `chunk` bytes at a time) until the first error, checking each.
pub fn read_replies(data: &[u8], chunk: usize) -> ReaderRun {
    let mut reader = tokio::io::BufReader::new(Peer {
        data,
        chunk,
        taken: 0,
    });
    let mut transcript = Transcript::new(Instant::now());
    let mut run = ReaderRun {
        replies: Vec::new(),
        longest_line: 0,
        longest_entry: 0,
        error: String::new(),
        taken: 0,
        end_of_last_reply: 0,
    };
    let mut lines_read = 0;
    loop {
        // The peer is always ready, so the reader never waits: no runtime is needed.
        let read = read_reply(&mut reader, &mut transcript).now_or_never();
        match read.expect("an in-memory peer never makes the reader wait") {
            Ok(reply) => {
                check_reply(&reply);
                lines_read += reply.lines.len();
                run.replies.push(reply.lines.len());
                run.longest_line = run.longest_line.max(longest(&reply.lines));
            }
            Err(e) => {
                assert_clean("a reply error", &e.to_string(), false);
                run.error = error_name(&e).to_string();
                break;
            }
        }
    }
    // Each line of a reply read ended at one `\n` of the input, in order.
    run.end_of_last_reply = match lines_read {
        0 => 0,
        n => data
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(n - 1)
            .map_or(data.len(), |(i, _)| i + 1),
    };
    run.taken = reader.into_inner().taken;
    run.longest_entry = transcript
        .entries
        .iter()
        .filter(|e| e.direction == Direction::Received)
        .map(|e| e.bytes.len())
        .max()
        .unwrap_or(0);
    run
}

fn longest(lines: &[ReplyLine]) -> usize {
    // The text plus the code and its separator: the line as received.
    lines.iter().map(|l| l.text.len() + 4).max().unwrap_or(0)
}

fn error_name(e: &ReplyError) -> &'static str {
    match e {
        ReplyError::Closed { .. } => "Closed",
        ReplyError::LineTooLong => "LineTooLong",
        ReplyError::TooManyLines => "TooManyLines",
        ReplyError::Malformed(_) => "Malformed",
        ReplyError::Io(_) => "Io",
    }
}

fn check_reply(reply: &Reply) {
    assert!(!reply.lines.is_empty(), "a reply without lines");
    assert!(
        reply.lines.len() <= MAX_LINES,
        "{} lines",
        reply.lines.len()
    );
    assert!(longest(&reply.lines) <= MAX_LINE, "a line over MAX_LINE");
    assert!((100..600).contains(&reply.code), "code {}", reply.code);
    for line in reply.display_lines() {
        assert_clean("a reply line", &line, false);
    }
    assert_clean("a reply", &reply.one_line(), false);
}

/// The reply reader over arbitrary bytes. The first byte sets how the peer splits what it
/// sends (0: all at once, else that many bytes a read), the rest is what it sends.
pub fn reply(data: &[u8]) {
    let Some((&chunk, stream)) = data.split_first() else {
        return;
    };
    let run = read_replies(stream, usize::from(chunk));
    assert!(
        run.longest_entry <= MAX_LINE,
        "held {} bytes",
        run.longest_entry
    );
    assert!(run.taken <= run.end_of_last_reply + MAX_LINE + READER_CAPACITY);
}

/// The EHLO capability parser over a reply of arbitrary lines (split at `\n`, bounded as
/// the reader bounds them).
pub fn capabilities(data: &[u8]) {
    let lines: Vec<ReplyLine> = data
        .split(|&b| b == b'\n')
        .take(MAX_LINES)
        .map(|l| ReplyLine {
            code: 250,
            text: l[..l.len().min(MAX_LINE - 4)].to_vec(),
            bare_lf: true,
        })
        .collect();
    let reply = Reply { code: 250, lines };
    let caps = Capabilities::parse(&reply);
    assert_clean("the greeting name", &caps.greeting_name, false);
    assert_clean("the greeting text", &caps.greeting_text, false);
    assert!(caps.keywords.len() < reply.lines.len().max(1));
    for k in &caps.keywords {
        assert_clean("a keyword", &k.name, false);
        assert_clean("a keyword's parameters", &k.params, false);
    }
    for l in caps.keyword_lines() {
        assert_clean("a keyword line", &l, false);
    }
    let _ = caps.starttls();
}

/// The certificate analyser over arbitrary DER, with the name checks the rules make.
pub fn certificate(der: &[u8]) {
    let Ok(info) = crate::cert::CertInfo::parse(der, now()) else {
        return;
    };
    assert_serialized_clean("a certificate field", &info);
    for n in info.names() {
        assert_clean("a certificate name", &n, false);
    }
    let _ = (
        info.allows_server_auth(),
        info.weak_key(),
        info.weak_signature(),
    );
    let _ = crate::cert::date(info.not_after_at);
    let _ = crate::cert::date(info.not_before_at);
    for name in ["mail.example.com", "192.0.2.1", "example.com."] {
        let _ = crate::cert::name_match(der, &info, name);
    }
    if let Some(first) = info.dns_names.first() {
        let _ = crate::cert::name_match(der, &info, first);
    }
}

/// The command-line target parser. What it accepts prints as plain ASCII and reads back as
/// the same host and port.
pub fn target(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(t) = text.parse::<crate::target::Target>() else {
        return;
    };
    let shown = t.to_string();
    assert!(
        shown.bytes().all(|b| b.is_ascii_graphic()),
        "{text:?} shows as {shown:?}"
    );
    let again: crate::target::Target = shown
        .parse()
        .unwrap_or_else(|e| panic!("{text:?} shows as {shown:?}, which is refused: {e}"));
    assert_eq!((&again.host, again.port), (&t.host, t.port), "{text:?}");
    let _ = crate::batch::key(&t);
}

/// `explain` over arbitrary pasted text, read and rendered as the command does (JSON and
/// plain human text).
pub fn explain(data: &[u8]) {
    use crate::report::explain::{Probed, render};
    use crate::report::{Format, RenderOptions};
    // The command reads at most MAX_TEXT bytes and writes invalid UTF-8 as `\xNN`
    // (`commands::explain::Input`, private to the command layer); any text is reachable.
    let text = String::from_utf8_lossy(&data[..data.len().min(crate::explain::MAX_TEXT)]);
    let word = text.trim();
    if !word.is_empty() && !word.contains(char::is_whitespace) {
        let _ = crate::explain::lookup_code(word);
    }
    let e = crate::explain::explain_text(&text);
    assert_serialized_clean("explain's extracted facts", &e.extracted);
    assert_serialized_clean("explain's probe", &e.probe);
    for m in &e.matches {
        assert_clean("a match", &m.matched, false);
        assert_clean("a meaning", &m.meaning, false);
        m.causes
            .iter()
            .for_each(|c| assert_clean("a cause", c, false));
    }
    let opts = RenderOptions {
        color: false,
        verbose: false,
        tool_line: false,
        redact: false,
    };
    let json = render(&e, Probed::NotAsked, Format::Json, opts);
    let v: serde_json::Value = serde_json::from_str(&json).expect("explain's JSON parses");
    assert_json_clean("explain's JSON", &v, false);
    let human = render(&e, Probed::NotAsked, Format::Human, opts);
    assert_clean("explain's text", &human, true);
}

/// `exchange-config` over arbitrary pasted output: the parser, the rules, and the report the
/// command writes (JSON and plain human text). The parser's notes and the findings hold the
/// paste as it was; the report makes it visible once (`report::exchange::build`), so that is
/// where the output is checked.
pub fn exchange(data: &[u8]) {
    use crate::exchange::{Limits, MAX_INPUT, ParseOptions, RawInput};
    use crate::report::exchange::{build, render};
    use crate::report::{Format, RenderOptions};
    let inputs = [RawInput {
        name: "-".to_string(),
        bytes: data[..data.len().min(MAX_INPUT)].to_vec(),
        truncated: data.len() > MAX_INPUT,
    }];
    let config = crate::exchange::parse::parse(&inputs, &ParseOptions::default());
    let findings = crate::exchange::findings(&config, None, now(), Limits::default());
    assert!(!findings.is_empty(), "the rules always say something");
    let report = build(&config, findings, None, None, now());
    let opts = RenderOptions {
        color: false,
        verbose: false,
        tool_line: false,
        redact: false,
    };
    let json = render(&report, Format::Json, opts);
    let v: serde_json::Value = serde_json::from_str(&json).expect("the report's JSON parses");
    assert_json_clean("exchange-config's JSON", &v, false);
    assert_clean(
        "exchange-config's text",
        &render(&report, Format::Human, opts),
        true,
    );
}

/// The `--targets-file` parser: every target it hands out and every error it names is clean.
pub fn targets_file(data: &[u8]) {
    let mut targets = Vec::new();
    let result = crate::batch::parse("fuzz.txt", data, |t| targets.push(t));
    for t in &targets {
        assert!(t.to_string().bytes().all(|b| b.is_ascii_graphic()));
    }
    if let Err(e) = result {
        assert_clean("a targets-file error", &e.to_string(), true);
    }
}
