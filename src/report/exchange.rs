//! `exchange-config`'s report: what was read (echoed, so a bad paste shows), the findings
//! with their fixes, and the live join when `--probe` ran, with the probe's own report. One
//! DTO, three pure renderers. Everything pasted is made visible (controls and invisible
//! format characters as `\xNN`) before it is written, in every format.

use std::fmt::Write as _;

use time::OffsetDateTime;

use super::explain::{tool, visible, visible_step_list};
use super::human::{paint, verdict_style};
use super::markdown::{cell, fenced, fix as markdown_fix, prose};
use super::{Format, RenderOptions, Report, Tool, Verdict};
use crate::cert::rfc3339;
use crate::diagnose::Finding;
use crate::exchange::model::{
    Certificate, Cmdlet, Config, Date, Flags, InputFormat, List, ReceiveConnector, Text,
};
use crate::exchange::rules::probe::{JoinRow, connector_label, describe};

/// One property as read.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FieldDto {
    /// The property (`TlsCertificateName`).
    pub property: String,
    /// Its value as read (continuation lines joined).
    pub value: String,
    /// What is uncertain about it (`wrapped`, `cut after 4 items`, `ambiguous date`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doubt: Option<String>,
}

/// One object as read.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ObjectDto {
    /// The cmdlet it came from.
    pub cmdlet: Cmdlet,
    /// Its name as the admin knows it.
    pub name: String,
    /// `file:line`.
    pub at: String,
    /// The properties that matter here.
    pub fields: Vec<FieldDto>,
}

/// One input.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InputDto {
    /// The path, or `-`.
    pub name: String,
    /// How it was decoded.
    pub encoding: String,
    /// It was cut at the size limit.
    pub truncated: bool,
    /// The formats found in it.
    pub formats: Vec<InputFormat>,
}

/// A caveat of the parser.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NoteDto {
    /// `file:line`.
    pub at: String,
    /// What.
    pub message: String,
}

/// The live join.
#[derive(Debug, Clone, serde::Serialize)]
pub struct JoinDto {
    /// The host probed.
    pub host: String,
    /// Why that host.
    pub why: String,
    /// The command line of the probe.
    pub command: String,
    /// Per endpoint: predicted, presented, agree.
    pub rows: Vec<JoinRow>,
}

/// The whole `exchange-config` report (its own JSON document, `kind` says which).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExchangeReport {
    /// Bumped only on an incompatible change.
    pub schema_version: u32,
    /// `exchange-config`.
    pub kind: &'static str,
    /// This tool.
    pub tool: Tool,
    /// RFC 3339 UTC.
    pub generated_at: String,
    /// The worst over the findings (and the probe's, when it ran).
    pub verdict: Verdict,
    /// The first line a human reads.
    pub headline: String,
    /// The inputs.
    pub inputs: Vec<InputDto>,
    /// What was read, object by object.
    pub read: Vec<ObjectDto>,
    /// The parser's caveats.
    pub notes: Vec<NoteDto>,
    /// Every finding, most important first.
    pub findings: Vec<Finding>,
    /// The live join (`--probe`).
    pub join: Option<JoinDto>,
    /// The probe's own report (`--probe`).
    pub probe: Option<Box<Report>>,
}

fn text_field(property: &str, t: Option<&Text>) -> Option<FieldDto> {
    t.map(|t| FieldDto {
        property: property.to_string(),
        value: t.value.clone(),
        doubt: t
            .wrapped
            .then(|| "wrapped across lines in the paste; joined with a space".to_string()),
    })
}

fn plain(property: &str, v: Option<&str>) -> Option<FieldDto> {
    v.map(|v| FieldDto {
        property: property.to_string(),
        value: v.to_string(),
        doubt: None,
    })
}

