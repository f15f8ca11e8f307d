//! Orchestration: targets → endpoints → probes → findings → report. The application edge,
//! where `anyhow` is allowed.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use time::OffsetDateTime;
use tokio::sync::Semaphore;

use crate::cli::{Cli, ColorChoice, Command, OutputArgs, ProbeArgs};
use crate::diagnose::{self, Finding, Policy};
use crate::dns::{LazySystemResolver, Resolver};
use crate::probe::{self, Endpoint, ProbeConfig, TlsMode};
use crate::report::{EndpointReport, RenderOptions, Report};
use crate::target::{Host, Target};
use crate::tls::TrustStore;
use crate::{exit, report};

/// Which address family to probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Both.
    Any,
    /// `-4`.
    V4,
    /// `-6`.
    V6,
}

impl Family {
    fn allows(self, ip: &IpAddr) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => ip.is_ipv4(),
            Family::V6 => ip.is_ipv6(),
        }
    }
}

/// Everything a run needs, resolved from the command line (or built by the demo).
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// What to probe.
    pub targets: Vec<Target>,
    /// Ports for targets that name none.
    pub ports: Vec<u16>,
    /// Implicit TLS on every port.
    pub implicit_tls: bool,
    /// Address family filter.
    pub family: Family,
    /// `--resolve` overrides.
    pub overrides: HashMap<String, Vec<IpAddr>>,
    /// Probe settings (the deadline is set when the run starts).
    pub probe: ProbeConfig,
    /// The whole run's time budget.
    pub overall: Duration,
    /// What the rules check.
    pub policy: Policy,
    /// At most this many probes at once.
    pub concurrency: usize,
}

impl RunConfig {
    /// Builds the configuration from the command line.
    pub fn from_args(targets: Vec<Target>, args: &ProbeArgs) -> anyhow::Result<Self> {
        if args.fail_days > args.warn_days {
            anyhow::bail!(
                "--fail-days ({}) must not be larger than --warn-days ({})",
                args.fail_days,
                args.warn_days
            );
        }
        if args.port.contains(&0) {
            anyhow::bail!("port 0 is not a port (use 1-65535)");
        }
        let trust = TrustStore::load(&args.ca_file, !args.no_system_roots)?;
        let mut overrides: HashMap<String, Vec<IpAddr>> = HashMap::new();
        for (host, ip) in &args.resolve {
            overrides.entry(host.clone()).or_default().push(*ip);
        }
        let mut expected = Vec::new();
        for n in &args.expect_name {
            let name = crate::target::normalize_name(n.trim_start_matches("*."))
                .with_context(|| format!("--expect-name '{n}' is not a host name"))?;
            expected.push(if n.starts_with("*.") {
                format!("*.{name}")
            } else {
                name
            });
        }
        if let Some(n) = &args.ehlo_name {
            anyhow::ensure!(
                !n.is_empty() && n.bytes().all(|b| b.is_ascii_graphic()),
                "--ehlo-name '{n}' must be a host name or an address literal like [192.0.2.1]"
            );
        }
        for t in &targets {
            if let Host::Ip(ip) = &t.host {
                let family = if args.ipv4 {
                    Some(4)
                } else if args.ipv6 {
                    Some(6)
                } else {
                    None
                };
                if family.is_some_and(|f| (f == 4) != ip.is_ipv4()) {
                    anyhow::bail!(
                        "{t} is an IPv{} address, but -{} was given",
                        if ip.is_ipv4() { 4 } else { 6 },
                        family.unwrap_or(4)
                    );
                }
            }
        }
        let step = Duration::from_secs_f64(args.timeout);
        Ok(RunConfig {
            targets,
            ports: args.port.clone(),
            implicit_tls: args.implicit_tls,
            family: if args.ipv4 {
                Family::V4
            } else if args.ipv6 {
                Family::V6
            } else {
                Family::Any
            },
            overrides,
            probe: ProbeConfig {
                ehlo_name: args.ehlo_name.clone(),
                local_hostname: local_hostname(),
                step_timeout: step,
                deadline: Instant::now(),
                trust,
                sni_fallback: expected.iter().find(|n| !n.starts_with('*')).cloned(),
            },
            overall: args.deadline.map_or(step * 6, Duration::from_secs_f64),
            policy: Policy {
                warn_days: i64::from(args.warn_days),
                fail_days: i64::from(args.fail_days),
                expected_names: expected,
                extra_roots: !args.ca_file.is_empty(),
            },
            concurrency: 16,
        })
    }
}

