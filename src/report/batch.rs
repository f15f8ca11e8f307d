//! Batch mode's view of many reports (one per target): a row per target for the human table,
//! the HTML page and the summary, the counts by verdict, and the document `--format json`
//! writes for a batch.
//!
//! A row keeps what the table and the page show and nothing else (no transcript, no chain),
//! so a run over thousands of targets holds rows, not reports.

use time::OffsetDateTime;

use super::{Report, Tool, Verdict};
use crate::cert::rfc3339;
use crate::diagnose::{Code, Finding, Severity};

/// The finding a row leads with: the one that decides the target's verdict.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Primary {
    /// Its catalogue code.
    pub code: Code,
    /// Its severity.
    pub severity: Severity,
    /// Its one-line summary.
    pub summary: String,
    /// The endpoint or group it concerns.
    pub endpoint: String,
}

/// One target's line.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    /// The target as the report names it.
    pub target: String,
    /// Its verdict.
    pub verdict: Verdict,
    /// Its report's headline.
    pub headline: String,
    /// The finding that decides the verdict (`None` when the report has no finding).
    pub primary: Option<Primary>,
    /// Whole days until the first of its endpoints' leaf certificates expires (negative once
    /// expired); `None` when no endpoint showed a certificate.
    pub days_left: Option<i64>,
    /// That certificate's end of validity, RFC 3339 UTC.
    pub not_after: Option<String>,
    /// Endpoints probed.
    pub endpoints: usize,
    /// Its warn, fail and inconclusive findings, most important first: what the details and
    /// the page show.
    pub attention: Vec<Finding>,
    /// What its domain publishes about TLS and how its endpoints fare against it (the page's
    /// "TLS policy" column).
    pub protection: Protection,
}

/// A target's TLS policy in a few facts: DANE, MTA-STS, TLS-RPT, and what became of
/// `--client-cert`. A field is `None` when it was not checked (`--no-policy`, no
/// `--client-cert`) or does not apply (MTA-STS and TLS-RPT for a host target).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Protection {
    /// DANE (RFC 7672), when the policy was checked.
    pub dane: Option<Dane>,
    /// The MTA-STS mode word ([`super::policy::mta_sts_mode`]).
    pub mta_sts: Option<&'static str>,
    /// One valid TLS-RPT record published (RFC 8460).
    pub tlsrpt: Option<bool>,
    /// With `--client-cert`: the least happy outcome over the endpoints (refused, unknown,
    /// accepted, then not asked).
    pub client_cert: Option<crate::model::ClientCertOutcome>,
}

/// What DANE came to for a target's endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Dane {
    /// Endpoints whose chain a usable secure TLSA record matches, of the endpoints DANE
    /// applies to (at least one).
    Matched { ok: usize, of: usize },
    /// DANE applies to none of them: no secure, usable TLSA records.
    NotPublished,
    /// The resolver's AD bit is not trusted, so DNSSEC and DANE could not be judged.
    Unjudged,
}

impl Protection {
    /// The facts of a report.
    pub fn of(report: &Report) -> Self {
        use crate::model::ClientCertOutcome as O;
        let dane: Vec<bool> = report
            .endpoints
            .iter()
            .filter_map(|e| e.dane.as_ref().and_then(super::policy::dane_matched))
            .collect();
        // MTA-STS and TLS-RPT belong to the mail domain: the one entry that has them (a host
        // target has none).
        let domain = report
            .policy
            .values()
            .find(|p| p.mta_sts.is_some() || p.tlsrpt.is_some());
        let tlsrpt = domain
            .and_then(|p| p.tlsrpt.as_ref())
            .and_then(super::policy::tlsrpt_published);
        let rank = |o: O| match o {
            O::Refused => 0,
            O::Unknown => 1,
            O::NoneSent => 2,
            O::AcceptedAfterEhlo | O::Accepted => 3,
            O::NotRequested => 4,
        };
        let client_cert = report
            .endpoints
            .iter()
            .filter_map(|e| e.client_auth.as_ref())
            .filter(|a| a.source.is_some())
            .map(|a| a.outcome)
            .min_by_key(|o| rank(*o));
        Protection {
            dane: if !dane.is_empty() {
                Some(Dane::Matched {
                    ok: dane.iter().filter(|m| **m).count(),
                    of: dane.len(),
                })
            } else if report.policy.is_empty() {
                None
            } else if report.policy.values().any(|p| !p.resolver.trusted) {
                Some(Dane::Unjudged)
            } else {
                Some(Dane::NotPublished)
            },
            mta_sts: domain
                .and_then(|p| p.mta_sts.as_ref())
                .and_then(super::policy::mta_sts_mode),
            tlsrpt,
            client_cert,
        }
    }

