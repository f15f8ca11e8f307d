//! Text → records. One pass over the lines, each line looked at once (plus a peek at the next
//! one for a table's dash line):
//!
//! * `Name : Value` lines (`Format-List`): names padded to the object's longest name, or
//!   collapsed to one space by a forum; values verbatim, trailing spaces and `\r` dropped.
//! * Continuation lines, indented past the property's name (to its value column, or under an
//!   open `{`), are joined to the value with one space and make it `wrapped`.
//! * Records end at a repeated property name, at a blank line in output that has none between
//!   its properties, and at a wider gap, a `RunspaceId` or the record's first name again in
//!   output that has a blank line after every property (forum pastes double the newlines).
//! * `Name = Value` lines make a record of their own kind: a paste whose every ` : ` was
//!   replaced by ` = ` (a search and replace). Such a record is read like `fl`, but a value
//!   holding `=` is not trusted (`00=00=22` was a time). Mixed with ` : ` lines, an ` = `
//!   line is prose.
//! * `[PS] C:\…>Get-ReceiveConnector | fl` prompt lines (and bare `Get-…` command lines) end a
//!   record and say which cmdlet printed the records after them, `-Server X` which server,
//!   whether the command filtered them, which properties it named, and (the prompt and the
//!   session's `Connect-ExchangeOnline`) which side of a hybrid they are from: see
//!   [`super::command`].
//! * `VERBOSE:`, `WARNING:`, `DEBUG:` and `INFORMATION:` lines are PowerShell's message
//!   streams, not output: they end the record and are skipped without a note.
//! * A header line over a dash line is a table view. The default views of
//!   `Get-ExchangeCertificate` (`Thumbprint Services Subject`), `Get-ReceiveConnector`
//!   (`Identity Bindings Enabled`) and `Get-SendConnector` (`Identity AddressSpaces
//!   Enabled`) are known by their header alone, since forums drop the dash line, collapse
//!   the padding and put a blank line between rows; their rows are read by token (a
//!   certificate row) or around the `{…}` list (a connector row), not by column.
//! * A line starting with `{` or `[` is tried as JSON (our script's, or raw `ConvertTo-Json`).
//! * Anything else is prose: it ends the record and is skipped.

use std::collections::HashSet;

use serde_json::Value;

use super::command::{Prompt, PromptKind, SessionChange, prompt, session_change};
use super::{Hint, Prop, Record, Val, json, typed};
use crate::exchange::model::{Cmdlet, InputFormat, Loc, Origin, ParseNote, Side};

/// What one input held.
pub(super) struct Scan {
    /// The records, in input order.
    pub(super) records: Vec<Record>,
    /// What was skipped or is doubtful.
    pub(super) notes: Vec<ParseNote>,
    /// The formats seen, in order of first appearance.
    pub(super) formats: Vec<InputFormat>,
}

/// JSON tried inside text (a line starting with `{` or `[` that is not JSON) may read at most
/// this many times the input before giving up: each failed try parses ahead of its line.
const JSON_BUDGET_FACTOR: usize = 4;

/// After this many lines that start like JSON but are not, no more are tried: a paste of
/// real JSON fails at most once or twice.
const MAX_JSON_FAILURES: usize = 256;

/// The records in `text` (input number `input`).
pub(super) fn scan(text: &str, input: usize) -> Scan {
    let mut s = Scanner {
        text,
        input,
        out: Scan {
            records: Vec::new(),
            notes: Vec::new(),
            formats: Vec::new(),
        },
        cur: None,
        table: None,
        skip_dashes: false,
        gap: 0,
        hint: Hint::default(),
        group: 0,
        json_budget: text.len().saturating_mul(JSON_BUDGET_FACTOR) + 64 * 1024,
        json_failures: 0,
        json_noted: false,
        online: false,
        mixed: false,
        // One look at every line, before the pass that needs it.
        ems_anywhere: text.lines().any(|l| l.trim_start().starts_with("[PS]")),
    };
    s.run();
    s.out
}

/// A record being read from `fl` text.
struct Building {
    rec: Record,
    /// Its property names, lower-case.
    names: HashSet<String>,
    /// Its first property name, lower-case.
    first: String,
    /// The blank lines between its first two properties: 0 in `fl` output, 1 in a forum
    /// paste; a wider gap ends it.
    norm_gap: Option<usize>,
    /// Its last property's layout, for continuation lines.
    last: Last,
    /// The line its last text was on.
    last_line: usize,
}

