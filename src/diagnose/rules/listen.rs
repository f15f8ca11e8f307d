//! The rules of receiver mode (`listen`): what one sender's session shows, as findings with
//! fixes for the sender's side (Exchange send connectors, Postfix `smtp_tls_*`).
//!
//! Pure: a session (or the run) and `now` in, findings out. A session that says nothing
//! (a sender that greeted and left) gets no finding, so its verdict is unknown, never pass.
//!
//! # References
//! - RFC 3207 §4 (STARTTLS announced in EHLO), §4.2 (EHLO again after TLS), §5 (pipelining)
//! - RFC 8996 (TLS 1.0/1.1 deprecated), RFC 8446 §4.4.2 (the client's Certificate)
//! - RFC 5280 §4.1.2.5 (validity), §4.2.1.12 (EKU), RFC 6125 §6.4 (names)
//! - RFC 5321 §4.1.1.1 (EHLO and HELO), §4.1.4 (the EHLO name)

use time::OffsetDateTime;

use super::certificate::safe_name;
use crate::cert::{CertInfo, NameMatch, name_match};
use crate::diagnose::fixes::listen as fix;
use crate::diagnose::{Code, Finding, Fix, Severity};
use crate::listen::model::{
    ListenHandshakeFailure, ListenRun, OfferedHello, Ptr, SenderSession, StarttlsUse, version_name,
};
use crate::smtp::escape;

/// At most this many pipelined bytes are quoted in the evidence (the rest are counted).
const MAX_PIPELINED_SHOWN: usize = 120;

/// How a finding names a session: `sender 127.0.0.1:40000`.
pub fn session_label(session: &SenderSession) -> String {
    format!("sender {}", session.peer)
}

/// The findings about one sender's session. `expect`: `--expect-name`. A certificate that
/// expires within [`crate::diagnose::DEFAULT_WARN_DAYS`] warns, as the probe's default.
#[cfg(test)]
pub fn session_findings(
    session: &SenderSession,
    expect: &[String],
    now: OffsetDateTime,
) -> Vec<Finding> {
    session_findings_with(
        session,
        expect,
        now,
        i64::from(crate::diagnose::DEFAULT_WARN_DAYS),
    )
}

/// [`session_findings`] with the days before expiry that warn (`sender-cert-expires-soon`).
pub fn session_findings_with(
    session: &SenderSession,
    expect: &[String],
    now: OffsetDateTime,
    warn_days: i64,
) -> Vec<Finding> {
    let label = session_label(session);
    let mut out = Vec::new();
    let mut add =
        |code: Code, severity: Severity, summary: String, evidence: Vec<String>, fix: Fix| {
            out.push(Finding::new(
                code,
                severity,
                label.clone(),
                Vec::new(),
                summary,
                evidence,
                fix,
            ));
        };

    greeting_rules(session, &mut add);
    tls_rules(session, &mut add);
    let leaf = session.client_chain.first().and_then(|der| {
        CertInfo::parse(der, now)
            .ok()
            .map(|info| (der.as_slice(), info))
    });
    certificate_rules(session, expect, leaf.as_ref(), now, warn_days, &mut add);
    ehlo_name_rule(session, leaf.as_ref(), &mut add);

    // sender-ok: a completed STARTTLS with nothing to warn about. A session that never got
    // as far as TLS is not "ok", however little it did wrong.
    if session.starttls == StarttlsUse::Used && out.iter().all(|f| f.severity == Severity::Info) {
        let tls = session
            .tls
            .as_ref()
            .map(|t| format!("{}, {}", t.version, t.cipher_suite))
            .unwrap_or_else(|| "TLS".into());
        let cert = match &leaf {
            Some((_, c)) => format!(" and presented {}", c.subject),
            None => String::new(),
        };
        let summary = format!("the sender used STARTTLS ({tls}){cert}");
        let mut evidence = Vec::new();
        if !expect.is_empty() {
            evidence.push(format!("its certificate covers {}", expect.join(", ")));
        }
        out.push(Finding::new(
            Code::SenderOk,
            Severity::Info,
            session_label(session),
            Vec::new(),
            summary,
            evidence,
            Fix::new(crate::diagnose::Family::Generic, "listen::nothing", &[])
                .say("Nothing to change on the sending side."),
        ));
    }
    crate::diagnose::rank(&mut out);
    out
}

