//! The redactor's mapping, learned and applied, on strings.

use super::*;

fn learned(names: &[(&str, Kind)]) -> Redactor {
    let mut r = Redactor::new();
    for (n, k) in names {
        r.learn_host(n, *k);
    }
    r
}

#[test]
fn names_are_whole_tokens_in_any_case_and_keep_their_punctuation() {
    let mut r = learned(&[
        ("contoso.com", Kind::Domain),
        ("mx1.contoso.com", Kind::Host),
    ]);
    assert_eq!(
        r.text("MX1.Contoso.COM [203.0.113.5]:25, for contoso.com."),
        "host-1 [addr-1]:25, for domain-1."
    );
    // Under the mail domain, never learned: the first labels stay.
    assert_eq!(r.text("autodiscover.contoso.com"), "autodiscover.domain-1");
    // Not a token of its own.
    assert_eq!(
        r.text("notcontoso.com x-contoso.com"),
        "notcontoso.com x-contoso.com"
    );
    assert_eq!(r.text("*.contoso.com"), "*.domain-1");
    // A file named after a host keeps its extension only.
    assert_eq!(
        r.text(
            "from /etc/ssl/MX1.contoso.com.pem and mx1.contoso.com.key, not mx1.contoso.com.org"
        ),
        "from /etc/ssl/host-1.pem and host-1.key, not mx1.contoso.com.org"
    );
    assert_eq!(
        r.text("250-MX1.contoso.com Hello [addr-1]"),
        "250-host-1 Hello [addr-1]"
    );
}

#[test]
fn single_label_words_stay_and_names_with_digits_go() {
    let mut r = learned(&[
        ("mail", Kind::Host),
        ("localhost", Kind::Host),
        ("EXCH02", Kind::Host),
    ]);
    assert_eq!(
        r.text("mail flows to localhost; EXCH02 answers"),
        "mail flows to localhost; host-1 answers"
    );
}

#[test]
fn every_address_literal_goes_even_unlearned() {
    let mut r = Redactor::new();
    assert_eq!(
        r.text("[127.0.0.1]:25 from ::1, [2001:db8::5]:465 and 10.0.0.0/8; mx.c.test:127.0.0.1 x:25:127.0.0.9"),
        "[addr-1]:25 from addr-2, [addr-3]:465 and addr-4/8; mx.c.test:addr-1 x:25:addr-5"
    );
    // Not addresses: times, fingerprints, versions, OIDs, names with hex letters.
    let kept = "12:00:00 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB DA:BB:77:62:DD:A3:87:F9… \
                TLS 1.2 0.1.0 1.3.6.1.5.5.7.3.1 dead.beef.com cafe:: report::emit \
                (RFC 8446 §4.4.2.4)";
    let out = r.text(kept);
    assert_eq!(out.replace("addr-", "?"), out, "{out}");
}

#[test]
fn private_organisations_go_and_public_cas_stay() {
    let mut r = Redactor::new();
    r.learn_dn("CN=mail.contoso.com, O=\"Contoso, Ltd.\", OU=IT Ops, L=Seattle, C=US");
    r.learn_dn("CN=R11, O=Let's Encrypt, C=US");
    r.learn_dn("CN=Contoso Issuing CA, DC=contoso, DC=local");
    assert_eq!(
        r.text("CN=mail.contoso.com, O=\"Contoso, Ltd.\", OU=IT Ops, L=Seattle, C=US"),
        "CN=host-1, O=\"org-1\", OU=org-2, L=org-3, C=US"
    );
    assert_eq!(
        r.text("issued by CN=R11, O=Let's Encrypt, C=US"),
        "issued by CN=R11, O=Let's Encrypt, C=US"
    );
    assert_eq!(
        r.text("CN=Contoso Issuing CA, DC=contoso, DC=local"),
        "CN=org-4, DC=org-5, DC=local"
    );
}

