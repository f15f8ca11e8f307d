//! Records → the typed model: recognise each record's cmdlet by its properties (research
//! note §6, "Cmdlet fingerprint properties"), settle the month/day order of each output's
//! dates, and read each property as the type its field needs, whether it was printed by
//! `Format-List`, a table, our script or raw `ConvertTo-Json`.
//!
//! Numeric enums (Windows PowerShell 5.1 `ConvertTo-Json` writes them as numbers) are turned
//! into names only where the bits are known (research note §1.2, inferred from HealthChecker's
//! Exchange 2019 test data): `AuthMechanism` Tls = 1, Integrated = 2, BasicAuth = 4,
//! BasicAuthRequireTLS = 8, ExchangeServer = 16; `PermissionGroups` AnonymousUsers = 1,
//! ExchangeUsers = 2, ExchangeServers = 4, ExchangeLegacyServers = 8; certificate `Services`
//! IMAP = 1, POP = 2, IIS = 8, SMTP = 16 (the positions of `ServicesStringForm`, `IP.WS..`).
//! Other bits make the flags' `unknown_bits`; other numeric enums are left out with a note.

use std::collections::{HashMap, HashSet};

use ring::digest::{SHA1_FOR_LEGACY_USE_ONLY, digest};
use serde_json::{Map, Value};

use super::dates::{self, Order, RawDate};
use super::json::get;
use super::{Hint, Kind, Prop, Record, Val, b64, merge};
use crate::exchange::model::{
    AcceptedDomain, Certificate, Cmdlet, Config, Date, Flags, HybridConfiguration,
    InboundConnector, InputFormat, List, Loc, OutboundConnector, ParseNote, Printed,
    ReceiveConnector, RootStore, SendConnector, ServerName, Text, TransportService,
};

/// The properties each cmdlet's object is typed from (besides `Identity`, `Name`,
/// `Enabled`, which every cmdlet has). A prompt's cmdlet is trusted for a record that holds
/// one of them.
const READS: [(Cmdlet, &[&str]); 8] = [
    (
        Cmdlet::ExchangeCertificate,
        &[
            "Thumbprint",
            "Subject",
            "Issuer",
            "CertificateDomains",
            "Services",
            "ServicesStringForm",
            "Status",
            "NotBefore",
            "NotAfter",
            "IsSelfSigned",
            "HasPrivateKey",
            "RootCAType",
            "PublicKeySize",
            "FriendlyName",
            "RawData",
        ],
    ),
    (
        Cmdlet::ReceiveConnector,
        &[
            "Server",
            "TransportRole",
            "Bindings",
            "Fqdn",
            "TlsCertificateName",
            "AuthMechanism",
            "PermissionGroups",
            "TlsDomainCapabilities",
            "RequireTLS",
            "RemoteIPRanges",
        ],
    ),
    (
        Cmdlet::SendConnector,
        &[
            "AddressSpaces",
            "SmartHosts",
            "SmartHostsString",
            "DNSRoutingEnabled",
            "Fqdn",
            "TlsCertificateName",
            "TlsAuthLevel",
            "TlsDomain",
            "RequireTLS",
            "CloudServicesMailEnabled",
            "SourceTransportServers",
        ],
    ),
    (
        Cmdlet::HybridConfiguration,
        &[
            "ReceivingTransportServers",
            "SendingTransportServers",
            "EdgeTransportServers",
            "OnPremisesSmartHost",
            "Domains",
            "Features",
            "TlsCertificateName",
            "ServiceInstance",
        ],
    ),
    (
        Cmdlet::InboundConnector,
        &[
            "ConnectorType",
            "ConnectorSource",
            "SenderIPAddresses",
            "SenderDomains",
            "TlsSenderCertificateName",
            "RequireTls",
            "RestrictDomainsToCertificate",
            "RestrictDomainsToIPAddresses",
            "CloudServicesMailEnabled",
            "TreatMessagesAsInternal",
        ],
    ),
    (
        Cmdlet::OutboundConnector,
        &[
            "ConnectorType",
            "ConnectorSource",
            "UseMXRecord",
            "RecipientDomains",
            "SmartHosts",
            "TlsDomain",
            "TlsSettings",
            "IsTransportRuleScoped",
            "RouteAllMessagesViaOnPremises",
            "CloudServicesMailEnabled",
            "IsValidated",
        ],
    ),
    (Cmdlet::AcceptedDomain, &["DomainName", "DomainType"]),
    (
        Cmdlet::TransportService,
        &["InternalTransportCertificateThumbprint"],
    ),
];

/// A property name this parser reads (any cmdlet), or one every object has.
pub(super) fn is_known(name: &str) -> bool {
    ["Identity", "Name", "Enabled", "RunspaceId"]
        .iter()
        .chain(READS.iter().flat_map(|(_, props)| props.iter()))
        .any(|p| p.eq_ignore_ascii_case(name))
}

/// The start of a property name [`is_known`] knows (`TlsCert`), in any case.
pub(super) fn is_known_prefix(word: &str) -> bool {
    let word = word.to_ascii_lowercase();
    ["Identity", "Name", "Enabled", "RunspaceId"]
        .iter()
        .chain(READS.iter().flat_map(|(_, props)| props.iter()))
        .any(|p| p.to_ascii_lowercase().starts_with(&word))
}

/// The cmdlets whose fingerprint the property names match.
fn fingerprint(has: &dyn Fn(&str) -> bool) -> Vec<Cmdlet> {
    let mut out = Vec::new();
    // `AuthMechanism` and `Bindings` are both receive-connector properties (a send
    // connector has `SmartHostAuthMechanism` and no bindings), so the two alone decide: a
    // forum excerpt cut before `TlsCertificateName` is still a receive connector.
    if (has("TransportRole") && has("Bindings"))
        || (has("AuthMechanism") && has("Bindings"))
        || (has("PermissionGroups") && has("Bindings"))
    {
        out.push(Cmdlet::ReceiveConnector);
    }
    if has("AddressSpaces") || has("SmartHostsString") || has("SourceTransportServers") {
        out.push(Cmdlet::SendConnector);
    }
    if has("CertificateDomains")
        || has("RootCAType")
        || (has("Thumbprint") && (has("Services") || has("ServicesStringForm")))
    {
        out.push(Cmdlet::ExchangeCertificate);
    }
    if has("OnPremisesSmartHost") || (has("Features") && has("ReceivingTransportServers")) {
        out.push(Cmdlet::HybridConfiguration);
    }
    if has("TlsSenderCertificateName") || has("SenderDomains") || has("SenderIPAddresses") {
        out.push(Cmdlet::InboundConnector);
    }
    if has("TlsSettings") || has("RecipientDomains") || has("UseMXRecord") {
        out.push(Cmdlet::OutboundConnector);
    }
    if has("DomainName") && has("DomainType") {
        out.push(Cmdlet::AcceptedDomain);
    }
    if has("InternalTransportCertificateThumbprint") {
        out.push(Cmdlet::TransportService);
    }
    out
}

