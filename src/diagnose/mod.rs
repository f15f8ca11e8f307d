//! Rules: an [`Observation`] and `now` in, findings out. Pure: no I/O, no clock.
//!
//! Each finding carries a stable code, a severity, the evidence that triggered it and a fix
//! written for the admin who must act, in the language of the server that answered.

pub mod catalogue;
pub mod finding;
pub mod fix;
pub mod fixes;
pub mod merge;
pub mod rules;
pub mod tlsrpt_vocab;

use time::OffsetDateTime;

pub use crate::evidence::ServerKind;
pub use catalogue::Code;
pub use finding::{Finding, Severity};
pub use fix::{Family, Fix, Shell, Step};

use crate::cert::CertInfo;
use crate::evidence::Evidence;
use crate::model::Observation;

/// `--warn-days`: warn when the certificate has less than this many days left (raised to
/// the fail threshold when that is more and `--warn-days` is not given).
pub const DEFAULT_WARN_DAYS: u32 = 30;
/// `--fail-days` (or `--min-days`, the same threshold): fail when the certificate has less
/// than this many days left, counted exactly (7 days and 12 hours is not less than 7).
pub const DEFAULT_FAIL_DAYS: u32 = 7;

/// What the user asked to be checked.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Warn when the certificate expires within this many days.
    pub warn_days: i64,
    /// Fail when the certificate expires within this many days.
    pub fail_days: i64,
    /// Names the certificate must cover (`--expect-name`).
    pub expected_names: Vec<String>,
    /// The user supplied extra roots with `--ca-file` (a self-signed cert may be pinned).
    pub extra_roots: bool,
    /// `--expect-required`: TLS must be required here, so tls-not-required warns.
    pub expect_required: bool,
    /// The options of this run that a suggested command must repeat to reach the same
    /// endpoint the same way (`--resolve`, `--resolver`, `--ca-file`, `--ehlo-name`...), each
    /// already quoted for a POSIX shell: a fix that says "probe it with --implicit-tls" gives
    /// a command that probes what this run probed.
    pub rerun_options: Vec<String>,
    /// `--expect-fingerprint`: every endpoint's leaf must be one of these certificates.
    pub expected_fingerprints: Vec<crate::baseline::Fingerprint>,
    /// `--expect-issuer`: the leaf's issuer must match one of these.
    pub expected_issuers: Vec<rules::renewal::IssuerPattern>,
    /// `--baseline`: an earlier run, read at the edge, to compare each endpoint with.
    pub baseline: Option<std::sync::Arc<crate::baseline::Baseline>>,
    /// The options of this run that decide which endpoints are probed (`-p 25,587`,
    /// `--implicit-tls`, `--max-mx`, `--max-addresses`), quoted like `rerun_options`: a
    /// command that makes the next baseline must probe the same endpoints.
    pub endpoint_options: Vec<String>,
    /// `--client-cert`: the certificate we present, for the rules about it.
    pub client_cert: Option<std::sync::Arc<OurClientCert>>,
}

/// The certificate we present (`--client-cert`), as the rules judge it: our file, not the
/// server's, so its findings are the same on every endpoint and merge into one.
#[derive(Debug, Clone)]
pub struct OurClientCert {
    /// The file it was read from.
    pub source: String,
    /// PEM or PFX.
    pub format: crate::tls::client_cert::IdentityFormat,
    /// The chain, leaf first (DER). Never the key.
    pub chain: Vec<Vec<u8>>,
    /// `--client-cert-name`: the names the receiver matches on it.
    pub names: Vec<String>,
    /// The chain checked for client authentication against this machine's roots, when it
    /// was checked.
    pub trust: Option<crate::tls::TrustResult>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            warn_days: 30,
            fail_days: 7,
            expected_names: Vec::new(),
            extra_roots: false,
            expect_required: false,
            rerun_options: Vec::new(),
            expected_fingerprints: Vec::new(),
            expected_issuers: Vec::new(),
            baseline: None,
            endpoint_options: Vec::new(),
            client_cert: None,
        }
    }
}

/// What every rule of one endpoint needs.
pub(crate) struct Ctx<'a> {
    pub ev: &'a Evidence,
    pub obs: &'a Observation,
    pub policy: &'a Policy,
    pub now: OffsetDateTime,
    pub kind: ServerKind,
    /// The parsed chain, leaf first.
    pub chain: &'a [CertInfo],
}

