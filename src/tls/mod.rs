//! The TLS upgrade, with a certificate verifier that records instead of refusing.
//!
//! A diagnostic probe must see the chain of a server whose certificate is expired, self-signed
//! or for another name, so the verifier stores the chain and the trust result in a shared
//! record and lets the handshake go on. The handshake signature (proof that the server holds
//! the key) is still checked for real, so the negotiated parameters reported are genuine.
//!
//! # References
//! - RFC 3207 §4.1 (the TLS negotiation after `220`), RFC 7672 §3.2 (server certificate
//!   checks for SMTP), RFC 8446 / RFC 5246 (TLS 1.3 / 1.2)

pub mod client_cert;
mod drive;
mod errors;
mod heard;
pub mod legacy;
mod path;
mod roots;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

pub use errors::{
    REFUSED_OURS, SessionBreak, client_cert_certain, describe_cert_error, library_words,
    session_error,
};
use roots::{LazyRoots, Roots};

/// The trust store: the system's roots plus `--ca-file`, read on a thread of their own and
/// only as far as a verdict needs them (`roots.rs`). Clones share the one load.
#[derive(Debug, Clone)]
pub struct TrustStore {
    roots: Arc<LazyRoots>,
    provider: Arc<CryptoProvider>,
}

/// Why a trust store could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// A `--ca-file` could not be read or holds no certificate.
    #[error("cannot use CA file {path}: {reason}")]
    CaFile {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
}

