//! Domains end to end: an in-process DNS server serves the zones (`--resolver`), scripted SMTP
//! servers listen on several 127.0.0.x addresses and ports, and the real binary resolves the
//! MX hosts, probes every MX × address × port at once and diagnoses across them. Every DNS
//! and cross-endpoint finding is proven here, with the report a user would see.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::dns::DnsServer;
use common::*;
use serde_json::Value;
use starttls_check::scripted::{LeafSpec, OnConnect, Scenario, StartTls, pki as spki};

/// A zone for `origin` with an SOA and the given records (relative or absolute names).
fn zone(origin: &str, records: &str) -> String {
    format!(
        "$ORIGIN {origin}.\n$TTL 60\n@ IN SOA ns.{origin}. hostmaster.{origin}. 1 60 60 60 60\n{records}\n"
    )
}

fn dns(origin: &str, records: &str) -> DnsServer {
    let text = zone(origin, records);
    DnsServer::start(&[(&format!("{origin}."), &text)])
}

fn healthy(name: &str) -> Scenario {
    Scenario::postfix(name, &pki().healthy(name, 120))
}

fn port_arg(port: u16) -> String {
    port.to_string()
}

fn labels(j: &Value) -> Vec<String> {
    j["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["label"].as_str().unwrap().to_string())
        .collect()
}

const TWO_MX: &str = "\
@    IN MX 20 mx2
@    IN MX 10 mx1
mx1  IN A 127.0.0.2
mx2  IN A 127.0.0.3
mx2  IN A 127.0.0.4";

#[test]
fn a_domain_is_every_mx_host_and_address_in_preference_order() {
    let mx2 = healthy("mx2.contoso.test");
    let (servers, ports) = serve_group(vec![
        (healthy("mx1.contoso.test"), [127, 0, 0, 2], 0),
        (mx2.clone(), [127, 0, 0, 3], 0),
        (mx2, [127, 0, 0, 4], 0),
    ]);
    let d = dns("contoso.test", TWO_MX);
    let p = port_arg(ports[0]);
    let r = probe_domain(&d, &["postmaster@contoso.test"], &["-p", &p]);
    let j = r.json();
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(j["verdict"], "pass");
    assert_eq!(j["target"], "contoso.test");
    assert_eq!(
        j["headline"],
        "PASS contoso.test: all 2 MX hosts pass — STARTTLS works on all 3 endpoints"
    );
    assert_eq!(
        labels(&j),
        [
            format!("mx1.contoso.test [127.0.0.2]:{p}"),
            format!("mx2.contoso.test [127.0.0.3]:{p}"),
            format!("mx2.contoso.test [127.0.0.4]:{p}"),
        ]
    );
    let mx = j["mx"].as_array().unwrap();
    assert_eq!(mx.len(), 2);
    assert_eq!(mx[0]["preference"], 10);
    assert_eq!(mx[0]["exchange"], "mx1.contoso.test");
    assert_eq!(
        mx[1]["addresses"],
        serde_json::json!(["127.0.0.3", "127.0.0.4"])
    );
    assert_eq!(j["endpoints"][2]["mx"], "mx2.contoso.test");
    assert_eq!(j["endpoints"][2]["domain"], "contoso.test");
    assert_eq!(j["endpoints"][2]["mx_preference"], 20);
    for s in &servers {
        assert_eq!(s.connections(), 1, "each address probed once");
        assert!(s.received().iter().any(|c| c == "QUIT"));
    }
    // The certificate check uses the MX name, as a sending MTA does.
    assert_eq!(j["endpoints"][1]["sni"], "mx2.contoso.test");
    assert!(
        !r.stderr.contains("endpoints done"),
        "no progress line when stderr is not a terminal: {}",
        r.stderr
    );
}

/// Issue 8, item 3: a name probed as its own mail host is fine as it is; the only MX record
/// worth proposing names that host itself, never an invented `mail.<name>`.
#[test]
fn a_name_without_mx_is_never_sent_to_an_invented_mail_host() {
    let name = "mx-notls.fabrikam.test";
    let (_s, ports) = serve_group(vec![(healthy(name), [127, 0, 0, 2], 0)]);
    let d = dns("fabrikam.test", "mx-notls IN A 127.0.0.2");
    let target = format!("{name}:{}", ports[0]);
    let r = probe_domain(&d, &[&target], &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let fix = r.finding("dns-no-mx")["fix"].as_str().unwrap().to_string();
    assert!(!fix.contains(&format!("mail.{name}")), "{fix}");
    assert!(
        fix.contains(&format!("{name}. 3600 IN MX 10 {name}.")),
        "an explicit MX names the host itself:\n{fix}"
    );
}

/// New-user trial, untrue finding 1: the port-mismatch fix said the ports that answer 454 or
/// fail the handshake "offer STARTTLS with" the certificate, "so the certificate is usable".
/// Only a port where TLS worked with a trusted certificate is cited.
#[test]
fn a_port_mismatch_cites_only_the_ports_where_tls_worked() {
    let name = "mail.contoso.test";
    let mut refusing = healthy(name);
    refusing.starttls =
        StartTls::Offered("454 4.7.0 TLS not available due to local problem".into());
    let mut closed = healthy(name);
    closed.starttls = StartTls::NotOffered;
    let (_s, ports) = serve_group(vec![
        (healthy(name), [127, 0, 0, 2], 0),
        (refusing, [127, 0, 0, 2], 1),
        (closed, [127, 0, 0, 2], 2),
    ]);
    let d = dns("contoso.test", "mail IN A 127.0.0.2");
    let list = format!("{},{},{}", ports[0], ports[1], ports[2]);
    let r = probe_domain(&d, &[&format!("[{name}]")], &["-p", &list]);
    let f = r.finding("starttls-port-mismatch");
    let intro = f["steps"][0]["text"].as_str().unwrap();
    assert!(intro.contains(&format!("port {}", ports[0])), "{intro}");
    assert!(!intro.contains(&ports[1].to_string()), "{intro}");
}

#[test]
fn one_node_still_serving_the_self_signed_certificate_is_the_odd_one_out() {
    let odd = spki::self_signed(&LeafSpec::valid_for("EXCH02", pki().now, 1800)).unwrap();
    let (_servers, ports) = serve_group(vec![
        (healthy("mx1.contoso.test"), [127, 0, 0, 2], 0),
        (
            Scenario::exchange(
                "mx2.contoso.test",
                Some(&pki().healthy("mx2.contoso.test", 200)),
            ),
            [127, 0, 0, 3],
            0,
        ),
        (
            Scenario::exchange("EXCH02.contoso.local", Some(&odd)),
            [127, 0, 0, 4],
            0,
        ),
    ]);
    let d = dns("contoso.test", TWO_MX);
    let p = port_arg(ports[0]);
    let r = probe_domain(&d, &["contoso.test"], &["-p", &p]);
    let j = r.json();
    assert_eq!(r.code, 2);
    let headline = j["headline"].as_str().unwrap();
    assert!(
        headline.starts_with(&format!(
            "FAIL contoso.test: 1 of 2 MX hosts fails — mx2.contoso.test [127.0.0.4]:{p}: certificate is self-signed"
        )),
        "{headline}"
    );
    let f = r.finding("endpoints-inconsistent");
    assert_eq!(f["severity"], "warn");
    let summary = f["summary"].as_str().unwrap();
    assert!(
        summary.starts_with(
            "mx2.contoso.test [127.0.0.4] still presents the self-signed certificate CN=EXCH02"
        ),
        "{summary}"
    );
    assert_eq!(
        f["endpoints"],
        serde_json::json!([
            format!("mx2.contoso.test [127.0.0.3]:{p}"),
            format!("mx2.contoso.test [127.0.0.4]:{p}")
        ])
    );
    let fix = f["fix"].as_str().unwrap();
    assert!(
        fix.contains("4.7.320") && fix.contains("Enable-ExchangeCertificate"),
        "{fix}"
    );
    assert_eq!(j["mx"][0]["verdict"], "pass");
    assert_eq!(j["mx"][1]["verdict"], "fail");
    // The human report leads with the MX table.
    let human = run(&[
        "contoso.test",
        "-p",
        &p,
        "--resolver",
        &d.resolver_arg(),
        "--ca-file",
        pki().root_file.to_str().unwrap(),
        "--no-system-roots",
    ]);
    assert!(
        human.stdout.contains("MX hosts of contoso.test"),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .lines()
            .any(|l| l.contains("20  mx2.contoso.test  127.0.0.3, 127.0.0.4  FAIL")),
        "{}",
        human.stdout
    );
}

#[test]
fn a_finding_every_endpoint_shares_is_said_once() {
    let mut spec = LeafSpec::valid_for("mail.contoso.test", pki().now, 0);
    spec.not_before = pki().now - time::Duration::days(90);
    spec.not_after = pki().now - time::Duration::days(2);
    let expired = pki().chain(&spec);
    let sc = Scenario::postfix("mail.contoso.test", &expired);
    let (_servers, ports) = serve_group(
        (2..=5)
            .map(|last| (sc.clone(), [127, 0, 0, last], 0))
            .collect(),
    );
    let d = dns(
        "contoso.test",
        "@ IN MX 10 mail\nmail IN A 127.0.0.2\nmail IN A 127.0.0.3\nmail IN A 127.0.0.4\nmail IN A 127.0.0.5",
    );
    let p = port_arg(ports[0]);
    let r = probe_domain(&d, &["contoso.test"], &["-p", &p]);
    let j = r.json();
    assert_eq!(r.code, 2);
    let expired: Vec<&Value> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "cert-expired")
        .collect();
    assert_eq!(
        expired.len(),
        1,
        "one finding for all four: {:?}",
        r.codes()
    );
    assert_eq!(expired[0]["endpoint"], "all 4 endpoints");
    assert_eq!(expired[0]["endpoints"].as_array().unwrap().len(), 4);
    assert_eq!(j["endpoints"].as_array().unwrap().len(), 4);
    assert_absent(&r, "endpoints-inconsistent");
}

#[test]
fn a_name_without_mx_is_its_own_mail_host() {
    let (_s, ports) = serve_group(vec![(healthy("mail.fabrikam.test"), [127, 0, 0, 2], 0)]);
    let d = dns("fabrikam.test", "mail IN A 127.0.0.2");
    let target = format!("mail.fabrikam.test:{}", ports[0]);
    let r = probe_domain(&d, &[&target], &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let f = r.finding("dns-no-mx");
    assert_eq!(f["severity"], "info");
    assert!(f["summary"].as_str().unwrap().contains("implicit MX"));
    let j = r.json();
    assert!(
        j["headline"]
            .as_str()
            .unwrap()
            .starts_with(&format!("PASS {target}: STARTTLS works")),
        "{}",
        j["headline"]
    );
    assert_eq!(j["mx"][0]["implicit"], true);
    assert_eq!(j["endpoints"][0]["mx_preference"], 0);
}

#[test]
fn a_null_mx_passes_and_says_the_domain_takes_no_mail() {
    let d = dns("nomail.test", "@ IN MX 0 .");
    let r = probe_domain(&d, &["nomail.test"], &[]);
    assert_verdict(&r, "pass", 0, "dns-null-mx", "info");
    let j = r.json();
    assert!(j["endpoints"].as_array().unwrap().is_empty());
    assert_eq!(
        j["headline"],
        "PASS nomail.test: nomail.test accepts no mail: it publishes a null MX (RFC 7505), so there is nothing to probe"
    );
}

#[test]
fn a_domain_that_does_not_exist_fails() {
    let d = dns("contoso.test", TWO_MX);
    let r = probe_domain(&d, &["nope.contoso.test"], &[]);
    assert_verdict(&r, "fail", 2, "dns-nxdomain", "fail");
    assert!(r.json()["endpoints"].as_array().unwrap().is_empty());
}

#[test]
fn an_mx_host_without_address_fails_for_that_host_only() {
    let (_s, ports) = serve_group(vec![(healthy("mx1.contoso.test"), [127, 0, 0, 2], 0)]);
    let d = dns(
        "contoso.test",
        "@ IN MX 10 mx1\n@ IN MX 20 gone\nmx1 IN A 127.0.0.2",
    );
    let p = port_arg(ports[0]);
    let r = probe_domain(&d, &["contoso.test"], &["-p", &p]);
    assert_verdict(&r, "fail", 2, "dns-mx-no-address", "fail");
    let f = r.finding("dns-mx-no-address");
    assert!(f["summary"].as_str().unwrap().contains("gone.contoso.test"));
    let j = r.json();
    assert_eq!(
        j["headline"].as_str().unwrap().split(" — ").next().unwrap(),
        "FAIL contoso.test: 1 of 2 MX hosts fails"
    );
    assert_eq!(j["mx"][0]["verdict"], "pass");
    assert_eq!(j["mx"][1]["verdict"], "fail");
    assert_eq!(j["endpoints"].as_array().unwrap().len(), 1);
}

#[test]
fn an_mx_naming_an_ip_address_or_an_alias_is_invalid() {
    // The certificate covers the alias too, so the only problems left are the MX records.
    let mut spec = LeafSpec::valid_for("mx1.contoso.test", pki().now, 200);
    spec.names.push("alias.contoso.test".into());
    let sc = Scenario::postfix("mx1.contoso.test", &pki().chain(&spec));
    let (_s, ports) = serve_group(vec![
        (sc.clone(), [127, 0, 0, 2], 0),
        (sc, [127, 0, 0, 6], 0),
    ]);
    let d = dns(
        "contoso.test",
        "@ IN MX 10 mx1\n@ IN MX 20 127.0.0.6.\n@ IN MX 30 alias\nmx1 IN A 127.0.0.2\nalias IN CNAME mx1",
    );
    let p = port_arg(ports[0]);
    let r = probe_domain(&d, &["contoso.test"], &["-p", &p]);
    let invalid: Vec<Value> = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "dns-mx-invalid")
        .cloned()
        .collect();
    assert_eq!(invalid.len(), 2, "{}", r.stdout);
    assert!(invalid.iter().all(|f| f["severity"] == "warn"));
    let text: Vec<&str> = invalid
        .iter()
        .map(|f| f["summary"].as_str().unwrap())
        .collect();
    assert!(
        text.iter()
            .any(|s| s.contains("names the IP address 127.0.0.6")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|s| s.contains("an alias (CNAME) of mx1.contoso.test")),
        "{text:?}"
    );
    assert_eq!(r.json()["verdict"], "warn");
    assert_eq!(r.code, 1);
    // The literal is still probed, so the admin sees what that server offers.
    assert!(labels(&r.json()).contains(&format!("127.0.0.6:{p}")));
}

#[test]
fn an_ip_literal_as_the_only_mx_fails() {
    let d = dns("contoso.test", "@ IN MX 10 127.0.0.9.");
    let port = std::net::TcpListener::bind("127.0.0.9:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let p = port_arg(port);
    let r = probe_domain(&d, &["contoso.test"], &["-p", &p]);
    let f = r.finding("dns-mx-invalid");
    assert_eq!(f["severity"], "fail", "no valid MX left");
    assert_eq!(r.code, 2);
}

#[test]
fn our_resolver_failing_is_unknown_and_named() {
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let dead = sock.local_addr().unwrap();
    drop(sock);
    let resolver = dead.to_string();
    let ca = pki().root_file.to_string_lossy().into_owned();
    let r = run(&[
        "contoso.test",
        "--resolver",
        &resolver,
        "--timeout",
        "0.5",
        "--ca-file",
        &ca,
        "--no-system-roots",
        "--format",
        "json",
    ]);
    assert_verdict(&r, "unknown", 3, "dns-lookup-failed", "warn");
    let f = r.finding("dns-lookup-failed");
    assert!(
        f["summary"].as_str().unwrap().contains(&resolver),
        "the resolver is named: {}",
        f["summary"]
    );
}

#[test]
fn brackets_and_no_mx_skip_the_mx_lookup() {
    let (_s, ports) = serve_group(vec![(healthy("mx1.contoso.test"), [127, 0, 0, 2], 0)]);
    // contoso.test's MX points elsewhere; the bracketed host is probed as written.
    let d = dns(
        "contoso.test",
        "@ IN MX 10 nowhere\nmx1 IN A 127.0.0.2\nmx1 IN MX 10 nowhere",
    );
    let target = format!("[mx1.contoso.test]:{}", ports[0]);
    let r = probe_domain(&d, &[&target], &[]);
    assert_verdict(&r, "pass", 0, "starttls-ok", "info");
    assert_absent(&r, "dns-no-mx");
    assert!(r.json()["mx"].as_array().unwrap().is_empty());
    let plain = format!("mx1.contoso.test:{}", ports[0]);
    let r = probe_domain(&d, &[&plain], &["--no-mx"]);
    assert_verdict(&r, "pass", 0, "starttls-ok", "info");
    assert_eq!(r.json()["endpoints"][0]["domain"], Value::Null);
}

#[test]
fn the_caps_cut_mx_hosts_and_say_so() {
    let (_s, ports) = serve_group(vec![(healthy("mx1.contoso.test"), [127, 0, 0, 2], 0)]);
    let d = dns("contoso.test", TWO_MX);
    let p = port_arg(ports[0]);
    let r = probe_domain(&d, &["contoso.test"], &["-p", &p, "--max-mx", "1"]);
    assert_verdict(&r, "warn", 1, "endpoints-capped", "warn");
    let f = r.finding("endpoints-capped");
    assert!(
        f["fix"].as_str().unwrap().contains("--max-mx 2"),
        "{}",
        f["fix"]
    );
    assert_eq!(r.json()["endpoints"].as_array().unwrap().len(), 1);
}

#[test]
fn starttls_on_587_but_not_on_25_is_a_port_mismatch_with_the_connector_fix() {
    let (servers, ports) = serve_group(vec![
        (
            Scenario::exchange("mail.contoso.test", None),
            [127, 0, 0, 2],
            0,
        ),
        (
            Scenario::exchange(
                "mail.contoso.test",
                Some(&pki().healthy("mail.contoso.test", 300)),
            ),
            [127, 0, 0, 2],
            1,
        ),
    ]);
    let d = dns("contoso.test", "@ IN MX 10 mail\nmail IN A 127.0.0.2");
    let list = format!("{},{}", ports[0], ports[1]);
    let r = probe_domain(&d, &["contoso.test"], &["-p", &list]);
    assert_verdict(&r, "fail", 2, "starttls-port-mismatch", "fail");
    let f = r.finding("starttls-port-mismatch");
    assert_eq!(
        f["summary"],
        format!(
            "mail.contoso.test offers STARTTLS on port {} but not on port {}",
            ports[1], ports[0]
        )
    );
    let fix = f["fix"].as_str().unwrap();
    let binding = format!("Bindings -match ':{}$'", ports[0]);
    for needle in [
        binding.as_str(),
        "-AuthMechanism \"$($rc.AuthMechanism), Tls\"",
        "-Fqdn mail.contoso.test",
        "Set-ReceiveConnector",
    ] {
        assert!(fix.contains(needle), "{needle} missing from:\n{fix}");
    }
    assert_eq!(f["endpoints"].as_array().unwrap().len(), 2);
    // One session per address and port: the lock is per port, so both ports run at once.
    assert!(servers.iter().all(|s| s.connections() == 1));
}

#[test]
fn two_names_for_one_address_never_share_it_at_once() {
    let s = serve(healthy("mx1.contoso.test"));
    let d = dns(
        "contoso.test",
        "@ IN MX 10 mx1\n@ IN MX 20 mx2\n@ IN MX 30 mx3\nmx1 IN A 127.0.0.1\nmx2 IN A 127.0.0.1\nmx3 IN A 127.0.0.1",
    );
    let p = port_arg(s.addr.port());
    let r = probe_domain(&d, &["contoso.test"], &["-p", &p]);
    assert_eq!(r.json()["endpoints"].as_array().unwrap().len(), 3);
    assert_eq!(s.connections(), 3);
    assert_eq!(
        s.peak_sessions(),
        1,
        "one session at a time per address and port"
    );
}

#[test]
fn mx_hosts_that_disagree_on_starttls_are_inconsistent() {
    let (_s, ports) = serve_group(vec![
        (healthy("mx1.contoso.test"), [127, 0, 0, 2], 0),
        (
            Scenario::exchange("mx2.contoso.test", None),
            [127, 0, 0, 3],
            0,
        ),
    ]);
    let d = dns(
        "contoso.test",
        "@ IN MX 10 mx1\n@ IN MX 20 mx2\nmx1 IN A 127.0.0.2\nmx2 IN A 127.0.0.3",
    );
    let p = port_arg(ports[0]);
    let r = probe_domain(&d, &["contoso.test"], &["-p", &p]);
    let f = r.finding("endpoints-inconsistent");
    assert_eq!(
        f["summary"],
        format!(
            "MX hosts of contoso.test disagree on port {p}: mx1.contoso.test offers STARTTLS, mx2.contoso.test does not"
        )
    );
    assert_eq!(r.code, 2, "mx2's own starttls-not-offered fails the run");
}

#[test]
fn a_blackholed_endpoint_costs_one_timeout_in_parallel_with_the_rest() {
    // Three addresses accept TCP and never speak; one is healthy. Probed one after the other
    // this takes 3 × 1.9 s (the timeout, then a quarter of it for the check in the other TLS
    // mode); in parallel about 1.9 s. The bound leaves room for a loaded
    // 2-core machine; the exact figure is in BENCHMARKS.md.
    let mut silent = healthy("mx.contoso.test");
    silent.on_connect = OnConnect::Silent;
    let (_s, ports) = serve_group(vec![
        (healthy("mx.contoso.test"), [127, 0, 0, 2], 0),
        (silent.clone(), [127, 0, 0, 3], 0),
        (silent.clone(), [127, 0, 0, 4], 0),
        (silent, [127, 0, 0, 5], 0),
    ]);
    let d = dns(
        "contoso.test",
        "@ IN MX 10 mx\nmx IN A 127.0.0.2\nmx IN A 127.0.0.3\nmx IN A 127.0.0.4\nmx IN A 127.0.0.5",
    );
    let p = port_arg(ports[0]);
    let started = Instant::now();
    let r = probe_domain(&d, &["contoso.test"], &["-p", &p, "--timeout", "1.5"]);
    let wall = started.elapsed();
    assert!(
        wall < Duration::from_millis(3500),
        "3 blackholed endpoints took {wall:?}: they were not probed in parallel"
    );
    let j = r.json();
    let eps = j["endpoints"].as_array().unwrap();
    assert_eq!(eps.len(), 4);
    assert!(
        eps[0]["duration_ms"].as_u64().unwrap() < 1000,
        "the healthy endpoint did not wait for the silent ones: {}",
        eps[0]["duration_ms"]
    );
    let timeouts = r.codes().iter().filter(|c| *c == "banner-timeout").count();
    assert_eq!(timeouts, 1, "merged into one finding: {:?}", r.codes());
    let f = r.finding("banner-timeout");
    assert_eq!(f["endpoints"].as_array().unwrap().len(), 3);
    assert_eq!(f["endpoint"], "3 endpoints of mx.contoso.test");
}

#[test]
fn nodes_with_different_valid_certificates_are_noted_not_warned() {
    let (_s, ports) = serve_group(vec![
        (healthy("mx.contoso.test"), [127, 0, 0, 2], 0),
        (healthy("mx.contoso.test"), [127, 0, 0, 3], 0),
    ]);
    let d = dns(
        "contoso.test",
        "@ IN MX 10 mx\nmx IN A 127.0.0.2\nmx IN A 127.0.0.3",
    );
    let p = port_arg(ports[0]);
    let r = probe_domain(&d, &["contoso.test"], &["-p", &p]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let f = r.finding("endpoints-inconsistent");
    assert_eq!(f["severity"], "info");
    assert_eq!(
        f["summary"],
        "the 2 addresses of mx.contoso.test present different certificates, all trusted and current"
    );
}

#[test]
fn when_most_nodes_are_broken_the_healthy_one_is_still_the_reference() {
    let bad = spki::self_signed(&LeafSpec::valid_for("EXCH02", pki().now, 1800)).unwrap();
    let bad = Scenario::exchange("EXCH02.contoso.local", Some(&bad));
    let good = pki().healthy("mx.contoso.test", 200);
    let (_s, ports) = serve_group(vec![
        (
            Scenario::exchange("mx.contoso.test", Some(&good)),
            [127, 0, 0, 2],
            0,
        ),
        (bad.clone(), [127, 0, 0, 3], 0),
        (bad, [127, 0, 0, 4], 0),
    ]);
    let d = dns(
        "contoso.test",
        "@ IN MX 10 mx\nmx IN A 127.0.0.2\nmx IN A 127.0.0.3\nmx IN A 127.0.0.4",
    );
    let p = port_arg(ports[0]);
    let r = probe_domain(&d, &["contoso.test"], &["-p", &p]);
    let f = r.finding("endpoints-inconsistent");
    let summary = f["summary"].as_str().unwrap();
    assert!(
        summary.starts_with(
            "mx.contoso.test [127.0.0.3, 127.0.0.4] still present the self-signed certificate CN=EXCH02"
        ),
        "{summary}"
    );
    let good_thumbprint = r.json()["endpoints"][0]["certificate"]["thumbprint"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        f["fix"].as_str().unwrap().contains(&format!(
            "Export-ExchangeCertificate -Thumbprint {good_thumbprint}"
        )),
        "the fix copies the good certificate, never the self-signed one: {}",
        f["fix"]
    );
}

#[test]
fn two_domains_sharing_an_mx_host_probe_it_once_and_each_gets_its_report() {
    let (servers, ports) = serve_group(vec![(healthy("mx.shared.test"), [127, 0, 0, 3], 0)]);
    let contoso = zone("contoso.test", "@ IN MX 10 mx.shared.test.");
    let fabrikam = zone("fabrikam.test", "@ IN MX 10 mx.shared.test.");
    let shared = zone("shared.test", "mx IN A 127.0.0.3");
    let d = DnsServer::start(&[
        ("contoso.test.", &contoso),
        ("fabrikam.test.", &fabrikam),
        ("shared.test.", &shared),
    ]);
    let p = port_arg(ports[0]);
    // Two targets are a batch: a report each, the shared endpoint in both.
    let r = probe_domain(&d, &["contoso.test", "fabrikam.test"], &["-p", &p]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let j = r.json();
    let reports = j["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 2);
    for (rep, domain) in reports.iter().zip(["contoso.test", "fabrikam.test"]) {
        assert_eq!(rep["target"], domain);
        assert_eq!(rep["verdict"], "pass", "{}", rep["headline"]);
        assert_eq!(rep["endpoints"].as_array().unwrap().len(), 1);
        assert_eq!(rep["endpoints"][0]["domain"], domain);
        assert_eq!(rep["mx"].as_array().unwrap().len(), 1);
    }
    assert_eq!(servers[0].connections(), 1);
}

#[test]
fn a_node_on_an_older_tls_version_is_noted_not_failed() {
    let leaf = pki().healthy("mx.contoso.test", 200);
    let mut tls12 = Scenario::postfix("mx.contoso.test", &leaf);
    tls12.tls = Some(std::sync::Arc::new(
        rustls::ServerConfig::builder_with_provider(starttls_check::provider())
            .with_protocol_versions(&[&rustls::version::TLS12])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(leaf.chain.clone(), leaf.key.clone_key())
            .unwrap(),
    ));
    let (_s, ports) = serve_group(vec![
        (
            Scenario::postfix("mx.contoso.test", &leaf),
            [127, 0, 0, 2],
            0,
        ),
        (tls12, [127, 0, 0, 3], 0),
    ]);
    let d = dns(
        "contoso.test",
        "@ IN MX 10 mx\nmx IN A 127.0.0.2\nmx IN A 127.0.0.3",
    );
    let p = port_arg(ports[0]);
    let r = probe_domain(&d, &["contoso.test"], &["-p", &p]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let f = r.finding("endpoints-inconsistent");
    assert_eq!(f["severity"], "info");
    assert_eq!(
        f["summary"],
        "mx.contoso.test [127.0.0.3] negotiates TLS 1.2; the other address TLS 1.3"
    );
}

#[test]
fn ipv6_only_on_an_ipv4_domain_is_a_warning_about_reachability() {
    let d = dns("contoso.test", "@ IN MX 10 mx\nmx IN A 127.0.0.2");
    let r = probe_domain(&d, &["contoso.test"], &["-6"]);
    assert_verdict(&r, "warn", 1, "dns-no-address", "warn");
    let summary = r.finding("dns-no-address")["summary"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        summary,
        "mx.contoso.test has no IPv6 address (AAAA record): IPv6-only senders cannot reach it, and -6 leaves nothing to probe"
    );
}

#[test]
fn progress_is_drawn_on_a_terminal_and_erased_before_the_report() {
    // util-linux `script` gives the binary a pseudo-terminal (bsdutils is essential on Debian).
    let mut silent = healthy("mx.contoso.test");
    silent.on_connect = OnConnect::Silent;
    let (_s, ports) = serve_group(vec![
        (healthy("mx.contoso.test"), [127, 0, 0, 2], 0),
        (silent, [127, 0, 0, 3], 0),
    ]);
    let d = dns(
        "contoso.test",
        "@ IN MX 10 mx\nmx IN A 127.0.0.2\nmx IN A 127.0.0.3",
    );
    let json = write_temp("report.json", "");
    let port = ports[0].to_string();
    let resolver = d.resolver_arg();
    let binary = command(&[
        "contoso.test",
        "-p",
        &port,
        "--resolver",
        &resolver,
        "--ca-file",
        pki().root_file.to_str().unwrap(),
        "--no-system-roots",
        "--timeout",
        "1",
        "--format",
        "json",
    ]);
    let (status, tty) = on_terminal(&binary, &json);
    assert_eq!(status.code(), Some(2), "the silent endpoint fails the run");
    assert!(
        tty.contains(
            "starttls-check: 1 of 2 endpoints done, waiting for mx.contoso.test [127.0.0.3]"
        ),
        "{tty}"
    );
    assert!(tty.contains("\r\x1b[2K"), "the line is erased: {tty:?}");
    let report = std::fs::read_to_string(&json).unwrap();
    assert!(
        !report.contains("endpoints done"),
        "progress never reaches stdout"
    );
}
