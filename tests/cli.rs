//! The command line as a user meets it: help, version, mistakes, exit codes, every output
//! format, colour rules, escaping of what the server sends, and the demo.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use starttls_check::scripted::Scenario;

#[test]
fn help_shows_examples_and_exit_codes() {
    let r = run(&["--help"]);
    assert_eq!(r.code, 0);
    for needle in [
        "starttls-check contoso.com",
        "user@contoso.com",
        "[mail.contoso.com]:587",
        "--expect-name",
        "--resolve",
        "--resolver",
        "--no-mx",
        "--max-mx",
        "--concurrency",
        "Exit codes",
        "3  unknown",
        "demo",
    ] {
        assert!(
            r.stdout.contains(needle),
            "--help lacks {needle}:\n{}",
            r.stdout
        );
    }
}

#[test]
fn version_is_printed() {
    let r = run(&["--version"]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout.trim(),
        format!("starttls-check {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_3_with_a_clear_message() {
    let cases: &[(&[&str], &str)] = &[
        (&[], "TARGET"),
        (&["mail.contoso.com:99999"], "not a port"),
        (&["bad host!"], "not a host name"),
        (&["[::1"], "brackets"),
        (&["mx.example", "--format", "xml"], "xml"),
        (&["mx.example", "--resolve", "mx.example"], "HOST:ADDR"),
        (&["mx.example", "-4", "-6"], "cannot be used with"),
        (&["mx.example", "--timeout", "0"], "seconds"),
        (
            &["mx.example", "--fail-days", "40", "--warn-days", "30"],
            "--fail-days",
        ),
        (
            &["mx.example", "--ca-file", "/nonexistent/ca.pem"],
            "/nonexistent/ca.pem",
        ),
    ];
    for (args, needle) in cases {
        let r = run(args);
        assert_eq!(r.code, 3, "{args:?} should exit 3; stderr: {}", r.stderr);
        assert!(
            r.stderr.contains(needle),
            "{args:?}: stderr lacks {needle:?}:\n{}",
            r.stderr
        );
        assert!(r.stdout.is_empty(), "{args:?}: nothing on stdout");
        assert!(
            !r.stderr.contains("stack backtrace"),
            "no backtraces for users"
        );
    }
}

#[test]
fn json_document_has_the_contract_fields() {
    let s = serve(Scenario::postfix(HOST, &pki().healthy(HOST, 60)));
    let j = probe(&s, &[]).json();
    assert_eq!(j["schema_version"], 1);
    assert_eq!(j["tool"]["name"], "starttls-check");
    assert_eq!(j["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(j["generated_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(j["verdict"], "pass");
    for key in ["code", "severity", "endpoint", "summary", "evidence", "fix"] {
        assert!(j["findings"][0].get(key).is_some(), "finding lacks {key}");
    }
    let ep = &j["endpoints"][0];
    for key in [
        "host",
        "address",
        "port",
        "tls_mode",
        "banner",
        "ehlo",
        "starttls_offered",
        "tls",
        "certificate",
        "chain",
        "transcript",
    ] {
        assert!(ep.get(key).is_some(), "endpoint lacks {key}");
    }
    assert_eq!(ep["host"], HOST);
    assert_eq!(ep["address"], "127.0.0.1");
    assert_eq!(ep["port"], s.addr.port());
    assert_eq!(ep["tls_mode"], "starttls");
    assert_eq!(ep["greeting_name"], HOST);
    for key in ["version", "cipher_suite"] {
        assert!(ep["tls"][key].is_string(), "tls lacks {key}");
    }
    let cert = &ep["certificate"];
    for key in [
        "subject",
        "issuer",
        "dns_names",
        "serial",
        "not_before",
        "not_after",
        "days_left",
        "sha256",
        "key_type",
        "signature_algorithm",
    ] {
        assert!(cert.get(key).is_some(), "certificate lacks {key}");
    }
    assert!(
        ep["transcript"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["direction"] == "sent" && t["line"] == "STARTTLS")
    );
}

#[test]
fn json_is_written_even_when_nothing_works() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = run(&[&format!("127.0.0.1:{port}"), "--format", "json"]);
    assert_eq!(r.code, 2);
    let j = r.json();
    assert_eq!(j["verdict"], "fail");
    assert!(j["endpoints"][0]["tls"].is_null());
    assert!(j["endpoints"][0]["certificate"].is_null());
}

#[test]
fn human_report_leads_with_verdict_and_cause() {
    let p = pki();
    let mut spec = starttls_check::scripted::LeafSpec::valid_for(HOST, p.now, 0);
    spec.not_before = p.now - time::Duration::days(60);
    spec.not_after = p.now - time::Duration::days(3);
    let s = serve(Scenario::postfix(HOST, &p.chain(&spec)));
    let r = probe(&s, &["--format", "human", "--color", "never"]);
    assert_eq!(r.code, 2);
    let first = r.stdout.lines().next().unwrap();
    assert!(
        first.starts_with(&format!(
            "FAIL {HOST}:{}: certificate expired 3 days ago (",
            s.addr.port()
        )),
        "{first}"
    );
    for needle in [
        "banner",
        "capabilities",
        "starttls      offered",
        "certificate",
        "names",
        "issuer",
        "EXPIRED 3 days ago",
        "chain (sent)",
        "fix:",
        "smtpd_tls_chain_files",
    ] {
        assert!(
            r.stdout.contains(needle),
            "human report lacks {needle:?}:\n{}",
            r.stdout
        );
    }
    assert!(!r.stdout.contains("transcript"), "the transcript is for -v");
}

#[test]
fn verbose_adds_the_transcript() {
    let s = serve(Scenario::postfix(HOST, &pki().healthy(HOST, 60)));
    let r = probe(&s, &["--format", "human", "--color", "never", "-v"]);
    assert!(r.stdout.contains("transcript"));
    assert!(
        r.stdout.contains("C: STARTTLS") && r.stdout.contains("S: 220 2.0.0 Ready to start TLS"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("-- TLS established"), "{}", r.stdout);
}

#[test]
fn markdown_block_is_ticket_ready() {
    let s = serve(Scenario::exchange(HOST, None));
    let r = probe(&s, &["--format", "markdown"]);
    assert_eq!(r.code, 2);
    let md = &r.stdout;
    assert!(md.starts_with("### STARTTLS check: FAIL"), "{md}");
    assert!(md.contains("| FAIL | `starttls-not-offered` |"), "{md}");
    assert!(
        md.contains("Set-ReceiveConnector"),
        "the fix is in the ticket:\n{md}"
    );
    assert!(md.contains(&format!("starttls-check {}", env!("CARGO_PKG_VERSION"))));
    assert!(md.contains("UTC · probed from 127.0.0.1_"), "{md}");
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let s = serve(Scenario::postfix(HOST, &pki().healthy(HOST, 60)));
    let auto = probe(&s, &["--format", "human"]);
    assert!(!auto.stdout.contains('\x1b'), "stdout is a pipe: no colour");
    let always = probe(&s, &["--format", "human", "--color", "always"]);
    assert!(always.stdout.contains("\x1b["), "--color always colours");
    let out = bin()
        .args([
            &format!("{HOST}:{}", s.addr.port()),
            "--resolve",
            &format!("{HOST}:127.0.0.1"),
        ])
        .args([
            "--ca-file",
            pki().root_file.to_str().unwrap(),
            "--color",
            "auto",
        ])
        .env("FORCE_COLOR", "1")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains('\x1b'),
        "NO_COLOR wins"
    );
}

#[test]
fn server_control_bytes_are_escaped_everywhere() {
    let mut sc = Scenario::exchange(HOST, None);
    sc.banner = "220 evil\x1b[2J\x1b]0;pwned\x07 ESMTP".into();
    sc.greeting = "mx\x1b[31m.example.test".into();
    let s = serve(sc);
    for format in ["human", "json", "markdown"] {
        let r = probe(&s, &["--format", format, "-v", "--color", "never"]);
        assert!(
            !r.stdout.contains('\x1b') && !r.stdout.contains('\x07'),
            "{format}: raw control byte in output"
        );
        assert!(
            r.stdout.contains("\\x1b[2J") || r.stdout.contains("\\\\x1b[2J"),
            "{format}: escaped form shown:\n{}",
            r.stdout
        );
    }
}

#[test]
fn demo_runs_offline_and_exits_0() {
    let r = run(&["demo", "--color", "never"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    for code in [
        "starttls-ok",
        "cert-expired",
        "cert-self-signed",
        "cert-name-mismatch",
        "starttls-not-offered",
        "starttls-port-mismatch",
        "endpoints-inconsistent",
        "MX hosts of contoso.demo",
    ] {
        assert!(r.stdout.contains(code), "demo lacks {code}");
    }
    assert!(r.stdout.contains("every scenario behaved as designed"));
    let j = run(&["demo", "--format", "json"]);
    assert_eq!(j.code, 0);
    let reports: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    assert_eq!(reports.as_array().unwrap().len(), 4);
}

#[test]
fn unresolvable_name_in_resolve_table_is_not_sent_to_dns() {
    // --resolve answers for the host: nothing goes to the system resolver (this test would
    // hang or fail offline otherwise).
    let s = serve(Scenario::postfix(HOST, &pki().healthy(HOST, 60)));
    let r = probe(&s, &["-6"]);
    assert_eq!(
        r.code, 1,
        "only an IPv4 override and -6: nothing of that family to probe"
    );
    let f = &r.json()["findings"][0];
    assert_eq!(f["code"], "dns-no-address");
    assert_eq!(f["severity"], "warn");
    assert!(
        f["summary"].as_str().unwrap().contains("no IPv6 address"),
        "{f}"
    );
}

#[test]
fn readme_documents_every_finding_code_and_exit_code() {
    let readme = include_str!("../README.md");
    for code in starttls_check::diagnose::Code::ALL {
        assert!(
            readme.contains(&format!("| `{code}` |")),
            "README lacks {code}"
        );
    }
    for line in [
        "| 0 | pass |",
        "| 1 | warn |",
        "| 2 | fail |",
        "| 3 | unknown |",
    ] {
        assert!(readme.contains(line), "README lacks {line}");
    }
    assert!(readme.contains("cargo run -- demo") && readme.contains("cargo test"));
}
