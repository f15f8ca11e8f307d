//! DNS blocklists for the address a server saw us as: which address to look up and when, the
//! query names (reversed octets, IPv6 nibbles), the lookups through the run's own resolver
//! with a deadline, and the decoding of each list's return codes. The engine calls
//! [`attach`] after each probe; the rule in `diagnose::rules::blocklist` reads the result.
//!
//! Lists are asked only when Exchange Online Protection withheld STARTTLS (it does so from
//! listed senders, seed 003) or when `--dnsbl` asks, never otherwise; `--no-dnsbl` asks none.
//! An address that is loopback, private, link-local or a documentation address is never looked
//! up: no public list holds it, and it is not the address the internet sees.
//!
//! # References
//! - RFC 5782 §2.1 (IPv4 DNSBL query: reversed octets under the list's zone; A 127.0.0.x
//!   answers), §2.4 (IPv6: reversed nibbles), §5 (127.0.0.2 test entry)
//! - Spamhaus: "DNSBL return codes" (ZEN 127.0.0.2 SBL, .3 CSS, .4–.7 XBL, .9 DROP, .10/.11
//!   PBL; 127.255.255.252/.254/.255 refusals) and "Using our public mirrors" (public resolvers
//!   are refused)
//! - Barracuda Reputation Block List (BRBL) usage; SpamCop: "What is the SpamCop Blocking List"

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use super::{DnsError, Resolver};
use crate::model::{
    BlocklistCheck, CheckReason, EgressSource, ListAnswer, ListStatus, Listing, Observation,
    Removal, Skipped, TlsMode,
};

/// The lists asked by default (`--dnsbl default`, and when EOP withholds STARTTLS).
pub const DEFAULT_ZONES: [&str; 3] = [
    "zen.spamhaus.org",
    "b.barracudacentral.org",
    "bl.spamcop.net",
];

/// What the command line says about blocklists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsblSettings {
    /// `--no-dnsbl`: never ask.
    pub off: bool,
    /// `--dnsbl` was given: ask for every endpoint, not only when EOP withheld STARTTLS.
    pub asked: bool,
    /// The lists' zones, in the order given.
    pub zones: Vec<String>,
    /// `--egress-ip`: the address to look up when the greeting names none.
    pub egress_ip: Option<IpAddr>,
}

impl Default for DnsblSettings {
    fn default() -> Self {
        DnsblSettings {
            off: false,
            asked: false,
            zones: DEFAULT_ZONES.map(String::from).to_vec(),
            egress_ip: None,
        }
    }
}

/// The name to ask a list for `ip` (RFC 5782 §2.1, §2.4): `7.113.0.203.zen.spamhaus.org`,
/// or 32 reversed nibbles for IPv6.
pub fn query_name(ip: IpAddr, zone: &str) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}.{zone}")
        }
        IpAddr::V6(v6) => {
            let mut labels = String::with_capacity(64 + zone.len());
            for byte in v6.octets().iter().rev() {
                labels.push_str(&format!("{:x}.{:x}.", byte & 0x0f, byte >> 4));
            }
            labels + zone
        }
    }
}

/// Why `ip` is not looked up, if it is not: no public list holds such an address, and it is
/// not the address the internet sees.
pub fn skip_reason(ip: IpAddr) -> Option<Skipped> {
    match ip {
        IpAddr::V4(v4) => skip_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => skip_v4(v4),
            None => skip_v6(v6),
        },
    }
}

fn skip_v4(ip: Ipv4Addr) -> Option<Skipped> {
    let [a, b, c, _] = ip.octets();
    if ip.is_loopback() {
        Some(Skipped::Loopback)
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        Some(Skipped::Private)
    } else if ip.is_link_local() {
        Some(Skipped::LinkLocal)
    } else if ip.is_documentation() {
        Some(Skipped::Documentation)
    } else if ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        || a >= 240
        || (a == 192 && b == 0 && c == 0)
    {
        Some(Skipped::NotUnicast)
    } else {
        None
    }
}

