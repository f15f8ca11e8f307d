//! The parser against the formats of the research note (§1, §4), one fixture per format under
//! `tests/data/exchange/` (written for these tests; `seed001-receive-connector.txt` is the
//! extract from seed 001), plus a mutation run that checks it never panics.

#![allow(clippy::unwrap_used)]

use time::OffsetDateTime;
use time::macros::datetime;

use super::*;
use crate::exchange::model::{Date, Flags, List, ParseNote, ServerName, Text};

pub(super) fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/exchange/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).expect(&path)
}

pub(super) fn input(name: &str, bytes: Vec<u8>) -> RawInput {
    RawInput {
        name: name.to_string(),
        bytes,
        truncated: false,
    }
}

pub(super) fn parse_fixture(name: &str) -> Config {
    parse(&[input(name, fixture(name))], &ParseOptions::default())
}

pub(super) fn parse_text(text: &str) -> Config {
    parse(
        &[input("paste.txt", text.as_bytes().to_vec())],
        &ParseOptions::default(),
    )
}

pub(super) fn value(t: &Option<Text>) -> &str {
    &t.as_ref().expect("a text value").value
}

pub(super) fn items(l: &Option<List>) -> Vec<&str> {
    l.as_ref()
        .expect("a list")
        .items
        .iter()
        .map(String::as_str)
        .collect()
}

pub(super) fn cut(l: &Option<List>) -> bool {
    l.as_ref().expect("a list").truncated
}

pub(super) fn names(f: &Option<Flags>) -> Vec<&str> {
    f.as_ref()
        .expect("flags")
        .names
        .iter()
        .map(String::as_str)
        .collect()
}

pub(super) fn known(d: &Option<Date>) -> OffsetDateTime {
    match d {
        Some(Date::Known(t)) => *t,
        other => panic!("not a known date: {other:?}"),
    }
}

pub(super) fn line_of(t: &Option<Text>) -> usize {
    t.as_ref().expect("a text value").loc.line
}

pub(super) fn has_note(c: &Config, line: usize, needle: &str) -> bool {
    c.notes
        .iter()
        .any(|n| n.loc.line == line && n.message.contains(needle))
}

pub(super) fn named(s: &str) -> Option<ServerName> {
    Some(ServerName::Named(s.to_string()))
}

// ---- Format-List ----------------------------------------------------------------------------

#[test]
fn seed_001_fragment_is_a_receive_connector_with_its_glued_prose_flagged() {
    let c = parse_fixture("seed001-receive-connector.txt");
    assert_eq!(c.inputs[0].encoding, "UTF-8");
    assert_eq!(c.inputs[0].formats, vec![InputFormat::FormatList]);
    assert_eq!(c.receive_connectors.len(), 1);
    assert!(c.certificates.is_empty() && c.send_connectors.is_empty());
    let rc = &c.receive_connectors[0];
    // Starts at the cut `unspaceId` line (line 2; line 1 is the forum's "below an extract").
    assert_eq!(rc.origin.loc.line, 2);
    assert_eq!(rc.origin.format, InputFormat::FormatList);
    assert_eq!(
        names(&rc.auth_mechanism),
        [
            "Tls",
            "Integrated",
            "BasicAuth",
            "BasicAuthRequireTLS",
            "ExchangeServer"
        ]
    );
    assert_eq!(rc.auth_mechanism.as_ref().unwrap().has("Tls"), Some(true));
    assert_eq!(items(&rc.bindings), ["[::]:25", "0.0.0.0:25"]);
    assert!(!cut(&rc.bindings));
    assert_eq!(value(&rc.fqdn), "SRVEX01.domain.local");
    assert_eq!(line_of(&rc.fqdn), 20);
    let tls = value(&rc.tls_certificate_name);
    assert!(tls.starts_with(
        "<I>CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US<S>CN=*.XXXXX.com, O=XXXXSince the fact"
    ));
    assert_eq!(line_of(&rc.tls_certificate_name), 22);
    assert!(!rc.tls_certificate_name.as_ref().unwrap().wrapped);
    // Nothing in it names a server, its role, or its name.
    assert_eq!(rc.server, None);
    assert_eq!(rc.identity, None);
    assert_eq!(rc.name, None);
    assert_eq!(rc.transport_role, None);
    assert!(has_note(
        &c,
        22,
        "`TlsCertificateName` seems to have prose glued onto its end"
    ));
    assert_eq!(c.notes.len(), 1, "{:?}", c.notes);
}

#[test]
fn exchange_certificate_list_after_a_renewal() {
    let c = parse_fixture("certificates-fl-en-US.txt");
    assert_eq!(c.certificates.len(), 4);
    assert!(c.notes.is_empty(), "{:?}", c.notes);
    let [own, auth, old, new] = &c.certificates[..] else {
        unreachable!()
    };

    assert_eq!(own.origin.loc.line, 4);
    assert_eq!(
        own.thumbprint.as_deref(),
        Some("3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1")
    );
    assert_eq!(value(&own.subject), "CN=SRVEX01");
    assert_eq!(value(&own.issuer), "CN=SRVEX01");
    assert_eq!(items(&own.domains), ["SRVEX01", "SRVEX01.domain.local"]);
    assert_eq!(names(&own.services), ["IMAP", "POP", "IIS", "SMTP"]);
    assert_eq!(own.self_signed, Some(true));
    assert_eq!(own.has_private_key, Some(true));
    assert_eq!(own.root_ca_type.as_deref(), Some("Registry"));
    assert_eq!(own.public_key_size, Some(2048));
    assert_eq!(own.status.as_deref(), Some("Valid"));
    assert_eq!(known(&own.not_before), datetime!(2024-02-14 3:12:45 UTC));
    assert_eq!(known(&own.not_after), datetime!(2029-02-14 3:12:45 UTC));
    // `fl` does not print the server, and nothing else in this paste names one.
    assert_eq!(own.server, None);

    assert_eq!(
        value(&auth.subject),
        "CN=Microsoft Exchange Server Auth Certificate"
    );
    assert_eq!(items(&auth.domains), Vec::<&str>::new());
    assert!(!cut(&auth.domains));
    assert_eq!(names(&auth.services), ["SMTP"]);
    assert_eq!(auth.root_ca_type.as_deref(), Some("None"));
    assert_eq!(known(&auth.not_after), datetime!(2029-01-08 21:04:12 UTC));

    assert_eq!(
        value(&old.subject),
        "CN=*.XXXXX.com, O=XXXX, L=Springfield, S=Illinois, C=US"
    );
    assert_eq!(
        value(&old.issuer),
        "CN=DigiCert TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US"
    );
    assert_eq!(
        items(&old.domains),
        [
            "*.XXXXX.com",
            "XXXXX.com",
            "autodiscover.XXXXX.com",
            "mail.XXXXX.com"
        ]
    );
    assert!(cut(&old.domains), "`mail.XXXXX.com...` is a cut list");
    assert_eq!(
        old.domains.as_ref().unwrap().any(|d| d == "smtp.XXXXX.com"),
        None
    );
    assert_eq!(old.status.as_deref(), Some("DateInvalid"));
    assert_eq!(known(&old.not_after), datetime!(2025-04-17 23:59:59 UTC));
    assert_eq!(known(&old.not_before), datetime!(2024-03-18 0:00:00 UTC));

    assert_eq!(value(&new.subject), "CN=*.XXXXX.com");
    assert_eq!(
        value(&new.issuer),
        "CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US"
    );
    assert_eq!(names(&new.services), ["IIS"]);
    assert_eq!(new.services.as_ref().unwrap().has("SMTP"), Some(false));
    assert_eq!(known(&new.not_before), datetime!(2025-03-20 0:00:00 UTC));
    assert_eq!(known(&new.not_after), datetime!(2026-04-16 23:59:59 UTC));
    assert_eq!(new.subject.as_ref().unwrap().loc.line, 65);
}

