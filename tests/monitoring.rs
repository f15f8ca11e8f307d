//! `--format nagios` and `--format prometheus` end to end, against scripted servers: the
//! status line, perfdata and exit code of a pass, a warn, a fail and an unknown, a batch, and
//! the error output; the metrics' names, labels and values. Both formats are read back by
//! strict parsers written from their specifications (the Nagios plugin development
//! guidelines; the Prometheus text format 0.0.4), not by lenient ones: a stray space, a bad
//! escape or a duplicate series fails. `promtool_accepts_the_metrics` (ignored; run by
//! `.ci/run`) lints real output with `promtool check metrics` from Debian's `prometheus`.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::dns::DnsServer;
use common::*;
use starttls_check::scripted::{
    LeafSpec, OnConnect, Scenario, ScriptedServer, StartTls, pki as spki,
};

// ---------------------------------------------------------------------------------------
// The world: one zone, MX hosts on 127.0.0.2-5, all on one port.

/// ok and alias share mx1 (healthy, 120 days), soon's mx2 expires in 10 days (warn),
/// expired's mx3 expired 2 days ago (fail), busy's mx4 answers 421 with a `|` in its text
/// (unknown), two has mx1 and mx2 (two endpoints, warn); edge's mx5 has 7 days and 12 hours
/// left (warn: not less than --fail-days 7), under's mx6 6 days and 12 hours (fail).
const ZONE: &str = "\
$ORIGIN mon.test.
$TTL 60
@       IN SOA ns.mon.test. hostmaster.mon.test. 1 60 60 60 60
ok      IN MX 10 mx1
alias   IN MX 10 mx1
soon    IN MX 10 mx2
expired IN MX 10 mx3
busy    IN MX 10 mx4
two     IN MX 10 mx1
two     IN MX 20 mx2
edge    IN MX 10 mx5
under   IN MX 10 mx6
mx1     IN A 127.0.0.2
mx2     IN A 127.0.0.3
mx3     IN A 127.0.0.4
mx4     IN A 127.0.0.5
mx5     IN A 127.0.0.6
mx6     IN A 127.0.0.7
";

struct World {
    dns: DnsServer,
    _servers: Vec<std::sync::Arc<ScriptedServer>>,
    port: String,
}

fn world() -> World {
    let mut busy = Scenario::postfix("mx4.mon.test", &pki().healthy("mx4.mon.test", 120));
    busy.banner = "421 4.3.2 mx4.mon.test busy | try again later".into();
    let mut spec = LeafSpec::valid_for("mx3.mon.test", pki().now, 0);
    spec.not_before = pki().now - time::Duration::days(90);
    spec.not_after = pki().now - time::Duration::days(2);
    let expired = pki().chain(&spec);
    let left = |name: &str, days: i64| {
        let mut spec = LeafSpec::valid_for(name, pki().now, days);
        spec.not_after += time::Duration::hours(12);
        pki().chain(&spec)
    };
    let (servers, ports) = serve_group(vec![
        (
            Scenario::postfix("mx1.mon.test", &pki().healthy("mx1.mon.test", 120)),
            [127, 0, 0, 2],
            0,
        ),
        (
            Scenario::postfix("mx2.mon.test", &pki().healthy("mx2.mon.test", 10)),
            [127, 0, 0, 3],
            0,
        ),
        (
            Scenario::postfix("mx3.mon.test", &expired),
            [127, 0, 0, 4],
            0,
        ),
        (busy, [127, 0, 0, 5], 0),
        (
            Scenario::postfix("mx5.mon.test", &left("mx5.mon.test", 7)),
            [127, 0, 0, 6],
            0,
        ),
        (
            Scenario::postfix("mx6.mon.test", &left("mx6.mon.test", 6)),
            [127, 0, 0, 7],
            0,
        ),
    ]);
    World {
        dns: DnsServer::start(&[("mon.test.", ZONE)]),
        _servers: servers,
        port: ports[0].to_string(),
    }
}

impl World {
    /// The binary on `args` with this world's resolver, roots, port and a 5 s timeout.
    fn run(&self, args: &[&str]) -> Run {
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
            "--timeout",
            "5",
        ]);
        run(&all)
    }

    fn nagios(&self, args: &[&str]) -> (Run, Plugin) {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--format", "nagios"]);
        let r = self.run(&all);
        let p = Plugin::parse(&r.stdout);
        (r, p)
    }

    fn prometheus(&self, args: &[&str]) -> (Run, Vec<Sample>) {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--format", "prometheus"]);
        let r = self.run(&all);
        let s = parse_exposition(&r.stdout);
        (r, s)
    }
}

// ---------------------------------------------------------------------------------------
// Nagios plugin output, read strictly (Nagios plugin development guidelines, "Plugin Output
// for Nagios" and "Performance data"; the status line's shape is this tool's).

#[derive(Debug)]
struct Plugin {
    state: String,
    text: String,
    perfdata: Vec<Perf>,
    long: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
struct Perf {
    label: String,
    value: String,
    uom: String,
    warn: String,
    crit: String,
    min: String,
    max: String,
}

impl Plugin {
    /// `STARTTLS <STATE> - <text>[ | <perfdata>]\n` then long output lines, each ending in a
    /// newline; no `|` anywhere else (Nagios 3+ reads a `|` in the long output as more
    /// perfdata), no empty line, no carriage return.
    fn parse(out: &str) -> Plugin {
        assert!(
            out.ends_with('\n'),
            "output must end with a newline: {out:?}"
        );
        assert!(!out.contains('\r'), "a carriage return: {out:?}");
        let mut lines = out.lines();
        let first = lines.next().unwrap();
        let rest = first
            .strip_prefix("STARTTLS ")
            .unwrap_or_else(|| panic!("status line must start with `STARTTLS `: {first}"));
        let (state, rest) = rest.split_once(" - ").unwrap();
        assert!(
            ["OK", "WARNING", "CRITICAL", "UNKNOWN"].contains(&state),
            "state {state:?}"
        );
        let (text, perfdata) = match rest.split_once(" | ") {
            Some((t, p)) => (t, parse_perfdata(p)),
            None => (rest, Vec::new()),
        };
        assert!(
            !text.is_empty() && !text.contains('|'),
            "text part: {text:?}"
        );
        assert_eq!(text.trim(), text, "text part padded: {text:?}");
        let long: Vec<String> = lines.map(String::from).collect();
        for l in &long {
            assert!(!l.contains('|'), "a `|` in the long output: {l:?}");
            assert!(!l.trim().is_empty(), "an empty long output line in {out:?}");
        }
        Plugin {
            state: state.into(),
            text: text.into(),
            perfdata,
            long,
        }
    }

