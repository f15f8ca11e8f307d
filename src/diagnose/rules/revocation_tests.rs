//! The revocation rules (and the missing intermediate, fetched) on observations built from
//! hand-made fetches: no network, a fixed `now`.
#![allow(clippy::unwrap_used)]

use time::Duration;

use super::*;
use crate::diagnose::rules::tests::{assert_fix_is_usable, observed, reply};
use crate::diagnose::{Code, Policy, Severity, diagnose};
use crate::fetch::{Fetch, FetchError};
use crate::revocation::crl::Scheme;
use crate::revocation::ocsp::der::{gtime, response, tlv};
use crate::revocation::tests::{AIA, CRL, NOW, Pki, answered, pki, serial, silent};
use crate::scripted::pki::{Ca, CrlSpec};

const HOST: &str = "mx.example.test";

fn evidence(p: &Pki, chain: Vec<Vec<u8>>, r: RevocationObservation, kind: &str) -> Evidence {
    let mut obs = observed(HOST, HOST, chain, &p.store);
    if kind == "exchange" {
        obs.banner = Some(reply(
            220,
            &[&format!("{HOST} Microsoft ESMTP MAIL Service ready")],
        ));
    }
    obs.revocation = Some(r);
    Evidence::derive(obs, NOW)
}

fn found(e: &Evidence, policy: &Policy, now: OffsetDateTime) -> Vec<Finding> {
    let f = rules(e, policy, now);
    f.iter().for_each(assert_fix_is_usable);
    f
}

