//! What the follow-up connections found: the TLS version a legacy-only server speaks
//! (`tls-legacy-only`, and what a second hello says about any failed handshake), and whether
//! the server requires TLS before MAIL (`--check-required`: `tls-required`,
//! `tls-not-required`, `tls-required-unknown`).
//!
//! # References
//! - RFC 8996 (TLS 1.0 and 1.1 deprecated); RFC 5246 §7.4.1.2 and Appendix E.1 (the server
//!   picks the highest version both sides speak); RFC 9325 (BCP 195)
//! - Microsoft Learn: "Exchange Server TLS configuration best practices"; "Preparing for TLS
//!   1.2 in Office 365 and Office 365 GCC" (Exchange Online refuses TLS 1.0/1.1)
//! - RFC 3207 §4 (`530 5.7.0 Must issue a STARTTLS command first`; a publicly-referenced
//!   server must not require TLS); RFC 5321 §4.5.5 (null reverse-path); RFC 8314 §3
//! - Postfix TLS_README and postconf(5) (`smtpd_tls_security_level = encrypt`)

use crate::diagnose::fix::Fix;
use crate::diagnose::fixes::{self, legacy};
use crate::diagnose::{Code, Ctx, Finding, Severity};
use crate::model::TlsMode;
use crate::model::{LegacyTls, RequiredCheck};
use crate::smtp::Reply;
use crate::tls::HandshakeFailure;
use crate::tls::legacy::{
    ServerAnswer, alert_name, cipher_name, is_legacy, modern_cipher, version_name,
};

/// The follow-up findings of one endpoint.
pub(crate) fn rules(ctx: &Ctx<'_>) -> Vec<Finding> {
    legacy_only(ctx).into_iter().chain(required(ctx)).collect()
}

/// The server answered the TLS 1.0-1.2 hello with TLS 1.0 or 1.1.
fn legacy_only(ctx: &Ctx<'_>) -> Option<Finding> {
    let Some(LegacyTls::Answered(ServerAnswer::Hello { version, cipher })) = &ctx.obs.legacy_tls
    else {
        return None;
    };
    if !is_legacy(*version) {
        return None;
    }
    let v = version_name(*version);
    let mut evidence = Vec::new();
    if let Some(h) = &ctx.obs.handshake_error {
        evidence.push(format!("TLS 1.2/1.3 handshake: {}", h.reason));
    }
    evidence.push(format!(
        "second connection, a ClientHello offering TLS 1.0 to 1.2 with classic cipher suites → ServerHello {v}, {}",
        cipher_name(*cipher)
    ));
    Some(ctx.finding(
        Code::TlsLegacyOnly,
        format!(
            "the server speaks at most {v} (offered TLS 1.0 to 1.2, it chose {v}): no TLS 1.2 or 1.3, so Exchange Online and other current senders cannot use TLS with it"
        ),
        evidence,
        legacy::legacy_only(
            ctx.kind,
            ctx.obs.endpoint.address,
            ctx.obs.endpoint.tls_mode == TlsMode::Starttls,
            &v,
        ),
    ))
}

/// What the second hello says about a failed handshake, for `tls-handshake-failed`: an
/// evidence line, and when the server speaks TLS 1.2 after all, the true reason and its fix
/// instead of the first guess.
pub(crate) fn after_second_hello(
    ctx: &Ctx<'_>,
    reason: String,
    fix: Fix,
    evidence: &mut Vec<String>,
) -> (String, Fix) {
    let Some(seen) = &ctx.obs.legacy_tls else {
        return (reason, fix);
    };
    let line = |what: String| {
        format!(
            "second connection, a ClientHello offering TLS 1.0 to 1.2 with classic cipher suites → {what}"
        )
    };
    // The evidence line, and a better reason and fix when the answer shows one.
    let (said, better): (String, Option<(String, Fix)>) = match seen {
        LegacyTls::Answered(ServerAnswer::Hello { version, cipher }) if is_legacy(*version) => (
            line(format!(
                "ServerHello {}, {} (see tls-legacy-only)",
                version_name(*version),
                cipher_name(*cipher)
            )),
            None,
        ),
        LegacyTls::Answered(ServerAnswer::Hello {
            version: 0x0303,
            cipher,
        }) if !modern_cipher(*cipher) => (
            line(format!("ServerHello TLS 1.2, {}", cipher_name(*cipher))),
            Some((
                format!(
                    "the server speaks TLS 1.2, but only with cipher suites current clients no longer offer: offered classic suites too, it chose {} \
                     (no ECDHE key exchange with AES-GCM or ChaCha20)",
                    cipher_name(*cipher)
                ),
                fixes::handshake(ctx.kind, ctx.port(), HandshakeFailure::NoSharedCipher),
            )),
        ),
        LegacyTls::Answered(ServerAnswer::Hello { version, cipher }) => (
            line(format!(
                "ServerHello {}, {}",
                version_name(*version),
                cipher_name(*cipher)
            )),
            Some((
                format!(
                    "the server refused this client's TLS 1.2/1.3 hello, yet chose {} with {} for a plain TLS 1.2 hello: it (or a box in the path) \
                     breaks on something in a current ClientHello (the TLS 1.3 offer, an extension or a signature scheme)",
                    version_name(*version),
                    cipher_name(*cipher)
                ),
                fix.clone(),
            )),
        ),
        LegacyTls::Answered(ServerAnswer::Alert { description, .. }) => (
            line(format!("refused too: alert {}", alert_name(*description))),
            None,
        ),
        LegacyTls::Answered(ServerAnswer::NotTls) => {
            (line("an answer that is not TLS".into()), None)
        }
        LegacyTls::Closed => (
            line("the server closed the connection without a word".into()),
            None,
        ),
        LegacyTls::Timeout => (line("no answer in time".into()), None),
        LegacyTls::NotReached(why) => (
            format!("second connection, to ask for TLS 1.0 to 1.2: {why}"),
            None,
        ),
    };
    evidence.push(said);
    better.unwrap_or((reason, fix))
}