fn skip_v6(ip: Ipv6Addr) -> Option<Skipped> {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        Some(Skipped::Loopback)
    } else if first & 0xfe00 == 0xfc00 {
        Some(Skipped::Private)
    } else if first & 0xffc0 == 0xfe80 {
        Some(Skipped::LinkLocal)
    } else if first == 0x2001 && ip.segments()[1] == 0x0db8 {
        Some(Skipped::Documentation)
    } else if ip.is_unspecified() || ip.is_multicast() {
        Some(Skipped::NotUnicast)
    } else {
        None
    }
}

/// Whether the list holds IPv6 addresses: ZEN does; Barracuda's and SpamCop's lists are
/// IPv4 only. A list this tool does not know is asked (it says NXDOMAIN if it holds none).
pub fn supports_ipv6(zone: &str) -> bool {
    !matches!(zone, "b.barracudacentral.org" | "bl.spamcop.net")
}

/// What a list's answer (its A records) says.
pub fn decode(zone: &str, answers: &[Ipv4Addr]) -> ListStatus {
    if answers.is_empty() {
        // The name exists without an A record (NODATA): no listing.
        return ListStatus::NotListed;
    }
    if let Some(code) = answers.iter().find(|a| is_refusal(**a)) {
        return ListStatus::Refused {
            code: *code,
            why: refusal(*code),
        };
    }
    if answers.iter().any(|a| a.octets()[0] != 127) {
        return ListStatus::Bogus(answers.to_vec());
    }
    let mut codes = answers.to_vec();
    codes.sort();
    codes.dedup();
    ListStatus::Listed(codes.into_iter().map(|c| listing(zone, c)).collect())
}

/// 127.255.255.0/24: the list refused the query (Spamhaus's convention).
fn is_refusal(code: Ipv4Addr) -> bool {
    let [a, b, c, _] = code.octets();
    (a, b, c) == (127, 255, 255)
}

/// What a refusal code means (Spamhaus "DNSBL return codes").
fn refusal(code: Ipv4Addr) -> &'static str {
    match code.octets()[3] {
        252 => "typing error in the list's name",
        254 => {
            "query through a public or open resolver (e.g. 8.8.8.8, 1.1.1.1, 9.9.9.9), or from a source the list cannot attribute"
        }
        255 => "excessive number of queries: over the list's free-use limit",
        _ => "the list refused the query",
    }
}

/// One return code of `zone`, decoded.
fn listing(zone: &str, code: Ipv4Addr) -> Listing {
    let last = code.octets()[3];
    let (list, meaning, removal) = match zone {
        "zen.spamhaus.org" => match last {
            2 => (
                "Spamhaus SBL",
                "a spam source or spam operation Spamhaus tracks (Spamhaus Block List)",
                Removal::Spamhaus,
            ),
            3 => (
                "Spamhaus CSS",
                "low-reputation (snowshoe) mail seen from this address (Combined Spam Sources)",
                Removal::Spamhaus,
            ),
            4..=7 => (
                "Spamhaus XBL",
                "an infected or exploited host: botnet, open proxy (the Exploits Block List, which now includes the CBL)",
                Removal::Spamhaus,
            ),
            9 => (
                "Spamhaus DROP",
                "a hijacked or criminal network (Don't Route Or Peer)",
                Removal::Spamhaus,
            ),
            10 => (
                "Spamhaus PBL, set by the ISP",
                "the owner of the range (the ISP) says it should not send mail directly: dynamic or end-user addresses (Policy Block List)",
                Removal::PblIsp,
            ),
            11 => (
                "Spamhaus PBL, set by Spamhaus",
                "Spamhaus found the range to be end-user or dynamic space, not a mail server (Policy Block List)",
                Removal::PblSpamhaus,
            ),
            _ => (
                "Spamhaus ZEN",
                "listed (a return code this tool does not know)",
                Removal::Spamhaus,
            ),
        },
        "b.barracudacentral.org" => (
            "Barracuda BRBL",
            "poor sending reputation at Barracuda (Barracuda Reputation Block List)",
            Removal::Barracuda,
        ),
        "bl.spamcop.net" => (
            "SpamCop",
            "spam reported by SpamCop users recently (SpamCop Blocking List)",
            Removal::Expires,
        ),
        _ => (
            "the list",
            "listed (the list's own documentation says what the code means)",
            Removal::Unknown,
        ),
    };
    Listing {
        code,
        list,
        meaning,
        removal,
    }
}