/// The ring provider; rust-notes: never rely on a process-wide default provider.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl TrustStore {
    /// The system's roots (unless `system` is false) plus every certificate in `ca_files`.
    /// The CA files are read now; the system's roots on a thread started here.
    pub fn load(ca_files: &[impl AsRef<Path>], system: bool) -> Result<Self, TrustError> {
        let mut extra = Vec::new();
        for path in ca_files {
            let path = path.as_ref();
            let err = |reason: String| TrustError::CaFile {
                path: path.display().to_string(),
                reason,
            };
            let certs: Vec<_> = CertificateDer::pem_file_iter(path)
                .map_err(|e| err(e.to_string()))?
                .collect::<Result<_, _>>()
                .map_err(|e| err(e.to_string()))?;
            if certs.is_empty() {
                return Err(err("no PEM certificate in it".into()));
            }
            extra.extend(certs);
        }
        let roots = Arc::new(LazyRoots::new(system, extra));
        if roots.reads_system() {
            let early = roots.clone();
            // If no thread can be started, the first check reads the roots itself.
            let _ = std::thread::Builder::new()
                .name("root-store".into())
                .spawn(move || {
                    early.first();
                });
        }
        Ok(TrustStore {
            roots,
            provider: provider(),
        })
    }

    #[cfg(test)]
    fn with_roots(roots: LazyRoots) -> Self {
        TrustStore {
            roots: Arc::new(roots),
            provider: provider(),
        }
    }

    /// A store of exactly these roots (the demo and tests use this).
    pub fn from_certs(
        certs: impl IntoIterator<Item = CertificateDer<'static>>,
        native_problem: Option<String>,
    ) -> Self {
        TrustStore {
            roots: Arc::new(LazyRoots::ready(Roots::new(certs, native_problem))),
            provider: provider(),
        }
    }

    /// Every trusted root, for a verifier of their own (the CRL verdict of `revocation`,
    /// `WebPkiServerVerifier::with_crls`); waits for the load, both tiers.
    pub fn root_store(&self) -> Arc<rustls::RootCertStore> {
        let roots = self.roots.all().unwrap_or_else(|| self.roots.first());
        Arc::new(roots.store.clone())
    }

    /// The public key (SubjectPublicKeyInfo DER) of the trusted root whose subject is
    /// `subject` (raw DER, tag included): the key a CRL of the top intermediate's issuer is
    /// signed with (RFC 5280 §6.3.3 (f)), when that issuer is a root, which the chain omits.
    pub fn root_key(&self, subject: &[u8]) -> Option<Vec<u8>> {
        let roots = self.roots.all().unwrap_or_else(|| self.roots.first());
        roots
            .store
            .roots
            .iter()
            .find(|a| roots::der_sequence(a.subject.as_ref()) == subject)
            .map(|a| roots::der_sequence(a.subject_public_key_info.as_ref()))
    }

    /// Why the system roots could not be loaded, if they could not (waits for the load).
    pub fn native_problem(&self) -> Option<&str> {
        self.roots.first().native_problem.as_deref()
    }

    /// Checks the chain against the first tier of roots and, unless that fully trusts it
    /// (trusted, current, its top issuer a root), against every root (`roots.rs`).
    pub fn check(&self, chain: &[Vec<u8>], now: UnixTime) -> TrustResult {
        let first = self.check_with(self.roots.first(), chain, now);
        if first.trusted && first.valid_now && first.top_issuer_trusted {
            return first;
        }
        match self.roots.all() {
            Some(all) => self.check_with(all, chain, now),
            None => first,
        }
    }

    /// Checks a client certificate chain (leaf first) as a receiver would: webpki's
    /// client-authentication path building, which also requires the leaf's Extended Key
    /// Usage, when present, to allow clientAuth (RFC 5280 §4.2.1.12). `trusted` is judged
    /// apart from time (at the middle of the leaf's validity when `now` is outside it), like
    /// [`TrustStore::check`], so "expired" and "untrusted" stay different findings. The
    /// listener reuses it for the certificate a sender presents.
    pub fn check_client(&self, chain: &[Vec<u8>], now: UnixTime) -> TrustResult {
        let roots = self.root_store();
        if roots.is_empty() {
            return TrustResult::untrusted(
                TrustFailure::NoRoots,
                "no trusted root certificates are loaded on this machine",
            );
        }
        let Some(leaf) = chain.first() else {
            return TrustResult::untrusted(
                TrustFailure::NoCertificate,
                "no certificate was presented",
            );
        };
        let verifier = match rustls::server::WebPkiClientVerifier::builder_with_provider(
            roots.clone(),
            self.provider.clone(),
        )
        .build()
        {
            Ok(v) => v,
            Err(e) => return TrustResult::untrusted(TrustFailure::Other, &e.to_string()),
        };
        let leaf_der = CertificateDer::from(leaf.as_slice());
        let intermediates: Vec<_> = chain[1..]
            .iter()
            .map(|c| CertificateDer::from(c.as_slice()))
            .collect();
        let top_issuer_trusted = chain
            .last()
            .and_then(|top| x509_parser::parse_x509_certificate(top).ok())
            .is_some_and(|(_, x)| {
                roots
                    .roots
                    .iter()
                    .any(|a| roots::der_sequence(a.subject.as_ref()) == x.issuer().as_raw())
            });
        let verdict = |at: UnixTime| verifier.verify_client_cert(&leaf_der, &intermediates, at);
        let refused = |e: &rustls::Error| {
            let (kind, reason) = errors::cert_failure(e);
            let kind = match e {
                rustls::Error::InvalidCertificate(
                    CertificateError::InvalidPurpose
                    | CertificateError::InvalidPurposeContext { .. },
                ) => TrustFailure::WrongUsage,
                _ => kind,
            };
            let reason = errors::for_client(&reason, self_signed(chain));
            TrustResult {
                top_issuer_trusted,
                ..TrustResult::untrusted(kind, &reason)
            }
        };
        let ok = |valid_now: bool| TrustResult {
            trusted: true,
            valid_now,
            failure: None,
            reason: None,
            top_issuer_trusted,
            path: Vec::new(),
        };
        match verdict(now) {
            Ok(_) => ok(true),
            Err(rustls::Error::InvalidCertificate(e)) if is_time_error(&e) => {
                let middle = x509_parser::parse_x509_certificate(leaf)
                    .ok()
                    .map(|(_, x)| {
                        let v = x.validity();
                        let (a, b) = (v.not_before.timestamp(), v.not_after.timestamp());
                        UnixTime::since_unix_epoch(Duration::from_secs(
                            u64::try_from(a / 2 + b / 2).unwrap_or(0),
                        ))
                    });
                match middle.map(verdict) {
                    Some(Ok(_)) => ok(false),
                    Some(Err(e)) if !matches!(&e, rustls::Error::InvalidCertificate(c) if is_time_error(c)) => {
                        refused(&e)
                    }
                    _ => refused(&rustls::Error::InvalidCertificate(e)),
                }
            }
            Err(e) => refused(&e),
        }
    }

    /// Checks that `chain[0]` chains to a trusted root through `chain[1..]`, ignoring the
    /// name (checked separately against every name the user cares about). webpki judges the
    /// chain at `now`; when its only objection is time, the path is judged again without
    /// dates (`tls/path.rs`), because "expired" and "untrusted" are different findings with
    /// different fixes, and no single instant need lie inside every certificate's validity
    /// (a leaf issued under a CA certificate renewed since).
    fn check_with(&self, roots: &Roots, chain: &[Vec<u8>], now: UnixTime) -> TrustResult {
        let subjects = &roots.subjects;
        let roots = &roots.store;
        if roots.is_empty() {
            return TrustResult::untrusted(
                TrustFailure::NoRoots,
                "no trusted root certificates are loaded on this machine",
            );
        }
        let Some(leaf) = chain.first() else {
            return TrustResult::untrusted(
                TrustFailure::NoCertificate,
                "the server sent no certificate",
            );
        };
        let leaf_der = CertificateDer::from(leaf.as_slice());
        let intermediates: Vec<_> = chain[1..]
            .iter()
            .map(|c| CertificateDer::from(c.as_slice()))
            .collect();
        let parsed = match rustls::server::ParsedCertificate::try_from(&leaf_der) {
            Ok(p) => p,
            Err(e) => {
                let (kind, reason) = errors::cert_failure(&e);
                return TrustResult::untrusted(kind, &reason);
            }
        };
        let algs = self.provider.signature_verification_algorithms.all;
        let verdict_now = rustls::client::verify_server_cert_signed_by_trust_anchor(
            &parsed,
            roots,
            &intermediates,
            now,
            algs,
        );
        let top_issuer_trusted = chain
            .last()
            .and_then(|top| x509_parser::parse_x509_certificate(top).ok())
            .is_some_and(|(_, x)| subjects.contains(x.issuer().as_raw()));
        let now_secs = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        let apart_from_time = || path::build(chain, &roots.roots, algs, now_secs);
        let trusted = |valid_now: bool, path: Vec<usize>| TrustResult {
            trusted: true,
            valid_now,
            failure: None,
            reason: None,
            top_issuer_trusted,
            path,
        };
        match verdict_now {
            // The path webpki took is not returned; the one built here is, for the rules to
            // know which certificates sent are on it.
            Ok(()) => trusted(true, apart_from_time().unwrap_or_default()),
            Err(rustls::Error::InvalidCertificate(e)) if is_time_error(&e) => {
                match apart_from_time() {
                    // Every certificate on the path found here is current, yet webpki
                    // refused the chain at `now`: that path failed a check not made here
                    // (a CA's name constraints), and webpki reported the dates of another
                    // candidate as the more specific error. Its refusal stands; the dates
                    // are not the reason.
                    Ok(path) if path_is_current(chain, &path, now_secs) => TrustResult {
                        top_issuer_trusted,
                        ..TrustResult::untrusted(
                            TrustFailure::Other,
                            "no path to a trusted root passes every check, although the certificates on the one found are all current (a CA's name constraints may exclude the server's names)",
                        )
                    },
                    Ok(path) => trusted(false, path),
                    Err(refusal) => TrustResult {
                        top_issuer_trusted,
                        ..TrustResult::untrusted(refusal.kind, &refusal.reason)
                    },
                }
            }
            Err(e) => TrustResult {
                top_issuer_trusted,
                ..refused(&e, chain, now_secs, apart_from_time)
            },
        }
    }
}

