//! Exchange Server on premises and Exchange Online (Protection): every fragment of the Exchange
//! Management Shell and of Exchange Online PowerShell that a fix uses, once, and the fixes
//! written with them.
//!
//! The fragments follow the field's paste-ready idioms (shared/field-notes.md §6). One field
//! list for `Get-ExchangeCertificate` ([`CERTIFICATE_FIELDS`]) and one for
//! `Get-ReceiveConnector` ([`CONNECTOR_FIELDS`]) serve every fix, so a reader compares like
//! with like across findings.
//!
//! # References
//! - Microsoft Learn, "Get-ExchangeCertificate", "Enable-ExchangeCertificate",
//!   "Import-ExchangeCertificate", "Export-ExchangeCertificate" (Exchange Server PowerShell)
//! - Microsoft Learn, "Get-ReceiveConnector", "Set-ReceiveConnector" (`-Fqdn`,
//!   `-AuthMechanism`, `-TlsCertificateName` written `<I>X.500Issuer<S>X.500Subject`) and
//!   "Set-SendConnector"
//! - Microsoft Learn, "Certificate procedures in Exchange Server" and "Exchange Server TLS
//!   configuration best practices" (SCHANNEL and .NET settings for TLS 1.2)
//! - Microsoft Learn, "Enable-TlsCipherSuite" (the TLS module of Windows Server)
//! - Microsoft Learn, "Set-InboundConnector" (`-TlsSenderCertificateName`) and
//!   "Set-OutboundConnector" (`-TlsDomain`), Exchange Online PowerShell
//! - Microsoft Learn, "Use the delist portal to remove yourself from the blocked senders list"
//!   (sender.office.com, for `5.7.606-649`)
//! - Microsoft Learn, "Selection of Inbound STARTTLS Certificates": a receive connector offers
//!   STARTTLS only with `Tls` in AuthMechanism and a certificate found by TlsCertificateName
//!   when set, else by its Fqdn (shared/research/exchange-config.md §2.1): after a renewal only
//!   resetting TlsCertificateName helps

use std::net::IpAddr;

use super::generic;
use super::{Differs, Greeting, PortMismatch, greeting_name};
use crate::diagnose::fix::{Family, Fix, Shell};

const EMS: Shell = Shell::ExchangeManagementShell;
const EXO: Shell = Shell::ExchangeOnlinePowerShell;
const WINDOWS: Shell = Shell::WindowsPowerShell;

/// The fields every `Get-ExchangeCertificate` shows: enough to pick the certificate (names,
/// expiry, status), and to see whether it is bound to SMTP and still has its private key.
pub const CERTIFICATE_FIELDS: &str =
    "Thumbprint,Subject,CertificateDomains,Services,HasPrivateKey,NotAfter,Status";

/// The fields every `Get-ReceiveConnector` shows: the port it binds, the name it greets with
/// (which Exchange Online checks), whether it offers TLS and with which certificate.
pub const CONNECTOR_FIELDS: &str =
    "Identity,Bindings,Fqdn,AuthMechanism,RequireTLS,TlsCertificateName";

/// Where the fixes import a certificate from and export one to.
pub const PFX: &str = r"C:\certs\mail.pfx";

/// The folder of [`PFX`].
const PFX_DIR: &str = r"C:\certs";

/// The receive connector the lookup printed, for the admin to fill in.
pub const CONNECTOR_FROM_ABOVE: &str = "\"<identity from above>\"";

/// The receive connector [`select_connector`] put in `$rc`.
pub const SELECTED_CONNECTOR: &str = "$rc.Identity";

/// The thumbprint of the certificate the admin is about to import. An unquoted `<...>` is a
/// parse error in PowerShell, so a line that still holds it never runs.
const NEW_THUMBPRINT: &str = "<new thumbprint>";

/// The thumbprint of the certificate the admin picks from a listing.
const CHOSEN_THUMBPRINT: &str = "<thumbprint of that certificate>";

