//! Input → [`Config`]: decode (BOM, UTF-16LE/BE, UTF-8, Windows-1252), tell the format
//! (`Format-List`, table view, the collection script's JSON, raw `ConvertTo-Json`), split
//! into records, recognise each record's cmdlet by its properties, and type the values,
//! recording what is uncertain (cut lists, wrapped values, ambiguous dates, unknown server).
//!
//! The stages, one file each: [`decode`] (bytes → text; [`html`] takes the markup off a web
//! page's source), [`text`] (text → records: `fl` lists, table views, prompt lines read by
//! [`command`], and any JSON in between, handed to [`json`]), [`typed`] (records → the
//! model, after [`merge`] folds a table row into the list entry of the same object, with the
//! date order settled per output by [`dates`]), then [`servers`] (which server a certificate
//! list came from, and whether it is the server's whole list).
//!
//! Never panics, whatever the bytes (fuzzed in the tests). Work is linear in the input: every
//! line is looked at a bounded number of times, and JSON attempts inside text have a budget.

mod b64;
mod command;
mod dates;
mod decode;
mod html;
mod json;
mod merge;
mod servers;
mod text;
mod typed;

#[cfg(test)]
mod forum_tests;
#[cfg(test)]
mod listing_tests;
#[cfg(test)]
mod tests;

use super::model::{Cmdlet, Config, InputFormat, InputInfo, Loc, Origin, ParseNote, Side};
use super::{ParseOptions, RawInput};

/// Everything recognised in `inputs`: one [`InputInfo`] per input (same order), the typed
/// objects, and a [`ParseNote`] for what was skipped or is doubtful.
///
/// After all inputs are read, certificates that name no server get `--server`
/// ([`ServerName::Given`](super::model::ServerName::Given)), else the one server the paste
/// names anywhere ([`ServerName::Assumed`](super::model::ServerName::Assumed)), else none;
/// then a server's only certificate, pasted without the command that listed it, is taken as
/// an excerpt (`from_filtered_list`).
pub fn parse(inputs: &[RawInput], opts: &ParseOptions) -> Config {
    let mut config = Config::default();
    // Per certificate: no command line says it came from a whole `Get-ExchangeCertificate`
    // listing (see `servers::excerpts`).
    let mut unlisted = Vec::new();
    for (index, input) in inputs.iter().enumerate() {
        let (mut text, encoding) = decode::decode(&input.bytes);
        let first_note = config.notes.len();
        if let Some(plain) = html::strip(&text) {
            text = plain;
            config.notes.push(ParseNote {
                loc: Loc {
                    input: index,
                    line: 0,
                },
                message: "this input is HTML (a web page's source): its tags were removed and \
                          entities such as `&gt;` decoded before it was read; what the page's \
                          markup changed in the values cannot be told"
                    .to_string(),
            });
        }
        let scan = text::scan(&text, index);
        config.inputs.push(InputInfo {
            name: input.name.clone(),
            encoding: encoding.to_string(),
            truncated: input.truncated,
            formats: scan.formats,
        });
        config.notes.extend(scan.notes);
        typed::build(scan.records, &mut config, &mut unlisted);
        tidy_notes(&mut config.notes, first_note, index);
    }
    servers::resolve(&mut config, opts);
    servers::excerpts(&mut config, &unlisted);
    config
}

/// The most notes kept per input: past that, a broken paste says the same thing again.
const MAX_NOTES_PER_INPUT: usize = 100;

/// Orders one input's notes (from `first` on) by line, and keeps the first
/// [`MAX_NOTES_PER_INPUT`], saying how many more there were.
fn tidy_notes(notes: &mut Vec<ParseNote>, first: usize, input: usize) {
    notes[first..].sort_by_key(|n| n.loc.line);
    let count = notes.len() - first;
    if count > MAX_NOTES_PER_INPUT {
        notes.truncate(first + MAX_NOTES_PER_INPUT);
        notes.push(ParseNote {
            loc: Loc { input, line: 0 },
            message: format!(
                "{} more notes about this input are not shown",
                count - MAX_NOTES_PER_INPUT
            ),
        });
    }
}

/// A property value before typing: `fl` and table text as printed, or a JSON value as
/// written (typed per property later, because `31`, `"Tls, Integrated"` and `["Tls"]` all
/// mean flags for `AuthMechanism`).
#[derive(Debug, Clone, PartialEq)]
enum Val {
    /// Text as printed (continuation lines joined with one space).
    Text(String),
    /// A JSON value.
    Json(serde_json::Value),
}

/// One `Name : Value` (or JSON member, or table cell).
#[derive(Debug, Clone, PartialEq)]
struct Prop {
    /// The property name as written.
    name: String,
    /// The value.
    val: Val,
    /// The 1-based line of the value (for JSON: of the object, or 0).
    line: usize,
    /// Continuation lines were joined into it.
    wrapped: bool,
}

/// What a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The output of a cmdlet.
    Cmdlet(Cmdlet),
    /// A root-store entry of the collection script.
    RootStore,
}

/// What a prompt line (`[PS] C:\>Get-ExchangeCertificate -Server EX01 | fl`) said about the
/// records after it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Hint {
    /// The 1-based line of the prompt or command line; 0 when no command line came before.
    line: usize,
    /// The cmdlet it ran.
    cmdlet: Option<Cmdlet>,
    /// Its `-Server` argument.
    server: Option<String>,
    /// How the command narrowed its output, by PowerShell's names for it (`-Thumbprint`,
    /// `Where-Object`, `Select-Object -First`): the objects printed are not all there are.
    filter: Option<String>,
    /// The property list it printed (`| fl Identity,Fqdn`), when it named one; for a note
    /// only: what a record printed is read from the record itself.
    properties: Option<Vec<String>>,
    /// Which side of a hybrid the records came from, when the prompt makes it plain (the
    /// Exchange Management Shell's `[PS]`), or the collection script's `side` says.
    side: Option<Side>,
}

/// One object as read, before typing.
#[derive(Debug, Clone, PartialEq)]
struct Record {
    /// Its properties, in the order read.
    props: Vec<Prop>,
    /// Where it starts and how it was written.
    origin: Origin,
    /// Known from the input's structure (the script's sections); else recognised later.
    kind: Option<Kind>,
    /// The prompt line before it.
    hint: Hint,
    /// Records of one output (between prompt lines, in one input) share a date order.
    group: usize,
    /// Printed with ` = ` where `Format-List` prints ` : ` (a search and replace): a `=` in
    /// a value may have been a `:` (`00=00=22`), so such values are not read.
    equals: bool,
    /// Properties printed with nothing in them that are not in `props` (a table's empty
    /// cells): printed, and empty.
    empty: Vec<String>,
    /// Every property was written, whether in `props` or not (the collection script's JSON).
    complete: bool,
}

impl Record {
    fn new(origin: Origin, hint: Hint, group: usize) -> Record {
        Record {
            props: Vec::new(),
            origin,
            kind: None,
            hint,
            group,
            equals: false,
            empty: Vec::new(),
            complete: false,
        }
    }

    fn format(&self) -> InputFormat {
        self.origin.format
    }
}
