//! The certificate the listener offers after STARTTLS: the user's (`--cert`, `--key`) or a
//! self-signed one for `--hostname` made at start.

use std::path::Path;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use time::OffsetDateTime;

use super::ListenError;
use super::model::OurCertificate;

/// A chain and its private key, with what the report says about the leaf.
pub struct Identity {
    /// Leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// Never printed, logged or sent anywhere but into the handshake.
    key: PrivateKeyDer<'static>,
    /// The leaf as the report shows it.
    pub certificate: OurCertificate,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("chain", &self.chain.len())
            .field("key", &"(hidden)")
            .field("certificate", &self.certificate)
            .finish()
    }
}

impl Identity {
    /// A copy of the key, for a rustls `ServerConfig`.
    pub(super) fn key(&self) -> PrivateKeyDer<'static> {
        self.key.clone_key()
    }

    /// An identity from a chain (leaf first) and its key, e.g. made by the scripted PKI.
    pub fn from_parts(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self, ListenError> {
        Self::new(chain, key, false, "the certificate given")
    }

    fn new(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        generated: bool,
        source: &str,
    ) -> Result<Self, ListenError> {
        let leaf = chain.first().ok_or_else(|| ListenError::Certificate {
            source_name: source.into(),
            reason: "no certificate in it".into(),
        })?;
        let info = crate::cert::CertInfo::parse(leaf, OffsetDateTime::now_utc()).map_err(|e| {
            ListenError::Certificate {
                source_name: source.into(),
                reason: e.to_string(),
            }
        })?;
        Ok(Identity {
            certificate: OurCertificate {
                subject: info.subject,
                dns_names: info.dns_names,
                sha256: info.sha256,
                generated,
            },
            chain,
            key,
        })
    }
}

/// A self-signed certificate for `hostname`, valid for a year (from a week ago, so that a
/// sender with a slow clock accepts it too).
pub fn generated(hostname: &str) -> Result<Identity, ListenError> {
    let spec = crate::scripted::LeafSpec::valid_for(hostname, OffsetDateTime::now_utc(), 365);
    let leaf =
        crate::scripted::pki::self_signed_of(&spec, "starttls-check receiver").map_err(|e| {
            ListenError::Certificate {
                source_name: format!("a self-signed certificate for {hostname}"),
                reason: e.to_string(),
            }
        })?;
    Identity::new(leaf.chain, leaf.key, true, "the self-signed certificate")
}

/// Loads `--cert` (and `--key`, or the PFX password from `--cert-password-env`): the loader
/// of `--client-cert` (PEM or PKCS#12/PFX, key checked against the leaf), its messages
/// reworded for this command's options.
pub fn load_identity(
    cert: &Path,
    key: Option<&Path>,
    password_env: Option<&str>,
) -> Result<Identity, ListenError> {
    let shown = cert.display().to_string();
    let loaded =
        crate::tls::client_cert::ClientIdentity::load(cert, key, password_env).map_err(|e| {
            ListenError::Certificate {
                source_name: shown.clone(),
                reason: for_listen(&e.to_string()),
            }
        })?;
    Identity::new(
        loaded.chain.clone(),
        loaded.key().clone_key(),
        false,
        &shown,
    )
}

/// The loader's words are about `--client-cert`; here the file is `--cert`, the certificate
/// this receiver offers.
fn for_listen(message: &str) -> String {
    message
        .replace("--client-cert-password-env", "--cert-password-env")
        .replace("--client-cert", "--cert")
        .replace("--client-key", "--key")
        .replace("client certificate ", "")
}
