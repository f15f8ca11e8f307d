//! The `listen` report: every sender's session with its findings, in the human, Markdown and
//! JSON formats (JSON: `mode: "listen"` and a `sessions` array, `docs/report.schema.json`
//! `$defs/listen`).
//!
//! The human and Markdown formats print each session as it ends ([`render_session_live`])
//! and a summary when the run ends ([`render_final`]); JSON is one document at the end. Every
//! byte a sender chose is escaped before it gets here (the model keeps EHLO names, addresses
//! and SNI escaped; transcripts and pipelined bytes go through [`crate::smtp::escape`]), and
//! Markdown escapes it again as cell text, so nothing a sender sends can act on a terminal or
//! become a link in a ticket.

use std::fmt::Write as _;

use time::OffsetDateTime;

use super::human::{finding as human_finding, paint, verdict_style};
use super::markdown::{cell, fenced, fix as markdown_fix};
use super::redact::Redactor;
use super::{Format, RenderOptions, TlsDto, Tool, TranscriptLine, TrustDto, Verdict};
use crate::cert::{CertInfo, rfc3339};
use crate::diagnose::rules::listen::{run_findings, session_findings_with};
use crate::diagnose::{Code, Finding, Severity};
use crate::listen::model::{
    Greeting, ListenHandshakeFailure, ListenRun, OfferedHello, Ptr, RunEnd, SenderSession,
    SessionEnd, StarttlsUse, version_name,
};
use crate::smtp::{Direction, escape};

/// At most this many cipher suites are named in the human and Markdown summaries of a
/// ClientHello (the JSON has them all).
const SUITES_SHOWN: usize = 4;

/// The report of one `listen` run: the run, each session with its findings, the verdict.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ListenReport {
    /// Bumped only on an incompatible change.
    pub schema_version: u32,
    /// This tool.
    pub tool: Tool,
    /// Always `listen`.
    pub mode: &'static str,
    /// When the report was made, RFC 3339 UTC.
    pub generated_at: String,
    /// The command line as run, quoted for a POSIX shell (set by the command).
    pub invocation: Option<String>,
    /// Where and how the listener ran.
    pub listen: ListenDto,
    /// The verdict over every session (`unknown` when no sender came).
    pub verdict: Verdict,
    /// The first line a human reads.
    pub headline: String,
    /// The run's own findings (`listen-no-sender`); each session has its own.
    pub findings: Vec<Finding>,
    /// Every session, in the order they began.
    pub sessions: Vec<SessionReport>,
    /// How long the listener ran (not in the JSON).
    #[serde(skip)]
    pub ran_for: time::Duration,
}

/// Where and how the listener ran.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ListenDto {
    /// The address bound (`127.0.0.1:2525`).
    pub address: String,
    /// Bound to a non-loopback address with `--public`.
    pub public: bool,
    /// Why the run ended.
    pub ended: RunEnd,
    /// `--expect-name`.
    pub expect_names: Vec<String>,
    /// The certificate offered after STARTTLS.
    pub certificate: OurCertificateDto,
}

/// The listener's own certificate.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OurCertificateDto {
    /// Subject DN.
    pub subject: String,
    /// Its DNS names.
    pub dns_names: Vec<String>,
    /// SHA-256 of the DER.
    pub sha256: String,
    /// Made at start (self-signed) rather than given with `--cert`.
    pub generated: bool,
}

/// A sender's reverse name.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PtrDto {
    /// `skipped`, `found`, `none` or `failed`.
    pub status: &'static str,
    /// The PTR names (escaped).
    pub names: Vec<String>,
    /// A name leads back to the address (null unless found).
    pub forward_confirmed: Option<bool>,
    /// Why skipped, or how it failed.
    pub detail: Option<String>,
}

