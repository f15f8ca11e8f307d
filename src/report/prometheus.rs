//! `--format prometheus`: the Prometheus text exposition format (0.0.4), written for
//! node_exporter's textfile collector, so that a timer running the tool puts STARTTLS where
//! blackbox_exporter's SMTP module sits, with the diagnosis it lacks.
//!
//! ```text
//! # HELP starttls_check_up 1 when the run produced a report for the target, 0 when it failed before one.
//! # TYPE starttls_check_up gauge
//! starttls_check_up{target="contoso.com"} 1
//! # HELP starttls_check_verdict …
//! # TYPE starttls_check_verdict gauge
//! starttls_check_verdict{target="contoso.com",verdict="fail"} 1
//! starttls_check_verdict{target="contoso.com",verdict="pass"} 0
//! …
//! ```
//!
//! Every family has HELP and TYPE (all are gauges) and is written only when it has a sample;
//! the families come in a fixed order and the series of each are sorted by their labels, so
//! two runs over the same servers differ only in their values. A series is written once, even
//! when two endpoints of a report would give the same labels. Per endpoint the labels are
//! `target` (as the report names it), `mx` (the MX host; empty for a direct target),
//! `address` and `port`. State-like values are one series per state, 1 for the current one
//! and 0 for the others, so an alert can say `== 1`. No sample carries a timestamp: the
//! textfile collector refuses them.
//!
//! Label values are escaped as the format asks (`\\`, `\"`, `\n`); any other character that
//! must never reach output raw ([`crate::text::is_hidden`]) is written `\u{XXXX}` first.
//!
//! # References
//! - Prometheus, "Exposition formats", text format 0.0.4.
//! - Prometheus, "Metric and label naming" (base units, `_info` for metadata).
//! - node_exporter, "Textfile Collector".

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::batch::Document;
use super::json::RunError;
use super::{EndpointReport, Report, Verdict};

/// A metric family: its name and its HELP text (all are gauges).
struct Family {
    name: &'static str,
    help: &'static str,
}

const UP: Family = Family {
    name: "starttls_check_up",
    help: "1 when the run produced a report for the target, 0 when it did not: the run failed before one, or was interrupted before the target was checked (the tool's stderr says why).",
};
const VERDICT: Family = Family {
    name: "starttls_check_verdict",
    help: "The target's verdict, one series per state: 1 for the current one, 0 for the others (exit code 0 pass, 1 warn, 2 fail, 3 unknown).",
};
const ENDPOINT_VERDICT: Family = Family {
    name: "starttls_check_endpoint_verdict",
    help: "Each endpoint's verdict, as the human report's Endpoints table gives it: from the findings about that endpoint alone (a comparison across endpoints counts in the target's verdict), one series per state: 1 for the current one, 0 for the others.",
};
const CERT_EXPIRY: Family = Family {
    name: "starttls_check_cert_expiry_timestamp_seconds",
    help: "When the leaf certificate the endpoint served expires (notAfter), in seconds since the Unix epoch.",
};
const CERT_INFO: Family = Family {
    name: "starttls_check_cert_info",
    help: "The leaf certificate the endpoint served: subject, issuer, serial and SHA-256 fingerprint; always 1.",
};
const TLS_VERSION: Family = Family {
    name: "starttls_check_tls_version_info",
    help: "The TLS version the endpoint negotiated; always 1.",
};
const DURATION: Family = Family {
    name: "starttls_check_probe_duration_seconds",
    help: "Wall time of the endpoint's probe, in seconds (absent for an endpoint the deadline never let start).",
};
const FINDINGS: Family = Family {
    name: "starttls_check_findings",
    help: "The target's findings by catalogue code and severity (starttls-check explain CODE).",
};

const DANE_MATCH: Family = Family {
    name: "starttls_check_dane_match",
    help: "DANE (RFC 7672) for endpoints whose host has secure, usable TLSA records: 1 when a record matches the chain served, 0 when none does or no TLS session gave a chain (DANE senders defer); absent when DANE does not apply.",
};
const DNSSEC_SECURE: Family = Family {
    name: "starttls_check_dnssec_secure",
    help: "1 when the validating resolver called the answer secure (AD bit), 0 when insecure, bogus or indeterminate; what=\"mx\" is the domain's MX RRset (RFC 7672 §2.2.1). Absent when the resolver's AD bit is not trusted.",
};
const MTA_STS_MODE: Family = Family {
    name: "starttls_check_mta_sts_mode_info",
    help: "The domain's MTA-STS (RFC 8461) mode: enforce, testing or none from the policy fetched; missing without a record; error when a record exists but no valid policy was read; always 1.",
};
const TLSRPT_PUBLISHED: Family = Family {
    name: "starttls_check_tlsrpt_published",
    help: "1 when the domain publishes one valid TLS-RPT record (RFC 8460), 0 when none or an invalid one; absent when the lookup failed.",
};
const CERT_REVOKED: Family = Family {
    name: "starttls_check_cert_revoked",
    help: "1 when a certificate of the chain served is listed on its CRL or the stapled OCSP response says revoked (see the cert-revoked finding), 0 when a CRL or a staple was read and does not; absent when no source was read.",
};
const CRL_NEXT_UPDATE: Family = Family {
    name: "starttls_check_crl_next_update_timestamp_seconds",
    help: "When the CRL fetched from url (a CRL distribution point of the chain served) announces its next issue (nextUpdate), in seconds since the Unix epoch; a CA that stops publishing lets it pass.",
};

