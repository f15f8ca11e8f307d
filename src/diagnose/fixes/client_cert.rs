//! Fixes for the certificate we present (`--client-cert`): the certificate of the sending
//! server, so the steps are on the sending side (an Exchange send connector, Postfix's
//! `smtp_tls_*` client settings) and, for Exchange Online, on the inbound connector that
//! matches it.
//!
//! Only values parsed from our own certificate and checked safe to paste (a host name that
//! passed `normalize_name`, an `<I>issuer<S>subject` without control characters, quoted for
//! PowerShell) reach a command; the server's CA names appear in prose only.
//!
//! # References
//! - Microsoft Learn, "Set-SendConnector" (`-TlsCertificateName <I>X.500Issuer<S>X.500Subject`)
//! - Microsoft Learn, "Set-InboundConnector" (`-TlsSenderCertificateName`), Exchange Online
//! - postconf(5): `smtp_tls_cert_file`, `smtp_tls_key_file`, `smtp_tls_chain_files` (the
//!   Postfix SMTP client's certificate, sent when a server asks)

use super::postfix::{Side, set_certificate_line, set_certificate_note};
use crate::diagnose::fix::{Family, Fix, Shell, powershell_quoted};

const EMS: Shell = Shell::ExchangeManagementShell;
const EXO: Shell = Shell::ExchangeOnlinePowerShell;

/// The certificates of an Exchange server, with what a send connector's certificate needs.
const LIST_CERTIFICATES: &str =
    "Get-ExchangeCertificate | fl Subject,CertificateDomains,NotAfter,Thumbprint";

/// The send connectors and the certificate each presents.
const LIST_SEND_CONNECTORS: &str =
    "Get-SendConnector | fl Identity,AddressSpaces,SmartHosts,TlsCertificateName,RequireTLS";

/// The Postfix client's certificate settings as they are.
const POSTFIX_SHOW: &str = "postconf smtp_tls_chain_files smtp_tls_cert_file smtp_tls_key_file";

/// The master.cf overrides of the Postfix client's certificate, per transport (they win over
/// main.cf).
const POSTFIX_SHOW_OVERRIDES: &str =
    "postconf -P | grep -E '/smtp_tls_(chain_files|cert_file|key_file) '";

/// Sets the Postfix client's certificate in main.cf from variables the prose has the admin
/// set, only when both files are readable (see [`set_certificate_line`]: chain_files, or the
/// legacy pair when another transport overrides it), then reloads.
fn postfix_set() -> String {
    format!(
        "test -r \"${{key:?}}\" && test -r \"${{chain:?}}\" && {} && postfix reload",
        set_certificate_line(Side::Client, None)
    )
}

/// An `<I>issuer<S>subject` that can be pasted in single quotes: printable, of sane length.
fn pasteable(tls_name: &str) -> Option<&str> {
    let ok = tls_name.starts_with("<I>")
        && tls_name.len() <= 1024
        && tls_name.chars().all(|c| !c.is_control());
    ok.then_some(tls_name)
}

fn steps_for_senders(fix: Fix, tls_name: Option<&str>) -> Fix {
    let fix = fix
        .say("On Exchange Server, see which certificate the send connector presents and which certificates the server holds:")
        .run(EMS, LIST_SEND_CONNECTORS)
        .run(EMS, LIST_CERTIFICATES);
    let fix = match tls_name.and_then(pasteable) {
        Some(n) => fix
            .say(
                "To present this certificate (the one tested here), name it on the send connector:",
            )
            .run(
                EMS,
                format!(
                    "Set-SendConnector -Identity <SendConnectorName> -TlsCertificateName {}",
                    powershell_quoted(n)
                ),
            ),
        None => fix,
    };
    fix.say("On Postfix (the SMTP client sends its certificate when a server asks): set key to the private key file and chain to the certificate file with its intermediates, then:")
        .run(Shell::PostfixShell, POSTFIX_SHOW)
        .run(Shell::PostfixShell, POSTFIX_SHOW_OVERRIDES)
        .run(Shell::PostfixShell, postfix_set())
        .say(format!(
            "smtp_tls_chain_files replaces smtp_tls_cert_file and smtp_tls_key_file, which Postfix then ignores. {} \
             A transport listed above with its own settings keeps them: change them there (postconf -P) for that transport.",
            set_certificate_note(Side::Client)
        ))
}

/// The server asked for a certificate; `presented`: ours was sent (its fate is a finding of
/// its own).
pub fn requested(presented: bool) -> Fix {
    if presented {
        return Fix::new(Family::Generic, "client_cert::requested_presented", &[]).say(
            "Nothing to change for the request itself: what became of the certificate presented is said beside it. The CA names listed are the issuers the server prefers; a certificate from another CA may still be accepted.",
        );
    }
    Fix::new(Family::Generic, "client_cert::requested", &[]).say(
        "Nothing to change for the request itself: a server that only asks goes on without a certificate (one that refused the session instead has a finding of its own). To see whether it accepts the certificate a sending server presents, run again with --client-cert FILE (PEM with its key, or a PFX with --client-cert-password-env VAR).",
    )
}

