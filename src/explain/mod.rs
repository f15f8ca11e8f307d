//! `explain`: a finding code, or pasted text (an NDR, a queue's `LastError`, a message-trace
//! detail, an Exchange protocol-log line, a Postfix log line), in; the cause, the side at
//! fault, the fixes and the probe that confirms it, out. Pure: no I/O, no clock. The command
//! layer (`commands::explain`) reads the text, runs the suggested probe with `--probe`, and
//! hands the [`Explanation`] to the report layer.
//!
//! The knowledge lives in the finding catalogue (`diagnose::catalogue`): each code lists the
//! strings senders log for it, and the patterns here add what a string alone cannot say.

// The skeleton the explain engine and the `explain` subcommand are built on in parallel;
// the subcommand uses all of it.
#![allow(dead_code)]

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
    let _ = text;
    Explanation {
        extracted: Extracted::default(),
        matches: Vec::new(),
        probe: None,
    }
}

/// The code `word` names (`cert-expired`), or the codes it is close to (`cert-expird`,
/// `expired`), best first; an empty list when it is not code-like at all.
pub fn lookup_code(word: &str) -> Result<Code, Vec<Code>> {
    Code::from_id(word.trim()).ok_or_else(Vec::new)
}
