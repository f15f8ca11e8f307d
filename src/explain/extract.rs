//! What a pasted text holds, before any matching: reply codes, enhanced status codes, the
//! remote server's quoted reply, host names and addresses, connectors, the port, Exchange
//! protocol-log lines and Postfix deferrals.
//!
//! Pasted text is hostile: it is cut at [`MAX_TEXT`] (on a character boundary), scanned in
//! linear passes without backtracking, and every string kept is escaped with
//! [`crate::smtp::escape`] and cut at [`MAX_FIELD`] characters; lists stop at [`MAX_ITEMS`]. A
//! host name is kept only when it is a valid host name, an address only when it parses.
//!
//! # References
//! - RFC 5321 §4.2 (reply codes), RFC 3463 (enhanced status codes `class.subject.detail`)
//! - Microsoft Learn, "Email non-delivery reports and SMTP errors in Exchange Online" and
//!   "Run a message trace and view the results" (`[Message=…]`, `LastAttemptedServerName`,
//!   `LastAttemptedIP`)
//! - Microsoft Learn, "Protocol logging" (Exchange Server): the CSV fields `date-time,
//!   connector-id, session-id, sequence-number, local-endpoint, remote-endpoint, event, data,
//!   context`, events `>` (sent), `<` (received), `*` (information)
//! - Postfix: smtp(8) delivery status lines (`relay=host[ip]:port, …, status=deferred (…)`)

use std::net::IpAddr;

use super::{Extracted, MAX_TEXT};
use crate::smtp::escape;

/// The longest string kept from the text (characters, after escaping).
pub const MAX_FIELD: usize = 512;

/// The most items kept in each list: a real NDR or queue error names a handful of hosts,
/// addresses and codes; a paste naming more is a log dump, and its first 32 of each are what
/// matters. A list that held more is named in `capped`, and the answer says so.
pub const MAX_ITEMS: usize = 32;

/// The most Exchange protocol-log lines kept: a conversation is a dozen lines, and four
/// sessions' worth is enough to see the failing one; past that, `capped` says so.
const MAX_LOG_LINES: usize = 4 * MAX_ITEMS;

/// The most `[` read as the start of a bracketed address: each one scans back at most a host
/// name's 253 bytes, so the work stays near a megabyte whatever the text; a text with more is
/// a log dump, and `capped` names `addresses`.
const MAX_BRACKETS: usize = 4096;

/// How far past a field's start its end (`]`, `}`, a closing quote) is looked for before the
/// field is taken as running to there; [`clean`] then bounds what is kept, with `…`.
const MAX_UNCLOSED: usize = 4 * MAX_FIELD;

/// `text` cut at [`MAX_TEXT`] bytes, on a character boundary, and whether it was cut.
pub fn cut(text: &str) -> (&str, bool) {
    if text.len() <= MAX_TEXT {
        return (text, false);
    }
    let mut end = MAX_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], true)
}

/// Escapes `s` and cuts it at [`MAX_FIELD`] characters (`…` marks a cut).
pub fn clean(s: &str) -> String {
    let e = escape(s.trim().as_bytes());
    if e.chars().count() <= MAX_FIELD {
        return e;
    }
    let mut out: String = e.chars().take(MAX_FIELD).collect();
    out.push('…');
    out
}

/// A host name worth probing: valid syntax, at least two labels, not all digits.
pub fn host_name(s: &str) -> Option<String> {
    let s = s.trim().trim_end_matches('.');
    if s.parse::<IpAddr>().is_ok() || !s.contains('.') {
        return None;
    }
    if s.split('.').all(|l| l.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    crate::target::normalize_name(s)
}

/// An address, bare, in brackets, or followed by `:port` (`203.0.113.5:25`, `[2001:db8::5]:25`).
fn address_and_port(s: &str) -> Option<(IpAddr, Option<u16>)> {
    let s = s
        .trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .trim_end_matches('.');
    if let Ok(ip) = s.trim_start_matches('[').trim_end_matches(']').parse() {
        return Some((ip, None));
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (ip, after) = rest.split_once(']')?;
        let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
        return Some((ip.parse().ok()?, port));
    }
    let (ip, port) = s.rsplit_once(':')?;
    Some((ip.parse().ok()?, port.parse().ok()))
}

impl Extracted {
    /// Adds `x` to the list `list` (named `name` in the JSON) unless it is there already; a
    /// new item past [`MAX_ITEMS`] is dropped and the list named in [`Extracted::capped`], so
    /// the answer says that the text held more than it shows.
    fn keep<T: PartialEq>(&mut self, name: &'static str, list: fn(&mut Self) -> &mut Vec<T>, x: T) {
        let v = list(self);
        if v.contains(&x) {
            return;
        }
        if v.len() < MAX_ITEMS {
            v.push(x);
        } else {
            self.cap(name);
        }
    }

    /// Names `list` among those that held more than they keep.
    fn cap(&mut self, list: &'static str) {
        if !self.capped.contains(&list) {
            self.capped.push(list);
        }
    }
}

/// The bytes of a host name (and `*`, for a wildcard TlsDomain).
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'*')
}

