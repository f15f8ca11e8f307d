//! Base64 (RFC 4648 §4, the standard alphabet, as .NET's `Convert.ToBase64String` writes it)
//! for the collection script's `derBase64`. Whitespace is skipped (a wrapped or pretty-printed
//! value), padding is optional, anything else is an error.

/// The bytes `s` encodes, or `None` when it is not base64.
pub(super) fn decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    let mut padding = 0usize;
    for b in s.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                padding += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\n' => continue,
            _ => return None,
        };
        if padding > 0 {
            // Data after `=`.
            return None;
        }
        acc = ((acc << 6) | u32::from(v)) & 0xFFFF;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xFF) as u8);
        }
    }
    // Leftover bits must be zero padding of the last group (at most 4 bits), and at most
    // two `=`.
    if padding > 2 || bits >= 6 || (acc & ((1 << bits) - 1)) != 0 {
        return None;
    }
    Some(out)
}