/// A PowerShell single-quoted string (see [`crate::diagnose::fix::powershell_quoted`]); the values come from the
/// probe, already escaped, so none holds a control character.
pub fn quoted(value: &str) -> String {
    crate::diagnose::fix::powershell_quoted(value)
}

/// Lists the certificates of this server (Microsoft Learn, "Get-ExchangeCertificate").
pub fn list_certificates() -> String {
    format!("Get-ExchangeCertificate | fl {CERTIFICATE_FIELDS}")
}

/// Lists the certificates bound to SMTP.
pub fn list_smtp_certificates() -> String {
    format!(
        "Get-ExchangeCertificate | Where-Object {{ $_.Services -match 'SMTP' }} | fl {CERTIFICATE_FIELDS}"
    )
}

/// Finds the receive connector bound to `port` (Microsoft Learn, "Get-ReceiveConnector": `Bindings`
/// holds `address:port` entries).
pub fn connector_lookup(port: u16) -> String {
    format!(
        "Get-ReceiveConnector | Where-Object {{ $_.Bindings -match ':{port}$' }} | fl {CONNECTOR_FIELDS}"
    )
}

/// Lists the receive connectors of the server it runs on (to compare two nodes).
pub fn connectors_on_this_server() -> String {
    format!("Get-ReceiveConnector -Server $env:COMPUTERNAME | fl {CONNECTOR_FIELDS}")
}

/// Which receive connector binds which address and port.
pub fn connector_bindings() -> &'static str {
    "Get-ReceiveConnector | fl Identity,Bindings"
}

/// Imports the PFX at [`PFX`], key exportable so that it can be copied to the next node
/// (Microsoft Learn, "Import-ExchangeCertificate").
pub fn import_pfx() -> String {
    format!(
        "Import-ExchangeCertificate -FileData ([System.IO.File]::ReadAllBytes('{PFX}')) -Password (Read-Host -AsSecureString) -PrivateKeyExportable $true"
    )
}

/// Exports the certificate `thumbprint` with its key to [`PFX`]: two lines (Microsoft Learn,
/// "Export-ExchangeCertificate": `-BinaryEncoded` returns the bytes in `FileData`).
pub fn export_pfx(thumbprint: &str) -> [String; 2] {
    [
        format!(
            "$b = Export-ExchangeCertificate -Thumbprint {thumbprint} -BinaryEncoded -Password (Read-Host -AsSecureString)"
        ),
        format!("[System.IO.File]::WriteAllBytes('{PFX}', $b.FileData)"),
    ]
}

/// Binds the certificate `thumbprint` to SMTP (Microsoft Learn, "Enable-ExchangeCertificate").
pub fn enable_for_smtp(thumbprint: &str) -> String {
    format!("Enable-ExchangeCertificate -Thumbprint {thumbprint} -Services SMTP")
}

/// Puts the `-TlsCertificateName` value of `thumbprint` in `$n`: `<I>X.500Issuer<S>X.500Subject`
/// (Microsoft Learn, "Set-ReceiveConnector", parameter TlsCertificateName).
pub fn tls_certificate_name(thumbprint: &str) -> String {
    format!(
        "$c = Get-ExchangeCertificate -Thumbprint {thumbprint}; $n = \"<I>$($c.Issuer)<S>$($c.Subject)\""
    )
}

/// Changes a receive connector (`connector`: [`CONNECTOR_FROM_ABOVE`] or
/// [`SELECTED_CONNECTOR`]).
pub fn set_connector(connector: &str, parameters: &str) -> String {
    format!("Set-ReceiveConnector {connector} {parameters}")
}

/// Puts the receive connector the lookup printed in `$rc`, to change it relative to itself.
pub fn select_connector() -> String {
    format!("$rc = Get-ReceiveConnector {CONNECTOR_FROM_ABOVE}")
}

