//! The on-premises side of the cross-check: receive connectors and the certificates Exchange
//! gives them (research note `shared/research/exchange-config.md` §2.1 and §3.2).
//!
//! Every enabled receive connector is classified once ([`Conn`]: its server, ports, role,
//! whether it is the hybrid one), run through Exchange's own selection
//! ([`select::select`]), and the outcome judged:
//!
//! - R9 `exchange-receive-tls-disabled`: `AuthMechanism` lacks `Tls`, so no STARTTLS at all;
//! - R17 `exchange-tls-certificate-name-invalid`: the name cannot be read, has its markers or
//!   names swapped, or its names reversed;
//! - R1 `exchange-receive-certificate-not-found`: the name matches no certificate (Event 12014);
//! - R6 `exchange-receive-fqdn-fallback`: no name, so the `Fqdn` picks the certificate — the
//!   self-signed one, or none;
//! - R4 `exchange-certificate-unusable`, R10 `exchange-certificate-duplicate`, R16
//!   `exchange-certificate-root-type`, R24 `exchange-certificate-weak`: the chosen certificate;
//! - R5 `exchange-receive-server-drift`, R13 `exchange-receive-no-cloud-capability`, R23
//!   `exchange-edge-certificate-drift`, R25 `exchange-internal-transport-certificate-missing`.
//!
//! A rule whose input the paste leaves uncertain says so (`exchange-check-inconclusive`,
//! INFO), never FAIL; a rule whose cmdlet was not pasted says nothing (the command layer
//! reports what was pasted). Fix commands are built only from values [`ps_quote`] accepts,
//! thumbprints of 40 hex digits, and fixed tokens; prose that quotes pasted text goes through
//! [`clean`], so a pasted newline or bidi override cannot forge a line of the fix.
//!
//! Severity choices beyond the research note: R6 with the self-signed certificate is FAIL only
//! when the paste shows a hybrid deployment (the cloud capability on the connector, a hybrid
//! configuration, or an OnPremises connector in Exchange Online), WARN otherwise (senders that
//! do not validate still get TLS); on port 587 it is INFO. The certificate rules (R4, R10, R16,
//! R24) judge a certificate once per server, for all the connectors that choose it, and only
//! for connectors whose certificate someone outside sees (port 25, 587, the hybrid one, or one
//! whose certificate the admin named).
//!
//! The cross-premises rules may share [`name_problem_words`], [`unswap`], [`read_as`],
//! [`tls_name_of`], [`cert_line`], [`clean`], [`internal_name`] and [`public_host`].
//!
//! # References
//! - Microsoft Learn, "Selection of Inbound STARTTLS Certificates" (Exchange 2016/2019/SE):
//!   `Tls` in AuthMechanism; TlsCertificateName, else Fqdn, else the server's FQDN; no match
//!   → no STARTTLS and Event 12014; a match without SMTP is chosen anyway; an expired one gives
//!   Event 12016 and STARTTLS is still offered; the newest NotBefore wins, CA before self-signed
//! - Microsoft Learn, "Set-ReceiveConnector" (`-TlsCertificateName <I>X.500Issuer<S>X.500Subject`,
//!   `-AuthMechanism`, `-TlsDomainCapabilities`; do not change `-Fqdn` on `Default <Server>`)
//! - Microsoft Learn, "Enable-ExchangeCertificate" (services are additive; enabling SMTP asks
//!   to replace the default SMTP certificate), "New-ExchangeCertificate",
//!   "Remove-ExchangeCertificate", "Get-ExchangeCertificate" (`-DomainName`)
//! - Microsoft Learn, "Certificate requirements for hybrid deployments" (the certificate on
//!   every transport server, Edge with the same issuer and subject)
//! - Microsoft Learn, "Receive connectors" (the default connectors, their ports and auth)
//! - Exchange Team blog, "TLS certificates in Exchange Hybrid – common issues & how to fix
//!   them" (2025): renewal as the trigger; answer No to the default-SMTP prompt; HCW "Update
//!   Secure Mail Certificate for Connectors"
//! - Matt Allford, "Exchange 2013 Hybrid Mail 'Pending' – RootCAType Certificate Issues"
//!   (2016, citing KB 2879262)
//! - Microsoft Learn, "Outbound Anonymous TLS certificate selection" / "Inbound Anonymous TLS
//!   certificate selection" (Events 12012, 12013: the internal transport certificate)

use time::OffsetDateTime;

use crate::cert;
use crate::diagnose::fix::{Family, Fix, Shell, shell_word};
use crate::diagnose::{Code, Finding, Severity};
use crate::exchange::Limits;
use crate::exchange::fix::{Target, ps_quote, receive_connector_target};
use crate::exchange::model::{
    Certificate, Config, Date, Flags, List, Loc, ReceiveConnector, ServerName, Text, binding_port,
};
use crate::exchange::select::{
    self, Dn, NameMatch, NameProblem, Near, Selection, Sought, TlsName, compare, fold,
    parse_tls_name, parsed, same_server,
};

const EMS: Shell = Shell::ExchangeManagementShell;

/// The domains of Exchange Online Protection that `TlsDomainCapabilities` names (worldwide,
/// 21Vianet, GCC High / DoD), as HealthChecker recognises them.
const CLOUD_DOMAINS: [&str; 3] = [
    "mail.protection.outlook.com",
    "mail.protection.partner.outlook.cn",
    "mail.protection.office365.us",
];

/// Name endings no public CA issues certificates for.
const INTERNAL_SUFFIXES: [&str; 7] = [
    "local",
    "lan",
    "internal",
    "corp",
    "home.arpa",
    "localdomain",
    "intranet",
];

/// What Exchange Online does with a self-signed certificate, in the strings its message trace
/// shows (Microsoft Learn: "NDR error code 450 4.4.317 (Cannot connect to remote server
/// [Message=UntrustedRoot])"; Microsoft archive blog "Mail not routing to on-premise Exchange
/// 2013 environment from O365 with 450 4.7.320 Certificate validation failed error", 2017,
/// where a server presented its self-signed `CN=SERVER1` certificate).
const SELF_SIGNED_AT_EXO: &str = "Exchange Online validates the certificate of the server it delivers to (outbound connector, TlsSettings DomainValidation) and defers the mail: a self-signed certificate chains to no trusted root (450 4.4.317 Cannot connect to remote server [Message=UntrustedRoot]); message traces have also shown 450 4.7.320 Certificate validation failed [Message=SubjectMismatch] when a server presented its self-signed certificate, whose names lack the connector's TlsDomain. Other senders that validate (MTA-STS, DANE) refuse it too";

/// Where the fixes import a PFX from and export one to.
const PFX: &str = r"C:\certs\mail.pfx";

/// The thumbprint the admin picks from a listing. An unquoted `<…>` is a parse error in
/// PowerShell, so a line that still holds it never runs.
const CHOSEN_THUMBPRINT: &str = "<thumbprint of that certificate>";

/// The fields a certificate listing shows when the fix asks the admin to pick one.
const LIST_FIELDS: &str = "Thumbprint,Subject,Issuer,CertificateDomains,Services,NotAfter,Status";

/// Every Status `Get-ExchangeCertificate` prints that makes the certificate fail outright.
pub(crate) const FAIL_STATUS: [&str; 4] = ["Revoked", "DateInvalid", "Invalid", "PendingRequest"];

/// Every Status that may make a validating sender refuse the certificate.
const WARN_STATUS: [&str; 3] = ["RevocationCheckFailure", "Untrusted", "Unknown"];

/// The `AuthMechanism` names `Set-ReceiveConnector` accepts.
const AUTH_NAMES: [&str; 7] = [
    "None",
    "Tls",
    "Integrated",
    "BasicAuth",
    "BasicAuthRequireTLS",
    "ExchangeServer",
    "ExternalAuthoritative",
];

/// The `AuthMechanism` of `Default Frontend <server>` as setup and HCW write it.
const DEFAULT_FRONTEND_AUTH: &str = "Tls,Integrated,BasicAuth,BasicAuthRequireTLS,ExchangeServer";

/// The findings of the on-premises side.
pub fn check(config: &Config, now: OffsetDateTime, limits: Limits) -> Vec<Finding> {
    let conns: Vec<Conn> = config
        .receive_connectors
        .iter()
        .filter(|rc| rc.enabled != Some(false))
        .map(|rc| Conn::new(config, rc))
        .collect();
    let mut out = Vec::new();
    let mut evals: Vec<Eval> = Vec::new();
    for c in &conns {
        if !tls_enabled(config, c, &mut out) || c.role == Role::Hub {
            continue;
        }
        let sel = select::select_printed(
            config,
            c.rc.printed.as_ref(),
            c.rc.tls_certificate_name.as_ref(),
            c.rc.fqdn.as_ref(),
            c.server.as_deref(),
            c.rc.origin.format,
            now,
        );
        evals.push(Eval { conn: c, sel });
    }
    for e in &evals {
        judge_selection(config, e, &evals, &conns, now, &mut out);
    }
    chosen_certificates(config, &evals, now, limits, &mut out);
    server_drift(config, &evals, now, &mut out);
    cloud_capability(config, &conns, &mut out);
    edge_drift(config, now, &mut out);
    internal_transport(config, &mut out);
    lone_root_type(config, now, &mut out);
    lone_no_ca_smtp(config, now, &mut out);
    out
}

// ---------------------------------------------------------------------------------------
// Connectors
// ---------------------------------------------------------------------------------------

/// The transport role, from `TransportRole`, else from the default connectors' names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Frontend,
    Hub,
    Unknown,
}

/// One enabled receive connector, classified once.
struct Conn<'a> {
    rc: &'a ReceiveConnector,
    /// How the admin knows it (`SRVEX01\Default Frontend SRVEX01`, or a description).
    label: String,
    /// Its server, from `Server` or the part of `Identity` before `\`.
    server: Option<String>,
    /// Its name, from `Name` or the part of `Identity` after `\`.
    name: Option<String>,
    role: Role,
}

/// One connector and what Exchange's selection gives it.
struct Eval<'c, 'a> {
    conn: &'c Conn<'a>,
    sel: Selection<'a>,
}

impl<'a> Conn<'a> {
    fn new(config: &Config, rc: &'a ReceiveConnector) -> Conn<'a> {
        let id_name = rc
            .identity
            .as_deref()
            .and_then(|i| i.split_once('\\'))
            .map(|(_, n)| n.trim().to_string());
        let server = rc.server_name();
        let name = rc
            .name
            .clone()
            .or(id_name)
            .or_else(|| rc.identity.clone())
            .filter(|n| !n.trim().is_empty());
        let lname = name.as_deref().map(str::to_ascii_lowercase);
        let role = match rc.transport_role.as_deref().map(str::to_ascii_lowercase) {
            Some(r) if r == "frontendtransport" => Role::Frontend,
            Some(r) if r == "hubtransport" => Role::Hub,
            _ => match lname.as_deref() {
                Some(n)
                    if n.starts_with("default frontend")
                        || n.starts_with("client frontend")
                        || n.starts_with("outbound proxy frontend") =>
                {
                    Role::Frontend
                }
                // `Default <server>` and `Client Proxy <server>` belong to the Mailbox
                // server's transport service (HubTransport).
                Some(n) if n.starts_with("default ") || n.starts_with("client proxy") => Role::Hub,
                _ => Role::Unknown,
            },
        };
        let mut c = Conn {
            rc,
            label: String::new(),
            server,
            name,
            role,
        };
        c.label = c.make_label(config);
        c
    }

    fn make_label(&self, config: &Config) -> String {
        if let Some(id) = &self.rc.identity {
            return id.clone();
        }
        match (&self.server, &self.rc.name) {
            (Some(s), Some(n)) => return format!("{s}\\{n}"),
            (None, Some(n)) => return n.clone(),
            _ => {}
        }
        let ports = self.ports();
        let port = match ports.as_slice() {
            [] => String::new(),
            [p] => format!(" on port {p}"),
            more => format!(" on ports {}", join_and(more)),
        };
        match &self.rc.fqdn {
            Some(f) => format!("receive connector{port} (Fqdn {})", f.value.trim()),
            None if !port.is_empty() => format!("receive connector{port}"),
            None => format!("receive connector at {}", config.at(self.rc.origin.loc)),
        }
    }

    /// The ports it binds, as far as the paste shows them.
    fn ports(&self) -> Vec<u16> {
        let mut p: Vec<u16> = self
            .rc
            .bindings
            .as_ref()
            .map(|b| b.items.iter().filter_map(|i| binding_port(i)).collect())
            .unwrap_or_default();
        p.sort_unstable();
        p.dedup();
        p
    }

    /// It binds `port`: `None` when the bindings were not pasted or were cut.
    fn binds(&self, port: u16) -> Option<bool> {
        self.rc.binds(port)
    }

    fn port25(&self) -> Option<bool> {
        self.binds(25)
    }

    /// Its RemoteIPRanges, when they are pasted in full and narrower than every address:
    /// only those hosts reach it (Exchange takes the connector with the most specific match).
    /// `None` when it takes everyone, or the paste does not say.
    fn scoped_ranges(&self) -> Option<String> {
        let r = self.rc.remote_ip_ranges.as_ref()?;
        (!self.rc.open_to_all()).then(|| r.items.join(", "))
    }

    /// Named `Default Frontend …` (`None`: no name in the paste).
    fn default_frontend(&self) -> Option<bool> {
        self.name.as_deref().map(|n| {
            n.trim()
                .to_ascii_lowercase()
                .starts_with("default frontend")
        })
    }

    /// `TlsDomainCapabilities` holds `mail.protection.outlook.com:AcceptCloudServicesMail`.
    fn cloud(&self) -> Option<bool> {
        cloud_capable(self.rc.tls_domain_capabilities.as_ref()?)
    }

    /// The port-25 Default Frontend connector (or a port-25 frontend connector whose name the
    /// paste does not show, as in a forum extract).
    /// A connector named `Default Frontend` whose bindings the paste does not show is taken
    /// to be on port 25, its default (Microsoft Learn: Receive connectors).
    fn default_frontend_25(&self) -> bool {
        self.role != Role::Hub
            && match (self.port25(), self.default_frontend()) {
                (Some(true), Some(false)) => false,
                (Some(true), _) | (None, Some(true)) => true,
                _ => false,
            }
    }

    /// The connector Exchange Online delivers to (research note §3.2: a frontend connector on
    /// port 25 named `Default Frontend`, or one with the cloud capability).
    fn hybrid(&self) -> bool {
        self.role != Role::Hub && (self.cloud() == Some(true) || self.default_frontend_25())
    }

    /// Its certificate matters to someone outside: port 25, 587, the hybrid one, or one whose
    /// certificate the admin named.
    fn relevant(&self) -> bool {
        self.role != Role::Hub
            && (self.hybrid()
                || self.port25() == Some(true)
                || self.binds(587) == Some(true)
                || self.rc.tls_certificate_name.is_some())
    }

    /// `on port 25`, `on ports 25 and 587`, `on this connector`.
    fn where_(&self) -> String {
        match self.ports().as_slice() {
            [] => "on this connector".to_string(),
            [p] => format!("on port {p}"),
            more => format!("on ports {}", join_and(more)),
        }
    }

    /// ` -Server 'SRV'` for a command, or nothing when the server is unknown or unsafe.
    fn server_arg(&self) -> String {
        server_arg(self.server.as_deref())
    }

    fn loc(&self) -> Loc {
        self.rc.origin.loc
    }
}

fn join_and<T: std::fmt::Display>(items: &[T]) -> String {
    let s: Vec<String> = items.iter().map(ToString::to_string).collect();
    match s.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn server_arg(server: Option<&str>) -> String {
    server
        .and_then(ps_quote)
        .map(|s| format!(" -Server {s}"))
        .unwrap_or_default()
}

/// Whether a `TlsDomainCapabilities` list grants Exchange Online's mail the cloud capability.
/// The parser may split `domain:Cap1,Cap2` at its comma, so the capability is looked for in
/// the item naming the domain or in the items after it.
fn cloud_capable(list: &List) -> Option<bool> {
    let lower: Vec<String> = list
        .items
        .iter()
        .map(|i| i.trim().to_ascii_lowercase())
        .collect();
    let found = lower.iter().enumerate().any(|(n, item)| {
        CLOUD_DOMAINS
            .iter()
            .any(|d| item.starts_with(&format!("{d}:")))
            && std::iter::once(item)
                .chain(lower[n + 1..].iter().take_while(|i| !i.contains(':')))
                .any(|i| i.contains("acceptcloudservicesmail"))
    });
    if found {
        Some(true)
    } else if list.truncated {
        None
    } else {
        Some(false)
    }
}

/// The paste shows a hybrid deployment: a hybrid configuration, or an Exchange Online
/// connector of type OnPremises.
fn org_hybrid(config: &Config) -> bool {
    let on_prem = |t: &Option<String>| {
        t.as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("OnPremises"))
    };
    !config.hybrid.is_empty()
        || config
            .inbound_connectors
            .iter()
            .any(|c| on_prem(&c.connector_type))
        || config
            .outbound_connectors
            .iter()
            .any(|c| on_prem(&c.connector_type))
}

/// Why a host name cannot be on a public certificate (`.local`, a single label), if so.
pub(crate) fn internal_name(host: &str) -> Option<String> {
    let h = host.trim().trim_end_matches('.').to_ascii_lowercase();
    if !h.contains('.') {
        return Some("a single label".to_string());
    }
    INTERNAL_SUFFIXES
        .iter()
        .find(|s| h.ends_with(&format!(".{s}")))
        .map(|s| format!("an internal name (.{s})"))
}

/// A name a probe from the internet can reach and a command can carry: letters, digits,
/// hyphens and dots, at least two labels, no internal suffix, no wildcard.
pub(crate) fn public_host(host: &str) -> Option<String> {
    let h = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let ok = !h.is_empty()
        && h.len() <= 253
        && h.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && internal_name(&h).is_none();
    ok.then_some(h)
}

// ---------------------------------------------------------------------------------------
// Certificates
// ---------------------------------------------------------------------------------------

/// The thumbprint, when it is 40 hex digits (upper case): only then does it go into a
/// command unquoted-safe.
fn thumb(cert: &Certificate) -> Option<String> {
    let t = cert.thumbprint.as_deref()?.trim();
    (t.len() == 40 && t.bytes().all(|b| b.is_ascii_hexdigit())).then(|| t.to_ascii_uppercase())
}

fn thumb_words(cert: &Certificate) -> String {
    cert.thumbprint.as_deref().map_or_else(
        || "(no thumbprint pasted)".to_string(),
        |t| t.trim().to_string(),
    )
}

/// Issuer and subject as Exchange prints them: from the certificate's bytes when the script
/// supplied them, else as pasted.
fn issuer_subject(cert: &Certificate, now: OffsetDateTime) -> (Option<String>, Option<String>) {
    if let Some(info) = parsed(cert, now)
        && let Some((i, s)) = info
            .exchange_tls_name
            .strip_prefix("<I>")
            .and_then(|r| r.split_once("<S>"))
    {
        return (Some(i.to_string()), Some(s.to_string()));
    }
    (
        cert.issuer.as_ref().map(|t| t.value.trim().to_string()),
        cert.subject.as_ref().map(|t| t.value.trim().to_string()),
    )
}

fn subject_words(cert: &Certificate, now: OffsetDateTime) -> String {
    issuer_subject(cert, now)
        .1
        .unwrap_or_else(|| format!("certificate {}", thumb_words(cert)))
}

/// The `<I>issuer<S>subject` that names `cert` exactly, or `None` when the paste wrapped its
/// issuer or subject (a space in it may not be the certificate's).
pub(crate) fn tls_name_of(cert: &Certificate, now: OffsetDateTime) -> Option<String> {
    if let Some(info) = parsed(cert, now) {
        return Some(info.exchange_tls_name);
    }
    let (i, s) = (cert.issuer.as_ref()?, cert.subject.as_ref()?);
    if i.wrapped || s.wrapped {
        return None;
    }
    Some(format!("<I>{}<S>{}", i.value.trim(), s.value.trim()))
}

pub(crate) fn not_after(cert: &Certificate, now: OffsetDateTime) -> Option<Date> {
    parsed(cert, now)
        .map(|i| Date::Known(i.not_after_at))
        .or_else(|| cert.not_after.clone())
}

/// When the certificate starts, a date the paste leaves ambiguous included (both readings),
/// unlike [`select::not_before`]: the evidence shows it, and [`settled_newest`] tries both.
fn not_before(cert: &Certificate, now: OffsetDateTime) -> Option<Date> {
    parsed(cert, now)
        .map(|i| Date::Known(i.not_before_at))
        .or_else(|| cert.not_before.clone())
}

pub(crate) fn show_date(d: &Date) -> String {
    match d {
        Date::Known(t) => cert::date(*t),
        Date::Ambiguous {
            month_first,
            day_first,
        } => format!(
            "{} or {} (the paste's date reads both ways)",
            cert::date(*month_first),
            cert::date(*day_first)
        ),
    }
}

/// It has expired: `None` when the date is unknown or ambiguous across `now`.
fn expired(cert: &Certificate, now: OffsetDateTime) -> Option<bool> {
    not_after(cert, now)?.before(now)
}

fn status_in(cert: &Certificate, set: &[&str]) -> bool {
    cert.status
        .as_deref()
        .is_some_and(|s| set.iter().any(|x| x.eq_ignore_ascii_case(s.trim())))
}

fn status_valid(cert: &Certificate) -> Option<bool> {
    cert.status
        .as_deref()
        .map(|s| s.trim().eq_ignore_ascii_case("Valid"))
}

fn has_smtp(cert: &Certificate) -> Option<bool> {
    cert.services.as_ref()?.has("SMTP")
}

pub(crate) fn self_signed(cert: &Certificate, now: OffsetDateTime) -> Option<bool> {
    parsed(cert, now)
        .map(|i| i.self_signed)
        .or(cert.self_signed)
}

/// `CN=Microsoft Exchange Server Auth Certificate`: never a STARTTLS candidate, never removed.
fn is_auth_certificate(cert: &Certificate) -> bool {
    cert.subject.as_ref().is_some_and(|s| {
        s.value
            .to_ascii_lowercase()
            .contains("microsoft exchange server auth certificate")
    })
}

/// A CA-issued certificate Exchange can present: private key, not expired, not revoked or
/// pending, not self-signed.
fn usable(cert: &Certificate, now: OffsetDateTime) -> bool {
    cert.has_private_key != Some(false)
        && self_signed(cert, now) == Some(false)
        && expired(cert, now) != Some(true)
        && !status_in(cert, &FAIL_STATUS)
        && !is_auth_certificate(cert)
}

/// `connectors.txt:12: `CN=…` issued by `CN=…` (thumbprint …, NotBefore …, NotAfter …, …)`.
pub(crate) fn cert_line(config: &Config, cert: &Certificate, now: OffsetDateTime) -> String {
    let (issuer, subject) = issuer_subject(cert, now);
    let mut facts = vec![format!("thumbprint {}", thumb_words(cert))];
    if let Some(d) = not_before(cert, now) {
        facts.push(format!("NotBefore {}", show_date(&d)));
    }
    if let Some(d) = not_after(cert, now) {
        facts.push(format!("NotAfter {}", show_date(&d)));
    }
    if let Some(s) = &cert.services {
        facts.push(format!("Services `{}`", s.raw));
    }
    if let Some(s) = &cert.status {
        facts.push(format!("Status `{s}`"));
    }
    if self_signed(cert, now) == Some(true) {
        facts.push("self-signed".to_string());
    }
    if cert.has_private_key == Some(false) {
        facts.push("no private key".to_string());
    }
    format!(
        "{}: `{}` issued by `{}` ({})",
        config.at(cert.origin.loc),
        subject.as_deref().unwrap_or("(subject not pasted)"),
        issuer.as_deref().unwrap_or("(issuer not pasted)"),
        facts.join(", ")
    )
}

fn newest_not_after(cert: &Certificate, now: OffsetDateTime) -> Option<OffsetDateTime> {
    not_after(cert, now).map(|d| d.earliest())
}

/// Sorts the best first: Status Valid, then the latest NotAfter.
fn rank(certs: &mut [&Certificate], now: OffsetDateTime) {
    certs.sort_by_key(|c| {
        (
            status_valid(c) != Some(true),
            std::cmp::Reverse(newest_not_after(c, now)),
        )
    });
}

// ---------------------------------------------------------------------------------------
// Which certificate to bind
// ---------------------------------------------------------------------------------------

/// What the rule knows about the certificate the connector should name.
#[derive(Default)]
struct Hint<'n, 'a> {
    /// The near misses of the pasted name.
    near: Vec<(&'a Certificate, Near)>,
    /// The name the admin meant (a swapped name put right).
    meant: Option<&'n TlsName>,
    /// The common name the pasted name asks for (`*.contoso.com`).
    cn: Option<String>,
}

/// The certificate to bind, and why: a near miss (a renewal first), the certificate the name
/// meant, one that carries the name asked for, the hybrid configuration's, one covering the
/// name Exchange Online connects to, or the only CA-issued candidate. Never a guess between
/// several.
fn candidate<'a>(
    config: &'a Config,
    c: &Conn,
    hint: &Hint<'_, 'a>,
    now: OffsetDateTime,
) -> Option<(&'a Certificate, String)> {
    let sc = select::scope(config, c.server.as_deref());
    if !sc.complete {
        // The list may be another server's: a certificate there may not exist here.
        return None;
    }
    let pool = candidate_pool(&sc.certs, c, now);
    // Steps 1 to 3: what the pasted name tells, then the hybrid configuration's name.
    if let Some(found) = near_miss(hint, now)
        .or_else(|| meant_certificate(hint, &pool, now))
        .or_else(|| named_certificate(hint, &pool, now))
        .or_else(|| hybrid_certificate(config, &pool, now))
    {
        return Some(found);
    }
    // 4. One that covers the name Exchange Online checks (its outbound connector's TlsDomain)
    // or connects to (or the connector's own Fqdn).
    let mut hosts = cloud_hosts(config);
    // The names Exchange Online is known to use: when there are some, a certificate that
    // covers none of them is no candidate (step 5 would pick an unrelated one).
    let cloud_names = hosts.iter().any(|h| public_host(h).is_some());
    hosts.extend(c.rc.fqdn.as_ref().map(|f| f.value.clone()));
    if let Some(found) = covering_certificate(&hosts, &pool, now) {
        return Some(found);
    }
    // 5. The only CA-issued candidate, when nothing says which name it must carry.
    if cloud_names && c.hybrid() {
        return None;
    }
    only_candidate(&pool)
}

/// The certificates [`candidate`] may name: usable ones, and for the hybrid connector none
/// from an enterprise CA — Exchange Online trusts public CAs only, so an enterprise CA's
/// certificate never serves it, however well it is named.
fn candidate_pool<'a>(
    certs: &[&'a Certificate],
    c: &Conn,
    now: OffsetDateTime,
) -> Vec<&'a Certificate> {
    let private_ca = |x: &Certificate| {
        x.root_ca_type.as_deref().is_some_and(|t| {
            let t = t.trim();
            t.eq_ignore_ascii_case("Enterprise") || t.eq_ignore_ascii_case("GroupPolicy")
        })
    };
    certs
        .iter()
        .copied()
        .filter(|x| usable(x, now) && !(c.hybrid() && private_ca(x)))
        .collect()
}