/// The word (up to whitespace, `]`, `,`, `;`, a quote or `)`) that starts at `at` in `text`.
fn word_at(text: &str, at: usize) -> &str {
    let rest = &text[at..];
    let rest = rest.trim_start_matches([' ', ':', '=', '\t']);
    let end = rest
        .char_indices()
        .take(MAX_WORD)
        .find(|(_, c)| {
            c.is_whitespace() || matches!(c, ']' | '}' | ',' | ';' | '"' | '\'' | ')' | '(')
        })
        .map_or_else(|| bounded(rest, MAX_WORD), |(i, _)| i);
    &rest[..end]
}

/// The longest word read (a host name is at most 253 bytes).
const MAX_WORD: usize = 300;

/// The byte length of the first `chars` characters of `s`.
fn bounded(s: &str, chars: usize) -> usize {
    s.char_indices().nth(chars).map_or(s.len(), |(i, _)| i)
}

/// Every position after `needle` (lower case) in `lower`.
fn after_all<'a>(lower: &'a str, needle: &'a str) -> impl Iterator<Item = usize> + 'a {
    lower
        .match_indices(needle)
        .map(move |(i, _)| i + needle.len())
}

/// Adds what a `name[ip]` or `name[ip]:port` at `bracket` (the index of `[`) says.
fn name_bracket_ip(text: &str, bracket: usize, out: &mut Extracted, as_sender: bool) {
    let bytes = text.as_bytes();
    let mut start = bracket;
    while start > 0 && is_name_byte(bytes[start - 1]) && bracket - start < 253 {
        start -= 1;
    }
    // An address in brackets is at most 45 bytes (`[` + IPv6 with an IPv4 tail + `]`).
    let window = &bytes[bracket..bytes.len().min(bracket + 48)];
    let Some(close) = window.iter().position(|b| *b == b']').map(|i| bracket + i) else {
        return;
    };
    let Ok(ip) = text[bracket + 1..close].parse::<IpAddr>() else {
        return;
    };
    if as_sender {
        out.keep("sender_addresses", |e| &mut e.sender_addresses, ip);
        return;
    }
    if let Some(name) = host_name(&text[start..bracket]) {
        out.keep("hosts", |e| &mut e.hosts, name);
    }
    out.keep("addresses", |e| &mut e.addresses, ip);
    if out.port.is_none() && bytes.get(close + 1) == Some(&b':') {
        let digits: String = text[close + 2..]
            .chars()
            .take_while(char::is_ascii_digit)
            .take(5)
            .collect();
        out.port = digits.parse().ok().filter(|p| *p != 0);
    }
}

/// Extracts what `text` holds (at most [`MAX_TEXT`] bytes of it).
pub fn extract(text: &str) -> Extracted {
    let (text, truncated) = cut(text);
    // ASCII lower case keeps every byte offset.
    let lower = text.to_ascii_lowercase();
    let mut out = Extracted {
        truncated,
        ..Extracted::default()
    };
    codes(text, &mut out);
    message_trace(text, &lower, &mut out);
    protocol_log(text, &mut out);
    postfix(text, &lower, &mut out);
    brackets(text, &lower, &mut out);
    connectors(text, &lower, &mut out);
    port_words(&lower, &mut out);
    out
}

