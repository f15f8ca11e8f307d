//! Wall time of a domain check: 4 endpoints (MX 10 with one address, MX 20 with three), one
//! of which accepts TCP and never speaks, `--timeout 2`. Everything runs on loopback: an
//! in-process DNS server (`--resolver`) and scripted SMTP servers on 127.0.0.2-127.0.0.5.
//! Prints every run and the median of 5 for three set-ups, for BENCHMARKS.md (its history
//! holds the figures so far; `bench/compare.sh` measures the same shape against real Postfix
//! listeners):
//!
//! - all 4 endpoints healthy;
//! - one blackholed (the figure the issue asks for: about one timeout);
//! - three blackholed, at once and with `--concurrency 1` (one endpoint at a time, what a
//!   serial tool pays): the slowest endpoint versus the sum.
//!
//! Each set-up runs twice: with the domain's policy (MTA-STS TXT and an HTTPS policy server
//! on loopback that answers after 150 ms, TLS-RPT TXT, TLSA lookups of every host, the
//! chain's CRL checks) and with `--no-policy`. The policy phase runs beside the probes, so the
//! two walls should differ by much less than the policy server's 150 ms.
//!
//! Run with `cargo bench --bench domain` (release profile).

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use common::dns::DnsServer;
use common::*;
use std::net::IpAddr;

use starttls_check::scripted::http::{HttpServer, Response};
use starttls_check::scripted::{OnConnect, Scenario, server_config};

const ZONE: &str = "$ORIGIN contoso.test.
$TTL 60
@ IN SOA ns.contoso.test. hostmaster.contoso.test. 1 60 60 60 60
@ IN MX 10 mx1
@ IN MX 20 mx2
mx1 IN A 127.0.0.2
mx2 IN A 127.0.0.3
mx2 IN A 127.0.0.4
mx2 IN A 127.0.0.5
_mta-sts IN TXT \"v=STSv1; id=20261203\"
_smtp._tls IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@contoso.test\"
mta-sts IN A 127.0.0.1
";

/// The policy the HTTPS server serves, after a pause, as a slow web host would.
const POLICY: &[u8] = b"version: STSv1\r\nmode: enforce\r\nmx: mx1.contoso.test\r\nmx: mx2.contoso.test\r\nmax_age: 604800\r\n";

/// The pause before the policy server answers.
const POLICY_DELAY: std::time::Duration = std::time::Duration::from_millis(150);

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn measure(label: &str, blackholed: usize, extra: &[&str]) {
    let mx1 = Scenario::postfix("mx1.contoso.test", &pki().healthy("mx1.contoso.test", 90));
    let mx2 = Scenario::postfix("mx2.contoso.test", &pki().healthy("mx2.contoso.test", 90));
    let mut silent = mx2.clone();
    silent.on_connect = OnConnect::Silent;
    // The last `blackholed` of mx2's three addresses never speak.
    let servers: Vec<(Scenario, [u8; 4], usize)> = std::iter::once((mx1, [127, 0, 0, 2], 0))
        .chain((3..=5).map(|last| {
            let sc = if usize::from(last) + blackholed > 5 {
                silent.clone()
            } else {
                mx2.clone()
            };
            (sc, [127, 0, 0, last], 0)
        }))
        .collect();
    let (_servers, ports) = serve_group(servers);
    let dns = DnsServer::start(&[("contoso.test.", ZONE)]);
    let port = ports[0].to_string();
    let leaf = pki().healthy("mta-sts.contoso.test", 90);
    let header = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n";
    let policy = runtime()
        .block_on(HttpServer::start(
            vec![(
                "/.well-known/mta-sts.txt".to_string(),
                Response::Dribble(Vec::new(), [&header[..], POLICY].concat(), POLICY_DELAY, 1),
            )],
            Some(server_config(&leaf)),
            IpAddr::from([127, 0, 0, 1]),
            0,
        ))
        .unwrap();
    let connect_to = format!("mta-sts.contoso.test:443:127.0.0.1:{}", policy.addr.port());
    let mut args = vec!["-p", port.as_str(), "--timeout", "2"];
    if extra.contains(&"--no-policy") {
        args.extend_from_slice(extra);
    } else {
        args.extend_from_slice(&["--connect-to", connect_to.as_str()]);
        args.extend_from_slice(extra);
    }
    let mut walls = Vec::new();
    for _ in 0..5 {
        let t0 = Instant::now();
        let r = probe_domain(&dns, &["contoso.test"], &args);
        walls.push(t0.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(r.json()["endpoints"].as_array().unwrap().len(), 4);
    }
    let runs: Vec<String> = walls.iter().map(|w| format!("{w:.0}")).collect();
    println!(
        "| {label} | {:.0} ms | {} |",
        median(walls.clone()),
        runs.join(" ")
    );
}

fn main() {
    println!("| set-up | median wall | runs (ms) |\n|---|---|---|");
    for (policy, extra) in [
        ("with policy", &[][..]),
        ("--no-policy", &["--no-policy"][..]),
    ] {
        measure(&format!("4 endpoints, all healthy, {policy}"), 0, extra);
        measure(
            &format!("4 endpoints, 1 blackholed, --timeout 2, {policy}"),
            1,
            extra,
        );
        measure(
            &format!("4 endpoints, 3 blackholed, --timeout 2, {policy}"),
            3,
            extra,
        );
        let serial = [extra, &["--concurrency", "1"][..]].concat();
        measure(
            &format!("4 endpoints, 3 blackholed, --timeout 2, --concurrency 1, {policy}"),
            3,
            &serial,
        );
    }
}
