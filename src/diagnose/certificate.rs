//! Certificate rules: dates, trust, chain, names, key and signature strength.
//!
//! # References
//! - RFC 5280 §4.1.2.5 (validity), §4.2.1.12 (extended key usage), §6 (path validation)
//! - RFC 6125 §6.4 (matching the reference identifier; wildcards; CN fallback deprecated)
//! - RFC 7672 §3.2.3 (SMTP server reference identifiers: the MX host name)
//! - RFC 8461 §4.2 (MTA-STS: the certificate must be valid for the MX host, chain to a trusted root)

use super::server::{ServerKind, exchange_connector_lookup, install_certificate};
use super::{Code, Ctx, Finding, Severity};
use crate::cert::{CertInfo, NameMatch, date, name_match};
use crate::target::Host;
use crate::tls::TrustFailure;

fn describe(c: &CertInfo) -> String {
    format!("{} (issued by {})", c.subject, c.issuer)
}

fn names_line(c: &CertInfo) -> String {
    let n = c.names();
    if n.is_empty() {
        "the certificate names no host".into()
    } else {
        format!("names on the certificate: {}", n.join(", "))
    }
}

fn ago(days: i64) -> String {
    match days {
        0 => "today".into(),
        1 => "yesterday".into(),
        d => format!("{d} days ago"),
    }
}

/// Certificate findings, when a chain was received.
pub(crate) fn rules(ctx: &Ctx<'_>) -> Vec<Finding> {
    let Some(leaf) = ctx.chain.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    dates(ctx, leaf, &mut out);
    trust(ctx, leaf, &mut out);
    names(ctx, leaf, &mut out);
    strength(ctx, &mut out);
    out
}

fn dates(ctx: &Ctx<'_>, leaf: &CertInfo, out: &mut Vec<Finding>) {
    let port = ctx.port();
    for (i, c) in ctx.chain.iter().enumerate() {
        if c.self_signed && i > 0 {
            continue; // a root sent along is ignored by clients; its dates do not matter
        }
        let what = if i == 0 {
            "certificate".to_string()
        } else {
            format!("intermediate certificate #{i}")
        };
        if c.not_after_at < ctx.now {
            let when = date(c.not_after_at);
            let get = if i == 0 {
                format!(
                    "Renew the certificate for {} (it expired {when}).",
                    c.names().join(", ")
                )
            } else {
                format!(
                    "The intermediate {} expired {when}: install the current intermediate from your CA and send it instead.",
                    c.subject
                )
            };
            let mut fix = install_certificate(ctx.kind, port, &get, Some(c));
            if ctx.kind == ServerKind::Exchange && i == 0 {
                fix.push_str(&format!(
                    "\nRemove the expired certificate (thumbprint {}) once nothing references it. Exchange Online may have deferred mail that it will not resubmit after the fix: ask senders to resend.",
                    c.thumbprint
                ));
            }
            out.push(ctx.finding(
                Code::CertExpired,
                format!(
                    "{what} expired {} ({when})",
                    ago((ctx.now - c.not_after_at).whole_days())
                ),
                vec![
                    describe(c),
                    format!("notAfter {}", c.not_after),
                    format!("checked at {}", crate::cert::rfc3339(ctx.now)),
                ],
                fix,
            ));
        } else if c.not_before_at > ctx.now {
            out.push(ctx.finding(
                Code::CertNotYetValid,
                format!("{what} is not valid until {}", date(c.not_before_at)),
                vec![describe(c), format!("notBefore {}", c.not_before), format!("checked at {}", crate::cert::rfc3339(ctx.now))],
                "The certificate's validity starts in the future. Either it was installed too early (keep the old one until then), or the clock of the machine \
                 that issued it — or of this probe — is wrong: check both with NTP."
                    .into(),
            ));
        }
    }
    let days = leaf.days_left;
    if leaf.not_after_at >= ctx.now && days <= ctx.policy.warn_days {
        let sev = if days <= ctx.policy.fail_days {
            Severity::Fail
        } else {
            Severity::Warn
        };
        let when = date(leaf.not_after_at);
        let get = format!(
            "Renew the certificate for {} now (it expires {when}).",
            leaf.names().join(", ")
        );
        out.push(ctx.finding_with(
            Code::CertExpiresSoon,
            sev,
            format!("certificate expires in {days} days ({when})"),
            vec![
                describe(leaf),
                format!("notAfter {}", leaf.not_after),
                format!(
                    "thresholds: warn within {} days, fail within {} days",
                    ctx.policy.warn_days, ctx.policy.fail_days
                ),
            ],
            install_certificate(ctx.kind, port, &get, Some(leaf)),
        ));
    }
}

