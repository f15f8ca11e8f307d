//! Fixes for the follow-up findings: a server that speaks only TLS 1.0/1.1
//! (`tls-legacy-only`), and what `--check-required` found (`tls-required`,
//! `tls-not-required`, `tls-required-unknown`), per server family.
//!
//! # References
//! - Microsoft Learn: "Exchange Server TLS configuration best practices" (the SCHANNEL
//!   `Protocols\TLS 1.2\Server` and `Client` keys, `Enabled=1`/`DisabledByDefault=0`, and the
//!   .NET Framework `SystemDefaultTlsVersions=1`/`SchUseStrongCrypto=1` values, then a reboot)
//! - Microsoft Learn: "Preparing for TLS 1.2 in Office 365 and Office 365 GCC"
//! - Microsoft Learn: "Set-ReceiveConnector" (`RequireTLS`)
//! - postconf(5): `smtpd_tls_protocols`, `smtpd_tls_mandatory_protocols`,
//!   `smtpd_tls_security_level`, `tls_config_file`; Postfix TLS_README
//! - RFC 3207 §4 (a publicly-referenced server must not require TLS), RFC 8996

use std::net::SocketAddr;

use super::{exchange, postfix};
use crate::diagnose::ServerKind;
use crate::diagnose::fix::{Family, Fix, Shell};

const WINDOWS: Shell = Shell::WindowsPowerShell;
const EMS: Shell = Shell::ExchangeManagementShell;
const SH: Shell = Shell::PostfixShell;

/// The SCHANNEL key of TLS 1.2 for `side` (`Server` or `Client`).
fn schannel_tls12(side: &str) -> String {
    format!(
        r"HKLM:\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\{side}"
    )
}

/// The .NET Framework keys that make .NET (and so Exchange) use the system's TLS versions.
const DOTNET_KEYS: [&str; 4] = [
    r"HKLM:\SOFTWARE\Microsoft\.NETFramework\v4.0.30319",
    r"HKLM:\SOFTWARE\Wow6432Node\Microsoft\.NETFramework\v4.0.30319",
    r"HKLM:\SOFTWARE\Microsoft\.NETFramework\v2.0.50727",
    r"HKLM:\SOFTWARE\Wow6432Node\Microsoft\.NETFramework\v2.0.50727",
];

/// Shows the TLS 1.2 and .NET values as they are (read-only).
fn show_windows_tls12() -> String {
    let keys: Vec<String> = ["Server", "Client"]
        .iter()
        .map(|s| format!("'{}'", schannel_tls12(s)))
        .chain(DOTNET_KEYS.iter().map(|k| format!("'{k}'")))
        .collect();
    format!(
        "foreach ($k in {}) {{ $k; Get-ItemProperty $k -ErrorAction SilentlyContinue | Select-Object Enabled,DisabledByDefault,SystemDefaultTlsVersions,SchUseStrongCrypto | fl }}",
        keys.join(", ")
    )
}

/// Enables TLS 1.2 in SCHANNEL, server and client side.
fn enable_schannel_tls12() -> String {
    let keys: Vec<String> = ["Server", "Client"]
        .iter()
        .map(|s| format!("'{}'", schannel_tls12(s)))
        .collect();
    format!(
        "foreach ($k in {}) {{ New-Item $k -Force | Out-Null; New-ItemProperty $k -Name Enabled -Value 1 -PropertyType DWord -Force | Out-Null; New-ItemProperty $k -Name DisabledByDefault -Value 0 -PropertyType DWord -Force | Out-Null }}",
        keys.join(", ")
    )
}

/// Makes .NET use the system's TLS versions and strong crypto.
fn dotnet_strong_crypto() -> String {
    let keys: Vec<String> = DOTNET_KEYS.iter().map(|k| format!("'{k}'")).collect();
    format!(
        "foreach ($k in {}) {{ if (Test-Path $k) {{ New-ItemProperty $k -Name SystemDefaultTlsVersions -Value 1 -PropertyType DWord -Force | Out-Null; New-ItemProperty $k -Name SchUseStrongCrypto -Value 1 -PropertyType DWord -Force | Out-Null }} }}",
        keys.join(", ")
    )
}

/// Asks the server for TLS 1.2 from any machine with OpenSSL: the check after the change.
/// An implicit-TLS port (465) gets the hello at once: `-starttls smtp` would wait there for a
/// plaintext greeting that never comes.
pub fn try_tls12(addr: SocketAddr, starttls: bool) -> String {
    let how = if starttls { "-starttls smtp " } else { "" };
    format!("openssl s_client {how}-tls1_2 -brief -connect '{addr}' </dev/null")
}

