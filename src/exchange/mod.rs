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

use crate::diagnose::{Code, Family, Finding, Fix, Severity, Shell};
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

/// How close to expiry a certificate may be: within `warn_days` a warning, within
/// `fail_days` a failure (`--warn-days`, `--fail-days`, as for a probe).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Warn when the certificate expires within this many days.
    pub warn_days: i64,
    /// Fail when the certificate expires within this many days.
    pub fail_days: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            warn_days: i64::from(crate::settings::DEFAULT_WARN_DAYS),
            fail_days: i64::from(crate::settings::DEFAULT_FAIL_DAYS),
        }
    }
}

/// What the parser is told besides the text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParseOptions {
    /// `--server`: the server a certificate list that names none came from.
    pub server: Option<String>,
}

/// The whole analysis: parse, then the rules (with the probe's view when there is one),
/// then what the report needs when the rules said nothing: that nothing was recognised, or
/// what was checked and found in order.
pub fn analyse(
    inputs: &[RawInput],
    opts: &ParseOptions,
    join: Option<&Join>,
    now: OffsetDateTime,
    limits: Limits,
) -> (Config, Vec<Finding>) {
    let config = parse::parse(inputs, opts);
    let findings = findings(&config, join, now, limits);
    (config, findings)
}

/// The findings for a parsed configuration: the rules', or when they said nothing, that
/// nothing was recognised or what was checked.
pub fn findings(
    config: &Config,
    join: Option<&Join>,
    now: OffsetDateTime,
    limits: Limits,
) -> Vec<Finding> {
    let mut findings = rules::check(config, join, now, limits);
    if config.is_empty() {
        findings.push(unrecognised(config));
    } else if !cross_checkable(config) {
        findings.push(nothing_to_cross_check(config));
    } else if findings.is_empty() {
        findings.push(consistent(config, join.is_some()));
    }
    findings
}

/// The paste holds a pair the checks join: connectors with the certificates they select
/// from, or both sides of a hybrid. A certificate list alone, or a hybrid configuration
/// alone, says nothing about what Exchange presents.
fn cross_checkable(config: &Config) -> bool {
    let certs = !config.certificates.is_empty();
    let on_prem = !config.receive_connectors.is_empty() || !config.send_connectors.is_empty();
    let online = !config.inbound_connectors.is_empty() || !config.outbound_connectors.is_empty();
    (on_prem && certs) || (online && (on_prem || certs)) || (!config.hybrid.is_empty() && on_prem)
}

fn nothing_to_cross_check(config: &Config) -> Finding {
    Finding::new(
        Code::ExchangeCheckInconclusive,
        Severity::Info,
        "the paste".to_string(),
        Vec::new(),
        format!(
            "could not cross-check anything: the paste holds only {}, and which certificate Exchange presents needs the connectors and the certificates together",
            inventory(config)
        ),
        vec![format!("read: {}", inventory(config))],
        the_cmdlets(
            Fix::new(Family::Exchange, "exchange_config::paste_more", &[]).say(
                "Paste the connectors and the certificates of the same server together (as lists, `| fl`):",
            ),
        ),
    )
}

/// `fix` followed by the cmdlets whose output this command reads, and the collection script.
fn the_cmdlets(fix: Fix) -> Fix {
    fix.run(Shell::ExchangeManagementShell, "Get-ReceiveConnector | fl")
        .run(Shell::ExchangeManagementShell, "Get-ExchangeCertificate | fl")
        .run(Shell::ExchangeManagementShell, "Get-SendConnector | fl")
        .run(Shell::ExchangeManagementShell, "Get-HybridConfiguration | fl")
        .say("and, for a hybrid, from Exchange Online PowerShell:")
        .run(Shell::ExchangeOnlinePowerShell, "Get-InboundConnector | fl")
        .run(Shell::ExchangeOnlinePowerShell, "Get-OutboundConnector | fl")
        .run(Shell::ExchangeOnlinePowerShell, "Get-AcceptedDomain | fl")
        .say("Or run scripts/Get-StartTlsConfig.ps1 and give its JSON file (complete lists, exact dates, the certificates themselves).")
}

fn count(n: usize, one: &str, many: &str) -> Option<String> {
    (n > 0).then(|| format!("{n} {}", if n == 1 { one } else { many }))
}

/// What was read, in words (`2 receive connectors, 4 certificates`).
pub fn inventory(config: &Config) -> String {
    let parts: Vec<String> = [
        count(
            config.receive_connectors.len(),
            "receive connector",
            "receive connectors",
        ),
        count(
            config.send_connectors.len(),
            "send connector",
            "send connectors",
        ),
        count(config.certificates.len(), "certificate", "certificates"),
        count(
            config.hybrid.len(),
            "hybrid configuration",
            "hybrid configurations",
        ),
        count(
            config.inbound_connectors.len(),
            "inbound connector",
            "inbound connectors",
        ),
        count(
            config.outbound_connectors.len(),
            "outbound connector",
            "outbound connectors",
        ),
        count(
            config.accepted_domains.len(),
            "accepted domain",
            "accepted domains",
        ),
        count(
            config.transport_services.len(),
            "transport service",
            "transport services",
        ),
        count(config.root_stores.len(), "root store", "root stores"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        "nothing".to_string()
    } else {
        parts.join(", ")
    }
}

fn unrecognised(config: &Config) -> Finding {
    let mut evidence: Vec<String> = config
        .inputs
        .iter()
        .map(|i| {
            format!(
                "{}: decoded as {}, no Exchange object recognised",
                i.name, i.encoding
            )
        })
        .collect();
    evidence.extend(
        config
            .notes
            .iter()
            .take(5)
            .map(|n| format!("{}: {}", config.at(n.loc), n.message)),
    );
    Finding::new(
        Code::ExchangeInputUnrecognised,
        Severity::Warn,
        "the input".to_string(),
        Vec::new(),
        "nothing in the input was recognised as the output of an Exchange cmdlet".to_string(),
        evidence,
        the_cmdlets(
            Fix::new(Family::Exchange, "exchange_config::paste_again", &[])
                .say("Paste the output of the cmdlets as lists (`| fl`), not as tables, each object whole:"),
        ),
    )
}

fn consistent(config: &Config, probed: bool) -> Finding {
    let mut evidence = vec![format!("read: {}", inventory(config))];
    if probed {
        evidence.push("the live probe agrees with the configuration".to_string());
    }
    Finding::new(
        Code::ExchangeConfigConsistent,
        Severity::Info,
        "the configuration".to_string(),
        Vec::new(),
        format!("no check found a problem in what was pasted ({})", inventory(config)),
        evidence,
        Fix::new(Family::Exchange, "exchange_config::nothing", &[])
            .say("Nothing to change. The checks can only see what was pasted: add the cmdlets that are missing (see docs/exchange-config.md) for the cross-premises checks."),
    )
}
