//! Which software answered: read from what the server says about itself (its banner and its
//! EHLO reply), never from the name the user probed. A wrong family gives the admin commands
//! for another product (an Exim host named `postfix01.example` would get `postconf`), so a
//! server is [`ServerKind::Unknown`] unless something distinctive shows.
//!
//! Three kinds of sign, each cited next to its pattern below:
//!
//! - **A cloud service's own infrastructure domain** as the host name the server greets with
//!   (the first word of a banner line, or the EHLO greeting name): the vendor runs those hosts,
//!   so the name is the vendor's claim about itself, not the customer's choice.
//! - **A product word in the banner text after the host name** (`ESMTP Exim 4.96`, `ESMTP
//!   Postfix`), matched as a whole word. The first word of a banner line is normally a host
//!   name (RFC 5321 §4.2, and every default banner below) and is skipped: a host called
//!   `postfix01.example` or `exim.example.org` says nothing about its software. Some banners
//!   and continuation lines start with the product instead (nmap's `220 HMailServer ESMTP`):
//!   a first word counts only when it cannot be a host name (no dot, no digit, not an address
//!   literal) and only when no line names a product after its first word, so a single-label
//!   host called `zimbra` in `zimbra ESMTP Postfix` is still Postfix.
//! - **A phrase or keyword one product writes** (Haraka's `Haraka is at your service`, Exim's
//!   `PIPECONNECT`, Exchange's `X-ANONYMOUSTLS`, Barracuda's `ESMTP (<32 hex digits>)`).
//!
//! What cannot be recognised, and is therefore `unknown`: Cisco Secure Email (IronPort) with
//! its default banner (`220 host ESMTP`, an EHLO reply without a distinctive keyword: Cisco's
//! own example in "ESMTP Commands Supported by the ESA/CES", document 214630); hMailServer
//! with an empty welcome message (`220 <computer name> ESMTP`, `SMTPConnection::SendBanner_`
//! in hmailserver/hmailserver); Zimbra with its default banner, which is Postfix's
//! (`zimbraMtaSmtpdBanner` defaults to `$myhostname ESMTP $mail_name`): it is reported as
//! Postfix; any server whose banner an admin or a firewall (Cisco ASA `mask-banner`) rewrote.
//! "pleased to meet you" in an EHLO greeting is not a sign: Sendmail, OpenSMTPD and
//! Proofpoint all write it.
//!
//! # References
//! - nmap-service-probes (nmap/nmap, the `match smtp` lines): the banner shapes of Sendmail,
//!   Exim, Postfix, OpenSMTPD, Haraka, hMailServer, MDaemon, Barracuda, FortiMail, Google and
//!   IronPort/AsyncOS quoted below
//! - Exim specification, "Main configuration" (`smtp_banner` default `$smtp_active_hostname
//!   ESMTP Exim $version_number $tod_full`) and the `pipelining_connect_advertise_hosts` option
//!   (the keyword `PIPECONNECT`, advertised to `*` by default)
//! - Postfix postconf(5) `smtpd_banner` (default `$myhostname ESMTP $mail_name`)
//! - OpenSMTPD `smtp_session.c` (`"220 %s ESMTP %s", s->smtpname, SMTPD_NAME`)
//! - Haraka `connection.js` (`${host} ESMTP ${local.info} ready`, and the EHLO message
//!   `Haraka is at your service.`)

use crate::model::Observation;
use crate::smtp::escape;

