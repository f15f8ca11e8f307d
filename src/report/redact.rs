//! `--redact`: a report for a ticket that leaves the organisation. Host names, mail domains,
//! addresses, the organisation names of private certificates, certificate fingerprints and
//! serials are replaced by placeholders (`domain-1`, `host-1`, `addr-1`, `org-1`, `user-1`,
//! plainly fake fingerprints), the same placeholder for the same value everywhere in one run,
//! in every format, on stdout and stderr.
//!
//! A [`Redactor`] works in two steps that share one mapping:
//!
//! 1. [`Redactor::report`] learns the names from the report's DTO (target, MX, hosts,
//!    addresses, local address, seen-as, EHLO name sent, SNI, greeting name, the first word
//!    of every banner line, certificate CN/SAN names and IP SANs and subject attributes,
//!    fingerprints, our own `--client-cert` as a server's certificate and the CA names a
//!    server asks for, probe host, and what `invocation` names: targets, `--resolve`,
//!    `--expect-name`, `--ehlo-name`, every `--client-cert-name`, every
//!    `--expect-fingerprint`, `--expect-issuer`), then
//!    what the run's `--baseline` names (handed over by [`baseline`]: its targets, hosts,
//!    addresses, certificates and command line), then rewrites every string of the DTO with
//!    them, before any renderer sees it: the human format's columns are measured on the
//!    placeholders, HTML and Markdown escape the placeholders rather than the names, JSON
//!    stays valid because serde writes it, and Nagios perfdata labels are written from the
//!    redacted strings.
//! 2. [`Redactor::text`] passes the rendered bytes through the same mapping: what a renderer
//!    writes from typed data (a finding's `endpoints`, written from the endpoint's typed
//!    identity) and what the formats added later compose, is caught there. Any IPv4 or IPv6
//!    literal left in the text gets an `addr-N` too, learned or not (`[IPv6:addr-3]`).
//!
//! The policy phase's data (the `policy` object, whose keys are mail domains, and each
//! endpoint's `dane` and `revocation`) is learned and rewritten by [`policy`]: its hosts,
//! the resolver, MTA-STS patterns and URLs, a private CA's CRL/OCSP/CA Issuers hosts and file
//! names, and TLSA digests (replaced like fingerprints).
//!
//! `listen`'s report (the listener, and each sender's session: peer, PTR names, EHLO names,
//! SNI, envelope, client certificate, transcript) is learned and rewritten by [`listen`], a
//! session as it ends and again in the summary, through the run's one redactor.
//!
//! An error that stops the run before any report goes through a redactor too
//! ([`for_error`], [`Redactor::run_error`]): it learns the command line and the names the
//! message quotes.
//!
//! Names are matched as whole tokens (letters, digits, `.`, `-`, `_`), case-insensitively, or
//! after an underscore that joins them to a label (`days_left_host-1`); a name under a known
//! mail domain that was never learned keeps its first labels (`autodiscover.domain-1`). A
//! single-label name is a placeholder when it has a digit or a hyphen (`EXCH02`, `mx-01`),
//! or when it stands where only a host name may (a greeting name, a banner's first word, SNI,
//! the EHLO name, this machine's name: `contosogw`) and is none of the [`WORDS`] (`mail`,
//! `localhost`, `EXCHANGE`). A serial is replaced in its field whatever its length, and in
//! text when it is long enough not to be any number. What stays: the names of public CAs (a
//! DN whose organisation or CN names one of [`PUBLIC_CAS`], e.g. `CN=R11, O=Let's Encrypt,
//! C=US`), countries, key and cipher names, dates, and file paths but for the names in them
//! (`/etc/certs/host-1.pem` for a file named after a host).
//! The mapping itself is never written.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};

use super::{EndpointReport, Report};
use crate::baseline::Fingerprint;
use crate::cert::CertInfo;
use crate::diagnose::{Finding, Step};

mod listen;
mod policy;

/// Organisations whose CA names are kept: knowing the issuer is Let's Encrypt or DigiCert
/// helps the reader and identifies nobody. Matched case-insensitively inside a DN's O or CN.
pub const PUBLIC_CAS: &[&str] = &[
    "let's encrypt",
    "internet security research group",
    "digicert",
    "sectigo",
    "comodo",
    "usertrust",
    "globalsign",
    "google trust services",
    "microsoft",
    "entrust",
    "godaddy",
    "starfield",
    "amazon",
    "zerossl",
    "buypass",
    "identrust",
    "ssl corporation",
    "certum",
    "asseco",
    "quovadis",
    "actalis",
    "harica",
    "swisssign",
    "t-systems",
    "telekom",
    "thawte",
    "geotrust",
    "rapidssl",
    "verisign",
    "symantec",
    "trustwave",
    "cloudflare",
    "baltimore",
];

/// Subject attribute values that public CAs write into everybody's certificates: kept.
const BOILERPLATE: &[&str] = &[
    "Domain Control Validated",
    "PositiveSSL",
    "PositiveSSL Wildcard",
    "EssentialSSL",
    "EssentialSSL Wildcard",
];

/// Names of public mail services, kept as they are: they name nobody (a host under them,
/// `contoso-com.mail.protection.outlook.com`, names the tenant and is redacted).
const PUBLIC_NAMES: &[&str] = &[
    "mail.protection.outlook.com",
    "protection.outlook.com",
    "outlook.com",
    "office365.com",
    "onmicrosoft.com",
    "mail.onmicrosoft.com",
    "aspmx.l.google.com",
    "smtp.google.com",
    "gmail.com",
];

/// Mail domains of providers: a host under them names the tenant, the domain nobody.
const PROVIDERS: &[&str] = &[
    "outlook.com",
    "google.com",
    "googlemail.com",
    "pphosted.com",
    "mimecast.com",
    "iphmx.com",
    "barracudanetworks.com",
    "messagelabs.com",
];

