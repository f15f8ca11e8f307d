//! docs/report.schema.json against the program's real output: every scripted scenario the
//! tests reach (pass, warn, fail, unknown, a refused connection, timeouts, implicit TLS,
//! several ports, domains through an in-process DNS server with several MX, a null MX,
//! NXDOMAIN), `--check-required`, `-v`, the demo, a batch document, JSON Lines and the error
//! documents; and the documents of `explain` (a code, a word that is none, pasted text, with
//! and without `--probe`) and of `exchange-config` (every saved paste of the tests, `--probe`);
//! the `policy` object from real lookups and fetches (MTA-STS in effect, in testing with LF
//! line ends and an MX outside it, redirected, 404, an untrusted policy host, duplicate
//! records, nothing published, a direct host, `--no-policy`) and the endpoint's `revocation`
//! (a revoked leaf, a stale CRL, a 404, LDAP only, no CRL, the intermediate fetched from CA
//! Issuers); the DNSSEC tier (`tests/dnssec.rs`) validates DANE's. The schema's objects are
//! closed, so a field added to the report's Rust DTO
//! without the schema fails here; a finding code added to the catalogue without the schema
//! fails `the_finding_codes_are_the_catalogues`.
//!
//! And the check can fail: an unknown field, a wrong type, a missing field, a code the
//! catalogue does not know and a verdict out of the enum are each refused.

#![allow(clippy::unwrap_used)]

mod common;
mod schema_check;

use std::net::{IpAddr, Ipv4Addr};

use common::dns::DnsServer;
use common::*;
use schema_check::{assert_valid, assert_valid_lines, assert_valid_text, schema, violation};
use serde_json::{Value, json};
use starttls_check::scripted::http::{HttpServer, Response};
use starttls_check::scripted::pki::CrlSpec;
use starttls_check::scripted::{LeafSpec, OnConnect, Scenario, pki as spki, server_config};
use time::Duration;

fn postfix(days: i64) -> Scenario {
    Scenario::postfix(HOST, &pki().healthy(HOST, days))
}

/// Probes `scenario` as JSON (with `extra` options) and validates the report; returns it.
#[track_caller]
fn valid_probe(what: &str, scenario: Scenario, extra: &[&str]) -> Value {
    let s = serve(scenario);
    let r = probe(&s, extra);
    assert_valid_text(&r.stdout, what)
}

#[test]
fn the_schema_is_2020_12_with_an_id_and_a_versioned_contract() {
    let s = schema();
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert!(s["$id"].as_str().is_some_and(|id| !id.is_empty()));
    assert!(s["title"].is_string() && s["description"].is_string());
    assert_eq!(s["$defs"]["schemaVersion"]["const"], 1);
    let why = s["$defs"]["schemaVersion"]["description"].as_str().unwrap();
    assert!(why.contains("only on an incompatible change"), "{why}");
}

#[test]
fn the_finding_codes_are_the_catalogues() {
    let in_schema: Vec<&str> = schema()["$defs"]["findingCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let catalogue: Vec<&str> = starttls_check::catalogue::CATALOGUE
        .iter()
        .map(|e| e.id)
        .collect();
    let missing: Vec<&&str> = catalogue
        .iter()
        .filter(|c| !in_schema.contains(c))
        .collect();
    let extra: Vec<&&str> = in_schema
        .iter()
        .filter(|c| !catalogue.contains(c))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "docs/report.schema.json $defs.findingCode must list exactly the catalogue's codes \
         (src/diagnose/catalogue.rs): add {missing:?}, remove {extra:?}"
    );
    assert_eq!(in_schema, catalogue, "in the catalogue's order");
}

#[test]
fn pass_warn_fail_and_unknown_reports_are_valid() {
    let j = valid_probe("pass", postfix(90), &[]);
    assert_eq!(j["verdict"], "pass");
    let j = valid_probe("warn (expires soon)", postfix(20), &[]);
    assert_eq!(j["verdict"], "warn");
    let p = pki();
    let mut spec = LeafSpec::valid_for(HOST, p.now, 0);
    spec.not_before = p.now - Duration::days(93);
    spec.not_after = p.now - Duration::days(3);
    let j = valid_probe(
        "fail (expired)",
        Scenario::postfix(HOST, &p.chain(&spec)),
        &[],
    );
    assert_eq!(j["verdict"], "fail");
    let self_signed = spki::self_signed(&LeafSpec::valid_for(HOST, p.now, 300)).unwrap();
    let j = valid_probe(
        "fail (self-signed)",
        Scenario::postfix(HOST, &self_signed),
        &[],
    );
    assert_eq!(j["verdict"], "fail");
    let mut busy = postfix(90);
    busy.banner = "421 4.3.2 Service not available, closing transmission channel".into();
    let j = valid_probe("unknown (421)", busy, &[]);
    assert_eq!(j["verdict"], "unknown");
}

