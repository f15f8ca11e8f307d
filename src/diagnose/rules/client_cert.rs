//! Client authentication: whether the server asked for a client certificate, what became of
//! ours (`--client-cert`), and the certificate we present judged as a receiver would judge it
//! (names the receiver matches, dates, chain, Extended Key Usage).
//!
//! The certificate's own findings are about our file, not the server: they are raised on every
//! endpoint whose handshake got as far as the server's certificate (where a certificate could
//! have been asked for), with the same words, so the merge of shared findings
//! (`diagnose/merge.rs`) says them once for all those endpoints.
//!
//! # References
//! - RFC 5246 §7.4.4, §7.4.6 (CertificateRequest, the client's Certificate in TLS 1.2)
//! - RFC 8446 §4.3.2, §4.4.2.4 (TLS 1.3: the server judges the client's certificate after its
//!   own Finished, so a refusal comes as an alert on the client's first read)
//! - RFC 5280 §4.1.2.5 (validity), §4.2.1.12 (Extended Key Usage: clientAuth)
//! - Microsoft Learn, "Set-InboundConnector" (`-TlsSenderCertificateName`)

use crate::cert::{CertInfo, NameMatch, name_match};
use crate::diagnose::catalogue::Code;
use crate::diagnose::fixes::client_cert as fixes;
use crate::diagnose::{Ctx, Finding, OurClientCert, Severity};
use crate::model::{ClientAuth, ClientCertOutcome};
use crate::tls::{TrustFailure, TrustResult};

/// The most CA names an evidence line lists (Exchange sends the whole Windows root store).
const MAX_CA_NAMES: usize = 8;

/// Every client-authentication finding of one endpoint.
pub(crate) fn rules(ctx: &Ctx<'_>) -> Vec<Finding> {
    let Some(auth) = ctx.obs.client_auth.as_ref() else {
        return Vec::new();
    };
    let ours = ctx.policy.client_cert.as_deref();
    let leaf = ours.and_then(|o| {
        o.chain
            .first()
            .and_then(|der| CertInfo::parse(der, ctx.now).ok())
    });
    let mut out = Vec::new();
    out.extend(exchange(ctx, auth, ours, leaf.as_ref()));
    if let (Some(ours), Some(leaf)) = (ours, leaf.as_ref()) {
        out.extend(our_certificate(ctx, ours, leaf));
    }
    out
}

/// `CN=Corp CA; CN=Other CA and 3 more`, or "any CA (the request lists no names)".
fn ca_names_line(names: &[String]) -> String {
    if names.is_empty() {
        return "CA names in the request: none (any certificate)".into();
    }
    let shown: Vec<&str> = names
        .iter()
        .take(MAX_CA_NAMES)
        .map(String::as_str)
        .collect();
    let more = names.len().saturating_sub(MAX_CA_NAMES);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!("CA names in the request: {}{more}", shown.join("; "))
}

/// `CN=relay.contoso.com (from /etc/ssl/relay.pem)`.
fn ours_line(ours: &OurClientCert, leaf: Option<&CertInfo>) -> String {
    let subject = leaf.map_or("an unreadable certificate", |l| l.subject.as_str());
    format!("ours: {subject} (from {})", ours.source)
}

