//! The command layer: one module per subcommand. Each turns parsed arguments into settings,
//! runs the engine and hands the reports to the report layer; none prints by itself.

mod batch;
mod check;
pub(crate) mod completions;
mod demo;
mod exchange_config;
mod explain;
mod listen;
mod man;

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::Context;

use crate::cli::{Cli, ColorChoice, Command, OutputArgs};
use crate::exit;
use crate::report::json::{ErrorDetail, RunError};
use crate::report::{self, Format, RenderOptions};
use crate::settings::SettingsError;

/// Whether the terminal shows ANSI escapes (colour, the progress line's erase): always outside
/// Windows; on Windows once virtual-terminal processing is on for the console, which the
/// first call turns on. enable-ansi-support sets it on the console itself (`CONOUT$`), so it
/// holds for stdout and stderr whichever of them is redirected, and makes the console calls
/// so that this crate stays free of `unsafe`.
pub(crate) fn terminal_escapes_work() -> bool {
    static ENABLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ENABLED.get_or_init(|| enable_ansi_support::enable_ansi_support().is_ok())
}

/// Decides on colour: `--color`, then NO_COLOR / CLICOLOR_FORCE / FORCE_COLOR, TERM=dumb, TTY.
/// On a terminal that cannot show escapes (an old Windows console), auto is no colour;
/// always still colours, as asked (e.g. for a pager that reads them).
pub(crate) fn use_color(choice: ColorChoice, is_tty: bool) -> bool {
    let env = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty() && v != "0");
    match choice {
        ColorChoice::Always => {
            if is_tty {
                terminal_escapes_work();
            }
            true
        }
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if env("NO_COLOR") {
                false
            } else if env("CLICOLOR_FORCE") || env("FORCE_COLOR") {
                true
            } else {
                is_tty
                    && std::env::var("TERM").map_or(true, |t| t != "dumb")
                    && terminal_escapes_work()
            }
        }
    }
}

fn render_options(out: &OutputArgs) -> RenderOptions {
    RenderOptions {
        color: use_color(out.color, std::io::stdout().is_terminal()),
        verbose: out.verbose,
        redact: out.redact,
        ..RenderOptions::default()
    }
}

/// The formats of probe reports only (a page, a check's status line, metrics): `explain`,
/// `exchange-config` and `listen` write none of them, so an error of theirs is never written
/// in one (a `starttls_check_up 0` on stdout would read as a probe's result).
const PROBE_ONLY: [Format; 3] = [Format::Html, Format::Nagios, Format::Prometheus];

/// The subcommands that write none of [`PROBE_ONLY`].
const NO_PROBE_FORMATS: [&str; 3] = ["explain", "exchange-config", "listen"];

/// The format a command writes, so that an error can be written in it too: a format the
/// command does not write is refused by plain text on stderr.
pub fn format_of(cli: &Cli) -> Format {
    let own = |f: Format| {
        if PROBE_ONLY.contains(&f) {
            Format::Human
        } else {
            f
        }
    };
    match &cli.command {
        Some(Command::Demo { output, .. }) => output.format,
        Some(Command::Explain { output, .. }) => own(output.format),
        Some(Command::ExchangeConfig { output, .. }) => own(output.format),
        Some(Command::Listen(args)) => own(args.output.format),
        // They write a script or a page; an error is a line of text.
        Some(Command::Completions { .. } | Command::Man { .. }) => Format::Human,
        None => cli.output.format,
    }
}

/// Whether the command is a batch (a list, a shard, several targets), so that an error is
/// written in the batch document's shape.
pub fn batch_of(cli: &Cli) -> bool {
    cli.command.is_none()
        && (cli.batch.targets_file.is_some() || cli.batch.shard.is_some() || cli.targets.len() > 1)
}

