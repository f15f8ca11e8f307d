//! The exit-code contract that CI pipelines and monitoring systems rely on.
//!
//! The codes follow the Nagios plugin convention so the binary can be dropped into an existing
//! monitoring system as a check command without a wrapper.

use crate::report::Verdict;

/// Every endpoint negotiated STARTTLS and nothing needs attention.
pub const PASS: u8 = 0;
/// Mail flows, but something needs attention soon (e.g. a certificate expiring within
/// `--warn-days`, or a greeting name that is not on the certificate).
pub const WARN: u8 = 1;
/// STARTTLS or the certificate is broken on at least one endpoint: senders that require TLS
/// (Exchange Online connectors, MTA-STS, DANE) will queue or bounce mail.
pub const FAIL: u8 = 2;
/// Nothing conclusive could be learned (temporary refusals, our own resolver failed), or the
/// command line was wrong.
pub const UNKNOWN: u8 = 3;

/// The exit code for a verdict.
pub fn for_verdict(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Pass => PASS,
        Verdict::Warn => WARN,
        Verdict::Fail => FAIL,
        Verdict::Unknown => UNKNOWN,
    }
}

/// The text shown under `--help` and in the README.
pub const HELP_TABLE: &str = "\
Exit codes (Nagios-compatible):
  0  pass     STARTTLS works and nothing needs attention
  1  warn     works, but something needs attention (e.g. a certificate expiring)
  2  fail     STARTTLS or the certificate is broken on at least one endpoint
  3  unknown  nothing conclusive could be learned, or a usage error";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_verdict_has_its_documented_code() {
        assert_eq!(for_verdict(Verdict::Pass), 0);
        assert_eq!(for_verdict(Verdict::Warn), 1);
        assert_eq!(for_verdict(Verdict::Fail), 2);
        assert_eq!(for_verdict(Verdict::Unknown), 3);
        for (code, word) in [(0, "pass"), (1, "warn"), (2, "fail"), (3, "unknown")] {
            assert!(HELP_TABLE.contains(&format!("{code}  {word}")));
        }
    }
}