#[test]
fn server_flag_names_the_certificates_server() {
    let opts = ParseOptions {
        server: Some("SRVEX01".to_string()),
    };
    let name = "certificates-fl-en-US.txt";
    let c = parse(&[input(name, fixture(name))], &opts);
    assert!(
        c.certificates
            .iter()
            .all(|cert| cert.server == Some(ServerName::Given("SRVEX01".to_string())))
    );
}

#[test]
fn aligned_receive_connectors_with_a_wrapped_tls_certificate_name() {
    let c = parse_fixture("receive-connectors-fl.txt");
    assert!(c.notes.is_empty(), "{:?}", c.notes);
    let [front, client] = &c.receive_connectors[..] else {
        panic!("{:?}", c.receive_connectors)
    };
    assert_eq!(front.origin.loc.line, 3);
    assert_eq!(
        front.identity.as_deref(),
        Some("SRVEX01\\Default Frontend SRVEX01")
    );
    assert_eq!(front.name.as_deref(), Some("Default Frontend SRVEX01"));
    assert_eq!(front.server, named("SRVEX01"));
    assert_eq!(front.transport_role.as_deref(), Some("FrontendTransport"));
    assert_eq!(front.enabled, Some(true));
    assert_eq!(front.require_tls, Some(false));
    assert_eq!(value(&front.fqdn), "mail.XXXXX.com");
    let tls = front.tls_certificate_name.as_ref().unwrap();
    assert_eq!(
        tls.value,
        "<I>CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US<S>CN=*.XXXXX.com, O=XXXX"
    );
    assert!(tls.wrapped, "joined from two lines");
    assert_eq!(tls.loc.line, 16);
    assert_eq!(
        names(&front.permission_groups),
        ["AnonymousUsers", "ExchangeServers", "ExchangeLegacyServers"]
    );
    assert_eq!(
        items(&front.remote_ip_ranges),
        [
            "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "0.0.0.0-255.255.255.255"
        ]
    );
    assert_eq!(items(&front.tls_domain_capabilities), Vec::<&str>::new());

    assert_eq!(client.origin.loc.line, 34);
    assert_eq!(client.name.as_deref(), Some("Client Frontend SRVEX01"));
    assert_eq!(items(&client.bindings), ["[::]:587", "0.0.0.0:587"]);
    assert_eq!(client.tls_certificate_name, None, "empty means not set");
    assert_eq!(value(&client.fqdn), "SRVEX01.domain.local");
    assert_eq!(
        names(&client.auth_mechanism),
        ["Tls", "Integrated", "BasicAuth", "BasicAuthRequireTLS"]
    );
    assert_eq!(names(&client.permission_groups), ["ExchangeUsers"]);
}

#[test]
fn forum_copy_with_a_blank_line_after_every_property() {
    let c = parse_fixture("receive-connectors-forum.txt");
    let [front, client] = &c.receive_connectors[..] else {
        panic!("{:?}", c.receive_connectors)
    };
    assert_eq!(
        front.identity.as_deref(),
        Some("SRVEX01\\Default Frontend SRVEX01")
    );
    assert_eq!(front.server, named("SRVEX01"));
    assert_eq!(items(&front.bindings), ["[::]:25", "0.0.0.0:25"]);
    assert_eq!(value(&front.fqdn), "SRVEX01.domain.local");
    // The list ran onto an unindented line; its `}` closes it.
    assert_eq!(
        items(&front.remote_ip_ranges),
        [
            "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "0.0.0.0-255.255.255.255"
        ]
    );
    assert!(!cut(&front.remote_ip_ranges));
    assert_eq!(front.tls_certificate_name, None);
    assert_eq!(front.transport_role.as_deref(), Some("FrontendTransport"));
    assert_eq!(
        client.identity.as_deref(),
        Some("SRVEX01\\Client Frontend SRVEX01")
    );
    assert_eq!(items(&client.bindings), ["[::]:587", "0.0.0.0:587"]);
    assert_eq!(client.remote_ip_ranges, None);
    assert!(c.notes.is_empty(), "{:?}", c.notes);
}

#[test]
fn hybrid_configuration_with_features_wrapped_onto_two_lines() {
    let c = parse_fixture("hybrid-fl.txt");
    assert!(c.notes.is_empty(), "{:?}", c.notes);
    let [h] = &c.hybrid[..] else {
        panic!("{:?}", c.hybrid)
    };
    assert_eq!(h.origin.loc.line, 4);
    assert_eq!(items(&h.receiving_transport_servers), ["SRVEX01"]);
    assert_eq!(items(&h.sending_transport_servers), ["SRVEX01"]);
    assert_eq!(items(&h.edge_transport_servers), Vec::<&str>::new());
    assert_eq!(h.on_premises_smart_host.as_deref(), Some("mail.XXXXX.com"));
    assert_eq!(
        items(&h.domains),
        ["XXXXX.com", "XXXXX.mail.onmicrosoft.com"]
    );
    assert_eq!(
        items(&h.features),
        [
            "FreeBusy",
            "MoveMailbox",
            "Mailtips",
            "MessageTracking",
            "OwaRedirection",
            "OnlineArchive",
            "SecureMail",
            "Photos"
        ]
    );
    assert!(!cut(&h.features));
    assert_eq!(h.features.as_ref().unwrap().loc.line, 11);
    let tls = h.tls_certificate_name.as_ref().unwrap();
    assert_eq!(
        tls.value,
        "<I>CN=DigiCert TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US<S>CN=*.XXXXX.com, O=XXXX, L=Springfield, S=Illinois, C=US"
    );
    assert!(tls.wrapped);
    assert_eq!(h.service_instance.as_deref(), Some("0"));
}

