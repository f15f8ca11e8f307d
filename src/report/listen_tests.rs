//! The listen report in every format, on a fixed run (fixed clock); the JSON against
//! docs/report.schema.json; hostile sender text escaped everywhere.

use super::*;
use crate::diagnose::rules::listen::tests::{NOW, client_chain, run, session, trust, with_cert};
use crate::listen::model::Greeting;

/// Certificates are made at test time, so their serials, keys and fingerprints change per
/// run: those are masked before a snapshot.
fn masked(text: &str) -> String {
    let mut out = text.to_string();
    for s in &run_report().sessions {
        if let Some(c) = &s.client_certificate {
            for cert in std::iter::once(&c.certificate).chain(&c.chain) {
                out = out
                    .replace(&cert.sha256, "[sha256]")
                    .replace(&cert.thumbprint, "[thumbprint]")
                    .replace(&cert.serial, "[serial]");
            }
        }
    }
    out
}

thread_local! {
    static RUN: ListenRun = {
        let mut bad = session();
        bad.id = 2;
        bad.peer = "127.0.0.1:40002".parse().unwrap();
        bad.starttls = StarttlsUse::NotUsed;
        bad.client_hello = None;
        bad.tls = None;
        bad.greeting_after_tls = None;
        let mut r = run(vec![with_cert("mail.contoso.test"), bad]);
        r.expect_names = vec!["mail.contoso.test".into()];
        r
    };
}

fn run_report() -> ListenReport {
    RUN.with(|r| assemble(r, NOW))
}

fn opts() -> RenderOptions {
    RenderOptions::default()
}

#[test]
fn the_verdict_is_the_worst_over_every_session_and_unknown_without_one() {
    let r = run_report();
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(r.sessions[0].verdict, Verdict::Pass);
    assert_eq!(r.sessions[1].verdict, Verdict::Fail);
    assert!(
        r.headline
            .starts_with("FAIL listen 127.0.0.1:2525: the sender did not use STARTTLS"),
        "{}",
        r.headline
    );
    let empty = assemble(&run(Vec::new()), NOW);
    assert_eq!(empty.verdict, Verdict::Unknown);
    assert_eq!(empty.findings[0].code, Code::ListenNoSender);
    let ok = assemble(&run(vec![with_cert("mail.contoso.test")]), NOW);
    assert_eq!(ok.verdict, Verdict::Pass);
}

#[test]
fn human_snapshot() {
    let r = run_report();
    let live: String = RUN.with(|run| {
        run.sessions
            .iter()
            .map(|s| {
                render_session_live(s, &run.expect_names, NOW, Format::Human, opts(), &mut None)
            })
            .collect()
    });
    insta::assert_snapshot!(masked(&format!(
        "{live}{}",
        render_final(&r, Format::Human, opts())
    )));
}

#[test]
fn markdown_snapshot() {
    let r = run_report();
    let live: String = RUN.with(|run| {
        run.sessions
            .iter()
            .map(|s| {
                render_session_live(
                    s,
                    &run.expect_names,
                    NOW,
                    Format::Markdown,
                    opts(),
                    &mut None,
                )
            })
            .collect()
    });
    insta::assert_snapshot!(masked(&format!(
        "{live}{}",
        render_final(&r, Format::Markdown, opts())
    )));
}

#[test]
fn json_snapshot() {
    let r = run_report();
    RUN.with(|run| {
        assert!(
            render_session_live(&run.sessions[0], &[], NOW, Format::Json, opts(), &mut None)
                .is_empty()
        );
    });
    insta::assert_snapshot!(masked(&render_final(&r, Format::Json, opts())));
}

/// `doc` against the whole schema (its top-level `oneOf`), as the house validates reports.
fn schema_violation(doc: &serde_json::Value) -> Option<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/report.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let id = schema["$id"].as_str().unwrap().to_string();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.set_default_draft(boon::Draft::V2020_12);
    compiler.enable_format_assertions();
    compiler.add_resource(&id, schema).unwrap();
    let index = compiler.compile(&id, &mut schemas).unwrap();
    schemas.validate(doc, index).err().map(|e| format!("{e}"))
}

