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
        (&["mail.contoso.com:99999"], "(1-65535)"),
        (&["bad host!"], "not a host name"),
        (&["[::1"], "brackets"),
        (&["mx.example", "--format", "xml"], "xml"),
        (&["mx.example", "--resolve", "mx.example"], "HOST:ADDR"),
        (&["mx.example", "-4", "-6"], "cannot be used with"),
        (&["mx.example", "--timeout", "0"], "seconds"),
        (&["mx.example", "--timeout", "-1"], "out of range"),
        (&["mx.example", "--max-mx", "-1"], "out of range"),
        (&["mx.example", "--warn-days", "-1"], "out of range"),
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
fn negative_numbers_are_values_out_of_range_not_unknown_arguments() {
    for (args, option) in [
        (&["mx.example", "--timeout", "-1"][..], "'--timeout <SECS>'"),
        (&["mx.example", "--deadline", "-5"], "'--deadline <SECS>'"),
        (&["mx.example", "--warn-days", "-1"], "'--warn-days <DAYS>'"),
        (&["mx.example", "--fail-days", "-1"], "'--fail-days <DAYS>'"),
        (&["mx.example", "--max-mx", "-1"], "'--max-mx <N>'"),
        (
            &["mx.example", "--max-addresses", "-2"],
            "'--max-addresses <N>'",
        ),
        (
            &["mx.example", "--concurrency", "-3"],
            "'--concurrency <N>'",
        ),
        (&["mx.example", "-p", "-25"], "'--port <PORTS>'"),
    ] {
        let r = run(args);
        assert_eq!(r.code, 3, "{args:?}; stderr: {}", r.stderr);
        let first = r.stderr.lines().next().unwrap_or_default();
        assert!(
            first.contains("out of range") && first.contains(option),
            "{args:?}: the first line should name {option} and say out of range:\n{}",
            r.stderr
        );
        assert!(
            !r.stderr.contains("unexpected argument") && !r.stderr.contains("-- -"),
            "{args:?}: a negative number is a value, not an argument to escape:\n{}",
            r.stderr
        );
    }
}

#[test]
fn port_errors_name_the_option_and_the_range() {
    // One message shape for every bad port, wherever it was typed: the option (or the
    // target) it came from, and the range.
    let cases: &[(&[&str], &str)] = &[
        (&["mx.example", "-p", "70000"], "'--port <PORTS>'"),
        (&["mx.example", "-p", "abc"], "'--port <PORTS>'"),
        (&["mx.example", "-p", "0"], "'--port <PORTS>'"),
        (&["mx.example", "-p", "25,0"], "'--port <PORTS>'"),
        (&["mx.example", "--port=25,99999"], "'--port <PORTS>'"),
        (&["mx.example:99999"], "'mx.example:99999'"),
        (&["mx.example:0"], "'mx.example:0'"),
        (&["[::1]:smtp"], "'[::1]:smtp'"),
    ];
    for (args, names) in cases {
        let r = run(args);
        assert_eq!(r.code, 3, "{args:?}; stderr: {}", r.stderr);
        let first = r.stderr.lines().next().unwrap_or_default();
        assert!(
            first.contains(names) && first.contains("(1-65535)"),
            "{args:?}: the first line should name {names} and the range (1-65535):\n{}",
            r.stderr
        );
        for clap_default in ["0..=65535", "invalid digit"] {
            assert!(
                !r.stderr.contains(clap_default),
                "{args:?}: {clap_default:?} is not a message for a user:\n{}",
                r.stderr
            );
        }
        assert!(r.stdout.is_empty(), "{args:?}: nothing on stdout");
    }
}

/// The top-level keys of a pretty-printed JSON document, in the order written.
fn top_level_keys(doc: &str) -> Vec<String> {
    doc.lines()
        .filter_map(|l| l.strip_prefix("  \""))
        .filter_map(|l| l.split_once('"').map(|(k, _)| k.to_string()))
        .collect()
}

