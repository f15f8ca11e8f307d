//! What a paste shows of a listing, beyond its values: which properties each object printed
//! (`Printed`), whether a certificate list was filtered or is an excerpt
//! (`from_filtered_list`), which side an accepted domain came from (`side`), which servers
//! the paste names (for the certificate list's assumed server), and that looking for JSON
//! stays linear.

#![allow(clippy::unwrap_used)]

use time::macros::datetime;

use super::tests::{has_note, input, parse_fixture, parse_text};
use super::*;
use crate::exchange::model::{Printed, ServerName, Side, Text};
use crate::exchange::select::{Selection, select_printed};

const SELF_SIGNED: &str = "\
Thumbprint         : 3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1
Subject            : CN=SRVEX01
Issuer             : CN=SRVEX01
CertificateDomains : {SRVEX01, SRVEX01.domain.local}
Services           : IMAP, POP, IIS, SMTP
NotAfter           : 2/14/2029 3:12:45 AM
";

const WILDCARD: &str = "\
Thumbprint         : F1E2D3C4B5A6978869504A3B2C1D0E1F2A3B4C5D
Subject            : CN=*.XXXXX.com
Issuer             : CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US
CertificateDomains : {*.XXXXX.com, XXXXX.com}
Services           : IIS, SMTP
NotAfter           : 4/16/2026 11:59:59 PM
";

/// Two certificates after `prompt` (none when empty).
fn two_after(prompt: &str) -> String {
    format!("{prompt}\n\n{SELF_SIGNED}\n{WILDCARD}")
}

fn printed_names(p: &Option<Printed>) -> Vec<&str> {
    p.as_ref()
        .expect("printed")
        .names
        .iter()
        .map(String::as_str)
        .collect()
}

// ---- What each object printed ---------------------------------------------------------------

#[test]
fn the_collection_script_prints_every_property() {
    let c = parse_fixture("script-onprem.json");
    let all = Some(Printed::all());
    assert!(c.certificates.iter().all(|x| x.printed == all));
    assert!(c.receive_connectors.iter().all(|x| x.printed == all));
    assert!(c.send_connectors.iter().all(|x| x.printed == all));
    assert!(c.hybrid.iter().all(|x| x.printed == all));
    assert!(!c.certificates.is_empty() && !c.hybrid.is_empty());
}

#[test]
fn raw_json_prints_the_keys_it_has() {
    let c = parse_fixture("ps51-receive-connectors.json");
    let p = c.receive_connectors[0].printed.as_ref().unwrap();
    assert!(p.has("TlsCertificateName") && p.has("Bindings") && p.has("RunspaceId"));
    assert!(!p.has("*"));
    // `Select-Object Identity,Fqdn | ConvertTo-Json`: no `TlsCertificateName` key, and a
    // `null` one is printed (empty).
    let c = parse_text(
        "[PS] C:\\>Get-ReceiveConnector | select Identity,Bindings,Fqdn,Banner | ConvertTo-Json\n\
         {\"Identity\": \"EX01\\\\Default Frontend EX01\", \"Bindings\": [\"0.0.0.0:25\"], \
         \"Fqdn\": \"mail.contoso.com\", \"Banner\": null}\n",
    );
    let rc = &c.receive_connectors[0];
    assert_eq!(
        printed_names(&rc.printed),
        ["Banner", "Bindings", "Fqdn", "Identity"]
    );
    assert!(!rc.printed.as_ref().unwrap().has("TlsCertificateName"));
}

#[test]
fn a_table_prints_its_columns_and_an_empty_cell_is_empty() {
    let c = parse_fixture("receive-connectors-table-forum.txt");
    for rc in &c.receive_connectors {
        assert_eq!(
            printed_names(&rc.printed),
            ["Identity", "Bindings", "Enabled"]
        );
    }
    let c = parse_text(
        "[PS] C:\\>Get-SendConnector | ft Identity,Fqdn,TlsCertificateName\n\n\
         Identity          Fqdn              TlsCertificateName\n\
         --------          ----              ------------------\n\
         Outbound to EOP   mail.contoso.com\n",
    );
    let [sc] = &c.send_connectors[..] else {
        panic!("{:?} {:?}", c.send_connectors, c.notes)
    };
    assert_eq!(sc.tls_certificate_name, None);
    assert_eq!(
        printed_names(&sc.printed),
        ["Identity", "Fqdn", "TlsCertificateName"]
    );
    // A row cut before its `Enabled` column did not print it.
    let c = parse_text(
        "Identity Bindings Enabled\n\nEX01\\Default Frontend EX01 {[::]:25, 0.0.0.0:25}\n",
    );
    assert_eq!(
        printed_names(&c.receive_connectors[0].printed),
        ["Identity", "Bindings"]
    );
}

