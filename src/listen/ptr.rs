//! A sender's reverse name (PTR), forward-confirmed: a receiver's spam filter and Exchange's
//! logs show the PTR, and a name whose A/AAAA does not lead back to the sender is the classic
//! "forward-confirmed reverse DNS" failure (RFC 1912 §2.1).
//!
//! Lookups go to `--resolver` or to the system's resolver; the system's is built only when a
//! sender connects from a non-loopback address, never in tests.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;

use super::model::Ptr;

/// How reverse names are looked up.
#[derive(Debug, Clone)]
pub enum PtrLookup {
    /// `--no-ptr`.
    Off,
    /// Through these servers (`--resolver`), or the system's when empty.
    Dns {
        /// The servers.
        servers: Vec<SocketAddr>,
        /// The whole budget of one lookup.
        timeout: Duration,
    },
}

/// At most this many PTR names are forward-checked (a sender with hundreds is hostile).
const MAX_NAMES: usize = 5;

/// The reverse name of `ip`.
pub async fn lookup(how: &PtrLookup, ip: IpAddr) -> Ptr {
    // One budget for the PTR and every forward check: twice one lookup's.
    let budget = match how {
        PtrLookup::Dns { timeout, .. } => *timeout * 2,
        PtrLookup::Off => Duration::ZERO,
    };
    match tokio::time::timeout(
        budget.max(Duration::from_millis(1)),
        lookup_unbounded(how, ip),
    )
    .await
    {
        Ok(p) => p,
        Err(_) => Ptr::Failed(format!(
            "no complete answer within {}",
            crate::text::seconds(budget)
        )),
    }
}

async fn lookup_unbounded(how: &PtrLookup, ip: IpAddr) -> Ptr {
    if ip.is_loopback() {
        return Ptr::Skipped("loopback");
    }
    let PtrLookup::Dns { servers, timeout } = how else {
        return Ptr::Skipped("--no-ptr");
    };
    let resolver = match build(servers, *timeout) {
        Ok(r) => r,
        Err(e) => return Ptr::Failed(crate::smtp::escape(e.as_bytes())),
    };
    let answer = match tokio::time::timeout(*timeout, resolver.reverse_lookup(ip)).await {
        Err(_) => {
            return Ptr::Failed(format!(
                "no answer within {}",
                crate::text::seconds(*timeout)
            ));
        }
        Ok(Err(e)) if e.is_nx_domain() || e.is_no_records_found() => return Ptr::None,
        Ok(Err(e)) => return Ptr::Failed(crate::smtp::escape(e.to_string().as_bytes())),
        Ok(Ok(l)) => l,
    };
    let names: Vec<hickory_resolver::proto::rr::Name> = answer
        .answers()
        .iter()
        .filter_map(|r| match &r.data {
            RData::PTR(p) => Some(p.0.clone()),
            _ => None,
        })
        .take(MAX_NAMES)
        .collect();
    if names.is_empty() {
        return Ptr::None;
    }
    let mut forward_confirmed = false;
    for name in &names {
        let mut fqdn = name.clone();
        fqdn.set_fqdn(true);
        if let Ok(Ok(addrs)) = tokio::time::timeout(*timeout, resolver.lookup_ip(fqdn)).await
            && addrs.iter().any(|a| a == ip)
        {
            forward_confirmed = true;
            break;
        }
    }
    Ptr::Names {
        names: names.iter().map(crate::dns::name_text).collect(),
        forward_confirmed,
    }
}

fn build(servers: &[SocketAddr], timeout: Duration) -> Result<TokioResolver, String> {
    let mut builder = if servers.is_empty() {
        let (config, options) =
            hickory_resolver::system_conf::read_system_conf().map_err(|e| e.to_string())?;
        let mut b = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default());
        *b.options_mut() = options;
        b
    } else {
        let name_servers = servers
            .iter()
            .map(|s| {
                let mut udp = ConnectionConfig::udp();
                udp.port = s.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = s.port();
                NameServerConfig::new(s.ip(), true, vec![udp, tcp])
            })
            .collect();
        let mut b = TokioResolver::builder_with_config(
            ResolverConfig::from_name_servers(name_servers),
            TokioRuntimeProvider::default(),
        );
        // The user named the resolver to ask: /etc/hosts must not answer instead.
        b.options_mut().use_hosts_file = ResolveHosts::Never;
        b
    };
    builder.options_mut().timeout = timeout;
    builder.options_mut().attempts = 1;
    builder.build().map_err(|e| e.to_string())
}
