//! The parser against what real forum, blog and issue pastes do to cmdlet output (issue 11's
//! sixteen collected samples), each mangling re-written as a fixture of our own under
//! `tests/data/exchange/` (the samples themselves are not copied into the repository).

#![allow(clippy::unwrap_used)]

use time::macros::datetime;

use super::tests::{
    cut, fixture, has_note, input, items, known, named, names, parse_fixture, parse_text, value,
};
use super::*;
use crate::exchange::model::Date;

/// (server, name, bindings, enabled) of a receive connector.
type ConnectorRow<'c> = (Option<&'c str>, Option<&'c str>, Vec<&'c str>, Option<bool>);

/// (identity, address spaces, cut, enabled) of a send connector.
type AddressSpaceRow<'c> = (Option<&'c str>, Vec<&'c str>, bool, Option<bool>);

fn subjects(c: &Config) -> Vec<Option<&str>> {
    c.certificates
        .iter()
        .map(|x| x.subject.as_ref().map(|s| s.value.as_str()))
        .collect()
}

fn thumbprints(c: &Config) -> Vec<Option<&str>> {
    c.certificates
        .iter()
        .map(|x| x.thumbprint.as_deref())
        .collect()
}

// ---- Certificate tables -------------------------------------------------------------------

#[test]
fn certificate_table_without_a_dash_line_blank_lines_and_redacted_thumbprints() {
    let c = parse_fixture("certificates-table-forum.txt");
    assert_eq!(c.inputs[0].formats, vec![InputFormat::Table]);
    assert_eq!(c.certificates.len(), 4, "{:?}", c.notes);
    // A thumbprint with `***` in it is not one: left out, never guessed.
    assert_eq!(
        thumbprints(&c),
        [
            None,
            Some("A1B2C3D4E5F60718293A4B5C6D7E8F9012345678"),
            None,
            None
        ]
    );
    for line in [5, 9, 11] {
        assert!(
            has_note(&c, line, "not a thumbprint"),
            "{line}: {:?}",
            c.notes
        );
        assert!(has_note(&c, line, "redacted"), "{line}: {:?}", c.notes);
    }
    // The subject cut with `...` is not read as a whole subject.
    assert_eq!(
        subjects(&c),
        [
            None,
            Some("CN=Microsoft Exchange Server Auth Certificate"),
            Some("CN=SRVEX01"),
            Some("CN=WMSvc-SHA2-SRVEX01")
        ]
    );
    assert!(has_note(&c, 5, "`Subject` was cut by the table's width"));
    assert!(has_note(&c, 5, "CN=mail.XXXXX.com, O=XXXX Ltd"));
    assert_eq!(names(&c.certificates[0].services), ["IMAP", "IIS", "SMTP"]);
    assert_eq!(names(&c.certificates[2].services), ["POP", "IIS", "SMTP"]);
    assert_eq!(names(&c.certificates[3].services), ["None"]);
    assert_eq!(c.certificates[2].origin.loc.line, 9);
    // The header is not mistaken for a property line without its colon.
    assert!(!c.notes.iter().any(|n| n.message.contains("no ` : `")));
}

#[test]
fn certificate_table_with_a_row_marker_and_an_annotation_after_the_subject() {
    let c = parse_fixture("certificates-table-annotated.txt");
    assert_eq!(c.certificates.len(), 4, "{:?}", c.notes);
    assert_eq!(
        c.certificates[0].thumbprint.as_deref(),
        Some("6A5B4C3D2E1F0A9B8C7D6E5F4A3B2C1D0E9F8A7B")
    );
    assert_eq!(
        value(&c.certificates[0].subject),
        "CN=mail.XXXXX.com, OU=IT, O=XXXX LAB, L=Springfield, C=US"
    );
    assert!(has_note(&c, 3, "`<== the one to export`"));
    assert_eq!(names(&c.certificates[0].services), ["IIS", "SMTP"]);
    assert_eq!(
        subjects(&c)[1..],
        [
            Some("CN=SRVEX01"),
            Some("CN=Microsoft Exchange Server Auth Certificate"),
            Some("CN=WMSvc-SRVEX01")
        ]
    );
    assert_eq!(c.notes.len(), 1, "{:?}", c.notes);
}

