//! Orchestration: targets → routes (DNS) → endpoints → probes → findings → report. The
//! application edge, where `anyhow` is allowed.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use time::OffsetDateTime;
use tokio::sync::{Mutex, Semaphore};

use crate::cli::{Cli, ColorChoice, Command, OutputArgs, ProbeArgs};
use crate::diagnose::rules::cross;
use crate::diagnose::{self, Finding, Policy, merge};
use crate::dns::route::{self, Lookup, Route, RouteSettings};
use crate::dns::{LazyResolver, Resolver};
use crate::evidence::Evidence;
use crate::model::{Endpoint, EndpointId};
use crate::probe::{self, ProbeConfig};
use crate::report::{EndpointReport, MxReport, RenderOptions, Report, Verdict};
use crate::target::{Host, Target};
use crate::tls::TrustStore;
use crate::{exit, report};

pub use crate::dns::route::Family;

/// Everything a run needs, resolved from the command line (or built by the demo).
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// What to probe.
    pub targets: Vec<Target>,
    /// How targets become hosts and addresses (ports, family, overrides, MX, caps).
    pub routing: RouteSettings,
    /// Implicit TLS on every port.
    pub implicit_tls: bool,
    /// `--resolver`: the DNS servers to ask (empty: the system's).
    pub resolvers: Vec<SocketAddr>,
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
            routing: RouteSettings {
                ports: args.port.clone(),
                family: if args.ipv4 {
                    Family::V4
                } else if args.ipv6 {
                    Family::V6
                } else {
                    Family::Any
                },
                overrides,
                mx: !args.no_mx,
                max_mx: usize::from(args.max_mx),
                max_addresses: usize::from(args.max_addresses),
            },
            implicit_tls: args.implicit_tls,
            resolvers: args.resolver.clone(),
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
            concurrency: usize::from(args.concurrency),
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

/// Progress of a run, for the terminal: how many endpoints are done, and one still awaited.
pub type ProgressFn<'a> = dyn FnMut(usize, usize, Option<&str>) + Send + 'a;

/// The verdict of every mail host, from its DNS findings and the findings of its endpoints
/// (before they are merged across endpoints).
fn mx_reports(
    routes: &[Route],
    host_findings: &[Vec<Vec<Finding>>],
    observations: &[(Evidence, Vec<Finding>)],
    cross: &[Finding],
) -> Vec<MxReport> {
    let mut out = Vec::new();
    for (r, per_host) in routes.iter().zip(host_findings) {
        if !matches!(r.lookup, Lookup::Mx | Lookup::Implicit) {
            continue;
        }
        for (h, dns) in r.hosts.iter().zip(per_host) {
            // By host and address, not by domain: a probe shared by two domains counts for both.
            let mine =
                |e: &Evidence| e.id.host == h.host && h.addresses.contains(&e.id.address.ip());
            let ids: Vec<&EndpointId> = observations
                .iter()
                .filter(|(e, _)| mine(e))
                .map(|(e, _)| &e.id)
                .collect();
            let mut fs: Vec<Finding> = dns.clone();
            for (o, f) in observations {
                if mine(o) {
                    fs.extend(f.iter().cloned());
                }
            }
            fs.extend(
                cross
                    .iter()
                    .filter(|f| f.endpoints.iter().all(|id| ids.contains(&id)))
                    .cloned(),
            );
            diagnose::rank(&mut fs);
            let verdict = Verdict::from_findings(&fs);
            let cause = fs
                .iter()
                .find(|f| f.severity > diagnose::Severity::Info || f.code.inconclusive())
                .map(|f| match f.endpoints.len() {
                    // DNS findings name their host in the summary already.
                    0 => f.summary.clone(),
                    1 => format!("{}: {}", f.endpoint, f.summary),
                    _ => format!("{}: {}", h.host, f.summary),
                });
            out.push(MxReport {
                domain: r.name.clone(),
                preference: h.preference.unwrap_or(0),
                exchange: h.host.to_string(),
                implicit: r.lookup == Lookup::Implicit,
                addresses: h.addresses.iter().map(IpAddr::to_string).collect(),
                verdict,
                cause,
            });
        }
    }
    out
}

