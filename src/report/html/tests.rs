//! The page on fixed batches (fixed clock): escaping, counts, rows, chart buckets, the
//! script's hash, and one snapshot of the body.

use time::macros::datetime;

use super::*;
use crate::diagnose::fix::Family;
use crate::diagnose::{Code, Fix, Shell};
use crate::model::ClientCertOutcome;
use crate::report::batch::{Dane, Primary, Protection};

const NOW: OffsetDateTime = datetime!(2026-12-03 05:24:16 UTC);
const EVIL: &str = "<script>alert(1)</script>\"'&";

fn finding(code: Code, severity: Severity, summary: &str, endpoint: &str) -> Finding {
    Finding::new(
        code,
        severity,
        endpoint.into(),
        Vec::new(),
        summary.into(),
        vec![format!("evidence for {summary}")],
        Fix::new(Family::Generic, "test", &[])
            .say("Renew the certificate with `certbot renew`.")
            .run(
                Shell::Shell,
                format!("openssl s_client -starttls smtp -connect {endpoint}"),
            )
            .say("Then reload the server."),
    )
}

/// A row of `verdict` whose certificate has `days` left (none: no certificate).
fn row(target: &str, verdict: Verdict, days: Option<i64>, attention: Vec<Finding>) -> Row {
    let first = attention.first();
    Row {
        target: target.into(),
        verdict,
        headline: format!("{} {target}: something", verdict.label()),
        primary: Some(match first {
            Some(f) => Primary {
                code: f.code,
                severity: f.severity,
                summary: f.summary.clone(),
                endpoint: f.endpoint.clone(),
            },
            None => Primary {
                code: Code::StarttlsOk,
                severity: Severity::Info,
                summary: "STARTTLS works".into(),
                endpoint: format!("{target} [127.0.0.1]:25"),
            },
        }),
        days_left: days,
        not_after: days.map(|d| crate::cert::rfc3339(NOW + time::Duration::days(d))),
        endpoints: 1,
        attention,
        protection: Default::default(),
    }
}

fn batch(rows: Vec<Row>) -> Batch {
    let mut counts = Counts::default();
    for r in &rows {
        counts.add(r.verdict);
    }
    Batch {
        generated_at: NOW,
        counts,
        planned: rows.len(),
        rows,
    }
}

fn sample() -> Batch {
    let expired = finding(
        Code::CertExpired,
        Severity::Fail,
        "certificate expired 3 days ago (2026-11-30)",
        "mx1.contoso.test [127.0.0.2]:25",
    );
    let soon = finding(
        Code::CertExpiresSoon,
        Severity::Warn,
        "certificate expires in 10 days (2026-12-13)",
        "mail.fabrikam.test [127.0.0.3]:25",
    );
    let refused = finding(
        Code::StarttlsNotOffered,
        Severity::Fail,
        "STARTTLS is not offered",
        "mail.notls.test [127.0.0.4]:25",
    );
    batch(vec![
        row("contoso.test", Verdict::Fail, Some(-3), vec![expired]),
        row("fabrikam.test", Verdict::Warn, Some(10), vec![soon]),
        row("[mail.notls.test]", Verdict::Fail, None, vec![refused]),
        row("northwind.test", Verdict::Pass, Some(400), Vec::new()),
        row("woodgrove.test", Verdict::Pass, Some(40), Vec::new()),
    ])
}

/// The text between the page's one `<script>` and its end tag.
fn script_of(page: &str) -> &str {
    let start = page.find("<script>").expect("a script") + "<script>".len();
    let end = page[start..].find("</script>").expect("its end") + start;
    &page[start..end]
}