#[test]
fn certificate_table_in_html_markup() {
    let c = parse_fixture("certificates-table-html.txt");
    assert!(has_note(&c, 0, "HTML"));
    assert_eq!(c.certificates.len(), 2, "{:?}", c.notes);
    // `zzz…`/`www…` are redactions, not thumbprints.
    assert_eq!(thumbprints(&c), [None, None]);
    assert!(has_note(&c, 5, "redacted"));
    assert!(has_note(&c, 6, "redacted"));
    // The tags around `=` and `,` are gone; the cut subject is not read.
    assert_eq!(subjects(&c), [Some("CN=srvex01"), None]);
    assert!(has_note(&c, 6, "`Subject` was cut by the table's width"));
    assert_eq!(names(&c.certificates[0].services), ["POP"]);
    assert_eq!(names(&c.certificates[1].services), ["IMAP", "IIS"]);
    assert_eq!(
        c.certificates[1].services.as_ref().unwrap().has("SMTP"),
        Some(false)
    );
    // The prompt line came through the entities (`&#91;PS&#93; …&gt;Get-…`).
    assert_eq!(c.certificates[0].origin.loc.line, 5);
    assert!(
        c.certificates
            .iter()
            .all(|x| x.origin.format == InputFormat::Table)
    );
}

#[test]
fn text_that_only_mentions_tags_is_not_taken_for_html() {
    // `<I>` and `<S>` are Exchange's markers, not HTML; no tag we strip is here.
    let c = parse_text(
        "TransportRole : FrontendTransport\nBindings : {[::]:25}\n\
         TlsCertificateName : <I>CN=CA &amp; Co<S>CN=mail.XXXXX.com\n",
    );
    assert_eq!(
        value(&c.receive_connectors[0].tls_certificate_name),
        "<I>CN=CA &amp; Co<S>CN=mail.XXXXX.com"
    );
    assert!(c.notes.is_empty(), "{:?}", c.notes);
}

#[test]
fn exchange_2010_services_strings_have_six_positions() {
    let c = parse_fixture("certificates-table-exchange2010.txt");
    assert_eq!(c.certificates.len(), 3);
    assert_eq!(
        names(&c.certificates[0].services),
        ["IMAP", "POP", "IIS", "SMTP"]
    );
    assert_eq!(names(&c.certificates[1].services), ["SMTP", "Federation"]);
    // `IP....` is six flags, not a value cut with `...`.
    assert_eq!(names(&c.certificates[2].services), ["IMAP", "POP"]);
    let renewed = c.certificates[2].services.as_ref().unwrap();
    assert_eq!(renewed.has("SMTP"), Some(false));
    assert_eq!(
        subjects(&c),
        [
            Some("CN=mail.XXXXX.com"),
            Some("CN=Federation"),
            Some("CN=SRVEX01")
        ]
    );
    assert!(c.notes.is_empty(), "{:?}", c.notes);
}

#[test]
fn subjects_all_cut_at_one_width_are_not_read() {
    let c = parse_fixture("certificates-table-narrow.txt");
    assert_eq!(c.certificates.len(), 3);
    // Every row ends at the same column: the console cut the subjects without `...`.
    assert_eq!(subjects(&c), [None, None, None]);
    assert!(has_note(&c, 5, "cut"));
    assert!(has_note(&c, 5, "`CN=Fede`"));
    assert_eq!(
        c.certificates[1].thumbprint.as_deref(),
        Some("00112233445566778899AABBCCDDEEFF00112233")
    );
    assert_eq!(names(&c.certificates[2].services), ["IMAP", "POP"]);
}

// ---- Connector tables ---------------------------------------------------------------------