#[test]
fn a_value_that_could_not_be_read_was_not_printed() {
    // ` = ` for ` : `: the `=` inside the name may have been a `:`, so it is not read, and
    // it must not read as an empty `TlsCertificateName` either.
    let c = parse_text(
        "Identity = EX01\\Default Frontend EX01\n\
         Bindings = {0.0.0.0:25}\n\
         TransportRole = FrontendTransport\n\
         Fqdn = mail.contoso.com\n\
         TlsCertificateName = <I>CN=CA<S>CN=mail.contoso.com\n",
    );
    let rc = &c.receive_connectors[0];
    assert_eq!(rc.tls_certificate_name, None);
    let p = rc.printed.as_ref().unwrap();
    assert!(p.has("Fqdn") && !p.has("TlsCertificateName"), "{p:?}");
    // A table cell cut by the width.
    let c = parse_text(
        "[PS] C:\\>Get-ReceiveConnector | ft Identity,Fqdn,TlsCertificateName\n\
         Identity                      Fqdn               TlsCertificateName\n\
         --------                      ----               ------------------\n\
         EX01\\Default Frontend EX01    mail.contoso.com   <I>CN=DigiCert Global G2 TLS RSA SHA...\n",
    );
    let rc = &c.receive_connectors[0];
    assert_eq!(rc.tls_certificate_name, None);
    assert_eq!(printed_names(&rc.printed), ["Identity", "Fqdn"]);
    assert!(has_note(&c, 4, "cut by the table's width"));
}

#[test]
fn a_pasted_property_list_leaves_the_certificate_unknown_not_the_fqdns() {
    // The review's case: `| fl Identity,Bindings,Fqdn` printed no `TlsCertificateName`;
    // read as empty, Exchange would select by the Fqdn, and a missing match would FAIL.
    let c = parse_text(&format!(
        "[PS] C:\\>Get-ReceiveConnector | fl Identity,Bindings,Fqdn\n\n\
         Identity : EX01\\Default Frontend EX01\n\
         Bindings : {{[::]:25, 0.0.0.0:25}}\n\
         Fqdn     : mail.contoso.com\n\n\
         [PS] C:\\>Get-ExchangeCertificate -Server EX01 | fl\n\n{SELF_SIGNED}\n{WILDCARD}"
    ));
    assert!(has_note(
        &c,
        1,
        "a property list was pasted: only Identity, Bindings, Fqdn"
    ));
    let rc = &c.receive_connectors[0];
    let sel = select_printed(
        &c,
        rc.printed.as_ref(),
        rc.tls_certificate_name.as_ref(),
        rc.fqdn.as_ref(),
        Some("EX01"),
        rc.origin.format,
        datetime!(2026-01-01 0:00 UTC),
    );
    assert!(
        matches!(&sel, Selection::Unknown(why) if why.contains("TlsCertificateName is not in the paste")),
        "{sel:?}"
    );
    // With the whole object it is the Fqdn's to decide.
    let fqdn = Text::new("mail.contoso.com");
    let sel = select_printed(
        &c,
        Some(&Printed::all()),
        None,
        Some(&fqdn),
        Some("EX01"),
        rc.origin.format,
        datetime!(2026-01-01 0:00 UTC),
    );
    assert!(!matches!(sel, Selection::Unknown(_)), "{sel:?}");
}

#[test]
fn exchange_online_objects_and_the_hybrid_configuration_say_what_they_printed() {
    let c = parse_fixture("exo-connectors.txt");
    let inbound = c.inbound_connectors[0].printed.as_ref().unwrap();
    assert!(inbound.has("TlsSenderCertificateName") && !inbound.has("TlsSettings"));
    let outbound = c.outbound_connectors[0].printed.as_ref().unwrap();
    assert!(outbound.has("TlsSettings") && outbound.has("LastValidationTimestamp"));
    let c = parse_fixture("hybrid-fl.txt");
    let h = c.hybrid[0].printed.as_ref().unwrap();
    assert!(h.has("TlsCertificateName") && h.has("EdgeTransportServers"));
}

// ---- Filtered listings and excerpts ---------------------------------------------------------