/// What the reply to `MAIL FROM:<>` without TLS says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Required {
    /// Refused with a reply about TLS (`530 5.7.0 Must issue a STARTTLS command first`).
    Yes(Reply),
    /// Accepted (2xx).
    No(Reply),
    /// Nothing about TLS: another refusal, or no reply (why, escaped).
    Unknown(String),
}

/// A reply that speaks of TLS: a word `STARTTLS`, `TLS`, `SSL` or `encrypt…`, or the
/// enhanced status `5.7.10` / `4.7.10` ("Encryption Needed", RFC 5248's registry).
fn about_tls(reply: &Reply) -> bool {
    let text = reply.one_line().to_ascii_lowercase();
    text.split(|c: char| !c.is_ascii_alphanumeric() && c != '.')
        .map(|w| w.trim_end_matches('.'))
        .any(|w| {
            matches!(w, "starttls" | "tls" | "ssl" | "5.7.10" | "4.7.10")
                || w.starts_with("encrypt")
        })
}

/// Reads the check: 2xx is "not required", a 4xx/5xx about TLS is "required", anything
/// else says nothing.
pub(crate) fn classify(check: &RequiredCheck) -> Required {
    match &check.mail_reply {
        None => Required::Unknown(
            check
                .problem
                .clone()
                .unwrap_or_else(|| "no reply to MAIL FROM:<>".into()),
        ),
        Some(r) if r.is_positive() => Required::No(r.clone()),
        Some(r) if r.code >= 400 && about_tls(r) => Required::Yes(r.clone()),
        Some(r) => Required::Unknown(format!(
            "MAIL FROM:<> was answered {}, which says nothing about TLS",
            r.one_line()
        )),
    }
}

/// STARTTLS was not offered on this endpoint, or its command was refused.
fn starttls_unavailable(ctx: &Ctx<'_>) -> bool {
    ctx.ev.starttls == Some(false)
        || ctx
            .obs
            .failure
            .as_ref()
            .is_some_and(|f| f.phase == crate::model::Phase::Starttls)
}