/// Adds `Tls` to the selected connector's `AuthMechanism` if it lacks it, keeping what it had:
/// the parameter replaces the whole list (Microsoft Learn, "Set-ReceiveConnector", parameter
/// AuthMechanism). The list is compared as words, since `BasicAuthRequireTLS` contains `TLS`.
pub fn add_tls_auth() -> String {
    format!(
        "if ((\"$($rc.AuthMechanism)\" -split ',\\s*') -notcontains 'Tls') {{ {} }}",
        set_connector(
            SELECTED_CONNECTOR,
            "-AuthMechanism \"$($rc.AuthMechanism), Tls\""
        )
    )
}

/// Points the selected connector at the certificate in `$n` the way it selects one: its
/// TlsCertificateName when that is set, else its Fqdn, set to `name` (a name on that
/// certificate, safe to paste).
pub fn point_connector_at_certificate(name: &str) -> String {
    format!(
        "if ($rc.TlsCertificateName) {{ {} }} else {{ {} }}",
        set_connector(SELECTED_CONNECTOR, "-TlsCertificateName $n"),
        set_connector(SELECTED_CONNECTOR, &format!("-Fqdn {name}"))
    )
}

/// Points the hybrid send connector at the certificate in `$n`, if `$c` holds one. The Hybrid
/// Configuration Wizard names it "Outbound to Office 365 - <GUID>", and a Set- cmdlet takes
/// no wildcard identity, so it is found by name and piped (Microsoft Learn,
/// "Set-SendConnector": Identity accepts pipeline input).
pub fn set_send_connector_certificate() -> &'static str {
    "if ($c) { Get-SendConnector | Where-Object Name -like 'Outbound to Office 365*' | Set-SendConnector -TlsCertificateName $n }   # hybrid only"
}

/// Restarts the transport service that owns the front-end receive connectors, so that a
/// changed connector takes effect.
pub fn restart_transport() -> &'static str {
    "Restart-Service MSExchangeFrontEndTransport"
}

/// Restarts both transport services after a certificate change: the front end serves the
/// receive connectors on 25 and 587, the Transport service the send connectors and the
/// back-end receive connectors.
pub fn restart_transport_services() -> &'static str {
    "Restart-Service MSExchangeFrontEndTransport, MSExchangeTransport"
}

/// Enables one TLS 1.2 cipher suite in Windows (Microsoft Learn, "Enable-TlsCipherSuite").
pub fn enable_cipher_suite(name: &str) -> String {
    format!("Enable-TlsCipherSuite -Name {name}")
}

/// The ECDHE AES-GCM suites every current sender offers.
const MODERN_SUITES: [&str; 2] = [
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
];

/// Exchange Online's outbound connectors to this server (Microsoft Learn,
/// "Get-OutboundConnector": `TlsDomain` is the name the certificate must carry).
fn list_outbound_connectors() -> &'static str {
    "Get-OutboundConnector | fl Name,TlsSettings,TlsDomain,SmartHosts"
}

/// Exchange Online's inbound connectors from this server (Microsoft Learn,
/// "Get-InboundConnector": `TlsSenderCertificateName` is the name it expects).
fn list_inbound_connectors() -> &'static str {
    "Get-InboundConnector | fl Name,RequireTls,TlsSenderCertificateName"
}

/// Installs the certificate `what` asks for and binds it wherever Exchange uses it for SMTP.
/// `seen_tls_name` is the `<I>issuer<S>subject` of the certificate seen, when the new one
/// should replace it under the same name.
pub fn install_certificate(port: u16, what: &str, seen_tls_name: Option<&str>) -> Fix {
    let fix = Fix::new(
        Family::Exchange,
        "exchange::install_certificate",
        &[what, &port.to_string(), seen_tls_name.unwrap_or_default()],
    )
    .say(what)
    .say(format!(
        "Save it with its private key as {PFX} on every Exchange server behind this address, then on each, in the Exchange Management Shell, \
         import it and bind it to SMTP:"
    ))
    .run(EMS, import_pfx())
    .run(EMS, list_certificates())
    .run(EMS, enable_for_smtp(NEW_THUMBPRINT))
    .run(EMS, tls_certificate_name(NEW_THUMBPRINT))
    .say(format!(
        "Point the receive connector of port {port} at it by its TlsCertificateName, which Exchange reads before the Fqdn (after a renewal it \
         still names the old certificate), and the hybrid send connector:"
    ))
    .run(EMS, connector_lookup(port))
    .run(EMS, set_connector(CONNECTOR_FROM_ABOVE, "-TlsCertificateName $n"))
    .run(EMS, set_send_connector_certificate())
    .run(EMS, restart_transport_services());
    let fix = match seen_tls_name {
        Some(name) => fix.say(format!(
            "(A certificate with the same issuer and subject as the one seen has the TlsCertificateName {}.)",
            quoted(name)
        )),
        None => fix,
    };
    fix.say("In a hybrid, re-run the Hybrid Configuration Wizard afterwards.")
}

