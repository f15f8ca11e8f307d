//! The honest states on hand-built observations (pure), and the port rule on real connect
//! timeouts to a listener whose accept queue is full (loopback only, no privileged port: the
//! relay port is a parameter).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use super::super::tests::{NOW, assert_fix_is_usable, observed, reply, world};
use super::*;
use crate::diagnose::{Policy, diagnose};
use crate::model::{ModeCheck, Observation, PhaseFailure};
use crate::smtp::Reply;

fn base() -> Observation {
    let w = world();
    let chain = w.chain(
        &crate::scripted::LeafSpec::valid_for("mail.contoso.test", NOW, 90),
        true,
    );
    observed("mail.contoso.test", "mail.contoso.test", chain, &w.trust)
}

/// The same server, failed in `phase` (nothing after it was seen).
fn failed(mut obs: Observation, phase: Phase, kind: FailureKind, r: Option<Reply>) -> Observation {
    obs.tls = None;
    obs.trust = None;
    obs.chain = Vec::new();
    obs.ehlo_tls = None;
    obs.starttls_reply = None;
    if phase <= Phase::Ehlo {
        obs.ehlo = None;
        obs.capabilities = None;
    }
    if phase == Phase::Banner {
        obs.banner = r.clone();
    }
    if phase == Phase::Connect {
        obs.banner = None;
        obs.local_addr = None;
    }
    obs.failure = Some(PhaseFailure {
        phase,
        kind,
        message: r
            .as_ref()
            .map_or_else(|| format!("{} {kind:?}", phase.name()), Reply::one_line),
        reply: r,
        overall_deadline: false,
    });
    obs
}

fn run(obs: &Observation) -> Vec<Finding> {
    let f = diagnose(&Evidence::derive(obs.clone(), NOW), &Policy::default(), NOW);
    f.iter().for_each(assert_fix_is_usable);
    f
}

fn get(f: &[Finding], code: Code) -> &Finding {
    f.iter()
        .find(|x| x.code == code)
        .unwrap_or_else(|| panic!("no {code} in {:?}", codes(f)))
}

fn codes(f: &[Finding]) -> Vec<(&'static str, Severity)> {
    f.iter().map(|f| (f.code.as_str(), f.severity)).collect()
}

const MINE: [Code; 4] = [
    Code::SmtpRateLimited,
    Code::SmtpTarpit,
    Code::TlsModeMismatch,
    Code::Port25BlockedHere,
];

#[test]
fn limit_words_match_the_field_strings_and_not_other_refusals() {
    for text in [
        "421 4.7.0 mx.contoso.test Error: too many connections from 203.0.113.7",
        "421 mx.contoso.test: Too many concurrent SMTP connections; please try again later",
        "421 4.3.2 The maximum number of concurrent connections has exceeded a limit, closing transmission channel",
        "451 4.7.500 Server busy. Please try again later from [203.0.113.7]. (S77714)",
        "421 4.3.2 All server ports are busy",
        "421 4.3.2 Connection rate limit exceeded.",
        "421 4.7.0 Throttled: rate-limited",
    ] {
        assert!(speaks_of_limits(text), "{text}");
    }
    for text in [
        "421 4.3.2 Service shutting down",
        "451 4.7.1 Greylisted, please try again later",
        "421 4.7.0 Try again later, closing connection.",
        "421 4.3.2 Service not available",
    ] {
        assert!(!speaks_of_limits(text), "{text}");
    }
}

#[test]
fn a_421_about_connections_is_rate_limited_and_unknown() {
    let r = reply(
        421,
        &["4.7.0 mail.contoso.test Error: too many connections from 192.0.2.1"],
    );
    let f = run(&failed(
        base(),
        Phase::Banner,
        FailureKind::TemporaryReply,
        Some(r),
    ));
    assert_eq!(
        codes(&f),
        [
            ("smtp-rate-limited", Severity::Warn),
            ("smtp-temporary-refusal", Severity::Warn)
        ],
        "the cause first, its symptom right after"
    );
    let cause = get(&f, Code::SmtpRateLimited);
    assert!(Code::SmtpRateLimited.inconclusive());
    assert!(
        cause
            .summary
            .contains("too many connections from 192.0.2.1")
    );
    assert!(
        cause.fix.text().contains("never opens two connections"),
        "{}",
        cause.fix
    );
    assert_eq!(
        cause.fix.commands().next().map(|(_, c)| c),
        Some("starttls-check '[mail.contoso.test]:25'")
    );
    let symptom = get(&f, Code::SmtpTemporaryRefusal);
    assert_eq!(
        crate::diagnose::explained_by(symptom, &f).map(|c| c.code),
        Some(Code::SmtpRateLimited)
    );
}

