//! Every `listen` rule proven on hand-built sessions; the builders are shared with the
//! report's tests (`report/listen.rs`).

use std::time::{Duration, Instant};

use time::OffsetDateTime;
use time::macros::datetime;

use super::*;
use crate::listen::model::{
    Greeting, ListenHandshakeError, NegotiatedIn, OurCertificate, RunEnd, SessionEnd,
};
use crate::scripted::{Ca, LeafSpec};
use crate::smtp::{Direction, Transcript};
use crate::tls::{TlsVersion, TrustResult};

/// The fixed clock of these tests.
pub(crate) const NOW: OffsetDateTime = datetime!(2026-11-22 12:00 UTC);

/// A healthy session: EHLO, STARTTLS, TLS 1.3, EHLO again, MAIL, RCPT refused, QUIT; no
/// client certificate.
pub(crate) fn session() -> SenderSession {
    let mut transcript = Transcript::new(Instant::now());
    for (d, line) in [
        (
            Direction::Sent,
            "220 listener.test ESMTP starttls-check receiver",
        ),
        (Direction::Received, "EHLO mail.contoso.test"),
        (Direction::Sent, "250-listener.test\r\n250 STARTTLS"),
        (Direction::Received, "STARTTLS"),
        (Direction::Sent, "220 2.0.0 Ready to start TLS"),
        (Direction::Received, "QUIT"),
    ] {
        transcript.push(d, line.as_bytes());
    }
    for e in &mut transcript.entries {
        e.at_ms = 3;
    }
    SenderSession {
        id: 1,
        peer: "127.0.0.1:40000".parse().unwrap(),
        ptr: Ptr::Skipped("loopback peer"),
        started_at: NOW,
        duration: Duration::from_millis(12),
        greeting: Some(Greeting {
            verb: "EHLO",
            name: "mail.contoso.test".into(),
        }),
        starttls: StarttlsUse::Used,
        pipelined_after_starttls: Vec::new(),
        client_hello: Some(OfferedHello {
            legacy_version: 0x0303,
            supported_versions: vec![0x0304, 0x0303],
            cipher_suites: vec![0x1302, 0x1301, 0xc02f],
            sni: None,
            alpn: Vec::new(),
            groups: vec![0x001d, 0x0017],
            signature_schemes: vec![0x0804],
            truncated: false,
        }),
        tls: Some(NegotiatedIn {
            version: TlsVersion::Tls13,
            cipher_suite: "TLS13_AES_256_GCM_SHA384".into(),
            key_exchange: Some("X25519".into()),
        }),
        handshake_error: None,
        client_chain: Vec::new(),
        client_trust: None,
        greeting_after_tls: Some(Greeting {
            verb: "EHLO",
            name: "mail.contoso.test".into(),
        }),
        mail_from: Some("postmaster@contoso.test".into()),
        rcpt_to: vec!["user@fabrikam.test".into()],
        refused_with: Some(
            "451 4.7.0 starttls-check receiver: TLS 1.3, no client certificate".into(),
        ),
        end: SessionEnd::Quit,
        transcript,
    }
}

/// A client certificate chain for `name` (clientAuth, or serverAuth only), issued by a test
/// CA, valid for `days` more days (negative: expired).
pub(crate) fn client_chain(name: &str, client_auth: bool, days: i64) -> Vec<Vec<u8>> {
    let ca = Ca::root("Listen Test Root", NOW).unwrap();
    let mut spec = LeafSpec::valid_for(name, NOW, days);
    if days < 0 {
        spec.not_before = NOW - time::Duration::days(90);
    }
    spec.client_auth_only = client_auth;
    let leaf = ca.leaf(&spec).unwrap();
    leaf.chain.iter().map(|c| c.to_vec()).collect()
}

/// A trust verdict: trusted, or not with a reason.
pub(crate) fn trust(trusted: bool) -> TrustResult {
    TrustResult {
        trusted,
        valid_now: trusted,
        failure: None,
        reason: (!trusted).then(|| "issued by an unknown CA (CN=Listen Test Root)".into()),
        top_issuer_trusted: trusted,
        path: if trusted { vec![0] } else { Vec::new() },
    }
}

/// A session that presented a trusted clientAuth certificate for `name`.
pub(crate) fn with_cert(name: &str) -> SenderSession {
    let mut s = session();
    s.client_chain = client_chain(name, true, 200);
    s.client_trust = Some(trust(true));
    s
}

