//! Every renderer, snapshotted on a fixed report (fixed clock, fixed certificate facts).

use time::macros::datetime;

use super::*;
use crate::cert::CertInfo;
use crate::diagnose::fix::Family;
use crate::diagnose::{Code, Finding, Fix, ServerKind, Severity, Shell};
use crate::model::{EndpointId, FailureKind, Phase, TlsMode};
use crate::target::Host;

/// A fix written as text, the way the report tests need one: lines indented by two spaces are
/// commands for a generic shell, the rest prose.
fn text_fix(text: &str) -> Fix {
    text.lines().fold(
        Fix::new(Family::Generic, "test::text", &[text]),
        |f, line| match line.strip_prefix("  ") {
            Some(cmd) => f.run(Shell::Shell, cmd),
            None => f.say(line),
        },
    )
}

fn cert() -> CertInfo {
    CertInfo {
        subject: "CN=mail.contoso.com".into(),
        issuer: "CN=R3, O=Let's Encrypt, C=US".into(),
        common_name: Some("mail.contoso.com".into()),
        dns_names: vec!["mail.contoso.com".into(), "autodiscover.contoso.com".into()],
        ip_addresses: vec![],
        serial: "04A1B2C3".into(),
        not_before: "2026-08-21T08:00:00Z".into(),
        not_after: "2026-11-19T08:00:00Z".into(),
        days_left: -4,
        expired: true,
        sha256: "AB:CD:EF".into(),
        thumbprint: "0123456789ABCDEF0123456789ABCDEF01234567".into(),
        key_type: "RSA".into(),
        key_bits: 2048,
        key_curve: None,
        signature_algorithm: "sha256WithRSAEncryption".into(),
        extended_key_usage: Some(vec!["serverAuth".into()]),
        is_ca: false,
        self_signed: false,
        exchange_tls_name: "<I>CN=R3, O=Let's Encrypt, C=US<S>CN=mail.contoso.com".into(),
        subject_der: vec![],
        issuer_der: vec![],
        not_before_at: datetime!(2026-08-21 08:00 UTC),
        not_after_at: datetime!(2026-11-19 08:00 UTC),
    }
}

