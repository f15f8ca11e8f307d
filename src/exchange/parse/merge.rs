//! One object shown twice in one paste: a table row and a `Format-List` entry of the same
//! certificate or connector (a documentation sample that ran `Get-InboundConnector`, then
//! `Get-InboundConnector | fl`; a script that printed a certificate both ways). Read as two,
//! it would be two connectors with one name, or two certificates, one of them without a
//! thumbprint. So a table row is folded into the one list entry of the same cmdlet that
//! has its key (a certificate's `Thumbprint` as printed, even redacted; a connector's
//! `Identity` or `Name`): the list's values stand, the row adds what the list lacks (a
//! trimmed list may have lost `Enabled`), and a value the two views give differently is
//! dropped with a note, since which one is true cannot be told (an uneven redaction).
//!
//! Only table rows are folded, and only into exactly one list entry: two list entries are
//! two objects (two servers' `Default Frontend`), and a row that matches two is left alone.

use std::collections::HashMap;

use super::{Prop, Record, Val, typed};
use crate::exchange::model::{Cmdlet, InputFormat, Loc, ParseNote};

/// `records` (one input's) with each table row that shows the same object as one list
/// entry folded into it; notes say which.
pub(super) fn fold(mut records: Vec<Record>, notes: &mut Vec<ParseNote>) -> Vec<Record> {
    if !records.iter().any(|r| r.format() == InputFormat::Table) {
        return records;
    }
    let kinds: Vec<Option<Cmdlet>> = records.iter().map(typed::cmdlet_of).collect();
    let mut lists: HashMap<(Cmdlet, String), Vec<usize>> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        if let (InputFormat::FormatList, Some(c)) = (r.format(), kinds[i]) {
            for k in keys(r, c) {
                lists.entry((c, k)).or_default().push(i);
            }
        }
    }
    if lists.is_empty() {
        return records;
    }
    let mut folded = vec![false; records.len()];
    for t in 0..records.len() {
        let Some(c) = kinds[t].filter(|_| records[t].format() == InputFormat::Table) else {
            continue;
        };
        let mut found: Vec<usize> = keys(&records[t], c)
            .into_iter()
            .filter_map(|k| lists.get(&(c, k)))
            .flatten()
            .copied()
            .collect();
        found.sort_unstable();
        found.dedup();
        let [f] = found[..] else {
            continue;
        };
        let row = std::mem::take(&mut records[t].props);
        let row_empty = std::mem::take(&mut records[t].empty);
        let row_loc = records[t].origin.loc;
        absorb(&mut records[f], row, row_loc, c, notes);
        // The row's empty cells were printed too (a value dropped for a conflict is neither
        // in the list's properties nor here, so it stays unknown).
        records[f].empty.extend(row_empty);
        folded[t] = true;
    }
    records
        .into_iter()
        .zip(folded)
        .filter(|(_, f)| !f)
        .map(|(r, _)| r)
        .collect()
}

/// What identifies the object: a certificate's thumbprint as printed (spaces out, upper
/// case), a connector's identity and name (lower case). Cut values are no key.
fn keys(rec: &Record, cmdlet: Cmdlet) -> Vec<String> {
    let text = |name: &str| {
        rec.props
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .and_then(|p| match &p.val {
                Val::Text(v) => Some(v.trim()),
                Val::Json(_) => None,
            })
            .filter(|v| !v.is_empty() && !is_cut(v))
    };
    match cmdlet {
        Cmdlet::ExchangeCertificate => text("Thumbprint")
            .map(|t| {
                t.chars()
                    .filter(|c| !c.is_whitespace())
                    .collect::<String>()
                    .to_ascii_uppercase()
            })
            .into_iter()
            .collect(),
        _ => ["Identity", "Name"]
            .iter()
            .filter_map(|n| text(n))
            .map(str::to_lowercase)
            .collect(),
    }
}

fn is_cut(v: &str) -> bool {
    v.ends_with("...") || v.ends_with('…')
}

fn what(cmdlet: Cmdlet) -> &'static str {
    match cmdlet {
        Cmdlet::ExchangeCertificate => "certificate",
        Cmdlet::ReceiveConnector
        | Cmdlet::SendConnector
        | Cmdlet::InboundConnector
        | Cmdlet::OutboundConnector => "connector",
        _ => "object",
    }
}

/// Folds a table row's properties into the list entry `list`.
fn absorb(list: &mut Record, row: Vec<Prop>, row_loc: Loc, c: Cmdlet, notes: &mut Vec<ParseNote>) {
    let list_line = list.origin.loc.line;
    notes.push(ParseNote {
        loc: row_loc,
        message: format!(
            "this table row shows the same {} as the list at line {list_line}: read as one, \
             the list's values first",
            what(c)
        ),
    });
    for p in row {
        let Some(i) = list
            .props
            .iter()
            .position(|lp| lp.name.eq_ignore_ascii_case(&p.name))
        else {
            list.props.push(p);
            continue;
        };
        if let Some((a, b)) = conflict(&list.props[i], &p) {
            notes.push(ParseNote {
                loc: Loc {
                    input: row_loc.input,
                    line: p.line,
                },
                message: format!(
                    "the table row and the list at line {list_line} give different `{}` for \
                     the same {} (`{b}` and `{a}`; redacted unevenly?): neither is read",
                    p.name,
                    what(c)
                ),
            });
            list.props.remove(i);
        }
    }
}

/// The two texts, when the views disagree on a plain value. Lists (`{…}`) and the services
/// column (`IP.WS..` against `IMAP, POP, IIS, SMTP`) print differently in the two views and
/// are not compared; a table cell cut by the width (with or without `...`) agrees with the
/// list value it starts.
fn conflict(list: &Prop, row: &Prop) -> Option<(String, String)> {
    let (Val::Text(a), Val::Text(b)) = (&list.val, &row.val) else {
        return None;
    };
    if ["Services", "ServicesStringForm"]
        .iter()
        .any(|n| row.name.eq_ignore_ascii_case(n))
    {
        return None;
    }
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let (a, b) = (norm(a), norm(b));
    if a.is_empty() || b.is_empty() || a.starts_with('{') || b.starts_with('{') || is_cut(&b) {
        return None;
    }
    (a != b && !a.starts_with(&b)).then_some((a, b))
}
