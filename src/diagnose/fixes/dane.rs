//! Fixes for the dane findings: data, built from values the probe saw.
//!
//! A zone line or a command carries only a host name that passed `normalize_name` (the rules
//! pass nothing else) and digests this program computed from the certificate the server sent;
//! record text from DNS appears in evidence, never in a command.
//!
//! # References
//! - RFC 7671 §8.1 (publishing TLSA records across a key rollover), §8.4 (TA and EE together)
//! - RFC 7672 §2.1, §3.1 (DANE for SMTP)
//! - Microsoft Learn: How SMTP DNS-based Authentication of Named Entities (DANE) works
//!   (<https://learn.microsoft.com/en-us/purview/how-smtp-dane-works>)

use crate::diagnose::ServerKind;
use crate::diagnose::fix::{Family, Fix, Shell};

/// Where Microsoft documents what Exchange Online's outbound DANE checks and refuses.
pub const MS_LEARN_DANE: &str = "Microsoft Learn, \"How SMTP DNS-based Authentication of Named Entities (DANE) works\" \
     (https://learn.microsoft.com/en-us/purview/how-smtp-dane-works)";

fn fix(template: &'static str, values: &[&str]) -> Fix {
    Fix::new(Family::Generic, template, values)
}

/// `_25._tcp.mx.contoso.com`, for a validated host and a port.
pub fn tlsa_owner(port: u16, host: &str) -> String {
    format!("_{port}._tcp.{host}")
}

/// Zone lines publishing `records` (`3 1 1 <HEX>`, computed here) at `owner`.
fn zone_lines(mut f: Fix, owner: &str, records: &[&str]) -> Fix {
    for r in records {
        f = f.run(Shell::DnsZone, format!("{owner}. IN TLSA {r}"));
    }
    f
}

/// How to compute the `3 1 1` digest of the key on the server itself, for the family that
/// answered (`port` and `host` validated).
fn digest_on_server(kind: ServerKind, port: u16, host: &str) -> Fix {
    let pipeline =
        "openssl x509 -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256";
    let f = fix(
        "dane::digest_on_server",
        &[kind_name(kind), &port.to_string(), host],
    );
    let f = match kind {
        ServerKind::Postfix | ServerKind::Zimbra => f
            .say("On the Postfix host, find the certificate file it serves and compute the digest of its public key (the \"3 1 1\" data):")
            .run(Shell::PostfixShell, "postconf -h smtpd_tls_chain_files smtpd_tls_cert_file")
            .run(
                Shell::PostfixShell,
                "openssl x509 -in /path/from/postconf/cert.pem -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256",
            ),
        ServerKind::Exim => f
            .say("On the Exim host, find the certificate file it serves and compute the digest of its public key (the \"3 1 1\" data):")
            .run(Shell::EximShell, "exim -bP tls_certificate")
            .run(
                Shell::EximShell,
                "openssl x509 -in /path/from/exim/cert.pem -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256",
            ),
        ServerKind::Exchange => f
            .say("On Exchange, export the certificate bound to SMTP (the certificate only, no private key) and compute the digest of its public key on any machine with openssl:")
            .run(
                Shell::ExchangeManagementShell,
                "Get-ExchangeCertificate | Where-Object { $_.Services -match 'SMTP' } | Format-List Thumbprint,Subject,NotAfter",
            )
            .run(
                Shell::ExchangeManagementShell,
                "Export-Certificate -Cert Cert:\\LocalMachine\\My\\<Thumbprint> -Type CERT -FilePath C:\\smtp.cer",
            )
            .run(
                Shell::Shell,
                "openssl x509 -inform DER -in smtp.cer -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256",
            ),
        _ => f,
    };
    f.say("Or from anywhere, from the certificate the server sends:").run(
        Shell::Shell,
        format!(
            "openssl s_client -starttls smtp -connect {host}:{port} -servername {host} </dev/null 2>/dev/null | {pipeline}"
        ),
    )
}

fn kind_name(kind: ServerKind) -> &'static str {
    match kind {
        ServerKind::Postfix | ServerKind::Zimbra => "postfix",
        ServerKind::Exim => "exim",
        ServerKind::Exchange => "exchange",
        _ => "other",
    }
}

