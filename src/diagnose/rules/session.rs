//! Connection, SMTP and TLS-negotiation rules.
//!
//! # References
//! - RFC 5321 §3.1, §4.2.1 (reply codes: 4yz transient, 5yz permanent), §4.1.1.1 (EHLO/HELO)
//! - RFC 3207 §4 (STARTTLS: 220 then handshake; 454 when TLS is unavailable)
//! - RFC 8461 / RFC 7672: senders that require TLS defer mail when any of this fails

use crate::cert::date;
use crate::diagnose::Severity;
use crate::diagnose::fixes::{self, cisco, generic, wire};
use crate::diagnose::rules::middlebox;
use crate::diagnose::rules::middlebox::StarttlsMask;
use crate::diagnose::{Code, Ctx, Finding, ServerKind};
use crate::model::{FailureKind, Observation, Phase, PhaseFailure, TlsMode};
use crate::smtp::{UnsolicitedHow, can_answer, escape, is_over_limit, starts_like_tls_record};
use crate::tls::HandshakeFailure;

fn banner_evidence(ctx: &Ctx<'_>) -> Vec<String> {
    ctx.obs
        .banner
        .iter()
        .map(|b| format!("banner: {}", b.one_line()))
        .collect()
}

fn ehlo_evidence(ctx: &Ctx<'_>) -> Vec<String> {
    let mut e = banner_evidence(ctx);
    if let Some(r) = &ctx.obs.ehlo {
        // The greeting line, then the keywords on one line: a ticket shows them at a glance
        // (a keyword missing, or masked with X's, is what the reader looks for).
        let lines = r.display_lines();
        match lines.split_first() {
            Some((first, rest)) if r.is_positive() && !rest.is_empty() => {
                e.push(format!("EHLO {} → {first}", ctx.obs.ehlo_name));
                let keywords: Vec<&str> = rest.iter().map(|l| l.get(4..).unwrap_or(l)).collect();
                e.push(format!("  keywords: {}", keywords.join(", ")));
            }
            _ => {
                e.push(format!("EHLO {} →", ctx.obs.ehlo_name));
                e.extend(lines.into_iter().map(|l| format!("  {l}")));
            }
        }
    }
    e
}

/// What the failed step had received of a reply it never completed, escaped and capped (the
/// line says when it is cut, never a silent truncation).
fn received_evidence(obs: &Observation) -> Option<String> {
    let w = &obs.wire;
    if w.received_so_far.is_empty() {
        return None;
    }
    let shown = escape(&w.received_so_far);
    Some(if w.received_total > w.received_so_far.len() {
        format!(
            "received so far ({} bytes, no complete reply; the first {} shown): \"{shown}\"",
            w.received_total,
            w.received_so_far.len()
        )
    } else {
        format!(
            "received so far ({} bytes, no complete reply): \"{shown}\"",
            w.received_total
        )
    })
}

/// The line that never ended holds a CR followed by more bytes: the server ends its lines with
/// CR alone, and no reader of CRLF lines (every sender) ever sees the end of one. A CR as the
/// very last byte proves nothing: its LF may be in the next packet, never sent in time.
fn ends_lines_with_bare_cr(obs: &Observation) -> bool {
    let bytes = &obs.wire.received_so_far;
    let unfinished = match bytes.iter().rposition(|&b| b == b'\n') {
        Some(i) => &bytes[i + 1..],
        None => &bytes[..],
    };
    unfinished
        .windows(2)
        .any(|w| w[0] == b'\r' && w[1] != b'\n')
}

/// The failure left the reply unread in a way the bytes received explain: TLS records where
/// the greeting was expected, or lines ended with CR alone.
fn wire_failure(ctx: &Ctx<'_>, f: &PhaseFailure, evidence: &[String]) -> Option<Finding> {
    if !matches!(
        f.kind,
        FailureKind::Timeout | FailureKind::Closed | FailureKind::Protocol
    ) {
        return None;
    }
    let obs = ctx.obs;
    let port = ctx.port();
    if f.phase == Phase::Banner && starts_like_tls_record(&obs.wire.received_so_far) {
        return Some(tls_instead_of_greeting(ctx, evidence.to_vec()));
    }
    if !ends_lines_with_bare_cr(obs) {
        return None;
    }
    // Every sender waits for a CRLF that never comes: a failure whatever the code's default.
    Some(ctx.finding_with(
        Code::SmtpReplyIrregular,
        Severity::Fail,
        format!(
            "the server ends its lines with CR alone (no LF) during {}: no sender ever reads a complete reply",
            f.phase.name()
        ),
        evidence.to_vec(),
        wire::bare_cr(port),
    ))
}

