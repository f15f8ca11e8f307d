//! `--client-cert`: the probe presents a client certificate, as an on-premises Exchange send
//! connector does towards Exchange Online. Scripted rustls servers that ask for (or demand) a
//! certificate and verify it against a CA; certificates, PEM and PFX files made at test time.
//! Every connection stays on loopback.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use common::{HOST, Run, command, pki, run_command, serve, write_temp};
use rustls::pki_types::CertificateDer;
use starttls_check::scripted::{
    Ca, Leaf, LeafSpec, Scenario, ScriptedServer, server_config_client_auth,
};
use time::Duration;

/// The name on the sending server's certificate (Exchange Online's TlsSenderCertificateName).
const SENDER: &str = "relay.contoso.test";

const TLS13: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13];
const TLS12: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS12];

fn pem_block(label: &str, der: &[u8]) -> String {
    let b64 = common::base64(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The PEM of a chain, and of its key.
fn pem_of(leaf: &Leaf) -> (String, String) {
    let certs: String = leaf
        .chain
        .iter()
        .map(|c| pem_block("CERTIFICATE", c))
        .collect();
    (certs, pem_block("PRIVATE KEY", leaf.key.secret_der()))
}

/// A sending server's certificate from the test PKI (serverAuth + clientAuth), with its
/// intermediate, valid `days` more days.
fn sender_cert(days: i64) -> Leaf {
    sender_from(&LeafSpec::valid_for(SENDER, pki().now, days))
}

fn sender_from(spec: &LeafSpec) -> Leaf {
    let mut leaf = pki().intermediate.sender_leaf(spec).unwrap();
    leaf.chain.push(pki().intermediate.der());
    leaf
}

/// The chain and key in one PEM file.
fn one_file(leaf: &Leaf) -> PathBuf {
    let (certs, key) = pem_of(leaf);
    write_temp("client.pem", &format!("{certs}{key}"))
}

/// A receiver that asks for a client certificate (`required`: demands one) and verifies it
/// against `roots`.
fn asking(
    versions: &[&'static rustls::SupportedProtocolVersion],
    roots: &[CertificateDer<'static>],
    required: bool,
) -> Arc<ScriptedServer> {
    let leaf = pki().healthy(HOST, 90);
    let mut scenario = Scenario::postfix(HOST, &leaf);
    scenario.tls = Some(server_config_client_auth(&leaf, roots, required, versions));
    serve(scenario)
}

fn test_roots() -> Vec<CertificateDer<'static>> {
    vec![pki().root.der()]
}

/// Probes the server as JSON (or `format`), trusting the test root, with `env` set.
fn probe_with(server: &ScriptedServer, extra: &[&str], env: &[(&str, &str)], format: &str) -> Run {
    let target = format!("{HOST}:{}", server.addr.port());
    let resolve = format!("{HOST}:{}", server.addr.ip());
    let ca = pki().root_file.to_string_lossy().into_owned();
    let mut args = vec![
        target.as_str(),
        "--resolve",
        resolve.as_str(),
        "--timeout",
        "5",
        "--ca-file",
        ca.as_str(),
        "--no-system-roots",
        "--format",
        format,
    ];
    args.extend_from_slice(extra);
    let mut c = command(&args);
    for (k, v) in env {
        c.env(k, v);
    }
    run_command(c)
}

fn probe(server: &ScriptedServer, extra: &[&str]) -> Run {
    probe_with(server, extra, &[], "json")
}

fn client_auth(r: &Run) -> serde_json::Value {
    r.json()["endpoints"][0]["client_auth"].clone()
}

fn severity(r: &Run, code: &str) -> String {
    r.finding(code)["severity"].as_str().unwrap().to_string()
}

fn text(f: &serde_json::Value) -> String {
    format!("{}\n{}\n{}", f["summary"], f["evidence"], f["fix"])
}

#[test]
fn a_server_that_does_not_ask_gets_nothing_and_says_so() {
    let leaf = pki().healthy(HOST, 90);
    let server = serve(Scenario::postfix(HOST, &leaf));
    let file = one_file(&sender_cert(200));
    let r = probe(&server, &["--client-cert", file.to_str().unwrap()]);
    assert_eq!(r.json()["verdict"], "pass", "{}", r.stdout);
    assert_eq!(severity(&r, "client-cert-not-requested"), "info");
    let a = client_auth(&r);
    assert_eq!(a["requested"], false);
    assert_eq!(a["presented"], false);
    assert_eq!(a["outcome"], "not-requested");
    assert_eq!(a["format"], "pem");
    assert_eq!(a["source"], file.to_str().unwrap());
    assert!(
        a["certificate"]["subject"]
            .as_str()
            .unwrap()
            .contains(SENDER),
        "{a}"
    );
}

#[test]
fn a_server_that_asks_is_reported_without_a_certificate_of_ours_and_still_passes() {
    let server = asking(TLS13, &test_roots(), false);
    let r = probe(&server, &[]);
    assert_eq!(r.json()["verdict"], "pass", "{}", r.stdout);
    let f = r.finding("client-cert-requested");
    assert_eq!(f["severity"], "info");
    assert!(text(&f).contains("CN=Test Root CA"), "{}", text(&f));
    let a = client_auth(&r);
    assert_eq!(a["requested"], true);
    assert_eq!(a["outcome"], "none-sent");
    assert_eq!(a["source"], serde_json::Value::Null);
    assert!(
        a["acceptable_ca_names"]
            .to_string()
            .contains("CN=Test Root CA"),
        "{a}"
    );
    common::assert_absent(&r, "client-cert-not-requested");
}

#[test]
fn tls13_acceptance_is_known_after_ehlo_over_tls() {
    let server = asking(TLS13, &test_roots(), true);
    let file = one_file(&sender_cert(200));
    let r = probe(&server, &["--client-cert", file.to_str().unwrap()]);
    assert_eq!(r.json()["verdict"], "pass", "{}", r.stdout);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let a = client_auth(&r);
    assert_eq!(a["presented"], true, "{a}");
    assert_eq!(a["outcome"], "accepted-after-ehlo", "{a}");
    let f = r.finding("client-cert-accepted");
    assert!(
        text(&f).contains("known after EHLO over TLS was answered"),
        "{}",
        text(&f)
    );
    let human = probe_with(
        &server,
        &["--client-cert", file.to_str().unwrap()],
        &[],
        "human",
    );
    assert!(
        human.stdout.contains("accepted after EHLO (TLS 1.3)"),
        "{}",
        human.stdout
    );
    // With --client-cert-name given, the fix no longer tells us to give it (trial).
    assert!(text(&f).contains("--client-cert-name"), "{}", text(&f));
    let named = probe(
        &server,
        &[
            "--client-cert",
            file.to_str().unwrap(),
            "--client-cert-name",
            SENDER,
        ],
    );
    let t = text(&named.finding("client-cert-accepted"));
    assert!(!t.contains("--client-cert-name"), "{t}");
    let page = probe_with(
        &server,
        &["--client-cert", file.to_str().unwrap(), "--no-policy"],
        &[],
        "html",
    );
    assert!(
        page.stdout.contains("<td class=\"policy\"><span class=\"tag pass\" title=\"the server asked for a certificate and went on with ours (--client-cert); a server that only asks goes on even with one it does not trust, so a refusal is the only certain verdict (see client-cert-accepted)\">client cert accepted</span></td>"),
        "{}",
        page.stdout
    );
}

#[test]
fn tls12_acceptance_is_the_completed_handshake() {
    let server = asking(TLS12, &test_roots(), true);
    let file = one_file(&sender_cert(200));
    let r = probe(&server, &["--client-cert", file.to_str().unwrap()]);
    assert_eq!(r.json()["verdict"], "pass", "{}", r.stdout);
    assert_eq!(client_auth(&r)["outcome"], "accepted");
    assert_eq!(severity(&r, "client-cert-accepted"), "info");
}

/// The receiver trusts another CA: it refuses ours with an alert. In TLS 1.3 that alert
/// arrives on the first read after the handshake.
#[test]
fn a_certificate_from_a_ca_the_receiver_does_not_trust_is_refused() {
    let other = Ca::root("Other Root CA", pki().now).unwrap();
    for versions in [TLS13, TLS12] {
        let server = asking(versions, &[other.der()], true);
        let file = one_file(&sender_cert(200));
        let r = probe(&server, &["--client-cert", file.to_str().unwrap()]);
        assert_eq!(r.json()["verdict"], "fail", "{}", r.stdout);
        assert_eq!(r.code, 2);
        let f = r.finding("client-cert-refused");
        assert_eq!(f["severity"], "fail");
        let t = text(&f);
        assert!(t.contains("alert"), "{t}");
        assert!(t.contains("CN=Other Root CA"), "{t}");
        assert!(t.contains("Get-SendConnector"), "{t}");
        // Another certificate is the fix: this one is not named for the send connector.
        assert!(!t.contains("-TlsCertificateName '<I>"), "{t}");
        assert!(t.contains("smtp_tls_chain_files"), "{t}");
        assert_eq!(client_auth(&r)["outcome"], "refused");
        // The broken handshake or session is that refusal, not "no certificate sent".
        assert!(!r.stdout.contains("sent none"), "{}", r.stdout);
        let page = probe_with(
            &server,
            &["--client-cert", file.to_str().unwrap()],
            &[],
            "html",
        );
        assert!(
            page.stdout.contains(">client cert refused</span>"),
            "{}",
            page.stdout
        );
    }
}

#[test]
fn the_key_may_be_in_a_file_of_its_own() {
    let server = asking(TLS13, &test_roots(), true);
    let (certs, key) = pem_of(&sender_cert(200));
    let cert_file = write_temp("cert.pem", &certs);
    let key_file = write_temp("key.pem", &key);
    let r = probe(
        &server,
        &[
            "--client-cert",
            cert_file.to_str().unwrap(),
            "--client-key",
            key_file.to_str().unwrap(),
        ],
    );
    assert_eq!(
        client_auth(&r)["outcome"],
        "accepted-after-ehlo",
        "{}",
        r.stdout
    );
}

#[test]
fn a_key_that_is_not_the_certificates_is_a_usage_error() {
    let server = asking(TLS13, &test_roots(), true);
    let (certs, _) = pem_of(&sender_cert(200));
    let (_, other_key) = pem_of(&sender_cert(200));
    let cert_file = write_temp("cert.pem", &certs);
    let key_file = write_temp("key.pem", &other_key);
    let r = probe(
        &server,
        &[
            "--client-cert",
            cert_file.to_str().unwrap(),
            "--client-key",
            key_file.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(all.contains("does not belong to the certificate"), "{all}");
    assert!(!all.contains(other_key.lines().nth(1).unwrap()), "{all}");
}

fn openssl() -> bool {
    std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A PFX made by openssl from `leaf`, with `password`; `legacy`: RC2/3DES and SHA-1 MAC, the
/// old Windows export format.
fn pfx(leaf: &Leaf, password: &str, legacy: bool) -> PathBuf {
    let (certs, key) = pem_of(leaf);
    let cert_file = write_temp("cert.pem", &certs);
    let key_file = write_temp("key.pem", &key);
    let out = cert_file.with_file_name("client.pfx");
    let mut c = std::process::Command::new("openssl");
    c.args(["pkcs12", "-export"]);
    if legacy {
        c.arg("-legacy");
    }
    c.arg("-in")
        .arg(&cert_file)
        .arg("-inkey")
        .arg(&key_file)
        .arg("-out")
        .arg(&out)
        .arg("-passout")
        .arg(format!("pass:{password}"));
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

#[test]
fn a_pfx_made_by_openssl_loads_legacy_and_modern() {
    if !openssl() {
        eprintln!("SKIPPED: openssl is not installed, so no PFX can be made here");
        return;
    }
    let server = asking(TLS13, &test_roots(), true);
    for legacy in [true, false] {
        let file = pfx(&sender_cert(200), "s3cret", legacy);
        let r = probe_with(
            &server,
            &[
                "--client-cert",
                file.to_str().unwrap(),
                "--client-cert-password-env",
                "STC_PFX_PASSWORD",
            ],
            &[("STC_PFX_PASSWORD", "s3cret")],
            "json",
        );
        let a = client_auth(&r);
        assert_eq!(a["format"], "pfx", "legacy {legacy}: {}", r.stdout);
        assert_eq!(a["outcome"], "accepted-after-ehlo", "legacy {legacy}: {a}");
        assert!(!r.stdout.contains("s3cret") && !r.stderr.contains("s3cret"));
        assert!(
            r.json()["invocation"]
                .as_str()
                .unwrap()
                .contains("--client-cert-password-env STC_PFX_PASSWORD")
        );
    }
}

#[test]
fn a_wrong_pfx_password_and_a_missing_variable_are_usage_errors() {
    if !openssl() {
        eprintln!("SKIPPED: openssl is not installed, so no PFX can be made here");
        return;
    }
    let server = asking(TLS13, &test_roots(), true);
    let file = pfx(&sender_cert(200), "right", true);
    let args = [
        "--client-cert",
        file.to_str().unwrap(),
        "--client-cert-password-env",
        "STC_PFX_PASSWORD",
    ];
    let wrong = probe_with(&server, &args, &[("STC_PFX_PASSWORD", "wrong")], "human");
    assert_eq!(wrong.code, 3, "{}", wrong.stderr);
    assert!(
        wrong
            .stderr
            .contains("wrong password (the PFX's MAC check failed)"),
        "{}",
        wrong.stderr
    );
    let missing = probe_with(&server, &args, &[], "human");
    assert_eq!(missing.code, 3, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("STC_PFX_PASSWORD") && missing.stderr.contains("not set"),
        "{}",
        missing.stderr
    );
}

#[test]
fn client_cert_name_is_matched_on_our_certificate() {
    let server = asking(TLS13, &test_roots(), true);
    let file = one_file(&sender_cert(200));
    let f = file.to_str().unwrap();
    let miss = probe(
        &server,
        &[
            "--client-cert",
            f,
            "--client-cert-name",
            "mail.fabrikam.test",
        ],
    );
    assert_eq!(miss.json()["verdict"], "fail", "{}", miss.stdout);
    let m = miss.finding("client-cert-name-mismatch");
    assert_eq!(m["severity"], "fail");
    assert!(text(&m).contains("Set-InboundConnector"), "{}", text(&m));
    // The connector is pointed only at a name the certificate has, never at the one it
    // lacks; the other way out is a certificate with the name; no dangling sentence.
    assert!(
        !text(&m).contains("TlsSenderCertificateName 'mail.fabrikam.test'"),
        "{}",
        text(&m)
    );
    assert!(
        text(&m).contains(&format!("TlsSenderCertificateName '{SENDER}'")),
        "{}",
        text(&m)
    );
    assert!(
        text(&m).contains("(b) Get a certificate that covers mail.fabrikam.test"),
        "{}",
        text(&m)
    );
    assert!(!text(&m).contains("Only run that"), "{}", text(&m));
    // The server's certificate is not judged by it: no expected-name finding.
    common::assert_absent(&miss, "cert-expected-name-mismatch");
    let hit = probe(&server, &["--client-cert", f, "--client-cert-name", SENDER]);
    assert_eq!(hit.json()["verdict"], "pass", "{}", hit.stdout);
    common::assert_absent(&hit, "client-cert-name-mismatch");
}

#[test]
fn an_expired_client_certificate_fails_once() {
    // (The renewal keeps issuer and subject, so its fix names the certificate: below.)
    // A receiver that asks (and verifies): there our certificate is what it judges.
    let server = asking(TLS13, &test_roots(), false);
    let mut spec = LeafSpec::valid_for(SENDER, pki().now, 0);
    spec.not_before = pki().now - Duration::days(400);
    spec.not_after = pki().now - Duration::days(3);
    let file = one_file(&sender_from(&spec));
    let r = probe(&server, &["--client-cert", file.to_str().unwrap()]);
    assert_eq!(r.json()["verdict"], "fail", "{}", r.stdout);
    assert_eq!(severity(&r, "client-cert-expired"), "fail");
    let n = r
        .codes()
        .iter()
        .filter(|c| *c == "client-cert-expired")
        .count();
    assert_eq!(n, 1);
    // Expired is not "untrusted": that is a finding of its own.
    common::assert_absent(&r, "client-cert-untrusted");
}

#[test]
fn a_certificate_soon_to_expire_warns() {
    // A receiver that asks (and verifies): there our certificate is what it judges.
    let server = asking(TLS13, &test_roots(), false);
    let file = one_file(&sender_cert(10));
    let r = probe(&server, &["--client-cert", file.to_str().unwrap()]);
    assert_eq!(severity(&r, "client-cert-expires-soon"), "warn");
    // One day left is "1 day", not "1 days".
    let file = one_file(&sender_cert(2));
    let r = probe(&server, &["--client-cert", file.to_str().unwrap()]);
    let s = r.finding("client-cert-expires-soon")["summary"].to_string();
    assert!(s.contains("expires in 1 day,"), "{s}");
}

#[test]
fn a_server_auth_only_certificate_is_not_for_client_authentication() {
    // A receiver that asks (and verifies): there our certificate is what it judges.
    let server = asking(TLS13, &test_roots(), false);
    // The test PKI's ordinary leaf: EKU serverAuth only.
    let file = one_file(&pki().healthy(SENDER, 200));
    let r = probe(&server, &["--client-cert", file.to_str().unwrap()]);
    let f = r.finding("client-cert-no-client-auth");
    assert_eq!(f["severity"], "warn");
    assert!(text(&f).contains("serverAuth"), "{}", text(&f));
    common::assert_absent(&r, "client-cert-untrusted");
}

#[test]
fn a_self_signed_client_certificate_is_untrusted() {
    // A receiver that asks (and verifies): there our certificate is what it judges.
    let server = asking(TLS13, &test_roots(), false);
    let own = Ca::root(SENDER, pki().now).unwrap();
    let mut mine = own
        .sender_leaf(&LeafSpec::valid_for(SENDER, pki().now, 200))
        .unwrap();
    mine.chain.push(own.der());
    let file = one_file(&mine);
    let r = probe(&server, &["--client-cert", file.to_str().unwrap()]);
    assert_eq!(severity(&r, "client-cert-untrusted"), "warn");
    // Issued by a root we present that is not trusted here: not "add the intermediates".
    let t = text(&r.finding("client-cert-untrusted"));
    assert!(t.contains("issued by a CA that is not trusted here"), "{t}");
    assert!(!t.contains("intermediate certificate is missing"), "{t}");
    assert!(
        !t.contains("Present the certificate with its intermediate"),
        "{t}"
    );
    // A self-signed certificate is named so, in the reason and the fix.
    let mut spec = LeafSpec::valid_for(SENDER, pki().now, 200);
    spec.client_auth_only = true;
    let own = starttls_check::scripted::pki::self_signed(&spec).unwrap();
    let file = one_file(&own);
    let r = probe(&server, &["--client-cert", file.to_str().unwrap()]);
    let t = text(&r.finding("client-cert-untrusted"));
    assert!(t.contains("self-signed"), "{t}");
    assert!(!t.contains("the server's certificate"), "{t}");
}

/// --expect-name is for the server's certificate; when ours covers it instead, the finding
/// says the user likely meant --client-cert-name.
#[test]
fn expect_name_covered_by_our_certificate_points_at_client_cert_name() {
    let server = asking(TLS13, &test_roots(), false);
    let file = one_file(&sender_cert(200));
    let r = probe(
        &server,
        &[
            "--client-cert",
            file.to_str().unwrap(),
            "--expect-name",
            SENDER,
        ],
    );
    let f = r.finding("cert-expected-name-mismatch");
    let t = text(&f);
    assert!(t.contains("--client-cert-name"), "{t}");
    // Ours covers it: a note, not a FAIL, and nothing replaces the receiver's certificate.
    assert_eq!(f["severity"], "info", "{t}");
    assert!(t.contains("ours covers it"), "{t}");
    assert!(!t.contains("postconf"), "{t}");
    assert!(!t.contains("Enable-ExchangeCertificate"), "{t}");
    let plain = probe(&server, &["--expect-name", SENDER]);
    let f = plain.finding("cert-expected-name-mismatch");
    let t = text(&f);
    assert!(!t.contains("--client-cert-name"), "{t}");
    assert_eq!(f["severity"], "fail", "{t}");
    // Neither certificate covers it: still a FAIL.
    let neither = probe(
        &server,
        &[
            "--client-cert",
            file.to_str().unwrap(),
            "--expect-name",
            "other.contoso.test",
        ],
    );
    assert_eq!(
        neither.finding("cert-expected-name-mismatch")["severity"],
        "fail"
    );
}

/// The private key never reaches any output, whatever the format and with -v, on success,
/// on refusal and on a usage error.
#[test]
fn the_private_key_never_appears_in_any_output() {
    let other = Ca::root("Other Root CA", pki().now).unwrap();
    let leaf = sender_cert(200);
    let (_, key) = pem_of(&leaf);
    let file = one_file(&leaf);
    let f = file.to_str().unwrap();
    let accepting = asking(TLS13, &test_roots(), true);
    let refusing = asking(TLS13, &[other.der()], true);
    let body: Vec<&str> = key.lines().filter(|l| !l.starts_with("-----")).collect();
    for server in [&accepting, &refusing] {
        for format in ["human", "json", "markdown"] {
            let r = probe_with(server, &["--client-cert", f, "-v"], &[], format);
            for line in &body {
                assert!(
                    !r.stdout.contains(line) && !r.stderr.contains(line),
                    "{format}"
                );
            }
            assert!(!r.stdout.contains("PRIVATE KEY"), "{format}: {}", r.stdout);
        }
    }
    // A file whose certificate is missing: the error names the file, not its content.
    let key_only = write_temp("key-only.pem", &key);
    let r = probe_with(
        &accepting,
        &["--client-cert", key_only.to_str().unwrap()],
        &[],
        "human",
    );
    assert_eq!(r.code, 3);
    for line in &body {
        assert!(!r.stderr.contains(line) && !r.stdout.contains(line));
    }
}

/// Our certificate's findings are about our file: on a run of two endpoints, one finding
/// names both.
#[test]
fn a_finding_about_our_certificate_is_said_once_for_all_endpoints() {
    let leaf = pki().healthy(HOST, 90);
    let a = serve(Scenario::postfix(HOST, &leaf));
    let b = serve(Scenario::postfix(HOST, &leaf));
    let ports = format!("{},{}", a.addr.port(), b.addr.port());
    let mut spec = LeafSpec::valid_for(SENDER, pki().now, 0);
    spec.not_before = pki().now - Duration::days(400);
    spec.not_after = pki().now - Duration::days(3);
    let file = one_file(&sender_from(&spec));
    let r = common::probe_ports(
        HOST,
        "127.0.0.1",
        &ports,
        &["--client-cert", file.to_str().unwrap()],
    );
    let n = r
        .codes()
        .iter()
        .filter(|c| *c == "client-cert-expired")
        .count();
    assert_eq!(n, 1, "{}", r.stdout);
    let f = r.finding("client-cert-expired");
    assert!(
        f["endpoint"].as_str().unwrap().contains("2 endpoints"),
        "{f}"
    );
}

/// Postfix with `smtpd_tls_req_ccert = yes` completes the handshake without our
/// certificate, then answers EHLO over TLS `421 4.7.1 … No client certificate presented`:
/// the server demands a client certificate, not a proxy or MTA bug.
#[test]
fn a_server_that_refuses_ehlo_for_want_of_a_certificate_demands_one() {
    for versions in [TLS13, TLS12] {
        let leaf = pki().healthy(HOST, 90);
        let mut scenario = Scenario::postfix(HOST, &leaf);
        scenario.tls = Some(server_config_client_auth(
            &leaf,
            &test_roots(),
            false,
            versions,
        ));
        scenario.ehlo_tls_refusal = Some(format!(
            "421 4.7.1 {HOST} Error: No client certificate presented"
        ));
        let server = serve(scenario);
        let r = probe(&server, &[]);
        assert_eq!(r.json()["verdict"], "fail", "{}", r.stdout);
        let f = r.finding("smtp-tls-session-failed");
        let t = text(&f);
        assert!(t.contains("demands a client certificate"), "{t}");
        assert!(t.contains("--client-cert FILE"), "{t}");
        assert!(!t.contains("proxy or an MTA bug"), "{t}");
        assert_eq!(
            r.json()["endpoints"][0]["failure"]["kind"],
            "client-cert-required",
            "{}",
            r.stdout
        );
        assert_eq!(client_auth(&r)["outcome"], "none-sent");
    }
}

/// A receiver that does not ask never sees ours: what is wrong with it is said, as
/// information, and does not make a healthy server warn or fail (new-user trial: every
/// receiver checked with a private-CA or expired --client-cert turned WARN or FAIL).
#[test]
fn our_certificate_problems_do_not_judge_a_server_that_did_not_ask() {
    let leaf = pki().healthy(HOST, 90);
    let server = serve(Scenario::postfix(HOST, &leaf));
    let mut spec = LeafSpec::valid_for(SENDER, pki().now, 0);
    spec.not_before = pki().now - Duration::days(400);
    spec.not_after = pki().now - Duration::days(3);
    let expired = one_file(&sender_from(&spec));
    let own = Ca::root(SENDER, pki().now).unwrap();
    let mut mine = own
        .sender_leaf(&LeafSpec::valid_for(SENDER, pki().now, 200))
        .unwrap();
    mine.chain.push(own.der());
    let self_signed = one_file(&mine);
    for (file, code) in [
        (&expired, "client-cert-expired"),
        (&self_signed, "client-cert-untrusted"),
    ] {
        let r = probe(&server, &["--client-cert", file.to_str().unwrap()]);
        assert_eq!(r.json()["verdict"], "pass", "{}", r.stdout);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let f = r.finding(code);
        assert_eq!(f["severity"], "info", "{f}");
        assert!(
            f["summary"].as_str().unwrap().ends_with(
                "this server did not ask for a client certificate, so ours was not sent here"
            ),
            "{f}"
        );
        assert_eq!(client_auth(&r)["outcome"], "not-requested");
    }
}

/// An encrypted key is named as such, as the key's fault (`--client-key`), with the command
/// that decrypts it (trial: "cannot use client certificate enc.key: no PEM private key").
#[test]
fn an_encrypted_key_says_so_and_names_the_key_option() {
    if !openssl() {
        panic!("openssl is needed to encrypt a key (Debian: apt-get install openssl)");
    }
    let server = asking(TLS13, &test_roots(), true);
    let (certs, key) = pem_of(&sender_cert(200));
    let cert_file = write_temp("cert.pem", &certs);
    let plain = write_temp("plain.key", &key);
    let enc = plain.with_file_name("enc.key");
    let status = std::process::Command::new("openssl")
        .args(["pkey", "-aes256", "-passout", "pass:secret", "-in"])
        .arg(&plain)
        .arg("-out")
        .arg(&enc)
        .status()
        .unwrap();
    assert!(status.success());
    let r = probe(
        &server,
        &[
            "--client-cert",
            cert_file.to_str().unwrap(),
            "--client-key",
            enc.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    let doc = r.json();
    assert_eq!(doc["error_detail"]["option"], "--client-key", "{doc}");
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(
        all.contains("(--client-key): the key is encrypted"),
        "{all}"
    );
    assert!(
        all.contains("openssl pkey -in key.pem -out plain.pem"),
        "{all}"
    );
}