/// One-label words that stand where a host name may (a banner's first word, a greeting name,
/// this machine's name) and name nobody: kept even there, where any other one-label name is
/// replaced (`contosogw`, `acmeprobe`).
const WORDS: &[&str] = &[
    "localhost",
    "localdomain",
    "mail",
    "smtp",
    "esmtp",
    "mx",
    "relay",
    "gateway",
    "server",
    "mailserver",
    "mailhost",
    "host",
    "unknown",
    "welcome",
    "hello",
    "hi",
    "ready",
    "service",
    "exchange",
    "microsoft",
    "postfix",
    "exim",
    "sendmail",
    "opensmtpd",
    "haraka",
    "hmailserver",
    "mdaemon",
    "zimbra",
    "google",
    "cisco",
    "ironport",
    "barracuda",
    "proofpoint",
    "mimecast",
    "sophos",
    "fortinet",
    "fortimail",
    "ubuntu",
    "debian",
];

/// Local parts of mail addresses that identify nobody (`user` is the fixes' own example).
const ROLES: &[&str] = &[
    "user",
    "postmaster",
    "abuse",
    "hostmaster",
    "noreply",
    "no-reply",
    "mailer-daemon",
];

/// What a placeholder stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Domain,
    Host,
    Addr,
    Org,
    User,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::Domain => "domain",
            Kind::Host => "host",
            Kind::Addr => "addr",
            Kind::Org => "org",
            Kind::User => "user",
        }
    }
}

/// A value matched as written (organisation names, fingerprints), not as a token.
#[derive(Debug, Clone)]
struct Phrase {
    text: String,
    placeholder: String,
    /// ASCII case does not matter (fingerprints); it does for organisation names, which
    /// may be words.
    any_case: bool,
}

/// The mapping of one run: learned from reports, applied to their strings and to the text
/// rendered from them. Never written out.
#[derive(Debug, Default)]
pub struct Redactor {
    /// Lower-cased name → placeholder.
    names: HashMap<String, String>,
    /// Lower-cased mail domains, for names under them nobody learned (a set: a survey learns
    /// one per target).
    domains: HashSet<String>,
    addrs: HashMap<IpAddr, String>,
    /// Phrases by their first word, lower-cased.
    phrases: HashMap<String, Vec<Phrase>>,
    users: HashMap<String, String>,
    /// Fingerprints (SHA-256 with colons, SHA-1 plain, upper case) → the certificate's
    /// number.
    certs: HashMap<String, usize>,
    counts: HashMap<Kind, usize>,
    /// `--baseline`: learned after the first report, so that the run's own names come first.
    baseline: Option<std::sync::Arc<crate::baseline::Baseline>>,
    /// TLSA association data learned so far (each gets a fake digest by its number).
    tlsa: usize,
}

/// A name character: what a host name or a mail domain is made of.
fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')
}

/// `2001:db8::5` of `IPv6:2001:db8::5`, the form SMTP writes an IPv6 literal in (RFC 5321
/// §4.1.3), in any case.
fn without_ipv6_tag(s: &str) -> &str {
    match s.get(..5) {
        Some(tag) if tag.eq_ignore_ascii_case("IPv6:") => &s[5..],
        _ => s,
    }
}

/// `host-1` and the like: never learned as a name.
fn is_placeholder(word: &str) -> bool {
    word.split_once('-').is_some_and(|(p, n)| {
        ["domain", "host", "addr", "org", "user"].contains(&p)
            && !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
    })
}

/// A redactor when `--redact` asked for one.
pub fn when(asked: bool) -> Option<Redactor> {
    asked.then(Redactor::new)
}

/// `report` redacted in place, when there is a redactor.
pub fn report(redactor: &mut Option<Redactor>, report: &mut Report) {
    if let Some(r) = redactor {
        r.report(report);
    }
}

/// Hands the redactor the `--baseline` of the run (its certificates, names and command line
/// are quoted in the findings), when there are both.
pub fn baseline(
    redactor: &mut Option<Redactor>,
    baseline: Option<&std::sync::Arc<crate::baseline::Baseline>>,
) {
    if let (Some(r), Some(b)) = (redactor, baseline) {
        r.baseline = Some(b.clone());
    }
}

/// Whether the arguments of a command line (without the program's name) ask for `--redact`.
pub fn asked(words: &[String]) -> bool {
    words
        .iter()
        .take_while(|w| *w != "--")
        .any(|w| w == "--redact")
}

/// A redactor for an error that stopped the run, when the arguments `words` ask for
/// `--redact`: it knows what the command line names (see [`Redactor::learn_command_line`]).
pub fn for_error(words: &[String]) -> Option<Redactor> {
    asked(words).then(|| {
        let mut r = Redactor::new();
        r.learn_command_line(words);
        r
    })
}

/// A `listen` report redacted in place, when there is a redactor.
pub fn listen_report(redactor: &mut Option<Redactor>, report: &mut super::listen::ListenReport) {
    if let Some(r) = redactor {
        r.listen_report(report);
    }
}

/// Rendered `text` through the redactor's mapping, when there is one.
pub fn text(redactor: &mut Option<Redactor>, text: String) -> String {
    match redactor {
        Some(r) => r.text(&text),
        None => text,
    }
}