/// What a ClientHello offered.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HelloDto {
    /// The hello's legacy_version (`TLS 1.2`).
    pub legacy_version: String,
    /// The versions offered, newest first: the `supported_versions` list, or, for a hello
    /// without one (`highest_only`), its one highest version.
    pub versions: Vec<String>,
    /// The hello sent no `supported_versions`: `versions` is its highest version only, and
    /// says nothing about older ones.
    pub highest_only: bool,
    /// The cipher suites, in the sender's order.
    pub cipher_suites: Vec<String>,
    /// The SNI host name (escaped).
    pub sni: Option<String>,
    /// ALPN protocols (escaped).
    pub alpn: Vec<String>,
    /// Supported groups.
    pub groups: Vec<String>,
    /// The hello could not be parsed completely.
    pub truncated: bool,
}

/// Why a handshake failed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HandshakeErrorDto {
    /// The category.
    pub kind: ListenHandshakeFailure,
    /// In plain words.
    pub reason: String,
    /// The library's message.
    pub detail: String,
}

/// The certificate a sender presented.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ClientCertificateDto {
    /// The leaf.
    pub certificate: CertInfo,
    /// The chain as sent, leaf first.
    pub chain: Vec<CertInfo>,
    /// The chain check (null: not judged).
    pub trust: Option<TrustDto>,
}

/// One sender's session in the report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionReport {
    /// 1-based, in accept order.
    pub id: usize,
    /// The sender's address.
    pub peer: String,
    /// Its reverse name.
    pub ptr: PtrDto,
    /// When it connected.
    pub started_at: String,
    /// From accept to close.
    pub duration_ms: u64,
    /// The first EHLO or HELO.
    pub greeting: Option<Greeting>,
    /// `used`, `not-used`, `handshake-failed`.
    pub starttls: StarttlsUse,
    /// What its ClientHello offered.
    pub client_hello: Option<HelloDto>,
    /// What was negotiated.
    pub tls: Option<TlsDto>,
    /// Why the handshake failed.
    pub handshake_error: Option<HandshakeErrorDto>,
    /// The certificate it presented.
    pub client_certificate: Option<ClientCertificateDto>,
    /// The greeting after TLS.
    pub greeting_after_tls: Option<Greeting>,
    /// `MAIL FROM` (escaped).
    pub mail_from: Option<String>,
    /// Every `RCPT TO` (escaped).
    pub rcpt_to: Vec<String>,
    /// The refusal given.
    pub refused_with: Option<String>,
    /// How it ended.
    pub end: &'static str,
    /// The last step, or the error.
    pub end_detail: Option<String>,
    /// The session's verdict.
    pub verdict: Verdict,
    /// Its findings, most important first.
    pub findings: Vec<Finding>,
    /// The conversation, escaped.
    pub transcript: Vec<TranscriptLine>,
}

fn ptr_dto(p: &Ptr) -> PtrDto {
    match p {
        Ptr::Skipped(why) => PtrDto {
            status: "skipped",
            names: Vec::new(),
            forward_confirmed: None,
            detail: Some((*why).to_string()),
        },
        Ptr::Names {
            names,
            forward_confirmed,
        } => PtrDto {
            status: "found",
            names: names.clone(),
            forward_confirmed: Some(*forward_confirmed),
            detail: None,
        },
        Ptr::None => PtrDto {
            status: "none",
            names: Vec::new(),
            forward_confirmed: None,
            detail: None,
        },
        Ptr::Failed(why) => PtrDto {
            status: "failed",
            names: Vec::new(),
            forward_confirmed: None,
            detail: Some(crate::text::braced(why)),
        },
    }
}

/// `TLS13_AES_256_GCM_SHA384`, as the probe names suites (rustls's names, then the probe's
/// table of older IANA names), else the code point as `0x00A7`: never a Rust debug name.
fn suite_name(v: u16) -> String {
    if let Some(n) = rustls::CipherSuite::from(v).as_str() {
        return n.to_string();
    }
    let legacy = crate::tls::legacy::cipher_name(v);
    if legacy.starts_with("suite ") {
        format!("0x{v:04X}")
    } else {
        legacy
    }
}

