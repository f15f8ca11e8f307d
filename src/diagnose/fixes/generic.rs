//! Fixes for any server, for DNS and for this machine: what to say when the server software
//! is unknown or does not matter, the DNS records to publish (zone-file lines, once), and the
//! sentences several families share (what certificate to get, which nodes are odd).
//!
//! # References
//! - RFC 1035 §5.1 (zone-file syntax: `name. TTL IN MX preference exchange.`)
//! - RFC 5321 §5.1 (an MX names a host; implicit MX), RFC 7505 §3 (null MX stands alone),
//!   RFC 2181 §10.3 (an MX must not name an alias)
//! - RFC 3207 §4 and CVE-2011-0411 (nothing may follow the STARTTLS 220 before the handshake)
//! - RFC 5280 §4.2.2.1 (Authority Information Access: the CA Issuers URL serves the issuer's
//!   certificate, DER) and §6 (a path needs the issuer: an unsent intermediate and an unsent
//!   private root look alike)

use std::net::IpAddr;

use super::Differs;
use crate::diagnose::fix::{Family, Fix, Shell};

/// The TTL of the records the fixes suggest (one hour: quick to correct, cheap to serve).
const TTL: u32 = 3600;

fn fix(template: &'static str, values: &[&str]) -> Fix {
    Fix::new(Family::Generic, template, values)
}

/// `25, 587`.
pub fn list(ports: &[u16]) -> String {
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `port 25` / `ports 25, 2525`.
pub fn ports_words(ports: &[u16]) -> String {
    let s = if ports.len() == 1 { "" } else { "s" };
    format!("port{s} {}", list(ports))
}

/// An MX record in zone-file syntax.
pub fn mx_record(domain: &str, preference: u16, host: &str) -> String {
    format!("{domain}. {TTL} IN MX {preference} {host}.")
}

/// An A record in zone-file syntax.
pub fn a_record(name: &str, ip: &str) -> String {
    format!("{name}. {TTL} IN A {ip}")
}

// --- What certificate to get: the first line of an install fix, the same for every family.

/// The expired leaf, to renew.
pub fn renew_expired(names: &str, when: &str) -> String {
    format!("Renew the certificate for {names} (it expired {when}).")
}

/// An expired intermediate, to replace.
pub fn replace_expired_intermediate(subject: &str, when: &str) -> String {
    format!(
        "The intermediate {subject} expired {when}: install the current intermediate from your CA and send it instead."
    )
}

/// The leaf expires soon.
pub fn renew_soon(names: &str, when: &str) -> String {
    format!("Renew the certificate for {names} now (it expires {when}).")
}

/// A self-signed leaf, to replace by one from a public CA covering `names`.
pub fn replace_self_signed(names: &str) -> String {
    format!(
        "Replace the self-signed certificate with one from a public CA (Let's Encrypt, or your commercial CA) that covers {names}. \
         Exchange Online, Gmail and MTA-STS senders do not trust self-signed certificates."
    )
}

/// A chain that ends at `root`, which senders do not trust. `ca_file`: the user gave
/// `--ca-file`, and it lacks that root.
pub fn use_trusted_ca(root: &str, ca_file: bool) -> String {
    let pinned_hint = if ca_file {
        " (the --ca-file given does not contain it)"
    } else {
        "; to test a private CA here, pass its root with --ca-file"
    };
    format!(
        "Use a certificate from a CA that public senders trust, and send its full chain. The chain sent leads to {root}, which is not a \
         trusted root: a private CA, or a root your senders do not have{pinned_hint}."
    )
}

/// `name` matches only the CN.
pub fn add_subject_alt_name(name: &str) -> String {
    format!(
        "Re-issue the certificate with {name} as a subjectAltName (DNS name); RFC 6125 clients ignore the CN."
    )
}

/// The certificate does not cover the host `host`; `parent` is the domain a wildcard could
/// cover it from.
pub fn cover_host(host: &str, parent: Option<&str>) -> String {
    let wildcard = parent
        .map(|p| format!("; a wildcard *.{p} covers one label"))
        .unwrap_or_default();
    format!("Get a certificate that covers {host} (as a subjectAltName{wildcard}).")
}

/// The certificate does not cover a name the user expects.
pub fn cover_expected(name: &str) -> String {
    format!("Get a certificate that covers {name}.")
}

/// A weak key in the chain.
pub fn strong_key() -> &'static str {
    "Re-issue the certificate on a new key of at least 2048 bits RSA (or ECDSA P-256); rustls, Exchange Online and current OpenSSL refuse smaller keys."
}