/// The server software, as far as its banner and EHLO reveal it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServerKind {
    /// Exchange Server on premises (`Microsoft ESMTP MAIL Service`).
    Exchange,
    /// Exchange Online Protection, Microsoft 365 (`*.mail.protection.outlook.com`).
    ExchangeOnline,
    /// Postfix (`ESMTP Postfix`).
    Postfix,
    /// Exim (`ESMTP Exim 4.96`, or the `PIPECONNECT` keyword).
    Exim,
    /// Sendmail (`ESMTP Sendmail 8.15.2/8.15.2;`).
    Sendmail,
    /// OpenSMTPD (`ESMTP OpenSMTPD`).
    Opensmtpd,
    /// Haraka (`ESMTP Haraka/2.8.27 ready`, `Haraka is at your service.`).
    Haraka,
    /// hMailServer (`ESMTP hMailServer 4.4.2`), only when its banner names it.
    Hmailserver,
    /// MDaemon (`ESMTP MDaemon 21.0.3;`).
    Mdaemon,
    /// Zimbra's Postfix, only when its banner names Zimbra.
    Zimbra,
    /// Google (Gmail, Google Workspace): `mx.google.com ... gsmtp`.
    Google,
    /// Cisco Secure Email (IronPort, AsyncOS) appliance or its cloud gateway (`*.iphmx.com`).
    CiscoSecureEmail,
    /// Barracuda Email Security Gateway (`ESMTP (<hex>)`) or Email Gateway Defense.
    Barracuda,
    /// Proofpoint (`*.pphosted.com`, `*.ppe-hosted.com`).
    Proofpoint,
    /// Mimecast (`*.mimecast.com`).
    Mimecast,
    /// Sophos Email (`*.hydra.sophos.com`).
    Sophos,
    /// FortiMail (`ESMTP Smtpd;`, `*.fortimailcloud.com`).
    Fortinet,
    /// Anything else.
    Unknown,
}

/// Host names the vendor's own mail servers greet with: a banner host or EHLO greeting name
/// equal to one of these domains or under it. Only domains the vendor runs.
const CLOUD_DOMAINS: &[(&str, ServerKind)] = &[
    // EOP greets as `BN8NAM12FT053.mail.protection.outlook.com` (seed 003; Microsoft's MX
    // hosts are `<tenant>.mail.protection.outlook.com`).
    ("outlook.com", ServerKind::ExchangeOnline),
    // `220 mx.google.com ESMTP e16-20020a05600c4e5000b0038c77be9b2dsi226281wmq.72 - gsmtp`
    // (a capture on a public list); nmap: `^220 ([\w._-]+) ESMTP [-\w]+\.\d+ - gsmtp`.
    ("google.com", ServerKind::Google),
    // `220 mx0b-00000d03.pphosted.com ESMTP mfa-m0214089` (Stanford CS144 lab 0 handout),
    // `250 mx0b-0026c301.pphosted.com Hello [...], pleased to meet you`; Proofpoint
    // Essentials MX hosts are `mx1-us1.ppe-hosted.com` (pect0ral/mail_recon).
    ("pphosted.com", ServerKind::Proofpoint),
    ("ppe-hosted.com", ServerKind::Proofpoint),
    // `220 [region]-smtp-outbound-1.mimecast.com ESMTP; Sat, 27 Jul 2024 09:26:38 +0100`
    // (mimecast-scott/stunnel-mimecast README); inbound MX `eu-smtp-inbound-1.mimecast.com`.
    ("mimecast.com", ServerKind::Mimecast),
    // Cisco Secure Email Cloud Gateway hosts are under iphmx.com (Posh365 Test-MXHandler:
    // `*iphmx*` = "Cisco Email Security (Formerly IronPort Cloud)").
    ("iphmx.com", ServerKind::CiscoSecureEmail),
    // Barracuda Email Gateway Defense MX hosts `d174024a.ess.barracudanetworks.com`.
    ("barracudanetworks.com", ServerKind::Barracuda),
    // Sophos Email's TLS certificate covers `*.prod.hydra.sophos.com` (Sophos Central help,
    // "Using TLS connections"); its MX hosts are `mx-01-eu-west-1.prod.hydra.sophos.com`.
    ("hydra.sophos.com", ServerKind::Sophos),
    // FortiMail Cloud (`*.fortimailcloud.com`, in MX-provider tables of several projects).
    ("fortimailcloud.com", ServerKind::Fortinet),
];

