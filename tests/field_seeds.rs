//! Issue 9, item 6: the conversations of the field write-ups in `shared/seeds/`, replayed by
//! the scripted server as the write-ups show them, and the findings an admin should get.
//! (The Cisco-masked conversation and the appliance certificate of seed 002 are replayed in
//! tests/field_middlebox.rs, seed 003's EOP reply to a blocklisted sender in
//! tests/field_blocklist.rs.)

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use starttls_check::scripted::{LeafSpec, Scenario};

/// Seed 001's receive connector: the EHLO keywords of its ports 25 and 587 verbatim, its
/// `Fqdn : SRVEX01.domain.local` greeting and a wildcard certificate for the public domain
/// (`CN=*.XXXXX.com`, here `*.contoso.test`).
fn seed_001(starttls: bool) -> Scenario {
    let p = pki();
    let leaf = p.chain(&LeafSpec {
        names: vec!["*.contoso.test".into()],
        ..LeafSpec::valid_for("*.contoso.test", p.now, 300)
    });
    let mut sc = Scenario::exchange("SRVEX01.domain.local", starttls.then_some(&leaf));
    sc.keywords = if starttls {
        // Port 587 (the scripted server appends STARTTLS to the list).
        [
            "SIZE 20971520",
            "PIPELINING",
            "DSN",
            "ENHANCEDSTATUSCODES",
            "AUTH NTLM",
            "8BITMIME",
            "BINARYMIME",
            "CHUNKING",
        ]
        .map(String::from)
        .to_vec()
    } else {
        [
            "SIZE 62423040",
            "PIPELINING",
            "DSN",
            "ENHANCEDSTATUSCODES",
            "8BITMIME",
            "BINARYMIME",
            "CHUNKING",
        ]
        .map(String::from)
        .to_vec()
    };
    sc
}

/// Seed 001: "connecting to port 25 STARTTLS is missing but connecting to port 587 is
/// present", one receive connector's settings decide it. The cause is named as a port
/// mismatch with the connector fix, the missing STARTTLS on 25 stays as its symptom, the
/// `.local` greeting that no public certificate can cover is a warning of its own, and no
/// middlebox, blocklist or rate-limit code is raised on a plain Exchange conversation.
#[test]
fn seed_001_starttls_on_587_only_is_the_connector_not_a_middlebox() {
    let (_servers, ports) = serve_group(vec![
        (seed_001(false), [127, 0, 0, 2], 0),
        (seed_001(true), [127, 0, 0, 2], 1),
    ]);
    let list = format!("{},{}", ports[0], ports[1]);
    let r = probe_ports("mail.contoso.test", "127.0.0.2", &list, &[]);
    assert_verdict(&r, "fail", 2, "starttls-port-mismatch", "fail");
    let codes = r.codes();
    assert!(
        codes.iter().any(|c| c == "starttls-not-offered"),
        "the symptom stays: {codes:?}"
    );
    assert!(
        codes.iter().any(|c| c == "cert-ehlo-name-mismatch"),
        "SRVEX01.domain.local is on no certificate: {codes:?}"
    );
    for c in &codes {
        assert!(
            !c.starts_with("middlebox-")
                && !c.starts_with("egress-")
                && !c.starts_with("smtp-rate")
                && c != "tls-interception-suspected",
            "a plain Exchange conversation got {c}: {codes:?}"
        );
    }
    let fix = r.finding("starttls-port-mismatch")["fix"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        fix.contains("Set-ReceiveConnector") && fix.contains("Tls"),
        "the connector's AuthMechanism must gain Tls: {fix}"
    );
}
