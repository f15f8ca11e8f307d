//! `explain`'s answers in every format: a finding code's long text, a word that is no code,
//! and the explanation of pasted text, with the findings of the probe that confirms it
//! (`--probe`) and the line that joins the two. Pure functions returning text, like the
//! report's renderers.
//!
//! Pasted text is hostile until shown otherwise: every string that comes from it (through the
//! explain engine) is made visible again here, whatever the engine did, so no control
//! character, ANSI escape or bidi override reaches a terminal, a ticket or a JSON consumer
//! that prints what it reads.

use std::fmt::Write as _;

use owo_colors::{OwoColorize, Style};
use serde_json::Value;

use super::{Format, RenderOptions, Report, Run, Tool, Verdict, markdown, runs};
use crate::diagnose::{self, Code, Finding, Severity, Step};
use crate::explain::{Explanation, Extracted, Match, Side};

/// What `--probe` did.
#[derive(Debug, Clone, Copy)]
pub enum Probed<'a> {
    /// No `--probe`.
    NotAsked,
    /// `--probe`, but the text names no host or address to probe.
    NothingToProbe,
    /// The probe ran: the command line it ran as, and its report.
    Ran {
        /// The probe's command line, quoted for a POSIX shell.
        command: &'a str,
        /// Its report.
        report: &'a Report,
    },
}

/// Controls and invisible format characters as `\xNN`, everything else as it is (a
/// backslash too, so text the engine already escaped is not escaped twice).
pub fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if crate::text::is_hidden(c) {
            for b in c.to_string().bytes() {
                let _ = write!(out, "\\x{b:02x}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` made visible and cut to about `max` characters (with `…`), for a line that quotes it.
fn quote(text: &str, max: usize) -> String {
    let v = visible(text);
    match v.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &v[..at]),
        None => v,
    }
}

pub(super) fn tool() -> Tool {
    Tool {
        name: env!("CARGO_PKG_NAME").into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }
}

/// Who is at fault, in words.
pub fn side_label(side: Side) -> &'static str {
    match side {
        Side::Sender => "the sending server (its connector, certificate or TLS settings)",
        Side::Receiver => "the receiving server",
        Side::Path => "the path between them (a firewall, an appliance, NAT, a port block)",
        Side::Dns => "DNS (MX, A/AAAA, TLSA, DNSSEC)",
        Side::Reputation => "the sender's reputation (a blocklist, a ban)",
        Side::Unknown => "cannot tell from the text",
    }
}

/// The severity label of a code, as the catalogue gives it.
fn severity_of(code: Code) -> String {
    let label = code.default_severity().label();
    if code.inconclusive() {
        format!("{label} (verdict unknown)")
    } else {
        label.to_string()
    }
}

/// Every string in `v` made visible (the engine's extract, whatever fields it grows).
pub(super) fn visible_value(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(visible(&s)),
        Value::Array(a) => Value::Array(a.into_iter().map(visible_value).collect()),
        Value::Object(o) => {
            Value::Object(o.into_iter().map(|(k, v)| (k, visible_value(v))).collect())
        }
        v => v,
    }
}

