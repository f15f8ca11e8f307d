//! `starttls-check explain` as a user meets it: a finding code's long text, pasted text from
//! the command line or stdin, hostile text, and `--probe` against a scripted server on
//! 127.0.0.1. Free text is never a target: the recording DNS server proves no name is looked
//! up, the scripted server that no connection is made, without `--probe`.
//!
//! Tests named `engine_*` need the explain engine (`src/explain/`) to recognise the text; the
//! rest hold whatever it recognises.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Stdio;

use common::dns::DnsServer;
use common::*;
use starttls_check::catalogue::CATALOGUE;
use starttls_check::scripted::{LeafSpec, Scenario, pki};

/// A zone for example.test, so that a lookup of anything in it would be answered (and
/// recorded) rather than refused.
const ZONE: &str = "\
$ORIGIN example.test.
$TTL 60
@ IN SOA ns.example.test. hostmaster.example.test. 1 60 60 60 60
@ IN MX 10 mail.example.test.
mail IN A 127.0.0.1
";

/// Runs `explain` with `stdin` as its standard input (from a file, as `explain - < ndr.txt`).
fn explain_stdin(args: &[&str], stdin: &[u8]) -> Run {
    let path = write_temp("stdin.txt", "");
    std::fs::write(&path, stdin).unwrap();
    let mut c = command(args);
    c.stdin(Stdio::from(std::fs::File::open(&path).unwrap()));
    run_command(c)
}

