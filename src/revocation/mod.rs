//! Revocation and the missing intermediate: the CRLs of the chain a server sent (fetched over
//! http, checked for signature, `nextUpdate` and the leaf's serial), a stapled OCSP response
//! when the server sent one (never an OCSP query), and, when the chain stops below a trusted
//! root, the leaf's CA Issuers certificate fetched (RFC 5280 §4.2.2.1) to name what is missing.
//!
//! The fetches run after an endpoint's handshake, beside the other endpoints' probes, once per
//! URL in a run ([`Cache`]). Their results are data on the observation (the types are in
//! `model::revocation`, below the fetches, and re-exported here); the verdict of a CRL check
//! is made here, where the trust store is, and judged by the rules.
//!
//! # References
//! - RFC 5280 §4.2.1.13 (CRL distribution points), §4.2.2.1 (Authority Information Access),
//!   §5 (CRL profile), §6.3 (CRL validation)
//! - RFC 6960 §4.2.1 (OCSP response), RFC 6066 §8 (status_request)

pub mod crl;
pub mod ocsp;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, UnixTime};
use x509_parser::prelude::X509Certificate;

use crate::dns::Resolver;
use crate::evidence::Evidence;
use crate::fetch::{Fetch, FetchConfig, Redirects};
use crate::model::Observation;
use crate::policy::PolicyConfig;
use crate::tls::{TrustFailure, TrustResult, TrustStore};

use crl::{IssuerKey, Scheme};

/// The most bytes of a CRL read: large public CRLs run to a few MiB.
pub const CRL_CAP: usize = 20 * 1024 * 1024;
/// The most bytes of a CA Issuers certificate (or `.p7c` bundle) read.
pub const ISSUER_CAP: usize = 64 * 1024;
/// The most URLs a run remembers; a further URL is fetched without being remembered.
pub const CACHE_ENTRIES: usize = 256;
/// Redirects a CRL or CA Issuers fetch follows (CAs move their files behind a CDN).
const REDIRECTS: Redirects = Redirects::Follow(3);

// The data the phase records lives in the model layer, so that the observation can hold it
// without the model importing this module; these keep the paths the rules and the report use.
pub use crate::model::revocation::{
    CertRevocation, CrlCheck, FetchSummary, FetchedIssuer, IssuerFetch, RevocationObservation,
    Stamp, StapleReport, Verdict, stamp_text,
};

/// The summary of `f` as the report shows it; `cut`: the run's deadline ended it.
fn fetch_summary(f: &Fetch, cut: bool) -> FetchSummary {
    let elapsed_ms = u64::try_from(f.elapsed.as_millis()).unwrap_or(u64::MAX);
    match &f.outcome {
        Ok(r) => FetchSummary {
            redirects: f.redirects.clone(),
            status: Some(r.status),
            bytes: r.body.len(),
            content_type: r.header("content-type").map(crate::text::braced),
            elapsed_ms,
            error: (r.status != 200)
                .then(|| format!("HTTP {} {}", r.status, crate::text::braced(&r.reason))),
            cut_by_deadline: false,
        },
        Err(e) => FetchSummary {
            redirects: f.redirects.clone(),
            status: None,
            bytes: 0,
            content_type: None,
            elapsed_ms,
            // The fetch escaped the URL or bytes it quotes when it made the error: escaping
            // again would print `\\x1b` for `\x1b`. `braced` catches anything still hidden
            // and leaves escaped text as it is.
            error: Some(crate::text::braced(&e.to_string())),
            cut_by_deadline: cut,
        },
    }
}

/// "1 entry", "3 entries".
pub fn entries(n: usize) -> String {
    if n == 1 {
        "1 entry".into()
    } else {
        format!("{n} entries")
    }
}

