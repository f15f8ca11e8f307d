//! The chain judged apart from time: does a path lead from the leaf to a trusted root when
//! no certificate's dates are looked at?
//!
//! webpki checks every certificate of a path at one instant and has no switch to ignore
//! dates. When an expired leaf was issued under a CA certificate that has since been renewed
//! (same name, same key, a later notBefore), no single instant lies inside every validity,
//! yet the chain is sound: only the leaf's date is wrong. "Expired" and "untrusted" are
//! different findings with different fixes, so the path is built here without dates.
//!
//! It mirrors webpki's path building (rustls-webpki `verify_cert.rs`) minus the dates: the
//! issuer's subject must equal the child's issuer byte for byte; trusted roots are tried
//! before the certificates sent; a certificate may not appear twice (RFC 4158 §5.2); every
//! issuer must be a CA (basicConstraints cA=TRUE, RFC 5280 §4.2.1.9) within its
//! pathLenConstraint and the leaf must not be one; an extendedKeyUsage, where present, must
//! allow serverAuth (RFC 5280 §4.2.1.12); at most six intermediates; each signature is checked
//! with the same signature algorithms rustls accepts, matched by algorithm identifier as webpki
//! does (so SHA-1 stays refused); and each certificate sent must be one webpki can parse.
//! The authority and subject key identifiers (RFC 5280 §4.2.1.1-2) only order the candidates
//! and explain a same-name certificate with another key: like webpki, the signature decides.
//! Name constraints are not evaluated.

use rustls::pki_types::{CertificateDer, SignatureVerificationAlgorithm, TrustAnchor};
use x509_parser::prelude::*;

use super::TrustFailure;

/// Why no path was found, ranked like webpki's `Error::rank` so the most telling reason among
/// the candidates tried is the one reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Refusal {
    /// The kind, as the rules know it.
    pub kind: TrustFailure,
    /// In plain words, naming the certificates (`#1 CN=...`).
    pub reason: String,
    rank: u32,
}

impl Refusal {
    fn unknown_issuer() -> Self {
        Refusal {
            kind: TrustFailure::UnknownIssuer,
            reason: "the chain does not lead to a trusted root CA".into(),
            rank: 0,
        }
    }

    fn other(rank: u32, reason: String) -> Self {
        Refusal {
            kind: TrustFailure::Other,
            reason,
            rank,
        }
    }

    fn most_specific(self, new: Refusal) -> Refusal {
        if self.rank >= new.rank { self } else { new }
    }
}

/// webpki's limit on intermediates in a path.
const MAX_INTERMEDIATES: usize = 6;
/// webpki's default budget of signature checks for one verification.
const MAX_SIGNATURES: u32 = 100;

/// One certificate of the chain sent, with the parts path building compares.
struct Node<'a> {
    /// Where it is in the chain sent.
    index: usize,
    /// `#1 CN=Issuing CA, O=Contoso` for reasons.
    label: String,
    /// The contents of its subject and issuer Names (what webpki compares).
    subject: &'a [u8],
    issuer: &'a [u8],
    /// The contents of its SubjectPublicKeyInfo (what a verifier takes as the issuer's key).
    spki: &'a [u8],
    /// What its issuer signed: the whole tbsCertificate, its signature algorithm's contents,
    /// and the signature bits.
    tbs: &'a [u8],
    signature_alg: &'a [u8],
    signature: &'a [u8],
    /// basicConstraints: cA and pathLenConstraint (absent: not a CA).
    ca: bool,
    path_len: Option<u32>,
    /// No extendedKeyUsage, or one that lists serverAuth.
    server_auth: bool,
    /// webpki can parse it (version 3, no unknown critical extension, valid DER).
    parse_error: Option<String>,
    /// Its subject and authority key identifiers.
    ski: Option<&'a [u8]>,
    aki: Option<&'a [u8]>,
    /// Valid at the time of the check: a current certificate is preferred on the path.
    current: bool,
}

