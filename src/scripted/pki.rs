//! Certificates made at run time for the demo and the tests: a root, intermediates, and
//! leaves that are healthy, expired, not yet valid, self-signed, for another name, or for
//! client authentication only.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use time::{Duration, OffsetDateTime};

/// A CA that can sign intermediates and leaves.
#[derive(Debug)]
pub struct Ca {
    params: CertificateParams,
    key: KeyPair,
    der: CertificateDer<'static>,
    pem: String,
}

/// A server certificate chain and its key.
#[derive(Debug)]
pub struct Leaf {
    /// The certificates the server sends, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's private key.
    pub key: PrivateKeyDer<'static>,
}

impl Clone for Leaf {
    fn clone(&self) -> Self {
        Leaf {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

/// What the leaf should look like.
#[derive(Debug, Clone)]
pub struct LeafSpec {
    /// Subject CN.
    pub common_name: String,
    /// DNS subjectAltNames.
    pub names: Vec<String>,
    /// Validity start.
    pub not_before: OffsetDateTime,
    /// Validity end.
    pub not_after: OffsetDateTime,
    /// EKU clientAuth only (unusable for a TLS server).
    pub client_auth_only: bool,
}

impl LeafSpec {
    /// A leaf for `name`, valid from a week ago for `days` more days.
    pub fn valid_for(name: &str, now: OffsetDateTime, days: i64) -> Self {
        LeafSpec {
            common_name: name.to_string(),
            names: vec![name.to_string()],
            not_before: now - Duration::days(7),
            not_after: now + Duration::days(days),
            client_auth_only: false,
        }
    }
}

/// Errors from rcgen, as text (the demo reports them; tests unwrap them).
#[derive(Debug, thiserror::Error)]
#[error("making a test certificate failed: {0}")]
pub struct PkiError(String);

fn err(e: impl std::fmt::Display) -> PkiError {
    PkiError(e.to_string())
}

fn dn(cn: &str) -> DistinguishedName {
    dn_of("starttls-check demo", cn)
}

fn dn_of(organization: &str, cn: &str) -> DistinguishedName {
    let mut d = DistinguishedName::new();
    d.push(DnType::OrganizationName, organization);
    d.push(DnType::CommonName, cn);
    d
}

fn ca_params(cn: &str, now: OffsetDateTime) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn(cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.not_before = now - Duration::days(365);
    p.not_after = now + Duration::days(3650);
    p
}

fn leaf_params(spec: &LeafSpec) -> Result<CertificateParams, PkiError> {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn(&spec.common_name);
    p.subject_alt_names = spec
        .names
        .iter()
        .map(|n| n.clone().try_into().map(SanType::DnsName).map_err(err))
        .collect::<Result<_, _>>()?;
    p.not_before = spec.not_before;
    p.not_after = spec.not_after;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = if spec.client_auth_only {
        vec![ExtendedKeyUsagePurpose::ClientAuth]
    } else {
        vec![ExtendedKeyUsagePurpose::ServerAuth]
    };
    p.use_authority_key_identifier_extension = true;
    Ok(p)
}

impl Ca {
    /// A self-signed root.
    pub fn root(cn: &str, now: OffsetDateTime) -> Result<Self, PkiError> {
        Self::self_signed_from(ca_params(cn, now))
    }

    /// A self-signed root of another organisation (`O=Fortinet, CN=Fortinet_CA_SSL`: an
    /// inspection CA).
    pub fn root_of(organization: &str, cn: &str, now: OffsetDateTime) -> Result<Self, PkiError> {
        let mut params = ca_params(cn, now);
        params.distinguished_name = dn_of(organization, cn);
        Self::self_signed_from(params)
    }

    fn self_signed_from(params: CertificateParams) -> Result<Self, PkiError> {
        let key = KeyPair::generate().map_err(err)?;
        let cert = params.self_signed(&key).map_err(err)?;
        Ok(Ca {
            der: cert.der().clone(),
            pem: cert.pem(),
            params,
            key,
        })
    }

    /// An intermediate signed by this CA.
    pub fn intermediate(&self, cn: &str, now: OffsetDateTime) -> Result<Self, PkiError> {
        let params = ca_params(cn, now);
        let key = KeyPair::generate().map_err(err)?;
        let cert = params
            .signed_by(&key, &Issuer::from_params(&self.params, &self.key))
            .map_err(err)?;
        Ok(Ca {
            der: cert.der().clone(),
            pem: cert.pem(),
            params,
            key,
        })
    }

    /// A leaf signed by this CA; the chain holds the leaf only (append intermediates yourself).
    pub fn leaf(&self, spec: &LeafSpec) -> Result<Leaf, PkiError> {
        let key = KeyPair::generate().map_err(err)?;
        let cert = leaf_params(spec)?
            .signed_by(&key, &Issuer::from_params(&self.params, &self.key))
            .map_err(err)?;
        Ok(Leaf {
            chain: vec![cert.der().clone()],
            key: PrivateKeyDer::try_from(key.serialize_der()).map_err(err)?,
        })
    }

    /// A leaf signed by this CA whose subject names `organization` (an appliance's own
    /// certificate from a CA); the chain holds the leaf only.
    pub fn leaf_of(&self, spec: &LeafSpec, organization: &str) -> Result<Leaf, PkiError> {
        let key = KeyPair::generate().map_err(err)?;
        let mut params = leaf_params(spec)?;
        params.distinguished_name = dn_of(organization, &spec.common_name);
        let cert = params
            .signed_by(&key, &Issuer::from_params(&self.params, &self.key))
            .map_err(err)?;
        Ok(Leaf {
            chain: vec![cert.der().clone()],
            key: PrivateKeyDer::try_from(key.serialize_der()).map_err(err)?,
        })
    }

    /// This CA's subject and key, certified by `other` with the given validity: a
    /// cross-signed root, as CAs hand out for compatibility with older trust stores.
    pub fn cross_signed_by(
        &self,
        other: &Ca,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Result<CertificateDer<'static>, PkiError> {
        let mut params = self.params.clone();
        params.not_before = not_before;
        params.not_after = not_after;
        let cert = params
            .signed_by(&self.key, &Issuer::from_params(&other.params, &other.key))
            .map_err(err)?;
        Ok(cert.der().clone())
    }

    /// The CA certificate, DER.
    pub fn der(&self) -> CertificateDer<'static> {
        self.der.clone()
    }

    /// The CA certificate, PEM (for `--ca-file`).
    pub fn pem(&self) -> &str {
        &self.pem
    }
}

/// A self-signed leaf.
pub fn self_signed(spec: &LeafSpec) -> Result<Leaf, PkiError> {
    let key = KeyPair::generate().map_err(err)?;
    let cert = leaf_params(spec)?.self_signed(&key).map_err(err)?;
    Ok(Leaf {
        chain: vec![cert.der().clone()],
        key: PrivateKeyDer::try_from(key.serialize_der()).map_err(err)?,
    })
}

/// A self-signed leaf whose subject names `organization`: an appliance's own default
/// certificate (`O=Barracuda Networks, CN=barracuda.local`).
pub fn self_signed_of(spec: &LeafSpec, organization: &str) -> Result<Leaf, PkiError> {
    let key = KeyPair::generate().map_err(err)?;
    let mut params = leaf_params(spec)?;
    params.distinguished_name = dn_of(organization, &spec.common_name);
    let cert = params.self_signed(&key).map_err(err)?;
    Ok(Leaf {
        chain: vec![cert.der().clone()],
        key: PrivateKeyDer::try_from(key.serialize_der()).map_err(err)?,
    })
}

impl Leaf {
    /// A chain and key from PEM text (for fixtures rcgen cannot make: SHA-1, RSA < 2048).
    pub fn from_pem(chain_pem: &[&str], key_pem: &str) -> Result<Self, PkiError> {
        use rustls::pki_types::pem::PemObject;
        let mut chain = Vec::new();
        for pem in chain_pem {
            for c in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                chain.push(c.map_err(err)?);
            }
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(err)?;
        Ok(Leaf { chain, key })
    }
}