/// The families in the order they are written.
const FAMILIES: [&Family; 14] = [
    &UP,
    &VERDICT,
    &ENDPOINT_VERDICT,
    &CERT_EXPIRY,
    &CERT_INFO,
    &TLS_VERSION,
    &DURATION,
    &FINDINGS,
    &CERT_REVOKED,
    &CRL_NEXT_UPDATE,
    &DANE_MATCH,
    &DNSSEC_SECURE,
    &MTA_STS_MODE,
    &TLSRPT_PUBLISHED,
];

/// Every verdict, each a series of the state families.
const STATES: [Verdict; 4] = [
    Verdict::Pass,
    Verdict::Warn,
    Verdict::Unknown,
    Verdict::Fail,
];

/// The samples gathered so far: per family (in [`FAMILIES`] order), the label set as written
/// → the value. The first sample of a label set wins.
struct Exposition {
    series: Vec<BTreeMap<String, String>>,
}

impl Exposition {
    fn new() -> Self {
        Exposition {
            series: vec![BTreeMap::new(); FAMILIES.len()],
        }
    }

    fn add(&mut self, family: &Family, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        let i = FAMILIES
            .iter()
            .position(|f| f.name == family.name)
            .unwrap_or_default();
        self.series[i]
            .entry(label_set(labels))
            .or_insert_with(|| value.to_string());
    }

    /// One series per state of `verdict`.
    fn states(&mut self, family: &Family, labels: &[(&str, &str)], verdict: Verdict) {
        for state in STATES {
            let word = state.label().to_ascii_lowercase();
            let mut with = labels.to_vec();
            with.push(("verdict", &word));
            self.add(family, &with, u8::from(state == verdict));
        }
    }

    fn text(&self) -> String {
        let mut out = String::new();
        for (family, series) in FAMILIES.iter().zip(&self.series) {
            if series.is_empty() {
                continue;
            }
            let _ = writeln!(out, "# HELP {} {}", family.name, family.help);
            let _ = writeln!(out, "# TYPE {} gauge", family.name);
            for (labels, value) in series {
                let _ = writeln!(out, "{}{labels} {value}", family.name);
            }
        }
        out
    }
}

/// `{name="value",…}`, values escaped.
fn label_set(labels: &[(&str, &str)]) -> String {
    let pairs: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    format!("{{{}}}", pairs.join(","))
}

