//! `starttls-check man [COMMAND]` and `starttls-check man --dir DIR`: the manual pages, made by
//! clap_mangen from the same definitions as `--help` (so an option cannot be missing from
//! them), with the sections it does not make: EXIT STATUS, ENVIRONMENT, EXAMPLES and SEE ALSO
//! (man-pages(7) order). starttls-check(1) is the probe; each subcommand has its own page,
//! starttls-check-explain(1) and so on, as Debian wants them. Writes text only: no probe, no
//! lookup.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use clap::CommandFactory;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};

use super::completions::BIN;
use crate::cli::{self, Cli, Example};
use crate::exit;

/// The variables the binary reads, and what for (starttls-check(1) only).
const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "NO_COLOR",
        "Set (and neither empty nor 0): no colour with --color auto.",
    ),
    (
        "CLICOLOR_FORCE, FORCE_COLOR",
        "Set (and neither empty nor 0): colour with --color auto, also into a pipe or a file.",
    ),
    ("TERM", "dumb: no colour with --color auto."),
    (
        "SSL_CERT_FILE, SSL_CERT_DIR",
        "The system's trusted roots are read from these, and nothing else (see --ca-file).",
    ),
    (
        "COLUMNS",
        "The width of --help when no terminal is attached (at most 100 columns).",
    ),
];

/// Writes the page of `page` (a subcommand; `None`: starttls-check(1)) to `out`, or, with
/// `dir`, every page into `dir` and their paths to `out`.
pub(crate) fn run(
    page: Option<&str>,
    dir: Option<&Path>,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let pages = pages()?;
    match dir {
        Some(dir) => {
            for (name, roff) in &pages {
                let path = dir.join(name);
                std::fs::write(&path, roff)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                writeln!(out, "{}", path.display())?;
            }
        }
        None => {
            let name = file_name(page);
            let (_, roff) = pages
                .iter()
                .find(|(n, _)| *n == name)
                .with_context(|| format!("no manual page {name}"))?;
            out.write_all(roff)?;
        }
    }
    out.flush()?;
    Ok(exit::PASS)
}

/// `starttls-check.1`, `starttls-check-explain.1`…
fn file_name(page: Option<&str>) -> String {
    match page {
        Some(sub) => format!("{BIN}-{sub}.1"),
        None => format!("{BIN}.1"),
    }
}

/// Every page as (file name, roff): starttls-check.1 first, then one per subcommand.
fn pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    // No page for clap's `help` subcommand: `--help` is on every page.
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = vec![(file_name(None), render(&cmd, None)?)];
    for sub in cmd.get_subcommands() {
        pages.push((
            file_name(Some(sub.get_name())),
            render(sub, Some(sub.get_name()))?,
        ));
    }
    Ok(pages)
}

/// One page: clap_mangen's sections, then ours. Each of clap_mangen's section writers starts
/// with roff's apostrophe preamble; the page keeps it once, at the top.
fn render(cmd: &clap::Command, sub: Option<&str>) -> std::io::Result<Vec<u8>> {
    let name = cmd.get_display_name().unwrap_or(cmd.get_name());
    let version = format!("{BIN} {}", env!("CARGO_PKG_VERSION"));
    // A subcommand has no version of its own: every page carries the binary's.
    let man = Man::new(cmd.clone())
        .title(name.to_uppercase())
        .source(version.as_str());
    let guide = cli::guide(sub);
    let preamble = Roff::new().render();
    let mut page = preamble.clone().into_bytes();
    let mut add = |section: &dyn Fn(&mut dyn Write) -> std::io::Result<()>| {
        let mut bytes = Vec::new();
        section(&mut bytes)?;
        page.extend_from_slice(bytes.strip_prefix(preamble.as_bytes()).unwrap_or(&bytes));
        std::io::Result::Ok(())
    };
    add(&|w| man.render_title(w))?;
    // No hyphenation, ragged right: an option name split at a hyphen (`--expect-re‐quired`)
    // cannot be copied, and justified lines stretch a command's spaces.
    add(&|w| {
        Roff::new()
            .control("nh", [])
            .control("ad", ["l"])
            .to_writer(w)
    })?;
    add(&|w| man.render_name_section(w))?;
    add(&|w| synopsis(cmd).to_writer(w))?;
    add(&|w| man.render_description_section(w))?;
    add(&|w| man.render_options_section(w))?;
    if cmd.has_subcommands() {
        add(&|w| man.render_subcommands_section(w))?;
    }
    add(&|w| exit_status(guide.exit_codes).to_writer(w))?;
    if sub.is_none() {
        add(&|w| environment().to_writer(w))?;
    }
    add(&|w| examples(guide.examples).to_writer(w))?;
    add(&|w| see_also(sub).to_writer(w))?;
    add(&|w| {
        let mut r = Roff::new();
        r.control("SH", ["VERSION"]).text([roman(version.as_str())]);
        r.to_writer(w)
    })?;
    Ok(ascii(&String::from_utf8_lossy(&page)).into_bytes())
}

/// SYNOPSIS as `--help` writes the usage (clap_mangen's lists every flag without its value).
fn synopsis(cmd: &clap::Command) -> Roff {
    let usage = cmd.clone().render_usage().to_string();
    let mut r = Roff::new();
    r.control("SH", ["SYNOPSIS"]);
    let lines = usage
        .lines()
        .map(|l| l.trim().trim_start_matches("Usage:").trim());
    for (i, line) in lines.filter(|l| !l.is_empty()).enumerate() {
        if i > 0 {
            r.control("br", []);
        }
        // `starttls-check explain [OPTIONS] [TEXT]...`: the command in bold.
        let (command, args) = match cmd.get_bin_name() {
            Some(bin) if line.starts_with(bin) => line.split_at(bin.len()),
            _ => line.split_at(line.find(' ').unwrap_or(line.len())),
        };
        r.text([bold(command), roman(args)]);
    }
    r
}