/// Builds a path from `chain[0]` to one of `anchors` through the rest of `chain`, ignoring
/// dates. Returns the indices into `chain` of the certificates on it, leaf first (the trusted
/// root itself is not among them). `now` (Unix seconds) only orders the candidates: a path of
/// current certificates is preferred over one through an expired copy.
pub(super) fn build(
    chain: &[Vec<u8>],
    anchors: &[TrustAnchor<'_>],
    algs: &[&dyn SignatureVerificationAlgorithm],
    now: i64,
) -> Result<Vec<usize>, Refusal> {
    let mut nodes = Vec::with_capacity(chain.len());
    for (i, der) in chain.iter().enumerate() {
        match Node::parse(i, der, now) {
            Some(n) => nodes.push(n),
            // A certificate above the leaf that cannot be parsed is no candidate (webpki skips
            // it the same way); a leaf that cannot be parsed has no path at all.
            None if i == 0 => {
                return Err(Refusal::other(
                    40,
                    "the server's certificate cannot be parsed".into(),
                ));
            }
            None => {}
        }
    }
    let search = Search {
        nodes: &nodes,
        anchors,
        algs,
        signatures: std::cell::Cell::new(0),
    };
    let mut path = vec![0];
    search.extend(&mut path)?;
    Ok(path.into_iter().map(|n| nodes[n].index).collect())
}

impl<'a> Node<'a> {
    fn parse(index: usize, der: &'a [u8], now: i64) -> Option<Self> {
        let (_, x) = parse_x509_certificate(der).ok()?;
        let (tbs, signature_alg, signature) = signed_parts(der)?;
        let basic = x.basic_constraints().ok().flatten().map(|b| b.value);
        let server_auth = match x.extended_key_usage() {
            Ok(None) => true,
            Ok(Some(eku)) => eku.value.server_auth,
            Err(_) => false,
        };
        let aki = x
            .get_extension_unique(&x509_parser::oid_registry::OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER)
            .ok()
            .flatten()
            .and_then(|e| match e.parsed_extension() {
                ParsedExtension::AuthorityKeyIdentifier(a) => a.key_identifier.as_ref(),
                _ => None,
            })
            .map(|k| k.0);
        let ski = x
            .get_extension_unique(&x509_parser::oid_registry::OID_X509_EXT_SUBJECT_KEY_IDENTIFIER)
            .ok()
            .flatten()
            .and_then(|e| match e.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0),
                _ => None,
            });
        let validity = x.validity();
        let current =
            validity.not_before.timestamp() <= now && now <= validity.not_after.timestamp();
        let parse_error = rustls::server::ParsedCertificate::try_from(&CertificateDer::from(der))
            .err()
            .map(|e| super::describe_cert_error(&e));
        Some(Node {
            index,
            label: format!("#{index} {}", crate::cert::dn_string(x.subject(), false)),
            subject: contents(x.tbs_certificate.subject.as_raw())?,
            issuer: contents(x.tbs_certificate.issuer.as_raw())?,
            spki: contents(x.tbs_certificate.subject_pki.raw)?,
            tbs,
            signature_alg,
            signature,
            ca: basic.is_some_and(|b| b.ca),
            path_len: basic.and_then(|b| b.path_len_constraint),
            server_auth,
            parse_error,
            ski,
            aki,
            current,
        })
    }
}

struct Search<'s, 'a> {
    nodes: &'s [Node<'a>],
    anchors: &'s [TrustAnchor<'s>],
    algs: &'s [&'s dyn SignatureVerificationAlgorithm],
    signatures: std::cell::Cell<u32>,
}

impl Search<'_, '_> {
    /// Extends `path` (positions in `nodes`, leaf first) until it reaches a trusted root.
    fn extend(&self, path: &mut Vec<usize>) -> Result<(), Refusal> {
        let head = &self.nodes[*path.last().unwrap_or(&0)];
        self.check_role(head, path.len() - 1)?;
        let mut best = Refusal::unknown_issuer();
        for anchor in self.anchors {
            if anchor.subject.as_ref() != head.issuer {
                continue;
            }
            match self.verify(
                head,
                anchor.subject_public_key_info.as_ref(),
                "the trusted root",
            ) {
                Ok(()) => return Ok(()),
                Err(e) => best = best.most_specific(e),
            }
        }
        if path.len() > MAX_INTERMEDIATES {
            return Err(best.most_specific(Refusal::other(
                61,
                format!("the chain has more than {MAX_INTERMEDIATES} intermediates"),
            )));
        }
        for n in self.candidates(head) {
            let issuer = &self.nodes[n];
            let repeated = path.iter().any(|&p| {
                let prev = &self.nodes[p];
                prev.spki == issuer.spki && prev.subject == issuer.subject
            });
            if repeated {
                continue;
            }
            if let Some(e) = &issuer.parse_error {
                best = best.most_specific(Refusal::other(130, format!("{}: {e}", issuer.label)));
                continue;
            }
            if let Err(e) = self.verify(head, issuer.spki, &issuer.label) {
                best = best.most_specific(self.explain_key(head, issuer, e));
                continue;
            }
            path.push(n);
            match self.extend(path) {
                Ok(()) => return Ok(()),
                Err(e) => {
                    best = best.most_specific(e);
                    path.pop();
                }
            }
        }
        Err(best)
    }

    /// The certificates sent under `head`'s issuer name: those whose key identifier matches
    /// first, then the current ones, then in the order sent.
    fn candidates(&self, head: &Node<'_>) -> Vec<usize> {
        let mut found: Vec<usize> = (1..self.nodes.len())
            .filter(|&n| self.nodes[n].subject == head.issuer)
            .collect();
        found.sort_by_key(|&n| {
            let c = &self.nodes[n];
            let other_key = matches!((head.aki, c.ski), (Some(a), Some(s)) if a != s);
            (other_key, !c.current)
        });
        found
    }

