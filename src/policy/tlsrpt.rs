//! TLS-RPT (RFC 8460): the `_smtp._tls` TXT record, and the result-type vocabulary
//! (`starttls-not-supported`, `certificate-expired`, …) findings are named in.

use super::DomainPolicy;

/// TLS-RPT for the report's `policy` object.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TlsRptReport {}

/// `p`'s TLS-RPT, for the report, when it was looked up.
pub fn report(p: &DomainPolicy) -> Option<TlsRptReport> {
    p.tlsrpt.as_ref().map(|_| TlsRptReport {})
}