/// The best of `pool` ([`rank`]) that `keep` accepts.
fn best<'a>(
    pool: &[&'a Certificate],
    keep: impl Fn(&Certificate) -> bool,
    now: OffsetDateTime,
) -> Option<&'a Certificate> {
    let mut kept: Vec<&Certificate> = pool.iter().copied().filter(|x| keep(x)).collect();
    rank(&mut kept, now);
    kept.first().copied()
}

/// `name` names `cert` exactly (once glued prose is cut off, if need be).
fn names_exactly(name: &TlsName, cert: &Certificate, now: OffsetDateTime) -> bool {
    matches!(
        compare(name, cert, now),
        NameMatch::Exact | NameMatch::IfGlued
    )
}

/// Step 1, a near miss: the renewal the name missed (a changed subject or issuer first), or the
/// very certificate written wrongly.
fn near_miss<'a>(hint: &Hint<'_, 'a>, now: OffsetDateTime) -> Option<(&'a Certificate, String)> {
    let mut near: Vec<(&Certificate, Near)> = hint
        .near
        .iter()
        .copied()
        .filter(|(x, _)| usable(x, now))
        .collect();
    near.sort_by_key(|(x, n)| {
        (
            !matches!(n, Near::SubjectChanged | Near::IssuerChanged),
            status_valid(x) != Some(true),
            std::cmp::Reverse(newest_not_after(x, now)),
        )
    });
    let (x, n) = near.first()?;
    Some((*x, format!("the near miss: {}", n.describe())))
}

/// Step 1, the name meant: the certificate a swapped name names.
fn meant_certificate<'a>(
    hint: &Hint<'_, 'a>,
    pool: &[&'a Certificate],
    now: OffsetDateTime,
) -> Option<(&'a Certificate, String)> {
    let name = hint.meant?;
    let x = best(pool, |x| names_exactly(name, x, now), now)?;
    Some((
        x,
        "the certificate the name means, written the right way round".into(),
    ))
}

/// Step 2: one that carries the name asked for.
fn named_certificate<'a>(
    hint: &Hint<'_, 'a>,
    pool: &[&'a Certificate],
    now: OffsetDateTime,
) -> Option<(&'a Certificate, String)> {
    let cn = hint.cn.as_ref()?;
    let carries = |x: &Certificate| {
        select::cert_names(x, now).is_some_and(|n| {
            n.names
                .iter()
                .any(|m| m.trim().eq_ignore_ascii_case(cn.trim()))
                || (!cn.starts_with("*.") && n.names.iter().any(|m| select::covers(m, cn)))
        })
    };
    let x = best(pool, carries, now)?;
    Some((x, format!("the newest valid certificate for `{cn}`")))
}

/// Step 3: the hybrid configuration's certificate.
fn hybrid_certificate<'a>(
    config: &Config,
    pool: &[&'a Certificate],
    now: OffsetDateTime,
) -> Option<(&'a Certificate, String)> {
    config.hybrid.iter().find_map(|hc| {
        let name = hc
            .tls_certificate_name
            .as_ref()
            .and_then(|t| parse_tls_name(t, hc.origin.format).ok())?;
        let x = best(pool, |x| names_exactly(&name, x, now), now)?;
        Some((x, "the certificate the hybrid configuration names".into()))
    })
}

/// The names Exchange Online checks or connects to: its outbound connectors' TlsDomain, the
/// hybrid configuration's smart host, the outbound connectors' smart hosts.
fn cloud_hosts(config: &Config) -> Vec<String> {
    let mut hosts: Vec<String> = config
        .outbound_connectors
        .iter()
        .filter_map(|o| o.tls_domain.clone())
        .collect();
    hosts.extend(
        config
            .hybrid
            .iter()
            .filter_map(|h| h.on_premises_smart_host.clone()),
    );
    for o in &config.outbound_connectors {
        if let Some(sh) = &o.smart_hosts {
            hosts.extend(sh.items.iter().cloned());
        }
    }
    hosts
}

/// Step 4: the newest valid certificate covering the first of `hosts` any certificate covers.
fn covering_certificate<'a>(
    hosts: &[String],
    pool: &[&'a Certificate],
    now: OffsetDateTime,
) -> Option<(&'a Certificate, String)> {
    hosts
        .iter()
        .filter_map(|h| public_host(h))
        .find_map(|host| {
            let x = best(
                pool,
                |x| select::cert_covers(x, &host, now) == Some(true),
                now,
            )?;
            Some((x, format!("the newest valid certificate covering `{host}`")))
        })
}

