//! `--redact` end to end: a domain of two scripted MX hosts behind an in-process DNS server,
//! a private CA whose organisation is on every certificate, a NAT address the server says it
//! saw, an EHLO name and an expected name of our own, a mail address as the target. With
//! `--redact`, none of those names, addresses or organisation names may be written anywhere,
//! on stdout or stderr, in any format `--format` takes (the list is read from the binary, so
//! a new format is checked the day it is added); the placeholders agree across the sections
//! of a report, across the reports of a batch and the lines of a JSON Lines stream; the JSON
//! still matches docs/report.schema.json. Without `--redact` the same run shows them all, so
//! the test can fail.

#![allow(clippy::unwrap_used)]

mod common;
mod schema_check;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use common::dns::DnsServer;
use common::*;
use schema_check::{assert_valid_lines, assert_valid_text};
use serde_json::Value;
use starttls_check::scripted::{Ca, LeafSpec, Scenario};
use time::Duration;

const DOMAIN: &str = "contoso-redact.test";
const MX1: &str = "mx1.contoso-redact.test";
const MX2: &str = "mx2.contoso-redact.test";
/// The greeting name of MX 2's node: an internal name.
const EXCH: &str = "EXCH07.corp.contoso-redact.test";
const EHLO: &str = "probe7.contoso-redact.test";
const EXPECT: &str = "mail.contoso-redact.test";
const TARGET: &str = "jane.doe@contoso-redact.test";

/// What must never be written with `--redact` (compared case-insensitively).
const SECRETS: &[&str] = &[
    "contoso",
    "EXCH07",
    "probe7",
    "jane.doe",
    "127.0.0.",
    "Contoso Ltd",
];

struct World {
    _dns: DnsServer,
    resolver: String,
    port: String,
    ca_file: String,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let now = time::OffsetDateTime::now_utc();
        let root = Ca::root_of("Contoso Ltd", "Contoso Root CA", now).unwrap();
        let issuing = root.intermediate("Contoso Issuing CA", now).unwrap();
        let leaf = |spec: &LeafSpec| {
            let mut l = issuing.leaf_of(spec, "Contoso Ltd").unwrap();
            l.chain.push(issuing.der());
            l
        };
        let mut one = LeafSpec::valid_for(MX1, now, 90);
        one.names.push(format!("autodiscover.{DOMAIN}"));
        let mut mx1 = Scenario::postfix(MX1, &leaf(&one));
        mx1.seen_as = Some([127, 0, 0, 9].into());
        let mut two = LeafSpec::valid_for(MX2, now, 0);
        two.not_before = now - Duration::days(93);
        two.not_after = now - Duration::days(3);
        let mx2 = Scenario::exchange(EXCH, Some(&leaf(&two)));
        let (servers, ports) =
            serve_group(vec![(mx1, [127, 0, 0, 2], 0), (mx2, [127, 0, 0, 3], 0)]);
        // They serve every test of this process.
        Box::leak(Box::new(servers));
        let zone = format!(
            "$ORIGIN {DOMAIN}.\n$TTL 60\n@ IN SOA ns.{DOMAIN}. hostmaster.{DOMAIN}. 1 60 60 60 60\n\
             @ IN MX 10 mx1\n@ IN MX 20 mx2\nmx1 IN A 127.0.0.2\nmx2 IN A 127.0.0.3\n"
        );
        let dns = DnsServer::start(&[(&format!("{DOMAIN}."), &zone)]);
        World {
            resolver: dns.resolver_arg(),
            _dns: dns,
            port: ports[0].to_string(),
            ca_file: write_temp("root.pem", root.pem())
                .to_string_lossy()
                .into_owned(),
        }
    })
}

/// The binary on `targets` against the world, with `extra` options.
fn run_world(targets: &[&str], extra: &[&str]) -> Run {
    let w = world();
    let mut args: Vec<&str> = targets.to_vec();
    args.extend_from_slice(&[
        "--resolver",
        &w.resolver,
        "--ca-file",
        &w.ca_file,
        "--no-system-roots",
        "-p",
        &w.port,
        "--ehlo-name",
        EHLO,
        "--expect-name",
        EXPECT,
        "--timeout",
        "5",
        "-v",
    ]);
    args.extend_from_slice(extra);
    run(&args)
}

