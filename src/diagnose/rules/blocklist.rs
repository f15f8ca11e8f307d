//! Blocklists for the address the server saw this probe as: what the DNS blocklists said
//! (asked by the engine after the probe, `dns::dnsbl`, and attached to the observation), and
//! Microsoft's own list when Exchange Online Protection names it in a reply.
//!
//! - `egress-ip-blocklisted`: a list holds the address. FAIL when Exchange Online Protection
//!   withheld STARTTLS (it does so from listed senders, seed 003: the cause, with
//!   `starttls-not-offered` as its symptom); WARN when TLS works or the server does not
//!   withhold STARTTLS for it. Also raised when the server itself answers `550 5.7.606-649
//!   Access denied, banned sending IP` (Microsoft's own list; `smtp-rejected` is the symptom),
//!   and when a refusal names the list that holds us (Postfix's `reject_rbl_client`: `554
//!   5.7.1 Service unavailable; Client host [198.51.100.7] blocked using zen.spamhaus.org`).
//! - `dnsbl-query-refused`: a 127.255.255.x answer, a refusal, never a listing.
//! - `egress-ip-not-listed`: no list that answered holds the address; when EOP withheld
//!   STARTTLS, `starttls-not-offered` says so in its evidence too.
//! - `egress-ip-not-checked`: the address was skipped (loopback, private, documentation, none
//!   known, deadline) or no list could answer.
//!
//! # References
//! - RFC 5782 §2 (DNSBL answers: 127.0.0.x A records; NXDOMAIN = not listed)
//! - Spamhaus: DNSBL return codes (ZEN sub-lists; 127.255.255.x refusals)
//! - Microsoft Learn: Use the delist portal to remove yourself from the blocked senders list
//!   (`550 5.7.606-649 Access denied, banned sending IP`)
//! - Microsoft Learn: Mail flow intelligence in EOP; seed 003 ("O365: On-Premises Transport
//!   Queuing Lessons Learned from CBL")

use std::net::IpAddr;

use crate::diagnose::fixes::blocklist as fixes;
use crate::diagnose::{Code, Ctx, Finding, ServerKind, Severity};
use crate::model::{
    BlocklistCheck, CheckReason, EgressSource, ListAnswer, ListStatus, Listing, Skipped,
};
use crate::smtp::escape;

/// Adds the blocklist findings of one endpoint to `findings` (its other findings), and notes
/// on its `starttls-not-offered` what the lists said when none explains it.
pub(crate) fn rules(ctx: &Ctx<'_>, findings: &mut Vec<Finding>) {
    if let Some(f) = microsoft_ban(ctx).or_else(|| refused_as_listed(ctx)) {
        findings.push(f);
    }
    let Some(check) = &ctx.obs.blocklist else {
        return;
    };
    let who = who(ctx.kind);
    let withheld = check.reason == CheckReason::StarttlsWithheld;
    let answers = match &check.outcome {
        Ok(a) => a,
        Err(why) => {
            let (summary, line) = skipped(check, *why, who);
            note_on_symptom(findings, withheld, line.clone());
            findings.push(ctx.finding(
                Code::EgressIpNotChecked,
                summary,
                vec![line],
                fixes::not_checked(Some(*why)),
            ));
            return;
        }
    };
    let Some(ip) = check.address else {
        return;
    };
    let mut evidence = vec![origin(check, ip, who, withheld)];
    evidence.extend(answers.iter().map(answer_line));
    evidence.push(format!("asked through {}", check.resolver));
    let listed: Vec<(&str, &Listing)> = answers
        .iter()
        .flat_map(|a| match &a.status {
            ListStatus::Listed(l) => l.iter().map(|x| (a.zone.as_str(), x)).collect(),
            _ => Vec::new(),
        })
        .collect();
    let refused: Vec<&ListAnswer> = answers
        .iter()
        .filter(|a| matches!(a.status, ListStatus::Refused { .. }))
        .collect();
    let not_listed: Vec<&str> = answers
        .iter()
        .filter(|a| a.status == ListStatus::NotListed)
        .map(|a| a.zone.as_str())
        .collect();
    if !listed.is_empty() {
        findings.push(blocklisted(ctx, ip, &listed, withheld, evidence.clone()));
    }
    if !refused.is_empty() {
        let mut lines = vec![evidence[0].clone()];
        lines.extend(refused.iter().map(|a| answer_line(a)));
        lines.push(format!("asked through {}", check.resolver));
        findings.push(query_refused(ctx, ip, &refused, check, lines));
    }
    if listed.is_empty() {
        let answered = Answered {
            not_listed: &not_listed,
            refused: &refused,
            all: answers.len(),
        };
        unexplained(ctx, findings, ip, withheld, &answered, evidence);
    }
}

