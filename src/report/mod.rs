//! The report: a serde DTO built from observations and findings, and one renderer per format.
//!
//! The DTO is the JSON contract (`schema_version` 1): fields may be added, never renamed. The
//! renderers are pure functions returning text, so every format is snapshot-tested; the app
//! writes their output to stdout and nothing else in the crate prints.

mod assemble;
pub mod batch;
pub mod exchange;
pub mod explain;
pub mod html;
pub mod human;
pub mod json;
pub mod listen;
pub mod markdown;
pub mod nagios;
pub mod policy;
pub mod progress;
pub mod prometheus;
pub mod redact;

use time::OffsetDateTime;

pub use assemble::{mx_reports, order_for_reading};

use crate::cert::{CertInfo, rfc3339};
use crate::diagnose::{Finding, ServerKind, Severity, Shell, Step};
use crate::evidence::Evidence;
use crate::model::{EndpointId, FailureKind, Phase, TlsMode};
use crate::smtp::{Direction, escape};
use crate::tls::TlsVersion;

/// The overall result, worst over every endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// No warn or fail finding.
    Pass,
    /// At least one warning, nothing failed, everything conclusive.
    Warn,
    /// Nothing failed, but something could not be checked (421s, our resolver failed).
    Unknown,
    /// At least one failure.
    Fail,
}

impl Verdict {
    /// `PASS`, `WARN`, `FAIL`, `UNKNOWN`.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Warn => "WARN",
            Verdict::Fail => "FAIL",
            Verdict::Unknown => "UNKNOWN",
        }
    }

    /// The worst severity decides, except that an inconclusive finding turns a would-be pass
    /// or warn into unknown: a 421 says nothing about TLS.
    pub fn from_findings(findings: &[Finding]) -> Self {
        if findings.iter().any(|f| f.severity == Severity::Fail) {
            Verdict::Fail
        } else if findings.is_empty() || findings.iter().any(|f| f.code.inconclusive()) {
            Verdict::Unknown
        } else if findings.iter().any(|f| f.severity == Severity::Warn) {
            Verdict::Warn
        } else {
            Verdict::Pass
        }
    }
}

/// Name and version of the tool.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Tool {
    /// `starttls-check`.
    pub name: String,
    /// The crate version.
    pub version: String,
}

/// What TLS negotiated.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TlsDto {
    /// `TLS 1.3`.
    pub version: TlsVersion,
    /// IANA cipher suite name.
    pub cipher_suite: String,
    /// Key exchange group.
    pub key_exchange: Option<String>,
}

/// The chain check.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TrustDto {
    /// Leads to a trusted root (judged apart from dates: an expired certificate from a
    /// trusted CA is trusted and expired).
    pub trusted: bool,
    /// Every certificate on the path is valid at the time of the check.
    pub valid_now: bool,
    /// Why not.
    pub reason: Option<String>,
}

/// How the failure of a phase is reported.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FailureDto {
    /// Which phase.
    pub phase: Phase,
    /// What kind.
    pub kind: FailureKind,
    /// Plain words.
    pub message: String,
}

/// One transcript line.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TranscriptLine {
    /// Milliseconds since the endpoint's probe started.
    pub at_ms: u64,
    /// `sent`, `received` or `event`.
    pub direction: Direction,
    /// The line, control characters escaped.
    pub line: String,
}

/// One mail host of a domain, as DNS named it, with its verdict.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MxReport {
    /// The mail domain.
    pub domain: String,
    /// The MX preference (0 for an implicit MX).
    pub preference: u16,
    /// The MX host (or the address an MX record names).
    pub exchange: String,
    /// No MX record: the domain's own address (RFC 5321 §5.1).
    pub implicit: bool,
    /// The addresses probed.
    pub addresses: Vec<String>,
    /// The worst over this host's DNS and endpoint findings.
    pub verdict: Verdict,
    /// Where and why, when the verdict is not pass.
    pub cause: Option<String>,
}

