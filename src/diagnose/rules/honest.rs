//! Honest states instead of a false "no TLS": a server that limits our connections, a greeting
//! that comes late, a network that blocks outbound port 25 and a port that speaks the other TLS
//! mode. Each names the cause; the generic finding that is true as well stays as its symptom,
//! lowered to a warning when the cause says the server is not known to be at fault.
//!
//! - `smtp-rate-limited`: a 4xx at the greeting or EHLO whose text speaks of connections, rate,
//!   "too many" or a busy server, or a hang-up right after the greeting. TLS is unknown.
//! - `smtp-tarpit`: the greeting or EHLO reply came after `min(TARPIT_AFTER_SECS, --timeout / 2)`.
//!   Never a failure by itself.
//! - `tls-mode-mismatch`: the follow-up connection (`probe/mode.rs`) found the other mode.
//! - `port25-blocked-here` (across endpoints): every endpoint on the relay port timed out on
//!   connect while another port of the same addresses connected.
//!
//! # References
//! - RFC 5321 §3.1 (the server speaks first), §3.8 and §4.2.1 (421, 4yz transient),
//!   §4.5.3.2 (timeouts: 5 minutes for the greeting), §2.1 and §4.5.4.1 (relay on port 25)
//! - RFC 3207 §4 (STARTTLS after a plaintext greeting), RFC 8314 §3.3 (implicit TLS on 465)
//! - RFC 6409 (submission on port 587)
//! - Postfix smtpd/anvil (`421 4.7.0 <host> Error: too many connections from <address>`),
//!   postscreen (`421 4.3.2 All server ports are busy`); Exim (`Too many concurrent SMTP
//!   connections`); Exchange Server "Message rate limits and throttling"
//!   (`421 4.3.2 The maximum number of concurrent connections has exceeded a limit`); Exchange
//!   Online (`451 4.7.500 Server busy. Please try again later`)

use std::collections::HashSet;
use std::net::IpAddr;
use std::time::Duration;

use crate::diagnose::fixes::honest as fix;
use crate::diagnose::rules::certificate::safe_name;
use crate::diagnose::{Code, Ctx, Finding, Severity};
use crate::evidence::Evidence;
use crate::model::{Endpoint, FailureKind, Phase, TlsMode};
use crate::target::Host;

/// The port mail servers relay on (RFC 5321), the one networks block.
pub const RELAY_PORT: u16 = 25;

/// A greeting or EHLO reply that takes at least this many seconds (or half of `--timeout`, if
/// that is less) is late (`smtp-tarpit`): a healthy server answers within milliseconds, and a
/// greet pause (postscreen, sendmail `greet_pause`) takes seconds.
pub const TARPIT_AFTER_SECS: f64 = 3.0;

/// Words in a 4xx that say the server limits connections or is busy, lower case: Postfix
/// `Error: too many connections from`, Exim `Too many concurrent SMTP connections`, Exchange
/// `The maximum number of concurrent connections has exceeded a limit`, Exchange Online
/// `Server busy`, postscreen `All server ports are busy`, sendmail `Connection rate limit
/// exceeded`.
const LIMIT_WORDS: [&str; 8] = [
    "too many",
    "connections",
    "connection rate",
    "connection limit",
    "rate limit",
    "ratelimit",
    "throttl",
    "busy",
];

/// The reply text speaks of a connection limit, a rate or a busy server.
pub(crate) fn speaks_of_limits(text: &str) -> bool {
    let t = text.to_ascii_lowercase().replace('-', " ");
    LIMIT_WORDS.iter().any(|w| t.contains(w))
}

/// `mail.contoso.com:25`, `192.0.2.1:25` or `'[2001:db8::1]:25'`: the endpoint as a target on
/// a command line, safe to paste; `None` for a name that is not a plain host name.
pub(crate) fn target_arg(ep: &Endpoint) -> Option<String> {
    let port = ep.address.port();
    match &ep.host {
        // Bracketed: this host, no MX lookup (it may be an MX host of the domain probed);
        // quoted, since brackets are a glob to the shell.
        Host::Name(n) => safe_name(n)
            .filter(|n| !n.starts_with('*'))
            .map(|n| format!("'[{n}]:{port}'")),
        Host::Ip(IpAddr::V4(ip)) => Some(format!("{ip}:{port}")),
        Host::Ip(IpAddr::V6(ip)) => Some(format!("'[{ip}]:{port}'")),
    }
}