/// The extract as `(label, value)` rows: the fields the engine has today in reading order,
/// then any it grew since (alphabetically); empty fields left out (`truncated` is said apart).
fn extracted_rows(e: &Explanation) -> Vec<(String, String)> {
    const ORDER: [&str; 8] = [
        "reply_codes",
        "enhanced_codes",
        "message",
        "remote_reply",
        "hosts",
        "addresses",
        "port",
        "connectors",
    ];
    let Ok(Value::Object(fields)) = serde_json::to_value(&e.extracted).map(visible_value) else {
        return Vec::new();
    };
    let one = |v: &Value| match v {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    let known = ORDER.iter().filter_map(|k| fields.get_key_value(*k));
    let extra = fields.iter().filter(|(k, _)| {
        !ORDER.contains(&k.as_str()) && !["truncated", "capped"].contains(&k.as_str())
    });
    known
        .chain(extra)
        .filter_map(|(k, v)| {
            let text = match v {
                Value::Null | Value::Bool(false) => return None,
                Value::Array(a) if a.is_empty() => return None,
                Value::Array(a) => a.iter().map(one).collect::<Vec<_>>().join(", "),
                v => one(v),
            };
            Some((k.replace('_', " "), text))
        })
        .collect()
}

/// The fix steps with every text made visible.
fn visible_steps(m: &Match) -> Vec<Step> {
    visible_step_list(&m.fix.steps)
}

/// `steps` with every text made visible.
pub(super) fn visible_step_list(steps: &[Step]) -> Vec<Step> {
    steps
        .iter()
        .map(|s| match s {
            Step::Prose { text } => Step::Prose {
                text: visible(text),
            },
            Step::Command { shell, text } => Step::Command {
                shell: *shell,
                text: visible(text),
            },
        })
        .collect()
}

/// The lines that join the text's answer to what the probe saw: for each match, whether the
/// probe sees the same code, a known cause of it, a symptom it causes, or none of them.
pub fn joins(e: &Explanation, findings: &[Finding]) -> Vec<String> {
    let problems: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity > Severity::Info || f.code.inconclusive())
        .collect();
    let mut out = Vec::new();
    for m in &e.matches {
        let says = format!("the text says {} ({})", m.code, quote(&m.matched, 100));
        let same = problems.iter().find(|f| f.code == m.code);
        let cause = problems
            .iter()
            .find(|f| diagnose::known_causes(m.code).any(|c| c == f.code));
        let symptom = problems
            .iter()
            .find(|f| diagnose::known_causes(f.code).any(|c| c == m.code));
        let line = match (cause, same, symptom) {
            (Some(c), _, _) => format!(
                "{says}; the probe sees {} at {}: that is the cause",
                c.code, c.endpoint
            ),
            (None, Some(f), _) => format!(
                "{says}; the probe sees {} at {} too: confirmed",
                f.code, f.endpoint
            ),
            (None, None, Some(f)) => format!(
                "{says}; the probe sees {} at {}, which {} causes: consistent",
                f.code, f.endpoint, m.code
            ),
            (None, None, None) if problems.is_empty() => format!(
                "{says}; the probe sees no problem now: fixed since, on another node or \
                 address than the one probed, or on the sending side"
            ),
            (None, None, None) => format!(
                "{says}; the probe does not see it, but sees {}: see its findings",
                problems
                    .iter()
                    .map(|f| f.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        out.push(line);
    }
    out
}

/// The note for `--probe` when the text names nothing to probe.
/// What to do when the text names no host: the probe command needs one.
const NO_HOST: &str = "the text names no receiving host or address: paste the whole NDR or queue error (its LastAttemptedServerName, \
     LastAttemptedIP or `host … said:` line names it), or run `starttls-check HOST` for the receiving host yourself";

const NOTHING_TO_PROBE: &str =
    "--probe: the text names no host or address, so there is nothing to probe";

/// The note for `--probe` with a finding code: a code names no host.
const CODE_NOT_PROBED: &str =
    "--probe: a finding code names no host or address, so there is nothing to probe";

// ---------------------------------------------------------------------------------------
// A finding code's long text.

/// `explain CODE`: the code's long text, like `rustc --explain`; `probe_asked` adds the note
/// that there is nothing to probe.
pub fn render_code(code: Code, format: Format, probe_asked: bool) -> String {
    let e = code.entry();
    match format {
        Format::Json | Format::Jsonl | Format::Html | Format::Nagios | Format::Prometheus => {
            shaped(
                format,
                &CodeDoc {
                    schema_version: 1,
                    tool: tool(),
                    kind: "code",
                    code: Some(CodeDto {
                        code,
                        severity: e.severity,
                        inconclusive: e.inconclusive,
                        meaning: e.meaning,
                        explanation: e.explanation,
                        sender_strings: e.sender_strings,
                        references: e.references,
                    }),
                    asked: None,
                    near_matches: None,
                    findings: probe_asked.then_some(&[]),
                    probe_note: probe_asked.then_some(CODE_NOT_PROBED),
                },
            )
        }
        Format::Human => {
            let mut out = format!("{}  {}\n{}\n", e.id, severity_of(code), e.meaning);
            if !e.explanation.is_empty() {
                let _ = writeln!(out, "\n{}", e.explanation);
            }
            list(&mut out, "What senders and logs show", e.sender_strings);
            list(&mut out, "References", e.references);
            if e.id.starts_with("exchange-") {
                let _ = writeln!(
                    out,
                    "\nFound in pasted Exchange configuration, with the fix built from its values: \
                     starttls-check exchange-config <files>"
                );
            } else {
                let _ = writeln!(
                    out,
                    "\nA probe that finds it shows the fix written for the server it sees: \
                     starttls-check <domain or [host]>"
                );
            }
            if probe_asked {
                let _ = writeln!(out, "\n{CODE_NOT_PROBED}");
            }
            out
        }
        Format::Markdown => {
            let mut out = format!(
                "### `{}` — {}\n\n{}\n",
                e.id,
                severity_of(code),
                markdown::cell(e.meaning)
            );
            if !e.explanation.is_empty() {
                let _ = writeln!(out, "\n{}", e.explanation);
            }
            for (title, items) in [
                ("What senders and logs show", e.sender_strings),
                ("References", e.references),
            ] {
                if !items.is_empty() {
                    let _ = writeln!(out, "\n**{title}:**\n");
                    for s in items {
                        let _ = writeln!(out, "- {}", markdown::code(s));
                    }
                }
            }
            if probe_asked {
                let _ = writeln!(out, "\n{}", markdown::cell(CODE_NOT_PROBED));
            }
            out
        }
    }
}

fn list(out: &mut String, title: &str, items: &[&str]) {
    if !items.is_empty() {
        let _ = writeln!(out, "\n{title}");
        for s in items {
            let _ = writeln!(out, "  {s}");
        }
    }
}

/// The document of `explain CODE` (and of a word that is no code).
#[derive(serde::Serialize)]
struct CodeDoc {
    schema_version: u32,
    tool: Tool,
    kind: &'static str,
    /// The code's long text; `null` when the word is no code.
    code: Option<CodeDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    asked: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    near_matches: Option<Vec<Code>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    findings: Option<&'static [Finding]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    probe_note: Option<&'static str>,
}

/// A catalogue entry.
#[derive(serde::Serialize)]
struct CodeDto {
    code: Code,
    severity: Severity,
    inconclusive: bool,
    meaning: &'static str,
    explanation: &'static str,
    sender_strings: &'static [&'static str],
    references: &'static [&'static str],
}

fn shaped(format: Format, doc: &impl serde::Serialize) -> String {
    super::json::shaped(format, pretty(doc))
}

fn pretty(doc: &impl serde::Serialize) -> String {
    let mut s = super::json::to_text(doc, true).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

/// A single word that is no code: say so and list the codes it is close to.
pub fn render_not_a_code(word: &str, near: &[Code], format: Format) -> String {
    let word = quote(word, 80);
    match format {
        Format::Json | Format::Jsonl | Format::Html | Format::Nagios | Format::Prometheus => {
            shaped(
                format,
                &CodeDoc {
                    schema_version: 1,
                    tool: tool(),
                    kind: "code",
                    code: None,
                    asked: Some(word.clone()),
                    near_matches: Some(near.to_vec()),
                    findings: None,
                    probe_note: None,
                },
            )
        }
        Format::Human => {
            let mut out = format!("'{word}' is not a finding code. Did you mean:\n");
            for c in near {
                let _ = writeln!(out, "  {c:<28} {}", c.entry().meaning);
            }
            let _ = writeln!(
                out,
                "\nstarttls-check explain CODE prints a code's long text; quote pasted text as one argument."
            );
            out
        }
        Format::Markdown => {
            let mut out = format!(
                "{} is not a finding code. Did you mean:\n\n",
                markdown::code(&word)
            );
            for c in near {
                let _ = writeln!(out, "- `{c}` — {}", markdown::cell(c.entry().meaning));
            }
            out
        }
    }
}

// ---------------------------------------------------------------------------------------
// The explanation of pasted text.

/// One match in the JSON document.
#[derive(serde::Serialize)]
struct MatchDto {
    code: Code,
    severity: Severity,
    side: Side,
    matched: String,
    meaning: String,
    causes: Vec<String>,
    fix: String,
    steps: Vec<Step>,
}

/// The answer's first line: what was recognised.
fn headline(e: &Explanation) -> String {
    match e.matches.as_slice() {
        [] => "NOT RECOGNISED: no known mail-flow error in this text".to_string(),
        [m] => format!("RECOGNISED {}: {}", m.code, visible(&m.meaning)),
        [m, rest @ ..] => format!(
            "RECOGNISED {}: {} (+{} more)",
            m.code,
            visible(&m.meaning),
            rest.len()
        ),
    }
}

const TRUNCATED: &str = "the text was longer than the most explain reads, and was cut there";

/// What the answer says when a list of the extract was capped (`None` when none was).
fn capped_note(e: &Explanation) -> Option<String> {
    let lists = &e.extracted.capped;
    (!lists.is_empty()).then(|| {
        format!(
            "the text names more than {} of: {}; the first {} of each are kept",
            crate::explain::extract::MAX_ITEMS,
            lists.join(", "),
            crate::explain::extract::MAX_ITEMS
        )
    })
}

/// Renders the explanation of pasted text, and with `--probe` the probe's findings and the
/// lines that join them.
pub fn render(e: &Explanation, probed: Probed<'_>, format: Format, opts: RenderOptions) -> String {
    match format {
        Format::Json | Format::Jsonl | Format::Html | Format::Nagios | Format::Prometheus => {
            super::json::shaped(format, render_json(e, probed))
        }
        Format::Human => render_human(e, probed, opts),
        Format::Markdown => render_markdown(e, probed),
    }
}

fn render_json(e: &Explanation, probed: Probed<'_>) -> String {
    let matches: Vec<MatchDto> = e
        .matches
        .iter()
        .map(|m| {
            let steps = visible_steps(m);
            let fix = crate::diagnose::Fix {
                key: m.fix.key.clone(),
                steps: steps.clone(),
            };
            MatchDto {
                code: m.code,
                severity: m.code.default_severity(),
                side: m.side,
                matched: visible(&m.matched),
                meaning: visible(&m.meaning),
                causes: m.causes.iter().map(|c| visible(c)).collect(),
                fix: fix.text(),
                steps,
            }
        })
        .collect();
    let probe = e.probe.as_ref().map(|p| ProbeDto {
        target: visible(&p.target),
        args: p.args.iter().map(|a| visible(a)).collect(),
        command: visible(&p.command),
    });
    let mut doc = ExplainDoc {
        schema_version: 1,
        tool: tool(),
        kind: "explain",
        recognised: !e.matches.is_empty(),
        headline: headline(e),
        extracted: visible_extracted(&e.extracted),
        matches,
        probe,
        verdict: None,
        probe_command: None,
        probe_headline: None,
        probe_note: None,
        findings: None,
        joined: None,
    };
    match probed {
        Probed::NotAsked => {
            if e.probe.is_none() && !e.matches.is_empty() {
                doc.probe_note = Some(NO_HOST);
            }
        }
        Probed::NothingToProbe => {
            doc.verdict = Some(Verdict::Unknown);
            doc.findings = Some(&[]);
            doc.probe_note = Some(NOTHING_TO_PROBE);
        }
        Probed::Ran { command, report } => {
            doc.verdict = Some(report.verdict);
            doc.probe_command = Some(visible(command));
            doc.probe_headline = Some(report.headline.clone());
            doc.findings = Some(&report.findings);
            doc.joined = Some(joins(e, &report.findings));
        }
    }
    pretty(&doc)
}

/// The document of an explanation: `findings` and the fields after `probe` only with
/// `--probe`.
#[derive(serde::Serialize)]
struct ExplainDoc<'a> {
    schema_version: u32,
    tool: Tool,
    kind: &'static str,
    recognised: bool,
    headline: String,
    extracted: Extracted,
    matches: Vec<MatchDto>,
    probe: Option<ProbeDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verdict: Option<Verdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    probe_command: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    probe_headline: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    probe_note: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    findings: Option<&'a [Finding]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    joined: Option<Vec<String>>,
}

/// The suggested probe.
#[derive(serde::Serialize)]
struct ProbeDto {
    target: String,
    args: Vec<String>,
    command: String,
}

/// The extract with its strings made visible (fields the engine adds later pass as they are:
/// the engine escapes them, and JSON escapes controls anyway).
fn visible_extracted(x: &Extracted) -> Extracted {
    let mut x = x.clone();
    x.message = x.message.as_deref().map(visible);
    x.remote_reply = x.remote_reply.as_deref().map(visible);
    for s in x
        .hosts
        .iter_mut()
        .chain(&mut x.connectors)
        .chain(&mut x.enhanced_codes)
    {
        *s = visible(s);
    }
    x
}

fn paint(text: &str, style: Style, color: bool) -> String {
    if color {
        text.style(style).to_string()
    } else {
        text.to_string()
    }
}

fn severity_style(sev: Severity) -> Style {
    match sev {
        Severity::Info => Style::new().cyan(),
        Severity::Warn => Style::new().yellow().bold(),
        Severity::Fail => Style::new().red().bold(),
    }
}

/// `key` in a column, `value`'s lines under each other.
fn row(out: &mut String, indent: usize, key: &str, value: &str) {
    let pad = " ".repeat(indent);
    let mut lines = value.lines();
    let _ = writeln!(out, "{pad}{key:<15} {}", lines.next().unwrap_or(""));
    for l in lines {
        let _ = writeln!(out, "{pad}{:<15} {l}", "");
    }
}

fn human_match(out: &mut String, m: &Match, color: bool) {
    let sev = m.code.default_severity();
    let _ = writeln!(
        out,
        "\n{}  {}",
        paint(m.code.as_str(), severity_style(sev), color),
        severity_of(m.code)
    );
    row(out, 2, "matched", &quote(&m.matched, 300));
    row(out, 2, "at fault", side_label(m.side));
    row(out, 2, "meaning", &visible(&m.meaning));
    if !m.causes.is_empty() {
        let causes: Vec<String> = m
            .causes
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{}. {}", i + 1, visible(c)))
            .collect();
        row(out, 2, "likely causes", &causes.join("\n"));
    }
    let mut lines: Vec<String> = Vec::new();
    for run in runs(&visible_steps(m)) {
        match run {
            Run::Prose(text) => lines.extend(text.iter().map(|t| (*t).to_string())),
            Run::Commands(shell, block) => {
                lines.push(format!("({})", shell.label()));
                lines.extend(block.iter().map(|l| format!("  {l}")));
            }
        }
    }
    if !lines.is_empty() {
        row(out, 2, "fix", &lines.join("\n"));
    }
}

fn render_human(e: &Explanation, probed: Probed<'_>, opts: RenderOptions) -> String {
    let mut out = String::new();
    let head = headline(e);
    let (word, rest) = head.split_once(' ').unwrap_or((&head, ""));
    let style = if e.matches.is_empty() {
        Style::new().magenta().bold()
    } else {
        Style::new().bold()
    };
    let _ = writeln!(out, "{} {rest}", paint(word, style, opts.color));
    let rows = extracted_rows(e);
    let _ = writeln!(out, "\nExtracted from the text");
    if rows.is_empty() {
        let _ = writeln!(
            out,
            "  (nothing: no reply code, host, address or connector)"
        );
    }
    for (k, v) in &rows {
        row(&mut out, 2, k, &quote(v, 400));
    }
    if e.extracted.truncated {
        let _ = writeln!(out, "  ({TRUNCATED})");
    }
    if let Some(note) = capped_note(e) {
        let _ = writeln!(out, "  ({note})");
    }
    for m in &e.matches {
        human_match(&mut out, m, opts.color);
    }
    if let (Some(p), false) = (&e.probe, matches!(probed, Probed::Ran { .. })) {
        let _ = writeln!(out, "\nConfirm with a probe");
        let _ = writeln!(out, "  {}", visible(&p.command));
        if matches!(probed, Probed::NotAsked) {
            let _ = writeln!(out, "  (or add --probe to run it now)");
        }
    } else if e.probe.is_none() && !e.matches.is_empty() && matches!(probed, Probed::NotAsked) {
        let _ = writeln!(out, "\nConfirm with a probe\n  {NO_HOST}");
    }
    match probed {
        Probed::NotAsked => {}
        Probed::NothingToProbe => {
            let _ = writeln!(out, "\n{NOTHING_TO_PROBE}");
        }
        Probed::Ran { command, report } => {
            let _ = writeln!(out, "\nProbe: {}\n", visible(command));
            out.push_str(&super::human::render(report, opts));
            let joined = joins(e, &report.findings);
            if !joined.is_empty() {
                let _ = writeln!(out, "\nTogether");
                for j in joined {
                    let _ = writeln!(out, "  {j}");
                }
            }
        }
    }
    out
}

fn render_markdown(e: &Explanation, probed: Probed<'_>) -> String {
    let mut out = format!("### explain: {}\n", markdown::cell(&headline(e)));
    let rows = extracted_rows(e);
    if !rows.is_empty() {
        let _ = writeln!(out, "\n| extracted | value |\n|---|---|");
        for (k, v) in &rows {
            let _ = writeln!(
                out,
                "| {} | {} |",
                markdown::cell(k),
                markdown::cell(&quote(v, 400))
            );
        }
    }
    if e.extracted.truncated {
        let _ = writeln!(out, "\n_{TRUNCATED}_");
    }
    if let Some(note) = capped_note(e) {
        let _ = writeln!(out, "\n_{note}_");
    }
    for m in &e.matches {
        let _ = writeln!(
            out,
            "\n**`{}`** ({}) — {}\n",
            m.code,
            severity_of(m.code),
            markdown::cell(&visible(&m.meaning))
        );
        let _ = write!(out, "{}", markdown::fenced(&quote(&m.matched, 300), ""));
        let _ = writeln!(out, "\nAt fault: {}", side_label(m.side));
        if !m.causes.is_empty() {
            let _ = writeln!(out, "\nLikely causes:\n");
            for (i, c) in m.causes.iter().enumerate() {
                let _ = writeln!(out, "{}. {}", i + 1, markdown::cell(&visible(c)));
            }
        }
        markdown::fix(&mut out, &visible_steps(m));
    }
    if let Some(p) = &e.probe {
        let _ = writeln!(out, "\nConfirm with a probe:\n");
        let _ = write!(out, "{}", markdown::fenced(&visible(&p.command), "sh"));
    } else if !e.matches.is_empty() && matches!(probed, Probed::NotAsked) {
        let _ = writeln!(out, "\nConfirm with a probe: {}", markdown::cell(NO_HOST));
    }
    match probed {
        Probed::NotAsked => {}
        Probed::NothingToProbe => {
            let _ = writeln!(out, "\n{}", markdown::cell(NOTHING_TO_PROBE));
        }
        Probed::Ran { report, .. } => {
            let _ = writeln!(out);
            out.push_str(&super::markdown::render(report));
            let joined = joins(e, &report.findings);
            if !joined.is_empty() {
                let _ = writeln!(out, "\n**Together:**\n");
                for j in joined {
                    let _ = writeln!(out, "- {}", markdown::cell(&j));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
