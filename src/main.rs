//! The `starttls-check` binary: parse, run, map to an exit code. Everything else lives in the
//! library.

use std::process::ExitCode;

use clap::Parser;
use starttls_check::{Cli, commands, emit_error, exit};

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let words: Vec<String> = args[1..]
        .iter()
        .map(|a| a.to_string_lossy().into())
        .collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        // --help and --version: clap prints them to stdout.
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::from(exit::PASS);
        }
        // A usage error is "unknown" (3) in the Nagios contract, not clap's default 2 (= fail).
        // With --format json it is still one JSON document on stdout, the arguments read as
        // words; with --redact never clap's text, which quotes the refused word as typed.
        Err(e) => {
            let format = commands::usage_error_format(&words);
            if format.is_some() || words.iter().any(|w| w == "--redact") {
                emit_error(format, &commands::usage_error(&words, &e), &words);
            } else {
                // Through the output guard: a word can hold a bidi override.
                commands::print_usage_error(&e);
            }
            return ExitCode::from(exit::UNKNOWN);
        }
    };
    let format = commands::format_of(&cli);
    let target = commands::target_of(&cli);
    let batch = commands::batch_of(&cli);
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            emit_error(
                Some(format),
                &commands::run_error(target, batch, &e),
                &words,
            );
            ExitCode::from(exit::UNKNOWN)
        }
    }
}