impl Redactor {
    /// A redactor with nothing learned yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn next(&mut self, kind: Kind) -> String {
        let n = self.counts.entry(kind).or_insert(0);
        *n += 1;
        format!("{}-{n}", kind.prefix())
    }

    /// Learns an address (and returns its placeholder).
    fn learn_addr(&mut self, ip: IpAddr) -> String {
        if let Some(p) = self.addrs.get(&ip) {
            return p.clone();
        }
        let p = self.next(Kind::Addr);
        self.addrs.insert(ip, p.clone());
        p
    }

    /// Learns a host name, an address, or `[address]` / `address:port` as written; whether
    /// it is one (and not a word, nor a public service's name).
    fn learn_host(&mut self, word: &str, kind: Kind) -> bool {
        self.learn_name(word, kind, false)
    }

    /// Learns a word that stands where a host name must (a greeting or banner name, SNI,
    /// the EHLO name, this machine's name): a one-label name too (`contosogw`), unless it is
    /// one of [`WORDS`].
    fn learn_known_host(&mut self, word: &str) -> bool {
        self.learn_name(word, Kind::Host, true)
    }

    fn learn_name(&mut self, word: &str, kind: Kind, known: bool) -> bool {
        let w = word.trim().trim_end_matches('.');
        let bare = without_ipv6_tag(w.trim_start_matches('[').trim_end_matches(']'));
        if let Ok(ip) = bare.parse::<IpAddr>() {
            self.learn_addr(ip);
            return true;
        }
        if let Ok(sa) = w.parse::<SocketAddr>() {
            self.learn_addr(sa.ip());
            return true;
        }
        let name = bare.trim_start_matches("*.").to_ascii_lowercase();
        let letters = name.bytes().any(|b| b.is_ascii_alphabetic());
        if !letters
            || !name.chars().all(name_char)
            || is_placeholder(&name)
            || PUBLIC_NAMES.contains(&name.as_str())
        {
            return false;
        }
        // A single label is a name when it has a digit or a hyphen (`EXCH02`, `mx-a`), or
        // stands where only a name may and is no word; else it may be a word (`mail`,
        // `localhost`, `EXCHANGE`) and is matched in any case.
        let single = !name.contains('.');
        let wordlike = !name.bytes().any(|b| b.is_ascii_digit() || b == b'-');
        if single && wordlike && (!known || name.len() < 2 || WORDS.contains(&name.as_str())) {
            return false;
        }
        if kind == Kind::Domain && !single {
            self.domains.insert(name.clone());
        }
        if !self.names.contains_key(&name) {
            let p = self.next(kind);
            self.names.insert(name, p);
        }
        true
    }

    /// Learns a phrase matched as written.
    fn learn_phrase(&mut self, text: &str, placeholder: String, any_case: bool) {
        let text = text.trim();
        let Some(first) = text.split(|c: char| !c.is_alphanumeric()).next() else {
            return;
        };
        if first.is_empty() || text.chars().count() < 2 {
            return;
        }
        let list = self.phrases.entry(first.to_lowercase()).or_default();
        if list.iter().any(|p| p.text == text) {
            return;
        }
        list.push(Phrase {
            text: text.to_string(),
            placeholder,
            any_case,
        });
        // Longest first, so that `Contoso Ltd` wins over `Contoso`.
        list.sort_by_key(|p| std::cmp::Reverse(p.text.len()));
    }

    /// Learns an organisation-identifying value (a DN attribute of a private certificate).
    fn learn_org(&mut self, value: &str) {
        let value = value.trim();
        if BOILERPLATE.contains(&value) || self.phrase_of(value).is_some() {
            return;
        }
        let p = self.next(Kind::Org);
        self.learn_phrase(value, p, false);
    }

    fn phrase_of(&self, value: &str) -> Option<&Phrase> {
        let first = value.split(|c: char| !c.is_alphanumeric()).next()?;
        self.phrases
            .get(&first.to_lowercase())?
            .iter()
            .find(|p| p.text == value)
    }
}

/// `CN=mail.contoso.com, O="Contoso, Inc.", C=US` → `[("CN", "mail.contoso.com"), ("O",
/// "Contoso, Inc."), ("C", "US")]`, as `cert::dn_string` writes it (values with a comma are
/// quoted, a quote inside doubled).
fn dn_parts(dn: &str) -> Vec<(String, String)> {
    let mut parts = Vec::new();
    let mut rest = dn.trim();
    while let Some((key, after)) = rest.split_once('=') {
        let key = key.trim().trim_start_matches(',').trim().to_string();
        let (value, tail) = if let Some(q) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = q.char_indices().peekable();
            let mut end = q.len();
            while let Some((i, c)) = chars.next() {
                if c == '"' {
                    if chars.peek().is_some_and(|(_, n)| *n == '"') {
                        chars.next();
                        value.push('"');
                        continue;
                    }
                    end = i + 1;
                    break;
                }
                value.push(c);
            }
            (value, &q[end..])
        } else {
            match after.find(", ") {
                Some(i) => (after[..i].to_string(), &after[i..]),
                None => (after.to_string(), ""),
            }
        };
        parts.push((key, value));
        rest = tail.trim_start_matches([',', ' ']);
    }
    parts
}

/// The words of a command line quoted for a POSIX shell as `invocation` writes it
/// (`'my roots.pem'`, `'it'\''s'`).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let (mut word, mut in_word, mut quoted) = (String::new(), false, false);
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => (quoted, in_word) = (!quoted, true),
            '\\' if !quoted => {
                word.extend(chars.next());
                in_word = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                }
                in_word = false;
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// File extensions: a word that ends with one is a file's name, not a DNS name
/// (`relay.contoso.com.pem`).
const FILES: &[&str] = &[
    "pem", "cer", "crt", "der", "pfx", "p12", "key", "txt", "log", "csv", "json", "xml", "ps1",
    "psm1", "exe", "dll", "cf", "cnf", "conf", "config",
];

/// The DN names a public CA (see [`PUBLIC_CAS`]).
fn public_ca(parts: &[(String, String)]) -> bool {
    parts.iter().any(|(k, v)| {
        let v = v.to_lowercase();
        (k == "O" || k == "CN") && PUBLIC_CAS.iter().any(|ca| v.contains(ca))
    })
}