#[test]
fn a_limit_in_answer_to_ehlo_is_rate_limited_too() {
    let r = reply(
        421,
        &[
            "4.3.2 The maximum number of concurrent connections has exceeded a limit, closing transmission channel",
        ],
    );
    let mut obs = failed(base(), Phase::Ehlo, FailureKind::TemporaryReply, Some(r));
    obs.banner = Some(reply(
        220,
        &["exch01.contoso.test Microsoft ESMTP MAIL Service ready"],
    ));
    let f = run(&obs);
    let cause = get(&f, Code::SmtpRateLimited);
    assert_eq!(
        cause.evidence,
        [
            "banner: 220 exch01.contoso.test Microsoft ESMTP MAIL Service ready",
            "ehlo phase: 421 4.3.2 The maximum number of concurrent connections has exceeded a limit, closing transmission channel"
        ]
    );
    assert!(cause.fix.text().contains("MaxInboundConnectionPerSource"));
}

#[test]
fn a_421_without_limit_words_stays_a_plain_temporary_refusal() {
    let r = reply(421, &["4.3.2 Service shutting down"]);
    let f = run(&failed(
        base(),
        Phase::Banner,
        FailureKind::TemporaryReply,
        Some(r),
    ));
    assert_eq!(codes(&f), [("smtp-temporary-refusal", Severity::Warn)]);
    // A 5xx with the same words is a refusal, not a limit to wait out.
    let r = reply(554, &["5.7.1 too many connections"]);
    let f = run(&failed(
        base(),
        Phase::Banner,
        FailureKind::Rejected,
        Some(r),
    ));
    assert!(!f.iter().any(|x| x.code == Code::SmtpRateLimited));
}

#[test]
fn a_hang_up_right_after_the_greeting_is_rate_limited_and_not_a_failure() {
    let mut obs = failed(base(), Phase::Ehlo, FailureKind::Closed, None);
    obs.banner = Some(reply(220, &["mail.contoso.test ESMTP Postfix"]));
    let f = run(&obs);
    assert_eq!(
        codes(&f),
        [
            ("smtp-rate-limited", Severity::Warn),
            ("smtp-connection-closed", Severity::Warn)
        ]
    );
    let closed = get(&f, Code::SmtpConnectionClosed);
    assert!(
        closed.summary.contains("see smtp-rate-limited"),
        "{}",
        closed.summary
    );
    // Closed at connect, before any greeting: not this rule.
    let f = run(&failed(base(), Phase::Banner, FailureKind::Closed, None));
    assert_eq!(codes(&f), [("smtp-connection-closed", Severity::Fail)]);
}

#[test]
fn tarpit_threshold_is_the_constant_or_half_the_timeout() {
    assert_eq!(
        tarpit_threshold(Duration::from_secs(10)),
        Duration::from_secs(3)
    );
    assert_eq!(
        tarpit_threshold(Duration::from_secs(1)),
        Duration::from_millis(500)
    );
    assert_eq!(tarpit_threshold(Duration::ZERO), Duration::from_secs(3));
}

