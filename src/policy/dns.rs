//! DNS lookups with DO and AD set, sent by hand to the run's DNS server, so that the answer's
//! DNSSEC status can be read (hickory's resolver neither asks for AD nor reports it).
//!
//! The AD bit only means something from a validating resolver the client trusts (RFC 4035
//! §3.2.3, RFC 6698 §A.3.1, RFC 7672 §2.1): a server on loopback, or one named with
//! `--trust-resolver`. From any other server the status is [`Dnssec::NotValidated`], and the
//! report says so. A SERVFAIL from a trusted validating resolver is [`Dnssec::Bogus`].
//!
//! Every query has a deadline; answers are read over UDP (EDNS0, 1232 bytes) and retried over
//! TCP when truncated; nothing is read beyond one message.

use std::time::Instant;

use super::{DnsResult, Dnssec, HostDane, PolicyConfig, ResolverTrust, Tlsa};

/// A DNS client bound to the run's first DNS server, knowing whether its AD bit counts.
#[derive(Debug, Clone)]
pub struct Client {
    trust: ResolverTrust,
}

impl Client {
    /// The client for `cfg`'s first `--resolver`, or the system's first name server.
    pub fn new(cfg: &PolicyConfig) -> Self {
        let _ = cfg;
        Client {
            trust: ResolverTrust {
                server: String::new(),
                trusted: false,
                why: "not implemented yet".into(),
            },
        }
    }

    /// The server asked and whether its AD bit counts.
    pub fn trust(&self) -> ResolverTrust {
        self.trust.clone()
    }

    /// The DNSSEC status of `domain`'s MX RRset (RFC 7672 §2.2.1).
    pub async fn mx_status(&self, domain: &str, deadline: Instant) -> Dnssec {
        let _ = (domain, deadline);
        Dnssec::Indeterminate
    }

    /// TXT records of `name`, each record's character-strings concatenated (RFC 7208 §3.3
    /// style; RFC 8461 §3.1, RFC 8460 §3).
    pub async fn txt(&self, name: &str, deadline: Instant) -> DnsResult<String> {
        let _ = deadline;
        DnsResult {
            name: name.to_string(),
            dnssec: Dnssec::Indeterminate,
            answer: super::Answer::Failed("not implemented yet".into()),
            cnames: Vec::new(),
        }
    }

    /// The RFC 7672 §2.2 procedure for `host` on `port`: the addresses' status, then, if
    /// they are secure, TLSA at `_PORT._tcp` of the CNAME-expanded name and then of `host`.
    pub async fn host_dane(&self, host: &str, port: u16, deadline: Instant) -> HostDane {
        let _ = deadline;
        HostDane {
            host: host.to_string(),
            port,
            addresses: Dnssec::Indeterminate,
            tlsa: None::<DnsResult<Tlsa>>,
            base_domain: None,
        }
    }
}