impl Redactor {
    /// Learns what a DN identifies: host names in it, and unless it is a public CA's, every
    /// attribute value but the country.
    fn learn_dn(&mut self, dn: &str) {
        let parts = dn_parts(dn);
        let public = public_ca(&parts);
        let dc: Vec<&str> = parts
            .iter()
            .filter(|(k, _)| k == "DC")
            .map(|(_, v)| v.as_str())
            .collect();
        for (key, value) in &parts {
            if self.names.contains_key(&value.to_ascii_lowercase()) {
                continue;
            }
            let hostlike = value.contains('.') && value.chars().all(|c| name_char(c) || c == '*');
            // A server's own name (`CN=SRVEX01`) is a host, not an organisation.
            let server = key == "CN" && !public && self.learn_host(value, Kind::Host);
            if hostlike {
                self.learn_host(value, Kind::Host);
            } else if server || public || key == "C" {
                continue;
            } else if key == "DC" {
                // The labels of a Windows domain, but its last (`local`, `com`).
                if dc.last() != Some(&value.as_str()) {
                    self.learn_org(value);
                }
            } else {
                self.learn_org(value);
            }
        }
    }

    /// Learns a certificate's names, addresses, subject and issuer, and numbers it.
    fn learn_cert(&mut self, c: &CertInfo) {
        for n in &c.dns_names {
            self.learn_host(n, Kind::Host);
        }
        // A CA's CN (`R11`) is no host name; a leaf's is, when it looks like one.
        if let Some(cn) = c.common_name.as_ref().filter(|cn| cn.contains('.')) {
            self.learn_host(cn, Kind::Host);
        }
        for ip in &c.ip_addresses {
            self.learn_host(ip, Kind::Addr);
        }
        self.learn_dn(&c.subject);
        self.learn_dn(&c.issuer);
        let sha256 = Fingerprint::parse(&c.sha256).ok();
        let key = sha256.map_or_else(|| c.sha256.to_ascii_uppercase(), |f| f.colon());
        // A thumbprint pasted into exchange-config may have numbered it already.
        let n = self.cert_number(&[key, c.thumbprint.to_ascii_uppercase()]);
        let (sha, thumb, serial) = fake_fingerprints(n);
        match &sha256 {
            Some(fp) => self.learn_fingerprint(fp, n, None),
            None => self.learn_phrase(&c.sha256, sha, true),
        }
        self.learn_phrase(&c.thumbprint, thumb, true);
        // A short serial (`64`) is a number that text has elsewhere: [`Redactor::cert`]
        // replaces it in its field, the only place it is written.
        if c.serial.len() >= 8 {
            self.learn_phrase(&c.serial, serial, true);
        }
    }

    /// The number of the certificate any of `keys` (upper-case fingerprints) names, or a
    /// new one; every key names it from now on.
    fn cert_number(&mut self, keys: &[String]) -> usize {
        let known = keys.iter().find_map(|k| self.certs.get(k)).copied();
        let n = known.unwrap_or_else(|| self.certs.values().max().map_or(1, |n| n + 1));
        for k in keys.iter().filter(|k| !k.is_empty()) {
            self.certs.insert(k.clone(), n);
        }
        n
    }

    /// Learns a SHA-256 fingerprint as the `n`-th certificate's, in every form the report
    /// writes one (`AB:CD:…`, `ABCD…`, the head evidence cuts, `AB:CD:EF:01…9E:0F`) and as
    /// `typed`.
    fn learn_fingerprint(&mut self, fp: &Fingerprint, n: usize, typed: Option<&str>) {
        let fake = Fingerprint(fake_bytes(n));
        let (colon, fake_colon) = (fp.colon(), fake.colon());
        // The head, as evidence cuts it (`SHA-256 DA:BB:77:62:DD:A3:87:F9…`).
        self.learn_phrase(&colon[..23], fake_colon[..23].to_string(), true);
        self.learn_phrase(&fp.short(), fake.short(), true);
        self.learn_phrase(&fp.plain(), fake.plain(), true);
        if let Some(t) = typed {
            self.learn_phrase(t, fake_colon.clone(), true);
        }
        self.learn_phrase(&colon, fake_colon, true);
    }

    /// Learns an `--expect-fingerprint` as typed (any form `baseline::Fingerprint` reads):
    /// the number of the certificate served with it, or its own.
    fn learn_expected_fingerprint(&mut self, typed: &str) {
        if let Ok(fp) = Fingerprint::parse(typed) {
            let n = self.cert_number(&[fp.colon()]);
            self.learn_fingerprint(&fp, n, Some(typed));
        }
    }

    /// Learns an `--expect-issuer`: the attributes of a DN as [`Redactor::learn_dn`] does,
    /// or words as an organisation's name, unless they name a public CA.
    fn learn_issuer(&mut self, text: &str) {
        let text = text.trim();
        if text.contains('=') {
            // OpenSSL's `/C=US/O=Contoso` as a report writes a DN.
            let dn = match text.strip_prefix('/') {
                Some(rest) => rest.replace('/', ", "),
                None => text.to_string(),
            };
            self.learn_dn(&dn);
            return;
        }
        let lower = text.to_lowercase();
        if !PUBLIC_CAS.iter().any(|ca| lower.contains(ca)) {
            self.learn_org(text);
        }
    }

    /// Learns the first word after the reply code of every line of a banner (`220-mx.contoso.com
    /// ESMTP / 220 relay3.corp-int.net ready`): on the first line, where RFC 5321 §4.2 puts
    /// the server's name, a one-label name too.
    fn learn_banner(&mut self, banner: &str) {
        for (i, line) in banner.split(" / ").enumerate() {
            let coded = line.len() > 4 && line.as_bytes()[..3].iter().all(u8::is_ascii_digit);
            let Some(w) = line.get(4..).and_then(|t| t.split_whitespace().next()) else {
                continue;
            };
            match (coded, i) {
                (true, 0) => self.learn_known_host(w),
                (true, _) => self.learn_host(w, Kind::Host),
                _ => false,
            };
        }
    }