/// Step 5: the only CA-issued candidate, enabled for SMTP, else at all.
fn only_candidate<'a>(pool: &[&'a Certificate]) -> Option<(&'a Certificate, String)> {
    let smtp: Vec<&Certificate> = pool
        .iter()
        .copied()
        .filter(|x| has_smtp(x) == Some(true))
        .collect();
    match (smtp.as_slice(), pool) {
        ([x], _) => Some((
            *x,
            "the only valid CA-issued certificate enabled for SMTP".into(),
        )),
        ([], [x]) => Some((
            *x,
            "the only valid CA-issued certificate in the paste".into(),
        )),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// Fix fragments
// ---------------------------------------------------------------------------------------

/// `Enable-ExchangeCertificate … -Services SMTP` with the prompt explained. `known_missing`:
/// the paste shows SMTP is not among its services (else: not shown at all).
fn enable_smtp(mut fix: Fix, cert: &Certificate, server_arg: &str, known_missing: bool) -> Fix {
    fix = fix.tell(if known_missing {
        "It is not enabled for SMTP: enable it first (Exchange would choose it anyway, and the TLS handshake would then fail; Microsoft Learn: Selection of Inbound STARTTLS Certificates):"
    } else {
        "If its Services do not include SMTP (the paste does not show them), enable it first:"
    });
    match thumb(cert) {
        Some(t) => {
            fix = fix.run(
                EMS,
                format!("Enable-ExchangeCertificate{server_arg} -Thumbprint {} -Services SMTP", q(&t)),
            )
        }
        None => {
            fix = fix.tell(
                "(the paste shows no usable thumbprint: take it from Get-ExchangeCertificate and run Enable-ExchangeCertificate -Thumbprint <it> -Services SMTP)",
            )
        }
    }
    fix.tell(
        "It asks whether to overwrite the existing default SMTP certificate: answer No (N), to keep the self-signed certificate as the internal transport certificate (Microsoft Learn: Enable-ExchangeCertificate; Exchange Team blog, 2025). SMTP is added to its services; the others stay.",
    )
}

/// A value quoted for PowerShell that is known to be safe (hex digits, fixed tokens).
fn q(safe: &str) -> String {
    ps_quote(safe).unwrap_or_else(|| format!("'{safe}'"))
}

/// `Set-ReceiveConnector … -TlsCertificateName '<I>…<S>…'` naming `cert`, with the prose a
/// filter or a missing target needs.
fn bind_steps(mut fix: Fix, c: &Conn, cert: &Certificate, now: OffsetDateTime) -> Fix {
    let target = receive_connector_target(c.rc);
    fix = target_note(fix, c, target.as_ref());
    let value = tls_name_of(cert, now);
    match (&target, value.as_deref().and_then(ps_quote)) {
        (Some(t), Some(v)) => fix.run(
            EMS,
            t.command("Set-ReceiveConnector", &format!("-TlsCertificateName {v}")),
        ),
        (Some(t), None) => match thumb(cert) {
            Some(tp) => fix
                .tell("Build the name from the certificate itself (the paste wrapped or garbled its issuer or subject, so they are not copied here):")
                .run(EMS, name_from_certificate(c, t, &q(&tp))),
            None => fix.tell(
                "Set its TlsCertificateName to \"<I>\" + the certificate's Issuer + \"<S>\" + its Subject, exactly as Get-ExchangeCertificate prints them (the paste's values cannot be copied into a command safely).",
            ),
        },
        (None, _) => fix.tell(format!(
            "The paste names this connector by nothing a command can safely use (Identity, Server and Name, or Fqdn and port). Run Set-ReceiveConnector on it with -TlsCertificateName set to \"<I>\" + the Issuer + \"<S>\" + the Subject of {}.",
            subject_words(cert, now)
        )),
    }
}

/// The prose a filter target needs.
fn target_note(fix: Fix, c: &Conn, target: Option<&Target>) -> Fix {
    match target {
        Some(t) if t.is_filter() => fix.tell(format!(
            "The paste shows no Identity for this connector: the command selects it by its Fqdn and port. Check first that it selects exactly one connector (Get-ReceiveConnector | fl Identity,Fqdn,Bindings); if not, put its Identity in place of the filter{}.",
            c.server
                .as_deref()
                .map(|s| format!(" (run on {s})"))
                .unwrap_or_default()
        )),
        _ => fix,
    }
}

/// The restart, the check, and HCW's own way for the hybrid connector.
fn after_bind(fix: Fix, c: &Conn) -> Fix {
    let mut fix = restart_and_check(fix, c);
    if c.hybrid() {
        fix = fix.tell(
            "Alternatively, re-run the Hybrid Configuration Wizard and choose the certificate again (newer versions of the wizard offer \"Update Secure Mail Certificate for Connectors\", which changes only the certificate on the connectors).",
        );
    }
    fix
}

/// The restart (field advice) and the check from outside.
fn restart_and_check(mut fix: Fix, c: &Conn) -> Fix {
    fix = fix
        .tell("Field advice, not documented as required: restart the Front End Transport service (in most cases the change takes effect without it):")
        .run(EMS, "Restart-Service MSExchangeFrontEndTransport");
    let port = c
        .ports()
        .into_iter()
        .find(|p| *p == 25 || *p == 587)
        .unwrap_or(25);
    match c.rc.fqdn.as_ref().and_then(|f| public_host(&f.value)) {
        Some(h) => {
            fix = fix.tell("Then check that it offers STARTTLS with the certificate:").run(
                Shell::Shell,
                format!("starttls-check {}", shell_word(&format!("[{h}]:{port}"))),
            )
        }
        None => {
            fix = fix.tell(format!(
                "Then check from outside that port {port} offers STARTTLS with this certificate (starttls-check [the public name of this server]:{port}), and that Event 12014 no longer appears in the Application log."
            ))
        }
    }
    fix
}

/// Copies `cert` with its private key from server `from` to server `to`, and enables it for
/// SMTP there (Microsoft Learn: Export-ExchangeCertificate, Example 2: the file comes back as
/// `FileData`; Import-ExchangeCertificate, `-FileData` takes the bytes; Enable-ExchangeCertificate).
/// Shared with the send side, which has the same remedy.
pub(crate) fn copy_certificate_steps(
    fix: Fix,
    cert: &Certificate,
    from: &str,
    to: &str,
    now: OffsetDateTime,
) -> Fix {
    let (Some(t), Some(f), Some(d)) = (thumb(cert), ps_quote(from), ps_quote(to)) else {
        return fix.tell(format!(
            "Export {} with its private key on {from} (Export-ExchangeCertificate -BinaryEncoded -Password), import it on {to} (Import-ExchangeCertificate -FileData … -Password) and enable it for SMTP there (Enable-ExchangeCertificate -Services SMTP), answering No when asked to overwrite the default SMTP certificate.",
            subject_words(cert, now)
        ));
    };
    let t = q(&t);
    fix.tell(format!(
        "Copy it with its private key from {from} to {to}. The password you type protects the key on its way; the export needs the key to be exportable on {from} (if it is not, import on {to} the PFX the certificate came in):"
    ))
    .run(EMS, "$pw = Read-Host 'PFX password' -AsSecureString")
    .run(
        EMS,
        format!("$b = Export-ExchangeCertificate -Server {f} -Thumbprint {t} -BinaryEncoded -Password $pw"),
    )
    .run(
        EMS,
        format!("Import-ExchangeCertificate -Server {d} -FileData $b.FileData -Password $pw -PrivateKeyExportable $true"),
    )
    .tell(format!(
        "-PrivateKeyExportable $true keeps the key exportable on {to}, as it is on {from}, for the next server; leave it out to lock the key to {to}."
    ))
    .run(
        EMS,
        format!("Enable-ExchangeCertificate -Server {d} -Thumbprint {t} -Services SMTP"),
    )
    .tell("It asks whether to overwrite the existing default SMTP certificate: answer No (N), to keep the self-signed certificate as the internal transport certificate (Microsoft Learn: Enable-ExchangeCertificate; Exchange Team blog, 2025).")
}

/// No certificate in the paste can be named: what to look for, and the listing to pick from.
fn no_candidate(fix: Fix, c: &Conn, wanted: &str) -> Fix {
    let target = receive_connector_target(c.rc);
    let mut fix = fix
        .tell(format!(
            "The paste shows no certificate that can take its place. Look for {wanted}: CA-issued, Status Valid, HasPrivateKey True, not expired. If there is none, install the renewed certificate (Import-ExchangeCertificate) first. Never name a certificate that is not in this list:"
        ))
        .run(
            EMS,
            format!("Get-ExchangeCertificate{} | fl {LIST_FIELDS}", c.server_arg()),
        )
        .tell("Then name it (the line holds a placeholder: put the thumbprint in; until then PowerShell refuses the whole line. Enable it for SMTP first if its Services lack it, answering No to the prompt about the default SMTP certificate):");
    fix = target_note(fix, c, target.as_ref());
    match target {
        Some(t) => fix.run(EMS, name_from_certificate(c, &t, CHOSEN_THUMBPRINT)),
        None => fix.tell(format!(
            "Run Set-ReceiveConnector on this connector (by its Identity) with -TlsCertificateName \"<I>\" + the Issuer + \"<S>\" + the Subject of Get-ExchangeCertificate{} -Thumbprint {CHOSEN_THUMBPRINT}.",
            c.server_arg()
        )),
    }
}

/// One line that reads the certificate and names it on the connector. One line, so that a
/// placeholder's parse error stops all of it, and `$c` can never be the value an earlier line
/// of the report left behind; nothing is set when the certificate is not there.
fn name_from_certificate(c: &Conn, target: &Target, thumbprint: &str) -> String {
    format!(
        "$c = Get-ExchangeCertificate{} -Thumbprint {thumbprint}; if ($c) {{ {} }}",
        c.server_arg(),
        target.command(
            "Set-ReceiveConnector",
            "-TlsCertificateName \"<I>$($c.Issuer)<S>$($c.Subject)\"",
        )
    )
}

/// The whole rebinding: enable SMTP when needed, name the certificate, restart, check.
fn rebind(
    fix: Fix,
    c: &Conn,
    cand: Option<&(&Certificate, String)>,
    wanted: &str,
    now: OffsetDateTime,
) -> Fix {
    let Some((cert, why)) = cand else {
        return no_candidate(fix, c, wanted);
    };
    let valid_until = not_after(cert, now)
        .map(|d| format!(", valid until {}", show_date(&d)))
        .unwrap_or_default();
    let mut fix = fix.tell(format!(
        "Name {} (thumbprint {}{valid_until}), {why}.",
        subject_words(cert, now),
        thumb_words(cert)
    ));
    match has_smtp(cert) {
        Some(true) => {}
        Some(false) => fix = enable_smtp(fix, cert, &c.server_arg(), true),
        None => fix = enable_smtp(fix, cert, &c.server_arg(), false),
    }
    fix = bind_steps(fix, c, cert, now);
    after_bind(fix, c)
}

/// Prose that may quote pasted text: controls and invisible format characters are written
/// as `\u{…}`, so a pasted newline cannot start a line of its own (`Fix::say` splits at
/// newlines) and a bidi override cannot make the text read differently from what it is.
pub(crate) fn clean(text: &str) -> String {
    crate::text::braced(text)
}

/// [`Fix::say`] for prose that may quote pasted text (see [`clean`]).
trait Tell {
    fn tell(self, text: impl AsRef<str>) -> Self;
}

impl Tell for Fix {
    fn tell(self, text: impl AsRef<str>) -> Fix {
        self.say(clean(text.as_ref()))
    }
}

fn inconclusive(
    config: &Config,
    endpoint: &str,
    what: &str,
    why: &str,
    loc: Loc,
    ask: &str,
) -> Finding {
    let fix = Fix::new(
        Family::Exchange,
        "exchange_config::inconclusive",
        &[endpoint, what, why],
    )
    .tell(ask);
    Finding::new(
        Code::ExchangeCheckInconclusive,
        Severity::Info,
        endpoint.to_string(),
        Vec::new(),
        format!("could not check {what}: {why}"),
        vec![format!("{}: {why}", config.at(loc))],
        fix,
    )
}

// ---------------------------------------------------------------------------------------
// R9: AuthMechanism without Tls
// ---------------------------------------------------------------------------------------

/// R9. Returns false when the connector offers no STARTTLS at all (the certificate rules
/// then have nothing to judge).
fn tls_enabled(config: &Config, c: &Conn, out: &mut Vec<Finding>) -> bool {
    let Some(am) = &c.rc.auth_mechanism else {
        return true;
    };
    match am.has("Tls") {
        Some(true) => true,
        None => {
            out.push(inconclusive(
                config,
                &c.label,
                "whether this connector offers STARTTLS",
                &format!(
                    "its AuthMechanism `{}` holds bits this tool cannot name, and Tls is not among the names it can",
                    am.raw
                ),
                c.loc(),
                "Paste Get-ReceiveConnector | fl Identity,AuthMechanism as text (Format-List), or the collection script's JSON.",
            ));
            true
        }
        Some(false) => {
            out.push(tls_disabled(config, c));
            false
        }
    }
}

fn tls_disabled(config: &Config, c: &Conn) -> Finding {
    let am = c.rc.auth_mechanism.clone().unwrap_or_default();
    let scoped = c.scoped_ranges();
    let severity = if c.hybrid() || (c.port25() == Some(true) && scoped.is_none()) {
        Severity::Fail
    } else {
        Severity::Warn
    };
    let mut evidence = vec![
        format!("{}: AuthMechanism `{}`", config.at(c.loc()), am.raw),
        "Without Tls in AuthMechanism the connector does not advertise STARTTLS and loads no certificate (Microsoft Learn: Selection of Inbound STARTTLS Certificates)".to_string(),
    ];
    if let Some(ranges) = &scoped {
        evidence.push(format!(
            "RemoteIPRanges `{{{ranges}}}`: only those hosts reach this connector (Exchange picks the receive connector whose RemoteIPRanges match the sender most closely), so mail from the internet and Exchange Online does not depend on it; devices that relay through it may break if STARTTLS is offered (Microsoft Learn: Receive connectors)"
        ));
    }
    if am
        .names
        .iter()
        .any(|n| n.eq_ignore_ascii_case("ExternalAuthoritative"))
    {
        evidence.push("ExternalAuthoritative (externally secured) is set: if this connector takes only relayed mail over a secured network, that may be intended".to_string());
    }
    Finding::new(
        Code::ExchangeReceiveTlsDisabled,
        severity,
        c.label.clone(),
        Vec::new(),
        format!(
            "Exchange offers no STARTTLS {}: the connector's AuthMechanism lacks Tls",
            c.where_()
        ),
        evidence,
        tls_disabled_fix(c, &am, scoped.is_some()),
    )
}

/// The AuthMechanism with Tls added to what it has; `None` may only stand alone, so it goes.
/// Never the whole default: an admin who took BasicAuth off port 25 must not get SMTP AUTH
/// back. `None` (no value) when it holds a name `Set-ReceiveConnector` does not accept.
fn with_tls(am: &Flags) -> Option<String> {
    let mut names = vec!["Tls".to_string()];
    let mut known = true;
    for n in &am.names {
        match AUTH_NAMES.iter().find(|k| k.eq_ignore_ascii_case(n.trim())) {
            Some(k) if *k == "None" || *k == "Tls" => {}
            Some(k) => names.push((*k).to_string()),
            None => known = false,
        }
    }
    known.then(|| names.join(","))
}

/// R9's fix: Tls added to the connector's AuthMechanism (`scoped`: only the hosts in its
/// RemoteIPRanges reach it).
fn tls_disabled_fix(c: &Conn, am: &Flags, scoped: bool) -> Fix {
    let value = with_tls(am);
    let target = receive_connector_target(c.rc);
    let mut fix = Fix::new(
        Family::Exchange,
        "exchange_config::receive_tls_disabled",
        &[&c.label, value.as_deref().unwrap_or("")],
    );
    fix = target_note(fix, c, target.as_ref());
    fix = match (&target, &value) {
        (Some(t), Some(v)) => {
            let why = if c.default_frontend() == Some(true) {
                format!(
                    "Add Tls to what it has (setup and the Hybrid Configuration Wizard give the Default Frontend connector {DEFAULT_FRONTEND_AUTH}; the command keeps your choices and only adds Tls):"
                )
            } else if scoped {
                "If the hosts in its RemoteIPRanges should get STARTTLS, add Tls to what it has (test a relaying device first):".to_string()
            } else {
                "Add Tls to what it has (None may only stand alone, so it goes):".to_string()
            };
            fix.tell(why).run(
                EMS,
                t.command("Set-ReceiveConnector", &format!("-AuthMechanism {v}")),
            )
        }
        _ => fix.tell(
            "Add Tls to this connector's AuthMechanism (Set-ReceiveConnector <its Identity> -AuthMechanism Tls,… keeping the values it needs; None may only stand alone).",
        ),
    };
    fix.tell("STARTTLS is offered on the next connection; no restart is needed.")
}

// ---------------------------------------------------------------------------------------
// R1, R17, R6: what the selection gives each connector
// ---------------------------------------------------------------------------------------

fn judge_selection(
    config: &Config,
    e: &Eval,
    evals: &[Eval],
    conns: &[Conn],
    now: OffsetDateTime,
    out: &mut Vec<Finding>,
) {
    let c = e.conn;
    if !c.relevant() {
        return;
    }
    match &e.sel {
        Selection::NotFound {
            sought: Sought::TlsCertificateName(name),
            near,
            assumption,
        } => out.push(name_not_found(
            config,
            c,
            name,
            near,
            assumption.as_deref(),
            now,
        )),
        Selection::NotFound {
            sought, assumption, ..
        } => {
            if let Some(f) = fqdn_not_found(config, c, sought, assumption.as_deref(), now) {
                out.push(f);
            }
        }
        Selection::Invalid(problem) => out.push(name_invalid(config, c, problem, now)),
        Selection::Chosen {
            sought: sought @ (Sought::Fqdn(_) | Sought::ServerName(_)),
            cert,
            assumption,
            ..
        } if self_signed(cert, now) == Some(true) => {
            if let Some(f) = fqdn_self_signed(
                config,
                c,
                sought,
                cert,
                assumption.as_deref(),
                (evals, conns),
                now,
            ) {
                out.push(f);
            }
        }
        Selection::Chosen { .. } => {}
        Selection::Unknown(why) => {
            // Nothing to look the certificate up in: the command layer says what is missing.
            if config.certificates.is_empty() {
                return;
            }
            let loc =
                c.rc.tls_certificate_name
                    .as_ref()
                    .map_or(c.loc(), |t| t.loc);
            out.push(inconclusive(
                config,
                &c.label,
                &format!("which certificate Exchange presents {}", c.where_()),
                why,
                loc,
                &format!(
                    "Paste Get-ExchangeCertificate{} | fl from the server this connector runs on (or give --server when the list names none).",
                    c.server_arg()
                ),
            ));
        }
    }
}

/// `O=XXXXSince the fact…` → `XXXX`: where the glued prose starts in the last value, when a
/// capital begins a word inside the first token (`…XSince`, `…oSince`).
pub(crate) fn glue_head(value: &str) -> Option<&str> {
    // The head is cut from the first word itself: an index into the word is not an index
    // into `value` when the value starts with spaces (a quoted RDN value keeps them).
    let first = value.split_whitespace().next()?;
    let chars: Vec<(usize, char)> = first.char_indices().collect();
    for w in chars.windows(3) {
        let ((_, a), (i, b), (_, c)) = (w[0], w[1], w[2]);
        if a.is_alphanumeric() && b.is_uppercase() && c.is_lowercase() {
            return first.get(..i);
        }
    }
    None
}

/// `TlsCertificateName read as `…` (the text after `O=XXXX` looks like prose glued on by the
/// paste)`.
pub(crate) fn read_as(config: &Config, text: &Text, name: Option<&TlsName>) -> Vec<String> {
    let mut line = format!(
        "{}: TlsCertificateName read as `{}`",
        config.at(text.loc),
        text.value.trim()
    );
    if let Some(n) = name
        && n.glued
        && let Some(last) = n.subject.rdns.last()
    {
        match glue_head(&last.value) {
            Some(head) => line.push_str(&format!(
                " (the text after `{}={head}` looks like prose glued on by the paste)",
                last.kind
            )),
            None => line.push_str(" (its last value reads like prose glued on by the paste)"),
        }
    }
    let mut lines = vec![line];
    if text.wrapped {
        lines.push(
            "the value was wrapped across lines in the paste: it is compared without its spaces"
                .to_string(),
        );
    }
    lines
}

/// A usable certificate another server holds that `name` names exactly, and that server: the
/// one to copy when `server` lacks it.
fn held_elsewhere<'a>(
    config: &'a Config,
    name: &TlsName,
    server: &str,
    now: OffsetDateTime,
) -> Option<(String, &'a Certificate)> {
    let mut found: Vec<&Certificate> = config
        .certificates
        .iter()
        .filter(|x| {
            x.server
                .as_ref()
                .is_some_and(|s| !same_server(s.name(), server))
                && names_exactly(name, x, now)
                && usable(x, now)
                && status_valid(x) != Some(false)
        })
        .collect();
    rank(&mut found, now);
    let x = found.first()?;
    Some((x.server.as_ref()?.name().to_string(), *x))
}

/// R1 on a server that lacks the certificate its connector names, which `holder` holds: the
/// name is right, so the remedy is the copy (one server renewed, or was added after the
/// wizard ran), not a rebinding.
fn missing_here(
    config: &Config,
    c: &Conn,
    server: &str,
    (holder, held): (&str, &Certificate),
    mut evidence: Vec<String>,
    now: OffsetDateTime,
) -> Finding {
    evidence.push(format!(
        "on {holder}: {} — exactly the certificate it names",
        cert_line(config, held, now)
    ));
    let fix = Fix::new(
        Family::Exchange,
        "exchange_config::receive_certificate_copy",
        &[&c.label, &thumb_words(held), holder],
    )
    .tell(format!(
        "The connector names the right certificate, but {server} does not hold it: Exchange withholds STARTTLS rather than fall back (Microsoft Learn: Selection of Inbound STARTTLS Certificates). The certificate for hybrid mail flow must be on every server that receives from Exchange Online (Microsoft Learn: Certificate requirements for hybrid deployments)."
    ));
    let fix = copy_certificate_steps(fix, held, holder, server, now).tell(
        "The connector needs no change: its TlsCertificateName already names this certificate.",
    );
    let fix = restart_and_check(fix, c);
    Finding::new(
        Code::ExchangeReceiveCertificateNotFound,
        Severity::Fail,
        c.label.clone(),
        Vec::new(),
        format!(
            "Exchange offers no STARTTLS {} (Event 12014 names the TlsCertificateName): {server} does not hold the certificate it names ({holder} does)",
            c.where_()
        ),
        evidence,
        fix,
    )
}

/// The inconclusive finding when the selection judged a TlsCertificateName the paste does not
/// show (the selection only judges a name it was given).
fn name_not_pasted(config: &Config, c: &Conn) -> Finding {
    inconclusive(
        config,
        &c.label,
        "the TlsCertificateName",
        "it was not pasted",
        c.loc(),
        "Paste Get-ReceiveConnector | fl.",
    )
}

/// `SRVEX01`, or `the server` when the paste names none.
fn server_words(c: &Conn) -> String {
    c.server
        .as_deref()
        .map_or_else(|| "the server".to_string(), str::to_string)
}

/// `a certificate for `*.contoso.com``: what the fix tells the admin to look for.
fn wanted_words(cn: Option<&str>) -> String {
    cn.map_or_else(
        || "the certificate this connector should present".to_string(),
        |cn| format!("a certificate for `{cn}`"),
    )
}

/// The thumbprint of the candidate, for the fix's key (empty when there is none).
fn cand_thumb(cand: Option<&(&Certificate, String)>) -> String {
    cand.map(|(x, _)| thumb_words(x)).unwrap_or_default()
}

/// The start of R1's and R17's fix: what is wrong, before the rebinding.
fn rebind_fix(c: &Conn, cand: Option<&(&Certificate, String)>, intro: &str) -> Fix {
    Fix::new(
        Family::Exchange,
        "exchange_config::receive_rebind",
        &[&c.label, &cand_thumb(cand)],
    )
    .tell(intro)
}

/// R1 (or R17 when the near miss is the same certificate written reversed or swapped).
fn name_not_found(
    config: &Config,
    c: &Conn,
    name: &TlsName,
    near: &[(&Certificate, Near)],
    assumption: Option<&str>,
    now: OffsetDateTime,
) -> Finding {
    let Some(text) = c.rc.tls_certificate_name.as_ref() else {
        return name_not_pasted(config, c);
    };
    let mut evidence = read_as(config, text, Some(name));
    evidence.extend(not_found_evidence(config, c, near, assumption, now));
    let written_wrong = near
        .iter()
        .find(|(_, n)| matches!(n, Near::Reversed | Near::Swapped))
        .map(|(_, n)| *n);
    // The very certificate it names, on another server: the name is right, this server only
    // lacks the certificate (one server renewed, or added after the wizard ran).
    if written_wrong.is_none()
        && let Some(server) = c.server.as_deref()
        && let Some((holder, held)) = held_elsewhere(config, name, server, now)
    {
        return missing_here(config, c, server, (&holder, held), evidence, now);
    }
    let cn = name.subject.common_name();
    let hint = Hint {
        near: near.to_vec(),
        meant: None,
        cn: cn.map(str::to_string),
    };
    let cand = candidate(config, c, &hint, now);
    let (code, summary, intro) = not_found_words(c, written_wrong);
    let fix = rebind_fix(c, cand.as_ref(), intro);
    let fix = rebind(fix, c, cand.as_ref(), &wanted_words(cn), now);
    Finding::new(
        code,
        Severity::Fail,
        c.label.clone(),
        Vec::new(),
        summary,
        evidence,
        fix,
    )
}

/// R1's evidence after the name as read: where Exchange looked, the near misses, the other
/// certificates (six at most), and what was assumed.
fn not_found_evidence(
    config: &Config,
    c: &Conn,
    near: &[(&Certificate, Near)],
    assumption: Option<&str>,
    now: OffsetDateTime,
) -> Vec<String> {
    let sc = select::scope(config, c.server.as_deref());
    let mut evidence = vec![format!(
        "Exchange looks for a certificate with exactly this issuer and subject on {}: none of the {} pasted has them",
        server_words(c),
        sc.certs.len()
    )];
    for (cert, n) in near {
        evidence.push(format!(
            "{} — near miss: {}",
            cert_line(config, cert, now),
            n.describe()
        ));
    }
    let others: Vec<&&Certificate> = sc
        .certs
        .iter()
        .filter(|x| !near.iter().any(|(n, _)| std::ptr::eq(*n, **x)))
        .collect();
    for cert in others.iter().take(6) {
        evidence.push(format!("{} — no match", cert_line(config, cert, now)));
    }
    if others.len() > 6 {
        evidence.push(format!(
            "… and {} more certificates, none near",
            others.len() - 6
        ));
    }
    if let Some(a) = assumption {
        evidence.push(format!("assumed: {a}"));
    }
    evidence
}

/// R1's code, summary and the fix's first words; R17's when the near miss is the named
/// certificate written reversed or swapped.
fn not_found_words(c: &Conn, written_wrong: Option<Near>) -> (Code, String, &'static str) {
    match written_wrong {
        Some(n) => (
            Code::ExchangeTlsCertificateNameInvalid,
            format!(
                "Exchange offers no STARTTLS {} (Event 12014 names the TlsCertificateName): the name has {}, so it matches no certificate",
                c.where_(),
                match n {
                    Near::Reversed =>
                        "its distinguished names in reverse order (as certutil or the MMC write them)",
                    _ => "issuer and subject swapped",
                }
            ),
            "Exchange compares issuer and subject exactly as Get-ExchangeCertificate prints them (most specific RDN first, <I> before <S>). Rebuild the name from the certificate (Microsoft Learn: Set-ReceiveConnector, -TlsCertificateName).",
        ),
        None => (
            Code::ExchangeReceiveCertificateNotFound,
            format!(
                "Exchange offers no STARTTLS {} (Event 12014 names the TlsCertificateName): no certificate on {} has the issuer and subject it names",
                c.where_(),
                server_words(c)
            ),
            "Exchange never falls back from a TlsCertificateName that names no certificate: it withholds STARTTLS (Microsoft Learn: Selection of Inbound STARTTLS Certificates). After a renewal the connector still names the old certificate; name the one that should be presented.",
        ),
    }
}

/// The name the admin meant when the markers are swapped: `<S>subject<I>issuer`.
pub(crate) fn unswap(text: &Text) -> Option<TlsName> {
    let raw = text.value.trim();
    let lower = raw.to_ascii_lowercase();
    let (s, i) = (lower.find("<s>")?, lower.rfind("<i>")?);
    if s >= i {
        return None;
    }
    Some(TlsName {
        subject: Dn::parse(&raw[s + 3..i])?,
        issuer: Dn::parse(&raw[i + 3..])?,
        raw: raw.to_string(),
        glued: false,
        wrapped: text.wrapped,
    })
}

/// The last `CN=` of a name without markers (HealthChecker's failsafe reads the first and the
/// last `CN=` as issuer and subject).
fn last_cn(raw: &str) -> Option<String> {
    let lower = raw.to_ascii_lowercase();
    let at = lower.rfind("cn=")?;
    let v = raw[at + 3..].split([',', '<']).next()?.trim();
    (!v.is_empty()).then(|| v.to_string())
}

/// What is wrong with a `TlsCertificateName`, in words (shared with the cross-premises rules,
/// which judge the send connector's and the hybrid configuration's names).
pub(crate) fn name_problem_words(problem: &NameProblem) -> &'static str {
    match problem {
        NameProblem::NoMarkers { .. } => {
            "it has neither <I> nor <S>, so Exchange cannot tell issuer from subject"
        }
        NameProblem::Swapped => "<S> comes before <I>: issuer and subject are swapped",
        NameProblem::Empty => "a marker has nothing readable after it",
    }
}

