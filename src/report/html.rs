//! `--format html`: one self-contained page for a batch, the page a mail provider sends a
//! customer: the verdict counts as tiles, a chart of certificate expiry over the coming
//! twelve months, and a sortable table of the targets whose rows open onto their findings
//! and fixes.
//!
//! Self-contained means no request leaves the page: the style and the one small script are
//! inline, the chart is SVG drawn here, and a Content-Security-Policy allows only that
//! script, by its SHA-256. Everything a server sent (and every other string of a row) is
//! HTML-escaped; the policy is the second line of defence, so even an escaping bug could not
//! run injected script. The function is pure: the same batch gives the same bytes.

use std::fmt::{self, Write as _};

use time::OffsetDateTime;

use super::batch::{Batch, Counts, Row};
use super::{Run, Verdict, runs};
use crate::diagnose::{Finding, Severity, Step};

/// Months the chart shows one by one: this month and the eleven after it.
const CHART_MONTHS: usize = 12;

/// The page.
pub fn render(batch: &Batch) -> String {
    let mut out = String::with_capacity(24 * 1024 + batch.rows.len() * 1024);
    head(&mut out, batch);
    summary(&mut out, batch);
    chart(&mut out, &Expiry::of(batch));
    table(&mut out, batch);
    footer(&mut out, batch);
    out
}

/// Text as HTML element content or a quoted attribute value: the five characters HTML gives
/// meaning are replaced by character references, so no string can open a tag, close an
/// attribute or start an entity; a control, format or separator character
/// ([`crate::text::is_hidden`]) other than a newline or a tab is written as the text
/// `\u{XXXX}` (a character reference
/// would render the bidi override or the invisible mark all the same).
struct Esc<'a>(&'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        // A newline or a tab is layout in HTML (commands are joined with newlines in `<pre>`).
        let special = |c: char| {
            matches!(c, '&' | '<' | '>' | '"' | '\'')
                || (crate::text::is_hidden(c) && c != '\n' && c != '\t')
        };
        while let Some(i) = rest.find(special) {
            f.write_str(&rest[..i])?;
            let c = rest[i..].chars().next().unwrap_or_default();
            match c {
                '&' => f.write_str("&amp;")?,
                '<' => f.write_str("&lt;")?,
                '>' => f.write_str("&gt;")?,
                '"' => f.write_str("&quot;")?,
                '\'' => f.write_str("&#39;")?,
                c => write!(f, "\\u{{{:04X}}}", u32::from(c))?,
            }
            rest = &rest[i + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

/// The class (and `#sort=verdict` key) of a verdict.
fn key(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Warn => "warn",
        Verdict::Unknown => "unknown",
        Verdict::Fail => "fail",
    }
}

/// Sorting by verdict puts the worst first: what a reader clicks the column for.
fn rank(v: Verdict) -> u8 {
    match v {
        Verdict::Fail => 0,
        Verdict::Unknown => 1,
        Verdict::Warn => 2,
        Verdict::Pass => 3,
    }
}

/// `2026-12-03 05:24 UTC`.
fn human_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// Standard base64 with padding (RFC 4648 §4), for the CSP hash: ten lines instead of a
/// dependency.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The CSP source that allows exactly `script` (CSP Level 3, "hash-source").
fn script_hash(script: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, script.as_bytes());
    format!("'sha256-{}'", base64(digest.as_ref()))
}

/// The document head: the policy, the title with the counts, the style.
fn head(out: &mut String, batch: &Batch) {
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src {}; base-uri 'none'; form-action 'none'",
        script_hash(SCRIPT)
    );
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"{} {}\">\n\
         <title>STARTTLS report: {}</title>\n<style>{STYLE}</style>\n</head>\n",
        Esc(&csp),
        env!("CARGO_PKG_NAME"),
        env!("CARGO_PKG_VERSION"),
        Esc(&format!(
            "{}{}",
            batch.counts.line(),
            if batch.interrupted().is_some() {
                " (interrupted)"
            } else {
                ""
            }
        )),
    );
}

/// The sentence under the heading: what the counts mean for the customer's mail.
fn bottom_line(c: &Counts) -> String {
    let of = |n: usize| {
        if c.total == 1 {
            "The target".to_string()
        } else {
            format!("{n} of {} targets", c.total)
        }
    };
    if c.total == 0 {
        "No target was checked.".into()
    } else if c.fail > 0 {
        format!(
            "{} {}: senders that require TLS queue or bounce mail to them.",
            of(c.fail),
            if c.fail == 1 { "fails" } else { "fail" }
        )
    } else if c.unknown > 0 {
        format!(
            "Nothing fails, but {} could not be checked.",
            of(c.unknown).to_lowercase()
        )
    } else if c.warn > 0 {
        format!(
            "Nothing fails; {} {} attention before it does.",
            of(c.warn).to_lowercase(),
            if c.warn == 1 { "needs" } else { "need" }
        )
    } else {
        "Every target passes: STARTTLS works with a valid certificate.".into()
    }
}

