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
//! Run with `cargo bench --bench domain` (release profile).

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use common::dns::DnsServer;
use common::*;
use starttls_check::scripted::{OnConnect, Scenario};

const ZONE: &str = "$ORIGIN contoso.test.
$TTL 60
@ IN SOA ns.contoso.test. hostmaster.contoso.test. 1 60 60 60 60
@ IN MX 10 mx1
@ IN MX 20 mx2
mx1 IN A 127.0.0.2
mx2 IN A 127.0.0.3
mx2 IN A 127.0.0.4
mx2 IN A 127.0.0.5
";

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
    let mut args = vec!["-p", port.as_str(), "--timeout", "2"];
    args.extend_from_slice(extra);
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
    measure("4 endpoints, all healthy", 0, &[]);
    measure("4 endpoints, 1 blackholed, --timeout 2", 1, &[]);
    measure("4 endpoints, 3 blackholed, --timeout 2", 3, &[]);
    measure(
        "4 endpoints, 3 blackholed, --timeout 2, --concurrency 1",
        3,
        &["--concurrency", "1"],
    );
}
