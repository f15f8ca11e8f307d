//! DANE for SMTP (RFC 7672): the TLSA records of an endpoint's host matched against the chain
//! the probe recorded, derived once per endpoint ([`assess`]) for the rules and the report.
//!
//! DANE-EE(3) matches the leaf only, ignoring its names and dates (RFC 7672 §3.1.1); DANE-TA(2)
//! matches a CA certificate the server sent, and the chain is then validated up to it with the
//! TLSA base domain as the name, dates included (§3.1.2, §3.2.2); PKIX-TA(0)/PKIX-EE(1) and
//! private use (255) are unusable for SMTP (§3.1.3).
//!
//! Pure: the lookups were made by `policy::dns`, the chain by the probe; `now` judges the
//! DANE-TA chain's dates.
//!
//! # References
//! - RFC 6698 §2.1 (TLSA fields), §2.1.3 (matching types)
//! - RFC 7671 §5 (usages), §9 (digest algorithm agility)
//! - RFC 7672 §2.2 (TLSA lookup), §3.1 (usages for SMTP), §3.2 (reference identifiers)

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::{CertificateDer, Der, ServerName, TrustAnchor, UnixTime};
use rustls::{Error as TlsError, RootCertStore};
use time::OffsetDateTime;

use super::{Answer, DnsResult, Dnssec, DomainPolicy, HostDane, Tlsa};
use crate::evidence::Evidence;

/// The verdict on one endpoint's chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// A usable record matches the chain: DANE senders deliver.
    Match,
    /// Usable records exist and none matches the chain the server sent: DANE senders defer.
    NoMatch,
    /// Secure records, none usable: DANE senders require TLS but authenticate nothing.
    Unusable,
    /// DANE does not apply or could not be judged (see `why`).
    NotApplicable,
}

/// Why DANE was not judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotApplicable {
    /// The TLSA records are in an unsigned zone: senders ignore them (RFC 7672 §2.2).
    InsecureTlsa,
    /// The resolver's AD bit is not trusted here: nothing is known about DNSSEC.
    NotValidated,
    /// The TLSA lookup failed validation (bogus): senders defer (RFC 7672 §2.1).
    BogusTlsa,
    /// The TLSA lookup gave no answer (a timeout, an error, a SERVFAIL that asking again
    /// with checking disabled did not explain).
    LookupFailed,
    /// The domain's MX RRset is insecure: DANE does not apply to the destination (RFC 7672
    /// §2.2.1; Postfix: "non DNSSEC destination", opportunistic TLS), whatever its hosts'
    /// TLSA records say.
    InsecureMx,
    /// No certificate to match: STARTTLS missing or the handshake failed before the server
    /// sent one. With usable records, DANE senders defer (the endpoint's own failure finding
    /// says so).
    NoTls,
}

/// One TLSA record and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecordCheck {
    /// The record as zone text: `3 1 1 <hex>`.
    pub record: String,
    /// Usable for SMTP (RFC 7672 §3.1).
    pub usable: bool,
    /// Why not, when not usable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The depth of the chain certificate it matched (0 the leaf), when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched: Option<usize>,
    /// A DANE-TA record whose certificate was sent, but the chain does not validate up to
    /// it for the host's names (in words).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
    /// The same failure for the rules: where and of what kind.
    #[serde(skip)]
    pub failure: Option<TaFailure>,
    /// A DANE-TA digest record that matches no certificate the server sent: the anchor it
    /// names may exist, but a digest cannot stand in for a certificate that is not sent
    /// (RFC 7671 §5.2.2).
    #[serde(skip)]
    pub ta_unsent: bool,
}

/// Why a chain did not validate up to a DANE-TA anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaFailureKind {
    /// The leaf names neither the TLSA base domain nor the MX host (RFC 7672 §3.2.2).
    Name,
    /// A certificate of the chain is expired or not yet valid (§3.1.2).
    Dates,
    /// Anything else: no path to the anchor, a bad signature.
    Other,
}

/// A DANE-TA record matched a CA certificate, but the chain failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaFailure {
    /// The depth of the certificate the record matched.
    pub depth: usize,
    /// What failed.
    pub kind: TaFailureKind,
}