#[test]
fn exchange_without_starttls_helo_only_and_a_wrong_name_are_valid() {
    let j = valid_probe(
        "starttls not offered",
        Scenario::exchange(HOST, None),
        &["-v"],
    );
    assert_eq!(j["endpoints"][0]["server_software"], "exchange");
    assert!(j["endpoints"][0]["tls"].is_null());
    let mut helo = postfix(90);
    helo.ehlo_refusal = Some("500 5.5.1 Command unrecognized".into());
    valid_probe("EHLO refused", helo, &[]);
    let wrong = Scenario::postfix(HOST, &pki().healthy("www.other.test", 90));
    let j = valid_probe("name mismatch", wrong, &[]);
    assert_eq!(j["verdict"], "fail");
    // Exchange Online commands: the shell as serde writes it.
    let exchange = Scenario::exchange(HOST, Some(&pki().healthy(HOST, 90)));
    let j = valid_probe(
        "expected name on Exchange",
        exchange,
        &["--expect-name", "other.example.test"],
    );
    assert!(
        j.to_string()
            .contains("\"shell\":\"exchange-online-power-shell\""),
        "{j}"
    );
}

#[test]
fn a_refused_connection_and_timeouts_are_valid() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = probe_name(HOST, ([127, 0, 0, 1], port).into(), &[]);
    let j = assert_valid_text(&r.stdout, "connection refused");
    assert_eq!(j["endpoints"][0]["failure"]["kind"], "refused");
    let mut silent = postfix(90);
    silent.on_connect = OnConnect::Silent;
    let j = valid_probe("banner timeout", silent, &["--timeout", "1"]);
    assert_eq!(j["endpoints"][0]["failure"]["kind"], "timeout");
    let mut slow = postfix(90);
    slow.ehlo_delay = std::time::Duration::from_secs(3);
    valid_probe("EHLO timeout", slow, &["--timeout", "1"]);
    let mut closing = postfix(90);
    closing.on_connect = OnConnect::Close;
    valid_probe("closed at connect", closing, &[]);
}

#[test]
fn implicit_tls_several_ports_and_check_required_are_valid() {
    let mut implicit = postfix(90);
    implicit.implicit_tls = true;
    let j = valid_probe("implicit TLS", implicit, &["--implicit-tls"]);
    assert_eq!(j["endpoints"][0]["tls_mode"], "implicit");
    let (_servers, ports) = serve_group(vec![
        (Scenario::exchange(HOST, None), [127, 0, 0, 1], 0),
        (
            Scenario::exchange(HOST, Some(&pki().healthy(HOST, 90))),
            [127, 0, 0, 1],
            1,
        ),
    ]);
    let list = format!("{},{}", ports[0], ports[1]);
    let r = probe_ports(HOST, "127.0.0.1", &list, &["-v"]);
    let j = assert_valid_text(&r.stdout, "two ports");
    assert_eq!(j["endpoints"].as_array().unwrap().len(), 2);
    let mut strict = postfix(90);
    strict.mail_reply = Some("530 5.7.0 Must issue a STARTTLS command first".into());
    let j = valid_probe("--check-required", strict, &["--check-required"]);
    assert!(j["findings"].to_string().contains("tls-required"));
    valid_probe("--check-required, 503", postfix(90), &["--check-required"]);
}

/// A zone for `origin` with an SOA and the given records.
fn dns(origin: &str, records: &str) -> DnsServer {
    let text = format!(
        "$ORIGIN {origin}.\n$TTL 60\n@ IN SOA ns.{origin}. hostmaster.{origin}. 1 60 60 60 60\n{records}\n"
    );
    DnsServer::start(&[(&format!("{origin}."), &text)])
}

