use proptest::prelude::*;

use super::*;
use crate::smtp::escape;

/// The code points of Unicode 15.0 that were unassigned in 14.0 and are Cf since: the
/// Egyptian hieroglyph format controls U+13439–1343F. Nothing else differs up to 16.0.
const ADDED_AFTER_14: std::ops::RangeInclusive<u32> = 0x13439..=0x1343F;

#[test]
fn the_table_is_every_format_separator_of_the_unicode_data() {
    let data = include_str!("../../tests/data/unicode-format-14.0.txt");
    let mut listed = std::collections::BTreeSet::new();
    for line in data.lines().filter(|l| !l.starts_with('#')) {
        let (hex, cat) = line.split_once(' ').unwrap();
        let cp = u32::from_str_radix(hex, 16).unwrap();
        let c = char::from_u32(cp).unwrap();
        match cat {
            "Cf" => assert!(is_format(c), "U+{hex} is Cf"),
            "Zl" | "Zp" => assert!(is_separator(c), "U+{hex} is {cat}"),
            other => panic!("unexpected category {other}"),
        }
        assert!(is_hidden(c));
        listed.insert(cp);
    }
    // And nothing else: every code point the table holds is in the data or was added after it.
    for &(start, end) in FORMAT {
        for cp in start..=end {
            assert!(
                listed.contains(&cp) || ADDED_AFTER_14.contains(&cp),
                "U+{cp:04X} is in the table but not Cf"
            );
        }
    }
    assert_eq!(listed.len(), 163 + 2);
    let sorted = FORMAT.windows(2).all(|w| w[0].1 < w[1].0);
    assert!(sorted, "the binary search needs sorted, disjoint ranges");
}

#[test]
fn the_cases_the_issue_names_are_hidden() {
    for c in [
        '\u{2028}',
        '\u{2029}',
        '\u{00AD}',
        '\u{FFF9}',
        '\u{FFFA}',
        '\u{FFFB}',
        '\u{E0001}',
        '\u{E0041}',
        '\u{E007F}',
        '\u{202E}',
        '\u{2066}',
        '\u{200B}',
        '\u{FEFF}',
        '\u{0085}',
        '\u{009B}',
        '\x1b',
        '\x7f',
        '\0',
    ] {
        assert!(is_hidden(c), "U+{:04X}", u32::from(c));
    }
    for c in [
        'a',
        ' ',
        '\u{e9}',
        '\u{2065}',
        '\u{13438}',
        '\u{1F600}',
        '\u{FE0F}',
    ] {
        assert_eq!(is_hidden(c), c == '\u{13438}', "U+{:04X}", u32::from(c));
    }
}

#[test]
fn the_output_guard_keeps_colour_and_shows_everything_else() {
    let coloured = "\x1b[1;31mFAIL\x1b[0m line\n\tindented";
    assert_eq!(guard_output(coloured), coloured);
    assert!(matches!(
        guard_output("plain\n"),
        std::borrow::Cow::Borrowed(_)
    ));
    assert_eq!(
        guard_output("a\u{202E}b\x1b]0;title\x07\x1b[2J\r\u{2028}"),
        "a\\u202eb\\u001b]0;title\\u0007\\u001b[2J\\u000d\\u2028"
    );
    assert_eq!(guard_output("\x1b["), "\\u001b[");
    assert_eq!(guard_output("tag\u{E0041}"), "tag\\udb40\\udc41");
    // A raw character inside a JSON string comes out as the same string, still valid JSON.
    let doc = "{\"a\": \"x\u{202E}\u{E0041}\u{85}y\"}";
    let back: serde_json::Value = serde_json::from_str(&guard_output(doc)).unwrap();
    assert_eq!(back["a"], "x\u{202E}\u{E0041}\u{85}y");
}

/// Undoes [`escape`]: `\\`, `\r`, `\n`, `\t` and `\xNN` back to bytes.
fn unescape(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = s.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let (&k, tail) = rest.split_first().expect("a lone backslash");
        rest = tail;
        match k {
            b'\\' => out.push(b'\\'),
            b'r' => out.push(b'\r'),
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'x' => {
                let hex = std::str::from_utf8(&rest[..2]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                rest = &rest[2..];
            }
            other => panic!("unknown escape \\{}", other as char),
        }
    }
    out
}

/// Characters worth mixing in: every hidden kind, a backslash, letters and wide characters.
fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        any::<char>(),
        prop::sample::select(vec![
            '\\',
            '\u{2028}',
            '\u{2029}',
            '\u{00AD}',
            '\u{FFF9}',
            '\u{E0041}',
            '\u{202E}',
            '\u{2066}',
            '\u{200D}',
            '\u{FEFF}',
            '\u{0085}',
            '\x1b',
            '\x7f',
            '\r',
            '\n',
            'x',
            '{',
            '}',
            'u',
            '\u{13439}',
            '\u{1D173}',
        ]),
    ]
}

fn tricky_string() -> impl Strategy<Value = String> {
    prop::collection::vec(tricky_char(), 0..40).prop_map(|v| v.into_iter().collect())
}

fn tricky_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..60),
        tricky_string().prop_map(String::into_bytes),
    ]
}

proptest! {
    #[test]
    fn escape_never_emits_a_hidden_character_and_is_reversible(bytes in tricky_bytes()) {
        let e = escape(&bytes);
        prop_assert!(!e.chars().any(is_hidden), "{e:?}");
        prop_assert!(!e.bytes().any(|b| b < 0x20 || b == 0x7f), "{e:?}");
        prop_assert_eq!(unescape(&e), bytes);
    }

    #[test]
    fn braced_never_emits_a_hidden_character_and_is_idempotent(s in tricky_string()) {
        let once = braced(&s);
        prop_assert!(!once.chars().any(is_hidden), "{once:?}");
        prop_assert_eq!(braced(&once), once.clone());
    }

    #[test]
    fn the_output_guard_leaves_only_newlines_tabs_and_colour(s in tricky_string()) {
        let g = guard_output(&s);
        // What is left of the ESCs: each starts a colour sequence.
        for (i, c) in g.char_indices() {
            if is_hidden(c) {
                prop_assert!(c == '\n' || c == '\t' || sgr_len(&g[i..]) > 0, "{g:?}");
            }
        }
    }

    #[test]
    fn json_strings_parse_back_and_hold_no_raw_separator_or_format(s in tricky_string()) {
        for text in [
            crate::report::json::pretty(&serde_json::json!({ s.clone(): [s.clone()] })),
            crate::report::json::line(&serde_json::json!({ s.clone(): [s.clone()] })),
        ] {
            prop_assert!(!text.chars().any(|c| is_hidden(c) && c != '\n'), "{text:?}");
            let back: serde_json::Value = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(&back[&s][0], &serde_json::Value::String(s.clone()));
        }
    }
}

/// Issue 14, item 9: durations in messages are rounded to the millisecond.
#[test]
fn seconds_are_rounded_to_the_millisecond() {
    use std::time::Duration;
    assert_eq!(seconds(Duration::from_nanos(496_629_060)), "0.497s");
    assert_eq!(seconds(Duration::from_secs(2)), "2s");
    assert_eq!(seconds(Duration::from_millis(1500)), "1.5s");
    assert_eq!(seconds(Duration::from_millis(40)), "0.04s");
    assert_eq!(seconds(Duration::from_micros(1_999_600)), "2s");
    assert_eq!(seconds(Duration::ZERO), "0s");
}
