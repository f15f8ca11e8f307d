//! Renewal rules: the certificate an endpoint serves against what the job expects
//! (`--expect-fingerprint`, `--expect-issuer`), and each endpoint against an earlier run
//! (`--baseline`), so a CI job after a renewal fails on a node that still serves the old
//! certificate, and on any change nobody declared.
//!
//! Endpoints are matched with the baseline's by host, address and port. A host's addresses
//! change (hosted and cloud services rotate them) while its name and port stay, so an address
//! the baseline lacks is compared with every endpoint the host had on that port, and only a
//! host and port that appear or vanish as a whole warn.
//!
//! Severities follow whether a change was declared: a certificate or issuer change is a
//! warning unless the job names the new certificate (or CA), then info; a regression (STARTTLS
//! no longer offered, a lower TLS version) fails; an improvement is info.
//!
//! # References
//! - RFC 5280 §4.1.2.4 (issuer), RFC 4514 (distinguished names as strings)
//! - RFC 3207 §4 (STARTTLS in the EHLO reply), RFC 8446 (TLS 1.3)
//! - RFC 7671 §8.1 and RFC 7672 §3.1 (DANE TLSA records across a certificate rollover)

use std::net::IpAddr;

use time::OffsetDateTime;

use crate::baseline::{Baseline, BaselineEndpoint, BaselineReport, Fingerprint};
use crate::cert::{CertInfo, date};
use crate::diagnose::fixes::renewal as fix;
use crate::diagnose::{Code, Ctx, Finding, Policy, Severity};
use crate::evidence::Evidence;
use crate::model::TlsMode;

/// One `--expect-issuer` value, read once: words to find in a CN or O, or attributes of a
/// distinguished name (see the catalogue's `cert-unexpected-issuer`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerPattern {
    /// The value as given (trimmed), for messages.
    pub text: String,
    form: IssuerForm,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum IssuerForm {
    /// Words, lower case, to find whole and in order in a CN or O.
    Words(Vec<String>),
    /// `(attribute, value)` pairs, attribute upper case, value lower case.
    Dn(Vec<(String, String)>),
}

/// Attribute names as tools write them, mapped to the names reports use.
fn attribute(key: &str) -> String {
    let k = key.trim().to_ascii_uppercase();
    match k.as_str() {
        "S" | "STATEORPROVINCENAME" => "ST".into(),
        "EMAILADDRESS" => "E".into(),
        "COMMONNAME" => "CN".into(),
        "ORGANIZATIONNAME" => "O".into(),
        "ORGANIZATIONALUNITNAME" => "OU".into(),
        "COUNTRYNAME" => "C".into(),
        _ => k,
    }
}

/// The apostrophes a name is written with, folded to `'`: `Let’s Encrypt` as letsencrypt.org
/// writes it (U+2019), a U+2018 or a modifier letter apostrophe (U+02BC) from a word
/// processor match the `'` of the certificate's `O=Let's Encrypt`.
fn apostrophes(s: &str) -> String {
    s.replace(['\u{2019}', '\u{2018}', '\u{02BC}'], "'")
}

/// Lower case, runs of white space as one space, apostrophes folded.
fn folded(s: &str) -> String {
    apostrophes(&s.split_whitespace().collect::<Vec<_>>().join(" ")).to_lowercase()
}

/// The attributes of a distinguished name: `CN=R11, O="Let's Encrypt, Inc", C=US`, OpenSSL's
/// `C = US, O = Let's Encrypt`, or `/C=US/O=Let's Encrypt/CN=R11`, values as written (white
/// space folded). `None` when a part has no `=`.
fn dn_attributes(dn: &str) -> Option<Vec<(String, String)>> {
    let dn = dn.trim();
    let (sep, dn) = match dn.strip_prefix('/') {
        Some(rest) => ('/', rest),
        None => (',', dn),
    };
    let mut parts = Vec::new();
    let (mut current, mut quoted, mut escaped) = (String::new(), false, false);
    for c in dn.chars() {
        match c {
            _ if escaped => {
                current.push(c);
                escaped = false;
            }
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => parts.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    parts.push(current);
    parts
        .iter()
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=')?;
            let (k, v) = (
                attribute(k),
                v.split_whitespace().collect::<Vec<_>>().join(" "),
            );
            (!k.is_empty() && !v.is_empty()).then_some((k, v))
        })
        .collect()
}