/// The server signs with a key that does not belong to its certificate.
pub fn matching_key() -> &'static str {
    "Install the certificate together with the private key it was issued for: the server signs the handshake with another key."
}

/// A SHA-1 (or MD5) signature in the chain.
pub fn sha256_signature() -> &'static str {
    "Have the certificate (and any SHA-1 intermediate) re-issued with a SHA-256 signature."
}

/// An extended key usage without serverAuth.
pub fn server_auth() -> &'static str {
    "Re-issue the certificate with the serverAuth extended key usage (a \"Web Server\" template on a Windows CA), not a client or e-mail template."
}

// --- Certificates, on a server of unknown kind.

/// Installs the certificate `what` asks for on whatever answers on `port`.
pub fn install_certificate(port: u16, what: &str) -> Fix {
    fix("generic::install_certificate", &[what, &port.to_string()])
        .say(what)
        .say(format!(
            "Install it on the mail server (or the gateway that answers on port {port}) together with its \
             intermediate certificates, leaf first, and restart or reload the SMTP service."
        ))
}

/// The intermediate `missing` is not sent.
pub fn incomplete_chain(missing: &str) -> Fix {
    fix("generic::incomplete_chain", &[missing]).say(format!(
        "Configure the server to send its certificate followed by the intermediate certificate(s) from the CA ({missing}), \
         up to but not including the root (the CA's \"full chain\" file)."
    ))
}

/// Shows the issuer and the Authority Information Access of the certificate a server sends,
/// from any machine with OpenSSL 1.1.1 or later: `address` is the address and port probed,
/// `starttls` whether to speak STARTTLS first, `sni` the name to ask for (safe to paste).
pub fn show_issuer_and_aia(address: &str, starttls: bool, sni: Option<&str>) -> String {
    let starttls = if starttls { " -starttls smtp" } else { "" };
    let sni = sni.map(|n| format!(" -servername {n}")).unwrap_or_default();
    format!(
        "openssl s_client -connect {address}{starttls}{sni} </dev/null 2>/dev/null | openssl x509 -noout -issuer -ext authorityInfoAccess"
    )
}

/// Shows the subject and issuer of the certificate at the URL in `$url` (a CA Issuers URL
/// serves one DER certificate, RFC 5280 §4.2.2.1).
pub fn show_certificate_at_url() -> &'static str {
    "curl -fsS \"${url:?}\" | openssl x509 -inform DER -noout -subject -issuer"
}

/// The first steps of a fix for a chain that stops at `issuer`, which is neither sent nor
/// trusted: it is either an intermediate the server must send or a private root, and nothing
/// the server sent tells which. These steps tell them apart, ending with how to read the
/// check's output right after it; the caller appends what to do in either case, each named by
/// its condition ([`if_intermediate`], [`if_private_root`]), so no sentence after the
/// family's configuration steps reads as if it were about their output. `aia` is
/// [`show_issuer_and_aia`] for the endpoint.
pub fn tell_intermediate_from_root(issuer: &str, aia: &str) -> Fix {
    fix("generic::tell_intermediate_from_root", &[issuer, aia])
        .say(format!(
            "The certificate's issuer, {issuer}, is neither sent by the server nor a trusted root. \
             It is either an intermediate CA that the server must send after its own certificate, or a private root that public senders never trust. \
             To tell which, look at the issuer and the Authority Information Access:"
        ))
        .run(Shell::Shell, aia)
        .say(
            "A name like `R11`, `… Issuing CA`, `… Intermediate CA` or `… Server CA` usually belongs to an intermediate. \
             The CA Issuers URL in that output serves the issuer's certificate: set url= to it and read that certificate's subject and issuer:",
        )
        .run(Shell::Shell, show_certificate_at_url())
        .say(
            "If that certificate's subject and issuer are equal, the issuer is a root; if they differ, it is an intermediate. \
             Without a CA Issuers URL, find the issuer's certificate in your CA's files and compare its subject and issuer the same way.",
        )
}

/// The issuer is an intermediate: the sentence before the family's chain fix.
pub fn if_intermediate() -> Fix {
    fix("generic::if_intermediate", &[])
        .say("If the issuer is an intermediate, send it after the server's certificate.")
}

