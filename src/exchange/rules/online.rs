//! Rules for the cross-premises side of an Exchange hybrid: the on-premises send connector to
//! Exchange Online, the Exchange Online inbound and outbound connectors, the hybrid
//! configuration and the accepted domains (research note §2.2–2.5, rules R2, R3, R4 for the
//! send connector's certificate, R7, R8, R11, R12, R14, R15, R17 for send connectors and the
//! hybrid configuration, R18, R19, R20).
//!
//! Each rule joins two sides the admin usually looks at in two different shells: what the
//! send connector presents (Exchange's own selection, modelled in [`select`]) against what
//! the inbound connector expects, what the hybrid receive connector presents against the
//! outbound connector's `TlsDomain`, and the hybrid configuration against the connectors it
//! should have written. A rule whose input is missing stays silent; one whose input is cut,
//! wrapped, ambiguous or on a server whose certificates were not pasted says so in an
//! `exchange-check-inconclusive` finding, never FAIL.
//!
//! # References
//! - Microsoft Learn, "Set-SendConnector" (`TlsCertificateName`, `TlsAuthLevel`, `TlsDomain`,
//!   `RequireTLS`, `CloudServicesMailEnabled`), "Set-HybridConfiguration"
//! - Microsoft Learn, "Set-InboundConnector" (`TlsSenderCertificateName`: "*.contoso.com"
//!   is a domain and all its subdomains; `RequireTls`, `RestrictDomainsToCertificate` and
//!   `RestrictDomainsToIPAddresses` "apply only to Partner type connectors";
//!   `CloudServicesMailEnabled`: cross-premises headers, "do not use manually";
//!   `TreatMessagesAsInternal`: not needed in hybrid, cannot be `$true` with
//!   `CloudServicesMailEnabled`)
//! - Microsoft Learn, "Set-OutboundConnector" (`TlsDomain` is "meaningful only when the
//!   TlsSettings value is DomainValidation"; `RecipientDomains @{Add=…}`); RFC 6125 §6.4.3
//!   for a wildcard certificate name against a single-name `TlsDomain`
//! - Microsoft Learn, "Export-ExchangeCertificate", "Import-ExchangeCertificate",
//!   "Enable-ExchangeCertificate" (copying the certificate to a server that lacks it)
//! - Microsoft Learn, "Updated requirements for SMTP relay through Exchange Online" and the
//!   NDR articles for `550 5.7.64 TenantAttribution` / `550 5.7.51 TenantInboundAttribution`
//! - Microsoft Tech Community, "TLS certificates in Exchange Hybrid – common issues & how to
//!   fix them" (2025; the wizard's "Update Secure Mail Certificate for Connectors" option,
//!   Microsoft Learn "Choose Exchange Hybrid Configuration feature"), and "Demystifying and
//!   troubleshooting hybrid mail flow: when is a message internal?" (cross-premises headers
//!   and `CloudServicesMailEnabled`)
//! - Message center MC1226222 (February 2026): attribution of on-premises mail by the
//!   certificate domain first; a certificate domain that is not an accepted domain, and IP
//!   addresses shared between tenants, are anti-patterns
//! - microsoft/CSS-Exchange HealthChecker (ExoConnectorCheck, CloudConnectorCheck,
//!   HybridInformation): the detection of the send connector to Exchange Online and the
//!   service-domain patterns

use time::OffsetDateTime;

use crate::diagnose::fix::Family;
use crate::diagnose::{Code, Finding, Fix, Severity, Shell};
use crate::exchange::Limits;
use crate::exchange::fix::{
    Target, inbound_connector_target, outbound_connector_target, ps_quote,
    receive_connector_target, send_connector_target,
};
use crate::exchange::model::{
    Certificate, Config, Date, HybridConfiguration, InboundConnector, InputFormat, List,
    OutboundConnector, ReceiveConnector, SendConnector, Text,
};
use crate::exchange::rules::receive::{self, tls_name_of};
use crate::exchange::select::{
    self, NameProblem, Names, Near, PatternMatch, Selection, Sought, TlsName, cert_names,
    parse_tls_name, pattern_matches, same_server,
};

const EMS: Shell = Shell::ExchangeManagementShell;
const EXO: Shell = Shell::ExchangeOnlinePowerShell;

/// The two rejections Exchange Online gives mail it cannot attribute to the tenant.
const ATTRIBUTION_NDRS: &str =
    "550 5.7.64 TenantAttribution; Relay Access Denied / 550 5.7.51 TenantInboundAttribution";

/// What Exchange Online reports when the certificate on-premises presents is not the one the
/// outbound connector's `TlsDomain` names.
const SUBJECT_MISMATCH: &str =
    "450 4.7.320 Certificate validation failed [Message=SubjectMismatch]";

/// What Exchange reports when a send connector's `TlsCertificateName` names nothing.
const SEND_NOT_FOUND: &str = "454 4.7.5 The certificate specified in TlsCertificateName of the SendConnector could not be found, TLS negotiation failed with error NoCredentials";

/// The findings of the cross-premises side.
pub fn check(config: &Config, now: OffsetDateTime, limits: Limits) -> Vec<Finding> {
    let ctx = Ctx::new(config, now);
    let mut out = Vec::new();
    for sc in &ctx.exo_sends {
        if sc.enabled == Some(false) {
            // A disabled connector carries no mail; its settings are not what breaks mail.
            continue;
        }
        let picks = ctx.send_picks(sc);
        name_syntax(
            &ctx,
            &mut out,
            NameOwner::Send(sc),
            sc.tls_certificate_name.as_ref(),
        );
        send_certificate_not_found(&ctx, &mut out, sc, &picks);
        send_certificate_unusable(&ctx, &mut out, sc, &picks, limits);
        send_no_certificate(&ctx, &mut out, sc, &picks);
        send_tls_policy(&ctx, &mut out, sc);
    }
    sender_certificate_mismatch(&ctx, &mut out);
    tls_domain_not_on_certificate(&ctx, &mut out);
    certificate_domain_not_accepted(&ctx, &mut out);
    for hc in &config.hybrid {
        name_syntax(
            &ctx,
            &mut out,
            NameOwner::Hybrid(hc),
            hc.tls_certificate_name.as_ref(),
        );
        hybrid_certificate_drift(&ctx, &mut out, hc);
        hybrid_endpoint_drift(&ctx, &mut out, hc);
    }
    inbound_ip_based(&ctx, &mut out);
    inbound_connector_risky(&ctx, &mut out);
    outbound_connector_risky(&ctx, &mut out);
    out
}

#[cfg(test)]
#[path = "online_tests.rs"]
mod tests;

// ---------------------------------------------------------------------------------------
// The objects the rules look at.

/// The paste, with the objects of the cross-premises side picked out once.
struct Ctx<'a> {
    config: &'a Config,
    now: OffsetDateTime,
    /// Send connectors that lead to Exchange Online.
    exo_sends: Vec<&'a SendConnector>,
    /// Inbound connectors of type OnPremises.
    inbound: Vec<&'a InboundConnector>,
    /// Outbound connectors of type OnPremises.
    outbound: Vec<&'a OutboundConnector>,
}

impl<'a> Ctx<'a> {
    fn new(config: &'a Config, now: OffsetDateTime) -> Self {
        let on_premises = |t: &Option<String>| {
            t.as_deref()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("OnPremises"))
        };
        Ctx {
            config,
            now,
            exo_sends: config
                .send_connectors
                .iter()
                .filter(|sc| is_exo_send_connector(sc))
                .collect(),
            inbound: config
                .inbound_connectors
                .iter()
                .filter(|c| on_premises(&c.connector_type))
                .collect(),
            outbound: config
                .outbound_connectors
                .iter()
                .filter(|c| on_premises(&c.connector_type))
                .collect(),
        }
    }

    /// The enabled OnPremises inbound connectors that authenticate on-premises by
    /// certificate, with the name they expect.
    fn certificate_inbound(&self) -> Vec<(&'a InboundConnector, &'a Text)> {
        self.inbound
            .iter()
            .filter(|c| c.enabled != Some(false))
            .filter_map(|c| c.tls_sender_certificate_name.as_ref().map(|t| (*c, t)))
            .collect()
    }

    /// Which certificate the send connector presents on each of its source servers.
    fn send_picks(&self, sc: &'a SendConnector) -> Picks<'a> {
        let (servers, cut) = match &sc.source_transport_servers {
            Some(l) if !l.items.is_empty() => (
                l.items.iter().map(|s| Some(s.trim().to_string())).collect(),
                l.truncated,
            ),
            _ => (vec![None], false),
        };
        let per_server = servers
            .into_iter()
            .map(|server: Option<String>| {
                let sel = select::select(
                    self.config,
                    sc.tls_certificate_name.as_ref(),
                    sc.fqdn.as_ref(),
                    server.as_deref(),
                    sc.origin.format,
                    self.now,
                );
                (server, sel)
            })
            .collect();
        Picks { per_server, cut }
    }

    /// `input:line`.
    fn at(&self, loc: crate::exchange::model::Loc) -> String {
        self.config.at(loc)
    }

    /// Whether the paste holds certificates at all (without them, every rule that needs the
    /// selection is silent rather than inconclusive).
    fn has_certificates(&self) -> bool {
        !self.config.certificates.is_empty()
    }
}

/// A send connector's certificate per source server.
struct Picks<'a> {
    /// (the server as the connector names it, or `None`; what Exchange would present there).
    per_server: Vec<(Option<String>, Selection<'a>)>,
    /// `SourceTransportServers` was cut: servers beyond the ones shown are not checked.
    cut: bool,
}

impl<'a> Picks<'a> {
    /// The certificates presented, one per server that has one.
    fn chosen(&self) -> Vec<(&Option<String>, &'a Certificate)> {
        self.per_server
            .iter()
            .filter_map(|(s, sel)| match sel {
                Selection::Chosen { cert, .. } => Some((s, *cert)),
                _ => None,
            })
            .collect()
    }
}

/// Which Exchange Online a connector leads to (the service domains differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cloud {
    /// Worldwide (`mail.protection.outlook.com`).
    Worldwide,
    /// Operated by 21Vianet (`mail.protection.partner.outlook.cn`).
    China,
    /// US Government (`mail.protection.office365.us`).
    UsGovernment,
}

impl Cloud {
    /// The `TlsDomain` a send connector to this cloud validates its certificate against.
    fn tls_domain(self) -> &'static str {
        match self {
            Cloud::Worldwide => "mail.protection.outlook.com",
            Cloud::China => "mail.protection.partner.outlook.cn",
            Cloud::UsGovernment => "mail.protection.office365.us",
        }
    }

    const ALL: [Cloud; 3] = [Cloud::Worldwide, Cloud::China, Cloud::UsGovernment];
}

fn lower(s: &str) -> String {
    s.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// `tenant.mail.protection.outlook.com` (and the sovereign twins): HealthChecker's
/// `^[^.]+\.mail\.protection\.(outlook\.com|partner\.outlook\.cn|office365\.us)$`.
fn smart_host_cloud(host: &str) -> Option<Cloud> {
    let h = lower(host);
    let (first, rest) = h.split_once('.')?;
    if first.is_empty() {
        return None;
    }
    Cloud::ALL.into_iter().find(|c| rest == c.tls_domain())
}

/// `tenant.mail.onmicrosoft.com` (and the sovereign twins): the coexistence (remote routing)
/// domain, `^[^.]+\.mail\.(onmicrosoft\.com|partner\.onmschina\.cn|onmicrosoft\.us)$`.
fn routing_domain_cloud(domain: &str) -> Option<Cloud> {
    let d = lower(domain);
    let (first, rest) = d.split_once('.')?;
    if first.is_empty() || first == "*" {
        return None;
    }
    match rest {
        "mail.onmicrosoft.com" => Some(Cloud::Worldwide),
        "mail.partner.onmschina.cn" => Some(Cloud::China),
        "mail.onmicrosoft.us" => Some(Cloud::UsGovernment),
        _ => None,
    }
}

/// The domain of an address space or a sender domain as printed: `SMTP:contoso.com;1` →
/// `contoso.com` (`Type:Address;Cost`; the type and the cost are optional).
fn address_space_domain(item: &str) -> String {
    let item = item.trim();
    let item = match item.split_once(':') {
        Some((kind, rest)) if !kind.contains('.') && !kind.contains('*') => rest,
        _ => item,
    };
    let item = item.split(';').next().unwrap_or_default();
    lower(item)
}

/// HCW names its send connector `Outbound to Office 365 - <GUID>`.
fn is_hcw_send_name(name: &str) -> bool {
    let n = name.trim();
    let prefix = "outbound to office 365 - ";
    if n.len() != prefix.len() + 36 || !n.is_char_boundary(prefix.len()) {
        return false;
    }
    let (head, guid) = n.split_at(prefix.len());
    head.eq_ignore_ascii_case(prefix)
        && guid.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// The send connector leads to Exchange Online: `CloudServicesMailEnabled`, an EOP smart
/// host, a coexistence-domain address space, or HCW's name.
fn is_exo_send_connector(sc: &SendConnector) -> bool {
    sc.cloud_services_mail_enabled == Some(true)
        || sc
            .smart_hosts
            .as_ref()
            .is_some_and(|l| l.items.iter().any(|h| smart_host_cloud(h).is_some()))
        || sc.address_spaces.as_ref().is_some_and(|l| {
            l.items
                .iter()
                .any(|a| routing_domain_cloud(&address_space_domain(a)).is_some())
        })
        || [&sc.identity, &sc.name]
            .into_iter()
            .flatten()
            .any(|n| is_hcw_send_name(n))
}

/// The cloud a send connector leads to, when its smart hosts or address spaces say.
fn send_cloud(sc: &SendConnector) -> Option<Cloud> {
    let by_host = sc
        .smart_hosts
        .as_ref()
        .and_then(|l| l.items.iter().find_map(|h| smart_host_cloud(h)));
    by_host.or_else(|| {
        sc.address_spaces.as_ref().and_then(|l| {
            l.items
                .iter()
                .find_map(|a| routing_domain_cloud(&address_space_domain(a)))
        })
    })
}

/// A name that only resolves inside the organisation: one label, or a private suffix (the
/// receive rules' list, so that both halves call the same names internal).
fn is_internal_name(name: &str) -> bool {
    receive::internal_name(name).is_some()
}

// ---------------------------------------------------------------------------------------
// Words and values.

/// A pasted value for the evidence: in backticks (a backtick inside becomes `'`), controls
/// and invisible format characters escaped.
fn tick(v: &str) -> String {
    format!("`{}`", plain(v).replace('`', "'"))
}

/// A pasted value as plain text (endpoint labels, prose): trimmed, with every control and
/// invisible format character (bidi overrides, zero-width) written as `\u{…}`, so nothing
/// pasted can act on a terminal or make a line read differently from what it holds. A
/// backslash stays one: Exchange identities hold it (`EX01\Default Frontend EX01`).
fn plain(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.trim().chars() {
        if c.is_control() || ps_quote(&c.to_string()).is_none() {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// An object by its `Identity`, else its `Name`, else `fallback`.
fn object_name(identity: Option<&str>, name: Option<&str>, fallback: &str) -> String {
    identity
        .or(name)
        .map(plain)
        .unwrap_or_else(|| fallback.to_string())
}

fn send_name(sc: &SendConnector) -> String {
    object_name(
        sc.identity.as_deref(),
        sc.name.as_deref(),
        "the send connector to Exchange Online",
    )
}

fn inbound_name(c: &InboundConnector) -> String {
    object_name(
        c.identity.as_deref(),
        c.name.as_deref(),
        "the Exchange Online inbound connector",
    )
}

fn outbound_name(c: &OutboundConnector) -> String {
    object_name(
        c.identity.as_deref(),
        c.name.as_deref(),
        "the Exchange Online outbound connector",
    )
}

fn receive_name(rc: &ReceiveConnector) -> String {
    object_name(
        rc.identity.as_deref(),
        rc.name.as_deref(),
        "the hybrid receive connector",
    )
}

const HYBRID: &str = "the hybrid configuration";

fn server_label(s: &Option<String>) -> String {
    s.as_deref()
        .map(plain)
        .unwrap_or_else(|| "its server".to_string())
}

fn join_servers<'s>(servers: impl IntoIterator<Item = &'s Option<String>>) -> String {
    servers
        .into_iter()
        .map(server_label)
        .collect::<Vec<_>>()
        .join(", ")
}

/// How a certificate is named in the evidence.
fn cert_label(c: &Certificate) -> String {
    let mut parts = Vec::new();
    if let Some(t) = &c.thumbprint {
        parts.push(format!("thumbprint {}", tick(t)));
    }
    if let Some(s) = &c.subject {
        parts.push(format!("subject {}", tick(&s.value)));
    }
    if let Some(i) = &c.issuer {
        parts.push(format!("issuer {}", tick(&i.value)));
    }
    if c.self_signed == Some(true) {
        parts.push("self-signed".to_string());
    }
    if parts.is_empty() {
        "a certificate".to_string()
    } else {
        parts.join(", ")
    }
}

fn names_label(names: &Names) -> String {
    let mut s = names
        .names
        .iter()
        .map(|n| tick(n))
        .collect::<Vec<_>>()
        .join(", ");
    if !names.complete {
        s.push_str(" (the paste may show only some)");
    }
    s
}

/// A certificate a connector can be pointed at: not self-signed, enabled for SMTP, with its
/// key, `Valid` (or unknown), not known to have expired.
fn eligible(cert: &Certificate, now: OffsetDateTime) -> bool {
    cert.self_signed != Some(true)
        && !cert
            .root_ca_type
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case("Registry"))
        && cert.services.as_ref().and_then(|s| s.has("SMTP")) == Some(true)
        && cert.has_private_key != Some(false)
        && cert
            .status
            .as_deref()
            .is_none_or(|s| s.trim().eq_ignore_ascii_case("Valid"))
        && cert.not_after.as_ref().and_then(|d| d.before(now)) != Some(true)
}

fn newest(mut certs: Vec<&Certificate>, now: OffsetDateTime) -> Option<&Certificate> {
    certs.sort_by_key(|c| std::cmp::Reverse(select::not_before(c, now)));
    certs.into_iter().next()
}

/// The pasted certificates of these servers (all of them when no server is named).
fn certs_of<'a>(config: &'a Config, servers: &[Option<String>]) -> Vec<&'a Certificate> {
    let mut out: Vec<&Certificate> = Vec::new();
    for s in servers {
        for c in select::scope(config, s.as_deref()).certs {
            if !out.iter().any(|o| std::ptr::eq(*o, c)) {
                out.push(c);
            }
        }
    }
    out
}

/// A connector's domain pattern, read the way its own parameter is documented.
#[derive(Debug, Clone, Copy)]
enum Pattern<'p> {
    /// An inbound connector's `TlsSenderCertificateName`: `*.contoso.com` is "a domain and
    /// all its subdomains" (Set-InboundConnector). How Exchange Online attributes by a
    /// wildcard certificate for a single name is not documented: a doubt.
    Sender(&'p str),
    /// An outbound connector's `TlsDomain` with `TlsSettings DomainValidation`: for a single
    /// name, ordinary certificate name validation, so a wildcard certificate name covers it
    /// as RFC 6125 §6.4.3 says; for `*.contoso.com`, "all subdomains" (the apex alone is a
    /// doubt).
    TlsDomain(&'p str),
}

impl Pattern<'_> {
    /// Whether the certificate's names satisfy the pattern.
    fn matches(self, names: &Names) -> PatternMatch {
        match self {
            Pattern::Sender(p) => pattern_matches(p, names, true),
            Pattern::TlsDomain(d) => {
                let d = d.trim();
                if !d.starts_with("*.")
                    && let Some(n) = names.names.iter().find(|n| select::covers(n, d))
                {
                    return PatternMatch::Yes(lower(n));
                }
                pattern_matches(d, names, false)
            }
        }
    }
}

/// The best certificate to point a connector at: the newest eligible one whose names
/// satisfy `pattern` (an inbound connector's `TlsSenderCertificateName`, a `TlsDomain`) when
/// one is given, else that covers `host` when given, else the newest eligible one.
fn best_certificate<'a>(
    certs: &[&'a Certificate],
    pattern: Option<Pattern>,
    host: Option<&str>,
    now: OffsetDateTime,
) -> Option<&'a Certificate> {
    let pool: Vec<&Certificate> = certs
        .iter()
        .copied()
        .filter(|c| eligible(c, now))
        .filter(|c| match (pattern, host) {
            (Some(p), _) => {
                cert_names(c, now).is_some_and(|n| matches!(p.matches(&n), PatternMatch::Yes(_)))
            }
            (None, Some(h)) => select::cert_covers(c, h, now) == Some(true),
            (None, None) => true,
        })
        .collect();
    newest(pool, now)
}

/// The name on `cert` to give a connector pattern: its subject's common name when that is
/// one of its names, else its first name that is not a wildcard, else its first name.
fn name_on(cert: &Certificate, now: OffsetDateTime) -> Option<String> {
    let names = cert_names(cert, now)?;
    let cn = select::cert_dns(cert, now).and_then(|(_, s, _)| s.common_name().map(lower));
    if let Some(cn) = cn
        && names.names.iter().any(|n| lower(n) == cn)
    {
        return Some(cn);
    }
    names
        .names
        .iter()
        .find(|n| !n.trim().starts_with("*."))
        .or(names.names.first())
        .map(|n| lower(n))
}