/// A label value as the text format writes it: `\` → `\\`, `"` → `\"`, a newline `\n`; any
/// other hidden character as `\u{XXXX}` (its backslash escaped), never raw.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str(r"\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str(r"\n"),
            c if crate::text::is_hidden(c) => {
                let _ = write!(out, r"\\u{{{:04X}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// The endpoint families of one endpoint of `report`.
fn add_endpoint(x: &mut Exposition, report: &Report, e: &EndpointReport) {
    let port = e.port.to_string();
    let labels = [
        ("target", report.target.as_str()),
        ("mx", e.mx.as_deref().unwrap_or_default()),
        ("address", e.address.as_str()),
        ("port", port.as_str()),
    ];
    x.states(&ENDPOINT_VERDICT, &labels, report.endpoint_verdict(e));
    if let Some(c) = &e.certificate {
        x.add(&CERT_EXPIRY, &labels, c.not_after_at.unix_timestamp());
        let mut info = labels.to_vec();
        info.extend([
            ("subject", c.subject.as_str()),
            ("issuer", c.issuer.as_str()),
            ("serial", c.serial.as_str()),
            ("sha256", c.sha256.as_str()),
        ]);
        x.add(&CERT_INFO, &info, 1);
    }
    if let Some(t) = &e.tls {
        let label = t.version.label();
        let version = label.strip_prefix("TLS ").unwrap_or(label);
        let mut info = labels.to_vec();
        info.push(("version", version));
        x.add(&TLS_VERSION, &info, 1);
    }
    // An endpoint whose turn came after the deadline was never probed: no duration, rather
    // than a 0 s probe that a latency panel would average in.
    if let Some(s) = e.probe_seconds() {
        x.add(&DURATION, &labels, s);
    }
    add_endpoint_policy(x, report, e, &labels);
}

/// An endpoint's DANE match and revocation.
fn add_endpoint_policy(
    x: &mut Exposition,
    report: &Report,
    e: &EndpointReport,
    labels: &[(&str, &str)],
) {
    if let Some(matched) = e.dane.as_ref().and_then(super::policy::dane_matched) {
        x.add(&DANE_MATCH, labels, u8::from(matched));
    }
    if let Some(r) = &e.revocation {
        let o = &r.observed;
        let revoked = report
            .findings
            .iter()
            .any(|f| f.code == crate::diagnose::Code::CertRevoked && f.endpoints.contains(&e.id));
        let read = o
            .certificates
            .iter()
            .flat_map(|c| &c.crls)
            .any(|c| c.crl.is_some())
            || o.staple.as_ref().is_some_and(|s| s.response.is_some());
        if revoked || read {
            x.add(&CERT_REVOKED, labels, u8::from(revoked));
        }
        for crl in o.certificates.iter().flat_map(|c| &c.crls) {
            if let Some(n) = crl.crl.as_ref().and_then(|f| f.next_update) {
                let mut with = labels.to_vec();
                with.push(("url", crl.url.as_str()));
                x.add(&CRL_NEXT_UPDATE, &with, n.0);
            }
        }
    }
}

/// Each domain's published policy: the MX RRset's DNSSEC, MTA-STS, TLS-RPT.
fn add_policy(x: &mut Exposition, report: &Report) {
    use crate::policy::Dnssec;
    for (domain, p) in &report.policy {
        let labels = [
            ("target", report.target.as_str()),
            ("domain", domain.as_str()),
        ];
        if let (true, Some(d)) = (p.resolver.trusted, p.mx_dnssec) {
            let mut with = labels.to_vec();
            with.push(("what", "mx"));
            x.add(&DNSSEC_SECURE, &with, u8::from(d == Dnssec::Secure));
        }
        if let Some(m) = &p.mta_sts {
            let mode = super::policy::mta_sts_mode(m);
            if let Some(mode) = mode {
                let mut with = labels.to_vec();
                with.push(("mode", mode));
                x.add(&MTA_STS_MODE, &with, 1);
            }
        }
        if let Some(published) = p.tlsrpt.as_ref().and_then(super::policy::tlsrpt_published) {
            x.add(&TLSRPT_PUBLISHED, &labels, u8::from(published));
        }
    }
}

/// Every family of one report.
fn add_report(x: &mut Exposition, report: &Report) {
    let target = [("target", report.target.as_str())];
    x.add(&UP, &target, 1);
    x.states(&VERDICT, &target, report.verdict);
    for e in &report.endpoints {
        add_endpoint(x, report, e);
    }
    add_policy(x, report);
    let mut counts: BTreeMap<(&str, String), usize> = BTreeMap::new();
    for f in &report.findings {
        let severity = f.severity.label().to_ascii_lowercase();
        *counts.entry((f.code.as_str(), severity)).or_default() += 1;
    }
    for ((code, severity), n) in counts {
        x.add(
            &FINDINGS,
            &[
                ("target", &report.target),
                ("code", code),
                ("severity", &severity),
            ],
            n,
        );
    }
}

/// One target's metrics.
pub fn render(report: &Report) -> String {
    let mut x = Exposition::new();
    add_report(&mut x, report);
    x.text()
}

/// A batch's metrics: every target's, in one exposition. `unchecked` names the targets the run
/// did not finish (SIGTERM, Ctrl-C): each gets `starttls_check_up 0` and verdict `unknown`, so
/// that an interrupted run's file says which targets it did not check, rather than leave their
/// series out (a series that vanishes resolves its alerts in silence).
pub fn render_batch(doc: &Document<'_>, unchecked: &[String]) -> String {
    let mut x = Exposition::new();
    for r in doc.reports {
        add_report(&mut x, r);
    }
    for t in unchecked {
        not_checked(&mut x, t);
    }
    x.text()
}

/// A target without a report: `up 0`, verdict `unknown`.
fn not_checked(x: &mut Exposition, target: &str) {
    x.add(&UP, &[("target", target)], 0);
    x.states(&VERDICT, &[("target", target)], Verdict::Unknown);
}

/// A run that stopped before any report: `starttls_check_up 0` and verdict `unknown` for each
/// target named (one with `target=""` when none could be read), so the collector still shows
/// that the check ran and failed.
pub fn render_error(error: &RunError) -> String {
    let mut x = Exposition::new();
    let mut targets: Vec<&str> = error.target.split_whitespace().collect();
    if targets.is_empty() {
        targets.push("");
    }
    for t in targets {
        not_checked(&mut x, t);
    }
    x.text()
}
