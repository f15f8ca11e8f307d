//! Pure certificate analysis: what a certificate says and which names it covers.
//!
//! Nothing here does I/O or reads the clock: `now` is a parameter, so every rule built on it
//! can be tested with a fixed date.
//!
//! # References
//! - RFC 5280 (certificate fields), RFC 6125 §6.4 (name matching, wildcards),
//!   RFC 7672 §3.2.3 (reference identifiers for SMTP servers)

use ::time::OffsetDateTime;
use rustls::pki_types::{CertificateDer, ServerName};
use x509_parser::prelude::*;

use crate::smtp::escape;

/// Why a certificate could not be analysed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the certificate cannot be parsed: {0}")]
pub struct CertError(String);

/// At most this many of a certificate's names are written in a finding: a certificate can
/// carry thousands (a hosting provider's, or a hostile one), and a finding that lists them all
/// buries what it says. The count of the rest is always written (`CertInfo::names_shown`).
pub const MAX_NAMES_SHOWN: usize = 20;

/// At most this many certificates of a chain are listed in a finding's evidence, one line
/// each: a real chain has two to four, and a server that sends fifty (a loop, a hostile
/// server) would push the rest of the evidence out of sight. The rest are counted, never
/// silently dropped; the report's `chain` keeps every certificate.
pub const MAX_CHAIN_SHOWN: usize = 10;

/// Key facts of one certificate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CertInfo {
    /// Subject, most specific attribute first (`CN=mail.contoso.com, O=Contoso, C=US`).
    pub subject: String,
    /// Issuer, in the same form.
    pub issuer: String,
    /// The subject's common name, if any.
    pub common_name: Option<String>,
    /// DNS names in the subjectAltName extension.
    pub dns_names: Vec<String>,
    /// IP addresses in the subjectAltName extension.
    pub ip_addresses: Vec<String>,
    /// Serial number, hex.
    pub serial: String,
    /// Start of validity, RFC 3339 UTC.
    pub not_before: String,
    /// End of validity, RFC 3339 UTC.
    pub not_after: String,
    /// Whole days from `now` to `not_after`, rounded down: 7 days and 12 hours left is 7, an
    /// hour past `not_after` is -1 (negative once expired). A threshold of N days
    /// (`--fail-days`) is crossed exactly when this is less than N.
    pub days_left: i64,
    /// `not_after` is in the past.
    pub expired: bool,
    /// SHA-256 fingerprint of the DER, colon-separated hex.
    pub sha256: String,
    /// SHA-1 of the DER as Windows shows it: the `Thumbprint` of `Get-ExchangeCertificate`.
    pub thumbprint: String,
    /// `RSA`, `EC`, `Ed25519`...
    pub key_type: String,
    /// Key size in bits (0 when unknown).
    pub key_bits: u32,
    /// The named curve of an EC key (`P-256`).
    pub key_curve: Option<String>,
    /// Signature algorithm (`sha256WithRSAEncryption`).
    pub signature_algorithm: String,
    /// Extended key usages, or `None` when the extension is absent (any use allowed).
    pub extended_key_usage: Option<Vec<String>>,
    /// A CA certificate (basicConstraints cA=TRUE).
    pub is_ca: bool,
    /// Subject equals issuer and the certificate's own key verifies its signature.
    pub self_signed: bool,
    /// `<I>issuer<S>subject`, the form Exchange's `-TlsCertificateName` takes.
    pub exchange_tls_name: String,
    #[serde(skip)]
    /// Raw DER of the subject, to match an issuer elsewhere in the chain.
    pub subject_der: Vec<u8>,
    #[serde(skip)]
    /// Raw DER of the issuer.
    pub issuer_der: Vec<u8>,
    #[serde(skip)]
    /// Validity start, for arithmetic.
    pub not_before_at: OffsetDateTime,
    #[serde(skip)]
    /// Validity end, for arithmetic.
    pub not_after_at: OffsetDateTime,
}

