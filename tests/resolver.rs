//! Our resolver (`starttls_check::dns`) against real DNS answers from the in-process server
//! (`tests/common/dns.rs`).
//!
//! Why: the probe's routing rests on how `HickoryResolver` reads hickory's answers — MX sets
//! normalised (lower case, no trailing dot), NODATA as "no MX" rather than an error, NXDOMAIN
//! vs. "exists without addresses" vs. "the resolver failed", null MX (RFC 7505), an MX
//! exchange that looks like an IP literal, and CNAME aliases (RFC 2181 §10.3). Those can only
//! be checked end to end through the public API with a server that answers as a real
//! authoritative one does. Every resolver here asks only 127.0.0.1; none is ever built from
//! the system configuration (`/etc/resolv.conf`).

#![allow(clippy::unwrap_used)]

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use common::dns::DnsServer;
use starttls_check::dns::{DnsError, HickoryResolver, HostAnswer, LazyResolver, Mx, Resolver};

const TIMEOUT: Duration = Duration::from_secs(2);

/// Two MX hosts, a host with two A and one AAAA, and an alias. `MX2.Contoso.TEST.` is written
/// in upper case, but hickory's zone parser reads names as UTF-8 (IDNA), which lower-cases
/// them: it reaches the resolver in lower case, so only the trailing-dot half of the exchange
/// normalisation is really exercised here.
const CONTOSO: &str = "\
$ORIGIN contoso.test.
$TTL 60
@     IN SOA ns.contoso.test. hostmaster.contoso.test. 1 60 60 60 60
@     IN MX 10 mx1.contoso.test.
@     IN MX 20 MX2.Contoso.TEST.
mx1   IN A 192.0.2.10
mx2   IN A 192.0.2.20
mx2   IN A 192.0.2.21
mx2   IN AAAA 2001:db8::20
alias IN CNAME mx1.contoso.test.
alias2 IN CNAME alias.contoso.test.
";

/// RFC 7505: "this domain accepts no mail".
const FABRIKAM_NULL_MX: &str = "\
$ORIGIN fabrikam.test.
$TTL 60
@    IN SOA ns.fabrikam.test. hostmaster.fabrikam.test. 1 60 60 60 60
@    IN MX 0 .
";

/// An MX whose exchange is written as an address (a name of four numeric labels in DNS).
const NORTHWIND_IP_MX: &str = "\
$ORIGIN northwind.test.
$TTL 60
@    IN SOA ns.northwind.test. hostmaster.northwind.test. 1 60 60 60 60
@    IN MX 10 192.0.2.1.
";

fn server() -> DnsServer {
    DnsServer::start(&[
        ("contoso.test.", CONTOSO),
        ("fabrikam.test.", FABRIKAM_NULL_MX),
        ("northwind.test.", NORTHWIND_IP_MX),
    ])
}

/// A resolver that asks only `dns` (never the system configuration).
fn resolver(dns: &DnsServer) -> HickoryResolver {
    HickoryResolver::new(TIMEOUT, &[dns.addr]).unwrap()
}

fn mx(preference: u16, exchange: &str) -> Mx {
    Mx {
        preference,
        exchange: exchange.into(),
    }
}

fn sorted_mx(mut mx: Vec<Mx>) -> Vec<Mx> {
    mx.sort_by(|a, b| (a.preference, &a.exchange).cmp(&(b.preference, &b.exchange)));
    mx
}

/// A loopback address where nothing listens: bind a UDP socket on a fresh port, then free it.
fn dead_loopback_addr() -> SocketAddr {
    let socket = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    socket.local_addr().unwrap()
}

#[test]
fn mx_set_lists_every_host_with_preference_lower_cased_without_trailing_dot() {
    let dns = server();
    let r = resolver(&dns);
    let got = common::runtime()
        .block_on(r.lookup_mx("contoso.test"))
        .unwrap();
    assert_eq!(
        sorted_mx(got),
        vec![mx(10, "mx1.contoso.test"), mx(20, "mx2.contoso.test")]
    );
}

#[test]
fn mx_of_a_name_with_only_an_address_is_an_empty_list() {
    let dns = server();
    let r = resolver(&dns);
    let got = common::runtime().block_on(r.lookup_mx("mx1.contoso.test"));
    assert_eq!(got, Ok(vec![]));
}