/// A concrete host name on `cert` (no wildcard), for a connector's `Fqdn`.
fn host_on(cert: &Certificate, pattern: Option<&str>, now: OffsetDateTime) -> Option<String> {
    let names = cert_names(cert, now)?;
    let concrete = |n: &&String| !n.trim().starts_with("*.") && n.contains('.');
    if let Some(p) = pattern {
        if let Some(n) = names.names.iter().filter(concrete).find(|n| {
            let single = Names {
                names: vec![(*n).clone()],
                complete: true,
            };
            matches!(pattern_matches(p, &single, true), PatternMatch::Yes(_))
        }) {
            return Some(lower(n));
        }
        return None;
    }
    names.names.iter().find(concrete).map(|n| lower(n))
}

/// `command` run on `target`, or, when the object's name is not safe to paste, the same in
/// words.
fn on_target(fix: Fix, shell: Shell, target: Option<&Target>, cmdlet: &str, args: &str) -> Fix {
    match target {
        Some(t) => fix.run(shell, t.command(cmdlet, args)),
        None => fix.say(format!(
            "The paste shows no name for the connector that is safe on a command line (none, or one with control or invisible characters): select it yourself, then run {cmdlet} <connector> {args}"
        )),
    }
}

/// An empty fix to collect steps in, for [`Fix::then`] (its key is never used).
fn steps() -> Fix {
    Fix::new(Family::Exchange, "exchange::online::steps", &[])
}

/// `text` (a `TlsCertificateName` as pasted) already names `cert` exactly: a command that
/// writes `cert`'s name into it would set the value to itself.
fn names_already(
    text: Option<&Text>,
    format: InputFormat,
    cert: &Certificate,
    now: OffsetDateTime,
) -> bool {
    text.and_then(|t| parse_tls_name(t, format).ok())
        .is_some_and(|n| select::compare(&n, cert, now) == select::NameMatch::Exact)
}

/// `-TlsCertificateName` set to `cert`'s name on `cmdlet` (with `target`, or the hybrid
/// configuration when `None`): the `<I>…<S>…` value when it can be written out, else read on
/// the server from the thumbprint in one pipeline (no variable that a line pasted on its own
/// could leave stale from another finding), else in words.
fn tls_name_steps(
    cmdlet: &str,
    target: Option<Option<Target>>,
    cert: &Certificate,
    server: Option<&str>,
    now: OffsetDateTime,
) -> Fix {
    let run = |fix: Fix, args: &str| match &target {
        Some(t) => on_target(fix, EMS, t.as_ref(), cmdlet, args),
        None => fix.run(EMS, format!("{cmdlet} {args}")),
    };
    if let Some(q) = tls_name_of(cert, now).as_deref().and_then(ps_quote) {
        return run(steps(), &format!("-TlsCertificateName {q}"));
    }
    let inner = match &target {
        Some(Some(t)) => Some(t.command(
            cmdlet,
            "-TlsCertificateName \"<I>$($_.Issuer)<S>$($_.Subject)\"",
        )),
        Some(None) => None,
        None => Some(format!(
            "{cmdlet} -TlsCertificateName \"<I>$($_.Issuer)<S>$($_.Subject)\""
        )),
    };
    match (cert.thumbprint.as_deref().and_then(ps_quote), inner) {
        (Some(t), Some(inner)) => {
            let on = server
                .and_then(ps_quote)
                .map(|s| format!(" -Server {s}"))
                .unwrap_or_default();
            steps().run(
                EMS,
                format!("Get-ExchangeCertificate{on} -Thumbprint {t} | ForEach-Object {{ {inner} }}"),
            )
        }
        _ => steps().say(format!(
            "Name the certificate from its own Issuer and Subject: Get-ExchangeCertificate -Server <server> -Thumbprint <its thumbprint> | ForEach-Object {{ {cmdlet} <object> -TlsCertificateName \"<I>$($_.Issuer)<S>$($_.Subject)\" }}"
        )),
    }
}

/// The steps that point the send connector at `cert`; `None` when it already names it.
fn send_certificate_steps(
    sc: &SendConnector,
    cert: &Certificate,
    server: Option<&str>,
    now: OffsetDateTime,
) -> Option<Fix> {
    if names_already(
        sc.tls_certificate_name.as_ref(),
        sc.origin.format,
        cert,
        now,
    ) {
        return None;
    }
    Some(tls_name_steps(
        "Set-SendConnector",
        Some(send_connector_target(sc)),
        cert,
        server,
        now,
    ))
}

/// The steps that record `cert` in the hybrid configuration; `None` when it already names it.
fn hybrid_certificate_steps(
    hc: Option<&HybridConfiguration>,
    cert: &Certificate,
    now: OffsetDateTime,
) -> Option<Fix> {
    if let Some(hc) = hc
        && names_already(
            hc.tls_certificate_name.as_ref(),
            hc.origin.format,
            cert,
            now,
        )
    {
        return None;
    }
    let server = cert.server.as_ref().map(|s| s.name().to_string());
    Some(tls_name_steps(
        "Set-HybridConfiguration",
        None,
        cert,
        server.as_deref(),
        now,
    ))
}

/// Copying a certificate to the servers that lack it: export with its key on `from`, import
/// and enable for SMTP on each of `to`, as one pipeline per server so that nothing depends on
/// a variable from another finding. The PFX password is asked for once, on the admin's
/// console. (`-PrivateKeyExportable` is not needed on the import: it would only make the
/// copy's key exportable again.)
fn import_steps(fix: Fix, cert: &Certificate, from: Option<&str>, to: &[String]) -> Fix {
    if to.is_empty() {
        return fix;
    }
    let thumb = cert.thumbprint.as_deref().map(str::trim).and_then(ps_quote);
    let from_q = from.and_then(ps_quote);
    let targets: Option<Vec<String>> = to.iter().map(|s| ps_quote(s.trim())).collect();
    let (Some(t), Some(f), Some(targets)) = (thumb, from_q, targets) else {
        return fix.say(format!(
            "{} must hold the certificate{} too: export it with its private key where it is (Export-ExchangeCertificate -BinaryEncoded -Password …), import it on each (Import-ExchangeCertificate -Server <server> -FileData … -Password …), and enable it there for SMTP (Enable-ExchangeCertificate -Services SMTP, answering No when asked to replace the default SMTP certificate, so that the internal transport certificate stays).",
            to.iter().map(|s| plain(s)).collect::<Vec<_>>().join(", "),
            cert.thumbprint
                .as_deref()
                .map(|t| format!(" {}", plain(t)))
                .unwrap_or_default()
        ));
    };
    let mut fix = fix
        .say(format!(
            "{} must hold the certificate too. Copy it with its private key from {} (the key must be exportable; the password protects the copy in transit), then enable it for SMTP, answering No when asked to replace the default SMTP certificate, so that the internal transport certificate stays (Microsoft Learn: Export-ExchangeCertificate, Import-ExchangeCertificate):",
            to.iter().map(|s| plain(s)).collect::<Vec<_>>().join(", "),
            plain(from.unwrap_or_default())
        ))
        .run(EMS, "$pw = Read-Host -AsSecureString -Prompt 'Password for the exported certificate'");
    for s in &targets {
        fix = fix
            .run(
                EMS,
                format!(
                    "Export-ExchangeCertificate -Server {f} -Thumbprint {t} -BinaryEncoded -Password $pw | ForEach-Object {{ Import-ExchangeCertificate -Server {s} -FileData $_.FileData -Password $pw }}"
                ),
            )
            .run(
                EMS,
                format!("Enable-ExchangeCertificate -Server {s} -Thumbprint {t} -Services SMTP"),
            );
    }
    fix
}

/// An `exchange-check-inconclusive` finding: "could not check <what>: <why>"; `hint` says
/// how to remove each doubt named (one line each).
fn inconclusive(
    endpoint: String,
    what: &str,
    why: &str,
    evidence: Vec<String>,
    hint: &str,
) -> Finding {
    Finding::new(
        Code::ExchangeCheckInconclusive,
        Severity::Info,
        endpoint,
        Vec::new(),
        format!("could not check {what}: {why}"),
        evidence,
        Fix::new(
            Family::Exchange,
            "exchange::online::inconclusive",
            &[what, why, hint],
        )
        .say(hint),
    )
}

/// The doubts of one check, each with what removes it: the hint of the inconclusive finding
/// then matches its causes (no advice to paste certificates when a connector is missing).
#[derive(Default)]
struct Doubts {
    lines: Vec<String>,
    hints: Vec<String>,
}

impl Doubts {
    fn add(&mut self, line: String, hint: impl Into<String>) {
        self.lines.push(line);
        let hint = hint.into();
        if !self.hints.contains(&hint) {
            self.hints.push(hint);
        }
    }

    fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    fn why(&self) -> String {
        self.lines.join("; ")
    }

    fn hint(&self) -> String {
        self.hints.join("\n")
    }

    /// The inconclusive finding these doubts make about `what` of `endpoint`, the doubts
    /// appended to `evidence`; `None` when there is no doubt.
    fn finding(&self, endpoint: String, what: &str, mut evidence: Vec<String>) -> Option<Finding> {
        (!self.is_empty()).then(|| {
            evidence.extend(self.lines.iter().cloned());
            inconclusive(endpoint, what, &self.why(), evidence, &self.hint())
        })
    }
}

/// What removes a doubt about how Exchange Online compares a name.
const NAME_DOUBT: &str = "Where the doubt is how Exchange Online compares a name (a wildcard on the certificate for a single name, or the bare domain for a *. pattern), make the connector name exactly a name the certificate carries: that removes it.";

/// What shows a certificate's names in full.
const ALL_NAMES: &str = "Paste Get-ExchangeCertificate | fl * (or run the collection script) so that all of the certificate's names are shown.";

/// What shows a send connector's source servers in full.
const ALL_SOURCE_SERVERS: &str = "Paste the list in full: Get-SendConnector <connector> | Select-Object -ExpandProperty SourceTransportServers.";

/// What keeps a web page, forum or ticket from changing a pasted value.
const REPASTE: &str = "Save the cmdlet's output to a file (| fl > file.txt) and pass the file, or run the collection script: no web page or forum then changes the text (prose glued onto the last value, brackets around a link, typographic quotes).";

/// What settles dates the paste printed in an order that reads both ways.
const ISO_DATES: &str = "Paste the dates in a form that reads one way: Get-ExchangeCertificate -Server <server> | fl Thumbprint,@{n='NotBefore';e={$_.NotBefore.ToString('o')}},@{n='NotAfter';e={$_.NotAfter.ToString('o')}} (or run the collection script, which carries the certificate itself).";

/// What to paste when `server`'s certificates are not (all) there.
fn paste_certificates(server: Option<&str>) -> String {
    match server.and_then(ps_quote) {
        Some(q) => format!(
            "Paste Get-ExchangeCertificate -Server {q} | fl (or run the collection script, which records the server of each certificate), then run the check again."
        ),
        None => PASTE_CERTIFICATES.to_string(),
    }
}

/// What removes the doubt of a selection the paste could not decide (`why` from
/// [`select::select`]).
fn unknown_hint(why: &str, server: Option<&str>) -> String {
    if why.contains("--server") {
        "Give --server <name> to say whose certificate list it is, or paste Get-ExchangeCertificate -Server <server> | fl for each server.".to_string()
    } else if why.contains("names are cut") || why.contains("name lists are cut") {
        ALL_NAMES.to_string()
    } else {
        paste_certificates(server)
    }
}

/// What to paste so that a certificate check can decide.
const PASTE_CERTIFICATES: &str = "Paste Get-ExchangeCertificate -Server <server> | fl for every server named (or run the collection script, which records the server of each certificate), then run the check again.";

/// The wizard's own way to change only the certificate, after `lead` ("Re-run", "Or re-run").
/// The option's label is Microsoft's ("Update Secure Mail Certificate for Connectors": the
/// Exchange Team blog "TLS Certificates in Exchange Hybrid - Common Issues & How to Fix them",
/// 2025, linking Microsoft Learn "Choose Exchange Hybrid Configuration feature"); older
/// wizards lack it, so the advice does not depend on it.
fn rerun_hcw(lead: &str) -> String {
    format!(
        "{lead} the Hybrid Configuration Wizard and choose the certificate again (newer versions of the wizard offer \"Update Secure Mail Certificate for Connectors\", which changes only the certificate and leaves the connectors' other settings alone)"
    )
}

// ---------------------------------------------------------------------------------------
// R17 for the send connector and the hybrid configuration.

/// Whose `TlsCertificateName` is checked.
#[derive(Clone, Copy)]
enum NameOwner<'a> {
    Send(&'a SendConnector),
    Hybrid(&'a HybridConfiguration),
}

/// R17 `tlsname-syntax`: the send connector's or the hybrid configuration's
/// `TlsCertificateName` cannot name any certificate (HealthChecker: "TlsCertificateName
/// Syntax Invalid", `<I>X.500Issuer<S>X.500Subject`).
fn name_syntax(ctx: &Ctx, out: &mut Vec<Finding>, owner: NameOwner, text: Option<&Text>) {
    let Some(text) = text else { return };
    let format = match owner {
        NameOwner::Send(sc) => sc.origin.format,
        NameOwner::Hybrid(hc) => hc.origin.format,
    };
    let Err(problem) = parse_tls_name(text, format) else {
        return;
    };
    let (endpoint, what) = match owner {
        NameOwner::Send(sc) => (
            send_name(sc),
            format!("send connector {}", tick(&send_name(sc))),
        ),
        NameOwner::Hybrid(_) => (HYBRID.to_string(), HYBRID.to_string()),
    };
    let evidence = vec![format!(
        "{}: {what}: TlsCertificateName {}",
        ctx.at(text.loc),
        tick(&text.value)
    )];
    let why = match problem {
        NameProblem::NoMarkers { maybe_eaten: true } => {
            out.push(inconclusive(
                endpoint,
                &format!("the TlsCertificateName of {what}"),
                "it shows no <I> or <S> marker, and a web page or forum may have removed them as formatting tags",
                evidence,
                "Save the cmdlet's output to a file (| fl > file.txt) and pass the file, or run the collection script.",
            ));
            return;
        }
        NameProblem::NoMarkers { maybe_eaten: false } => {
            "it has no <I> or <S> marker, so Exchange cannot read an issuer and a subject from it"
        }
        NameProblem::Swapped => "<S> comes before <I>: issuer and subject are swapped",
        NameProblem::Empty => "a marker is followed by no readable name",
    };
    let summary = format!(
        "the TlsCertificateName of {what} can never name a certificate: {why} (it must read <I>X.500Issuer<S>X.500Subject)"
    );
    let fix = Fix::new(
        Family::Exchange,
        "exchange::online::tls_certificate_name_syntax",
        &[&endpoint, &text.value],
    )
    .say("Rebuild the value from the certificate itself (Microsoft Learn, Set-SendConnector / Set-HybridConfiguration, parameter TlsCertificateName):");
    let fix = rebuild_name_steps(ctx, fix, owner);
    out.push(Finding::new(
        Code::ExchangeTlsCertificateNameInvalid,
        Severity::Fail,
        endpoint,
        Vec::new(),
        summary,
        evidence,
        fix,
    ));
}

/// R17's fix: the commands that rebuild the value from the certificate the owner should
/// name, when the paste shows it; else the command to build it on the server.
fn rebuild_name_steps(ctx: &Ctx, fix: Fix, owner: NameOwner) -> Fix {
    match owner {
        NameOwner::Send(sc) => {
            let servers: Vec<Option<String>> = ctx
                .send_picks(sc)
                .per_server
                .into_iter()
                .map(|(s, _)| s)
                .collect();
            let pattern = ctx
                .certificate_inbound()
                .first()
                .map(|(_, t)| t.value.clone());
            let host = sc
                .fqdn
                .as_ref()
                .map(|f| f.value.clone())
                .filter(|f| !is_internal_name(f));
            let certs = certs_of(ctx.config, &servers);
            let steps = best_certificate(
                &certs,
                pattern.as_deref().map(Pattern::Sender),
                host.as_deref(),
                ctx.now,
            )
            .and_then(|c| {
                send_certificate_steps(sc, c, c.server.as_ref().map(|s| s.name()), ctx.now)
            });
            match steps {
                Some(s) => fix.then(s),
                None => fix.say("Get-ExchangeCertificate -Server <server> -Thumbprint <thumbprint of the hybrid certificate> | ForEach-Object { Set-SendConnector <connector> -TlsCertificateName \"<I>$($_.Issuer)<S>$($_.Subject)\" }"),
            }
        }
        NameOwner::Hybrid(hc) => {
            let steps = match connectors_certificate(ctx) {
                Some(Ok(c)) => hybrid_certificate_steps(Some(hc), c, ctx.now),
                _ => None,
            };
            match steps {
                Some(s) => fix.then(s),
                None => fix.say(format!(
                    "Get-ExchangeCertificate -Server <server> -Thumbprint <thumbprint of the hybrid certificate> | ForEach-Object {{ Set-HybridConfiguration -TlsCertificateName \"<I>$($_.Issuer)<S>$($_.Subject)\" }}, or {}.",
                    rerun_hcw("re-run")
                )),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// R2 — the send connector names a certificate a source server does not hold.

/// One source server that lacks the named certificate: the server, the near misses, and
/// the assumption the selection made (a reading of the paste's dates).
type Lacking<'p, 'a> = (
    &'p Option<String>,
    &'p Vec<(&'a Certificate, Near)>,
    &'p Option<String>,
);

/// R2's sorting of the servers: those that lack the certificate, those that hold it, and
/// the doubts.
#[derive(Default)]
struct Holding<'p, 'a> {
    missing: Vec<Lacking<'p, 'a>>,
    found: Vec<(&'p Option<String>, &'a Certificate)>,
    unknown: Doubts,
}

/// R2 `sc-tlscert-not-found`: the send connector to Exchange Online names, by
/// `TlsCertificateName`, a certificate that one or more of its source servers does not hold.
fn send_certificate_not_found(
    ctx: &Ctx,
    out: &mut Vec<Finding>,
    sc: &SendConnector,
    picks: &Picks,
) {
    let Some(text) = &sc.tls_certificate_name else {
        return;
    };
    if !ctx.has_certificates() {
        return;
    }
    let Some(Holding {
        missing,
        found,
        unknown,
    }) = sort_holders(ctx, text, picks)
    else {
        return;
    };
    let name = send_name(sc);
    let mut evidence = vec![format!(
        "{}: send connector {}: TlsCertificateName {}",
        ctx.at(text.loc),
        tick(&name),
        tick(&text.value)
    )];
    if missing.is_empty() {
        if !unknown.is_empty() {
            evidence.extend(unknown.lines.iter().cloned());
            out.push(inconclusive(
                name.clone(),
                &format!(
                    "whether the source servers of send connector {} hold its certificate",
                    tick(&name)
                ),
                &unknown.why(),
                evidence,
                &unknown.hint(),
            ));
        }
        return;
    }
    evidence.extend(holding_evidence(&missing, &found));
    evidence.extend(unknown.lines.iter().cloned());
    let lacking = join_servers(missing.iter().map(|(s, _, _)| *s));
    let summary = if found.is_empty() {
        format!(
            "the send connector {} names a certificate (TlsCertificateName) that {lacking} does not hold: Exchange cannot present it to Exchange Online and mail to the cloud queues ({SEND_NOT_FOUND})",
            tick(&name)
        )
    } else {
        format!(
            "the send connector {} names a certificate (TlsCertificateName) that {lacking} does not hold ({} does): mail leaving through {lacking} queues, so delivery to Exchange Online fails intermittently ({SEND_NOT_FOUND})",
            tick(&name),
            join_servers(found.iter().map(|(s, _)| *s))
        )
    };
    let fix = send_not_found_fix(
        ctx,
        sc,
        picks,
        (&name, &text.value, &lacking),
        &missing,
        &found,
    );
    out.push(Finding::new(
        Code::ExchangeSendCertificateNotFound,
        Severity::Fail,
        name,
        Vec::new(),
        summary,
        evidence,
        fix,
    ));
}

/// R2: which source servers hold the certificate `text` names (`None`: the name cannot be
/// read, which R17 reports).
fn sort_holders<'p, 'a>(
    ctx: &Ctx<'a>,
    text: &Text,
    picks: &'p Picks<'a>,
) -> Option<Holding<'p, 'a>> {
    let mut h = Holding::default();
    for (server, sel) in &picks.per_server {
        match sel {
            Selection::Chosen { cert, .. } => h.found.push((server, *cert)),
            Selection::NotFound {
                near, assumption, ..
            } => match markup_twin(ctx, &text.value, server.as_deref()) {
                // The difference may be the forum's, not the server's.
                Some(c) => h.unknown.add(
                    format!(
                        "on {}: {} differs from the pasted name only by characters a web page or forum adds (brackets around a link, spacing, typographic quotes)",
                        server_label(server),
                        cert_label(c)
                    ),
                    REPASTE,
                ),
                None => h.missing.push((server, near, assumption)),
            },
            // R17 reports a value that cannot be read.
            Selection::Invalid(_) => return None,
            Selection::Unknown(why) => h.unknown.add(
                format!("on {}: {why}", server_label(server)),
                unknown_hint(why, server.as_deref()),
            ),
        }
    }
    if picks.cut {
        h.unknown.add(
            "SourceTransportServers is cut in the paste: the servers it does not show were not checked".to_string(),
            ALL_SOURCE_SERVERS,
        );
    }
    Some(h)
}

/// R2's evidence per server: what each lacking server nearly holds, and what the others hold.
fn holding_evidence(missing: &[Lacking], found: &[(&Option<String>, &Certificate)]) -> Vec<String> {
    let mut evidence = Vec::new();
    for (server, near, assumption) in missing {
        let mut line = format!(
            "on {}: no pasted certificate has exactly this issuer and subject",
            server_label(server)
        );
        if let Some(a) = assumption {
            line.push_str(&format!(" ({a})"));
        }
        evidence.push(line);
        for (c, how) in near.iter() {
            evidence.push(format!(
                "on {}, nearly: {}: {}",
                server_label(server),
                cert_label(c),
                how.describe()
            ));
        }
    }
    for (server, cert) in found {
        evidence.push(format!(
            "on {}: found, {}",
            server_label(server),
            cert_label(cert)
        ));
    }
    evidence
}

/// R2's fix: copy the certificate to the servers that lack it when some hold it; else point
/// the connector at the renewal; then re-run HCW. `(name, value, lacking)`: the connector,
/// its TlsCertificateName and the servers that lack it, for the fix's key.
fn send_not_found_fix(
    ctx: &Ctx,
    sc: &SendConnector,
    picks: &Picks,
    (name, value, lacking): (&str, &str, &str),
    missing: &[Lacking],
    found: &[(&Option<String>, &Certificate)],
) -> Fix {
    let mut fix = Fix::new(
        Family::Exchange,
        "exchange::online::send_certificate_not_found",
        &[name, value, lacking],
    );
    let lacking_names: Vec<String> = missing
        .iter()
        .filter_map(|(s, _, _)| s.as_deref().map(str::to_string))
        .collect();
    if let Some((from, cert)) = found.first() {
        // The name is right on some servers: the others lack the certificate.
        fix = import_steps(fix, cert, from.as_deref(), &lacking_names);
    } else {
        fix = point_at_renewal(ctx, fix, sc, picks, missing);
    }
    fix.say(format!("{}.", rerun_hcw("Or re-run")))
}

/// R2's fix when no server holds the certificate: most likely renewed. Point the connector
/// at the renewal (a near miss), else at the best certificate for what the inbound
/// connector expects.
fn point_at_renewal(
    ctx: &Ctx,
    mut fix: Fix,
    sc: &SendConnector,
    picks: &Picks,
    missing: &[Lacking],
) -> Fix {
    let near: Vec<&Certificate> = missing
        .iter()
        .flat_map(|(_, near, _)| near.iter().map(|(c, _)| *c))
        .collect();
    let near_ok: Vec<&Certificate> = near
        .iter()
        .copied()
        .filter(|c| eligible(c, ctx.now))
        .collect();
    let servers: Vec<Option<String>> = picks.per_server.iter().map(|(s, _)| s.clone()).collect();
    let pattern = ctx
        .certificate_inbound()
        .first()
        .map(|(_, t)| t.value.clone());
    let host = sc
        .fqdn
        .as_ref()
        .map(|f| f.value.clone())
        .filter(|f| !is_internal_name(f));
    let candidate =
        newest(if near_ok.is_empty() { near } else { near_ok }, ctx.now).or_else(|| {
            best_certificate(
                &certs_of(ctx.config, &servers),
                pattern.as_deref().map(Pattern::Sender),
                host.as_deref(),
                ctx.now,
            )
        });
    let holder = candidate.and_then(|c| c.server.as_ref().map(|s| s.name().to_string()));
    match candidate
        .and_then(|c| send_certificate_steps(sc, c, holder.as_deref(), ctx.now).map(|s| (c, s)))
    {
        Some((c, steps)) => {
            fix = fix
                .say(format!(
                    "Point the connector at the certificate the servers hold ({}):",
                    cert_label(c)
                ))
                .then(steps);
            let without: Vec<String> = servers
                .iter()
                .flatten()
                .filter(|s| !holds(ctx.config, s, c, ctx.now))
                .cloned()
                .collect();
            import_steps(fix, c, holder.as_deref(), &without)
        }
        None => {
            fix.say("Import the renewed certificate on every source server (Import-ExchangeCertificate), enable it for SMTP (Enable-ExchangeCertificate -Services SMTP, answering No when asked to replace the default SMTP certificate), then name it on the connector from its own Issuer and Subject: Get-ExchangeCertificate -Server <server> -Thumbprint <its thumbprint> | ForEach-Object { Set-SendConnector <connector> -TlsCertificateName \"<I>$($_.Issuer)<S>$($_.Subject)\" }")
        }
    }
}

/// What a web page or forum adds to pasted text, folded away: link brackets around a URL
/// (`OU=[http://certs.godaddy.com/repository/]`), `mailto:`, typographic quotes, spacing.
fn without_markup(s: &str) -> String {
    s.to_lowercase()
        .replace("mailto:", "")
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '[' | ']'))
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' => '\'',
            '\u{201C}' | '\u{201D}' | '\u{201E}' => '"',
            c => c,
        })
        .collect()
}