#[test]
fn every_row_string_is_escaped_and_only_our_script_is_a_script() {
    let mut evil = finding(Code::CertExpired, Severity::Fail, EVIL, EVIL);
    evil.evidence = vec![EVIL.into()];
    evil.fix = Fix::new(Family::Generic, "test", &[])
        .say(format!("{EVIL} and `{EVIL}`"))
        .run(Shell::Shell, EVIL);
    let mut r = row(EVIL, Verdict::Fail, Some(-1), vec![evil]);
    r.headline = EVIL.into();
    let page = render(&batch(vec![r]));
    assert!(!page.contains("<script>alert"), "{page}");
    assert_eq!(page.matches("<script").count(), 1, "one script, ours");
    assert!(!page.contains("\"'&\""), "a quote left raw");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"));
    // In an attribute too: the quote cannot end it.
    assert!(page.contains("data-target=\"&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;\""));
    // Headline, summary, endpoint, evidence, prose, code span and command, and the target
    // in its cell and its attribute.
    assert!(
        page.matches("&lt;script&gt;alert(1)").count() >= 9,
        "{page}"
    );
}

#[test]
fn the_tiles_show_the_counts() {
    let page = render(&sample());
    for (k, n) in [
        ("total", 5),
        ("fail", 2),
        ("unknown", 0),
        ("warn", 1),
        ("pass", 2),
    ] {
        let tile = format!("<span class=\"n\" data-count=\"{k}\">{n}</span>");
        assert!(page.contains(&tile), "no {tile}");
    }
    assert!(
        page.contains(
            "<title>STARTTLS report: 5 targets: 2 pass, 1 warn, 0 unknown, 2 fail</title>"
        )
    );
    assert!(page.contains("2 of 5 targets fail"));
}

#[test]
fn one_table_row_and_one_group_per_target_and_details_only_where_action_is_needed() {
    let page = render(&sample());
    assert_eq!(page.matches("<tr class=\"target\"").count(), 5);
    assert_eq!(page.matches("<tbody class=\"v-").count(), 5);
    assert_eq!(page.matches("<tr class=\"fixes\">").count(), 3);
    assert!(page.contains(
        "data-verdict=\"fail\" data-rank=\"0\" data-code=\"cert-expired\" data-days=\"-3\""
    ));
    // No certificate: an empty data-days, a dash in the cell.
    assert!(page.contains("data-code=\"starttls-not-offered\" data-days=\"\""));
    assert!(page.contains("title=\"no certificate seen\">—</span>"));
    assert!(page.contains("<span class=\"d\">expired</span><span class=\"ago\">3 days ago</span><time datetime=\"2026-11-30T05:24:16Z\">2026-11-30</time>"));
}

#[test]
fn a_fix_shows_prose_code_spans_and_commands_with_their_shell() {
    let page = render(&sample());
    assert!(page.contains(
        "<p class=\"fix\"><b>Fix:</b> Renew the certificate with <code>certbot renew</code>.</p>"
    ));
    assert!(page.contains(
        "<figcaption>shell</figcaption><pre><code>openssl s_client -starttls smtp -connect mx1.contoso.test [127.0.0.2]:25</code></pre>"
    ));
    assert!(page.contains("<p class=\"fix\">Then reload the server.</p>"));
}

#[test]
fn expiry_lands_in_the_right_month_and_the_edges_in_their_own_buckets() {
    let e = Expiry::of(&sample());
    let mut months = [0; CHART_MONTHS];
    months[0] = 1; // 10 days: 2026-12-13, this month
    months[1] = 1; // 40 days: 2027-01-12
    assert_eq!(
        e,
        Expiry {
            start: (2026, 12),
            expired: 1,
            months,
            later: 1, // 400 days: 2028-01-07
            none: 1,
        }
    );
    assert_eq!(e.month(1), (2027, 1));
    assert_eq!(e.month(11), (2027, 11));
    let page = render(&sample());
    assert!(page.contains(
        "<g class=\"bar expired\" data-count=\"1\"><title>already expired: 1 target</title>"
    ));
    assert!(
        page.contains("<g class=\"bar soon\" data-count=\"1\"><title>Dec 2026: 1 target</title>")
    );
    assert!(
        page.contains("<g class=\"bar month\" data-count=\"1\"><title>Jan 2027: 1 target</title>")
    );
    assert!(page.contains(
        "<g class=\"bar later\" data-count=\"1\"><title>Dec 2027 or later: 1 target</title>"
    ));
    assert!(page.contains("1 target showed no certificate"));
}

