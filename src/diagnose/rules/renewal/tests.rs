//! The renewal rules on hand-built observations with a fixed `now`: the expectations, and
//! each kind of change against a baseline made from this crate's own JSON.

use std::net::SocketAddr;
use std::sync::Arc;

use time::Duration;

use super::*;
use crate::baseline::Baseline;
use crate::diagnose::rules::tests::{NOW, World, assert_fix_is_usable, observed, world};
use crate::diagnose::{Policy, diagnose, explained_by};
use crate::model::Observation;
use crate::report::{EndpointReport, Report};
use crate::scripted::LeafSpec;
use crate::tls::TlsVersion;

const HOST: &str = "mx1.contoso.test";
const TARGET: &str = "contoso.test";

#[test]
fn issuer_patterns_match_words_or_dn_attributes() {
    let le = "CN=R11, O=Let's Encrypt, C=US";
    let quoted = "CN=Issuing CA 1, O=\"Contoso, Ltd\", C=DE";
    let yes = |p: &str, dn: &str| IssuerPattern::parse(p).unwrap().matches(dn);
    for p in [
        "Let's Encrypt",
        "let's encrypt",
        "R11",
        "r11",
        "Encrypt",
        "CN=R11",
        "cn = r11, o = Let's Encrypt",
        "O=Let's Encrypt, CN=R11",
        "issuer=C = US, O = Let's Encrypt, CN = R11",
        "issuer= /C=US/O=Let's Encrypt/CN=R11",
        "/C=US/O=Let's Encrypt/CN=R11",
        "CN=R11, O=Let's Encrypt, C=US",
        "commonName=R11",
        "'Let's Encrypt'",
        // As letsencrypt.org writes it (U+2019), and other apostrophes pasted from prose.
        "Let\u{2019}s Encrypt",
        "Let\u{2018}s Encrypt",
        "Let\u{02BC}s Encrypt",
        "O=Let\u{2019}s Encrypt",
    ] {
        assert!(yes(p, le), "{p} matches {le}");
    }
    // A curly apostrophe in the certificate matches a straight one typed.
    assert!(yes("Let's Encrypt", "CN=R11, O=Let\u{2019}s Encrypt, C=US"));
    assert!(yes(
        "O=Let's Encrypt",
        "CN=R11, O=Let\u{2019}s Encrypt, C=US"
    ));
    assert!(
        !yes("Lets Encrypt", le),
        "the apostrophe is still part of the word"
    );
    for p in [
        "R1",
        "R10",
        "Let",
        "US",
        "C=DE",
        "CN=R11, C=DE",
        "O=Encrypt",
        "DigiCert",
    ] {
        assert!(!yes(p, le), "{p} must not match {le}");
    }
    assert!(
        yes("Contoso, Ltd", quoted),
        "words across a comma in a value"
    );
    assert!(yes("O=\"Contoso, Ltd\"", quoted));
    assert!(yes("Issuing CA", quoted));
    assert!(!yes("Contoso Ltd GmbH", quoted));
    assert!(yes(
        "DigiCert Global G2",
        "CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US"
    ));
}

#[test]
fn an_issuer_that_is_no_name_is_refused() {
    for (p, says) in [
        ("", "an empty issuer"),
        ("issuer=", "an empty issuer"),
        ("CN=R11, Let's Encrypt", "is no distinguished name"),
        ("CN=", "is no distinguished name"),
        ("---", "holds no word"),
    ] {
        let e = IssuerPattern::parse(p).unwrap_err();
        assert!(e.contains(says), "{p:?}: {e}");
    }
    assert_eq!(IssuerPattern::parse(" R11 ").unwrap().text, "R11");
    assert_eq!(
        IssuerPattern::parse("issuer=CN = R11").unwrap().text,
        "CN = R11"
    );
}

fn leaf_of(w: &World, days: i64) -> Vec<Vec<u8>> {
    w.chain(&LeafSpec::valid_for(HOST, NOW, days), true)
}

/// A leaf for `HOST` from another CA under the same root.
fn other_ca_leaf(w: &World) -> Vec<Vec<u8>> {
    let other = w.root.intermediate("Other Issuing CA", NOW).unwrap();
    let leaf = other.leaf(&LeafSpec::valid_for(HOST, NOW, 80)).unwrap();
    vec![leaf.chain[0].to_vec(), other.der().to_vec()]
}

fn serving(w: &World, chain: Vec<Vec<u8>>) -> Observation {
    observed(HOST, HOST, chain, &w.trust)
}