#[test]
fn a_filtered_listing_marks_its_certificates() {
    for (prompt, filter) in [
        (
            "[PS] C:\\>Get-ExchangeCertificate -Thumbprint 3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1 | fl",
            "-Thumbprint",
        ),
        (
            "[PS] C:\\>Get-ExchangeCertificate -DomainName mail.XXXXX.com | fl",
            "-DomainName",
        ),
        (
            "[PS] C:\\>Get-ExchangeCertificate -Identity SRVEX01\\3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1 | fl",
            "-Identity",
        ),
        (
            "PS C:\\> Get-ExchangeCertificate 3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1 | fl",
            "an identity or thumbprint given without its parameter name",
        ),
        (
            "[PS] C:\\>Get-ExchangeCertificate | ? {$_.Services -match 'SMTP'} | fl",
            "Where-Object",
        ),
        (
            "[PS] C:\\>Get-ExchangeCertificate -Server SRVEX01 | Where-Object {$_.IsSelfSigned -eq $false} | fl",
            "Where-Object",
        ),
        (
            "[PS] C:\\>Get-ExchangeCertificate | where Services -like '*SMTP*' | fl",
            "Where-Object",
        ),
        (
            "[PS] C:\\>Get-ExchangeCertificate | sort NotBefore -Descending | Select-Object -First 2 | fl",
            "Select-Object -First",
        ),
        (
            "[PS] C:\\>Get-ExchangeCertificate | select -last 2 | fl",
            "Select-Object -Last",
        ),
        // A list kept in a variable and filtered.
        (
            "PS C:\\> $certs | ? {$_.NotAfter -gt (Get-Date)} | fl",
            "Where-Object",
        ),
    ] {
        let c = parse_text(&two_after(prompt));
        assert_eq!(c.certificates.len(), 2, "{prompt}");
        assert!(
            c.certificates.iter().all(|x| x.from_filtered_list),
            "{prompt}"
        );
        assert!(
            has_note(
                &c,
                1,
                &format!("this certificate list was filtered ({filter}): the server's other")
            ),
            "{prompt}: {:?}",
            c.notes
        );
        assert_eq!(c.notes.len(), 1, "{prompt}: {:?}", c.notes);
    }
}

#[test]
fn a_whole_listing_is_not_filtered() {
    for prompt in [
        "[PS] C:\\>Get-ExchangeCertificate | fl",
        "[PS] C:\\>Get-ExchangeCertificate -Server SRVEX01 | Format-List",
        "PS C:\\> Get-ExchangeCertificate -Server:SRVEX01 -Verbose | fl *",
        "Get-ExchangeCertificate | sort NotAfter | fl",
        // Another cmdlet's filter says nothing about a certificate list after it.
        "[PS] C:\\>Get-ReceiveConnector -Identity 'SRVEX01\\Default Frontend SRVEX01' | fl",
        // No prompt: two certificates are not an excerpt (a list without the Auth
        // certificate is not taken as cut either).
        "",
    ] {
        let c = parse_text(&two_after(prompt));
        assert_eq!(c.certificates.len(), 2, "{prompt}");
        assert!(
            c.certificates.iter().all(|x| !x.from_filtered_list),
            "{prompt}"
        );
        assert!(c.notes.is_empty(), "{prompt}: {:?}", c.notes);
    }
}

#[test]
fn one_certificate_without_its_listing_is_an_excerpt() {
    let c = parse_text(WILDCARD);
    assert!(c.certificates[0].from_filtered_list);
    assert!(has_note(
        &c,
        1,
        "one certificate pasted: taken as an excerpt, not the server's whole list"
    ));
    // The same under a prompt that listed the server's store: its whole list.
    let c = parse_text(&format!(
        "[PS] C:\\>Get-ExchangeCertificate | fl\n\n{WILDCARD}"
    ));
    assert!(!c.certificates[0].from_filtered_list);
    assert!(c.notes.is_empty(), "{:?}", c.notes);
    // One per server, each pasted alone (`--server` names the first).
    let inputs = [
        input("a.txt", WILDCARD.as_bytes().to_vec()),
        input(
            "b.txt",
            format!("Identity : SRVEX02\\3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1\n{SELF_SIGNED}")
                .into_bytes(),
        ),
    ];
    let c = parse(
        &inputs,
        &ParseOptions {
            server: Some("SRVEX01".to_string()),
        },
    );
    assert_eq!(
        c.certificates[0].server,
        Some(ServerName::Given("SRVEX01".into()))
    );
    assert_eq!(
        c.certificates[1].server,
        Some(ServerName::Named("SRVEX02".into()))
    );
    assert!(c.certificates.iter().all(|x| x.from_filtered_list));
    let notes: Vec<(usize, usize)> = c.notes.iter().map(|n| (n.loc.input, n.loc.line)).collect();
    assert_eq!(notes, [(0, 1), (1, 1)]);
    // The collection script lists every certificate of every server, one or many.
    let c = parse_fixture("script-onprem.json");
    let servers: Vec<&str> = c
        .certificates
        .iter()
        .map(|x| x.server.as_ref().unwrap().name())
        .collect();
    assert_eq!(servers, ["SRVEX01", "SRVEX02"]);
    assert!(c.certificates.iter().all(|x| !x.from_filtered_list));
}

