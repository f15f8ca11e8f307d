//! `explain`: a finding code, or pasted text (an NDR, a queue's `LastError`, a message-trace
//! detail, an Exchange protocol-log line, a Postfix log line), in; the cause, the side at
//! fault, the fixes and the probe that confirms it, out. Pure: no I/O, no clock. The command
//! layer (`commands::explain`) reads the text, runs the suggested probe with `--probe`, and
//! hands the [`Explanation`] to the report layer.
//!
//! The knowledge lives in the finding catalogue (`diagnose::catalogue`): each code lists the
//! strings senders log for it, and the patterns here add what a string alone cannot say.

pub mod extract;
pub mod knowledge;
pub mod probe;

use std::net::IpAddr;

use crate::diagnose::{Code, Fix};

/// The most text `explain` reads: an NDR with its headers fits many times over; anything
/// longer is cut there, and the answer says so.
pub const MAX_TEXT: usize = 256 * 1024;

/// Who is at fault, as far as the text says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// The sending server (its connector, its certificate, its TLS settings).
    Sender,
    /// The receiving server.
    Receiver,
    /// Something between them: a firewall, an appliance, NAT, a port block.
    Path,
    /// DNS: MX, A/AAAA, TLSA, DNSSEC.
    Dns,
    /// The sender's reputation: a blocklist, a ban.
    Reputation,
    /// Cannot tell from the text.
    Unknown,
}

/// What the text holds, extracted before any matching. Every string is escaped (controls and
/// invisible format characters made visible) and bounded.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Extracted {
    /// Basic reply codes seen (`451`, `550`).
    pub reply_codes: Vec<u16>,
    /// Enhanced status codes seen (`4.7.320`, `5.7.64`).
    pub enhanced_codes: Vec<String>,
    /// The `[Message=…]` of an Exchange Online detail.
    pub message: Option<String>,
    /// The remote server's own reply quoted in the text (`Primary target IP address responded
    /// with: "451 5.7.3 …"`, Postfix's `host X[ip] said: …`).
    pub remote_reply: Option<String>,
    /// Host names named (`LastAttemptedServerName`, `host mx.contoso.com[…]`, the endpoint
    /// attempted), lower case, in order of appearance, without repeats.
    pub hosts: Vec<String>,
    /// Addresses named (`LastAttemptedIP`, `[203.0.113.5]`, `OutboundProxyTargetIP`).
    pub addresses: Vec<IpAddr>,
    /// Connector names (`Outbound to Office 365 - <guid>`, `Default Frontend EX01`).
    pub connectors: Vec<String>,
    /// The port named, if any (`…:25`, `port 587`).
    pub port: Option<u16>,
    /// The text was longer than [`MAX_TEXT`] and was cut.
    pub truncated: bool,
    /// Addresses the text names as the sender's (`Client host [ip] blocked using …`, `banned
    /// sending IP [ip]`, `SSL_accept error from client[ip]`): never a probe target.
    pub sender_addresses: Vec<IpAddr>,
    /// The name the sender checks the certificate against (an Exchange Online connector's
    /// `TlsDomain` or `TlsSenderCertificateName`), a valid host name, maybe `*.`-prefixed.
    pub expect_name: Option<String>,
    /// Exchange protocol-log lines, as `event,data` (`>,EHLO mail.contoso.com`,
    /// `<,250-STARTTLS`, `*,TLS negotiation failed with error NoCredentials`).
    pub protocol_log: Vec<String>,
    /// What a Postfix `status=deferred (…)` or `status=bounced (…)` holds.
    pub postfix_status: Option<String>,
    /// The blocklist a rejection names (`blocked using zen.spamhaus.org`), a valid zone name.
    pub blocklist_zone: Option<String>,
    /// The lists (by their field names) that the text held more of than are kept
    /// ([`extract::MAX_ITEMS`] each): the answer says so rather than drop them silently.
    pub capped: Vec<&'static str>,
}

/// One cause the text points at.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// The catalogue code it is (`cert-name-mismatch`, `egress-ip-blocklisted`).
    pub code: Code,
    /// Who is at fault.
    pub side: Side,
    /// The words of the text that matched, escaped.
    pub matched: String,
    /// What it means here, in a sentence.
    pub meaning: String,
    /// The likely causes, most likely first.
    pub causes: Vec<String>,
    /// What to change, as data (prose and commands for a named shell).
    pub fix: Fix,
}

/// The probe that would confirm the answer: which host to probe, how, and what to expect.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProbeSuggestion {
    /// The target as `starttls-check` takes it (`[mail.contoso.com]`, `203.0.113.5`).
    pub target: String,
    /// The options after it (`--resolve mail.contoso.com:203.0.113.5`, `--expect-name …`),
    /// one word each, unquoted.
    pub args: Vec<String>,
    /// The whole command line, quoted for a POSIX shell, safe to paste.
    pub command: String,
}

