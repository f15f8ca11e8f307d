//! Shared test harness: scripted servers on 127.0.0.1 (run on a background tokio runtime),
//! certificates made at test time, and the real binary run as a user would run it.
//!
//! # Staying on loopback
//!
//! Nothing a test runs may send a packet outside 127.0.0.0/8 and ::1, and no run of the
//! binary may use the system resolver (`/etc/resolv.conf` points off this machine). Three
//! layers keep it so:
//!
//! - **Every run of the binary gets a loopback resolver.** [`command`] (behind [`run`],
//!   [`probe`], [`probe_name`], [`probe_addr`], [`probe_domain`] and [`shell_line`]) appends
//!   `--resolver 127.0.0.1:PORT` of [`dns::shared_resolver`], an empty root zone that answers
//!   NXDOMAIN for every name, whenever the arguments can start a probe and carry no
//!   `--resolver` of their own. Host names reach the scripted servers through `--resolve` or
//!   a test's own zones ([`dns::DnsServer`]); a lookup nobody planned for (a blocklist, TLSA,
//!   PTR) is answered on 127.0.0.1 instead of leaving the machine. Only `--help`,
//!   `--version`, an empty command line, `demo` (its resolver is a built-in table),
//!   `completions` and `man` run without one.
//! - **A guard refuses a run that could leak.** [`command`] and [`run_command`] call
//!   [`assert_hermetic`], which panics when a probe invocation has no `--resolver`, or names a
//!   resolver, a `--resolve` address or an address target outside loopback. The binary is
//!   started only here (`tests/cli.rs` checks that no other test or bench file names
//!   `CARGO_BIN_EXE_starttls-check`, and that none builds a resolver from the system
//!   configuration), so a new test gets the resolver and the guard without asking.
//! - **CI runs the tests where nothing else is reachable.** `.ci/run` runs `cargo test` and
//!   the Postfix tier inside a network namespace whose only interface is `lo`: a packet to
//!   any other address fails with "Network is unreachable" instead of leaving the machine.

#![allow(dead_code, clippy::unwrap_used)]

pub mod dns;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::{Command, Output};
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

/// The binary with `args`, as a user would run it, kept on loopback: when `args` can start a
/// probe and have no `--resolver`, `--resolver` of [`dns::shared_resolver`] is appended; then
/// [`assert_hermetic`] checks the whole command line. Colour variables of the caller's
/// environment are removed.
#[track_caller]
pub fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_starttls-check"));
    c.env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("FORCE_COLOR")
        .args(args);
    let args: Vec<String> = args.iter().map(|a| (*a).to_string()).collect();
    if can_probe(&args) && !args.iter().any(|a| is_option(a, "--resolver")) {
        c.arg("--resolver").arg(dns::shared_resolver().to_string());
    }
    assert_hermetic(&c);
    c
}

#[track_caller]
pub fn run(args: &[&str]) -> Run {
    run_command(command(args))
}