impl Ctx<'_> {
    pub(crate) fn finding(
        &self,
        code: Code,
        summary: String,
        evidence: Vec<String>,
        fix: Fix,
    ) -> Finding {
        self.finding_with(code, code.default_severity(), summary, evidence, fix)
    }

    pub(crate) fn finding_with(
        &self,
        code: Code,
        severity: Severity,
        summary: String,
        evidence: Vec<String>,
        fix: Fix,
    ) -> Finding {
        Finding::new(
            code,
            severity,
            self.ev.label.clone(),
            vec![self.ev.id.clone()],
            summary,
            evidence,
            fix,
        )
    }

    pub(crate) fn port(&self) -> u16 {
        self.ev.port()
    }
}

/// All findings for one endpoint, most important first.
pub fn diagnose(ev: &Evidence, policy: &Policy, now: OffsetDateTime) -> Vec<Finding> {
    let ctx = Ctx {
        ev,
        obs: &ev.obs,
        policy,
        now,
        kind: ev.kind,
        chain: &ev.chain,
    };
    let mut findings = rules::session::rules(&ctx);
    findings.extend(rules::middlebox::rules(&ctx));
    findings.extend(rules::certificate::rules(&ctx));
    findings.extend(rules::tls_policy::rules(&ctx));
    rules::honest::rules(&ctx, &mut findings);
    rules::middlebox::soften_symptoms(&mut findings);
    if let (Some(e), true) = (&ev.unparsable, ev.chain.is_empty()) {
        findings.push(ctx.finding(
            Code::CertUntrusted,
            "the server's certificate cannot be parsed".into(),
            vec![e.to_string()],
            fixes::generic::reexport_certificate(),
        ));
    }
    findings.extend(rules::renewal::rules(&ctx));
    findings.extend(rules::client_cert::rules(&ctx));
    let healthy = ev.obs.tls.is_some()
        && ev.obs.failure.is_none()
        && ev.trusted
        && findings.iter().all(|f| f.severity == Severity::Info);
    if healthy {
        findings.push(rules::session::healthy(&ctx));
    }
    rules::blocklist::rules(&ctx, &mut findings);
    rules::renewal::unseen(&ctx, &mut findings);
    rank(&mut findings);
    findings
}

/// This machine could not load its trusted roots: no certificate can be judged.
pub fn diagnose_trust_store(problem: &str) -> Finding {
    let code = Code::LocalTrustStoreMissing;
    Finding {
        code,
        severity: code.default_severity(),
        endpoint: "this machine".into(),
        endpoints: Vec::new(),
        summary: "no trusted root certificates are available here, so no certificate can be judged"
            .into(),
        evidence: vec![problem.to_string()],
        fix: fixes::generic::install_ca_bundle(),
    }
}

