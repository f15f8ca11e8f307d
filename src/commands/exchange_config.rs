//! `starttls-check exchange-config FILE...`: the pasted or saved output of Exchange's `Get-*`
//! cmdlets → the certificate Exchange will present, what is misconfigured and the exact
//! `Set-…` command; with `--probe[=HOST]`, the host is probed and the certificate it
//! presents is set against the one the configuration selects.
//!
//! The files are text, never targets: without `--probe` nothing here touches the network,
//! and with it only the one host named (or taken from the configuration) is probed. Each input
//! is bounded ([`MAX_INPUT`], read with one byte more to know it was cut).

use std::io::{IsTerminal, Read, Write};

use anyhow::{Context, bail};
use time::OffsetDateTime;

use crate::cli::ProbeArgs;
use crate::exchange::model::{Config, Join, Presented, PresentedCertificate};
use crate::exchange::{self, MAX_INPUT, ParseOptions, RawInput};
use crate::exit;
use crate::report::exchange::{self as render, JoinDto};
use crate::report::{self, Format, RenderOptions, Report, redact};
use crate::target::Target;

/// At most [`MAX_INPUT`] bytes of `reader`, named `name`.
pub(crate) fn read_bounded(name: &str, reader: &mut dyn Read) -> anyhow::Result<RawInput> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_INPUT as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {name}"))?;
    let truncated = bytes.len() > MAX_INPUT;
    bytes.truncate(MAX_INPUT);
    Ok(RawInput {
        name: name.to_string(),
        bytes,
        truncated,
    })
}

/// The inputs named by `files` (`-` is stdin, read once; no files reads stdin).
pub(crate) fn read_inputs(files: &[String]) -> anyhow::Result<Vec<RawInput>> {
    let mut inputs = Vec::new();
    let mut stdin_read = false;
    let names: Vec<String> = if files.is_empty() {
        vec!["-".to_string()]
    } else {
        files.to_vec()
    };
    for name in names {
        if name == "-" {
            if stdin_read {
                continue;
            }
            stdin_read = true;
            let mut stdin = std::io::stdin().lock();
            if stdin.is_terminal() {
                let hint = "starttls-check: paste the output, then Ctrl-D (Ctrl-Z Enter on Windows) on a line of its own\n";
                report::emit(&mut std::io::stderr().lock(), hint)?;
            }
            inputs.push(read_bounded("-", &mut stdin)?);
        } else {
            let mut file = std::fs::File::open(&name)
                .with_context(|| format!("cannot open {}", render_name(&name)))?;
            inputs.push(read_bounded(&name, &mut file)?);
        }
    }
    Ok(inputs)
}

fn render_name(name: &str) -> String {
    crate::report::explain::visible(name)
}

/// A name the public DNS can resolve: dotted, letters, digits and hyphens, and not under a
/// suffix that is private by convention (`.local`, `.lan`, `.internal`, `.corp`,
/// `.home.arpa`...).
pub(crate) fn public_name(host: &str) -> bool {
    let h = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = h.split('.').collect();
    let private = [
        "local",
        "lan",
        "internal",
        "corp",
        "home",
        "localdomain",
        "intranet",
        "private",
        "localhost",
        "test",
        "invalid",
    ];
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        && !labels.last().is_some_and(|tld| private.contains(tld))
        && !h.ends_with(".home.arpa")
        && h.parse::<std::net::IpAddr>().is_err()
}