    fn perf(&self, label: &str) -> &Perf {
        self.perfdata
            .iter()
            .find(|p| p.label == label)
            .unwrap_or_else(|| panic!("no perfdata {label:?} in {:?}", self.perfdata))
    }

    fn labels(&self) -> Vec<&str> {
        self.perfdata.iter().map(|p| p.label.as_str()).collect()
    }
}

/// Space-separated `'label'=value[UOM];[warn];[crit];[min];[max]`: a label quoted when it
/// holds a space, `=` or a quote (doubled inside), never empty, never unquoted with either;
/// a value of `[-0-9.]` (or `U`); a UOM of the guidelines; warn and crit in the range format;
/// min and max plain numbers; trailing fields left out, never more than five.
fn parse_perfdata(s: &str) -> Vec<Perf> {
    assert!(!s.is_empty(), "empty perfdata after ` | `");
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        let (label, after) = parse_label(rest);
        let after = after
            .strip_prefix('=')
            .unwrap_or_else(|| panic!("no `=` after label {label:?} in {s:?}"));
        let (item, next) = match after.split_once(' ') {
            Some((i, n)) => (i, Some(n)),
            None => (after, None),
        };
        out.push(parse_value(&label, item));
        match next {
            Some(n) => {
                assert!(
                    !n.is_empty() && !n.starts_with(' '),
                    "double space in {s:?}"
                );
                rest = n;
            }
            None => break,
        }
    }
    let labels: BTreeSet<&str> = out.iter().map(|p| p.label.as_str()).collect();
    assert_eq!(labels.len(), out.len(), "a perfdata label twice: {s:?}");
    out
}

fn parse_label(s: &str) -> (String, &str) {
    if let Some(quoted) = s.strip_prefix('\'') {
        let mut label = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if quoted[i + 1..].starts_with('\'') {
                    label.push('\'');
                    chars.next();
                } else {
                    assert!(!label.is_empty(), "empty quoted label in {s:?}");
                    return (label, &quoted[i + 1..]);
                }
            } else {
                label.push(c);
            }
        }
        panic!("unterminated quoted label: {s:?}");
    }
    let end = s.find('=').unwrap_or_else(|| panic!("no `=` in {s:?}"));
    let label = &s[..end];
    assert!(!label.is_empty(), "empty label in {s:?}");
    assert!(
        !label.contains([' ', '\'']),
        "an unquoted label with a space or quote: {label:?}"
    );
    (label.to_string(), &s[end..])
}

const UOMS: [&str; 10] = ["", "s", "ms", "us", "%", "B", "KB", "MB", "TB", "c"];

fn parse_value(label: &str, item: &str) -> Perf {
    let fields: Vec<&str> = item.split(';').collect();
    assert!(fields.len() <= 5, "more than five fields: {label}={item}");
    let v = fields[0];
    let digits = v
        .find(|c: char| !(c.is_ascii_digit() || c == '-' || c == '.'))
        .unwrap_or(v.len());
    let (value, uom) = v.split_at(digits);
    if value.is_empty() {
        assert_eq!(v, "U", "no value: {label}={item}");
    } else {
        assert_number(value, &format!("value of {label}"));
    }
    assert!(UOMS.contains(&uom), "unit {uom:?} of {label}");
    let field = |i: usize| fields.get(i).copied().unwrap_or("").to_string();
    for i in [1, 2] {
        if !field(i).is_empty() {
            assert_range(&field(i), label);
        }
    }
    for i in [3, 4] {
        if !field(i).is_empty() {
            assert_number(&field(i), &format!("min/max of {label}"));
        }
    }
    Perf {
        label: label.into(),
        value: value.into(),
        uom: uom.into(),
        warn: field(1),
        crit: field(2),
        min: field(3),
        max: field(4),
    }
}

/// `-?digits(.digits)?`, in the C locale.
fn assert_number(s: &str, what: &str) {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = body.split_once('.').unwrap_or((body, "0"));
    assert!(
        !int.is_empty()
            && !frac.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit()),
        "{what}: {s:?} is not a number"
    );
}

/// The threshold range format: `[@]start:end`, `start:`, `~:end` or `end`.
fn assert_range(s: &str, label: &str) {
    let body = s.strip_prefix('@').unwrap_or(s);
    match body.split_once(':') {
        Some((start, end)) => {
            if start != "~" {
                assert_number(start, &format!("range start of {label}"));
            }
            if !end.is_empty() {
                assert_number(end, &format!("range end of {label}"));
            }
        }
        None => assert_number(body, &format!("threshold of {label}")),
    }
}

/// Whether `value` raises an alert against `threshold`, per the guidelines' "Threshold and
/// Ranges": `end` is `0:end`, `start:` has no end, `~` is minus infinity, and an alert is a
/// value outside the range (inclusive), or inside it with a leading `@`. An empty threshold
/// never alerts.
fn alerts(threshold: &str, value: f64) -> bool {
    if threshold.is_empty() {
        return false;
    }
    let (inside, body) = match threshold.strip_prefix('@') {
        Some(b) => (true, b),
        None => (false, threshold),
    };
    let number = |s: &str| s.parse::<f64>().unwrap();
    let (start, end) = match body.split_once(':') {
        Some((s, e)) => (
            if s == "~" {
                f64::NEG_INFINITY
            } else {
                number(s)
            },
            if e.is_empty() {
                f64::INFINITY
            } else {
                number(e)
            },
        ),
        None => (0.0, number(body)),
    };
    let within = start <= value && value <= end;
    if inside { within } else { !within }
}

/// The state a monitoring system derives from one perfdata value and its thresholds.
fn derived_state(p: &Perf) -> &'static str {
    let v: f64 = p.value.parse().unwrap();
    if alerts(&p.crit, v) {
        "CRITICAL"
    } else if alerts(&p.warn, v) {
        "WARNING"
    } else {
        "OK"
    }
}

#[test]
fn the_range_evaluator_follows_the_guidelines() {
    // The guidelines' own table.
    for (range, value, alert) in [
        ("10", 11.0, true),
        ("10", -1.0, true),
        ("10", 5.0, false),
        ("10:", 9.0, true),
        ("10:", 10.0, false),
        ("~:10", 11.0, true),
        ("~:10", -100.0, false),
        ("10:20", 9.0, true),
        ("10:20", 21.0, true),
        ("10:20", 20.0, false),
        ("@10:20", 15.0, true),
        ("@10:20", 21.0, false),
        ("", -5.0, false),
    ] {
        assert_eq!(alerts(range, value), alert, "{range} with {value}");
    }
}

