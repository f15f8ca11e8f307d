//! `exchange-config`: pasted or saved output of the Exchange and Exchange Online `Get-*`
//! cmdlets → typed objects → Exchange's own certificate selection, modelled → cross-check
//! rules → findings with the exact `Set-…` command, optionally joined with a live probe.
//!
//! The stages follow the house's one-way flow: [`parse`] (bytes → text → records → typed
//! [`model::Config`], recording what the paste leaves uncertain), [`select`] (which
//! certificate Exchange would present, by `TlsCertificateName`, else the connector's `Fqdn`,
//! else the server's name), [`rules`] (pure, take `now`; a rule whose input is uncertain says
//! so instead of failing), then the report layer. Nothing here touches the network: the
//! probe is run by the command layer and handed in as a [`model::Join`].

pub mod fix;
pub mod model;
pub mod parse;
pub mod rules;
pub mod select;

use time::OffsetDateTime;

use crate::diagnose::Finding;
pub use model::{Config, Join};

/// The most bytes read from one input: a whole organisation's `fl *` output is a few hundred
/// KiB; anything larger is cut (and the report says so).
pub const MAX_INPUT: usize = 8 * 1024 * 1024;

/// One input as read: a file or stdin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawInput {
    /// The path as given, or `-`.
    pub name: String,
    /// At most [`MAX_INPUT`] bytes.
    pub bytes: Vec<u8>,
    /// There was more than [`MAX_INPUT`].
    pub truncated: bool,
}

/// What the parser is told besides the text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParseOptions {
    /// `--server`: the server a certificate list that names none came from.
    pub server: Option<String>,
}

/// The whole analysis: parse, then the rules (with the probe's view when there is one).
pub fn analyse(
    inputs: &[RawInput],
    opts: &ParseOptions,
    join: Option<&Join>,
    now: OffsetDateTime,
) -> (Config, Vec<Finding>) {
    let config = parse::parse(inputs, opts);
    let findings = rules::check(&config, join, now);
    (config, findings)
}