/// The heading, the bottom line and the verdict tiles, which double as a filter of the table
/// (radio buttons and CSS `:has()`, no script).
fn summary(out: &mut String, batch: &Batch) {
    let c = &batch.counts;
    let _ = write!(
        out,
        "<body>\n<main>\n<header class=\"top\">\n<p class=\"eyebrow\">STARTTLS report</p>\n\
         <h1>{} {}</h1>\n<p class=\"lead\">{}</p>\n\
         <p class=\"meta\">Checked <time datetime=\"{}\">{}</time> by {} {}</p>\n</header>\n",
        c.total,
        if c.total == 1 {
            "mail target"
        } else {
            "mail targets"
        },
        Esc(&match batch.interrupted() {
            Some(_) if c.fail == 0 =>
                "Nothing fails so far, but not every target was checked: the run was interrupted."
                    .to_string(),
            _ => bottom_line(c),
        }),
        crate::cert::rfc3339(batch.generated_at),
        human_time(batch.generated_at),
        env!("CARGO_PKG_NAME"),
        env!("CARGO_PKG_VERSION"),
    );
    if let Some(note) = batch.interrupted() {
        let _ = writeln!(
            out,
            "<p class=\"lead\" role=\"alert\" style=\"color:#b3261e;font-weight:600\">{}</p>",
            Esc(&note)
        );
    }
    let tiles = [
        ("total", c.total, "targets", "choose a tile to filter"),
        ("fail", c.fail, "fail", "mail is refused or sent in clear"),
        ("unknown", c.unknown, "unknown", "could not be checked"),
        ("warn", c.warn, "warn", "works, needs attention"),
        ("pass", c.pass, "pass", "STARTTLS works"),
    ];
    let _ = writeln!(
        out,
        "<section class=\"tiles\" role=\"radiogroup\" aria-label=\"Targets by verdict (choose one to filter the table)\">"
    );
    for (k, n, label, hint) in tiles {
        let _ = writeln!(
            out,
            "<label class=\"tile {k}{}\"><input type=\"radio\" name=\"show\" id=\"show-{k}\"{}>\
             <span class=\"n\" data-count=\"{k}\">{n}</span><span class=\"l\">{label}</span>\
             <span class=\"h\">{hint}</span></label>",
            if n == 0 { " zero" } else { "" },
            if k == "total" { " checked" } else { "" }
        );
    }
    let _ = writeln!(out, "</section>");
    share_bar(out, c);
}

/// One bar split by verdict, in proportion: the shape of the counts at a glance.
fn share_bar(out: &mut String, c: &Counts) {
    if c.total == 0 {
        return;
    }
    let _ = write!(out, "<div class=\"share\" aria-hidden=\"true\">");
    for (k, n) in [
        ("fail", c.fail),
        ("unknown", c.unknown),
        ("warn", c.warn),
        ("pass", c.pass),
    ] {
        if n > 0 {
            // Per mille, so the widths add up to the bar whatever the count.
            let w = n * 1000 / c.total;
            let _ = write!(
                out,
                "<span class=\"{k}\" style=\"flex-grow:{w}\" title=\"{n} {k}\"></span>"
            );
        }
    }
    let _ = writeln!(out, "</div>");
}

/// When each target's first leaf certificate to expire runs out, counted by month.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Expiry {
    /// The first month shown (the month the batch was made in), as (year, month 1-12).
    start: (i32, u8),
    /// Already expired when the batch was made.
    expired: usize,
    /// This month and the eleven after it.
    months: [usize; CHART_MONTHS],
    /// After those.
    later: usize,
    /// Targets that showed no certificate.
    none: usize,
}

/// The end of validity of a row's certificate: its `not_after` as written, or, should that
/// not parse, the batch time plus the days left.
fn expires_at(row: &Row, now: OffsetDateTime) -> Option<OffsetDateTime> {
    let parsed = row.not_after.as_deref().and_then(|s| {
        OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
    });
    parsed.or_else(|| row.days_left.map(|d| now + time::Duration::days(d)))
}

impl Expiry {
    /// Counts the rows of `batch` by when their certificate expires, from the batch's time.
    fn of(batch: &Batch) -> Self {
        let now = batch.generated_at.to_offset(time::UtcOffset::UTC);
        let mut e = Expiry {
            start: (now.year(), u8::from(now.month())),
            expired: 0,
            months: [0; CHART_MONTHS],
            later: 0,
            none: 0,
        };
        for row in &batch.rows {
            match expires_at(row, now).map(|t| t.to_offset(time::UtcOffset::UTC)) {
                None => e.none += 1,
                Some(t) if t <= now => e.expired += 1,
                Some(t) => {
                    let ahead = (i64::from(t.year()) - i64::from(now.year())) * 12
                        + i64::from(u8::from(t.month()))
                        - i64::from(u8::from(now.month()));
                    match usize::try_from(ahead).ok().filter(|&m| m < CHART_MONTHS) {
                        Some(m) => e.months[m] += 1,
                        None => e.later += 1,
                    }
                }
            }
        }
        e
    }

    /// The (year, month 1-12) of month `i` of the chart.
    fn month(&self, i: usize) -> (i32, u8) {
        let (y, m) = self.start;
        let zero_based = usize::from(m - 1) + i;
        (
            y + i32::try_from(zero_based / 12).unwrap_or(0),
            u8::try_from(zero_based % 12 + 1).unwrap_or(1),
        )
    }

    /// The chart's bars in order: expired, each month, later.
    fn bars(&self) -> Vec<Bar> {
        const NAMES: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let mut bars = vec![Bar {
            class: "expired",
            label: "expired",
            year: String::new(),
            long: "already expired".into(),
            count: self.expired,
        }];
        for (i, &count) in self.months.iter().enumerate() {
            let (y, m) = self.month(i);
            let name = NAMES[usize::from(m - 1)];
            bars.push(Bar {
                // This month's bar is the one to act on before the next report.
                class: if i == 0 { "soon" } else { "month" },
                label: name,
                // The year under the first month and under each January.
                year: if i == 0 || m == 1 {
                    y.to_string()
                } else {
                    String::new()
                },
                long: format!("{name} {y}"),
                count,
            });
        }
        let (y, m) = self.month(CHART_MONTHS);
        bars.push(Bar {
            class: "later",
            label: "later",
            year: String::new(),
            long: format!("{} {y} or later", NAMES[usize::from(m - 1)]),
            count: self.later,
        });
        bars
    }
}