#[test]
fn exchange_online_connectors_and_the_accepted_domain_table() {
    let c = parse_fixture("exo-connectors.txt");
    assert!(c.notes.is_empty(), "{:?}", c.notes);
    assert_eq!(
        c.inputs[0].formats,
        vec![InputFormat::FormatList, InputFormat::Table]
    );
    let [inb] = &c.inbound_connectors[..] else {
        panic!("{:?}", c.inbound_connectors)
    };
    assert_eq!(inb.origin.loc.line, 3);
    assert_eq!(
        inb.identity.as_deref(),
        Some("Inbound from 4c1e2d3f-5a6b-4c7d-8e9f-a0b1c2d3e4f5")
    );
    assert_eq!(inb.connector_type.as_deref(), Some("OnPremises"));
    assert_eq!(inb.connector_source.as_deref(), Some("HybridWizard"));
    assert_eq!(items(&inb.sender_domains), ["smtp:*;1"]);
    assert_eq!(items(&inb.sender_ip_addresses), Vec::<&str>::new());
    assert_eq!(value(&inb.tls_sender_certificate_name), "*.XXXXX.com");
    assert_eq!(line_of(&inb.tls_sender_certificate_name), 14);
    assert_eq!(inb.require_tls, Some(true));
    assert_eq!(inb.restrict_domains_to_certificate, Some(false));
    assert_eq!(inb.restrict_domains_to_ip_addresses, Some(false));
    assert_eq!(inb.cloud_services_mail_enabled, Some(true));
    assert_eq!(inb.treat_messages_as_internal, Some(false));
    assert_eq!(inb.enabled, Some(true));

    let [out] = &c.outbound_connectors[..] else {
        panic!("{:?}", c.outbound_connectors)
    };
    assert_eq!(out.origin.loc.line, 25);
    assert_eq!(out.use_mx_record, Some(false));
    assert_eq!(
        items(&out.recipient_domains),
        [
            "XXXXX.com",
            "eu.XXXXX.com",
            "us.XXXXX.com",
            "asia.XXXXX.com"
        ]
    );
    assert!(
        cut(&out.recipient_domains),
        "PowerShell 7 ends a cut list with …"
    );
    assert_eq!(items(&out.smart_hosts), ["mail.XXXXX.com"]);
    assert_eq!(out.tls_domain.as_deref(), Some("mail.XXXXX.com"));
    assert_eq!(out.tls_settings.as_deref(), Some("DomainValidation"));
    assert_eq!(out.is_transport_rule_scoped, Some(false));
    assert_eq!(out.route_all_messages_via_on_premises, Some(false));
    assert_eq!(out.cloud_services_mail_enabled, Some(true));
    assert_eq!(out.is_validated, Some(false));
    assert_eq!(out.connector_source.as_deref(), Some("HybridWizard"));

    let domains: Vec<(&str, Option<&str>, usize)> = c
        .accepted_domains
        .iter()
        .map(|d| {
            (
                d.domain_name.as_str(),
                d.domain_type.as_deref(),
                d.origin.loc.line,
            )
        })
        .collect();
    assert_eq!(
        domains,
        [
            ("XXXXX.com", Some("Authoritative"), 48),
            ("XXXXX.onmicrosoft.com", Some("Authoritative"), 49),
            ("XXXXX.mail.onmicrosoft.com", Some("InternalRelay"), 50),
        ]
    );
    assert!(
        c.accepted_domains
            .iter()
            .all(|d| d.origin.format == InputFormat::Table)
    );
}

// ---- Table view -----------------------------------------------------------------------------

#[test]
fn certificate_table_view() {
    let c = parse_fixture("certificates-table.txt");
    assert_eq!(c.inputs[0].formats, vec![InputFormat::Table]);
    let rows: Vec<(&str, Vec<&str>, Option<&str>)> = c
        .certificates
        .iter()
        .map(|cert| {
            (
                cert.thumbprint.as_deref().unwrap(),
                names(&cert.services),
                cert.subject.as_ref().map(|s| s.value.as_str()),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1",
                vec!["IMAP", "POP", "IIS", "SMTP"],
                Some("CN=SRVEX01")
            ),
            (
                "B7E41C0D2A9F8E6D5C4B3A291807F6E5D4C3B2A1",
                vec!["SMTP"],
                Some("CN=Microsoft Exchange Server Auth Certificate")
            ),
            (
                "F1E2D3C4B5A6978869504A3B2C1D0E1F2A3B4C5D",
                vec!["IIS"],
                Some("CN=*.XXXXX.com")
            ),
            // The subject was cut by the console width: not read, and said so.
            (
                "0A1B2C3D4E5F60718293A4B5C6D7E8F901234567",
                vec!["IIS", "SMTP"],
                None
            ),
            (
                "9C8B7A6F5E4D3C2B1A0F9E8D7C6B5A4F3E2D1C0B",
                vec!["None"],
                Some("CN=WMSvc-SRVEX01")
            ),
        ]
    );
    assert_eq!(c.certificates[0].services.as_ref().unwrap().raw, "IP.WS..");
    assert!(
        c.certificates
            .iter()
            .all(|cert| !cert.services.as_ref().unwrap().unknown_bits)
    );
    assert_eq!(c.certificates[0].origin.loc.line, 5);
    assert_eq!(c.certificates[0].origin.format, InputFormat::Table);
    assert!(has_note(&c, 8, "`Subject` was cut by the table's width"));
    assert_eq!(c.notes.len(), 1, "{:?}", c.notes);
}

#[test]
fn services_string_positions_that_are_not_known_make_unknown_bits() {
    let c = parse_text(
        "Thumbprint                                Services   Subject\n\
         ----------                                --------   -------\n\
         3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1  ..U.S.F    CN=x\n",
    );
    let f = c.certificates[0].services.as_ref().unwrap();
    assert_eq!(f.names, ["SMTP"]);
    assert!(f.unknown_bits);
    assert_eq!(f.has("SMTP"), Some(true));
    assert_eq!(f.has("IIS"), None);
}

// ---- Encodings ------------------------------------------------------------------------------