/// The cmdlet of an object with these property names: its fingerprint; the prompt's cmdlet
/// when the fingerprint is not decisive and the object holds something that cmdlet prints.
pub(super) fn recognise_keys<'k>(
    names: impl Iterator<Item = &'k str>,
    hint: &Hint,
) -> Option<Cmdlet> {
    let lower: std::collections::HashSet<String> = names.map(str::to_ascii_lowercase).collect();
    let has = |n: &str| lower.contains(&n.to_ascii_lowercase());
    pick(&fingerprint(&has), hint, &has).0
}

/// (the choice, the other candidates when the fingerprint matched several).
fn pick(
    matches: &[Cmdlet],
    hint: &Hint,
    has: &dyn Fn(&str) -> bool,
) -> (Option<Cmdlet>, Vec<Cmdlet>) {
    match matches {
        [one] => (Some(*one), Vec::new()),
        [] => {
            let fits = hint.cmdlet.filter(|c| {
                READS
                    .iter()
                    .find(|(r, _)| r == c)
                    .is_some_and(|(_, props)| props.iter().any(|p| has(p)))
            });
            (fits, Vec::new())
        }
        [first, ..] => match hint.cmdlet.filter(|c| matches.contains(c)) {
            Some(h) => (Some(h), Vec::new()),
            None => (Some(*first), matches[1..].to_vec()),
        },
    }
}

/// The cmdlet a record is the output of (as [`build`] will read it), if any.
pub(super) fn cmdlet_of(rec: &Record) -> Option<Cmdlet> {
    match View::new(rec).kind() {
        Some(Kind::Cmdlet(c)) => Some(c),
        _ => None,
    }
}

/// Types `records` (one input's, in order) into `config`; for each certificate added, pushes
/// onto `unlisted` whether no command line says it came from a whole `Get-ExchangeCertificate`
/// listing (see `servers::excerpts`).
pub(super) fn build(records: Vec<Record>, config: &mut Config, unlisted: &mut Vec<bool>) {
    let records = merge::fold(records, &mut config.notes);
    let mut start = 0;
    while start < records.len() {
        let group = records[start].group;
        let end = records[start..]
            .iter()
            .position(|r| r.group != group)
            .map_or(records.len(), |n| start + n);
        build_group(&records[start..end], config, unlisted);
        start = end;
    }
}