fn report() -> Report {
    let id = EndpointId {
        host: Host::Name("mail.contoso.com".into()),
        address: "203.0.113.5:25".parse().unwrap(),
        tls_mode: TlsMode::Starttls,
    };
    let label = id.label();
    let findings = vec![
        Finding {
            code: Code::CertExpired,
            severity: Severity::Fail,
            endpoint: label.clone(),
            endpoints: vec![id.clone()],
            summary: "certificate expired 3 days ago (2026-11-19)".into(),
            evidence: vec!["notAfter 2026-11-19T08:00:00Z".into()],
            fix: Fix::new(Family::Exchange, "test", &[])
                .say("Renew the certificate.")
                .run(
                    Shell::ExchangeManagementShell,
                    "Enable-ExchangeCertificate -Thumbprint <new thumbprint> -Services SMTP",
                ),
        },
        Finding {
            code: Code::CertEhloNameMismatch,
            severity: Severity::Warn,
            endpoint: label.clone(),
            endpoints: vec![id.clone()],
            summary: "the EHLO greeting name EXCH01.contoso.local is not on the certificate".into(),
            evidence: vec!["EHLO reply line 1: EXCH01.contoso.local".into()],
            fix: Fix::new(Family::Exchange, "test", &[])
                .say("Set the connector's Fqdn to a name on the certificate:")
                .run(
                    Shell::ExchangeManagementShell,
                    "Set-ReceiveConnector \"<identity>\" -Fqdn mail.contoso.com",
                ),
        },
    ];
    let endpoint = EndpointReport {
        id,
        label: label.clone(),
        host: "mail.contoso.com".into(),
        domain: None,
        mx: None,
        mx_preference: None,
        address: "203.0.113.5".into(),
        port: 25,
        tls_mode: TlsMode::Starttls,
        local_address: Some("198.51.100.7:50123".into()),
        seen_as: Some("198.51.100.7".into()),
        ehlo_name_sent: "probe.example.net".into(),
        sni: Some("mail.contoso.com".into()),
        server_software: ServerKind::Exchange,
        banner: Some("220 EXCH01.contoso.local Microsoft ESMTP MAIL Service ready".into()),
        ehlo: vec![
            "250-EXCH01.contoso.local Hello [198.51.100.7]".into(),
            "250-SIZE 37748736".into(),
            "250 STARTTLS".into(),
        ],
        greeting_name: Some("EXCH01.contoso.local".into()),
        starttls_offered: Some(true),
        starttls_reply: Some("220 2.0.0 SMTP server ready".into()),
        tls: Some(TlsDto {
            version: TlsVersion::Tls12,
            cipher_suite: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384".into(),
            key_exchange: Some("X25519".into()),
        }),
        certificate: Some(cert()),
        chain: vec![cert()],
        trust: Some(TrustDto {
            trusted: true,
            valid_now: false,
            reason: None,
        }),
        failure: None,
        ehlo_after_tls: vec![
            "250-EXCH01.contoso.local Hello [198.51.100.7]".into(),
            "250 SIZE 37748736".into(),
        ],
        duration_ms: 412,
        never_started: false,
        dane: None,
        revocation: None,
        client_auth: None,
        transcript: vec![
            TranscriptLine {
                at_ms: 0,
                direction: Direction::Event,
                line: "connected to 203.0.113.5:25".into(),
            },
            TranscriptLine {
                at_ms: 31,
                direction: Direction::Received,
                line: "220 EXCH01.contoso.local Microsoft ESMTP MAIL Service ready".into(),
            },
            TranscriptLine {
                at_ms: 32,
                direction: Direction::Sent,
                line: "EHLO probe.example.net".into(),
            },
        ],
    };
    let mut r = Report::new(
        "mail.contoso.com".into(),
        findings,
        vec![endpoint],
        Vec::new(),
        datetime!(2026-11-22 12:00 UTC),
    );
    r.invocation = Some("starttls-check mail.contoso.com --ca-file ./private-root.pem".into());
    r.probe_host = Some("probe.example.net".into());
    r
}

/// contoso.com: MX 10 mx1 (two addresses, one still self-signed), MX 20 mx2 (healthy), with
/// a finding both mx1 addresses share, merged as the pipeline merges it.
fn domain_report() -> Report {
    let single = report();
    let base = single.endpoints[0].clone();
    let ep = |host: &str, addr: &str, pref: u16| {
        let mut e = base.clone();
        e.id = EndpointId {
            host: Host::Name(host.into()),
            address: format!("{addr}:25").parse().unwrap(),
            tls_mode: TlsMode::Starttls,
        };
        e.label = e.id.label();
        e.host = host.into();
        e.address = addr.into();
        e.domain = Some("contoso.com".into());
        e.mx = Some(host.into());
        e.mx_preference = Some(pref);
        e.transcript.clear();
        e
    };
    let endpoints = vec![
        ep("mx1.contoso.com", "203.0.113.5", 10),
        ep("mx1.contoso.com", "203.0.113.9", 10),
        ep("mx2.contoso.com", "198.51.100.20", 20),
    ];
    let f = |code: Code, severity, on: &[usize], endpoint: &str, summary: &str| Finding {
        code,
        severity,
        endpoint: endpoint.into(),
        endpoints: on.iter().map(|i| endpoints[*i].id.clone()).collect(),
        summary: summary.into(),
        evidence: vec![format!("evidence for {}", code.as_str())],
        fix: text_fix(&format!("fix for {}", code.as_str())),
    };
    let findings = vec![
        f(
            Code::CertSelfSigned,
            Severity::Fail,
            &[1],
            &endpoints[1].label,
            "certificate is self-signed: CN=EXCH02",
        ),
        f(
            Code::CertEhloNameMismatch,
            Severity::Warn,
            &[0, 1],
            "all 2 endpoints of mx1.contoso.com",
            "the EHLO greeting name EXCH01.contoso.local is not on the certificate",
        ),
        f(
            Code::EndpointsInconsistent,
            Severity::Warn,
            &[0, 1],
            "mx1.contoso.com (port 25, 2 addresses)",
            "mx1.contoso.com [203.0.113.9] still presents the self-signed certificate CN=EXCH02; the other address presents CN=mail.contoso.com",
        ),
        f(
            Code::StarttlsOk,
            Severity::Info,
            &[2],
            &endpoints[2].label,
            "STARTTLS works: TLS 1.2",
        ),
    ];
    let mx = vec![
        MxReport {
            domain: "contoso.com".into(),
            preference: 10,
            exchange: "mx1.contoso.com".into(),
            implicit: false,
            addresses: vec!["203.0.113.5".into(), "203.0.113.9".into()],
            verdict: Verdict::Fail,
            cause: Some(format!(
                "{}: certificate is self-signed: CN=EXCH02",
                endpoints[1].label
            )),
        },
        MxReport {
            domain: "contoso.com".into(),
            preference: 20,
            exchange: "mx2.contoso.com".into(),
            implicit: false,
            addresses: vec!["198.51.100.20".into()],
            verdict: Verdict::Pass,
            cause: None,
        },
    ];
    Report::new(
        "contoso.com".into(),
        findings,
        endpoints,
        mx,
        datetime!(2026-11-22 12:00 UTC),
    )
}

