//! What the DNS blocklists said about the address a server saw us as: the engine asks them
//! after the probe (`dns::dnsbl`), attaches the answers to the observation, and the rule in
//! `diagnose::rules::blocklist` reads them. Data only: nothing here does I/O.

use std::net::{IpAddr, Ipv4Addr};

/// Where the address that was looked up came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EgressSource {
    /// The server's EHLO greeting (`250-mx Hello [203.0.113.7]`): the address it judged.
    Greeting,
    /// `--egress-ip`: the greeting named no address.
    Flag,
}

/// Why the lists were asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckReason {
    /// Exchange Online Protection withheld STARTTLS, as it does from listed senders.
    StarttlsWithheld,
    /// `--dnsbl` asked for it.
    Asked,
}

/// Why an address was not looked up at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skipped {
    /// Neither the greeting nor `--egress-ip` named an address.
    NoAddress,
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// RFC 1918, RFC 6598 shared (carrier-grade NAT) space, IPv6 unique-local addresses.
    Private,
    /// 169.254.0.0/16, fe80::/10.
    LinkLocal,
    /// RFC 5737 / RFC 3849 documentation ranges.
    Documentation,
    /// 0.0.0.0, ::, multicast, broadcast, reserved ranges: not a sender's address.
    NotUnicast,
    /// The run's deadline ran out before the lists could be asked.
    Deadline,
}

/// One list's answer for the address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListStatus {
    /// The list holds the address; one entry per return code.
    Listed(Vec<Listing>),
    /// NXDOMAIN: the list does not hold the address.
    NotListed,
    /// The list refused the query (a 127.255.255.x answer): nothing is known.
    Refused {
        /// The code returned.
        code: Ipv4Addr,
        /// What the list says it means.
        why: &'static str,
    },
    /// The answer is no blocklist code (outside 127.0.0.0/8, e.g. a resolver that rewrites
    /// NXDOMAIN to an address of its own): nothing is known.
    Bogus(Vec<Ipv4Addr>),
    /// The lookup failed or timed out: nothing is known.
    Failed(String),
    /// The list does not hold addresses of this family (IPv6 on an IPv4-only list): not asked.
    Unsupported,
}

/// One return code of a list that holds the address, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// The code (`127.0.0.4`).
    pub code: Ipv4Addr,
    /// The sub-list it stands for (`Spamhaus XBL`), or the list's name.
    pub list: &'static str,
    /// What it means, in a few words.
    pub meaning: &'static str,
    /// How such a listing ends.
    pub removal: Removal,
}

/// How a listing is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// Spamhaus SBL/CSS/XBL/DROP: look it up at check.spamhaus.org and follow the procedure
    /// shown there (fix the cause first).
    Spamhaus,
    /// Spamhaus PBL, set by the ISP that owns the range: not removable by the sender.
    PblIsp,
    /// Spamhaus PBL, set by Spamhaus: removable at check.spamhaus.org for a mail server's
    /// static address.
    PblSpamhaus,
    /// Barracuda's removal request form.
    Barracuda,
    /// SpamCop listings expire on their own once reports stop.
    Expires,
    /// A list this tool does not know: its own web site says.
    Unknown,
}

/// One list asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListAnswer {
    /// The list's DNS zone (`zen.spamhaus.org`).
    pub zone: String,
    /// The name asked (`7.113.0.203.zen.spamhaus.org`); empty when not asked.
    pub query: String,
    /// What it said.
    pub status: ListStatus,
}

/// The blocklist check of one endpoint: which address, why, and what the lists said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlocklistCheck {
    /// The address looked up (or the one skipped); `None` when none is known.
    pub address: Option<IpAddr>,
    /// Where it came from.
    pub source: EgressSource,
    /// Why the lists were asked.
    pub reason: CheckReason,
    /// The resolver asked, as findings name it.
    pub resolver: String,
    /// The answers, one per list, or why none was asked.
    pub outcome: Result<Vec<ListAnswer>, Skipped>,
    /// `--egress-ip`, when it was given but not used: the greeting named the address the
    /// server saw, which is the one that counts.
    pub flag_ignored: Option<IpAddr>,
}
