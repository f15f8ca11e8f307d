//! `--format json`: one document, always, even when everything failed, and even when the run
//! could not start (a usage error, a bad `--ca-file`): then [`error_document`].
//!
//! Every JSON text the crate writes comes from [`to_text`], whose formatter writes U+2028,
//! U+2029, every format character (Cf) and every control as a `\uXXXX` escape: valid JSON
//! allows them raw, but a raw one would reach whatever shows the document (a pager, an editor,
//! a JavaScript `eval` before ES2019) and hide or reorder the text around it.

use std::io;

use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};
use time::OffsetDateTime;

use super::{Report, Verdict};

/// Pretty-printed JSON with a trailing newline.
pub fn render(report: &Report) -> String {
    pretty(report)
}

/// Any document of the contract on one line, with a trailing newline: a JSON Lines record,
/// written directly rather than pretty-printed and then compacted (once per target of a
/// survey).
pub fn line(doc: &(impl serde::Serialize + ?Sized)) -> String {
    let mut s = to_text(doc, false).unwrap_or_else(|e| compact(&fallback(&e.to_string())));
    s.push('\n');
    s
}

/// Any document of the contract, pretty-printed with a trailing newline. Serialising plain
/// data structs cannot fail; a minimal document stands in anyway, so a CI consumer never gets
/// invalid JSON.
pub fn pretty(doc: &(impl serde::Serialize + ?Sized)) -> String {
    let mut s = to_text(doc, true).unwrap_or_else(|e| fallback(&e.to_string()));
    s.push('\n');
    s
}

/// A JSON document in the shape `format` asks for: pretty for `json`, one line for `jsonl`
/// (a log pipeline's record). The commands that have no page (explain, exchange-config)
/// refuse `html`, `nagios` and `prometheus` before they render; were one asked for, it would
/// get the pretty form.
pub fn shaped(format: super::Format, pretty: String) -> String {
    if format != super::Format::Jsonl {
        return pretty;
    }
    let mut line = compact(&pretty);
    line.push('\n');
    line
}

/// JSON text without the whitespace between tokens, keys kept in their order (a round trip
/// through `serde_json::Value` would sort them).
pub fn compact(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_ascii_whitespace() {
            out.push(c);
        }
    }
    out
}

fn fallback(error: &str) -> String {
    let error = to_text(&error, false).unwrap_or_else(|_| "\"\"".into());
    format!("{{\"schema_version\": 1, \"verdict\": \"unknown\", \"error\": {error}}}")
}

/// `doc` as JSON text, pretty-printed (two spaces) or on one line, through [`Visible`]: the
/// one serialiser of every JSON document the crate writes.
pub fn to_text(doc: &(impl serde::Serialize + ?Sized), pretty: bool) -> serde_json::Result<String> {
    let mut out = Vec::with_capacity(1024);
    if pretty {
        let mut ser =
            serde_json::Serializer::with_formatter(&mut out, Visible(PrettyFormatter::new()));
        doc.serialize(&mut ser)?;
    } else {
        let mut ser = serde_json::Serializer::with_formatter(&mut out, Visible(CompactFormatter));
        doc.serialize(&mut ser)?;
    }
    // The serializer writes only whole UTF-8 strings and ASCII.
    String::from_utf8(out).map_err(|e| serde_json::Error::io(io::Error::other(e)))
}

/// A serde_json formatter (compact or pretty) that also escapes what serde_json leaves raw:
/// every [`crate::text::is_hidden`] character (U+2028, U+2029, Cf, the C1 controls and DEL)
/// as `\uXXXX`, a surrogate pair above U+FFFF, as RFC 8259 §7 writes them. Parsed, the string
/// is the same; shown, nothing is invisible.
struct Visible<F>(F);

impl<F: Formatter> Formatter for Visible<F> {
    fn write_string_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if crate::text::is_hidden(c) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                let mut escaped = String::with_capacity(12);
                crate::text::push_json_escape(&mut escaped, c);
                writer.write_all(escaped.as_bytes())?;
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    // The layout is the inner formatter's: these are the methods PrettyFormatter overrides.
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// An error that stopped the run before any report: what the error document says.
#[derive(Debug, Clone)]
pub struct RunError {
    /// The targets as typed, normalised as a report names them; empty when none parsed.
    pub target: String,
    /// The message and the option at fault.
    pub detail: ErrorDetail,
    /// The command line asked for a batch (`--targets-file`, `--shard`, several targets):
    /// `--format json` then writes the batch document's shape, with no reports.
    pub batch: bool,
}

/// `error_detail` of the error document.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ErrorDetail {
    /// The message, one line, as `error` and stderr say it.
    pub message: String,
    /// The option at fault (`--timeout`, `-4`), or `null` (a bad or missing target, an error
    /// of the machine).
    pub option: Option<String>,
}

