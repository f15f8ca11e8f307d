//! `starttls-check TARGET`: probe one target and report. Several targets, a targets file or
//! a shard make a batch (`super::batch`): one report per target.

use std::io::{IsTerminal, Write};

use anyhow::Context;
use time::OffsetDateTime;

use crate::batch::Targets;
use crate::cli::{BatchArgs, ProbeArgs};
use crate::dns::LazyResolver;
use crate::engine::{self, Event};
use crate::exit;
use crate::report::{self, Format, RenderOptions, Report, progress::Progress};
use crate::target::Target;

/// The targets of the command line and `--targets-file`, each once, in order.
fn gather(given: Vec<Target>, file: Option<&str>) -> anyhow::Result<Targets> {
    let mut all = given;
    match file {
        Some("-") => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                let hint = "starttls-check: type the targets, one per line, then Ctrl-D (Ctrl-Z Enter on Windows)\n";
                report::emit(&mut std::io::stderr().lock(), hint)?;
            }
            all.extend(crate::batch::parse("(stdin)", stdin.lock())?);
        }
        Some(path) => {
            let f = std::fs::File::open(path)
                .with_context(|| format!("cannot open the targets file {path}"))?;
            all.extend(crate::batch::parse(path, f)?);
            if all.is_empty() {
                anyhow::bail!("the targets file {path} holds no target");
            }
        }
        None => {}
    }
    Ok(Targets::distinct(all))
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
    let targets = gather(given, batch_args.targets_file.as_deref())?;
    if batch_args.targets_file.is_some() || batch_args.shard.is_some() || targets.list.len() > 1 {
        let shard = batch_args.shard;
        return super::batch::run(runtime, targets, shard, args, format, opts, out);
    }
    let mut report = probe(runtime, targets.list, args)?;
    report.invocation = Some(invocation(std::env::args_os().skip(1)));
    report::emit(out, &report::render(&report, format, opts))?;
    Ok(exit::for_verdict(report.verdict))
}

/// Probes `targets` as one job (a progress line on a terminal's stderr) and returns the
/// report, without its invocation.
pub(super) fn probe(
    runtime: &tokio::runtime::Runtime,
    targets: Vec<Target>,
    args: &ProbeArgs,
) -> anyhow::Result<Box<Report>> {
    let settings = args.settings(&targets)?;
    let resolver = LazyResolver::new(settings.probe.step_timeout, settings.resolvers.clone())
        .family(settings.routing.family);
    // An old Windows console that cannot show escapes would print the progress line's \x1b[2K.
    let mut bar = Progress::new(std::io::stderr().is_terminal() && super::terminal_escapes_work());
    let mut done: Option<Box<Report>> = None;
    runtime.block_on(engine::run(
        &settings,
        &resolver,
        OffsetDateTime::now_utc(),
        vec![targets],
        &mut |event| match event {
            Event::Progress {
                done,
                total,
                waiting,
            } => bar.update(done, total, waiting),
            Event::Report { report, .. } => done = Some(report),
        },
    ));
    bar.finish();
    done.context("the run ended without a report")
}

/// The command line as run, quoted for a POSIX shell so it can be pasted back: a ticket shows
/// the options that change the verdict (`--ca-file`, `--resolve`, `--expect-name`).
pub(super) fn invocation(args: impl Iterator<Item = std::ffi::OsString>) -> String {
    let quote = |a: std::ffi::OsString| {
        let a = crate::smtp::escape(a.to_string_lossy().as_bytes());
        let plain = !a.is_empty()
            && a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"@%+=:,./_-".contains(&b));
        if plain {
            a
        } else {
            format!("'{}'", a.replace('\'', r"'\''"))
        }
    };
    std::iter::once("starttls-check".to_string())
        .chain(args.map(quote))
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
}
