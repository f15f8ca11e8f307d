//! The finding catalogue: one entry per code, the single place a code is described.
//!
//! Everything a user can learn about a code comes from here: its default severity, its rank
//! (causes before symptoms, explicit rather than a list position), whether it leaves the
//! verdict unknown, a one-line meaning (the README table), a longer explanation with common
//! causes, the references it rests on, and the error strings senders log for it (what
//! `explain` matches a pasted NDR against). `docs/findings.md` and the README's code table are
//! generated from it (`STARTTLS_CHECK_BLESS=1 cargo test --test docs`).
//!
//! Codes are part of the JSON contract: never renamed, never reused.

use super::Severity;

/// A stable, kebab-case finding code: part of the JSON contract, never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// `dns-nxdomain`: the domain or host name does not exist.
    DnsNxdomain,
    /// `dns-null-mx`: null MX.
    DnsNullMx,
    /// `dns-mx-no-address`: every MX host lacks an address.
    DnsMxNoAddress,
    /// `dns-mx-invalid`: mX to an IP literal or an alias.
    DnsMxInvalid,
    /// `dns-no-address`: the host name has no A/AAAA record (of the family asked for).
    DnsNoAddress,
    /// `dns-no-mx`: no MX: implicit MX.
    DnsNoMx,
    /// `dns-lookup-failed`: our resolver failed.
    DnsLookupFailed,
    /// `endpoints-capped`: caps cut the endpoint list.
    EndpointsCapped,
    /// `local-trust-store-missing`: our own trust store is missing.
    LocalTrustStoreMissing,
    /// `probe-deadline-exceeded`: the run's deadline ran out.
    ProbeDeadlineExceeded,
    /// `connect-refused`: tCP RST.
    ConnectRefused,
    /// `connect-timeout`: no answer to SYN.
    ConnectTimeout,
    /// `connect-failed`: other socket error.
    ConnectFailed,
    /// `banner-timeout`: no greeting.
    BannerTimeout,
    /// `smtp-connection-closed`: the server hung up.
    SmtpConnectionClosed,
    /// `smtp-protocol-error`: not SMTP.
    SmtpProtocolError,
    /// `smtp-timeout`: a command went unanswered.
    SmtpTimeout,
    /// `smtp-rejected`: 5xx at banner or EHLO.
    SmtpRejected,
    /// `smtp-temporary-refusal`: 4xx before TLS.
    SmtpTemporaryRefusal,
    /// `smtp-no-esmtp`: eHLO refused, HELO accepted.
    SmtpNoEsmtp,
    /// `starttls-port-mismatch`: sTARTTLS on one port of a host, not on another.
    StarttlsPortMismatch,
    /// `starttls-not-offered`: sTARTTLS missing from EHLO.
    StarttlsNotOffered,
    /// `starttls-rejected`: sTARTTLS answered with something other than 220.
    StarttlsRejected,
    /// `starttls-injection`: bytes between the 220 and the handshake.
    StarttlsInjection,
    /// `tls-handshake-failed`: the handshake failed.
    TlsHandshakeFailed,
    /// `smtp-tls-session-failed`: eHLO over TLS failed.
    SmtpTlsSessionFailed,
    /// `cert-expired`: notAfter is past.
    CertExpired,
    /// `cert-not-yet-valid`: notBefore is in the future.
    CertNotYetValid,
    /// `cert-expires-soon`: inside --warn-days / --fail-days.
    CertExpiresSoon,
    /// `cert-self-signed`: self-signed leaf.
    CertSelfSigned,
    /// `cert-untrusted`: chain does not lead to a trusted root.
    CertUntrusted,
    /// `cert-chain-incomplete`: intermediate missing.
    CertChainIncomplete,
    /// `cert-name-mismatch`: host name not covered.
    CertNameMismatch,
    /// `cert-name-not-checked`: iP target: no name to check.
    CertNameNotChecked,
    /// `cert-ehlo-name-mismatch`: eHLO greeting name not covered.
    CertEhloNameMismatch,
    /// `cert-expected-name-mismatch`: --expect-name not covered.
    CertExpectedNameMismatch,
    /// `cert-common-name-only`: cN-only certificate.
    CertCommonNameOnly,
    /// `cert-weak-key`: weak key.
    CertWeakKey,
    /// `cert-weak-signature`: sHA-1/MD5.
    CertWeakSignature,
    /// `cert-no-server-auth`: eKU without serverAuth.
    CertNoServerAuth,
    /// `endpoints-inconsistent`: endpoints of one MX host or domain disagree.
    EndpointsInconsistent,
    /// `starttls-ok`: all good.
    StarttlsOk,
}

