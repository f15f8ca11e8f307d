//! The finding: a code from the catalogue, a severity, evidence and a fix.

use super::{Code, Fix};
use crate::model::EndpointId;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// For the record; nothing to do.
    Info,
    /// Needs attention; mail still flows.
    Warn,
    /// Broken: TLS-requiring senders will queue or bounce.
    Fail,
}

impl Severity {
    /// `INFO`, `WARN`, `FAIL`.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "INFO",
            Severity::Warn => "WARN",
            Severity::Fail => "FAIL",
        }
    }
}

/// One diagnosed problem (or the healthy summary), with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// Stable code; the JSON writes it with its TLS-RPT result type (`tlsrpt_result`).
    #[serde(flatten, serialize_with = "code_and_tlsrpt")]
    pub code: Code,
    /// How bad.
    pub severity: Severity,
    /// The endpoint (`mail.contoso.com [203.0.113.5]:25`) or host it concerns; for a finding
    /// shared by several endpoints, a summary such as `all 4 endpoints`.
    pub endpoint: String,
    /// Every endpoint it concerns (empty for DNS and local findings), written as labels.
    pub endpoints: Vec<EndpointId>,
    /// One line a human reads first.
    pub summary: String,
    /// The facts that triggered it (server text escaped).
    pub evidence: Vec<String>,
    /// What the admin should do, in the server's own language when it is known: JSON's
    /// `fix` (plain text) and `steps`.
    #[serde(flatten)]
    pub fix: Fix,
}

impl Finding {
    /// A finding about `endpoint` (a label or a group), concerning the endpoints `endpoints`.
    pub fn new(
        code: Code,
        severity: Severity,
        endpoint: String,
        endpoints: Vec<EndpointId>,
        summary: String,
        evidence: Vec<String>,
        fix: Fix,
    ) -> Self {
        Finding {
            code,
            severity,
            endpoint,
            endpoints,
            summary,
            evidence,
            fix,
        }
    }
}

/// `"code": "cert-expired", "tlsrpt_result": "certificate-expired"` (null when none): the
/// result type is derived from the code, so no constructor has to fill it in.
fn code_and_tlsrpt<S: serde::Serializer>(code: &Code, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(2))?;
    m.serialize_entry("code", code)?;
    m.serialize_entry("tlsrpt_result", &code.tlsrpt_result())?;
    m.end()
}