/// R17 for a name that cannot be read.
fn name_invalid(config: &Config, c: &Conn, problem: &NameProblem, now: OffsetDateTime) -> Finding {
    let Some(text) = c.rc.tls_certificate_name.as_ref() else {
        return name_not_pasted(config, c);
    };
    if let NameProblem::NoMarkers { maybe_eaten: true } = problem {
        return markers_eaten(config, c, text);
    }
    let what = name_problem_words(problem);
    let (meant, cn) = meant_name(problem, text);
    let mut evidence = read_as(config, text, None);
    evidence.push(format!(
        "Exchange expects <I>X.500Issuer<S>X.500Subject, as Get-ExchangeCertificate prints them; {what} (HealthChecker: TlsCertificateName Syntax Invalid)"
    ));
    let hint = Hint {
        near: Vec::new(),
        meant: meant.as_ref(),
        cn: cn.clone(),
    };
    let cand = candidate(config, c, &hint, now);
    let wanted = wanted_words(cn.as_deref());
    let fix = rebind_fix(
        c,
        cand.as_ref(),
        "Rebuild the name from Get-ExchangeCertificate (Microsoft Learn: Set-ReceiveConnector, -TlsCertificateName).",
    );
    let fix = if config.certificates.is_empty() {
        fix.tell("Paste Get-ExchangeCertificate | fl to get the exact command; meanwhile:")
            .then(no_candidate(
                Fix::new(Family::Exchange, "", &[]),
                c,
                &wanted,
            ))
    } else {
        rebind(fix, c, cand.as_ref(), &wanted, now)
    };
    Finding::new(
        Code::ExchangeTlsCertificateNameInvalid,
        Severity::Fail,
        c.label.clone(),
        Vec::new(),
        format!(
            "Exchange offers no STARTTLS {} (Event 12014): its TlsCertificateName cannot match any certificate ({what})",
            c.where_()
        ),
        evidence,
        fix,
    )
}

/// R17's inconclusive case: a name without markers from a forum or web page, which may have
/// eaten `<I>` and `<S>` as HTML tags.
fn markers_eaten(config: &Config, c: &Conn, text: &Text) -> Finding {
    let ask = match receive_connector_target(c.rc) {
        Some(Target::Identity(id)) => format!(
            "Paste the value again as a code block, or from a saved file, so that <I> and <S> survive: Get-ReceiveConnector {id} | fl TlsCertificateName"
        ),
        _ => "Paste the value again as a code block, or from a saved file, so that <I> and <S> survive: Get-ReceiveConnector | fl Identity,Bindings,TlsCertificateName".to_string(),
    };
    let mut f = inconclusive(
        config,
        &c.label,
        "the TlsCertificateName",
        "it shows neither <I> nor <S>, and a forum or web page may have eaten them as HTML tags (<I> is italics, <S> strike-through)",
        text.loc,
        &ask,
    );
    f.evidence.extend(read_as(config, text, None));
    f
}

/// The name an unreadable TlsCertificateName meant (a swapped one put right), and the common
/// name it asks for.
fn meant_name(problem: &NameProblem, text: &Text) -> (Option<TlsName>, Option<String>) {
    match problem {
        NameProblem::NoMarkers { .. } => (None, last_cn(&text.value)),
        NameProblem::Swapped => {
            let m = unswap(text);
            let cn = m
                .as_ref()
                .and_then(|m| m.subject.common_name().map(str::to_string));
            (m, cn)
        }
        NameProblem::Empty => (None, None),
    }
}

fn sought_words(sought: &Sought) -> String {
    match sought {
        Sought::TlsCertificateName(_) => "its TlsCertificateName".to_string(),
        Sought::Fqdn(f) => format!("its Fqdn `{f}`"),
        Sought::ServerName(s) => format!("the server's name `{s}` (no Fqdn either)"),
    }
}

fn sought_host(sought: &Sought) -> Option<&str> {
    match sought {
        Sought::Fqdn(h) | Sought::ServerName(h) => Some(h),
        Sought::TlsCertificateName(_) => None,
    }
}

/// A public name to greet with (`-Fqdn`): the hybrid configuration's smart host when the
/// certificate covers it, else a `mail.`/`smtp.` name on the certificate.
fn greeting_name(config: &Config, cert: &Certificate, now: OffsetDateTime) -> Option<String> {
    for h in config
        .hybrid
        .iter()
        .filter_map(|h| h.on_premises_smart_host.as_deref())
        .filter_map(public_host)
    {
        if select::cert_covers(cert, &h, now) == Some(true) {
            return Some(h);
        }
    }
    select::cert_names(cert, now)?
        .names
        .iter()
        .filter_map(|n| public_host(n))
        .find(|n| n.starts_with("mail.") || n.starts_with("smtp."))
}

/// R6's fix: name the certificate (what HCW does), and optionally greet with a public name
/// on a connector known to be a Frontend one — never on `Default <server>` (HubTransport),
/// where changing Fqdn breaks mail flow between Mailbox servers (Set-ReceiveConnector).
fn fqdn_fix(config: &Config, c: &Conn, host: &str, intro: &str, now: OffsetDateTime) -> Fix {
    let cand = candidate(config, c, &Hint::default(), now);
    let fix = Fix::new(
        Family::Exchange,
        "exchange_config::receive_fqdn_fallback",
        &[&c.label, host, &cand_thumb(cand.as_ref())],
    )
    .tell(intro);
    let mut fix = rebind(
        fix,
        c,
        cand.as_ref(),
        "the CA-issued certificate whose names the senders connect to (for hybrid: the name in Exchange Online's outbound connector, TlsDomain)",
        now,
    );
    let name = cand
        .as_ref()
        .and_then(|(x, _)| greeting_name(config, x, now));
    // Never the Fqdn it already has.
    let greets_so = name.as_deref().is_some_and(|n| {
        c.rc.fqdn
            .as_ref()
            .is_some_and(|f| f.value.trim().trim_end_matches('.').eq_ignore_ascii_case(n))
    });
    if c.role == Role::Frontend && !greets_so {
        let target = receive_connector_target(c.rc);
        match (target, name.as_deref().and_then(ps_quote)) {
            (Some(t), Some(n)) => {
                fix = fix
                    .tell("Optional, cosmetic for Exchange Online (it checks the certificate against its TlsDomain, not the greeting): greet with the public name on this Frontend connector. Never change Fqdn on the Default <server> connector of the Mailbox server: mail between Mailbox servers would fail (Microsoft Learn: Set-ReceiveConnector).")
                    .run(EMS, t.command("Set-ReceiveConnector", &format!("-Fqdn {n}")));
            }
            _ => {
                fix = fix.tell("Optional: set -Fqdn on this Frontend connector to the public name on the certificate (cosmetic for Exchange Online); never change Fqdn on the Default <server> connector of the Mailbox server (Microsoft Learn: Set-ReceiveConnector).");
            }
        }
    }
    fix
}

/// R6: no TlsCertificateName and nothing covers the name: no STARTTLS.
fn fqdn_not_found(
    config: &Config,
    c: &Conn,
    sought: &Sought,
    assumption: Option<&str>,
    now: OffsetDateTime,
) -> Option<Finding> {
    let host = sought_host(sought)?;
    if let Sought::ServerName(s) = sought
        && !s.contains('.')
    {
        // Exchange looks for the server's FQDN, which the paste does not show.
        return Some(inconclusive(
            config,
            &c.label,
            &format!("which certificate Exchange presents {}", c.where_()),
            &format!(
                "the connector has no Fqdn, so Exchange looks for the server's full name, and the paste shows only `{s}`"
            ),
            c.loc(),
            "Paste Get-ReceiveConnector | fl with its Fqdn, or the server's FQDN (Get-ExchangeServer | fl Fqdn).",
        ));
    }
    let severity = if c.hybrid() || (c.port25() == Some(true) && c.scoped_ranges().is_none()) {
        Severity::Fail
    } else {
        Severity::Warn
    };
    let mut evidence = vec![format!(
        "{}: no TlsCertificateName: Exchange looks for a certificate covering {}",
        config.at(c.rc.fqdn.as_ref().map_or(c.loc(), |f| f.loc)),
        sought_words(sought)
    )];
    if let Some(why) = internal_name(host) {
        evidence.push(format!(
            "`{host}` is {why}: no public CA issues certificates for it"
        ));
    }
    evidence.push(
        "no pasted certificate with a private key covers it, so Exchange withholds STARTTLS and logs Event 12014".to_string(),
    );
    if !c.hybrid()
        && let Some(ranges) = c.scoped_ranges()
    {
        evidence.push(format!(
            "RemoteIPRanges `{{{ranges}}}`: only those hosts reach this connector, so mail from the internet and Exchange Online does not depend on it"
        ));
    }
    if let Some(a) = assumption {
        evidence.push(format!("assumed: {a}"));
    }
    let fix = fqdn_fix(
        config,
        c,
        host,
        "Without TlsCertificateName Exchange picks the certificate by the connector's Fqdn; nothing covers it (Microsoft Learn: Selection of Inbound STARTTLS Certificates). Name the certificate explicitly, as the Hybrid Configuration Wizard does:",
        now,
    );
    Some(Finding::new(
        Code::ExchangeReceiveFqdnFallback,
        severity,
        c.label.clone(),
        Vec::new(),
        format!(
            "Exchange offers no STARTTLS {} (Event 12014): no TlsCertificateName, and no certificate covers {}",
            c.where_(),
            sought_words(sought)
        ),
        evidence,
        fix,
    ))
}

/// Why port 25 of the same server offers no STARTTLS, when it does not: the seed-001
/// situation, where 587 offers STARTTLS and 25 does not. A port-25 connector whose
/// TlsCertificateName names no certificate (or cannot be read), whose Fqdn no certificate
/// covers, or whose AuthMechanism lacks Tls.
fn failing_port25(c: &Conn, evals: &[Eval], conns: &[Conn]) -> Option<String> {
    let same = |o: &Conn| {
        !std::ptr::eq(o, c)
            && o.port25() == Some(true)
            && match (&o.server, &c.server) {
                (Some(a), Some(b)) => same_server(a, b),
                (None, None) => true,
                _ => false,
            }
    };
    for e in evals.iter().filter(|e| same(e.conn)) {
        match &e.sel {
            // Markers a forum may have eaten: port 25 may well work.
            Selection::Invalid(NameProblem::NoMarkers { maybe_eaten: true }) => {}
            Selection::NotFound {
                sought: Sought::TlsCertificateName(_),
                ..
            }
            | Selection::Invalid(_) => {
                return Some(format!(
                    "{} names a certificate in TlsCertificateName that is not there, and Exchange does not fall back from it (Event 12014)",
                    e.conn.label
                ));
            }
            Selection::NotFound { .. } => {
                return Some(format!(
                    "{} has no TlsCertificateName, and no certificate covers its name (Event 12014)",
                    e.conn.label
                ));
            }
            _ => {}
        }
    }
    conns
        .iter()
        .filter(|o| same(o))
        .find(|o| {
            o.role != Role::Hub
                && o.rc
                    .auth_mechanism
                    .as_ref()
                    .is_some_and(|a| a.has("Tls") == Some(false))
        })
        .map(|o| format!("{} lacks Tls in its AuthMechanism", o.label))
}

/// R6: no TlsCertificateName, and only the self-signed certificate covers the name.
fn fqdn_self_signed(
    config: &Config,
    c: &Conn,
    sought: &Sought,
    cert: &Certificate,
    assumption: Option<&str>,
    (evals, conns): (&[Eval], &[Conn]),
    now: OffsetDateTime,
) -> Option<Finding> {
    let host = sought_host(sought)?;
    // On 587 the self-signed certificate is the default of every installation: worth a word
    // only when it explains why 587 offers STARTTLS and 25 does not.
    let why_25 = if c.hybrid() {
        None
    } else {
        Some(failing_port25(c, evals, conns)?)
    };
    let severity = self_signed_severity(config, c)?;
    let mut evidence = vec![format!(
        "{}: no TlsCertificateName: Exchange picks the certificate by {}",
        config.at(c.rc.fqdn.as_ref().map_or(c.loc(), |f| f.loc)),
        sought_words(sought)
    )];
    if let Some(why) = internal_name(host) {
        evidence.push(format!(
            "`{host}` is {why}: no public CA issues certificates for it, so only Exchange's self-signed certificate covers it"
        ));
    }
    evidence.push(format!("{} — chosen", cert_line(config, cert, now)));
    if let Some(a) = assumption {
        evidence.push(format!("assumed: {a}"));
    }
    let intro = self_signed_intro(c, severity, why_25.as_deref(), &mut evidence);
    let fix = fqdn_fix(config, c, host, intro, now);
    Some(Finding::new(
        Code::ExchangeReceiveFqdnFallback,
        severity,
        c.label.clone(),
        Vec::new(),
        format!(
            "Exchange presents its self-signed certificate {}: no TlsCertificateName, and only the self-signed certificate covers {}",
            c.where_(),
            sought_words(sought)
        ),
        evidence,
        fix,
    ))
}

/// R6's severity with the self-signed certificate: on the hybrid connector FAIL when the
/// paste shows a hybrid deployment, WARN when it does not (senders that do not validate still
/// get TLS); INFO on port 587; `None` (nothing to say) on any other connector.
fn self_signed_severity(config: &Config, c: &Conn) -> Option<Severity> {
    if c.hybrid() {
        Some(if c.cloud() == Some(true) || org_hybrid(config) {
            Severity::Fail
        } else {
            Severity::Warn
        })
    } else if c.binds(587) == Some(true) {
        Some(Severity::Info)
    } else {
        None
    }
}

/// R6's evidence on what the self-signed certificate costs on this connector (and, off the
/// hybrid connector, why port 25 of the same server offers no STARTTLS), and the fix's first
/// words.
fn self_signed_intro(
    c: &Conn,
    severity: Severity,
    why_25: Option<&str>,
    evidence: &mut Vec<String>,
) -> &'static str {
    if c.hybrid() {
        evidence.push(SELF_SIGNED_AT_EXO.to_string());
        if severity == Severity::Warn {
            evidence.push("the paste shows no hybrid configuration or Exchange Online connector: senders that do not validate certificates still deliver over TLS".to_string());
        }
        return "Without TlsCertificateName Exchange picks the certificate by the connector's Fqdn, and only the self-signed certificate covers it (Microsoft Learn: Selection of Inbound STARTTLS Certificates). Name the CA-issued certificate explicitly, as the Hybrid Configuration Wizard does:";
    }
    evidence.push("STARTTLS works here, but clients that check certificates (Outlook, phones, scanners sending by SMTP) warn or refuse".to_string());
    if let Some(why) = why_25 {
        evidence.push(format!(
            "This is why {} offers STARTTLS and port 25 does not: {why}; this connector has no TlsCertificateName, falls back to its Fqdn, and the self-signed certificate covers that",
            c.where_().trim_start_matches("on "),
        ));
    }
    "Nothing is broken here. Optional: to present the CA-issued certificate on this port too, name it:"
}

// ---------------------------------------------------------------------------------------
// R4, R10, R16, R24: the certificate chosen
// ---------------------------------------------------------------------------------------

/// One connector that chose a certificate, and how.
struct Use<'e, 'c, 'a> {
    conn: &'c Conn<'a>,
    sought: &'e Sought,
    if_glued: bool,
    assumption: Option<&'e str>,
    /// The other certificates that match: Exchange took the newest NotBefore. Copies of the
    /// chosen one (the same thumbprint pasted twice) are left out.
    rivals: Vec<&'a Certificate>,
}

fn same_thumbprint(a: &Certificate, b: &Certificate) -> bool {
    match (a.thumbprint.as_deref(), b.thumbprint.as_deref()) {
        (Some(x), Some(y)) => x.trim().eq_ignore_ascii_case(y.trim()),
        _ => std::ptr::eq(a, b),
    }
}

/// The NotBefore of `cert` under one reading of the paste's dates (`day_first`: an
/// ambiguous date read day-first), from the certificate's bytes when it has them.
fn not_before_reading(
    cert: &Certificate,
    now: OffsetDateTime,
    day_first: bool,
) -> Option<OffsetDateTime> {
    match not_before(cert, now)? {
        Date::Known(t) => Some(t),
        Date::Ambiguous {
            month_first,
            day_first: df,
        } => Some(if day_first { df } else { month_first }),
    }
}

