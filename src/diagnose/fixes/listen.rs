//! Fixes for what a sender showed the listener (`listen`): they are written for the *sending*
//! side, and the listener cannot tell which software sent, so each fix speaks to the three
//! senders met in a hybrid: an Exchange send connector (Exchange Management Shell), Postfix's
//! SMTP client (`smtp_tls_*`) and Exim's `remote_smtp` transport.
//!
//! Only values safe to paste reach a command: names that passed
//! [`crate::diagnose::rules::certificate::safe_name`] (an `--expect-name`, a name on the
//! sender's certificate), thumbprints computed here. A sender's EHLO name and envelope
//! addresses never do; a DN from the certificate appears in prose, PowerShell-quoted.
//!
//! # References
//! - Microsoft Learn: Set-SendConnector (`-TlsCertificateName`, `-IgnoreSTARTTLS`, `-Fqdn`),
//!   Get-ExchangeCertificate (`-DomainName`), Set-InboundConnector
//!   (`-TlsSenderCertificateName`)
//! - postconf(5): `smtp_tls_security_level`, `smtp_tls_cert_file`, `smtp_tls_key_file`,
//!   `smtp_tls_protocols`, `smtp_helo_name`
//! - Exim specification, chapter 30 (the smtp transport: `tls_certificate`, `tls_privatekey`,
//!   `hosts_avoid_tls`, `tls_require_ciphers`)

use super::exchange::{CERTIFICATE_FIELDS, quoted};
use super::postfix::{Side, set_certificate_line, set_certificate_note};
use crate::diagnose::fix::{Family, Fix, Shell};

const EMS: Shell = Shell::ExchangeManagementShell;
const EXO: Shell = Shell::ExchangeOnlinePowerShell;
const SH: Shell = Shell::PostfixShell;

/// The fields of `Get-SendConnector` that decide what it presents and checks.
const SEND_CONNECTOR_FIELDS: &str = "Name,AddressSpaces,SmartHosts,Fqdn,TlsCertificateName,IgnoreSTARTTLS,RequireTLS,TlsAuthLevel,TlsDomain";

/// The send connector the lookup printed, for the admin to fill in (a quoted placeholder:
/// the line names what to put there).
const SEND_CONNECTOR_FROM_ABOVE: &str = "\"<send connector name from above>\"";

/// Lists the send connectors (read-only).
fn list_send_connectors() -> String {
    format!("Get-SendConnector | fl {SEND_CONNECTOR_FIELDS}")
}

/// Postfix: shows the client-side TLS settings (read-only).
const POSTFIX_SHOW: &str = "postconf smtp_tls_security_level smtp_tls_cert_file smtp_tls_key_file smtp_tls_protocols smtp_helo_name";

/// Postfix: what the SMTP client has in force, in the three places that set it: main.cf
/// (with the transport_maps and relayhost that pick the transport), the master.cf `-o`
/// overrides of each transport (which win over main.cf), and smtp_tls_policy_maps (which
/// wins over both, per destination). Read-only.
fn postfix_in_force(fix: Fix) -> Fix {
    fix.say(
        "Postfix: the SMTP client's TLS settings are in main.cf, in -o overrides on the master.cf transport that delivers to this \
         receiver (which win over main.cf; transport_maps or relayhost name the transport, `smtp` when neither does), and in \
         smtp_tls_policy_maps per destination (which wins over both). See what is in force:",
    )
    .run(SH, "postconf -n | grep -E '^(smtp_tls_|transport_maps|relayhost)'")
    .run(SH, "postconf -P | grep -E '/smtp_tls_'")
    .run(SH, "postconf -h smtp_tls_policy_maps")
    .say(
        "Set transport= to the master.cf transport that delivers to this receiver (smtp unless transport_maps or relayhost name \
         another), e.g. transport=smtp. If smtp_tls_policy_maps names a table with an entry for this receiver, that entry's \
         level wins: change it there and run postmap on the table.",
    )
}