/// The `Fqdn` of the hybrid port-25 receive connector when it is a public name: the one with
/// the cloud capability HCW sets first, else `Default Frontend`, else another port-25 connector
/// open to every address; never a relay scoped to a few hosts.
fn hybrid_connector_fqdn(config: &Config) -> Option<String> {
    let candidates: Vec<&crate::exchange::model::ReceiveConnector> = config
        .receive_connectors
        .iter()
        .filter(|rc| {
            !rc.transport_role
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case("HubTransport"))
                && rc.enabled != Some(false)
                && rc.binds(25) == Some(true)
        })
        .collect();
    let cloud = |rc: &&crate::exchange::model::ReceiveConnector| {
        rc.tls_domain_capabilities.as_ref().is_some_and(|l| {
            l.items
                .iter()
                .any(|i| i.contains("AcceptCloudServicesMail"))
        })
    };
    let default_frontend = |rc: &&crate::exchange::model::ReceiveConnector| {
        rc.name
            .as_deref()
            .or(rc.identity.as_deref())
            .is_some_and(|n| n.to_ascii_lowercase().contains("default frontend"))
    };
    let ordered = candidates
        .iter()
        .filter(|rc| cloud(rc))
        .chain(
            candidates
                .iter()
                .filter(|rc| !cloud(rc) && default_frontend(rc)),
        )
        .chain(
            candidates
                .iter()
                .filter(|rc| !cloud(rc) && !default_frontend(rc) && rc.open_to_all()),
        );
    for rc in ordered {
        if let Some(f) = rc.fqdn.as_ref().filter(|f| public_name(&f.value)) {
            return Some(f.value.trim().to_string());
        }
    }
    None
}

/// The host `--probe` without a value probes, and why: the hybrid port-25 receive connector's
/// `Fqdn` when public, else the hybrid configuration's `OnPremisesSmartHost`, else the
/// Exchange Online outbound connector's smart host.
pub(crate) fn default_host(config: &Config) -> Option<(String, String)> {
    if let Some(h) = hybrid_connector_fqdn(config) {
        return Some((h, "the hybrid port-25 receive connector's Fqdn".to_string()));
    }
    if let Some(h) = config
        .hybrid
        .iter()
        .filter_map(|h| h.on_premises_smart_host.as_deref())
        .find(|h| public_name(h))
    {
        return Some((
            h.trim().to_string(),
            "the hybrid configuration's OnPremisesSmartHost".to_string(),
        ));
    }
    config
        .outbound_connectors
        .iter()
        .filter_map(|o| o.smart_hosts.as_ref())
        .flat_map(|l| l.items.iter())
        .find(|h| public_name(h))
        .map(|h| {
            (
                h.trim().to_string(),
                "the Exchange Online outbound connector's smart host".to_string(),
            )
        })
}

/// What the probe saw, as the join needs it.
pub(crate) fn join_of(host: &str, why: &str, report: &Report) -> Join {
    Join {
        host: host.to_string(),
        why: why.to_string(),
        endpoints: report
            .endpoints
            .iter()
            .map(|e| Presented {
                endpoint: e.label.clone(),
                port: e.port,
                starttls_offered: e.starttls_offered,
                ehlo_name: e.greeting_name.clone(),
                not_exchange: match e.server_software {
                    crate::evidence::ServerKind::Exchange
                    | crate::evidence::ServerKind::Unknown => None,
                    k => Some(k.label().to_string()),
                },
                certificate: e.certificate.as_ref().map(|c| PresentedCertificate {
                    thumbprint: c.thumbprint.to_ascii_uppercase(),
                    subject: c.subject.clone(),
                    issuer: c.issuer.clone(),
                    exchange_tls_name: c.exchange_tls_name.clone(),
                    names: if c.dns_names.is_empty() {
                        c.common_name.iter().cloned().collect()
                    } else {
                        c.dns_names.clone()
                    },
                    self_signed: c.self_signed,
                    not_after: c.not_after_at,
                }),
                failure: e.failure.as_ref().map(|f| f.message.clone()),
            })
            .collect(),
    }
}