/// The verdict on a chain webpki refused for a reason other than time, in words that name
/// what is wrong (and, where the path built here can tell, which certificate).
fn refused(
    e: &rustls::Error,
    chain: &[Vec<u8>],
    now: i64,
    apart_from_time: impl Fn() -> Result<Vec<usize>, path::Refusal>,
) -> TrustResult {
    let (kind, reason) = errors::cert_failure(e);
    match kind {
        // webpki cannot represent a date before 1970 and calls it bad DER: say so, and judge
        // the chain apart from that date (x509-parser reads it).
        TrustFailure::Malformed => before_1970(chain, now, &apart_from_time)
            .unwrap_or_else(|| TrustResult::untrusted(kind, &reason)),
        // The path built here names the certificates (`#0 CN=...`) where webpki names none;
        // it is taken only when it fails for the same reason.
        TrustFailure::BadSignature => {
            let named = apart_from_time().err().filter(|r| r.kind == kind);
            TrustResult::untrusted(kind, &named.map_or(reason, |r| r.reason))
        }
        TrustFailure::ChainTooLong => TrustResult::untrusted(
            kind,
            &format!("{reason}; the server sent {} certificates", chain.len()),
        ),
        _ => TrustResult::untrusted(kind, &reason),
    }
}

/// A certificate of `chain` dated before 1970, which webpki refuses as badly encoded
/// (`BadDerTime`, rustls-webpki `time.rs`: "We don't support dates before January 1, 1970")
/// although the DER is sound: a UTCTime year of 50-99 means 19xx (RFC 5280 §4.1.2.5.1).
/// When the path apart from dates leads to a trusted root, the chain is trusted: only
/// clients built on webpki refuse it.
fn before_1970(
    chain: &[Vec<u8>],
    now: i64,
    apart_from_time: &impl Fn() -> Result<Vec<usize>, path::Refusal>,
) -> Option<TrustResult> {
    let (i, field, when) = chain.iter().enumerate().find_map(|(i, der)| {
        let (_, x) = x509_parser::parse_x509_certificate(der).ok()?;
        let v = x.validity();
        [("notBefore", &v.not_before), ("notAfter", &v.not_after)]
            .into_iter()
            .find(|(_, t)| t.timestamp() < 0)
            .map(|(f, t)| (i, f, t.to_datetime()))
    })?;
    let subject = x509_parser::parse_x509_certificate(&chain[i])
        .map(|(_, x)| crate::cert::dn_string(x.subject(), false))
        .unwrap_or_default();
    let path = apart_from_time();
    let verdict = match &path {
        Ok(_) => "Apart from that date, the chain leads to a trusted root.".to_string(),
        Err(refusal) => format!("The chain is not trusted either way: {}.", refusal.reason),
    };
    let reason = format!(
        "certificate #{i} {subject} has {field} {}, a date before 1970: rustls/webpki (the TLS library of this tool and of some senders) cannot represent dates before the Unix epoch and refuses the certificate as badly encoded, although the date is validly encoded (RFC 5280 §4.1.2.5.1); senders on OpenSSL or Schannel read it. {verdict}",
        crate::cert::rfc3339(when)
    );
    let mut r = TrustResult::untrusted(TrustFailure::UnsupportedDate, &reason);
    if let Ok(path) = path {
        r.trusted = true;
        r.valid_now = path_is_current(chain, &path, now);
        r.path = path;
    }
    Some(r)
}