    /// webpki's checks of a certificate by its place on the path: `depth` 0 is the leaf,
    /// depth 1 the first intermediate (no CA below it), and so on.
    fn check_role(&self, n: &Node<'_>, depth: usize) -> Result<(), Refusal> {
        if depth == 0 && n.ca {
            return Err(Refusal::other(
                210,
                "the server's certificate is a CA certificate (basicConstraints CA:TRUE), which clients refuse as a server certificate".into(),
            ));
        }
        if depth > 0 && !n.ca {
            return Err(Refusal::other(
                210,
                format!(
                    "{} is not a CA certificate (no basicConstraints CA:TRUE), so it cannot issue the certificate below it",
                    n.label
                ),
            ));
        }
        if let Some(len) = n.path_len
            && depth > 0
            && depth - 1 > len as usize
        {
            return Err(Refusal::other(
                220,
                format!(
                    "{} allows {len} CA certificates below it (pathLenConstraint), the chain has {}",
                    n.label,
                    depth - 1
                ),
            ));
        }
        if !n.server_auth {
            return Err(Refusal::other(
                240,
                format!(
                    "{} is not allowed for TLS servers (its extended key usage lacks serverAuth)",
                    n.label
                ),
            ));
        }
        Ok(())
    }

    /// Checks that `child` was signed with the key in `spki` (SubjectPublicKeyInfo contents),
    /// exactly as webpki's `verify_signed_data` does.
    fn verify(&self, child: &Node<'_>, spki: &[u8], signer: &str) -> Result<(), Refusal> {
        let used = self.signatures.get() + 1;
        self.signatures.set(used);
        if used > MAX_SIGNATURES {
            return Err(Refusal::other(
                61,
                "the chain offers too many candidate issuers to check".into(),
            ));
        }
        let Some((key_alg, key)) = split_spki(spki) else {
            return Err(Refusal::other(40, format!("{signer} has a malformed key")));
        };
        let mut supported = false;
        for alg in self
            .algs
            .iter()
            .filter(|a| a.signature_alg_id().as_ref() == child.signature_alg)
        {
            supported = true;
            if alg.public_key_alg_id().as_ref() != key_alg {
                continue;
            }
            return alg
                .verify_signature(key, child.tbs, child.signature)
                .map_err(|_| Refusal {
                    kind: TrustFailure::BadSignature,
                    reason: format!(
                        "a signature in the chain does not verify: {} is not signed by the key of {signer}",
                        child.label
                    ),
                    rank: 260,
                });
        }
        let reason = if supported {
            format!(
                "the key of {signer} does not fit the signature algorithm of {}",
                child.label
            )
        } else {
            format!(
                "{} is signed with an algorithm that is no longer accepted (e.g. SHA-1)",
                child.label
            )
        };
        Err(Refusal::other(if supported { 150 } else { 140 }, reason))
    }

    /// A signature that fails under a certificate bearing the issuer's name: when the key
    /// identifiers differ too, the certificate sent is the CA's under another key.
    fn explain_key(&self, child: &Node<'_>, issuer: &Node<'_>, e: Refusal) -> Refusal {
        match (e.kind, child.aki, issuer.ski) {
            (TrustFailure::BadSignature, Some(a), Some(s)) if a != s => Refusal {
                reason: format!(
                    "{} bears the name of the issuer of {} but another key (key identifier {} instead of {}): it was signed by a different key of that CA; send the CA certificate with the key that signed it",
                    issuer.label,
                    child.label,
                    hex(s),
                    hex(a)
                ),
                ..e
            },
            _ => e,
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// One DER TLV at the start of `input` (a one-byte tag, as every field read here has):
/// (contents, whole TLV, rest). Definite lengths only, as DER requires.
fn tlv(input: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let (&first_len, long_len) = input.get(1..)?.split_first()?;
    let (len, header) = if first_len < 0x80 {
        (usize::from(first_len), 2)
    } else {
        let n = usize::from(first_len & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let len = long_len
            .get(..n)?
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    let whole = input.get(..end)?;
    Some((&whole[header..], whole, &input[end..]))
}

/// The contents of a DER TLV (a Name without its SEQUENCE header, as webpki compares them).
fn contents(der: &[u8]) -> Option<&[u8]> {
    tlv(der).map(|(c, _, _)| c)
}

/// A certificate's tbsCertificate (whole), signatureAlgorithm (contents) and signature bits.
fn signed_parts(der: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let (cert, _, _) = tlv(der)?;
    let (_, tbs, rest) = tlv(cert)?;
    let (alg, _, rest) = tlv(rest)?;
    let (bits, _, _) = tlv(rest)?;
    // A signature is a whole number of bytes: no unused bits.
    let (&unused, signature) = bits.split_first()?;
    (unused == 0).then_some((tbs, alg, signature))
}

/// A SubjectPublicKeyInfo's contents split into its algorithm (contents) and key bits.
fn split_spki(spki: &[u8]) -> Option<(&[u8], &[u8])> {
    let (alg, _, rest) = tlv(spki)?;
    let (bits, _, _) = tlv(rest)?;
    let (&unused, key) = bits.split_first()?;
    (unused == 0).then_some((alg, key))
}