/// One output (the records between two prompt lines): the date order is settled once for
/// all of them, because one session printed them with one culture.
fn build_group(records: &[Record], config: &mut Config, unlisted: &mut Vec<bool>) {
    let mut views: Vec<(View<'_>, Option<Kind>)> = records
        .iter()
        .map(|r| {
            let mut v = View::new(r);
            let kind = v.kind();
            (v, kind)
        })
        .collect();
    let (order, conflict) = date_order(&views);
    listing_notes(&views, config);
    for (v, kind) in &mut views {
        v.order = order;
        if v.rec.equals && kind.is_some() {
            let loc = v.rec.origin.loc;
            v.notes.push(ParseNote {
                loc,
                message: "this object is printed with ` = ` between names and values where \
                          PowerShell prints ` : ` (a search and replace?): read as Format-List \
                          output, except the values that hold a `=`"
                    .to_string(),
            });
        }
        if conflict && kind.is_some() && v.has_ambiguous_date() {
            let loc = v.rec.origin.loc;
            v.notes.push(ParseNote {
                loc,
                message: "dates in this output read both month-first and day-first; the \
                          ambiguous ones stay ambiguous"
                    .to_string(),
            });
        }
        match kind {
            Some(Kind::Cmdlet(Cmdlet::ExchangeCertificate)) => {
                let c = v.certificate();
                unlisted.push(
                    v.rec.format() != InputFormat::ScriptJson
                        && v.rec.hint.cmdlet != Some(Cmdlet::ExchangeCertificate),
                );
                config.certificates.push(c);
            }
            Some(Kind::Cmdlet(Cmdlet::ReceiveConnector)) => {
                let c = v.receive_connector();
                config.receive_connectors.push(c);
            }
            Some(Kind::Cmdlet(Cmdlet::SendConnector)) => {
                let c = v.send_connector();
                config.send_connectors.push(c);
            }
            Some(Kind::Cmdlet(Cmdlet::HybridConfiguration)) => {
                let c = v.hybrid();
                config.hybrid.push(c);
            }
            Some(Kind::Cmdlet(Cmdlet::InboundConnector)) => {
                let c = v.inbound();
                config.inbound_connectors.push(c);
            }
            Some(Kind::Cmdlet(Cmdlet::OutboundConnector)) => {
                let c = v.outbound();
                config.outbound_connectors.push(c);
            }
            Some(Kind::Cmdlet(Cmdlet::AcceptedDomain)) => {
                if let Some(d) = v.accepted_domain() {
                    config.accepted_domains.push(d);
                }
            }
            Some(Kind::Cmdlet(Cmdlet::TransportService)) => {
                let t = v.transport_service();
                config.transport_services.push(t);
            }
            Some(Kind::RootStore) => {
                if let Some(r) = v.root_store() {
                    config.root_stores.push(r);
                }
            }
            None => v.unrecognised(),
        }
        config.notes.append(&mut v.notes);
    }
}

/// Whether the command that printed a certificate narrowed its list: it ran
/// `Get-ExchangeCertificate` (or an unnamed command, `$certs | ? {…}`) with a filter. The
/// collection script's lists are whole whatever command showed them.
fn filtered(rec: &Record) -> bool {
    rec.format() != InputFormat::ScriptJson
        && rec.hint.filter.is_some()
        && rec
            .hint
            .cmdlet
            .is_none_or(|c| c == Cmdlet::ExchangeCertificate)
}

/// The notes one output gets once: its command filtered the certificate list, or named the
/// properties to print.
fn listing_notes(views: &[(View<'_>, Option<Kind>)], config: &mut Config) {
    let Some((first, _)) = views.iter().find(|(_, k)| k.is_some()) else {
        return;
    };
    let hint = &first.rec.hint;
    let at = Loc {
        input: first.rec.origin.loc.input,
        line: if hint.line > 0 {
            hint.line
        } else {
            first.rec.origin.loc.line
        },
    };
    let certificate = views
        .iter()
        .find(|(v, k)| *k == Some(Kind::Cmdlet(Cmdlet::ExchangeCertificate)) && filtered(v.rec));
    if let Some((v, _)) = certificate
        && let Some(filter) = &v.rec.hint.filter
    {
        config.notes.push(ParseNote {
            loc: at,
            message: format!(
                "this certificate list was filtered ({filter}): the server's other \
                 certificates are not in the paste, so a certificate missing from it may still \
                 be on the server"
            ),
        });
    }
    if let Some(list) = &hint.properties
        && views.iter().any(|(v, k)| {
            k.is_some() && v.rec.format() != InputFormat::ScriptJson && !v.rec.complete
        })
    {
        config.notes.push(ParseNote {
            loc: at,
            message: format!(
                "a property list was pasted: only {}; a property not among them is not known, \
                 not empty",
                list.join(", ")
            ),
        });
    }
}

/// Is this property a date whose printed form tells the culture's order?
fn is_date_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("when")
        || lower.ends_with("utc")
        || lower.ends_with("timestamp")
        || lower == "notbefore"
        || lower == "notafter"
}

/// The order of the group's slash dates: a date with a field above 12 proves it; so do a
/// certificate's `NotBefore < NotAfter` and a `…UTC` twin within 14 hours, when only one
/// reading satisfies them. Returns the order and whether the evidence conflicted.
fn date_order(views: &[(View<'_>, Option<Kind>)]) -> (Order, bool) {
    let (mut month_first, mut day_first) = (0usize, 0usize);
    let mut vote = |mf: bool, df: bool| match (mf, df) {
        (true, false) => month_first += 1,
        (false, true) => day_first += 1,
        _ => {}
    };
    for (v, kind) in views {
        for p in &v.rec.props {
            if !is_date_name(&p.name) {
                continue;
            }
            let Some(text) = plain_text(&p.val) else {
                continue;
            };
            if v.rec.equals && text.contains('=') {
                // `00=00=22`: not read (see `View::scalar`), so no evidence either.
                continue;
            }
            match dates::proves(text) {
                Some(Order::MonthFirst) => vote(true, false),
                Some(Order::DayFirst) => vote(false, true),
                _ => {}
            }
            // `WhenChanged` and `WhenChangedUTC`: the right reading puts them within one
            // UTC offset of each other.
            if let Some(base) = p
                .name
                .get(..p.name.len().saturating_sub(3))
                .filter(|_| p.name.to_ascii_lowercase().ends_with("utc"))
            {
                let local = v
                    .prop(&[base])
                    .and_then(|b| plain_text(&b.val))
                    .and_then(dates::parse);
                if let (Some(l @ RawDate::Slash { .. }), Some(u @ RawDate::Slash { .. })) =
                    (local, dates::parse(text))
                {
                    let (lm, ld) = l.readings();
                    let (um, ud) = u.readings();
                    vote(dates::twins_agree(lm, um), dates::twins_agree(ld, ud));
                }
            }
        }
        if *kind == Some(Kind::Cmdlet(Cmdlet::ExchangeCertificate)) {
            let read = |n: &str| {
                v.prop(&[n])
                    .and_then(|p| plain_text(&p.val))
                    .and_then(dates::parse)
            };
            if let (Some(nb @ RawDate::Slash { .. }), Some(na @ RawDate::Slash { .. })) =
                (read("NotBefore"), read("NotAfter"))
            {
                let (nbm, nbd) = nb.readings();
                let (nam, nad) = na.readings();
                vote(nbm < nam, nbd < nad);
            }
        }
    }
    match (month_first > 0, day_first > 0) {
        (true, false) => (Order::MonthFirst, false),
        (false, true) => (Order::DayFirst, false),
        (true, true) => (Order::Unknown, true),
        (false, false) => (Order::Unknown, false),
    }
}

/// The value as plain text when it is a scalar string (fl text or a JSON string).
fn plain_text(val: &Val) -> Option<&str> {
    match val {
        Val::Text(s) => Some(s),
        Val::Json(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// What a flags property's bits are called.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FlagKind {
    AuthMechanism,
    PermissionGroups,
    Services,
}

impl FlagKind {
    fn bits(self) -> &'static [(u64, &'static str)] {
        match self {
            FlagKind::AuthMechanism => &[
                (1, "Tls"),
                (2, "Integrated"),
                (4, "BasicAuth"),
                (8, "BasicAuthRequireTLS"),
                (16, "ExchangeServer"),
            ],
            FlagKind::PermissionGroups => &[
                (1, "AnonymousUsers"),
                (2, "ExchangeUsers"),
                (4, "ExchangeServers"),
                (8, "ExchangeLegacyServers"),
            ],
            FlagKind::Services => &[(1, "IMAP"), (2, "POP"), (8, "IIS"), (16, "SMTP")],
        }
    }
}

/// `ServicesStringForm` (the table view's `Services` column): one character per flag, `.`
/// when not set; seven positions from Exchange 2016 on, six in Exchange 2010 and 2013
/// (`IP.WS.`). Positions 1 I (IMAP), 2 P (POP), 4 W (IIS) and 5 S (SMTP) are inferred
/// from `IP.WS..` = `IMAP, POP, IIS, SMTP` (research note §1.1). Position 6 F is inferred
/// as Federation: `F` can only stand for it among the documented `Services` values (None,
/// Federation, IIS, IMAP, POP, SMTP, UM, UMCallRouter; Microsoft Learn,
/// "Get-ExchangeCertificate"), and a forum's Exchange 2013 table shows `....SF` on its
/// federation certificate. Position 3 (`U`: UM or UMCallRouter?) and 7 stay unknown.
const SERVICE_POSITIONS: [(usize, u8, &str); 5] = [
    (0, b'I', "IMAP"),
    (1, b'P', "POP"),
    (3, b'W', "IIS"),
    (4, b'S', "SMTP"),
    (5, b'F', "Federation"),
];

/// `IP.WS..` (seven positions) or `IP.WS.` (six, Exchange 2010 and 2013): letters and dots
/// only. `IP....` is such a string, not a value cut with `...`.
pub(super) fn is_services_string(s: &str) -> bool {
    (s.len() == 6 || s.len() == 7) && s.bytes().all(|b| b.is_ascii_alphabetic() || b == b'.')
}

/// A record with an index of its property names, and the notes made while typing it.
struct View<'r> {
    rec: &'r Record,
    index: HashMap<String, usize>,
    order: Order,
    notes: Vec<ParseNote>,
    /// Properties printed with a value that could not be read (lower case): not known, so
    /// not "printed" either (an unread `TlsCertificateName` must not read as an empty one).
    unread: HashSet<String>,
}

impl<'r> View<'r> {
    fn new(rec: &'r Record) -> View<'r> {
        let mut index = HashMap::with_capacity(rec.props.len());
        for (i, p) in rec.props.iter().enumerate() {
            index.entry(p.name.to_ascii_lowercase()).or_insert(i);
        }
        View {
            rec,
            index,
            order: Order::Unknown,
            notes: Vec::new(),
            unread: HashSet::new(),
        }
    }

    /// The record's kind: given (script section, certificate table), else recognised.
    fn kind(&mut self) -> Option<Kind> {
        if let Some(k) = self.rec.kind {
            return Some(k);
        }
        let has = |n: &str| self.index.contains_key(&n.to_ascii_lowercase());
        let (choice, others) = pick(&fingerprint(&has), &self.rec.hint, &has);
        if let Some(c) = choice
            && !others.is_empty()
        {
            let names: Vec<&str> = others.iter().map(|o| o.name()).collect();
            let message = format!(
                "this object has properties of {} and of {}; read as {}",
                c.name(),
                names.join(", "),
                c.name()
            );
            self.notes.push(ParseNote {
                loc: self.rec.origin.loc,
                message,
            });
        }
        choice.map(Kind::Cmdlet)
    }

    fn unrecognised(&mut self) {
        let Some(first) = self.rec.props.first() else {
            return;
        };
        if self.rec.props.len() < 2 && !is_known(&first.name) {
            // One `Word: text` line of prose; not worth a note.
            return;
        }
        let message = format!(
            "{} propert{} (the first `{}`) not recognised as the output of a cmdlet this check \
             reads; skipped",
            self.rec.props.len(),
            if self.rec.props.len() == 1 {
                "y"
            } else {
                "ies"
            },
            first.name
        );
        self.notes.push(ParseNote {
            loc: self.rec.origin.loc,
            message,
        });
    }

    fn has_ambiguous_date(&self) -> bool {
        ["NotBefore", "NotAfter"].iter().any(|n| {
            self.prop(&[n])
                .and_then(|p| plain_text(&p.val))
                .and_then(dates::parse)
                .is_some_and(|d| matches!(d, RawDate::Slash { .. }))
        })
    }

    /// The first of `names` the record has.
    fn prop(&self, names: &[&str]) -> Option<&'r Prop> {
        let rec = self.rec;
        names
            .iter()
            .find_map(|n| self.index.get(&n.to_ascii_lowercase()))
            .and_then(|i| rec.props.get(*i))
    }

    fn loc(&self, p: &Prop) -> Loc {
        Loc {
            input: self.rec.origin.loc.input,
            line: if p.line > 0 {
                p.line
            } else {
                self.rec.origin.loc.line
            },
        }
    }

    fn note(&mut self, p: &Prop, message: String) {
        let loc = self.loc(p);
        self.notes.push(ParseNote { loc, message });
    }

    /// `p` was printed but its value is not read (noted): its value is not known.
    fn not_read(&mut self, p: &Prop, message: String) {
        self.unread.insert(p.name.to_ascii_lowercase());
        self.note(p, message);
    }

    /// The properties the record printed, less those whose value could not be read: the
    /// property names of a `Format-List` entry or raw JSON object, a table's columns, and
    /// everything for the collection script (which writes every property).
    fn printed(&self) -> Printed {
        if self.rec.complete && self.unread.is_empty() {
            return Printed::all();
        }
        let mut seen = HashSet::new();
        let names = self
            .rec
            .props
            .iter()
            .map(|p| p.name.as_str())
            .chain(self.rec.empty.iter().map(String::as_str))
            .filter(|n| {
                let lower = n.to_ascii_lowercase();
                !self.unread.contains(&lower) && seen.insert(lower)
            })
            .map(str::to_string)
            .collect();
        Printed { names }
    }

    /// The value as one piece of text, or `None` (absent, empty, or not readable as text:
    /// noted).
    fn scalar(&mut self, names: &[&str]) -> Option<(String, &'r Prop)> {
        let p = self.prop(names)?;
        let text = match &p.val {
            Val::Text(s) => s.clone(),
            Val::Json(Value::Null) => return None,
            Val::Json(v) => match json_text(v, 0) {
                Some(t) => t,
                None => {
                    self.not_read(
                        p,
                        format!("`{}` is not a value this check can read", p.name),
                    );
                    return None;
                }
            },
        };
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        if matches!(p.val, Val::Json(_)) && is_type_name(text) {
            self.not_read(
                p,
                format!(
                    "`{}` holds a type name (`{text}`), not its value: the JSON was written \
                     with too small a -Depth",
                    p.name
                ),
            );
            return None;
        }
        if self.rec.format() == InputFormat::Table
            && (text.ends_with("...") || text.ends_with('…'))
            && !is_services_string(text)
        {
            self.not_read(
                p,
                format!(
                    "`{}` was cut by the table's width (`{text}`); not read",
                    p.name
                ),
            );
            return None;
        }
        if self.rec.equals && text.contains('=') {
            self.not_read(
                p,
                format!(
                    "`{}` reads `{text}`, but this object had its ` : ` replaced by ` = `: \
                     which `=` in it were `:` cannot be told; not read",
                    p.name
                ),
            );
            return None;
        }
        Some((text.to_string(), p))
    }

    fn string(&mut self, names: &[&str]) -> Option<String> {
        self.scalar(names).map(|(s, _)| s)
    }

    /// A name that cannot hold a space (FQDN, domain): the spaces a wrap join put in are
    /// removed.
    fn name(&mut self, names: &[&str]) -> Option<String> {
        self.scalar(names).map(|(s, p)| {
            if p.wrapped {
                s.split_whitespace().collect()
            } else {
                s
            }
        })
    }

    /// A value that may hold spaces (a DN, `<I>…<S>…`). Two marks of a forum's copy are
    /// undone, each with a note: a run of spaces inside the value (a wrapped line joined
    /// back with its indentation, `…repository/],                             O=…`) becomes
    /// one space and the value counts as wrapped; a web address in brackets (`[http://…]`,
    /// the forum's link markup) loses the brackets.
    fn text(&mut self, names: &[&str]) -> Option<Text> {
        let (mut value, p) = self.scalar(names)?;
        let mut wrapped = p.wrapped;
        if let Val::Text(_) = p.val {
            if value.contains("   ") || value.contains('\t') {
                value = value.split_whitespace().collect::<Vec<_>>().join(" ");
                wrapped = true;
                self.note(
                    p,
                    format!(
                        "`{}` has a run of spaces inside it (a wrapped line the forum joined \
                         back?): read with single spaces, and a space in it may not be the \
                         server's",
                        p.name
                    ),
                );
            }
            if let Some(unbracketed) = unbracket_links(&value) {
                value = unbracketed;
                self.note(
                    p,
                    format!(
                        "`{}` has a web address in brackets (`[http…]`, a forum's link \
                         markup): read without the brackets",
                        p.name
                    ),
                );
            }
        }
        Some(Text {
            value,
            loc: self.loc(p),
            wrapped,
        })
    }

    /// Like [`View::text`] for a value that cannot hold a space.
    fn text_name(&mut self, names: &[&str]) -> Option<Text> {
        let (value, p) = self.scalar(names)?;
        let value = if p.wrapped {
            value.split_whitespace().collect()
        } else {
            value
        };
        Some(Text {
            value,
            loc: self.loc(p),
            wrapped: p.wrapped,
        })
    }

    /// An enum's name; a number (PowerShell 5.1 JSON) is noted and left out.
    fn enum_name(&mut self, names: &[&str]) -> Option<String> {
        let p = self.prop(names)?;
        if let Val::Json(Value::Number(n)) = &p.val {
            self.not_read(
                p,
                format!(
                    "`{}` is the number {n} (Windows PowerShell 5.1 writes enums as numbers); \
                     its name is not known here — the collection script writes names",
                    p.name
                ),
            );
            return None;
        }
        self.string(names)
    }

    fn boolean(&mut self, names: &[&str]) -> Option<bool> {
        let p = self.prop(names)?;
        if let Val::Json(Value::Bool(b)) = p.val {
            return Some(b);
        }
        let (s, p) = self.scalar(names)?;
        match s.to_ascii_lowercase().as_str() {
            "true" | "$true" => Some(true),
            "false" | "$false" => Some(false),
            _ => {
                self.not_read(p, format!("`{}` is `{s}`, not True or False", p.name));
                None
            }
        }
    }

    fn number(&mut self, names: &[&str]) -> Option<u32> {
        let (s, p) = self.scalar(names)?;
        match s.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                self.not_read(p, format!("`{}` is `{s}`, not a number", p.name));
                None
            }
        }
    }

    fn thumbprint(&mut self, names: &[&str]) -> Option<String> {
        let (s, p) = self.scalar(names)?;
        let t: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if t.len() == 40 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
            Some(t)
        } else {
            let why = if t.bytes().all(|b| b.is_ascii_hexdigit()) {
                "cut?"
            } else {
                "redacted?"
            };
            self.not_read(
                p,
                format!(
                    "`{}` is not a thumbprint (40 hex digits; {why}): `{s}`; left out",
                    p.name
                ),
            );
            None
        }
    }

    fn date(&mut self, names: &[&str]) -> Option<Date> {
        let (s, p) = self.scalar(names)?;
        match dates::parse(&s) {
            Some(d) => Some(d.resolve(self.order)),
            None => {
                self.not_read(
                    p,
                    format!("`{}` is not a date this check can read: `{s}`", p.name),
                );
                None
            }
        }
    }

    fn list(&mut self, names: &[&str]) -> Option<List> {
        let p = self.prop(names)?;
        let loc = self.loc(p);
        let (items, truncated) = match &p.val {
            Val::Text(s) => {
                if s.trim().is_empty() {
                    return None;
                }
                let (mut items, truncated) = list_text(s);
                // A table cuts a cell at its width, mid-item (`{SMTP:a;1, SMTP:pa...`):
                // without its `}` the last item shown is a fragment, not an item.
                let t = s.trim();
                if self.rec.format() == InputFormat::Table
                    && t.starts_with('{')
                    && !t.ends_with('}')
                    && !t
                        .trim_end_matches(['.', '…'])
                        .trim_end()
                        .ends_with([',', '{'])
                {
                    items.pop();
                }
                (items, truncated)
            }
            Val::Json(v) => {
                let (items, unread) = json_items(v)?;
                if unread > 0 {
                    self.note(
                        p,
                        format!(
                            "{unread} item{} of `{}` could not be read; the list counts as cut",
                            if unread == 1 { "" } else { "s" },
                            p.name
                        ),
                    );
                }
                (items, unread > 0)
            }
        };
        Some(List {
            items,
            truncated,
            loc,
        })
    }

    fn flags(&mut self, names: &[&str], kind: FlagKind) -> Option<Flags> {
        let p = self.prop(names)?;
        match &p.val {
            Val::Json(Value::Number(n)) => match n.as_u64() {
                Some(bits) => Some(numeric_flags(bits, kind)),
                None => {
                    self.not_read(p, format!("`{}` is `{n}`, not a flags value", p.name));
                    None
                }
            },
            Val::Json(Value::Array(items)) => {
                let names: Vec<String> = items
                    .iter()
                    .filter_map(|i| json_text(i, 0))
                    .map(|n| n.trim().to_string())
                    .filter(|n| !n.is_empty())
                    .collect();
                Some(Flags {
                    raw: names.join(", "),
                    unknown_bits: names.len() != items.len(),
                    names,
                })
            }
            _ => {
                let (s, _) = self.scalar(names)?;
                Some(text_flags(&s, kind))
            }
        }
    }

    fn server_named(&mut self, names: &[&str]) -> Option<ServerName> {
        self.string(names).map(ServerName::Named)
    }

    fn hint_server(&self) -> Option<ServerName> {
        self.rec.hint.server.clone().map(ServerName::Named)
    }

    fn certificate(&mut self) -> Certificate {
        let mut c = Certificate {
            origin: self.rec.origin,
            printed: None,
            from_filtered_list: false,
            thumbprint: self.thumbprint(&["Thumbprint"]),
            subject: self.text(&["Subject"]),
            issuer: self.text(&["Issuer"]),
            domains: self.list(&["CertificateDomains", "domains"]),
            services: self.flags(&["Services"], FlagKind::Services),
            status: self.enum_name(&["Status"]),
            not_before: self.date(&["NotBefore"]),
            not_after: self.date(&["NotAfter"]),
            self_signed: self.boolean(&["IsSelfSigned", "selfSigned"]),
            has_private_key: self.boolean(&["HasPrivateKey", "privateKey"]),
            root_ca_type: self.enum_name(&["RootCAType"]),
            public_key_size: self.number(&["PublicKeySize"]),
            friendly_name: self.string(&["FriendlyName"]),
            der: self.der(),
            server: None,
        };
        if c.services.is_none() {
            c.services = self.flags(&["ServicesStringForm"], FlagKind::Services);
        }
        c.server = self
            .server_named(&["Server"])
            .or_else(|| self.certificate_identity_server())
            .or_else(|| self.hint_server());
        if let Some(der) = &c.der {
            let sha1: String = digest(&SHA1_FOR_LEGACY_USE_ONLY, der)
                .as_ref()
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect();
            match &c.thumbprint {
                None => c.thumbprint = Some(sha1),
                Some(t) if *t != sha1 => {
                    let message = format!(
                        "the certificate's bytes hash to {sha1}, not to its Thumbprint {t}"
                    );
                    self.notes.push(ParseNote {
                        loc: self.rec.origin.loc,
                        message,
                    });
                }
                Some(_) => {}
            }
        }
        c.from_filtered_list = filtered(self.rec);
        c.printed = Some(self.printed());
        c
    }

    /// `fl *` prints `Identity : SERVER\THUMBPRINT`.
    fn certificate_identity_server(&mut self) -> Option<ServerName> {
        let id = self.string(&["Identity"])?;
        let (server, thumb) = id.rsplit_once('\\')?;
        let is_thumb = thumb.len() == 40 && thumb.bytes().all(|b| b.is_ascii_hexdigit());
        (is_thumb && !server.trim().is_empty())
            .then(|| ServerName::Named(server.trim().to_string()))
    }

    /// The DER: the script's `derBase64`, or `RawData` from raw JSON (an array of byte values
    /// in PowerShell 5.1, base64 in 7). The `fl *` form (`{48, 130, …}`) is cut, so unused.
    fn der(&mut self) -> Option<Vec<u8>> {
        let p = self.prop(&["derBase64", "RawData"])?;
        let bytes = match &p.val {
            Val::Json(Value::Null) | Val::Text(_) => return None,
            Val::Json(Value::String(s)) => b64::decode(s),
            Val::Json(Value::Array(items)) => items
                .iter()
                .map(|i| i.as_u64().and_then(|n| u8::try_from(n).ok()))
                .collect(),
            Val::Json(v) => json_value_items(v).and_then(|items| {
                items
                    .iter()
                    .map(|i| i.as_u64().and_then(|n| u8::try_from(n).ok()))
                    .collect()
            }),
        };
        match bytes {
            Some(b) if !b.is_empty() => Some(b),
            Some(_) => None,
            None => {
                self.not_read(
                    p,
                    format!("`{}` is not the certificate's bytes; ignored", p.name),
                );
                None
            }
        }
    }

    fn receive_connector(&mut self) -> ReceiveConnector {
        let (identity, id_server, id_name) = self.connector_identity();
        let server = self
            .server_named(&["Server"])
            .or(id_server.map(ServerName::Named))
            .or_else(|| self.hint_server());
        let mut rc = ReceiveConnector {
            origin: self.rec.origin,
            printed: None,
            name: self.string(&["Name"]).or(id_name),
            identity,
            server,
            transport_role: self.enum_name(&["TransportRole", "role"]),
            enabled: self.boolean(&["Enabled"]),
            bindings: self.list(&["Bindings"]),
            fqdn: self.text_name(&["Fqdn"]),
            tls_certificate_name: self.text(&["TlsCertificateName"]),
            auth_mechanism: self.flags(&["AuthMechanism"], FlagKind::AuthMechanism),
            permission_groups: self.flags(&["PermissionGroups"], FlagKind::PermissionGroups),
            tls_domain_capabilities: self.list(&["TlsDomainCapabilities"]),
            require_tls: self.boolean(&["RequireTLS"]),
            remote_ip_ranges: self.list(&["RemoteIPRanges"]),
        };
        rc.printed = Some(self.printed());
        rc
    }

    /// `SRV\Name` → (identity, server, name). Raw JSON has an `ADObjectId` object instead: the
    /// server is the `CN` under `CN=Protocols` in its distinguished name.
    fn connector_identity(&mut self) -> (Option<String>, Option<String>, Option<String>) {
        if let Some(Val::Json(Value::Object(obj))) = self.prop(&["Identity"]).map(|p| &p.val) {
            let name = get(obj, "Name").and_then(|v| json_text(v, 0));
            let server = get(obj, "DistinguishedName")
                .and_then(Value::as_str)
                .and_then(server_from_dn);
            let identity = match (&server, &name) {
                (Some(s), Some(n)) => Some(format!("{s}\\{n}")),
                _ => name.clone(),
            };
            return (identity, server, name);
        }
        let Some(identity) = self.string(&["Identity"]) else {
            return (None, None, None);
        };
        match identity.split_once('\\') {
            Some((s, n)) if !s.trim().is_empty() && !n.trim().is_empty() => (
                Some(identity.clone()),
                Some(s.trim().to_string()),
                Some(n.trim().to_string()),
            ),
            _ => (Some(identity), None, None),
        }
    }

    fn send_connector(&mut self) -> SendConnector {
        let mut smart_hosts = self.list(&["SmartHosts"]);
        if smart_hosts.is_none() {
            // `SmartHostsString` is the same list as one comma-separated string.
            smart_hosts = self.scalar(&["SmartHostsString"]).map(|(s, p)| List {
                items: s
                    .split(',')
                    .map(str::trim)
                    .filter(|i| !i.is_empty())
                    .map(str::to_string)
                    .collect(),
                truncated: false,
                loc: self.loc(p),
            });
        }
        let mut sc = SendConnector {
            origin: self.rec.origin,
            printed: None,
            identity: self.string(&["Identity"]),
            name: self.string(&["Name"]),
            enabled: self.boolean(&["Enabled"]),
            address_spaces: self.list(&["AddressSpaces"]),
            smart_hosts,
            dns_routing_enabled: self.boolean(&["DNSRoutingEnabled"]),
            fqdn: self.text_name(&["Fqdn"]),
            tls_certificate_name: self.text(&["TlsCertificateName"]),
            tls_auth_level: self.enum_name(&["TlsAuthLevel"]),
            tls_domain: self.name(&["TlsDomain"]),
            require_tls: self.boolean(&["RequireTLS"]),
            cloud_services_mail_enabled: self.boolean(&["CloudServicesMailEnabled"]),
            source_transport_servers: self.list(&["SourceTransportServers"]),
        };
        sc.printed = Some(self.printed());
        sc
    }

    fn hybrid(&mut self) -> HybridConfiguration {
        let mut h = HybridConfiguration {
            origin: self.rec.origin,
            printed: None,
            receiving_transport_servers: self.list(&["ReceivingTransportServers"]),
            sending_transport_servers: self.list(&["SendingTransportServers"]),
            edge_transport_servers: self.list(&["EdgeTransportServers"]),
            on_premises_smart_host: self.name(&["OnPremisesSmartHost"]),
            domains: self.list(&["Domains"]),
            features: self.list(&["Features"]),
            tls_certificate_name: self.text(&["TlsCertificateName"]),
            service_instance: self.string(&["ServiceInstance"]),
        };
        h.printed = Some(self.printed());
        h
    }

    fn inbound(&mut self) -> InboundConnector {
        let mut ic = InboundConnector {
            origin: self.rec.origin,
            printed: None,
            identity: self.string(&["Identity"]),
            name: self.string(&["Name"]),
            enabled: self.boolean(&["Enabled"]),
            connector_type: self.enum_name(&["ConnectorType"]),
            connector_source: self.enum_name(&["ConnectorSource"]),
            sender_ip_addresses: self.list(&["SenderIPAddresses"]),
            sender_domains: self.list(&["SenderDomains"]),
            tls_sender_certificate_name: self.text_name(&["TlsSenderCertificateName"]),
            require_tls: self.boolean(&["RequireTls"]),
            restrict_domains_to_certificate: self.boolean(&["RestrictDomainsToCertificate"]),
            restrict_domains_to_ip_addresses: self.boolean(&["RestrictDomainsToIPAddresses"]),
            cloud_services_mail_enabled: self.boolean(&["CloudServicesMailEnabled"]),
            treat_messages_as_internal: self.boolean(&["TreatMessagesAsInternal"]),
        };
        ic.printed = Some(self.printed());
        ic
    }

    fn outbound(&mut self) -> OutboundConnector {
        let mut oc = OutboundConnector {
            origin: self.rec.origin,
            printed: None,
            identity: self.string(&["Identity"]),
            name: self.string(&["Name"]),
            enabled: self.boolean(&["Enabled"]),
            connector_type: self.enum_name(&["ConnectorType"]),
            connector_source: self.enum_name(&["ConnectorSource"]),
            use_mx_record: self.boolean(&["UseMXRecord"]),
            recipient_domains: self.list(&["RecipientDomains"]),
            smart_hosts: self.list(&["SmartHosts"]),
            tls_domain: self.name(&["TlsDomain"]),
            tls_settings: self.enum_name(&["TlsSettings"]),
            is_transport_rule_scoped: self.boolean(&["IsTransportRuleScoped"]),
            route_all_messages_via_on_premises: self.boolean(&["RouteAllMessagesViaOnPremises"]),
            cloud_services_mail_enabled: self.boolean(&["CloudServicesMailEnabled"]),
            is_validated: self.boolean(&["IsValidated"]),
        };
        oc.printed = Some(self.printed());
        oc
    }

    fn accepted_domain(&mut self) -> Option<AcceptedDomain> {
        let Some(domain_name) = self.name(&["DomainName"]) else {
            let loc = self.rec.origin.loc;
            self.notes.push(ParseNote {
                loc,
                message: "an accepted domain without a DomainName; skipped".to_string(),
            });
            return None;
        };
        Some(AcceptedDomain {
            origin: self.rec.origin,
            side: self.rec.hint.side,
            domain_name,
            domain_type: self.enum_name(&["DomainType"]),
        })
    }

    fn transport_service(&mut self) -> TransportService {
        TransportService {
            origin: self.rec.origin,
            name: self
                .string(&["Name"])
                .or_else(|| self.string(&["Server", "Identity"])),
            internal_transport_certificate_thumbprint: self
                .thumbprint(&["InternalTransportCertificateThumbprint"]),
        }
    }

    fn root_store(&mut self) -> Option<RootStore> {
        let Some(server) = self.string(&["server", "Name"]) else {
            let loc = self.rec.origin.loc;
            self.notes.push(ParseNote {
                loc,
                message: "a root-store entry without a server; skipped".to_string(),
            });
            return None;
        };
        Some(RootStore {
            origin: self.rec.origin,
            server,
            disable_root_auto_update: self.boolean(&["disableRootAutoUpdate"]),
            has_digicert_global_root_g2: self
                .boolean(&["hasDigiCertGlobalRootG2", "digiCertGlobalRootG2"]),
        })
    }
}

