//! Exchange's certificate selection, modelled, and the name comparisons the rules share.
//!
//! For STARTTLS on a receive connector ("Selection of Inbound STARTTLS Certificates",
//! Microsoft Learn, Exchange 2016/2019/SE): the connector's `AuthMechanism` must hold `Tls`;
//! the name sought is `TlsCertificateName` (issuer and subject, matched exactly), else the
//! connector's `Fqdn`, else the server's FQDN; among the certificates in the server's store
//! that match it and have a private key, the newest `NotBefore` wins, a CA-issued one before a
//! self-signed one. No match: no STARTTLS, Event 12014 — Exchange never falls back from a
//! `TlsCertificateName` that names nothing. A matched certificate without the SMTP service is
//! still chosen ("TLS communication will fail at later stage"). A send connector chooses its
//! client certificate the same way (`TlsCertificateName`, else `Fqdn`, else the server).
//!
//! The comparison of a `TlsCertificateName` with a certificate is by distinguished name, RDN
//! by RDN, case-insensitively (HealthChecker compares case-insensitively too); a near miss is
//! classified (issuer changed at renewal, subject changed, names reversed, markers swapped)
//! because each has its own explanation. Pasted text adds doubt: a value wrapped across lines
//! is compared without its spaces, and a forum paste may glue prose onto the last RDN, in
//! which case the certificate's last value only has to be a prefix of the pasted one.

use time::OffsetDateTime;

use super::model::{Certificate, Config, InputFormat, List, ServerName, Text};
use crate::cert::CertInfo;

/// One relative distinguished name: the attribute type (upper case, `ST` written `S` as
/// Windows does) and its value, unquoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rdn {
    /// `CN`, `O`, `C`...
    pub kind: String,
    /// The value as written, quotes removed.
    pub value: String,
}

/// A distinguished name as .NET prints it: most specific RDN first, `, ` between RDNs,
/// values with a comma in double quotes (`O="GoDaddy.com, Inc."`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dn {
    /// The RDNs in written order.
    pub rdns: Vec<Rdn>,
}

impl Dn {
    /// Parses `text`; `None` when it holds no `TYPE=value` at all.
    pub fn parse(text: &str) -> Option<Dn> {
        let mut rdns: Vec<Rdn> = Vec::new();
        for part in split_rdns(text) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            match part.split_once('=') {
                Some((k, v)) if is_attribute_type(k.trim()) => rdns.push(Rdn {
                    kind: normal_kind(k.trim()),
                    value: unquote(v.trim()),
                }),
                // A comma inside an unquoted value (`O=Contoso, Inc.` typed by hand): it
                // belongs to the value before it.
                _ => match rdns.last_mut() {
                    Some(last) => {
                        last.value.push_str(", ");
                        last.value.push_str(part);
                    }
                    None => return None,
                },
            }
        }
        (!rdns.is_empty()).then_some(Dn { rdns })
    }

    /// The first `CN`.
    pub fn common_name(&self) -> Option<&str> {
        self.rdns
            .iter()
            .find(|r| r.kind == "CN")
            .map(|r| r.value.as_str())
    }

    /// The same RDNs in the other order.
    fn reversed(&self) -> Dn {
        Dn {
            rdns: self.rdns.iter().rev().cloned().collect(),
        }
    }
}

/// Splits at commas outside double quotes and not escaped with `\`.
fn split_rdns(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            ',' | ';' if !quoted => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn is_attribute_type(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 40
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && !k.contains(' ')
}

fn normal_kind(k: &str) -> String {
    let k = k.to_ascii_uppercase();
    match k.as_str() {
        "ST" => "S".to_string(),
        "EMAILADDRESS" => "E".to_string(),
        _ => k,
    }
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        v[1..v.len() - 1].replace("\"\"", "\"")
    } else {
        let mut out = String::with_capacity(v.len());
        let mut chars = v.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else {
                out.push(c);
            }
        }
        out
    }
}