/// Runs a command from [`command`] (with environment or arguments added), after checking it
/// again with [`assert_hermetic`].
#[track_caller]
pub fn run_command(mut c: Command) -> Run {
    assert_hermetic(&c);
    let out: Output = c.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The command line of `c` for `sh -c` (each word single-quoted), for tests that must run the
/// binary through another program (e.g. `script` for a pseudo-terminal); checked with
/// [`assert_hermetic`] first.
#[track_caller]
pub fn shell_line(c: &Command) -> String {
    assert_hermetic(c);
    let quote = |w: &std::ffi::OsStr| format!("'{}'", w.to_string_lossy().replace('\'', r"'\''"));
    std::iter::once(quote(c.get_program()))
        .chain(c.get_args().map(quote))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `c` (from [`command`]) with a pseudo-terminal for stdin and stderr, stdout going to
/// the file `stdout_to`; returns its exit status and what the terminal showed. util-linux
/// `script` makes the terminal (bsdutils is essential on Debian).
#[track_caller]
pub fn on_terminal(c: &Command, stdout_to: &std::path::Path) -> (std::process::ExitStatus, String) {
    let typescript = write_temp("typescript", "");
    let line = format!("{} > {}", shell_line(c), stdout_to.display());
    let status = std::process::Command::new("script")
        .args(["-qec", &line])
        .arg(&typescript)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("util-linux script");
    (status, std::fs::read_to_string(&typescript).unwrap())
}

/// The guard: panics, naming the command line, when `c` could send anything outside loopback
/// (see [`hermetic_violation`]).
#[track_caller]
pub fn assert_hermetic(c: &Command) {
    let args: Vec<String> = c
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if let Some(why) = hermetic_violation(&args) {
        panic!(
            "test harness: refusing to run starttls-check {}: {why}. Tests stay on loopback \
             (see tests/common/mod.rs): start the binary through common::command/run, which \
             add a loopback --resolver, and use 127.0.0.x addresses only.",
            args.join(" ")
        );
    }
}

/// Why the command line `args` of the binary could leave loopback, if it could:
/// - it can start a probe (see [`can_probe`]) but has no `--resolver`, so any name lookup
///   would go to the system resolver;
/// - a `--resolver`, a `--resolve` or `--connect-to` address or an address target is outside
///   127.0.0.0/8 and ::1, or a `--resolver` value is not an address this guard can check.
pub fn hermetic_violation(args: &[String]) -> Option<String> {
    let mut resolvers = 0;
    let mut words = args.iter().map(String::as_str);
    while let Some(word) = words.next() {
        let (option, inline) = match word.split_once('=') {
            Some((o, v)) if o.starts_with("--") => (o, Some(v)),
            _ => (word, None),
        };
        let mut value = || inline.or_else(|| words.next());
        match option {
            "--resolver" => {
                resolvers += 1;
                let v = value().unwrap_or_default();
                match resolver_ip(v) {
                    Some(ip) if ip.is_loopback() => {}
                    Some(ip) => {
                        return Some(format!("--resolver {v}: {ip} is not a loopback address"));
                    }
                    None => {
                        return Some(format!("--resolver {v:?} is not an IP[:PORT] on loopback"));
                    }
                }
            }
            "--resolve" => {
                // A value without an address is a usage error the binary reports: no lookup.
                let v = value().unwrap_or_default();
                if let Some(ip) = resolve_ip(v).filter(|ip| !ip.is_loopback()) {
                    return Some(format!("--resolve {v}: {ip} is not a loopback address"));
                }
            }
            // The policy's HTTP fetches connect there instead of where DNS points.
            "--connect-to" => {
                let v = value().unwrap_or_default();
                let addr = v
                    .rsplit_once(':')
                    .and_then(|(rest, _)| rest.splitn(3, ':').nth(2))
                    .map(|a| a.trim_start_matches('[').trim_end_matches(']'));
                match addr.and_then(|a| a.parse::<IpAddr>().ok()) {
                    Some(ip) if ip.is_loopback() => {}
                    _ => return Some(format!("--connect-to {v}: not a loopback address")),
                }
            }
            // A batch's targets are checked as if they were on the command line (a file
            // read from stdin is the test's own business).
            "--targets-file" => {
                let v = value().unwrap_or_default();
                let text = std::fs::read_to_string(v).unwrap_or_default();
                let line = |l: &str| l.split('#').next().unwrap_or_default().trim().to_string();
                for t in text.lines().map(line) {
                    if let Some(ip) = target_ip(&t).filter(|ip| !ip.is_loopback()) {
                        return Some(format!("target {t} in {v}: {ip} is not a loopback address"));
                    }
                }
            }
            // Names, never connected to, though an EHLO name may be an address literal;
            // --egress-ip is only looked up in blocklists, through the loopback --resolver.
            "--ehlo-name" | "--expect-name" | "--egress-ip" => {
                value();
            }
            _ => {
                if let Some(ip) = target_ip(word).filter(|ip| !ip.is_loopback()) {
                    return Some(format!("target {word}: {ip} is not a loopback address"));
                }
            }
        }
    }
    if resolvers == 0 && can_probe(args) {
        return Some("no --resolver, so a name lookup would go to the system resolver".into());
    }
    None
}

/// Whether the binary, given `args`, could start a probe (and so look names up): anything but
/// an empty command line, `--help`, `--version`, the `demo` (whose resolver is a built-in
/// table) and `completions` and `man` (which write text and take no probe option).
pub fn can_probe(args: &[String]) -> bool {
    let exempt = args.is_empty()
        || matches!(args[0].as_str(), "demo" | "completions" | "man")
        || args
            .iter()
            .any(|a| matches!(a.as_str(), "--help" | "-h" | "--version" | "-V"));
    !exempt
}

/// `word` is `option` or `option=VALUE`.
fn is_option(word: &str, option: &str) -> bool {
    word == option
        || word
            .strip_prefix(option)
            .is_some_and(|rest| rest.starts_with('='))
}

/// The address of a `--resolver` value, read as the binary reads it: `IP`, `[IPv6]`,
/// `IP:PORT` or `[IPv6]:PORT`.
fn resolver_ip(v: &str) -> Option<IpAddr> {
    v.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .ok()
        .or_else(|| v.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// The address of a `--resolve` value (`HOST:ADDR`, `HOST:[IPv6]`, `HOST:PORT:ADDR`).
fn resolve_ip(v: &str) -> Option<IpAddr> {
    let (_, rest) = v.split_once(':')?;
    let unbracket = |a: &str| a.trim_start_matches('[').trim_end_matches(']').parse().ok();
    unbracket(rest).or_else(|| unbracket(rest.split_once(':')?.1))
}

/// The address of an address target (`IP`, `IP:PORT`, `[IP]`, `[IPv6]:PORT`); `None` for a
/// name or any other word.
fn target_ip(word: &str) -> Option<IpAddr> {
    word.parse::<IpAddr>()
        .ok()
        .or_else(|| word.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            word.strip_prefix('[')
                .and_then(|w| w.split_once(']'))
                .and_then(|(ip, _)| ip.parse().ok())
        })
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

/// Probes `host` on several ports (`-p 2525,2526`) at `ip` through `--resolve`, trusting the
/// test root, as JSON: the way a user compares the listeners of one host.
pub fn probe_ports(host: &str, ip: &str, ports: &str, extra: &[&str]) -> Run {
    let resolve = format!("{host}:{ip}");
    let mut args = vec!["-p", ports, "--resolve", resolve.as_str(), "--timeout", "5"];
    args.extend_from_slice(extra);
    probe_target(host, &args)
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

/// Standard base64 with padding (RFC 4648 §4), for test data handed to scripts.
pub fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
