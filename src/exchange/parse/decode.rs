//! Bytes → text. Windows PowerShell 5.1 writes UTF-16LE with a BOM for `>` and `Out-File`,
//! PowerShell 6+ writes UTF-8 without one, and a paste through a Windows clipboard tool may
//! land in the ANSI code page. Source: Microsoft Learn, "about_Character_Encoding" ("In
//! Windows PowerShell … Out-File and the redirection operators > and >> create UTF-16LE").
//!
//! No-break spaces (a browser's copy of a forum page) become spaces.
//!
//! Order: a BOM decides; else a UTF-16 file without BOM is told by its NUL bytes (ASCII text
//! in UTF-16LE has a NUL in every odd byte); else UTF-8 when the bytes are valid UTF-8 (or
//! only cut inside the last character, as the 8 MiB cap can do); else Windows-1252, whose
//! 0x80–0x9F are printable characters (curly quotes, the euro sign), not C1 controls.

/// The bytes as text, and how they were read (`UTF-16LE (BOM)`, `UTF-8`, `Windows-1252`).
pub(super) fn decode(bytes: &[u8]) -> (String, &'static str) {
    let (text, label) = if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        (utf16(rest, u16::from_le_bytes), "UTF-16LE (BOM)")
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        (utf16(rest, u16::from_be_bytes), "UTF-16BE (BOM)")
    } else if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        (utf8_or_1252(rest).0, "UTF-8 (BOM)")
    } else {
        match nul_pattern(bytes) {
            Some(Endian::Little) => (utf16(bytes, u16::from_le_bytes), "UTF-16LE"),
            Some(Endian::Big) => (utf16(bytes, u16::from_be_bytes), "UTF-16BE"),
            None => utf8_or_1252(bytes),
        }
    };
    // A second BOM (a UTF-8 file pasted into a UTF-16 one, or a BOM the decoder kept) says
    // nothing; drop it so the first line reads like any other.
    let mut text = match text.strip_prefix('\u{FEFF}') {
        Some(rest) => rest.to_string(),
        None => text,
    };
    // A forum page copied from the browser turns runs of spaces into no-break spaces
    // (`&nbsp;`); PowerShell never prints one, so they are the page's, not the value's.
    if text.contains('\u{A0}') {
        text = text.replace('\u{A0}', " ");
    }
    (text, label)
}

enum Endian {
    Little,
    Big,
}

/// How much of the input the UTF-16 guess looks at: a few thousand characters decide it
/// either way, and the guess stays cheap on a pasted megabyte. Nothing is cut: the whole
/// input is decoded by what the guess decides.
const SNIFF_BYTES: usize = 4096;

/// UTF-16 without a BOM: in the first 4 KiB, most odd (LE) or even (BE) bytes are NUL and
/// the others are not. Text in any 8-bit encoding has no NULs at all.
fn nul_pattern(bytes: &[u8]) -> Option<Endian> {
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    let pairs = head.len() / 2;
    if pairs < 2 {
        return None;
    }
    let even = head.iter().step_by(2).filter(|b| **b == 0).count();
    let odd = head.iter().skip(1).step_by(2).filter(|b| **b == 0).count();
    // More than 40 % of the expected NULs, and at most a tenth of that on the other side.
    if odd * 5 > pairs * 2 && even * 10 <= odd {
        Some(Endian::Little)
    } else if even * 5 > pairs * 2 && odd * 10 <= even {
        Some(Endian::Big)
    } else {
        None
    }
}

/// UTF-16 code units → text; an odd last byte (a cut file) is dropped, unpaired surrogates
/// become U+FFFD.
fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|pair| unit([pair[0], pair[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

/// UTF-8 when valid (an incomplete last character is dropped: the input cap cuts anywhere),
/// else Windows-1252.
fn utf8_or_1252(bytes: &[u8]) -> (String, &'static str) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), "UTF-8"),
        Err(e) if e.error_len().is_none() => (
            String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned(),
            "UTF-8",
        ),
        Err(_) => (bytes.iter().map(|b| cp1252(*b)).collect(), "Windows-1252"),
    }
}

/// One Windows-1252 byte. The five unassigned positions (0x81, 0x8D, 0x8F, 0x90, 0x9D) map to
/// the C1 control of the same number, as Windows' own conversion does.
fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '\u{20AC}', '\u{81}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}',
        '\u{2021}', '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{8D}',
        '\u{017D}', '\u{8F}', '\u{90}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}',
        '\u{2013}', '\u{2014}', '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}',
        '\u{9D}', '\u{017E}', '\u{0178}',
    ];
    match b {
        0x80..=0x9F => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}