/// One bar of the expiry chart.
struct Bar {
    /// Its class: `expired`, `soon` (this month), `month` or `later`.
    class: &'static str,
    /// Under the bar: `Jan`, `expired`.
    label: &'static str,
    /// The line under the label: the year, or nothing.
    year: String,
    /// For its tooltip and the table: `Jan 2027`, `already expired`.
    long: String,
    /// Targets in it.
    count: usize,
}

/// A step for the value axis (1, 2, 5, 10, 20, 50…) giving at most five gridlines above zero.
fn tick_step(max: usize) -> usize {
    let mut power = 1;
    loop {
        for k in [1, 2, 5] {
            if max.div_ceil(k * power) <= 5 {
                return k * power;
            }
        }
        power *= 10;
    }
}

/// The chart section: the SVG, a sentence for targets without a certificate, and the same
/// numbers as a table for screen readers and for copying.
fn chart(out: &mut String, e: &Expiry) {
    let bars = e.bars();
    let desc: Vec<String> = bars
        .iter()
        .map(|b| format!("{}: {}", b.long, b.count))
        .collect();
    let _ = writeln!(
        out,
        "<section class=\"card\" aria-labelledby=\"expiry-h\">\n<h2 id=\"expiry-h\">Certificate expiry</h2>\n\
         <p class=\"note\">Targets by the month in which the first of their leaf certificates \
         runs out (UTC).</p>"
    );
    // A phone scrolls the chart sideways rather than shrink its labels out of reach.
    let _ = writeln!(out, "<div class=\"scroll\">");
    svg(out, &bars, &desc.join("; "));
    let _ = writeln!(out, "</div>");
    if e.none > 0 {
        let _ = writeln!(
            out,
            "<p class=\"note\">{} {} no certificate (no TLS session was made) and {} not counted.</p>",
            e.none,
            if e.none == 1 {
                "target showed"
            } else {
                "targets showed"
            },
            if e.none == 1 { "is" } else { "are" }
        );
    }
    let _ = writeln!(
        out,
        "<details class=\"data\"><summary>The chart as a table</summary>\n\
         <table><thead><tr><th scope=\"col\">Expires</th><th scope=\"col\">Targets</th></tr></thead><tbody>"
    );
    for b in &bars {
        let _ = writeln!(
            out,
            "<tr data-bucket=\"{}\"><th scope=\"row\">{}</th><td>{}</td></tr>",
            b.class,
            Esc(&b.long),
            b.count
        );
    }
    let _ = writeln!(out, "</tbody></table></details>\n</section>");
}

// The chart's geometry, in SVG user units (the SVG scales to the page's width).
/// Width of the chart.
const W: usize = 960;
/// Height of the chart.
const H: usize = 250;
/// Room for the value axis's labels.
const LEFT: usize = 44;
/// Room for the count above the tallest bar.
const TOP: usize = 16;
/// Height of the plot, below which the month labels sit.
const PLOT_H: usize = 170;

/// The bar chart as inline SVG: value axis with gridlines, one bar per bucket with its count
/// above it, month labels with the year under January and the first month.
fn svg(out: &mut String, bars: &[Bar], desc: &str) {
    let max = bars.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let step = tick_step(max);
    let top = max.div_ceil(step) * step;
    let y = |v: usize| TOP + PLOT_H - v * PLOT_H / top;
    let _ = writeln!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"chart-t chart-d\" \
         xmlns=\"http://www.w3.org/2000/svg\">\n<title id=\"chart-t\">Certificate expiry by month</title>\n\
         <desc id=\"chart-d\">{}</desc>",
        Esc(desc)
    );
    for v in (0..=top).step_by(step) {
        let _ = writeln!(
            out,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{right}\" y1=\"{gy}\" y2=\"{gy}\"/>\
             <text class=\"tick\" x=\"{tx}\" y=\"{ty}\" text-anchor=\"end\">{v}</text>",
            right = W - 8,
            gy = y(v),
            tx = LEFT - 6,
            ty = y(v) + 4
        );
    }
    let _ = writeln!(
        out,
        "<text class=\"axis\" transform=\"translate(12 {}) rotate(-90)\" text-anchor=\"middle\">targets</text>",
        TOP + PLOT_H / 2
    );
    let slot = (W - LEFT - 8) / bars.len().max(1);
    for (i, bar) in bars.iter().enumerate() {
        svg_bar(out, bar, LEFT + i * slot, slot, &y);
    }
    let _ = writeln!(
        out,
        "<line class=\"axisline\" x1=\"{LEFT}\" x2=\"{right}\" y1=\"{base}\" y2=\"{base}\"/>\n\
         <text class=\"axis\" x=\"{cx}\" y=\"{ty}\" text-anchor=\"middle\">month of expiry</text>\n</svg>",
        right = W - 8,
        base = TOP + PLOT_H,
        cx = LEFT + (W - LEFT) / 2,
        ty = H - 6
    );
}

/// One bar in its slot starting at `x`, `slot` wide, with its tooltip, count and labels;
/// `y` maps a count to its height on the value axis.
fn svg_bar(out: &mut String, bar: &Bar, x: usize, slot: usize, y: &dyn Fn(usize) -> usize) {
    let (n, mid) = (bar.count, x + slot / 2);
    let _ = write!(
        out,
        "<g class=\"bar {}\" data-count=\"{n}\"><title>{}: {n} {}</title>",
        bar.class,
        Esc(&bar.long),
        if n == 1 { "target" } else { "targets" }
    );
    if n > 0 {
        let _ = write!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"3\"/>\
             <text class=\"count\" x=\"{mid}\" y=\"{}\" text-anchor=\"middle\">{n}</text>",
            x + 6,
            y(n),
            slot - 12,
            TOP + PLOT_H - y(n),
            y(n) - 5
        );
    }
    let _ = writeln!(
        out,
        "<text class=\"label\" x=\"{mid}\" y=\"{}\" text-anchor=\"middle\">{}</text>\
         <text class=\"year\" x=\"{mid}\" y=\"{}\" text-anchor=\"middle\">{}</text></g>",
        TOP + PLOT_H + 18,
        Esc(bar.label),
        TOP + PLOT_H + 34,
        Esc(&bar.year)
    );
}

