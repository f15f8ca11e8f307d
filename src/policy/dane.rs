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
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{Error as TlsError, RootCertStore};
use time::OffsetDateTime;

use super::{Answer, Dnssec, DomainPolicy, HostDane, Tlsa};
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
    /// The TLSA lookup gave no answer (a timeout, an error).
    LookupFailed,
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
    /// it for the host's names (webpki's reason).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
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
    let (_, host) = host_of(policies, e)?;
    let tlsa = host.tlsa.as_ref()?;
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
            // Only a lookup that failed validation is worth an endpoint entry: no records
            // (NXDOMAIN, NODATA) mean no DANE for this host.
            let (why, detail) = match tlsa.dnssec {
                Dnssec::Bogus => (
                    NotApplicable::BogusTlsa,
                    format!("TLSA lookup error for {}:{}", host.host, host.port),
                ),
                _ => return None,
            };
            out.why = Some(why);
            out.detail = detail;
            return Some(out);
        }
    };
    out.records = records
        .iter()
        .map(|t| {
            let reason = unusable_reason(t);
            RecordCheck {
                record: record_text(t),
                usable: reason.is_none(),
                reason,
                matched: None,
                failed: None,
            }
        })
        .collect();
    match tlsa.dnssec {
        Dnssec::Secure => {}
        Dnssec::Insecure => {
            out.why = Some(NotApplicable::InsecureTlsa);
            out.detail =
                "TLSA records in an unsigned zone are ignored: non DNSSEC destination".into();
            return Some(out);
        }
        Dnssec::NotValidated => {
            out.why = Some(NotApplicable::NotValidated);
            out.detail = "TLSA records found, but the resolver's DNSSEC validation is not trusted: DANE not judged".into();
            return Some(out);
        }
        Dnssec::Bogus | Dnssec::Indeterminate => {
            out.why = Some(if tlsa.dnssec == Dnssec::Bogus {
                NotApplicable::BogusTlsa
            } else {
                NotApplicable::LookupFailed
            });
            out.detail = format!("TLSA lookup error for {}:{}", host.host, host.port);
            return Some(out);
        }
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
    // DANE-TA: a CA certificate the server sent (depth ≥ 1), then the chain validated up to
    // it for the base domain or the MX name, dates included (§3.1.2, §3.2.2).
    let names = names_to_check(&out.base_domain, &out.host);
    for (r, t) in out.records.iter_mut().zip(records) {
        if !r.usable || t.usage != 2 {
            continue;
        }
        for (depth, ca) in e.obs.chain.iter().enumerate().skip(1) {
            if associated(ca, t.selector, t.matching).is_none_or(|d| d != t.data) {
                continue;
            }
            match validate_to(&e.obs.chain, depth, &names, now) {
                Ok(()) => {
                    r.matched = Some(depth);
                    r.failed = None;
                    break;
                }
                Err(why) => r.failed = Some(format!("certificate #{depth} matches, but {why}")),
            }
        }
    }
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
            r.record
        );
    } else {
        out.verdict = Verdict::NoMatch;
        out.detail = "no matching DANE TLSA records".into();
    }
    Some(out)
}

/// The reference identifiers of RFC 7672 §3.2.2: the TLSA base domain, and the MX host name
/// when the base domain is its CNAME target; only names webpki can take.
fn names_to_check(base: &str, host: &str) -> Vec<ServerName<'static>> {
    let mut names = vec![base.to_string()];
    if !host.eq_ignore_ascii_case(base) {
        names.push(host.to_string());
    }
    names
        .into_iter()
        .filter_map(|n| ServerName::try_from(n).ok())
        .collect()
}

/// Validates `chain` (leaf first) up to the certificate at `depth`, taken as the only trust
/// anchor, for any of `names`, at `now`. webpki accepts a certificate that is not self-signed
/// as an anchor, so an intermediate pinned by a "2 x x" record works.
fn validate_to(
    chain: &[Vec<u8>],
    depth: usize,
    names: &[ServerName<'static>],
    now: OffsetDateTime,
) -> Result<(), String> {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(chain[depth].clone()))
        .map_err(|e| format!("it is not usable as a trust anchor: {e}"))?;
    let verifier =
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), crate::tls::provider())
            .build()
            .map_err(|e| format!("no verifier: {e}"))?;
    let leaf = CertificateDer::from(chain[0].as_slice());
    let intermediates: Vec<CertificateDer<'_>> = chain[1..]
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    let secs = u64::try_from(now.unix_timestamp()).unwrap_or(0);
    let at = UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs));
    let mut last: Option<TlsError> = None;
    for name in names {
        match verifier.verify_server_cert(&leaf, &intermediates, name, &[], at) {
            Ok(_) => return Ok(()),
            Err(e) => last = Some(e),
        }
    }
    Err(match last {
        Some(e) => format!("the chain does not validate up to it: {e}"),
        None => "no host name to check the chain against".to_string(),
    })
}

// Tested with the rules, on chains made by `scripted::pki` (`diagnose/rules/dane_tests.rs`).
