//! `explain`'s renderers, snapshotted on a fixed explanation (and a fixed probe report), and
//! the hostile-text rules checked on every format.

use time::macros::datetime;

use super::*;
use crate::diagnose::fix::Family;
use crate::diagnose::{Fix, Shell};
use crate::explain::{Extracted, ProbeSuggestion};
use crate::model::{EndpointId, TlsMode};
use crate::target::Host;

const ALL: [Format; 3] = [Format::Human, Format::Json, Format::Markdown];

fn opts() -> RenderOptions {
    RenderOptions {
        tool_line: false,
        ..RenderOptions::default()
    }
}

/// What the engine would make of an Exchange Online message-trace detail (Microsoft Learn:
/// "Fix NDR error 450 4.7.320"-style text) naming the on-premises server.
fn explanation() -> Explanation {
    Explanation {
        extracted: Extracted {
            reply_codes: vec![450],
            enhanced_codes: vec!["4.7.320".into()],
            message: Some("SubjectMismatch".into()),
            remote_reply: None,
            hosts: vec!["mail.contoso.com".into()],
            addresses: vec!["203.0.113.5".parse().unwrap()],
            connectors: vec!["Outbound to Contoso".into()],
            port: Some(25),
            ..Extracted::default()
        },
        matches: vec![Match {
            code: Code::CertNameMismatch,
            side: Side::Receiver,
            matched: "450 4.7.320 Certificate validation failed [Message=SubjectMismatch]".into(),
            meaning: "Exchange Online checked the certificate of mail.contoso.com and the name it \
                      expects is not on it"
                .into(),
            causes: vec![
                "one node behind the load balancer presents its self-signed certificate".into(),
                "the certificate lacks the connector's TlsDomain".into(),
            ],
            fix: Fix::new(Family::Exchange, "test::fix", &[])
                .say("Bind a certificate that covers mail.contoso.com to SMTP:")
                .run(
                    Shell::ExchangeManagementShell,
                    "Enable-ExchangeCertificate -Thumbprint <thumbprint> -Services SMTP",
                ),
        }],
        probe: Some(ProbeSuggestion {
            target: "[mail.contoso.com]".into(),
            args: vec![
                "--resolve".into(),
                "mail.contoso.com:203.0.113.5".into(),
                "--expect-name".into(),
                "mail.contoso.com".into(),
            ],
            command: "starttls-check '[mail.contoso.com]' --resolve mail.contoso.com:203.0.113.5 \
                      --expect-name mail.contoso.com"
                .into(),
        }),
    }
}

fn id() -> EndpointId {
    EndpointId {
        host: Host::Name("mail.contoso.com".into()),
        address: "203.0.113.5:25".parse().unwrap(),
        tls_mode: TlsMode::Starttls,
    }
}

fn finding(code: Code, summary: &str) -> Finding {
    Finding::new(
        code,
        code.default_severity(),
        id().label(),
        vec![id()],
        summary.into(),
        vec!["CN=EXCH01 (issued by CN=EXCH01)".into()],
        Fix::new(Family::Generic, "test::probe", &[]).say("Replace the certificate."),
    )
}

fn probe_report(findings: Vec<Finding>) -> Report {
    Report::new(
        "[mail.contoso.com]".into(),
        findings,
        Vec::new(),
        Vec::new(),
        datetime!(2026-03-01 12:00 UTC),
    )
}

#[test]
fn explanation_human_snapshot() {
    insta::assert_snapshot!(render(
        &explanation(),
        Probed::NotAsked,
        Format::Human,
        opts()
    ));
}

#[test]
fn explanation_markdown_snapshot() {
    insta::assert_snapshot!(render(
        &explanation(),
        Probed::NotAsked,
        Format::Markdown,
        opts()
    ));
}