/// How an endpoint's chain fares against its host's TLSA records.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DaneMatch {
    /// The mail host, as the MX names it.
    pub host: String,
    /// The port (`_PORT._tcp`).
    pub port: u16,
    /// The TLSA base domain: where the records were found (RFC 7672 §2.2.2).
    pub base_domain: String,
    /// The owner name of the TLSA RRset (`_25._tcp.mx.contoso.com`).
    pub tlsa_name: String,
    /// The DNSSEC status of the TLSA answer.
    pub dnssec: Dnssec,
    /// The verdict.
    pub verdict: Verdict,
    /// Why DANE was not judged, for `not-applicable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<NotApplicable>,
    /// Each record, as published.
    pub records: Vec<RecordCheck>,
    /// The record that matched, as zone text (`3 1 1 <hex>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched: Option<String>,
    /// The depth of the certificate it matched (0 the leaf).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depth: Option<usize>,
    /// The result in posttls-finger's words (`Matched DANE EE certificate at depth 0: 3 1 1
    /// …`, `no usable TLSA records found`).
    pub detail: String,
    /// The records that would match the leaf the server sends now: `3 1 1` (its public key)
    /// and `3 0 1` (the whole certificate); empty without a leaf.
    pub leaf_records: Vec<String>,
}

impl DaneMatch {
    /// The usable records.
    pub fn usable(&self) -> impl Iterator<Item = &RecordCheck> {
        self.records.iter().filter(|r| r.usable)
    }

    /// The record matched is DANE-EE (the leaf pinned; its names and dates ignored).
    pub fn matched_ee(&self) -> bool {
        self.verdict == Verdict::Match && self.depth == Some(0)
    }

    /// The DANE-TA record that matched a CA certificate but whose chain fails on the name
    /// alone: the record is right, the leaf is not (RFC 7672 §3.2.2).
    pub fn name_failure(&self) -> Option<(&RecordCheck, usize)> {
        self.records.iter().find_map(|r| match r.failure {
            Some(TaFailure {
                depth,
                kind: TaFailureKind::Name,
            }) => Some((r, depth)),
            _ => None,
        })
    }
}

/// A record's text short enough for a summary: a full certificate or key (matching type 0)
/// is cut after 32 hex digits, with its length in bytes.
pub fn short_record(record: &str) -> String {
    const KEEP: usize = 6 + 32;
    if record.len() <= 6 + 128 || !record.is_char_boundary(KEEP) {
        return record.to_string();
    }
    let bytes = record.len().saturating_sub(6) / 2;
    format!("{}… ({bytes} bytes)", &record[..KEEP])
}

/// `3 1 1 <HEX>`: a TLSA record's fields as zone text (upper-case hex, as `dig` shows it).
pub fn record_text(t: &Tlsa) -> String {
    format!(
        "{} {} {} {}",
        t.usage,
        t.selector,
        t.matching,
        crate::cert::hex(&t.data, "")
    )
}

/// Why a record is unusable for SMTP, or `None` when it is usable (RFC 7672 §3.1, RFC 6698
/// §2.1).
fn unusable_reason(t: &Tlsa) -> Option<String> {
    let usage = match t.usage {
        2 | 3 => None,
        0 => Some("usage 0 (PKIX-TA) is not used for SMTP (RFC 7672 §3.1.3)".to_string()),
        1 => Some("usage 1 (PKIX-EE) is not used for SMTP (RFC 7672 §3.1.3)".to_string()),
        255 => Some("usage 255 is private use".to_string()),
        u => Some(format!("usage {u} is not defined")),
    };
    if usage.is_some() {
        return usage;
    }
    if t.selector > 1 {
        return Some(format!("selector {} is not defined", t.selector));
    }
    let want = match t.matching {
        0 => None,
        1 => Some(32),
        2 => Some(64),
        m => return Some(format!("matching type {m} is not defined (or private use)")),
    };
    match want {
        Some(n) if t.data.len() != n => Some(format!(
            "a {} digest is {n} bytes, this one has {}",
            if n == 32 { "SHA2-256" } else { "SHA2-512" },
            t.data.len()
        )),
        None if t.data.is_empty() => Some("the association data is empty".to_string()),
        _ => None,
    }
}