/// `X25519`, `secp256r1`, else the code point as `0x0101`.
fn group_name(v: u16) -> String {
    rustls::NamedGroup::from(v)
        .as_str()
        .map_or_else(|| format!("0x{v:04X}"), str::to_string)
}

fn hello_dto(h: &OfferedHello) -> HelloDto {
    HelloDto {
        legacy_version: version_name(h.legacy_version),
        versions: h.versions().into_iter().map(version_name).collect(),
        highest_only: h.highest_only(),
        cipher_suites: h.cipher_suites.iter().copied().map(suite_name).collect(),
        sni: h.sni.clone(),
        alpn: h.alpn.clone(),
        groups: h.groups.iter().copied().map(group_name).collect(),
        truncated: h.truncated,
    }
}

fn end_dto(e: &SessionEnd) -> (&'static str, Option<String>) {
    match e {
        SessionEnd::Quit => ("quit", None),
        SessionEnd::Disconnected { after } => ("disconnected", Some(after.clone())),
        SessionEnd::Timeout { after } => ("timeout", Some(after.clone())),
        SessionEnd::ProtocolError(why) => ("protocol-error", Some(crate::text::braced(why))),
        SessionEnd::Error(why) => ("error", Some(crate::text::braced(why))),
        SessionEnd::RunEnded => ("run-ended", None),
    }
}

/// Converts one session, judged against `expect` at `now`.
fn session_report(
    s: &SenderSession,
    expect: &[String],
    warn_days: i64,
    now: OffsetDateTime,
) -> SessionReport {
    let findings = session_findings_with(s, expect, now, warn_days);
    let chain: Vec<CertInfo> = s
        .client_chain
        .iter()
        .filter_map(|der| CertInfo::parse(der, now).ok())
        .collect();
    let client_certificate = s
        .client_chain
        .first()
        .and_then(|der| CertInfo::parse(der, now).ok())
        .map(|leaf| ClientCertificateDto {
            certificate: leaf,
            chain,
            trust: s.client_trust.as_ref().map(|t| TrustDto {
                trusted: t.trusted,
                valid_now: t.valid_now,
                reason: t.reason.clone(),
            }),
        });
    let (end, end_detail) = end_dto(&s.end);
    SessionReport {
        id: s.id,
        peer: s.peer.to_string(),
        ptr: ptr_dto(&s.ptr),
        started_at: rfc3339(s.started_at),
        duration_ms: u64::try_from(s.duration.as_millis()).unwrap_or(u64::MAX),
        greeting: s.greeting.clone(),
        starttls: s.starttls,
        client_hello: s.client_hello.as_ref().map(hello_dto),
        tls: s.tls.as_ref().map(|t| TlsDto {
            version: t.version,
            cipher_suite: t.cipher_suite.clone(),
            key_exchange: t.key_exchange.clone(),
        }),
        handshake_error: s.handshake_error.as_ref().map(|e| HandshakeErrorDto {
            kind: e.kind,
            reason: crate::text::braced(&e.reason),
            detail: crate::text::braced(&e.detail),
        }),
        client_certificate,
        greeting_after_tls: s.greeting_after_tls.clone(),
        mail_from: s.mail_from.clone(),
        rcpt_to: s.rcpt_to.clone(),
        refused_with: s.refused_with.as_deref().map(crate::text::braced),
        end,
        end_detail,
        verdict: Verdict::from_findings(&findings),
        findings,
        transcript: s
            .transcript
            .entries
            .iter()
            .map(|e| TranscriptLine {
                at_ms: e.at_ms,
                direction: e.direction,
                line: escape(&e.bytes),
            })
            .collect(),
    }
}

