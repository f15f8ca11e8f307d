//! The CI smoke check after a certificate renewal, end to end, as a job runs it: a run with
//! `--format json` saved as the baseline, the server's certificate changed, then a run with
//! `--baseline` and `--expect-fingerprint`; codes, severities, exit codes, JSON fields and the
//! human text. Every form of fingerprint a user pastes; baselines that cannot be compared
//! with; a batch's baseline. Scripted servers on 127.0.0.x, names through `--resolve`.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::*;
use serde_json::Value;
use starttls_check::scripted::{Leaf, Scenario, ScriptedServer};

/// The SHA-256 of the leaf, `AB:CD:…`, computed here, not by the tool.
fn sha256(leaf: &Leaf) -> String {
    ring::digest::digest(&ring::digest::SHA256, &leaf.chain[0])
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The SHA-1 thumbprint, as Windows shows it.
fn thumbprint(leaf: &Leaf) -> String {
    ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &leaf.chain[0])
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// What `openssl x509 -noout -fingerprint -sha256` prints for the leaf: the line users paste.
fn openssl_fingerprint(leaf: &Leaf) -> String {
    let b64 = base64(&leaf.chain[0]);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    );
    let file = write_temp("leaf.pem", &pem);
    let out = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(&file)
        .output()
        .expect("openssl (Debian: the openssl package) must be installed for this test");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Stops `old` and serves `scenario` on the same address and port: the node after the
/// certificate was changed.
fn replace(old: Arc<ScriptedServer>, scenario: Scenario) -> Arc<ScriptedServer> {
    let addr = old.addr;
    drop(old);
    serve_again(addr, scenario)
}

/// Serves `scenario` on `addr`, which a stopped server held.
fn serve_again(addr: std::net::SocketAddr, scenario: Scenario) -> Arc<ScriptedServer> {
    for _ in 0..200 {
        let started = runtime().block_on(async {
            ScriptedServer::start(scenario.clone(), addr.ip(), addr.port()).await
        });
        match started {
            Ok(s) => return Arc::new(s),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("cannot listen on {addr} again: {e}"),
        }
    }
    panic!("{addr} stayed in use after the old server stopped")
}

fn save(name: &str, run: &Run) -> PathBuf {
    assert!(
        run.stdout.trim_start().starts_with('{'),
        "not JSON: {}\n{}",
        run.stdout,
        run.stderr
    );
    write_temp(name, &run.stdout)
}

fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn findings(j: &Value, code: &str) -> Vec<Value> {
    j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .cloned()
        .collect()
}

fn has_command(f: &Value, text: &str) -> bool {
    f["steps"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["kind"] == "command" && s["text"] == text)
}

/// The job as CI runs it: baseline, renewal, then the check with the new fingerprint. The
/// intended renewal passes; without declaring it, it warns; a node that kept the old
/// certificate fails and says so.
#[test]
fn the_ci_job_after_a_renewal() {
    let p = pki();
    let (old, new) = (p.healthy(HOST, 20), p.healthy(HOST, 90));
    let server = serve(Scenario::postfix(HOST, &old));
    let before = probe(&server, &[]);
    assert_eq!(before.code, 1, "20 days left warns: {}", before.stderr);
    let baseline = save("previous.json", &before);
    let b = path(&baseline);
    let server = replace(server, Scenario::postfix(HOST, &new));
    let fp = sha256(&new);

    // Declared: exit 0, and the change is a note.
    let ok = probe(&server, &["--baseline", &b, "--expect-fingerprint", &fp]);
    let j = ok.json();
    assert_eq!(
        (ok.code, j["verdict"].as_str()),
        (0, Some("pass")),
        "{}",
        ok.stdout
    );
    let changed = &findings(&j, "baseline-certificate-changed")[0];
    assert_eq!(changed["severity"], "info");
    assert!(
        changed["summary"]
            .as_str()
            .unwrap()
            .starts_with("renewed as expected since the baseline of "),
        "{changed}"
    );
    assert!(findings(&j, "cert-unexpected-fingerprint").is_empty());
    assert_eq!(j["endpoints"][0]["certificate"]["sha256"], fp);
    let invocation = j["invocation"].as_str().unwrap();
    assert!(
        invocation.contains(&format!("--baseline {b}")) && invocation.contains(&fp),
        "the report records the options it ran with: {invocation}"
    );

    // Not declared: the same change warns, with the command that declares it.
    let warn = probe(&server, &["--baseline", &b]);
    let j = warn.json();
    assert_eq!((warn.code, j["verdict"].as_str()), (1, Some("warn")));
    let changed = &findings(&j, "baseline-certificate-changed")[0];
    assert_eq!(changed["severity"], "warn");
    assert_eq!(j["findings"][0]["code"], "baseline-certificate-changed");
    let target = j["target"].as_str().unwrap();
    let ca = path(&p.root_file);
    let resolver = common::dns::shared_resolver();
    let declare = format!(
        "starttls-check {target} --resolve {HOST}:127.0.0.1 --resolver {resolver} --ca-file {ca} --no-system-roots --expect-fingerprint {fp} --baseline {b}"
    );
    assert!(has_command(changed, &declare), "{declare}\n{changed:#}");
    let evidence: Vec<&str> = changed["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(
        evidence[0].starts_with(&format!("baseline: {b} (a report, made ")),
        "{evidence:?}"
    );
    assert!(
        evidence.iter().any(|e| e.contains(&sha256(&old))),
        "{evidence:?}"
    );
    assert!(
        evidence
            .iter()
            .any(|e| e.starts_with(&format!("now: SHA-256 {fp}"))),
        "{evidence:?}"
    );

    // The human text says the same.
    let human = probe(&server, &["--baseline", &b, "--format", "human"]);
    assert_eq!(human.code, 1);
    assert!(human.stdout.starts_with("WARN "), "{}", human.stdout);
    assert!(
        human.stdout.contains(
            "WARN baseline-certificate-changed  serves another certificate than the baseline of"
        ),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains(&declare), "{}", human.stdout);
}

/// Two nodes behind one name, one renewed, one not: the job fails on the one that still
/// serves the old certificate, names it, and says it is the baseline's certificate.
#[test]
fn a_node_that_kept_the_old_certificate_fails() {
    let p = pki();
    let (old, new) = (p.healthy(HOST, 20), p.healthy(HOST, 90));
    let (servers, ports) = serve_group(vec![
        (Scenario::postfix(HOST, &old), [127, 0, 0, 1], 0),
        (Scenario::postfix(HOST, &old), [127, 0, 0, 2], 0),
    ]);
    let target = format!("{HOST}:{}", ports[0]);
    let ca = path(&p.root_file);
    let args = |extra: &[&str]| {
        let mut a = vec![
            target.as_str(),
            "--resolve",
            "mail.example.test:127.0.0.1",
            "--resolve",
            "mail.example.test:127.0.0.2",
            "--ca-file",
            ca.as_str(),
            "--no-system-roots",
            "--format",
            "json",
        ];
        a.extend_from_slice(extra);
        run(&a)
    };
    let baseline = save("two-nodes.json", &args(&[]));
    let b = path(&baseline);
    let mut servers = servers.into_iter();
    let renewed = replace(servers.next().unwrap(), Scenario::postfix(HOST, &new));
    let _stale = servers.next().unwrap();
    let fp = sha256(&new);
    let r = args(&["--baseline", &b, "--expect-fingerprint", &fp]);
    let j = r.json();
    assert_eq!(
        (r.code, j["verdict"].as_str()),
        (2, Some("fail")),
        "{}",
        r.stdout
    );
    let stale = &findings(&j, "cert-unexpected-fingerprint");
    assert_eq!(stale.len(), 1, "{stale:#?}");
    let f = &stale[0];
    assert_eq!(f["severity"], "fail");
    let node = format!("{HOST} [127.0.0.2]:{}", ports[0]);
    assert_eq!(f["endpoints"], serde_json::json!([node]));
    assert_eq!(j["findings"][0]["code"], "cert-unexpected-fingerprint");
    assert!(
        j["headline"]
            .as_str()
            .unwrap()
            .contains("serves another certificate than expected"),
        "{}",
        j["headline"]
    );
    let ev = f["evidence"].to_string();
    assert!(
        ev.contains(&format!("served: SHA-256 {}", sha256(&old))),
        "{ev}"
    );
    assert!(ev.contains(&format!("expected: SHA-256 {fp}")), "{ev}");
    assert!(ev.contains("not renewed on this endpoint"), "{ev}");
    assert!(
        f["fix"].as_str().unwrap().contains("postfix reload"),
        "Postfix's own reload: {}",
        f["fix"]
    );
    // The renewed node is the declared renewal.
    let note = &findings(&j, "baseline-certificate-changed")[0];
    assert_eq!(note["severity"], "info");
    assert_eq!(
        note["endpoints"],
        serde_json::json!([format!("{HOST} [127.0.0.1]:{}", ports[0])])
    );
    // The endpoint lines name the node.
    let human = args(&[
        "--baseline",
        &b,
        "--expect-fingerprint",
        &fp,
        "--format",
        "human",
    ]);
    let (_, endpoints) = human.stdout.split_once("\nEndpoints\n").unwrap();
    let line = endpoints
        .lines()
        .find(|l| l.starts_with(&format!("  {node}")))
        .unwrap_or_else(|| panic!("{}", human.stdout));
    assert!(line.contains("FAIL"), "{line}");
    assert!(line.contains("cert-unexpected-fingerprint"), "{line}");
    drop(renewed);
}

/// An endpoint that never reached TLS is no mismatch: its own finding fails it. Against a
/// baseline where it offered STARTTLS, losing it is a regression of its own.
#[test]
fn an_endpoint_without_tls_is_no_mismatch_and_losing_starttls_fails() {
    let p = pki();
    let leaf = p.healthy(HOST, 90);
    let server = serve(Scenario::postfix(HOST, &leaf));
    let baseline = save("with-tls.json", &probe(&server, &[]));
    let mut off = Scenario::postfix(HOST, &leaf);
    off.starttls = starttls_check::scripted::StartTls::NotOffered;
    let server = replace(server, off);
    let b = path(&baseline);
    let r = probe(
        &server,
        &["--expect-fingerprint", &sha256(&leaf), "--baseline", &b],
    );
    let j = r.json();
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(
        findings(&j, "cert-unexpected-fingerprint").is_empty(),
        "{}",
        r.stdout
    );
    assert_eq!(findings(&j, "starttls-not-offered")[0]["severity"], "fail");
    let lost = &findings(&j, "baseline-starttls-changed")[0];
    assert_eq!(lost["severity"], "fail");
    assert!(
        lost["summary"]
            .as_str()
            .unwrap()
            .starts_with("STARTTLS is no longer offered")
    );
    assert!(j["endpoints"][0]["certificate"].is_null());
    let human = probe(
        &server,
        &[
            "--expect-fingerprint",
            &sha256(&leaf),
            "--baseline",
            &b,
            "--format",
            "human",
        ],
    );
    assert!(
        human.stdout.contains("fix: as for starttls-not-offered"),
        "the regression is explained by its cause: {}",
        human.stdout
    );
}

/// A node that now negotiates TLS 1.2 where the baseline saw TLS 1.3 warns: a change
/// nobody declared, but TLS 1.2 is no failure.
#[test]
fn a_lower_tls_version_than_the_baseline_warns() {
    let p = pki();
    let leaf = p.healthy(HOST, 90);
    let server = serve(Scenario::postfix(HOST, &leaf));
    let baseline = save("tls13.json", &probe(&server, &[]));
    let mut tls12 = Scenario::postfix(HOST, &leaf);
    let config = rustls::ServerConfig::builder_with_provider(starttls_check::provider())
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(leaf.chain.clone(), leaf.key.clone_key())
        .unwrap();
    tls12.tls = Some(Arc::new(config));
    let server = replace(server, tls12);
    let r = probe(&server, &["--baseline", &path(&baseline)]);
    let j = r.json();
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(j["endpoints"][0]["tls"]["version"], "TLS 1.2");
    let f = &findings(&j, "baseline-tls-version-changed")[0];
    assert_eq!(f["severity"], "warn");
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .starts_with("negotiates TLS 1.2, lower than TLS 1.3 in the baseline of"),
        "{f}"
    );
}

