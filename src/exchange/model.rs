//! What `exchange-config` reads, as typed objects: certificates, connectors, the hybrid
//! configuration and accepted domains, each field with where it came from and how sure the
//! paste lets us be.
//!
//! `Format-List` text is lossy: collections are cut after four items, long values wrap,
//! dates are in the server's locale, the certificate list names no server, and forum copies
//! glue prose onto the last value. Every field therefore says what is uncertain about it, and
//! every field is optional: a table view, a `| fl Name,TlsCertificateName` or a half-pasted
//! object still yields what it holds. A rule whose input is uncertain says so (an
//! `exchange-check-inconclusive` finding), never FAIL.

use time::OffsetDateTime;

/// Where a record or a value was read: the input (its index in [`Config::inputs`]) and the
/// 1-based line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Loc {
    /// Index into [`Config::inputs`].
    pub input: usize,
    /// 1-based line number in that input (for JSON: the line the object starts on, or 0).
    pub line: usize,
}

/// How an input was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputFormat {
    /// `Format-List` text (`| fl`), aligned, collapsed or wrapped.
    #[default]
    FormatList,
    /// The default table view (`Get-ExchangeCertificate` without `| fl`).
    Table,
    /// The JSON our collection script writes (`starttls-check.exchange/1`).
    ScriptJson,
    /// Raw `ConvertTo-Json` of Exchange objects (PowerShell 5.1 or 7).
    RawJson,
}

/// Which cmdlet printed an object (recognised by its properties, or by a prompt line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cmdlet {
    /// `Get-ExchangeCertificate`.
    ExchangeCertificate,
    /// `Get-ReceiveConnector`.
    ReceiveConnector,
    /// `Get-SendConnector`.
    SendConnector,
    /// `Get-HybridConfiguration`.
    HybridConfiguration,
    /// `Get-InboundConnector` (Exchange Online).
    InboundConnector,
    /// `Get-OutboundConnector` (Exchange Online).
    OutboundConnector,
    /// `Get-AcceptedDomain` (Exchange Online, or on premises).
    AcceptedDomain,
    /// `Get-TransportService` (its `InternalTransportCertificateThumbprint`).
    TransportService,
}

impl Cmdlet {
    /// `Get-ReceiveConnector`.
    pub fn name(self) -> &'static str {
        match self {
            Cmdlet::ExchangeCertificate => "Get-ExchangeCertificate",
            Cmdlet::ReceiveConnector => "Get-ReceiveConnector",
            Cmdlet::SendConnector => "Get-SendConnector",
            Cmdlet::HybridConfiguration => "Get-HybridConfiguration",
            Cmdlet::InboundConnector => "Get-InboundConnector",
            Cmdlet::OutboundConnector => "Get-OutboundConnector",
            Cmdlet::AcceptedDomain => "Get-AcceptedDomain",
            Cmdlet::TransportService => "Get-TransportService",
        }
    }
}

/// Where an object came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Origin {
    /// Its first line.
    pub loc: Loc,
    /// How its input was written.
    pub format: InputFormat,
}

/// A text value as pasted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text {
    /// The value, continuation lines joined (see `wrapped`); never empty (an empty value is
    /// `None` in the object).
    pub value: String,
    /// Where it was read.
    pub loc: Loc,
    /// It was wrapped onto continuation lines and joined with one space: a space in it may
    /// not be the server's.
    pub wrapped: bool,
}

impl Text {
    /// A value read from nowhere in particular (tests, JSON without lines).
    #[cfg(test)]
    pub fn new(value: impl Into<String>) -> Text {
        Text {
            value: value.into(),
            loc: Loc::default(),
            wrapped: false,
        }
    }
}

/// A multi-valued property (`{a, b, c}`), as far as the paste shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct List {
    /// The items shown, in order, trimmed; `{}` is an empty list.
    pub items: Vec<String>,
    /// The list was cut (`...` or `…` at its end, `$FormatEnumerationLimit`): more items
    /// exist than are shown, so "X is not in the list" is unknown.
    pub truncated: bool,
    /// Where it was read.
    pub loc: Loc,
}