/// A value as compared: spaces collapsed, case folded; without any spaces at all when the
/// paste wrapped it (a wrap may have added a space inside a word).
pub fn fold(value: &str, wrapped: bool) -> String {
    // A forum's link markup puts a URL value in brackets (`OU=[http://certs.godaddy.com/…]`);
    // no CA writes a URL that way, so the brackets are the paste's, not the certificate's.
    let trimmed = value.trim();
    let value = match trimmed.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
        Some(inner) if inner.contains("://") => inner,
        _ => trimmed,
    };
    let words: Vec<&str> = value.split_whitespace().collect();
    let joined = if wrapped {
        words.concat()
    } else {
        words.join(" ")
    };
    joined.to_lowercase()
}

/// Two distinguished names are the same, RDN by RDN, as [`fold`] compares values.
pub fn same_dn(a: &Dn, b: &Dn, wrapped: bool) -> bool {
    a.rdns.len() == b.rdns.len()
        && a.rdns
            .iter()
            .zip(&b.rdns)
            .all(|(x, y)| x.kind == y.kind && fold(&x.value, wrapped) == fold(&y.value, wrapped))
}

/// The pasted subject `pasted` (whose last value may carry glued prose) names `cert`: every
/// RDN but the last is equal, and the certificate's last value starts the pasted one.
fn same_dn_glued(pasted: &Dn, cert: &Dn, wrapped: bool) -> bool {
    let n = pasted.rdns.len();
    if n == 0 || cert.rdns.len() != n {
        return false;
    }
    let (p_last, c_last) = (&pasted.rdns[n - 1], &cert.rdns[n - 1]);
    pasted.rdns[..n - 1]
        .iter()
        .zip(&cert.rdns[..n - 1])
        .all(|(x, y)| x.kind == y.kind && fold(&x.value, wrapped) == fold(&y.value, wrapped))
        && p_last.kind == c_last.kind
        && !c_last.value.trim().is_empty()
        && fold(&p_last.value, wrapped).starts_with(&fold(&c_last.value, wrapped))
}

/// What is wrong with a `TlsCertificateName` as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameProblem {
    /// Neither `<I>` nor `<S>`: Exchange cannot read it. From a forum paste the markers may
    /// have been eaten as HTML tags (`<I>` is italics, `<S>` strike-through).
    NoMarkers {
        /// The paste came through a renderer that may have eaten them.
        maybe_eaten: bool,
    },
    /// `<S>` before `<I>`.
    Swapped,
    /// A marker with nothing readable after it.
    Empty,
}

/// A parsed `<I>issuer<S>subject`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsName {
    /// The issuer as written.
    pub issuer: Dn,
    /// The subject as written.
    pub subject: Dn,
    /// The value as pasted.
    pub raw: String,
    /// The last subject value reads like prose glued on by a forum or ticket (`O=XXXXSince
    /// the fact the connector…`): it is compared as a prefix.
    pub glued: bool,
    /// The value was wrapped across lines.
    pub wrapped: bool,
}

/// Reads a `TlsCertificateName`. `<I>` and `<S>` are matched case-insensitively (Microsoft's
/// own examples use `<i>`/`<s>`), at the first `<I>` and the last `<S>`.
pub fn parse_tls_name(text: &Text, format: InputFormat) -> Result<TlsName, NameProblem> {
    let raw = text.value.trim();
    let lower = raw.to_ascii_lowercase();
    let (i, s) = (lower.find("<i>"), lower.rfind("<s>"));
    let (i, s) = match (i, s) {
        (Some(i), Some(s)) if i < s => (i, s),
        (Some(_), Some(_)) => return Err(NameProblem::Swapped),
        _ => {
            return Err(NameProblem::NoMarkers {
                maybe_eaten: format == InputFormat::FormatList && lower.matches("cn=").count() >= 2,
            });
        }
    };
    let (issuer, subject) = (&raw[i + 3..s], &raw[s + 3..]);
    let (Some(issuer), Some(subject)) = (Dn::parse(issuer), Dn::parse(subject)) else {
        return Err(NameProblem::Empty);
    };
    let glued = subject
        .rdns
        .last()
        .is_some_and(|r| looks_like_prose(&r.value));
    Ok(TlsName {
        issuer,
        subject,
        raw: raw.to_string(),
        glued,
        wrapped: text.wrapped,
    })
}

