//! The monitoring formats (`nagios`, `prometheus`) on the fixed reports of `super`: snapshots,
//! and the rules of each format that a snapshot would not catch by itself (escaping, no `|`
//! in text, no duplicate series, the error output).

use time::macros::datetime;

use super::super::batch::Document;
use super::super::json::{ErrorDetail, RunError};
use super::super::{nagios, prometheus};
use super::*;

/// A target whose one endpoint passes: the sample report's endpoint with a healthy
/// certificate, judged again (so the headline is a pass's).
fn passing(target: &str) -> Report {
    let mut e = report().endpoints.remove(0);
    if let Some(c) = e.certificate.as_mut() {
        c.days_left = 212;
        c.expired = false;
        c.not_after = "2027-06-22T08:00:00Z".into();
        c.not_after_at = datetime!(2027-06-22 08:00 UTC);
    }
    e.tls = Some(TlsDto {
        version: TlsVersion::Tls13,
        cipher_suite: "TLS13_AES_256_GCM_SHA384".into(),
        key_exchange: Some("X25519".into()),
    });
    let ok = Finding {
        code: Code::StarttlsOk,
        severity: Severity::Info,
        endpoint: e.label.clone(),
        endpoints: vec![e.id.clone()],
        summary: "STARTTLS works: TLS 1.3".into(),
        evidence: vec![],
        fix: text_fix(""),
    };
    Report::new(
        target.into(),
        vec![ok],
        vec![e],
        Vec::new(),
        datetime!(2026-11-22 12:00 UTC),
    )
}

/// A target whose lookups failed: no endpoint, verdict unknown.
fn unknown() -> Report {
    let f = Finding {
        code: Code::DnsLookupFailed,
        severity: Severity::Warn,
        endpoint: "northwind.example".into(),
        endpoints: vec![],
        summary: "the resolver failed: no answer within 10s".into(),
        evidence: vec![],
        fix: text_fix("Check the resolver."),
    };
    Report::new(
        "northwind.example".into(),
        vec![f],
        Vec::new(),
        Vec::new(),
        datetime!(2026-11-22 12:00 UTC),
    )
}

/// A batch: contoso.com (fails), fabrikam.com and its alias tailspin.com (both pass, on the
/// same endpoint), northwind.example (unknown). Boxed, as a batch document holds them.
#[allow(clippy::vec_box)]
fn reports() -> Vec<Box<Report>> {
    vec![
        Box::new(domain_report()),
        Box::new(passing("fabrikam.com")),
        Box::new(passing("tailspin.com")),
        Box::new(unknown()),
    ]
}

fn document(reports: &[Box<Report>]) -> Document<'_> {
    Document::new(
        reports,
        datetime!(2026-11-22 12:00 UTC),
        None,
        reports.len(),
        false,
    )
}

#[test]
fn nagios_snapshot() {
    insta::assert_snapshot!(render(&report(), Format::Nagios, RenderOptions::default()));
}

#[test]
fn nagios_status_line_of_one_endpoint() {
    let text = render(&report(), Format::Nagios, RenderOptions::default());
    assert_eq!(
        text.lines().next().unwrap(),
        "STARTTLS CRITICAL - mail.contoso.com: certificate expired 3 days ago (2026-11-19) \
         (+1 more) | days_left=-4;30:;7: time=0.412s"
    );
}

#[test]
fn nagios_repeats_the_thresholds_the_run_judged_by() {
    let mut r = report();
    r.expiry = Expiry {
        warn_days: 45,
        fail_days: 10,
    };
    let text = nagios::render(&r);
    assert!(
        text.contains("| days_left=-4;45:;10: time=0.412s\n"),
        "{text}"
    );
}

#[test]
fn nagios_domain_snapshot() {
    insta::assert_snapshot!(render(
        &domain_report(),
        Format::Nagios,
        RenderOptions::default()
    ));
}

#[test]
fn nagios_batch_snapshot() {
    let reports = reports();
    insta::assert_snapshot!(nagios::render_batch(&document(&reports)));
}