/// What the server said about itself and about us, as the evidence layer reads it (its
/// `ServerKind` and `seen_as`). The caller reads it and hands it over: dns sits below that
/// layer, and reading the server's words a second way here could disagree with the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Greeted {
    /// The server is Exchange Online Protection, which withholds STARTTLS from listed
    /// senders (seed 003).
    pub exchange_online: bool,
    /// The address the EHLO greeting says the server saw us as.
    pub seen_as: Option<IpAddr>,
}

/// Which address to look up for `obs`, and why, when the settings call for a lookup: when
/// EOP withheld STARTTLS, or for every endpoint with `--dnsbl`; never with `--no-dnsbl`. The
/// address is the one the greeting names, else `--egress-ip`.
pub fn wanted(
    settings: &DnsblSettings,
    exchange_online: bool,
    starttls_withheld: bool,
    greeting: Option<IpAddr>,
) -> Option<(Option<IpAddr>, EgressSource, CheckReason)> {
    if settings.off || settings.zones.is_empty() {
        return None;
    }
    let reason = if exchange_online && starttls_withheld {
        CheckReason::StarttlsWithheld
    } else if settings.asked {
        CheckReason::Asked
    } else {
        return None;
    };
    Some(match (greeting, settings.egress_ip) {
        (Some(ip), _) => (Some(ip), EgressSource::Greeting, reason),
        (None, flag) => (flag, EgressSource::Flag, reason),
    })
}

/// Asks every list in `zones` about `ip` at once, each lookup bounded by `timeout`.
pub async fn lookup<R: Resolver>(
    resolver: &R,
    ip: IpAddr,
    zones: &[String],
    timeout: Duration,
) -> Vec<ListAnswer> {
    let asks = zones.iter().map(|zone| async move {
        if ip.is_ipv6() && !supports_ipv6(zone) {
            return ListAnswer {
                zone: zone.clone(),
                query: String::new(),
                status: ListStatus::Unsupported,
            };
        }
        let query = query_name(ip, zone);
        let status = match tokio::time::timeout(timeout, resolver.lookup_a(&query)).await {
            Ok(Ok(answers)) => decode(zone, &answers),
            Ok(Err(DnsError::NxDomain { .. })) => ListStatus::NotListed,
            Ok(Err(DnsError::NoAddress { .. })) => ListStatus::NotListed,
            Ok(Err(DnsError::Failed { reason, .. })) => ListStatus::Failed(reason),
            // What the server did (an error code, a wrong answer, silence), as said.
            Ok(Err(e)) => ListStatus::Failed(e.to_string()),
            Err(_) => ListStatus::Failed(format!(
                "no answer within {}",
                crate::text::seconds(timeout)
            )),
        };
        ListAnswer {
            zone: zone.clone(),
            query,
            status,
        }
    });
    futures_util::future::join_all(asks).await
}

/// The per-run cache: one lookup per address, whichever endpoints saw it.
pub type Cache = HashMap<IpAddr, Vec<ListAnswer>>;

