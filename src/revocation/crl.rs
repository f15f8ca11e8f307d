//! The revocation facts a certificate and a CRL hold, read with x509-parser: the CRL
//! distribution points, OCSP and CA Issuers URLs (RFC 5280 §4.2.1.13, §4.2.2.1), and a CRL's
//! issuer, dates, signature and entry for a serial (RFC 5280 §5, §6.3.3). Pure: bytes in,
//! facts out; the fetches and the verdicts that need `now` are elsewhere.

use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
use x509_parser::oid_registry::{
    OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS, OID_PKIX_ACCESS_DESCRIPTOR_OCSP,
    OID_X509_EXT_DELTA_CRL_INDICATOR,
};
use x509_parser::prelude::{FromDer, SubjectPublicKeyInfo, X509Certificate};

use super::Stamp;
use super::ocsp::{reason_name, serial_hex};

// The facts are observation data, in the model layer; their old paths stay valid.
pub use crate::model::revocation::{CrlFacts, Encoding, Revoked, Scheme, Signature};

/// The revocation URLs a certificate names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Urls {
    /// CRL distribution points (full names that are URIs), in order.
    pub crl: Vec<String>,
    /// AIA OCSP responders.
    pub ocsp: Vec<String>,
    /// AIA CA Issuers.
    pub ca_issuers: Vec<String>,
}