// ---- Which side an accepted domain came from ------------------------------------------------

const DOMAIN: &str = "DomainName : contoso.com\nDomainType : Authoritative\n";

fn sides(text: &str) -> Vec<Option<Side>> {
    parse_text(text)
        .accepted_domains
        .iter()
        .map(|d| d.side)
        .collect()
}

#[test]
fn the_collection_script_says_its_side() {
    let c = parse_fixture("script-onprem.json");
    assert!(!c.accepted_domains.is_empty());
    assert!(
        c.accepted_domains
            .iter()
            .all(|d| d.side == Some(Side::OnPremises))
    );
    let online = r#"{"schema": "starttls-check.exchange/1", "side": "online",
        "acceptedDomains": [{"domainName": "contoso.com", "domainType": "Authoritative"}]}"#;
    assert_eq!(sides(online), [Some(Side::Online)]);
    let odd = online.replace("\"online\"", "\"cloud\"");
    let c = parse_text(&odd);
    assert_eq!(c.accepted_domains[0].side, None);
    assert!(has_note(&c, 1, "`side` is \"cloud\""), "{:?}", c.notes);
}

#[test]
fn the_exchange_management_shell_prompt_is_on_premises() {
    assert_eq!(
        sides(&format!(
            "[PS] C:\\Windows\\system32>Get-AcceptedDomain | fl\n\n{DOMAIN}"
        )),
        [Some(Side::OnPremises)]
    );
    // Raw JSON after the prompt too.
    assert_eq!(
        sides(
            "[PS] C:\\>Get-AcceptedDomain | ConvertTo-Json\n\
             [{\"DomainName\": \"contoso.com\", \"DomainType\": \"Authoritative\"}]\n"
        ),
        [Some(Side::OnPremises)]
    );
}

#[test]
fn a_side_is_not_guessed() {
    // A `PS` prompt, and Exchange Online connectors in the same paste, say nothing.
    let c = parse_fixture("exo-connectors.txt");
    assert!(!c.accepted_domains.is_empty());
    assert!(c.accepted_domains.iter().all(|d| d.side.is_none()));
    // No prompt at all.
    assert_eq!(sides(DOMAIN), [None]);
    for text in [
        // Exchange Online's cmdlets brought into the Exchange Management Shell: either.
        format!(
            "[PS] C:\\>Connect-ExchangeOnline -UserPrincipalName admin@contoso.com\n\
             [PS] C:\\>Get-AcceptedDomain | fl\n\n{DOMAIN}"
        ),
        // A prefix keeps the unprefixed cmdlet another session's.
        format!(
            "PS C:\\> Connect-ExchangeOnline -Prefix EXO\nPS C:\\> Get-AcceptedDomain | fl\n\n{DOMAIN}"
        ),
        // An on-premises session imported after connecting.
        format!(
            "PS C:\\> Connect-ExchangeOnline\nPS C:\\> Import-PSSession $onprem -AllowClobber\n\
             PS C:\\> Get-AcceptedDomain | fl\n\n{DOMAIN}"
        ),
        // The paste holds an EMS prompt too (even after).
        format!(
            "PS C:\\> Connect-ExchangeOnline\nPS C:\\> Get-AcceptedDomain | fl\n\n{DOMAIN}\n\
             [PS] C:\\>Get-ReceiveConnector | fl\n"
        ),
        // Disconnected again.
        format!(
            "PS C:\\> Connect-ExchangeOnline\nPS C:\\> Disconnect-ExchangeOnline\n\
             PS C:\\> Get-AcceptedDomain | fl\n\n{DOMAIN}"
        ),
    ] {
        assert_eq!(sides(&text), [None], "{text}");
    }
}

