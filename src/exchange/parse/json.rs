//! JSON → records. Two kinds:
//!
//! * the collection script's (`"schema": "starttls-check.exchange/1"`, research note §4.2):
//!   sections `certificates`, `receiveConnectors`, `sendConnectors`, `hybridConfiguration`,
//!   `inboundConnectors`, `outboundConnectors`, `acceptedDomains`, `transportServices`,
//!   `rootStores`, each an array of objects (or one object) with the Exchange property names
//!   in camelCase; the section says the cmdlet;
//! * raw `ConvertTo-Json` of Exchange objects (an array, one object, PowerShell 5.1's
//!   `{"value":[…],"Count":n}` wrapper, or any object holding those): each object is
//!   recognised by its properties like a `fl` record.
//!
//! Values stay JSON ([`Val::Json`]); [`super::typed`] reads numeric enums,
//! `\/Date(ms)\/` and the object forms. Each record's line is the line its `{` is on, found by
//! a second, structural pass over the same text (serde_json keeps no positions).

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{Hint, Kind, Prop, Record, Val, typed};
use crate::exchange::model::{Cmdlet, InputFormat, Loc, Origin, ParseNote, Side};

/// What a run of JSON values held.
pub(super) struct Found {
    pub(super) records: Vec<Record>,
    pub(super) notes: Vec<ParseNote>,
    pub(super) formats: Vec<InputFormat>,
}

/// The schema tag of the collection script's output (any version is read as version 1).
const SCHEMA: &str = "starttls-check.exchange/";

/// How deep the search for Exchange objects goes inside a raw JSON value that is not one.
const MAX_WALK_DEPTH: usize = 4;

/// The script's sections and what they hold.
const SECTIONS: [(&str, Kind); 10] = [
    ("certificates", Kind::Cmdlet(Cmdlet::ExchangeCertificate)),
    ("receiveConnectors", Kind::Cmdlet(Cmdlet::ReceiveConnector)),
    ("sendConnectors", Kind::Cmdlet(Cmdlet::SendConnector)),
    (
        "hybridConfiguration",
        Kind::Cmdlet(Cmdlet::HybridConfiguration),
    ),
    (
        "hybridConfigurations",
        Kind::Cmdlet(Cmdlet::HybridConfiguration),
    ),
    ("inboundConnectors", Kind::Cmdlet(Cmdlet::InboundConnector)),
    (
        "outboundConnectors",
        Kind::Cmdlet(Cmdlet::OutboundConnector),
    ),
    ("acceptedDomains", Kind::Cmdlet(Cmdlet::AcceptedDomain)),
    ("transportServices", Kind::Cmdlet(Cmdlet::TransportService)),
    ("rootStores", Kind::RootStore),
];

/// The script's keys that are not sections.
const META: [&str; 5] = ["schema", "side", "collectedUtc", "version", "errors"];

/// The records in `values`, parsed from `src` (which starts on line `base_line`).
pub(super) fn records(
    values: Vec<Value>,
    src: &str,
    base_line: usize,
    input: usize,
    hint: &Hint,
    group: usize,
) -> Found {
    let lines = object_lines(src);
    let mut w = Walker {
        lines,
        base_line,
        input,
        hint,
        group,
        script_side: None,
        found: Found {
            records: Vec::new(),
            notes: Vec::new(),
            formats: Vec::new(),
        },
    };
    for (i, value) in values.into_iter().enumerate() {
        let path = vec![Seg::Index(i)];
        let before = w.found.records.len();
        let start = w.line(&path);
        let holds_object = contains_object(&value);
        match value {
            Value::Object(map) if is_script(&map) => w.script(map, &path),
            other => w.walk(other, &path, 0),
        }
        if w.found.records.len() == before && holds_object {
            let line = if start == 0 { base_line } else { start };
            w.note(
                line,
                "this JSON holds no Exchange object this check reads".to_string(),
            );
        }
    }
    w.found
}

/// `{…}`, or an array with an object in it (`[1]` on a line of prose is no export).
fn contains_object(v: &Value) -> bool {
    match v {
        Value::Object(_) => true,
        Value::Array(items) => items.iter().any(|i| i.is_object() || i.is_array()),
        _ => false,
    }
}