/// The page in ASCII: every other character as groff's `\[uXXXX]` escape (what man-db's
/// preconv does on the fly), so that groff without preconv, mandoc and lintian read it too;
/// `…` as `...`.
fn ascii(roff: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(roff.len());
    for c in roff.chars() {
        if c == '…' {
            // groff's ASCII device (man in the C locale) has no glyph for it.
            out.push_str("...");
        } else if c.is_ascii() {
            out.push(c);
        } else {
            let _ = write!(out, "\\[u{:04X}]", u32::from(c));
        }
    }
    out
}

/// EXIT STATUS from the exit-code text `--help` shows: a heading line (its parenthesis, if
/// any, becomes the first sentence), then `  N  word  meaning` rows, then notes.
fn exit_status(text: &str) -> Roff {
    let mut r = Roff::new();
    r.control("SH", ["EXIT STATUS"]);
    let mut lines = text.lines();
    let heading = lines.next().unwrap_or_default();
    if let Some((_, rest)) = heading.split_once('(')
        && let Some((note, _)) = rest.split_once(')')
    {
        r.text([roman(format!("{note}."))]);
    }
    for line in lines.map(str::trim).filter(|l| !l.is_empty()) {
        match line.split_once("  ") {
            Some((code, meaning)) if code.parse::<u8>().is_ok() => {
                let meaning = meaning
                    .split("  ")
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join(": ");
                r.control("TP", [])
                    .text([bold(code)])
                    .text([roman(meaning)]);
            }
            _ => {
                r.control("PP", []).text([roman(line)]);
            }
        }
    }
    r
}

fn environment() -> Roff {
    let mut r = Roff::new();
    r.control("SH", ["ENVIRONMENT"]);
    for (name, what) in ENVIRONMENT {
        r.control("TP", []).text([bold(*name)]).text([roman(*what)]);
    }
    r
}

/// EXAMPLES: the command in bold, what it does below it, as in `--help`.
fn examples(examples: &[Example]) -> Roff {
    let mut r = Roff::new();
    r.control("SH", ["EXAMPLES"]);
    for e in examples {
        r.control("TP", [])
            .text([bold(e.line)])
            .text([roman(e.does)]);
    }
    r
}

/// SEE ALSO: the other pages of this manual.
fn see_also(sub: Option<&str>) -> Roff {
    let names: Vec<String> = match sub {
        Some(_) => vec![BIN.to_string()],
        None => cli::SUBCOMMANDS
            .iter()
            .map(|s| format!("{BIN}-{s}"))
            .collect(),
    };
    let mut line = Vec::new();
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            line.push(roman(", "));
        }
        line.push(bold(name.as_str()));
        line.push(roman("(1)"));
    }
    let mut r = Roff::new();
    r.control("SH", ["SEE ALSO"]).text(line);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(sub: Option<&str>) -> String {
        let mut out = Vec::new();
        assert_eq!(run(sub, None, &mut out).ok(), Some(exit::PASS));
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn the_main_page_has_the_sections_a_reader_looks_for() {
        let roff = page(None);
        assert!(roff.starts_with(&Roff::new().render()), "preamble first");
        assert_eq!(roff.matches(".el .ds Aq").count(), 1, "the preamble once");
        for section in [
            "NAME",
            "SYNOPSIS",
            "DESCRIPTION",
            "OPTIONS",
            "SUBCOMMANDS",
            "\"EXIT STATUS\"",
            "ENVIRONMENT",
            "EXAMPLES",
            "\"SEE ALSO\"",
            "VERSION",
        ] {
            assert!(roff.contains(&format!("\n.SH {section}\n")), "{section}");
        }
        // Every exit code of the contract, each a tagged paragraph.
        for code in [exit::PASS, exit::WARN, exit::FAIL, exit::UNKNOWN] {
            assert!(roff.contains(&format!(".TP\n\\fB{code}\\fR\n")), "{code}");
        }
        assert!(
            !roff.contains("starttls\\-check\\-help"),
            "no page for `help`"
        );
    }

    #[test]
    fn every_subcommand_has_its_page() {
        for sub in cli::SUBCOMMANDS {
            let roff = page(Some(sub));
            let title = format!(".TH STARTTLS-CHECK-{} 1 ", sub.to_uppercase());
            assert!(roff.contains(&title), "{sub}: {title}");
            assert!(roff.contains("\n.SH EXAMPLES\n"), "{sub}");
            assert!(roff.contains("\n.SH \"EXIT STATUS\"\n"), "{sub}");
        }
    }

    #[test]
    fn exit_status_reads_the_help_table() {
        let roff = exit_status(exit::HELP_TABLE).to_roff();
        assert!(
            roff.starts_with(".SH \"EXIT STATUS\"\nNagios\\-compatible.\n"),
            "{roff}"
        );
        assert!(roff.contains(".TP\n\\fB3\\fR\nunknown: "), "{roff}");
        assert_eq!(ascii("a → b…"), "a \\[u2192] b...");
        let roff = exit_status("Exit codes:\n  0  fine\n  With --probe, its verdict.").to_roff();
        assert!(
            roff.ends_with(".TP\n\\fB0\\fR\nfine\n.PP\nWith \\-\\-probe, its verdict.\n"),
            "{roff}"
        );
    }
}
