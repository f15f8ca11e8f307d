//! The probe that confirms an explanation: built only from what the extraction vetted (a
//! valid host name, an address that parsed, a number), and quoted for a POSIX shell anyway,
//! so a pasted text can never put a shell word of its own into the command.

use std::net::IpAddr;

use super::{Extracted, Match, ProbeSuggestion};
use crate::diagnose::Code;

pub use crate::diagnose::fix::shell_word;

/// An address as a target or in `--resolve`: IPv6 in brackets.
fn address_word(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// The probe for `x`, or none when the text names no server.
pub fn suggest(x: &Extracted, matches: &[Match]) -> Option<ProbeSuggestion> {
    let host = x.hosts.first();
    // Never a link-local, multicast or unspecified address (a `Received:` header of the
    // original message can carry one): a probe there would leave for the wrong network.
    let ip = x.addresses.iter().copied().find(|a| probeable(*a));
    let mut args = Vec::new();
    let target = match (host, ip) {
        (Some(h), Some(ip)) => {
            args.push("--resolve".to_string());
            args.push(format!("{h}:{}", address_word(ip)));
            format!("[{h}]")
        }
        (Some(h), None) => format!("[{h}]"),
        (None, Some(ip)) => address_word(ip),
        (None, None) => return None,
    };
    // The name checked: a connector's TlsDomain, else the server named when the text says its
    // certificate lacks the name checked (`SubjectMismatch`, a DANE host mismatch).
    let lower = |s: &Option<String>| s.as_deref().unwrap_or_default().to_ascii_lowercase();
    let subject_mismatch = lower(&x.message).contains("subjectmismatch")
        || matches
            .iter()
            .any(|m| m.matched.to_ascii_lowercase().contains("subjectmismatch"));
    let expect = x
        .expect_name
        .clone()
        .or_else(|| host.filter(|_| subject_mismatch).cloned());
    if let Some(n) = expect {
        args.push("--expect-name".to_string());
        args.push(n);
    }
    if let Some(p) = x.port {
        args.push("-p".to_string());
        args.push(p.to_string());
    }
    // The address a blocklist holds is the sender's: the probe checks it as the egress address.
    let blocklisted = matches.iter().any(|m| m.code == Code::EgressIpBlocklisted);
    if blocklisted && let Some(s) = x.sender_addresses.first() {
        args.push("--egress-ip".to_string());
        args.push(s.to_string());
    }
    let command = std::iter::once("starttls-check".to_string())
        .chain(std::iter::once(shell_word(&target)))
        .chain(args.iter().map(|a| shell_word(a)))
        .collect::<Vec<_>>()
        .join(" ");
    Some(ProbeSuggestion {
        target,
        args,
        command,
    })
}

/// An address a probe may be sent to: unicast and not link-local.
fn probeable(a: IpAddr) -> bool {
    match a {
        IpAddr::V4(v4) => {
            !(v4.is_link_local() || v4.is_multicast() || v4.is_unspecified() || v4.is_broadcast())
        }
        IpAddr::V6(v6) => !(v6.is_unicast_link_local() || v6.is_multicast() || v6.is_unspecified()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::explain_text;

    #[test]
    fn shell_words_are_quoted_unless_plain() {
        assert_eq!(
            shell_word("mail.contoso.com:203.0.113.5"),
            "mail.contoso.com:203.0.113.5"
        );
        assert_eq!(shell_word("[mail.contoso.com]"), "'[mail.contoso.com]'");
        assert_eq!(shell_word("a'b"), "'a'\\''b'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn an_address_alone_is_the_target() {
        let e = explain_text(
            "451 4.4.397 Error communicating with target host. The last endpoint attempted was 2001:db8::25",
        );
        let p = e.probe.unwrap();
        assert_eq!(p.target, "[2001:db8::25]");
        assert_eq!(p.command, "starttls-check '[2001:db8::25]'");
    }

    #[test]
    fn no_server_no_probe() {
        assert_eq!(
            explain_text("550 5.7.64 TenantAttribution; Relay Access Denied").probe,
            None
        );
    }

    #[test]
    fn the_blocklisted_sender_is_the_egress_address_not_the_target() {
        let e = explain_text(
            "host mx.fabrikam.com[198.51.100.7] said: 554 5.7.1 Service unavailable; Client host [203.0.113.66] blocked using zen.spamhaus.org",
        );
        let p = e.probe.unwrap();
        assert_eq!(
            p.command,
            "starttls-check '[mx.fabrikam.com]' --resolve mx.fabrikam.com:198.51.100.7 --egress-ip 203.0.113.66"
        );
    }

    #[test]
    fn hostile_names_never_reach_the_command() {
        let e = explain_text(
            "[LastAttemptedServerName=x';reboot;'.com] [LastAttemptedIP=1.2.3.4$(id)] 450 4.7.320 Certificate validation failed",
        );
        if let Some(p) = e.probe {
            assert!(
                !p.command.contains("reboot") && !p.command.contains("$("),
                "{}",
                p.command
            );
        }
    }
}
