//! Batch mode's input: the targets of a run, from the command line and `--targets-file`
//! (one report each), and `--shard I/N`, which keeps the share of one of N independent jobs.
//!
//! A list is read whole before the run starts, so that a bad line stops the run before any
//! server is contacted (every bad line is named, as a compiler names every error), repeats
//! are checked once, and a shard is known before its first probe.
//!
//! The shard of a target is `FNV-1a-64(key) mod N` (0-based, so shard `I` holds the targets
//! whose value is `I - 1`), where the key is the target as its report names it
//! (`contoso.com`, `[mail.contoso.com]:587`, `user@contoso.com` → `contoso.com`) in ASCII
//! lower case. FNV-1a is fixed by its definition (offset basis 0xcbf29ce484222325, prime
//! 0x100000001b3, over the key's UTF-8 bytes), so any tool can recompute a shard and every
//! release of this one keeps the same partition.

use std::collections::HashSet;
use std::io::{BufRead, Read};
use std::str::FromStr;

use crate::smtp::escape;
use crate::target::Target;

/// Longest line read from a targets file, in bytes: a host name is at most 253, and a line
/// also holds a port, spaces and a comment. A longer line is a bad line, named in the error.
const MAX_LINE: usize = 1024;
/// Most bad lines named in the error (about a screenful); the error counts the rest (`… and
/// N more`).
const MAX_NAMED: usize = 20;

/// `--shard I/N`: the `I`th of `N` disjoint shares of the target list (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// `I`, from 1 to `count`.
    pub index: u64,
    /// `N`.
    pub count: u64,
}

/// Most shards a list may be cut into: far more jobs than any survey runs, and small enough
/// that `I/N` arithmetic on a line count cannot overflow. A larger N is refused with this
/// range in the message.
pub const MAX_SHARDS: u64 = 1_000_000;

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("'{s}' is not I/N (e.g. 3/8: the third of eight shards)");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let num = |t: &str| {
            t.trim()
                .parse::<u64>()
                .ok()
                .filter(|_| t.trim().bytes().all(|b| b.is_ascii_digit()))
        };
        let (index, count) = num(i).zip(num(n)).ok_or_else(bad)?;
        if count == 0 || count > MAX_SHARDS {
            return Err(format!("{s}: N is out of range (1-{MAX_SHARDS})"));
        }
        if index == 0 || index > count {
            return Err(format!(
                "{s}: I is out of range (1-{count}; shards count from 1)"
            ));
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// FNV-1a, 64 bits.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The text a target is deduplicated and sharded by.
pub fn key(target: &Target) -> String {
    target.to_string().to_ascii_lowercase()
}

impl Shard {
    /// Whether this shard holds the target whose [`key`] is `key`.
    pub fn holds(&self, key: &str) -> bool {
        fnv1a64(key.as_bytes()) % self.count == self.index - 1
    }
}

/// A line of a targets file that is not a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line number.
    pub line: usize,
    /// Why, with the line's text escaped.
    pub reason: String,
}

/// Why a targets file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// Reading it failed.
    #[error("cannot read the targets file {name}")]
    Read {
        /// The file as given.
        name: String,
        /// The cause.
        source: std::io::Error,
    },
    /// It holds no target (only comments and blank lines, or nothing).
    #[error("the targets file {name} holds no target")]
    Empty {
        /// The file as given.
        name: String,
    },
    /// Not a list of targets at all.
    #[error("the targets file {name} is not a list of targets: {why}")]
    NotText {
        /// The file as given.
        name: String,
        /// Why.
        why: String,
    },
    /// Lines that are no target.
    #[error("{}", bad_lines(.name, .lines, *.total))]
    BadLines {
        /// The file as given.
        name: String,
        /// The first bad lines.
        lines: Vec<BadLine>,
        /// How many lines were bad.
        total: usize,
    },
}

