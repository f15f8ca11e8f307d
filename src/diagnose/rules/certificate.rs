//! Certificate rules: dates, trust, chain, names, key and signature strength.
//!
//! # References
//! - RFC 5280 §4.1.2.5 (validity), §4.2.1.12 (extended key usage), §6 (path validation)
//! - RFC 6125 §6.4 (matching the reference identifier; wildcards; CN fallback deprecated)
//! - RFC 7672 §3.2.3 (SMTP server reference identifiers: the MX host name)
//! - RFC 8461 §4.2 (MTA-STS: the certificate must be valid for the MX host, chain to a trusted root)

use crate::cert::{CertInfo, MAX_CHAIN_SHOWN, MAX_NAMES_SHOWN, NameMatch, date, name_match};
use crate::diagnose::fixes::{self, exchange, generic};
use crate::diagnose::{Code, Ctx, Finding, ServerKind, Severity};
use crate::model::TlsMode;
use crate::target::Host;
use crate::tls::{TrustFailure, TrustResult};

fn describe(c: &CertInfo) -> String {
    format!("{} (issued by {})", c.subject, c.issuer)
}

fn names_line(c: &CertInfo) -> String {
    if c.names().is_empty() {
        "the certificate names no host".into()
    } else {
        format!("names on the certificate: {}", c.names_shown())
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

/// Each certificate's dates, judged on their own at `now`: the chain's trust is judged apart
/// from time (a leaf issued under a CA certificate renewed since has no instant at which
/// every certificate is valid), so every out-of-date certificate that matters is named here,
/// with its own dates, and never called untrusted.
fn dates(ctx: &Ctx<'_>, leaf: &CertInfo, out: &mut Vec<Finding>) {
    let trust = ctx.obs.trust.as_ref().filter(|t| t.trusted);
    let path_is_current = trust.is_some_and(|t| t.valid_now);
    // The certificates on the path to the trusted root, when one was found.
    let on_path = |i: usize| trust.is_none_or(|t| t.path.is_empty() || t.path.contains(&i));
    for (i, c) in ctx.chain.iter().enumerate() {
        // A root sent along is ignored by clients, and an out-of-date extra certificate the
        // path does not need (an old cross-sign, the old copy of a renewed CA certificate)
        // does no harm: only the path counts.
        if i > 0 && (c.self_signed || path_is_current || !on_path(i)) {
            continue;
        }
        let mut finding = if c.not_after_at < ctx.now {
            expired(ctx, i, c)
        } else if c.not_before_at > ctx.now {
            ctx.finding(
                Code::CertNotYetValid,
                format!("{} is not valid until {}", which(i), date(c.not_before_at)),
                Vec::new(),
                generic::not_yet_valid(),
            )
        } else {
            continue;
        };
        finding.evidence = dated(ctx, i, c);
        out.push(finding);
    }
    expires_soon(ctx, leaf, out);
}

/// The evidence of a dates finding: which certificate (`#1 CN=...`), its own validity, and
/// the time it was judged at.
fn dated(ctx: &Ctx<'_>, i: usize, c: &CertInfo) -> Vec<String> {
    vec![
        format!("#{i} {}", describe(c)),
        format!("notBefore {}, notAfter {}", c.not_before, c.not_after),
        format!("checked at {}", crate::cert::rfc3339(ctx.now)),
    ]
}

/// `certificate` for the leaf (`i` = 0), `intermediate certificate #i` above it.
fn which(i: usize) -> String {
    if i == 0 {
        "certificate".to_string()
    } else {
        format!("intermediate certificate #{i}")
    }
}

/// Certificate `i` of the chain has expired: renew the leaf, or send the current
/// intermediate.
fn expired(ctx: &Ctx<'_>, i: usize, c: &CertInfo) -> Finding {
    let when = date(c.not_after_at);
    let get = if i == 0 {
        generic::renew_expired(&renew_for(ctx, c), &when)
    } else {
        generic::replace_expired_intermediate(&c.subject, &when)
    };
    let mut fix = fixes::install_certificate(ctx.kind, ctx.port(), &get, Some(c));
    if ctx.kind == ServerKind::Exchange && i == 0 {
        fix = fix.followed_by(exchange::retire_expired_certificate(&c.thumbprint));
    }
    ctx.finding(
        Code::CertExpired,
        format!(
            "{} expired {} ({when})",
            which(i),
            ago((ctx.now - c.not_after_at).whole_days())
        ),
        vec![
            describe(c),
            format!("notAfter {}", c.not_after),
            format!("checked at {}", crate::cert::rfc3339(ctx.now)),
        ],
        fix,
    )
}

/// The leaf has less time left than the policy's thresholds: `--fail-days N` fails when less
/// than N days (N × 24 hours, not whole days rounded) are left, `--warn-days` warns alike; a
/// certificate with 7 days and 12 hours left passes `--fail-days 7`.
fn expires_soon(ctx: &Ctx<'_>, leaf: &CertInfo, out: &mut Vec<Finding>) {
    let days = leaf.days_left;
    let left = leaf.not_after_at - ctx.now;
    let under = |threshold: i64| left < time::Duration::days(threshold);
    if leaf.not_after_at < ctx.now || !under(ctx.policy.warn_days) {
        return;
    }
    let sev = if under(ctx.policy.fail_days) {
        Severity::Fail
    } else {
        Severity::Warn
    };
    let when = date(leaf.not_after_at);
    let get = generic::renew_soon(&leaf.names_shown(), &when);
    out.push(ctx.finding_with(
        Code::CertExpiresSoon,
        sev,
        format!(
            "certificate expires in {} ({when})",
            time_left(days, leaf.not_after_at - ctx.now)
        ),
        vec![
            describe(leaf),
            format!("notAfter {}", leaf.not_after),
            format!(
                "thresholds: warn with less than {} left, fail with less than {} left",
                plural_days(ctx.policy.warn_days),
                plural_days(ctx.policy.fail_days)
            ),
        ],
        fixes::install_certificate(ctx.kind, ctx.port(), &get, Some(leaf)),
    ));
}

/// The chain as sent, one certificate a line: at most [`MAX_CHAIN_SHOWN`], then how many
/// more.
fn numbered(ctx: &Ctx<'_>) -> Vec<String> {
    let mut lines: Vec<String> = ctx
        .chain
        .iter()
        .enumerate()
        .take(MAX_CHAIN_SHOWN)
        .map(|(i, c)| format!("#{i} {}", describe(c)))
        .collect();
    if ctx.chain.len() > MAX_CHAIN_SHOWN {
        lines.push(format!(
            "… and {} more certificates not listed here (the server sent {})",
            ctx.chain.len() - MAX_CHAIN_SHOWN,
            ctx.chain.len()
        ));
    }
    lines
}

fn trust(ctx: &Ctx<'_>, leaf: &CertInfo, out: &mut Vec<Finding>) {
    let Some(t) = &ctx.obs.trust else { return };
    if t.failure == Some(TrustFailure::NoRoots) {
        return; // nothing can be judged; the run reports our missing trust store once
    }
    if t.failure == Some(TrustFailure::UnsupportedDate) {
        out.push(unsupported_date(ctx, t));
        return;
    }
    if leaf.self_signed {
        out.push(self_signed(ctx, leaf, t.trusted));
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
    let finding = wrong_intermediate(ctx)
        .or_else(|| missing_intermediate(ctx, leaf, t))
        .unwrap_or_else(|| untrusted(ctx, leaf, t));
    out.push(finding);
}

/// A certificate dated before 1970: refused by clients on rustls/webpki only, so a warning
/// when the chain is otherwise trusted, a failure when it is not (the reason says why).
fn unsupported_date(ctx: &Ctx<'_>, t: &TrustResult) -> Finding {
    let reason = t.reason.clone().unwrap_or_default();
    let severity = if t.trusted {
        Severity::Warn
    } else {
        Severity::Fail
    };
    let what = fixes::trust::replacement(TrustFailure::UnsupportedDate).unwrap_or_default();
    let mut evidence = numbered(ctx);
    evidence.push(format!("verifier: {reason}"));
    ctx.finding_with(
        Code::CertDateUnsupported,
        severity,
        format!("certificate has a date clients built on rustls/webpki refuse: {reason}"),
        evidence,
        fixes::install_certificate(ctx.kind, ctx.port(), what, None),
    )
}

/// A self-signed leaf; `pinned` when the user trusted it with --ca-file.
fn self_signed(ctx: &Ctx<'_>, leaf: &CertInfo, pinned: bool) -> Finding {
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
    let names = ctx
        .obs
        .endpoint
        .host
        .name()
        .map_or_else(|| fix_names(leaf), str::to_string);
    let get = generic::replace_self_signed(&names);
    let mut fix = fixes::install_certificate(ctx.kind, ctx.port(), &get, None);
    if ctx.kind == ServerKind::Exchange {
        fix = fix.followed_by(exchange::explain_self_signed(&leaf.thumbprint));
    }
    ctx.finding_with(
        Code::CertSelfSigned,
        sev,
        summary,
        vec![describe(leaf), format!("SHA-256 {}", leaf.sha256)],
        fix,
    )
}

/// The links as sent: each certificate must be issued by the next one. A break means the
/// server sends the wrong intermediate.
fn wrong_intermediate(ctx: &Ctx<'_>) -> Option<Finding> {
    let i = ctx
        .chain
        .windows(2)
        .position(|w| w[0].issuer_der != w[1].subject_der)?;
    let (child, wrong) = (&ctx.chain[i], &ctx.chain[i + 1]);
    let mut evidence = numbered(ctx);
    evidence.push(format!(
        "#{} was not issued by #{}: #{} names {} as its issuer",
        i,
        i + 1,
        i,
        child.issuer
    ));
    Some(ctx.finding(
        Code::CertChainIncomplete,
        format!(
            "the server sends the wrong intermediate: {} did not issue {}",
            wrong.subject, child.subject
        ),
        evidence,
        fixes::incomplete_chain(ctx.kind, ctx.port(), &child.issuer),
    ))
}

/// The top of the chain sent is no CA and its issuer is neither sent nor trusted. That is a
/// missing intermediate or a leaf issued straight by a private root, and nothing sent tells
/// which (RFC 5280 §6: the path needs the issuer either way): the finding says both, and the
/// fix begins with how to tell them apart.
fn missing_intermediate(ctx: &Ctx<'_>, leaf: &CertInfo, t: &TrustResult) -> Option<Finding> {
    let top = ctx.chain.last().unwrap_or(leaf);
    if !unknown_top(top, t) || top.is_ca {
        return None;
    }
    let mut evidence = numbered(ctx);
    evidence.push(format!("{} is neither sent nor a trusted root", top.issuer));
    if let Some(f) = fetched_issuer(ctx, top, evidence.clone()) {
        return Some(f);
    }
    let unfetched = issuer_unfetched(ctx);
    if let Some((url, words)) = &unfetched {
        evidence.push(format!("the CA Issuers URL {url} {words}"));
    }
    let sni = ctx.obs.sni.as_deref().and_then(safe_name);
    let aia = generic::show_issuer_and_aia(
        &ctx.obs.endpoint.address.to_string(),
        ctx.obs.endpoint.tls_mode == TlsMode::Starttls,
        sni.as_deref(),
    );
    let steps = fixes::unsent_issuer(
        ctx.kind,
        ctx.port(),
        &top.issuer,
        &aia,
        ctx.policy.extra_roots,
    );
    // What the fetch said comes first; the steps that tell an intermediate from a private
    // root stay (the fetch failing says nothing about which it is).
    let fix = match &unfetched {
        Some((url, words)) => {
            crate::diagnose::fixes::revocation::issuer_unfetched(url, words).followed_by(steps)
        }
        None => steps,
    };
    Some(ctx.finding(
        Code::CertChainIncomplete,
        format!(
            "certificate is not trusted: its issuer {} is neither sent nor a trusted root (a missing intermediate, or a private root)",
            top.issuer
        ),
        evidence,
        fix,
    ))
}

/// The top certificate's CA Issuers URL was tried and gave no certificate: the URL and what
/// became of it in words (`answered HTTP 404 Not Found`, `did not answer within 3 s`, `was not
/// checked: the run's --deadline ended the fetch`, `served no certificate: …`).
fn issuer_unfetched(ctx: &Ctx<'_>) -> Option<(String, String)> {
    let fetched = ctx.obs.revocation.as_ref()?.issuer_fetch.as_ref()?;
    if fetched.certificate.is_some() {
        return None;
    }
    let words = match (&fetched.fetch, &fetched.error) {
        (Some(f), _) if f.error.is_some() => f.outcome_words(),
        (Some(_), Some(e)) => format!("served no certificate: {e}"),
        (None, Some(_)) => "is not an http URL: not fetched".into(),
        _ => return None,
    };
    Some((fetched.url.clone(), words))
}

/// The missing issuer, fetched from the top certificate's CA Issuers URL (RFC 5280 §4.2.2.1)
/// by the revocation phase: when it completes a path to a trusted root, the finding names the
/// intermediate (subject, issuer, fingerprint, URL) and the family's step to install it; when
/// it leads to no trusted root, the issuer is not a public CA and the private-root advice
/// stays. `None` when nothing was fetched (a failed fetch, `--no-policy`): the caller's
/// "intermediate or private root" text stands.
fn fetched_issuer(ctx: &Ctx<'_>, top: &CertInfo, mut evidence: Vec<String>) -> Option<Finding> {
    let fetched = ctx.obs.revocation.as_ref()?.issuer_fetch.as_ref()?;
    let cert = fetched.certificate.as_ref()?;
    let completes = fetched.completes_chain?;
    evidence.push(format!(
        "the CA Issuers URL {} serves {} (issued by {}, SHA-256 {})",
        fetched.url, cert.subject, cert.issuer, cert.sha256
    ));
    if completes {
        evidence.push("with it, the chain leads to a trusted root".into());
        let fix = crate::diagnose::fixes::revocation::install_intermediate(
            ctx.kind,
            &crate::diagnose::fixes::revocation::Intermediate {
                subject: &cert.subject,
                issuer: &cert.issuer,
                sha256: &cert.sha256,
                url: &fetched.url,
            },
        )
        .followed_by(fixes::incomplete_chain(ctx.kind, ctx.port(), &cert.subject));
        return Some(ctx.finding(
            Code::CertChainIncomplete,
            format!(
                "certificate is not trusted: the server does not send the intermediate {} (SHA-256 {}), available at {}",
                cert.subject, cert.sha256, fetched.url
            ),
            evidence,
            fix,
        ));
    }
    evidence.push(format!(
        "with it, the chain still leads to no trusted root{}",
        fetched
            .reason
            .as_deref()
            .map_or(String::new(), |r| format!(": {r}"))
    ));
    let fix = crate::diagnose::fixes::revocation::not_public(&cert.subject, &fetched.url)
        .followed_by(generic::if_private_root(ctx.policy.extra_roots));
    Some(ctx.finding(
        Code::CertChainIncomplete,
        format!(
            "certificate is not trusted: its issuer {} is not a public CA (the certificate its CA Issuers URL serves leads to no trusted root)",
            top.issuer
        ),
        evidence,
        fix,
    ))
}

/// The chain sent ends below a root nobody trusts: `top`'s issuer is neither sent nor known.
fn unknown_top(top: &CertInfo, t: &TrustResult) -> bool {
    !top.self_signed && !t.top_issuer_trusted && t.failure == Some(TrustFailure::UnknownIssuer)
}

/// The chain leads to a root that is not trusted (a private CA, or one senders lack).
fn untrusted(ctx: &Ctx<'_>, leaf: &CertInfo, t: &TrustResult) -> Finding {
    let top = ctx.chain.last().unwrap_or(leaf);
    let unknown_top = unknown_top(top, t);
    let reason = t.reason.clone().unwrap_or_default();
    let summary = if unknown_top && t.failure == Some(TrustFailure::UnknownIssuer) {
        format!(
            "certificate is not trusted: the chain ends at {}, whose issuer {} is not a trusted root",
            top.subject, top.issuer
        )
    } else {
        format!("certificate is not trusted: {reason}")
    };
    let root = if unknown_top {
        &top.issuer
    } else {
        &top.subject
    };
    // Only an unknown issuer is fixed by another CA: a bad signature, a chain too long or a
    // certificate badly encoded needs its own remedy.
    let specific = t.failure.and_then(fixes::trust::replacement);
    let what = specific.map_or_else(
        || generic::use_trusted_ca(root, ctx.policy.extra_roots),
        str::to_string,
    );
    let mut evidence = numbered(ctx);
    evidence.push(format!("verifier: {reason}"));
    ctx.finding(
        Code::CertUntrusted,
        summary,
        evidence,
        fixes::install_certificate(ctx.kind, ctx.port(), &what, None),
    )
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
    match n.len() {
        0 => "the names it should cover".into(),
        len if len > MAX_NAMES_SHOWN => format!(
            "{} and the {} other names it has",
            n[..MAX_NAMES_SHOWN].join(", "),
            len - MAX_NAMES_SHOWN
        ),
        _ => n.join(", "),
    }
}

/// A trusted name on the certificate, safe to paste, for a server to greet with (or for an
/// Exchange Online connector to expect): the name the user expects (`--expect-name`), else
/// the host probed (for a domain, the MX name senders check), else the first fully qualified
/// name on the certificate that is safe to paste. Nothing from an untrusted certificate.
fn greeting_suggestion(ctx: &Ctx<'_>, leaf: &CertInfo) -> Option<String> {
    let trusted = ctx.ev.trusted && !leaf.self_signed;
    if !trusted {
        return None;
    }
    let der = ctx.obs.chain.first()?;
    let covered = |n: &str| name_match(der, leaf, n) == NameMatch::Covered;
    let usable = |n: &str| !n.starts_with('*') && n.contains('.');
    let expected = ctx.policy.expected_names.iter().map(String::as_str);
    let probed = ctx.obs.endpoint.host.name();
    expected
        .chain(probed)
        .filter(|n| usable(n) && covered(n))
        .find_map(safe_name)
        .or_else(|| {
            leaf.dns_names
                .iter()
                .filter(|n| usable(n))
                .find_map(|n| safe_name(n))
        })
}

/// Whether the certificate covers the name senders check: the host probed, or, for an
/// address, every name given with --expect-name (none given: unknown, so no).
fn reference_covered(ctx: &Ctx<'_>, der: &[u8], leaf: &CertInfo) -> bool {
    match &ctx.obs.endpoint.host {
        Host::Name(host) => name_match(der, leaf, host) == NameMatch::Covered,
        Host::Ip(_) => {
            !ctx.policy.expected_names.is_empty()
                && ctx
                    .policy
                    .expected_names
                    .iter()
                    .all(|n| expected_match(der, leaf, n) == NameMatch::Covered)
        }
    }
}

fn names(ctx: &Ctx<'_>, leaf: &CertInfo, out: &mut Vec<Finding>) {
    let Some(der) = ctx.obs.chain.first() else {
        return;
    };
    // A certificate that matches only by its CN is said once, for the first name that does.
    let mut cn_only_reported = false;
    let mut cn_only = |name: &str, out: &mut Vec<Finding>| {
        if !std::mem::replace(&mut cn_only_reported, true) {
            out.push(common_name_only(ctx, leaf, name));
        }
    };
    // The probed host name (RFC 7672 §3.2.3: the MX host is the reference identifier).
    match &ctx.obs.endpoint.host {
        Host::Name(host) => match name_match(der, leaf, host) {
            NameMatch::Covered => {}
            NameMatch::CommonNameOnly => cn_only(host, out),
            NameMatch::NotCovered => out.push(host_not_covered(ctx, leaf, host)),
        },
        Host::Ip(ip) => {
            if ctx.policy.expected_names.is_empty() {
                out.push(names_not_checked(ctx, leaf, ip));
            }
        }
    }
    // The EHLO greeting name: Exchange's connector Fqdn, which Exchange Online checks.
    if let Some(greeting) = greeting_to_check(ctx) {
        match name_match(der, leaf, greeting) {
            NameMatch::Covered => {}
            NameMatch::CommonNameOnly => cn_only(greeting, out),
            NameMatch::NotCovered => out.push(ehlo_mismatch(ctx, der, leaf, greeting)),
        }
    }
    for name in &ctx.policy.expected_names {
        let m = expected_match(der, leaf, name);
        if m != NameMatch::Covered {
            out.push(expected_name_mismatch(ctx, leaf, name, m));
        }
    }
}

fn common_name_only(ctx: &Ctx<'_>, leaf: &CertInfo, name: &str) -> Finding {
    let name_in_fix = safe_name(name).unwrap_or_else(|| "the host name".into());
    ctx.finding(
        Code::CertCommonNameOnly,
        format!("{name} matches only the certificate's CN; it has no subjectAltName"),
        vec![describe(leaf)],
        fixes::install_certificate(
            ctx.kind,
            ctx.port(),
            &generic::add_subject_alt_name(&name_in_fix),
            None,
        ),
    )
}

fn host_not_covered(ctx: &Ctx<'_>, leaf: &CertInfo, host: &str) -> Finding {
    let get = generic::cover_host(host, parent(host));
    let mut fix = fixes::install_certificate(ctx.kind, ctx.port(), &get, None);
    // Only an MX record can be repointed: a host named directly has none.
    if let (Some(via), Some(other)) = (&ctx.obs.endpoint.via, greeting_suggestion(ctx, leaf))
        && let Some(domain) = safe_name(&via.domain)
    {
        fix = fix.followed_by(generic::point_mx_at(&domain, host, &other));
    }
    ctx.finding(
        Code::CertNameMismatch,
        format!("certificate does not cover {host}"),
        vec![describe(leaf), names_line(leaf)],
        fix,
    )
}

fn names_not_checked(ctx: &Ctx<'_>, leaf: &CertInfo, ip: &std::net::IpAddr) -> Finding {
    let example = leaf
        .dns_names
        .iter()
        .find_map(|n| safe_name(n))
        .unwrap_or_else(|| "mail.contoso.com".into());
    ctx.finding(
        Code::CertNameNotChecked,
        format!("{ip} is an address, so the certificate's names were not checked"),
        vec![names_line(leaf)],
        generic::probe_by_name(&example),
    )
}

/// The name the server greets with in EHLO, when it is a host name other than the one
/// probed (an address literal or a bare NetBIOS name is not checked).
fn greeting_to_check<'a>(ctx: &Ctx<'a>) -> Option<&'a str> {
    let greeting = ctx.obs.capabilities.as_ref()?.greeting_name.as_str();
    let is_name = greeting.contains('.')
        && !greeting.starts_with('[')
        && greeting.parse::<std::net::IpAddr>().is_err();
    let same_as_host = ctx.obs.endpoint.host.name() == Some(&greeting.to_ascii_lowercase());
    (is_name && !same_as_host).then_some(greeting)
}

/// Whether the certificate covers an `--expect-name`. An Exchange Online TlsDomain may be a
/// wildcard: it must then be on the certificate as that very wildcard.
fn expected_match(der: &[u8], leaf: &CertInfo, name: &str) -> NameMatch {
    if !name.starts_with("*.") {
        return name_match(der, leaf, name);
    }
    if leaf.dns_names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
        NameMatch::Covered
    } else {
        NameMatch::NotCovered
    }
}