/// Postfix: raises the level of the transport `$transport` to `may` only where it is `none` or
/// empty (an encrypt, dane, verify or secure level is never lowered): on the transport's
/// master.cf `-o` override when it has one, else in main.cf.
const POSTFIX_RAISE_LEVEL: &str = "o=\"${transport:?}/unix/smtp_tls_security_level\"; \
if postconf -P | grep -q \"^$o \"; then l=$(postconf -Ph \"$o\"); case \"$l\" in none|'') postconf -P \"$o=may\" ;; *) echo \"$o = $l: left as it is\" ;; esac; \
else l=$(postconf -h smtp_tls_security_level); case \"$l\" in none|'') postconf -e 'smtp_tls_security_level = may' ;; *) echo \"smtp_tls_security_level = $l: left as it is\" ;; esac; fi";

/// Postfix: installs the client certificate for the transport `$transport`: on the
/// transport's `-o` override (smtp_tls_chain_files, Postfix 3.4 and later: the key, then the
/// certificate and its intermediates) when it has any smtp_tls_ certificate setting (which
/// would win over main.cf), else in main.cf as [`set_certificate_line`] does; only when both
/// files are readable.
fn postfix_set_chain() -> String {
    format!(
        "test -r \"${{key:?}}\" && test -r \"${{chain:?}}\" && {}",
        set_certificate_line(
            Side::Client,
            Some((
                "postconf -P | grep -qE \"^${transport:?}/unix/smtp_tls_(chain_files|cert_file|key_file) \"",
                "postconf -P \"${transport:?}/unix/smtp_tls_chain_files=${key:?},${chain:?}\"",
            )),
        )
    )
}

/// Checks the configuration, then reloads.
const POSTFIX_RELOAD: &str = "postfix check && postfix reload";

/// Exim: the transport options to look at (prose: the transport lives in the configuration file).
const EXIM_TRANSPORT: &str = "On Exim, the remote_smtp transport (Exim specification, chapter 30)";

/// The sender did not use STARTTLS although it was offered.
pub fn use_starttls() -> Fix {
    let fix = Fix::new(Family::Generic, "listen::use_starttls", &[])
        .say("Make the sending server use STARTTLS when the receiver offers it.")
        .say("Exchange: a send connector with IgnoreSTARTTLS set never uses TLS; turn it off (and RequireTLS on, for a partner or hybrid connector):")
        .run(EMS, list_send_connectors())
        .run(EMS, format!("Set-SendConnector {SEND_CONNECTOR_FROM_ABOVE} -IgnoreSTARTTLS $false"));
    postfix_in_force(fix)
        .say("Postfix: if the level in force for that transport is none or empty, set it to may (opportunistic TLS; encrypt, dane, \
              verify or secure already use TLS and are never lowered). The next line does that on the transport's -o override when it \
              has one, else in main.cf, and only there:")
        .run(SH, POSTFIX_RAISE_LEVEL)
        .run(SH, POSTFIX_RELOAD)
        .say(format!("{EXIM_TRANSPORT}: remove the host from hosts_avoid_tls (hosts_try_tls defaults to *)."))
}

/// The sender greeted with HELO.
pub fn use_ehlo() -> Fix {
    Fix::new(Family::Generic, "listen::use_ehlo", &[])
        .say("STARTTLS is announced only in the reply to EHLO. Every current MTA sends EHLO; a HELO usually means an old client, a script, \
              or a device in the path (an SMTP fixup or inspection feature) that rewrites EHLO: test from the sender's own host, then \
              from in front of each device on the path.")
}

/// The handshake failed: the reason is in the evidence; what to check on the sender.
pub fn tls_failed() -> Fix {
    Fix::new(Family::Generic, "listen::tls_failed", &[])
        .say("Look at the sender's log for the same connection: it names its side of the failure (Exchange: the send protocol log, \
              TLS negotiation failed with error …; Postfix: `Cannot start TLS: handshake failure`).")
        .say("Check that the sender offers TLS 1.2 or 1.3 with ECDHE and AES-GCM or ChaCha20-Poly1305, which every current receiver \
              requires (Exchange Online too):")
        .run(SH, POSTFIX_SHOW)
}

