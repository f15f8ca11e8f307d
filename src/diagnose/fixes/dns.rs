//! Fixes for what DNS answered badly: an MX record naming something that is not a host name,
//! a CNAME chain that loops, runs too long or ends nowhere, and a DNS server that answered
//! with an error code, a malformed or mismatched answer, or not at all. Each says who must
//! change what: the domain's zone for its own data, the DNS server or the path to it for how
//! it answered, never "retry" for what the zone itself says.
//!
//! Names that came from DNS appear only in prose (escaped); a command carries only a name
//! that passed `rules::certificate::safe_name`, or the validated target.
//!
//! # References
//! - RFC 1123 §2.1 and RFC 5321 §2.3.5 (a host name: letters, digits, hyphens)
//! - RFC 1034 §3.6.2 and §5.2.2 (CNAMEs; a chain must not loop), RFC 2181 §10.3 (an MX must
//!   not name an alias)
//! - RFC 1035 §4.1.1 (header: ID, TC, RCODE), RFC 7766 §5 (DNS over TCP must work)

use super::generic::mx_record;
use crate::diagnose::fix::{Family, Fix, Shell};
use crate::dns::AliasEnd;

fn fix(template: &'static str, values: &[&str]) -> Fix {
    Fix::new(Family::Generic, template, values)
}

/// The MX record of `domain` at `preference` names `shown` (escaped), which is not a host name.
pub fn mx_name_invalid(domain: &str, preference: u16, shown: &str) -> Fix {
    fix(
        "dns::mx_name_invalid",
        &[domain, &preference.to_string(), shown],
    )
    .say(format!(
        "Correct the MX record of {domain} at preference {preference}: it names `{shown}` (shown escaped), which is not a host name, \
         so no sender can look it up (RFC 5321 §2.3.5: letters, digits and hyphens). The record was published that way in {domain}'s zone, \
         often by a DNS panel that accepted a pasted name with an invisible character: delete it and publish the mail host's real name, \
         `{}`, then check with `dig MX {domain}`.",
        mx_record(domain, preference, "<mail host>")
    ))
}

/// `name` is an alias whose CNAME chain (`chain_text`: its names joined by arrows) gives no address; `record` is the MX
/// record naming it (empty when none does).
pub fn alias_chain(name: &str, record: &str, chain_text: &str, end: AliasEnd) -> Fix {
    // The key names what the text says: a missing end and an end without an address get
    // the same words, so the same key (findings merge by it).
    let kind = match end {
        AliasEnd::Loop => "loop",
        AliasEnd::TooLong => "too-long",
        AliasEnd::Missing | AliasEnd::NoAddress => "no-address",
    };
    let base = fix("dns::alias_chain", &[name, record, chain_text, kind]);
    let point = if record.is_empty() {
        String::new()
    } else {
        format!(
            " An MX should name the host itself, not an alias (RFC 2181 §10.3): change `{record}` to name the host that has the addresses."
        )
    };
    let step = match end {
        AliasEnd::Loop => format!(
            "Break the CNAME loop {chain_text}: the names point at each other, so no resolver ever reaches an address (RFC 1034 §3.6.2). \
             Replace one of the CNAME records with the mail host's A (and AAAA) records."
        ),
        AliasEnd::TooLong => format!(
            "Shorten the CNAME chain {chain_text}: resolvers give up after a few links, so the address at its end is never reached. \
             Point {name} straight at the last name, or give it the A/AAAA records directly."
        ),
        AliasEnd::Missing | AliasEnd::NoAddress => format!(
            "The alias {name} leads to a name without an address: {chain_text}. Add the A (and AAAA) record at the end of the chain, \
             or change the CNAME to point at a host that has one."
        ),
    };
    base.say(format!("{step}{point}"))
}

/// The DNS server answered `rcode` (its text, `SERVFAIL (...)`) for `name`.
pub fn server_error(name: &str, rcode: &str) -> Fix {
    let f = fix("dns::server_error", &[name, rcode]);
    if rcode.starts_with("REFUSED") {
        f.say(format!(
            "The DNS server asked refuses to answer this machine (or for {name}): it is not this machine's resolver or not open to it. \
             Ask a resolver that serves you with --resolver IP[:PORT]; nothing is known about {name} yet."
        ))
    } else if rcode.starts_with("SERVFAIL") && crate::target::normalize_name(name).is_some() {
        f.say(format!(
            "SERVFAIL means the resolver could not get a valid answer for {name} from the zone's own name servers: their delegation is broken, \
             they do not answer, or the zone's DNSSEC signatures do not validate. Senders see the same and defer the mail. \
             Compare the answers below: an answer with +cd but SERVFAIL without it is a DNSSEC failure (renew the signatures, or remove the DS \
             record at the registrar if DNSSEC was turned off); a +trace that stops at the zone's name servers is a broken delegation."
        ))
        .run(Shell::Shell, format!("dig +cd MX {name}"))
        .run(Shell::Shell, format!("dig +trace MX {name}"))
    } else {
        f.say(format!(
            "The DNS server answered {rcode} for {name}: nothing is known about the name. Retry with another resolver (--resolver IP[:PORT])."
        ))
    }
}

/// The DNS server gave no usable answer for `name`; the finding says what it did instead.
pub fn no_usable_answer(name: &str) -> Fix {
    fix("dns::no_usable_answer", &[name]).say(format!(
        "Nothing is known about {name}: the DNS server asked is broken, or something between it and this machine interferes \
         (a firewall dropping DNS over TCP after a truncated answer, a DNS proxy rewriting answers). Ask another resolver with --resolver IP[:PORT], \
         or test the server itself with `dig +tcp MX {name} @SERVER` and `dig +notcp MX {name} @SERVER`."
    ))
}

/// The answer for `name` could not be read.
pub fn malformed(name: &str) -> Fix {
    fix("dns::malformed", &[name]).say(format!(
        "The answer for {name} could not be read as DNS: the server, or a DNS proxy or firewall in the path, sends malformed answers. \
         Ask another resolver with --resolver IP[:PORT]; if every resolver fails the same way, the zone's own name servers send it."
    ))
}

/// `name` is `localhost` or has only addresses no host can have; `record` is the MX record
/// naming it (empty when none does).
pub fn unusable_host(name: &str, record: &str) -> Fix {
    let f = fix("dns::unusable_host", &[name, record]);
    if record.is_empty() {
        f.say(format!(
            "Publish the real address of {name}: an A or AAAA record of 0.0.0.0, ::, 255.255.255.255 or a multicast address leads \
             nowhere (a sender connecting to 0.0.0.0 reaches itself). Check with `dig A {name}` and `dig AAAA {name}`."
        ))
    } else {
        f.say(format!(
            "Correct `{record}`: it must name the domain's real mail host, with real A/AAAA records. An MX naming localhost, or a host \
             whose only addresses are 0.0.0.0, ::, 255.255.255.255 or multicast, makes every sender deliver to itself or to no one \
             (RFC 6761 §6.3). Check with `dig MX <domain>` and `dig A <mail host>`."
        ))
    }
}

/// The run's `--deadline` ended before the lookup of `name` was answered.
pub fn deadline_cut(name: &str) -> Fix {
    fix("dns::deadline_cut", &[name]).say(format!(
        "Nothing is known about {name} yet: the run's --deadline ended the lookup, which may still have been answered within its \
         --timeout. Run again with a --deadline longer than the --timeout (each lookup may take one --timeout)."
    ))
}