#[test]
fn the_perfdata_checker_refuses_what_the_guidelines_refuse() {
    let refused = |s: &'static str| std::panic::catch_unwind(|| parse_perfdata(s)).is_err();
    assert!(!refused(
        "days_left=12;30;7 time=0.412s 'a b'=1;;;0 'it''s'=2;5:;~:9"
    ));
    for bad in [
        "a b=1",
        "x=1d",
        "x=1,5",
        "x=",
        "=1",
        "x=1;2;3;4;5;6",
        "x=1  y=2",
        "x=1;a",
        "'x=1",
        "x=1 x=2",
    ] {
        assert!(refused(bad), "accepted {bad:?}");
    }
}

/// `[STATE] code on where: summary`.
fn assert_long_line(l: &str) {
    let (state, rest) = l
        .strip_prefix('[')
        .and_then(|l| l.split_once("] "))
        .unwrap_or_else(|| panic!("long output line without [STATE]: {l}"));
    assert!(
        ["OK", "WARNING", "CRITICAL", "UNKNOWN"].contains(&state),
        "{l}"
    );
    let (code, rest) = rest.split_once(" on ").unwrap_or_else(|| panic!("{l}"));
    assert!(
        !code.is_empty()
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-' || b.is_ascii_digit()),
        "code {code:?} in {l}"
    );
    assert!(rest.contains(": "), "{l}");
}

// ---------------------------------------------------------------------------------------
// Nagios: one target.

#[test]
fn nagios_pass_warn_fail_and_unknown_give_their_state_perfdata_and_exit_code() {
    let w = world();
    for (target, state, exit, days) in [
        ("ok.mon.test", "OK", 0, Some(119..=120)),
        ("soon.mon.test", "WARNING", 1, Some(9..=10)),
        // Expired 2 days ago (less a few seconds): rounded down, -3.
        ("expired.mon.test", "CRITICAL", 2, Some(-3..=-3)),
        ("edge.mon.test", "WARNING", 1, Some(7..=7)),
        ("under.mon.test", "CRITICAL", 2, Some(6..=6)),
        ("busy.mon.test", "UNKNOWN", 3, None),
    ] {
        let (r, p) = w.nagios(&[target]);
        assert_eq!(r.code, exit, "{target}: {}", r.stdout);
        assert_eq!(p.state, state, "{target}: {}", r.stdout);
        assert!(
            p.text.starts_with(&format!("{target}: ")),
            "the headline names the target: {}",
            r.stdout
        );
        // A plugin writes nothing else: Icinga 2 would read stderr into the output.
        assert_eq!(r.stderr, "", "{target}");
        let time = p.perf("time");
        assert_eq!(time.uom, "s");
        let secs: f64 = time.value.parse().unwrap();
        assert!((0.0..5.0).contains(&secs), "{target}: time {secs}");
        match days {
            Some(range) => {
                assert_eq!(p.labels(), ["days_left", "time"], "{}", r.stdout);
                let d = p.perf("days_left");
                assert!(range.contains(&d.value.parse::<i64>().unwrap()), "{d:?}");
                assert_eq!(
                    (d.uom.as_str(), d.warn.as_str(), d.crit.as_str()),
                    ("", "30:", "7:")
                );
                // What a grapher or a threshold check derives from the perfdata is the
                // plugin's own state (only the expiry decides these targets).
                assert_eq!(derived_state(d), state, "{target}: {}", r.stdout);
            }
            // A 421 before any certificate: no days_left (Icinga 2 reads no `U`).
            None => assert_eq!(p.labels(), ["time"], "{}", r.stdout),
        }
        assert!(!p.long.is_empty(), "{target}: the findings follow");
        p.long.iter().for_each(|l| assert_long_line(l));
    }
}

#[test]
fn nagios_findings_follow_as_long_output_and_a_pipe_from_the_server_stays_text() {
    let w = world();
    let (_, p) = w.nagios(&["expired.mon.test"]);
    assert!(
        p.long[0].starts_with("[CRITICAL] cert-expired on mx3.mon.test [127.0.0.4]:"),
        "{:?}",
        p.long
    );
    let (r, p) = w.nagios(&["busy.mon.test"]);
    assert!(
        r.stdout.contains("busy ¦ try again later"),
        "the server's `|` is shown as `¦`: {}",
        r.stdout
    );
    assert!(p.long[0].starts_with("[UNKNOWN] "), "{:?}", p.long);
}

#[test]
fn nagios_thresholds_are_the_runs() {
    let w = world();
    let (r, p) = w.nagios(&["ok.mon.test", "--warn-days", "400", "--fail-days", "100"]);
    assert_eq!((r.code, p.state.as_str()), (1, "WARNING"), "{}", r.stdout);
    let d = p.perf("days_left");
    assert_eq!((d.warn.as_str(), d.crit.as_str()), ("400:", "100:"));
    assert_eq!(derived_state(d), "WARNING");
    let (r, p) = w.nagios(&["edge.mon.test", "--min-days", "8"]);
    assert_eq!((r.code, p.state.as_str()), (2, "CRITICAL"), "{}", r.stdout);
    assert_eq!(derived_state(p.perf("days_left")), "CRITICAL");
    let (r, p) = w.nagios(&["soon.mon.test", "--warn-days", "9", "--fail-days", "0"]);
    assert_eq!((r.code, p.state.as_str()), (0, "OK"), "{}", r.stdout);
    assert_eq!(derived_state(p.perf("days_left")), "OK");
}

/// An endpoint whose turn never came before the run's deadline took no time: its `time_…`
/// is left out (Icinga 2 reads no `U`), never written as `0.000s`.
#[test]
fn nagios_an_endpoint_the_deadline_never_reached_has_no_time() {
    let silent = || {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for s in l.incoming().flatten() {
                held.push(s);
            }
        });
        port
    };
    let (a, b) = (silent(), silent());
    let ports = format!("{a},{b}");
    let r = run(&[
        "mx.mon.test",
        "-p",
        &ports,
        "--resolve",
        "mx.mon.test:127.0.0.1",
        "--deadline",
        "1.5",
        "--concurrency",
        "1",
        "--format",
        "nagios",
    ]);
    let p = Plugin::parse(&r.stdout);
    assert_eq!((r.code, p.state.as_str()), (3, "UNKNOWN"), "{}", r.stdout);
    let times: Vec<&Perf> = p
        .perfdata
        .iter()
        .filter(|x| x.label.starts_with("time_"))
        .collect();
    assert_eq!(
        times.len(),
        1,
        "only the endpoint that started: {}",
        r.stdout
    );
    assert_ne!(times[0].value, "0.000", "{}", r.stdout);
    assert!(
        p.long.iter().any(|l| l.contains("never connected to")),
        "{:?}",
        p.long
    );
}