/// A certificate of `server` whose `<I>…<S>…` differs from the pasted `name` only by what a
/// web page adds (see [`without_markup`]): then "no certificate has this name" may be the
/// forum's doing, and the check is inconclusive (trial A1), never FAIL.
fn markup_twin<'a>(ctx: &Ctx<'a>, name: &str, server: Option<&str>) -> Option<&'a Certificate> {
    let pasted = without_markup(name);
    select::scope(ctx.config, server)
        .certs
        .into_iter()
        .find(|c| tls_name_of(c, ctx.now).is_some_and(|real| without_markup(&real) == pasted))
}

/// `server`'s pasted certificates include `cert` (same thumbprint, else same issuer and
/// subject).
fn holds(config: &Config, server: &str, cert: &Certificate, now: OffsetDateTime) -> bool {
    let sc = select::scope(config, Some(server));
    sc.certs.iter().any(|c| {
        std::ptr::eq(*c, cert)
            || (c.thumbprint.is_some() && c.thumbprint == cert.thumbprint)
            || (tls_name_of(c, now).is_some() && tls_name_of(c, now) == tls_name_of(cert, now))
    })
}

// ---------------------------------------------------------------------------------------
// R4 for the send connector — the certificate it presents is unusable.

/// What is wrong with a certificate a send connector presents: the receive rules' set.
use super::receive::Flaw;

use super::receive::FAIL_STATUS;

// The receive rules' certificate facts, shared.
use super::receive::{not_after, self_signed as is_self_signed, show_date};

fn days(n: i64) -> String {
    if n == 1 {
        "1 day".to_string()
    } else {
        format!("{n} days")
    }
}

/// The subject's common name, folded, for "the same certificate, renewed".
fn common_name(cert: &Certificate, now: OffsetDateTime) -> Option<String> {
    select::cert_dns(cert, now).and_then(|(_, s, _)| s.common_name().map(lower))
}

/// The renewal of `cert` on `servers`: another certificate with the same subject common name
/// (a renewal may change the issuer and the other subject fields), usable, not itself
/// inside the failure window; the newest.
fn renewal_of<'a>(
    ctx: &Ctx<'a>,
    cert: &Certificate,
    servers: &[Option<String>],
    limits: Limits,
) -> Option<&'a Certificate> {
    let cn = common_name(cert, ctx.now)?;
    let window = ctx.now + time::Duration::days(limits.fail_days.max(0));
    let pool: Vec<&Certificate> = certs_of(ctx.config, servers)
        .into_iter()
        .filter(|c| !std::ptr::eq(*c, cert))
        .filter(|c| c.thumbprint.is_none() || c.thumbprint != cert.thumbprint)
        .filter(|c| eligible(c, ctx.now))
        .filter(|c| common_name(c, ctx.now).as_deref() == Some(cn.as_str()))
        .filter(|c| not_after(c, ctx.now).and_then(|d| d.before(window)) != Some(true))
        .collect();
    newest(pool, ctx.now)
}

/// One certificate a send connector presents, and where.
struct SendCertificate<'p, 'a> {
    cert: &'a Certificate,
    servers: Vec<&'p Option<String>>,
    /// Chosen by `TlsCertificateName` (not by `Fqdn` or the server's name).
    by_name: bool,
    /// Other certificates matched the name too and the paste's dates do not settle which is
    /// the newest.
    order_doubt: bool,
    /// Those other certificates.
    rivals: Vec<&'a Certificate>,
}

/// R4 for the send connector to Exchange Online: the certificate it presents has expired,
/// expires within `--fail-days`/`--warn-days`, has a Status other than Valid, lacks its
/// private key or the SMTP service, or is self-signed. The receive rules report the same
/// certificate for the receive connectors; this finding is the send connector's.
fn send_certificate_unusable(
    ctx: &Ctx,
    out: &mut Vec<Finding>,
    sc: &SendConnector,
    picks: &Picks,
    limits: Limits,
) {
    if no_identity(sc) {
        return; // R7: no certificate identity at all.
    }
    let mut presented: Vec<SendCertificate> = Vec::new();
    for (server, sel) in &picks.per_server {
        let Selection::Chosen {
            sought,
            cert,
            rivals,
            order_known,
            ..
        } = sel
        else {
            continue;
        };
        // The selection settles the newest under both readings of the paste's dates.
        let doubt = !rivals.is_empty() && !order_known;
        match presented.iter_mut().find(|p| std::ptr::eq(p.cert, *cert)) {
            Some(p) => {
                p.servers.push(server);
                p.order_doubt |= doubt;
            }
            None => presented.push(SendCertificate {
                cert,
                servers: vec![server],
                by_name: matches!(sought, Sought::TlsCertificateName(_)),
                order_doubt: doubt,
                rivals: rivals.clone(),
            }),
        }
    }
    for p in &presented {
        judge_send_certificate(ctx, out, sc, p, picks, limits);
    }
}

/// A flaw, how loud it is, and its words (`expired on 2026-03-15`).
type Flaws = Vec<(Severity, Flaw, String)>;

/// What is wrong with `cert` as a send connector's client certificate, and what the paste
/// leaves open (an ambiguous date, Services bits without names).
fn send_flaws(
    cert: &Certificate,
    by_name: bool,
    limits: Limits,
    now: OffsetDateTime,
) -> (Flaws, Doubts) {
    let mut flaws: Flaws = Vec::new();
    let mut doubts = Doubts::default();
    match cert.services.as_ref().map(|s| s.has("SMTP")) {
        Some(Some(false)) => flaws.push((
            Severity::Warn,
            Flaw::NoSmtp,
            "is not enabled for SMTP".to_string(),
        )),
        Some(None) => doubts.add(
            format!(
                "whether it is enabled for SMTP: its Services `{}` hold bits this tool cannot name",
                cert.services
                    .as_ref()
                    .map(|s| s.raw.as_str())
                    .unwrap_or_default()
            ),
            "Paste Get-ExchangeCertificate | fl Thumbprint,Services as text.",
        ),
        _ => {}
    }
    if cert.has_private_key == Some(false) {
        flaws.push((
            Severity::Fail,
            Flaw::NoKey,
            "has no private key".to_string(),
        ));
    }
    if let Some(d) = not_after(cert, now) {
        expiry_flaws(&d, limits, now, &mut flaws, &mut doubts);
    }
    if let Some(s) = cert
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case("Valid"))
    {
        let (severity, flaw) = if FAIL_STATUS.iter().any(|x| x.eq_ignore_ascii_case(s)) {
            (Severity::Fail, Flaw::BadStatus)
        } else {
            (Severity::Warn, Flaw::DoubtfulStatus)
        };
        flaws.push((severity, flaw, format!("has Status `{}`", plain(s))));
    }
    if by_name && is_self_signed(cert, now) == Some(true) {
        flaws.push((
            Severity::Fail,
            Flaw::SelfSigned,
            "is self-signed, which Exchange Online does not accept as your organisation's certificate".to_string(),
        ));
    }
    (flaws, doubts)
}

/// Expired (FAIL), within `--fail-days` (FAIL) or `--warn-days` (WARN); a date that reads
/// both ways across a limit is a doubt, never a verdict.
fn expiry_flaws(
    d: &Date,
    limits: Limits,
    now: OffsetDateTime,
    flaws: &mut Flaws,
    doubts: &mut Doubts,
) {
    let within = |n: i64| d.before(now + time::Duration::days(n.max(0)));
    let doubt = |doubts: &mut Doubts, what: String| {
        doubts.add(
            format!("{what}: its NotAfter reads {}", show_date(d)),
            ISO_DATES,
        );
    };
    match d.before(now) {
        Some(true) => {
            flaws.push((
                Severity::Fail,
                Flaw::Expired,
                format!("expired on {}", show_date(d)),
            ));
            return;
        }
        None => {
            doubt(doubts, "whether it has expired".to_string());
            return;
        }
        Some(false) => {}
    }
    let left = (d.earliest() - now).whole_days();
    let phrase = format!("expires in {} (NotAfter {})", days(left), show_date(d));
    match (within(limits.fail_days), within(limits.warn_days)) {
        (Some(true), _) => flaws.push((Severity::Fail, Flaw::Expiring, phrase)),
        (None, warn) => {
            doubt(
                doubts,
                format!("whether it expires within {}", days(limits.fail_days)),
            );
            if warn == Some(true) {
                flaws.push((Severity::Warn, Flaw::Expiring, phrase));
            }
        }
        (Some(false), Some(true)) => flaws.push((Severity::Warn, Flaw::Expiring, phrase)),
        (Some(false), None) => doubt(
            doubts,
            format!("whether it expires within {}", days(limits.warn_days)),
        ),
        (Some(false), Some(false)) => {}
    }
}

/// R4 for one certificate the send connector presents: its flaws as a finding, what the
/// paste leaves open as an inconclusive one, and only an inconclusive one when Exchange may
/// be taking another certificate of the same name.
fn judge_send_certificate(
    ctx: &Ctx,
    out: &mut Vec<Finding>,
    sc: &SendConnector,
    p: &SendCertificate,
    picks: &Picks,
    limits: Limits,
) {
    let (cert, now) = (p.cert, ctx.now);
    let name = send_name(sc);
    let on = join_servers(p.servers.iter().copied());
    let (flaws, doubts) = send_flaws(cert, p.by_name, limits, now);
    let mut evidence = vec![receive::cert_line(ctx.config, cert, now)];
    evidence.push(format!(
        "{}: send connector {} presents it on {on} ({})",
        ctx.at(sc.origin.loc),
        tick(&name),
        if p.by_name {
            "chosen by its TlsCertificateName"
        } else {
            "chosen by its Fqdn"
        }
    ));
    let what = format!(
        "whether the certificate send connector {} presents to Exchange Online is usable",
        tick(&name)
    );
    // Exchange may be taking another certificate of the same name: neither this one's flaws
    // nor a rival's are the connector's verdict.
    if p.order_doubt {
        let rival_flaws: Vec<String> = p
            .rivals
            .iter()
            .flat_map(|r| send_flaws(r, p.by_name, limits, now).0)
            .map(|(_, _, s)| s)
            .collect();
        if !flaws.is_empty() || !rival_flaws.is_empty() {
            out.push(order_doubt(
                name.clone(),
                &what,
                doubts,
                evidence,
                &flaws,
                &rival_flaws,
            ));
            return;
        }
    }
    out.extend(doubts.finding(name.clone(), &what, evidence.clone()));
    let Some(severity) = flaws.iter().map(|(s, _, _)| *s).max() else {
        return;
    };
    let summary = unusable_summary(ctx, &name, &flaws, severity);
    let fix = unusable_fix(ctx, sc, p, picks, &flaws, limits);
    out.push(Finding::new(
        Code::ExchangeCertificateUnusable,
        severity,
        name,
        Vec::new(),
        summary,
        evidence,
        fix,
    ));
}

/// R4 when other certificates match the connector's name and the paste's dates do not
/// settle which one Exchange takes: inconclusive, saying whose flaws are in question.
fn order_doubt(
    name: String,
    what: &str,
    mut doubts: Doubts,
    mut evidence: Vec<String>,
    flaws: &Flaws,
    rival_flaws: &[String],
) -> Finding {
    let said: Vec<&str> = flaws.iter().map(|(_, _, s)| s.as_str()).collect();
    let which = if said.is_empty() {
        format!("another of them {}", rival_flaws.join(" and "))
    } else {
        format!("this one {}", said.join(" and "))
    };
    doubts.add(
        format!(
            "other certificates match its TlsCertificateName too, and the paste's NotBefore dates do not settle which one Exchange takes (the newest); {which}"
        ),
        ISO_DATES,
    );
    evidence.extend(doubts.lines.iter().cloned());
    inconclusive(name, what, &doubts.why(), evidence, &doubts.hint())
}

/// R4's summary: expiry alone, a FAIL flaw (with why Exchange Online cares), or a WARN one.
fn unusable_summary(ctx: &Ctx, name: &str, flaws: &Flaws, severity: Severity) -> String {
    let phrases: Vec<&str> = flaws.iter().map(|(_, _, s)| s.as_str()).collect();
    // Exchange Online recognises on-premises by this certificate when an inbound connector
    // is certificate-based (the wizard's default).
    let attributed = !ctx.certificate_inbound().is_empty();
    let why = if attributed {
        format!(
            "Exchange Online recognises on-premises mail by this certificate, and cannot by an unusable one ({ATTRIBUTION_NDRS})"
        )
    } else {
        "Exchange Online cannot trust the certificate on-premises presents".to_string()
    };
    if flaws.iter().all(|(_, f, _)| *f == Flaw::Expiring) {
        format!(
            "the certificate the send connector {} presents to Exchange Online {}{}",
            tick(name),
            phrases.join(" and "),
            if attributed {
                format!(
                    ": Exchange Online recognises on-premises mail by this certificate, and will not by an expired one ({ATTRIBUTION_NDRS})"
                )
            } else {
                String::new()
            }
        )
    } else if severity == Severity::Fail {
        format!(
            "the certificate the send connector {} presents to Exchange Online is unusable: it {}: {why}",
            tick(name),
            phrases.join(" and ")
        )
    } else {
        format!(
            "the certificate the send connector {} presents to Exchange Online may be refused: it {}",
            tick(name),
            phrases.join(" and ")
        )
    }
}

/// The fix for a send connector's unusable certificate: point it at the renewal when the
/// store shows one (and the hybrid configuration too, when it names the old one), else how
/// to get one; enable SMTP; see why Windows doubts it.
fn unusable_fix(
    ctx: &Ctx,
    sc: &SendConnector,
    p: &SendCertificate,
    picks: &Picks,
    flaws: &Flaws,
    limits: Limits,
) -> Fix {
    let (cert, now) = (p.cert, ctx.now);
    let name = send_name(sc);
    let has = |f: Flaw| flaws.iter().any(|(_, x, _)| *x == f);
    let phrases: Vec<&str> = flaws.iter().map(|(_, _, s)| s.as_str()).collect();
    let mut fix = Fix::new(
        Family::Exchange,
        "exchange::online::send_certificate_unusable",
        &[
            &name,
            cert.thumbprint.as_deref().unwrap_or_default(),
            &phrases.join("; "),
        ],
    );
    let servers: Vec<Option<String>> = picks.per_server.iter().map(|(s, _)| s.clone()).collect();
    let replace = has(Flaw::Expired)
        || has(Flaw::Expiring)
        || has(Flaw::BadStatus)
        || has(Flaw::SelfSigned)
        || has(Flaw::NoKey);
    let renewal = if replace {
        renewal_of(ctx, cert, &servers, limits)
    } else {
        None
    };
    match renewal {
        Some(r) if names_already(sc.tls_certificate_name.as_ref(), sc.origin.format, r, now) => {
            // Same issuer and subject: the name already covers the renewal.
            fix = fix.say(format!(
                "The renewed certificate ({}) has the same issuer and subject, so TlsCertificateName names it too and Exchange takes the one with the newest NotBefore. Remove the old certificate ({}) once nothing else uses it (Remove-ExchangeCertificate -Server <server> -Thumbprint <its thumbprint>).",
                cert_label(r),
                cert_label(cert)
            ));
        }
        Some(r) => fix = point_at_send_renewal(ctx, fix, sc, cert, r, &servers),
        None if replace => fix = replace_steps(ctx, fix, sc, cert, flaws),
        None => {}
    }
    if has(Flaw::NoSmtp) && !replace {
        fix = enable_smtp(fix, cert, &p.servers);
    }
    if has(Flaw::DoubtfulStatus) {
        fix = test_certificate_steps(fix, cert);
    }
    if replace || has(Flaw::NoSmtp) {
        fix = fix.say(format!("{}.", rerun_hcw("Or re-run")));
    }
    fix
}