/// Which of `certs` Exchange takes (the newest NotBefore), when every reading of the paste's
/// dates gives the same answer: one paste has one locale, so its ambiguous dates are all
/// month-first or all day-first. `None` when a NotBefore is missing, the readings disagree,
/// or two certificates start at the same moment.
fn settled_newest<'a>(certs: &[&'a Certificate], now: OffsetDateTime) -> Option<&'a Certificate> {
    let pick = |day_first: bool| -> Option<&'a Certificate> {
        let mut best: Option<(&'a Certificate, OffsetDateTime)> = None;
        let mut tie = false;
        for c in certs {
            let t = not_before_reading(c, now, day_first)?;
            match best {
                Some((_, bt)) if t == bt => tie = true,
                Some((_, bt)) if t < bt => {}
                _ => {
                    best = Some((*c, t));
                    tie = false;
                }
            }
        }
        if tie { None } else { best.map(|(c, _)| c) }
    };
    let (a, b) = (pick(false)?, pick(true)?);
    std::ptr::eq(a, b).then_some(a)
}

/// R10's inconclusive case: several certificates match and the paste does not say which
/// one starts last, so which one Exchange takes is not known (and R4, R16 and R24 have no
/// certificate to judge).
fn order_unknown(
    config: &Config,
    label: &str,
    all: &[&Certificate],
    now: OffsetDateTime,
) -> Finding {
    let n = all.len();
    let (why, loc) = match all.iter().find(|x| not_before(x, now).is_none()) {
        Some(x) => (
            format!(
                "Exchange takes the newest NotBefore, and the NotBefore of {} is not in the paste",
                thumb_words(x)
            ),
            x.origin.loc,
        ),
        None => match all
            .iter()
            .find(|x| matches!(not_before(x, now), Some(Date::Ambiguous { .. })))
        {
            Some(x) => (
                format!(
                    "Exchange takes the newest NotBefore, and the NotBefore of {} is read as {}: the two readings put the certificates in a different order",
                    thumb_words(x),
                    not_before(x, now)
                        .map(|d| show_date(&d))
                        .unwrap_or_default()
                ),
                x.origin.loc,
            ),
            None => (
                "Exchange takes the newest NotBefore, and two of them start at the same moment"
                    .to_string(),
                all[0].origin.loc,
            ),
        },
    };
    inconclusive(
        config,
        label,
        &format!("which of the {n} matching certificates Exchange takes"),
        &why,
        loc,
        "Paste the dates in a form that reads one way: Get-ExchangeCertificate | fl Thumbprint,Subject,Issuer,Services,Status,@{n='NotBefore';e={$_.NotBefore.ToString('o')}},@{n='NotAfter';e={$_.NotAfter.ToString('o')}} (or the collection script's JSON).",
    )
}

fn chosen_certificates(
    config: &Config,
    evals: &[Eval],
    now: OffsetDateTime,
    limits: Limits,
    out: &mut Vec<Finding>,
) {
    // Grouped by the certificate Exchange takes; `None` when the paste cannot say which of
    // several matches that is (keyed then by the set of matches).
    type Group<'e, 'c, 'a> = (
        Option<&'a Certificate>,
        Vec<&'a Certificate>,
        Vec<Use<'e, 'c, 'a>>,
    );
    let mut groups: Vec<Group> = Vec::new();
    for e in evals.iter().filter(|e| e.conn.relevant()) {
        if let Selection::Chosen {
            sought,
            cert,
            rivals,
            if_glued,
            assumption,
            ..
        } = &e.sel
        {
            let mut all: Vec<&Certificate> = Vec::new();
            for x in std::iter::once(*cert).chain(rivals.iter().copied()) {
                if !all.iter().any(|y| same_thumbprint(x, y)) {
                    all.push(x);
                }
            }
            let chosen = if all.len() == 1 {
                Some(all[0])
            } else {
                settled_newest(&all, now)
            };
            let u = Use {
                conn: e.conn,
                sought,
                if_glued: *if_glued,
                assumption: assumption.as_deref(),
                rivals: all
                    .iter()
                    .copied()
                    .filter(|x| !chosen.is_some_and(|c| std::ptr::eq(c, *x)))
                    .collect(),
            };
            let same = |(c, set, _): &&mut Group| match (c, chosen) {
                (Some(a), Some(b)) => std::ptr::eq(*a, b),
                (None, None) => {
                    set.len() == all.len()
                        && set.iter().zip(&all).all(|(a, b)| std::ptr::eq(*a, *b))
                }
                _ => false,
            };
            match groups.iter_mut().find(|g| same(g)) {
                Some((_, _, uses)) => uses.push(u),
                None => groups.push((chosen, all, vec![u])),
            }
        }
    }
    for (chosen, all, uses) in &groups {
        let Some(cert) = chosen else {
            out.push(order_unknown(config, &group_label(uses), all, now));
            continue;
        };
        unusable(config, cert, uses, now, limits, out);
        duplicate(config, cert, uses, now, limits, out);
        root_type(config, cert, uses, now, out);
        weak(config, cert, uses, now, out);
    }
}

fn group_label(uses: &[Use]) -> String {
    let labels: Vec<&str> = uses.iter().map(|u| u.conn.label.as_str()).collect();
    labels.join(", ")
}

fn group_where(uses: &[Use]) -> String {
    let mut ports: Vec<u16> = uses.iter().flat_map(|u| u.conn.ports()).collect();
    ports.sort_unstable();
    ports.dedup();
    match ports.as_slice() {
        [] => "on its connector".to_string(),
        [p] => format!("on port {p}"),
        more => format!("on ports {}", join_and(more)),
    }
}

/// `connectors.txt:3: SRV\Default Frontend SRV selects it by its TlsCertificateName`, and the
/// assumptions made on the way.
fn use_lines(config: &Config, uses: &[Use]) -> Vec<String> {
    let mut lines = Vec::new();
    for u in uses {
        let mut l = format!(
            "{}: {} selects it by {}",
            config.at(u.conn.loc()),
            u.conn.label,
            sought_words(u.sought)
        );
        if u.if_glued {
            l.push_str(" (it matches once the prose glued onto the pasted name is cut off)");
        }
        lines.push(l);
    }
    let mut seen: Vec<&str> = Vec::new();
    for a in uses.iter().filter_map(|u| u.assumption) {
        if !seen.contains(&a) {
            seen.push(a);
            lines.push(format!("assumed: {a}"));
        }
    }
    lines
}

fn group_server(uses: &[Use], cert: &Certificate) -> Option<String> {
    uses.iter()
        .find_map(|u| u.conn.server.clone())
        .or_else(|| cert.server.as_ref().map(|s| s.name().to_string()))
}

/// What is wrong with a certificate a connector presents (the send rules use the same set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flaw {
    NoSmtp,
    NoKey,
    Expired,
    Expiring,
    BadStatus,
    DoubtfulStatus,
    SelfSigned,
}

/// `1 day`, `30 days`.
fn plural_days(n: i64) -> String {
    if n == 1 {
        "1 day".to_string()
    } else {
        format!("{n} days")
    }
}

/// `thresholds: warn within 30 days, fail within 7 days (--warn-days, --fail-days)`.
fn thresholds(limits: Limits) -> String {
    format!(
        "thresholds: warn within {}, fail within {} (--warn-days, --fail-days)",
        plural_days(limits.warn_days),
        plural_days(limits.fail_days)
    )
}

/// How close a certificate that has not expired is to its NotAfter, under `--warn-days` and
/// `--fail-days` (as the probe's `cert-expires-soon` judges it).
#[derive(Debug, Clone, PartialEq, Eq)]
enum ExpirySoon {
    /// Outside both thresholds.
    No,
    /// Within a threshold: the severity, and the days left in words (`1 day`, `11 or 40
    /// days` for a date the paste leaves ambiguous).
    Within { severity: Severity, days: String },
    /// The readings of an ambiguous date fall on both sides of the warning threshold.
    Doubtful,
}

fn expiry_soon(d: &Date, now: OffsetDateTime, limits: Limits) -> ExpirySoon {
    // The severity one reading of the date gives: `None` outside the warning threshold.
    let judge = |t: OffsetDateTime| {
        let days = (t - now).whole_days();
        let sev = if days > limits.warn_days {
            None
        } else if days <= limits.fail_days {
            Some(Severity::Fail)
        } else {
            Some(Severity::Warn)
        };
        (sev, days)
    };
    let readings = match d {
        Date::Known(t) => vec![judge(*t)],
        Date::Ambiguous {
            month_first,
            day_first,
        } => vec![judge(*month_first), judge(*day_first)],
    };
    let mut days: Vec<i64> = readings.iter().map(|(_, d)| *d).collect();
    days.sort_unstable();
    days.dedup();
    let words = match days.as_slice() {
        [one] => plural_days(*one),
        [a, b] => format!("{a} or {b} days"),
        _ => String::new(),
    };
    let sevs: Vec<Option<Severity>> = readings.iter().map(|(s, _)| *s).collect();
    if sevs.iter().all(Option::is_none) {
        ExpirySoon::No
    } else if sevs.iter().any(Option::is_none) {
        ExpirySoon::Doubtful
    } else {
        // Both readings are within the warning threshold: FAIL only when both are within
        // the failing one too, so a date read two ways never makes a FAIL.
        let severity = if sevs.iter().all(|s| *s == Some(Severity::Fail)) {
            Severity::Fail
        } else {
            Severity::Warn
        };
        ExpirySoon::Within {
            severity,
            days: words,
        }
    }
}

/// What R4's and R10's checks share: the certificate a group of connectors chose, the
/// group's label, and the clock and thresholds it is judged by.
struct Judge<'x> {
    config: &'x Config,
    cert: &'x Certificate,
    label: String,
    now: OffsetDateTime,
    limits: Limits,
}

/// What R4 finds wrong with the chosen certificate: each flaw with its severity and its
/// phrase (`has no private key`), in the order found, and the notes the evidence adds.
#[derive(Default)]
struct Flaws {
    found: Vec<(Severity, Flaw, String)>,
    notes: Vec<String>,
}

impl Flaws {
    fn add(&mut self, severity: Severity, flaw: Flaw, phrase: impl Into<String>) {
        self.found.push((severity, flaw, phrase.into()));
    }

    fn has(&self, flaw: Flaw) -> bool {
        self.found.iter().any(|(_, x, _)| *x == flaw)
    }

    /// A flaw only another certificate cures: expired, a failing Status, self-signed.
    fn irreparable(&self) -> bool {
        self.has(Flaw::Expired) || self.has(Flaw::BadStatus) || self.has(Flaw::SelfSigned)
    }

    fn phrases(&self) -> Vec<&str> {
        self.found.iter().map(|(_, _, p)| p.as_str()).collect()
    }

    /// The worst severity, `None` when nothing is wrong.
    fn severity(&self) -> Option<Severity> {
        self.found.iter().map(|(s, _, _)| *s).max()
    }
}

/// R4's fix: replace what cannot be repaired (naming the renewal when the paste shows one),
/// repair what can (SMTP, the key, the chain), renew what is about to expire.
fn unusable_fix(j: &Judge, uses: &[Use], flaws: &Flaws) -> Fix {
    let cert = j.cert;
    let server = group_server(uses, cert);
    let sarg = server_arg(server.as_deref());
    let mut fix = Fix::new(
        Family::Exchange,
        "exchange_config::certificate_unusable",
        &[&j.label, &thumb_words(cert), &flaws.phrases().join("; ")],
    );
    // Replace it when it cannot be repaired: bind the renewal when the paste shows one.
    if flaws.irreparable() || flaws.has(Flaw::NoKey) {
        fix = replace_steps(fix, j, uses, flaws, &sarg);
        if flaws.has(Flaw::Expired) {
            fix = fix.tell("Mail Exchange Online deferred meanwhile may expire in its queue: ask the senders to resend what bounced.");
        }
    }
    if flaws.has(Flaw::NoSmtp) && !flaws.irreparable() {
        fix = enable_smtp(fix, cert, &sarg, true);
    }
    if flaws.has(Flaw::BadStatus)
        && cert
            .status
            .as_deref()
            .is_some_and(|s| s.trim().eq_ignore_ascii_case("PendingRequest"))
    {
        fix = fix.tell("Status PendingRequest: the request was never completed. Import the CA's response on the server that made the request (Import-ExchangeCertificate), then enable it for SMTP.");
    }
    if flaws.has(Flaw::DoubtfulStatus) {
        fix = trust_steps(fix, cert, server.as_deref());
    }
    if flaws.has(Flaw::Expiring) && !flaws.has(Flaw::Expired) {
        fix = renew_steps(fix, cert, &sarg, j.now);
    }
    fix
}

/// R4's replacement: the certificate already on the server that can take this one's place,
/// named on every connector that names this one; else the key re-attached (when it is
/// missing) and a valid certificate installed (when this one cannot be repaired).
fn replace_steps(mut fix: Fix, j: &Judge, uses: &[Use], flaws: &Flaws, sarg: &str) -> Fix {
    let by_name: Vec<&Use> = uses
        .iter()
        .filter(|u| matches!(u.sought, Sought::TlsCertificateName(_)))
        .collect();
    let cand = by_name
        .first()
        .and_then(|u| replacement(j, u, flaws.has(Flaw::SelfSigned)));
    if let (Some(u), Some((replacement, _))) = (by_name.first(), &cand) {
        fix = fix.tell(
            "A certificate that can take its place is already on the server: name it instead.",
        );
        fix = rebind(fix, u.conn, cand.as_ref(), "", j.now);
        // The other connectors that name the same certificate.
        for other in by_name.iter().skip(1) {
            fix = bind_steps(fix, other.conn, replacement, j.now);
        }
        return fix;
    }
    if flaws.has(Flaw::NoKey) {
        fix = key_steps(fix, j.cert, sarg);
    }
    if flaws.irreparable() {
        fix = fix.tell("Install a valid CA-issued certificate (renew this one), enable it for SMTP (answer No when asked to overwrite the default SMTP certificate), then name it on the connector with TlsCertificateName, built from the new certificate's own Issuer and Subject — a renewal may change either (Exchange Team blog, 2025):");
        if let Some(u) = uses.first() {
            fix = no_candidate(fix, u.conn, "the renewed certificate");
        }
    }
    fix
}

/// The certificate [`candidate`] offers in place of `j.cert` on `u`'s connector: a renewal
/// with the same common name (any for a self-signed one). Never one the connector's name
/// already matches: naming it would change nothing (a copy of the same issuer and subject).
fn replacement<'x>(j: &Judge<'x>, u: &Use, self_signed: bool) -> Option<(&'x Certificate, String)> {
    let cn = issuer_subject(j.cert, j.now)
        .1
        .and_then(|s| Dn::parse(&s))
        .and_then(|d| d.common_name().map(str::to_string));
    let hint = Hint {
        cn: if self_signed { None } else { cn },
        ..Hint::default()
    };
    candidate(j.config, u.conn, &hint, j.now).filter(|(x, _)| {
        !std::ptr::eq(*x, j.cert)
            && !matches!(u.sought, Sought::TlsCertificateName(n) if names_exactly(n, x, j.now))
    })
}

/// The private key re-attached (`certutil -repairstore`), else the certificate imported again
/// from a PFX with its key.
fn key_steps(mut fix: Fix, cert: &Certificate, sarg: &str) -> Fix {
    fix = fix.tell("Its private key is missing (imported without it, or a request never completed). If the key is still on the server, re-attach it (Windows PowerShell, as administrator):");
    fix = match thumb(cert) {
        Some(t) => fix.run(
            Shell::WindowsPowerShell,
            format!("certutil -repairstore my {t}"),
        ),
        None => fix.tell("certutil -repairstore my <its thumbprint>"),
    };
    fix.tell("Otherwise import it again from a PFX with its key (the path is an example):")
        .run(
            EMS,
            format!(
                "Import-ExchangeCertificate{sarg} -FileData ([System.IO.File]::ReadAllBytes('{PFX}')) -Password (Read-Host -AsSecureString)"
            ),
        )
}

/// Why Windows does not trust the certificate (`Test-Certificate`), and the usual cures.
fn trust_steps(mut fix: Fix, cert: &Certificate, server: Option<&str>) -> Fix {
    fix = fix.tell(format!(
        "See why Windows does not trust it{} (Windows PowerShell, as administrator; Exchange Team blog, 2025):",
        server.map(|s| format!(" on {s}")).unwrap_or_default()
    ));
    fix = match thumb(cert) {
        Some(t) => fix.run(
            Shell::WindowsPowerShell,
            format!("Get-ChildItem Cert:\\LocalMachine\\My\\{t} | Test-Certificate | fl"),
        ),
        None => fix.tell(
            "Get-ChildItem Cert:\\LocalMachine\\My\\<its thumbprint> | Test-Certificate | fl",
        ),
    };
    fix.tell("RevocationCheckFailure: let the server reach the CA's CRL and OCSP addresses (proxy, firewall). Untrusted: install the CA's intermediate certificates (and root) on the server.")
}

/// The renewal of a certificate about to expire: a self-signed one in place
/// (`New-ExchangeCertificate`), a CA-issued one with its name rebuilt afterwards.
fn renew_steps(fix: Fix, cert: &Certificate, sarg: &str, now: OffsetDateTime) -> Fix {
    if self_signed(cert, now) != Some(true) {
        return fix.tell("Renew it before it expires, enable the new certificate for SMTP (answer No when asked to overwrite the default SMTP certificate), and rebuild TlsCertificateName from the new certificate's own Issuer and Subject: a renewal may change either, and Exchange then stops offering STARTTLS (Exchange Team blog, 2025).");
    }
    let fix = fix.tell("Renew the self-signed certificate before it expires. It asks whether to overwrite the default SMTP certificate: answer Yes only if this is the internal transport certificate (Get-TransportService | fl Name,InternalTransportCertificateThumbprint), else No (Microsoft Learn: New-ExchangeCertificate):");
    match thumb(cert) {
        Some(t) => fix.run(
            EMS,
            format!(
                "Get-ExchangeCertificate{sarg} -Thumbprint {} | New-ExchangeCertificate{sarg}",
                q(&t)
            ),
        ),
        None => fix
            .tell("Get-ExchangeCertificate -Thumbprint <its thumbprint> | New-ExchangeCertificate"),
    }
}

/// R4.
fn unusable(
    config: &Config,
    cert: &Certificate,
    uses: &[Use],
    now: OffsetDateTime,
    limits: Limits,
    out: &mut Vec<Finding>,
) {
    let j = Judge {
        config,
        cert,
        label: group_label(uses),
        now,
        limits,
    };
    let mut flaws = Flaws::default();
    smtp_flaw(&j, &mut flaws, out);
    if cert.has_private_key == Some(false) {
        flaws.add(Severity::Fail, Flaw::NoKey, "has no private key");
    }
    // A self-signed certificate picked by Fqdn on the connectors R6 reports: R6 already says
    // to replace it, so its coming expiry is not said again.
    let r6_replaces = self_signed(cert, now) == Some(true)
        && uses.iter().all(|u| {
            !matches!(u.sought, Sought::TlsCertificateName(_))
                && (u.conn.hybrid() || u.conn.binds(587) == Some(true))
        });
    expiry_flaw(&j, r6_replaces, &mut flaws, out);
    status_flaw(cert, &mut flaws);
    let named_hybrid = uses
        .iter()
        .any(|u| matches!(u.sought, Sought::TlsCertificateName(_)) && u.conn.hybrid());
    if self_signed(cert, now) == Some(true) && named_hybrid {
        flaws.add(
            Severity::Fail,
            Flaw::SelfSigned,
            "is self-signed, which Exchange Online and other senders that validate refuse",
        );
    }
    let Some(severity) = flaws.severity() else {
        return;
    };
    let mut evidence = vec![cert_line(config, cert, now)];
    evidence.extend(use_lines(config, uses));
    evidence.extend(flaws.notes.iter().cloned());
    if flaws.has(Flaw::DoubtfulStatus) {
        evidence.push("Status RevocationCheckFailure: the server cannot reach the CA's revocation list or OCSP responder; Untrusted: its chain or root is missing on the server; Unknown: Exchange could not judge it".to_string());
    }
    let fix = unusable_fix(&j, uses, &flaws);
    out.push(Finding::new(
        Code::ExchangeCertificateUnusable,
        severity,
        j.label,
        Vec::new(),
        unusable_summary(&flaws, severity, &group_where(uses)),
        evidence,
        fix,
    ));
}

