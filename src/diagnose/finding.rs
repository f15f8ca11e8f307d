//! The finding type and the catalogue of stable finding codes.

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

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $text:literal, $sev:ident, $inconclusive:literal, $meaning:literal; )*) => {
        /// A stable, kebab-case finding code: part of the JSON contract, never renamed.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, in the order findings are ranked (causes before symptoms).
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as written in reports (`cert-expired`).
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $text,)* }
            }

            /// The severity the code usually carries (some rules raise or lower it).
            pub fn default_severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev,)* }
            }

            /// The finding says nothing about TLS: the verdict becomes `unknown`, not `fail`.
            pub fn inconclusive(self) -> bool {
                match self { $(Code::$variant => $inconclusive,)* }
            }

            /// One line on what the code means, for `--help` and the README.
            pub fn meaning(self) -> &'static str {
                match self { $(Code::$variant => $meaning,)* }
            }
        }
    };
}

codes! {
    /// The domain or host name does not exist.
    DnsNxdomain = "dns-nxdomain", Fail, false, "the domain or host name does not exist in DNS (NXDOMAIN)";
    /// Null MX.
    DnsNullMx = "dns-null-mx", Info, false, "the domain publishes a null MX (RFC 7505 `MX 0 .`): it accepts no mail, so there is nothing to probe";
    /// Every MX host lacks an address.
    DnsMxNoAddress = "dns-mx-no-address", Fail, false, "an MX host has no A/AAAA record: senders cannot deliver through it";
    /// MX to an IP literal or an alias.
    DnsMxInvalid = "dns-mx-invalid", Warn, false, "an MX record names an IP address or a CNAME instead of a host name (RFC 5321 §5.1, RFC 2181 §10.3); fail when no valid MX is left";
    /// The host name has no A/AAAA record (of the family asked for).
    DnsNoAddress = "dns-no-address", Fail, false, "the host name has no A/AAAA record (fail); under -4/-6, none of that family (warn: unreachable over it)";
    /// No MX: implicit MX.
    DnsNoMx = "dns-no-mx", Info, false, "the domain has no MX record, so its own A/AAAA address is its mail host (implicit MX, RFC 5321 §5.1)";
    /// Our resolver failed.
    DnsLookupFailed = "dns-lookup-failed", Warn, true, "our resolver failed or timed out (it is named): nothing is known about the server";
    /// Caps cut the endpoint list.
    EndpointsCapped = "endpoints-capped", Warn, false, "more MX hosts or addresses than --max-mx / --max-addresses: some were not probed";
    /// Our own trust store is missing.
    LocalTrustStoreMissing = "local-trust-store-missing", Warn, true, "this machine has no usable CA certificates, so no trust verdict is possible (install ca-certificates or pass --ca-file)";
    /// The run's deadline ran out.
    ProbeDeadlineExceeded = "probe-deadline-exceeded", Warn, true, "the run's --deadline ended the probe before the endpoint answered";
    /// TCP RST.
    ConnectRefused = "connect-refused", Fail, false, "the port is closed: nothing listens, or a firewall rejects";
    /// No answer to SYN.
    ConnectTimeout = "connect-timeout", Fail, false, "no answer to the connection attempt: a firewall drops it, or our network blocks outbound SMTP";
    /// Other socket error.
    ConnectFailed = "connect-failed", Fail, false, "the connection could not be made (no route, network unreachable)";
    /// No greeting.
    BannerTimeout = "banner-timeout", Fail, false, "the connection was accepted but no 220 greeting came in time";
    /// The server hung up.
    SmtpConnectionClosed = "smtp-connection-closed", Fail, false, "the server closed the connection during the SMTP dialogue";
    /// Not SMTP.
    SmtpProtocolError = "smtp-protocol-error", Fail, false, "the server sent something that is not an SMTP reply";
    /// A command went unanswered.
    SmtpTimeout = "smtp-timeout", Fail, false, "a command went unanswered within the timeout";
    /// 5xx at banner or EHLO.
    SmtpRejected = "smtp-rejected", Fail, false, "the server refused us with a 5xx at the greeting or EHLO";
    /// 4xx before TLS.
    SmtpTemporaryRefusal = "smtp-temporary-refusal", Warn, true, "a 421/4xx before TLS: rate limit or busy server; no TLS verdict possible";
    /// EHLO refused, HELO accepted.
    SmtpNoEsmtp = "smtp-no-esmtp", Fail, false, "EHLO refused but HELO accepted: plain SMTP only (or a firewall rewriting EHLO), so no STARTTLS";
    /// STARTTLS on one port of a host, not on another.
    StarttlsPortMismatch = "starttls-port-mismatch", Fail, false, "the same host offers STARTTLS on one port but not on another: the server can do TLS, the listener on that port does not";
    /// STARTTLS missing from EHLO.
    StarttlsNotOffered = "starttls-not-offered", Fail, false, "STARTTLS is not advertised in the EHLO reply";
    /// STARTTLS answered with something other than 220.
    StarttlsRejected = "starttls-rejected", Fail, false, "the STARTTLS command was answered with something other than 220";
    /// Bytes between the 220 and the handshake.
    StarttlsInjection = "starttls-injection", Warn, false, "bytes arrived after the STARTTLS 220 and before the handshake (CVE-2011-0411 class)";
    /// The handshake failed.
    TlsHandshakeFailed = "tls-handshake-failed", Fail, false, "the TLS handshake failed (reason in plain words: version, cipher, key, closed...)";
    /// EHLO over TLS failed.
    SmtpTlsSessionFailed = "smtp-tls-session-failed", Fail, false, "TLS was established but the SMTP session over it failed";
    /// notAfter is past.
    CertExpired = "cert-expired", Fail, false, "a certificate the server sends has expired";
    /// notBefore is in the future.
    CertNotYetValid = "cert-not-yet-valid", Fail, false, "the certificate is not valid yet (notBefore in the future, or a wrong clock)";
    /// Inside --warn-days / --fail-days.
    CertExpiresSoon = "cert-expires-soon", Warn, false, "the certificate expires within --warn-days (warn) or --fail-days (fail)";
    /// Self-signed leaf.
    CertSelfSigned = "cert-self-signed", Fail, false, "the certificate is self-signed (fail; warn if you trusted it with --ca-file)";
    /// Chain does not lead to a trusted root.
    CertUntrusted = "cert-untrusted", Fail, false, "the chain does not lead to a trusted root CA";
    /// Intermediate missing.
    CertChainIncomplete = "cert-chain-incomplete", Fail, false, "the server does not send the intermediate CA certificate(s)";
    /// Host name not covered.
    CertNameMismatch = "cert-name-mismatch", Fail, false, "the certificate does not cover the host name probed";
    /// IP target: no name to check.
    CertNameNotChecked = "cert-name-not-checked", Info, false, "the target is an IP address, so no host name was checked (use --expect-name)";
    /// EHLO greeting name not covered.
    CertEhloNameMismatch = "cert-ehlo-name-mismatch", Warn, false, "the name the server greets with in EHLO (Exchange: the connector Fqdn) is not on the certificate";
    /// --expect-name not covered.
    CertExpectedNameMismatch = "cert-expected-name-mismatch", Fail, false, "the certificate does not cover a name given with --expect-name";
    /// CN-only certificate.
    CertCommonNameOnly = "cert-common-name-only", Warn, false, "the name matches only the subject CN; there is no subjectAltName (refused by modern clients)";
    /// Weak key.
    CertWeakKey = "cert-weak-key", Fail, false, "a key in the chain is too small (RSA < 2048 bits, EC < 256 bits)";
    /// SHA-1/MD5.
    CertWeakSignature = "cert-weak-signature", Fail, false, "a certificate in the chain is signed with SHA-1 or MD5 (refused by rustls and OpenSSL 3)";
    /// EKU without serverAuth.
    CertNoServerAuth = "cert-no-server-auth", Fail, false, "the extended key usage does not allow TLS servers (no serverAuth)";
    /// Endpoints of one MX host or domain disagree.
    EndpointsInconsistent = "endpoints-inconsistent", Warn, false, "endpoints of one MX host (or domain) differ in certificate, STARTTLS or TLS version: senders see intermittent failures (info when the certificates differ but all are trusted and current)";
    /// All good.
    StarttlsOk = "starttls-ok", Info, false, "the endpoint is healthy: TLS version, cipher and days left";
}

impl Code {
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

/// One diagnosed problem (or the healthy summary), with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// Stable code.
    pub code: Code,
    /// How bad.
    pub severity: Severity,
    /// The endpoint (`mail.contoso.com [203.0.113.5]:25`) or host it concerns; for a finding
    /// shared by several endpoints, a summary such as `all 4 endpoints`.
    pub endpoint: String,
    /// The labels of every endpoint it concerns (empty for DNS and local findings).
    pub endpoints: Vec<String>,
    /// One line a human reads first.
    pub summary: String,
    /// The facts that triggered it (server text escaped).
    pub evidence: Vec<String>,
    /// What the admin should do, in the server's own language when it is known.
    pub fix: String,
}

impl Finding {
    /// A finding about `endpoint` (a label or a group), concerning the endpoints `endpoints`.
    pub fn new(
        code: Code,
        severity: Severity,
        endpoint: String,
        endpoints: Vec<String>,
        summary: String,
        evidence: Vec<String>,
        fix: String,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            let s = c.as_str();
            assert!(seen.insert(s), "duplicate {s}");
            assert!(
                s.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{s}"
            );
            assert!(!c.meaning().is_empty());
        }
    }
}