#[test]
fn nagios_several_endpoints_get_a_label_each_and_the_first_expiry() {
    let w = world();
    let (r, p) = w.nagios(&["two.mon.test"]);
    assert_eq!((r.code, p.state.as_str()), (1, "WARNING"), "{}", r.stdout);
    let port = &w.port;
    let mx1 = format!("mx1.mon.test[127.0.0.2]:{port}");
    let mx2 = format!("mx2.mon.test[127.0.0.3]:{port}");
    assert_eq!(
        p.labels(),
        [
            "days_left".to_string(),
            format!("days_left_{mx1}"),
            format!("time_{mx1}"),
            format!("days_left_{mx2}"),
            format!("time_{mx2}"),
        ]
    );
    // The first certificate to expire: mx2's.
    assert_eq!(
        p.perf("days_left").value,
        p.perf(&format!("days_left_{mx2}")).value
    );
}

#[test]
fn nagios_a_run_error_is_an_unknown_status_line_on_stdout() {
    let w = world();
    let (r, p) = w.nagios(&["ok.mon.test", "--ca-file", "/nonexistent/roots.pem"]);
    assert_eq!(r.code, 3);
    assert_eq!(p.state, "UNKNOWN");
    assert!(p.text.starts_with("ok.mon.test: "), "{}", r.stdout);
    assert!(p.text.contains("/nonexistent/roots.pem"), "{}", r.stdout);
    assert!(p.perfdata.is_empty() && p.long.is_empty(), "{}", r.stdout);
    // A command line clap refuses.
    let r = w.run(&["ok.mon.test", "--format", "nagios", "--timeout", "-1"]);
    assert_eq!(r.code, 3);
    let p = Plugin::parse(&r.stdout);
    assert_eq!(p.state, "UNKNOWN");
    assert!(p.text.contains("--timeout"), "{}", r.stdout);
}

/// explain writes no status line or metrics: asked for one it is a usage error on stderr,
/// with nothing on stdout, where a `STARTTLS UNKNOWN` or a `starttls_check_up 0` would read
/// as a probe's result (issue 17).
#[test]
fn explain_refuses_the_monitoring_formats_as_a_usage_error_on_stderr() {
    let r = run(&["explain", "cert-expired", "--format", "nagios"]);
    assert_eq!(r.code, 3);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(
        r.stderr
            .contains("--format nagios is a check's status line"),
        "{}",
        r.stderr
    );
    let r = run(&["explain", "cert-expired", "--format", "prometheus"]);
    assert_eq!(r.code, 3);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(r.stderr.contains("--format prometheus"), "{}", r.stderr);
}

// ---------------------------------------------------------------------------------------
// Nagios: a batch.

#[test]
fn nagios_batch_is_one_status_line_for_the_worst_with_perfdata_for_all() {
    let w = world();
    let (r, p) = w.nagios(&[
        "ok.mon.test",
        "soon.mon.test",
        "expired.mon.test",
        "alias.mon.test",
    ]);
    assert_eq!((r.code, p.state.as_str()), (2, "CRITICAL"), "{}", r.stdout);
    assert!(
        p.text.starts_with(
            "4 targets: 2 pass, 1 warn, 0 unknown, 1 fail — expired.mon.test: certificate expired"
        ),
        "{}",
        r.stdout
    );
    let port = &w.port;
    let mut want: Vec<String> = ["pass", "warn", "unknown", "fail"]
        .iter()
        .map(|v| format!("targets_{v}"))
        .collect();
    want.push("days_left".into());
    // ok and alias share mx1: its labels once.
    for ep in [
        "mx1.mon.test[127.0.0.2]",
        "mx2.mon.test[127.0.0.3]",
        "mx3.mon.test[127.0.0.4]",
    ] {
        want.push(format!("days_left_{ep}:{port}"));
        want.push(format!("time_{ep}:{port}"));
    }
    assert_eq!(p.labels(), want, "{}", r.stdout);
    let counts: Vec<(&str, &str)> = p.perfdata[..4]
        .iter()
        .map(|c| (c.value.as_str(), c.min.as_str()))
        .collect();
    assert_eq!(counts, [("2", "0"), ("1", "0"), ("0", "0"), ("1", "0")]);
    assert!(
        p.perf("days_left").value.starts_with('-'),
        "the expired one"
    );
    // A line per target, the worst first, each in the order given.
    let states: Vec<&str> = p
        .long
        .iter()
        .map(|l| l.split(' ').take(2).last().unwrap())
        .collect();
    assert_eq!(
        states,
        [
            "expired.mon.test:",
            "soon.mon.test:",
            "ok.mon.test:",
            "alias.mon.test:"
        ],
        "{:?}",
        p.long
    );
    assert!(p.long[0].starts_with("[CRITICAL] "));
    assert!(p.long[1].starts_with("[WARNING] "));
    assert!(p.long[2].starts_with("[OK] "));
}

#[test]
fn nagios_batch_notes_come_after_the_status_line_when_stderr_is_read_with_stdout() {
    // Icinga 2 reads a plugin's stdout and stderr as one stream: the status line must still
    // come first.
    let w = world();
    let ca = pki().root_file.to_string_lossy().into_owned();
    let resolver = w.dns.resolver_arg();
    let mut c = command(&[
        "ok.mon.test",
        "ok.mon.test",
        "busy.mon.test",
        "--format",
        "nagios",
        "--resolver",
        &resolver,
        "--ca-file",
        &ca,
        "--no-system-roots",
        "-p",
        &w.port,
        "--timeout",
        "5",
    ]);
    let merged = write_temp("nagios-merged.txt", "");
    let file = std::fs::File::create(&merged).unwrap();
    c.stdout(file.try_clone().unwrap()).stderr(file);
    assert_hermetic(&c);
    let status = c.status().unwrap();
    let out = std::fs::read_to_string(&merged).unwrap();
    assert_eq!(status.code(), Some(3), "{out}");
    assert!(out.starts_with("STARTTLS UNKNOWN - 2 targets: "), "{out}");
    assert!(out.contains("busy ¦ try again later"), "{out}");
    // The repeat is said, after the plugin output.
    let note = out
        .find("starttls-check: 1 repeated target is checked once\n")
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        out[note..].lines().count() == 1,
        "the note comes last: {out}"
    );
}