#[test]
fn a_certificate_expiring_at_the_batch_time_counts_as_expired_and_the_last_month_is_in() {
    let mut gone = row("a.test", Verdict::Fail, Some(0), Vec::new());
    gone.not_after = Some(crate::cert::rfc3339(NOW));
    let mut last = row("b.test", Verdict::Pass, Some(362), Vec::new());
    last.not_after = Some("2027-11-30T23:59:59Z".into());
    let mut next = row("c.test", Verdict::Pass, Some(363), Vec::new());
    next.not_after = Some("2027-12-01T00:00:00Z".into());
    let e = Expiry::of(&batch(vec![gone, last, next]));
    assert_eq!((e.expired, e.months[11], e.later), (1, 1, 1));
}

#[test]
fn the_policy_allows_exactly_the_inline_script() {
    let page = render(&sample());
    let script = script_of(&page);
    let digest = ring::digest::digest(&ring::digest::SHA256, script.as_bytes());
    let policy = format!(
        "content=\"default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;; script-src &#39;sha256-{}&#39;;",
        base64(digest.as_ref())
    );
    assert!(page.contains(&policy), "no {policy}");
    assert!(page.contains("<meta charset=\"utf-8\">"));
    // Nothing is fetched: no URL but the SVG namespace.
    let urls = page.matches("http://").count() + page.matches("https://").count();
    assert_eq!(urls, page.matches("http://www.w3.org/2000/svg").count());
}

#[test]
fn base64_matches_rfc_4648_vectors() {
    for (plain, encoded) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64(plain.as_bytes()), encoded, "{plain}");
    }
    assert_eq!(base64(&[0xfb, 0xff]), "+/8=");
}

#[test]
fn the_value_axis_has_at_most_five_round_steps() {
    for (max, step) in [
        (1, 1),
        (5, 1),
        (6, 2),
        (10, 2),
        (11, 5),
        (25, 5),
        (26, 10),
        (900, 200),
    ] {
        assert_eq!(tick_step(max), step, "max {max}");
    }
}

#[test]
fn an_empty_batch_still_makes_a_page() {
    let page = render(&batch(Vec::new()));
    assert!(page.contains("No target was checked."));
    assert_eq!(page.matches("<tr class=\"target\"").count(), 0);
    assert!(page.ends_with("</html>\n"));
}

#[test]
fn body_snapshot() {
    let page = render(&sample());
    assert_eq!(page, render(&sample()), "the same batch, the same bytes");
    let body = &page[page.find("<body>").expect("body")..page.find("<script>").expect("script")];
    insta::assert_snapshot!(body);
}

#[test]
fn an_interrupted_run_says_so_above_the_tiles() {
    let mut b = sample();
    assert!(!render(&b).contains("Interrupted"));
    b.planned = b.rows.len() + 7;
    let page = render(&b);
    let note = format!(
        "Interrupted: {} of {} targets were checked; the others are not in this report.",
        b.rows.len(),
        b.planned
    );
    let at = page.find(&note).expect("the note");
    assert!(at < page.find("class=\"tiles\"").unwrap());
    assert!(page.contains("(interrupted)</title>"));
}

#[test]
fn hidden_characters_are_shown_as_text_not_as_references() {
    // A character reference (`&#x202E;`) would render the override all the same.
    let page = Esc("a\u{202E}b\u{2028}c\u{E0041}d\u{AD}e\u{85}f<").to_string();
    assert_eq!(
        page,
        "a\\u{202E}b\\u{2028}c\\u{E0041}d\\u{00AD}e\\u{0085}f&lt;"
    );
    // Newlines and tabs are layout (commands in a `<pre>`).
    assert_eq!(Esc("x\n\ty").to_string(), "x\n\ty");
}

/// The cells of the TLS policy column, in row order: each tag's class and words.
fn policy_cells(page: &str) -> Vec<Vec<(String, String)>> {
    page.split("<td class=\"policy\">")
        .skip(1)
        .map(|cell| {
            let cell = &cell[..cell.find("</td>").unwrap()];
            cell.split("<span class=\"tag ")
                .skip(1)
                .map(|t| {
                    let class = t[..t.find('"').unwrap()].to_string();
                    let text = t[t.find('>').unwrap() + 1..t.find("</span>").unwrap()].to_string();
                    (class, text)
                })
                .collect()
        })
        .collect()
}

