//! The `starttls-check` binary: parse, run, map to an exit code. Everything else lives in the
//! library.

use std::process::ExitCode;

use clap::Parser;
use starttls_check::{Cli, commands, emit_error, exit};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout and errors to stderr; usage errors are
            // "unknown" (3) in the Nagios contract, not clap's default 2 (= fail).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::UNKNOWN
            } else {
                exit::PASS
            });
        }
    };
    let format = commands::format_of(&cli);
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            emit_error(format, &format!("{e:#}"));
            ExitCode::from(exit::UNKNOWN)
        }
    }
}