/// The attributes with their values in lower case, apostrophes folded, for comparing.
fn lowered(attrs: Vec<(String, String)>) -> Vec<(String, String)> {
    attrs.into_iter().map(|(k, v)| (k, folded(&v))).collect()
}

/// The words of a name, lower case, apostrophes folded: letters, digits and the `'`, `.`,
/// `&` inside a word.
fn words(s: &str) -> Vec<String> {
    apostrophes(&s.to_lowercase())
        .split(|c: char| !(c.is_alphanumeric() || matches!(c, '\'' | '&' | '.')))
        .map(|w| w.trim_matches('.').to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

impl IssuerPattern {
    /// Reads an `--expect-issuer` value; `issuer=` / `issuer:` (OpenSSL's `-issuer`) is
    /// dropped.
    pub fn parse(value: &str) -> Result<Self, String> {
        let text = value.trim().trim_matches(['"', '\'']).trim();
        let lower = text.to_ascii_lowercase();
        let body = ["issuer=", "issuer:", "issuer ="]
            .iter()
            .find_map(|p| lower.starts_with(p).then(|| text[p.len()..].trim()))
            .unwrap_or(text);
        if body.is_empty() {
            return Err("an empty issuer: give a name of the CA (`Let's Encrypt`, `R11`) or its distinguished name (`CN=R11, O=Let's Encrypt, C=US`)".into());
        }
        let form = if body.contains('=') {
            IssuerForm::Dn(dn_attributes(body).map(lowered).ok_or_else(|| {
                format!(
                    "'{body}' has an `=` but is no distinguished name: every part, between commas (or slashes), must be ATTRIBUTE=value, e.g. `CN=R11, O=Let's Encrypt`"
                )
            })?)
        } else {
            let w = words(body);
            if w.is_empty() {
                return Err(format!("'{body}' holds no word to match"));
            }
            IssuerForm::Words(w)
        };
        Ok(IssuerPattern {
            text: body.to_string(),
            form,
        })
    }

    /// Whether the issuer `dn` (as reports write it) matches.
    pub fn matches(&self, dn: &str) -> bool {
        let Some(attrs) = dn_attributes(dn).map(lowered) else {
            return false;
        };
        match &self.form {
            IssuerForm::Dn(want) => want.iter().all(|w| attrs.contains(w)),
            IssuerForm::Words(want) => {
                attrs
                    .iter()
                    .filter(|(k, _)| k == "CN" || k == "O")
                    .any(|(_, v)| {
                        words(v)
                            .windows(want.len())
                            .any(|run| run == want.as_slice())
                    })
            }
        }
    }
}

/// The fingerprint and issuer checks of one endpoint that completed the handshake.
pub(crate) fn rules(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    fingerprint(ctx, &mut out);
    issuer(ctx, &mut out);
    out
}

/// The leaf is none of `--expect-fingerprint`.
fn fingerprint(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let expected = &ctx.policy.expected_fingerprints;
    if expected.is_empty() {
        return;
    }
    let Some(der) = ctx.obs.chain.first() else {
        return;
    };
    let served = Fingerprint::of_der(der);
    if expected.contains(&served) {
        return;
    }
    let leaf = ctx.chain.first();
    let what = leaf.map_or_else(
        || "a certificate that cannot be parsed".to_string(),
        |c| format!("{}, until {}", c.subject, date(c.not_after_at)),
    );
    let summary = format!(
        "serves another certificate than expected: SHA-256 {} ({what})",
        served.short()
    );
    let mut evidence = vec![format!("served: SHA-256 {}", served.colon())];
    if let Some(c) = leaf {
        evidence.push(format!(
            "served: {} (issued by {}), valid {} to {}",
            c.subject,
            c.issuer,
            date(c.not_before_at),
            date(c.not_after_at)
        ));
    }
    evidence.extend(
        expected
            .iter()
            .map(|f| format!("expected: SHA-256 {}", f.colon())),
    );
    out.push(ctx.finding(
        Code::CertUnexpectedFingerprint,
        summary,
        evidence,
        fix::serve_expected(ctx.kind, ctx.port(), leaf, expected),
    ));
}

/// The issuers an `--expect-issuer` is matched against: the leaf's, then those of the other
/// certificates sent.
fn issuers(chain: &[CertInfo]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for c in chain {
        if !out.contains(&c.issuer.as_str()) {
            out.push(&c.issuer);
        }
    }
    out
}

/// Whether a `--expect-issuer` matches the chain.
fn issuer_expected(policy: &Policy, chain: &[CertInfo]) -> bool {
    let seen = issuers(chain);
    policy
        .expected_issuers
        .iter()
        .any(|w| seen.iter().any(|i| w.matches(i)))
}

/// Whether the leaf served is one of `--expect-fingerprint`.
fn pinned(ctx: &Ctx<'_>) -> bool {
    ctx.obs.chain.first().is_some_and(|d| {
        ctx.policy
            .expected_fingerprints
            .contains(&Fingerprint::of_der(d))
    })
}

/// The issuer matches no `--expect-issuer`.
fn issuer(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let wanted = &ctx.policy.expected_issuers;
    let Some(leaf) = ctx.chain.first() else {
        return;
    };
    if wanted.is_empty() || issuer_expected(ctx.policy, ctx.chain) {
        return;
    }
    let pinned = pinned(ctx);
    let mut evidence = vec![format!("issuer of the certificate: {}", leaf.issuer)];
    let others: Vec<&str> = issuers(ctx.chain).into_iter().skip(1).collect();
    if !others.is_empty() {
        evidence.push(format!(
            "issuers of the other certificates sent: {}",
            others.join("; ")
        ));
    }
    evidence.extend(
        wanted
            .iter()
            .map(|w| format!("expected issuer: {}", w.text)),
    );
    let texts: Vec<&str> = wanted.iter().map(|w| w.text.as_str()).collect();
    out.push(ctx.finding(
        Code::CertUnexpectedIssuer,
        format!(
            "issued by {}, which matches no --expect-issuer",
            leaf.issuer
        ),
        evidence,
        fix::issuer_expected(ctx.kind, ctx.port(), leaf, &texts, pinned),
    ));
}

/// An endpoint that presented no certificate while the job expects one: nothing to report
/// when its own findings already fail it or leave it unknown (they say why); otherwise a
/// failure, so a renewal check never passes without having seen the certificate.
pub(crate) fn unseen(ctx: &Ctx<'_>, findings: &mut Vec<Finding>) {
    let p = ctx.policy;
    let (code, option) = match (
        p.expected_fingerprints.is_empty(),
        p.expected_issuers.is_empty(),
    ) {
        (false, _) => (Code::CertUnexpectedFingerprint, "--expect-fingerprint"),
        (true, false) => (Code::CertUnexpectedIssuer, "--expect-issuer"),
        (true, true) => return,
    };
    let decided = findings
        .iter()
        .any(|f| f.severity == Severity::Fail || f.code.inconclusive());
    if !ctx.obs.chain.is_empty() || decided {
        return;
    }
    let stopped = ctx.obs.failure.as_ref().map_or_else(
        || "the probe did not reach a TLS handshake".to_string(),
        |f| format!("the probe stopped in {}: {}", f.phase.name(), f.message),
    );
    findings.push(ctx.finding(
        code,
        format!("presented no certificate, so {option} could not be checked"),
        vec![stopped],
        fix::no_certificate_seen(option),
    ));
}

/// What one job compares with: the baseline, its report of this target, and this run.
struct Against<'a> {
    baseline: &'a Baseline,
    old: &'a BaselineReport,
    policy: &'a Policy,
    target: &'a str,
    now: OffsetDateTime,
}

impl Against<'_> {
    /// `the baseline of 2026-03-01`.
    fn when(&self) -> String {
        format!("the baseline of {}", self.old.date())
    }

    /// The evidence line that names the baseline run.
    fn source_line(&self) -> String {
        let age = self
            .old
            .generated
            .map(|t| format!(", {} days before this run", (self.now - t).whole_days()))
            .unwrap_or_default();
        format!(
            "baseline: {} ({}, made {}{age}; its verdict {})",
            self.baseline.source, self.baseline.shape, self.old.generated_at, self.old.verdict
        )
    }

    /// What the fixes need to write a command that reruns this check.
    fn rerun(&self) -> fix::Rerun<'_> {
        fix::Rerun {
            target: self.target,
            options: &self.policy.rerun_options,
            endpoint_options: &self.policy.endpoint_options,
            baseline: &self.baseline.source,
            single: self.baseline.shape == "a report",
        }
    }
}