#[test]
fn without_any_policy_fact_there_is_no_policy_column() {
    let page = render(&sample());
    assert!(!page.contains("TLS policy"), "a column of dashes");
    assert!(!page.contains("data-policy"));
    assert!(page.contains("colspan=\"5\""));
}

#[test]
fn the_policy_column_shows_each_fact_as_a_tag_and_sorts_broken_first() {
    let mut enforced = row("contoso.test", Verdict::Pass, Some(80), Vec::new());
    enforced.protection = Protection {
        dane: Some(Dane::Matched { ok: 2, of: 2 }),
        mta_sts: Some("enforce"),
        tlsrpt: Some(true),
        client_cert: None,
    };
    let mismatch = finding(
        Code::DaneNoMatch,
        Severity::Fail,
        "no TLSA record matches",
        "mx1.fabrikam.test [127.0.0.3]:25",
    );
    let mut broken = row("fabrikam.test", Verdict::Fail, Some(80), vec![mismatch]);
    broken.protection = Protection {
        dane: Some(Dane::Matched { ok: 1, of: 2 }),
        mta_sts: Some("error"),
        tlsrpt: Some(false),
        client_cert: Some(ClientCertOutcome::Refused),
    };
    let mut testing = row("northwind.test", Verdict::Pass, Some(80), Vec::new());
    testing.protection = Protection {
        dane: Some(Dane::NotPublished),
        mta_sts: Some("testing"),
        tlsrpt: Some(true),
        client_cert: Some(ClientCertOutcome::AcceptedAfterEhlo),
    };
    let mut nothing = row("woodgrove.test", Verdict::Pass, Some(80), Vec::new());
    nothing.protection = Protection {
        dane: Some(Dane::Unjudged),
        mta_sts: Some("missing"),
        tlsrpt: Some(false),
        client_cert: Some(ClientCertOutcome::NotRequested),
    };
    let unchecked = row("[mail.host.test]", Verdict::Pass, Some(80), Vec::new());
    let page = render(&batch(vec![enforced, broken, testing, nothing, unchecked]));
    let s = |c: &str, t: &str| (c.to_string(), t.to_string());
    assert_eq!(
        policy_cells(&page),
        [
            vec![
                s("pass", "DANE"),
                s("pass", "MTA-STS enforce"),
                s("pass", "TLS-RPT")
            ],
            vec![
                s("fail", "DANE 1/2 fail"),
                s("fail", "MTA-STS broken"),
                s("none", "no TLS-RPT"),
                s("fail", "client cert refused"),
            ],
            vec![
                s("none", "no DANE"),
                s("info", "MTA-STS testing"),
                s("pass", "TLS-RPT"),
                s("pass", "client cert accepted"),
            ],
            vec![
                s("none", "DANE not judged"),
                s("none", "no MTA-STS"),
                s("none", "no TLS-RPT"),
                s("none", "client cert not asked"),
            ],
            vec![],
        ]
    );
    assert!(page.contains(
        "<td class=\"policy\"><span class=\"muted\" title=\"no TLS policy checked\">—</span></td>"
    ));
    assert!(page.contains("data-key=\"policy\""), "a sortable heading");
    assert!(page.contains("<col class=\"c-policy\">"));
    assert!(
        page.contains("colspan=\"6\""),
        "the fixes row spans the new column"
    );
    let ranks: Vec<&str> = page
        .split("data-policy=\"")
        .skip(1)
        .map(|r| &r[..1])
        .collect();
    assert_eq!(
        ranks,
        ["3", "0", "2", "1", "1"],
        "enforced, broken, reporting, nothing, unchecked"
    );
    assert!(
        page.contains("title=\"no TLSA record matches on 1 of 2 endpoints: DANE senders defer mail to them (RFC 7672)\""),
        "{page}"
    );
    assert!(
        script_of(&page).contains("policy: function (r)"),
        "the script sorts by it"
    );
}