#[test]
fn explanation_json_has_the_contract_shape() {
    let doc = render(&explanation(), Probed::NotAsked, Format::Json, opts());
    let j: Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(j["schema_version"], 1);
    assert_eq!(j["tool"]["name"], "starttls-check");
    assert_eq!(j["kind"], "explain");
    assert_eq!(j["recognised"], true);
    assert_eq!(j["extracted"]["enhanced_codes"][0], "4.7.320");
    assert_eq!(j["extracted"]["addresses"][0], "203.0.113.5");
    assert_eq!(j["extracted"]["truncated"], false);
    let m = &j["matches"][0];
    assert_eq!(m["code"], "cert-name-mismatch");
    assert_eq!(m["severity"], "fail");
    assert_eq!(m["side"], "receiver");
    assert!(m["matched"].as_str().unwrap().contains("SubjectMismatch"));
    assert_eq!(m["causes"].as_array().unwrap().len(), 2);
    assert!(
        m["fix"]
            .as_str()
            .unwrap()
            .contains("  Enable-ExchangeCertificate")
    );
    assert_eq!(m["steps"][1]["shell"], "exchange-management-shell");
    assert_eq!(j["probe"]["target"], "[mail.contoso.com]");
    assert_eq!(j["probe"]["args"][0], "--resolve");
    assert!(
        j["probe"]["command"]
            .as_str()
            .unwrap()
            .starts_with("starttls-check ")
    );
    assert!(j.get("findings").is_none(), "findings only with --probe");
    insta::assert_snapshot!(doc);
}

#[test]
fn nothing_recognised_still_shows_the_extract() {
    let mut e = explanation();
    e.matches.clear();
    e.probe = None;
    e.extracted.truncated = true;
    let human = render(&e, Probed::NotAsked, Format::Human, opts());
    assert!(human.starts_with("NOT RECOGNISED"), "{human}");
    assert!(
        human.contains("4.7.320") && human.contains("was cut"),
        "{human}"
    );
    let j: Value =
        serde_json::from_str(&render(&e, Probed::NotAsked, Format::Json, opts())).unwrap();
    assert_eq!(j["recognised"], false);
    assert_eq!(j["extracted"]["truncated"], true);
    assert!(j["probe"].is_null());
    let md = render(&e, Probed::NothingToProbe, Format::Markdown, opts());
    assert!(md.contains("nothing to probe"), "{md}");
}

/// The brief's example: the text says certificate validation failed; the probe sees a
/// self-signed certificate there: that is the cause.
#[test]
fn the_probe_joins_the_text_to_its_cause() {
    let report = probe_report(vec![
        finding(
            Code::CertSelfSigned,
            "certificate is self-signed: CN=EXCH01",
        ),
        finding(
            Code::CertNameMismatch,
            "certificate does not cover mail.contoso.com",
        ),
    ]);
    let e = explanation();
    let joined = joins(&e, &report.findings);
    assert_eq!(
        joined,
        [
            "the text says cert-name-mismatch (450 4.7.320 Certificate validation failed \
          [Message=SubjectMismatch]); the probe sees cert-self-signed at mail.contoso.com \
          [203.0.113.5]:25: that is the cause"
        ]
    );
    // The same code, no cause: confirmed.
    let same = probe_report(vec![finding(Code::CertNameMismatch, "not covered")]);
    assert!(joins(&e, &same.findings)[0].ends_with("too: confirmed"));
    // Nothing wrong now.
    let fine = probe_report(vec![Finding::new(
        Code::StarttlsOk,
        Severity::Info,
        id().label(),
        vec![id()],
        "STARTTLS works".into(),
        vec![],
        Fix::new(Family::Generic, "t", &[]),
    )]);
    assert!(joins(&e, &fine.findings)[0].contains("sees no problem now"));
    // Something else.
    let other = probe_report(vec![finding(Code::CertExpired, "expired")]);
    assert!(joins(&e, &other.findings)[0].contains("does not see it, but sees cert-expired"));

    let command = "starttls-check '[mail.contoso.com]' --resolve mail.contoso.com:203.0.113.5";
    let probed = Probed::Ran {
        command,
        report: &report,
    };
    let human = render(&e, probed, Format::Human, opts());
    assert!(human.contains(&format!("Probe: {command}")), "{human}");
    assert!(human.contains("FAIL [mail.contoso.com]"), "{human}");
    assert!(
        human.contains("Together\n  the text says cert-name-mismatch"),
        "{human}"
    );
    let j: Value = serde_json::from_str(&render(&e, probed, Format::Json, opts())).unwrap();
    assert_eq!(j["verdict"], "fail");
    assert_eq!(j["findings"][0]["code"], "cert-self-signed");
    assert_eq!(j["probe_command"], command);
    assert!(
        j["joined"][0]
            .as_str()
            .unwrap()
            .ends_with("that is the cause")
    );
    let md = render(&e, probed, Format::Markdown, opts());
    assert!(
        md.contains("### STARTTLS check: FAIL") && md.contains("**Together:**"),
        "{md}"
    );
}