/// The sender offers only TLS 1.1 or older.
pub fn enable_tls12() -> Fix {
    Fix::new(Family::Generic, "listen::enable_tls12", &[])
        .say("Enable TLS 1.2 on the sending server. On Windows (Exchange 2010–2016 on an old build), enable the SCHANNEL Client key of \
              TLS 1.2 and make .NET use the system's TLS versions (SystemDefaultTlsVersions=1, SchUseStrongCrypto=1), then restart the \
              server; the Exchange Server TLS configuration guidance on Microsoft Learn lists the keys.")
        .run(
            Shell::WindowsPowerShell,
            r"Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Client' -ErrorAction SilentlyContinue | fl Enabled,DisabledByDefault",
        )
        .say("Postfix built against OpenSSL 1.0.1 or newer speaks TLS 1.2; older builds need an upgrade. Check what it allows:")
        .run(SH, POSTFIX_SHOW)
        .run(SH, "postconf -e 'smtp_tls_protocols = >=TLSv1.2'")
        .run(SH, "postfix reload")
}

/// The sender still offers TLS 1.0 or 1.1 beside newer versions.
pub fn drop_old_versions() -> Fix {
    Fix::new(Family::Generic, "listen::drop_old_versions", &[])
        .say("Optional: stop offering TLS 1.0 and 1.1 (RFC 8996). Postfix:")
        .run(SH, "postconf -e 'smtp_tls_protocols = >=TLSv1.2'")
        .run(SH, "postfix reload")
        .say("Windows/Exchange: disable the SCHANNEL Client keys of TLS 1.0 and TLS 1.1 (Enabled=0) after checking that no partner \
              needs them, then restart the server.")
}

/// The sender refused the listener's certificate: it validates the receiver.
pub fn our_certificate_refused() -> Fix {
    Fix::new(Family::Generic, "listen::our_certificate_refused", &[])
        .say("The sender checks the receiver's certificate (Exchange: a send connector with TlsAuthLevel CertificateValidation or \
              DomainValidation and a TlsDomain; Postfix: smtp_tls_security_level verify or secure; MTA-STS or DANE). The certificate \
              this listener makes at start is self-signed, and such a sender refuses it.")
        .say("Run the listener with --cert FILE (and --key PEM, or a PFX with --cert-password-env) holding a certificate for the \
              name the sender connects to (its smart host, or the TlsDomain it checks), issued by a CA the sender trusts. If the \
              listener already runs with one, the sender does not trust its issuer, or the name is not the one it expects.")
}

/// The sender presented no client certificate. `expect`: the `--expect-name` values that are
/// safe to paste.
pub fn present_certificate(expect: &[String]) -> Fix {
    let values: Vec<&str> = expect.iter().map(String::as_str).collect();
    let fix = Fix::new(Family::Generic, "listen::present_certificate", &values);
    let what = match expect.first() {
        Some(n) => format!("a certificate that covers {n}"),
        None => "a certificate for the sending server's name".to_string(),
    };
    let fix = if expect.is_empty() {
        // Without --expect-name nothing says this sender should authenticate: most send none.
        fix.say(format!(
            "Nothing to change unless this sender should authenticate with a certificate (an Exchange Online inbound connector with \
             TlsSenderCertificateName, a receive connector or Postfix that requires one). If it should, make it present {what} \
             when it sends (a TLS client sends one only if it is configured to):"
        ))
    } else {
        fix.say(format!(
            "Make the sending server present {what} when it sends (a TLS client sends one only if it is configured to)."
        ))
    };
    let fix = fix
        .say("Exchange: a send connector presents the certificate its TlsCertificateName names (else one for its Fqdn). Find the \
              certificate, then name it on the connector (Exchange Online's inbound connector matches it against TlsSenderCertificateName):")
        .run(EMS, list_send_connectors());
    let fix = name_certificate_on_send_connector(fix, expect.first());
    postfix_certificate(postfix_in_force(fix))
        .say(
            "Postfix: the certificate is sent only with TLS in use: if the level in force for that transport is none or empty, \
             the next line sets may (never lowering encrypt, dane, verify or secure):",
        )
        .run(SH, POSTFIX_RAISE_LEVEL)
        .run(SH, POSTFIX_RELOAD)
        .say(format!(
            "{EXIM_TRANSPORT}: set tls_certificate and tls_privatekey on the transport (not only in the main section, which is the server's)."
        ))
}

