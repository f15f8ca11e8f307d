//! Shared by the Exim and aiosmtpd tiers (`tests/exim.rs`, `tests/aiosmtpd.rs`): the server a
//! tier's setup script runs for the whole test process, a run of the binary against one of its
//! ports with the check of the server's log of that run, and the rules for what the probe may
//! send. A tier file holds its [`Spec`], its log reader and its cases, nothing else.
//!
//! # The server's life
//!
//! [`Tier::start`] runs `bash tests/<tier>/setup.sh run DIR` with a pipe for its stdin and
//! keeps the write end for as long as the test process lives; the script serves until that
//! pipe reaches end of file. So the server stops when the test process ends, however it ends
//! (a panic, a kill), without a destructor. It is ready when the script has written
//! `DIR/ports.env` (the aiosmtpd server writes it once its last port is bound) and every
//! `PORT_*` in it answers: a `220` banner (then `QUIT`), or, on a `PORT_*IMPLICIT*` port
//! (TLS from the first byte), an accepted connection; polled, bounded; then the server's log
//! of those connections must settle before any test reads it. When the server software is
//! missing the script exits at once, and every test of the tier fails with the script's
//! message, which names the command that installs it: a tier never skips.
//!
//! # What the probe may send (issue 15)
//!
//! [`assert_probe_etiquette`] reads the sessions the server logged for one run: never RCPT,
//! DATA or BDAT; MAIL only as `--check-required`'s `MAIL FROM:<>`, followed by RSET or QUIT;
//! every session ends with QUIT; the EHLO name is never the server's own name.

#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod cases;

/// The name every tier certificate is issued for, and the servers' own name (their greeting).
pub const HOST: &str = "mail.example.test";
/// How long a tier may take to make its PKI and start listening.
const START_DEADLINE: Duration = Duration::from_secs(60);
/// How long the server may take to log the end of a session the probe has closed.
const SETTLE_DEADLINE: Duration = Duration::from_secs(10);
/// How long the log must stay unchanged, with every session in it closed, to have settled.
const QUIET: Duration = Duration::from_millis(300);

/// What a tier file tells the harness about its server.
pub struct Spec {
    /// The directory under `tests/` that holds its `setup.sh`; the tier's name in messages.
    pub name: &'static str,
    /// The environment variable that moves the tier's directory, and where it is otherwise.
    pub dir_var: &'static str,
    pub default_dir: &'static str,
    /// The file in that directory the server logs what clients send to, as the messages call
    /// it (`the server's command log`), and how it reads as sessions.
    pub log_file: &'static str,
    pub log_name: &'static str,
    pub sessions: fn(&str) -> Vec<Session>,
    /// The `ports.env` variable that names the tier's CA file (the probe's `--ca-file`).
    pub ca_var: &'static str,
    /// A check of the whole log after every run, beyond the etiquette (Exim: no lookups).
    pub check_log: fn(&str),
}

/// A tier server started by its setup script, serving until the test process ends.
pub struct Tier {
    pub spec: &'static Spec,
    pub dir: PathBuf,
    /// `DIR/ports.env`, as written by the setup script.
    pub vars: HashMap<String, String>,
    /// The file the server logs what clients send to.
    pub log: PathBuf,
    /// The script's process; kept so that it is never waited for by anyone else.
    child: Mutex<Child>,
    /// The lifeline: the script serves until this pipe is closed (when the process exits).
    stdin: Mutex<Option<ChildStdin>>,
    /// Held by each test for its probe and its log check, so that a test reads only the
    /// sessions of its own runs.
    serial: Mutex<()>,
}

impl Tier {
    /// The tier of `spec`, started on first use and serving until the test process ends.
    /// One tier a test binary.
    pub fn shared(spec: &'static Spec) -> &'static Tier {
        static TIER: OnceLock<Tier> = OnceLock::new();
        let tier = TIER.get_or_init(|| {
            let dir = std::env::var_os(spec.dir_var)
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(spec.default_dir));
            Tier::start(spec, dir)
        });
        assert_eq!(tier.spec.name, spec.name, "one tier a test binary");
        tier
    }

