//! Middlebox fingerprints: what a device between the probe and the mail server leaves in the
//! conversation. Each rule names the device class and its fix; the generic finding that is
//! true as well (starttls-not-offered, starttls-rejected, cert-self-signed...) stays as the
//! symptom and is listed after its cause (`EXPLAINED_BY` in `diagnose/mod.rs`).
//!
//! - a greeting masked with `*` (Cisco ASA/PIX/FTD `inspect esmtp`, `mask-banner`), also when
//!   a few digits or letters are left standing;
//! - EHLO keywords overwritten with X's (`250-XXXXXXXA`): STARTTLS stripped by ESMTP inspection;
//! - EHLO answered with a bare `250 host` by a server that speaks ESMTP (its greeting says so,
//!   or another port of the same address lists extensions): EHLO rewritten to HELO;
//! - STARTTLS advertised, then answered `500`/`502` "unrecognized": the command was rewritten;
//! - a certificate that names an appliance or inspection vendor (the table in the catalogue)
//!   where the mail server's names were expected: TLS terminated or intercepted in front;
//! - replies that mix codes or end lines with a bare LF: a proxy rewriting replies (evidence
//!   for the findings above, or a note of its own when nothing else explains them).
//!
//! # References
//! - Cisco ASA Series Firewall CLI Configuration Guide, "SMTP and Extended SMTP Inspection"
//!   and "Defaults for ESMTP Inspection" (`mask-banner`, `no allow-tls`)
//! - RFC 3207 §6 (a man-in-the-middle can delete the STARTTLS keyword)
//! - RFC 5321 §4.1.1.1 (EHLO and HELO), §4.2 (reply syntax: one code per reply), §2.3.8 (CRLF)
//! - RFC 6125 §6.4, RFC 7672 §3.2.3 (the names a certificate must cover)
//! - shared/field-notes.md §4 (middlebox signatures), seed 002 (a Barracuda in front of Exchange)

use crate::cert::{CertInfo, NameMatch, name_match};
use crate::diagnose::catalogue::{APPLIANCES, Appliance};
use crate::diagnose::fixes::cisco::OurSide;
use crate::diagnose::fixes::{cisco, generic};
use crate::diagnose::rules::certificate::safe_name;
use crate::diagnose::{Code, Ctx, Finding, ServerKind, Severity};
use crate::evidence::Evidence;
use crate::model::{Observation, Phase, TlsMode};
use crate::smtp::{Reply, escape};
use crate::target::Host;