type Add<'a> = dyn FnMut(Code, Severity, String, Vec<String>, Fix) + 'a;

/// HELO instead of EHLO; EHLO but no STARTTLS before MAIL (RFC 3207 §4; RFC 5321 §4.1.1.1).
fn greeting_rules(s: &SenderSession, add: &mut Add<'_>) {
    let Some(g) = &s.greeting else { return };
    if g.verb.eq_ignore_ascii_case("HELO") {
        add(
            Code::SenderHeloOnly,
            Severity::Fail,
            "the sender greeted with HELO, so it never saw STARTTLS offered".into(),
            vec![format!("HELO {}", g.name)],
            fix::use_ehlo(),
        );
        return;
    }
    // RFC 3207 §4.2: after TLS the client SHOULD send EHLO first; one that goes straight to
    // MAIL uses what it learned before TLS, which the server has discarded.
    if s.starttls == StarttlsUse::Used && s.greeting_after_tls.is_none() && s.mail_from.is_some() {
        add(
            Code::SenderEhloNotRepeated,
            Severity::Warn,
            "after TLS the sender went on to MAIL without greeting again with EHLO".into(),
            vec!["no EHLO between the TLS handshake and MAIL FROM".into()],
            fix::ehlo_again(),
        );
    }
    // Only a sender that went on to MAIL without STARTTLS is judged: one that greeted and
    // left (a monitoring check) has shown nothing about its TLS.
    if s.starttls == StarttlsUse::NotUsed && s.mail_from.is_some() {
        let mut evidence = vec![
            format!("EHLO {}", g.name),
            "the listener's EHLO reply offered STARTTLS".into(),
        ];
        if let Some(m) = &s.mail_from {
            evidence.push(format!("MAIL FROM:<{m}> without STARTTLS"));
        }
        add(
            Code::SenderNoStarttls,
            Severity::Fail,
            "the sender did not use STARTTLS although it was offered: its mail would travel in clear text".into(),
            evidence,
            fix::use_starttls(),
        );
    }
}

/// What the ClientHello offered and how the handshake went (RFC 8446 §4.1.2, §4.2.1;
/// RFC 8996; RFC 3207 §4).
fn tls_rules(s: &SenderSession, add: &mut Add<'_>) {
    pipelining_rule(s, add);
    let legacy_only = version_rules(s, add);
    handshake_rule(s, legacy_only, add);
}

/// Commands sent after STARTTLS but before our 220 travel in clear text and are discarded:
/// STARTTLS must end a pipelined group (RFC 3207 §4).
fn pipelining_rule(s: &SenderSession, add: &mut Add<'_>) {
    if !s.pipelined_after_starttls.is_empty() {
        let shown = &s.pipelined_after_starttls
            [..s.pipelined_after_starttls.len().min(MAX_PIPELINED_SHOWN)];
        let more = s.pipelined_after_starttls.len() - shown.len();
        let mut evidence = vec![format!("after STARTTLS, before our 220: {}", escape(shown))];
        if more > 0 {
            evidence.push(format!("and {more} more bytes"));
        }
        add(
            Code::SenderPipelinedStarttls,
            Severity::Fail,
            format!(
                "the sender sent {} bytes of commands after STARTTLS, in clear text, before the handshake (discarded)",
                s.pipelined_after_starttls.len()
            ),
            evidence,
            fix::stop_pipelining_starttls(),
        );
    }
}