fn list_field(property: &str, l: Option<&List>) -> Option<FieldDto> {
    l.map(|l| FieldDto {
        property: property.to_string(),
        value: format!("{{{}}}", l.items.join(", ")),
        doubt: l.truncated.then(|| {
            format!(
                "cut after {} items by the paste ($FormatEnumerationLimit): more exist",
                l.items.len()
            )
        }),
    })
}

fn flags_field(property: &str, f: Option<&Flags>) -> Option<FieldDto> {
    f.map(|f| FieldDto {
        property: property.to_string(),
        value: f.raw.clone(),
        doubt: f
            .unknown_bits
            .then(|| "a number with bits of no known name".to_string()),
    })
}

fn bool_field(property: &str, b: Option<bool>) -> Option<FieldDto> {
    b.map(|b| FieldDto {
        property: property.to_string(),
        value: if b { "True" } else { "False" }.to_string(),
        doubt: None,
    })
}

fn date_field(property: &str, d: Option<&Date>) -> Option<FieldDto> {
    d.map(|d| match d {
        Date::Known(t) => FieldDto {
            property: property.to_string(),
            value: rfc3339(*t),
            doubt: None,
        },
        Date::Ambiguous {
            month_first,
            day_first,
        } => FieldDto {
            property: property.to_string(),
            value: format!("{} or {}", rfc3339(*month_first), rfc3339(*day_first)),
            doubt: Some(
                "ambiguous: month-first or day-first, nothing in the paste settles it".to_string(),
            ),
        },
    })
}

fn certificate_object(config: &Config, c: &Certificate) -> ObjectDto {
    let name = c
        .subject
        .as_ref()
        .map(|s| s.value.clone())
        .or_else(|| c.thumbprint.clone())
        .unwrap_or_else(|| "certificate".to_string());
    let fields = [
        plain("Server", c.server.as_ref().map(|s| s.name())).map(|mut f| {
            if let Some(crate::exchange::model::ServerName::Assumed(_)) = c.server {
                f.doubt = Some("not in the paste; the only server the paste names".to_string());
            }
            f
        }),
        plain("Thumbprint", c.thumbprint.as_deref()),
        text_field("Issuer", c.issuer.as_ref()),
        flags_field("Services", c.services.as_ref()),
        list_field("CertificateDomains", c.domains.as_ref()),
        date_field("NotBefore", c.not_before.as_ref()),
        date_field("NotAfter", c.not_after.as_ref()),
        plain("Status", c.status.as_deref()),
        bool_field("HasPrivateKey", c.has_private_key),
        bool_field("IsSelfSigned", c.self_signed),
        plain("RootCAType", c.root_ca_type.as_deref()),
        c.der.as_ref().map(|d| FieldDto {
            property: "RawData".to_string(),
            value: format!("{} bytes (names and dates taken from it)", d.len()),
            doubt: None,
        }),
    ];
    ObjectDto {
        cmdlet: Cmdlet::ExchangeCertificate,
        name,
        at: config.at(c.origin.loc),
        fields: fields.into_iter().flatten().collect(),
    }
}

fn receive_object(config: &Config, rc: &ReceiveConnector) -> ObjectDto {
    let fields = [
        plain("TransportRole", rc.transport_role.as_deref()),
        list_field("Bindings", rc.bindings.as_ref()),
        flags_field("AuthMechanism", rc.auth_mechanism.as_ref()),
        text_field("Fqdn", rc.fqdn.as_ref()),
        text_field("TlsCertificateName", rc.tls_certificate_name.as_ref()),
        list_field("TlsDomainCapabilities", rc.tls_domain_capabilities.as_ref()),
        bool_field("Enabled", rc.enabled),
    ];
    ObjectDto {
        cmdlet: Cmdlet::ReceiveConnector,
        name: connector_label(rc),
        at: config.at(rc.origin.loc),
        fields: fields.into_iter().flatten().collect(),
    }
}

/// An object by its `Identity`, else its `Name`, else `fallback`.
fn object_name(identity: Option<&String>, name: Option<&String>, fallback: &str) -> String {
    identity
        .or(name)
        .cloned()
        .unwrap_or_else(|| fallback.to_string())
}

