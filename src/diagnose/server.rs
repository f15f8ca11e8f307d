//! Which MTA answered, and how to say a fix in its own language.
//!
//! The fixes are the field's paste-ready idioms (shared/field-notes.md §6): Exchange
//! Management Shell for Exchange, `postconf` and main.cf for Postfix, plain words otherwise.

use super::ServerKind;
use crate::cert::CertInfo;

/// The Exchange receive connector lookup for a port.
pub fn exchange_connector_lookup(port: u16) -> String {
    format!(
        "Get-ReceiveConnector | Where-Object {{ $_.Bindings -match ':{port}$' }} | fl Identity,Fqdn,AuthMechanism,RequireTLS,TlsCertificateName"
    )
}

/// How to install a (new) certificate on this server kind, after `what` says which one to get.
pub fn install_certificate(
    kind: ServerKind,
    port: u16,
    what: &str,
    seen: Option<&CertInfo>,
) -> String {
    match kind {
        ServerKind::Exchange => {
            let tls_name = seen
                .map(|c| {
                    format!(
                        "\n(A certificate with the same issuer and subject as the one seen has the TlsCertificateName '{}'.)",
                        c.exchange_tls_name.replace('\'', "''")
                    )
                })
                .unwrap_or_default();
            format!(
                "{what}\nThen bind it to SMTP on every Exchange server behind this address (Exchange Management Shell):\n  \
                 Import-ExchangeCertificate -FileData ([System.IO.File]::ReadAllBytes('C:\\certs\\mail.pfx')) -Password (Read-Host -AsSecureString) -PrivateKeyExportable $true\n  \
                 Get-ExchangeCertificate | fl Thumbprint,Subject,CertificateDomains,Services,NotAfter,Status\n  \
                 Enable-ExchangeCertificate -Thumbprint <new thumbprint> -Services SMTP\n  \
                 $c = Get-ExchangeCertificate -Thumbprint <new thumbprint>; $n = \"<I>$($c.Issuer)<S>$($c.Subject)\"\n  \
                 {lookup}\n  \
                 Set-ReceiveConnector \"<identity from above>\" -TlsCertificateName $n\n  \
                 Set-SendConnector \"Outbound to Office 365*\" -TlsCertificateName $n   # hybrid only\n  \
                 Restart-Service MSExchangeFrontEndTransport{tls_name}\nIn a hybrid, re-run the Hybrid Configuration Wizard afterwards.",
                lookup = exchange_connector_lookup(port),
            )
        }
        ServerKind::Postfix => format!(
            "{what}\nThen point Postfix at the key and the full chain (leaf first, then intermediates) and reload:\n  \
             postconf -n | grep -E '^smtpd_tls_(chain_files|cert_file|key_file|security_level)'\n  \
             postconf -e 'smtpd_tls_chain_files = /etc/postfix/tls/mail.key, /etc/postfix/tls/fullchain.pem'\n  \
             postfix check && postfix reload\n  \
             openssl x509 -noout -subject -ext subjectAltName -dates -in /etc/postfix/tls/fullchain.pem\n\
             If port {port} is a master.cf service with its own `-o smtpd_tls_*` overrides, change them there too. \
             With certbot, add `--deploy-hook \"postfix reload\"` so renewals take effect."
        ),
        ServerKind::ExchangeOnline => format!(
            "{what}\nThis endpoint is Microsoft's Exchange Online Protection: its certificate is Microsoft's to fix. \
             Check that you probed the right host and, if it persists, open a case with Microsoft support."
        ),
        ServerKind::Unknown => format!(
            "{what}\nInstall it on the mail server (or the gateway that answers on port {port}) together with its \
             intermediate certificates, leaf first, and restart or reload the SMTP service."
        ),
    }
}
