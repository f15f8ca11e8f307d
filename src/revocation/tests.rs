//! The revocation phase on hand-made fetches: no network, a fixed `now`.
#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::UnixTime;
use time::OffsetDateTime;
use time::macros::datetime;

use super::*;
use crate::fetch::{Fetch, FetchError, HttpResponse};
use crate::scripted::pki::{Ca, CrlSpec, LeafSpec};

pub(crate) const NOW: OffsetDateTime = datetime!(2026-11-22 12:00 UTC);
pub(crate) const CRL: &str = "http://crl.pki.test/issuing.crl";
pub(crate) const AIA: &str = "http://aia.pki.test/issuing.der";

pub(crate) fn unix(t: OffsetDateTime) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(t.unix_timestamp() as u64))
}

/// A response to `url`.
pub(crate) fn answered(url: &str, status: u16, body: &[u8]) -> Arc<Fetch> {
    Arc::new(Fetch {
        url: url.into(),
        redirects: Vec::new(),
        address: None,
        elapsed: Duration::from_millis(4),
        tls: None,
        outcome: Ok(HttpResponse {
            status,
            reason: if status == 200 { "OK" } else { "Not Found" }.into(),
            headers: vec![("content-type".into(), "application/pkix-crl".into())],
            body: body.to_vec(),
        }),
    })
}

/// No answer from `url`.
pub(crate) fn silent(url: &str) -> Arc<Fetch> {
    Arc::new(Fetch {
        url: url.into(),
        redirects: Vec::new(),
        address: None,
        elapsed: Duration::from_secs(2),
        tls: None,
        outcome: Err(FetchError::Timeout(
            crate::fetch::Stage::Response,
            "connected to 192.0.2.1:80, request sent, no answer within 2 s".into(),
        )),
    })
}

/// A root, an intermediate that issues leaves with CRL and CA Issuers URLs, and a store
/// trusting the root.
pub(crate) struct Pki {
    pub root: Ca,
    pub issuing: Ca,
    pub store: TrustStore,
    /// The URLs whose fetch the run's deadline ended.
    pub cut: HashSet<String>,
}

pub(crate) fn pki() -> Pki {
    let root = Ca::root("Rev Root", NOW).unwrap();
    let issuing = root.intermediate("Rev Issuing CA", NOW).unwrap();
    let store = TrustStore::from_certs([root.der()], None);
    Pki {
        root,
        issuing,
        store,
        cut: HashSet::new(),
    }
}

impl Pki {
    /// A leaf naming `crl_urls` and the AIA URL, and the chain: with the intermediate or not.
    pub fn chain(&self, crl_urls: &[&str], with_intermediate: bool) -> Vec<Vec<u8>> {
        let mut spec = LeafSpec::valid_for("mx.example.test", NOW, 90);
        spec.crl_urls = crl_urls.iter().map(|u| u.to_string()).collect();
        spec.ca_issuers = vec![AIA.into()];
        let leaf = self.issuing.leaf(&spec).unwrap();
        let mut c = vec![leaf.chain[0].to_vec()];
        if with_intermediate {
            c.push(self.issuing.der().to_vec());
        }
        c
    }

    /// The observation for `chain` given `fetched`.
    pub fn observe(
        &self,
        chain: &[Vec<u8>],
        fetched: &[(&str, Arc<Fetch>)],
    ) -> RevocationObservation {
        let trust = self.store.check(chain, unix(NOW));
        let map: HashMap<String, Arc<Fetch>> = fetched
            .iter()
            .map(|(u, f)| (u.to_string(), f.clone()))
            .collect();
        observe(
            chain,
            Some(&trust),
            &[],
            &self.store,
            &map,
            &self.cut,
            unix(NOW),
        )
    }
}

pub(crate) fn serial(der: &[u8]) -> Vec<u8> {
    x509_parser::parse_x509_certificate(der)
        .unwrap()
        .1
        .raw_serial()
        .to_vec()
}

#[test]
fn a_trusted_chain_wants_its_http_crl_and_no_aia() {
    let p = pki();
    let chain = p.chain(&[CRL, "ldap:///CN=Rev,CN=CDP"], true);
    let trust = p.store.check(&chain, unix(NOW));
    assert!(trust.trusted);
    assert_eq!(
        wanted(&chain, Some(&trust)),
        vec![(CRL.to_string(), CRL_CAP)]
    );
}

#[test]
fn an_incomplete_chain_wants_its_ca_issuers_certificate() {
    let p = pki();
    let chain = p.chain(&[], false);
    let trust = p.store.check(&chain, unix(NOW));
    assert!(chain_incomplete(&chain, &trust));
    assert_eq!(
        wanted(&chain, Some(&trust)),
        vec![(AIA.to_string(), ISSUER_CAP)]
    );
}

#[test]
fn a_good_crl_is_checked_against_the_next_certificate_and_webpki_agrees() {
    let p = pki();
    let chain = p.chain(&[CRL], true);
    let crl = p.issuing.crl(&CrlSpec::fresh(NOW, &[])).unwrap();
    let r = p.observe(&chain, &[(CRL, answered(CRL, 200, &crl))]);
    // The leaf only: the intermediate names no CDP, the root is not checked.
    assert_eq!(r.certificates.len(), 2, "{r:#?}");
    let leaf = &r.certificates[0];
    let facts = leaf.crls[0].crl.as_ref().unwrap();
    assert_eq!(facts.signature, crl::Signature::Valid);
    assert_eq!(facts.revoked, None);
    assert_eq!(r.webpki.as_deref(), Some("good"));
    assert_eq!(leaf.crls[0].fetch.as_ref().unwrap().status, Some(200));
}