pub(super) fn utf16(text: &str, bom: bool, big_endian: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend(if big_endian {
            [0xFE, 0xFF]
        } else {
            [0xFF, 0xFE]
        });
    }
    for unit in text.encode_utf16() {
        out.extend(if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    out
}

#[test]
fn utf16le_file_with_bom_as_windows_powershell_redirects() {
    let text = String::from_utf8(fixture("certificates-fl-en-US.txt")).unwrap();
    let utf8 = parse_text(&text);
    for (bytes, label) in [
        (utf16(&text, true, false), "UTF-16LE (BOM)"),
        (utf16(&text, false, false), "UTF-16LE"),
        (utf16(&text, true, true), "UTF-16BE (BOM)"),
    ] {
        let c = parse(&[input("certs.txt", bytes)], &ParseOptions::default());
        assert_eq!(c.inputs[0].encoding, label);
        assert_eq!(c.certificates, utf8.certificates, "{label}");
    }
    let mut with_bom = vec![0xEF, 0xBB, 0xBF];
    with_bom.extend(text.as_bytes());
    let c = parse(&[input("certs.txt", with_bom)], &ParseOptions::default());
    assert_eq!(c.inputs[0].encoding, "UTF-8 (BOM)");
    assert_eq!(c.certificates, utf8.certificates);
}

#[test]
fn windows_1252_when_not_utf8() {
    // “Fabrikam” Café – in the ANSI code page: curly quotes, é, en dash.
    let mut bytes = b"Issuer : CN=\x93Fabrikam\x94 Caf\xe9 \x96 CA\n".to_vec();
    bytes.extend(b"Thumbprint : 3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1\nServices : SMTP\n");
    let c = parse(&[input("ansi.txt", bytes)], &ParseOptions::default());
    assert_eq!(c.inputs[0].encoding, "Windows-1252");
    assert_eq!(
        value(&c.certificates[0].issuer),
        "CN=\u{201C}Fabrikam\u{201D} Caf\u{e9} \u{2013} CA"
    );
}

#[test]
fn no_break_spaces_from_a_browser_copy_are_spaces() {
    let c = parse_text(
        "Bindings\u{A0}:\u{A0}{[::]:25}\nTransportRole :\u{A0}FrontendTransport\n\
         Fqdn\u{A0}\u{A0}\u{A0}: mail.contoso.com\n",
    );
    let rc = &c.receive_connectors[0];
    assert_eq!(items(&rc.bindings), ["[::]:25"]);
    assert_eq!(value(&rc.fqdn), "mail.contoso.com");
}

#[test]
fn utf8_cut_inside_its_last_character_is_still_utf8() {
    let mut bytes = "Subject : CN=Zürich\nCertificateDomains : {zürich.example}\n€"
        .as_bytes()
        .to_vec();
    bytes.pop();
    let c = parse(
        &[RawInput {
            name: "cut.txt".to_string(),
            bytes,
            truncated: true,
        }],
        &ParseOptions::default(),
    );
    assert_eq!(c.inputs[0].encoding, "UTF-8");
    assert!(c.inputs[0].truncated);
    assert_eq!(value(&c.certificates[0].subject), "CN=Zürich");
}

// ---- Dates ----------------------------------------------------------------------------------

#[test]
fn de_de_dates_are_day_first() {
    let c = parse_fixture("certificates-fl-de-DE.txt");
    let cert = &c.certificates[0];
    assert_eq!(known(&cert.not_before), datetime!(2025-03-05 0:00:00 UTC));
    assert_eq!(known(&cert.not_after), datetime!(2026-04-16 23:59:59 UTC));
}

#[test]
fn en_gb_dates_stay_ambiguous_unless_the_same_output_settles_them() {
    let c = parse_fixture("certificates-fl-en-GB.txt");
    let [alone, settled, proof] = &c.certificates[..] else {
        panic!("{:?}", c.certificates)
    };
    // 05/03/2025 and 04/03/2026: both readings are dates, both keep NotBefore < NotAfter.
    assert_eq!(
        alone.not_before,
        Some(Date::Ambiguous {
            month_first: datetime!(2025-05-03 0:00:00 UTC),
            day_first: datetime!(2025-03-05 0:00:00 UTC),
        })
    );
    assert_eq!(
        alone.not_after,
        Some(Date::Ambiguous {
            month_first: datetime!(2026-04-03 23:59:59 UTC),
            day_first: datetime!(2026-03-04 23:59:59 UTC),
        })
    );
    // The second output (after its own prompt) holds a certificate dated 20/02/2024: day first.
    assert_eq!(
        known(&settled.not_before),
        datetime!(2025-03-05 0:00:00 UTC)
    );
    assert_eq!(
        known(&settled.not_after),
        datetime!(2026-03-04 23:59:59 UTC)
    );
    assert_eq!(known(&proof.not_after), datetime!(2029-02-20 3:12:45 UTC));
    // `-Server` on each prompt names the server of the certificates after it.
    assert_eq!(alone.server, named("SRVEX01"));
    assert_eq!(settled.server, named("SRVEX02"));
    assert_eq!(proof.server, named("SRVEX02"));
}

#[test]
fn not_before_after_not_after_settles_the_order() {
    // Month first would put NotBefore (2 Nov) after NotAfter (4 Mar): day first it is.
    let c = parse_text(
        "Thumbprint : 3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1\nServices : SMTP\n\
         NotBefore : 11/02/2025 10:00:00\nNotAfter : 03/04/2025 10:00:00\n",
    );
    let cert = &c.certificates[0];
    assert_eq!(known(&cert.not_before), datetime!(2025-02-11 10:00:00 UTC));
    assert_eq!(known(&cert.not_after), datetime!(2025-04-03 10:00:00 UTC));
}

#[test]
fn a_utc_twin_settles_the_order_for_its_output() {
    // The connector's WhenChanged / WhenChangedUTC straddle midnight: only day first puts
    // them within 14 hours. The certificate printed in the same output follows.
    let c = parse_text(
        "Identity : SRVEX01\\Default Frontend SRVEX01\nTransportRole : FrontendTransport\n\
         Bindings : {0.0.0.0:25}\nWhenChanged : 05/03/2025 01:10:00\n\
         WhenChangedUTC : 04/03/2025 23:10:00\n\n\
         Thumbprint : 3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1\nServices : SMTP\n\
         NotBefore : 05/03/2025 00:00:00\nNotAfter : 04/03/2026 00:00:00\n",
    );
    assert_eq!(c.receive_connectors.len(), 1);
    let cert = &c.certificates[0];
    assert_eq!(known(&cert.not_before), datetime!(2025-03-05 0:00:00 UTC));
    assert_eq!(known(&cert.not_after), datetime!(2026-03-04 0:00:00 UTC));
}

#[test]
fn am_pm_dates_are_ambiguous_unless_the_output_says_which_order() {
    let us = parse_text(
        "Thumbprint : 3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1\nServices : SMTP\n\
         NotBefore : 3/4/2025 1:53:00 PM\nNotAfter : 3/4/2026 12:00:00 AM\n",
    );
    // en-US or en-AU: AM/PM does not say (3 April or 4 March).
    let cert = &us.certificates[0];
    assert!(matches!(cert.not_before, Some(Date::Ambiguous { .. })));
    // A 14 in the second field of the same output settles it: month first.
    let us = parse_text(
        "Thumbprint : 3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1\nServices : SMTP\n\
         NotBefore : 3/14/2025 1:53:00 PM\nNotAfter : 3/4/2026 12:00:00 AM\n",
    );
    let cert = &us.certificates[0];
    assert_eq!(known(&cert.not_after), datetime!(2026-03-04 0:00:00 UTC));
    // en-AU prints AM/PM day first: a 20 in the first field of the same output shows it.
    let au = parse_text(
        "Thumbprint : 3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1\nServices : SMTP\n\
         NotBefore : 20/02/2018 1:53:00 PM\nNotAfter : 12/02/2019 1:53:00 PM\n",
    );
    let cert = &au.certificates[0];
    assert_eq!(known(&cert.not_after), datetime!(2019-02-12 13:53:00 UTC));
}

#[test]
fn conflicting_date_evidence_leaves_the_ambiguous_dates_ambiguous() {
    let c = parse_text(
        "Thumbprint : 3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1\nServices : SMTP\n\
         NotBefore : 20/02/2024 00:00:00\nNotAfter : 02/20/2029 00:00:00\n\n\
         Thumbprint : B7E41C0D2A9F8E6D5C4B3A291807F6E5D4C3B2A1\nServices : SMTP\n\
         NotBefore : 05/03/2025 00:00:00\nNotAfter : 04/03/2026 00:00:00\n",
    );
    assert!(matches!(
        c.certificates[1].not_before,
        Some(Date::Ambiguous { .. })
    ));
    assert!(has_note(&c, 6, "both month-first and day-first"));
}

#[test]
fn date_forms() {
    use super::dates::{Order, parse as date};
    let k = |s: &str| date(s).map(|d| d.resolve(Order::Unknown));
    assert_eq!(
        k("2025-03-04T10:00:00.1234567+01:00"),
        Some(Date::Known(datetime!(2025-03-04 9:00:00.1234567 UTC)))
    );
    assert_eq!(
        k("2025-03-04T10:00:00Z"),
        Some(Date::Known(datetime!(2025-03-04 10:00:00 UTC)))
    );
    assert_eq!(
        k("2025-03-04 10:00:00"),
        Some(Date::Known(datetime!(2025-03-04 10:00:00 UTC)))
    );
    assert_eq!(
        k("2025/03/04 10:00:00"),
        Some(Date::Known(datetime!(2025-03-04 10:00:00 UTC)))
    );
    assert_eq!(
        k("/Date(1742428800000)/"),
        Some(Date::Known(datetime!(2025-03-20 0:00:00 UTC)))
    );
    assert_eq!(
        k("/Date(1742428800000+0100)/"),
        Some(Date::Known(datetime!(2025-03-20 0:00:00 UTC)))
    );
    assert_eq!(
        k("04.03.2025 13:53:00"),
        Some(Date::Known(datetime!(2025-03-04 13:53:00 UTC)))
    );
    assert_eq!(
        k("4-3-2025 13:53:00"),
        Some(Date::Known(datetime!(2025-03-04 13:53:00 UTC)))
    );
    assert!(matches!(
        k("12/02/2018 12:53:00 AM"),
        Some(Date::Ambiguous { .. })
    ));
    assert_eq!(
        k("3/3/2025 10:00"),
        Some(Date::Known(datetime!(2025-03-03 10:00:00 UTC)))
    );
    assert_eq!(
        k("13/02/2025"),
        Some(Date::Known(datetime!(2025-02-13 0:00:00 UTC)))
    );
    for bad in [
        "",
        "31/31/2025 10:00:00",
        "3/4/25 10:00",
        "13:00:00 PM 3/4/2025",
        "3/4/2025 13:00:00 PM",
        "2025-02-30",
        "Tuesday, March 4, 2025",
        "2025/3/4 午後 1:53:00",
        "/Date(99999999999999999999)/",
    ] {
        assert_eq!(k(bad), None, "{bad}");
    }
}

#[test]
fn an_unreadable_date_is_left_out_with_a_note() {
    let c = parse_text(
        "Thumbprint : 3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1\nServices : SMTP\n\
         NotAfter : 2025年3月4日 13:53:00\n",
    );
    assert_eq!(c.certificates[0].not_after, None);
    assert!(has_note(
        &c,
        3,
        "`NotAfter` is not a date this check can read"
    ));
}

// ---- Raw ConvertTo-Json ---------------------------------------------------------------------

#[test]
fn windows_powershell_51_raw_json_of_receive_connectors() {
    let c = parse_fixture("ps51-receive-connectors.json");
    assert_eq!(c.inputs[0].formats, vec![InputFormat::RawJson]);
    let [front, client] = &c.receive_connectors[..] else {
        panic!("{:?}", c.receive_connectors)
    };
    assert_eq!(front.origin.loc.line, 3);
    assert_eq!(front.origin.format, InputFormat::RawJson);
    assert_eq!(client.origin.loc.line, 72);
    // AuthMechanism 31 and 15, PermissionGroups 13 and 2.
    assert_eq!(
        names(&front.auth_mechanism),
        [
            "Tls",
            "Integrated",
            "BasicAuth",
            "BasicAuthRequireTLS",
            "ExchangeServer"
        ]
    );
    assert_eq!(front.auth_mechanism.as_ref().unwrap().raw, "31");
    assert!(!front.auth_mechanism.as_ref().unwrap().unknown_bits);
    assert_eq!(
        names(&client.auth_mechanism),
        ["Tls", "Integrated", "BasicAuth", "BasicAuthRequireTLS"]
    );
    assert_eq!(
        names(&front.permission_groups),
        ["AnonymousUsers", "ExchangeServers", "ExchangeLegacyServers"]
    );
    assert_eq!(names(&client.permission_groups), ["ExchangeUsers"]);
    // `{"value":[…],"Count":n}` of IPBinding objects.
    assert_eq!(items(&front.bindings), ["[::]:25", "0.0.0.0:25"]);
    assert_eq!(items(&client.bindings), ["[::]:587", "0.0.0.0:587"]);
    // SmtpX509Identifier object → the `<I>…<S>…` string.
    assert_eq!(
        value(&front.tls_certificate_name),
        "<I>CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US<S>CN=*.XXXXX.com"
    );
    assert_eq!(client.tls_certificate_name, None);
    assert_eq!(value(&front.fqdn), "SRVEX01.domain.local");
    // ADObjectId identity: the server comes from its distinguished name.
    assert_eq!(
        front.identity.as_deref(),
        Some("SRVEX01\\Default Frontend SRVEX01")
    );
    assert_eq!(
        client.identity.as_deref(),
        Some("SRVEX01\\Client Frontend SRVEX01")
    );
    assert_eq!(front.server, named("SRVEX01"));
    assert_eq!(front.enabled, Some(true));
    assert_eq!(front.require_tls, Some(false));
    assert_eq!(items(&front.tls_domain_capabilities), Vec::<&str>::new());
    // A numeric TransportRole has no known name; IPRange objects have no known text form.
    assert_eq!(front.transport_role, None);
    assert!(has_note(&c, 3, "`TransportRole` is the number 16384"));
    assert!(cut(&front.remote_ip_ranges));
    assert!(has_note(
        &c,
        3,
        "2 items of `RemoteIPRanges` could not be read"
    ));
}

#[test]
fn windows_powershell_51_raw_json_of_one_certificate() {
    let c = parse_fixture("ps51-certificate.json");
    let [cert] = &c.certificates[..] else {
        panic!("{:?}", c.certificates)
    };
    assert_eq!(cert.origin.loc.line, 1);
    assert_eq!(items(&cert.domains), ["*.XXXXX.com", "XXXXX.com"]);
    assert_eq!(known(&cert.not_after), datetime!(2026-04-16 23:59:59 UTC));
    assert_eq!(known(&cert.not_before), datetime!(2025-03-20 0:00:00 UTC));
    // Services 24 = IIS (8) + SMTP (16).
    assert_eq!(names(&cert.services), ["IIS", "SMTP"]);
    assert_eq!(cert.status, None);
    assert_eq!(cert.root_ca_type, None);
    assert!(has_note(&c, 1, "`Status` is the number 0"));
    assert_eq!(cert.public_key_size, Some(2048));
    assert_eq!(cert.friendly_name.as_deref(), Some("XXXXX wildcard 2025"));
    assert_eq!(cert.self_signed, Some(false));
    // `Identity : SRVEX01.domain.local\<thumbprint>` names the server.
    assert_eq!(cert.server, named("SRVEX01.domain.local"));
}

#[test]
fn powershell_7_json_of_exchange_online_connectors() {
    let c = parse_fixture("ps7-exo-connectors.json");
    assert!(c.notes.is_empty(), "{:?}", c.notes);
    let inb = &c.inbound_connectors[0];
    assert_eq!(inb.origin.loc.line, 2);
    assert_eq!(items(&inb.sender_domains), ["smtp:*;1"]);
    assert_eq!(value(&inb.tls_sender_certificate_name), "*.XXXXX.com");
    assert_eq!(inb.connector_type.as_deref(), Some("OnPremises"));
    assert_eq!(inb.require_tls, Some(true));
    let out = &c.outbound_connectors[0];
    assert_eq!(out.origin.loc.line, 22);
    assert_eq!(items(&out.recipient_domains).len(), 5);
    assert!(!cut(&out.recipient_domains), "JSON lists are complete");
    assert_eq!(out.tls_settings.as_deref(), Some("DomainValidation"));
    assert_eq!(out.is_validated, Some(true));
}

#[test]
fn flags_with_unknown_bits() {
    let c = parse_text(
        r#"[{"AuthMechanism": 47, "PermissionGroups": 0, "Bindings": ["0.0.0.0:25"], "TransportRole": "HubTransport"}]"#,
    );
    let rc = &c.receive_connectors[0];
    let auth = rc.auth_mechanism.as_ref().unwrap();
    assert_eq!(
        auth.names,
        ["Tls", "Integrated", "BasicAuth", "BasicAuthRequireTLS"]
    );
    assert!(
        auth.unknown_bits,
        "32 (ExternalAuthoritative?) is not known"
    );
    assert_eq!(auth.has("ExchangeServer"), None);
    assert_eq!(auth.has("Tls"), Some(true));
    assert_eq!(names(&rc.permission_groups), ["None"]);
    assert_eq!(rc.transport_role.as_deref(), Some("HubTransport"));
}

// ---- The collection script's JSON -----------------------------------------------------------

#[test]
fn collection_script_json() {
    let c = parse_fixture("script-onprem.json");
    assert!(c.notes.is_empty(), "{:?}", c.notes);
    assert_eq!(c.inputs[0].formats, vec![InputFormat::ScriptJson]);
    let [a, b] = &c.certificates[..] else {
        panic!("{:?}", c.certificates)
    };
    assert_eq!(a.origin.loc.line, 6);
    assert_eq!(a.origin.format, InputFormat::ScriptJson);
    assert_eq!(a.server, named("SRVEX01"));
    assert_eq!(b.server, named("SRVEX02"));
    let der = a.der.as_ref().expect("derBase64 decoded");
    assert_eq!(der.len(), 423);
    assert_eq!(der[..2], [0x30, 0x82]);
    // The fixture's thumbprint is the SHA-1 of those bytes (else a note would say so).
    assert_eq!(
        a.thumbprint.as_deref(),
        Some("8C8E1C5DAC3352F0A9C9AE92FC7184CA94D7A489")
    );
    assert_eq!(b.der, None);
    assert_eq!(items(&a.domains), ["*.XXXXX.com", "XXXXX.com"]);
    assert!(!cut(&a.domains));
    assert_eq!(names(&a.services), ["IIS", "SMTP"]);
    assert_eq!(a.self_signed, Some(true));
    assert_eq!(a.has_private_key, Some(true));
    assert_eq!(known(&a.not_after), datetime!(2027-12-02 18:11:17 UTC));

    let rc = &c.receive_connectors[0];
    assert_eq!(rc.origin.loc.line, 44);
    assert_eq!(rc.server, named("SRVEX01"));
    assert_eq!(rc.name.as_deref(), Some("Default Frontend SRVEX01"));
    assert_eq!(rc.transport_role.as_deref(), Some("FrontendTransport"));
    assert_eq!(
        items(&rc.tls_domain_capabilities),
        ["mail.protection.outlook.com:AcceptCloudServicesMail"]
    );
    assert_eq!(names(&rc.auth_mechanism).len(), 5);
    assert_eq!(rc.require_tls, Some(false));

    let sc = &c.send_connectors[0];
    assert_eq!(
        items(&sc.address_spaces),
        ["smtp:XXXXX.mail.onmicrosoft.com;1"]
    );
    assert_eq!(items(&sc.smart_hosts), Vec::<&str>::new());
    assert_eq!(sc.dns_routing_enabled, Some(true));
    assert_eq!(sc.tls_auth_level.as_deref(), Some("DomainValidation"));
    assert_eq!(
        sc.tls_domain.as_deref(),
        Some("mail.protection.outlook.com")
    );
    assert_eq!(sc.cloud_services_mail_enabled, Some(true));
    assert_eq!(items(&sc.source_transport_servers), ["SRVEX01", "SRVEX02"]);

    let h = &c.hybrid[0];
    assert_eq!(h.origin.loc.line, 85);
    assert_eq!(items(&h.features).len(), 8);
    assert_eq!(h.on_premises_smart_host.as_deref(), Some("mail.XXXXX.com"));

    assert_eq!(
        c.transport_services[0]
            .internal_transport_certificate_thumbprint
            .as_deref(),
        Some("3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1"),
        "upper-cased"
    );
    assert_eq!(c.accepted_domains[0].domain_name, "XXXXX.com");
    let root = &c.root_stores[0];
    assert_eq!(root.server, "SRVEX01");
    assert_eq!(root.disable_root_auto_update, Some(true));
    assert_eq!(root.has_digicert_global_root_g2, Some(false));
    assert_eq!(root.origin.loc.line, 123);
}

#[test]
fn script_json_whose_bytes_do_not_match_its_thumbprint_is_noted() {
    let c = parse_text(
        r#"{"schema": "starttls-check.exchange/1", "certificates": [
  {"server": "EX1", "thumbprint": "3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1", "derBase64": "MAMCAQE="},
  {"server": "EX1", "derBase64": "not base64!"}
]}"#,
    );
    assert_eq!(
        c.certificates[0].der.as_deref(),
        Some(&[0x30, 3, 2, 1, 1][..])
    );
    assert!(has_note(&c, 2, "hash to"));
    assert!(has_note(
        &c,
        3,
        "`derBase64` is not the certificate's bytes"
    ));
    assert_eq!(c.certificates[1].der, None);
}