/// What the catalogue knows about one code.
#[derive(Debug)]
pub struct Entry {
    /// The code this entry describes (`CATALOGUE[code as usize]`).
    pub code: Code,
    /// The code as written in reports and JSON (`cert-expired`).
    pub id: &'static str,
    /// The severity the code usually carries (some rules raise or lower it, and say why).
    pub severity: Severity,
    /// Findings of equal severity are listed by rank, lowest first: a cause (DNS, connect,
    /// a middlebox) before the symptom it explains. Unique per code.
    pub rank: u16,
    /// The finding says nothing about TLS: without a failure elsewhere the verdict is
    /// `unknown`, not `pass` or `warn`.
    pub inconclusive: bool,
    /// One line: what the code means (the README table).
    pub meaning: &'static str,
    /// What it means in more words, and its common causes in the field.
    pub explanation: &'static str,
    /// The standards and vendor documents behind the rule and its fixes (`RFC 3207 §4`,
    /// a Microsoft Learn article's title).
    pub references: &'static [&'static str],
    /// Error strings senders and logs show for this problem (`450 4.7.320 …`, `4.4.316`).
    pub sender_strings: &'static [&'static str],
}

/// Every code, in declaration order (`CATALOGUE[i].code as usize == i`).
pub const CATALOGUE: &[Entry] = &[
    Entry {
        code: Code::DnsNxdomain,
        id: "dns-nxdomain",
        severity: Severity::Fail,
        rank: 10,
        inconclusive: false,
        meaning: "the domain or host name does not exist in DNS (NXDOMAIN)",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::DnsNullMx,
        id: "dns-null-mx",
        severity: Severity::Info,
        rank: 20,
        inconclusive: false,
        meaning: "the domain publishes a null MX (RFC 7505 `MX 0 .`): it accepts no mail, so there is nothing to probe",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::DnsMxNoAddress,
        id: "dns-mx-no-address",
        severity: Severity::Fail,
        rank: 30,
        inconclusive: false,
        meaning: "an MX host has no A/AAAA record: senders cannot deliver through it",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::DnsMxInvalid,
        id: "dns-mx-invalid",
        severity: Severity::Warn,
        rank: 40,
        inconclusive: false,
        meaning: "an MX record names an IP address or a CNAME instead of a host name (RFC 5321 §5.1, RFC 2181 §10.3); fail when no valid MX is left",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::DnsNoAddress,
        id: "dns-no-address",
        severity: Severity::Fail,
        rank: 50,
        inconclusive: false,
        meaning: "the host name has no A/AAAA record (fail); under -4/-6, none of that family (warn: unreachable over it)",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::DnsNoMx,
        id: "dns-no-mx",
        severity: Severity::Info,
        rank: 60,
        inconclusive: false,
        meaning: "the domain has no MX record, so its own A/AAAA address is its mail host (implicit MX, RFC 5321 §5.1)",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::DnsLookupFailed,
        id: "dns-lookup-failed",
        severity: Severity::Warn,
        rank: 70,
        inconclusive: true,
        meaning: "our resolver failed or timed out (it is named): nothing is known about the server",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::EndpointsCapped,
        id: "endpoints-capped",
        severity: Severity::Warn,
        rank: 80,
        inconclusive: false,
        meaning: "more MX hosts or addresses than --max-mx / --max-addresses: some were not probed",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::LocalTrustStoreMissing,
        id: "local-trust-store-missing",
        severity: Severity::Warn,
        rank: 90,
        inconclusive: true,
        meaning: "this machine has no usable CA certificates, so no trust verdict is possible (install ca-certificates or pass --ca-file)",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::ProbeDeadlineExceeded,
        id: "probe-deadline-exceeded",
        severity: Severity::Warn,
        rank: 100,
        inconclusive: true,
        meaning: "the run's --deadline ended the probe before the endpoint answered",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::ConnectRefused,
        id: "connect-refused",
        severity: Severity::Fail,
        rank: 110,
        inconclusive: false,
        meaning: "the port is closed: nothing listens, or a firewall rejects",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::ConnectTimeout,
        id: "connect-timeout",
        severity: Severity::Fail,
        rank: 120,
        inconclusive: false,
        meaning: "no answer to the connection attempt: a firewall drops it, or our network blocks outbound SMTP",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::ConnectFailed,
        id: "connect-failed",
        severity: Severity::Fail,
        rank: 130,
        inconclusive: false,
        meaning: "the connection could not be made (no route, network unreachable)",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::BannerTimeout,
        id: "banner-timeout",
        severity: Severity::Fail,
        rank: 140,
        inconclusive: false,
        meaning: "the connection was accepted but no 220 greeting came in time",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::SmtpConnectionClosed,
        id: "smtp-connection-closed",
        severity: Severity::Fail,
        rank: 150,
        inconclusive: false,
        meaning: "the server closed the connection during the SMTP dialogue",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::SmtpProtocolError,
        id: "smtp-protocol-error",
        severity: Severity::Fail,
        rank: 160,
        inconclusive: false,
        meaning: "the server sent something that is not an SMTP reply",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::SmtpTimeout,
        id: "smtp-timeout",
        severity: Severity::Fail,
        rank: 170,
        inconclusive: false,
        meaning: "a command went unanswered within the timeout",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::SmtpRejected,
        id: "smtp-rejected",
        severity: Severity::Fail,
        rank: 180,
        inconclusive: false,
        meaning: "the server refused us with a 5xx at the greeting or EHLO",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::SmtpTemporaryRefusal,
        id: "smtp-temporary-refusal",
        severity: Severity::Warn,
        rank: 190,
        inconclusive: true,
        meaning: "a 421/4xx before TLS: rate limit or busy server; no TLS verdict possible",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::SmtpNoEsmtp,
        id: "smtp-no-esmtp",
        severity: Severity::Fail,
        rank: 200,
        inconclusive: false,
        meaning: "EHLO refused but HELO accepted: plain SMTP only (or a firewall rewriting EHLO), so no STARTTLS",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::StarttlsPortMismatch,
        id: "starttls-port-mismatch",
        severity: Severity::Fail,
        rank: 210,
        inconclusive: false,
        meaning: "the same host offers STARTTLS on one port but not on another: the server can do TLS, the listener on that port does not",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::StarttlsNotOffered,
        id: "starttls-not-offered",
        severity: Severity::Fail,
        rank: 220,
        inconclusive: false,
        meaning: "STARTTLS is not advertised in the EHLO reply",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::StarttlsRejected,
        id: "starttls-rejected",
        severity: Severity::Fail,
        rank: 230,
        inconclusive: false,
        meaning: "the STARTTLS command was answered with something other than 220",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::StarttlsInjection,
        id: "starttls-injection",
        severity: Severity::Warn,
        rank: 240,
        inconclusive: false,
        meaning: "bytes arrived after the STARTTLS 220 and before the handshake (CVE-2011-0411 class)",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::TlsHandshakeFailed,
        id: "tls-handshake-failed",
        severity: Severity::Fail,
        rank: 250,
        inconclusive: false,
        meaning: "the TLS handshake failed (reason in plain words: version, cipher, key, closed...)",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::SmtpTlsSessionFailed,
        id: "smtp-tls-session-failed",
        severity: Severity::Fail,
        rank: 260,
        inconclusive: false,
        meaning: "TLS was established but the SMTP session over it failed",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::CertExpired,
        id: "cert-expired",
        severity: Severity::Fail,
        rank: 270,
        inconclusive: false,
        meaning: "a certificate the server sends has expired",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::CertNotYetValid,
        id: "cert-not-yet-valid",
        severity: Severity::Fail,
        rank: 280,
        inconclusive: false,
        meaning: "the certificate is not valid yet (notBefore in the future, or a wrong clock)",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::CertExpiresSoon,
        id: "cert-expires-soon",
        severity: Severity::Warn,
        rank: 290,
        inconclusive: false,
        meaning: "the certificate expires within --warn-days (warn) or --fail-days (fail)",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::CertSelfSigned,
        id: "cert-self-signed",
        severity: Severity::Fail,
        rank: 300,
        inconclusive: false,
        meaning: "the certificate is self-signed (fail; warn if you trusted it with --ca-file)",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::CertUntrusted,
        id: "cert-untrusted",
        severity: Severity::Fail,
        rank: 310,
        inconclusive: false,
        meaning: "the chain does not lead to a trusted root CA",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::CertChainIncomplete,
        id: "cert-chain-incomplete",
        severity: Severity::Fail,
        rank: 320,
        inconclusive: false,
        meaning: "the server does not send the intermediate CA certificate(s)",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::CertNameMismatch,
        id: "cert-name-mismatch",
        severity: Severity::Fail,
        rank: 330,
        inconclusive: false,
        meaning: "the certificate does not cover the host name probed",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::CertNameNotChecked,
        id: "cert-name-not-checked",
        severity: Severity::Info,
        rank: 340,
        inconclusive: false,
        meaning: "the target is an IP address, so no host name was checked (use --expect-name)",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::CertEhloNameMismatch,
        id: "cert-ehlo-name-mismatch",
        severity: Severity::Warn,
        rank: 350,
        inconclusive: false,
        meaning: "the name the server greets with in EHLO (Exchange: the connector Fqdn) is not on the certificate",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::CertExpectedNameMismatch,
        id: "cert-expected-name-mismatch",
        severity: Severity::Fail,
        rank: 360,
        inconclusive: false,
        meaning: "the certificate does not cover a name given with --expect-name",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::CertCommonNameOnly,
        id: "cert-common-name-only",
        severity: Severity::Warn,
        rank: 370,
        inconclusive: false,
        meaning: "the name matches only the subject CN; there is no subjectAltName (refused by modern clients)",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::CertWeakKey,
        id: "cert-weak-key",
        severity: Severity::Fail,
        rank: 380,
        inconclusive: false,
        meaning: "a key in the chain is too small (RSA < 2048 bits, EC < 256 bits)",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::CertWeakSignature,
        id: "cert-weak-signature",
        severity: Severity::Fail,
        rank: 390,
        inconclusive: false,
        meaning: "a certificate in the chain is signed with SHA-1 or MD5 (refused by rustls and OpenSSL 3)",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::CertNoServerAuth,
        id: "cert-no-server-auth",
        severity: Severity::Fail,
        rank: 400,
        inconclusive: false,
        meaning: "the extended key usage does not allow TLS servers (no serverAuth)",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::EndpointsInconsistent,
        id: "endpoints-inconsistent",
        severity: Severity::Warn,
        rank: 410,
        inconclusive: false,
        meaning: "endpoints of one MX host (or domain) differ in certificate, STARTTLS or TLS version: senders see intermittent failures (info when the certificates differ but all are trusted and current)",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::StarttlsOk,
        id: "starttls-ok",
        severity: Severity::Info,
        rank: 420,
        inconclusive: false,
        meaning: "the endpoint is healthy: TLS version, cipher and days left",
        explanation: "",
        references: &[],
        sender_strings: &[],
    },
];