/// A certificate's revocation in one line of words, for a human: judged over all its
/// distribution points as a client does (the first good CRL decides; a listing anywhere
/// verified is revoked), then what was wrong with the others.
pub fn certificate_summary(crls: &[CrlCheck], ocsp_urls: &[String], now: i64) -> String {
    let verdicts: Vec<Verdict> = crls.iter().map(|c| c.verdict(now)).collect();
    let others = |skip: usize| -> String {
        let bad: Vec<String> = crls
            .iter()
            .zip(&verdicts)
            .enumerate()
            .filter(|(i, (_, v))| *i != skip && **v != Verdict::Good)
            .map(|(_, (c, v))| format!("{} {}", c.url, verdict_words(v)))
            .collect();
        if bad.is_empty() {
            String::new()
        } else {
            format!("; also named: {}", bad.join("; "))
        }
    };
    if let Some(i) = verdicts
        .iter()
        .position(|v| matches!(v, Verdict::Revoked { .. }))
    {
        let c = &crls[i];
        let since = c
            .crl
            .as_ref()
            .and_then(|k| k.revoked.as_ref())
            .map(|r| {
                format!(
                    "since {} ({})",
                    stamp_text(r.date.0),
                    r.reason.as_deref().unwrap_or("no reason given")
                )
            })
            .unwrap_or_default();
        let unchecked = if verdicts[i] == (Verdict::Revoked { checked: false }) {
            ", CRL signature not checked"
        } else {
            ""
        };
        return format!("REVOKED per {} {since}{unchecked}", c.url);
    }
    if let Some(i) = verdicts.iter().position(|v| *v == Verdict::Good) {
        let c = &crls[i];
        let dates = c
            .crl
            .as_ref()
            .map(|k| {
                format!(
                    " (CRL of {}, next update {}, {})",
                    stamp_text(k.this_update.0),
                    k.next_update.map_or("none".into(), |n| stamp_text(n.0)),
                    entries(k.entries)
                )
            })
            .unwrap_or_default();
        return format!("not revoked per {}{dates}{}", c.url, others(i));
    }
    if crls.is_empty() {
        return if ocsp_urls.is_empty() {
            "not checked: no CRL distribution point and no OCSP responder".into()
        } else {
            format!(
                "not checked: no CRL distribution point; OCSP responder {} listed, not queried",
                ocsp_urls.join(", ")
            )
        };
    }
    let all: Vec<String> = crls
        .iter()
        .zip(&verdicts)
        .map(|(c, v)| format!("{} {}", c.url, verdict_words(v)))
        .collect();
    format!("not checked: {}", all.join("; "))
}

/// A verdict in words that follow the URL.
fn verdict_words(v: &Verdict) -> String {
    match v {
        Verdict::Good => "serves a valid current CRL".into(),
        Verdict::Revoked { .. } => "lists it as revoked".into(),
        Verdict::Stale(due) => format!("serves a stale CRL (due {due})"),
        Verdict::Invalid(why) => format!("serves no valid CRL: {why}"),
        Verdict::Unsupported(kind) => format!("serves a {kind}, not judged"),
        Verdict::Unreachable(words) => words.clone(),
        Verdict::Cut => "was not checked: the run's --deadline ended the fetch".into(),
        Verdict::NotFetched => "is not fetched (not http)".into(),
    }
}

/// The fetches of a run, once per URL: concurrent callers of one URL share one fetch.
#[derive(Debug, Default)]
pub struct Cache {
    map: Mutex<HashMap<String, Arc<Slot>>>,
}

/// One URL's fetch, made once: the fetch, and whether the run's deadline ended it.
type Slot = tokio::sync::OnceCell<(Arc<Fetch>, bool)>;

impl Cache {
    /// `url`, fetched once per run (while the cache has room), and whether the run's deadline
    /// ended it: it failed and finished at the deadline ([`cut_by_deadline`]).
    pub async fn get<R: Resolver>(
        &self,
        url: &str,
        cap: usize,
        cfg: &FetchConfig,
        resolver: &R,
        deadline: Instant,
    ) -> (Arc<Fetch>, bool) {
        let cell = {
            let mut map = self
                .map
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match map.get(url) {
                Some(c) => c.clone(),
                None => {
                    let c = Arc::new(tokio::sync::OnceCell::new());
                    if map.len() < CACHE_ENTRIES {
                        map.insert(url.to_string(), c.clone());
                    }
                    c
                }
            }
        };
        cell.get_or_init(|| async {
            let f = crate::fetch::get(url, REDIRECTS, cap, cfg, resolver, deadline).await;
            let cut = cut_by_deadline(&f);
            (Arc::new(f), cut)
        })
        .await
        .clone()
    }
}

/// The run's deadline, not the server, ended `f`: the fetch says so itself
/// ([`crate::fetch::FetchError::Deadline`]: a step cut short by the time left, not by its own
/// `--timeout`).
pub fn cut_by_deadline(f: &Fetch) -> bool {
    matches!(f.outcome, Err(crate::fetch::FetchError::Deadline(..)))
}