/// What the lists that did not list the address said.
struct Answered<'a> {
    not_listed: &'a [&'a str],
    refused: &'a [&'a ListAnswer],
    all: usize,
}

/// No list holds the address: say which lists cleared it, or that none could tell, and note
/// on a withheld STARTTLS that the lists do not explain it.
fn unexplained(
    ctx: &Ctx<'_>,
    findings: &mut Vec<Finding>,
    ip: std::net::IpAddr,
    withheld: bool,
    answered: &Answered<'_>,
    evidence: Vec<String>,
) {
    let Answered {
        not_listed,
        refused,
        all,
    } = *answered;
    if !not_listed.is_empty() {
        let mut summary = format!(
            "{ip} is on none of the blocklists that answered ({})",
            not_listed.join(", ")
        );
        if withheld {
            summary
                .push_str(": they do not explain why Exchange Online Protection withheld STARTTLS");
            note_on_symptom(
                findings,
                true,
                format!(
                    "no blocklist that answered holds {ip} ({}){}: the cause may be Microsoft's own list (sender.office.com) or another (see egress-ip-not-listed)",
                    not_listed.join(", "),
                    if refused.is_empty() {
                        String::new()
                    } else {
                        let z: Vec<&str> = refused.iter().map(|a| a.zone.as_str()).collect();
                        format!(
                            "; {} refused the query (see dnsbl-query-refused)",
                            z.join(", ")
                        )
                    }
                ),
            );
        }
        findings.push(ctx.finding(
            Code::EgressIpNotListed,
            summary,
            evidence,
            fixes::not_listed(withheld),
        ));
    } else if refused.len() < all {
        note_on_symptom(
            findings,
            withheld,
            format!(
                "whether {ip} is on a blocklist is unknown: no list could answer (see egress-ip-not-checked)"
            ),
        );
        findings.push(ctx.finding(
            Code::EgressIpNotChecked,
            format!("no blocklist could say whether {ip} is listed"),
            evidence,
            fixes::not_checked(None),
        ));
    } else {
        note_on_symptom(
            findings,
            withheld,
            format!(
                "whether {ip} is on a blocklist is unknown: every list refused the query (see dnsbl-query-refused)"
            ),
        );
    }
}

/// How the report names the server that saw us.
fn who(kind: ServerKind) -> &'static str {
    match kind {
        ServerKind::ExchangeOnline => "Exchange Online Protection",
        _ => "the server",
    }
}

/// Where the address came from, as an evidence line.
fn origin(check: &BlocklistCheck, ip: IpAddr, who: &str, withheld: bool) -> String {
    let offered = if withheld {
        " and offered no STARTTLS"
    } else {
        ""
    };
    let ignored = check
        .flag_ignored
        .map(|f| {
            format!(" (--egress-ip {f} not used: the greeting names the address the server saw)")
        })
        .unwrap_or_default();
    match check.source {
        EgressSource::Greeting => format!("{who} greeted this probe as [{ip}]{offered}{ignored}"),
        EgressSource::Flag => format!(
            "--egress-ip {ip} (the greeting named no address){}",
            if withheld {
                "; STARTTLS was not offered"
            } else {
                ""
            }
        ),
    }
}

/// One list's answer, as an evidence line.
fn answer_line(a: &ListAnswer) -> String {
    let z = &a.zone;
    match &a.status {
        ListStatus::Listed(l) => {
            let codes: Vec<String> = l
                .iter()
                .map(|x| format!("{} = {}: {}", x.code, x.list, x.meaning))
                .collect();
            format!("{z}: LISTED ({}): {}", a.query, codes.join("; "))
        }
        ListStatus::NotListed => format!("{z}: not listed (NXDOMAIN for {})", a.query),
        ListStatus::Refused { code, why } => {
            format!("{z}: query REFUSED, not a listing ({code}: {why}): unknown")
        }
        ListStatus::Bogus(codes) => {
            let c: Vec<String> = codes.iter().map(ToString::to_string).collect();
            format!(
                "{z}: the answer {} is no blocklist code (a resolver that rewrites NXDOMAIN?): unknown",
                c.join(", ")
            )
        }
        ListStatus::Failed(why) => format!("{z}: no answer ({why}): unknown"),
        ListStatus::Unsupported => format!("{z}: not checked: this list holds no IPv6 addresses"),
    }
}