    /// Runs `bash tests/<name>/setup.sh run <dir>` and waits until every port of its
    /// `ports.env` answers (see the module doc) and the server's log has settled. Panics
    /// with the script's output when it exits or the deadline passes first.
    pub fn start(spec: &'static Spec, dir: PathBuf) -> Tier {
        let name = spec.name;
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests")
            .join(name)
            .join("setup.sh");
        // The script's own output; the directory is the script's, but may not exist yet.
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot make the {name} tier's {}: {e}", dir.display()));
        let output = dir.join("setup.log");
        let _ = std::fs::remove_file(dir.join("ports.env"));
        let out = std::fs::File::create(&output).unwrap();
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
        let fail = |child: &mut Child, why: String| -> ! {
            let _ = child.kill();
            let _ = child.wait();
            let said = std::fs::read_to_string(&output).unwrap_or_default();
            panic!(
                "the {name} tier did not start: {why}.\n--- `bash {} run {}` said:\n{said}\n\
                 The tier needs its server software: as root, `bash {} install` (needs the \
                 network), then run the tests as root (see tests/{name}/README.md).",
                script.display(),
                dir.display(),
                script.display()
            )
        };
        let mut waiting_for = "DIR/ports.env".to_owned();
        let vars = loop {
            if let Some(status) = child.try_wait().unwrap() {
                fail(&mut child, format!("the setup script exited ({status})"));
            }
            if started.elapsed() > START_DEADLINE {
                fail(
                    &mut child,
                    format!("not ready after {START_DEADLINE:?}: waiting for {waiting_for}"),
                );
            }
            if let Some(vars) = read_env(&dir.join("ports.env")) {
                match silent_port(&vars) {
                    None => break vars,
                    Some(key) => waiting_for = format!("{key} to answer"),
                }
            }
            thread::sleep(Duration::from_millis(100));
        };
        let tier = Tier {
            spec,
            log: dir.join(spec.log_file),
            dir,
            vars,
            child: Mutex::new(child),
            stdin: Mutex::new(stdin),
            serial: Mutex::new(()),
        };
        tier.settle();
        tier
    }