/// The issuer is a private root: what public senders need instead. `ca_file`: the user gave
/// `--ca-file`, and it lacks that root.
pub fn if_private_root(ca_file: bool) -> Fix {
    let pinned = if ca_file {
        " (nor does the --ca-file given contain it)"
    } else {
        " (to test the private CA here, pass its root with --ca-file)"
    };
    fix("generic::if_private_root", &[&ca_file.to_string()]).say(format!(
        "If the issuer is a root, it is a private root, which public senders never trust{pinned}: \
         get a certificate from a public CA and install it the same way, with its intermediates."
    ))
}

/// The MX of `domain` names `host`, which the certificate does not cover; `other` is on the
/// certificate. Repointing the MX fits only when `other` names the same mail server, so the
/// condition is said.
pub fn point_mx_at(domain: &str, host: &str, other: &str) -> Fix {
    fix("generic::point_mx_at", &[domain, host, other]).say(format!(
        "If {other} is this mail server's own name (not a web site that shares its certificate), you can instead point the MX record of {domain} \
         at {other} in place of {host}: the certificate covers it."
    ))
}

/// The certificate's validity starts in the future.
pub fn not_yet_valid() -> Fix {
    fix("generic::not_yet_valid", &[]).say(
        "The certificate's validity starts in the future. Either it was installed too early (keep the old one until then), or the clock of the machine \
         that issued it — or of this probe — is wrong: check both with NTP.",
    )
}

/// An address was probed: say which name to check (`example`: a name on the certificate, safe
/// to paste, or an example).
pub fn probe_by_name(example: &str) -> Fix {
    fix("generic::probe_by_name", &[example]).say(format!(
        "Probe by host name (starttls-check <mx-host>), or add --expect-name with the name senders expect, e.g. --expect-name {example}."
    ))
}

/// The server greets with a name the certificate does not cover, server of unknown kind.
pub fn greeting_not_on_certificate(g: &super::Greeting<'_>) -> Fix {
    let (name, first) = super::greeting_name(g.on_cert);
    let optional = g.optional.to_string();
    fix(
        "generic::greeting_not_on_certificate",
        &[g.name, &name, &optional],
    )
    .say(format!(
        "{first}{}Configure the server to greet with a name on its certificate ({name}).{}",
        g.note(),
        g.add_to_certificate()
    ))
}

/// The certificate lacks `expected`, on a server that is not Exchange: if the name comes from
/// an Exchange Online connector, that connector can be changed instead.
pub fn expected_name_elsewhere(expected: &str) -> Fix {
    fix("generic::expected_name_elsewhere", &[expected]).say(format!(
        "If {expected} is the TlsDomain of an Exchange Online outbound connector, that connector can instead be pointed at a name the certificate has."
    ))
}

/// The certificate is not valid DER.
pub fn reexport_certificate() -> Fix {
    fix("generic::reexport_certificate", &[]).say(
        "The server sends a certificate that is not valid DER. Re-export the certificate (PEM or PFX) from the CA's files and install it again.",
    )
}

// --- The SMTP session.

/// The run's deadline ended the probe.
pub fn deadline_exceeded() -> Fix {
    fix("generic::deadline_exceeded", &[]).say(
        "The whole run ran out of time (--deadline, default 6 × --timeout) before this endpoint answered, so nothing is known about it yet. \
         Re-run with a larger --deadline, or probe this endpoint alone.",
    )
}

/// TLS worked, EHLO over it did not.
pub fn tls_session_failed() -> Fix {
    fix("generic::tls_session_failed", &[]).say(
        "The handshake completed but the server did not answer EHLO over TLS properly. This points at a TLS-terminating proxy or an MTA bug; check the server's log for this connection.",
    )
}

/// Nothing listens on `port`. On 25, where the mail servers are, say where to look on each.
pub fn connect_refused(port: u16) -> Fix {
    let text = if port == 25 {
        format!(
            "Nothing accepts connections on port {port} of this address. Start the SMTP service or open port {port} on the firewall/NAT in front of it. \
             Exchange: check the MSExchangeFrontEndTransport service and that a receive connector binds 0.0.0.0:25 (`{}`). \
             Postfix: `ss -ltnp | grep ':25 '` and the `smtp inet` line of master.cf. Exchange Online reports this as `4.4.316 Connection refused`.",
            super::exchange::connector_bindings()
        )
    } else {
        format!(
            "Nothing accepts connections on port {port} of this address. Start the service that should listen on port {port}, or open the port on the firewall/NAT in front of it."
        )
    };
    fix("generic::connect_refused", &[&port.to_string()]).say(text)
}

