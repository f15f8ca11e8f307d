//! The documentation generated from the finding catalogue: the README's code table and
//! `docs/findings.md`. Without `STARTTLS_CHECK_BLESS=1` the test compares and fails on any
//! drift (text, not only the presence of a code); with it, it rewrites both files.

#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::path::Path;

use starttls_check::catalogue::{CATALOGUE, Entry};

const BEGIN: &str = "<!-- BEGIN findings table: generated from the catalogue by `STARTTLS_CHECK_BLESS=1 cargo test --test docs` -->\n";
const END: &str = "<!-- END findings table -->\n";

/// Entries in the order reports list them among findings of one severity.
fn ranked() -> Vec<&'static Entry> {
    let mut v: Vec<&Entry> = CATALOGUE.iter().collect();
    v.sort_by_key(|e| e.rank);
    v
}

fn severity(e: &Entry) -> String {
    let s = format!("{:?}", e.severity).to_lowercase();
    if e.inconclusive {
        format!("{s} (verdict unknown)")
    } else {
        s
    }
}

fn readme_table() -> String {
    let mut t = String::from("| code | severity | meaning |\n|---|---|---|\n");
    for e in ranked() {
        let _ = writeln!(t, "| `{}` | {} | {} |", e.id, severity(e), e.meaning);
    }
    t
}

fn findings_page() -> String {
    let mut p = String::from(
        "# Findings\n\n\
         <!-- Generated from src/diagnose/catalogue.rs by `STARTTLS_CHECK_BLESS=1 cargo test --test docs`; edit the catalogue, not this page. -->\n\n\
         Every finding `starttls-check` reports has one of these stable codes (never renamed). \
         They are listed in rank order: among findings of one severity, a report lists a cause \
         before the symptoms it explains. A code marked *verdict unknown* says nothing about TLS, \
         so without a failure elsewhere it makes the verdict `unknown` (exit code 3).\n\n",
    );
    for e in ranked() {
        let _ = writeln!(p, "- [`{}`](#{}) — {}", e.id, e.id, e.meaning);
    }
    for e in ranked() {
        let _ = write!(
            p,
            "\n## {}\n\n**Severity:** {} · **Rank:** {}\n\n{}\n",
            e.id,
            severity(e),
            e.rank,
            e.meaning
        );
        if !e.explanation.is_empty() {
            let _ = write!(p, "\n{}\n", e.explanation);
        }
        if !e.sender_strings.is_empty() {
            p.push_str("\n**What senders and logs show:**\n\n");
            for s in e.sender_strings {
                let _ = writeln!(p, "- `{s}`");
            }
        }
        if !e.references.is_empty() {
            p.push_str("\n**References:**\n\n");
            for r in e.references {
                let _ = writeln!(p, "- {r}");
            }
        }
    }
    p
}

/// Compares `path` with `expected`, or rewrites it under STARTTLS_CHECK_BLESS=1.
fn check_or_bless(path: &Path, expected: &str) {
    let bless = std::env::var_os("STARTTLS_CHECK_BLESS").is_some_and(|v| v != "0");
    let actual = std::fs::read_to_string(path).unwrap_or_default();
    if bless {
        if actual != expected {
            std::fs::write(path, expected).unwrap();
        }
        return;
    }
    assert!(
        actual == expected,
        "{} is out of date with the finding catalogue: run `STARTTLS_CHECK_BLESS=1 cargo test --test docs` and commit the result",
        path.display()
    );
}

#[test]
fn docs_findings_page_matches_the_catalogue() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    check_or_bless(&root.join("docs/findings.md"), &findings_page());
}

#[test]
fn readme_code_table_matches_the_catalogue() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme.find(BEGIN).expect("README lacks the BEGIN marker") + BEGIN.len();
    let end = readme.find(END).expect("README lacks the END marker");
    let expected = format!("{}{}{}", &readme[..start], readme_table(), &readme[end..]);
    check_or_bless(&path, &expected);
}

#[test]
fn readme_keeps_the_two_commands_and_the_exit_codes() {
    let readme = include_str!("../README.md");
    for line in [
        "| 0 | pass |",
        "| 1 | warn |",
        "| 2 | fail |",
        "| 3 | unknown |",
    ] {
        assert!(readme.contains(line), "README lacks {line}");
    }
    assert!(readme.contains("cargo run -- demo") && readme.contains("cargo test"));
}
