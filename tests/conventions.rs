//! The conventions every shell tool keeps, as a user meets them: `--help` and `-h` with the
//! examples before the options and no line over the terminal's width, shell completions that
//! load in bash (and parse in zsh and fish when those are installed), and manual pages that
//! `man -l` renders without a warning.
//!
//! These tests read the help the binary prints (its subcommands, its examples) rather than a
//! list of their own, so that an option, a format or a subcommand added later is checked
//! too. `man` (man-db) and `bash` are required: a machine without them fails here, loudly;
//! `.ci/run` installs man-db when it is missing. zsh and fish are checked when present.

#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// `--help` (or `-h`) of `sub` (`None`: the probe), with COLUMNS set to `columns` (`None`:
/// unset, so clap's default applies) and no terminal.
fn help(sub: Option<&str>, flag: &str, columns: Option<&str>) -> Run {
    let args: Vec<&str> = sub.into_iter().chain([flag]).collect();
    let mut c = command(&args);
    match columns {
        Some(n) => c.env("COLUMNS", n),
        None => c.env_remove("COLUMNS"),
    };
    let r = run_command(c);
    assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    assert!(r.stderr.is_empty(), "{args:?}: {}", r.stderr);
    r
}

/// The subcommands `--help` lists under "Commands:" (clap's own `help` left out).
fn subcommands() -> Vec<String> {
    let top = help(None, "--help", Some("80")).stdout;
    let list = top
        .split("\nCommands:\n")
        .nth(1)
        .expect("--help lists the commands")
        .split("\n\n")
        .next()
        .unwrap_or_default();
    let names: Vec<String> = list
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(String::from)
        .collect();
    for want in ["explain", "demo", "completions", "man"] {
        assert!(names.iter().any(|n| n == want), "no {want} in {names:?}");
    }
    names
}

/// Every command (`None`: the probe), each with `--help` and `-h`.
fn every_help_page() -> Vec<(Option<String>, &'static str)> {
    std::iter::once(None)
        .chain(subcommands().into_iter().map(Some))
        .flat_map(|sub| [(sub.clone(), "--help"), (sub, "-h")])
        .collect()
}

/// The examples of a help page: (command, what it does), as printed under "Examples:".
fn examples(help: &str) -> Vec<(String, String)> {
    let block = help
        .split("\nExamples:\n")
        .nth(1)
        .expect("an Examples section")
        .split("\n\n")
        .next()
        .unwrap_or_default();
    let mut out: Vec<(String, String)> = Vec::new();
    for line in block.lines() {
        if let Some(command) = line.strip_prefix("  ").filter(|l| !l.starts_with(' ')) {
            out.push((command.to_string(), String::new()));
        } else if let Some(last) = out.last_mut() {
            last.1 = format!("{} {}", last.1, line.trim()).trim().to_string();
        }
    }
    out
}