fn is_time_error(e: &CertificateError) -> bool {
    matches!(
        e,
        CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. }
    )
}

/// Every certificate of `chain` at the positions `path` is inside its validity at `now`.
fn path_is_current(chain: &[Vec<u8>], path: &[usize], now: i64) -> bool {
    path.iter().all(|&i| {
        chain
            .get(i)
            .and_then(|der| x509_parser::parse_x509_certificate(der).ok())
            .is_some_and(|(_, x)| {
                let v = x.validity();
                v.not_before.timestamp() <= now && now <= v.not_after.timestamp()
            })
    })
}

/// Why a chain is not trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrustFailure {
    /// The chain does not lead to a trusted root.
    UnknownIssuer,
    /// A signature in the chain does not verify.
    BadSignature,
    /// The server sent no certificate.
    NoCertificate,
    /// This machine has no trusted roots: nothing can be judged.
    NoRoots,
    /// The chain is longer than clients follow (webpki: 6 intermediates, 100 signature
    /// checks).
    ChainTooLong,
    /// A certificate is not encoded as X.509 requires (bad DER, a malformed field).
    Malformed,
    /// A certificate has a date before 1970, which webpki cannot represent (others can).
    UnsupportedDate,
    /// A signature algorithm clients refuse (SHA-1), or one that does not fit the key.
    UnsupportedAlgorithm,
    /// An extension marked critical that clients do not understand.
    CriticalExtension,
    /// A certificate is used against its own constraints: a CA as the server's certificate,
    /// a non-CA as an issuer, beyond a pathLenConstraint, or without serverAuth.
    WrongUsage,
    /// A CA's name constraints exclude the server's names.
    NameConstraints,
    /// Anything else.
    Other,
}