/// Every form of a SHA-256 a user pastes is the same fingerprint; what is no SHA-256 is a
/// usage error (exit 3) that says what it is, also as the JSON error document.
#[test]
fn every_pasted_fingerprint_form_and_every_refusal() {
    let p = pki();
    let leaf = p.healthy(HOST, 90);
    let server = serve(Scenario::postfix(HOST, &leaf));
    let colon = sha256(&leaf);
    let plain = colon.replace(':', "");
    let forms = [
        colon.clone(),
        colon.to_ascii_lowercase(),
        plain.clone(),
        plain.to_ascii_lowercase(),
        format!("sha256:{plain}"),
        format!("SHA256:{colon}"),
        openssl_fingerprint(&leaf),
        format!("SHA256 Fingerprint={colon}"),
        colon.replace(':', " ").to_ascii_lowercase(),
        colon.replace(':', "-"),
        format!(
            "SHA256 hash of mail.cer:\n{}\nCertUtil: -hashfile command completed successfully.",
            colon.replace(':', " ")
        ),
    ];
    assert!(forms[6].starts_with("sha256 Fingerprint="), "{}", forms[6]);
    for form in &forms {
        let r = probe(&server, &["--expect-fingerprint", form]);
        assert_eq!(r.code, 0, "{form}: {}", r.stdout);
        assert!(
            findings(&r.json(), "cert-unexpected-fingerprint").is_empty(),
            "{form}"
        );
    }
    let other = sha256(&p.healthy(HOST, 30));
    let r = probe(&server, &["--expect-fingerprint", &other]);
    assert_eq!(r.code, 2);
    assert_eq!(
        findings(&r.json(), "cert-unexpected-fingerprint")[0]["severity"],
        "fail"
    );

    let thumb = thumbprint(&leaf);
    let probed = server.connections();
    let refused = [
        (thumb.clone(), "SHA-1 thumbprint"),
        (plain[..62].to_string(), "62 hex digits"),
        (format!("{plain}{}", &plain[..32]), "SHA-384"),
        ("mail.example.test".to_string(), "is not a hex digit"),
        (
            "sha256//YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=".to_string(),
            "base64",
        ),
    ];
    for (value, says) in refused {
        let r = probe(
            &server,
            &["--expect-fingerprint", &value, "--format", "human"],
        );
        assert_eq!(r.code, 3, "{value}: {}", r.stderr);
        assert!(
            r.stderr.contains("--expect-fingerprint <SHA256>") && r.stderr.contains(says),
            "{value}: {}",
            r.stderr
        );
        assert_eq!(server.connections(), probed, "a usage error probes nothing");
    }
    let r = probe(&server, &["--expect-fingerprint", &thumb]);
    assert_eq!(r.code, 3);
    let j = r.json();
    assert_eq!(j["verdict"], "unknown");
    assert_eq!(j["error_detail"]["option"], "--expect-fingerprint");
    let message = j["error"].as_str().unwrap();
    assert!(
        message.contains(&format!(r"Cert:\LocalMachine\My\{thumb}")),
        "how to get the SHA-256 of that very certificate: {message}"
    );
}