/// Packets to `port` are dropped.
pub fn connect_timeout(port: u16) -> Fix {
    fix("generic::connect_timeout", &[&port.to_string()]).say(format!(
        "Packets to port {port} of this address are dropped. Either a firewall in front of the server drops them (allow TCP {port} from the senders, e.g. Exchange Online Protection's ranges), \
         or the network this probe runs from blocks outbound port {port} (many ISPs and cloud providers do): run the probe from a host that can send mail."
    ))
}

/// No route to the address.
pub fn connect_failed() -> Fix {
    fix("generic::connect_failed", &[]).say(
        "Check routing to the address (is it an address of this machine's address family and reachable?), and the address in DNS.",
    )
}

/// A failure the rules have no better word for.
pub fn probe_failed() -> Fix {
    fix("generic::probe_failed", &[]).say("Check network reachability of the server.")
}

/// Connected, but no greeting.
pub fn banner_timeout() -> Fix {
    fix("generic::banner_timeout", &[]).say(
        "The TCP connection opens but no `220` greeting follows: the SMTP service is hung or overloaded, a proxy or IPS holds the connection (tarpit), \
         or the greeting is delayed deliberately. Check the server's SMTP log for this connection, and any firewall with SMTP inspection in front of it. \
         If the server is just slow, retry with a larger --timeout.",
    )
}

/// STARTTLS advertised, then refused, on a server of unknown kind.
pub fn starttls_unavailable() -> Fix {
    fix("generic::starttls_unavailable", &[]).say(
        "The server advertises STARTTLS but cannot start TLS, typically because its certificate or key cannot be loaded. Check the SMTP service's log for the TLS error and the certificate/key files it is configured with.",
    )
}

/// A 4xx before TLS.
pub fn temporary_refusal() -> Fix {
    fix("generic::temporary_refusal", &[]).say(
        "The server said \"try again later\" (rate limit, too many connections from our address, or shutting down), so nothing is known about its TLS yet. \
         Retry later, or from another address; a persistent 421 at connect often means our address is throttled or listed.",
    )
}

/// A 5xx at connect: our address (`ours`, before any NAT) is not welcome.
pub fn refused_at_connect(ours: Option<IpAddr>) -> Fix {
    let ip = ours.map_or_else(|| "our address".to_string(), |ip| ip.to_string());
    fix("generic::refused_at_connect", &[&ip]).say(format!(
        "The server refuses this client at connect. Usually our source address ({ip} before any NAT) is on a blocklist the server uses, \
         or the server only accepts known relays. Probe from the host that actually sends the mail; look the egress address up at the list named in the reply."
    ))
}

/// Our EHLO was refused by `host`.
pub fn ehlo_refused(host: &str) -> Fix {
    fix("generic::ehlo_refused", &[host]).say(format!(
        "The server refused our EHLO/HELO. Some servers refuse an address literal or a name that does not resolve: retry with --ehlo-name set to \
         this machine's public FQDN (with matching forward and reverse DNS). Never use the target's own name ({host})."
    ))
}

/// The server speaks only TLS 1.0/1.1.
pub fn legacy_tls_only() -> Fix {
    fix("generic::legacy_tls_only", &[]).say(
        "The server speaks only TLS 1.0/1.1. Enable TLS 1.2 and 1.3 in its TLS library or upgrade it; modern senders (Exchange Online, Gmail) refuse older versions.",
    )
}

/// No cipher suite in common.
pub fn no_shared_cipher() -> Fix {
    fix("generic::no_shared_cipher", &[]).say(
        "Enable ECDHE key exchange with AES-GCM or ChaCha20-Poly1305 cipher suites on the server (TLS 1.2), or TLS 1.3.",
    )
}

/// The server's key was refused in the handshake.
pub fn weak_server_key() -> Fix {
    fix("generic::weak_server_key", &[]).say(
        "Replace the certificate with one on a 2048-bit (or larger) RSA key or an ECDSA P-256 key; keys below 2048 bits are refused by modern clients and by Exchange Online.",
    )
}