/// The request and what became of ours.
fn exchange(
    ctx: &Ctx<'_>,
    auth: &ClientAuth,
    ours: Option<&OurClientCert>,
    leaf: Option<&CertInfo>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if !auth.requested {
        if let Some(ours) = ours {
            out.push(ctx.finding(
                Code::ClientCertNotRequested,
                "the server did not ask for a client certificate, so ours was not sent".into(),
                vec![ours_line(ours, leaf)],
                fixes::not_requested(),
            ));
        }
        return out;
    }
    let mut asked = vec![ca_names_line(&auth.acceptable_ca_names)];
    if auth.presented && auth.outcome == ClientCertOutcome::Unknown {
        asked.push(format!(
            "ours was sent; whether the server accepted it is not known: {}",
            auth.detail
                .as_deref()
                .unwrap_or("the session ended before the server answered over TLS")
        ));
    }
    out.push(ctx.finding(
        Code::ClientCertRequested,
        "the server asks for a client certificate".into(),
        asked,
        fixes::requested(auth.presented),
    ));
    let Some(ours) = ours.filter(|_| auth.presented) else {
        return out;
    };
    match auth.outcome {
        ClientCertOutcome::Accepted | ClientCertOutcome::AcceptedAfterEhlo => {
            let how = if auth.outcome == ClientCertOutcome::Accepted {
                "TLS 1.2: the handshake completed after the server checked it"
            } else {
                "TLS 1.3: known after EHLO over TLS was answered (the server judges a client certificate after its own Finished, RFC 8446 §4.4.2.4)"
            };
            let mut evidence = vec![ours_line(ours, leaf), how.into()];
            let summary = if issuer_listed(ours, &auth.acceptable_ca_names) == Some(false) {
                evidence.push(ca_names_line(&auth.acceptable_ca_names));
                NOT_VERIFIED.into()
            } else {
                "the server accepted the client certificate we presented".into()
            };
            out.push(ctx.finding(
                Code::ClientCertAccepted,
                summary,
                evidence,
                fixes::accepted_name_checked(!ours.names.is_empty()),
            ));
        }
        ClientCertOutcome::Refused => {
            let mut evidence = vec![ours_line(ours, leaf)];
            if let Some(d) = &auth.detail {
                evidence.push(d.clone());
            }
            evidence.push(ca_names_line(&auth.acceptable_ca_names));
            if let Some(line) = issuer_not_listed(ours, &auth.acceptable_ca_names) {
                evidence.push(line);
            }
            out.push(ctx.finding(
                Code::ClientCertRefused,
                "the server refused the client certificate we presented".into(),
                evidence,
                fixes::refused(None),
            ));
        }
        _ => {}
    }
    out
}

/// A server that went on after ours was sent, when its CA names do not include our issuer:
/// it did not verify ours (it only asks), so acceptance says nothing about trust.
const NOT_VERIFIED: &str = "the server went on, but our issuer is not among the CA names it accepts: it did not verify it (a server that only asks does not refuse)";

/// The issuers of the certificates in our chain.
fn chain_issuers(ours: &OurClientCert) -> Vec<String> {
    ours.chain
        .iter()
        .filter_map(|der| x509_parser::parse_x509_certificate(der).ok())
        .map(|(_, x)| crate::cert::dn_string(x.issuer(), false))
        .collect()
}

/// Whether our leaf's issuer (or any CA in our chain) is among the request's CA names;
/// `None` when the request lists none.
fn issuer_listed(ours: &OurClientCert, names: &[String]) -> Option<bool> {
    if names.is_empty() {
        return None;
    }
    let subjects = ours
        .chain
        .iter()
        .skip(1)
        .filter_map(|der| x509_parser::parse_x509_certificate(der).ok())
        .map(|(_, x)| crate::cert::dn_string(x.subject(), false));
    let mut ours_named = chain_issuers(ours).into_iter().chain(subjects);
    Some(ours_named.any(|n| names.contains(&n)))
}

/// When the request lists CA names and no certificate of our chain names one of them as its
/// issuer: the likely reason for the refusal.
fn issuer_not_listed(ours: &OurClientCert, names: &[String]) -> Option<String> {
    if names.is_empty() {
        return None;
    }
    let issuers = chain_issuers(ours);
    let listed = issuers.iter().any(|i| names.contains(i));
    (!listed).then(|| {
        format!(
            "no certificate of ours is issued by one of those CAs (our chain's issuers: {})",
            issuers.join("; ")
        )
    })
}

/// The certificate we present, judged as a receiver judges it.
fn our_certificate(ctx: &Ctx<'_>, ours: &OurClientCert, leaf: &CertInfo) -> Vec<Finding> {
    let who = ours_line(ours, Some(leaf));
    let mut out = Vec::new();
    out.extend(our_validity(ctx, leaf, &who));
    out.extend(our_name_mismatches(ctx, ours, leaf, &who));
    out.extend(our_no_client_auth(ctx, leaf, &who));
    if let Some(t) = &ours.trust {
        out.extend(our_untrusted(ctx, ours, t, who));
    }
    // A server that did not ask never saw ours: what is wrong with it matters to the
    // receivers that ask (those it is meant for), not to this server's verdict, or every
    // healthy receiver checked with --client-cert would warn or fail (new-user trial).
    if !ctx.obs.client_auth.as_ref().is_some_and(|a| a.requested) {
        for f in &mut out {
            f.severity = Severity::Info;
            f.summary.push_str(
                "; this server did not ask for a client certificate, so ours was not sent here",
            );
        }
    }
    out
}

