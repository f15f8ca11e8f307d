//! The hold-out set of `starttls-check explain` (issue 10, item 4): real error texts from
//! public pages, committed before any pattern existed, that the patterns are never tuned on.
//! Each sample in `tests/data/explain-holdout/` is pasted into the real binary as a user would
//! (`starttls-check explain - --format json`, the text on stdin); the first cause it names,
//! `matches[0].code`, is a hit when `expected.txt` lists it for that sample. The test prints
//! the table (sample, expected, got) and the hit rate, and requires:
//!
//! - at least [`MIN_HIT_PERCENT`] % hits;
//! - no DNS question at all: `explain` without `--probe` never touches the network, so the
//!   recording loopback resolver it is given must not be asked anything;
//! - exit code 0 when the answer says `"recognised": true`, 3 when it says `false`.
//!
//! `cargo test --test explain_holdout -- --nocapture` shows the table on success too.
//!
//! The samples, their sources and why each expected code: `tests/data/explain-holdout/README.md`.
//! Do not change a pattern to make one of these pass: add a sample of your own to the engine's
//! tests instead, or the hit rate stops measuring anything.

mod common;

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::dns::DnsServer;
use serde_json::Value;
use starttls_check::catalogue::Code;

/// The hit rate the issue asks for.
const MIN_HIT_PERCENT: usize = 80;

/// The least number of samples the set must keep (issue 10 asks for 15; 18 were asked of us).
const MIN_SAMPLES: usize = 18;

/// A root zone with nothing in it: any question gets NXDOMAIN, and is recorded.
const EMPTY_ROOT: &str = "\
$ORIGIN .
$TTL 60
@ IN SOA ns.invalid. hostmaster.invalid. 1 60 60 60 60
";

fn holdout_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/explain-holdout")
}

/// One line of `expected.txt`: a sample file and the codes that count as a hit.
struct Expectation {
    file: String,
    codes: Vec<String>,
}

/// `expected.txt`: `file: code[, code...]` per line; `#` starts a comment line.
fn expectations() -> Vec<Expectation> {
    let path = holdout_dir().join("expected.txt");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let (file, codes) = line
                .split_once(':')
                .unwrap_or_else(|| panic!("expected.txt: no `file: codes` in {line:?}"));
            let codes: Vec<String> = codes
                .split(',')
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect();
            assert!(!codes.is_empty(), "expected.txt: no code for {file}");
            Expectation {
                file: file.trim().to_string(),
                codes,
            }
        })
        .collect()
}

/// What one run of `explain` on a sample gave.
struct Outcome {
    /// `matches[0].code`, if the document has one.
    got: Option<String>,
    /// `recognised`, if the document has it.
    recognised: Option<bool>,
    /// The document was JSON with a `matches` array: the subcommand answered.
    answered: bool,
    exit: i32,
    /// The names the binary asked the resolver while explaining this sample.
    asked: Vec<String>,
    stderr: String,
}

/// Runs `starttls-check explain - --format json` with `sample` on stdin and `dns` as its only
/// resolver.
fn explain(sample: &Path, dns: &DnsServer) -> Outcome {
    let resolver = dns.resolver_arg();
    let before = dns.queries().len();
    let mut cmd = common::command(&[
        "explain",
        "-",
        "--format",
        "json",
        "--resolver",
        resolver.as_str(),
    ]);
    let stdin = File::open(sample).unwrap_or_else(|e| panic!("{}: {e}", sample.display()));
    cmd.stdin(Stdio::from(stdin));
    let run = common::run_command(cmd);
    let all = dns.queries();
    let asked = all[before.min(all.len())..].to_vec();

    let doc: Option<Value> = serde_json::from_str(&run.stdout).ok();
    let matches = doc.as_ref().and_then(|d| d["matches"].as_array().cloned());
    Outcome {
        got: matches
            .as_ref()
            .and_then(|m| m.first())
            .and_then(|m| m["code"].as_str())
            .map(str::to_string),
        recognised: doc.as_ref().and_then(|d| d["recognised"].as_bool()),
        answered: matches.is_some(),
        exit: run.code,
        asked,
        stderr: run.stderr,
    }
}