fn at(mut obs: Observation, last: u8) -> Observation {
    obs.endpoint.address = SocketAddr::from(([192, 0, 2, last], 25));
    obs
}

fn without_starttls(mut obs: Observation) -> Observation {
    let ehlo = crate::diagnose::rules::tests::reply(250, &[&format!("{HOST} Hello"), "PIPELINING"]);
    obs.capabilities = Some(crate::smtp::Capabilities::parse(&ehlo));
    obs.ehlo = Some(ehlo);
    obs.tls = None;
    obs.trust = None;
    obs.chain = Vec::new();
    obs.ehlo_tls = None;
    obs.starttls_reply = None;
    obs
}

fn tls12(mut obs: Observation) -> Observation {
    if let Some(t) = obs.tls.as_mut() {
        t.version = TlsVersion::Tls12;
    }
    obs
}

/// A baseline made 30 days ago from `obs`, as this crate writes a report of `target`.
fn baseline_of(target: &str, obs: &[Observation]) -> Baseline {
    let then = NOW - Duration::days(30);
    let endpoints = obs
        .iter()
        .map(|o| EndpointReport::from_evidence(&Evidence::derive(o.clone(), then)))
        .collect();
    let mut report = Report::new(target.into(), Vec::new(), endpoints, Vec::new(), then);
    report.invocation = Some(format!("starttls-check {target} --format json"));
    Baseline::parse(
        "previous.json",
        crate::report::json::render(&report).as_bytes(),
    )
    .unwrap()
}

fn with_baseline(b: Baseline) -> Policy {
    Policy {
        baseline: Some(Arc::new(b)),
        ..Policy::default()
    }
}

/// Everything one job's report would hold: each endpoint's findings with the baseline's
/// joined, then those about no endpoint of this run.
fn judge(obs: &[Observation], policy: &Policy) -> Vec<Finding> {
    let evidence: Vec<Evidence> = obs
        .iter()
        .map(|o| Evidence::derive(o.clone(), NOW))
        .collect();
    let mut per: Vec<Vec<Finding>> = evidence.iter().map(|e| diagnose(e, policy, NOW)).collect();
    let rest = against_baseline(TARGET, &evidence, &mut per, policy, NOW);
    let all: Vec<Finding> = per.into_iter().flatten().chain(rest).collect();
    all.iter().for_each(assert_fix_is_usable);
    all
}

fn find(all: &[Finding], code: Code) -> Vec<&Finding> {
    all.iter().filter(|f| f.code == code).collect()
}

fn fp(chain: &[Vec<u8>]) -> Fingerprint {
    Fingerprint::of_der(&chain[0])
}

#[test]
fn a_leaf_that_is_not_expected_fails_with_what_was_served_and_expected() {
    let w = world();
    let (old, new) = (leaf_of(&w, 10), leaf_of(&w, 90));
    let policy = Policy {
        expected_fingerprints: vec![fp(&new)],
        ..Policy::default()
    };
    let all = judge(&[serving(&w, new.clone())], &policy);
    assert!(find(&all, Code::CertUnexpectedFingerprint).is_empty());
    assert!(
        find(&all, Code::StarttlsOk).len() == 1,
        "the expected one is healthy"
    );
    let all = judge(&[serving(&w, old.clone())], &policy);
    let f = find(&all, Code::CertUnexpectedFingerprint)[0];
    assert_eq!(f.severity, Severity::Fail);
    assert!(f.summary.contains(&fp(&old).short()), "{}", f.summary);
    assert!(f.summary.contains("CN=mx1.contoso.test"), "{}", f.summary);
    assert!(
        f.evidence
            .contains(&format!("served: SHA-256 {}", fp(&old).colon()))
    );
    assert!(
        f.evidence
            .contains(&format!("expected: SHA-256 {}", fp(&new).colon()))
    );
    assert!(
        find(&all, Code::StarttlsOk).is_empty(),
        "no healthy summary beside a failure"
    );
    // Any of several.
    let both = Policy {
        expected_fingerprints: vec![fp(&new), fp(&old)],
        ..Policy::default()
    };
    assert!(
        find(
            &judge(&[serving(&w, old)], &both),
            Code::CertUnexpectedFingerprint
        )
        .is_empty()
    );
}

