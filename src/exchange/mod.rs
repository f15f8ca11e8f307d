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
            warn_days: i64::from(crate::diagnose::DEFAULT_WARN_DAYS),
            fail_days: i64::from(crate::diagnose::DEFAULT_FAIL_DAYS),
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
#[cfg(test)]
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
        findings.push(consistent(config, join, now));
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
    let hybrid = !config.hybrid.is_empty();
    // The hybrid configuration's TlsCertificateName is checked against the certificates.
    (on_prem && certs) || (online && (on_prem || certs)) || (hybrid && (on_prem || certs))
}

fn nothing_to_cross_check(config: &Config) -> Finding {
    Finding::new(
        Code::ExchangeCheckInconclusive,
        Severity::Info,
        "the paste".to_string(),
        Vec::new(),
        format!(
            "could not cross-check anything: the paste holds only {}; which certificate Exchange presents needs the connectors and the certificates together",
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

fn consistent(config: &Config, join: Option<&Join>, now: OffsetDateTime) -> Finding {
    let mut evidence = vec![format!("read: {}", inventory(config))];
    if let Some(join) = join {
        // Only a row that compared something is agreement; a refused connection is not.
        let rows = rules::probe::rows(config, join, now);
        let agreed = rows.iter().filter(|r| r.agrees == Some(true)).count();
        evidence.push(if agreed == 0 {
            "the live probe compared nothing with the configuration (see the live check below)"
                .to_string()
        } else {
            format!(
                "the live probe agrees with the configuration on {agreed} of {} endpoints",
                rows.len()
            )
        });
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

#[cfg(test)]
mod fuzz {
    //! The whole pipeline (parse, rules, every renderer) on mutated real inputs never panics:
    //! the rules slice and index pasted values too, not only the parser.

    use super::*;
    use crate::report::exchange::{build, render};
    use crate::report::{Format, RenderOptions};

    fn corpus() -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for dir in ["tests/data/exchange", "tests/data/exchange-e2e"] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for e in entries.flatten() {
                if let Ok(b) = std::fs::read(e.path()) {
                    out.push(b);
                }
            }
        }
        out
    }

    /// xorshift64*: deterministic, no dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            if n == 0 {
                0
            } else {
                (self.next() % n as u64) as usize
            }
        }
    }

    const PIECES: [&str; 12] = [
        "é",
        "\u{202e}",
        "'",
        "\u{2019}",
        " ",
        "\n",
        "<S>",
        "<I>",
        ", O=\" é b\"",
        "...",
        "{",
        "Since the fact that it works",
    ];

    fn mutate(rng: &mut Rng, mut b: Vec<u8>) -> Vec<u8> {
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(b.len() + 1);
            match rng.below(4) {
                0 => {
                    let end = (at + rng.below(64)).min(b.len());
                    b.drain(at..end);
                }
                1 => {
                    let p = PIECES[rng.below(PIECES.len())].as_bytes();
                    b.splice(at..at, p.iter().copied());
                }
                2 => {
                    let end = (at + rng.below(200)).min(b.len());
                    let copy = b[at..end].to_vec();
                    b.splice(at..at, copy);
                }
                _ => b.truncate(at),
            }
        }
        b
    }

    #[test]
    fn mutated_inputs_never_panic_anywhere_in_the_pipeline() {
        let now = time::macros::datetime!(2026-12-02 12:00 UTC);
        let corpus = corpus();
        assert!(corpus.len() >= 10, "the fixtures are missing");
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        for i in 0..600 {
            let pick = rng.below(corpus.len());
            let a = mutate(&mut rng, corpus[pick].clone());
            let b = corpus[rng.below(corpus.len())].clone();
            let inputs = [
                RawInput {
                    name: format!("a{i}"),
                    bytes: a,
                    truncated: false,
                },
                RawInput {
                    name: "b".into(),
                    bytes: b,
                    truncated: false,
                },
            ];
            let (config, findings) = analyse(
                &inputs,
                &ParseOptions::default(),
                None,
                now,
                Limits::default(),
            );
            let report = build(&config, findings, None, None, now);
            for format in [Format::Human, Format::Json, Format::Markdown] {
                let _ = render(&report, format, RenderOptions::default());
            }
        }
    }
}

#[cfg(test)]
mod regressions {
    use super::*;

    /// A quoted last RDN with a leading space and a non-ASCII letter, read as glued prose:
    /// the evidence builder sliced inside `é` (found by review).
    #[test]
    fn a_quoted_value_with_a_leading_space_and_an_accent_does_not_panic() {
        let now = time::macros::datetime!(2026-12-02 12:00 UTC);
        let text = "Identity : SRVEX01\\Default Frontend SRVEX01\nServer : SRVEX01\nTransportRole : FrontendTransport\nBindings : {0.0.0.0:25}\nAuthMechanism : Tls\nTlsCertificateName : <I>CN=CA<S>CN=x, O=\" éÄb and then some more words here\"\nEnabled : True\n\nThumbprint : 3B7E0C5F1A2D4E6F8091A2B3C4D5E6F708192A3B\nSubject : CN=x\nIssuer : CN=CA\nServices : IIS, SMTP\nCertificateDomains : {x}\nHasPrivateKey : True\nIsSelfSigned : False\nStatus : Valid\n";
        let inputs = [RawInput {
            name: "x".into(),
            bytes: text.as_bytes().to_vec(),
            truncated: false,
        }];
        let (_, findings) = analyse(
            &inputs,
            &ParseOptions::default(),
            None,
            now,
            Limits::default(),
        );
        assert!(!findings.is_empty());
    }
}