// ---- Pastes with several cmdlets; servers ---------------------------------------------------

#[test]
fn ticket_paste_with_prompts_and_selected_properties() {
    let c = parse_fixture("ticket-paste.txt");
    // Each property list is said once, at its prompt.
    let lists: Vec<(usize, &str)> = c
        .notes
        .iter()
        .map(|n| (n.loc.line, n.message.as_str()))
        .collect();
    assert_eq!(
        lists,
        [
            (
                3,
                "a property list was pasted: only Identity, Fqdn, TlsCertificateName, \
                 AuthMechanism; a property not among them is not known, not empty"
            ),
            (
                10,
                "a property list was pasted: only Thumbprint, Subject, Issuer, Services, \
                 NotAfter; a property not among them is not known, not empty"
            ),
            (
                42,
                "a property list was pasted: only Name, InternalTransportCertificateThumbprint; \
                 a property not among them is not known, not empty"
            ),
        ]
    );
    // `fl Identity,Fqdn,TlsCertificateName,AuthMechanism` has no fingerprint: the prompt says.
    let [rc] = &c.receive_connectors[..] else {
        panic!("{:?}", c.receive_connectors)
    };
    let printed = rc.printed.as_ref().unwrap();
    assert_eq!(
        printed.names,
        ["Identity", "Fqdn", "TlsCertificateName", "AuthMechanism"]
    );
    assert!(!printed.has("Bindings"));
    assert_eq!(rc.origin.loc.line, 5);
    assert_eq!(rc.server, named("SRVEX01"));
    assert_eq!(value(&rc.fqdn), "SRVEX01.domain.local");
    assert_eq!(line_of(&rc.tls_certificate_name), 7);
    assert_eq!(c.certificates.len(), 2);
    // The paste names one server (the connector's, the transport service's): the
    // certificate list is taken to be that server's.
    for cert in &c.certificates {
        assert_eq!(cert.server, Some(ServerName::Assumed("SRVEX01".into())));
        // `Get-ExchangeCertificate | fl …` lists them all, whatever properties it shows.
        assert!(!cert.from_filtered_list);
        assert!(!cert.printed.as_ref().unwrap().has("CertificateDomains"));
    }
    assert_eq!(names(&c.certificates[0].services), ["IIS"]);
    assert_eq!(
        known(&c.certificates[0].not_after),
        datetime!(2026-04-16 23:59:59 UTC)
    );
    let [sc] = &c.send_connectors[..] else {
        panic!("{:?}", c.send_connectors)
    };
    assert_eq!(sc.origin.loc.line, 26);
    // Printed empty: empty, not unknown.
    assert_eq!(sc.tls_certificate_name, None);
    assert!(sc.printed.as_ref().unwrap().has("TlsCertificateName"));
    assert_eq!(value(&sc.fqdn), "mail.XXXXX.com");
    assert_eq!(sc.require_tls, Some(true));
    assert_eq!(items(&sc.smart_hosts), Vec::<&str>::new());
    let [ts] = &c.transport_services[..] else {
        panic!("{:?}", c.transport_services)
    };
    assert_eq!(ts.name.as_deref(), Some("SRVEX01"));
}