impl List {
    /// A complete list of `items` (tests, JSON).
    #[cfg(test)]
    pub fn of(items: &[&str]) -> List {
        List {
            items: items.iter().map(|s| (*s).to_string()).collect(),
            truncated: false,
            loc: Loc::default(),
        }
    }

    /// Whether `pred` holds for an item: `Some(true)` when a shown item matches,
    /// `Some(false)` when none does and the list is complete, `None` when none of the shown
    /// ones does but the list was cut.
    pub fn any(&self, pred: impl Fn(&str) -> bool) -> Option<bool> {
        if self.items.iter().any(|i| pred(i)) {
            Some(true)
        } else if self.truncated {
            None
        } else {
            Some(false)
        }
    }
}

/// A flags value (`Tls, Integrated, BasicAuth`; `IMAP, POP, IIS, SMTP`), as names. Numeric
/// values from raw PowerShell 5.1 JSON are turned into names where the bits are known.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Flags {
    /// The flag names, as printed (`Tls`, `SMTP`).
    pub names: Vec<String>,
    /// The value as read, for the evidence.
    pub raw: String,
    /// Some bits of a numeric value had no known name: `has` of an absent name is unknown.
    pub unknown_bits: bool,
}

impl Flags {
    /// Flags from `names` (tests).
    #[cfg(test)]
    pub fn of(names: &[&str]) -> Flags {
        Flags {
            names: names.iter().map(|s| (*s).to_string()).collect(),
            raw: names.join(", "),
            unknown_bits: false,
        }
    }

    /// Whether the flag `name` is set (case-insensitive): `None` when it is not among the
    /// names but unknown bits were set.
    pub fn has(&self, name: &str) -> Option<bool> {
        if self.names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            Some(true)
        } else if self.unknown_bits {
            None
        } else {
            Some(false)
        }
    }
}

/// A date as the server's locale printed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Date {
    /// One reading: ISO 8601, a day above 12, or settled by a twin (`…UTC`) property or the
    /// certificate's own bytes.
    Known(OffsetDateTime),
    /// `03/04/2026`: month-first and day-first readings differ, and nothing settled it.
    Ambiguous {
        /// The month-first (en-US) reading.
        month_first: OffsetDateTime,
        /// The day-first (en-GB, de-DE, fr-FR ...) reading.
        day_first: OffsetDateTime,
    },
}

impl Date {
    /// Both readings agree that the date is before `t` (`Some(true)`), after or at it
    /// (`Some(false)`), or they disagree (`None`).
    pub fn before(&self, t: OffsetDateTime) -> Option<bool> {
        match self {
            Date::Known(d) => Some(*d < t),
            Date::Ambiguous {
                month_first,
                day_first,
            } => {
                let (a, b) = (*month_first < t, *day_first < t);
                (a == b).then_some(a)
            }
        }
    }

    /// The earlier of the readings (the only one, when known).
    pub fn earliest(&self) -> OffsetDateTime {
        match self {
            Date::Known(d) => *d,
            Date::Ambiguous {
                month_first,
                day_first,
            } => (*month_first).min(*day_first),
        }
    }
}

/// How sure we are which server an object belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerName {
    /// Named by the object (`Identity : SRV\…`, `Server : SRV`, the script's `server`).
    Named(String),
    /// Given on the command line (`--server SRV`).
    Given(String),
    /// The paste names exactly one server elsewhere, and this object names none: it is
    /// taken to be that one (the report says so).
    Assumed(String),
}

impl ServerName {
    /// The name, however it was learnt.
    pub fn name(&self) -> &str {
        match self {
            ServerName::Named(s) | ServerName::Given(s) | ServerName::Assumed(s) => s,
        }
    }
}

/// Which properties an object's paste printed (`Name :` present, even with an empty value).
/// A forum paste of `| fl Identity,Bindings,Fqdn` prints no `TlsCertificateName`: that is
/// "not pasted", not "empty", and a rule must not read it as empty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Printed {
    /// The property names, as printed.
    pub names: Vec<String>,
}

impl Printed {
    /// Every property of a complete object (the collection script's JSON always writes all).
    pub fn all() -> Printed {
        Printed {
            names: vec!["*".to_string()],
        }
    }

    /// Whether `name` was printed (case-insensitive).
    pub fn has(&self, name: &str) -> bool {
        self.names
            .iter()
            .any(|n| n == "*" || n.eq_ignore_ascii_case(name))
    }
}