    fn learn_endpoint(&mut self, e: &EndpointReport) {
        if let Some(d) = &e.domain {
            self.learn_host(d, Kind::Domain);
        }
        self.learn_known_host(&e.host);
        self.learn_host(&e.address, Kind::Addr);
        for w in [&e.sni, &e.greeting_name].into_iter().flatten() {
            self.learn_known_host(w);
        }
        for w in [&e.local_address, &e.seen_as].into_iter().flatten() {
            self.learn_host(w, Kind::Addr);
        }
        self.learn_known_host(&e.ehlo_name_sent);
        if let Some(b) = &e.banner {
            self.learn_banner(b);
        }
        for c in e.certificate.iter().chain(&e.chain) {
            self.learn_cert(c);
        }
        // Ours (`--client-cert`) identifies the sender as the server's identifies the
        // receiver; the CA names the server asks for are private CAs' as often as not.
        if let Some(a) = &e.client_auth {
            if let Some(c) = &a.certificate {
                self.learn_cert(c);
            }
            for dn in &a.acceptable_ca_names {
                self.learn_dn(dn);
            }
        }
    }

    /// Learns what a command line as `invocation` writes it (quoted for a POSIX shell,
    /// the program's name first) names: see [`Redactor::learn_command_line`].
    fn learn_invocation(&mut self, line: &str) {
        let words = shell_words(line);
        self.learn_command_line(words.get(1..).unwrap_or_default());
    }

    /// Learns what the options of a command line (its arguments, without the program's name)
    /// name: `--resolve HOST:[PORT:]ADDR`, `--expect-name`, `--ehlo-name`,
    /// `--client-cert-name`, `listen --hostname`, `--egress-ip`,
    /// every `--expect-fingerprint` (in any form it reads) and `--expect-issuer`, each with
    /// its value after `=` or in the next word. The targets are learned from the report or
    /// the error, which read them as the command line does.
    pub fn learn_command_line(&mut self, words: &[String]) {
        let words: Vec<&str> = words
            .iter()
            .map(String::as_str)
            .take_while(|w| *w != "--")
            .collect();
        for (i, w) in words.iter().enumerate() {
            let (option, value) = match w.split_once('=') {
                Some((o, v)) if o.starts_with("--") => (o, Some(v)),
                _ => (*w, words.get(i + 1).copied()),
            };
            let Some(value) = value.filter(|_| option.starts_with("--")) else {
                continue;
            };
            match option {
                "--resolve" => {
                    for part in value.split(':') {
                        if !part.bytes().all(|b| b.is_ascii_digit()) {
                            self.learn_host(part, Kind::Host);
                        }
                    }
                    if let Some((_, addr)) = value.split_once(":[") {
                        self.learn_host(addr.trim_end_matches(']'), Kind::Addr);
                    }
                }
                // A value with a space is refused, and its message quotes it: its words.
                "--expect-name" | "--ehlo-name" | "--hostname" | "--client-cert-name" => {
                    for w in value.split_whitespace() {
                        self.learn_known_host(w);
                    }
                }
                "--egress-ip" => {
                    self.learn_host(value, Kind::Addr);
                }
                "--expect-fingerprint" => self.learn_expected_fingerprint(value),
                "--expect-issuer" => self.learn_issuer(value),
                _ => {}
            }
        }
    }

