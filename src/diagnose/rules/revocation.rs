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
use crate::revocation::{CertRevocation, CrlCheck, RevocationObservation, stamp_text};

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

/// `e`'s revocation findings.
pub fn rules(e: &Evidence, policy: &Policy, now: OffsetDateTime) -> Vec<Finding> {
    let Some(r) = e.obs.revocation.as_ref() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for c in &r.certificates {
        for check in &c.crls {
            out.extend(crl_findings(e, c, check, now));
        }
        if let Some(f) = ldap_only(e, c) {
            out.push(f);
        }
    }
    out.extend(staple_revoked(e, r));
    out.extend(none(e, r, policy));
    out
}

/// One distribution point: revoked (RFC 5280 §6.3.3 (i)), unreachable, invalid (§6.3.3 (b),
/// (f)), or stale (§5.1.2.5).
fn crl_findings(
    e: &Evidence,
    c: &CertRevocation,
    check: &CrlCheck,
    now: OffsetDateTime,
) -> Vec<Finding> {
    let url = &check.url;
    let mut out = Vec::new();
    if let Some(fetch) = &check.fetch
        && let Some(error) = &fetch.error
    {
        let mut ev = vec![format!("CRL distribution point of {}: {url}", which(c))];
        ev.push(format!("fetch: {error} after {} ms", fetch.elapsed_ms));
        if check.scheme == Scheme::Https {
            ev.push("the URL is https: Windows fetches CRLs over http, and the CRL's own check cannot depend on a TLS certificate".into());
        }
        ev.push("Exchange shows such a certificate as RevocationCheckFailure (Get-ExchangeCertificate Status)".into());
        out.push(finding(
            e,
            Code::CrlUnreachable,
            Severity::Warn,
            format!(
                "the CRL of {} cannot be fetched from {url}: {error}",
                which(c)
            ),
            ev,
            fixes::unreachable(e.kind, url, error),
        ));
        return out;
    }
    if let Some(why) = &check.invalid {
        out.push(finding(
            e,
            Code::CrlInvalid,
            Severity::Warn,
            format!(
                "the CRL distribution point {url} of {} serves no CRL: {why}",
                which(c)
            ),
            vec![
                format!("CRL distribution point of {}: {url}", which(c)),
                why.clone(),
            ],
            fixes::invalid(url, why),
        ));
        return out;
    }
    let Some(crl) = &check.crl else {
        return out;
    };
    let mut ev = vec![
        format!("CRL distribution point of {}: {url}", which(c)),
        format!(
            "CRL issuer {}, thisUpdate {}, nextUpdate {}, {} entries{}",
            crl.issuer,
            stamp_text(crl.this_update.0),
            crl.next_update.map_or("none".into(), |n| stamp_text(n.0)),
            crl.entries,
            if crl.encoding == crate::revocation::crl::Encoding::Pem {
                ", PEM (irregular: RFC 5280 §4.2.1.13 says DER)"
            } else {
                ""
            }
        ),
    ];
    if let Some(kind) = &crl.unsupported {
        ev.push(format!("a {kind}: not judged by this tool"));
        return out;
    }
    let bad_signature = match &crl.signature {
        Signature::Invalid(why) => Some(format!(
            "its signature does not verify with the issuing CA's key ({why})"
        )),
        _ if !crl.issuer_matches => Some(format!(
            "it is the CRL of {}, not of the certificate's issuer",
            crl.issuer
        )),
        _ => None,
    };
    if let Some(why) = bad_signature {
        ev.push(why.clone());
        out.push(finding(
            e,
            Code::CrlInvalid,
            Severity::Warn,
            format!("the CRL at {url} for {} is invalid: {why}", which(c)),
            ev,
            fixes::invalid(url, &why),
        ));
        return out;
    }
    if let Some(rev) = &crl.revoked {
        // Revoked only on a CRL whose signature verified: a listing on a CRL that cannot be
        // checked is evidence, not proof (a FAIL that is not true is a defect).
        let checked = crl.signature == Signature::Valid;
        let reason = rev
            .reason
            .clone()
            .unwrap_or_else(|| "no reason given".into());
        ev.push(format!(
            "serial {} is listed: revoked at {} ({reason})",
            c.serial,
            stamp_text(rev.date.0)
        ));
        if !checked {
            ev.push("the CRL's signature could not be checked: the issuing CA's certificate is neither sent nor a trusted root here".into());
        }
        out.push(finding(
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
        ));
        return out;
    }
    let next = crl.next_update.map(|n| n.0);
    if next.is_none_or(|n| n < now.unix_timestamp()) {
        let due = next.map_or(
            "(no nextUpdate, which RFC 5280 §5.1.2.5 requires)".into(),
            stamp_text,
        );
        out.push(finding(
            e,
            Code::CrlStale,
            Severity::Warn,
            format!(
                "the CRL at {url} for {} is stale: it was due to be replaced at {due}",
                which(c)
            ),
            ev,
            fixes::stale(url, &due),
        ));
    }
    out
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