/// A run of `sessions` on 127.0.0.1:2525 with a generated certificate.
pub(crate) fn run(sessions: Vec<SenderSession>) -> ListenRun {
    ListenRun {
        bound: "127.0.0.1:2525".parse().unwrap(),
        public: false,
        certificate: OurCertificate {
            subject: "CN=listener.test".into(),
            dns_names: vec!["listener.test".into()],
            sha256: "ab:cd".into(),
            generated: true,
        },
        expect_names: Vec::new(),
        warn_days: i64::from(crate::settings::DEFAULT_WARN_DAYS),
        started_at: NOW - time::Duration::seconds(75),
        ended: RunEnd::Once,
        sessions,
    }
}

fn codes(findings: &[Finding]) -> Vec<(&'static str, Severity)> {
    findings
        .iter()
        .map(|f| (f.code.as_str(), f.severity))
        .collect()
}

fn expect(n: &str) -> Vec<String> {
    vec![n.to_string()]
}

#[test]
fn a_healthy_sender_with_a_certificate_and_expect_name_is_sender_ok_only() {
    let f = session_findings(
        &with_cert("mail.contoso.test"),
        &expect("mail.contoso.test"),
        NOW,
    );
    assert_eq!(codes(&f), [("sender-ok", Severity::Info)]);
    assert_eq!(f[0].endpoint, "sender 127.0.0.1:40000");
    assert!(f[0].endpoints.is_empty());
    assert_eq!(
        crate::report::Verdict::from_findings(&f),
        crate::report::Verdict::Pass
    );
}

#[test]
fn no_certificate_without_expect_name_is_info_only() {
    let f = session_findings(&session(), &[], NOW);
    assert_eq!(
        codes(&f),
        [
            ("sender-ok", Severity::Info),
            ("sender-no-client-cert", Severity::Info)
        ]
    );
    assert_eq!(
        crate::report::Verdict::from_findings(&f),
        crate::report::Verdict::Pass
    );
}

#[test]
fn no_certificate_with_expect_name_warns_with_send_connector_and_postfix_fixes() {
    let f = session_findings(&session(), &expect("mail.contoso.test"), NOW);
    assert_eq!(codes(&f), [("sender-no-client-cert", Severity::Warn)]);
    let text = f[0].fix.text();
    assert!(text.contains("-TlsCertificateName $n"), "{text}");
    assert!(
        text.contains("Get-ExchangeCertificate -DomainName 'mail.contoso.test'"),
        "{text}"
    );
    assert!(text.contains("smtp_tls_cert_file"), "{text}");
    assert!(text.contains("smtp_tls_security_level = may"), "{text}");
    assert!(
        text.contains("tls_certificate and tls_privatekey"),
        "{text}"
    );
}

#[test]
fn no_starttls_before_mail_fails_but_a_sender_that_only_greets_is_not_judged() {
    let mut s = session();
    s.starttls = StarttlsUse::NotUsed;
    s.client_hello = None;
    s.tls = None;
    s.greeting_after_tls = None;
    let f = session_findings(&s, &[], NOW);
    assert_eq!(codes(&f), [("sender-no-starttls", Severity::Fail)]);
    assert!(f[0].fix.text().contains("-IgnoreSTARTTLS $false"));
    // The envelope address is evidence, never pasted into a command.
    assert!(f[0].fix.commands().all(|(_, c)| !c.contains("postmaster@")));
    s.mail_from = None;
    s.rcpt_to.clear();
    assert!(session_findings(&s, &[], NOW).is_empty());
}

#[test]
fn helo_only_fails() {
    let mut s = session();
    s.greeting = Some(Greeting {
        verb: "HELO",
        name: "old.contoso.test".into(),
    });
    s.starttls = StarttlsUse::NotUsed;
    s.tls = None;
    s.client_hello = None;
    s.greeting_after_tls = None;
    let f = session_findings(&s, &[], NOW);
    assert_eq!(codes(&f), [("sender-helo-only", Severity::Fail)]);
}

fn failed(kind: ListenHandshakeFailure) -> SenderSession {
    let mut s = session();
    s.starttls = StarttlsUse::HandshakeFailed;
    s.tls = None;
    s.greeting_after_tls = None;
    s.mail_from = None;
    s.handshake_error = Some(ListenHandshakeError {
        kind,
        reason: "the sender ended the handshake".into(),
        detail: "AlertReceived(HandshakeFailure)".into(),
    });
    s
}

