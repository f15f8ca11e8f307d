//! The listener's side of the handshake: a ServerConfig that asks for a client certificate
//! without requiring or judging it (the recording verifier), and the sorting of a failed
//! handshake into what the report says.
//!
//! # References
//! - RFC 8446 §4.3.2 (CertificateRequest), §4.4.2 (client Certificate), §6.2 (alerts)
//! - RFC 5246 §7.4.4 (TLS 1.2 CertificateRequest; an empty list of CAs means any)

use std::sync::{Arc, Mutex};

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{AlertDescription, DigitallySignedStruct, DistinguishedName, ServerConfig};

use super::identity::Identity;
use super::model::{ListenHandshakeError, ListenHandshakeFailure, OfferedHello};

/// Asks every sender for a certificate, accepts any (or none), and keeps the chain: the point
/// is to report what the sender presents, and a sender refused here would show nothing. The
/// handshake signature is still verified, so a recorded certificate is one whose key the
/// sender holds.
#[derive(Debug)]
pub struct Recorder {
    provider: Arc<CryptoProvider>,
    chain: Mutex<Vec<Vec<u8>>>,
}

impl Recorder {
    /// A recorder with nothing recorded.
    pub fn new(provider: Arc<CryptoProvider>) -> Self {
        Recorder {
            provider,
            chain: Mutex::new(Vec::new()),
        }
    }

    /// The chain the sender presented (leaf first), empty when none.
    pub fn chain(&self) -> Vec<Vec<u8>> {
        self.chain.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

impl ClientCertVerifier for Recorder {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        // Empty: "any CA" (RFC 5246 §7.4.4; RFC 8446 omits certificate_authorities). OpenSSL,
        // Postfix and Exchange then send their certificate anyway.
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if let Ok(mut c) = self.chain.lock() {
            *c = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|d| d.as_ref().to_vec())
                .collect();
        }
        Ok(ClientCertVerified::assertion())
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

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A ServerConfig for one session: TLS 1.2 and 1.3, our certificate, and `recorder`.
pub fn server_config(
    identity: &Identity,
    recorder: Arc<Recorder>,
) -> Result<Arc<ServerConfig>, rustls::Error> {
    let provider = crate::tls::provider();
    let cfg = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)?
        .with_client_cert_verifier(recorder)
        .with_single_cert(identity.chain.clone(), identity.key())?;
    Ok(Arc::new(cfg))
}

/// Sorts a failed handshake. `hello` is what the sender's ClientHello offered, read before
/// rustls saw it.
pub fn classify(e: &std::io::Error, hello: Option<&OfferedHello>) -> ListenHandshakeError {
    use std::io::ErrorKind;
    let detail = crate::smtp::escape(e.to_string().as_bytes());
    let legacy_only = hello
        .and_then(OfferedHello::best_version)
        .is_some_and(|v| v < 0x0303);
    let (kind, reason) = match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        _ if legacy_only => (
            ListenHandshakeFailure::LegacyVersionsOnly,
            "the sender offered only TLS versions older than 1.2".to_string(),
        ),
        Some(rustls::Error::AlertReceived(alert)) => match alert {
            AlertDescription::UnknownCA
            | AlertDescription::BadCertificate
            | AlertDescription::CertificateUnknown
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::CertificateExpired
            | AlertDescription::CertificateRevoked
            | AlertDescription::AccessDenied => (
                ListenHandshakeFailure::RefusedOurCertificate,
                format!("the sender refused our certificate (alert {alert:?})"),
            ),
            other => (
                ListenHandshakeFailure::Alert,
                format!("the sender ended the handshake with the alert {other:?}"),
            ),
        },
        Some(rustls::Error::PeerIncompatible(p)) => (
            ListenHandshakeFailure::NoSharedCipher,
            format!("no version, cipher suite or group in common ({p:?})"),
        ),
        Some(rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. })
            if hello.is_none() =>
        {
            (
                ListenHandshakeFailure::NotTls,
                "the sender did not start a TLS handshake after our 220".to_string(),
            )
        }
        Some(_) => (
            ListenHandshakeFailure::Other,
            "the handshake failed".to_string(),
        ),
        None if matches!(
            e.kind(),
            ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset | ErrorKind::BrokenPipe
        ) =>
        {
            (
                ListenHandshakeFailure::Closed,
                "the sender closed the connection during the handshake".to_string(),
            )
        }
        None => (
            ListenHandshakeFailure::Other,
            "the handshake failed".to_string(),
        ),
    };
    ListenHandshakeError {
        kind,
        reason,
        detail,
    }
}