/// The targets table: one `<tbody>` per target (its row, and the row of its findings when it
/// has any), so sorting moves a target and its details together.
fn table(out: &mut String, batch: &Batch) {
    // The TLS policy column only when some target has a fact for it: a run with `--no-policy`
    // (or the demo, which has no DNSSEC or web server) would get a column of dashes.
    let policy = batch.rows.iter().any(|r| !r.protection.is_empty());
    let _ = writeln!(
        out,
        "<section class=\"card\" aria-labelledby=\"targets-h\">\n<h2 id=\"targets-h\">Targets</h2>\n\
         <p class=\"note howto\">In the order given until a column heading is chosen to sort by (the \
         address then links to that order); rows marked ▸ open onto what to fix.</p>\n<div class=\"scroll\">\n<table id=\"targets\" aria-labelledby=\"targets-h\">\n\
         <colgroup><col class=\"c-target\"><col class=\"c-verdict\"><col><col class=\"c-days\">{}\
         <col class=\"c-endpoints\"></colgroup>\n<thead><tr>",
        if policy {
            "<col class=\"c-policy\">"
        } else {
            ""
        }
    );
    let columns = [
        ("target", "Target", ""),
        ("verdict", "Verdict", ""),
        ("finding", "Primary finding", ""),
        ("days", "Days left", " class=\"num\""),
        ("policy", "TLS policy", ""),
        ("endpoints", "Endpoints", " class=\"num\""),
    ];
    for (k, label, class) in columns.into_iter().filter(|c| policy || c.0 != "policy") {
        let _ = write!(
            out,
            "<th scope=\"col\" data-key=\"{k}\" aria-sort=\"none\"{class}><button type=\"button\">{label}</button></th>"
        );
    }
    let _ = writeln!(out, "</tr></thead>");
    let now = batch.generated_at;
    for (i, row) in batch.rows.iter().enumerate() {
        target_row(out, i, row, now, policy);
    }
    let _ = writeln!(out, "</table>\n</div>\n</section>");
}

/// A target name, escaped, that may wrap after its dots and before a port: a long host name
/// breaks where a reader expects rather than mid-label.
fn breakable(target: &str) -> String {
    Esc(target)
        .to_string()
        .replace('.', ".<wbr>")
        .replace(":", "<wbr>:")
}

/// A target's row; its data attributes are what the script sorts by and what a test reads.
fn target_row(out: &mut String, index: usize, row: &Row, now: OffsetDateTime, policy: bool) {
    let v = key(row.verdict);
    let days = row.days_left.map(|d| d.to_string()).unwrap_or_default();
    let code = row.primary.as_ref().map(|p| p.code.as_str()).unwrap_or("");
    let policy_key = if policy {
        format!(" data-policy=\"{}\"", policy_rank(&row.protection))
    } else {
        String::new()
    };
    let _ = write!(
        out,
        "<tbody class=\"v-{v}\">\n<tr class=\"target\" data-index=\"{index}\" data-target=\"{}\" \
         data-verdict=\"{v}\" data-rank=\"{}\" data-code=\"{code}\" data-days=\"{days}\"{policy_key} data-endpoints=\"{}\">\
         <th scope=\"row\">{}</th><td class=\"verdict\"><span class=\"badge {v}\">{}</span></td>\
         <td class=\"primary\">",
        Esc(&row.target.to_lowercase()),
        rank(row.verdict),
        row.endpoints,
        breakable(&row.target),
        row.verdict.label(),
    );
    match &row.primary {
        Some(p) => {
            let _ = write!(
                out,
                "<code class=\"code {}\">{}</code> {}<span class=\"where\">{}</span>",
                sev_key(p.severity),
                p.code,
                Esc(&p.summary),
                Esc(&p.endpoint)
            );
        }
        None => {
            let _ = write!(out, "<span class=\"muted\">no finding</span>");
        }
    }
    let more = row.attention.len().saturating_sub(1);
    if more > 0 {
        let _ = write!(out, "<span class=\"more\">+{more} more</span>");
    }
    let _ = write!(out, "</td>");
    days_cell(out, row, now);
    if policy {
        policy_cell(out, &row.protection);
    }
    let _ = writeln!(
        out,
        "<td class=\"num endpoints\">{}</td></tr>",
        row.endpoints
    );
    if row.needs_action() && !row.attention.is_empty() {
        fixes(out, row, if policy { 6 } else { 5 });
    }
    let _ = writeln!(out, "</tbody>");
}

/// `warn` / `fail` / `info`: a severity's class.
fn sev_key(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Warn => "warn",
        Severity::Fail => "fail",
    }
}

/// The days left, coloured by urgency, with the date under it; a dash without a certificate.
fn days_cell(out: &mut String, row: &Row, now: OffsetDateTime) {
    let (Some(d), Some(at)) = (row.days_left, expires_at(row, now)) else {
        let _ = write!(
            out,
            "<td class=\"num days\"><span class=\"muted\" title=\"no certificate seen\">—</span></td>"
        );
        return;
    };
    let class = if at <= now {
        "fail"
    } else if d < 30 {
        "warn"
    } else {
        "ok"
    };
    let (text, ago) = if at <= now {
        // Whole days since it expired (`days_left` is rounded down: -1 an hour after).
        let ago = match (now - at).whole_days() {
            0 => "today".to_string(),
            1 => "1 day ago".to_string(),
            n => format!("{n} days ago"),
        };
        (
            "expired".to_string(),
            format!("<span class=\"ago\">{ago}</span>"),
        )
    } else {
        (d.to_string(), String::new())
    };
    let date = crate::cert::rfc3339(at);
    let _ = write!(
        out,
        "<td class=\"num days {class}\"><span class=\"d\">{text}</span>{ago}\
         <time datetime=\"{date}\">{}</time></td>",
        date.get(..10).unwrap_or(&date)
    );
}