#[test]
fn an_endpoint_that_never_reached_tls_is_no_mismatch() {
    let w = world();
    let policy = Policy {
        expected_fingerprints: vec![fp(&leaf_of(&w, 90))],
        expected_issuers: vec![IssuerPattern::parse("Unit Issuing CA").unwrap()],
        ..Policy::default()
    };
    let all = judge(&[without_starttls(serving(&w, leaf_of(&w, 90)))], &policy);
    assert!(find(&all, Code::StarttlsNotOffered)[0].severity == Severity::Fail);
    assert!(
        find(&all, Code::CertUnexpectedFingerprint).is_empty(),
        "{all:#?}"
    );
    assert!(find(&all, Code::CertUnexpectedIssuer).is_empty());
}

#[test]
fn an_unexpected_issuer_fails_and_a_pinned_certificate_blames_the_option() {
    let w = world();
    let other = other_ca_leaf(&w);
    let policy = Policy {
        expected_issuers: vec![IssuerPattern::parse("Unit Issuing CA").unwrap()],
        ..Policy::default()
    };
    assert!(
        find(
            &judge(&[serving(&w, leaf_of(&w, 90))], &policy),
            Code::CertUnexpectedIssuer
        )
        .is_empty()
    );
    let root = Policy {
        expected_issuers: vec![IssuerPattern::parse("CN=Unit Root").unwrap()],
        ..Policy::default()
    };
    assert!(
        find(
            &judge(&[serving(&w, other.clone())], &root),
            Code::CertUnexpectedIssuer
        )
        .is_empty(),
        "the root's name matches through the intermediate sent"
    );
    let all = judge(&[serving(&w, other.clone())], &policy);
    let f = find(&all, Code::CertUnexpectedIssuer)[0];
    assert_eq!(f.severity, Severity::Fail);
    assert!(f.summary.contains("CN=Other Issuing CA"), "{}", f.summary);
    assert!(
        f.evidence
            .contains(&"expected issuer: Unit Issuing CA".to_string())
    );
    assert!(
        f.fix
            .text()
            .contains("Get a certificate for mx1.contoso.test from the CA you expect")
    );
    let pinned = Policy {
        expected_fingerprints: vec![fp(&other)],
        ..policy
    };
    let f = judge(&[serving(&w, other)], &pinned);
    let text = find(&f, Code::CertUnexpectedIssuer)[0].fix.text();
    assert!(text.contains("Correct --expect-issuer"), "{text}");
}

#[test]
fn an_unchanged_certificate_that_is_not_expected_says_it_was_not_renewed() {
    let w = world();
    let old = leaf_of(&w, 10);
    let mut policy = with_baseline(baseline_of(TARGET, &[serving(&w, old.clone())]));
    policy.expected_fingerprints = vec![fp(&leaf_of(&w, 90))];
    let all = judge(&[serving(&w, old)], &policy);
    assert!(find(&all, Code::BaselineCertificateChanged).is_empty());
    let f = find(&all, Code::CertUnexpectedFingerprint)[0];
    assert!(
        f.evidence.iter().any(|e| e.contains(
            "the same certificate as in the baseline of 2026-10-23 (previous.json): not renewed"
        )),
        "{:#?}",
        f.evidence
    );
}

#[test]
fn a_changed_certificate_warns_unless_the_job_declares_it() {
    let w = world();
    let (old, new) = (leaf_of(&w, 10), leaf_of(&w, 90));
    let b = || baseline_of(TARGET, &[serving(&w, old.clone())]);
    let all = judge(&[serving(&w, new.clone())], &with_baseline(b()));
    let f = find(&all, Code::BaselineCertificateChanged)[0];
    assert_eq!(f.severity, Severity::Warn);
    assert!(
        f.summary.contains(&format!("(was {})", fp(&old).short())),
        "{}",
        f.summary
    );
    let declare = format!(
        "starttls-check contoso.test --expect-fingerprint {} --baseline previous.json",
        fp(&new).colon()
    );
    assert!(f.fix.commands().any(|(_, c)| c == declare), "{}", f.fix);
    assert!(
        f.fix
            .commands()
            .any(|(_, c)| c == "dig +short TLSA _25._tcp.mx1.contoso.test"),
        "{}",
        f.fix
    );
    let mut declared = with_baseline(b());
    declared.expected_fingerprints = vec![fp(&new)];
    let all = judge(&[serving(&w, new.clone())], &declared);
    let f = find(&all, Code::BaselineCertificateChanged)[0];
    assert_eq!(f.severity, Severity::Info);
    assert!(
        f.summary
            .starts_with("renewed as expected since the baseline of 2026-10-23")
    );
    assert!(all.iter().all(|f| f.severity == Severity::Info), "{all:#?}");
    // Declared, but this node still serves the old one: the mismatch fails, and the
    // change finding is not raised (nothing changed here).
    let all = judge(&[serving(&w, old)], &declared);
    assert_eq!(find(&all, Code::CertUnexpectedFingerprint).len(), 1);
}