#[test]
fn a_late_greeting_is_a_tarpit_note_and_the_endpoint_still_passes() {
    let mut obs = base();
    obs.waits.banner = Some(Duration::from_millis(4200));
    let f = run(&obs);
    assert_eq!(
        codes(&f),
        [
            ("smtp-tarpit", Severity::Info),
            ("starttls-ok", Severity::Info)
        ]
    );
    let t = get(&f, Code::SmtpTarpit);
    assert!(
        t.summary.contains("greeting came after 4.2s"),
        "{}",
        t.summary
    );
    assert!(t.evidence.iter().any(|e| e == "greeting after 4200 ms"));
    // Just under the threshold: nothing.
    obs.waits.banner = Some(Duration::from_millis(2900));
    assert!(!run(&obs).iter().any(|x| x.code == Code::SmtpTarpit));
    // With --timeout 1 the threshold is half a second: a 0.7 s EHLO reply is late.
    obs.waits.step_timeout = Duration::from_secs(1);
    obs.waits.banner = Some(Duration::from_millis(2));
    obs.waits.ehlo = Some(Duration::from_millis(700));
    let f = run(&obs);
    assert!(
        get(&f, Code::SmtpTarpit)
            .summary
            .contains("EHLO reply came after 700 ms")
    );
}

#[test]
fn a_late_greeting_then_a_timeout_is_a_warning_that_suggests_a_larger_timeout() {
    let mut obs = failed(base(), Phase::Ehlo, FailureKind::Timeout, None);
    obs.waits.banner = Some(Duration::from_secs(6));
    let f = run(&obs);
    let t = get(&f, Code::SmtpTarpit);
    assert_eq!(t.severity, Severity::Warn);
    assert!(t.fix.text().contains("--timeout 60"), "{}", t.fix);
    assert_eq!(get(&f, Code::SmtpTimeout).severity, Severity::Fail);
}

/// The trial's case: every reply late, and the run's --deadline (not a step's --timeout)
/// ended the probe: the note says so, and its fix asks for a larger --deadline.
#[test]
fn a_late_greeting_then_the_deadline_names_the_deadline_not_the_timeout() {
    let mut obs = failed(base(), Phase::Ehlo, FailureKind::Timeout, None);
    obs.failure.as_mut().unwrap().overall_deadline = true;
    obs.waits.banner = Some(Duration::from_secs(6));
    let f = run(&obs);
    let t = get(&f, Code::SmtpTarpit);
    assert!(
        t.summary.contains("the run's --deadline ended the probe"),
        "{}",
        t.summary
    );
    let fix = t.fix.text();
    assert!(fix.contains("--deadline 300"), "{fix}");
    assert!(!fix.contains("ran out of this probe's --timeout"), "{fix}");
}

fn mode(obs: &mut Observation, tried: TlsMode, detail: &str) {
    obs.mode_check = Some(ModeCheck {
        tried,
        speaks: true,
        detail: detail.into(),
        handshake_failed: false,
    });
}

#[test]
fn a_silent_port_that_speaks_implicit_tls_is_a_mode_mismatch_not_a_dead_server() {
    let mut obs = failed(base(), Phase::Banner, FailureKind::Timeout, None);
    obs.endpoint.address.set_port(2465);
    mode(
        &mut obs,
        TlsMode::Implicit,
        "a TLS handshake spoken first completed: TLS 1.3, TLS13_AES_128_GCM_SHA256",
    );
    let f = run(&obs);
    assert_eq!(
        codes(&f),
        [
            ("tls-mode-mismatch", Severity::Warn),
            ("banner-timeout", Severity::Warn)
        ]
    );
    let m = get(&f, Code::TlsModeMismatch);
    assert!(m.summary.contains("--implicit-tls"), "{}", m.summary);
    assert_eq!(
        m.fix.commands().next().map(|(_, c)| c),
        Some("starttls-check '[mail.contoso.test]:2465' --implicit-tls")
    );
    assert!(m.evidence.iter().any(|e| e.contains("TLS 1.3")));
    // Without a mode check that found TLS, the banner timeout stays a failure.
    obs.mode_check.as_mut().unwrap().speaks = false;
    assert_eq!(codes(&run(&obs)), [("banner-timeout", Severity::Fail)]);
}

