//! What the user typed: `domain`, `user@domain`, `host:port`, `ip`, `ip:port`, `[v6]`,
//! `[v6]:port`, `[host]`, `[host]:port`.
//!
//! A name is a mail domain: its MX records are looked up (RFC 5321 §5.1), and a name without
//! MX records is its own mail host (implicit MX), so `mail.contoso.com` keeps working. A
//! bracketed name (`[mail.contoso.com]`) follows the Postfix convention of "this exact host,
//! no MX lookup". For `user@domain` (pasted from an NDR or a bounce) the local part is dropped:
//! the probe never sends a recipient.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// The host part of a target.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Host {
    /// A DNS name, lower-cased, without a trailing dot.
    Name(String),
    /// An IP address literal.
    Ip(IpAddr),
}

impl Host {
    /// The DNS name, if the host is one.
    pub fn name(&self) -> Option<&str> {
        match self {
            Host::Name(n) => Some(n),
            Host::Ip(_) => None,
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(n) => f.write_str(n),
            Host::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// One target from the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The host to probe.
    pub host: Host,
    /// A port given with the target; it overrides `--port`.
    pub port: Option<u16>,
    /// Written in brackets: the exact host, never an MX lookup.
    pub bracketed: bool,
}

impl Target {
    /// A name that goes through MX resolution: not an address, not in brackets.
    pub fn is_mail_domain(&self) -> bool {
        !self.bracketed && matches!(self.host, Host::Name(_))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.host, self.bracketed) {
            (Host::Ip(IpAddr::V6(ip)), _) => write!(f, "[{ip}]")?,
            (h, true) => write!(f, "[{h}]")?,
            (h, false) => write!(f, "{h}")?,
        }
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        Ok(())
    }
}

/// Why a target could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Nothing was given.
    #[error("the target is empty")]
    Empty,
    /// The port is not a number from 1 to 65535.
    #[error(transparent)]
    BadPort(#[from] PortError),
    /// A `[` without its `]`, or text between `]` and `:`.
    #[error("unbalanced brackets in '{0}' (write [2001:db8::1]:25 or [mail.contoso.com])")]
    Brackets(String),
    /// Not a valid host name (RFC 1123 labels) nor an address.
    #[error(
        "'{0}' is not a host name or IP address (an IPv6 address with a port needs brackets: [2001:db8::1]:25)"
    )]
    BadHost(String),
}

/// Why a port was refused. `-p` and a port in a target say it the same way; the caller (clap)
/// names where it was typed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    /// A number, but not from 1 to 65535 (0, 70000, -25).
    #[error("port {0} is out of range (1-65535)")]
    OutOfRange(String),
    /// Not a number at all (`smtp`, `25a`, empty).
    #[error("'{0}' is not a port number (1-65535)")]
    NotANumber(String),
}

/// A TCP port from 1 to 65535 (port 0 cannot be connected to), for `-p` and `host:port`.
pub fn parse_port(s: &str) -> Result<u16, PortError> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PortError::NotANumber(s.to_string()));
    }
    s.parse::<u16>()
        .ok()
        .filter(|&p| p > 0)
        .ok_or_else(|| PortError::OutOfRange(s.to_string()))
}

/// Checks RFC 1123 host name syntax (letters, digits, hyphens; underscores tolerated because
/// real MX hosts carry them) and normalises case and the trailing dot.
pub fn normalize_name(s: &str) -> Option<String> {
    let n = s.strip_suffix('.').unwrap_or(s).to_ascii_lowercase();
    if n.is_empty() || n.len() > 253 {
        return None;
    }
    let ok = n.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    ok.then_some(n)
}

fn parse_host(s: &str, original: &str) -> Result<Host, TargetError> {
    // An internationalised name (bücher.example) is looked up as its A-label (xn--...). It is
    // converted first: one that maps to an address (fullwidth `１９２．０．２．１`) is that
    // address, as a browser takes it, never a name sent to DNS.
    let ascii;
    let s = if s.is_ascii() {
        s
    } else {
        ascii = idna::domain_to_ascii(s).map_err(|_| TargetError::BadHost(original.to_string()))?;
        ascii.as_str()
    };
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(Host::Ip(ip));
    }
    // An all-numeric dotted string that is not an address (e.g. "300.1.1.1") is a typo, not a
    // name to send to DNS.
    if s.split('.').all(|l| l.bytes().all(|b| b.is_ascii_digit())) {
        return Err(TargetError::BadHost(original.to_string()));
    }
    normalize_name(s)
        .map(Host::Name)
        .ok_or_else(|| TargetError::BadHost(original.to_string()))
}