#[test]
fn mail_addresses_lose_their_local_part_but_roles() {
    let mut r = learned(&[("contoso.com", Kind::Domain)]);
    let once = r.text("<jane.doe@contoso.com> and postmaster@contoso.com");
    assert_eq!(once, "<user-1@domain-1> and postmaster@domain-1");
    assert_eq!(r.text(&once), once);
}

#[test]
fn fingerprints_become_plainly_fake_ones_of_the_same_shape() {
    let (sha, thumb, serial) = fake_fingerprints(2);
    assert_eq!(sha.len(), 95);
    assert!(sha.starts_with("00:00:00:00:00:00:00:02:00") && sha.ends_with(":00:02"));
    assert_eq!(thumb, format!("{}02{}", "0".repeat(14), "0".repeat(24)));
    assert_eq!(serial, "0000000000000002");
}

#[test]
fn placeholders_are_never_learned_and_the_text_pass_is_idempotent() {
    let mut r = learned(&[("host-1", Kind::Host), ("mx.contoso.com", Kind::Host)]);
    let once = r.text("mx.contoso.com [192.0.2.1]");
    assert_eq!(once, "host-1 [addr-1]");
    assert_eq!(r.text(&once), once);
}

/// A certificate's facts, as the probe reads them; only what the redactor looks at matters.
fn cert(sha256: &str, serial: &str) -> CertInfo {
    use time::macros::datetime;
    CertInfo {
        subject: "CN=mx.contoso.com, O=Contoso Ltd".into(),
        issuer: "CN=R11, O=Let's Encrypt, C=US".into(),
        common_name: Some("mx.contoso.com".into()),
        dns_names: vec!["mx.contoso.com".into()],
        ip_addresses: vec!["2001:db8::25".into()],
        serial: serial.into(),
        not_before: "2026-08-21T08:00:00Z".into(),
        not_after: "2026-11-19T08:00:00Z".into(),
        days_left: 64,
        expired: false,
        sha256: sha256.into(),
        thumbprint: "0123456789ABCDEF0123456789ABCDEF01234567".into(),
        key_type: "RSA".into(),
        key_bits: 2048,
        key_curve: None,
        signature_algorithm: "sha256WithRSAEncryption".into(),
        extended_key_usage: Some(vec!["serverAuth".into()]),
        is_ca: false,
        self_signed: false,
        exchange_tls_name: String::new(),
        subject_der: vec![],
        issuer_der: vec![],
        not_before_at: datetime!(2026-08-21 08:00 UTC),
        not_after_at: datetime!(2026-11-19 08:00 UTC),
    }
}

const SHA: &str = "DA:BB:77:62:DD:A3:87:F9:10:6E:D2:3C:88:4F:B1:07:\
                   E5:29:93:4A:C0:1B:7F:D6:38:A2:5C:E4:0D:96:21:B8";

#[test]
fn an_ipv6_literal_tagged_as_smtp_writes_it_goes() {
    let mut r = Redactor::new();
    assert!(r.learn_known_host("[IPv6:2001:db8::7]"));
    assert_eq!(
        r.text("250-mx Hello [IPv6:2001:db8::5], EHLO [ipv6:2001:db8::7]"),
        "250-mx Hello [IPv6:addr-2], EHLO [ipv6:addr-1]"
    );
    // The word alone stays.
    assert_eq!(r.text("IPv6: none; IPv6:"), "IPv6: none; IPv6:");
}

#[test]
fn a_one_label_name_where_only_a_name_stands_goes_and_words_stay() {
    let mut r = Redactor::new();
    // The greeting name, this machine's name, a banner's first word on its first line.
    assert!(r.learn_known_host("contosogw"));
    assert!(r.learn_known_host("acmeprobe"));
    r.learn_banner("220-gw7edge ESMTP ready / 220 relay3.corp-int.net ready / 220 Welcome");
    for word in ["mail", "localhost", "EXCHANGE", "ESMTP", "x"] {
        assert!(!r.learn_known_host(word), "{word}");
    }
    // One-label words of unknown standing keep the heuristic: a digit or a hyphen.
    assert!(!r.learn_host("fabrikam", Kind::Host));
    assert_eq!(
        r.text("Contosogw greets for relay3.corp-int.net; acmeprobe sent mail to gw7edge, Welcome"),
        "host-1 greets for host-4; host-2 sent mail to host-3, Welcome"
    );
}