    /// Waits until the server has logged the end of every session so far (those of the
    /// readiness checks) and the log has stopped growing, so that no test's run sees them.
    fn settle(&self) {
        let started = Instant::now();
        let mut last = (self.mark(), Instant::now());
        loop {
            let sessions = (self.spec.sessions)(&self.log_since(0));
            let open: Vec<&Session> = sessions.iter().filter(|s| !s.closed).collect();
            let size = self.mark();
            if size != last.0 {
                last = (size, Instant::now());
            }
            if open.is_empty() && last.1.elapsed() >= QUIET {
                return;
            }
            assert!(
                started.elapsed() < SETTLE_DEADLINE,
                "the {} tier's readiness checks left sessions open in {} after {SETTLE_DEADLINE:?}: {open:?}",
                self.spec.name,
                self.log.display()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn port(&self, key: &str) -> u16 {
        let v = self.vars.get(key).unwrap_or_else(|| {
            panic!(
                "{}/ports.env has no {key}: is tests/{}/setup.sh older than this test?",
                self.dir.display(),
                self.spec.name
            )
        });
        v.parse()
            .unwrap_or_else(|e| panic!("ports.env: {key}={v} is not a port: {e}"))
    }

    pub fn var(&self, key: &str) -> &str {
        self.vars
            .get(key)
            .unwrap_or_else(|| panic!("{}/ports.env has no {key}", self.dir.display()))
    }

    /// One test at a time: its runs and its reading of the log.
    pub fn serial(&self) -> MutexGuard<'_, ()> {
        self.serial.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Where the log ends now: the sessions of the next run start after it.
    pub fn mark(&self) -> u64 {
        std::fs::metadata(&self.log).map(|m| m.len()).unwrap_or(0)
    }

    /// The log from `mark` on (lossy UTF-8); empty while the server has logged nothing.
    pub fn log_since(&self, mark: u64) -> String {
        let mut f = match std::fs::File::open(&self.log) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return String::new(),
            Err(e) => panic!(
                "cannot read the {} log {}: {e}",
                self.spec.name,
                self.log.display()
            ),
        };
        f.seek(SeekFrom::Start(mark)).unwrap();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The sessions in the log since `mark`, once every one of them has ended (the probe has
    /// closed its connections; the server may log the end a moment later).
    pub fn sessions_since(&self, mark: u64) -> Vec<Session> {
        let started = Instant::now();
        loop {
            let sessions = (self.spec.sessions)(&self.log_since(mark));
            let settled = !sessions.is_empty() && sessions.iter().all(|s| s.closed);
            if settled || started.elapsed() > SETTLE_DEADLINE {
                return sessions;
            }
            thread::sleep(Duration::from_millis(50));
        }
    }
}

/// One test's look at its tier: a port, the runs against it, and what the server logged of
/// them. Holds the tier for the test's whole life, so no other test's run shows in its log.
pub struct Case {
    pub tier: &'static Tier,
    pub port: u16,
    _serial: MutexGuard<'static, ()>,
}

impl Case {
    /// The port `port_key` of the tier of `spec` (started on first use).
    pub fn new(spec: &'static Spec, port_key: &str) -> Case {
        let tier = Tier::shared(spec);
        Case {
            tier,
            port: tier.port(port_key),
            _serial: tier.serial(),
        }
    }

    /// Probes the port with `extra` options ([`probe`]), then checks the server's log of that
    /// run: the probe's etiquette ([`assert_probe_etiquette`]) and the tier's own check.
    pub fn probe(&self, extra: &[&str]) -> Probe {
        let tier = self.tier;
        let mark = tier.mark();
        let run = probe(tier.var(tier.spec.ca_var), self.port, extra);
        let sessions = tier.sessions_since(mark);
        let log = format!(
            "{}\n--- {} of this run ({}):\n{}",
            run.ctx(),
            tier.spec.log_name,
            tier.log.display(),
            tier.log_since(mark)
        );
        let check_required = extra.contains(&"--check-required");
        assert_probe_etiquette(&sessions, self.port, check_required, &log);
        (tier.spec.check_log)(&tier.log_since(0));
        run
    }
}

/// The first `PORT_*` of `vars` that does not answer yet, or `None` when all do: a `220`
/// banner, or an accepted connection on a port for TLS from the first byte (`*IMPLICIT*`),
/// which says nothing in plain text.
fn silent_port(vars: &HashMap<String, String>) -> Option<&str> {
    let mut ports: Vec<(&String, &String)> = vars
        .iter()
        .filter(|(k, _)| k.starts_with("PORT_"))
        .collect();
    ports.sort();
    if ports.is_empty() {
        return Some("a PORT_* line");
    }
    ports.into_iter().find_map(|(key, value)| {
        let answers = value.parse::<u16>().is_ok_and(|port| {
            if key.contains("IMPLICIT") {
                TcpStream::connect(("127.0.0.1", port)).is_ok()
            } else {
                greets(port)
            }
        });
        (!answers).then_some(key.as_str())
    })
}

/// `KEY=VALUE` lines of a `ports.env`; `None` while the file does not exist.
fn read_env(path: &Path) -> Option<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect(),
    )
}

/// 127.0.0.1:`port` greets with `220`; answered with `QUIT`, so the server logs a whole
/// session.
fn greets(port: u16) -> bool {
    let Ok(stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut reader = BufReader::new(&stream);
    let mut banner = String::new();
    if reader.read_line(&mut banner).is_err() || !banner.starts_with("220 ") {
        return false;
    }
    let _ = (&stream).write_all(b"QUIT\r\n");
    let mut bye = String::new();
    let _ = reader.read_line(&mut bye);
    true
}

/// One run of the binary: exit code, output and the parsed JSON report.
pub struct Probe {
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub json: Value,
}

/// Runs `starttls-check mail.example.test:PORT --resolve mail.example.test:127.0.0.1
/// --ca-file CA --no-system-roots --format json --color never --timeout 5 [extra...]`, plus
/// the harness's loopback `--resolver` (`common::command`): the system resolver is never
/// asked.
pub fn probe(ca: &str, port: u16, extra: &[&str]) -> Probe {
    let target = format!("{HOST}:{port}");
    let resolve = format!("{HOST}:127.0.0.1");
    let mut words = vec![
        target.as_str(),
        "--resolve",
        &resolve,
        "--ca-file",
        ca,
        "--no-system-roots",
        "--format",
        "json",
        "--color",
        "never",
        "--timeout",
        "5",
    ];
    words.extend_from_slice(extra);
    let mut command = crate::common::command(&words);
    let args: Vec<String> = command
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let out = command
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run the starttls-check binary");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code().unwrap_or(-1);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e})\n--- command: starttls-check {}\n\
             --- exit code: {code}\n--- stdout:\n{stdout}\n--- stderr:\n{stderr}",
            args.join(" ")
        )
    });
    let probe = Probe {
        args,
        code,
        stdout,
        stderr,
        json,
    };
    assert_eq!(
        probe.endpoint()["port"],
        u64::from(port),
        "endpoints[0].port{}",
        probe.ctx()
    );
    probe
}

