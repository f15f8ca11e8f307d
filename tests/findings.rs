//! Every finding code, proven against a real SMTP conversation with a scripted server on
//! 127.0.0.1, through the real binary: the verdict, the code, its severity and the exit code.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use starttls_check::scripted::{Leaf, LeafSpec, OnConnect, Scenario, StartTls, pki as spki};
use time::Duration;

fn postfix(leaf: &Leaf) -> Scenario {
    Scenario::postfix(HOST, leaf)
}

#[test]
fn healthy_server_passes_and_the_probe_never_sends_mail() {
    let s = serve(postfix(&pki().healthy(HOST, 90)));
    let r = probe(&s, &[]);
    assert_verdict(&r, "pass", 0, "starttls-ok", "info");
    let j = r.json();
    let ep = &j["endpoints"][0];
    assert!(ep["tls"]["version"].as_str().unwrap().starts_with("TLS 1."));
    assert_eq!(ep["starttls_offered"], true);
    assert_eq!(ep["certificate"]["dns_names"][0], HOST);
    assert_eq!(ep["chain"].as_array().unwrap().len(), 2);
    assert_eq!(ep["trust"]["trusted"], true);
    let cmds = s.received();
    let verbs: Vec<&str> = cmds.iter().map(|c| c.split(' ').next().unwrap()).collect();
    assert_eq!(
        verbs,
        ["EHLO", "STARTTLS", "EHLO", "QUIT"],
        "commands: {cmds:?}"
    );
    assert!(
        !cmds[0].contains(HOST),
        "EHLO must never use the target's name: {}",
        cmds[0]
    );
}

