//! The `listen` report: every sender's session with its findings, in the human, Markdown and
//! JSON formats (JSON: `mode: "listen"` and a `sessions` array, `docs/report.schema.json`).