/// Product words in a banner line after its host name, matched whole and case-insensitively.
/// The first match in this order wins: Zimbra before Postfix (a Zimbra banner that names
/// itself is still Postfix underneath, and Zimbra's tools must change it).
const BANNER_WORDS: &[(&str, ServerKind)] = &[
    // Only when an admin put it there (`zmprov ms ... zimbraMtaSmtpdBanner`).
    ("zimbra", ServerKind::Zimbra),
    // `220 dnsnano ESMTP Exim 4.96 Thu, 18 Sep 2025 15:08:08 +0000` (mnomico/tyr capture);
    // nmap: `^220[- ]([^\r\n]+) ESMTP Exim (V?\d\S+)`.
    ("exim", ServerKind::Exim),
    // `220 mail.example.com ESMTP Postfix (Debian/GNU)`; nmap: `^220([\s-]\S+) ESMTP Postfix`.
    ("postfix", ServerKind::Postfix),
    // nmap: `^220[\s-](\S+) E?SMTP Sendmail (\d[^; ]+)`; sendmail.cf `SmtpGreetingMessage`
    // default `$j Sendmail $v/$Z; $b`.
    ("sendmail", ServerKind::Sendmail),
    // nmap: `^220 ([\w_.-]+) ESMTP OpenSMTPD\r\n`.
    ("opensmtpd", ServerKind::Opensmtpd),
    // `220 serv.hostname.com ESMTP Haraka/2.8.27 ready` (haraka/Haraka#2978); nmap:
    // `^220 ([\w.-]+) ESMTP Haraka (\d[\w._-]*) ready`.
    ("haraka", ServerKind::Haraka),
    // nmap: `^220 ([-\w_.]+) ESMTP hMailServer ([\w.-]+)\r\n`, `^220 HMailServer ESMTP`.
    ("hmailserver", ServerKind::Hmailserver),
    // nmap: `^220[ -]([-.\w]+) ESMTP MDaemon (\d[-.\w]+); `.
    ("mdaemon", ServerKind::Mdaemon),
    // nmap (IronPort C-60): `^220-([-\w_.]+) ESMTP\r\n220 [-\w_.]+ AsyncOS\r\n`.
    ("asyncos", ServerKind::CiscoSecureEmail),
    // Google ends its banner with `- gsmtp` (see CLOUD_DOMAINS).
    ("gsmtp", ServerKind::Google),
];

/// What the server said about itself, lower-cased where matching ignores case.
struct Signs<'a> {
    /// Each banner line's text (after the code), lower-cased.
    banner: Vec<String>,
    /// The EHLO greeting name (line 1, first word), lower-cased.
    greeting_name: String,
    /// The rest of EHLO line 1, lower-cased.
    greeting_text: String,
    /// The EHLO keywords, upper-cased.
    keywords: Vec<&'a str>,
}

impl ServerKind {
    /// Reads the banner and EHLO greeting.
    pub(crate) fn detect(obs: &Observation) -> Self {
        let banner = obs
            .banner
            .iter()
            .flat_map(|b| &b.lines)
            .map(|l| escape(&l.text).to_ascii_lowercase())
            .collect();
        let caps = obs.capabilities.as_ref();
        let signs = Signs {
            banner,
            greeting_name: caps.map_or_else(String::new, |c| c.greeting_name.to_ascii_lowercase()),
            greeting_text: caps.map_or_else(String::new, |c| c.greeting_text.to_ascii_lowercase()),
            keywords: caps.map_or_else(Vec::new, |c| {
                c.keywords.iter().map(|k| k.name.as_str()).collect()
            }),
        };
        signs.kind()
    }

    /// The kind a banner (one string per line, as after the reply code) and an EHLO reply
    /// (line 1, then the keywords) reveal, as the detector's tests write them.
    #[cfg(test)]
    pub(crate) fn from_replies(banner: &[&str], ehlo: &[&str]) -> Self {
        let (name, text) = ehlo
            .first()
            .map(|l| l.split_once(' ').unwrap_or((l, "")))
            .unwrap_or_default();
        let keywords = ehlo
            .iter()
            .skip(1)
            .map(|l| l.split_once(' ').map_or(*l, |(k, _)| k))
            .collect();
        Signs {
            banner: banner.iter().map(|l| l.to_ascii_lowercase()).collect(),
            greeting_name: name.trim_end_matches('.').to_ascii_lowercase(),
            greeting_text: text.to_ascii_lowercase(),
            keywords,
        }
        .kind()
    }