/// The endpoint's target followed by the options of this run that reach it the same way
/// (`--resolve`, `--ca-file`...): a suggested command probes what this run probed.
fn rerun_target(ctx: &Ctx<'_>) -> Option<String> {
    let target = target_arg(&ctx.obs.endpoint)?;
    Some(
        std::iter::once(target)
            .chain(ctx.policy.rerun_options.iter().cloned())
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// A target for the whole run without a port: the mail domain all endpoints came from, else
/// the one host they share, else the first host.
fn run_target(seen: &[Evidence]) -> Option<String> {
    let first = seen.first()?;
    let domain = first.obs.endpoint.via.as_ref().map(|v| v.domain.clone());
    let same_domain = seen
        .iter()
        .all(|e| e.obs.endpoint.via.as_ref().map(|v| &v.domain) == domain.as_ref());
    match (&domain, same_domain) {
        (Some(d), true) => safe_name(d),
        _ => match &first.obs.endpoint.host {
            Host::Name(n) => safe_name(n).filter(|n| !n.starts_with('*')),
            Host::Ip(IpAddr::V4(ip)) => Some(ip.to_string()),
            Host::Ip(IpAddr::V6(ip)) => Some(format!("'[{ip}]'")),
        },
    }
}

/// `4.2s` or `850 ms`.
fn took(d: Duration) -> String {
    if d >= Duration::from_secs(1) {
        crate::text::seconds(d)
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// Lowers every `symptom` among `findings` to `to`, saying why in its summary.
fn lower(findings: &mut [Finding], symptom: Code, to: Severity, why: &str) {
    for f in findings.iter_mut().filter(|f| f.code == symptom) {
        if f.severity > to {
            f.severity = to;
            f.summary = format!("{} — {why}", f.summary);
        }
    }
}

/// The per-endpoint honest states, added to `findings` (which already hold the session rules'
/// findings, whose symptoms they may lower).
pub(crate) fn rules(ctx: &Ctx<'_>, findings: &mut Vec<Finding>) {
    if let Some(f) = rate_limited(ctx) {
        lower(
            findings,
            Code::SmtpConnectionClosed,
            Severity::Warn,
            "right after the greeting, as servers that limit connections do (see smtp-rate-limited); TLS is unknown",
        );
        findings.push(f);
    }
    if let Some(f) = tarpit(ctx) {
        findings.push(f);
    }
    if let Some((f, listener_wrong)) = mode_mismatch(ctx) {
        if !listener_wrong {
            let why = "the port speaks the other TLS mode (see tls-mode-mismatch)";
            lower(findings, Code::BannerTimeout, Severity::Warn, why);
            lower(findings, Code::TlsHandshakeFailed, Severity::Warn, why);
        }
        findings.push(f);
    }
}

/// A 4xx that speaks of limits at the greeting or EHLO, or a hang-up right after a `220`.
fn rate_limited(ctx: &Ctx<'_>) -> Option<Finding> {
    let f = ctx.obs.failure.as_ref()?;
    let before_tls = matches!(f.phase, Phase::Banner | Phase::Ehlo);
    let limit_reply = f
        .reply
        .as_ref()
        .filter(|r| r.is_transient() && before_tls)
        .map(|r| r.one_line())
        .filter(|line| speaks_of_limits(line));
    let greeted = ctx.obs.banner.as_ref().is_some_and(|b| b.code == 220);
    let cut_after_banner = f.phase == Phase::Ehlo
        && f.kind == FailureKind::Closed
        && greeted
        && ctx.obs.ehlo.is_none();
    let mut evidence: Vec<String> = ctx
        .obs
        .banner
        .iter()
        .map(|b| format!("banner: {}", b.one_line()))
        .collect();
    let said = limit_reply.is_some();
    let summary = match (limit_reply, cut_after_banner) {
        (Some(line), _) => {
            // At the greeting the banner line above is the reply itself.
            if f.phase != Phase::Banner {
                evidence.push(format!("{} phase: {line}", f.phase.name()));
            }
            format!(
                "the server limits connections from this address: {line}; TLS could not be checked, retry later"
            )
        }
        (None, true) => {
            evidence.push(format!("EHLO {} → {}", ctx.obs.ehlo_name, f.message));
            "the server greeted and hung up before EHLO, probably a limit on connections per client (a crashing server or an IPS looks the same); TLS could not be checked, retry later"
                .to_string()
        }
        (None, false) => return None,
    };
    let target = rerun_target(ctx);
    Some(ctx.finding(
        Code::SmtpRateLimited,
        summary,
        evidence,
        fix::rate_limited(target.as_deref(), said),
    ))
}

/// The delay from which a reply is late: `min(TARPIT_AFTER_SECS, --timeout / 2)`.
pub(crate) fn tarpit_threshold(step_timeout: Duration) -> Duration {
    let fixed = Duration::from_secs_f64(TARPIT_AFTER_SECS);
    if step_timeout.is_zero() {
        fixed
    } else {
        fixed.min(step_timeout / 2)
    }
}

/// The greeting or the EHLO reply came, but late.
fn tarpit(ctx: &Ctx<'_>) -> Option<Finding> {
    let w = &ctx.obs.waits;
    let threshold = tarpit_threshold(w.step_timeout);
    let late: Vec<(&str, Duration)> = [("greeting", w.banner), ("EHLO reply", w.ehlo)]
        .into_iter()
        .filter_map(|(what, d)| d.filter(|d| *d >= threshold).map(|d| (what, d)))
        .collect();
    if late.is_empty() {
        return None;
    }
    // A later step that ran out of time (or the run's deadline) is what a slow server looks
    // like to a probe: then the delay matters, and a larger --timeout is the next step.
    let timed_out = ctx
        .obs
        .failure
        .as_ref()
        .is_some_and(|f| f.kind == FailureKind::Timeout || f.overall_deadline);
    let words: Vec<String> = late
        .iter()
        .map(|(what, d)| format!("the {what} came after {}", took(*d)))
        .collect();
    let mut evidence: Vec<String> = late
        .iter()
        .map(|(what, d)| format!("{what} after {} ms", d.as_millis()))
        .collect();
    evidence.push(format!(
        "late from {} ms (the smaller of {TARPIT_AFTER_SECS}s and half of --timeout {}); a healthy server answers within milliseconds",
        threshold.as_millis(),
        crate::text::seconds(w.step_timeout)
    ));
    let deadline = ctx.obs.failure.as_ref().is_some_and(|f| f.overall_deadline);
    let severity = if timed_out {
        Severity::Warn
    } else {
        Severity::Info
    };
    let summary = format!(
        "{}: a tarpit, a greet pause or a slow check on the server{}",
        words.join(" and "),
        if deadline {
            "; then the run's --deadline ended the probe"
        } else if timed_out {
            "; a later step then timed out"
        } else {
            "; mail still flows, only slower"
        }
    );
    let target = rerun_target(ctx);
    Some(ctx.finding_with(
        Code::SmtpTarpit,
        severity,
        summary,
        evidence,
        fix::tarpit(target.as_deref(), timed_out, deadline),
    ))
}

/// The mode a port is for when it has one: 25 and 587 greet in plaintext and offer STARTTLS,
/// 465 speaks TLS from the first byte.
fn fixed_mode(port: u16) -> Option<TlsMode> {
    match port {
        25 | 587 => Some(TlsMode::Starttls),
        465 => Some(TlsMode::Implicit),
        _ => None,
    }
}

/// The follow-up connection found the other mode. Also says whether the listener is wrong (a
/// port of fixed mode speaking the other one), in which case the symptom stays a failure.
fn mode_mismatch(ctx: &Ctx<'_>) -> Option<(Finding, bool)> {
    let mc = ctx.obs.mode_check.as_ref().filter(|m| m.speaks)?;
    let port = ctx.port();
    let speaks = mc.tried;
    let listener_wrong = fixed_mode(port).is_some_and(|m| m != speaks);
    let mut evidence = Vec::new();
    if let Some(f) = &ctx.obs.failure {
        evidence.push(format!("{} phase: {}", f.phase.name(), f.message));
    }
    evidence.push(format!("second connection: {}", mc.detail));
    let broken = mc.handshake_failed && !listener_wrong;
    let summary = match (speaks, listener_wrong) {
        (TlsMode::Implicit, false) if broken => format!(
            "port {port} speaks implicit TLS (TLS from the first byte), not STARTTLS, and its TLS handshake fails there too: probe it \
             with --implicit-tls for the cause"
        ),
        (TlsMode::Implicit, false) => format!(
            "port {port} speaks implicit TLS (TLS from the first byte), not STARTTLS: probe it with --implicit-tls"
        ),
        (TlsMode::Starttls, false) => format!(
            "port {port} greets in plaintext (STARTTLS), not with TLS from the first byte: probe it without --implicit-tls"
        ),
        (TlsMode::Implicit, true) => format!(
            "port {port} speaks implicit TLS instead of greeting in plaintext: senders on port {port} expect STARTTLS and get no greeting"
        ),
        (TlsMode::Starttls, true) => format!(
            "port {port} greets in plaintext, but clients of port {port} start TLS at once: implicit TLS is not enabled on it"
        ),
    };
    let severity = if listener_wrong || broken {
        Severity::Fail
    } else {
        Code::TlsModeMismatch.default_severity()
    };
    let target = rerun_target(ctx);
    let f = ctx.finding_with(
        Code::TlsModeMismatch,
        severity,
        summary,
        evidence,
        with_listener_mode(
            ctx,
            fix::mode_mismatch(port, speaks, listener_wrong, broken, target.as_deref()),
            listener_wrong.then_some(speaks),
        ),
    );
    Some((f, listener_wrong))
}

/// `fix`, followed by the server family's own setting for the listener's mode when the
/// listener speaks the wrong one (`wrong`: the mode it speaks).
fn with_listener_mode(
    ctx: &Ctx<'_>,
    fix: crate::diagnose::Fix,
    wrong: Option<TlsMode>,
) -> crate::diagnose::Fix {
    match wrong.and_then(|m| crate::diagnose::fixes::listener_mode(ctx.kind, ctx.port(), m)) {
        Some(note) => fix.followed_by(note),
        None => fix,
    }
}

/// The connection attempt timed out (by the step timeout, not the run's deadline).
fn connect_timed_out(e: &Evidence) -> bool {
    e.obs.failure.as_ref().is_some_and(|f| {
        f.phase == Phase::Connect && f.kind == FailureKind::Timeout && !f.overall_deadline
    })
}

/// A TCP connection was made.
fn connected(e: &Evidence) -> bool {
    e.obs.local_addr.is_some()
        && e.obs
            .failure
            .as_ref()
            .is_none_or(|f| f.phase != Phase::Connect)
}

/// Every endpoint on port `relay` timed out on connect while another port of the same
/// addresses connected: our own network blocks outbound `relay`.
pub(crate) fn port_blocked_here(seen: &[Evidence], relay: u16) -> Option<Finding> {
    let blocked: Vec<&Evidence> = seen.iter().filter(|e| e.port() == relay).collect();
    if blocked.is_empty() || !blocked.iter().all(|e| connect_timed_out(e)) {
        return None;
    }
    let ips: HashSet<IpAddr> = blocked
        .iter()
        .map(|e| e.obs.endpoint.address.ip())
        .collect();
    let answered: Vec<&Evidence> = seen
        .iter()
        .filter(|e| e.port() != relay && ips.contains(&e.obs.endpoint.address.ip()))
        .filter(|e| connected(e))
        .collect();
    if answered.is_empty() {
        return None;
    }
    let mut evidence: Vec<String> = blocked
        .iter()
        .map(|e| {
            let why = e.obs.failure.as_ref().map(|f| f.message.clone());
            format!("{}: {}", e.label, why.unwrap_or_default())
        })
        .collect();
    evidence.extend(answered.iter().map(|e| format!("{}: connected", e.label)));
    let mut other_ports: Vec<u16> = answered.iter().map(|e| e.port()).collect();
    other_ports.sort_unstable();
    other_ports.dedup();
    let ports: Vec<String> = other_ports.iter().map(u16::to_string).collect();
    let mut hosts: Vec<String> = Vec::new();
    for e in &blocked {
        let h = e.obs.endpoint.host.to_string();
        if !hosts.contains(&h) {
            hosts.push(h);
        }
    }
    let port_word = if ports.len() == 1 { "port" } else { "ports" };
    let summary = format!(
        "port {relay} timed out on every endpoint while {port_word} {} of the same {} answered: this network most likely blocks outbound port {relay}, so the servers' port {relay} could not be checked",
        ports.join(", "),
        if hosts.len() == 1 { "host" } else { "hosts" },
    );
    let mut ids: Vec<_> = blocked.iter().map(|e| e.id.clone()).collect();
    ids.extend(answered.iter().map(|e| e.id.clone()));
    let mut all_ports = vec![relay];
    all_ports.extend(&other_ports);
    let where_ = format!(
        "{} (ports {})",
        hosts.join(", "),
        all_ports
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let target = run_target(seen);
    Some(Finding::new(
        Code::Port25BlockedHere,
        Code::Port25BlockedHere.default_severity(),
        where_,
        ids,
        summary,
        evidence,
        fix::port_blocked_here(relay, target.as_deref()),
    ))
}

/// After the per-endpoint and the cross-endpoint rules: the connect timeouts that
/// `port25-blocked-here` explains are lowered to warnings (the servers are not known to be at
/// fault); when only port `relay` was probed and every endpoint timed out on it, each
/// connect-timeout says that our own network may be the cause and how to tell.
pub(crate) fn settle_across(
    seen: &[Evidence],
    cross: &[Finding],
    per_endpoint: &mut [Vec<Finding>],
    relay: u16,
) {
    if let Some(cause) = cross.iter().find(|f| f.code == Code::Port25BlockedHere) {
        // Which addresses answered on another port: only there is "this host answers" true.
        let answered: HashSet<IpAddr> = seen
            .iter()
            .filter(|e| e.port() != relay && connected(e))
            .map(|e| e.id.address.ip())
            .collect();
        for (e, findings) in seen.iter().zip(per_endpoint.iter_mut()) {
            if e.port() == relay && cause.endpoints.contains(&e.id) {
                let whose = if answered.contains(&e.id.address.ip()) {
                    "another port of this host answers"
                } else {
                    "other hosts answer on another port"
                };
                lower(
                    findings,
                    Code::ConnectTimeout,
                    Severity::Warn,
                    &format!(
                        "{whose}, so this network most likely blocks port {relay} (see port25-blocked-here)"
                    ),
                );
            }
        }
        return;
    }
    let only_relay = !seen.is_empty()
        && seen
            .iter()
            .all(|e| e.port() == relay && connect_timed_out(e));
    if !only_relay {
        return;
    }
    let target = run_target(seen);
    for f in per_endpoint
        .iter_mut()
        .flatten()
        .filter(|f| f.code == Code::ConnectTimeout)
    {
        f.summary = format!(
            "{}; every endpoint did and no other port was probed: this network may block outbound port {relay} (try -p {relay},587)",
            f.summary
        );
        f.fix = f
            .fix
            .clone()
            .followed_by(fix::try_submission_port(relay, target.as_deref()));
    }
}

#[cfg(test)]
#[path = "honest_tests.rs"]
mod tests;