/// The endpoint's host (lower case), address and port: what it is matched by.
fn identity(ev: &Evidence) -> (String, IpAddr, u16) {
    let ep = &ev.obs.endpoint;
    (
        ep.host.to_string().to_ascii_lowercase(),
        ep.address.ip(),
        ep.address.port(),
    )
}

/// Compares every endpoint of one job with `policy.baseline`'s report of `target` (as the
/// report names it). Findings about an endpoint of this run join its own (`per_endpoint[i]`
/// for `evidence[i]`); those about none (an endpoint gone, no report for the target) are
/// returned.
pub(crate) fn against_baseline(
    target: &str,
    evidence: &[Evidence],
    per_endpoint: &mut [Vec<Finding>],
    policy: &Policy,
    now: OffsetDateTime,
) -> Vec<Finding> {
    let Some(baseline) = policy.baseline.as_deref() else {
        return Vec::new();
    };
    let Some(old) = baseline.report_for(target) else {
        return vec![target_missing(baseline, target, policy)];
    };
    if let Some(why) = incomparable(old) {
        return vec![nothing_compared(baseline, old, target, policy, why)];
    }
    let a = Against {
        baseline,
        old,
        policy,
        target,
        now,
    };
    for (ev, mine) in evidence.iter().zip(per_endpoint.iter_mut()) {
        let ctx = Ctx {
            ev,
            obs: &ev.obs,
            policy,
            now,
            kind: ev.kind,
            chain: &ev.chain,
        };
        compare(&a, &ctx, mine);
    }
    gone(&a, evidence)
}