#[test]
fn a_powershell_prompt_after_connect_exchange_online_is_online() {
    assert_eq!(
        sides(&format!(
            "PS C:\\Users\\admin> Connect-ExchangeOnline -UserPrincipalName admin@contoso.com\n\
             PS C:\\Users\\admin> Get-AcceptedDomain | fl\n\n{DOMAIN}"
        )),
        [Some(Side::Online)]
    );
}

// ---- The servers a paste names --------------------------------------------------------------

const RECEIVE: &str = "\
Identity      : SRVEX01\\Default Frontend SRVEX01
TransportRole : FrontendTransport
Bindings      : {[::]:25, 0.0.0.0:25}
";

#[test]
fn transport_servers_of_the_hybrid_configuration_and_send_connectors_are_named_servers() {
    // Only SRVEX01 anywhere: the certificate list is taken to be its.
    let hybrid = |servers: &str| {
        format!(
            "{RECEIVE}\nOnPremisesSmartHost       : mail.XXXXX.com\n\
             ReceivingTransportServers : {servers}\nSendingTransportServers   : {{SRVEX01}}\n\
             EdgeTransportServers      : {{}}\n\n{SELF_SIGNED}\n{WILDCARD}"
        )
    };
    let c = parse_text(&hybrid("{SRVEX01}"));
    assert!(
        c.certificates
            .iter()
            .all(|x| x.server == Some(ServerName::Assumed("SRVEX01".into())))
    );
    // The review's case: the hybrid configuration names SRVEX02 too.
    let c = parse_text(&hybrid("{SRVEX01, SRVEX02}"));
    assert!(c.certificates.iter().all(|x| x.server.is_none()));
    // A cut list names a server it does not show.
    let c = parse_text(&hybrid("{SRVEX01...}"));
    assert!(c.certificates.iter().all(|x| x.server.is_none()));
    // An Edge server is a server.
    let c = parse_text(&hybrid("{SRVEX01}").replace(
        "EdgeTransportServers      : {}",
        "EdgeTransportServers      : {EDGE01}",
    ));
    assert!(c.certificates.iter().all(|x| x.server.is_none()));
    // A send connector's source servers.
    let c = parse_text(&format!(
        "{RECEIVE}\nAddressSpaces          : {{smtp:*;1}}\n\
         SourceTransportServers : {{SRVEX01, SRVEX02}}\n\n{SELF_SIGNED}\n{WILDCARD}"
    ));
    assert_eq!(c.send_connectors.len(), 1);
    assert!(c.certificates.iter().all(|x| x.server.is_none()));
    let c = parse_text(&format!(
        "{RECEIVE}\nAddressSpaces          : {{smtp:*;1}}\n\
         SourceTransportServers : {{srvex01.domain.local}}\n\n{SELF_SIGNED}\n{WILDCARD}"
    ));
    assert!(
        c.certificates
            .iter()
            .all(|x| x.server == Some(ServerName::Assumed("SRVEX01".into())))
    );
}

// ---- Looking for JSON stays linear ----------------------------------------------------------

/// `[` lines opening arrays that parse to the input's end and have text after them there
/// (review item 23): every `[` line parsed everything after it, for free.
pub(super) fn nested_not_ending_its_line(depth: usize, items: usize) -> String {
    let mut s = "[\n".repeat(depth);
    s.push_str(&"0,".repeat(items));
    s.push('0');
    s.push_str(&"]".repeat(depth));
    s.push_str(" x\n");
    s
}

#[test]
fn json_that_does_not_end_its_line_pays_for_what_it_read() {
    let c = parse_text(&nested_not_ending_its_line(127, 100_000));
    // The budget (four times the input) runs out after a handful of lines, not 127 reads.
    let gave_up = c
        .notes
        .iter()
        .find(|n| n.message.contains("no JSON is looked for after this one"))
        .map(|n| n.loc.line);
    assert!(gave_up.is_some_and(|l| l <= 8), "{:?}", c.notes);
}

/// The review's repro at full size (8 MiB: 127 `[` lines, four million items, `]…] x`), which
/// took 50 s in debug before every attempt paid for what it read. By hand:
/// `cargo test --lib exchange::parse::listing_tests::review -- --ignored`.
#[test]
#[ignore = "8 MiB: a by-hand measurement, not for every run"]
fn review_repro_at_full_size_is_fast() {
    let text = nested_not_ending_its_line(127, 4 * 1024 * 1024 - 200);
    let started = std::time::Instant::now();
    let c = parse_text(&text);
    let took = started.elapsed();
    eprintln!("{} bytes parsed in {took:?}", text.len());
    assert!(c.is_empty());
    assert!(took < std::time::Duration::from_secs(20), "{took:?}");
}