    /// Nothing to show: no policy checked, no `--client-cert`.
    pub fn is_empty(&self) -> bool {
        *self == Protection::default()
    }
}

impl Row {
    /// The row of a report.
    pub fn of(report: &Report) -> Self {
        let first_cert = report
            .endpoints
            .iter()
            .filter_map(|e| e.certificate.as_ref())
            .min_by_key(|c| c.days_left);
        Row {
            target: report.target.clone(),
            verdict: report.verdict,
            headline: report.headline.clone(),
            primary: primary(report).map(|f| Primary {
                code: f.code,
                severity: f.severity,
                summary: f.summary.clone(),
                endpoint: f.endpoint.clone(),
            }),
            days_left: first_cert.map(|c| c.days_left),
            not_after: first_cert.map(|c| c.not_after.clone()),
            endpoints: report.endpoints.len(),
            attention: report
                .findings
                .iter()
                .filter(|f| f.severity >= Severity::Warn || f.code.inconclusive())
                .cloned()
                .collect(),
            protection: Protection::of(report),
        }
    }

    /// Whether the target needs someone to act (anything but pass).
    pub fn needs_action(&self) -> bool {
        self.verdict != Verdict::Pass
    }
}

/// The finding that decides a report's verdict: the first (findings are ranked) of the
/// verdict's own kind.
fn primary(report: &Report) -> Option<&Finding> {
    let f = &report.findings;
    let first = |p: &dyn Fn(&Finding) -> bool| f.iter().find(|x| p(x));
    match report.verdict {
        Verdict::Fail => first(&|x| x.severity == Severity::Fail),
        Verdict::Unknown => first(&|x| x.code.inconclusive()),
        Verdict::Warn => first(&|x| x.severity == Severity::Warn),
        Verdict::Pass => first(&|x| x.code == Code::StarttlsOk),
    }
    .or_else(|| f.first())
}

/// How many targets ended with each verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Targets reported.
    pub total: usize,
    /// Verdict pass.
    pub pass: usize,
    /// Verdict warn.
    pub warn: usize,
    /// Verdict unknown.
    pub unknown: usize,
    /// Verdict fail.
    pub fail: usize,
}

impl Counts {
    /// Counts one more target.
    pub fn add(&mut self, v: Verdict) {
        self.total += 1;
        match v {
            Verdict::Pass => self.pass += 1,
            Verdict::Warn => self.warn += 1,
            Verdict::Unknown => self.unknown += 1,
            Verdict::Fail => self.fail += 1,
        }
    }

    /// The worst verdict counted, in the order fail > unknown > warn > pass; pass for none.
    pub fn verdict(&self) -> Verdict {
        if self.fail > 0 {
            Verdict::Fail
        } else if self.unknown > 0 {
            Verdict::Unknown
        } else if self.warn > 0 {
            Verdict::Warn
        } else {
            Verdict::Pass
        }
    }

    /// `1000 targets: 950 pass, 30 warn, 5 unknown, 15 fail`.
    pub fn line(&self) -> String {
        format!(
            "{} {}: {} pass, {} warn, {} unknown, {} fail",
            self.total,
            if self.total == 1 { "target" } else { "targets" },
            self.pass,
            self.warn,
            self.unknown,
            self.fail
        )
    }
}