    /// How the report names it.
    pub fn label(self) -> &'static str {
        match self {
            ServerKind::Exchange => "Microsoft Exchange (on-premises)",
            ServerKind::ExchangeOnline => "Exchange Online Protection",
            ServerKind::Postfix => "Postfix",
            ServerKind::Exim => "Exim",
            ServerKind::Sendmail => "Sendmail",
            ServerKind::Opensmtpd => "OpenSMTPD",
            ServerKind::Haraka => "Haraka",
            ServerKind::Hmailserver => "hMailServer",
            ServerKind::Mdaemon => "MDaemon",
            ServerKind::Zimbra => "Zimbra (Postfix)",
            ServerKind::Google => "Google (Gmail, Google Workspace)",
            ServerKind::CiscoSecureEmail => "Cisco Secure Email (IronPort)",
            ServerKind::Barracuda => "Barracuda",
            ServerKind::Proofpoint => "Proofpoint",
            ServerKind::Mimecast => "Mimecast",
            ServerKind::Sophos => "Sophos",
            ServerKind::Fortinet => "Fortinet (FortiMail)",
            ServerKind::Unknown => "unknown",
        }
    }
}

impl Signs<'_> {
    /// The kind these signs reveal: a cloud domain first (a vendor's host is the vendor's,
    /// whatever software it runs), then Exchange's own phrases, then a banner's shape or
    /// product word, then an EHLO phrase or keyword.
    fn kind(&self) -> ServerKind {
        self.cloud()
            .or_else(|| self.exchange())
            .or_else(|| self.banner_shape())
            .or_else(|| self.banner_word())
            .or_else(|| self.ehlo())
            .unwrap_or(ServerKind::Unknown)
    }

    /// The host names the server greets with: the first word of each banner line and the
    /// EHLO greeting name.
    fn hosts(&self) -> impl Iterator<Item = &str> {
        self.banner
            .iter()
            .filter_map(|l| l.split_whitespace().next())
            .chain(std::iter::once(self.greeting_name.as_str()))
            .map(|h| h.trim_end_matches('.'))
    }

    fn cloud(&self) -> Option<ServerKind> {
        self.hosts().find_map(|host| {
            CLOUD_DOMAINS.iter().find_map(|(domain, kind)| {
                let under = host
                    .strip_suffix(domain)
                    .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'));
                under.then_some(*kind)
            })
        })
    }

    /// Exchange Server: its banner phrase, or the keyword only it advertises.
    fn exchange(&self) -> Option<ServerKind> {
        let phrase = self
            .banner
            .iter()
            .any(|l| l.contains("microsoft esmtp mail service"));
        (phrase || self.has("X-ANONYMOUSTLS")).then_some(ServerKind::Exchange)
    }

    /// Banners recognised by their shape rather than a word.
    fn banner_shape(&self) -> Option<ServerKind> {
        self.banner.iter().find_map(|line| {
            let rest = after_host(line).trim();
            // Barracuda Email Security Gateway hides its name but not its shape (nmap:
            // `^220 ([-.\w\d]+) ESMTP \([a-fA-F0-9]{32}\)\r\n`, "Barracuda Networks Spam
            // Firewall smtpd").
            let hex = rest
                .strip_prefix("esmtp (")
                .and_then(|r| r.strip_suffix(')'))
                .is_some_and(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()));
            // FortiMail (nmap: `^220 ([\w._-]+) ESMTP Smtpd; [\w, :]+ ([-+]\d\d\d\d)\r\n`).
            let fortimail = rest.starts_with("esmtp smtpd;");
            if hex {
                Some(ServerKind::Barracuda)
            } else if fortimail {
                Some(ServerKind::Fortinet)
            } else {
                None
            }
        })
    }

    /// A product word after a line's first word; failing that, a first word that is a
    /// product's name, not a host's (see the module doc).
    fn banner_word(&self) -> Option<ServerKind> {
        self.product_word_in(after_host)
            .or_else(|| self.product_word_in(leading_non_host))
    }

    /// The first product of [`BANNER_WORDS`] named, as a whole word, in `part` of any line.
    fn product_word_in(&self, part: fn(&str) -> &str) -> Option<ServerKind> {
        BANNER_WORDS.iter().find_map(|(word, kind)| {
            self.banner
                .iter()
                .any(|line| has_word(part(line), word))
                .then_some(*kind)
        })
    }

    /// What only one product writes in its EHLO reply.
    fn ehlo(&self) -> Option<ServerKind> {
        // Haraka's default `cfg.message.helo` (connection.js):
        // `250-mail.example.com Hello client.example.com [192.168.0.1], Haraka is at your service.`
        if self.greeting_text.contains("haraka is at your service") {
            return Some(ServerKind::Haraka);
        }
        // Exim's own extension (spec: "The SMTP service extension keyword advertised is
        // PIPECONNECT"; `X_PIPE_CONNECT` while it was experimental, Exim 4.93), advertised
        // to every host by default: `250-PIPECONNECT` in the mnomico/tyr Exim 4.96 capture.
        (self.has("PIPECONNECT") || self.has("X_PIPE_CONNECT")).then_some(ServerKind::Exim)
    }

    /// The EHLO reply advertises `keyword`, in any case (as `Capabilities::has`).
    fn has(&self, keyword: &str) -> bool {
        self.keywords
            .iter()
            .any(|k| k.eq_ignore_ascii_case(keyword))
    }
}