impl Building {
    fn equals(&self) -> bool {
        self.rec.equals
    }

    /// One `x = y` line among prose is an assignment someone wrote, not an object printed
    /// with ` = `: only two or more such lines in a row make one.
    fn is_stray_equals(&self) -> bool {
        self.rec.equals && self.rec.props.len() < 2
    }
}

#[derive(Clone, Copy)]
struct Last {
    /// Where its name starts.
    indent: usize,
    /// Where its value starts.
    value_col: usize,
    /// `{` not yet closed (a list running onto the next lines).
    open: usize,
}

/// A table view being read.
struct Table {
    /// Column start (in characters) and header; the start is 0 throughout for a known
    /// header without its dash line (its rows are not read by column).
    columns: Vec<(usize, String)>,
    /// How its rows are read.
    kind: TableKind,
    /// The rows read so far: the record's index in the output, and the row's width in
    /// characters (for [`Scanner::end_table`]).
    rows: Vec<(usize, usize)>,
    /// A row had an annotation cut off its end: widths say nothing then.
    annotated: bool,
}

/// How a table's rows are read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TableKind {
    /// `Thumbprint Services Subject`: by token (thumbprint, services string, the rest).
    Certificates,
    /// `Identity <List> Enabled` of a connector cmdlet: the identity before the `{…}`
    /// list, `True`/`False` after it; the only reliable anchor once the padding collapsed.
    Braced(Cmdlet),
    /// Any other header over a dash line: by the dash groups' columns.
    Columns,
}

impl TableKind {
    /// Blank lines allowed between rows: forums double the newlines, and a known view's rows
    /// are recognisable on their own; a sliced row is not.
    fn max_gap(self) -> usize {
        match self {
            TableKind::Columns => 0,
            TableKind::Certificates | TableKind::Braced(_) => 1,
        }
    }
}

struct Scanner<'t> {
    text: &'t str,
    input: usize,
    out: Scan,
    cur: Option<Building>,
    table: Option<Table>,
    skip_dashes: bool,
    /// Blank lines since the last non-blank one.
    gap: usize,
    hint: Hint,
    group: usize,
    json_budget: usize,
    json_failures: usize,
    json_noted: bool,
    /// `Connect-ExchangeOnline` (without `-Prefix`) ran, and no `Disconnect-ExchangeOnline`
    /// since.
    online: bool,
    /// A command brought another session's cmdlets into the window (`Import-PSSession`).
    mixed: bool,
    /// The input holds an Exchange Management Shell prompt somewhere.
    ems_anywhere: bool,
}

/// A `Name : Value` line (or `Name = Value`, see `equals`).
struct PropLine<'l> {
    indent: usize,
    name: &'l str,
    value: &'l str,
    value_col: usize,
    /// Written with ` = ` instead of ` : `.
    equals: bool,
}