/// The positions of the chain to check, leaf first: the path to the root when trusted, else
/// the chain as sent; never a self-signed certificate (a root: RFC 5280 §6.3 checks the
/// certificates below the trust anchor).
fn positions(chain: &[Vec<u8>], trust: Option<&TrustResult>) -> Vec<usize> {
    let order: Vec<usize> = match trust {
        Some(t) if t.trusted && !t.path.is_empty() => t.path.clone(),
        _ => (0..chain.len()).collect(),
    };
    order
        .into_iter()
        .filter(|&i| {
            chain
                .get(i)
                .and_then(|d| x509_parser::parse_x509_certificate(d).ok())
                .is_some_and(|(_, x)| x.subject().as_raw() != x.issuer().as_raw())
        })
        .collect()
}

/// The chain stops below a trusted root: the top certificate sent is not self-signed and its
/// issuer is neither sent nor trusted (how `cert-chain-incomplete` decides, rules/certificate.rs).
pub fn chain_incomplete(chain: &[Vec<u8>], trust: &TrustResult) -> bool {
    let top_self_signed = chain
        .last()
        .and_then(|d| x509_parser::parse_x509_certificate(d).ok())
        .is_some_and(|(_, x)| x.subject().as_raw() == x.issuer().as_raw());
    !trust.trusted
        && !top_self_signed
        && !trust.top_issuer_trusted
        && trust.failure == Some(TrustFailure::UnknownIssuer)
}

/// The URLs the chain needs fetched, each with its size cap: the http(s) CRL distribution
/// points of the certificates checked, and the top certificate's CA Issuers URL when the
/// chain is incomplete.
pub fn wanted(chain: &[Vec<u8>], trust: Option<&TrustResult>) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for i in positions(chain, trust) {
        if let Ok((_, x)) = x509_parser::parse_x509_certificate(&chain[i]) {
            for url in crl::urls(&x).crl {
                if matches!(crl::scheme(&url), Scheme::Http | Scheme::Https)
                    && !out.iter().any(|(u, _)| *u == url)
                {
                    out.push((url, CRL_CAP));
                }
            }
        }
    }
    if let Some(t) = trust
        && chain_incomplete(chain, t)
        && let Some(url) = issuer_url(chain)
        && matches!(crl::scheme(&url), Scheme::Http | Scheme::Https)
    {
        out.push((url, ISSUER_CAP));
    }
    out
}

/// Fetches what `obs`'s chain needs (CRLs, the CA Issuers certificate when the chain is
/// incomplete) and records it on `obs.revocation`.
pub async fn attach<R: Resolver>(
    obs: &mut Observation,
    cfg: &PolicyConfig,
    resolver: &R,
    cache: &Cache,
    deadline: Instant,
) {
    if !cfg.enabled || obs.chain.is_empty() {
        return;
    }
    let chain = obs.chain.clone();
    let trust = obs.trust.clone();
    let urls = wanted(&chain, trust.as_ref());
    let fetches = futures_util::future::join_all(
        urls.iter()
            .map(|(url, cap)| cache.get(url, *cap, &cfg.fetch, resolver, deadline)),
    )
    .await;
    let mut cut: HashSet<String> = HashSet::new();
    let mut fetched: HashMap<String, Arc<Fetch>> = HashMap::new();
    for ((url, _), (fetch, was_cut)) in urls.into_iter().zip(fetches) {
        if was_cut {
            cut.insert(url.clone());
        }
        fetched.insert(url, fetch);
    }
    let store = cfg.fetch.trust.clone();
    let staple = obs.ocsp_staple.clone();
    // The trust checks below may wait for the root store: off the async threads.
    let observed = tokio::task::spawn_blocking(move || {
        observe(
            &chain,
            trust.as_ref(),
            &staple,
            &store,
            &fetched,
            &cut,
            UnixTime::now(),
        )
    })
    .await;
    obs.revocation = observed.ok();
}