#[test]
fn a_name_joined_to_a_label_by_an_underscore_goes() {
    let mut r = learned(&[
        ("exch-berlin-01.corp.example", Kind::Host),
        ("contoso.com", Kind::Domain),
        ("mx1.contoso.com", Kind::Host),
    ]);
    assert_eq!(
        r.text("days_left_exch-berlin-01.corp.example[203.0.113.5]:25=3 _smtp._tcp"),
        "days_left_host-1[addr-1]:25=3 _smtp._tcp"
    );
    // The host, not the host's first label under the domain.
    assert_eq!(
        r.text("time_mx1.contoso.com _mta-sts.contoso.com"),
        "time_host-2 _mta-sts.domain-1"
    );
}

#[test]
fn expected_fingerprints_go_in_every_form_and_match_the_served_one() {
    let mut r = Redactor::new();
    r.learn_cert(&cert(SHA, "64"));
    let other = "7a3fc21988045be1d06c9247aa13f50eb82d71c93e560fa4e719b28c45d3609f";
    let typed_served = SHA.replace(':', "").to_lowercase();
    r.learn_invocation(&format!(
        "starttls-check contoso.com --expect-fingerprint {typed_served} \
         --expect-fingerprint=sha256:{other} --expect-issuer 'Contoso Issuing' \
         --expect-issuer \"Let's Encrypt\""
    ));
    let fp = Fingerprint::parse(other).unwrap();
    let text = format!(
        "served: SHA-256 {SHA}; expected: SHA-256 {} ({}; was {}); SHA-256 {}… '{}' {typed_served}",
        fp.colon(),
        fp.plain(),
        fp.short(),
        &fp.colon()[..23],
        fp.plain().to_lowercase(),
    );
    let out = r.text(&text);
    let (one, two) = (Fingerprint(fake_bytes(1)), Fingerprint(fake_bytes(2)));
    assert_eq!(
        out,
        format!(
            "served: SHA-256 {}; expected: SHA-256 {} ({}; was {}); SHA-256 {}… '{}' {}",
            one.colon(),
            two.colon(),
            two.plain(),
            two.short(),
            &two.colon()[..23],
            two.plain(),
            one.plain(),
        )
    );
    assert_eq!(two.short(), "00:00:00:00…00:02");
    // The issuer expected is an organisation's; a public CA's name stays.
    assert_eq!(
        r.text("expected issuer: Contoso Issuing; Let's Encrypt"),
        "expected issuer: org-2; Let's Encrypt"
    );
}

#[test]
fn every_serial_is_replaced_in_its_field_and_numbers_elsewhere_stay() {
    let mut r = Redactor::new();
    let mut c = cert(SHA, "64");
    r.learn_cert(&c);
    r.cert(&mut c);
    assert_eq!(c.serial, "0000000000000001");
    assert_eq!(c.sha256, Fingerprint(fake_bytes(1)).colon());
    assert_eq!(c.thumbprint, "0000000000000001000000000000000000000000");
    assert_eq!(c.ip_addresses, ["addr-1"]);
    assert_eq!(c.subject, "CN=host-1, O=org-1");
    assert_eq!(r.text("expires in 64 days"), "expires in 64 days");
}