/// `{a, b, c}` → items; `{}` → none; `...`/`…` at the end (`$FormatEnumerationLimit`) or no
/// closing brace → cut. PowerShell joins items with `, `; an item may hold a bare comma
/// (`mail.protection.outlook.com:AcceptCloudServicesMail,AcceptOorgProtocol`).
pub(super) fn list_text(s: &str) -> (Vec<String>, bool) {
    let t = s.trim();
    let (inner, mut truncated) = match t.strip_prefix('{') {
        Some(rest) => match rest.strip_suffix('}') {
            Some(inner) => (inner, false),
            None => (rest, true),
        },
        None => (t, false),
    };
    let mut items: Vec<String> = inner
        .split(", ")
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .map(str::to_string)
        .collect();
    if let Some(last) = items.last_mut() {
        let cut = last
            .strip_suffix("...")
            .or_else(|| last.strip_suffix('…'))
            .map(|s| s.trim_end().to_string());
        if let Some(kept) = cut {
            truncated = true;
            if kept.is_empty() {
                items.pop();
            } else {
                *last = kept;
            }
        }
    }
    (items, truncated)
}

/// `OU=[http://certs.example.com/repository/]` → `OU=http://certs.example.com/repository/`:
/// brackets a forum's link markup put around a web address (not a Markdown `[text](url)`).
/// `None` when there are none.
fn unbracket_links(value: &str) -> Option<String> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    let mut changed = false;
    while let Some(at) = rest.find("[http") {
        out.push_str(&rest[..at]);
        let inner_and_after = &rest[at + 1..];
        let url_len = inner_and_after
            .find(|c: char| c == ']' || c.is_whitespace() || c == '[')
            .unwrap_or(inner_and_after.len());
        let url = &inner_and_after[..url_len];
        let after = &inner_and_after[url_len..];
        let is_link = (url.starts_with("http://") || url.starts_with("https://"))
            && after.starts_with(']')
            && !after.starts_with("](");
        if is_link {
            out.push_str(url);
            rest = &after[1..];
            changed = true;
        } else {
            out.push('[');
            rest = inner_and_after;
        }
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// Flags printed as names (`Tls, Integrated`), a number, or `IP.WS..`.
fn text_flags(s: &str, kind: FlagKind) -> Flags {
    if !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_digit())
        && let Ok(bits) = s.parse::<u64>()
    {
        return numeric_flags(bits, kind);
    }
    if kind == FlagKind::Services && is_services_string(s) {
        return services_string(s);
    }
    let names: Vec<String> = s
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    // A name with a space inside came from a wrap that broke it: not to be trusted.
    let unknown_bits = names.iter().any(|n| n.contains(char::is_whitespace));
    Flags {
        names,
        raw: s.to_string(),
        unknown_bits,
    }
}

