//! Hostile text, end to end (issue 14, item 8): a scripted server whose banner, EHLO greeting,
//! EHLO keywords and certificate subject (CN and O) carry invisible and line-breaking
//! characters, probed by the real binary in every format. None of those characters may reach
//! stdout or stderr raw, and each must be shown in its escaped form, so the report still says
//! what the server sent.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::*;
use serde_json::Value;
use starttls_check::scripted::{LeafSpec, Scenario, ScriptedServer, StartTls};

/// One character of each kind the issue names, each between letters: a line separator, a soft
/// hyphen, an interlinear annotation anchor, a tag character, a bidi override, a C1 control
/// (NEL), a zero-width joiner and a paragraph separator.
const HOSTILE: &str = "\u{2028}a\u{00AD}b\u{FFF9}c\u{E0041}d\u{202E}e\u{0085}f\u{200D}g\u{2029}h";

/// [`HOSTILE`] as the probe's escape writes it: the UTF-8 bytes of each hidden character.
const ESCAPED: &str = "\\xe2\\x80\\xa8a\\xc2\\xadb\\xef\\xbf\\xb9c\\xf3\\xa0\\x81\\x81d\\xe2\\x80\\xaee\\xc2\\x85f\\xe2\\x80\\x8dg\\xe2\\x80\\xa9h";

/// A character that must never be written raw: a control other than newline and tab (the
/// colour sequences are asked for by no run here), a format character of the kinds in
/// [`HOSTILE`] and a few more, or a separator.
fn hidden(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c,
            '\u{00AD}' | '\u{0600}'..='\u{0605}' | '\u{061C}' | '\u{06DD}' | '\u{070F}'
            | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}' | '\u{E0001}' | '\u{E0020}'..='\u{E007F}')
}

#[track_caller]
fn assert_nothing_hidden(what: &str, text: &str) {
    if let Some((at, c)) = text.char_indices().find(|&(_, c)| hidden(c)) {
        let from = text[..at]
            .char_indices()
            .rev()
            .nth(60)
            .map_or(0, |(i, _)| i);
        panic!(
            "{what}: U+{:04X} raw at byte {at}, after {:?}",
            u32::from(c),
            &text[from..at]
        );
    }
}

/// A server whose every free-text field carries [`HOSTILE`]; its certificate is trusted and
/// valid for `HOST`, so the probe reaches every phase.
fn hostile_server() -> Arc<ScriptedServer> {
    let p = pki();
    let spec = LeafSpec {
        common_name: format!("cn{HOSTILE}"),
        names: vec![HOST.to_string()],
        ..LeafSpec::valid_for(HOST, p.now, 90)
    };
    let mut leaf = p
        .intermediate
        .leaf_of(&spec, &format!("org{HOSTILE}"))
        .unwrap();
    leaf.chain.push(p.intermediate.der());
    let mut sc = Scenario::postfix(HOST, &leaf);
    sc.banner = format!("220 {HOST} ESMTP banner{HOSTILE}");
    sc.greeting = format!("greet{HOSTILE}");
    sc.keywords.push(format!("XHOSTILE kw{HOSTILE}"));
    serve(sc)
}

/// Runs the binary against `server` in `format` (verbose: the transcript too).
fn probe_in(server: &ScriptedServer, format: &str) -> Run {
    let target = format!("{HOST}:{}", server.addr.port());
    let resolve = format!("{HOST}:{}", server.addr.ip());
    let ca = pki().root_file.to_string_lossy().into_owned();
    run(&[
        &target,
        "--resolve",
        &resolve,
        "--ca-file",
        &ca,
        "--no-system-roots",
        "--timeout",
        "5",
        "--format",
        format,
        "--verbose",
    ])
}

/// Every string in a JSON value, keys too.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        Value::Object(o) => o.iter().for_each(|(k, v)| {
            out.push(k.clone());
            strings(v, out);
        }),
        _ => {}
    }
}

/// A server that refuses STARTTLS with [`HOSTILE`] in its reply: the refusal is a finding's
/// evidence, which every format shows (the page too).
fn refusing_server() -> Arc<ScriptedServer> {
    let mut sc = Scenario::postfix(HOST, &pki().healthy(HOST, 90));
    sc.starttls = StartTls::Offered(format!("454 4.7.0 refused{HOSTILE}"));
    serve(sc)
}

/// `text` holds `prefix` + [`ESCAPED`], as written or inside a JSON string (each backslash
/// doubled).
fn shows_escaped(text: &str, prefix: &str) -> bool {
    text.contains(&format!("{prefix}{ESCAPED}"))
        || text.contains(&format!("{prefix}{}", ESCAPED.replace('\\', "\\\\")))
}