/// `--expect-issuer` matches words of the issuer's CN or O, or attributes of its DN.
#[test]
fn the_issuer_must_match_one_expect_issuer() {
    let p = pki();
    let server = serve(Scenario::postfix(HOST, &p.healthy(HOST, 90)));
    for ok in [
        "Test Issuing CA",
        "test issuing ca",
        "CN=Test Issuing CA",
        "Test Root CA",
    ] {
        let r = probe(&server, &["--expect-issuer", ok]);
        assert_eq!(r.code, 0, "{ok}: {}", r.stdout);
    }
    let r = probe(
        &server,
        &["--expect-issuer", "Let's Encrypt", "--expect-issuer", "R11"],
    );
    let j = r.json();
    assert_eq!(r.code, 2, "{}", r.stdout);
    let f = &findings(&j, "cert-unexpected-issuer")[0];
    assert_eq!(f["severity"], "fail");
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .contains("CN=Test Issuing CA"),
        "{f}"
    );
    assert!(
        f["evidence"].to_string().contains("expected issuer: R11"),
        "{f}"
    );
    let r = probe(&server, &["--expect-issuer", "CN=", "--format", "human"]);
    assert_eq!(r.code, 3);
    assert!(
        r.stderr.contains("is no distinguished name"),
        "{}",
        r.stderr
    );
}

