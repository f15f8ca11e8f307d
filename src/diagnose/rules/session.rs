//! Connection, SMTP and TLS-negotiation rules.
//!
//! # References
//! - RFC 5321 §3.1, §4.2.1 (reply codes: 4yz transient, 5yz permanent), §4.1.1.1 (EHLO/HELO)
//! - RFC 3207 §4 (STARTTLS: 220 then handshake; 454 when TLS is unavailable)
//! - RFC 8461 / RFC 7672: senders that require TLS defer mail when any of this fails

use crate::diagnose::ServerKind;
use crate::diagnose::server::exchange_connector_lookup;
use crate::diagnose::{Code, Ctx, Finding};
use crate::cert::date;
use crate::model::{FailureKind, Phase, PhaseFailure, TlsMode};
use crate::smtp::escape;
use crate::tls::HandshakeFailure;

/// Cisco ASA `inspect esmtp` overwrites keywords it does not allow with X's.
fn masked_keywords(ctx: &Ctx<'_>) -> Vec<String> {
    ctx.obs
        .capabilities
        .as_ref()
        .map(|c| {
            c.keywords
                .iter()
                .filter(|k| {
                    k.name.len() >= 4
                        && k.name.bytes().filter(|&b| b == b'X').count() >= k.name.len() - 1
                })
                .map(|k| k.name.clone())
                .collect()
        })
        .unwrap_or_default()
}

fn banner_evidence(ctx: &Ctx<'_>) -> Vec<String> {
    ctx.obs
        .banner
        .iter()
        .map(|b| format!("banner: {}", b.one_line()))
        .collect()
}

fn ehlo_evidence(ctx: &Ctx<'_>) -> Vec<String> {
    let mut e = banner_evidence(ctx);
    if let Some(r) = &ctx.obs.ehlo {
        e.push(format!("EHLO {} →", ctx.obs.ehlo_name));
        e.extend(r.display_lines().into_iter().map(|l| format!("  {l}")));
    }
    e
}

