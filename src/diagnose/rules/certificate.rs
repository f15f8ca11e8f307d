//! Certificate rules: dates, trust, chain, names, key and signature strength.
//!
//! # References
//! - RFC 5280 §4.1.2.5 (validity), §4.2.1.12 (extended key usage), §6 (path validation)
//! - RFC 6125 §6.4 (matching the reference identifier; wildcards; CN fallback deprecated)
//! - RFC 7672 §3.2.3 (SMTP server reference identifiers: the MX host name)
//! - RFC 8461 §4.2 (MTA-STS: the certificate must be valid for the MX host, chain to a trusted root)

use crate::diagnose::ServerKind;
use crate::diagnose::server::{exchange_connector_lookup, install_certificate};
use crate::diagnose::{Code, Ctx, Finding, Severity};
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
    let path_is_current = ctx
        .obs
        .trust
        .as_ref()
        .is_some_and(|t| t.trusted && t.valid_now);
    for (i, c) in ctx.chain.iter().enumerate() {
        // A root sent along is ignored by clients, and an expired extra certificate the
        // verifier did not need (an old cross-sign) does no harm: only the path counts.
        if i > 0 && (c.self_signed || path_is_current) {
            continue;
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

fn incomplete_fix(ctx: &Ctx<'_>, missing: &str) -> String {
    match ctx.kind {
        ServerKind::Exchange => format!(
            "Windows sends the chain it can build locally: import the intermediate CA certificate(s) from your CA ({missing}) into \
             \"Intermediate Certification Authorities\" of the Local Computer store (certlm.msc) on every Exchange server, remove any wrong \
             intermediate there, then `Restart-Service MSExchangeFrontEndTransport`. Exchange Online reports a broken chain as a validation \
             failure or `550 5.7.64 TenantAttribution`."
        ),
        ServerKind::Postfix => format!(
            "Postfix sends exactly what its chain file holds. Put the key, the leaf, then the intermediate(s) up to but not including \
             the root ({missing}) in one file (certbot's fullchain.pem, not cert.pem):\n  \
             postconf -e 'smtpd_tls_chain_files = /etc/postfix/tls/mail.key, /etc/postfix/tls/fullchain.pem'\n  postfix reload"
        ),
        _ => format!(
            "Configure the server to send its certificate followed by the intermediate certificate(s) from the CA ({missing}), \
             up to but not including the root (the CA's \"full chain\" file)."
        ),
    }
}

fn numbered(ctx: &Ctx<'_>) -> Vec<String> {
    ctx.chain
        .iter()
        .enumerate()
        .map(|(i, c)| format!("#{i} {}", describe(c)))
        .collect()
}

fn trust(ctx: &Ctx<'_>, leaf: &CertInfo, out: &mut Vec<Finding>) {
    let port = ctx.port();
    let Some(t) = &ctx.obs.trust else { return };
    if t.failure == Some(TrustFailure::NoRoots) {
        return; // nothing can be judged; the run reports our missing trust store once
    }
    let names = ctx
        .obs
        .endpoint
        .host
        .name()
        .map_or_else(|| fix_names(leaf), str::to_string);
    if leaf.self_signed {
        // Trusted although self-signed: the user gave it with --ca-file.
        let (sev, summary) = if t.trusted {
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
                "\nA self-signed certificate named after the server is what Exchange binds at setup; if only some servers present it, one node \
                 behind the load balancer still has it bound (the intermittent `450 4.7.320 Certificate validation failed [Message=SubjectMismatch]`). \
                 Its thumbprint: {}.",
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
    let reason = t.reason.clone().unwrap_or_default();
    // Walk the links as sent: each certificate must be issued by the next one.
    if let Some(i) = ctx
        .chain
        .windows(2)
        .position(|w| w[0].issuer_der != w[1].subject_der)
    {
        let (child, wrong) = (&ctx.chain[i], &ctx.chain[i + 1]);
        let mut evidence = numbered(ctx);
        evidence.push(format!(
            "#{} was not issued by #{}: #{} names {} as its issuer",
            i,
            i + 1,
            i,
            child.issuer
        ));
        out.push(ctx.finding(
            Code::CertChainIncomplete,
            format!(
                "the server sends the wrong intermediate: {} did not issue {}",
                wrong.subject, child.subject
            ),
            evidence,
            incomplete_fix(ctx, &child.issuer),
        ));
        return;
    }
    let top = ctx.chain.last().unwrap_or(leaf);
    let unknown_top =
        !top.self_signed && !t.top_issuer_trusted && t.failure == Some(TrustFailure::UnknownIssuer);
    if unknown_top && !top.is_ca {
        // Only the leaf was sent and its issuer is unknown: the intermediate is missing (or,
        // less often, the leaf comes straight from a private root).
        let mut evidence = numbered(ctx);
        evidence.push(format!("{} is neither sent nor a trusted root", top.issuer));
        let mut fix = incomplete_fix(ctx, &top.issuer);
        fix.push_str(&format!(
            "\nIf {} is itself a private root CA, public senders will never trust it: use a certificate from a public CA.",
            top.issuer
        ));
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
    let pinned_hint = if ctx.policy.extra_roots {
        " (the --ca-file given does not contain it)"
    } else {
        "; to test a private CA here, pass its root with --ca-file"
    };
    let summary = if unknown_top {
        format!(
            "certificate is not trusted: the chain ends at {}, whose issuer {} is not a trusted root",
            top.subject, top.issuer
        )
    } else {
        format!("certificate is not trusted: {reason}")
    };
    let what = format!(
        "Use a certificate from a CA that public senders trust, and send its full chain. The chain sent leads to {}, which is not a \
         trusted root: a private CA, or a root your senders do not have{pinned_hint}.",
        if unknown_top {
            &top.issuer
        } else {
            &top.subject
        }
    );
    let mut evidence = numbered(ctx);
    evidence.push(format!("verifier: {reason}"));
    out.push(ctx.finding(
        Code::CertUntrusted,
        summary,
        evidence,
        install_certificate(ctx.kind, port, &what, None),
    ));
}

/// A name fit to paste into a command: a host name of letters, digits, `-`, `_` and dots,
/// optionally a leading `*.`. Certificate and server text is attacker-controlled; a name with
/// anything else (quotes, `;`, `$(...)`) never reaches a fix.
pub(crate) fn safe_name(n: &str) -> Option<String> {
    let (star, rest) = n.strip_prefix("*.").map_or(("", n), |r| ("*.", r));
    crate::target::normalize_name(rest).map(|r| format!("{star}{r}"))
}

/// The certificate's names for a fix text, unsafe ones left out.
fn fix_names(c: &CertInfo) -> String {
    let n: Vec<String> = c.names().iter().filter_map(|n| safe_name(n)).collect();
    if n.is_empty() {
        "the names it should cover".into()
    } else {
        n.join(", ")
    }
}

/// A trusted, fully qualified name on the certificate that a server may greet with.
fn greeting_suggestion(ctx: &Ctx<'_>, leaf: &CertInfo) -> Option<String> {
    let trusted = ctx.ev.trusted && !leaf.self_signed;
    if !trusted {
        return None;
    }
    let der = ctx.obs.chain.first()?;
    let covered = |n: &str| name_match(der, leaf, n) == NameMatch::Covered;
    ctx.obs
        .endpoint
        .host
        .name()
        .filter(|h| covered(h))
        .map(str::to_string)
        .or_else(|| {
            leaf.dns_names
                .iter()
                .find(|n| !n.starts_with('*') && n.contains('.'))
                .cloned()
        })
        .and_then(|n| safe_name(&n))
}

/// The master.cf service that usually listens on a port.
fn postfix_service(port: u16) -> String {
    match port {
        25 => "smtp".into(),
        587 => "submission".into(),
        465 => "submissions".into(),
        p => format!("<the master.cf service on port {p}>"),
    }
}

fn names(ctx: &Ctx<'_>, leaf: &CertInfo, out: &mut Vec<Finding>) {
    let Some(der) = ctx.obs.chain.first() else {
        return;
    };
    let port = ctx.port();
    let mut cn_only_reported = false;
    let mut cn_only = |name: &str, out: &mut Vec<Finding>| {
        if !std::mem::replace(&mut cn_only_reported, true) {
            let name_in_fix = safe_name(name).unwrap_or_else(|| "the host name".into());
            out.push(ctx.finding(
                Code::CertCommonNameOnly,
                format!("{name} matches only the certificate's CN; it has no subjectAltName"),
                vec![describe(leaf)],
                install_certificate(
                    ctx.kind,
                    port,
                    &format!("Re-issue the certificate with {name_in_fix} as a subjectAltName (DNS name); RFC 6125 clients ignore the CN."),
                    None,
                ),
            ));
        }
    };
    // The probed host name (RFC 7672 §3.2.3: the MX host is the reference identifier).
    match &ctx.obs.endpoint.host {
        Host::Name(host) => match name_match(der, leaf, host) {
            NameMatch::Covered => {}
            NameMatch::CommonNameOnly => cn_only(host, out),
            NameMatch::NotCovered => {
                let wildcard = parent(host)
                    .map(|p| format!("; a wildcard *.{p} covers one label"))
                    .unwrap_or_default();
                let get = format!(
                    "Get a certificate that covers {host} (as a subjectAltName{wildcard})."
                );
                let mut fix = install_certificate(ctx.kind, port, &get, None);
                if let Some(other) = greeting_suggestion(ctx, leaf) {
                    fix.push_str(&format!("\nOr, if {host} is the wrong name, point the MX record at {other}, which the certificate covers."));
                }
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
                let example = leaf
                    .dns_names
                    .iter()
                    .find_map(|n| safe_name(n))
                    .unwrap_or_else(|| "mail.contoso.com".into());
                out.push(ctx.finding(
                    Code::CertNameNotChecked,
                    format!("{ip} is an address, so the certificate's names were not checked"),
                    vec![names_line(leaf)],
                    format!(
                        "Probe by host name (starttls-check <mx-host>), or add --expect-name with the name senders expect, e.g. --expect-name {example}."
                    ),
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
        // An Exchange Online TlsDomain may be a wildcard: it must then be on the
        // certificate as that very wildcard.
        let m = if name.starts_with("*.") {
            if leaf.dns_names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                NameMatch::Covered
            } else {
                NameMatch::NotCovered
            }
        } else {
            name_match(der, leaf, name)
        };
        if m == NameMatch::Covered {
            continue;
        }
        let get = format!("Get a certificate that covers {name}.");
        let mut fix = install_certificate(ctx.kind, port, &get, None);
        let on_cert =
            greeting_suggestion(ctx, leaf).unwrap_or_else(|| "<a name on the certificate>".into());
        fix.push_str(&format!(
            "\nIf {name} comes from an Exchange Online connector, the connector can instead be pointed at a name the certificate has:\n  \
             Get-OutboundConnector | fl Name,TlsSettings,TlsDomain,SmartHosts\n  Set-OutboundConnector '<name>' -TlsDomain {on_cert}\n  \
             Get-InboundConnector | fl Name,RequireTls,TlsSenderCertificateName\n  Set-InboundConnector '<name>' -TlsSenderCertificateName {on_cert}"
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

fn ehlo_mismatch(ctx: &Ctx<'_>, leaf: &CertInfo, greeting: &str) -> Finding {
    let suggestion = greeting_suggestion(ctx, leaf);
    let name = suggestion
        .clone()
        .unwrap_or_else(|| "<a name on a publicly trusted certificate>".into());
    let first = if suggestion.is_none() {
        "First install a trusted certificate (see the other findings). "
    } else {
        ""
    };
    let fix = match ctx.kind {
        ServerKind::Exchange => format!(
            "{first}The receive connector greets as {greeting}, which is not on the SMTP certificate. Exchange Online checks this name for hybrid \
             mail flow (and Exchange logs Event ID 12014 when no certificate matches it). Set the connector's Fqdn to a name on the certificate:\n  \
             {}\n  Set-ReceiveConnector '<identity from above>' -Fqdn {name}\n  Restart-Service MSExchangeFrontEndTransport",
            exchange_connector_lookup(ctx.port())
        ),
        ServerKind::Postfix => format!(
            "{first}Postfix greets with myhostname ({greeting}). Override it for this listener only, so mydestination and the rest stay as they are:\n  \
             postconf -P '{}/inet/myhostname={name}'\n  postfix reload\n(or add {greeting} to the certificate's names).",
            postfix_service(ctx.port())
        ),
        _ => format!(
            "{first}Configure the server to greet with a name on its certificate ({name}), or add {greeting} to the certificate."
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

/// The parent domain, if a wildcard there would be legitimate (not `*.com`).
fn parent(host: &str) -> Option<&str> {
    host.split_once('.')
        .map(|(_, rest)| rest)
        .filter(|r| r.contains('.'))
}
