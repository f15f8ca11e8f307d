//! The command layer: one module per subcommand. Each turns parsed arguments into settings,
//! runs the engine and hands the reports to the report layer; none prints by itself.

mod check;
mod demo;

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::Context;

use crate::cli::{Cli, ColorChoice, Command, OutputArgs};
use crate::exit;
use crate::report::{Format, RenderOptions};

/// Decides on colour: `--color`, then NO_COLOR / CLICOLOR_FORCE / FORCE_COLOR, TERM=dumb, TTY.
pub(crate) fn use_color(choice: ColorChoice, is_tty: bool) -> bool {
    let env = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty() && v != "0");
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if env("NO_COLOR") {
                false
            } else if env("CLICOLOR_FORCE") || env("FORCE_COLOR") {
                true
            } else {
                is_tty && std::env::var("TERM").map_or(true, |t| t != "dumb")
            }
        }
    }
}

fn render_options(out: &OutputArgs) -> RenderOptions {
    RenderOptions {
        color: use_color(out.color, std::io::stdout().is_terminal()),
        verbose: out.verbose,
        ..RenderOptions::default()
    }
}

/// The format a command writes, so that an error can be written in it too.
pub fn format_of(cli: &Cli) -> Format {
    match &cli.command {
        Some(Command::Demo { output, .. }) => output.format,
        None => cli.output.format,
    }
}

/// The binary's whole job: returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .build()
        .context("cannot start the async runtime")?;
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
        None => {
            let opts = render_options(&cli.output);
            check::run(
                &runtime,
                cli.targets,
                &cli.probe,
                cli.output.format,
                opts,
                &mut stdout,
            )
        }
    }
}