fn object(cmdlet: Cmdlet, name: String, at: String, fields: Vec<Option<FieldDto>>) -> ObjectDto {
    ObjectDto {
        cmdlet,
        name,
        at,
        fields: fields.into_iter().flatten().collect(),
    }
}

fn send_object(config: &Config, sc: &crate::exchange::model::SendConnector) -> ObjectDto {
    object(
        Cmdlet::SendConnector,
        object_name(sc.identity.as_ref(), sc.name.as_ref(), "send connector"),
        config.at(sc.origin.loc),
        vec![
            list_field("AddressSpaces", sc.address_spaces.as_ref()),
            list_field("SmartHosts", sc.smart_hosts.as_ref()),
            bool_field("DNSRoutingEnabled", sc.dns_routing_enabled),
            text_field("Fqdn", sc.fqdn.as_ref()),
            text_field("TlsCertificateName", sc.tls_certificate_name.as_ref()),
            plain("TlsAuthLevel", sc.tls_auth_level.as_deref()),
            plain("TlsDomain", sc.tls_domain.as_deref()),
            bool_field("RequireTLS", sc.require_tls),
            bool_field("CloudServicesMailEnabled", sc.cloud_services_mail_enabled),
            list_field(
                "SourceTransportServers",
                sc.source_transport_servers.as_ref(),
            ),
        ],
    )
}

fn hybrid_object(config: &Config, hc: &crate::exchange::model::HybridConfiguration) -> ObjectDto {
    object(
        Cmdlet::HybridConfiguration,
        "hybrid configuration".to_string(),
        config.at(hc.origin.loc),
        vec![
            plain("OnPremisesSmartHost", hc.on_premises_smart_host.as_deref()),
            list_field("Domains", hc.domains.as_ref()),
            list_field(
                "ReceivingTransportServers",
                hc.receiving_transport_servers.as_ref(),
            ),
            list_field(
                "SendingTransportServers",
                hc.sending_transport_servers.as_ref(),
            ),
            list_field("EdgeTransportServers", hc.edge_transport_servers.as_ref()),
            list_field("Features", hc.features.as_ref()),
            text_field("TlsCertificateName", hc.tls_certificate_name.as_ref()),
        ],
    )
}

fn inbound_object(config: &Config, c: &crate::exchange::model::InboundConnector) -> ObjectDto {
    object(
        Cmdlet::InboundConnector,
        object_name(c.identity.as_ref(), c.name.as_ref(), "inbound connector"),
        config.at(c.origin.loc),
        vec![
            plain("ConnectorType", c.connector_type.as_deref()),
            plain("ConnectorSource", c.connector_source.as_deref()),
            text_field(
                "TlsSenderCertificateName",
                c.tls_sender_certificate_name.as_ref(),
            ),
            list_field("SenderIPAddresses", c.sender_ip_addresses.as_ref()),
            bool_field("RequireTls", c.require_tls),
            bool_field("Enabled", c.enabled),
        ],
    )
}

fn outbound_object(config: &Config, c: &crate::exchange::model::OutboundConnector) -> ObjectDto {
    object(
        Cmdlet::OutboundConnector,
        object_name(c.identity.as_ref(), c.name.as_ref(), "outbound connector"),
        config.at(c.origin.loc),
        vec![
            plain("ConnectorType", c.connector_type.as_deref()),
            list_field("SmartHosts", c.smart_hosts.as_ref()),
            plain("TlsSettings", c.tls_settings.as_deref()),
            plain("TlsDomain", c.tls_domain.as_deref()),
            list_field("RecipientDomains", c.recipient_domains.as_ref()),
            bool_field("UseMXRecord", c.use_mx_record),
            bool_field("Enabled", c.enabled),
        ],
    )
}