fn failure_rule(ctx: &Ctx<'_>, f: &PhaseFailure) -> Option<Finding> {
    let addr = ctx.obs.endpoint.address;
    let port = ctx.port();
    let mut evidence = vec![format!("{} phase: {}", f.phase.name(), f.message)];
    if f.overall_deadline {
        evidence.push("cut short by the overall deadline (--deadline)".into());
    }
    let finding = match (f.phase, f.kind) {
        (phase, FailureKind::Timeout) if f.overall_deadline => ctx.finding(
            Code::ProbeDeadlineExceeded,
            format!("the run's deadline ended the probe during {}", phase.name()),
            evidence,
            "The whole run ran out of time (--deadline, default 6 × --timeout) before this endpoint answered, so nothing is known about it yet. \
             Re-run with a larger --deadline, or probe this endpoint alone."
                .into(),
        ),
        (Phase::TlsSession, _) => ctx.finding(
            Code::SmtpTlsSessionFailed,
            format!("TLS was established, then the SMTP session over it failed: {}", f.message),
            evidence,
            "The handshake completed but the server did not answer EHLO over TLS properly. This points at a TLS-terminating proxy or an MTA bug; check the server's log for this connection."
                .into(),
        ),
        (Phase::Connect, FailureKind::Refused) => ctx.finding(
            Code::ConnectRefused,
            format!("port {port} is closed: the connection was refused"),
            evidence,
            match ctx.kind {
                _ if port == 25 => format!(
                    "Nothing accepts connections on port {port} of this address. Start the SMTP service or open port {port} on the firewall/NAT in front of it. \
                     Exchange: check the MSExchangeFrontEndTransport service and that a receive connector binds 0.0.0.0:25 (`Get-ReceiveConnector | fl Identity,Bindings`). \
                     Postfix: `ss -ltnp | grep ':25 '` and the `smtp inet` line of master.cf. Exchange Online reports this as `4.4.316 Connection refused`."
                ),
                _ => format!("Nothing accepts connections on port {port} of this address. Start the service that should listen on port {port}, or open the port on the firewall/NAT in front of it."),
            },
        ),
        (Phase::Connect, FailureKind::Timeout) => ctx.finding(
            Code::ConnectTimeout,
            format!("no answer on port {port}: the connection attempt timed out"),
            evidence,
            format!(
                "Packets to port {port} of this address are dropped. Either a firewall in front of the server drops them (allow TCP {port} from the senders, e.g. Exchange Online Protection's ranges), \
                 or the network this probe runs from blocks outbound port {port} (many ISPs and cloud providers do): run the probe from a host that can send mail."
            ),
        ),
        (Phase::Connect, _) => ctx.finding(
            Code::ConnectFailed,
            format!("cannot connect to {addr}"),
            evidence,
            "Check routing to the address (is it an address of this machine's address family and reachable?), and the address in DNS.".into(),
        ),
        (Phase::Banner, FailureKind::Timeout) => ctx.finding(
            Code::BannerTimeout,
            "the server accepted the connection but sent no greeting".to_string(),
            evidence,
            "The TCP connection opens but no `220` greeting follows: the SMTP service is hung or overloaded, a proxy or IPS holds the connection (tarpit), \
             or the greeting is delayed deliberately. Check the server's SMTP log for this connection, and any firewall with SMTP inspection in front of it. \
             If the server is just slow, retry with a larger --timeout."
                .into(),
        ),
        // 454 is formally transient (RFC 3207 §4) but in the field it is a standing
        // misconfiguration (Postfix: the key cannot be loaded), so it is a failure.
        (Phase::Starttls, FailureKind::Rejected | FailureKind::TemporaryReply) => {
            let r = f.reply.as_ref();
            let line = r.map(|r| r.one_line()).unwrap_or_default();
            let mangled = r.is_some_and(|r| matches!(r.code, 500 | 502));
            let fix = if mangled {
                format!(
                    "STARTTLS is advertised but the command itself is refused as unknown: something in the path rewrites commands it does not allow \
                     (Cisco ASA `inspect esmtp` turns them into XXXX). In the ESMTP inspection policy-map set `parameters` → `allow-tls`, or `no inspect esmtp` in the global policy.{}",
                    if ctx.kind == ServerKind::Exchange { " Exchange itself answers STARTTLS with 220 when a certificate is bound." } else { "" }
                )
            } else {
                match ctx.kind {
                    ServerKind::Postfix => "Postfix answers `454 4.7.0 TLS not available due to local problem` when it cannot load its certificate or key. \
                         Find the reason in the mail log (`grep -i -E 'tls|cert|key' /var/log/mail.log`), then check that the files exist, that the key matches the certificate \
                         and that Postfix can read them:\n  postconf -n | grep -E '^smtpd_tls_(chain_files|cert_file|key_file)'\n  \
                         openssl x509 -noout -pubkey -in <cert> | sha256sum; openssl pkey -pubout -in <key> | sha256sum   # must be equal\n  postfix check && postfix reload".to_string(),
                    ServerKind::Exchange => format!(
                        "Exchange advertises STARTTLS but cannot start it: the bound certificate lacks its private key, is not enabled for SMTP, or was removed. \
                         In the Exchange Management Shell:\n  Get-ExchangeCertificate | fl Thumbprint,Subject,HasPrivateKey,Services,NotAfter,Status\n  \
                         Enable-ExchangeCertificate -Thumbprint <thumbprint> -Services SMTP\n  {}\n  Restart-Service MSExchangeFrontEndTransport",
                        exchange_connector_lookup(ctx.port())
                    ),
                    _ => "The server advertises STARTTLS but cannot start TLS, typically because its certificate or key cannot be loaded. Check the SMTP service's log for the TLS error and the certificate/key files it is configured with.".to_string(),
                }
            };
            ctx.finding(Code::StarttlsRejected, format!("STARTTLS refused: {line}"), { let mut e = ehlo_evidence(ctx); e.push(format!("STARTTLS → {line}")); e }, fix)
        }
        (_, FailureKind::TemporaryReply) => {
            let r = f.reply.as_ref().map(|r| r.one_line()).unwrap_or_default();
            ctx.finding(
                Code::SmtpTemporaryRefusal,
                format!("temporary refusal before TLS: {r}"),
                { let mut e = banner_evidence(ctx); e.push(format!("{} phase: {r}", f.phase.name())); e },
                "The server said \"try again later\" (rate limit, too many connections from our address, or shutting down), so nothing is known about its TLS yet. \
                 Retry later, or from another address; a persistent 421 at connect often means our address is throttled or listed."
                    .into(),
            )
        }
        (Phase::Banner | Phase::Ehlo, FailureKind::Rejected) => {
            let r = f.reply.as_ref().map(|r| r.one_line()).unwrap_or_default();
            let at_connect = f.phase == Phase::Banner;
            let fix = if at_connect {
                let ip = ctx.obs.local_addr.map(|a| a.ip().to_string()).unwrap_or_else(|| "our address".into());
                format!(
                    "The server refuses this client at connect. Usually our source address ({ip} before any NAT) is on a blocklist the server uses, \
                     or the server only accepts known relays. Probe from the host that actually sends the mail; look the egress address up at the list named in the reply."
                )
            } else {
                format!(
                    "The server refused our EHLO/HELO. Some servers refuse an address literal or a name that does not resolve: retry with --ehlo-name set to \
                     this machine's public FQDN (with matching forward and reverse DNS). Never use the target's own name ({}).",
                    ctx.obs.endpoint.host
                )
            };
            ctx.finding(Code::SmtpRejected, format!("refused with {r}"), { let mut e = ehlo_evidence(ctx); e.push(format!("{} phase: {r}", f.phase.name())); e }, fix)
        }
        (Phase::Handshake, _) => {
            let (reason, kind) = ctx
                .obs
                .handshake_error
                .as_ref()
                .map(|h| (h.reason.clone(), h.kind))
                .unwrap_or_else(|| (f.message.clone(), HandshakeFailure::Other));
            if let Some(h) = &ctx.obs.handshake_error {
                evidence.push(format!("TLS library: {}", h.detail));
            }
            ctx.finding(Code::TlsHandshakeFailed, format!("TLS handshake failed: {reason}"), evidence, handshake_fix(ctx, kind))
        }
        (_, FailureKind::Timeout) => ctx.finding(
            Code::SmtpTimeout,
            format!("no reply during {}: {}", f.phase.name(), f.message),
            evidence,
            "The server stopped answering mid-dialogue. Check its SMTP log and any SMTP-inspecting firewall in the path; retry with a larger --timeout if it is just slow.".into(),
        ),
        (_, FailureKind::Closed) => ctx.finding(
            Code::SmtpConnectionClosed,
            format!("the server closed the connection during {}", f.phase.name()),
            { let mut e = ehlo_evidence(ctx); e.extend(evidence); e },
            "The server hung up without a reply code. Look for this connection in the server's SMTP log (connection limits, postscreen, an IPS dropping the session).".into(),
        ),
        (_, FailureKind::Protocol) => ctx.finding(
            Code::SmtpProtocolError,
            format!("not an SMTP server: {}", f.message),
            evidence,
            format!("Something other than an SMTP server answers on port {port}. Check the port, and any proxy or load balancer forwarding it."),
        ),
        _ => ctx.finding(
            Code::ConnectFailed,
            format!("the probe failed during {}: {}", f.phase.name(), f.message),
            evidence,
            "Check network reachability of the server.".into(),
        ),
    };
    Some(finding)
}