/// A value that reads like a sentence rather than a name: at least five words, three of them
/// lower-case, or a sentence's end followed by more words.
fn looks_like_prose(value: &str) -> bool {
    let words: Vec<&str> = value.split_whitespace().collect();
    let lower = words
        .iter()
        .filter(|w| w.starts_with(|c: char| c.is_lowercase()))
        .count();
    let sentence_end = value.contains(". ") || value.contains("? ") || value.contains("! ");
    (words.len() >= 5 && lower >= 3) || (sentence_end && words.len() >= 3)
}

/// How a certificate compares with a `TlsCertificateName`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameMatch {
    /// Issuer and subject are the certificate's.
    Exact,
    /// They are, once the prose glued onto the paste is cut off.
    IfGlued,
    /// Not this certificate, but nearly.
    Near(Near),
    /// Nothing in common.
    No,
    /// The certificate's issuer or subject is not known (table view).
    Unknown,
}

/// A near miss, each with its own explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Near {
    /// Same subject, another issuer: the CA's intermediate changed at renewal
    /// (`DigiCert TLS RSA SHA256 2020 CA1` → `DigiCert Global G2 TLS RSA SHA256 2020 CA1`).
    IssuerChanged,
    /// Same issuer and common name, other subject fields: the renewal changed the subject
    /// (an OV certificate renewed as DV drops `O=` and `L=`).
    SubjectChanged,
    /// The same names in the opposite order (copied from certutil or the MMC).
    Reversed,
    /// Issuer and subject swapped (`<I>` holds the subject).
    Swapped,
}

impl Near {
    /// Plain words for the report.
    pub fn describe(self) -> &'static str {
        match self {
            Near::IssuerChanged => {
                "same subject, another issuer: the CA's intermediate changed at renewal"
            }
            Near::SubjectChanged => {
                "same issuer and common name, other subject fields: the renewal changed the subject (an OV certificate renewed as DV loses O= and L=)"
            }
            Near::Reversed => "the same names in reverse order (as certutil or the MMC write them)",
            Near::Swapped => "issuer and subject swapped",
        }
    }
}

/// The issuer and subject of `cert`, from its bytes when the script supplied them, else from
/// the pasted text; with the doubt the paste adds (wrapped).
pub fn cert_dns(cert: &Certificate, now: OffsetDateTime) -> Option<(Dn, Dn, bool)> {
    if let Some(info) = parsed(cert, now) {
        let (i, s) = info
            .exchange_tls_name
            .strip_prefix("<I>")
            .and_then(|r| r.split_once("<S>"))?;
        return Some((Dn::parse(i)?, Dn::parse(s)?, false));
    }
    let (issuer, subject) = (cert.issuer.as_ref()?, cert.subject.as_ref()?);
    Some((
        Dn::parse(&issuer.value)?,
        Dn::parse(&subject.value)?,
        issuer.wrapped || subject.wrapped,
    ))
}

/// The certificate's own bytes, parsed (only when the collection script supplied them).
pub fn parsed(cert: &Certificate, now: OffsetDateTime) -> Option<CertInfo> {
    cert.der
        .as_deref()
        .and_then(|der| CertInfo::parse(der, now).ok())
}

