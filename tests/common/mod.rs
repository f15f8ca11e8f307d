//! Shared test harness: scripted servers on 127.0.0.1 (run on a background tokio runtime),
//! certificates made at test time, and the real binary run as a user would run it.
//! Nothing here talks to anything outside loopback, and no test uses the system resolver:
//! host names reach 127.0.0.1 through `--resolve`.

#![allow(dead_code, clippy::unwrap_used)]

pub mod dns;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use serde_json::Value;
use starttls_check::scripted::{Ca, Leaf, LeafSpec, Scenario, ScriptedServer};
use time::OffsetDateTime;

pub const HOST: &str = "mail.example.test";

pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

/// A test PKI: root → intermediate; the root's PEM is on disk for `--ca-file`.
pub struct Pki {
    pub root: Ca,
    pub intermediate: Ca,
    pub root_file: PathBuf,
    pub now: OffsetDateTime,
}

pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let now = OffsetDateTime::now_utc();
        let root = Ca::root("Test Root CA", now).unwrap();
        let intermediate = root.intermediate("Test Issuing CA", now).unwrap();
        let root_file = write_temp("root.pem", root.pem());
        Pki {
            root,
            intermediate,
            root_file,
            now,
        }
    })
}

impl Pki {
    /// A leaf from the intermediate, sent with the intermediate.
    pub fn chain(&self, spec: &LeafSpec) -> Leaf {
        let mut leaf = self.intermediate.leaf(spec).unwrap();
        leaf.chain.push(self.intermediate.der());
        leaf
    }

    /// A healthy leaf for `name` valid `days` more days.
    pub fn healthy(&self, name: &str, days: i64) -> Leaf {
        self.chain(&LeafSpec::valid_for(name, self.now, days))
    }
}

pub fn write_temp(name: &str, contents: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "starttls-check-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

pub fn serve(scenario: Scenario) -> Arc<ScriptedServer> {
    serve_on(scenario, IpAddr::V4(Ipv4Addr::LOCALHOST))
}

pub fn serve_on(scenario: Scenario, ip: IpAddr) -> Arc<ScriptedServer> {
    let rt = runtime();
    Arc::new(rt.block_on(async { ScriptedServer::start(scenario, ip, 0).await.unwrap() }))
}

/// Starts each `(scenario, 127.0.0.x, port slot)` so that every server of a slot listens on
/// the same port number on its own loopback address, as the endpoints of a domain do.
/// Returns the servers (in the order given) and the port of each slot.
pub fn serve_group(
    servers: Vec<(Scenario, [u8; 4], usize)>,
) -> (Vec<Arc<ScriptedServer>>, Vec<u16>) {
    let slots = servers.iter().map(|(_, _, s)| s + 1).max().unwrap_or(1);
    'attempt: for _ in 0..50 {
        let mut ports = vec![0u16; slots];
        let mut running = Vec::new();
        for (scenario, ip, slot) in &servers {
            let ip = IpAddr::V4(Ipv4Addr::from(*ip));
            let started = runtime().block_on(async {
                ScriptedServer::start(scenario.clone(), ip, ports[*slot]).await
            });
            match started {
                Ok(s) => {
                    ports[*slot] = s.addr.port();
                    running.push(Arc::new(s));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue 'attempt,
                Err(e) => panic!("cannot listen on {ip}: {e}"),
            }
        }
        return (running, ports);
    }
    panic!("no port free on every loopback address after 50 attempts")
}

/// Runs the binary on `targets` as JSON against the in-process DNS server, trusting only the
/// test root.
pub fn probe_domain(dns: &dns::DnsServer, targets: &[&str], extra: &[&str]) -> Run {
    let ca = pki().root_file.to_string_lossy().into_owned();
    let resolver = dns.resolver_arg();
    let mut args: Vec<&str> = targets.to_vec();
    args.extend_from_slice(&[
        "--resolver",
        resolver.as_str(),
        "--ca-file",
        ca.as_str(),
        "--no-system-roots",
        "--format",
        "json",
        "--timeout",
        "5",
    ]);
    args.extend_from_slice(extra);
    run(&args)
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", self.stdout, self.stderr))
    }

    /// The codes of all findings, in report order.
    pub fn codes(&self) -> Vec<String> {
        self.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect()
    }

    pub fn finding(&self, code: &str) -> Value {
        self.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == code)
            .cloned()
            .unwrap_or_else(|| panic!("no {code} finding in:\n{}", self.stdout))
    }
}

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_starttls-check"));
    c.env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("FORCE_COLOR");
    c
}

pub fn run(args: &[&str]) -> Run {
    let out = bin().args(args).output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Probes `HOST` at the server's port through `--resolve`, trusting the test root, as JSON.
pub fn probe(server: &ScriptedServer, extra: &[&str]) -> Run {
    probe_name(HOST, server.addr, extra)
}

pub fn probe_name(host: &str, addr: SocketAddr, extra: &[&str]) -> Run {
    let target = format!("{host}:{}", addr.port());
    let resolve = format!("{host}:{}", addr.ip());
    let mut args = vec!["--resolve", resolve.as_str(), "--timeout", "5"];
    args.extend_from_slice(extra);
    probe_target(&target, &args)
}

/// Probes an address target (no host name), trusting only the test root, as JSON.
pub fn probe_addr(addr: SocketAddr, extra: &[&str]) -> Run {
    probe_target(&addr.to_string(), extra)
}

/// Runs the binary on `target` as JSON, trusting only the test root: the verdict must not
/// depend on this machine's CA bundle.
fn probe_target(target: &str, extra: &[&str]) -> Run {
    let ca = pki().root_file.to_string_lossy().into_owned();
    let mut args = vec![
        target,
        "--ca-file",
        ca.as_str(),
        "--no-system-roots",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// Asserts the verdict, exit code, and that `code` is the first finding with `severity`.
#[track_caller]
pub fn assert_verdict(r: &Run, verdict: &str, exit: i32, code: &str, severity: &str) {
    let j = r.json();
    assert_eq!(j["verdict"], verdict, "verdict; report:\n{}", r.stdout);
    assert_eq!(r.code, exit, "exit code; stderr: {}", r.stderr);
    let f = r.finding(code);
    assert_eq!(f["severity"], severity, "severity of {code}");
    assert_eq!(
        j["findings"][0]["code"],
        code,
        "{code} should rank first; codes: {:?}",
        r.codes()
    );
    assert!(!f["fix"].as_str().unwrap().is_empty(), "{code} has no fix");
    assert!(
        !f["evidence"].as_array().unwrap().is_empty(),
        "{code} has no evidence"
    );
}

/// Asserts that `code` is not among the findings: one cause, one finding.
#[track_caller]
pub fn assert_absent(r: &Run, code: &str) {
    let codes = r.codes();
    assert!(
        !codes.iter().any(|c| c == code),
        "unexpected {code}; codes: {codes:?}"
    );
}