#[test]
fn explain_recognises_at_least_80_percent_of_the_holdout_set() {
    let expected = expectations();
    assert!(
        expected.len() >= MIN_SAMPLES,
        "the hold-out set has {} samples, fewer than {MIN_SAMPLES}",
        expected.len()
    );
    let dns = DnsServer::start(&[(".", EMPTY_ROOT)]);

    let mut rows = Vec::new();
    let mut hits = 0;
    let mut problems = Vec::new();
    let mut answered = 0;
    let mut first_stderr = String::new();
    for e in &expected {
        let o = explain(&holdout_dir().join(&e.file), &dns);
        let hit = o.got.as_ref().is_some_and(|g| e.codes.contains(g));
        hits += usize::from(hit);

        answered += usize::from(o.answered);
        if first_stderr.is_empty() {
            first_stderr.clone_from(&o.stderr);
        }
        if !o.answered {
            problems.push(format!(
                "{}: no explain answer (JSON with a `matches` array) on stdout; exit {}; \
                 stderr: {}",
                e.file,
                o.exit,
                o.stderr.trim()
            ));
        }
        if !o.asked.is_empty() {
            problems.push(format!(
                "{}: explain without --probe asked the resolver {:?}",
                e.file, o.asked
            ));
        }
        if o.answered {
            let want_exit = match o.recognised {
                Some(true) => Some(0),
                Some(false) => Some(3),
                None => None,
            };
            match want_exit {
                None => problems.push(format!("{}: the answer has no `recognised`", e.file)),
                Some(want) if want != o.exit => problems.push(format!(
                    "{}: recognised={:?} but exit code {} (want {want})",
                    e.file, o.recognised, o.exit
                )),
                Some(_) => {}
            }
            if o.recognised == Some(true) && o.got.is_none() {
                problems.push(format!("{}: recognised but `matches` is empty", e.file));
            }
        }
        rows.push((
            e.file.clone(),
            e.codes.join(", "),
            o.got.unwrap_or_else(|| "-".into()),
            hit,
        ));
    }

    let total = expected.len();
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let exp_width = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    println!("{:width$}  {:exp_width$}  got", "sample", "expected");
    for (file, want, got, hit) in &rows {
        let mark = if *hit { "hit " } else { "MISS" };
        println!("{file:width$}  {want:exp_width$}  {mark} {got}");
    }
    println!(
        "hold-out hit rate: {hits}/{total} = {}% (required: {MIN_HIT_PERCENT}%)",
        hits * 100 / total
    );

    assert!(
        answered > 0,
        "`starttls-check explain - --format json` gave no explain answer (JSON with a \
         `matches` array) for any of the {total} samples; first stderr: {}",
        first_stderr.trim()
    );
    assert!(
        problems.is_empty(),
        "explain misbehaved on the hold-out set:\n{}",
        problems.join("\n")
    );
    assert!(
        hits * 100 >= MIN_HIT_PERCENT * total,
        "hold-out hit rate {hits}/{total} is under {MIN_HIT_PERCENT}% (table above)"
    );
}

/// `expected.txt`, the sample files and the README table agree, and every expected code is a
/// catalogue code (a misspelt code would make its sample a silent miss).
#[test]
fn holdout_expectations_name_every_sample_and_only_catalogue_codes() {
    let expected = expectations();
    let listed: BTreeSet<&str> = expected.iter().map(|e| e.file.as_str()).collect();
    assert_eq!(
        listed.len(),
        expected.len(),
        "expected.txt lists a file twice"
    );

    let on_disk: BTreeSet<String> = std::fs::read_dir(holdout_dir())
        .unwrap()
        .map(|d| d.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt") && n != "expected.txt")
        .collect();
    let on_disk: BTreeSet<&str> = on_disk.iter().map(String::as_str).collect();
    assert_eq!(listed, on_disk, "expected.txt and the sample files differ");

    let readme = std::fs::read_to_string(holdout_dir().join("README.md")).unwrap();
    for file in &listed {
        assert!(
            readme.contains(&format!("`{file}`")),
            "README.md has no row for {file}"
        );
    }

    let unknown: Vec<String> = expected
        .iter()
        .flat_map(|e| e.codes.iter().map(move |c| (e, c)))
        .filter(|(_, c)| Code::from_id(c).is_none())
        .map(|(e, c)| format!("{}: {c}", e.file))
        .collect();
    assert!(
        unknown.is_empty(),
        "expected.txt names codes the catalogue does not have:\n{}",
        unknown.join("\n")
    );
}