fn blocklisted(
    ctx: &Ctx<'_>,
    ip: IpAddr,
    listed: &[(&str, &Listing)],
    withheld: bool,
    evidence: Vec<String>,
) -> Finding {
    // One entry per list: `zen.spamhaus.org (Spamhaus XBL, Spamhaus PBL, set by the ISP)`.
    let mut by_zone: Vec<(&str, Vec<&str>)> = Vec::new();
    for (zone, l) in listed {
        let at = match by_zone.iter().position(|(z, _)| z == zone) {
            Some(at) => at,
            None => {
                by_zone.push((zone, Vec::new()));
                by_zone.len() - 1
            }
        };
        let subs = &mut by_zone[at].1;
        if l.list != "the list" && !subs.contains(&l.list) {
            subs.push(l.list);
        }
    }
    let names: Vec<String> = by_zone
        .iter()
        .map(|(z, subs)| {
            if subs.is_empty() {
                (*z).to_string()
            } else {
                format!("{z} ({})", subs.join(", "))
            }
        })
        .collect();
    let whose = match ctx.obs.blocklist.as_ref().map(|c| c.source) {
        Some(EgressSource::Flag) => "the address given with --egress-ip",
        _ => "the address this probe was seen as",
    };
    let mut summary = format!("{ip}, {whose}, is listed at {}", names.join(", "));
    let severity = if withheld {
        summary.push_str(
            ": that explains why Exchange Online Protection withheld STARTTLS (it does so from senders on the blocklists it uses)",
        );
        Severity::Fail
    } else {
        Severity::Warn
    };
    let ip_text = ip.to_string();
    ctx.finding_with(
        Code::EgressIpBlocklisted,
        severity,
        summary,
        evidence,
        fixes::delist(
            &ip_text,
            listed,
            withheld,
            ctx.kind == ServerKind::ExchangeOnline,
            ctx.obs
                .blocklist
                .as_ref()
                .is_some_and(|c| c.source == EgressSource::Flag),
        ),
    )
}

fn query_refused(
    ctx: &Ctx<'_>,
    ip: IpAddr,
    refused: &[&ListAnswer],
    check: &BlocklistCheck,
    evidence: Vec<String>,
) -> Finding {
    let zones: Vec<&str> = refused.iter().map(|a| a.zone.as_str()).collect();
    let codes: Vec<String> = refused
        .iter()
        .filter_map(|a| match a.status {
            ListStatus::Refused { code, .. } => Some(code.to_string()),
            _ => None,
        })
        .collect();
    ctx.finding(
        Code::DnsblQueryRefused,
        format!(
            "{} refused the query for {ip} ({}): whether it lists the address is unknown",
            zones.join(", "),
            codes.join(", ")
        ),
        evidence,
        fixes::refused(&zones, &codes, &check.resolver),
    )
}

/// The summary and evidence line of an address that was not looked up.
fn skipped(check: &BlocklistCheck, why: Skipped, who: &str) -> (String, String) {
    let Some(ip) = check.address else {
        return (
            "blocklists not checked: the greeting names no address for this probe (pass --egress-ip)".into(),
            format!("{who}'s EHLO greeting names no address, and no --egress-ip was given"),
        );
    };
    let kind = match why {
        Skipped::Loopback => "a loopback address",
        Skipped::Private => "a private address (RFC 1918, carrier-grade NAT or IPv6 unique-local)",
        Skipped::LinkLocal => "a link-local address",
        Skipped::Documentation => "a documentation address (RFC 5737/3849), no sender's",
        Skipped::NotUnicast => "not a unicast address any sender has",
        Skipped::NoAddress | Skipped::Deadline => "",
    };
    let seen = match check.source {
        EgressSource::Greeting => format!("{who} saw this probe as {ip}"),
        EgressSource::Flag => format!("--egress-ip {ip}"),
    };
    if why == Skipped::Deadline {
        return (
            format!("blocklists not checked for {ip}: the run's deadline ran out"),
            format!("{seen}; the run's deadline ran out before the lists were asked"),
        );
    }
    let then = match check.source {
        EgressSource::Greeting => "a server on this network, or NAT in between: pass --egress-ip",
        EgressSource::Flag => "pass the public address this network sends from",
    };
    (
        format!("blocklists not checked: {seen}, {kind}: no public list holds it"),
        format!("{seen}, {kind}: not looked up ({then})"),
    )
}

/// Adds `line` to the evidence of the endpoint's `starttls-not-offered` when EOP withheld
/// STARTTLS and no list explains it.
fn note_on_symptom(findings: &mut [Finding], withheld: bool, line: String) {
    if !withheld {
        return;
    }
    if let Some(f) = findings
        .iter_mut()
        .find(|f| f.code == Code::StarttlsNotOffered)
    {
        f.evidence.push(line);
    }
}