#[test]
fn a_new_ca_warns_unless_declared_and_exchange_gets_its_connectors() {
    let w = world();
    let b = || baseline_of(TARGET, &[serving(&w, leaf_of(&w, 10))]);
    let other = other_ca_leaf(&w);
    let all = judge(&[serving(&w, other.clone())], &with_baseline(b()));
    let f = find(&all, Code::BaselineIssuerChanged)[0];
    assert_eq!(f.severity, Severity::Warn);
    assert!(f.summary.contains("CN=Other Issuing CA"), "{}", f.summary);
    assert!(
        f.summary.contains("saw CN=Unit Issuing CA"),
        "{}",
        f.summary
    );
    assert!(
        f.fix.commands().any(|(_, c)| c
            == "starttls-check contoso.test --expect-issuer 'Other Issuing CA' --baseline previous.json"),
        "{}",
        f.fix
    );
    let mut declared = with_baseline(b());
    declared.expected_issuers = vec![IssuerPattern::parse("Other Issuing CA").unwrap()];
    let all = judge(&[serving(&w, other.clone())], &declared);
    assert_eq!(
        find(&all, Code::BaselineIssuerChanged)[0].severity,
        Severity::Info
    );
    // Exchange names a connector's certificate by issuer and subject.
    let mut exchange = serving(&w, other.clone());
    exchange.banner = Some(crate::diagnose::rules::tests::reply(
        220,
        &["mx1.contoso.test Microsoft ESMTP MAIL Service ready"],
    ));
    let all = judge(&[exchange], &with_baseline(b()));
    let text = find(&all, Code::BaselineIssuerChanged)[0].fix.text();
    let thumb = crate::cert::CertInfo::parse(&other[0], NOW)
        .unwrap()
        .thumbprint;
    assert!(
        text.contains(&format!("Get-ExchangeCertificate -Thumbprint {thumb}")),
        "{text}"
    );
    assert!(text.contains("Set-ReceiveConnector"), "{text}");
}

/// The endpoint now fails the TLS 1.2/1.3 handshake, and answers the second hello with TLS
/// 1.1 (`version`), as `probe::legacy` records a server that speaks nothing newer.
fn legacy_only(mut obs: Observation, version: Option<u16>) -> Observation {
    use crate::model::{FailureKind, LegacyTls, Phase, PhaseFailure};
    use crate::tls::legacy::ServerAnswer;
    use crate::tls::{HandshakeError, HandshakeFailure};
    obs.tls = None;
    obs.trust = None;
    obs.chain = Vec::new();
    obs.ehlo_tls = None;
    obs.handshake_error = Some(HandshakeError {
        kind: HandshakeFailure::ProtocolVersion,
        reason: "the server refused TLS 1.2 and 1.3".into(),
        detail: "received fatal alert: ProtocolVersion".into(),
    });
    obs.failure = Some(PhaseFailure {
        phase: Phase::Handshake,
        kind: FailureKind::Handshake,
        message: "TLS handshake failed: received fatal alert: ProtocolVersion".into(),
        reply: None,
        overall_deadline: false,
    });
    obs.legacy_tls = Some(match version {
        Some(version) => LegacyTls::Answered(ServerAnswer::Hello {
            version,
            cipher: 0xc014,
        }),
        None => LegacyTls::Closed,
    });
    obs
}

#[test]
fn a_lower_tls_version_warns_and_a_higher_one_is_info() {
    let w = world();
    let at13 = serving(&w, leaf_of(&w, 60));
    let all = judge(
        &[tls12(at13.clone())],
        &with_baseline(baseline_of(TARGET, std::slice::from_ref(&at13))),
    );
    let f = find(&all, Code::BaselineTlsVersionChanged)[0];
    assert_eq!(f.severity, Severity::Warn, "TLS 1.2 is no failure");
    assert!(
        all.iter().all(|f| f.severity <= Severity::Warn),
        "nothing else fails: {all:#?}"
    );
    assert_eq!(
        f.summary,
        "negotiates TLS 1.2, lower than TLS 1.3 in the baseline of 2026-10-23"
    );
    assert!(
        f.fix.commands().any(|(_, c)| c
            == "openssl s_client -connect 192.0.2.10:25 -starttls smtp -tls1_3 </dev/null"),
        "{}",
        f.fix
    );
    assert!(
        f.fix.text().contains("postconf smtpd_tls_protocols"),
        "Postfix's own settings"
    );
    let all = judge(
        std::slice::from_ref(&at13),
        &with_baseline(baseline_of(TARGET, &[tls12(at13.clone())])),
    );
    let f = find(&all, Code::BaselineTlsVersionChanged)[0];
    assert_eq!(f.severity, Severity::Info);
    assert!(
        f.summary
            .starts_with("negotiates TLS 1.3, higher than TLS 1.2")
    );
}