/// `--client-cert` was given but the server did not ask.
pub fn not_requested() -> Fix {
    Fix::new(Family::Generic, "client_cert::not_requested", &[]).say(
        "Nothing to change here: this server does not ask for a certificate, so none was tested. To test one, probe a server that asks (Exchange Online: TENANT.mail.protection.outlook.com; Postfix with smtpd_tls_ask_ccert = yes).",
    )
}

/// Accepted; `name_checked`: `--client-cert-name` was given (its outcome is a finding of its
/// own), so the hint to give it is left out.
pub fn accepted_name_checked(name_checked: bool) -> Fix {
    let values: &[&str] = if name_checked { &["name checked"] } else { &[] };
    let fix = Fix::new(Family::Generic, "client_cert::accepted", values);
    if name_checked {
        fix.say("Nothing to change.")
    } else {
        fix.say(
            "Nothing to change. Exchange Online also matches the certificate's names against the inbound connector's TlsSenderCertificateName: give that name with --client-cert-name to check it.",
        )
    }
}

/// The server refused ours.
pub fn refused(tls_name: Option<&str>) -> Fix {
    let fix = Fix::new(
        Family::Generic,
        "client_cert::refused",
        &[tls_name.unwrap_or_default()],
    )
    .say(
        "The receiver refused the certificate presented: present one it accepts. The evidence has the server's refusal (an alert or its reply) and the CA names it asked for; a certificate issued under one of them, current, with clientAuth in its Extended Key Usage and the name the receiver matches, is what it wants. If the certificate is right, the receiver's trust is not: ask its admin to trust the issuing CA (Postfix: smtpd_tls_CAfile; Exchange: the issuing CA in the Windows trusted root store).",
    );
    steps_for_senders(fix, tls_name)
}

/// Ours lacks a name the receiver matches (`--client-cert-name`): point the connector at
/// a name the certificate has (`on_cert`: the names on ours, offered only when each is a
/// valid host name), or get a certificate with the expected name.
pub fn name_mismatch(name: &str, on_cert: &[String], tls_name: Option<&str>) -> Fix {
    let valid: Vec<String> = on_cert
        .iter()
        .filter(|n| {
            !n.starts_with("*.") && crate::target::normalize_name(n).as_deref() == Some(n.as_str())
        })
        .cloned()
        .collect();
    let fix = Fix::new(
        Family::ExchangeOnline,
        "client_cert::name_mismatch",
        &[name, tls_name.unwrap_or_default()],
    )
    .say(format!(
        "The receiver matches {name}, which the certificate does not cover (in its subjectAltName or subject). Two ways out: (a) make the receiver match a name the certificate has, or (b) get a certificate with {name} and present it."
    ))
    .say("On Exchange Online, see the inbound connectors and the name each matches:")
    .run(
        EXO,
        "Get-InboundConnector | fl Identity,ConnectorType,TlsSenderCertificateName,RequireTls,RestrictDomainsToCertificate",
    );
    let fix = match valid.as_slice() {
        [] => fix.say(
            "(a) is not open: the certificate names no host name that can be pasted, so take (b).",
        ),
        names => {
            let fix = fix.say(
                "(a) Point the inbound connector at a name on the certificate (it must also be an accepted domain of the tenant):",
            );
            names.iter().take(4).fold(fix, |f, n| {
                f.run(
                    EXO,
                    format!(
                        "Set-InboundConnector -Identity <InboundConnectorName> -TlsSenderCertificateName {}",
                        powershell_quoted(n)
                    ),
                )
            })
        }
    };
    let fix = fix.say(format!(
        "(b) Get a certificate that covers {name}, then make the send connector present it:"
    ));
    steps_for_senders(fix, tls_name)
}

/// `--expect-name` names a name our certificate covers and the server's does not: meant
/// for ours (`--client-cert-name`), nothing to change on the receiver.
pub fn expected_name_is_ours(name: &str) -> Fix {
    Fix::new(Family::Generic, "client_cert::expected_name_is_ours", &[name]).say(format!(
        "Nothing to change on the receiver for this name. --expect-name is for the server's certificate; to check that our certificate carries {name} (Exchange Online's TlsSenderCertificateName), run again with --client-cert-name {name} instead."
    ))
}

/// Ours expired, or expires soon.
pub fn renew(tls_name: Option<&str>, expired: bool) -> Fix {
    let fix = Fix::new(
        Family::Generic,
        if expired {
            "client_cert::renew_expired"
        } else {
            "client_cert::renew_soon"
        },
        &[tls_name.unwrap_or_default()],
    )
    .say(
        "Renew the sending server's certificate with the same names, then make the sender present the new one (Exchange: the send connector's TlsCertificateName names the certificate by issuer and subject, so a renewal with the same issuer and subject needs no change there; re-run the Hybrid Configuration Wizard in a hybrid).",
    );
    steps_for_senders(fix, tls_name)
}