impl Probe {
    /// Context for assertion messages: the command and everything it printed.
    pub fn ctx(&self) -> String {
        format!(
            "\n--- command: starttls-check {}\n--- exit code: {}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.args.join(" "),
            self.code,
            self.stdout,
            self.stderr
        )
    }

    pub fn endpoint(&self) -> &Value {
        let e = &self.json["endpoints"][0];
        assert!(e.is_object(), "no endpoints[0] in the report{}", self.ctx());
        e
    }

    pub fn findings(&self) -> &[Value] {
        self.json["findings"]
            .as_array()
            .unwrap_or_else(|| panic!("no `findings` array in the report{}", self.ctx()))
    }

    pub fn codes(&self) -> Vec<&str> {
        self.findings()
            .iter()
            .filter_map(|f| f["code"].as_str())
            .collect()
    }

    /// The finding `code` with `severity`; panics, listing the codes, when there is none.
    pub fn finding(&self, code: &str, severity: &str) -> &Value {
        let f = self
            .findings()
            .iter()
            .find(|f| f["code"] == code)
            .unwrap_or_else(|| panic!("no finding {code}; codes {:?}{}", self.codes(), self.ctx()));
        assert_eq!(f["severity"], severity, "severity of {code}{}", self.ctx());
        f
    }