/// Which TLS versions the ClientHello offered (RFC 8446 §4.2.1, RFC 8996): nothing from
/// TLS 1.2 on fails, older ones offered besides newer are noted. Returns whether the
/// sender offers legacy versions only, which then explains its failed handshake.
fn version_rules(s: &SenderSession, add: &mut Add<'_>) -> bool {
    let hello = s.client_hello.as_ref();
    let legacy_only = hello
        .and_then(OfferedHello::best_version)
        .is_some_and(|v| v < 0x0303)
        || s.handshake_error
            .as_ref()
            .is_some_and(|e| e.kind == ListenHandshakeFailure::LegacyVersionsOnly);
    if legacy_only {
        let offered = hello
            .map(OfferedHello::versions_words)
            .unwrap_or_else(|| "versions before TLS 1.2".into());
        let mut evidence = vec![format!("ClientHello offered {offered}")];
        if let Some(e) = &s.handshake_error {
            evidence.push(format!("handshake: {}", e.detail));
        }
        // Without supported_versions the hello names its highest version only: say that, and
        // never list older versions it did not name.
        let summary = match hello {
            Some(h) if h.highest_only() => format!(
                "the sender offers nothing newer than {}",
                h.best_version().map(version_name).unwrap_or_default()
            ),
            _ => format!("the sender offers only {offered}: nothing from TLS 1.2 on"),
        };
        add(
            Code::SenderTlsLegacy,
            Severity::Fail,
            summary,
            evidence,
            fix::enable_tls12(),
        );
    } else if let Some(h) = hello {
        // Only a `supported_versions` list says which older versions a sender accepts: a TLS
        // 1.2 hello without it names its highest version only (RFC 5246 §E.1), so nothing
        // is claimed about older ones.
        let old: Vec<u16> = h
            .supported_versions
            .iter()
            .copied()
            .filter(|v| *v < 0x0303)
            .collect();
        if !old.is_empty() {
            let names: Vec<String> = old.iter().map(|v| version_name(*v)).collect();
            add(
                Code::SenderTlsOldVersionsOffered,
                Severity::Info,
                format!(
                    "the sender still offers {} besides newer versions",
                    names.join(" and ")
                ),
                vec![format!("ClientHello offered {}", h.versions_words())],
                fix::drop_old_versions(),
            );
        }
    }
    legacy_only
}

/// How the handshake failed, when it did: a refusal of our certificate warns (the sender
/// validates receivers' certificates), any other failure fails, unless legacy versions
/// alone, already reported by [`version_rules`], explain it.
fn handshake_rule(s: &SenderSession, legacy_only: bool, add: &mut Add<'_>) {
    let Some(err) = &s.handshake_error else {
        return;
    };
    match err.kind {
        ListenHandshakeFailure::RefusedOurCertificate => add(
            Code::SenderRefusedOurCertificate,
            Severity::Warn,
            "the sender refused the listener's certificate: it validates the receiver's certificate".into(),
            vec![err.reason.clone(), err.detail.clone()],
            fix::our_certificate_refused(),
        ),
        ListenHandshakeFailure::LegacyVersionsOnly => {}
        _ if legacy_only => {}
        _ => add(
            Code::SenderTlsFailed,
            Severity::Fail,
            format!("the sender issued STARTTLS, but the handshake failed: {}", err.reason),
            vec![format!("{}: {}", kind_word(err.kind), err.detail)],
            fix::tls_failed(),
        ),
    }
}

/// The failure kind in words, for evidence.
fn kind_word(k: ListenHandshakeFailure) -> &'static str {
    match k {
        ListenHandshakeFailure::LegacyVersionsOnly => "legacy versions only",
        ListenHandshakeFailure::NoSharedCipher => "no shared cipher suite or group",
        ListenHandshakeFailure::RefusedOurCertificate => "our certificate refused",
        ListenHandshakeFailure::Alert => "alert from the sender",
        ListenHandshakeFailure::Closed => "closed by the sender",
        ListenHandshakeFailure::Timeout => "timed out",
        ListenHandshakeFailure::NotTls => "not TLS",
        ListenHandshakeFailure::Other => "failed",
    }
}

/// The certificate a sender presented, or its absence (RFC 8446 §4.4.2; RFC 5280; RFC 6125).
fn certificate_rules(
    s: &SenderSession,
    expect: &[String],
    leaf: Option<&(&[u8], CertInfo)>,
    now: OffsetDateTime,
    warn_days: i64,
    add: &mut Add<'_>,
) {
    // A client certificate is known to be absent only once the handshake completed (the
    // listener always asks for one).
    if s.starttls != StarttlsUse::Used {
        return;
    }
    let Some((der, c)) = leaf else {
        if s.client_chain.is_empty() {
            no_certificate(expect, add);
        }
        return;
    };
    name_rule(s, expect, der, c, add);
    validity_rule(c, now, warn_days, add);
    trust_rule(s, c, add);
    usage_rule(c, add);
}