impl FromStr for Target {
    type Err = TargetError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let mut s = input.trim();
        // Pasted from a header or an NDR: `<user@contoso.com>`, `mailto:user@contoso.com`.
        if let Some(inner) = s.strip_prefix('<').and_then(|r| r.strip_suffix('>')) {
            s = inner.trim();
        }
        if let Some(rest) = s
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case("mailto:"))
            .and_then(|_| s.get(7..))
            // `mailto:25` is the host `mailto` on port 25, as a report writes that target.
            .filter(|rest| rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()))
        {
            s = rest;
        }
        // The domain of a mail address; the local part may itself contain '@' when quoted.
        if let Some((local, domain)) = s.rsplit_once('@') {
            if local.is_empty() || domain.is_empty() {
                return Err(TargetError::BadHost(input.trim().to_string()));
            }
            s = domain;
        }
        if s.is_empty() {
            return Err(TargetError::Empty);
        }
        if let Some(rest) = s.strip_prefix('[') {
            let (inside, after) = rest
                .split_once(']')
                .ok_or_else(|| TargetError::Brackets(s.to_string()))?;
            let port = match after {
                "" => None,
                p => Some(parse_port(
                    p.strip_prefix(':')
                        .ok_or_else(|| TargetError::Brackets(s.to_string()))?,
                )?),
            };
            let inside = inside.strip_prefix("IPv6:").unwrap_or(inside);
            return Ok(Target {
                host: parse_host(inside, s)?,
                port,
                bracketed: true,
            });
        }
        // A bare IPv6 address has several colons and cannot carry a port without brackets.
        if s.matches(':').count() > 1 {
            return s
                .parse::<IpAddr>()
                .map(|ip| Target {
                    host: Host::Ip(ip),
                    port: None,
                    bracketed: false,
                })
                .map_err(|_| TargetError::BadHost(s.to_string()));
        }
        let (host, port) = match s.split_once(':') {
            Some((h, p)) => (h, Some(parse_port(p)?)),
            None => (s, None),
        };
        Ok(Target {
            host: parse_host(host, s)?,
            port,
            bracketed: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn t(s: &str) -> Target {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn every_documented_form_parses() {
        assert_eq!(
            t("Mail.Contoso.COM.").host,
            Host::Name("mail.contoso.com".into())
        );
        assert_eq!(t("mail.contoso.com:587").port, Some(587));
        assert_eq!(
            t("203.0.113.5").host,
            Host::Ip(Ipv4Addr::new(203, 0, 113, 5).into())
        );
        assert_eq!(t("203.0.113.5:465").port, Some(465));
        assert_eq!(
            t("[2001:db8::1]").host,
            Host::Ip("2001:db8::1".parse::<Ipv6Addr>().unwrap().into())
        );
        assert_eq!(t("[2001:db8::1]:587").port, Some(587));
        assert_eq!(t("::1").host, Host::Ip(Ipv6Addr::LOCALHOST.into()));
        let b = t("[mail.contoso.com]:25");
        assert!(b.bracketed);
        assert_eq!(b.to_string(), "[mail.contoso.com]:25");
        assert_eq!(t("[IPv6:::1]").host, Host::Ip(Ipv6Addr::LOCALHOST.into()));
    }

    #[test]
    fn mail_addresses_become_their_domain() {
        for input in [
            "user@Contoso.com",
            "<user@contoso.com>",
            "mailto:user@contoso.com",
            "\"a@b\"@contoso.com",
        ] {
            let target = t(input);
            assert_eq!(target.host, Host::Name("contoso.com".into()), "{input}");
            assert!(target.is_mail_domain(), "{input}");
        }
        assert_eq!(
            t("user@Bücher.example").host,
            Host::Name("xn--bcher-kva.example".into())
        );
        // Slicing "mailto:" must respect character boundaries.
        assert!("mailtö:x@y".parse::<Target>().is_ok());
        assert!("ü@ö".parse::<Target>().is_ok());
        let literal = t("postmaster@[192.0.2.1]");
        assert_eq!(literal.host, Host::Ip("192.0.2.1".parse().unwrap()));
        assert!(!literal.is_mail_domain());
        assert!(!t("[mail.contoso.com]:587").is_mail_domain());
        assert!(t("mail.contoso.com:587").is_mail_domain());
        assert!(matches!(
            "@contoso.com".parse::<Target>(),
            Err(TargetError::BadHost(_))
        ));
        assert!(matches!(
            "user@".parse::<Target>(),
            Err(TargetError::BadHost(_))
        ));
    }

    #[test]
    fn mistakes_are_named() {
        assert_eq!("".parse::<Target>(), Err(TargetError::Empty));
        assert!(matches!(
            "mail:0".parse::<Target>(),
            Err(TargetError::BadPort(_))
        ));
        assert!(matches!(
            "mail:smtp".parse::<Target>(),
            Err(TargetError::BadPort(_))
        ));
        assert_eq!(
            "mail:99999".parse::<Target>().unwrap_err().to_string(),
            "port 99999 is out of range (1-65535)"
        );
        assert!(matches!(
            "[::1".parse::<Target>(),
            Err(TargetError::Brackets(_))
        ));
        assert!(matches!(
            "[::1]25".parse::<Target>(),
            Err(TargetError::Brackets(_))
        ));
        assert!(matches!(
            "2001:db8::1:25x".parse::<Target>(),
            Err(TargetError::BadHost(_))
        ));
        assert!(matches!(
            "300.1.1.1".parse::<Target>(),
            Err(TargetError::BadHost(_))
        ));
        assert!(matches!(
            "bad host".parse::<Target>(),
            Err(TargetError::BadHost(_))
        ));
        assert!(matches!(
            "-bad.example".parse::<Target>(),
            Err(TargetError::BadHost(_))
        ));
    }

    #[test]
    fn ports_are_1_to_65535_and_say_so() {
        assert_eq!(parse_port("25"), Ok(25));
        assert_eq!(parse_port("65535"), Ok(65535));
        assert_eq!(parse_port("+587"), Ok(587));
        for s in ["0", "65536", "70000", "-1", "99999999999999999999999"] {
            assert_eq!(parse_port(s), Err(PortError::OutOfRange(s.into())), "{s}");
        }
        for s in ["", "abc", "25a", "2 5", "-", "0x19"] {
            assert_eq!(parse_port(s), Err(PortError::NotANumber(s.into())), "{s:?}");
        }
        assert_eq!(
            parse_port("abc").unwrap_err().to_string(),
            "'abc' is not a port number (1-65535)"
        );
    }
}