impl CertInfo {
    /// Parses a DER certificate, computing `days_left` against `now`.
    pub fn parse(der: &[u8], now: OffsetDateTime) -> Result<Self, CertError> {
        let (_, x) = parse_x509_certificate(der).map_err(|e| CertError(e.to_string()))?;
        let mut dns_names = Vec::new();
        let mut ip_addresses = Vec::new();
        if let Ok(Some(san)) = x.subject_alternative_name() {
            for name in &san.value.general_names {
                match name {
                    GeneralName::DNSName(d) => dns_names.push(escape(d.as_bytes())),
                    GeneralName::IPAddress(b) => ip_addresses.push(ip_string(b)),
                    _ => {}
                }
            }
        }
        let extended_key_usage = match x.extended_key_usage() {
            Ok(Some(eku)) => Some(eku_names(eku.value)),
            _ => None,
        };
        let (key_type, key_bits, key_curve) = key_facts(&x);
        let not_before_at = x.validity().not_before.to_datetime();
        let not_after_at = x.validity().not_after.to_datetime();
        let self_signed =
            x.subject().as_raw() == x.issuer().as_raw() && x.verify_signature(None).is_ok();
        let subject = dn_string(x.subject(), false);
        let issuer = dn_string(x.issuer(), false);
        Ok(CertInfo {
            common_name: x
                .subject()
                .iter_common_name()
                .next()
                .map(|cn| escape(cn.as_str().map_or(cn.as_slice(), str::as_bytes))),
            exchange_tls_name: format!(
                "<I>{}<S>{}",
                dn_string(x.issuer(), true),
                dn_string(x.subject(), true)
            ),
            subject,
            issuer,
            dns_names,
            ip_addresses,
            serial: x
                .raw_serial_as_string()
                .replace(':', "")
                .to_ascii_uppercase(),
            not_before: rfc3339(not_before_at),
            not_after: rfc3339(not_after_at),
            days_left: days_between(now, not_after_at),
            expired: not_after_at < now,
            sha256: hex(
                ring::digest::digest(&ring::digest::SHA256, der).as_ref(),
                ":",
            ),
            thumbprint: hex(
                ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der).as_ref(),
                "",
            ),
            key_type,
            key_bits,
            key_curve,
            signature_algorithm: oid_name(&x.signature_algorithm.algorithm),
            extended_key_usage,
            is_ca: x.is_ca(),
            self_signed,
            subject_der: x.subject().as_raw().to_vec(),
            issuer_der: x.issuer().as_raw().to_vec(),
            not_before_at,
            not_after_at,
        })
    }

    /// The certificate may be used by a TLS server: no EKU extension, or one that lists
    /// serverAuth (RFC 5280 §4.2.1.12).
    pub fn allows_server_auth(&self) -> bool {
        self.extended_key_usage
            .as_ref()
            .is_none_or(|e| e.iter().any(|u| u == "serverAuth"))
    }

    /// The certificate may be used by a TLS client: no EKU extension, or one that lists
    /// clientAuth or anyExtendedKeyUsage (RFC 5280 §4.2.1.12). One test for the certificate
    /// we present (`--client-cert`) and the ones senders present (`listen`).
    pub fn allows_client_auth(&self) -> bool {
        self.extended_key_usage.as_ref().is_none_or(|e| {
            e.iter()
                .any(|u| u == "clientAuth" || u == "anyExtendedKeyUsage")
        })
    }

    /// The signature uses SHA-1 or MD5.
    pub fn weak_signature(&self) -> bool {
        let s = self.signature_algorithm.to_ascii_lowercase();
        s.contains("sha1") || s.contains("md5") || s.contains("md2")
    }

    /// The key is below today's floor: RSA under 2048 bits, EC under 256.
    pub fn weak_key(&self) -> bool {
        match self.key_type.as_str() {
            "RSA" | "DSA" => self.key_bits > 0 && self.key_bits < 2048,
            "EC" => self.key_bits > 0 && self.key_bits < 256,
            _ => false,
        }
    }

    /// The names for a message, joined with `, `: at most [`MAX_NAMES_SHOWN`], then how many
    /// more there are, so a cut list is never mistaken for the whole.
    pub fn names_shown(&self) -> String {
        let all = self.names();
        if all.len() <= MAX_NAMES_SHOWN {
            return all.join(", ");
        }
        format!(
            "{} and {} more ({} names in all)",
            all[..MAX_NAMES_SHOWN].join(", "),
            all.len() - MAX_NAMES_SHOWN,
            all.len()
        )
    }

    /// Every name on the certificate, for messages: SANs, else the CN.
    pub fn names(&self) -> Vec<String> {
        let mut n: Vec<String> = self
            .dns_names
            .iter()
            .chain(&self.ip_addresses)
            .cloned()
            .collect();
        if n.is_empty() {
            n.extend(self.common_name.clone());
        }
        n
    }
}

/// How a certificate relates to a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NameMatch {
    /// A subjectAltName covers it (RFC 6125 wildcards allowed).
    Covered,
    /// Only the subject CN matches and there is no usable SAN: legacy, refused by modern
    /// verifiers (RFC 6125 §6.4.4).
    CommonNameOnly,
    /// Not covered.
    NotCovered,
}