impl Code {
    /// Every code, in declaration order.
    pub const ALL: [Code; CATALOGUE.len()] = {
        let mut all = [Code::StarttlsOk; CATALOGUE.len()];
        let mut i = 0;
        while i < all.len() {
            all[i] = CATALOGUE[i].code;
            i += 1;
        }
        all
    };

    /// This code's catalogue entry.
    pub fn entry(self) -> &'static Entry {
        &CATALOGUE[self as usize]
    }

    /// The code as written in reports (`cert-expired`).
    pub fn as_str(self) -> &'static str {
        self.entry().id
    }

    /// The severity the code usually carries.
    pub fn default_severity(self) -> Severity {
        self.entry().severity
    }

    /// The finding says nothing about TLS: the verdict becomes `unknown`, not `pass`.
    pub fn inconclusive(self) -> bool {
        self.entry().inconclusive
    }

    /// Causes before symptoms among findings of one severity.
    pub fn rank(self) -> u16 {
        self.entry().rank
    }

    /// The code for its text, if it is one (`explain cert-expired`).
    pub fn from_id(id: &str) -> Option<Code> {
        CATALOGUE.iter().find(|e| e.id == id).map(|e| e.code)
    }

    /// The finding comes from comparing endpoints, not from one probe: its `endpoint` text
    /// names the group, and it is never merged into "all N endpoints".
    pub fn is_cross_endpoint(self) -> bool {
        matches!(
            self,
            Code::EndpointsInconsistent | Code::StarttlsPortMismatch
        )
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_indexed_by_code_with_unique_kebab_ids_and_ranks() {
        let mut ids = std::collections::HashSet::new();
        let mut ranks = std::collections::HashSet::new();
        for (i, e) in CATALOGUE.iter().enumerate() {
            assert_eq!(e.code as usize, i, "{} is out of place", e.id);
            assert!(ids.insert(e.id), "duplicate {}", e.id);
            assert!(ranks.insert(e.rank), "{} shares rank {}", e.id, e.rank);
            assert!(
                e.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{}",
                e.id
            );
            assert!(!e.meaning.is_empty(), "{} has no meaning", e.id);
            assert_eq!(Code::from_id(e.id), Some(e.code));
        }
    }
}