/// Issue 8, item 2: a leaf issued straight by a private root that is neither sent nor trusted
/// looks exactly like a leaf whose intermediate is missing. The report says both, and leads
/// with the command that tells them apart, not with a fix for one of them.
#[test]
fn an_unsent_private_root_is_not_called_a_missing_intermediate() {
    let private = starttls_check::scripted::Ca::root("Contoso Private Root", pki().now).unwrap();
    let leaf = private
        .leaf(&LeafSpec::valid_for(HOST, pki().now, 200))
        .unwrap(); // the leaf alone: the root is neither sent nor in --ca-file
    let r = probe(&serve(postfix(&leaf)), &[]);
    assert_eq!(r.json()["verdict"], "fail", "{}", r.stdout);
    let f = &r.json()["findings"][0];
    let summary = f["summary"].as_str().unwrap();
    assert!(
        summary.contains("Contoso Private Root")
            && summary.contains("intermediate")
            && summary.contains("private root"),
        "{summary}"
    );
    let first_command = f["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "command")
        .unwrap();
    assert!(
        first_command["text"]
            .as_str()
            .unwrap()
            .contains("-ext authorityInfoAccess"),
        "the first command tells the two apart: {}",
        f["fix"]
    );
}

/// New-user trial, untrue finding 3: an internal myhostname next to a certificate for the MX
/// name is a healthy Postfix. Senders check the MX name, so the greeting is a note, not a
/// warning, and the fix never asks a public CA for an internal name.
#[test]
fn a_postfix_greeting_with_an_internal_name_is_a_note_not_a_warning() {
    let mut sc = postfix(&pki().healthy(HOST, 200));
    sc.greeting = "relay.internal.test".into();
    sc.banner = "220 relay.internal.test ESMTP Postfix (Debian/GNU)".into();
    let r = probe(&serve(sc), &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let f = r.finding("cert-ehlo-name-mismatch");
    assert_eq!(f["severity"], "info");
    let fix = f["fix"].as_str().unwrap().to_string();
    assert!(fix.contains(&format!("myhostname={HOST}")), "{fix}");
    assert!(!fix.contains("add relay.internal.test"), "{fix}");
}

/// Issue 8, item 5: Exchange's connector Fqdn becomes the name the user expects
/// (--expect-name), not the first name on the certificate.
#[test]
fn the_exchange_greeting_fix_uses_the_expected_name() {
    let mut spec = LeafSpec::valid_for("autodiscover.example.test", pki().now, 200);
    spec.names = vec![
        "autodiscover.example.test".into(),
        HOST.into(),
        "hybrid.example.test".into(),
    ];
    let leaf = pki().chain(&spec);
    let r = probe(
        &serve(Scenario::exchange("SRVEX01.domain.local", Some(&leaf))),
        &["--expect-name", "hybrid.example.test"],
    );
    assert_verdict(&r, "warn", 1, "cert-ehlo-name-mismatch", "warn");
    let fix = r.finding("cert-ehlo-name-mismatch")["fix"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(fix.contains("-Fqdn hybrid.example.test"), "{fix}");
    assert!(!fix.contains("add SRVEX01.domain.local"), "{fix}");
}

/// New-user trial, wrong fix 1: the Postfix certificate fix used made-up paths, and its
/// `postfix check && postfix reload` reloads with missing files. The files are the admin's
/// (shell variables), checked before anything changes; the port's master.cf service is
/// looked up, not guessed.
#[test]
fn the_postfix_certificate_fix_uses_the_admins_files_and_checks_them_first() {
    let p = pki();
    let mut spec = LeafSpec::valid_for(HOST, p.now, 0);
    spec.not_before = p.now - Duration::days(400);
    spec.not_after = p.now - Duration::days(30);
    let s = serve(postfix(&p.chain(&spec)));
    let r = probe(&s, &[]);
    let f = r.finding("cert-expired");
    let fix = f["fix"].as_str().unwrap().to_string();
    assert!(!fix.contains("/etc/postfix"), "{fix}");
    let check = fix.find("openssl x509 -noout -subject").unwrap();
    let change = fix.find("postconf -e").unwrap();
    assert!(check < change, "{fix}");
    let port = s.addr.port();
    assert!(
        fix.contains(&format!("service_{port}=$(postconf -M"))
            && fix.contains(&format!(
                "${{service_{port}:?}}/inet/smtpd_tls_chain_files="
            )),
        "{fix}"
    );
}

#[test]
fn implicit_tls_endpoint_is_probed_without_starttls() {
    let mut sc = postfix(&pki().healthy(HOST, 90));
    sc.implicit_tls = true;
    let s = serve(sc);
    let r = probe(&s, &["--implicit-tls"]);
    assert_verdict(&r, "pass", 0, "starttls-ok", "info");
    assert!(
        r.finding("starttls-ok")["summary"]
            .as_str()
            .unwrap()
            .starts_with("implicit TLS works")
    );
    assert_eq!(r.json()["endpoints"][0]["tls_mode"], "implicit");
}

#[test]
fn closed_port_is_connect_refused() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = probe_name(HOST, ([127, 0, 0, 1], port).into(), &[]);
    assert_verdict(&r, "fail", 2, "connect-refused", "fail");
    assert_eq!(r.json()["endpoints"][0]["failure"]["phase"], "connect");
}

#[test]
fn full_accept_queue_is_connect_timeout() {
    // A listener that never accepts, with its queue filled: the kernel drops further SYNs,
    // exactly like a firewall that drops packets, without leaving loopback.
    let rt = runtime();
    let (addr, _keep) = rt.block_on(async {
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = sock.listen(1).unwrap();
        let addr = listener.local_addr().unwrap();
        let mut filler = Vec::new();
        for _ in 0..4 {
            if let Ok(Ok(c)) = tokio::time::timeout(
                std::time::Duration::from_millis(300),
                tokio::net::TcpStream::connect(addr),
            )
            .await
            {
                filler.push(c);
            }
        }
        (addr, (listener, filler))
    });
    let r = probe_name(HOST, addr, &["--timeout", "1"]);
    assert_verdict(&r, "fail", 2, "connect-timeout", "fail");
}

#[test]
fn silent_server_is_banner_timeout() {
    let mut sc = postfix(&pki().healthy(HOST, 90));
    sc.on_connect = OnConnect::Silent;
    let s = serve(sc);
    let r = probe(&s, &["--timeout", "1"]);
    assert_verdict(&r, "fail", 2, "banner-timeout", "fail");
}

#[test]
fn server_hanging_up_at_connect_is_reported() {
    let mut sc = postfix(&pki().healthy(HOST, 90));
    sc.on_connect = OnConnect::Close;
    let r = probe(&serve(sc), &[]);
    assert_verdict(&r, "fail", 2, "smtp-connection-closed", "fail");
}

#[test]
fn banner_554_is_smtp_rejected() {
    let mut sc = postfix(&pki().healthy(HOST, 90));
    // A 554 that names the list leads with egress-ip-blocklisted instead:
    // tests/field_blocklist.rs.
    sc.banner = "554 5.7.1 Service unavailable; access denied".into();
    let s = serve(sc);
    let r = probe(&s, &[]);
    assert_verdict(&r, "fail", 2, "smtp-rejected", "fail");
    assert_eq!(
        s.received(),
        ["QUIT"],
        "after a 554 greeting the client only says QUIT"
    );
}

#[test]
fn banner_421_is_inconclusive() {
    let mut sc = postfix(&pki().healthy(HOST, 90));
    // A 421 that says why (too many connections) leads with smtp-rate-limited instead:
    // tests/field_states.rs.
    sc.banner = "421 4.3.2 Service not available, closing transmission channel".into();
    let r = probe(&serve(sc), &[]);
    assert_verdict(&r, "unknown", 3, "smtp-temporary-refusal", "warn");
}

#[test]
fn ehlo_refused_helo_accepted_is_no_esmtp() {
    let mut sc = postfix(&pki().healthy(HOST, 90));
    sc.ehlo_refusal = Some("500 5.5.1 Command unrecognized: \"XXXX mail.example.test\"".into());
    let s = serve(sc);
    let r = probe(&s, &[]);
    assert_verdict(&r, "fail", 2, "smtp-no-esmtp", "fail");
    assert_absent(&r, "starttls-not-offered");
    let verbs: Vec<String> = s
        .received()
        .iter()
        .map(|c| c.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(verbs, ["EHLO", "HELO", "QUIT"]);
}

#[test]
fn exchange_connector_without_starttls_gets_exchange_fix() {
    let r = probe(&serve(Scenario::exchange(HOST, None)), &[]);
    assert_verdict(&r, "fail", 2, "starttls-not-offered", "fail");
    let fix = r.finding("starttls-not-offered")["fix"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        fix.contains("Set-ReceiveConnector") && fix.contains("Enable-ExchangeCertificate"),
        "{fix}"
    );
    assert!(fix.contains("AuthMechanism"), "{fix}");
}

#[test]
fn cisco_masked_keywords_point_at_the_firewall() {
    let mut sc = Scenario::exchange(HOST, None);
    sc.banner = "220 ******************************************".into();
    // Where Exchange lists STARTTLS: after ENHANCEDSTATUSCODES, before 8BITMIME.
    sc.keywords.insert(4, "XXXXXXXA".into());
    let r = probe(&serve(sc), &[]);
    // Issue 9: the firewall is the cause and leads; the generic code stays as its symptom.
    assert_verdict(&r, "fail", 2, "middlebox-masked-keywords", "fail");
    let f = r.finding("starttls-not-offered");
    assert_eq!(f["severity"], "fail");
    assert!(f["fix"].as_str().unwrap().contains("allow-tls"), "{f}");
}

#[test]
fn postfix_454_is_starttls_rejected_with_main_cf_fix() {
    let mut sc = postfix(&pki().healthy(HOST, 90));
    sc.starttls = StartTls::Offered("454 4.7.0 TLS not available due to local problem".into());
    let s = serve(sc);
    let r = probe(&s, &[]);
    assert_verdict(&r, "fail", 2, "starttls-rejected", "fail");
    let f = r.finding("starttls-rejected");
    assert!(f["summary"].as_str().unwrap().contains("454 4.7.0"));
    assert!(f["fix"].as_str().unwrap().contains("smtpd_tls"), "{f}");
    assert_eq!(
        s.received().last().unwrap(),
        "QUIT",
        "still plaintext: the probe says QUIT"
    );
}

#[test]
fn server_closing_instead_of_tls_is_handshake_failure() {
    let mut sc = postfix(&pki().healthy(HOST, 90));
    sc.tls = None; // says 220, then hangs up
    let r = probe(&serve(sc), &[]);
    assert_verdict(&r, "fail", 2, "tls-handshake-failed", "fail");
    assert!(
        r.finding("tls-handshake-failed")["summary"]
            .as_str()
            .unwrap()
            .contains("closed the connection")
    );
}

#[test]
fn plaintext_after_220_is_injection_and_not_tls() {
    let mut sc = postfix(&pki().healthy(HOST, 90));
    sc.tls = None;
    sc.inject_after_starttls = b"250 injected\r\n".to_vec();
    let r = probe(&serve(sc), &[]);
    assert_verdict(&r, "fail", 2, "tls-handshake-failed", "fail");
    assert!(
        r.codes().contains(&"starttls-injection".to_string()),
        "{}",
        r.stdout
    );
    assert!(
        r.finding("starttls-injection")["evidence"][0]
            .as_str()
            .unwrap()
            .contains("250 injected\\r\\n")
    );
}

#[test]
fn expired_certificate() {
    let p = pki();
    let mut spec = LeafSpec::valid_for(HOST, p.now, 0);
    spec.not_before = p.now - Duration::days(90);
    spec.not_after = p.now - Duration::days(3);
    let r = probe(&serve(postfix(&p.chain(&spec))), &[]);
    assert_verdict(&r, "fail", 2, "cert-expired", "fail");
    let f = r.finding("cert-expired");
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .starts_with("certificate expired 3 days ago"),
        "{f}"
    );
    // Trust is judged apart from time: an expired cert from a trusted CA is not "untrusted".
    assert_absent(&r, "cert-untrusted");
}

#[test]
fn not_yet_valid_certificate() {
    let p = pki();
    let mut spec = LeafSpec::valid_for(HOST, p.now, 400);
    spec.not_before = p.now + Duration::days(2);
    let r = probe(&serve(postfix(&p.chain(&spec))), &[]);
    assert_verdict(&r, "fail", 2, "cert-not-yet-valid", "fail");
}

#[test]
fn expiry_inside_warn_days_warns() {
    let r = probe(&serve(postfix(&pki().healthy(HOST, 20))), &[]);
    assert_verdict(&r, "warn", 1, "cert-expires-soon", "warn");
}

#[test]
fn expiry_inside_fail_days_fails() {
    let r = probe(&serve(postfix(&pki().healthy(HOST, 3))), &[]);
    assert_verdict(&r, "fail", 2, "cert-expires-soon", "fail");
}

#[test]
fn expiry_thresholds_follow_the_options() {
    let s = serve(postfix(&pki().healthy(HOST, 20)));
    assert_verdict(
        &probe(&s, &["--fail-days", "25", "--warn-days", "60"]),
        "fail",
        2,
        "cert-expires-soon",
        "fail",
    );
    assert_verdict(
        &probe(&s, &["--warn-days", "10", "--fail-days", "5"]),
        "pass",
        0,
        "starttls-ok",
        "info",
    );
}

#[test]
fn self_signed_certificate_fails() {
    let leaf = spki::self_signed(&LeafSpec::valid_for(HOST, pki().now, 300)).unwrap();
    let r = probe(&serve(postfix(&leaf)), &[]);
    assert_verdict(&r, "fail", 2, "cert-self-signed", "fail");
    assert_absent(&r, "cert-untrusted");
}

#[test]
fn self_signed_certificate_pinned_with_ca_file_only_warns() {
    let leaf = spki::self_signed(&LeafSpec::valid_for(HOST, pki().now, 300)).unwrap();
    let pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        base64(leaf.chain[0].as_ref())
    );
    let pinned = write_temp("pinned.pem", &pem);
    let r = probe(
        &serve(postfix(&leaf)),
        &["--ca-file", pinned.to_str().unwrap()],
    );
    assert_verdict(&r, "warn", 1, "cert-self-signed", "warn");
}

#[test]
fn certificate_from_unknown_ca_is_untrusted() {
    let other = starttls_check::scripted::Ca::root("Some Private Root", pki().now).unwrap();
    let mut leaf = other
        .leaf(&LeafSpec::valid_for(HOST, pki().now, 200))
        .unwrap();
    leaf.chain.push(other.der()); // the server even sends its root: still untrusted
    let r = probe(&serve(postfix(&leaf)), &[]);
    assert_verdict(&r, "fail", 2, "cert-untrusted", "fail");
}

#[test]
fn missing_intermediate_is_chain_incomplete() {
    let p = pki();
    let leaf = p
        .intermediate
        .leaf(&LeafSpec::valid_for(HOST, p.now, 200))
        .unwrap(); // leaf only
    let r = probe(&serve(postfix(&leaf)), &[]);
    assert_verdict(&r, "fail", 2, "cert-chain-incomplete", "fail");
    let f = r.finding("cert-chain-incomplete");
    assert!(
        f["summary"].as_str().unwrap().contains("Test Issuing CA"),
        "{f}"
    );
    assert!(
        f["fix"].as_str().unwrap().contains("smtpd_tls_chain_files"),
        "{f}"
    );
    assert_absent(&r, "cert-untrusted");
}

#[test]
fn certificate_for_another_name_is_name_mismatch() {
    let r = probe(
        &serve(postfix(&pki().healthy("other.example.test", 200))),
        &[],
    );
    assert_verdict(&r, "fail", 2, "cert-name-mismatch", "fail");
    assert!(
        r.finding("cert-name-mismatch")["evidence"][1]
            .as_str()
            .unwrap()
            .contains("other.example.test")
    );
}

#[test]
fn wildcard_certificate_covers_the_host() {
    let r = probe(&serve(postfix(&pki().healthy("*.example.test", 200))), &[]);
    assert_verdict(&r, "pass", 0, "starttls-ok", "info");
}

#[test]
fn ip_target_skips_the_name_check_with_info() {
    let s = serve(postfix(&pki().healthy(HOST, 200)));
    let r = probe_addr(s.addr, &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(r.json()["verdict"], "pass");
    assert_eq!(r.finding("cert-name-not-checked")["severity"], "info");
}

#[test]
fn ip_target_with_expect_name_sends_sni_and_checks_it() {
    let s = serve(postfix(&pki().healthy(HOST, 200)));
    let ok = probe_addr(s.addr, &["--expect-name", HOST]);
    assert_eq!(ok.code, 0, "{}", ok.stdout);
    assert_eq!(ok.json()["endpoints"][0]["sni"], HOST);
    assert_absent(&ok, "cert-name-not-checked");
    let bad = probe_addr(s.addr, &["--expect-name", "hybrid.contoso.test"]);
    assert_verdict(&bad, "fail", 2, "cert-expected-name-mismatch", "fail");
}

#[test]
fn exchange_greeting_name_not_on_certificate_warns() {
    let leaf = pki().healthy(HOST, 200);
    let r = probe(
        &serve(Scenario::exchange("EXCH01.contoso.local", Some(&leaf))),
        &[],
    );
    assert_verdict(&r, "warn", 1, "cert-ehlo-name-mismatch", "warn");
    let fix = r.finding("cert-ehlo-name-mismatch")["fix"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(fix.contains(&format!("-Fqdn {HOST}")), "{fix}");
}

#[test]
fn expected_name_missing_fails() {
    let r = probe(
        &serve(postfix(&pki().healthy(HOST, 200))),
        &["--expect-name", "hybrid.contoso.test"],
    );
    assert_verdict(&r, "fail", 2, "cert-expected-name-mismatch", "fail");
    assert!(
        r.finding("cert-expected-name-mismatch")["fix"]
            .as_str()
            .unwrap()
            .contains("TlsDomain")
    );
}

#[test]
fn client_auth_only_certificate_is_no_server_auth() {
    let mut spec = LeafSpec::valid_for(HOST, pki().now, 200);
    spec.client_auth_only = true;
    let r = probe(&serve(postfix(&pki().chain(&spec))), &[]);
    assert_verdict(&r, "fail", 2, "cert-no-server-auth", "fail");
}

#[test]
fn common_name_only_certificate_warns() {
    let mut spec = LeafSpec::valid_for(HOST, pki().now, 200);
    spec.names.clear();
    let r = probe(&serve(postfix(&pki().chain(&spec))), &[]);
    assert_verdict(&r, "warn", 1, "cert-common-name-only", "warn");
}

#[test]
fn rsa_1024_key_in_chain_is_weak_key() {
    let leaf = Leaf::from_pem(
        &[
            include_str!("data/weak-key-leaf.pem"),
            include_str!("data/weak-ca-rsa1024.pem"),
        ],
        include_str!("data/weak-key-leaf.key"),
    )
    .unwrap();
    let ca = write_temp("weak-ca.pem", include_str!("data/weak-ca-rsa1024.pem"));
    let r = probe(&serve(postfix(&leaf)), &["--ca-file", ca.to_str().unwrap()]);
    assert_verdict(&r, "fail", 2, "cert-weak-key", "fail");
    assert!(
        r.finding("cert-weak-key")["summary"]
            .as_str()
            .unwrap()
            .contains("RSA 1024 bits")
    );
}

#[test]
fn sha1_signed_certificate_is_weak_signature() {
    let leaf = Leaf::from_pem(
        &[include_str!("data/sha1-leaf.pem")],
        include_str!("data/sha1-leaf.key"),
    )
    .unwrap();
    let ca = write_temp("sha1-ca.pem", include_str!("data/sha1-ca.pem"));
    let r = probe(&serve(postfix(&leaf)), &["--ca-file", ca.to_str().unwrap()]);
    // rustls/webpki and OpenSSL 3 refuse SHA-1 signatures: a failure, reported as its cause.
    assert_verdict(&r, "fail", 2, "cert-weak-signature", "fail");
    assert!(
        r.finding("cert-weak-signature")["summary"]
            .as_str()
            .unwrap()
            .contains("sha1WithRSAEncryption")
    );
    assert_absent(&r, "cert-untrusted");
}

#[test]
fn ehlo_refused_for_our_name_is_rejected_not_no_esmtp() {
    let mut sc = postfix(&pki().healthy(HOST, 90));
    sc.ehlo_refusal = Some("501 5.5.4 Invalid EHLO argument".into());
    let s = serve(sc);
    let r = probe(&s, &[]);
    assert_verdict(&r, "fail", 2, "smtp-rejected", "fail");
    assert!(
        r.finding("smtp-rejected")["fix"]
            .as_str()
            .unwrap()
            .contains("--ehlo-name")
    );
    let verbs: Vec<String> = s
        .received()
        .iter()
        .map(|c| c.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(verbs, ["EHLO", "QUIT"], "no HELO after a 501");
}

#[test]
fn failure_events_stay_in_the_transcript() {
    let mut sc = postfix(&pki().healthy(HOST, 90));
    sc.starttls = StartTls::Offered("454 4.7.0 TLS not available due to local problem".into());
    let r = probe(&serve(sc), &[]);
    let t = r.json()["endpoints"][0]["transcript"].clone();
    let lines: Vec<&str> = t
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_str().unwrap())
        .collect();
    let failed = lines
        .iter()
        .position(|l| l.starts_with("starttls failed: 454"))
        .expect("failure event");
    let quit = lines.iter().position(|l| *l == "QUIT").expect("QUIT");
    assert!(failed < quit, "{lines:?}");
}

#[test]
fn expired_leaf_under_a_renewed_intermediate_is_expired_not_untrusted() {
    // The issuing CA re-certified 30 days ago (same name, same key) sends its new
    // certificate with a leaf issued under the old one that expired 135 days ago: no instant
    // lies inside both validities, yet the chain leads to the trusted root.
    let p = pki();
    let mut spec = LeafSpec::valid_for(HOST, p.now, 0);
    spec.not_before = p.now - Duration::days(500);
    spec.not_after = p.now - Duration::days(135);
    let mut leaf = p.intermediate.leaf(&spec).unwrap();
    let renewed = p
        .intermediate
        .cross_signed_by(
            &p.root,
            p.now - Duration::days(30),
            p.now + Duration::days(1000),
        )
        .unwrap();
    leaf.chain.push(renewed);
    let r = probe(&serve(postfix(&leaf)), &[]);
    assert_verdict(&r, "fail", 2, "cert-expired", "fail");
    assert_eq!(r.codes(), ["cert-expired"], "{}", r.stdout);
    assert_eq!(
        r.json()["endpoints"][0]["trust"]["trusted"],
        true,
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("not trusted"), "{}", r.stdout);
}
