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
            .map(|s| render_session_live(s, &run.expect_names, NOW, Format::Human, opts()))
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
            .map(|s| render_session_live(s, &run.expect_names, NOW, Format::Markdown, opts()))
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
        assert!(render_session_live(&run.sessions[0], &[], NOW, Format::Json, opts()).is_empty());
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
        ),
        render_session_live(&s, &[], NOW, Format::Markdown, opts()),
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