/// The bytes a record of `selector` and `matching` type compares for certificate `der`;
/// `None` when the certificate cannot be parsed for its public key.
fn associated(der: &[u8], selector: u8, matching: u8) -> Option<Vec<u8>> {
    let selected: Vec<u8> = match selector {
        0 => der.to_vec(),
        1 => {
            let (_, x) = x509_parser::parse_x509_certificate(der).ok()?;
            x.public_key().raw.to_vec()
        }
        _ => return None,
    };
    match matching {
        0 => Some(selected),
        1 => Some(
            ring::digest::digest(&ring::digest::SHA256, &selected)
                .as_ref()
                .to_vec(),
        ),
        2 => Some(
            ring::digest::digest(&ring::digest::SHA512, &selected)
                .as_ref()
                .to_vec(),
        ),
        _ => None,
    }
}

/// The `3 s m` record of `leaf` for `selector` and `matching`.
pub fn leaf_record(leaf: &[u8], selector: u8, matching: u8) -> Option<Tlsa> {
    Some(Tlsa {
        usage: 3,
        selector,
        matching,
        data: associated(leaf, selector, matching)?,
    })
}

/// The host's DANE lookups for `e`'s host name and port, with the policy they belong to.
fn host_of<'a>(
    policies: &'a [DomainPolicy],
    e: &Evidence,
) -> Option<(&'a DomainPolicy, &'a HostDane)> {
    let name = e.obs.endpoint.host.name()?;
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let port = e.port();
    policies.iter().find_map(|p| {
        p.dane
            .iter()
            .find(|h| h.port == port && h.host.trim_end_matches('.').eq_ignore_ascii_case(&name))
            .map(|h| (p, h))
    })
}

/// The DANE verdict for `e`, when its host's TLSA lookup found records or failed validation
/// in one of `policies`; `None` when its host has no TLSA records (or none were looked up).
/// `now` judges the dates of a DANE-TA chain (RFC 7672 §3.1.2; DANE-EE ignores them).
pub fn assess(policies: &[DomainPolicy], e: &Evidence, now: OffsetDateTime) -> Option<DaneMatch> {
    let (policy, host) = host_of(policies, e)?;
    let tlsa = host.tlsa.as_ref()?;
    // RFC 7672 §2.2.1: with an insecure MX RRset the destination is not a DANE one; senders
    // do not use its hosts' TLSA records (Postfix: "non DNSSEC destination").
    let insecure_mx = policy.mx == Some(Dnssec::Insecure);
    let insecure_mx_detail = format!(
        "non DNSSEC destination: the MX RRset of {} is insecure, so senders do not use the TLSA records of {} (opportunistic TLS)",
        policy.domain, host.host
    );
    let base_domain = host
        .base_domain
        .clone()
        .unwrap_or_else(|| host.host.clone());
    let leaf_der = e.obs.chain.first();
    let leaf_records: Vec<String> = leaf_der
        .into_iter()
        .flat_map(|l| [leaf_record(l, 1, 1), leaf_record(l, 0, 1)])
        .flatten()
        .map(|t| record_text(&t))
        .collect();
    let mut out = DaneMatch {
        host: host.host.clone(),
        port: host.port,
        base_domain,
        tlsa_name: tlsa.name.clone(),
        dnssec: tlsa.dnssec,
        verdict: Verdict::NotApplicable,
        why: None,
        records: Vec::new(),
        matched: None,
        depth: None,
        detail: String::new(),
        leaf_records,
    };
    let records: &[Tlsa] = match &tlsa.answer {
        Answer::Records(r) if !r.is_empty() => r,
        _ => {
            let (why, detail) = no_records_reason(tlsa, host, insecure_mx, insecure_mx_detail)?;
            out.why = Some(why);
            out.detail = detail;
            return Some(out);
        }
    };
    out.records = records.iter().map(record_check).collect();
    let not_applicable = if insecure_mx {
        Some((NotApplicable::InsecureMx, insecure_mx_detail))
    } else {
        dnssec_reason(tlsa.dnssec, host)
    };
    if let Some((why, detail)) = not_applicable {
        out.why = Some(why);
        out.detail = detail;
        return Some(out);
    }
    if out.records.iter().all(|r| !r.usable) {
        out.verdict = Verdict::Unusable;
        out.detail =
            "TLSA records unusable: no usable TLSA records found, resorting to \"encrypt\"".into();
        return Some(out);
    }
    let Some(leaf) = leaf_der else {
        out.why = Some(NotApplicable::NoTls);
        out.detail = "usable TLSA records found, but no TLS session gave a certificate to match: DANE senders defer".into();
        return Some(out);
    };
    // DANE-EE first: it needs nothing but the leaf (RFC 7672 §3.1.1).
    for (r, t) in out.records.iter_mut().zip(records) {
        if r.usable
            && t.usage == 3
            && associated(leaf, t.selector, t.matching).is_some_and(|d| d == t.data)
        {
            r.matched = Some(0);
        }
    }
    let names = names_to_check(&out.base_domain, &out.host);
    for (r, t) in out.records.iter_mut().zip(records) {
        if r.usable && t.usage == 2 {
            check_ta(r, t, &e.obs.chain, &names, now);
        }
    }
    set_verdict(&mut out);
    Some(out)
}