/// Judges a finished run (the rules run here, once per session and once for the run).
pub fn assemble(run: &ListenRun, now: OffsetDateTime) -> ListenReport {
    let sessions: Vec<SessionReport> = run
        .sessions
        .iter()
        .map(|s| session_report(s, &run.expect_names, run.warn_days, now))
        .collect();
    let findings = run_findings(run);
    let mut all: Vec<Finding> = findings
        .iter()
        .cloned()
        .chain(sessions.iter().flat_map(|s| s.findings.iter().cloned()))
        .collect();
    crate::diagnose::rank(&mut all);
    let verdict = if sessions.is_empty() {
        Verdict::Unknown
    } else {
        Verdict::from_findings(&all)
    };
    let address = run.bound.to_string();
    let headline = headline(verdict, &address, &all, &sessions);
    ListenReport {
        schema_version: 1,
        tool: Tool {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        mode: "listen",
        generated_at: rfc3339(now),
        invocation: None,
        listen: ListenDto {
            address,
            public: run.public,
            ended: run.ended,
            expect_names: run.expect_names.clone(),
            certificate: OurCertificateDto {
                subject: run.certificate.subject.clone(),
                dns_names: run.certificate.dns_names.clone(),
                sha256: run.certificate.sha256.clone(),
                generated: run.certificate.generated,
            },
        },
        verdict,
        headline,
        findings,
        sessions,
        ran_for: now - run.started_at,
    }
}

/// `PASS listen 127.0.0.1:2525: the sender used STARTTLS (…) (+1 more)`. When some sessions
/// were judged and others not, the tally follows: `· 1 session passed, 1 unjudged (still
/// open when the run ended)`. A session with no verdict does not change the run's verdict,
/// but the headline never lets it pass unsaid.
fn headline(
    verdict: Verdict,
    address: &str,
    all: &[Finding],
    sessions: &[SessionReport],
) -> String {
    let lead = all
        .iter()
        .find(|f| f.severity > Severity::Info || f.code.inconclusive())
        .or_else(|| all.iter().find(|f| f.code == Code::SenderOk));
    let cause = match lead {
        Some(f) if sessions.len() > 1 => format!("{} — {}", f.summary, f.endpoint),
        Some(f) => f.summary.clone(),
        None if sessions.is_empty() => "no sender connected".to_string(),
        None => format!(
            "{} could not be judged ({})",
            plural(sessions.len(), "session", "sessions"),
            unjudged_why(sessions)
        ),
    };
    let extra = all
        .iter()
        .filter(|f| f.severity >= Severity::Warn)
        .count()
        .saturating_sub(1);
    let more = if extra > 0 {
        format!(" (+{extra} more)")
    } else {
        String::new()
    };
    let unjudged = sessions.iter().any(|r| r.verdict == Verdict::Unknown);
    let judged = sessions.iter().any(|r| r.verdict != Verdict::Unknown);
    let tally = if unjudged && judged {
        format!(" · {}", tally_words(sessions))
    } else {
        String::new()
    };
    format!("{} listen {address}: {cause}{more}{tally}", verdict.label())
}

/// Why a session has no verdict, from how it ended.
fn unjudged_reason(r: &SessionReport) -> &'static str {
    match (r.end, r.end_detail.as_deref()) {
        ("run-ended", _) => "still open when the run ended",
        ("timeout", Some("connect")) => "never greeted",
        _ => "did not reach STARTTLS or MAIL",
    }
}

/// The reasons of every unjudged session, each once: `still open when the run ended`.
fn unjudged_why(sessions: &[SessionReport]) -> String {
    let mut why: Vec<&str> = Vec::new();
    for r in sessions.iter().filter(|r| r.verdict == Verdict::Unknown) {
        let w = unjudged_reason(r);
        if !why.contains(&w) {
            why.push(w);
        }
    }
    why.join("; ")
}