/// One fact of the TLS policy column: its colour (a severity's or `none`), its words, and
/// what it means, for the tooltip.
type Tag = (&'static str, String, String);

/// The TLS policy facts of a row as tags, in the order DANE, MTA-STS, TLS-RPT, client
/// certificate; none when the target has no fact (the cell then shows a dash).
fn policy_tags(p: &super::batch::Protection) -> Vec<Tag> {
    [
        dane_tag(p.dane),
        mta_sts_tag(p.mta_sts),
        tlsrpt_tag(p.tlsrpt),
        client_cert_tag(p.client_cert),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn tag(class: &'static str, text: &str, title: impl Into<String>) -> Option<Tag> {
    Some((class, text.to_string(), title.into()))
}

/// DANE: matched on every endpoint it applies to, how many DANE senders defer to, or why
/// there is nothing to match.
fn dane_tag(dane: Option<super::batch::Dane>) -> Option<Tag> {
    use super::batch::Dane;
    match dane? {
        Dane::Matched { ok, of } if ok == of => tag(
            "pass",
            "DANE",
            format!(
                "a DNSSEC-signed TLSA record matches the certificate on {}",
                endpoints(of)
            ),
        ),
        Dane::Matched { ok, of } => tag(
            "fail",
            &format!("DANE {}/{of} fail", of - ok),
            format!(
                "no TLSA record matches on {} of {}: DANE senders defer mail to them (RFC 7672)",
                of - ok,
                endpoints(of)
            ),
        ),
        Dane::NotPublished => tag(
            "none",
            "no DANE",
            "no usable DNSSEC-signed TLSA records for these hosts (RFC 7672): DANE senders authenticate nothing",
        ),
        Dane::Unjudged => tag(
            "none",
            "DANE not judged",
            "the resolver's DNSSEC answers are not trusted (a resolver off this machine, not named with --trust-resolver), so DANE was not judged",
        ),
    }
}

/// MTA-STS by its mode word ([`super::policy::mta_sts_mode`]).
fn mta_sts_tag(mode: Option<&'static str>) -> Option<Tag> {
    match mode? {
        "enforce" => tag(
            "pass",
            "MTA-STS enforce",
            "senders that use MTA-STS refuse an MX host that fails the policy",
        ),
        mode @ ("testing" | "none") => tag(
            "info",
            &format!("MTA-STS {mode}"),
            format!("the policy is published in mode {mode}: senders deliver even when TLS fails"),
        ),
        "error" => tag(
            "fail",
            "MTA-STS broken",
            "a _mta-sts record is published but no valid policy could be read: senders use none",
        ),
        _ => tag("none", "no MTA-STS", "no _mta-sts TXT record (RFC 8461)"),
    }
}

/// TLS-RPT: one valid record, or none.
fn tlsrpt_tag(valid: Option<bool>) -> Option<Tag> {
    if valid? {
        tag(
            "pass",
            "TLS-RPT",
            "senders report TLS failures to the domain (RFC 8460)",
        )
    } else {
        tag(
            "none",
            "no TLS-RPT",
            "no valid _smtp._tls record: nobody hears of failed TLS deliveries",
        )
    }
}

/// What became of `--client-cert`.
fn client_cert_tag(outcome: Option<crate::model::ClientCertOutcome>) -> Option<Tag> {
    use crate::model::ClientCertOutcome as O;
    match outcome? {
        O::Accepted | O::AcceptedAfterEhlo => tag(
            "pass",
            "client cert accepted",
            "the server asked for a certificate and went on with ours (--client-cert); a server that only asks goes on even with one it does not trust, so a refusal is the only certain verdict (see client-cert-accepted)",
        ),
        O::Refused => tag(
            "fail",
            "client cert refused",
            "the server refused the certificate we presented (--client-cert)",
        ),
        O::Unknown => tag(
            "unknown",
            "client cert ?",
            "TLS 1.3: the session ended before the server said whether it accepted ours",
        ),
        O::NotRequested => tag(
            "none",
            "client cert not asked",
            "the server did not ask for a client certificate, so ours was not sent",
        ),
        O::NoneSent => tag(
            "unknown",
            "client cert not sent",
            "the server asked for a certificate and ours was not sent (see the client-cert findings)",
        ),
    }
}

/// "1 endpoint", "3 endpoints".
fn endpoints(n: usize) -> String {
    if n == 1 {
        "1 endpoint".into()
    } else {
        format!("{n} endpoints")
    }
}

/// The column's sort key: something broken first (0), then nothing published (1), only
/// reporting or a non-enforcing mode (2), DANE or MTA-STS enforce (3).
fn policy_rank(p: &super::batch::Protection) -> u8 {
    use super::batch::Dane;
    use crate::model::ClientCertOutcome as O;
    // From the facts, not from the tags' words: the same classes the tags are coloured by.
    let broken = matches!(p.dane, Some(Dane::Matched { ok, of }) if ok < of)
        || p.mta_sts == Some("error")
        || matches!(p.client_cert, Some(O::Refused | O::Unknown | O::NoneSent));
    let enforced = matches!(p.dane, Some(Dane::Matched { .. })) || p.mta_sts == Some("enforce");
    let something = p.tlsrpt == Some(true)
        || matches!(p.mta_sts, Some("testing" | "none"))
        || matches!(p.client_cert, Some(O::Accepted | O::AcceptedAfterEhlo));
    if broken {
        0
    } else if enforced {
        3
    } else if something {
        2
    } else {
        1
    }
}

/// The TLS policy cell: one tag per fact, its meaning in the tooltip.
fn policy_cell(out: &mut String, p: &super::batch::Protection) {
    let tags = policy_tags(p);
    let _ = write!(out, "<td class=\"policy\">");
    if tags.is_empty() {
        let _ = write!(
            out,
            "<span class=\"muted\" title=\"no TLS policy checked\">—</span>"
        );
    }
    for (class, text, title) in &tags {
        let _ = write!(
            out,
            "<span class=\"tag {class}\" title=\"{}\">{}</span>",
            Esc(title),
            Esc(text)
        );
    }
    let _ = write!(out, "</td>");
}

/// The row under a target that needs action: its findings with evidence and fix, closed
/// until opened (and opened for printing by the script).
fn fixes(out: &mut String, row: &Row, columns: usize) {
    let n = row.attention.len();
    let _ = writeln!(
        out,
        "<tr class=\"fixes\"><td colspan=\"{columns}\"><details><summary>What to fix: {n} {}</summary>\n\
         <p class=\"headline\">{}</p>",
        if n == 1 { "finding" } else { "findings" },
        Esc(&row.headline)
    );
    for f in &row.attention {
        finding(out, f, &row.attention);
    }
    let _ = writeln!(out, "</details></td></tr>");
}

/// One finding: severity, code, summary, where, the evidence and the fix.
fn finding(out: &mut String, f: &Finding, all: &[Finding]) {
    let s = sev_key(f.severity);
    let _ = writeln!(
        out,
        "<div class=\"finding {s}\"><p class=\"ftitle\"><span class=\"sev {s}\">{}</span> \
         <code>{}</code> {}</p>\n<p class=\"where\">{}</p>",
        f.severity.label(),
        f.code,
        Esc(&f.summary),
        Esc(&f.endpoint)
    );
    if !f.evidence.is_empty() {
        let _ = write!(out, "<ul class=\"evidence\">");
        for e in &f.evidence {
            let _ = write!(out, "<li>{}</li>", Esc(e));
        }
        let _ = writeln!(out, "</ul>");
    }
    match crate::diagnose::explained_by(f, all) {
        Some(c) => {
            let _ = writeln!(
                out,
                "<p class=\"fix\">Fix: as for <code>{}</code> (the same change fixes this).</p>",
                c.code
            );
        }
        None => steps(out, &f.fix.steps),
    }
    let _ = writeln!(out, "</div>");
}

/// A fix: prose as paragraphs (its `code spans` as code), each run of commands as a block
/// captioned with the shell to paste it into.
fn steps(out: &mut String, steps: &[Step]) {
    for (i, run) in runs(steps).into_iter().enumerate() {
        match run {
            Run::Prose(lines) => {
                for (j, line) in lines.iter().enumerate() {
                    let lead = if i == 0 && j == 0 { "<b>Fix:</b> " } else { "" };
                    let _ = writeln!(out, "<p class=\"fix\">{lead}{}</p>", prose(line));
                }
            }
            Run::Commands(shell, lines) => {
                let lead = if i == 0 { "<b>Fix</b> · " } else { "" };
                let _ = writeln!(
                    out,
                    "<figure class=\"cmd\"><figcaption>{lead}{}</figcaption><pre><code>{}</code></pre></figure>",
                    Esc(shell.label()),
                    Esc(&lines.join("\n"))
                );
            }
        }
    }
}

/// A line of fix prose with its backtick spans as `<code>`; a line with an unpaired backtick
/// is shown as written. Everything is escaped.
fn prose(line: &str) -> String {
    let parts: Vec<&str> = line.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return Esc(line).to_string();
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 0 {
                Esc(part).to_string()
            } else {
                format!("<code>{}</code>", Esc(part))
            }
        })
        .collect()
}

/// The footer, the script, the end.
fn footer(out: &mut String, batch: &Batch) {
    let _ = writeln!(
        out,
        "<footer>{} {} · {} · days left are counted from then; a target's certificate is \
         the first of its endpoints' leaf certificates to expire.</footer>\n</main>\n\
         <script>{SCRIPT}</script>\n</body>\n</html>",
        env!("CARGO_PKG_NAME"),
        env!("CARGO_PKG_VERSION"),
        human_time(batch.generated_at),
    );
}

/// Sorting by a column (click, or `#sort=KEY[-desc]` in the address, which makes a sorted
/// view linkable and testable without a click), and every row opened for printing. Ties keep
/// the order given; targets without a certificate sort last either way.
const SCRIPT: &str = r##"
(function () {
  "use strict";
  var table = document.getElementById("targets");
  if (!table) return;
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var attr = function (r, a) { return r.getAttribute("data-" + a); };
  var keys = {
    target: function (r) { return attr(r, "target"); },
    verdict: function (r) { return +attr(r, "rank"); },
    finding: function (r) { return attr(r, "code"); },
    days: function (r) { return attr(r, "days") === "" ? null : +attr(r, "days"); },
    policy: function (r) { return +attr(r, "policy"); },
    endpoints: function (r) { return +attr(r, "endpoints"); }
  };
  var current = "";
  function sort(key, desc) {
    var get = keys[key];
    if (!get) return;
    var groups = Array.prototype.slice.call(table.tBodies);
    groups.sort(function (a, b) {
      var ra = a.rows[0], rb = b.rows[0], x = get(ra), y = get(rb);
      if (x !== y) {
        if (x === null) return 1;
        if (y === null) return -1;
        return (x < y ? -1 : 1) * (desc ? -1 : 1);
      }
      // Ties: the worst verdict first (a failing target is not buried among passes with
      // the same days left), then the order given.
      return (attr(ra, "rank") - attr(rb, "rank")) || (attr(ra, "index") - attr(rb, "index"));
    });
    groups.forEach(function (g) { table.appendChild(g); });
    heads.forEach(function (th) {
      var on = attr(th, "key") === key;
      th.setAttribute("aria-sort", on ? (desc ? "descending" : "ascending") : "none");
    });
    current = key + (desc ? "-desc" : "");
  }
  function fromHash() {
    var m = /^#sort=([a-z]+)(-desc)?$/.exec(location.hash);
    if (m) sort(m[1], !!m[2]);
  }
  heads.forEach(function (th) {
    th.querySelector("button").addEventListener("click", function () {
      var key = attr(th, "key");
      sort(key, current === key);
      try { history.replaceState(null, "", "#sort=" + current); } catch (e) {}
    });
  });
  addEventListener("hashchange", fromHash);
  fromHash();
  addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (d) {
      d.open = true;
      d.setAttribute("data-print", "");
    });
  });
  addEventListener("afterprint", function () {
    document.querySelectorAll("details[data-print]").forEach(function (d) {
      d.open = false;
      d.removeAttribute("data-print");
    });
  });
})();
"##;

