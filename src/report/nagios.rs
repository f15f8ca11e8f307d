//! `--format nagios`: what a Nagios or Icinga check plugin writes, so the binary is a check
//! command as it is, without a wrapper.
//!
//! ```text
//! STARTTLS CRITICAL - mail.contoso.com: certificate expired 3 days ago (2026-11-19) | days_left=-4;30:;7: time=0.412s
//! [CRITICAL] cert-expired mail.contoso.com [203.0.113.5]:25: certificate expired 3 days ago (2026-11-19)
//! ```
//!
//! The first line is the status (`OK`, `WARNING`, `CRITICAL`, `UNKNOWN` for pass, warn, fail,
//! unknown: the exit code says the same), the headline, and after ` | ` the performance data;
//! the lines after it are the long output, one finding each, with the state in brackets as
//! Icinga Web shows it. Several endpoints get one perfdata label each; several targets (a
//! batch) one status line for the worst, perfdata for every endpoint, and a line per target.
//!
//! # Performance data
//!
//! Written per the Nagios plugin development guidelines (section "Performance data") and
//! Icinga 2's plugin API: `'label'=value[UOM];[warn];[crit];[min];[max]`, labels quoted only
//! when they hold a space, `=` or a quote (a quote doubled inside). The thresholds are ranges
//! in the guidelines' syntax, `N:` ("alert when below N"): `days_left=364;30:;7:` warns below
//! `--warn-days` and is critical below `--fail-days`. A plain `30` would mean "alert outside
//! 0..30" (the guidelines' range `0:30`), which a grapher or anything else that evaluates the
//! thresholds reads as every healthy certificate being critical. `days_left` is rounded down, so it is below N exactly when
//! less than N days are left, the test the run applies. No unit for days: Icinga 2 refuses
//! units it does not know. `days_left` is left out for an endpoint that showed no
//! certificate, and `time` for one the run's deadline never let start, rather than written
//! as `U`, which Icinga 2 does not read.
//!
//! `crl_next_update_days=6;1:;0:` (`crl_next_update_days_<endpoint>` with several): whole
//! days from the run's start until the first CRL of the endpoint's chain announces its next
//! issue (nextUpdate, RFC 5280 §5.1.2.5), when a CRL was fetched. It falls steadily between
//! issues and jumps back when the CA publishes; a CA that stops publishing lets it pass 0
//! (critical, as `crl-stale` says), and it warns within the last day. Nothing else of the
//! policy is a number worth graphing: the rest are states, and the findings say them.
//!
//! # References
//! - Nagios Plugin Development Guidelines, "Plugin Output for Nagios" and "Performance data"
//!   (<https://www.monitoring-plugins.org/doc/guidelines.html>).
//! - Icinga 2, "Service Monitoring", "Plugin API" (performance data metrics).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::batch::Document;
use super::json::RunError;
use super::{EndpointReport, Expiry, Report, Verdict};
use crate::diagnose::{Finding, Severity};
use crate::target::Host;

/// The service name every status line starts with.
const SERVICE: &str = "STARTTLS";

/// Findings shown as long output for one target; the rest are counted in one line.
const MAX_FINDINGS: usize = 10;

/// The plugin state of a verdict: `OK`, `WARNING`, `CRITICAL`, `UNKNOWN`.
pub fn state(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "OK",
        Verdict::Warn => "WARNING",
        Verdict::Fail => "CRITICAL",
        Verdict::Unknown => "UNKNOWN",
    }
}

/// The state a finding is shown with: an inconclusive one is `UNKNOWN` whatever its severity.
fn finding_state(f: &Finding) -> &'static str {
    if f.code.inconclusive() {
        return "UNKNOWN";
    }
    match f.severity {
        Severity::Info => "OK",
        Severity::Warn => "WARNING",
        Severity::Fail => "CRITICAL",
    }
}

/// Text for the status line or the long output: every hidden character written as
/// `\u{XXXX}` (so it stays one line), and `|`, which would start the performance data, as
/// `¦`.
fn text(s: &str) -> String {
    crate::text::braced(s).replace('|', "¦")
}

/// A report's headline without the verdict word the status already says.
fn headline(report: &Report) -> &str {
    let h = report.headline.as_str();
    h.strip_prefix(report.verdict.label())
        .map_or(h, str::trim_start)
}