/// After a renewal: the expired certificate can go, and Exchange Online will not resend what
/// it deferred (seed 004).
pub fn retire_expired_certificate(thumbprint: &str) -> Fix {
    Fix::new(
        Family::Exchange,
        "exchange::retire_expired_certificate",
        &[thumbprint],
    )
    .say(format!(
        "Remove the expired certificate (thumbprint {thumbprint}) once nothing references it. Exchange Online may have deferred mail that it will not resubmit after the fix: ask senders to resend."
    ))
}

/// Why a self-signed certificate shows up on an Exchange server, and which one it is.
pub fn explain_self_signed(thumbprint: &str) -> Fix {
    Fix::new(Family::Exchange, "exchange::explain_self_signed", &[thumbprint]).say(format!(
        "A self-signed certificate named after the server is what Exchange binds at setup; if only some servers present it, one node \
         behind the load balancer still has it bound (the intermittent `450 4.7.320 Certificate validation failed [Message=SubjectMismatch]`). \
         Its thumbprint: {thumbprint}."
    ))
}

/// The certificate of Exchange Online Protection is Microsoft's.
pub fn microsofts_certificate(what: &str) -> Fix {
    Fix::new(
        Family::ExchangeOnline,
        "exchange::microsofts_certificate",
        &[what],
    )
    .say(what)
    .say(
        "This endpoint is Microsoft's Exchange Online Protection: its certificate is Microsoft's to fix. \
         Check that you probed the right host and, if it persists, open a case with Microsoft support.",
    )
}

/// STARTTLS advertised, then refused: the bound certificate is unusable.
pub fn starttls_unavailable(port: u16) -> Fix {
    Fix::new(
        Family::Exchange,
        "exchange::starttls_unavailable",
        &[&port.to_string()],
    )
    .say(
        "Exchange advertises STARTTLS but cannot start it: the bound certificate lacks its private key, is not enabled for SMTP, or was removed. \
         In the Exchange Management Shell:",
    )
    .run(EMS, list_certificates())
    .run(EMS, enable_for_smtp("<thumbprint>"))
    .run(EMS, connector_lookup(port))
    .run(EMS, restart_transport_services())
}

/// The receive connector on `port` does not offer STARTTLS; it greets as `fqdn`. Exchange
/// offers it only when AuthMechanism includes `Tls` and it finds its certificate, by
/// TlsCertificateName when set, else by the Fqdn (Microsoft Learn, "Selection of Inbound
/// STARTTLS Certificates"; exchange-config.md §2.1): after a renewal TlsCertificateName still
/// names the replaced certificate, and only resetting it helps.
pub fn starttls_not_offered(port: u16, fqdn: &str) -> Fix {
    Fix::new(
        Family::Exchange,
        "exchange::starttls_not_offered",
        &[&port.to_string(), fqdn],
    )
    .say(format!(
        "The receive connector on port {port} does not offer STARTTLS. Exchange offers it only when the connector's AuthMechanism includes `Tls` \
         and it finds its certificate: by TlsCertificateName when that is set (after a renewal it often still names the replaced certificate), \
         otherwise by its Fqdn ({fqdn}); Event ID 12014 in the Application log names what it looked for. In the Exchange Management Shell:"
    ))
    .run(EMS, connector_lookup(port))
    .run(EMS, list_certificates())
    .run(EMS, select_connector())
    .run(EMS, add_tls_auth())
    .say("Pick the valid certificate for this server from the list, bind it to SMTP and point the connector at it the way it selects one:")
    .run(EMS, enable_for_smtp(CHOSEN_THUMBPRINT))
    .run(EMS, tls_certificate_name(CHOSEN_THUMBPRINT))
    .run(
        EMS,
        "if ($c -and $rc.TlsCertificateName) { Set-ReceiveConnector $rc.Identity -TlsCertificateName $n }   # set: the new certificate",
    )
    .run(
        EMS,
        format!(
            "{}   # empty: a name the certificate covers",
            set_connector(SELECTED_CONNECTOR, "-Fqdn <a name on that certificate>")
        ),
    )
    .run(EMS, restart_transport_services())
    .say("Exchange Online then stops failing with `451 5.7.3 STARTTLS is required to send mail`.")
}