// ---------------------------------------------------------------------------------------
// Prometheus text format 0.0.4, read strictly.

#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn is_metric_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_' || c == b':')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b':')
}

fn is_label_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
        && !s.starts_with("__")
}

/// `{name="value",…}` at the start of `s`: the labels and what follows. Only `\\`, `\"` and
/// `\n` are escapes; no label twice; no trailing comma.
fn parse_labels(s: &str) -> (BTreeMap<String, String>, &str) {
    let mut labels = BTreeMap::new();
    let mut rest = s.strip_prefix('{').unwrap();
    if let Some(r) = rest.strip_prefix('}') {
        return (labels, r);
    }
    loop {
        let (name, r) = rest
            .split_once("=\"")
            .unwrap_or_else(|| panic!("label in {s:?}"));
        assert!(is_label_name(name), "label name {name:?}");
        let mut value = String::new();
        let mut chars = r.char_indices();
        let end = loop {
            let (i, c) = chars
                .next()
                .unwrap_or_else(|| panic!("unterminated value in {s:?}"));
            match c {
                '"' => break i,
                '\\' => match chars.next().map(|(_, c)| c) {
                    Some('\\') => value.push('\\'),
                    Some('"') => value.push('"'),
                    Some('n') => value.push('\n'),
                    e => panic!("escape \\{e:?} in {s:?}"),
                },
                '\n' => panic!("raw newline in a label value: {s:?}"),
                c => value.push(c),
            }
        };
        assert!(
            labels.insert(name.to_string(), value).is_none(),
            "{name} twice in {s:?}"
        );
        rest = &r[end + 1..];
        if let Some(r) = rest.strip_prefix('}') {
            return (labels, r);
        }
        rest = rest
            .strip_prefix(',')
            .unwrap_or_else(|| panic!("after a label: {s:?}"));
        assert!(!rest.starts_with('}'), "trailing comma in {s:?}");
    }
}

/// Every line a HELP, a TYPE or a sample (no blank line, no other comment: this tool writes
/// none); HELP and TYPE once per family and before its samples, its samples together; every
/// family a gauge and every sample of a declared family; no timestamp (the textfile collector
/// refuses them); no series twice.
fn parse_exposition(text: &str) -> Vec<Sample> {
    assert!(text.ends_with('\n'), "must end with a newline");
    let mut help = BTreeSet::new();
    let mut typed = BTreeMap::new();
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut current: Option<String> = None;
    let mut seen = BTreeSet::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, doc) = rest.split_once(' ').unwrap();
            assert!(is_metric_name(name) && !doc.trim().is_empty(), "{line}");
            assert!(help.insert(name.to_string()), "HELP twice: {line}");
            assert!(!typed.contains_key(name), "HELP after TYPE: {line}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert_eq!(kind, "gauge", "{line}");
            assert!(help.contains(name), "TYPE without HELP: {line}");
            assert!(
                typed.insert(name.to_string(), kind.to_string()).is_none(),
                "{line}"
            );
            if let Some(c) = current.replace(name.to_string()) {
                done.insert(c);
            }
            continue;
        }
        assert!(
            !line.starts_with('#') && !line.is_empty(),
            "unexpected line {line:?}"
        );
        let name_end = line.find(['{', ' ']).unwrap();
        let name = &line[..name_end];
        assert!(is_metric_name(name), "{line}");
        assert_eq!(
            current.as_deref(),
            Some(name),
            "sample outside its family: {line}"
        );
        assert!(!done.contains(name), "family split: {line}");
        let (labels, rest) = if line[name_end..].starts_with('{') {
            parse_labels(&line[name_end..])
        } else {
            (BTreeMap::new(), &line[name_end..])
        };
        let value = rest.strip_prefix(' ').unwrap_or_else(|| panic!("{line}"));
        assert!(
            !value.contains(' '),
            "a timestamp or junk after the value: {line}"
        );
        let value: f64 = value.parse().unwrap_or_else(|e| panic!("{e}: {line}"));
        let key = format!("{name}{labels:?}");
        assert!(seen.insert(key), "series twice: {line}");
        samples.push(Sample {
            name: name.into(),
            labels,
            value,
        });
    }
    samples
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

/// The samples of `name`.
fn family<'a>(samples: &'a [Sample], name: &str) -> Vec<&'a Sample> {
    samples.iter().filter(|s| s.name == name).collect()
}

fn value(samples: &[Sample], name: &str, with: &[(&str, &str)]) -> f64 {
    let want = labels(with);
    samples
        .iter()
        .find(|s| s.name == name && s.labels == want)
        .unwrap_or_else(|| panic!("no {name}{want:?} among {:#?}", family(samples, name)))
        .value
}

#[test]
fn the_exposition_checker_refuses_what_the_format_refuses() {
    let head = "# HELP a x\n# TYPE a gauge\n";
    let ok = |s: &str| {
        let s = s.to_string();
        std::panic::catch_unwind(move || parse_exposition(&s)).is_ok()
    };
    assert!(ok(&format!("{head}a{{l=\"x\\\\y\\\"z\\n\"}} 1\na 2\n")));
    for bad in [
        "a{l=\"\\t\"} 1\n",
        "a{l=\"x\"} 1 1700000000000\n",
        "a{l=\"x\",} 1\n",
        "a{l=\"x\"} 1\na{l=\"x\"} 2\n",
        "a{__l=\"x\"} 1\n",
        "a{l=\"x\",l=\"y\"} 1\n",
        "b 1\n",
        "a one\n",
    ] {
        assert!(!ok(&format!("{head}{bad}")), "accepted {bad:?}");
    }
    assert!(!ok("a 1\n"), "no HELP/TYPE");
}

// ---------------------------------------------------------------------------------------
// Prometheus: one target, a batch, an error.

