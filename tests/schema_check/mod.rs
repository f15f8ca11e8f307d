//! docs/report.schema.json compiled once per test process (boon, JSON Schema 2020-12), for the
//! tests that validate the program's real output against it (tests/schema.rs,
//! tests/redact.rs). Compiling also checks the schema itself against the 2020-12 metaschema.

#![allow(dead_code, clippy::unwrap_used)]

use std::sync::OnceLock;

use serde_json::Value;

/// Where the schema lives, from the crate root.
pub const SCHEMA_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/report.schema.json");

/// The schema as JSON.
pub fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let text = std::fs::read_to_string(SCHEMA_PATH)
            .unwrap_or_else(|e| panic!("cannot read {SCHEMA_PATH}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{SCHEMA_PATH} is not JSON: {e}"))
    })
}

struct Compiled {
    schemas: boon::Schemas,
    root: boon::SchemaIndex,
}

fn compiled() -> &'static Compiled {
    static COMPILED: OnceLock<Compiled> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler.set_default_draft(boon::Draft::V2020_12);
        // `format: date-time` is checked too, not only annotated.
        compiler.enable_format_assertions();
        let id = schema()["$id"].as_str().unwrap().to_string();
        compiler.add_resource(&id, schema().clone()).unwrap();
        let root = compiler
            .compile(&id, &mut schemas)
            .unwrap_or_else(|e| panic!("{SCHEMA_PATH} does not compile: {e:#}"));
        Compiled { schemas, root }
    })
}

/// Why `doc` is not a document of the schema, or `None` when it is.
pub fn violation(doc: &Value) -> Option<String> {
    let c = compiled();
    c.schemas
        .validate(doc, c.root)
        .err()
        .map(|e| format!("{e}"))
}

/// Panics, naming `what` and the schema's complaint, unless `doc` is valid.
#[track_caller]
pub fn assert_valid(doc: &Value, what: &str) {
    if let Some(why) = violation(doc) {
        let shown = serde_json::to_string_pretty(doc).unwrap();
        if let Some(path) = std::env::var_os("STARTTLS_CHECK_DUMP") {
            std::fs::write(path, &shown).unwrap();
        }
        let cut: String = shown.chars().take(6000).collect();
        panic!(
            "{what}: the output does not match docs/report.schema.json:\n{why}\n--- document ---\n{cut}"
        );
    }
}

/// Parses `text` as one JSON document and validates it.
#[track_caller]
pub fn assert_valid_text(text: &str, what: &str) -> Value {
    let doc: Value = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("{what}: not one JSON document ({e}):\n{text}"));
    assert_valid(&doc, what);
    doc
}

/// Validates every line of JSON Lines output; returns the documents.
#[track_caller]
pub fn assert_valid_lines(text: &str, what: &str) -> Vec<Value> {
    assert!(!text.trim().is_empty(), "{what}: no JSON line at all");
    text.lines()
        .enumerate()
        .map(|(i, line)| assert_valid_text(line, &format!("{what}, line {}", i + 1)))
        .collect()
}