#[test]
fn port_25_speaking_implicit_tls_is_a_broken_listener() {
    let mut obs = failed(base(), Phase::Banner, FailureKind::Timeout, None);
    mode(
        &mut obs,
        TlsMode::Implicit,
        "a TLS handshake spoken first completed",
    );
    let f = run(&obs);
    assert_eq!(
        codes(&f),
        [
            ("tls-mode-mismatch", Severity::Fail),
            ("banner-timeout", Severity::Fail)
        ]
    );
    let m = get(&f, Code::TlsModeMismatch);
    assert!(m.fix.text().contains("smtpd_tls_wrappermode"), "{}", m.fix);
}

#[test]
fn a_plaintext_greeting_probed_with_implicit_tls_is_a_mode_mismatch() {
    let mut obs = failed(base(), Phase::Handshake, FailureKind::Handshake, None);
    obs.endpoint.tls_mode = TlsMode::Implicit;
    obs.endpoint.address.set_port(587);
    obs.handshake_error = Some(crate::tls::HandshakeError {
        kind: crate::tls::HandshakeFailure::NotTls,
        reason: "not TLS".into(),
        detail: "InvalidContentType".into(),
    });
    mode(
        &mut obs,
        TlsMode::Starttls,
        "the port greets in plaintext: 220 mail.contoso.test ESMTP",
    );
    let f = run(&obs);
    assert_eq!(
        codes(&f),
        [
            ("tls-mode-mismatch", Severity::Warn),
            ("tls-handshake-failed", Severity::Warn)
        ]
    );
    let m = get(&f, Code::TlsModeMismatch);
    assert!(
        m.summary.contains("without --implicit-tls"),
        "{}",
        m.summary
    );
    assert_eq!(
        m.fix.commands().next().map(|(_, c)| c),
        Some("starttls-check '[mail.contoso.test]:587'")
    );
    // On 465 the clients start TLS at once: a plaintext greeting there fails them.
    obs.endpoint.address.set_port(465);
    let f = run(&obs);
    assert_eq!(get(&f, Code::TlsModeMismatch).severity, Severity::Fail);
    assert_eq!(get(&f, Code::TlsHandshakeFailed).severity, Severity::Fail);
}

#[test]
fn a_healthy_endpoint_gets_none_of_these() {
    let f = run(&base());
    assert_eq!(codes(&f), [("starttls-ok", Severity::Info)]);
}

// --- Across endpoints: the relay port is a parameter.

fn at(ip: [u8; 4], port: u16) -> Observation {
    let mut obs = base();
    obs.endpoint.address = SocketAddr::from((ip, port));
    obs
}

fn timed_out(ip: [u8; 4], port: u16) -> Observation {
    failed(at(ip, port), Phase::Connect, FailureKind::Timeout, None)
}

fn ev(obs: Vec<Observation>) -> Vec<Evidence> {
    obs.into_iter().map(|o| Evidence::derive(o, NOW)).collect()
}

fn settled(seen: &[Evidence], relay: u16) -> (Vec<Finding>, Vec<Vec<Finding>>) {
    let cross: Vec<Finding> = port_blocked_here(seen, relay).into_iter().collect();
    let mut per: Vec<Vec<Finding>> = seen
        .iter()
        .map(|e| diagnose(e, &Policy::default(), NOW))
        .collect();
    settle_across(seen, &cross, &mut per, relay);
    per.iter().flatten().for_each(assert_fix_is_usable);
    cross.iter().for_each(assert_fix_is_usable);
    (cross, per)
}

#[test]
fn every_relay_port_timing_out_while_another_port_connects_is_our_network() {
    for relay in [25, 2525] {
        let seen = ev(vec![
            timed_out([192, 0, 2, 10], relay),
            at([192, 0, 2, 10], 587),
            timed_out([192, 0, 2, 11], relay),
            at([192, 0, 2, 11], 587),
        ]);
        let (cross, per) = settled(&seen, relay);
        assert_eq!(cross.len(), 1, "relay {relay}");
        let f = &cross[0];
        assert_eq!(f.code, Code::Port25BlockedHere);
        assert_eq!(f.severity, Severity::Warn);
        assert!(Code::Port25BlockedHere.inconclusive());
        assert_eq!(f.endpoints.len(), 4);
        assert!(
            f.summary.starts_with(&format!(
                "port {relay} timed out on every endpoint while port 587"
            )),
            "{}",
            f.summary
        );
        assert!(f.fix.text().contains("mail server's own network"));
        assert_eq!(
            f.fix.commands().next().map(|(_, c)| c.to_string()),
            Some(format!("starttls-check mail.contoso.test -p {relay}"))
        );
        for (e, fs) in seen.iter().zip(&per) {
            for x in fs.iter().filter(|x| x.code == Code::ConnectTimeout) {
                assert_eq!(e.port(), relay);
                assert_eq!(x.severity, Severity::Warn, "{}", x.summary);
                assert!(x.summary.contains("port25-blocked-here"));
                assert!(crate::diagnose::explained_by(x, &cross).is_some());
            }
        }
        let all: Vec<Finding> = per.into_iter().flatten().chain(cross).collect();
        assert!(all.iter().all(|f| f.severity < Severity::Fail));
    }
}