    /// Learns every target of a batch before its first report is written: a JSON Lines
    /// stream writes each line as its target completes, and a name a later target brings
    /// (inside a `--ca-file` path of the shared invocation, say) must already be replaced in
    /// the first line.
    pub fn learn_target_list<'a>(&mut self, targets: impl IntoIterator<Item = &'a str>) {
        for t in targets {
            self.learn_targets(t);
        }
    }

    /// Learns the targets of a report (as its `target` writes them, space-separated): a mail
    /// domain unless it is written in brackets or no MX was asked.
    fn learn_targets(&mut self, targets: &str) {
        for t in targets.split_whitespace() {
            match t.parse::<crate::target::Target>() {
                Ok(target) => {
                    let host = target.host.to_string();
                    let kind = if target.is_mail_domain() {
                        Kind::Domain
                    } else {
                        Kind::Host
                    };
                    if kind == Kind::Host {
                        self.learn_parent(&host);
                        self.learn_known_host(&host);
                    } else {
                        self.learn_host(&host, kind);
                    }
                }
                Err(_) => {
                    self.learn_known_host(t);
                }
            }
        }
    }

    /// The domain of a host asked for by name (`[mail.contoso.com]` → `contoso.com`), so
    /// that other names under it are redacted too; not a provider's.
    fn learn_parent(&mut self, host: &str) {
        let labels: Vec<&str> = host.split('.').collect();
        if labels.len() < 3 || host.parse::<IpAddr>().is_ok() {
            return;
        }
        let parent = labels[labels.len() - 2..].join(".");
        if !PROVIDERS.iter().any(|p| host.ends_with(p)) {
            self.learn_host(&parent, Kind::Domain);
        }
    }

    /// Learns everything a report names, in the order a reader meets it.
    pub fn learn(&mut self, r: &Report) {
        self.learn_targets(&r.target);
        for m in &r.mx {
            self.learn_host(&m.domain, Kind::Domain);
            self.learn_host(&m.exchange, Kind::Host);
            for a in &m.addresses {
                self.learn_host(a, Kind::Addr);
            }
        }
        for e in &r.endpoints {
            self.learn_endpoint(e);
        }
        if let Some(h) = &r.probe_host {
            self.learn_known_host(h);
        }
        if let Some(i) = &r.invocation {
            self.learn_invocation(i);
        }
        self.learn_policy_data(r);
        if let Some(b) = self.baseline.take() {
            self.learn_baseline(&b);
        }
    }

    /// Learns what a `--baseline` names: its targets, hosts, domains and addresses, its
    /// certificates (fingerprint, subject, issuer) and the command line it ran with.
    fn learn_baseline(&mut self, b: &crate::baseline::Baseline) {
        for r in &b.reports {
            self.learn_targets(&r.target);
            for e in &r.endpoints {
                if let Some(d) = &e.domain {
                    self.learn_host(d, Kind::Domain);
                }
                self.learn_known_host(&e.host);
                self.learn_addr(e.address);
                if let Some(c) = &e.certificate {
                    let n = self.cert_number(&[c.sha256.colon()]);
                    self.learn_fingerprint(&c.sha256, n, None);
                    self.learn_dn(&c.subject);
                    self.learn_dn(&c.issuer);
                }
            }
            if let Some(i) = &r.invocation {
                self.learn_invocation(i);
            }
        }
    }

    /// Learns what `explain` read in the pasted text: host names, addresses, the name
    /// expected, and the suggested probe's command line.
    pub fn learn_explanation(&mut self, e: &crate::explain::Explanation) {
        let x = &e.extracted;
        for h in &x.hosts {
            self.learn_host(h, Kind::Host);
        }
        for ip in x.addresses.iter().chain(&x.sender_addresses) {
            self.learn_addr(*ip);
        }
        if let Some(n) = &x.expect_name {
            self.learn_host(n, Kind::Host);
        }
        for line in &x.protocol_log {
            for w in line.split([',', ' ']) {
                self.learn_pasted_word(w);
            }
        }
        if let Some(p) = &e.probe {
            self.learn_host(&p.target, Kind::Host);
            self.learn_invocation(&p.command);
        }
    }

    /// Learns what `exchange-config` read (every name-like word and subject of the pasted
    /// properties, the host probed), then redacts its probe's report. The rest of its text
    /// is redacted when rendered ([`Redactor::text`]).
    pub fn exchange(&mut self, r: &mut super::exchange::ExchangeReport) {
        if let Some(j) = &r.join {
            self.learn_host(&j.host, Kind::Host);
        }
        for f in r.read.iter().flat_map(|o| &o.fields) {
            if f.property.ends_with("Thumbprint") && f.value.len() == 40 {
                self.learn_thumbprint(&f.value);
            }
            for part in f.value.split("<I>").flat_map(|p| p.split("<S>")) {
                if part.contains("CN=") || part.contains("O=") {
                    self.learn_dn(part);
                }
            }
            for w in f.value.split(|c: char| !name_char(c) && c != '*') {
                self.learn_pasted_word(w);
            }
        }
        if let Some(p) = r.probe.as_mut() {
            self.report(p);
        }
        for f in &mut r.findings {
            self.finding(f);
        }
    }

    /// Learns a pasted thumbprint (SHA-1 hex) as the certificate's number.
    fn learn_thumbprint(&mut self, thumbprint: &str) {
        let key = thumbprint.to_ascii_uppercase();
        if !self.certs.contains_key(&key) {
            let n = self.cert_number(&[key]);
            let (_, thumb, _) = fake_fingerprints(n);
            self.learn_phrase(thumbprint, thumb, true);
        }
    }

    /// The error with its targets and message through the mapping, after learning the
    /// targets and the names and addresses the message quotes (a `--baseline`'s targets, a
    /// host that did not resolve); file paths stay.
    pub fn run_error(&mut self, e: &super::json::RunError) -> super::json::RunError {
        self.learn_targets(&e.target);
        let quoted = |c: char| c.is_whitespace() || ",;'\"`()[]<>".contains(c);
        for w in e.detail.message.split(quoted) {
            // `mx.contoso.com:99999`, `--resolve=mx.contoso.com:bad`; not a file's path.
            if !w.contains('/') && !w.contains('\\') {
                for part in w.split([':', '=']) {
                    self.learn_pasted_word(part);
                }
            }
        }
        let mut redacted = e.clone();
        redacted.target = self.text(&e.target);
        redacted.detail.message = self.text(&e.detail.message);
        redacted
    }

    /// Learns a pasted word that looks like a DNS name (two labels or more, the last
    /// alphabetic and not a file extension) or is an address.
    fn learn_pasted_word(&mut self, word: &str) {
        let w = word.trim_matches('.');
        if let Ok(ip) = w.parse::<IpAddr>() {
            self.learn_addr(ip);
            return;
        }
        let Some((_, last)) = w.rsplit_once('.') else {
            return;
        };
        let tld = last.len() >= 2 && last.bytes().all(|b| b.is_ascii_alphabetic());
        if tld && !FILES.contains(&last.to_ascii_lowercase().as_str()) {
            self.learn_host(w, Kind::Host);
        }
    }
}

/// The SHA-256 written for the `n`-th certificate: all zeros but `n`, first (so that the head
/// evidence shows, `SHA-256 00:…:05…`, differs too) and last (so that the short form,
/// `00:00:00:00…00:05`, does).
fn fake_bytes(n: usize) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    let n = (n as u64).to_be_bytes();
    bytes[..8].copy_from_slice(&n);
    bytes[24..].copy_from_slice(&n);
    bytes
}

/// The fingerprints and serial written for the `n`-th certificate: SHA-256 and SHA-1 shaped
/// (so the JSON still matches the schema) and plainly not real (all zeros but `n`), so a
/// fingerprint can be compared within the report but not looked up in a CT log.
fn fake_fingerprints(n: usize) -> (String, String, String) {
    let bytes = fake_bytes(n);
    let hex = |b: &[u8], sep: &str| {
        b.iter()
            .map(|x| format!("{x:02X}"))
            .collect::<Vec<_>>()
            .join(sep)
    };
    (
        hex(&bytes, ":"),
        hex(&bytes[..20], ""),
        hex(&bytes[..8], ""),
    )
}