/// R4's fix when the store holds the renewal: point the send connector at it, copy it to
/// the servers that lack it, and record it in the hybrid configuration when that names the
/// old certificate.
fn point_at_send_renewal(
    ctx: &Ctx,
    mut fix: Fix,
    sc: &SendConnector,
    cert: &Certificate,
    r: &Certificate,
    servers: &[Option<String>],
) -> Fix {
    let now = ctx.now;
    let holder = r.server.as_ref().map(|s| s.name().to_string());
    if let Some(steps) = send_certificate_steps(sc, r, holder.as_deref(), now) {
        fix = fix
            .say(format!(
                "The renewed certificate is already in the store: point the send connector at it ({}):",
                cert_label(r)
            ))
            .then(steps);
    }
    let without: Vec<String> = servers
        .iter()
        .flatten()
        .filter(|s| !holds(ctx.config, s, r, now))
        .cloned()
        .collect();
    fix = import_steps(fix, r, holder.as_deref(), &without);
    if let Some(hc) = ctx.config.hybrid.first()
        && names_already(
            hc.tls_certificate_name.as_ref(),
            hc.origin.format,
            cert,
            now,
        )
        && let Some(steps) = hybrid_certificate_steps(Some(hc), r, now)
    {
        fix = fix
            .say("The hybrid configuration names the old certificate too, and the next full run of the Hybrid Configuration Wizard would write it back: record the renewed one there as well:")
            .then(steps);
    }
    fix
}

/// R4's fix when the certificate must be replaced and the store shows no renewal: import
/// the key again when only the key is missing, else how to install and name a new one.
fn replace_steps(
    ctx: &Ctx,
    mut fix: Fix,
    sc: &SendConnector,
    cert: &Certificate,
    flaws: &Flaws,
) -> Fix {
    let now = ctx.now;
    let has = |f: Flaw| flaws.iter().any(|(_, x, _)| *x == f);
    if has(Flaw::NoKey) && !(has(Flaw::Expired) || has(Flaw::BadStatus) || has(Flaw::SelfSigned)) {
        fix = fix.say("Its private key is missing (imported without it, or a request never completed): import it again from a PFX that holds the key (Import-ExchangeCertificate -Server <server> -FileData … -Password …), or point the connector at a certificate that has one.");
    } else {
        fix = fix.say("Install a valid certificate from a public CA (renew this one) on every source server, enable it for SMTP (Enable-ExchangeCertificate -Services SMTP, answering No when asked to replace the default SMTP certificate), then name it on the send connector from its own Issuer and Subject, which a renewal may change (Exchange Team blog, 2025):");
        fix = fix.say(match send_connector_target(sc) {
            Some(t) => format!(
                "Get-ExchangeCertificate -Server <server> -Thumbprint <thumbprint of the renewed certificate> | ForEach-Object {{ {} }}",
                t.command("Set-SendConnector", "-TlsCertificateName \"<I>$($_.Issuer)<S>$($_.Subject)\"")
            ),
            None => "Get-ExchangeCertificate -Server <server> -Thumbprint <thumbprint of the renewed certificate> | ForEach-Object { Set-SendConnector <connector> -TlsCertificateName \"<I>$($_.Issuer)<S>$($_.Subject)\" }".to_string(),
        });
        if ctx.config.hybrid.first().is_some_and(|hc| {
            names_already(
                hc.tls_certificate_name.as_ref(),
                hc.origin.format,
                cert,
                now,
            )
        }) {
            fix = fix.say("The hybrid configuration names this certificate too: record the renewed one there as well (Set-HybridConfiguration -TlsCertificateName, built the same way).");
        }
    }
    fix
}

/// R4's fix for a doubtful Status: what it means, and Test-Certificate to see why.
fn test_certificate_steps(mut fix: Fix, cert: &Certificate) -> Fix {
    fix = fix.say("Status RevocationCheckFailure: the server cannot reach the CA's revocation list or OCSP responder; Untrusted: its chain or root is missing on the server. See why Windows does not trust it (Windows PowerShell, as administrator, on the server that holds it; Exchange Team blog, 2025):");
    fix = match cert
        .thumbprint
        .as_deref()
        .map(str::trim)
        .filter(|t| t.len() == 40 && t.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        Some(t) => fix.run(
            Shell::WindowsPowerShell,
            format!("Get-ChildItem Cert:\\LocalMachine\\My\\{t} | Test-Certificate | fl"),
        ),
        None => fix
            .say("Get-ChildItem Cert:\\LocalMachine\\My\\<its thumbprint> | Test-Certificate | fl"),
    };
    fix
}

/// `Enable-ExchangeCertificate -Services SMTP` for `cert` on each server that presents it
/// (the services given are added to the ones it has; the prompt about the default SMTP
/// certificate is answered No, so that the internal transport certificate stays).
fn enable_smtp(mut fix: Fix, cert: &Certificate, servers: &[&Option<String>]) -> Fix {
    let Some(t) = cert.thumbprint.as_deref().map(str::trim).and_then(ps_quote) else {
        return fix.say("Enable it for SMTP: Enable-ExchangeCertificate -Server <server> -Thumbprint <its thumbprint> -Services SMTP, answering No when asked to replace the default SMTP certificate.");
    };
    fix = fix.say("Enable it for SMTP on each server that presents it, answering No when asked to replace the default SMTP certificate, so that the internal transport certificate stays (Microsoft Learn: Enable-ExchangeCertificate):");
    let named: Vec<String> = servers
        .iter()
        .filter_map(|s| s.as_deref().and_then(ps_quote))
        .collect();
    if named.is_empty() {
        return fix.run(
            EMS,
            format!("Enable-ExchangeCertificate -Thumbprint {t} -Services SMTP"),
        );
    }
    for s in named {
        fix = fix.run(
            EMS,
            format!("Enable-ExchangeCertificate -Server {s} -Thumbprint {t} -Services SMTP"),
        );
    }
    fix
}

// ---------------------------------------------------------------------------------------
// R7 — no certificate identity on the send connector.

/// The send connector picks its client certificate by a name that no public certificate
/// carries: no `TlsCertificateName`, and no `Fqdn` or an internal one.
fn no_identity(sc: &SendConnector) -> bool {
    sc.tls_certificate_name.is_none() && sc.fqdn.as_ref().is_none_or(|f| is_internal_name(&f.value))
}

/// The paste printed the send connector in full (`| fl`, the script's JSON): a property it
/// does not show was then blank, not left out of a property list (`| fl Name,Fqdn`). A full
/// list always prints these three.
fn printed_in_full(sc: &SendConnector) -> bool {
    sc.require_tls.is_some()
        && sc.dns_routing_enabled.is_some()
        && sc.cloud_services_mail_enabled.is_some()
}

/// R7 `sc-no-cert-identity`: the send connector to Exchange Online has neither
/// `TlsCertificateName` nor a public `Fqdn`: Exchange picks its client certificate by the
/// server's name, which finds the self-signed certificate (HealthChecker ExoConnectorCheck;
/// Check-HybridMailflowConfig "TlsCertificateName and FQDN are null").
fn send_no_certificate(ctx: &Ctx, out: &mut Vec<Finding>, sc: &SendConnector, picks: &Picks) {
    if !no_identity(sc) {
        return;
    }
    let name = send_name(sc);
    if !printed_in_full(sc) {
        // `| fl Name,AddressSpaces,…` without TlsCertificateName: it may well be set.
        out.push(inconclusive(
            name.clone(),
            &format!("which certificate send connector {} presents to Exchange Online", tick(&name)),
            "its TlsCertificateName is not in the paste, which shows only some of its properties",
            vec![format!(
                "{}: send connector {}: no TlsCertificateName in a paste that leaves out other properties too (RequireTLS, DNSRoutingEnabled or CloudServicesMailEnabled)",
                ctx.at(sc.origin.loc),
                tick(&name)
            )],
            "Paste Get-SendConnector <connector> | fl (all properties), or at least | fl Identity,Fqdn,TlsCertificateName,SourceTransportServers.",
        ));
        return;
    }
    let inbound = ctx.certificate_inbound();
    let severity = if inbound.is_empty() {
        Severity::Warn
    } else {
        Severity::Fail
    };
    let evidence = no_certificate_evidence(ctx, sc, picks, &inbound, &name);
    let picked_by = match &sc.fqdn {
        Some(f) => format!("its internal name {}", tick(&f.value)),
        None => "each source server's own name".to_string(),
    };
    let summary = match inbound.first() {
        Some((_, t)) => format!(
            "the send connector {} to Exchange Online names no certificate: Exchange picks its client certificate by {picked_by}, not one for {}, so Exchange Online cannot attribute on-premises mail to your tenant ({ATTRIBUTION_NDRS})",
            tick(&name),
            tick(&t.value)
        ),
        None => format!(
            "the send connector {} to Exchange Online names no certificate: Exchange picks its client certificate by {picked_by}, which finds the self-signed certificate, and Exchange Online cannot attribute on-premises mail to your tenant by it",
            tick(&name)
        ),
    };
    let fix = no_certificate_fix(ctx, sc, picks, &inbound, &name);
    out.push(Finding::new(
        Code::ExchangeSendNoCertificate,
        severity,
        name,
        Vec::new(),
        summary,
        evidence,
        fix,
    ));
}

/// R7's evidence: what the connector names, what Exchange would present on each server, and
/// the name each certificate-based inbound connector expects.
fn no_certificate_evidence(
    ctx: &Ctx,
    sc: &SendConnector,
    picks: &Picks,
    inbound: &[(&InboundConnector, &Text)],
    name: &str,
) -> Vec<String> {
    let how = match &sc.fqdn {
        Some(f) => format!("the internal Fqdn {}", tick(&f.value)),
        None => "no Fqdn".to_string(),
    };
    let mut evidence = vec![format!(
        "{}: send connector {}: no TlsCertificateName, {how}",
        ctx.at(sc.origin.loc),
        tick(name)
    )];
    for (server, sel) in &picks.per_server {
        match sel {
            Selection::Chosen { cert, .. } => evidence.push(format!(
                "on {}: Exchange would present {}",
                server_label(server),
                cert_label(cert)
            )),
            Selection::NotFound { .. } => evidence.push(format!(
                "on {}: no pasted certificate covers the name Exchange looks for, so it presents none",
                server_label(server)
            )),
            _ => {}
        }
    }
    for (c, t) in inbound {
        evidence.push(format!(
            "{}: inbound connector {} recognises on-premises by the certificate name {} (TlsSenderCertificateName)",
            ctx.at(t.loc),
            tick(&inbound_name(c)),
            tick(&t.value)
        ));
    }
    evidence
}

/// R7's fix: name the best pasted certificate for what the inbound connector expects (and
/// optionally a public Fqdn on it), else how to install one; or re-run HCW.
fn no_certificate_fix(
    ctx: &Ctx,
    sc: &SendConnector,
    picks: &Picks,
    inbound: &[(&InboundConnector, &Text)],
    name: &str,
) -> Fix {
    let servers: Vec<Option<String>> = picks.per_server.iter().map(|(s, _)| s.clone()).collect();
    let pattern = inbound.first().map(|(_, t)| t.value.clone());
    let candidate = if ctx.has_certificates() {
        best_certificate(
            &certs_of(ctx.config, &servers),
            pattern.as_deref().map(Pattern::Sender),
            None,
            ctx.now,
        )
    } else {
        None
    };
    let mut fix = Fix::new(
        Family::Exchange,
        "exchange::online::send_no_certificate",
        &[name, pattern.as_deref().unwrap_or_default()],
    );
    match candidate {
        Some(c) => {
            let holder = c.server.as_ref().map(|s| s.name().to_string());
            fix = fix.say(format!(
                "Name the certificate the connector presents, as the Hybrid Configuration Wizard does ({}):",
                cert_label(c)
            ));
            // The connector names no certificate: the steps are never a no-op here.
            if let Some(steps) = send_certificate_steps(sc, c, holder.as_deref(), ctx.now) {
                fix = fix.then(steps);
            }
            if let Some(host) = host_on(c, pattern.as_deref(), ctx.now)
                && let Some(q) = ps_quote(&host)
            {
                fix = fix.say("Optionally give the connector a public Fqdn on that certificate too (it is also its EHLO name):");
                fix = on_target(
                    fix,
                    EMS,
                    send_connector_target(sc).as_ref(),
                    "Set-SendConnector",
                    &format!("-Fqdn {q}"),
                );
            }
        }
        None => {
            let want = pattern
                .as_deref()
                .map(|p| format!(" whose name is {}", plain(p)))
                .unwrap_or_default();
            fix = fix.say(format!(
                "Install a certificate from a public CA{want} on every source server, enable it for SMTP (Enable-ExchangeCertificate -Services SMTP, answering No when asked to replace the default SMTP certificate), then name it on the connector from its own Issuer and Subject: Get-ExchangeCertificate -Server <server> -Thumbprint <its thumbprint> | ForEach-Object {{ Set-SendConnector <connector> -TlsCertificateName \"<I>$($_.Issuer)<S>$($_.Subject)\" }}"
            ));
        }
    }
    fix.say("Or re-run the Hybrid Configuration Wizard, which sets TlsCertificateName from the certificate you choose.")
}

// ---------------------------------------------------------------------------------------
// R12 — the send connector's TLS policy.

/// What R12 found wrong with a send connector's TLS policy: the evidence lines, the
/// problems in words, and the parameters that put each right (only what is wrong goes into
/// the command: it never sets a value to itself).
#[derive(Default)]
struct PolicyGaps {
    evidence: Vec<String>,
    problems: Vec<&'static str>,
    args: Vec<String>,
}

/// R12 `sc-tls-policy`: the send connector to Exchange Online does not require TLS, does not
/// validate Exchange Online's certificate against the service domain, or does not carry the
/// cross-premises headers (HealthChecker ExoConnectorCheck and CloudConnectorCheck).
fn send_tls_policy(ctx: &Ctx, out: &mut Vec<Finding>, sc: &SendConnector) {
    let name = send_name(sc);
    let at = ctx.at(sc.origin.loc);
    let want = send_cloud(sc).unwrap_or(Cloud::Worldwide).tls_domain();
    let mut gaps = PolicyGaps::default();
    if sc.require_tls == Some(false) {
        gaps.evidence.push(format!(
            "{at}: send connector {}: RequireTLS `False`",
            tick(&name)
        ));
        gaps.problems.push("does not require TLS");
        gaps.args.push("-RequireTLS $true".to_string());
    }
    weak_auth_level(&at, sc, &name, &mut gaps);
    wrong_tls_domain(&at, sc, &name, &mut gaps);
    if !gaps.problems.is_empty() {
        let summary = format!(
            "the send connector {} to Exchange Online {}: mail to the cloud can go unencrypted or to a server that is not Exchange Online",
            tick(&name),
            gaps.problems.join(", ")
        );
        let fix = on_target(
            Fix::new(
                Family::Exchange,
                "exchange::online::send_tls_policy",
                &[&name, want, &gaps.args.join(" ")],
            )
            .say("Require TLS and validate Exchange Online's certificate, as the Hybrid Configuration Wizard sets it:"),
            EMS,
            send_connector_target(sc).as_ref(),
            "Set-SendConnector",
            &gaps.args.join(" "),
        );
        out.push(Finding::new(
            Code::ExchangeSendTlsPolicy,
            Severity::Warn,
            name.clone(),
            Vec::new(),
            summary,
            gaps.evidence,
            fix,
        ));
    }
    if sc.cloud_services_mail_enabled == Some(false) {
        cloud_services_mail_off(ctx, out, sc);
    }
}

/// R12: a TlsAuthLevel that does not validate Exchange Online's certificate. A full `fl`
/// prints every property: a blank TlsAuthLevel then means "not set"; from a partial paste
/// (| fl Name,RequireTLS) an absent one means nothing.
fn weak_auth_level(at: &str, sc: &SendConnector, name: &str, gaps: &mut PolicyGaps) {
    let want = send_cloud(sc).unwrap_or(Cloud::Worldwide).tls_domain();
    let tls_domain = ps_quote(want).unwrap_or_default();
    let weak_level = match sc.tls_auth_level.as_deref().map(str::trim) {
        Some(l)
            if l.eq_ignore_ascii_case("DomainValidation")
                || l.eq_ignore_ascii_case("CertificateValidation") =>
        {
            false
        }
        Some(l) => {
            gaps.evidence.push(format!(
                "{at}: send connector {}: TlsAuthLevel {}",
                tick(name),
                tick(l)
            ));
            true
        }
        None if printed_in_full(sc) => {
            gaps.evidence.push(format!(
                "{at}: send connector {}: TlsAuthLevel is blank (not set)",
                tick(name)
            ));
            true
        }
        None => false,
    };
    if weak_level {
        gaps.problems
            .push("does not validate Exchange Online's certificate");
        gaps.args.push(format!(
            "-TlsAuthLevel DomainValidation -TlsDomain {tls_domain}"
        ));
    }
}

/// R12: DomainValidation against a TlsDomain that is not Exchange Online's service domain (or
/// against the recipient's domain, when TlsDomain is blank in a full paste).
fn wrong_tls_domain(at: &str, sc: &SendConnector, name: &str, gaps: &mut PolicyGaps) {
    let level = sc.tls_auth_level.as_deref().map(str::trim);
    if !level.is_some_and(|l| l.eq_ignore_ascii_case("DomainValidation")) {
        return;
    }
    let cloud = send_cloud(sc);
    let want = cloud.unwrap_or(Cloud::Worldwide).tls_domain();
    let tls_domain = ps_quote(want).unwrap_or_default();
    match sc
        .tls_domain
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        Some(d) => {
            let theirs = Cloud::ALL.into_iter().find(|c| lower(d) == c.tls_domain());
            let wrong = match (theirs, cloud) {
                (None, _) => true,
                (Some(t), Some(c)) => t != c,
                (Some(_), None) => false,
            };
            if wrong {
                gaps.evidence.push(format!(
                    "{at}: send connector {}: TlsDomain {} with DomainValidation; Exchange Online's certificate is for {}",
                    tick(name),
                    tick(d),
                    tick(want)
                ));
                gaps.problems
                    .push("validates Exchange Online's certificate against the wrong domain");
                gaps.args.push(format!("-TlsDomain {tls_domain}"));
            }
        }
        None if printed_in_full(sc) => {
            gaps.evidence.push(format!(
                "{at}: send connector {}: DomainValidation with a blank TlsDomain: the certificate is compared with the recipient's domain, which Exchange Online's certificate does not carry",
                tick(name)
            ));
            gaps.problems
                .push("validates Exchange Online's certificate against the recipient domain");
            gaps.args.push(format!("-TlsDomain {tls_domain}"));
        }
        None => {}
    }
}

/// HCW names its send connector, or it leads to the tenant's coexistence domain: the
/// connector that carries hybrid mail to Exchange Online (not a plain relay through EOP).
fn is_coexistence_connector(sc: &SendConnector) -> bool {
    sc.address_spaces.as_ref().is_some_and(|l| {
        l.items
            .iter()
            .any(|a| routing_domain_cloud(&address_space_domain(a)).is_some())
    }) || [&sc.identity, &sc.name]
        .into_iter()
        .flatten()
        .any(|n| is_hcw_send_name(n))
}

/// The paste shows an Exchange hybrid deployment: the hybrid configuration, a connector the
/// Hybrid Configuration Wizard made or marked for hybrid mail (ConnectorSource HybridWizard,
/// CloudServicesMailEnabled True), or a receive connector with its mark.
fn hybrid_evident(ctx: &Ctx) -> bool {
    let by_wizard = |source: &Option<String>, cloud: Option<bool>| {
        cloud == Some(true)
            || source
                .as_deref()
                .is_some_and(|s| s.trim().eq_ignore_ascii_case("HybridWizard"))
    };
    !ctx.config.hybrid.is_empty()
        || ctx
            .inbound
            .iter()
            .any(|c| by_wizard(&c.connector_source, c.cloud_services_mail_enabled))
        || ctx
            .outbound
            .iter()
            .any(|c| by_wizard(&c.connector_source, c.cloud_services_mail_enabled))
        || ctx
            .exo_sends
            .iter()
            .any(|s| s.cloud_services_mail_enabled == Some(true))
        || ctx
            .config
            .receive_connectors
            .iter()
            .any(has_cloud_capability)
}