fn numeric_flags(bits: u64, kind: FlagKind) -> Flags {
    let mut names = Vec::new();
    let mut rest = bits;
    for (bit, name) in kind.bits() {
        if bits & bit != 0 {
            names.push((*name).to_string());
            rest &= !bit;
        }
    }
    if bits == 0 {
        names.push("None".to_string());
    }
    Flags {
        names,
        raw: bits.to_string(),
        unknown_bits: rest != 0,
    }
}

fn services_string(s: &str) -> Flags {
    let b = s.as_bytes();
    let mut names = Vec::new();
    let mut unknown_bits = false;
    for (i, c) in b.iter().enumerate() {
        if *c == b'.' {
            continue;
        }
        match SERVICE_POSITIONS.iter().find(|(pos, _, _)| *pos == i) {
            Some((_, letter, name)) if c.eq_ignore_ascii_case(letter) => {
                names.push((*name).to_string());
            }
            _ => unknown_bits = true,
        }
    }
    if names.is_empty() && !unknown_bits {
        names.push("None".to_string());
    }
    Flags {
        names,
        raw: s.to_string(),
        unknown_bits,
    }
}

/// `System.Object[]`, ``Microsoft.Exchange.Data.MultiValuedProperty`1[…]``: what PowerShell
/// writes for an object deeper than `-Depth`.
fn is_type_name(s: &str) -> bool {
    (s.starts_with("System.") || s.starts_with("Microsoft."))
        && !s.contains(char::is_whitespace)
        && s.matches('.').count() >= 1
        && (s.ends_with("[]") || s.contains('`') || s.split('.').count() >= 3)
}

