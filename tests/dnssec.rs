//! Real-DNSSEC tier: the `starttls-check` binary against signed zones served by nsd and
//! validated by unbound, both on 127.0.0.1 (`tests/dnssec/setup.sh`, see
//! `tests/dnssec/README.md`). A test server that merely sets the AD bit proves nothing: here
//! the AD bit, the insecure delegation and the bogus signatures are unbound's own verdicts.
//!
//! The tests start the tier themselves, once per test process, through
//! `tests/dnssec/setup.sh run` (a fresh PKI, keys, signed zones, then nsd and unbound), and it
//! stops when the process ends (its stdin is a pipe this process holds). Every tier test is
//! `#[ignore]`d, so a plain `cargo test` skips them:
//!
//! ```text
//! sudo bash tests/dnssec/setup.sh install
//! cargo test --test dnssec -- --ignored
//! ```
//!
//! Without the install they fail, naming that command; they never pass silently.
//!
//! Two groups: `policy` asserts the report's `policy` object (the lookups: DNSSEC status, the
//! TLSA records as the zone holds them); `findings` asserts the DANE findings the rules derive
//! from them and the chain the in-process SMTP server presents.

#![allow(clippy::unwrap_used)]

mod common;
mod schema_check;

use std::collections::HashMap;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;
use starttls_check::scripted::{Leaf, Scenario, ScriptedServer};

/// How long the tier may take to make its PKI, sign its zones and validate a first answer.
const START_DEADLINE: Duration = Duration::from_secs(60);

/// The tier started by `setup.sh run`, serving until this process ends.
struct Tier {
    dir: PathBuf,
    vars: HashMap<String, String>,
    _child: Mutex<Option<Child>>,
    /// The lifeline: the script serves until this pipe closes (when the process exits).
    _stdin: Mutex<Option<ChildStdin>>,
}

fn tier() -> &'static Tier {
    static TIER: OnceLock<Tier> = OnceLock::new();
    TIER.get_or_init(start)
}