/// `1 session passed, 1 unjudged (still open when the run ended)`.
fn tally_words(sessions: &[SessionReport]) -> String {
    let count = |v: Verdict| sessions.iter().filter(|r| r.verdict == v).count();
    let mut parts = Vec::new();
    for (v, word) in [
        (Verdict::Fail, "failed"),
        (Verdict::Warn, "warned"),
        (Verdict::Pass, "passed"),
    ] {
        let n = count(v);
        if n > 0 {
            let noun = if parts.is_empty() {
                if n == 1 { " session" } else { " sessions" }
            } else {
                ""
            };
            parts.push(format!("{n}{noun} {word}"));
        }
    }
    let n = count(Verdict::Unknown);
    if n > 0 {
        let noun = if parts.is_empty() {
            if n == 1 { " session" } else { " sessions" }
        } else {
            ""
        };
        parts.push(format!("{n}{noun} unjudged ({})", unjudged_why(sessions)));
    }
    parts.join(", ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What is printed when a session ends, before the run is over (human and Markdown; empty
/// for JSON, which is one document at the end). With `--redact`, the session and the text
/// go through the run's `redactor`, which learns what the session names: the summary at the
/// end gives the sender the same placeholders.
#[cfg(test)]
pub fn render_session_live(
    session: &SenderSession,
    expect: &[String],
    now: OffsetDateTime,
    format: Format,
    opts: RenderOptions,
    redactor: &mut Option<Redactor>,
) -> String {
    let warn_days = i64::from(crate::settings::DEFAULT_WARN_DAYS);
    render_session_live_with(session, expect, warn_days, now, format, opts, redactor)
}

/// [`render_session_live`] with the run's `--warn-days`.
pub fn render_session_live_with(
    session: &SenderSession,
    expect: &[String],
    warn_days: i64,
    now: OffsetDateTime,
    format: Format,
    opts: RenderOptions,
    redactor: &mut Option<Redactor>,
) -> String {
    if !matches!(format, Format::Human | Format::Markdown) {
        return String::new();
    }
    let mut r = session_report(session, expect, warn_days, now);
    if let Some(redactor) = redactor.as_mut() {
        redactor.listen_session(&mut r);
    }
    let text = match format {
        Format::Human => human_session(&r, opts),
        _ => markdown_session(&r),
    };
    super::redact::text(redactor, text)
}

/// What is printed when the run ends: the summary (human, Markdown) or the whole document
/// (JSON; one line for JSON Lines).
pub fn render_final(report: &ListenReport, format: Format, opts: RenderOptions) -> String {
    match format {
        Format::Human => human_final(report, opts),
        Format::Markdown => markdown_final(report),
        Format::Jsonl => super::json::line(report),
        _ => super::json::pretty(report),
    }
}

// --- facts in words, shared by the human and Markdown formats ---

fn ptr_words(p: &PtrDto) -> String {
    match p.status {
        "found" => format!(
            "{}{}",
            p.names.join(", "),
            match p.forward_confirmed {
                Some(true) => " (forward-confirmed)",
                Some(false) => " (NOT forward-confirmed)",
                None => "",
            }
        ),
        "none" => "none (no PTR record)".into(),
        status => format!(
            "{status}{}",
            p.detail
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        ),
    }
}

fn greeting_words(g: Option<&Greeting>) -> String {
    g.map_or_else(
        || "(none)".to_string(),
        |g| format!("{} {}", g.verb, g.name),
    )
}

fn starttls_words(r: &SessionReport) -> String {
    match (r.starttls, &r.handshake_error) {
        (StarttlsUse::Used, _) => "used".into(),
        (StarttlsUse::NotUsed, _) => "NOT used".into(),
        (StarttlsUse::HandshakeFailed, Some(e)) => {
            format!("handshake FAILED: {} ({})", e.reason, e.detail)
        }
        (StarttlsUse::HandshakeFailed, None) => "handshake FAILED".into(),
    }
}

fn offered_words(h: &HelloDto) -> String {
    let mut suites: Vec<String> = h.cipher_suites.iter().take(SUITES_SHOWN).cloned().collect();
    if h.cipher_suites.len() > SUITES_SHOWN {
        suites.push(format!("+{} more", h.cipher_suites.len() - SUITES_SHOWN));
    }
    let versions = if h.highest_only {
        format!(
            "up to {} (no supported_versions extension)",
            h.versions.join(", ")
        )
    } else {
        h.versions.join(", ")
    };
    let mut parts = vec![
        versions,
        format!("{} suites ({})", h.cipher_suites.len(), suites.join(", ")),
    ];
    if !h.groups.is_empty() {
        parts.push(format!("groups {}", h.groups.join(", ")));
    }
    parts.push(match &h.sni {
        Some(s) => format!("SNI {s}"),
        None => "no SNI".into(),
    });
    if !h.alpn.is_empty() {
        parts.push(format!("ALPN {}", h.alpn.join(", ")));
    }
    if h.truncated {
        parts.push("(hello cut short)".into());
    }
    parts.join(" · ")
}

fn tls_words(t: &TlsDto) -> String {
    let kx = t
        .key_exchange
        .as_ref()
        .map(|k| format!(", {k}"))
        .unwrap_or_default();
    format!("{}, {}{kx}", t.version, t.cipher_suite)
}

fn trust_words(t: Option<&TrustDto>) -> String {
    match t {
        None => "not judged".into(),
        Some(t) if t.trusted && t.valid_now => "trusted".into(),
        Some(t) if t.trusted => "trusted, but not valid now (see the dates)".into(),
        Some(t) => format!("NOT trusted: {}", t.reason.clone().unwrap_or_default()),
    }
}

fn envelope_words(r: &SessionReport) -> Option<String> {
    let from = r.mail_from.as_ref()?;
    let mut s = format!("MAIL FROM:<{from}>");
    for to in &r.rcpt_to {
        let _ = write!(s, " · RCPT TO:<{to}>");
    }
    Some(s)
}

fn end_words(r: &SessionReport) -> String {
    let detail = r.end_detail.as_deref();
    let what = match (r.end, detail) {
        ("quit", _) => "the sender said QUIT".to_string(),
        ("disconnected", Some(after)) => format!("the sender closed the connection after {after}"),
        ("disconnected", None) => "the sender closed the connection".to_string(),
        ("timeout", Some("connect")) => {
            "connected, but the sender never greeted: closed at the session timeout".to_string()
        }
        ("timeout", Some(after)) => {
            format!("the sender went silent after {after}: closed at the session timeout")
        }
        ("timeout", None) => "the sender went silent: closed at the session timeout".to_string(),
        ("protocol-error", Some(why)) => format!("closed on a protocol error ({why})"),
        ("protocol-error", None) => "closed on a protocol error".to_string(),
        ("error", Some(why)) => format!("socket error ({why})"),
        ("error", None) => "socket error".to_string(),
        _ => "still open when the run ended".to_string(),
    };
    format!("{what}; {} ms in all", r.duration_ms)
}

/// The facts of a session as (key, value) rows, in reading order.
fn rows(r: &SessionReport) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("reverse name", ptr_words(&r.ptr)),
        ("greeting", greeting_words(r.greeting.as_ref())),
        ("starttls", starttls_words(r)),
    ];
    if let Some(h) = &r.client_hello {
        out.push(("offered", offered_words(h)));
    }
    if let Some(t) = &r.tls {
        out.push(("negotiated", tls_words(t)));
    }
    match &r.client_certificate {
        Some(c) => {
            let cert = &c.certificate;
            out.push(("client cert", cert.subject.clone()));
            out.push(("  names", cert.names_shown()));
            out.push(("  issuer", cert.issuer.clone()));
            out.push((
                "  valid",
                format!(
                    "{} → {} ({})",
                    cert.not_before.get(..10).unwrap_or(&cert.not_before),
                    cert.not_after.get(..10).unwrap_or(&cert.not_after),
                    super::human::days_left(cert)
                ),
            ));
            out.push(("  thumbprint", cert.thumbprint.clone()));
            out.push(("  trust", trust_words(c.trust.as_ref())));
        }
        None if r.starttls == StarttlsUse::Used => {
            out.push(("client cert", "none presented".into()))
        }
        None => {}
    }
    if r.starttls == StarttlsUse::Used {
        out.push(("after TLS", greeting_words(r.greeting_after_tls.as_ref())));
    }
    if let Some(e) = envelope_words(r) {
        out.push(("envelope", e));
    }
    if let Some(refusal) = &r.refused_with {
        out.push(("refused with", refusal.clone()));
    }
    out.push(("ended", end_words(r)));
    out
}