/// A perfdata label, quoted when it must be: a space, `=` or `'` inside (a quote doubled). A
/// `|` or a hidden character, which no label may hold, becomes `_`.
pub fn label(raw: &str) -> String {
    let clean: String = raw
        .chars()
        .map(|c| {
            if c == '|' || crate::text::is_hidden(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    if clean.contains([' ', '=', '\'']) || clean.is_empty() {
        format!("'{}'", clean.replace('\'', "''"))
    } else {
        clean
    }
}

/// One perfdata entry: `label=value[UOM][;warn:;crit:]`, the thresholds as "alert below"
/// ranges.
fn perf(out: &mut Vec<String>, name: &str, value: &str, uom: &str, thresholds: Option<Expiry>) {
    let mut s = format!("{}={value}{uom}", label(name));
    if let Some(t) = thresholds {
        let _ = write!(s, ";{}:;{}:", t.warn_days, t.fail_days);
    }
    out.push(s);
}

/// The `time` perfdata of an endpoint, unless the run's deadline never let it start (its 0 is
/// no time it took).
fn time_perf(out: &mut Vec<String>, name: &str, e: &EndpointReport) {
    if let Some(s) = e.probe_seconds() {
        perf(out, name, &s, "s", None);
    }
}

/// An endpoint as a label part, without spaces: `mx1.contoso.com[203.0.113.5]:25`, or
/// `203.0.113.5:25` for an address target. Written from the report's strings, not the typed
/// identity, so that with `--redact` it says `host-1[addr-1]:25` like the rest of the output.
fn endpoint_key(e: &EndpointReport) -> String {
    match &e.id.host {
        Host::Name(_) => format!("{}[{}]:{}", e.host, e.address, e.port),
        Host::Ip(_) if e.address.contains(':') => format!("[{}]:{}", e.address, e.port),
        Host::Ip(_) => format!("{}:{}", e.address, e.port),
    }
}

/// The performance data of some endpoints: with one, `days_left` and `time`; with several,
/// `days_left` of the first certificate to expire, then `days_left_<endpoint>` and
/// `time_<endpoint>` for each (an endpoint named twice, as two targets of a batch may share
/// one, once).
fn endpoint_perfdata<'a>(
    endpoints: impl Iterator<Item = &'a EndpointReport>,
    expiry: Expiry,
    now: Option<i64>,
) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let endpoints: Vec<&EndpointReport> =
        endpoints.filter(|e| seen.insert(endpoint_key(e))).collect();
    let days = |e: &EndpointReport| e.certificate.as_ref().map(|c| c.days_left);
    let mut out = Vec::new();
    if let [e] = endpoints.as_slice() {
        if let Some(d) = days(e) {
            perf(&mut out, "days_left", &d.to_string(), "", Some(expiry));
        }
        time_perf(&mut out, "time", e);
        crl_perf(&mut out, "crl_next_update_days", e, now);
        return out;
    }
    if let Some(d) = endpoints.iter().filter_map(|e| days(e)).min() {
        perf(&mut out, "days_left", &d.to_string(), "", Some(expiry));
    }
    for e in &endpoints {
        let key = endpoint_key(e);
        if let Some(d) = days(e) {
            let name = format!("days_left_{key}");
            perf(&mut out, &name, &d.to_string(), "", Some(expiry));
        }
        time_perf(&mut out, &format!("time_{key}"), e);
        crl_perf(&mut out, &format!("crl_next_update_days_{key}"), e, now);
    }
    out
}

/// Whole days (rounded down) until the first CRL of the endpoint's chain is due again
/// (nextUpdate), counted from the run's start (`generated_at`), so the number is a pure
/// function of the report. A CA that stops publishing lets it fall
/// below 0 (the crl-stale finding); the thresholds warn a day ahead: `;1:;0:`.
fn crl_perf(out: &mut Vec<String>, name: &str, e: &EndpointReport, now: Option<i64>) {
    let (Some(r), Some(now)) = (&e.revocation, now) else {
        return;
    };
    let next = r
        .observed
        .certificates
        .iter()
        .flat_map(|c| &c.crls)
        .filter_map(|c| c.crl.as_ref().and_then(|f| f.next_update))
        .map(|n| n.0)
        .min();
    if let Some(n) = next {
        let days = (n - now).div_euclid(86_400);
        out.push(format!("{}={days};1:;0:", label(name)));
    }
}

/// `STATUS - text | perfdata` (no ` | ` without perfdata), with a newline.
fn status_line(verdict: Verdict, summary: &str, perfdata: &[String]) -> String {
    let mut line = format!("{SERVICE} {} - {}", state(verdict), text(summary));
    if !perfdata.is_empty() {
        let _ = write!(line, " | {}", perfdata.join(" "));
    }
    line.push('\n');
    line
}

/// The long output of one report: its warn, fail and inconclusive findings (all of them when
/// it has none of those, so a pass says what works), at most [`MAX_FINDINGS`].
fn long_output(out: &mut String, report: &Report) {
    let attention: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Warn || f.code.inconclusive())
        .collect();
    let shown = if attention.is_empty() {
        report.findings.iter().collect()
    } else {
        attention
    };
    for f in shown.iter().take(MAX_FINDINGS) {
        let _ = writeln!(
            out,
            "[{}] {} on {}: {}",
            finding_state(f),
            f.code.as_str(),
            text(&f.endpoint),
            text(&f.summary)
        );
    }
    if shown.len() > MAX_FINDINGS {
        let _ = writeln!(
            out,
            "… {} more; `--format human` shows every finding and its fix",
            shown.len() - MAX_FINDINGS
        );
    }
}