/// The values `--format` takes, as the binary lists them.
fn formats() -> Vec<String> {
    let r = run(&["--format", "no-such-format"]);
    let list = r
        .stderr
        .split("[possible values: ")
        .nth(1)
        .and_then(|s| s.split(']').next())
        .unwrap_or_else(|| panic!("no list of formats in: {}", r.stderr));
    let formats: Vec<String> = list.split(", ").map(str::to_string).collect();
    assert!(formats.len() >= 5, "{formats:?}");
    formats
}

/// The secrets `text` shows.
fn leaks(text: &str) -> Vec<&'static str> {
    let lower = text.to_lowercase();
    SECRETS
        .iter()
        .filter(|s| lower.contains(&s.to_lowercase()))
        .copied()
        .collect()
}

#[track_caller]
fn assert_redacted(r: &Run, what: &str) {
    assert!(
        r.code == 2,
        "{what}: exit {} (fail expected)\n{}",
        r.code,
        r.stderr
    );
    for (stream, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
        let found = leaks(text);
        assert!(
            found.is_empty(),
            "{what}: --redact left {found:?} on {stream}:\n{text}"
        );
    }
    for p in ["domain-1", "host-1", "addr-1"] {
        assert!(r.stdout.contains(p), "{what}: no {p} in:\n{}", r.stdout);
    }
}

#[test]
fn without_redact_the_run_shows_every_secret() {
    let r = run_world(&[TARGET], &["--format", "json"]);
    let shown = leaks(&r.stdout);
    assert_eq!(shown.len(), SECRETS.len(), "the world names {shown:?} only");
}

#[test]
fn every_format_hides_every_name_address_and_organisation() {
    for format in formats() {
        let r = run_world(&[TARGET], &["--format", &format, "--redact"]);
        assert_redacted(&r, &format!("--format {format}"));
        match format.as_str() {
            "json" => {
                assert_valid_text(&r.stdout, "--redact --format json");
            }
            "jsonl" => {
                assert_valid_lines(&r.stdout, "--redact --format jsonl");
            }
            _ => {}
        }
    }
}

/// The JSON report's placeholders, checked against each other.
#[test]
fn the_same_host_is_the_same_placeholder_in_every_section() {
    let r = run_world(&[TARGET], &["--format", "json", "--redact"]);
    let j = assert_valid_text(&r.stdout, "--redact json");
    assert_eq!(j["target"], "domain-1");
    assert!(
        j["invocation"]
            .as_str()
            .unwrap()
            .contains("user-1@domain-1"),
        "{}",
        j["invocation"]
    );
    let endpoints = j["endpoints"].as_array().unwrap();
    let mx = j["mx"].as_array().unwrap();
    assert_eq!((endpoints.len(), mx.len()), (2, 2));
    let mut labels = BTreeSet::new();
    for (e, m) in endpoints.iter().zip(mx) {
        let host = e["host"].as_str().unwrap();
        assert!(host.starts_with("host-"), "{host}");
        assert_eq!(e["mx"], host);
        assert_eq!(m["exchange"], host);
        assert_eq!(e["sni"], host);
        assert_eq!(e["domain"], "domain-1");
        assert_eq!(m["domain"], "domain-1");
        assert_eq!(m["addresses"][0], e["address"]);
        let label = format!("{host} [{}]:{}", e["address"].as_str().unwrap(), e["port"]);
        assert_eq!(e["label"], label.as_str());
        assert!(
            e["certificate"]["dns_names"]
                .as_array()
                .unwrap()
                .contains(&e["host"]),
            "the certificate names its host by the same placeholder: {e}"
        );
        labels.insert(label);
    }
    assert_ne!(endpoints[0]["host"], endpoints[1]["host"]);
    assert_ne!(endpoints[0]["address"], endpoints[1]["address"]);
    // MX 1 greets with its own name; MX 2's node with another.
    assert_eq!(endpoints[0]["greeting_name"], endpoints[0]["host"]);
    assert_ne!(endpoints[1]["greeting_name"], endpoints[1]["host"]);
    // The NAT address the server saw is an address of its own, the EHLO name ours.
    let seen = endpoints[0]["seen_as"].as_str().unwrap();
    assert!(seen.starts_with("addr-") && seen != endpoints[0]["address"]);
    assert_eq!(
        endpoints[0]["ehlo_name_sent"],
        endpoints[1]["ehlo_name_sent"]
    );
    // Findings name the endpoints by the same labels, in `endpoint` and `endpoints`.
    for f in j["findings"].as_array().unwrap() {
        for l in f["endpoints"].as_array().unwrap() {
            assert!(
                labels.contains(l.as_str().unwrap()),
                "{l} not in {labels:?}"
            );
        }
    }
    // The private CA's organisation is a placeholder; fingerprints are plainly not real.
    let cert = &endpoints[0]["certificate"];
    assert!(
        cert["subject"].as_str().unwrap().contains("O=org-"),
        "{cert}"
    );
    assert!(cert["sha256"].as_str().unwrap().starts_with("00:00:00:00"));
    // Every other format writes the same labels (the mapping is built the same way).
    for format in ["human", "markdown"] {
        let r = run_world(&[TARGET], &["--format", format, "--redact"]);
        for l in &labels {
            // Markdown escapes the brackets.
            let shown = match format {
                "markdown" => l.replace('[', "\\[").replace(']', "\\]"),
                _ => l.clone(),
            };
            assert!(
                r.stdout.contains(&shown),
                "{format}: no {shown} in\n{}",
                r.stdout
            );
        }
    }
}