#[test]
fn a_revoked_leaf_is_found_by_both_checks() {
    let p = pki();
    let chain = p.chain(&[CRL], true);
    let crl = p
        .issuing
        .crl(&CrlSpec::fresh(NOW, &[serial(&chain[0])]))
        .unwrap();
    let r = p.observe(&chain, &[(CRL, answered(CRL, 200, &crl))]);
    let facts = r.certificates[0].crls[0].crl.as_ref().unwrap();
    assert!(facts.revoked.is_some());
    assert_eq!(r.webpki.as_deref(), Some("revoked"));
}

#[test]
fn the_top_intermediates_crl_is_checked_with_the_roots_key() {
    let p = pki();
    let inter = p
        .root
        .intermediate_with_urls("Rev Issuing CA 2", NOW, &[CRL.into()], &[])
        .unwrap();
    let leaf = inter
        .leaf(&LeafSpec::valid_for("mx.example.test", NOW, 90))
        .unwrap();
    let chain = vec![leaf.chain[0].to_vec(), inter.der().to_vec()];
    let crl = p.root.crl(&CrlSpec::fresh(NOW, &[])).unwrap();
    let r = p.observe(&chain, &[(CRL, answered(CRL, 200, &crl))]);
    let top = r.certificates.iter().find(|c| c.position == 1).unwrap();
    assert_eq!(
        top.crls[0].crl.as_ref().unwrap().signature,
        crl::Signature::Valid
    );
}

#[test]
fn failures_are_recorded_as_data() {
    let p = pki();
    let chain = p.chain(&[CRL], true);
    let r = p.observe(
        &chain,
        &[(CRL, answered(CRL, 404, b"<html>Not Found</html>"))],
    );
    let f = r.certificates[0].crls[0].fetch.clone().unwrap();
    assert_eq!(f.error.as_deref(), Some("HTTP 404 Not Found"));
    let r = p.observe(&chain, &[(CRL, silent(CRL))]);
    let f = r.certificates[0].crls[0].fetch.clone().unwrap();
    assert!(f.error.unwrap().contains("no answer within"));
    let r = p.observe(&chain, &[(CRL, answered(CRL, 200, b"<html>hello</html>"))]);
    assert!(
        r.certificates[0].crls[0]
            .invalid
            .as_ref()
            .unwrap()
            .contains("HTML")
    );
    assert_eq!(r.webpki, None);
}

#[test]
fn the_missing_intermediate_fetched_completes_the_chain() {
    let p = pki();
    let chain = p.chain(&[], false);
    let der = p.issuing.der().to_vec();
    let r = p.observe(&chain, &[(AIA, answered(AIA, 200, &der))]);
    let f = r.issuer_fetch.unwrap();
    assert_eq!(f.completes_chain, Some(true));
    let cert = f.certificate.unwrap();
    assert!(cert.subject.contains("Rev Issuing CA"), "{}", cert.subject);
    assert!(cert.issuer.contains("Rev Root"));
    assert_eq!(cert.sha256.len(), 95);
}

#[test]
fn an_issuer_that_leads_nowhere_trusted_is_said_so() {
    let p = pki();
    let private = Ca::root("Private Root", NOW).unwrap();
    let other = private.intermediate("Rev Issuing CA", NOW).unwrap();
    let chain = p.chain(&[], false);
    let r = p.observe(&chain, &[(AIA, answered(AIA, 200, other.der().as_ref()))]);
    let f = r.issuer_fetch.unwrap();
    assert_eq!(f.completes_chain, Some(false));
    assert!(f.reason.is_some());
    // Not fetched (the fetch failed): no certificate, no verdict.
    let r = p.observe(&chain, &[(AIA, answered(AIA, 404, b""))]);
    let f = r.issuer_fetch.unwrap();
    assert_eq!((f.certificate, f.completes_chain), (None, None));
}

#[test]
fn a_p7c_bundle_yields_its_certificates() {
    use crate::revocation::ocsp::der::{seq, tlv};
    let p = pki();
    let a = p.issuing.der().to_vec();
    let b = p.root.der().to_vec();
    let signed = seq(&[
        tlv(0x02, &[1]),
        tlv(0x31, &[]),
        seq(&[tlv(
            0x06,
            &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01],
        )]),
        tlv(0xa0, &[a.clone(), b.clone()].concat()),
        tlv(0x31, &[]),
    ]);
    let p7c = seq(&[
        tlv(
            0x06,
            &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02],
        ),
        tlv(0xa0, &signed),
    ]);
    assert_eq!(issuer_certificates(&p7c).unwrap(), vec![a.clone(), b]);
    assert_eq!(issuer_certificates(&a).unwrap(), vec![a]);
    assert!(issuer_certificates(b"junk").is_err());
}

#[test]
fn a_stapled_response_is_matched_to_the_leaf() {
    use crate::revocation::ocsp::der::{response, tlv};
    let p = pki();
    let chain = p.chain(&[], true);
    let s = serial(&chain[0]);
    let r = staple(&response(&s, tlv(0x80, &[]), None), &chain[0]).unwrap();
    assert_eq!(r.serial_matches, Some(true));
    assert!(!r.signature_verified);
    let other = staple(&response(&[9], tlv(0x80, &[]), None), &chain[0]).unwrap();
    assert_eq!(other.serial_matches, Some(false));
    assert!(staple(&[], &chain[0]).is_none());
    let junk = staple(b"junk", &chain[0]).unwrap();
    assert!(junk.error.is_some());
}
