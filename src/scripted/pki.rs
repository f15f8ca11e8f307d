//! Certificates made at run time for the demo and the tests: a root, intermediates, and
//! leaves that are healthy, expired, not yet valid, self-signed, for another name, or for
//! client authentication only; leaves and intermediates that name CRL distribution points,
//! OCSP and CA Issuers URLs, and the CRLs a CA signs (the revocation tests).

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CrlDistributionPoint,
    CustomExtension, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod,
    KeyPair, KeyUsagePurpose, RevocationReason, RevokedCertParams, SanType, SerialNumber,
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
    /// CRL distribution point URLs (RFC 5280 §4.2.1.13), one point each.
    pub crl_urls: Vec<String>,
    /// Authority Information Access CA Issuers URLs (RFC 5280 §4.2.2.1).
    pub ca_issuers: Vec<String>,
    /// Authority Information Access OCSP URLs.
    pub ocsp: Vec<String>,
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
            crl_urls: Vec::new(),
            ca_issuers: Vec::new(),
            ocsp: Vec::new(),
        }
    }
}

/// What a CRL should look like.
#[derive(Debug, Clone)]
pub struct CrlSpec {
    /// thisUpdate.
    pub this_update: OffsetDateTime,
    /// nextUpdate.
    pub next_update: OffsetDateTime,
    /// The raw serials (as the certificate encodes them) listed, each as keyCompromise an
    /// hour before `this_update`.
    pub revoked: Vec<Vec<u8>>,
}

impl CrlSpec {
    /// Issued an hour ago, next due in a week, listing `revoked`.
    pub fn fresh(now: OffsetDateTime, revoked: &[Vec<u8>]) -> Self {
        CrlSpec {
            this_update: now - Duration::hours(1),
            next_update: now + Duration::days(7),
            revoked: revoked.to_vec(),
        }
    }

    /// Issued a month ago and due ten days ago: the CA stopped publishing.
    pub fn stale(now: OffsetDateTime) -> Self {
        CrlSpec {
            this_update: now - Duration::days(30),
            next_update: now - Duration::days(10),
            revoked: Vec::new(),
        }
    }
}

/// A DER TLV (short or long length form): rcgen writes no Authority Information Access.
fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// The Authority Information Access extension (RFC 5280 §4.2.2.1) with these OCSP and CA
/// Issuers URLs, or none when both are empty.
fn aia_extension(ocsp: &[String], ca_issuers: &[String]) -> Option<CustomExtension> {
    // id-ad-ocsp 1.3.6.1.5.5.7.48.1, id-ad-caIssuers 1.3.6.1.5.5.7.48.2.
    let access = |last: u8, url: &String| {
        let oid = der_tlv(0x06, &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, last]);
        // GeneralName uniformResourceIdentifier [6] IMPLICIT IA5String.
        der_tlv(0x30, &[oid, der_tlv(0x86, url.as_bytes())].concat())
    };
    let descriptions: Vec<Vec<u8>> = ocsp
        .iter()
        .map(|u| access(1, u))
        .chain(ca_issuers.iter().map(|u| access(2, u)))
        .collect();
    (!descriptions.is_empty()).then(|| {
        CustomExtension::from_oid_content(
            &[1, 3, 6, 1, 5, 5, 7, 1, 1],
            der_tlv(0x30, &descriptions.concat()),
        )
    })
}

/// Puts the revocation URLs of `spec` on `p`.
fn revocation_urls(p: &mut CertificateParams, crl: &[String], ocsp: &[String], issuers: &[String]) {
    p.crl_distribution_points = crl
        .iter()
        .map(|u| CrlDistributionPoint {
            uris: vec![u.clone()],
        })
        .collect();
    p.custom_extensions.extend(aia_extension(ocsp, issuers));
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
    revocation_urls(&mut p, &spec.crl_urls, &spec.ocsp, &spec.ca_issuers);
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

    /// An intermediate signed by this CA whose certificate names these CRL distribution
    /// points and CA Issuers URLs.
    pub fn intermediate_with_urls(
        &self,
        cn: &str,
        now: OffsetDateTime,
        crl_urls: &[String],
        ca_issuers: &[String],
    ) -> Result<Self, PkiError> {
        let mut params = ca_params(cn, now);
        revocation_urls(&mut params, crl_urls, &[], ca_issuers);
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

    /// A CRL signed by this CA (RFC 5280 §5), DER.
    pub fn crl(&self, spec: &CrlSpec) -> Result<Vec<u8>, PkiError> {
        Ok(self.crl_of(spec)?.der().to_vec())
    }

    /// The same CRL, PEM (irregular on a distribution point, yet served by some).
    pub fn crl_pem(&self, spec: &CrlSpec) -> Result<String, PkiError> {
        self.crl_of(spec)?.pem().map_err(err)
    }

    fn crl_of(&self, spec: &CrlSpec) -> Result<rcgen::CertificateRevocationList, PkiError> {
        let params = CertificateRevocationListParams {
            this_update: spec.this_update,
            next_update: spec.next_update,
            crl_number: SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: spec
                .revoked
                .iter()
                .map(|serial| RevokedCertParams {
                    serial_number: SerialNumber::from_slice(serial),
                    revocation_time: spec.this_update - Duration::hours(1),
                    reason_code: Some(RevocationReason::KeyCompromise),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        params
            .signed_by(&Issuer::from_params(&self.params, &self.key))
            .map_err(err)
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

    /// A sending server's certificate signed by this CA: Extended Key Usage serverAuth and
    /// clientAuth, as the certificates Exchange send connectors and Postfix clients present
    /// (the `--client-cert` tests); the chain holds the leaf only.
    pub fn sender_leaf(&self, spec: &LeafSpec) -> Result<Leaf, PkiError> {
        let key = KeyPair::generate().map_err(err)?;
        let mut params = leaf_params(spec)?;
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let cert = params
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