/// Compares a `TlsCertificateName` with a certificate.
pub fn compare(name: &TlsName, cert: &Certificate, now: OffsetDateTime) -> NameMatch {
    let Some((issuer, subject, cert_wrapped)) = cert_dns(cert, now) else {
        return NameMatch::Unknown;
    };
    let w = name.wrapped || cert_wrapped;
    let issuer_same = same_dn(&name.issuer, &issuer, w);
    if issuer_same && same_dn(&name.subject, &subject, w) {
        return NameMatch::Exact;
    }
    if issuer_same && name.glued && same_dn_glued(&name.subject, &subject, w) {
        return NameMatch::IfGlued;
    }
    let subject_same = same_dn(&name.subject, &subject, w)
        || (name.glued && same_dn_glued(&name.subject, &subject, w));
    if subject_same {
        return NameMatch::Near(Near::IssuerChanged);
    }
    if same_dn(&name.issuer.reversed(), &issuer, w)
        && same_dn(&name.subject.reversed(), &subject, w)
    {
        return NameMatch::Near(Near::Reversed);
    }
    if same_dn(&name.issuer, &subject, w) && same_dn(&name.subject, &issuer, w) {
        return NameMatch::Near(Near::Swapped);
    }
    let cn = |d: &Dn| d.common_name().map(|c| fold(c, w));
    if issuer_same && cn(&name.subject).is_some() && cn(&name.subject) == cn(&subject) {
        return NameMatch::Near(Near::SubjectChanged);
    }
    NameMatch::No
}

/// The names a certificate answers to, and whether the list is known to be complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// DNS names (SAN), or the common name when there are none.
    pub names: Vec<String>,
    /// False when the paste cut `CertificateDomains`, or only the subject's CN is known.
    pub complete: bool,
}

/// The names of `cert`: from its bytes, else `CertificateDomains`, else the subject's CN.
pub fn cert_names(cert: &Certificate, now: OffsetDateTime) -> Option<Names> {
    if let Some(info) = parsed(cert, now) {
        let mut names = info.dns_names.clone();
        if names.is_empty() {
            names.extend(info.common_name.clone());
        }
        return Some(Names {
            names,
            complete: true,
        });
    }
    if let Some(List {
        items, truncated, ..
    }) = &cert.domains
        && (!items.is_empty() || !truncated)
    {
        return Some(Names {
            names: items.clone(),
            complete: !truncated,
        });
    }
    let cn = cert
        .subject
        .as_ref()
        .and_then(|s| Dn::parse(&s.value))
        .and_then(|d| d.common_name().map(str::to_string))?;
    Some(Names {
        names: vec![cn],
        complete: false,
    })
}

/// `name` (from a certificate) covers `host`, RFC 6125 §6.4.3: equal ignoring case and a
/// final dot, or a `*.` wildcard standing for exactly one whole left-most label.
pub fn covers(name: &str, host: &str) -> bool {
    let n = name.trim().trim_end_matches('.').to_ascii_lowercase();
    let h = host.trim().trim_end_matches('.').to_ascii_lowercase();
    if n.is_empty() || h.is_empty() {
        return false;
    }
    if let Some(rest) = n.strip_prefix("*.") {
        return h
            .split_once('.')
            .is_some_and(|(first, tail)| !first.is_empty() && tail == rest);
    }
    n == h
}

/// Whether `cert` covers `host`: `None` when its name list is incomplete and none of the
/// names shown does.
pub fn cert_covers(cert: &Certificate, host: &str, now: OffsetDateTime) -> Option<bool> {
    let names = cert_names(cert, now)?;
    if names.names.iter().any(|n| covers(n, host)) {
        Some(true)
    } else if names.complete {
        Some(false)
    } else {
        None
    }
}

/// How a connector's domain pattern (`TlsDomain`, `TlsSenderCertificateName`) compares with
/// a certificate's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternMatch {
    /// A name on the certificate satisfies it.
    Yes(String),
    /// None does (and the name list is complete).
    No,
    /// Borderline or unknown: the reason, for an inconclusive finding.
    Doubt(String),
}