fn trust(ctx: &Ctx<'_>, leaf: &CertInfo, out: &mut Vec<Finding>) {
    let port = ctx.port();
    let Some(t) = &ctx.obs.trust else { return };
    let names = ctx
        .obs
        .endpoint
        .host
        .name()
        .map_or_else(|| leaf.names().join(", "), str::to_string);
    if leaf.self_signed {
        let pinned = t.trusted;
        let (sev, summary) = if pinned {
            (
                Severity::Warn,
                "certificate is self-signed (trusted only through --ca-file)".to_string(),
            )
        } else {
            (
                Severity::Fail,
                format!("certificate is self-signed: {}", leaf.subject),
            )
        };
        let get = format!(
            "Replace the self-signed certificate with one from a public CA (Let's Encrypt, or your commercial CA) that covers {names}. \
             Exchange Online, Gmail and MTA-STS senders do not trust self-signed certificates."
        );
        let mut fix = install_certificate(ctx.kind, port, &get, None);
        if ctx.kind == ServerKind::Exchange {
            fix.push_str(&format!(
                "\nA self-signed `CN={}`-style certificate is what Exchange binds after setup; if only some servers present it, one node behind the load balancer \
                 still has it bound (the intermittent `450 4.7.320 Certificate validation failed [Message=SubjectMismatch]`). Its thumbprint: {}.",
                leaf.common_name.clone().unwrap_or_default(),
                leaf.thumbprint
            ));
        }
        out.push(ctx.finding_with(
            Code::CertSelfSigned,
            sev,
            summary,
            vec![describe(leaf), format!("SHA-256 {}", leaf.sha256)],
            fix,
        ));
        return;
    }
    if t.trusted {
        return;
    }
    // A chain refused only because of its EKU, a weak key or a SHA-1 signature gets that
    // specific finding (from `strength`), not a vaguer "untrusted" on top.
    let explained = !leaf.allows_server_auth()
        || ctx
            .chain
            .iter()
            .any(|c| c.weak_key() || (!c.self_signed && c.weak_signature()));
    if explained && t.failure != Some(TrustFailure::UnknownIssuer) {
        return;
    }
    let top = ctx.chain.last().unwrap_or(leaf);
    let issuer_sent = ctx.chain.iter().any(|c| c.subject_der == top.issuer_der);
    let issuer_trusted = t.top_issuer_trusted;
    let reason = t.reason.clone().unwrap_or_default();
    if !top.self_signed
        && !issuer_sent
        && !issuer_trusted
        && t.failure == Some(TrustFailure::UnknownIssuer)
    {
        let sent: Vec<String> = ctx
            .chain
            .iter()
            .enumerate()
            .map(|(i, c)| format!("#{i} {}", describe(c)))
            .collect();
        let fix = match ctx.kind {
            ServerKind::Exchange => format!(
                "The server sends {} certificate(s) and stops before {}. Windows sends the chain it can build locally: import the intermediate CA certificate(s) \
                 from your CA into \"Intermediate Certification Authorities\" of the Local Computer store (certlm.msc) on every Exchange server, then \
                 `Restart-Service MSExchangeFrontEndTransport`. Exchange Online's inbound connector reports a missing intermediate as \
                 `550 5.7.64 TenantAttribution` or a validation failure.",
                ctx.chain.len(),
                top.issuer
            ),
            ServerKind::Postfix => format!(
                "Postfix sends only what its chain file holds, and it stops before {}. Put the leaf and then the intermediate(s) in one file \
                 (certbot's fullchain.pem, not cert.pem):\n  postconf -e 'smtpd_tls_chain_files = /etc/postfix/tls/mail.key, /etc/postfix/tls/fullchain.pem'\n  postfix reload",
                top.issuer
            ),
            _ => format!(
                "Configure the server to send the intermediate certificate(s) after its own (the \"full chain\" file from the CA), up to but not including the root. Missing: {}.",
                top.issuer
            ),
        };
        let mut evidence = sent;
        evidence.push(format!("{} is neither sent nor a trusted root", top.issuer));
        out.push(ctx.finding(
            Code::CertChainIncomplete,
            format!(
                "the chain is incomplete: the issuer {} is not sent",
                top.issuer
            ),
            evidence,
            fix,
        ));
        return;
    }
    let what = format!(
        "Use a certificate from a CA that public senders trust, and send its full chain. If {} is your private CA, public senders will never trust it; \
         to test it here, pass its root with --ca-file.",
        top.issuer
    );
    out.push(
        ctx.finding(
            Code::CertUntrusted,
            format!("certificate is not trusted: {reason}"),
            ctx.chain
                .iter()
                .enumerate()
                .map(|(i, c)| format!("#{i} {}", describe(c)))
                .chain([format!("verifier: {reason}")])
                .collect(),
            install_certificate(ctx.kind, port, &what, None),
        ),
    );
}

