//! `exchange-config` end to end, as a user runs it: the binary on saved `fl` output, its
//! findings, fixes, exit codes and formats; the live join against a scripted Exchange on
//! 127.0.0.1; and that file names are never looked up.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;

use common::{HOST, Run, dns, pki, run, serve};
use starttls_check::scripted::{LeafSpec, Scenario};

fn data(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/exchange-e2e")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn config(files: &[&str], extra: &[&str]) -> Run {
    let paths: Vec<String> = files.iter().map(|f| data(f)).collect();
    let mut args: Vec<&str> = vec!["exchange-config"];
    args.extend(paths.iter().map(String::as_str));
    args.extend_from_slice(extra);
    run(&args)
}

fn finding(r: &Run, code: &str) -> serde_json::Value {
    let j = r.json();
    j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .cloned()
        .unwrap_or_else(|| panic!("no {code} in\n{}", r.stdout))
}

fn commands(f: &serde_json::Value) -> Vec<String> {
    f["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "command")
        .map(|s| s["text"].as_str().unwrap().to_string())
        .collect()
}

const RENEWED: &str =
    "<I>CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US<S>CN=*.XXXXX.com";

/// Done means: seed 001's own connector text plus a certificate list after the renewal →
/// the TlsCertificateName finding with the Set-ReceiveConnector line.
#[test]
fn seed_001_connector_and_certificates_give_the_set_receive_connector_line() {
    let r = config(
        &["seed-001-connector.txt", "certs-after-renewal.txt"],
        &["--format", "json"],
    );
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["kind"], "exchange-config");
    assert_eq!(j["verdict"], "fail");
    let f = finding(&r, "exchange-receive-certificate-not-found");
    assert_eq!(f["severity"], "fail");
    let expected = format!(
        "$rc = @(Get-ReceiveConnector | Where-Object {{ $_.Fqdn -eq 'SRVEX01.domain.local' -and $_.Bindings -match ':25$' }}); if ($rc.Count -ne 1) {{ throw \"the filter selects $($rc.Count) connectors, not one: use the Identity from Get-ReceiveConnector | fl Identity,Fqdn,Bindings\" }}; $rc | Set-ReceiveConnector -TlsCertificateName '{RENEWED}'"
    );
    assert!(
        commands(&f).contains(&expected),
        "{:#?}\nwanted {expected}",
        commands(&f)
    );
    // The same in the human report, which is what the admin reads.
    let h = config(&["seed-001-connector.txt", "certs-after-renewal.txt"], &[]);
    assert!(h.stdout.contains(&expected), "{}", h.stdout);
    assert!(h.stdout.contains("exchange-receive-certificate-not-found"));
    // What was read is echoed, so a bad paste shows.
    assert!(h.stdout.contains("TlsCertificateName"), "{}", h.stdout);
}

#[test]
fn with_the_connector_identity_the_command_names_it() {
    let r = config(
        &["receive-connectors.txt", "certs-after-renewal.txt"],
        &["--format", "json"],
    );
    assert_eq!(r.code, 2, "{}", r.stdout);
    let f = finding(&r, "exchange-receive-certificate-not-found");
    assert!(
        commands(&f).contains(&format!(
            "Set-ReceiveConnector 'SRVEX01\\Default Frontend SRVEX01' -TlsCertificateName '{RENEWED}'"
        )),
        "{:#?}",
        commands(&f)
    );
    assert_eq!(f["endpoint"], "SRVEX01\\Default Frontend SRVEX01");
    // The hub connector on 2525 is never told to change its Fqdn.
    for f in r.json()["findings"].as_array().unwrap() {
        for c in commands(f) {
            assert!(
                !(c.contains("Default SRVEX01") && c.contains("-Fqdn")),
                "{c}"
            );
        }
    }
}

#[test]
fn a_utf16_file_with_a_wrapped_name_reads_the_same() {
    let r = config(
        &[
            "receive-connectors-wrapped-utf16.txt",
            "certs-after-renewal.txt",
        ],
        &["--format", "json"],
    );
    assert_eq!(r.code, 2, "{}", r.stdout);
    let j = r.json();
    assert!(
        j["inputs"][0]["encoding"]
            .as_str()
            .unwrap()
            .contains("UTF-16"),
        "{}",
        j["inputs"]
    );
    let f = finding(&r, "exchange-receive-certificate-not-found");
    assert!(
        commands(&f).iter().any(|c| c.starts_with(
            "Set-ReceiveConnector 'SRVEX01\\Default Frontend SRVEX01' -TlsCertificateName"
        )),
        "{:#?}",
        commands(&f)
    );
}