/// Whether the certificate's names satisfy a connector's domain `pattern`. Exchange Online
/// reads `*.contoso.com` in `TlsSenderCertificateName` as "a domain and all its subdomains"
/// (Set-InboundConnector); for `TlsDomain` the documentation says only "all subdomains", so
/// the apex alone is a doubt there (`apex_counts` false). A wildcard certificate name meets a
/// single-label host pattern the way RFC 6125 says, which Microsoft does not document for
/// these checks: that is a doubt too.
pub fn pattern_matches(pattern: &str, names: &Names, apex_counts: bool) -> PatternMatch {
    let p = pattern.trim().trim_end_matches('.').to_ascii_lowercase();
    let mut doubt = None;
    for n in &names.names {
        let n = n.trim().trim_end_matches('.').to_ascii_lowercase();
        if n == p {
            return PatternMatch::Yes(n);
        }
        if let Some(domain) = p.strip_prefix("*.") {
            let bare = n.strip_prefix("*.").unwrap_or(&n);
            if bare.ends_with(&format!(".{domain}")) {
                return PatternMatch::Yes(n);
            }
            if bare == domain {
                if apex_counts || n.starts_with("*.") {
                    return PatternMatch::Yes(n);
                }
                doubt = Some(format!(
                    "the certificate names the apex {n}; whether TlsDomain {pattern} covers the apex is not documented"
                ));
            }
        } else if n.starts_with("*.") && covers(&n, &p) {
            doubt = Some(format!(
                "the certificate names only the wildcard {n} for {pattern}; Microsoft does not document whether that satisfies the connector"
            ));
        }
    }
    match doubt {
        Some(d) => PatternMatch::Doubt(d),
        None if names.complete => PatternMatch::No,
        None => PatternMatch::Doubt(format!(
            "the paste shows only some of the certificate's names, and none of them is {pattern}"
        )),
    }
}

/// Whether `a` and `b` name the same server: equal ignoring case, or one is the other's
/// first label (`EX01` and `EX01.contoso.local`).
pub fn same_server(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim().to_ascii_lowercase(), b.trim().to_ascii_lowercase());
    let first = |s: &str| s.split('.').next().unwrap_or_default().to_string();
    a == b || first(&a) == b || first(&b) == a
}

/// The certificates a connector on `server` can choose from, and how sure we are that they
/// are all of that server's.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    /// The candidates.
    pub certs: Vec<&'a Certificate>,
    /// The pasted list is that server's whole list (so "none matches" is a fact).
    pub complete: bool,
    /// What was assumed to get there, for the evidence (`the certificates name no server;
    /// taken to be SRVEX01's`).
    pub assumption: Option<String>,
}