fn expected_name_mismatch(ctx: &Ctx<'_>, leaf: &CertInfo, name: &str, m: NameMatch) -> Finding {
    // --expect-name is a name the SERVER's certificate must cover; a user testing the
    // certificate we present (Exchange Online's TlsSenderCertificateName) may have meant it
    // for ours. When ours covers it, the server's not covering it is normal: a note, with
    // no commands replacing the receiver's certificate.
    if let Some(ours) = ctx.policy.client_cert.as_deref()
        && super::client_cert::ours_covers(ours, name, ctx.now)
    {
        return ctx.finding_with(
            Code::CertExpectedNameMismatch,
            Severity::Info,
            format!(
                "--expect-name {name} taken as the name our certificate must carry (TlsSenderCertificateName): ours covers it; the server's certificate does not (normal for Exchange Online); use --client-cert-name for this"
            ),
            vec![
                describe(leaf),
                names_line(leaf),
                format!("--expect-name {name}"),
                format!("the certificate we present (--client-cert) covers {name}"),
            ],
            fixes::client_cert::expected_name_is_ours(name),
        );
    }
    // Pointing the connector at the expected name itself would change nothing.
    let on_cert = greeting_suggestion(ctx, leaf)
        .filter(|n| !n.eq_ignore_ascii_case(name))
        .unwrap_or_else(|| "<a name on the certificate>".into());
    let fix =
        fixes::install_certificate(ctx.kind, ctx.port(), &generic::cover_expected(name), None)
            .followed_by(fixes::expected_name_elsewhere(ctx.kind, name, &on_cert));
    let cn = if m == NameMatch::CommonNameOnly {
        " (only its CN matches)"
    } else {
        ""
    };
    let evidence = vec![
        describe(leaf),
        names_line(leaf),
        format!("--expect-name {name}"),
    ];
    ctx.finding(
        Code::CertExpectedNameMismatch,
        format!("certificate does not cover the expected name {name}{cn}"),
        evidence,
        fix,
    )
}