/// After the probe of `obs`: when the settings call for it, looks the address the server saw
/// (`greeted`, read from `obs`) up in the lists (once per address in the run: `cache`) through
/// `resolver`, bounded by `step` and the run's `deadline`, and attaches what they said to
/// `obs`.
pub async fn attach<R: Resolver>(
    obs: &mut Observation,
    greeted: Greeted,
    settings: &DnsblSettings,
    resolver: &R,
    step: Duration,
    deadline: Instant,
    cache: &mut Cache,
) {
    // Only a server that greeted and answered EHLO saw us: an endpoint that refused the
    // connection or never spoke has no address to report and nothing to say about it.
    if obs.capabilities.is_none() {
        return;
    }
    let withheld = obs.endpoint.tls_mode == TlsMode::Starttls
        && obs.failure.is_none()
        && obs.capabilities.as_ref().is_some_and(|c| !c.starttls());
    let Some((address, source, reason)) =
        wanted(settings, greeted.exchange_online, withheld, greeted.seen_as)
    else {
        return;
    };
    let outcome = match address {
        None => Err(Skipped::NoAddress),
        Some(ip) => match skip_reason(ip) {
            Some(why) => Err(why),
            None => match cache.get(&ip) {
                Some(answers) => Ok(answers.clone()),
                None => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        Err(Skipped::Deadline)
                    } else {
                        let answers = lookup(resolver, ip, &settings.zones, step.min(left)).await;
                        cache.insert(ip, answers.clone());
                        Ok(answers)
                    }
                }
            },
        },
    };
    let flag_ignored = settings
        .egress_ip
        .filter(|flag| source == EgressSource::Greeting && address != Some(*flag));
    obs.blocklist = Some(BlocklistCheck {
        address,
        source,
        reason,
        resolver: resolver.describe(),
        outcome,
        flag_ignored,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn v4(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv4_query_names_reverse_the_octets() {
        assert_eq!(
            query_name(ip("203.0.113.7"), "zen.spamhaus.org"),
            "7.113.0.203.zen.spamhaus.org"
        );
        assert_eq!(
            query_name(ip("127.0.0.2"), "bl.spamcop.net"),
            "2.0.0.127.bl.spamcop.net"
        );
    }

    #[test]
    fn ipv6_query_names_reverse_the_nibbles() {
        // RFC 5782 §2.4's example address.
        assert_eq!(
            query_name(ip("2001:db8:1:2:3:4:567:89ab"), "ugly.example.com"),
            "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ugly.example.com"
        );
        let name = query_name(ip("2a01:4f8::1"), "zen.spamhaus.org");
        assert_eq!(name.split('.').count(), 32 + 3);
        assert!(name.starts_with("1.0.0.0.0.0.0.0."), "{name}");
        assert!(name.ends_with("8.f.4.0.1.0.a.2.zen.spamhaus.org"), "{name}");
    }

    #[test]
    fn zen_codes_are_decoded() {
        let one = |code: &str| match decode("zen.spamhaus.org", &[v4(code)]) {
            ListStatus::Listed(l) => l[0].clone(),
            other => panic!("{code}: {other:?}"),
        };
        assert_eq!(one("127.0.0.2").list, "Spamhaus SBL");
        assert_eq!(one("127.0.0.3").list, "Spamhaus CSS");
        for c in ["127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7"] {
            assert_eq!(one(c).list, "Spamhaus XBL");
            assert!(one(c).meaning.contains("CBL"));
        }
        assert_eq!(one("127.0.0.9").list, "Spamhaus DROP");
        assert_eq!(one("127.0.0.10").removal, Removal::PblIsp);
        assert_eq!(one("127.0.0.11").removal, Removal::PblSpamhaus);
        assert_eq!(one("127.0.0.8").list, "Spamhaus ZEN");
        // Several codes at once (XBL and PBL), in order, without duplicates.
        let both = decode(
            "zen.spamhaus.org",
            &[v4("127.0.0.10"), v4("127.0.0.4"), v4("127.0.0.4")],
        );
        let ListStatus::Listed(l) = both else {
            panic!("{both:?}")
        };
        assert_eq!(
            l.iter().map(|x| x.list).collect::<Vec<_>>(),
            ["Spamhaus XBL", "Spamhaus PBL, set by the ISP"]
        );
    }

    #[test]
    fn other_lists_and_unknown_zones() {
        let ListStatus::Listed(b) = decode("b.barracudacentral.org", &[v4("127.0.0.2")]) else {
            panic!()
        };
        assert_eq!(b[0].removal, Removal::Barracuda);
        let ListStatus::Listed(s) = decode("bl.spamcop.net", &[v4("127.0.0.2")]) else {
            panic!()
        };
        assert_eq!(s[0].removal, Removal::Expires);
        let ListStatus::Listed(u) = decode("dnsbl.example.net", &[v4("127.0.0.3")]) else {
            panic!()
        };
        assert_eq!(u[0].removal, Removal::Unknown);
    }

    #[test]
    fn refusals_and_odd_answers_are_never_listings() {
        for (code, words) in [
            ("127.255.255.254", "public or open resolver"),
            ("127.255.255.255", "free-use limit"),
            ("127.255.255.252", "typing error"),
            ("127.255.255.1", "refused"),
        ] {
            match decode("zen.spamhaus.org", &[v4(code)]) {
                ListStatus::Refused { code: c, why } => {
                    assert_eq!(c, v4(code));
                    assert!(why.contains(words), "{why}");
                }
                other => panic!("{code}: {other:?}"),
            }
        }
        // A refusal among other codes is still a refusal.
        assert!(matches!(
            decode(
                "zen.spamhaus.org",
                &[v4("127.0.0.2"), v4("127.255.255.254")]
            ),
            ListStatus::Refused { .. }
        ));
        // A resolver that rewrites NXDOMAIN to its own address.
        assert!(matches!(
            decode("bl.spamcop.net", &[v4("198.51.100.80")]),
            ListStatus::Bogus(_)
        ));
        assert_eq!(decode("bl.spamcop.net", &[]), ListStatus::NotListed);
    }

    #[test]
    fn addresses_no_list_holds_are_skipped_with_their_reason() {
        for (a, why) in [
            ("127.0.0.1", Skipped::Loopback),
            ("::1", Skipped::Loopback),
            ("10.1.2.3", Skipped::Private),
            ("172.16.0.9", Skipped::Private),
            ("192.168.1.10", Skipped::Private),
            ("100.64.0.1", Skipped::Private),
            ("fd00::5", Skipped::Private),
            ("169.254.1.1", Skipped::LinkLocal),
            ("fe80::1", Skipped::LinkLocal),
            ("192.0.2.7", Skipped::Documentation),
            ("198.51.100.7", Skipped::Documentation),
            ("203.0.113.7", Skipped::Documentation),
            ("2001:db8::7", Skipped::Documentation),
            ("::ffff:192.168.1.10", Skipped::Private),
            ("0.0.0.0", Skipped::NotUnicast),
            ("224.0.0.1", Skipped::NotUnicast),
            ("255.255.255.255", Skipped::NotUnicast),
        ] {
            assert_eq!(skip_reason(ip(a)), Some(why), "{a}");
        }
        for a in ["81.2.69.142", "100.128.0.1", "2a01:4f8::1", "172.32.0.1"] {
            assert_eq!(skip_reason(ip(a)), None, "{a}");
        }
    }

    #[test]
    fn lists_are_asked_only_when_eop_withholds_starttls_or_the_user_asks() {
        // Whether the server is Exchange Online Protection.
        let (eop, postfix) = (true, false);
        let defaults = DnsblSettings::default();
        let seen = Some(ip("81.2.69.142"));
        assert_eq!(
            wanted(&defaults, eop, true, seen),
            Some((seen, EgressSource::Greeting, CheckReason::StarttlsWithheld))
        );
        assert_eq!(wanted(&defaults, eop, false, seen), None);
        assert_eq!(wanted(&defaults, postfix, true, seen), None);
        let asked = DnsblSettings {
            asked: true,
            ..DnsblSettings::default()
        };
        assert_eq!(
            wanted(&asked, postfix, false, seen),
            Some((seen, EgressSource::Greeting, CheckReason::Asked))
        );
        let off = DnsblSettings {
            off: true,
            ..DnsblSettings::default()
        };
        assert_eq!(wanted(&off, eop, true, seen), None);
        // --egress-ip only when the greeting names no address.
        let flag = DnsblSettings {
            egress_ip: Some(ip("81.2.69.160")),
            ..DnsblSettings::default()
        };
        assert_eq!(
            wanted(&flag, eop, true, None),
            Some((
                flag.egress_ip,
                EgressSource::Flag,
                CheckReason::StarttlsWithheld
            ))
        );
        assert_eq!(wanted(&flag, eop, true, seen).map(|w| w.0), Some(seen));
        assert_eq!(
            wanted(&defaults, eop, true, None),
            Some((None, EgressSource::Flag, CheckReason::StarttlsWithheld))
        );
    }
}