fn bad_lines(name: &str, lines: &[BadLine], total: usize) -> String {
    let mut s = format!(
        "{total} {} of the targets file {name} {} no target; nothing was probed:",
        if total == 1 { "line" } else { "lines" },
        if total == 1 { "is" } else { "are" }
    );
    for l in lines {
        s.push_str(&format!("\n  line {}: {}", l.line, l.reason));
    }
    if total > lines.len() {
        s.push_str(&format!("\n  … and {} more", total - lines.len()));
    }
    s
}

/// Longest line skipped before the input is judged not to be a list of targets (1 MiB): no
/// list of names has such a line; `/dev/zero` or a binary file does, and the error says so
/// (`line N runs on for more than 1 MiB`) instead of reading it to the end.
const MAX_SKIP: usize = 1 << 20;

/// Reads the targets of a list, in order, handing each to `each` as it is read (so a shard
/// keeps only its own): one per line; `#` starts a comment; blank lines, a UTF-8 byte-order
/// mark at the start of any line and Windows line ends are ignored. Every bad line is counted and the first
/// [`MAX_NAMED`] named.
pub fn parse(name: &str, reader: impl Read, mut each: impl FnMut(Target)) -> Result<(), ListError> {
    let mut reader = std::io::BufReader::new(reader);
    let read_error = |source| ListError::Read {
        name: name.to_string(),
        source,
    };
    let (mut bad, mut total) = (Vec::new(), 0);
    let mut buf = Vec::new();
    let mut n = 0;
    loop {
        buf.clear();
        let read = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(read_error)?;
        if read == 0 {
            break;
        }
        n += 1;
        if n == 1 && (buf.starts_with(b"\xff\xfe") || buf.starts_with(b"\xfe\xff")) {
            return Err(ListError::NotText {
                name: name.to_string(),
                why: "it is UTF-16 text (as Windows PowerShell's Out-File writes it): save it as UTF-8".into(),
            });
        }
        let outcome = if buf.len() > MAX_LINE && buf.last() != Some(&b'\n') {
            if !skip_line(&mut reader).map_err(read_error)? {
                return Err(ListError::NotText {
                    name: name.to_string(),
                    why: format!("line {n} runs on for more than 1 MiB"),
                });
            }
            Err(format!("longer than {MAX_LINE} bytes"))
        } else {
            line(&buf)
        };
        match outcome {
            Ok(Some(t)) => each(t),
            Ok(None) => {}
            Err(reason) => {
                total += 1;
                if bad.len() < MAX_NAMED {
                    bad.push(BadLine { line: n, reason });
                }
            }
        }
    }
    if total > 0 {
        return Err(ListError::BadLines {
            name: name.to_string(),
            lines: bad,
            total,
        });
    }
    Ok(())
}

/// Skips the rest of a line without keeping it; `false` when no line end came within
/// [`MAX_SKIP`] bytes (`/dev/zero`, a binary file).
fn skip_line(reader: &mut impl BufRead) -> std::io::Result<bool> {
    let mut skipped = 0;
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok(true);
        }
        match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => {
                reader.consume(i + 1);
                return Ok(true);
            }
            None => {
                let len = chunk.len();
                reader.consume(len);
                skipped += len;
                if skipped > MAX_SKIP {
                    return Ok(false);
                }
            }
        }
    }
}

/// One line: a target, nothing (blank or a comment), or why not.
fn line(raw: &[u8]) -> Result<Option<Target>, String> {
    // A byte-order mark starts a file saved by Windows tools, and so any line of lists
    // joined with `cat`.
    let raw = raw.strip_prefix(b"\xef\xbb\xbf").unwrap_or(raw);
    let Ok(text) = std::str::from_utf8(raw) else {
        return Err(format!("not UTF-8: '{}'", escape(raw.trim_ascii())));
    };
    let text = text.split('#').next().unwrap_or_default().trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.split_whitespace().nth(1).is_some() || text.contains(',') || text.contains(';') {
        return Err(format!(
            "'{}': one target per line (a comment starts with #)",
            escape(text.as_bytes())
        ));
    }
    Target::from_str(text)
        .map(Some)
        // The parser quotes the text it refuses: escape its message too.
        .map_err(|e| {
            format!(
                "'{}': {}",
                escape(text.as_bytes()),
                escape(e.to_string().as_bytes())
            )
        })
}