/// One endpoint of this run against what the baseline had for it.
fn compare(a: &Against<'_>, ctx: &Ctx<'_>, mine: &mut Vec<Finding>) {
    let (host, ip, port) = identity(ctx.ev);
    let same_host: Vec<&BaselineEndpoint> = a
        .old
        .endpoints
        .iter()
        .filter(|b| b.host == host && b.port == port)
        .collect();
    let exact: Vec<&BaselineEndpoint> = same_host
        .iter()
        .copied()
        .filter(|b| b.address == ip)
        .collect();
    if exact.is_empty() {
        mine.push(endpoint_new(a, ctx, &same_host));
    }
    let peers = if exact.is_empty() { same_host } else { exact };
    if peers.is_empty() {
        return;
    }
    certificate_change(a, ctx, &peers, mine);
    issuer_change(a, ctx, &peers, mine);
    version_change(a, ctx, &peers, mine);
    starttls_change(a, ctx, &peers, mine);
}

/// `SHA-256 AB:CD…, CN=mx, until 2026-06-01` for a baseline certificate.
fn old_cert_line(b: &BaselineEndpoint) -> String {
    match &b.certificate {
        Some(c) => format!(
            "{}: SHA-256 {} ({}, issued by {}, until {})",
            b.label,
            c.sha256.colon(),
            c.subject,
            c.issuer,
            c.not_after.get(..10).unwrap_or(&c.not_after)
        ),
        None => format!(
            "{}: no certificate ({})",
            b.label,
            b.stopped.as_deref().unwrap_or("no TLS")
        ),
    }
}

/// The leaf now against the baseline's leaves.
fn certificate_change(
    a: &Against<'_>,
    ctx: &Ctx<'_>,
    peers: &[&BaselineEndpoint],
    mine: &mut Vec<Finding>,
) {
    let Some(der) = ctx.obs.chain.first() else {
        return;
    };
    let now_fp = Fingerprint::of_der(der);
    let before: Vec<Fingerprint> = peers
        .iter()
        .filter_map(|p| p.certificate.as_ref().map(|c| c.sha256))
        .collect();
    if before.contains(&now_fp) {
        for f in mine
            .iter_mut()
            .filter(|f| f.code == Code::CertUnexpectedFingerprint)
        {
            f.evidence.push(format!(
                "the same certificate as in {} ({}): not renewed on this endpoint",
                a.when(),
                a.baseline.source
            ));
        }
        return;
    }
    let expected = a.policy.expected_fingerprints.contains(&now_fp);
    let new_is = new_kind(ctx.chain.first(), peers, ctx.now);
    let (severity, summary) = match (before.first(), expected) {
        (None, _) => (
            Severity::Info,
            format!(
                "serves a certificate (SHA-256 {}); {} saw none here",
                now_fp.short(),
                a.when()
            ),
        ),
        (Some(_), true) => (
            Severity::Info,
            format!(
                "renewed as expected since {}: SHA-256 {}, one of --expect-fingerprint",
                a.when(),
                now_fp.short()
            ),
        ),
        (Some(old), false) => (
            Severity::Warn,
            format!(
                "serves another certificate than {}: SHA-256 {} (was {}){}",
                a.when(),
                now_fp.short(),
                old.short(),
                new_is.note()
            ),
        ),
    };
    let evidence = change_evidence(a, peers, ctx.chain.first(), now_fp);
    let change = fix::CertChange {
        rerun: a.rerun(),
        kind: ctx.kind,
        host: dns_host(ctx),
        port: ctx.port(),
        now: now_fp,
        declared: severity == Severity::Info,
        new_is,
    };
    mine.push(ctx.finding_with(
        Code::BaselineCertificateChanged,
        severity,
        summary,
        evidence,
        fix::certificate_changed(&change),
    ));
}

