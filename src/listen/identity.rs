//! The certificate the listener offers after STARTTLS: the user's (`--cert`, `--key`) or a
//! self-signed one for `--hostname` made at start.

use std::path::Path;

use rustls::pki_types::pem::PemObject;
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

/// Loads `--cert` (and `--key`). The one place that reads the user's certificate file: a
/// PKCS#12/PFX file is refused here until the PFX loader (`crate::tls::client_cert`) is wired
/// in.
pub fn load_identity(
    cert: &Path,
    key: Option<&Path>,
    password_env: Option<&str>,
) -> Result<Identity, ListenError> {
    let shown = cert.display().to_string();
    let read = |p: &Path| {
        std::fs::read(p).map_err(|e| ListenError::Certificate {
            source_name: p.display().to_string(),
            reason: e.to_string(),
        })
    };
    let bytes = read(cert)?;
    let is_pem = bytes.windows(11).any(|w| w == b"-----BEGIN ");
    if password_env.is_some() || !is_pem {
        // TODO(lead): switch to the PFX loader of src/tls/client_cert.rs after the merge.
        return Err(ListenError::Certificate {
            source_name: shown,
            reason: "a PKCS#12/PFX certificate is not supported by `listen` yet; convert it \
                     to PEM: openssl pkcs12 -in FILE.pfx -nodes -out FILE.pem"
                .into(),
        });
    }
    let chain = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ListenError::Certificate {
            source_name: shown.clone(),
            reason: e.to_string(),
        })?;
    let (key_bytes, key_name) = match key {
        Some(k) => (read(k)?, k.display().to_string()),
        None => (bytes.clone(), shown.clone()),
    };
    let key = PrivateKeyDer::from_pem_slice(&key_bytes).map_err(|e| ListenError::Certificate {
        source_name: key_name,
        reason: format!("no private key in it ({e}); give it with --key"),
    })?;
    Identity::new(chain, key, false, &shown)
}