fn words(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

fn longest(text: &str) -> (usize, String) {
    text.lines()
        .map(|l| (l.chars().count(), l.to_string()))
        .max()
        .unwrap_or_default()
}

#[test]
fn help_shows_usage_then_examples_then_the_options_then_exit_codes() {
    for (sub, flag) in every_help_page() {
        let text = help(sub.as_deref(), flag, Some("80")).stdout;
        let at = |needle: &str| {
            text.find(needle)
                .unwrap_or_else(|| panic!("{sub:?} {flag}: no {needle:?} in\n{text}"))
        };
        let (usage, examples_at, options, exit) = (
            at("Usage: "),
            at("\nExamples:\n"),
            at("\nOptions:\n"),
            at("\nExit codes"),
        );
        assert!(
            usage < examples_at && examples_at < options && options < exit,
            "{sub:?} {flag}: usage {usage}, examples {examples_at}, options {options}, \
             exit codes {exit}\n{text}"
        );
        let examples = examples(&text);
        assert!(!examples.is_empty(), "{sub:?} {flag}: no example");
        for (command, does) in &examples {
            assert!(
                command.contains("starttls-check "),
                "{sub:?} {flag}: an example that does not run the tool: {command}"
            );
            assert!(!does.is_empty(), "{sub:?} {flag}: {command} says nothing");
        }
        // Exit code 0 is always documented.
        assert!(
            text[exit..].contains("\n  0  "),
            "{sub:?} {flag}:\n{}",
            &text[exit..]
        );
    }
}

#[test]
fn help_has_no_line_over_80_columns_at_columns_80_and_nothing_is_cut() {
    for (sub, flag) in every_help_page() {
        let narrow = help(sub.as_deref(), flag, Some("80")).stdout;
        let (n, line) = longest(&narrow);
        assert!(
            n <= 80,
            "{sub:?} {flag} at COLUMNS=80: {n} columns:\n{line}"
        );
        // Without COLUMNS and without a terminal clap assumes 100 columns, our maximum.
        let default = help(sub.as_deref(), flag, None).stdout;
        let (n, line) = longest(&default);
        assert!(n <= 100, "{sub:?} {flag} by default: {n} columns:\n{line}");
        // Wrapping moves only whitespace: the same words in the same order at both widths.
        assert_eq!(
            words(&narrow),
            words(&default),
            "{sub:?} {flag}: the text differs between 80 columns and the default"
        );
        // An example's command is never wrapped at 80 columns: it can be copied as shown.
        for (command, _) in examples(&narrow) {
            assert!(
                !command.ends_with('\\') && command.chars().count() + 2 <= 80,
                "{sub:?} {flag}: {command}"
            );
        }
    }
}

#[test]
fn short_help_is_shorter_and_points_to_long_help() {
    let short = help(None, "-h", Some("80")).stdout;
    let long = help(None, "--help", Some("80")).stdout;
    assert!(short.lines().count() < long.lines().count());
    assert!(short.contains("(see more with '--help')"), "{short}");
    // Both show the same examples.
    assert_eq!(examples(&short), examples(&long));
}

/// On a terminal clap takes the terminal's width, whatever COLUMNS says, up to 100 columns.
#[test]
fn help_on_an_80_column_terminal_fits_it() {
    for (cols, max) in [(80, 80), (132, 100)] {
        let out = write_temp("help.txt", "");
        let mut c = command(&["--help"]);
        c.env("COLUMNS", "200");
        let line = format!(
            "stty cols {cols} rows 50; {} > {}",
            shell_line(&c),
            out.display()
        );
        let status = Command::new("script")
            .args(["-qec", &line, "/dev/null"])
            .stdout(std::process::Stdio::null())
            .status()
            .expect("util-linux script");
        assert!(status.success());
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.contains("Examples:"), "{text}");
        let (n, line) = longest(&text);
        assert!(n <= max, "{cols}-column terminal: {n} columns:\n{line}");
        assert!(
            n > max - 10,
            "{cols}-column terminal: at most {n} columns used"
        );
    }
}

