//! `--redact` end to end: a domain of three scripted MX hosts behind an in-process DNS server
//! (one of them a tenant name under a provider's domain, outside the target's; one greeting
//! with a one-label name and a two-line banner whose second line names a relay and an IPv6
//! literal; a self-signed certificate with a one-byte serial and an IP SAN), a private CA
//! whose organisation is on every certificate, a NAT address the server says it saw, an EHLO
//! name and an expected name of our own, fingerprints and an issuer expected, a mail address
//! as the target. With `--redact`, none of those names, addresses, fingerprints or
//! organisation names may be written anywhere, on stdout or stderr, in any format `--format`
//! takes (the list is read from the binary, so a new format is checked the day it is added),
//! nor in an error that stops the run; the placeholders agree across the sections of a
//! report, across the reports of a batch and the lines of a JSON Lines stream, and with the
//! labels of Nagios perfdata; the JSON still matches docs/report.schema.json. The domain
//! publishes MTA-STS and TLS-RPT records that name it (the policy host has no address: the
//! fetch fails on loopback), so the `policy` object, keyed by the domain, is checked too. Without
//! `--redact` the same run shows them all, so the test can fail.

#![allow(clippy::unwrap_used)]

mod common;
mod schema_check;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use common::dns::DnsServer;
use common::*;
use schema_check::{assert_valid_lines, assert_valid_text};
use serde_json::Value;
use starttls_check::scripted::{Ca, Leaf, LeafSpec, Scenario};
use time::Duration;

const DOMAIN: &str = "contoso-redact.test";
const MX1: &str = "mx1.contoso-redact.test";
const MX2: &str = "mx2.contoso-redact.test";
/// The greeting name of MX 2's node: an internal name.
const EXCH: &str = "EXCH07.corp.contoso-redact.test";
const EHLO: &str = "probe7.contoso-redact.test";
const EXPECT: &str = "mail.contoso-redact.test";
const TARGET: &str = "jane.doe@contoso-redact.test";
/// MX 3: a tenant's name under a provider's domain, outside the target's.
const MX3: &str = "contoso-redact-test.mail.protection.outlook.com";
/// MX 3 greets with a one-label name; its banner's second line names a relay and an IPv6
/// literal in the form SMTP writes it.
const GATEWAY: &str = "contosogw";
const MX3_BANNER: &str =
    "220-contosogw ESMTP ready\r\n220 relay3.corp-int.net ready for [IPv6:2001:db8::5]";
/// Expected, never served: typed with colons in lower case.
const OTHER_FP: &str = "7a:3f:c2:19:88:04:5b:e1:d0:6c:92:47:aa:13:f5:0e:\
                        b8:2d:71:c9:3e:56:0f:a4:e7:19:b2:8c:45:d3:60:9f";
const ISSUER: &str = "Fabrikam Trust Services";

/// What must never be written with `--redact` (compared case-insensitively), but the
/// fingerprints (see [`World::secrets`]).
const SECRETS: &[&str] = &[
    "contoso",
    "EXCH07",
    "probe7",
    "jane.doe",
    "127.0.0.",
    "Contoso Ltd",
    "relay3",
    "corp-int",
    "2001:db8::5",
    "fabrikam",
];

struct World {
    _dns: DnsServer,
    resolver: String,
    port: String,
    ca_file: String,
    /// MX 1's leaf SHA-256, colon form (`--expect-fingerprint` gives it plain, lower case).
    mx1_sha256: String,
}

impl World {
    /// Every secret: [`SECRETS`], and the fingerprints' heads as any form writes them (the
    /// first four bytes with colons, the first eight without).
    fn secrets(&self) -> Vec<String> {
        let other = OTHER_FP.replace(' ', "").to_uppercase();
        let mut all: Vec<String> = SECRETS.iter().map(|s| s.to_string()).collect();
        for fp in [&self.mx1_sha256, &other] {
            all.push(fp[..11].to_string());
            all.push(fp.replace(':', "")[..16].to_string());
        }
        all
    }
}

/// MX 3's own certificate: self-signed, serial `64` (one byte), an IP SAN.
fn gateway_leaf(now: time::OffsetDateTime) -> Leaf {
    let mut p = rcgen::CertificateParams::new(vec![MX3.to_string()]).unwrap();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name
        .push(rcgen::DnType::OrganizationName, "Contoso Gateway Ops");
    p.distinguished_name.push(rcgen::DnType::CommonName, MX3);
    p.subject_alt_names
        .push(rcgen::SanType::IpAddress("2001:db8::5".parse().unwrap()));
    p.serial_number = Some(rcgen::SerialNumber::from(vec![0x64u8]));
    p.not_before = now - Duration::days(1);
    p.not_after = now + Duration::days(60);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = p.self_signed(&key).unwrap();
    Leaf {
        chain: vec![cert.der().clone()],
        key: rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
    }
}