/// Postfix: the steps that install the client certificate and key for `$transport`
/// (smtp_tls_chain_files, where the transport reads it). The admin sets `key=` and `chain=`.
fn postfix_certificate(fix: Fix) -> Fix {
    fix.say(
        "Postfix: set key= to the private key file and chain= to the certificate file (the certificate first, then its \
         intermediates). Postfix 3.4 and later read both from smtp_tls_chain_files (key first, then the chain), which replaces \
         smtp_tls_cert_file and smtp_tls_key_file. The next line sets it on the transport's -o override when the transport has its \
         own certificate settings (they would win over main.cf), else in main.cf, and only when both files are readable (before \
         Postfix 3.4, set smtp_tls_cert_file and smtp_tls_key_file in the same place instead):",
    )
    .run(SH, postfix_set_chain())
    .say(set_certificate_note(Side::Client))
}

/// Exchange: list the certificates (those that cover `name`, when one is wanted), then put
/// the chosen one's issuer and subject on the send connector as its TlsCertificateName.
fn name_certificate_on_send_connector(fix: Fix, name: Option<&String>) -> Fix {
    let fix = match name {
        Some(n) => fix.run(
            EMS,
            format!(
                "Get-ExchangeCertificate -DomainName {} | fl {CERTIFICATE_FIELDS}",
                quoted(n)
            ),
        ),
        None => fix.run(
            EMS,
            format!("Get-ExchangeCertificate | fl {CERTIFICATE_FIELDS}"),
        ),
    };
    fix.run(
        EMS,
        "$c = Get-ExchangeCertificate -Thumbprint <thumbprint of that certificate>; $n = \"<I>$($c.Issuer)<S>$($c.Subject)\"",
    )
    .run(
        EMS,
        format!("if ($c) {{ Set-SendConnector {SEND_CONNECTOR_FROM_ABOVE} -TlsCertificateName $n }}"),
    )
}

/// The sender's certificate does not cover `missing` (safe names); `on_cert`: the names it
/// has that are safe to paste; `trusted`: the chain was judged trusted (so one of its names may
/// be suggested as the connector's expected name).
pub fn certificate_name(missing: &[String], on_cert: &[String], trusted: bool) -> Fix {
    let mut values: Vec<&str> = missing.iter().map(String::as_str).collect();
    values.push("|");
    values.extend(on_cert.iter().map(String::as_str));
    values.push(if trusted { "trusted" } else { "-" });
    let fix = Fix::new(Family::Generic, "listen::certificate_name", &values);
    let wanted = if missing.is_empty() {
        "the expected name".to_string()
    } else {
        missing.join(", ")
    };
    let fix = fix
        .say(format!(
            "Either make the sender present a certificate that covers {wanted}, or make the receiver expect a name the certificate has."
        ))
        .say("Exchange (sending side): point the send connector at the right certificate:")
        .run(EMS, list_send_connectors());
    let fix = name_certificate_on_send_connector(fix, missing.first());
    let fix = postfix_certificate(postfix_in_force(fix)).run(SH, POSTFIX_RELOAD);
    match (trusted, on_cert.first()) {
        (true, Some(name)) => fix
            .say("Or, in Exchange Online, expect a name the certificate has (an accepted domain of the tenant, else 550 5.7.64 TenantAttribution):")
            .run(EXO, "Get-InboundConnector | fl Name,ConnectorType,RequireTls,TlsSenderCertificateName")
            .run(
                EXO,
                format!(
                    "Set-InboundConnector \"<inbound connector name from above>\" -TlsSenderCertificateName {}",
                    quoted(name)
                ),
            ),
        _ => fix,
    }
}