/// The sender presented none although the listener asked: WARN when `--expect-name` says
/// one is expected, else INFO (most senders present none).
fn no_certificate(expect: &[String], add: &mut Add<'_>) {
    let safe_expect: Vec<String> = expect.iter().filter_map(|n| safe_name(n)).collect();
    let (severity, summary) = if expect.is_empty() {
        (
            Severity::Info,
            "the sender presented no client certificate (most senders present none)".to_string(),
        )
    } else {
        (
            Severity::Warn,
            format!(
                "the sender presented no client certificate, but one for {} is expected",
                expect.join(", ")
            ),
        )
    };
    add(
        Code::SenderNoClientCert,
        severity,
        summary,
        vec![
            "the listener asked for a certificate (CertificateRequest); the sender sent none"
                .into(),
        ],
        fix::present_certificate(&safe_expect),
    );
}

/// Every `--expect-name` must be on the certificate (RFC 6125 §6.4; Exchange Online's
/// TlsSenderCertificateName rule in [`covers_expected`]).
fn name_rule(s: &SenderSession, expect: &[String], der: &[u8], c: &CertInfo, add: &mut Add<'_>) {
    let missing: Vec<&String> = expect
        .iter()
        .filter(|n| !covers_expected(der, c, n))
        .collect();
    if missing.is_empty() {
        return;
    }
    let safe_on_cert: Vec<String> = c.names().iter().filter_map(|n| safe_name(n)).collect();
    let trusted = s.client_trust.as_ref().is_some_and(|t| t.trusted);
    let missing_safe: Vec<String> = missing.iter().filter_map(|n| safe_name(n)).collect();
    add(
        Code::SenderCertNameMismatch,
        Severity::Fail,
        format!(
            "the sender's certificate does not cover {}",
            missing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        vec![
            format!("subject {}", c.subject),
            format!("names {}", c.names_shown()),
        ],
        fix::certificate_name(&missing_safe, &safe_on_cert, trusted),
    );
}

/// Expired or not yet valid (RFC 5280 §4.1.2.5), else expiring within `warn_days` (the
/// probe's client-cert-expires-soon).
fn validity_rule(c: &CertInfo, now: OffsetDateTime, warn_days: i64, add: &mut Add<'_>) {
    if c.expired || c.not_before_at > now {
        let when = if c.expired {
            format!(
                "expired on {}",
                c.not_after.get(..10).unwrap_or(&c.not_after)
            )
        } else {
            format!(
                "is not valid before {}",
                c.not_before.get(..10).unwrap_or(&c.not_before)
            )
        };
        add(
            Code::SenderCertExpired,
            Severity::Fail,
            format!("the sender's certificate {when}"),
            vec![
                format!("subject {}", c.subject),
                format!("valid {} → {}", c.not_before, c.not_after),
            ],
            fix::renew_certificate(&c.thumbprint, &c.exchange_tls_name),
        );
    } else if c.days_left < warn_days {
        add(
            Code::SenderCertExpiresSoon,
            Severity::Warn,
            format!(
                "the sender's certificate expires in {} day{}, on {}",
                c.days_left,
                if c.days_left == 1 { "" } else { "s" },
                crate::cert::date(c.not_after_at)
            ),
            vec![
                format!("subject {}", c.subject),
                format!("valid {} → {}", c.not_before, c.not_after),
                format!("warns within {warn_days} days"),
            ],
            fix::renew_certificate(&c.thumbprint, &c.exchange_tls_name),
        );
    }
}

/// No path to a trusted root. Judged only when the listener judged it: `None` is "not
/// judged", never a finding.
fn trust_rule(s: &SenderSession, c: &CertInfo, add: &mut Add<'_>) {
    let Some(t) = s.client_trust.as_ref().filter(|t| !t.trusted) else {
        return;
    };
    let why = t
        .reason
        .clone()
        .unwrap_or_else(|| "no path to a trusted root".into());
    add(
        Code::SenderCertUntrusted,
        Severity::Warn,
        format!("the sender's certificate does not chain to a trusted root: {why}"),
        vec![
            format!("subject {}", c.subject),
            format!("issuer {}", c.issuer),
            format!("{} certificate(s) sent", s.client_chain.len()),
        ],
        fix::send_trusted_chain(),
    );
}

/// RFC 5280 §4.2.1.12: with an EKU extension, the certificate is for those uses only.
fn usage_rule(c: &CertInfo, add: &mut Add<'_>) {
    if let Some(eku) = c
        .extended_key_usage
        .as_ref()
        .filter(|_| !c.allows_client_auth())
    {
        add(
            Code::SenderCertNoClientAuth,
            Severity::Warn,
            "the sender's certificate is not valid for client authentication (no clientAuth in its Extended Key Usage)".into(),
            vec![format!("extended key usage: {}", eku.join(", "))],
            fix::client_auth_eku(),
        );
    }
}

/// Whether the certificate covers an expected name. `*.contoso.com` as an expected name is
/// Exchange Online's TlsSenderCertificateName pattern, "the domain and all its subdomains":
/// any certificate name at or under `contoso.com` covers it. Otherwise RFC 6125 matching,
/// where a CN-only match counts, as Exchange Online matches the CN (its "certificate domain").
fn covers_expected(der: &[u8], c: &CertInfo, expected: &str) -> bool {
    if let Some(apex) = expected.strip_prefix("*.") {
        let apex = apex.trim_end_matches('.').to_ascii_lowercase();
        let suffix = format!(".{apex}");
        return c.names().iter().any(|n| {
            let n = n.trim_end_matches('.').to_ascii_lowercase();
            n == apex || n.ends_with(&suffix)
        });
    }
    name_match(der, c, expected) != NameMatch::NotCovered
}

/// The EHLO name against the client certificate and the PTR (RFC 5321 §4.1.4: informational).
fn ehlo_name_rule(s: &SenderSession, leaf: Option<&(&[u8], CertInfo)>, add: &mut Add<'_>) {
    let Some(g) = s.greeting_after_tls.as_ref().or(s.greeting.as_ref()) else {
        return;
    };
    // Only a name that is a host name can be matched; the name is escaped, so a hostile one
    // fails this test and is only shown, never matched or pasted.
    let Some(name) = crate::target::normalize_name(&g.name) else {
        return;
    };
    let mut evidence = Vec::new();
    if let Some((der, c)) = leaf
        && name_match(der, c, &name) == NameMatch::NotCovered
    {
        evidence.push(format!(
            "EHLO {} is not on its certificate ({})",
            g.name,
            c.names_shown()
        ));
    }
    if let Ptr::Names { names, .. } = &s.ptr
        && !names
            .iter()
            .any(|p| p.trim_end_matches('.').eq_ignore_ascii_case(&name))
    {
        evidence.push(format!(
            "EHLO {} is not the address's reverse name ({})",
            g.name,
            names.join(", ")
        ));
    }
    if evidence.is_empty() {
        return;
    }
    let suggestion = leaf.and_then(|(_, c)| {
        (s.client_trust.as_ref().is_some_and(|t| t.trusted))
            .then(|| {
                c.dns_names
                    .iter()
                    .find_map(|n| safe_name(n).filter(|n| !n.starts_with('*')))
            })
            .flatten()
    });
    add(
        Code::SenderEhloNameMismatch,
        Severity::Info,
        format!(
            "the sender's EHLO name {} does not match its certificate or reverse name",
            g.name
        ),
        evidence,
        fix::greet_with_certificate_name(suggestion.as_deref()),
    );
}

/// The findings about the run as a whole (`listen-no-sender`).
pub fn run_findings(run: &ListenRun) -> Vec<Finding> {
    if !run.sessions.is_empty() {
        return Vec::new();
    }
    let address = run.bound.to_string();
    vec![Finding::new(
        Code::ListenNoSender,
        Severity::Info,
        format!("listener {address}"),
        Vec::new(),
        format!("no sender connected to {address} while the listener ran"),
        vec![format!(
            "bound to {address}{}",
            if run.public { " (--public)" } else { "" }
        )],
        fix::no_sender(&address, run.bound.ip().is_loopback()),
    )]
}

#[cfg(test)]
pub(crate) mod tests;