/// Whether an object's paste printed `name`: `true` when it did, or when what was printed is
/// not known (tests, older inputs).
pub fn printed(p: Option<&Printed>, name: &str) -> bool {
    p.is_none_or(|p| p.has(name))
}

/// One `Get-ExchangeCertificate` object.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Certificate {
    /// Where it was read.
    pub origin: Origin,
    /// The properties the paste printed (`None`: not known).
    pub printed: Option<Printed>,
    /// The server whose store holds it (`None`: unknown; `fl` does not print it).
    pub server: Option<ServerName>,
    /// `Thumbprint`: SHA-1 of the DER, 40 upper-case hex digits.
    pub thumbprint: Option<String>,
    /// `Subject`: a .NET X.500 string, most specific RDN first.
    pub subject: Option<Text>,
    /// `Issuer`.
    pub issuer: Option<Text>,
    /// `CertificateDomains` (`*.contoso.com` for a wildcard).
    pub domains: Option<List>,
    /// `Services` (`IMAP, POP, IIS, SMTP`; `None`).
    pub services: Option<Flags>,
    /// `Status` (`Valid`, `Invalid`, `RevocationCheckFailure`, `PendingRequest`...).
    pub status: Option<String>,
    /// `NotBefore`.
    pub not_before: Option<Date>,
    /// `NotAfter`.
    pub not_after: Option<Date>,
    /// `IsSelfSigned`.
    pub self_signed: Option<bool>,
    /// `HasPrivateKey`.
    pub has_private_key: Option<bool>,
    /// `RootCAType` (`ThirdParty`, `Registry`, `Enterprise`, `None`, `Unknown`...).
    pub root_ca_type: Option<String>,
    /// `PublicKeySize`, in bits.
    pub public_key_size: Option<u32>,
    /// `FriendlyName`.
    pub friendly_name: Option<String>,
    /// The listing that printed it was filtered (`-Thumbprint`, `-DomainName`, `Where-Object`,
    /// `Select-Object -First`): the server's other certificates were not printed, so "no
    /// certificate matches" cannot be concluded from it.
    pub from_filtered_list: bool,
    /// The certificate itself (`RawData` from the collection script, base64-decoded): when
    /// present, names and dates come from it rather than from the formatted text.
    pub der: Option<Vec<u8>>,
}

/// One `Get-ReceiveConnector` object.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReceiveConnector {
    /// Where it was read.
    pub origin: Origin,
    /// The properties the paste printed (`None`: not known).
    pub printed: Option<Printed>,
    /// `Identity` (`SRVEX01\Default Frontend SRVEX01`).
    pub identity: Option<String>,
    /// `Name` (`Default Frontend SRVEX01`).
    pub name: Option<String>,
    /// `Server` (or the part of `Identity` before `\`).
    pub server: Option<ServerName>,
    /// `TransportRole` (`FrontendTransport`, `HubTransport`).
    pub transport_role: Option<String>,
    /// `Enabled`.
    pub enabled: Option<bool>,
    /// `Bindings` (`[::]:25`, `0.0.0.0:25`).
    pub bindings: Option<List>,
    /// `Fqdn`.
    pub fqdn: Option<Text>,
    /// `TlsCertificateName` (`<I>issuer<S>subject`).
    pub tls_certificate_name: Option<Text>,
    /// `AuthMechanism`.
    pub auth_mechanism: Option<Flags>,
    /// `PermissionGroups`.
    pub permission_groups: Option<Flags>,
    /// `TlsDomainCapabilities` (`mail.protection.outlook.com:AcceptCloudServicesMail`).
    pub tls_domain_capabilities: Option<List>,
    /// `RequireTLS`.
    pub require_tls: Option<bool>,
    /// `RemoteIPRanges`.
    pub remote_ip_ranges: Option<List>,
}

/// The port of a binding (`[::]:25`, `0.0.0.0:587`).
pub fn binding_port(binding: &str) -> Option<u16> {
    binding
        .rsplit_once(':')
        .and_then(|(_, p)| p.trim().parse().ok())
}