/// One endpoint in the report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EndpointReport {
    /// The endpoint's identity (findings join on it).
    #[serde(skip)]
    pub id: EndpointId,
    /// `mail.contoso.com [203.0.113.5]:25`: the text findings name it by.
    pub label: String,
    /// Host as named (or the address).
    pub host: String,
    /// The mail domain whose MX led here (`null` for a direct target).
    pub domain: Option<String>,
    /// The MX host name (the same as `host`; `null` for a direct target).
    pub mx: Option<String>,
    /// The MX preference (0 for an implicit MX).
    pub mx_preference: Option<u16>,
    /// IP address.
    pub address: String,
    /// Port.
    pub port: u16,
    /// `starttls` or `implicit`.
    pub tls_mode: TlsMode,
    /// Our side of the connection.
    pub local_address: Option<String>,
    /// The address the server says it saw us as (`250-mx Hello [198.51.100.7]`): our egress
    /// address after NAT, the one a blocklist or a connector's `RemoteIPRanges` sees.
    pub seen_as: Option<String>,
    /// The name sent with EHLO.
    pub ehlo_name_sent: String,
    /// The SNI sent.
    pub sni: Option<String>,
    /// The server software, as far as it shows.
    pub server_software: ServerKind,
    /// The greeting, one line, escaped.
    pub banner: Option<String>,
    /// The EHLO (or HELO) reply lines as received, escaped.
    pub ehlo: Vec<String>,
    /// Line 1 of the EHLO reply: the name the server greets with.
    pub greeting_name: Option<String>,
    /// STARTTLS advertised (null when EHLO never completed).
    pub starttls_offered: Option<bool>,
    /// The reply to STARTTLS.
    pub starttls_reply: Option<String>,
    /// What TLS negotiated, if it completed.
    pub tls: Option<TlsDto>,
    /// The leaf certificate.
    pub certificate: Option<CertInfo>,
    /// The chain exactly as sent, leaf first.
    pub chain: Vec<CertInfo>,
    /// The chain check.
    pub trust: Option<TrustDto>,
    /// Where and how the probe stopped early.
    pub failure: Option<FailureDto>,
    /// EHLO reply over TLS.
    pub ehlo_after_tls: Vec<String>,
    /// Wall time of the probe.
    pub duration_ms: u64,
    /// The run's deadline came before its turn: never connected to, so `duration_ms` (0) is
    /// no time it took (not in the JSON: its `failure` says so).
    #[serde(skip)]
    pub never_started: bool,
    /// DANE (RFC 7672): how the chain fares against the host's TLSA records, when the host
    /// has secure TLSA records.
    pub dane: Option<crate::policy::dane::DaneMatch>,
    /// The chain's revocation (CRLs, a stapled OCSP response, the CA Issuers fetch), unless
    /// `--no-policy` or no certificate was sent.
    pub revocation: Option<crate::revocation::RevocationReport>,
    /// Client authentication (`null` when the handshake never reached the server's
    /// certificate): whether the server asked for a certificate, and what became of ours.
    pub client_auth: Option<ClientAuthDto>,
    /// Everything sent and received.
    pub transcript: Vec<TranscriptLine>,
}

/// An endpoint's client authentication, in the JSON contract.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ClientAuthDto {
    /// The server sent a CertificateRequest.
    pub requested: bool,
    /// The CA names of the request (escaped DNs); empty: any, or not asked.
    pub acceptable_ca_names: Vec<String>,
    /// Ours (`--client-cert`) was sent.
    pub presented: bool,
    /// What became of it.
    pub outcome: crate::model::ClientCertOutcome,
    /// The certificate `--client-cert` names (its leaf), sent only when `presented`.
    pub certificate: Option<CertInfo>,
    /// The `--client-cert` file.
    pub source: Option<String>,
    /// `pem` or `pfx`.
    pub format: Option<crate::tls::client_cert::IdentityFormat>,
    /// Why it was refused, or why the outcome is unknown (not in the JSON contract; the
    /// findings' evidence has it).
    #[serde(skip)]
    pub detail: Option<String>,
}

