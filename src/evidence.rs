//! Evidence: what an observation shows, derived once. The parsed chain, the server software,
//! the trust verdict, whether STARTTLS was offered, the TLS version, the address the server
//! saw us as and the middlebox signals the reply reader noticed. The per-endpoint rules, the
//! cross-endpoint rules and the report all read this; nothing parses a certificate twice.

use std::net::IpAddr;

use time::OffsetDateTime;

use crate::cert::{CertError, CertInfo};
use crate::model::{EndpointId, Observation, TlsMode};
use crate::smtp::Reply;
use crate::tls::TlsVersion;

mod software;

pub use software::ServerKind;

/// One observation with everything derived from it.
#[derive(Debug)]
pub struct Evidence {
    /// What the probe saw.
    pub obs: Observation,
    /// The endpoint's identity.
    pub id: EndpointId,
    /// Its label (`mail.contoso.com [203.0.113.5]:25`).
    pub label: String,
    /// Which MTA answered.
    pub kind: ServerKind,
    /// The chain as sent, parsed, leaf first; it stops before the first certificate that
    /// cannot be parsed, so `chain[0]` is always the leaf.
    pub chain: Vec<CertInfo>,
    /// Why the first unparsable certificate could not be read.
    pub unparsable: Option<CertError>,
    /// The chain leads to a trusted root (judged apart from time).
    pub trusted: bool,
    /// STARTTLS advertised before TLS (`None`: implicit TLS, or EHLO never completed).
    pub starttls: Option<bool>,
    /// The negotiated TLS version.
    pub version: Option<TlsVersion>,
    /// The address the server says it saw us as (`250-mx Hello [203.0.113.7]`).
    pub seen_as: Option<IpAddr>,
    /// A reply ended its continuation lines with another code than it began with.
    pub mixed_codes: bool,
    /// A reply ended a line with a bare LF instead of CRLF.
    pub bare_lf: bool,
}

impl Evidence {
    /// Derives the evidence of `obs`; certificate dates are judged at `now`.
    pub fn derive(obs: Observation, now: OffsetDateTime) -> Self {
        let mut chain = Vec::new();
        let mut unparsable = None;
        for der in &obs.chain {
            match CertInfo::parse(der, now) {
                Ok(c) => chain.push(c),
                Err(e) => {
                    unparsable = Some(e);
                    break;
                }
            }
        }
        let replies: Vec<&Reply> = [
            &obs.banner,
            &obs.ehlo,
            &obs.helo,
            &obs.starttls_reply,
            &obs.ehlo_tls,
        ]
        .into_iter()
        .flatten()
        .collect();
        Evidence {
            id: obs.endpoint.id(),
            label: obs.endpoint.label(),
            kind: ServerKind::detect(&obs),
            chain,
            unparsable,
            trusted: obs.trust.as_ref().is_some_and(|t| t.trusted),
            starttls: match obs.endpoint.tls_mode {
                TlsMode::Starttls => obs.capabilities.as_ref().map(|c| c.starttls()),
                TlsMode::Implicit => None,
            },
            version: obs.tls.as_ref().map(|t| t.version),
            seen_as: seen_as(&obs),
            mixed_codes: replies.iter().any(|r| r.has_mixed_codes()),
            bare_lf: replies.iter().any(|r| r.has_bare_lf()),
            obs,
        }
    }

    /// The leaf certificate, if one was sent and parsed.
    pub fn leaf(&self) -> Option<&CertInfo> {
        self.chain.first()
    }

    /// The port probed.
    pub fn port(&self) -> u16 {
        self.obs.endpoint.address.port()
    }
}

/// The egress address in the EHLO greeting (`250-mx Hello [203.0.113.7]`), as Exchange and
/// Postfix write it.
pub(crate) fn seen_as(obs: &Observation) -> Option<IpAddr> {
    address_in_greeting(&obs.capabilities.as_ref()?.greeting_text)
}

/// The last bracketed address in an EHLO greeting. Exim and sendmail echo the client's EHLO
/// name before the address they saw (`Hello [10.0.0.5] [198.51.100.7]` when we greet with
/// our own address literal behind NAT), so the last one is the server's view; an IPv6
/// literal may carry its `IPv6:` tag.
pub(crate) fn address_in_greeting(text: &str) -> Option<IpAddr> {
    text.split('[')
        .skip(1)
        .filter_map(|rest| rest.split_once(']').map(|(inside, _)| inside))
        .filter_map(|inside| {
            let inside = inside
                .strip_prefix("IPv6:")
                .or_else(|| inside.strip_prefix("ipv6:"))
                .unwrap_or(inside);
            inside.parse().ok()
        })
        .last()
}

#[cfg(test)]
mod tests {
    use super::address_in_greeting;

    #[test]
    fn the_address_the_server_saw_is_the_last_bracketed_one() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().ok();
        // Exchange Online Protection (seed 003), Exchange, Postfix-style without an address.
        assert_eq!(
            address_in_greeting("contoso-com.mail.protection.outlook.com Hello [203.0.113.7]"),
            ip("203.0.113.7")
        );
        assert_eq!(address_in_greeting("mail.example.test"), None);
        // Exim echoes our EHLO literal (our private address behind NAT) before its view.
        assert_eq!(
            address_in_greeting("mx.example.net Hello [10.0.0.5] [198.51.100.7]"),
            ip("198.51.100.7")
        );
        assert_eq!(
            address_in_greeting("mx.example.net Hello probe.example.org [198.51.100.7]"),
            ip("198.51.100.7")
        );
        assert_eq!(
            address_in_greeting("mx Hello [IPv6:2001:db8::7]"),
            ip("2001:db8::7")
        );
        // Brackets that hold no address are skipped, not mistaken.
        assert_eq!(
            address_in_greeting("mx Hello [198.51.100.7] [ESMTP]"),
            ip("198.51.100.7")
        );
        assert_eq!(address_in_greeting("mx Hello [unclosed"), None);
    }
}