#[test]
fn every_format_renders_and_markdown_fences_the_commands() {
    let md = config(
        &["seed-001-connector.txt", "certs-after-renewal.txt"],
        &["--format", "markdown"],
    );
    assert_eq!(md.code, 2);
    assert!(
        md.stdout.starts_with("### exchange-config: FAIL"),
        "{}",
        md.stdout
    );
    assert!(md.stdout.contains("```powershell\n"), "{}", md.stdout);
}

#[test]
fn nothing_recognised_is_unknown_and_says_what_to_paste() {
    // Prose is no Exchange output.
    let r = run(&[
        "exchange-config",
        concat!(env!("CARGO_MANIFEST_DIR"), "/LICENSE"),
    ]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("exchange-input-unrecognised"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("Get-ReceiveConnector | fl"));
}

#[test]
fn file_names_are_never_targets() {
    let dns = dns::DnsServer::start(&[]);
    let resolver = dns.resolver_arg();
    let r = run(&[
        "exchange-config",
        "mail.contoso.example",
        "--resolver",
        &resolver,
    ]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert!(
        r.stderr.contains("cannot open mail.contoso.example"),
        "{}",
        r.stderr
    );
    // `--probe` takes its host with `=`: the word after it is still a file.
    let r = run(&[
        "exchange-config",
        "--probe",
        "mail.contoso.example",
        "--resolver",
        &resolver,
    ]);
    assert_eq!(r.code, 3);
    assert!(
        r.stderr.contains("cannot open mail.contoso.example"),
        "{}",
        r.stderr
    );
    assert_eq!(
        dns.queries(),
        Vec::<String>::new(),
        "a file name was looked up"
    );
}

#[test]
fn hostile_pasted_text_is_shown_escaped_and_never_reaches_a_command() {
    let paste = "Identity : SRVEX01\\Default Frontend SRVEX01\u{1b}[31m\nServer : SRVEX01\nTransportRole : FrontendTransport\nAuthMechanism : Tls, Integrated\nBindings : {0.0.0.0:25}\nFqdn : mail.contoso.com\nTlsCertificateName : <I>CN=Evil\u{202e}CA<S>CN=mail.contoso.com\n\nThumbprint : 3B7E0C5F1A2D4E6F8091A2B3C4D5E6F708192A3B\nSubject : CN=mail.contoso.com\nIssuer : CN=Good CA\nServices : IIS, SMTP\nCertificateDomains : {mail.contoso.com}\nHasPrivateKey : True\nIsSelfSigned : False\nStatus : Valid\n";
    let path = common::write_temp("hostile.txt", paste);
    for format in ["human", "json", "markdown"] {
        let r = run(&[
            "exchange-config",
            path.to_str().unwrap(),
            "--format",
            format,
        ]);
        assert!(
            !r.stdout.contains('\u{1b}'),
            "{format}: raw ESC\n{}",
            r.stdout
        );
        assert!(!r.stdout.contains('\u{202e}'), "{format}: raw RLO");
        assert!(r.stdout.contains("\\x1b"), "{format}: {}", r.stdout);
    }
    let r = run(&[
        "exchange-config",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    for f in r.json()["findings"].as_array().unwrap() {
        for c in commands(f) {
            assert!(
                !c.contains("\\x1b") && !c.contains("\\xe2\\x80\\xae"),
                "{c}"
            );
        }
    }
}

/// The live join: the certificate a scripted Exchange presents, set against the one the
/// pasted configuration selects; then a paste whose connector names another certificate.
#[test]
fn probe_joins_the_predicted_and_the_presented_certificate() {
    let p = pki();
    let leaf = p.chain(&LeafSpec {
        names: vec![HOST.into()],
        ..LeafSpec::valid_for(HOST, p.now, 200)
    });
    let server = serve(Scenario::exchange(HOST, Some(&leaf)));
    let seen = common::probe(&server, &[]).json();
    let cert = &seen["endpoints"][0]["certificate"];
    let thumbprint = cert["thumbprint"].as_str().unwrap();
    let tls_name = cert["exchange_tls_name"].as_str().unwrap();
    let (issuer, subject) = tls_name
        .strip_prefix("<I>")
        .unwrap()
        .split_once("<S>")
        .unwrap();
    let port = server.addr.port();
    let paste = |name: &str| {
        format!(
            "Identity : EX01\\Default Frontend EX01\nServer : EX01\nTransportRole : FrontendTransport\nAuthMechanism : Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer\nBindings : {{[::]:{port}, 0.0.0.0:{port}}}\nFqdn : {HOST}\nTlsCertificateName : {name}\n\n\
             Thumbprint : {thumbprint}\nSubject : {subject}\nIssuer : {issuer}\nServices : IIS, SMTP\nCertificateDomains : {{{HOST}}}\nHasPrivateKey : True\nIsSelfSigned : False\nStatus : Valid\nNotBefore : 1/1/2026 12:00:00 AM\nNotAfter : 12/31/2027 11:59:59 PM\n\n\
             Thumbprint : 00112233445566778899AABBCCDDEEFF00112233\nSubject : CN=other.example.test\nIssuer : {issuer}\nServices : IIS, SMTP\nCertificateDomains : {{other.example.test}}\nHasPrivateKey : True\nIsSelfSigned : False\nStatus : Valid\nNotBefore : 2/1/2026 12:00:00 AM\nNotAfter : 12/31/2027 11:59:59 PM\n"
        )
    };
    let ca = p.root_file.to_string_lossy().into_owned();
    let resolve = format!("{HOST}:127.0.0.1");
    let probe_arg = format!("--probe={HOST}");
    let port_arg = port.to_string();
    let join = |text: &str, extra: &[&str]| {
        let path = common::write_temp("join.txt", text);
        let mut args = vec![
            "exchange-config",
            path.to_str().unwrap(),
            &probe_arg,
            "-p",
            &port_arg,
            "--resolve",
            &resolve,
            "--ca-file",
            &ca,
            "--no-system-roots",
            "--timeout",
            "5",
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    let json = ["--format", "json"];
    let good = join(&paste(tls_name), &json);
    let j = good.json();
    let row = &j["join"]["rows"][0];
    assert_eq!(row["agrees"], true, "{}", good.stdout);
    assert_eq!(row["predicted"]["thumbprint"], thumbprint);
    assert_eq!(j["probe"]["verdict"], "pass");
    assert_eq!(good.code, 0, "{}", good.stdout);
    let said = j["findings"][0]["evidence"].to_string();
    assert!(
        said.contains("agrees with the configuration on 1 of 1"),
        "{said}"
    );
    // The connector names the other certificate: the server presents the wrong one.
    let other = join(
        &paste(&format!("<I>{issuer}<S>CN=other.example.test")),
        &json,
    );
    let f = finding(&other, "exchange-presented-certificate-unexpected");
    assert_eq!(f["severity"], "warn");
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .contains("00112233445566778899AABBCCDDEEFF00112233"),
        "{f}"
    );
    assert_eq!(other.json()["join"]["rows"][0]["agrees"], false);
    // The human report shows the join.
    let h = join(&paste(tls_name), &[]);
    assert!(h.stdout.contains("Live check:"), "{}", h.stdout);
    assert!(h.stdout.contains("[agrees]"), "{}", h.stdout);
}

#[test]
fn probe_without_a_public_name_asks_for_one() {
    let r = config(&["seed-001-connector.txt"], &["--probe"]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert!(r.stderr.contains("--probe=HOST"), "{}", r.stderr);
}

/// A probe that reaches nothing compares nothing: the report must not claim agreement, and
/// the headline names the probe as the cause of the verdict.
#[test]
fn a_probe_that_compares_nothing_says_so() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let paste = format!(
        "Identity : EX01\\Default Frontend EX01\nServer : EX01\nTransportRole : FrontendTransport\nAuthMechanism : Tls\nBindings : {{0.0.0.0:{closed}}}\nFqdn : {HOST}\nTlsCertificateName : <I>CN=CA<S>CN={HOST}\n\nThumbprint : 00112233445566778899AABBCCDDEEFF00112233\nSubject : CN={HOST}\nIssuer : CN=CA\nServices : IIS, SMTP\nCertificateDomains : {{{HOST}}}\nHasPrivateKey : True\nIsSelfSigned : False\nStatus : Valid\n"
    );
    let path = common::write_temp("closed.txt", &paste);
    let r = run(&[
        "exchange-config",
        path.to_str().unwrap(),
        &format!("--probe={HOST}"),
        "-p",
        &closed.to_string(),
        "--resolve",
        &format!("{HOST}:127.0.0.1"),
        "--timeout",
        "2",
        "--format",
        "json",
    ]);
    let j = r.json();
    assert_eq!(
        j["join"]["rows"][0]["agrees"],
        serde_json::Value::Null,
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("agrees with the configuration"),
        "{}",
        r.stdout
    );
    let headline = j["headline"].as_str().unwrap();
    assert!(headline.contains("the live probe:"), "{headline}");
}
