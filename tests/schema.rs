//! docs/report.schema.json against the program's real output: every scripted scenario the
//! tests reach (pass, warn, fail, unknown, a refused connection, timeouts, implicit TLS,
//! several ports, domains through an in-process DNS server with several MX, a null MX,
//! NXDOMAIN), `--check-required`, `-v`, the demo, a batch document, JSON Lines and the error
//! documents. The schema's objects are closed, so a field added to the report's Rust DTO
//! without the schema fails here; a finding code added to the catalogue without the schema
//! fails `the_finding_codes_are_the_catalogues`.
//!
//! And the check can fail: an unknown field, a wrong type, a missing field, a code the
//! catalogue does not know and a verdict out of the enum are each refused.

#![allow(clippy::unwrap_used)]

mod common;
mod schema_check;

use common::dns::DnsServer;
use common::*;
use schema_check::{assert_valid, assert_valid_lines, assert_valid_text, schema, violation};
use serde_json::{Value, json};
use starttls_check::scripted::{LeafSpec, OnConnect, Scenario, pki as spki};
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