#[test]
fn receive_connector_table_with_collapsed_padding() {
    let c = parse_fixture("receive-connectors-table-forum.txt");
    let rows: Vec<ConnectorRow<'_>> = c
        .receive_connectors
        .iter()
        .map(|rc| {
            (
                rc.server.as_ref().map(|s| s.name()),
                rc.name.as_deref(),
                items(&rc.bindings),
                rc.enabled,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                Some("SRVEX01"),
                Some("Default SRVEX01"),
                vec!["0.0.0.0:2525", "[::]:2525"],
                Some(true)
            ),
            (
                Some("SRVEX01"),
                Some("Client Proxy SRVEX01"),
                vec!["[::]:465", "0.0.0.0:465"],
                Some(true)
            ),
            (
                Some("SRVEX01"),
                Some("Default Frontend SRVEX01"),
                vec!["[::]:25", "0.0.0.0:25"],
                Some(true)
            ),
            (
                Some("SRVEX01"),
                Some("Relay from scanners"),
                vec!["10.0.0.25:25"],
                Some(false)
            ),
            (
                Some("SRVEX01"),
                Some("Client Frontend SRVEX01"),
                vec!["[::]:587", "0.0.0.0:587"],
                Some(true)
            ),
        ]
    );
    let rc = &c.receive_connectors[2];
    assert_eq!(
        rc.identity.as_deref(),
        Some("SRVEX01\\Default Frontend SRVEX01")
    );
    assert_eq!(rc.server, named("SRVEX01"));
    assert_eq!(rc.origin.loc.line, 11);
    assert_eq!(rc.origin.format, InputFormat::Table);
    assert_eq!(rc.tls_certificate_name, None);
    assert!(c.notes.is_empty(), "{:?}", c.notes);
}

#[test]
fn send_connector_table_with_a_cut_address_space_list() {
    let c = parse_fixture("send-connectors-table.txt");
    let rows: Vec<AddressSpaceRow<'_>> = c
        .send_connectors
        .iter()
        .map(|sc| {
            (
                sc.identity.as_deref(),
                items(&sc.address_spaces),
                cut(&sc.address_spaces),
                sc.enabled,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                Some("Outbound to Office 365 - 4c1e2d3f"),
                vec!["smtp:XXXXX.mail.onmicrosoft.com;1"],
                false,
                Some(true)
            ),
            (
                Some("Internet via smart host"),
                vec!["SMTP:*;1"],
                false,
                Some(false)
            ),
            // The table cut the second item mid-word: `SMTP:par` is not an address space.
            (
                Some("To partners"),
                vec!["SMTP:partner-one.example;1"],
                true,
                Some(true)
            ),
        ]
    );
}

#[test]
fn a_table_row_and_a_list_of_the_same_connector_are_one_connector() {
    let c = parse_fixture("inbound-connector-table-and-fl.txt");
    let [inb] = &c.inbound_connectors[..] else {
        panic!("{:?}", c.inbound_connectors)
    };
    assert_eq!(inb.name.as_deref(), Some("Partner relay"));
    assert_eq!(inb.origin.loc.line, 6);
    assert_eq!(inb.origin.format, InputFormat::FormatList);
    // `Enabled` is only in the table; `ConnectorType` is in neither.
    assert_eq!(inb.enabled, Some(true));
    assert_eq!(inb.connector_type, None);
    assert_eq!(
        items(&inb.sender_ip_addresses),
        ["192.0.2.10", "192.0.2.11"]
    );
    assert_eq!(inb.tls_sender_certificate_name, None);
    assert_eq!(inb.restrict_domains_to_ip_addresses, Some(true));
    assert!(has_note(&c, 4, "same"), "{:?}", c.notes);
}

// ---- Format-List variants -----------------------------------------------------------------

#[test]
fn format_list_with_equals_signs_for_colons() {
    let c = parse_fixture("accepted-domain-fl-equals.txt");
    let [d] = &c.accepted_domains[..] else {
        panic!("{:?} {:?}", c.accepted_domains, c.notes)
    };
    assert_eq!(d.domain_name, "XXXXX.onmicrosoft.com");
    assert_eq!(d.domain_type.as_deref(), Some("Authoritative"));
    assert_eq!(d.origin.loc.line, 1);
    assert!(has_note(&c, 1, "` = `"), "{:?}", c.notes);
    assert!(!c.notes.iter().any(|n| n.message.contains("no ` : `")));
}

#[test]
fn equals_signs_make_values_holding_one_unreadable() {
    // The times were `00:00:22` before the search and replace; a DN's `=` cannot be told
    // from a replaced `:`.
    let c = parse_text(
        "Thumbprint = 3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1\n\
         Subject    = CN=mail.XXXXX.com\n\
         Services   = IIS, SMTP\n\
         NotAfter   = 30.11.2026 00=00=22\n\
         Status     = Valid\n",
    );
    let [cert] = &c.certificates[..] else {
        panic!("{:?}", c.notes)
    };
    assert_eq!(
        cert.thumbprint.as_deref(),
        Some("3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1")
    );
    assert_eq!(names(&cert.services), ["IIS", "SMTP"]);
    assert_eq!(cert.status.as_deref(), Some("Valid"));
    assert_eq!(cert.not_after, None);
    assert_eq!(cert.subject, None);
    assert!(has_note(&c, 4, "`NotAfter`"));
    assert!(has_note(&c, 2, "`Subject`"));
}