/// The rollover procedure of RFC 7671 §8.1, in words.
const ROLLOVER: &str = "Before the next certificate or key change, publish the next key's record beside the current one \
     (\"current + next\"), wait at least twice the TLSA record's TTL so that no resolver still holds the old RRset, \
     switch the server to the new certificate, then remove the old record (RFC 7671 §8.1). Renewing with the same key \
     (certbot --reuse-key) keeps a \"3 1 1\" record valid across renewals. \
     A \"2 1 1\" record of the issuing CA beside the \"3 1 1\" also survives a change of key (RFC 7671 §8.4).";

/// The host's records match nothing: publish the records for the certificate sent now
/// (`records`: the leaf's `3 1 1` and its digest computed here), then the rollover procedure.
pub fn publish_current(port: u16, host: Option<&str>, records: &[&str], kind: ServerKind) -> Fix {
    let owner = host.map(|h| tlsa_owner(port, h));
    let mut f = fix(
        "dane::publish_current",
        &[owner.as_deref().unwrap_or(""), &records.join(",")],
    )
    .say(
        "Publish a TLSA record for the certificate the server sends now, beside the records that are there (keep them until \
         the server no longer needs them), in the DNSSEC-signed zone:",
    );
    if let Some(owner) = &owner {
        f = zone_lines(f, owner, records);
        f = f
            .say("Then check that the record is published and signed, and that a DANE client accepts the server:")
            .run(Shell::Shell, format!("dig +dnssec +multi TLSA {owner}"))
            .run(Shell::Shell, format!("posttls-finger -t30 -T180 -c -l dane \"[{}]:{port}\"", host.unwrap_or_default()));
    } else {
        f = f.say(
            "(The host name is not one that can be pasted into a zone file; the digests are in the evidence.)",
        );
    }
    if let Some(h) = host {
        f = f.then(digest_on_server(kind, port, h));
    }
    f.say(ROLLOVER)
}

/// One usable record, no DANE-TA: the next key change breaks DANE delivery unless its record is
/// published first.
pub fn rollover(port: u16, host: Option<&str>, current: &str, kind: ServerKind) -> Fix {
    let f = fix(
        "dane::rollover",
        &[host.unwrap_or(""), &port.to_string(), current],
    )
    .say(
        "Keep two records in the TLSA RRset: the current key's and the next one's. Create the next key (or certificate \
         request) now, compute its \"3 1 1\" digest and publish it beside the current record:",
    );
    let f = match host {
        Some(h) => zone_lines(f, &tlsa_owner(port, h), &[current])
            .say(format!(
                "and beside it a second line `{}. IN TLSA 3 1 1 ...` with the SHA-256 of the next key's public key, computed \
                 from the next certificate (or its request) as below.",
                tlsa_owner(port, h)
            ))
            .then(digest_on_server(kind, port, h)),
        None => f,
    };
    f.say(ROLLOVER)
}

/// Secure records, none usable: replace them with a `3 1 1` record of the key sent now.
pub fn replace_unusable(port: u16, host: Option<&str>, records: &[&str], kind: ServerKind) -> Fix {
    let f = fix(
        "dane::replace_unusable",
        &[host.unwrap_or(""), &port.to_string(), &records.join(",")],
    )
    .say(
        "SMTP clients use only DANE-TA(2) and DANE-EE(3) records with selector 0 or 1 and matching type 0, 1 or 2 \
         (RFC 7672 §3.1). Replace the unusable records with a \"3 1 1\" record of the key the server sends now \
         (Microsoft recommends \"3 1 1\" too):",
    );
    let f = match host {
        Some(h) => {
            zone_lines(f, &tlsa_owner(port, h), records).then(digest_on_server(kind, port, h))
        }
        None => f,
    };
    f.say(ROLLOVER)
}