/// Whether the chain's first certificate names itself as its issuer, with no other
/// certificate of the chain bearing that name (a leaf and a root that share a name are not
/// one self-signed certificate).
fn self_signed(chain: &[Vec<u8>]) -> bool {
    let parsed: Vec<_> = chain
        .iter()
        .filter_map(|der| x509_parser::parse_x509_certificate(der).ok())
        .map(|(_, x)| (x.subject().as_raw().to_vec(), x.issuer().as_raw().to_vec()))
        .collect();
    let Some((subject, issuer)) = parsed.first() else {
        return false;
    };
    subject == issuer && !parsed.iter().skip(1).any(|(s, _)| s == issuer)
}

/// The outcome of the chain check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustResult {
    /// The chain leads to a trusted root, judged apart from time: dates are the dates
    /// findings' business.
    pub trusted: bool,
    /// The chain validates at the probe's time: every certificate on the path is current.
    pub valid_now: bool,
    /// Why not.
    pub failure: Option<TrustFailure>,
    /// The reason in plain words.
    pub reason: Option<String>,
    /// The issuer of the last certificate sent is a trusted root (so nothing is missing
    /// between them, whatever else is wrong).
    pub top_issuer_trusted: bool,
    /// When trusted, the positions in the chain sent of the certificates on the path to the
    /// root, leaf first: a certificate sent but not needed (an old copy of a renewed CA
    /// certificate, a root) does no harm, whatever its dates. Empty when not trusted.
    pub path: Vec<usize>,
}

impl TrustResult {
    fn untrusted(kind: TrustFailure, reason: &str) -> Self {
        TrustResult {
            trusted: false,
            valid_now: false,
            failure: Some(kind),
            reason: Some(reason.to_string()),
            top_issuer_trusted: false,
            path: Vec::new(),
        }
    }
}