/// client-cert-expired (outside its validity period, RFC 5280 §4.1.2.5) or
/// client-cert-expires-soon (within `--warn-days`).
fn our_validity(ctx: &Ctx<'_>, leaf: &CertInfo, who: &str) -> Option<Finding> {
    // Only a renewal keeps the issuer and subject, so only its fix names the certificate
    // on the send connector; a refused or wrong certificate is replaced by another.
    let tls_name = Some(leaf.exchange_tls_name.as_str());
    let not_yet = leaf.not_before_at > ctx.now;
    if leaf.expired || not_yet {
        let summary = if not_yet {
            format!(
                "the client certificate we present is not valid before {}",
                crate::cert::date(leaf.not_before_at)
            )
        } else {
            format!(
                "the client certificate we present expired on {}",
                crate::cert::date(leaf.not_after_at)
            )
        };
        Some(ctx.finding(
            Code::ClientCertExpired,
            summary,
            vec![
                who.to_string(),
                format!("valid {} to {}", leaf.not_before, leaf.not_after),
            ],
            fixes::renew(tls_name, true),
        ))
    } else if leaf.days_left < ctx.policy.warn_days {
        Some(ctx.finding(
            Code::ClientCertExpiresSoon,
            format!(
                "the client certificate we present expires in {} day{}, on {}",
                leaf.days_left,
                if leaf.days_left == 1 { "" } else { "s" },
                crate::cert::date(leaf.not_after_at)
            ),
            vec![
                who.to_string(),
                format!("--warn-days {}", ctx.policy.warn_days),
            ],
            fixes::renew(tls_name, false),
        ))
    } else {
        None
    }
}

/// client-cert-name-mismatch, one per name the receiver matches (`--client-cert-name`) that
/// our certificate does not cover (as Exchange matches it, see [`covers`]).
fn our_name_mismatches(
    ctx: &Ctx<'_>,
    ours: &OurClientCert,
    leaf: &CertInfo,
    who: &str,
) -> Vec<Finding> {
    let der = ours.chain.first().map_or(&[][..], Vec::as_slice);
    ours.names
        .iter()
        .filter(|name| !covers(der, leaf, name))
        .map(|name| {
            ctx.finding(
                Code::ClientCertNameMismatch,
                format!("the client certificate we present does not cover {name}, the name the receiver matches"),
                vec![
                    who.to_string(),
                    if leaf.names().is_empty() {
                        "the certificate names no host".into()
                    } else {
                        format!("names on it: {}", leaf.names_shown())
                    },
                    format!("--client-cert-name {name}"),
                ],
                fixes::name_mismatch(name, &leaf.names(), None),
            )
        })
        .collect()
}

/// client-cert-no-client-auth: an Extended Key Usage without clientAuth (RFC 5280
/// §4.2.1.12); no Extended Key Usage at all allows any use.
fn our_no_client_auth(ctx: &Ctx<'_>, leaf: &CertInfo, who: &str) -> Option<Finding> {
    let e = leaf
        .extended_key_usage
        .as_deref()
        .filter(|_| !leaf.allows_client_auth())?;
    Some(ctx.finding(
        Code::ClientCertNoClientAuth,
        "the client certificate we present is not for client authentication (its Extended Key Usage lacks clientAuth)".into(),
        vec![who.to_string(), format!("Extended Key Usage: {}", e.join(", "))],
        fixes::no_client_auth(None),
    ))
}

/// client-cert-untrusted: our chain leads to no root trusted here, for a reason other than
/// the usage or the dates; its severity and words follow what this server made of it (see
/// [`untrusted_summary`]).
fn our_untrusted(
    ctx: &Ctx<'_>,
    ours: &OurClientCert,
    t: &TrustResult,
    who: String,
) -> Option<Finding> {
    // The usage and the dates have findings of their own; no roots here is said once
    // for the run (local-trust-store-missing).
    let other_reason = !matches!(
        t.failure,
        Some(TrustFailure::WrongUsage | TrustFailure::NoRoots)
    );
    if t.trusted || !other_reason {
        return None;
    }
    let (severity, summary) = untrusted_summary(ctx, ours);
    let names = ctx
        .obs
        .client_auth
        .as_ref()
        .map_or(&[][..], |a| a.acceptable_ca_names.as_slice());
    let why = untrusted_why(ours, names);
    Some(ctx.finding_with(
        Code::ClientCertUntrusted,
        severity,
        summary,
        vec![
            who,
            t.reason
                .clone()
                .unwrap_or_else(|| "the chain does not lead to a trusted root".into()),
            format!("{} certificate(s) in the file", ours.chain.len()),
        ],
        fixes::untrusted(why, None),
    ))
}