/// Why a TLSA lookup without records still deserves an endpoint entry, or `None` when it
/// does not. Only a lookup that failed validation is worth one: no records (NXDOMAIN,
/// NODATA) mean no DANE for this host, and an insecure MX RRset outranks the failure.
fn no_records_reason(
    tlsa: &DnsResult<Tlsa>,
    host: &HostDane,
    insecure_mx: bool,
    insecure_mx_detail: String,
) -> Option<(NotApplicable, String)> {
    Some(match (tlsa.dnssec, &tlsa.answer) {
        (Dnssec::Bogus | Dnssec::Indeterminate, _) if insecure_mx => {
            (NotApplicable::InsecureMx, insecure_mx_detail)
        }
        (Dnssec::Bogus, _) => (
            NotApplicable::BogusTlsa,
            format!("TLSA lookup error for {}:{}", host.host, host.port),
        ),
        (Dnssec::Indeterminate, Answer::Failed(_)) => (
            NotApplicable::LookupFailed,
            format!("TLSA lookup error for {}:{}", host.host, host.port),
        ),
        _ => return None,
    })
}

/// A record as first listed: usable or not (RFC 7672 §3.1), before any matching.
fn record_check(t: &Tlsa) -> RecordCheck {
    let reason = unusable_reason(t);
    RecordCheck {
        record: record_text(t),
        usable: reason.is_none(),
        reason,
        matched: None,
        failed: None,
        failure: None,
        ta_unsent: false,
    }
}

/// Why TLSA records with this DNSSEC status are not judged, or `None` when they are
/// (secure): senders only use TLSA records they could validate (RFC 7672 §2.2).
fn dnssec_reason(dnssec: Dnssec, host: &HostDane) -> Option<(NotApplicable, String)> {
    match dnssec {
        Dnssec::Secure => None,
        Dnssec::Insecure => Some((
            NotApplicable::InsecureTlsa,
            "TLSA records in an unsigned zone are ignored: non DNSSEC destination".into(),
        )),
        Dnssec::NotValidated => Some((
            NotApplicable::NotValidated,
            "TLSA records found, but the resolver's DNSSEC validation is not trusted: DANE not judged".into(),
        )),
        Dnssec::Bogus | Dnssec::Indeterminate => Some((
            if dnssec == Dnssec::Bogus {
                NotApplicable::BogusTlsa
            } else {
                NotApplicable::LookupFailed
            },
            format!("TLSA lookup error for {}:{}", host.host, host.port),
        )),
    }
}