/// The greeting name is not on the certificate. Senders check the MX name, not the greeting
/// (RFC 7672 §3.2.3, RFC 8461 §4.2), so for most servers this is a note when the certificate
/// covers the name they check. Exchange is different: while a receive connector's
/// TlsCertificateName is empty, it chooses its certificate by the greeting name (its Fqdn),
/// and a mismatch there breaks STARTTLS at the next certificate change: a warning.
fn ehlo_mismatch(ctx: &Ctx<'_>, der: &[u8], leaf: &CertInfo, greeting: &str) -> Finding {
    let suggestion = greeting_suggestion(ctx, leaf);
    let optional = ctx.kind != ServerKind::Exchange && reference_covered(ctx, der, leaf);
    let severity = if optional {
        Severity::Info
    } else {
        Code::CertEhloNameMismatch.default_severity()
    };
    let g = fixes::Greeting {
        port: ctx.port(),
        name: greeting,
        on_cert: suggestion.as_deref(),
        optional,
    };
    ctx.finding_with(
        Code::CertEhloNameMismatch,
        severity,
        format!("the EHLO greeting name {greeting} is not on the certificate"),
        vec![format!("EHLO reply line 1: {greeting}"), names_line(leaf)],
        fixes::greeting_not_on_certificate(ctx.kind, &g),
    )
}