/// The severity and summary of client-cert-untrusted: the catalogue's when the server did
/// not accept ours, INFO when it did, worded by whether its acceptance proves trust.
fn untrusted_summary(ctx: &Ctx<'_>, ours: &OurClientCert) -> (Severity, String) {
    // A server that accepted it trusts its issuer (a private CA it was given): not a
    // problem for this receiver, only for those that want a public CA (Exchange Online).
    let accepted = ctx.obs.client_auth.as_ref().filter(|a| {
        matches!(
            a.outcome,
            ClientCertOutcome::Accepted | ClientCertOutcome::AcceptedAfterEhlo
        )
    });
    // Acceptance proves trust only when the server names our issuer among the CAs it
    // accepts; a server that only asks goes on without verifying.
    let listed = accepted.map(|a| issuer_listed(ours, &a.acceptable_ca_names));
    match listed {
        Some(Some(true)) => (
            Severity::Info,
            "the client certificate we present does not chain to a root trusted here, but this server accepted it: it trusts the issuer (among the CA names it accepts); receivers that require a public CA (Exchange Online) would not".to_string(),
        ),
        Some(Some(false)) => (
            Severity::Info,
            format!("the client certificate we present does not chain to a root trusted here; {NOT_VERIFIED}"),
        ),
        Some(None) => (
            Severity::Info,
            "the client certificate we present does not chain to a root trusted here; the server went on with it, which does not say it verified it (its request names no CA, and a server that only asks does not refuse)".to_string(),
        ),
        None => (
            Code::ClientCertUntrusted.default_severity(),
            "the client certificate we present does not chain to a root trusted here for client authentication".to_string(),
        ),
    }
}

/// Why ours does not chain: self-signed, issued by a CA (that the server names, or whose
/// self-signed root we present) not trusted here, or an issuer absent from our file.
fn untrusted_why(ours: &OurClientCert, names: &[String]) -> fixes::Untrusted {
    let parsed: Vec<_> = ours
        .chain
        .iter()
        .filter_map(|der| x509_parser::parse_x509_certificate(der).ok())
        .map(|(_, x)| {
            (
                crate::cert::dn_string(x.subject(), false),
                crate::cert::dn_string(x.issuer(), false),
            )
        })
        .collect();
    let Some((subject, issuer)) = parsed.first() else {
        return fixes::Untrusted::IssuerMissing;
    };
    if subject == issuer && !parsed.iter().skip(1).any(|(s, _)| s == issuer) {
        return fixes::Untrusted::SelfSigned;
    }
    let root_in_file = parsed.iter().skip(1).any(|(s, i)| s == i);
    if root_in_file || names.contains(issuer) {
        fixes::Untrusted::RootNotTrusted
    } else {
        fixes::Untrusted::IssuerMissing
    }
}

/// Whether our certificate covers `name`. Exchange matches TlsSenderCertificateName
/// against the subject as well as the subjectAltNames, so a CN-only match counts here; a
/// wildcard name must be on the certificate as that very wildcard.
fn covers(der: &[u8], leaf: &CertInfo, name: &str) -> bool {
    if name.starts_with("*.") {
        return leaf.names().iter().any(|n| n.eq_ignore_ascii_case(name));
    }
    matches!(
        name_match(der, leaf, name),
        NameMatch::Covered | NameMatch::CommonNameOnly
    )
}

/// Whether the certificate we present covers `name` (the hint on cert-expected-name-mismatch
/// when `--expect-name` was likely meant for our certificate).
pub(crate) fn ours_covers(ours: &OurClientCert, name: &str, now: time::OffsetDateTime) -> bool {
    let Some(der) = ours.chain.first() else {
        return false;
    };
    CertInfo::parse(der, now).is_ok_and(|leaf| covers(der, &leaf, name))
}