/// Checks one usable DANE-TA record `t` against `chain`, filling `r`: a CA certificate the
/// server sent (depth ≥ 1), then the chain validated up to it for `names`, dates included
/// (RFC 7672 §3.1.2, §3.2.2); failing that, the anchor a full record carries itself.
fn check_ta(
    r: &mut RecordCheck,
    t: &Tlsa,
    chain: &[Vec<u8>],
    names: &[String],
    now: OffsetDateTime,
) {
    let mut seen = false;
    for (depth, ca) in chain.iter().enumerate().skip(1) {
        if associated(ca, t.selector, t.matching).is_none_or(|d| d != t.data) {
            continue;
        }
        seen = true;
        let mut roots = RootCertStore::empty();
        if let Err(err) = roots.add(CertificateDer::from(ca.clone())) {
            r.failed = Some(format!(
                "certificate #{depth} matches, but it is not usable as a trust anchor ({})",
                tls_words(&err)
            ));
            r.failure = Some(TaFailure {
                depth,
                kind: TaFailureKind::Other,
            });
            continue;
        }
        match validate(chain, roots, names, now) {
            Ok(()) => {
                r.matched = Some(depth);
                r.failed = None;
                r.failure = None;
                break;
            }
            Err((kind, why)) => {
                r.failed = Some(format!("certificate #{depth} matches, but {why}"));
                r.failure = Some(TaFailure { depth, kind });
            }
        }
    }
    if seen {
        return;
    }
    // A record that carries the whole certificate or key (matching type 0) is an anchor
    // by itself: OpenSSL, and so Postfix, use it although the server does not send it
    // (RFC 7671 §5.2.2 only recommends sending it). A digest cannot be: the certificate
    // it names must be in the chain.
    match anchors_of(t, chain) {
        Some(roots) => {
            let depth = chain.len();
            match validate(chain, roots, names, now) {
                Ok(()) => r.matched = Some(depth),
                Err((kind, why)) => {
                    r.failed = Some(format!(
                        "the trust anchor it carries (not sent by the server) is found, but {why}"
                    ));
                    r.failure = Some(TaFailure { depth, kind });
                }
            }
        }
        None => r.ta_unsent = t.matching != 0,
    }
}

/// Sets the verdict from the checked records: a match, preferring DANE-EE (depth 0) since
/// that is what senders report, or no match.
fn set_verdict(out: &mut DaneMatch) {
    let first = out
        .records
        .iter()
        .find(|r| r.matched == Some(0))
        .or_else(|| out.records.iter().find(|r| r.matched.is_some()));
    if let Some(r) = first {
        let depth = r.matched.unwrap_or(0);
        out.verdict = Verdict::Match;
        out.depth = Some(depth);
        out.matched = Some(r.record.clone());
        out.detail = format!(
            "Matched DANE {} certificate at depth {depth}: {}",
            if depth == 0 { "EE" } else { "TA" },
            short_record(&r.record)
        );
    } else {
        out.verdict = Verdict::NoMatch;
        out.detail = "no matching DANE TLSA records".into();
    }
}

/// The reference identifiers of RFC 7672 §3.2.2: the TLSA base domain, and the MX host name
/// when the base domain is its CNAME target; only names webpki can take.
fn names_to_check(base: &str, host: &str) -> Vec<String> {
    let mut names = vec![base.to_string()];
    if !host.eq_ignore_ascii_case(base) {
        names.push(host.to_string());
    }
    names
        .into_iter()
        .filter(|n| ServerName::try_from(n.clone()).is_ok())
        .collect()
}

/// The trust anchors a full DANE-TA record (matching type 0) stands for: its certificate
/// (selector 0), or its public key under the issuer name of each certificate sent (selector 1,
/// a key alone has no name; webpki matches the anchor by the issuer's name). `None` for a
/// digest, or data that is not a certificate or a key.
fn anchors_of(t: &Tlsa, chain: &[Vec<u8>]) -> Option<RootCertStore> {
    if t.matching != 0 {
        return None;
    }
    let mut roots = RootCertStore::empty();
    match t.selector {
        0 => {
            x509_parser::parse_x509_certificate(&t.data).ok()?;
            roots.add(CertificateDer::from(t.data.clone())).ok()?;
        }
        1 => {
            let spki = der_contents(&t.data)?;
            for c in chain {
                let Ok((_, x)) = x509_parser::parse_x509_certificate(c) else {
                    continue;
                };
                let Some(subject) = der_contents(x.issuer().as_raw()) else {
                    continue;
                };
                roots.roots.push(TrustAnchor {
                    subject: Der::from(subject.to_vec()),
                    subject_public_key_info: Der::from(spki.to_vec()),
                    name_constraints: None,
                });
            }
        }
        _ => return None,
    }
    (!roots.is_empty()).then_some(roots)
}

