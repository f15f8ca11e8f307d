//! Revocation rules: a revoked certificate, a CRL that senders cannot fetch, one that is
//! stale or invalid, a certificate without a CRL distribution point; a stapled OCSP response.
//!
//! Pure: the revocation phase's data (`Observation.revocation`) and `now` in, findings out.
//!
//! # References
//! - RFC 5280 §4.2.1.13 (CRL distribution points), §5.1.2.4-5 (thisUpdate, nextUpdate),
//!   §5.3.1 (reason codes), §6.3.3 (CRL processing: issuer, signature, serial lookup)
//! - RFC 6960 §2.2 (OCSP certificate status)

use time::OffsetDateTime;

use crate::diagnose::fixes::revocation as fixes;
use crate::diagnose::{Code, Finding, Fix, Policy, Severity};
use crate::evidence::Evidence;
use crate::revocation::crl::{Scheme, Signature};
use crate::revocation::{
    CertRevocation, CrlCheck, RevocationObservation, Verdict, entries, stamp_text,
};

fn finding(
    e: &Evidence,
    code: Code,
    sev: Severity,
    summary: String,
    ev: Vec<String>,
    fix: Fix,
) -> Finding {
    Finding::new(
        code,
        sev,
        e.label.clone(),
        vec![e.id.clone()],
        summary,
        ev,
        fix,
    )
}

fn which(c: &CertRevocation) -> String {
    if c.position == 0 {
        format!("the server's certificate {}", c.subject)
    } else {
        format!("intermediate #{} {}", c.position, c.subject)
    }
}

/// `e`'s revocation findings: at most one per code (several distribution points or
/// certificates are merged into one finding's evidence).
pub fn rules(e: &Evidence, policy: &Policy, now: OffsetDateTime) -> Vec<Finding> {
    let Some(r) = e.obs.revocation.as_ref() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for c in &r.certificates {
        out.extend(certificate_findings(e, c, now));
    }
    out.extend(staple_revoked(e, r));
    out.extend(none(e, r, policy));
    merge(out)
}