/// Keywords overwritten with X's by ESMTP inspection (`XXXXXXXA` where `STARTTLS` was): at
/// least four characters, all X but at most one. No real extension looks like that.
pub(crate) fn masked_keywords(obs: &Observation) -> Vec<String> {
    obs.capabilities
        .as_ref()
        .map(|c| {
            c.keywords
                .iter()
                .filter(|k| is_mask(&k.name))
                .map(|k| k.name.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// `XXXXXXXA`: four characters or more, all X but at most one.
fn is_mask(name: &str) -> bool {
    name.len() >= 4 && name.bytes().filter(|&b| b == b'X').count() >= name.len() - 1
}

/// The greeting masked with `*` after the reply code (`220 ****`), also partly: more than
/// half of its non-blank characters and at least four of them are `*` (PIX leaves a few
/// digits and letters standing: `220 ****0**2*****0*0**`).
pub(crate) fn banner_masked(obs: &Observation) -> bool {
    obs.banner.as_ref().is_some_and(|b| {
        let t: Vec<u8> = b
            .first_text()
            .iter()
            .copied()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let stars = t.iter().filter(|&&c| c == b'*').count();
        stars >= 4 && stars * 2 > t.len()
    })
}

/// EHLO answered positively with one line and no keyword at all: the HELO answer.
fn bare_ehlo(obs: &Observation) -> bool {
    obs.endpoint.tls_mode == TlsMode::Starttls
        && obs.helo.is_none()
        && obs
            .ehlo
            .as_ref()
            .is_some_and(|r| r.is_positive() && r.lines.len() == 1)
        && obs
            .capabilities
            .as_ref()
            .is_some_and(|c| c.keywords.is_empty())
}

/// Whether the keywords masked could be where STARTTLS was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StarttlsMask {
    /// No masked keyword has STARTTLS's eight letters.
    No,
    /// One does, but CHUNKING, SMTPUTF8 or 8BITMIME (eight letters too, and masked as
    /// "others" by the ASA's default policy) may be what it hides.
    Possible,
    /// More eight-letter masks than eight-letter keywords missing besides STARTTLS: one of
    /// them is STARTTLS.
    Certain,
}

/// The ASA masks in place, keeping the length, and its masks do not say which keyword they
/// hide (`XXXXXXXA`, `XXXXXXXB`): only counting tells. STARTTLS was masked for certain when
/// the eight-letter masks outnumber the other eight-letter keywords the reply lacks.
pub(crate) fn starttls_mask(obs: &Observation) -> StarttlsMask {
    const EIGHT: usize = "STARTTLS".len();
    let masks = masked_keywords(obs)
        .iter()
        .filter(|k| k.len() == EIGHT)
        .count();
    if masks == 0 {
        return StarttlsMask::No;
    }
    let listed = |k: &str| obs.capabilities.as_ref().is_some_and(|c| c.has(k));
    let others_missing = ["CHUNKING", "SMTPUTF8", "8BITMIME"]
        .iter()
        .filter(|k| !listed(k))
        .count();
    // Exchange and Postfix list STARTTLS before 8BITMIME, and CHUNKING and SMTPUTF8 after it
    // (so do Exim and sendmail, whose STARTTLS comes later, never before 8BITMIME): an
    // eight-letter mask ahead of an unmasked 8BITMIME stands where STARTTLS stands.
    let before_8bitmime = obs.capabilities.as_ref().is_some_and(|c| {
        c.keywords
            .iter()
            .take_while(|k| k.name != "8BITMIME")
            .any(|k| k.name.len() == EIGHT && is_mask(&k.name))
            && c.has("8BITMIME")
    });
    if masks > others_missing || before_8bitmime {
        StarttlsMask::Certain
    } else {
        StarttlsMask::Possible
    }
}

/// A device in the path has visibly edited this conversation before TLS where STARTTLS
/// would be: an 8-letter keyword masked (the ASA masks in place), the greeting masked with
/// no keyword masked (its default policy), or EHLO answered as HELO. What the port lacks is then the device's
/// doing, not the server's configuration (see `cross::port_mismatch`).
pub(crate) fn edited_in_path(obs: &Observation) -> bool {
    starttls_mask(obs) != StarttlsMask::No
        || (masked_keywords(obs).is_empty() && banner_masked(obs))
        || bare_ehlo(obs)
}

/// The greeting says the server speaks ESMTP (`220 mx ESMTP Postfix`, Exchange's `Microsoft
/// ESMTP MAIL Service`), a claim RFC 5321 §4.3.1 lets extension-capable servers make.
fn claims_esmtp(obs: &Observation) -> bool {
    obs.banner.as_ref().is_some_and(|b| {
        escape(b.first_text())
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| w.eq_ignore_ascii_case("esmtp"))
    })
}

/// EHLO rewritten to HELO, seen on this endpoint alone: a bare EHLO answer below a greeting
/// that claims ESMTP. Without the claim a minimal SMTP server is the likelier story, and only
/// another port of the same address that lists extensions (see [`downgraded_elsewhere`]) says
/// otherwise.
pub(crate) fn ehlo_downgraded(obs: &Observation) -> bool {
    bare_ehlo(obs) && claims_esmtp(obs)
}

/// STARTTLS advertised, and the command answered as unknown (`500`/`502`).
fn mangled_starttls(obs: &Observation) -> Option<&Reply> {
    let f = obs
        .failure
        .as_ref()
        .filter(|f| f.phase == Phase::Starttls)?;
    let advertised = obs.capabilities.as_ref().is_some_and(|c| c.starttls());
    f.reply
        .as_ref()
        .or(obs.starttls_reply.as_ref())
        .filter(|r| advertised && matches!(r.code, 500 | 502))
}

fn banner_line(obs: &Observation) -> Vec<String> {
    obs.banner
        .iter()
        .map(|b| format!("banner: {}", b.one_line()))
        .collect()
}

fn ehlo_lines(obs: &Observation) -> Vec<String> {
    let mut e = banner_line(obs);
    if let Some(r) = &obs.ehlo {
        // The greeting line, then the keywords on one line, as the session rules show them.
        let lines = r.display_lines();
        match lines.split_first() {
            Some((first, rest)) if r.is_positive() && !rest.is_empty() => {
                e.push(format!("EHLO {} → {first}", obs.ehlo_name));
                let keywords: Vec<&str> = rest.iter().map(|l| l.get(4..).unwrap_or(l)).collect();
                e.push(format!("  keywords: {}", keywords.join(", ")));
            }
            _ => {
                e.push(format!("EHLO {} →", obs.ehlo_name));
                e.extend(lines.into_iter().map(|l| format!("  {l}")));
            }
        }
    }
    e
}

/// The replies that broke SMTP's syntax, one line each.
fn irregular_replies(ev: &Evidence) -> Vec<String> {
    if !ev.mixed_codes && !ev.bare_lf {
        return Vec::new();
    }
    let obs = &ev.obs;
    let replies = [
        ("greeting", &obs.banner),
        ("EHLO", &obs.ehlo),
        ("HELO", &obs.helo),
        ("STARTTLS", &obs.starttls_reply),
        ("EHLO over TLS", &obs.ehlo_tls),
    ];
    let mut out = Vec::new();
    for (name, r) in replies {
        let Some(r) = r else { continue };
        if r.has_mixed_codes() {
            let mut codes: Vec<String> = r.lines.iter().map(|l| l.code.to_string()).collect();
            codes.dedup();
            out.push(format!(
                "the {name} reply mixes reply codes in one reply: {}",
                codes.join(", ")
            ));
        }
        if r.has_bare_lf() {
            let n = r.lines.iter().filter(|l| l.bare_lf).count();
            out.push(format!(
                "the {name} reply ends {n} of its {} lines with a bare LF instead of CRLF",
                r.lines.len()
            ));
        }
    }
    out
}

/// The middlebox findings of one endpoint.
pub(crate) fn rules(ctx: &Ctx<'_>) -> Vec<Finding> {
    let obs = ctx.obs;
    let irregular = irregular_replies(ctx.ev);
    let with_signals = |mut f: Finding| {
        f.evidence.extend(irregular.iter().cloned());
        f
    };
    let mut out = Vec::new();
    let starttls_missing = obs.failure.is_none()
        && obs.endpoint.tls_mode == TlsMode::Starttls
        && obs.capabilities.as_ref().is_some_and(|c| !c.starttls());
    let masked = masked_keywords(obs);
    if !masked.is_empty() {
        out.push(with_signals(keywords_masked(
            ctx,
            &masked,
            starttls_missing,
        )));
    } else if banner_masked(obs) {
        out.push(with_signals(banner(ctx, starttls_missing)));
    }
    if ehlo_downgraded(obs) {
        let why = "the greeting says ESMTP";
        out.push(with_signals(downgraded(ctx.ev, why)));
    }
    if let Some(r) = mangled_starttls(obs) {
        out.push(with_signals(mangled(ctx, r)));
    }
    if let Some(f) = interception(ctx) {
        out.push(with_signals(f));
    }
    if out.is_empty() && !irregular.is_empty() {
        out.push(
            ctx.finding(
                Code::SmtpReplyIrregular,
                "replies break SMTP's syntax, which SMTP proxies and firewall fixups often cause"
                    .into(),
                irregular,
                cisco::irregular_replies(),
            ),
        );
    }
    out
}

fn keywords_masked(ctx: &Ctx<'_>, masked: &[String], starttls_missing: bool) -> Finding {
    let mut evidence = ehlo_lines(ctx.obs);
    evidence.push(format!(
        "keywords overwritten with X's: {}",
        masked.join(", ")
    ));
    if banner_masked(ctx.obs) {
        evidence.push("the greeting is masked with `*` too (mask-banner)".into());
    }
    let mask = if starttls_missing {
        starttls_mask(ctx.obs)
    } else {
        StarttlsMask::No
    };
    let (severity, summary) = if mask == StarttlsMask::Certain {
        (
            Severity::Fail,
            "an SMTP-inspecting firewall (Cisco ASA/FTD `inspect esmtp`) overwrote EHLO keywords with X's and removed STARTTLS"
                .to_string(),
        )
    } else if mask == StarttlsMask::Possible {
        (
            Severity::Warn,
            "an SMTP-inspecting firewall (Cisco ASA/FTD `inspect esmtp`) overwrote EHLO keywords with X's; one of STARTTLS's length \
             may be STARTTLS (CHUNKING, SMTPUTF8 and 8BITMIME have eight letters too): probe from inside the firewall to tell"
                .to_string(),
        )
    } else if starttls_missing {
        (
            Severity::Info,
            "an SMTP-inspecting firewall (Cisco ASA/FTD `inspect esmtp`) masks some EHLO keywords, none of them of STARTTLS's length: \
             STARTTLS may be missing on the server itself"
                .to_string(),
        )
    } else {
        (
            Severity::Info,
            "an SMTP-inspecting firewall (Cisco ASA/FTD `inspect esmtp`) masks some EHLO keywords; STARTTLS passes".to_string(),
        )
    };
    ctx.finding_with(
        Code::MiddleboxMaskedKeywords,
        severity,
        summary,
        evidence,
        cisco::keywords_masked(banner_masked(ctx.obs), mask),
    )
}

/// The masked greeting: the cause when STARTTLS is missing, a note when it is offered (the
/// firewall lets TLS through) or when the probe never learned whether it is.
fn banner(ctx: &Ctx<'_>, starttls_missing: bool) -> Finding {
    let mut evidence = banner_line(ctx.obs);
    let offered = ctx.obs.capabilities.as_ref().map(|c| c.starttls());
    let summary = if starttls_missing {
        evidence.push(format!(
            "STARTTLS is missing from the EHLO reply on port {}",
            ctx.port()
        ));
        "the greeting is masked with `*` (Cisco ASA/FTD `inspect esmtp` mask-banner) and STARTTLS is missing: the firewall's \
         default policy removes it"
    } else if offered == Some(true) {
        evidence.push("STARTTLS is offered: the firewall lets TLS through".into());
        "the greeting is masked with `*` (Cisco ASA/FTD `inspect esmtp` mask-banner); STARTTLS passes"
    } else {
        "the greeting is masked with `*` (Cisco ASA/FTD `inspect esmtp` mask-banner): an SMTP-inspecting firewall is in the path"
    };
    let severity = if starttls_missing {
        Severity::Fail
    } else {
        Severity::Info
    };
    ctx.finding_with(
        Code::MiddleboxMaskedBanner,
        severity,
        summary.to_string(),
        evidence,
        cisco::banner_masked(offered != Some(true)),
    )
}

/// EHLO rewritten to HELO; `why` says what shows the server speaks ESMTP.
fn downgraded(ev: &Evidence, why: &str) -> Finding {
    let mut evidence = ehlo_lines(&ev.obs);
    evidence.push(format!(
        "no extension at all in the EHLO reply, although {why}"
    ));
    let code = Code::MiddleboxEhloDowngraded;
    Finding::new(
        code,
        code.default_severity(),
        ev.label.clone(),
        vec![ev.id.clone()],
        format!(
            "EHLO was answered like HELO (a bare `250` line, no extension) although {why}: a box in the path rewrites EHLO to HELO, \
             which removes STARTTLS"
        ),
        evidence,
        cisco::ehlo_downgraded(),
    )
}

fn mangled(ctx: &Ctx<'_>, r: &Reply) -> Finding {
    let mut evidence = ehlo_lines(ctx.obs);
    evidence.push(format!("STARTTLS → {}", r.one_line()));
    ctx.finding(
        Code::MiddleboxStarttlsMangled,
        format!(
            "STARTTLS is advertised but the command was answered as unknown ({}): a device in the path rewrote it",
            r.code
        ),
        evidence,
        cisco::starttls_rewritten(ctx.kind == ServerKind::Exchange),
    )
}

/// Bare EHLO answers below a greeting that claims nothing, on an address where another port
/// lists extensions: the same server speaks ESMTP there, so this port's path rewrites EHLO.
/// `group`: the STARTTLS endpoints of one address.
pub(crate) fn downgraded_elsewhere(group: &[&Evidence], out: &mut Vec<Finding>) {
    let speaks: Vec<u16> = group
        .iter()
        .filter(|m| {
            m.obs
                .capabilities
                .as_ref()
                .is_some_and(|c| !c.keywords.is_empty())
        })
        .map(|m| m.port())
        .collect();
    let Some(&other) = speaks.first() else {
        return;
    };
    for m in group {
        if bare_ehlo(&m.obs) && !claims_esmtp(&m.obs) {
            let why = format!("port {other} of the same address lists extensions");
            out.push(downgraded(m, &why));
        }
    }
}

/// The words of a text, lower case: `Barracuda Networks, Inc.` → barracuda, networks, inc.
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// The values of the O and CN attributes of a distinguished name as [`CertInfo`] writes it
/// (`CN=x, O="Cisco Systems, Inc.", C=US`).
fn organisation_and_name(dn: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = dn;
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            // A quoted value ends at a quote that is not doubled.
            let mut end = None;
            let b = quoted.as_bytes();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'"' {
                    if b.get(i + 1) == Some(&b'"') {
                        i += 2;
                        continue;
                    }
                    end = Some(i);
                    break;
                }
                i += 1;
            }
            let end = end.unwrap_or(quoted.len());
            let tail = quoted.get(end + 1..).unwrap_or("");
            (quoted[..end].replace("\"\"", "\""), tail)
        } else {
            let end = after.find(", ").unwrap_or(after.len());
            (after[..end].to_string(), &after[end..])
        };
        let key = key.trim();
        if key == "O" || key == "CN" {
            out.push((key.to_string(), value));
        }
        rest = next.trim_start_matches(", ").trim_start_matches(',');
    }
    out
}