// --- human ---

fn human_session(r: &SessionReport, opts: RenderOptions) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nSession {} — sender {}  {}",
        r.id,
        r.peer,
        paint(r.verdict.label(), verdict_style(r.verdict), opts.color)
    );
    for (key, value) in rows(r) {
        let _ = writeln!(out, "  {key:<13} {value}");
    }
    if !r.findings.is_empty() {
        let _ = writeln!(out);
        let mut seen = Vec::new();
        for f in &r.findings {
            human_finding(&mut out, f, None, None, opts.color, &mut seen);
        }
    }
    if opts.verbose && !r.transcript.is_empty() {
        let _ = writeln!(out, "\n  transcript");
        for t in &r.transcript {
            let arrow = match t.direction {
                // The listener is the server here: what it sent is S:, the sender's lines C:.
                Direction::Sent => "S:",
                Direction::Received => "C:",
                Direction::Event => "--",
            };
            let _ = writeln!(out, "  {:>6} ms  {arrow} {}", t.at_ms, t.line);
        }
    }
    out
}

fn certificate_words(c: &OurCertificateDto) -> String {
    let how = if c.generated {
        "made at start, self-signed"
    } else {
        "from --cert"
    };
    format!("{} ({how}), sha256 {}", c.subject, c.sha256)
}