fn codes(f: &[Finding]) -> Vec<&str> {
    f.iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn a_good_fresh_crl_raises_nothing() {
    let p = pki();
    let chain = p.chain(&[CRL], true);
    let crl = p.issuing.crl(&CrlSpec::fresh(NOW, &[])).unwrap();
    let r = p.observe(&chain, &[(CRL, answered(CRL, 200, &crl))]);
    let e = evidence(&p, chain, r, "postfix");
    assert!(found(&e, &Policy::default(), NOW).is_empty());
}

#[test]
fn a_listed_leaf_fails_with_the_url_date_and_reason() {
    let p = pki();
    let chain = p.chain(&[CRL], true);
    let crl = p
        .issuing
        .crl(&CrlSpec::fresh(NOW, &[serial(&chain[0])]))
        .unwrap();
    let r = p.observe(&chain, &[(CRL, answered(CRL, 200, &crl))]);
    let e = evidence(&p, chain, r, "postfix");
    let f = found(&e, &Policy::default(), NOW);
    assert_eq!(codes(&f), ["cert-revoked"]);
    assert_eq!(f[0].severity, Severity::Fail);
    assert!(
        f[0].summary.contains(CRL) && f[0].summary.contains("keyCompromise"),
        "{}",
        f[0].summary
    );
    assert!(
        f[0].summary.contains("2026-11-22T10:00:00Z"),
        "{}",
        f[0].summary
    );
    assert!(f[0].fix.text().contains("Request a new certificate"));
}

#[test]
fn a_listing_on_a_crl_whose_signature_cannot_be_checked_only_warns() {
    let p = pki();
    let chain = p.chain(&[CRL], true);
    let crl = p
        .issuing
        .crl(&CrlSpec::fresh(NOW, &[serial(&chain[0])]))
        .unwrap();
    let mut r = p.observe(&chain, &[(CRL, answered(CRL, 200, &crl))]);
    r.certificates[0].crls[0].crl.as_mut().unwrap().signature =
        crate::revocation::crl::Signature::IssuerKeyNotAtHand;
    let e = evidence(&p, chain, r, "postfix");
    let f = found(&e, &Policy::default(), NOW);
    assert_eq!(codes(&f), ["cert-revoked"]);
    assert_eq!(f[0].severity, Severity::Warn);
}

#[test]
fn an_unreachable_crl_warns_with_exchanges_own_checks() {
    let p = pki();
    let chain = p.chain(&[CRL], true);
    for (fetch, says) in [
        (answered(CRL, 404, b"nope"), "HTTP 404 Not Found"),
        (
            silent(CRL),
            "could not be fetched: connected to 192.0.2.1:80, request sent, no answer within 2 s",
        ),
    ] {
        let r = p.observe(&chain, &[(CRL, fetch)]);
        let e = evidence(&p, chain.clone(), r, "exchange");
        let f = found(&e, &Policy::default(), NOW);
        assert_eq!(codes(&f), ["crl-unreachable"]);
        assert_eq!(f[0].severity, Severity::Warn);
        assert!(
            f[0].summary.contains(CRL) && f[0].summary.contains(says),
            "{}",
            f[0].summary
        );
        assert!(
            f[0].evidence
                .iter()
                .any(|l| l.contains("RevocationCheckFailure"))
        );
        let cmds: Vec<String> = f[0].fix.commands().map(|(_, c)| c.to_string()).collect();
        assert!(
            cmds.iter()
                .any(|c| c.contains(&format!("Invoke-WebRequest -Uri '{CRL}' -UseBasicParsing"))),
            "{cmds:?}"
        );
        assert!(
            cmds.iter().any(|c| c == "netsh winhttp show proxy"),
            "{cmds:?}"
        );
    }
}

#[test]
fn an_ldap_only_crl_is_unreachable_for_external_senders() {
    let p = pki();
    let chain = p.chain(&["ldap:///CN=Rev%20Issuing%20CA,CN=CDP,DC=corp"], true);
    let r = p.observe(&chain, &[]);
    assert_eq!(r.certificates[0].crls[0].scheme, Scheme::Ldap);
    let e = evidence(&p, chain, r, "exchange");
    let f = found(&e, &Policy::default(), NOW);
    assert_eq!(codes(&f), ["crl-unreachable"]);
    assert!(f[0].summary.contains("only over LDAP"), "{}", f[0].summary);
    assert!(f[0].fix.text().contains("Extensions tab") && f[0].fix.text().contains("reissue"));
}

#[test]
fn a_crl_past_its_next_update_is_stale_at_now_only() {
    let p = pki();
    let chain = p.chain(&[CRL], true);
    let crl = p.issuing.crl(&CrlSpec::stale(NOW)).unwrap();
    let r = p.observe(&chain, &[(CRL, answered(CRL, 200, &crl))]);
    let e = evidence(&p, chain, r, "postfix");
    let f = found(&e, &Policy::default(), NOW);
    assert_eq!(codes(&f), ["crl-stale"]);
    assert!(f[0].fix.commands().any(|(_, c)| c == "certutil -CRL"));
    // Judged at the time the rules are given: before nextUpdate it was fresh.
    assert!(found(&e, &Policy::default(), NOW - Duration::days(20)).is_empty());
}

#[test]
fn another_cas_crl_or_a_web_page_is_invalid() {
    let p = pki();
    let chain = p.chain(&[CRL], true);
    let other = Ca::root("Someone Else", NOW).unwrap();
    let foreign = other.crl(&CrlSpec::fresh(NOW, &[])).unwrap();
    for body in [foreign, b"<html>login</html>".to_vec()] {
        let r = p.observe(&chain, &[(CRL, answered(CRL, 200, &body))]);
        let e = evidence(&p, chain.clone(), r, "postfix");
        let f = found(&e, &Policy::default(), NOW);
        assert_eq!(codes(&f), ["crl-invalid"]);
    }
}

#[test]
fn a_revoked_staple_fails_and_a_good_one_does_not() {
    let p = pki();
    let chain = p.chain(&[], true);
    let s = serial(&chain[0]);
    let revoked = response(&s, tlv(0xa1, &gtime("20261120000000Z")), None);
    // --ca-file, as the tests use: no crl-none beside.
    let pinned = Policy {
        extra_roots: true,
        ..Policy::default()
    };
    let mut r = p.observe(&chain, &[]);
    r.staple = crate::revocation::tests_staple(&revoked, &chain[0]);
    let e = evidence(&p, chain.clone(), r.clone(), "postfix");
    let f = found(&e, &pinned, NOW);
    assert_eq!(codes(&f), ["cert-revoked"]);
    assert!(
        f[0].summary.contains("stapled OCSP response"),
        "{}",
        f[0].summary
    );
    r.staple = crate::revocation::tests_staple(&response(&s, tlv(0x80, &[]), None), &chain[0]);
    let e = evidence(&p, chain, r, "postfix");
    assert!(found(&e, &pinned, NOW).is_empty());
}

#[test]
fn no_crl_is_said_for_a_publicly_trusted_chain_only() {
    let p = pki();
    let chain = p.chain(&[], true);
    let r = p.observe(&chain, &[]);
    let e = evidence(&p, chain, r, "postfix");
    let public = Policy::default();
    let f = found(&e, &public, NOW);
    assert_eq!(codes(&f), ["crl-none"]);
    assert_eq!(f[0].severity, Severity::Info);
    let pinned = Policy {
        extra_roots: true,
        ..Policy::default()
    };
    assert!(found(&e, &pinned, NOW).is_empty());
}

// --- The missing intermediate, fetched (issue 16 item 5).

fn chain_finding(e: &Evidence, policy: &Policy) -> Finding {
    let all = diagnose(e, policy, NOW);
    all.iter().for_each(assert_fix_is_usable);
    all.into_iter()
        .find(|f| f.code == Code::CertChainIncomplete)
        .unwrap()
}

#[test]
fn a_fetched_intermediate_is_named_with_its_fingerprint_and_installed() {
    let p = pki();
    let chain = p.chain(&[], false);
    let der = p.issuing.der().to_vec();
    let r = p.observe(&chain, &[(AIA, answered(AIA, 200, &der))]);
    let sha = r
        .issuer_fetch
        .as_ref()
        .unwrap()
        .certificate
        .as_ref()
        .unwrap()
        .sha256
        .clone();
    for kind in ["exchange", "postfix"] {
        let e = evidence(&p, chain.clone(), r.clone(), kind);
        let f = chain_finding(&e, &Policy::default());
        assert!(
            f.summary.contains("Rev Issuing CA")
                && f.summary.contains(&sha)
                && f.summary.contains(AIA),
            "{kind}: {}",
            f.summary
        );
        assert!(!f.summary.contains("private root"), "{}", f.summary);
        let cmds: Vec<String> = f.fix.commands().map(|(_, c)| c.to_string()).collect();
        if kind == "exchange" {
            assert!(
                cmds.iter()
                    .any(|c| c.contains("Import-Certificate")
                        && c.contains("Cert:\\LocalMachine\\CA")),
                "{cmds:?}"
            );
        } else {
            assert!(
                cmds.iter()
                    .any(|c| c.contains(AIA) && c.contains("openssl x509 -inform DER")),
                "{cmds:?}"
            );
        }
    }
}

#[test]
fn a_fetched_issuer_that_leads_to_no_trusted_root_is_not_a_public_ca() {
    let p = pki();
    let private = Ca::root("Private Root", NOW).unwrap();
    let other = private.intermediate("Rev Issuing CA", NOW).unwrap();
    let chain = p.chain(&[], false);
    let r = p.observe(&chain, &[(AIA, answered(AIA, 200, other.der().as_ref()))]);
    let e = evidence(&p, chain, r, "postfix");
    let f = chain_finding(&e, &Policy::default());
    assert!(f.summary.contains("not a public CA"), "{}", f.summary);
    assert!(f.fix.text().contains("private"), "{}", f.fix.text());
}

#[test]
fn a_failed_fetch_keeps_the_intermediate_or_private_root_text() {
    let p = pki();
    let chain = p.chain(&[], false);
    let r = p.observe(&chain, &[(AIA, silent(AIA))]);
    let e = evidence(&p, chain, r, "postfix");
    let f = chain_finding(&e, &Policy::default());
    assert!(
        f.summary
            .contains("a missing intermediate, or a private root"),
        "{}",
        f.summary
    );
    // Trial 1 item 18: the failed fetch is said, precisely, then the old steps follow.
    assert!(
        f.evidence
            .iter()
            .any(|l| l == &format!("the CA Issuers URL {AIA} could not be fetched: connected to 192.0.2.1:80, request sent, no answer within 2 s")),
        "{:?}",
        f.evidence
    );
    let text = f.fix.text();
    let said = text
        .find(&format!(
            "{AIA} could not be fetched: connected to 192.0.2.1:80"
        ))
        .unwrap();
    let steps = text
        .find("If that certificate's subject and issuer are equal")
        .unwrap();
    assert!(said < steps, "{text}");
}

#[test]
fn a_ca_issuers_url_that_answers_404_is_said_in_the_finding() {
    let p = pki();
    let chain = p.chain(&[], false);
    let r = p.observe(&chain, &[(AIA, answered(AIA, 404, b""))]);
    let e = evidence(&p, chain, r, "postfix");
    let f = chain_finding(&e, &Policy::default());
    let line = format!("the CA Issuers URL {AIA} answered HTTP 404 Not Found");
    assert!(f.evidence.contains(&line), "{:?}", f.evidence);
    assert!(
        f.fix
            .text()
            .contains("answered HTTP 404 Not Found, so this tool could not fetch")
    );
    assert!(
        f.fix.text().contains("tell which, look at the issuer"),
        "{}",
        f.fix.text()
    );
}

// --- Several distribution points, judged as clients do (trial 1 items 3, 5, 23).

const CRL2: &str = "http://crl2.pki.test/issuing.crl";

/// A fetch that could not connect.
fn refused(url: &str) -> std::sync::Arc<Fetch> {
    std::sync::Arc::new(Fetch {
        url: url.into(),
        redirects: Vec::new(),
        address: None,
        elapsed: std::time::Duration::from_millis(1),
        tls: None,
        outcome: Err(FetchError::Connect(
            "127.0.0.1:8099: Connection refused (os error 111)".into(),
        )),
    })
}

#[test]
fn a_dead_first_point_beside_a_good_one_is_only_info() {
    let p = pki();
    let chain = p.chain(&[CRL2, CRL], true);
    let crl = p.issuing.crl(&CrlSpec::fresh(NOW, &[])).unwrap();
    let r = p.observe(
        &chain,
        &[(CRL2, refused(CRL2)), (CRL, answered(CRL, 200, &crl))],
    );
    assert!(
        r.certificates[0]
            .summary
            .starts_with(&format!("not revoked per {CRL} (CRL of 2026-11-22T")),
        "{}",
        r.certificates[0].summary
    );
    let e = evidence(&p, chain, r, "exchange");
    let f = found(&e, &Policy::default(), NOW);
    assert_eq!(codes(&f), ["crl-unreachable"]);
    assert_eq!(f[0].severity, Severity::Info);
    assert!(
        f[0].summary.contains(&format!("but {CRL} serves the CRL")),
        "{}",
        f[0].summary
    );
    let text = f[0].fix.text();
    assert!(!text.contains("cannot judge"), "{text}");
    assert!(text.contains("try the next distribution point"), "{text}");
    // Same reasoning for a point that serves garbage.
    let r = p.observe(
        &e.obs.chain,
        &[
            (CRL2, answered(CRL2, 200, b"<html>login</html>")),
            (CRL, answered(CRL, 200, &crl)),
        ],
    );
    let e = evidence(&p, e.obs.chain.clone(), r, "postfix");
    let f = found(&e, &Policy::default(), NOW);
    assert_eq!(codes(&f), ["crl-invalid"]);
    assert_eq!(f[0].severity, Severity::Info);
}

#[test]
fn points_that_all_fail_make_one_warn_that_names_each() {
    let p = pki();
    let chain = p.chain(&[CRL2, CRL], true);
    let r = p.observe(&chain, &[(CRL2, refused(CRL2)), (CRL, silent(CRL))]);
    assert!(
        r.certificates[0].summary.starts_with("not checked: "),
        "{}",
        r.certificates[0].summary
    );
    let e = evidence(&p, chain, r, "postfix");
    let f = found(&e, &Policy::default(), NOW);
    assert_eq!(codes(&f), ["crl-unreachable"]);
    assert_eq!(f[0].severity, Severity::Warn);
    let text = f[0].fix.text();
    assert!(
        text.contains(&format!("{CRL2} could not be fetched: "))
            && text.contains(&format!(
                "{CRL} could not be fetched: connected to 192.0.2.1:80, request sent, no answer within 2 s"
            )),
        "{text}"
    );
    assert!(!text.contains("answered: "), "{text}");
    assert!(text.contains("cannot judge"), "{text}");
}

#[test]
fn a_fetch_the_deadline_ended_is_not_blamed_on_the_server() {
    let mut p = pki();
    p.cut.insert(CRL.to_string());
    let chain = p.chain(&[CRL], true);
    let r = p.observe(&chain, &[(CRL, silent(CRL))]);
    let check = &r.certificates[0].crls[0];
    assert!(check.fetch.as_ref().unwrap().cut_by_deadline);
    assert!(
        r.certificates[0]
            .summary
            .contains("the run's --deadline ended the fetch"),
        "{}",
        r.certificates[0].summary
    );
    let e = evidence(&p, chain.clone(), r, "postfix");
    assert!(found(&e, &Policy::default(), NOW).is_empty());
    // Beside it, a point that did fail is only INFO: what the other would give is not known.
    let r = p.observe(&chain, &[(CRL, silent(CRL))]);
    let mut r2 = r.clone();
    let mut extra = r.certificates[0].crls[0].clone();
    extra.url = CRL2.into();
    let fetch = extra.fetch.as_mut().unwrap();
    fetch.cut_by_deadline = false;
    fetch.error = Some("HTTP 404 Not Found".into());
    fetch.status = Some(404);
    r2.certificates[0].crls.push(extra);
    let e = evidence(&p, chain, r2, "postfix");
    let f = found(&e, &Policy::default(), NOW);
    assert_eq!(codes(&f), ["crl-unreachable"]);
    assert_eq!(f[0].severity, Severity::Info);
}

#[test]
fn the_deadline_is_told_from_a_server_that_failed_earlier() {
    use crate::fetch::{FetchError, Stage};
    use crate::revocation::cut_by_deadline;
    // The fetch says which limit ended it: the run's deadline, or the server's own silence.
    let mut cut = (*silent(CRL)).clone();
    cut.outcome = Err(FetchError::Deadline(Stage::Response, "cut".into()));
    assert!(cut_by_deadline(&cut));
    assert!(!cut_by_deadline(&silent(CRL)));
    assert!(!cut_by_deadline(&answered(CRL, 200, b"x")));
}

#[test]
fn several_points_and_certificates_make_one_finding_per_code() {
    let p = pki();
    let chain = p.chain(&[CRL2, CRL], true);
    let r = p.observe(&chain, &[(CRL2, refused(CRL2)), (CRL, refused(CRL))]);
    let mut r2 = r.clone();
    // The intermediate's points fail too.
    let mut inter = r.certificates[0].clone();
    inter.position = 1;
    inter.subject = "CN=Rev Issuing CA".into();
    r2.certificates.push(inter);
    let e = evidence(&p, chain, r2, "postfix");
    let f = found(&e, &Policy::default(), NOW);
    assert_eq!(codes(&f), ["crl-unreachable"]);
    assert!(f[0].summary.contains("(and 1 more: "), "{}", f[0].summary);
    assert!(
        f[0].evidence.iter().any(|l| l.contains("intermediate #1")),
        "{:?}",
        f[0].evidence
    );
}

#[test]
fn a_url_escaped_by_the_fetch_is_not_escaped_again() {
    let p = pki();
    let raw = r"http://crl.pki.test/\x1b[2J.crl";
    let chain = p.chain(&[CRL], true);
    let bad = std::sync::Arc::new(Fetch {
        url: CRL.into(),
        redirects: Vec::new(),
        address: None,
        elapsed: std::time::Duration::ZERO,
        tls: None,
        outcome: Err(FetchError::Url(format!(
            "{raw} (a control character or space)"
        ))),
    });
    let r = p.observe(&chain, &[(CRL, bad)]);
    let error = r.certificates[0].crls[0]
        .fetch
        .as_ref()
        .unwrap()
        .error
        .clone()
        .unwrap();
    assert_eq!(
        error,
        format!("not a URL this tool fetches: {raw} (a control character or space)")
    );
    assert!(!error.contains("\\\\x1b"), "{error}");
}

#[test]
fn one_entry_is_singular() {
    let p = pki();
    let chain = p.chain(&[CRL], true);
    let other = p
        .issuing
        .leaf(&crate::scripted::pki::LeafSpec::valid_for("x.test", NOW, 9))
        .unwrap();
    // A stale CRL that lists one other certificate.
    let crl = p
        .issuing
        .crl(&CrlSpec {
            revoked: vec![serial(&other.chain[0])],
            ..CrlSpec::stale(NOW)
        })
        .unwrap();
    let r = p.observe(&chain, &[(CRL, answered(CRL, 200, &crl))]);
    assert_eq!(r.certificates[0].crls[0].crl.as_ref().unwrap().entries, 1);
    let e = evidence(&p, chain, r, "postfix");
    let f = found(&e, &Policy::default(), NOW);
    assert_eq!(codes(&f), ["crl-stale"]);
    let line = f[0]
        .evidence
        .iter()
        .find(|l| l.starts_with("CRL issuer"))
        .unwrap();
    assert!(line.ends_with(", 1 entry"), "{line}");
    assert_eq!(crate::revocation::entries(2), "2 entries");
    assert!(!line.contains("1 entries"), "{line}");
}