/// The targets a command names, as its report would (`""` for the demo), so that an error can
/// name them too.
pub fn target_of(cli: &Cli) -> String {
    cli.targets
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The format in which to write the error of a command line clap refused (`words`: the
/// arguments without the program name), when it is not clap's own human message: the error
/// document when the last `--format json|jsonl` / `--format=…` before `--` asks for a machine
/// format (one line for jsonl, so that a survey job's output always says why it is empty; a
/// `STARTTLS UNKNOWN` line for nagios, `starttls_check_up 0` for prometheus, but never for
/// a subcommand that writes neither). Any other format, a bad one included, leaves the error
/// to clap.
pub fn usage_error_format(words: &[String]) -> Option<Format> {
    let mut last = None;
    let mut rest = words.iter();
    while let Some(word) = rest.next() {
        match word.as_str() {
            "--" => break,
            "--format" => last = rest.next().map(String::as_str),
            w => {
                if let Some(value) = w.strip_prefix("--format=") {
                    last = Some(value);
                }
            }
        }
    }
    // The subcommand, when one is named: it comes first (`args_conflicts_with_subcommands`).
    let command = words.iter().find(|w| !w.starts_with('-'));
    if command.is_some_and(|c| NO_PROBE_FORMATS.contains(&c.as_str())) {
        return match last {
            Some("json") => Some(Format::Json),
            Some("jsonl") => Some(Format::Jsonl),
            _ => None,
        };
    }
    match last {
        Some("json") => Some(Format::Json),
        Some("jsonl") => Some(Format::Jsonl),
        Some("nagios") => Some(Format::Nagios),
        Some("prometheus") => Some(Format::Prometheus),
        _ => None,
    }
}

/// Writes clap's message for a command line it refused (any format but JSON) to stderr
/// through [`report::emit`], as `clap::Error::print` would but never with a raw control,
/// format or separator character: clap quotes the value it refused as typed, and a target
/// pasted from a web page can hold a bidi override or a U+2028 that would make the message
/// read differently from what was typed. Styled like clap's own when stderr is a terminal.
pub fn print_usage_error(e: &clap::Error) {
    let styled = e.render();
    let text = if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        styled.ansi().to_string()
    } else {
        styled.to_string()
    };
    let _ = report::emit(&mut std::io::stderr().lock(), &text);
}

/// What the error document says about a command line clap refused: clap's message (its first
/// paragraph, on one line, without `error: `), the option it names, and the targets typed.
pub fn usage_error(words: &[String], e: &clap::Error) -> RunError {
    use clap::error::{ContextKind, ContextValue};
    // StyledStr's Display drops the styling.
    let text = e.render().to_string();
    let text = text.trim_start().strip_prefix("error:").unwrap_or(&text);
    let first = text.split("\n\n").next().unwrap_or_default();
    let message = first
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    // `--timeout <SECS>`, `--bogus`, `--bogus=1`, `--dnsbl[=<ZONE>]`, `-4`; a positional
    // (`<TARGET>...`) is none.
    let named = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => Some(s.as_str()),
        Some(ContextValue::Strings(v)) => v.first().map(String::as_str),
        _ => None,
    };
    let option = named
        .and_then(|n| n.split([' ', '=', '[']).next())
        .filter(|n| n.starts_with('-') && n.len() > 1)
        .map(str::to_string);
    let target = crate::cli::targets_in(words);
    // A batch as typed: a list, a shard, or several targets.
    let batch = words.iter().any(|w| {
        ["--targets-file", "--shard"]
            .iter()
            .any(|o| w == o || w.strip_prefix(o).is_some_and(|r| r.starts_with('=')))
    }) || target.contains(' ');
    RunError {
        target,
        detail: ErrorDetail { message, option },
        batch,
    }
}

/// What the error document says about an error that stopped [`run`]: the message with its
/// causes, and the option at fault when the settings were refused.
pub fn run_error(target: String, batch: bool, e: &anyhow::Error) -> RunError {
    RunError {
        target,
        batch,
        detail: ErrorDetail {
            message: format!("{e:#}"),
            option: e
                .downcast_ref::<SettingsError>()
                .map(|s| s.option().to_string())
                .or_else(|| {
                    let list = e.downcast_ref::<crate::batch::ListError>();
                    list.map(|_| "--targets-file".to_string())
                }),
        },
    }
}