/// Runs `args` (which ask for JSON) and checks the error document: one JSON document on
/// stdout with the report's top-level fields, verdict unknown, `error` and `error_detail`
/// naming `option`, exit 3.
#[track_caller]
fn error_document(args: &[&str], target: &str, option: Option<&str>, needle: &str) -> Run {
    let r = run(args);
    assert_eq!(r.code, 3, "{args:?} should exit 3; stderr: {}", r.stderr);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: stdout is not one JSON document ({e}):\n{}\nstderr: {}",
            r.stdout, r.stderr
        )
    });
    assert_eq!(j["schema_version"], 1, "{args:?}: {j:#}");
    assert_eq!(j["tool"]["name"], "starttls-check", "{args:?}");
    assert_eq!(j["tool"]["version"], env!("CARGO_PKG_VERSION"), "{args:?}");
    assert!(
        j["generated_at"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{args:?}: generated_at: {j:#}"
    );
    assert_eq!(j["target"], target, "{args:?}: target");
    assert_eq!(j["verdict"], "unknown", "{args:?}");
    for key in ["mx", "findings", "endpoints"] {
        assert_eq!(j[key], serde_json::json!([]), "{args:?}: {key}");
    }
    let error = j["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{args:?}: error is not a string: {j:#}"));
    assert!(
        error.contains(needle),
        "{args:?}: error lacks {needle:?}: {error}"
    );
    assert!(!error.contains('\n'), "{args:?}: one line: {error:?}");
    assert!(!error.starts_with("error:"), "{args:?}: {error:?}");
    assert_eq!(j["error_detail"]["message"], error, "{args:?}");
    assert_eq!(
        j["error_detail"]["option"],
        option.map_or(serde_json::Value::Null, serde_json::Value::from),
        "{args:?}: error_detail.option"
    );
    let headline = if target.is_empty() {
        format!("UNKNOWN: {error}")
    } else {
        format!("UNKNOWN {target}: {error}")
    };
    assert_eq!(j["headline"], headline, "{args:?}");
    assert!(
        r.stderr.contains(needle),
        "{args:?}: stderr lacks {needle:?}: {}",
        r.stderr
    );
    r
}

#[test]
fn json_errors_are_one_document_for_usage_errors_too() {
    // (arguments, target, option at fault, text of the error)
    let cases: &[(&[&str], &str, Option<&str>, &str)] = &[
        (
            &["mx.example", "--timeout", "-1", "--format", "json"],
            "mx.example",
            Some("--timeout"),
            "out of range",
        ),
        (
            &["--format=json", "mx.example", "--timeout", "-1"],
            "mx.example",
            Some("--timeout"),
            "out of range",
        ),
        (
            &["bad..name", "--format=json"],
            "",
            None,
            "'bad..name' is not a host name",
        ),
        (
            &["--format", "json", "mx.example", "--bogus"],
            "mx.example",
            Some("--bogus"),
            "'--bogus'",
        ),
        (
            &["mx.example:99999", "ok.example", "--format", "json"],
            "ok.example",
            None,
            "(1-65535)",
        ),
        (
            &["mx.example", "-p", "70000", "--format", "json"],
            "mx.example",
            Some("--port"),
            "(1-65535)",
        ),
        (
            &["mx.example", "-p", "abc", "--format=json"],
            "mx.example",
            Some("--port"),
            "(1-65535)",
        ),
        (
            &["--format", "json", "-p", "0", "mx.example"],
            "mx.example",
            Some("--port"),
            "(1-65535)",
        ),
        (
            &["--format", "json", "mx.example", "-4", "-6"],
            "mx.example",
            Some("-4"),
            "cannot be used with",
        ),
        (&["--format", "json"], "", None, "TARGET"),
        // An option whose value is optional is named as written, without its `[=<ZONE>]`.
        (
            &["--format", "json", "mx.example", "--dnsbl", "--no-dnsbl"],
            "mx.example",
            Some("--dnsbl"),
            "cannot be used with",
        ),
        (
            &["demo", "--format", "json", "--bogus"],
            "",
            Some("--bogus"),
            "'--bogus'",
        ),
        // The format asked for last wins, as it does for a run that starts.
        (
            &[
                "mx.example",
                "--format",
                "human",
                "--format=json",
                "--bogus",
            ],
            "mx.example",
            Some("--bogus"),
            "'--bogus'",
        ),
    ];
    for (args, target, option, needle) in cases {
        error_document(args, target, *option, needle);
    }
}

#[test]
fn json_errors_after_parsing_have_the_same_envelope() {
    let r = error_document(
        &[
            "MX.Example",
            "--ca-file",
            "/nonexistent/ca.pem",
            "--format",
            "json",
        ],
        "mx.example",
        Some("--ca-file"),
        "/nonexistent/ca.pem",
    );
    assert!(
        r.stderr.contains("/nonexistent/ca.pem"),
        "stderr still says it: {}",
        r.stderr
    );
    error_document(
        &[
            "mx.example",
            "--fail-days",
            "40",
            "--warn-days",
            "30",
            "--format",
            "json",
        ],
        "mx.example",
        Some("--fail-days"),
        "--fail-days",
    );
    error_document(
        &[
            "mx.example",
            "--expect-name",
            "bad name",
            "--format",
            "json",
        ],
        "mx.example",
        Some("--expect-name"),
        "bad name",
    );
}