/// A new backend that speaks only TLS 1.1: the handshake fails (that finding fails the
/// run), and the change of version is said, failing alike and explained by it.
#[test]
fn a_handshake_that_no_longer_completes_is_a_version_change() {
    let w = world();
    let at13 = serving(&w, leaf_of(&w, 60));
    let policy = with_baseline(baseline_of(TARGET, std::slice::from_ref(&at13)));
    let all = judge(&[legacy_only(at13.clone(), Some(0x0302))], &policy);
    let f = find(&all, Code::BaselineTlsVersionChanged)[0];
    assert_eq!(f.severity, Severity::Fail);
    assert_eq!(
        f.summary,
        "the TLS version changed from TLS 1.3 in the baseline of 2026-10-23 to TLS 1.1 (the handshake with TLS 1.2 or 1.3 failed)"
    );
    let cause = explained_by(f, &all).expect("the handshake finding explains it");
    assert_eq!(cause.severity, Severity::Fail);
    assert!(
        f.fix.commands().any(|(_, c)| c
            == "openssl s_client -connect 192.0.2.10:25 -starttls smtp -tls1_3 </dev/null"),
        "{}",
        f.fix
    );
    // No answer to the second hello either: no version at all.
    let all = judge(&[legacy_only(at13.clone(), None)], &policy);
    let f = find(&all, Code::BaselineTlsVersionChanged)[0];
    assert_eq!(f.severity, Severity::Fail);
    assert!(
        f.summary.ends_with("to none (the TLS handshake failed)"),
        "{}",
        f.summary
    );
    // Stopped before the handshake: no version to speak of, no version change.
    let all = judge(&[without_starttls(at13)], &policy);
    assert!(find(&all, Code::BaselineTlsVersionChanged).is_empty());
}

/// A new certificate that is self-signed, expired, or older than the baseline's is no
/// renewal to declare: the fix says what it looks like instead.
#[test]
fn a_self_signed_expired_or_older_certificate_is_not_offered_as_a_renewal() {
    let w = world();
    let b = || with_baseline(baseline_of(TARGET, &[serving(&w, leaf_of(&w, 60))]));
    let declares = |f: &Finding| {
        f.fix
            .commands()
            .any(|(_, c)| c.contains("--expect-fingerprint") || c.contains("--expect-issuer"))
    };
    // Self-signed: its own name is no new CA.
    let own = crate::scripted::pki::self_signed(&LeafSpec::valid_for(HOST, NOW, 300)).unwrap();
    let all = judge(&[serving(&w, vec![own.chain[0].to_vec()])], &b());
    let cert = find(&all, Code::BaselineCertificateChanged)[0];
    assert!(
        cert.summary.ends_with("; the new one is self-signed"),
        "{}",
        cert.summary
    );
    assert!(!declares(cert), "{}", cert.fix);
    assert!(
        cert.fix.text().contains("no renewal to declare"),
        "{}",
        cert.fix
    );
    let issuer = find(&all, Code::BaselineIssuerChanged)[0];
    assert!(!declares(issuer), "{}", issuer.fix);
    assert!(
        issuer.fix.text().contains("no new CA to declare"),
        "{}",
        issuer.fix
    );
    // Expired.
    let mut spec = LeafSpec::valid_for(HOST, NOW, 0);
    spec.not_before = NOW - Duration::days(400);
    spec.not_after = NOW - Duration::days(3);
    let all = judge(&[serving(&w, w.chain(&spec, true))], &b());
    let cert = find(&all, Code::BaselineCertificateChanged)[0];
    assert!(cert.summary.ends_with("; the new one has expired"));
    assert!(!declares(cert), "{}", cert.fix);
    // Older than the baseline's, still valid: a rollback.
    let mut spec = LeafSpec::valid_for(HOST, NOW, 20);
    spec.not_before = NOW - Duration::days(300);
    let all = judge(&[serving(&w, w.chain(&spec, true))], &b());
    let cert = find(&all, Code::BaselineCertificateChanged)[0];
    assert_eq!(cert.severity, Severity::Warn);
    assert!(
        cert.summary
            .contains("this looks like a rollback to an older certificate"),
        "{}",
        cert.summary
    );
    assert!(
        cert.fix.text().contains("rollback to an older certificate"),
        "{}",
        cert.fix
    );
    // A newer certificate from the CA is offered as a renewal, as before.
    let all = judge(&[serving(&w, leaf_of(&w, 90))], &b());
    let cert = find(&all, Code::BaselineCertificateChanged)[0];
    assert!(declares(cert), "{}", cert.fix);
    assert!(!cert.summary.contains(';'), "{}", cert.summary);
}