/// The server at `addr` chose `version` (TLS 1.0 or 1.1) for a hello offering TLS 1.0 to 1.2.
pub fn legacy_only(kind: ServerKind, addr: SocketAddr, starttls: bool, version: &str) -> Fix {
    let port = addr.port();
    let mode = if starttls { "starttls" } else { "implicit" };
    let check = |fix: Fix| {
        fix.followed_by(
            Fix::new(Family::Generic, "generic::try_tls12", &[&addr.to_string(), mode])
                .say("Afterwards this must report TLS 1.2 (`Protocol version: TLSv1.2`), from any machine with OpenSSL:")
                .run(Shell::Shell, try_tls12(addr, starttls)),
        )
    };
    match kind {
        ServerKind::Exchange => check(
            Fix::new(Family::Exchange, "exchange::legacy_tls_only", &[version])
                .say(format!(
                    "This Exchange server chose {version}, so TLS 1.2 is off for it: disabled in Windows (SCHANNEL), or never added to an old Windows. Exchange Online has refused TLS 1.0 \
                     and 1.1 for SMTP since 2021 (`451 4.4.0 SMTPSEND.SuspiciousRemoteServerError`). Enable TLS 1.2 as Microsoft Learn's \"Exchange Server TLS \
                     configuration best practices\" describes, on every Exchange server behind this address, in an elevated Windows PowerShell. First see the values as they are:"
                ))
                .run(WINDOWS, show_windows_tls12())
                .say("Enable TLS 1.2 for SCHANNEL (server and client side) and make the .NET Framework use it:")
                .run(WINDOWS, enable_schannel_tls12())
                .run(WINDOWS, dotnet_strong_crypto())
                .say(
                    "Then restart the server (SCHANNEL reads these keys at boot). Windows Server 2012 R2 and later have TLS 1.2 on unless these keys turn it off; \
                     Windows Server 2008 R2 needs the keys, and older Windows or Exchange versions need their TLS 1.2 updates first or cannot do it at all: move mail \
                     flow to a supported server. TLS 1.0/1.1 may stay enabled until no internal client needs them; what senders need is TLS 1.2.",
                ),
        ),
        ServerKind::Postfix => check(
            postfix::allow_tls12(port).followed_by(
                Fix::new(Family::Postfix, "postfix::legacy_tls_only", &[version]).say(format!(
                    "Postfix chose {version} here. If neither main.cf nor the master.cf service limits the protocols, the OpenSSL library does: `openssl version` older \
                     than 1.0.1 has no TLS 1.2 (upgrade), and an OpenSSL configuration (the file tls_config_file names, or the system's openssl.cnf) with MaxProtocol \
                     below TLSv1.2 caps it. A `@SECLEVEL=0` CipherString there only lets old versions in, it does not keep TLS 1.2 out. A value that keeps TLS 1.2 \
                     and 1.3 for smtpd_tls_protocols and smtpd_tls_mandatory_protocols is `>=TLSv1.2` (Postfix 3.6 and later). Exchange Online refuses TLS 1.0 and 1.1 \
                     (`SMTPSEND.SuspiciousRemoteServerError`), and Postfix senders log `Cannot start TLS: handshake failure`."
                ))
                .run(SH, "openssl version"),
            ),
        ),
        ServerKind::Exim => check(super::exim::allow_tls12()),
        _ => check(
            Fix::new(Family::Generic, "generic::legacy_tls_only_version", &[version]).say(format!(
                "The server chose {version}: it cannot speak TLS 1.2 or 1.3, which current senders require (Exchange Online refuses TLS 1.0 and 1.1 with \
                 `SMTPSEND.SuspiciousRemoteServerError`). Enable TLS 1.2 in the server's TLS settings or library: on Windows (IIS SMTP, other Windows MTAs) the \
                 SCHANNEL `Protocols\\TLS 1.2\\Server` registry key (Enabled=1, DisabledByDefault=0) and a reboot; on an OpenSSL-based MTA (Exim, Sendmail, an \
                 appliance) its protocol setting or MinProtocol/MaxProtocol, and an OpenSSL older than 1.0.1 must be upgraded; on an appliance, a firmware that \
                 speaks TLS 1.2."
            )),
        ),
    }
}

/// TLS is required before MAIL (`--check-required`): right for a submission port or a
/// connector for known partners, wrong for the public MX on port 25.
/// The server requires TLS on `port`, yet STARTTLS is not available there (not offered, or
/// refused): no sender can deliver.
pub fn tls_required_unreachable(port: u16) -> Fix {
    Fix::new(Family::Generic, "generic::tls_required_unreachable", &[&port.to_string()]).say(format!(
        "The server refuses mail without TLS on port {port}, and STARTTLS is not available there, so every sender is refused: senders that \
         require TLS queue (`451 5.7.3 STARTTLS is required to send mail`), the others are told `530 5.7.0 Must issue a STARTTLS command first`. \
         The server itself does TLS (it demands it), so make STARTTLS reach the senders: the finding about the missing or refused STARTTLS on \
         this port names the cause and its fix (a firewall that masks it, the listener's certificate)."
    ))
}