/// A threshold of N days is "less than N days left", on the exact time: a certificate with
/// 45 days and 23 hours passes `--min-days 45`, one with 7 days and 12 hours only warns under
/// the default `--fail-days 7` ("expires in 7 days"), and one that expired an hour ago has
/// `days_left` -1, not 0.
#[test]
fn thresholds_compare_the_exact_time_left_and_days_left_is_rounded_down() {
    let p = pki();
    let with = |hours: i64| {
        let mut spec = starttls_check::scripted::LeafSpec::valid_for(HOST, p.now, 0);
        spec.not_before = p.now - time::Duration::days(60);
        spec.not_after = p.now + time::Duration::hours(hours);
        serve(Scenario::postfix(HOST, &p.chain(&spec)))
    };
    let server = with(45 * 24 + 23);
    let r = probe(&server, &["--min-days", "45"]);
    assert_eq!(
        (r.code, r.json()["verdict"].as_str()),
        (0, Some("pass")),
        "{}",
        r.stdout
    );
    assert_eq!(r.json()["endpoints"][0]["certificate"]["days_left"], 45);
    let server = with(7 * 24 + 12);
    let r = probe(&server, &[]);
    let j = r.json();
    assert_eq!(r.code, 1, "{}", r.stdout);
    let soon = &findings(&j, "cert-expires-soon")[0];
    assert_eq!(soon["severity"], "warn");
    assert!(
        soon["summary"]
            .as_str()
            .unwrap()
            .starts_with("certificate expires in 7 days ("),
        "{soon}"
    );
    assert_eq!(j["endpoints"][0]["certificate"]["days_left"], 7);
    let server = with(-1);
    let r = probe(&server, &[]);
    let j = r.json();
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert_eq!(j["endpoints"][0]["certificate"]["days_left"], -1);
    assert_eq!(j["endpoints"][0]["certificate"]["expired"], true);
    assert!(
        findings(&j, "cert-expired")[0]["summary"]
            .as_str()
            .unwrap()
            .starts_with("certificate expired today"),
        "{j}"
    );
}