/// Exchange Online Protection withholds STARTTLS from a listed sender; it saw us as
/// `seen_as`.
pub fn blocklisted(seen_as: Option<IpAddr>) -> Fix {
    let (ip, saw) = seen_as.map_or_else(
        || {
            (
                String::new(),
                "It did not say which address it saw: look up the public address this network sends from (after NAT)".to_string(),
            )
        },
        |ip| (ip.to_string(), format!("It saw this probe as [{ip}]: look that address up")),
    );
    Fix::new(Family::ExchangeOnline, "exchange::blocklisted", &[&ip]).say(format!(
        "Exchange Online Protection withholds STARTTLS from clients whose address is on a blocklist. {saw} at Spamhaus (ZEN/XBL, which now includes CBL), Barracuda and SpamCop, follow their removal procedure, and \
         use Microsoft's delist portal (sender.office.com) for `5.7.606-649` blocks. A Spamhaus PBL listing of a dynamic range cannot be removed: \
         send through a static address or a smart host."
    ))
}

/// The server speaks only TLS 1.0/1.1.
pub fn enable_tls12() -> Fix {
    Fix::new(Family::Exchange, "exchange::enable_tls12", &[]).say(
        "Enable TLS 1.2 on the Exchange server (Exchange Online refuses TLS 1.0/1.1 since 2021, and reports it as \
         `SMTPSEND.SuspiciousRemoteServerError`): set the SCHANNEL registry keys `...\\Protocols\\TLS 1.2\\Server` Enabled=1/DisabledByDefault=0 and the .NET \
         `SchUseStrongCrypto=1`/`SystemDefaultTlsVersions=1` values (Microsoft's \"Exchange Server TLS configuration best practices\"), then reboot.",
    )
}

/// No cipher suite in common with a current client.
pub fn enable_modern_ciphers() -> Fix {
    let fix = Fix::new(Family::Exchange, "exchange::enable_modern_ciphers", &[]).say(
        "Enable the ECDHE AES-GCM cipher suites in Windows, keep TLS 1.2 enabled, and reboot:",
    );
    MODERN_SUITES
        .iter()
        .fold(fix, |f, s| f.run(WINDOWS, enable_cipher_suite(s)))
}

/// Windows sends the chain it can build: the intermediate `missing` must be in the store.
pub fn incomplete_chain(missing: &str) -> Fix {
    Fix::new(Family::Exchange, "exchange::incomplete_chain", &[missing])
        .say(format!(
            "Windows sends the chain it can build locally: import the intermediate CA certificate(s) from your CA ({missing}) into \
             \"Intermediate Certification Authorities\" of the Local Computer store (certlm.msc) on every Exchange server, remove any wrong \
             intermediate there, then restart the transport services:"
        ))
        .run(EMS, restart_transport_services())
        .say("Exchange Online reports a broken chain as a validation failure or `550 5.7.64 TenantAttribution`.")
}