/// An endpoint of the baseline that stopped before EHLO: connect timed out.
fn unreachable(mut obs: Observation) -> Observation {
    use crate::model::{FailureKind, Phase, PhaseFailure};
    obs = without_starttls(obs);
    obs.banner = None;
    obs.ehlo = None;
    obs.capabilities = None;
    obs.local_addr = None;
    obs.failure = Some(PhaseFailure {
        phase: Phase::Connect,
        kind: FailureKind::Timeout,
        message: "no answer within 10.0s".into(),
        reply: None,
        overall_deadline: false,
    });
    obs
}

/// A baseline made where port 25 is blocked saw nothing: one warning that nothing was
/// compared, never a pass, and no finding per endpoint.
#[test]
fn a_baseline_that_saw_no_ehlo_reply_warns_once_that_nothing_was_compared() {
    let w = world();
    let now = [
        at(serving(&w, leaf_of(&w, 60)), 10),
        at(serving(&w, leaf_of(&w, 60)), 11),
    ];
    let then = [unreachable(now[0].clone()), unreachable(now[1].clone())];
    let all = judge(&now, &with_baseline(baseline_of(TARGET, &then)));
    let baseline: Vec<&Finding> = all
        .iter()
        .filter(|f| f.code.as_str().starts_with("baseline-"))
        .collect();
    assert_eq!(baseline.len(), 1, "{baseline:#?}");
    let f = baseline[0];
    assert_eq!(
        (f.code, f.severity),
        (Code::BaselineTargetMissing, Severity::Warn)
    );
    assert_eq!(
        f.summary,
        "the baseline previous.json's report of contoso.test cannot be compared with: no endpoint of it got as far as an EHLO reply: \
         mx1.contoso.test [192.0.2.10]:25 stopped in connect: no answer within 10.0s; \
         mx1.contoso.test [192.0.2.11]:25 stopped in connect: no answer within 10.0s; nothing was compared"
    );
    assert!(
        f.fix
            .commands()
            .any(|(_, c)| c == "starttls-check contoso.test --format json"),
        "{}",
        f.fix
    );
    // An endpoint that answered EHLO without STARTTLS is something to compare.
    let then = [
        without_starttls(now[0].clone()),
        unreachable(now[1].clone()),
    ];
    let all = judge(&now, &with_baseline(baseline_of(TARGET, &then)));
    assert!(find(&all, Code::BaselineTargetMissing).is_empty());
    assert_eq!(find(&all, Code::BaselineStarttlsChanged).len(), 1);
}

/// A report of a batch's baseline made with other endpoint options (the edge, `cli`, reads
/// its command line): one warning naming the difference, not one per endpoint.
#[test]
fn a_baseline_made_with_other_endpoint_options_warns_once() {
    let w = world();
    let now = [at(serving(&w, leaf_of(&w, 60)), 10)];
    let mut b = baseline_of(TARGET, &now);
    b.reports[0].differences = vec!["-p 587 in the baseline, -p 25 in this run".into()];
    let all = judge(&now, &with_baseline(b));
    let baseline: Vec<&Finding> = all
        .iter()
        .filter(|f| f.code.as_str().starts_with("baseline-"))
        .collect();
    assert_eq!(baseline.len(), 1, "{baseline:#?}");
    assert!(
        baseline[0].summary.contains(
            "it was made with other options that decide which endpoints are probed: -p 587 in the baseline, -p 25 in this run"
        ),
        "{}",
        baseline[0].summary
    );
}

