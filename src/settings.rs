//! Settings: the command line validated once into what a run needs, with every default a
//! named constant (the CLI's defaults and `--help` read the same constants).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use crate::cli::ProbeArgs;
use crate::diagnose::Policy;
use crate::dns::route::{Family, RouteSettings};
use crate::probe::ProbeConfig;
use crate::target::{Host, Target};
use crate::tls::{TrustError, TrustStore};

/// The port probed when neither the target nor `-p` names one.
pub const DEFAULT_PORT: u16 = 25;
/// `--warn-days`: warn when the certificate expires within this many days.
pub const DEFAULT_WARN_DAYS: u32 = 30;
/// `--fail-days`: fail when the certificate expires within this many days.
pub const DEFAULT_FAIL_DAYS: u32 = 7;
/// `--timeout`: seconds any single network step may take.
pub const DEFAULT_TIMEOUT_SECS: f64 = 10.0;
/// Without `--deadline`, the whole run may take this many `--timeout`s: enough for connect,
/// banner, EHLO, STARTTLS, handshake and EHLO again on the slowest endpoint.
pub const DEADLINE_IN_TIMEOUTS: u32 = 6;
/// `--max-mx`: MX hosts probed per domain.
pub const DEFAULT_MAX_MX: u16 = 10;
/// `--max-addresses`: addresses probed per host.
pub const DEFAULT_MAX_ADDRESSES: u16 = 8;
/// `--concurrency`: connections at once (never two to one address and port).
pub const DEFAULT_CONCURRENCY: u16 = 16;

/// Why the command line cannot make a run.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// `--fail-days` above `--warn-days`.
    #[error("--fail-days ({fail}) must not be larger than --warn-days ({warn})")]
    Thresholds {
        /// `--warn-days`.
        warn: u32,
        /// `--fail-days`.
        fail: u32,
    },
    /// Port 0.
    #[error("port 0 is not a port (use 1-65535)")]
    PortZero,
    /// `--expect-name` that is not a host name.
    #[error("--expect-name '{0}' is not a host name")]
    ExpectName(String),
    /// `--ehlo-name` with spaces or control characters.
    #[error("--ehlo-name '{0}' must be a host name or an address literal like [192.0.2.1]")]
    EhloName(String),
    /// An address target of the family `-4`/`-6` excludes.
    #[error("{target} is an IPv{is} address, but -{asked} was given")]
    Family {
        /// The target as typed.
        target: String,
        /// Its family.
        is: u8,
        /// The flag given.
        asked: u8,
    },
    /// A `--ca-file` that cannot be used.
    #[error(transparent)]
    Trust(#[from] TrustError),
}

/// Everything a run needs besides its targets, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How targets become hosts and addresses (ports, family, overrides, MX, caps).
    pub routing: RouteSettings,
    /// Implicit TLS on every port.
    pub implicit_tls: bool,
    /// `--resolver`: the DNS servers to ask (empty: the system's).
    pub resolvers: Vec<SocketAddr>,
    /// Probe settings (the engine sets the deadline when the run starts).
    pub probe: ProbeConfig,
    /// The whole run's time budget.
    pub overall: Duration,
    /// What the rules check.
    pub policy: Policy,
    /// At most this many probes at once.
    pub concurrency: usize,
}

/// `--expect-name` values, normalised; a leading `*.` is kept (an Exchange Online TlsDomain
/// may be a wildcard).
fn expected_names(args: &ProbeArgs) -> Result<Vec<String>, SettingsError> {
    args.expect_name
        .iter()
        .map(|n| {
            let name = crate::target::normalize_name(n.trim_start_matches("*."))
                .ok_or_else(|| SettingsError::ExpectName(n.clone()))?;
            Ok(if n.starts_with("*.") {
                format!("*.{name}")
            } else {
                name
            })
        })
        .collect()
}

fn family(args: &ProbeArgs) -> Family {
    if args.ipv4 {
        Family::V4
    } else if args.ipv6 {
        Family::V6
    } else {
        Family::Any
    }
}

/// An address target must be of the family asked for.
fn check_family(targets: &[Target], family: Family) -> Result<(), SettingsError> {
    for t in targets {
        if let Host::Ip(ip) = &t.host
            && !family.allows(ip)
        {
            return Err(SettingsError::Family {
                target: t.to_string(),
                is: if ip.is_ipv4() { 4 } else { 6 },
                asked: if family == Family::V4 { 4 } else { 6 },
            });
        }
    }
    Ok(())
}

impl Settings {
    /// Validates the command line; `targets` are checked against `-4`/`-6`.
    pub fn from_args(args: &ProbeArgs, targets: &[Target]) -> Result<Self, SettingsError> {
        if args.fail_days > args.warn_days {
            return Err(SettingsError::Thresholds {
                warn: args.warn_days,
                fail: args.fail_days,
            });
        }
        if args.port.contains(&0) {
            return Err(SettingsError::PortZero);
        }
        if let Some(n) = &args.ehlo_name
            && (n.is_empty() || !n.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(SettingsError::EhloName(n.clone()));
        }
        let expected = expected_names(args)?;
        let family = family(args);
        check_family(targets, family)?;
        let trust = TrustStore::load(&args.ca_file, !args.no_system_roots)?;
        let mut overrides: HashMap<String, Vec<IpAddr>> = HashMap::new();
        for (host, ip) in &args.resolve {
            overrides.entry(host.clone()).or_default().push(*ip);
        }
        let step = Duration::from_secs_f64(args.timeout);
        Ok(Settings {
            routing: RouteSettings {
                ports: args.port.clone(),
                family,
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
            overall: args
                .deadline
                .map_or(step * DEADLINE_IN_TIMEOUTS, Duration::from_secs_f64),
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