/// `--min-days` is `--fail-days` by another name; a lone one raises the warning threshold
/// with it, and an inconsistent pair is refused naming the option typed.
#[test]
fn min_days_is_the_fail_threshold() {
    let p = pki();
    let server = serve(Scenario::postfix(HOST, &p.healthy(HOST, 60)));
    let r = probe(&server, &["--min-days", "90"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert_eq!(
        findings(&r.json(), "cert-expires-soon")[0]["severity"],
        "fail"
    );
    assert_eq!(probe(&server, &["--min-days", "30"]).code, 0);
    let r = probe(
        &server,
        &["--warn-days", "10", "--min-days", "20", "--format", "human"],
    );
    assert_eq!(r.code, 3);
    assert!(
        r.stderr
            .contains("--min-days (20) must not be larger than --warn-days (10)"),
        "{}",
        r.stderr
    );
    let r = probe(&server, &["--warn-days", "10", "--min-days", "20"]);
    assert_eq!(r.json()["error_detail"]["option"], "--min-days");
    let r = probe(&server, &["--warn-days", "10", "--fail-days", "20"]);
    assert_eq!(r.json()["error_detail"]["option"], "--fail-days");
    let help = run(&["--help"]);
    assert!(help.stdout.contains("--min-days"), "{}", help.stdout);
    // clap's own refusals name the option typed too.
    let r = probe(&server, &["--min-days", "-5", "--format", "human"]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("'--min-days <DAYS>'"), "{}", r.stderr);
    assert!(!r.stderr.contains("--fail-days"), "{}", r.stderr);
    let r = probe(
        &server,
        &["--min-days", "30", "--fail-days", "20", "--format", "human"],
    );
    assert_eq!(r.code, 3);
    assert!(
        r.stderr
            .contains("'--min-days <DAYS>' cannot be used with '--fail-days <DAYS>'"),
        "{}",
        r.stderr
    );
}

/// What cannot be compared with stops the run with exit 3, names the file and what it is, and
/// never passes in silence.
#[test]
fn a_baseline_that_cannot_be_compared_with_is_a_usage_error() {
    let p = pki();
    let server = serve(Scenario::postfix(HOST, &p.healthy(HOST, 90)));
    let good = probe(&server, &[]);
    let j = good.json();
    let variant = |f: &dyn Fn(&mut Value)| {
        let mut v = j.clone();
        f(&mut v);
        v.to_string()
    };
    let other_target = variant(&|v| v["target"] = "fabrikam.example".into());
    let other_tool = variant(&|v| v["tool"]["name"] = "testssl.sh".into());
    let schema = variant(&|v| v["schema_version"] = 2.into());
    let redacted =
        variant(&|v| v["invocation"] = "starttls-check contoso.com --redact --format json".into());
    let error_doc = run(&["mail.example.test:99999", "--format", "json"]).stdout;
    let cases: Vec<(&str, String, &str)> = vec![
        ("empty.json", String::new(), "is empty"),
        (
            "human.txt",
            "PASS mail.example.test: ok\n".into(),
            "is not JSON (it starts with \"PASS",
        ),
        (
            "cut.json",
            good.stdout[..good.stdout.len() / 2].to_string(),
            "is not JSON",
        ),
        (
            "other-target.json",
            other_target,
            "holds no report for mail.example.test:",
        ),
        ("other-tool.json", other_tool, "written by \"testssl.sh\""),
        ("schema.json", schema, "has schema_version 2"),
        ("redacted.json", redacted, "is a redacted report"),
        (
            "error.json",
            error_doc,
            "is the error document of a run that could not start",
        ),
        (
            "explain.json",
            run(&["explain", "cert-expired", "--format", "json"]).stdout,
            "not a probe report",
        ),
    ];
    for (name, text, says) in cases {
        let file = write_temp(name, &text);
        let f = path(&file);
        let r = probe(&server, &["--baseline", &f, "--format", "human"]);
        assert_eq!(r.code, 3, "{name}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stderr.contains(&format!("--baseline {f}")) && r.stderr.contains(says),
            "{name}: {}",
            r.stderr
        );
        let r = probe(&server, &["--baseline", &f]);
        let doc = r.json();
        assert_eq!(
            (r.code, doc["verdict"].as_str()),
            (3, Some("unknown")),
            "{name}"
        );
        assert_eq!(doc["error_detail"]["option"], "--baseline", "{name}");
    }
    let r = probe(
        &server,
        &[
            "--baseline",
            "/nonexistent/previous.json",
            "--format",
            "human",
        ],
    );
    assert_eq!(r.code, 3);
    assert!(
        r.stderr
            .contains("--baseline /nonexistent/previous.json: cannot read it"),
        "{}",
        r.stderr
    );
    assert_eq!(
        r.stderr.matches("os error").count(),
        1,
        "said once: {}",
        r.stderr
    );
    // A directory: said once, in words.
    let dir = std::env::temp_dir();
    let d = path(&dir);
    let r = probe(&server, &["--baseline", &d, "--format", "human"]);
    assert_eq!(r.code, 3);
    assert_eq!(
        r.stderr.matches("is a directory").count(),
        1,
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&format!("--baseline {d} is a directory"))
            && !r.stderr.contains("os error"),
        "{}",
        r.stderr
    );
}

/// A baseline made where nothing answered (a CI runner with port 25 blocked) has nothing to
/// compare: a later run stops with exit 3 instead of comparing nothing and passing.
#[test]
fn a_baseline_that_saw_nothing_is_refused() {
    let p = pki();
    let leaf = p.healthy(HOST, 90);
    let server = serve(Scenario::postfix(HOST, &leaf));
    let addr = server.addr;
    drop(server);
    let blocked = probe_name(HOST, addr, &[]);
    assert!(
        blocked.json()["endpoints"][0]["failure"]["phase"] == "connect",
        "{}",
        blocked.stdout
    );
    let b = path(&save("blocked.json", &blocked));
    let server = serve_again(addr, Scenario::postfix(HOST, &leaf));
    let r = probe(&server, &["--baseline", &b, "--format", "human"]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "--baseline {b} has nothing to compare with: no endpoint of its run of "
        )) && r.stderr.contains("stopped in connect:"),
        "{}",
        r.stderr
    );
    let r = probe(&server, &["--baseline", &b]);
    assert_eq!(r.json()["error_detail"]["option"], "--baseline");
}

