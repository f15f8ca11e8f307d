//! Settings: what a run needs, validated once from the command line (`cli::ProbeArgs::settings`),
//! with every default a named constant (the CLI's defaults and `--help` read the same constants).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::diagnose::Policy;
use crate::dns::route::{Family, RouteSettings};
use crate::probe::ProbeConfig;
use crate::tls::{TrustError, TrustStore};

/// The port probed when neither the target nor `-p` names one.
pub const DEFAULT_PORT: u16 = 25;
// The expiry thresholds are the rules' defaults; they live with the rules (diagnose, below
// settings) so that neither the rules nor `exchange` need to reach up into settings.
pub use crate::diagnose::{DEFAULT_FAIL_DAYS, DEFAULT_WARN_DAYS};
/// The most `--warn-days` / `--fail-days` accept: a century, longer than any certificate
/// is valid.
pub const MAX_DAYS: u64 = 36_500;
/// `--timeout`: seconds any single network step may take.
pub const DEFAULT_TIMEOUT_SECS: f64 = 10.0;
/// Without `--deadline`, the whole run may take this many `--timeout`s: enough for connect,
/// banner, EHLO, STARTTLS, handshake and EHLO again on the slowest endpoint.
pub const DEADLINE_IN_TIMEOUTS: u32 = 6;
/// `--max-mx`: MX hosts probed per domain.
pub const DEFAULT_MAX_MX: u16 = 10;
/// `--max-addresses`: addresses probed per host.
pub const DEFAULT_MAX_ADDRESSES: u16 = 8;
/// The most `--max-mx` accepts. The largest MX sets seen in the field (hosted filtering
/// services) have a few dozen hosts; a hundred hosts of up to [`MAX_ADDRESSES_LIMIT`]
/// addresses on two ports is already thousands of connections, which no run should open by
/// a typo. Hosts beyond the cap are listed in an `endpoints-capped` finding, never dropped
/// in silence.
pub const MAX_MX_LIMIT: u64 = 100;
/// The most `--max-addresses` accepts: round-robin names rarely hold more than a dozen
/// addresses, and a DNS answer over UDP has room for about 30 A records; 64 covers a TCP
/// answer of a large pool. Addresses beyond the cap are named in `endpoints-capped`.
pub const MAX_ADDRESSES_LIMIT: u64 = 64;
/// `--concurrency`: connections at once (never two to one address and port).
pub const DEFAULT_CONCURRENCY: u16 = 16;
/// Why the command line cannot make a run.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// `--fail-days` (or `--min-days`) above `--warn-days`.
    #[error("{option} ({fail}) must not be larger than --warn-days ({warn})")]
    Thresholds {
        /// `--warn-days`.
        warn: u32,
        /// `--fail-days`.
        fail: u32,
        /// The option as the user typed it: `--fail-days` or its alias `--min-days`.
        option: &'static str,
    },
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
    /// A `--client-cert` that cannot be used (unreadable, no key, wrong password...).
    #[error(transparent)]
    ClientCert(#[from] crate::tls::client_cert::ClientCertError),
    /// `--client-cert-name` that is not a host name.
    #[error("--client-cert-name '{0}' is not a host name")]
    ClientCertName(String),
    /// A `--baseline` that cannot be compared with.
    #[error(transparent)]
    Baseline(#[from] crate::baseline::BaselineError),
}

impl SettingsError {
    /// The option at fault, as the JSON error document names it (`error_detail.option`).
    pub fn option(&self) -> &'static str {
        match self {
            SettingsError::Thresholds { option, .. } => option,
            SettingsError::ExpectName(_) => "--expect-name",
            SettingsError::EhloName(_) => "--ehlo-name",
            SettingsError::Family { asked: 4, .. } => "-4",
            SettingsError::Family { .. } => "-6",
            SettingsError::Trust(_) => "--ca-file",
            SettingsError::ClientCert(
                crate::tls::client_cert::ClientCertError::PasswordVarMissing { .. }
                | crate::tls::client_cert::ClientCertError::WrongPassword { .. },
            ) => "--client-cert-password-env",
            SettingsError::ClientCert(
                crate::tls::client_cert::ClientCertError::KeyMismatch { .. }
                | crate::tls::client_cert::ClientCertError::Key { .. },
            ) => "--client-key",
            SettingsError::ClientCert(_) => "--client-cert",
            SettingsError::ClientCertName(_) => "--client-cert-name",
            SettingsError::Baseline(_) => "--baseline",
        }
    }
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
    /// Which DNS blocklists to ask about the address a server saw us as, and when.
    pub dnsbl: crate::dns::dnsbl::DnsblSettings,
    /// The domain's TLS policy (DNSSEC, TLSA, MTA-STS, TLS-RPT) and the chain's revocation:
    /// what may be looked up and fetched beside the probes (`--no-policy` turns it off).
    pub domain_policy: crate::policy::PolicyConfig,
}

impl Settings {
    /// Every default, probing `ports` and trusting exactly `trust`: what the demo and the
    /// engine's tests run with (no command line, no host name of this machine).
    pub fn with_defaults(ports: Vec<u16>, trust: TrustStore) -> Self {
        let step = Duration::from_secs_f64(DEFAULT_TIMEOUT_SECS);
        // Off: the demo and the engine's tests have no DNS server to ask, and must never
        // reach the system's resolver or the network.
        let domain_policy = crate::policy::PolicyConfig {
            enabled: false,
            trust_resolver: false,
            dns_servers: Vec::new(),
            fetch: crate::fetch::FetchConfig {
                connect_to: Vec::new(),
                step_timeout: step,
                trust: trust.clone(),
            },
        };
        Settings {
            routing: RouteSettings {
                ports,
                family: Family::Any,
                overrides: Default::default(),
                mx: true,
                max_mx: usize::from(DEFAULT_MAX_MX),
                max_addresses: usize::from(DEFAULT_MAX_ADDRESSES),
            },
            implicit_tls: false,
            resolvers: Vec::new(),
            probe: ProbeConfig {
                ehlo_name: None,
                local_hostname: None,
                step_timeout: step,
                deadline: Instant::now(),
                trust,
                sni_fallback: None,
                check_required: false,
                client_cert: None,
            },
            overall: step * DEADLINE_IN_TIMEOUTS,
            policy: Policy::default(),
            concurrency: usize::from(DEFAULT_CONCURRENCY),
            dnsbl: Default::default(),
            domain_policy,
        }
    }
}
