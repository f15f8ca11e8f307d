//! The certificate we present when a server asks for one (`--client-cert`), as an
//! on-premises Exchange send connector does towards Exchange Online.
//!
//! The private key goes into the handshake and nowhere else: [`ClientIdentity`]'s `Debug`
//! never shows it, and no error message quotes the file's contents.

use std::path::PathBuf;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A certificate chain and its private key, read from `--client-cert`.
pub struct ClientIdentity {
    /// Where it was read from (shown in reports).
    pub source: PathBuf,
    /// How it was stored.
    pub format: IdentityFormat,
    /// The chain, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The private key: only for the handshake.
    key: PrivateKeyDer<'static>,
}

/// How the identity was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentityFormat {
    /// PEM certificates and a PEM private key (one file, or `--client-key`).
    Pem,
    /// PKCS#12 / PFX.
    Pfx,
}

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("source", &self.source)
            .field("format", &self.format)
            .field("chain", &self.chain.len())
            .field("key", &"(hidden)")
            .finish()
    }
}

/// Why `--client-cert` could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ClientCertError {
    /// The file could not be read.
    #[error("cannot read client certificate {path}: {reason}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

impl ClientIdentity {
    /// Builds an identity (tests and the loader).
    pub fn new(
        source: PathBuf,
        format: IdentityFormat,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Self {
        ClientIdentity {
            source,
            format,
            chain,
            key,
        }
    }

    /// The key, for the handshake's signing key only.
    pub(crate) fn key(&self) -> &PrivateKeyDer<'static> {
        &self.key
    }
}