#[test]
fn starttls_lost_fails_and_is_explained_by_the_missing_keyword() {
    let w = world();
    let ok = serving(&w, leaf_of(&w, 60));
    let policy = with_baseline(baseline_of(TARGET, std::slice::from_ref(&ok)));
    let all = judge(&[without_starttls(ok.clone())], &policy);
    let f = find(&all, Code::BaselineStarttlsChanged)[0];
    assert_eq!(f.severity, Severity::Fail);
    assert!(
        f.summary
            .contains("no longer offered; the baseline of 2026-10-23 had it")
    );
    let cause = explained_by(f, &all).expect("starttls-not-offered explains it");
    assert_eq!(cause.code, Code::StarttlsNotOffered);
    assert!(
        find(&all, Code::BaselineCertificateChanged).is_empty(),
        "no certificate now: nothing to compare"
    );
    let back = judge(
        std::slice::from_ref(&ok),
        &with_baseline(baseline_of(TARGET, &[without_starttls(ok.clone())])),
    );
    let f = find(&back, Code::BaselineStarttlsChanged)[0];
    assert_eq!(f.severity, Severity::Info);
    let cert = find(&back, Code::BaselineCertificateChanged)[0];
    assert_eq!(
        cert.severity,
        Severity::Info,
        "a certificate where there was none"
    );
}

#[test]
fn a_moved_address_is_compared_with_the_hosts_others_and_only_informs() {
    let w = world();
    let cert = leaf_of(&w, 60);
    let then = [
        at(serving(&w, cert.clone()), 10),
        at(serving(&w, cert.clone()), 11),
    ];
    let policy = with_baseline(baseline_of(TARGET, &then));
    let now = [at(serving(&w, cert.clone()), 10), at(serving(&w, cert), 12)];
    let all = judge(&now, &policy);
    let new = find(&all, Code::BaselineEndpointNew);
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].severity, Severity::Info);
    assert_eq!(new[0].endpoint, "mx1.contoso.test [192.0.2.12]:25");
    let gone = find(&all, Code::BaselineEndpointGone);
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].severity, Severity::Info);
    assert_eq!(gone[0].endpoint, "mx1.contoso.test [192.0.2.11]:25");
    assert!(gone[0].endpoints.is_empty(), "no endpoint of this run");
    assert!(
        find(&all, Code::BaselineCertificateChanged).is_empty(),
        "same certificate as its peers"
    );
    assert!(all.iter().all(|f| f.severity == Severity::Info), "{all:#?}");
    // A moved address with another certificate than any of the host's: a change.
    let other = at(serving(&w, leaf_of(&w, 90)), 12);
    let all = judge(&[now[0].clone(), other], &policy);
    assert_eq!(
        find(&all, Code::BaselineCertificateChanged)[0].severity,
        Severity::Warn
    );
}

#[test]
fn a_host_that_vanished_or_appeared_warns() {
    let w = world();
    let mx1 = serving(&w, leaf_of(&w, 60));
    let mut mx2 = at(
        observed(
            "mx2.contoso.test",
            "mx2.contoso.test",
            w.chain(&LeafSpec::valid_for("mx2.contoso.test", NOW, 60), true),
            &w.trust,
        ),
        20,
    );
    mx2.endpoint.via = Some(crate::model::Via {
        domain: TARGET.into(),
        preference: 20,
    });
    let all = judge(
        std::slice::from_ref(&mx1),
        &with_baseline(baseline_of(TARGET, &[mx1.clone(), mx2.clone()])),
    );
    let gone = find(&all, Code::BaselineEndpointGone)[0];
    assert_eq!(gone.severity, Severity::Warn);
    assert_eq!(
        gone.summary,
        "mx2.contoso.test [192.0.2.20]:25: probed in the baseline of 2026-10-23, not by this run"
    );
    assert!(
        gone.evidence
            .contains(&"baseline command: starttls-check contoso.test --format json".to_string())
    );
    let cmds: Vec<&str> = gone.fix.commands().map(|(_, c)| c).collect();
    assert_eq!(
        cmds,
        [
            "dig +short MX contoso.test",
            "dig +short A mx2.contoso.test"
        ]
    );
    let all = judge(
        &[mx1.clone(), mx2],
        &with_baseline(baseline_of(TARGET, &[mx1])),
    );
    let new = find(&all, Code::BaselineEndpointNew)[0];
    assert_eq!(new.severity, Severity::Warn);
    assert_eq!(new.endpoint, "mx2.contoso.test [192.0.2.20]:25");
}