impl ClientAuthDto {
    /// One line for a reader: `asked (CA names: CN=Corp CA); ours (CN=relay, from
    /// relay.pem) sent, accepted after EHLO (TLS 1.3)`.
    pub fn line(&self) -> String {
        let asked = if !self.requested {
            "not asked".to_string()
        } else if self.acceptable_ca_names.is_empty() {
            "asked (any CA)".to_string()
        } else {
            const SHOWN: usize = 3;
            let more = self.acceptable_ca_names.len().saturating_sub(SHOWN);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            format!(
                "asked (CA names: {}{more})",
                self.acceptable_ca_names
                    .iter()
                    .take(SHOWN)
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        };
        let ours = match (&self.certificate, &self.source) {
            (Some(c), Some(src)) => format!("ours ({}, from {src})", c.subject),
            (None, Some(src)) => format!("ours (from {src})"),
            _ => return format!("{asked}; none given (--client-cert)"),
        };
        use crate::model::ClientCertOutcome as O;
        let what = match self.outcome {
            O::NotRequested => "not sent",
            O::NoneSent => "not sent",
            O::Accepted => "sent, accepted (TLS 1.2: the handshake completed)",
            O::AcceptedAfterEhlo => "sent, accepted after EHLO (TLS 1.3)",
            O::Refused => "sent, REFUSED",
            O::Unknown => {
                "sent, acceptance not known (TLS 1.3: the session ended before EHLO over TLS was answered)"
            }
        };
        format!("{asked}; {ours} {what}")
    }

    /// The endpoint's client authentication, with the certificate of `--client-cert`
    /// (`ours`) judged at `now`.
    pub fn new(
        auth: &crate::model::ClientAuth,
        ours: Option<&crate::diagnose::OurClientCert>,
        now: time::OffsetDateTime,
    ) -> Self {
        ClientAuthDto {
            requested: auth.requested,
            acceptable_ca_names: auth.acceptable_ca_names.clone(),
            presented: auth.presented,
            outcome: auth.outcome,
            certificate: ours
                .and_then(|o| o.chain.first())
                .and_then(|der| CertInfo::parse(der, now).ok()),
            source: ours.map(|o| o.source.clone()),
            format: ours.map(|o| o.format),
            detail: auth.detail.clone(),
        }
    }
}

impl EndpointReport {
    /// The probe's wall time in seconds, exactly (`0.412`), as the monitoring formats write
    /// it; none for an endpoint the run's deadline never let start (its 0 is no time it took).
    pub fn probe_seconds(&self) -> Option<String> {
        let ms = self.duration_ms;
        (!self.never_started).then(|| format!("{}.{:03}", ms / 1000, ms % 1000))
    }