#[test]
fn domains_with_several_mx_a_null_mx_and_nxdomain_are_valid() {
    let p = pki();
    let mut spec = LeafSpec::valid_for("mx2.schema.test", p.now, 0);
    spec.not_before = p.now - Duration::days(93);
    spec.not_after = p.now - Duration::days(3);
    let (_servers, ports) = serve_group(vec![
        (
            Scenario::postfix("mx1.schema.test", &p.healthy("mx1.schema.test", 90)),
            [127, 0, 0, 2],
            0,
        ),
        (
            Scenario::exchange("mx2.schema.test", Some(&p.chain(&spec))),
            [127, 0, 0, 3],
            0,
        ),
    ]);
    let d = dns(
        "schema.test",
        "@ IN MX 10 mx1\n@ IN MX 20 mx2\n@ IN MX 30 mx3\nmx1 IN A 127.0.0.2\nmx2 IN A 127.0.0.3\n",
    );
    let port = ports[0].to_string();
    let r = probe_domain(&d, &["schema.test"], &["-p", &port, "-v"]);
    let j = assert_valid_text(&r.stdout, "domain with three MX");
    assert_eq!(j["mx"].as_array().unwrap().len(), 3);
    assert_eq!(j["verdict"], "fail");
    let d = dns("nomail.test", "@ IN MX 0 .");
    let r = probe_domain(&d, &["nomail.test"], &[]);
    let j = assert_valid_text(&r.stdout, "null MX");
    assert!(r.codes().contains(&"dns-null-mx".to_string()), "{j}");
    let r = probe_domain(&d, &["nope.nomail.test"], &[]);
    assert_valid_text(&r.stdout, "NXDOMAIN");
    assert!(r.codes().contains(&"dns-nxdomain".to_string()));
    // No MX: the implicit MX, and a host name that does not exist.
    let d = dns("implicit.test", "@ IN A 127.0.0.2\n");
    let r = probe_domain(&d, &["implicit.test"], &["-p", &port]);
    let j = assert_valid_text(&r.stdout, "implicit MX");
    assert_eq!(j["mx"][0]["implicit"], true);
}

#[test]
fn a_batch_document_and_json_lines_are_valid() {
    let a = serve(postfix(90));
    let b = serve(postfix(20));
    let ta = format!("{HOST}:{}", a.addr.port());
    let tb = format!("b.{HOST}:{}", b.addr.port());
    let ca = pki().root_file.to_string_lossy().into_owned();
    let resolve_a = format!("{HOST}:127.0.0.1");
    let resolve_b = format!("b.{HOST}:127.0.0.1");
    let common = [
        "--resolve",
        resolve_a.as_str(),
        "--resolve",
        resolve_b.as_str(),
        "--ca-file",
        ca.as_str(),
        "--no-system-roots",
        "--timeout",
        "5",
    ];
    let mut args = vec![ta.as_str(), tb.as_str(), "--format", "json"];
    args.extend_from_slice(&common);
    let r = run(&args);
    let j = assert_valid_text(&r.stdout, "batch document");
    assert_eq!(j["reports"].as_array().unwrap().len(), 2);
    assert_eq!(j["counts"]["total"], 2);
    let mut args = vec![ta.as_str(), tb.as_str(), "--format", "jsonl"];
    args.extend_from_slice(&common);
    let r = run(&args);
    assert_eq!(assert_valid_lines(&r.stdout, "JSON Lines").len(), 2);
    // One target in JSON Lines: one line, a report.
    let mut args = vec![ta.as_str(), "--format", "jsonl", "-v"];
    args.extend_from_slice(&common);
    let r = run(&args);
    assert_eq!(assert_valid_lines(&r.stdout, "one JSON line").len(), 1);
    // A targets file.
    let file = write_temp("schema-targets.txt", &format!("{ta}\n{tb}\n"));
    let file = file.to_string_lossy().into_owned();
    let mut args = vec!["--targets-file", file.as_str(), "--format", "json"];
    args.extend_from_slice(&common);
    assert_valid_text(&run(&args).stdout, "targets file");
}

#[test]
fn the_demos_json_is_valid() {
    let r = run(&["demo", "--format", "json"]);
    let j = assert_valid_text(&r.stdout, "demo --format json");
    assert!(j.as_array().unwrap().len() >= 3, "{}", r.stdout);
    let r = run(&["demo", "--format", "jsonl"]);
    assert_valid_lines(&r.stdout, "demo --format jsonl");
}