#[test]
fn prometheus_names_labels_and_values_of_one_target() {
    let w = world();
    let port = w.port.clone();
    let (r, s) = w.prometheus(&["soon.mon.test"]);
    assert_eq!(r.code, 1, "the exit code is the verdict's: {}", r.stdout);
    let t = [("target", "soon.mon.test")];
    assert_eq!(value(&s, "starttls_check_up", &t), 1.0);
    for (v, want) in [
        ("pass", 0.0),
        ("warn", 1.0),
        ("unknown", 0.0),
        ("fail", 0.0),
    ] {
        let l = [("target", "soon.mon.test"), ("verdict", v)];
        assert_eq!(value(&s, "starttls_check_verdict", &l), want, "{v}");
    }
    let ep = [
        ("target", "soon.mon.test"),
        ("mx", "mx2.mon.test"),
        ("address", "127.0.0.3"),
        ("port", port.as_str()),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut l = ep.to_vec();
        l.extend_from_slice(extra);
        l
    };
    assert_eq!(
        value(
            &s,
            "starttls_check_endpoint_verdict",
            &with(&[("verdict", "warn")])
        ),
        1.0
    );
    assert_eq!(
        value(
            &s,
            "starttls_check_endpoint_verdict",
            &with(&[("verdict", "pass")])
        ),
        0.0
    );
    let expiry = value(&s, "starttls_check_cert_expiry_timestamp_seconds", &ep);
    let want = (pki().now + time::Duration::days(10)).unix_timestamp() as f64;
    assert!(
        (expiry - want).abs() <= 1.0,
        "notAfter {expiry}, made for {want}"
    );
    assert_eq!(
        value(
            &s,
            "starttls_check_tls_version_info",
            &with(&[("version", "1.3")])
        ),
        1.0
    );
    let took = value(&s, "starttls_check_probe_duration_seconds", &ep);
    assert!(took > 0.0 && took < 5.0, "{took}");
    let info = family(&s, "starttls_check_cert_info");
    assert_eq!(info.len(), 1);
    assert!(
        info[0].labels["subject"].starts_with("CN=mx2.mon.test"),
        "{info:?}"
    );
    assert!(
        info[0].labels["issuer"].starts_with("CN=Test Issuing CA"),
        "{info:?}"
    );
    assert_eq!(info[0].labels["sha256"].len(), 32 * 3 - 1);
    let f = [
        ("target", "soon.mon.test"),
        ("code", "cert-expires-soon"),
        ("severity", "warn"),
    ];
    assert_eq!(value(&s, "starttls_check_findings", &f), 1.0);
    // Every family, in this order, and nothing else.
    let mut names: Vec<&str> = s.iter().map(|x| x.name.as_str()).collect();
    names.dedup();
    assert_eq!(
        names,
        [
            "starttls_check_up",
            "starttls_check_verdict",
            "starttls_check_endpoint_verdict",
            "starttls_check_cert_expiry_timestamp_seconds",
            "starttls_check_cert_info",
            "starttls_check_tls_version_info",
            "starttls_check_probe_duration_seconds",
            "starttls_check_findings",
            "starttls_check_dnssec_secure",
            "starttls_check_mta_sts_mode_info",
            "starttls_check_tlsrpt_published",
        ]
    );
    // The policy phase ran against the test's DNS server: on loopback, so its AD bit is
    // trusted, and it sets none: the MX RRset is insecure. No MTA-STS, no TLS-RPT record.
    let d = [("target", "soon.mon.test"), ("domain", "soon.mon.test")];
    let mut mx = d.to_vec();
    mx.push(("what", "mx"));
    assert_eq!(value(&s, "starttls_check_dnssec_secure", &mx), 0.0);
    let mut mode = d.to_vec();
    mode.push(("mode", "missing"));
    assert_eq!(value(&s, "starttls_check_mta_sts_mode_info", &mode), 1.0);
    assert_eq!(value(&s, "starttls_check_tlsrpt_published", &d), 0.0);
    assert_eq!(r.stderr, "");
}

#[test]
fn prometheus_a_421_has_no_certificate_series_and_says_unknown() {
    let w = world();
    let (r, s) = w.prometheus(&["busy.mon.test"]);
    assert_eq!(r.code, 3);
    let l = [("target", "busy.mon.test"), ("verdict", "unknown")];
    assert_eq!(value(&s, "starttls_check_verdict", &l), 1.0);
    assert_eq!(
        value(&s, "starttls_check_up", &[("target", "busy.mon.test")]),
        1.0
    );
    assert!(family(&s, "starttls_check_cert_expiry_timestamp_seconds").is_empty());
    assert!(family(&s, "starttls_check_tls_version_info").is_empty());
    assert_eq!(family(&s, "starttls_check_probe_duration_seconds").len(), 1);
}

#[test]
fn prometheus_batch_has_every_target_and_no_series_twice_where_targets_share_an_endpoint() {
    let w = world();
    let (r, s) = w.prometheus(&[
        "ok.mon.test",
        "alias.mon.test",
        "expired.mon.test",
        "two.mon.test",
    ]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    for t in [
        "ok.mon.test",
        "alias.mon.test",
        "expired.mon.test",
        "two.mon.test",
    ] {
        assert_eq!(value(&s, "starttls_check_up", &[("target", t)]), 1.0);
        assert_eq!(
            family(&s, "starttls_check_verdict")
                .iter()
                .filter(|x| x.labels["target"] == t)
                .map(|x| x.value)
                .sum::<f64>(),
            1.0,
            "one state is current: {t}"
        );
    }
    // mx1 serves ok, alias and two: a series each, told apart by target.
    let mx1: Vec<&Sample> = family(&s, "starttls_check_probe_duration_seconds")
        .into_iter()
        .filter(|x| x.labels["mx"] == "mx1.mon.test")
        .collect();
    let targets: BTreeSet<&str> = mx1.iter().map(|x| x.labels["target"].as_str()).collect();
    assert_eq!(
        targets,
        BTreeSet::from(["alias.mon.test", "ok.mon.test", "two.mon.test"])
    );
    let l = [("target", "expired.mon.test"), ("verdict", "fail")];
    assert_eq!(value(&s, "starttls_check_verdict", &l), 1.0);
}

#[test]
fn prometheus_a_run_error_says_up_0() {
    let w = world();
    let (r, s) = w.prometheus(&["ok.mon.test", "--ca-file", "/nonexistent/roots.pem"]);
    assert_eq!(r.code, 3);
    assert_eq!(
        value(&s, "starttls_check_up", &[("target", "ok.mon.test")]),
        0.0
    );
    let l = [("target", "ok.mon.test"), ("verdict", "unknown")];
    assert_eq!(value(&s, "starttls_check_verdict", &l), 1.0);
    assert!(r.stderr.contains("/nonexistent/roots.pem"), "{}", r.stderr);
    let (r, s) = w.prometheus(&[
        "ok.mon.test",
        "alias.mon.test",
        "--ca-file",
        "/nonexistent/roots.pem",
    ]);
    assert_eq!(r.code, 3);
    assert_eq!(
        value(&s, "starttls_check_up", &[("target", "alias.mon.test")]),
        0.0
    );
    assert_eq!(family(&s, "starttls_check_up").len(), 2);
}

// ---------------------------------------------------------------------------------------
// Prometheus: what a new user's trial found (issue 15).

/// The binary on `args` with the test roots and a 5 s timeout (and `extra`).
fn direct(args: &[&str], extra: &[&str]) -> Run {
    let ca = pki().root_file.to_string_lossy().into_owned();
    let mut all = args.to_vec();
    all.extend_from_slice(&["--ca-file", &ca, "--no-system-roots", "--timeout", "5"]);
    all.extend_from_slice(extra);
    run(&all)
}

/// The human Endpoints table: `address:port` → the verdict word, lower case.
fn human_endpoints(text: &str) -> BTreeMap<String, String> {
    let table = text
        .split("\nEndpoints\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no Endpoints table:\n{text}"));
    let mut out = BTreeMap::new();
    for line in table.lines().take_while(|l| l.starts_with("  ")) {
        let mut words = line.split_whitespace();
        let at = words.find(|w| w.starts_with('[')).unwrap();
        let (address, port) = at.trim_start_matches('[').split_once("]:").unwrap();
        let word = words.next().unwrap().to_ascii_lowercase();
        out.insert(format!("{address}:{port}"), word);
    }
    out
}