#[test]
fn a_failed_handshake_fails_with_its_error() {
    let f = session_findings(&failed(ListenHandshakeFailure::Alert), &[], NOW);
    assert_eq!(codes(&f), [("sender-tls-failed", Severity::Fail)]);
    assert!(f[0].evidence[0].contains("AlertReceived(HandshakeFailure)"));
}

#[test]
fn a_refused_listener_certificate_warns_and_says_run_with_cert() {
    let f = session_findings(
        &failed(ListenHandshakeFailure::RefusedOurCertificate),
        &[],
        NOW,
    );
    assert_eq!(
        codes(&f),
        [("sender-refused-our-certificate", Severity::Warn)]
    );
    assert!(f[0].fix.text().contains("--cert FILE"));
}

#[test]
fn a_legacy_only_hello_fails_as_legacy_not_as_a_failed_handshake() {
    let mut s = failed(ListenHandshakeFailure::LegacyVersionsOnly);
    s.client_hello = Some(OfferedHello {
        legacy_version: 0x0301,
        ..OfferedHello::default()
    });
    let f = session_findings(&s, &[], NOW);
    assert_eq!(codes(&f), [("sender-tls-legacy", Severity::Fail)]);
    assert!(f[0].summary.contains("TLS 1.0"), "{}", f[0].summary);
    // Read from the hello, whatever rustls called the failure.
    let mut s = failed(ListenHandshakeFailure::Other);
    s.client_hello = Some(OfferedHello {
        legacy_version: 0x0302,
        ..OfferedHello::default()
    });
    assert_eq!(
        codes(&session_findings(&s, &[], NOW)),
        [("sender-tls-legacy", Severity::Fail)]
    );
}

#[test]
fn a_tls10_hello_without_supported_versions_names_tls10_only_never_ssl3() {
    // `openssl s_client -starttls smtp -tls1`: 03 01, no supported_versions.
    let mut s = failed(ListenHandshakeFailure::LegacyVersionsOnly);
    s.client_hello = Some(OfferedHello {
        legacy_version: 0x0301,
        ..OfferedHello::default()
    });
    let f = session_findings(&s, &[], NOW);
    assert_eq!(f[0].summary, "the sender offers nothing newer than TLS 1.0");
    assert!(
        f[0].evidence.contains(
            &"ClientHello offered up to TLS 1.0 (no supported_versions extension)".to_string()
        ),
        "{:?}",
        f[0].evidence
    );
    let all = format!("{} {:?}", f[0].summary, f[0].evidence);
    assert!(!all.contains("SSL 3.0"), "{all}");
    // -tls1_1: TLS 1.1 only, nothing older listed.
    s.client_hello = Some(OfferedHello {
        legacy_version: 0x0302,
        ..OfferedHello::default()
    });
    let f = session_findings(&s, &[], NOW);
    assert_eq!(f[0].summary, "the sender offers nothing newer than TLS 1.1");
    let all = format!("{:?}", f[0].evidence);
    assert!(
        !all.contains("TLS 1.0") && !all.contains("SSL 3.0"),
        "{all}"
    );
}

#[test]
fn old_versions_beside_new_ones_are_info_only_when_the_hello_lists_them() {
    let mut s = session();
    if let Some(h) = s.client_hello.as_mut() {
        h.supported_versions = vec![0x0304, 0x0303, 0x0302, 0x0301];
    }
    let f = session_findings(&s, &[], NOW);
    assert!(codes(&f).contains(&("sender-tls-old-versions-offered", Severity::Info)));
    assert!(codes(&f).contains(&("sender-ok", Severity::Info)));
    // A TLS 1.2 hello without supported_versions names its best version only.
    if let Some(h) = s.client_hello.as_mut() {
        h.supported_versions.clear();
    }
    let f = session_findings(&s, &[], NOW);
    assert!(
        !codes(&f)
            .iter()
            .any(|(c, _)| *c == "sender-tls-old-versions-offered")
    );
}