/// The pasted certificates of `server` (`None`: the connector names no server).
pub fn scope<'a>(config: &'a Config, server: Option<&str>) -> Scope<'a> {
    let certs = &config.certificates;
    if certs.is_empty() {
        return Scope {
            certs: Vec::new(),
            complete: false,
            assumption: None,
        };
    }
    let servers: Vec<&str> = certs
        .iter()
        .filter_map(|c| c.server.as_ref().map(ServerName::name))
        .collect();
    let unnamed = certs.iter().filter(|c| c.server.is_none()).count();
    match server {
        Some(s) => {
            let mine: Vec<&Certificate> = certs
                .iter()
                .filter(|c| c.server.as_ref().is_some_and(|n| same_server(n.name(), s)))
                .collect();
            if !mine.is_empty() {
                let assumed = mine
                    .iter()
                    .any(|c| matches!(c.server, Some(ServerName::Assumed(_))));
                if mine.iter().any(|c| c.from_filtered_list) {
                    return Scope {
                        certs: mine,
                        complete: false,
                        assumption: Some(format!(
                            "the certificate list of {s} was filtered (-Thumbprint, -DomainName or Where-Object): its other certificates were not pasted"
                        )),
                    };
                }
                return Scope {
                    certs: mine,
                    complete: true,
                    assumption: assumed.then(|| {
                        format!("the certificate list names no server; taken to be {s}'s, the only server the paste names")
                    }),
                };
            }
            if unnamed == certs.len() {
                // Only reached when the paste named several servers: which one the list is
                // from is not known.
                return Scope {
                    certs: certs.iter().collect(),
                    complete: false,
                    assumption: Some(format!(
                        "the certificate list names no server and the paste names several; give --server to say whose it is ({s}?)"
                    )),
                };
            }
            Scope {
                certs: Vec::new(),
                complete: false,
                assumption: Some(format!("no certificate list of {s} was pasted")),
            }
        }
        None => {
            let distinct = {
                let mut v: Vec<String> = servers.iter().map(|s| s.to_ascii_lowercase()).collect();
                v.sort();
                v.dedup();
                v
            };
            let filtered = certs.iter().any(|c| c.from_filtered_list);
            Scope {
                certs: certs.iter().collect(),
                complete: distinct.len() <= 1 && !filtered,
                assumption: Some(match (distinct.len(), servers.first()) {
                    (0, _) | (_, None) => "neither the connector nor the certificate list names its server; both are taken to come from the same one".to_string(),
                    (1, Some(s)) => format!("the connector names no server; the certificate list is {s}'s, taken to be the connector's server"),
                    _ => "the connector names no server, and the certificate lists come from several".to_string(),
                }),
            }
        }
    }
}

/// What Exchange looks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sought {
    /// `TlsCertificateName`, parsed.
    TlsCertificateName(TlsName),
    /// The connector's `Fqdn`.
    Fqdn(String),
    /// The server's own name (no `Fqdn` on the connector).
    ServerName(String),
}

/// The outcome of the model.
#[derive(Debug, Clone)]
pub enum Selection<'a> {
    /// Exchange presents `cert`.
    Chosen {
        /// What was looked for.
        sought: Sought,
        /// The certificate chosen.
        cert: &'a Certificate,
        /// Other certificates that matched too (Exchange took the newest `NotBefore`).
        rivals: Vec<&'a Certificate>,
        /// Which of the matches is the newest is settled (false: the paste's dates read both
        /// ways and the two readings pick different certificates, or some have no date, so
        /// `cert` is only the first pasted).
        order_known: bool,
        /// The paste glued prose onto the name: the match holds once it is cut off.
        if_glued: bool,
        /// The scope's assumption, if any.
        assumption: Option<String>,
    },
    /// No certificate matches: no STARTTLS (Event 12014).
    NotFound {
        /// What was looked for.
        sought: Sought,
        /// The certificates that nearly match, and how.
        near: Vec<(&'a Certificate, Near)>,
        /// The scope's assumption, if any.
        assumption: Option<String>,
    },
    /// `TlsCertificateName` cannot be read.
    Invalid(NameProblem),
    /// The paste does not say (no certificate list, another server's, cut lists): why.
    Unknown(String),
}

/// [`select`] for an object whose paste printed `printed`: a `TlsCertificateName` (or, in its
/// absence, an `Fqdn`) that the paste did not print is not known to be empty, so the
/// selection is unknown rather than a fallback to the next name.
pub fn select_printed<'a>(
    config: &'a Config,
    printed: Option<&super::model::Printed>,
    tls_certificate_name: Option<&Text>,
    fqdn: Option<&Text>,
    server: Option<&str>,
    format: InputFormat,
    now: OffsetDateTime,
) -> Selection<'a> {
    use super::model::printed as was;
    if tls_certificate_name.is_none() && !was(printed, "TlsCertificateName") {
        return Selection::Unknown(
            "TlsCertificateName is not in the paste (a property list was pasted): paste the connector with | fl".to_string(),
        );
    }
    if tls_certificate_name.is_none() && fqdn.is_none() && !was(printed, "Fqdn") {
        return Selection::Unknown(
            "Fqdn is not in the paste, and without TlsCertificateName Exchange selects by it: paste the connector with | fl".to_string(),
        );
    }
    select(config, tls_certificate_name, fqdn, server, format, now)
}

