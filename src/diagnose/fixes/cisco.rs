//! Middleboxes that inspect SMTP, Cisco ASA `inspect esmtp` first among them: its signatures
//! (a banner of `*`, EHLO keywords overwritten with X's, commands turned into `XXXX`) are the
//! ones the rules recognise, and its configuration lines are written here once.
//!
//! # References
//! - Cisco ASA Series Firewall CLI Configuration Guide, "Inspection of Basic Internet
//!   Protocols": "SMTP and Extended SMTP Inspection" and "Defaults for ESMTP Inspection"
//!   (`_default_esmtp_map`: `mask-banner`, `no allow-tls`, so STARTTLS is removed from EHLO)
//! - shared/field-notes.md §4 (middlebox signatures)

use crate::diagnose::fix::{Family, Fix, Shell};
use crate::diagnose::rules::middlebox::StarttlsMask;

const ASA: Shell = Shell::CiscoAsa;

/// The ESMTP inspection policy-map the global policy uses unless the admin made another.
pub const DEFAULT_ESMTP_MAP: &str = "_default_esmtp_map";

/// Lets STARTTLS through ESMTP inspection (and stops masking the banner), or stops inspecting
/// ESMTP: the remedy for every Cisco signature, in ASA configuration mode.
pub fn allow_tls(banner_masked: bool) -> Fix {
    let (unmask, key) = if banner_masked {
        (" and stop masking the banner", "unmask")
    } else {
        ("", "banner-intact")
    };
    let mut fix = Fix::new(Family::Cisco, "cisco::allow_tls", &[key])
        .say(format!(
            "If the device is a Cisco ASA (in configuration mode), allow TLS in the ESMTP inspection policy-map of the global policy \
             (`{DEFAULT_ESMTP_MAP}` unless you made your own){unmask}:"
        ))
        .run(ASA, format!("policy-map type inspect esmtp {DEFAULT_ESMTP_MAP}"))
        .run(ASA, "parameters")
        .run(ASA, "allow-tls");
    if banner_masked {
        fix = fix.run(ASA, "no mask-banner");
    }
    fix.say("or stop inspecting ESMTP altogether:")
        .run(ASA, "policy-map global_policy")
        .run(ASA, "class inspection_default")
        .run(ASA, "no inspect esmtp")
        .say("Then save the configuration (`write memory`). On an FTD managed by FMC, make the change through FlexConfig.")
}

/// STARTTLS is advertised, but the command is refused as unknown: it was rewritten on the
/// way. `exchange`: the server is Exchange, which would have answered 220.
pub fn starttls_rewritten(exchange: bool) -> Fix {
    let note = if exchange {
        " Exchange itself answers STARTTLS with 220 when a certificate is bound."
    } else {
        ""
    };
    Fix::new(Family::Cisco, "cisco::starttls_rewritten", &[note])
        .say(format!(
            "STARTTLS is advertised but the command itself is refused as unknown: something in the path rewrites commands it does not allow \
             (Cisco ASA `inspect esmtp` turns them into XXXX).{note}"
        ))
        .then(allow_tls(false))
}

/// EHLO keywords are masked; `mask` says whether STARTTLS is among them (see
/// `rules::middlebox::starttls_mask`).
pub fn keywords_masked(banner_masked: bool, mask: StarttlsMask) -> Fix {
    let fix = match mask {
        StarttlsMask::Certain => Fix::new(Family::Cisco, "cisco::keywords_masked", &["certain"]).say(
            "A firewall with SMTP inspection overwrites ESMTP keywords with X's in place (a Cisco ASA/FTD `inspect esmtp` signature). It masked \
             more keywords of STARTTLS's eight letters than the reply lacks besides STARTTLS (CHUNKING, SMTPUTF8 and 8BITMIME have eight letters \
             too), so one of them is STARTTLS: the firewall removes it.",
        ),
        StarttlsMask::Possible => Fix::new(Family::Cisco, "cisco::keywords_masked", &["possible"]).say(
            "A firewall with SMTP inspection overwrites ESMTP keywords with X's in place (a Cisco ASA/FTD `inspect esmtp` signature; its default \
             policy also masks STARTTLS). One mask has STARTTLS's eight letters, but CHUNKING, SMTPUTF8 or 8BITMIME may be what it hides. Probe \
             the server from inside the firewall (from its own network): if STARTTLS is offered there, the firewall removes it and the change \
             below is the fix; if it is missing there too, the server does not offer it (see starttls-not-offered).",
        ),
        StarttlsMask::No => Fix::new(Family::Cisco, "cisco::keywords_masked", &["other-keywords"]).say(
            "A firewall with SMTP inspection overwrites some ESMTP keywords with X's in place (a Cisco ASA/FTD `inspect esmtp` signature), \
             but none of STARTTLS's length. Probe the server from inside the firewall (from its own network): if STARTTLS is missing there \
             too, the server does not offer it (see starttls-not-offered); if it is offered there, the firewall removes it.",
        ),
    };
    fix.then(allow_tls(banner_masked))
}

/// EHLO refused, HELO accepted: ESMTP is impossible on this path.
pub fn ehlo_rewritten() -> Fix {
    Fix::new(Family::Cisco, "cisco::ehlo_rewritten", &[])
        .say(
            "Either the server does not support ESMTP, or a box in the path rewrites EHLO (Cisco ASA `inspect esmtp`, Untangle/Arista SMTP proxies). \
             Probe from inside the firewall: if EHLO works there, disable the SMTP inspection or allow ESMTP and TLS in it.",
        )
        .then(allow_tls(false))
}