#[test]
fn the_error_documents_are_valid() {
    // A usage error clap refuses: one target, then a batch, in JSON and JSON Lines.
    let r = run(&["a.example", "--timeout", "-1", "--format", "json"]);
    assert_eq!(r.code, 3);
    let j = assert_valid_text(&r.stdout, "usage error");
    assert_eq!(j["error_detail"]["option"], "--timeout");
    let r = run(&["a.example", "--bogus", "--format=jsonl"]);
    assert_valid_lines(&r.stdout, "usage error, JSON Lines");
    let r = run(&["--format", "json", "--timeout", "-1"]);
    assert_valid_text(&r.stdout, "usage error without a target");
    let r = run(&[
        "a.example",
        "b.example",
        "--timeout",
        "-1",
        "--format",
        "json",
    ]);
    let j = assert_valid_text(&r.stdout, "usage error of a batch");
    assert_eq!(j["reports"], json!([]));
    // Errors after parsing: an unreadable targets file, an unreadable --ca-file.
    let r = run(&[
        "--targets-file",
        "/nonexistent/targets.txt",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 3);
    let j = assert_valid_text(&r.stdout, "unreadable targets file");
    assert_eq!(j["error_detail"]["option"], "--targets-file");
    let r = run(&["--targets-file", "/nonexistent/t.txt", "--format", "jsonl"]);
    assert_valid_lines(&r.stdout, "unreadable targets file, JSON Lines");
    let r = run(&[
        "a.example",
        "--ca-file",
        "/nonexistent.pem",
        "--format",
        "json",
    ]);
    let j = assert_valid_text(&r.stdout, "unreadable --ca-file");
    assert_eq!(j["target"], "a.example");
}

/// The check can fail: each of these breaks the contract and is refused.
#[test]
fn the_schema_refuses_unknown_fields_wrong_types_and_unknown_codes() {
    let j = valid_probe("pass", postfix(90), &[]);
    let refused = |what: &str, change: &dyn Fn(&mut Value)| {
        let mut doc = j.clone();
        change(&mut doc);
        assert!(
            violation(&doc).is_some(),
            "the schema accepted a document with {what}"
        );
    };
    refused("an unknown top-level field", &|d| {
        d["surprise"] = json!(1);
    });
    refused("an unknown endpoint field", &|d| {
        d["endpoints"][0]["new_field"] = json!("x");
    });
    refused("an unknown certificate field", &|d| {
        d["endpoints"][0]["certificate"]["ocsp"] = json!(null);
    });
    refused("an unknown finding field", &|d| {
        d["findings"][0]["extra"] = json!([]);
    });
    refused("a port as a string", &|d| {
        d["endpoints"][0]["port"] = json!("25");
    });
    refused("a null where a list belongs", &|d| {
        d["endpoints"][0]["ehlo"] = json!(null);
    });
    refused("a missing field", &|d| {
        d["endpoints"][0].as_object_mut().unwrap().remove("sni");
    });
    refused("a code the catalogue does not know", &|d| {
        d["findings"][0]["code"] = json!("cert-made-up");
    });
    refused("a verdict out of the enum", &|d| d["verdict"] = json!("ok"));
    refused("schema_version 2", &|d| d["schema_version"] = json!(2));
    refused("a command step without its shell", &|d| {
        d["findings"][0]["steps"] = json!([{ "kind": "command", "text": "x" }]);
    });
    refused("an error report whose verdict is pass", &|d| {
        d["error"] = json!("x");
        d["error_detail"] = json!({ "message": "x", "option": null });
    });
    // The same document is valid as it came.
    assert_valid(&j, "unchanged");
}

// ---------------------------------------------------------------------------------------
// `explain` and `exchange-config`: their own documents (`kind` says which).

/// `explain` on a code, a word that is no code, pasted text it recognises and text it does
/// not, each with `--probe` where that gives another shape, in JSON and JSON Lines; and its
/// usage error.
#[test]
fn explain_documents_are_valid() {
    let explain = |args: &[&str], what: &str| {
        let mut all = vec!["explain"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--format", "json"]);
        let r = run(&all);
        let mut lines = all.clone();
        *lines.last_mut().unwrap() = "jsonl";
        let jsonl = run(&lines);
        assert_valid_lines(&jsonl.stdout, &format!("{what}, JSON Lines"));
        assert_valid_text(&r.stdout, what)
    };
    let j = explain(&["cert-expired"], "explain CODE");
    assert_eq!(j["kind"], "code");
    assert_eq!(j["code"]["code"], "cert-expired");
    let j = explain(&["cert-expired", "--probe"], "explain CODE --probe");
    assert_eq!(j["findings"], json!([]));
    let j = explain(&["cert-expird"], "a word that is no code");
    assert!(j["code"].is_null(), "{j}");
    assert_eq!(j["near_matches"][0], "cert-expired");
    let ndr = format!(
        "450 4.7.320 Certificate validation failed [Message=SubjectMismatch] \
         LastAttemptedServerName {HOST} LastAttemptedIP 127.0.0.1:2525"
    );
    let j = explain(&[&ndr], "recognised text");
    assert_eq!(
        (j["kind"].as_str(), j["recognised"].as_bool()),
        (Some("explain"), Some(true))
    );
    assert!(j["probe"].is_object(), "{j}");
    let j = explain(
        &["hello, this is no mail error at all"],
        "text not recognised",
    );
    assert!(j["probe"].is_null(), "{j}");
    let j = explain(
        &["hello, this is no mail error at all", "--probe"],
        "--probe with nothing named",
    );
    assert_eq!(j["verdict"], "unknown");
    // --probe that ran: the self-signed certificate of an Exchange the NDR names.
    let leaf = spki::self_signed(&LeafSpec::valid_for("EXCH01", pki().now, 365)).unwrap();
    let s = serve(Scenario::exchange("EXCH01.contoso.local", Some(&leaf)));
    let ndr = format!(
        "450 4.7.320 Certificate validation failed [Message=SubjectMismatch] \
         LastAttemptedServerName {HOST} LastAttemptedIP 127.0.0.1:{}",
        s.addr.port()
    );
    let j = explain(&[&ndr, "--probe", "--timeout", "5"], "--probe that ran");
    assert_eq!(j["verdict"], "fail");
    assert!(
        j["probe_command"].is_string() && j["joined"].is_array(),
        "{j}"
    );
    // Nothing to explain: the error document.
    let mut c = command(&["explain", "-", "--format", "json"]);
    c.stdin(std::process::Stdio::null());
    let r = run_command(c);
    assert_eq!(r.code, 3, "{}", r.stdout);
    let j = assert_valid_text(&r.stdout, "explain: nothing to explain");
    assert!(j["error"].is_string(), "{j}");
}

/// `exchange-config` on every saved Exchange output of the tests (`fl`, tables, JSON of
/// PowerShell 5.1 and 7, our collection script, UTF-16, cut and wrapped pastes), on prose it
/// does not recognise, with `--probe` against a scripted Exchange, and its error document.
#[test]
fn exchange_config_documents_are_valid() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut files: Vec<std::path::PathBuf> = ["exchange", "exchange-e2e"]
        .iter()
        .flat_map(|d| std::fs::read_dir(root.join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    assert!(files.len() > 20, "{files:?}");
    let mut cmdlets = std::collections::BTreeSet::new();
    for f in &files {
        let path = f.to_str().unwrap();
        let r = run(&["exchange-config", path, "--format", "json"]);
        let j = assert_valid_text(&r.stdout, path);
        assert_eq!(j["kind"], "exchange-config");
        for o in j["read"].as_array().unwrap() {
            cmdlets.insert(o["cmdlet"].as_str().unwrap().to_string());
        }
    }
    assert!(cmdlets.len() >= 5, "{cmdlets:?}");
    let license = concat!(env!("CARGO_MANIFEST_DIR"), "/LICENSE");
    let r = run(&["exchange-config", license, "--format", "jsonl"]);
    assert_valid_lines(&r.stdout, "exchange-config on prose, JSON Lines");
    // --probe: the join and the probe's own report.
    let server = serve(Scenario::exchange(HOST, Some(&pki().healthy(HOST, 200))));
    let port = server.addr.port();
    let paste = format!(
        "Identity : EX01\\Default Frontend EX01\nServer : EX01\nTransportRole : FrontendTransport\nAuthMechanism : Tls\nBindings : {{0.0.0.0:{port}}}\nFqdn : {HOST}\nTlsCertificateName : <I>CN=CA<S>CN={HOST}\n\nThumbprint : 00112233445566778899AABBCCDDEEFF00112233\nSubject : CN={HOST}\nIssuer : CN=CA\nServices : IIS, SMTP\nCertificateDomains : {{{HOST}}}\nHasPrivateKey : True\nIsSelfSigned : False\nStatus : Valid\n"
    );
    let path = write_temp("schema-exchange-join.txt", &paste);
    let ca = pki().root_file.to_string_lossy().into_owned();
    let r = run(&[
        "exchange-config",
        path.to_str().unwrap(),
        &format!("--probe={HOST}"),
        "-p",
        &port.to_string(),
        "--resolve",
        &format!("{HOST}:127.0.0.1"),
        "--ca-file",
        &ca,
        "--no-system-roots",
        "--timeout",
        "5",
        "--format",
        "json",
    ]);
    let j = assert_valid_text(&r.stdout, "exchange-config --probe");
    assert!(j["join"]["rows"][0].is_object(), "{j}");
    assert_eq!(j["probe"]["endpoints"][0]["port"], port);
    // An unreadable input: the error document.
    let r = run(&["exchange-config", "/nonexistent/fl.txt", "--format", "json"]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert_valid_text(&r.stdout, "exchange-config: unreadable input");
}

/// The new documents are closed too: a field the schema does not name, a `kind` it does not
/// know, a side or cmdlet out of its enum are refused.
#[test]
fn the_schema_refuses_what_explain_and_exchange_config_never_write() {
    let code = assert_valid_text(
        &run(&["explain", "cert-expired", "--format", "json"]).stdout,
        "explain CODE",
    );
    let ndr = "450 4.7.320 Certificate validation failed LastAttemptedServerName mail.example.test";
    let text = assert_valid_text(
        &run(&["explain", ndr, "--format", "json"]).stdout,
        "explain TEXT",
    );
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/exchange-e2e/seed-001-connector.txt"
    );
    let config = assert_valid_text(
        &run(&["exchange-config", file, "--format", "json"]).stdout,
        "exchange-config",
    );
    let refused = |doc: &Value, what: &str, change: &dyn Fn(&mut Value)| {
        let mut d = doc.clone();
        change(&mut d);
        assert!(violation(&d).is_some(), "the schema accepted {what}");
    };
    refused(&code, "an unknown field of explain CODE", &|d| {
        d["surprise"] = json!(1)
    });
    refused(&code, "an unknown field of a catalogue entry", &|d| {
        d["code"]["extra"] = json!(1)
    });
    refused(&code, "kind explain on a code's document", &|d| {
        d["kind"] = json!("explain")
    });
    refused(&code, "findings from --probe of a code", &|d| {
        d["findings"] = json!([1]);
        d["probe_note"] = json!("x");
    });
    refused(&text, "a side out of the enum", &|d| {
        d["matches"][0]["side"] = json!("both")
    });
    refused(&text, "an unknown field of the extract", &|d| {
        d["extracted"]["guess"] = json!(null)
    });
    refused(
        &text,
        "a probe command without the probe's findings",
        &|d| d["probe_command"] = json!("starttls-check x"),
    );
    refused(&config, "a cmdlet out of the enum", &|d| {
        d["read"][0]["cmdlet"] = json!("get-mailbox")
    });
    refused(&config, "a missing join", &|d| {
        d.as_object_mut().unwrap().remove("join");
    });
    refused(&config, "a kind it does not know", &|d| {
        d["kind"] = json!("exchange")
    });
}

// --- The policy object and the endpoint's revocation, from real fetches ---

/// A mail domain `contoso.test` (MX mx1 on 127.0.0.2, `mta-sts` on 127.0.0.1) with `records`
/// added; its policy host served by `web` through `--connect-to`. Returns the probe's JSON,
/// validated.
#[track_caller]
fn valid_policy_domain(what: &str, records: &str, web: &HttpServer, extra: &[&str]) -> Value {
    valid_policy_target(what, "contoso.test", records, web, extra)
}

/// [`valid_policy_domain`] for another target of the same zone (`[mx1.contoso.test]`).
#[track_caller]
fn valid_policy_target(
    what: &str,
    target: &str,
    records: &str,
    web: &HttpServer,
    extra: &[&str],
) -> Value {
    let name = "mx1.contoso.test";
    let (_smtp, ports) = serve_group(vec![(
        Scenario::postfix(name, &pki().healthy(name, 120)),
        [127, 0, 0, 2],
        0,
    )]);
    let d = dns(
        "contoso.test",
        &format!("@ IN MX 10 mx1\nmx1 IN A 127.0.0.2\nmta-sts IN A 127.0.0.1\n{records}"),
    );
    let connect = format!("mta-sts.contoso.test:443:127.0.0.1:{}", web.addr.port());
    let port = ports[0].to_string();
    let mut args = vec!["-p", port.as_str(), "--connect-to", connect.as_str()];
    args.extend_from_slice(extra);
    let r = probe_domain(&d, &[target], &args);
    assert_valid_text(&r.stdout, what)
}

/// A scripted https server for `mta-sts.contoso.test` serving `routes`, its certificate from
/// the test CA (`trusted`) or self-signed.
fn policy_web(routes: Vec<(&str, Response)>, trusted: bool) -> HttpServer {
    let spec = LeafSpec::valid_for("mta-sts.contoso.test", pki().now, 120);
    let leaf = if trusted {
        pki().chain(&spec)
    } else {
        spki::self_signed(&spec).unwrap()
    };
    let routes = routes
        .into_iter()
        .map(|(p, r)| (p.to_string(), r))
        .collect();
    runtime().block_on(async {
        HttpServer::start(
            routes,
            Some(server_config(&leaf)),
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            0,
        )
        .await
        .unwrap()
    })
}

const STS_PATH: &str = "/.well-known/mta-sts.txt";
const STS_TXT: &str = "_mta-sts IN TXT \"v=STSv1; id=20260101\"\n";
const RPT_TXT: &str = "_smtp._tls IN TXT \"v=TLSRPTv1; rua=mailto:tls@contoso.test\"\n";

#[test]
fn mta_sts_and_tlsrpt_policies_are_valid() {
    // Every shape the mtaSts and tlsrpt objects take: a policy in effect; one with LF line
    // ends, an unknown key and an MX outside its patterns; a redirect (never followed); a 404;
    // an untrusted policy host; two records of each kind; nothing published.
    let enforce = "version: STSv1\r\nmode: enforce\r\nmx: mx1.contoso.test\r\nmax_age: 1209600\r\n";
    let web = policy_web(
        vec![(STS_PATH, Response::ok("text/plain", enforce.as_bytes()))],
        true,
    );
    let j = valid_policy_domain(
        "MTA-STS in effect",
        &format!("{STS_TXT}{RPT_TXT}"),
        &web,
        &[],
    );
    let p = &j["policy"]["contoso.test"];
    assert_eq!(p["mta_sts"]["in_effect"], true, "{p:#}");
    assert_eq!(p["mta_sts"]["policy"]["mode"], "enforce");
    assert_eq!(p["mta_sts"]["mx"][0]["pattern"], "mx1.contoso.test");
    assert_eq!(p["tlsrpt"]["state"], "valid");
    assert!(
        j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "mta-sts-ok")
    );

    let testing =
        "version: STSv1\nmode: testing\nmx: *.mail.contoso.test\nmax_age: 86400\nfoo: bar\n";
    let web = policy_web(
        vec![(STS_PATH, Response::ok("text/plain", testing.as_bytes()))],
        true,
    );
    let j = valid_policy_domain("MTA-STS testing, LF, mismatch", STS_TXT, &web, &[]);
    let m = &j["policy"]["contoso.test"]["mta_sts"];
    assert_eq!(m["policy"]["line_ends"], "lf", "{m:#}");
    assert_eq!(m["mx"][0]["pattern"], Value::Null);
    assert!(!m["problems"].as_array().unwrap().is_empty());
    let mismatch = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "mta-sts-mx-mismatch")
        .unwrap();
    assert_eq!(mismatch["severity"], "warn");

    let web = policy_web(
        vec![(
            STS_PATH,
            Response::redirect(301, "https://elsewhere.contoso.test/p"),
        )],
        true,
    );
    let j = valid_policy_domain("MTA-STS redirect", STS_TXT, &web, &[]);
    let m = &j["policy"]["contoso.test"]["mta_sts"];
    assert_eq!(m["fetch"]["status"], 301, "{m:#}");
    assert_eq!(m["policy"], Value::Null);
    let f = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "mta-sts-policy-fetch-failed")
        .unwrap();
    assert_eq!(f["tlsrpt_result"], "sts-policy-fetch-error");

    let web = policy_web(vec![], true);
    let j = valid_policy_domain("MTA-STS 404", STS_TXT, &web, &[]);
    assert_eq!(
        j["policy"]["contoso.test"]["mta_sts"]["fetch"]["status"],
        404
    );

    let web = policy_web(
        vec![(STS_PATH, Response::ok("text/plain", enforce.as_bytes()))],
        false,
    );
    let j = valid_policy_domain("MTA-STS untrusted policy host", STS_TXT, &web, &[]);
    let fetch = &j["policy"]["contoso.test"]["mta_sts"]["fetch"];
    assert_eq!(fetch["certificate_trusted"], false, "{fetch:#}");

    let twice = format!(
        "{STS_TXT}_mta-sts IN TXT \"v=STSv1; id=2\"\n{RPT_TXT}_smtp._tls IN TXT \"v=TLSRPTv1;\"\n"
    );
    let j = valid_policy_domain("two records of each", &twice, &web, &[]);
    let p = &j["policy"]["contoso.test"];
    assert_eq!(p["mta_sts"]["record_state"], "invalid", "{p:#}");
    assert_eq!(p["tlsrpt"]["state"], "invalid");

    let j = valid_policy_domain("nothing published", "", &web, &[]);
    let p = &j["policy"]["contoso.test"];
    assert_eq!(p["mta_sts"]["record_state"], "missing", "{p:#}");
    assert_eq!(p["mta_sts"]["fetch"], Value::Null);
    assert_eq!(p["tlsrpt"]["state"], "missing");
    // A direct host target has DANE lookups but no MTA-STS or TLS-RPT; --no-policy, none.
    let j = valid_policy_target("direct host", "[mx1.contoso.test]", STS_TXT, &web, &[]);
    let p = &j["policy"]["mx1.contoso.test"];
    assert_eq!(p["dane"][0]["host"], "mx1.contoso.test", "{j:#}");
    assert!(
        p.get("mta_sts").is_none() && p.get("tlsrpt").is_none(),
        "{p:#}"
    );
    let j = valid_policy_domain("no policy", "", &web, &["--no-policy"]);
    assert_eq!(j["policy"], json!({}));
}