impl Redactor {
    /// The report with every string rewritten through the mapping, after learning what it
    /// names. The typed endpoint identities (the joins of findings to endpoints) stay as they
    /// are; [`Redactor::text`] catches them where they are written.
    pub fn report(&mut self, r: &mut Report) {
        self.learn(r);
        for s in [&mut r.target, &mut r.headline] {
            *s = self.text(s);
        }
        for s in [&mut r.invocation, &mut r.probe_host].into_iter().flatten() {
            *s = self.text(s);
        }
        for m in &mut r.mx {
            for s in [&mut m.domain, &mut m.exchange] {
                *s = self.text(s);
            }
            self.all(&mut m.addresses);
            self.opt(&mut m.cause);
        }
        for f in &mut r.findings {
            self.finding(f);
        }
        for e in &mut r.endpoints {
            self.endpoint(e);
            self.endpoint_policy(e);
        }
        self.policy(r);
    }

    fn all(&mut self, v: &mut [String]) {
        for s in v {
            *s = self.text(s);
        }
    }

    fn opt(&mut self, v: &mut Option<String>) {
        if let Some(s) = v {
            *s = self.text(s);
        }
    }

    /// A finding's strings, fix steps included.
    pub fn finding(&mut self, f: &mut Finding) {
        f.endpoint = self.text(&f.endpoint);
        f.summary = self.text(&f.summary);
        self.all(&mut f.evidence);
        for step in &mut f.fix.steps {
            match step {
                Step::Prose { text } | Step::Command { text, .. } => *text = self.text(text),
            }
        }
    }

    fn endpoint(&mut self, e: &mut EndpointReport) {
        for s in [
            &mut e.label,
            &mut e.host,
            &mut e.address,
            &mut e.ehlo_name_sent,
        ] {
            *s = self.text(s);
        }
        for s in [
            &mut e.domain,
            &mut e.mx,
            &mut e.local_address,
            &mut e.seen_as,
            &mut e.sni,
            &mut e.banner,
            &mut e.greeting_name,
            &mut e.starttls_reply,
        ] {
            self.opt(s);
        }
        self.all(&mut e.ehlo);
        self.all(&mut e.ehlo_after_tls);
        if let Some(t) = &mut e.trust {
            self.opt(&mut t.reason);
        }
        if let Some(f) = &mut e.failure {
            f.message = self.text(&f.message);
        }
        for l in &mut e.transcript {
            l.line = self.text(&l.line);
        }
        for c in e.certificate.iter_mut().chain(&mut e.chain) {
            self.cert(c);
        }
        if let Some(a) = &mut e.client_auth {
            self.all(&mut a.acceptable_ca_names);
            self.opt(&mut a.source);
            self.opt(&mut a.detail);
            if let Some(c) = &mut a.certificate {
                self.cert(c);
            }
        }
    }

    fn cert(&mut self, c: &mut CertInfo) {
        // Its fingerprints and serial by its number, the serial whatever its length.
        if let Some(&n) = self.certs.get(&c.sha256.to_ascii_uppercase()) {
            (c.sha256, c.thumbprint, c.serial) = fake_fingerprints(n);
        }
        for s in [
            &mut c.subject,
            &mut c.issuer,
            &mut c.serial,
            &mut c.sha256,
            &mut c.thumbprint,
            &mut c.exchange_tls_name,
        ] {
            *s = self.text(s);
        }
        self.opt(&mut c.common_name);
        self.all(&mut c.dns_names);
        self.all(&mut c.ip_addresses);
    }
}

impl Redactor {
    /// `text` through the mapping: phrases, then names (whole tokens, and names under a
    /// known mail domain), mail addresses' local parts, then every IPv4 and IPv6 literal.
    pub fn text(&mut self, text: &str) -> String {
        let named = self.names_in(text);
        self.addresses_in(&named)
    }

    /// The phrase learned to start at `rest`, with its length.
    fn phrase_at(&self, rest: &str) -> Option<(&Phrase, usize)> {
        let first = rest.split(|c: char| !c.is_alphanumeric()).next()?;
        let list = self.phrases.get(&first.to_lowercase())?;
        list.iter().find_map(|p| {
            let n = p.text.len();
            let head = rest.get(..n)?;
            let same = if p.any_case {
                head.eq_ignore_ascii_case(&p.text)
            } else {
                head == p.text
            };
            let after = rest[n..].chars().next();
            let bounded = after.is_none_or(|c| !c.is_alphanumeric() && c != '_');
            (same && bounded).then_some((p, n))
        })
    }

    /// The placeholder of a name token (trimmed of dots), if it is or ends with a learned one.
    fn name_placeholder(&self, token: &str) -> Option<String> {
        // A reply line's code is part of the token: `250-mx.contoso.com`.
        if let Some(name) = token.get(4..)
            && token.as_bytes()[..3].iter().all(u8::is_ascii_digit)
            && token.as_bytes()[3] == b'-'
        {
            return self
                .name_placeholder(name)
                .map(|p| format!("{}{p}", &token[..4]));
        }
        let learned = |t: &str| self.names.get(&t.to_ascii_lowercase()).cloned();
        if let Some(p) = learned(token) {
            return Some(p);
        }
        // A file named after a host (`--client-cert mail.contoso.com.pem`): its name goes,
        // its extension stays.
        if let Some((stem, ext)) = token.rsplit_once('.')
            && FILES.contains(&ext.to_ascii_lowercase().as_str())
            && let Some(p) = self.name_placeholder(stem)
        {
            return Some(format!("{p}.{ext}"));
        }
        // A name joined to a label by an underscore (`days_left_mx1.contoso.com`), before a
        // name under the mail domain would keep the label and the host's first label.
        let joined = token
            .match_indices('_')
            .find_map(|(i, _)| learned(&token[i + 1..]).map(|p| format!("{}{p}", &token[..=i])));
        if joined.is_some() {
            return joined;
        }
        // `autodiscover.contoso.com` under the mail domain `contoso.com`.
        let lower = token.to_ascii_lowercase();
        let mut from = 0;
        while let Some(dot) = lower[from..].find('.') {
            let suffix = &lower[from + dot + 1..];
            if self.domains.contains(suffix) {
                let p = &self.names[suffix];
                return Some(format!("{}.{p}", &token[..from + dot]));
            }
            from += dot + 1;
        }
        None
    }

