//! Tests of the trust verdict apart from time (issue 8): chains whose certificates were not
//! all valid at one instant.
//!
//! The private PKI here has an issuing CA certified twice under the same name and key, as a
//! CA does when it renews its own certificate: leaves issued under the first certificate
//! chain to the second one just as well. Every date is relative to [`NOW`].

#![allow(clippy::unwrap_used)]

use std::time::Duration as StdDuration;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, SanType,
};
use rustls::pki_types::UnixTime;
use time::{Duration, OffsetDateTime};

use super::tests::{NOW, assert_fix_is_usable, observed};
use crate::cert::rfc3339;
use crate::diagnose::*;
use crate::scripted::{Ca, LeafSpec};
use crate::tls::{TrustFailure, TrustStore};

const HOST: &str = "mx.test";

fn days(n: i64) -> Duration {
    Duration::days(n)
}

fn unix(t: OffsetDateTime) -> UnixTime {
    UnixTime::since_unix_epoch(StdDuration::from_secs(t.unix_timestamp() as u64))
}

/// A root, trusted, and an issuing CA below it whose first certificate dates from long ago.
struct Pki {
    root: Ca,
    issuing: Ca,
    trust: TrustStore,
}

fn pki() -> Pki {
    // The root is valid from NOW-365d, the issuing CA's first certificate from NOW-965d.
    let root = Ca::root("Renewal Root", NOW).unwrap();
    let issuing = root
        .intermediate("Renewal Issuing CA", NOW - days(600))
        .unwrap();
    let trust = TrustStore::from_certs([root.der()], None);
    Pki {
        root,
        issuing,
        trust,
    }
}

impl Pki {
    /// The issuing CA's name and key, certified again by the root for `from..until`.
    fn recertified(&self, from: OffsetDateTime, until: OffsetDateTime) -> Vec<u8> {
        self.issuing
            .cross_signed_by(&self.root, from, until)
            .unwrap()
            .to_vec()
    }

    /// A leaf for [`HOST`] from the issuing CA, valid `from..until`.
    fn leaf(&self, from: OffsetDateTime, until: OffsetDateTime) -> Vec<u8> {
        let mut spec = LeafSpec::valid_for(HOST, NOW, 0);
        spec.not_before = from;
        spec.not_after = until;
        self.issuing.leaf(&spec).unwrap().chain[0].to_vec()
    }

    /// The leaf of the issue: a year long, expired 135 days ago.
    fn expired_leaf(&self) -> Vec<u8> {
        self.leaf(NOW - days(500), NOW - days(135))
    }
}

fn run(chain: Vec<Vec<u8>>, trust: &TrustStore) -> Vec<Finding> {
    let obs = observed(HOST, HOST, chain, trust);
    let findings = diagnose(&Evidence::derive(obs, NOW), &Policy::default(), NOW);
    findings.iter().for_each(assert_fix_is_usable);
    findings
}

fn codes(f: &[Finding]) -> Vec<(&'static str, Severity)> {
    f.iter().map(|f| (f.code.as_str(), f.severity)).collect()
}

/// Nothing the user reads calls the chain untrusted when only dates are wrong.
#[track_caller]
fn never_says_untrusted(f: &[Finding]) {
    for finding in f {
        let text = format!("{}\n{}", finding.summary, finding.evidence.join("\n"));
        assert!(
            !text.contains("not trusted") && !text.contains("untrusted"),
            "a time-only problem reported as a trust problem:\n{text}"
        );
    }
}

/// The finding has an evidence line naming certificate `#i` by its subject, and one with
/// both of its dates.
#[track_caller]
fn dated(f: &Finding, i: usize, subject: &str, not_before: &str, not_after: &str) {
    assert!(
        f.evidence
            .iter()
            .any(|l| l.starts_with(&format!("#{i} ")) && l.contains(subject)),
        "{}: no evidence line names #{i} {subject}: {:#?}",
        f.code,
        f.evidence
    );
    assert!(
        f.evidence
            .iter()
            .any(|l| l.contains(&format!("notBefore {not_before}"))
                && l.contains(&format!("notAfter {not_after}"))),
        "{}: no evidence line with notBefore {not_before} and notAfter {not_after}: {:#?}",
        f.code,
        f.evidence
    );
}

#[test]
fn expired_leaf_under_a_renewed_intermediate_is_expired_not_untrusted() {
    let p = pki();
    // The issuing CA's current certificate was issued 30 days ago, long after the leaf's
    // midpoint: no single instant lies inside every certificate's validity.
    let chain = vec![
        p.expired_leaf(),
        p.recertified(NOW - days(30), NOW + days(1000)),
    ];
    let f = run(chain, &p.trust);
    assert_eq!(codes(&f), [("cert-expired", Severity::Fail)], "{f:#?}");
    assert!(
        f[0].summary.starts_with("certificate expired 135 days ago"),
        "{}",
        f[0].summary
    );
    never_says_untrusted(&f);
}