#[test]
fn an_error_names_nothing_the_command_line_or_the_message_names() {
    let words: Vec<String> = [
        "[mx.contoso.com]",
        "--baseline",
        "/srv/ci/contoso.com/old.json",
        "--resolve",
        "mx.contoso.com:192.0.2.25",
        "--redact",
        "--format",
        "json",
    ]
    .map(String::from)
    .to_vec();
    assert!(asked(&words) && !asked(&words[..5]));
    let mut r = for_error(&words).unwrap();
    let error = super::super::json::RunError {
        target: "[mx.contoso.com]".into(),
        detail: super::super::json::ErrorDetail {
            message: "--baseline /srv/ci/contoso.com/old.json holds no report for \
                      [mx.contoso.com]; it holds only fabrikam.com, [edge01.fabrikam.com] \
                      (192.0.2.25)"
                .into(),
            option: Some("--baseline".into()),
        },
        batch: false,
    };
    let redacted = r.run_error(&error);
    assert_eq!(redacted.target, "[host-1]");
    assert_eq!(
        redacted.detail.message,
        "--baseline /srv/ci/domain-1/old.json holds no report for [host-1]; it holds only \
         host-2, [host-3] (addr-1)"
    );
    assert!(for_error(&words[..5]).is_none());
}

#[test]
fn invocations_are_read_as_a_shell_reads_them() {
    assert_eq!(
        shell_words(r"starttls-check a.test --ca-file 'my roots.pem' --ehlo-name 'it'\''s' x\ y"),
        [
            "starttls-check",
            "a.test",
            "--ca-file",
            "my roots.pem",
            "--ehlo-name",
            "it's",
            "x y"
        ]
    );
}

/// The policy report, redacted and rendered in every format: no domain, host, address, URL
/// host of the private CA or TLSA digest of the original is left, the `policy` keys included,
/// and the placeholders agree between the policy and the rest.
#[test]
fn policy_data_leaves_nothing_in_any_format() {
    use crate::report::{Format, RenderOptions, render};
    let mut report = crate::report::tests::policy_report();
    let mut r = Redactor::new();
    r.report(&mut report);
    assert!(
        report.policy.contains_key("domain-1"),
        "{:?}",
        report.policy.keys()
    );
    let leaks = [
        "contoso",
        "Contoso",
        "203.0.113",
        "198.51.100",
        "127.0.0.1",
        "8d0f2a6c1e55",
        "8D0F2A6C1E55",
        "00112233445566",
        "0a1b2c",
        "0A1B2C",
    ];
    for format in [
        Format::Human,
        Format::Markdown,
        Format::Json,
        Format::Nagios,
        Format::Prometheus,
    ] {
        for verbose in [false, true] {
            let opts = RenderOptions {
                verbose,
                ..RenderOptions::default()
            };
            let text = r.text(&render(&report, format, opts));
            for leak in leaks {
                assert!(!text.contains(leak), "{format:?} leaks {leak}:\n{text}");
            }
        }
    }
    let json = render(&report, Format::Json, RenderOptions::default());
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let p = &v["policy"]["domain-1"];
    let data = p["dane"][0]["tlsa"]["records"][0]["data"].as_str().unwrap();
    assert_eq!(data.len(), 64);
    // The digest of the DANE match is the same fake as the record's (any case).
    let matched = v["endpoints"][0]["dane"]["matched"].as_str().unwrap();
    assert!(
        matched.to_ascii_lowercase().ends_with(data),
        "{matched} vs {data}"
    );
    assert_eq!(p["mta_sts"]["policy"]["mx"][1], "*.domain-1");
    assert!(
        v["endpoints"][2]["revocation"]["certificates"][0]["crls"][0]["url"]
            .as_str()
            .unwrap()
            .starts_with("http://host-")
    );
}

/// A public CA's CRL and OCSP hosts stay, as its name does; a private CA's under another
/// domain go.
#[test]
fn a_public_cas_urls_stay_and_a_private_cas_go() {
    let mut r = Redactor::new();
    r.learn_url("http://r11.c.lencr.org/1.crl", true);
    r.learn_url("http://pki.fabrikam-corp.net/ca.crl", false);
    assert_eq!(
        r.text("http://r11.c.lencr.org/1.crl http://pki.fabrikam-corp.net/ca.crl"),
        "http://r11.c.lencr.org/1.crl http://host-1/ca.crl"
    );
    assert_eq!(
        r.text("http://ocsp.fabrikam-corp.net/"),
        "http://ocsp.domain-1/"
    );
}