#[test]
fn json_error_document_keeps_the_report_field_order() {
    let s = serve(Scenario::postfix(HOST, &pki().healthy(HOST, 60)));
    let report = top_level_keys(&probe(&s, &[]).stdout);
    assert!(report.len() >= 9, "{report:?}");
    let mut want = report.clone();
    want.extend(["error".to_string(), "error_detail".to_string()]);
    for args in [
        &["mx.example", "--timeout", "-1", "--format", "json"][..],
        &[
            "mx.example",
            "--ca-file",
            "/nonexistent/ca.pem",
            "--format",
            "json",
        ],
    ] {
        let r = run(args);
        assert_eq!(top_level_keys(&r.stdout), want, "{args:?}:\n{}", r.stdout);
    }
}

#[test]
fn a_bad_or_human_format_keeps_usage_errors_human() {
    for args in [
        &["mx.example", "--format", "bogus"][..],
        &["mx.example", "--format", "json", "--format", "bogus"],
        &[
            "mx.example",
            "--format",
            "json",
            "--format",
            "human",
            "--bogus",
        ],
        &["mx.example", "--bogus", "--format=markdown"],
        &["mx.example", "--", "--format", "json", "--bogus"],
    ] {
        let r = run(args);
        assert_eq!(r.code, 3, "{args:?}; stderr: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{args:?}: stdout: {}", r.stdout);
        assert!(r.stderr.starts_with("error: "), "{args:?}: {}", r.stderr);
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
        "Needs action",
        "FAIL cert-expired",
        "EXPIRED 3 days ago",
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
    // The endpoint's detail (what the session and the certificate showed) is one -v away.
    let v = probe(&s, &["--format", "human", "--color", "never", "-v"]);
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
            v.stdout.contains(needle),
            "human report with -v lacks {needle:?}:\n{}",
            v.stdout
        );
    }
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
    assert!(md.contains("**`starttls-not-offered`** — "), "{md}");
    assert!(
        md.contains("Set-ReceiveConnector"),
        "the fix is in the ticket:\n{md}"
    );
    assert!(md.contains(&format!("starttls-check {}", env!("CARGO_PKG_VERSION"))));
    let footer = md.lines().last().unwrap();
    assert!(
        footer.contains("UTC · probed from ") && footer.contains("127.0.0.1"),
        "the ticket says where the probe ran (host name, our address): {footer}"
    );
    assert!(
        footer.starts_with("_Run as ` starttls-check ") && footer.contains("--format markdown"),
        "the ticket shows the command line as run: {footer}"
    );
    assert!(
        md.contains("| endpoint | TLS | certificate | issuer | expires | SHA-256 |"),
        "{md}"
    );
    assert!(
        md.lines().count() <= 40,
        "one endpoint fits a ticket in 40 lines, not {}:\n{md}",
        md.lines().count()
    );
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let s = serve(Scenario::postfix(HOST, &pki().healthy(HOST, 60)));
    let auto = probe(&s, &["--format", "human"]);
    assert!(!auto.stdout.contains('\x1b'), "stdout is a pipe: no colour");
    let always = probe(&s, &["--format", "human", "--color", "always"]);
    assert!(always.stdout.contains("\x1b["), "--color always colours");
    let mut c = command(&[
        &format!("{HOST}:{}", s.addr.port()),
        "--resolve",
        &format!("{HOST}:127.0.0.1"),
        "--ca-file",
        pki().root_file.to_str().unwrap(),
        "--color",
        "auto",
    ]);
    c.env("FORCE_COLOR", "1").env("NO_COLOR", "1");
    let out = run_command(c);
    assert!(!out.stdout.contains('\x1b'), "NO_COLOR wins");
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
    assert!(
        r.stdout.lines().count() <= 120,
        "the demo reads like the product: {} lines, at most 120:\n{}",
        r.stdout.lines().count(),
        r.stdout
    );
    assert!(
        r.stdout.contains("plays port 25") && r.stdout.contains("plays port 587"),
        "the port scenario names its ports by role"
    );
    let j = run(&["demo", "--format", "json"]);
    assert_eq!(j.code, 0);
    let reports: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    assert_eq!(reports.as_array().unwrap().len(), 4);
}