#[test]
fn equals_lines_inside_a_colon_record_are_not_properties() {
    let c = parse_text(
        "Thumbprint : 3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1\n\
         Services : SMTP\n\
         Subject = CN=x\n",
    );
    assert_eq!(c.certificates.len(), 1);
    assert_eq!(c.certificates[0].subject, None);
}

#[test]
fn receive_connector_excerpt_cut_before_its_tls_properties() {
    let c = parse_fixture("receive-connector-fl-cut.txt");
    let [rc] = &c.receive_connectors[..] else {
        panic!("{:?}", c.notes)
    };
    assert_eq!(rc.origin.loc.line, 1);
    assert_eq!(items(&rc.bindings), ["[::]:25", "0.0.0.0:25"]);
    assert_eq!(rc.auth_mechanism.as_ref().unwrap().has("Tls"), Some(true));
    assert_eq!(rc.tls_certificate_name, None);
    assert_eq!(rc.fqdn, None);
    // The last line is the start of a property name: the paste was cut there.
    assert!(has_note(&c, 10, "`DomainSecur`"), "{:?}", c.notes);
    assert!(has_note(&c, 10, "cut"), "{:?}", c.notes);
    assert!(!c.notes.iter().any(|n| n.message.contains("prose")));
    assert_eq!(c.notes.len(), 1, "{:?}", c.notes);
}

#[test]
fn verbose_lines_and_lower_case_names_around_a_certificate() {
    let c = parse_fixture("certificate-fl-verbose.txt");
    // One certificate: the table row is the same object (same thumbprint text) as the list.
    let [cert] = &c.certificates[..] else {
        panic!("{:?} {:?}", c.certificates, c.notes)
    };
    assert_eq!(cert.origin.loc.line, 5);
    // Property names in any case (PowerShell's are case-insensitive).
    assert_eq!(names(&cert.services), ["IMAP", "POP", "IIS", "SMTP"]);
    assert_eq!(cert.status.as_deref(), Some("Valid"));
    assert_eq!(
        value(&cert.issuer),
        "CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US"
    );
    assert!(matches!(cert.not_after, Some(Date::Ambiguous { .. })));
    // `…CREDACTED…` is not hex: no thumbprint, and a note.
    assert_eq!(cert.thumbprint, None);
    assert!(has_note(&c, 9, "not a thumbprint"));
    // The two views disagree on the subject (uneven redaction): neither is trusted.
    assert_eq!(cert.subject, None);
    assert!(has_note(&c, 18, "different `Subject`"), "{:?}", c.notes);
    // `VERBOSE:` and the tab-separated test results are not data, and not worth a note.
    assert!(
        !c.notes
            .iter()
            .any(|n| n.message.contains("VERBOSE") || n.message.contains("no ` : `")),
        "{:?}",
        c.notes
    );
    // What was printed but not read is not known: not "printed" (an empty value would be).
    let printed = cert.printed.as_ref().unwrap();
    assert!(printed.has("services") && printed.has("Issuer") && printed.has("NotAfter"));
    assert!(!printed.has("Subject") && !printed.has("Thumbprint"));
    // Its only certificate, under a prompt that ran something else: an excerpt.
    assert!(cert.from_filtered_list);
    assert!(has_note(
        &c,
        5,
        "one certificate pasted: taken as an excerpt"
    ));
    assert_eq!(c.notes.len(), 4, "{:?}", c.notes);
}

#[test]
fn lower_case_property_names_are_read() {
    let c = parse_text(
        "thumbprint : 3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1\nservices : SMTP\n\
         subject : CN=SRVEX01\nnotafter : 16.04.2026 23:59:59\n",
    );
    let [cert] = &c.certificates[..] else {
        panic!("{:?}", c.notes)
    };
    assert_eq!(value(&cert.subject), "CN=SRVEX01");
    assert_eq!(names(&cert.services), ["SMTP"]);
    assert_eq!(known(&cert.not_after), datetime!(2026-04-16 23:59:59 UTC));
}