pub fn tls_required(port: u16, expected: bool) -> Fix {
    let as_expected = expected || port != 25;
    let text = if as_expected {
        "Nothing to change: clients must start TLS before they may send mail here, as expected."
    } else {
        "Nothing to change if this listener serves only known partners (a hybrid connector, a submission service). If it is the public MX that the world \
         sends to, RFC 3207 §4 says it must not require TLS: a sender whose TLS fails cannot deliver at all (`451 5.7.3 STARTTLS is required to send mail`). \
         Require TLS on a listener or connector reserved for the partners instead (Postfix: smtpd_tls_security_level=may on port 25; Exchange: RequireTLS \
         $false on the port-25 receive connector, and a partner connector of its own with RequireTLS $true)."
    };
    Fix::new(
        Family::Generic,
        "generic::tls_required",
        &[if as_expected { "expected" } else { "public-mx" }],
    )
    .say(text)
}

/// MAIL FROM was accepted without TLS (`--check-required`). `expected`: `--expect-required`
/// says TLS must be forced here.
pub fn tls_not_required(kind: ServerKind, port: u16, expected: bool) -> Fix {
    if !expected {
        return Fix::new(
            Family::Generic,
            "generic::tls_not_required",
            &[&port.to_string()],
        )
        .say(format!(
            "Nothing to change on a public MX: RFC 3207 §4 says a publicly-referenced server must not require TLS, and senders that want encryption enforce it \
             from their side (MTA-STS, DANE, a forced-TLS connector). If port {port} serves only partners that must use TLS (the on-premises end of a hybrid \
             connector, a partner connector), check it with --check-required --expect-required: then this is a warning with the change to make."
        ));
    }
    let public = if port == 25 {
        " Port 25 is usually the public MX too: if the world sends to this listener, give the partners a listener or connector of their own instead, \
         since RFC 3207 §4 says a publicly-referenced server must not require TLS."
    } else {
        ""
    };
    match kind {
        ServerKind::Exchange => Fix::new(
            Family::Exchange,
            "exchange::require_tls",
            &[&port.to_string()],
        )
        .say(format!(
            "TLS must be forced here, but the receive connector on port {port} accepts mail without it. Require TLS on that connector only.{public} In the \
             Exchange Management Shell:"
        ))
        .run(EMS, exchange::connector_lookup(port))
        .run(EMS, exchange::select_connector())
        .run(
            EMS,
            exchange::set_connector(exchange::SELECTED_CONNECTOR, "-RequireTLS $true"),
        )
        .run(EMS, exchange::restart_transport()),
        ServerKind::Postfix => {
            let fix = Fix::new(
                Family::Postfix,
                "postfix::require_tls",
                &[&port.to_string()],
            )
            .say(format!(
                "TLS must be forced here, but the listener on port {port} accepts mail without it. Set `encrypt` on its master.cf service only (main.cf's \
                 `may` stays for the other services); Postfix then answers `530 5.7.0 Must issue a STARTTLS command first`.{public}"
            ))
            .run(SH, "postconf -n | grep -E '^smtpd_tls_security_level '")
            .run(SH, "postconf -P | grep -E '/smtpd_tls_security_level '");
            let fix = if postfix::stock_service(port).is_none() {
                fix.run(SH, postfix::find_service(port))
            } else {
                fix
            };
            fix.run(
                SH,
                postfix::set_service_parameter(port, "smtpd_tls_security_level", "encrypt"),
            )
            .run(SH, postfix::reload())
        }
        ServerKind::Exim => super::exim::require_tls(port, public),
        _ => Fix::new(
            Family::Generic,
            "generic::require_tls",
            &[&port.to_string()],
        )
        .say(format!(
            "TLS must be forced here, but the listener on port {port} accepts mail without it. Make that listener require STARTTLS before MAIL FROM (it \
             should then answer `530 5.7.0 Must issue a STARTTLS command first`).{public}"
        )),
    }
}

/// `--check-required` could not tell.
pub fn tls_required_unknown() -> Fix {
    Fix::new(Family::Generic, "generic::tls_required_unknown", &[]).say(
        "Nothing is claimed either way. The reply in the evidence says why the server refused the null sender or the connection; the rest of the report \
         stands. Run again later, or from an address the server accepts mail from, to get an answer.",
    )
}
