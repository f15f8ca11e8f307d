//! `starttls-check TARGET`: probe one target and report. Several targets, a targets file or
//! a shard make a batch (`super::batch`): one report per target.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};

use anyhow::Context;
use time::OffsetDateTime;

use crate::batch::{ListError, Targets};
use crate::cli::{BatchArgs, ProbeArgs};
use crate::dns::LazyResolver;
use crate::engine::{self, Event};
use crate::exit;
use crate::report::{self, Format, RenderOptions, Report, progress::Progress, redact};
use crate::target::Target;

/// The targets of the command line and `--targets-file` (of the shard, with `--shard`),
/// each once, in order. A list without a target is an error, never a pass.
fn gather(given: Vec<Target>, args: &BatchArgs) -> anyhow::Result<Targets> {
    let mut targets = Targets::new(args.shard);
    for t in given {
        targets.add(t);
    }
    let before = targets.given;
    match args.targets_file.as_deref() {
        Some(path) if path == std::path::Path::new("-") => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                let hint = "starttls-check: type the targets, one per line, then Ctrl-D (Ctrl-Z Enter on Windows)\n";
                report::emit(&mut std::io::stderr().lock(), hint)?;
            }
            crate::batch::parse("(stdin)", stdin.lock(), |t| targets.add(t))?;
        }
        Some(path) => {
            let name = path.display().to_string();
            let f = std::fs::File::open(path).map_err(|source| ListError::Read {
                name: name.clone(),
                source,
            })?;
            crate::batch::parse(&name, f, |t| targets.add(t))?;
        }
        None => return Ok(targets),
    }
    if targets.given == before {
        let name = match args.targets_file.as_deref() {
            Some(p) if p != std::path::Path::new("-") => p.display().to_string(),
            _ => "(stdin)".to_string(),
        };
        return Err(ListError::Empty { name }.into());
    }
    Ok(targets)
}

/// Probes the targets and writes the report (one target) or the batch (several, a targets
/// file or a shard) to `out`; returns the exit code.
pub fn run(
    runtime: &tokio::runtime::Runtime,
    given: Vec<Target>,
    batch_args: &BatchArgs,
    args: &ProbeArgs,
    format: Format,
    opts: RenderOptions,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let targets = gather(given, batch_args)?;
    if batch_args.targets_file.is_some() || batch_args.shard.is_some() || targets.list.len() > 1 {
        return super::batch::run(runtime, targets, args, format, opts, out);
    }
    let note = (targets.repeats > 0).then_some(
        "starttls-check: the same target was given more than once and is checked once\n",
    );
    // A Nagios plugin's first line is its status: Icinga 2 reads stderr with stdout.
    let (before, after) = if format == Format::Nagios {
        (None, note)
    } else {
        (note, None)
    };
    if let Some(note) = before {
        report::emit(&mut std::io::stderr().lock(), note)?;
    }
    let mut redactor = redact::when(opts.redact);
    let mut report = probe(runtime, targets.list, args, &mut redactor)?;
    report.invocation = Some(invocation(std::env::args_os().skip(1)));
    redact::report(&mut redactor, &mut report);
    let text = redact::text(&mut redactor, report::render(&report, format, opts));
    report::emit(out, &text)?;
    if let Some(note) = after {
        report::emit(&mut std::io::stderr().lock(), note)?;
    }
    Ok(exit::for_verdict(report.verdict))
}

/// Probes `targets` as one job (a progress line on a terminal's stderr, which names the
/// endpoint awaited unless there is a `redactor`: it learns the `--baseline`) and returns the
/// report, without its invocation.
pub(super) fn probe(
    runtime: &tokio::runtime::Runtime,
    targets: Vec<Target>,
    args: &ProbeArgs,
    redactor: &mut Option<redact::Redactor>,
) -> anyhow::Result<Box<Report>> {
    let settings = args.settings(&targets)?;
    redact::baseline(redactor, settings.policy.baseline.as_ref());
    let redact = redactor.is_some();
    let resolver = LazyResolver::new(settings.probe.step_timeout, settings.resolvers.clone())
        .family(settings.routing.family);
    // An old Windows console that cannot show escapes would print the progress line's \x1b[2K.
    let mut bar = Progress::new(std::io::stderr().is_terminal() && super::terminal_escapes_work());
    let mut done: Option<Box<Report>> = None;
    // SIGTERM (systemd, timeout(1), a CI job's cancel) or Ctrl-C ends the run as an error
    // in the run's format, exit 3: a monitoring format then still says `UNKNOWN` or
    // `starttls_check_up 0` instead of leaving an empty file behind.
    let on_event: &mut dyn FnMut(Event<'_>) = &mut |event| match event {
        Event::Progress {
            done,
            total,
            waiting,
        } => bar.update(done, total, waiting.filter(|_| !redact)),
        Event::Report { report, .. } => done = Some(report),
    };
    let interrupted = runtime.block_on(async {
        let run = engine::run(
            &settings,
            &resolver,
            OffsetDateTime::now_utc(),
            vec![targets],
            on_event,
        );
        tokio::select! {
            () = run => false,
            () = super::batch::interrupted_by_signal() => true,
        }
    });
    bar.finish();
    if interrupted {
        anyhow::bail!("interrupted by a signal before the probe finished: nothing was judged");
    }
    done.context("the run ended without a report")
}