#[test]
fn nagios_pass_unknown_and_warn_states() {
    let first = |r: &Report| nagios::render(r).lines().next().unwrap().to_string();
    assert_eq!(
        first(&passing("fabrikam.com")),
        "STARTTLS OK - fabrikam.com: STARTTLS works: TLS 1.3 | days_left=212;30:;7: time=0.412s"
    );
    // No endpoint: no performance data, so no ` | ` either.
    assert_eq!(
        first(&unknown()),
        "STARTTLS UNKNOWN - northwind.example: the resolver failed: no answer within 10s"
    );
    let mut warn = report();
    warn.findings.remove(0);
    let warn = Report::new(
        warn.target.clone(),
        warn.findings,
        warn.endpoints,
        Vec::new(),
        datetime!(2026-11-22 12:00 UTC),
    );
    assert!(first(&warn).starts_with("STARTTLS WARNING - mail.contoso.com: the EHLO greeting"));
}

#[test]
fn nagios_batch_names_each_shared_endpoint_once() {
    let reports = reports();
    let text = nagios::render_batch(&document(&reports));
    let status = text.lines().next().unwrap();
    let perfdata = status.split_once(" | ").unwrap().1;
    // fabrikam.com and tailspin.com are served by the same endpoint: its labels once.
    let shared = "days_left_mail.contoso.com[203.0.113.5]:25=";
    let labels: Vec<&str> = perfdata
        .split(' ')
        .map(|p| p.split_once('=').unwrap().0)
        .collect();
    let mut unique = labels.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(labels.len(), unique.len(), "a label twice: {perfdata}");
    assert_eq!(perfdata.matches(shared).count(), 1, "{perfdata}");
}

#[test]
fn nagios_keeps_a_pipe_or_a_newline_from_the_server_out_of_the_format() {
    let mut r = report();
    r.findings[0].summary = "banner says 220 a|b\nFAKE OK".into();
    r.findings[0].endpoint = "mx | evil".into();
    let r = Report::new(
        r.target.clone(),
        r.findings,
        r.endpoints,
        Vec::new(),
        datetime!(2026-11-22 12:00 UTC),
    );
    let text = nagios::render(&r);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[0].matches('|').count(), 1, "{}", lines[0]);
    assert!(lines[0].contains(r"220 a¦b\u{000A}FAKE OK"), "{}", lines[0]);
    assert!(lines[1..].iter().all(|l| !l.contains('|')), "{text}");
    assert_eq!(
        lines[1],
        r"[CRITICAL] cert-expired on mx ¦ evil: banner says 220 a¦b\u{000A}FAKE OK"
    );
}

#[test]
fn nagios_labels_are_quoted_only_when_they_must_be() {
    assert_eq!(nagios::label("days_left"), "days_left");
    assert_eq!(nagios::label("a b"), "'a b'");
    assert_eq!(nagios::label("a=b"), "'a=b'");
    assert_eq!(nagios::label("it's"), "'it''s'");
    assert_eq!(nagios::label("a|b\n"), "a_b_");
}

#[test]
fn nagios_error_is_an_unknown_status_line() {
    let error = RunError {
        target: "mx.example".into(),
        detail: ErrorDetail {
            message: "cannot read --ca-file roots.pem: No such file | directory".into(),
            option: Some("--ca-file".into()),
        },
        batch: false,
    };
    assert_eq!(
        nagios::render_error(&error),
        "STARTTLS UNKNOWN - mx.example: cannot read --ca-file roots.pem: No such file ¦ directory\n"
    );
    let (stdout, stderr) = render_error(Format::Nagios, &error, datetime!(2026-11-22 12:00 UTC));
    assert!(stdout.starts_with("STARTTLS UNKNOWN - "));
    assert!(stderr.starts_with("starttls-check: error: "));
}

#[test]
fn prometheus_snapshot() {
    insta::assert_snapshot!(render(
        &report(),
        Format::Prometheus,
        RenderOptions::default()
    ));
}

#[test]
fn prometheus_domain_snapshot() {
    insta::assert_snapshot!(render(
        &domain_report(),
        Format::Prometheus,
        RenderOptions::default()
    ));
}

#[test]
fn prometheus_batch_snapshot() {
    let reports = reports();
    insta::assert_snapshot!(prometheus::render_batch(&document(&reports), &[]));
}

/// An interrupted batch: the targets it did not finish are `up 0`, verdict `unknown`, beside
/// the series of those it did.
#[test]
fn prometheus_batch_says_up_0_for_the_targets_an_interruption_left() {
    let reports = reports();
    let done = &reports[..2];
    let doc = Document::new(done, datetime!(2026-11-22 12:00 UTC), None, 4, true);
    let left = ["tailspin.com".to_string(), "northwind.example".to_string()];
    let text = prometheus::render_batch(&doc, &left);
    for t in ["contoso.com", "fabrikam.com"] {
        assert!(
            text.contains(&format!("starttls_check_up{{target=\"{t}\"}} 1\n")),
            "{text}"
        );
    }
    for t in left {
        assert!(
            text.contains(&format!("starttls_check_up{{target=\"{t}\"}} 0\n")),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "starttls_check_verdict{{target=\"{t}\",verdict=\"unknown\"}} 1\n"
            )),
            "{text}"
        );
        assert!(!text.contains(&format!("target=\"{t}\",mx=")), "{text}");
    }
}