impl ReceiveConnector {
    /// The server it belongs to: `Server`, else the part of `Identity` before `\`; never
    /// blank.
    pub fn server_name(&self) -> Option<String> {
        self.server
            .as_ref()
            .map(|s| s.name().trim().to_string())
            .or_else(|| {
                let (server, _) = self.identity.as_deref()?.split_once('\\')?;
                Some(server.trim().to_string())
            })
            .filter(|s| !s.is_empty())
    }

    /// It binds `port`: `None` when the bindings were not pasted, or were cut and the shown
    /// ones do not bind it.
    pub fn binds(&self, port: u16) -> Option<bool> {
        self.bindings
            .as_ref()?
            .any(|i| binding_port(i) == Some(port))
    }

    /// Its `RemoteIPRanges` take every address (as the default connectors' do), or the paste
    /// does not show they do not (not pasted, cut, empty). Exchange gives a connection to the
    /// connector with the most specific range, so one scoped to a few hosts answers only them.
    pub fn open_to_all(&self) -> bool {
        let everyone = |i: &str| {
            let i = i.trim().to_ascii_lowercase();
            i == "0.0.0.0-255.255.255.255"
                || i == "0.0.0.0/0"
                || i == "::/0"
                || i.starts_with("::-ffff:ffff:ffff:ffff")
        };
        self.remote_ip_ranges.as_ref().is_none_or(|l| {
            l.truncated || l.items.is_empty() || l.items.iter().any(|i| everyone(i))
        })
    }
}

/// One `Get-SendConnector` object.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SendConnector {
    /// Where it was read.
    pub origin: Origin,
    /// The properties the paste printed (`None`: not known).
    pub printed: Option<Printed>,
    /// `Identity` (`Outbound to Office 365 - <GUID>`; no server prefix).
    pub identity: Option<String>,
    /// `Name`.
    pub name: Option<String>,
    /// `Enabled`.
    pub enabled: Option<bool>,
    /// `AddressSpaces` (`SMTP:contoso.mail.onmicrosoft.com;1`).
    pub address_spaces: Option<List>,
    /// `SmartHosts` (`{}` with DNS routing).
    pub smart_hosts: Option<List>,
    /// `DNSRoutingEnabled`.
    pub dns_routing_enabled: Option<bool>,
    /// `Fqdn`.
    pub fqdn: Option<Text>,
    /// `TlsCertificateName`: the certificate Exchange presents as a TLS client.
    pub tls_certificate_name: Option<Text>,
    /// `TlsAuthLevel` (`EncryptionOnly`, `CertificateValidation`, `DomainValidation`).
    pub tls_auth_level: Option<String>,
    /// `TlsDomain`.
    pub tls_domain: Option<String>,
    /// `RequireTLS`.
    pub require_tls: Option<bool>,
    /// `CloudServicesMailEnabled`.
    pub cloud_services_mail_enabled: Option<bool>,
    /// `SourceTransportServers`.
    pub source_transport_servers: Option<List>,
}

/// One `Get-HybridConfiguration` object.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HybridConfiguration {
    /// Where it was read.
    pub origin: Origin,
    /// The properties the paste printed (`None`: not known).
    pub printed: Option<Printed>,
    /// `ReceivingTransportServers`.
    pub receiving_transport_servers: Option<List>,
    /// `SendingTransportServers`.
    pub sending_transport_servers: Option<List>,
    /// `EdgeTransportServers`.
    pub edge_transport_servers: Option<List>,
    /// `OnPremisesSmartHost`.
    pub on_premises_smart_host: Option<String>,
    /// `Domains`.
    pub domains: Option<List>,
    /// `Features` (`SecureMail`, `Centralized`...).
    pub features: Option<List>,
    /// `TlsCertificateName`.
    pub tls_certificate_name: Option<Text>,
    /// `ServiceInstance` (`0` worldwide).
    pub service_instance: Option<String>,
}