#[test]
fn the_json_matches_the_schema_in_every_shape() {
    let mut failed = session();
    failed.id = 3;
    failed.starttls = StarttlsUse::HandshakeFailed;
    failed.tls = None;
    failed.handshake_error = Some(crate::listen::model::ListenHandshakeError {
        kind: ListenHandshakeFailure::RefusedOurCertificate,
        reason: "the sender refused our certificate".into(),
        detail: "AlertReceived(UnknownCA)".into(),
    });
    failed.ptr = Ptr::Failed("SERVFAIL".into());
    failed.end = SessionEnd::Disconnected {
        after: "the handshake".into(),
    };
    let mut expired = session();
    expired.client_chain = client_chain("mail.contoso.test", true, -3);
    expired.client_trust = Some(trust(false));
    expired.ptr = Ptr::Names {
        names: vec!["mail.contoso.test".into()],
        forward_confirmed: true,
    };
    let mut silent = session();
    silent.greeting = None;
    silent.ptr = Ptr::None;
    silent.end = SessionEnd::Timeout {
        after: "the banner".into(),
    };
    for (what, r) in [
        (
            "sessions",
            run(vec![
                with_cert("mail.contoso.test"),
                failed,
                expired,
                silent,
            ]),
        ),
        ("no sender", run(Vec::new())),
    ] {
        let mut report = assemble(&r, NOW);
        report.invocation = Some("starttls-check listen 2525 --once".into());
        for text in [
            render_final(&report, Format::Json, opts()),
            render_final(&report, Format::Jsonl, opts()),
        ] {
            let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(doc["mode"], "listen");
            if let Some(why) = schema_violation(&doc) {
                panic!("{what}: {why}\n{text}");
            }
        }
    }
    // And the check can fail: a session without its verdict is refused.
    let mut doc = serde_json::to_value(run_report()).unwrap();
    doc["sessions"][0]
        .as_object_mut()
        .unwrap()
        .remove("verdict");
    assert!(schema_violation(&doc).is_some());
}

#[test]
fn hostile_sender_text_is_escaped_in_every_format() {
    let hostile = crate::smtp::escape(b"\x1b[31mevil\xe2\x80\xae.test");
    let mut s = session();
    s.greeting = Some(Greeting {
        verb: "EHLO",
        name: hostile.clone(),
    });
    s.greeting_after_tls = s.greeting.clone();
    if let Some(h) = s.client_hello.as_mut() {
        h.sni = Some(hostile.clone());
    }
    s.pipelined_after_starttls = b"RSET\r\n\x1b]0;pwned\x07".to_vec();
    s.transcript.push(
        crate::smtp::Direction::Received,
        b"EHLO \x1b[31mevil\xe2\x80\xae.test".to_vec(),
    );
    let r = assemble(&run(vec![s.clone()]), NOW);
    let mut outputs = vec![
        render_session_live(
            &s,
            &[],
            NOW,
            Format::Human,
            RenderOptions {
                verbose: true,
                ..opts()
            },
            &mut None,
        ),
        render_session_live(&s, &[], NOW, Format::Markdown, opts(), &mut None),
        render_final(&r, Format::Human, opts()),
        render_final(&r, Format::Markdown, opts()),
        render_final(&r, Format::Json, opts()),
    ];
    // The JSON is checked as its decoded strings too: an escape in the JSON text alone would
    // hide a raw character in the value.
    outputs.push(
        serde_json::from_str::<serde_json::Value>(&outputs[4])
            .unwrap()
            .to_string(),
    );
    for out in &outputs {
        assert!(
            !out.contains('\x1b') && !out.contains('\u{202e}') && !out.contains('\x07'),
            "{out}"
        );
    }
    assert!(
        outputs[0].contains("\\x1b[31mevil\\xe2\\x80\\xae.test"),
        "{}",
        outputs[0]
    );
    assert!(outputs[0].contains("SNI \\x1b"), "{}", outputs[0]);
    // Markdown: the escapes, and the bracket escaped as cell text.
    assert!(outputs[1].contains("\\\\x1b\\[31mevil"), "{}", outputs[1]);
}