#[test]
fn demo_domain_scenario_shows_its_first_fix_within_15_lines() {
    let r = run(&["demo", "--color", "never"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    let Some(start) = lines.iter().position(|l| l.starts_with("── demo 2/4")) else {
        return; // no 127.0.0.2/127.0.0.3 here: the domain scenario was skipped
    };
    let first_fix = lines[start..]
        .iter()
        .position(|l| l.trim_start().starts_with("fix: "))
        .unwrap();
    assert!(
        first_fix <= 15,
        "the first fix is line {first_fix} of the domain scenario:\n{}",
        lines[start..].join("\n")
    );
    let finding = lines[start..start + first_fix]
        .iter()
        .rev()
        .find(|l| l.starts_with("  FAIL ") || l.starts_with("  WARN "))
        .unwrap();
    assert!(
        finding.contains("FAIL cert-expired"),
        "and it is the fix of the finding the headline names:\n{}",
        lines[start..start + first_fix + 1].join("\n")
    );
}

#[test]
fn unresolvable_name_in_resolve_table_is_not_sent_to_dns() {
    // --resolve answers for the host: no name is looked up (a lookup would reach the
    // harness's loopback resolver, whose NXDOMAIN would fail this test).
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

// ---- The harness keeps every run on loopback (see tests/common/mod.rs) -------------------

fn words(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| (*a).to_string()).collect()
}

fn args_of(c: &std::process::Command) -> Vec<String> {
    c.get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

#[test]
fn harness_gives_every_probe_a_loopback_resolver() {
    let shared = common::dns::shared_resolver();
    assert!(shared.ip().is_loopback(), "{shared}");
    let shared = shared.to_string();
    for args in [
        &[HOST, "--resolve", "mail.example.test:127.0.0.1"][..],
        &["127.0.0.1:2525"],
        &["contoso.test", "-p", "25,587", "--format", "json"],
        // A usage error, too: if the binary ever accepted it, it would still stay on loopback.
        &["mx.example", "--timeout", "0"],
    ] {
        let got = args_of(&command(args));
        let mut want = words(args);
        want.extend(["--resolver".to_string(), shared.clone()]);
        assert_eq!(got, want, "{args:?}");
    }
    // A test's own loopback resolver is kept, and no second one is added.
    for args in [
        &["contoso.test", "--resolver", "127.0.0.1:5353"][..],
        &["contoso.test", "--resolver=[::1]:5353"],
    ] {
        assert_eq!(args_of(&command(args)), words(args), "{args:?}");
    }
    // Nothing that cannot probe gets one: --help, --version, no arguments, the demo.
    for args in [
        &["--help"][..],
        &["--version"],
        &[],
        &["demo", "--color", "never"],
    ] {
        assert_eq!(args_of(&command(args)), words(args), "{args:?}");
    }
}

#[test]
fn harness_guard_refuses_runs_that_could_leave_loopback() {
    let refused: &[(&[&str], &str)] = &[
        (&["contoso.test"], "system resolver"),
        (
            &[
                "[mail.contoso.com]:587",
                "--resolve",
                "mail.contoso.com:127.0.0.1",
            ],
            "system resolver",
        ),
        (
            &["contoso.test", "--resolver", "192.0.2.53"],
            "not a loopback address",
        ),
        (
            &["contoso.test", "--resolver=10.0.0.2:53"],
            "not a loopback address",
        ),
        (
            &["contoso.test", "--resolver", "[2001:db8::53]:53"],
            "not a loopback address",
        ),
        (
            &["contoso.test", "--resolver", "ns.example"],
            "not an IP[:PORT] on loopback",
        ),
        (
            &[
                "mx.example",
                "--resolve",
                "mx.example:192.0.2.7",
                "--resolver",
                "127.0.0.1",
            ],
            "not a loopback address",
        ),
        (
            &[
                "mx.example",
                "--resolve",
                "mx.example:25:[2001:db8::7]",
                "--resolver",
                "::1",
            ],
            "not a loopback address",
        ),
        (
            &["203.0.113.5", "--resolver", "127.0.0.1:5353"],
            "target 203.0.113.5",
        ),
        (
            &["203.0.113.5:465", "--resolver", "127.0.0.1:5353"],
            "target 203.0.113.5:465",
        ),
        (
            &["[2001:db8::5]:25", "--resolver", "127.0.0.1:5353"],
            "target [2001:db8::5]:25",
        ),
    ];
    for (args, why) in refused {
        let got = hermetic_violation(&words(args));
        assert!(
            got.as_deref().is_some_and(|g| g.contains(why)),
            "{args:?} must be refused for {why:?}, got {got:?}"
        );
    }
    let allowed: &[&[&str]] = &[
        &["127.0.0.1:2525", "--resolver", "127.0.0.1:5353"],
        &["127.0.0.9:25", "--resolver", "127.0.0.1"],
        &["[::1]:25", "--resolver", "[::1]:53"],
        &[
            HOST,
            "--resolve",
            "mail.example.test:127.0.0.2",
            "--resolver=::1",
        ],
        &[
            "mx.example",
            "--resolve",
            "mx.example",
            "--resolver",
            "127.0.0.1",
        ],
        &[
            "mx.example",
            "--ehlo-name",
            "[192.0.2.1]",
            "--resolver",
            "127.0.0.1",
        ],
        &[
            "mx.example",
            "--expect-name",
            "192.0.2.1",
            "--resolver",
            "127.0.0.1",
        ],
        &["--help"],
        &["mx.example", "--version"],
        &["demo"],
        &[],
    ];
    for args in allowed {
        assert_eq!(hermetic_violation(&words(args)), None, "{args:?}");
    }
    // A batch's file is read like the command line.
    let file = write_temp(
        "hermetic-targets.txt",
        "# list\n127.0.0.1:25\n203.0.113.5 # off\n",
    );
    let f = file.to_string_lossy();
    let got = hermetic_violation(&words(&["--targets-file", &f, "--resolver", "127.0.0.1"]));
    assert!(
        got.as_deref()
            .is_some_and(|g| g.contains("target 203.0.113.5 in")),
        "{got:?}"
    );
}

#[test]
#[should_panic(expected = "a name lookup would go to the system resolver")]
fn harness_guard_stops_a_probe_without_resolver_before_it_starts() {
    // Arguments added after `command` are checked again when the binary is started.
    let mut c = command(&[]);
    c.arg("contoso.test");
    run_command(c);
}

#[test]
fn harness_resolver_answers_nxdomain_from_loopback() {
    // A lookup the test did not plan for is answered by the shared loopback server, never by
    // the system resolver: this name exists nowhere, so the run fails with dns-nxdomain.
    let ca = pki().root_file.to_string_lossy().into_owned();
    let r = run(&[
        "nowhere.test",
        "--ca-file",
        &ca,
        "--no-system-roots",
        "--format",
        "json",
        "--timeout",
        "5",
    ]);
    assert_verdict(&r, "fail", 2, "dns-nxdomain", "fail");
    let asked = format!("asked the resolver {}", common::dns::shared_resolver());
    let evidence = r.finding("dns-nxdomain")["evidence"].to_string();
    assert!(evidence.contains(&asked), "{evidence}");
}

#[test]
fn no_test_starts_the_binary_or_a_system_resolver_outside_the_harness() {
    // Split so that this file does not match itself.
    let binary = concat!("CARGO_BIN", "_EXE_");
    let builders = [
        concat!("Resolver::", "new("),
        concat!("Resolver::", "with_family("),
    ];
    let empty = [
        concat!("&[", "]"),
        concat!("vec![", "]"),
        concat!("Vec::", "new()"),
    ];
    let system_conf = concat!("read_system", "_conf");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["tests", "tests/common", "benches"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    assert!(files.len() >= 8, "found only {files:?}");
    let harness = root.join("tests/common/mod.rs");
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let shown = path.strip_prefix(root).unwrap().display();
        if *path != harness {
            assert!(
                !text.contains(binary),
                "{shown} starts the binary itself: use common::command/run, which add a \
                 loopback --resolver and check the command line"
            );
        }
        assert!(
            !text.contains(system_conf),
            "{shown} reads the system resolver configuration"
        );
        // Every resolver a test builds names its servers: an empty list means the system's.
        let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        for builder in builders {
            for (at, _) in flat.match_indices(builder) {
                let call = &flat[at..];
                let call = &call[..call.find(';').unwrap_or(call.len())];
                assert!(
                    !empty.iter().any(|e| call.contains(e)),
                    "{shown}: {call} builds a resolver without servers (the system's)"
                );
            }
        }
    }
}
