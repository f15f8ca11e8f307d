//! Fixes for the honest states: a server that limits our connections, a slow greeting, a
//! network that blocks outbound port 25 and a port that speaks the other TLS mode. Most of
//! them change nothing on the server: they say how to probe again so that the result means
//! something, with the command line to run. The command lines name only a target the rules
//! vetted (`rules::honest::target_arg`: a normalised host name or an address, with its port)
//! and numbers.
//!
//! # References
//! - RFC 5321 §4.2.1 (4yz: try again later), §4.5.3.2 (senders wait minutes for a greeting)
//! - RFC 8314 §3.3 (implicit TLS on port 465), RFC 3207 §4 (STARTTLS after a plaintext greeting)
//! - RFC 6409 (submission on port 587)

use crate::diagnose::fix::{Family, Fix, Shell};
use crate::model::TlsMode;

fn fix(template: &'static str, values: &[&str]) -> Fix {
    Fix::new(Family::Generic, template, values)
}

/// `starttls-check TARGET ARGS`, or nothing when no target is safe to paste.
fn probe_again(f: Fix, target: Option<&str>, args: &str) -> Fix {
    match target {
        Some(t) => f.run(Shell::Shell, format!("starttls-check {t}{args}")),
        None => f,
    }
}

/// The server limits connections from this address: retry later. `said`: the server said so
/// (a 421 about connections); otherwise it only hung up after the greeting, which a crashing
/// server or an IPS does too.
pub fn rate_limited(target: Option<&str>, said: bool) -> Fix {
    let intro = if said {
        "The server limits connections from this address, so nothing is known about its TLS yet. Nothing needs to change on the server for this. \
         Wait a few minutes, make sure no other probe, scanner or mail from the same address is connecting to it (this tool never opens two \
         connections to one address and port at once), then probe again:"
    } else {
        "The server hung up right after its greeting, so nothing is known about its TLS yet. Servers that limit connections per client do \
         this; so does a server that crashes or an intrusion-prevention system that drops the session. Wait a few minutes, make sure no other \
         probe, scanner or mail from the same address is connecting to it, then probe again (if it keeps hanging up, the server's SMTP log \
         says why):"
    };
    let f = fix(
        "generic::rate_limited",
        &[
            target.unwrap_or_default(),
            if said { "said" } else { "hung-up" },
        ],
    )
    .say(intro);
    probe_again(f, target, "").say(
        "If your real sending address meets this limit all the time, ask the receiver to raise it for that address (Postfix: \
         smtpd_client_connection_count_limit and smtpd_client_connection_rate_limit, or an exemption in smtpd_client_event_limit_exceptions; \
         Exchange: the receive connector's MaxInboundConnectionPerSource).",
    )
}

/// The greeting or EHLO reply came late. `timed_out`: a later step of the same probe ran out
/// of time, so a larger `--timeout` is worth a try.
pub fn tarpit(target: Option<&str>, timed_out: bool, deadline: bool) -> Fix {
    if deadline {
        let f = fix("generic::tarpit_deadline", &[target.unwrap_or_default()]).say(
            "The server answers, but slowly, and the run's --deadline (default 6 × --timeout) ended the probe before it finished. \
             Senders wait minutes, so mail may still flow. Probe again with more time for the whole run:",
        );
        return probe_again(f, target, " --timeout 60 --deadline 300").say(
            "If it then finishes, the delay is deliberate (a tarpit or greet pause) or a slow lookup on the server (reverse DNS, a blocklist).",
        );
    }
    if timed_out {
        let f = fix("generic::tarpit_timed_out", &[target.unwrap_or_default()]).say(
            "The server answers, but slowly, and a later step ran out of this probe's --timeout. Senders wait minutes, so mail may still flow. \
             Probe again with a larger --timeout to see whether it answers at all:",
        );
        return probe_again(f, target, " --timeout 60").say(
            "If it does, the delay is deliberate (a tarpit or greet pause) or a slow lookup on the server (reverse DNS, a blocklist); if it does not, \
             look for this connection in the server's SMTP log and in any firewall that inspects SMTP.",
        );
    }
    fix("generic::tarpit", &[]).say(
        "Nothing needs to change for TLS: senders wait minutes for a greeting. If the delay is not deliberate (Postfix postscreen's greet pause, \
         sendmail's greet_pause, a tarpit), look for a slow reverse-DNS or blocklist lookup on the server, or a proxy that holds the session.",
    )
}