/// All accepted domains as one object (a list of names is what the checks use).
fn accepted_object(config: &Config) -> Option<ObjectDto> {
    let first = config.accepted_domains.first()?;
    let names: Vec<&str> = config
        .accepted_domains
        .iter()
        .map(|d| d.domain_name.as_str())
        .collect();
    Some(object(
        Cmdlet::AcceptedDomain,
        "accepted domains".to_string(),
        config.at(first.origin.loc),
        vec![plain("DomainName", Some(&names.join(", ")))],
    ))
}

fn transport_object(config: &Config, t: &crate::exchange::model::TransportService) -> ObjectDto {
    object(
        Cmdlet::TransportService,
        t.name
            .clone()
            .unwrap_or_else(|| "transport service".to_string()),
        config.at(t.origin.loc),
        vec![plain(
            "InternalTransportCertificateThumbprint",
            t.internal_transport_certificate_thumbprint.as_deref(),
        )],
    )
}

/// Every object read, with the properties the checks use.
fn read_objects(config: &Config) -> Vec<ObjectDto> {
    let c = config;
    let mut out: Vec<ObjectDto> = Vec::new();
    out.extend(c.receive_connectors.iter().map(|rc| receive_object(c, rc)));
    out.extend(c.send_connectors.iter().map(|sc| send_object(c, sc)));
    out.extend(c.certificates.iter().map(|x| certificate_object(c, x)));
    out.extend(c.hybrid.iter().map(|hc| hybrid_object(c, hc)));
    out.extend(c.inbound_connectors.iter().map(|i| inbound_object(c, i)));
    out.extend(c.outbound_connectors.iter().map(|o| outbound_object(c, o)));
    out.extend(accepted_object(c));
    out.extend(c.transport_services.iter().map(|t| transport_object(c, t)));
    out
}

/// The headline: the verdict and the finding that decides it (the first failure, the first
/// warning, or for `unknown` the first check that could not decide), else what was read.
fn headline(verdict: Verdict, findings: &[Finding], read: usize, probe: Option<&Report>) -> String {
    let deciding = findings.iter().find(|f| match verdict {
        Verdict::Fail => f.severity == crate::diagnose::Severity::Fail,
        Verdict::Warn => f.severity == crate::diagnose::Severity::Warn,
        Verdict::Unknown => f.code.inconclusive(),
        Verdict::Pass => false,
    });
    match (verdict, deciding, probe) {
        (Verdict::Pass, _, _) => format!(
            "PASS — {read} objects read; the configuration is consistent as far as the paste shows"
        ),
        (v, Some(f), _) => format!("{} — {}", v.label(), f.summary),
        // The verdict is the probe's: say so, with its cause.
        (v, None, Some(p)) if p.verdict == v => format!(
            "{} — the live probe: {}",
            v.label(),
            p.headline
                .split_once(" — ")
                .map_or(p.headline.as_str(), |(_, rest)| rest)
        ),
        (v, None, _) => format!("{} — {read} objects read", v.label()),
    }
}

/// `row` with its texts made visible.
fn visible_row(row: JoinRow) -> JoinRow {
    use crate::exchange::rules::probe::Prediction;
    let predicted = match row.predicted {
        Prediction::Certificate {
            thumbprint,
            subject,
            by,
        } => Prediction::Certificate {
            thumbprint: visible(&thumbprint),
            subject: visible(&subject),
            by: visible(&by),
        },
        Prediction::NoStarttls { why } => Prediction::NoStarttls { why: visible(&why) },
        Prediction::Unknown { why } => Prediction::Unknown { why: visible(&why) },
    };
    JoinRow {
        endpoint: visible(&row.endpoint),
        connector: row.connector.as_deref().map(visible),
        predicted,
        presented: visible(&row.presented),
        presented_thumbprint: row.presented_thumbprint.as_deref().map(visible),
        starttls_offered: row.starttls_offered,
        agrees: row.agrees,
    }
}

