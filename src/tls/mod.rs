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
            Err(e) => return TrustResult::untrusted(TrustFailure::Other, &describe_cert_error(&e)),
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
                ..TrustResult::untrusted(failure_kind(&e), &describe_cert_error(&e))
            },
        }
    }
}

/// The kind of a refusal that has nothing to do with time.
fn failure_kind(e: &rustls::Error) -> TrustFailure {
    match e {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            TrustFailure::UnknownIssuer
        }
        rustls::Error::InvalidCertificate(CertificateError::BadSignature) => {
            TrustFailure::BadSignature
        }
        _ => TrustFailure::Other,
    }
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
    /// Anything else (bad encoding, CA used as end entity, unsupported algorithm...).
    Other,
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

/// Turns a rustls certificate error into words an admin understands.
pub fn describe_cert_error(e: &rustls::Error) -> String {
    use CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => "the chain does not lead to a trusted root CA".into(),
            C::BadSignature => "a signature in the chain does not verify".into(),
            C::BadEncoding => "the certificate is not valid DER".into(),
            C::Expired | C::ExpiredContext { .. } => {
                "a certificate in the chain has expired".into()
            }
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "a certificate in the chain is not valid yet".into()
            }
            C::UnsupportedSignatureAlgorithmContext { .. }
            | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
                "the chain uses a signature algorithm that is no longer accepted (e.g. SHA-1)"
                    .into()
            }
            C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
                "the certificate is not allowed for TLS servers (extended key usage)".into()
            }
            C::Other(o) if format!("{o:?}").contains("CaUsedAsEndEntity") => {
                "the server's certificate is a CA certificate (basicConstraints CA:TRUE), which clients refuse as a server certificate".into()
            }
            C::Other(o) => format!("{o}"),
            other => format!("{other:?}"),
        },
        other => other.to_string(),
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
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain: Vec<Vec<u8>> = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.as_ref().to_vec())
            .collect();
        if let Ok(mut r) = self.record.lock() {
            r.chain = chain;
            r.seen_at = Some(now);
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

fn classify(e: &std::io::Error) -> HandshakeError {
    use rustls::AlertDescription as A;
    let detail = e.to_string();
    let tls = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    let (kind, reason) = match tls {
        Some(rustls::Error::AlertReceived(A::ProtocolVersion)) => (
            HandshakeFailure::ProtocolVersion,
            "the server supports only TLS versions older than 1.2 (TLS 1.0/1.1), which modern senders refuse".to_string(),
        ),
        Some(rustls::Error::AlertReceived(A::HandshakeFailure | A::InsufficientSecurity)) => (
            HandshakeFailure::NoSharedCipher,
            "the server refused the handshake: it has no cipher suite a modern client accepts (ECDHE with AES-GCM or ChaCha20), or no usable certificate loaded".to_string(),
        ),
        Some(rustls::Error::AlertReceived(a)) => {
            (HandshakeFailure::Alert, format!("the server aborted the handshake with the alert '{a:?}'"))
        }
        Some(rustls::Error::InvalidCertificate(CertificateError::BadSignature))
        | Some(rustls::Error::PeerMisbehaved(_))
            if detail.contains("ignature") || matches!(tls, Some(rustls::Error::InvalidCertificate(_))) =>
        {
            (
                HandshakeFailure::WeakOrBadKey,
                "the server's handshake signature was refused: its key is too weak (RSA under 2048 bits) or does not match the certificate".to_string(),
            )
        }
        Some(rustls::Error::InvalidMessage(_)) | Some(rustls::Error::InappropriateMessage { .. }) => (
            HandshakeFailure::NotTls,
            "the server answered with something that is not TLS (a plaintext reply or a proxy in the path)".to_string(),
        ),
        Some(rustls::Error::PeerIncompatible(p)) => {
            (HandshakeFailure::NoSharedCipher, format!("the server lacks something TLS 1.2+ requires: {p:?}"))
        }
        Some(other) => (HandshakeFailure::Other, other.to_string()),
        None if e.kind() == std::io::ErrorKind::UnexpectedEof || e.kind() == std::io::ErrorKind::ConnectionReset => (
            HandshakeFailure::Closed,
            "the server closed the connection during the handshake (often a legacy-only TLS stack or an inspecting firewall)".to_string(),
        ),
        None => (HandshakeFailure::Other, detail.clone()),
    };
    HandshakeError {
        kind,
        reason,
        detail,
    }
}

/// Runs the client handshake over `stream`. The record is filled whatever the outcome.
pub async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    server_name: ServerName<'static>,
    trust: &TrustStore,
    timeout: Duration,
) -> (
    Result<(TlsStream<S>, Negotiated), HandshakeError>,
    HandshakeRecord,
) {
    let record = Arc::new(Mutex::new(HandshakeRecord::default()));
    let schemes = trust
        .provider
        .signature_verification_algorithms
        .supported_schemes();
    let verifier = Arc::new(RecordingVerifier {
        provider: trust.provider.clone(),
        record: record.clone(),
        schemes,
    });
    let config = rustls::ClientConfig::builder_with_provider(trust.provider.clone())
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map(|b| {
            b.dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth()
        });
    let config = match config {
        Ok(c) => c,
        Err(e) => {
            let err = HandshakeError {
                kind: HandshakeFailure::Other,
                reason: e.to_string(),
                detail: e.to_string(),
            };
            return (Err(err), HandshakeRecord::default());
        }
    };
    let connector = TlsConnector::from(Arc::new(config));
    let outcome = match tokio::time::timeout(timeout, connector.connect(server_name, stream)).await
    {
        Ok(Ok(tls)) => {
            let (_, conn) = tls.get_ref();
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
            Ok((
                tls,
                Negotiated {
                    version,
                    cipher_suite,
                    key_exchange,
                },
            ))
        }
        Ok(Err(e)) => Err(classify(&e)),
        Err(_) => Err(HandshakeError {
            kind: HandshakeFailure::Timeout,
            reason: format!(
                "the handshake did not finish within {}s",
                timeout.as_secs_f32()
            ),
            detail: "timeout".into(),
        }),
    };
    let record = record.lock().map(|r| r.clone()).unwrap_or_default();
    (outcome, record)
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