/// The answer to a pasted text.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// What was extracted.
    pub extracted: Extracted,
    /// The causes recognised, most likely first; empty when nothing was recognised.
    pub matches: Vec<Match>,
    /// The probe that confirms it, when the text names a host or an address.
    pub probe: Option<ProbeSuggestion>,
}

/// Explains pasted `text` (at most [`MAX_TEXT`] bytes are read; the rest is cut).
pub fn explain_text(text: &str) -> Explanation {
    let extracted = extract::extract(text);
    let (cut, _) = extract::cut(text);
    let matches = knowledge::matches(cut, &extracted);
    let probe = probe::suggest(&extracted, &matches);
    Explanation {
        extracted,
        matches,
        probe,
    }
}

/// The longest word `lookup_code` treats as a code (the longest id is 27 characters).
const MAX_CODE_WORD: usize = 40;

/// The code `word` names (`cert-expired`), or the codes it is close to (`cert-expird`,
/// `expired`), best first; an empty list when it is not code-like at all.
pub fn lookup_code(word: &str) -> Result<Code, Vec<Code>> {
    let word = word.trim();
    if let Some(code) = Code::from_id(word) {
        return Ok(code);
    }
    let code_like = !word.is_empty()
        && word.len() <= MAX_CODE_WORD
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !code_like {
        return Err(Vec::new());
    }
    let w = word.to_ascii_lowercase().replace('_', "-");
    if let Some(code) = Code::from_id(&w) {
        return Ok(code);
    }
    // (how far, where in the catalogue): exact parts first, then by edit distance.
    let mut near: Vec<(usize, usize, Code)> = crate::diagnose::catalogue::CATALOGUE
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let parts = || e.id.split('-');
            let d = edit_distance(&w, e.id);
            if parts().any(|p| p == w) || (w.len() >= 4 && e.id.contains(w.as_str())) {
                Some((0, i, e.code))
            } else if w.len() >= 4 && parts().any(|p| edit_distance(&w, p) <= 1) {
                Some((1, i, e.code))
            } else if d <= 3 {
                Some((d, i, e.code))
            } else {
                None
            }
        })
        .collect();
    near.sort_by_key(|(d, i, _)| (*d, *i));
    Err(near.into_iter().map(|(_, _, c)| c).collect())
}

/// Levenshtein distance (both words are at most [`MAX_CODE_WORD`] bytes).
fn edit_distance(a: &str, b: &str) -> usize {
    let a = a.as_bytes();
    let b = b.as_bytes();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exact_code_is_found() {
        assert_eq!(lookup_code("cert-expired"), Ok(Code::CertExpired));
        assert_eq!(lookup_code(" CERT_EXPIRED "), Ok(Code::CertExpired));
    }

    #[test]
    fn a_typo_or_a_part_lists_near_codes_best_first() {
        let near = lookup_code("cert-expird").unwrap_err();
        assert_eq!(near.first(), Some(&Code::CertExpired), "{near:?}");
        let near = lookup_code("expired").unwrap_err();
        assert!(
            near.contains(&Code::CertExpired) && near.contains(&Code::CertExpiresSoon),
            "{near:?}"
        );
        assert!(!lookup_code("starttls").unwrap_err().is_empty());
    }

    #[test]
    fn words_that_are_not_code_like_get_nothing() {
        for w in [
            "",
            "the certificate expired",
            &"x".repeat(100),
            "cert;expired",
            "zzzzzzzzzzzz",
        ] {
            assert_eq!(lookup_code(w), Err(Vec::new()), "{w}");
        }
    }

    #[test]
    fn every_code_explains_itself() {
        for e in crate::diagnose::catalogue::CATALOGUE {
            assert_eq!(lookup_code(e.id), Ok(e.code));
        }
    }

    #[test]
    fn a_quarter_megabyte_of_noise_returns() {
        let mut noise = String::with_capacity(MAX_TEXT + 64);
        let mut x: u32 = 12345;
        while noise.len() < MAX_TEXT + 32 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let c = match x >> 27 {
                0 => '[',
                1 => ']',
                2 => '\n',
                3 => ',',
                4 => '.',
                5 => '4',
                6 => ':',
                7 => '"',
                n => char::from(b'a' + (n as u8 % 26)),
            };
            noise.push(c);
            if x.is_multiple_of(97) {
                noise.push_str("4.7.320 [Message=x] host a.b[1.2.3.4]:25 said: ");
            }
        }
        let e = explain_text(&noise);
        assert!(e.extracted.truncated);
    }

    #[test]
    fn a_full_answer_for_a_message_trace_detail() {
        let e = explain_text(
            "450 4.7.320 Certificate validation failed [Message=SubjectMismatch] [LastAttemptedServerName=mail.contoso.com] [LastAttemptedIP=203.0.113.5:25]",
        );
        assert_eq!(e.matches[0].code, Code::CertNameMismatch);
        assert_eq!(e.matches[0].side, Side::Receiver);
        let p = e.probe.unwrap();
        assert_eq!(
            p.command,
            "starttls-check '[mail.contoso.com]' --resolve mail.contoso.com:203.0.113.5 --expect-name mail.contoso.com -p 25"
        );
    }
}
