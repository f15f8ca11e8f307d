//! Revocation and the missing intermediate through the real binary: scripted SMTP servers on
//! 127.0.0.1 whose certificates name CRL distribution points and CA Issuers URLs on
//! `crl.pki.test` / `aia.pki.test`, served by `scripted::http::HttpServer` on a loopback high
//! port (`--connect-to`), the names resolved by an in-process DNS zone. The server's request
//! log proves what was fetched, and that `--no-policy` fetches nothing; every report is
//! validated against docs/report.schema.json.
//!
//! The fetching tests need the HTTP client (`fetch::get`, h16-http); the LDAP-only and
//! `--no-policy` ones do not.

#![allow(clippy::unwrap_used)]

mod common;
mod schema_check;

use std::net::{IpAddr, Ipv4Addr};

use common::*;
use starttls_check::scripted::http::{HttpServer, Response};
use starttls_check::scripted::pki::CrlSpec;
use starttls_check::scripted::{Leaf, LeafSpec, Scenario};

const CRL_PATH: &str = "/issuing.crl";
const AIA_PATH: &str = "/issuing.der";

fn crl_url() -> String {
    format!("http://crl.pki.test{CRL_PATH}")
}

fn aia_url() -> String {
    format!("http://aia.pki.test{AIA_PATH}")
}

fn zone() -> dns::DnsServer {
    dns::DnsServer::start(&[(
        "pki.test.",
        "$ORIGIN pki.test.\n$TTL 60\n@ IN SOA ns hostmaster 1 60 60 60 60\n@ IN NS ns\nns IN A 127.0.0.1\ncrl IN A 127.0.0.1\naia IN A 127.0.0.1\n",
    )])
}

fn http(routes: Vec<(String, Response)>) -> HttpServer {
    runtime().block_on(async {
        HttpServer::start(routes, None, IpAddr::V4(Ipv4Addr::LOCALHOST), 0)
            .await
            .unwrap()
    })
}

/// A leaf from the test intermediate naming `crl` as its CDP and the AIA URL.
fn leaf(crl: &[String], with_intermediate: bool) -> Leaf {
    let p = pki();
    let mut spec = LeafSpec::valid_for(HOST, p.now, 90);
    spec.crl_urls = crl.to_vec();
    spec.ca_issuers = vec![aia_url()];
    if with_intermediate {
        p.chain(&spec)
    } else {
        p.intermediate.leaf(&spec).unwrap()
    }
}

fn serial(leaf: &Leaf) -> Vec<u8> {
    x509_parser::parse_x509_certificate(&leaf.chain[0])
        .unwrap()
        .1
        .raw_serial()
        .to_vec()
}

/// Probes a scripted Postfix serving `leaf`, the CRL and AIA names sent to `web`.
fn probe_with(leaf: &Leaf, web: &HttpServer, dns: &dns::DnsServer, extra: &[&str]) -> Run {
    let s = serve(Scenario::postfix(HOST, leaf));
    let crl = format!("crl.pki.test:80:127.0.0.1:{}", web.addr.port());
    let aia = format!("aia.pki.test:80:127.0.0.1:{}", web.addr.port());
    let resolver = dns.resolver_arg();
    let mut args = vec![
        "--resolver",
        resolver.as_str(),
        "--connect-to",
        crl.as_str(),
        "--connect-to",
        aia.as_str(),
    ];
    args.extend_from_slice(extra);
    let r = probe(&s, &args);
    // Every report here, with its revocation object, is valid against docs/report.schema.json.
    schema_check::assert_valid_text(&r.stdout, "revocation");
    r
}

fn crl_response(body: &[u8]) -> Response {
    Response::ok("application/pkix-crl", body)
}

#[test]
fn a_reachable_good_crl_is_fetched_once_and_raises_nothing() {
    let p = pki();
    let web = http(vec![(
        CRL_PATH.into(),
        crl_response(&p.intermediate.crl(&CrlSpec::fresh(p.now, &[])).unwrap()),
    )]);
    let dns = zone();
    let r = probe_with(&leaf(&[crl_url()], true), &web, &dns, &[]);
    assert_verdict(&r, "pass", 0, "starttls-ok", "info");
    for code in [
        "cert-revoked",
        "crl-unreachable",
        "crl-stale",
        "crl-invalid",
        "crl-none",
    ] {
        assert_absent(&r, code);
    }
    let rev = &r.json()["endpoints"][0]["revocation"];
    let check = &rev["certificates"][0]["crls"][0];
    assert_eq!(check["fetch"]["status"], 200, "{rev:#}");
    assert_eq!(check["crl"]["signature"]["result"], "valid");
    assert_eq!(rev["webpki"], "good");
    assert_eq!(rev["ocsp"], "not queried");
    assert_eq!(web.requests().len(), 1, "{:?}", web.requests());
}

#[test]
fn a_revoked_leaf_fails() {
    let p = pki();
    let l = leaf(&[crl_url()], true);
    let crl = p
        .intermediate
        .crl(&CrlSpec::fresh(p.now, &[serial(&l)]))
        .unwrap();
    let web = http(vec![(CRL_PATH.into(), crl_response(&crl))]);
    let dns = zone();
    let r = probe_with(&l, &web, &dns, &[]);
    assert_verdict(&r, "fail", 2, "cert-revoked", "fail");
    let f = r.finding("cert-revoked");
    let summary = f["summary"].as_str().unwrap();
    assert!(
        summary.contains(&crl_url()) && summary.contains("keyCompromise"),
        "{summary}"
    );
}