#[test]
fn inputs_are_recorded_in_order_and_servers_joined_across_them() {
    let files = [
        "certificates-fl-en-US.txt",
        "receive-connectors-fl.txt",
        "hybrid-fl.txt",
    ];
    let inputs: Vec<RawInput> = files.iter().map(|f| input(f, fixture(f))).collect();
    let c = parse(&inputs, &ParseOptions::default());
    let got: Vec<&str> = c.inputs.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(got, files);
    assert_eq!(c.receive_connectors[0].origin.loc.input, 1);
    assert_eq!(c.hybrid[0].origin.loc.input, 2);
    assert_eq!(c.at(c.hybrid[0].origin.loc), "hybrid-fl.txt:4");
    assert!(
        c.certificates
            .iter()
            .all(|cert| cert.server == Some(ServerName::Assumed("SRVEX01".into())))
    );
    // Two servers named: no assumption.
    let mut two = inputs.clone();
    two.push(input(
        "ts.txt",
        b"Name : SRVEX02\nInternalTransportCertificateThumbprint : 3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1\n"
            .to_vec(),
    ));
    let c = parse(&two, &ParseOptions::default());
    assert!(c.certificates.iter().all(|cert| cert.server.is_none()));
    // An FQDN and a short name of the same server are one server.
    let mut same = inputs;
    same.push(input(
        "ts.txt",
        b"Name : srvex01.domain.local\nInternalTransportCertificateThumbprint : 3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1\n"
            .to_vec(),
    ));
    let c = parse(&same, &ParseOptions::default());
    assert_eq!(
        c.certificates[0].server,
        Some(ServerName::Assumed("SRVEX01".into()))
    );
}