/// R12, cross-premises headers: `CloudServicesMailEnabled False` on the send connector.
/// Set-SendConnector: `$false` means "the connector isn't used for mail flow in hybrid
/// organizations", which is right for a plain relay through Exchange Online Protection and
/// wrong for the hybrid connector to the tenant; and "we recommend that you don't use this
/// parameter unless you are directed to do so by Microsoft Customer Service and Support …
/// Instead, use the Hybrid Configuration wizard", so the fix is the wizard, not a command.
fn cloud_services_mail_off(ctx: &Ctx, out: &mut Vec<Finding>, sc: &SendConnector) {
    let name = send_name(sc);
    let hybrid = hybrid_evident(ctx) && is_coexistence_connector(sc);
    let fix = Fix::new(
        Family::Exchange,
        "exchange::online::send_cloud_services_mail",
        &[&name, if hybrid { "hybrid" } else { "relay" }],
    );
    let (severity, summary, fix) = if hybrid {
        (
            Severity::Fail,
            format!(
                "the send connector {} to Exchange Online has CloudServicesMailEnabled False: Exchange strips the cross-premises headers, so mail from on-premises users arrives in Exchange Online as external, anonymous mail",
                tick(&name)
            ),
            fix.say("Re-run the Hybrid Configuration Wizard: it sets CloudServicesMailEnabled on the connectors it creates. Microsoft marks the parameter \"do not use manually\" (Set-SendConnector: use it only when Microsoft support directs you to; use the Hybrid Configuration Wizard instead)."),
        )
    } else {
        (
            Severity::Info,
            format!(
                "the send connector {} to Exchange Online has CloudServicesMailEnabled False: right for a plain relay through Exchange Online Protection; only the hybrid connector to your tenant needs it True, and nothing pasted shows that this is one",
                tick(&name)
            ),
            fix.say("Nothing to change for a relay. If this is your hybrid connector, re-run the Hybrid Configuration Wizard rather than setting the parameter: Microsoft marks it \"do not use manually\" (Set-SendConnector)."),
        )
    };
    out.push(Finding::new(
        Code::ExchangeSendTlsPolicy,
        severity,
        name.clone(),
        Vec::new(),
        summary,
        vec![format!(
            "{}: send connector {}: CloudServicesMailEnabled `False`",
            ctx.at(sc.origin.loc),
            tick(&name)
        )],
        fix,
    ));
}

// ---------------------------------------------------------------------------------------
// R3 — the inbound connector expects another certificate name.

/// Whether `sc` is known to serve this tenant: one of its address spaces is an accepted
/// domain (the coexistence domain `tenant.mail.onmicrosoft.com` is one).
fn serves_tenant(ctx: &Ctx, sc: &SendConnector) -> bool {
    sc.address_spaces.as_ref().is_some_and(|l| {
        l.items.iter().any(|a| {
            let d = address_space_domain(a);
            ctx.config
                .accepted_domains
                .iter()
                .any(|ad| lower(&ad.domain_name) == d)
        })
    })
}

/// R3 `in-tlssender-mismatch`: the certificate the send connector presents carries none of
/// the names the OnPremises inbound connectors expect (`TlsSenderCertificateName`, a domain
/// and its subdomains for `*.contoso.com`). Exchange Online attributes a connection to the
/// connector whose certificate name matches, so one match is enough: a second connector
/// (a scanner relay, a branch office) that expects another name is not a mismatch.
fn sender_certificate_mismatch(ctx: &Ctx, out: &mut Vec<Finding>) {
    if !ctx.has_certificates() {
        return;
    }
    let inbound = ctx.certificate_inbound();
    // The connector a fix changes: the wizard's, else the first.
    let Some(&primary) = inbound
        .iter()
        .find(|(c, _)| {
            c.connector_source
                .as_deref()
                .is_some_and(|s| s.trim().eq_ignore_ascii_case("HybridWizard"))
        })
        .or(inbound.first())
    else {
        return;
    };
    let sends: Vec<&SendConnector> = ctx
        .exo_sends
        .iter()
        .copied()
        .filter(|sc| sc.enabled != Some(false) && !no_identity(sc))
        .collect();
    for sc in &sends {
        sender_mismatch_of(ctx, out, &inbound, primary, sc, sends.len() > 1);
    }
}

/// What R3 found on the servers of one send connector: the lines that show a mismatch, the
/// first certificate that does not match, and the doubts.
#[derive(Default)]
struct SenderVerdict<'a> {
    bad: Vec<String>,
    bad_cert: Option<&'a Certificate>,
    doubts: Doubts,
}

/// R3 for one send connector (`several`: more than one send connector leads to Exchange
/// Online, so one that does not provably serve this tenant is only inconclusive).
fn sender_mismatch_of(
    ctx: &Ctx,
    out: &mut Vec<Finding>,
    inbound: &[(&InboundConnector, &Text)],
    (primary, primary_pattern): (&InboundConnector, &Text),
    sc: &SendConnector,
    several: bool,
) {
    let in_name = inbound_name(primary);
    let sc_name = send_name(sc);
    let picks = ctx.send_picks(sc);
    let mut verdict = SenderVerdict::default();
    for (server, sel) in &picks.per_server {
        judge_sender_selection(ctx, inbound, server, sel, &mut verdict);
    }
    let SenderVerdict {
        bad,
        bad_cert,
        mut doubts,
    } = verdict;
    if picks.cut {
        doubts.add(
            "SourceTransportServers is cut in the paste: the servers it does not show were not checked".to_string(),
            ALL_SOURCE_SERVERS,
        );
    }
    let mut evidence = sender_evidence(ctx, inbound, sc, &sc_name);
    let what = sender_what(inbound.len(), &in_name, &sc_name);
    if bad.is_empty() {
        out.extend(doubts.finding(in_name.clone(), &what, evidence));
        return;
    }
    evidence.extend(bad.iter().cloned());
    evidence.extend(doubts.lines.iter().cloned());
    if several && !serves_tenant(ctx, sc) {
        out.push(inconclusive(
            in_name.clone(),
            &what,
            "several send connectors lead to Exchange Online and nothing pasted says which one serves this tenant (paste Get-AcceptedDomain from Exchange Online)",
            evidence,
            "Paste Get-AcceptedDomain from Exchange Online PowerShell: the send connector whose address space is the tenant's coexistence domain is the one that matters.",
        ));
        return;
    }
    let summary = sender_summary(inbound.len(), &in_name, &primary_pattern.value, &sc_name);
    let fix = sender_mismatch_fix(ctx, (primary, primary_pattern), sc, &picks, bad_cert);
    out.push(Finding::new(
        Code::ExchangeSenderCertificateNameMismatch,
        Severity::Fail,
        in_name.clone(),
        Vec::new(),
        summary,
        evidence,
        fix,
    ));
}

/// What R3 checks for one send connector (`count` certificate-based inbound connectors).
fn sender_what(count: usize, in_name: &str, sc_name: &str) -> String {
    let expected = if count == 1 {
        format!("inbound connector {} expects", tick(in_name))
    } else {
        format!("one of the {count} certificate-based inbound connectors expects")
    };
    format!(
        "whether send connector {} presents the certificate name {expected}",
        tick(sc_name)
    )
}

/// R3's summary for one send connector (`count` certificate-based inbound connectors).
fn sender_summary(count: usize, in_name: &str, pattern: &str, sc_name: &str) -> String {
    if count == 1 {
        format!(
            "the inbound connector {} expects the certificate name {} from on-premises, but the send connector {} presents another: Exchange Online rejects relayed mail and does not treat on-premises mail as internal ({ATTRIBUTION_NDRS})",
            tick(in_name),
            tick(pattern),
            tick(sc_name)
        )
    } else {
        format!(
            "none of the {count} certificate-based inbound connectors expects a name on the certificate the send connector {} presents: Exchange Online rejects relayed mail and does not treat on-premises mail as internal ({ATTRIBUTION_NDRS})",
            tick(sc_name)
        )
    }
}

/// R3 on one source server: a certificate whose names match no inbound connector's pattern
/// (or no certificate at all) is bad; names that are not all shown, or a comparison
/// Exchange Online does not document, are doubts.
fn judge_sender_selection<'a>(
    ctx: &Ctx,
    inbound: &[(&InboundConnector, &Text)],
    server: &Option<String>,
    sel: &Selection<'a>,
    verdict: &mut SenderVerdict<'a>,
) {
    let on = server_label(server);
    match sel {
        Selection::Chosen {
            cert, assumption, ..
        } => match cert_names(cert, ctx.now) {
            None => verdict.doubts.add(
                format!("on {on}: the names of {} are not in the paste", cert_label(cert)),
                ALL_NAMES,
            ),
            Some(names) => {
                let results: Vec<PatternMatch> = inbound
                    .iter()
                    .map(|(_, p)| Pattern::Sender(&p.value).matches(&names))
                    .collect();
                if results.iter().any(|r| matches!(r, PatternMatch::Yes(_))) {
                    return;
                }
                let whys: Vec<&String> = results
                    .iter()
                    .filter_map(|r| match r {
                        PatternMatch::Doubt(why) => Some(why),
                        _ => None,
                    })
                    .collect();
                if whys.is_empty() {
                    let mut line = format!(
                        "on {on}: the send connector presents {} (its names: {})",
                        cert_label(cert),
                        names_label(&names)
                    );
                    if let Some(a) = assumption {
                        line.push_str(&format!(" ({a})"));
                    }
                    verdict.bad.push(line);
                    verdict.bad_cert.get_or_insert(cert);
                }
                for why in whys {
                    let hint = if why.contains("only some") {
                        ALL_NAMES
                    } else {
                        NAME_DOUBT
                    };
                    verdict.doubts.add(format!("on {on}: {why}"), hint);
                }
            }
        },
        Selection::NotFound {
            sought: Sought::Fqdn(h) | Sought::ServerName(h),
            ..
        } => verdict.bad.push(format!(
            "on {on}: no pasted certificate covers {}, the name Exchange looks for, so the send connector presents none",
            tick(h)
        )),
        // R2 and R17 report a TlsCertificateName that names nothing.
        Selection::NotFound { .. } | Selection::Invalid(_) => {}
        Selection::Unknown(why) => verdict.doubts.add(
            format!("on {on}: {why}"),
            unknown_hint(why, server.as_deref()),
        ),
    }
}

/// R3's evidence: every inbound connector's expected name, and what the send connector names.
fn sender_evidence(
    ctx: &Ctx,
    inbound: &[(&InboundConnector, &Text)],
    sc: &SendConnector,
    sc_name: &str,
) -> Vec<String> {
    let mut evidence: Vec<String> = inbound
        .iter()
        .map(|(c, p)| {
            format!(
                "{}: inbound connector {}: TlsSenderCertificateName {}",
                ctx.at(p.loc),
                tick(&inbound_name(c)),
                tick(&p.value)
            )
        })
        .collect();
    evidence.push(match &sc.tls_certificate_name {
        Some(t) => format!(
            "{}: send connector {}: TlsCertificateName {}",
            ctx.at(t.loc),
            tick(sc_name),
            tick(&t.value)
        ),
        None => format!(
            "{}: send connector {}: no TlsCertificateName; Fqdn {}",
            ctx.at(sc.origin.loc),
            tick(sc_name),
            sc.fqdn.as_ref().map(|f| tick(&f.value)).unwrap_or_default()
        ),
    });
    evidence
}

/// R3's fix: have the inbound connector expect the name the certificate carries, or have the
/// send connector present a certificate with the expected name, or re-run HCW.
fn sender_mismatch_fix(
    ctx: &Ctx,
    (primary, primary_pattern): (&InboundConnector, &Text),
    sc: &SendConnector,
    picks: &Picks,
    bad_cert: Option<&Certificate>,
) -> Fix {
    let in_name = inbound_name(primary);
    let sc_name = send_name(sc);
    let mut fix = Fix::new(
        Family::ExchangeOnline,
        "exchange::online::sender_certificate_name",
        &[&in_name, &primary_pattern.value, &sc_name],
    );
    if let Some(cert) = bad_cert
        && eligible(cert, ctx.now)
        && let Some(n) = name_on(cert, ctx.now)
        && let Some(q) = ps_quote(&n)
    {
        fix = fix.say(format!(
            "Either have {} expect the name the send connector's certificate carries (Exchange Online PowerShell):",
            tick(&in_name)
        ));
        fix = on_target(
            fix,
            EXO,
            inbound_connector_target(primary).as_ref(),
            "Set-InboundConnector",
            &format!("-TlsSenderCertificateName {q}"),
        );
        fix.key.values.push(n);
    }
    let servers: Vec<Option<String>> = picks.per_server.iter().map(|(s, _)| s.clone()).collect();
    let best = best_certificate(
        &certs_of(ctx.config, &servers),
        Some(Pattern::Sender(&primary_pattern.value)),
        None,
        ctx.now,
    );
    let holder = best.and_then(|c| c.server.as_ref().map(|s| s.name().to_string()));
    match best
        .and_then(|c| send_certificate_steps(sc, c, holder.as_deref(), ctx.now).map(|s| (c, s)))
    {
        Some((c, steps)) => {
            fix = fix
                .say(format!(
                    "Or have the send connector present a certificate whose name is {} ({}):",
                    plain(&primary_pattern.value),
                    cert_label(c)
                ))
                .then(steps);
        }
        None => {
            fix = fix.say(format!(
                "Or install a certificate whose name is {} and name it in the send connector's TlsCertificateName.",
                plain(&primary_pattern.value)
            ));
        }
    }
    fix.say(
        "Or re-run the Hybrid Configuration Wizard, which sets both sides from one certificate.",
    )
}

// ---------------------------------------------------------------------------------------
// R8 — the outbound connector's TlsDomain is not on the receive connector's certificate.

/// Port 25 is among a receive connector's bindings (`None`: no bindings pasted).
fn binds_25(rc: &ReceiveConnector) -> Option<bool> {
    rc.bindings.as_ref().map(|b| {
        b.items
            .iter()
            .any(|i| crate::exchange::model::binding_port(i) == Some(25))
    })
}

/// HCW's mark on the hybrid receive connector (`…:AcceptCloudServicesMail`).
fn has_cloud_capability(rc: &ReceiveConnector) -> bool {
    rc.tls_domain_capabilities.as_ref().is_some_and(|l| {
        l.items.iter().any(|i| {
            let i = i.to_ascii_lowercase();
            i.contains("acceptcloudservicesmail") || i.contains("acceptoorgprotocol")
        })
    })
}

/// Among `rcs`, the ones Exchange Online delivers to: enabled or not (the receive rules judge
/// that), on port 25 or with bindings unknown, HCW's marked ones (`TlsDomainCapabilities`),
/// else `Default Frontend <server>` (FrontendTransport) on a Mailbox server or `Default
/// internal receive connector <server>` on an Edge server.
fn pick_hybrid<'a>(rcs: &[&'a ReceiveConnector], edge: bool) -> Vec<&'a ReceiveConnector> {
    let on_25: Vec<&ReceiveConnector> = rcs
        .iter()
        .copied()
        .filter(|rc| binds_25(rc) != Some(false))
        .collect();
    let marked: Vec<&ReceiveConnector> = on_25
        .iter()
        .copied()
        .filter(|rc| has_cloud_capability(rc))
        .collect();
    if !marked.is_empty() {
        return marked;
    }
    on_25
        .into_iter()
        .filter(|rc| {
            if edge {
                connector_short_name(rc).starts_with("default internal receive connector")
            } else {
                connector_short_name(rc).starts_with("default frontend")
                    && rc
                        .transport_role
                        .as_deref()
                        .is_none_or(|r| r.trim().eq_ignore_ascii_case("FrontendTransport"))
            }
        })
        .collect()
}

/// A receive connector's name without its server (`Default Frontend EX01`), lower case.
fn connector_short_name(rc: &ReceiveConnector) -> String {
    rc.name
        .as_deref()
        .or_else(|| {
            rc.identity
                .as_deref()
                .map(|i| i.rsplit('\\').next().unwrap_or(i))
        })
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// The hybrid receive connectors of the whole paste, server by server.
fn hybrid_receive_connectors(config: &Config) -> Vec<&ReceiveConnector> {
    let mut servers: Vec<Option<String>> = Vec::new();
    for rc in &config.receive_connectors {
        let s = rc.server_name();
        let known = servers.iter().any(|x| match (x, &s) {
            (Some(a), Some(b)) => same_server(a, b),
            (None, None) => true,
            _ => false,
        });
        if !known {
            servers.push(s);
        }
    }
    let mut out = Vec::new();
    for s in &servers {
        let mine: Vec<&ReceiveConnector> = config
            .receive_connectors
            .iter()
            .filter(|rc| match (rc.server_name(), s) {
                (Some(a), Some(b)) => same_server(&a, b),
                (None, None) => true,
                _ => false,
            })
            .collect();
        out.extend(pick_hybrid(&mine, false));
    }
    out
}

/// The receive connectors Exchange Online delivers to, and the servers none of whose
/// connectors was pasted: those of the hybrid configuration's Edge servers when it names
/// some (mail from the cloud then arrives there), else of its receiving servers, else every
/// hybrid receive connector pasted.
fn receiving<'a>(ctx: &Ctx<'a>) -> (Vec<&'a ReceiveConnector>, Vec<String>) {
    let hc = ctx.config.hybrid.first();
    let listed = |l: Option<&'a List>| l.filter(|l| !l.items.is_empty());
    let edge = hc.and_then(|h| listed(h.edge_transport_servers.as_ref()));
    let receiving = hc.and_then(|h| listed(h.receiving_transport_servers.as_ref()));
    let (servers, is_edge) = match (edge, receiving) {
        (Some(e), _) => (e, true),
        (None, Some(r)) => (r, false),
        (None, None) => return (hybrid_receive_connectors(ctx.config), Vec::new()),
    };
    let mut picked = Vec::new();
    let mut absent = Vec::new();
    for s in &servers.items {
        let on: Vec<&ReceiveConnector> = ctx
            .config
            .receive_connectors
            .iter()
            .filter(|rc| rc.server_name().is_some_and(|r| same_server(&r, s)))
            .collect();
        let mine = pick_hybrid(&on, is_edge);
        if mine.is_empty() {
            absent.push(if is_edge {
                format!("{} (Edge)", s.trim())
            } else {
                s.trim().to_string()
            });
        }
        picked.extend(mine);
    }
    if picked.is_empty() && !is_edge {
        // The pasted connectors name no server: take them as they are.
        let unnamed: Vec<&ReceiveConnector> = ctx
            .config
            .receive_connectors
            .iter()
            .filter(|rc| rc.server_name().is_none())
            .collect();
        let unnamed = pick_hybrid(&unnamed, false);
        if !unnamed.is_empty() {
            return (unnamed, Vec::new());
        }
    }
    (picked, absent)
}

/// R8 `out-tlsdomain-not-on-cert`: the outbound connector validates on-premises' certificate
/// against `TlsDomain` (DomainValidation), and the certificate the hybrid receive connector
/// presents does not carry it.
fn tls_domain_not_on_certificate(ctx: &Ctx, out: &mut Vec<Finding>) {
    if !ctx.has_certificates() || ctx.config.receive_connectors.is_empty() {
        return;
    }
    for oc in &ctx.outbound {
        if let Some(domain) = validated_tls_domain(oc) {
            tls_domain_of(ctx, out, oc, domain);
        }
    }
}

/// The `TlsDomain` an enabled outbound connector validates on-premises' certificate against
/// (`TlsSettings DomainValidation`), if any.
fn validated_tls_domain(oc: &OutboundConnector) -> Option<&str> {
    if oc.enabled == Some(false)
        || !oc
            .tls_settings
            .as_deref()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("DomainValidation"))
    {
        return None;
    }
    oc.tls_domain
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
}

/// What R8 found on the hybrid receive connectors: the lines that show a mismatch, the
/// connectors with the certificate each presents, and the doubts.
#[derive(Default)]
struct DomainVerdict<'a> {
    bad: Vec<String>,
    bad_rc: Vec<(&'a ReceiveConnector, &'a Certificate)>,
    doubts: Doubts,
}

/// R8 for one outbound connector and the `TlsDomain` it validates.
fn tls_domain_of(ctx: &Ctx, out: &mut Vec<Finding>, oc: &OutboundConnector, domain: &str) {
    let oc_name = outbound_name(oc);
    let (rcs, absent) = receiving(ctx);
    let mut verdict = DomainVerdict::default();
    for s in &absent {
        // An Edge server is named `EDGE01 (Edge)`: the command wants the name alone.
        let server = s.trim_end_matches(" (Edge)");
        verdict.doubts.add(
            format!("no hybrid receive connector of {} was pasted", plain(s)),
            match ps_quote(server) {
                Some(q) => format!(
                    "Paste Get-ReceiveConnector -Server {q} | fl (the connectors of that server), then run the check again."
                ),
                None => "Paste Get-ReceiveConnector -Server <server> | fl for every receiving server, then run the check again.".to_string(),
            },
        );
    }
    for rc in rcs {
        if rc.enabled == Some(false)
            || rc.auth_mechanism.as_ref().and_then(|a| a.has("Tls")) == Some(false)
        {
            // No STARTTLS at all on it: the receive rules say so.
            continue;
        }
        judge_receive_domain(ctx, rc, domain, &mut verdict);
    }
    let DomainVerdict {
        bad,
        bad_rc,
        doubts,
    } = verdict;
    let mut evidence = vec![format!(
        "{}: outbound connector {}: TlsSettings `DomainValidation`, TlsDomain {}",
        ctx.at(oc.origin.loc),
        tick(&oc_name),
        tick(domain)
    )];
    let what = format!(
        "whether the certificate on-premises presents carries the TlsDomain {} of outbound connector {}",
        tick(domain),
        tick(&oc_name)
    );
    if bad.is_empty() {
        out.extend(doubts.finding(oc_name.clone(), &what, evidence));
        return;
    }
    evidence.extend(bad.iter().cloned());
    evidence.extend(doubts.lines.iter().cloned());
    let summary = format!(
        "Exchange Online validates on-premises' certificate against TlsDomain {} (outbound connector {}), but the hybrid receive connector presents a certificate without that name: mail from the cloud to on-premises is deferred ({SUBJECT_MISMATCH})",
        tick(domain),
        tick(&oc_name)
    );
    let fix = tls_domain_fix(ctx, oc, &oc_name, domain, &bad_rc);
    out.push(Finding::new(
        Code::ExchangeTlsDomainNotOnCertificate,
        Severity::Fail,
        oc_name,
        Vec::new(),
        summary,
        evidence,
        fix,
    ));
}