/// Why ours does not chain to a root trusted here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Untrusted {
    /// Ours is self-signed.
    SelfSigned,
    /// Issued by a CA (a root we present, or one the server names) not trusted here.
    RootNotTrusted,
    /// Its issuer is not in our file: an intermediate missing, or a root not trusted here.
    IssuerMissing,
}

/// Ours does not chain to a trusted root for client authentication.
pub fn untrusted(why: Untrusted, tls_name: Option<&str>) -> Fix {
    let (key, text) = match why {
        Untrusted::SelfSigned => (
            "client_cert::untrusted_self_signed",
            "The certificate is self-signed: only a receiver told to trust this very certificate accepts it. For receivers that verify (Exchange Online wants a public CA), get a certificate issued by a CA they trust.",
        ),
        Untrusted::RootNotTrusted => (
            "client_cert::untrusted_root",
            "The certificate is issued by a CA that is not trusted here (a private CA): it works only with receivers told to trust that CA (Postfix: smtpd_tls_CAfile; Exchange: the Windows trusted root store). For receivers that require a public CA (Exchange Online), get a certificate from one.",
        ),
        Untrusted::IssuerMissing => (
            "client_cert::untrusted",
            "The certificate's issuer is not in the file and not trusted here: either an intermediate certificate is missing (present the certificate with its intermediates: Postfix, the chain file after the certificate; Exchange, import them into the Intermediate Certification Authorities store), or it is issued by a root not trusted here (a private CA works only with receivers told to trust it; Exchange Online wants a public CA).",
        ),
    };
    let fix = Fix::new(Family::Generic, key, &[tls_name.unwrap_or_default()]).say(text);
    steps_for_senders(fix, tls_name)
}

/// Ours has an Extended Key Usage without clientAuth.
pub fn no_client_auth(tls_name: Option<&str>) -> Fix {
    let fix = Fix::new(
        Family::Generic,
        "client_cert::no_client_auth",
        &[tls_name.unwrap_or_default()],
    )
    .say(
        "Get a certificate whose Extended Key Usage includes Client Authentication (clientAuth, 1.3.6.1.5.5.7.3.2) besides Server Authentication: receivers that check the usage (OpenSSL, webpki, Schannel) refuse this one as a client certificate. Public CAs that stop issuing clientAuth need another CA for the sending side.",
    );
    steps_for_senders(fix, tls_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tls_name_with_a_newline_is_not_pasted() {
        assert!(pasteable("<I>CN=a<S>CN=b\nRemove-Item").is_none());
        assert!(pasteable("<I>CN=a<S>CN=b").is_some());
        let t = refused(Some("<I>CN=a<S>CN=b\nx")).text();
        assert!(!t.contains("Set-SendConnector -Identity"), "{t}");
    }

    /// Every fix that sets the sending certificate shows the overrides first, then sets it in
    /// main.cf without taking over another transport's legacy overrides.
    #[test]
    fn the_postfix_line_keeps_other_transports_overrides() {
        assert_eq!(
            postfix_set(),
            "test -r \"${key:?}\" && test -r \"${chain:?}\" && \
             if postconf -P | grep -qE '/smtp_tls_(cert|key)_file ' && [ -z \"$(postconf -hx smtp_tls_chain_files)\" ]; \
             then postconf -e \"smtp_tls_cert_file = ${chain:?}\" \"smtp_tls_key_file = ${key:?}\"; \
             else postconf -e \"smtp_tls_chain_files = ${key:?}, ${chain:?}\"; fi && postfix reload"
        );
        for f in [
            refused(None),
            untrusted(Untrusted::IssuerMissing, None),
            no_client_auth(None),
            renew(None, true),
            name_mismatch("a.contoso.test", &[], None),
        ] {
            let cmds: Vec<&str> = f.commands().map(|(_, c)| c).collect();
            let show = cmds
                .iter()
                .position(|c| *c == POSTFIX_SHOW_OVERRIDES)
                .unwrap();
            let set = cmds.iter().position(|c| *c == postfix_set()).unwrap();
            assert!(show < set);
            assert!(
                f.text()
                    .contains("would win over that transport's overrides")
            );
        }
    }

    #[test]
    fn the_refusal_and_acceptance_texts_are_true_either_way() {
        let t = refused(None).text();
        assert!(t.contains("an alert or its reply"), "{t}");
        assert!(
            accepted_name_checked(false)
                .text()
                .contains("--client-cert-name")
        );
        assert!(
            !accepted_name_checked(true)
                .text()
                .contains("--client-cert-name")
        );
    }
}