/// Every port-`relay` endpoint timed out while another port answered: our network blocks
/// outbound port `relay`.
pub fn port_blocked_here(relay: u16, target: Option<&str>) -> Fix {
    let f = fix(
        "generic::port_blocked_here",
        &[&relay.to_string(), target.unwrap_or_default()],
    )
    .say(format!(
        "The network this probe runs from (or its provider) most likely blocks outbound port {relay}: many ISPs do, and so do Google Cloud, \
         Azure and AWS EC2 by default. Nothing needs to change on the mail servers for this. Run the probe from the mail server's own network, \
         or from any host whose outbound port {relay} is open (one that sends mail):"
    ));
    probe_again(f, target, &format!(" -p {relay}")).say(format!(
        "If port {relay} still times out from there, the servers' own firewall drops it: allow TCP {relay} from the senders."
    ))
}

/// Only port `relay` was probed and every endpoint timed out on it: our network may block it;
/// probing the submission port too tells.
pub fn try_submission_port(relay: u16, target: Option<&str>) -> Fix {
    let f = fix(
        "generic::try_submission_port",
        &[&relay.to_string(), target.unwrap_or_default()],
    )
    .say(format!(
        "Every endpoint timed out on port {relay} and no other port was probed, so the cause may be on this side: many networks block outbound \
         port {relay}. Probe port 587 as well: if it connects while port {relay} does not, port {relay} is blocked here, not at the servers:"
    ));
    probe_again(f, target, &format!(" -p {relay},587"))
}

/// The port speaks `speaks` where it was probed in the other mode. `listener_wrong`: the port
/// has a fixed mode (25 and 587 STARTTLS, 465 implicit TLS) and speaks the other one, so the
/// listener must change; otherwise the probe asked the wrong way and `target` is probed again
/// in the right one.
pub fn mode_mismatch(
    port: u16,
    speaks: TlsMode,
    listener_wrong: bool,
    handshake_failed: bool,
    target: Option<&str>,
) -> Fix {
    let p = port.to_string();
    match (speaks, listener_wrong) {
        (TlsMode::Implicit, false) if handshake_failed => {
            let f = fix("generic::mode_mismatch_implicit_broken", &[&p, target.unwrap_or_default()]).say(format!(
                "Port {port} speaks TLS from the first byte (implicit TLS, as SMTPS on 465 does), so a STARTTLS probe sees no greeting; but a \
                 TLS handshake spoken first failed too (the second connection's line above says how). Probe it with --implicit-tls: that \
                 report names the cause (a server that speaks only TLS 1.0/1.1, no cipher in common, a weak key) and what to change:"
            ));
            probe_again(f, target, " --implicit-tls")
        }
        (TlsMode::Implicit, false) => {
            let f = fix("generic::mode_mismatch_implicit", &[&p, target.unwrap_or_default()]).say(format!(
                "Port {port} speaks TLS from the first byte (implicit TLS, as SMTPS on 465 does): it waits for the client's ClientHello and never greets \
                 in plaintext, so a STARTTLS probe sees no greeting. Nothing needs to change on the server for this; probe it with --implicit-tls:"
            ));
            probe_again(f, target, " --implicit-tls")
        }
        (TlsMode::Starttls, false) => {
            let f = fix("generic::mode_mismatch_plaintext", &[&p, target.unwrap_or_default()]).say(format!(
                "Port {port} greets in plaintext and starts TLS with STARTTLS, so a TLS handshake spoken first meets an SMTP greeting instead. \
                 Nothing needs to change on the server for this; probe it without --implicit-tls:"
            ));
            probe_again(f, target, "")
        }
        (TlsMode::Implicit, true) => {
            let who = if port == 587 {
                "mail clients submitting on port 587 (RFC 6409)"
            } else {
                "sending mail servers"
            };
            let f = fix("generic::listener_implicit", &[&p, target.unwrap_or_default()]).say(format!(
                "Port {port} must greet in plaintext and offer STARTTLS: {who} never start TLS first there, so they wait \
                 for a greeting that never comes. The listener is configured for implicit TLS: turn that off for this port (Postfix: remove \
                 `-o smtpd_tls_wrappermode=yes` from the master.cf service of port {port} and run `postfix reload`; other MTAs: the port's \
                 \"SSL on connect\" or \"TLS on connect\" setting) and keep implicit TLS on 465 only. To see the certificate it serves meanwhile:"
            ));
            probe_again(f, target, " --implicit-tls")
        }
        (TlsMode::Starttls, true) => fix("generic::listener_plaintext", &[&p]).say(format!(
            "Port {port} is for TLS from the first byte (RFC 8314), but this listener greets in plaintext, so clients that connect with TLS fail \
             (OpenSSL: `wrong version number`). Turn on implicit TLS for it (Postfix: the `submissions` service in master.cf with \
             `-o smtpd_tls_wrappermode=yes`, then `postfix reload`), or stop offering port {port} and let clients use STARTTLS on 587."
        )),
    }
}