/// A banner line without its first word (the host name, when there is one).
fn after_host(line: &str) -> &str {
    let line = line.trim_start();
    line.find(char::is_whitespace).map_or("", |i| &line[i..])
}

/// A banner line's first word when it cannot be a host name (`HMailServer`,
/// `Haraka/2.8.27`), else nothing.
fn leading_non_host(line: &str) -> &str {
    let first = line.split_whitespace().next().unwrap_or_default();
    if looks_like_host(first) { "" } else { first }
}

/// `word` may be the host name a server greets with: an address literal (`[192.0.2.7]`), or
/// a name of host-name characters with a dot or a digit (`mx.example.com`, `WIN-MAIL01`,
/// `postfix.`). No product word of [`BANNER_WORDS`] has either, so a product's bare name is
/// never taken for a host; but a bare word (`HMailServer`, `dnsnano`) may be a single-label
/// host too, so it is trusted only as a last resort (see `banner_word`).
fn looks_like_host(word: &str) -> bool {
    if word.starts_with('[') {
        return true;
    }
    let host_chars = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    let dot_or_digit = word.contains('.') || word.chars().any(|c| c.is_ascii_digit());
    host_chars && dot_or_digit
}

/// `text` holds `word` (lower case) as a whole word.
fn has_word(text: &str, word: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w == word)
}

#[cfg(test)]
mod tests {
    use super::ServerKind::{self, *};

    fn banner(line: &str) -> ServerKind {
        ServerKind::from_replies(&[line], &[])
    }

    #[test]
    fn a_product_word_in_the_host_name_says_nothing() {
        // The case: an Exim host named after another MTA.
        assert_eq!(
            banner("postfix01.example ESMTP Exim 4.96 Thu, 18 Sep 2025 15:08:08 +0000"),
            Exim
        );
        assert_eq!(banner("postfix.example.com ESMTP"), Unknown);
        assert_eq!(banner("exim.example.org ESMTP ready"), Unknown);
        assert_eq!(banner("sendmail-gw.example.net ESMTP"), Unknown);
        // A word inside another word is no word.
        assert_eq!(banner("mx.example.com ESMTP postfix01 ready"), Unknown);
    }

    #[test]
    fn a_banner_may_start_with_the_product() {
        // nmap: `^220 HMailServer ESMTP`.
        assert_eq!(banner("HMailServer ESMTP"), Hmailserver);
        assert_eq!(banner("Haraka/2.8.27 ready"), Haraka);
        // A continuation line that starts with the product.
        assert_eq!(
            ServerKind::from_replies(&["mx.example.com ESMTP", "Sendmail ready"], &[]),
            Sendmail
        );
        assert_eq!(
            ServerKind::from_replies(&["mx.example.com ESMTP", "OpenSMTPD"], &[]),
            Opensmtpd
        );
    }

    #[test]
    fn a_first_word_that_may_be_a_host_names_no_product() {
        // Host names first: the product after them decides, never the host.
        assert_eq!(banner("postfix01.example ESMTP Exim 4.96"), Exim);
        assert_eq!(banner("exim01.example ESMTP Postfix"), Postfix);
        assert_eq!(banner("postfix01 ESMTP"), Unknown);
        assert_eq!(banner("exim-2 ESMTP ready"), Unknown);
        assert_eq!(banner("haraka.example ESMTP"), Unknown);
        assert_eq!(banner("postfix. ESMTP"), Unknown);
        assert_eq!(banner("[192.0.2.7] ESMTP"), Unknown);
        assert_eq!(banner("[IPv6:2001:db8::7] ESMTP"), Unknown);
        // A bare first word could be a single-label host: any product after it wins, on
        // any line.
        assert_eq!(banner("zimbra ESMTP Postfix"), Postfix);
        assert_eq!(banner("postfix ESMTP Sendmail 8.15.2/8.15.2;"), Sendmail);
        assert_eq!(
            ServerKind::from_replies(&["exim ESMTP", "mx.example.com ESMTP Postfix"], &[]),
            Postfix
        );
        // A bare word that names no product is no product.
        assert_eq!(banner("dnsnano ESMTP"), Unknown);
        assert_eq!(banner("mail ESMTP ready"), Unknown);
    }

