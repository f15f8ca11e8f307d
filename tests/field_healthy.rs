//! Issue 9, "done means": the field-diagnosis rules (middleboxes, blocklists, legacy TLS,
//! honest states, TLS required) must not add a word to a healthy server's report. Every
//! healthy scenario is probed through the real binary and its exact set of codes, verdict and
//! exit code are pinned: a new rule that fires on a healthy conversation (a tarpit threshold on
//! a slow machine, a keyword that merely contains X's, a vendor name in a trusted certificate,
//! a blocklist lookup nobody asked for) fails here.
//!
//! The healthy listeners of the real Postfix tier are pinned the same way in tests/postfix.rs
//! (`healthy_listeners_keep_their_codes`).

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use starttls_check::scripted::{LeafSpec, Scenario};

/// The codes of a run, sorted, with the verdict and exit code.
fn outcome(r: &Run) -> (Vec<String>, String, i32) {
    let mut codes = r.codes();
    codes.sort();
    let verdict = r.json()["verdict"].as_str().unwrap_or_default().to_string();
    (codes, verdict, r.code)
}

#[track_caller]
fn expect_only_ok(name: &str, r: &Run) {
    let (mut codes, verdict, exit) = outcome(r);
    // A mail domain that publishes neither MTA-STS nor TLS-RPT gets a note for each (info:
    // the verdict stays pass); they say nothing about the server, which is what is checked.
    for note in ["mta-sts-missing", "tlsrpt-missing"] {
        if codes.iter().any(|c| c == note) {
            assert_eq!(r.finding(note)["severity"], "info", "{name}: {note}");
        }
    }
    codes.retain(|c| c != "mta-sts-missing" && c != "tlsrpt-missing");
    assert_eq!(
        (codes.clone(), verdict.as_str(), exit),
        (vec!["starttls-ok".to_string()], "pass", 0),
        "{name}: a healthy server must keep exactly its codes; got {codes:?}, verdict \
         {verdict}, exit {exit}; report:\n{}",
        r.stdout
    );
}

/// Keywords a healthy server may list that look like a masked keyword to a careless reader.
fn x_keywords(mut sc: Scenario) -> Scenario {
    sc.keywords.extend(
        [
            "X-ANONYMOUSTLS",
            "XEXCH50",
            "XRDST",
            "XSHADOWREQUEST",
            "XCLIENT ADDR NAME",
        ]
        .map(String::from),
    );
    sc
}

#[test]
fn healthy_postfix_exchange_and_implicit_tls_keep_exactly_starttls_ok() {
    let p = pki();
    let cases: Vec<(&str, Scenario, Vec<&str>)> = vec![
        (
            "postfix",
            Scenario::postfix(HOST, &p.healthy(HOST, 90)),
            vec![],
        ),
        (
            "exchange with X-keywords",
            x_keywords(Scenario::exchange(HOST, Some(&p.healthy(HOST, 90)))),
            vec![],
        ),
        (
            // A healthy greeting that reports a public address: nothing may look it up
            // unless --dnsbl asks.
            "exchange seen as a public address",
            {
                let mut sc = Scenario::exchange(HOST, Some(&p.healthy(HOST, 90)));
                sc.seen_as = Some("203.0.113.7".parse().unwrap());
                sc
            },
            vec![],
        ),
        (
            "implicit TLS with --implicit-tls",
            {
                let mut sc = Scenario::postfix(HOST, &p.healthy(HOST, 90));
                sc.implicit_tls = true;
                sc
            },
            vec!["--implicit-tls"],
        ),
        (
            // Answers in 200 ms: slow, but far from any tarpit at the default timeout.
            "slow but healthy",
            {
                let mut sc = Scenario::postfix(HOST, &p.healthy(HOST, 90));
                sc.banner_delay = Duration::from_millis(200);
                sc.ehlo_delay = Duration::from_millis(200);
                sc
            },
            vec![],
        ),
        (
            "a wildcard certificate",
            Scenario::postfix(
                HOST,
                &p.chain(&LeafSpec {
                    names: vec!["*.example.test".into()],
                    ..LeafSpec::valid_for("*.example.test", p.now, 200)
                }),
            ),
            vec![],
        ),
    ];
    for (name, sc, extra) in cases {
        let s = serve(sc);
        let r = probe(&s, &extra);
        expect_only_ok(name, &r);
        let verbs: Vec<String> = s
            .received()
            .iter()
            .map(|c| c.split(' ').next().unwrap_or_default().to_ascii_uppercase())
            .collect();
        for never in ["MAIL", "RCPT", "DATA"] {
            assert!(
                !verbs.iter().any(|v| v == never),
                "{name}: the probe sent {never} without --check-required: {verbs:?}"
            );
        }
    }
}

#[test]
fn a_healthy_domain_of_two_mx_hosts_keeps_exactly_starttls_ok() {
    let zone = "$ORIGIN contoso.test.\n$TTL 60\n@ IN SOA ns.contoso.test. hostmaster.contoso.test. 1 60 60 60 60\n\
                @ IN MX 10 mx1\n@ IN MX 20 mx2\nmx1 IN A 127.0.0.2\nmx2 IN A 127.0.0.3\n";
    let dns = dns::DnsServer::start(&[("contoso.test.", zone)]);
    let p = pki();
    let (_servers, ports) = serve_group(vec![
        (
            Scenario::postfix("mx1.contoso.test", &p.healthy("mx1.contoso.test", 120)),
            [127, 0, 0, 2],
            0,
        ),
        (
            Scenario::postfix("mx2.contoso.test", &p.healthy("mx2.contoso.test", 120)),
            [127, 0, 0, 3],
            0,
        ),
    ]);
    let port = ports[0].to_string();
    let r = probe_domain(&dns, &["contoso.test"], &["-p", &port]);
    expect_only_ok("two healthy MX hosts", &r);
}