/// R8 on one hybrid receive connector: does the certificate it presents carry `domain`?
fn judge_receive_domain<'a>(
    ctx: &Ctx<'a>,
    rc: &'a ReceiveConnector,
    domain: &str,
    verdict: &mut DomainVerdict<'a>,
) {
    let server = rc.server_name();
    let rc_name = receive_name(rc);
    match select::select(
        ctx.config,
        rc.tls_certificate_name.as_ref(),
        rc.fqdn.as_ref(),
        server.as_deref(),
        rc.origin.format,
        ctx.now,
    ) {
        Selection::Chosen { cert, .. } => match cert_names(cert, ctx.now) {
            None => verdict.doubts.add(
                format!(
                    "the names of the certificate {} presents are not in the paste",
                    tick(&rc_name)
                ),
                ALL_NAMES,
            ),
            Some(names) => match Pattern::TlsDomain(domain).matches(&names) {
                PatternMatch::Yes(_) => {}
                PatternMatch::No => {
                    verdict.bad.push(format!(
                        "{}: receive connector {} presents {} (its names: {})",
                        ctx.at(rc.origin.loc),
                        tick(&rc_name),
                        cert_label(cert),
                        names_label(&names)
                    ));
                    verdict.bad_rc.push((rc, cert));
                }
                PatternMatch::Doubt(why) => {
                    let hint = if why.contains("only some") {
                        ALL_NAMES
                    } else {
                        NAME_DOUBT
                    };
                    verdict
                        .doubts
                        .add(format!("receive connector {}: {why}", tick(&rc_name)), hint);
                }
            },
        },
        // R1, R6 and R17 (receive side) report a connector that presents nothing.
        Selection::NotFound { .. } | Selection::Invalid(_) => {}
        Selection::Unknown(why) => verdict.doubts.add(
            format!("receive connector {}: {why}", tick(&rc_name)),
            unknown_hint(&why, server.as_deref()),
        ),
    }
}

/// R8's fix: validate the name the certificate carries, or have the receive connectors
/// present a certificate for the domain, or re-run HCW.
fn tls_domain_fix(
    ctx: &Ctx,
    oc: &OutboundConnector,
    oc_name: &str,
    domain: &str,
    bad_rc: &[(&ReceiveConnector, &Certificate)],
) -> Fix {
    let mut fix = Fix::new(
        Family::ExchangeOnline,
        "exchange::online::tls_domain_not_on_certificate",
        &[oc_name, domain],
    );
    // Only a CA-issued certificate can pass DomainValidation: a TlsDomain that names the
    // self-signed certificate would still fail.
    let presented: Vec<&Certificate> = bad_rc.iter().map(|(_, c)| *c).collect();
    let same = presented.windows(2).all(|w| {
        std::ptr::eq(w[0], w[1])
            || (w[0].thumbprint.is_some() && w[0].thumbprint == w[1].thumbprint)
    });
    if same
        && let Some(cert) = presented.first()
        && eligible(cert, ctx.now)
        && let Some(n) = name_on(cert, ctx.now)
        && let Some(q) = ps_quote(&n)
    {
        fix = fix
            .say("Either validate the name the certificate carries (Exchange Online PowerShell):");
        fix = on_target(
            fix,
            EXO,
            outbound_connector_target(oc).as_ref(),
            "Set-OutboundConnector",
            &format!("-TlsDomain {q}"),
        );
        fix.key.values.push(n);
    }
    let (mut fix, pointed) = point_receive_connectors(ctx, fix, domain, bad_rc);
    if !pointed {
        let lead = if fix.steps.is_empty() {
            "Install"
        } else {
            "Or install"
        };
        fix = fix.say(format!(
            "{lead} a certificate for {} on the receiving servers, enable it for SMTP and name it in the receive connector's TlsCertificateName.",
            plain(domain)
        ));
    }
    fix.say(format!("{}.", rerun_hcw("Or re-run")))
}

/// R8's fix, the receive side: point each connector at the best pasted certificate of its
/// server that carries `domain`; the flag says whether any was.
fn point_receive_connectors(
    ctx: &Ctx,
    mut fix: Fix,
    domain: &str,
    bad_rc: &[(&ReceiveConnector, &Certificate)],
) -> (Fix, bool) {
    let mut pointed = false;
    for (rc, _) in bad_rc {
        let server = rc.server_name();
        let certs = certs_of(ctx.config, std::slice::from_ref(&server));
        if let Some(c) = best_certificate(&certs, Some(Pattern::TlsDomain(domain)), None, ctx.now)
            && !names_already(
                rc.tls_certificate_name.as_ref(),
                rc.origin.format,
                c,
                ctx.now,
            )
            && let Some(q) = tls_name_of(c, ctx.now).as_deref().and_then(ps_quote)
        {
            if !pointed {
                let lead = if fix.steps.is_empty() {
                    "Have"
                } else {
                    "Or have"
                };
                fix = fix.say(format!(
                    "{lead} the receive connector present a certificate for {} (Exchange Management Shell):",
                    plain(domain)
                ));
                pointed = true;
            }
            fix = on_target(
                fix,
                EMS,
                receive_connector_target(rc).as_ref(),
                "Set-ReceiveConnector",
                &format!("-TlsCertificateName {q}"),
            );
        }
    }
    (fix, pointed)
}

// ---------------------------------------------------------------------------------------
// R11 — the certificate domain is not an accepted domain.

/// `domain` is an accepted domain or a subdomain of one (`*.contoso.com` accepts contoso.com
/// and its subdomains).
/// The tenant's accepted domains: those read from Exchange Online, or of no known side; a
/// list the on-premises shell printed is the organisation's, not the tenant's (MC1226222
/// attributes by the tenant's).
fn tenant_domains<'c>(
    ctx: &Ctx<'c>,
) -> impl Iterator<Item = &'c crate::exchange::model::AcceptedDomain> {
    ctx.config
        .accepted_domains
        .iter()
        .filter(|d| d.side != Some(crate::exchange::model::Side::OnPremises))
}

fn accepted(ctx: &Ctx, domain: &str) -> bool {
    let d = lower(domain);
    let d = d.strip_prefix("*.").unwrap_or(&d);
    tenant_domains(ctx).any(|ad| {
        let a = lower(&ad.domain_name);
        let a = a.strip_prefix("*.").unwrap_or(&a);
        !a.is_empty() && (d == a || d.ends_with(&format!(".{a}")))
    })
}

fn accepted_list(ctx: &Ctx) -> String {
    tenant_domains(ctx)
        .map(|a| tick(&a.domain_name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// R11 `in-cert-domain-not-accepted` (MC1226222): the certificate domain Exchange Online
/// attributes on-premises mail by is not an accepted domain of the tenant.
fn certificate_domain_not_accepted(ctx: &Ctx, out: &mut Vec<Finding>) {
    if tenant_domains(ctx).next().is_none() {
        return;
    }
    let inbound = ctx.certificate_inbound();
    for (inb, pattern) in &inbound {
        if !accepted(ctx, &pattern.value) {
            out.push(inbound_domain_not_accepted(ctx, inb, pattern));
        }
    }
    if !inbound.is_empty() {
        // The inbound connector's name is the one checked; R3 ties it to the certificate.
        return;
    }
    for sc in ctx.exo_sends.iter().filter(|sc| sc.enabled != Some(false)) {
        send_domain_not_accepted(ctx, out, sc);
    }
}

/// R11's explanation and the step every fix of it starts with: make `d` an accepted domain.
fn accepted_domain_prose(fix: Fix, d: &str) -> Fix {
    fix.say("Exchange Online attributes mail from on-premises by the domain of the certificate it presents first (MC1226222, February 2026); a certificate domain that is not an accepted domain of the tenant is an anti-pattern that \"may unexpectedly stop working\".")
        .say(format!(
            "Add {} to the tenant and verify it in the Microsoft 365 admin centre (Settings > Domains); in Exchange Online accepted domains come from verified domains, not from New-AcceptedDomain.",
            plain(d)
        ))
}

/// R11 for an inbound connector whose `TlsSenderCertificateName` is not accepted.
fn inbound_domain_not_accepted(ctx: &Ctx, inb: &InboundConnector, pattern: &Text) -> Finding {
    let name = inbound_name(inb);
    let domain = lower(&pattern.value);
    let domain = domain.strip_prefix("*.").unwrap_or(&domain).to_string();
    let mut fix = accepted_domain_prose(
        Fix::new(
            Family::ExchangeOnline,
            "exchange::online::certificate_domain_not_accepted",
            &[&name, &pattern.value],
        ),
        &domain,
    );
    match accepted_send_name(ctx)
        .as_deref()
        .map(lower)
        .and_then(|n| ps_quote(&n).map(|q| (n, q)))
    {
        Some((n, q)) => {
            fix = fix.say("Or expect a name of the send connector's certificate that is in an accepted domain (Exchange Online PowerShell):");
            fix = on_target(
                fix,
                EXO,
                inbound_connector_target(inb).as_ref(),
                "Set-InboundConnector",
                &format!("-TlsSenderCertificateName {q}"),
            );
            fix.key.values.push(n);
        }
        None => {
            fix = fix.say("Or use a certificate whose name is in an accepted domain, name it in the send connector's TlsCertificateName, and set the inbound connector's TlsSenderCertificateName to that name (Set-InboundConnector).");
        }
    }
    Finding::new(
        Code::ExchangeCertificateDomainNotAccepted,
        Severity::Warn,
        name.clone(),
        Vec::new(),
        format!(
            "the inbound connector {} attributes on-premises mail by the certificate domain {}, which is not an accepted domain of the tenant: Microsoft calls this an anti-pattern that may stop working (MC1226222)",
            tick(&name),
            tick(&domain)
        ),
        vec![
            format!(
                "{}: inbound connector {}: TlsSenderCertificateName {}",
                ctx.at(pattern.loc),
                tick(&name),
                tick(&pattern.value)
            ),
            format!("accepted domains pasted: {}", accepted_list(ctx)),
        ],
        fix,
    )
}

/// A name on the send connector's certificate that is accepted, if there is one.
fn accepted_send_name(ctx: &Ctx) -> Option<String> {
    eligible_send_certificates(ctx).into_iter().find_map(|c| {
        cert_names(c, ctx.now)?
            .names
            .into_iter()
            .find(|n| accepted(ctx, n))
    })
}

/// R11 for a send connector when no inbound connector authenticates by certificate: none of
/// the names of the certificate it presents is in an accepted domain.
fn send_domain_not_accepted(ctx: &Ctx, out: &mut Vec<Finding>, sc: &SendConnector) {
    let picks = ctx.send_picks(sc);
    let Some((_, cert)) = picks.chosen().into_iter().next() else {
        return;
    };
    if cert.self_signed == Some(true) {
        // R7 covers a connector that presents the self-signed certificate.
        return;
    }
    let Some(names) = cert_names(cert, ctx.now) else {
        return;
    };
    if names.names.iter().any(|n| accepted(ctx, n)) {
        return;
    }
    let sc_name = send_name(sc);
    let evidence = vec![
        format!(
            "{}: send connector {} presents {} (its names: {})",
            ctx.at(sc.origin.loc),
            tick(&sc_name),
            cert_label(cert),
            names_label(&names)
        ),
        format!("accepted domains pasted: {}", accepted_list(ctx)),
    ];
    if !names.complete {
        out.push(inconclusive(
            sc_name.clone(),
            &format!("whether the certificate of send connector {} is in an accepted domain", tick(&sc_name)),
            "the paste shows only some of its names, and none of them is in an accepted domain",
            evidence,
            "Paste Get-ExchangeCertificate | fl * (or run the collection script) so that all of the certificate's names are shown.",
        ));
        return;
    }
    let first = names.names.first().map(|n| lower(n)).unwrap_or_default();
    let domain = first.strip_prefix("*.").unwrap_or(&first).to_string();
    let fix = accepted_domain_prose(
        Fix::new(
            Family::ExchangeOnline,
            "exchange::online::send_certificate_domain_not_accepted",
            &[&sc_name, &domain],
        ),
        &domain,
    )
    .say("Or have the send connector present a certificate whose name is in an accepted domain (Set-SendConnector -TlsCertificateName).");
    out.push(Finding::new(
        Code::ExchangeCertificateDomainNotAccepted,
        Severity::Warn,
        sc_name.clone(),
        Vec::new(),
        format!(
            "the send connector {} presents a certificate none of whose names is in an accepted domain of the tenant: Exchange Online attributes on-premises mail by that domain first, and Microsoft calls this an anti-pattern that may stop working (MC1226222)",
            tick(&sc_name)
        ),
        evidence,
        fix,
    ));
}

// ---------------------------------------------------------------------------------------
// R14 — the hybrid configuration names another certificate than the connectors.

/// Two `TlsCertificateName`s name the same certificate (`None`: prose glued onto one of them
/// leaves it open).
fn same_tls_name(a: &TlsName, b: &TlsName) -> Option<bool> {
    let w = a.wrapped || b.wrapped;
    if select::same_dn(&a.issuer, &b.issuer, w) && select::same_dn(&a.subject, &b.subject, w) {
        Some(true)
    } else if a.glued || b.glued {
        None
    } else {
        Some(false)
    }
}

/// The certificate the hybrid connectors present, when they agree: `Ok` with it, `Err` when
/// they present different ones; `None` when none is known.
fn connectors_certificate<'a>(ctx: &Ctx<'a>) -> Option<Result<&'a Certificate, ()>> {
    let mut certs: Vec<&Certificate> = Vec::new();
    for sc in ctx.exo_sends.iter().filter(|sc| sc.enabled != Some(false)) {
        certs.extend(ctx.send_picks(sc).chosen().into_iter().map(|(_, c)| c));
    }
    for rc in receiving(ctx).0 {
        if let Selection::Chosen { cert, .. } = select::select(
            ctx.config,
            rc.tls_certificate_name.as_ref(),
            rc.fqdn.as_ref(),
            rc.server_name().as_deref(),
            rc.origin.format,
            ctx.now,
        ) {
            certs.push(cert);
        }
    }
    let first = *certs.first()?;
    let key = |c: &Certificate| tls_name_of(c, ctx.now);
    if certs
        .iter()
        .all(|c| key(c) == key(first) && key(c).is_some())
    {
        Some(Ok(first))
    } else {
        Some(Err(()))
    }
}

/// R14 `hc-cert-drift`: the hybrid configuration's `TlsCertificateName` names another
/// certificate than the hybrid receive connector's or the send connector's (compared as
/// distinguished names; prose glued onto one leaves it open), or a certificate that none of
/// its transport servers holds: the next full wizard run writes it back onto the connectors
/// (HealthChecker: "Certificate Matches Hybrid Certificate"). A certificate missing on one
/// server only is that server's finding (R1, R2), not the hybrid configuration's.
fn hybrid_certificate_drift(ctx: &Ctx, out: &mut Vec<Finding>, hc: &HybridConfiguration) {
    let Some(text) = &hc.tls_certificate_name else {
        return;
    };
    let Ok(hc_name) = parse_tls_name(text, hc.origin.format) else {
        return; // R17
    };
    let mut doubts = Doubts::default();
    let mut drift = connector_drift(ctx, &hc_name, &mut doubts);
    let (missing, renewals) = held_nowhere(ctx, hc, text, &mut doubts);
    let mut evidence = vec![format!(
        "{}: hybrid configuration: TlsCertificateName {}",
        ctx.at(text.loc),
        tick(&text.value)
    )];
    if drift.is_empty() && missing.is_empty() {
        out.extend(doubts.finding(
            HYBRID.to_string(),
            "whether the hybrid configuration names the certificate the connectors use",
            evidence,
        ));
        return;
    }
    let summary = if drift.is_empty() {
        "the hybrid configuration's TlsCertificateName names a certificate none of its transport servers holds: the next full run of the Hybrid Configuration Wizard writes it onto the connectors".to_string()
    } else {
        "the hybrid configuration names another certificate (TlsCertificateName) than the hybrid connectors (typically one of them was changed by hand after a renewal): the next full run of the Hybrid Configuration Wizard writes the hybrid configuration's value back onto them".to_string()
    };
    evidence.append(&mut drift);
    evidence.extend(missing);
    evidence.extend(doubts.lines.iter().cloned());
    let fix = hybrid_drift_fix(ctx, hc, text, renewals);
    out.push(Finding::new(
        Code::ExchangeHybridCertificateDrift,
        Severity::Warn,
        HYBRID.to_string(),
        Vec::new(),
        summary,
        evidence,
        fix,
    ));
}

/// R14's fix: re-run HCW, or record the certificate the connectors use (or the renewal of
/// the one named) in the hybrid configuration.
fn hybrid_drift_fix(
    ctx: &Ctx,
    hc: &HybridConfiguration,
    text: &Text,
    renewals: Vec<&Certificate>,
) -> Fix {
    let mut fix = Fix::new(
        Family::Exchange,
        "exchange::online::hybrid_certificate_drift",
        &[&text.value],
    )
    .say(format!(
        "{}: the wizard records the certificate in the hybrid configuration and sets it on the connectors together.",
        rerun_hcw("Re-run")
    ));
    match connectors_certificate(ctx) {
        Some(Ok(c)) if eligible(c, ctx.now) => {
            if let Some(steps) = hybrid_certificate_steps(Some(hc), c, ctx.now) {
                fix = fix
                    .say(format!(
                        "Or record the certificate the connectors use ({}) in the hybrid configuration:",
                        cert_label(c)
                    ))
                    .then(steps);
                if let Some(n) = tls_name_of(c, ctx.now) {
                    fix.key.values.push(n);
                }
            }
        }
        Some(Err(())) => {
            fix = fix.say("The connectors themselves present different certificates: settle on the current one first, then record it with Set-HybridConfiguration -TlsCertificateName.");
        }
        None => {
            if let Some(c) = newest(renewals, ctx.now)
                && let Some(steps) = hybrid_certificate_steps(Some(hc), c, ctx.now)
            {
                fix = fix
                    .say(format!(
                        "Or record the renewed certificate ({}) in the hybrid configuration:",
                        cert_label(c)
                    ))
                    .then(steps);
                if let Some(n) = tls_name_of(c, ctx.now) {
                    fix.key.values.push(n);
                }
            }
        }
        Some(Ok(_)) => {}
    }
    fix
}

/// The hybrid connectors whose `TlsCertificateName` names another certificate than the
/// hybrid configuration's `hc_name`, one evidence line each. A connector without the
/// property is left out (R6, R7 judge it, and a property list may have left it out of the
/// paste), and so is one whose own name finds no certificate (R1, R2 and R17 report it, and
/// the wizard's next run writing the hybrid configuration's value onto it is their fix).
fn connector_drift(ctx: &Ctx, hc_name: &TlsName, doubts: &mut Doubts) -> Vec<String> {
    let mut drift = Vec::new();
    let mut judge = |label: String, t: &Text, format: InputFormat, names_nothing: bool| {
        let Ok(n) = parse_tls_name(t, format) else {
            return; // R17 for that connector
        };
        match same_tls_name(hc_name, &n) {
            Some(true) => {}
            Some(false) if names_nothing => {}
            Some(false) if without_markup(&hc_name.raw) == without_markup(&t.value) => doubts
                .add(
                    format!("{label}: its TlsCertificateName differs from the hybrid configuration's only by characters a web page or forum adds (brackets around a link, spacing, typographic quotes)"),
                    REPASTE,
                ),
            Some(false) => drift.push(format!(
                "{}: {label}: TlsCertificateName {}",
                ctx.at(t.loc),
                tick(&t.value)
            )),
            None => doubts.add(
                format!("{label}: prose glued onto a pasted TlsCertificateName leaves open whether it names the same certificate"),
                REPASTE,
            ),
        }
    };
    for rc in receiving(ctx).0 {
        let Some(t) = rc.tls_certificate_name.as_ref() else {
            continue;
        };
        let sel = select::select(
            ctx.config,
            Some(t),
            rc.fqdn.as_ref(),
            rc.server_name().as_deref(),
            rc.origin.format,
            ctx.now,
        );
        let nothing = matches!(sel, Selection::NotFound { .. } | Selection::Invalid(_));
        judge(
            format!("receive connector {}", tick(&receive_name(rc))),
            t,
            rc.origin.format,
            nothing,
        );
    }
    for sc in ctx.exo_sends.iter().filter(|sc| sc.enabled != Some(false)) {
        let Some(t) = sc.tls_certificate_name.as_ref() else {
            continue;
        };
        let picks = ctx.send_picks(sc);
        let nothing = picks
            .per_server
            .iter()
            .all(|(_, sel)| matches!(sel, Selection::NotFound { .. } | Selection::Invalid(_)));
        judge(
            format!("send connector {}", tick(&send_name(sc))),
            t,
            sc.origin.format,
            nothing,
        );
    }
    drift
}

/// The hybrid configuration's transport servers, each once (`[None]` when it names none),
/// and whether one of its lists is cut in the paste.
fn hybrid_servers(hc: &HybridConfiguration) -> (Vec<Option<String>>, bool) {
    let mut servers: Vec<String> = Vec::new();
    let mut cut = false;
    for l in [
        &hc.receiving_transport_servers,
        &hc.sending_transport_servers,
        &hc.edge_transport_servers,
    ]
    .into_iter()
    .flatten()
    {
        cut |= l.truncated;
        for s in &l.items {
            if !servers.iter().any(|x| same_server(x, s)) {
                servers.push(s.trim().to_string());
            }
        }
    }
    let list: Vec<Option<String>> = if servers.is_empty() {
        vec![None]
    } else {
        servers.into_iter().map(Some).collect()
    };
    (list, cut)
}

/// Whether the hybrid configuration's `TlsCertificateName` names a certificate none of its
/// transport servers holds: the evidence lines when so (empty when one server holds it, or
/// when the paste cannot say, which goes to `doubts`), and the near misses that could
/// replace it.
fn held_nowhere<'a>(
    ctx: &Ctx<'a>,
    hc: &HybridConfiguration,
    text: &Text,
    doubts: &mut Doubts,
) -> (Vec<String>, Vec<&'a Certificate>) {
    if !ctx.has_certificates() {
        return (Vec::new(), Vec::new());
    }
    let (list, cut) = hybrid_servers(hc);
    let mut missing = Vec::new();
    let mut renewals = Vec::new();
    let mut unknown: Vec<(String, String)> = Vec::new();
    for s in &list {
        match select::select(
            ctx.config,
            Some(text),
            None,
            s.as_deref(),
            hc.origin.format,
            ctx.now,
        ) {
            // One server holds it: the name is right; a server lacking it is R1's and R2's.
            Selection::Chosen { .. } => return (Vec::new(), Vec::new()),
            Selection::NotFound { .. }
                if let Some(c) = markup_twin(ctx, &text.value, s.as_deref()) =>
            {
                unknown.push((
                    format!(
                        "on {}: {} differs from the pasted name only by characters a web page or forum adds (brackets around a link, spacing, typographic quotes)",
                        server_label(s),
                        cert_label(c)
                    ),
                    REPASTE.to_string(),
                ));
            }
            Selection::NotFound { near, .. } => {
                let mut line = format!(
                    "on {}: no pasted certificate has the issuer and subject it names",
                    server_label(s)
                );
                for (c, how) in near {
                    line.push_str(&format!("; nearly {}: {}", cert_label(c), how.describe()));
                    if eligible(c, ctx.now) {
                        renewals.push(c);
                    }
                }
                missing.push(line);
            }
            Selection::Unknown(why) => unknown.push((
                format!("on {}: {why}", server_label(s)),
                unknown_hint(&why, s.as_deref()),
            )),
            Selection::Invalid(_) => {}
        }
    }
    if cut {
        unknown.push((
            "a transport server list of the hybrid configuration is cut in the paste, so a server it does not show may hold the certificate".to_string(),
            "Paste the lists in full: Get-HybridConfiguration | Select-Object -ExpandProperty ReceivingTransportServers (and SendingTransportServers, EdgeTransportServers).".to_string(),
        ));
    }
    if !unknown.is_empty() {
        // A server whose certificates the paste does not show may hold it.
        for (line, hint) in unknown {
            doubts.add(line, hint);
        }
        return (Vec::new(), Vec::new());
    }
    (missing, renewals)
}