fn handshake_fix(ctx: &Ctx<'_>, kind: HandshakeFailure) -> String {
    let exchange = ctx.kind == ServerKind::Exchange;
    let postfix = ctx.kind == ServerKind::Postfix;
    match kind {
        HandshakeFailure::ProtocolVersion if exchange => "Enable TLS 1.2 on the Exchange server (Exchange Online refuses TLS 1.0/1.1 since 2021, and reports it as \
             `SMTPSEND.SuspiciousRemoteServerError`): set the SCHANNEL registry keys `...\\Protocols\\TLS 1.2\\Server` Enabled=1/DisabledByDefault=0 and the .NET \
             `SchUseStrongCrypto=1`/`SystemDefaultTlsVersions=1` values (Microsoft's \"Exchange Server TLS configuration best practices\"), then reboot."
            .into(),
        HandshakeFailure::ProtocolVersion if postfix => "Postfix is limited to TLS < 1.2: remove `TLSv1.2` exclusions from `smtpd_tls_protocols`/`smtpd_tls_mandatory_protocols` \
             (use `>=TLSv1`), and upgrade OpenSSL if it is older than 1.0.1; then `postfix reload`."
            .into(),
        HandshakeFailure::ProtocolVersion => "The server speaks only TLS 1.0/1.1. Enable TLS 1.2 and 1.3 in its TLS library or upgrade it; modern senders (Exchange Online, Gmail) refuse older versions.".into(),
        HandshakeFailure::NoSharedCipher if postfix => "Postfix aborts the handshake this way when it has no certificate loaded: a missing or unreadable \
             `smtpd_tls_chain_files` file only logs `error opening chain file` and still says 220. Check the mail log and the files:\n  \
             grep -i -E 'chain file|cert|key' /var/log/mail.log | tail\n  postconf -n | grep -E '^smtpd_tls_(chain_files|cert_file|key_file)'\n\
             If the certificate loads, allow modern ECDHE suites: `postconf -e 'smtpd_tls_ciphers = medium' 'smtpd_tls_mandatory_ciphers = medium' 'tls_medium_cipherlist = DEFAULT'` \
             and remove any `smtpd_tls_exclude_ciphers` that excludes ECDHE or AESGCM; `postfix reload`."
            .into(),
        HandshakeFailure::NoSharedCipher if exchange => "Enable the ECDHE AES-GCM cipher suites in Windows (e.g. `Enable-TlsCipherSuite -Name TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384` and \
             `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`), keep TLS 1.2 enabled, and reboot."
            .into(),
        HandshakeFailure::NoSharedCipher => "Enable ECDHE key exchange with AES-GCM or ChaCha20-Poly1305 cipher suites on the server (TLS 1.2), or TLS 1.3.".into(),
        HandshakeFailure::WeakOrBadKey => "Replace the certificate with one on a 2048-bit (or larger) RSA key or an ECDSA P-256 key; keys below 2048 bits are refused by modern clients and by Exchange Online.".into(),
        HandshakeFailure::NotTls | HandshakeFailure::Closed => "The server (or a box in front of it) broke off the TLS negotiation. Typical causes: a firewall with SMTP inspection that does not allow TLS \
             (Cisco `inspect esmtp` without `allow-tls`), a legacy-only TLS stack, or an SMTP proxy. Test from inside the firewall to tell them apart; check the server's TLS log."
            .into(),
        HandshakeFailure::Timeout => "The handshake stalled. Check for a proxy or IPS in the path and the server's TLS log; retry with a larger --timeout if the server is just slow.".into(),
        HandshakeFailure::Alert | HandshakeFailure::Other => "Check the server's TLS configuration and log for this connection; the TLS library's message is in the evidence.".into(),
    }
}