impl Scanner<'_> {
    fn run(&mut self) {
        let text = self.text;
        let mut pos = 0;
        let mut line_no = 0;
        while pos < text.len() {
            let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
            let next = if end < text.len() { end + 1 } else { end };
            line_no += 1;
            let line = text[pos..end].trim_end();
            if line.is_empty() {
                self.gap += 1;
                pos = next;
                continue;
            }
            if let Some(json_end) = self.try_json(pos, line, line_no) {
                let line_end = text[json_end..]
                    .find('\n')
                    .map_or(text.len(), |i| json_end + i);
                line_no += text[pos..json_end].bytes().filter(|b| *b == b'\n').count();
                pos = if line_end < text.len() {
                    line_end + 1
                } else {
                    line_end
                };
                self.gap = 0;
                continue;
            }
            self.line(line, line_no, &text[next..]);
            self.gap = 0;
            pos = next;
        }
        self.end_table();
        self.close();
    }

    /// What a prompt line says about the records after it, and which side of a hybrid they
    /// come from when the session makes it plain: the Exchange Management Shell's `[PS]` is
    /// on premises, unless Exchange Online's cmdlets were brought into it; a `PS` prompt is
    /// Exchange Online's only after `Connect-ExchangeOnline` in an input with no EMS prompt
    /// and no other session imported. Otherwise not known: a `PS` prompt alone, or Exchange
    /// Online connectors elsewhere in the paste, do not say where a `Get-AcceptedDomain` ran.
    fn prompt_hint(&mut self, p: Prompt<'_>, line_no: usize) -> Hint {
        match session_change(p.command) {
            Some(SessionChange::ConnectedOnline) => self.online = true,
            Some(SessionChange::Disconnected) => self.online = false,
            Some(SessionChange::Mixed) => self.mixed = true,
            None => {}
        }
        let side = match p.kind {
            PromptKind::Ems => (!self.online && !self.mixed).then_some(Side::OnPremises),
            PromptKind::PowerShell => {
                (self.online && !self.mixed && !self.ems_anywhere).then_some(Side::Online)
            }
            PromptKind::Other => None,
        };
        Hint {
            line: line_no,
            side,
            ..p.hint
        }
    }

    fn note(&mut self, line: usize, message: String) {
        self.out.notes.push(ParseNote {
            loc: Loc {
                input: self.input,
                line,
            },
            message,
        });
    }

    fn saw(&mut self, format: InputFormat) {
        if !self.out.formats.contains(&format) {
            self.out.formats.push(format);
        }
    }

    fn line(&mut self, line: &str, line_no: usize, rest: &str) {
        let trimmed = line.trim_start();
        // Measured like `prop_line` does, so a continuation and a property compare alike.
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        if self.skip_dashes {
            self.skip_dashes = false;
            return;
        }
        if let Some(table) = &self.table {
            if self.gap <= table.kind.max_gap() && self.table_row(line, line_no) {
                return;
            }
            self.end_table();
        }
        if let Some(p) = prompt(trimmed) {
            self.close();
            self.hint = self.prompt_hint(p, line_no);
            self.group += 1;
            return;
        }
        if is_stream_message(trimmed) {
            self.close();
            return;
        }
        // ` = ` lines make a record of their own; inside a ` : ` record they are prose.
        let prop = prop_line(line).or_else(|| {
            equals_line(line).filter(|_| self.cur.as_ref().is_none_or(Building::equals))
        });
        if self.continues(indent, prop.as_ref()) {
            self.append(trimmed, line_no);
            return;
        }
        if prop.is_none() {
            let following = rest.split('\n').next().unwrap_or("");
            if let Some((table, dashes)) = table_header(line, following) {
                self.close();
                self.table = Some(table);
                self.skip_dashes = dashes;
                return;
            }
        }
        match prop {
            Some(p) => self.property(&p, line_no),
            None => self.prose(trimmed, line_no, rest),
        }
    }

    /// Whether a line continues the last property's value.
    fn continues(&self, indent: usize, prop: Option<&PropLine<'_>>) -> bool {
        let Some(b) = &self.cur else {
            return false;
        };
        let last = b.last;
        if last.open > 0 {
            // A list whose `}` has not come yet takes any line that is not a property at
            // the record's own indentation (forums strip the continuation's indent).
            return self.gap <= 2 && prop.is_none_or(|p| p.indent > last.indent);
        }
        if indent <= last.indent || self.gap > b.norm_gap.unwrap_or(1) {
            return false;
        }
        // Indented under the value: a continuation even when it looks like `X : Y`.
        prop.is_none() || indent >= last.value_col
    }

    fn append(&mut self, segment: &str, line_no: usize) {
        let Some(b) = &mut self.cur else {
            return;
        };
        if let Some(Prop {
            val: Val::Text(value),
            wrapped,
            ..
        }) = b.rec.props.last_mut()
        {
            if !value.is_empty() {
                value.push(' ');
            }
            value.push_str(segment);
            *wrapped = true;
        }
        if b.last.open > 0 {
            b.last.open = braces(b.last.open, segment);
        }
        b.last_line = line_no;
    }

    fn property(&mut self, p: &PropLine<'_>, line_no: usize) {
        let lname = p.name.to_ascii_lowercase();
        if self
            .cur
            .as_ref()
            .is_some_and(|b| b.equals() != p.equals || b.should_split(&lname, self.gap))
        {
            self.close();
        }
        let last = Last {
            indent: p.indent,
            value_col: p.value_col,
            open: if p.value.starts_with('{') {
                braces(0, p.value)
            } else {
                0
            },
        };
        let prop = Prop {
            name: p.name.to_string(),
            val: Val::Text(p.value.to_string()),
            line: line_no,
            wrapped: false,
        };
        match &mut self.cur {
            Some(b) => {
                if b.norm_gap.is_none() {
                    b.norm_gap = Some(self.gap);
                }
                b.names.insert(lname);
                b.rec.props.push(prop);
                b.last = last;
                b.last_line = line_no;
            }
            None => {
                let origin = Origin {
                    loc: Loc {
                        input: self.input,
                        line: line_no,
                    },
                    format: InputFormat::FormatList,
                };
                let mut rec = Record::new(origin, self.hint.clone(), self.group);
                rec.props.push(prop);
                rec.equals = p.equals;
                self.cur = Some(Building {
                    rec,
                    names: HashSet::from([lname.clone()]),
                    first: lname,
                    norm_gap: None,
                    last,
                    last_line: line_no,
                });
                self.saw(InputFormat::FormatList);
            }
        }
    }

    /// A line that is neither a property, a continuation, a prompt nor a table: the record
    /// ends. When the record's last line runs straight into it, words may have been glued
    /// onto that value (seed 001: `…O=XXXXSince the fact the connector…`).
    ///
    /// The input's last line being one word right after a property is a paste cut in the
    /// middle of a property name (`DomainSecureEnabl`), said as such.
    fn prose(&mut self, trimmed: &str, line_no: usize, rest: &str) {
        let in_record = self
            .cur
            .as_ref()
            .is_some_and(|b| self.gap <= b.norm_gap.unwrap_or(1));
        if let Some(b) = &self.cur
            && self.gap == 0
            && b.last_line + 1 == line_no
            && is_identifier(trimmed)
            && (typed::is_known_prefix(trimmed) || is_camel_case(trimmed))
            // The last line: only blank ones after it (scanned once, as `run` does).
            && rest.trim_start().is_empty()
        {
            let message = format!(
                "the paste seems cut here: its last line `{trimmed}` has no ` : ` and reads \
                 like the start of a property name; the properties after it are not in the \
                 paste"
            );
            self.note(line_no, message);
            self.close();
            return;
        }
        if let Some(b) = &self.cur
            && self.gap == 0
            && b.last_line + 1 == line_no
            && !b.is_stray_equals()
            && let Some(p) = b.rec.props.last()
            && let Val::Text(v) = &p.val
            && !v.is_empty()
        {
            let message = if looks_like_prose(v) {
                format!(
                    "`{}` seems to have prose glued onto its end (the paste runs on into the \
                     text around it): where its value really ends is unknown",
                    p.name
                )
            } else {
                format!(
                    "`{}` runs straight into prose on the next line: words glued onto the end \
                     of its value would be read as part of it",
                    p.name
                )
            };
            let line = p.line;
            self.note(line, message);
        }
        self.close();
        // Only where a property was expected (inside a record, or padded like one): a
        // known name opening a sentence or a tab-separated report line is not a lost colon.
        let mut words = trimmed.split_whitespace();
        if let (Some(first), Some(_)) = (words.next(), words.next())
            && typed::is_known(first)
            && !trimmed.contains('\t')
            && (in_record || trimmed[first.len()..].starts_with("  "))
        {
            self.note(
                line_no,
                format!(
                    "this line starts with the property name `{first}` but has no \
                         ` : ` after it; not read"
                ),
            );
        }
    }

    fn close(&mut self) {
        if let Some(b) = self.cur.take()
            && !b.rec.props.is_empty()
            && !b.is_stray_equals()
        {
            self.out.records.push(b.rec);
        }
    }

    /// A table row: a record with one property per column.
    fn table_row(&mut self, line: &str, line_no: usize) -> bool {
        let Some(table) = &self.table else {
            return false;
        };
        let kind = table.kind;
        let mut annotation = None;
        let cells: Vec<(String, String)> = match kind {
            TableKind::Certificates => match certificate_row(line) {
                Some(row) => {
                    annotation = row.annotation;
                    row.cells
                }
                None => return false,
            },
            TableKind::Braced(_) => {
                let names: Vec<&str> = table.columns.iter().map(|(_, n)| n.as_str()).collect();
                match braced_row(line, &names) {
                    Some(cells) => cells,
                    None => return false,
                }
            }
            TableKind::Columns => slice_row(line, &table.columns),
        };
        let origin = Origin {
            loc: Loc {
                input: self.input,
                line: line_no,
            },
            format: InputFormat::Table,
        };
        let mut rec = Record::new(origin, self.hint.clone(), self.group);
        rec.kind = match kind {
            TableKind::Certificates => Some(super::Kind::Cmdlet(Cmdlet::ExchangeCertificate)),
            TableKind::Braced(c) => Some(super::Kind::Cmdlet(c)),
            TableKind::Columns => None,
        };
        for (name, value) in cells {
            if value.is_empty() {
                // An empty cell: printed, and empty (a cut one was left out by the row's
                // reader).
                rec.empty.push(name);
            } else {
                rec.props.push(Prop {
                    name,
                    val: Val::Text(value),
                    line: line_no,
                    wrapped: false,
                });
            }
        }
        if rec.props.is_empty() {
            return true;
        }
        if let Some(a) = &annotation {
            self.note(
                line_no,
                format!(
                    "`{a}` after the subject is someone's annotation, not part of it; left out"
                ),
            );
        }
        let index = self.out.records.len();
        self.out.records.push(rec);
        self.saw(InputFormat::Table);
        if let Some(t) = &mut self.table {
            t.rows.push((index, line.chars().count()));
            t.annotated |= annotation.is_some();
        }
        true
    }

    /// The table ends. A certificate table whose every row (three or more) ends at the same
    /// column most likely had its subjects cut by the console's width without the `...`
    /// PowerShell normally prints (a forum's copy of a narrow console): a server's
    /// certificates rarely have subjects all of one length (the Auth certificate's alone is
    /// 45 characters). Those subjects are dropped with a note that shows them, so nothing
    /// compares a cut one as whole; when the guess is wrong, only the subjects are lost.
    fn end_table(&mut self) {
        let Some(table) = self.table.take() else {
            return;
        };
        if table.kind != TableKind::Certificates || table.rows.len() < 3 || table.annotated {
            return;
        }
        let width = table.rows[0].1;
        if table.rows.iter().any(|(_, w)| *w != width) {
            return;
        }
        let mut shown = Vec::new();
        for (index, _) in &table.rows {
            if let Some(rec) = self.out.records.get_mut(*index)
                && let Some(at) = rec
                    .props
                    .iter()
                    .position(|p| p.name.eq_ignore_ascii_case("Subject"))
            {
                let p = rec.props.remove(at);
                if let Val::Text(v) = p.val {
                    shown.push(format!("`{v}`"));
                }
            }
        }
        if shown.is_empty() {
            return;
        }
        let line = self
            .out
            .records
            .get(table.rows[0].0)
            .map_or(0, |r| r.origin.loc.line);
        self.note(
            line,
            format!(
                "every row of this table ends at column {width}: the console's width cut the \
                 Subject column without `...` ({}), so the subjects are not read",
                shown.join(", ")
            ),
        );
    }

    /// Tries the text from this line on as JSON; returns where the JSON ended. Only values
    /// that end a line count (`[1] see below` is prose, not an array).
    fn try_json(&mut self, pos: usize, line: &str, line_no: usize) -> Option<usize> {
        let trimmed = line.trim_start();
        if !(trimmed.starts_with('{') || trimmed.starts_with('['))
            || self.json_budget == 0
            || prompt(trimmed).is_some()
        {
            return None;
        }
        let indent = line.len() - trimmed.len();
        if let Some(b) = &self.cur {
            // Inside a record only a line at the left margin can start JSON, and never one
            // that may continue an open list.
            if indent > 0 || b.last.open > 0 {
                return None;
            }
        }
        let start = pos + indent;
        let slice = &self.text[start..];
        let ends_line = |at: usize| {
            let rest = &slice[at..];
            rest[..rest.find('\n').unwrap_or(rest.len())]
                .trim()
                .is_empty()
        };
        let mut stream = serde_json::Deserializer::from_str(slice).into_iter::<Value>();
        let mut values = Vec::new();
        let mut end = 0;
        let mut error = None;
        while let Some(item) = stream.next() {
            match item {
                Ok(v) if (v.is_object() || v.is_array()) && ends_line(stream.byte_offset()) => {
                    end = stream.byte_offset();
                    values.push(v);
                }
                Ok(_) => break,
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        // Every attempt pays for what it read, whether it fails, succeeds, or parses a value
        // that does not end its line (`[…] x`): a value that runs to the input's end and
        // fails there would otherwise be read again from every line inside it.
        let reached = match &error {
            Some(e) => offset_of(slice, e.line(), e.column()),
            None => stream.byte_offset(),
        };
        self.json_budget = self.json_budget.saturating_sub(reached.max(end));
        if values.is_empty() {
            self.json_failed(line_no, error);
            return None;
        }
        self.close();
        self.group += 1;
        let found = json::records(
            values,
            &slice[..end],
            line_no,
            self.input,
            &self.hint,
            self.group,
        );
        self.out.records.extend(found.records);
        self.out.notes.extend(found.notes);
        for f in found.formats {
            self.saw(f);
        }
        self.group += 1;
        Some(start + end)
    }
}

impl Scanner<'_> {
    /// A line that started like JSON was not (its reading is already charged): charge a
    /// little more, so many short failures run the budget out too; say why once, when it got
    /// past its first token (then it was meant as JSON).
    fn json_failed(&mut self, line_no: usize, error: Option<serde_json::Error>) {
        self.json_failures += 1;
        self.json_budget = self.json_budget.saturating_sub(1024);
        if let Some(e) = error
            && (e.line() > 1 || e.column() > 3)
            && !self.json_noted
        {
            self.json_noted = true;
            let at = line_no + e.line().saturating_sub(1);
            self.note(
                line_no,
                format!(
                    "this looks like JSON but is not valid JSON ({} at line {at}); read as \
                     text instead",
                    e.classify_message()
                ),
            );
        }
        if self.json_failures >= MAX_JSON_FAILURES || self.json_budget == 0 {
            self.json_budget = 0;
            self.note(
                line_no,
                "many lines here start like JSON but are not; no JSON is looked for after \
                 this one"
                    .to_string(),
            );
        }
    }
}

