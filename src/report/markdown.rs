//! `--format markdown`: a short block for a helpdesk ticket. Verdict, key evidence, the fixes,
//! tool version, UTC time and where the probe ran from.

use std::fmt::Write as _;

use super::{Report, Run, runs};
use crate::diagnose::Severity;

/// A code fence longer than any backtick run inside `text`, so server text cannot close it;
/// `lang` is its info string (syntax highlighting).
pub(super) fn fenced(text: &str, lang: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat((longest + 1).max(3));
    format!("{fence}{lang}\n{text}\n{fence}\n")
}

/// A fix: prose as escaped text, each run of commands in a code block for its shell.
/// The first run of prose follows `Fix:` on its line.
pub(super) fn fix(out: &mut String, steps: &[crate::diagnose::Step]) {
    for (i, run) in runs(steps).into_iter().enumerate() {
        match (i, &run) {
            (0, Run::Prose(_)) => {
                let _ = write!(out, "\nFix: ");
            }
            (0, _) => {
                let _ = writeln!(out, "\nFix:\n");
            }
            _ => {
                let _ = writeln!(out);
            }
        }
        match run {
            Run::Prose(lines) => {
                let text: Vec<String> = lines.iter().map(|l| prose(l)).collect();
                let _ = writeln!(out, "{}", text.join("  \n"));
            }
            Run::Commands(shell, lines) => {
                let _ = write!(out, "{}", fenced(&lines.join("\n"), shell.fence_language()));
            }
        }
    }
}

/// A line of fix prose: its `code spans` stay code spans (a span shows its text literally, so
/// nothing in it can become a link, an image or HTML), and everything between them is escaped
/// as [`cell`] escapes it. A line with an unpaired backtick is escaped whole.
pub(super) fn prose(line: &str) -> String {
    let parts: Vec<&str> = line.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return cell(line);
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 0 {
                cell(part)
            } else if part.is_empty() {
                String::new()
            } else {
                format!("`{part}`")
            }
        })
        .collect()
}

/// Text outside code blocks: server-sent parts of a summary must not become links, images,
/// emphasis or HTML in the ticket, so every character Markdown gives meaning is escaped.
pub(super) fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '!' | '|' | '#' | '~'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The MX hosts with their verdicts (none for a host target).
fn mx_table(out: &mut String, report: &Report) {
    let real: Vec<_> = report.mx.iter().filter(|m| !m.implicit).collect();
    if !real.is_empty() {
        let _ = writeln!(
            out,
            "| domain | MX | host | addresses | verdict | cause |\n|---|---|---|---|---|---|"
        );
        for m in real {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&m.domain),
                m.preference,
                cell(&m.exchange),
                cell(&m.addresses.join(", ")),
                m.verdict.label(),
                cell(m.cause.as_deref().unwrap_or(""))
            );
        }
        let _ = writeln!(out);
    }
}

/// The findings table, the certificates in brief, then the evidence and fix of each finding
/// that needs action.
fn findings(out: &mut String, report: &Report) {
    // One finding is the headline already; a table of one row would say it a third time.
    let table: &[_] = if report.findings.len() > 1 {
        &report.findings
    } else {
        &[]
    };
    if !table.is_empty() {
        let _ = writeln!(
            out,
            "| severity | code | endpoint | summary |\n|---|---|---|---|"
        );
    }
    for f in table {
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} |",
            f.severity.label(),
            f.code,
            cell(&f.endpoint),
            cell(&f.summary)
        );
    }
    certificates(out, report);
    policy(out, report);
    let actionable: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Info)
        .collect();
    if !actionable.is_empty() {
        let _ = writeln!(out, "\n#### Evidence and fixes");
        for f in actionable {
            let _ = writeln!(out, "\n**`{}`** — {}\n", f.code, cell(&f.summary));
            let _ = write!(out, "{}", fenced(&f.evidence.join("\n"), ""));
            match crate::diagnose::explained_by(f, &report.findings) {
                Some(c) => {
                    let _ = writeln!(
                        out,
                        "\nFix: as for `{}` (the same change fixes this).",
                        c.code
                    );
                }
                None => fix(out, &f.fix.steps),
            }
        }
    }
}

/// Each domain's TLS policy (when the policy phase ran), compact: a list per domain, one
/// line per row, every string escaped as a cell.
fn policy(out: &mut String, report: &Report) {
    for (domain, p) in &report.policy {
        let rows = super::human::policy_rows(report, domain, p, false);
        // A ticket stays short: a domain that publishes nothing gets no section, and what is
        // not published no line (the findings, the human format and the JSON say it).
        if rows.iter().all(|r| r.context) {
            continue;
        }
        let _ = writeln!(
            out,
            "\n#### Policy of {}\n",
            cell(&crate::text::braced(domain))
        );
        // One line per row, its continuation lines joined.
        for r in rows
            .iter()
            .filter(|r| !r.context || matches!(r.key, "resolver" | "mx"))
        {
            let parts: Vec<String> = r.lines.iter().map(|l| cell(l.trim())).collect();
            let _ = writeln!(out, "- {}: {}", r.key, parts.join(" · "));
        }
    }
}