/// The sender's certificate expired (or is not yet valid). `thumbprint`: its SHA-1, as
/// Windows shows it; `tls_name`: its `<I>…<S>…` (prose only).
pub fn renew_certificate(thumbprint: &str, tls_name: &str) -> Fix {
    Fix::new(
        Family::Generic,
        "listen::renew_certificate",
        &[thumbprint, tls_name],
    )
    .say(format!(
        "Renew the sending server's certificate and make the sender present the new one. The one it presents has the thumbprint {thumbprint} \
         and the TlsCertificateName {}.",
        quoted(tls_name)
    ))
    .say("Exchange: after importing the renewed certificate and enabling it for SMTP, the send connector still names the old one until changed:")
    .run(EMS, format!("Get-ExchangeCertificate -Thumbprint {thumbprint} | fl {CERTIFICATE_FIELDS}"))
    .run(EMS, list_send_connectors())
    .run(
        EMS,
        "$c = Get-ExchangeCertificate -Thumbprint <new thumbprint>; $n = \"<I>$($c.Issuer)<S>$($c.Subject)\"",
    )
    .run(
        EMS,
        format!("if ($c) {{ Set-SendConnector {SEND_CONNECTOR_FROM_ABOVE} -TlsCertificateName $n }}"),
    )
    .say("Postfix: the files are named by smtp_tls_chain_files (or smtp_tls_cert_file and smtp_tls_key_file), in main.cf or in an \
          -o override on the transport that sends, which wins. Find them, set chain= to the renewed certificate file and \
          check its subject and dates, replace the files (or point the setting at the new ones), then reload:")
    .run(SH, "postconf -n | grep -E '^smtp_tls_(chain_files|cert_file|key_file) '")
    .run(SH, "postconf -P | grep -E '/smtp_tls_(chain_files|cert_file|key_file) '")
    .run(SH, "openssl x509 -noout -subject -enddate -in \"${chain:?}\"")
    .run(SH, POSTFIX_RELOAD)
}

/// The sender's chain does not lead to a root trusted here: see which file the transport
/// sends, list it, and install the certificate with its intermediates the way the other fixes
/// do ([`postfix_certificate`]: `key=` and `chain=` set first).
pub fn send_trusted_chain() -> Fix {
    let fix = Fix::new(Family::Generic, "listen::send_trusted_chain", &[])
        .say("Receivers that authenticate a sender (Exchange Online with TlsSenderCertificateName) need a certificate from a public CA, \
              sent with its intermediates. If the certificate is from a public CA, the sender is not sending its intermediate: \
              Exchange sends what the server's certificate store can build (import the intermediate into Intermediate Certification \
              Authorities); Postfix sends the file smtp_tls_chain_files names (or, without it, smtp_tls_cert_file): the certificate \
              first, then the intermediates.");
    postfix_certificate(
        postfix_in_force(fix)
            .say("Postfix: set chain= to the certificate file that transport uses (listed above: the file after the key in \
                  smtp_tls_chain_files, or smtp_tls_cert_file) and list the certificates in it, each with its issuer:")
            .run(SH, "openssl crl2pkcs7 -nocrl -certfile \"${chain:?}\" | openssl pkcs7 -print_certs -noout")
            .say("If an intermediate is missing, put the certificate followed by its intermediates in a file (certbot: fullchain.pem) \
                  and install it:"),
    )
    .run(SH, POSTFIX_RELOAD)
    .say("If you expect a private CA here, run the listener with --ca-file holding that CA's root.")
}

/// The sender's certificate lacks clientAuth in its EKU.
pub fn client_auth_eku() -> Fix {
    Fix::new(Family::Generic, "listen::client_auth_eku", &[])
        .say("Get a certificate whose Extended Key Usage includes Client Authentication (1.3.6.1.5.5.7.3.2) for the sending server: \
              public CAs are dropping it from server certificates in 2026, so a renewal may have removed it. Ask the CA for a \
              certificate with both serverAuth and clientAuth, or use a separate client certificate on the send connector \
              (TlsCertificateName) or in smtp_tls_cert_file.")
}

