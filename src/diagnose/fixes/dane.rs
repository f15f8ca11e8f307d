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
///
/// `ta_unsent`: a DANE-TA digest record names a CA certificate the server does not send; the
/// other way out is to send it (RFC 7671 §5.2.2).
pub fn publish_current(
    port: u16,
    host: Option<&str>,
    records: &[&str],
    kind: ServerKind,
    ta_unsent: bool,
) -> Fix {
    let owner = host.map(|h| tlsa_owner(port, h));
    let mut f = fix(
        "dane::publish_current",
        &[
            owner.as_deref().unwrap_or(""),
            &records.join(","),
            &ta_unsent.to_string(),
        ],
    );
    if ta_unsent {
        f = f.say(
            "A DANE-TA(2) record with a digest (matching type 1 or 2) names a CA certificate that the server must send in \
             its chain (RFC 7671 §5.2.2): a client cannot check a digest against a certificate it never sees. Either send \
             that CA certificate: add it to the server's chain file after the intermediate (on Postfix, the file of \
             smtpd_tls_chain_files; on Exim, tls_certificate), or publish the CA in full (\"2 0 0\" with the whole \
             certificate, or \"2 1 0\" with its whole public key), which clients use without the server sending it. Or, \
             the simplest record to keep right:",
        );
    }
    f = f.say(
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

/// The commands that compute the data of a `3 s m` record for the NEXT key or certificate,
/// from files the admin has (`next.key`, `next.csr`, `next.pem`): the same selector and
/// matching type as the records published.
fn next_key_commands(f: Fix, selector: u8, matching: u8) -> Fix {
    let digest = match matching {
        1 => "openssl dgst -sha256",
        2 => "openssl dgst -sha512",
        _ => "od -An -v -tx1 | tr -d ' \\n'",
    };
    match selector {
        1 => f
            .say(format!(
                "The data of the next key's \"3 1 {matching}\" record, from its private key or from its certificate request \
                 (either gives the same public key):"
            ))
            .run(
                Shell::Shell,
                format!("openssl pkey -in next.key -pubout -outform DER | {digest}"),
            )
            .run(
                Shell::Shell,
                format!(
                    "openssl req -in next.csr -noout -pubkey | openssl pkey -pubin -outform DER | {digest}"
                ),
            ),
        _ => f
            .say(format!(
                "The data of a \"3 0 {matching}\" record covers the whole certificate, so it changes at every renewal, even \
                 with the same key; compute it from the next certificate once it is issued (a \"3 1 1\" record of the key \
                 survives renewals with the same key):"
            ))
            .run(
                Shell::Shell,
                format!("openssl x509 -in next.pem -outform DER | {digest}"),
            ),
    }
}

/// One usable record pinning the leaf (or the same key by two digests), no DANE-TA: the next
/// key change breaks DANE delivery unless its record is published first. `published`: the
/// records as they are in DNS (`3 1 1 <HEX>`, the hex computed here from the parsed record).
pub fn rollover(port: u16, host: Option<&str>, published: &[&str]) -> Fix {
    let mut f = fix(
        "dane::rollover",
        &[host.unwrap_or(""), &port.to_string(), &published.join(",")],
    )
    .say(
        "Nothing is broken now. Before the next change of key, publish a record for the next key beside the current one, \
         so that both are in the TLSA RRset when the server switches. The current record, as published (keep it):",
    );
    let owner = host.map(|h| tlsa_owner(port, h));
    if let Some(o) = &owner {
        f = zone_lines(f, o, published);
    }
    let mut kinds: Vec<(u8, u8)> = published
        .iter()
        .filter_map(|r| {
            let mut it = r.split(' ').skip(1);
            Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
        })
        .collect();
    kinds.dedup();
    for (selector, matching) in kinds {
        f = next_key_commands(f, selector, matching);
    }
    if let Some(o) = &owner {
        f = f.say(format!(
            "Publish what the command prints (the hex after \"= \") as a second record at {o}, with the same three numbers \
             as the current one, and keep the current record until the server has switched."
        ));
    }
    f.say(ROLLOVER)
}

/// A DANE-TA record matches a CA the server sends, but the leaf does not name the host: the
/// certificate, not the record, is to change (RFC 7672 §3.2.2).
pub fn certificate_naming_host(host: Option<&str>) -> Fix {
    fix("dane::certificate_naming_host", &[host.unwrap_or("")]).say(format!(
        "The DANE-TA record is right: the chain leads up to the CA it pins. But with DANE-TA the leaf must name the MX host \
         (or the TLSA base domain; RFC 7672 §3.2.2), and this one does not. Install a certificate from that CA that names \
         {} (in its subjectAltName), and keep the DANE-TA record. Do not publish a \"3 1 1\" record of the present leaf \
         to hide the name: Exchange Online still refuses a leaf that names neither the domain nor the MX host (4.7.325 \
         certificate-host-mismatch), and MTA-STS senders refuse it too.",
        host.unwrap_or("the MX host")
    ))
}

/// The TLSA lookup fails with and without checking disabled: the name servers, not DNSSEC.
pub fn lookup_failed(qtype: &str, name: Option<&str>) -> Fix {
    let f = fix("dane::lookup_failed", &[qtype, name.unwrap_or("")]).say(
        "The resolver gets no answer for this name at all, even without DNSSEC validation, so the fault is in reaching or \
         in the answers of the zone's name servers (or in the resolver), not (as far as this shows) in the signatures. DANE \
         senders defer all the same (RFC 7672 §2.1; Postfix: \"TLSA lookup error\"). Ask each of the zone's name servers \
         directly, and check that they all answer for TLSA (some DNS providers and firewalls drop unknown types):",
    );
    match name {
        Some(n) => f
            .run(Shell::Shell, format!("dig +dnssec +cd {qtype} {n}"))
            .run(Shell::Shell, format!("dig +trace {qtype} {n}"))
            .run(Shell::Shell, format!("delv +vtrace {qtype} {n}")),
        None => f,
    }
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
         the MX RRset is secure and DANE applies to the domain (RFC 7672 §2.2.1). Until then senders do not use the \
         TLSA records of its mail hosts: Postfix treats it as a \"non DNSSEC destination\" and falls back to \
         opportunistic TLS (\"may\"), and an attacker who forges the MX answer escapes the TLSA records. (The TLSA \
         records can stay: they take effect once the MX RRset is signed, so keep them right.) If the zone is signed \
         already, the DS record is missing at the parent: publish it at the registrar.",
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
pub fn exchange_online_interop(
    host: Option<&str>,
    domain: Option<&str>,
    expired: bool,
    wrong_name: bool,
) -> Fix {
    let what = match (expired, wrong_name) {
        (true, true) => "a current certificate that names the MX host",
        (true, false) => "a current certificate",
        _ => "a certificate that names the MX host",
    };
    let names = match (host, domain) {
        (Some(h), Some(d)) if !d.eq_ignore_ascii_case(h) => format!(" ({h}, or the domain {d})"),
        (Some(h), _) => format!(" ({h})"),
        _ => String::new(),
    };
    fix(
        "dane::exchange_online_interop",
        &[
            host.unwrap_or(""),
            domain.unwrap_or(""),
            &expired.to_string(),
            &wrong_name.to_string(),
        ],
    )
    .say(format!(
        "Postfix, Exim and other RFC 7672 senders deliver: a DANE-EE(3) record pins the key, and they ignore the certificate's \
         dates and names (RFC 7672 §3.1.1). Exchange Online does not: it refuses an expired leaf with 4.7.322 \
         certificate-expired and one that names neither the domain nor the MX host with 4.7.325 certificate-host-mismatch \
         ({MS_LEARN_DANE}). Install {what}{names}. Renew with the same key (certbot --reuse-key) and the \"3 1 1\" record stays \
         valid; with a new key, publish its record first and wait twice the TTL (RFC 7671 §8.1)."
    ))
}