impl Building {
    fn should_split(&self, lname: &str, gap: usize) -> bool {
        if self.names.contains(lname) {
            return true;
        }
        if gap == 0 {
            return false;
        }
        if self.norm_gap.is_some_and(|n| gap > n) {
            return true;
        }
        // `RunspaceId` opens every object of a remote session (seed 001 cut it to
        // `unspaceId`).
        lname.ends_with("unspaceid") || lname == self.first
    }
}

/// serde_json's message without its position (we give ours).
trait Classify {
    fn classify_message(&self) -> String;
}

impl Classify for serde_json::Error {
    fn classify_message(&self) -> String {
        let full = self.to_string();
        match full.rfind(" at line ") {
            Some(i) => full[..i].to_string(),
            None => full,
        }
    }
}

/// The byte offset of 1-based `line`, `column` in `s` (clamped to its length).
fn offset_of(s: &str, line: usize, column: usize) -> usize {
    let mut off = 0;
    for _ in 1..line {
        match s[off..].find('\n') {
            Some(i) => off += i + 1,
            None => return s.len(),
        }
    }
    (off + column).min(s.len())
}

/// Five or more all-lower-case words: a sentence, not an Exchange value (a DN's words are
/// capitalised: `CN=Microsoft Exchange Server Auth Certificate`).
fn looks_like_prose(value: &str) -> bool {
    value
        .split_whitespace()
        .filter(|w| {
            let w = w.trim_end_matches([',', '.', '?', '!']);
            w.len() >= 2 && w.bytes().all(|b| b.is_ascii_lowercase())
        })
        .nth(4)
        .is_some()
}