#[test]
fn a_certificate_without_the_expected_name_fails_and_suggests_both_sides() {
    let f = session_findings(
        &with_cert("relay.contoso.test"),
        &expect("mail.contoso.test"),
        NOW,
    );
    assert_eq!(codes(&f)[0], ("sender-cert-name-mismatch", Severity::Fail));
    let text = f[0].fix.text();
    assert!(
        text.contains("-TlsSenderCertificateName 'relay.contoso.test'"),
        "{text}"
    );
    assert!(text.contains("Set-SendConnector"), "{text}");
    // Exchange Online's pattern: the domain and all its subdomains.
    let f = session_findings(
        &with_cert("relay.contoso.test"),
        &expect("*.contoso.test"),
        NOW,
    );
    assert_eq!(codes(&f)[0], ("sender-ok", Severity::Info));
    assert!(f.iter().all(|f| f.severity == Severity::Info));
}

#[test]
fn an_expired_client_certificate_fails() {
    let mut s = session();
    s.client_chain = client_chain("mail.contoso.test", true, -3);
    s.client_trust = Some(trust(true));
    let f = session_findings(&s, &[], NOW);
    assert_eq!(codes(&f), [("sender-cert-expired", Severity::Fail)]);
    assert!(
        f[0].fix
            .text()
            .contains("Get-ExchangeCertificate -Thumbprint ")
    );
}

#[test]
fn an_untrusted_client_certificate_warns_and_unjudged_trust_is_no_finding() {
    let mut s = with_cert("mail.contoso.test");
    s.client_trust = Some(trust(false));
    let f = session_findings(&s, &[], NOW);
    assert_eq!(codes(&f), [("sender-cert-untrusted", Severity::Warn)]);
    s.client_trust = None;
    assert_eq!(
        codes(&session_findings(&s, &[], NOW)),
        [("sender-ok", Severity::Info)]
    );
}

#[test]
fn a_server_only_certificate_warns_no_client_auth() {
    let mut s = session();
    s.client_chain = client_chain("mail.contoso.test", false, 200);
    s.client_trust = Some(trust(true));
    let f = session_findings(&s, &[], NOW);
    assert_eq!(codes(&f), [("sender-cert-no-client-auth", Severity::Warn)]);
}

#[test]
fn mail_without_ehlo_after_tls_warns() {
    let mut s = session();
    s.greeting_after_tls = None;
    let f = session_findings(&s, &[], NOW);
    assert_eq!(codes(&f)[0], ("sender-ehlo-not-repeated", Severity::Warn));
}

#[test]
fn pipelined_commands_after_starttls_fail_and_are_shown_escaped() {
    let mut s = session();
    s.pipelined_after_starttls = b"MAIL FROM:<a@b>\r\n\x1b[2J".to_vec();
    let f = session_findings(&s, &[], NOW);
    assert_eq!(codes(&f)[0], ("sender-pipelined-starttls", Severity::Fail));
    let ev = f[0].evidence.join(" ");
    assert!(
        ev.contains("\\r\\n\\x1b[2J") && !ev.contains('\x1b'),
        "{ev}"
    );
}

#[test]
fn an_ehlo_name_off_the_certificate_or_ptr_is_info() {
    let mut s = with_cert("relay.contoso.test");
    let f = session_findings(&s, &[], NOW);
    assert_eq!(
        codes(&f),
        [
            ("sender-ok", Severity::Info),
            ("sender-ehlo-name-mismatch", Severity::Info)
        ]
    );
    assert!(f[1].fix.text().contains("-Fqdn 'relay.contoso.test'"));
    let mut p = session();
    p.ptr = Ptr::Names {
        names: vec!["host-7.isp.test".into()],
        forward_confirmed: true,
    };
    let f = session_findings(&p, &[], NOW);
    assert!(codes(&f).contains(&("sender-ehlo-name-mismatch", Severity::Info)));
    // A hostile name is shown, never matched or pasted.
    s.greeting_after_tls = Some(Greeting {
        verb: "EHLO",
        name: crate::smtp::escape(b"\x1b[31mevil\xe2\x80\xae"),
    });
    let f = session_findings(&s, &[], NOW);
    assert!(
        !codes(&f)
            .iter()
            .any(|(c, _)| *c == "sender-ehlo-name-mismatch")
    );
}

#[test]
fn no_sender_is_an_inconclusive_run_finding() {
    let f = run_findings(&run(Vec::new()));
    assert_eq!(codes(&f), [("listen-no-sender", Severity::Info)]);
    assert!(f[0].code.inconclusive());
    assert!(f[0].fix.text().contains("--public"));
    assert!(run_findings(&run(vec![session()])).is_empty());
}