/// This machine's name, if the kernel knows one (used for EHLO when it is an FQDN).
fn local_hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Turns targets into endpoints. Names go through `--resolve` first, then the resolver.
async fn endpoints<R: Resolver>(cfg: &RunConfig, resolver: &R) -> (Vec<Endpoint>, Vec<Finding>) {
    let mut out = Vec::new();
    let mut dns_findings = Vec::new();
    for t in &cfg.targets {
        let ports: Vec<u16> = t.port.map_or_else(|| cfg.ports.clone(), |p| vec![p]);
        let ports_text = ports
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let addrs: Vec<IpAddr> = match &t.host {
            Host::Ip(ip) => vec![*ip],
            Host::Name(name) => match cfg.overrides.get(name) {
                Some(a) => a.clone(),
                None => match resolver.lookup_ip(name).await {
                    Ok(a) => a,
                    Err(e) => {
                        dns_findings.push(diagnose::diagnose_dns(
                            name,
                            &ports_text,
                            &e,
                            &resolver.describe(),
                        ));
                        continue;
                    }
                },
            },
        };
        let kept: Vec<IpAddr> = addrs
            .iter()
            .copied()
            .filter(|ip| cfg.family.allows(ip))
            .collect();
        if kept.is_empty() {
            let err = crate::dns::DnsError::NoAddress {
                name: t.host.to_string(),
            };
            dns_findings.push(diagnose::diagnose_dns(
                &t.host.to_string(),
                &ports_text,
                &err,
                &resolver.describe(),
            ));
            continue;
        }
        for ip in kept {
            for &port in &ports {
                let tls_mode = if cfg.implicit_tls || port == 465 {
                    TlsMode::Implicit
                } else {
                    TlsMode::Starttls
                };
                let ep = Endpoint {
                    host: t.host.clone(),
                    address: SocketAddr::new(ip, port),
                    tls_mode,
                };
                if !out.contains(&ep) {
                    out.push(ep);
                }
            }
        }
    }
    (out, dns_findings)
}

/// Runs every probe and diagnoses the results into a report.
pub async fn execute<R: Resolver>(cfg: &RunConfig, resolver: &R, now: OffsetDateTime) -> Report {
    let start = Instant::now();
    let (eps, mut findings) = endpoints(cfg, resolver).await;
    if let Some(problem) = &cfg.probe.trust.native_problem {
        findings.push(diagnose::diagnose_trust_store(problem));
    }
    let mut probe_cfg = cfg.probe.clone();
    probe_cfg.deadline = start + cfg.overall;
    let probe_cfg = Arc::new(probe_cfg);
    let limit = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for (i, ep) in eps.into_iter().enumerate() {
        let (pc, limit) = (probe_cfg.clone(), limit.clone());
        set.spawn(async move {
            let _permit = limit.acquire_owned().await;
            (i, probe::probe(ep, &pc, now).await)
        });
    }
    let mut observations = Vec::new();
    while let Some(joined) = set.join_next().await {
        if let Ok(pair) = joined {
            observations.push(pair);
        }
    }
    observations.sort_by_key(|(i, _)| *i);
    let mut endpoints = Vec::new();
    for (_, obs) in &observations {
        findings.extend(diagnose::diagnose(obs, &cfg.policy, now));
        endpoints.push(EndpointReport::from_observation(obs, now));
    }
    diagnose::rank(&mut findings);
    let target = cfg
        .targets
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    Report::new(target, findings, endpoints, now)
}

/// Decides on colour: `--color`, then NO_COLOR / CLICOLOR_FORCE / FORCE_COLOR, TERM=dumb, TTY.
pub fn use_color(choice: ColorChoice, is_tty: bool) -> bool {
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
    }
}

/// The binary's whole job: returns the process exit code.
pub fn main(cli: Cli) -> anyhow::Result<u8> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .build()
        .context("cannot start the async runtime")?;
    match cli.command {
        Some(Command::Demo {
            serve: Some(secs), ..
        }) => {
            runtime.block_on(crate::demo::serve(
                Duration::from_secs_f64(secs),
                &mut std::io::stdout().lock(),
            ))?;
            Ok(exit::PASS)
        }
        Some(Command::Demo {
            output,
            serve: None,
        }) => {
            let opts = render_options(&output);
            let ok = runtime.block_on(crate::demo::run(
                output.format,
                opts,
                &mut std::io::stdout().lock(),
            ))?;
            Ok(if ok { exit::PASS } else { exit::FAIL })
        }
        None => {
            let cfg = match RunConfig::from_args(cli.targets, &cli.probe) {
                Ok(c) => c,
                Err(e) if cli.output.format == crate::report::Format::Json => {
                    // CI parses stdout: give it a document even for a setup error.
                    report::emit(
                        &mut std::io::stdout().lock(),
                        &report::json::error_document(&format!("{e:#}")),
                    )?;
                    return Err(e);
                }
                Err(e) => return Err(e),
            };
            let opts = render_options(&cli.output);
            let resolver = LazySystemResolver::new(cfg.probe.step_timeout);
            let report = runtime.block_on(execute(&cfg, &resolver, OffsetDateTime::now_utc()));
            let text = report::render(&report, cli.output.format, opts);
            report::emit(&mut std::io::stdout().lock(), &text)?;
            Ok(exit::for_verdict(report.verdict))
        }
    }
}
