//! What an EHLO reply says: the server's greeting name (line 1) and its ESMTP keywords.
//!
//! The greeting name matters beyond SMTP: on Exchange it is the receive connector's `Fqdn`,
//! and Exchange Online checks it against the certificate of a hybrid server.
//!
//! # References
//! - RFC 5321 §4.1.1.1 (EHLO reply syntax), RFC 3207 §4 (the STARTTLS keyword)

use super::reply::Reply;
use super::transcript::escape;

/// One ESMTP keyword line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyword {
    /// The keyword, upper-cased and escaped (`SIZE`, `STARTTLS`, `AUTH`).
    pub name: String,
    /// The parameters after it, escaped.
    pub params: String,
}

/// The parsed EHLO (or HELO) reply.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// The first word of line 1: the name the server greets with, escaped, without a trailing
    /// dot. Exchange puts its receive connector's `Fqdn` here.
    pub greeting_name: String,
    /// The rest of line 1 (Exchange: `Hello [203.0.113.7]`, the address it sees us as).
    pub greeting_text: String,
    /// The keywords, in the order sent.
    pub keywords: Vec<Keyword>,
}

impl Capabilities {
    /// Parses a positive EHLO/HELO reply.
    pub fn parse(reply: &Reply) -> Self {
        let first = escape(reply.first_text());
        let (name, text) = first.split_once(' ').unwrap_or((&first, ""));
        let keywords = reply
            .lines
            .iter()
            .skip(1)
            .filter(|l| !l.text.is_empty())
            .map(|l| {
                let line = escape(&l.text);
                let (k, p) = line.split_once(' ').unwrap_or((&line, ""));
                Keyword {
                    name: k.to_ascii_uppercase(),
                    params: p.trim().to_string(),
                }
            })
            .collect();
        Capabilities {
            greeting_name: name.trim_end_matches('.').to_string(),
            greeting_text: text.trim().to_string(),
            keywords,
        }
    }

    /// The server offers `keyword` (case-insensitive).
    pub fn has(&self, keyword: &str) -> bool {
        self.keywords
            .iter()
            .any(|k| k.name.eq_ignore_ascii_case(keyword))
    }

    /// The server advertises STARTTLS.
    pub fn starttls(&self) -> bool {
        self.has("STARTTLS")
    }

    /// The keywords as the server wrote them (`SIZE 37748736`).
    pub fn keyword_lines(&self) -> Vec<String> {
        self.keywords
            .iter()
            .map(|k| {
                if k.params.is_empty() {
                    k.name.clone()
                } else {
                    format!("{} {}", k.name, k.params)
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::reply::ReplyLine;

    fn reply(lines: &[&str]) -> Reply {
        Reply {
            code: 250,
            lines: lines
                .iter()
                .map(|t| ReplyLine {
                    code: 250,
                    text: t.as_bytes().to_vec(),
                    bare_lf: false,
                })
                .collect(),
        }
    }

    #[test]
    fn exchange_greeting_and_keywords() {
        let c = Capabilities::parse(&reply(&[
            "EXCH01.contoso.local Hello [203.0.113.7]",
            "SIZE 37748736",
            "starttls",
            "X-ANONYMOUSTLS",
        ]));
        assert_eq!(c.greeting_name, "EXCH01.contoso.local");
        assert_eq!(c.greeting_text, "Hello [203.0.113.7]");
        assert!(c.starttls());
        assert!(c.has("x-anonymoustls"));
        assert_eq!(c.keyword_lines()[0], "SIZE 37748736");
    }

    #[test]
    fn bare_helo_reply_has_no_keywords() {
        let c = Capabilities::parse(&reply(&["mx.example."]));
        assert_eq!(c.greeting_name, "mx.example");
        assert!(c.keywords.is_empty() && !c.starttls());
    }
}