/// The sender did not send EHLO again after TLS.
pub fn ehlo_again() -> Fix {
    Fix::new(Family::Generic, "listen::ehlo_again", &[]).say(
        "A sender must forget what it learned before TLS and greet again with EHLO (RFC 3207 §4.2). Every current MTA does; \
         update the sending software, or look for a device in the path that answers for it.",
    )
}

/// The sender pipelined commands after STARTTLS.
pub fn stop_pipelining_starttls() -> Fix {
    Fix::new(Family::Generic, "listen::stop_pipelining_starttls", &[]).say(
        "The commands sent after STARTTLS in the same packet were discarded, unexecuted. A correct sender waits for the 220 reply \
         before the handshake (RFC 3207 §4). Update the sending software, and look for a device in the path that injects commands \
         (the CVE-2011-0411 class).",
    )
}

/// The EHLO name is not on the client certificate or does not match the PTR. `name`: a name on
/// the certificate, safe to paste, to greet with.
pub fn greet_with_certificate_name(name: Option<&str>) -> Fix {
    let fix = Fix::new(
        Family::Generic,
        "listen::greet_with_certificate_name",
        &[name.unwrap_or_default()],
    )
    .say("Optional: greet with a name that is on the certificate and in the PTR record of the sending address.");
    match name {
        Some(n) => fix
            .say("Exchange: the send connector greets with its Fqdn:")
            .run(EMS, list_send_connectors())
            .run(
                EMS,
                format!(
                    "Set-SendConnector {SEND_CONNECTOR_FROM_ABOVE} -Fqdn {}",
                    quoted(n)
                ),
            )
            .say("Postfix: the SMTP client greets with smtp_helo_name (main.cf, unless an -o override on the transport that sends sets it, which wins):")
            .run(SH, "postconf -P | grep -E '/smtp_helo_name '")
            .run(SH, format!("postconf -e 'smtp_helo_name = {n}'"))
            .run(SH, POSTFIX_RELOAD),
        None => fix,
    }
}