    fn user_placeholder(&mut self, local: &str) -> String {
        let key = local.to_ascii_lowercase();
        if ROLES.contains(&key.as_str()) || is_placeholder(&key) {
            return local.to_string();
        }
        if let Some(p) = self.users.get(&key) {
            return p.clone();
        }
        let p = self.next(Kind::User);
        self.users.insert(key, p.clone());
        p
    }

    fn names_in(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        let mut prev: Option<char> = None;
        while i < text.len() {
            let rest = &text[i..];
            let c = rest.chars().next().unwrap_or_default();
            let starts = prev.is_none_or(|p| !p.is_alphanumeric() && !name_char(p));
            // A whole name token first (`SRVEX01.domain.local` before the phrase `SRVEX01`).
            if starts && name_char(c) {
                let n = rest.find(|c: char| !name_char(c)).unwrap_or(rest.len());
                let raw = &rest[..n];
                let token = raw.trim_matches('.');
                let lead = raw.len() - raw.trim_start_matches('.').len();
                let replaced = if rest[n..].starts_with('@') && !token.is_empty() {
                    Some(self.user_placeholder(token))
                } else {
                    self.name_placeholder(token)
                };
                if let Some(p) = replaced {
                    out.push_str(&raw[..lead]);
                    out.push_str(&p);
                    out.push_str(&raw[lead + token.len()..]);
                    prev = raw.chars().last();
                    i += n;
                    continue;
                }
            }
            if starts
                && c.is_alphanumeric()
                && let Some((p, n)) = self.phrase_at(rest)
            {
                out.push_str(&p.placeholder.clone());
                prev = rest[..n].chars().last();
                i += n;
                continue;
            }
            if starts && name_char(c) {
                // No name, no phrase: the token as it is, never a match inside it.
                let n = rest.find(|c: char| !name_char(c)).unwrap_or(rest.len());
                out.push_str(&rest[..n]);
                prev = rest[..n].chars().last();
                i += n.max(1);
                continue;
            }
            out.push(c);
            prev = Some(c);
            i += c.len_utf8();
        }
        out
    }
}

/// A character of an address literal as text writes it.
fn addr_char(c: char) -> bool {
    c.is_ascii_hexdigit() || c == '.' || c == ':'
}

impl Redactor {
    /// A run of address characters with its addresses replaced, or `None` when it holds none.
    fn address_run(&mut self, run: &str, after_word: bool) -> Option<String> {
        let body = run.trim_end_matches(['.', ':']);
        let tail = &run[body.len()..];
        // Eight groups of two hex digits is a fingerprint's head (`SHA-256 DA:BB:77:…`).
        let fingerprint = !body.contains("::") && body.split(':').all(|g| g.len() == 2);
        if !after_word
            && !fingerprint
            && body.contains(':')
            && body.bytes().any(|b| b.is_ascii_hexdigit())
            && let Ok(ip) = body.parse::<std::net::Ipv6Addr>()
        {
            return Some(format!("{}{tail}", self.learn_addr(IpAddr::V6(ip))));
        }
        // `1.2.3.4`, `1.2.3.4:25`, `:1.2.3.4` (after `--resolve host`), `:25:1.2.3.4`.
        let mut any = false;
        let parts: Vec<String> = body
            .split(':')
            .enumerate()
            .map(|(k, part)| {
                let own = k > 0 || !after_word;
                match part.parse::<std::net::Ipv4Addr>() {
                    Ok(ip) if own && part.contains('.') => {
                        any = true;
                        self.learn_addr(IpAddr::V4(ip))
                    }
                    _ => part.to_string(),
                }
            })
            .collect();
        any.then(|| format!("{}{tail}", parts.join(":")))
    }

    fn addresses_in(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut prev: Option<char> = None;
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            let word = |p: char| p.is_alphanumeric() || p == '_' || p == '-';
            // `[IPv6:2001:db8::5]`: the tag is no part of the address that follows it.
            if prev.is_none_or(|p| !word(p)) && without_ipv6_tag(rest).len() < rest.len() {
                out.push_str(&rest[..5]);
                prev = None;
                rest = &rest[5..];
                continue;
            }
            if addr_char(c) && prev.is_none_or(|p| !addr_char(p)) {
                let n = rest.find(|c: char| !addr_char(c)).unwrap_or(rest.len());
                let run = &rest[..n];
                let next = rest[n..].chars().next();
                // `RFC 8446 §4.4.2.4` is a section, not an address.
                let after_word = prev.is_some_and(|p| word(p) || p == '§');
                let bounded = next.is_none_or(|c| !word(c));
                match self.address_run(run, after_word).filter(|_| bounded) {
                    Some(r) => out.push_str(&r),
                    None => out.push_str(run),
                }
                prev = run.chars().last();
                rest = &rest[n..];
                continue;
            }
            out.push(c);
            prev = Some(c);
            rest = &rest[c.len_utf8()..];
        }
        out
    }
}

#[cfg(test)]
mod tests;
