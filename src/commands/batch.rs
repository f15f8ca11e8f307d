//! Batch mode: many targets, one report each. The engine hands each report over as soon as
//! it is complete; JSON Lines writes it at once, the other formats keep what they need (a
//! row, and for a target that needs action its rendered details; JSON keeps the reports) and
//! write in the order the targets were given once the last is done.

use std::io::{IsTerminal, Write};
use std::time::Instant;

use time::OffsetDateTime;

use crate::batch::{Shard, Targets};
use crate::cli::ProbeArgs;
use crate::dns::LazyResolver;
use crate::engine::{self, Event};
use crate::exit;
use crate::report::batch::{Batch, Counts, Document, Row};
use crate::report::{self, Format, RenderOptions, Report, progress::Progress, redact};

/// What the run writes, per format, as reports arrive.
struct Sink<'a> {
    format: Format,
    opts: RenderOptions,
    out: &'a mut dyn Write,
    /// The command line as run: the document's; each report gets its own.
    invocation: String,
    rerun: super::check::Rerun,
    /// Targets to check.
    total: usize,
    counts: Counts,
    rows: Vec<Option<Row>>,
    details: Vec<Option<String>>,
    reports: Vec<Option<Box<Report>>>,
    /// Stdout is gone (`| head`): stop writing, and stop the run.
    closed: bool,
    /// A write failed otherwise.
    failed: Option<std::io::Error>,
    /// Reports in a row whose lookups the resolver failed, until the warning is given.
    resolver_failures: Option<usize>,
    /// `--redact`: one mapping for the whole run, so a host is the same placeholder in
    /// every report, the table and every line of a JSON Lines stream.
    redactor: Option<redact::Redactor>,
    /// Notes for stderr kept until the output is written (see [`Sink::note`]).
    deferred: Vec<String>,
    /// `--format prometheus`: every target's name, in job order, so that an interrupted run
    /// writes `up 0` for those it did not finish instead of leaving them out.
    names: Vec<String>,
}

/// After this many targets in a row whose lookups failed, stderr says the resolver is not
/// answering: each such target costs up to three timeouts, so a survey through a dead
/// resolver would otherwise run for hours in silence.
const DEAD_RESOLVER_AFTER: usize = 20;