/// Session-level rules.
pub(crate) fn rules(ctx: &Ctx<'_>) -> Vec<Finding> {
    let obs = ctx.obs;
    let mut out = Vec::new();
    if let Some(f) = &obs.failure {
        out.extend(failure_rule(ctx, f));
    }
    if let (Some(ehlo), Some(helo)) = (&obs.ehlo, &obs.helo)
        && helo.is_positive()
        && obs.endpoint.tls_mode == TlsMode::Starttls
    {
        {
            let mut e = banner_evidence(ctx);
            e.push(format!("EHLO {} → {}", obs.ehlo_name, ehlo.one_line()));
            e.push(format!("HELO {} → {}", obs.ehlo_name, helo.one_line()));
            out.push(ctx.finding(
                Code::SmtpNoEsmtp,
                "EHLO is refused but HELO works: this path speaks plain SMTP only, so STARTTLS is impossible".into(),
                e,
                "Either the server does not support ESMTP, or a box in the path rewrites EHLO (Cisco ASA `inspect esmtp`, Untangle/Arista SMTP proxies). \
                 Probe from inside the firewall: if EHLO works there, disable the SMTP inspection or allow ESMTP and TLS in it (Cisco: `parameters` → `allow-tls`, or `no inspect esmtp`)."
                    .into(),
            ));
        }
    }
    let starttls_mode = obs.endpoint.tls_mode == TlsMode::Starttls;
    if starttls_mode
        && obs.failure.is_none()
        && obs.helo.is_none()
        && obs.capabilities.as_ref().is_some_and(|c| !c.starttls())
    {
        out.push(not_offered(ctx));
    }
    if !obs.injected.is_empty() {
        out.push(ctx.finding(
            Code::StarttlsInjection,
            "the server sent data after its STARTTLS 220, before the handshake".into(),
            vec![format!("{} bytes: \"{}\"", obs.injected.len(), escape(&obs.injected[..obs.injected.len().min(200)]))],
            "A correct server sends nothing between `220 Ready to start TLS` and the handshake. This is the STARTTLS plaintext-injection class (CVE-2011-0411): \
             a buggy MTA or a man-in-the-middle. The probe discarded the bytes. Update the MTA, and look for anything in the path that injects traffic."
                .into(),
        ));
    }
    out
}