/// What the chain's revocation sources say, given what was fetched (`fetched`: URL → fetch;
/// a URL missing from it was not fetched; `cut`: the URLs whose fetch the run's deadline
/// ended). Pure apart from the trust store's checks.
pub fn observe(
    chain: &[Vec<u8>],
    trust: Option<&TrustResult>,
    staple_bytes: &[u8],
    store: &TrustStore,
    fetched: &HashMap<String, Arc<Fetch>>,
    cut: &HashSet<String>,
    now: UnixTime,
) -> RevocationObservation {
    let mut r = RevocationObservation {
        staple: chain.first().and_then(|leaf| staple(staple_bytes, leaf)),
        ..RevocationObservation::default()
    };
    let order = positions(chain, trust);
    let mut crl_ders: Vec<Vec<u8>> = Vec::new();
    for (k, &i) in order.iter().enumerate() {
        let Ok((_, x)) = x509_parser::parse_x509_certificate(&chain[i]) else {
            continue;
        };
        let urls = crl::urls(&x);
        // The issuer: the next certificate on the path, else a trusted root of that name.
        let next = order
            .get(k + 1)
            .and_then(|&j| chain.get(j))
            .or(chain.get(i + 1));
        let issuer_spki = next
            .and_then(|d| x509_parser::parse_x509_certificate(d).ok())
            .filter(|(_, n)| n.subject().as_raw() == x.issuer().as_raw())
            .map(|(_, n)| n.public_key().raw.to_vec())
            .or_else(|| store.root_key(x.issuer().as_raw()));
        let issuer = IssuerKey {
            subject: x.issuer().as_raw(),
            spki: issuer_spki.as_deref(),
        };
        let mut crls = Vec::new();
        for url in &urls.crl {
            let (check, der) = crl_check(
                url,
                fetched.get(url).map(|f| &**f),
                cut.contains(url),
                &x,
                issuer,
            );
            crl_ders.extend(der);
            crls.push(check);
        }
        let ocsp_urls: Vec<String> = urls
            .ocsp
            .iter()
            .map(|u| crate::smtp::escape(u.as_bytes()))
            .collect();
        let now_secs = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        r.certificates.push(CertRevocation {
            position: i,
            subject: crate::cert::dn_string(x.subject(), false),
            serial: ocsp::serial_hex(x.raw_serial()),
            summary: certificate_summary(&crls, &ocsp_urls, now_secs),
            crls,
            ocsp_urls,
        });
    }
    if let Some(t) = trust
        && t.trusted
        && t.valid_now
        && !crl_ders.is_empty()
    {
        r.webpki = Some(webpki_verdict(chain, store, crl_ders, now));
    }
    if let Some(t) = trust
        && chain_incomplete(chain, t)
    {
        r.issuer_fetch = issuer_fetch(chain, store, fetched, cut, now);
    }
    r
}

/// [`staple`], for the rules' tests.
#[cfg(test)]
pub(crate) fn tests_staple(bytes: &[u8], leaf: &[u8]) -> Option<StapleReport> {
    staple(bytes, leaf)
}

/// The staple, read, and whether it is about the leaf.
fn staple(bytes: &[u8], leaf: &[u8]) -> Option<StapleReport> {
    if bytes.is_empty() {
        return None;
    }
    let leaf_serial = x509_parser::parse_x509_certificate(leaf)
        .ok()
        .map(|(_, x)| ocsp::serial_hex(x.raw_serial()));
    Some(match ocsp::parse(bytes) {
        Ok(s) => StapleReport {
            bytes: bytes.len(),
            serial_matches: s.serial.as_ref().zip(leaf_serial).map(|(a, b)| *a == b),
            response: Some(s),
            error: None,
            signature_verified: false,
        },
        Err(e) => StapleReport {
            bytes: bytes.len(),
            response: None,
            error: Some(e.to_string()),
            serial_matches: None,
            signature_verified: false,
        },
    })
}

/// One distribution point and its fetch (`None`: not fetched), read as a CRL for `x`.
/// Returns the check and the CRL's DER for the webpki verdict.
pub fn crl_check(
    url: &str,
    fetch: Option<&Fetch>,
    cut: bool,
    x: &X509Certificate<'_>,
    issuer: IssuerKey<'_>,
) -> (CrlCheck, Option<Vec<u8>>) {
    let scheme = crl::scheme(url);
    let mut check = CrlCheck {
        url: crate::smtp::escape(url.as_bytes()),
        scheme,
        fetch: None,
        crl: None,
        invalid: None,
    };
    let Some(fetch) = fetch else {
        return (check, None);
    };
    check.fetch = Some(fetch_summary(fetch, cut));
    let Ok(resp) = &fetch.outcome else {
        return (check, None);
    };
    if resp.status != 200 {
        return (check, None);
    }
    match crl::check(&resp.body, issuer, x.raw_serial()) {
        Ok(facts) => {
            let der = (facts.unsupported.is_none() && facts.signature == crl::Signature::Valid)
                .then(|| der_of(&resp.body));
            check.crl = Some(facts);
            (check, der.flatten())
        }
        Err(e) => {
            check.invalid = Some(e);
            (check, None)
        }
    }
}