/// A scripted Postfix whose leaf names `crls` as CRL distribution points and the CA Issuers
/// URL on `aia.pki.test`, both served by `web`; the chain sent with or without the
/// intermediate. Returns the validated JSON.
#[track_caller]
fn valid_revocation(
    what: &str,
    crls: &[String],
    with_intermediate: bool,
    web: &HttpServer,
) -> Value {
    let p = pki();
    let mut spec = LeafSpec::valid_for(HOST, p.now, 90);
    spec.crl_urls = crls.to_vec();
    spec.ca_issuers = vec!["http://aia.pki.test/issuing.der".into()];
    let leaf = if with_intermediate {
        p.chain(&spec)
    } else {
        p.intermediate.leaf(&spec).unwrap()
    };
    let d = dns("pki.test", "crl IN A 127.0.0.1\naia IN A 127.0.0.1\n");
    let resolver = d.resolver_arg();
    let crl = format!("crl.pki.test:80:127.0.0.1:{}", web.addr.port());
    let aia = format!("aia.pki.test:80:127.0.0.1:{}", web.addr.port());
    let s = serve(Scenario::postfix(HOST, &leaf));
    let r = probe(
        &s,
        &[
            "--resolver",
            &resolver,
            "--connect-to",
            &crl,
            "--connect-to",
            &aia,
        ],
    );
    let j = assert_valid_text(&r.stdout, what);
    assert!(j["endpoints"][0]["revocation"].is_object(), "{what}: {j:#}");
    j
}