#[test]
fn a_batch_target_the_baseline_lacks_warns_instead_of_passing() {
    let w = world();
    let mx1 = serving(&w, leaf_of(&w, 60));
    let policy = with_baseline(baseline_of("fabrikam.test", std::slice::from_ref(&mx1)));
    let all = judge(&[mx1], &policy);
    let f = find(&all, Code::BaselineTargetMissing)[0];
    assert_eq!(f.severity, Severity::Warn);
    assert_eq!(
        f.summary,
        "the baseline previous.json holds no report for contoso.test: nothing was compared"
    );
    assert!(
        f.evidence[0].ends_with("holds only fabrikam.test"),
        "{:?}",
        f.evidence
    );
}

/// The renewal findings for one server kind, for the sweep of every fix
/// (`rules/sweep.rs`): `observe` makes an observation of `HOST` by that kind with a chain.
pub(in crate::diagnose::rules) fn swept(
    w: &World,
    kind: &str,
    observe: &dyn Fn(Vec<Vec<u8>>) -> Observation,
) -> Vec<(String, Finding)> {
    let (old, new, other) = (leaf_of(w, 10), leaf_of(w, 90), other_ca_leaf(w));
    let then = [at(observe(old.clone()), 10), at(observe(old.clone()), 11)];
    let mut policy = with_baseline(baseline_of(TARGET, &then));
    let mut out = Vec::new();
    let mut add = |name: &str, obs: &[Observation], policy: &Policy| {
        let name = format!("{kind}/renewal-{name}");
        out.extend(judge(obs, policy).into_iter().map(|f| (name.clone(), f)));
    };
    add("changed", &[at(observe(new.clone()), 10)], &policy);
    add("new-ca", &[at(observe(other.clone()), 10)], &policy);
    add("lower", &[at(tls12(observe(old.clone())), 10)], &policy);
    add(
        "lost",
        &[at(without_starttls(observe(old.clone())), 10)],
        &policy,
    );
    add("moved", &[at(observe(old.clone()), 12)], &policy);
    add(
        "handshake-lost",
        &[at(legacy_only(observe(old.clone()), Some(0x0302)), 10)],
        &policy,
    );
    let own = crate::scripted::pki::self_signed(&LeafSpec::valid_for(HOST, NOW, 300)).unwrap();
    add(
        "self-signed",
        &[at(observe(vec![own.chain[0].to_vec()]), 10)],
        &policy,
    );
    let mut older = LeafSpec::valid_for(HOST, NOW, 5);
    older.not_before = NOW - Duration::days(300);
    add(
        "rollback",
        &[at(observe(w.chain(&older, true)), 10)],
        &policy,
    );
    policy.expected_fingerprints = vec![fp(&new)];
    policy.expected_issuers = vec![IssuerPattern::parse("Unit Issuing CA").unwrap()];
    add("declared", &[at(observe(new), 10)], &policy);
    add(
        "stale",
        &[at(observe(old.clone()), 10), at(observe(other), 11)],
        &policy,
    );
    let mut gone = with_baseline(baseline_of("fabrikam.test", &then));
    gone.expected_fingerprints = policy.expected_fingerprints.clone();
    add("no-report", &[at(observe(old), 10)], &gone);
    out
}

/// An observation that stopped before TLS with nothing that fails it or leaves it unknown
/// (not a state the probe records today): the expectation is reported as not checked, so
/// the run cannot pass without having seen the certificate.
#[test]
fn an_unseen_certificate_never_passes_an_expectation() {
    let w = world();
    let mut obs = serving(&w, leaf_of(&w, 90));
    obs.tls = None;
    obs.trust = None;
    obs.chain = Vec::new();
    obs.ehlo_tls = None;
    obs.starttls_reply = None;
    assert!(judge(&[obs.clone()], &Policy::default()).is_empty());
    let policy = Policy {
        expected_issuers: vec![IssuerPattern::parse("R11").unwrap()],
        ..Policy::default()
    };
    let all = judge(&[obs.clone()], &policy);
    let f = find(&all, Code::CertUnexpectedIssuer)[0];
    assert_eq!(f.severity, Severity::Fail);
    assert_eq!(
        f.summary,
        "presented no certificate, so --expect-issuer could not be checked"
    );
    let policy = Policy {
        expected_fingerprints: vec![fp(&leaf_of(&w, 90))],
        ..policy
    };
    let all = judge(&[obs], &policy);
    assert_eq!(all.len(), 1, "one finding, for the fingerprint: {all:#?}");
    assert_eq!(all[0].code, Code::CertUnexpectedFingerprint);
    assert_eq!(all[0].evidence, ["the probe did not reach a TLS handshake"]);
}