/// The negotiation was broken off.
pub fn handshake_broken_off() -> Fix {
    fix("generic::handshake_broken_off", &[]).say(
        "The server (or a box in front of it) broke off the TLS negotiation. Typical causes: a firewall with SMTP inspection that does not allow TLS \
         (Cisco `inspect esmtp` without `allow-tls`), a legacy-only TLS stack, or an SMTP proxy. Test from inside the firewall to tell them apart; check the server's TLS log.",
    )
}

/// The handshake did not finish in time.
pub fn handshake_stalled() -> Fix {
    fix("generic::handshake_stalled", &[]).say(
        "The handshake stalled. Check for a proxy or IPS in the path and the server's TLS log; retry with a larger --timeout if the server is just slow.",
    )
}

/// Any other handshake failure.
pub fn handshake_failed() -> Fix {
    fix("generic::handshake_failed", &[]).say(
        "Check the server's TLS configuration and log for this connection; the TLS library's message is in the evidence.",
    )
}

/// No reply mid-dialogue.
pub fn smtp_timeout() -> Fix {
    fix("generic::smtp_timeout", &[]).say(
        "The server stopped answering mid-dialogue. Check its SMTP log and any SMTP-inspecting firewall in the path; retry with a larger --timeout if it is just slow.",
    )
}

/// The server hung up.
pub fn connection_closed() -> Fix {
    fix("generic::connection_closed", &[]).say(
        "The server hung up without a reply code. Look for this connection in the server's SMTP log (connection limits, postscreen, an IPS dropping the session).",
    )
}

/// Not SMTP on `port`.
pub fn not_smtp(port: u16) -> Fix {
    fix("generic::not_smtp", &[&port.to_string()]).say(format!(
        "Something other than an SMTP server answers on port {port}. Check the port, and any proxy or load balancer forwarding it."
    ))
}

/// No STARTTLS on `port`, server of unknown kind.
pub fn enable_starttls(port: u16) -> Fix {
    fix("generic::enable_starttls", &[&port.to_string()]).say(format!(
        "Enable STARTTLS on the server answering port {port}: install a certificate covering its name and turn on opportunistic TLS. \
         If the server is configured for TLS already, something in the path strips the keyword (an SMTP-inspecting firewall): probe from inside to compare."
    ))
}

/// Bytes between the STARTTLS 220 and the handshake.
pub fn injection() -> Fix {
    fix("generic::injection", &[]).say(
        "A correct server sends nothing between `220 Ready to start TLS` and the handshake. This is the STARTTLS plaintext-injection class (CVE-2011-0411): \
         a buggy MTA or a man-in-the-middle. The probe discarded the bytes. Update the MTA, and look for anything in the path that injects traffic.",
    )
}

/// Healthy: check again after the renewal due before `until`.
pub fn nothing_to_change(until: &str) -> Fix {
    fix("generic::nothing_to_change", &[until]).say(format!(
        "Nothing to change. Re-check after the next certificate renewal (due before {until})."
    ))
}

// --- Across endpoints.

/// The first lines of a fix for nodes behind `host` that differ: who fails, and the remedy
/// in general.
pub fn odd_nodes(host: &str, odd_ips: &str, differs: Differs) -> String {
    let symptom = match differs {
        Differs::Certificate => {
            "the classic intermittent `450 4.7.320 Certificate validation failed [Message=SubjectMismatch]` \
             from Exchange Online behind a load balancer"
        }
        Differs::Starttls => {
            "senders that require TLS (Exchange Online with forced TLS: `451 5.7.3 STARTTLS is required to send mail`) \
             queue the mail, and opportunistic senders deliver it in clear text"
        }
        Differs::Version => "the older TLS version is what those senders negotiate",
    };
    format!(
        "Senders are spread over the addresses of {host}, so they fail only when they land on {odd_ips}: {symptom}. \
         Make every node behind {host} serve the same certificate and TLS settings, or take the odd node out of the pool until it does."
    )
}

/// Nodes behind `host` differ, server of unknown kind.
pub fn compare_nodes(host: &str, odd_ips: &str, differs: Differs) -> Fix {
    fix("generic::compare_nodes", &[host, odd_ips, differs.name()])
        .say(odd_nodes(host, odd_ips, differs))
        .say(format!(
            "Compare the certificate files and TLS settings of each node behind {host} and install the same ones on the odd node."
        ))
}