/// `AB:CD:…` of a DER certificate.
fn sha256_colon(der: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, der)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
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
        let one = leaf(&one);
        let mx1_sha256 = sha256_colon(&one.chain[0]);
        let mut mx1 = Scenario::postfix(MX1, &one);
        mx1.seen_as = Some([127, 0, 0, 9].into());
        let mut two = LeafSpec::valid_for(MX2, now, 0);
        two.not_before = now - Duration::days(93);
        two.not_after = now - Duration::days(3);
        let mx2 = Scenario::exchange(EXCH, Some(&leaf(&two)));
        let mut mx3 = Scenario::postfix(MX3, &gateway_leaf(now));
        mx3.greeting = GATEWAY.to_string();
        mx3.banner = MX3_BANNER.to_string();
        let (servers, ports) = serve_group(vec![
            (mx1, [127, 0, 0, 2], 0),
            (mx2, [127, 0, 0, 3], 0),
            (mx3, [127, 0, 0, 4], 0),
        ]);
        // They serve every test of this process.
        Box::leak(Box::new(servers));
        let zone = format!(
            "$ORIGIN {DOMAIN}.\n$TTL 60\n@ IN SOA ns.{DOMAIN}. hostmaster.{DOMAIN}. 1 60 60 60 60\n\
             @ IN MX 10 mx1\n@ IN MX 20 mx2\n@ IN MX 30 {MX3}.\n\
             mx1 IN A 127.0.0.2\nmx2 IN A 127.0.0.3\n\
             _mta-sts IN TXT \"v=STSv1; id=contoso7\"\n\
             _smtp._tls IN TXT \"v=TLSRPTv1; rua=mailto:tls@{DOMAIN},https://rpt.{DOMAIN}/r\"\n"
        );
        let tenant = "$ORIGIN mail.protection.outlook.com.\n$TTL 60\n\
             @ IN SOA ns.outlook.com. hostmaster.outlook.com. 1 60 60 60 60\n\
             contoso-redact-test IN A 127.0.0.4\n";
        let dns = DnsServer::start(&[
            (&format!("{DOMAIN}."), &zone),
            ("mail.protection.outlook.com.", tenant),
        ]);
        World {
            resolver: dns.resolver_arg(),
            _dns: dns,
            port: ports[0].to_string(),
            ca_file: write_temp("root.pem", root.pem())
                .to_string_lossy()
                .into_owned(),
            mx1_sha256,
        }
    })
}