/// Weak keys, weak signatures and a missing serverAuth usage anywhere they matter.
fn strength(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let reissue = |what: &str| fixes::install_certificate(ctx.kind, ctx.port(), what, None);
    let weak_keys: Vec<String> = ctx
        .chain
        .iter()
        .enumerate()
        .filter(|(_, c)| c.weak_key())
        .map(|(i, c)| format!("#{i} {}: {} {} bits", c.subject, c.key_type, c.key_bits))
        .collect();
    if let Some(first) = weak_keys.first() {
        out.push(ctx.finding(
            Code::CertWeakKey,
            format!("weak key in the chain: {first}"),
            weak_keys.clone(),
            reissue(generic::strong_key()),
        ));
    }
    let weak_sigs: Vec<String> = ctx
        .chain
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.self_signed && c.weak_signature())
        .map(|(i, c)| format!("#{i} {}: {}", c.subject, c.signature_algorithm))
        .collect();
    if let Some(first) = weak_sigs.first() {
        out.push(ctx.finding(
            Code::CertWeakSignature,
            format!("weak signature in the chain: {first}"),
            weak_sigs.clone(),
            reissue(generic::sha256_signature()),
        ));
    }
    if let Some(leaf) = ctx.chain.first()
        && !leaf.allows_server_auth()
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
            reissue(generic::server_auth()),
        ));
    }
}

