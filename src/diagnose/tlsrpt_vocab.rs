//! The TLS-RPT result types (RFC 8460 §4.3) findings correspond to: the words a sender's
//! daily TLS report uses for the same failure, so an owner can match a report line to a
//! finding (`tlsrpt_result` in each finding's JSON).
//!
//! Only failures a sender meets while delivering map to a type; findings about the report
//! itself, the probe, or health map to none.
//!
//! # References
//! - RFC 8460 §4.3 (result types), §4.3.1 (negotiation), §4.3.2 (policy), §4.3.3 (general)

use super::Code;

impl Code {
    /// The RFC 8460 §4.3 result type a sender would report for this finding, if any.
    pub fn tlsrpt_result(self) -> Option<&'static str> {
        Some(match self {
            // §4.3.1 negotiation failures.
            Code::StarttlsNotOffered | Code::StarttlsRejected => "starttls-not-supported",
            Code::CertNameMismatch | Code::CertCommonNameOnly => "certificate-host-mismatch",
            Code::CertExpired => "certificate-expired",
            Code::CertUntrusted | Code::CertSelfSigned | Code::CertChainIncomplete => {
                "certificate-not-trusted"
            }
            // §4.3.3: a failure not in the categories above.
            Code::TlsHandshakeFailed
            | Code::TlsLegacyOnly
            | Code::SmtpTlsSessionFailed
            | Code::CertNotYetValid
            | Code::CertNoServerAuth
            | Code::CertRevoked
            | Code::MtaStsMxMismatch => "validation-failure",
            // §4.3.2 policy failures: DANE.
            Code::DaneNoMatch | Code::DaneTlsaInvalid | Code::DaneRecordsUnusable => "tlsa-invalid",
            Code::DaneDnssecBogus | Code::DaneDnssecInvalid => "dnssec-invalid",
            // §4.3.2 policy failures: MTA-STS.
            Code::MtaStsPolicyFetchFailed => "sts-policy-fetch-error",
            Code::MtaStsPolicyInvalid | Code::MtaStsRecordInvalid => "sts-policy-invalid",
            Code::MtaStsPolicyCertificateInvalid => "sts-webpki-invalid",
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_is_in_rfc_8460_and_health_has_none() {
        const TYPES: &[&str] = &[
            "starttls-not-supported",
            "certificate-host-mismatch",
            "certificate-expired",
            "certificate-not-trusted",
            "validation-failure",
            "tlsa-invalid",
            "dnssec-invalid",
            "dane-required",
            "sts-policy-fetch-error",
            "sts-policy-invalid",
            "sts-webpki-invalid",
        ];
        for e in crate::diagnose::catalogue::CATALOGUE {
            if let Some(t) = e.code.tlsrpt_result() {
                assert!(TYPES.contains(&t), "{}: {t}", e.id);
            }
        }
        assert_eq!(Code::StarttlsOk.tlsrpt_result(), None);
        assert_eq!(Code::MtaStsOk.tlsrpt_result(), None);
        assert_eq!(
            Code::CertUntrusted.tlsrpt_result(),
            Some("certificate-not-trusted")
        );
        assert_eq!(
            Code::MtaStsPolicyCertificateInvalid.tlsrpt_result(),
            Some("sts-webpki-invalid")
        );
    }
}