/// The receive connector greets with a name its certificate does not cover. While its
/// TlsCertificateName is empty, Exchange selects the STARTTLS certificate by that Fqdn
/// (Microsoft Learn, "Selection of Inbound STARTTLS Certificates"), so the Fqdn should be a
/// name on the certificate. Exchange Online checks its connector's TlsDomain, not this name.
pub fn greeting_not_on_certificate(g: &Greeting<'_>) -> Fix {
    let (name, first) = greeting_name(g.on_cert);
    Fix::new(
        Family::Exchange,
        "exchange::greeting_not_on_certificate",
        &g.key_values(&name).each_ref().map(String::as_str),
    )
    .say(format!(
        "{first}The receive connector on port {} greets as {}, a name not on its certificate. While the connector's TlsCertificateName is empty, \
         Exchange chooses the STARTTLS certificate by this Fqdn, so after the next certificate change it may fall back to the self-signed one \
         or stop offering STARTTLS (Event ID 12014). (Exchange Online checks the certificate against its own connector's TlsDomain, not this name.) \
         Set the Fqdn to a name on the certificate:",
        g.port, g.name
    ))
    .run(EMS, connector_lookup(g.port))
    .run(
        EMS,
        set_connector(CONNECTOR_FROM_ABOVE, &format!("-Fqdn {name}")),
    )
    .run(EMS, restart_transport())
    .say(g.add_to_certificate().trim_start())
}

/// An Exchange Online connector expects `expected`; it can be pointed at `on_cert` instead (a
/// name on the certificate, safe to paste, or a placeholder).
pub fn point_connectors_at(expected: &str, on_cert: &str) -> Fix {
    Fix::new(
        Family::ExchangeOnline,
        "exchange::point_connectors_at",
        &[expected, on_cert],
    )
    .say(format!(
        "If {expected} comes from an Exchange Online connector, the connector can instead be pointed at a name the certificate has:"
    ))
    .run(EXO, list_outbound_connectors())
    .run(EXO, format!("Set-OutboundConnector '<name>' -TlsDomain {on_cert}"))
    .run(EXO, list_inbound_connectors())
    .run(
        EXO,
        format!("Set-InboundConnector '<name>' -TlsSenderCertificateName {on_cert}"),
    )
}

/// Exchange Online's outbound connector checks `expected` (its TlsDomain) when it delivers to
/// the on-premises server: pointing it at a name on the certificate is the other way out.
/// Only the outbound connector: the inbound connector's TlsSenderCertificateName governs the
/// other direction.
pub fn point_outbound_connector_at(expected: &str, on_cert: &str) -> Fix {
    Fix::new(
        Family::ExchangeOnline,
        "exchange::point_outbound_connector_at",
        &[expected, on_cert],
    )
    .say(format!(
        "If {expected} is the TlsDomain of Exchange Online's outbound connector to your organisation, the connector can instead be pointed at a \
         name the certificate has:"
    ))
    .run(EXO, list_outbound_connectors())
    .run(EXO, format!("Set-OutboundConnector '<name>' -TlsDomain {on_cert}"))
}

/// The nodes behind `host` differ; the odd ones (`odd_ips`) get the good certificate
/// (`thumbprint`) copied over.
pub fn copy_certificate_to_node(host: &str, odd_ips: &str, thumbprint: &str) -> Fix {
    let [export, write] = export_pfx(thumbprint);
    Fix::new(
        Family::Exchange,
        "exchange::copy_certificate_to_node",
        &[host, odd_ips, thumbprint],
    )
    .say(generic::odd_nodes(host, odd_ips, Differs::Certificate))
    .say("Export the good certificate with its key on a good node (Exchange Management Shell):")
    .run(
        EMS,
        format!("New-Item -ItemType Directory -Force -Path {PFX_DIR} | Out-Null"),
    )
    .run(EMS, export)
    .run(EMS, write)
    .say(format!(
        "Copy {PFX} to the same folder on the odd node ({odd_ips}), then there:"
    ))
    .run(EMS, import_pfx())
    .run(EMS, enable_for_smtp(thumbprint))
    .run(EMS, restart_transport_services())
}