/// The array inside a value: itself, or PowerShell 5.1's `{"value":[…],"Count":n}`.
fn json_value_items(v: &Value) -> Option<&Vec<Value>> {
    match v {
        Value::Array(items) => Some(items),
        Value::Object(m) => get(m, "value").and_then(Value::as_array),
        _ => None,
    }
}

/// A JSON list value → (item texts, how many items could not be read).
fn json_items(v: &Value) -> Option<(Vec<String>, usize)> {
    match v {
        Value::Null => None,
        Value::String(s) => {
            let s = s.trim();
            if s.is_empty() {
                return Some((Vec::new(), 0));
            }
            let (items, cut) = list_text(s);
            Some((items, usize::from(cut)))
        }
        Value::Array(_) | Value::Object(_) => {
            let items = match json_value_items(v) {
                Some(items) => items.as_slice(),
                None => std::slice::from_ref(v),
            };
            let mut out = Vec::new();
            let mut unread = 0;
            for item in items {
                match item {
                    Value::Null => {}
                    // A number in a list of names is an enum value (5.1).
                    Value::Number(_) => unread += 1,
                    other => match json_text(other, 0).as_deref().map(str::trim) {
                        Some("") => {}
                        Some(t) if !is_type_name(t) => out.push(t.to_string()),
                        _ => unread += 1,
                    },
                }
            }
            Some((out, unread))
        }
        other => json_text(other, 0).map(|t| (vec![t], 0)),
    }
}