#[test]
fn domain_headline_counts_failing_mx_hosts_and_names_the_first() {
    assert_eq!(
        domain_report().headline,
        "FAIL contoso.com: 1 of 2 MX hosts fails — mx1.contoso.com [203.0.113.9]:25: certificate is self-signed: CN=EXCH02 (+2 more)"
    );
}

#[test]
fn domain_human_snapshot() {
    insta::assert_snapshot!(render(
        &domain_report(),
        Format::Human,
        RenderOptions::default()
    ));
}

#[test]
fn domain_markdown_snapshot() {
    insta::assert_snapshot!(render(
        &domain_report(),
        Format::Markdown,
        RenderOptions::default()
    ));
}

#[test]
fn domain_json_keeps_mx_and_endpoint_lists() {
    let json: serde_json::Value = serde_json::from_str(&render(
        &domain_report(),
        Format::Json,
        RenderOptions::default(),
    ))
    .unwrap();
    assert_eq!(json["mx"][0]["exchange"], "mx1.contoso.com");
    assert_eq!(json["mx"][0]["addresses"][1], "203.0.113.9");
    assert_eq!(json["mx"][1]["verdict"], "pass");
    assert_eq!(json["endpoints"][2]["mx"], "mx2.contoso.com");
    assert_eq!(json["endpoints"][2]["mx_preference"], 20);
    assert_eq!(json["endpoints"][0]["domain"], "contoso.com");
    let shared = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "endpoints-inconsistent")
        .unwrap();
    assert_eq!(shared["endpoints"].as_array().unwrap().len(), 2);
}

#[test]
fn verdict_is_the_worst_severity_and_inconclusive_is_unknown() {
    let f = |code: Code, severity| Finding {
        code,
        severity,
        endpoint: String::new(),
        endpoints: vec![],
        summary: String::new(),
        evidence: vec![],
        fix: text_fix(""),
    };
    assert_eq!(
        Verdict::from_findings(&[f(Code::StarttlsOk, Severity::Info)]),
        Verdict::Pass
    );
    assert_eq!(
        Verdict::from_findings(&[f(Code::CertExpiresSoon, Severity::Warn)]),
        Verdict::Warn
    );
    assert_eq!(
        Verdict::from_findings(&[
            f(Code::StarttlsOk, Severity::Info),
            f(Code::SmtpTemporaryRefusal, Severity::Warn)
        ]),
        Verdict::Unknown
    );
    assert_eq!(
        Verdict::from_findings(&[
            f(Code::CertExpired, Severity::Fail),
            f(Code::DnsLookupFailed, Severity::Warn)
        ]),
        Verdict::Fail
    );
    assert_eq!(Verdict::from_findings(&[]), Verdict::Unknown);
}

