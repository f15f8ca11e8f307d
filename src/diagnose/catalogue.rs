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
    /// `dns-mx-invalid`: MX to an IP literal or an alias.
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
    /// `egress-ip-blocklisted`: the address the server saw us as is on a blocklist.
    EgressIpBlocklisted,
    /// `dnsbl-query-refused`: a blocklist refused the query (127.255.255.x).
    DnsblQueryRefused,
    /// `egress-ip-not-listed`: no blocklist asked holds the address.
    EgressIpNotListed,
    /// `egress-ip-not-checked`: the address could not be (or was not) looked up.
    EgressIpNotChecked,
    /// `probe-deadline-exceeded`: the run's deadline ran out.
    ProbeDeadlineExceeded,
    /// `connect-refused`: TCP RST.
    ConnectRefused,
    /// `connect-timeout`: no answer to SYN.
    ConnectTimeout,
    /// `connect-failed`: other socket error.
    ConnectFailed,
    /// `port25-blocked-here`: our own network blocks outbound port 25.
    Port25BlockedHere,
    /// `tls-mode-mismatch`: the port speaks the other TLS mode.
    TlsModeMismatch,
    /// `smtp-rate-limited`: the server limits connections from us.
    SmtpRateLimited,
    /// `smtp-tarpit`: the greeting or EHLO reply came, but late.
    SmtpTarpit,
    /// `banner-timeout`: no greeting.
    BannerTimeout,
    /// `smtp-connection-closed`: the server hung up.
    SmtpConnectionClosed,
    /// `smtp-protocol-error`: not SMTP.
    SmtpProtocolError,
    /// `smtp-reply-over-limit`: a reply longer than this probe reads.
    SmtpReplyOverLimit,
    /// `smtp-timeout`: a command went unanswered.
    SmtpTimeout,
    /// `smtp-rejected`: 5xx at banner or EHLO.
    SmtpRejected,
    /// `smtp-temporary-refusal`: 4xx before TLS.
    SmtpTemporaryRefusal,
    /// `smtp-no-esmtp`: EHLO refused, HELO accepted.
    SmtpNoEsmtp,
    /// `middlebox-masked-banner`: greeting masked with `*` (Cisco `mask-banner`).
    MiddleboxMaskedBanner,
    /// `middlebox-masked-keywords`: EHLO keywords overwritten with X's.
    MiddleboxMaskedKeywords,
    /// `middlebox-ehlo-downgraded`: EHLO answered like HELO by an ESMTP server.
    MiddleboxEhloDowngraded,
    /// `middlebox-starttls-mangled`: STARTTLS advertised, the command "unrecognized".
    MiddleboxStarttlsMangled,
    /// `smtp-reply-irregular`: mixed codes or bare LF in replies.
    SmtpReplyIrregular,
    /// `smtp-reply-desync`: replies out of step with the commands.
    SmtpReplyDesync,
    /// `tls-interception-suspected`: an appliance's or inspection CA's certificate.
    TlsInterceptionSuspected,
    /// `starttls-port-mismatch`: STARTTLS on one port of a host, not on another.
    StarttlsPortMismatch,
    /// `starttls-not-offered`: STARTTLS missing from EHLO.
    StarttlsNotOffered,
    /// `starttls-rejected`: STARTTLS answered with something other than 220.
    StarttlsRejected,
    /// `starttls-injection`: bytes between the 220 and the handshake.
    StarttlsInjection,
    /// `tls-handshake-failed`: the handshake failed.
    TlsHandshakeFailed,
    /// `smtp-tls-session-failed`: EHLO over TLS failed.
    SmtpTlsSessionFailed,
    /// `tls-legacy-only`: the server speaks only TLS 1.0/1.1.
    TlsLegacyOnly,
    /// `tls-required`: MAIL FROM refused before STARTTLS (`--check-required`).
    TlsRequired,
    /// `tls-not-required`: MAIL FROM accepted without TLS (`--check-required`).
    TlsNotRequired,
    /// `tls-required-unknown`: `--check-required` could not tell.
    TlsRequiredUnknown,
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
    /// `cert-date-unsupported`: a date before 1970, which rustls/webpki cannot represent.
    CertDateUnsupported,
    /// `cert-chain-incomplete`: intermediate missing.
    CertChainIncomplete,
    /// `cert-name-mismatch`: host name not covered.
    CertNameMismatch,
    /// `cert-name-not-checked`: IP target: no name to check.
    CertNameNotChecked,
    /// `cert-ehlo-name-mismatch`: EHLO greeting name not covered.
    CertEhloNameMismatch,
    /// `cert-expected-name-mismatch`: --expect-name not covered.
    CertExpectedNameMismatch,
    /// `cert-common-name-only`: CN-only certificate.
    CertCommonNameOnly,
    /// `cert-weak-key`: weak key.
    CertWeakKey,
    /// `cert-weak-signature`: SHA-1/MD5.
    CertWeakSignature,
    /// `cert-no-server-auth`: EKU without serverAuth.
    CertNoServerAuth,
    /// `endpoints-inconsistent`: endpoints of one MX host or domain disagree.
    EndpointsInconsistent,
    /// `starttls-ok`: all good.
    StarttlsOk,
    /// `connector-tenant-attribution`: Exchange Online cannot attribute relayed mail to the
    /// tenant (5.7.64); reported by senders, not raised by a probe.
    ConnectorTenantAttribution,
    /// `sender-certificate-missing`: the on-premises sending side has no usable certificate;
    /// reported by senders, not raised by a probe.
    SenderCertificateMissing,
    /// `dane-tlsa-invalid`: the TLSA records do not match the certificate (4/5.7.323);
    /// reported by senders, not raised by a probe.
    DaneTlsaInvalid,
    /// `dane-dnssec-invalid`: the destination's DNSSEC does not validate (4/5.7.324);
    /// reported by senders, not raised by a probe.
    DaneDnssecInvalid,
    /// `exchange-receive-certificate-not-found`: a receive connector's TlsCertificateName names no certificate on its server.
    ExchangeReceiveCertificateNotFound,
    /// `exchange-send-certificate-not-found`: a send connector's TlsCertificateName names no certificate on a source server.
    ExchangeSendCertificateNotFound,
    /// `exchange-sender-certificate-name-mismatch`: the inbound connector's TlsSenderCertificateName is not on the certificate the send connector presents.
    ExchangeSenderCertificateNameMismatch,
    /// `exchange-certificate-unusable`: the certificate a connector uses is not enabled for SMTP, has no private key, is expired, self-signed or not Valid.
    ExchangeCertificateUnusable,
    /// `exchange-receive-server-drift`: the hybrid receive connectors of the servers differ, or a server lacks the certificate.
    ExchangeReceiveServerDrift,
    /// `exchange-receive-fqdn-fallback`: no TlsCertificateName, and no usable third-party certificate covers the connector's Fqdn (or the server's name).
    ExchangeReceiveFqdnFallback,
    /// `exchange-send-no-certificate`: the send connector to Exchange Online names no certificate (TlsCertificateName and a public Fqdn both missing).
    ExchangeSendNoCertificate,
    /// `exchange-tls-domain-not-on-certificate`: the Exchange Online outbound connector's TlsDomain is not on the certificate on-premises presents.
    ExchangeTlsDomainNotOnCertificate,
    /// `exchange-receive-tls-disabled`: the receive connector's AuthMechanism lacks Tls.
    ExchangeReceiveTlsDisabled,
    /// `exchange-certificate-duplicate`: several certificates match what a connector names.
    ExchangeCertificateDuplicate,
    /// `exchange-certificate-domain-not-accepted`: the certificate domain the inbound connector attributes by is not an accepted domain of the tenant (MC1226222).
    ExchangeCertificateDomainNotAccepted,
    /// `exchange-send-tls-policy`: the send connector to Exchange Online does not require TLS, validate the certificate or carry cross-premises headers.
    ExchangeSendTlsPolicy,
    /// `exchange-receive-no-cloud-capability`: the hybrid receive connector lacks TlsDomainCapabilities mail.protection.outlook.com.
    ExchangeReceiveNoCloudCapability,
    /// `exchange-hybrid-certificate-drift`: the hybrid configuration names another certificate than the connectors.
    ExchangeHybridCertificateDrift,
    /// `exchange-hybrid-endpoint-drift`: the hybrid configuration and the connectors disagree on the smart host or the transport servers.
    ExchangeHybridEndpointDrift,
    /// `exchange-certificate-root-type`: a third-party certificate shows RootCAType Registry or Unknown.
    ExchangeCertificateRootType,
    /// `exchange-tls-certificate-name-invalid`: a TlsCertificateName lacks `<I>`/`<S>`, has them swapped or its names reversed.
    ExchangeTlsCertificateNameInvalid,
    /// `exchange-inbound-ip-based`: the Exchange Online inbound connector recognises on-premises by IP address only.
    ExchangeInboundIpBased,
    /// `exchange-inbound-connector-risky`: an Exchange Online inbound connector is disabled, treats mail as internal, or a partner connector claims your domains.
    ExchangeInboundConnectorRisky,
    /// `exchange-outbound-connector-risky`: the Exchange Online outbound connector to on-premises uses MX, is disabled, scoped by rules, or misses hybrid domains.
    ExchangeOutboundConnectorRisky,
    /// `exchange-presented-certificate-unexpected`: the live probe saw another certificate than the configuration selects, or no STARTTLS where it should be.
    ExchangePresentedCertificateUnexpected,
    /// `exchange-root-missing`: a server lacks the root Exchange Online chains to (DigiCert Global Root G2), with root auto-update off.
    ExchangeRootMissing,
    /// `exchange-edge-certificate-drift`: an Edge Transport server does not hold the hybrid certificate (same issuer and subject).
    ExchangeEdgeCertificateDrift,
    /// `exchange-certificate-weak`: the connector's certificate has a key under 2048 bits or a SHA-1 signature.
    ExchangeCertificateWeak,
    /// `exchange-internal-transport-certificate-missing`: the internal transport certificate thumbprint names no certificate on the server (no X-ANONYMOUSTLS; Events 12012/12013).
    ExchangeInternalTransportCertificateMissing,
    /// `exchange-check-inconclusive`: a check could not decide.
    ExchangeCheckInconclusive,
    /// `exchange-input-unrecognised`: nothing (or part of the input) was recognised as the output of an Exchange cmdlet.
    ExchangeInputUnrecognised,
    /// `exchange-config-consistent`: the configuration pasted is consistent.
    ExchangeConfigConsistent,
    /// `cert-unexpected-fingerprint`: the leaf is none of `--expect-fingerprint`.
    CertUnexpectedFingerprint,
    /// `cert-unexpected-issuer`: the issuer matches no `--expect-issuer`.
    CertUnexpectedIssuer,
    /// `baseline-starttls-changed`: STARTTLS offered in the baseline and not now, or the reverse.
    BaselineStarttlsChanged,
    /// `baseline-tls-version-changed`: another TLS version than in the baseline.
    BaselineTlsVersionChanged,
    /// `baseline-certificate-changed`: another certificate than in the baseline.
    BaselineCertificateChanged,
    /// `baseline-issuer-changed`: a certificate from another CA than in the baseline.
    BaselineIssuerChanged,
    /// `baseline-endpoint-gone`: an endpoint of the baseline was not probed now.
    BaselineEndpointGone,
    /// `baseline-endpoint-new`: an endpoint the baseline does not have.
    BaselineEndpointNew,
    /// `baseline-target-missing`: the baseline holds no report for this target.
    BaselineTargetMissing,
    // --- DANE (RFC 7672) ---
    /// `dane-dnssec-bogus`: DNSSEC validation of the MX, address or TLSA answers failed.
    DaneDnssecBogus,
    /// `dane-no-match`: the host has secure, usable TLSA records but none matches the certificate chain it sends.
    DaneNoMatch,
    /// `dane-records-unusable`: the host's TLSA records are secure but none is usable for SMTP.
    DaneRecordsUnusable,
    /// `dane-mx-insecure`: TLSA records are published for a mail host, but the domain's MX RRset is not DNSSEC-signed.
    DaneMxInsecure,
    /// `dane-exchange-online-interop`: a DANE-EE record matches, but the leaf is expired or does not name the host.
    DaneExchangeOnlineInterop,
    /// `dane-rollover-risk`: the TLSA records pin only the current key, with no DANE-TA record.
    DaneRolloverRisk,
    /// `dane-dnssec-unknown`: TLSA records exist, but the DNS server asked is not one whose DNSSEC validation this run may trust.
    DaneDnssecUnknown,
    /// `dane-ok`: the host's secure TLSA records match the certificate chain it sends.
    DaneOk,
    // --- MTA-STS (RFC 8461) ---
    /// `mta-sts-record-invalid`: the _mta-sts TXT record is malformed or not the only one.
    MtaStsRecordInvalid,
    /// `mta-sts-policy-fetch-failed`: the MTA-STS policy cannot be fetched from https.
    MtaStsPolicyFetchFailed,
    /// `mta-sts-policy-certificate-invalid`: the certificate of the mta-sts.DOMAIN web server is not valid for that name or not trusted.
    MtaStsPolicyCertificateInvalid,
    /// `mta-sts-policy-invalid`: the MTA-STS policy file breaks the syntax senders parse.
    MtaStsPolicyInvalid,
    /// `mta-sts-mx-mismatch`: an MX host matches none of the MTA-STS policy's mx.
    MtaStsMxMismatch,
    /// `mta-sts-policy-irregular`: the MTA-STS policy works, but has irregularities some senders may trip on.
    MtaStsPolicyIrregular,
    /// `mta-sts-mode-testing`: the MTA-STS policy is in testing.
    MtaStsModeTesting,
    /// `mta-sts-missing`: the domain publishes no MTA-STS.
    MtaStsMissing,
    /// `mta-sts-ok`: the MTA-STS record and policy are valid and every MX host matches the policy.
    MtaStsOk,
    // --- TLS-RPT (RFC 8460) ---
    /// `tlsrpt-invalid`: the _smtp._tls TXT record is malformed or not the only one.
    TlsrptInvalid,
    /// `tlsrpt-missing`: the domain publishes no TLS-RPT record.
    TlsrptMissing,
    /// `tlsrpt-ok`: the TLS-RPT record is valid.
    TlsrptOk,
    /// `policy-lookup-failed`: a policy lookup (MTA-STS, TLS-RPT) failed, so it could not be checked.
    PolicyLookupFailed,
    // --- Revocation (RFC 5280) ---
    /// `cert-revoked`: a certificate the server sends is revoked.
    CertRevoked,
    /// `crl-unreachable`: a CRL distribution point of the chain cannot be fetched over http.
    CrlUnreachable,
    /// `crl-invalid`: a CRL fetched is not a CRL, or its signature does not verify with the issuing CA's key.
    CrlInvalid,
    /// `crl-stale`: a CRL fetched is past its nextUpdate.
    CrlStale,
    /// `crl-none`: the certificate names no CRL distribution point.
    CrlNone,
    /// `client-cert-requested`: the server asks senders for a client certificate (a CertificateRequest), and names the CA names it accepts.
    ClientCertRequested,
    /// `client-cert-not-requested`: --client-cert was given, but the server never asked for a certificate.
    ClientCertNotRequested,
    /// `client-cert-accepted`: the server asked for a client certificate, ours was sent, and the session went on.
    ClientCertAccepted,
    /// `client-cert-refused`: the server refused the client certificate we presented.
    ClientCertRefused,
    /// `client-cert-name-mismatch`: the certificate we present does not cover the name the receiver matches (--expect-name, Exchange Online's TlsSenderCertificateName).
    ClientCertNameMismatch,
    /// `client-cert-expired`: the certificate we present has expired (or is not yet valid).
    ClientCertExpired,
    /// `client-cert-expires-soon`: the certificate we present expires soon.
    ClientCertExpiresSoon,
    /// `client-cert-untrusted`: the certificate we present does not chain to a trusted root here (self-signed, private CA, or an intermediate missing from what we send).
    ClientCertUntrusted,
    /// `client-cert-no-client-auth`: the certificate we present is not valid for client authentication.
    ClientCertNoClientAuth,
    /// `sender-ok`: the sender used STARTTLS with TLS 1.2 or newer, and what it presented matches what was expected.
    SenderOk,
    /// `sender-no-starttls`: the sender did not use STARTTLS although the listener offered it.
    SenderNoStarttls,
    /// `sender-helo-only`: the sender greeted with HELO, not EHLO.
    SenderHeloOnly,
    /// `sender-tls-failed`: the sender issued STARTTLS, but the TLS handshake failed.
    SenderTlsFailed,
    /// `sender-tls-legacy`: the sender offers only TLS 1.1 or older.
    SenderTlsLegacy,
    /// `sender-tls-old-versions-offered`: the sender still offers TLS 1.0 or 1.1 besides TLS 1.2 or 1.3.
    SenderTlsOldVersionsOffered,
    /// `sender-refused-our-certificate`: the sender refused the listener's certificate.
    SenderRefusedOurCertificate,
    /// `sender-no-client-cert`: the sender presented no client certificate although the listener asked for one.
    SenderNoClientCert,
    /// `sender-cert-name-mismatch`: the sender's client certificate does not cover the expected name (--expect-name).
    SenderCertNameMismatch,
    /// `sender-cert-expired`: the sender's client certificate has expired (or is not yet valid).
    SenderCertExpired,
    /// `sender-cert-untrusted`: the sender's client certificate does not chain to a root trusted here (self-signed, private CA, or missing intermediate).
    SenderCertUntrusted,
    /// `sender-cert-no-client-auth`: the sender's client certificate lacks clientAuth in its Extended Key Usage.
    SenderCertNoClientAuth,
    /// `sender-ehlo-not-repeated`: after TLS the sender did not greet again with EHLO.
    SenderEhloNotRepeated,
    /// `sender-pipelined-starttls`: the sender sent commands after STARTTLS before the TLS handshake.
    SenderPipelinedStarttls,
    /// `sender-ehlo-name-mismatch`: the sender's EHLO name is not on its client certificate, or its reverse name does not match it.
    SenderEhloNameMismatch,
    /// `listen-no-sender`: no sender connected while the listener ran.
    ListenNoSender,
    /// `sender-cert-expires-soon`: the sender's client certificate expires within the warning days.
    SenderCertExpiresSoon,
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
        explanation: "The name does not exist in DNS: the resolver answered NXDOMAIN for the \
            domain's MX lookup, or for the address of a host that was probed directly (an MX host \
            that does not exist is reported as dns-mx-no-address instead). There is nothing to \
            probe.\n\n\
            Common causes: a typo in the domain or host name; a domain registration that lapsed or \
            was suspended; a broken delegation, where the registrar lists name servers that no \
            longer serve the zone; a record deleted during a move between DNS providers; or a name \
            that exists only in internal (split-horizon) DNS while the probe asked a public \
            resolver. Senders treat NXDOMAIN as permanent and bounce at once (Postfix: `Host or \
            domain name not found`, with `Host not found` at the end); an Exchange Online \
            connector whose smart host does not resolve reports `450 4.4.312 DNS query failed`. \
            Resolvers cache the negative answer for a while, so a fix can take the zone's negative \
            TTL to be seen everywhere.",
        references: &[
            "RFC 5321 §5.1 (MX lookup, implicit MX)",
            "RFC 2308 (negative answers are cached)",
            "Microsoft Learn: Mail flow intelligence in EOP",
        ],
        sender_strings: &[
            "Host or domain name not found",
            "450 4.4.312 DNS query failed",
            "SMTPSEND.DNS.NonExistentDomain",
        ],
    },
    Entry {
        code: Code::DnsNullMx,
        id: "dns-null-mx",
        severity: Severity::Info,
        rank: 20,
        inconclusive: false,
        meaning: "the domain publishes a null MX (RFC 7505 `MX 0 .`): it accepts no mail, so there is nothing to probe",
        explanation: "The domain publishes a single MX record `0 .`, a null MX (RFC 7505): it \
            declares that it accepts no mail at all, so there is nothing to probe. This is usually \
            deliberate: parked domains, web-only domains, domains that only send. Senders that \
            honour null MX fail mail to the domain immediately instead of queueing it for days \
            (Postfix: `does not accept mail (nullMX)`).\n\n\
            If the domain should receive mail, the null MX is a leftover, for example from a \
            registrar's parking template, and must be replaced by MX records naming your mail \
            hosts. A null MX published next to real MX records is a mistake of its own, reported \
            as dns-mx-invalid.",
        references: &[
            "RFC 7505 (null MX: a domain that accepts no mail)",
            "RFC 7505 §3 (null MX, and that it must stand alone)",
        ],
        sender_strings: &["does not accept mail (nullMX)"],
    },
    Entry {
        code: Code::DnsMxNoAddress,
        id: "dns-mx-no-address",
        severity: Severity::Fail,
        rank: 30,
        inconclusive: false,
        meaning: "an MX host has no A/AAAA record (or is an alias whose CNAME chain loops, runs too long or ends nowhere): senders cannot deliver through it",
        explanation: "An MX record of the domain names a host that has no A or AAAA record, or \
            that does not exist at all, so no sender can deliver through that MX. When the domain \
            has other usable MX hosts, senders skip this one after the failed lookup; when it is \
            the only one, mail to the domain cannot be delivered and is deferred or bounced, \
            depending on the sender.\n\n\
            Common causes: the mail host was renamed or decommissioned and its MX record left \
            behind; the MX points at a name that exists only in internal DNS; a relative name in a \
            zone file (`MX 10 mail.contoso.com` without the trailing dot becomes \
            `mail.contoso.com.contoso.com`); or the host's address record was deleted during a DNS \
            or hosting migration. Postfix logs `no MX host for <domain> has a valid address \
            record` when none of the MX hosts has one.\n\n\
            When the host is an alias, the CNAME chain is named: a loop (`a CNAME b`, `b CNAME \
            a`), a chain longer than resolvers follow, or a chain ending at a name that does not \
            exist; the fix is then to the chain, not an A record for the first name.",
        references: &[
            "RFC 5321 §5.1 (MX lookup: each MX host must resolve to an address)",
            "RFC 1034 §3.6.2 and §5.2.2 (CNAME chains, and that a loop is an error)",
        ],
        sender_strings: &[
            "has a valid address record",
            "Host found but no data record of requested type",
        ],
    },
    Entry {
        code: Code::DnsMxInvalid,
        id: "dns-mx-invalid",
        severity: Severity::Warn,
        rank: 40,
        inconclusive: false,
        meaning: "an MX record names an IP address, a CNAME or something that is not a host name (control bytes, spaces) instead of a host name (RFC 5321 §5.1, RFC 2181 §10.3), or a null MX stands beside real MX records (RFC 7505 §3); fail when no valid MX is left",
        explanation: "An MX record is not usable as written: it names an IP address instead of a \
            host name (`MX 10 192.0.2.25`), it names an alias (a CNAME) instead of the canonical \
            host, it names something that is not a host name at all (a DNS label may carry any \
            byte: a control character, a space, an escape sequence pasted into a DNS panel; the \
            name is shown escaped and is not looked up), or a null MX (`MX 0 .`) sits next to real \
            MX records. An MX must name a host \
            (RFC 5321 §5.1), that name must not be an alias (RFC 2181 §10.3), and a null MX must \
            stand alone (RFC 7505 §3).\n\n\
            Senders differ in how they treat it, which is the problem: Postfix skips an MX that is \
            an address (`numeric domain name in resource data of MX record`), Exim refuses it \
            unless configured otherwise, many senders follow a CNAME, but DANE and MTA-STS checks \
            match the MX name as written; senders that honour a null MX bounce the mail. It is a \
            warning while another valid MX remains, and a failure when none is left. Such records \
            usually come from DNS hosting panels that accept anything, or from a server name that \
            was never published.",
        references: &[
            "RFC 5321 §5.1 (MX lookup; an MX names a host, not an address)",
            "RFC 5321 §2.3.5 and RFC 1123 §2.1 (host name syntax)",
            "RFC 2181 §10.3 (an MX must not point to an alias)",
            "RFC 7505 §3 (null MX, and that it must stand alone)",
        ],
        sender_strings: &["numeric domain name in resource data of MX record"],
    },
    Entry {
        code: Code::DnsNoAddress,
        id: "dns-no-address",
        severity: Severity::Fail,
        rank: 50,
        inconclusive: false,
        meaning: "the host name has no A/AAAA record (fail); under -4/-6, none of that family (warn: unreachable over it)",
        explanation: "The host name has no A or AAAA record, so nothing can connect to it: either \
            a host probed by name without an address, or a domain with neither MX records nor an \
            address of its own, which then cannot receive mail at all. Under -4 or -6 the finding \
            only means that there is no address of that family; it is then a warning: the host is \
            unreachable over IPv4 (or IPv6), and senders limited to that family cannot reach \
            it.\n\n\
            Common causes: the name carries only other records (TXT, MX), typical of a bare domain \
            probed as a host; the address record was deleted, or never created after a migration; \
            a deliberately IPv4-only or IPv6-only host; or a name that resolves only in internal \
            DNS. Postfix reports the empty answer as `Host found but no data record of requested \
            type`.",
        references: &["RFC 5321 §5.1 (MX lookup, implicit MX; the mail host needs an address)"],
        sender_strings: &["Host found but no data record of requested type"],
    },
    Entry {
        code: Code::DnsNoMx,
        id: "dns-no-mx",
        severity: Severity::Info,
        rank: 60,
        inconclusive: false,
        meaning: "the domain has no MX record, so its own A/AAAA address is its mail host (implicit MX, RFC 5321 §5.1)",
        explanation: "The domain has no MX record but has an A or AAAA address, so it is its own \
            mail host: RFC 5321 §5.1 tells senders to treat the address as an implicit MX with \
            preference 0, and the probe did the same. This is normal when you probe a mail host by \
            name.\n\n\
            For a mail domain it works with standards-following senders but is fragile: some \
            senders and services do not fall back to the address record, and mail then goes to \
            whatever server answers for the name, often the web server. Publish an MX record \
            naming the mail host: the host itself when it is the mail host; never a host that \
            does not exist.",
        references: &["RFC 5321 §5.1 (MX lookup, implicit MX)"],
        sender_strings: &[],
    },
    Entry {
        code: Code::DnsLookupFailed,
        id: "dns-lookup-failed",
        severity: Severity::Warn,
        rank: 70,
        inconclusive: true,
        meaning: "the DNS lookup got no usable answer: what the DNS server did is named (SERVFAIL, REFUSED, a malformed answer, a wrong transaction ID, a truncated answer with no answer over TCP, silence): nothing is known about the server",
        explanation: "The DNS lookup got no usable answer, so nothing is known about the name or \
            its mail servers, and the verdict is unknown rather than pass or fail. The finding \
            says what the DNS server did: answered SERVFAIL or REFUSED, sent an answer that could \
            not be read, answered with a wrong transaction ID (an answer every resolver discards), \
            truncated its answer over UDP and then did not answer over TCP, or did not answer at \
            all within --timeout. A lookup costs at most one --timeout, however the server \
            misbehaves.\n\n\
            The cause may be local: a resolver that is down, blocked by a firewall, or refuses \
            recursion. But a SERVFAIL that repeats with other resolvers usually means that the \
            domain's own DNS is broken, and then senders cannot resolve it either: lame or \
            unreachable authoritative name servers, a broken delegation, or a DNSSEC failure such \
            as expired signatures or a DS record left at the registrar after DNSSEC was turned \
            off. Senders defer such mail and retry (Postfix: `Host not found, try again`; Exchange \
            Online with DANE: `4.7.324 dnssec-invalid`). Retry with --resolver pointing at another \
            resolver, or at the domain's authoritative server, to tell the two apart.",
        references: &[
            "RFC 5321 §5.1 (MX lookup)",
            "RFC 4035 §4.3 (DNSSEC: bogus and indeterminate answers)",
            "RFC 1035 §4.1.1 (header: ID, TC, RCODE)",
            "RFC 7766 §5 (DNS over TCP: a server must answer over TCP)",
            "Microsoft Learn: Mail flow intelligence in EOP",
            "Microsoft Learn: Email non-delivery reports and SMTP errors in Exchange Online",
        ],
        sender_strings: &[
            "Host not found, try again",
            "450 4.4.312 DNS query failed",
            "dnssec-invalid",
            "451 4.4.0 DNS query failed",
        ],
    },
    Entry {
        code: Code::EndpointsCapped,
        id: "endpoints-capped",
        severity: Severity::Warn,
        rank: 80,
        inconclusive: false,
        meaning: "more MX hosts or addresses than --max-mx / --max-addresses: some were not probed",
        explanation: "The domain has more MX hosts than --max-mx, or a mail host has more \
            addresses than --max-addresses, so the probe stopped at the cap, most preferred first; \
            the evidence lists what was skipped. The verdict covers only the endpoints that were \
            probed.\n\n\
            Senders do use the rest: lower-preference MX hosts take over when the preferred ones \
            fail, and the addresses of a host are tried in turn, so a skipped backup MX, or a \
            skipped IPv6 address serving an old certificate, still costs mail. Backup MX hosts are \
            exactly the ones forgotten at renewal time. Re-run with the caps raised to the numbers \
            given in the fix.",
        references: &[
            "RFC 5321 §5.1 (senders try MX hosts in preference order, and each address of a host)",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::LocalTrustStoreMissing,
        id: "local-trust-store-missing",
        severity: Severity::Warn,
        rank: 90,
        inconclusive: true,
        meaning: "this machine has no usable CA certificates, so no trust verdict is possible (install ca-certificates or pass --ca-file)",
        explanation: "The machine running the probe has no usable CA certificates: the system \
            bundle is missing or empty, or `SSL_CERT_FILE` or `SSL_CERT_DIR` point at nothing. No \
            certificate chain can be judged, since every certificate would look untrusted, so the \
            probe leaves trust out and the verdict unknown; names, dates, keys and the SMTP \
            dialogue are still reported.\n\n\
            This is a problem of the probing machine, not of the mail server. It is typical of \
            minimal container images (Debian slim, Alpine, distroless) without the \
            `ca-certificates` package. Install it, or pass the roots to trust with --ca-file.",
        references: &["RFC 5280 §6 (path validation starts from trust anchors)"],
        sender_strings: &[],
    },
    Entry {
        code: Code::EgressIpBlocklisted,
        id: "egress-ip-blocklisted",
        severity: Severity::Fail,
        rank: 171,
        inconclusive: false,
        meaning: "the address the server saw this probe as is on a blocklist: Exchange Online Protection withholds STARTTLS from it (warn when TLS works anyway)",
        explanation: "The address the server saw this probe as (its EHLO greeting `Hello \
            [address]`, or --egress-ip) is held by a DNS blocklist, or the server itself said \
            that its own list bans it. The evidence names each list, the code it returned and what \
            that code means.\n\n\
            Exchange Online Protection withholds STARTTLS, and other ESMTP keywords, from senders \
            on the blocklists it uses, so an on-premises server whose send connector requires TLS \
            queues with `451 4.4.0 Primary target IP address responded with: \"451 5.7.3 Must \
            issue a STARTTLS command first.\"`, an error that looks as if the sender forgot \
            STARTTLS. This is then a FAIL and the cause of starttls-not-offered. When TLS works \
            anyway, or the server is not one that withholds STARTTLS, the listing is a warning: \
            other receivers still refuse or defer mail from the address.\n\n\
            Spamhaus ZEN: 127.0.0.2 SBL, 127.0.0.3 CSS, 127.0.0.4-7 XBL (infected or exploited \
            hosts; the CBL is now part of it), 127.0.0.9 DROP, 127.0.0.10 PBL set by the ISP and \
            127.0.0.11 PBL set by Spamhaus; look the address up at check.spamhaus.org and follow \
            the removal procedure after fixing the cause. A PBL range set by an ISP cannot be \
            delisted by its user: send from a static address outside the ISP's dynamic pool, or \
            through a smart host. Barracuda (127.0.0.2) has a removal request form; SpamCop \
            (127.0.0.2) listings expire on their own once reports stop. Microsoft's own list \
            answers `550 5.7.606-649 Access denied, banned sending IP [address]`: request removal \
            at the delist portal, sender.office.com.",
        references: &[
            "RFC 5782 (DNS blacklists and whitelists: query format and 127.0.0.x answers)",
            "Spamhaus: DNSBL return codes (ZEN, SBL, CSS, XBL, DROP, PBL)",
            "Microsoft Learn: Use the delist portal to remove yourself from the blocked senders list",
            "Microsoft Learn: Mail flow intelligence in EOP",
        ],
        sender_strings: &[
            "Must issue a STARTTLS command first",
            "Connector is configured to send mail only over TLS connections and remote doesn't support TLS",
            "Access denied, banned sending IP",
            "blocked using",
            "Access denied, banned sender",
        ],
    },
    Entry {
        code: Code::DnsblQueryRefused,
        id: "dnsbl-query-refused",
        severity: Severity::Info,
        rank: 172,
        inconclusive: false,
        meaning: "a blocklist refused the query (127.255.255.x): whether it lists the address is unknown",
        explanation: "A DNS blocklist answered with a code in 127.255.255.0/24, which is not a \
            listing but a refusal: Spamhaus answers 127.255.255.254 to queries that reach it \
            through a public or open resolver (Google, Cloudflare, Quad9) or from a source it \
            cannot attribute, 127.255.255.255 when the free-use query limit is exceeded and \
            127.255.255.252 for a mistyped list name. Nothing is known about the address at that \
            list, so no listing is reported for it.\n\n\
            Ask through a resolver of your own that queries the lists directly (a local recursive \
            resolver, or the mail server's own DNS) with --resolver, or look the address up on \
            the list's web site (check.spamhaus.org).",
        references: &[
            "Spamhaus: DNSBL return codes (127.255.255.252, .254, .255)",
            "Spamhaus: Using our public mirrors (queries through public resolvers are refused)",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::EgressIpNotListed,
        id: "egress-ip-not-listed",
        severity: Severity::Info,
        rank: 173,
        inconclusive: false,
        meaning: "no blocklist asked holds the address the server saw this probe as",
        explanation: "The address the server saw this probe as was looked up in the DNS \
            blocklists shown in the evidence, and none of them holds it (NXDOMAIN). When \
            Exchange Online Protection withheld STARTTLS anyway, these lists do not explain it: \
            Microsoft also keeps a list of its own (a sender on it is told `550 5.7.606-649 \
            Access denied, banned sending IP`; the delist portal is sender.office.com), or the \
            cause is elsewhere: an SMTP-inspecting firewall in the path, or the probe's address \
            is not the one the mail server sends from.",
        references: &[
            "RFC 5782 (DNS blacklists: NXDOMAIN means not listed)",
            "Microsoft Learn: Use the delist portal to remove yourself from the blocked senders list",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::EgressIpNotChecked,
        id: "egress-ip-not-checked",
        severity: Severity::Info,
        rank: 174,
        inconclusive: false,
        meaning: "the address the server saw this probe as was not looked up in blocklists, and why (private address, none known, no answer)",
        explanation: "Blocklists were called for (Exchange Online Protection withheld STARTTLS, \
            or --dnsbl) but could not tell: the server saw this probe as a loopback, private, \
            link-local or documentation address (the server is on our LAN, or a NAT in between \
            rewrote the address), which no public list holds and which is not the address the \
            internet sees; or the greeting named no address; or the lists did not answer in \
            time, or do not hold IPv6 addresses. Pass the public address this network sends \
            from with --egress-ip, or run the probe from the mail server's own network.",
        references: &[
            "RFC 5782 (DNS blacklists)",
            "RFC 1918 (private addresses)",
            "RFC 5737 (documentation addresses)",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::ProbeDeadlineExceeded,
        id: "probe-deadline-exceeded",
        severity: Severity::Warn,
        rank: 100,
        inconclusive: true,
        meaning: "the run's --deadline ended the probe before the endpoint answered",
        explanation: "The run's overall --deadline (by default six times --timeout) ran out while \
            this endpoint was still being probed, so nothing conclusive is known about it; the \
            evidence names the phase that was cut short. This is a limit of this run, not a \
            finding about the server.\n\n\
            A server that is merely slow can use up the budget: a greeting delayed by a tarpit or \
            by a slow reverse-DNS lookup on the server, or slow replies, multiplied by many MX \
            hosts and addresses. Real senders wait much longer (RFC 5321 suggests minutes per \
            command), so re-run with a larger --deadline, or probe this endpoint alone.",
        references: &["RFC 5321 §4.5.3.2 (SMTP timeouts: senders wait minutes per step)"],
        sender_strings: &[],
    },
    Entry {
        code: Code::ConnectRefused,
        id: "connect-refused",
        severity: Severity::Fail,
        rank: 110,
        inconclusive: false,
        meaning: "the port is closed: nothing listens, or a firewall rejects",
        explanation: "The connection attempt to the port was actively refused (a TCP reset): \
            nothing listens there, or a firewall rejects the connection instead of dropping it.\n\n\
            Common causes: the SMTP service is stopped (Exchange: the MSExchangeFrontEndTransport \
            service; Postfix: not running, or `inet_interfaces = loopback-only`); the listener is \
            bound to another address or port; a NAT or port forward still points at an old \
            internal server; a firewall rule rejects the sender's addresses (for a hybrid, \
            Exchange Online Protection's ranges must be allowed on port 25); or the on-premises \
            server was shut down after a migration while connectors or MX records still point at \
            it. Senders treat it as temporary: they try the next address or MX host, queue the \
            mail and retry. Exchange Online reports `450 4.4.316 Connection refused` (`Socket \
            error code 10061`), retries connector deliveries for 24 hours, then returns the mail \
            to its sender.",
        references: &[
            "RFC 5321 §4.5.4.1 (senders queue and retry)",
            "Microsoft Learn: Mail flow intelligence in EOP",
            "Microsoft Learn: Email non-delivery reports and SMTP errors in Exchange Online",
            "Microsoft Learn: Microsoft 365 URLs and IP address ranges",
        ],
        sender_strings: &[
            "4.4.316 Connection refused",
            "Socket error code 10061",
            "Connection refused",
            "Winsock error code: 10061",
        ],
    },
    Entry {
        code: Code::ConnectTimeout,
        id: "connect-timeout",
        severity: Severity::Fail,
        rank: 120,
        inconclusive: false,
        meaning: "no answer to the connection attempt: a firewall drops it, or our network blocks outbound SMTP",
        explanation: "The connection attempt got no answer at all within --timeout: the packets to \
            the port are dropped somewhere.\n\n\
            Either a firewall in front of the server drops them (its allow list does not include \
            the senders, for a hybrid Exchange Online Protection's ranges; the NAT rule is \
            missing; the server is down), or the DNS record points at the wrong address, for \
            example after a change of internet provider. Or the problem is on our side: many ISPs \
            and cloud providers block outbound port 25, so a probe from a laptop or a cloud VM \
            times out against every mail server; run it from a host that can send mail. Senders \
            treat it as temporary: they try other addresses and MX hosts, queue the mail and retry \
            for days. Exchange Online reports `450 4.4.315 Connection timed out`, and Postfix \
            `connect to <host>[<address>]:25: Connection timed out`.",
        references: &[
            "RFC 5321 §4.5.4.1 (senders queue and retry)",
            "Microsoft Learn: Mail flow intelligence in EOP",
            "Microsoft Learn: Microsoft 365 URLs and IP address ranges",
        ],
        sender_strings: &[
            "450 4.4.315 Connection timed out",
            ":25: Connection timed out",
            "Winsock error code: 10060",
            "421 4.2.1 Unable to connect",
            "421 4.4.1 Connection timed out",
        ],
    },
    Entry {
        code: Code::ConnectFailed,
        id: "connect-failed",
        severity: Severity::Fail,
        rank: 130,
        inconclusive: false,
        meaning: "the connection could not be made (no route, network unreachable)",
        explanation: "The connection could not be made for a reason other than a refusal or a \
            timeout, typically `No route to host` or `Network is unreachable`, reported by this \
            machine or by a router on the way (an ICMP unreachable); the exact error is in the \
            evidence. The same code covers a socket error later in the session.\n\n\
            Common causes: the address is not reachable from this network (a private or internal \
            address published in public DNS, or an IPv6 address probed from a machine without IPv6 \
            connectivity); a router or firewall that rejects the traffic with an ICMP error; or a \
            routing problem at the server's provider. Check that DNS publishes the right, public \
            address. Senders treat it like any connection failure: they try the next address or MX \
            host and retry later.",
        references: &[
            "RFC 5321 §5.1 (senders try the next address or MX host)",
            "RFC 5321 §4.5.4.1 (senders queue and retry)",
        ],
        sender_strings: &["No route to host", "Network is unreachable"],
    },
    Entry {
        code: Code::Port25BlockedHere,
        id: "port25-blocked-here",
        severity: Severity::Warn,
        rank: 115,
        inconclusive: true,
        meaning: "every port-25 endpoint timed out while another port of the same hosts answered: this network blocks outbound port 25, so nothing is known about the servers' port 25",
        explanation: "Every endpoint on port 25 timed out on connect, while another port of the \
            same hosts (587, 465) connected from this machine. The servers are up and reachable, \
            so the likeliest cause is on our side: the network this probe runs from, or its \
            provider, drops outbound connections to port 25. Residential and mobile ISPs do it \
            to stop spam from infected machines, and so do the big clouds: Google Compute Engine \
            blocks outbound port 25 on every VM, Azure on most subscription types, and AWS EC2 \
            until a request lifts the limit. The connect-timeout findings it explains are \
            therefore lowered to warnings, and the verdict is unknown: the servers are not known \
            to be at fault.\n\n\
            Less likely, each server's firewall drops port 25 and lets the other port through; \
            senders would then fail too. To tell, run the probe from the mail server's own \
            network or from any host that can send mail (one whose outbound port 25 is open); if \
            port 25 answers there, nothing needs to change on the servers.",
        references: &[
            "RFC 5321 §2.1, §4.5.4.1 (relay between mail servers uses port 25; senders retry)",
            "RFC 6409 (message submission on port 587)",
            "Microsoft Learn: Troubleshoot outbound SMTP connectivity problems in Azure",
            "Google Cloud documentation: Sending email from an instance (outbound port 25 is blocked)",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::TlsModeMismatch,
        id: "tls-mode-mismatch",
        severity: Severity::Warn,
        rank: 135,
        inconclusive: true,
        meaning: "the port speaks the other TLS mode: implicit TLS where STARTTLS was expected, or a plaintext greeting where TLS was expected from the first byte",
        explanation: "The first conversation failed in a way the other TLS mode explains, and a \
            second, short connection confirmed it: a port that sent no greeting completed a TLS \
            handshake when spoken to first (an SMTPS port, as on 465, probed for STARTTLS), or a \
            port that answered a ClientHello with something other than TLS greeted with `220` in \
            plaintext (a STARTTLS port probed with --implicit-tls). The evidence says what the \
            second connection saw.\n\n\
            On a port of no fixed meaning this is a matter of asking the right way: the fix gives \
            the command line that probes the port in the mode it speaks, and the finding that \
            the first conversation produced (banner-timeout, tls-handshake-failed) is lowered to \
            a warning, since the server is not known to be at fault. On port 25 or 587, which \
            senders and mail clients always use with STARTTLS, a listener that starts with TLS \
            fails every sender (they wait for a greeting that never comes, as Postfix logs \
            `timed out while receiving the initial server greeting`), and on port 465, which \
            clients use with TLS from the first byte (RFC 8314), a plaintext greeting fails \
            every client (OpenSSL reports `wrong version number`): then the listener is \
            misconfigured and the finding is a failure.",
        references: &[
            "RFC 8314 §3.3 (implicit TLS for submission on port 465)",
            "RFC 3207 §4 (STARTTLS: the server greets in plaintext, TLS starts after 220)",
            "RFC 5321 §3.1 (the server speaks first)",
        ],
        sender_strings: &["wrong version number"],
    },
    Entry {
        code: Code::SmtpRateLimited,
        id: "smtp-rate-limited",
        severity: Severity::Warn,
        rank: 137,
        inconclusive: true,
        meaning: "the server limits connections from this address (a 4xx about connections or rate, or a hang-up right after the greeting): TLS could not be checked",
        explanation: "The server refused the session for now, and said why: a `421` or other \
            4xx reply whose text speaks of connections, rate or busy servers (Postfix: `421 \
            4.7.0 <host> Error: too many connections from <address>`; Exim: `Too many concurrent \
            SMTP connections`; Exchange: `421 4.3.2 The maximum number of concurrent connections \
            has exceeded a limit`; Exchange Online: `4.7.500 Server busy. Please try again \
            later`; Postfix postscreen: `421 4.3.2 All server ports are busy`), or it greeted \
            and hung up at once, as servers that shed excess connections do. Nothing about TLS \
            could be seen, so the result for this endpoint is unknown, not failed; the \
            smtp-temporary-refusal or smtp-connection-closed finding next to it is the same \
            event, lowered to a warning.\n\n\
            The limit usually counts connections per client address over a short window, or at \
            the same time; other scanners and mail from the same address (a shared NAT or cloud \
            range) count too. Retry later with one connection at a time: this tool never opens \
            two connections to one address and port at once, but several runs in a row, or \
            other tools behind the same address, do. Senders treat it as temporary and retry; if \
            your real sending address meets it all the time, ask the receiver to raise the limit \
            for it.",
        references: &[
            "RFC 5321 §4.2.1 (4yz replies are transient), §3.8 (421: closing the channel)",
            "Postfix documentation: smtpd_client_connection_count_limit, smtpd_client_connection_rate_limit (anvil)",
            "Microsoft Learn: Message rate limits and throttling (receive connector MaxInboundConnectionPerSource)",
        ],
        sender_strings: &[
            "Error: too many connections from",
            "Too many concurrent SMTP connections",
            "The maximum number of concurrent connections has exceeded a limit",
            "4.7.500 Server busy",
            "All server ports are busy",
            "Access denied, please try again later",
        ],
    },
    Entry {
        code: Code::SmtpTarpit,
        id: "smtp-tarpit",
        severity: Severity::Info,
        rank: 138,
        inconclusive: false,
        meaning: "the greeting or the EHLO reply came, but late: a tarpit, a greet pause or a slow check on the server",
        explanation: "The server answered, but only after a delay the summary gives (the \
            threshold is the smaller of 3 seconds and half of --timeout). A healthy server \
            greets within milliseconds of the connection and answers EHLO as fast.\n\n\
            Common causes: a deliberate greet pause or tarpit against spam bots (Postfix \
            postscreen waits `postscreen_greet_wait` before the rest of its greeting, sendmail's \
            `greet_pause`, Exchange's tarpitting), a reverse-DNS or blocklist lookup of the \
            client that is slow to answer, an overloaded server, or a proxy or firewall that \
            holds the session while it inspects it. Senders wait minutes (RFC 5321 suggests 5 \
            minutes for the greeting), so mail still flows, only slower; a probe or a client \
            with a short timeout gives up instead, which is why a slow server can look dead. By \
            itself it is never a failure; when a step of the same probe then timed out, it is a \
            warning, and a larger --timeout shows whether the server answers at all.",
        references: &[
            "RFC 5321 §4.5.3.2 (timeouts: 5 minutes for the greeting, EHLO included)",
            "Postfix documentation: POSTSCREEN_README (postscreen_greet_wait)",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::BannerTimeout,
        id: "banner-timeout",
        severity: Severity::Fail,
        rank: 140,
        inconclusive: false,
        meaning: "the connection was accepted but no 220 greeting came in time",
        explanation: "The TCP connection was accepted but no `220` greeting arrived within \
            --timeout. Something answers on the port but does not speak first, as an SMTP server \
            must.\n\n\
            Common causes: the SMTP service is hung or overloaded; an IPS, proxy or firewall \
            accepted the connection on the server's behalf and holds it (FortiGate proxy-mode \
            inspection of STARTTLS traffic is known for this); the greeting is delayed on purpose \
            (a tarpit or greet pause); the server waits on a slow reverse-DNS lookup of the client \
            before greeting; or the port expects implicit TLS (465) and waits for a TLS \
            ClientHello. RFC 5321 lets senders wait up to five minutes for the greeting, so a slow \
            server still receives mail, only late; a larger --timeout tells slow from dead. \
            Postfix logs `conversation with <host> timed out while receiving the initial server \
            greeting`, and retries later.",
        references: &[
            "RFC 5321 §3.1 (the server speaks first: 220 greeting)",
            "RFC 5321 §4.5.3.2 (timeouts: up to 5 minutes for the initial 220)",
        ],
        sender_strings: &["timed out while receiving the initial server greeting"],
    },
    Entry {
        code: Code::SmtpConnectionClosed,
        id: "smtp-connection-closed",
        severity: Severity::Fail,
        rank: 150,
        inconclusive: false,
        meaning: "the server closed the connection during the SMTP dialogue",
        explanation: "The server, or something in front of it, closed the connection without an \
            SMTP reply: instead of the greeting, after EHLO or after STARTTLS, as the evidence \
            shows. RFC 5321 expects a server that gives up to say `421` first, so a silent close \
            usually comes from something else.\n\n\
            Common causes: a connection or rate limit that drops excess connections; an IPS or \
            firewall with SMTP inspection that kills sessions it does not like (Microsoft lists \
            failing 'SMTP packet examination rules' first); a blocklist check that drops the \
            connection instead of replying; or an MTA process that crashes. Senders retry later, \
            so mail is delayed, and lost if it lasts longer than their queue lifetime. Exchange \
            Online reports `450 4.4.318 Connection was closed abruptly`, Exchange Server `421 \
            4.4.2 Connection dropped due to` followed by the reason, and Postfix `lost connection \
            with <host> while` followed by the phase.",
        references: &[
            "RFC 5321 §3.8 (a server sends 421 before closing the connection)",
            "Microsoft Learn: Mail flow intelligence in EOP",
        ],
        sender_strings: &[
            "450 4.4.318 Connection was closed abruptly",
            "421 4.4.2 Connection dropped due to",
            "lost connection with",
            "451 4.4.397 Error communicating with target host",
        ],
    },
    Entry {
        code: Code::SmtpProtocolError,
        id: "smtp-protocol-error",
        severity: Severity::Fail,
        rank: 160,
        inconclusive: false,
        meaning: "the server sent something that is not an SMTP reply, or a reply code that cannot answer where it came",
        explanation: "Something answered on the port, but what it sent could not be taken as the \
            SMTP reply due; the evidence shows the bytes and the summary says which case it is.\n\n\
            Not an SMTP reply at all (no three-digit code): usually the wrong service is \
            listening: a web server, SSH, a database, a load balancer's health page, or a port \
            forward that points at the wrong internal host or port. A reply whose code cannot \
            answer there (a greeting of 299 or 250 instead of 220, a 354 to EHLO, a 250 to \
            STARTTLS) is a broken listener or a proxy rewriting replies; it is not a refusal of \
            this client. Senders treat such a host as broken: they give up on the connection and \
            try the next MX host, and the mail waits in their queue if there is none. Check which \
            process owns the port on the server and where the firewall forwards it.",
        references: &[
            "RFC 5321 §4.2 (SMTP replies: three-digit code and text)",
            "RFC 5321 §4.2.1, §4.3.2 (which codes answer the greeting and each command)",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::SmtpReplyOverLimit,
        id: "smtp-reply-over-limit",
        severity: Severity::Warn,
        rank: 161,
        inconclusive: true,
        meaning: "a reply is longer than this probe reads (a line over 4096 bytes, or over 256 lines): TLS was not checked",
        explanation: "The server's greeting or EHLO reply went on past what this probe reads: a \
            line over 4096 bytes, or a reply of over 256 lines. SMTP sets no line count and RFC \
            5321 asks only for lines of up to 512 octets, so the limit is the probe's own and \
            nothing is known about TLS: the verdict is unknown.\n\n\
            Whether senders get through depends on where the reply ends. Postfix's SMTP client \
            cuts a line at `line_length_limit` (2048 bytes by default), logs `response longer \
            than 2048` and reads on; a reply that never ends stops every sender. Real servers send \
            a handful of short lines: a banner or EHLO list this long is a misconfiguration (a \
            banner of many lines, a long policy text) or not a mail server at all.",
        references: &[
            "RFC 5321 §4.5.3.1.5 (a reply line is at most 512 octets)",
            "Postfix smtp_chat.c (smtp_chat_resp) and line_length_limit",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::SmtpTimeout,
        id: "smtp-timeout",
        severity: Severity::Fail,
        rank: 170,
        inconclusive: false,
        meaning: "a command went unanswered within the timeout",
        explanation: "The connection and the greeting worked, but a later command (EHLO, STARTTLS, \
            or EHLO again over TLS, as the evidence shows) got no reply within --timeout.\n\n\
            Common causes: an overloaded or hung MTA; a firewall or proxy that holds the command \
            while it inspects the session (SMTP inspection in proxy mode); or a tarpit that \
            answers slowly on purpose. Senders wait longer than this probe (RFC 5321 suggests \
            minutes per command) and then retry later, so mail is delayed rather than lost; \
            Postfix logs `conversation with <host> timed out while performing the EHLO handshake` \
            or `while receiving the STARTTLS response`. If the server is just slow, a larger \
            --timeout shows it; if it never answers, look for this connection in the server's SMTP \
            log and in the firewall's.",
        references: &["RFC 5321 §4.5.3.2 (SMTP timeouts)"],
        sender_strings: &[
            "timed out while performing the EHLO handshake",
            "timed out while receiving the STARTTLS response",
        ],
    },
    Entry {
        code: Code::SmtpRejected,
        id: "smtp-rejected",
        severity: Severity::Fail,
        rank: 180,
        inconclusive: false,
        meaning: "the server refused us with a 5xx at the greeting or EHLO",
        explanation: "The server refused the probe permanently: a 5xx reply in place of the `220` \
            greeting (RFC 5321 allows 554 there), or in answer to EHLO and HELO. The reply text, \
            often naming a blocklist or a policy, is in the evidence.\n\n\
            At the greeting it is almost always about the connecting address: the probe's egress \
            address is on a blocklist the server uses (Spamhaus, Barracuda, SpamCop; Microsoft's \
            own list answers `Access denied, banned sending IP`), belongs to a dynamic or cloud \
            range the server refuses, or the server accepts only known relays (an Exchange receive \
            connector limited to Exchange Online Protection's addresses, a Postfix client access \
            list). Probe from the host that really sends the mail, since its address is what the \
            server judges. At EHLO the name is the problem: an address literal, a name that does \
            not resolve, or the target's own name, which Exchange Online rejects as `5.7.506 \
            Access Denied, Bad HELO`; set --ehlo-name. Senders treat 5xx as permanent and bounce.",
        references: &[
            "RFC 5321 §3.1 (554 in place of the 220 greeting)",
            "RFC 5321 §4.1.1.1 (EHLO and HELO)",
            "RFC 5321 §4.2.1 (5yz replies are permanent)",
            "Microsoft Learn: Email non-delivery reports and SMTP errors in Exchange Online",
        ],
        sender_strings: &[
            "refused to talk to me",
            "Access denied, banned sending IP",
            "Access Denied, Bad HELO",
        ],
    },
    Entry {
        code: Code::SmtpTemporaryRefusal,
        id: "smtp-temporary-refusal",
        severity: Severity::Warn,
        rank: 190,
        inconclusive: true,
        meaning: "a 421/4xx before TLS: rate limit or busy server; no TLS verdict possible",
        explanation: "The server answered the greeting or EHLO with a 4xx reply, usually `421`: \
            try again later. Nothing about its TLS could be seen, so the verdict for this endpoint \
            is unknown, not failed; the reply text is in the evidence.\n\n\
            Common causes: rate limiting of the probe's address (Postfix: `Error: too many \
            connections from`; many providers limit connections per address, and scanners that \
            open many at once trip it, which is why this tool opens one connection per address); a \
            server that is starting, shutting down or overloaded (Exchange: `421 4.3.2 Service not \
            available`); greylisting at connect; or an address throttled for its reputation. \
            Senders treat 4xx as temporary and retry for up to several days before they bounce. If \
            it persists for your real sending address, the receiver is throttling or listing that \
            address: read the reply text.",
        references: &[
            "RFC 5321 §4.2.1 (4yz replies are transient)",
            "RFC 5321 §3.8 (421: service closing the channel)",
            "RFC 5321 §4.5.4.1 (senders queue and retry)",
            "Microsoft Learn: Mail flow intelligence in EOP",
        ],
        sender_strings: &[
            "Error: too many connections from",
            "Too many connections from your host",
            "421 4.3.2 Service not available",
            "refused to talk to me",
            "450 4.4.317 Cannot connect to remote server",
        ],
    },
    Entry {
        code: Code::SmtpNoEsmtp,
        id: "smtp-no-esmtp",
        severity: Severity::Fail,
        rank: 200,
        inconclusive: false,
        meaning: "EHLO refused but HELO accepted: plain SMTP only (or a firewall rewriting EHLO), so no STARTTLS",
        explanation: "The server refused EHLO with an error but accepted the older HELO, so this \
            session speaks plain SMTP without extensions. STARTTLS is an extension that can only \
            be advertised in an EHLO reply, so TLS is impossible here. Opportunistic senders fall \
            back to HELO and deliver in clear text; senders that require TLS defer and then bounce \
            (Exchange Online: `451 5.7.3 STARTTLS is required to send mail`; Postfix: `TLS is \
            required, but was not offered by host`).\n\n\
            Causes: a very old or minimal SMTP server or device; or, more often, a box in the \
            path: an SMTP proxy or a firewall with mail inspection that filters or rewrites EHLO \
            (Untangle/Arista SMTP proxies force ESMTP down to SMTP; firewall SMTP inspection such \
            as Cisco `inspect esmtp` can interfere too). A proxy that silently turns EHLO into \
            HELO shows up instead as middlebox-ehlo-downgraded (a bare `250` reply to EHLO). Probe from \
            inside the firewall: if EHLO works there, the box in between is the cause.",
        references: &[
            "RFC 5321 §3.2 (EHLO; HELO for systems without extensions)",
            "RFC 3207 (STARTTLS is an SMTP service extension, advertised in the EHLO reply)",
            "Cisco ASA Series Firewall CLI Configuration Guide: SMTP and Extended SMTP Inspection \
            (Defaults for ESMTP Inspection: `mask-banner`, `no allow-tls`)",
        ],
        sender_strings: &[
            "451 5.7.3 STARTTLS is required to send mail",
            "TLS is required, but was not offered by host",
        ],
    },
    Entry {
        code: Code::MiddleboxMaskedBanner,
        id: "middlebox-masked-banner",
        severity: Severity::Fail,
        rank: 191,
        inconclusive: false,
        meaning: "the greeting is masked with `*` (Cisco ASA/FTD `inspect esmtp` mask-banner): an SMTP-inspecting firewall is in the path",
        explanation: "The server's greeting arrived as a row of asterisks after the reply code \
            (`220 ****************`), sometimes with a few digits or letters left standing. That \
            is the `mask-banner` action of Cisco ASA, PIX and FTD ESMTP inspection (`inspect \
            esmtp`), on by default in `_default_esmtp_map`: the firewall hides the mail server's \
            software and name. The same default policy also has `no allow-tls`, which removes \
            STARTTLS from the EHLO reply.\n\n\
            When STARTTLS is missing on this port, the firewall is the likely cause and this \
            finding fails, with starttls-not-offered as its symptom; the fix is on the firewall \
            (`allow-tls` and `no mask-banner` in the ESMTP inspection policy-map, or `no inspect \
            esmtp`), not on the mail server. Probing from inside the firewall shows the server's \
            own banner and keywords. When STARTTLS is offered and works, the firewall already lets \
            TLS through and the masked banner is only a note. Senders that require TLS queue mail \
            while STARTTLS is missing (Exchange Online: `451 5.7.3 STARTTLS is required to send \
            mail`; Postfix: `TLS is required, but was not offered by host`).",
        references: &[
            "Cisco ASA Series Firewall CLI Configuration Guide: SMTP and Extended SMTP Inspection \
            (Defaults for ESMTP Inspection: `mask-banner`, `no allow-tls`)",
            "RFC 5321 §4.2 (reply syntax: a code, then text)",
            "RFC 3207 §6 (a man-in-the-middle can delete the STARTTLS keyword)",
        ],
        sender_strings: &[
            "451 5.7.3 STARTTLS is required to send mail",
            "TLS is required, but was not offered by host",
            "220 ****",
        ],
    },
    Entry {
        code: Code::MiddleboxMaskedKeywords,
        id: "middlebox-masked-keywords",
        severity: Severity::Fail,
        rank: 192,
        inconclusive: false,
        meaning: "EHLO keywords overwritten with X's (`250-XXXXXXXA`): ESMTP inspection in the path stripped STARTTLS",
        explanation: "One or more keywords of the EHLO reply arrived overwritten with X's \
            (`250-XXXXXXXA`, where `STARTTLS` was). A mail server never sends that: a firewall \
            inspecting SMTP rewrote the reply in place, keeping its length, to hide extensions its \
            policy does not allow. Cisco ASA, PIX and FTD do this with `inspect esmtp`, whose \
            default policy-map has `no allow-tls`, so STARTTLS is removed for every sender on the \
            internet while the mail server itself is configured correctly.\n\n\
            The fix is on the firewall: `allow-tls` (and `no mask-banner`) under `parameters` of \
            the ESMTP inspection policy-map, or `no inspect esmtp` in the global policy. \
            starttls-not-offered is listed after this finding as its symptom. Senders that require \
            TLS queue and then bounce (Exchange Online: `451 5.7.3 STARTTLS is required to send \
            mail`; Postfix: `TLS is required, but was not offered by host`); opportunistic senders \
            deliver in clear text. When STARTTLS is still offered and only other keywords are \
            masked, this is a note. The masks do not say which keyword they hide, and the \
            default policy masks CHUNKING and SMTPUTF8 as well (\"others\"), both of STARTTLS's \
            eight letters like 8BITMIME: STARTTLS counts as removed only when a mask stands \
            before an unmasked 8BITMIME (where Exchange and Postfix list STARTTLS) or the \
            eight-letter masks outnumber the other eight-letter keywords missing. Otherwise an \
            eight-letter mask is a warning that it may be STARTTLS, and starttls-not-offered \
            leads with a fix that says how to tell (probe from inside the firewall) and both \
            changes; with no mask of that length it is a note and the server keeps its own fix.",
        references: &[
            "Cisco ASA Series Firewall CLI Configuration Guide: SMTP and Extended SMTP Inspection \
            (Defaults for ESMTP Inspection: `mask-banner`, `no allow-tls`)",
            "RFC 3207 §6 (a man-in-the-middle can delete the STARTTLS keyword)",
            "RFC 5321 §4.1.1.1 (the EHLO reply lists the extensions)",
        ],
        sender_strings: &[
            "451 5.7.3 STARTTLS is required to send mail",
            "TLS is required, but was not offered by host",
            "Must issue a STARTTLS command first",
            "starttls-not-supported",
            "250-XXXXXXXA",
        ],
    },
    Entry {
        code: Code::MiddleboxEhloDowngraded,
        id: "middlebox-ehlo-downgraded",
        severity: Severity::Fail,
        rank: 193,
        inconclusive: false,
        meaning: "EHLO answered with a bare `250 host` and no extension by a server that speaks ESMTP: a box in the path rewrites EHLO to HELO",
        explanation: "The EHLO reply was a single `250 <host>` line without any extension keyword, \
            the answer a server gives to the old HELO command, although the server says it speaks \
            ESMTP: its greeting says `ESMTP`, or another port of the same address lists extensions. \
            Something between the probe and the server turned EHLO into HELO: SMTP proxies and \
            firewalls that only pass plain SMTP (Untangle/Arista and others) do this, and with it \
            every extension disappears, STARTTLS first. starttls-not-offered is listed after this \
            finding as its symptom.\n\n\
            A server that answers EHLO with no extension and claims no ESMTP anywhere is not \
            reported here: that is more likely a minimal SMTP server than a device in the path, \
            and it gets starttls-not-offered alone. Probe from inside the firewall: when EHLO lists \
            extensions there, turn off SMTP proxying for the mail server on the device, or let it \
            pass ESMTP and STARTTLS. Senders that require TLS queue and then bounce.",
        references: &[
            "RFC 5321 §4.1.1.1 (EHLO and HELO; the EHLO reply lists the extensions)",
            "RFC 5321 §3.2 (a server that supports extensions answers EHLO with them)",
            "RFC 3207 §6 (a man-in-the-middle can delete the STARTTLS keyword)",
        ],
        sender_strings: &[
            "451 5.7.3 STARTTLS is required to send mail",
            "TLS is required, but was not offered by host",
        ],
    },
    Entry {
        code: Code::MiddleboxStarttlsMangled,
        id: "middlebox-starttls-mangled",
        severity: Severity::Fail,
        rank: 194,
        inconclusive: false,
        meaning: "STARTTLS is advertised but the command is answered 500/502 'unrecognized': a box in the path rewrote the command",
        explanation: "The EHLO reply advertised STARTTLS, and the same server then answered the \
            STARTTLS command with `500` or `502`, 'command unrecognized'. A server does not forget \
            a command it just advertised: a device in the path rewrote it. Cisco ASA, PIX and FTD \
            ESMTP inspection turns commands its policy does not allow into `XXXX`, which the mail \
            server then refuses (`500 5.5.1 Command unrecognized`, Postfix `502 5.5.2 Error: \
            command not recognized`). starttls-rejected is listed after this finding as its \
            symptom.\n\n\
            The fix is on the device: on a Cisco ASA, `allow-tls` in the ESMTP inspection \
            policy-map, or `no inspect esmtp`. Senders that require TLS defer and eventually \
            bounce (Postfix: `TLS is required, but host <host> refused to start TLS`); \
            opportunistic senders continue in clear text.",
        references: &[
            "Cisco ASA Series Firewall CLI Configuration Guide: SMTP and Extended SMTP Inspection \
            (Defaults for ESMTP Inspection: `mask-banner`, `no allow-tls`)",
            "RFC 3207 §4 (STARTTLS: 220 then handshake)",
            "RFC 5321 §4.2.2 (500: command unrecognized; 502: command not implemented)",
        ],
        sender_strings: &[
            "refused to start TLS",
            "Error: command not recognized",
            "500 5.5.1 Command unrecognized",
        ],
    },
    Entry {
        code: Code::SmtpReplyIrregular,
        id: "smtp-reply-irregular",
        severity: Severity::Info,
        rank: 199,
        inconclusive: false,
        meaning: "replies break SMTP's syntax (mixed codes in one reply, lines ending in a bare LF): a sign of a proxy or fixup in the path",
        explanation: "Some replies did not follow RFC 5321's syntax: the lines of one multi-line \
            reply carried different codes, or lines ended with a bare LF instead of CRLF. The \
            probe read them anyway, as most senders do. Mail servers rarely do this themselves; \
            SMTP proxies, 'fixup' and inspection features of firewalls and home-grown gateways \
            that rewrite replies often do. When another middlebox finding is raised, these are \
            listed in its evidence; alone they are a note. Strict senders may refuse such replies \
            and report a protocol error. If the server's own replies are clean when probed from \
            inside the network, look for the device in between.",
        references: &[
            "RFC 5321 §4.2 (every line of a multi-line reply carries the same code)",
            "RFC 5321 §2.3.8 (lines end with CRLF)",
        ],
        sender_strings: &["STARTTLS command not supported"],
    },
    Entry {
        code: Code::SmtpReplyDesync,
        id: "smtp-reply-desync",
        severity: Severity::Fail,
        rank: 195,
        inconclusive: false,
        meaning: "the server sent replies nobody asked for, so its answers are out of step with the commands: each reply after the extra one answers the wrong command",
        explanation: "SMTP is a dialogue: the client sends one command and reads one reply \
            (RFC 5321 §4.2, §4.3.2). This server sent more: bytes were already waiting before \
            the probe sent a command (it never sends two at once, so nobody asked for them), or \
            a reply came whose code cannot answer the command it followed (a `220` to EHLO, a \
            `250` to QUIT). The evidence shows the bytes and what they arrived in answer to.\n\n\
            A sender reads replies in order, so after one extra reply every answer is taken for \
            the next command's: the greeting's second line is read as the EHLO reply, the real \
            EHLO reply (with its STARTTLS) as the answer to STARTTLS or QUIT. Senders then see \
            no STARTTLS, or a refused STARTTLS, and send in clear text or defer. The probe \
            reports the desynchronisation instead of judging a reply that answered something \
            else. Common causes: a greeting sent twice (a load balancer or proxy that greets \
            and then passes the server's own greeting through), a banner with an extra line \
            that is not a continuation (`220 ...` then `220 ...`), an 'SMTP fixup' that adds a \
            reply, or a server that answers a command twice. Look at what sends the extra \
            reply, from inside the network first.",
        references: &[
            "RFC 5321 §4.2 (replies), §4.3.2 (the replies each command may get)",
            "RFC 5321 §4.5.3.2.1 (the greeting is one reply)",
            "RFC 2920 §3 (a client that does not pipeline waits for each reply)",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::TlsInterceptionSuspected,
        id: "tls-interception-suspected",
        severity: Severity::Fail,
        rank: 265,
        inconclusive: false,
        meaning: "the certificate is an appliance's or an inspection CA's, not the mail server's: a device in front terminates or intercepts TLS",
        explanation: "The certificate presented on this port names a security appliance or TLS \
            inspection vendor (Barracuda, Fortinet, Sophos, Cisco, SonicWall, Palo Alto, \
            WatchGuard, Zscaler, Check Point...) in its subject or issuer, while the names senders \
            check point elsewhere: the certificate does not cover the mail host, and the banner \
            may be that of the server behind the device (Exchange, Postfix). A device in front of \
            the mail server terminates STARTTLS with its own, often self-signed, certificate.\n\n\
            The classic case: a Barracuda in front of Exchange presents its own self-signed \
            certificate, so Exchange Online's hybrid connector fails with `450 4.7.320 Certificate \
            validation failed`, although Exchange's own certificate and connectors are right. The \
            fix is on the device: install the mail server's real certificate on it (for its SMTP \
            service), or make it pass TLS through to the server; changing Exchange's certificate \
            changes nothing senders see. cert-self-signed, cert-untrusted and cert-name-mismatch \
            are listed after this finding as its symptoms. When the chain leads to an inspection \
            CA that this machine trusts, or Exchange Online answers with an appliance's \
            certificate, the device is probably in the probe's own network (outbound TLS \
            inspection): the finding is then a warning, and the certificate findings, which \
            describe the device and not the server, are lowered to warnings too. An appliance that is itself the MX and presents the \
            organisation's publicly trusted certificate is not reported.",
        references: &[
            "RFC 6125 §6.4 (the certificate must name the host the client connected to)",
            "RFC 5280 §6 (path validation to a trusted root)",
            "RFC 7672 §3.2.3 (SMTP server reference identifiers: the MX host name)",
            "Microsoft Learn: Certificate requirements for hybrid deployments",
            "Microsoft Learn: Email non-delivery reports and SMTP errors in Exchange Online",
        ],
        sender_strings: &[
            "450 4.7.320 Certificate validation failed",
            "SubjectMismatch",
        ],
    },
    Entry {
        code: Code::StarttlsPortMismatch,
        id: "starttls-port-mismatch",
        severity: Severity::Fail,
        rank: 210,
        inconclusive: false,
        meaning: "the same host offers STARTTLS on one port but not on another: the server can do TLS, the listener on that port does not",
        explanation: "Probing several ports of one address (typically 25 and 587), the probe saw \
            STARTTLS in the EHLO reply on one port and not on another. When TLS completed with a \
            trusted certificate on the other port, the server software can do TLS and has a \
            usable certificate; the listener on this port is configured differently (the fix cites \
            only ports where TLS completed).\n\n\
            On Exchange each port is its own receive connector (`Default Frontend` on 25, `Client \
            Frontend` on 587). A common story: after a certificate renewal the port-25 connector's \
            TlsCertificateName still names the old certificate, so Exchange silently withholds \
            STARTTLS there (Event 12014), while the 587 connector, without a TlsCertificateName, \
            falls back to a certificate matching the server's name; or the port-25 connector's \
            AuthMechanism lacks `Tls`. On Postfix a master.cf service overrides \
            `smtpd_tls_security_level` for one port. A firewall that inspects SMTP only on port 25 \
            (Cisco `inspect esmtp`) gives the same picture. Senders reaching the port without \
            STARTTLS behave as for starttls-not-offered: forced-TLS senders such as Exchange \
            Online queue (`451 5.7.3 STARTTLS is required to send mail`), the others deliver in \
            clear text.",
        references: &[
            "RFC 3207 §4 (STARTTLS is advertised per session: each listener decides)",
            "Microsoft Learn: Selection of Inbound STARTTLS Certificates",
            "Microsoft Learn: Receive connectors",
            "postconf(5): smtpd_tls_security_level",
        ],
        sender_strings: &[
            "451 5.7.3 STARTTLS is required to send mail",
            "450 4.4.317 Cannot connect to remote server",
            "could not find a certificate that contains the domain name",
        ],
    },
    Entry {
        code: Code::StarttlsNotOffered,
        id: "starttls-not-offered",
        severity: Severity::Fail,
        rank: 220,
        inconclusive: false,
        meaning: "STARTTLS is not advertised in the EHLO reply",
        explanation: "The server answered EHLO normally, but `STARTTLS` was not among the keywords \
            of its reply (shown in the evidence), so no sender can start TLS on this port.\n\n\
            Common causes: on Exchange, the receive connector has no usable certificate (its \
            TlsCertificateName still names a certificate that no longer exists after a renewal, or \
            no SMTP-enabled certificate covers its Fqdn), and Exchange then silently withholds \
            STARTTLS and logs Event 12014; or the connector's AuthMechanism lacks `Tls`. A Cisco \
            ASA/FTD with `inspect esmtp` strips the keyword by default (`no allow-tls`), often \
            leaving X'ed-out keywords (`250-XXXXXXXA`) or a `220 ****` banner. On Postfix, \
            `smtpd_tls_security_level` is unset or `none` (in main.cf or a master.cf override), or \
            the certificate failed to load (`disabling TLS support` in the log). Exchange Online \
            Protection withholds STARTTLS from clients whose address is blocklisted. Senders that \
            require TLS (Exchange Online and hybrid connectors with forced TLS, Postfix at \
            `encrypt`, MTA-STS in enforce mode, DANE) queue the mail and later bounce it; \
            opportunistic senders deliver in clear text.",
        references: &[
            "RFC 3207 §4 (STARTTLS: 220 then handshake; 454 when TLS is unavailable)",
            "RFC 3207 §6 (a man-in-the-middle can delete the STARTTLS keyword)",
            "RFC 8460 (TLS-RPT result type `starttls-not-supported`)",
            "RFC 8461 (MTA-STS: enforce-mode senders deliver only over verified TLS)",
            "Microsoft Learn: Selection of Inbound STARTTLS Certificates",
            "Microsoft Learn: Mail flow intelligence in EOP",
            "Cisco ASA Series Firewall CLI Configuration Guide: SMTP and Extended SMTP Inspection \
            (Defaults for ESMTP Inspection: `mask-banner`, `no allow-tls`)",
            "Postfix TLS Support (TLS_README)",
            "postconf(5): smtpd_tls_security_level",
        ],
        sender_strings: &[
            "451 5.7.3 STARTTLS is required to send mail",
            "450 4.4.317 Cannot connect to remote server",
            "Must issue a STARTTLS command first",
            "TLS is required, but was not offered by host",
            "starttls-not-supported",
            "Connector is configured to send mail only over TLS connections",
            "is unable to establish TLS with the receiving server",
            "could not find a certificate that contains the domain name",
            "disabling TLS support",
        ],
    },
    Entry {
        code: Code::StarttlsRejected,
        id: "starttls-rejected",
        severity: Severity::Fail,
        rank: 230,
        inconclusive: false,
        meaning: "the STARTTLS command was answered with something other than 220",
        explanation: "STARTTLS was advertised and the probe sent the command, but the server \
            answered with something other than `220` (the reply is in the evidence), so no \
            handshake took place.\n\n\
            `454 4.7.0 TLS not available due to local problem` is Postfix (smtpd or postscreen) \
            saying it cannot load its certificate or key: a certificate path that no longer exists \
            after a renewal, a key that does not match, unreadable permissions. On Exchange a 4xx \
            or 5xx here usually means the bound certificate lost its private key, is not enabled \
            for SMTP, or was removed. A `500` or `502` 'command unrecognized' while STARTTLS is \
            advertised means something in the path rewrote the command: Cisco ASA `inspect esmtp` \
            turns commands it does not allow into `XXXX`. RFC 3207 lets a client that gets 454 \
            continue in clear text, and opportunistic senders do; senders that require TLS defer \
            and eventually bounce (Postfix: `TLS is required, but host <host> refused to start \
            TLS`).",
        references: &[
            "RFC 3207 §4 (STARTTLS: 220 then handshake; 454 when TLS is unavailable)",
            "Postfix TLS Support (TLS_README)",
            "Microsoft Learn: Enable-ExchangeCertificate",
            "Cisco ASA Series Firewall CLI Configuration Guide: SMTP and Extended SMTP Inspection \
            (Defaults for ESMTP Inspection: `mask-banner`, `no allow-tls`)",
        ],
        sender_strings: &[
            "TLS not available due to local problem",
            "refused to start TLS",
            "Error: command not recognized",
            "500 5.5.1 Command unrecognized",
            "starttls-not-supported",
        ],
    },
    Entry {
        code: Code::StarttlsInjection,
        id: "starttls-injection",
        severity: Severity::Warn,
        rank: 240,
        inconclusive: false,
        meaning: "bytes arrived after the STARTTLS 220 and before the handshake (CVE-2011-0411 class)",
        explanation: "After the server's `220` reply to STARTTLS, the probe found more bytes \
            already waiting before it began the TLS handshake (they are shown in the evidence). A \
            correct server sends nothing between that `220` and the handshake; the probe discarded \
            the bytes, as a careful client must.\n\n\
            This is the STARTTLS plaintext-injection class (CVE-2011-0411, found in Postfix and \
            then in many other MTAs), where data received in clear text before TLS was mistaken \
            for data protected by it. Here the stray bytes come from the server side: an MTA or \
            SMTP proxy with a buffering bug, a load balancer or 'SMTP fixup' that injects text, or \
            an active man-in-the-middle. Senders react differently: some discard the bytes, others \
            read them as the start of the TLS handshake and fail. Update the MTA and look for \
            anything in the path that rewrites SMTP traffic.",
        references: &[
            "CVE-2011-0411",
            "RFC 3207 §4.2 (after TLS starts, discard everything learned before it)",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::TlsHandshakeFailed,
        id: "tls-handshake-failed",
        severity: Severity::Fail,
        rank: 250,
        inconclusive: false,
        meaning: "the TLS handshake failed (reason in plain words: version, cipher, key, closed...)",
        explanation: "The server accepted STARTTLS with `220` (or the port speaks implicit TLS), \
            but the TLS handshake did not complete. The evidence gives the reason in plain words \
            and the TLS library's message.\n\n\
            Causes, by reason: the server speaks only TLS 1.0 or 1.1 (older Exchange or Windows \
            without TLS 1.2 enabled in SCHANNEL, IIS SMTP relays, old OpenSSL builds), which \
            Exchange Online has refused since 2021 and reports as \
            `SMTPSEND.SuspiciousRemoteServerError`; no cipher suite in common (only RSA key \
            exchange or CBC suites, or a Postfix with no certificate loaded, which then offers \
            none); a server key under 2048 bits; or the connection was cut mid-handshake by an \
            SMTP-inspecting firewall (Cisco `inspect esmtp` without `allow-tls`) or a proxy. \
            Opportunistic senders such as Postfix at `may` retry the same server in clear text \
            (`Cannot start TLS: handshake failure`); Exchange Online with forced TLS, MTA-STS and \
            DANE senders defer and eventually bounce (`4.7.321 starttls-not-supported`).\n\n\
            When the leaf's RSA key is under 2048 bits, cert-weak-key (its cause) is listed first \
            and this finding names the key. When a second, hand-built TLS 1.0-1.2 hello shows that \
            the server speaks only TLS 1.0 or 1.1, tls-legacy-only (its cause, with the version) is \
            listed first; when it shows TLS 1.2 with an old cipher suite, this finding names the \
            suite.",
        references: &[
            "RFC 8996 (TLS 1.0 and 1.1 deprecated)",
            "RFC 9325 (BCP 195: TLS 1.2 or 1.3 with modern cipher suites)",
            "Microsoft Learn: Exchange Server TLS configuration best practices",
            "Microsoft Learn: Email non-delivery reports and SMTP errors in Exchange Online",
            "Postfix TLS Support (TLS_README)",
            "Cisco ASA Series Firewall CLI Configuration Guide: SMTP and Extended SMTP Inspection \
            (Defaults for ESMTP Inspection: `mask-banner`, `no allow-tls`)",
        ],
        sender_strings: &[
            "Cannot start TLS: handshake failure",
            "warning: TLS library problem",
            "SMTPSEND.SuspiciousRemoteServerError",
            "starttls-not-supported",
            "SSL_accept error from",
            "SSL_connect error to",
            "no shared cipher",
            "sslv3 alert handshake failure",
        ],
    },
    Entry {
        code: Code::SmtpTlsSessionFailed,
        id: "smtp-tls-session-failed",
        severity: Severity::Fail,
        rank: 260,
        inconclusive: false,
        meaning: "TLS was established but the SMTP session over it failed",
        explanation: "The TLS handshake completed, but the SMTP session inside TLS did not: the \
            EHLO the probe sent over TLS (a client must send it again, having forgotten everything \
            learned before TLS) got no valid answer; the server closed the connection, timed out, \
            or sent something that is not an SMTP reply, as the evidence shows.\n\n\
            This usually means that a TLS-terminating proxy, load balancer or 'secure SMTP' \
            appliance completes the handshake itself and then fails to pass the session on to the \
            mail server behind it, or that the MTA itself fails right after TLS starts; the \
            server's log for this connection says which. Senders see a lost connection after \
            STARTTLS (Postfix: `lost connection with <host> while performing the EHLO handshake`) \
            and retry later; Postfix at `may` then retries in clear text, while senders that \
            require TLS keep the mail queued.",
        references: &["RFC 3207 §4.2 (after TLS starts, the client sends EHLO again)"],
        sender_strings: &["while performing the EHLO handshake"],
    },
    Entry {
        code: Code::TlsLegacyOnly,
        id: "tls-legacy-only",
        severity: Severity::Fail,
        rank: 245,
        inconclusive: false,
        meaning: "the server speaks only TLS 1.0 or 1.1 (the version it chose is named), which Exchange Online and other modern senders refuse",
        explanation: "The TLS handshake failed (tls-handshake-failed, listed right after this \
            finding), so the probe opened a second connection, redid the greeting, EHLO and \
            STARTTLS (nothing of it on an implicit-TLS port), and sent a minimal hand-built ClientHello offering TLS 1.0, 1.1 and 1.2 with \
            the classic cipher suites (ECDHE, DHE and RSA key exchange with AES-CBC and 3DES). A \
            server picks the highest version both sides speak; this one chose TLS 1.0 or TLS 1.1 \
            (named in the summary, with the cipher suite it picked), so it cannot speak TLS 1.2 or \
            1.3 at all. The probe read only the ServerHello and hung up.\n\n\
            Causes in the field: an Exchange or Windows Server without TLS 1.2 enabled in SCHANNEL \
            (or with .NET not told to use strong crypto), an IIS SMTP relay, an old appliance \
            firmware, or Postfix with `smtpd_tls_protocols` / `smtpd_tls_mandatory_protocols` \
            excluding TLSv1.2 and TLSv1.3 (often as an `-o` override on the master.cf service of \
            one port) or an OpenSSL build or configuration that caps the version. TLS 1.0 and 1.1 \
            are deprecated (RFC 8996). Exchange Online refuses them for SMTP and reports the \
            delivery as `451 4.4.0 SMTPSEND.SuspiciousRemoteServerError; remote server \
            disconnected abruptly`; Postfix senders log `Cannot start TLS: handshake failure` and, \
            at `may`, deliver in clear text instead, while senders that require TLS (MTA-STS, \
            DANE, forced-TLS connectors) defer and eventually bounce.\n\n\
            When the server answers the hand-built hello with TLS 1.2, this finding is not raised: \
            the server can speak TLS 1.2, and tls-handshake-failed names the cipher suite it chose \
            (no cipher suite in common with a current client) instead.",
        references: &[
            "RFC 8996 (TLS 1.0 and 1.1 deprecated)",
            "RFC 5246 §7.4.1.2 and Appendix E.1 (the server picks the highest common version)",
            "Microsoft Learn: Exchange Server TLS configuration best practices",
            "Microsoft Learn: Preparing for TLS 1.2 in Office 365 and Office 365 GCC",
            "Postfix TLS Support (TLS_README); postconf(5): smtpd_tls_protocols, \
            smtpd_tls_mandatory_protocols, tls_config_file",
        ],
        sender_strings: &[
            "SMTPSEND.SuspiciousRemoteServerError",
            "remote server disconnected abruptly",
            "Cannot start TLS: handshake failure",
            "unsupported protocol",
        ],
    },
    Entry {
        code: Code::TlsRequired,
        id: "tls-required",
        severity: Severity::Info,
        rank: 415,
        inconclusive: false,
        meaning: "the server refuses MAIL FROM before STARTTLS (e.g. `530 5.7.0 Must issue a STARTTLS command first`): TLS is required here (--check-required)",
        explanation: "With --check-required the probe opened a connection of its own, said EHLO \
            and, without STARTTLS, sent `MAIL FROM:<>` (the null sender; never RCPT or DATA). The \
            server refused it with a reply about TLS, as Postfix at `smtpd_tls_security_level = \
            encrypt` does (`530 5.7.0 Must issue a STARTTLS command first`) and an Exchange \
            receive connector with `RequireTLS $true`: a client must start TLS before it may send \
            mail here.\n\n\
            That is right for a submission port, for the on-premises end of a hybrid connector \
            and for a partner connection agreed to be encrypted. On a port-25 MX that the world \
            sends to, RFC 3207 §4 forbids it (a publicly-referenced server must not require \
            TLS): senders that cannot start TLS, or whose TLS fails, then cannot deliver at all \
            (`451 5.7.3 STARTTLS is required to send mail`, `Must issue a STARTTLS command \
            first`), where they would otherwise deliver in clear text.",
        references: &[
            "RFC 3207 §4 (530 5.7.0 before STARTTLS; a publicly-referenced server must not require TLS)",
            "Postfix TLS Support (TLS_README): smtpd_tls_security_level = encrypt",
            "Microsoft Learn: Receive connectors (RequireTLS)",
        ],
        sender_strings: &[
            "530 5.7.0 Must issue a STARTTLS command first",
            "Must issue a STARTTLS command first",
            "STARTTLS is required to send mail",
            "Connection is not TLS encrypted. Recipient organization requires TLS",
        ],
    },
    Entry {
        code: Code::TlsNotRequired,
        id: "tls-not-required",
        severity: Severity::Info,
        rank: 416,
        inconclusive: false,
        meaning: "the server accepts MAIL FROM without TLS (--check-required): right for an internet MX on port 25 (RFC 3207 §4); warn with --expect-required",
        explanation: "With --check-required the probe opened a connection of its own, said EHLO \
            and, without STARTTLS, sent `MAIL FROM:<>` (the null sender), then RSET and QUIT; \
            never RCPT or DATA, so nothing was sent. The server accepted the sender (a 2xx reply): \
            a client that does not start TLS may send mail here in clear text.\n\n\
            On a port-25 MX that the world sends to this is what RFC 3207 §4 asks for (a \
            publicly-referenced server must not require TLS), so it is only information: senders \
            that want encryption enforce it from their side (MTA-STS, DANE, a forced-TLS \
            connector). Where TLS must be forced, say so with --expect-required and this becomes \
            a warning: the on-premises end of an Exchange hybrid connector whose Exchange Online \
            side has `RequireTls $true`, a partner connection agreed to be encrypted, or a \
            submission port (RFC 8314 recommends TLS for all mail submission). The fix forces TLS \
            on that listener only (Exchange: `RequireTLS` on the receive connector; Postfix: \
            `smtpd_tls_security_level=encrypt` on that master.cf service), never on the public \
            port-25 MX.",
        references: &[
            "RFC 3207 §4 (a publicly-referenced server must not require TLS)",
            "RFC 8314 §3 (TLS for mail submission)",
            "Postfix TLS Support (TLS_README): smtpd_tls_security_level = may / encrypt",
            "Microsoft Learn: Receive connectors (RequireTLS)",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::TlsRequiredUnknown,
        id: "tls-required-unknown",
        severity: Severity::Info,
        rank: 417,
        inconclusive: false,
        meaning: "--check-required could not tell whether TLS is required: MAIL FROM was refused for another reason, or the check did not get that far",
        explanation: "With --check-required the probe opened a connection of its own to send \
            `MAIL FROM:<>` without STARTTLS, but the answer says nothing about TLS: the server \
            refused the null sender or the connection for another reason (a policy, a blocklist, \
            authentication required first, a rate limit: the reply is in the evidence), or the \
            greeting or EHLO failed on that connection. Nothing is claimed either way; the rest of \
            the report stands.",
        references: &[
            "RFC 3207 §4",
            "RFC 5321 §4.2.1 (reply codes), §4.5.5 (null reverse-path)",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::CertExpired,
        id: "cert-expired",
        severity: Severity::Fail,
        rank: 270,
        inconclusive: false,
        meaning: "a certificate the server sends has expired",
        explanation: "A certificate the server sends is past its notAfter date at the time of the \
            probe: the server's own certificate, or an intermediate that the path to the root \
            needs.\n\n\
            An expired leaf is the most common TLS failure after a missed renewal. Often the \
            certificate was renewed but never put in use: on Exchange, the new certificate was \
            imported but not enabled for SMTP, and the connectors' TlsCertificateName still name \
            the old one; on Postfix, certbot renewed the files but Postfix was not reloaded, or \
            main.cf points at a copy. Or one node behind a load balancer still has the old \
            certificate. An expired intermediate means the server sends an outdated chain file. \
            Senders that validate (Exchange Online with forced TLS, MTA-STS, DANE) defer with `450 \
            4.7.320 Certificate validation failed` or `4.7.322 certificate-expired`, then bounce; \
            opportunistic senders still deliver. Exchange Online may never resubmit messages it \
            deferred, even after the fix: ask the senders to resend.",
        references: &[
            "RFC 5280 §4.1.2.5 (validity)",
            "RFC 5280 §6 (path validation checks every certificate's dates)",
            "RFC 8460 (TLS-RPT result type `certificate-expired`)",
            "Microsoft Learn: Mail flow intelligence in EOP",
            "Microsoft Learn: Email non-delivery reports and SMTP errors in Exchange Online",
            "Microsoft Learn: Certificate requirements for hybrid deployments",
        ],
        sender_strings: &[
            "450 4.7.320 Certificate validation failed",
            "certificate-expired",
            "certificate has expired",
            "Remote certificate failed MTA-STS validation",
            "Server certificate not trusted",
            "Server certificate not verified",
        ],
    },
    Entry {
        code: Code::CertNotYetValid,
        id: "cert-not-yet-valid",
        severity: Severity::Fail,
        rank: 280,
        inconclusive: false,
        meaning: "the certificate is not valid yet (notBefore in the future, or a wrong clock)",
        explanation: "The certificate's notBefore date is later than the probe's clock: it is not \
            valid yet. Either a freshly issued certificate was installed before its start date \
            (some renewals are issued to start when the old certificate ends), or a clock is \
            wrong: on the server, on the machine that issued a self-made certificate, or on the \
            machine running this probe. Check NTP on each; a server clock far in the past also \
            breaks everything else that uses time.\n\n\
            Validating senders refuse it just like an expired certificate: Exchange Online defers \
            with `450 4.7.320 Certificate validation failed` (with DANE it lists a future start \
            date under `4.7.323 tlsa-invalid`), and Postfix logs `certificate not yet valid`. Keep \
            serving the old certificate until the new one's start date has passed.",
        references: &[
            "RFC 5280 §4.1.2.5 (validity)",
            "Microsoft Learn: Email non-delivery reports and SMTP errors in Exchange Online",
        ],
        sender_strings: &[
            "certificate not yet valid",
            "certificate is not yet valid",
            "450 4.7.320 Certificate validation failed",
            "tlsa-invalid: The domain failed DANE validation",
            "validation-failure",
        ],
    },
    Entry {
        code: Code::CertExpiresSoon,
        id: "cert-expires-soon",
        severity: Severity::Warn,
        rank: 290,
        inconclusive: false,
        meaning: "the certificate has less than --warn-days days left (warn), or less than --fail-days (fail)",
        explanation: "The certificate is valid today, but less time is left until its notAfter \
            than --warn-days (default 30 days: a warning) or --fail-days (alias --min-days, \
            default 7: a failure), counted exactly: with 7 days and 12 hours left, --fail-days 7 \
            is not crossed yet. Senders still accept it; once it expires every validating \
            sender defers mail (see cert-expired).\n\n\
            Renew now, and plan the whole change, not only the file: on Exchange, import the new \
            certificate on every server, enable it for SMTP, and update TlsCertificateName on the \
            receive and send connectors (re-run the Hybrid Configuration Wizard in a hybrid), \
            since the old issuer and subject string no longer matches if the CA or the subject \
            changed; on Postfix, make sure the renewal hook reloads Postfix. Then probe every \
            address again: a node still serving the old certificate is the classic intermittent \
            failure.",
        references: &[
            "RFC 5280 §4.1.2.5 (validity)",
            "Microsoft Learn: Certificate requirements for hybrid deployments",
            "Microsoft Learn: Enable-ExchangeCertificate",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::CertSelfSigned,
        id: "cert-self-signed",
        severity: Severity::Fail,
        rank: 300,
        inconclusive: false,
        meaning: "the certificate is self-signed (fail; warn if you trusted it with --ca-file)",
        explanation: "The server's certificate is signed by its own key (issuer and subject are \
            the same), so no sender can chain it to a trusted root. It is a failure, or a warning \
            when you trusted it explicitly with --ca-file.\n\n\
            On Exchange this is almost always the 'Microsoft Exchange' certificate created at \
            setup (subject `CN=<server name>`), served because no third-party certificate is \
            bound: the connector has no TlsCertificateName and its Fqdn is the server's own name, \
            or one server behind the load balancer never got the public certificate (the \
            intermittent `450 4.7.320 Certificate validation failed [Message=SubjectMismatch]`). \
            Appliances in front of the mail server (Barracuda, firewalls) often answer with their \
            own self-signed certificate, and Postfix packages often start with a placeholder \
            ('snakeoil') one. Opportunistic senders deliver anyway, encrypted but unauthenticated; \
            Exchange Online connectors that validate certificates, MTA-STS senders and Postfix at \
            `verify` or `secure` defer and bounce.",
        references: &[
            "RFC 5280 §6 (path validation to a trust anchor)",
            "RFC 8461 §4.2 (MTA-STS: the MX certificate must chain to a trusted root)",
            "Microsoft Learn: Selection of Inbound STARTTLS Certificates",
            "Microsoft Learn: Certificate requirements for hybrid deployments",
        ],
        sender_strings: &[
            "self-signed certificate",
            "self signed certificate",
            "450 4.7.320 Certificate validation failed",
            "SubjectMismatch",
            "validation-failure",
            "Server certificate not trusted",
            "Server certificate not verified",
            "Remote certificate failed MTA-STS validation",
            "The certificate is valid but it is selfsigned",
        ],
    },
    Entry {
        code: Code::CertUntrusted,
        id: "cert-untrusted",
        severity: Severity::Fail,
        rank: 310,
        inconclusive: false,
        meaning: "the chain does not lead to a trusted root CA (or the certificate sent cannot be parsed)",
        explanation: "The chain the server sent does not lead to a root that this machine trusts \
            (the system CA store, plus any --ca-file), and no more specific reason (a missing \
            intermediate, a self-signed leaf, a weak key or signature, the key usage) explains it; \
            the verifier's message is in the evidence. It is also raised when the certificate \
            cannot be parsed at all.\n\n\
            Common causes: a certificate from a private or enterprise CA (Active Directory \
            Certificate Services) on an internet-facing MX; a TLS-inspecting firewall or mail \
            gateway presenting a certificate from its own inspection CA instead of the mail \
            server's; or a chain ending at a root that was distrusted or is missing from the \
            senders' stores. Senders that validate (Exchange Online with certificate or domain \
            validation, MTA-STS, Postfix at `verify` or `secure`) defer and bounce; opportunistic \
            senders still deliver, encrypted but unauthenticated. To test a private CA on purpose, \
            pass its root with --ca-file.",
        references: &[
            "RFC 5280 §6 (path validation to a trust anchor)",
            "RFC 8461 §4.2 (MTA-STS: the MX certificate must chain to a trusted root)",
            "RFC 8460 (TLS-RPT result type `certificate-not-trusted`)",
            "Microsoft Learn: Certificate requirements for hybrid deployments",
        ],
        sender_strings: &[
            "certificate-not-trusted",
            "untrusted issuer",
            "root certificate which is not trusted",
            "self signed certificate in certificate chain",
            "self-signed certificate in certificate chain",
            "450 4.7.320 Certificate validation failed",
            "Server certificate not trusted",
            "Server certificate not verified",
            "Remote certificate failed MTA-STS validation",
            "ChainTrust",
        ],
    },
    Entry {
        code: Code::CertDateUnsupported,
        id: "cert-date-unsupported",
        severity: Severity::Warn,
        rank: 315,
        inconclusive: false,
        meaning: "a certificate is dated before 1970, which TLS clients built on rustls/webpki refuse",
        explanation: "A certificate in the chain has a notBefore (or notAfter) before 1 January 1970. \
            The date is validly encoded (RFC 5280 §4.1.2.5.1: a UTCTime year of 50 to 99 means \
            19xx), and OpenSSL, Schannel and Go read it, but rustls-webpki cannot represent \
            dates before the Unix epoch and refuses the certificate as badly encoded \
            (`BadDerTime`, reported by rustls as `BadEncoding`): senders built on rustls cannot \
            deliver over TLS that requires a valid certificate. When the chain leads to a trusted \
            root apart from that date, this is a warning; otherwise the reason it is not trusted \
            is said too, and it fails.\n\n\
            Common causes: a certificate made by hand or by a script with a placeholder date \
            (1950-01-01, the smallest UTCTime), or an appliance's certificate made with a clock \
            set to zero.",
        references: &[
            "RFC 5280 §4.1.2.5 (validity: UTCTime for years through 2049, 50-99 are 19xx)",
            "rustls-webpki `time.rs` (dates before 1970 are refused as BadDerTime)",
        ],
        sender_strings: &[
            "BadEncoding",
            "BadDerTime",
            "invalid peer certificate: BadEncoding",
        ],
    },
    Entry {
        code: Code::CertChainIncomplete,
        id: "cert-chain-incomplete",
        severity: Severity::Fail,
        rank: 320,
        inconclusive: false,
        meaning: "the chain sent stops below a trusted root: an intermediate is not sent, or the leaf comes straight from a private root (nothing sent tells them apart)",
        explanation: "The server sends its own certificate but not the intermediate CA \
            certificate(s) that link it to a trusted root, or sends the wrong intermediate (the \
            evidence shows which certificate did not issue which). Browsers often hide this by \
            fetching the missing intermediate themselves; mail senders do not, so a certificate \
            that works on the web site can fail for mail.\n\n\
            On Exchange and Windows the server sends the chain it can build from its local store: \
            the intermediate is missing from 'Intermediate Certification Authorities' of the \
            computer store, or an old intermediate left there after the CA changed its chain is \
            sent instead. On Postfix the chain file holds only the leaf (certbot's `cert.pem` \
            instead of `fullchain.pem`). Appliances are often given the leaf alone. Validating \
            senders defer (`450 4.7.320 Certificate validation failed`; Postfix logs `untrusted \
            issuer`). When the same Exchange server sends to Exchange Online, the incomplete chain \
            can also surface as `550 5.7.64 TenantAttribution; Relay Access Denied`.\n\n\
            What the server sends cannot tell a missing intermediate from a leaf issued straight \
            by a private root that is neither sent nor trusted: the fix first tells them apart by \
            the issuer's name and the leaf's CA Issuers URL (Authority Information Access), then \
            says what to do in each case.",
        references: &[
            "RFC 5246 §7.4.2 (TLS 1.2: the server sends its chain, each certificate certifying the \
            one before)",
            "RFC 8446 §4.4.2 (TLS 1.3 Certificate message)",
            "RFC 5280 §6 (path validation)",
            "RFC 5280 §4.2.2.1 (Authority Information Access: caIssuers)",
            "Postfix TLS Support (TLS_README)",
            "Microsoft Learn: Fix NDR error 5.7.64 in Exchange Online",
        ],
        sender_strings: &[
            "untrusted issuer",
            "unable to get local issuer certificate",
            "unable to verify the first certificate",
            "root certificate which is not trusted",
            "450 4.7.320 Certificate validation failed",
            "5.7.64 TenantAttribution; Relay Access Denied",
            "validation-failure",
            "Server certificate not trusted",
            "Server certificate not verified",
        ],
    },
    Entry {
        code: Code::CertNameMismatch,
        id: "cert-name-mismatch",
        severity: Severity::Fail,
        rank: 330,
        inconclusive: false,
        meaning: "the certificate does not cover the host name probed",
        explanation: "The certificate does not cover the host name that was probed: for a domain, \
            the MX host name, which is what validating senders check; for a host target, the name \
            you gave. Names are matched against the certificate's DNS subjectAltNames as RFC 6125 \
            says: `*.contoso.com` covers `mail.contoso.com`, but neither `contoso.com` nor \
            `a.mail.contoso.com`. The names it does hold are in the evidence.\n\n\
            Common causes: the MX points at a name that is not on the certificate (a provider's \
            host name, the server's internal name, an MX added after the certificate was issued); \
            the certificate was issued for the web site only; the wrong certificate is bound, such \
            as Exchange's self-signed one or an appliance's own; or one node behind a load \
            balancer serves a different certificate. Opportunistic senders deliver anyway; MTA-STS \
            and DANE senders, Exchange Online connectors with domain validation \
            (`SubjectMismatch`) and Postfix at `secure` defer and bounce.",
        references: &[
            "RFC 6125 §6.4 (DNS-ID matching, wildcards)",
            "RFC 9525 (successor of RFC 6125: service identity in TLS)",
            "RFC 7672 §3.2.3 (MX host as reference identifier)",
            "RFC 8461 §4.2 (MTA-STS: the certificate must be valid for the MX host)",
            "RFC 8460 (TLS-RPT result type `certificate-host-mismatch`)",
            "RFC 5280 §4.2.1.6 (subjectAltName)",
            "Microsoft Learn: Mail flow intelligence in EOP",
        ],
        sender_strings: &[
            "certificate-host-mismatch",
            "SubjectMismatch",
            "450 4.7.320 Certificate validation failed",
            "Server certificate not verified",
            "Remote certificate failed MTA-STS validation",
            "hostname mismatch",
            "Cert Hostname DOES NOT VERIFY",
            "RemoteCertificateNameMismatch",
            "Certificate subject does not match the passed value",
            "TLS Negotiation failed, the certificate doesn't match the host",
        ],
    },
    Entry {
        code: Code::CertNameNotChecked,
        id: "cert-name-not-checked",
        severity: Severity::Info,
        rank: 340,
        inconclusive: false,
        meaning: "the target is an IP address, so no host name was checked (use --expect-name)",
        explanation: "The target was given as an IP address, so there was no host name to match \
            the certificate against; the other certificate checks (dates, chain, key) still ran. \
            Senders never deliver 'to an IP': they look up the MX host name and check the \
            certificate against that name, so this result says nothing about whether they will \
            accept it. Probe the MX host name instead, or add --expect-name with the name senders \
            expect (the MX host, or an Exchange Online connector's TlsDomain) to check it against \
            this one address, for example one node behind a load balancer.",
        references: &[
            "RFC 7672 §3.2.3 (MX host as reference identifier)",
            "RFC 6125 §6.4 (DNS-ID matching, wildcards)",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::CertEhloNameMismatch,
        id: "cert-ehlo-name-mismatch",
        severity: Severity::Warn,
        rank: 350,
        inconclusive: false,
        meaning: "the name the server greets with in EHLO (Exchange: the connector Fqdn) is not on the certificate (warn on Exchange; info elsewhere when the certificate covers the name senders check)",
        explanation: "The name the server gives in the first line of its EHLO reply (its greeting \
            name) is not on its certificate, although the certificate may well cover the host name \
            probed.\n\n\
            On Exchange the greeting name is the receive connector's Fqdn. When the connector has \
            no TlsCertificateName, Exchange chooses its STARTTLS certificate by that Fqdn, so a \
            greeting name missing from the certificate means the connector depends on some other \
            certificate matching, and may fall back to the self-signed one, or stop offering \
            STARTTLS (Event 12014), after the next certificate change. With TlsCertificateName \
            set, the mismatch is mostly cosmetic for Exchange Online, whose domain validation \
            checks the connector's TlsDomain. An internal name such as `EX01.contoso.local` is \
            typical. On Postfix the greeting name is `myhostname`. Hybrid guides commonly ask for \
            the connector Fqdn to be a name on the certificate, and some receivers and checkers \
            compare greeting, banner and reverse DNS, so aligning them removes doubt.\n\n\
            Senders check the certificate against the MX host name, not the greeting (RFC 7672 \
            §3.2.3), so on Postfix and other servers this is info when the certificate covers the \
            name probed: an internal `myhostname` next to a certificate for the MX name is a \
            common healthy setup. It stays a warning on Exchange, and wherever the probed name is \
            not covered either.",
        references: &[
            "Microsoft Learn: Selection of Inbound STARTTLS Certificates",
            "Microsoft Learn: Receive connectors",
            "RFC 5321 §4.1.1.1 (EHLO reply: the server's greeting name)",
            "RFC 7672 §3.2.3 (the MX host name is the reference identifier)",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::CertExpectedNameMismatch,
        id: "cert-expected-name-mismatch",
        severity: Severity::Fail,
        rank: 360,
        inconclusive: false,
        meaning: "the certificate does not cover a name given with --expect-name",
        explanation: "--expect-name gives a name the certificate must cover, usually the name a \
            particular sender checks rather than the MX name: an Exchange Online outbound \
            connector's TlsDomain (with domain validation), an inbound connector's \
            TlsSenderCertificateName, or a partner's TLS policy. The certificate the server sent \
            does not cover it; the evidence lists the names it has. A wildcard given with \
            --expect-name must be on the certificate as that same wildcard.\n\n\
            This is the classic aftermath of a renewal in a hybrid: the new certificate has a \
            different subject or list of names (a wildcard replaced by named SANs, or the reverse) \
            while the connectors still expect the old name, so Exchange Online defers with `450 \
            4.7.320 Certificate validation failed [Message=SubjectMismatch]`, or, for mail from \
            on-premises, rejects it with `550 5.7.64 TenantAttribution; Relay Access Denied`. \
            Either get a certificate that carries the name, or point the connector at a name the \
            certificate has.",
        references: &[
            "RFC 6125 §6.4 (DNS-ID matching, wildcards)",
            "Microsoft Learn: Certificate requirements for hybrid deployments",
            "Microsoft Learn: Mail flow intelligence in EOP",
            "Microsoft Learn: Fix NDR error 5.7.64 in Exchange Online",
        ],
        sender_strings: &[
            "SubjectMismatch",
            "450 4.7.320 Certificate validation failed",
            "5.7.64 TenantAttribution; Relay Access Denied",
        ],
    },
    Entry {
        code: Code::CertCommonNameOnly,
        id: "cert-common-name-only",
        severity: Severity::Warn,
        rank: 370,
        inconclusive: false,
        meaning: "the name matches only the subject CN; there is no subjectAltName (refused by modern clients)",
        explanation: "The host name matches the certificate only through the subject Common Name \
            (CN); the certificate has no DNS subjectAltName. RFC 6125 §6.4.4 allows a client to \
            look at the CN only as a last resort when there is no DNS name, and its successor RFC \
            9525 drops the CN altogether; rustls, Go and the major browsers no longer fall back to \
            it.\n\n\
            Public CAs have put the name in the subjectAltName for many years, so a CN-only \
            certificate is usually an old internal or self-made one: an `openssl req` without a \
            subjectAltName, an old Windows CA template, an appliance's default. Senders with a \
            strict verifier treat it as a name mismatch and, if they require TLS, defer; \
            opportunistic senders are not affected. Re-issue it with the name as a DNS \
            subjectAltName.",
        references: &[
            "RFC 6125 §6.4.4 (CN only as a last resort)",
            "RFC 9525 (successor of RFC 6125: no CN fallback)",
            "RFC 5280 §4.2.1.6 (subjectAltName)",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::CertWeakKey,
        id: "cert-weak-key",
        severity: Severity::Fail,
        rank: 380,
        inconclusive: false,
        meaning: "a key in the chain is too small (RSA < 2048 bits, EC < 256 bits)",
        explanation: "A certificate in the chain the server sent has an RSA (or DSA) key under \
            2048 bits, or an elliptic-curve key under 256 bits. That is below what public CAs \
            issue and what current TLS stacks accept: rustls refuses RSA keys under 2048 bits (the \
            handshake then fails too), OpenSSL 3 at its default security level rejects them (`EE \
            certificate key too weak`, or `ee key too small` when a server tries to load one), and \
            Exchange Online refuses them.\n\n\
            Typical sources are old self-made certificates, appliance defaults, and 1024-bit keys \
            generated years ago and renewed again and again on the same key. Re-key, not just \
            renew: create a new 2048-bit (or larger) RSA or an ECDSA P-256 key and a new request. \
            Validating senders defer; opportunistic ones may fall back to clear text.",
        references: &[
            "NIST SP 800-131A (RSA keys of at least 2048 bits)",
            "CA/Browser Forum Baseline Requirements (minimum key sizes)",
            "RFC 9325 (BCP 195: recommendations for TLS)",
        ],
        sender_strings: &[
            "EE certificate key too weak",
            "CA certificate key too weak",
            "ee key too small",
        ],
    },
    Entry {
        code: Code::CertWeakSignature,
        id: "cert-weak-signature",
        severity: Severity::Fail,
        rank: 390,
        inconclusive: false,
        meaning: "a certificate in the chain is signed with SHA-1 or MD5 (refused by rustls and OpenSSL 3)",
        explanation: "A certificate in the chain, the leaf or an intermediate, is signed with \
            SHA-1 or MD5 (the self-signature of a root does not count). Both hashes have practical \
            collision attacks, public CAs stopped issuing SHA-1 certificates years ago, and \
            current verifiers refuse them: rustls does not accept SHA-1 certificate signatures, \
            and OpenSSL 3 at its default security level reports `CA signature digest algorithm too \
            weak` (`ca md too weak`).\n\n\
            Such certificates are nearly always internal: an old Windows enterprise CA still \
            signing with SHA-1, or a certificate issued long ago and never replaced. Re-issue with \
            SHA-256, and move the issuing CA to SHA-256 if it is the one still signing with SHA-1. \
            Validating senders defer; opportunistic senders may still deliver.",
        references: &[
            "RFC 6194 (security considerations for SHA-1)",
            "RFC 6151 (security considerations for MD5)",
            "CA/Browser Forum Baseline Requirements (no SHA-1 signatures)",
        ],
        sender_strings: &["CA signature digest algorithm too weak", "ca md too weak"],
    },
    Entry {
        code: Code::CertNoServerAuth,
        id: "cert-no-server-auth",
        severity: Severity::Fail,
        rank: 400,
        inconclusive: false,
        meaning: "the extended key usage does not allow TLS servers (no serverAuth)",
        explanation: "The server's certificate has an extended key usage (EKU) extension that does \
            not include `serverAuth`, so it may not be used by a TLS server: when the extension is \
            present, the certificate is valid only for the purposes it lists (RFC 5280 §4.2.1.12). \
            The EKUs found are in the evidence, typically only `clientAuth`, `emailProtection` (an \
            S/MIME certificate) or code signing.\n\n\
            It happens when the certificate was requested from a Windows CA with a client or \
            e-mail template instead of 'Web Server', or when an S/MIME or client certificate was \
            installed on the mail server by mistake. rustls and OpenSSL refuse it (`unsupported \
            certificate purpose`), and Postfix logs `not designated for use as a server \
            certificate`; validating senders defer. Re-issue it with the serverAuth EKU.",
        references: &["RFC 5280 §4.2.1.12 (extended key usage)"],
        sender_strings: &[
            "unsupported certificate purpose",
            "not designated for use as a server certificate",
            "validation-failure",
        ],
    },
    Entry {
        code: Code::EndpointsInconsistent,
        id: "endpoints-inconsistent",
        severity: Severity::Warn,
        rank: 410,
        inconclusive: false,
        meaning: "endpoints of one MX host (or domain) differ in certificate, STARTTLS or TLS version: senders see intermittent failures (info when the certificates differ but all are trusted and current)",
        explanation: "Endpoints that senders treat as interchangeable disagree. Within one MX host \
            name (several A/AAAA addresses: nodes behind DNS round robin or a load balancer), one \
            address offers STARTTLS and another does not, or they present different certificates, \
            or negotiate different TLS versions. Across the MX hosts of a domain, some offer \
            STARTTLS and some do not, or they differ in TLS version. Senders pick an address, and \
            on failure the next MX, each time, so the symptom is intermittent: some messages are \
            deferred while others arrive.\n\n\
            Typical causes: after a renewal one Exchange node was forgotten and still serves the \
            old or the self-signed certificate (the intermittent `450 4.7.320 Certificate \
            validation failed [Message=SubjectMismatch]`); a new node built without the TLS \
            settings of the others; an IPv6 address that reaches another server or bypasses the \
            firewall. When the certificates differ but all are trusted and current, the finding is \
            only informational: nothing fails, but a renewal or a DANE record must then cover each \
            of them.",
        references: &[
            "RFC 5321 §5.1 (senders try MX hosts in preference order, and each address of a host)",
            "Microsoft Learn: Certificate requirements for hybrid deployments",
        ],
        sender_strings: &[
            "SubjectMismatch",
            "450 4.7.320 Certificate validation failed",
            "451 5.7.3 STARTTLS is required to send mail",
        ],
    },
    Entry {
        code: Code::StarttlsOk,
        id: "starttls-ok",
        severity: Severity::Info,
        rank: 420,
        inconclusive: false,
        meaning: "the endpoint is healthy: TLS version, cipher and days left",
        explanation: "Everything this probe checks passed on this endpoint: STARTTLS was offered \
            and accepted (or implicit TLS worked), the handshake completed with the TLS version \
            and cipher suite shown, the certificate chains to a trusted root, covers the names \
            checked and is not close to expiry, and the SMTP session continued over TLS. The \
            summary gives the days left. Probe again after every certificate renewal, and on every \
            address and MX host that senders can reach.",
        references: &[
            "RFC 3207 §4 (STARTTLS: 220 then handshake)",
            "RFC 9325 (BCP 195: recommendations for TLS)",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::ConnectorTenantAttribution,
        id: "connector-tenant-attribution",
        severity: Severity::Fail,
        rank: 430,
        inconclusive: false,
        meaning: "Exchange Online cannot tie mail relayed from on premises to an inbound connector (550 5.7.64 TenantAttribution; Relay Access Denied): reported by senders, not raised by a probe",
        explanation: "Reported by senders, not raised by a probe: the code explains a pasted \
            NDR or queue error. Exchange Online refused to relay mail that the on-premises server \
            sent through it, because no inbound connector of type OnPremises accepted the \
            connection: the connector identifies the on-premises server by the name on its TLS \
            certificate (`TlsSenderCertificateName`) or by its sending addresses, and neither \
            matched. The on-premises queue or the NDR shows `550 5.7.64 TenantAttribution; Relay \
            Access Denied`.\n\n\
            Common causes: the on-premises certificate was renewed with another subject or name \
            and the connector still expects the old one; the send connector presents no \
            certificate (its TlsCertificateName names a replaced certificate); the on-premises \
            server does not send the intermediate certificates, so Exchange Online cannot build the \
            chain (CAPI2 `800B0109 ... terminated in a root certificate which is not trusted`); the \
            public address the mail leaves from changed and the connector lists addresses; or \
            the certificate's name is not an accepted domain of the tenant. Compare \
            `Get-InboundConnector | fl Name,TlsSenderCertificateName,SenderIPAddresses` with the \
            certificate the send connector presents, then re-run the Hybrid Configuration \
            Wizard.",
        references: &[
            "Microsoft Learn: Fix error code 550 5.7.64 TenantAttribution; Relay Access Denied in Exchange Online",
            "Microsoft Learn: Set-InboundConnector (TlsSenderCertificateName, SenderIPAddresses)",
            "Microsoft Learn: Configure mail flow using connectors in Exchange Online",
        ],
        sender_strings: &[
            "5.7.64 TenantAttribution; Relay Access Denied",
            "TenantAttribution",
        ],
    },
    Entry {
        code: Code::SenderCertificateMissing,
        id: "sender-certificate-missing",
        severity: Severity::Fail,
        rank: 440,
        inconclusive: false,
        meaning: "the on-premises sending server has no usable certificate for its send connector (TlsCertificateName not found, NoCredentials): reported by senders, not raised by a probe",
        explanation: "Reported by senders, not raised by a probe: the code explains a pasted \
            queue error or protocol-log line. The sending Exchange server could not present a \
            certificate when the receiver (usually Exchange Online) asked for TLS: its send \
            connector's TlsCertificateName names a certificate that is not in the store any more, \
            or no certificate bound to SMTP is usable. The queue shows `454 4.7.5 The certificate \
            specified in TlsCertificateName of the SendConnector could not be found.` or `454 4.7.5 \
            certificate validation failure`; the SmtpSend protocol log shows `TLS negotiation \
            failed with error NoCredentials` (or `UnknownCredentials`), and the queue often only \
            `451 4.4.0 Primary target IP address responded with: \"421 4.4.1 Connection timed \
            out.\"`.\n\n\
            Common causes: the certificate was renewed and the connector still names the old one \
            by `<I>issuer<S>subject`; the new certificate is not enabled for SMTP \
            (`Enable-ExchangeCertificate -Services SMTP`); its private key is missing or not \
            readable by the transport service; or its status is Invalid or RevocationCheckFailure \
            because the CRL cannot be reached. Set the send connector's TlsCertificateName to the \
            current certificate and restart the transport service; in a hybrid, re-run the Hybrid \
            Configuration Wizard.",
        references: &[
            "Microsoft Learn: Set-SendConnector (TlsCertificateName)",
            "Microsoft Learn: Enable-ExchangeCertificate",
            "Microsoft Support KB 4051498: TLS negotiation failed with error UnknownCredentials",
            "Microsoft Learn (archive): Mailflow issue from Exchange On-prem to Office 365",
        ],
        sender_strings: &[
            "The certificate specified in TlsCertificateName of the SendConnector could not be found",
            "454 4.7.5 certificate validation failure",
            "TLS negotiation failed with error NoCredentials",
            "TLS negotiation failed with error UnknownCredentials",
        ],
    },
    Entry {
        code: Code::DaneTlsaInvalid,
        id: "dane-tlsa-invalid",
        severity: Severity::Fail,
        rank: 450,
        inconclusive: false,
        meaning: "the destination's TLSA records match no certificate it presents (4/5.7.323 tlsa-invalid): reported by senders, not raised by a probe",
        explanation: "Reported by senders, not raised by a probe: the code explains a pasted NDR \
            or message-trace detail. A sender that uses DANE (Exchange Online outbound, Postfix with \
            `smtp_tls_security_level = dane`) found DNSSEC-signed TLSA records for the MX host \
            (`_25._tcp.<mx host>`), and none of them matches the certificate chain the server \
            presented, so it refuses to deliver: Exchange Online reports `4.7.323 tlsa-invalid: \
            The domain failed DANE validation.` (5.7.323 once it gives up), Postfix `untrusted \
            issuer` or `Server certificate not verified` at level dane.\n\n\
            Common causes: the certificate (or its key) was renewed and the TLSA record still \
            holds the old digest: publish the new record before the new certificate goes live \
            (\"3 1 1\" of the key survives renewals on the same key); a TLSA record of usage 2 \
            names an intermediate the server no longer sends; a certificate whose validity \
            starts in the future; or an attack on the path.",
        references: &[
            "RFC 7672 (SMTP security via opportunistic DANE TLS)",
            "RFC 6698 (TLSA records)",
            "RFC 8460 (TLS-RPT result type tlsa-invalid)",
            "Microsoft Learn: How SMTP DNS-based Authentication of Named Entities (DANE) works",
            "Microsoft Learn: Email non-delivery reports and SMTP errors in Exchange Online",
        ],
        sender_strings: &[
            "4.7.323 tlsa-invalid",
            "5.7.323 tlsa-invalid",
            "tlsa-invalid: The domain failed DANE validation",
        ],
    },
    Entry {
        code: Code::DaneDnssecInvalid,
        id: "dane-dnssec-invalid",
        severity: Severity::Fail,
        rank: 460,
        inconclusive: false,
        meaning: "the destination's DNSSEC records do not validate, so a DANE sender cannot trust its MX or TLSA records (4/5.7.324 dnssec-invalid): reported by senders, not raised by a probe",
        explanation: "Reported by senders, not raised by a probe: the code explains a pasted NDR \
            or message-trace detail. A sender that validates DNSSEC for DANE got answers for the \
            recipient domain, its MX host or the TLSA records that do not validate (bogus), so it \
            cannot tell a real answer from a forged one and defers the mail: Exchange Online reports \
            `4.7.324 dnssec-invalid: Destination domain returned invalid DNSSEC records` (5.7.324 \
            once it gives up).\n\n\
            Common causes: expired RRSIG signatures (a signer that stopped re-signing); a DS \
            record left at the registrar after DNSSEC was turned off or the keys were changed \
            without a rollover; a zone moved to another DNS provider with the old DS still \
            published; or name servers that answer differently. `delv` or `dig +dnssec` against a \
            validating resolver, and an online DNSSEC analyser, name the broken link.",
        references: &[
            "RFC 4035 §4.3 (DNSSEC: bogus answers)",
            "RFC 7672 §2.1 (DANE for SMTP requires validated DNSSEC answers)",
            "RFC 8460 (TLS-RPT result type dnssec-invalid)",
            "Microsoft Learn: How SMTP DNS-based Authentication of Named Entities (DANE) works",
            "Microsoft Learn: Email non-delivery reports and SMTP errors in Exchange Online",
        ],
        sender_strings: &[
            "4.7.324 dnssec-invalid",
            "5.7.324 dnssec-invalid",
            "Destination domain returned invalid DNSSEC records",
        ],
    },
    Entry {
        code: Code::ExchangeReceiveCertificateNotFound,
        id: "exchange-receive-certificate-not-found",
        severity: Severity::Fail,
        rank: 820,
        inconclusive: false,
        meaning: "a receive connector's TlsCertificateName names no certificate on its server: Exchange stops offering STARTTLS on that connector and logs Event 12014",
        explanation: "A receive connector's TlsCertificateName (`<I>issuer<S>subject`) names a \
            certificate that its server's certificate list does not hold: no certificate there has \
            that issuer and that subject. Exchange chooses the STARTTLS certificate by this name \
            alone; in the documented selection it does not fall back to the connector's Fqdn when \
            the named certificate is missing. It stops advertising STARTTLS on the connector and \
            logs Event 12014, whose \"domain name\" is then the `<I>…<S>…` string itself. Exchange \
            Online's connector to on premises requires TLS, so it queues the mail (message trace: \
            `450 4.4.317 Cannot connect to remote server [Message=451 5.7.3 STARTTLS is required \
            to send mail]`) and eventually bounces it; other senders deliver in clear text. \
            Another port can still offer STARTTLS: `Client Frontend` on 587, with no \
            TlsCertificateName, selects by the server's name and finds the self-signed \
            certificate, which is why STARTTLS can appear on 587 and not on 25.\n\n\
            The usual trigger is a renewal: the old certificate was removed and the connector \
            still names it, or the new certificate's issuer changed (a new intermediate such as \
            `DigiCert Global G2 TLS RSA SHA256 2020 CA1` instead of `DigiCert TLS RSA SHA256 2020 \
            CA1`), or its subject changed (a domain-validated certificate drops the `O=` and `L=` \
            of the old organisation-validated one); or the certificate was imported on one server \
            only. The tool compares issuer and subject as X.500 names (RDN by RDN, quoting, case \
            and spaces normalised) with every certificate of the connector's server, and names the \
            nearest one and the difference. `Get-ExchangeCertificate | fl` does not print the \
            server: when the paste names exactly one server, the list is taken to be its (and the \
            evidence says so); when it names several, give --server or use the collection script. \
            When the list may not be the server's whole store (a `-Thumbprint` or `Where-Object` \
            listing, a single certificate), or TlsCertificateName was not in the paste, it reports \
            exchange-check-inconclusive instead. Fix: build the name from the certificate \
            (`\"<I>$($c.Issuer)<S>$($c.Subject)\"`) and set it with Set-ReceiveConnector, or \
            re-run the Hybrid Configuration Wizard and choose the current certificate.",
        references: &[
            "Microsoft Learn: Selection of Inbound STARTTLS Certificates",
            "Microsoft Learn: Set-ReceiveConnector",
            "Microsoft Learn: Get-ExchangeCertificate",
            "Exchange Team Blog: TLS certificates in Exchange hybrid – common issues & how to fix them (2025)",
            "CSS-Exchange HealthChecker docs: Cloud Connector Check",
            "RFC 3207 §4 (the server advertises STARTTLS per session)",
        ],
        sender_strings: &[
            "451 5.7.3 STARTTLS is required to send mail",
            "450 4.4.317 Cannot connect to remote server",
            "could not find a certificate that contains the domain name",
            "unable to support the STARTTLS SMTP verb",
        ],
    },
    Entry {
        code: Code::ExchangeSendCertificateNotFound,
        id: "exchange-send-certificate-not-found",
        severity: Severity::Fail,
        rank: 830,
        inconclusive: false,
        meaning: "a send connector's TlsCertificateName names no certificate on one of its source servers: mail from that server queues (454 4.7.5, NoCredentials)",
        explanation: "The send connector that carries mail to Exchange Online (HCW names it \
            `Outbound to Office 365 - <GUID>`) names the certificate Exchange presents as a TLS \
            client in its TlsCertificateName, and every server in its SourceTransportServers must \
            hold that certificate. A source server that does not cannot present it: its queue \
            shows `454 4.7.5 The certificate specified in TlsCertificateName of the SendConnector \
            could not be found.`, its SmtpSend protocol log `TLS negotiation failed with error \
            NoCredentials`, sometimes only `421 4.4.1 Connection timed out`. When only some source \
            servers lack the certificate, mail fails intermittently, depending on which server \
            sends it. sender-certificate-missing is the same problem explained from a pasted \
            error.\n\n\
            Common causes: the certificate was renewed and the connector still names the old one; \
            the renewed certificate was installed only on the server where it was requested; its \
            issuer or subject changed at renewal. The tool compares the name with the certificates \
            of each source server, as for exchange-receive-certificate-not-found, and names the \
            servers that lack it. A source server whose certificates were not pasted, or a \
            SourceTransportServers list cut by the paste, makes the check inconclusive for it, not \
            failed. Fix: import the certificate with its private key on every source server, \
            enable it for SMTP, and set the connector's TlsCertificateName from it \
            (Set-SendConnector), or re-run the Hybrid Configuration Wizard.",
        references: &[
            "Microsoft Learn: Set-SendConnector",
            "Microsoft Learn: Enable-ExchangeCertificate",
            "Exchange Team Blog: TLS certificates in Exchange hybrid – common issues & how to fix them (2025)",
            "Microsoft Learn (archive): Mailflow issue from Exchange On-prem to Office 365",
            "CSS-Exchange HealthChecker docs: Cloud Connector Check",
        ],
        sender_strings: &[
            "454 4.7.5 The certificate specified in TlsCertificateName of the SendConnector could not be found",
            "TLS negotiation failed with error NoCredentials",
        ],
    },
    Entry {
        code: Code::ExchangeSenderCertificateNameMismatch,
        id: "exchange-sender-certificate-name-mismatch",
        severity: Severity::Fail,
        rank: 890,
        inconclusive: false,
        meaning: "the inbound connector's TlsSenderCertificateName is not on the certificate the send connector presents: Exchange Online cannot attribute the mail to the tenant (550 5.7.64, 550 5.7.51)",
        explanation: "An Exchange Online inbound connector of type OnPremises can recognise the \
            on-premises servers by certificate: its TlsSenderCertificateName (such as \
            `mail.contoso.com`, or `*.contoso.com` for a domain and all its subdomains) must then \
            match a name of the certificate the on-premises send connector presents as a TLS \
            client. When it does not, Exchange Online does not tie the connection to that \
            connector: mail relayed through it is refused with `550 5.7.64 TenantAttribution; \
            Relay Access Denied` or `550 5.7.51 TenantInboundAttribution`, and mail from on \
            premises is no longer treated as internal. Microsoft's 2025 hybrid TLS article fixes \
            5.7.51 by making the send connector's TlsCertificateName name a certificate whose name \
            equals the inbound connector's TlsSenderCertificateName.\n\n\
            Common causes: the renewed certificate carries other names (a wildcard replaced by a \
            single name, a new host name) and the Hybrid Configuration Wizard was not re-run; or \
            the send connector presents another certificate than the admin thinks, one chosen by \
            its Fqdn. The tool resolves the certificate the send connector presents (its \
            TlsCertificateName, else its Fqdn) and takes its names from the certificate itself \
            when the collection script supplied it, else from CertificateDomains; it matches \
            TlsSenderCertificateName with the connector's rule, where `*.contoso.com` covers the \
            domain and every subdomain. Only OnPremises connectors are checked. When the \
            certificate's names were cut in the paste or the send connector's certificate cannot \
            be resolved (other findings say why), the check is inconclusive. \
            connector-tenant-attribution explains the same errors when they are pasted.",
        references: &[
            "Microsoft Learn: Set-InboundConnector",
            "Microsoft Learn: Set-SendConnector",
            "Exchange Team Blog: TLS certificates in Exchange hybrid – common issues & how to fix them (2025)",
            "Microsoft Learn: Updated requirements for SMTP relay through Exchange Online",
            "Microsoft 365 message center MC1226222: prevent/fix guidance for on-premises connectors configuration (updated 2026-02-04)",
            "Microsoft Learn: Fix error code 550 5.7.64 TenantAttribution; Relay Access Denied in Exchange Online",
        ],
        sender_strings: &[
            "550 5.7.64 TenantAttribution; Relay Access Denied",
            "550 5.7.51 TenantInboundAttribution",
        ],
    },
    Entry {
        code: Code::ExchangeCertificateUnusable,
        id: "exchange-certificate-unusable",
        severity: Severity::Fail,
        rank: 840,
        inconclusive: false,
        meaning: "the certificate a connector selects is not enabled for SMTP, has no private key, has expired, is self-signed or its Status is not Valid: TLS with it fails, or Exchange Online refuses it",
        explanation: "Exchange found the certificate a connector names (or one matching its Fqdn), \
            but cannot use it well. Not enabled for SMTP: the selection article warns that \
            Exchange still chooses a certificate matched by TlsCertificateName or Fqdn for \
            STARTTLS, \"but TLS communication will fail at later stage\"; Microsoft's 2025 hybrid \
            TLS article repeats that the SMTP assignment is not checked, and advises importing a \
            renewed certificate only when you are ready to assign SMTP to it. No private key: the \
            certificate is not eligible, so it is as if it were missing. Expired: Exchange logs \
            Event 12016 but still advertises STARTTLS, and validating senders such as Exchange \
            Online defer the mail. Self-signed: Exchange Online requires a certificate from a \
            public CA. A Status other than Valid is the server's own verdict: \
            `RevocationCheckFailure` (the server cannot reach the CRL), `Untrusted` (chain or root \
            missing), `Revoked`, `DateInvalid`, `PendingRequest` (a request never completed), \
            `Invalid`.\n\n\
            Common causes: after a renewal `Enable-ExchangeCertificate -Services SMTP` was never \
            run; a certificate was imported without its key (a .cer instead of a .pfx); a proxy \
            blocks the CRL download; the intermediates were not installed. The tool looks only at \
            the certificate its model selects for the hybrid receive connector or the send \
            connector to Exchange Online, and never at Exchange's Auth certificate. \
            `RevocationCheckFailure` may be the server's own view only, so it weighs less than an \
            expired or revoked certificate; an expiry date the paste leaves ambiguous makes the \
            date check inconclusive. Fix: `Enable-ExchangeCertificate -Server <SRV> -Thumbprint \
            <T> -Services SMTP` (answer No when it offers to overwrite the default SMTP \
            certificate, to keep the internal transport certificate); `Get-ChildItem \
            Cert:\\LocalMachine\\My\\<T> | Test-Certificate` shows chain and revocation errors. \
            Mail that Exchange Online deferred while the certificate was expired may need to be \
            sent again.",
        references: &[
            "Microsoft Learn: Selection of Inbound STARTTLS Certificates",
            "Microsoft Learn: Enable-ExchangeCertificate",
            "Microsoft Learn: Get-ExchangeCertificate",
            "Exchange Team Blog: TLS certificates in Exchange hybrid – common issues & how to fix them (2025)",
            "Microsoft Learn: Certificate requirements for hybrid deployments",
            "Microsoft Learn (archive): Mailflow issue from Exchange On-prem to Office 365",
        ],
        sender_strings: &[
            "450 4.7.320 Certificate validation failed",
            "TLS negotiation failed with error UnknownCredentials",
        ],
    },
    Entry {
        code: Code::ExchangeReceiveServerDrift,
        id: "exchange-receive-server-drift",
        severity: Severity::Warn,
        rank: 910,
        inconclusive: false,
        meaning: "the hybrid receive connectors of the servers differ (TlsCertificateName, TlsDomainCapabilities), or a server lacks the certificate: mail fails only when it reaches that server",
        explanation: "Exchange Online delivers to whichever server the smart host name or a load \
            balancer leads it to, and each server's receive connector selects its certificate on \
            its own. When one server's connector names another certificate, names none, lacks the \
            cloud capability, or the server does not hold the certificate, only the mail that \
            reaches that server fails: some messages defer with `450 4.7.320 Certificate \
            validation failed [Message=SubjectMismatch]`, others go through, which makes the \
            problem look random. The hybrid certificate must be installed on every on-premises \
            server that handles hybrid mail (Certificate requirements for hybrid deployments).\n\n\
            Common causes: the Hybrid Configuration Wizard ran with only one server selected; the \
            renewal was done on one node; a server was added after the wizard ran. The tool \
            compares the hybrid receive connectors of the servers in the hybrid configuration's \
            ReceivingTransportServers (without a hybrid configuration, of every Frontend Transport \
            server pasted). Connectors that name the same certificate do not drift: a server that \
            lacks it is exchange-receive-certificate-not-found there, with the steps to copy it \
            from a server that holds it; a command to name the certificate on a server whose \
            certificates were not pasted first checks that the server holds it. With --probe, each address of the smart host is probed, which shows which \
            address presents which certificate (exchange-presented-certificate-unexpected). Fix: \
            apply the same TlsCertificateName and TlsDomainCapabilities on every server, or re-run \
            the wizard with all servers selected.",
        references: &[
            "Microsoft Learn: Certificate requirements for hybrid deployments",
            "Microsoft Learn: Set-ReceiveConnector",
            "Microsoft Learn: Selection of Inbound STARTTLS Certificates",
            "Exchange Team Blog: TLS certificates in Exchange hybrid – common issues & how to fix them (2025)",
            "CSS-Exchange HealthChecker docs: Cloud Connector Check",
        ],
        sender_strings: &[
            "450 4.7.320 Certificate validation failed",
            "SubjectMismatch",
        ],
    },
    Entry {
        code: Code::ExchangeReceiveFqdnFallback,
        id: "exchange-receive-fqdn-fallback",
        severity: Severity::Fail,
        rank: 850,
        inconclusive: false,
        meaning: "the hybrid receive connector has no TlsCertificateName, so Exchange picks its certificate by the connector's Fqdn (else the server's name), and no usable third-party certificate covers that name: the self-signed certificate, or no STARTTLS",
        explanation: "Without a TlsCertificateName, Exchange selects the STARTTLS certificate by \
            the connector's Fqdn, or by the server's own FQDN when the Fqdn is empty: among the \
            certificates with a private key, enabled for SMTP and holding the name, the one with \
            the most recent NotBefore, a valid CA-issued certificate before a self-signed one. \
            That is the product documentation's order; the Japanese translation of Microsoft's \
            2025 hybrid TLS article says the latest expiry, and the tool follows the \
            documentation. An internal name such as `EX01.contoso.local` is covered only by \
            Exchange's self-signed certificate, so STARTTLS is offered with it and Exchange \
            Online, which validates the domain, defers with `450 4.7.320 Certificate validation \
            failed [Message=SubjectMismatch]`. When no certificate covers the name at all, \
            Exchange withholds STARTTLS and logs Event 12014.\n\n\
            Common causes: the wizard was never run for this server, or the connector was \
            recreated or its TlsCertificateName cleared; the public certificate's names changed at \
            renewal while the connector relied on its Fqdn. Names are matched as RFC 6125 says \
            (`*.contoso.com` covers one label). The tool checks the hybrid receive connector \
            (Frontend Transport, port 25, marked for Exchange Online or named `Default Frontend`). \
            When the name cannot be known from the paste (an empty Fqdn and only the server's \
            short name) or the certificates' domain lists were cut, it reports \
            exchange-check-inconclusive. Fix: set TlsCertificateName, as the wizard does; setting \
            the `Default Frontend` connector's Fqdn to a name on the certificate also works. Never \
            change the Fqdn of the `Default <SRV>` connector (Hub Transport): Set-ReceiveConnector \
            warns that mail flow between Mailbox servers then fails.",
        references: &[
            "Microsoft Learn: Selection of Inbound STARTTLS Certificates",
            "Microsoft Learn: Set-ReceiveConnector",
            "Microsoft Learn: Receive connectors",
            "Exchange Team Blog: TLS certificates in Exchange hybrid – common issues & how to fix them (2025)",
            "CSS-Exchange HealthChecker docs: Exchange Online Connector Check",
            "RFC 6125 §6.4.3 (wildcard certificates cover one label)",
        ],
        sender_strings: &[
            "450 4.7.320 Certificate validation failed",
            "SubjectMismatch",
            "could not find a certificate that contains the domain name",
            "unable to support the STARTTLS SMTP verb",
        ],
    },
    Entry {
        code: Code::ExchangeSendNoCertificate,
        id: "exchange-send-no-certificate",
        severity: Severity::Warn,
        rank: 880,
        inconclusive: false,
        meaning: "the send connector to Exchange Online names no certificate: TlsCertificateName is empty and its Fqdn empty or internal, so Exchange Online cannot recognise on premises by certificate",
        explanation: "The send connector to Exchange Online has no TlsCertificateName, and its \
            Fqdn is empty or an internal name (`EX01.contoso.local`), so Exchange picks its client \
            certificate by a name no public certificate holds, usually ending with the self-signed \
            one. An inbound connector that recognises on premises by certificate then does not \
            match: relayed mail is refused (`550 5.7.64 TenantAttribution; Relay Access Denied`), \
            and mail from on premises is not treated as internal. Since November 2023 relaying \
            through Exchange Online requires the certificate domain or the sender's domain to be \
            an accepted domain, and the source address or the certificate domain to match an \
            OnPremises inbound connector. HealthChecker flags an empty TlsCertificateName on this \
            connector \"due to some recent changes within Exchange Online\".\n\n\
            Common causes: the connector was created by hand from an older guide, or recreated \
            after the wizard ran. Microsoft's own relay recipe sets `-Fqdn` to a name on the \
            certificate instead of TlsCertificateName, so a public Fqdn that a certificate covers \
            is not reported. The tool treats a send connector as the one to Exchange Online as \
            HealthChecker does: CloudServicesMailEnabled, a smart host under \
            `mail.protection.outlook.com` (or a sovereign cloud's), or an address space under \
            `mail.onmicrosoft.com`. It is a warning; it matters most when the pasted inbound \
            connectors recognise on premises by certificate only. Fix: set the connector's \
            TlsCertificateName to the hybrid certificate (Set-SendConnector), or its Fqdn to a \
            name on it, or re-run the Hybrid Configuration Wizard.",
        references: &[
            "Microsoft Learn: Set-SendConnector",
            "Microsoft Learn: Updated requirements for SMTP relay through Exchange Online",
            "CSS-Exchange HealthChecker docs: Exchange Online Connector Check",
            "Exchange Team Blog: TLS certificates in Exchange hybrid – common issues & how to fix them (2025)",
            "Microsoft 365 message center MC1226222: prevent/fix guidance for on-premises connectors configuration (updated 2026-02-04)",
        ],
        sender_strings: &["550 5.7.64 TenantAttribution; Relay Access Denied"],
    },
    Entry {
        code: Code::ExchangeTlsDomainNotOnCertificate,
        id: "exchange-tls-domain-not-on-certificate",
        severity: Severity::Fail,
        rank: 870,
        inconclusive: false,
        meaning: "the Exchange Online outbound connector's TlsDomain is not on the certificate on premises presents: Exchange Online defers with 450 4.7.320 SubjectMismatch",
        explanation: "With TlsSettings DomainValidation, Exchange Online checks that the \
            certificate the on-premises server presents holds the outbound connector's TlsDomain; \
            it does not check the smart host name or the EHLO greeting. The wizard sets TlsDomain \
            from the certificate's subject. When the certificate the hybrid receive connector \
            presents does not cover it, Exchange Online defers the mail: `450 4.7.320 Certificate \
            validation failed [Message=SubjectMismatch]`, or `450 4.4.317` with `SubjectMismatch \
            Expected Subject: … Presented Subject: …`, and bounces it when the retries run out.\n\n\
            Common causes: a renewed certificate with other names (a wildcard replaced by a single \
            name, or the reverse); a TlsDomain set by hand to the smart host name, which the \
            certificate does not hold; the receive connector presenting the self-signed \
            certificate (exchange-receive-fqdn-fallback). The tool takes the certificate its model \
            selects for the hybrid receive connector of each receiving server, and matches \
            TlsDomain against its names (from the certificate itself when the script supplied it, \
            else CertificateDomains) as RFC 6125 says: a `*.contoso.com` certificate covers \
            `mail.contoso.com`, not `contoso.com`. A TlsDomain of `*.contoso.com` means all \
            subdomains (Set-OutboundConnector); whether it also covers `contoso.com` is not \
            documented, so such a borderline match is reported as exchange-check-inconclusive with \
            the reasoning shown. The \
            check runs only under DomainValidation, the only setting where TlsDomain counts, and \
            is inconclusive when the domain list was cut. --probe confirms it with the certificate \
            actually presented. Fix: set TlsDomain to a name on the certificate \
            (Set-OutboundConnector), or fix the receive connector's certificate.",
        references: &[
            "Microsoft Learn: Set-OutboundConnector",
            "Microsoft Learn: Selection of Inbound STARTTLS Certificates",
            "Exchange Team Blog: TLS certificates in Exchange hybrid – common issues & how to fix them (2025)",
            "RFC 6125 §6.4.3 (wildcard certificates cover one label)",
            "RFC 3207 §4 (STARTTLS)",
        ],
        sender_strings: &[
            "450 4.7.320 Certificate validation failed",
            "SubjectMismatch",
        ],
    },
    Entry {
        code: Code::ExchangeReceiveTlsDisabled,
        id: "exchange-receive-tls-disabled",
        severity: Severity::Fail,
        rank: 800,
        inconclusive: false,
        meaning: "the receive connector's AuthMechanism lacks Tls: Exchange never offers STARTTLS on it",
        explanation: "The first step of Exchange's STARTTLS certificate selection checks the \
            receive connector's AuthMechanism: without `Tls` the server does not advertise \
            STARTTLS on that connector and loads no certificate, whatever the certificate store \
            holds. Senders that require TLS queue the mail (Exchange Online: `451 5.7.3 STARTTLS \
            is required to send mail`); the others deliver in clear text. The default for `Default \
            Frontend` (port 25) is `Tls, Integrated, BasicAuth, BasicAuthRequireTLS, \
            ExchangeServer`, the value the wizard keeps; `None` can only be used alone, and \
            `BasicAuthRequireTLS` needs `BasicAuth` and `Tls`.\n\n\
            Common causes: the security options of the connector were changed in the admin center, \
            a connector for an application or relay was created with anonymous access only and \
            bound to port 25, or a script rewrote the value. The tool checks the receive \
            connectors on port 25 of the Frontend Transport role, which Exchange Online and the \
            internet reach. In raw `ConvertTo-Json` from Windows PowerShell 5.1 the value is a \
            number: `Tls` is its lowest bit (inferred from HealthChecker's test data); a number \
            with bits the tool cannot name makes the check inconclusive. Fix: \
            `Set-ReceiveConnector \"<SRV>\\Default Frontend <SRV>\" -AuthMechanism \
            Tls,Integrated,BasicAuth,BasicAuthRequireTLS,ExchangeServer`.",
        references: &[
            "Microsoft Learn: Selection of Inbound STARTTLS Certificates",
            "Microsoft Learn: Set-ReceiveConnector",
            "Microsoft Learn: Receive connectors",
            "RFC 3207 §4 (the server advertises STARTTLS per session)",
        ],
        sender_strings: &[
            "451 5.7.3 STARTTLS is required to send mail",
            "450 4.4.317 Cannot connect to remote server",
        ],
    },
    Entry {
        code: Code::ExchangeCertificateDuplicate,
        id: "exchange-certificate-duplicate",
        severity: Severity::Warn,
        rank: 860,
        inconclusive: false,
        meaning: "several certificates on one server match what a connector names (same issuer and subject, or the same Fqdn): Exchange takes the one with the newest NotBefore, which may be the wrong one",
        explanation: "After a renewal the old and the new certificate usually share issuer and \
            subject, so a TlsCertificateName matches both, and both may hold the connector's Fqdn. \
            Exchange then takes the one with the most recent NotBefore (the product \
            documentation's rule, which the tool models). When that newest certificate is not \
            enabled for SMTP, is a pending request, lacks its private key or is otherwise \
            unusable, mail breaks although the old, working certificate is still in the store; \
            Microsoft's 2025 hybrid TLS article therefore advises importing a renewed certificate \
            only when you are ready to assign SMTP to it.\n\n\
            The tool lists, per server, every certificate that matches what a connector names, and \
            says which one the selection picks and why; when the dates leave the order ambiguous \
            (a date that reads both ways), it says so instead of choosing. Whether the newest is \
            usable is judged by exchange-certificate-unusable. Fix: enable SMTP on the newest \
            certificate, or remove the stale one (`Remove-ExchangeCertificate -Server <SRV> \
            -Thumbprint <old>`) once nothing else uses it.",
        references: &[
            "Microsoft Learn: Selection of Inbound STARTTLS Certificates",
            "Microsoft Learn: Get-ExchangeCertificate",
            "Microsoft Learn: Remove-ExchangeCertificate",
            "Exchange Team Blog: TLS certificates in Exchange hybrid – common issues & how to fix them (2025)",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::ExchangeCertificateDomainNotAccepted,
        id: "exchange-certificate-domain-not-accepted",
        severity: Severity::Warn,
        rank: 900,
        inconclusive: false,
        meaning: "the certificate domain Exchange Online attributes on-premises mail by is not an accepted domain of the tenant: an anti-pattern that may stop working unexpectedly (MC1226222)",
        explanation: "Exchange Online attributes mail from on premises to the tenant by, in order, \
            the domain on the TLS certificate the sending server presents, the P1 MAIL FROM domain \
            and the P1 RCPT TO domain (MC1226222, February 2026). The message center post calls an \
            OnPremises inbound connector that authenticates by a certificate whose subject or SAN \
            is for a domain that is not an accepted domain of the tenant an anti-pattern, and \
            warns that such a connector \"may unexpectedly stop working\". Since November 2023, \
            relaying through Exchange Online requires the certificate domain or the sender's \
            domain to be an accepted domain.\n\n\
            Common cause: a certificate for a host name under a domain the tenant does not hold (a \
            hosting provider's, an old brand's). The tool compares the inbound connector's \
            TlsSenderCertificateName and the names of the certificate the send connector presents \
            with the pasted Get-AcceptedDomain output of Exchange Online; without that output the \
            check does not run. Microsoft's 2025 hybrid TLS article also asks for a \
            TlsSenderCertificateName that is not a wildcard (`mail.contoso.com`) to be added as an \
            accepted domain itself, or `550 5.7.51 TenantInboundAttribution` follows. One \
            on-premises organisation sending to several tenants needs a separate certificate and \
            send connector per tenant (MC1226222). Fix: add the domain as an accepted domain, or \
            use a certificate whose name is one, then set TlsSenderCertificateName to it.",
        references: &[
            "Microsoft 365 message center MC1226222: prevent/fix guidance for on-premises connectors configuration (updated 2026-02-04)",
            "Microsoft Learn: Updated requirements for SMTP relay through Exchange Online",
            "Microsoft Learn: Set-InboundConnector",
            "Exchange Team Blog: TLS certificates in Exchange hybrid – common issues & how to fix them (2025)",
            "Microsoft Learn: New-AcceptedDomain",
        ],
        sender_strings: &[
            "550 5.7.64 TenantAttribution; Relay Access Denied",
            "550 5.7.51 TenantInboundAttribution",
        ],
    },
    Entry {
        code: Code::ExchangeSendTlsPolicy,
        id: "exchange-send-tls-policy",
        severity: Severity::Warn,
        rank: 950,
        inconclusive: false,
        meaning: "the send connector to Exchange Online does not require TLS, does not validate Exchange Online's certificate, or does not carry cross-premises headers (CloudServicesMailEnabled)",
        explanation: "The wizard's send connector to Exchange Online requires TLS (`RequireTLS \
            True`), validates Exchange Online's certificate (`TlsAuthLevel DomainValidation`, \
            `TlsDomain mail.protection.outlook.com`) and carries the cross-premises headers \
            (`CloudServicesMailEnabled True`). Without RequireTLS, mail goes in clear text \
            whenever STARTTLS is withheld, for example from a blocklisted address; without a \
            TlsAuthLevel, or with EncryptionOnly, any certificate is accepted; DomainValidation \
            with another TlsDomain checks the wrong name. With CloudServicesMailEnabled False the \
            cross-premises headers are stripped, so on-premises senders look external or anonymous \
            in Exchange Online; HealthChecker treats that as a misconfiguration, and it is the \
            most serious of these.\n\n\
            Common causes: a connector created by hand, or edited after the wizard ran. The tool \
            recognises the connector to Exchange Online as HealthChecker does \
            (CloudServicesMailEnabled, a smart host under `mail.protection.outlook.com` or a \
            sovereign cloud's, an address space under `mail.onmicrosoft.com`) and compares it with \
            the wizard's values. Fix: `Set-SendConnector <connector> -RequireTLS $true \
            -TlsAuthLevel DomainValidation -TlsDomain mail.protection.outlook.com \
            -CloudServicesMailEnabled $true`, or re-run the Hybrid Configuration Wizard.",
        references: &[
            "Microsoft Learn: Set-SendConnector",
            "CSS-Exchange HealthChecker docs: Exchange Online Connector Check",
            "CSS-Exchange HealthChecker docs: Cloud Connector Check",
            "Exchange Team Blog: Demystifying and troubleshooting hybrid mail flow: when is a message internal?",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::ExchangeReceiveNoCloudCapability,
        id: "exchange-receive-no-cloud-capability",
        severity: Severity::Warn,
        rank: 960,
        inconclusive: false,
        meaning: "the hybrid receive connector lacks TlsDomainCapabilities mail.protection.outlook.com:AcceptCloudServicesMail: mail from Exchange Online loses its internal status",
        explanation: "The wizard marks the receive connector Exchange Online delivers to with \
            `TlsDomainCapabilities mail.protection.outlook.com:AcceptCloudServicesMail`. The \
            capability lets the connector accept Exchange Online's cross-premises headers from \
            senders that authenticate with a certificate for that domain, so that mail between the \
            tenant and on premises stays internal and authenticated. Without it, mail still flows, \
            but arrives as if from an anonymous external sender. HealthChecker uses the property \
            to recognise the hybrid receive connector.\n\n\
            Common causes: a server added after the wizard ran, or the wizard run with one server \
            selected (the capability is then missing on the others); a connector recreated by \
            hand. The tool checks the receive connectors of the servers in \
            ReceivingTransportServers (or, with --probe, the connector whose Fqdn the EHLO \
            greeting names). Fix: `Set-ReceiveConnector \"<SRV>\\Default Frontend <SRV>\" \
            -TlsDomainCapabilities mail.protection.outlook.com:AcceptCloudServicesMail`, or re-run \
            the wizard with every server selected.",
        references: &[
            "Microsoft Learn: Set-ReceiveConnector",
            "Exchange Team Blog: Demystifying and troubleshooting hybrid mail flow: when is a message internal?",
            "CSS-Exchange HealthChecker docs: Cloud Connector Check",
            "Exchange Team Blog: TLS certificates in Exchange hybrid – common issues & how to fix them (2025)",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::ExchangeHybridCertificateDrift,
        id: "exchange-hybrid-certificate-drift",
        severity: Severity::Warn,
        rank: 930,
        inconclusive: false,
        meaning: "the hybrid configuration names another certificate than the connectors: a later run of the Hybrid Configuration Wizard can put the old one back",
        explanation: "Get-HybridConfiguration's TlsCertificateName records the certificate the \
            Hybrid Configuration Wizard chose, in the same `<I>issuer<S>subject` form as the \
            connectors. When the connectors were updated by hand after a renewal \
            (Set-ReceiveConnector, Set-SendConnector) and the hybrid configuration was not, the \
            two disagree, and a later wizard run that keeps the stored choice can set the \
            connectors back to the old certificate; if that certificate is gone, \
            exchange-receive-certificate-not-found and exchange-send-certificate-not-found follow. \
            HealthChecker compares the connectors with the hybrid configuration for the same \
            reason.\n\n\
            The tool compares the hybrid configuration's TlsCertificateName with those of the \
            hybrid receive connectors and the send connector to Exchange Online, as X.500 names, \
            and also reports a hybrid configuration that names a certificate no pasted server \
            holds. Fix: re-run the wizard and use \"Update Secure Mail Certificate for \
            Connectors\" (recent wizard versions), or `Set-HybridConfiguration -TlsCertificateName \
            \"<I>issuer<S>subject\"`.",
        references: &[
            "Microsoft Learn: Set-HybridConfiguration",
            "CSS-Exchange HealthChecker docs: Cloud Connector Check",
            "Exchange Team Blog: TLS certificates in Exchange hybrid – common issues & how to fix them (2025)",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::ExchangeHybridEndpointDrift,
        id: "exchange-hybrid-endpoint-drift",
        severity: Severity::Warn,
        rank: 940,
        inconclusive: false,
        meaning: "the hybrid configuration and the connectors disagree on the smart host, the certificate name or the transport servers",
        explanation: "The hybrid configuration holds what the wizard set up: OnPremisesSmartHost \
            is the name Exchange Online's outbound connector should deliver to, \
            SendingTransportServers the source servers of the send connector, \
            ReceivingTransportServers the servers whose receive connectors accept Exchange \
            Online's mail, EdgeTransportServers the Edge servers (to be used with the other two \
            empty, per Set-HybridConfiguration), and ServiceInstance the cloud (0 for the \
            worldwide service). When the connectors say otherwise, they were edited outside the \
            wizard or servers were added or removed since, and mail can go to or leave from a \
            server that was never prepared for it (without the certificate).\n\n\
            The tool compares OnPremisesSmartHost with the outbound connector's SmartHosts, the \
            outbound connector's TlsDomain with the names of the hybrid certificate, \
            SendingTransportServers with the send connector's SourceTransportServers, and \
            ReceivingTransportServers with the servers whose receive connectors carry the cloud \
            capability; it also reports Edge servers listed together with sending or receiving \
            servers. A comparison that needs an input not pasted (Exchange Online's \
            Get-OutboundConnector) is not made, and one that meets a cut list is inconclusive. \
            Fix: re-run the wizard, or align the connector (`Set-OutboundConnector -SmartHosts`).",
        references: &[
            "Microsoft Learn: Set-HybridConfiguration",
            "Microsoft Learn: Set-OutboundConnector",
            "Microsoft Learn: Set-SendConnector",
            "Microsoft Learn: Certificate requirements for hybrid deployments",
            "CSS-Exchange HealthChecker: Invoke-AnalyzerHybridInformation.ps1 (hybrid information checks)",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::ExchangeCertificateRootType,
        id: "exchange-certificate-root-type",
        severity: Severity::Warn,
        rank: 1000,
        inconclusive: false,
        meaning: "a third-party certificate shows RootCAType Registry or Unknown on a transport server: its root is not recognised as a third-party root there, and hybrid mail from Exchange Online can stay pending",
        explanation: "Get-ExchangeCertificate reports where the root of each certificate's chain \
            was found (`ThirdParty`, `Enterprise`, `GroupPolicy`, `Registry`, `None`, `Unknown`): \
            a public CA's certificate normally shows `ThirdParty`, Exchange's own self-signed ones \
            `Registry` or `None`. A CA-issued certificate that shows `Registry` or `Unknown` has a \
            root the server does not recognise as a third-party root. A field report (Exchange \
            2013, citing KB 2879262) describes mail from Exchange Online to on premises stuck as \
            pending in this state, fixed by importing the root into the \"Third-Party Root \
            Certification Authorities\" store.\n\n\
            This rests on that single detailed report, so it is a warning. The tool checks the \
            certificate the hybrid connectors use when it is not self-signed; a pending request, \
            which also shows `Unknown`, is left to exchange-certificate-unusable. Fix: import the \
            CA's root certificate into the Third-Party Root Certification Authorities store \
            (`Cert:\\LocalMachine\\AuthRoot`) on each transport server, then check that \
            Get-ExchangeCertificate shows `RootCAType ThirdParty`.",
        references: &[
            "Microsoft Learn: Get-ExchangeCertificate",
            "Matt Allford: Exchange 2013 Hybrid Mail 'Pending' – RootCAType Certificate Issues (2016)",
            "Microsoft KB 2879262 (cited by the report above)",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::ExchangeTlsCertificateNameInvalid,
        id: "exchange-tls-certificate-name-invalid",
        severity: Severity::Fail,
        rank: 810,
        inconclusive: false,
        meaning: "a TlsCertificateName (receive, send or hybrid) lacks `<I>` or `<S>`, has them swapped, or lists its names in reverse order: it can never match a certificate",
        explanation: "TlsCertificateName must read `<I>X.500Issuer<S>X.500Subject`, with issuer \
            and subject exactly as Get-ExchangeCertificate prints them, most specific name first \
            (`CN=…, O=…, C=…`); the markers are not case sensitive. Exchange compares the value \
            exactly, so a value without the markers (a bare subject or host name), with `<I>` and \
            `<S>` swapped, or with the names in reverse order (`C=US, O=…, CN=…`, as certutil, the \
            certificates console or OpenSSL list them) never matches any certificate: on a receive \
            connector STARTTLS is withheld (Event 12014), on a send connector `454 4.7.5` follows. \
            HealthChecker flags the same as \"syntax invalid\".\n\n\
            The tool splits the value at the last `<S>`, parses both names with RFC 4514 quoting \
            (`O=\"GoDaddy.com, Inc.\"`), and when a certificate would match with the names \
            reversed or the markers swapped, it names that certificate. Copies from forum posts \
            and web pages may have lost `<I>` and `<S>` to an HTML renderer: check the value in \
            the shell before changing it. Fix: rebuild it from the certificate, `$c = \
            Get-ExchangeCertificate -Thumbprint <T>` then `\"<I>$($c.Issuer)<S>$($c.Subject)\"`, \
            and set it with Set-ReceiveConnector, Set-SendConnector or Set-HybridConfiguration.",
        references: &[
            "Microsoft Learn: Set-ReceiveConnector",
            "Microsoft Learn: Set-SendConnector",
            "Microsoft Learn: Set-HybridConfiguration",
            "Microsoft Learn: Selection of Inbound STARTTLS Certificates",
            "CSS-Exchange HealthChecker docs: Cloud Connector Check",
            "RFC 4514 (string representation of distinguished names)",
        ],
        sender_strings: &[
            "could not find a certificate that contains the domain name",
            "454 4.7.5 The certificate specified in TlsCertificateName of the SendConnector could not be found",
        ],
    },
    Entry {
        code: Code::ExchangeInboundIpBased,
        id: "exchange-inbound-ip-based",
        severity: Severity::Warn,
        rank: 970,
        inconclusive: false,
        meaning: "the Exchange Online inbound connector recognises on premises by IP address only: mail from any other address is not attributed, and an address shared with other tenants is an anti-pattern (MC1226222)",
        explanation: "An OnPremises inbound connector with SenderIPAddresses and no \
            TlsSenderCertificateName recognises the on-premises servers only by the public address \
            their mail leaves from. That works while the address stays the same; after a change of \
            provider, NAT or a failover to another line, mail is no longer attributed: relaying is \
            refused (`550 5.7.64 TenantAttribution; Relay Access Denied`) and mail from on \
            premises is not internal. MC1226222 names an IP-based OnPremises connector on an \
            address shared with other tenants as an anti-pattern, and attribution by the \
            certificate's domain comes first.\n\n\
            The tool reports the connector as pasted from Exchange Online; it cannot see the \
            address the mail leaves from unless a probe runs from the Exchange server's own \
            network, where Exchange Online Protection's EHLO reply (`Hello [203.0.113.7]`) shows \
            it. The wizard configures a certificate-based connector. Fix: set \
            TlsSenderCertificateName to a name on the certificate the send connector presents \
            (`Set-InboundConnector <connector> -TlsSenderCertificateName mail.contoso.com`), or \
            re-run the Hybrid Configuration Wizard.",
        references: &[
            "Microsoft Learn: Set-InboundConnector",
            "Microsoft 365 message center MC1226222: prevent/fix guidance for on-premises connectors configuration (updated 2026-02-04)",
            "Microsoft Learn: Updated requirements for SMTP relay through Exchange Online",
            "Microsoft Learn: Fix error code 550 5.7.64 TenantAttribution; Relay Access Denied in Exchange Online",
        ],
        sender_strings: &["550 5.7.64 TenantAttribution; Relay Access Denied"],
    },
    Entry {
        code: Code::ExchangeInboundConnectorRisky,
        id: "exchange-inbound-connector-risky",
        severity: Severity::Warn,
        rank: 980,
        inconclusive: false,
        meaning: "an Exchange Online inbound connector is disabled, marks mail internal by hand (TreatMessagesAsInternal), or is a Partner connector that claims your own domains",
        explanation: "Set-InboundConnector says of TreatMessagesAsInternal: \"In hybrid \
            environments, you don't need to use this parameter\"; it cannot be `$true` while \
            CloudServicesMailEnabled is `$true`, and it carries security risks (mail can bypass \
            antispam filtering). Third-party guides (and a script posted in a forum thread) still \
            recommend it for hybrid: do not follow them. A disabled OnPremises connector, when it \
            is the only one, stops attribution of on-premises mail (relay refused, mail not \
            internal). A Partner connector whose SenderDomains include your own accepted domains \
            and that restricts them to a certificate or to addresses answers mail from on premises \
            with `550 5.7.51 TenantInboundAttribution; There is a partner connector configured \
            that matched the message's recipient domain`.\n\n\
            Not a finding: RequireTls False on an OnPremises connector. Set-InboundConnector says \
            RequireTls, RestrictDomainsToCertificate and RestrictDomainsToIPAddresses apply only \
            to Partner connectors, so the tool does not fail an OnPremises connector on them (the \
            wizard sets RequireTls anyway). Fix: `Set-InboundConnector <connector> \
            -TreatMessagesAsInternal $false`, `-Enabled $true`, or remove or re-scope the Partner \
            connector.",
        references: &[
            "Microsoft Learn: Set-InboundConnector",
            "Exchange Team Blog: TLS certificates in Exchange hybrid – common issues & how to fix them (2025)",
            "Exchange Team Blog: Demystifying and troubleshooting hybrid mail flow: when is a message internal?",
        ],
        sender_strings: &[
            "550 5.7.51 TenantInboundAttribution",
            "There is a partner connector configured that matched the message's recipient domain",
        ],
    },
    Entry {
        code: Code::ExchangeOutboundConnectorRisky,
        id: "exchange-outbound-connector-risky",
        severity: Severity::Warn,
        rank: 990,
        inconclusive: false,
        meaning: "the Exchange Online outbound connector to on premises routes by MX, is disabled, is scoped to transport rules, misses hybrid domains, or does not validate the certificate",
        explanation: "The wizard's outbound connector to on premises is an OnPremises connector \
            with `UseMXRecord False`, the on-premises name in SmartHosts, `TlsSettings \
            DomainValidation` with the certificate's name in TlsDomain, `IsTransportRuleScoped \
            False`, and the hybrid domains in RecipientDomains (`*` with \
            RouteAllMessagesViaOnPremises True for centralized mail transport). With UseMXRecord \
            True, Exchange Online routes by the public MX, which may be Exchange Online Protection \
            itself or a gateway in front; a disabled connector is not used; a connector scoped to \
            transport rules carries only the mail a rule sends to it; domains of the hybrid \
            configuration missing from RecipientDomains take another route.\n\n\
            A blank TlsSettings or EncryptionOnly works but checks no certificate, and IsValidated \
            False only means the connector was never validated: both are reported as information. \
            The tool compares RecipientDomains with the hybrid configuration's Domains when both \
            were pasted; a cut list makes that comparison inconclusive. Fix: \
            `Set-OutboundConnector <connector> -UseMXRecord $false -SmartHosts mail.contoso.com \
            -TlsSettings DomainValidation -TlsDomain mail.contoso.com`, or re-run the Hybrid \
            Configuration Wizard.",
        references: &[
            "Microsoft Learn: Set-OutboundConnector",
            "Microsoft Learn: Set-HybridConfiguration",
            "Exchange Team Blog: TLS certificates in Exchange hybrid – common issues & how to fix them (2025)",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::ExchangePresentedCertificateUnexpected,
        id: "exchange-presented-certificate-unexpected",
        severity: Severity::Fail,
        rank: 1030,
        inconclusive: false,
        meaning: "the live probe saw another certificate than Exchange's configuration selects (thumbprints compared), or no STARTTLS where the configuration offers it",
        explanation: "With --probe, the tool connects to the on-premises endpoint Exchange Online \
            delivers to (the hybrid configuration's OnPremisesSmartHost, the outbound connector's \
            smart host, or the host given with --probe=HOST), starts TLS, and compares the SHA-1 \
            thumbprint of the certificate presented (Exchange's Thumbprint is that digest) with \
            the certificate its model of Exchange's selection predicts for the hybrid receive \
            connector. A different certificate means that what Exchange Online meets is not what \
            the configuration says: another server answered (exchange-receive-server-drift), NAT \
            or a firewall leads to another server or port, an appliance or SMTP gateway terminates \
            TLS in front (Microsoft does not support one between Exchange Online Protection and \
            the hybrid server; see tls-interception-suspected), or the paste came from another \
            server or is out of date.\n\n\
            The EHLO greeting names the connector's Fqdn, which tells which connector and server \
            answered. STARTTLS missing where the model predicts a certificate points at the same \
            causes, or at a device that strips it. The probe runs from where the tool runs: inside \
            the network, split DNS may lead to another server than Exchange Online reaches, so \
            probe the public name or address. When the model cannot predict a certificate (other \
            findings say why), nothing is compared.",
        references: &[
            "Microsoft Learn: Selection of Inbound STARTTLS Certificates",
            "Microsoft Learn: Certificate requirements for hybrid deployments",
            "Exchange Team Blog: TLS certificates in Exchange hybrid – common issues & how to fix them (2025)",
            "RFC 3207 §4 (STARTTLS)",
        ],
        sender_strings: &[
            "450 4.7.320 Certificate validation failed",
            "SubjectMismatch",
            "451 5.7.3 STARTTLS is required to send mail",
        ],
    },
    Entry {
        code: Code::ExchangeRootMissing,
        id: "exchange-root-missing",
        severity: Severity::Warn,
        rank: 1010,
        inconclusive: false,
        meaning: "a server has root auto-update turned off and lacks DigiCert Global Root G2, the root Exchange Online chains to from 2026-03-15: it may fail to validate Exchange Online's certificate",
        explanation: "HealthChecker's trusted root check reads \
            `HKLM\\SOFTWARE\\Policies\\Microsoft\\SystemCertificates\\AuthRoot\\DisableRootAutoUpdate`: \
            at `1`, Windows no longer downloads new roots. Its documentation warns that from March \
            15, 2026 Exchange Online uses the DigiCert Global Root G2 certificate authority, and \
            that servers with automatic root updates disabled and without that root \"may \
            experience email delivery failures\". A send connector that validates Exchange \
            Online's certificate (TlsAuthLevel CertificateValidation or DomainValidation) then \
            cannot build the chain.\n\n\
            Only the collection script can see this: it reads the registry value and looks for the \
            root's thumbprint (`DF3C24F9BFD666761B268073FE06D1CC8D4F82A4`) in \
            `Cert:\\LocalMachine\\Root`, on the server it runs on; for other servers it records \
            nothing, and the tool does not guess. Fix: install DigiCert Global Root G2 in the \
            trusted roots of every server that sends to Exchange Online, or turn automatic root \
            updates back on.",
        references: &[
            "CSS-Exchange HealthChecker docs: Trusted Root Certificates Check",
            "Exchange Team Blog: Trust DigiCert Global Root G2 certificate authority to avoid Exchange Online email delivery issues",
            "Microsoft Learn: Azure Certificate Authority Details",
            "Microsoft Learn: Set-SendConnector",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::ExchangeEdgeCertificateDrift,
        id: "exchange-edge-certificate-drift",
        severity: Severity::Warn,
        rank: 920,
        inconclusive: false,
        meaning: "an Edge Transport server in the hybrid configuration does not hold a certificate with the hybrid certificate's issuer and subject",
        explanation: "When the hybrid configuration lists Edge Transport servers, mail between \
            Exchange Online and on premises goes through them, so they present the certificate \
            Exchange Online checks. Certificate requirements for hybrid deployments asks for a \
            certificate with the same issuer and subject on every Edge server. A missing or \
            different certificate on an Edge server gives the failures of \
            exchange-receive-certificate-not-found and exchange-send-certificate-not-found there; \
            a name that differs between the internal servers and the Edge has been reported with \
            `454 4.7.5 certificate validation failure`.\n\n\
            Edge servers are not domain members, so Get-ExchangeCertificate must run on each Edge \
            server itself (the collection script too); an Edge server whose certificates were not \
            pasted is named as not checked. Fix: export the certificate with its private key, \
            import it on each Edge server, enable it for SMTP, and re-run the Hybrid Configuration \
            Wizard.",
        references: &[
            "Microsoft Learn: Certificate requirements for hybrid deployments",
            "Microsoft Learn: Set-HybridConfiguration",
            "Microsoft Learn: Import-ExchangeCertificate",
            "Microsoft Learn: Enable-ExchangeCertificate",
        ],
        sender_strings: &["454 4.7.5 certificate validation failure"],
    },
    Entry {
        code: Code::ExchangeCertificateWeak,
        id: "exchange-certificate-weak",
        severity: Severity::Warn,
        rank: 1020,
        inconclusive: false,
        meaning: "the certificate a connector uses has an RSA key under 2048 bits or a SHA-1 signature",
        explanation: "HealthChecker's certificate check warns about a key under 2048 bits and a \
            weak signature hash. Exchange Online and current TLS libraries refuse RSA keys under \
            2048 bits, and SHA-1 signatures are refused by more and more verifiers, so such a \
            certificate breaks validating senders now or at their next update. The probe's \
            cert-weak-key and cert-weak-signature report the same from the certificate actually \
            presented.\n\n\
            The key size comes from PublicKeySize (in bits, although the cmdlet's documentation \
            says bytes); a size of 256, 384 or 521 is an ECC key, not a weak one. The signature \
            algorithm is only in `| fl *` output or in the certificate itself, which the \
            collection script supplies. Fix: renew the certificate with an RSA key of 2048 bits or \
            more (or ECC) and a SHA-256 signature, then assign it as for a renewal.",
        references: &[
            "CSS-Exchange HealthChecker docs: Certificate Check",
            "Microsoft Learn: Get-ExchangeCertificate",
            "RFC 9325 (BCP 195: recommendations for TLS)",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::ExchangeInternalTransportCertificateMissing,
        id: "exchange-internal-transport-certificate-missing",
        severity: Severity::Info,
        rank: 1040,
        inconclusive: false,
        meaning: "the server's internal transport certificate (InternalTransportCertificateThumbprint) is not in its store: SMTP between Exchange servers loses X-ANONYMOUSTLS (Events 12012/12013)",
        explanation: "Exchange creates a self-signed certificate per server at setup (its NetBIOS \
            name and FQDN) for SMTP between Exchange servers and with Edge servers, where it is \
            offered as X-ANONYMOUSTLS; its thumbprint is stored in Active Directory and shown by \
            `Get-TransportService <SRV> | fl InternalTransportCertificateThumbprint`. When that \
            certificate is gone, the server stops offering X-ANONYMOUSTLS and logs Events 12012 \
            and 12013; HealthChecker warns that this \"can lead to a broken mailflow on or with \
            the affected machine\" and recommends keeping the self-signed certificate Exchange \
            created. It does not affect TLS with Exchange Online directly, hence information.\n\n\
            Common causes: \"cleaning up\" certificates after a renewal and deleting the \
            self-signed one; answering Yes when Enable-ExchangeCertificate offers to overwrite the \
            default SMTP certificate, so that the thumbprint points at a public certificate that a \
            later renewal removes. The tool needs Get-TransportService output (the collection \
            script gathers it) and that server's certificates. Fix: create a new internal \
            transport certificate on the server, as HealthChecker's documentation shows \
            (`New-ExchangeCertificate -Server <SRV> -KeySize 2048 -PrivateKeyExportable $true \
            -FriendlyName <SRV> -DomainName <SRV> -IncludeServerFQDN -Services SMTP -Force`).",
        references: &[
            "CSS-Exchange HealthChecker docs: Internal Transport Certificate",
            "Microsoft Learn: Selection of Inbound Anonymous TLS Certificates",
            "Microsoft Learn: Selection of Outbound Anonymous TLS Certificates",
            "Microsoft Learn: Enable-ExchangeCertificate",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::ExchangeCheckInconclusive,
        id: "exchange-check-inconclusive",
        severity: Severity::Info,
        rank: 1050,
        inconclusive: true,
        meaning: "a check could not decide: the pasted text is cut, wrapped, ambiguous or missing what it needs",
        explanation: "A check needed a value the paste does not let it trust, so it says unknown \
            instead of fail, and names the check and the doubt: a list cut after \
            `$FormatEnumerationLimit` items (`...` or `…`), so \"not in the list\" cannot be \
            known; a value wrapped onto continuation lines, where a space inside a name or \
            thumbprint may be the console's; a date that reads both ways (`03/04/2026`, with no \
            day above 12 and nothing else to settle it); a certificate list that names no server, \
            since `Get-ExchangeCertificate | fl` does not print it; or an input the check needs \
            that was not pasted at all.\n\n\
            On its own the finding makes the verdict unknown (exit code 3); any failure found \
            elsewhere still counts. To remove the doubt, run the collection script (full lists, \
            ISO dates, server names and the certificates themselves), or paste again after \
            `$FormatEnumerationLimit = -1`, with `| fl *`, one server at a time \
            (`Get-ExchangeCertificate -Server <SRV>`, and --server SRV on the command line). \
            docs/exchange-config.md shows how.",
        references: &[
            "Microsoft Learn: Get-ExchangeCertificate",
            "PowerShell: about_Preference_Variables ($FormatEnumerationLimit)",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::ExchangeInputUnrecognised,
        id: "exchange-input-unrecognised",
        severity: Severity::Warn,
        rank: 1060,
        inconclusive: true,
        meaning: "nothing (or part of the input) was recognised as the output of an Exchange cmdlet",
        explanation: "The tool recognises each object by its properties (TransportRole and \
            Bindings make a receive connector, CertificateDomains or RootCAType a certificate, \
            TlsSenderCertificateName an inbound connector...) in `Format-List` text, the default \
            table view, the collection script's JSON and raw `ConvertTo-Json` output, in UTF-8, \
            UTF-16 with a byte order mark (what `>` writes in Windows PowerShell 5.1) or \
            Windows-1252. Nothing, or only part of the input, matched: the output of another \
            cmdlet, a table whose columns the console cut, a screenshot's text, a copy whose lines \
            were joined or HTML-escaped.\n\n\
            The report's notes say what was not understood. Paste the `| fl` output of the cmdlets \
            named in docs/exchange-config.md, or run the collection script. The finding leaves the \
            verdict unknown when nothing else was found.",
        references: &[
            "Microsoft Learn: Get-ExchangeCertificate",
            "Microsoft Learn: Get-ReceiveConnector",
            "Microsoft Learn: Get-SendConnector",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::ExchangeConfigConsistent,
        id: "exchange-config-consistent",
        severity: Severity::Info,
        rank: 1070,
        inconclusive: false,
        meaning: "the configuration pasted is consistent: what was checked and found in order",
        explanation: "Every check that could run on the pasted objects found them in order; the \
            evidence lists what was checked, and which checks did not run for want of input (the \
            Exchange Online side without Get-InboundConnector and Get-OutboundConnector, accepted \
            domains, other servers). With --probe, the certificate presented matched the one the \
            configuration selects.\n\n\
            A consistent configuration is not proof that mail flows: a firewall, an appliance in \
            front, a blocklisted address or DNS can still break it. Probe the domain \
            (`starttls-check contoso.com`) and look at Exchange Online's message trace.",
        references: &[
            "Microsoft Learn: Selection of Inbound STARTTLS Certificates",
            "Microsoft Learn: Certificate requirements for hybrid deployments",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::CertUnexpectedFingerprint,
        id: "cert-unexpected-fingerprint",
        severity: Severity::Fail,
        rank: 365,
        inconclusive: false,
        meaning: "the endpoint serves a certificate that is none of those given with --expect-fingerprint (after a renewal: a node that still serves the old one)",
        explanation: "--expect-fingerprint names the certificates every endpoint must serve, by \
            the SHA-256 of the certificate (the DER encoding, as `openssl x509 -noout \
            -fingerprint -sha256` prints it). This endpoint completed the handshake with another \
            leaf certificate: the evidence gives its SHA-256, subject, issuer and end of \
            validity, and the fingerprints expected.\n\n\
            After a renewal this is the node that did not get the new certificate, or got it \
            without loading it: the file was replaced but the service was not reloaded (Postfix \
            and most servers read the certificate when they start), the certificate was \
            imported on one Exchange server of several, enabled for IIS but not for SMTP, or a \
            receive connector's TlsCertificateName still names the old one; a load balancer or \
            gateway in front holds its own copy. An endpoint that never reached TLS (refused, \
            silent, no STARTTLS) is not reported here: its own finding says why, and it fails or \
            leaves the verdict unknown. Only when such an endpoint would otherwise pass is it \
            reported here, as presenting no certificate, so a renewal check never passes \
            without having seen every endpoint's certificate.",
        references: &[
            "OpenSSL x509(1): -fingerprint -sha256",
            "Microsoft Learn: Enable-ExchangeCertificate",
            "Microsoft Learn: Selection of Inbound STARTTLS Certificates",
            "postconf(5): smtpd_tls_chain_files, smtpd_tls_cert_file",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::CertUnexpectedIssuer,
        id: "cert-unexpected-issuer",
        severity: Severity::Fail,
        rank: 366,
        inconclusive: false,
        meaning: "the certificate's issuer matches no --expect-issuer (a certificate from another CA than intended)",
        explanation: "--expect-issuer names the CA the certificate must come from. A value \
            without `=` (`Let's Encrypt`, `R11`, `DigiCert Global G2`) matches when its words \
            appear, whole and in order, in the CN or the O of the issuer of the leaf or of \
            another certificate the server sent (so a root's name matches too), ignoring case; \
            `R1` does not match `R10`. A value with `=` is a distinguished name, in any of the \
            forms tools print it (`CN=R11, O=Let's Encrypt, C=US`, OpenSSL's `C = US, O = \
            Let's Encrypt`, `/C=US/O=Let's Encrypt/CN=R11`, with or without `issuer=`): every \
            attribute given must be in one of those issuers with that value, ignoring case; \
            the others may be anything. Several --expect-issuer values: any one must match.\n\n\
            A mismatch after a renewal usually means the certificate came from another CA than \
            planned (an ACME client that fell back to another CA, a test certificate from a \
            staging CA, an internal CA's certificate installed on a public MX) or, in front of \
            the server, an appliance that presents its own.",
        references: &[
            "RFC 5280 §4.1.2.4 (issuer)",
            "RFC 4514 (string form of a distinguished name)",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::BaselineStarttlsChanged,
        id: "baseline-starttls-changed",
        severity: Severity::Fail,
        rank: 470,
        inconclusive: false,
        meaning: "STARTTLS was offered in the --baseline run and is not now (fail), or is offered now and was not (info)",
        explanation: "The endpoint (the same host, address and port; for an address that \
            changed, the other addresses of the host on that port) advertised STARTTLS in the \
            EHLO reply of the baseline run and does not now: a regression, so it fails, whatever \
            the rest. Senders that do not require TLS now deliver in plaintext; those that do \
            queue. The evidence gives what the baseline saw and when. Common causes: a \
            certificate the server can no longer load (Postfix and Exchange then stop \
            advertising STARTTLS), a configuration change or update, or a device in the path \
            that now inspects SMTP. The other direction (offered now, not in the baseline) is \
            info.",
        references: &["RFC 3207 §4 (the STARTTLS keyword in the EHLO reply)"],
        sender_strings: &[],
    },
    Entry {
        code: Code::BaselineTlsVersionChanged,
        id: "baseline-tls-version-changed",
        severity: Severity::Warn,
        rank: 471,
        inconclusive: false,
        meaning: "the endpoint negotiates a lower TLS version than in the --baseline run (warn), none because the handshake now fails (fail), or a higher one (info)",
        explanation: "This probe offers TLS 1.3 and 1.2 in every run, so the version it \
            negotiates is the highest the server (or what answers in front of it) accepts. A \
            lower version than in the baseline run is a change nobody declared, and warns (TLS \
            1.2 itself is no failure): a rollback or update of the server software or its TLS \
            library, changed protocol settings (Postfix `smtpd_tls_protocols`, Windows SCHANNEL), \
            or a TLS-terminating device now in the path. A handshake that no longer completes \
            (a server that now speaks only TLS 1.0 or 1.1, named when it answers a second hello \
            offering them, or nothing this client offers) fails, as the endpoint's own \
            tls-handshake-failed or tls-legacy-only does. A higher version is info.",
        references: &[
            "RFC 8446 (TLS 1.3), RFC 8996 (TLS 1.0 and 1.1 deprecated)",
            "Microsoft Learn: Transport Layer Security (TLS) registry settings",
            "postconf(5): smtpd_tls_protocols, smtpd_tls_mandatory_protocols",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::BaselineCertificateChanged,
        id: "baseline-certificate-changed",
        severity: Severity::Warn,
        rank: 472,
        inconclusive: false,
        meaning: "the endpoint serves another certificate than in the --baseline run (warn; info when the new one is in --expect-fingerprint: the intended renewal)",
        explanation: "The leaf certificate's SHA-256 differs from what the baseline run saw on \
            this endpoint (for an address that changed, from every certificate the host's other \
            addresses served on that port). When the new certificate is one of \
            --expect-fingerprint, this is the renewal the job checks for, and it is info; \
            otherwise nobody declared it, and it warns, so that a CI job can fail on a \
            certificate that changed unannounced (a renewal by someone else, a gateway now \
            answering, a node restored from an old image). A certificate seen now where the \
            baseline saw none is info.\n\n\
            A certificate change matters beyond the server: DANE TLSA records of usage 3 pin the \
            certificate or its key and must be updated before the switch, usage 2 records pin \
            the CA; an Exchange connector names its certificate by issuer and subject.",
        references: &[
            "RFC 7671 §8.1 (TLSA records across a key or certificate rollover)",
            "RFC 7672 §3.1 (DANE for SMTP)",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::BaselineIssuerChanged,
        id: "baseline-issuer-changed",
        severity: Severity::Warn,
        rank: 473,
        inconclusive: false,
        meaning: "the certificate comes from another issuer than in the --baseline run (warn; info when the certificate is in --expect-fingerprint or the issuer matches --expect-issuer)",
        explanation: "The issuer of the leaf certificate differs from the issuer the baseline \
            run saw. A new intermediate of the same CA (Let's Encrypt rotates R10/R11, E5/E6) \
            is harmless for most senders; a new CA is not always: a DANE TLSA record of usage 2 \
            pins the CA, Exchange names a connector's certificate by issuer and subject \
            (TlsCertificateName `<I>issuer<S>subject`), and partners may pin a CA. It is info \
            when the job declared the change (--expect-fingerprint lists the certificate, or \
            --expect-issuer matches the new issuer), a warning otherwise.",
        references: &[
            "RFC 7671 §8.1 (TLSA records across a rollover)",
            "Microsoft Learn: Set-ReceiveConnector (TlsCertificateName)",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::BaselineEndpointGone,
        id: "baseline-endpoint-gone",
        severity: Severity::Warn,
        rank: 474,
        inconclusive: false,
        meaning: "an endpoint of the --baseline run was not probed now (warn; info when its host still answers on that port at other addresses)",
        explanation: "Endpoints are matched by host, address and port. A host and port of the \
            baseline that this run did not probe at all warns: DNS no longer names the MX host \
            or its address, or this run was asked for less (other -p ports, -4/-6, --max-mx); \
            the evidence shows both command lines. When the host still answers on that port at \
            other addresses, only its address changed (a cloud or hosted service rotates them), \
            and it is info: its endpoints are compared with every endpoint the host had on that \
            port.",
        references: &["RFC 5321 §5.1 (MX lookup)"],
        sender_strings: &[],
    },
    Entry {
        code: Code::BaselineEndpointNew,
        id: "baseline-endpoint-new",
        severity: Severity::Warn,
        rank: 475,
        inconclusive: false,
        meaning: "an endpoint the --baseline run did not have (warn; info when its host had other addresses on that port in the baseline)",
        explanation: "A host and port that the baseline run did not probe: a new MX host or a \
            new port, or a name that now resolves elsewhere. Its own findings judge it like any \
            endpoint (and --expect-fingerprint applies to it); this finding says that nobody \
            declared it. A new address of a host that the baseline probed on that port is info, \
            and its certificate, TLS version and STARTTLS are compared with what that host had.",
        references: &["RFC 5321 §5.1 (MX lookup)"],
        sender_strings: &[],
    },
    Entry {
        code: Code::BaselineTargetMissing,
        id: "baseline-target-missing",
        severity: Severity::Warn,
        rank: 476,
        inconclusive: false,
        meaning: "the --baseline holds no report for this target of a batch, or one that cannot be compared with, so nothing was compared",
        explanation: "In a batch, each target is compared with the baseline's report of the same \
            target (as reports name it: `contoso.com`, `[mail.contoso.com]:587`). This target \
            has none, so no change could be checked, and it warns rather than passing in \
            silence: a target added to the list since, or a baseline of another list. The same \
            when its report cannot be compared with: made with other options that decide which \
            endpoints are probed (`-p`, `--implicit-tls`, `--max-mx`, `--max-addresses`, `-4`, \
            `-6`, `--no-mx`; every endpoint would be gone or new), or none of its endpoints got \
            as far as an EHLO reply (a baseline made where outbound port 25 is blocked). (A \
            one-target run with such a baseline stops with a usage error instead, exit 3.) \
            Targets of the baseline that this run does not check are not reported: a shard \
            compares its own targets with the whole survey's baseline.",
        references: &[],
        sender_strings: &[],
    },
    // --- DANE (RFC 7672) ---
    Entry {
        code: Code::DaneDnssecBogus,
        id: "dane-dnssec-bogus",
        severity: Severity::Fail,
        rank: 480,
        inconclusive: false,
        meaning: "DNSSEC validation of the MX, address or TLSA answers failed (bogus), or the TLSA lookup fails outright (SERVFAIL even with checking disabled): DANE senders defer",
        explanation: "A validating resolver could not validate an answer senders need for DANE: the MX RRset, a mail host's addresses or its TLSA records. RFC 7672 §2.1 tells senders to defer rather than fall back, so mail from DANE senders (Exchange Online outbound, Postfix at `dane`, many European providers) queues. Exchange Online reports it as 4.7.324 dnssec-invalid, Postfix as `TLSA lookup error for host:25` (deferred with 4.7.5). Common causes: expired RRSIGs (the signer stopped re-signing, a cron job or a signing appliance that died), a DS record at the parent for a key the zone no longer uses (after a key rollover or a change of DNS provider, the registrar still publishes the old DS), a zone signed with an algorithm the resolver does not support. The finding is domain-wide when the MX RRset is bogus, per host when a host's addresses or TLSA records are; it is raised only from a resolver whose validation this run trusts (loopback or --trust-resolver), since a SERVFAIL from any other server says nothing about DNSSEC. A SERVFAIL is asked again with checking disabled (CD, RFC 4035 §3.2.2): when the resolver then answers, the data is there and fails validation, which is bogus proven. When it answers SERVFAIL again, the resolver or the zone's name servers fail (servers that drop TLSA queries, a lame delegation): the finding then says the lookup failed, not that the data is bogus, and does not assert 4.7.324 (Postfix still defers: `TLSA lookup error`). A TLSA lookup behind an insecure MX RRset is not reported here: senders do not look it up (see dane-mx-insecure). The fix shows the data without validation (`dig +dnssec +cd`) and the validation error (`delv`).",
        references: &[
            "RFC 7672 §2.1, §2.2 (DNSSEC failures defer delivery)",
            "RFC 4035 §4.3, §5.5 (bogus answers), §3.2.2 (the CD bit)",
            "Microsoft Learn: How SMTP DNS-based Authentication of Named Entities (DANE) works",
        ],
        sender_strings: &["4.7.324", "5.7.324", "dnssec-invalid", "TLSA lookup error"],
    },
    Entry {
        code: Code::DaneNoMatch,
        id: "dane-no-match",
        severity: Severity::Fail,
        rank: 481,
        inconclusive: false,
        meaning: "the host has secure, usable TLSA records but none matches the certificate chain it sends: DANE senders defer",
        explanation: "The mail host publishes TLSA records under DNSSEC, so DANE senders require TLS and accept only a chain one of the records matches (RFC 7672 §3). None does: usually the certificate or key was renewed without publishing the new TLSA record first, or the record was made for another certificate of the host. DANE senders defer and, after their retry period, bounce: Postfix and OpenSSL log `no matching DANE TLSA records` (verify error 65), Exchange Online 4.7.323 tlsa-invalid. DANE-EE(3) records match the leaf alone (its certificate or public key, by exact bytes, SHA2-256 or SHA2-512); DANE-TA(2) records match a CA certificate the server sends, and the chain must then validate up to it for the MX host name, dates included (RFC 7672 §3.1.2); a DANE-TA record that carries the whole certificate or key (matching type 0) is an anchor by itself and is used although the server does not send it (as OpenSSL and so Postfix do; RFC 7671 §5.2.2), while a digest of a CA the server does not send cannot match: the fix then offers to send that CA in the chain, publish it in full, or publish \"3 1 1\" for the leaf. When a DANE-TA record matches and the chain fails only because the leaf does not name the MX host, the finding says so and quotes Exchange Online's 4.7.325 certificate-host-mismatch; the fix is a certificate that names the host, not a record that papers over it. The evidence lists every record with what became of it and the \"3 1 1\" and \"3 0 1\" records of the leaf the server sends now; the fix gives the zone line for it and the rollover procedure. A server that offers no STARTTLS or fails the handshake while its host has usable secure TLSA records is not reported here: its own failure finding says that DANE senders defer (Exchange Online 4.7.321), because the records are not what needs fixing.",
        references: &[
            "RFC 7672 §3 (TLSA certificate usages for SMTP)",
            "RFC 6698 §2.1 (TLSA fields)",
            "RFC 7671 §8 (publishing TLSA records across a key rollover)",
            "Microsoft Learn: How SMTP DNS-based Authentication of Named Entities (DANE) works",
        ],
        sender_strings: &[
            "4.7.323",
            "5.7.323",
            "tlsa-invalid",
            "no matching DANE TLSA records",
            "Server certificate not trusted",
            "certificate-host-mismatch",
        ],
    },
    Entry {
        code: Code::DaneRecordsUnusable,
        id: "dane-records-unusable",
        severity: Severity::Warn,
        rank: 482,
        inconclusive: false,
        meaning: "the host's TLSA records are secure but none is usable for SMTP (PKIX usages 0/1, private use, unknown selector or matching type, a malformed digest): TLS is mandatory, unauthenticated",
        explanation: "RFC 7672 §3.1.3 tells SMTP clients to ignore PKIX-TA(0) and PKIX-EE(1) records, and records with an unknown selector or matching type, or a digest of the wrong length, are unusable too. With secure TLSA records that are all unusable, DANE senders still require TLS but cannot authenticate the server (Postfix: `TLSA records unusable`, `unsupported TLSA certificate usage`). Usage 255 (private use) and matching type 255 are unusable too; Postfix reserves the latter for its own fingerprints. The usual cause is a record copied from a web-server guide (\"1 1 1\" or \"0 0 1\"), or a digest pasted with a character missing. Replace them with \"3 1 1\" for the server's key.",
        references: &[
            "RFC 7672 §3.1.3 (PKIX usages SHOULD NOT be used for SMTP)",
            "RFC 6698 §2.1",
            "RFC 7671 §5",
        ],
        sender_strings: &[
            "TLSA records unusable",
            "unsupported TLSA certificate usage",
        ],
    },
    Entry {
        code: Code::DaneMxInsecure,
        id: "dane-mx-insecure",
        severity: Severity::Warn,
        rank: 483,
        inconclusive: false,
        meaning: "TLSA records are published for a mail host, but the domain's MX RRset is not DNSSEC-signed: senders do not use them, DANE does not apply to the domain",
        explanation: "RFC 7672 §2.2.1: DANE applies to a destination only when its MX RRset is secure. Here the MX records are unsigned (or the delegation to the domain is insecure), so senders treat it as a non-DANE destination: Postfix's smtp(8) logs `non DNSSEC destination` and falls back to opportunistic TLS (`may`), Exchange Online applies DANE only to destinations with a secure MX RRset. The hosts' TLSA records are then not checked at all, so this run gives no DANE verdict for them (no dane-no-match, dane-ok, dane-rollover-risk or dane-records-unusable, and a failing TLSA lookup is not a failure), and an attacker who can forge the MX answer redirects mail to a host of their choosing. (posttls-finger, a test tool, still checks such records and logs `MX RRset insecure: log verified as trusted`; senders do not.) Sign the mail domain's zone and publish its DS record at the registrar; if the zone is signed already, the DS record at the parent is what is missing. The TLSA records take effect as soon as the MX RRset is secure, so keep them right. A host named directly as the target (no MX lookup) is judged on its own TLSA records.",
        references: &["RFC 7672 §2.2.1 (MX resolution)", "RFC 7672 §2.1"],
        sender_strings: &["non DNSSEC destination", "MX RRset insecure"],
    },
    Entry {
        code: Code::DaneExchangeOnlineInterop,
        id: "dane-exchange-online-interop",
        severity: Severity::Warn,
        rank: 268,
        inconclusive: false,
        meaning: "a DANE-EE record matches, but the leaf is expired or does not name the host: RFC 7672 senders accept it, Exchange Online refuses it (4.7.322/4.7.325)",
        explanation: "RFC 7672 §3.1.1 tells senders to ignore a DANE-EE(3) leaf's names and dates, so Postfix and Exim deliver. Exchange Online's outbound DANE also checks the certificate's validity and names and fails with 4.7.322 certificate-expired or 4.7.325 certificate-host-mismatch (and 4.7.323 for a leaf not yet valid), as Microsoft documents for its outbound DANE. This was not verified against live Exchange Online; the finding follows Microsoft's documentation. A certificate that names the MX host and is kept current satisfies both kinds of sender; renewing with the same key keeps a \"3 1 1\" record valid.\n\nThe same rule settles the certificate findings: a self-signed or wrong-name leaf that DANE-EE matches (or a private chain a DANE-TA record pins) is a warning, not a failure, with dane-ok as the evidence and the senders that still refuse it named, except on Exchange or Exchange Online Protection and with --expect-name, where it stays a failure because Exchange Online refuses it anyway. An expired or not-yet-valid leaf that DANE-EE matches is treated the same way (RFC 7672 senders ignore its dates as they ignore its names). The finding ranks before the certificate's own warnings (such as cert-expires-soon), so that a report's headline names the Exchange Online refusal.",
        references: &[
            "RFC 7672 §3.1.1",
            "Microsoft Learn: How SMTP DNS-based Authentication of Named Entities (DANE) works",
        ],
        sender_strings: &[
            "4.7.322",
            "5.7.322",
            "4.7.325",
            "5.7.325",
            "certificate-expired",
            "certificate-host-mismatch",
        ],
    },
    Entry {
        code: Code::DaneRolloverRisk,
        id: "dane-rollover-risk",
        severity: Severity::Info,
        rank: 485,
        inconclusive: false,
        meaning: "the TLSA records pin only the current key (one record, or one key by two digests) and no DANE-TA record: the next certificate or key change breaks DANE delivery unless a record for it is published first",
        explanation: "With one \"3 1 1\" record (or one record of any kind), the TLSA RRset matches exactly one key. RFC 7671 §8.1 recommends publishing the next key's record before the change (\"current + next\"), or pairing \"3 1 1\" with a \"2 1 1\" record of the issuing CA: publish the next record, wait at least twice the TTL, switch the certificate, then remove the old record. Forgetting this is a common DANE outage: an automated renewal (certbot every 60 days) makes a new key, and every DANE sender defers until the TLSA record is updated. Renewing with the same key (certbot --reuse-key) avoids it. A single \"3 1 1\" record with the key reused at each renewal is what Microsoft recommends, so this is information, not a warning: nothing is broken now. The fix shows the record as published and the command that computes the next key's record from the next key or its certificate request, with the same selector and matching type.",
        references: &[
            "RFC 7671 §8.1, §8.4 (key rollover with TLSA)",
            "RFC 7672 §3",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::DaneDnssecUnknown,
        id: "dane-dnssec-unknown",
        severity: Severity::Info,
        rank: 486,
        inconclusive: false,
        meaning: "TLSA records exist, but the DNS server asked is not one whose DNSSEC validation this run may trust: DANE was not judged",
        explanation: "The AD bit only means something from a validating resolver the client trusts (RFC 6698 §A.3.1, RFC 7672 §2.1): one on loopback, or one named with --trust-resolver. This run asked another server, or one that does not validate, so DANE was not judged: the records' status is unknown, not insecure. Run a validating resolver on this machine (unbound validates with the root trust anchor by default) and pass --resolver 127.0.0.1, or pass --trust-resolver if you trust the resolver you named and the network path to it. Tools that look TLSA records up without checking the AD bit (check_ssl_cert's --dane) cannot tell a secure record from a forged one.",
        references: &[
            "RFC 7672 §2.1",
            "RFC 4035 §3.2.3 (the AD bit)",
            "RFC 6698 §A.3.1",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::DaneOk,
        id: "dane-ok",
        severity: Severity::Info,
        rank: 487,
        inconclusive: false,
        meaning: "the host's secure TLSA records match the certificate chain it sends",
        explanation: "The mail host publishes TLSA records under DNSSEC and the chain the server sends matches one (DANE-EE: the leaf; DANE-TA: a CA certificate the server sends, with the chain valid up to it). The evidence says which record matched at which depth, in posttls-finger's words (`Matched DANE EE certificate at depth 0: 3 1 1 ...`). DANE senders (Postfix and Exim at `dane`, Exchange Online outbound) deliver over TLS authenticated by the record, whatever the certificate's issuer.",
        references: &["RFC 7672 §3", "RFC 6698 §2.1"],
        sender_strings: &[
            "Matched DANE EE certificate",
            "Matched DANE TA certificate",
            "Verified TLS connection established",
        ],
    },
    // --- MTA-STS (RFC 8461) ---
    Entry {
        code: Code::MtaStsRecordInvalid,
        id: "mta-sts-record-invalid",
        severity: Severity::Warn,
        rank: 490,
        inconclusive: false,
        meaning: "the _mta-sts TXT record is malformed or not the only one: senders treat the domain as having no MTA-STS",
        explanation: "RFC 8461 §3.1: exactly one TXT record at `_mta-sts.DOMAIN` that starts with `v=STSv1;` and has an `id` of 1 to 32 letters and digits. With none valid, or more than one, senders ignore MTA-STS for the domain.",
        references: &["RFC 8461 §3.1"],
        sender_strings: &["sts-policy-invalid"],
    },
    Entry {
        code: Code::MtaStsPolicyFetchFailed,
        id: "mta-sts-policy-fetch-failed",
        severity: Severity::Warn,
        rank: 491,
        inconclusive: false,
        meaning: "the MTA-STS policy cannot be fetched from https://mta-sts.DOMAIN/.well-known/mta-sts.txt (no answer, not 200, a redirect, not text/plain, too large)",
        explanation: "RFC 8461 §3.3: senders fetch the policy over HTTPS, accept only a 200 response, follow no redirect. A sender without a cached policy then treats the domain as having none; one with a cached policy keeps applying it until it expires.",
        references: &[
            "RFC 8461 §3.3",
            "RFC 8460 §4.3 (result type sts-policy-fetch-error)",
        ],
        sender_strings: &["sts-policy-fetch-error"],
    },
    Entry {
        code: Code::MtaStsPolicyCertificateInvalid,
        id: "mta-sts-policy-certificate-invalid",
        severity: Severity::Warn,
        rank: 492,
        inconclusive: false,
        meaning: "the certificate of the mta-sts.DOMAIN web server is not valid for that name or not trusted: senders do not use the policy",
        explanation: "RFC 8461 §3.3: the policy host must present a certificate that chains to a trusted root and names mta-sts.DOMAIN.",
        references: &[
            "RFC 8461 §3.3",
            "RFC 8460 §4.3 (result type sts-webpki-invalid)",
        ],
        sender_strings: &["sts-webpki-invalid"],
    },
    Entry {
        code: Code::MtaStsPolicyInvalid,
        id: "mta-sts-policy-invalid",
        severity: Severity::Warn,
        rank: 493,
        inconclusive: false,
        meaning: "the MTA-STS policy file breaks the syntax senders parse (version, mode, max_age, mx)",
        explanation: "RFC 8461 §3.2: `version: STSv1`, `mode: enforce|testing|none`, `max_age` up to 31557600 seconds, at least one `mx:` pattern (unless mode is none). A policy senders cannot parse is no policy.",
        references: &["RFC 8461 §3.2"],
        sender_strings: &["sts-policy-invalid"],
    },
    Entry {
        code: Code::MtaStsMxMismatch,
        id: "mta-sts-mx-mismatch",
        severity: Severity::Fail,
        rank: 494,
        inconclusive: false,
        meaning: "an MX host matches none of the MTA-STS policy's mx: patterns: senders that enforce the policy do not deliver to it (fail in enforce mode, warn in testing)",
        explanation: "RFC 8461 §4.1: senders deliver only to MX hosts that match one of the policy's `mx:` patterns (a `*.` wildcard stands for exactly one leftmost label: `*.example.com` covers `mx1.example.com`, not `a.b.example.com`). It typically follows an MX change (a new provider, a gateway) without a policy update. Fixing the file is not enough: senders refetch the policy only when the TXT record's id changes (§3.1), and keep a cached policy up to max_age. Reported only when senders can use the policy (record, fetch, certificate and file valid).",
        references: &["RFC 8461 §4.1"],
        sender_strings: &["validation-failure"],
    },
    Entry {
        code: Code::MtaStsPolicyIrregular,
        id: "mta-sts-policy-irregular",
        severity: Severity::Info,
        rank: 495,
        inconclusive: false,
        meaning: "the MTA-STS record or policy works, but has irregularities some senders may trip on (LF line ends, a repeated key, unknown keys, a short max_age, whitespace in the record)",
        explanation: "Senders differ in how strictly they read the record and the policy file: the grammar ends lines with CRLF but most files use LF (erratum 6253); the grammar allows whitespace around `;` in the record but the prose says it begins with `v=STSv1;` (erratum 6285); unknown keys are ignored, so a misspelt key silently loses its value. A max_age under a week protects little: senders forget the policy soon and an attacker who strips the TXT record wins once it lapses (RFC 8461 §3.2 recommends weeks). The evidence names each line.",
        references: &["RFC 8461 §3.2", "RFC 8461 errata 6253, 6285"],
        sender_strings: &[],
    },
    Entry {
        code: Code::MtaStsModeTesting,
        id: "mta-sts-mode-testing",
        severity: Severity::Info,
        rank: 496,
        inconclusive: false,
        meaning: "the MTA-STS policy does not make senders refuse anything: in testing mode they report failures and still deliver; mode none withdraws MTA-STS",
        explanation: "RFC 8461 §5 has three modes. In `testing` senders that honour MTA-STS check each MX host as under enforce, deliver even when TLS or the certificate fails, and report the failure through TLS-RPT: the way to see what enforce would block, before enforcing. `none` withdraws MTA-STS: senders that cached an earlier policy replace it and deliver as if the domain published none, and report nothing; it is the step before removing the record and the policy host (§8.3: serve `mode: none` until every earlier max_age has run out). The finding's text says which mode the domain is in; only a testing domain is advised to move to enforce.",
        references: &["RFC 8461 §5"],
        sender_strings: &[],
    },
    Entry {
        code: Code::MtaStsMissing,
        id: "mta-sts-missing",
        severity: Severity::Info,
        rank: 497,
        inconclusive: false,
        meaning: "the domain publishes no MTA-STS: senders deliver with opportunistic TLS, which an active attacker can strip",
        explanation: "Without MTA-STS (or DANE), senders cannot tell a downgraded connection from a server without TLS: an attacker on the path can remove STARTTLS from the EHLO reply and read the mail. MTA-STS publishes, over HTTPS and a TXT record, that every MX host offers TLS with a certificate valid for its name; Gmail, Microsoft 365 and others honour it. Start in testing mode with TLS-RPT, then enforce. Reported only for a domain with MX records; it does not change the verdict.",
        references: &["RFC 8461 §1", "RFC 8461 §3", "RFC 8461 §5"],
        sender_strings: &[],
    },
    Entry {
        code: Code::MtaStsOk,
        id: "mta-sts-ok",
        severity: Severity::Info,
        rank: 498,
        inconclusive: false,
        meaning: "the MTA-STS record and policy are valid and every MX host matches the policy",
        explanation: "The TXT record, the policy fetch and file, and every MX host's name pass the checks RFC 8461 senders make.",
        references: &["RFC 8461"],
        sender_strings: &[],
    },
    // --- TLS-RPT (RFC 8460) ---
    Entry {
        code: Code::TlsrptInvalid,
        id: "tlsrpt-invalid",
        severity: Severity::Warn,
        rank: 500,
        inconclusive: false,
        meaning: "the _smtp._tls TXT record is malformed or not the only one: senders send no TLS reports",
        explanation: "RFC 8460 §3: exactly one TXT record at `_smtp._tls.DOMAIN` that starts with `v=TLSRPTv1;` and has `rua=` with mailto: or https: URIs.",
        references: &["RFC 8460 §3"],
        sender_strings: &[],
    },
    Entry {
        code: Code::TlsrptMissing,
        id: "tlsrpt-missing",
        severity: Severity::Info,
        rank: 501,
        inconclusive: false,
        meaning: "the domain publishes no TLS-RPT record: nobody tells its owner when senders fail to reach it over TLS",
        explanation: "TLS-RPT (RFC 8460) asks senders (Google, Microsoft and others) to send a daily report of TLS failures delivering to the domain: an expired certificate, a policy fetch error or an MTA-STS mismatch shows up there before users complain. It is the way to see whether MTA-STS testing mode would block mail before enforcing. Reported only for a domain with MX records; the suggested record's address is a placeholder to replace.",
        references: &["RFC 8460 §3"],
        sender_strings: &[],
    },
    Entry {
        code: Code::TlsrptOk,
        id: "tlsrpt-ok",
        severity: Severity::Info,
        rank: 502,
        inconclusive: false,
        meaning: "the TLS-RPT record is valid: senders report TLS failures to the addresses it names",
        explanation: "The `_smtp._tls` TXT record is well formed and names where reports go.",
        references: &["RFC 8460 §3"],
        sender_strings: &[],
    },
    Entry {
        code: Code::PolicyLookupFailed,
        id: "policy-lookup-failed",
        severity: Severity::Info,
        rank: 503,
        inconclusive: false,
        meaning: "a policy lookup (MTA-STS, TLS-RPT) failed, so it could not be checked",
        explanation: "The TXT lookup of `_mta-sts.DOMAIN` or `_smtp._tls.DOMAIN` failed (SERVFAIL, a timeout, a refused query), or the run's deadline (--deadline) ended the MTA-STS policy fetch before its own time limit. Nothing is known about that policy, so nothing is said for or against it. A DNS failure seen here may be the resolver's and not the domain's: senders whose lookup of `_mta-sts` fails keep a cached policy (RFC 8461 §3.3, §5.1) and deliver without one otherwise; senders whose lookup of `_smtp._tls` fails send no report. Run again, with a longer --deadline, or ask the domain's authoritative servers directly (`dig TXT _mta-sts.DOMAIN @NS`).",
        references: &["RFC 8461 §3.1", "RFC 8461 §3.3", "RFC 8460 §3"],
        sender_strings: &[],
    },
    // --- Revocation (RFC 5280) ---
    Entry {
        code: Code::CertRevoked,
        id: "cert-revoked",
        severity: Severity::Fail,
        rank: 510,
        inconclusive: false,
        meaning: "a certificate the server sends is revoked: its CA's CRL lists its serial, or the server's own stapled OCSP response says revoked",
        explanation: "The CA revoked the certificate, usually because its key was compromised or it was replaced (the reason code says which). \
            Senders that check revocation refuse it: Exchange and Windows (CERT_TRUST_IS_REVOKED), OpenSSL-based MTAs with CRL checking on, \
            and everything that honours a stapled response. The finding is a FAIL only when the CRL's signature verified with the issuing CA's key; \
            a listing on a CRL that could not be checked is a WARN. Delta and indirect CRLs are not judged (reported as unsupported). \
            The only fix is a new certificate (with a new key after keyCompromise).",
        references: &[
            "RFC 5280 §5.3.1 (reason codes), §6.3.3 (CRL processing: issuer, signature, serial lookup)",
            "RFC 6960 §2.2 (OCSP cert status)",
            "RFC 6066 §8 (stapled OCSP response)",
        ],
        sender_strings: &[
            "certificate-revoked",
            "CERT_TRUST_IS_REVOKED",
            "certificate revoked",
        ],
    },
    Entry {
        code: Code::CrlUnreachable,
        id: "crl-unreachable",
        severity: Severity::Warn,
        rank: 511,
        inconclusive: false,
        meaning: "a CRL distribution point of the chain cannot be fetched over http (no answer, not 200, only ldap://): a WARN when no point of that certificate serves a valid CRL (senders that check revocation, Exchange among them, cannot), an INFO when another point does (clients move on to it, after a wait)",
        explanation: "Exchange and Windows check CRLs through WinHTTP; a certificate whose CRL cannot be fetched shows RevocationCheckFailure in Get-ExchangeCertificate, \
            EMC says \"The certificate status could not be determined because the revocation check failed\", and hybrid mail flow with Exchange Online needs an available CRL. \
            Common causes: a firewall or WinHTTP proxy between the server and the CA's distribution point, a CA that moved its files, \
            or an AD CS CA that publishes its CRL only over LDAP, which only machines in the directory can read (external senders such as Exchange Online cannot). \
            Windows fetches CRLs over http; an https-only distribution point can fail there too. \
            A certificate is judged over all its distribution points, as clients do (RFC 5280 §6.3.3: they try them in turn and use the first valid, current CRL): \
            when one serves a good CRL, the others that fail are reported once, as INFO (a client that tries them first waits before moving on); \
            the same holds for crl-invalid and crl-stale. A fetch that the run's --deadline ended is not the server's fault: it is no finding, \
            and the certificate's revocation summary says it was not checked. Several failing points make one finding, listing each.",
        references: &[
            "RFC 5280 §4.2.1.13 (CRL distribution points: http or ldap URIs, DER over http)",
            "Microsoft Learn: Certificate requirements for hybrid deployments",
            "Exchange Team blog, 2010: EMC and certificates with failed revocation checks in Exchange 2010",
        ],
        sender_strings: &[
            "RevocationCheckFailure",
            "The revocation function was unable to check revocation",
            "CERT_TRUST_REVOCATION_STATUS_UNKNOWN",
        ],
    },
    Entry {
        code: Code::CrlInvalid,
        id: "crl-invalid",
        severity: Severity::Warn,
        rank: 512,
        inconclusive: false,
        meaning: "a CRL fetched is not a CRL, or its signature does not verify with the issuing CA's key",
        explanation: "The distribution point serves something other than the CA's CRL in DER or PEM: a web page (a login portal, a 200 error page), \
            the CRL of another CA, a truncated or corrupted file. Senders cannot use it, so revocation is unknown to them, as with an unreachable CRL. \
            A PEM CRL is read but said to be irregular (RFC 5280 says DER).",
        references: &["RFC 5280 §5 (CRL profile), §6.3.3 (b) issuer, (f) signature"],
        sender_strings: &["CRYPT_E_NO_REVOCATION_CHECK"],
    },
    Entry {
        code: Code::CrlStale,
        id: "crl-stale",
        severity: Severity::Warn,
        rank: 513,
        inconclusive: false,
        meaning: "a CRL fetched is past its nextUpdate (or has none): senders that enforce CRL freshness treat revocation as unknown",
        explanation: "The CA stopped publishing fresh CRLs (an AD CS CA offline, a failed publication task), or a cache or CDN serves an old copy. \
            Windows treats an expired CRL as no CRL, so Exchange reports RevocationCheckFailure; rustls with enforce_revocation_expiration \
            refuses with ExpiredRevocationList. On AD CS, `certutil -CRL` publishes a new one.",
        references: &["RFC 5280 §5.1.2.4 (thisUpdate), §5.1.2.5 (nextUpdate)"],
        sender_strings: &["ExpiredRevocationList", "CRYPT_E_REVOCATION_OFFLINE"],
    },
    Entry {
        code: Code::CrlNone,
        id: "crl-none",
        severity: Severity::Info,
        rank: 514,
        inconclusive: false,
        meaning: "the server's certificate, from a publicly trusted chain, names no CRL distribution point nor OCSP responder: senders cannot check its revocation",
        explanation: "Publicly trusted CAs name a CRL or OCSP location in every certificate (CA/Browser Forum Baseline Requirements); a certificate without one cannot be checked, \
            and Exchange and Windows report its revocation status as unknown. Said only for chains trusted without --ca-file: private CAs often omit it, \
            and there it says nothing useful.",
        references: &[
            "RFC 5280 §4.2.1.13 (CRL distribution points), §4.2.2.1 (Authority Information Access)",
        ],
        sender_strings: &[],
    },
    // --- client certificate we present (--client-cert) ---
    Entry {
        code: Code::ClientCertRequested,
        id: "client-cert-requested",
        severity: Severity::Info,
        rank: 520,
        inconclusive: false,
        meaning: "the server asks senders for a client certificate (a CertificateRequest), and names the CA names it accepts",
        explanation: "A CertificateRequest (RFC 5246 §7.4.4, RFC 8446 §4.3.2) asks the sender for a certificate. Postfix with smtpd_tls_ask_ccert and Exchange receive connectors ask; most servers accept a session without one. The evidence lists the CA names the server accepts (empty: any). With --client-cert the probe presents one, as an on-premises Exchange send connector does.",
        references: &["RFC 5246 §7.4.4", "RFC 8446 §4.3.2"],
        sender_strings: &[],
    },
    Entry {
        code: Code::ClientCertNotRequested,
        id: "client-cert-not-requested",
        severity: Severity::Info,
        rank: 521,
        inconclusive: false,
        meaning: "--client-cert was given, but the server never asked for a certificate: none was sent, so nothing about it was tested here",
        explanation: "A TLS client sends a certificate only when the server asks (RFC 8446 §4.4.2). This server did not, so whether it would accept the certificate is not known. Exchange Online asks for a certificate on its inbound servers; test against the tenant's endpoint (TENANT.mail.protection.outlook.com) to see what it does with yours.",
        references: &["RFC 8446 §4.4.2", "RFC 5246 §7.4.6"],
        sender_strings: &[],
    },
    Entry {
        code: Code::ClientCertAccepted,
        id: "client-cert-accepted",
        severity: Severity::Info,
        rank: 522,
        inconclusive: false,
        meaning: "the server asked for a client certificate, ours was sent, and the session went on: the server accepted it",
        explanation: "Acceptance is known once EHLO over TLS is answered: in TLS 1.3 the server checks the client certificate after its own Finished (RFC 8446 §4.4.2.4); in TLS 1.2 it has read it in the handshake, but a server may still refuse the session over it afterwards (Postfix with smtpd_tls_req_ccert completes the handshake, then answers the EHLO 421 4.7.1 Client certificate not trusted, which is client-cert-refused). The evidence says which version. Accepted in TLS means only that: Exchange Online then matches the certificate's names against the inbound connector's TlsSenderCertificateName.",
        references: &["RFC 8446 §4.4.2.4", "RFC 5246 §7.4.6"],
        sender_strings: &[],
    },
    Entry {
        code: Code::ClientCertRefused,
        id: "client-cert-refused",
        severity: Severity::Fail,
        rank: 523,
        inconclusive: false,
        meaning: "the server refused the client certificate we presented",
        explanation: "The server asked for a certificate, ours was sent, and the server ended the handshake or the session with an alert (bad_certificate, unknown_ca, certificate_expired...) or a refusal. A sender presenting this certificate to this server is refused the same way. The evidence has the alert; the fix says what the server expects (its CA names) and what to change on the certificate.",
        references: &["RFC 8446 §4.4.2.4, §6.2", "RFC 5246 §7.4.6"],
        sender_strings: &[],
    },
    Entry {
        code: Code::ClientCertNameMismatch,
        id: "client-cert-name-mismatch",
        severity: Severity::Fail,
        rank: 524,
        inconclusive: false,
        meaning: "the certificate we present does not cover the name the receiver matches (--client-cert-name, Exchange Online's TlsSenderCertificateName)",
        explanation: "Exchange Online attributes certificate-authenticated mail to a tenant by the name on the certificate the sending server presents, matched against the inbound connector's TlsSenderCertificateName (an accepted domain); on-premises receive connectors match TlsDomainCapabilities / TlsCertificateName the same way. A certificate without that name makes Exchange Online treat the mail as anonymous or refuse it (550 5.7.64 TenantAttribution; Relay Access Denied).",
        references: &[
            "RFC 6125 §6.4",
            "Microsoft Learn: Set-InboundConnector -TlsSenderCertificateName",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::ClientCertExpired,
        id: "client-cert-expired",
        severity: Severity::Fail,
        rank: 525,
        inconclusive: false,
        meaning: "the certificate we present has expired (or is not yet valid)",
        explanation: "A receiver that checks the sender's certificate refuses an expired one (certificate_expired alert); Exchange Online refuses certificate-based attribution with it. Renew the send connector's certificate and assign the new one.",
        references: &["RFC 5280 §4.1.2.5"],
        sender_strings: &[],
    },
    Entry {
        code: Code::ClientCertExpiresSoon,
        id: "client-cert-expires-soon",
        severity: Severity::Warn,
        rank: 526,
        inconclusive: false,
        meaning: "the certificate we present expires soon",
        explanation: "The sending server's certificate expires within --warn-days; once it does, receivers that check it (Exchange Online inbound connectors that match TlsSenderCertificateName) refuse or misattribute the mail.",
        references: &["RFC 5280 §4.1.2.5"],
        sender_strings: &[],
    },
    Entry {
        code: Code::ClientCertUntrusted,
        id: "client-cert-untrusted",
        severity: Severity::Warn,
        rank: 527,
        inconclusive: false,
        meaning: "the certificate we present does not chain to a trusted root here (self-signed, private CA, or an intermediate missing from what we send)",
        explanation: "Receivers that check a sender's certificate build its path to a root they trust: Exchange Online requires a certificate from a public CA for connectors that match TlsSenderCertificateName. Send the whole chain (the file's certificates after the leaf) and use a publicly trusted certificate.",
        references: &[
            "RFC 5280 §6",
            "Microsoft Learn: Certificate requirements for hybrid deployments",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::ClientCertNoClientAuth,
        id: "client-cert-no-client-auth",
        severity: Severity::Warn,
        rank: 528,
        inconclusive: false,
        meaning: "the certificate we present is not valid for client authentication: its Extended Key Usage lacks clientAuth",
        explanation: "A certificate whose EKU lists serverAuth but not clientAuth may not be used by a TLS client (RFC 5280 §4.2.1.12); receivers that verify the client certificate's purpose (OpenSSL's default for a client chain, rustls, Postfix with smtpd_tls_req_ccert) refuse it. Public CAs stop including clientAuth in 2026 (the Chrome Root Program requires server-only hierarchies), so a certificate renewed this year may have lost it.",
        references: &["RFC 5280 §4.2.1.12"],
        sender_strings: &[],
    },
    // --- what a sender presents (listen) ---
    Entry {
        code: Code::SenderOk,
        id: "sender-ok",
        severity: Severity::Info,
        rank: 600,
        inconclusive: false,
        meaning: "the sender used STARTTLS with TLS 1.2 or newer, and what it presented matches what was expected",
        explanation: "The sender greeted with EHLO, issued STARTTLS, completed a TLS 1.2 or 1.3 handshake, greeted again over TLS, and (with --expect-name) presented a certificate that covers the expected name.",
        references: &["RFC 3207 §4", "RFC 5321 §4.1.1.1"],
        sender_strings: &[],
    },
    Entry {
        code: Code::SenderNoStarttls,
        id: "sender-no-starttls",
        severity: Severity::Fail,
        rank: 601,
        inconclusive: false,
        meaning: "the sender did not use STARTTLS although the listener offered it: its mail would cross the network in clear text",
        explanation: "The listener advertised STARTTLS in its EHLO reply; the sender went on to MAIL FROM without it. An Exchange send connector with IgnoreSTARTTLS, Postfix with smtp_tls_security_level = none, an Exim host in hosts_avoid_tls, or a device in the path that strips STARTTLS behave this way. A sender that greets and leaves without MAIL is not judged.",
        references: &["RFC 3207 §4", "RFC 3207 §5"],
        sender_strings: &[],
    },
    Entry {
        code: Code::SenderHeloOnly,
        id: "sender-helo-only",
        severity: Severity::Fail,
        rank: 602,
        inconclusive: false,
        meaning: "the sender greeted with HELO, not EHLO: it cannot see STARTTLS, so it sends in clear text",
        explanation: "STARTTLS is an ESMTP extension, announced only in the EHLO reply (RFC 3207 §4). A sender (or a device in its path that rewrites EHLO to HELO) that greets with HELO never learns of it.",
        references: &["RFC 3207 §4", "RFC 5321 §4.1.1.1"],
        sender_strings: &[],
    },
    Entry {
        code: Code::SenderTlsFailed,
        id: "sender-tls-failed",
        severity: Severity::Fail,
        rank: 603,
        inconclusive: false,
        meaning: "the sender issued STARTTLS, but the TLS handshake failed",
        explanation: "The evidence says how: no version or cipher in common, the sender closed the connection, or an alert. Senders fall back to clear text, defer, or bounce, depending on their policy.",
        references: &["RFC 3207 §4.1", "RFC 8446 §6.2"],
        sender_strings: &[],
    },
    Entry {
        code: Code::SenderTlsLegacy,
        id: "sender-tls-legacy",
        severity: Severity::Fail,
        rank: 604,
        inconclusive: false,
        meaning: "the sender offers only TLS 1.1 or older: receivers that require TLS 1.2 (Exchange Online, current Postfix and Exim) cannot negotiate with it",
        explanation: "Read from the sender's ClientHello itself. TLS 1.0 and 1.1 are deprecated (RFC 8996); on Windows, enable TLS 1.2 for Schannel and .NET (SchUseStrongCrypto) and restart the transport service.",
        references: &["RFC 8996", "RFC 8446 §4.2.1"],
        sender_strings: &[],
    },
    Entry {
        code: Code::SenderTlsOldVersionsOffered,
        id: "sender-tls-old-versions-offered",
        severity: Severity::Info,
        rank: 605,
        inconclusive: false,
        meaning: "the sender still offers TLS 1.0 or 1.1 besides TLS 1.2 or 1.3",
        explanation: "Harmless with a current receiver, which negotiates the newest version; worth turning off (RFC 8996). Judged only from a TLS 1.3 ClientHello's supported_versions list: a TLS 1.2 hello names its highest version only, so it says nothing about older ones.",
        references: &["RFC 8996"],
        sender_strings: &[],
    },
    Entry {
        code: Code::SenderRefusedOurCertificate,
        id: "sender-refused-our-certificate",
        severity: Severity::Warn,
        rank: 606,
        inconclusive: false,
        meaning: "the sender refused the listener's certificate: it validates the receiver's certificate (a TLS-enforcing connector, MTA-STS or DANE)",
        explanation: "The sender ended the handshake with an alert about our certificate (unknown_ca, bad_certificate, certificate_unknown). A listener with a self-signed certificate made at start works only with opportunistic senders; run it with --cert/--key (or a PFX) holding a certificate for the name the sender expects.",
        references: &["RFC 8446 §6.2", "RFC 7672 §3.2"],
        sender_strings: &[],
    },
    Entry {
        code: Code::SenderNoClientCert,
        id: "sender-no-client-cert",
        severity: Severity::Warn,
        rank: 607,
        inconclusive: false,
        meaning: "the sender presented no client certificate although the listener asked for one",
        explanation: "With --expect-name the receiver expects the sender to authenticate with a certificate (Exchange Online inbound connectors with TlsSenderCertificateName, on-premises receive connectors with TlsDomainCapabilities). On Exchange, set -TlsCertificateName on the send connector; on Postfix, set smtp_tls_cert_file and smtp_tls_key_file; on Exim, tls_certificate and tls_privatekey on the remote_smtp transport. Exchange Online attributes certificate-less mail from on-premises by IP or envelope only, and refuses relay with 550 5.7.64 TenantAttribution. Without --expect-name this is INFO: most senders present none.",
        references: &[
            "RFC 8446 §4.4.2",
            "Microsoft Learn: Set-SendConnector -TlsCertificateName",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::SenderCertNameMismatch,
        id: "sender-cert-name-mismatch",
        severity: Severity::Fail,
        rank: 608,
        inconclusive: false,
        meaning: "the sender's client certificate does not cover the expected name (--expect-name)",
        explanation: "The receiver matches the sender certificate's names against what it expects (Exchange Online: the inbound connector's TlsSenderCertificateName; on-premises: TlsDomainCapabilities). A certificate without the name makes Exchange Online refuse or misattribute the mail (550 5.7.64 TenantAttribution; Relay Access Denied, or 550 5.7.51 TenantInboundAttribution), typically after a renewal when the send connector's TlsCertificateName still names the old certificate, or the new one lacks the name. Present a certificate that has the name, or change the expected name to one the certificate has. An expected name *.contoso.com is Exchange Online's pattern: contoso.com and every name under it.",
        references: &[
            "RFC 6125 §6.4",
            "Microsoft Learn: Set-InboundConnector -TlsSenderCertificateName",
        ],
        sender_strings: &[],
    },
    Entry {
        code: Code::SenderCertExpired,
        id: "sender-cert-expired",
        severity: Severity::Fail,
        rank: 609,
        inconclusive: false,
        meaning: "the sender's client certificate has expired (or is not yet valid)",
        explanation: "Receivers that check the sender's certificate refuse it. Renew the certificate on the sending server and assign it to the send connector.",
        references: &["RFC 5280 §4.1.2.5"],
        sender_strings: &[],
    },
    Entry {
        code: Code::SenderCertUntrusted,
        id: "sender-cert-untrusted",
        severity: Severity::Warn,
        rank: 610,
        inconclusive: false,
        meaning: "the sender's client certificate does not chain to a root trusted here (self-signed, private CA, or missing intermediate)",
        explanation: "Exchange Online and most receivers that authenticate senders need a publicly trusted chain; a sender sends its intermediates with its certificate.",
        references: &["RFC 5280 §6"],
        sender_strings: &[],
    },
    Entry {
        code: Code::SenderCertNoClientAuth,
        id: "sender-cert-no-client-auth",
        severity: Severity::Warn,
        rank: 611,
        inconclusive: false,
        meaning: "the sender's client certificate lacks clientAuth in its Extended Key Usage",
        explanation: "RFC 5280 §4.2.1.12: a certificate that lists EKUs may be used only for those. Receivers that check the purpose of a client certificate refuse one marked serverAuth only; public CAs stop including clientAuth in 2026.",
        references: &["RFC 5280 §4.2.1.12"],
        sender_strings: &[],
    },
    Entry {
        code: Code::SenderEhloNotRepeated,
        id: "sender-ehlo-not-repeated",
        severity: Severity::Warn,
        rank: 612,
        inconclusive: false,
        meaning: "after TLS the sender did not greet again with EHLO",
        explanation: "RFC 3207 §4.2: the server discards what it knew before TLS and the client SHOULD send EHLO again as its first command; a sender that goes on to MAIL without it may use extensions the server no longer offers. A sender that leaves right after the handshake is not judged.",
        references: &["RFC 3207 §4.2"],
        sender_strings: &[],
    },
    Entry {
        code: Code::SenderPipelinedStarttls,
        id: "sender-pipelined-starttls",
        severity: Severity::Fail,
        rank: 613,
        inconclusive: false,
        meaning: "the sender sent commands after STARTTLS before the TLS handshake: they were in clear text and were discarded",
        explanation: "Commands after STARTTLS in the same packet are clear text the TLS layer never protects (RFC 3207 §4: STARTTLS ends a pipelined group; §4.2: what came before TLS is forgotten; the CVE-2011-0411 class); a safe server discards them, as this listener did. A sender (or a device in its path) doing so is broken or attacking.",
        references: &["RFC 3207 §4", "RFC 3207 §4.2", "CVE-2011-0411"],
        sender_strings: &[],
    },
    Entry {
        code: Code::SenderEhloNameMismatch,
        id: "sender-ehlo-name-mismatch",
        severity: Severity::Info,
        rank: 614,
        inconclusive: false,
        meaning: "the sender's EHLO name is not on its client certificate, or its reverse name does not match it",
        explanation: "Not an error for TLS; receivers that score senders (EOP, spam filters) compare the EHLO name, the PTR and the certificate's names, and a mismatch is worth knowing when the certificate is meant to identify the server.",
        references: &["RFC 5321 §4.1.4"],
        sender_strings: &[],
    },
    Entry {
        code: Code::ListenNoSender,
        id: "listen-no-sender",
        severity: Severity::Info,
        rank: 620,
        inconclusive: true,
        meaning: "no sender connected while the listener ran",
        explanation: "Nothing reached the listener within --duration. Check that the sender routes to this host and port (a smart host or connector pointing here), that a firewall lets the port through, and, on port 25, that the listener could bind it.",
        references: &[],
        sender_strings: &[],
    },
    Entry {
        code: Code::SenderCertExpiresSoon,
        id: "sender-cert-expires-soon",
        severity: Severity::Warn,
        rank: 615,
        inconclusive: false,
        meaning: "the sender's client certificate expires soon",
        explanation: "The certificate the sender presented expires within the warning days (30 by default, as the probe's --warn-days); once it does, receivers that check it (Exchange Online inbound connectors that match TlsSenderCertificateName, a receive connector or Postfix that requires one) refuse or misattribute its mail. Renew it and make the sender present the new one.",
        references: &["RFC 5280 §4.1.2.5"],
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
        ) || self == Code::Port25BlockedHere
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

/// A security appliance or TLS inspection product, as its certificates name it.
#[derive(Debug)]
pub struct Appliance {
    /// The vendor, as the report names it.
    pub vendor: &'static str,
    /// What kind of device presents such a certificate.
    pub device: &'static str,
    /// Words that identify it in a certificate's organisation (O) or common name (CN),
    /// lower case; a phrase of several words matches consecutive words. Matched whole, so
    /// `cisco` never matches San Francisco.
    pub words: &'static [&'static str],
}

/// The appliances tls-interception-suspected recognises in a certificate's subject or issuer
/// (O and CN). One table: later rules extend it here.
pub const APPLIANCES: &[Appliance] = &[
    Appliance {
        vendor: "Barracuda",
        device: "Barracuda Email Security Gateway",
        words: &["barracuda", "barracudanetworks"],
    },
    Appliance {
        vendor: "Fortinet",
        device: "FortiGate firewall or FortiMail gateway",
        words: &["fortinet", "fortigate", "fortimail"],
    },
    Appliance {
        vendor: "Sophos",
        device: "Sophos firewall or email appliance",
        words: &["sophos", "sophosappliancecertificate", "astaro"],
    },
    Appliance {
        vendor: "Cisco",
        device: "Cisco Secure Email (IronPort) appliance or firewall",
        words: &["cisco", "ironport"],
    },
    Appliance {
        vendor: "SonicWall",
        device: "SonicWall firewall (DPI-SSL)",
        words: &["sonicwall"],
    },
    Appliance {
        vendor: "Palo Alto Networks",
        device: "Palo Alto Networks firewall (SSL decryption)",
        words: &["palo alto", "paloalto"],
    },
    Appliance {
        vendor: "WatchGuard",
        device: "WatchGuard firewall (SMTP proxy)",
        words: &["watchguard"],
    },
    Appliance {
        vendor: "Zscaler",
        device: "Zscaler cloud proxy (TLS inspection)",
        words: &["zscaler"],
    },
    Appliance {
        vendor: "Check Point",
        device: "Check Point firewall (TLS inspection)",
        words: &["check point", "checkpoint"],
    },
    // The cloud gateways of issue 15: a certificate naming them where the organisation's own
    // was expected means an MX record or a connector points at the vendor's host under the
    // organisation's name (their certificates cover only their own names).
    Appliance {
        vendor: "Proofpoint",
        device: "Proofpoint email gateway",
        words: &["proofpoint"],
    },
    Appliance {
        vendor: "Mimecast",
        device: "Mimecast email gateway",
        words: &["mimecast"],
    },
];

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
                // Digits for a port number (`port25-blocked-here`), never first.
                e.id.starts_with(|c: char| c.is_ascii_lowercase())
                    && e.id
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                e.id
            );
            assert!(!e.meaning.is_empty(), "{} has no meaning", e.id);
            assert_eq!(Code::from_id(e.id), Some(e.code));
        }
    }
}