/// One `Get-InboundConnector` object (Exchange Online).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InboundConnector {
    /// Where it was read.
    pub origin: Origin,
    /// The properties the paste printed (`None`: not known).
    pub printed: Option<Printed>,
    /// `Identity` (`Inbound from <GUID>`).
    pub identity: Option<String>,
    /// `Name`.
    pub name: Option<String>,
    /// `Enabled`.
    pub enabled: Option<bool>,
    /// `ConnectorType` (`OnPremises`, `Partner`).
    pub connector_type: Option<String>,
    /// `ConnectorSource` (`HybridWizard`, `AdminUI`...).
    pub connector_source: Option<String>,
    /// `SenderIPAddresses`.
    pub sender_ip_addresses: Option<List>,
    /// `SenderDomains` (`smtp:*;1`).
    pub sender_domains: Option<List>,
    /// `TlsSenderCertificateName` (`mail.contoso.com`, `*.contoso.com`).
    pub tls_sender_certificate_name: Option<Text>,
    /// `RequireTls`.
    pub require_tls: Option<bool>,
    /// `RestrictDomainsToCertificate`.
    pub restrict_domains_to_certificate: Option<bool>,
    /// `RestrictDomainsToIPAddresses`.
    pub restrict_domains_to_ip_addresses: Option<bool>,
    /// `CloudServicesMailEnabled`.
    pub cloud_services_mail_enabled: Option<bool>,
    /// `TreatMessagesAsInternal`.
    pub treat_messages_as_internal: Option<bool>,
}

/// One `Get-OutboundConnector` object (Exchange Online).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutboundConnector {
    /// Where it was read.
    pub origin: Origin,
    /// The properties the paste printed (`None`: not known).
    pub printed: Option<Printed>,
    /// `Identity` (`Outbound to <GUID>`).
    pub identity: Option<String>,
    /// `Name`.
    pub name: Option<String>,
    /// `Enabled`.
    pub enabled: Option<bool>,
    /// `ConnectorType`.
    pub connector_type: Option<String>,
    /// `ConnectorSource`.
    pub connector_source: Option<String>,
    /// `UseMXRecord`.
    pub use_mx_record: Option<bool>,
    /// `RecipientDomains`.
    pub recipient_domains: Option<List>,
    /// `SmartHosts`.
    pub smart_hosts: Option<List>,
    /// `TlsDomain`.
    pub tls_domain: Option<String>,
    /// `TlsSettings` (`EncryptionOnly`, `CertificateValidation`, `DomainValidation`; `None`
    /// when blank).
    pub tls_settings: Option<String>,
    /// `IsTransportRuleScoped`.
    pub is_transport_rule_scoped: Option<bool>,
    /// `RouteAllMessagesViaOnPremises`.
    pub route_all_messages_via_on_premises: Option<bool>,
    /// `CloudServicesMailEnabled`.
    pub cloud_services_mail_enabled: Option<bool>,
    /// `IsValidated`.
    pub is_validated: Option<bool>,
}

/// One `Get-AcceptedDomain` object.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AcceptedDomain {
    /// Where it was read.
    pub origin: Origin,
    /// `DomainName` (`contoso.com`; `*.contoso.com` includes subdomains).
    pub domain_name: String,
    /// `DomainType` (`Authoritative`, `InternalRelay`, `ExternalRelay`).
    pub domain_type: Option<String>,
    /// Which organisation listed it: Exchange Online (the tenant's, which attribution by
    /// certificate domain checks), on premises, or not known (a paste without a prompt).
    pub side: Option<Side>,
}

/// Which side of a hybrid an object was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// The on-premises organisation (Exchange Management Shell).
    OnPremises,
    /// Exchange Online (Exchange Online PowerShell).
    Online,
}

/// One `Get-TransportService` object (only its internal transport certificate matters here).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransportService {
    /// Where it was read.
    pub origin: Origin,
    /// `Name` (the server).
    pub name: Option<String>,
    /// `InternalTransportCertificateThumbprint`.
    pub internal_transport_certificate_thumbprint: Option<String>,
}

/// A server's trusted-root facts, which only the collection script can see.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RootStore {
    /// Where it was read.
    pub origin: Origin,
    /// The server.
    pub server: String,
    /// `HKLM\SOFTWARE\Policies\Microsoft\SystemCertificates\AuthRoot\DisableRootAutoUpdate` is 1.
    pub disable_root_auto_update: Option<bool>,
    /// DigiCert Global Root G2 (Exchange Online's root from 2026-03-15) is in
    /// `Cert:\LocalMachine\Root`.
    pub has_digicert_global_root_g2: Option<bool>,
}