#[test]
fn completions_and_man_take_no_target_and_never_probe() {
    // Nothing on stderr, nothing asked of a resolver: they write text and return.
    for args in [&["completions", "bash"][..], &["man"], &["man", "explain"]] {
        let r = run(args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert!(r.stderr.is_empty(), "{args:?}: {}", r.stderr);
        assert!(r.stdout.len() > 1000, "{args:?}");
    }
    // A refused command line names no target: their words are no targets.
    for args in [
        &["completions", "contoso.com", "--format", "json"][..],
        &["completions", "bash", "contoso.com", "--format", "json"],
        &["man", "contoso.com", "--format", "json"],
        &["man", "--dir", "contoso.com", "--bogus", "--format=json"],
    ] {
        let r = run(args);
        assert_eq!(r.code, 3, "{args:?}");
        let j = r.json();
        assert_eq!(j["target"], "", "{args:?}");
    }
    let r = run(&["completions", "tcsh"]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("possible values"), "{}", r.stderr);
}

// ---------------------------------------------------------------------------------------
// Completions.

fn completion_script(shell: &str) -> PathBuf {
    let r = run(&["completions", shell]);
    assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
    assert!(r.stdout.contains("starttls-check"), "{shell}");
    write_temp(&format!("completion.{shell}"), &r.stdout)
}

/// What bash offers after `words` (the last one being completed, maybe empty), through the
/// function `complete -p starttls-check` names, as bash would call it.
fn bash_offers(script: &Path, words: &[&str]) -> Vec<String> {
    let program = r#"
        set -u
        source "$1"; shift
        spec=$(complete -p starttls-check) || exit 91
        fn=$(sed -n 's/.*-F \([^ ]*\).*/\1/p' <<<"$spec")
        [ -n "$fn" ] || exit 92
        COMP_WORDS=("$@")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE="${COMP_WORDS[*]}"
        COMP_POINT=${#COMP_LINE}
        COMPREPLY=()
        prev=""
        [ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
        "$fn" starttls-check "${COMP_WORDS[COMP_CWORD]}" "$prev"
        printf '%s\n' "${COMPREPLY[@]}"
    "#;
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", program, "bash"])
        .arg(script)
        .args(words)
        .output()
        .expect("bash is required for the completion tests");
    assert!(
        out.status.success(),
        "{words:?}: bash exited {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn bash_completion_loads_and_completes_options_values_and_subcommands() {
    let script = completion_script("bash");
    let has = |offers: &[String], word: &str| offers.iter().any(|o| o == word);
    let offers = bash_offers(&script, &["starttls-check", "--for"]);
    assert!(has(&offers, "--format"), "--for: {offers:?}");
    assert!(!has(&offers, "--timeout"), "--for: {offers:?}");
    let offers = bash_offers(&script, &["starttls-check", "--format", ""]);
    for format in ["human", "json", "jsonl", "markdown"] {
        assert!(has(&offers, format), "--format: {offers:?}");
    }
    let offers = bash_offers(
        &script,
        &["starttls-check", "contoso.com", "--format", "js"],
    );
    assert!(has(&offers, "json") && has(&offers, "jsonl"), "{offers:?}");
    let offers = bash_offers(&script, &["starttls-check", "ex"]);
    assert!(
        has(&offers, "explain") && has(&offers, "exchange-config"),
        "{offers:?}"
    );
    let offers = bash_offers(&script, &["starttls-check", "completions", ""]);
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        assert!(has(&offers, shell), "completions: {offers:?}");
    }
    let offers = bash_offers(&script, &["starttls-check", "explain", "--pro"]);
    assert!(has(&offers, "--probe"), "explain --pro: {offers:?}");
}

/// Runs `shell` with `args` and `script`, when the shell is installed (`None` and a note on
/// stderr when not); fails the test when the shell fails.
fn in_shell(shell: &str, args: &[&str], script: &Path, rest: &[&str]) -> Option<String> {
    let Ok(out) = Command::new(shell)
        .args(args)
        .arg(script)
        .args(rest)
        .output()
    else {
        eprintln!("{shell} not installed: its completion script was not checked");
        return None;
    };
    assert!(
        out.status.success(),
        "{shell} {args:?} {}: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn zsh_completion_parses_and_registers_where_zsh_exists() {
    let script = completion_script("zsh");
    in_shell("zsh", &["-n"], &script, &[]);
    let load = "autoload -U compinit && compinit -u -D && source \"$1\" && \
                print -r -- \"$_comps[starttls-check]\"";
    if let Some(out) = in_shell("zsh", &["-f", "-c", load, "zsh"], &script, &[]) {
        assert_eq!(out.trim(), "_starttls-check");
    }
}

#[test]
fn fish_completion_offers_options_values_and_subcommands_where_fish_exists() {
    let script = completion_script("fish");
    let offers = |line: &str| -> Option<Vec<String>> {
        let program = "source $argv[1]; complete -C $argv[2]";
        let out = in_shell("fish", &["--no-config", "-c", program], &script, &[line])?;
        Some(
            out.lines()
                .map(|l| l.split('\t').next().unwrap_or_default().to_string())
                .collect(),
        )
    };
    let cases: &[(&str, &[&str])] = &[
        ("starttls-check --for", &["--format"]),
        ("starttls-check --format ", &["json", "jsonl", "human"]),
        ("starttls-check contoso.com --for", &["--format"]),
        ("starttls-check ex", &["explain", "exchange-config"]),
        ("starttls-check explain --pro", &["--probe"]),
        ("starttls-check completions ", &["bash", "zsh", "fish"]),
        ("starttls-check man ", &["explain", "demo"]),
    ];
    for (line, want) in cases {
        let Some(got) = offers(line) else { return };
        for w in *want {
            assert!(got.iter().any(|g| g == w), "{line:?}: no {w} in {got:?}");
        }
    }
}

#[test]
fn powershell_and_elvish_scripts_name_the_options() {
    for shell in ["powershell", "elvish"] {
        let script = std::fs::read_to_string(completion_script(shell)).unwrap();
        assert!(script.contains("--format"), "{shell}");
    }
}

// ---------------------------------------------------------------------------------------
// Manual pages.

/// `man -l FILE` rendered at 80 columns in `locale`, with groff's warnings on; fails the test
/// when man is missing.
fn man_renders(page: &Path, locale: &str) -> String {
    let out = Command::new("man")
        .args(["--warnings", "-l"])
        .arg(page)
        .env("MANWIDTH", "80")
        .env("LC_ALL", locale)
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env_remove("MANROFFOPT")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run man ({e}): install man-db (apt-get install man-db; .ci/run does) \
                 to check the manual pages"
            )
        });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "man -l {} ({locale}) exited {:?}: {stderr}",
        page.display(),
        out.status.code()
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `man --dir` writes starttls-check.1 and one page per subcommand, and names them.
fn man_pages() -> Vec<(Option<String>, PathBuf)> {
    let dir = write_temp("placeholder", "").parent().unwrap().join("man1");
    std::fs::create_dir_all(&dir).unwrap();
    let r = run(&["man", "--dir", dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let listed: Vec<PathBuf> = r.stdout.lines().map(PathBuf::from).collect();
    let expected: Vec<(Option<String>, PathBuf)> = std::iter::once(None)
        .chain(subcommands().into_iter().map(Some))
        .map(|sub| {
            let name = match &sub {
                Some(s) => format!("starttls-check-{s}.1"),
                None => "starttls-check.1".to_string(),
            };
            (sub, dir.join(name))
        })
        .collect();
    for (_, path) in &expected {
        assert!(
            listed.contains(path),
            "{} not in {listed:?}",
            path.display()
        );
        assert!(path.is_file(), "{}", path.display());
    }
    assert_eq!(listed.len(), expected.len(), "{listed:?}");
    expected
}

#[test]
fn every_man_page_renders_without_warnings_with_the_examples_and_exit_codes() {
    for (sub, page) in man_pages() {
        let roff = std::fs::read_to_string(&page).unwrap();
        assert!(roff.is_ascii(), "{}: not ASCII", page.display());
        // The C locale too: groff's ASCII device lacks glyphs the UTF-8 one has.
        man_renders(&page, "C");
        let text = man_renders(&page, "C.UTF-8");
        let (n, line) = longest(&text);
        assert!(
            n <= 80,
            "{}: {n} columns at MANWIDTH=80:\n{line}",
            page.display()
        );
        for section in [
            "NAME",
            "SYNOPSIS",
            "OPTIONS",
            "EXIT STATUS",
            "EXAMPLES",
            "SEE ALSO",
        ] {
            assert!(
                text.contains(&format!("\n{section}\n")),
                "{}: no {section}:\n{text}",
                page.display()
            );
        }
        let flat = words(&text).join(" ");
        // The examples and exit codes of the page are the ones --help shows.
        let help = help(sub.as_deref(), "--help", Some("80")).stdout;
        for (command, does) in examples(&help) {
            let shown = format!("{} {}", words(&command).join(" "), words(&does).join(" "));
            assert!(
                flat.contains(&shown),
                "{}: lacks {shown:?}\n{text}",
                page.display()
            );
        }
        let exit = &text[text.find("\nEXIT STATUS\n").unwrap()..];
        assert!(exit.contains("\n       0 "), "{}: {exit}", page.display());
        assert!(exit.contains("\n       3 "), "{}: {exit}", page.display());
    }
}

#[test]
fn the_main_man_page_lists_the_subcommands_and_the_exit_code_contract() {
    let r = run(&["man"]);
    assert_eq!(r.code, 0);
    let page = write_temp("starttls-check.1", &r.stdout);
    let text = man_renders(&page, "C.UTF-8");
    let subcommands = &text[text.find("\nSUBCOMMANDS\n").expect("SUBCOMMANDS")..];
    for sub in self::subcommands() {
        assert!(
            subcommands.contains(&format!("starttls-check-{sub}(1)")),
            "{sub}"
        );
    }
    let exit = &text[text.find("\nEXIT STATUS\n").unwrap()..];
    for (code, word) in [(0, "pass"), (1, "warn"), (2, "fail"), (3, "unknown")] {
        assert!(
            exit.contains(&format!("{code}      {word}:")),
            "{code}: {exit}"
        );
    }
    // Every option --help shows is on the page.
    let help = help(None, "--help", Some("80")).stdout;
    for option in help.split_whitespace().filter(|w| w.starts_with("--")) {
        let option = option.trim_end_matches([',', '.', ';', ')', ']']);
        let option = option.split(['=', '[', '<']).next().unwrap();
        assert!(text.contains(option), "{option} not on the page");
    }
}

// ---------------------------------------------------------------------------------------
// The README.

/// cargo-deb makes the package's one-line Description (Debian's synopsis) from the crate's
/// description, and splits it after 79 characters: a longer one spills into the long text.
#[test]
fn the_package_synopsis_fits_one_line() {
    let synopsis = env!("CARGO_PKG_DESCRIPTION");
    assert!(synopsis.chars().count() <= 79, "{synopsis}");
}

#[test]
fn readme_documents_install_completions_man_and_the_debian_package() {
    let readme = include_str!("../README.md");
    for needle in [
        "cargo install --locked --path .",
        "not on crates.io",
        "### Shell completions",
        "starttls-check completions bash",
        "### Man page",
        "starttls-check man | man -l -",
        "### Debian package",
        "scripts/build-deb.sh",
        "/usr/share/bash-completion/completions/starttls-check",
    ] {
        assert!(readme.contains(needle), "README lacks {needle}");
    }
}