/// `starttls_check_endpoint_verdict`: `address:port` → the state whose series is 1.
fn prometheus_endpoints(s: &[Sample]) -> BTreeMap<String, String> {
    family(s, "starttls_check_endpoint_verdict")
        .into_iter()
        .filter(|x| x.value == 1.0)
        .map(|x| {
            let at = format!("{}:{}", x.labels["address"], x.labels["port"]);
            (at, x.labels["verdict"].clone())
        })
        .collect()
}

/// Trial: `-p 2525,2526` on a host with STARTTLS on one port only gave the healthy port
/// `verdict="fail"`, because `starttls-port-mismatch` names both ports, while the human
/// Endpoints table said PASS. The endpoint verdict is the table's.
#[test]
fn prometheus_endpoint_verdict_is_the_human_tables_across_ports() {
    let name = "mail.example.test";
    let mut closed = Scenario::postfix(name, &pki().healthy(name, 120));
    closed.starttls = StartTls::NotOffered;
    let (_s, ports) = serve_group(vec![
        (
            Scenario::postfix(name, &pki().healthy(name, 120)),
            [127, 0, 0, 2],
            0,
        ),
        (closed, [127, 0, 0, 2], 1),
    ]);
    let list = format!("{},{}", ports[0], ports[1]);
    let resolve = format!("{name}:127.0.0.2");
    let args = ["[mail.example.test]", "-p", &list, "--resolve", &resolve];
    let prom = direct(&args, &["--format", "prometheus"]);
    let human = direct(&args, &["--format", "human"]);
    assert_eq!(prom.code, 2, "{}", prom.stdout);
    assert!(
        prom.stdout.contains("code=\"starttls-port-mismatch\""),
        "{}",
        prom.stdout
    );
    let want = BTreeMap::from([
        (format!("127.0.0.2:{}", ports[0]), "pass".to_string()),
        (format!("127.0.0.2:{}", ports[1]), "fail".to_string()),
    ]);
    assert_eq!(human_endpoints(&human.stdout), want, "{}", human.stdout);
    let s = parse_exposition(&prom.stdout);
    assert_eq!(prometheus_endpoints(&s), want, "{}", prom.stdout);
}

/// Trial: two addresses of one host, one still serving a self-signed certificate:
/// `endpoints-inconsistent` names both, and the healthy address must not warn for it.
#[test]
fn prometheus_endpoint_verdict_is_the_human_tables_across_addresses() {
    let name = "mail.example.test";
    let odd = spki::self_signed(&LeafSpec::valid_for(name, pki().now, 300)).unwrap();
    let (_s, ports) = serve_group(vec![
        (
            Scenario::postfix(name, &pki().healthy(name, 120)),
            [127, 0, 0, 2],
            0,
        ),
        (Scenario::postfix(name, &odd), [127, 0, 0, 3], 0),
    ]);
    let dns = DnsServer::start(&[(
        "example.test.",
        "$ORIGIN example.test.\n$TTL 60\n@ IN SOA ns hostmaster 1 60 60 60 60\n\
         mail IN A 127.0.0.2\nmail IN A 127.0.0.3\n",
    )]);
    let resolver = dns.resolver_arg();
    let port = ports[0].to_string();
    let args = ["[mail.example.test]", "-p", &port, "--resolver", &resolver];
    let prom = direct(&args, &["--format", "prometheus"]);
    let human = direct(&args, &["--format", "human"]);
    assert_eq!(prom.code, 2, "{}", prom.stdout);
    assert!(
        prom.stdout.contains("code=\"endpoints-inconsistent\""),
        "{}",
        prom.stdout
    );
    let want = BTreeMap::from([
        (format!("127.0.0.2:{port}"), "pass".to_string()),
        (format!("127.0.0.3:{port}"), "fail".to_string()),
    ]);
    assert_eq!(human_endpoints(&human.stdout), want, "{}", human.stdout);
    let s = parse_exposition(&prom.stdout);
    assert_eq!(prometheus_endpoints(&s), want, "{}", prom.stdout);
}

/// Trial: SIGTERM in the middle of `--targets-file … --format prometheus` wrote the finished
/// targets only, so the README's wrapper installed a file where the other targets' series
/// had vanished (and their alerts resolved in silence). Every target the run did not check is
/// `up 0`, verdict `unknown`; the exit code is 3 and stderr says how many were checked.
#[cfg(unix)]
#[test]
fn prometheus_an_interrupted_batch_says_up_0_for_every_target_it_did_not_check() {
    let (code, stdout, stderr) = interrupted_batch(&[]);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.contains("interrupted: 1 of 3 targets checked, the others not (exit 3)"),
        "{stderr}"
    );
    let s = parse_exposition(&stdout);
    let up = |t: &str| value(&s, "starttls_check_up", &[("target", t)]);
    assert_eq!(up("good.cut.test"), 1.0, "{stdout}");
    for t in ["hung.cut.test", "later.cut.test"] {
        assert_eq!(up(t), 0.0, "{stdout}");
        let l = [("target", t), ("verdict", "unknown")];
        assert_eq!(value(&s, "starttls_check_verdict", &l), 1.0, "{stdout}");
    }
    let l = [("target", "good.cut.test"), ("verdict", "pass")];
    assert_eq!(value(&s, "starttls_check_verdict", &l), 1.0, "{stdout}");
    // With --redact the targets it did not check are placeholders too.
    let (code, stdout, stderr) = interrupted_batch(&["--redact"]);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(!stdout.contains("cut.test"), "{stdout}");
    let s = parse_exposition(&stdout);
    let mut up: Vec<f64> = family(&s, "starttls_check_up")
        .iter()
        .map(|x| x.value)
        .collect();
    up.sort_by(f64::total_cmp);
    assert_eq!(up, [0.0, 0.0, 1.0], "{stdout}");
}