#[test]
fn every_code_has_its_long_text_in_every_format() {
    for code in Code::ALL {
        for format in ALL {
            let text = render_code(code, format, false);
            assert!(text.contains(code.as_str()), "{code} {format:?}");
            if format != Format::Markdown {
                assert!(text.contains(code.entry().meaning), "{code} {format:?}");
            }
        }
        let j: Value = serde_json::from_str(&render_code(code, Format::Json, false)).unwrap();
        assert_eq!(j["kind"], "code");
        assert_eq!(j["code"]["code"], code.as_str());
        assert!(j.get("findings").is_none());
    }
    let j: Value =
        serde_json::from_str(&render_code(Code::CertExpired, Format::Json, true)).unwrap();
    assert_eq!(j["findings"], serde_json::json!([]));
    assert!(
        j["probe_note"]
            .as_str()
            .unwrap()
            .contains("nothing to probe")
    );
}

#[test]
fn code_human_snapshot() {
    insta::assert_snapshot!(render_code(Code::CertSelfSigned, Format::Human, false));
}

#[test]
fn a_word_that_is_no_code_lists_the_near_ones() {
    let near = [Code::CertExpired, Code::CertExpiresSoon];
    let human = render_not_a_code("cert-expird", &near, Format::Human);
    assert!(
        human.starts_with("'cert-expird' is not a finding code"),
        "{human}"
    );
    assert!(human.contains("  cert-expired ") && human.contains("cert-expires-soon"));
    let j: Value =
        serde_json::from_str(&render_not_a_code("cert-expird", &near, Format::Json)).unwrap();
    assert!(j["code"].is_null());
    assert_eq!(j["asked"], "cert-expird");
    assert_eq!(j["near_matches"][0], "cert-expired");
    let md = render_not_a_code("x`y\x1b", &near, Format::Markdown);
    assert!(
        md.starts_with("`` x`y\\x1b `` is not") && !md.contains('\x1b'),
        "{md}"
    );
}

/// Whatever the engine lets through, no control character, ANSI escape or bidi override
/// reaches the output, in any format.
#[test]
fn hostile_text_is_made_visible_in_every_format() {
    let evil = "evil\x1b[2J\x1b]0;pwned\x07\u{202e}gnp.exe\r\nFAKE LINE\u{0}";
    let mut e = explanation();
    e.extracted.message = Some(evil.into());
    e.extracted.hosts.push(evil.into());
    e.extracted.connectors.push(evil.into());
    e.extracted.remote_reply = Some(evil.into());
    let m = &mut e.matches[0];
    m.matched = evil.into();
    m.meaning = evil.into();
    m.causes.push(evil.into());
    m.fix.steps.push(Step::Prose { text: evil.into() });
    m.fix = m.fix.clone().run(Shell::Shell, evil);
    if let Some(p) = &mut e.probe {
        p.command = evil.into();
        p.target = evil.into();
        p.args.push(evil.into());
    }
    let report = probe_report(vec![finding(Code::CertSelfSigned, "self-signed")]);
    for probed in [
        Probed::NotAsked,
        Probed::NothingToProbe,
        Probed::Ran {
            command: evil,
            report: &report,
        },
    ] {
        for format in ALL {
            let out = render(&e, probed, format, opts());
            for bad in ['\x1b', '\x07', '\u{202e}', '\r', '\0'] {
                assert!(
                    !out.contains(bad),
                    "{format:?}: raw {bad:?} in output:\n{out}"
                );
            }
            assert!(
                !out.contains("\nFAKE LINE"),
                "{format:?}: forged line:\n{out}"
            );
            if format == Format::Json {
                let j: Value = serde_json::from_str(&out).unwrap();
                let all = j.to_string();
                assert!(
                    !all.contains("\\u001b") && !all.contains("\\u0007"),
                    "{all}"
                );
            }
        }
    }
    assert_eq!(
        visible("a\\x1b\x1b"),
        "a\\x1b\\x1b",
        "escaped text is not escaped twice"
    );
}

#[test]
fn probe_merged_human_snapshot() {
    let report = probe_report(vec![
        finding(
            Code::CertSelfSigned,
            "certificate is self-signed: CN=EXCH01",
        ),
        finding(
            Code::CertNameMismatch,
            "certificate does not cover mail.contoso.com",
        ),
    ]);
    let probed = Probed::Ran {
        command: "starttls-check '[mail.contoso.com]' --resolve mail.contoso.com:203.0.113.5",
        report: &report,
    };
    insta::assert_snapshot!(render(&explanation(), probed, Format::Human, opts()));
}