/// Runs every probe and diagnoses the results into a report. `progress` hears of every
/// finished endpoint.
pub async fn execute<R: Resolver>(
    cfg: &RunConfig,
    resolver: &R,
    now: OffsetDateTime,
    progress: &mut ProgressFn<'_>,
) -> Report {
    let start = Instant::now();
    let deadline = start + cfg.overall;
    let routes = route::resolve(&cfg.targets, &cfg.routing, resolver, deadline).await;
    let described = resolver.describe();
    let mut findings = Vec::new();
    let mut host_findings = Vec::new();
    for r in &routes {
        findings.extend(diagnose::rules::dns::route_rules(r, &described));
        let per_host: Vec<Vec<Finding>> = r
            .hosts
            .iter()
            .map(|h| diagnose::rules::dns::host_rules(r, h, &described))
            .collect();
        findings.extend(per_host.iter().flatten().cloned());
        host_findings.push(per_host);
    }
    if let Some(problem) = &cfg.probe.trust.native_problem {
        findings.push(diagnose::diagnose_trust_store(problem));
    }
    let eps = route::endpoints(&routes, cfg.implicit_tls);
    let total = eps.len();
    let mut probe_cfg = cfg.probe.clone();
    probe_cfg.deadline = deadline;
    let probe_cfg = Arc::new(probe_cfg);
    let limit = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
    // Mail servers rate-limit by client address: never two connections to one address and
    // port at once, even when two names lead there.
    let mut per_address: HashMap<SocketAddr, Arc<Mutex<()>>> = HashMap::new();
    let mut pending: Vec<String> = eps.iter().map(Endpoint::label).collect();
    let mut set = tokio::task::JoinSet::new();
    for (i, ep) in eps.into_iter().enumerate() {
        let (pc, limit) = (probe_cfg.clone(), limit.clone());
        let lock = per_address.entry(ep.address).or_default().clone();
        set.spawn(async move {
            let _one_per_address = lock.lock_owned().await;
            let _permit = limit.acquire_owned().await;
            (i, probe::probe(ep, &pc).await)
        });
    }
    progress(0, total, pending.first().map(String::as_str));
    let mut observations = Vec::new();
    while let Some(joined) = set.join_next().await {
        if let Ok((i, obs)) = joined {
            let label = obs.endpoint.label();
            if let Some(at) = pending.iter().position(|l| *l == label) {
                pending.remove(at);
            }
            observations.push((i, obs));
            progress(
                observations.len(),
                total,
                pending.first().map(String::as_str),
            );
        }
    }
    observations.sort_by_key(|(i, _)| *i);
    let evidence: Vec<Evidence> = observations
        .into_iter()
        .map(|(_, o)| Evidence::derive(o, now))
        .collect();
    let cross_findings = cross::rules(&evidence);
    let observations: Vec<(Evidence, Vec<Finding>)> = evidence
        .into_iter()
        .map(|e| {
            let f = diagnose::diagnose(&e, &cfg.policy, now);
            (e, f)
        })
        .collect();
    let mx = mx_reports(&routes, &host_findings, &observations, &cross_findings);
    let mut endpoints = Vec::new();
    let mut ids = Vec::new();
    for (ev, f) in observations {
        findings.extend(f);
        ids.push(ev.id.clone());
        endpoints.push(EndpointReport::from_evidence(&ev));
    }
    findings.extend(cross_findings);
    let mut findings = merge::merge_shared(findings, &ids);
    diagnose::rank(&mut findings);
    let target = cfg
        .targets
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    Report::new(target, findings, endpoints, mx, now)
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
            let resolver = LazyResolver::new(cfg.probe.step_timeout, cfg.resolvers.clone())
                .family(cfg.routing.family);
            let mut bar = report::progress::Progress::new(std::io::stderr().is_terminal());
            let report = runtime.block_on(execute(
                &cfg,
                &resolver,
                OffsetDateTime::now_utc(),
                &mut |done, total, waiting| bar.update(done, total, waiting),
            ));
            bar.finish();
            let text = report::render(&report, cli.output.format, opts);
            report::emit(&mut std::io::stdout().lock(), &text)?;
            Ok(exit::for_verdict(report.verdict))
        }
    }
}
