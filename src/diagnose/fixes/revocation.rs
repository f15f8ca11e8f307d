//! Fixes for the revocation findings: data, built from values the probe saw.
//!
//! A URL goes into a command only when every character is one of the plain URL characters
//! ([`safe_url`]); otherwise the command holds a placeholder and the prose names the URL
//! (escaped). The missing intermediate, once fetched from its CA Issuers URL, is named with
//! its fingerprint and installed with the family's own step.
//!
//! # References
//! - RFC 5280 §4.2.1.13 (CRL distribution points), §4.2.2.1 (CA Issuers), §5.1.2.5
//!   (nextUpdate), §6.3 (CRL validation)
//! - Exchange Team blog, 2010, "EMC and certificates with failed revocation checks in
//!   Exchange 2010" (WinHTTP proxy, firewall)
//! - Microsoft Learn, `certutil -CRL`; AD CS "Configure CDP and AIA extensions"

use crate::diagnose::fix::{Family, Fix, Shell};
use crate::evidence::ServerKind;

fn fix(family: Family, template: &'static str, values: &[&str]) -> Fix {
    Fix::new(family, template, values)
}

/// `url` when it holds only characters safe in a single-quoted PowerShell string and a
/// POSIX shell's single quotes (letters, digits, `-._~:/?=&%+@`), else `None`.
pub fn safe_url(url: &str) -> Option<&str> {
    let ok = url.len() <= 2048
        && (url.starts_with("http://") || url.starts_with("https://"))
        && url
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~:/?=&%+@".contains(&b));
    ok.then_some(url)
}

/// The certificate is revoked: only a new certificate helps.
pub fn revoked(subject: &str) -> Fix {
    fix(Family::Generic, "revocation::revoked", &[subject]).say(format!(
        "The CA revoked {subject}: every sender that checks revocation refuses it, and no server setting changes that. \
         Request a new certificate (with a new key if the reason was keyCompromise), install it, and remove the revoked one."
    ))
}

/// The CRL distribution points `points` (URL, what became of the fetch in words that follow
/// the URL) cannot be fetched. `served_by`: another point of the certificate serves a valid
/// CRL, so clients can still check (they try the points in turn); else senders that check
/// revocation cannot judge the certificate. Then: check from the server that the URL answers.
pub fn unreachable(kind: ServerKind, points: &[(&str, &str)], served_by: Option<&str>) -> Fix {
    let first = points.first().map_or("", |(u, _)| *u);
    let shown = safe_url(first).unwrap_or("<the CRL URL>");
    let facts: Vec<String> = points
        .iter()
        .map(|(u, w)| format!("The CRL distribution point {u} {w}."))
        .collect();
    let mut values: Vec<&str> = Vec::new();
    for (u, w) in points {
        values.push(u);
        values.push(w);
    }
    let consequence = match served_by {
        Some(good) => format!(
            " Clients that check revocation try the next distribution point, and {good} serves the CRL: the certificate can be checked, \
             but a client that tries the failing point first waits for it. Serve the CRL there too, or leave that URL out of the next certificate."
        ),
        None => " Senders that check revocation (Exchange, Windows) cannot judge the certificate; \
             Exchange shows the certificate's status as RevocationCheckFailure. The CA (or whoever hosts the URL) must serve the CRL there over plain http."
            .to_string(),
    };
    let base = fix(Family::Generic, "revocation::unreachable", &values)
        .say(format!("{}{consequence}", facts.join(" ")));
    match kind {
        ServerKind::Exchange | ServerKind::ExchangeOnline => base
            .followed_by(
                fix(Family::Exchange, "revocation::unreachable_exchange", &[shown])
                    .say("From the Exchange server, check that the CRL downloads and which proxy WinHTTP (the service that fetches CRLs) uses:")
                    .run(
                        Shell::WindowsPowerShell,
                        format!("Invoke-WebRequest -Uri '{shown}' -UseBasicParsing | Select-Object StatusCode, RawContentLength"),
                    )
                    .run(Shell::WindowsPowerShell, "netsh winhttp show proxy")
                    .say("If the download fails only from the server, let it through the firewall or proxy (`netsh winhttp set proxy` or `netsh winhttp import proxy source=ie`)."),
            ),
        _ => base.followed_by(
            fix(Family::Generic, "revocation::unreachable_check", &[shown])
                .say("Check the URL from a machine outside your network:")
                .run(Shell::Shell, format!("curl -sS -o /dev/null -w '%{{http_code}} %{{size_download}}\\n' '{shown}'")),
        ),
    }
}

/// The CA Issuers URL `url` of the top certificate could not be fetched (`words`: what
/// became of the fetch): the missing issuer cannot be named from here, so the usual steps
/// to tell a missing intermediate from a private root follow.
pub fn issuer_unfetched(url: &str, words: &str) -> Fix {
    fix(Family::Generic, "revocation::issuer_unfetched", &[url, words]).say(format!(
        "The certificate's CA Issuers URL {url} {words}, so this tool could not fetch the missing issuer to name it. \
         Tell a missing intermediate from a private root as below."
    ))
}