/// A baseline made with other options that decide the endpoints would report every endpoint
/// as gone or new: the run stops and names the difference instead.
#[test]
fn a_baseline_made_with_other_endpoint_options_is_refused_naming_them() {
    let p = pki();
    let server = serve(Scenario::postfix(HOST, &p.healthy(HOST, 90)));
    let b = path(&save("v4.json", &probe(&server, &["-4"])));
    let r = probe(&server, &["--baseline", &b, "--format", "human"]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "--baseline {b} was made with other options that decide which endpoints are probed (-4 in the baseline, both address families in this run)"
        )),
        "{}",
        r.stderr
    );
    assert_eq!(probe(&server, &["--baseline", &b, "-4"]).code, 0);
}

/// A new certificate that is self-signed is no renewal: nothing offers to declare it, nor
/// its own name as a new CA.
#[test]
fn a_self_signed_certificate_since_the_baseline_is_not_offered_as_a_renewal() {
    let p = pki();
    let server = serve(Scenario::postfix(HOST, &p.healthy(HOST, 90)));
    let b = path(&save("ca.json", &probe(&server, &[])));
    let own = starttls_check::scripted::pki::self_signed(
        &starttls_check::scripted::LeafSpec::valid_for(HOST, p.now, 365),
    )
    .unwrap();
    let server = replace(server, Scenario::postfix(HOST, &own));
    let r = probe(&server, &["--baseline", &b]);
    let j = r.json();
    assert_eq!(r.code, 2, "{}", r.stdout);
    for code in ["baseline-certificate-changed", "baseline-issuer-changed"] {
        let f = &findings(&j, code)[0];
        let commands = f["steps"].to_string();
        assert!(
            !commands.contains("--expect-fingerprint") && !commands.contains("--expect-issuer"),
            "{code}: {f:#}"
        );
    }
    assert!(
        findings(&j, "baseline-certificate-changed")[0]["summary"]
            .as_str()
            .unwrap()
            .ends_with("; the new one is self-signed")
    );
}