/// One finding per code: the most severe first, the others' summaries, evidence and fixes
/// after it.
fn merge(found: Vec<Finding>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    let mut by_code: Vec<Vec<Finding>> = Vec::new();
    for f in found {
        match by_code.iter_mut().find(|g| g[0].code == f.code) {
            Some(g) => g.push(f),
            None => by_code.push(vec![f]),
        }
    }
    for mut group in by_code {
        group.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let mut first = group.remove(0);
        if group.is_empty() {
            out.push(first);
            continue;
        }
        first.summary = format!(
            "{} (and {} more: {})",
            first.summary,
            group.len(),
            group
                .iter()
                .map(|f| f.summary.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        );
        for f in group {
            first.evidence.extend(f.evidence);
            first.fix = first.fix.followed_by(f.fix);
        }
        out.push(first);
    }
    out
}

/// One certificate over all its distribution points, judged as clients do (RFC 5280 §6.3.3:
/// they try the points in turn and use the first valid, current CRL):
/// - a CRL with a verified signature lists it: revoked (FAIL; WARN when the signature could
///   not be checked), and nothing else is said about this certificate;
/// - one point serves a good CRL: revocation can be checked; the points that failed cost
///   time for clients that try them first: INFO, one finding per kind;
/// - none does: each failed point is a WARN (unreachable, invalid, stale), unless the run's
///   `--deadline` ended a fetch: then what that point would have given is not known and the
///   others are INFO; a point the deadline ended is no finding (the certificate's `summary`
///   says it was not checked).
fn certificate_findings(e: &Evidence, c: &CertRevocation, now: OffsetDateTime) -> Vec<Finding> {
    let now = now.unix_timestamp();
    let verdicts: Vec<Verdict> = c.crls.iter().map(|k| k.verdict(now)).collect();
    if let Some(i) = verdicts
        .iter()
        .position(|v| *v == Verdict::Revoked { checked: true })
        .or_else(|| {
            verdicts
                .iter()
                .position(|v| matches!(v, Verdict::Revoked { .. }))
        })
    {
        return revoked(e, c, &c.crls[i]).into_iter().collect();
    }
    let good = c
        .crls
        .iter()
        .zip(&verdicts)
        .find(|(_, v)| **v == Verdict::Good);
    let cut = verdicts.contains(&Verdict::Cut);
    let sev = if good.is_some() || cut {
        Severity::Info
    } else {
        Severity::Warn
    };
    let mut out = Vec::new();
    let unreachable: Vec<(&CrlCheck, &str)> = c
        .crls
        .iter()
        .zip(&verdicts)
        .filter_map(|(k, v)| match v {
            Verdict::Unreachable(words) => Some((k, words.as_str())),
            _ => None,
        })
        .collect();
    if !unreachable.is_empty() {
        out.push(unreachable_finding(
            e,
            c,
            &unreachable,
            good.map(|(k, _)| k),
            cut,
            sev,
        ));
    }
    for (k, v) in c.crls.iter().zip(&verdicts) {
        match v {
            Verdict::Invalid(why) => {
                out.push(invalid_finding(e, c, k, why, good.map(|(g, _)| g), sev))
            }
            Verdict::Stale(due) => out.push(stale_finding(e, c, k, due, good.map(|(g, _)| g), sev)),
            _ => {}
        }
    }
    out.extend(ldap_only(e, c));
    out
}

/// The evidence line that names a point.
fn point(c: &CertRevocation, url: &str) -> String {
    format!("CRL distribution point of {}: {url}", which(c))
}

/// The CRL's own facts, as evidence.
fn crl_line(check: &CrlCheck) -> Option<String> {
    let crl = check.crl.as_ref()?;
    Some(format!(
        "CRL issuer {}, thisUpdate {}, nextUpdate {}, {}{}",
        crl.issuer,
        stamp_text(crl.this_update.0),
        crl.next_update.map_or("none".into(), |n| stamp_text(n.0)),
        entries(crl.entries),
        if crl.encoding == crate::revocation::crl::Encoding::Pem {
            ", PEM (irregular: RFC 5280 §4.2.1.13 says DER)"
        } else {
            ""
        }
    ))
}

/// The sentence that says another point serves the CRL, so clients can still check.
fn served_elsewhere(good: &CrlCheck) -> String {
    format!(
        "{} serves a valid current CRL: clients that check revocation move on to it, so the certificate can be checked; a client that tries the failing point first waits for it before moving on",
        good.url
    )
}

/// The points of `c` that could not be fetched (RFC 5280 §4.2.1.13), in one finding.
fn unreachable_finding(
    e: &Evidence,
    c: &CertRevocation,
    points: &[(&CrlCheck, &str)],
    good: Option<&CrlCheck>,
    cut: bool,
    sev: Severity,
) -> Finding {
    let mut ev = Vec::new();
    for (k, words) in points {
        ev.push(point(c, &k.url));
        let ms = k.fetch.as_ref().map_or(0, |f| f.elapsed_ms);
        ev.push(format!("{} {words} (after {ms} ms)", k.url));
        if k.scheme == Scheme::Https {
            ev.push("the URL is https: Windows fetches CRLs over http, and the CRL's own check cannot depend on a TLS certificate".into());
        }
    }
    let listed: Vec<String> = points
        .iter()
        .map(|(k, words)| format!("{} {words}", k.url))
        .collect();
    let summary = match good {
        Some(g) => {
            ev.push(served_elsewhere(g));
            format!(
                "{} CRL distribution point{} of {} cannot be fetched, but {} serves the CRL: {}",
                points.len(),
                if points.len() == 1 { "" } else { "s" },
                which(c),
                g.url,
                listed.join("; ")
            )
        }
        None => {
            if cut {
                ev.push("another distribution point was not checked: the run's --deadline ended its fetch".into());
            } else {
                ev.push("Exchange shows such a certificate as RevocationCheckFailure (Get-ExchangeCertificate Status)".into());
            }
            format!(
                "the CRL of {} cannot be fetched: {}",
                which(c),
                listed.join("; ")
            )
        }
    };
    let urls: Vec<(&str, &str)> = points.iter().map(|(k, w)| (k.url.as_str(), *w)).collect();
    finding(
        e,
        Code::CrlUnreachable,
        sev,
        summary,
        ev,
        fixes::unreachable(e.kind, &urls, good.map(|g| g.url.as_str())),
    )
}

/// A point that serves no valid CRL of the issuer (RFC 5280 §6.3.3 (b), (f)).
fn invalid_finding(
    e: &Evidence,
    c: &CertRevocation,
    k: &CrlCheck,
    why: &str,
    good: Option<&CrlCheck>,
    sev: Severity,
) -> Finding {
    let mut ev = vec![point(c, &k.url)];
    ev.extend(crl_line(k));
    ev.push(why.to_string());
    ev.extend(good.map(served_elsewhere));
    finding(
        e,
        Code::CrlInvalid,
        sev,
        format!(
            "the CRL distribution point {} of {} serves no valid CRL: {why}",
            k.url,
            which(c)
        ),
        ev,
        fixes::invalid(&k.url, why),
    )
}

/// A point whose CRL is past its nextUpdate (RFC 5280 §5.1.2.5).
fn stale_finding(
    e: &Evidence,
    c: &CertRevocation,
    k: &CrlCheck,
    due: &str,
    good: Option<&CrlCheck>,
    sev: Severity,
) -> Finding {
    let mut ev = vec![point(c, &k.url)];
    ev.extend(crl_line(k));
    ev.extend(good.map(served_elsewhere));
    finding(
        e,
        Code::CrlStale,
        sev,
        format!(
            "the CRL at {} for {} is stale: it was due to be replaced at {due}",
            k.url,
            which(c)
        ),
        ev,
        fixes::stale(&k.url, due),
    )
}

/// The certificate is listed on `check`'s CRL (RFC 5280 §6.3.3 (i)): FAIL only when the
/// CRL's signature verified (a listing on a CRL that cannot be checked is evidence, not
/// proof: a FAIL that is not true is a defect).
fn revoked(e: &Evidence, c: &CertRevocation, check: &CrlCheck) -> Option<Finding> {
    let crl = check.crl.as_ref()?;
    let rev = crl.revoked.as_ref()?;
    let url = &check.url;
    let checked = crl.signature == Signature::Valid;
    let reason = rev
        .reason
        .clone()
        .unwrap_or_else(|| "no reason given".into());
    let mut ev = vec![point(c, url)];
    ev.extend(crl_line(check));
    ev.push(format!(
        "serial {} is listed: revoked at {} ({reason})",
        c.serial,
        stamp_text(rev.date.0)
    ));
    if !checked {
        ev.push("the CRL's signature could not be checked: the issuing CA's certificate is neither sent nor a trusted root here".into());
    }
    Some(finding(
        e,
        Code::CertRevoked,
        if checked {
            Severity::Fail
        } else {
            Severity::Warn
        },
        format!(
            "{} is revoked: listed on {url} since {} ({reason})",
            which(c),
            stamp_text(rev.date.0)
        ),
        ev,
        fixes::revoked(&c.subject),
    ))
}

/// Every distribution point of `c` is LDAP (and none http): external senders cannot fetch it.
fn ldap_only(e: &Evidence, c: &CertRevocation) -> Option<Finding> {
    let ldap = c.crls.iter().filter(|k| k.scheme == Scheme::Ldap).count();
    let fetchable = c
        .crls
        .iter()
        .any(|k| matches!(k.scheme, Scheme::Http | Scheme::Https));
    if ldap == 0 || fetchable {
        return None;
    }
    let urls: Vec<String> = c.crls.iter().map(|k| k.url.clone()).collect();
    Some(finding(
        e,
        Code::CrlUnreachable,
        Severity::Warn,
        format!(
            "the CRL of {} is published only over LDAP: unreachable for external senders such as Exchange Online",
            which(c)
        ),
        vec![
            format!("CRL distribution points: {}", urls.join(", ")),
            "LDAP is answered by the organisation's directory only; Exchange shows RevocationCheckFailure where it cannot read the CRL".into(),
        ],
        fixes::ldap_only(&c.subject),
    ))
}

/// A stapled response that says revoked, about the leaf (RFC 6960 §2.2).
fn staple_revoked(e: &Evidence, r: &RevocationObservation) -> Option<Finding> {
    let s = r.staple.as_ref()?;
    let resp = s.response.as_ref()?;
    if resp.cert_status.as_deref() != Some("revoked") || s.serial_matches != Some(true) {
        return None;
    }
    let at = resp
        .revoked_at
        .map_or("an unstated time".into(), |t| stamp_text(t.0));
    let reason = resp
        .reason
        .clone()
        .unwrap_or_else(|| "no reason given".into());
    let subject = e.chain.first().map_or(String::new(), |c| c.subject.clone());
    Some(finding(
        e,
        Code::CertRevoked,
        Severity::Fail,
        format!(
            "the server's certificate {subject} is revoked: its own stapled OCSP response says so (revoked at {at}, {reason})"
        ),
        vec![
            format!(
                "stapled OCSP response ({} bytes): certStatus revoked, serial {}",
                s.bytes,
                resp.serial.clone().unwrap_or_default()
            ),
            "the response's signature was not verified".into(),
        ],
        fixes::revoked(&subject),
    ))
}

/// The leaf names no CRL distribution point nor OCSP responder (RFC 5280 §4.2.1.13).
///
/// Said only for a chain trusted without `--ca-file`, that is one from a public CA: the
/// CA/Browser Forum requires public CAs to name a CRL or OCSP location, so the absence is
/// worth a line there. A private CA (and every certificate the tests make with rcgen) often
/// has none, and saying so on every healthy private chain would drown the report.
fn none(e: &Evidence, r: &RevocationObservation, policy: &Policy) -> Option<Finding> {
    let leaf = r.certificates.iter().find(|c| c.position == 0)?;
    if !leaf.crls.is_empty() || !leaf.ocsp_urls.is_empty() || !e.trusted || policy.extra_roots {
        return None;
    }
    Some(finding(
        e,
        Code::CrlNone,
        Severity::Info,
        format!(
            "{} names no CRL distribution point and no OCSP responder",
            which(leaf)
        ),
        vec![format!(
            "serial {}: no cRLDistributionPoints, no AIA OCSP",
            leaf.serial
        )],
        fixes::none(&leaf.subject),
    ))
}

#[cfg(test)]
#[path = "revocation_tests.rs"]
mod tests;
