//! R21: the live probe joined with the model. For each endpoint probed, the receive
//! connector that answers on its port (the one whose `Fqdn` the EHLO greeting names, when
//! several could) and the certificate Exchange's selection gives it are set against what the
//! server presented: "by `TlsCertificateName` this connector should present thumbprint X;
//! `mail.contoso.com:25` presents Y". Agreement is shown as a row of the join, not as a
//! finding; a disagreement is `exchange-presented-certificate-unexpected`.

use time::OffsetDateTime;

use crate::diagnose::{Code, Family, Finding, Fix, Severity};
use crate::exchange::model::{
    Certificate, Config, Join, Presented, ReceiveConnector, binding_port,
};
use crate::exchange::select::{self, Selection, Sought, same_server};

/// What the configuration says an endpoint should do.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Prediction {
    /// Offer STARTTLS with this certificate.
    Certificate {
        /// Its `Thumbprint`.
        thumbprint: String,
        /// Its subject, as pasted.
        subject: String,
        /// Why this one (`TlsCertificateName`, `Fqdn mail.contoso.com`).
        by: String,
    },
    /// Offer no STARTTLS (Event 12014).
    NoStarttls {
        /// Why.
        why: String,
    },
    /// The paste does not say.
    Unknown {
        /// Why.
        why: String,
    },
}

/// One endpoint of the join: the prediction, what was seen, and whether they agree.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JoinRow {
    /// The endpoint label.
    pub endpoint: String,
    /// The receive connector taken to answer on that port (its identity or a description).
    pub connector: Option<String>,
    /// What the configuration predicts.
    pub predicted: Prediction,
    /// What the probe saw, in words (`thumbprint 3F2A…, CN=mail.contoso.com`, `no STARTTLS`).
    pub presented: String,
    /// The thumbprint of the certificate presented, for a machine to compare.
    pub presented_thumbprint: Option<String>,
    /// STARTTLS was offered (`None`: the probe did not get that far).
    pub starttls_offered: Option<bool>,
    /// They agree (`None`: nothing to compare).
    pub agrees: Option<bool>,
}

/// A connector as the admin knows it: its identity, else its name, else a description.
pub fn connector_label(rc: &ReceiveConnector) -> String {
    if let Some(id) = rc.identity.as_ref().or(rc.name.as_ref()) {
        return id.clone();
    }
    let port = rc
        .bindings
        .as_ref()
        .and_then(|b| b.items.iter().find_map(|i| binding_port(i)));
    match (port, &rc.fqdn) {
        (Some(p), Some(f)) => format!("receive connector on port {p} (Fqdn {})", f.value),
        (Some(p), None) => format!("receive connector on port {p}"),
        (None, Some(f)) => format!("receive connector (Fqdn {})", f.value),
        (None, None) => "receive connector".to_string(),
    }
}

/// The enabled receive connectors bound to `port`; when the EHLO greeting names one's `Fqdn`
/// (or its server), that one alone.
fn answering<'a>(config: &'a Config, p: &Presented) -> Vec<&'a ReceiveConnector> {
    let on_port: Vec<&ReceiveConnector> = config
        .receive_connectors
        .iter()
        .filter(|rc| rc.enabled != Some(false))
        .filter(|rc| {
            rc.bindings
                .as_ref()
                .is_some_and(|b| b.items.iter().any(|i| binding_port(i) == Some(p.port)))
        })
        .filter(|rc| {
            !rc.transport_role
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case("HubTransport"))
        })
        .collect();
    // A connector scoped by RemoteIPRanges to a few hosts (a relay for printers) answers only
    // them; the probe, like Exchange Online, reaches the one open to every address.
    let open: Vec<&ReceiveConnector> = on_port
        .iter()
        .copied()
        .filter(|rc| rc.open_to_all())
        .collect();
    let on_port = if open.is_empty() { on_port } else { open };
    if on_port.len() > 1
        && let Some(greeting) = &p.ehlo_name
    {
        let named: Vec<&ReceiveConnector> = on_port
            .iter()
            .copied()
            .filter(|rc| {
                rc.fqdn
                    .as_ref()
                    .is_some_and(|f| f.value.eq_ignore_ascii_case(greeting))
                    || rc
                        .server
                        .as_ref()
                        .is_some_and(|s| same_server(greeting, s.name()))
            })
            .collect();
        if !named.is_empty() {
            return named;
        }
    }
    on_port
}

fn by_words(sought: &Sought) -> String {
    match sought {
        Sought::TlsCertificateName(_) => "TlsCertificateName".to_string(),
        Sought::Fqdn(f) => format!("Fqdn {f} (no TlsCertificateName)"),
        Sought::ServerName(s) => format!("the server name {s} (no TlsCertificateName, no Fqdn)"),
    }
}