// ---------------------------------------------------------------------------------------
// R15 — the hybrid configuration and the connectors disagree on endpoints.

/// `list` as PowerShell arguments (`'EX01','EX02'`), when every item is safe.
fn quoted_list(items: &[String]) -> Option<String> {
    if items.is_empty() {
        return None;
    }
    items
        .iter()
        .map(|i| ps_quote(i.trim()))
        .collect::<Option<Vec<_>>>()
        .map(|v| v.join(","))
}

fn list_label(l: &List) -> String {
    let mut s = if l.items.is_empty() {
        "{}".to_string()
    } else {
        l.items
            .iter()
            .map(|i| tick(i))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if l.truncated {
        s.push_str(", … (cut)");
    }
    s
}

/// R15 `hybrid-endpoint-drift`: the hybrid configuration and the connectors disagree on the
/// smart host or the transport servers; Edge servers with Sending/Receiving servers; an
/// unexpected ServiceInstance (HealthChecker HybridInformation; Set-HybridConfiguration).
fn hybrid_endpoint_drift(ctx: &Ctx, out: &mut Vec<Finding>, hc: &HybridConfiguration) {
    smart_host_drift(ctx, out, hc);
    sending_servers_drift(ctx, out, hc);
    receiving_servers_drift(ctx, out, hc);
    edge_with_mailbox_servers(ctx, out, hc);
    service_instance(ctx, out, hc);
}

/// The R15 warning: every sub-check of [`hybrid_endpoint_drift`] reports on the hybrid
/// configuration with the same code and severity.
fn endpoint_warn(summary: String, evidence: Vec<String>, fix: Fix) -> Finding {
    Finding::new(
        Code::ExchangeHybridEndpointDrift,
        Severity::Warn,
        HYBRID.to_string(),
        Vec::new(),
        summary,
        evidence,
        fix,
    )
}

/// Whether Edge Transport servers carry the hybrid mail flow (a non-empty list).
fn hybrid_edge(hc: &HybridConfiguration) -> bool {
    hc.edge_transport_servers
        .as_ref()
        .is_some_and(|l| !l.items.is_empty())
}

/// R15: OnPremisesSmartHost vs the outbound connectors' smart hosts.
fn smart_host_drift(ctx: &Ctx, out: &mut Vec<Finding>, hc: &HybridConfiguration) {
    let Some(host) = hc
        .on_premises_smart_host
        .as_deref()
        .map(str::trim)
        .filter(|h| !h.is_empty())
    else {
        return;
    };
    let at = ctx.at(hc.origin.loc);
    for oc in ctx
        .outbound
        .iter()
        .filter(|oc| oc.use_mx_record != Some(true))
    {
        let Some(hosts) = &oc.smart_hosts else {
            continue;
        };
        let oc_name = outbound_name(oc);
        let evidence = vec![
            format!(
                "{at}: hybrid configuration: OnPremisesSmartHost {}",
                tick(host)
            ),
            format!(
                "{}: outbound connector {}: SmartHosts {}",
                ctx.at(hosts.loc),
                tick(&oc_name),
                list_label(hosts)
            ),
        ];
        match hosts.any(|h| lower(h) == lower(host)) {
            Some(true) => {}
            None => out.push(inconclusive(
                oc_name.clone(),
                &format!("whether outbound connector {} delivers to OnPremisesSmartHost {}", tick(&oc_name), tick(host)),
                "its SmartHosts list is cut in the paste",
                evidence,
                "Paste Get-OutboundConnector | Select-Object -ExpandProperty SmartHosts as well.",
            )),
            Some(false) => out.push(endpoint_warn(
                format!(
                    "the hybrid configuration's OnPremisesSmartHost {} is not among the smart hosts of outbound connector {}: the next run of the Hybrid Configuration Wizard changes where Exchange Online delivers",
                    tick(host),
                    tick(&oc_name)
                ),
                evidence,
                smart_host_fix(oc, &oc_name, host),
            )),
        }
    }
}

/// The fix for [`smart_host_drift`]: align the outbound connector, or re-run HCW.
fn smart_host_fix(oc: &OutboundConnector, oc_name: &str, host: &str) -> Fix {
    let mut fix = Fix::new(
        Family::ExchangeOnline,
        "exchange::online::smart_host_drift",
        &[oc_name, host],
    )
    .say("Decide which name is current. If it is the hybrid configuration's, point the outbound connector at it (Exchange Online PowerShell):");
    if let Some(q) = ps_quote(host) {
        fix = on_target(
            fix,
            EXO,
            outbound_connector_target(oc).as_ref(),
            "Set-OutboundConnector",
            &format!("-SmartHosts {q}"),
        );
    }
    fix.say("If the connector's is, re-run the Hybrid Configuration Wizard with that name (it stores it as OnPremisesSmartHost).")
}

/// R15: SendingTransportServers vs the send connectors' SourceTransportServers.
fn sending_servers_drift(ctx: &Ctx, out: &mut Vec<Finding>, hc: &HybridConfiguration) {
    let Some(sending) = hc
        .sending_transport_servers
        .as_ref()
        .filter(|l| !l.items.is_empty())
    else {
        return;
    };
    for sc in ctx.exo_sends.iter().filter(|sc| sc.enabled != Some(false)) {
        let Some(source) = sc.source_transport_servers.as_ref() else {
            continue;
        };
        let sc_name = send_name(sc);
        let evidence = vec![
            format!(
                "{}: hybrid configuration: SendingTransportServers {}",
                ctx.at(sending.loc),
                list_label(sending)
            ),
            format!(
                "{}: send connector {}: SourceTransportServers {}",
                ctx.at(source.loc),
                tick(&sc_name),
                list_label(source)
            ),
        ];
        if server_lists_differ(sending, source) {
            out.push(endpoint_warn(
                format!(
                    "the hybrid configuration's SendingTransportServers and the SourceTransportServers of send connector {} differ: the next run of the Hybrid Configuration Wizard changes which servers send to Exchange Online",
                    tick(&sc_name)
                ),
                evidence,
                sending_servers_fix(&sc_name, source),
            ));
        } else if sending.truncated || source.truncated {
            out.push(inconclusive(
                sc_name.clone(),
                &format!("whether the hybrid configuration's SendingTransportServers match send connector {}", tick(&sc_name)),
                "a server list is cut in the paste",
                evidence,
                "Paste the lists in full: Get-HybridConfiguration | Select-Object -ExpandProperty SendingTransportServers, and the same for the send connector's SourceTransportServers.",
            ));
        }
    }
}

/// Whether two server lists provably differ: a server only one of them names counts only
/// when the other list is printed in full.
fn server_lists_differ(sending: &List, source: &List) -> bool {
    let only_hc = sending
        .items
        .iter()
        .any(|s| !source.items.iter().any(|x| same_server(x, s)));
    let only_sc = source
        .items
        .iter()
        .any(|s| !sending.items.iter().any(|x| same_server(x, s)));
    (only_hc && !source.truncated) || (only_sc && !sending.truncated)
}

/// The fix for [`sending_servers_drift`]: re-run HCW, or record the connector's list.
fn sending_servers_fix(sc_name: &str, source: &List) -> Fix {
    let mut fix = Fix::new(
        Family::Exchange,
        "exchange::online::sending_servers_drift",
        &[sc_name],
    )
    .say("Re-run the Hybrid Configuration Wizard and select the servers that should send to Exchange Online: it sets both lists.");
    if let Some(q) = quoted_list(&source.items).filter(|_| !source.truncated) {
        fix = fix.say(
            "Or, if the send connector's list is right, record it in the hybrid configuration:",
        );
        fix = fix.run(
            EMS,
            format!("Set-HybridConfiguration -SendingTransportServers {q}"),
        );
    }
    fix
}

/// R15: ReceivingTransportServers vs the servers whose receive connector carries HCW's mark.
fn receiving_servers_drift(ctx: &Ctx, out: &mut Vec<Finding>, hc: &HybridConfiguration) {
    let Some(receiving) = hc
        .receiving_transport_servers
        .as_ref()
        .filter(|l| !l.items.is_empty())
    else {
        return;
    };
    if hybrid_edge(hc) || ctx.config.receive_connectors.is_empty() {
        return;
    }
    let lines = receiving_mismatches(ctx, receiving);
    if lines.is_empty() {
        return;
    }
    let mut evidence = vec![format!(
        "{}: hybrid configuration: ReceivingTransportServers {}",
        ctx.at(receiving.loc),
        list_label(receiving)
    )];
    evidence.extend(lines);
    out.push(endpoint_warn(
        "the hybrid configuration's ReceivingTransportServers and the servers whose receive connector accepts Exchange Online's mail (TlsDomainCapabilities) differ: mail from Exchange Online that reaches another server loses its internal status, and the next wizard run changes the connectors".to_string(),
        evidence,
        Fix::new(Family::Exchange, "exchange::online::receiving_servers_drift", &[])
            .say("Re-run the Hybrid Configuration Wizard and select every server Exchange Online delivers to (the servers behind OnPremisesSmartHost): it sets TlsDomainCapabilities and the certificate on their Default Frontend connectors and records them as ReceivingTransportServers."),
    ));
}

/// The evidence lines of [`receiving_servers_drift`]: receiving servers without the cloud
/// mark on any pasted connector, and marked connectors on servers the list does not name.
fn receiving_mismatches(ctx: &Ctx, receiving: &List) -> Vec<String> {
    let pasted_servers: Vec<String> = ctx
        .config
        .receive_connectors
        .iter()
        .filter_map(ReceiveConnector::server_name)
        .collect();
    let marked: Vec<(&ReceiveConnector, String)> = ctx
        .config
        .receive_connectors
        .iter()
        .filter(|rc| has_cloud_capability(rc))
        .filter_map(|rc| rc.server_name().map(|s| (rc, s)))
        .collect();
    let mut lines = Vec::new();
    for s in &receiving.items {
        if pasted_servers.iter().any(|p| same_server(p, s))
            && !marked.iter().any(|(_, m)| same_server(m, s))
        {
            lines.push(format!(
                "{} is a receiving server, but none of its pasted receive connectors has TlsDomainCapabilities `mail.protection.outlook.com:AcceptCloudServicesMail`",
                tick(s)
            ));
        }
    }
    if !receiving.truncated {
        for (rc, s) in &marked {
            if !receiving.items.iter().any(|r| same_server(r, s)) {
                lines.push(format!(
                    "{}: receive connector {} carries the cloud mark but {} is not a receiving server",
                    ctx.at(rc.origin.loc),
                    tick(&receive_name(rc)),
                    tick(s)
                ));
            }
        }
    }
    lines
}

/// R15: Edge servers together with Sending/Receiving servers.
fn edge_with_mailbox_servers(ctx: &Ctx, out: &mut Vec<Finding>, hc: &HybridConfiguration) {
    let set = |l: &Option<List>| l.as_ref().is_some_and(|l| !l.items.is_empty());
    if !(hybrid_edge(hc)
        && (set(&hc.sending_transport_servers) || set(&hc.receiving_transport_servers)))
    {
        return;
    }
    let mut evidence = Vec::new();
    for (label, l) in [
        ("EdgeTransportServers", &hc.edge_transport_servers),
        ("SendingTransportServers", &hc.sending_transport_servers),
        ("ReceivingTransportServers", &hc.receiving_transport_servers),
    ] {
        if let Some(l) = l {
            evidence.push(format!(
                "{}: hybrid configuration: {label} {}",
                ctx.at(l.loc),
                list_label(l)
            ));
        }
    }
    out.push(endpoint_warn(
        "the hybrid configuration names Edge Transport servers and Sending or Receiving servers together: with Edge, mail to and from Exchange Online goes through the Edge servers only, and the other two lists must be empty".to_string(),
        evidence,
        // Which of the two is meant is the admin's choice: clearing either list by a
        // printed command would decide it for them (and may wipe the right one).
        Fix::new(Family::Exchange, "exchange::online::edge_with_mailbox_servers", &[])
            .say("Re-run the Hybrid Configuration Wizard and choose either Edge Transport servers or Mailbox servers for mail flow: it sets the lists together.")
            .say("By hand (Set-HybridConfiguration): to keep Edge, set SendingTransportServers and ReceivingTransportServers to $null; to leave Edge, set EdgeTransportServers to $null and check that the other two name the Mailbox servers that should carry hybrid mail."),
    ));
}

/// R15: a ServiceInstance other than 0 (worldwide) or 1 (21Vianet).
fn service_instance(ctx: &Ctx, out: &mut Vec<Finding>, hc: &HybridConfiguration) {
    let Some(si) = hc
        .service_instance
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    else {
        return;
    };
    if si == "0" || si == "1" {
        return;
    }
    let at = ctx.at(hc.origin.loc);
    out.push(endpoint_warn(
        format!("the hybrid configuration's ServiceInstance is {}: 0 is Microsoft 365 worldwide and 1 the service operated by 21Vianet; any other value is not valid", tick(si)),
        vec![format!("{at}: hybrid configuration: ServiceInstance {}", tick(si))],
        // Which instance the tenant lives in is not in the paste: no command guesses it.
        Fix::new(Family::Exchange, "exchange::online::service_instance", &[si])
            .say("Re-run the Hybrid Configuration Wizard and choose the Microsoft 365 instance your tenant is in, or set it by hand: Set-HybridConfiguration -ServiceInstance 0 for Microsoft 365 worldwide, 1 for the service operated by 21Vianet."),
    ));
}

// ---------------------------------------------------------------------------------------
// R18 — the inbound connector is IP-based.

/// The name the send connector's certificate carries (for `TlsSenderCertificateName`).
fn send_certificate_name(ctx: &Ctx) -> Option<String> {
    eligible_send_certificates(ctx)
        .into_iter()
        .find_map(|c| name_on(c, ctx.now))
}

/// The certificates the enabled send connectors present, in order, that Exchange could use
/// now (`eligible`).
fn eligible_send_certificates<'a>(ctx: &Ctx<'a>) -> Vec<&'a Certificate> {
    ctx.exo_sends
        .iter()
        .filter(|sc| sc.enabled != Some(false))
        .flat_map(|sc| {
            let chosen: Vec<&'a Certificate> = ctx
                .send_picks(sc)
                .chosen()
                .into_iter()
                .map(|(_, c)| c)
                .collect();
            chosen
        })
        .filter(|c| eligible(c, ctx.now))
        .collect()
}

/// R18 `in-ip-based`: the OnPremises inbound connector recognises on-premises by
/// `SenderIPAddresses` alone (MC1226222: addresses shared between tenants are an
/// anti-pattern; recommend certificate-based).
fn inbound_ip_based(ctx: &Ctx, out: &mut Vec<Finding>) {
    for inb in ctx.inbound.iter().filter(|c| c.enabled != Some(false)) {
        if inb.tls_sender_certificate_name.is_some() {
            continue;
        }
        let Some(ips) = inb
            .sender_ip_addresses
            .as_ref()
            .filter(|l| !l.items.is_empty())
        else {
            continue;
        };
        let name = inbound_name(inb);
        let mut fix = Fix::new(
            Family::ExchangeOnline,
            "exchange::online::inbound_ip_based",
            &[&name],
        )
        .say("Until it is certificate-based, the address Exchange Online sees must be in SenderIPAddresses, or the connector is not used: mail from on-premises is then not internal, and relay is refused. From the Exchange server, connect to your tenant's MX host on port 25 and send EHLO: the reply \"Hello [address]\" shows the address.");
        match send_certificate_name(ctx).and_then(|n| ps_quote(&n).map(|q| (n, q))) {
            Some((n, q)) => {
                fix = fix.say("Recognise on-premises by the certificate its send connector presents instead, as the Hybrid Configuration Wizard does (Exchange Online PowerShell):");
                fix = on_target(
                    fix,
                    EXO,
                    inbound_connector_target(inb).as_ref(),
                    "Set-InboundConnector",
                    &format!("-TlsSenderCertificateName {q}"),
                );
                fix.key.values.push(n);
            }
            None => {
                fix = fix.say("Recognise on-premises by certificate instead: name a public certificate in the send connector's TlsCertificateName, then set the inbound connector's TlsSenderCertificateName to the name on it (Set-InboundConnector), or re-run the Hybrid Configuration Wizard.");
            }
        }
        out.push(Finding::new(
            Code::ExchangeInboundIpBased,
            Severity::Warn,
            name.clone(),
            Vec::new(),
            format!(
                "the inbound connector {} recognises on-premises by IP address only: if the address changes or is not the one Exchange Online sees, the connector is not used; Microsoft calls addresses shared with other tenants an anti-pattern and recommends certificate-based connectors (MC1226222)",
                tick(&name)
            ),
            vec![format!(
                "{}: inbound connector {}: SenderIPAddresses {}, no TlsSenderCertificateName",
                ctx.at(ips.loc),
                tick(&name),
                list_label(ips)
            )],
            fix,
        ));
    }
}

// ---------------------------------------------------------------------------------------
// R19 — risky inbound connectors.

/// A connector domain pattern (`*`, `*.contoso.com`, `contoso.com`) covers `domain`.
fn domain_pattern_covers(pattern: &str, domain: &str) -> bool {
    let p = lower(pattern);
    let d = lower(domain);
    let d = d.strip_prefix("*.").unwrap_or(&d);
    if p == "*" {
        return true;
    }
    match p.strip_prefix("*.") {
        Some(base) => d == base || d.ends_with(&format!(".{base}")),
        None => p == d,
    }
}

