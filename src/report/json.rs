//! `--format json`: one document, always, even when everything failed.

use super::Report;

/// Pretty-printed JSON with a trailing newline.
pub fn render(report: &Report) -> String {
    // Serialising plain data structs cannot fail; fall back to a minimal document anyway so a
    // CI consumer never gets invalid JSON.
    let mut s = serde_json::to_string_pretty(report).unwrap_or_else(|e| {
        format!(
            "{{\"schema_version\": 1, \"verdict\": \"unknown\", \"error\": {}}}",
            serde_json::Value::String(e.to_string())
        )
    });
    s.push('\n');
    s
}

/// The document written when the run could not start (a bad --ca-file, say): the same
/// envelope, verdict `unknown`, and the error.
pub fn error_document(error: &str) -> String {
    let doc = serde_json::json!({
        "schema_version": 1,
        "tool": { "name": env!("CARGO_PKG_NAME"), "version": env!("CARGO_PKG_VERSION") },
        "verdict": "unknown",
        "error": error,
        "mx": [],
        "findings": [],
        "endpoints": [],
    });
    format!("{doc:#}\n")
}