#[test]
fn trust_apart_from_time_needs_no_common_instant() {
    let p = pki();
    let chain = vec![
        p.expired_leaf(),
        p.recertified(NOW - days(30), NOW + days(1000)),
    ];
    let t = p.trust.check(&chain, unix(NOW));
    assert!(t.trusted, "{t:?}");
    assert!(!t.valid_now, "{t:?}");
    assert_eq!(t.failure, None, "{t:?}");
    assert_eq!(t.reason, None, "{t:?}");
    assert!(t.top_issuer_trusted, "{t:?}");
}

#[test]
fn intermediate_not_yet_valid_gets_its_own_dated_finding() {
    let p = pki();
    // A current leaf, sent with an issuing-CA certificate dated two days ahead.
    let (from, until) = (NOW + days(2), NOW + days(1000));
    let chain = vec![
        p.leaf(NOW - days(7), NOW + days(90)),
        p.recertified(from, until),
    ];
    let f = run(chain, &p.trust);
    assert_eq!(
        codes(&f),
        [("cert-not-yet-valid", Severity::Fail)],
        "{f:#?}"
    );
    assert!(
        f[0].summary
            .starts_with("intermediate certificate #1 is not valid until"),
        "{}",
        f[0].summary
    );
    dated(
        &f[0],
        1,
        "CN=Renewal Issuing CA",
        &rfc3339(from),
        &rfc3339(until),
    );
    never_says_untrusted(&f);
}

#[test]
fn expired_intermediate_and_expired_leaf_each_get_their_dates() {
    let p = pki();
    let (from, until) = (NOW - days(800), NOW - days(10));
    let chain = vec![p.expired_leaf(), p.recertified(from, until)];
    let f = run(chain, &p.trust);
    assert_eq!(
        codes(&f),
        [
            ("cert-expired", Severity::Fail),
            ("cert-expired", Severity::Fail)
        ],
        "{f:#?}"
    );
    let leaf = f
        .iter()
        .find(|f| f.summary.starts_with("certificate expired"))
        .unwrap();
    dated(
        leaf,
        0,
        "CN=mx.test",
        &rfc3339(NOW - days(500)),
        &rfc3339(NOW - days(135)),
    );
    let intermediate = f
        .iter()
        .find(|f| f.summary.starts_with("intermediate certificate #1 expired"))
        .unwrap();
    dated(
        intermediate,
        1,
        "CN=Renewal Issuing CA",
        &rfc3339(from),
        &rfc3339(until),
    );
    never_says_untrusted(&f);
}

#[test]
fn expired_leaf_from_an_untrusted_root_stays_untrusted_for_the_right_reason() {
    let p = pki();
    let nobody = TrustStore::from_certs([Ca::root("Someone Else", NOW).unwrap().der()], None);
    let chain = vec![
        p.expired_leaf(),
        p.recertified(NOW - days(30), NOW + days(1000)),
        p.root.der().to_vec(),
    ];
    let f = run(chain, &nobody);
    let got = codes(&f);
    assert!(got.contains(&("cert-untrusted", Severity::Fail)), "{got:?}");
    assert!(got.contains(&("cert-expired", Severity::Fail)), "{got:?}");
    let untrusted = f.iter().find(|f| f.code == Code::CertUntrusted).unwrap();
    assert!(
        !untrusted.summary.contains("valid yet") && !untrusted.summary.contains("expired"),
        "the trust finding blames dates: {}",
        untrusted.summary
    );
    assert!(
        untrusted
            .evidence
            .iter()
            .any(|l| l.contains("does not lead to a trusted root")),
        "{:#?}",
        untrusted.evidence
    );
}

#[test]
fn expired_leaf_without_its_intermediate_stays_incomplete() {
    let p = pki();
    let f = run(vec![p.expired_leaf()], &p.trust);
    let got = codes(&f);
    assert!(
        got.contains(&("cert-chain-incomplete", Severity::Fail)),
        "{got:?}"
    );
    assert!(got.contains(&("cert-expired", Severity::Fail)), "{got:?}");
    assert!(
        !got.contains(&("cert-untrusted", Severity::Fail)),
        "{got:?}"
    );
}

#[test]
fn same_name_other_key_is_not_the_issuer() {
    let p = pki();
    // A CA certificate with the issuing CA's name but a new key, certified by the trusted
    // root: the name chains, the leaf's signature does not.
    let impostor = p
        .root
        .intermediate("Renewal Issuing CA", NOW - days(600))
        .unwrap();
    let chain = vec![p.expired_leaf(), impostor.der().to_vec()];
    let t = p.trust.check(&chain, unix(NOW));
    assert!(!t.trusted, "{t:?}");
    assert_eq!(t.failure, Some(TrustFailure::BadSignature), "{t:?}");
    let f = run(chain, &p.trust);
    assert!(
        codes(&f).contains(&("cert-untrusted", Severity::Fail)),
        "{f:#?}"
    );
}