#[test]
fn nonexistent_name_is_nxdomain_for_mx_and_host() {
    let dns = server();
    let r = resolver(&dns);
    common::runtime().block_on(async {
        let mx = r.lookup_mx("nope.contoso.test").await;
        assert!(
            matches!(&mx, Err(DnsError::NxDomain { name }) if name == "nope.contoso.test"),
            "lookup_mx: want NxDomain, got {mx:?}"
        );
        let host = r.lookup_host("nope.contoso.test").await;
        assert!(
            matches!(&host, Err(DnsError::NxDomain { name }) if name == "nope.contoso.test"),
            "lookup_host: want NxDomain, got {host:?}"
        );
    });
}

#[test]
fn null_mx_is_one_record_with_empty_exchange() {
    let dns = server();
    let r = resolver(&dns);
    let got = common::runtime().block_on(r.lookup_mx("fabrikam.test"));
    assert_eq!(got, Ok(vec![mx(0, "")]));
}

#[test]
fn mx_exchange_written_as_ip_literal_comes_back_as_the_bare_address() {
    let dns = server();
    let r = resolver(&dns);
    let got = common::runtime().block_on(r.lookup_mx("northwind.test"));
    assert_eq!(got, Ok(vec![mx(10, "192.0.2.1")]));
}

#[test]
fn host_with_two_a_and_one_aaaa_yields_all_three_addresses() {
    let dns = server();
    let r = resolver(&dns);
    let mut got = common::runtime()
        .block_on(r.lookup_host("mx2.contoso.test"))
        .unwrap();
    got.addrs.sort();
    assert_eq!(
        got,
        HostAnswer {
            addrs: vec![
                IpAddr::V4(Ipv4Addr::new(192, 0, 2, 20)),
                IpAddr::V4(Ipv4Addr::new(192, 0, 2, 21)),
                IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x20)),
            ],
            alias_of: None,
            unusable: Vec::new(),
        }
    );
}

#[test]
fn host_that_exists_without_addresses_is_no_address() {
    let dns = server();
    let r = resolver(&dns);
    let got = common::runtime().block_on(r.lookup_host("contoso.test"));
    assert!(
        matches!(&got, Err(DnsError::NoAddress { name }) if name == "contoso.test"),
        "want NoAddress, got {got:?}"
    );
}

#[test]
fn cname_alias_reports_its_target_and_the_target_address() {
    let dns = server();
    let r = resolver(&dns);
    common::runtime().block_on(async {
        let alias = r.lookup_host("alias.contoso.test").await.unwrap();
        assert_eq!(
            alias,
            HostAnswer {
                addrs: vec![IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10))],
                alias_of: Some("mx1.contoso.test".into()),
                unusable: Vec::new(),
            }
        );
        let plain = r.lookup_host("mx1.contoso.test").await.unwrap();
        assert_eq!(plain.alias_of, None);
        let chain = r.lookup_host("alias2.contoso.test").await.unwrap();
        assert_eq!(
            chain.alias_of.as_deref(),
            Some("mx1.contoso.test"),
            "a chain is followed to the canonical name, not its first hop"
        );
    });
}

#[test]
fn unreachable_resolver_fails_quickly_and_is_named() {
    let dead = dead_loopback_addr();
    let started = Instant::now();
    let r = HickoryResolver::new(Duration::from_millis(300), &[dead]).unwrap();
    let got = common::runtime().block_on(r.lookup_mx("contoso.test"));
    assert!(
        matches!(&got, Err(DnsError::Failed { name, .. }) if name == "contoso.test"),
        "want Failed, got {got:?}"
    );
    assert_eq!(
        r.describe(),
        format!("the resolver 127.0.0.1:{}", dead.port())
    );
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
}

#[test]
fn describe_names_a_non_53_resolver_with_its_port() {
    let dns = server();
    let r = resolver(&dns);
    assert_eq!(
        r.describe(),
        format!("the resolver 127.0.0.1:{}", dns.addr.port())
    );
}

#[test]
fn lazy_resolver_names_its_server_before_and_after_use_and_answers() {
    let dns = server();
    let lazy = LazyResolver::new(TIMEOUT, vec![dns.addr]);
    let expected = format!("the resolver 127.0.0.1:{}", dns.addr.port());
    assert_eq!(lazy.describe(), expected);
    let got = common::runtime()
        .block_on(lazy.lookup_mx("fabrikam.test"))
        .unwrap();
    assert_eq!(got, vec![mx(0, "")]);
    assert_eq!(lazy.describe(), expected);
}