/// Something in the input that was not understood, or understood with a caveat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseNote {
    /// Where.
    pub loc: Loc,
    /// What (plain words, pasted text escaped by the renderer).
    pub message: String,
}

/// One input: a file or stdin.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InputInfo {
    /// The path as given, or `-` for stdin.
    pub name: String,
    /// How it was decoded (`UTF-16LE (BOM)`, `UTF-8`, `Windows-1252`).
    pub encoding: String,
    /// It was longer than the limit and was cut.
    pub truncated: bool,
    /// The formats found in it.
    pub formats: Vec<InputFormat>,
}

/// Everything read from the inputs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    /// The inputs, in the order given.
    pub inputs: Vec<InputInfo>,
    /// `Get-ExchangeCertificate`.
    pub certificates: Vec<Certificate>,
    /// `Get-ReceiveConnector`.
    pub receive_connectors: Vec<ReceiveConnector>,
    /// `Get-SendConnector`.
    pub send_connectors: Vec<SendConnector>,
    /// `Get-HybridConfiguration` (at most one per organisation; more means two pastes).
    pub hybrid: Vec<HybridConfiguration>,
    /// `Get-InboundConnector`.
    pub inbound_connectors: Vec<InboundConnector>,
    /// `Get-OutboundConnector`.
    pub outbound_connectors: Vec<OutboundConnector>,
    /// `Get-AcceptedDomain`.
    pub accepted_domains: Vec<AcceptedDomain>,
    /// `Get-TransportService`.
    pub transport_services: Vec<TransportService>,
    /// Root-store facts per server (collection script only).
    pub root_stores: Vec<RootStore>,
    /// What was not understood, or understood with a caveat.
    pub notes: Vec<ParseNote>,
}

impl Config {
    /// Nothing was recognised.
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty()
            && self.receive_connectors.is_empty()
            && self.send_connectors.is_empty()
            && self.hybrid.is_empty()
            && self.inbound_connectors.is_empty()
            && self.outbound_connectors.is_empty()
            && self.accepted_domains.is_empty()
            && self.transport_services.is_empty()
            && self.root_stores.is_empty()
    }

    /// `input:line` for a location (`connectors.txt:12`), for evidence.
    pub fn at(&self, loc: Loc) -> String {
        let name = self.inputs.get(loc.input).map_or("?", |i| i.name.as_str());
        if loc.line == 0 {
            name.to_string()
        } else {
            format!("{name}:{}", loc.line)
        }
    }
}

/// What a live probe of one endpoint showed, for the join with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presented {
    /// The endpoint label (`mail.contoso.com [203.0.113.5]:25`).
    pub endpoint: String,
    /// The port.
    pub port: u16,
    /// STARTTLS was in the EHLO reply (`None`: the probe did not get that far).
    pub starttls_offered: Option<bool>,
    /// The name in the EHLO reply's first line (which connector answered).
    pub ehlo_name: Option<String>,
    /// The software the banner and EHLO reply show, when they show it (`Postfix`): a server
    /// that is plainly not Exchange answered for the address.
    pub not_exchange: Option<String>,
    /// The certificate the server presented, when the handshake got that far.
    pub certificate: Option<PresentedCertificate>,
    /// Why the probe stopped early, in plain words.
    pub failure: Option<String>,
}

/// The certificate an endpoint presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedCertificate {
    /// SHA-1 of the DER, upper-case hex (Exchange's `Thumbprint`).
    pub thumbprint: String,
    /// Subject.
    pub subject: String,
    /// Issuer.
    pub issuer: String,
    /// `<I>issuer<S>subject`.
    pub exchange_tls_name: String,
    /// DNS names (SAN), or the CN when there are none.
    pub names: Vec<String>,
    /// Self-signed.
    pub self_signed: bool,
    /// Not after.
    pub not_after: OffsetDateTime,
}

/// The live probe joined to the configuration (`--probe`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Join {
    /// The host probed.
    pub host: String,
    /// Why this host (`the receive connector's Fqdn`, `OnPremisesSmartHost`, `--probe=HOST`).
    pub why: String,
    /// Every endpoint probed.
    pub endpoints: Vec<Presented>,
}