    #[test]
    fn product_words_are_never_host_like() {
        // `looks_like_host` relies on it: a product's bare name is not skipped as a host.
        for (word, _) in super::BANNER_WORDS {
            assert!(!super::looks_like_host(word), "{word}");
        }
    }

    #[test]
    fn banners_of_each_mta() {
        for (line, kind) in [
            (
                "dnsnano ESMTP Exim 4.96 Thu, 18 Sep 2025 15:08:08 +0000",
                Exim,
            ),
            ("mail.example.com ESMTP Postfix (Debian/GNU)", Postfix),
            ("mail.example.com ESMTP Postfix", Postfix),
            (
                "mail.example.com ESMTP Sendmail 8.15.2/8.15.2; Thu, 18 Sep 2025 15:08:08 +0200",
                Sendmail,
            ),
            ("mail.example.com ESMTP OpenSMTPD", Opensmtpd),
            ("serv.hostname.com ESMTP Haraka/2.8.27 ready", Haraka),
            ("mail.example.com ESMTP Haraka 2.4.0 ready", Haraka),
            ("mail.example.com ESMTP hMailServer 4.4.2", Hmailserver),
            (
                "mail.example.com ESMTP MDaemon 21.0.3; Thu, 18 Sep 2025 15:08:08 +0200",
                Mdaemon,
            ),
            ("mail.example.com ESMTP Zimbra", Zimbra),
        ] {
            assert_eq!(banner(line), kind, "{line}");
        }
    }

    #[test]
    fn gateways_and_clouds() {
        for (line, kind) in [
            (
                "mx.google.com ESMTP e16-20020a05600c4e5000b0038c77be9b2dsi226281wmq.72 - gsmtp",
                Google,
            ),
            ("smtp.example.net ESMTP a1b2c3 - gsmtp", Google),
            ("mx0b-00000d03.pphosted.com ESMTP mfa-m0214089", Proofpoint),
            ("mx1-us1.ppe-hosted.com ESMTP", Proofpoint),
            (
                "eu-smtp-outbound-1.mimecast.com ESMTP; Sat, 27 Jul 2024 09:26:38 +0100",
                Mimecast,
            ),
            ("esa1.hc1234-56.iphmx.com ESMTP", CiscoSecureEmail),
            ("d174024a.ess.barracudanetworks.com ESMTP", Barracuda),
            (
                "barracuda.example.com ESMTP (b3ef4f0fbe38dde2bb76ad2a6bf96f7b)",
                Barracuda,
            ),
            ("mx-01-eu-west-1.prod.hydra.sophos.com ESMTP", Sophos),
            (
                "fm.example.com ESMTP Smtpd; Mon, 10 Jan 2022 10:00:00 -0500",
                Fortinet,
            ),
            ("mx.fortimailcloud.com ESMTP", Fortinet),
            (
                "BN8NAM12FT053.mail.protection.outlook.com Microsoft ESMTP MAIL Service ready at Sun, 22 Nov 2026",
                ExchangeOnline,
            ),
            (
                "exch01.contoso.local Microsoft ESMTP MAIL Service ready at Sun, 22 Nov 2026",
                Exchange,
            ),
        ] {
            assert_eq!(banner(line), kind, "{line}");
        }
        // A customer's own host that only ends like a vendor's domain is not the vendor's.
        assert_eq!(banner("mail.notgoogle.com ESMTP"), Unknown);
        assert_eq!(banner("mail.mimecast.com.example ESMTP"), Unknown);
        // Hex of another length, or more text after it, is not Barracuda's shape.
        assert_eq!(banner("mx.example.com ESMTP (b3ef4f0f)"), Unknown);
    }

