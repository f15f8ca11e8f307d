//! Batch mode end to end: a targets file (and several targets on the command line) give one
//! report per target, in every format, with the exit code of the worst verdict; shards
//! partition a list; a bad list stops the run before anything is looked up. Domains are
//! served by an in-process DNS server, their MX hosts by scripted servers on 127.0.0.x.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::dns::DnsServer;
use common::*;
use serde_json::Value;
use starttls_check::scripted::{LeafSpec, Scenario};

/// good and also share mx1 (healthy), soon's mx2 expires in 10 days (warn), busy's mx3
/// answers 421 (unknown), expired's mx4 serves an expired certificate (fail).
const ZONE: &str = "\
$ORIGIN batch.test.
$TTL 60
@       IN SOA ns.batch.test. hostmaster.batch.test. 1 60 60 60 60
good    IN MX 10 mx1
also    IN MX 10 mx1
soon    IN MX 10 mx2
busy    IN MX 10 mx3
expired IN MX 10 mx4
mx1     IN A 127.0.0.2
mx2     IN A 127.0.0.3
mx3     IN A 127.0.0.4
mx4     IN A 127.0.0.5
hung    IN MX 10 mx5
mx5     IN A 127.0.0.6
";

struct World {
    dns: DnsServer,
    servers: Vec<std::sync::Arc<starttls_check::scripted::ScriptedServer>>,
    port: String,
}

fn world() -> World {
    let mut busy = Scenario::postfix("mx3.batch.test", &pki().healthy("mx3.batch.test", 120));
    busy.banner = "421 4.3.2 mx3.batch.test busy, try again later".into();
    let mut spec = LeafSpec::valid_for("mx4.batch.test", pki().now, 0);
    spec.not_before = pki().now - time::Duration::days(90);
    spec.not_after = pki().now - time::Duration::days(2);
    let expired = pki().chain(&spec);
    let mut hung = Scenario::postfix("mx5.batch.test", &pki().healthy("mx5.batch.test", 120));
    hung.on_connect = starttls_check::scripted::OnConnect::Silent;
    let (servers, ports) = serve_group(vec![
        (
            Scenario::postfix("mx1.batch.test", &pki().healthy("mx1.batch.test", 120)),
            [127, 0, 0, 2],
            0,
        ),
        (
            Scenario::postfix("mx2.batch.test", &pki().healthy("mx2.batch.test", 10)),
            [127, 0, 0, 3],
            0,
        ),
        (busy, [127, 0, 0, 4], 0),
        (
            Scenario::postfix("mx4.batch.test", &expired),
            [127, 0, 0, 5],
            0,
        ),
        (hung, [127, 0, 0, 6], 0),
    ]);
    World {
        dns: DnsServer::start(&[("batch.test.", ZONE)]),
        servers,
        port: ports[0].to_string(),
    }
}

impl World {
    /// The binary on `args` plus this world's resolver, roots and port (the world's options
    /// come last, and a repeated `--timeout` or `-p` takes the last value).
    fn command(&self, args: &[&str]) -> std::process::Command {
        let ca = pki().root_file.to_string_lossy().into_owned();
        let resolver = self.dns.resolver_arg();
        let mut all: Vec<&str> = args.to_vec();
        all.extend_from_slice(&[
            "--resolver",
            &resolver,
            "--ca-file",
            &ca,
            "--no-system-roots",
            "-p",
            &self.port,
        ]);
        command(&all)
    }

    /// [`World::command`] with a 5-second timeout, run to its end.
    fn run(&self, args: &[&str]) -> Run {
        let mut c = self.command(args);
        c.args(["--timeout", "5"]);
        run_command(c)
    }
}