#[test]
fn revocation_objects_are_valid() {
    // A revoked leaf (the CRL's entry, its date and reason), a stale CRL, a 404, an LDAP-only
    // distribution point, no distribution point, and the missing intermediate fetched from
    // CA Issuers.
    let p = pki();
    let url = "http://crl.pki.test/issuing.crl".to_string();
    let mut spec = LeafSpec::valid_for(HOST, p.now, 90);
    spec.crl_urls = vec![url.clone()];
    let probe_leaf = p.chain(&spec);
    let serial = x509_parser::parse_x509_certificate(&probe_leaf.chain[0])
        .unwrap()
        .1
        .raw_serial()
        .to_vec();
    // The CRL must list this very leaf's serial, so this case builds its own leaf.
    let revoked = p
        .intermediate
        .crl(&CrlSpec::fresh(p.now, &[serial]))
        .unwrap();
    let web = policy_http(vec![(
        "/issuing.crl",
        Response::ok("application/pkix-crl", &revoked),
    )]);
    let s = serve(Scenario::postfix(HOST, &probe_leaf));
    let d = dns("pki.test", "crl IN A 127.0.0.1\n");
    let resolver = d.resolver_arg();
    let crl = format!("crl.pki.test:80:127.0.0.1:{}", web.addr.port());
    let r = probe(&s, &["--resolver", &resolver, "--connect-to", &crl]);
    let j = assert_valid_text(&r.stdout, "revoked leaf");
    assert!(r.codes().contains(&"cert-revoked".to_string()), "{j:#}");

    let stale = p.intermediate.crl(&CrlSpec::stale(p.now)).unwrap();
    let web = policy_http(vec![(
        "/issuing.crl",
        Response::ok("application/pkix-crl", &stale),
    )]);
    valid_revocation("stale CRL", std::slice::from_ref(&url), true, &web);
    let web = policy_http(vec![]);
    valid_revocation("CRL 404", std::slice::from_ref(&url), true, &web);
    let ldap = "ldap:///CN=Test%20Issuing%20CA,CN=CDP,DC=corp,DC=test?certificateRevocationList";
    valid_revocation("LDAP-only CRL", &[ldap.to_string()], true, &web);
    valid_revocation("no CRL", &[], true, &web);
    let web = policy_http(vec![(
        "/issuing.der",
        Response::ok("application/pkix-cert", p.intermediate.der().as_ref()),
    )]);
    let j = valid_revocation("intermediate from CA Issuers", &[], false, &web);
    assert!(
        j["endpoints"][0]["revocation"]["issuer_fetch"].is_object(),
        "{:#}",
        j["endpoints"][0]["revocation"]
    );
}

/// A plain-http scripted server on loopback (CRLs, CA Issuers).
fn policy_http(routes: Vec<(&str, Response)>) -> HttpServer {
    let routes = routes
        .into_iter()
        .map(|(p, r)| (p.to_string(), r))
        .collect();
    runtime().block_on(async {
        HttpServer::start(routes, None, IpAddr::V4(Ipv4Addr::LOCALHOST), 0)
            .await
            .unwrap()
    })
}