/// A CRL body's DER (it may have been PEM).
fn der_of(body: &[u8]) -> Option<Vec<u8>> {
    if x509_parser::parse_x509_crl(body).is_ok() {
        return Some(body.to_vec());
    }
    use rustls::pki_types::pem::PemObject;
    CertificateRevocationListDer::from_pem_slice(body)
        .ok()
        .map(|c| c.as_ref().to_vec())
}

/// webpki's verdict on the chain with these CRLs (RFC 5280 §6.3 as rustls-webpki does it):
/// unknown status allowed (a CRL is not fetched for every certificate), nextUpdate not
/// enforced (the rules judge staleness with their own `now`), the whole chain checked.
fn webpki_verdict(
    chain: &[Vec<u8>],
    store: &TrustStore,
    crls: Vec<Vec<u8>>,
    now: UnixTime,
) -> String {
    use rustls::client::WebPkiServerVerifier;
    use rustls::client::danger::ServerCertVerifier;
    let crls: Vec<CertificateRevocationListDer<'static>> = crls
        .into_iter()
        .map(CertificateRevocationListDer::from)
        .collect();
    let verifier = match WebPkiServerVerifier::builder_with_provider(
        store.root_store(),
        crate::tls::provider(),
    )
    .with_crls(crls)
    .allow_unknown_revocation_status()
    .build()
    {
        Ok(v) => v,
        Err(e) => return format!("not judged: {e}"),
    };
    let leaf = CertificateDer::from(chain[0].as_slice());
    let rest: Vec<CertificateDer<'_>> = chain[1..]
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    // The name is not what is judged here: a name error after the path (and its revocation
    // check) passed counts as good.
    let name = rustls::pki_types::ServerName::try_from("revocation.invalid").map(|n| n.to_owned());
    let Ok(name) = name else {
        return "not judged".into();
    };
    match verifier.verify_server_cert(&leaf, &rest, &name, &[], now) {
        Ok(_) => "good".into(),
        Err(rustls::Error::InvalidCertificate(
            rustls::CertificateError::NotValidForName
            | rustls::CertificateError::NotValidForNameContext { .. },
        )) => "good".into(),
        Err(rustls::Error::InvalidCertificate(rustls::CertificateError::Revoked)) => {
            "revoked".into()
        }
        Err(e) => e.to_string(),
    }
}

/// The top certificate's CA Issuers URL: an http one first (RFC 5280 §4.2.2.1 says CA
/// Issuers are http or ldap), else the first.
fn issuer_url(chain: &[Vec<u8>]) -> Option<String> {
    let (_, top) = x509_parser::parse_x509_certificate(chain.last()?).ok()?;
    let urls = crl::urls(&top).ca_issuers;
    urls.iter()
        .find(|u| crl::scheme(u) == Scheme::Http)
        .or(urls.first())
        .cloned()
}