fn lines(r: &Run) -> Vec<Value> {
    r.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn verdicts(reports: &[Value]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = reports
        .iter()
        .map(|r| {
            (
                r["target"].as_str().unwrap().to_string(),
                r["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = p.iter().map(|(a, b)| ((*a).into(), (*b).into())).collect();
    v.sort();
    v
}

#[test]
fn a_targets_file_gives_one_json_line_per_target_and_the_worst_exit_code() {
    let w = world();
    let file = write_temp(
        "batch-jsonl.txt",
        "# a survey\ngood.batch.test\n\nsoon.batch.test   # renewal due\nbusy.batch.test\n\
         also.batch.test\nGOOD.batch.test\npostmaster@good.batch.test\n",
    );
    let r = w.run(&[
        "--targets-file",
        file.to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    let reports = lines(&r);
    assert_eq!(
        verdicts(&reports),
        pairs(&[
            ("good.batch.test", "pass"),
            ("also.batch.test", "pass"),
            ("soon.batch.test", "warn"),
            ("busy.batch.test", "unknown"),
        ]),
        "every target once: {}",
        r.stderr
    );
    assert_eq!(r.code, 3, "unknown beats warn and pass: {}", r.stderr);
    assert!(
        r.stderr.contains("2 repeated targets are checked once"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("4 targets: 2 pass, 1 warn, 1 unknown, 0 fail — worst UNKNOWN (exit 3)"),
        "the summary goes to stderr: {}",
        r.stderr
    );
    for rep in &reports {
        assert_eq!(rep["schema_version"], 1);
        assert_eq!(rep["endpoints"].as_array().unwrap().len(), 1);
        // The command that checks this target alone, without the list's name.
        let inv = rep["invocation"].as_str().unwrap();
        let target = rep["target"].as_str().unwrap();
        assert!(
            inv.starts_with(&format!("starttls-check {target} ")),
            "{inv}"
        );
        assert!(
            !inv.contains("--targets-file") && !inv.contains("batch-jsonl"),
            "{inv}"
        );
    }
    assert_eq!(
        w.servers[0].connections(),
        1,
        "good and also share mx1: probed once"
    );
}

#[test]
fn a_fail_anywhere_is_exit_2_and_several_targets_are_one_json_document() {
    let w = world();
    let r = w.run(&[
        "soon.batch.test",
        "expired.batch.test",
        "good.batch.test",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    let j = r.json();
    // The top-level keys, in the document's order (a Value sorts them).
    let at = |key: &str| r.stdout.find(&format!("\n  \"{key}\": ")).unwrap();
    let order = [
        "schema_version",
        "tool",
        "generated_at",
        "verdict",
        "counts",
        "targets",
        "interrupted",
        "invocation",
        "reports",
    ];
    assert!(
        order.windows(2).all(|w| at(w[0]) < at(w[1])),
        "{}",
        r.stdout
    );
    assert_eq!(j.as_object().unwrap().len(), order.len());
    assert_eq!(j["verdict"], "fail");
    assert_eq!(
        j["counts"],
        serde_json::json!({"total": 3, "pass": 1, "warn": 1, "unknown": 0, "fail": 1})
    );
    let targets: Vec<&str> = j["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        ["soon.batch.test", "expired.batch.test", "good.batch.test"],
        "reports in the order given"
    );
    assert_eq!(j["reports"][1]["findings"][0]["code"], "cert-expired");
}

#[test]
fn one_target_keeps_todays_document_and_a_file_of_one_is_a_batch() {
    let w = world();
    let j = w.run(&["soon.batch.test", "--format", "json"]).json();
    assert_eq!(j["target"], "soon.batch.test");
    assert!(j.get("reports").is_none());
    let file = write_temp("batch-one.txt", "soon.batch.test\n");
    let r = w.run(&["--targets-file", file.to_str().unwrap(), "--format", "json"]);
    let j = r.json();
    assert_eq!(r.code, 1);
    assert_eq!(j["reports"].as_array().unwrap().len(), 1);
    assert_eq!(j["verdict"], "warn");
}

#[test]
fn the_human_table_lists_every_target_then_details_only_for_those_that_need_action() {
    let w = world();
    let r = w.run(&["good.batch.test", "soon.batch.test", "also.batch.test"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let out = &r.stdout;
    let table: Vec<&str> = out.lines().take(4).collect();
    assert!(table[0].starts_with("TARGET") && table[0].contains("VERDICT  DAYS  FINDING"));
    // The worst first, each verdict in the order given.
    assert!(
        table[1].starts_with("soon.batch.test") && table[1].contains("WARN"),
        "{out}"
    );
    assert!(table[1].contains("cert-expires-soon"), "{out}");
    assert!(
        table[2].starts_with("good.batch.test") && table[2].contains("PASS"),
        "{out}"
    );
    assert!(table[3].starts_with("also.batch.test"), "{out}");
    assert!(out.contains("\n1 target needs action:\n"), "{out}");
    assert!(out.contains("── soon.batch.test ──"), "{out}");
    assert!(!out.contains("── good.batch.test ──"), "{out}");
    assert!(
        out.contains("3 targets: 2 pass, 1 warn, 0 unknown, 0 fail — worst WARN\n"),
        "{out}"
    );
}

#[test]
fn shards_split_a_list_into_disjoint_parts_that_cover_it() {
    // Names nobody serves: the shared resolver answers at once, nothing is probed.
    let names: Vec<String> = (0..40).map(|i| format!("d{i:02}.nowhere.test")).collect();
    let file = write_temp("batch-shards.txt", &names.join("\n"));
    let mut seen = Vec::new();
    for i in 1..=3 {
        let shard = format!("{i}/3");
        let r = run(&[
            "--targets-file",
            file.to_str().unwrap(),
            "--shard",
            &shard,
            "--format",
            "jsonl",
            "--timeout",
            "2",
        ]);
        let mine: Vec<String> = lines(&r)
            .iter()
            .map(|j| j["target"].as_str().unwrap().to_string())
            .collect();
        assert!(
            r.stderr.contains(&format!(
                "shard {i}/3 holds {} of the 40 targets given",
                mine.len()
            )),
            "{}",
            r.stderr
        );
        seen.extend(mine);
    }
    let distinct: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(seen.len(), 40, "no target in two shards");
    assert_eq!(distinct.len(), 40);
    assert_eq!(distinct, names.iter().collect());
}

#[test]
fn a_bad_list_stops_the_run_before_any_lookup_and_names_each_bad_line() {
    let dns = DnsServer::start(&[("batch.test.", ZONE)]);
    let file = write_temp(
        "batch-bad.txt",
        "good.batch.test\ngood.batch.test soon.batch.test\n[oops\n",
    );
    let r = run(&[
        "--targets-file",
        file.to_str().unwrap(),
        "--resolver",
        &dns.resolver_arg(),
    ]);
    assert_eq!(r.code, 3);
    assert!(
        r.stderr.contains("2 lines of the targets file")
            && r.stderr
                .contains("line 2: 'good.batch.test soon.batch.test': one target per line")
            && r.stderr.contains("line 3: '[oops'"),
        "{}",
        r.stderr
    );
    assert!(dns.queries().is_empty(), "looked up: {:?}", dns.queries());
    // JSON Lines still gets one line: the error document, naming the option at fault.
    let r = run(&[
        "--targets-file",
        file.to_str().unwrap(),
        "--resolver",
        &dns.resolver_arg(),
        "--format",
        "jsonl",
    ]);
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    let j: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["error_detail"]["option"], "--targets-file");
    assert_eq!(j["verdict"], "unknown");
    let empty = write_temp("batch-empty.txt", "# nothing yet\n\n");
    let r = run(&[
        "--targets-file",
        empty.to_str().unwrap(),
        "--resolver",
        &dns.resolver_arg(),
    ]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("holds no target"), "{}", r.stderr);
}

#[test]
fn an_address_that_dash_4_leaves_out_is_one_report_not_the_end_of_the_list() {
    let w = world();
    let file = write_temp("batch-family.txt", "good.batch.test\n[::1]:25\n");
    let r = w.run(&[
        "-4",
        "--targets-file",
        file.to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    let reports = lines(&r);
    assert_eq!(reports.len(), 2, "{}", r.stderr);
    let v6 = reports.iter().find(|j| j["target"] == "[::1]:25").unwrap();
    assert_ne!(v6["verdict"], "pass", "{}", v6["headline"]);
    assert!(
        v6["endpoints"].as_array().unwrap().is_empty(),
        "nothing probed over IPv6"
    );
    let good = reports
        .iter()
        .find(|j| j["target"] == "good.batch.test")
        .unwrap();
    assert_eq!(good["verdict"], "pass");
}

#[test]
fn targets_come_from_stdin_with_a_dash() {
    let w = world();
    let mut c = w.command(&["--targets-file", "-", "--format", "jsonl"]);
    c.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"good.batch.test\r\nsoon.batch.test\r\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let r = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_eq!(
        verdicts(&lines(&r)),
        pairs(&[("good.batch.test", "pass"), ("soon.batch.test", "warn")])
    );
    assert_eq!(r.code, 1);
}

/// Ctrl-C in a long survey keeps what is done: the reports written so far stand, the run ends
/// at once, and the exit code says that not everything was checked.
#[cfg(unix)]
#[test]
fn ctrl_c_ends_a_batch_with_what_is_done() {
    // SIGTERM is what timeout(1), systemd and a Kubernetes eviction send.
    for signal in ["-INT", "-TERM"] {
        interrupted_by(signal);
    }
}

#[cfg(unix)]
fn interrupted_by(signal: &str) {
    let w = world();
    let started = std::time::Instant::now();
    let (mut child, _out, _) = good_then_hung(&w, "60");
    let killed = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "{signal}: it did not wait for hung"
    );
    assert_eq!(status.code(), Some(3), "{signal}: {err}");
    assert!(
        err.contains("interrupted: 1 of 2 targets checked, the others not (exit 3)"),
        "{signal}: {err}"
    );
}

/// On a terminal, stderr says how far the batch is, how fast and how long it has left; a
/// pipe or a file never sees it.
#[test]
fn progress_shows_on_a_terminal_only() {
    let w = world();
    let out = write_temp("batch-progress.jsonl", "");
    let args = [
        "good.batch.test",
        "hung.batch.test",
        "--format",
        "jsonl",
        "--timeout",
        "1",
    ];
    let (status, tty) = on_terminal(&w.command(&args), &out);
    assert_eq!(status.code(), Some(2), "the silent host fails");
    assert!(
        tty.contains("starttls-check: 1 of 2 targets done, "),
        "{tty}"
    );
    assert!(
        tty.contains("starttls-check: 0 of 2 targets done, 0.0/s"),
        "{tty}"
    );
    // The last one left is named, not given a time from the rate of the fast ones.
    // (A terminal of 80 columns cuts the line with an ellipsis, where depends on how many
    // digits the rate has: a fast machine wrote 105.3/s and cut the address at "[127.".)
    assert!(
        tty.contains("1 of 2 targets done, ") && tty.contains("/s, waiting for mx5.batch.test ["),
        "{tty}"
    );
    assert!(tty.contains("\r\x1b[2K"), "the line is erased: {tty:?}");
    let jsonl = std::fs::read_to_string(&out).unwrap();
    assert_eq!(jsonl.lines().count(), 2);
    assert!(!jsonl.contains("targets done"));
    let piped = run_command(w.command(&args));
    assert!(!piped.stderr.contains("targets done"), "{}", piped.stderr);
}

/// `| head -n1`: a report that could not be written is not counted, and the exit code says
/// that not every target was checked.
#[test]
fn a_closed_stdout_ends_the_run_as_unchecked() {
    let w = world();
    let (mut child, out, _) = good_then_hung(&w, "1");
    drop(out);
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(3), "{err}");
    assert!(
        err.contains("stdout closed: 1 of 2 targets checked, the others not (exit 3)"),
        "{err}"
    );
    assert!(
        err.contains("1 target: 1 pass, 0 warn, 0 unknown, 0 fail"),
        "the undelivered report is not counted: {err}"
    );
}

/// The world's binary on good.batch.test then hung.batch.test as JSON Lines, with `timeout`:
/// the running child, its stdout, and the first line (good's report), read.
fn good_then_hung(
    w: &World,
    timeout: &str,
) -> (
    std::process::Child,
    std::io::BufReader<std::process::ChildStdout>,
    String,
) {
    use std::io::BufRead as _;
    let mut c = w.command(&[
        "good.batch.test",
        "hung.batch.test",
        "--format",
        "jsonl",
        "--timeout",
        timeout,
    ]);
    c.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    assert!(first.contains("\"target\":\"good.batch.test\""), "{first}");
    (child, out, first)
}

/// A survey through a resolver that never answers says so early instead of running for
/// hours in silence.
#[test]
fn a_dead_resolver_is_named_early() {
    let names: Vec<String> = (0..25).map(|i| format!("d{i:02}.nowhere.test")).collect();
    let file = write_temp("batch-dead-resolver.txt", &names.join("\n"));
    // Nothing listens on the discard port: every lookup times out.
    let r = run(&[
        "--targets-file",
        file.to_str().unwrap(),
        "--resolver",
        "127.0.0.1:9",
        "--timeout",
        "0.2",
        "--format",
        "jsonl",
    ]);
    assert_eq!(r.code, 3);
    assert_eq!(r.stdout.lines().count(), 25);
    assert_eq!(
        r.stderr
            .matches("the resolver failed the lookups of the last 20 targets in a row")
            .count(),
        1,
        "{}",
        r.stderr
    );
}

/// A batch that could not start still gives a `--format json` consumer the batch shape.
#[test]
fn a_batch_that_cannot_start_writes_the_batch_documents_shape() {
    let file = write_temp("batch-cannot-start.txt", "a.example\n");
    let r = run(&[
        "--targets-file",
        file.to_str().unwrap(),
        "--timeout",
        "-1",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 3);
    let j = r.json();
    assert_eq!(j["verdict"], "unknown");
    assert_eq!(j["reports"], serde_json::json!([]));
    assert_eq!(j["error_detail"]["option"], "--timeout");
    let r = run(&[
        "a.example",
        "b.example",
        "--ca-file",
        "/nonexistent.pem",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 3);
    assert_eq!(r.json()["reports"], serde_json::json!([]), "{}", r.stdout);
    // One target keeps the one report's shape.
    let r = run(&[
        "a.example",
        "--ca-file",
        "/nonexistent.pem",
        "--format",
        "json",
    ]);
    assert_eq!(r.json()["target"], "a.example");
}
