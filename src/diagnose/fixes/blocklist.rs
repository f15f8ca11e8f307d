//! Fixes for a blocklisted egress address: how each list's listing ends (Spamhaus's lookup
//! and removal, the PBL set by an ISP that its user cannot remove, Barracuda's form, SpamCop's
//! expiry, Microsoft's delist portal), what to do when a list refused the query, and what to
//! do when the address could not be looked up. Prose only: the admin acts on web sites.
//!
//! # References
//! - Spamhaus: DNSBL return codes; the Spamhaus IP and Domain Reputation Checker
//!   (check.spamhaus.org); "Using our public mirrors" (public resolvers are refused)
//! - Barracuda Central: BRBL removal request
//! - SpamCop: "How do I get my mailserver off the SpamCop blocklist?" (listings expire)
//! - Microsoft Learn: Use the delist portal to remove yourself from the blocked senders list
//!   (`550 5.7.606-649`, sender.office.com)

use crate::diagnose::fix::{Family, Fix};
use crate::model::{BlocklistCheck, Listing, Removal, Skipped};

fn fix(template: &'static str, values: &[&str]) -> Fix {
    Fix::new(Family::Generic, template, values)
}

/// Microsoft's own list, as Exchange Online Protection reports it.
const MICROSOFT: &str = "Microsoft's own list (Exchange Online Protection) answers a banned sender `550 5.7.606-649 Access denied, banned sending IP [address]`: request removal at the delist portal, https://sender.office.com (enter the address and a mailbox, confirm the link sent there).";

/// How to end one listing of `ip` at `zone`.
fn removal(ip: &str, zone: &str, l: &Listing) -> String {
    let head = if l.removal == Removal::Unknown {
        format!("{zone} ({}):", l.code)
    } else {
        format!("{zone} ({}, {}):", l.list, l.code)
    };
    let check = format!("look {ip} up at https://check.spamhaus.org/");
    match l.removal {
        Removal::Spamhaus => format!(
            "{head} {check}, which names the listing and its removal procedure. Remove the cause first ({}), or the address is listed again.",
            match l.list {
                "Spamhaus XBL" =>
                    "find and clean the infected machine or open proxy behind the address",
                "Spamhaus DROP" => "the whole network is listed: ask the provider that owns it",
                _ => "stop the mail the listing names",
            }
        ),
        Removal::PblIsp => format!(
            "{head} the ISP that owns the range listed it as addresses that must not send mail directly, and only the ISP can change that: its user cannot delist it. \
             Send from a static address outside the ISP's dynamic pool (ask the ISP for one), or through a smart host (the ISP's relay or a mail service); {check} to see the range."
        ),
        Removal::PblSpamhaus => format!(
            "{head} {check}; if {ip} is a mail server's static address, request its removal there. Otherwise send through a smart host."
        ),
        Removal::Barracuda => format!(
            "{head} after fixing the cause, request removal with Barracuda's form at https://www.barracudacentral.org/rbl/removal-request."
        ),
        Removal::Expires => format!(
            "{head} SpamCop listings expire on their own about a day after the last report: find and stop what sent the reported mail (https://www.spamcop.net/bl.shtml shows why {ip} is listed)."
        ),
        Removal::Unknown => format!(
            "{head} the list's own web site says why {ip} is listed and how to request removal."
        ),
    }
}

/// The address `ip` is on the lists in `listed` (zone and decoded code). `cause`: Exchange
/// Online Protection withheld STARTTLS because of it; `eop`: the server is Exchange Online
/// Protection (its own list is worth a look too).
pub fn delist(ip: &str, listed: &[(&str, &Listing)], cause: bool, eop: bool, given: bool) -> Fix {
    let mut values = vec![
        ip.to_string(),
        cause.to_string(),
        eop.to_string(),
        given.to_string(),
    ];
    values.extend(listed.iter().map(|(z, l)| format!("{z}={}", l.code)));
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    let intro = if cause {
        format!(
            "Exchange Online Protection withholds STARTTLS from senders on the blocklists it uses, so mail from {ip} over a connector that requires TLS queues \
             (`451 5.7.3 Must issue a STARTTLS command first`). Turning TLS off on the connector hides the symptom: get {ip} delisted, or send from another address."
        )
    } else {
        format!(
            "Receivers that use these lists refuse or defer mail from {ip}: get it delisted, or send from another address."
        )
    };
    let mut f = fix("blocklist::delist", &refs).say(intro);
    for (zone, l) in listed {
        f = f.say(removal(ip, zone, l));
    }
    // Microsoft's own list matters only where Exchange Online Protection answered.
    if eop {
        f = f.say(MICROSOFT);
    }
    if given {
        return f.say(format!(
            "{ip} is the address given with --egress-ip: make sure it is the one the mail server sends from (after NAT)."
        ));
    }
    f.say(
        "If the probe did not run from the mail server's network, probe again from there (or pass its address with --egress-ip): the address that matters is the one the mail server sends from.",
    )
}