/// Re-trial: one target sent SIGTERM mid-probe exited 143 with nothing on stdout, so a
/// textfile written with `>` was left empty. It now ends as a run error in its format: exit 3,
/// `starttls_check_up 0`, or Nagios's `STARTTLS UNKNOWN`.
#[cfg(unix)]
#[test]
fn one_target_interrupted_says_up_0_or_unknown() {
    for (format, expect) in [
        (
            "prometheus",
            "starttls_check_up{target=\"[mail.example.test]\"} 0",
        ),
        ("nagios", "STARTTLS UNKNOWN - "),
    ] {
        let mut silent = Scenario::postfix(HOST, &pki().healthy(HOST, 120));
        silent.on_connect = OnConnect::Silent;
        let server = serve(silent);
        let resolve = format!("{HOST}:127.0.0.1");
        let target = format!("[{HOST}]:{}", server.addr.port());
        let mut c = command(&[
            &target,
            "--resolve",
            &resolve,
            "--format",
            format,
            "--timeout",
            "60",
        ]);
        c.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let child = c.spawn().unwrap();
        // The probe is under way (and the handler installed) once the server has its client.
        let started = std::time::Instant::now();
        while server.connections() == 0 {
            assert!(started.elapsed().as_secs() < 30, "never connected");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let out = child.wait_with_output().unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert_eq!(out.status.code(), Some(3), "{format}: {stdout}{stderr}");
        let expect = expect.replace("[mail.example.test]", &target);
        assert!(stdout.contains(&expect), "{format}: {stdout}");
        assert!(
            stderr.contains("interrupted by a signal"),
            "{format}: {stderr}"
        );
    }
}

/// good.cut.test (answers), hung.cut.test and later.cut.test (one silent server) as a
/// Prometheus batch, sent SIGTERM once good's probe is over: exit code, stdout, stderr.
#[cfg(unix)]
fn interrupted_batch(extra: &[&str]) -> (Option<i32>, String, String) {
    let good = "mx1.cut.test";
    let mut hung = Scenario::postfix("mx2.cut.test", &pki().healthy("mx2.cut.test", 120));
    hung.on_connect = OnConnect::Silent;
    let (servers, ports) = serve_group(vec![
        (
            Scenario::postfix(good, &pki().healthy(good, 120)),
            [127, 0, 0, 6],
            0,
        ),
        (hung, [127, 0, 0, 7], 0),
    ]);
    let dns = DnsServer::start(&[(
        "cut.test.",
        "$ORIGIN cut.test.\n$TTL 60\n@ IN SOA ns hostmaster 1 60 60 60 60\n\
         good IN MX 10 mx1\nhung IN MX 10 mx2\nlater IN MX 10 mx2\n\
         mx1 IN A 127.0.0.6\nmx2 IN A 127.0.0.7\n",
    )]);
    let list = write_temp(
        "monitoring-interrupted.txt",
        "good.cut.test\nhung.cut.test\nlater.cut.test\n",
    );
    let ca = pki().root_file.to_string_lossy().into_owned();
    let (resolver, port) = (dns.resolver_arg(), ports[0].to_string());
    let mut args = vec![
        "--targets-file",
        list.to_str().unwrap(),
        "--format",
        "prometheus",
        "--resolver",
        &resolver,
        "--ca-file",
        &ca,
        "--no-system-roots",
        "-p",
        &port,
        "--timeout",
        "60",
    ];
    args.extend_from_slice(extra);
    let mut c = command(&args);
    c.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = c.spawn().unwrap();
    // good's probe is over when its server has the QUIT; then give the report a moment.
    let started = std::time::Instant::now();
    while !servers[0].received().iter().any(|l| l.starts_with("QUIT")) {
        assert!(started.elapsed().as_secs() < 30, "good was never probed");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

// ---------------------------------------------------------------------------------------
// promtool.

/// promtool from `STARTTLS_CHECK_PROMTOOL` (what `.ci/run` sets) or PATH; a loud failure when
/// neither has it.
fn promtool() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("STARTTLS_CHECK_PROMTOOL") {
        return p.into();
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("promtool"))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "promtool not found: set STARTTLS_CHECK_PROMTOOL or put promtool on PATH \
             (.ci/run extracts it from Debian's prometheus package: apt-get download \
             prometheus && dpkg-deb -x prometheus_*.deb DIR)"
        )
    })
}

/// `promtool check metrics` on `text`: it must exit 0 and say nothing at all.
fn promtool_check(tool: &std::path::Path, what: &str, text: &str) {
    use std::io::Write;
    let mut child = std::process::Command::new(tool)
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", tool.display()));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.is_empty(),
        "promtool check metrics on {what} ({}): {said}\n--- the metrics:\n{text}",
        out.status
    );
}

#[test]
#[ignore = "needs promtool (Debian's prometheus package); .ci/run provides it"]
fn promtool_accepts_the_metrics() {
    let tool = promtool();
    let version = std::process::Command::new(&tool)
        .arg("--version")
        .output()
        .unwrap();
    eprintln!(
        "{}",
        String::from_utf8_lossy(&version.stdout)
            .lines()
            .next()
            .unwrap_or("")
    );
    let w = world();
    for target in [
        "ok.mon.test",
        "soon.mon.test",
        "expired.mon.test",
        "busy.mon.test",
        "two.mon.test",
    ] {
        let (r, _) = w.prometheus(&[target]);
        promtool_check(&tool, target, &r.stdout);
    }
    let (r, _) = w.prometheus(&[
        "ok.mon.test",
        "alias.mon.test",
        "soon.mon.test",
        "expired.mon.test",
        "busy.mon.test",
        "two.mon.test",
    ]);
    promtool_check(&tool, "a batch", &r.stdout);
    let (r, _) = w.prometheus(&["ok.mon.test", "--ca-file", "/nonexistent/roots.pem"]);
    promtool_check(&tool, "a run error", &r.stdout);
    let demo = run(&["demo", "--format", "prometheus"]);
    promtool_check(&tool, "the demo", &demo.stdout);
}