/// R4's summary: `expires in …` alone, `is unusable: it …` (FAIL), `may be refused: it …`.
fn unusable_summary(flaws: &Flaws, severity: Severity, where_: &str) -> String {
    let phrases = flaws.phrases();
    if flaws.found.iter().all(|(_, f, _)| *f == Flaw::Expiring) {
        format!(
            "the certificate Exchange presents {where_} {}",
            phrases.join(" and ")
        )
    } else if severity == Severity::Fail {
        format!(
            "the certificate Exchange presents {where_} is unusable: it {}",
            join_and(&phrases)
        )
    } else {
        format!(
            "the certificate Exchange presents {where_} may be refused: it {}",
            join_and(&phrases)
        )
    }
}

/// R4 on SMTP: a certificate chosen without SMTP among its Services fails the handshake;
/// Services with bits this tool cannot name leave it open.
fn smtp_flaw(j: &Judge, flaws: &mut Flaws, out: &mut Vec<Finding>) {
    let cert = j.cert;
    match cert.services.as_ref().map(|s| s.has("SMTP")) {
        Some(Some(false)) => {
            flaws.add(Severity::Fail, Flaw::NoSmtp, "is not enabled for SMTP");
            flaws.notes.push("A certificate matched by name or Fqdn is chosen even without SMTP, and the TLS handshake then fails (Microsoft Learn: Selection of Inbound STARTTLS Certificates)".to_string());
        }
        Some(None) => out.push(inconclusive(
            j.config,
            &j.label,
            "whether the certificate Exchange presents is enabled for SMTP",
            &format!(
                "its Services `{}` hold bits this tool cannot name",
                cert.services
                    .as_ref()
                    .map(|s| s.raw.as_str())
                    .unwrap_or_default()
            ),
            cert.origin.loc,
            "Paste Get-ExchangeCertificate | fl Thumbprint,Services as text.",
        )),
        _ => {}
    }
}

/// R4 on NotAfter: expired (Event 12016), or within `--warn-days`/`--fail-days`; a date the
/// paste leaves ambiguous across `now` or across a threshold leaves it open. `r6_replaces`:
/// R6 already tells to replace it, so its coming expiry goes unsaid.
fn expiry_flaw(j: &Judge, r6_replaces: bool, flaws: &mut Flaws, out: &mut Vec<Finding>) {
    let Some(d) = not_after(j.cert, j.now) else {
        return;
    };
    let doubt = |what: &str, ask: &str| {
        inconclusive(
            j.config,
            &j.label,
            what,
            &format!("its NotAfter reads {}", show_date(&d)),
            j.cert.origin.loc,
            ask,
        )
    };
    match d.before(j.now) {
        Some(true) => {
            flaws.add(
                Severity::Fail,
                Flaw::Expired,
                format!("expired on {}", show_date(&d)),
            );
            flaws.notes.push("An expired certificate gives Event 12016, and STARTTLS is still offered: senders that check the certificate, Exchange Online among them, defer the mail".to_string());
        }
        None => out.push(doubt(
            "whether the certificate Exchange presents has expired",
            "Paste Get-ExchangeCertificate | fl Thumbprint,NotAfter together with NotBefore (or the collection script's JSON, which carries the certificate itself).",
        )),
        Some(false) if r6_replaces => {}
        Some(false) => match expiry_soon(&d, j.now, j.limits) {
            ExpirySoon::Within { severity, days } => {
                flaws.add(
                    severity,
                    Flaw::Expiring,
                    format!("expires in {days} (NotAfter {})", show_date(&d)),
                );
                flaws.notes.push(thresholds(j.limits));
            }
            ExpirySoon::Doubtful => out.push(doubt(
                &format!(
                    "whether the certificate Exchange presents expires within {}",
                    plural_days(j.limits.warn_days)
                ),
                "Paste Get-ExchangeCertificate | fl Thumbprint,NotAfter,NotBefore (or the collection script's JSON).",
            )),
            ExpirySoon::No => {}
        },
    }
}

/// R4 on Status: one that fails outright, or one a validating sender may refuse.
fn status_flaw(cert: &Certificate, flaws: &mut Flaws) {
    let Some(s) = cert.status.as_deref().map(str::trim) else {
        return;
    };
    if status_in(cert, &FAIL_STATUS) {
        flaws.add(Severity::Fail, Flaw::BadStatus, format!("has Status `{s}`"));
    } else if status_in(cert, &WARN_STATUS) {
        flaws.add(
            Severity::Warn,
            Flaw::DoubtfulStatus,
            format!("has Status `{s}`"),
        );
    }
}

/// Thumbprints that must never be removed: the internal transport certificate of `server`.
fn internal_thumbprints(config: &Config, server: Option<&str>) -> Vec<String> {
    config
        .transport_services
        .iter()
        .filter(|t| match (t.name.as_deref(), server) {
            (Some(a), Some(b)) => same_server(a, b),
            _ => true,
        })
        .filter_map(|t| t.internal_transport_certificate_thumbprint.as_deref())
        .map(|t| t.trim().to_ascii_uppercase())
        .collect()
}

/// `Remove-ExchangeCertificate` for `cert`, unless it is the Auth certificate or the
/// internal transport certificate.
fn remove_steps(
    mut fix: Fix,
    config: &Config,
    cert: &Certificate,
    server: Option<&str>,
    now: OffsetDateTime,
) -> Fix {
    let Some(t) = thumb(cert) else {
        return fix.tell(format!(
            "Remove {} once nothing else uses it (the paste shows no usable thumbprint).",
            subject_words(cert, now)
        ));
    };
    if is_auth_certificate(cert) || internal_thumbprints(config, server).contains(&t) {
        return fix.tell(format!(
            "Keep {t}: it is the Auth certificate or the internal transport certificate."
        ));
    }
    if !smtp_only(cert) {
        // Removing it would take IIS, POP or IMAP away too: the admin moves those first.
        return fix.tell(format!(
            "{t} serves {} too: move those services to another certificate first (Enable-ExchangeCertificate), then remove it (Remove-ExchangeCertificate{} -Thumbprint {t}).",
            cert.services
                .as_ref()
                .map_or_else(|| "services the paste does not show".to_string(), |s| format!("`{}`", s.raw)),
            server_arg(server)
        ));
    }
    if self_signed(cert, now) == Some(true) {
        fix = fix.tell("It is self-signed: check first that it is not the internal transport certificate (Get-TransportService | fl Name,InternalTransportCertificateThumbprint).");
    }
    fix.run(
        EMS,
        format!(
            "Remove-ExchangeCertificate{} -Thumbprint {}",
            server_arg(server),
            q(&t)
        ),
    )
}

/// `2027-12-02` when the days differ; with the time when they fall on the same day.
fn when_words(a: OffsetDateTime, b: OffsetDateTime) -> (String, String) {
    if cert::date(a) == cert::date(b) {
        let t = |x: OffsetDateTime| {
            let x = x.to_offset(time::UtcOffset::UTC);
            format!("{} {:02}:{:02} UTC", cert::date(x), x.hour(), x.minute())
        };
        (t(a), t(b))
    } else {
        (cert::date(a), cert::date(b))
    }
}

/// `expires 6 hours earlier`, `expires 40 days earlier`: how much sooner `a` comes than `b`
/// (`a < b`).
fn earlier_words(a: OffsetDateTime, b: OffsetDateTime) -> String {
    let gap = b - a;
    if gap.whole_days() >= 1 {
        format!("{} earlier", plural_days(gap.whole_days()))
    } else if gap.whole_hours() >= 1 {
        match gap.whole_hours() {
            1 => "1 hour earlier".to_string(),
            h => format!("{h} hours earlier"),
        }
    } else {
        "minutes earlier".to_string()
    }
}

/// Its Services hold only SMTP (or nothing): removing it takes nothing else away (IIS, POP,
/// IMAP, UM). `false` when the paste does not show them.
fn smtp_only(cert: &Certificate) -> bool {
    cert.services.as_ref().is_some_and(|s| {
        !s.unknown_bits
            && s.names
                .iter()
                .all(|n| n.eq_ignore_ascii_case("SMTP") || n.eq_ignore_ascii_case("None"))
    })
}

/// R10.
fn duplicate(
    config: &Config,
    cert: &Certificate,
    uses: &[Use],
    now: OffsetDateTime,
    limits: Limits,
    out: &mut Vec<Finding>,
) {
    let rivals = distinct_rivals(cert, uses);
    if rivals.is_empty() {
        return;
    }
    let j = Judge {
        config,
        cert,
        label: group_label(uses),
        now,
        limits,
    };
    let n = rivals.len() + 1;
    let ct = thumb_words(cert);
    let label = &j.label;
    let rivalry = rivalry(cert, &rivals, now, limits);
    let (severity, summary) = if rivalry.reasons.is_empty() {
        (
            Severity::Info,
            format!(
                "{n} certificates match what {label} looks for; Exchange takes {ct}, the one with the newest NotBefore"
            ),
        )
    } else {
        (
            Severity::Warn,
            format!(
                "{n} certificates match what {label} looks for, and Exchange takes the one with the newest NotBefore ({ct}), which {}",
                join_and(&rivalry.reasons)
            ),
        )
    };
    let evidence = duplicate_evidence(&j, &rivals, uses, rivalry.earlier.is_some());
    let fix = duplicate_fix(&j, &rivals, uses, &rivalry);
    out.push(Finding::new(
        Code::ExchangeCertificateDuplicate,
        severity,
        j.label,
        Vec::new(),
        summary,
        evidence,
        fix,
    ));
}

/// The other certificates that match for any connector of the group, each once, copies of
/// `cert` (its thumbprint pasted twice) left out.
fn distinct_rivals<'a>(cert: &Certificate, uses: &[Use<'_, '_, 'a>]) -> Vec<&'a Certificate> {
    let mut rivals: Vec<&Certificate> = Vec::new();
    for r in uses.iter().flat_map(|u| u.rivals.iter().copied()) {
        if !rivals.iter().any(|x| std::ptr::eq(*x, r)) && !same_thumbprint(r, cert) {
            rivals.push(r);
        }
    }
    rivals
}

/// Why the certificate Exchange takes is worse than a rival, if it is.
struct Rivalry<'a> {
    /// In words (`lacks SMTP (… has it)`), each once.
    reasons: Vec<String>,
    /// It lacks SMTP and a rival has it.
    no_smtp: bool,
    /// It is not Valid, or has no private key, and a rival is or has.
    broken: bool,
    /// A rival far from its end while the chosen one is close to it.
    earlier: Option<&'a Certificate>,
}

/// R10's comparison of `cert` with each rival: SMTP, Status, the private key, and the
/// expiry. "Expires earlier" matters only when the certificate Exchange takes is close to its
/// end and the rival is not: two certificates valid for a year more are both fine.
fn rivalry<'a>(
    cert: &Certificate,
    rivals: &[&'a Certificate],
    now: OffsetDateTime,
    limits: Limits,
) -> Rivalry<'a> {
    let mut out = Rivalry {
        reasons: Vec::new(),
        no_smtp: false,
        broken: false,
        earlier: None,
    };
    let mut why = |r: String| {
        if !out.reasons.contains(&r) {
            out.reasons.push(r);
        }
    };
    let chosen_soon = not_after(cert, now)
        .filter(|d| d.before(now) == Some(false))
        .is_some_and(|d| matches!(expiry_soon(&d, now, limits), ExpirySoon::Within { .. }));
    for r in rivals {
        let rt = thumb_words(r);
        if has_smtp(cert) == Some(false) && has_smtp(r) == Some(true) {
            out.no_smtp = true;
            why(format!("lacks SMTP ({rt} has it)"));
        }
        if status_valid(cert) == Some(false) && status_valid(r) == Some(true) {
            out.broken = true;
            why(format!(
                "is not Valid (Status `{}`; {rt} is)",
                cert.status.as_deref().unwrap_or_default()
            ));
        }
        if cert.has_private_key == Some(false) && r.has_private_key == Some(true) {
            out.broken = true;
            why(format!("has no private key ({rt} has one)"));
        }
        let rival_far = not_after(r, now).is_some_and(|d| {
            expiry_soon(&d, now, limits) == ExpirySoon::No && d.before(now) == Some(false)
        });
        if chosen_soon
            && rival_far
            && out.earlier.is_none()
            && let (Some(a), Some(b)) = (newest_not_after(cert, now), newest_not_after(r, now))
            && a < b
        {
            out.earlier = Some(*r);
            let (wa, wb) = when_words(a, b);
            why(format!(
                "expires {} ({wa}) than {rt} ({wb})",
                earlier_words(a, b)
            ));
        }
    }
    out
}

/// R10's evidence: the chosen certificate and its rivals, who chose them, and how Exchange
/// chooses (with the thresholds when the rival lasts longer).
fn duplicate_evidence(
    j: &Judge,
    rivals: &[&Certificate],
    uses: &[Use],
    earlier: bool,
) -> Vec<String> {
    let (config, cert, now) = (j.config, j.cert, j.now);
    let mut evidence = vec![format!("{} — chosen", cert_line(config, cert, now))];
    for r in rivals {
        evidence.push(format!("{} — also matches", cert_line(config, r, now)));
    }
    evidence.extend(use_lines(config, uses));
    if std::iter::once(cert)
        .chain(rivals.iter().copied())
        .any(|x| matches!(not_before(x, now), Some(Date::Ambiguous { .. })))
    {
        evidence.push(format!(
            "the paste's dates read both month-first and day-first; either way {} has the newest NotBefore",
            thumb_words(cert)
        ));
    }
    evidence.push("Among the matches Exchange takes the newest NotBefore, a CA-issued one before a self-signed one (Microsoft Learn: Selection of Inbound STARTTLS Certificates; the Japanese translation of the 2025 Exchange Team blog says the latest expiry instead)".to_string());
    if earlier {
        evidence.push(thresholds(j.limits));
    }
    evidence
}

/// R10's fix: SMTP on the chosen certificate, a broken one removed, the longer-lived rival
/// presented; or nothing to change.
fn duplicate_fix(j: &Judge, rivals: &[&Certificate], uses: &[Use], rivalry: &Rivalry) -> Fix {
    let cert = j.cert;
    let server = group_server(uses, cert);
    let sarg = server_arg(server.as_deref());
    let ct = thumb_words(cert);
    let rts: Vec<String> = rivals.iter().map(|r| thumb_words(r)).collect();
    let mut fix = Fix::new(
        Family::Exchange,
        "exchange_config::certificate_duplicate",
        &[&j.label, &ct, &rts.join(",")],
    );
    if rivalry.no_smtp {
        fix = fix.tell(format!(
            "Enable SMTP on the certificate Exchange takes ({ct}):"
        ));
        fix = enable_smtp(fix, cert, &sarg, true);
    }
    if rivalry.broken {
        fix = fix.tell(format!(
            "If {ct} is a failed import or an abandoned request, remove it after confirming nothing else uses it (IIS, Auth), so that Exchange takes the good one:"
        ));
        fix = remove_steps(fix, j.config, cert, server.as_deref(), j.now);
    }
    if let Some(r) = rivalry.earlier {
        fix = longer_lived_steps(fix, j, r, uses, server.as_deref());
    }
    if rivalry.reasons.is_empty() {
        fix = fix.tell(format!(
            "Nothing needs to change. {} may be a copy a renewal left behind: it can go once nothing else uses it (check its Services and the IIS bindings first; never remove the Auth certificate or the internal transport certificate).",
            join_and(&rts)
        ));
    }
    fix
}

/// R10's steps to present the rival `r` that expires later than the chosen certificate:
/// name it on the connectors, or, when both have the same issuer and subject (a name cannot
/// choose between them), remove the chosen one.
fn longer_lived_steps(
    mut fix: Fix,
    j: &Judge,
    r: &Certificate,
    uses: &[Use],
    server: Option<&str>,
) -> Fix {
    let (cert, now) = (j.cert, j.now);
    let (ct, rt) = (thumb_words(cert), thumb_words(r));
    let same_name = matches!(
        (tls_name_of(cert, now), tls_name_of(r, now)),
        (Some(a), Some(b)) if fold(&a, false) == fold(&b, false)
    );
    if same_name {
        fix = fix.tell(format!(
            "Exchange goes by NotBefore, not by expiry: {ct} will expire before {rt}. Both have the same issuer and subject, so naming one in TlsCertificateName does not choose between them: if {rt} is the one to present, remove {ct} after confirming nothing else uses it (IIS, Auth):"
        ));
        return remove_steps(fix, j.config, cert, server, now);
    }
    fix = fix.tell(format!(
        "Exchange goes by NotBefore, not by expiry: {ct} will expire before {rt}. To present {rt}, name it on the connector (TlsCertificateName chooses by exact issuer and subject):"
    ));
    for u in uses {
        fix = bind_steps(fix, u.conn, r, now);
    }
    fix
}

/// R16.
fn root_type(
    config: &Config,
    cert: &Certificate,
    uses: &[Use],
    now: OffsetDateTime,
    out: &mut Vec<Finding>,
) {
    if !uses
        .iter()
        .any(|u| u.conn.hybrid() || u.conn.port25() == Some(true))
    {
        return;
    }
    let Some(rt) = cert.root_ca_type.as_deref().map(str::trim) else {
        return;
    };
    let odd = rt.eq_ignore_ascii_case("Registry") || rt.eq_ignore_ascii_case("Unknown");
    if !odd || self_signed(cert, now) != Some(false) || status_in(cert, &["PendingRequest"]) {
        return;
    }
    let label = group_label(uses);
    let server = group_server(uses, cert);
    let mut evidence = vec![cert_line(config, cert, now), format!("RootCAType `{rt}`")];
    evidence.extend(use_lines(config, uses));
    evidence.push("A CA-issued certificate whose root Exchange does not see among the third-party roots shows RootCAType Registry or Unknown; hybrid mail from Exchange Online was seen stuck Pending in this state (Matt Allford 2016, citing KB 2879262)".to_string());
    let fix = root_type_fix(cert, &label, server.as_deref(), rt);
    out.push(Finding::new(
        Code::ExchangeCertificateRootType,
        Severity::Warn,
        label,
        Vec::new(),
        format!(
            "the certificate Exchange presents {} is CA-issued but shows RootCAType `{rt}`: Exchange does not see its root among the third-party roots",
            group_where(uses)
        ),
        evidence,
        fix,
    ));
}