#[test]
fn hostile_banner_greeting_and_certificate_are_escaped_in_every_format() {
    let (hostile, refusing) = (hostile_server(), refusing_server());
    for format in ["human", "markdown", "html", "json", "jsonl"] {
        let (h, r) = (probe_in(&hostile, format), probe_in(&refusing, format));
        for (what, text) in [("stdout", &h.stdout), ("stderr", &h.stderr)] {
            assert_nothing_hidden(&format!("{format} {what}"), text);
        }
        for (what, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
            assert_nothing_hidden(&format!("{format} {what}, refused"), text);
        }
        // What the server sent is still there, escaped: the refusal in every format, the
        // certificate's organisation and the banner wherever the format shows them.
        assert!(
            shows_escaped(&r.stdout, "refused"),
            "{format}: the refusal\n{}",
            r.stdout
        );
        if format != "html" {
            assert!(
                shows_escaped(&h.stdout, "org"),
                "{format}: subject O\n{}",
                h.stdout
            );
        }
        if format != "html" && format != "markdown" {
            assert!(
                shows_escaped(&h.stdout, "banner"),
                "{format}: banner\n{}",
                h.stdout
            );
        }
    }
}

#[test]
fn hostile_fields_in_json_are_escaped_strings_that_name_what_was_sent() {
    let server = hostile_server();
    let r = probe_in(&server, "json");
    let j = r.json();
    let mut all = Vec::new();
    strings(&j, &mut all);
    for s in &all {
        assert_nothing_hidden("a JSON string", s);
    }
    let e = &j["endpoints"][0];
    assert_eq!(e["banner"], format!("220 {HOST} ESMTP banner{ESCAPED}"));
    assert_eq!(e["greeting_name"], format!("greet{ESCAPED}"));
    let subject = e["certificate"]["subject"].as_str().unwrap();
    assert!(subject.contains(&format!("cn{ESCAPED}")), "{subject}");
    assert!(subject.contains(&format!("org{ESCAPED}")), "{subject}");
    let lines: Vec<&str> = e["ehlo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with(&format!("XHOSTILE kw{ESCAPED}"))),
        "{lines:?}"
    );
}

/// A text that no escape upstream saw (the target as typed, in the message of the error
/// that stops the run): the JSON writer, the last write and clap's own message (printed by
/// `commands::print_usage_error` in the other formats) still show every character.
#[test]
fn a_hostile_target_in_an_error_is_escaped_on_stdout_and_stderr() {
    let target = format!("mail.exa{HOSTILE}mple.test");
    for format in ["human", "markdown", "html", "json", "jsonl"] {
        let r = run(&[&target, "--format", format, "--timeout", "1"]);
        assert_eq!(
            r.code, 3,
            "{format}: a usage error\n{}{}",
            r.stdout, r.stderr
        );
        assert_nothing_hidden(&format!("{format} stdout"), &r.stdout);
        assert_nothing_hidden(&format!("{format} stderr"), &r.stderr);
        assert!(r.stderr.contains("\\u202e"), "{format}: {}", r.stderr);
        if format.starts_with("json") {
            assert!(r.stdout.contains("\\u202e"), "{format}: {}", r.stdout);
            let back: Value = serde_json::from_str(r.stdout.lines().next().unwrap_or(""))
                .or_else(|_| serde_json::from_str(&r.stdout))
                .unwrap();
            assert!(back["error"].as_str().unwrap().contains(&target));
        }
    }
}

/// Issue 14, item 9: a paste naming more hosts and addresses than `explain` keeps (a log dump)
/// says that it holds more, in JSON (`extracted.capped`) and in words, instead of dropping
/// the rest silently.
#[test]
fn explain_says_when_a_paste_names_more_than_it_keeps() {
    let text: Vec<String> = (1..=40)
        .map(|i| format!("host mx{i}.contoso.com[203.0.113.{i}] said: 451 4.7.0 try later"))
        .collect();
    let text = text.join("\n");
    let r = run(&["explain", &text, "--format", "json"]);
    let j = r.json();
    let x = &j["extracted"];
    assert_eq!(x["hosts"].as_array().unwrap().len(), 32, "{x}");
    let capped: Vec<&str> = x["capped"]
        .as_array()
        .unwrap_or_else(|| panic!("no capped in {x}"))
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        capped.contains(&"hosts") && capped.contains(&"addresses"),
        "{capped:?}"
    );
    for format in ["human", "markdown"] {
        let r = run(&["explain", &text, "--format", format]);
        assert!(
            r.stdout
                .contains("the text names more than 32 of: hosts, addresses"),
            "{format}:\n{}",
            r.stdout
        );
    }
}