/// Basic reply codes (`451`, `250-`) and enhanced status codes (`4.7.320`, `#5.5.1`).
fn codes(text: &str, out: &mut Extracted) {
    let bytes = text.as_bytes();
    let in_token = |b: u8| b.is_ascii_alphanumeric() || b == b'.';
    let mut i = 0;
    while i < bytes.len() {
        if !in_token(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && in_token(bytes[i]) {
            i += 1;
        }
        // All bytes of a token are ASCII, so the slice is on character boundaries.
        let token = text[start..i].trim_end_matches('.');
        let b = token.as_bytes();
        if b.len() == 3
            && (b'2'..=b'5').contains(&b[0])
            && (b'0'..=b'5').contains(&b[1])
            && b[2].is_ascii_digit()
        {
            // A reply code stands before a space, a `-`, a quote or the end: not `451x`; and
            // not after a `/` (`(256/256 bits)` in a Postfix TLS line is a key size).
            let next = bytes.get(start + 3).copied();
            let after_slash = start > 0 && bytes[start - 1] == b'/';
            if !after_slash
                && matches!(
                    next,
                    None | Some(
                        b' ' | b'-'
                            | b'"'
                            | b'\''
                            | b'\r'
                            | b'\n'
                            | b'\t'
                            | b']'
                            | b')'
                            | b','
                            | b'.'
                            | b';'
                    )
                )
                && let Ok(n) = token.parse::<u16>()
            {
                out.keep("reply_codes", |e| &mut e.reply_codes, n);
            }
            continue;
        }
        let mut parts = token.split('.');
        let (Some(class), Some(subject), Some(detail), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let number = |p: &str| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
        if matches!(class, "2" | "4" | "5") && number(subject) && number(detail) {
            out.keep(
                "enhanced_codes",
                |e| &mut e.enhanced_codes,
                token.to_string(),
            );
        }
    }
}

/// Exchange Online message-trace and queue details.
fn message_trace(text: &str, lower: &str, out: &mut Extracted) {
    if let Some(at) = after_all(lower, "[message=").next() {
        let end = text[at..]
            .find(']')
            .map_or(at + bounded(&text[at..], MAX_UNCLOSED), |i| at + i);
        out.message = Some(clean(&text[at..end]));
    }
    // `{MSG=SubjectMismatch}` is the older spelling of the same detail.
    if out.message.is_none()
        && let Some(at) = after_all(lower, "{msg=").next()
    {
        let end = text[at..]
            .find('}')
            .map_or(at + bounded(&text[at..], MAX_UNCLOSED), |i| at + i);
        out.message = Some(clean(&text[at..end]));
    }
    if let Some(at) = after_all(lower, "responded with:").next() {
        let rest = text[at..].trim_start();
        let reply = match rest.strip_prefix('"') {
            Some(q) => &q[..q.find('"').unwrap_or(q.len())],
            None => &rest[..rest.find(['\r', '\n']).unwrap_or(rest.len())],
        };
        out.remote_reply = Some(clean(reply));
    }
    for at in after_all(lower, "lastattemptedservername").chain(after_all(lower, "{fqdn=")) {
        if let Some(h) = host_name(word_at(text, at)) {
            out.keep("hosts", |e| &mut e.hosts, h);
        }
    }
    for needle in [
        "lastattemptedip",
        "the last endpoint attempted was",
        "outboundproxytargetip",
        "target ip address:",
        "{ip=",
    ] {
        for at in after_all(lower, needle) {
            if let Some((ip, port)) = address_and_port(word_at(text, at)) {
                out.keep("addresses", |e| &mut e.addresses, ip);
                if out.port.is_none() {
                    out.port = port.filter(|p| *p != 0);
                }
            }
        }
    }
    // The name an Exchange Online connector checks: `TlsDomain: mail.contoso.com`,
    // `-TlsDomain mail.contoso.com`, `-TlsSenderCertificateName …`.
    for needle in ["tlsdomain", "tlssendercertificatename"] {
        for at in after_all(lower, needle) {
            let w = word_at(text, at);
            let (star, rest) = w.strip_prefix("*.").map_or(("", w), |r| ("*.", r));
            if let Some(n) = host_name(rest) {
                out.expect_name.get_or_insert(format!("{star}{n}"));
            }
        }
    }
}

/// Exchange protocol-log CSV lines: `date-time,connector-id,session-id,sequence-number,
/// local-endpoint,remote-endpoint,event,data,context`.
fn protocol_log(text: &str, out: &mut Extracted) {
    for line in text.lines() {
        let fields: Vec<&str> = line.splitn(9, ',').collect();
        if fields.len() < 8 || !matches!(fields[6], ">" | "<" | "*" | "+" | "-") {
            continue;
        }
        let connector = fields[1].trim();
        // A receive connector's identity is `SERVER\Name`: the server is the local end.
        let server_end = if connector.contains('\\') {
            fields[4]
        } else {
            fields[5]
        };
        if let Some((ip, port)) = address_and_port(server_end) {
            out.keep("addresses", |e| &mut e.addresses, ip);
            if out.port.is_none() {
                out.port = port.filter(|p| *p != 0);
            }
        }
        if !connector.is_empty() {
            out.keep("connectors", |e| &mut e.connectors, clean(connector));
        }
        if out.protocol_log.len() < MAX_LOG_LINES {
            out.protocol_log
                .push(clean(&format!("{},{}", fields[6], fields[7])));
        } else {
            out.cap("protocol_log");
        }
    }
}

/// Postfix log lines.
fn postfix(text: &str, lower: &str, out: &mut Extracted) {
    if let Some(at) = after_all(lower, "status=deferred (")
        .chain(after_all(lower, "status=bounced ("))
        .next()
    {
        let line_end = text[at..].find(['\r', '\n']).map_or(text.len(), |i| at + i);
        let end = text[at..line_end].rfind(')').map_or(line_end, |i| at + i);
        out.postfix_status = Some(clean(&text[at..end]));
    }
    if out.remote_reply.is_none()
        && let Some(at) = after_all(lower, " said: ").next()
    {
        let line_end = text[at..].find(['\r', '\n']).map_or(text.len(), |i| at + i);
        let said = &text[at..line_end];
        let said = said
            .find(" (in reply to")
            .map_or(said, |i| &said[..i])
            .trim_end_matches(')');
        out.remote_reply = Some(clean(said));
    }
    if let Some(at) = after_all(lower, "blocked using ").next() {
        let w = word_at(text, at).trim_end_matches(['.', ':']);
        if let Some(z) = host_name(w) {
            out.blocklist_zone = Some(z);
        }
    }
}

/// `name[ip]`, `[ip]` and the addresses named as the sender's (`Client host [ip]`, `banned
/// sending IP [ip]`, `Hello [ip]`).
fn brackets(text: &str, lower: &str, out: &mut Extracted) {
    let sender_before = [
        "client host ",
        "sending ip ",
        "hello ",
        "ip ",
        "sender ip ",
        "ssl_accept error from ",
        "connect from ",
        "from ",
    ];
    let mut line_start = 0;
    let mut last = 0;
    if text.matches('[').nth(MAX_BRACKETS).is_some() {
        out.cap("addresses");
    }
    for (i, _) in text.match_indices('[').take(MAX_BRACKETS) {
        // The start of this line, found without scanning back over the whole text.
        if let Some(n) = lower[last..i].rfind('\n') {
            line_start = last + n + 1;
        }
        last = i;
        let mut name_start = i;
        while name_start > line_start
            && i - name_start < 253
            && is_name_byte(text.as_bytes()[name_start - 1])
        {
            name_start -= 1;
        }
        // Only the few words before the name decide whose address it is.
        let from = line_start.max(name_start.saturating_sub(32));
        let prefix = lower.get(from..name_start).unwrap_or_default();
        // `banned sender[ip]` (5.7.511) writes no space.
        let as_sender = sender_before.iter().any(|s| prefix.ends_with(s))
            || lower.get(name_start..i) == Some("sender");
        name_bracket_ip(text, i, out, as_sender);
    }
}

/// Connector names: a protocol log's connector field (above), `Outbound to Office 365 - …`,
/// `Default Frontend SERVER`, `connector 'X'` / `Send connector X couldn't`.
fn connectors(text: &str, lower: &str, out: &mut Extracted) {
    let take_name = |at: usize, max: usize| -> &str {
        let rest = &text[at..];
        let end = rest
            .char_indices()
            .take(max)
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.')))
            .map_or_else(|| bounded(rest, max), |(i, _)| i);
        rest[..end].trim()
    };
    for needle in [
        "outbound to office 365",
        "inbound from office 365",
        "default frontend ",
    ] {
        // Every occurrence: `keep` bounds the list and says when it did.
        for (i, _) in lower.match_indices(needle) {
            let name = take_name(i, 80);
            // `Default Frontend EX01 with binding …`: the server name is one word.
            let name = if needle == "default frontend " {
                let mut words = name.split_whitespace();
                match (words.next(), words.next(), words.next()) {
                    (Some(a), Some(b), Some(c)) => format!("{a} {b} {c}"),
                    _ => name.to_string(),
                }
            } else {
                name.trim_end_matches([' ', '-']).to_string()
            };
            out.keep("connectors", |e| &mut e.connectors, clean(&name));
        }
    }
    for needle in ["connector '", "connector \""] {
        for at in after_all(lower, needle) {
            let quote = &needle[needle.len() - 1..];
            let window = &text[at..at + bounded(&text[at..], 120)];
            if let Some(end) = window.find(quote) {
                out.keep(
                    "connectors",
                    |e| &mut e.connectors,
                    clean(&text[at..at + end]),
                );
            }
        }
    }
}

/// `port 587`, `:25:` after an address is read above.
fn port_words(lower: &str, out: &mut Extracted) {
    if out.port.is_some() {
        return;
    }
    for at in after_all(lower, "port ") {
        let digits: String = lower[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .take(6)
            .collect();
        if let Ok(p) = digits.parse::<u16>()
            && p != 0
        {
            out.port = Some(p);
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// New-user trial of issue 10: a key size in a Postfix TLS line is not a reply code
    /// (github.com/bokysan/docker-postfix issue 51).
    #[test]
    fn a_key_size_is_not_a_reply_code() {
        let e = extract(
            "postfix/smtp[138]: Untrusted TLS connection established to gmail-smtp-in.l.google.com[108.177.126.26]:25: \
             TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
        );
        assert!(e.reply_codes.is_empty(), "{:?}", e.reply_codes);
    }

    #[test]
    fn enhanced_codes_message_and_last_attempted() {
        // Microsoft Learn archive, "Mail not routing to on-premise Exchange 2013 environment
        // from O365 with 450 4.7.320 certificate validation failed error" (anchors.md §c).
        let e = extract(
            "Reason: [{LED=450 4.7.320 Certificate validation failed [Message=SubjectMismatch] \
             [LastAttemptedServerName=mail.contoso.com] [LastAttemptedIP=203.0.113.5:25]};{MSG=};{FQDN=mail.contoso.com}]",
        );
        assert_eq!(e.reply_codes, [450]);
        assert_eq!(e.enhanced_codes, ["4.7.320"]);
        assert_eq!(e.message.as_deref(), Some("SubjectMismatch"));
        assert_eq!(e.hosts, ["mail.contoso.com"]);
        assert_eq!(e.addresses, ["203.0.113.5".parse::<IpAddr>().unwrap()]);
        assert_eq!(e.port, Some(25));
    }

    #[test]
    fn message_trace_fqdn_and_ip_fields() {
        // The `{FQDN=…};{IP=…}` fields of an Exchange Online message-trace detail (Microsoft
        // Learn archive, the 4.7.320 article cited above).
        let e = extract(
            "{LED=450 4.4.316 Connection refused};{MSG=};{FQDN=mail.contoso.com};{IP=203.0.113.5};{LRT=}",
        );
        assert_eq!(e.hosts, ["mail.contoso.com"]);
        assert_eq!(e.addresses, ["203.0.113.5".parse::<IpAddr>().unwrap()]);
    }

    #[test]
    fn the_remote_reply_an_on_premises_queue_quotes() {
        // johnbai, "O365 & On-Premises Transport Queuing: Lessons learned from CBL" (TechNet).
        let e = extract(
            "451 4.4.0 Primary target IP address responded with: \"451 5.7.3 Must issue a STARTTLS command first.\" \
             Attempted failover to alternate host, but that did not succeed.",
        );
        assert_eq!(
            e.remote_reply.as_deref(),
            Some("451 5.7.3 Must issue a STARTTLS command first.")
        );
        assert_eq!(e.reply_codes, [451]);
        assert_eq!(e.enhanced_codes, ["4.4.0", "5.7.3"]);
    }

    #[test]
    fn last_endpoint_and_outbound_proxy() {
        let e = extract(
            "The last endpoint attempted was 203.0.113.9:587. OutboundProxyTargetIP: 198.51.100.2",
        );
        assert_eq!(
            e.addresses,
            [
                "203.0.113.9".parse::<IpAddr>().unwrap(),
                "198.51.100.2".parse().unwrap()
            ]
        );
        assert_eq!(e.port, Some(587));
    }

    #[test]
    fn postfix_deferral_host_said_and_relay() {
        // Postfix smtp(8) delivery status line, as the Postfix TLS_README shows its logging.
        let e = extract(
            "Nov 30 10:00:01 mx postfix/smtp[1234]: 4F9D1C0: to=<a@contoso.com>, relay=mail.contoso.com[203.0.113.5]:25, \
             delay=1, dsn=4.7.5, status=deferred (host mail.contoso.com[203.0.113.5] said: 454 4.7.0 TLS not available due to local problem (in reply to STARTTLS command))",
        );
        assert_eq!(e.hosts, ["mail.contoso.com"]);
        assert_eq!(e.port, Some(25));
        assert_eq!(
            e.remote_reply.as_deref(),
            Some("454 4.7.0 TLS not available due to local problem")
        );
        assert!(
            e.postfix_status
                .as_deref()
                .unwrap()
                .starts_with("host mail.contoso.com[203.0.113.5] said: 454")
        );
        assert!(e.enhanced_codes.contains(&"4.7.5".to_string()));
    }

    #[test]
    fn postfix_tls_lines_name_the_peer() {
        for (line, host) in [
            (
                "TLS is required, but was not offered by host mx.fabrikam.com[198.51.100.7]",
                "mx.fabrikam.com",
            ),
            (
                "Cannot start TLS: handshake failure (host mx.fabrikam.com[198.51.100.7])",
                "mx.fabrikam.com",
            ),
            (
                "server certificate verification failed for mx.fabrikam.com[198.51.100.7]:25: certificate has expired",
                "mx.fabrikam.com",
            ),
        ] {
            let e = extract(line);
            assert_eq!(e.hosts, [host], "{line}");
            assert_eq!(e.addresses, ["198.51.100.7".parse::<IpAddr>().unwrap()]);
        }
    }

    #[test]
    fn ssl_accept_names_the_client_not_a_server() {
        let e = extract(
            "postfix/smtpd[99]: SSL_accept error from unknown[192.0.2.44]: lost connection",
        );
        assert!(e.hosts.is_empty() && e.addresses.is_empty());
        assert_eq!(
            e.sender_addresses,
            ["192.0.2.44".parse::<IpAddr>().unwrap()]
        );
    }

    #[test]
    fn protocol_log_lines_connector_and_server_end() {
        // Microsoft Learn, "Protocol logging": SmtpSend CSV fields.
        let e = extract(
            "2024-05-02T08:00:01.123Z,Outbound to Office 365 - 5c1f2e,08DC6A,0,10.0.0.5:31337,104.47.1.33:25,+,,\n\
             2024-05-02T08:00:01.200Z,Outbound to Office 365 - 5c1f2e,08DC6A,1,10.0.0.5:31337,104.47.1.33:25,<,220 BN8NAM11FT012.mail.protection.outlook.com Microsoft ESMTP MAIL Service ready,\n\
             2024-05-02T08:00:01.210Z,Outbound to Office 365 - 5c1f2e,08DC6A,2,10.0.0.5:31337,104.47.1.33:25,>,EHLO mail.contoso.com,\n\
             2024-05-02T08:00:01.300Z,Outbound to Office 365 - 5c1f2e,08DC6A,3,10.0.0.5:31337,104.47.1.33:25,*,,TLS negotiation failed with error NoCredentials",
        );
        assert_eq!(e.connectors, ["Outbound to Office 365 - 5c1f2e"]);
        assert_eq!(e.addresses, ["104.47.1.33".parse::<IpAddr>().unwrap()]);
        assert_eq!(e.port, Some(25));
        assert_eq!(e.protocol_log[2], ">,EHLO mail.contoso.com");
        assert!(e.reply_codes.contains(&220));
    }

    #[test]
    fn a_receive_connector_log_names_the_local_end() {
        let e = extract(
            "2024-05-02T08:00:01.123Z,EX01\\Default Frontend EX01,08DC6B,1,192.168.1.10:25,40.107.1.2:51234,<,EHLO mail.protection.outlook.com,",
        );
        assert_eq!(e.addresses, ["192.168.1.10".parse::<IpAddr>().unwrap()]);
        assert!(
            e.connectors
                .contains(&"EX01\\\\Default Frontend EX01".to_string())
        );
    }

    #[test]
    fn blocklist_zone_and_sender_address() {
        // Postfix smtpd_check.c: reject_rbl_client's default reply.
        let e = extract(
            "host mx.fabrikam.com[198.51.100.7] said: 554 5.7.1 Service unavailable; Client host [203.0.113.66] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.66",
        );
        assert_eq!(e.blocklist_zone.as_deref(), Some("zen.spamhaus.org"));
        assert_eq!(
            e.sender_addresses,
            ["203.0.113.66".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(e.hosts, ["mx.fabrikam.com"]);
    }

    #[test]
    fn exchange_online_names_the_sender_address_in_several_ways() {
        // Microsoft Learn, "Email non-delivery reports and SMTP errors in Exchange Online".
        for text in [
            "550 5.7.511 Access denied, banned sender[203.0.113.66]. To request removal from this list",
            "451 4.7.500 Server busy. Please try again later from [203.0.113.66]. (S77714)",
            "550 5.7.606 Access denied, banned sending IP [203.0.113.66].",
        ] {
            let e = extract(text);
            assert!(e.addresses.is_empty(), "{text}");
            assert_eq!(
                e.sender_addresses,
                ["203.0.113.66".parse::<IpAddr>().unwrap()]
            );
        }
    }

    #[test]
    fn tls_domain_and_port_words() {
        let e = extract(
            "Set-OutboundConnector -TlsDomain *.contoso.com; the server listens on port 587",
        );
        assert_eq!(e.expect_name.as_deref(), Some("*.contoso.com"));
        assert_eq!(e.port, Some(587));
    }

    #[test]
    fn hostile_input_is_escaped_and_unparsable_hosts_dropped() {
        let e = extract(
            "[LastAttemptedServerName=$(rm -rf /)] [Message=\u{202e}evil\x1b[31m] host a;b[1.2.3.4] said: \x07bell",
        );
        assert!(e.hosts.is_empty(), "{:?}", e.hosts);
        let m = e.message.unwrap();
        assert!(!m.contains('\u{202e}') && !m.contains('\x1b'), "{m}");
        assert!(!e.remote_reply.unwrap().contains('\x07'));
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        let text = "é".repeat(MAX_TEXT);
        let (cut_text, truncated) = cut(&text);
        assert!(truncated && cut_text.len() <= MAX_TEXT);
        let e = extract(&text);
        assert!(e.truncated);
        let long = format!("[Message={}]", "x".repeat(10_000));
        assert!(extract(&long).message.unwrap().chars().count() <= MAX_FIELD + 1);
    }

    #[test]
    fn adversarial_repeats_return() {
        for unit in [
            "[",
            "a[",
            "lastattemptedservername=",
            " said: x",
            "connector '",
            "default frontend ",
            "outbound to office 365",
            "[message=",
            "tlsdomain ",
            "port ",
            "4.7.3",
        ] {
            let text = unit.repeat(MAX_TEXT / unit.len() + 1);
            let e = extract(&text);
            assert!(e.truncated, "{unit}");
        }
    }

    #[test]
    fn ip_addresses_are_not_enhanced_codes() {
        let e = extract("LastAttemptedIP=5.7.1.2 and version 2.0.0.1; at 12:30:45");
        assert!(e.enhanced_codes.is_empty(), "{:?}", e.enhanced_codes);
        assert!(e.reply_codes.is_empty(), "{:?}", e.reply_codes);
    }

    /// Issue 14, item 9: a field whose end never comes is cut on a character boundary (a
    /// byte count used to split `é` and panic), and a long quoted reply is kept up to
    /// [`MAX_FIELD`] with `…`, not cut silently at 300 bytes.
    #[test]
    fn unclosed_and_long_fields_are_cut_visibly_on_a_character() {
        let e = extract(&format!("[Message=x{}", "\u{e9}".repeat(3000)));
        let m = e.message.unwrap();
        assert!(
            m.ends_with('…') && m.chars().count() == MAX_FIELD + 1,
            "{m}"
        );
        let reply = format!("451 4.7.0 {}", "word ".repeat(100));
        let e = extract(&format!(
            "Primary target IP address responded with: \"{reply}\""
        ));
        assert_eq!(e.remote_reply.as_deref(), Some(reply.trim()));
        assert!(e.capped.is_empty());
    }
}