    /// The verdict, the exit code that goes with it (0 pass, 1 warn, 2 fail, 3 unknown),
    /// the JSON's schema version, and exactly these finding codes in this order; every
    /// finding that is not `info` carries a fix.
    pub fn expect(&self, verdict: &str, codes: &[&str]) {
        let exit = match verdict {
            "pass" => 0,
            "warn" => 1,
            "fail" => 2,
            _ => 3,
        };
        assert_eq!(self.json["verdict"], verdict, "verdict{}", self.ctx());
        assert_eq!(self.code, exit, "exit code for {verdict}{}", self.ctx());
        assert_eq!(
            self.json["schema_version"],
            1,
            "schema_version{}",
            self.ctx()
        );
        assert_eq!(self.codes(), codes, "finding codes{}", self.ctx());
        for f in self.findings() {
            assert!(
                f["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "finding without a summary: {f}{}",
                self.ctx()
            );
            if f["severity"] != "info" {
                assert!(
                    f["fix"].as_str().is_some_and(|s| !s.is_empty()),
                    "finding {} has no fix{}",
                    f["code"],
                    self.ctx()
                );
            }
        }
    }

    /// The lines the probe says it sent, in order (the JSON transcript).
    pub fn sent(&self) -> Vec<&str> {
        self.endpoint()["transcript"]
            .as_array()
            .map(|t| {
                t.iter()
                    .filter(|e| e["direction"] == "sent")
                    .filter_map(|e| e["line"].as_str())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// One SMTP session as the server logged it.
#[derive(Debug, Clone, Default)]
pub struct Session {
    /// The server's port the client connected to.
    pub port: u16,
    /// The client's address and port, as the server logged it.
    pub peer: String,
    /// Every command line the server read, in order (after STARTTLS too).
    pub commands: Vec<String>,
    /// The server logged the end of the session.
    pub closed: bool,
}

impl Session {
    fn verbs(&self) -> Vec<String> {
        self.commands.iter().map(|c| verb(c)).collect()
    }
}

/// The command word of a line, upper case (`mail from:<>` → `MAIL`).
pub fn verb(line: &str) -> String {
    line.split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase()
}

/// What the probe may have sent, per the server's log (see the module doc): `sessions` are
/// those of one test's runs against `port`; `check_required` says whether one of them used
/// `--check-required` (then exactly one session may carry its `MAIL FROM:<>`, without TLS,
/// followed by RSET or QUIT). `ctx` is added to the messages.
#[track_caller]
pub fn assert_probe_etiquette(sessions: &[Session], port: u16, check_required: bool, ctx: &str) {
    let shown = || {
        sessions
            .iter()
            .map(|s| {
                format!(
                    "  {} port {} closed={}: {:?}",
                    s.peer, s.port, s.closed, s.commands
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        sessions
            .iter()
            .any(|s| s.verbs().iter().any(|v| v == "EHLO")),
        "the server logged no session with an EHLO for this run; sessions:\n{}{ctx}",
        shown()
    );
    let mut mail_sessions = 0;
    for s in sessions {
        let verbs = s.verbs();
        let what = || {
            format!(
                "session {} {:?}\nall sessions:\n{}{ctx}",
                s.peer,
                s.commands,
                shown()
            )
        };
        assert_eq!(s.port, port, "a session on another port: {}", what());
        assert!(
            s.closed,
            "the server never logged the end of the session: {}",
            what()
        );
        assert_eq!(
            verbs.last().map(String::as_str),
            Some("QUIT"),
            "the probe must end every session with QUIT: {}",
            what()
        );
        assert_eq!(
            verbs.iter().filter(|v| *v == "QUIT").count(),
            1,
            "nothing may follow QUIT: {}",
            what()
        );
        for forbidden in ["RCPT", "DATA", "BDAT"] {
            assert!(
                !verbs.iter().any(|v| v == forbidden),
                "the probe sent {forbidden}: {}",
                what()
            );
        }
        for (i, line) in s.commands.iter().enumerate() {
            match verbs[i].as_str() {
                "EHLO" | "HELO" => {
                    let name = line[4..].trim().trim_end_matches('.');
                    assert!(
                        !name.eq_ignore_ascii_case(HOST),
                        "the probe greeted the server with the server's own name {name:?}: {}",
                        what()
                    );
                    assert!(!name.is_empty(), "an EHLO without a name: {}", what());
                }
                "MAIL" => {
                    mail_sessions += 1;
                    assert!(
                        check_required,
                        "the probe sent MAIL without --check-required: {}",
                        what()
                    );
                    assert_eq!(
                        line,
                        "MAIL FROM:<>",
                        "--check-required sends the null reverse-path only: {}",
                        what()
                    );
                    assert!(
                        matches!(verbs.get(i + 1).map(String::as_str), Some("RSET" | "QUIT")),
                        "MAIL FROM:<> must be followed by RSET or QUIT: {}",
                        what()
                    );
                    assert!(
                        !verbs[..i].iter().any(|v| v == "STARTTLS"),
                        "--check-required's MAIL goes on a connection without TLS: {}",
                        what()
                    );
                }
                _ => {}
            }
        }
    }
    if check_required {
        assert_eq!(
            mail_sessions,
            1,
            "--check-required makes one session with MAIL FROM:<>; sessions:\n{}{ctx}",
            shown()
        );
    }
}

/// The readiness check must be able to fail: it waits for every port, the last one too, and
/// takes an accepted connection for an answer only on a port for implicit TLS.
pub fn readiness_waits_for_every_port() {
    use std::net::TcpListener;
    let greeter = TcpListener::bind("127.0.0.1:0").unwrap();
    let greeting = greeter.local_addr().unwrap().port();
    thread::spawn(move || {
        for stream in greeter.incoming().flatten() {
            let _ = (&stream).write_all(b"220 ready\r\n");
            let _ = BufReader::new(&stream).read_line(&mut String::new());
        }
    });
    // Listening, never accepting: the kernel completes the connection, nothing is said.
    let mute = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent = mute.local_addr().unwrap().port();
    let refused = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let vars = |pairs: &[(&str, u16)]| -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, p)| ((*k).to_owned(), p.to_string()))
            .chain([("STARTTLS_CHECK_CA".to_owned(), "/ca.pem".to_owned())])
            .collect()
    };
    let ready = [("PORT_VALID", greeting), ("PORT_IMPLICIT_TLS", silent)];
    assert_eq!(silent_port(&vars(&ready)), None);
    let mut last_unbound = ready.to_vec();
    last_unbound.push(("PORT_ZZ_LAST", refused));
    assert_eq!(silent_port(&vars(&last_unbound)), Some("PORT_ZZ_LAST"));
    // A port for STARTTLS must greet; an accepted connection is not enough.
    assert_eq!(
        silent_port(&vars(&[("PORT_VALID", silent)])),
        Some("PORT_VALID")
    );
    assert!(silent_port(&vars(&[])).is_some(), "no port is no tier");
    drop(mute);
}

/// The rules above must be able to fail: each broken session is refused.
pub fn etiquette_rules_refuse_what_they_should() {
    let ok = |commands: &[&str]| Session {
        port: 25,
        peer: "127.0.0.1:1".into(),
        commands: commands.iter().map(|c| (*c).to_string()).collect(),
        closed: true,
    };
    let refused = |sessions: Vec<Session>, check_required: bool| {
        std::panic::catch_unwind(|| assert_probe_etiquette(&sessions, 25, check_required, ""))
            .is_err()
    };
    let good = ok(&[
        "EHLO probe.example.net",
        "STARTTLS",
        "EHLO probe.example.net",
        "QUIT",
    ]);
    assert!(!refused(vec![good.clone()], false));
    let required = ok(&["EHLO [127.0.0.1]", "MAIL FROM:<>", "RSET", "QUIT"]);
    assert!(!refused(vec![good.clone(), required.clone()], true));
    for bad in [
        vec![ok(&["EHLO mail.example.test", "QUIT"])],
        vec![ok(&["EHLO MAIL.EXAMPLE.TEST.", "QUIT"])],
        vec![ok(&["EHLO a.test", "STARTTLS", "EHLO a.test"])],
        vec![ok(&["EHLO a.test", "QUIT", "NOOP"])],
        vec![ok(&["EHLO a.test", "MAIL FROM:<>", "RSET", "QUIT"])],
        vec![ok(&["QUIT"])],
        vec![Session {
            closed: false,
            ..good.clone()
        }],
        vec![Session {
            port: 26,
            ..good.clone()
        }],
    ] {
        assert!(refused(bad.clone(), false), "accepted {bad:?}");
    }
    for bad in [
        ok(&[
            "EHLO a.test",
            "MAIL FROM:<>",
            "RCPT TO:<postmaster@example.test>",
            "QUIT",
        ]),
        ok(&["EHLO a.test", "MAIL FROM:<probe@a.test>", "RSET", "QUIT"]),
        ok(&["EHLO a.test", "MAIL FROM:<>", "DATA", "QUIT"]),
        ok(&[
            "EHLO a.test",
            "STARTTLS",
            "EHLO a.test",
            "MAIL FROM:<>",
            "RSET",
            "QUIT",
        ]),
    ] {
        assert!(
            refused(vec![good.clone(), bad.clone()], true),
            "accepted {bad:?}"
        );
    }
    assert!(
        refused(vec![good], true),
        "--check-required without its MAIL session"
    );
}
