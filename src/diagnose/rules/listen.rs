//! The rules of receiver mode (`listen`): what one sender's session shows, as findings with
//! fixes for the sender's side (Exchange send connectors, Postfix `smtp_tls_*`).
//!
//! # References
//! - RFC 3207 §4 (STARTTLS announced in EHLO), §4.2 (EHLO again after TLS), §5 (pipelining)
//! - RFC 8996 (TLS 1.0/1.1 deprecated), RFC 8446 §4.4.2 (the client's Certificate)
//! - RFC 5280 §4.2.1.12 (EKU), RFC 6125 §6.4 (names)

use time::OffsetDateTime;

use crate::diagnose::Finding;
use crate::listen::model::{ListenRun, SenderSession};

/// The findings about one sender's session. `expect`: `--expect-name`.
pub fn session_findings(
    session: &SenderSession,
    expect: &[String],
    now: OffsetDateTime,
) -> Vec<Finding> {
    let _ = (session, expect, now);
    Vec::new()
}

/// The findings about the run as a whole (`listen-no-sender`).
pub fn run_findings(run: &ListenRun) -> Vec<Finding> {
    let _ = run;
    Vec::new()
}