/// What the certificate served now is, next to the baseline's (`peers`): self-signed,
/// expired, older than every dated one of theirs (issued or ending before it: a rollback), or
/// a certificate that may be a renewal.
fn new_kind(
    leaf: Option<&CertInfo>,
    peers: &[&BaselineEndpoint],
    now: OffsetDateTime,
) -> fix::NewCert {
    let Some(c) = leaf else {
        return fix::NewCert::Renewal;
    };
    let dated: Vec<_> = peers
        .iter()
        .filter_map(|p| p.certificate.as_ref())
        .filter(|b| b.not_before_at.is_some() || b.not_after_at.is_some())
        .collect();
    let older = !dated.is_empty()
        && dated.iter().all(|b| {
            b.not_before_at.is_some_and(|t| c.not_before_at < t)
                || b.not_after_at.is_some_and(|t| c.not_after_at < t)
        });
    if c.self_signed {
        fix::NewCert::SelfSigned
    } else if c.not_after_at < now {
        fix::NewCert::Expired
    } else if older {
        fix::NewCert::Older
    } else {
        fix::NewCert::Renewal
    }
}

/// What the baseline's peers served, and what this endpoint serves now.
fn change_evidence(
    a: &Against<'_>,
    peers: &[&BaselineEndpoint],
    leaf: Option<&CertInfo>,
    now_fp: Fingerprint,
) -> Vec<String> {
    let mut evidence = vec![a.source_line()];
    evidence.extend(peers.iter().map(|p| format!("then {}", old_cert_line(p))));
    evidence.push(match leaf {
        Some(c) => format!(
            "now: SHA-256 {} ({}, issued by {}, until {})",
            now_fp.colon(),
            c.subject,
            c.issuer,
            date(c.not_after_at)
        ),
        None => format!("now: SHA-256 {}", now_fp.colon()),
    });
    evidence
}

/// The host as a name fit for a `dig` command, when it is one.
fn dns_host(ctx: &Ctx<'_>) -> Option<String> {
    match &ctx.obs.endpoint.host {
        crate::target::Host::Name(n) => super::certificate::safe_name(n),
        crate::target::Host::Ip(_) => None,
    }
}

/// The issuer now against the baseline's.
fn issuer_change(
    a: &Against<'_>,
    ctx: &Ctx<'_>,
    peers: &[&BaselineEndpoint],
    mine: &mut Vec<Finding>,
) {
    let Some(leaf) = ctx.chain.first() else {
        return;
    };
    let mut before: Vec<&str> = Vec::new();
    for p in peers {
        if let Some(c) = &p.certificate
            && !before.contains(&c.issuer.as_str())
        {
            before.push(&c.issuer);
        }
    }
    if before.is_empty() || before.iter().any(|b| folded(b) == folded(&leaf.issuer)) {
        return;
    }
    let declared = pinned(ctx) || issuer_expected(a.policy, ctx.chain);
    let severity = if declared {
        Severity::Info
    } else {
        Severity::Warn
    };
    let evidence = vec![
        a.source_line(),
        format!("then issued by {}", before.join("; ")),
        format!("now issued by {}", leaf.issuer),
    ];
    let change = fix::IssuerChange {
        rerun: a.rerun(),
        kind: ctx.kind,
        host: dns_host(ctx),
        port: ctx.port(),
        thumbprint: &leaf.thumbprint,
        issuer_name: leaf_issuer_name(ctx.chain),
        declared,
        new_is: new_kind(Some(leaf), peers, ctx.now),
    };
    mine.push(ctx.finding_with(
        Code::BaselineIssuerChanged,
        severity,
        format!(
            "issued by {} now; {} saw {}",
            leaf.issuer,
            a.when(),
            before.join("; ")
        ),
        evidence,
        fix::issuer_changed(&change),
    ));
}