/// Where the probe ran from: this machine's name, our addresses (before NAT) and the
/// addresses the servers say they saw (after NAT), which blocklists and connectors see.
fn probed_from(report: &Report) -> String {
    let set = |it: &mut dyn Iterator<Item = String>| -> Vec<String> {
        it.collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    let local = set(&mut report
        .endpoints
        .iter()
        .filter_map(|e| e.local_address.clone())
        .map(|a| {
            a.rsplit_once(':')
                .map_or(a.clone(), |(ip, _)| ip.to_string())
        }));
    let seen = set(&mut report.endpoints.iter().filter_map(|e| e.seen_as.clone()));
    let mut from = report.probe_host.as_deref().map(cell).unwrap_or_default();
    let addresses = if local.is_empty() {
        "no connection made".to_string()
    } else {
        local.join(", ")
    };
    from.push_str(&if from.is_empty() {
        addresses
    } else {
        format!(" ({addresses})")
    });
    if !seen.is_empty() && seen != local {
        from.push_str(&format!(", seen by the server as {}", seen.join(", ")));
    }
    from
}

/// Inline code that no backtick in `text` can close.
pub(super) fn code(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let ticks = "`".repeat(longest + 1);
    format!("{ticks} {text} {ticks}")
}

/// One row per endpoint: what TLS and certificate it showed (the certificate in brief).
fn certificates(out: &mut String, report: &Report) {
    if report.endpoints.is_empty() {
        return;
    }
    if !out.ends_with("\n\n") {
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "| endpoint | TLS | certificate | issuer | expires | SHA-256 |\n|---|---|---|---|---|---|"
    );
    for e in &report.endpoints {
        let tls = e.tls.as_ref().map_or_else(
            || {
                e.failure.as_ref().map_or("none".to_string(), |f| {
                    format!("stopped in {}", f.phase.name())
                })
            },
            |t| t.version.label().to_string(),
        );
        let (subject, issuer, expires, sha) = e.certificate.as_ref().map_or_else(
            || (String::new(), String::new(), String::new(), String::new()),
            |c| {
                let when = c.not_after.get(..10).unwrap_or(&c.not_after).to_string();
                let left = if c.expired {
                    format!("{when} (EXPIRED)")
                } else {
                    match c.days_left {
                        0 => format!("{when} (under a day)"),
                        1 => format!("{when} (1 day)"),
                        d => format!("{when} ({d} days)"),
                    }
                };
                (c.subject.clone(), c.issuer.clone(), left, c.sha256.clone())
            },
        );
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            cell(&e.label),
            cell(&tls),
            cell(&subject),
            cell(&issuer),
            cell(&expires),
            cell(&sha)
        );
    }
    let client: Vec<String> = report
        .endpoints
        .iter()
        .filter_map(|e| {
            e.client_auth.as_ref().map(|a| {
                format!(
                    "- {}: client certificate {}",
                    cell(&e.label),
                    cell(&a.line())
                )
            })
        })
        .collect();
    if !client.is_empty() {
        out.push('\n');
        for l in client {
            let _ = writeln!(out, "{l}");
        }
    }
}

/// Renders the ticket block.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### STARTTLS check: {} — {}\n",
        report.verdict.label(),
        cell(&report.target)
    );
    let _ = writeln!(out, "**{}**\n", cell(&report.headline));
    mx_table(&mut out, report);
    findings(&mut out, report);
    let run_as = report
        .invocation
        .as_deref()
        .map(|cmd| format!("Run as {} · ", code(cmd)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "\n_{run_as}{} {} · {} UTC · probed from {}_",
        report.tool.name,
        report.tool.version,
        report.generated_at.trim_end_matches('Z').replace('T', " "),
        probed_from(report)
    );
    out
}

/// A batch for a ticket: the counts, a table of the targets, then the block of every target
/// that needs action (`details`, already rendered, in the rows' order).
pub fn render_batch(batch: &super::batch::Batch, details: &[String]) -> String {
    let mut out = String::new();
    let verdict = batch.verdict();
    let _ = writeln!(
        out,
        "### STARTTLS check: {} — {}\n",
        verdict.label(),
        batch.counts.line()
    );
    let _ = writeln!(out, "| Target | Verdict | Days left | Finding |");
    let _ = writeln!(out, "|---|---|---:|---|");
    for r in batch.worst_first() {
        let finding = r
            .primary
            .as_ref()
            .map(|p| format!("`{}` {}", p.code, cell(&p.summary)))
            .unwrap_or_default();
        let days = r
            .days_left
            .map_or_else(|| "—".to_string(), |d| d.to_string());
        let _ = writeln!(
            out,
            "| {} | {} | {days} | {finding} |",
            cell(&r.target),
            r.verdict.label()
        );
    }
    if let Some(note) = batch.interrupted() {
        let _ = writeln!(out, "\n**{note}**");
    }
    for (_, text) in batch.needing_action(details) {
        let _ = write!(out, "\n{text}");
    }
    let _ = writeln!(
        out,
        "\n_{} {} · {} UTC_",
        env!("CARGO_PKG_NAME"),
        env!("CARGO_PKG_VERSION"),
        crate::cert::rfc3339(batch.generated_at)
            .trim_end_matches('Z')
            .replace('T', " ")
    );
    out
}