/// `explain`: the text from the words or stdin (a hint on a terminal), then the answer.
fn explain_command(
    runtime: &tokio::runtime::Runtime,
    text: &[String],
    probe: Option<&crate::cli::ProbeArgs>,
    output: &OutputArgs,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<u8> {
    let opts = render_options(output);
    let mut stdin = std::io::stdin().lock();
    let input = if explain::reads_stdin(text, stdin.is_terminal()) {
        if stdin.is_terminal() {
            let hint = "starttls-check: paste the text, then Ctrl-D (Ctrl-Z Enter on Windows) on a line of its own\n";
            report::emit(&mut std::io::stderr().lock(), hint)?;
        }
        explain::Input::read(&mut stdin)?
    } else {
        explain::Input::words(text)
    };
    explain::run(runtime, &input, probe, output.format, opts, out)
}

/// `--format html` is a page of probe reports, `nagios` and `prometheus` a check's status
/// and metrics; `explain` and `exchange-config` have none of them (`listen`'s --format takes
/// only what it writes: clap refuses the others).
fn no_page(command: &str, output: &OutputArgs) -> anyhow::Result<()> {
    let what = match output.format {
        Format::Html => "html is a page of probe reports",
        Format::Nagios => "nagios is a check's status line over probe reports",
        Format::Prometheus => "prometheus is metrics of probe reports",
        _ => return Ok(()),
    };
    anyhow::bail!("--format {what}; {command} writes human, json, jsonl or markdown");
}

/// The binary's whole job: returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    // Text about the binary itself: no runtime, no network, no terminal set-up.
    match &cli.command {
        Some(Command::Completions { shell }) => {
            completions::run(*shell, &mut std::io::stdout().lock())
        }
        Some(Command::Man { page, dir }) => {
            let out = &mut std::io::stdout().lock();
            man::run(page.as_deref(), dir.as_deref(), out)
        }
        _ => run_commands(cli),
    }
}

/// The commands that run: the probe, the demo, explain and exchange-config.
fn run_commands(cli: Cli) -> anyhow::Result<u8> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .build()
        .context("cannot start the async runtime")?;
    // The progress line on stderr erases itself with escapes, also when stdout is a file.
    if std::io::stderr().is_terminal() {
        terminal_escapes_work();
    }
    let mut stdout = std::io::stdout().lock();
    match cli.command {
        Some(Command::Demo {
            serve: Some(secs), ..
        }) => {
            runtime.block_on(demo::serve(Duration::from_secs_f64(secs), &mut stdout))?;
            Ok(exit::PASS)
        }
        Some(Command::Demo {
            output,
            serve: None,
        }) => {
            let opts = render_options(&output);
            let ok = runtime.block_on(demo::run(output.format, opts, &mut stdout))?;
            Ok(if ok { exit::PASS } else { exit::FAIL })
        }
        Some(Command::Explain {
            text,
            run_probe,
            options,
            output,
        }) => {
            no_page("explain", &output)?;
            explain_command(
                &runtime,
                &text,
                run_probe.then_some(&*options),
                &output,
                &mut stdout,
            )
        }
        Some(Command::ExchangeConfig {
            files,
            server,
            probe_host,
            options,
            output,
        }) => {
            no_page("exchange-config", &output)?;
            let opts = render_options(&output);
            let inputs = exchange_config::read_inputs(&files)?;
            exchange_config::run(
                &runtime,
                &inputs,
                server,
                probe_host.as_deref(),
                &options,
                output.format,
                opts,
                &mut stdout,
            )
        }
        Some(Command::Listen(args)) => {
            let opts = render_options(&args.output);
            listen::run(&runtime, &args, opts, &mut stdout)
        }
        // Answered by `run`, without a runtime.
        Some(Command::Completions { .. } | Command::Man { .. }) => Ok(exit::PASS),
        None => {
            let opts = render_options(&cli.output);
            check::run(
                &runtime,
                cli.targets,
                &cli.batch,
                &cli.probe,
                cli.output.format,
                opts,
                &mut stdout,
            )
        }
    }
}