/// Microsoft's own list bans `ip` (the server said so).
pub fn microsoft_delist(ip: Option<&str>) -> Fix {
    let ip_text = ip.unwrap_or("the address named in the reply");
    fix("blocklist::microsoft_delist", &[ip.unwrap_or_default()])
        .say(format!(
            "Exchange Online Protection has {ip_text} on Microsoft's own list of banned senders. Find and stop what sent the mail that got it listed (a compromised account or machine), then request removal at the delist portal, https://sender.office.com: enter {ip_text} and a mailbox, and confirm the link sent there. Removal takes effect within hours."
        ))
}

/// The server refused `ip` as listed at `zone` (as its reply says).
pub fn refused_as_listed(ip: Option<&str>, zone: Option<&str>) -> Fix {
    let ip_text = ip.unwrap_or("the address this probe came from");
    let at = zone.unwrap_or("the list the reply names");
    let list = zone.unwrap_or_default().to_ascii_lowercase();
    let how = if list.contains("spamhaus") {
        format!(
            "Look {ip_text} up at https://check.spamhaus.org/, which names the listing (SBL, CSS, XBL, PBL) and its removal procedure; a PBL \
             range set by an ISP cannot be delisted by its user: send from a static address outside the ISP's dynamic pool, or through a smart host."
        )
    } else if list.contains("barracuda") {
        "After fixing the cause, request removal with Barracuda's form at https://www.barracudacentral.org/rbl/removal-request.".to_string()
    } else if list.contains("spamcop") {
        format!(
            "SpamCop listings expire on their own about a day after the last report: find and stop what sent the reported mail (https://www.spamcop.net/bl.shtml shows why {ip_text} is listed)."
        )
    } else {
        format!("The list's own web site says why {ip_text} is listed and how to request removal.")
    };
    fix(
        "blocklist::refused_as_listed",
        &[ip.unwrap_or_default(), zone.unwrap_or_default()],
    )
    .say(format!(
        "The server refuses connections from {ip_text} because {at} lists it, so nothing about its TLS could be seen, and mail from {ip_text} to it fails too."
    ))
    .say(how)
    .say(
        "If the probe did not run from the mail server's network, probe again from there: the address that matters is the one the mail server sends from.",
    )
}

/// Exchange Online Protection withheld STARTTLS and the lists this run asked do not explain
/// it (none lists the address, they refused, or the address was not looked up): what is left
/// to check, without telling the admin to look up what was just looked up.
pub fn withheld_unexplained(check: &BlocklistCheck) -> Fix {
    let ip = check.address.map(|a| a.to_string()).unwrap_or_default();
    let asked: Vec<&str> = match &check.outcome {
        Ok(answers) => answers.iter().map(|a| a.zone.as_str()).collect(),
        Err(_) => Vec::new(),
    };
    let first = match (&check.outcome, ip.is_empty()) {
        (Ok(_), false) => format!(
            "Exchange Online Protection withholds STARTTLS from senders on the blocklists it uses. This run asked {} about {ip}, and none \
             of them lists it (or could say: see the notes).",
            asked.join(", ")
        ),
        (_, true) => "Exchange Online Protection withholds STARTTLS from senders on the blocklists it uses, and did not say which address it \
             saw: pass the public address your mail server sends from (after NAT) with --egress-ip and --dnsbl, or probe from the mail server's network."
            .to_string(),
        (Err(_), false) => format!(
            "Exchange Online Protection withholds STARTTLS from senders on the blocklists it uses. It saw this probe as {ip}, which no public \
             list can hold (see egress-ip-not-checked): probe from the mail server's own network, or pass its public address with --egress-ip."
        ),
    };
    fix(
        "blocklist::withheld_unexplained",
        &[&ip, &asked.join(",")],
    )
    .say(first)
    .say(
        "Exchange Online Protection also uses lists of its own, which no DNS query shows: try to send a message without TLS from the mail \
         server's address (its outbound queue's last error, or a test session that goes on to MAIL FROM and RCPT TO); EOP's refusal names the \
         list and how to be removed (Microsoft's own: the delist portal, https://sender.office.com).",
    )
    .say(
        "If no list holds the address your mail server sends from, the cause is in the path, not on the server: an SMTP-inspecting firewall on \
         your side (compare with a probe from another network), or a probe from an address other than the mail server's.",
    )
}