/// A word of the leaf's issuer to suggest for `--expect-issuer` (its CN, else its O), when it
/// is plain enough to paste.
fn leaf_issuer_name(chain: &[CertInfo]) -> Option<String> {
    let attrs = dn_attributes(&chain.first()?.issuer)?;
    let pick = |k: &str| attrs.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
    pick("CN").or_else(|| pick("O")).filter(|v| {
        v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '.' | '\''))
    })
}

/// `TLS 1.3` → 13, for comparisons; `None` for what is no TLS version.
fn version_rank(label: &str) -> Option<u8> {
    let minor = label.trim().strip_prefix("TLS 1.")?;
    minor.parse::<u8>().ok().map(|m| 10 + m)
}

/// The TLS version now against the baseline's: a lower one warns (an undeclared change; TLS
/// 1.2 itself is no failure), a higher one is info, and a handshake that no longer completes
/// (a server that now speaks only TLS 1.0 or 1.1, or none this client offers) fails, as the
/// endpoint's own handshake finding does.
fn version_change(
    a: &Against<'_>,
    ctx: &Ctx<'_>,
    peers: &[&BaselineEndpoint],
    mine: &mut Vec<Finding>,
) {
    let before: Vec<(u8, &str)> = peers
        .iter()
        .filter_map(|p| p.tls_version.as_deref())
        .filter_map(|v| version_rank(v).map(|r| (r, v)))
        .collect();
    let (Some(low), Some(high)) = (before.iter().min(), before.iter().max()) else {
        return;
    };
    let Some(now) = ctx.ev.version else {
        if let Some(f) = handshake_lost(a, ctx, high.1) {
            mine.push(f);
        }
        return;
    };
    let rank = version_rank(now.label()).unwrap_or(0);
    let (severity, summary, then) = if rank < low.0 {
        let s = format!("negotiates {now}, lower than {} in {}", low.1, a.when());
        (Severity::Warn, s, low.1)
    } else if rank > high.0 {
        let s = format!("negotiates {now}, higher than {} in {}", high.1, a.when());
        (Severity::Info, s, high.1)
    } else {
        return;
    };
    let evidence = vec![
        a.source_line(),
        format!("then {then}"),
        format!("now {now}"),
    ];
    let fix = if severity == Severity::Warn {
        fix::version_lower(
            ctx.kind,
            ctx.obs.endpoint.address,
            starttls(ctx),
            then,
            now.label(),
        )
    } else {
        fix::nothing_to_change(&a.rerun())
    };
    mine.push(ctx.finding_with(
        Code::BaselineTlsVersionChanged,
        severity,
        summary,
        evidence,
        fix,
    ));
}

/// The handshake failed now where the baseline negotiated `then`: what the server speaks
/// now, from the second hello when it answered one (`TLS 1.1`), else none.
fn handshake_lost(a: &Against<'_>, ctx: &Ctx<'_>, then: &str) -> Option<Finding> {
    use crate::model::LegacyTls;
    use crate::tls::legacy::{ServerAnswer, version_name};
    let failure = ctx.obs.failure.as_ref()?;
    if failure.phase != crate::model::Phase::Handshake {
        return None;
    }
    let spoken = match &ctx.obs.legacy_tls {
        Some(LegacyTls::Answered(ServerAnswer::Hello { version, .. })) => {
            Some(version_name(*version))
        }
        _ => None,
    };
    let now = spoken.as_ref().map_or_else(
        || "none (the TLS handshake failed)".to_string(),
        |v| format!("{v} (the handshake with TLS 1.2 or 1.3 failed)"),
    );
    let summary = format!(
        "the TLS version changed from {then} in {} to {now}",
        a.when()
    );
    let evidence = vec![
        a.source_line(),
        format!("then {then}"),
        format!("now: {}", failure.message),
    ];
    let fix = fix::version_lower(
        ctx.kind,
        ctx.obs.endpoint.address,
        starttls(ctx),
        then,
        &spoken.map_or_else(
            || "no TLS version this client offers (the handshake failed)".to_string(),
            |v| format!("{v} only (the handshake with TLS 1.2 or 1.3 failed)"),
        ),
    );
    Some(ctx.finding_with(
        Code::BaselineTlsVersionChanged,
        Severity::Fail,
        summary,
        evidence,
        fix,
    ))
}