fn not_offered(ctx: &Ctx<'_>) -> Finding {
    let caps = ctx.obs.capabilities.as_ref();
    let port = ctx.port();
    let mut evidence = ehlo_evidence(ctx);
    let masked = masked_keywords(ctx);
    let banner_masked = ctx.obs.banner.as_ref().is_some_and(|b| {
        let t = b.first_text();
        t.len() > 3 && t.iter().filter(|&&c| c == b'*').count() * 2 > t.len()
    });
    if !masked.is_empty() {
        evidence.push(format!(
            "keywords overwritten with X's: {}",
            masked.join(", ")
        ));
    }
    let fix = if !masked.is_empty() || banner_masked {
        "A firewall with SMTP inspection is masking ESMTP keywords (the X'ed-out keyword and/or `220 ****` banner are Cisco ASA/FTD `inspect esmtp` signatures), which removes STARTTLS. \
         In the ESMTP inspection policy-map set `parameters` → `allow-tls` (and `no mask-banner`), or remove `inspect esmtp` from the global policy."
            .to_string()
    } else {
        match ctx.kind {
            ServerKind::Exchange => {
                let fqdn = caps.map(|c| c.greeting_name.clone()).unwrap_or_default();
                format!(
                    "The receive connector on port {port} does not offer STARTTLS. Usual causes: no SMTP-enabled certificate covers the connector's Fqdn ({fqdn}) \
                     (Event ID 12014 in the Application log), its TlsCertificateName still names a certificate that was replaced, or AuthMechanism lacks `Tls`. \
                     In the Exchange Management Shell:\n  {}\n  Get-ExchangeCertificate | fl Thumbprint,Subject,CertificateDomains,Services,NotAfter\n  \
                     Enable-ExchangeCertificate -Thumbprint <thumbprint of a valid cert covering the Fqdn> -Services SMTP\n  \
                     $rc = Get-ReceiveConnector \"<identity from above>\"\n  \
                     Set-ReceiveConnector $rc.Identity -AuthMechanism \"$($rc.AuthMechanism), Tls\" -Fqdn <a name on that certificate>   # adds Tls, keeps the rest\n  \
                     Restart-Service MSExchangeFrontEndTransport\nExchange Online then stops failing with `451 5.7.3 STARTTLS is required to send mail`.",
                    exchange_connector_lookup(port)
                )
            }
            ServerKind::ExchangeOnline => {
                let ip = ctx.ev.seen_as.map_or_else(|| "the address this probe ran from".into(), |ip| ip.to_string());
                format!(
                    "Exchange Online Protection withholds STARTTLS from clients whose address is on a blocklist. It saw this probe as [{ip}]: \
                     look that address up at Spamhaus (ZEN/XBL, which now includes CBL), Barracuda and SpamCop, follow their removal procedure, and \
                     use Microsoft's delist portal (sender.office.com) for `5.7.606-649` blocks. A Spamhaus PBL listing of a dynamic range cannot be removed: \
                     send through a static address or a smart host."
                )
            }
            ServerKind::Postfix => "Postfix offers STARTTLS only with a certificate and a TLS security level:\n  \
                 postconf -e 'smtpd_tls_security_level = may'   # 'encrypt' on port 587\n  \
                 postconf -e 'smtpd_tls_chain_files = /etc/postfix/tls/mail.key, /etc/postfix/tls/fullchain.pem'\n  \
                 postfix check && postfix reload\nIf main.cf already says so, look for `-o smtpd_tls_security_level=none` on this port's service in master.cf, \
                 and for `cannot load certificate` in the mail log."
                .to_string(),
            ServerKind::Unknown => format!(
                "Enable STARTTLS on the server answering port {port}: install a certificate covering its name and turn on opportunistic TLS. \
                 If the server is configured for TLS already, something in the path strips the keyword (an SMTP-inspecting firewall): probe from inside to compare."
            ),
        }
    };
    ctx.finding(
        Code::StarttlsNotOffered,
        format!("STARTTLS is not offered on port {port}"),
        evidence,
        fix,
    )
}

/// The healthy summary.
pub(crate) fn healthy(ctx: &Ctx<'_>) -> Finding {
    let tls = ctx.obs.tls.as_ref();
    let version = tls.map(|t| t.version.label()).unwrap_or_default();
    let cipher = tls.map(|t| t.cipher_suite.clone()).unwrap_or_default();
    let (days, until) = ctx
        .chain
        .first()
        .map(|c| (c.days_left, date(c.not_after_at)))
        .unwrap_or((0, String::new()));
    let how = if ctx.obs.endpoint.tls_mode == TlsMode::Implicit {
        "implicit TLS"
    } else {
        "STARTTLS"
    };
    ctx.finding(
        Code::StarttlsOk,
        format!("{how} works: {version}, {cipher}, certificate valid for {days} more days (until {until})"),
        vec![
            format!("{version} {cipher}{}", tls.and_then(|t| t.key_exchange.as_ref()).map(|k| format!(" {k}")).unwrap_or_default()),
            format!("certificate trusted and covers the names checked; expires {until}"),
        ],
        format!("Nothing to change. Re-check after the next certificate renewal (due before {until})."),
    )
}