/// The appliance a distinguished name names in its O or CN, with the attribute that did.
pub(crate) fn appliance_in(dn: &str) -> Option<(&'static Appliance, String)> {
    for (key, value) in organisation_and_name(dn) {
        let w = words(&value);
        for a in APPLIANCES {
            let hit = a.words.iter().any(|phrase| {
                let p: Vec<&str> = phrase.split(' ').collect();
                w.windows(p.len())
                    .any(|win| win.iter().zip(&p).all(|(x, y)| x == y))
            });
            if hit {
                return Some((a, format!("{key}={value}")));
            }
        }
    }
    None
}

/// The names senders check: the host probed; for an address, the names given with
/// --expect-name and the EHLO greeting name.
fn reference_names(ctx: &Ctx<'_>) -> Vec<String> {
    match &ctx.obs.endpoint.host {
        Host::Name(n) => vec![n.clone()],
        Host::Ip(_) => {
            let mut names = ctx.policy.expected_names.clone();
            if let Some(c) = &ctx.obs.capabilities
                && c.greeting_name.contains('.')
                && c.greeting_name.parse::<std::net::IpAddr>().is_err()
                && !c.greeting_name.starts_with('[')
            {
                names.push(c.greeting_name.clone());
            }
            names
        }
    }
}

/// The certificate belongs to an appliance or was issued by an inspection CA, where the mail
/// server's own certificate was expected. Never for an appliance that is the MX and presents a
/// certificate covering the name (its subject may well say Barracuda or Cisco).
fn interception(ctx: &Ctx<'_>) -> Option<Finding> {
    let leaf: &CertInfo = ctx.chain.first()?;
    let der = ctx.obs.chain.first()?;
    let by_issuer = if leaf.self_signed {
        None
    } else {
        appliance_in(&leaf.issuer)
            .or_else(|| ctx.chain[1..].iter().find_map(|c| appliance_in(&c.subject)))
    };
    let names = reference_names(ctx);
    let covered = names
        .iter()
        .any(|n| name_match(der, leaf, n) == NameMatch::Covered);
    // A CA the user pinned with --ca-file is the user's own: an appliance that is the MX and
    // issues its certificates from its own CA (FortiMail, Sophos) is not in front of anything
    // when its certificate covers the name, and its trust says nothing about this network.
    let pinned = ctx.policy.extra_roots && ctx.ev.trusted;
    let (appliance, matched, issued) = match (by_issuer, appliance_in(&leaf.subject)) {
        (Some(_), _) if pinned && covered => return None,
        (Some((a, m)), _) => (a, m, true),
        (None, Some((a, m))) if !covered => (a, m, false),
        _ => return None,
    };
    // Who presents the certificate: a device in front of the server, or one in our own
    // network (this machine trusts its CA; nobody stands in front of Exchange Online).
    let ours = if issued && ctx.ev.trusted && !pinned {
        Some(OurSide::TrustedHere)
    } else if ctx.kind == ServerKind::ExchangeOnline {
        Some(OurSide::Microsoft)
    } else {
        None
    };
    let behind = match ctx.kind {
        ServerKind::ExchangeOnline | ServerKind::Unknown => String::new(),
        k => format!(" in front of {}", k.label()),
    };
    let summary = interception_summary(appliance, ours, issued, &behind, leaf.self_signed);
    let whose = if issued { "issuer" } else { "subject" };
    let mut evidence = vec![
        format!("subject: {}", leaf.subject),
        format!("issuer: {}", leaf.issuer),
        format!("{} named in the {whose}: {matched}", appliance.vendor),
    ];
    if !names.is_empty() && !covered {
        evidence.push(format!(
            "the certificate does not cover {} (names on it: {})",
            names.join(", "),
            leaf.names_shown()
        ));
    }
    evidence.extend(banner_line(ctx.obs));
    if ours == Some(OurSide::TrustedHere) {
        evidence.push("the chain is trusted here: this machine trusts the inspection CA".into());
    }
    let fix = interception_fix(ctx, appliance, &names, ours);
    let severity = if ours.is_some() {
        Severity::Warn
    } else {
        Severity::Fail
    };
    Some(ctx.finding_with(
        Code::TlsInterceptionSuspected,
        severity,
        summary,
        evidence,
        fix,
    ))
}