/// A lookup of `qtype` at `name` (validated) failed DNSSEC validation.
pub fn bogus(qtype: &str, name: Option<&str>) -> Fix {
    let f = fix("dane::bogus", &[qtype, name.unwrap_or("")]).say(
        "A validating resolver refuses this answer (bogus), so DANE senders defer mail (RFC 7672 §2.1; Exchange Online: \
         4.7.324 dnssec-invalid). See the data without validation, and why validation fails:",
    );
    let f = match name {
        Some(n) => f
            .run(Shell::Shell, format!("dig +dnssec +cd {qtype} {n}"))
            .run(Shell::Shell, format!("delv {qtype} {n}"))
            .run(Shell::Shell, format!("delv +vtrace {qtype} {n}")),
        None => f,
    };
    f.say(
        "Usual causes: expired RRSIGs (the signer stopped re-signing the zone: check the RRSIG expiration dates in the dig output), \
         a DS record at the parent for a key the zone no longer uses (after a key rollover or a change of DNS provider: the registrar \
         still publishes the old provider's DS; replace it with the DS of the new DNSKEY, or remove it to go unsigned), or a zone \
         signed with an algorithm resolvers do not support. DNSViz (https://dnsviz.net) draws the chain of trust and marks the break.",
    )
}

/// TLSA is secure at a host but the domain's MX RRset is not: sign the domain.
pub fn sign_domain(domain: Option<&str>) -> Fix {
    let f = fix("dane::sign_domain", &[domain.unwrap_or("")]).say(
        "Sign the mail domain's zone with DNSSEC at its DNS provider and publish the DS record at the registrar, so that \
         the MX RRset is secure and DANE applies to the domain (RFC 7672 §2.2.1). Until then a sender that uses DANE \
         only encrypts (Postfix: \"MX RRset insecure\"), and an attacker who forges the MX answer escapes the TLSA records.",
    );
    match domain {
        Some(d) => f
            .say("Check the MX RRset's status afterwards (the flags show `ad` when it validates):")
            .run(Shell::Shell, format!("delv MX {d}"))
            .run(Shell::Shell, format!("dig +dnssec MX {d}")),
        None => f,
    }
}

/// The resolver's AD bit is not trusted: how to get a verdict.
pub fn trusted_resolver(rerun: Option<&str>) -> Fix {
    let f = fix("dane::trusted_resolver", &[rerun.unwrap_or("")]).say(
        "Judge DANE with a validating resolver this run can trust: run one on this machine (unbound, with its root trust \
         anchor) and pass it with --resolver, or, if you trust the resolver you asked and the network path to it, say so \
         with --trust-resolver:",
    );
    let f = f
        .run(
            Shell::Shell,
            "sudo apt-get install unbound   # validates DNSSEC on 127.0.0.1:53 by default",
        )
        .run(
            Shell::Shell,
            "dig +dnssec @127.0.0.1 . SOA   # `ad` among the flags: it validates",
        );
    match rerun {
        Some(t) => f
            .run(
                Shell::Shell,
                format!("starttls-check {t} --resolver 127.0.0.1"),
            )
            .run(Shell::Shell, format!("starttls-check {t} --trust-resolver")),
        None => f,
    }
}

/// DANE-EE matches but the leaf is expired or names another host: what Exchange Online needs.
pub fn exchange_online_interop(host: Option<&str>, expired: bool, wrong_name: bool) -> Fix {
    let what = match (expired, wrong_name) {
        (true, true) => "a current certificate that names the MX host",
        (true, false) => "a current certificate",
        _ => "a certificate that names the MX host",
    };
    fix(
        "dane::exchange_online_interop",
        &[host.unwrap_or(""), &expired.to_string(), &wrong_name.to_string()],
    )
    .say(format!(
        "Postfix, Exim and other RFC 7672 senders deliver: a DANE-EE(3) record pins the key, and they ignore the certificate's \
         dates and names (RFC 7672 §3.1.1). Exchange Online does not: it refuses an expired leaf with 4.7.322 \
         certificate-expired and one that names neither the domain nor the MX host with 4.7.325 certificate-host-mismatch \
         ({MS_LEARN_DANE}). Install {what}{}. Renew with the same key (certbot --reuse-key) and the \"3 1 1\" record stays \
         valid; with a new key, publish its record first and wait twice the TTL (RFC 7671 §8.1).",
        host.map(|h| format!(" ({h})")).unwrap_or_default()
    ))
}