/// Every CRL distribution point of `subject` is LDAP: only machines in the directory read it.
pub fn ldap_only(subject: &str) -> Fix {
    fix(Family::Generic, "revocation::ldap_only", &[subject]).say(format!(
        "{subject} names its CRL only over LDAP (typical of Active Directory Certificate Services): external senders such as Exchange Online cannot read it. \
         The CA must publish an http CRL distribution point: on the AD CS CA, open the CA's Properties → Extensions tab, select \"CRL Distribution Point (CDP)\", \
         add an http:// location that is reachable from the Internet with \"Include in the CDP extension of issued certificates\" checked, \
         publish the CRL there, then reissue the certificate (the CDP is written into certificates when they are issued)."
    ))
}

/// The CRL at `url` is no valid CRL of the issuer (`why`).
pub fn invalid(url: &str, why: &str) -> Fix {
    fix(Family::Generic, "revocation::invalid", &[url, why]).say(format!(
        "The CRL distribution point {url} serves something senders cannot use: {why}. \
         Publish the CA's current CRL there unchanged, in DER (RFC 5280 §4.2.1.13), signed by the CA that issued the certificate."
    ))
}

/// The CRL at `url` is past its nextUpdate (`next`).
pub fn stale(url: &str, next: &str) -> Fix {
    fix(Family::Generic, "revocation::stale", &[url, next])
        .say(format!(
            "The CRL at {url} was due to be replaced at {next}: the CA stopped publishing, or a cache serves an old copy. \
             Senders that enforce freshness treat revocation as unknown. Publish a fresh CRL; on an AD CS CA:"
        ))
        .run(Shell::WindowsPowerShell, "certutil -CRL")
        .say("then copy the new CRL to the http location if it is not published there automatically, and check that the CA's CRL publication interval is shorter than its validity period.")
}

/// The certificate names no CRL distribution point nor OCSP responder.
pub fn none(subject: &str) -> Fix {
    fix(Family::Generic, "revocation::none", &[subject]).say(format!(
        "{subject} names no CRL distribution point and no OCSP responder, so senders cannot check whether it was revoked; \
         Exchange and Windows then report the revocation status as unknown. Ask the CA for a certificate with an http CRL distribution point."
    ))
}

/// The missing intermediate, fetched from its CA Issuers URL: named, and installed the way
/// the family does it. `der_file` is the file name the commands use.
pub struct Intermediate<'a> {
    /// Its subject.
    pub subject: &'a str,
    /// Its issuer.
    pub issuer: &'a str,
    /// SHA-256, colon-separated hex.
    pub sha256: &'a str,
    /// The CA Issuers URL it came from.
    pub url: &'a str,
}

/// The fix that names the intermediate, then the family's step.
pub fn install_intermediate(kind: ServerKind, i: &Intermediate<'_>) -> Fix {
    let shown = safe_url(i.url).unwrap_or("<the CA Issuers URL>");
    let head = fix(
        Family::Generic,
        "revocation::missing_intermediate",
        &[i.subject, i.issuer, i.sha256, i.url],
    )
    .say(format!(
        "The missing intermediate is {} (issued by {}, SHA-256 {}): the certificate's CA Issuers URL serves it at {}. \
         Send it after the server's certificate.",
        i.subject, i.issuer, i.sha256, i.url
    ));
    match kind {
        ServerKind::Exchange => head.followed_by(
            fix(Family::Exchange, "revocation::intermediate_exchange", &[shown])
                .say("On every Exchange server, download it and import it into the computer's Intermediate Certification Authorities store, then restart the transport service (Windows sends the chain it can build locally):")
                .run(Shell::WindowsPowerShell, format!("Invoke-WebRequest -Uri '{shown}' -OutFile $env:TEMP\\intermediate.crt -UseBasicParsing"))
                .run(Shell::WindowsPowerShell, "Import-Certificate -FilePath $env:TEMP\\intermediate.crt -CertStoreLocation Cert:\\LocalMachine\\CA")
                .run(Shell::ExchangeManagementShell, "Restart-Service MSExchangeFrontEndTransport, MSExchangeTransport"),
        ),
        ServerKind::Postfix => head.followed_by(
            fix(Family::Postfix, "revocation::intermediate_postfix", &[shown])
                .say("Append it, in PEM, to the file smtpd_tls_chain_files (or smtpd_tls_cert_file) names, after the server's certificate, then reload:")
                .run(Shell::PostfixShell, format!("curl -sS '{shown}' | openssl x509 -inform DER -outform PEM >> \"$(postconf -hx smtpd_tls_cert_file)\" && postfix reload")),
        ),
        _ => head.followed_by(
            fix(Family::Generic, "revocation::intermediate_download", &[shown])
                .say("Download it and convert it to PEM for servers that read PEM chain files:")
                .run(Shell::Shell, format!("curl -sS '{shown}' | openssl x509 -inform DER -outform PEM > intermediate.pem")),
        ),
    }
}

/// The fetched issuer leads to no trusted root: the issuer is not a public CA.
pub fn not_public(issuer: &str, url: &str) -> Fix {
    fix(Family::Generic, "revocation::not_public", &[issuer, url]).say(format!(
        "The certificate's CA Issuers URL ({url}) serves {issuer}, and that certificate leads to no trusted root: the issuer is not a public CA. \
         Public senders will not trust this chain, whatever the server sends."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_urls_reach_a_command() {
        assert_eq!(
            safe_url("http://crl.pki.test/a.crl"),
            Some("http://crl.pki.test/a.crl")
        );
        assert_eq!(safe_url("http://x/'; rm -rf /"), None);
        assert_eq!(safe_url("ldap:///CN=x"), None);
        assert_eq!(safe_url("http://x/$(id)"), None);
    }
}