fn names(ctx: &Ctx<'_>, leaf: &CertInfo, out: &mut Vec<Finding>) {
    let Some(der) = ctx.obs.chain.first() else {
        return;
    };
    let port = ctx.port();
    let mut cn_only_reported = false;
    let mut cn_only = |name: &str, out: &mut Vec<Finding>| {
        if !std::mem::replace(&mut cn_only_reported, true) {
            out.push(ctx.finding(
                Code::CertCommonNameOnly,
                format!("{name} matches only the certificate's CN; it has no subjectAltName"),
                vec![describe(leaf)],
                install_certificate(ctx.kind, port, &format!("Re-issue the certificate with {name} as a subjectAltName (DNS name); RFC 6125 clients ignore the CN."), None),
            ));
        }
    };
    // The probed host name (RFC 7672 §3.2.3: the MX host is the reference identifier).
    match &ctx.obs.endpoint.host {
        Host::Name(host) => match name_match(der, leaf, host) {
            NameMatch::Covered => {}
            NameMatch::CommonNameOnly => cn_only(host, out),
            NameMatch::NotCovered => {
                let get = format!(
                    "Get a certificate that covers {host} (as a subjectAltName; a wildcard *.{} covers one label).",
                    parent(host)
                );
                let mut fix = install_certificate(ctx.kind, port, &get, None);
                fix.push_str(&format!(
                    "\nOr, if {host} is the wrong name, point the MX record at a name the certificate covers ({}).",
                    leaf.names().join(", ")
                ));
                out.push(ctx.finding(
                    Code::CertNameMismatch,
                    format!("certificate does not cover {host}"),
                    vec![describe(leaf), names_line(leaf)],
                    fix,
                ));
            }
        },
        Host::Ip(ip) => {
            if ctx.policy.expected_names.is_empty() {
                out.push(ctx.finding(
                    Code::CertNameNotChecked,
                    format!("{ip} is an address, so the certificate's names were not checked"),
                    vec![names_line(leaf)],
                    format!("Probe by host name (starttls-check <mx-host>), or add --expect-name <name> with the name senders expect, e.g. --expect-name {}.",
                        leaf.names().first().cloned().unwrap_or_else(|| "mail.contoso.com".into())),
                ));
            }
        }
    }
    // The EHLO greeting name: Exchange's connector Fqdn, which Exchange Online checks.
    if let Some(greeting) = ctx
        .obs
        .capabilities
        .as_ref()
        .map(|c| c.greeting_name.as_str())
    {
        let is_name = greeting.contains('.')
            && !greeting.starts_with('[')
            && greeting.parse::<std::net::IpAddr>().is_err();
        let same_as_host = ctx.obs.endpoint.host.name() == Some(&greeting.to_ascii_lowercase());
        if is_name && !same_as_host {
            match name_match(der, leaf, greeting) {
                NameMatch::Covered => {}
                NameMatch::CommonNameOnly => cn_only(greeting, out),
                NameMatch::NotCovered => out.push(ehlo_mismatch(ctx, leaf, greeting)),
            }
        }
    }
    for name in &ctx.policy.expected_names {
        match name_match(der, leaf, name) {
            NameMatch::Covered => {}
            m => {
                let get = format!("Get a certificate that covers {name}.");
                let mut fix = install_certificate(ctx.kind, port, &get, None);
                fix.push_str(&format!(
                    "\nIf {name} comes from an Exchange Online connector, the connector can instead be pointed at a name the certificate has ({}):\n  \
                     Get-OutboundConnector | fl Name,TlsSettings,TlsDomain,SmartHosts\n  Set-OutboundConnector \"<name>\" -TlsDomain <name on the certificate>\n  \
                     Get-InboundConnector | fl Name,RequireTls,TlsSenderCertificateName\n  Set-InboundConnector \"<name>\" -TlsSenderCertificateName <name on the certificate>",
                    leaf.names().join(", ")
                ));
                let cn = if m == NameMatch::CommonNameOnly {
                    " (only its CN matches)"
                } else {
                    ""
                };
                out.push(ctx.finding(
                    Code::CertExpectedNameMismatch,
                    format!("certificate does not cover the expected name {name}{cn}"),
                    vec![
                        describe(leaf),
                        names_line(leaf),
                        format!("--expect-name {name}"),
                    ],
                    fix,
                ));
            }
        }
    }
}