/// The endpoint verdict is the human Endpoints table's: `endpoints-inconsistent` names the
/// healthy address beside the odd one, and does not make the healthy one warn.
#[test]
fn prometheus_endpoint_verdict_is_the_human_tables() {
    let mut r = domain_report();
    // Left with only the comparison across endpoints, 203.0.113.5 passes.
    r.findings.retain(|f| f.code != Code::CertEhloNameMismatch);
    let text = prometheus::render(&r);
    let human = render(&r, Format::Human, RenderOptions::default());
    let table = human.split("\nEndpoints\n").nth(1).unwrap();
    let mut words = Vec::new();
    for e in &r.endpoints {
        let line = table.lines().find(|l| l.contains(&e.label)).unwrap();
        let word = line[line.find(&e.label).unwrap() + e.label.len()..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_ascii_lowercase();
        let series = format!(
            "address=\"{}\",port=\"25\",verdict=\"{word}\"}} 1\n",
            e.address
        );
        assert!(text.contains(&series), "{}: {series}\n{text}", e.label);
        words.push(word);
    }
    assert_eq!(words, ["pass", "fail", "pass"], "{human}");
}

/// The series lines (not HELP or TYPE) of an exposition.
fn series(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.starts_with('#')).collect()
}

#[test]
fn prometheus_writes_each_series_once_and_sorted() {
    // Two endpoints that differ only in what the labels do not say (the TLS mode) give one
    // series, not two.
    let mut r = report();
    let mut twin = r.endpoints[0].clone();
    twin.id.tls_mode = crate::model::TlsMode::Implicit;
    r.endpoints.push(twin);
    let reports = vec![Box::new(r), Box::new(passing("a.example"))];
    let text = prometheus::render_batch(&document(&reports), &[]);
    let lines = series(&text);
    let mut unique = lines.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(lines.len(), unique.len(), "a series twice:\n{text}");
    // Within each family, sorted by labels.
    let mut last: Option<(&str, &str)> = None;
    for l in &lines {
        let (name, rest) = l.split_once('{').unwrap();
        if let Some((n, r)) = last
            && n == name
        {
            assert!(r < rest, "not sorted: {r} before {rest}");
        }
        last = Some((name, rest));
    }
}

#[test]
fn prometheus_one_series_per_state() {
    let text = render(&report(), Format::Prometheus, RenderOptions::default());
    let verdicts: Vec<&str> = series(&text)
        .into_iter()
        .filter(|l| l.starts_with("starttls_check_verdict{"))
        .collect();
    assert_eq!(
        verdicts,
        [
            r#"starttls_check_verdict{target="mail.contoso.com",verdict="fail"} 1"#,
            r#"starttls_check_verdict{target="mail.contoso.com",verdict="pass"} 0"#,
            r#"starttls_check_verdict{target="mail.contoso.com",verdict="unknown"} 0"#,
            r#"starttls_check_verdict{target="mail.contoso.com",verdict="warn"} 0"#,
        ]
    );
}