/// Whether the certificate covers `name` (a DNS name or an IP address).
pub fn name_match(der: &[u8], info: &CertInfo, name: &str) -> NameMatch {
    let name = name.trim_end_matches('.');
    let Ok(server_name) = ServerName::try_from(name.to_string()) else {
        return NameMatch::NotCovered;
    };
    let der = CertificateDer::from(der);
    let covered = rustls::server::ParsedCertificate::try_from(&der)
        .is_ok_and(|p| rustls::client::verify_server_name(&p, &server_name).is_ok());
    if covered {
        NameMatch::Covered
    } else if info.dns_names.is_empty()
        && info
            .common_name
            .as_deref()
            .is_some_and(|cn| wildcard_match(cn, name))
    {
        NameMatch::CommonNameOnly
    } else {
        NameMatch::NotCovered
    }
}

/// RFC 6125 §6.4.3 matching: case-insensitive; a `*` may only be the whole left-most label
/// and matches exactly one label.
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(rest) => name
            .split_once('.')
            .is_some_and(|(first, tail)| !first.is_empty() && tail == rest && rest.contains('.')),
        None => pattern == name,
    }
}

/// Whole days from `now` until `then`, rounded down (toward the past): a certificate that
/// expires in 23 hours has 0 days left, one that expired an hour ago -1, one that expired 3
/// days and a minute ago -4. So `days < N` holds exactly when less than N days are left,
/// the test `--fail-days N` and a `N:` perfdata range make. Whether it has expired is decided
/// on the timestamps, not on this.
pub fn days_between(now: OffsetDateTime, then: OffsetDateTime) -> i64 {
    const DAY_NS: i128 = 86_400 * 1_000_000_000;
    i64::try_from((then - now).whole_nanoseconds().div_euclid(DAY_NS)).unwrap_or(i64::MIN)
}

/// RFC 3339 UTC with whole seconds.
pub fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.to_offset(::time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `2026-11-19` for messages.
pub fn date(t: OffsetDateTime) -> String {
    rfc3339(t)[..10].to_string()
}

/// Upper-case hex, `sep` between the bytes (`certificate.sha256`, the thumbprint).
pub(crate) fn hex(bytes: &[u8], sep: &str) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(sep)
}

fn ip_string(b: &[u8]) -> String {
    match b.len() {
        4 => std::net::Ipv4Addr::from(<[u8; 4]>::try_from(b).unwrap_or_default()).to_string(),
        16 => std::net::Ipv6Addr::from(<[u8; 16]>::try_from(b).unwrap_or_default()).to_string(),
        _ => hex(b, ""),
    }
}

fn oid_name(oid: &x509_parser::der_parser::oid::Oid<'_>) -> String {
    x509_parser::objects::oid2sn(oid, x509_parser::objects::oid_registry())
        .map_or_else(|_| oid.to_id_string(), ToString::to_string)
}

fn eku_names(e: &ExtendedKeyUsage<'_>) -> Vec<String> {
    let mut v = Vec::new();
    for (on, name) in [
        (e.server_auth, "serverAuth"),
        (e.client_auth, "clientAuth"),
        (e.email_protection, "emailProtection"),
        (e.code_signing, "codeSigning"),
        (e.time_stamping, "timeStamping"),
        (e.ocsp_signing, "OCSPSigning"),
        (e.any, "anyExtendedKeyUsage"),
    ] {
        if on {
            v.push(name.to_string());
        }
    }
    v.extend(e.other.iter().map(oid_name));
    v
}

fn key_facts(x: &X509Certificate<'_>) -> (String, u32, Option<String>) {
    let spki = x.public_key();
    let alg = oid_name(&spki.algorithm.algorithm);
    match spki.parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => {
            // Count the modulus bits ourselves: x509-parser's key_size() is 0 when the DER
            // integer lacks its leading zero (rust-notes).
            let m = rsa.modulus;
            let start = m.iter().position(|&b| b != 0).unwrap_or(m.len());
            let m = &m[start..];
            let bits = m
                .first()
                .map_or(0, |&f| (m.len() as u32 - 1) * 8 + (8 - f.leading_zeros()));
            ("RSA".into(), bits, None)
        }
        Ok(x509_parser::public_key::PublicKey::EC(point)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|oid| match oid.to_id_string().as_str() {
                    "1.2.840.10045.3.1.7" => "P-256".to_string(),
                    "1.3.132.0.34" => "P-384".to_string(),
                    "1.3.132.0.35" => "P-521".to_string(),
                    _ => oid_name(&oid),
                });
            (
                "EC".into(),
                u32::try_from(point.key_size()).unwrap_or(0),
                curve,
            )
        }
        Ok(x509_parser::public_key::PublicKey::DSA(y)) => {
            ("DSA".into(), (y.len() * 8) as u32, None)
        }
        _ if alg.eq_ignore_ascii_case("ed25519") || alg == "1.3.101.112" => {
            ("Ed25519".into(), 256, None)
        }
        _ if alg.eq_ignore_ascii_case("ed448") || alg == "1.3.101.113" => {
            ("Ed448".into(), 456, None)
        }
        _ => (alg, 0, None),
    }
}