/// The error document: the report's own fields in the report's order (so a consumer reads it
/// like any report: verdict `unknown`, no MX, findings or endpoints, the error as the
/// headline's cause), then `error` (the message, as it always was) and `error_detail`.
#[derive(serde::Serialize)]
struct ErrorDocument<'a> {
    #[serde(flatten)]
    report: &'a Report,
    error: &'a str,
    error_detail: &'a ErrorDetail,
}

/// A batch's error document: the batch document's fields (no reports, verdict `unknown`),
/// then `error` and `error_detail`, so a consumer of batches reads one shape.
#[derive(serde::Serialize)]
struct BatchErrorDocument<'a> {
    #[serde(flatten)]
    batch: &'a super::batch::Document<'a>,
    error: &'a str,
    error_detail: &'a ErrorDetail,
}

/// The document written when the run could not start, made at `now`: a report's shape, or
/// for a batch asked for in `--format json`, a batch document's.
pub fn error_document(error: &RunError, now: OffsetDateTime) -> String {
    if error.batch {
        let mut batch = super::batch::Document::new(&[], now, None, 0, false);
        batch.verdict = Verdict::Unknown;
        let doc = BatchErrorDocument {
            batch: &batch,
            error: &error.detail.message,
            error_detail: &error.detail,
        };
        let mut s = to_text(&doc, true).unwrap_or_else(|_| fallback(&error.detail.message));
        s.push('\n');
        return s;
    }
    let message = &error.detail.message;
    let mut report = Report::new(
        error.target.clone(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        now,
    );
    report.verdict = Verdict::Unknown;
    let label = Verdict::Unknown.label();
    report.headline = if error.target.is_empty() {
        format!("{label}: {message}")
    } else {
        format!("{label} {}: {message}", error.target)
    };
    let doc = ErrorDocument {
        report: &report,
        error: message,
        error_detail: &error.detail,
    };
    pretty(&doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jsonl_line_keeps_key_order_and_every_string_byte() {
        let pretty = "{\n  \"b\": \"x  y\\\" }\",\n  \"a\": [\n    1,\n    2\n  ]\n}\n";
        let line = shaped(super::super::Format::Jsonl, pretty.to_string());
        assert_eq!(line, "{\"b\":\"x  y\\\" }\",\"a\":[1,2]}\n");
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            back,
            serde_json::from_str::<serde_json::Value>(pretty).unwrap()
        );
        assert_eq!(shaped(super::super::Format::Json, pretty.into()), pretty);
    }

    #[test]
    fn error_document_is_a_report_with_the_error() {
        let now = time::macros::datetime!(2026-03-01 12:00 UTC);
        let error = RunError {
            target: "mx.example".into(),
            detail: ErrorDetail {
                message: "invalid value '-1' for '--timeout <SECS>': -1 is out of range".into(),
                option: Some("--timeout".into()),
            },
            batch: false,
        };
        let doc = error_document(&error, now);
        let j: serde_json::Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(j["generated_at"], "2026-03-01T12:00:00Z");
        assert_eq!(
            j["headline"],
            "UNKNOWN mx.example: invalid value '-1' for '--timeout <SECS>': -1 is out of range"
        );
        assert_eq!(j["error"], j["error_detail"]["message"]);
        assert_eq!(j["error_detail"]["option"], "--timeout");
        assert!(doc.ends_with("}\n"));
        let untargeted = RunError {
            target: String::new(),
            detail: ErrorDetail {
                message: "no TARGET".into(),
                option: None,
            },
            batch: false,
        };
        let j: serde_json::Value = serde_json::from_str(&error_document(&untargeted, now)).unwrap();
        assert_eq!(j["headline"], "UNKNOWN: no TARGET");
        assert_eq!(j["target"], "");
        assert!(j["error_detail"]["option"].is_null());
        // A batch's: the batch document's fields, no reports, verdict unknown.
        let batch = RunError {
            batch: true,
            ..untargeted
        };
        let j: serde_json::Value = serde_json::from_str(&error_document(&batch, now)).unwrap();
        assert_eq!(j["verdict"], "unknown");
        assert_eq!(j["reports"], serde_json::json!([]));
        assert_eq!(j["counts"]["total"], 0);
        assert_eq!(j["error_detail"]["message"], "no TARGET");
        assert!(j.get("target").is_none());
    }
}