#[test]
fn a_batch_and_a_json_lines_stream_share_one_mapping() {
    let host_target = format!("[{MX1}]");
    let targets = [TARGET, host_target.as_str()];
    let r = run_world(&targets, &["--format", "jsonl", "--redact"]);
    assert_redacted(&r, "batch, jsonl");
    let lines = assert_valid_lines(&r.stdout, "batch, jsonl");
    assert_eq!(lines.len(), 2);
    let by_target: Vec<(&Value, &Value)> = lines
        .iter()
        .map(|l| (&l["target"], &l["endpoints"][0]["host"]))
        .collect();
    let domain_report = lines.iter().find(|l| l["target"] == "domain-1").unwrap();
    let host_report = lines.iter().find(|l| l["target"] != "domain-1").unwrap();
    assert_eq!(
        host_report["endpoints"][0]["host"], domain_report["endpoints"][0]["host"],
        "MX 1 is one placeholder in both lines: {by_target:?}"
    );
    let r = run_world(&targets, &["--format", "json", "--redact"]);
    assert_redacted(&r, "batch, json");
    let j = assert_valid_text(&r.stdout, "batch, json");
    assert_eq!(
        j["reports"][1]["endpoints"][0]["address"],
        j["reports"][0]["endpoints"][0]["address"]
    );
    for format in ["human", "markdown", "html"] {
        let r = run_world(&targets, &["--format", format, "--redact"]);
        assert_redacted(&r, &format!("batch, {format}"));
    }
}

#[test]
fn the_demo_is_redacted_in_every_format() {
    for format in formats() {
        let r = run(&["demo", "--redact", "--format", &format]);
        for secret in [".demo", "EXCH02", "127.0.0."] {
            assert!(
                !r.stdout.contains(secret) && !r.stderr.contains(secret),
                "demo --format {format} --redact shows {secret}:\n{}",
                r.stdout
            );
        }
        if format == "json" {
            assert_valid_text(&r.stdout, "demo --redact --format json");
        }
    }
}

#[test]
fn explain_and_exchange_config_redact_what_was_pasted() {
    let ndr = "LastError: 451 4.4.0 Primary target IP address responded with: \"451 5.7.3 \
               STARTTLS is required to send mail.\" LastAttemptedServerName: \
               mail.fabrikam-ndr.com LastAttemptedIP: 203.0.113.77:25 from jane.doe@contoso.com";
    for format in ["human", "json", "markdown"] {
        let r = run(&["explain", "--redact", "--format", format, ndr]);
        for secret in ["fabrikam", "203.0.113.77", "jane.doe", "contoso"] {
            assert!(
                !r.stdout.contains(secret),
                "explain --format {format} --redact shows {secret}:\n{}",
                r.stdout
            );
        }
        assert!(r.stdout.contains("host-1"), "{}", r.stdout);
    }
    let paste = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/exchange/ticket-paste.txt"
    );
    let plain = run(&["exchange-config", paste]);
    assert!(plain.stdout.contains("SRVEX01"), "{}", plain.stdout);
    for format in ["human", "json", "markdown"] {
        let r = run(&["exchange-config", "--redact", "--format", format, paste]);
        for secret in ["SRVEX01", "XXXXX", "3D6B2F1A9C8E7D4B"] {
            assert!(
                !r.stdout.contains(secret),
                "exchange-config --format {format} --redact shows {secret}:\n{}",
                r.stdout
            );
        }
    }
}