/// `KEY=value` lines of a ports.env, comments skipped.
fn parse_env(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn start() -> Tier {
    let dir = std::env::var_os("STARTTLS_CHECK_DNSSEC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/starttls-check-dnssec"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dnssec/setup.sh");
    std::fs::create_dir_all(&dir).unwrap();
    // A tier already serving (its ports.env written, unbound answering on its port) is used
    // as it is: starting a second one would fail on the taken ports, and removing its
    // ports.env would break it for everyone else using it.
    if let Ok(text) = std::fs::read_to_string(dir.join("ports.env")) {
        let vars = parse_env(&text);
        let up = vars
            .get("DNS_UNBOUND")
            .and_then(|a| a.parse::<std::net::SocketAddr>().ok())
            .is_some_and(|a| {
                std::net::TcpStream::connect_timeout(&a, Duration::from_secs(1)).is_ok()
            });
        if up {
            return Tier {
                dir,
                vars,
                _child: Mutex::new(None),
                _stdin: Mutex::new(None),
            };
        }
    }
    let log = dir.join("setup.log");
    let _ = std::fs::remove_file(dir.join("ports.env"));
    let out = std::fs::File::create(&log).unwrap();
    let mut child = Command::new("bash")
        .arg(&script)
        .arg("run")
        .arg(&dir)
        .stdin(Stdio::piped())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run bash {}: {e}", script.display()));
    let stdin = child.stdin.take();
    let started = Instant::now();
    let vars = loop {
        let why = if let Some(status) = child.try_wait().unwrap() {
            Some(format!("the setup script exited ({status})"))
        } else if started.elapsed() > START_DEADLINE {
            Some(format!("not ready after {START_DEADLINE:?}"))
        } else {
            None
        };
        if let Some(why) = why {
            let _ = child.kill();
            let _ = child.wait();
            let mut said = String::new();
            let _ = std::fs::File::open(&log).and_then(|mut f| f.read_to_string(&mut said));
            panic!(
                "the DNSSEC tier did not start: {why}.\n--- `bash {} run {}` said:\n{said}\n\
                 The tier needs nsd, unbound and ldnsutils: as root, `bash {} install` (needs \
                 the network); see tests/dnssec/README.md.",
                script.display(),
                dir.display(),
                script.display()
            );
        }
        if let Ok(text) = std::fs::read_to_string(dir.join("ports.env")) {
            break parse_env(&text);
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    Tier {
        dir,
        vars,
        _child: Mutex::new(Some(child)),
        _stdin: Mutex::new(stdin),
    }
}

impl Tier {
    fn var(&self, key: &str) -> &str {
        self.vars
            .get(key)
            .unwrap_or_else(|| panic!("{}/ports.env has no {key}", self.dir.display()))
    }

    fn port(&self, key: &str) -> u16 {
        self.var(key).parse().unwrap()
    }

    fn leaf(&self) -> Leaf {
        let chain = std::fs::read_to_string(self.var("DNSSEC_LEAF_CHAIN")).unwrap();
        let key = std::fs::read_to_string(self.var("DNSSEC_LEAF_KEY")).unwrap();
        Leaf::from_pem(&[&chain], &key).unwrap()
    }

    /// SHA2-256 of the SubjectPublicKeyInfo of the chain's certificate `i` (0 the leaf, 1
    /// its issuer), lower-case hex: what a `x 1 1` record holds, computed here apart from
    /// the openssl that wrote the zone.
    fn spki_sha256(&self, i: usize) -> String {
        let leaf = self.leaf();
        let (_, cert) = x509_parser::parse_x509_certificate(&leaf.chain[i]).unwrap();
        let digest = ring::digest::digest(&ring::digest::SHA256, cert.public_key().raw);
        digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A Postfix-like SMTP server on 127.0.0.1:`port` presenting the tier's leaf and its
/// intermediate, for as long as the value lives.
fn serve(port: u16, name: &str) -> ScriptedServer {
    let leaf = tier().leaf();
    common::runtime()
        .block_on(ScriptedServer::start(
            Scenario::postfix(name, &leaf),
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            port,
        ))
        .unwrap_or_else(|e| panic!("bind 127.0.0.1:{port}: {e}"))
}

/// One run of the binary against `domain` on `port`, through the tier's unbound.
struct Probe {
    json: Value,
    ctx: String,
}

/// The binary on `domain -p port` through the tier's validating resolver, in `format`.
fn run_as(domain: &str, port: u16, format: &str) -> common::Run {
    let t = tier();
    let port_text = port.to_string();
    let ca = t.var("STARTTLS_CHECK_DNSSEC_CA").to_owned();
    let resolver = t.var("DNS_UNBOUND").to_owned();
    common::run(&[
        domain,
        "-p",
        &port_text,
        "--resolver",
        &resolver,
        "--ca-file",
        &ca,
        "--no-system-roots",
        "--format",
        format,
        "--timeout",
        "5",
    ])
}

/// The HTML page's TLS policy cell of a one-target run.
fn policy_cell(domain: &str, port: u16) -> String {
    let page = run_as(domain, port, "html").stdout;
    let start = page
        .find("<td class=\"policy\">")
        .unwrap_or_else(|| panic!("no TLS policy column:\n{page}"));
    let cell = &page[start..];
    cell[..cell.find("</td>").unwrap()].to_owned()
}

fn probe(domain: &str, port: u16) -> Probe {
    let t = tier();
    let resolver = t.var("DNS_UNBOUND").to_owned();
    let run = run_as(domain, port, "json");
    let ctx = format!(
        "\n--- starttls-check {domain} -p {port} --resolver {resolver}\n--- exit {}\n--- stdout:\n{}\n--- stderr:\n{}",
        run.code, run.stdout, run.stderr
    );
    let json = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}){ctx}"));
    // Every report of real DNSSEC data (records, denials, bogus) against docs/report.schema.json.
    schema_check::assert_valid(&json, &format!("the report of {domain} -p {port}"));
    Probe { json, ctx }
}

impl Probe {
    fn policy(&self, domain: &str) -> &Value {
        let p = &self.json["policy"][domain];
        assert!(p.is_object(), "no policy for {domain}{}", self.ctx);
        p
    }

    /// The DANE lookups of `host` in `domain`'s policy.
    fn host(&self, domain: &str, host: &str) -> &Value {
        let dane = self.policy(domain)["dane"].as_array().unwrap();
        dane.iter()
            .find(|h| h["host"] == host)
            .unwrap_or_else(|| panic!("no dane entry for {host}{}", self.ctx))
    }

    /// `usage selector matching data` of each TLSA record of `host`.
    fn records(&self, domain: &str, host: &str) -> Vec<String> {
        let h = self.host(domain, host);
        h["tlsa"]["records"]
            .as_array()
            .unwrap_or_else(|| panic!("no TLSA records for {host}{}", self.ctx))
            .iter()
            .map(|r| r["text"].as_str().unwrap().to_owned())
            .collect()
    }

    fn codes(&self) -> Vec<String> {
        self.json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_owned())
            .collect()
    }

    fn finding(&self, code: &str) -> &Value {
        self.json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == code)
            .unwrap_or_else(|| panic!("no {code} finding{}", self.ctx))
    }
}

fn assert_secure_host(p: &Probe, domain: &str, host: &str, port: u16) {
    let h = p.host(domain, host);
    let ctx = &p.ctx;
    assert_eq!(h["port"], u64::from(port), "{ctx}");
    assert_eq!(h["address_dnssec"], "secure", "{ctx}");
    assert_eq!(h["base_domain"], host, "{ctx}");
    assert_eq!(
        h["tlsa"]["name"],
        format!("_{port}._tcp.{host}").as_str(),
        "{ctx}"
    );
    assert_eq!(h["tlsa"]["dnssec"], "secure", "{ctx}");
    assert_eq!(h["tlsa"]["outcome"], "records", "{ctx}");
    assert_eq!(h["tlsa"]["error"], Value::Null, "{ctx}");
}

/// The report's `policy` object: what the lookups found, as unbound validated it.
mod policy {
    use super::*;

    #[test]
    #[ignore = "needs the DNSSEC tier: sudo bash tests/dnssec/setup.sh install"]
    fn secure_mx_and_matching_dane_ee() {
        let t = tier();
        let port = t.port("SMTP_OK");
        let p = probe("ok.dane.test", port);
        let pol = p.policy("ok.dane.test");
        assert_eq!(pol["resolver"]["server"], t.var("DNS_UNBOUND"), "{}", p.ctx);
        assert_eq!(pol["resolver"]["trusted"], true, "{}", p.ctx);
        assert_eq!(pol["mx_dnssec"], "secure", "{}", p.ctx);
        assert_secure_host(&p, "ok.dane.test", "mx-ok.dane.test", port);
        assert_eq!(
            p.records("ok.dane.test", "mx-ok.dane.test"),
            [format!("3 1 1 {}", t.spki_sha256(0))],
            "{}",
            p.ctx
        );
        let r = &p.host("ok.dane.test", "mx-ok.dane.test")["tlsa"]["records"][0];
        assert_eq!(
            (&r["usage"], &r["selector"], &r["matching"]),
            (&3.into(), &1.into(), &1.into())
        );
        assert_eq!(r["data"], t.spki_sha256(0).as_str());
    }

    #[test]
    #[ignore = "needs the DNSSEC tier: sudo bash tests/dnssec/setup.sh install"]
    fn secure_dane_ee_of_another_key() {
        let t = tier();
        let port = t.port("SMTP_NO_MATCH");
        let p = probe("nomatch.dane.test", port);
        assert_eq!(p.policy("nomatch.dane.test")["mx_dnssec"], "secure");
        assert_secure_host(&p, "nomatch.dane.test", "mx-nomatch.dane.test", port);
        let records = p.records("nomatch.dane.test", "mx-nomatch.dane.test");
        assert_eq!(records.len(), 1, "{}", p.ctx);
        assert!(records[0].starts_with("3 1 1 "), "{}", p.ctx);
        assert_ne!(
            records[0],
            format!("3 1 1 {}", t.spki_sha256(0)),
            "{}",
            p.ctx
        );
    }

    #[test]
    #[ignore = "needs the DNSSEC tier: sudo bash tests/dnssec/setup.sh install"]
    fn secure_unusable_usages_only() {
        let t = tier();
        let port = t.port("SMTP_UNUSABLE");
        let p = probe("unusable.dane.test", port);
        assert_secure_host(&p, "unusable.dane.test", "mx-unusable.dane.test", port);
        let mut records = p.records("unusable.dane.test", "mx-unusable.dane.test");
        records.sort();
        let leaf = t.spki_sha256(0);
        assert_eq!(
            records,
            [format!("1 1 1 {leaf}"), format!("255 1 1 {leaf}")],
            "{}",
            p.ctx
        );
    }

    #[test]
    #[ignore = "needs the DNSSEC tier: sudo bash tests/dnssec/setup.sh install"]
    fn secure_dane_ee_and_dane_ta() {
        let t = tier();
        let port = t.port("SMTP_ROLLOVER");
        let p = probe("rollover.dane.test", port);
        assert_secure_host(&p, "rollover.dane.test", "mx-rollover.dane.test", port);
        let mut records = p.records("rollover.dane.test", "mx-rollover.dane.test");
        records.sort();
        assert_eq!(
            records,
            [
                format!("2 1 1 {}", t.spki_sha256(1)),
                format!("3 1 1 {}", t.spki_sha256(0))
            ],
            "{}",
            p.ctx
        );
        let t2 = probe("ta.dane.test", t.port("SMTP_DANE_TA"));
        assert_eq!(
            t2.records("ta.dane.test", "mx-ta.dane.test"),
            [format!("2 1 1 {}", t.spki_sha256(1))],
            "{}",
            t2.ctx
        );
    }

    /// A delegation without DS: unbound answers without AD; no TLSA is looked up for an
    /// insecure host (RFC 7672 §2.2).
    #[test]
    #[ignore = "needs the DNSSEC tier: sudo bash tests/dnssec/setup.sh install"]
    fn insecure_delegation_ignores_its_tlsa() {
        let t = tier();
        let port = t.port("SMTP_INSECURE");
        let p = probe("insecure.dane.test", port);
        let pol = p.policy("insecure.dane.test");
        assert_eq!(pol["mx_dnssec"], "insecure", "{}", p.ctx);
        let h = p.host("insecure.dane.test", "mx.insecure.dane.test");
        assert_eq!(h["address_dnssec"], "insecure", "{}", p.ctx);
        assert_eq!(h["tlsa"], Value::Null, "{}", p.ctx);
        assert_eq!(h["base_domain"], Value::Null, "{}", p.ctx);
    }

    /// Expired signatures under a DS: unbound's SERVFAIL is read as bogus.
    #[test]
    #[ignore = "needs the DNSSEC tier: sudo bash tests/dnssec/setup.sh install"]
    fn bogus_tlsa_is_bogus() {
        let t = tier();
        let port = t.port("SMTP_BOGUS");
        let p = probe("bogus.dane.test", port);
        assert_eq!(p.policy("bogus.dane.test")["mx_dnssec"], "secure");
        let h = p.host("bogus.dane.test", "mx-bogus.dane.test");
        assert_eq!(h["address_dnssec"], "secure", "{}", p.ctx);
        assert_eq!(h["tlsa"]["dnssec"], "bogus", "{}", p.ctx);
        assert_eq!(h["tlsa"]["outcome"], "failed", "{}", p.ctx);
        assert_eq!(h["tlsa"]["records"], serde_json::json!([]), "{}", p.ctx);
        let error = h["tlsa"]["error"].as_str().unwrap();
        assert!(error.contains("SERVFAIL"), "{error}");
        assert!(error.contains("bogus"), "{error}");
        // Asked again with checking disabled, unbound hands over the expired data: bogus
        // proven, not a failing server (RFC 4035 §3.2.2).
        assert!(
            error.contains("with checking disabled (CD) it answered"),
            "{error}"
        );
        assert_eq!(h["base_domain"], Value::Null, "{}", p.ctx);
    }

    /// An insecure MX RRset naming a host of the secure zone: the host's TLSA is still
    /// secure (RFC 7672 §2.2.1 lets a client use it).
    #[test]
    #[ignore = "needs the DNSSEC tier: sudo bash tests/dnssec/setup.sh install"]
    fn insecure_mx_secure_host() {
        let t = tier();
        let port = t.port("SMTP_MX_INSECURE");
        let p = probe("half.insecure.dane.test", port);
        assert_eq!(p.policy("half.insecure.dane.test")["mx_dnssec"], "insecure");
        assert_secure_host(&p, "half.insecure.dane.test", "mx-half.dane.test", port);
        assert_eq!(
            p.records("half.insecure.dane.test", "mx-half.dane.test"),
            [format!("3 1 1 {}", t.spki_sha256(0))]
        );
    }

    /// A secure host without TLSA: a secure NXDOMAIN (no SMTP server needed: the lookups
    /// are made whether or not the port answers).
    #[test]
    #[ignore = "needs the DNSSEC tier: sudo bash tests/dnssec/setup.sh install"]
    fn secure_denial_of_tlsa() {
        let port = tier().port("SMTP_OK");
        let p = probe("notlsa.dane.test", port);
        let h = p.host("notlsa.dane.test", "mx-notlsa.dane.test");
        assert_eq!(h["address_dnssec"], "secure", "{}", p.ctx);
        assert_eq!(h["tlsa"]["outcome"], "nxdomain", "{}", p.ctx);
        assert_eq!(h["tlsa"]["dnssec"], "secure", "{}", p.ctx);
        assert_eq!(
            h["tlsa"]["name"],
            format!("_{port}._tcp.mx-notlsa.dane.test").as_str()
        );
        assert_eq!(h["base_domain"], Value::Null, "{}", p.ctx);
    }

    /// An MX host that is a CNAME: TLSA is found at the expanded name, the base domain
    /// (RFC 7672 §2.2.2).
    #[test]
    #[ignore = "needs the DNSSEC tier: sudo bash tests/dnssec/setup.sh install"]
    fn alias_finds_tlsa_at_the_expanded_name() {
        let t = tier();
        let port = t.port("SMTP_OK");
        let p = probe("alias.dane.test", port);
        let h = p.host("alias.dane.test", "mx-alias.dane.test");
        assert_eq!(h["address_dnssec"], "secure", "{}", p.ctx);
        assert_eq!(
            h["cnames"],
            serde_json::json!(["mx-ok.dane.test"]),
            "{}",
            p.ctx
        );
        assert_eq!(h["base_domain"], "mx-ok.dane.test", "{}", p.ctx);
        assert_eq!(
            h["tlsa"]["name"],
            format!("_{port}._tcp.mx-ok.dane.test").as_str()
        );
        assert_eq!(
            p.records("alias.dane.test", "mx-alias.dane.test"),
            [format!("3 1 1 {}", t.spki_sha256(0))]
        );
    }

    /// unbound asked nobody but the tier's nsd: every reply it logged came from
    /// 127.0.0.1:PORT_NSD (its log has verbosity 2).
    #[test]
    #[ignore = "needs the DNSSEC tier: sudo bash tests/dnssec/setup.sh install"]
    fn unbound_asks_only_the_local_nsd() {
        let t = tier();
        let _ = probe("ok.dane.test", t.port("SMTP_OK"));
        let log = std::fs::read_to_string(t.dir.join("unbound.log")).unwrap();
        let nsd = t.var("DNS_NSD").replace(':', "#");
        let replies: Vec<&str> = log.lines().filter(|l| l.contains("reply from")).collect();
        assert!(!replies.is_empty(), "no replies logged:\n{log}");
        for line in replies {
            assert!(line.ends_with(&nsd), "unbound asked another server: {line}");
        }
    }
}

/// The DANE findings of each case: the rules (`diagnose/rules/dane.rs`) on the lookups above
/// and the chain the SMTP server presents (its leaf and intermediate).
mod findings {
    use super::*;

    fn dane_codes(p: &Probe) -> Vec<String> {
        let mut c: Vec<String> = p
            .codes()
            .into_iter()
            .filter(|c| c.starts_with("dane-"))
            .collect();
        c.sort();
        c
    }

    #[test]
    #[ignore = "needs the DNSSEC tier: sudo bash tests/dnssec/setup.sh install"]
    fn matching_dane_ee_is_ok_with_a_rollover_risk() {
        let t = tier();
        let port = t.port("SMTP_OK");
        let _server = serve(port, "mx-ok.dane.test");
        let p = probe("ok.dane.test", port);
        assert_eq!(
            dane_codes(&p),
            ["dane-ok", "dane-rollover-risk"],
            "{}",
            p.ctx
        );
        assert_eq!(p.finding("dane-ok")["severity"], "info");
        // Information: a lone 3 1 1 with key reuse is Microsoft's recommendation.
        assert_eq!(p.finding("dane-rollover-risk")["severity"], "info");
        assert!(
            p.json["endpoints"][0]["dane"].is_object(),
            "endpoints[0].dane{}",
            p.ctx
        );
        let cell = policy_cell("ok.dane.test", port);
        assert!(cell.contains("<span class=\"tag pass\" title=\"a DNSSEC-signed TLSA record matches the certificate on 1 endpoint\">DANE</span>"), "{cell}");
    }

    #[test]
    #[ignore = "needs the DNSSEC tier: sudo bash tests/dnssec/setup.sh install"]
    fn dane_ee_of_another_key_fails() {
        let t = tier();
        let port = t.port("SMTP_NO_MATCH");
        let _server = serve(port, "mx-nomatch.dane.test");
        let p = probe("nomatch.dane.test", port);
        assert!(
            dane_codes(&p).contains(&"dane-no-match".to_owned()),
            "{}",
            p.ctx
        );
        assert!(!dane_codes(&p).contains(&"dane-ok".to_owned()), "{}", p.ctx);
        assert_eq!(p.finding("dane-no-match")["severity"], "fail");
        assert_eq!(p.json["verdict"], "fail", "{}", p.ctx);
        let cell = policy_cell("nomatch.dane.test", port);
        assert!(cell.contains("<span class=\"tag fail\""), "{cell}");
        assert!(cell.contains(">DANE 1/1 fail</span>"), "{cell}");
    }

    #[test]
    #[ignore = "needs the DNSSEC tier: sudo bash tests/dnssec/setup.sh install"]
    fn unusable_records_warn() {
        let t = tier();
        let port = t.port("SMTP_UNUSABLE");
        let _server = serve(port, "mx-unusable.dane.test");
        let p = probe("unusable.dane.test", port);
        assert_eq!(dane_codes(&p), ["dane-records-unusable"], "{}", p.ctx);
        assert_eq!(p.finding("dane-records-unusable")["severity"], "warn");
    }

    #[test]
    #[ignore = "needs the DNSSEC tier: sudo bash tests/dnssec/setup.sh install"]
    fn dane_ee_plus_dane_ta_is_ok_without_rollover_risk() {
        let t = tier();
        let port = t.port("SMTP_ROLLOVER");
        let _server = serve(port, "mx-rollover.dane.test");
        let p = probe("rollover.dane.test", port);
        assert_eq!(dane_codes(&p), ["dane-ok"], "{}", p.ctx);
    }

    /// DANE-TA(2) of the intermediate the server sends, the leaf named for the host.
    #[test]
    #[ignore = "needs the DNSSEC tier: sudo bash tests/dnssec/setup.sh install"]
    fn dane_ta_of_the_sent_intermediate_is_ok() {
        let t = tier();
        let port = t.port("SMTP_DANE_TA");
        let _server = serve(port, "mx-ta.dane.test");
        let p = probe("ta.dane.test", port);
        assert!(dane_codes(&p).contains(&"dane-ok".to_owned()), "{}", p.ctx);
        assert!(
            !dane_codes(&p).contains(&"dane-no-match".to_owned()),
            "{}",
            p.ctx
        );
    }

    /// Insecure TLSA records are ignored: no DANE finding claims a match or a mismatch.
    #[test]
    #[ignore = "needs the DNSSEC tier: sudo bash tests/dnssec/setup.sh install"]
    fn insecure_delegation_has_no_dane_verdict() {
        let t = tier();
        let port = t.port("SMTP_INSECURE");
        let _server = serve(port, "mx.insecure.dane.test");
        let p = probe("insecure.dane.test", port);
        for code in [
            "dane-ok",
            "dane-no-match",
            "dane-records-unusable",
            "dane-dnssec-bogus",
            "dane-rollover-risk",
        ] {
            assert!(!p.codes().contains(&code.to_owned()), "{code}{}", p.ctx);
        }
    }

    #[test]
    #[ignore = "needs the DNSSEC tier: sudo bash tests/dnssec/setup.sh install"]
    fn bogus_tlsa_fails() {
        let t = tier();
        let port = t.port("SMTP_BOGUS");
        let _server = serve(port, "mx-bogus.dane.test");
        let p = probe("bogus.dane.test", port);
        assert_eq!(dane_codes(&p), ["dane-dnssec-bogus"], "{}", p.ctx);
        assert_eq!(p.finding("dane-dnssec-bogus")["severity"], "fail");
        assert_eq!(p.json["verdict"], "fail", "{}", p.ctx);
        let ev = p.finding("dane-dnssec-bogus")["evidence"].to_string();
        assert!(ev.contains("checking disabled"), "{ev}");
    }

    #[test]
    #[ignore = "needs the DNSSEC tier: sudo bash tests/dnssec/setup.sh install"]
    fn insecure_mx_with_secure_tlsa_warns() {
        let t = tier();
        let port = t.port("SMTP_MX_INSECURE");
        let _server = serve(port, "mx-half.dane.test");
        let p = probe("half.insecure.dane.test", port);
        assert!(
            dane_codes(&p).contains(&"dane-mx-insecure".to_owned()),
            "{}",
            p.ctx
        );
        assert_eq!(p.finding("dane-mx-insecure")["severity"], "warn");
        // A non-DNSSEC destination: senders do not use the TLSA records, so no DANE verdict
        // for the host (RFC 7672 §2.2.1; Postfix smtp(8): "non DNSSEC destination").
        assert_eq!(dane_codes(&p), ["dane-mx-insecure"], "{}", p.ctx);
        assert_eq!(
            p.json["endpoints"][0]["dane"]["why"], "insecure-mx",
            "{}",
            p.ctx
        );
        let ev = p.finding("dane-mx-insecure")["evidence"].to_string();
        assert!(ev.contains("non DNSSEC destination"), "{ev}");
    }
}