/// The targets of a run (of its shard, with `--shard`), each once, in the order first given.
#[derive(Debug, Default)]
pub struct Targets {
    /// The distinct targets of the shard.
    pub list: Vec<Target>,
    /// How many of the shard's were given again (and are checked once).
    pub repeats: usize,
    /// How many targets were given in all, every shard and every repeat counted.
    pub given: usize,
    shard: Option<Shard>,
    seen: HashSet<String>,
}

impl Targets {
    /// No targets yet; `shard` keeps only its own.
    pub fn new(shard: Option<Shard>) -> Self {
        Targets {
            shard,
            ..Targets::default()
        }
    }

    /// Adds `t`, unless another shard holds it or it was given before (by [`key`]; a
    /// repeat always falls in the same shard, so each shard finds its own repeats).
    pub fn add(&mut self, t: Target) {
        self.given += 1;
        let k = key(&t);
        if self.shard.is_some_and(|s| !s.holds(&k)) {
            return;
        }
        if self.seen.insert(k) {
            self.list.push(t);
        } else {
            self.repeats += 1;
        }
    }

    /// The shard kept, if any.
    pub fn shard(&self) -> Option<Shard> {
        self.shard
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn parsed(text: &str) -> Result<Vec<String>, ListError> {
        let mut v = Vec::new();
        parse("targets.txt", text.as_bytes(), |t| v.push(t.to_string()))?;
        Ok(v)
    }

    #[test]
    fn a_file_has_comments_blanks_a_bom_and_windows_line_ends() {
        let text = "\u{feff}# customers\r\ncontoso.com\r\n\r\n\u{feff}# joined by cat\r\n  fabrikam.com   # ticket 42\n\
                    [mail.contoso.com]:587\nuser@Northwind.example\n# end";
        assert_eq!(
            parsed(text).unwrap(),
            [
                "contoso.com",
                "fabrikam.com",
                "[mail.contoso.com]:587",
                "northwind.example"
            ]
        );
        assert_eq!(parsed("").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn every_bad_line_is_named_escaped_and_nothing_is_kept() {
        let text = "contoso.com\ncontoso.com fabrikam.com\n[oops\n\x1b[31mred\nok.example\n";
        let e = parsed(text).unwrap_err().to_string();
        assert!(
            e.starts_with("3 lines of the targets file targets.txt are no target"),
            "{e}"
        );
        assert!(
            e.contains("line 2: 'contoso.com fabrikam.com': one target per line"),
            "{e}"
        );
        assert!(e.contains("line 3: '[oops'"), "{e}");
        assert!(e.contains("line 4: '\\x1b[31mred'"), "{e}");
        assert!(!e.contains('\x1b'), "{e}");
    }

    #[test]
    fn overlong_and_non_utf8_lines_are_bad_lines_and_reading_goes_on() {
        let mut text = "a.example\n".to_string().into_bytes();
        text.extend(std::iter::repeat_n(b'x', 5000));
        text.extend(b"\nb\xffc.example\nc.example\n");
        let e = parse("f", &text[..], |_| {}).unwrap_err();
        let ListError::BadLines { lines, total, .. } = e else {
            panic!("{e}")
        };
        assert_eq!(total, 2);
        assert_eq!(lines[0].line, 2);
        assert!(lines[0].reason.contains("longer than 1024"));
        assert_eq!(lines[1].line, 3);
        assert!(
            lines[1].reason.contains("not UTF-8: 'b\\xffc.example'"),
            "{}",
            lines[1].reason
        );
    }

    #[test]
    fn more_than_twenty_bad_lines_are_counted() {
        let text = "[x\n".repeat(25);
        let e = parsed(&text).unwrap_err().to_string();
        assert!(e.starts_with("25 lines"), "{e}");
        assert_eq!(e.matches("\n  line ").count(), 20);
        assert!(e.ends_with("… and 5 more"), "{e}");
    }

    #[test]
    fn repeats_are_checked_once_in_first_order() {
        let t = |s: &str| Target::from_str(s).unwrap();
        let mut d = Targets::new(None);
        for s in [
            "contoso.com",
            "b.example",
            "CONTOSO.com",
            "x@contoso.com",
            "[contoso.com]",
        ] {
            d.add(t(s));
        }
        assert_eq!(d.given, 5);
        let names: Vec<String> = d.list.iter().map(ToString::to_string).collect();
        assert_eq!(names, ["contoso.com", "b.example", "[contoso.com]"]);
        assert_eq!(d.repeats, 2);
    }

    #[test]
    fn fnv1a_64_is_the_published_function() {
        // Test vectors of the FNV reference (draft-eastlake-fnv): "", "a", "foobar".
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn shards_partition_a_list_exactly() {
        let targets: Vec<Target> = (0..1000)
            .map(|i| Target::from_str(&format!("d{i:04}.example")).unwrap())
            .collect();
        for n in 1..=7 {
            let mut seen = vec![0u32; targets.len()];
            let mut sizes = Vec::new();
            for i in 1..=n {
                let shard = Shard { index: i, count: n };
                let mut mine = Targets::new(Some(shard));
                // Each target twice: a repeat falls in the same shard and is dropped there.
                for t in targets.iter().chain(&targets) {
                    mine.add(t.clone());
                }
                assert_eq!(mine.given, 2000);
                assert_eq!(mine.repeats, mine.list.len());
                sizes.push(mine.list.len());
                for t in &mine.list {
                    let k = targets.iter().position(|x| x == t).unwrap();
                    seen[k] += 1;
                }
            }
            assert!(
                seen.iter().all(|&c| c == 1),
                "N={n}: every target in exactly one shard"
            );
            // FNV spreads names evenly: no shard is empty or holds twice its share.
            let share = 1000 / n as usize;
            assert!(
                sizes.iter().all(|&s| s > share / 2 && s < share * 2),
                "N={n}: {sizes:?}"
            );
        }
    }

    #[test]
    fn a_shard_is_i_of_n_counted_from_one() {
        assert_eq!("3/8".parse::<Shard>(), Ok(Shard { index: 3, count: 8 }));
        assert_eq!("1/1".parse::<Shard>().unwrap().to_string(), "1/1");
        for bad in ["0/8", "9/8", "1/0", "3", "a/b", "-1/8", "1/2000000", "+1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert!(
            "0/8"
                .parse::<Shard>()
                .unwrap_err()
                .contains("shards count from 1")
        );
    }

    #[test]
    fn the_shard_of_a_target_is_its_documented_hash() {
        // The README's worked example: contoso.com is in shard 4 of 8, however it is written.
        for written in ["contoso.com", "Contoso.com.", "user@CONTOSO.com"] {
            let t = Target::from_str(written).unwrap();
            assert_eq!(key(&t), "contoso.com");
            let mut mine = Targets::new(Some(Shard { index: 4, count: 8 }));
            mine.add(t);
            assert_eq!(mine.list.len(), 1, "{written}");
        }
        assert_eq!(fnv1a64(b"contoso.com") % 8 + 1, 4);
        let t = Target::from_str("[Mail.Contoso.com]:587").unwrap();
        assert_eq!(key(&t), "[mail.contoso.com]:587");
    }

    #[test]
    fn a_line_that_runs_on_is_skipped_without_being_kept_and_utf16_is_named() {
        // /dev/zero as a list: no line end within 1 MiB stops the reading at once.
        let zeros = std::io::repeat(0).take(64 << 20);
        let e = parse("/dev/zero", zeros, |_| {}).unwrap_err().to_string();
        assert!(e.contains("line 1 runs on for more than 1 MiB"), "{e}");
        let utf16: Vec<u8> = "\u{feff}contoso.com\r\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let e = parse("list.txt", &utf16[..], |_| {})
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("UTF-16 text") && e.contains("save it as UTF-8"),
            "{e}"
        );
    }
}