/// What must hold of every fix a listen rule writes: text to show, no empty command, no
/// `<placeholder>` in a POSIX shell command (a redirection there), and nothing the sender
/// chose (its EHLO name, its envelope) in any command.
#[test]
fn every_listen_fix_is_usable_and_pastes_nothing_the_sender_chose() {
    let mut all = Vec::new();
    let mut s = with_cert("relay.contoso.test");
    s.greeting = Some(Greeting {
        verb: "EHLO",
        name: "ehlo-chosen.contoso.test".into(),
    });
    s.greeting_after_tls = None;
    s.pipelined_after_starttls = b"RSET\r\n".to_vec();
    s.mail_from = Some("envelope-chosen@contoso.test".into());
    if let Some(h) = s.client_hello.as_mut() {
        h.supported_versions.push(0x0301);
    }
    s.client_trust = Some(trust(false));
    all.extend(session_findings(&s, &expect("mail.contoso.test"), NOW));
    let mut e = session();
    e.client_chain = client_chain("mail.contoso.test", false, -3);
    all.extend(session_findings(&e, &expect("mail.contoso.test"), NOW));
    all.extend(session_findings(
        &session(),
        &expect("mail.contoso.test"),
        NOW,
    ));
    all.extend(session_findings(&with_cert("mail.contoso.test"), &[], NOW));
    let mut soon = with_cert("mail.contoso.test");
    soon.client_chain = client_chain("mail.contoso.test", true, 2);
    all.extend(session_findings(&soon, &[], NOW));
    for kind in [
        ListenHandshakeFailure::Alert,
        ListenHandshakeFailure::RefusedOurCertificate,
        ListenHandshakeFailure::LegacyVersionsOnly,
    ] {
        all.extend(session_findings(&failed(kind), &[], NOW));
    }
    let mut plain = session();
    plain.starttls = StarttlsUse::NotUsed;
    all.extend(session_findings(&plain, &[], NOW));
    plain.greeting = Some(Greeting {
        verb: "HELO",
        name: "x.test".into(),
    });
    all.extend(session_findings(&plain, &[], NOW));
    all.extend(run_findings(&run(Vec::new())));
    let seen: std::collections::BTreeSet<&str> = all.iter().map(|f| f.code.as_str()).collect();
    let listen_codes = crate::diagnose::catalogue::CATALOGUE
        .iter()
        .filter(|e| {
            (e.id.starts_with("sender-") && e.id != "sender-certificate-missing")
                || e.id == "listen-no-sender"
        })
        .count();
    assert_eq!(
        seen.len(),
        listen_codes,
        "every listen code is reached: {seen:?}"
    );
    for f in &all {
        assert!(!f.fix.text().trim().is_empty(), "{}: empty fix", f.code);
        for (shell, cmd) in f.fix.commands() {
            assert!(!cmd.trim().is_empty(), "{}: empty command", f.code);
            assert!(
                !cmd.contains("chosen"),
                "{}: the sender's text in a command: {cmd}",
                f.code
            );
            if matches!(
                shell,
                crate::diagnose::Shell::PostfixShell | crate::diagnose::Shell::Shell
            ) {
                assert!(
                    !cmd.contains('<'),
                    "{}: a placeholder in a shell command: {cmd}",
                    f.code
                );
            }
        }
    }
}

#[test]
fn a_client_certificate_with_one_day_left_warns_expires_soon() {
    let mut s = with_cert("mail.contoso.test");
    s.client_chain = client_chain("mail.contoso.test", true, 1);
    let f = session_findings(&s, &expect("mail.contoso.test"), NOW);
    assert_eq!(codes(&f), [("sender-cert-expires-soon", Severity::Warn)]);
    assert!(
        f[0].summary
            .starts_with("the sender's certificate expires in 1 day, on "),
        "{}",
        f[0].summary
    );
    assert!(f[0].fix.text().contains("Renew"));
    // The threshold is a parameter: with 0 warning days the same certificate passes.
    let f = session_findings_with(&s, &expect("mail.contoso.test"), NOW, 0);
    assert_eq!(codes(&f), [("sender-ok", Severity::Info)]);
    // 200 days left: no warning at the default.
    let f = session_findings(
        &with_cert("mail.contoso.test"),
        &expect("mail.contoso.test"),
        NOW,
    );
    assert_eq!(codes(&f), [("sender-ok", Severity::Info)]);
}