/// The summary of [`interception`]: who intercepts, and on which side.
fn interception_summary(
    appliance: &Appliance,
    ours: Option<OurSide>,
    issued: bool,
    behind: &str,
    self_signed: bool,
) -> String {
    if ours == Some(OurSide::TrustedHere) {
        format!(
            "the certificate was issued by a {} inspection CA that this machine trusts: TLS is intercepted, probably in this network, \
             so the server's own certificate was not seen",
            appliance.vendor
        )
    } else if ours == Some(OurSide::Microsoft) {
        format!(
            "Exchange Online answered with a {} certificate instead of Microsoft's: a {} in this network intercepts TLS, \
             so the server's own certificate was not seen",
            appliance.vendor, appliance.device
        )
    } else if issued {
        format!(
            "the certificate was issued by a {} inspection CA: a {}{behind} intercepts TLS",
            appliance.vendor, appliance.device
        )
    } else {
        let own = if self_signed {
            "own self-signed certificate"
        } else {
            "own certificate"
        };
        format!(
            "a {}{behind} presents its {own}, not the mail server's",
            appliance.device
        )
    }
}

/// The fix of [`interception`]: the real certificate on the device, and a check that shows
/// who issued what the port presents.
fn interception_fix(
    ctx: &Ctx<'_>,
    appliance: &Appliance,
    names: &[String],
    ours: Option<OurSide>,
) -> crate::diagnose::Fix {
    let safe: Vec<String> = names.iter().filter_map(|n| safe_name(n)).collect();
    let names_text = if safe.is_empty() {
        "the mail host's name".to_string()
    } else {
        safe.join(", ")
    };
    let sni = ctx.obs.sni.as_deref().and_then(safe_name);
    let check = generic::show_issuer_and_aia(
        &ctx.obs.endpoint.address.to_string(),
        ctx.obs.endpoint.tls_mode == TlsMode::Starttls,
        sni.as_deref(),
    );
    cisco::appliance_certificate(&cisco::Interception {
        vendor: appliance.vendor,
        device: appliance.device,
        names: &names_text,
        check: &check,
        exchange: ctx.kind == ServerKind::Exchange,
        ours,
    })
}

/// When the intercepting device is on the probe's side (a warning, see [`interception`]),
/// the certificate findings describe that device's certificate, not the server's: they must
/// not fail the server. They become warnings and say so.
pub(crate) fn soften_symptoms(findings: &mut [Finding]) {
    let Some(interception) = findings
        .iter()
        .find(|f| f.code == Code::TlsInterceptionSuspected)
        .map(|f| f.severity)
    else {
        return;
    };
    // Whichever side the device is on, the server's greeting name against the device's
    // certificate compares two different machines: a note, never a connector change.
    for f in findings
        .iter_mut()
        .filter(|f| f.code == Code::CertEhloNameMismatch && f.severity > Severity::Info)
    {
        f.severity = Severity::Info;
        f.summary.push_str(
            " (the certificate seen is the device's in front of the server: see tls-interception-suspected)",
        );
    }
    if interception != Severity::Warn {
        return;
    }
    for f in findings
        .iter_mut()
        .filter(|f| f.code.as_str().starts_with("cert-") && f.severity == Severity::Fail)
    {
        f.severity = Severity::Warn;
        f.summary
            .push_str(" (the certificate seen is the intercepting device's, not the server's)");
    }
}

#[cfg(test)]
#[path = "middlebox_tests.rs"]
mod tests;