fn ran_for_words(d: time::Duration) -> String {
    let s = d.whole_seconds().max(0);
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

fn ended_words(e: RunEnd) -> &'static str {
    match e {
        RunEnd::Once => "after the first session (--once)",
        RunEnd::Duration => "at the end of --duration",
        RunEnd::Interrupted => "interrupted",
        RunEnd::MaxSessions => "after --max-sessions sessions",
    }
}

/// One line per session: its verdict and what matters.
fn session_line(r: &SessionReport) -> String {
    let mut facts = vec![greeting_words(r.greeting.as_ref())];
    facts.push(match (&r.tls, r.starttls) {
        (Some(t), _) => t.version.label().to_string(),
        (None, StarttlsUse::HandshakeFailed) => "TLS failed".into(),
        (None, _) => "no TLS".into(),
    });
    if let Some(c) = &r.client_certificate {
        facts.push(format!("client certificate {}", c.certificate.subject));
    }
    let codes: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Info)
        .map(|f| f.code.as_str())
        .collect();
    if !codes.is_empty() {
        facts.push(codes.join(", "));
    }
    if r.verdict == Verdict::Unknown {
        facts.push(format!("unjudged: {}", unjudged_reason(r)));
    }
    facts.join(", ")
}

fn human_final(report: &ListenReport, opts: RenderOptions) -> String {
    let mut out = String::new();
    let l = &report.listen;
    let reach = if l.public {
        "--public"
    } else {
        "loopback only"
    };
    let _ = writeln!(
        out,
        "\nListened on {} ({reach}) for {}, ended {}",
        l.address,
        ran_for_words(report.ran_for),
        ended_words(l.ended)
    );
    let _ = writeln!(
        out,
        "  {:<13} {}",
        "certificate",
        certificate_words(&l.certificate)
    );
    if !l.expect_names.is_empty() {
        let _ = writeln!(out, "  {:<13} {}", "expected", l.expect_names.join(", "));
    }
    let tally = if report.sessions.is_empty() {
        String::new()
    } else {
        format!(": {}", tally_words(&report.sessions))
    };
    let _ = writeln!(
        out,
        "  {:<13} {}{tally}",
        "sessions",
        plural(report.sessions.len(), "sender session", "sender sessions")
    );
    for r in &report.sessions {
        let word = paint(r.verdict.label(), verdict_style(r.verdict), opts.color);
        let pad = " ".repeat(7usize.saturating_sub(r.verdict.label().len()));
        let _ = writeln!(
            out,
            "    #{} {}  {word}{pad} {}",
            r.id,
            r.peer,
            session_line(r)
        );
    }
    if !report.findings.is_empty() {
        let _ = writeln!(out);
        let mut seen = Vec::new();
        for f in &report.findings {
            human_finding(&mut out, f, None, None, opts.color, &mut seen);
        }
    }
    let (word, rest) = report
        .headline
        .split_once(' ')
        .unwrap_or((&report.headline, ""));
    let _ = writeln!(
        out,
        "\n{} {rest}",
        paint(word, verdict_style(report.verdict), opts.color)
    );
    if opts.tool_line {
        let _ = writeln!(
            out,
            "\n{} {} · {}",
            report.tool.name, report.tool.version, report.generated_at
        );
    }
    out
}