fn required(ctx: &Ctx<'_>) -> Option<Finding> {
    let check = ctx.obs.tls_required.as_ref()?;
    let port = ctx.port();
    let expected = ctx.policy.expect_required;
    let sent = "sent without STARTTLS, on a connection of its own: EHLO, MAIL FROM:<>, RSET, QUIT (no RCPT, no DATA)";
    Some(match classify(check) {
        Required::Yes(r) if starttls_unavailable(ctx) => {
            let line = r.one_line();
            ctx.finding_with(
                Code::TlsRequired,
                Severity::Fail,
                format!(
                    "TLS is required on port {port} ({line}), but STARTTLS is not available there: every sender is refused"
                ),
                vec![sent.into(), format!("MAIL FROM:<> → {line}")],
                legacy::tls_required_unreachable(port),
            )
        }
        Required::Yes(r) => {
            let line = r.one_line();
            ctx.finding(
                Code::TlsRequired,
                format!(
                    "TLS is required on port {port}: MAIL FROM without STARTTLS is refused ({line})"
                ),
                vec![sent.into(), format!("MAIL FROM:<> → {line}")],
                legacy::tls_required(port, expected),
            )
        }
        Required::No(r) => {
            let line = r.one_line();
            let (severity, why) = if expected {
                (
                    Severity::Warn,
                    "but --expect-required says TLS must be forced here",
                )
            } else if port == 25 {
                (
                    Severity::Info,
                    "as RFC 3207 §4 asks of a public MX; pass --expect-required where TLS must be forced",
                )
            } else {
                (
                    Severity::Info,
                    "pass --expect-required where TLS must be forced",
                )
            };
            ctx.finding_with(
                Code::TlsNotRequired,
                severity,
                format!(
                    "TLS is not required on port {port}: MAIL FROM without STARTTLS is accepted ({line}), {why}"
                ),
                vec![sent.into(), format!("MAIL FROM:<> → {line}")],
                legacy::tls_not_required(ctx.kind, port, expected),
            )
        }
        Required::Unknown(why) => ctx.finding(
            Code::TlsRequiredUnknown,
            format!("whether port {port} requires TLS is unknown: {why}"),
            vec![sent.into(), why],
            legacy::tls_required_unknown(),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::Policy;
    use crate::diagnose::rules::tests::{NOW, observed, reply, world};
    use crate::evidence::Evidence;
    use crate::model::{FailureKind, Observation, Phase, PhaseFailure};
    use crate::tls::HandshakeError;

    fn check(code: u16, text: &str) -> RequiredCheck {
        RequiredCheck {
            mail_reply: Some(reply(code, &[text])),
            problem: None,
        }
    }

    #[test]
    fn mail_from_replies_are_read_as_required_or_not() {
        let yes = |c, t| matches!(classify(&check(c, t)), Required::Yes(_));
        let no = |c, t| matches!(classify(&check(c, t)), Required::No(_));
        let unknown = |c, t| matches!(classify(&check(c, t)), Required::Unknown(_));
        assert!(yes(530, "5.7.0 Must issue a STARTTLS command first"));
        assert!(yes(451, "5.7.3 STARTTLS is required to send mail"));
        assert!(yes(530, "5.7.10 Encryption needed"));
        assert!(yes(554, "5.7.0 TLS required"));
        assert!(no(250, "2.1.0 Ok"));
        assert!(no(250, "2.1.0 Sender OK"));
        // Refusals that are not about TLS never become "not required", nor "required".
        assert!(unknown(530, "5.7.0 Authentication required"));
        assert!(unknown(550, "5.7.1 Sender refused"));
        assert!(unknown(421, "4.7.0 Too many connections, try again later"));
        assert!(unknown(503, "5.5.1 Error: send HELO/EHLO first"));
        // "tls" inside another word is not about TLS.
        assert!(unknown(550, "5.1.0 <>: rejected by settlsx policy"));
        let none = RequiredCheck {
            mail_reply: None,
            problem: Some("EHLO refused: 500 5.5.1 Command unrecognized".into()),
        };
        assert_eq!(
            classify(&none),
            Required::Unknown("EHLO refused: 500 5.5.1 Command unrecognized".into())
        );
    }

    fn run_with(obs: Observation, policy: &Policy) -> Vec<Finding> {
        crate::diagnose::diagnose(&Evidence::derive(obs, NOW), policy, NOW)
    }

    fn healthy_with(check: RequiredCheck) -> Observation {
        let w = world();
        let chain = w.chain(
            &crate::scripted::LeafSpec::valid_for("mail.contoso.test", NOW, 90),
            true,
        );
        let mut obs = observed("mail.contoso.test", "mail.contoso.test", chain, &w.trust);
        obs.tls_required = Some(check);
        obs
    }

    fn codes(f: &[Finding]) -> Vec<(&'static str, Severity)> {
        f.iter().map(|f| (f.code.as_str(), f.severity)).collect()
    }

    #[test]
    fn not_required_is_info_on_a_public_mx_and_warns_when_expected() {
        let obs = healthy_with(check(250, "2.1.0 Ok"));
        let f = run_with(obs.clone(), &Policy::default());
        assert_eq!(
            codes(&f),
            [
                ("tls-not-required", Severity::Info),
                ("starttls-ok", Severity::Info)
            ]
        );
        assert!(f[0].summary.contains("RFC 3207"), "{}", f[0].summary);
        assert!(f[0].fix.text().contains("Nothing to change"));
        let expect = Policy {
            expect_required: true,
            ..Policy::default()
        };
        let f = run_with(obs, &expect);
        assert_eq!(codes(&f), [("tls-not-required", Severity::Warn)]);
        assert!(
            f[0].fix
                .commands()
                .any(|(_, c)| c == "postconf -P 'smtp/inet/smtpd_tls_security_level=encrypt'"),
            "{}",
            f[0].fix
        );
    }

    /// Second trial of issue 9: TLS required behind a firewall that removes STARTTLS. The
    /// server demands what no sender can start: every sender is refused, a failure, never
    /// "nothing to change".
    #[test]
    fn required_where_starttls_is_missing_refuses_every_sender() {
        let mut obs = healthy_with(check(530, "5.7.0 Must issue a STARTTLS command first"));
        let ehlo = reply(
            250,
            &["mail.contoso.test", "PIPELINING", "XXXXXXXA", "8BITMIME"],
        );
        obs.capabilities = Some(crate::smtp::Capabilities::parse(&ehlo));
        obs.ehlo = Some(ehlo);
        obs.tls = None;
        obs.chain = Vec::new();
        obs.trust = None;
        obs.ehlo_tls = None;
        obs.starttls_reply = None;
        let f = run_with(obs, &Policy::default());
        let r = f.iter().find(|x| x.code == Code::TlsRequired).unwrap();
        assert_eq!(r.severity, Severity::Fail);
        assert!(
            r.summary.contains("every sender is refused"),
            "{}",
            r.summary
        );
        assert!(!r.fix.text().contains("Nothing to change"), "{}", r.fix);
    }

    #[test]
    fn required_and_unknown() {
        let f = run_with(
            healthy_with(check(530, "5.7.0 Must issue a STARTTLS command first")),
            &Policy::default(),
        );
        assert_eq!(f[0].code, Code::TlsRequired);
        assert_eq!(f[0].severity, Severity::Info);
        assert!(
            f[0].summary
                .contains("530 5.7.0 Must issue a STARTTLS command first")
        );
        let f = run_with(
            healthy_with(check(550, "5.7.1 Sender refused")),
            &Policy::default(),
        );
        assert_eq!(f[0].code, Code::TlsRequiredUnknown);
        assert!(f.iter().all(|f| f.code != Code::TlsNotRequired));
    }

    fn legacy_failure(answer: LegacyTls, kind: HandshakeFailure) -> Observation {
        let mut obs = healthy_with(check(250, "2.1.0 Ok"));
        obs.tls_required = None;
        obs.banner = Some(reply(220, &["mail.contoso.test ESMTP Postfix"]));
        obs.tls = None;
        obs.ehlo_tls = None;
        obs.chain.clear();
        obs.trust = None;
        obs.handshake_error = Some(HandshakeError {
            kind,
            reason: "the server supports only TLS versions older than 1.2".into(),
            detail: "received fatal alert: ProtocolVersion".into(),
        });
        obs.failure = Some(PhaseFailure {
            phase: Phase::Handshake,
            kind: FailureKind::Handshake,
            message: "handshake".into(),
            reply: None,
            overall_deadline: false,
        });
        obs.legacy_tls = Some(answer);
        obs
    }

    #[test]
    fn legacy_only_names_the_version_and_leads_its_symptom() {
        let obs = legacy_failure(
            LegacyTls::Answered(ServerAnswer::Hello {
                version: 0x0302,
                cipher: 0xc014,
            }),
            HandshakeFailure::ProtocolVersion,
        );
        let f = run_with(obs, &Policy::default());
        assert_eq!(
            codes(&f),
            [
                ("tls-legacy-only", Severity::Fail),
                ("tls-handshake-failed", Severity::Fail)
            ]
        );
        assert!(f[0].summary.contains("at most TLS 1.1"), "{}", f[0].summary);
        let text = f[0].fix.text();
        assert!(
            text.contains("postconf -P") && text.contains(">=TLSv1.2"),
            "{text}"
        );
        assert!(
            text.contains("openssl s_client -starttls smtp -tls1_2"),
            "{text}"
        );
        assert!(f[1].evidence.iter().any(|e| e.contains("TLS 1.1")));
    }

    #[test]
    fn tls12_answer_is_no_legacy_and_names_the_cipher() {
        let obs = legacy_failure(
            LegacyTls::Answered(ServerAnswer::Hello {
                version: 0x0303,
                cipher: 0x002f,
            }),
            HandshakeFailure::NoSharedCipher,
        );
        let f = run_with(obs, &Policy::default());
        assert_eq!(codes(&f), [("tls-handshake-failed", Severity::Fail)]);
        assert!(
            f[0].summary.contains("speaks TLS 1.2")
                && f[0].summary.contains("TLS_RSA_WITH_AES_128_CBC_SHA"),
            "{}",
            f[0].summary
        );
        // Refused too: the first reason stands, the second hello is evidence.
        let obs = legacy_failure(
            LegacyTls::Answered(ServerAnswer::Alert {
                level: 2,
                description: 40,
            }),
            HandshakeFailure::NoSharedCipher,
        );
        let f = run_with(obs, &Policy::default());
        assert_eq!(codes(&f), [("tls-handshake-failed", Severity::Fail)]);
        assert!(
            f[0].evidence
                .iter()
                .any(|e| e.contains("handshake_failure"))
        );
    }
}