/// Nothing connected to the listener.
pub fn no_sender(address: &str, loopback: bool) -> Fix {
    let fix = Fix::new(
        Family::Generic,
        "listen::no_sender",
        &[address, if loopback { "loopback" } else { "public" }],
    )
    .say(format!(
        "Point a sender at {address}: an Exchange send connector with this host as its smart host (and the port), a Postfix \
         transport (`relay:[host]:port`), or `swaks --server host:port --tls`."
    ));
    let fix = if loopback {
        fix.say("The listener is bound to a loopback address: only this machine can reach it. Give an address (0.0.0.0:PORT) with --public to listen for other machines.")
    } else {
        fix
    };
    fix.say("Check that the firewall lets the port through, and that the run lasts long enough (--duration) for the sender's next retry.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_hold_only_quoted_or_computed_values() {
        let f = certificate_name(
            &["mail.contoso.test".into()],
            &["o'brien.contoso.test".into()],
            true,
        );
        let cmds: Vec<&str> = f.commands().map(|(_, c)| c).collect();
        assert!(
            cmds.iter()
                .any(|c| c.contains("-TlsSenderCertificateName 'o''brien.contoso.test'"))
        );
        assert!(
            cmds.iter()
                .any(|c| c.contains("-DomainName 'mail.contoso.test'"))
        );
        // Untrusted: nothing from the certificate is suggested as the expected name.
        let f = certificate_name(&[], &["a.contoso.test".into()], false);
        assert!(!f.text().contains("a.contoso.test"));
    }

    /// Issue 17: no Postfix line lowers a level, ignores the transport's -o override, sets
    /// smtp_tls_cert_file under a chain_files that would win, or reads a main.cf file name
    /// that a per-transport setup leaves empty.
    #[test]
    fn postfix_steps_show_what_is_in_force_and_never_lower_the_level() {
        for f in [
            use_starttls(),
            present_certificate(&[]),
            present_certificate(&["mail.contoso.test".into()]),
            certificate_name(&["mail.contoso.test".into()], &[], false),
            renew_certificate("AB", "<I>CN=CA<S>CN=x"),
            send_trusted_chain(),
        ] {
            let cmds: Vec<&str> = f
                .commands()
                .filter(|(s, _)| *s == SH)
                .map(|(_, c)| c)
                .collect();
            let text = f.text();
            assert!(
                cmds.iter()
                    .any(|c| c.contains("postconf -P | grep -E '/smtp_tls_")),
                "the master.cf overrides are shown: {text}"
            );
            for c in &cmds {
                assert!(!c.contains("postconf -xh smtp_tls_cert_file"), "{c}");
                // The legacy pair goes to main.cf only when main.cf has no chain_files (which
                // would win over it) and another transport overrides the legacy pair.
                if c.contains("smtp_tls_cert_file = ") {
                    assert!(
                        c.contains("[ -z \"$(postconf -hx smtp_tls_chain_files)\" ]"),
                        "{c}"
                    );
                }
                // The only line that sets may does it under `none|''`.
                if c.contains("smtp_tls_security_level = may") {
                    assert!(c.contains("none|'')"), "an unconditional level change: {c}");
                }
            }
        }
        let f = use_starttls();
        assert!(f.text().contains("never lowered"));
        assert!(f.text().contains("smtp_tls_policy_maps"));
        assert!(f.commands().any(|(_, c)| c == POSTFIX_RAISE_LEVEL));
        let set = postfix_set_chain();
        let parses = std::process::Command::new("sh")
            .args(["-n", "-c", &set])
            .status()
            .unwrap();
        assert!(parses.success(), "sh cannot parse: {set}");
        for f in [
            present_certificate(&[]),
            certificate_name(&[], &[], false),
            send_trusted_chain(),
        ] {
            assert!(f.commands().any(|(_, c)| c == set), "{}", f.text());
            let text = f.text();
            let key = text.find("set key= to the private key file").unwrap();
            assert!(
                key < text.find(&set).unwrap(),
                "key= and chain= are set first: {text}"
            );
        }
        assert_eq!(
            set,
            "test -r \"${key:?}\" && test -r \"${chain:?}\" && \
             if postconf -P | grep -qE \"^${transport:?}/unix/smtp_tls_(chain_files|cert_file|key_file) \"; \
             then postconf -P \"${transport:?}/unix/smtp_tls_chain_files=${key:?},${chain:?}\"; \
             elif postconf -P | grep -qE '/smtp_tls_(cert|key)_file ' && [ -z \"$(postconf -hx smtp_tls_chain_files)\" ]; \
             then postconf -e \"smtp_tls_cert_file = ${chain:?}\" \"smtp_tls_key_file = ${key:?}\"; \
             else postconf -e \"smtp_tls_chain_files = ${key:?}, ${chain:?}\"; fi"
        );
    }

    /// Without --expect-name the no-certificate fix is conditional; the EHLO-name fix labels
    /// each product's lines.
    #[test]
    fn the_no_certificate_fix_is_conditional_and_the_ehlo_fix_labels_products() {
        let text = present_certificate(&[]).text();
        assert!(
            text.starts_with("Nothing to change unless this sender should authenticate"),
            "{text}"
        );
        assert!(text.contains("TlsSenderCertificateName"));
        let text = present_certificate(&["mail.contoso.test".into()]).text();
        assert!(
            text.starts_with("Make the sending server present"),
            "{text}"
        );
        let text = greet_with_certificate_name(Some("mail.contoso.test")).text();
        let ex = text.find("Exchange: the send connector greets").unwrap();
        let pf = text.find("Postfix: the SMTP client greets").unwrap();
        assert!(ex < text.find("Set-SendConnector").unwrap());
        assert!(pf < text.find("smtp_helo_name = ").unwrap());
    }
}