/// The endpoint speaks STARTTLS (not implicit TLS).
fn starttls(ctx: &Ctx<'_>) -> bool {
    ctx.obs.endpoint.tls_mode == TlsMode::Starttls
}

/// STARTTLS offered now against the baseline.
fn starttls_change(
    a: &Against<'_>,
    ctx: &Ctx<'_>,
    peers: &[&BaselineEndpoint],
    mine: &mut Vec<Finding>,
) {
    let before: Vec<bool> = peers.iter().filter_map(|p| p.starttls_offered).collect();
    let (severity, summary) = match ctx.ev.starttls {
        Some(false) if !before.is_empty() && before.iter().all(|&b| b) => (
            Severity::Fail,
            format!("STARTTLS is no longer offered; {} had it", a.when()),
        ),
        Some(true) if !before.is_empty() && before.iter().all(|&b| !b) => (
            Severity::Info,
            format!("STARTTLS is offered now; {} lacked it", a.when()),
        ),
        _ => return,
    };
    let mut evidence = vec![a.source_line()];
    evidence.extend(peers.iter().map(|p| {
        format!(
            "then {}: STARTTLS {}",
            p.label,
            if p.starttls_offered == Some(true) {
                "offered"
            } else {
                "not offered"
            }
        )
    }));
    let fix = if severity == Severity::Fail {
        let fqdn = ctx
            .obs
            .capabilities
            .as_ref()
            .map(|c| c.greeting_name.clone())
            .unwrap_or_default();
        evidence.push("now: STARTTLS not in the EHLO reply".into());
        fix::starttls_lost(ctx.kind, ctx.port(), &fqdn, ctx.ev.seen_as, a.old.date())
    } else {
        evidence.push("now: STARTTLS in the EHLO reply".into());
        fix::nothing_to_change(&a.rerun())
    };
    mine.push(ctx.finding_with(
        Code::BaselineStarttlsChanged,
        severity,
        summary,
        evidence,
        fix,
    ));
}

/// The domain whose MX led to the endpoint, as a name fit for a `dig` command.
fn dns_domain(ctx: &Ctx<'_>) -> Option<String> {
    let via = ctx.obs.endpoint.via.as_ref()?;
    super::certificate::safe_name(&via.domain)
}

/// An endpoint the baseline does not have; `same_host`: the host's endpoints on this port
/// in the baseline (its address changed when there are some).
fn endpoint_new(a: &Against<'_>, ctx: &Ctx<'_>, same_host: &[&BaselineEndpoint]) -> Finding {
    let moved = !same_host.is_empty();
    let mut evidence = vec![a.source_line()];
    let summary = if moved {
        let was: Vec<String> = same_host.iter().map(|b| b.address.to_string()).collect();
        evidence.push(format!(
            "then the host answered on port {} at {}",
            ctx.port(),
            was.join(", ")
        ));
        format!(
            "a new address of this host since {}: compared with its other addresses",
            a.when()
        )
    } else {
        evidence.push(format!(
            "then: {} endpoints, none of this host on port {}",
            a.old.endpoints.len(),
            ctx.port()
        ));
        format!("a new endpoint since {}", a.when())
    };
    if let Some(cmd) = &a.old.invocation {
        evidence.push(format!("baseline command: {cmd}"));
    }
    let severity = if moved {
        Severity::Info
    } else {
        Severity::Warn
    };
    let fix = fix::endpoint_new(
        &a.rerun(),
        dns_domain(ctx),
        dns_host(ctx),
        ctx.obs.endpoint.address.ip().is_ipv6(),
        moved,
    );
    ctx.finding_with(Code::BaselineEndpointNew, severity, summary, evidence, fix)
}

/// The endpoints of the baseline that this run did not probe, one finding per host and port.
fn gone(a: &Against<'_>, evidence: &[Evidence]) -> Vec<Finding> {
    let now: Vec<(String, IpAddr, u16)> = evidence.iter().map(identity).collect();
    let missing: Vec<&BaselineEndpoint> = a
        .old
        .endpoints
        .iter()
        .filter(|b| !now.contains(&(b.host.clone(), b.address, b.port)))
        .collect();
    let mut groups: Vec<(&str, u16, Vec<&BaselineEndpoint>)> = Vec::new();
    for b in missing {
        match groups
            .iter_mut()
            .find(|(h, p, _)| *h == b.host && *p == b.port)
        {
            Some((_, _, list)) => list.push(b),
            None => groups.push((&b.host, b.port, vec![b])),
        }
    }
    groups
        .into_iter()
        .map(|(host, port, list)| {
            let served = now.iter().any(|(h, _, p)| h == host && *p == port);
            gone_group(a, host, port, &list, served)
        })
        .collect()
}

