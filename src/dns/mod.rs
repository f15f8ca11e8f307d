//! Name resolution behind a trait, so tests and the demo never touch the system resolver.
//!
//! # References
//! - RFC 5321 §5.1 (locating the target host: MX, then the host's own A/AAAA)

use std::future::Future;
use std::net::IpAddr;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{LookupIpStrategy, ResolverOpts};

/// Why a lookup produced no address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    /// The name does not exist (NXDOMAIN).
    #[error("{name} does not exist in DNS (NXDOMAIN)")]
    NxDomain {
        /// The name looked up.
        name: String,
    },
    /// The name exists but has no address of the requested family.
    #[error("{name} has no A/AAAA record")]
    NoAddress {
        /// The name looked up.
        name: String,
    },
    /// The resolver itself failed or timed out: nothing is known about the name.
    #[error("looking up {name} failed: {reason}")]
    Failed {
        /// The name looked up.
        name: String,
        /// What the resolver said.
        reason: String,
    },
}

/// Looks up the addresses of a host.
pub trait Resolver: Send + Sync {
    /// All A and AAAA addresses of `name`.
    fn lookup_ip(&self, name: &str) -> impl Future<Output = Result<Vec<IpAddr>, DnsError>> + Send;

    /// How the resolver is described in messages ("the system resolver").
    fn describe(&self) -> String;
}

/// hickory's resolver configured from the system (`/etc/resolv.conf`, `/etc/hosts`).
#[derive(Debug, Clone)]
pub struct SystemResolver {
    inner: TokioResolver,
}

impl SystemResolver {
    /// Builds the resolver; each query is bounded by `timeout`.
    pub fn new(timeout: Duration) -> Result<Self, DnsError> {
        let failed = |e: &dyn std::fmt::Display| DnsError::Failed {
            name: "(system configuration)".into(),
            reason: e.to_string(),
        };
        let mut builder = TokioResolver::builder_tokio().map_err(|e| failed(&e))?;
        let opts: &mut ResolverOpts = builder.options_mut();
        opts.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
        opts.timeout = timeout;
        opts.attempts = 2;
        let inner = builder.build().map_err(|e| failed(&e))?;
        Ok(SystemResolver { inner })
    }
}

impl Resolver for SystemResolver {
    async fn lookup_ip(&self, name: &str) -> Result<Vec<IpAddr>, DnsError> {
        // A trailing dot stops search-domain expansion: the user typed a full name.
        let fqdn = if name.ends_with('.') {
            name.to_string()
        } else {
            format!("{name}.")
        };
        match self.inner.lookup_ip(fqdn.as_str()).await {
            Ok(l) => {
                let v: Vec<IpAddr> = l.iter().collect();
                if v.is_empty() {
                    Err(DnsError::NoAddress { name: name.into() })
                } else {
                    Ok(v)
                }
            }
            Err(e) if e.is_nx_domain() => Err(DnsError::NxDomain { name: name.into() }),
            Err(e) if e.is_no_records_found() => Err(DnsError::NoAddress { name: name.into() }),
            Err(e) => Err(DnsError::Failed {
                name: name.into(),
                reason: e.to_string(),
            }),
        }
    }

    fn describe(&self) -> String {
        "the system resolver".into()
    }
}

/// The system resolver, built on first use: runs that need no DNS (addresses, `--resolve`)
/// never read `/etc/resolv.conf`, and a broken one becomes a finding, not an abort.
#[derive(Debug)]
pub struct LazySystemResolver {
    timeout: Duration,
    inner: tokio::sync::OnceCell<Result<SystemResolver, DnsError>>,
}

impl LazySystemResolver {
    /// A resolver whose queries are bounded by `timeout`.
    pub fn new(timeout: Duration) -> Self {
        LazySystemResolver {
            timeout,
            inner: tokio::sync::OnceCell::new(),
        }
    }
}

impl Resolver for LazySystemResolver {
    async fn lookup_ip(&self, name: &str) -> Result<Vec<IpAddr>, DnsError> {
        let built = self
            .inner
            .get_or_init(|| async { SystemResolver::new(self.timeout) })
            .await;
        match built {
            Ok(r) => r.lookup_ip(name).await,
            Err(e) => Err(DnsError::Failed {
                name: name.into(),
                reason: e.to_string(),
            }),
        }
    }

    fn describe(&self) -> String {
        "the system resolver".into()
    }
}

/// A fixed table of names, for the demo and tests: a name not in it does not exist.
#[derive(Debug, Clone, Default)]
pub struct StaticResolver {
    /// Name → addresses.
    pub hosts: std::collections::HashMap<String, Vec<IpAddr>>,
}

impl Resolver for StaticResolver {
    async fn lookup_ip(&self, name: &str) -> Result<Vec<IpAddr>, DnsError> {
        let key = name.trim_end_matches('.').to_ascii_lowercase();
        self.hosts
            .get(&key)
            .cloned()
            .ok_or(DnsError::NxDomain { name: key })
    }

    fn describe(&self) -> String {
        "the built-in table".into()
    }
}