/// The binary on `targets` against the world, with `extra` options.
fn run_world(targets: &[&str], extra: &[&str]) -> Run {
    let w = world();
    let mx1_plain = w.mx1_sha256.replace(':', "").to_lowercase();
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
        "--expect-fingerprint",
        &mx1_plain,
        "--expect-fingerprint",
        OTHER_FP,
        "--expect-issuer",
        ISSUER,
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
fn leaks(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    world()
        .secrets()
        .into_iter()
        .filter(|s| lower.contains(&s.to_lowercase()))
        .collect()
}

/// This machine's name, as the report's `probe_host` gives it (it is replaced unless it is a
/// word such as `localhost`).
fn machine_name() -> Option<String> {
    let name = hostname::get().ok()?.into_string().ok()?;
    let name = name.trim().to_string();
    (!name.is_empty() && !name.eq_ignore_ascii_case("localhost")).then_some(name)
}

/// Nagios perfdata names the endpoints by placeholders, `days_left_host-1[addr-1]:25`, never
/// a real name nor a half-replaced one; for one target, those the long output names them by.
#[track_caller]
fn assert_perfdata_placeholders(stdout: &str, one_target: bool) {
    let first = stdout.lines().next().unwrap_or_default();
    let (_, perf) = first
        .split_once(" | ")
        .unwrap_or_else(|| panic!("no perfdata in: {first}"));
    let mut per_endpoint = 0;
    for item in perf.split(' ') {
        let label = item.split('=').next().unwrap().trim_matches('\'');
        let Some(endpoint) = ["days_left_", "time_"]
            .iter()
            .find_map(|p| label.strip_prefix(p))
        else {
            let of_run = ["days_left", "time"].contains(&label) || label.starts_with("targets_");
            assert!(of_run, "{label} in: {first}");
            continue;
        };
        per_endpoint += 1;
        let (host, rest) = endpoint.split_once('[').unwrap_or(("", endpoint));
        let (addr, port) = rest.split_once("]:").unwrap_or(("", ""));
        let placeholder = |s: &str, p: &str| {
            s.strip_prefix(p)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        };
        assert!(
            placeholder(host, "host-") && placeholder(addr, "addr-") && port.parse::<u16>().is_ok(),
            "perfdata label {label} is not host-N[addr-N]:port: {first}"
        );
        assert!(
            !one_target || stdout.contains(&format!("{host} [{addr}]:{port}")),
            "{host} [{addr}]:{port} of the perfdata is named nowhere else:\n{stdout}"
        );
    }
    assert!(per_endpoint >= 6, "perfdata for 3 endpoints: {first}");
}

#[track_caller]
fn assert_redacted(r: &Run, what: &str) {
    assert!(
        r.code == 2,
        "{what}: exit {} (fail expected)\n{}",
        r.code,
        r.stderr
    );
    assert_no_leak(r, what);
    for p in ["domain-1", "host-1", "addr-1"] {
        assert!(r.stdout.contains(p), "{what}: no {p} in:\n{}", r.stdout);
    }
}

#[track_caller]
fn assert_no_leak(r: &Run, what: &str) {
    for (stream, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
        let found = leaks(text);
        assert!(
            found.is_empty(),
            "{what}: --redact left {found:?} on {stream}:\n{text}"
        );
    }
}

#[test]
fn without_redact_the_run_shows_every_secret() {
    let r = run_world(&[TARGET], &["--format", "json"]);
    let shown = leaks(&r.stdout);
    let all = world().secrets();
    assert_eq!(shown.len(), all.len(), "the world names {shown:?} only");
    let j = r.json();
    let serials: Vec<&Value> = j["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["certificate"]["serial"])
        .collect();
    assert!(serials.contains(&&Value::from("64")), "{serials:?}");
    assert!(r.stdout.contains(GATEWAY) && r.stdout.contains("[IPv6:2001:db8::5]"));
    if let Some(name) = machine_name() {
        assert_eq!(j["probe_host"], name.as_str());
    }
}

#[test]
fn every_format_hides_every_name_address_and_organisation() {
    for format in formats() {
        let r = run_world(&[TARGET], &["--format", &format, "--redact"]);
        assert_redacted(&r, &format!("--format {format}"));
        match format.as_str() {
            "json" => {
                let j = assert_valid_text(&r.stdout, "--redact --format json");
                // The policy object is keyed by the mail domain: its placeholder.
                let p = &j["policy"]["domain-1"];
                let rua = p["tlsrpt"]["rua"][0].as_str().unwrap();
                assert!(
                    rua.starts_with("mailto:user-") && rua.ends_with("@domain-1"),
                    "{p}"
                );
                assert!(
                    p["mta_sts"]["policy_url"]
                        .as_str()
                        .unwrap()
                        .starts_with("https://host-")
                );
                if let Some(name) = machine_name() {
                    assert_ne!(j["probe_host"], name.as_str(), "this machine's name stays");
                }
            }
            "nagios" => assert_perfdata_placeholders(&r.stdout, true),
            "prometheus" => {
                for line in r.stdout.lines().filter(|l| l.contains("serial=\"")) {
                    let serial = line.split("serial=\"").nth(1).unwrap();
                    assert!(serial.starts_with("00000000"), "a real serial: {line}");
                }
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
    assert_eq!((endpoints.len(), mx.len()), (3, 3));
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
    // MX 1 greets with its own name; MX 2's node with another, MX 3 with a one-label name
    // that is a host's all the same.
    assert_eq!(endpoints[0]["greeting_name"], endpoints[0]["host"]);
    assert_ne!(endpoints[1]["greeting_name"], endpoints[1]["host"]);
    let gateway = endpoints[2]["greeting_name"].as_str().unwrap();
    assert!(gateway.starts_with("host-") && endpoints[2]["host"] != gateway);
    assert!(
        endpoints[2]["banner"]
            .as_str()
            .unwrap()
            .starts_with(&format!("220-{gateway} ESMTP ready / 220 host-")),
        "{}",
        endpoints[2]["banner"]
    );
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
    // Every certificate's fingerprints and serial, the one-byte serial too.
    for e in endpoints {
        let chain = e["chain"].as_array().unwrap();
        for c in std::iter::once(&e["certificate"]).chain(chain) {
            let fake = |field: &str, head: &str| c[field].as_str().unwrap().starts_with(head);
            assert!(
                fake("sha256", "00:00:00:00") && fake("thumbprint", "00000000"),
                "{c}"
            );
            assert!(
                fake("serial", "00000000") && c["serial"].as_str().unwrap().len() == 16,
                "a real serial: {}",
                c["serial"]
            );
        }
    }
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
    for format in formats() {
        let r = run_world(&targets, &["--format", &format, "--redact"]);
        assert_redacted(&r, &format!("batch, {format}"));
        if format == "nagios" {
            assert_perfdata_placeholders(&r.stdout, false);
        }
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

/// A certificate of the baseline that no endpoint serves now.
const OLD_FP: &str = "C4:1D:8E:62:0B:F3:57:A9:10:6E:D2:3C:88:4F:B1:07:\
                      E5:29:93:4A:C0:1B:7F:D6:38:A2:5C:E4:0D:96:21:B8";

/// A baseline: the world's JSON report without `--redact`, with `edit` applied.
fn baseline_file(edit: impl FnOnce(&mut Value)) -> String {
    let mut j = run_world(&[TARGET], &["--format", "json"]).json();
    edit(&mut j);
    let text = serde_json::to_string_pretty(&j).unwrap();
    write_temp("before.json", &text)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn what_a_baseline_names_is_redacted_in_every_format() {
    let old_fp = OLD_FP.replace(' ', "");
    let file = baseline_file(|j| {
        let c = &mut j["endpoints"][0]["certificate"];
        c["sha256"] = old_fp.as_str().into();
        c["subject"] = format!("CN={MX1}, O=Northwind Legacy").into();
        c["issuer"] = "CN=Northwind Old CA, O=Northwind Legacy".into();
        // The baseline's own command, with its endpoint options (a baseline made with other
        // ports is refused), and more names to redact.
        let ran = j["invocation"].as_str().unwrap_or_default().to_string();
        j["invocation"] = format!(
            "{ran} --resolve oldmx.northwind-base.test:127.0.0.77 --expect-fingerprint {}",
            old_fp.to_lowercase()
        )
        .into();
        // MX 2 is new since: its finding quotes the baseline's command.
        j["endpoints"].as_array_mut().unwrap().remove(1);
    });
    let baseline_secrets = ["northwind", &old_fp[..11], &old_fp.replace(':', "")[..16]];
    let plain = run_world(&[TARGET], &["--baseline", &file, "--format", "json"]);
    for s in &baseline_secrets[..2] {
        assert!(
            plain.stdout.to_lowercase().contains(&s.to_lowercase()),
            "without --redact, no {s}:\n{}",
            plain.stdout
        );
    }
    for format in formats() {
        let r = run_world(
            &[TARGET],
            &["--baseline", &file, "--format", &format, "--redact"],
        );
        let what = format!("--baseline, --format {format}");
        assert_redacted(&r, &what);
        let all = format!("{}{}", r.stdout, r.stderr).to_lowercase();
        for s in baseline_secrets {
            assert!(
                !all.contains(&s.to_lowercase()),
                "{what}: --redact left {s}:\n{all}"
            );
        }
    }
}

#[test]
fn an_error_that_stops_the_run_is_redacted_in_every_format() {
    let file = baseline_file(|j| j["target"] = "northwind-other.test".into());
    let w = world();
    for format in formats() {
        let what = format!("--baseline of another target, --format {format}");
        let r = run_world(
            &[TARGET],
            &["--baseline", &file, "--format", &format, "--redact"],
        );
        assert_eq!(r.code, 3, "{what}: {}", r.stderr);
        assert_no_leak(&r, &what);
        let all = format!("{}{}", r.stdout, r.stderr);
        assert!(!all.contains("northwind"), "{what}:\n{all}");
        assert!(
            r.stderr.contains("holds no report for"),
            "{what}: {}",
            r.stderr
        );
        match format.as_str() {
            "json" => {
                let j = assert_valid_text(&r.stdout, &what);
                assert!(j["target"].as_str().unwrap().ends_with("domain-1"), "{j}");
            }
            "jsonl" => {
                assert_valid_lines(&r.stdout, &what);
            }
            "prometheus" => assert!(
                r.stdout
                    .contains("starttls_check_up{target=\"domain-1\"} 0"),
                "{what}:\n{}",
                r.stdout
            ),
            "nagios" => assert!(r.stdout.starts_with("STARTTLS UNKNOWN - "), "{}", r.stdout),
            _ => {}
        }
        // A usage error (clap's, which quotes the word it refused: a target with a bad
        // port) and a refused option (an EHLO name with a space) name what was typed, too.
        let bad_port = format!("{MX1}:99999");
        let ehlo = format!("{EHLO} {GATEWAY}");
        for (target, ehlo) in [(bad_port.as_str(), EHLO), (TARGET, ehlo.as_str())] {
            let what = format!("{target} --ehlo-name '{ehlo}' --format {format}");
            let r = run(&[
                target,
                "--resolver",
                &w.resolver,
                "--ehlo-name",
                ehlo,
                "--redact",
                "--format",
                &format,
            ]);
            assert_eq!(r.code, 3, "{what}: {}", r.stderr);
            assert_no_leak(&r, &what);
            assert!(r.stderr.contains("error"), "{what}: {}", r.stderr);
            if format == "json" {
                assert_valid_text(&r.stdout, &what);
            }
        }
    }
}

/// A JSON Lines stream writes a line as soon as its target completes. A name that only a later
/// target brings must already be hidden in the first line: here the shared `--ca-file` path
/// holds the mail domain, and the first line to complete is an address target that names it
/// nowhere else.
#[test]
fn the_first_json_line_already_hides_what_a_later_target_names() {
    let w = world();
    let pem = std::fs::read_to_string(&w.ca_file).unwrap();
    let dir = write_temp("unused", "").with_file_name(DOMAIN);
    std::fs::create_dir_all(&dir).unwrap();
    let in_domain_dir = dir.join("root.pem");
    std::fs::write(&in_domain_dir, pem).unwrap();
    let ca = in_domain_dir.to_string_lossy().into_owned();
    // Nothing listens on port 9 of 127.0.0.1: refused at once, long before the domain's MX.
    let targets = ["127.0.0.1:9", TARGET];
    let r = run_world(
        &targets,
        &["--ca-file", &ca, "--format", "jsonl", "--redact"],
    );
    let lines = assert_valid_lines(&r.stdout, "jsonl, a path that names the domain");
    assert_eq!(lines.len(), 2, "{}", r.stdout);
    let first = r.stdout.lines().next().unwrap_or_default();
    assert!(
        first.contains("\"invocation\"") && !first.contains(DOMAIN),
        "the first line names the domain a later target brings:\n{first}"
    );
    assert_redacted(&r, "jsonl, a path that names the domain");
}

/// The name on our own client certificate (`--client-cert`), the file named after it.
const CLIENT_NAME: &str = "mail.contoso-secret.test";
/// The name the receiver matches on it (`--client-cert-name`), which it does not cover.
const CLIENT_CERT_NAME: &str = "relay.contoso-secret.test";

fn pem_block(label: &str, der: &[u8]) -> String {
    let b64 = base64(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// A receiver that asks for a client certificate from a private CA, and our certificate from
/// it in `CLIENT_NAME.pem` and `CLIENT_NAME.key`.
fn client_cert_world() -> &'static (
    std::sync::Arc<starttls_check::scripted::ScriptedServer>,
    String,
    String,
) {
    static WORLD: OnceLock<(
        std::sync::Arc<starttls_check::scripted::ScriptedServer>,
        String,
        String,
    )> = OnceLock::new();
    WORLD.get_or_init(|| {
        let now = time::OffsetDateTime::now_utc();
        let ca = Ca::root_of("Contoso Secret Ltd", "Contoso Secret Client CA", now).unwrap();
        let ours = ca
            .sender_leaf(&LeafSpec::valid_for(CLIENT_NAME, now, 90))
            .unwrap();
        let cert = write_temp(
            &format!("{CLIENT_NAME}.pem"),
            &pem_block("CERTIFICATE", &ours.chain[0]),
        );
        let key = cert.with_file_name(format!("{CLIENT_NAME}.key"));
        std::fs::write(&key, pem_block("PRIVATE KEY", ours.key.secret_der())).unwrap();
        let leaf = pki().healthy(HOST, 90);
        let mut scenario = Scenario::postfix(HOST, &leaf);
        scenario.tls = Some(starttls_check::scripted::server_config_client_auth(
            &leaf,
            &[ca.der()],
            false,
            &[&rustls::version::TLS13],
        ));
        let path = |p: std::path::PathBuf| p.to_string_lossy().into_owned();
        (serve(scenario), path(cert), path(key))
    })
}

fn run_client_cert(extra: &[&str]) -> Run {
    let (server, cert, key) = client_cert_world();
    let target = format!("[{HOST}]:{}", server.addr.port());
    let resolve = format!("{HOST}:{}", server.addr.ip());
    let ca = pki().root_file.to_string_lossy().into_owned();
    let mut args = vec![
        target.as_str(),
        "--resolve",
        &resolve,
        "--no-policy",
        "--timeout",
        "5",
        "--ca-file",
        &ca,
        "--no-system-roots",
        "--client-cert",
        cert,
        "--client-key",
        key,
        "--client-cert-name",
        CLIENT_CERT_NAME,
        "-v",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// Our own certificate (`--client-cert`) names the sender as a server's names the receiver:
/// with `--redact`, its names, organisation, fingerprints and serial, the CA names the server
/// asks for, every `--client-cert-name` and the host named in the certificate's file name are
/// written as placeholders, in every format, the same ones everywhere.
#[test]
fn our_client_certificate_and_the_names_it_must_carry_are_redacted() {
    let plain = run_client_cert(&["--format", "json"]);
    let auth = &plain.json()["endpoints"][0]["client_auth"];
    let c = &auth["certificate"];
    assert_eq!(c["dns_names"][0], CLIENT_NAME, "{}", plain.stdout);
    let (sha256, thumb) = (
        c["sha256"].as_str().unwrap(),
        c["thumbprint"].as_str().unwrap(),
    );
    let serial = c["serial"].as_str().unwrap();
    assert!(serial.len() >= 8, "{serial}");
    let mut secrets = vec![
        "contoso".to_string(),
        sha256[..11].to_string(),
        thumb[..16].to_string(),
        serial.to_string(),
    ];
    for s in &secrets {
        assert!(
            plain.stdout.to_lowercase().contains(&s.to_lowercase()),
            "without --redact the run shows {s}:\n{}",
            plain.stdout
        );
    }
    assert!(plain.stdout.contains(CLIENT_CERT_NAME), "{}", plain.stdout);
    // The head without colons, as a pasted fingerprint may give it.
    secrets.push(sha256.replace(':', "")[..16].to_string());

    let mut ours = None;
    for format in ["json", "human", "markdown"] {
        let r = run_client_cert(&["--redact", "--format", format]);
        assert_eq!(r.code, 2, "{format}: {}\n{}", r.stdout, r.stderr);
        for (stream, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
            let lower = text.to_lowercase();
            let found: Vec<&String> = secrets
                .iter()
                .filter(|s| lower.contains(&s.to_lowercase()))
                .collect();
            assert!(
                found.is_empty(),
                "{format}: --redact left {found:?} on {stream}:\n{text}"
            );
        }
        if format == "json" {
            assert_valid_text(&r.stdout, "json, a client certificate");
            let v: Value = serde_json::from_str(&r.stdout).unwrap();
            let a = &v["endpoints"][0]["client_auth"];
            let c = &a["certificate"];
            let name = c["dns_names"][0].as_str().unwrap().to_string();
            assert!(name.starts_with("host-"), "{a}");
            assert_eq!(c["common_name"], name.as_str(), "{a}");
            // The CA the server asks for is the one that issued ours: one placeholder.
            assert_eq!(c["issuer"], a["acceptable_ca_names"][0], "{a}");
            assert!(
                a["source"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("/{name}.pem")),
                "{a}"
            );
            let invocation = v["invocation"].as_str().unwrap();
            assert!(
                invocation.contains(&format!("{name}.pem"))
                    && invocation.contains(&format!("{name}.key")),
                "{invocation}"
            );
            let asked = invocation
                .split("--client-cert-name ")
                .nth(1)
                .and_then(|s| s.split(' ').next())
                .unwrap()
                .to_string();
            assert!(asked.starts_with("host-") && asked != name, "{invocation}");
            let mismatch = r.finding("client-cert-name-mismatch");
            assert!(
                mismatch["summary"].as_str().unwrap().contains(&asked),
                "{mismatch}"
            );
            ours = Some((name, asked));
        } else {
            let (name, asked) = ours.as_ref().unwrap();
            for p in [name, asked] {
                assert!(
                    r.stdout.contains(p.as_str()),
                    "{format}: no {p} in:\n{}",
                    r.stdout
                );
            }
        }
    }
}