// --- Markdown ---

fn markdown_findings(out: &mut String, findings: &[Finding]) {
    if findings.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n| severity | code | summary |\n|---|---|---|");
    for f in findings {
        let _ = writeln!(
            out,
            "| {} | `{}` | {} |",
            f.severity.label(),
            f.code,
            cell(&f.summary)
        );
    }
    for f in findings
        .iter()
        .filter(|f| f.severity > Severity::Info || f.code.inconclusive())
    {
        let _ = writeln!(out, "\n**`{}`** — {}\n", f.code, cell(&f.summary));
        if !f.evidence.is_empty() {
            let _ = write!(out, "{}", fenced(&f.evidence.join("\n"), ""));
        }
        markdown_fix(out, &f.fix.steps);
    }
}

fn markdown_session(r: &SessionReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n#### Session {} — sender {}: {}\n",
        r.id,
        cell(&r.peer),
        r.verdict.label()
    );
    for (key, value) in rows(r) {
        // The certificate's details are a nested list under it.
        let indent = if key.starts_with(' ') { "  " } else { "" };
        let _ = writeln!(out, "{indent}- {}: {}", key.trim(), cell(&value));
    }
    markdown_findings(&mut out, &r.findings);
    out
}

fn markdown_final(report: &ListenReport) -> String {
    let mut out = String::new();
    let l = &report.listen;
    let _ = writeln!(
        out,
        "\n### starttls-check listen: {} — {}\n",
        report.verdict.label(),
        cell(&l.address)
    );
    let _ = writeln!(out, "**{}**\n", cell(&report.headline));
    let _ = writeln!(
        out,
        "- listened: {} for {}, ended {}",
        cell(&l.address),
        ran_for_words(report.ran_for),
        ended_words(l.ended)
    );
    let _ = writeln!(
        out,
        "- certificate: {}",
        cell(&certificate_words(&l.certificate))
    );
    if !l.expect_names.is_empty() {
        let _ = writeln!(out, "- expected: {}", cell(&l.expect_names.join(", ")));
    }
    if !report.sessions.is_empty() {
        let _ = writeln!(
            out,
            "\n| # | sender | verdict | what it did |\n|---|---|---|---|"
        );
        for r in &report.sessions {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                r.id,
                cell(&r.peer),
                r.verdict.label(),
                cell(&session_line(r))
            );
        }
    }
    markdown_findings(&mut out, &report.findings);
    let run_as = report
        .invocation
        .as_deref()
        .map(|cmd| format!("Run as {} · ", super::markdown::code(cmd)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "\n_{run_as}{} {} · {} UTC_",
        report.tool.name,
        report.tool.version,
        report.generated_at.trim_end_matches('Z').replace('T', " ")
    );
    out
}

#[cfg(test)]
#[path = "listen_tests.rs"]
mod tests;