/// The nodes behind `host` serve different certificates, all of them fine.
pub fn one_certificate_for_all_nodes(host: &str) -> Fix {
    fix("generic::one_certificate_for_all_nodes", &[host]).say(format!(
        "Nothing fails today. Keep the nodes behind {host} on one certificate anyway, so that a renewal (or a DANE TLSA record) \
         covers them all at once; the evidence lists each node's expiry date."
    ))
}

/// MX hosts of `domain` disagree on STARTTLS.
pub fn mx_hosts_alike(domain: &str) -> Fix {
    fix("generic::mx_hosts_alike", &[domain]).say(format!(
        "Senders try the MX hosts of {domain} in preference order and move on when one fails, so whether mail arrives over TLS depends on \
         which host a sender reaches. Configure every MX host alike; the findings of the odd host say what to change there."
    ))
}

/// MX hosts of `domain` negotiate different (current) TLS versions.
pub fn mx_hosts_versions(domain: &str) -> Fix {
    fix("generic::mx_hosts_versions", &[domain]).say(format!(
        "Nothing fails: every host negotiates a current TLS version. Bring the older host's TLS library or configuration up to date \
         when convenient, so every MX host of {domain} behaves alike."
    ))
}

/// The first sentence of a fix for a host that advertises STARTTLS on the `open` ports but
/// not on the `closed` ones. Only the `working` ports, where TLS completed with a trusted
/// certificate for the host (`subject`), show that the server can do TLS: a port that
/// answered 454 or failed the handshake proves nothing.
pub fn port_mismatch_intro(
    host: &str,
    closed: &[u16],
    open: &[u16],
    working: &[u16],
    subject: Option<&str>,
) -> String {
    match (working, subject) {
        ([_, ..], Some(subject)) => format!(
            "{host} completes STARTTLS on {} with a trusted certificate ({subject}), so the server can do TLS; the listener on {} does not offer it.",
            ports_words(working),
            ports_words(closed),
        ),
        _ => format!(
            "{host} advertises STARTTLS on {} but not on {}. TLS did not complete with a trusted certificate on any port: fix that first (see the findings of {}), then offer STARTTLS on {} too.",
            ports_words(open),
            ports_words(closed),
            ports_words(open),
            ports_words(closed),
        ),
    }
}

/// STARTTLS on some ports, not on others, server of unknown kind.
pub fn port_without_starttls(
    host: &str,
    closed: &[u16],
    open: &[u16],
    working: &[u16],
    subject: Option<&str>,
) -> Fix {
    let (closed_list, open_list) = (list(closed), list(open));
    fix(
        "generic::port_without_starttls",
        &[
            host,
            &closed_list,
            &open_list,
            &list(working),
            subject.unwrap_or_default(),
        ],
    )
    .say(format!(
        "{} Enable STARTTLS on the listener for port {closed_list} with the same certificate; if it is already \
         enabled there, a firewall with SMTP inspection on that port's path strips the keyword.",
        port_mismatch_intro(host, closed, open, working, subject)
    ))
}

// --- DNS.

/// The resolver failed for `name`.
pub fn lookup_failed(name: &str) -> Fix {
    fix("generic::lookup_failed", &[name]).say(format!(
        "Nothing is known about {name} yet. Retry; ask another resolver with --resolver IP[:PORT] \
         (the domain's own authoritative server answers for its zone); or skip DNS for a host with --resolve HOST:ADDRESS."
    ))
}

/// The domain `name` does not exist.
pub fn domain_missing(name: &str) -> Fix {
    fix("generic::domain_missing", &[name]).say(format!(
        "Check the spelling of {name}. If it is your mail domain, its registration or delegation is broken: \
         check `dig NS {name}` and the records at your DNS provider. Senders bounce mail to it at once (`550 5.1.2` / `Host unknown`)."
    ))
}

/// `name` publishes a null MX.
pub fn null_mx(name: &str) -> Fix {
    fix("generic::null_mx", &[name]).say(format!(
        "Nothing to change if {name} should not receive mail: senders bounce at once instead of queueing. \
         If it should, replace the null MX with MX records naming the mail hosts that exist for it (`{}`).",
        mx_record(name, 10, "<mail host>")
    ))
}