    /// Converts an endpoint's evidence.
    pub fn from_evidence(e: &Evidence) -> Self {
        let o = &e.obs;
        let chain = e.chain.clone();
        let positive_greeting = o
            .helo
            .as_ref()
            .or(o.ehlo.as_ref())
            .filter(|r| r.is_positive());
        EndpointReport {
            id: e.id.clone(),
            label: e.label.clone(),
            host: o.endpoint.host.to_string(),
            domain: o.endpoint.via.as_ref().map(|v| v.domain.clone()),
            mx: o.endpoint.via.as_ref().map(|_| o.endpoint.host.to_string()),
            mx_preference: o.endpoint.via.as_ref().map(|v| v.preference),
            address: o.endpoint.address.ip().to_string(),
            port: o.endpoint.address.port(),
            tls_mode: o.endpoint.tls_mode,
            local_address: o.local_addr.map(|a| a.to_string()),
            seen_as: e.seen_as.map(|ip| ip.to_string()),
            ehlo_name_sent: o.ehlo_name.clone(),
            sni: o.sni.clone(),
            server_software: e.kind,
            banner: o.banner.as_ref().map(crate::smtp::Reply::one_line),
            ehlo: positive_greeting
                .or(o.ehlo.as_ref())
                .map(|r| r.display_lines())
                .unwrap_or_default(),
            greeting_name: o.capabilities.as_ref().map(|c| c.greeting_name.clone()),
            starttls_offered: e.starttls,
            starttls_reply: o.starttls_reply.as_ref().map(crate::smtp::Reply::one_line),
            tls: o.tls.as_ref().map(|t| TlsDto {
                version: t.version,
                cipher_suite: t.cipher_suite.clone(),
                key_exchange: t.key_exchange.clone(),
            }),
            certificate: chain.first().cloned(),
            chain,
            trust: o.trust.as_ref().map(|t| TrustDto {
                trusted: t.trusted,
                valid_now: t.valid_now,
                reason: t.reason.clone(),
            }),
            failure: o.failure.as_ref().map(|f| FailureDto {
                phase: f.phase,
                kind: f.kind,
                message: f.message.clone(),
            }),
            ehlo_after_tls: o
                .ehlo_tls
                .as_ref()
                .map(|r| r.display_lines())
                .unwrap_or_default(),
            duration_ms: u64::try_from(o.duration.as_millis()).unwrap_or(u64::MAX),
            never_started: o.waits.never_started.is_some(),
            dane: None,
            revocation: None,
            client_auth: None,
            transcript: o
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
}

/// The whole report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    /// Bumped only on an incompatible change.
    pub schema_version: u32,
    /// This tool.
    pub tool: Tool,
    /// When the report was made, RFC 3339 UTC.
    pub generated_at: String,
    /// What the user asked for, as typed.
    pub target: String,
    /// The command line as run, quoted for a POSIX shell (`null` for the demo): private trust
    /// (`--ca-file`) and `--resolve` change the verdict, so a ticket shows them.
    pub invocation: Option<String>,
    /// This machine's host name, if it has one: where the probe ran.
    pub probe_host: Option<String>,
    /// The overall verdict.
    pub verdict: Verdict,
    /// The first line a human reads: the verdict and the cause that matters most.
    pub headline: String,
    /// The mail hosts found through MX (or implicit MX), in preference order.
    pub mx: Vec<MxReport>,
    /// Every finding, most important first.
    pub findings: Vec<Finding>,
    /// Every endpoint probed, in MX preference, address and port order.
    pub endpoints: Vec<EndpointReport>,
    /// The expiry thresholds the run judged by (the defaults until the engine sets them):
    /// Nagios performance data repeats them. Not in the JSON contract.
    #[serde(skip)]
    pub expiry: Expiry,
    /// The TLS policy each domain of the target publishes (DNSSEC, TLSA, MTA-STS,
    /// TLS-RPT), keyed by domain; empty with `--no-policy`.
    pub policy: std::collections::BTreeMap<String, policy::PolicyReport>,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The headline's cause for a domain with several mail hosts: how many fail, and the first.
fn domain_cause(verdict: Verdict, mx: &[MxReport], endpoints: usize) -> Option<String> {
    let n = mx.len();
    let bad = |v: Verdict| mx.iter().filter(|m| m.verdict == v).collect::<Vec<_>>();
    let first = |v: Verdict| {
        bad(v)
            .first()
            .and_then(|m| m.cause.clone())
            .map(|c| format!(" — {c}"))
            .unwrap_or_default()
    };
    match verdict {
        Verdict::Pass => Some(format!(
            "all {n} MX hosts pass — STARTTLS works on all {}",
            plural(endpoints, "endpoint", "endpoints")
        )),
        Verdict::Fail if !bad(Verdict::Fail).is_empty() => {
            let k = bad(Verdict::Fail).len();
            Some(format!(
                "{k} of {n} MX hosts {}{}",
                if k == 1 { "fails" } else { "fail" },
                first(Verdict::Fail)
            ))
        }
        Verdict::Unknown if !bad(Verdict::Unknown).is_empty() => {
            let k = bad(Verdict::Unknown).len();
            Some(format!(
                "{k} of {n} MX hosts could not be checked{}",
                first(Verdict::Unknown)
            ))
        }
        Verdict::Warn if !bad(Verdict::Warn).is_empty() => {
            let k = bad(Verdict::Warn).len();
            Some(format!(
                "none of {n} MX hosts fails; {k} {} attention{}",
                if k == 1 { "needs" } else { "need" },
                first(Verdict::Warn)
            ))
        }
        _ => None,
    }
}

impl Report {
    /// The findings that judge endpoint `e`: those that name it, except the comparisons
    /// across endpoints ([`crate::diagnose::Code::is_cross_endpoint`]: `starttls-port-mismatch`,
    /// `endpoints-inconsistent`), which name every member of the group, the healthy ones too,
    /// and say in their text which one is odd.
    pub fn findings_of(&self, e: &EndpointReport) -> Vec<&Finding> {
        self.findings
            .iter()
            .filter(|f| f.endpoints.contains(&e.id) && !f.code.is_cross_endpoint())
            .collect()
    }

    /// The verdict of endpoint `e`, the same in every format that shows one (the human
    /// Endpoints table, Prometheus' `starttls_check_endpoint_verdict`): from
    /// [`Report::findings_of`], pass when none concerns it.
    pub fn endpoint_verdict(&self, e: &EndpointReport) -> Verdict {
        let mine: Vec<Finding> = self.findings_of(e).into_iter().cloned().collect();
        if mine.is_empty() {
            Verdict::Pass
        } else {
            Verdict::from_findings(&mine)
        }
    }

    /// Assembles the report; `findings` must already be ranked.
    pub fn new(
        target: String,
        findings: Vec<Finding>,
        endpoints: Vec<EndpointReport>,
        mx: Vec<MxReport>,
        now: OffsetDateTime,
    ) -> Self {
        let verdict = Verdict::from_findings(&findings);
        // When everything passes, say so rather than lead with a note such as "no MX record".
        let lead = findings
            .iter()
            .find(|f| verdict == Verdict::Pass && f.code == crate::diagnose::Code::StarttlsOk)
            .or_else(|| {
                findings
                    .iter()
                    .find(|f| f.severity != Severity::Info || verdict == Verdict::Pass)
            });
        let single = lead
            .map(|f| {
                // A finding about a whole domain (MTA-STS, TLS-RPT) names the domain as its
                // `endpoint` and already in its summary: no " — domain" after it.
                let where_ = if endpoints.len() > 1
                    && !f.code.is_cross_endpoint()
                    && !f.summary.contains(f.endpoint.as_str())
                {
                    format!(" — {}", f.endpoint)
                } else {
                    String::new()
                };
                format!("{}{where_}", f.summary)
            })
            .unwrap_or_else(|| "nothing could be checked".to_string());
        let by_domain = if mx.len() > 1 {
            domain_cause(verdict, &mx, endpoints.len())
        } else {
            None
        };
        let cause = by_domain.unwrap_or(single);
        let extra = findings
            .iter()
            .filter(|f| f.severity >= Severity::Warn)
            .count()
            .saturating_sub(1);
        let more = if extra > 0 {
            format!(" (+{extra} more)")
        } else {
            String::new()
        };
        Report {
            schema_version: 1,
            tool: Tool {
                name: env!("CARGO_PKG_NAME").into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            generated_at: rfc3339(now),
            headline: format!("{} {target}: {cause}{more}", verdict.label()),
            target,
            invocation: None,
            probe_host: None,
            verdict,
            mx,
            findings,
            endpoints,
            expiry: Expiry::default(),
            policy: Default::default(),
        }
    }
}

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For a terminal: the verdict first, then each endpoint.
    Human,
    /// One JSON document, for CI and monitoring (several targets: one document around
    /// their reports).
    Json,
    /// JSON Lines: one report per target per line, as each completes; a summary on stderr.
    Jsonl,
    /// A short block to paste into a ticket.
    Markdown,
    /// One self-contained HTML page: verdict counts, a sortable table of the targets, a
    /// chart of certificate expiry dates.
    Html,
    /// A Nagios or Icinga plugin's output: a status line with performance data, then the
    /// findings (several targets: the worst, perfdata for all).
    Nagios,
    /// Prometheus text exposition format, for node_exporter's textfile collector.
    Prometheus,
}

/// How to render.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    /// ANSI colours for severities.
    pub color: bool,
    /// Include the SMTP transcript.
    pub verbose: bool,
    /// End with the tool's name, version and the time (the demo says it once for all).
    pub tool_line: bool,
    /// `--redact`: the commands pass the reports and the rendered text through a
    /// [`redact::Redactor`] (one per run, so placeholders agree across reports);
    /// [`render`] itself does not look at it.
    pub redact: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            color: false,
            verbose: false,
            tool_line: true,
            redact: false,
        }
    }
}