/// R16's fix: import the root as a third-party root, then read RootCAType again.
fn root_type_fix(cert: &Certificate, label: &str, server: Option<&str>, rt: &str) -> Fix {
    let mut fix = Fix::new(
        Family::Exchange,
        "exchange_config::certificate_root_type",
        &[label, &thumb_words(cert), rt],
    )
    .tell(format!(
        "Import the issuing CA's root certificate into Third-Party Root Certification Authorities of the computer{} (export it from the certificate's chain first; the path is an example):",
        server.map(|s| format!(" {s}")).unwrap_or_default()
    ))
    .run(
        Shell::WindowsPowerShell,
        r"Import-Certificate -FilePath 'C:\certs\root.cer' -CertStoreLocation Cert:\LocalMachine\AuthRoot",
    )
    .tell("Then check that RootCAType reads ThirdParty:");
    fix = match thumb(cert) {
        Some(t) => fix.run(
            EMS,
            format!(
                "Get-ExchangeCertificate{} -Thumbprint {} | fl Thumbprint,RootCAType,Status",
                server_arg(server),
                q(&t)
            ),
        ),
        None => fix.run(
            EMS,
            format!(
                "Get-ExchangeCertificate{} | fl Thumbprint,Subject,RootCAType,Status",
                server_arg(server)
            ),
        ),
    };
    fix
}

/// R16 for a paste of certificates without any receive connector: which certificate a
/// connector presents is unknown, so a CA-issued SMTP certificate whose RootCAType is
/// `Registry` or `Unknown` is a warning about that certificate, said as such.
fn lone_root_type(config: &Config, now: OffsetDateTime, out: &mut Vec<Finding>) {
    if !config.receive_connectors.is_empty() {
        return;
    }
    for cert in &config.certificates {
        let Some(rt) = cert.root_ca_type.as_deref().map(str::trim) else {
            continue;
        };
        let odd = rt.eq_ignore_ascii_case("Registry") || rt.eq_ignore_ascii_case("Unknown");
        if !odd
            || self_signed(cert, now) != Some(false)
            || has_smtp(cert) != Some(true)
            || status_in(cert, &["PendingRequest"])
        {
            continue;
        }
        let server = cert.server.as_ref().map(|s| s.name().to_string());
        let label = match &server {
            Some(s) => format!("{} on {s}", thumb_words(cert)),
            None => thumb_words(cert),
        };
        let evidence = vec![
            cert_line(config, cert, now),
            format!("RootCAType `{rt}`"),
            "no receive connector was pasted, so whether a connector presents this certificate is not known".to_string(),
            "A CA-issued certificate whose root Exchange does not see among the third-party roots shows RootCAType Registry or Unknown; hybrid mail from Exchange Online was seen stuck Pending in this state (Matt Allford 2016, citing KB 2879262)".to_string(),
        ];
        out.push(Finding::new(
            Code::ExchangeCertificateRootType,
            Severity::Warn,
            label.clone(),
            Vec::new(),
            format!(
                "the SMTP certificate {} is CA-issued but shows RootCAType `{rt}`: if a hybrid connector presents it, mail from Exchange Online can stay Pending",
                match (thumb(cert), &cert.issuer) {
                    (None, Some(issuer)) => format!("issued by `{}`", issuer.value),
                    _ => thumb_words(cert),
                }
            ),
            evidence,
            root_type_fix(cert, &label, server.as_deref(), rt),
        ));
    }
}

/// `CN=WMSvc-SHA2-<server>` (or `CN=WMSvc-<server>`): the self-signed certificate setup
/// creates for the Web Management Service on every server.
fn is_wmsvc(cert: &Certificate) -> bool {
    cert.subject
        .as_ref()
        .is_some_and(|s| s.value.trim().to_ascii_lowercase().starts_with("cn=wmsvc-"))
}

/// The list is plainly a server's whole `Get-ExchangeCertificate` output, not a filtered one
/// (`-Thumbprint`, `-DomainName`, `Where-Object`) nor one cut by the input limit: more than one
/// certificate, and among them the Auth certificate or the WMSvc certificate that setup puts on
/// every server.
fn whole_list(config: &Config, certs: &[&Certificate]) -> bool {
    certs.len() > 1
        && certs.iter().any(|c| is_auth_certificate(c) || is_wmsvc(c))
        && !certs.iter().any(|c| {
            config
                .inputs
                .get(c.origin.loc.input)
                .is_some_and(|i| i.truncated)
        })
}

/// The pasted certificates grouped by the server they belong to (`None`: the list names none).
fn by_server(config: &Config) -> Vec<(Option<String>, Vec<&Certificate>)> {
    let mut groups: Vec<(Option<String>, Vec<&Certificate>)> = Vec::new();
    for cert in &config.certificates {
        let server = cert.server.as_ref().map(|s| s.name().to_string());
        let found = groups.iter_mut().find(|(s, _)| match (s, &server) {
            (Some(a), Some(b)) => same_server(a, b),
            (None, None) => true,
            _ => false,
        });
        match found {
            Some((_, certs)) => certs.push(cert),
            None => groups.push((server, vec![cert])),
        }
    }
    groups
}

/// A certificate list without any receive connector whose SMTP certificates are all
/// self-signed: whichever connector Exchange Online delivers to presents one Exchange Online
/// refuses. Said only of a list that is plainly the server's whole list ([`whole_list`]).
fn lone_no_ca_smtp(config: &Config, now: OffsetDateTime, out: &mut Vec<Finding>) {
    if !config.receive_connectors.is_empty() {
        return;
    }
    for (server, certs) in by_server(config) {
        if !whole_list(config, &certs)
            || certs
                .iter()
                .any(|c| self_signed(c, now).is_none() || has_smtp(c).is_none())
        {
            continue;
        }
        let ca: Vec<&Certificate> = certs
            .iter()
            .copied()
            .filter(|c| self_signed(c, now) == Some(false) && !is_auth_certificate(c))
            .collect();
        if ca
            .iter()
            .any(|c| has_smtp(c) == Some(true) && usable(c, now) && status_valid(c) != Some(false))
        {
            continue;
        }
        out.push(no_ca_smtp(config, server.as_deref(), &certs, &ca, now));
    }
}

/// The finding for one server's list in which no CA-issued certificate is enabled for SMTP
/// (`ca`: its CA-issued certificates).
fn no_ca_smtp(
    config: &Config,
    server: Option<&str>,
    certs: &[&Certificate],
    ca: &[&Certificate],
    now: OffsetDateTime,
) -> Finding {
    let on = server.map_or_else(
        || "the server this list comes from".to_string(),
        str::to_string,
    );
    let label = server.map_or_else(
        || "the pasted certificate list".to_string(),
        |s| format!("certificates of {s}"),
    );
    let mut evidence: Vec<String> = certs
        .iter()
        .map(|c| format!("{} — {}", cert_line(config, c, now), smtp_role(c, now)))
        .collect();
    evidence.push("no receive connector was pasted, so which certificate a connector presents is not known; without a CA-issued certificate enabled for SMTP it can only be a self-signed one".to_string());
    evidence.push("Exchange Online accepts only a certificate from a public CA on the hybrid connectors (Microsoft Learn: Certificate requirements for hybrid deployments)".to_string());
    let sarg = server_arg(server);
    let mut fix = Fix::new(
        Family::Exchange,
        "exchange_config::no_ca_smtp_certificate",
        &[&label],
    );
    let enable: Vec<&&Certificate> = ca
        .iter()
        .filter(|c| has_smtp(c) == Some(false) && usable(c, now) && status_valid(c) != Some(false))
        .collect();
    match enable.as_slice() {
        [one] => {
            fix = fix.tell(format!(
                "{} is CA-issued and valid but not enabled for SMTP. If it carries the name Exchange Online connects to (the hybrid smart host), enable it:",
                subject_words(one, now)
            ));
            fix = enable_smtp(fix, one, &sarg, true);
        }
        _ => {
            fix = fix.tell(format!(
                "Install a certificate from a public CA on {on} that carries the name Exchange Online connects to (the hybrid smart host, such as mail.contoso.com): request it (New-ExchangeCertificate -GenerateRequest{sarg}), import the CA's answer (Import-ExchangeCertificate{sarg}) and enable it for SMTP (Enable-ExchangeCertificate{sarg} -Services SMTP, answering No to the prompt about the default SMTP certificate)."
            ));
        }
    }
    fix = fix.tell("Then name it on the hybrid receive and send connectors: re-run the Hybrid Configuration Wizard, or paste Get-ReceiveConnector | fl to get the exact commands.");
    Finding::new(
        Code::ExchangeCertificateUnusable,
        Severity::Warn,
        label,
        Vec::new(),
        format!(
            "no CA-issued certificate is enabled for SMTP on {on}: a hybrid connector cannot present a trusted certificate"
        ),
        evidence,
        fix,
    )
}

/// What a certificate is to STARTTLS, in words: the Auth certificate, self-signed, or
/// CA-issued and why it cannot serve.
fn smtp_role(c: &Certificate, now: OffsetDateTime) -> &'static str {
    if is_auth_certificate(c) {
        "the Auth certificate, never presented for STARTTLS"
    } else if self_signed(c, now) == Some(true) {
        if has_smtp(c) == Some(true) {
            "self-signed, enabled for SMTP"
        } else {
            "self-signed"
        }
    } else if has_smtp(c) == Some(false) {
        "CA-issued, not enabled for SMTP"
    } else if expired(c, now) == Some(true) {
        "CA-issued, expired"
    } else {
        "CA-issued, not usable"
    }
}

/// R24.
fn weak(
    config: &Config,
    cert: &Certificate,
    uses: &[Use],
    now: OffsetDateTime,
    out: &mut Vec<Finding>,
) {
    let flaws = weaknesses(cert, now);
    if flaws.is_empty() {
        return;
    }
    let label = group_label(uses);
    let server = group_server(uses, cert);
    let mut evidence = vec![cert_line(config, cert, now)];
    if cert.der.is_none() {
        evidence.push(format!(
            "PublicKeySize `{}` (the signature algorithm is known only from the collection script's JSON)",
            cert.public_key_size.unwrap_or_default()
        ));
    }
    evidence.extend(use_lines(config, uses));
    evidence.push("Senders and clients that enforce current minimums (RSA 2048 bits, SHA-256) refuse it; HealthChecker flags the same".to_string());
    let fix = Fix::new(
        Family::Exchange,
        "exchange_config::certificate_weak",
        &[&label, &thumb_words(cert), &flaws.join("; ")],
    );
    let fix = renew_stronger(fix, cert, server.as_deref());
    out.push(Finding::new(
        Code::ExchangeCertificateWeak,
        Severity::Warn,
        label,
        Vec::new(),
        format!(
            "the certificate Exchange presents {} is weak: {}",
            group_where(uses),
            join_and(&flaws)
        ),
        evidence,
        fix,
    ));
}

/// What makes the certificate weak: a short key, a weak signature (known only from the
/// certificate itself), or a short PublicKeySize.
fn weaknesses(cert: &Certificate, now: OffsetDateTime) -> Vec<String> {
    let mut flaws = Vec::new();
    if let Some(info) = parsed(cert, now) {
        if info.weak_key() {
            flaws.push(format!("a {}-bit {} key", info.key_bits, info.key_type));
        }
        if info.weak_signature() {
            flaws.push(format!("a {} signature", info.signature_algorithm));
        }
    } else if let Some(bits) = cert.public_key_size {
        // 256, 384 and 521 are elliptic-curve sizes: without the certificate itself the key
        // type is unknown, and those are strong.
        if bits < 2048 && ![256, 384, 521].contains(&bits) {
            flaws.push(format!("a {bits}-bit key"));
        }
    }
    flaws
}

/// R24's fix: a renewal request with a 2048-bit key, saved for the CA.
fn renew_stronger(fix: Fix, cert: &Certificate, server: Option<&str>) -> Fix {
    let fix = fix.tell(format!(
        "Renew it with a 2048-bit (or larger) RSA key and a SHA-256 signature{}: create the request, send it to the CA, import the result, enable it for SMTP (answer No to the prompt about the default SMTP certificate) and name it on the connector:",
        server.map(|s| format!(" on {s}")).unwrap_or_default()
    ));
    match thumb(cert) {
        // New-ExchangeCertificate runs on the local server unless told otherwise: the piped
        // certificate does not carry the server (Microsoft Learn: New-ExchangeCertificate).
        Some(t) => fix
            .run(
                EMS,
                format!(
                    "$req = Get-ExchangeCertificate{sarg} -Thumbprint {} | New-ExchangeCertificate{sarg} -GenerateRequest -KeySize 2048",
                    q(&t),
                    sarg = server_arg(server),
                ),
            )
            .tell("Save the request for the CA (the path is an example):")
            .run(
                EMS,
                r"[System.IO.File]::WriteAllBytes('C:\certs\renewal.req', [System.Text.Encoding]::Unicode.GetBytes($req))",
            ),
        None => fix.tell("New-ExchangeCertificate -GenerateRequest -KeySize 2048 (with the certificate's names)"),
    }
}

// ---------------------------------------------------------------------------------------
// R5: the servers' port-25 connectors differ
// ---------------------------------------------------------------------------------------

/// A TlsCertificateName as compared between servers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum NameKey {
    Unset,
    Parsed { key: String, glued: bool },
    Raw(String),
}

/// `cn=mail.contoso.com,o=contoso`: a distinguished name as R5 compares it between servers,
/// each value as the selection compares it ([`fold`]). A key rather than [`select::same_dn`]:
/// each name keeps its own `wrapped`, and a glued name is compared by prefix ([`same_name`]).
fn dn_key(dn: &Dn, wrapped: bool) -> String {
    dn.rdns
        .iter()
        .map(|r| format!("{}={}", r.kind, fold(&r.value, wrapped)))
        .collect::<Vec<_>>()
        .join(",")
}

fn name_key(c: &Conn) -> NameKey {
    match &c.rc.tls_certificate_name {
        None => NameKey::Unset,
        Some(t) => match parse_tls_name(t, c.rc.origin.format) {
            Ok(n) => NameKey::Parsed {
                key: format!(
                    "<i>{}<s>{}",
                    dn_key(&n.issuer, n.wrapped),
                    dn_key(&n.subject, n.wrapped)
                ),
                glued: n.glued,
            },
            Err(_) => NameKey::Raw(fold(&t.value, t.wrapped)),
        },
    }
}

/// The same name, allowing for prose glued onto one of them.
fn same_name(a: &NameKey, b: &NameKey) -> bool {
    match (a, b) {
        (NameKey::Parsed { key: ka, glued: ga }, NameKey::Parsed { key: kb, glued: gb }) => {
            match (ga, gb) {
                (true, false) => ka.starts_with(kb.as_str()),
                (false, true) => kb.starts_with(ka.as_str()),
                _ => ka == kb,
            }
        }
        _ => a == b,
    }
}

fn caps_key(c: &Conn) -> Option<Vec<String>> {
    let l = c.rc.tls_domain_capabilities.as_ref()?;
    if l.truncated {
        return None;
    }
    let mut v: Vec<String> = l
        .items
        .iter()
        .map(|i| i.trim().to_ascii_lowercase())
        .collect();
    v.sort();
    Some(v)
}

fn outcome_words(sel: &Selection, now: OffsetDateTime) -> String {
    match sel {
        Selection::Chosen { cert, .. } => format!(
            "selects {} ({})",
            thumb_words(cert),
            subject_words(cert, now)
        ),
        Selection::NotFound { .. } => {
            "selects no certificate (no STARTTLS, Event 12014)".to_string()
        }
        Selection::Invalid(_) => "has a TlsCertificateName that cannot be read".to_string(),
        Selection::Unknown(_) => "selects a certificate the paste does not show".to_string(),
    }
}

fn caps_args(items: &[String]) -> Option<String> {
    let quoted: Option<Vec<String>> = items.iter().map(|i| ps_quote(i.trim())).collect();
    quoted.filter(|q| !q.is_empty()).map(|q| q.join(","))
}

/// The server whose connector works, as R5's model for the others.
struct DriftRef<'r, 'a> {
    server: &'r str,
    conn: &'r Conn<'a>,
    cert: Option<&'a Certificate>,
    /// Its certificate's `<I>…<S>…`, quoted for a command.
    name: Option<String>,
    /// Its TlsCertificateName, parsed.
    tls: Option<TlsName>,
}

/// R5's steps for one other server `s`: its connector made like the reference. Never a value
/// the connector already has (a server that names the same certificate but lacks it needs the
/// certificate, which R1 says), and never a certificate the server may lack without the copy
/// first: naming one it lacks stops STARTTLS there (Event 12014).
fn drift_steps(
    mut fix: Fix,
    config: &Config,
    r: &DriftRef,
    s: &str,
    conn: &Conn,
    caps_differ: bool,
    now: OffsetDateTime,
) -> Fix {
    let mut args = Vec::new();
    let renaming = !same_name(&name_key(conn), &name_key(r.conn)) && r.name.is_some();
    if renaming && let Some(v) = &r.name {
        args.push(format!("-TlsCertificateName {v}"));
    }
    // Whether `s` holds the reference certificate: `None` when its list was not pasted.
    let holds = match (&r.tls, renaming) {
        (Some(name), true) => {
            let sc = select::scope(config, Some(s));
            sc.complete
                .then(|| sc.certs.iter().any(|x| names_exactly(name, x, now)))
        }
        _ => Some(true),
    };
    if holds == Some(false)
        && let Some(x) = r.cert
    {
        fix = fix.tell(format!("{s} does not hold the certificate yet."));
        fix = copy_certificate_steps(fix, x, r.server, s, now);
    }
    if caps_differ
        && let (Some(rc), Some(oc)) = (caps_key(r.conn), caps_key(conn))
        && rc != oc
        && let Some(a) = r
            .conn
            .rc
            .tls_domain_capabilities
            .as_ref()
            .and_then(|l| caps_args(&l.items))
    {
        args.push(format!("-TlsDomainCapabilities {a}"));
    }
    if args.is_empty() {
        return fix;
    }
    let Some(t) = receive_connector_target(conn.rc) else {
        return fix.tell(format!(
            "On {s}: Set-ReceiveConnector <its Default Frontend connector> {}",
            args.join(" ")
        ));
    };
    fix = target_note(fix, conn, Some(&t));
    let set = t.command("Set-ReceiveConnector", &args.join(" "));
    let warning = ps_quote(&format!(
        "{s} lacks the certificate: copy it from {} first",
        r.server
    ));
    match (holds, r.cert.and_then(thumb), ps_quote(s), warning) {
        (Some(_), ..) => fix.run(EMS, set),
        (None, Some(tp), Some(qs), Some(w)) => fix
            .tell(format!(
                "{s}'s certificates were not pasted: the command changes the connector only if {s} holds the certificate, since naming one it lacks would stop STARTTLS there (Event 12014)."
            ))
            .run(
                EMS,
                format!(
                    "if (Get-ExchangeCertificate -Server {qs} -Thumbprint {} -ErrorAction SilentlyContinue) {{ {set} }} else {{ Write-Warning {w} }}",
                    q(&tp)
                ),
            ),
        (None, ..) => fix.tell(format!(
            "{s}'s certificates were not pasted: check that {s} holds the certificate before naming it (naming one it lacks stops STARTTLS there, Event 12014), then: {set}"
        )),
    }
}