/// `o` with its texts made visible.
fn visible_object(o: ObjectDto) -> ObjectDto {
    ObjectDto {
        cmdlet: o.cmdlet,
        name: visible(&o.name),
        at: visible(&o.at),
        fields: o
            .fields
            .into_iter()
            .map(|f| FieldDto {
                property: f.property,
                value: visible(&f.value),
                doubt: f.doubt.as_deref().map(visible),
            })
            .collect(),
    }
}

/// The verdict: a failure anywhere fails; else a warning warns (a check that could not
/// decide does not hide it: a monitor gating on 1 must see it); else a check that could not
/// decide, or nothing recognised, is unknown; else pass. The probe's verdict, when it ran, is
/// one more voice in the same order.
fn verdict_of(findings: &[Finding], probe: Option<Verdict>) -> Verdict {
    use crate::diagnose::Severity;
    // A finding whose code is inconclusive (nothing recognised) never counts as a warning.
    let any = |s: Severity| {
        findings
            .iter()
            .any(|f| f.severity == s && !f.code.inconclusive())
    };
    let probe_is = |v: Verdict| probe == Some(v);
    if any(Severity::Fail) || probe_is(Verdict::Fail) {
        Verdict::Fail
    } else if any(Severity::Warn) || probe_is(Verdict::Warn) {
        Verdict::Warn
    } else if findings.is_empty()
        || findings.iter().any(|f| f.code.inconclusive())
        || probe_is(Verdict::Unknown)
    {
        Verdict::Unknown
    } else {
        Verdict::Pass
    }
}

/// Builds the report. `findings` are sorted here (most severe first, then by rank).
pub fn build(
    config: &Config,
    mut findings: Vec<Finding>,
    join: Option<JoinDto>,
    probe: Option<Box<Report>>,
    now: OffsetDateTime,
) -> ExchangeReport {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.code.rank().cmp(&b.code.rank()))
    });
    let verdict = verdict_of(&findings, probe.as_ref().map(|p| p.verdict));
    // Everything pasted is made visible here, once: every renderer (JSON included, whose
    // `fix` keeps real line breaks) then writes only visible text.
    let findings: Vec<Finding> = findings.iter().map(visible_finding).collect();
    let read: Vec<ObjectDto> = read_objects(config)
        .into_iter()
        .map(visible_object)
        .collect();
    let join = join.map(|j| JoinDto {
        host: visible(&j.host),
        why: visible(&j.why),
        command: visible(&j.command),
        rows: j.rows.into_iter().map(visible_row).collect(),
    });
    let headline = visible(&headline(verdict, &findings, read.len(), probe.as_deref()));
    ExchangeReport {
        schema_version: 1,
        kind: "exchange-config",
        tool: tool(),
        generated_at: rfc3339(now),
        verdict,
        headline,
        inputs: config
            .inputs
            .iter()
            .map(|i| InputDto {
                name: visible(&i.name),
                encoding: i.encoding.clone(),
                truncated: i.truncated,
                formats: i.formats.clone(),
            })
            .collect(),
        read,
        notes: config
            .notes
            .iter()
            .map(|n| NoteDto {
                at: visible(&config.at(n.loc)),
                message: visible(&n.message),
            })
            .collect(),
        findings,
        join,
        probe,
    }
}

/// Renders `report` in `format`.
pub fn render(report: &ExchangeReport, format: Format, opts: RenderOptions) -> String {
    match format {
        Format::Json | Format::Jsonl | Format::Html | Format::Nagios | Format::Prometheus => {
            super::json::shaped(format, render_json(report))
        }
        Format::Markdown => render_markdown(report),
        Format::Human => render_human(report, opts),
    }
}

fn render_json(report: &ExchangeReport) -> String {
    match super::json::to_text(report, true) {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        // Debug quoting is not JSON: the error goes through the same writer as any string.
        Err(e) => format!(
            "{{\"error\": {}}}\n",
            super::json::to_text(&e.to_string(), false).unwrap_or_else(|_| "\"\"".into())
        ),
    }
}