#[test]
fn no_port_rule_when_one_relay_endpoint_connects_or_no_other_port_answers() {
    // One relay endpoint answers: the network lets port 25 out.
    let seen = ev(vec![
        timed_out([192, 0, 2, 10], 25),
        at([192, 0, 2, 11], 25),
        at([192, 0, 2, 10], 587),
    ]);
    assert!(port_blocked_here(&seen, 25).is_none());
    // The other port answers on another address only.
    let seen = ev(vec![
        timed_out([192, 0, 2, 10], 25),
        at([192, 0, 2, 99], 587),
    ]);
    assert!(port_blocked_here(&seen, 25).is_none());
    // The other port times out too: the whole host is dark.
    let seen = ev(vec![
        timed_out([192, 0, 2, 10], 25),
        timed_out([192, 0, 2, 10], 587),
    ]);
    assert!(port_blocked_here(&seen, 25).is_none());
    // A refusal on 25 is an answer: nothing is dropped here.
    let seen = ev(vec![
        failed(
            at([192, 0, 2, 10], 25),
            Phase::Connect,
            FailureKind::Refused,
            None,
        ),
        at([192, 0, 2, 10], 587),
    ]);
    assert!(port_blocked_here(&seen, 25).is_none());
    // The relay port is a parameter: port 25 rules say nothing about 2525.
    let seen = ev(vec![
        timed_out([192, 0, 2, 10], 2525),
        at([192, 0, 2, 10], 587),
    ]);
    assert!(port_blocked_here(&seen, 25).is_none());
    assert!(port_blocked_here(&seen, 2525).is_some());
}

#[test]
fn only_the_relay_port_all_timed_out_keeps_the_failure_and_suggests_the_submission_port() {
    for relay in [25, 2525] {
        let seen = ev(vec![
            timed_out([192, 0, 2, 10], relay),
            timed_out([192, 0, 2, 11], relay),
        ]);
        let (cross, per) = settled(&seen, relay);
        assert!(cross.is_empty());
        for x in per.iter().flatten() {
            assert_eq!(x.code, Code::ConnectTimeout);
            assert_eq!(x.severity, Severity::Fail, "the servers may be at fault");
            assert!(
                x.summary
                    .contains(&format!("this network may block outbound port {relay}")),
                "{}",
                x.summary
            );
            let cmd: Vec<&str> = x.fix.commands().map(|(_, c)| c).collect();
            assert_eq!(
                cmd,
                [format!("starttls-check mail.contoso.test -p {relay},587")]
            );
        }
        // Equal text, equal key: the two still merge into one finding.
        assert_eq!(per[0][0].fix.key, per[1][0].fix.key);
        assert_eq!(per[0][0].summary, per[1][0].summary);
    }
    // One endpoint answered: no hedge.
    let seen = ev(vec![
        timed_out([192, 0, 2, 10], 25),
        at([192, 0, 2, 11], 25),
    ]);
    let (_, per) = settled(&seen, 25);
    let t = per
        .iter()
        .flatten()
        .find(|x| x.code == Code::ConnectTimeout);
    assert!(!t.unwrap().summary.contains("may block"));
}