/// R5.
fn server_drift(config: &Config, evals: &[Eval], now: OffsetDateTime, out: &mut Vec<Finding>) {
    let per = port25_frontends(config, evals);
    if per.len() < 2 {
        return;
    }
    let (mut what, caps_differ) = drift_what(&per);
    // The same name everywhere and one server without the certificate is R1 on that server
    // (with the copy to make), not drift between the connectors.
    if what.is_empty() {
        return;
    }
    let found = |e: &Eval| match e.sel {
        Selection::Chosen { .. } => Some(true),
        Selection::NotFound { .. } | Selection::Invalid(_) => Some(false),
        Selection::Unknown(_) => None,
    };
    let outcome_differs = per.iter().any(|(_, e)| found(e) == Some(true))
        && per.iter().any(|(_, e)| found(e) == Some(false));
    if outcome_differs {
        what.push("whether the certificate is found");
    }
    let servers: Vec<&str> = per.iter().map(|(s, _)| s.as_str()).collect();
    let mut evidence: Vec<String> = per
        .iter()
        .map(|(s, e)| drift_line(config, s, e, now))
        .collect();
    evidence.push("The certificate for hybrid mail flow must be on every server that receives from Exchange Online, and each server's connector must name it: otherwise delivery depends on which server answers (Microsoft Learn: Certificate requirements for hybrid deployments)".to_string());
    let label = format!("Default Frontend connectors of {}", join_and(&servers));
    let fix = drift_fix(config, &per, (&label, &what), caps_differ, now);
    out.push(Finding::new(
        Code::ExchangeReceiveServerDrift,
        Severity::Warn,
        label,
        Vec::new(),
        format!(
            "the port-25 Default Frontend connectors of {} differ ({}): whether mail from Exchange Online gets TLS depends on which server answers",
            join_and(&servers),
            join_and(&what)
        ),
        evidence,
        fix,
    ));
}

/// The port-25 Default Frontend connector of each server, one per server (the first in the
/// paste). With a hybrid configuration, only its receiving servers take Exchange Online's
/// mail: a branch server's Default Frontend may differ on purpose (Microsoft Learn:
/// Certificate requirements for hybrid deployments).
fn port25_frontends<'e, 'c, 'a>(
    config: &Config,
    evals: &'e [Eval<'c, 'a>],
) -> Vec<(String, &'e Eval<'c, 'a>)> {
    let receiving: Option<&List> = config.hybrid.iter().find_map(|h| {
        h.receiving_transport_servers
            .as_ref()
            .filter(|l| !l.items.is_empty() && !l.truncated)
    });
    let mut per: Vec<(String, &Eval)> = Vec::new();
    for e in evals.iter().filter(|e| e.conn.default_frontend_25()) {
        let Some(s) = &e.conn.server else { continue };
        if receiving.is_some_and(|l| l.any(|i| same_server(i, s)) == Some(false)) {
            continue;
        }
        if !per.iter().any(|(x, _)| same_server(x, s)) {
            per.push((s.clone(), e));
        }
    }
    per
}

/// What differs between the servers' connectors (`TlsCertificateName`,
/// `TlsDomainCapabilities`), and whether the capabilities do (as far as the paste shows them).
fn drift_what(per: &[(String, &Eval)]) -> (Vec<&'static str>, bool) {
    let mut what = Vec::new();
    let names: Vec<NameKey> = per.iter().map(|(_, e)| name_key(e.conn)).collect();
    if names.iter().any(|a| !same_name(a, &names[0])) {
        what.push("TlsCertificateName");
    }
    let caps: Vec<Option<Vec<String>>> = per.iter().map(|(_, e)| caps_key(e.conn)).collect();
    let shown: Vec<&Vec<String>> = caps.iter().flatten().collect();
    let caps_differ = shown.iter().any(|c| *c != shown[0]);
    if caps_differ {
        what.push("TlsDomainCapabilities");
    }
    (what, caps_differ)
}

/// `connectors.txt:3: SRV1\Default Frontend SRV1 (SRV1): TlsCertificateName `…`;
/// TlsDomainCapabilities `{…}`; selects …`.
fn drift_line(config: &Config, s: &str, e: &Eval, now: OffsetDateTime) -> String {
    let rc = e.conn.rc;
    format!(
        "{}: {} ({s}): TlsCertificateName {}; TlsDomainCapabilities {}; {}",
        config.at(e.conn.loc()),
        e.conn.label,
        rc.tls_certificate_name.as_ref().map_or_else(
            || "not set".to_string(),
            |t| format!("`{}`", t.value.trim())
        ),
        rc.tls_domain_capabilities.as_ref().map_or_else(
            || "not pasted".to_string(),
            |l| format!(
                "`{{{}}}`{}",
                l.items.join(", "),
                if l.truncated {
                    " (cut by the paste)"
                } else {
                    ""
                }
            )
        ),
        outcome_words(&e.sel, now)
    )
}

/// R5's fix: every other server's connector made like the one that works, or, when none
/// does, one fixed first; or the wizard run again.
fn drift_fix(
    config: &Config,
    per: &[(String, &Eval)],
    (label, what): (&str, &[&str]),
    caps_differ: bool,
    now: OffsetDateTime,
) -> Fix {
    let mut fix = Fix::new(
        Family::Exchange,
        "exchange_config::receive_server_drift",
        &[label, &what.join(", ")],
    );
    match drift_reference(per, now) {
        Some(reference) => {
            fix = fix.tell(format!(
                "Make every server's connector like {}'s, which works.",
                reference.server
            ));
            for (s, e) in per
                .iter()
                .filter(|(s, _)| !same_server(s, reference.server))
            {
                fix = drift_steps(fix, config, &reference, s, e.conn, caps_differ, now);
            }
        }
        None => {
            fix = fix.tell("No server's connector selects a certificate in the paste: fix one (see the other findings), then make the others like it.");
        }
    }
    fix.tell("Or re-run the Hybrid Configuration Wizard with all these servers selected as receiving transport servers.")
}

/// The server whose connector works, as the model for the others: one that selects a
/// certificate by its TlsCertificateName, else one that selects a certificate at all.
fn drift_reference<'r, 'a>(
    per: &'r [(String, &Eval<'r, 'a>)],
    now: OffsetDateTime,
) -> Option<DriftRef<'r, 'a>> {
    let (rs, re) = per
        .iter()
        .find(|(_, e)| {
            matches!(e.sel, Selection::Chosen { .. }) && e.conn.rc.tls_certificate_name.is_some()
        })
        .or_else(|| {
            per.iter()
                .find(|(_, e)| matches!(e.sel, Selection::Chosen { .. }))
        })?;
    let cert = match &re.sel {
        Selection::Chosen { cert, .. } => Some(*cert),
        _ => None,
    };
    let rc = re.conn.rc;
    Some(DriftRef {
        server: rs,
        conn: re.conn,
        cert,
        name: cert
            .filter(|_| rc.tls_certificate_name.is_some())
            .and_then(|x| tls_name_of(x, now))
            .and_then(|v| ps_quote(&v)),
        tls: rc
            .tls_certificate_name
            .as_ref()
            .and_then(|t| parse_tls_name(t, rc.origin.format).ok()),
    })
}

// ---------------------------------------------------------------------------------------
// R13: the hybrid connector without the cloud capability
// ---------------------------------------------------------------------------------------

fn cloud_domain(config: &Config) -> &'static str {
    // ServiceInstance 1 is Exchange Online operated by 21Vianet (HealthChecker).
    if config
        .hybrid
        .iter()
        .any(|h| h.service_instance.as_deref().map(str::trim) == Some("1"))
    {
        CLOUD_DOMAINS[1]
    } else {
        CLOUD_DOMAINS[0]
    }
}

/// R13.
fn cloud_capability(config: &Config, conns: &[Conn], out: &mut Vec<Finding>) {
    if !org_hybrid(config) {
        return;
    }
    let receiving: Option<&List> = config.hybrid.iter().find_map(|h| {
        h.receiving_transport_servers
            .as_ref()
            .filter(|l| !l.items.is_empty() || l.truncated)
    });
    let edge = config.hybrid.iter().any(|h| {
        h.edge_transport_servers
            .as_ref()
            .is_some_and(|l| !l.items.is_empty())
    });
    if edge && receiving.is_none() {
        // Exchange Online delivers to the Edge servers; their connectors are not in scope here.
        return;
    }
    let value = format!("{}:AcceptCloudServicesMail", cloud_domain(config));
    for c in conns.iter().filter(|c| c.default_frontend_25()) {
        let Some(caps) = &c.rc.tls_domain_capabilities else {
            continue;
        };
        if let Some(list) = receiving {
            let ask = "Paste Get-ReceiveConnector | fl with Identity (or Server) and Get-HybridConfiguration | fl ReceivingTransportServers in full.";
            match &c.server {
                None => {
                    out.push(inconclusive(
                        config,
                        &c.label,
                        "whether this connector receives Exchange Online's mail",
                        "it names no server, so whether its server is among the hybrid configuration's ReceivingTransportServers is unknown",
                        c.loc(),
                        ask,
                    ));
                    continue;
                }
                Some(s) => match list.any(|i| same_server(i, s)) {
                    Some(true) => {}
                    Some(false) => continue,
                    None => {
                        out.push(inconclusive(
                            config,
                            &c.label,
                            "whether this connector receives Exchange Online's mail",
                            &format!(
                                "the hybrid configuration's ReceivingTransportServers list is cut, and {s} is not among the servers shown"
                            ),
                            list.loc,
                            ask,
                        ));
                        continue;
                    }
                },
            }
        }
        match cloud_capable(caps) {
            Some(true) => {}
            None => out.push(inconclusive(
                config,
                &c.label,
                "whether the hybrid connector accepts Exchange Online's mail as your organization's",
                &format!("its TlsDomainCapabilities list is cut, and {value} is not among the items shown"),
                caps.loc,
                "Paste Get-ReceiveConnector | fl Identity,TlsDomainCapabilities with $FormatEnumerationLimit = -1 first.",
            )),
            Some(false) => out.push(no_cloud(config, c, caps, &value)),
        }
    }
}

fn no_cloud(config: &Config, c: &Conn, caps: &List, value: &str) -> Finding {
    let domain = value.split(':').next().unwrap_or_default().to_string();
    let mut items: Vec<String> = caps
        .items
        .iter()
        .filter(|i| {
            !i.trim()
                .to_ascii_lowercase()
                .starts_with(&format!("{domain}:"))
        })
        .cloned()
        .collect();
    items.push(value.to_string());
    let evidence = vec![
        format!(
            "{}: TlsDomainCapabilities `{{{}}}`",
            config.at(caps.loc),
            caps.items.join(", ")
        ),
        "the paste shows a hybrid deployment (a hybrid configuration, or an Exchange Online connector of type OnPremises)".to_string(),
        format!("The Hybrid Configuration Wizard sets {value} on the Default Frontend connector of every receiving server: with it, Exchange Online's mail authenticated by TLS keeps its cross-premises headers and counts as internal"),
    ];
    let target = receive_connector_target(c.rc);
    let mut fix = Fix::new(
        Family::Exchange,
        "exchange_config::receive_cloud_capability",
        &[&c.label, value],
    );
    fix = target_note(fix, c, target.as_ref());
    fix = match (target, caps_args(&items)) {
        (Some(t), Some(a)) => {
            if items.len() > 1 {
                fix = fix.tell("The command keeps the capabilities it has (the parameter replaces the whole list):");
            }
            fix.run(
                EMS,
                t.command("Set-ReceiveConnector", &format!("-TlsDomainCapabilities {a}")),
            )
        }
        _ => fix.tell(format!(
            "Set TlsDomainCapabilities of this connector to include '{value}' (Set-ReceiveConnector <its Identity> -TlsDomainCapabilities …)."
        )),
    };
    fix = fix.tell("Or re-run the Hybrid Configuration Wizard, which sets it.");
    Finding::new(
        Code::ExchangeReceiveNoCloudCapability,
        Severity::Warn,
        c.label.clone(),
        Vec::new(),
        format!(
            "mail from Exchange Online to {} loses its cross-premises status: TlsDomainCapabilities lacks {value}",
            c.label
        ),
        evidence,
        fix,
    )
}

// ---------------------------------------------------------------------------------------
// R23: the Edge servers and the hybrid certificate
// ---------------------------------------------------------------------------------------

/// R23.
fn edge_drift(config: &Config, now: OffsetDateTime, out: &mut Vec<Finding>) {
    if config.certificates.is_empty() {
        return;
    }
    for hc in &config.hybrid {
        let Some(edges) = hc.edge_transport_servers.as_ref() else {
            continue;
        };
        let Some(text) = &hc.tls_certificate_name else {
            continue;
        };
        let Ok(name) = parse_tls_name(text, hc.origin.format) else {
            // The cross-premises rules judge the hybrid configuration's own name.
            continue;
        };
        if edges.truncated {
            out.push(inconclusive(
                config,
                "Edge Transport servers",
                "whether every Edge server holds the hybrid certificate",
                "the hybrid configuration's EdgeTransportServers list is cut",
                edges.loc,
                "Paste Get-HybridConfiguration | fl EdgeTransportServers with $FormatEnumerationLimit = -1 first.",
            ));
        }
        // The certificate itself, wherever the paste shows it: its thumbprint names it on the Edge.
        let source = config
            .certificates
            .iter()
            .find(|x| names_exactly(&name, x, now));
        for edge in &edges.items {
            let mine: Vec<&Certificate> = config
                .certificates
                .iter()
                .filter(|x| {
                    x.server
                        .as_ref()
                        .is_some_and(|s| same_server(s.name(), edge))
                })
                .collect();
            if mine.is_empty() {
                out.push(inconclusive(
                    config,
                    edge,
                    &format!("whether {edge} holds the hybrid certificate"),
                    &format!("no Get-ExchangeCertificate output of {edge} was pasted"),
                    edges.loc,
                    &format!("Run Get-ExchangeCertificate | fl on {edge} itself (an Edge server is not domain-joined) and paste it with --server {edge}."),
                ));
                continue;
            }
            let matches: Vec<NameMatch> = mine.iter().map(|x| compare(&name, x, now)).collect();
            if matches
                .iter()
                .any(|m| matches!(m, NameMatch::Exact | NameMatch::IfGlued))
            {
                continue;
            }
            if matches.contains(&NameMatch::Unknown) {
                out.push(inconclusive(
                    config,
                    edge,
                    &format!("whether {edge} holds the hybrid certificate"),
                    "some of its certificates show no issuer or subject (table view?)",
                    mine[0].origin.loc,
                    &format!("Paste Get-ExchangeCertificate | fl from {edge}."),
                ));
                continue;
            }
            out.push(edge_missing(
                config, text, edge, &mine, &matches, source, now,
            ));
        }
    }
}

fn edge_missing(
    config: &Config,
    text: &Text,
    edge: &str,
    mine: &[&Certificate],
    matches: &[NameMatch],
    source: Option<&Certificate>,
    now: OffsetDateTime,
) -> Finding {
    let mut evidence = vec![format!(
        "{}: the hybrid configuration's TlsCertificateName `{}`, EdgeTransportServers lists {edge}",
        config.at(text.loc),
        text.value.trim()
    )];
    for (x, m) in mine.iter().zip(matches) {
        let how = match m {
            NameMatch::Near(n) => format!("near miss: {}", n.describe()),
            _ => "no match".to_string(),
        };
        evidence.push(format!("{} — {how}", cert_line(config, x, now)));
    }
    evidence.push("Every Edge server must hold a certificate with the same issuer and subject as the hybrid certificate (Microsoft Learn: Certificate requirements for hybrid deployments)".to_string());
    let src_server = source.and_then(|s| s.server.as_ref().map(|n| n.name().to_string()));
    let mut fix = Fix::new(
        Family::Exchange,
        "exchange_config::edge_certificate",
        &[edge, &source.map(thumb_words).unwrap_or_default()],
    );
    match source.and_then(thumb) {
        Some(t) => {
            fix = fix
                .tell(format!(
                    "Export the hybrid certificate with its private key{} (the path is an example):",
                    src_server.as_deref().map(|s| format!(" from {s}")).unwrap_or_default()
                ))
                .run(
                    EMS,
                    format!(
                        "$b = Export-ExchangeCertificate{} -Thumbprint {} -BinaryEncoded -Password (Read-Host -AsSecureString)",
                        server_arg(src_server.as_deref()),
                        q(&t)
                    ),
                )
                .run(EMS, format!("[System.IO.File]::WriteAllBytes('{PFX}', $b.FileData)"))
                .tell(format!("Copy the file to {edge}, and in the Exchange Management Shell there:"))
                .run(
                    EMS,
                    format!("Import-ExchangeCertificate -FileData ([System.IO.File]::ReadAllBytes('{PFX}')) -Password (Read-Host -AsSecureString)"),
                )
                .run(EMS, format!("Enable-ExchangeCertificate -Thumbprint {} -Services SMTP", q(&t)))
                .tell("Answer No when asked to overwrite the default SMTP certificate: the Edge subscription relies on it.");
        }
        None => {
            fix = fix.tell(format!(
                "Export the hybrid certificate (the one its TlsCertificateName names) with its private key from a Mailbox server, import it on {edge} (Import-ExchangeCertificate, run on the Edge server) and enable it for SMTP (Enable-ExchangeCertificate -Services SMTP, answering No to the prompt about the default SMTP certificate)."
            ));
        }
    }
    fix = fix.tell("Then re-run the Hybrid Configuration Wizard.");
    Finding::new(
        Code::ExchangeEdgeCertificateDrift,
        Severity::Warn,
        edge.to_string(),
        Vec::new(),
        format!(
            "Edge server {edge} holds no certificate with the hybrid certificate's issuer and subject"
        ),
        evidence,
        fix,
    )
}

// ---------------------------------------------------------------------------------------
// R25: the internal transport certificate
// ---------------------------------------------------------------------------------------

/// R25.
fn internal_transport(config: &Config, out: &mut Vec<Finding>) {
    for ts in &config.transport_services {
        let (Some(server), Some(tp)) = (
            ts.name.as_deref(),
            ts.internal_transport_certificate_thumbprint.as_deref(),
        ) else {
            continue;
        };
        let tp = tp.trim();
        if tp.is_empty() {
            continue;
        }
        let mine: Vec<&Certificate> = config
            .certificates
            .iter()
            .filter(|x| {
                x.server
                    .as_ref()
                    .is_some_and(|s| same_server(ServerName::name(s), server))
            })
            .collect();
        // Only a list known to be this server's whole list can show the certificate is
        // missing: a `-Thumbprint` or `-DomainName` paste would make the fix replace a
        // working internal transport certificate.
        if !whole_list(config, &mine)
            || mine.iter().any(|x| {
                x.thumbprint
                    .as_deref()
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case(tp))
            })
        {
            continue;
        }
        let evidence = vec![
            format!(
                "{}: {server}: InternalTransportCertificateThumbprint `{tp}`",
                config.at(ts.origin.loc)
            ),
            format!(
                "none of the {} certificates pasted for {server} has this thumbprint",
                mine.len()
            ),
            "Without it Exchange logs Events 12012/12013 and offers no X-ANONYMOUSTLS between its servers; hybrid mail is not affected (Microsoft Learn: Inbound and Outbound Anonymous TLS certificate selection)".to_string(),
        ];
        let fix = Fix::new(
            Family::Exchange,
            "exchange_config::internal_transport_certificate",
            &[server, tp],
        )
        .tell(format!(
            "Create a new self-signed certificate on {server}, and this time answer Yes (Y) when asked to overwrite the existing default SMTP certificate: that makes it the internal transport certificate (Microsoft Learn: New-ExchangeCertificate)."
        ))
        .run(EMS, format!("New-ExchangeCertificate{}", server_arg(Some(server))))
        .tell("It commonly goes missing when old certificates are cleaned up: never remove the certificate InternalTransportCertificateThumbprint names.");
        out.push(Finding::new(
            Code::ExchangeInternalTransportCertificateMissing,
            Severity::Info,
            server.to_string(),
            Vec::new(),
            format!(
                "the internal transport certificate of {server} ({tp}) is not among its certificates: no X-ANONYMOUSTLS between servers (Events 12012/12013)"
            ),
            evidence,
            fix,
        ));
    }
}

#[cfg(test)]
#[path = "receive_tests.rs"]
mod tests;