/// Which certificate a connector on `server` presents, for a `TlsCertificateName` (if set)
/// and an `Fqdn` (if set); `server` is the server's name as the paste gives it.
pub fn select<'a>(
    config: &'a Config,
    tls_certificate_name: Option<&Text>,
    fqdn: Option<&Text>,
    server: Option<&str>,
    format: InputFormat,
    now: OffsetDateTime,
) -> Selection<'a> {
    if config.certificates.is_empty() {
        return Selection::Unknown(
            "no Get-ExchangeCertificate output was pasted, so the certificate cannot be looked up"
                .to_string(),
        );
    }
    let sc = scope(config, server);
    match tls_certificate_name {
        Some(text) => match parse_tls_name(text, format) {
            Ok(name) => by_name(sc, name, now),
            Err(p) => Selection::Invalid(p),
        },
        None => match (fqdn, server) {
            (Some(f), _) => {
                let h = f.value.trim().to_string();
                by_host(sc, Sought::Fqdn(h.clone()), &h, now)
            }
            (None, Some(s)) => by_host(sc, Sought::ServerName(s.to_string()), s, now),
            (None, None) => Selection::Unknown(
                "the connector shows neither TlsCertificateName nor Fqdn, and names no server"
                    .to_string(),
            ),
        },
    }
}

/// Selection by `TlsCertificateName`: the exact issuer and subject, never a fallback.
fn by_name<'a>(sc: Scope<'a>, name: TlsName, now: OffsetDateTime) -> Selection<'a> {
    let mut exact = Vec::new();
    let mut glued = Vec::new();
    let mut near = Vec::new();
    let mut unknown = 0;
    for c in &sc.certs {
        match compare(&name, c, now) {
            NameMatch::Exact => exact.push(*c),
            NameMatch::IfGlued => glued.push(*c),
            NameMatch::Near(n) => near.push((*c, n)),
            NameMatch::No => {}
            NameMatch::Unknown => unknown += 1,
        }
    }
    let if_glued = exact.is_empty() && !glued.is_empty();
    let mut matched = if exact.is_empty() { glued } else { exact };
    // Step 4 of the selection: only a certificate with its private key is eligible. When
    // none of the matches has one, the newest is still returned, for the rules to say that
    // its key is missing (Exchange then offers no STARTTLS).
    if matched.iter().any(|c| c.has_private_key != Some(false)) {
        matched.retain(|c| c.has_private_key != Some(false));
    }
    if !matched.is_empty() {
        let (cert, rivals, order_known) = newest(matched, now);
        return Selection::Chosen {
            sought: Sought::TlsCertificateName(name),
            cert,
            rivals,
            order_known,
            if_glued,
            assumption: sc.assumption,
        };
    }
    if !sc.complete || unknown > 0 {
        return Selection::Unknown(match (sc.assumption, unknown) {
            (Some(a), _) => a,
            (None, n) => format!(
                "{n} of the pasted certificates show no issuer or subject (table view?); paste Get-ExchangeCertificate | fl"
            ),
        });
    }
    Selection::NotFound {
        sought: Sought::TlsCertificateName(name),
        near,
        assumption: sc.assumption,
    }
}