/// The greeting is masked with `*`. `starttls_missing`: the same default policy may have
/// removed STARTTLS (it is missing, or the probe never saw the EHLO reply); otherwise TLS
/// already passes and unmasking the banner is optional.
pub fn banner_masked(starttls_missing: bool) -> Fix {
    if starttls_missing {
        return Fix::new(Family::Cisco, "cisco::banner_masked", &["starttls-missing"])
            .say(
                "The greeting is masked with `*`, the `mask-banner` signature of Cisco ASA/FTD `inspect esmtp`, whose default policy also \
                 removes STARTTLS (`no allow-tls`). Probe from inside the firewall: if the server offers STARTTLS there, the firewall removes it.",
            )
            .then(allow_tls(true));
    }
    Fix::new(Family::Cisco, "cisco::banner_masked", &["starttls-passes"])
        .say(
            "STARTTLS passes the firewall, so the firewall breaks nothing here: the masked greeting only hides the mail server's name and software. \
             To show it again (optional), in ASA configuration mode:",
        )
        .run(ASA, format!("policy-map type inspect esmtp {DEFAULT_ESMTP_MAP}"))
        .run(ASA, "parameters")
        .run(ASA, "no mask-banner")
}

/// EHLO answered with a bare `250 host`: a box in the path turned EHLO into HELO.
pub fn ehlo_downgraded() -> Fix {
    Fix::new(Family::Cisco, "cisco::ehlo_downgraded", &[])
        .say(
            "A device in the path answers EHLO as if it were HELO (an SMTP proxy or firewall that passes only plain SMTP, such as \
             Untangle/Arista), which removes every extension, STARTTLS among them. Probe from inside the firewall: if EHLO lists \
             extensions there, turn off SMTP proxying or inspection for this server on that device, or let it pass ESMTP and STARTTLS.",
        )
        .then(allow_tls(false))
}

/// What the rule saw of a certificate that belongs to an appliance or an inspection CA.
#[derive(Debug, Clone, Copy)]
pub struct Interception<'a> {
    /// The vendor from the catalogue's appliance table.
    pub vendor: &'a str,
    /// The kind of device.
    pub device: &'a str,
    /// The names the real certificate must cover, safe to show (or a description).
    pub names: &'a str,
    /// A read-only command that shows the subject and issuer presented, safe to paste.
    pub check: &'a str,
    /// The server behind the device is Exchange (its certificate is not the one to change).
    pub exchange: bool,
    /// Why the device is probably on the probe's side, if it is.
    pub ours: Option<OurSide>,
}

/// Why an intercepting device is probably in the probe's own network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OurSide {
    /// This machine trusts the inspection CA that issued the certificate.
    TrustedHere,
    /// The server is Exchange Online, which presents Microsoft's own certificate.
    Microsoft,
}

/// Bind the real certificate on the appliance (or let TLS through), not on the server behind
/// it; or, when this machine trusts the inspection CA, exempt SMTP from inspection here.
pub fn appliance_certificate(i: &Interception<'_>) -> Fix {
    if let Some(side) = i.ours {
        let (token, why) = match side {
            OurSide::TrustedHere => (
                "trusted-here",
                format!(
                    "This machine trusts the CA that issued the certificate, a {} CA",
                    i.vendor
                ),
            ),
            OurSide::Microsoft => (
                "microsoft",
                format!(
                    "Exchange Online presents Microsoft's own publicly trusted certificate, never a {} one",
                    i.vendor
                ),
            ),
        };
        return Fix::new(
            Family::Cisco,
            "cisco::appliance_certificate",
            &[i.vendor, i.device, i.check, token],
        )
        .say(format!(
            "{why}: the {} doing the TLS inspection is probably in your own network, and the server's real certificate was \
             not seen. Exempt SMTP (ports 25, 465, 587) from TLS inspection on it, or probe from a network without inspection, \
             then compare the issuer:",
            i.device
        ))
        .run(Shell::Shell, i.check);
    }
    let exchange = if i.exchange { "exchange" } else { "" };
    let fix = Fix::new(
        Family::Cisco,
        "cisco::appliance_certificate",
        &[i.vendor, i.device, i.names, i.check, exchange],
    );
    let behind = if i.exchange {
        " Do not change Exchange's certificate or connectors for this: senders never see them while the appliance answers \
         (and Microsoft does not support an SMTP appliance between Exchange Online and a hybrid server)."
    } else {
        ""
    };
    fix.say(format!(
        "The certificate senders receive is the {}'s own, not the mail server's. On the appliance, install the mail server's \
         publicly trusted certificate (covering {}) for its SMTP/TLS service, or make it pass TLS through to the server \
         instead of terminating it.{behind}",
        i.device, i.names
    ))
    .say("Then check from outside that the issuer is your public CA:")
    .run(Shell::Shell, i.check)
}

/// Replies that break SMTP's syntax, with nothing else amiss: find out whether the server or a
/// device in the path writes them.
pub fn irregular_replies() -> Fix {
    Fix::new(Family::Cisco, "cisco::irregular_replies", &[])
        .say(
            "Nothing to change while mail flows. Probe from inside the network, next to the mail server: if its replies are clean \
             there, a proxy or firewall SMTP fixup in between rewrites them (on a Cisco ASA, `inspect esmtp`); if not, the mail \
             server's software writes them and strict senders may refuse them.",
        )
}