/// `--redact`: one redactor across the live blocks and the summary; the listener's name,
/// address and certificate, a sender's PTR name, EHLO names, SNI, envelope domains and client
/// certificate are placeholders in every format, the same in a live block and the summary.
#[test]
fn redact_hides_every_name_in_the_live_blocks_and_the_summary() {
    use super::super::redact;
    let mut a = with_cert("mail.contoso.test");
    a.ptr = Ptr::Names {
        names: vec!["relay.fabrikam.test".into()],
        forward_confirmed: true,
    };
    if let Some(h) = a.client_hello.as_mut() {
        h.sni = Some("smtp.contoso.test".into());
    }
    let mut b = session();
    b.id = 2;
    b.peer = "127.0.0.2:40002".parse().unwrap();
    b.greeting = Some(Greeting {
        verb: "HELO",
        name: "EXCH07".into(),
    });
    let mut run = run(vec![a, b]);
    run.certificate.sha256 = (0..32u8)
        .map(|i| format!("{:02x}", i.wrapping_mul(37)))
        .collect::<Vec<_>>()
        .join(":");
    run.expect_names = vec!["mail.contoso.test".into()];
    let plain = assemble(&run, NOW);
    let client_sha = plain.sessions[0]
        .client_certificate
        .as_ref()
        .unwrap()
        .certificate
        .sha256
        .clone();
    let secrets = [
        "contoso",
        "fabrikam",
        "127.0.0",
        "listener.test",
        "EXCH07",
        &client_sha[..11],
        &run.certificate.sha256[..11],
    ];
    let verbose = RenderOptions {
        verbose: true,
        ..opts()
    };
    for format in [Format::Human, Format::Markdown, Format::Json] {
        let mut red = redact::when(true);
        red.as_mut().unwrap().learn_listener(
            &run.bound.to_string(),
            "listener.test",
            &run.certificate,
            &run.expect_names,
            None,
        );
        let live: Vec<String> = run
            .sessions
            .iter()
            .map(|s| render_session_live(s, &run.expect_names, NOW, format, verbose, &mut red))
            .collect();
        let mut r = assemble(&run, NOW);
        redact::listen_report(&mut red, &mut r);
        let summary = redact::text(&mut red, render_final(&r, format, verbose));
        let all = format!("{}{summary}", live.concat());
        for s in secrets {
            assert!(
                !all.to_lowercase().contains(&s.to_lowercase()),
                "{format:?}: {s} left in:\n{all}"
            );
        }
        match format {
            Format::Json => {
                let doc: serde_json::Value = serde_json::from_str(&summary).unwrap();
                assert_eq!(schema_violation(&doc), None);
                let s = &doc["sessions"];
                assert_eq!(s[0]["peer"], "addr-1:40000");
                assert_eq!(s[1]["peer"], "addr-2:40002");
                let ehlo = s[0]["greeting"]["name"].as_str().unwrap();
                assert!(ehlo.starts_with("host-"), "{ehlo}");
                assert_eq!(doc["listen"]["expect_names"][0], ehlo);
                let cert = &s[0]["client_certificate"]["certificate"];
                assert_eq!(cert["dns_names"][0], ehlo);
                let ptr = s[0]["ptr"]["names"][0].as_str().unwrap();
                assert!(ptr.starts_with("host-") && ptr != ehlo, "{ptr}");
                let sni = s[0]["client_hello"]["sni"].as_str().unwrap();
                assert!(sni.starts_with("host-") && sni != ehlo, "{sni}");
                assert!(
                    s[1]["greeting"]["name"]
                        .as_str()
                        .unwrap()
                        .starts_with("host-")
                );
                // A role account keeps its name; the domains are placeholders.
                assert_eq!(s[0]["mail_from"], "postmaster@domain-1");
                assert_eq!(s[0]["rcpt_to"][0], "user@domain-2");
            }
            _ => {
                // Each sender is named in the summary as in its live block.
                for (i, block) in live.iter().enumerate() {
                    let n = i + 1;
                    let peer = format!("addr-{n}:4000{}", 2 * i);
                    assert!(block.contains(&format!("sender {peer}")), "{block}");
                    assert!(summary.contains(&peer), "{summary}");
                }
                // And by the same greeting name.
                let at = live[0].find("EHLO host-").unwrap() + 5;
                let host: String = live[0][at..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect();
                assert!(summary.contains(&format!("EHLO {host},")), "{summary}");
            }
        }
    }
}

/// Issue 17: a suite or group rustls has no name for is shown by its IANA name or as
/// `0x00A7`, never as Rust debug text (`CipherSuite(0xa7)`); a TLS 1.0 hello without
/// supported_versions lists TLS 1.0 alone, marked highest_only.
#[test]
fn suites_and_groups_have_iana_names_and_a_legacy_hello_lists_its_highest_version_only() {
    let mut s = session();
    if let Some(h) = s.client_hello.as_mut() {
        h.legacy_version = 0x0301;
        h.supported_versions.clear();
        h.cipher_suites = vec![0xc02f, 0x002f, 0x00a7, 0x1234];
        h.groups = vec![0x001d, 0x4321];
    }
    let report = assemble(&run(vec![s]), NOW);
    let json = render_final(&report, Format::Json, opts());
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let hello = &doc["sessions"][0]["client_hello"];
    assert_eq!(hello["versions"], serde_json::json!(["TLS 1.0"]));
    assert_eq!(hello["highest_only"], true);
    let suites = hello["cipher_suites"].to_string();
    assert!(suites.contains("TLS_RSA_WITH_AES_128_CBC_SHA"), "{suites}");
    assert!(
        suites.contains("TLS_DH_anon_WITH_AES_256_GCM_SHA384"),
        "{suites}"
    );
    assert!(suites.contains("\"0x1234\""), "{suites}");
    assert!(hello["groups"].to_string().contains("\"0x4321\""));
    let human = render_final(&report, Format::Human, opts());
    let live = render_session_live(
        &RUN.with(|r| r.sessions[0].clone()),
        &[],
        NOW,
        Format::Human,
        opts(),
        &mut None,
    );
    for text in [&json, &human, &live] {
        assert!(!text.contains("CipherSuite("), "{text}");
        assert!(!text.contains("NamedGroup("), "{text}");
        assert!(!text.contains("Unknown("), "{text}");
        assert!(!text.contains("SSL 3.0"), "{text}");
    }
    let mut s = session();
    if let Some(h) = s.client_hello.as_mut() {
        h.legacy_version = 0x0301;
        h.supported_versions.clear();
    }
    let live = render_session_live(&s, &[], NOW, Format::Human, opts(), &mut None);
    assert!(
        live.contains("up to TLS 1.0 (no supported_versions extension)"),
        "{live}"
    );
}

/// Issue 17: each way a session ends is worded, and a session the run's end cut (or a
/// silent one) does not change a passing run's verdict but is named in the headline and
/// the summary.
#[test]
fn unjudged_sessions_are_named_and_each_end_is_worded() {
    let mut cut = session();
    cut.id = 2;
    cut.starttls = StarttlsUse::NotUsed;
    cut.client_hello = None;
    cut.tls = None;
    cut.greeting_after_tls = None;
    cut.mail_from = None;
    cut.rcpt_to.clear();
    cut.refused_with = None;
    cut.end = SessionEnd::RunEnded;
    let report = assemble(&run(vec![with_cert("mail.contoso.test"), cut.clone()]), NOW);
    assert_eq!(report.verdict, Verdict::Pass);
    assert!(
        report
            .headline
            .ends_with(" · 1 session passed, 1 unjudged (still open when the run ended)"),
        "{}",
        report.headline
    );
    let human = render_final(&report, Format::Human, opts());
    assert!(
        human.contains(
            "2 sender sessions: 1 session passed, 1 unjudged (still open when the run ended)"
        ),
        "{human}"
    );
    let live = render_session_live(&cut, &[], NOW, Format::Human, opts(), &mut None);
    assert!(live.contains("still open when the run ended"), "{live}");
    assert!(!live.contains("the run ended, after"), "{live}");
    let mut silent = cut.clone();
    silent.greeting = None;
    silent.end = SessionEnd::Timeout {
        after: "connect".into(),
    };
    let live = render_session_live(&silent, &[], NOW, Format::Human, opts(), &mut None);
    assert!(
        live.contains("connected, but the sender never greeted"),
        "{live}"
    );
    assert!(!live.contains("timed out (connect)"), "{live}");
    let report = assemble(&run(vec![with_cert("mail.contoso.test"), silent]), NOW);
    assert_eq!(report.verdict, Verdict::Pass);
    assert!(
        report.headline.ends_with("1 unjudged (never greeted)"),
        "{}",
        report.headline
    );
}
