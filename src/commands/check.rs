//! `starttls-check TARGET...`: probe the targets and report. Until batch mode, several
//! targets share one report (one job), as they always have.

use std::io::{IsTerminal, Write};

use anyhow::Context;
use time::OffsetDateTime;

use crate::cli::ProbeArgs;
use crate::dns::LazyResolver;
use crate::engine::{self, Event};
use crate::exit;
use crate::report::{self, Format, RenderOptions, Report, progress::Progress};
use crate::target::Target;

/// Probes `targets` and writes the report to `out`; returns the exit code.
pub fn run(
    runtime: &tokio::runtime::Runtime,
    targets: Vec<Target>,
    args: &ProbeArgs,
    format: Format,
    opts: RenderOptions,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let mut report = probe(runtime, targets, args)?;
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
fn invocation(args: impl Iterator<Item = std::ffi::OsString>) -> String {
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