/// The top certificate's CA Issuers certificate, as fetched, and whether it completes the
/// chain (the chain sent plus it, checked against the trust store at `now`).
fn issuer_fetch(
    chain: &[Vec<u8>],
    store: &TrustStore,
    fetched: &HashMap<String, Arc<Fetch>>,
    cut: &HashSet<String>,
    now: UnixTime,
) -> Option<IssuerFetch> {
    let position = chain.len().checked_sub(1)?;
    let (_, top) = x509_parser::parse_x509_certificate(&chain[position]).ok()?;
    let url = issuer_url(chain)?;
    let mut out = IssuerFetch {
        position,
        url: crate::smtp::escape(url.as_bytes()),
        fetch: None,
        certificate: None,
        error: None,
        completes_chain: None,
        reason: None,
    };
    let Some(fetch) = fetched.get(&url) else {
        out.error = Some("the CA Issuers URL is not http: not fetched".into());
        return Some(out);
    };
    out.fetch = Some(fetch_summary(fetch, cut.contains(&url)));
    let body = match &fetch.outcome {
        Ok(r) if r.status == 200 => &r.body,
        _ => return Some(out),
    };
    let certs = match issuer_certificates(body) {
        Ok(c) => c,
        Err(e) => {
            out.error = Some(e);
            return Some(out);
        }
    };
    // The one that issued the top certificate, else the first.
    let der = certs
        .iter()
        .find(|d| {
            x509_parser::parse_x509_certificate(d)
                .is_ok_and(|(_, c)| c.subject().as_raw() == top.issuer().as_raw())
        })
        .or(certs.first())?
        .clone();
    let at =
        time::OffsetDateTime::from_unix_timestamp(i64::try_from(now.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let info = crate::cert::CertInfo::parse(&der, at).ok();
    out.certificate = Some(FetchedIssuer {
        subject: info.as_ref().map(|i| i.subject.clone()).unwrap_or_default(),
        issuer: info.as_ref().map(|i| i.issuer.clone()).unwrap_or_default(),
        sha256: info.as_ref().map(|i| i.sha256.clone()).unwrap_or_default(),
        der: der.clone(),
    });
    let mut completed = chain.to_vec();
    completed.push(der);
    let verdict = store.check(&completed, now);
    out.completes_chain = Some(verdict.trusted);
    if !verdict.trusted {
        out.reason = verdict.reason;
    }
    Some(out)
}

/// The certificates of a CA Issuers response: one DER certificate, PEM, or a PKCS#7
/// certs-only bundle (`.p7c`, RFC 5280 §4.2.2.1).
fn issuer_certificates(body: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if x509_parser::parse_x509_certificate(body).is_ok() {
        return Ok(vec![body.to_vec()]);
    }
    use rustls::pki_types::pem::PemObject;
    let pem: Vec<Vec<u8>> = CertificateDer::pem_slice_iter(body)
        .filter_map(Result::ok)
        .map(|c| c.as_ref().to_vec())
        .collect();
    if !pem.is_empty() {
        return Ok(pem);
    }
    p7c_certificates(body).ok_or_else(|| {
        format!(
            "the response ({} bytes) is neither a certificate nor a PKCS#7 bundle of certificates",
            body.len()
        )
    })
}

/// The certificates of a PKCS#7 SignedData (RFC 2315 §9.1): ContentInfo { signedData,
/// [0] SignedData { version, digestAlgorithms, contentInfo, [0] IMPLICIT certificates } }.
fn p7c_certificates(body: &[u8]) -> Option<Vec<Vec<u8>>> {
    use x509_parser::der_parser::asn1_rs::{Any, Class, FromDer, Tag};
    let (_, info) = Any::from_der(body).ok()?;
    let (rest, oid) = Any::from_der(info.data).ok()?;
    // 1.2.840.113549.1.7.2 signedData
    if oid.tag() != Tag::Oid || oid.data != [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02] {
        return None;
    }
    let (_, explicit) = Any::from_der(rest).ok()?;
    let (_, signed) = Any::from_der(explicit.data).ok()?;
    let (r, _version) = Any::from_der(signed.data).ok()?;
    let (r, _digests) = Any::from_der(r).ok()?;
    let (r, _content) = Any::from_der(r).ok()?;
    let (_, certs) = Any::from_der(r).ok()?;
    if certs.class() != Class::ContextSpecific || certs.tag() != Tag(0) {
        return None;
    }
    let mut out = Vec::new();
    let mut rest = certs.data;
    while !rest.is_empty() {
        let (after, _) = Any::from_der(rest).ok()?;
        out.push(rest[..rest.len() - after.len()].to_vec());
        rest = after;
    }
    (!out.is_empty()).then_some(out)
}

/// Revocation for the endpoint's report: what was learned, and what was not done.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RevocationReport {
    /// The observation, as data.
    #[serde(flatten)]
    pub observed: RevocationObservation,
    /// Always `"not queried"`: no OCSP responder is asked (Let's Encrypt and others no longer
    /// run one; Exchange uses the CRL); AIA OCSP URLs are listed per certificate.
    pub ocsp: &'static str,
}

/// `e`'s revocation, for the report, when it was checked.
pub fn report(e: &Evidence) -> Option<RevocationReport> {
    e.obs.revocation.as_ref().map(|r| RevocationReport {
        observed: r.clone(),
        ocsp: "not queried",
    })
}

#[cfg(test)]
pub(crate) mod tests;