/// `550 5.7.606-649 Access denied, banned sending IP [x]`: Microsoft's own list.
fn microsoft_ban(ctx: &Ctx<'_>) -> Option<Finding> {
    let obs = ctx.obs;
    let replies = [&obs.banner, &obs.ehlo, &obs.helo]
        .into_iter()
        .flatten()
        .chain(obs.failure.as_ref().and_then(|f| f.reply.as_ref()));
    let line = replies
        .filter(|r| r.code >= 500)
        .flat_map(|r| r.lines.iter().map(move |l| (r.code, escape(&l.text))))
        .find(|(_, t)| banned_code(t))?;
    let text = &line.1;
    let ip: Option<IpAddr> = text
        .split('[')
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .and_then(|a| a.parse().ok());
    let ip_text = ip.map(|i| i.to_string());
    Some(ctx.finding(
        Code::EgressIpBlocklisted,
        format!(
            "{} is on Microsoft's own list of banned senders: Exchange Online Protection refuses it",
            ip_text.as_deref().unwrap_or("the address this probe was seen as")
        ),
        vec![format!("the server answered: {} {text}", line.0)],
        fixes::microsoft_delist(ip_text.as_deref()),
    ))
}

/// A refusal that names a blocklist holding the address we came from: Postfix's
/// `reject_rbl_client` (`554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked
/// using zen.spamhaus.org`), Exim's `rejected because 198.51.100.7 is in a black list at
/// zen.spamhaus.org`, and others that say "listed" or "blocklist". No lookup is needed: the
/// server said so.
fn refused_as_listed(ctx: &Ctx<'_>) -> Option<Finding> {
    let obs = ctx.obs;
    let replies = [&obs.banner, &obs.ehlo, &obs.helo]
        .into_iter()
        .flatten()
        .chain(obs.failure.as_ref().and_then(|f| f.reply.as_ref()));
    let (code, text) = replies
        .filter(|r| r.code >= 500)
        .flat_map(|r| r.lines.iter().map(move |l| (r.code, escape(&l.text))))
        .find(|(_, t)| names_a_blocklist(t))?;
    let zone = listing_zone(&text);
    // `[198.51.100.7]` (Postfix), or a bare address (Exim); else what the greeting said.
    let ip = crate::evidence::address_in_greeting(&text)
        .or_else(|| {
            text.split_whitespace().find_map(|w| {
                w.trim_matches(|c: char| !c.is_ascii_hexdigit() && c != ':' && c != '.')
                    .parse()
                    .ok()
            })
        })
        .or(ctx.ev.seen_as);
    let ip_text = ip.map(|i| i.to_string());
    let who = ip_text
        .as_deref()
        .unwrap_or("the address this probe came from");
    let summary = match &zone {
        Some(z) => format!("the server refused {who} as listed at {z}"),
        None => format!("the server refused {who} as listed on a blocklist"),
    };
    Some(ctx.finding(
        Code::EgressIpBlocklisted,
        summary,
        vec![format!("the server answered: {code} {text}")],
        fixes::refused_as_listed(ip_text.as_deref(), zone.as_deref()),
    ))
}

/// The reply speaks of a DNS blocklist.
fn names_a_blocklist(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    [
        "blocked using ",
        "black list at ",
        "blacklist",
        "blocklist",
        "block list",
        "listed at ",
        "listed in ",
        "listed by ",
        "dnsbl",
        " rbl",
        "spamhaus",
    ]
    .iter()
    .any(|w| t.contains(w))
}

/// The list's zone where the reply names it (`blocked using zen.spamhaus.org;`).
fn listing_zone(text: &str) -> Option<String> {
    let t = text.to_ascii_lowercase();
    ["blocked using ", " at ", "listed in ", "listed by "]
        .iter()
        .filter_map(|w| t.find(w).map(|at| &t[at + w.len()..]))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(|word| word.trim_end_matches([';', ',', '.', ':', ')']).to_string())
        .find(|z| {
            z.contains('.')
                && z.parse::<IpAddr>().is_err()
                && z.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        })
}