/// A finding with every text made visible (the pasted values in its summary, evidence and
/// prose; its commands hold only values `ps_quote` let through).
fn visible_finding(f: &Finding) -> Finding {
    let mut v = f.clone();
    v.summary = visible(&f.summary);
    v.endpoint = visible(&f.endpoint);
    v.evidence = f.evidence.iter().map(|e| visible(e)).collect();
    v.fix.steps = visible_step_list(&f.fix.steps);
    v
}

fn formats_word(formats: &[InputFormat]) -> String {
    let words: Vec<&str> = formats
        .iter()
        .map(|f| match f {
            InputFormat::FormatList => "Format-List text",
            InputFormat::Table => "table view",
            InputFormat::ScriptJson => "collection script JSON",
            InputFormat::RawJson => "ConvertTo-Json",
        })
        .collect();
    if words.is_empty() {
        "nothing recognised".to_string()
    } else {
        words.join(", ")
    }
}

fn render_human(report: &ExchangeReport, opts: RenderOptions) -> String {
    let mut out = String::new();
    let head = visible(&report.headline);
    let (word, rest) = head.split_once(' ').unwrap_or((&head, ""));
    let _ = writeln!(
        out,
        "{} {rest}",
        paint(word, verdict_style(report.verdict), opts.color)
    );
    let _ = writeln!(out, "\nRead");
    for i in &report.inputs {
        let _ = writeln!(
            out,
            "  {} ({}, {}{})",
            visible(&i.name),
            i.encoding,
            formats_word(&i.formats),
            if i.truncated {
                ", cut at the size limit"
            } else {
                ""
            }
        );
    }
    for o in &report.read {
        let _ = writeln!(
            out,
            "  {}: {}  ({})",
            o.cmdlet.name(),
            visible(&o.name),
            visible(&o.at)
        );
        for f in &o.fields {
            let _ = writeln!(out, "      {:<24} {}", f.property, visible(&f.value));
            if let Some(d) = &f.doubt {
                let _ = writeln!(out, "      {:<24} ({d})", "");
            }
        }
    }
    for n in &report.notes {
        let _ = writeln!(out, "  note {}: {}", visible(&n.at), visible(&n.message));
    }
    if !report.findings.is_empty() {
        let _ = writeln!(out, "\nFindings");
        let mut seen = Vec::new();
        let shown: Vec<Finding> = report.findings.iter().map(visible_finding).collect();
        for f in &shown {
            super::human::finding(&mut out, f, None, None, opts.color, &mut seen);
        }
    }
    if let Some(j) = &report.join {
        let _ = writeln!(
            out,
            "\nLive check: {} ({})\n  {}",
            visible(&j.host),
            visible(&j.why),
            visible(&j.command)
        );
        for r in &j.rows {
            let mark = match r.agrees {
                Some(true) => "agrees",
                Some(false) => "DISAGREES",
                None => "not compared",
            };
            let _ = writeln!(out, "  {}  [{mark}]", visible(&r.endpoint));
            if let Some(c) = &r.connector {
                let _ = writeln!(out, "      connector  {}", visible(c));
            }
            let _ = writeln!(out, "      predicted  {}", visible(&describe(&r.predicted)));
            let _ = writeln!(out, "      presented  {}", visible(&r.presented));
        }
    }
    if let Some(p) = &report.probe {
        let _ = writeln!(out, "\nProbe report\n");
        out.push_str(&super::human::render(p, opts));
    }
    out
}

/// The properties a ticket's table of what was read shows.
const KEY_PROPERTIES: [&str; 9] = [
    "TlsCertificateName",
    "Thumbprint",
    "Bindings",
    "Fqdn",
    "NotAfter",
    "Services",
    "TlsDomain",
    "TlsSenderCertificateName",
    "SmartHosts",
];