/// The page's style: system fonts only, colours by verdict, a table that scrolls sideways on
/// a phone, a dark scheme, and a print layout without the controls.
const STYLE: &str = r##"
:root {
  --bg: #f5f7fa; --card: #fff; --ink: #1f2328; --muted: #59636e; --line: #d8dee4;
  --pass: #1a7f37; --pass-bg: #dafbe1; --warn: #9a6700; --warn-bg: #fff8c5;
  --unknown: #8250df; --unknown-bg: #fbefff; --fail: #cf222e; --fail-bg: #ffebe9;
  --total: #0969da; --total-bg: #ddf4ff; --bar: #54aeff; --code-bg: #f6f8fa;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --card: #161b22; --ink: #e6edf3; --muted: #9198a1; --line: #30363d;
    --pass: #3fb950; --pass-bg: #12261e; --warn: #d29922; --warn-bg: #272115;
    --unknown: #ab7df8; --unknown-bg: #221a33; --fail: #f85149; --fail-bg: #2d1517;
    --total: #4493f8; --total-bg: #121d2f; --bar: #388bfd; --code-bg: #0d1117;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 20px 40px; }
.top { margin-bottom: 18px; }
.eyebrow { margin: 0; text-transform: uppercase; letter-spacing: .08em; font-size: 12px;
  font-weight: 600; color: var(--muted); }
h1 { margin: 2px 0 4px; font-size: 28px; line-height: 1.2; }
h2 { margin: 0 0 4px; font-size: 18px; }
.lead { margin: 0; font-size: 17px; }
.meta, .note, footer { color: var(--muted); font-size: 13px; }
.meta { margin: 4px 0 0; }
.note { margin: 0 0 12px; }
.tiles { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 12px; }
.tile { position: relative; display: flex; flex-direction: column; padding: 12px 14px;
  border-radius: 10px; border: 1px solid var(--line); border-top: 4px solid var(--c);
  background: var(--card); cursor: pointer; }
.tile input { position: absolute; opacity: 0; pointer-events: none; }
.tile .n { font-size: 32px; font-weight: 700; line-height: 1.1; color: var(--c);
  font-variant-numeric: tabular-nums; }
.tile .l { font-weight: 600; text-transform: uppercase; letter-spacing: .04em; font-size: 13px; }
.tile .h { color: var(--muted); font-size: 12px; }
.tile.zero .n { color: var(--muted); opacity: .55; }
.tile:has(input:checked) { background: var(--cbg); box-shadow: 0 0 0 2px var(--c) inset; }
.tile:has(input:focus-visible) { outline: 2px solid var(--total); outline-offset: 2px; }
.total { --c: var(--total); --cbg: var(--total-bg); }
.pass { --c: var(--pass); --cbg: var(--pass-bg); }
.warn { --c: var(--warn); --cbg: var(--warn-bg); }
.unknown { --c: var(--unknown); --cbg: var(--unknown-bg); }
.fail { --c: var(--fail); --cbg: var(--fail-bg); }
.info { --c: var(--muted); --cbg: var(--code-bg); }
.share { display: flex; height: 8px; margin: 12px 0 20px; border-radius: 4px; overflow: hidden;
  gap: 2px; }
.share span { background: var(--c); min-width: 4px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 16px 18px; margin: 0 0 20px; }
.chart { display: block; width: 100%; min-width: 600px; height: auto; }
.chart text { fill: var(--muted); font-size: 12px; }
.chart .count { fill: var(--ink); font-weight: 600; }
.chart .label { fill: var(--ink); }
.chart .axis { font-size: 12px; font-style: italic; }
.chart .grid { stroke: var(--line); stroke-dasharray: 2 3; }
.chart .axisline { stroke: var(--muted); }
.chart rect { fill: var(--bar); }
.chart .expired rect { fill: var(--fail); }
.chart .soon rect { fill: var(--warn); }
.chart .later rect { fill: var(--muted); }
details.data { margin-top: 8px; font-size: 13px; }
details.data table { border-collapse: collapse; margin-top: 6px; }
details.data th, details.data td { padding: 2px 12px 2px 0; text-align: left; }
.scroll { overflow-x: auto; }
#targets { width: 100%; border-collapse: collapse; font-size: 14px; table-layout: fixed; }
#targets col.c-target { width: 24%; }
#targets col.c-verdict { width: 108px; }
#targets col.c-days { width: 128px; }
#targets col.c-endpoints { width: 112px; }
#targets col.c-policy { width: 150px; }
.tag { display: inline-block; margin: 0 4px 3px 0; padding: 0 6px; border-radius: 4px;
  font-size: 12px; white-space: nowrap; color: var(--c); background: var(--cbg);
  border: 1px solid var(--c); }
.tag.none { --c: var(--muted); --cbg: transparent; border-style: dashed; }
#targets thead th { text-align: left; border-bottom: 2px solid var(--line); padding: 0; white-space: nowrap; }
#targets thead button { all: unset; cursor: pointer; display: block; padding: 8px 10px;
  font-weight: 600; }
