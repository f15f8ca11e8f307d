//! The cases every tier serves (issue 15, item 4: valid chain, expired, self-signed, missing
//! intermediate, STARTTLS off, TLS required, implicit TLS), one function each: what the binary
//! must show against that kind of port, whatever the server. A tier's `#[test]` calls one with
//! its [`Spec`] and the port's key, then checks what is its server's own (its banner, its
//! words). Every run goes through [`Case::probe`], so the server's log of it is checked too.

use super::{Case, Probe, Spec, verb};

/// Leaf + intermediate from the tier CA: a pass with nothing else to say, over TLS, both
/// certificates sent, a banner starting with `banner`; and with `--check-required`, the
/// server's acceptance of `MAIL FROM:<>` (`accepted`, shown in the evidence) is "TLS not
/// required" (info), after which the probe resets and quits (never RCPT). Returns the first
/// run.
pub fn valid_chain(spec: &'static Spec, banner: &str, accepted: &str) -> Probe {
    let case = Case::new(spec, "PORT_VALID");
    let run = case.probe(&[]);
    run.expect("pass", &["starttls-ok"]);
    let ep = run.endpoint();
    let said = ep["banner"].as_str().unwrap_or_default();
    assert!(
        said.starts_with(banner),
        "the banner of {}: {said:?}{}",
        spec.name,
        run.ctx()
    );
    assert_eq!(ep["starttls_offered"], true, "{}", run.ctx());
    assert!(
        ep["tls"]["version"]
            .as_str()
            .is_some_and(|v| v.starts_with("TLS 1.")),
        "TLS version{}",
        run.ctx()
    );
    run.expect_chain_len(2, "the leaf and the intermediate");

    let required = case.probe(&["--check-required"]);
    required.expect("pass", &["tls-not-required", "starttls-ok"]);
    let evidence = required.finding("tls-not-required", "info")["evidence"].to_string();
    assert!(
        evidence.contains(accepted),
        "{accepted:?} to MAIL FROM:<> is shown: {evidence}{}",
        required.ctx()
    );
    run
}

/// A leaf valid from −400 to −30 days: a failure whose evidence gives the date.
pub fn expired(spec: &'static Spec) -> Probe {
    let run = Case::new(spec, "PORT_EXPIRED").probe(&[]);
    run.expect("fail", &["cert-expired"]);
    let f = run.finding("cert-expired", "fail");
    assert!(
        f["evidence"].to_string().contains("notAfter"),
        "the evidence gives the date: {f}{}",
        run.ctx()
    );
    run
}

/// A self-signed leaf, sent alone.
pub fn self_signed(spec: &'static Spec) -> Probe {
    let run = Case::new(spec, "PORT_SELF_SIGNED").probe(&[]);
    run.expect("fail", &["cert-self-signed"]);
    run.expect_chain_len(1, "the self-signed leaf alone");
    run
}

/// A leaf signed by the tier's intermediate, sent without it: the chain is incomplete, and
/// the fix first tells an intermediate from a private root.
pub fn chain_incomplete(spec: &'static Spec) -> Probe {
    let run = Case::new(spec, "PORT_CHAIN_INCOMPLETE").probe(&[]);
    run.expect("fail", &["cert-chain-incomplete"]);
    run.expect_chain_len(1, "only the leaf");
    let f = run.finding("cert-chain-incomplete", "fail");
    let summary = f["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("starttls-check Tier Intermediate CA"),
        "the summary names the missing issuer: {summary:?}{}",
        run.ctx()
    );
    let fix = f["fix"].as_str().unwrap_or_default();
    assert!(
        fix.contains("-ext authorityInfoAccess") && fix.contains("an intermediate"),
        "the fix tells an intermediate from a root: {fix}{}",
        run.ctx()
    );
    run
}

/// No STARTTLS in the EHLO reply: a failure, and the probe sends EHLO and QUIT, nothing else.
pub fn starttls_off(spec: &'static Spec) -> Probe {
    let run = Case::new(spec, "PORT_NO_STARTTLS").probe(&[]);
    run.expect("fail", &["starttls-not-offered"]);
    assert_eq!(run.endpoint()["starttls_offered"], false, "{}", run.ctx());
    run.expect_verbs_sent(&["EHLO", "QUIT"], "no STARTTLS where none is offered");
    run
}

/// MAIL refused until the session is encrypted: a plain probe passes; `--check-required`
/// reads the server's `refusal` (quoted in the summary) as TLS required. Returns the
/// `--check-required` run.
pub fn tls_required(spec: &'static Spec, refusal: &str) -> Probe {
    let case = Case::new(spec, "PORT_REQUIRE_TLS");
    case.probe(&[]).expect("pass", &["starttls-ok"]);

    let run = case.probe(&["--check-required", "--expect-required"]);
    run.expect("pass", &["tls-required", "starttls-ok"]);
    let summary = run.finding("tls-required", "info")["summary"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        summary.contains(refusal),
        "the summary quotes the server's refusal {refusal:?}, got {summary:?}{}",
        run.ctx()
    );
    run
}

/// TLS from the first byte, probed with `--implicit-tls`: a pass, and no STARTTLS inside TLS.
pub fn implicit_tls(spec: &'static Spec) -> Probe {
    let run = Case::new(spec, "PORT_IMPLICIT_TLS").probe(&["--implicit-tls"]);
    run.expect("pass", &["starttls-ok"]);
    assert_eq!(run.endpoint()["tls_mode"], "implicit", "{}", run.ctx());
    run.expect_verbs_sent(&["EHLO", "QUIT"], "no STARTTLS inside TLS");
    run
}

/// The server family the report names for the server on `port_key` (JSON's
/// `server_software`).
pub fn software(spec: &'static Spec, port_key: &str, kind: &str) {
    let run = Case::new(spec, port_key).probe(&[]);
    assert_eq!(
        run.endpoint()["server_software"],
        kind,
        "server_software{}",
        run.ctx()
    );
}

impl Probe {
    /// The server sent `n` certificates (`what` they are, for the message).
    #[track_caller]
    pub fn expect_chain_len(&self, n: usize, what: &str) {
        assert_eq!(
            self.endpoint()["chain"].as_array().map(Vec::len),
            Some(n),
            "the server sends {what}{}",
            self.ctx()
        );
    }

    /// The probe sent exactly these commands, in order (`why`, for the message).
    #[track_caller]
    pub fn expect_verbs_sent(&self, verbs: &[&str], why: &str) {
        let sent: Vec<String> = self.sent().iter().map(|l| verb(l)).collect();
        assert_eq!(sent, verbs, "{why}{}", self.ctx());
    }
}
