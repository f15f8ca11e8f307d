//! `listen`: receive instead of send. Binds, serves senders through [`crate::listen`], has
//! each session judged by the rules and writes the report.

use std::io::Write;

use crate::cli::ListenArgs;
use crate::report::RenderOptions;

/// Runs the listener until `--once`, `--duration`, `--max-sessions` or Ctrl-C; returns the
/// exit code.
pub(crate) fn run(
    runtime: &tokio::runtime::Runtime,
    args: &ListenArgs,
    opts: RenderOptions,
    out: &mut impl Write,
) -> anyhow::Result<u8> {
    let _ = (runtime, args, opts, out);
    anyhow::bail!("listen: not built yet")
}
