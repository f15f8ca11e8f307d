//! A paste copied out of a web page's source (a blog's `<pre>` block with syntax
//! highlighting: `CN<span style="…">=</span>mail`, `&#91;PS&#93;`, `&gt;`, `&nbsp;`) is
//! turned back into the text the console printed, but only when the input clearly is HTML:
//! it holds a tag of the few that wrap pasted code (`<pre>`, `<span>`, `<code>`, `<br>`…).
//! `<I>` and `<S>` are Exchange's own markers in `TlsCertificateName`, so `i`, `s`, `b` and
//! `u` are never taken for tags, and text without a known tag keeps its `&amp;` as typed.
//!
//! Tags become nothing (or the line breaks inside them, so line numbers still point into the
//! input), except a `<br>` not already at a line's end, which becomes one. Entities are
//! decoded after the tags are gone, so an escaped `&lt;span&gt;` stays text.

/// Tags that wrap code in a page; any other `<word>` is left alone.
const TAGS: [&str; 24] = [
    "a",
    "blockquote",
    "br",
    "code",
    "div",
    "em",
    "font",
    "hr",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "samp",
    "span",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "tt",
    "ul",
];

/// The longest tag looked for (a `<span style="…">` is well under this).
const MAX_TAG_LEN: usize = 1024;

/// The text without its markup, when it is HTML; `None` when it is not.
pub(super) fn strip(text: &str) -> Option<String> {
    if !has_known_tag(text) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        let from = &rest[at..];
        match tag_len(from) {
            Some((len, is_br)) => {
                let tag = &from[..len];
                let newlines = tag.matches('\n').count();
                let after = &from[len..];
                if is_br && !(after.starts_with('\n') || after.starts_with("\r\n")) {
                    out.push('\n');
                }
                for _ in 0..newlines {
                    out.push('\n');
                }
                rest = after;
            }
            None => {
                out.push('<');
                rest = &from[1..];
            }
        }
    }
    out.push_str(rest);
    Some(decode_entities(&out))
}

/// Whether a tag from [`TAGS`] opens or closes anywhere in `text`.
fn has_known_tag(text: &str) -> bool {
    let mut rest = text;
    while let Some(at) = rest.find('<') {
        let from = &rest[at..];
        if tag_len(from).is_some() {
            return true;
        }
        rest = &from[1..];
    }
    false
}

/// The byte length of the known tag `s` starts with (`<span …>`, `</pre>`, `<br/>`), and
/// whether it is a `<br>`.
fn tag_len(s: &str) -> Option<(usize, bool)> {
    let body = s.strip_prefix('<')?;
    let body = body.strip_prefix('/').unwrap_or(body);
    let name_len = body
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    let name = &body[..name_len];
    if !TAGS.iter().any(|t| t.eq_ignore_ascii_case(name)) {
        return None;
    }
    let next = body[name_len..].chars().next()?;
    if !(next == '>' || next == '/' || next.is_whitespace()) {
        return None;
    }
    // Up to the first `>`; another `<` first means it was not a tag after all (`<span`
    // followed by text). Stopping at either keeps the work linear in the input.
    let mut limit = s.len().min(MAX_TAG_LEN);
    while !s.is_char_boundary(limit) {
        limit -= 1;
    }
    let window = &s[1..limit];
    let end = window.find(['<', '>'])?;
    if !window[end..].starts_with('>') {
        return None;
    }
    Some((end + 2, name.eq_ignore_ascii_case("br")))
}

/// How far after `&` its `;` is looked for: the longest reference read (`&#x10FFFF;`, `&nbsp;`)
/// is 10 bytes; a longer run is not a reference and stays as written, so nothing is lost.
const MAX_ENTITY_LEN: usize = 12;

/// `&gt;` `&lt;` `&amp;` `&quot;` `&apos;` `&nbsp;` `&#91;` `&#x5B;`; others stay as written.
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let from = &rest[at..];
        // An entity's name is short and ASCII: look for its `;` among the next bytes only.
        let semi = from
            .bytes()
            .take(MAX_ENTITY_LEN)
            .position(|b| b == b';')
            .filter(|end| from[1..*end].is_ascii());
        let decoded = semi.and_then(|end| entity(&from[1..end]).map(|c| (c, end + 1)));
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &from[len..];
            }
            None => {
                out.push('&');
                rest = &from[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    match name {
        "gt" => Some('>'),
        "lt" => Some('<'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        // A page's no-break space is layout, not the value's (as in decode.rs).
        "nbsp" => Some(' '),
        _ => {
            let digits = name.strip_prefix('#')?;
            let code = match digits.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => digits.parse::<u32>().ok()?,
            };
            let c = char::from_u32(code)?;
            // A control character from an entity would only confuse the line reader.
            (!c.is_control() || c == '\t').then_some(c)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_entities_are_removed_and_decoded() {
        let html = "<pre class=\"x\">&#91;PS&#93; C:\\<span style=\"color: pink;\">&gt;</span>Get\n\
                    CN<span>=</span>a<span>,</span> O<span>=</span>b&nbsp;&amp;&#x41;</pre>";
        assert_eq!(strip(html).as_deref(), Some("[PS] C:\\>Get\nCN=a, O=b &A"));
    }

    #[test]
    fn exchange_markers_and_unknown_words_are_not_tags() {
        assert_eq!(strip("<I>CN=a<S>CN=b &amp;"), None);
        assert_eq!(
            strip("<span>x</span> <I>CN=a<S>CN=b <spanner> &bogus; &#0;").as_deref(),
            Some("x <I>CN=a<S>CN=b <spanner> &bogus; &#0;")
        );
    }

    #[test]
    fn line_breaks_inside_tags_and_br_keep_lines_apart() {
        assert_eq!(
            strip("a<span\nstyle=x>b</span><br>c<br/>\nd").as_deref(),
            Some("a\nb\nc\nd")
        );
        // An unclosed tag is text.
        assert_eq!(strip("<pre>a <span b").as_deref(), Some("a <span b"));
    }
}