/// A distinguished name, most specific attribute first, values escaped. `windows` uses the
/// attribute keys of .NET's `X500DistinguishedName` (`S=` for the state), which is what
/// Exchange compares in `-TlsCertificateName`.
pub(crate) fn dn_string(name: &X509Name<'_>, windows: bool) -> String {
    let mut parts = Vec::new();
    for rdn in name.iter_rdn().collect::<Vec<_>>().into_iter().rev() {
        for attr in rdn.iter() {
            let key = match attr.attr_type().to_id_string().as_str() {
                "2.5.4.3" => "CN".to_string(),
                "2.5.4.6" => "C".to_string(),
                "2.5.4.7" => "L".to_string(),
                "2.5.4.8" => if windows { "S" } else { "ST" }.to_string(),
                "2.5.4.10" => "O".to_string(),
                "2.5.4.11" => "OU".to_string(),
                "2.5.4.5" => "SERIALNUMBER".to_string(),
                "1.2.840.113549.1.9.1" => "E".to_string(),
                "0.9.2342.19200300.100.1.25" => "DC".to_string(),
                _ => oid_name(attr.attr_type()),
            };
            let raw = attr.as_str().map_or(attr.as_slice(), str::as_bytes);
            let mut value = escape(raw);
            if value.contains([',', '+', '=', '"', ';', '<', '>']) {
                value = format!("\"{}\"", value.replace('"', "\"\""));
            }
            parts.push(format!("{key}={value}"));
        }
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_follow_rfc_6125() {
        assert!(wildcard_match("*.contoso.com", "mail.contoso.com"));
        assert!(wildcard_match("*.Contoso.com.", "MAIL.contoso.com"));
        assert!(!wildcard_match("*.contoso.com", "contoso.com"));
        assert!(!wildcard_match("*.contoso.com", "a.b.contoso.com"));
        assert!(!wildcard_match("*.com", "contoso.com"));
        assert!(!wildcard_match("m*.contoso.com", "mail.contoso.com"));
        assert!(wildcard_match("mail.contoso.com", "mail.contoso.com."));
    }

    /// clientAuth, anyExtendedKeyUsage or no EKU at all allow a client; serverAuth alone does
    /// not (RFC 5280 §4.2.1.12). The listener had tested for "any", a name CertInfo never
    /// writes, and so warned about certificates that allow every use.
    #[test]
    fn client_auth_is_allowed_by_client_auth_any_or_no_eku() {
        let now = OffsetDateTime::now_utc();
        let ca = crate::scripted::pki::Ca::root("EKU Test Root", now).unwrap();
        let mut spec = crate::scripted::LeafSpec::valid_for("mail.contoso.test", now, 30);
        spec.client_auth_only = true;
        let leaf = ca.leaf(&spec).unwrap();
        let mut info = CertInfo::parse(&leaf.chain[0], now).unwrap();
        assert!(info.allows_client_auth(), "{:?}", info.extended_key_usage);
        for (eku, allowed) in [
            (Some(vec!["serverAuth"]), false),
            (Some(vec!["serverAuth", "anyExtendedKeyUsage"]), true),
            (Some(vec!["clientAuth"]), true),
            (None, true),
        ] {
            info.extended_key_usage = eku.map(|e| e.into_iter().map(String::from).collect());
            assert_eq!(
                info.allows_client_auth(),
                allowed,
                "{:?}",
                info.extended_key_usage
            );
        }
    }

    #[test]
    fn days_are_rounded_down() {
        use ::time::macros::datetime;
        let now = datetime!(2026-11-22 12:00 UTC);
        // Expired an hour ago: -1, never 0 ("negative once expired").
        assert_eq!(days_between(now, datetime!(2026-11-22 11:00 UTC)), -1);
        assert_eq!(days_between(now, datetime!(2026-11-22 11:59:59.5 UTC)), -1);
        assert_eq!(days_between(now, datetime!(2026-11-22 12:00 UTC)), 0);
        assert_eq!(days_between(now, datetime!(2026-11-19 12:00 UTC)), -3);
        assert_eq!(days_between(now, datetime!(2026-11-19 11:59 UTC)), -4);
        assert_eq!(days_between(now, datetime!(2026-11-23 11:59 UTC)), 0);
        // 7 days and 12 hours: 7.
        assert_eq!(days_between(now, datetime!(2026-11-30 00:00 UTC)), 7);
        assert_eq!(days_between(now, datetime!(2026-12-22 12:00 UTC)), 30);
        assert_eq!(rfc3339(now), "2026-11-22T12:00:00Z");
    }
}