fn name(cn: &str) -> DistinguishedName {
    let mut d = DistinguishedName::new();
    d.push(DnType::CommonName, cn);
    d
}

#[test]
fn issuer_without_ca_basic_constraints_cannot_issue() {
    // root → "issuer" that is no CA (basicConstraints cA=FALSE) → expired leaf.
    let root_key = KeyPair::generate().unwrap();
    let mut root = CertificateParams::default();
    root.distinguished_name = name("Constraint Root");
    root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    root.not_before = NOW - days(900);
    root.not_after = NOW + days(900);
    let root_der = root.self_signed(&root_key).unwrap().der().clone();

    let mid_key = KeyPair::generate().unwrap();
    let mut mid = CertificateParams::default();
    mid.distinguished_name = name("Not A CA");
    mid.is_ca = IsCa::ExplicitNoCa;
    mid.not_before = NOW - days(600);
    mid.not_after = NOW + days(600);
    let mid_der = mid
        .signed_by(&mid_key, &Issuer::from_params(&root, &root_key))
        .unwrap()
        .der()
        .to_vec();

    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::default();
    leaf.distinguished_name = name(HOST);
    leaf.subject_alt_names = vec![SanType::DnsName(HOST.try_into().unwrap())];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.not_before = NOW - days(500);
    leaf.not_after = NOW - days(135);
    let leaf_der = leaf
        .signed_by(&leaf_key, &Issuer::from_params(&mid, &mid_key))
        .unwrap()
        .der()
        .to_vec();

    let trust = TrustStore::from_certs([root_der], None);
    let t = trust.check(&[leaf_der, mid_der], unix(NOW));
    assert!(!t.trusted, "{t:?}");
    assert_eq!(t.failure, Some(TrustFailure::Other), "{t:?}");
}

#[test]
fn expired_self_signed_leaf_pinned_by_the_user_is_trusted_apart_from_time() {
    let mut spec = LeafSpec::valid_for(HOST, NOW, 0);
    spec.not_before = NOW - days(500);
    spec.not_after = NOW - days(135);
    let leaf = crate::scripted::pki::self_signed(&spec).unwrap();
    let pinned = TrustStore::from_certs([leaf.chain[0].clone()], None);
    let t = pinned.check(&[leaf.chain[0].to_vec()], unix(NOW));
    assert!(t.trusted && !t.valid_now, "{t:?}");
    let f = run(vec![leaf.chain[0].to_vec()], &pinned);
    assert_eq!(
        codes(&f),
        [
            ("cert-expired", Severity::Fail),
            ("cert-self-signed", Severity::Warn)
        ],
        "{f:#?}"
    );
}

#[test]
fn no_roots_stays_no_roots() {
    let p = pki();
    let none = TrustStore::from_certs(Vec::new(), None);
    let t = none.check(&[p.expired_leaf()], unix(NOW));
    assert_eq!(t.failure, Some(TrustFailure::NoRoots), "{t:?}");
}

#[test]
fn an_old_copy_of_a_renewed_ca_certificate_sent_along_does_no_harm() {
    let p = pki();
    // The server sends the CA certificate both as it was (expired 10 days ago) and as
    // renewed: the path runs through the current copy, the old one is not needed.
    let chain = vec![
        p.expired_leaf(),
        p.recertified(NOW - days(800), NOW - days(10)),
        p.recertified(NOW - days(30), NOW + days(1000)),
    ];
    let t = p.trust.check(&chain, unix(NOW));
    assert_eq!(t.path, [0, 2], "{t:?}");
    let f = run(chain, &p.trust);
    assert_eq!(codes(&f), [("cert-expired", Severity::Fail)], "{f:#?}");
    assert!(f[0].summary.starts_with("certificate expired"), "{f:#?}");
    never_says_untrusted(&f);
}

#[test]
fn a_ca_certificate_renewed_with_a_new_key_is_named_as_such() {
    let p = pki();
    let new_key = p
        .root
        .intermediate("Renewal Issuing CA", NOW - days(30))
        .unwrap();
    let t = p
        .trust
        .check(&[p.expired_leaf(), new_key.der().to_vec()], unix(NOW));
    assert_eq!(t.failure, Some(TrustFailure::BadSignature), "{t:?}");
    let reason = t.reason.unwrap();
    assert!(
        reason.contains("#1 CN=Renewal Issuing CA") && reason.contains("another key"),
        "{reason}"
    );
}