fn ehlo_mismatch(ctx: &Ctx<'_>, leaf: &CertInfo, greeting: &str) -> Finding {
    let suggestion = ctx
        .obs
        .endpoint
        .host
        .name()
        .filter(|h| name_match(&ctx.obs.chain[0], leaf, h) == NameMatch::Covered)
        .map(str::to_string)
        .or_else(|| leaf.dns_names.iter().find(|n| !n.starts_with('*')).cloned())
        .unwrap_or_else(|| "<a name on the certificate>".into());
    let fix = match ctx.kind {
        ServerKind::Exchange => format!(
            "The receive connector greets as {greeting}, which is not on the SMTP certificate. Exchange Online checks this name for hybrid mail flow \
             (and Exchange logs Event ID 12014 when no certificate matches it). Set the connector's Fqdn to a name on the certificate:\n  {}\n  \
             Set-ReceiveConnector \"<identity from above>\" -Fqdn {suggestion}\n  Restart-Service MSExchangeFrontEndTransport",
            exchange_connector_lookup(ctx.port())
        ),
        ServerKind::Postfix => format!(
            "Postfix greets with myhostname ({greeting}). Make it a name on the certificate:\n  postconf -e 'myhostname = {suggestion}'\n  postfix reload\n\
             (or add {greeting} to the certificate's names)."
        ),
        _ => format!(
            "Configure the server to greet with a name on its certificate (e.g. {suggestion}), or add {greeting} to the certificate."
        ),
    };
    ctx.finding(
        Code::CertEhloNameMismatch,
        format!("the EHLO greeting name {greeting} is not on the certificate"),
        vec![format!("EHLO reply line 1: {greeting}"), names_line(leaf)],
        fix,
    )
}

fn strength(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let port = ctx.port();
    let weak_keys: Vec<String> = ctx
        .chain
        .iter()
        .enumerate()
        .filter(|(_, c)| c.weak_key())
        .map(|(i, c)| format!("#{i} {}: {} {} bits", c.subject, c.key_type, c.key_bits))
        .collect();
    if !weak_keys.is_empty() {
        out.push(ctx.finding(
            Code::CertWeakKey,
            format!("weak key in the chain: {}", weak_keys[0]),
            weak_keys.clone(),
            install_certificate(
                ctx.kind,
                port,
                "Re-issue the certificate on a new key of at least 2048 bits RSA (or ECDSA P-256); rustls, Exchange Online and current OpenSSL refuse smaller keys.",
                None,
            ),
        ));
    }
    let weak_sigs: Vec<String> = ctx
        .chain
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.self_signed && c.weak_signature())
        .map(|(i, c)| format!("#{i} {}: {}", c.subject, c.signature_algorithm))
        .collect();
    if !weak_sigs.is_empty() {
        out.push(ctx.finding(
            Code::CertWeakSignature,
            format!("weak signature in the chain: {}", weak_sigs[0]),
            weak_sigs.clone(),
            install_certificate(ctx.kind, port, "Have the certificate (and any SHA-1 intermediate) re-issued with a SHA-256 signature.", None),
        ));
    }
    if let Some(leaf) = ctx.chain.first()
        && !leaf.allows_server_auth()
    {
        {
            let eku = leaf
                .extended_key_usage
                .clone()
                .unwrap_or_default()
                .join(", ");
            out.push(ctx.finding(
                Code::CertNoServerAuth,
                format!("certificate is not allowed for TLS servers (extended key usage: {eku})"),
                vec![describe(leaf), format!("extendedKeyUsage: {eku}")],
                install_certificate(
                    ctx.kind,
                    port,
                    "Re-issue the certificate with the serverAuth extended key usage (a \"Web Server\" template on a Windows CA), not a client or e-mail template.",
                    None,
                ),
            ));
        }
    }
}

fn parent(host: &str) -> &str {
    host.split_once('.').map_or(host, |(_, rest)| rest)
}