/// A batch's JSON (and its JSON Lines) is a baseline for the batch and for each target
/// alone, as the command in each report's `invocation` reruns it; a target the baseline
/// lacks warns.
#[test]
fn a_batch_baseline() {
    let p = pki();
    let (servers, ports) = serve_group(vec![
        (
            Scenario::postfix("mx1.renew.test", &p.healthy("mx1.renew.test", 90)),
            [127, 0, 0, 3],
            0,
        ),
        (
            Scenario::postfix("mx2.renew.test", &p.healthy("mx2.renew.test", 90)),
            [127, 0, 0, 4],
            0,
        ),
        (
            Scenario::postfix("mx3.renew.test", &p.healthy("mx3.renew.test", 90)),
            [127, 0, 0, 5],
            0,
        ),
    ]);
    let port = ports[0];
    let t = |n: u8| format!("[mx{n}.renew.test]:{port}");
    let (t1, t2, t3) = (t(1), t(2), t(3));
    let ca = path(&p.root_file);
    let batch = |targets: &[&str], extra: &[&str]| {
        let mut a: Vec<&str> = targets.to_vec();
        a.extend_from_slice(&[
            "--resolve",
            "mx1.renew.test:127.0.0.3",
            "--resolve",
            "mx2.renew.test:127.0.0.4",
            "--resolve",
            "mx3.renew.test:127.0.0.5",
            "--ca-file",
            ca.as_str(),
            "--no-system-roots",
            "--format",
            "json",
        ]);
        a.extend_from_slice(extra);
        run(&a)
    };
    let first = batch(&[&t1, &t2], &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let baseline = save("batch.json", &first);
    let b = path(&baseline);
    let fp1 = first.json()["reports"][0]["endpoints"][0]["certificate"]["sha256"]
        .as_str()
        .unwrap()
        .to_string();

    let again = batch(&[&t1, &t2, &t3], &["--baseline", &b]);
    let j = again.json();
    assert_eq!(
        again.code, 1,
        "the third target has no baseline: {}",
        again.stdout
    );
    assert_eq!(j["reports"][0]["verdict"], "pass");
    assert_eq!(j["reports"][1]["verdict"], "pass");
    let missing = &findings(&j["reports"][2], "baseline-target-missing")[0];
    assert_eq!(missing["severity"], "warn");
    assert_eq!(j["reports"][2]["verdict"], "warn");
    // Each report's invocation reruns its target alone, with the baseline and expectations.
    let with_fp = batch(
        &[&t1, &t2],
        &["--baseline", &b, "--expect-fingerprint", &fp1],
    );
    let j = with_fp.json();
    assert_eq!(
        with_fp.code, 2,
        "mx2 serves another certificate: {}",
        with_fp.stdout
    );
    let rerun = j["reports"][1]["invocation"].as_str().unwrap();
    assert!(
        rerun.starts_with(&format!("starttls-check '{t2}'"))
            && rerun.contains(&format!("--baseline {b}"))
            && rerun.contains(&format!("--expect-fingerprint {fp1}")),
        "{rerun}"
    );
    assert!(
        j["invocation"].as_str().unwrap().contains("--baseline"),
        "{}",
        j["invocation"]
    );
    // One target alone against the batch's baseline: its own report is found.
    let alone = batch(&[&t2], &["--baseline", &b]);
    assert_eq!(alone.code, 0, "{}{}", alone.stdout, alone.stderr);
    assert!(
        alone.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] == "info")
    );
    let stranger = batch(&[&t3], &["--baseline", &b, "--format", "human"]);
    assert_eq!(stranger.code, 3);
    assert!(
        stranger.stderr.contains(&format!(
            "holds no report for {t3}; it holds 2 targets: {t1}, {t2}"
        )),
        "{}",
        stranger.stderr
    );
    // JSON Lines of the same batch.
    let lines = batch(&[&t1, &t2], &["--format", "jsonl"]);
    let jsonl = write_temp("batch.jsonl", &lines.stdout);
    let r = batch(&[&t1, &t2], &["--baseline", &path(&jsonl)]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    drop(servers);
}

/// A baseline written by Windows PowerShell 5.1's `>` (UTF-16 with a byte-order mark) reads.
#[test]
fn a_baseline_saved_by_windows_powershell_reads() {
    let p = pki();
    let server = serve(Scenario::postfix(HOST, &p.healthy(HOST, 90)));
    let text = probe(&server, &[]).stdout;
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let file = write_temp("ps.json", "");
    std::fs::write(&file, utf16).unwrap();
    let r = probe(&server, &["--baseline", &path(&file)]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}