fn predict(config: &Config, rc: &ReceiveConnector, now: OffsetDateTime) -> Prediction {
    if rc.auth_mechanism.as_ref().and_then(|a| a.has("Tls")) == Some(false) {
        return Prediction::NoStarttls {
            why: "AuthMechanism lacks Tls".to_string(),
        };
    }
    let server = rc.server_name();
    let sel = select::select_printed(
        config,
        rc.printed.as_ref(),
        rc.tls_certificate_name.as_ref(),
        rc.fqdn.as_ref(),
        server.as_deref(),
        rc.origin.format,
        now,
    );
    match sel {
        Selection::Chosen {
            rivals,
            order_known: false,
            ..
        } if !rivals.is_empty() => Prediction::Unknown {
            why: format!(
                "{} certificates match and the paste's dates do not say which is the newest, the one Exchange takes",
                rivals.len() + 1
            ),
        },
        Selection::Chosen { cert, .. } if cert.has_private_key == Some(false) => {
            Prediction::NoStarttls {
                why: "the certificate it selects has no private key (HasPrivateKey False)"
                    .to_string(),
            }
        }
        Selection::Chosen { cert, sought, .. } => match &cert.thumbprint {
            Some(t) => Prediction::Certificate {
                thumbprint: t.to_ascii_uppercase(),
                subject: subject_of(cert),
                by: by_words(&sought),
            },
            None => Prediction::Unknown {
                why: "the certificate it selects shows no Thumbprint in the paste".to_string(),
            },
        },
        Selection::NotFound { sought, .. } => Prediction::NoStarttls {
            why: format!("no certificate matches its {}", by_words(&sought)),
        },
        Selection::Invalid(_) => Prediction::NoStarttls {
            why: "its TlsCertificateName cannot be read".to_string(),
        },
        Selection::Unknown(why) => Prediction::Unknown { why },
    }
}

fn subject_of(cert: &Certificate) -> String {
    cert.subject
        .as_ref()
        .map_or_else(|| "(subject not pasted)".to_string(), |s| s.value.clone())
}

fn presented_words(p: &Presented) -> String {
    match (&p.certificate, p.starttls_offered) {
        (Some(c), _) => format!("thumbprint {}, {}", c.thumbprint, c.subject),
        (None, Some(false)) => "no STARTTLS in the EHLO reply".to_string(),
        (None, Some(true)) => format!(
            "STARTTLS offered, no certificate seen{}",
            p.failure
                .as_ref()
                .map(|f| format!(" ({f})"))
                .unwrap_or_default()
        ),
        (None, None) => format!(
            "the probe stopped before EHLO{}",
            p.failure
                .as_ref()
                .map(|f| format!(" ({f})"))
                .unwrap_or_default()
        ),
    }
}

/// The rows of the join: one per endpoint and answering connector.
pub fn rows(config: &Config, join: &Join, now: OffsetDateTime) -> Vec<JoinRow> {
    let mut rows = Vec::new();
    for p in &join.endpoints {
        let connectors = answering(config, p);
        if connectors.is_empty() {
            rows.push(JoinRow {
                endpoint: p.endpoint.clone(),
                connector: None,
                predicted: Prediction::Unknown {
                    why: format!("no pasted receive connector is bound to port {}", p.port),
                },
                presented: presented_words(p),
                presented_thumbprint: p.certificate.as_ref().map(|c| c.thumbprint.clone()),
                starttls_offered: p.starttls_offered,
                agrees: None,
            });
            continue;
        }
        let mut mine = Vec::new();
        for rc in connectors {
            let predicted = predict(config, rc, now);
            let agrees = match (&predicted, &p.certificate, p.starttls_offered) {
                (Prediction::Certificate { thumbprint, .. }, Some(c), _) => {
                    Some(c.thumbprint.eq_ignore_ascii_case(thumbprint))
                }
                (Prediction::Certificate { .. }, None, Some(false)) => Some(false),
                (Prediction::NoStarttls { .. }, _, Some(offered)) => Some(!offered),
                _ => None,
            };
            mine.push(JoinRow {
                endpoint: p.endpoint.clone(),
                connector: Some(connector_label(rc)),
                predicted,
                presented: presented_words(p),
                presented_thumbprint: p.certificate.as_ref().map(|c| c.thumbprint.clone()),
                starttls_offered: p.starttls_offered,
                agrees,
            });
        }
        // When several connectors could have answered, one that agrees explains what was seen:
        // only it is shown. Otherwise all are, and the endpoint disagrees only if every one does.
        match mine.iter().position(|r| r.agrees == Some(true)) {
            Some(i) => rows.push(mine.swap_remove(i)),
            None => rows.extend(mine),
        }
    }
    rows
}