#[test]
fn headline_names_the_worst_cause_and_counts_the_rest() {
    assert_eq!(
        report().headline,
        "FAIL mail.contoso.com: certificate expired 3 days ago (2026-11-19) (+1 more)"
    );
}

#[test]
fn human_snapshot() {
    insta::assert_snapshot!(render(
        &report(),
        Format::Human,
        RenderOptions {
            color: false,
            verbose: true,
            ..RenderOptions::default()
        }
    ));
}

#[test]
fn human_colour_marks_severity_only() {
    let plain = render(
        &report(),
        Format::Human,
        RenderOptions {
            color: false,
            ..RenderOptions::default()
        },
    );
    let coloured = render(
        &report(),
        Format::Human,
        RenderOptions {
            color: true,
            ..RenderOptions::default()
        },
    );
    assert!(coloured.contains("\x1b[") && !plain.contains('\x1b'));
    let stripped: String = {
        let mut out = String::new();
        let mut it = coloured.chars().peekable();
        while let Some(c) = it.next() {
            if c == '\x1b' {
                for d in it.by_ref() {
                    if d == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    };
    assert_eq!(stripped, plain, "colour adds escapes and nothing else");
}

#[test]
fn json_snapshot() {
    insta::assert_snapshot!(render(&report(), Format::Json, RenderOptions::default()));
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!(render(
        &report(),
        Format::Markdown,
        RenderOptions::default()
    ));
}

#[test]
fn markdown_fence_survives_backticks_from_the_server() {
    let mut r = report();
    r.findings[0].evidence = vec!["banner: 220 ```evil```".into()];
    let md = render(&r, Format::Markdown, RenderOptions::default());
    assert!(md.contains("````\nbanner: 220 ```evil```\n````"), "{md}");
}

#[test]
fn failure_is_shown_with_its_phase() {
    let mut r = report();
    r.endpoints[0].failure = Some(FailureDto {
        phase: Phase::Handshake,
        kind: FailureKind::Handshake,
        message: "The server closed".into(),
    });
    let text = render(&r, Format::Human, RenderOptions::default());
    assert!(
        text.contains("  FAIL    stopped in handshake: The server closed"),
        "the endpoint's line says where the probe stopped: {text}"
    );
    let verbose = RenderOptions {
        verbose: true,
        ..RenderOptions::default()
    };
    let text = render(&r, Format::Human, verbose);
    assert!(
        text.contains("stopped       in handshake: The server closed"),
        "{text}"
    );
}

#[test]
fn markdown_escapes_server_text_outside_code_blocks() {
    let mut r = report();
    r.headline =
        "FAIL x: 554 ![t](https://evil/t.png) [unblock](https://evil/p) <img src=x> *hi*".into();
    let md = render(&r, Format::Markdown, RenderOptions::default());
    let bold = md.lines().find(|l| l.starts_with("**FAIL")).unwrap();
    assert_eq!(
        bold,
        "**FAIL x: 554 \\!\\[t\\](https://evil/t.png) \\[unblock\\](https://evil/p) \\<img src=x\\> \\*hi\\***"
    );
}

#[test]
fn repeated_command_blocks_are_referred_to_not_repeated() {
    let mut r = report();
    let block = "Get a certificate.\n  step one\n  step two\n  step three\nAfterwards, re-run HCW.";
    r.findings[0].fix = text_fix(block);
    r.findings[1].fix = text_fix(&block.replace("Get a", "Also get a"));
    let text = render(&r, Format::Human, RenderOptions::default());
    assert_eq!(text.matches("step two").count(), 1, "{text}");
    assert!(
        text.contains("(the same commands as for cert-expired above)"),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&render(&r, Format::Json, RenderOptions::default())).unwrap();
    for f in json["findings"].as_array().unwrap() {
        assert!(
            f["fix"].as_str().unwrap().contains("step two"),
            "JSON keeps every fix whole: {f}"
        );
        assert_eq!(f["steps"][2]["text"], "step two", "{f}");
    }
}

#[test]
fn markdown_fix_prose_keeps_code_spans_and_escapes_the_rest() {
    let mut r = report();
    r.findings[0].fix = Fix::new(Family::Generic, "test", &[])
        .say("Senders log `450 4.7.320 [Message=SubjectMismatch]` for <b>[x](https://evil)</b>.")
        .say("An unpaired ` backtick [y](https://evil) is escaped whole.");
    let md = render(&r, Format::Markdown, RenderOptions::default());
    assert!(
        md.contains(
            "Senders log `450 4.7.320 [Message=SubjectMismatch]` for \\<b\\>\\[x\\](https://evil)\\</b\\>."
        ),
        "{md}"
    );
    assert!(
        md.contains("An unpaired \\` backtick \\[y\\](https://evil) is escaped whole."),
        "{md}"
    );
}

#[test]
fn human_folds_healthy_endpoints_and_puts_what_needs_action_first() {
    let r = domain_report();
    let text = render(&r, Format::Human, RenderOptions::default());
    let lines: Vec<&str> = text.lines().collect();
    let first_fix = lines.iter().position(|l| l.contains("fix:")).unwrap();
    let endpoints = lines.iter().position(|l| *l == "Endpoints").unwrap();
    assert!(
        first_fix < endpoints,
        "fixes come before the endpoints:\n{text}"
    );
    let line_of = |label: &str| {
        lines
            .iter()
            .find(|l| l.starts_with(&format!("  {label} ")))
            .copied()
            .unwrap_or_default()
    };
    let healthy = line_of("mx2.contoso.com [198.51.100.20]:25");
    assert!(
        healthy.contains(" PASS ") && healthy.contains("TLS 1.2"),
        "a healthy endpoint is one line:\n{text}"
    );
    let odd = line_of("mx1.contoso.com [203.0.113.9]:25");
    assert!(
        odd.contains(" FAIL ") && odd.contains("cert-self-signed"),
        "an endpoint that needs action is one line with its verdict and codes:\n{text}"
    );
    assert!(!text.contains("STARTTLS  (Microsoft"), "{text}");
    let verbose = RenderOptions {
        verbose: true,
        ..RenderOptions::default()
    };
    let text = render(&r, Format::Human, verbose);
    assert!(
        text.contains("mx2.contoso.com [198.51.100.20]:25  STARTTLS"),
        "-v shows every endpoint in full:\n{text}"
    );
}

/// A batch of three: contoso.com (fails: the domain report), a passing target without
/// certificate trouble, and one that could not be checked.
fn batch() -> super::batch::Batch {
    use super::batch::{Batch, Counts, Row};
    let mut pass = report();
    pass.target = "fabrikam.com".into();
    pass.verdict = Verdict::Pass;
    pass.findings.retain(|f| f.severity == Severity::Info);
    pass.findings.insert(
        0,
        Finding {
            code: Code::StarttlsOk,
            severity: Severity::Info,
            endpoint: "all 1 endpoints".into(),
            endpoints: vec![],
            summary: "STARTTLS works: TLS 1.3".into(),
            evidence: vec![],
            fix: text_fix(""),
        },
    );
    if let Some(c) = pass.endpoints[0].certificate.as_mut() {
        c.days_left = 212;
    }
    let mut unknown = report();
    unknown.target = "[mx.northwind.example]:587".into();
    unknown.verdict = Verdict::Unknown;
    unknown.endpoints.clear();
    unknown.findings = vec![Finding {
        code: Code::DnsLookupFailed,
        severity: Severity::Warn,
        endpoint: "mx.northwind.example".into(),
        endpoints: vec![],
        summary: "the resolver failed: no answer within 10s".into(),
        evidence: vec![],
        fix: text_fix("Check the resolver."),
    }];
    let reports = [domain_report(), pass, unknown];
    let mut counts = Counts::default();
    for r in &reports {
        counts.add(r.verdict);
    }
    Batch {
        generated_at: time::macros::datetime!(2026-11-22 12:00 UTC),
        counts,
        rows: reports.iter().map(Row::of).collect(),
        planned: 3,
    }
}

#[test]
fn batch_human_snapshot() {
    let b = batch();
    let details = vec![
        "FAIL contoso.com: (its report)\n".to_string(),
        "UNKNOWN …\n".into(),
    ];
    insta::assert_snapshot!(super::human::render_batch(
        &b,
        &details,
        RenderOptions::default()
    ));
}

#[test]
fn batch_markdown_snapshot() {
    let b = batch();
    insta::assert_snapshot!(super::markdown::render_batch(&b, &[]));
}

#[test]
fn a_batch_row_leads_with_the_finding_that_decides_the_verdict() {
    let b = batch();
    let codes: Vec<Option<Code>> = b
        .rows
        .iter()
        .map(|r| r.primary.as_ref().map(|p| p.code))
        .collect();
    assert_eq!(codes[0], Some(b.rows[0].attention[0].code));
    assert_eq!(b.rows[0].primary.as_ref().unwrap().severity, Severity::Fail);
    assert_eq!(codes[1], Some(Code::StarttlsOk));
    assert_eq!(b.rows[2].days_left, None, "no endpoint, no certificate");
    assert_eq!(b.rows[1].days_left, Some(212));
    assert_eq!(codes[2], Some(Code::DnsLookupFailed));
    assert!(b.rows[1].attention.is_empty());
    assert_eq!(b.counts.verdict(), Verdict::Fail);
}

#[test]
fn an_interrupted_batch_says_how_many_were_checked() {
    let mut b = batch();
    b.planned = 10;
    let note = "Interrupted: 3 of 10 targets were checked; the others are not in this report.";
    assert!(super::human::render_batch(&b, &[], RenderOptions::default()).contains(note));
    assert!(super::markdown::render_batch(&b, &[]).contains(&format!("**{note}**")));
    // Every row passed, yet not every target was checked: not a pass.
    b.rows.retain(|r| r.verdict == Verdict::Pass);
    b.counts = Default::default();
    b.counts.add(Verdict::Pass);
    assert_eq!(b.verdict(), Verdict::Unknown);
    let text = super::human::render_batch(&b, &[], RenderOptions::default());
    assert!(text.contains("— worst UNKNOWN"), "{text}");
    assert!(super::markdown::render_batch(&b, &[]).starts_with("### STARTTLS check: UNKNOWN"));
}

/// The monitoring formats, on the reports above.
mod monitoring;

/// The domain report with what the policy phase found: a trusted resolver, a secure MX
/// RRset, DANE on mx1 (one address matches, the other serves another key) and none on mx2,
/// MTA-STS in enforce mode, TLS-RPT with a hostile `rua`, and mx2's CRL and staple.
pub(super) fn policy_report() -> Report {
    use crate::policy::dane::{DaneMatch, RecordCheck, Verdict as Dane};
    use crate::policy::lookups::{HostDaneReport, TlsaLookupReport, TlsaOutcome, TlsaRecordReport};
    use crate::policy::mta_sts::{FetchReport, Mode, MtaStsReport, MxMatch, Policy, RecordState};
    use crate::policy::tlsrpt::{TlsRptReport, TlsRptState};
    use crate::policy::{Dnssec, ResolverTrust};
    use crate::revocation::crl::{CrlFacts, Encoding, Scheme, Signature};
    use crate::revocation::{
        CertRevocation, CrlCheck, FetchSummary, RevocationObservation, RevocationReport, Stamp,
        StapleReport,
    };
    const LEAF: &str = "8d0f2a6c1e55b4b4f3d1a0f6e2c9b7a35d4e1f0a2b3c4d5e6f708192a3b4c5d6";
    const OTHER: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    let mut r = domain_report();
    let record = TlsaRecordReport {
        usage: 3,
        selector: 1,
        matching: 1,
        data: LEAF.into(),
        text: format!("3 1 1 {LEAF}"),
    };
    let dane = |verdict: Dane, detail: String| DaneMatch {
        host: "mx1.contoso.com".into(),
        port: 25,
        base_domain: "mx1.contoso.com".into(),
        tlsa_name: "_25._tcp.mx1.contoso.com".into(),
        dnssec: Dnssec::Secure,
        verdict,
        why: None,
        records: vec![RecordCheck {
            record: format!("3 1 1 {}", LEAF.to_ascii_uppercase()),
            usable: true,
            reason: None,
            matched: (verdict == Dane::Match).then_some(0),
            failed: None,
            failure: None,
            ta_unsent: false,
        }],
        matched: (verdict == Dane::Match).then(|| format!("3 1 1 {}", LEAF.to_ascii_uppercase())),
        depth: (verdict == Dane::Match).then_some(0),
        detail,
        leaf_records: vec![format!("3 1 1 {}", OTHER.to_ascii_uppercase())],
    };
    r.endpoints[0].dane = Some(dane(
        Dane::Match,
        format!(
            "Matched DANE EE certificate at depth 0: 3 1 1 {}",
            LEAF.to_ascii_uppercase()
        ),
    ));
    r.endpoints[1].dane = Some(dane(
        Dane::NoMatch,
        "no TLSA record matches the certificate chain sent".into(),
    ));
    let fetch = FetchSummary {
        redirects: vec![],
        status: Some(200),
        bytes: 812,
        content_type: Some("application/pkix-crl".into()),
        elapsed_ms: 41,
        error: None,
        cut_by_deadline: false,
    };
    // mx2's certificate comes from the organisation's own CA, whose CRL it names.
    let private = "CN=Contoso Issuing CA, O=Contoso Ltd";
    let mx2 = &mut r.endpoints[2];
    for c in mx2.certificate.iter_mut().chain(&mut mx2.chain) {
        c.issuer = private.into();
    }
    r.endpoints[2].revocation = Some(RevocationReport {
        observed: RevocationObservation {
            certificates: vec![CertRevocation {
                position: 0,
                subject: "CN=mail.contoso.com".into(),
                serial: "0a1b2c".into(),
                summary: "not revoked per http://pki.contoso.com/crl/ContosoIssuing.crl (CRL of 2026-11-22T08:00:00Z, next update 2026-11-29T08:00:00Z, 3 entries)".into(),
                crls: vec![CrlCheck {
                    url: "http://pki.contoso.com/crl/ContosoIssuing.crl".into(),
                    scheme: Scheme::Http,
                    fetch: Some(fetch),
                    crl: Some(CrlFacts {
                        encoding: Encoding::Der,
                        issuer: "CN=Contoso Issuing CA".into(),
                        issuer_matches: true,
                        this_update: Stamp(1_795_334_400), // 2026-11-22T08:00:00Z
                        next_update: Some(Stamp(1_795_939_200)), // 2026-11-29T08:00:00Z
                        entries: 3,
                        signature: Signature::Valid,
                        unsupported: None,
                        revoked: None,
                    }),
                    invalid: None,
                }],
                ocsp_urls: vec!["http://ocsp.contoso.com/".into()],
            }],
            staple: Some(StapleReport {
                bytes: 471,
                response: Some(crate::revocation::ocsp::Staple {
                    response_status: "successful".into(),
                    cert_status: Some("good".into()),
                    revoked_at: None,
                    reason: None,
                    this_update: Some(Stamp(1_795_334_400)),
                    next_update: Some(Stamp(1_795_939_200)),
                    serial: Some("0a1b2c".into()),
                }),
                error: None,
                serial_matches: Some(true),
                signature_verified: false,
            }),
            webpki: Some("good".into()),
            issuer_fetch: None,
        },
        ocsp: "not queried",
    });
    let host = |h: &str, records: Vec<TlsaRecordReport>| HostDaneReport {
        host: h.into(),
        port: 25,
        address_dnssec: Dnssec::Secure,
        cnames: vec![],
        base_domain: Some(h.into()),
        tlsa: Some(TlsaLookupReport {
            name: format!("_25._tcp.{h}"),
            dnssec: Dnssec::Secure,
            outcome: if records.is_empty() {
                TlsaOutcome::Nxdomain
            } else {
                TlsaOutcome::Records
            },
            error: None,
            records,
        }),
    };
    let policy = super::policy::PolicyReport {
        resolver: ResolverTrust {
            server: "127.0.0.1:53".into(),
            trusted: true,
            why: "127.0.0.1 is on loopback: its AD bit is trusted".into(),
        },
        mx_dnssec: Some(Dnssec::Secure),
        dane: vec![
            host("mx1.contoso.com", vec![record]),
            host("mx2.contoso.com", vec![]),
        ],
        mta_sts: Some(MtaStsReport {
            record_state: RecordState::Valid,
            record: Some("v=STSv1; id=20261101T000000".into()),
            id: Some("20261101T000000".into()),
            policy_url: "https://mta-sts.contoso.com/.well-known/mta-sts.txt".into(),
            fetch: Some(FetchReport {
                url: "https://mta-sts.contoso.com/.well-known/mta-sts.txt".into(),
                address: Some("203.0.113.80:443".into()),
                status: Some(200),
                location: None,
                content_type: Some("text/plain".into()),
                bytes: Some(96),
                elapsed_ms: 120,
                tls_version: Some("TLS 1.3".into()),
                certificate_trusted: Some(true),
                certificate_name_matches: Some(true),
                certificate_names: vec!["mta-sts.contoso.com".into()],
                error: None,
                stopped_by_deadline: false,
                failure: None,
            }),
            policy: Some(Policy {
                mode: Some(Mode::Enforce),
                max_age: Some(604_800),
                mx: vec!["mx1.contoso.com".into(), "*.contoso.com".into()],
                line_ends: "crlf".into(),
            }),
            in_effect: true,
            mx: vec![
                MxMatch {
                    host: "mx1.contoso.com".into(),
                    pattern: Some("mx1.contoso.com".into()),
                },
                MxMatch {
                    host: "mx2.contoso.com".into(),
                    pattern: Some("*.contoso.com".into()),
                },
            ],
            problems: vec![],
        }),
        tlsrpt: Some(TlsRptReport {
            state: TlsRptState::Valid,
            record: Some("v=TLSRPTv1; rua=mailto:tls-rpt@contoso.com,https://x.contoso.com/<b>*r*</b>\u{202E}".into()),
            rua: vec![
                "mailto:tls-rpt@contoso.com".into(),
                "https://x.contoso.com/<b>*r*</b>\u{202E}".into(),
            ],
            problems: vec![],
        }),
    };
    r.policy.insert("contoso.com".into(), policy);
    r
}

#[test]
fn policy_human_snapshot() {
    insta::assert_snapshot!(render(
        &policy_report(),
        Format::Human,
        RenderOptions::default()
    ));
}

#[test]
fn policy_human_verbose_snapshot() {
    let opts = RenderOptions {
        verbose: true,
        ..RenderOptions::default()
    };
    insta::assert_snapshot!(render(&policy_report(), Format::Human, opts));
}

#[test]
fn policy_markdown_snapshot() {
    insta::assert_snapshot!(render(
        &policy_report(),
        Format::Markdown,
        RenderOptions::default()
    ));
}

/// Every line of the policy section stays within 100 columns, and nothing hidden that DNS
/// or HTTP sent reaches the terminal raw.
#[test]
fn policy_section_is_narrow_and_escaped() {
    for verbose in [false, true] {
        let opts = RenderOptions {
            verbose,
            ..RenderOptions::default()
        };
        let text = render(&policy_report(), Format::Human, opts);
        let section = text.split("\nPolicy of ").nth(1).unwrap();
        for l in section.lines() {
            assert!(l.chars().count() <= 100, "too wide: {l}");
        }
        assert!(!text.contains('\u{202E}'));
        assert!(section.contains("\\u{202E}"));
    }
    let md = render(&policy_report(), Format::Markdown, RenderOptions::default());
    assert!(md.contains("\\<b\\>\\*r\\*\\</b\\>"), "{md}");
}
