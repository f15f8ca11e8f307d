//! The certificate we present when a server asks for one (`--client-cert`), as an
//! on-premises Exchange send connector does towards Exchange Online.
//!
//! The private key goes into the handshake and nowhere else: [`ClientIdentity`]'s `Debug`
//! never shows it, and no error message quotes the file's contents.
//!
//! Two formats: PEM (the chain, and the key in the same file or in `--client-key`; PKCS#8,
//! PKCS#1 and SEC1 keys) and PKCS#12/PFX (cargo feature `pfx`), which Windows and Exchange
//! export. A PFX is recognised by its content (a DER SEQUENCE, where PEM is text) or by its
//! `.pfx`/`.p12` extension.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

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

/// Why `--client-cert` could not be used. No variant quotes the file's contents.
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
    /// The file holds no certificate, no key, or something that is neither PEM nor PFX.
    #[error("cannot use client certificate {path}: {reason}")]
    Content {
        /// The file.
        path: String,
        /// What is missing or wrong.
        reason: String,
    },
    /// The `--client-key` file holds no key rustls can use.
    #[error("cannot use the private key {path} (--client-key): {reason}")]
    Key {
        /// The key's file.
        path: String,
        /// What is missing or wrong.
        reason: String,
    },
    /// The private key does not belong to the leaf certificate.
    #[error(
        "the private key {key} does not belong to the certificate in {path}: its public key is not the certificate's (give the key that was made with this certificate)"
    )]
    KeyMismatch {
        /// The certificate file.
        path: String,
        /// The key's file.
        key: String,
    },
    /// `--client-cert-password-env` names a variable that is not set.
    #[error(
        "the environment variable {var} (--client-cert-password-env) is not set: export the PFX's password in it (an empty password is allowed: {var}=)"
    )]
    PasswordVarMissing {
        /// The variable's name.
        var: String,
    },
    /// The PFX's password is wrong.
    #[error("cannot open the PFX {path}: wrong password (the PFX's MAC check failed){hint}")]
    WrongPassword {
        /// The file.
        path: String,
        /// Where the password came from, or how to give one.
        hint: String,
    },
    /// A PFX, but this build cannot read PFX files.
    #[cfg(not(feature = "pfx"))]
    #[error(
        "{path} is a PKCS#12/PFX file, and this build of starttls-check was made without PFX support (cargo feature `pfx`): convert it to PEM with `openssl pkcs12 -in {path} -nodes -out client.pem` (add -legacy for an old Windows export) and give client.pem to --client-cert"
    )]
    PfxUnsupported {
        /// The file.
        path: String,
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

    /// Reads `--client-cert` (`path`), with `--client-key` (`key_path`) for a PEM whose key
    /// is apart, and `--client-cert-password-env` (`password_env`, the variable's name) for a
    /// PFX. The key must belong to the leaf.
    pub fn load(
        path: &Path,
        key_path: Option<&Path>,
        password_env: Option<&str>,
    ) -> Result<ClientIdentity, ClientCertError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| ClientCertError::Read {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
        let identity = if is_pfx(path, &bytes) {
            let password = match password_env {
                Some(var) => match std::env::var(var) {
                    Ok(p) => p,
                    Err(_) => {
                        return Err(ClientCertError::PasswordVarMissing {
                            var: var.to_string(),
                        });
                    }
                },
                // Windows exports may have no password; a wrong guess is said so below.
                None => String::new(),
            };
            let hint = match password_env {
                Some(var) => format!(" (the password was read from {var})"),
                None => {
                    " (no --client-cert-password-env was given, so the empty password was tried)"
                        .to_string()
                }
            };
            pfx(path, &bytes, &password, hint)?
        } else {
            pem(path, &bytes, key_path)?
        };
        identity.check_key(key_path.unwrap_or(path))?;
        Ok(identity)
    }

    /// The key, for the handshake's signing key only.
    pub(crate) fn key(&self) -> &PrivateKeyDer<'static> {
        &self.key
    }

    /// The chain and the signing key, for rustls.
    pub(crate) fn certified_key(
        &self,
        provider: &CryptoProvider,
    ) -> Result<Arc<CertifiedKey>, rustls::Error> {
        let signer = provider
            .key_provider
            .load_private_key(self.key().clone_key())?;
        Ok(Arc::new(CertifiedKey::new(self.chain.clone(), signer)))
    }

    /// The key belongs to the leaf (rustls compares the public keys).
    fn check_key(&self, key_file: &Path) -> Result<(), ClientCertError> {
        let provider = crate::tls::provider();
        let mismatch = || ClientCertError::KeyMismatch {
            path: self.source.display().to_string(),
            key: key_file.display().to_string(),
        };
        let certified = self
            .certified_key(&provider)
            .map_err(|e| ClientCertError::Content {
                path: key_file.display().to_string(),
                reason: format!("the private key cannot be used: {e}"),
            })?;
        match certified.keys_match() {
            Ok(()) => Ok(()),
            // A key type rustls cannot compare (none of ring's) is let through: the
            // handshake's signature then says whether it fits.
            Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => Ok(()),
            Err(_) => Err(mismatch()),
        }
    }
}