    #[test]
    fn multi_line_banners_skip_each_lines_host() {
        // nmap: IronPort C-60.
        assert_eq!(
            ServerKind::from_replies(&["mx.example.com ESMTP", "mx.example.com AsyncOS"], &[]),
            CiscoSecureEmail
        );
        // Trend Micro InterScan in front of Postfix (nmap): the Postfix line decides.
        assert_eq!(
            ServerKind::from_replies(
                &[
                    "InterScan Version 3.0 Ready",
                    "mx.example.com ESMTP Postfix"
                ],
                &[]
            ),
            Postfix
        );
    }

    #[test]
    fn ehlo_signs() {
        // Haraka with its banner changed still says who it is in its EHLO greeting.
        assert_eq!(
            ServerKind::from_replies(
                &["mail.example.com ESMTP"],
                &[
                    "mail.example.com Hello client.example.com [192.168.0.1], Haraka is at your service.",
                    "PIPELINING",
                    "8BITMIME",
                ],
            ),
            Haraka
        );
        // Exim with a banner that hides it (mnomico/tyr's EHLO reply).
        let exim_ehlo = [
            "dnsnano Hello dnslug [192.168.0.11]",
            "SIZE 52428800",
            "8BITMIME",
            "PIPELINING",
            "PIPECONNECT",
            "CHUNKING",
            "STARTTLS",
            "SMTPUTF8",
            "HELP",
        ];
        assert_eq!(
            ServerKind::from_replies(&["dnsnano ESMTP"], &exim_ehlo),
            Exim
        );
        // A banner word outranks an EHLO keyword.
        assert_eq!(
            ServerKind::from_replies(&["mx.example.com ESMTP Postfix"], &exim_ehlo),
            Postfix
        );
        // The greeting name of a cloud service counts like its banner host.
        assert_eq!(
            ServerKind::from_replies(
                &["ESMTP"],
                &[
                    "mx.google.com at your service, [203.0.113.7]",
                    "SIZE 157286400"
                ],
            ),
            Google
        );
        // The client's own name echoed in the greeting is not the server's software.
        assert_eq!(
            ServerKind::from_replies(
                &["mx.example.com ESMTP"],
                &[
                    "mx.example.com Hello postfix.example.org [203.0.113.7]",
                    "SIZE 1000"
                ],
            ),
            Unknown
        );
        // Exchange's keyword.
        assert_eq!(
            ServerKind::from_replies(&["mx ESMTP"], &["mx Hello [203.0.113.7]", "X-ANONYMOUSTLS"]),
            Exchange
        );
    }

    #[test]
    fn what_cannot_be_recognised_stays_unknown() {
        // Cisco's own example of an ESA (document 214630): default banner, plain EHLO.
        assert_eq!(
            ServerKind::from_replies(
                &["C680.lab.test ESMTP"],
                &["C680.lab.test", "8BITMIME", "SIZE 10485760"]
            ),
            Unknown
        );
        // A Cisco ASA masked banner.
        assert_eq!(banner("*******************************"), Unknown);
        // hMailServer's default: the computer name and ESMTP.
        assert_eq!(banner("WIN-MAIL01 ESMTP"), Unknown);
        // Proofpoint's "pleased to meet you" is Sendmail's phrase too: no sign on its own.
        assert_eq!(
            ServerKind::from_replies(
                &["mx.example.com ESMTP"],
                &[
                    "mx.example.com Hello [203.0.113.7], pleased to meet you",
                    "8BITMIME"
                ],
            ),
            Unknown
        );
    }

    #[test]
    fn kinds_serialise_as_the_agreed_names() {
        let names: Vec<String> = [
            Exchange,
            ExchangeOnline,
            Postfix,
            Exim,
            Sendmail,
            Opensmtpd,
            Haraka,
            Hmailserver,
            Mdaemon,
            Zimbra,
            Google,
            CiscoSecureEmail,
            Barracuda,
            Proofpoint,
            Mimecast,
            Sophos,
            Fortinet,
            Unknown,
        ]
        .iter()
        .map(|k| {
            serde_json::to_value(k)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
        assert_eq!(
            names,
            [
                "exchange",
                "exchange-online",
                "postfix",
                "exim",
                "sendmail",
                "opensmtpd",
                "haraka",
                "hmailserver",
                "mdaemon",
                "zimbra",
                "google",
                "cisco-secure-email",
                "barracuda",
                "proofpoint",
                "mimecast",
                "sophos",
                "fortinet",
                "unknown"
            ]
        );
    }
}
