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

const ASA: Shell = Shell::CiscoAsa;

/// The ESMTP inspection policy-map the global policy uses unless the admin made another.
pub const DEFAULT_ESMTP_MAP: &str = "_default_esmtp_map";

/// Lets STARTTLS through ESMTP inspection (and stops masking the banner), or stops inspecting
/// ESMTP: the remedy for every Cisco signature, in ASA configuration mode.
pub fn allow_tls() -> Fix {
    Fix::new(Family::Cisco, "cisco::allow_tls", &[])
        .say(format!(
            "On a Cisco ASA (configuration mode), allow TLS in the ESMTP inspection policy-map of the global policy \
             (`{DEFAULT_ESMTP_MAP}` unless you made your own) and stop masking the banner:"
        ))
        .run(ASA, format!("policy-map type inspect esmtp {DEFAULT_ESMTP_MAP}"))
        .run(ASA, "parameters")
        .run(ASA, "allow-tls")
        .run(ASA, "no mask-banner")
        .say("or stop inspecting ESMTP altogether:")
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
        .then(allow_tls())
}

/// EHLO keywords or the banner are masked: ESMTP inspection removed STARTTLS.
pub fn keywords_masked() -> Fix {
    Fix::new(Family::Cisco, "cisco::keywords_masked", &[])
        .say(
            "A firewall with SMTP inspection is masking ESMTP keywords (the X'ed-out keyword and/or `220 ****` banner are Cisco ASA/FTD \
             `inspect esmtp` signatures), which removes STARTTLS.",
        )
        .then(allow_tls())
}

/// EHLO refused, HELO accepted: ESMTP is impossible on this path.
pub fn ehlo_rewritten() -> Fix {
    Fix::new(Family::Cisco, "cisco::ehlo_rewritten", &[])
        .say(
            "Either the server does not support ESMTP, or a box in the path rewrites EHLO (Cisco ASA `inspect esmtp`, Untangle/Arista SMTP proxies). \
             Probe from inside the firewall: if EHLO works there, disable the SMTP inspection or allow ESMTP and TLS in it.",
        )
        .then(allow_tls())
}