#[test]
fn targets_on_a_command_line_are_vetted() {
    let mut obs = base();
    assert_eq!(
        target_arg(&obs.endpoint).as_deref(),
        Some("'[mail.contoso.test]:25'")
    );
    obs.endpoint.host = Host::Name("evil.example;rm -rf".into());
    assert_eq!(target_arg(&obs.endpoint), None);
    obs.endpoint.host = Host::Ip("2001:db8::1".parse().unwrap());
    obs.endpoint.address = "[2001:db8::1]:25".parse().unwrap();
    assert_eq!(
        target_arg(&obs.endpoint).as_deref(),
        Some("'[2001:db8::1]:25'")
    );
}

/// A listener on `ip` whose accept queue is full (backlog 0, one connection never
/// accepted): the kernel drops further SYNs, so a connect times out instead of being refused,
/// as when a firewall drops port 25. Returns the listener, the connection that fills it and
/// the port.
pub(crate) async fn full_listener(
    ip: Ipv4Addr,
) -> std::io::Result<(tokio::net::TcpListener, tokio::net::TcpStream, u16)> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((ip, 0)))?;
    let listener = socket.listen(0)?;
    let port = listener.local_addr()?.port();
    let filler = tokio::net::TcpStream::connect((ip, port)).await?;
    Ok((listener, filler, port))
}

fn probe_config(step: Duration) -> crate::probe::ProbeConfig {
    crate::probe::ProbeConfig {
        ehlo_name: Some("probe.test".into()),
        local_hostname: None,
        step_timeout: step,
        deadline: Instant::now() + step * 6,
        trust: world().trust,
        sni_fallback: None,
        check_required: false,
        client_cert: None,
    }
}

fn endpoint(ip: Ipv4Addr, port: u16) -> crate::model::Endpoint {
    crate::model::Endpoint {
        host: Host::Name("mail.contoso.test".into()),
        address: SocketAddr::from((ip, port)),
        tls_mode: TlsMode::Starttls,
        via: None,
    }
}

/// The hermetic end of the port rule: real connect timeouts to a full accept queue on an
/// unprivileged port, standing in for port 25 through the rule's parameter.
#[tokio::test]
async fn a_real_connect_timeout_on_the_relay_port_beside_a_port_that_answers() {
    let ip = Ipv4Addr::LOCALHOST;
    let (_listener, _filler, relay) = full_listener(ip).await.unwrap();
    let cfg = probe_config(Duration::from_millis(600));
    let started = Instant::now();
    let dropped = crate::probe::probe(endpoint(ip, relay), &cfg).await;
    let waited = started.elapsed();
    let f = dropped.failure.clone().expect("a failure");
    assert_eq!(
        (f.phase, f.kind),
        (Phase::Connect, FailureKind::Timeout),
        "a full accept queue drops the SYN: {}",
        f.message
    );
    assert!(waited >= Duration::from_millis(550), "{waited:?}");
    // Only the relay port, timed out: the hedge.
    let seen = ev(vec![dropped.clone()]);
    let (_, per) = settled(&seen, relay);
    assert!(per[0][0].summary.contains("may block outbound port"));
    // Beside a port of the same address that answers: our network.
    let leaf = crate::scripted::Ca::root("Honest Root", NOW)
        .unwrap()
        .leaf(&crate::scripted::LeafSpec::valid_for(
            "mail.contoso.test",
            time::OffsetDateTime::now_utc(),
            90,
        ))
        .unwrap();
    let server = crate::scripted::ScriptedServer::start(
        crate::scripted::Scenario::postfix("mail.contoso.test", &leaf),
        IpAddr::V4(ip),
        0,
    )
    .await
    .unwrap();
    let answered = crate::probe::probe(endpoint(ip, server.addr.port()), &cfg).await;
    assert!(answered.local_addr.is_some());
    let seen = ev(vec![dropped, answered]);
    let (cross, per) = settled(&seen, relay);
    assert_eq!(cross.len(), 1);
    assert_eq!(cross[0].code, Code::Port25BlockedHere);
    assert_eq!(per[0][0].code, Code::ConnectTimeout);
    assert_eq!(per[0][0].severity, Severity::Warn);
    assert!(MINE.contains(&cross[0].code));
}