/// The name of a TLS record's content type (RFC 8446 §5.1).
fn record_type(b: u8) -> &'static str {
    match b {
        20 => "change_cipher_spec",
        21 => "alert",
        22 => "handshake",
        23 => "application_data",
        _ => "heartbeat",
    }
}

/// TLS records where the plaintext greeting was expected: the port speaks TLS from the first
/// byte. The bytes say so; no second connection is needed (and none was made).
fn tls_instead_of_greeting(ctx: &Ctx<'_>, mut evidence: Vec<String>) -> Finding {
    let port = ctx.port();
    let b = &ctx.obs.wire.received_so_far;
    evidence.push(format!(
        "the first bytes are a TLS record header: content type {} ({}), version {}.{}",
        b[0],
        record_type(b[0]),
        b[1],
        b[2]
    ));
    let listener_wrong = matches!(port, 25 | 587);
    let severity = if listener_wrong {
        Severity::Fail
    } else {
        Code::TlsModeMismatch.default_severity()
    };
    let summary = if listener_wrong {
        format!(
            "port {port} sent TLS records instead of a plaintext greeting: senders on port {port} expect STARTTLS and get no greeting"
        )
    } else {
        format!(
            "port {port} sent TLS records instead of a plaintext greeting: it speaks TLS from the first byte (implicit TLS), not \
             STARTTLS: probe it with --implicit-tls"
        )
    };
    let target = super::honest::target_arg(&ctx.obs.endpoint).map(|t| {
        std::iter::once(t)
            .chain(ctx.policy.rerun_options.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ")
    });
    ctx.finding_with(
        Code::TlsModeMismatch,
        severity,
        summary,
        evidence,
        fixes::honest::mode_mismatch(
            port,
            TlsMode::Implicit,
            listener_wrong,
            false,
            target.as_deref(),
        ),
    )
}

/// The finding for the phase that failed: what was learned before it is evidence, the
/// phase and the kind of failure pick the code.
fn failure_rule(ctx: &Ctx<'_>, f: &PhaseFailure) -> Finding {
    let mut evidence = vec![format!("{} phase: {}", f.phase.name(), f.message)];
    evidence.extend(received_evidence(ctx.obs));
    if f.overall_deadline {
        evidence.push("cut short by the overall deadline (--deadline)".into());
    }
    if let Some(found) = wire_failure(ctx, f, &evidence) {
        return found;
    }
    match (f.phase, f.kind) {
        (_, FailureKind::Timeout) if f.overall_deadline => deadline_exceeded(ctx, f, evidence),
        // Over TLS (after STARTTLS, or from the first byte on an implicit-TLS port, where the
        // greeting is read over TLS too): the session broke, whatever the step.
        (Phase::TlsSession, _)
        | (_, FailureKind::TlsAlert | FailureKind::TlsError | FailureKind::ClientCertRequired) => {
            tls_session_failed(ctx, f, evidence)
        }
        (Phase::Connect, kind) => connect_failure(ctx, kind, evidence),
        (Phase::Banner, FailureKind::Timeout) => banner_timeout(ctx, evidence),
        // 421 is the service closing the channel (RFC 5321 §3.8), in answer to any command:
        // a "later", not a server that cannot start TLS.
        (Phase::Starttls, FailureKind::TemporaryReply)
            if f.reply.as_ref().is_some_and(|r| r.code == 421) =>
        {
            temporary_refusal(ctx, f)
        }
        // 454 is formally transient (RFC 3207 §4) but in the field it is a standing
        // misconfiguration (Postfix: the key cannot be loaded), so it is a failure.
        (Phase::Starttls, FailureKind::Rejected | FailureKind::TemporaryReply) => {
            starttls_refused(ctx, f)
        }
        (_, FailureKind::TemporaryReply) => temporary_refusal(ctx, f),
        (Phase::Banner | Phase::Ehlo, FailureKind::Rejected) => refused(ctx, f),
        (Phase::Handshake, _) => handshake_failure(ctx, f, evidence),
        (_, FailureKind::Timeout) => ctx.finding(
            Code::SmtpTimeout,
            format!("no reply during {}: {}", f.phase.name(), f.message),
            evidence,
            generic::smtp_timeout(),
        ),
        (_, FailureKind::Closed) => ctx.finding(
            Code::SmtpConnectionClosed,
            format!("the server closed the connection during {}", f.phase.name()),
            {
                let mut e = ehlo_evidence(ctx);
                e.extend(evidence);
                e
            },
            generic::connection_closed(),
        ),
        (_, FailureKind::Protocol) => protocol_error(ctx, f, evidence),
        _ => ctx.finding(
            Code::ConnectFailed,
            format!("the probe failed during {}: {}", f.phase.name(), f.message),
            evidence,
            generic::probe_failed(),
        ),
    }
}

/// No complete greeting in time: none at all, or part of one (a line without its end, or
/// `220-` continuation lines whose last line never came, as during a greet pause).
fn banner_timeout(ctx: &Ctx<'_>, evidence: Vec<String>) -> Finding {
    let got = &ctx.obs.wire.received_so_far;
    let (summary, fix) = if got.is_empty() {
        (
            "the server accepted the connection but sent no greeting".to_string(),
            generic::banner_timeout(),
        )
    } else if got.ends_with(b"\n") {
        (
            "the server sent the first lines of a multi-line greeting (220-) and never its last line: a greet pause \
             (Postfix postscreen, sendmail greet_pause) longer than --timeout, or a hung server"
                .to_string(),
            wire::greeting_unfinished(true),
        )
    } else {
        // A CR as the last byte: its LF may be late or never sent; nothing proves the
        // server ends its lines with CR alone (that needs a CR followed by more bytes).
        let cr = if got.ends_with(b"\r") {
            " (its last byte is a CR; the LF after it never came)"
        } else {
            ""
        };
        (
            format!("the server sent part of a greeting and never finished its line{cr}"),
            wire::greeting_unfinished(false),
        )
    };
    ctx.finding(Code::BannerTimeout, summary, evidence, fix)
}

/// What was read is no SMTP reply, a reply over this probe's limits, or a reply with a code
/// that cannot answer where it came.
fn protocol_error(ctx: &Ctx<'_>, f: &PhaseFailure, evidence: Vec<String>) -> Finding {
    let port = ctx.port();
    if let Some(r) = &f.reply {
        let mut e = ehlo_evidence(ctx);
        e.extend(evidence);
        return ctx.finding(
            Code::SmtpProtocolError,
            format!(
                "the server broke the SMTP protocol during {}: {}",
                f.phase.name(),
                f.message
            ),
            e,
            wire::wrong_code(r.code, port),
        );
    }
    if is_over_limit(&f.message) {
        // Legal SMTP may be longer than this probe reads: a limit of ours, not a verdict on
        // the server, so no failure.
        return ctx.finding_with(
            Code::SmtpReplyOverLimit,
            Severity::Warn,
            format!(
                "the {} reply is longer than this probe reads: {}; TLS was not checked",
                f.phase.name(),
                f.message
            ),
            evidence,
            wire::over_limit(port),
        );
    }
    ctx.finding(
        Code::SmtpProtocolError,
        format!("not an SMTP server: {}", f.message),
        evidence,
        generic::not_smtp(port),
    )
}

/// The run's deadline ended the probe, or came before its turn.
fn deadline_exceeded(ctx: &Ctx<'_>, f: &PhaseFailure, evidence: Vec<String>) -> Finding {
    let summary = match ctx.obs.waits.never_started {
        Some(_) => "the run's deadline came before the probe's turn: never connected to".into(),
        None => format!(
            "the run's deadline ended the probe during {}",
            f.phase.name()
        ),
    };
    ctx.finding(
        Code::ProbeDeadlineExceeded,
        summary,
        evidence,
        generic::deadline_exceeded(),
    )
}

/// TLS was up, then the session over it failed: the TLS layer broke (an alert, a corrupt
/// record, a cut without close_notify), the server demands a client certificate, or the
/// server refused what came over TLS.
fn tls_session_failed(ctx: &Ctx<'_>, f: &PhaseFailure, evidence: Vec<String>) -> Finding {
    let fix = match f.kind {
        FailureKind::ClientCertRequired => fixes::trust::client_cert_required(),
        FailureKind::TlsAlert | FailureKind::TlsError => fixes::trust::session_broke(),
        FailureKind::Closed if f.phase == Phase::TlsSession => fixes::trust::session_broke(),
        _ => generic::tls_session_failed(),
    };
    ctx.finding(
        Code::SmtpTlsSessionFailed,
        format!(
            "TLS was established, then the SMTP session over it failed: {}",
            f.message
        ),
        evidence,
        fix,
    )
}

/// No TCP connection: refused (nothing listens), timed out (dropped), or no route.
fn connect_failure(ctx: &Ctx<'_>, kind: FailureKind, evidence: Vec<String>) -> Finding {
    let port = ctx.port();
    match kind {
        FailureKind::Refused => ctx.finding(
            Code::ConnectRefused,
            format!("port {port} is closed: the connection was refused"),
            evidence,
            generic::connect_refused(port),
        ),
        FailureKind::Timeout => ctx.finding(
            Code::ConnectTimeout,
            format!("no answer on port {port}: the connection attempt timed out"),
            evidence,
            generic::connect_timeout(port),
        ),
        _ => ctx.finding(
            Code::ConnectFailed,
            format!("cannot connect to {}", ctx.obs.endpoint.address),
            evidence,
            generic::connect_failed(),
        ),
    }
}

/// STARTTLS was advertised but the command was refused: as an unknown command (a middlebox
/// rewrote it), or because the server cannot start TLS (its certificate or key).
fn starttls_refused(ctx: &Ctx<'_>, f: &PhaseFailure) -> Finding {
    let r = f.reply.as_ref();
    let line = r.map(|r| r.one_line()).unwrap_or_default();
    let mangled = r.is_some_and(|r| matches!(r.code, 500 | 502));
    let fix = if mangled {
        cisco::starttls_rewritten(ctx.kind == ServerKind::Exchange)
    } else {
        fixes::starttls_unavailable(ctx.kind, ctx.port())
    };
    let mut evidence = ehlo_evidence(ctx);
    evidence.push(format!("STARTTLS → {line}"));
    ctx.finding(
        Code::StarttlsRejected,
        format!("STARTTLS refused: {line}"),
        evidence,
        fix,
    )
}

/// A 4xx before TLS: nothing is known yet.
fn temporary_refusal(ctx: &Ctx<'_>, f: &PhaseFailure) -> Finding {
    let r = f.reply.as_ref().map(|r| r.one_line()).unwrap_or_default();
    let mut evidence = banner_evidence(ctx);
    evidence.push(format!("{} phase: {r}", f.phase.name()));
    ctx.finding(
        Code::SmtpTemporaryRefusal,
        format!("temporary refusal before TLS: {r}"),
        evidence,
        generic::temporary_refusal(),
    )
}

/// A 5xx at connect (our address is not welcome) or to our EHLO (our name is not).
fn refused(ctx: &Ctx<'_>, f: &PhaseFailure) -> Finding {
    let r = f.reply.as_ref().map(|r| r.one_line()).unwrap_or_default();
    let fix = if f.phase == Phase::Banner {
        generic::refused_at_connect(ctx.obs.local_addr.map(|a| a.ip()))
    } else {
        generic::ehlo_refused(&ctx.obs.endpoint.host.to_string())
    };
    let mut evidence = ehlo_evidence(ctx);
    evidence.push(format!("{} phase: {r}", f.phase.name()));
    ctx.finding(
        Code::SmtpRejected,
        format!("refused with {r}"),
        evidence,
        fix,
    )
}

/// The TLS handshake failed; the TLS library's classification picks the fix. A refused
/// handshake signature is explained by the certificate when its key was parsed: a weak key
/// (reported as cert-weak-key, which leads) or, at a good size, a key that does not belong to
/// the certificate. Only without a parsed key does the summary keep both possibilities.
fn handshake_failure(ctx: &Ctx<'_>, f: &PhaseFailure, mut evidence: Vec<String>) -> Finding {
    let (reason, kind) = ctx
        .obs
        .handshake_error
        .as_ref()
        .map(|h| (h.reason.clone(), h.kind))
        .unwrap_or_else(|| (f.message.clone(), HandshakeFailure::Other));
    // The detail is the library's message, then what the server sent, a line each (tls).
    // The message is shown in words: a variant name means nothing to an admin.
    let mut lines = ctx
        .obs
        .handshake_error
        .iter()
        .flat_map(|h| h.detail.lines());
    if let Some(library) = lines.next() {
        evidence.push(format!(
            "TLS library: {}",
            crate::tls::library_words(library)
        ));
    }
    // Those lines were escaped where they were written (tls::heard).
    evidence.extend(lines.map(str::to_string));
    let port = ctx.port();
    // Only a signature that does not verify says the key is not the certificate's; a
    // misbehaving peer (an unadvertised scheme) says nothing about the key.
    let bad_signature = ctx.obs.handshake_error.as_ref().is_some_and(|h| {
        h.detail
            .lines()
            .next()
            .is_some_and(|l| l.contains("BadSignature"))
    });
    // Asked for a client certificate and then refused, without saying certificate_required:
    // probably the certificate, but the fix must not assume it.
    let client_cert_unsure = ctx.obs.handshake_error.as_ref().is_some_and(|h| {
        h.kind == HandshakeFailure::ClientCertRequired && !crate::tls::client_cert_certain(h)
    });
    let (reason, fix) = match (kind, ctx.chain.first()) {
        (HandshakeFailure::WeakOrBadKey, Some(leaf)) if leaf.weak_key() => (
            format!(
                "this client refuses the server's {} {}-bit key (rustls accepts RSA keys from 2048 bits; Exchange Online and OpenSSL \
                 at security level 2 refuse it too)",
                leaf.key_type, leaf.key_bits
            ),
            fixes::handshake(ctx.kind, port, kind),
        ),
        (HandshakeFailure::WeakOrBadKey, Some(leaf)) if bad_signature => (
            format!(
                "the server's handshake signature does not match the {} {}-bit key of the certificate it sent: \
                 its private key and certificate do not belong together",
                leaf.key_type, leaf.key_bits
            ),
            fixes::install_certificate(ctx.kind, port, generic::matching_key(), None),
        ),
        (HandshakeFailure::WeakOrBadKey, Some(_)) => (
            "the server's handshake signature was refused (see the TLS library's message)"
                .to_string(),
            generic::handshake_failed(),
        ),
        _ if client_cert_unsure => (reason, fixes::trust::client_cert_asked()),
        _ => (reason, fixes::handshake(ctx.kind, port, kind)),
    };
    let (reason, fix) = super::tls_policy::after_second_hello(ctx, reason, fix, &mut evidence);
    ctx.finding(
        Code::TlsHandshakeFailed,
        format!("TLS handshake failed: {reason}"),
        evidence,
        fix,
    )
}

/// Session-level rules.
pub(crate) fn rules(ctx: &Ctx<'_>) -> Vec<Finding> {
    let obs = ctx.obs;
    let mut out = Vec::new();
    // A handshake that read injected text is explained by the injection finding (which
    // carries the handshake's failure), not by a proxy or a broken TLS stack.
    let read_plaintext = obs.wire.handshake_read_plaintext
        && obs
            .failure
            .as_ref()
            .is_some_and(|f| f.phase == Phase::Handshake);
    let injection_broke_handshake = read_plaintext && !obs.injected.is_empty();
    // A 421 the server sent unasked is its notice that it closes the session (RFC 5321
    // §3.8, allowed at any time): it explains the hang-up or silence that follows.
    let closing = closing_notice(obs);
    let explained_by_421 = closing.is_some()
        && obs
            .failure
            .as_ref()
            .is_some_and(|f| matches!(f.kind, FailureKind::Closed | FailureKind::Timeout));
    if let Some(f) = &obs.failure
        && !injection_broke_handshake
        && !explained_by_421
    {
        // No injected bytes: the plaintext was an error answering our ClientHello.
        out.push(if read_plaintext {
            plaintext_answer(ctx, f)
        } else {
            failure_rule(ctx, f)
        });
    }
    if let (Some(ehlo), Some(helo)) = (&obs.ehlo, &obs.helo)
        && helo.is_positive()
        && obs.endpoint.tls_mode == TlsMode::Starttls
    {
        let mut e = banner_evidence(ctx);
        e.push(format!("EHLO {} → {}", obs.ehlo_name, ehlo.one_line()));
        e.push(format!("HELO {} → {}", obs.ehlo_name, helo.one_line()));
        out.push(ctx.finding(
            Code::SmtpNoEsmtp,
            "EHLO is refused but HELO works: this path speaks plain SMTP only, so STARTTLS is impossible".into(),
            e,
            cisco::ehlo_rewritten(),
        ));
    }
    let starttls_mode = obs.endpoint.tls_mode == TlsMode::Starttls;
    let not_offered_seen = starttls_mode
        && obs.failure.is_none()
        && obs.helo.is_none()
        && obs.capabilities.as_ref().is_some_and(|c| !c.starttls());
    // The EHLO reply judged may have answered something else: then the desync is the
    // finding, not a missing STARTTLS. Only an out-of-turn reply at or before EHLO, or one
    // later that looks like an EHLO reply, can have hidden it.
    let hidden = not_offered_seen && may_hide_starttls(obs);
    if let Some(notice) = closing {
        out.push(shutting_down(ctx, notice));
    } else if !obs.wire.unsolicited.is_empty() {
        out.push(desync(ctx, hidden));
    }
    if not_offered_seen && !hidden {
        out.push(not_offered(ctx));
    }
    if !obs.injected.is_empty() {
        out.push(injection(ctx, injection_broke_handshake));
    }
    out
}

/// After its `220` to STARTTLS the server answered our ClientHello in plaintext (`500 5.5.1
/// Command unrecognized`, an HTTP `400`): it, or a box in the path, never switched to TLS.
/// Nothing was waiting before the hello, so this is no injection: the bytes came after it.
fn plaintext_answer(ctx: &Ctx<'_>, f: &PhaseFailure) -> Finding {
    let got = &ctx.obs.wire.received_so_far;
    let looks_smtp =
        got.len() >= 4 && got[..3].iter().all(u8::is_ascii_digit) && matches!(got[3], b' ' | b'-');
    let mut evidence = vec![format!("{} phase: {}", f.phase.name(), f.message)];
    if let Some(r) = &ctx.obs.starttls_reply {
        evidence.push(format!("STARTTLS → {}", r.one_line()));
    }
    let n = ctx.obs.wire.received_total;
    let cut = if n > got.len() {
        format!("; the first {} shown", got.len())
    } else {
        String::new()
    };
    evidence.push(format!(
        "read by the handshake, after our ClientHello went out ({n} bytes{cut}): \"{}\"",
        escape(got)
    ));
    evidence.push(
        "nothing was waiting before the ClientHello, so these answer it; a TLS record starts with a content type of 20-24 and \
         version 3.x, these do not"
            .into(),
    );
    let what = if looks_smtp {
        "answered our TLS ClientHello with an SMTP reply"
    } else {
        "answered our TLS ClientHello in plaintext"
    };
    ctx.finding_with(
        Code::TlsHandshakeFailed,
        Severity::Fail,
        format!("TLS handshake failed: the server did not start TLS after its 220; it {what}"),
        evidence,
        wire::plaintext_answer(ctx.port()),
    )
}

/// The most bytes of injected text shown in evidence.
const INJECTED_SHOWN: usize = 200;

/// Bytes after the STARTTLS 220: in the socket before the handshake, or read by it.
fn injection(ctx: &Ctx<'_>, broke_handshake: bool) -> Finding {
    let obs = ctx.obs;
    let n = obs.injected.len();
    let cut = if n > INJECTED_SHOWN {
        format!("; the first {INJECTED_SHOWN} shown")
    } else {
        String::new()
    };
    let mut evidence = vec![format!(
        "{n} bytes{cut}: \"{}\"",
        escape(&obs.injected[..n.min(INJECTED_SHOWN)])
    )];
    if !broke_handshake {
        return ctx.finding(
            Code::StarttlsInjection,
            "the server sent data after its STARTTLS 220, before the handshake".into(),
            evidence,
            generic::injection(),
        );
    }
    evidence.push(
        "the TLS handshake read them where the server's first TLS record should be (a record starts with a content type of 20-24 and \
         version 3.x; these do not)"
            .into(),
    );
    if let Some(f) = &obs.failure {
        evidence.push(format!("{} phase: {}", f.phase.name(), f.message));
    }
    ctx.finding_with(
        Code::StarttlsInjection,
        Severity::Fail,
        "the server sent plaintext after its STARTTLS 220, and the TLS handshake failed on it: TLS never started".into(),
        evidence,
        wire::injection_broke_handshake(),
    )
}

/// An out-of-turn reply came at or before EHLO (so the reply taken for EHLO may be another's),
/// or later looks like an EHLO reply (`250-` lines, or STARTTLS named): the real EHLO answer.
fn may_hide_starttls(obs: &Observation) -> bool {
    obs.wire.unsolicited.iter().any(|u| {
        let text = String::from_utf8_lossy(&u.bytes).to_ascii_uppercase();
        matches!(u.command.as_str(), "EHLO" | "HELO")
            || text.starts_with("250-")
            || text.contains("\n250-")
            || text.contains("STARTTLS")
    })
}

/// The most bytes of one unsolicited reply shown in evidence.
const UNSOLICITED_SHOWN: usize = 300;

/// Replies out of step with the commands. `hid_starttls`: the EHLO reply judged lacked
/// STARTTLS, which the desync leaves unproven.
/// The unsolicited replies, when every one is a 421: the server's notice that it closes.
fn closing_notice(obs: &crate::model::Observation) -> Option<&crate::smtp::Unsolicited> {
    let all = &obs.wire.unsolicited;
    let closing = |u: &crate::smtp::Unsolicited| u.bytes.starts_with(b"421");
    (!all.is_empty() && all.iter().all(closing))
        .then(|| all.first())
        .flatten()
}

/// The server announced, unasked, that it closes the session (`421`): a busy or shutting-down
/// server, or a limit on this client; nothing is known about TLS yet.
fn shutting_down(ctx: &Ctx<'_>, notice: &crate::smtp::Unsolicited) -> Finding {
    let shown = escape(&notice.bytes[..notice.bytes.len().min(UNSOLICITED_SHOWN)]);
    let mut evidence = banner_evidence(ctx);
    evidence.push(format!(
        "sent unasked before {} (RFC 5321 §3.8 allows a 421 at any time): \"{shown}\"",
        notice.command
    ));
    if let Some(f) = &ctx.obs.failure {
        evidence.push(format!("{} phase: {}", f.phase.name(), f.message));
    }
    ctx.finding(
        Code::SmtpTemporaryRefusal,
        format!(
            "the server closed the session with a 421 before {}: no TLS verdict possible",
            notice.command
        ),
        evidence,
        generic::temporary_refusal(),
    )
}

fn desync(ctx: &Ctx<'_>, hid_starttls: bool) -> Finding {
    let obs = ctx.obs;
    let mut evidence = banner_evidence(ctx);
    let mut offers_starttls = false;
    for u in &obs.wire.unsolicited {
        let n = u.bytes.len();
        let cut = if n > UNSOLICITED_SHOWN {
            format!(" (the first {UNSOLICITED_SHOWN} of {n} bytes)")
        } else {
            String::new()
        };
        let shown = escape(&u.bytes[..n.min(UNSOLICITED_SHOWN)]);
        offers_starttls |= String::from_utf8_lossy(&u.bytes)
            .to_ascii_uppercase()
            .contains("STARTTLS");
        evidence.push(match u.how {
            UnsolicitedHow::BeforeCommand => format!(
                "already waiting before {}, unasked{cut}: \"{shown}\"",
                u.command
            ),
            UnsolicitedHow::WrongCode => format!(
                "in answer to {}, a reply that cannot answer it{cut}: \"{shown}\"",
                u.command
            ),
        });
    }
    if let Some(r) = &obs.ehlo {
        evidence.push(format!(
            "taken as the answer to EHLO: {}{}",
            r.one_line(),
            if can_answer("EHLO", r.code) {
                ""
            } else {
                " (its code cannot answer EHLO)"
            }
        ));
    }
    let before_tls = obs
        .wire
        .unsolicited
        .iter()
        .any(|u| matches!(u.command.as_str(), "EHLO" | "HELO" | "STARTTLS"));
    let severity = if hid_starttls || before_tls {
        Severity::Fail
    } else {
        Severity::Warn
    };
    let summary = match (hid_starttls, offers_starttls) {
        (true, true) => "the server's replies are out of step with the commands: the reply taken for EHLO has no STARTTLS, but a reply \
             offering STARTTLS arrived out of turn; senders reading replies in order see no STARTTLS"
            .to_string(),
        (true, false) => "the server's replies are out of step with the commands: the reply taken for EHLO may answer something \
             else, so whether STARTTLS is offered cannot be told"
            .to_string(),
        _ => "the server sent replies nobody asked for: its answers are out of step with the commands, and senders that read \
             replies in order take each one for the wrong command"
            .to_string(),
    };
    ctx.finding_with(
        Code::SmtpReplyDesync,
        severity,
        summary,
        evidence,
        wire::desync(ctx.port()),
    )
}

fn not_offered(ctx: &Ctx<'_>) -> Finding {
    let port = ctx.port();
    let mut evidence = ehlo_evidence(ctx);
    let masked = middlebox::masked_keywords(ctx.obs);
    if !masked.is_empty() {
        evidence.push(format!(
            "keywords overwritten with X's: {}",
            masked.join(", ")
        ));
    }
    // The ASA masks in place: only an 8-letter mask can be where STARTTLS was, and only
    // counting says it was (see middlebox::starttls_mask). When it may be, the fix says how to
    // tell, then both changes; other masks leave the server's own fix.
    let server_fix = || {
        let fqdn = ctx
            .obs
            .capabilities
            .as_ref()
            .map(|c| c.greeting_name.clone())
            .unwrap_or_default();
        fixes::starttls_not_offered(ctx.kind, port, &fqdn, ctx.ev.seen_as)
    };
    let banner = middlebox::banner_masked(ctx.obs);
    let fix = match middlebox::starttls_mask(ctx.obs) {
        StarttlsMask::Certain => cisco::keywords_masked(banner, StarttlsMask::Certain),
        StarttlsMask::Possible => {
            cisco::keywords_masked(banner, StarttlsMask::Possible).followed_by(server_fix())
        }
        StarttlsMask::No => not_offered_fix(ctx, &masked, banner, server_fix),
    };
    ctx.finding(
        Code::StarttlsNotOffered,
        format!("STARTTLS is not offered on port {port}"),
        evidence,
        fix,
    )
}

/// The fix for a missing STARTTLS that no masked keyword explains.
fn not_offered_fix(
    ctx: &Ctx<'_>,
    masked: &[String],
    banner_masked: bool,
    server_fix: impl Fn() -> crate::diagnose::Fix,
) -> crate::diagnose::Fix {
    if masked.is_empty() && banner_masked {
        cisco::banner_masked(true)
    } else if middlebox::ehlo_downgraded(ctx.obs) {
        cisco::ehlo_downgraded()
    } else if let (ServerKind::ExchangeOnline, Some(check)) = (ctx.kind, &ctx.obs.blocklist)
        && !check.outcome.as_ref().is_ok_and(|answers| {
            answers
                .iter()
                .any(|a| matches!(a.status, crate::model::ListStatus::Listed(_)))
        })
    {
        // The lists were asked: a listing is its own finding (the cause); here they did not
        // explain it, and the fix says what is left rather than to look up the address again.
        fixes::blocklist::withheld_unexplained(check)
    } else {
        server_fix()
    }
}

/// The healthy summary.
pub(crate) fn healthy(ctx: &Ctx<'_>) -> Finding {
    let tls = ctx.obs.tls.as_ref();
    let version = tls.map(|t| t.version.label()).unwrap_or_default();
    let cipher = tls.map(|t| t.cipher_suite.clone()).unwrap_or_default();
    let (days, until) = ctx
        .chain
        .first()
        .map(|c| (c.days_left, date(c.not_after_at)))
        .unwrap_or((0, String::new()));
    let how = if ctx.obs.endpoint.tls_mode == TlsMode::Implicit {
        "implicit TLS"
    } else {
        "STARTTLS"
    };
    ctx.finding(
        Code::StarttlsOk,
        format!("{how} works: {version}, {cipher}, certificate valid for {days} more days (until {until})"),
        vec![
            format!("{version} {cipher}{}", tls.and_then(|t| t.key_exchange.as_ref()).map(|k| format!(" {k}")).unwrap_or_default()),
            format!("certificate trusted and covers the names checked; expires {until}"),
        ],
        generic::nothing_to_change(&until),
    )
}