/// `exchange-presented-certificate-unexpected` for every row where the configuration and the
/// live server disagree.
pub fn check(config: &Config, join: &Join, now: OffsetDateTime) -> Vec<Finding> {
    let rows = rows(config, join, now);
    join.endpoints
        .iter()
        .filter_map(|p| {
            let mine: Vec<&JoinRow> = rows.iter().filter(|r| r.endpoint == p.endpoint).collect();
            let all_disagree = !mine.is_empty() && mine.iter().all(|r| r.agrees == Some(false));
            all_disagree.then(|| disagreement(config, mine[0], p))
        })
        .collect()
}

fn greeting_note(config: &Config, p: &Presented) -> Option<String> {
    let greeting = p.ehlo_name.as_ref()?;
    let known = config.receive_connectors.iter().any(|rc| {
        rc.fqdn
            .as_ref()
            .is_some_and(|f| f.value.eq_ignore_ascii_case(greeting))
            || rc
                .server
                .as_ref()
                .is_some_and(|s| same_server(greeting, s.name()))
    });
    (!known).then(|| {
        format!(
            "The server greets as `{greeting}`, which is no pasted connector's Fqdn or server: another server or a device in front of Exchange answered."
        )
    })
}

fn disagreement(config: &Config, row: &JoinRow, p: &Presented) -> Finding {
    let connector = row.connector.clone().unwrap_or_default();
    let mut evidence = vec![
        format!("connector: {connector}"),
        format!("predicted: {}", describe(&row.predicted)),
        format!("presented by {}: {}", row.endpoint, row.presented),
    ];
    if let Some(g) = &p.ehlo_name {
        evidence.push(format!("EHLO greeting: `{g}`"));
    }
    let (severity, summary) = match (&row.predicted, p.starttls_offered) {
        (Prediction::Certificate { thumbprint, .. }, Some(false)) => (
            Severity::Fail,
            format!(
                "{} offers no STARTTLS, yet the configuration gives {connector} the certificate {thumbprint}",
                row.endpoint
            ),
        ),
        (Prediction::NoStarttls { .. }, Some(true)) => (
            Severity::Warn,
            format!(
                "{} offers STARTTLS, yet by the configuration pasted {connector} cannot: the paste is not from the server that answered",
                row.endpoint
            ),
        ),
        (Prediction::Certificate { thumbprint, .. }, _) => (
            Severity::Warn,
            format!(
                "{} presents another certificate than the configuration selects for {connector} ({thumbprint})",
                row.endpoint
            ),
        ),
        _ => (
            Severity::Warn,
            format!(
                "{} does not do what the configuration predicts",
                row.endpoint
            ),
        ),
    };
    let mut fix = Fix::new(
        Family::Exchange,
        "exchange_config::presented_unexpected",
        &[&row.endpoint, &connector],
    )
    .say("The configuration pasted and the server that answered disagree.");
    if let Some(software) = &p.not_exchange {
        fix = fix.say(format!(
            "The server that answered shows itself as {software}, not Exchange Server: something other than the server whose configuration was pasted answers on this address and port (NAT or a firewall forwarding to another host, a gateway in front, or the wrong name). Find which device owns it before changing Exchange."
        ));
    } else {
        fix = fix.say("In order of likelihood:");
        if let Some(note) = greeting_note(config, p) {
            fix = fix.say(note);
        }
        fix = fix
            .say("1. Another node answered: the name resolves to several servers (or a load balancer), and this one has another certificate or connector. Probe each address (the endpoints of the probe report) and paste Get-ExchangeCertificate and Get-ReceiveConnector of every server.")
            .say(format!("2. NAT or a firewall forwards port {} to another server or port than the one whose configuration was pasted.", p.port))
            .say("3. A device in front of Exchange (an SMTP gateway, or a firewall inspecting SMTP) answers with its own certificate; Microsoft does not support one between Exchange Online and the hybrid server.")
            .say("4. The paste is from another server, or from before a change: paste it again from the server that owns this address.");
        if matches!(row.predicted, Prediction::Certificate { .. })
            && p.starttls_offered == Some(false)
        {
            fix = fix.say("With no STARTTLS at all, also look for Event 12014 (MSExchangeFrontEndTransport) on the server that answers: its certificate lookup fails there.");
        }
    }
    Finding::new(
        Code::ExchangePresentedCertificateUnexpected,
        severity,
        row.endpoint.clone(),
        Vec::new(),
        summary,
        evidence,
        fix,
    )
}

/// A prediction in words.
pub fn describe(p: &Prediction) -> String {
    match p {
        Prediction::Certificate {
            thumbprint,
            subject,
            by,
        } => format!("thumbprint {thumbprint}, {subject} (chosen by {by})"),
        Prediction::NoStarttls { why } => format!("no STARTTLS: {why}"),
        Prediction::Unknown { why } => format!("unknown: {why}"),
    }
}

#[cfg(test)]
#[path = "probe_tests.rs"]
mod tests;