fn is_script(map: &Map<String, Value>) -> bool {
    get(map, "schema")
        .and_then(Value::as_str)
        .is_some_and(|s| s.starts_with(SCHEMA))
}

/// A member (case-insensitive: the script writes camelCase, PowerShell PascalCase).
pub(super) fn get<'m>(map: &'m Map<String, Value>, key: &str) -> Option<&'m Value> {
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// A step in a JSON document: a member or an array index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Seg {
    Key(String),
    Index(usize),
}

struct Walker<'h> {
    /// Path of an object → its 1-based line within the JSON text.
    lines: HashMap<Vec<Seg>, usize>,
    base_line: usize,
    input: usize,
    hint: &'h Hint,
    group: usize,
    /// The script's `side` (`onprem`, `online`), for the script's records.
    script_side: Option<Side>,
    found: Found,
}

impl Walker<'_> {
    /// The absolute line of the object at `path`, or 0.
    fn line(&self, path: &[Seg]) -> usize {
        self.lines
            .get(path)
            .map_or(0, |l| self.base_line + l.saturating_sub(1))
    }

    fn note(&mut self, line: usize, message: String) {
        self.found.notes.push(ParseNote {
            loc: Loc {
                input: self.input,
                line,
            },
            message,
        });
    }

    fn saw(&mut self, format: InputFormat) {
        if !self.found.formats.contains(&format) {
            self.found.formats.push(format);
        }
    }

    fn script(&mut self, map: Map<String, Value>, path: &[Seg]) {
        self.saw(InputFormat::ScriptJson);
        let top = self.line(path);
        if let Some(schema) = get(&map, "schema").and_then(Value::as_str)
            && schema != "starttls-check.exchange/1"
        {
            let message = format!("schema `{schema}` is newer than this parser; read as /1");
            self.note(top, message);
        }
        // The script runs in one shell and says which (research note §4.2): `onprem` in the
        // Exchange Management Shell, `online` in Exchange Online PowerShell.
        self.script_side = match get(&map, "side") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.eq_ignore_ascii_case("onprem") => Some(Side::OnPremises),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("online") => Some(Side::Online),
            Some(other) => {
                let message = format!(
                    "`side` is {other}, neither \"onprem\" nor \"online\": which side its \
                     accepted domains came from is not known"
                );
                self.note(top, message);
                None
            }
        };
        for (key, value) in map {
            let Some((_, kind)) = SECTIONS
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(&key))
            else {
                if !META.iter().any(|m| m.eq_ignore_ascii_case(&key)) {
                    self.note(top, format!("section `{key}` is not one this check reads"));
                }
                continue;
            };
            let kind = *kind;
            let mut sub = path.to_vec();
            sub.push(Seg::Key(key));
            match value {
                Value::Array(items) => {
                    for (i, item) in items.into_iter().enumerate() {
                        let mut at = sub.clone();
                        at.push(Seg::Index(i));
                        if let Value::Object(obj) = item {
                            self.record(obj, &at, Some(kind), InputFormat::ScriptJson);
                        }
                    }
                }
                Value::Object(obj) => self.record(obj, &sub, Some(kind), InputFormat::ScriptJson),
                _ => {}
            }
        }
    }

    /// Raw `ConvertTo-Json`: every object recognised by its properties; others searched
    /// (a `{"value":[…]}` wrapper, a hashtable of outputs) a few levels down.
    fn walk(&mut self, value: Value, path: &[Seg], depth: usize) {
        match value {
            Value::Array(items) => {
                for (i, item) in items.into_iter().enumerate() {
                    let mut at = path.to_vec();
                    at.push(Seg::Index(i));
                    self.walk(item, &at, depth + 1);
                }
            }
            Value::Object(map) => {
                let kind = typed::recognise_keys(map.keys().map(String::as_str), self.hint);
                if let Some(kind) = kind {
                    self.record(map, path, Some(Kind::Cmdlet(kind)), InputFormat::RawJson);
                } else if depth < MAX_WALK_DEPTH {
                    for (key, child) in map {
                        if child.is_object() || child.is_array() {
                            let mut at = path.to_vec();
                            at.push(Seg::Key(key));
                            self.walk(child, &at, depth + 1);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn record(
        &mut self,
        map: Map<String, Value>,
        path: &[Seg],
        kind: Option<Kind>,
        format: InputFormat,
    ) {
        self.saw(format);
        let line = self.line(path);
        let origin = Origin {
            loc: Loc {
                input: self.input,
                line,
            },
            format,
        };
        let mut rec = Record::new(origin, self.hint.clone(), self.group);
        rec.kind = kind;
        if format == InputFormat::ScriptJson {
            // The script writes every property of every object, `null` when empty.
            rec.complete = true;
            rec.hint.side = self.script_side;
        }
        rec.props = map
            .into_iter()
            .map(|(name, v)| Prop {
                name,
                val: Val::Json(v),
                line,
                wrapped: false,
            })
            .collect();
        self.found.records.push(rec);
    }
}

/// Objects this deep or deeper get no line (nobody needs the line of an `AccessRule`).
const MAX_LINE_DEPTH: usize = 5;
/// At most this many objects get a line (bounds the map on a huge array of objects).
const MAX_LINE_ENTRIES: usize = 200_000;

/// The 1-based line of each object's `{` in `src` (a run of JSON values, already known to
/// parse), by path. Keys are taken as written between the quotes: a key with escapes just
/// gets no line.
fn object_lines(src: &str) -> HashMap<Vec<Seg>, usize> {
    let mut scan = LineScan {
        src,
        map: HashMap::new(),
        stack: Vec::new(),
        top: 0,
        line: 1,
        in_string: false,
        escaped: false,
        key_start: None,
    };
    for (i, b) in src.bytes().enumerate() {
        if b == b'\n' {
            scan.line += 1;
        }
        if scan.in_string {
            scan.string_byte(i, b);
        } else {
            scan.structural_byte(i, b);
        }
    }
    scan.map
}

/// An object or array [`object_lines`] is inside.
struct Frame {
    object: bool,
    key: Option<String>,
    index: usize,
    want_key: bool,
}

/// Where [`object_lines`] is in its byte-by-byte scan of `src`, and what it found so far.
struct LineScan<'s> {
    src: &'s str,
    map: HashMap<Vec<Seg>, usize>,
    stack: Vec<Frame>,
    top: usize,
    line: usize,
    in_string: bool,
    escaped: bool,
    key_start: Option<usize>,
}

impl LineScan<'_> {
    /// Byte `b` at `i`, inside a string: watches for its end, which ends a key too.
    fn string_byte(&mut self, i: usize, b: u8) {
        if self.escaped {
            self.escaped = false;
        } else if b == b'\\' {
            self.escaped = true;
        } else if b == b'"' {
            self.in_string = false;
            if let (Some(start), Some(frame)) = (self.key_start.take(), self.stack.last_mut()) {
                frame.key = self.src.get(start..i).map(str::to_string);
            }
        }
    }

    /// Byte `b` at `i`, outside any string.
    fn structural_byte(&mut self, i: usize, b: u8) {
        match b {
            b'"' => {
                self.in_string = true;
                if self.stack.last().is_some_and(|f| f.object && f.want_key) {
                    self.key_start = Some(i + 1);
                }
            }
            b'{' | b'[' => self.open(b),
            b'}' | b']' => {
                self.stack.pop();
                if self.stack.is_empty() {
                    self.top += 1;
                }
            }
            b',' => {
                if let Some(f) = self.stack.last_mut() {
                    if f.object {
                        f.want_key = true;
                        f.key = None;
                    } else {
                        f.index += 1;
                    }
                }
            }
            b':' => {
                if let Some(f) = self.stack.last_mut() {
                    f.want_key = false;
                }
            }
            _ => {}
        }
    }

    /// A `{` or `[` (`b`): records the line of an object, within the limits, by its path.
    fn open(&mut self, b: u8) {
        if b == b'{' && self.stack.len() < MAX_LINE_DEPTH && self.map.len() < MAX_LINE_ENTRIES {
            let mut path = vec![Seg::Index(self.top)];
            for f in &self.stack {
                path.push(if f.object {
                    Seg::Key(f.key.clone().unwrap_or_default())
                } else {
                    Seg::Index(f.index)
                });
            }
            self.map.insert(path, self.line);
        }
        self.stack.push(Frame {
            object: b == b'{',
            key: None,
            index: 0,
            want_key: b == b'{',
        });
    }
}