/// What a batch's reports repeat of its command line, worked out once for the run: each
/// report's `invocation` is the command that checks that target alone, the batch's options
/// without the list (`--targets-file`, `--shard`) and the format, and only the `--resolve`
/// entries for its own hosts, so a ticket that gets one target's block can rerun it, never
/// sees the name of the provider's list, and a survey of a thousand `--resolve` entries does
/// not repeat them in every report.
pub(super) struct Rerun {
    /// The options every report keeps, quoted for a shell.
    kept: String,
    /// `--resolve` entries by host name (lower case), each quoted for a shell.
    resolves: HashMap<String, Vec<String>>,
}

impl Rerun {
    /// Reads the batch's command line (without the program name) once.
    pub(super) fn of(args: &[String]) -> Self {
        let (options, _) = crate::cli::split_words(args);
        let is = |w: &str, o: &str| w == o || w.strip_prefix(o).is_some_and(|r| r.starts_with('='));
        let quoted = |o: &[&String]| {
            o.iter()
                .map(|w| shell_word(w))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut kept = Vec::new();
        let mut resolves: HashMap<String, Vec<String>> = HashMap::new();
        for o in options {
            if ["--targets-file", "--shard", "--format"]
                .iter()
                .any(|b| is(o[0], b))
            {
                continue;
            }
            if is(o[0], "--resolve") {
                let value = o.get(1).map_or_else(
                    || o[0].split_once('=').map_or("", |(_, v)| v),
                    |v| v.as_str(),
                );
                let host = value.split(':').next().unwrap_or_default();
                resolves
                    .entry(host.to_ascii_lowercase())
                    .or_default()
                    .push(quoted(&o));
            } else {
                kept.push(quoted(&o));
            }
        }
        Rerun {
            kept: kept.join(" "),
            resolves,
        }
    }

    /// The command that checks `target` alone; `named`: the hosts its report names.
    pub(super) fn command(&self, target: &Target, named: &[&str]) -> String {
        let mut words = vec![
            "starttls-check".to_string(),
            shell_word(&target.to_string()),
        ];
        if !self.kept.is_empty() {
            words.push(self.kept.clone());
        }
        let mut seen = Vec::new();
        for n in named {
            let n = n.to_ascii_lowercase();
            if seen.contains(&n) {
                continue;
            }
            if let Some(r) = self.resolves.get(&n) {
                words.extend(r.iter().cloned());
            }
            seen.push(n);
        }
        words.join(" ")
    }
}

/// A word quoted for a POSIX shell, control characters escaped.
fn shell_word(word: &str) -> String {
    let a = crate::smtp::escape(word.as_bytes());
    let plain = !a.is_empty()
        && a.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@%+=:,./_-".contains(&b));
    if plain {
        a
    } else {
        format!("'{}'", a.replace('\'', r"'\''"))
    }
}

/// The command line as run, quoted for a POSIX shell so it can be pasted back: a ticket shows
/// the options that change the verdict (`--ca-file`, `--resolve`, `--expect-name`).
pub(super) fn invocation(args: impl Iterator<Item = std::ffi::OsString>) -> String {
    std::iter::once("starttls-check".to_string())
        .chain(args.map(|a| shell_word(&a.to_string_lossy())))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invocation_is_quoted_for_a_shell() {
        let args = [
            "contoso.com",
            "--ca-file",
            "my roots.pem",
            "--ehlo-name",
            "it's",
        ]
        .map(std::ffi::OsString::from);
        assert_eq!(
            invocation(args.into_iter()),
            r"starttls-check contoso.com --ca-file 'my roots.pem' --ehlo-name 'it'\''s'"
        );
    }

    #[test]
    fn a_batch_reports_each_target_with_the_command_that_checks_it_alone() {
        let words: Vec<String> = [
            "a.example",
            "--targets-file",
            "customers of ACME.txt",
            "--shard=2/8",
            "-p",
            "25,587",
            "--format",
            "markdown",
            "b.example",
            "--ca-file",
            "roots.pem",
            "-4v",
            "--resolve",
            "mx.c.example:127.0.0.5",
            "--resolve=mx.d.example:127.0.0.6",
            "--resolve=MX.C.example:127.0.0.7",
        ]
        .map(String::from)
        .to_vec();
        let t: Target = "[mx.c.example]:2525".parse().unwrap();
        assert_eq!(
            Rerun::of(&words).command(&t, &["mx.c.example", "MX.C.EXAMPLE"]),
            "starttls-check '[mx.c.example]:2525' -p 25,587 --ca-file roots.pem -4v \
             --resolve mx.c.example:127.0.0.5 --resolve=MX.C.example:127.0.0.7"
        );
    }
}
