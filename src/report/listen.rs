//! The `listen` report: every sender's session with its findings, in the human, Markdown and
//! JSON formats (JSON: `mode: "listen"` and a `sessions` array, `docs/report.schema.json`).

use time::OffsetDateTime;

use crate::listen::model::{ListenRun, SenderSession};
use crate::report::{Format, RenderOptions, Verdict};

/// The report of one `listen` run: the run, each session with its findings, the verdict.
#[derive(Debug, Clone)]
pub struct ListenReport {
    /// The verdict over every session (`unknown` when no sender came).
    pub verdict: Verdict,
}

/// Judges a finished run (the rules run here, once).
pub fn assemble(run: &ListenRun, now: OffsetDateTime) -> ListenReport {
    let _ = (run, now);
    ListenReport {
        verdict: Verdict::Unknown,
    }
}

/// What is printed when a session ends, before the run is over (human and Markdown; empty
/// for JSON, which is one document at the end).
pub fn render_session_live(
    session: &SenderSession,
    expect: &[String],
    now: OffsetDateTime,
    format: Format,
    opts: RenderOptions,
) -> String {
    let _ = (session, expect, now, format, opts);
    String::new()
}

/// What is printed when the run ends: the summary (human, Markdown) or the whole document
/// (JSON).
pub fn render_final(report: &ListenReport, format: Format, opts: RenderOptions) -> String {
    let _ = (report, format, opts);
    String::new()
}