/// What the verifier saw during the handshake.
///
/// The chain is judged later ([`TrustStore::check`] with [`HandshakeRecord::seen_at`]), not
/// inside the handshake: the verdict never changes the conversation (the verifier records
/// instead of refusing), so the server need not wait for it, nor for the root store.
#[derive(Debug, Clone, Default)]
pub struct HandshakeRecord {
    /// The certificates exactly as sent, leaf first.
    pub chain: Vec<Vec<u8>>,
    /// When the certificates arrived: the instant to judge them at.
    pub seen_at: Option<UnixTime>,
    /// The first bytes the server sent during the handshake (at most [`drive::HEARD_CAP`]),
    /// whatever the outcome: what came instead of TLS, when it was not TLS.
    pub heard: Vec<u8>,
    /// The OCSP response the server stapled (RFC 6066 §8, RFC 8446 §4.4.2.1), as sent; empty
    /// when it sent none. rustls asks for one in every ClientHello.
    pub ocsp_staple: Vec<u8>,
    /// The server sent a CertificateRequest (RFC 5246 §7.4.4, RFC 8446 §4.3.2): the CA names
    /// it accepts (escaped DNs; empty means any). `None`: it did not ask.
    pub client_cert_requested: Option<Vec<String>>,
    /// Our certificate (`--client-cert`) went out in answer to that request.
    pub client_cert_presented: bool,
}

/// Records that the server asked for a client certificate (a CertificateRequest) and which
/// CA names it accepts, and answers with ours (`--client-cert`) or none: a refusal after the
/// request is then named for what it is (RFC 5246 §7.4.6, RFC 8446 §4.4.2.4).
#[derive(Debug, Default)]
struct ClientCertAsked {
    /// The CA names of the request, escaped (`CN=Corp Issuing CA, O=Corp`); `None` until asked.
    names: Mutex<Option<Vec<String>>>,
    /// Ours, when `--client-cert` was given. It is sent whatever CA names the server lists:
    /// the server, not this probe, judges it (and says so), as Exchange and Postfix do.
    ours: Option<Arc<rustls::sign::CertifiedKey>>,
    /// Ours was handed to rustls in answer to a request.
    presented: Mutex<bool>,
}

impl ClientCertAsked {
    fn asked(&self) -> Option<Vec<String>> {
        self.names.lock().ok().and_then(|n| n.clone())
    }

    fn presented(&self) -> bool {
        self.presented.lock().is_ok_and(|p| *p)
    }
}

impl rustls::client::ResolvesClientCert for ClientCertAsked {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        let names = root_hint_subjects.iter().map(|der| dn_text(der)).collect();
        if let Ok(mut asked) = self.names.lock() {
            *asked = Some(names);
        }
        let ours = self.ours.clone();
        if ours.is_some()
            && let Ok(mut p) = self.presented.lock()
        {
            *p = true;
        }
        ours
    }

    fn has_certs(&self) -> bool {
        self.ours.is_some()
    }
}

/// A CA name of a CertificateRequest as text (`CN=Corp CA, O=Corp`). The hint is a Name's
/// DER, with or without its outer SEQUENCE (RFC 8446 §4.2.4 sends it whole; rustls documents
/// both forms); anything else is shown escaped.
fn dn_text(der: &[u8]) -> String {
    use x509_parser::prelude::{FromDer, X509Name};
    let parse = |bytes: &[u8]| {
        X509Name::from_der(bytes)
            .ok()
            .map(|(_, n)| crate::cert::dn_string(&n, false))
    };
    let wrapped = || {
        let len = u32::try_from(der.len()).ok()?;
        let mut seq = vec![0x30, 0x83];
        seq.extend_from_slice(&len.to_be_bytes()[1..]);
        seq.extend_from_slice(der);
        parse(&seq)
    };
    parse(der)
        .or_else(wrapped)
        .unwrap_or_else(|| crate::smtp::escape(der))
}

#[derive(Debug)]
struct RecordingVerifier {
    /// For the handshake signatures only: the chain is judged later.
    provider: Arc<CryptoProvider>,
    record: Arc<Mutex<HandshakeRecord>>,
    schemes: Vec<SignatureScheme>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain: Vec<Vec<u8>> = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.as_ref().to_vec())
            .collect();
        if let Ok(mut r) = self.record.lock() {
            r.chain = chain;
            r.seen_at = Some(now);
            r.ocsp_staple = ocsp_response.to_vec();
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}