#[test]
fn a_stale_crl_warns() {
    let p = pki();
    let crl = p.intermediate.crl(&CrlSpec::stale(p.now)).unwrap();
    let web = http(vec![(CRL_PATH.into(), crl_response(&crl))]);
    let dns = zone();
    let r = probe_with(&leaf(&[crl_url()], true), &web, &dns, &[]);
    assert_verdict(&r, "warn", 1, "crl-stale", "warn");
}

#[test]
fn a_missing_crl_and_a_silent_server_are_unreachable() {
    let dns = zone();
    let web = http(vec![]);
    let r = probe_with(&leaf(&[crl_url()], true), &web, &dns, &[]);
    assert_verdict(&r, "warn", 1, "crl-unreachable", "warn");
    let summary = r.finding("crl-unreachable")["summary"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(summary.contains("404"), "{summary}");

    let silent = http(vec![(CRL_PATH.into(), Response::Silent)]);
    let r = probe_with(
        &leaf(&[crl_url()], true),
        &silent,
        &dns,
        &["--timeout", "1"],
    );
    assert_verdict(&r, "warn", 1, "crl-unreachable", "warn");
}

#[test]
fn an_ldap_only_crl_is_unreachable_for_external_senders_and_never_fetched() {
    let dns = zone();
    let web = http(vec![]);
    let ldap = "ldap:///CN=Test%20Issuing%20CA,CN=CDP,DC=corp,DC=test?certificateRevocationList"
        .to_string();
    let r = probe_with(&leaf(&[ldap], true), &web, &dns, &[]);
    assert_verdict(&r, "warn", 1, "crl-unreachable", "warn");
    let summary = r.finding("crl-unreachable")["summary"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(summary.contains("only over LDAP"), "{summary}");
    assert!(web.requests().is_empty(), "{:?}", web.requests());
}

#[test]
fn a_missing_intermediate_is_fetched_from_ca_issuers_and_named() {
    let p = pki();
    let web = http(vec![(
        AIA_PATH.into(),
        Response::ok("application/pkix-cert", p.intermediate.der().as_ref()),
    )]);
    let dns = zone();
    let r = probe_with(&leaf(&[], false), &web, &dns, &[]);
    let f = r.finding("cert-chain-incomplete");
    let summary = f["summary"].as_str().unwrap();
    assert!(
        summary.contains("Test Issuing CA")
            && summary.contains(&aia_url())
            && summary.contains("SHA-256"),
        "{summary}"
    );
    let fetched = &r.json()["endpoints"][0]["revocation"]["issuer_fetch"];
    assert_eq!(fetched["completes_chain"], true, "{fetched:#}");
    assert_eq!(web.requests().len(), 1);
}

#[test]
fn no_policy_fetches_nothing_and_keeps_the_intermediate_or_private_root_text() {
    let p = pki();
    let web = http(vec![
        (
            CRL_PATH.into(),
            crl_response(&p.intermediate.crl(&CrlSpec::fresh(p.now, &[])).unwrap()),
        ),
        (
            AIA_PATH.into(),
            Response::ok("application/pkix-cert", p.intermediate.der().as_ref()),
        ),
    ]);
    let dns = zone();
    let r = probe_with(&leaf(&[crl_url()], false), &web, &dns, &["--no-policy"]);
    let summary = r.finding("cert-chain-incomplete")["summary"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        summary.contains("a missing intermediate, or a private root"),
        "{summary}"
    );
    assert!(r.json()["endpoints"][0]["revocation"].is_null());
    assert!(web.requests().is_empty(), "{:?}", web.requests());
}

#[test]
fn a_dead_distribution_point_beside_a_good_one_is_a_note_and_the_check_is_visible() {
    let p = pki();
    let web = http(vec![(
        CRL_PATH.into(),
        crl_response(&p.intermediate.crl(&CrlSpec::fresh(p.now, &[])).unwrap()),
    )]);
    let dns = zone();
    let dead = "http://crl.pki.test/moved.crl".to_string();
    let r = probe_with(&leaf(&[dead.clone(), crl_url()], true), &web, &dns, &[]);
    assert_eq!(r.json()["verdict"], "pass", "{}", r.stdout);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let f = r.finding("crl-unreachable");
    assert_eq!(f["severity"], "info", "{f:#}");
    let fix = f["fix"].to_string();
    assert!(!fix.contains("cannot judge"), "{fix}");
    let c = &r.json()["endpoints"][0]["revocation"]["certificates"][0];
    let summary = c["summary"].as_str().unwrap();
    assert!(
        summary.starts_with(&format!("not revoked per {} (CRL of ", crl_url()))
            && summary.contains(&format!("{dead} answered HTTP 404")),
        "{summary}"
    );
}

#[test]
fn a_crl_fetch_cut_short_by_the_deadline_is_not_blamed_on_the_server() {
    let dns = zone();
    let silent = http(vec![(CRL_PATH.into(), Response::Silent)]);
    let r = probe_with(
        &leaf(&[crl_url()], true),
        &silent,
        &dns,
        &["--timeout", "10", "--deadline", "1.5"],
    );
    assert_absent(&r, "crl-unreachable");
    let c = &r.json()["endpoints"][0]["revocation"]["certificates"][0];
    assert_eq!(c["crls"][0]["fetch"]["cut_by_deadline"], true, "{c:#}");
    let summary = c["summary"].as_str().unwrap();
    assert!(
        summary.contains("not checked") && summary.contains("--deadline"),
        "{summary}"
    );
}