#[test]
fn records_of_different_cmdlets_separated_by_one_blank_line() {
    // No RunspaceId, no prompt: the blank line ends a record whose properties had none.
    let c = parse_text(
        "Thumbprint : 3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1\nServices : IIS, SMTP\n\n\
         DomainName : contoso.com\nDomainType : Authoritative\n",
    );
    assert_eq!(c.certificates.len(), 1);
    assert_eq!(c.accepted_domains.len(), 1);
    assert_eq!(c.accepted_domains[0].origin.loc.line, 4);
}

#[test]
fn prompts_name_cmdlet_and_server() {
    use super::text::scan;
    for (line, cmdlet, server) in [
        (
            "PS C:\\Users\\me> Get-ExchangeCertificate -Server:EX02 | fl",
            Some(Cmdlet::ExchangeCertificate),
            Some("EX02"),
        ),
        (
            "[PS] C:\\Windows\\system32>get-receiveconnector -Server 'EX03' | Format-List",
            Some(Cmdlet::ReceiveConnector),
            Some("EX03"),
        ),
        (
            "C:\\> Get-HybridConfiguration",
            Some(Cmdlet::HybridConfiguration),
            None,
        ),
        (
            "Get-TransportService | fl",
            Some(Cmdlet::TransportService),
            None,
        ),
        (
            "PS C:\\> Get-ExchangeCertificate|fl -Server EX05",
            Some(Cmdlet::ExchangeCertificate),
            None,
        ),
        ("PS C:\\> Get-Mailbox -Server EX04", None, None),
    ] {
        let text = format!("{line}\nName : x\nFqdn : y\n");
        let records = scan(&text, 0).records;
        let hint = &records[0].hint;
        assert_eq!(hint.cmdlet, cmdlet, "{line}");
        assert_eq!(hint.server.as_deref(), server, "{line}");
        assert_eq!(records[0].group, 1, "{line}");
    }
}

#[test]
fn json_after_fl_text_in_one_paste() {
    let c = parse_text(
        "DomainName : contoso.com\nDomainType : Authoritative\n\
         [PS] C:\\>Get-AcceptedDomain | ConvertTo-Json\n\
         [\n  {\"DomainName\": \"fabrikam.com\", \"DomainType\": \"InternalRelay\"}\n]\n\
         [1] see the docs\n",
    );
    let got: Vec<(&str, usize)> = c
        .accepted_domains
        .iter()
        .map(|d| (d.domain_name.as_str(), d.origin.loc.line))
        .collect();
    assert_eq!(got, [("contoso.com", 1), ("fabrikam.com", 5)]);
    assert_eq!(
        c.inputs[0].formats,
        vec![InputFormat::FormatList, InputFormat::RawJson]
    );
    assert!(c.notes.is_empty(), "{:?}", c.notes);
}

#[test]
fn broken_json_is_noted_and_read_as_text() {
    let c = parse_text("{\n  \"schema\": \"starttls-check.exchange/1\",\n  \"certificates\": [\n");
    assert!(c.is_empty());
    assert!(has_note(&c, 1, "is not valid JSON"));
}

#[test]
fn thumbprints_are_normalised_or_refused() {
    let c = parse_text(
        "Thumbprint : 3d 6b 2f 1a 9c 8e 7d 4b 5a 69 f0 e1 d2 c3 b4 a5 96 87 78 e1\n\
         Services : SMTP\n\n\
         Thumbprint : 3D6B2F1A9C8E7D4B\nServices : SMTP\n",
    );
    assert_eq!(
        c.certificates[0].thumbprint.as_deref(),
        Some("3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1")
    );
    assert_eq!(c.certificates[1].thumbprint, None);
    assert!(has_note(&c, 4, "not a thumbprint"));
}

#[test]
fn prose_that_looks_like_a_broken_property_is_noted() {
    let c = parse_text(
        "Bindings : {[::]:25}\nTransportRole : FrontendTransport\n\
         TlsCertificateName <I>CN=x<S>CN=y\n",
    );
    assert_eq!(c.receive_connectors.len(), 1);
    assert!(has_note(
        &c,
        3,
        "starts with the property name `TlsCertificateName`"
    ));
    assert!(has_note(&c, 2, "runs straight into prose"));
}

#[test]
fn unrecognised_records_are_noted() {
    let c = parse_text(
        "Name : Mailbox01\nDatabase : DB01\nProhibitSendQuota : Unlimited\n\nNote: ok\n",
    );
    assert!(c.is_empty());
    assert!(has_note(
        &c,
        1,
        "3 properties (the first `Name`) not recognised"
    ));
    assert_eq!(c.notes.len(), 1, "{:?}", c.notes);
}

#[test]
fn a_list_without_its_closing_brace_counts_as_cut() {
    let c = parse_text(
        "TransportRole : FrontendTransport\nBindings : {[::]:25, 0.0.0.0:25,\nFqdn : mail.contoso.com\n",
    );
    let rc = &c.receive_connectors[0];
    assert_eq!(items(&rc.bindings), ["[::]:25", "0.0.0.0:25,"]);
    assert!(cut(&rc.bindings));
    assert_eq!(value(&rc.fqdn), "mail.contoso.com");
}

#[test]
fn list_text_forms() {
    use super::typed::list_text;
    assert_eq!(list_text("{}"), (vec![], false));
    assert_eq!(list_text("{a}"), (vec!["a".to_string()], false));
    assert_eq!(
        list_text("{a, b, c, d...}"),
        (vec!["a".into(), "b".into(), "c".into(), "d".into()], true)
    );
    assert_eq!(
        list_text("{a, b, c, d…}"),
        (vec!["a".into(), "b".into(), "c".into(), "d".into()], true)
    );
    assert_eq!(list_text("{a, ...}"), (vec!["a".into()], true));
    assert_eq!(
        list_text("{mail.protection.outlook.com:AcceptCloudServicesMail,AcceptOorgProtocol}"),
        (
            vec!["mail.protection.outlook.com:AcceptCloudServicesMail,AcceptOorgProtocol".into()],
            false
        )
    );
}