/// The URLs of `x`'s CRL distribution points and Authority Information Access.
pub fn urls(x: &X509Certificate<'_>) -> Urls {
    let mut out = Urls::default();
    for ext in x.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::CRLDistributionPoints(points) => {
                for p in points.iter() {
                    if let Some(DistributionPointName::FullName(names)) = &p.distribution_point {
                        for n in names {
                            if let GeneralName::URI(u) = n {
                                out.crl.push((*u).to_string());
                            }
                        }
                    }
                }
            }
            ParsedExtension::AuthorityInfoAccess(aia) => {
                for d in aia.iter() {
                    let GeneralName::URI(u) = &d.access_location else {
                        continue;
                    };
                    if d.access_method == OID_PKIX_ACCESS_DESCRIPTOR_OCSP {
                        out.ocsp.push((*u).to_string());
                    } else if d.access_method == OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS {
                        out.ca_issuers.push((*u).to_string());
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The scheme of `url`.
pub fn scheme(url: &str) -> Scheme {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("http://") {
        Scheme::Http
    } else if lower.starts_with("https://") {
        Scheme::Https
    } else if lower.starts_with("ldap://") || lower.starts_with("ldaps://") {
        Scheme::Ldap
    } else {
        Scheme::Other
    }
}

/// PEM armour around a CRL: its DER, when it is PEM.
fn from_pem(body: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("-----BEGIN X509 CRL-----")? + "-----BEGIN X509 CRL-----".len();
    let end = text[start..].find("-----END X509 CRL-----")? + start;
    let b64: String = text[start..end].split_whitespace().collect();
    base64_decode(&b64)
}

/// Standard base64 (RFC 4648 §4) without a crate: a PEM CRL is the only user.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// The issuing CA of the certificate checked: its subject (raw DER) and public key
/// (SubjectPublicKeyInfo DER), when at hand.
#[derive(Debug, Clone, Copy)]
pub struct IssuerKey<'a> {
    /// The subject of the certificate's issuer, raw DER (the certificate's issuer field).
    pub subject: &'a [u8],
    /// The issuing CA's key, when its certificate was sent or is a trusted root.
    pub spki: Option<&'a [u8]>,
}

/// Reads `body` as a CRL (DER, or PEM said as such) and judges it for the certificate with
/// the raw serial `serial` issued by `issuer`. The error is why it is no CRL.
pub fn check(body: &[u8], issuer: IssuerKey<'_>, serial: &[u8]) -> Result<CrlFacts, String> {
    let (der, encoding) = match x509_parser::parse_x509_crl(body) {
        Ok(_) => (body.to_vec(), Encoding::Der),
        Err(_) => match from_pem(body) {
            Some(der) => (der, Encoding::Pem),
            None => return Err(not_a_crl(body)),
        },
    };
    let (_, crl) = x509_parser::parse_x509_crl(&der).map_err(|e| format!("not a CRL: {e}"))?;
    let signature = match issuer
        .spki
        .map(|k| SubjectPublicKeyInfo::from_der(k).map(|(_, k)| k))
    {
        None => Signature::IssuerKeyNotAtHand,
        Some(Err(e)) => Signature::Invalid(format!("the issuer's key cannot be read: {e}")),
        Some(Ok(key)) => match crl.verify_signature(&key) {
            Ok(()) => Signature::Valid,
            Err(e) => Signature::Invalid(e.to_string()),
        },
    };
    let delta = crl
        .extensions()
        .iter()
        .any(|e| e.oid == OID_X509_EXT_DELTA_CRL_INDICATOR);
    let indirect = crl.extensions().iter().any(|e| {
        matches!(e.parsed_extension(), ParsedExtension::IssuingDistributionPoint(p) if p.indirect_crl)
    });
    let unsupported = if delta {
        Some("delta CRL (RFC 5280 §5.2.4)".to_string())
    } else if indirect {
        Some("indirect CRL (RFC 5280 §5.2.5)".to_string())
    } else {
        None
    };
    let wanted = serial_hex(serial);
    let revoked = crl
        .iter_revoked_certificates()
        .find(|r| serial_hex(r.raw_serial()) == wanted)
        .map(|r| Revoked {
            date: Stamp(r.revocation_date.timestamp()),
            reason: r.reason_code().map(|(_, c)| reason_name(c.0)),
        });
    Ok(CrlFacts {
        encoding,
        issuer: crate::cert::dn_string(crl.issuer(), false),
        issuer_matches: crl.issuer().as_raw() == issuer.subject,
        this_update: Stamp(crl.last_update().timestamp()),
        next_update: crl.next_update().map(|t| Stamp(t.timestamp())),
        entries: crl.iter_revoked_certificates().count(),
        signature,
        unsupported,
        revoked,
    })
}

/// Why a body is no CRL, in words (what it looks like, never its bytes).
fn not_a_crl(body: &[u8]) -> String {
    let head = &body[..body.len().min(64)];
    let lower = String::from_utf8_lossy(head).to_ascii_lowercase();
    if body.is_empty() {
        "the response is empty".into()
    } else if lower.contains("<html") || lower.contains("<!doctype") {
        "the response is an HTML page, not a CRL".into()
    } else if lower.contains("-----begin certificate") {
        "the response is a certificate, not a CRL".into()
    } else {
        format!(
            "the response ({} bytes) is not a CRL in DER or PEM",
            body.len()
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::scripted::pki::{Ca, CrlSpec, LeafSpec};
    use time::OffsetDateTime;

    fn cert(der: &[u8]) -> X509Certificate<'_> {
        x509_parser::parse_x509_certificate(der).unwrap().1
    }

    #[test]
    fn urls_of_a_leaf_with_distribution_points_and_aia() {
        let now = OffsetDateTime::now_utc();
        let ca = Ca::root("Test Root", now).unwrap();
        let mut spec = LeafSpec::valid_for("mx.example.test", now, 90);
        spec.crl_urls = vec!["http://crl.pki.test/a.crl".into(), "ldap:///CN=x".into()];
        spec.ca_issuers = vec!["http://aia.pki.test/ca.der".into()];
        spec.ocsp = vec!["http://ocsp.pki.test".into()];
        let leaf = ca.leaf(&spec).unwrap();
        let u = urls(&cert(&leaf.chain[0]));
        assert_eq!(u.crl, spec.crl_urls);
        assert_eq!(u.ca_issuers, spec.ca_issuers);
        assert_eq!(u.ocsp, spec.ocsp);
        assert_eq!(scheme(&u.crl[1]), Scheme::Ldap);
        assert_eq!(scheme("HTTP://x"), Scheme::Http);
    }

    fn key_of(ca: &Ca) -> Vec<u8> {
        let der = ca.der();
        cert(&der).public_key().raw.to_vec()
    }

    #[test]
    fn a_crl_is_verified_and_the_leaf_found_listed_with_its_reason() {
        let now = OffsetDateTime::now_utc();
        let ca = Ca::root("Test Root", now).unwrap();
        let leaf = ca
            .leaf(&LeafSpec::valid_for("mx.example.test", now, 90))
            .unwrap();
        let x = cert(&leaf.chain[0]);
        let serial = x.raw_serial().to_vec();
        let key = key_of(&ca);
        let subject = x.issuer().as_raw().to_vec();
        let issuer = IssuerKey {
            subject: &subject,
            spki: Some(&key),
        };

        let clean = ca.crl(&CrlSpec::fresh(now, &[])).unwrap();
        let f = check(&clean, issuer, &serial).unwrap();
        assert_eq!(f.signature, Signature::Valid);
        assert!(f.issuer_matches);
        assert_eq!(f.revoked, None);
        assert_eq!(f.encoding, Encoding::Der);
        assert!(f.next_update.unwrap().0 > now.unix_timestamp());

        let listed = ca
            .crl(&CrlSpec::fresh(now, std::slice::from_ref(&serial)))
            .unwrap();
        let f = check(&listed, issuer, &serial).unwrap();
        let r = f.revoked.unwrap();
        assert_eq!(r.reason.as_deref(), Some("keyCompromise"));
        assert!(r.date.0 <= now.unix_timestamp());

        let pem = ca.crl_pem(&CrlSpec::fresh(now, &[])).unwrap();
        assert_eq!(
            check(pem.as_bytes(), issuer, &serial).unwrap().encoding,
            Encoding::Pem
        );
    }

    #[test]
    fn another_cas_crl_fails_the_signature_and_the_issuer_and_junk_is_no_crl() {
        let now = OffsetDateTime::now_utc();
        let ca = Ca::root("Test Root", now).unwrap();
        let other = Ca::root("Other Root", now).unwrap();
        let leaf = ca
            .leaf(&LeafSpec::valid_for("mx.example.test", now, 90))
            .unwrap();
        let x = cert(&leaf.chain[0]);
        let key = key_of(&ca);
        let subject = x.issuer().as_raw().to_vec();
        let issuer = IssuerKey {
            subject: &subject,
            spki: Some(&key),
        };
        let foreign = other.crl(&CrlSpec::fresh(now, &[])).unwrap();
        let f = check(&foreign, issuer, x.raw_serial()).unwrap();
        assert!(matches!(f.signature, Signature::Invalid(_)), "{f:?}");
        assert!(!f.issuer_matches);
        let no_key = IssuerKey {
            subject: &subject,
            spki: None,
        };
        let f = check(&foreign, no_key, x.raw_serial()).unwrap();
        assert_eq!(f.signature, Signature::IssuerKeyNotAtHand);
        let e = check(
            b"<html><body>Not Found</body></html>",
            issuer,
            x.raw_serial(),
        );
        assert_eq!(e.unwrap_err(), "the response is an HTML page, not a CRL");
        assert!(check(b"", issuer, x.raw_serial()).is_err());
    }

    #[test]
    fn a_stale_crl_keeps_its_dates_for_the_rules() {
        let now = OffsetDateTime::now_utc();
        let ca = Ca::root("Test Root", now).unwrap();
        let leaf = ca
            .leaf(&LeafSpec::valid_for("mx.example.test", now, 90))
            .unwrap();
        let x = cert(&leaf.chain[0]);
        let key = key_of(&ca);
        let subject = x.issuer().as_raw().to_vec();
        let issuer = IssuerKey {
            subject: &subject,
            spki: Some(&key),
        };
        let stale = ca.crl(&CrlSpec::stale(now)).unwrap();
        let f = check(&stale, issuer, x.raw_serial()).unwrap();
        assert!(f.next_update.unwrap().0 < now.unix_timestamp());
        assert_eq!(f.signature, Signature::Valid);
    }

    #[test]
    fn base64_reads_what_pem_holds() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGk=").unwrap(), b"hi");
        assert_eq!(base64_decode("a$"), None);
    }
}