#[test]
fn prometheus_escapes_label_values() {
    assert_eq!(prometheus::escape(r#"a\b"c"#), r#"a\\b\"c"#);
    assert_eq!(prometheus::escape("a\nb"), r"a\nb");
    // Any other hidden character is written as text, its backslash escaped: the parser reads
    // `\u{202E}`, never the raw override, and never an escape it does not know.
    assert_eq!(
        prometheus::escape("a\u{202e}b\rc"),
        r"a\\u{202E}b\\u{000D}c"
    );
    let mut r = report();
    r.target = "evil\"}\nfake 1".into();
    if let Some(c) = r.endpoints[0].certificate.as_mut() {
        c.subject = "CN=\"x\\y\"".into();
    }
    let text = prometheus::render(&r);
    assert!(text.contains(r#"target="evil\"}\nfake 1""#), "{text}");
    assert!(text.contains(r#"subject="CN=\"x\\y\"""#), "{text}");
    assert!(!text.lines().any(|l| l.starts_with("fake")), "{text}");
}

#[test]
fn prometheus_error_says_up_0_for_each_target() {
    let error = |target: &str, batch| RunError {
        target: target.into(),
        detail: ErrorDetail {
            message: "no such file".into(),
            option: None,
        },
        batch,
    };
    let one = prometheus::render_error(&error("mx.example", false));
    assert!(
        one.contains("starttls_check_up{target=\"mx.example\"} 0\n"),
        "{one}"
    );
    assert!(one.contains("starttls_check_verdict{target=\"mx.example\",verdict=\"unknown\"} 1\n"));
    let two = prometheus::render_error(&error("a.example b.example", true));
    assert_eq!(
        series(&two)
            .iter()
            .filter(|l| l.starts_with("starttls_check_up"))
            .count(),
        2,
        "{two}"
    );
    let none = prometheus::render_error(&error("", true));
    assert!(
        none.contains("starttls_check_up{target=\"\"} 0\n"),
        "{none}"
    );
}

/// An endpoint the deadline never let start has no probe duration, in either format: a 0 s
/// probe would drag a latency panel's average down.
#[test]
fn an_endpoint_never_started_has_no_duration() {
    let mut r = passing("[mail.contoso.com]");
    let text = render(&r, Format::Prometheus, RenderOptions::default());
    assert!(
        text.contains("\nstarttls_check_probe_duration_seconds{"),
        "{text}"
    );
    r.endpoints[0].never_started = true;
    let text = render(&r, Format::Prometheus, RenderOptions::default());
    assert!(
        !text.contains("\nstarttls_check_probe_duration_seconds{"),
        "{text}"
    );
    let text = render(&r, Format::Nagios, RenderOptions::default());
    assert!(!text.contains(" time="), "{text}");
}

/// The policy families of the hand-made policy report: DANE per endpoint of mx1 (a match and
/// a mismatch), the MX RRset's DNSSEC, the MTA-STS mode, TLS-RPT, mx2's revocation and its
/// CRL's nextUpdate; the Nagios perfdata of that CRL, counted from the run's start.
#[test]
fn policy_families_and_perfdata() {
    let r = policy_report();
    let text = prometheus::render(&r);
    insta::assert_snapshot!(text);
    let has = |line: &str| assert!(text.lines().any(|l| l == line), "missing {line}\n{text}");
    has(
        r#"starttls_check_dane_match{target="contoso.com",mx="mx1.contoso.com",address="203.0.113.5",port="25"} 1"#,
    );
    has(
        r#"starttls_check_dane_match{target="contoso.com",mx="mx1.contoso.com",address="203.0.113.9",port="25"} 0"#,
    );
    has(r#"starttls_check_dnssec_secure{target="contoso.com",domain="contoso.com",what="mx"} 1"#);
    has(
        r#"starttls_check_mta_sts_mode_info{target="contoso.com",domain="contoso.com",mode="enforce"} 1"#,
    );
    has(r#"starttls_check_tlsrpt_published{target="contoso.com",domain="contoso.com"} 1"#);
    has(
        r#"starttls_check_cert_revoked{target="contoso.com",mx="mx2.contoso.com",address="198.51.100.20",port="25"} 0"#,
    );
    has(
        r#"starttls_check_crl_next_update_timestamp_seconds{target="contoso.com",mx="mx2.contoso.com",address="198.51.100.20",port="25",url="http://pki.contoso.com/crl/ContosoIssuing.crl"} 1795939200"#,
    );
    assert!(!text.contains("dane_match{target=\"contoso.com\",mx=\"mx2"));
    // Generated 2026-11-22T12:00Z, nextUpdate 2026-11-29T08:00Z: 6 whole days.
    let nagios = nagios::render(&r);
    let status = nagios.lines().next().unwrap();
    assert!(
        status.contains(" crl_next_update_days_mx2.contoso.com[198.51.100.20]:25=6;1:;0:"),
        "{status}"
    );
}

/// Without a trusted resolver the MX RRset's DNSSEC is unknown: no series rather than a 0.
#[test]
fn dnssec_is_absent_behind_an_untrusted_resolver() {
    let mut r = policy_report();
    for p in r.policy.values_mut() {
        p.resolver.trusted = false;
        p.mx_dnssec = Some(crate::policy::Dnssec::NotValidated);
    }
    assert!(!prometheus::render(&r).contains("starttls_check_dnssec_secure"));
}