/// Reads, analyses, probes when asked, writes the report; returns the exit code.
#[expect(
    clippy::too_many_arguments,
    reason = "the command's inputs, as the other commands take them"
)]
pub fn run(
    runtime: &tokio::runtime::Runtime,
    inputs: &[RawInput],
    server: Option<String>,
    probe_host: Option<&str>,
    options: &ProbeArgs,
    format: Format,
    opts: RenderOptions,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let now = OffsetDateTime::now_utc();
    let config = exchange::parse::parse(inputs, &ParseOptions { server });
    if config.is_empty()
        && inputs
            .iter()
            .all(|i| i.bytes.iter().all(u8::is_ascii_whitespace))
    {
        bail!(
            "nothing to read: give files with the output of Get-ExchangeCertificate, Get-ReceiveConnector… (`| fl`), or `-` and paste it on stdin"
        );
    }
    let mut redactor = redact::when(opts.redact);
    let (join, probe_report) = match probe_host {
        None => (None, None),
        Some(asked) => {
            let (host, why) = if asked.trim().is_empty() {
                default_host(&config).with_context(|| {
                    "--probe needs a host: no pasted port-25 receive connector, OnPremisesSmartHost or outbound smart host is a public name (internal names such as .local are never probed); give --probe=HOST"
                })?
            } else {
                (asked.trim().to_string(), "--probe=HOST".to_string())
            };
            let target: Target = host
                .parse()
                .map_err(|e| anyhow::anyhow!("--probe={}: {e}", render_name(&host)))?;
            let command = super::explain::command_line(&target, options);
            let mut report = super::check::probe(runtime, vec![target], options, &mut redactor)?;
            report.invocation = Some(render_name(&command));
            let join = join_of(&host, &why, &report);
            (Some((join, command)), Some(report))
        }
    };
    let limits = exchange::Limits {
        warn_days: i64::from(options.warn_days()),
        fail_days: i64::from(options.fail_days()),
    };
    let findings = exchange::findings(&config, join.as_ref().map(|(j, _)| j), now, limits);
    let join_dto = join.map(|(j, command)| JoinDto {
        rows: exchange::rules::probe::rows(&config, &j, now),
        host: j.host,
        why: j.why,
        command,
    });
    let mut report = render::build(&config, findings, join_dto, probe_report, now);
    if let Some(r) = redactor.as_mut() {
        r.exchange(&mut report);
    }
    let text = redact::text(&mut redactor, render::render(&report, format, opts));
    report::emit(out, &text)?;
    Ok(exit::for_verdict(report.verdict))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_names_are_probed_by_default() {
        assert!(public_name("mail.contoso.com"));
        assert!(public_name("mail.contoso.com."));
        for private in [
            "SRVEX01.domain.local",
            "ex01.corp",
            "EX01",
            "mail.home.arpa",
            "192.0.2.1",
            "a b.com",
            "x.lan",
        ] {
            assert!(!public_name(private), "{private}");
        }
    }

    #[test]
    fn the_default_probe_host_is_the_hybrid_connectors_not_a_relays() {
        use crate::exchange::model::{List, ReceiveConnector, Text};
        let rc = |name: &str, fqdn: &str, ranges: &[&str], caps: &[&str]| ReceiveConnector {
            name: Some(name.into()),
            bindings: Some(List::of(&["0.0.0.0:25"])),
            fqdn: Some(Text::new(fqdn)),
            remote_ip_ranges: Some(List::of(ranges)),
            tls_domain_capabilities: Some(List::of(caps)),
            ..Default::default()
        };
        let config = Config {
            receive_connectors: vec![
                rc("Printer relay", "relay.contoso.com", &["10.0.5.20"], &[]),
                rc(
                    "Internet in",
                    "in.contoso.com",
                    &["0.0.0.0-255.255.255.255"],
                    &[],
                ),
                rc(
                    "Default Frontend EX01",
                    "mail.contoso.com",
                    &["0.0.0.0-255.255.255.255"],
                    &["mail.protection.outlook.com:AcceptCloudServicesMail"],
                ),
            ],
            ..Default::default()
        };
        assert_eq!(default_host(&config).unwrap().0, "mail.contoso.com");
        let mut no_cloud = config.clone();
        no_cloud.receive_connectors[2].tls_domain_capabilities = None;
        assert_eq!(default_host(&no_cloud).unwrap().0, "mail.contoso.com");
        no_cloud.receive_connectors.pop();
        assert_eq!(default_host(&no_cloud).unwrap().0, "in.contoso.com");
        no_cloud.receive_connectors.pop();
        assert_eq!(
            default_host(&no_cloud),
            None,
            "a relay scoped to a few hosts is no default"
        );
    }

    #[test]
    fn input_is_bounded_and_says_it_was_cut() {
        let big = vec![b'a'; MAX_INPUT + 10];
        let r = read_bounded("x", &mut big.as_slice()).unwrap();
        assert!(r.truncated);
        assert_eq!(r.bytes.len(), MAX_INPUT);
    }
}