#targets thead button:focus-visible { outline: 2px solid var(--total); }
#targets thead button::after { content: " ↕"; color: var(--line); }
#targets th[aria-sort=ascending] button::after { content: " ▲"; color: var(--total); }
#targets th[aria-sort=descending] button::after { content: " ▼"; color: var(--total); }
#targets .num { text-align: right; }
#targets tbody { border-bottom: 1px solid var(--line); }
#targets tbody:hover { background: var(--bg); }
#targets tr.target > * { padding: 9px 10px; vertical-align: top; }
#targets tr.target th { text-align: left; font-weight: 600; overflow-wrap: anywhere; }
#targets td.primary { overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px;
  font-weight: 700; letter-spacing: .03em; color: var(--c); background: var(--cbg);
  border: 1px solid var(--c); }
code { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  background: var(--code-bg); border: 1px solid var(--line); border-radius: 4px; padding: 0 4px; }
code.code { color: var(--c); }
.where { display: block; color: var(--muted); font-size: 12px; }
.more { display: inline-block; margin-top: 2px; font-size: 12px; color: var(--muted); }
.muted { color: var(--muted); }
.days .d { display: block; font-weight: 600; font-variant-numeric: tabular-nums; }
.days time, .days .ago { display: block; color: var(--muted); font-size: 12px; white-space: nowrap; }
.days.fail .ago { color: var(--fail); }
.days.fail .d { color: var(--fail); }
.days.warn .d { color: var(--warn); }
#targets tbody:has(tr.fixes) tr.target > * { padding-bottom: 2px; }
tr.fixes > td { padding: 0 10px 8px; }
tr.fixes summary { cursor: pointer; color: var(--total); font-size: 13px; font-weight: 600;
  padding: 2px 0; }
