//! Server families (issue 15, item 5): the software is read from what the server says about
//! itself (banner, EHLO reply), never from its name, and the fixes speak its language. Each
//! server here is a scripted server on 127.0.0.1 that greets as the product does in the field;
//! the banners are quoted from the sources cited in `src/evidence/software.rs`.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::Value;
use starttls_check::scripted::{Leaf, LeafSpec, Scenario, StartTls};

/// A server greeting with `banner` (the whole line, code included) and `greeting` as its EHLO
/// name, offering STARTTLS with `leaf`.
fn greeting_as(banner: &str, greeting: &str, leaf: &Leaf) -> Scenario {
    Scenario {
        banner: banner.to_string(),
        greeting: greeting.to_string(),
        ..Scenario::postfix(greeting, leaf)
    }
}

fn healthy() -> Leaf {
    pki().healthy(HOST, 90)
}

/// An expired certificate for [`HOST`], issued by the test intermediate.
fn expired() -> Leaf {
    let now = pki().now;
    let mut spec = LeafSpec::valid_for(HOST, now, 0);
    spec.not_before = now - time::Duration::days(100);
    spec.not_after = now - time::Duration::days(3);
    pki().chain(&spec)
}

/// The software the JSON report names for the only endpoint.
fn software(r: &Run) -> String {
    r.json()["endpoints"][0]["server_software"]
        .as_str()
        .unwrap_or_else(|| panic!("no server_software in:\n{}", r.stdout))
        .to_string()
}