/// An encrypted PEM key: PKCS#8 `ENCRYPTED PRIVATE KEY`, or a legacy OpenSSL key with a
/// `Proc-Type: 4,ENCRYPTED` header. rustls reads neither.
fn encrypted(pem: &[u8]) -> bool {
    let has = |needle: &[u8]| pem.windows(needle.len()).any(|w| w == needle);
    has(b"-----BEGIN ENCRYPTED PRIVATE KEY-----") || has(b"Proc-Type: 4,ENCRYPTED")
}

/// Why a `--client-key` file gave no key: encrypted, or no key block at all.
fn key_problem(pem: &[u8]) -> &'static str {
    if encrypted(pem) {
        "the key is encrypted: decrypt it first (openssl pkey -in key.pem -out plain.pem), or use a PFX with --client-cert-password-env"
    } else {
        "no PEM private key in it (PKCS#8 BEGIN PRIVATE KEY, PKCS#1 BEGIN RSA PRIVATE KEY or SEC1 BEGIN EC PRIVATE KEY)"
    }
}

/// A PFX: DER (a SEQUENCE, where PEM starts with text), or named so.
fn is_pfx(path: &Path, bytes: &[u8]) -> bool {
    let named = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("pfx") || e.eq_ignore_ascii_case("p12"));
    named || bytes.first() == Some(&0x30)
}

fn pem(
    path: &Path,
    bytes: &[u8],
    key_path: Option<&Path>,
) -> Result<ClientIdentity, ClientCertError> {
    let shown = path.display().to_string();
    let content = |p: &Path, reason: &str| ClientCertError::Content {
        path: p.display().to_string(),
        reason: reason.to_string(),
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(bytes)
        .collect::<Result<_, _>>()
        .map_err(|_| content(path, "a PEM certificate block in it is malformed"))?;
    if chain.is_empty() {
        return Err(content(
            path,
            "no PEM certificate in it (expected -----BEGIN CERTIFICATE-----, or a PKCS#12/PFX file)",
        ));
    }
    let key = match key_path {
        Some(k) => {
            let key_bytes = std::fs::read(k).map_err(|e| ClientCertError::Read {
                path: k.display().to_string(),
                reason: e.to_string(),
            })?;
            PrivateKeyDer::from_pem_slice(&key_bytes).map_err(|_| ClientCertError::Key {
                path: k.display().to_string(),
                reason: key_problem(&key_bytes).into(),
            })?
        }
        None => PrivateKeyDer::from_pem_slice(bytes).map_err(|_| {
            content(
                path,
                if encrypted(bytes) {
                    "its private key is encrypted: decrypt it first (openssl pkey -in key.pem -out plain.pem) and give it with --client-key, or use a PFX with --client-cert-password-env"
                } else {
                    "no PEM private key in it: put the key in the same file or give it with --client-key"
                },
            )
        })?,
    };
    Ok(ClientIdentity::new(
        shown.into(),
        IdentityFormat::Pem,
        chain,
        key,
    ))
}

#[cfg(feature = "pfx")]
fn pfx(
    path: &Path,
    bytes: &[u8],
    password: &str,
    hint: String,
) -> Result<ClientIdentity, ClientCertError> {
    use p12_keystore::error::Error as P12Error;
    use p12_keystore::{KeyStore, Pkcs12ImportPolicy};
    let shown = path.display().to_string();
    let ks = KeyStore::from_pkcs12(bytes, password, Pkcs12ImportPolicy::Strict).map_err(|e| {
        match e {
            P12Error::MacError(_) => ClientCertError::WrongPassword {
                path: shown.clone(),
                hint,
            },
            // The library's words name a structure or an algorithm, never the content.
            other => ClientCertError::Content {
                path: shown.clone(),
                reason: format!("not a PKCS#12/PFX file this tool can read ({other})"),
            },
        }
    })?;
    let Some((_, chain)) = ks.private_key_chain() else {
        return Err(ClientCertError::Content {
            path: shown,
            reason:
                "the PFX holds no private key with its certificate (export it with the private key)"
                    .into(),
        });
    };
    let certs: Vec<CertificateDer<'static>> = chain
        .certs()
        .iter()
        .map(|c| CertificateDer::from(c.as_der().to_vec()))
        .collect();
    if certs.is_empty() {
        return Err(ClientCertError::Content {
            path: shown,
            reason: "the PFX holds no certificate".into(),
        });
    }
    let key = PrivateKeyDer::Pkcs8(chain.key().as_der().to_vec().into());
    Ok(ClientIdentity::new(
        shown.into(),
        IdentityFormat::Pfx,
        certs,
        key,
    ))
}

#[cfg(not(feature = "pfx"))]
fn pfx(
    path: &Path,
    _bytes: &[u8],
    _password: &str,
    _hint: String,
) -> Result<ClientIdentity, ClientCertError> {
    Err(ClientCertError::PfxUnsupported {
        path: path.display().to_string(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        let id = ClientIdentity::new(
            "x.pem".into(),
            IdentityFormat::Pem,
            Vec::new(),
            PrivateKeyDer::Pkcs8(vec![0x42; 40].into()),
        );
        let shown = format!("{id:?}");
        assert!(shown.contains("(hidden)"), "{shown}");
        assert!(!shown.contains("66, 66"), "{shown}");
    }

    #[test]
    fn a_pfx_is_known_by_content_or_name() {
        assert!(is_pfx(Path::new("a.bin"), &[0x30, 0x82]));
        assert!(is_pfx(Path::new("a.P12"), b"x"));
        assert!(!is_pfx(Path::new("a.pem"), b"-----BEGIN"));
    }
}