/// `--warn-days` and `--fail-days`, as the run judged by them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expiry {
    /// A certificate that expires within this many days is a warning.
    pub warn_days: i64,
    /// Within this many days, a failure.
    pub fail_days: i64,
}

impl Default for Expiry {
    fn default() -> Self {
        Expiry {
            warn_days: i64::from(crate::settings::DEFAULT_WARN_DAYS),
            fail_days: i64::from(crate::settings::DEFAULT_FAIL_DAYS),
        }
    }
}

/// A fix's steps grouped for display: consecutive prose lines, or consecutive commands for
/// one shell.
pub(crate) enum Run<'a> {
    /// Lines of prose.
    Prose(Vec<&'a str>),
    /// Command lines for one shell.
    Commands(Shell, Vec<&'a str>),
}

/// Groups `steps` into runs of prose and runs of commands for one shell.
pub(crate) fn runs(steps: &[Step]) -> Vec<Run<'_>> {
    let mut out: Vec<Run<'_>> = Vec::new();
    for s in steps {
        match (s, out.last_mut()) {
            (Step::Prose { text }, Some(Run::Prose(lines))) => lines.push(text),
            (Step::Prose { text }, _) => out.push(Run::Prose(vec![text])),
            (Step::Command { shell, text }, Some(Run::Commands(sh, lines))) if sh == shell => {
                lines.push(text);
            }
            (Step::Command { shell, text }, _) => out.push(Run::Commands(*shell, vec![text])),
        }
    }
    out
}