#[test]
fn forum_joined_wraps_and_bracketed_links_in_a_dn() {
    let c = parse_fixture("hybrid-fl-joined.txt");
    let [h] = &c.hybrid[..] else {
        panic!("{:?}", c.notes)
    };
    let tls = h.tls_certificate_name.as_ref().unwrap();
    assert_eq!(
        tls.value,
        "<I>CN=Example Secure CA - G2, OU=http://certs.example.com/repository/, \
         O=\"Example CA, Inc.\", L=Springfield, S=Illinois, C=US<S>CN=mail.XXXXX.com"
    );
    // The run of spaces was a wrap the forum joined back: a space in it may not be the
    // server's.
    assert!(tls.wrapped);
    assert!(has_note(&c, 11, "spaces"), "{:?}", c.notes);
    assert!(has_note(&c, 11, "brackets"), "{:?}", c.notes);
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
}

#[test]
fn forum_fixtures_never_panic_when_mutated() {
    use super::tests::{Rng, check_invariants, fuzz_iterations, mutate};
    let names = [
        "certificates-table-forum.txt",
        "certificates-table-annotated.txt",
        "certificates-table-html.txt",
        "certificates-table-narrow.txt",
        "receive-connectors-table-forum.txt",
        "send-connectors-table.txt",
        "inbound-connector-table-and-fl.txt",
        "accepted-domain-fl-equals.txt",
        "receive-connector-fl-cut.txt",
        "certificate-fl-verbose.txt",
        "hybrid-fl-joined.txt",
    ];
    let corpus: Vec<Vec<u8>> = names.iter().map(|n| fixture(n)).collect();
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    for i in 0..fuzz_iterations(6_000) {
        let base = &corpus[rng.below(corpus.len())];
        let mut inputs = vec![input("a", mutate(&mut rng, base))];
        if i % 10 == 0 {
            let other = &corpus[rng.below(corpus.len())];
            inputs.push(input("b", mutate(&mut rng, other)));
        }
        let c = parse(&inputs, &ParseOptions::default());
        check_invariants(&c, inputs.len());
    }
}

#[test]
fn one_assignment_in_prose_is_not_an_object() {
    let c = parse_text("I then ran this:\nTlsAuthLevel = DomainValidation\nand mail stopped.\n");
    assert!(c.is_empty());
    assert!(c.notes.is_empty(), "{:?}", c.notes);
}

#[test]
fn html_and_equals_pathologies_stay_linear() {
    use super::tests::check_invariants;
    // Half a megabyte: enough to show a quadratic step, and quick.
    let many = 512 * 1024;
    let cases: Vec<Vec<u8>> = vec![
        // Tags that never close, entities that never end, tags inside tags.
        format!("<pre>{}", "<span ".repeat(many / 6)).into_bytes(),
        format!("<br>{}", "&#".repeat(many / 2)).into_bytes(),
        "<span><span>&gt;".repeat(many / 16).into_bytes(),
        // Lines that are all `=` properties, and prose over a long blank tail.
        "A = b\n".repeat(many / 6).into_bytes(),
        format!(
            "{}{}",
            "Bindings : {x}\nword\n".repeat(many / 40),
            " ".repeat(many)
        )
        .into_bytes(),
        // Known table headers and rows that are almost rows.
        "Thumbprint Services Subject\n\nx IP.WS.. CN=a <== b\n"
            .repeat(many / 48)
            .into_bytes(),
        "Identity Bindings Enabled\nS\\a {b} True\nS\\a {b\n"
            .repeat(many / 44)
            .into_bytes(),
    ];
    for bytes in cases {
        let c = parse(&[input("big", bytes)], &ParseOptions::default());
        check_invariants(&c, 1);
        assert!(c.notes.len() <= 101, "notes are capped per input");
    }
}

#[test]
fn a_last_word_of_prose_is_not_a_cut_property() {
    let c = parse_text("TransportRole : FrontendTransport\nBindings : {[::]:25}\nThanks");
    assert_eq!(c.receive_connectors.len(), 1);
    assert!(
        !c.notes.iter().any(|n| n.message.contains("cut")),
        "{:?}",
        c.notes
    );
    // The start of a name it knows is a cut, whatever its case.
    let c = parse_text("TransportRole : FrontendTransport\nBindings : {[::]:25}\nTlsCert\n\n");
    assert!(has_note(&c, 3, "seems cut here"), "{:?}", c.notes);
}