/// The open-brace count after `segment`.
fn braces(mut open: usize, segment: &str) -> usize {
    for c in segment.chars() {
        match c {
            '{' => open += 1,
            '}' => open = open.saturating_sub(1),
            _ => {}
        }
    }
    open
}

/// `Name : Value` (padded or not); the name is an identifier, and the colon is followed by a
/// space or the end of the line (a known property name may also be followed directly by its
/// value, as forums sometimes eat that space; `https://…` is not a property).
fn prop_line(line: &str) -> Option<PropLine<'_>> {
    let (indent, name, after_name) = named(line)?;
    let rest = after_name
        .trim_start_matches([' ', '\t'])
        .strip_prefix(':')?;
    let value = if rest.is_empty() {
        rest
    } else if rest.starts_with([' ', '\t']) || typed::is_known(name) {
        rest.trim_start()
    } else {
        return None;
    };
    Some(PropLine::new(line, indent, name, value, false))
}

/// `Name = Value` with a space before the `=` and a space or the line's end after it (a
/// paste whose ` : ` were all replaced by ` = `). `key=value` is not one.
fn equals_line(line: &str) -> Option<PropLine<'_>> {
    let (indent, name, after_name) = named(line)?;
    let after = after_name.trim_start_matches([' ', '\t']);
    if after.len() == after_name.len() {
        return None;
    }
    let rest = after.strip_prefix('=')?;
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    Some(PropLine::new(line, indent, name, rest.trim_start(), true))
}