/// A JSON value as the text `fl` would print for it. Objects are Exchange value types as
/// `ConvertTo-Json` writes them (research note §4.1): `SmtpX509Identifier` →
/// `<I>issuer<S>subject`, `IPBinding` → `0.0.0.0:25` / `[::]:25`, `AddressSpace` →
/// `SMTP:domain;1`, `SmtpDomainWithSubdomains` → `*.contoso.com`, `ADObjectId` → its name,
/// a `{"value": …}` wrapper → its value.
fn json_text(v: &Value, depth: usize) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_string()),
        Value::Null | Value::Array(_) => None,
        Value::Object(m) if depth < 3 => object_text(m, depth),
        Value::Object(_) => None,
    }
}

fn object_text(m: &Map<String, Value>, depth: usize) -> Option<String> {
    let s = |key: &str| get(m, key).and_then(|v| json_text(v, depth + 1));
    if let (Some(issuer), Some(subject)) = (s("CertificateIssuer"), s("CertificateSubject")) {
        return Some(format!("<I>{issuer}<S>{subject}"));
    }
    if let Some(value) = get(m, "value")
        && !value.is_array()
    {
        return json_text(value, depth + 1);
    }
    if let (Some(kind), Some(address), Some(cost)) = (s("Type"), s("Address"), s("Cost")) {
        return Some(format!("{kind}:{address};{cost}"));
    }
    if let (Some(address), Some(port)) = (
        get(m, "Address").and_then(|a| match a {
            Value::Object(o) => get(o, "IPAddressToString").and_then(|v| json_text(v, depth)),
            other => json_text(other, depth + 1),
        }),
        get(m, "Port").and_then(Value::as_u64),
    ) {
        return Some(if address.contains(':') {
            format!("[{address}]:{port}")
        } else {
            format!("{address}:{port}")
        });
    }
    if let (Some(domain), Some(sub)) = (
        s("Domain"),
        get(m, "IncludeSubDomains").and_then(Value::as_bool),
    ) {
        return Some(match (sub, domain.as_str()) {
            (true, "" | "*") => "*".to_string(),
            (true, d) => format!("*.{d}"),
            (false, d) => d.to_string(),
        });
    }
    if let Some(ip) = get(m, "IsIPAddress").and_then(Value::as_bool) {
        return if ip { s("Address") } else { s("Domain") };
    }
    [
        "IPAddressToString",
        "Domain",
        "Address",
        "Name",
        "DisplayName",
    ]
    .iter()
    .find_map(|k| s(k))
}

/// The server in an `ADObjectId`'s distinguished name:
/// `CN=Default Frontend EX01,CN=SMTP Receive Connectors,CN=Protocols,CN=EX01,CN=Servers,…`.
fn server_from_dn(dn: &str) -> Option<String> {
    let lower = dn.to_ascii_lowercase();
    let at = lower.find(",cn=protocols,cn=")? + ",cn=protocols,cn=".len();
    let rest = dn.get(at..)?;
    let server = rest.split(',').next()?.trim();
    (!server.is_empty()).then(|| server.to_string())
}