/// The nodes behind `host` differ in STARTTLS or TLS version: compare their connectors.
pub fn compare_nodes(host: &str, odd_ips: &str, differs: Differs) -> Fix {
    Fix::new(
        Family::Exchange,
        "exchange::compare_nodes",
        &[host, odd_ips, differs.name()],
    )
    .say(generic::odd_nodes(host, odd_ips, differs))
    .say("Compare the receive connectors of a good node and the odd one (Exchange Management Shell, on each server):")
    .run(EMS, connectors_on_this_server())
    .run(EMS, list_smtp_certificates())
}

/// STARTTLS is advertised on some ports and not on the `closed` ones: each is a receive
/// connector, which offers STARTTLS only when its AuthMechanism includes `Tls` and it finds its
/// certificate, by TlsCertificateName when that is set, else by its Fqdn (Microsoft Learn,
/// "Selection of Inbound STARTTLS Certificates"). With the certificate that works on another
/// port (`thumbprint`, and `name`, a name it covers), each connector is pointed at it the way
/// it selects: its TlsCertificateName if set, else its Fqdn.
pub fn port_without_starttls(
    m: &PortMismatch<'_>,
    name: Option<&str>,
    thumbprint: Option<&str>,
) -> Fix {
    let [host, closed, open, working, subject] = m.key_values();
    let fix = Fix::new(
        Family::Exchange,
        "exchange::port_without_starttls",
        &[
            &host,
            &closed,
            &open,
            &working,
            &subject,
            name.unwrap_or_default(),
            thumbprint.unwrap_or_default(),
        ],
    )
    .say(format!(
        "{} On Exchange each port is a receive connector. It offers STARTTLS only when its AuthMechanism includes `Tls` and it finds its \
         certificate: by TlsCertificateName when that is set (after a renewal it often still names the replaced certificate), otherwise by \
         its Fqdn; Event ID 12014 in the Application log names what it looked for. In the Exchange Management Shell:",
        m.intro()
    ));
    let fix = match thumbprint {
        Some(t) => fix.run(
            EMS,
            format!(
                "{}   # the certificate that works on port {}",
                tls_certificate_name(t),
                generic::list(m.working)
            ),
        ),
        None => fix,
    };
    let fix = m.closed.iter().fold(fix, |f, p| {
        let f = f
            .run(EMS, connector_lookup(*p))
            .run(EMS, format!("{}   # port {p}", select_connector()))
            .run(EMS, add_tls_auth());
        match (thumbprint, name) {
            (Some(_), Some(name)) => f.run(EMS, point_connector_at_certificate(name)),
            _ => f,
        }
    });
    let fix = match (thumbprint, name) {
        (Some(_), Some(_)) => fix,
        _ => fix
            .say(
                "Then, for each: if its TlsCertificateName is set, point it at a valid SMTP certificate of this server \
                 (`<I>issuer<S>subject`); if it is empty, set its Fqdn to a name on that certificate:",
            )
            .run(EMS, list_smtp_certificates()),
    };
    fix.run(EMS, restart_transport())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powershell_single_quotes_are_doubled() {
        assert_eq!(
            quoted("<I>CN=O'Brien CA<S>CN=x"),
            "'<I>CN=O''Brien CA<S>CN=x'"
        );
        // PowerShell also ends a single-quoted string at a typographic quote.
        assert_eq!(quoted("a\u{2019}b"), "'a\u{2019}\u{2019}b'");
    }

    #[test]
    fn every_certificate_listing_shows_the_same_fields() {
        for line in [list_certificates(), list_smtp_certificates()] {
            assert!(
                line.ends_with(&format!("| fl {CERTIFICATE_FIELDS}")),
                "{line}"
            );
        }
        for line in [connector_lookup(25), connectors_on_this_server()] {
            assert!(
                line.ends_with(&format!("| fl {CONNECTOR_FIELDS}")),
                "{line}"
            );
        }
    }
}