/// R19 `in-misconfig`: `TreatMessagesAsInternal` on an OnPremises connector, a disabled
/// OnPremises connector, a Partner connector that claims your own domains with restrictions,
/// `RequireTls False` on an OnPremises connector (information only).
fn inbound_connector_risky(ctx: &Ctx, out: &mut Vec<Finding>) {
    let enabled_on_prem = ctx
        .inbound
        .iter()
        .filter(|c| c.enabled != Some(false))
        .count();
    let hybrid = hybrid_evident(ctx);
    for inb in &ctx.inbound {
        if inb.treat_messages_as_internal == Some(true) {
            out.push(treat_messages_as_internal(ctx, inb, hybrid));
        }
        if inb.enabled != Some(false)
            && inb.cloud_services_mail_enabled == Some(false)
            && let Some(sc) = ctx
                .exo_sends
                .iter()
                .find(|s| s.enabled != Some(false) && s.cloud_services_mail_enabled == Some(true))
        {
            out.push(inbound_cloud_services_mail_off(ctx, inb, sc));
        }
        if inb.enabled == Some(false) {
            out.push(inbound_disabled(ctx, inb, enabled_on_prem == 0));
        }
        if inb.require_tls == Some(false) {
            out.push(inbound_require_tls_off(ctx, inb));
        }
    }
    partner_claims_own_domain(ctx, out);
}

/// R19: a disabled OnPremises inbound connector (`only`: no other one is enabled, so
/// Exchange Online does not recognise on-premises at all).
fn inbound_disabled(ctx: &Ctx, inb: &InboundConnector, only: bool) -> Finding {
    let name = inbound_name(inb);
    let at = ctx.at(inb.origin.loc);
    let fix = on_target(
        Fix::new(Family::ExchangeOnline, "exchange::online::inbound_disabled", &[&name])
            .say("Enable it, unless another OnPremises connector replaced it on purpose (Exchange Online PowerShell):"),
        EXO,
        inbound_connector_target(inb).as_ref(),
        "Set-InboundConnector",
        "-Enabled $true",
    );
    Finding::new(
        Code::ExchangeInboundConnectorRisky,
        if only { Severity::Fail } else { Severity::Warn },
        name.clone(),
        Vec::new(),
        if only {
            format!(
                "the inbound connector {} is disabled and no other OnPremises inbound connector is enabled: Exchange Online does not recognise mail from on-premises, so it is not internal and relaying through Exchange Online is refused ({ATTRIBUTION_NDRS})",
                tick(&name)
            )
        } else {
            format!(
                "the OnPremises inbound connector {} is disabled",
                tick(&name)
            )
        },
        vec![format!(
            "{at}: inbound connector {}: Enabled `False`",
            tick(&name)
        )],
        fix,
    )
}

/// R19: `RequireTls False` on an OnPremises inbound connector (information only).
fn inbound_require_tls_off(ctx: &Ctx, inb: &InboundConnector) -> Finding {
    let name = inbound_name(inb);
    let at = ctx.at(inb.origin.loc);
    Finding::new(
        Code::ExchangeInboundConnectorRisky,
        Severity::Info,
        name.clone(),
        Vec::new(),
        format!(
            "the OnPremises inbound connector {} has RequireTls False: Microsoft documents RequireTls as applying only to Partner type connectors, so this alone does not break hybrid mail",
            tick(&name)
        ),
        vec![format!("{at}: inbound connector {}: RequireTls `False`", tick(&name))],
        Fix::new(Family::ExchangeOnline, "exchange::online::inbound_require_tls", &[])
            .say("Nothing needs to change for mail flow; the Hybrid Configuration Wizard sets it to True."),
    )
}

/// Your own domains, each with how to name it in evidence: the accepted domains and the
/// hybrid configuration's domains.
fn own_domains(ctx: &Ctx) -> Vec<(String, String)> {
    let mut own: Vec<(String, String)> = ctx
        .config
        .accepted_domains
        .iter()
        .map(|a| {
            (
                a.domain_name.clone(),
                format!("accepted domain {}", tick(&a.domain_name)),
            )
        })
        .collect();
    for hc in &ctx.config.hybrid {
        if let Some(d) = &hc.domains {
            own.extend(
                d.items
                    .iter()
                    .map(|i| (i.clone(), format!("hybrid domain {}", tick(i)))),
            );
        }
    }
    own
}

/// R19: enabled Partner connectors, restricted by certificate or IP address, that claim your
/// own domains.
fn partner_claims_own_domain(ctx: &Ctx, out: &mut Vec<Finding>) {
    let own = own_domains(ctx);
    if own.is_empty() {
        return;
    }
    for inb in ctx.config.inbound_connectors.iter().filter(|c| {
        c.enabled != Some(false)
            && c.connector_type
                .as_deref()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("Partner"))
            && (c.restrict_domains_to_certificate == Some(true)
                || c.restrict_domains_to_ip_addresses == Some(true))
    }) {
        partner_claims(ctx, out, inb, &own);
    }
}

/// R19 for one restricted Partner connector: does a SenderDomains entry cover one of `own`?
fn partner_claims(
    ctx: &Ctx,
    out: &mut Vec<Finding>,
    inb: &InboundConnector,
    own: &[(String, String)],
) {
    let Some(senders) = &inb.sender_domains else {
        return;
    };
    let name = inbound_name(inb);
    let hit = senders.items.iter().find_map(|s| {
        let p = address_space_domain(s);
        own.iter()
            .find(|(d, _)| domain_pattern_covers(&p, d))
            .map(|(_, label)| (s.clone(), label.clone()))
    });
    let restrict = [
        (inb.restrict_domains_to_certificate == Some(true))
            .then_some("RestrictDomainsToCertificate `True`"),
        (inb.restrict_domains_to_ip_addresses == Some(true))
            .then_some("RestrictDomainsToIPAddresses `True`"),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    let evidence = vec![format!(
        "{}: Partner inbound connector {}: SenderDomains {}, {restrict}",
        ctx.at(senders.loc),
        tick(&name),
        list_label(senders)
    )];
    match hit {
        Some((sender, label)) => {
            let mut evidence = evidence;
            evidence.push(format!("{} covers your {label}", tick(&sender)));
            out.push(Finding::new(
                Code::ExchangeInboundConnectorRisky,
                Severity::Warn,
                name.clone(),
                Vec::new(),
                format!(
                    "the Partner inbound connector {} claims your own domain and accepts it only by certificate or from its IP addresses: mail from your own domain that does not come that way is rejected (550 5.7.51 TenantInboundAttribution; There is a partner connector configured that matched the message's recipient domain)",
                    tick(&name)
                ),
                evidence,
                Fix::new(Family::ExchangeOnline, "exchange::online::partner_claims_own_domain", &[&name])
                    .say("Scope the Partner connector's SenderDomains to the partner's domains, or remove it if the OnPremises connector is meant to carry this mail. Review it first (Exchange Online PowerShell):")
                    .run(EXO, "Get-InboundConnector | Format-List Name,ConnectorType,SenderDomains,RestrictDomainsToCertificate,RestrictDomainsToIPAddresses,TlsSenderCertificateName,SenderIPAddresses"),
            ));
        }
        None if senders.truncated => out.push(inconclusive(
            name.clone(),
            &format!(
                "whether Partner inbound connector {} claims your own domains",
                tick(&name)
            ),
            "its SenderDomains list is cut in the paste",
            evidence,
            "Paste Get-InboundConnector | Select-Object -ExpandProperty SenderDomains as well.",
        )),
        None => {}
    }
}

/// R19, `TreatMessagesAsInternal True`. Set-InboundConnector: "You should only consider using
/// this parameter when your on-premises organization doesn't use Exchange … In hybrid
/// environments, you don't need to use this parameter", and it cannot be combined with
/// `CloudServicesMailEnabled True`. So in a hybrid it is a WARN with the command that turns it
/// off; without one it may be the documented use, and only the risk is said.
fn treat_messages_as_internal(ctx: &Ctx, inb: &InboundConnector, hybrid: bool) -> Finding {
    let name = inbound_name(inb);
    let at = ctx.at(inb.origin.loc);
    let mut evidence = vec![format!(
        "{at}: inbound connector {}: TreatMessagesAsInternal `True`",
        tick(&name)
    )];
    if inb.cloud_services_mail_enabled == Some(true) {
        evidence.push(format!(
            "{at}: inbound connector {}: CloudServicesMailEnabled `True` as well, which Microsoft says cannot be combined with it",
            tick(&name)
        ));
    }
    if hybrid {
        let fix = on_target(
            Fix::new(Family::ExchangeOnline, "exchange::online::treat_messages_as_internal", &[&name])
                .say("Turn it off; in hybrid the cross-premises headers (CloudServicesMailEnabled, set by the Hybrid Configuration Wizard) already make on-premises mail internal (Exchange Online PowerShell):"),
            EXO,
            inbound_connector_target(inb).as_ref(),
            "Set-InboundConnector",
            "-TreatMessagesAsInternal $false",
        );
        Finding::new(
            Code::ExchangeInboundConnectorRisky,
            Severity::Warn,
            name.clone(),
            Vec::new(),
            format!(
                "the inbound connector {} treats all its mail as internal (TreatMessagesAsInternal): Microsoft says hybrid does not need it, and it is a security risk (such mail bypasses anti-spam filtering)",
                tick(&name)
            ),
            evidence,
            fix,
        )
    } else {
        Finding::new(
            Code::ExchangeInboundConnectorRisky,
            Severity::Info,
            name.clone(),
            Vec::new(),
            format!(
                "the inbound connector {} treats all its mail as internal (TreatMessagesAsInternal): Microsoft documents this for on-premises servers that are not Exchange; such mail bypasses anti-spam filtering, so only your own server must be able to use the connector",
                tick(&name)
            ),
            evidence,
            Fix::new(Family::ExchangeOnline, "exchange::online::treat_messages_as_internal_no_hybrid", &[&name])
                .say("Nothing to change if the on-premises server is not Exchange and the connector recognises it by its certificate or its own IP addresses. If it is Exchange in a hybrid deployment, turn it off and let the Hybrid Configuration Wizard set CloudServicesMailEnabled instead (Set-InboundConnector <connector> -TreatMessagesAsInternal $false)."),
        )
    }
}

/// B6: the OnPremises inbound connector has `CloudServicesMailEnabled False` while the send
/// connector to Exchange Online has it True; the Hybrid Configuration Wizard sets both True.
/// Set-InboundConnector: with `$false` "any cross-premises headers are removed from messages
/// that flow through the connector", so mail from on-premises users loses its internal
/// status. The parameter is marked "do not use manually": the fix is the wizard.
fn inbound_cloud_services_mail_off(
    ctx: &Ctx,
    inb: &InboundConnector,
    sc: &SendConnector,
) -> Finding {
    let name = inbound_name(inb);
    let sc_name = send_name(sc);
    Finding::new(
        Code::ExchangeInboundConnectorRisky,
        Severity::Warn,
        name.clone(),
        Vec::new(),
        format!(
            "the inbound connector {} has CloudServicesMailEnabled False while the send connector {} sends with it True (the Hybrid Configuration Wizard sets both True): Exchange Online removes the cross-premises headers from mail that arrives through it, so mail from on-premises users is not treated as internal",
            tick(&name),
            tick(&sc_name)
        ),
        vec![
            format!(
                "{}: inbound connector {}: CloudServicesMailEnabled `False`",
                ctx.at(inb.origin.loc),
                tick(&name)
            ),
            format!(
                "{}: send connector {}: CloudServicesMailEnabled `True`",
                ctx.at(sc.origin.loc),
                tick(&sc_name)
            ),
        ],
        Fix::new(
            Family::ExchangeOnline,
            "exchange::online::inbound_cloud_services_mail",
            &[&name],
        )
        .say("Re-run the Hybrid Configuration Wizard: it sets CloudServicesMailEnabled on the connectors it creates and updates. Microsoft marks the parameter \"do not use manually\" (Set-InboundConnector: use it only when Microsoft support directs you to; use the Hybrid Configuration Wizard instead)."),
    )
}

// ---------------------------------------------------------------------------------------
// R20 — risky outbound connectors.

/// The coexistence and initial domains of the tenant are Exchange Online's own, never routed
/// to on-premises.
fn is_tenant_domain(domain: &str) -> bool {
    let d = lower(domain);
    routing_domain_cloud(&d).is_some()
        || ["onmicrosoft.com", "partner.onmschina.cn", "onmicrosoft.us"]
            .iter()
            .any(|s| d.ends_with(&format!(".{s}")))
}

/// R20 `out-misconfig`: the OnPremises outbound connector uses MX, is disabled, is scoped by
/// transport rules, misses hybrid domains, or validates no certificate
/// (Set-OutboundConnector; the HCW baseline).
fn outbound_connector_risky(ctx: &Ctx, out: &mut Vec<Finding>) {
    let smart_host = ctx
        .config
        .hybrid
        .first()
        .and_then(|hc| hc.on_premises_smart_host.as_deref())
        .map(str::trim)
        .filter(|h| !h.is_empty());
    for oc in &ctx.outbound {
        outbound_use_mx(ctx, out, oc, smart_host);
        outbound_disabled_or_scoped(ctx, out, oc);
        outbound_recipient_domains(ctx, out, oc);
        outbound_tls_settings(ctx, out, oc);
        // IsValidated False is not reported: connectors the wizard creates are commonly never
        // validated, so it is noise in every healthy hybrid and says nothing about mail flow.
    }
}

/// The R20 finding on outbound connector `oc`.
fn outbound_finding(
    oc: &OutboundConnector,
    severity: Severity,
    summary: String,
    evidence: Vec<String>,
    fix: Fix,
) -> Finding {
    Finding::new(
        Code::ExchangeOutboundConnectorRisky,
        severity,
        outbound_name(oc),
        Vec::new(),
        summary,
        evidence,
        fix,
    )
}

/// R20: the connector routes by MX rather than to the on-premises smart host.
fn outbound_use_mx(
    ctx: &Ctx,
    out: &mut Vec<Finding>,
    oc: &OutboundConnector,
    smart_host: Option<&str>,
) {
    if oc.use_mx_record != Some(true) {
        return;
    }
    let name = outbound_name(oc);
    let at = ctx.at(oc.origin.loc);
    let mut fix = Fix::new(
        Family::ExchangeOnline,
        "exchange::online::outbound_use_mx",
        &[&name, smart_host.unwrap_or_default()],
    );
    match smart_host.and_then(ps_quote) {
        Some(q) => {
            fix = fix.say("Deliver to the on-premises smart host, as the Hybrid Configuration Wizard sets it (Exchange Online PowerShell):");
            fix = on_target(
                fix,
                EXO,
                outbound_connector_target(oc).as_ref(),
                "Set-OutboundConnector",
                &format!("-UseMXRecord $false -SmartHosts {q}"),
            );
        }
        None => {
            fix = fix.say("Deliver to the on-premises server's public name instead: Set-OutboundConnector <connector> -UseMXRecord $false -SmartHosts <the name on-premises receives on, e.g. mail.contoso.com>, or re-run the Hybrid Configuration Wizard.");
        }
    }
    out.push(outbound_finding(
        oc,
        Severity::Warn,
        format!(
            "the outbound connector {} to on-premises routes by MX record: when the domain's MX points to Exchange Online Protection, mail loops back to the cloud or bypasses on-premises",
            tick(&name)
        ),
        vec![format!("{at}: outbound connector {}: UseMXRecord `True`", tick(&name))],
        fix,
    ));
}

/// R20: the connector is disabled, or scoped to transport rules.
fn outbound_disabled_or_scoped(ctx: &Ctx, out: &mut Vec<Finding>, oc: &OutboundConnector) {
    let name = outbound_name(oc);
    let at = ctx.at(oc.origin.loc);
    let target = outbound_connector_target(oc);
    if oc.enabled == Some(false) {
        out.push(outbound_finding(
            oc,
            Severity::Warn,
            format!("the outbound connector {} to on-premises is disabled: mail from Exchange Online to on-premises mailboxes goes by MX instead, without the hybrid connector's TLS", tick(&name)),
            vec![format!("{at}: outbound connector {}: Enabled `False`", tick(&name))],
            on_target(
                Fix::new(Family::ExchangeOnline, "exchange::online::outbound_disabled", &[&name])
                    .say("Enable it, unless another OnPremises connector replaced it on purpose (Exchange Online PowerShell):"),
                EXO,
                target.as_ref(),
                "Set-OutboundConnector",
                "-Enabled $true",
            ),
        ));
    }
    if oc.is_transport_rule_scoped == Some(true) {
        out.push(outbound_finding(
            oc,
            Severity::Warn,
            format!("the outbound connector {} to on-premises is scoped to transport rules: only mail a rule sends to it uses it", tick(&name)),
            vec![format!("{at}: outbound connector {}: IsTransportRuleScoped `True`", tick(&name))],
            on_target(
                Fix::new(Family::ExchangeOnline, "exchange::online::outbound_rule_scoped", &[&name])
                    .say("Unless a rule is meant to choose the mail, scope it by RecipientDomains as the Hybrid Configuration Wizard does (Exchange Online PowerShell):"),
                EXO,
                target.as_ref(),
                "Set-OutboundConnector",
                "-IsTransportRuleScoped $false",
            ),
        ));
    }
}

/// R20: RecipientDomains vs the hybrid domains.
fn outbound_recipient_domains(ctx: &Ctx, out: &mut Vec<Finding>, oc: &OutboundConnector) {
    let (Some(rd), Some(domains)) = (
        &oc.recipient_domains,
        ctx.config.hybrid.first().and_then(|hc| hc.domains.as_ref()),
    ) else {
        return;
    };
    if oc.is_transport_rule_scoped == Some(true) {
        return;
    }
    let name = outbound_name(oc);
    let missing: Vec<String> = domains
        .items
        .iter()
        .filter(|d| !is_tenant_domain(d))
        .filter(|d| {
            !rd.items
                .iter()
                .any(|p| domain_pattern_covers(&address_space_domain(p), d))
        })
        .map(|d| d.trim().to_string())
        .collect();
    let evidence = vec![
        format!(
            "{}: outbound connector {}: RecipientDomains {}",
            ctx.at(rd.loc),
            tick(&name),
            list_label(rd)
        ),
        format!(
            "{}: hybrid configuration: Domains {}",
            ctx.at(domains.loc),
            list_label(domains)
        ),
    ];
    if !missing.is_empty() && !rd.truncated {
        out.push(outbound_finding(
            oc,
            Severity::Warn,
            format!(
                "the outbound connector {} to on-premises does not cover the hybrid domain(s) {}: mail from Exchange Online to on-premises mailboxes there goes by MX instead",
                tick(&name),
                missing.iter().map(|d| tick(d)).collect::<Vec<_>>().join(", ")
            ),
            evidence,
            recipient_domains_fix(oc, &name, &missing),
        ));
    } else if (!missing.is_empty() && rd.truncated) || (missing.is_empty() && domains.truncated) {
        out.push(inconclusive(
            name.clone(),
            &format!("whether outbound connector {} covers every hybrid domain", tick(&name)),
            "a domain list is cut in the paste",
            evidence,
            "Paste the lists in full: Get-OutboundConnector | Select-Object -ExpandProperty RecipientDomains, and Get-HybridConfiguration | Select-Object -ExpandProperty Domains.",
        ));
    }
}

/// The fix for [`outbound_recipient_domains`]: add the missing hybrid domains.
fn recipient_domains_fix(oc: &OutboundConnector, name: &str, missing: &[String]) -> Fix {
    let fix = Fix::new(
        Family::ExchangeOnline,
        "exchange::online::outbound_recipient_domains",
        &[name, &missing.join(",")],
    );
    match quoted_list(missing) {
        Some(q) => {
            let fix = fix.say("Add the hybrid domains (Exchange Online PowerShell), or re-run the Hybrid Configuration Wizard:");
            on_target(fix, EXO, outbound_connector_target(oc).as_ref(), "Set-OutboundConnector", &format!("-RecipientDomains @{{Add={q}}}"))
        }
        None => fix.say("Add the hybrid domains to RecipientDomains (Set-OutboundConnector -RecipientDomains @{Add=…}), or re-run the Hybrid Configuration Wizard."),
    }
}

/// R20: the connector validates no certificate (EncryptionOnly, or TlsSettings blank).
fn outbound_tls_settings(ctx: &Ctx, out: &mut Vec<Finding>, oc: &OutboundConnector) {
    let name = outbound_name(oc);
    let at = ctx.at(oc.origin.loc);
    // A full `fl` prints TlsSettings: blank there means "not set".
    let full = oc.use_mx_record.is_some() && oc.enabled.is_some();
    let tls = oc
        .tls_settings
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let weak = match tls {
        Some(t) => t
            .eq_ignore_ascii_case("EncryptionOnly")
            .then(|| format!("TlsSettings {}", tick(t))),
        None if full => Some("TlsSettings blank (opportunistic TLS)".to_string()),
        None => None,
    };
    if let Some(w) = weak {
        out.push(outbound_finding(
            oc,
            Severity::Info,
            format!(
                "the outbound connector {} to on-premises does not validate on-premises' certificate: mail flows, but Exchange Online would deliver to any server that answers there",
                tick(&name)
            ),
            vec![format!("{at}: outbound connector {}: {w}", tick(&name))],
            Fix::new(Family::ExchangeOnline, "exchange::online::outbound_tls_settings", &[&name])
                .say("The Hybrid Configuration Wizard sets TlsSettings DomainValidation with TlsDomain the name on the on-premises certificate: Set-OutboundConnector <connector> -TlsSettings DomainValidation -TlsDomain <name on the certificate>."),
        ));
    }
}