/// What every batch format starts from: when, the counts, and the rows in input order.
#[derive(Debug, Clone)]
pub struct Batch {
    /// When the run started.
    pub generated_at: OffsetDateTime,
    /// Counts by verdict.
    pub counts: Counts,
    /// One row per target, in the order the targets were given.
    pub rows: Vec<Row>,
    /// The targets the run was to check: more than the rows when Ctrl-C cut it short.
    pub planned: usize,
}

impl Batch {
    /// The verdict over the rows: the worst, and at least unknown when the run was cut
    /// short (not every target was checked), as the exit code.
    pub fn verdict(&self) -> Verdict {
        let worst = self.counts.verdict();
        if self.planned > self.rows.len() {
            worst.max(Verdict::Unknown)
        } else {
            worst
        }
    }

    /// The rows for a table a person reads: the worst verdicts first (fail, unknown, warn,
    /// pass), each in the order given, so a failure is not buried among a thousand passes.
    pub fn worst_first(&self) -> Vec<&Row> {
        let mut rows: Vec<&Row> = self.rows.iter().collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.verdict));
        rows
    }

    /// The targets that need action with their details (`details`: one per such row, in the
    /// rows' order), the worst first, as the table orders them.
    pub fn needing_action<'a>(&'a self, details: &'a [String]) -> Vec<(&'a Row, &'a String)> {
        let mut pairs: Vec<(&Row, &String)> = self
            .rows
            .iter()
            .filter(|r| r.needs_action())
            .zip(details)
            .collect();
        pairs.sort_by_key(|(r, _)| std::cmp::Reverse(r.verdict));
        pairs
    }

    /// `Interrupted: 340 of 1000 targets were checked; …`, when the run was cut short.
    pub fn interrupted(&self) -> Option<String> {
        (self.planned > self.rows.len()).then(|| {
            format!(
                "Interrupted: {} of {} targets were checked; the others are not in this report.",
                self.rows.len(),
                self.planned
            )
        })
    }
}

impl Batch {
    /// The batch of one report (`--format html` for one target).
    pub fn of_one(report: &Report) -> Self {
        let mut counts = Counts::default();
        counts.add(report.verdict);
        Batch {
            generated_at: time::OffsetDateTime::parse(
                &report.generated_at,
                &time::format_description::well_known::Rfc3339,
            )
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
            counts,
            rows: vec![Row::of(report)],
            planned: 1,
        }
    }
}

/// `--format json` for a batch: one document around every report, in input order.
#[derive(Debug, serde::Serialize)]
pub struct Document<'a> {
    /// Bumped only on an incompatible change (the same as a report's).
    pub schema_version: u32,
    /// This tool.
    pub tool: Tool,
    /// When the run started, RFC 3339 UTC.
    pub generated_at: String,
    /// The worst verdict over every target (fail > unknown > warn > pass).
    pub verdict: Verdict,
    /// Targets by verdict.
    pub counts: Counts,
    /// The targets the run was to check (more than `counts.total` when interrupted).
    pub targets: usize,
    /// Ctrl-C ended the run before every target was checked: the verdict is at least
    /// `unknown`, and the reports are those that were complete.
    pub interrupted: bool,
    /// The command line as run, quoted for a POSIX shell.
    pub invocation: Option<String>,
    /// One report per target, as `--format json` writes it for one target.
    pub reports: &'a [Box<Report>],
}

impl<'a> Document<'a> {
    /// The document over `reports`, made at `now`.
    pub fn new(
        reports: &'a [Box<Report>],
        now: OffsetDateTime,
        invocation: Option<String>,
        targets: usize,
        interrupted: bool,
    ) -> Self {
        let mut counts = Counts::default();
        for r in reports {
            counts.add(r.verdict);
        }
        Document {
            schema_version: 1,
            tool: Tool {
                name: env!("CARGO_PKG_NAME").into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            generated_at: rfc3339(now),
            verdict: if interrupted {
                counts.verdict().max(Verdict::Unknown)
            } else {
                counts.verdict()
            },
            counts,
            targets,
            interrupted,
            invocation,
            reports,
        }
    }

    /// Pretty-printed, with a trailing newline.
    pub fn render(&self) -> String {
        super::json::pretty(self)
    }
}