impl Sink<'_> {
    /// Counts the targets in a row whose lookups the resolver failed; the note, once.
    fn watch_resolver(&mut self, report: &Report) -> Option<String> {
        let failed = report
            .findings
            .iter()
            .any(|f| f.code == crate::diagnose::Code::DnsLookupFailed);
        let run = self.resolver_failures.as_mut()?;
        *run = if failed { *run + 1 } else { 0 };
        if *run < DEAD_RESOLVER_AFTER {
            return None;
        }
        self.resolver_failures = None;
        Some(format!(
            "starttls-check: the resolver failed the lookups of the last {DEAD_RESOLVER_AFTER} targets in a row (each costs up to three --timeout); check --resolver or the system's resolver\n"
        ))
    }

    /// Writes a note to stderr, or for `--format nagios` keeps it until the output is
    /// written: a plugin's first line must be its status line, and Icinga 2 reads a
    /// plugin's stderr with its stdout.
    fn note(&mut self, note: String) {
        if self.format == Format::Nagios {
            self.deferred.push(note);
        } else {
            let _ = report::emit(&mut std::io::stderr().lock(), &note);
        }
    }

    /// Takes a target's report; a report JSON Lines could not deliver is not counted.
    fn take(&mut self, job: usize, mut report: Box<Report>) {
        if let Some(note) = self.watch_resolver(&report) {
            self.note(note);
        }
        let mut named: Vec<&str> = report.endpoints.iter().map(|e| e.host.as_str()).collect();
        named.extend(report.mx.iter().map(|m| m.exchange.as_str()));
        let target = report.target.parse::<crate::target::Target>().ok();
        if let Some(crate::target::Host::Name(n)) = target.as_ref().map(|t| &t.host) {
            named.push(n);
        }
        let invocation = target.as_ref().map(|t| self.rerun.command(t, &named));
        report.invocation = invocation;
        redact::report(&mut self.redactor, &mut report);
        match self.format {
            Format::Jsonl => {
                let line = report::render(&report, Format::Jsonl, self.opts);
                let line = redact::text(&mut self.redactor, line);
                self.write(&line);
                if self.stopped() {
                    return;
                }
                self.counts.add(report.verdict);
            }
            Format::Json => {
                self.counts.add(report.verdict);
                self.reports[job] = Some(report);
            }
            Format::Nagios | Format::Prometheus => {
                self.counts.add(report.verdict);
                // Neither writes a transcript: a survey need not hold them.
                for e in &mut report.endpoints {
                    e.transcript = Vec::new();
                }
                self.reports[job] = Some(report);
            }
            Format::Human | Format::Markdown | Format::Html => {
                self.counts.add(report.verdict);
                let row = Row::of(&report);
                if row.needs_action() && self.format != Format::Html {
                    let opts = RenderOptions {
                        tool_line: false,
                        ..self.opts
                    };
                    let text = report::render(&report, self.format, opts);
                    self.details[job] = Some(redact::text(&mut self.redactor, text));
                }
                self.rows[job] = Some(row);
            }
        }
    }

    /// Stdout is closed or failed: nothing more can be delivered.
    fn stopped(&self) -> bool {
        self.closed || self.failed.is_some()
    }

    fn write(&mut self, text: &str) {
        if self.stopped() {
            return;
        }
        match self
            .out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.flush())
        {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => self.closed = true,
            Err(e) => self.failed = Some(e),
        }
    }

    /// Writes what the format keeps for the end.
    fn finish(&mut self, now: OffsetDateTime, interrupted: bool) {
        let text = match self.format {
            Format::Jsonl => return,
            Format::Json | Format::Nagios | Format::Prometheus => {
                let unchecked = self.unchecked();
                let reports: Vec<Box<Report>> = self.reports.drain(..).flatten().collect();
                let invocation = Some(self.invocation.clone());
                let doc = Document::new(&reports, now, invocation, self.total, interrupted);
                report::render_document(&doc, self.format, &unchecked)
            }
            Format::Human | Format::Markdown | Format::Html => {
                let batch = Batch {
                    generated_at: now,
                    counts: self.counts,
                    rows: self.rows.drain(..).flatten().collect(),
                    planned: self.total,
                };
                let details: Vec<String> = self.details.drain(..).flatten().collect();
                match self.format {
                    Format::Human => report::human::render_batch(&batch, &details, self.opts),
                    Format::Markdown => report::markdown::render_batch(&batch, &details),
                    _ => report::html::render(&batch),
                }
            }
        };
        let text = redact::text(&mut self.redactor, text);
        self.write(&text);
    }
}

impl Sink<'_> {
    /// The names of the targets without a report (the run was interrupted before them), as
    /// their reports would name them; with `--redact`, their placeholders.
    fn unchecked(&mut self) -> Vec<String> {
        let names = std::mem::take(&mut self.names);
        let mut left = Vec::new();
        for (name, kept) in names.into_iter().zip(&self.reports) {
            if kept.is_none() {
                // `run` taught the redactor every target before the first report.
                left.push(redact::text(&mut self.redactor, name));
            }
        }
        left
    }
}

/// `total` empty slots, or none when the format does not keep this.
fn slots<T: Clone>(kept: bool, total: usize) -> Vec<Option<T>> {
    if kept { vec![None; total] } else { Vec::new() }
}

/// The progress line of a batch: targets done, the rate, the time left.
///
/// Near the end (`tail`: no more targets left than endpoints probed at once), the rate says
/// nothing about the few slow ones left, so the line names the endpoint waited for longest
/// instead of a time left.
fn progress_text(
    done: usize,
    total: usize,
    elapsed: f64,
    tail: usize,
    waiting: Option<&str>,
) -> String {
    let rate = if elapsed > 0.0 {
        done as f64 / elapsed
    } else {
        0.0
    };
    let left = total - done;
    let eta = match waiting {
        Some(w) if left <= tail => format!(", waiting for {w}"),
        // A rate from the first few targets says nothing about the rest.
        _ if rate > 0.0 && done >= 3 => {
            format!(", about {} left", human_secs(left as f64 / rate))
        }
        _ => String::new(),
    };
    format!("starttls-check: {done} of {total} targets done, {rate:.1}/s{eta}")
}