/// A line that starts, after its indent, with an identifier: the indent, the name and what
/// follows it.
fn named(line: &str) -> Option<(usize, &str, &str)> {
    let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
    let body = &line[indent..];
    if !body.as_bytes().first()?.is_ascii_alphabetic() {
        return None;
    }
    let name_len = body
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    Some((indent, &body[..name_len], &body[name_len..]))
}

impl<'l> PropLine<'l> {
    /// `value` is a suffix of `line`; an empty one sits past the line's end.
    fn new(line: &'l str, indent: usize, name: &'l str, value: &'l str, equals: bool) -> Self {
        let value_col = if value.is_empty() {
            line.len() + 1
        } else {
            line.len() - value.len()
        };
        PropLine {
            indent,
            name,
            value,
            value_col,
            equals,
        }
    }
}

/// A line of one of PowerShell's message streams (`Write-Verbose` and friends print these
/// prefixes), not output.
fn is_stream_message(trimmed: &str) -> bool {
    ["VERBOSE:", "WARNING:", "DEBUG:", "INFORMATION:"]
        .iter()
        .any(|p| trimmed.starts_with(p))
}

/// One word of name characters (`DomainSecureEnabl`).
fn is_identifier(s: &str) -> bool {
    s.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Shaped like a property name (`DomainSecur`), not like a word of prose (`Thanks`): a
/// capital letter after the first one.
fn is_camel_case(s: &str) -> bool {
    s.as_bytes().first().is_some_and(u8::is_ascii_uppercase)
        && s.bytes().skip(1).any(|b| b.is_ascii_uppercase())
}

/// The default table views known by their header alone: (header words, how rows are
/// read). Microsoft Learn, "Get-ExchangeCertificate", "Get-ReceiveConnector",
/// "Get-SendConnector" (the summary properties each prints without `| fl`).
const KNOWN_HEADERS: [(&[&str], TableKind); 3] = [
    (
        &["Thumbprint", "Services", "Subject"],
        TableKind::Certificates,
    ),
    (
        &["Identity", "Bindings", "Enabled"],
        TableKind::Braced(Cmdlet::ReceiveConnector),
    ),
    (
        &["Identity", "AddressSpaces", "Enabled"],
        TableKind::Braced(Cmdlet::SendConnector),
    ),
];

/// The longest line taken for a known header without its dash line.
const MAX_KNOWN_HEADER: usize = 512;

/// A table header: a known view's header (with or without its dash line), or any header
/// over a dash line with as many dash groups as header words. Also says whether the next
/// line is the dash line (to skip).
fn table_header(line: &str, following: &str) -> Option<(Table, bool)> {
    // Cheap refusals first: this runs on every line that is not a property.
    let dashes = following.trim_end();
    let dash_line = !dashes.is_empty() && dashes.chars().all(|c| c == '-' || c == ' ');
    // A known header is a few words (forums may pad it with spaces, never with more).
    let head = if line.len() <= MAX_KNOWN_HEADER {
        line
    } else {
        ""
    };
    let mut words = head.split_whitespace();
    let three = match (words.next(), words.next(), words.next(), words.next()) {
        (Some(a), Some(b), Some(c), None) => Some([a, b, c]),
        _ => None,
    };
    let known = three.and_then(|three| {
        KNOWN_HEADERS
            .iter()
            .find(|(known, _)| {
                known
                    .iter()
                    .zip(three)
                    .all(|(k, w)| k.eq_ignore_ascii_case(w))
            })
            .map(|(_, kind)| *kind)
    });
    if !dash_line && known.is_none() {
        return None;
    }
    let headers: Vec<&str> = line.split_whitespace().collect();
    let mut starts = Vec::new();
    if dash_line {
        let mut prev = ' ';
        for (i, c) in dashes.chars().enumerate() {
            if c == '-' && prev == ' ' {
                starts.push(i);
            }
            prev = c;
        }
    }
    let has_dashes = starts.len() >= 2 && headers.len() == starts.len();
    let columns: Vec<(usize, String)> = if has_dashes {
        starts
            .into_iter()
            .zip(&headers)
            .map(|(s, h)| (s, (*h).to_string()))
            .collect()
    } else {
        headers.iter().map(|h| (0, (*h).to_string())).collect()
    };
    let kind = match known {
        Some(kind) => kind,
        None if has_dashes
            && headers
                .iter()
                .all(|h| h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')) =>
        {
            TableKind::Columns
        }
        None => return None,
    };
    Some((
        Table {
            columns,
            kind,
            rows: Vec::new(),
            annotated: false,
        },
        has_dashes,
    ))
}

/// A certificate table row as read.
struct CertificateRow {
    cells: Vec<(String, String)>,
    /// Text cut off the subject's end (`<== the one to export`).
    annotation: Option<String>,
}

/// `<thumbprint>  IP.WS..  CN=…`: by token, so a forum's collapsed spacing still reads. The
/// services string is the anchor: the thumbprint before it may be redacted (`***`, `xxxx`)
/// and is checked when typed, never here. A marker before the row (`* `, `> `) is dropped,
/// and so is an annotation after the subject (`<== …`, `<-- …`): no DN holds a bare `<`.
fn certificate_row(line: &str) -> Option<CertificateRow> {
    let mut t = line.trim();
    if let Some((first, rest)) = t.split_once(char::is_whitespace)
        && (1..=3).contains(&first.len())
        && first.bytes().all(|b| b"*>-=+#".contains(&b))
    {
        t = rest.trim_start();
    }
    let (thumb, rest) = t.split_once(char::is_whitespace)?;
    let rest = rest.trim_start();
    let (services, subject) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    if !typed::is_services_string(services) || !looks_like_thumbprint(thumb) {
        return None;
    }
    let mut subject = subject.trim();
    let mut annotation = None;
    if let Some(at) = [" <=", " <-"].iter().filter_map(|m| subject.find(m)).min() {
        annotation = Some(subject[at..].trim().to_string());
        subject = subject[..at].trim_end();
    }
    let mut cells = vec![
        ("Thumbprint".to_string(), thumb.to_string()),
        ("Services".to_string(), services.to_string()),
    ];
    // Every certificate has a subject: none in the row means the console cut it off.
    if !subject.is_empty() {
        cells.push(("Subject".to_string(), subject.to_string()));
    }
    Some(CertificateRow { cells, annotation })
}

/// A thumbprint, or one redacted or cut by the poster (`8490765C***E2F4`, `yyyyyyyy…`): one
/// token of 16 to 48 letters, digits and the usual redaction marks.
fn looks_like_thumbprint(t: &str) -> bool {
    (16..=48).contains(&t.len())
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"*#?._-".contains(&b))
}

/// `SRV\Default Frontend SRV {[::]:25, 0.0.0.0:25} True`: everything before the `{` is the
/// identity (it may hold spaces), the `{…}` the list, `True`/`False` after it. A list the
/// table cut has no `}`: then the last word, when it is a boolean, is still the last column.
fn braced_row(line: &str, names: &[&str]) -> Option<Vec<(String, String)>> {
    let [identity_col, list_col, enabled_col] = names else {
        return None;
    };
    let t = line.trim();
    let open = t.find(" {")?;
    let identity = t[..open].trim();
    let after = &t[open + 1..];
    let (list, rest) = match after.find('}') {
        Some(close) => (&after[..=close], after[close + 1..].trim()),
        None => match after.rsplit_once(char::is_whitespace) {
            Some((l, r)) if is_boolean(r) => (l.trim_end(), r),
            _ => (after, ""),
        },
    };
    if identity.is_empty() || !(rest.is_empty() || is_boolean(rest)) {
        return None;
    }
    let mut cells = vec![
        ((*identity_col).to_string(), identity.to_string()),
        ((*list_col).to_string(), list.to_string()),
    ];
    // `Enabled` is always True or False: nothing after the list means the console cut it.
    if !rest.is_empty() {
        cells.push(((*enabled_col).to_string(), rest.to_string()));
    }
    Some(cells)
}

fn is_boolean(s: &str) -> bool {
    s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false")
}

/// Cells by the dash groups' start columns (in characters).
fn slice_row(line: &str, columns: &[(usize, String)]) -> Vec<(String, String)> {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let byte_at = |col: usize| chars.get(col).map_or(line.len(), |(b, _)| *b);
    columns
        .iter()
        .enumerate()
        .map(|(i, (start, name))| {
            let from = byte_at(*start);
            let to = columns.get(i + 1).map_or(line.len(), |(s, _)| byte_at(*s));
            let cell = line.get(from..to.max(from)).unwrap_or("").trim();
            (name.clone(), cell.to_string())
        })
        .collect()
}