/// Writes rendered text to a stream; a closed pipe (`| head`) is not worth an error. Every
/// byte the commands write passes here, so here is the last guard
/// ([`crate::text::guard_output`]): a control, format or separator character a renderer let
/// through is shown as `\uXXXX`, never written raw.
pub fn emit(out: &mut dyn std::io::Write, text: &str) -> std::io::Result<()> {
    let text = crate::text::guard_output(text);
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}

/// What a format writes for an error that stopped the run before any report, as
/// `(stdout, stderr)`: JSON still gives CI a document on stdout (the report's fields, verdict
/// `unknown`, `error` and `error_detail`, made at `now`), Nagios its `STARTTLS UNKNOWN` line,
/// Prometheus `starttls_check_up 0` for each target; every format says the error on stderr.
pub fn render_error(
    format: Format,
    error: &json::RunError,
    now: OffsetDateTime,
) -> (String, String) {
    let stderr = format!("starttls-check: error: {}\n", error.detail.message);
    match format {
        // JSON Lines are reports, one per line: its error line keeps a report's shape.
        Format::Jsonl => (
            json::shaped(
                format,
                json::error_document(
                    &json::RunError {
                        batch: false,
                        ..error.clone()
                    },
                    now,
                ),
            ),
            stderr,
        ),
        Format::Json => (json::error_document(error, now), stderr),
        Format::Nagios => (nagios::render_error(error), stderr),
        Format::Prometheus => (prometheus::render_error(error), stderr),
        Format::Human | Format::Markdown | Format::Html => (String::new(), stderr),
    }
}

/// Writes an application error (not a verdict) in `format` (human when clap could not read
/// one): the one place errors are printed. When the command line's arguments `words` ask for
/// `--redact`, the error's targets and message pass through a redactor that learned what
/// `words` name before any format writes them, and what the format writes after.
pub fn emit_error(format: Option<Format>, error: &json::RunError, words: &[String]) {
    let format = format.unwrap_or(Format::Human);
    let mut redactor = redact::for_error(words);
    let error = match redactor.as_mut() {
        Some(r) => r.run_error(error),
        None => error.clone(),
    };
    let (stdout, stderr) = render_error(format, &error, OffsetDateTime::now_utc());
    let stdout = redact::text(&mut redactor, stdout);
    let stderr = redact::text(&mut redactor, stderr);
    if !stdout.is_empty() {
        let _ = emit(&mut std::io::stdout().lock(), &stdout);
    }
    let _ = emit(&mut std::io::stderr().lock(), &stderr);
}

/// Renders a batch document in a format that writes the whole run at once: Nagios' one
/// status line, one Prometheus exposition (`unchecked`: the targets the run did not finish),
/// else the JSON document.
pub fn render_document(doc: &batch::Document<'_>, format: Format, unchecked: &[String]) -> String {
    match format {
        Format::Nagios => nagios::render_batch(doc),
        Format::Prometheus => prometheus::render_batch(doc, unchecked),
        _ => doc.render(),
    }
}

/// Renders a report in a format.
pub fn render(report: &Report, format: Format, opts: RenderOptions) -> String {
    match format {
        Format::Human => human::render(report, opts),
        Format::Json => json::render(report),
        Format::Jsonl => json::line(report),
        Format::Markdown => markdown::render(report),
        Format::Html => html::render(&batch::Batch::of_one(report)),
        Format::Nagios => nagios::render(report),
        Format::Prometheus => prometheus::render(report),
    }
}

#[cfg(test)]
mod tests;