/// An enhanced status code 5.7.606 to 5.7.649 in `text`.
fn banned_code(text: &str) -> bool {
    text.match_indices("5.7.6").any(|(at, _)| {
        let rest = &text[at + 5..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.len() == 2 && digits.parse::<u16>().is_ok_and(|n| (6..=49).contains(&n))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::rules::tests::{NOW, observed, reply, world};
    use crate::diagnose::{Policy, diagnose, explained_by};
    use crate::evidence::Evidence;
    use crate::model::Observation;
    use crate::scripted::LeafSpec;
    use crate::smtp::Capabilities;

    const EOP: &str = "BN8NAM11FT012.mail.protection.outlook.com";

    /// EOP, healthy or without STARTTLS, with the lists' answers for 81.2.69.142.
    fn eop(starttls: bool, reason: CheckReason, answers: Vec<ListAnswer>) -> Observation {
        let w = world();
        let chain = w.chain(&LeafSpec::valid_for("mail.contoso.test", NOW, 90), true);
        let mut obs = observed("mail.contoso.test", EOP, chain, &w.trust);
        obs.banner = Some(reply(
            220,
            &[&format!("{EOP} Microsoft ESMTP MAIL Service ready")],
        ));
        if !starttls {
            let ehlo = reply(250, &[&format!("{EOP} Hello [81.2.69.142]"), "PIPELINING"]);
            obs.capabilities = Some(Capabilities::parse(&ehlo));
            obs.ehlo = Some(ehlo);
            obs.tls = None;
            obs.trust = None;
            obs.chain = Vec::new();
            obs.starttls_reply = None;
            obs.ehlo_tls = None;
        }
        obs.blocklist = Some(BlocklistCheck {
            address: Some("81.2.69.142".parse().unwrap()),
            source: EgressSource::Greeting,
            reason,
            resolver: "the resolver 127.0.0.1:5353".into(),
            outcome: Ok(answers),
            flag_ignored: None,
        });
        obs
    }

    fn xbl() -> Vec<ListAnswer> {
        vec![ListAnswer {
            zone: "zen.spamhaus.org".into(),
            query: "142.69.2.81.zen.spamhaus.org".into(),
            status: crate::dns::dnsbl::decode("zen.spamhaus.org", &["127.0.0.4".parse().unwrap()]),
        }]
    }

    fn run(obs: Observation) -> Vec<Finding> {
        diagnose(&Evidence::derive(obs, NOW), &Policy::default(), NOW)
    }

    #[test]
    fn a_listing_behind_withheld_starttls_is_the_failing_cause() {
        let f = run(eop(false, CheckReason::StarttlsWithheld, xbl()));
        assert_eq!(f[0].code, Code::EgressIpBlocklisted);
        assert_eq!(f[0].severity, Severity::Fail);
        assert_eq!(f[1].code, Code::StarttlsNotOffered);
        assert_eq!(
            explained_by(&f[1], &f).map(|c| c.code),
            Some(Code::EgressIpBlocklisted)
        );
    }

    #[test]
    fn a_listing_where_tls_works_only_warns_beside_the_healthy_summary() {
        let f = run(eop(true, CheckReason::Asked, xbl()));
        assert_eq!(
            (f[0].code, f[0].severity),
            (Code::EgressIpBlocklisted, Severity::Warn)
        );
        assert!(f.iter().any(|x| x.code == Code::StarttlsOk), "{f:?}");
        assert!(!f[0].summary.contains("withholds"), "{}", f[0].summary);
    }

    #[test]
    fn a_refusal_is_a_note_and_never_a_listing() {
        let refused = vec![ListAnswer {
            zone: "zen.spamhaus.org".into(),
            query: "142.69.2.81.zen.spamhaus.org".into(),
            status: crate::dns::dnsbl::decode(
                "zen.spamhaus.org",
                &["127.255.255.254".parse().unwrap()],
            ),
        }];
        let f = run(eop(false, CheckReason::StarttlsWithheld, refused));
        assert!(f.iter().all(|x| x.code != Code::EgressIpBlocklisted));
        let note = f
            .iter()
            .find(|x| x.code == Code::DnsblQueryRefused)
            .unwrap();
        assert_eq!(note.severity, Severity::Info);
        let symptom = f
            .iter()
            .find(|x| x.code == Code::StarttlsNotOffered)
            .unwrap();
        assert_eq!(symptom.severity, Severity::Fail);
        assert!(
            symptom
                .evidence
                .iter()
                .any(|l| l.contains("every list refused")),
            "{:?}",
            symptom.evidence
        );
    }

    #[test]
    fn microsofts_ban_codes_are_recognised() {
        assert!(banned_code(
            "5.7.606 Access denied, banned sending IP [81.2.69.142]"
        ));
        assert!(banned_code("5.7.649 Access denied"));
        assert!(!banned_code("5.7.650 something else"));
        assert!(!banned_code("5.7.6 short"));
        assert!(!banned_code("5.7.60 short"));
        assert!(!banned_code("5.7.1 Service unavailable"));
    }
}