/// An RFC 3339 time as Unix seconds.
fn unix(rfc3339: &str) -> Option<i64> {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(time::OffsetDateTime::unix_timestamp)
}

/// One target: the status line, then its findings.
pub fn render(report: &Report) -> String {
    let perfdata = endpoint_perfdata(
        report.endpoints.iter(),
        report.expiry,
        unix(&report.generated_at),
    );
    let mut out = status_line(report.verdict, headline(report), &perfdata);
    long_output(&mut out, report);
    out
}

/// Several targets: one status line for the worst verdict (the counts, then the headline of
/// the first target with it), perfdata for every endpoint, then a line per target, the worst
/// first.
pub fn render_batch(doc: &Document<'_>) -> String {
    // One run, one policy: every report carries the same thresholds.
    let expiry = doc.reports.first().map(|r| r.expiry).unwrap_or_default();
    let c = &doc.counts;
    let mut summary = c.line();
    if doc.interrupted {
        let _ = write!(
            summary,
            " (interrupted: {} of {} targets checked)",
            c.total, doc.targets
        );
    }
    // The first target, in the order given, with the worst verdict.
    let worst = doc.reports.iter().map(|r| r.verdict).max();
    let first_worst = doc
        .reports
        .iter()
        .find(|r| Some(r.verdict) == worst && r.verdict != Verdict::Pass);
    if let Some(r) = first_worst {
        let _ = write!(summary, " — {}", headline(r));
    }
    let mut perfdata = Vec::new();
    for (name, n) in [
        ("targets_pass", c.pass),
        ("targets_warn", c.warn),
        ("targets_unknown", c.unknown),
        ("targets_fail", c.fail),
    ] {
        perfdata.push(format!("{name}={n};;;0"));
    }
    let endpoints = doc.reports.iter().flat_map(|r| r.endpoints.iter());
    perfdata.extend(endpoint_perfdata(
        endpoints,
        expiry,
        unix(&doc.generated_at),
    ));
    let mut out = status_line(doc.verdict, &summary, &perfdata);
    let mut rows: Vec<&Report> = doc.reports.iter().map(AsRef::as_ref).collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.verdict));
    for r in rows {
        let _ = writeln!(out, "[{}] {}", state(r.verdict), text(headline(r)));
    }
    out
}

/// The status line of a run that stopped before any report: `STARTTLS UNKNOWN - target:
/// message`.
pub fn render_error(error: &RunError) -> String {
    let message = if error.target.is_empty() || error.batch {
        error.detail.message.clone()
    } else {
        format!("{}: {}", error.target, error.detail.message)
    };
    status_line(Verdict::Unknown, &message, &[])
}
