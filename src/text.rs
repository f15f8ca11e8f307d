//! The one classifier of characters that must never reach output raw, and the escapes built on
//! it.
//!
//! A diagnostic tool quotes what hostile peers and pasted text supply (banners, EHLO greetings,
//! certificate names, connector names). A character that is invisible or that rearranges the
//! line around it makes the quote read differently from what it is: bidi overrides and
//! isolates reorder text (CVE-2021-42574), U+2028/U+2029 end a line in editors and in
//! JavaScript before ES2019, tag characters (U+E0020–E007F) carry hidden ASCII, interlinear
//! annotation marks hide text in some renderers, a soft hyphen vanishes. Every escape in the
//! crate asks [`is_hidden`]: the control characters (Cc), and the format (Cf), line separator
//! (Zl) and paragraph separator (Zp) characters of Unicode, nothing else.

use std::fmt::Write as _;

/// Every code point of general category Cf (format), as inclusive ranges, from
/// `DerivedGeneralCategory.txt` of Unicode 16.0 (the same as 15.0 and 15.1; 15.0 added
/// U+13439–1343F). A test checks it against the Cf list of Python's `unicodedata`
/// (`tests/data/unicode-format-14.0.txt`, Unicode 14.0) plus that one addition.
pub(crate) const FORMAT: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),   // SOFT HYPHEN
    (0x0600, 0x0605),   // ARABIC NUMBER SIGN..ARABIC NUMBER MARK ABOVE
    (0x061C, 0x061C),   // ARABIC LETTER MARK
    (0x06DD, 0x06DD),   // ARABIC END OF AYAH
    (0x070F, 0x070F),   // SYRIAC ABBREVIATION MARK
    (0x0890, 0x0891),   // ARABIC POUND MARK ABOVE..ARABIC PIASTRE MARK ABOVE
    (0x08E2, 0x08E2),   // ARABIC DISPUTED END OF AYAH
    (0x180E, 0x180E),   // MONGOLIAN VOWEL SEPARATOR
    (0x200B, 0x200F),   // ZERO WIDTH SPACE..RIGHT-TO-LEFT MARK
    (0x202A, 0x202E),   // LEFT-TO-RIGHT EMBEDDING..RIGHT-TO-LEFT OVERRIDE
    (0x2060, 0x2064),   // WORD JOINER..INVISIBLE PLUS
    (0x2066, 0x206F),   // LEFT-TO-RIGHT ISOLATE..NOMINAL DIGIT SHAPES
    (0xFEFF, 0xFEFF),   // ZERO WIDTH NO-BREAK SPACE (BOM)
    (0xFFF9, 0xFFFB),   // INTERLINEAR ANNOTATION ANCHOR..TERMINATOR
    (0x110BD, 0x110BD), // KAITHI NUMBER SIGN
    (0x110CD, 0x110CD), // KAITHI NUMBER SIGN ABOVE
    (0x13430, 0x1343F), // EGYPTIAN HIEROGLYPH VERTICAL JOINER..END WALLED ENCLOSURE
    (0x1BCA0, 0x1BCA3), // SHORTHAND FORMAT LETTER OVERLAP..UP STEP
    (0x1D173, 0x1D17A), // MUSICAL SYMBOL BEGIN BEAM..END PHRASE
    (0xE0001, 0xE0001), // LANGUAGE TAG
    (0xE0020, 0xE007F), // TAG SPACE..CANCEL TAG
];

/// A format character (general category Cf): invisible, yet it changes how the text around it
/// is shown or read.
pub(crate) fn is_format(c: char) -> bool {
    let c = u32::from(c);
    // The table is sorted: the last range starting at or below `c` is the only candidate.
    let i = FORMAT.partition_point(|&(start, _)| start <= c);
    i > 0 && c <= FORMAT[i - 1].1
}

/// U+2028 LINE SEPARATOR (Zl) and U+2029 PARAGRAPH SEPARATOR (Zp): a line break to editors,
/// terminals that honour them and JavaScript before ES2019, though not to a line reader.
pub(crate) fn is_separator(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}')
}

/// A character never written raw: a C0 or C1 control or DEL (Cc), a format character (Cf), or
/// a line or paragraph separator (Zl, Zp).
pub(crate) fn is_hidden(c: char) -> bool {
    c.is_control() || is_format(c) || is_separator(c)
}

/// Text with every [`is_hidden`] character written as `\u{XXXX}` (Rust's notation, which a
/// reader can look up), everything else as it is. A backslash stays one: pasted Exchange
/// identities hold it (`EX01\Default Frontend EX01`). Cleaning clean text changes nothing.
pub(crate) fn braced(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_hidden(c) {
            push_braced(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

fn push_braced(out: &mut String, c: char) {
    let _ = write!(out, "\\u{{{:04X}}}", u32::from(c));
}

/// The last guard before bytes leave the process (see `report::emit`): every renderer already
/// escapes what it quotes, so this changes nothing unless one forgot. It writes any
/// [`is_hidden`] character except a newline, a tab and the colour sequences (`ESC [ digits ;
/// … m`) the human renderer writes as `\uXXXX` (a surrogate pair above U+FFFF): the notation
/// of JSON, so that a JSON document stays valid and means the same text if a raw character
/// ever reached this point inside one of its strings, and readable in any other format. Any
/// other escape sequence (a title, a screen clear) is shown, not run.
pub(crate) fn guard_output(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| is_hidden(c) && c != '\n' && c != '\t') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let len = if c == '\x1b' { sgr_len(rest) } else { 0 };
        if len > 0 {
            out.push_str(&rest[..len]);
            rest = &rest[len..];
            continue;
        }
        if is_hidden(c) && c != '\n' && c != '\t' {
            push_json_escape(&mut out, c);
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    std::borrow::Cow::Owned(out)
}

/// `c` as JSON writes an escaped character: `\uXXXX`, lower-case hex as serde_json writes
/// it, a surrogate pair above U+FFFF (RFC 8259 §7).
pub(crate) fn push_json_escape(out: &mut String, c: char) {
    let mut units = [0u16; 2];
    for unit in c.encode_utf16(&mut units) {
        let _ = write!(out, "\\u{unit:04x}");
    }
}

/// The length of a colour (SGR) sequence at the start of `s`, `ESC [` digits and `;` then `m`,
/// or 0 when `s` does not start with one.
fn sgr_len(s: &str) -> usize {
    let Some(params) = s.strip_prefix("\x1b[") else {
        return 0;
    };
    let n = params
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b';')
        .count();
    if params.as_bytes().get(n) == Some(&b'm') {
        2 + n + 1
    } else {
        0
    }
}

/// A duration in seconds as messages write it, rounded to the millisecond and without
/// trailing zeros: `2s`, `1.5s`, `0.497s` (never `0.49662906s`, nor a `0.0s` that hides a
/// wait of 40 ms).
pub(crate) fn seconds(d: std::time::Duration) -> String {
    let ms = (d.as_micros() + 500) / 1000;
    let (whole, frac) = (ms / 1000, ms % 1000);
    if frac == 0 {
        return format!("{whole}s");
    }
    let frac = format!("{frac:03}");
    format!("{whole}.{}s", frac.trim_end_matches('0'))
}

#[cfg(test)]
mod tests;