/// Every fix of the report, as plain text.
fn fixes(j: &Value) -> Vec<String> {
    j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fix"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn an_exim_host_named_postfix01_is_exim_and_gets_no_postconf() {
    // The case: a host named after another MTA; its banner says Exim.
    let s = serve(Scenario::exim("postfix01.example", &expired()));
    let r = probe(&s, &[]);
    assert_eq!(software(&r), "exim", "{}", r.stdout);
    assert_verdict(&r, "fail", 2, "cert-expired", "fail");
    let j = r.json();
    let all = fixes(&j).join("\n");
    assert!(
        !all.contains("postconf"),
        "an Exim host got postconf:\n{all}"
    );
    let expired = r.finding("cert-expired");
    let fix = expired["fix"].as_str().unwrap();
    for word in [
        "tls_certificate",
        "tls_privatekey",
        "exim -bP tls_certificate tls_privatekey",
        "MAIN_TLS_ENABLE",
        "update-exim4.conf",
        "Encrypted SMTP connections using TLS/SSL",
    ] {
        assert!(fix.contains(word), "{word} missing from:\n{fix}");
    }
    // Its commands are for the Exim host's shell, and the read-only ones come first.
    let steps = expired["steps"].as_array().unwrap();
    let commands: Vec<&Value> = steps.iter().filter(|s| s["kind"] == "command").collect();
    assert!(
        commands.iter().all(|c| c["shell"] == "exim-shell"),
        "{steps:?}"
    );
    assert!(
        commands[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("exim -bP")
    );
}

#[test]
fn exim_without_starttls_is_told_about_tls_advertise_hosts() {
    let mut sc = Scenario::exim(HOST, &healthy());
    sc.starttls = StartTls::NotOffered;
    sc.tls = None;
    let r = probe(&serve(sc), &[]);
    assert_eq!(software(&r), "exim");
    let f = r.finding("starttls-not-offered");
    let fix = f["fix"].as_str().unwrap();
    assert!(
        fix.contains("tls_advertise_hosts = *") && fix.contains("exim -bV"),
        "{fix}"
    );
    assert!(!fix.contains("postconf"), "{fix}");
}

#[test]
fn exim_refusing_starttls_is_sent_to_its_paniclog_and_key_permissions() {
    // Exim's own words when it cannot load its certificate (smtp_in.c).
    let mut sc = Scenario::exim(HOST, &healthy());
    sc.starttls = StartTls::Offered("454 TLS currently unavailable".into());
    let r = probe(&serve(sc), &[]);
    assert_eq!(software(&r), "exim");
    let fix = r.finding("starttls-rejected")["fix"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        fix.contains("paniclog") && fix.contains("exim_user") && fix.contains("tls_privatekey"),
        "{fix}"
    );
}

#[test]
fn exim_sending_only_its_leaf_is_told_the_chain_file_order() {
    let mut leaf = healthy();
    leaf.chain.truncate(1);
    let r = probe(&serve(Scenario::exim(HOST, &leaf)), &[]);
    assert_eq!(software(&r), "exim");
    let fix = r.finding("cert-chain-incomplete")["fix"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        fix.contains("Certificate chains") && fix.contains("tls_certificate"),
        "{fix}"
    );
    assert!(!fix.contains("postconf"), "{fix}");
}

/// A leaf sent without its issuer: the fix first tells an intermediate from a private root,
/// and the sentence that reads the subject and issuer the check shows sits right after that
/// check, before the family's configuration steps, whose output it is not about. Every
/// family's variant: Postfix, Exim, Exchange, a product (Haraka), and unknown software.
#[test]
fn the_root_or_intermediate_verdict_follows_its_own_check() {
    let mut leaf = healthy();
    leaf.chain.truncate(1);
    let exchange = Scenario::exchange(HOST, Some(&leaf));
    let unknown = greeting_as("220 mail.example.test ESMTP", HOST, &leaf);
    let haraka = greeting_as(
        "220 mail.example.test ESMTP Haraka/2.8.27 ready",
        HOST,
        &leaf,
    );
    for (sc, kind) in [
        (Scenario::postfix(HOST, &leaf), "postfix"),
        (Scenario::exim(HOST, &leaf), "exim"),
        (exchange, "exchange"),
        (haraka, "haraka"),
        (unknown, "unknown"),
    ] {
        let r = probe(&serve(sc), &[]);
        assert_eq!(software(&r), kind, "{}", r.stdout);
        let fix = r.finding("cert-chain-incomplete")["fix"]
            .as_str()
            .unwrap()
            .to_string();
        let lines: Vec<&str> = fix.lines().collect();
        let curl = lines
            .iter()
            .position(|l| l.trim_start().starts_with("curl "))
            .unwrap_or_else(|| panic!("{kind}: no curl check:\n{fix}"));
        let verdict = lines.get(curl + 1).copied().unwrap_or_default();
        assert!(
            verdict.contains("subject and issuer are equal, the issuer is a root")
                && verdict.contains("if they differ, it is an intermediate"),
            "{kind}: the line after the curl check reads its output, got {verdict:?}:\n{fix}"
        );
        for dangling in ["If they are equal", "If they differ"] {
            assert!(
                !fix.contains(dangling),
                "{kind}: {dangling:?} after other steps reads as if about their output:\n{fix}"
            );
        }
        let last = lines.last().copied().unwrap_or_default();
        assert!(
            last.starts_with("If the issuer is a root, it is a private root"),
            "{kind}: the private-root case names its condition, got {last:?}:\n{fix}"
        );
    }
}

#[test]
fn the_human_report_names_the_family() {
    let s = serve(Scenario::exim(HOST, &healthy()));
    let target = format!("{HOST}:{}", s.addr.port());
    let resolve = format!("{HOST}:{}", s.addr.ip());
    let ca = pki().root_file.to_string_lossy().into_owned();
    let r = run(&[
        &target,
        "--resolve",
        &resolve,
        "--ca-file",
        &ca,
        "--no-system-roots",
        "--format",
        "human",
        "-v",
        "--timeout",
        "5",
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("STARTTLS  (Exim)"), "{}", r.stdout);
}

/// Each product's banner (and, where the banner is hidden, its EHLO reply), as the field shows
/// it, is named in JSON's `server_software`.
#[test]
fn each_product_is_named_from_its_own_greeting() {
    let leaf = healthy();
    let cases: [(&str, &str, &str); 20] = [
        // nmap-service-probes and the sources in src/evidence/software.rs.
        (
            "220 mail.example.test ESMTP Postfix (Debian/GNU)",
            HOST,
            "postfix",
        ),
        (
            "220 mail.example.test ESMTP Sendmail 8.15.2/8.15.2; Thu, 18 Sep 2025 15:08:08 +0200",
            HOST,
            "sendmail",
        ),
        ("220 mail.example.test ESMTP OpenSMTPD", HOST, "opensmtpd"),
        (
            "220 mail.example.test ESMTP Haraka/2.8.27 ready",
            HOST,
            "haraka",
        ),
        (
            "220 mail.example.test ESMTP hMailServer 4.4.2",
            HOST,
            "hmailserver",
        ),
        (
            "220 mail.example.test ESMTP MDaemon 21.0.3; Thu, 18 Sep 2025 15:08:08 +0200",
            HOST,
            "mdaemon",
        ),
        ("220 mail.example.test ESMTP Zimbra", HOST, "zimbra"),
        (
            "220 mx.google.com ESMTP e16-20020a05600c4e5000b0038c77be9b2dsi226281wmq.72 - gsmtp",
            "mx.google.com",
            "google",
        ),
        (
            "220-mail.example.test ESMTP\r\n220 mail.example.test AsyncOS",
            HOST,
            "cisco-secure-email",
        ),
        (
            "220 esa1.hc1234-56.iphmx.com ESMTP",
            "esa1.hc1234-56.iphmx.com",
            "cisco-secure-email",
        ),
        (
            "220 mail.example.test ESMTP (b3ef4f0fbe38dde2bb76ad2a6bf96f7b)",
            HOST,
            "barracuda",
        ),
        (
            "220 mx0b-00000d03.pphosted.com ESMTP mfa-m0214089",
            "mx0b-00000d03.pphosted.com",
            "proofpoint",
        ),
        (
            "220 eu-smtp-inbound-1.mimecast.com ESMTP",
            "eu-smtp-inbound-1.mimecast.com",
            "mimecast",
        ),
        (
            "220 mx-01-eu-west-1.prod.hydra.sophos.com ESMTP",
            "mx-01-eu-west-1.prod.hydra.sophos.com",
            "sophos",
        ),
        (
            "220 mail.example.test ESMTP Smtpd; Mon, 10 Jan 2022 10:00:00 -0500",
            HOST,
            "fortinet",
        ),
        (
            "220 BN8NAM12FT053.mail.protection.outlook.com Microsoft ESMTP MAIL Service ready at Sun, 22 Nov 2026 12:00:00 +0000",
            "BN8NAM12FT053.mail.protection.outlook.com",
            "exchange-online",
        ),
        // A banner that starts with the product, not a host name (nmap: `^220 HMailServer
        // ESMTP`), and a continuation line that does.
        ("220 HMailServer ESMTP", HOST, "hmailserver"),
        (
            "220-mail.example.test ESMTP\r\n220 Sendmail ready",
            HOST,
            "sendmail",
        ),
        // A host named after one MTA, running another: the product after the host decides.
        (
            "220 postfix01.example ESMTP Exim 4.96",
            "postfix01.example",
            "exim",
        ),
        (
            "220 exim01.example ESMTP Postfix",
            "exim01.example",
            "postfix",
        ),
    ];
    for (banner, greeting, kind) in cases {
        let r = probe(&serve(greeting_as(banner, greeting, &leaf)), &[]);
        assert_eq!(software(&r), kind, "{banner}\n{}", r.stdout);
    }
}

/// What a product hides stays unknown: Cisco's own example of an ESA with its default banner
/// and EHLO reply (Cisco document 214630), and hMailServer's default `<computer> ESMTP`. The
/// host names say "ironport" and "postfix", which must not count.
#[test]
fn hidden_software_is_unknown_whatever_the_host_is_called() {
    let leaf = healthy();
    for (banner, greeting) in [
        ("220 ironport.example.test ESMTP", "ironport.example.test"),
        ("220 WIN-MAIL01 ESMTP", "WIN-MAIL01"),
        (
            "220 postfix.example.test ESMTP ready",
            "postfix.example.test",
        ),
        ("220 exim01 ESMTP", "exim01"),
        ("220 [127.0.0.1] ESMTP", "[127.0.0.1]"),
    ] {
        let mut sc = greeting_as(banner, greeting, &leaf);
        sc.keywords = vec!["8BITMIME".into(), "SIZE 10485760".into()];
        let r = probe(&serve(sc), &[]);
        assert_eq!(software(&r), "unknown", "{banner}\n{}", r.stdout);
    }
}

/// Haraka with its banner changed, and Exim with its banner hidden, still say who they are in
/// their EHLO replies (`Haraka is at your service.`, Exim's `PIPECONNECT`).
#[test]
fn the_ehlo_reply_names_what_the_banner_hides() {
    let mut haraka = greeting_as("220 mail.example.test ESMTP", HOST, &healthy());
    haraka.starttls = StartTls::NotOffered;
    haraka.tls = None;
    haraka.ehlo_refusal = Some(
        "250-mail.example.test Hello client.example.com [127.0.0.1], Haraka is at your service.\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 10000000"
            .into(),
    );
    let r = probe(&serve(haraka), &[]);
    assert_eq!(software(&r), "haraka", "{}", r.stdout);
    // Its fix names Haraka's files, not Postfix's.
    let fix = r.finding("starttls-not-offered")["fix"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(fix.contains("config/plugins"), "{fix}");

    let mut exim = Scenario::exim(HOST, &healthy());
    exim.banner = "220 mail.example.test ESMTP".into();
    let r = probe(&serve(exim), &[]);
    assert_eq!(software(&r), "exim", "{}", r.stdout);
}

/// A gateway's fix names the setting in its admin console; a cloud service's says the
/// certificate is the vendor's.
#[test]
fn gateway_fixes_name_the_console_setting() {
    // Cisco Secure Email (IronPort) with an expired certificate, recognised by AsyncOS.
    let banner = "220-mail.example.test ESMTP\r\n220 mail.example.test AsyncOS";
    let r = probe(&serve(greeting_as(banner, HOST, &expired())), &[]);
    assert_eq!(software(&r), "cisco-secure-email");
    let fix = r.finding("cert-expired")["fix"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        fix.contains("Network > Certificates") && fix.contains("Network > Listeners"),
        "{fix}"
    );
    assert!(!fix.contains("postconf") && !fix.contains("Set-ReceiveConnector"));

    // The same appliance without STARTTLS: its mail flow policy's TLS setting.
    let mut sc = greeting_as(banner, HOST, &healthy());
    sc.starttls = StartTls::NotOffered;
    sc.tls = None;
    let r = probe(&serve(sc), &[]);
    let fix = r.finding("starttls-not-offered")["fix"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        fix.contains("Mail Policies > Mail Flow Policies") && fix.contains("Preferred"),
        "{fix}"
    );

    // FortiMail: System > Certificate > Local Certificate.
    let banner = "220 mail.example.test ESMTP Smtpd; Mon, 10 Jan 2022 10:00:00 -0500";
    let r = probe(&serve(greeting_as(banner, HOST, &expired())), &[]);
    let fix = r.finding("cert-expired")["fix"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        fix.contains("System > Certificate > Local Certificate"),
        "{fix}"
    );
}

#[test]
fn a_cloud_services_certificate_is_the_vendors() {
    // Proofpoint's MX greeting as itself, with a certificate that does not cover the name
    // probed: the fix says Proofpoint's certificate cannot be replaced, and where to look.
    let banner = "220 mx0b-00000d03.pphosted.com ESMTP mfa-m0214089";
    let r = probe(
        &serve(greeting_as(
            banner,
            "mx0b-00000d03.pphosted.com",
            &expired(),
        )),
        &[],
    );
    assert_eq!(software(&r), "proofpoint");
    let fix = r.finding("cert-expired")["fix"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        fix.contains("Proofpoint's own certificate") && fix.contains("MX records"),
        "{fix}"
    );
}