/// `name` has no MX records but an address: it is its own mail host (implicit MX). The only
/// record worth proposing names that host itself: an invented `mail.<name>` would send mail
/// nowhere (RFC 5321 §5.1).
pub fn implicit_mx(name: &str) -> Fix {
    fix("generic::implicit_mx", &[name])
        .say(format!(
            "Nothing to change if {name} is itself the mail host: senders that follow RFC 5321 use its address. \
             If mail is addressed to user@{name}, an MX record naming the host itself makes that explicit for the senders that do not fall back:"
        ))
        .run(Shell::DnsZone, mx_record(name, 10, name))
}

/// A null MX next to real ones.
pub fn null_mx_mixed(name: &str) -> Fix {
    fix("generic::null_mx_mixed", &[name]).say(format!(
        "A null MX says the domain accepts no mail and must stand alone (RFC 7505 §3); senders that honour it bounce. \
         Delete the `{name}. IN MX 0 .` record if the domain receives mail."
    ))
}

/// Some endpoints were cut: `flags` raise the caps.
pub fn probe_all(flags: &str) -> Fix {
    fix("generic::probe_all", &[flags]).say(format!("Probe them all with {flags}."))
}

/// The MX record of `domain` names the address `ip`.
pub fn name_the_mail_host(domain: &str, ip: &str, preference: u16) -> Fix {
    let host = format!("mail.{domain}");
    fix(
        "generic::name_the_mail_host",
        &[domain, ip, &preference.to_string()],
    )
    .say(format!(
        "Give the server a name and point the MX record at the name (RFC 5321 §5.1); the records below call it {host}: \
         use another name if that one is taken, and publish both records together:"
    ))
    .run(Shell::DnsZone, a_record(&host, ip))
    .run(Shell::DnsZone, mx_record(domain, preference, &host))
    .say(format!(
        "The probe below still connected to {ip}, so you can see what that server would offer."
    ))
}

/// `name` has no address of the family (`fam`, record type `rr`) that `flag` asks for.
pub fn no_address_of_family(name: &str, fam: &str, rr: &str, flag: &str) -> Fix {
    fix("generic::no_address_of_family", &[name, fam, rr, flag]).say(format!(
        "Add an {rr} record for {name} if the server should be reachable over {fam}; drop {flag} to probe the addresses it has."
    ))
}

/// The MX host `name` (named by `record`) has no address.
pub fn mx_host_without_address(name: &str, record: &str) -> Fix {
    fix("generic::mx_host_without_address", &[name, record]).say(format!(
        "Add an A record (and AAAA, if the server has IPv6) for {name}, or delete the MX record `{record}` if the host is gone. \
         Senders that pick this MX first try the next one, or queue mail for days when it is the only one."
    ))
}

/// `name` has neither MX records nor an address.
pub fn publish_mx(name: &str) -> Fix {
    fix("generic::publish_mx", &[name]).say(format!(
        "Publish an MX record for {name} naming the mail host that should receive its mail (`{}`), \
         or an A/AAAA record if {name} is itself the mail host.",
        mx_record(name, 10, "<mail host>")
    ))
}

/// The host `name` does not exist.
pub fn host_missing(name: &str) -> Fix {
    fix("generic::host_missing", &[name]).say(format!(
        "Check the spelling of {name}. If it is your mail host, create its A/AAAA record at your DNS provider, and check that the MX record names it exactly."
    ))
}

/// The host `name` has no address.
pub fn add_address(name: &str) -> Fix {
    fix("generic::add_address", &[name]).say(format!(
        "Add an A (and AAAA, if the server has IPv6) record for {name}."
    ))
}

/// The MX of `domain` names an alias of `canonical`.
pub fn mx_to_canonical(domain: &str, preference: u16, canonical: &str) -> Fix {
    fix(
        "generic::mx_to_canonical",
        &[domain, &preference.to_string(), canonical],
    )
    .say(
        "An MX must name a host, not an alias (RFC 2181 §10.3, RFC 5321 §5.1); some senders refuse it, and DANE and MTA-STS checks match the MX name. \
         Point the MX at the canonical name, and make sure the certificate covers it:",
    )
    .run(Shell::DnsZone, mx_record(domain, preference, canonical))
}

// --- This machine.

/// No trusted roots here.
pub fn install_ca_bundle() -> Fix {
    fix("generic::install_ca_bundle", &[]).say(
        "Install the system CA bundle (Debian/Ubuntu: apt-get install ca-certificates; RHEL: dnf install ca-certificates), \
         check SSL_CERT_FILE/SSL_CERT_DIR if you set them, or pass the roots to trust with --ca-file.",
    )
}