/// `42 s`, `3 min 5 s`, `2 h 10 min`.
fn human_secs(s: f64) -> String {
    let s = s.round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

/// Notes for stderr before the run: repeats dropped, the shard's share of the targets given.
fn notes(repeats: usize, shard: Option<(Shard, usize)>, kept: usize) -> Vec<String> {
    let mut notes = Vec::new();
    if repeats > 0 {
        notes.push(format!(
            "{repeats} repeated {} checked once",
            if repeats == 1 {
                "target is"
            } else {
                "targets are"
            }
        ));
    }
    if let Some((shard, given)) = shard {
        notes.push(format!(
            "shard {shard} holds {kept} of the {given} targets given (FNV-1a 64 of each target, modulo {})",
            shard.count
        ));
    }
    notes
}

impl<'a> Sink<'a> {
    /// A sink for `total` targets that keeps only what `format` needs: JSON Lines keeps
    /// nothing, so a survey of millions of targets holds only what is in flight.
    fn new(format: Format, opts: RenderOptions, out: &'a mut dyn Write, total: usize) -> Self {
        Sink {
            format,
            opts,
            out,
            invocation: super::check::invocation(std::env::args_os().skip(1)),
            rerun: super::check::Rerun::of(
                &std::env::args_os()
                    .skip(1)
                    .map(|a| a.to_string_lossy().into_owned())
                    .collect::<Vec<_>>(),
            ),
            total,
            counts: Counts::default(),
            rows: slots(
                matches!(format, Format::Human | Format::Markdown | Format::Html),
                total,
            ),
            details: slots(format == Format::Human || format == Format::Markdown, total),
            reports: slots(
                matches!(format, Format::Json | Format::Nagios | Format::Prometheus),
                total,
            ),
            closed: false,
            failed: None,
            resolver_failures: Some(0),
            redactor: redact::when(opts.redact),
            deferred: Vec::new(),
            names: Vec::new(),
        }
    }
}

/// Ctrl-C, or SIGTERM on Unix (what `timeout`, systemd and a Kubernetes eviction send): a long
/// survey then ends with what is done written out, not lost. A handler that cannot be
/// installed must not end the run at once.
pub(super) async fn interrupted_by_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = async {
            match signal(SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = ctrl_c => {}
            () = term => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}

/// Runs the jobs into `sink`, with the progress line; returns whether a signal ended the run.
fn drive(
    runtime: &tokio::runtime::Runtime,
    settings: &crate::settings::Settings,
    now: OffsetDateTime,
    jobs: Vec<Vec<crate::target::Target>>,
    sink: &mut Sink<'_>,
) -> bool {
    let resolver = LazyResolver::new(settings.probe.step_timeout, settings.resolvers.clone())
        .family(settings.routing.family);
    let (started, total) = (Instant::now(), jobs.len());
    let terminal = std::io::stderr().is_terminal() && super::terminal_escapes_work();
    let mut bar = Progress::new(terminal);
    bar.show(&progress_text(0, total, 0.0, 0, None), total > 0);
    let stop = tokio::sync::Notify::new();
    let mut interrupted = false;
    runtime.block_on(async {
        let tail = settings.concurrency;
        let mut waiting: Option<String> = None;
        let mut on_event = |event: Event<'_>| {
            match event {
                Event::Report { job, report } => {
                    // A line of JSON, or a note, on a terminal must not follow the progress
                    // line.
                    bar.finish();
                    sink.take(job, report);
                    if sink.stopped() {
                        stop.notify_one();
                    }
                }
                Event::Progress { waiting: w, .. } => {
                    // It names an endpoint: not with --redact.
                    waiting = w.filter(|_| !sink.opts.redact).map(String::from);
                }
            }
            if bar.enabled() {
                let done = sink.counts.total;
                let elapsed = started.elapsed().as_secs_f64();
                let text = progress_text(done, total, elapsed, tail, waiting.as_deref());
                bar.show(&text, done < total);
            }
        };
        let run = engine::run(settings, &resolver, now, jobs, &mut on_event);
        let interrupt = interrupted_by_signal();
        tokio::select! {
            () = run => {}
            () = stop.notified() => {}
            () = interrupt => interrupted = true,
        }
    });
    bar.finish();
    interrupted
}

/// Probes every target as a job of its own and writes the batch; returns the exit code: the
/// worst verdict, fail > unknown > warn > pass (at least unknown when Ctrl-C cut it short).
pub fn run(
    runtime: &tokio::runtime::Runtime,
    targets: Targets,
    args: &ProbeArgs,
    format: Format,
    opts: RenderOptions,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let given = targets.shard().map(|s| (s, targets.given));
    // An address of the family -4/-6 leaves out stops a one-target run as a usage error; in a
    // list it is one target among many, and its own report says the option left it out.
    let settings = args.settings(&[])?;
    let total = targets.list.len();
    let (started, now) = (Instant::now(), OffsetDateTime::now_utc());
    let mut sink = Sink::new(format, opts, out, total);
    redact::baseline(&mut sink.redactor, settings.policy.baseline.as_ref());
    let names: Vec<String> = targets.list.iter().map(ToString::to_string).collect();
    if let Some(r) = sink.redactor.as_mut() {
        r.learn_target_list(names.iter().map(String::as_str));
    }
    if format == Format::Prometheus {
        sink.names = names;
    }
    for note in notes(targets.repeats, given, targets.list.len()) {
        sink.note(format!("starttls-check: {note}\n"));
    }
    let jobs = targets.list.into_iter().map(|t| vec![t]).collect();
    let signalled = drive(runtime, &settings, now, jobs, &mut sink);
    let interrupted = signalled || sink.stopped();
    sink.finish(now, interrupted);
    let mut stderr = std::io::stderr().lock();
    for note in std::mem::take(&mut sink.deferred) {
        report::emit(&mut stderr, &note)?;
    }
    if let Some(e) = sink.failed {
        return Err(anyhow::Error::new(e).context("cannot write the output"));
    }
    let mut verdict = sink.counts.verdict();
    if interrupted {
        // Not every target was checked: nothing short of a failure is conclusive.
        verdict = verdict.max(crate::report::Verdict::Unknown);
        let why = if signalled {
            "interrupted"
        } else {
            "stdout closed"
        };
        let note = format!(
            "starttls-check: {why}: {} of {total} targets checked, the others not (exit {})\n",
            sink.counts.total,
            exit::for_verdict(verdict)
        );
        report::emit(&mut stderr, &note)?;
    }
    if format == Format::Jsonl || (format != Format::Human && stderr.is_terminal()) {
        let secs = started.elapsed().as_secs_f64();
        let summary = format!(
            "starttls-check: {} — worst {} (exit {}) in {secs:.2} s\n",
            sink.counts.line(),
            verdict.label(),
            exit::for_verdict(verdict)
        );
        report::emit(&mut stderr, &summary)?;
    }
    Ok(exit::for_verdict(verdict))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_says_done_rate_and_time_left() {
        let w = Some("mx.slow.example [192.0.2.7]:25");
        assert_eq!(
            progress_text(250, 1000, 10.0, 16, w),
            "starttls-check: 250 of 1000 targets done, 25.0/s, about 30 s left"
        );
        assert_eq!(
            progress_text(0, 10, 0.0, 16, None),
            "starttls-check: 0 of 10 targets done, 0.0/s"
        );
        assert_eq!(
            progress_text(2, 1000, 0.5, 16, w),
            "starttls-check: 2 of 1000 targets done, 4.0/s"
        );
        assert_eq!(
            progress_text(990, 1000, 10.0, 16, w),
            "starttls-check: 990 of 1000 targets done, 99.0/s, waiting for mx.slow.example [192.0.2.7]:25"
        );
        assert_eq!(human_secs(185.0), "3 min 5 s");
        assert_eq!(human_secs(7800.0), "2 h 10 min");
    }

    #[test]
    fn notes_name_repeats_and_the_shards_share() {
        let shard = Shard { index: 2, count: 8 };
        assert_eq!(
            notes(3, Some((shard, 1000)), 127),
            [
                "3 repeated targets are checked once",
                "shard 2/8 holds 127 of the 1000 targets given (FNV-1a 64 of each target, modulo 8)"
            ]
        );
        assert!(notes(0, None, 5).is_empty());
    }
}