/// A symptom and the finding that explains it when both are raised for the same endpoints,
/// so that acting on the cause also fixes the symptom:
/// - an RSA key under 2048 bits makes rustls refuse the handshake signature;
/// - a self-signed certificate (Exchange's default, named after the server) does not cover
///   the MX name, and its replacement from a public CA does;
/// - the listener without STARTTLS is the one the port comparison names, with its fix;
/// - a server that speaks only TLS 1.0/1.1 fails the handshake of a TLS 1.2/1.3 client;
/// - a device in the path stripped STARTTLS, rewrote EHLO or the STARTTLS command, or
///   presents its own certificate instead of the mail server's;
/// - Exchange Online Protection withholds STARTTLS from a blocklisted sender, and bans one on
///   its own list at connect (`550 5.7.606-649 Access denied, banned sending IP`);
/// - a 421 about connections, or a hang-up after the greeting, is a rate limit;
/// - a silent port, or a handshake met by plaintext, speaks the other TLS mode;
/// - every port-25 connect timed out while another port answered: our network blocks 25;
/// - a change since the baseline that a finding of this run names as a failure (STARTTLS
///   no longer offered, a handshake that no longer completes, a certificate that is not the
///   one expected);
/// - the receiver refused the client certificate we presented (`--client-cert`): the handshake
///   or the TLS session it broke is that refusal;
/// - a sender's DANE failure (`4.7.323 tlsa-invalid`, `4.7.324 dnssec-invalid`, pasted into
///   `explain --probe`) is what the probe's own DANE check found.
const EXPLAINED_BY: [(Code, Code); 29] = [
    (Code::TlsHandshakeFailed, Code::CertWeakKey),
    (Code::TlsHandshakeFailed, Code::TlsLegacyOnly),
    (Code::CertNameMismatch, Code::CertSelfSigned),
    (Code::StarttlsNotOffered, Code::MiddleboxMaskedKeywords),
    (Code::StarttlsNotOffered, Code::MiddleboxMaskedBanner),
    (Code::StarttlsNotOffered, Code::MiddleboxEhloDowngraded),
    (Code::StarttlsNotOffered, Code::StarttlsPortMismatch),
    (Code::StarttlsRejected, Code::MiddleboxStarttlsMangled),
    (Code::CertSelfSigned, Code::TlsInterceptionSuspected),
    (Code::CertUntrusted, Code::TlsInterceptionSuspected),
    (Code::CertChainIncomplete, Code::TlsInterceptionSuspected),
    (Code::CertNameMismatch, Code::TlsInterceptionSuspected),
    (Code::CertEhloNameMismatch, Code::TlsInterceptionSuspected),
    (Code::StarttlsNotOffered, Code::EgressIpBlocklisted),
    (Code::SmtpRejected, Code::EgressIpBlocklisted),
    (Code::SmtpTemporaryRefusal, Code::SmtpRateLimited),
    (Code::SmtpConnectionClosed, Code::SmtpRateLimited),
    (Code::BannerTimeout, Code::TlsModeMismatch),
    (Code::TlsHandshakeFailed, Code::TlsModeMismatch),
    (Code::ConnectTimeout, Code::Port25BlockedHere),
    (Code::BaselineStarttlsChanged, Code::StarttlsNotOffered),
    (Code::BaselineTlsVersionChanged, Code::TlsLegacyOnly),
    (Code::BaselineTlsVersionChanged, Code::TlsHandshakeFailed),
    (
        Code::BaselineCertificateChanged,
        Code::CertUnexpectedFingerprint,
    ),
    (Code::BaselineIssuerChanged, Code::CertUnexpectedIssuer),
    (Code::DaneTlsaInvalid, Code::DaneNoMatch),
    (Code::DaneDnssecInvalid, Code::DaneDnssecBogus),
    (Code::TlsHandshakeFailed, Code::ClientCertRefused),
    (Code::SmtpTlsSessionFailed, Code::ClientCertRefused),
];

/// The finding among `all` that explains `f` (every endpoint of `f` among the cause's), if
/// any: its fix fixes `f` too.
pub(crate) fn explained_by<'a>(f: &Finding, all: &'a [Finding]) -> Option<&'a Finding> {
    EXPLAINED_BY
        .iter()
        .filter(|(symptom, _)| *symptom == f.code)
        .find_map(|(_, cause)| {
            all.iter().find(|c| {
                c.code == *cause
                    // A lesser finding is no cause of a worse one (a listing that only warns
                    // does not explain a port without STARTTLS).
                    && c.severity >= f.severity
                    && !f.endpoints.is_empty()
                    && f.endpoints.iter().all(|e| c.endpoints.contains(e))
            })
        })
}

/// The codes known to explain `symptom` (`explain --probe` joins a pasted error to the cause
/// the probe sees).
pub(crate) fn known_causes(symptom: Code) -> impl Iterator<Item = Code> {
    EXPLAINED_BY
        .iter()
        .filter(move |(s, _)| *s == symptom)
        .map(|(_, cause)| *cause)
}

/// Where `f` is listed among `all`: the catalogue rank, or right after the finding of the same
/// severity that explains it.
pub(crate) fn effective_rank(f: &Finding, all: &[Finding]) -> u16 {
    explained_by(f, all)
        .filter(|c| c.severity == f.severity)
        .map_or(f.code.rank(), |c| c.code.rank() + 1)
}

/// Orders findings: worst severity first, then causes before symptoms (the catalogue rank,
/// and a symptom right after the finding that explains it).
pub fn rank(findings: &mut [Finding]) {
    let mut order: Vec<(usize, u16)> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| (i, effective_rank(f, findings)))
        .collect();
    order.sort_by(|(a, ra), (b, rb)| {
        findings[*b]
            .severity
            .cmp(&findings[*a].severity)
            .then(ra.cmp(rb))
    });
    let sorted: Vec<Finding> = order.iter().map(|(i, _)| findings[*i].clone()).collect();
    findings.clone_from_slice(&sorted);
}