/// Selection by a host name (the connector's `Fqdn`, else the server's): a certificate with
/// its key that covers the name, a CA-issued one before a self-signed one, the newest
/// `NotBefore` first. A certificate whose name list the paste cut may cover it too: when it
/// could rank first, the answer is unknown.
fn by_host<'a>(sc: Scope<'a>, sought: Sought, host: &str, now: OffsetDateTime) -> Selection<'a> {
    let mut matched = Vec::new();
    let mut doubtful = Vec::new();
    for c in &sc.certs {
        if c.has_private_key == Some(false) {
            continue;
        }
        match cert_covers(c, host, now) {
            Some(true) => matched.push(*c),
            Some(false) => {}
            None => doubtful.push(*c),
        }
    }
    let (pki, selfsigned): (Vec<_>, Vec<_>) = matched
        .into_iter()
        .partition(|c| c.self_signed != Some(true));
    let pool = if pki.is_empty() { selfsigned } else { pki };
    if pool.is_empty() {
        if !doubtful.is_empty() || !sc.complete {
            return Selection::Unknown(sc.assumption.unwrap_or_else(|| {
                format!(
                    "some certificates' name lists are cut, so whether one covers {host} is unknown"
                )
            }));
        }
        return Selection::NotFound {
            sought,
            near: Vec::new(),
            assumption: sc.assumption,
        };
    }
    let (cert, rivals, order_known) = newest(pool, now);
    let chosen_start = not_before(cert, now);
    let could_win = |d: &&Certificate| {
        let ranks_as_well = d.self_signed != Some(true) || cert.self_signed == Some(true);
        let newer = match (not_before(d, now), chosen_start) {
            (Some(a), Some(b)) => a > b,
            _ => true,
        };
        ranks_as_well && newer
    };
    if doubtful.iter().any(could_win) {
        return Selection::Unknown(format!(
            "a certificate whose name list the paste cut may also cover {host} and be the newer one Exchange takes"
        ));
    }
    Selection::Chosen {
        sought,
        cert,
        rivals,
        order_known,
        if_glued: false,
        assumption: sc.assumption,
    }
}

/// When the certificate starts: from its bytes, else a `NotBefore` the paste left certain.
pub fn not_before(cert: &Certificate, now: OffsetDateTime) -> Option<OffsetDateTime> {
    parsed(cert, now)
        .map(|i| i.not_before_at)
        .or(match &cert.not_before {
            Some(super::model::Date::Known(d)) => Some(*d),
            _ => None,
        })
}

/// The newest `NotBefore` first (Exchange's order among matches); certificates whose date is
/// unknown or ambiguous keep their pasted order after the dated ones.
fn newest(
    mut certs: Vec<&Certificate>,
    now: OffsetDateTime,
) -> (&Certificate, Vec<&Certificate>, bool) {
    let order_known = newest_is_known(&certs, now);
    certs.sort_by_key(|c| std::cmp::Reverse(start_readings(c, now).0));
    let first = certs.remove(0);
    (first, certs, order_known)
}

/// A date's (month-first, day-first) readings.
type Readings = (Option<OffsetDateTime>, Option<OffsetDateTime>);

/// A certificate's start as (month-first, day-first) readings: equal when the date is known,
/// `None` when there is none.
fn start_readings(cert: &Certificate, now: OffsetDateTime) -> Readings {
    if let Some(d) = not_before(cert, now) {
        return (Some(d), Some(d));
    }
    match &cert.not_before {
        Some(super::model::Date::Ambiguous {
            month_first,
            day_first,
        }) => (Some(*month_first), Some(*day_first)),
        _ => (None, None),
    }
}

/// Whether the newest `NotBefore` among `certs` is the same certificate under both readings
/// of the paste's dates (a single certificate always is; an undated one among several never).
fn newest_is_known(certs: &[&Certificate], now: OffsetDateTime) -> bool {
    if certs.len() < 2 {
        return true;
    }
    let readings: Vec<_> = certs.iter().map(|c| start_readings(c, now)).collect();
    if readings.iter().any(|(a, b)| a.is_none() || b.is_none()) {
        return false;
    }
    let top = |pick: fn(&Readings) -> Option<OffsetDateTime>| {
        let best = readings.iter().map(pick).max().flatten();
        let at: Vec<usize> = (0..readings.len())
            .filter(|i| pick(&readings[*i]) == best)
            .collect();
        (at.len() == 1).then(|| at[0])
    };
    match (top(|r| r.0), top(|r| r.1)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests;