/// A list refused the query (`why`: what its code means).
pub fn refused(zones: &[&str], codes: &[String], resolver: &str) -> Fix {
    let mut values: Vec<&str> = zones.to_vec();
    values.extend(codes.iter().map(String::as_str));
    values.push(resolver);
    let over_limit = codes.iter().any(|c| c.ends_with(".255"));
    let typo = codes.iter().any(|c| c.ends_with(".252"));
    let mut f = fix("blocklist::refused", &values).say(format!(
        "{} answered with a refusal, not a listing, so nothing is known about the address there. The query went through {resolver}: \
         Spamhaus refuses queries that reach it through public resolvers (8.8.8.8, 1.1.1.1, 9.9.9.9). Ask through a resolver of your own that queries the lists directly \
         (a local recursive resolver such as unbound, or the mail server's own DNS server) with --resolver, or look the address up at https://check.spamhaus.org/.",
        zones.join(", ")
    ));
    if over_limit {
        f = f.say("127.255.255.255 means over the free-use query limit: ask less often, or use a Spamhaus Data Query Service key and its zone with --dnsbl=ZONE.");
    }
    if typo {
        f = f.say(
            "127.255.255.252 means the list's name is mistyped: check the zone given with --dnsbl.",
        );
    }
    f
}

/// No list asked holds the address; `withheld`: Exchange Online Protection withheld STARTTLS
/// anyway.
pub fn not_listed(withheld: bool) -> Fix {
    if withheld {
        fix("blocklist::not_listed", &["withheld"])
            .say(format!("These lists do not explain why Exchange Online Protection withheld STARTTLS. {MICROSOFT}"))
            .say("Otherwise look for the other causes: an SMTP-inspecting firewall in the path (compare with a probe from another network), or an address other than the mail server's (probe from the mail server's network, or pass its address with --egress-ip).")
    } else {
        fix("blocklist::not_listed", &[]).say("Nothing to change: no list asked holds the address.")
    }
}

/// The address was not looked up (`why`), or no list could answer (`why` is `None`).
pub fn not_checked(why: Option<Skipped>) -> Fix {
    let (name, text) = match why {
        Some(Skipped::Deadline) => (
            "deadline",
            "The run's deadline ran out before the lists could be asked: give more time with --deadline, or probe fewer endpoints.",
        ),
        Some(Skipped::Loopback | Skipped::Private | Skipped::LinkLocal) => (
            "local",
            "The server is on this network, or a NAT between us rewrote the address, so it is not the address the internet sees. \
             Pass the public address this network sends from with --egress-ip, or probe from outside.",
        ),
        Some(Skipped::Documentation | Skipped::NotUnicast) => (
            "no-sender",
            "No sender on the internet has this address (a lab or test server wrote it): pass the real public address with --egress-ip.",
        ),
        Some(Skipped::NoAddress) => (
            "no-address",
            "The greeting names no address: pass the public address this network sends from with --egress-ip.",
        ),
        None => (
            "no-answer",
            "Check that the resolver answers (--resolver names another), or look the address up on the lists' web sites (https://check.spamhaus.org/).",
        ),
    };
    fix("blocklist::not_checked", &[name]).say(text)
}