tr.fixes summary::marker { content: "▸ "; }
tr.fixes details[open] summary::marker { content: "▾ "; }
.headline { margin: 8px 0; font-weight: 500; overflow-wrap: anywhere; }
.finding { border-left: 3px solid var(--c); background: var(--bg); padding: 8px 12px;
  margin: 8px 0; border-radius: 0 6px 6px 0; }
.finding p { margin: 2px 0; overflow-wrap: anywhere; }
.ftitle { font-weight: 600; }
.sev { font-size: 11px; font-weight: 700; color: var(--c); letter-spacing: .04em; }
.evidence { margin: 4px 0; padding-left: 18px; color: var(--muted); font-size: 13px;
  word-break: break-word; }
figure.cmd { margin: 6px 0; }
figure.cmd figcaption { font-size: 12px; color: var(--muted); }
pre { margin: 2px 0 0; padding: 8px 10px; overflow-x: auto; background: var(--code-bg);
  border: 1px solid var(--line); border-radius: 6px; }
pre code { border: 0; padding: 0; background: none; white-space: pre; }
footer { margin-top: 8px; }
body:has(#show-pass:checked) #targets tbody:not(.v-pass),
body:has(#show-warn:checked) #targets tbody:not(.v-warn),
body:has(#show-unknown:checked) #targets tbody:not(.v-unknown),
body:has(#show-fail:checked) #targets tbody:not(.v-fail) { display: none; }
@media (max-width: 720px) {
  main { padding: 14px 10px 28px; }
  h1 { font-size: 22px; }
  .tiles { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .tile.total { grid-column: 1 / -1; }
  .tile .h { display: none; }
  .card { padding: 12px; }
  /* The table becomes one card per target, the headings a row of sort buttons. */
  #targets { table-layout: auto; }
  #targets colgroup { display: none; }
  #targets, #targets thead, #targets tbody, #targets tr, #targets th, #targets td { display: block; }
  #targets thead tr { display: flex; flex-wrap: wrap; gap: 6px; padding-bottom: 8px; }
  #targets thead th { border: 1px solid var(--line); border-radius: 999px; font-size: 13px; }
  #targets thead button { padding: 3px 10px; }
  #targets tr.target { display: grid; grid-template-columns: 1fr auto; gap: 4px 12px;
    padding: 10px 0 8px; }
  #targets tr.target > * { padding: 0; }
  #targets td.verdict { grid-column: 2; grid-row: 1; }
  #targets td.primary { grid-column: 1 / -1; }
  #targets td.days, #targets td.endpoints { text-align: left; font-size: 13px; }
  #targets td.endpoints { text-align: right; }
  .days .d, .days .ago, .days time { display: inline; margin-right: 6px; }
  #targets td.days::before { content: "days left: "; color: var(--muted); }
  #targets td.endpoints::before { content: "endpoints: "; color: var(--muted); }
  #targets td.policy { grid-column: 1 / -1; }
  tr.fixes > td { padding: 0 0 10px; }
}
@media print {
  :root { --bg: #fff; --card: #fff; }
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  .tile { cursor: auto; }
  .tile:has(input:checked) { box-shadow: none; background: var(--card); }
  .card { border: 0; padding: 0; }
  .scroll { overflow: visible; }
  #targets thead button::after, details.data { display: none; }
  #targets tbody { break-inside: avoid; display: table-row-group !important; }
  /* Paper cannot scroll sideways: long commands wrap. */
  pre, pre code { white-space: pre-wrap; overflow-wrap: anywhere; }
  .howto, .tile.total .h { display: none; }
}
"##;

#[cfg(test)]
mod tests;