/// A TLS protocol version this client can negotiate, ordered oldest first; written `TLS 1.3` in reports and JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TlsVersion {
    /// TLS 1.2 (RFC 5246).
    Tls12,
    /// TLS 1.3 (RFC 8446).
    Tls13,
}

impl TlsVersion {
    /// `TLS 1.2`.
    pub fn label(self) -> &'static str {
        match self {
            TlsVersion::Tls12 => "TLS 1.2",
            TlsVersion::Tls13 => "TLS 1.3",
        }
    }
}

impl std::fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

impl serde::Serialize for TlsVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.label())
    }
}

/// What was negotiated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// The protocol version.
    pub version: TlsVersion,
    /// The IANA cipher suite name.
    pub cipher_suite: String,
    /// The key exchange group (`X25519`), when known.
    pub key_exchange: Option<String>,
}

/// The category of a failed handshake, for the finding's plain-words reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HandshakeFailure {
    /// The server speaks only TLS versions before 1.2.
    ProtocolVersion,
    /// No cipher suite or key exchange in common.
    NoSharedCipher,
    /// The server's key signature was refused (typically an RSA key under 2048 bits).
    WeakOrBadKey,
    /// The server closed the connection during the handshake.
    Closed,
    /// The handshake did not finish in time.
    Timeout,
    /// The server answered with something that is not TLS.
    NotTls,
    /// The server sent a fatal alert.
    Alert,
    /// A handshake message (in practice the certificate chain) is larger than clients
    /// accept ([`MAX_HANDSHAKE_MESSAGE`]).
    MessageTooLarge,
    /// The server speaks TLS but broke the protocol (a malformed or out-of-order message,
    /// a choice this client did not offer).
    ProtocolViolation,
    /// The server demands a client certificate (it asked for one, then refused the
    /// handshake without it).
    ClientCertRequired,
    /// Anything else.
    Other,
}

/// A handshake that did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeError {
    /// The category.
    pub kind: HandshakeFailure,
    /// What happened, in plain words.
    pub reason: String,
    /// The library's own message, for the evidence.
    pub detail: String,
}

/// Runs the client handshake over `stream`, presenting no client certificate. The record is
/// filled whatever the outcome.
pub async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    server_name: ServerName<'static>,
    trust: &TrustStore,
    timeout: Duration,
) -> (
    Result<(TlsStream<S>, Negotiated), HandshakeError>,
    HandshakeRecord,
) {
    handshake_as(stream, server_name, trust, timeout, None).await
}

/// Runs the client handshake over `stream`, presenting `identity` if the server asks for a
/// client certificate. The record is filled whatever the outcome.
pub async fn handshake_as<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    server_name: ServerName<'static>,
    trust: &TrustStore,
    timeout: Duration,
    identity: Option<&client_cert::ClientIdentity>,
) -> (
    Result<(TlsStream<S>, Negotiated), HandshakeError>,
    HandshakeRecord,
) {
    let record = Arc::new(Mutex::new(HandshakeRecord::default()));
    let (config, asked) = match client_config(trust, record.clone(), identity) {
        Ok(built) => built,
        Err(err) => return (Err(err), HandshakeRecord::default()),
    };
    let mut heard = drive::Heard::default();
    let run = connect(Arc::new(config), server_name, stream, &mut heard);
    let outcome = match tokio::time::timeout(timeout, run).await {
        Ok(Ok(tls)) => {
            let negotiated = negotiated(tls.get_ref().1);
            Ok((tls, negotiated))
        }
        Ok(Err(e)) => Err(errors::classify(
            &e,
            asked.asked().as_deref(),
            asked.presented(),
            &heard,
        )),
        Err(_) => Err(HandshakeError {
            kind: HandshakeFailure::Timeout,
            reason: format!(
                "the handshake did not finish within {}",
                crate::text::seconds(timeout)
            ),
            detail: "timeout".into(),
        }),
    };
    let mut record = record.lock().map(|r| r.clone()).unwrap_or_default();
    record.heard = heard.bytes;
    record.client_cert_requested = asked.asked();
    record.client_cert_presented = asked.presented();
    (outcome, record)
}