fn markdown_read(out: &mut String, report: &ExchangeReport) {
    let _ = writeln!(out, "\n| read | from | key values |\n|---|---|---|");
    for o in &report.read {
        let keys: Vec<String> = o
            .fields
            .iter()
            .filter(|f| KEY_PROPERTIES.contains(&f.property.as_str()))
            .map(|f| {
                let doubt = if f.doubt.is_some() {
                    " (uncertain)"
                } else {
                    ""
                };
                format!(
                    "{}: `{}`{doubt}",
                    f.property,
                    visible(&f.value).replace('`', "'")
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "| {} {} | {} | {} |",
            o.cmdlet.name(),
            cell(&visible(&o.name)),
            cell(&visible(&o.at)),
            keys.join("<br>")
        );
    }
}

fn markdown_findings(out: &mut String, report: &ExchangeReport) {
    if report.findings.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n| severity | code | object | summary |\n|---|---|---|---|"
    );
    for f in &report.findings {
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} |",
            f.severity.label(),
            f.code,
            cell(&visible(&f.endpoint)),
            prose(&f.summary)
        );
    }
    for f in report.findings.iter().map(visible_finding) {
        let _ = writeln!(out, "\n**`{}`** — {}\n", f.code, prose(&f.summary));
        let _ = write!(out, "{}", fenced(&f.evidence.join("\n"), ""));
        markdown_fix(out, &f.fix.steps);
    }
}

fn markdown_join(out: &mut String, j: &JoinDto) {
    let _ = writeln!(
        out,
        "\n#### Live check: {} ({})\n\n| endpoint | connector | predicted | presented | agrees |\n|---|---|---|---|---|",
        cell(&visible(&j.host)),
        cell(&visible(&j.why))
    );
    for r in &j.rows {
        let agrees = match r.agrees {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "—",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {agrees} |",
            cell(&visible(&r.endpoint)),
            cell(&visible(r.connector.as_deref().unwrap_or(""))),
            cell(&visible(&describe(&r.predicted))),
            cell(&visible(&r.presented)),
        );
    }
}

fn render_markdown(report: &ExchangeReport) -> String {
    let mut out = format!("### exchange-config: {}\n", prose(&report.headline));
    markdown_read(&mut out, report);
    markdown_findings(&mut out, report);
    if let Some(j) = &report.join {
        markdown_join(&mut out, j);
    }
    if let Some(p) = &report.probe {
        let _ = writeln!(out);
        out.push_str(&super::markdown::render(p));
    }
    let _ = writeln!(
        out,
        "\n_{} {} · {}_",
        report.tool.name, report.tool.version, report.generated_at
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::{Code, Family, Fix, Severity};

    fn f(code: Code, severity: Severity) -> Finding {
        Finding::new(
            code,
            severity,
            "x".into(),
            Vec::new(),
            "s".into(),
            Vec::new(),
            Fix::new(Family::Exchange, "t", &[]),
        )
    }

    #[test]
    fn a_warning_is_not_hidden_by_a_check_that_could_not_decide() {
        let warn = f(Code::ExchangeReceiveNoCloudCapability, Severity::Warn);
        let doubt = f(Code::ExchangeCheckInconclusive, Severity::Info);
        assert_eq!(
            verdict_of(&[warn.clone(), doubt.clone()], None),
            Verdict::Warn
        );
        assert_eq!(
            verdict_of(std::slice::from_ref(&doubt), None),
            Verdict::Unknown
        );
        let nothing = f(Code::ExchangeInputUnrecognised, Severity::Warn);
        assert_eq!(verdict_of(&[nothing], None), Verdict::Unknown);
        let ok = f(Code::ExchangeConfigConsistent, Severity::Info);
        assert_eq!(verdict_of(std::slice::from_ref(&ok), None), Verdict::Pass);
        assert_eq!(verdict_of(&[ok], Some(Verdict::Fail)), Verdict::Fail);
        let fail = f(Code::ExchangeReceiveCertificateNotFound, Severity::Fail);
        assert_eq!(verdict_of(&[fail, warn, doubt], None), Verdict::Fail);
    }
}