/// The finding for the vanished endpoints of one host and port; `served`: the host still
/// answers on that port at other addresses.
fn gone_group(
    a: &Against<'_>,
    host: &str,
    port: u16,
    list: &[&BaselineEndpoint],
    served: bool,
) -> Finding {
    let label = match list {
        [one] => one.label.clone(),
        _ => format!("{} endpoints of {host} on port {port}", list.len()),
    };
    let (severity, summary) = if served {
        (
            Severity::Info,
            format!(
                "{label}: an address of {} no longer probed; the host answers on port {port} at others",
                a.when()
            ),
        )
    } else {
        (
            Severity::Warn,
            format!("{label}: probed in {}, not by this run", a.when()),
        )
    };
    let mut evidence = vec![a.source_line()];
    evidence.extend(list.iter().map(|b| format!("then {}", old_cert_line(b))));
    if let Some(cmd) = &a.old.invocation {
        evidence.push(format!("baseline command: {cmd}"));
    }
    let domain = list
        .iter()
        .find_map(|b| b.domain.as_deref())
        .and_then(super::certificate::safe_name);
    let fix = fix::endpoint_gone(
        &a.rerun(),
        domain,
        super::certificate::safe_name(host),
        list.iter().any(|b| b.address.is_ipv6()),
        served,
    );
    Finding::new(
        Code::BaselineEndpointGone,
        severity,
        label,
        Vec::new(),
        summary,
        evidence,
        fix,
    )
}

/// Why the baseline's report of a target of a batch cannot be compared with this run, if it
/// cannot: it was made with other options that decide the endpoints (each would be gone or
/// new), or none of its endpoints got as far as an EHLO reply (made where port 25 is
/// blocked: nothing was seen). A one-target run stops at the edge instead
/// (`Baseline::usable_for`).
fn incomparable(old: &BaselineReport) -> Option<String> {
    if !old.differences.is_empty() {
        return Some(format!(
            "it was made with other options that decide which endpoints are probed: {}",
            old.differences.join("; ")
        ));
    }
    (!old.saw_anything()).then(|| {
        format!(
            "no endpoint of it got as far as an EHLO reply: {}",
            old.stopped_phrase()
        )
    })
}

/// The one finding for a target whose baseline report cannot be compared with (`why`), in
/// place of a finding per endpoint.
fn nothing_compared(
    baseline: &Baseline,
    old: &BaselineReport,
    target: &str,
    policy: &Policy,
    why: String,
) -> Finding {
    let mut evidence = vec![format!(
        "baseline: {} ({}, made {}; its verdict {})",
        baseline.source, baseline.shape, old.generated_at, old.verdict
    )];
    if let Some(cmd) = &old.invocation {
        evidence.push(format!("baseline command: {cmd}"));
    }
    Finding::new(
        Code::BaselineTargetMissing,
        Severity::Warn,
        target.to_string(),
        Vec::new(),
        format!(
            "the baseline {}'s report of {target} cannot be compared with: {why}; nothing was compared",
            baseline.source
        ),
        evidence,
        fix::incomparable(&rerun_of(baseline, target, policy)),
    )
}

/// What a fix needs to rerun `target` against `baseline`.
fn rerun_of<'a>(baseline: &'a Baseline, target: &'a str, policy: &'a Policy) -> fix::Rerun<'a> {
    fix::Rerun {
        target,
        options: &policy.rerun_options,
        endpoint_options: &policy.endpoint_options,
        baseline: &baseline.source,
        single: baseline.shape == "a report",
    }
}

/// A target of a batch that the baseline holds no report for.
fn target_missing(baseline: &Baseline, target: &str, policy: &Policy) -> Finding {
    let rerun = rerun_of(baseline, target, policy);
    Finding::new(
        Code::BaselineTargetMissing,
        Severity::Warn,
        target.to_string(),
        Vec::new(),
        format!(
            "the baseline {} holds no report for {target}: nothing was compared",
            baseline.source
        ),
        vec![format!(
            "baseline: {} ({}) holds {}",
            baseline.source,
            baseline.shape,
            baseline.targets_phrase()
        )],
        fix::target_missing(&rerun),
    )
}

#[cfg(test)]
pub(super) mod tests;