/// The client configuration for one handshake: every protocol version rustls has; a
/// verifier that records the server's chain into `record` and checks only the handshake
/// signatures (the chain is judged later, by the rules); a resolver that notes whether the
/// server asked for a client certificate (RFC 8446 §4.3.2) and answers with `identity`'s
/// if one was given. Err when that key or the provider cannot be used, before anything
/// is sent.
fn client_config(
    trust: &TrustStore,
    record: Arc<Mutex<HandshakeRecord>>,
    identity: Option<&client_cert::ClientIdentity>,
) -> Result<(rustls::ClientConfig, Arc<ClientCertAsked>), HandshakeError> {
    let schemes = trust
        .provider
        .signature_verification_algorithms
        .supported_schemes();
    let verifier = Arc::new(RecordingVerifier {
        provider: trust.provider.clone(),
        record,
        schemes,
    });
    let ours = identity
        .map(|i| i.certified_key(&trust.provider))
        .transpose()
        .map_err(|e| HandshakeError {
            kind: HandshakeFailure::Other,
            reason: format!("the client certificate's key cannot be used: {e}"),
            detail: e.to_string(),
        })?;
    let asked = Arc::new(ClientCertAsked {
        ours,
        ..ClientCertAsked::default()
    });
    let config = rustls::ClientConfig::builder_with_provider(trust.provider.clone())
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map(|b| {
            b.dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_client_cert_resolver(asked.clone())
        })
        .map_err(|e| HandshakeError {
            kind: HandshakeFailure::Other,
            reason: e.to_string(),
            detail: e.to_string(),
        })?;
    Ok((config, asked))
}

/// What a completed handshake settled on: version, cipher suite, key exchange group.
fn negotiated(conn: &rustls::ClientConnection) -> Negotiated {
    // The client offers only what rustls implements (TLS 1.2 and 1.3), so a completed
    // handshake is one of the two.
    let version = match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => TlsVersion::Tls13,
        _ => TlsVersion::Tls12,
    };
    let cipher_suite = conn
        .negotiated_cipher_suite()
        .map_or_else(|| "unknown".to_string(), |s| format!("{:?}", s.suite()));
    let key_exchange = conn
        .negotiated_key_exchange_group()
        .map(|g| format!("{:?}", g.name()));
    Negotiated {
        version,
        cipher_suite,
        key_exchange,
    }
}

/// The handshake over `stream`, driven here so the bytes the server sends are kept in
/// `heard` ([`drive`]); once it completes, tokio-rustls takes the finished connection over.
async fn connect<S: AsyncRead + AsyncWrite + Unpin>(
    config: Arc<rustls::ClientConfig>,
    name: ServerName<'static>,
    mut stream: S,
    heard: &mut drive::Heard,
) -> std::io::Result<TlsStream<S>> {
    let mut conn = rustls::ClientConnection::new(config.clone(), name.clone())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    drive::handshake(&mut stream, &mut conn, heard).await?;
    TlsConnector::from(config)
        .connect_with(name, stream, move |fresh| *fresh = conn)
        .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// `--ca-file` is read when the store is made, so a bad file is an error at once.
    #[test]
    fn a_ca_file_without_certificates_is_refused_up_front() {
        let dir = std::env::temp_dir().join(format!("stc-trust-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "no certificate here\n").unwrap();
        let err = TrustStore::load(&[&empty], false).unwrap_err();
        assert!(err.to_string().contains("no PEM certificate"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