/// The contents of a DER SEQUENCE that is the whole of `b` (webpki's anchors hold the
/// subject and the key without their outer tag and length).
fn der_contents(b: &[u8]) -> Option<&[u8]> {
    if b.first() != Some(&0x30) {
        return None;
    }
    let first = *b.get(1)?;
    let (len, start) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let len = b
            .get(2..2 + n)?
            .iter()
            .fold(0usize, |acc, x| (acc << 8) | usize::from(*x));
        (len, 2 + n)
    };
    (start + len == b.len()).then(|| &b[start..])
}

/// A certificate error in words, without the library's debug text (which quotes the names
/// in Rust syntax).
fn tls_words(e: &TlsError) -> String {
    use rustls::CertificateError as C;
    match e {
        TlsError::InvalidCertificate(c) => match c {
            C::Expired | C::ExpiredContext { .. } => "a certificate of the chain has expired",
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "a certificate of the chain is not valid yet"
            }
            C::UnknownIssuer => "the chain does not lead up to it",
            C::BadSignature => "a signature in the chain does not verify",
            C::BadEncoding => "a certificate of the chain cannot be read",
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "the certificate does not name the host"
            }
            C::UnsupportedSignatureAlgorithmContext { .. }
            | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
                "a signature algorithm of the chain is not supported"
            }
            C::UnhandledCriticalExtension => {
                "a certificate of the chain has a critical extension that is not understood"
            }
            _ => "a certificate of the chain is invalid",
        }
        .to_string(),
        _ => "the chain cannot be checked".to_string(),
    }
}

/// Validates `chain` (leaf first) up to `roots`, the DANE-TA anchor, for any of `names`, at
/// `now`. webpki accepts a certificate that is not self-signed as an anchor, so an
/// intermediate pinned by a "2 x x" record works. The failure, in words, names the host.
fn validate(
    chain: &[Vec<u8>],
    roots: RootCertStore,
    names: &[String],
    now: OffsetDateTime,
) -> Result<(), (TaFailureKind, String)> {
    use rustls::CertificateError as C;
    let verifier =
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), crate::tls::provider())
            .build()
            .map_err(|e| (TaFailureKind::Other, format!("no verifier: {e}")))?;
    let Some(first) = chain.first() else {
        return Err((TaFailureKind::Other, "no certificate was sent".into()));
    };
    let leaf = CertificateDer::from(first.as_slice());
    let intermediates: Vec<CertificateDer<'_>> = chain[1..]
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    let secs = u64::try_from(now.unix_timestamp()).unwrap_or(0);
    let at = UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs));
    let mut last: Option<TlsError> = None;
    for name in names {
        let Ok(server) = ServerName::try_from(name.clone()) else {
            continue;
        };
        match verifier.verify_server_cert(&leaf, &intermediates, &server, &[], at) {
            Ok(_) => return Ok(()),
            Err(e) => last = Some(e),
        }
    }
    Err(match last {
        Some(TlsError::InvalidCertificate(
            C::NotValidForName | C::NotValidForNameContext { .. },
        )) => (
            TaFailureKind::Name,
            format!(
                "the chain validates up to it and the leaf does not name {} (RFC 7672 §3.2.2)",
                names.join(" or ")
            ),
        ),
        Some(
            e @ TlsError::InvalidCertificate(
                C::Expired
                | C::ExpiredContext { .. }
                | C::NotValidYet
                | C::NotValidYetContext { .. },
            ),
        ) => (
            TaFailureKind::Dates,
            format!(
                "{} (DANE-TA checks the dates, RFC 7672 §3.1.2)",
                tls_words(&e)
            ),
        ),
        Some(e) => (TaFailureKind::Other, tls_words(&e)),
        None => (
            TaFailureKind::Other,
            "no host name to check the chain against".to_string(),
        ),
    })
}

// Tested with the rules, on chains made by `scripted::pki` (`diagnose/rules/dane_tests.rs`).