#[test]
fn base64() {
    use super::b64::decode;
    assert_eq!(decode("TWFu"), Some(b"Man".to_vec()));
    assert_eq!(decode("TWE="), Some(b"Ma".to_vec()));
    assert_eq!(decode("TWE"), Some(b"Ma".to_vec()));
    assert_eq!(decode("TQ=="), Some(b"M".to_vec()));
    assert_eq!(decode("T W\r\nF u"), Some(b"Man".to_vec()));
    assert_eq!(decode(""), Some(vec![]));
    for bad in ["T", "TQ=x", "TW-u", "TQ===", "TR=="] {
        assert_eq!(decode(bad), None, "{bad}");
    }
}

// ---- Robustness -----------------------------------------------------------------------------

/// Deterministic xorshift: the same mutations on every run.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub(super) fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Pieces that steer the parser into its corners.
const TOKENS: [&str; 24] = [
    "{",
    "}",
    "[",
    "]",
    "...",
    "…",
    " : ",
    ":",
    "\r",
    "\n",
    "\n\n",
    "    ",
    "[PS] C:\\>Get-ReceiveConnector -Server EX9 | fl\n",
    "\u{FEFF}",
    "\0",
    "/Date(99999999999999999)/",
    "\\/Date(-1)\\/",
    "99/99/9999 25:61:61 PM",
    "{\"value\": [",
    "\"",
    "Thumbprint                                Services   Subject\n----------  --------   -------\n",
    "RunspaceId : x\n",
    "IP.WS..",
    "\"schema\": \"starttls-check.exchange/1\", ",
];

pub(super) fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut b = base.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(b.len() + 1);
        match rng.below(7) {
            0 if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
            1 => b.insert(at, rng.next() as u8),
            2 => {
                let end = (at + rng.below(64)).min(b.len());
                b.drain(at..end);
            }
            3 => {
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                b.splice(at..at, t.iter().copied());
            }
            4 => b.truncate(at),
            5 => {
                // Repeat a slice (a duplicated line or record).
                let end = (at + rng.below(200)).min(b.len());
                let piece = b[at..end].to_vec();
                b.splice(at..at, piece);
            }
            _ => {
                let i = rng.below(b.len() + 1);
                let j = rng.below(b.len() + 1);
                let (lo, hi) = (i.min(j), i.max(j));
                b[lo..hi].reverse();
            }
        }
    }
    b
}

/// What must hold for any input, however broken.
pub(super) fn check_invariants(c: &Config, inputs: usize) {
    assert_eq!(c.inputs.len(), inputs);
    let texts = c
        .certificates
        .iter()
        .flat_map(|x| [&x.subject, &x.issuer])
        .chain(
            c.receive_connectors
                .iter()
                .flat_map(|x| [&x.fqdn, &x.tls_certificate_name]),
        )
        .chain(c.hybrid.iter().map(|x| &x.tls_certificate_name));
    for t in texts.flatten() {
        assert!(!t.value.trim().is_empty());
        assert!(t.loc.input < inputs);
    }
    for t in c
        .certificates
        .iter()
        .filter_map(|x| x.thumbprint.as_ref())
        .chain(
            c.transport_services
                .iter()
                .filter_map(|x| x.internal_transport_certificate_thumbprint.as_ref()),
        )
    {
        assert!(
            t.len() == 40
                && t.bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        );
    }
    let lists = c
        .certificates
        .iter()
        .map(|x| &x.domains)
        .chain(c.receive_connectors.iter().map(|x| &x.bindings))
        .chain(c.hybrid.iter().map(|x| &x.features));
    for l in lists.flatten() {
        assert!(l.items.iter().all(|i| !i.is_empty() && i.trim() == i));
    }
    let notes: &[ParseNote] = &c.notes;
    assert!(notes.iter().all(|n| n.loc.input < inputs));
}

/// How many mutated inputs a fuzz test parses: `default`, or `STARTTLS_FUZZ_ITERATIONS` (a
/// longer run by hand, in release: `STARTTLS_FUZZ_ITERATIONS=200000 cargo test --release
/// --lib exchange::parse -- never_panic`).
pub(super) fn fuzz_iterations(default: usize) -> usize {
    std::env::var("STARTTLS_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn never_panics_on_mutated_inputs() {
    let names = [
        "seed001-receive-connector.txt",
        "certificates-fl-en-US.txt",
        "certificates-fl-en-GB.txt",
        "receive-connectors-fl.txt",
        "receive-connectors-forum.txt",
        "hybrid-fl.txt",
        "exo-connectors.txt",
        "certificates-table.txt",
        "ps51-receive-connectors.json",
        "ps51-certificate.json",
        "ps7-exo-connectors.json",
        "script-onprem.json",
        "ticket-paste.txt",
    ];
    let mut corpus: Vec<Vec<u8>> = names.iter().map(|n| fixture(n)).collect();
    let text = String::from_utf8(fixture("hybrid-fl.txt")).unwrap();
    corpus.push(utf16(&text, true, false));
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let opts = ParseOptions {
        server: Some("EX1".to_string()),
    };
    let none = ParseOptions::default();
    for i in 0..fuzz_iterations(8_000) {
        // Mostly a window of a fixture (cheap), every tenth time all of it.
        let whole = &corpus[rng.below(corpus.len())];
        let base = if i % 10 == 0 {
            &whole[..]
        } else {
            let from = rng.below(whole.len());
            &whole[from..(from + 1 + rng.below(1500)).min(whole.len())]
        };
        let mut inputs = vec![input("a", mutate(&mut rng, base))];
        if i % 10 == 0 {
            let other = &corpus[rng.below(corpus.len())];
            inputs.push(input("b", mutate(&mut rng, other)));
        }
        let c = parse(&inputs, if i % 2 == 0 { &opts } else { &none });
        check_invariants(&c, inputs.len());
    }
}

#[test]
fn pathological_inputs_stay_linear() {
    // One line a little longer than the 8 MiB cap, of prose, of a value, of a list, of a name.
    let big = 8 * 1024 * 1024 + 1024;
    // Many short lines: half a megabyte is enough to show a quadratic step (a quarter of a
    // million lines each read again) and keeps the test fast.
    let many = 512 * 1024;
    let cases: Vec<Vec<u8>> = vec![
        "x ".repeat(big / 2).into_bytes(),
        format!("Fqdn : {}", "a".repeat(big)).into_bytes(),
        format!("Bindings : {{{}}}", "1, ".repeat(big / 3)).into_bytes(),
        format!("{}: x", "A".repeat(big)).into_bytes(),
        vec![0xFFu8; big],
        // Nested, unterminated or not-line-ending JSON at the start of many lines.
        "[\n".repeat(many / 2).into_bytes(),
        "[1],\n".repeat(many / 5).into_bytes(),
        "{\"a\":\n".repeat(many / 6).into_bytes(),
        // Arrays that parse to the end and have text after them there (review item 23).
        super::listing_tests::nested_not_ending_its_line(127, many / 8).into_bytes(),
        // Many records, many continuation lines, many notes.
        "Thumbprint : 3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1\nServices : SMTP\n\n"
            .repeat(many / 60)
            .into_bytes(),
        format!("Features : {{a,\n{}", "   b,\n".repeat(many / 6)).into_bytes(),
        "Thumbprint : nope\nServices : SMTP\n\n"
            .repeat(many / 32)
            .into_bytes(),
    ];
    for bytes in cases {
        let c = parse(&[input("big", bytes)], &ParseOptions::default());
        check_invariants(&c, 1);
        assert!(c.notes.len() <= 101, "notes are capped per input");
    }
}