/// The parent domain, if a wildcard there would be legitimate (not `*.com`).
fn parent(host: &str) -> Option<&str> {
    host.split_once('.')
        .map(|(_, rest)| rest)
        .filter(|r| r.contains('.'))
}

/// The names a renewed leaf is for: those of the certificate sent, and the host probed
/// first when that certificate does not cover it (renewing `wrong.example` would leave the
/// host senders check uncovered).
fn renew_for(ctx: &Ctx<'_>, leaf: &CertInfo) -> String {
    let names = leaf.names_shown();
    match (&ctx.obs.endpoint.host, ctx.obs.chain.first()) {
        (Host::Name(host), Some(der)) if name_match(der, leaf, host) == NameMatch::NotCovered => {
            match safe_name(host) {
                Some(host) if names.is_empty() => host,
                Some(host) => format!("{host} (the one the server sends is for {names})"),
                None => names,
            }
        }
        _ => names,
    }
}

/// `30 days`, `1 day`; under a day, in hours (`expires in 0 days` says nothing).
fn time_left(days: i64, left: time::Duration) -> String {
    if days > 0 {
        return plural_days(days);
    }
    match left.whole_hours() {
        h if h >= 2 => format!("{h} hours"),
        _ => "less than 2 hours".to_string(),
    }
}

/// `1 day`, `30 days`.
fn plural_days(n: i64) -> String {
    if n == 1 {
        "1 day".to_string()
    } else {
        format!("{n} days")
    }
}