#[track_caller]
fn assert_no_panic(r: &Run) {
    assert!(
        r.code == 0 || r.code == 3,
        "exit {} (101 is a panic); stderr:\n{}",
        r.code,
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

/// Before `explain` existed, `starttls-check explain cert-expired` resolved "explain" and
/// "cert-expired" as mail domains. Now no word of the text is looked up, and a server the
/// text names is not connected to, in any format, without `--probe`.
#[test]
fn free_text_is_never_resolved_nor_connected_to() {
    let dns = DnsServer::start(&[("example.test.", ZONE)]);
    let s = serve(Scenario::postfix(HOST, &pki().healthy(HOST, 60)));
    let resolver = dns.resolver_arg();
    let ndr = format!(
        "450 4.7.320 Certificate validation failed [Message=SubjectMismatch] \
         LastAttemptedServerName {HOST} LastAttemptedIP 127.0.0.1:{} contoso.example.test",
        s.addr.port()
    );
    for args in [
        vec!["explain", "cert-expired"],
        vec!["explain", "cert-expired", "mail.example.test"],
        vec!["explain", "mail.example.test"],
        vec!["explain", "example.test"],
        vec!["explain", &ndr],
    ] {
        for format in ["human", "json", "markdown"] {
            let mut a = args.clone();
            a.extend(["--format", format, "--resolver", &resolver]);
            let r = run(&a);
            assert_no_panic(&r);
        }
    }
    let r = explain_stdin(&["explain", "-", "--resolver", &resolver], ndr.as_bytes());
    assert_no_panic(&r);
    assert_eq!(
        dns.queries(),
        Vec::<String>::new(),
        "explain looked a name up"
    );
    assert_eq!(s.connections(), 0, "explain connected without --probe");
    // The control: the same words as targets are looked up, and the recorder sees it.
    let r = run(&["cert-expired", "--resolver", &resolver, "--timeout", "1"]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert!(
        dns.queries().iter().any(|q| q.starts_with("cert-expired")),
        "{:?}",
        dns.queries()
    );
}

#[test]
fn a_code_prints_its_long_text() {
    let r = run(&["explain", "cert-expired"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let e = CATALOGUE.iter().find(|e| e.id == "cert-expired").unwrap();
    assert!(r.stdout.starts_with("cert-expired  FAIL\n"), "{}", r.stdout);
    for needle in [e.meaning, "What senders and logs show", "References"]
        .into_iter()
        .chain(e.sender_strings.iter().copied())
        .chain(e.references.iter().copied())
    {
        assert!(r.stdout.contains(needle), "lacks {needle}:\n{}", r.stdout);
    }
    let j = run(&["explain", "cert-expired", "--format", "json"]).json();
    assert_eq!(j["kind"], "code");
    assert_eq!(j["code"]["code"], "cert-expired");
    assert_eq!(j["code"]["severity"], "fail");
    assert_eq!(j["code"]["meaning"], e.meaning);
    let md = run(&["explain", "cert-expired", "--format", "markdown"]);
    assert!(
        md.stdout.starts_with("### `cert-expired` — FAIL"),
        "{}",
        md.stdout
    );
    // From stdin too, surrounded by blank space.
    let r = explain_stdin(&["explain", "-"], b"\n  cert-expired \n");
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("cert-expired  FAIL"), "{}", r.stdout);
    // A code names no host: --probe says so, exit 3.
    let r = run(&["explain", "cert-expired", "--probe"]);
    assert_eq!(r.code, 3);
    assert!(r.stdout.contains("nothing to probe"), "{}", r.stdout);
}

#[test]
fn every_code_explains_itself() {
    for e in CATALOGUE {
        let j = run(&["explain", e.id, "--format", "json"]);
        assert_eq!(j.code, 0, "{}: {}", e.id, j.stderr);
        let j = j.json();
        assert_eq!(j["code"]["code"], e.id);
        assert_eq!(j["code"]["explanation"], e.explanation);
    }
}

#[test]
fn unrecognised_text_exits_3_and_still_shows_the_extract() {
    let text = "hello, this is no mail error at all";
    let r = run(&["explain", text]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert!(r.stdout.starts_with("NOT RECOGNISED"), "{}", r.stdout);
    assert!(r.stdout.contains("Extracted from the text"), "{}", r.stdout);
    let j = run(&["explain", text, "--format", "json"]);
    assert_eq!(j.code, 3);
    let j = j.json();
    assert_eq!(j["schema_version"], 1);
    assert_eq!(j["tool"]["name"], "starttls-check");
    assert_eq!(j["kind"], "explain");
    assert_eq!(j["recognised"], false);
    assert!(j["extracted"].is_object());
    assert_eq!(j["matches"], serde_json::json!([]));
    assert!(j["probe"].is_null());
    assert!(j.get("findings").is_none(), "findings only with --probe");
    // Words are joined: the same answer as one quoted argument.
    let words = run(&[
        "explain", "hello,", "this", "is", "no", "mail", "error", "at", "all",
    ]);
    assert_eq!(words.stdout, r.stdout);
    // --probe with nothing named: said, exit 3.
    let p = run(&["explain", text, "--probe", "--format", "json"]);
    assert_eq!(p.code, 3);
    let p = p.json();
    assert_eq!(p["findings"], serde_json::json!([]));
    assert!(
        p["probe_note"]
            .as_str()
            .unwrap()
            .contains("nothing to probe")
    );
}

#[test]
fn no_text_is_a_usage_error() {
    // No TEXT, stdin not a terminal but empty (the harness gives /dev/null).
    let r = run(&["explain"]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("nothing to explain"), "{}", r.stderr);
    let r = explain_stdin(&["explain", "-", "--format", "json"], b"  \n\t ");
    assert_eq!(r.code, 3);
    let j = r.json();
    assert!(j["error"].as_str().unwrap().contains("nothing to explain"));
}

#[test]
fn help_and_usage_errors() {
    let r = run(&["explain", "--help"]);
    assert_eq!(r.code, 0);
    for needle in [
        "--probe",
        "--resolve",
        "--resolver",
        "--ca-file",
        "--expect-name",
        "-p, --port",
        "--format",
        "Exit codes",
    ] {
        assert!(
            r.stdout.contains(needle),
            "explain --help lacks {needle}:\n{}",
            r.stdout
        );
    }
    assert!(run(&["--help"]).stdout.contains("explain"));
    // A usage error of explain names no target: its words are text.
    let r = run(&[
        "explain",
        "mx.example.test",
        "--timeout",
        "-1",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 3);
    let j = r.json();
    assert_eq!(j["target"], "");
    assert_eq!(j["error_detail"]["option"], "--timeout");
}

/// Pasted text is hostile until shown otherwise: control characters, ANSI escapes, bidi
/// overrides, invalid UTF-8 and a megabyte of junk on stdin; no panic, nothing raw on
/// stdout in any format, and the answer says the text was cut.
#[test]
fn hostile_text_is_bounded_and_escaped() {
    let mut evil =
        b"450 4.7.320 Certificate validation failed [Message=\x1b[2J\x1b]0;pwned\x07] ".to_vec();
    evil.extend_from_slice(
        "\u{202e}gnp.exe LastAttemptedServerName mail\x1b[31m.example.test ".as_bytes(),
    );
    evil.extend_from_slice(b"\xff\xfe\xc3 \x00\x08\r\n4.4.316 Connection refused");
    // A megabyte of junk, every byte value (a fixed LCG, so the test is reproducible).
    let mut junk = evil.clone();
    let mut x: u32 = 12345;
    while junk.len() < 1 << 20 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        junk.push((x >> 16) as u8);
    }
    for (input, cut) in [(&evil, false), (&junk, true)] {
        for format in ["human", "json", "markdown"] {
            let r = explain_stdin(
                &["explain", "-", "--format", format, "--color", "never"],
                input,
            );
            assert_no_panic(&r);
            for bad in ['\x1b', '\x07', '\u{202e}', '\0', '\x08'] {
                assert!(!r.stdout.contains(bad), "{format}: raw {bad:?} on stdout");
            }
            if format == "json" {
                let j = r.json();
                assert_eq!(j["extracted"]["truncated"], cut, "{format}");
            } else if cut {
                assert!(r.stdout.contains("was cut"), "{format}: cut not said");
            }
        }
    }
    // The same text as arguments (the shell passes no NUL and no invalid UTF-8 here).
    let words = String::from_utf8_lossy(&evil).replace('\0', "");
    for format in ["human", "json", "markdown"] {
        let r = run(&["explain", &words, "--format", format]);
        assert_no_panic(&r);
        assert!(!r.stdout.contains('\x1b') && !r.stdout.contains('\u{202e}'));
    }
}

#[test]
fn readme_documents_explain() {
    let readme = include_str!("../README.md");
    for needle in [
        "### Paste what you have: explain",
        "starttls-check explain cert-expired",
        "starttls-check explain - --probe < ndr.txt",
        "never touches the network without `--probe`",
        "| `--probe` |",
        "`explain` exits 0 when it recognised",
    ] {
        assert!(readme.contains(needle), "README lacks {needle}");
    }
    assert!(
        run(&["--help"])
            .stdout
            .contains("starttls-check explain - < ndr.txt")
    );
}

// ---------------------------------------------------------------------------------------
// With the explain engine.

/// An Exchange Online message-trace detail for a hybrid connector (the shape Microsoft Learn,
/// "Fix email delivery issues for error code 4.7.320 (was 451 4.4.0)"-style NDRs, and
/// field-notes §2 show), naming the on-premises server at `port` on 127.0.0.1.
fn exo_subject_mismatch(port: u16) -> String {
    format!(
        "Reason: [{{LED=450 4.7.320 Certificate validation failed [Message=SubjectMismatch] \
         [LastAttemptedServerName={HOST}] [LastAttemptedIP=127.0.0.1:{port}]}};\
         {{MSG=}};{{FQDN={HOST}}};{{IP=127.0.0.1}};{{LRT=}}]\n\
         450 4.7.320 Certificate validation failed [Message=SubjectMismatch] \
         LastAttemptedServerName {HOST} LastAttemptedIP 127.0.0.1:{port}"
    )
}

#[test]
fn engine_a_real_ndr_is_recognised_with_its_fix_and_probe() {
    let text = exo_subject_mismatch(2525);
    let r = run(&["explain", &text, "--format", "json"]);
    assert_eq!(r.code, 0, "recognised: {}", r.stdout);
    let j = r.json();
    assert_eq!(j["recognised"], true);
    assert!(
        j["extracted"]["enhanced_codes"]
            .as_array()
            .unwrap()
            .contains(&"4.7.320".into())
    );
    assert!(
        j["extracted"]["hosts"]
            .as_array()
            .unwrap()
            .contains(&HOST.into())
    );
    let m = &j["matches"][0];
    assert_eq!(m["code"], "cert-name-mismatch");
    assert_eq!(m["side"], "receiver");
    assert!(!m["fix"].as_str().unwrap().is_empty());
    assert!(!m["steps"].as_array().unwrap().is_empty());
    // Exchange Online delivering to the on-premises server checks its outbound connector's
    // TlsDomain; the inbound connector governs the other direction (new-user trial).
    let fix = m["fix"].as_str().unwrap();
    assert!(
        fix.contains("Set-OutboundConnector") && !fix.contains("Set-InboundConnector"),
        "{fix}"
    );
    let cmd = j["probe"]["command"].as_str().unwrap();
    assert!(cmd.contains(HOST) && cmd.contains("127.0.0.1"), "{cmd}");
    let human = run(&["explain", &text]);
    assert!(
        human.stdout.starts_with("RECOGNISED cert-name-mismatch"),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .contains("Confirm with a probe\n  starttls-check ")
    );
}

/// The brief's example, on loopback: the NDR says certificate validation failed; the probe
/// of the server it names sees the self-signed certificate of an Exchange server: that is
/// the cause. The exit code is the probe's verdict.
#[test]
fn engine_probe_joins_the_ndr_to_what_the_server_shows() {
    let leaf = pki::self_signed(&LeafSpec::valid_for("EXCH01", pki().now, 365)).unwrap();
    let s = serve(Scenario::exchange("EXCH01.contoso.local", Some(&leaf)));
    let text = exo_subject_mismatch(s.addr.port());
    let r = run(&[
        "explain",
        &text,
        "--probe",
        "--timeout",
        "5",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 2, "the probe's verdict: {}", r.stdout);
    let j = r.json();
    assert_eq!(j["verdict"], "fail");
    assert!(
        r.codes().contains(&"cert-self-signed".to_string()),
        "{:?}",
        r.codes()
    );
    let joined = j["joined"][0].as_str().unwrap();
    assert!(
        joined.contains(&format!(
            "the probe sees cert-self-signed at {HOST} [127.0.0.1]:{}",
            s.addr.port()
        )) && joined.ends_with("that is the cause"),
        "{joined}"
    );
    assert_eq!(s.connections(), 1);
    let human = run(&["explain", &text, "--probe", "--timeout", "5"]);
    assert_eq!(human.code, 2);
    assert!(
        human
            .stdout
            .contains("\nTogether\n  the text says cert-name-mismatch"),
        "{}",
        human.stdout
    );
}

/// Postfix's own log line (the string in field-notes §2; Postfix's smtp(8) writes it when
/// `smtp_tls_security_level = encrypt` meets a server without STARTTLS).
#[test]
fn engine_a_postfix_log_line_is_recognised() {
    let line = "Dec  1 10:00:00 relay postfix/smtp[1234]: 4F2A31C0D: to=<a@example.test>, \
                relay=mail.example.test[127.0.0.1]:25, delay=0.2, dsn=4.7.4, status=deferred \
                (TLS is required, but was not offered by host mail.example.test[127.0.0.1])";
    let r = explain_stdin(&["explain", "-", "--format", "json"], line.as_bytes());
    assert_eq!(r.code, 0, "{}", r.stdout);
    let j = r.json();
    assert_eq!(j["matches"][0]["code"], "starttls-not-offered");
    assert!(
        j["extracted"]["addresses"]
            .as_array()
            .unwrap()
            .contains(&"127.0.0.1".into())
    );
}

#[test]
fn engine_a_near_code_lists_the_codes_it_is_close_to() {
    let r = run(&["explain", "cert-expird"]);
    assert_eq!(r.code, 3);
    assert!(r.stdout.contains("is not a finding code"), "{}", r.stdout);
    assert!(r.stdout.contains("cert-expired"), "{}", r.stdout);
    let j = run(&["explain", "cert-expird", "--format", "json"]).json();
    assert!(j["code"].is_null());
    assert!(
        j["near_matches"]
            .as_array()
            .unwrap()
            .contains(&"cert-expired".into())
    );
}

/// Every answer says how to confirm it: a text that names no host gets the way to name one
/// (the whole NDR, or `starttls-check HOST`), in human output and in JSON's `probe_note`.
#[test]
fn engine_an_answer_without_a_host_says_how_to_get_the_probe() {
    let text = r#"451 4.4.0 Primary target IP address responded with: "451 5.7.3 Must issue a STARTTLS command first." Attempted failover to alternate host, but that did not succeed."#;
    let human = common::run(&["explain", text]);
    assert_eq!(human.code, 0, "{}{}", human.stdout, human.stderr);
    assert!(
        human.stdout.contains("LastAttemptedServerName")
            && human.stdout.contains("starttls-check HOST"),
        "{}",
        human.stdout
    );
    let json = common::run(&["explain", text, "--format", "json"]);
    let j: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert!(j["probe"].is_null());
    assert!(
        j["probe_note"]
            .as_str()
            .unwrap_or_default()
            .contains("names no receiving host"),
        "{j:#}"
    );
}

/// New-user trial of issue 10: three answers that were untrue.
/// - The final NDR of a deferred message says `550 4.4.7 QUEUE.Expired; message expired`:
///   the queue's expiry, never an expired certificate.
/// - "Primary target IP address responded with" alone names no blocklist (here the remote
///   did not answer at all).
/// - A link-local address from the original message's `Received:` header is never a probe
///   target.
#[test]
fn engine_trial_texts_get_no_untrue_answer() {
    let queue = "Remote Server returned '550 4.4.7 QUEUE.Expired; message expired'\n\
                 Reason: [{LED=450 4.7.320 Certificate validation failed [LastAttemptedServerName=mail.fabrikam.com] [LastAttemptedIP=203.0.113.9:25]};{MSG=};{FQDN=mail.fabrikam.com};{IP=203.0.113.9}]";
    let j = explain_json(queue);
    assert_ne!(j["matches"][0]["code"], "cert-expired", "{j:#}");
    let unreachable = r#"451 4.4.0 Primary target IP address responded with: "421 4.2.1 Unable to connect." Attempted failover to alternate host, but that did not succeed."#;
    let j = explain_json(unreachable);
    let codes: Vec<&str> = j["matches"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["code"].as_str())
        .collect();
    assert!(!codes.contains(&"egress-ip-blocklisted"), "{codes:?}");
    let header = "Original message headers:\nReceived: from AM6PR10MB1234.EURPRD10.PROD.OUTLOOK.COM ([fe80::1]) by AM6PR10MB1234 with mapi id 15.20.1234.000\n\
                  450 4.4.316 Connection refused [Message=Socket error code 10061]";
    let j = explain_json(header);
    let command = j["probe"]["command"].as_str().unwrap_or_default();
    assert!(!command.contains("fe80"), "{j:#}");
}

fn explain_json(text: &str) -> serde_json::Value {
    let r = common::run(&["explain", text, "--format", "json"]);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", r.stdout, r.stderr))
}

#[test]
fn explain_has_no_page_and_says_which_formats_it_writes() {
    let r = run(&["explain", "cert-expired", "--format", "html"]);
    assert_eq!(r.code, 3);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(
        r.stderr
            .contains("--format html is a page of probe reports; explain writes human, json, jsonl or markdown"),
        "{}",
        r.stderr
    );
    let r = run(&["explain", "cert-expired", "--format", "jsonl"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout.lines().count(), 1, "one line: {}", r.stdout);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["code"]["code"], "cert-expired");
}
