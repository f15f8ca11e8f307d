//! The cross-premises rules on an HCW-default hybrid, and on each way the field breaks it.
//! Configs are built directly (the parser is tested on its own); every case asserts what the
//! admin sees: the code, the severity, the words that matter and the exact command line.

#![allow(clippy::unwrap_used)]

use time::macros::datetime;

use super::*;
use crate::diagnose::Step;
use crate::exchange::model::{AcceptedDomain, Date, Flags, InputInfo, Loc, Origin, ServerName};

const NOW: OffsetDateTime = datetime!(2026-12-02 12:00 UTC);
const SC_ID: &str = "Outbound to Office 365 - 6e1c0b7a-3f2d-4c5e-9a8b-1c2d3e4f5a6b";
const IN_ID: &str = "Inbound from 3fa2c1d4-5b6e-4f70-8a9b-0c1d2e3f4a5b";
const OUT_ID: &str = "Outbound to 3fa2c1d4-5b6e-4f70-8a9b-0c1d2e3f4a5b";
const CA: &str = "CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US";
const OLD_CA: &str = "CN=DigiCert TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US";
const SUBJECT: &str = "CN=mail.contoso.com, O=Contoso Ltd, L=Zurich, C=CH";

fn hybrid_name() -> String {
    format!("<I>{CA}<S>{SUBJECT}")
}

fn loc(line: usize) -> Loc {
    Loc { input: 0, line }
}

fn origin(line: usize) -> Origin {
    Origin {
        loc: loc(line),
        format: InputFormat::FormatList,
    }
}

fn text(v: &str, line: usize) -> Text {
    Text {
        value: v.to_string(),
        loc: loc(line),
        wrapped: false,
    }
}

fn list(items: &[&str], line: usize) -> List {
    List {
        loc: loc(line),
        ..List::of(items)
    }
}

fn date(s: &str) -> Date {
    Date::Known(OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap())
}

/// A CA-issued SMTP certificate on `server`.
fn third_party(
    server: &str,
    thumb: &str,
    issuer: &str,
    subject: &str,
    names: &[&str],
) -> Certificate {
    Certificate {
        origin: origin(1),
        server: Some(ServerName::Named(server.into())),
        thumbprint: Some(thumb.into()),
        subject: Some(Text::new(subject)),
        issuer: Some(Text::new(issuer)),
        domains: Some(List::of(names)),
        services: Some(Flags::of(&["IIS", "SMTP"])),
        status: Some("Valid".into()),
        not_before: Some(date("2026-03-01T00:00:00Z")),
        not_after: Some(date("2027-03-01T00:00:00Z")),
        self_signed: Some(false),
        has_private_key: Some(true),
        root_ca_type: Some("ThirdParty".into()),
        ..Default::default()
    }
}

/// Exchange's own self-signed certificate of `server`.
fn own(server: &str) -> Certificate {
    let name = format!("CN={server}");
    Certificate {
        origin: origin(2),
        server: Some(ServerName::Named(server.into())),
        thumbprint: Some(format!("{:0>40}", server.len())),
        subject: Some(Text::new(name.clone())),
        issuer: Some(Text::new(name)),
        domains: Some(List::of(&[server, &format!("{server}.contoso.local")])),
        services: Some(Flags::of(&["IMAP", "POP", "IIS", "SMTP"])),
        status: Some("Valid".into()),
        not_before: Some(date("2020-05-01T00:00:00Z")),
        not_after: Some(date("2030-05-01T00:00:00Z")),
        self_signed: Some(true),
        has_private_key: Some(true),
        root_ca_type: Some("Registry".into()),
        ..Default::default()
    }
}

const THUMB: &str = "A1B2C3D4E5F60718293A4B5C6D7E8F9012345678";

fn hybrid_cert(server: &str) -> Certificate {
    third_party(
        server,
        THUMB,
        CA,
        SUBJECT,
        &["mail.contoso.com", "autodiscover.contoso.com"],
    )
}

fn receive(server: &str, line: usize) -> ReceiveConnector {
    ReceiveConnector {
        origin: origin(line),
        printed: None,
        identity: Some(format!("{server}\\Default Frontend {server}")),
        name: Some(format!("Default Frontend {server}")),
        server: Some(ServerName::Named(server.into())),
        transport_role: Some("FrontendTransport".into()),
        enabled: Some(true),
        bindings: Some(list(&["[::]:25", "0.0.0.0:25"], line + 1)),
        fqdn: Some(text(&format!("{server}.contoso.local"), line + 2)),
        tls_certificate_name: Some(text(&hybrid_name(), line + 3)),
        auth_mechanism: Some(Flags::of(&[
            "Tls",
            "Integrated",
            "BasicAuth",
            "BasicAuthRequireTLS",
            "ExchangeServer",
        ])),
        permission_groups: Some(Flags::of(&[
            "AnonymousUsers",
            "ExchangeServers",
            "ExchangeLegacyServers",
        ])),
        tls_domain_capabilities: Some(list(
            &["mail.protection.outlook.com:AcceptCloudServicesMail"],
            line + 4,
        )),
        require_tls: Some(false),
        remote_ip_ranges: None,
    }
}

fn send() -> SendConnector {
    SendConnector {
        origin: origin(40),
        printed: None,
        identity: Some(SC_ID.into()),
        name: Some(SC_ID.into()),
        enabled: Some(true),
        address_spaces: Some(list(&["SMTP:contoso.mail.onmicrosoft.com;1"], 41)),
        smart_hosts: Some(list(&[], 42)),
        dns_routing_enabled: Some(true),
        fqdn: None,
        tls_certificate_name: Some(text(&hybrid_name(), 43)),
        tls_auth_level: Some("DomainValidation".into()),
        tls_domain: Some("mail.protection.outlook.com".into()),
        require_tls: Some(true),
        cloud_services_mail_enabled: Some(true),
        source_transport_servers: Some(list(&["EX01"], 44)),
    }
}

fn inbound() -> InboundConnector {
    InboundConnector {
        origin: origin(60),
        printed: None,
        identity: Some(IN_ID.into()),
        name: Some(IN_ID.into()),
        enabled: Some(true),
        connector_type: Some("OnPremises".into()),
        connector_source: Some("HybridWizard".into()),
        sender_ip_addresses: Some(list(&[], 61)),
        sender_domains: Some(list(&["smtp:*;1"], 62)),
        tls_sender_certificate_name: Some(text("mail.contoso.com", 63)),
        require_tls: Some(true),
        restrict_domains_to_certificate: Some(false),
        restrict_domains_to_ip_addresses: Some(false),
        cloud_services_mail_enabled: Some(true),
        treat_messages_as_internal: Some(false),
    }
}

fn outbound() -> OutboundConnector {
    OutboundConnector {
        origin: origin(80),
        printed: None,
        identity: Some(OUT_ID.into()),
        name: Some(OUT_ID.into()),
        enabled: Some(true),
        connector_type: Some("OnPremises".into()),
        connector_source: Some("HybridWizard".into()),
        use_mx_record: Some(false),
        recipient_domains: Some(list(&["contoso.com"], 81)),
        smart_hosts: Some(list(&["mail.contoso.com"], 82)),
        tls_domain: Some("mail.contoso.com".into()),
        tls_settings: Some("DomainValidation".into()),
        is_transport_rule_scoped: Some(false),
        route_all_messages_via_on_premises: Some(false),
        cloud_services_mail_enabled: Some(true),
        is_validated: Some(true),
    }
}

fn hybrid() -> HybridConfiguration {
    HybridConfiguration {
        origin: origin(100),
        printed: None,
        receiving_transport_servers: Some(list(&["EX01"], 101)),
        sending_transport_servers: Some(list(&["EX01"], 102)),
        edge_transport_servers: Some(list(&[], 103)),
        on_premises_smart_host: Some("mail.contoso.com".into()),
        domains: Some(list(&["contoso.com"], 104)),
        features: Some(list(
            &["FreeBusy", "MoveMailbox", "Mailtips", "MessageTracking"],
            105,
        )),
        tls_certificate_name: Some(text(&hybrid_name(), 106)),
        service_instance: Some("0".into()),
    }
}

fn accepted(domains: &[&str]) -> Vec<AcceptedDomain> {
    domains
        .iter()
        .enumerate()
        .map(|(i, d)| AcceptedDomain {
            origin: origin(120 + i),
            domain_name: (*d).to_string(),
            domain_type: Some("Authoritative".into()),
            side: None,
        })
        .collect()
}

/// The Hybrid Configuration Wizard's defaults on one server, with a valid certificate.
fn healthy() -> Config {
    Config {
        inputs: vec![InputInfo {
            name: "paste.txt".into(),
            encoding: "UTF-8".into(),
            ..Default::default()
        }],
        certificates: vec![hybrid_cert("EX01"), own("EX01")],
        receive_connectors: vec![receive("EX01", 20)],
        send_connectors: vec![send()],
        hybrid: vec![hybrid()],
        inbound_connectors: vec![inbound()],
        outbound_connectors: vec![outbound()],
        accepted_domains: accepted(&[
            "contoso.com",
            "contoso.mail.onmicrosoft.com",
            "contoso.onmicrosoft.com",
        ]),
        ..Default::default()
    }
}

fn of(findings: &[Finding], code: Code) -> Vec<&Finding> {
    findings.iter().filter(|f| f.code == code).collect()
}

fn one(findings: &[Finding], code: Code) -> &Finding {
    let v = of(findings, code);
    assert_eq!(v.len(), 1, "{code:?} in {findings:#?}");
    v[0]
}

fn commands(f: &Finding) -> Vec<&str> {
    f.fix.commands().map(|(_, c)| c).collect()
}

fn shells(f: &Finding) -> Vec<Shell> {
    f.fix.commands().map(|(s, _)| s).collect()
}

fn prose(f: &Finding) -> String {
    f.fix
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Prose { text } => Some(text.as_str()),
            Step::Command { .. } => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn no_warnings(findings: &[Finding]) {
    let loud: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity > Severity::Info)
        .collect();
    assert!(loud.is_empty(), "{loud:#?}");
}

fn inconclusive_about<'a>(findings: &'a [Finding], what: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.code == Code::ExchangeCheckInconclusive && f.summary.contains(what))
        .unwrap_or_else(|| panic!("no inconclusive finding about {what}: {findings:#?}"))
}

// ---------------------------------------------------------------------------------------
// The healthy hybrid: no false positives.

#[test]
fn an_hcw_default_hybrid_raises_nothing() {
    let findings = check(&healthy(), NOW, Limits::default());
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn nothing_pasted_means_nothing_said() {
    assert!(check(&Config::default(), NOW, Limits::default()).is_empty());
    // Connectors without certificates: the rules that need the selection stay silent.
    let mut c = healthy();
    c.certificates.clear();
    assert!(
        check(&c, NOW, Limits::default()).is_empty(),
        "{:#?}",
        check(&c, NOW, Limits::default())
    );
}

#[test]
fn the_send_connector_to_exchange_online_is_recognised_four_ways() {
    let plain = SendConnector::default();
    assert!(!is_exo_send_connector(&plain));
    let csme = SendConnector {
        cloud_services_mail_enabled: Some(true),
        ..Default::default()
    };
    assert!(is_exo_send_connector(&csme));
    let eop = SendConnector {
        smart_hosts: Some(List::of(&["contoso-com.mail.protection.outlook.com"])),
        ..Default::default()
    };
    assert!(is_exo_send_connector(&eop));
    assert_eq!(send_cloud(&eop), Some(Cloud::Worldwide));
    let china = SendConnector {
        address_spaces: Some(List::of(&["smtp:contoso.mail.partner.onmschina.cn;1"])),
        ..Default::default()
    };
    assert!(is_exo_send_connector(&china));
    assert_eq!(send_cloud(&china), Some(Cloud::China));
    let named = SendConnector {
        name: Some(SC_ID.into()),
        ..Default::default()
    };
    assert!(is_exo_send_connector(&named));
    let partner = SendConnector {
        smart_hosts: Some(List::of(&["mail.protection.outlook.com.evil.example"])),
        address_spaces: Some(List::of(&["SMTP:*;1"])),
        name: Some("Outbound to Office 365 - not a guid".into()),
        ..Default::default()
    };
    assert!(!is_exo_send_connector(&partner));
}

// ---------------------------------------------------------------------------------------
// R2 — the send connector names a certificate a server does not hold.

#[test]
fn a_send_connector_naming_the_certificate_before_renewal_fails_and_points_at_the_renewal() {
    let mut c = healthy();
    c.send_connectors[0].tls_certificate_name = Some(text(&format!("<I>{OLD_CA}<S>{SUBJECT}"), 43));
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeSendCertificateNotFound);
    assert_eq!(f.severity, Severity::Fail);
    assert_eq!(f.endpoint, SC_ID);
    assert!(f.summary.contains("EX01 does not hold"), "{}", f.summary);
    assert!(f.summary.contains("454 4.7.5"));
    assert!(f.evidence[0].starts_with("paste.txt:43: send connector `Outbound to Office 365"));
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("the CA's intermediate changed at renewal")),
        "{:#?}",
        f.evidence
    );
    assert_eq!(
        commands(f),
        [format!(
            "Set-SendConnector '{SC_ID}' -TlsCertificateName '<I>{CA}<S>{SUBJECT}'"
        )]
    );
    assert_eq!(shells(f), [Shell::ExchangeManagementShell]);
    // The same name is then not judged again against the inbound connector.
    assert!(of(&findings, Code::ExchangeSenderCertificateNameMismatch).is_empty());
}

#[test]
fn a_source_server_without_the_certificate_fails_intermittently_and_is_told_to_import_it() {
    let mut c = healthy();
    c.certificates.push(own("EX02"));
    c.send_connectors[0].source_transport_servers = Some(list(&["EX01", "EX02"], 44));
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeSendCertificateNotFound);
    assert_eq!(f.severity, Severity::Fail);
    assert!(
        f.summary.contains("EX02 does not hold (EX01 does)"),
        "{}",
        f.summary
    );
    assert!(f.summary.contains("intermittently"));
    // The connector itself is right: no Set-SendConnector, only the copy to EX02, as one
    // pipeline (no variable a line pasted on its own could leave stale), with a password
    // and without -PrivateKeyExportable.
    assert_eq!(
        commands(f),
        [
            "$pw = Read-Host -AsSecureString -Prompt 'Password for the exported certificate'"
                .to_string(),
            format!(
                "Export-ExchangeCertificate -Server 'EX01' -Thumbprint '{THUMB}' -BinaryEncoded -Password $pw | ForEach-Object {{ Import-ExchangeCertificate -Server 'EX02' -FileData $_.FileData -Password $pw }}"
            ),
            format!(
                "Enable-ExchangeCertificate -Server 'EX02' -Thumbprint '{THUMB}' -Services SMTP"
            ),
        ]
    );
    let words = prose(f);
    assert!(
        words.contains("EX02 must hold the certificate too"),
        "{words}"
    );
    assert!(words.contains("answering No"));
    assert!(!words.contains("PrivateKeyExportable"));
}

#[test]
fn a_source_server_whose_certificates_were_not_pasted_is_inconclusive() {
    let mut c = healthy();
    c.send_connectors[0].source_transport_servers = Some(list(&["EX01", "EX02"], 44));
    c.send_connectors[0].tls_certificate_name = Some(text(&format!("<I>{OLD_CA}<S>{SUBJECT}"), 43));
    let findings = check(&c, NOW, Limits::default());
    // EX01 lacks it for certain: FAIL; EX02 is unknown and says so in the evidence.
    let f = one(&findings, Code::ExchangeSendCertificateNotFound);
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("on EX02: no certificate list of EX02 was pasted")),
        "{:#?}",
        f.evidence
    );
    // With the right name, only EX02 is in doubt.
    let mut c = healthy();
    c.send_connectors[0].source_transport_servers = Some(list(&["EX01", "EX02"], 44));
    c.hybrid[0].sending_transport_servers = Some(list(&["EX01", "EX02"], 102));
    let findings = check(&c, NOW, Limits::default());
    assert!(of(&findings, Code::ExchangeSendCertificateNotFound).is_empty());
    let i = inconclusive_about(&findings, "hold its certificate");
    assert_eq!(i.severity, Severity::Info);
    assert!(
        i.summary
            .starts_with("could not check whether the source servers")
    );
    assert!(i.summary.contains("no certificate list of EX02 was pasted"));
    no_warnings(&findings);
}

#[test]
fn a_cut_source_server_list_is_inconclusive_not_silent() {
    let mut c = healthy();
    let mut servers = list(&["EX01"], 44);
    servers.truncated = true;
    c.send_connectors[0].source_transport_servers = Some(servers);
    let findings = check(&c, NOW, Limits::default());
    let i = inconclusive_about(&findings, "hold its certificate");
    assert!(i.summary.contains("SourceTransportServers is cut"));
    no_warnings(&findings);
}

// ---------------------------------------------------------------------------------------
// R17 — the send connector's and the hybrid configuration's TlsCertificateName syntax.

#[test]
fn markers_eaten_by_a_forum_are_inconclusive_and_missing_ones_in_json_fail() {
    let mut c = healthy();
    c.send_connectors[0].tls_certificate_name = Some(text(&format!("{CA}{SUBJECT}"), 43));
    let findings = check(&c, NOW, Limits::default());
    let i = inconclusive_about(&findings, "TlsCertificateName of send connector");
    assert!(i.summary.contains("formatting tags"), "{}", i.summary);
    assert!(of(&findings, Code::ExchangeTlsCertificateNameInvalid).is_empty());
    assert!(of(&findings, Code::ExchangeSendCertificateNotFound).is_empty());

    c.send_connectors[0].origin.format = InputFormat::ScriptJson;
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeTlsCertificateNameInvalid);
    assert_eq!(f.severity, Severity::Fail);
    assert!(f.summary.contains("no <I> or <S> marker"));
    assert_eq!(
        commands(f),
        [format!(
            "Set-SendConnector '{SC_ID}' -TlsCertificateName '<I>{CA}<S>{SUBJECT}'"
        )]
    );
}

#[test]
fn swapped_markers_fail_on_the_send_connector_and_the_hybrid_configuration() {
    let mut c = healthy();
    let swapped = format!("<S>{SUBJECT}<I>{CA}");
    c.send_connectors[0].tls_certificate_name = Some(text(&swapped, 43));
    c.hybrid[0].tls_certificate_name = Some(text(&swapped, 106));
    let findings = check(&c, NOW, Limits::default());
    let invalid = of(&findings, Code::ExchangeTlsCertificateNameInvalid);
    assert_eq!(invalid.len(), 2, "{findings:#?}");
    assert!(invalid.iter().all(|f| f.severity == Severity::Fail));
    let hc = invalid.iter().find(|f| f.endpoint == HYBRID).unwrap();
    assert!(hc.summary.contains("issuer and subject are swapped"));
    assert_eq!(
        hc.evidence[0],
        format!("paste.txt:106: the hybrid configuration: TlsCertificateName `{swapped}`")
    );
    // The receive connector still presents the hybrid certificate: that is what to record.
    assert_eq!(
        commands(hc),
        [format!(
            "Set-HybridConfiguration -TlsCertificateName '<I>{CA}<S>{SUBJECT}'"
        )]
    );
}

// ---------------------------------------------------------------------------------------
// R3 — the inbound connector expects another name.

#[test]
fn an_inbound_connector_expecting_another_name_fails_with_the_ndr_and_both_ways_out() {
    let mut c = healthy();
    c.inbound_connectors[0].tls_sender_certificate_name = Some(text("smtp.contoso.com", 63));
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeSenderCertificateNameMismatch);
    assert_eq!(f.severity, Severity::Fail);
    assert_eq!(f.endpoint, IN_ID);
    assert!(
        f.summary
            .contains("550 5.7.64 TenantAttribution; Relay Access Denied")
    );
    assert!(f.summary.contains("550 5.7.51 TenantInboundAttribution"));
    assert_eq!(
        f.evidence[0],
        format!(
            "paste.txt:63: inbound connector `{IN_ID}`: TlsSenderCertificateName `smtp.contoso.com`"
        )
    );
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("`mail.contoso.com`, `autodiscover.contoso.com`")),
        "{:#?}",
        f.evidence
    );
    assert_eq!(
        commands(f),
        [format!(
            "Set-InboundConnector '{IN_ID}' -TlsSenderCertificateName 'mail.contoso.com'"
        )]
    );
    assert_eq!(shells(f), [Shell::ExchangeOnlinePowerShell]);
    assert!(prose(f).contains("Hybrid Configuration Wizard"));
}

#[test]
fn a_wildcard_pattern_covers_the_certificate_and_a_wildcard_certificate_is_a_doubt() {
    let mut c = healthy();
    c.inbound_connectors[0].tls_sender_certificate_name = Some(text("*.contoso.com", 63));
    no_warnings(&check(&c, NOW, Limits::default()));
    assert!(check(&c, NOW, Limits::default()).is_empty());
    // A wildcard certificate for a host pattern: Microsoft does not say.
    let mut c = healthy();
    c.certificates[0].domains = Some(List::of(&["*.contoso.com"]));
    c.outbound_connectors[0].tls_domain = Some("*.contoso.com".into());
    let findings = check(&c, NOW, Limits::default());
    no_warnings(&findings);
    let i = inconclusive_about(&findings, "presents the certificate name");
    assert!(i.summary.contains("wildcard"), "{}", i.summary);
}

#[test]
fn a_cut_certificate_name_list_is_inconclusive() {
    let mut c = healthy();
    c.inbound_connectors[0].tls_sender_certificate_name = Some(text("smtp.contoso.com", 63));
    let mut names = List::of(&[
        "a.contoso.com",
        "b.contoso.com",
        "c.contoso.com",
        "mail.contoso.com",
    ]);
    names.truncated = true;
    c.certificates[0].domains = Some(names);
    let findings = check(&c, NOW, Limits::default());
    assert!(of(&findings, Code::ExchangeSenderCertificateNameMismatch).is_empty());
    let i = inconclusive_about(&findings, "presents the certificate name");
    assert!(i.summary.contains("only some of the certificate's names"));
}

#[test]
fn with_two_send_connectors_to_the_cloud_a_mismatch_needs_the_tenant() {
    let mut c = healthy();
    c.inbound_connectors[0].tls_sender_certificate_name = Some(text("smtp.contoso.com", 63));
    let mut other = send();
    other.identity = Some("To Fabrikam tenant".into());
    other.name = other.identity.clone();
    other.address_spaces = Some(list(&["SMTP:fabrikam.mail.onmicrosoft.com;1"], 51));
    c.send_connectors.push(other);
    let findings = check(&c, NOW, Limits::default());
    // Ours is known by its accepted coexistence domain: FAIL. The other is not: inconclusive.
    let f = one(&findings, Code::ExchangeSenderCertificateNameMismatch);
    assert!(f.summary.contains(SC_ID));
    let i = inconclusive_about(&findings, "To Fabrikam tenant");
    assert!(i.summary.contains("several send connectors"));
}

// ---------------------------------------------------------------------------------------
// R7 — no certificate identity on the send connector.

#[test]
fn a_send_connector_without_certificate_and_with_a_local_fqdn_fails_for_a_certificate_based_connector()
 {
    let mut c = healthy();
    c.send_connectors[0].tls_certificate_name = None;
    c.send_connectors[0].fqdn = Some(text("EX01.contoso.local", 45));
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeSendNoCertificate);
    assert_eq!(f.severity, Severity::Fail);
    assert!(
        f.summary.contains("its internal name `EX01.contoso.local`"),
        "{}",
        f.summary
    );
    assert!(f.summary.contains("550 5.7.64"));
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("on EX01: Exchange would present") && e.contains("self-signed")),
        "{:#?}",
        f.evidence
    );
    assert_eq!(
        commands(f),
        [
            format!("Set-SendConnector '{SC_ID}' -TlsCertificateName '<I>{CA}<S>{SUBJECT}'"),
            format!("Set-SendConnector '{SC_ID}' -Fqdn 'mail.contoso.com'"),
        ]
    );
    // R3 does not say it a second time.
    assert!(of(&findings, Code::ExchangeSenderCertificateNameMismatch).is_empty());
}

#[test]
fn a_send_connector_without_certificate_warns_when_the_inbound_connector_is_ip_based() {
    let mut c = healthy();
    c.send_connectors[0].tls_certificate_name = None;
    c.inbound_connectors[0].tls_sender_certificate_name = None;
    c.inbound_connectors[0].sender_ip_addresses = Some(list(&["203.0.113.5"], 61));
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeSendNoCertificate);
    assert_eq!(f.severity, Severity::Warn);
    assert!(f.summary.contains("each source server's own name"));
    assert_eq!(
        commands(f)[0],
        format!("Set-SendConnector '{SC_ID}' -TlsCertificateName '<I>{CA}<S>{SUBJECT}'")
    );
    // A public Fqdn on a certificate is a supported way to pick it: no finding.
    c.send_connectors[0].fqdn = Some(text("mail.contoso.com", 45));
    assert!(
        of(
            &check(&c, NOW, Limits::default()),
            Code::ExchangeSendNoCertificate
        )
        .is_empty()
    );
}

// ---------------------------------------------------------------------------------------
// R8 — the outbound connector's TlsDomain is not on the certificate.

#[test]
fn a_tls_domain_the_receive_connector_certificate_lacks_fails_with_subject_mismatch() {
    let mut c = healthy();
    c.outbound_connectors[0].tls_domain = Some("smtp.contoso.com".into());
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeTlsDomainNotOnCertificate);
    assert_eq!(f.severity, Severity::Fail);
    assert_eq!(f.endpoint, OUT_ID);
    assert!(
        f.summary
            .contains("450 4.7.320 Certificate validation failed")
    );
    assert!(f.summary.contains("SubjectMismatch"));
    assert!(
        f.evidence.iter().any(|e| e
            .starts_with("paste.txt:20: receive connector `EX01\\Default Frontend EX01` presents")),
        "{:#?}",
        f.evidence
    );
    assert_eq!(
        commands(f),
        [format!(
            "Set-OutboundConnector '{OUT_ID}' -TlsDomain 'mail.contoso.com'"
        )]
    );
}

#[test]
fn a_receive_connector_presenting_the_self_signed_certificate_is_fixed_on_premises_not_in_the_cloud()
 {
    let mut c = healthy();
    c.receive_connectors[0].tls_certificate_name = None;
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeTlsDomainNotOnCertificate);
    assert!(f.evidence.iter().any(|e| e.contains("self-signed")));
    assert_eq!(
        commands(f),
        [format!(
            "Set-ReceiveConnector 'EX01\\Default Frontend EX01' -TlsCertificateName '<I>{CA}<S>{SUBJECT}'"
        )],
        "a TlsDomain naming the self-signed certificate would still fail validation"
    );
    assert_eq!(shells(f), [Shell::ExchangeManagementShell]);
}

#[test]
fn a_receiving_server_whose_connector_was_not_pasted_is_inconclusive() {
    let mut c = healthy();
    c.hybrid[0].receiving_transport_servers = Some(list(&["EX01", "EX02"], 101));
    let findings = check(&c, NOW, Limits::default());
    no_warnings(&findings);
    let i = inconclusive_about(&findings, "TlsDomain `mail.contoso.com`");
    assert!(
        i.summary
            .contains("no hybrid receive connector of EX02 was pasted")
    );
    // An apex-only certificate against a wildcard TlsDomain: undocumented, so a doubt.
    let mut c = healthy();
    c.certificates[0].domains = Some(List::of(&["contoso.com"]));
    c.inbound_connectors[0].tls_sender_certificate_name = Some(text("*.contoso.com", 63));
    c.outbound_connectors[0].tls_domain = Some("*.contoso.com".into());
    let findings = check(&c, NOW, Limits::default());
    no_warnings(&findings);
    let i = inconclusive_about(&findings, "TlsDomain `*.contoso.com`");
    assert!(i.summary.contains("apex"));
}

#[test]
fn with_edge_servers_the_mailbox_servers_connectors_are_not_what_exchange_online_reaches() {
    let mut c = healthy();
    c.hybrid[0].edge_transport_servers = Some(list(&["EDGE01"], 103));
    c.hybrid[0].sending_transport_servers = Some(list(&[], 102));
    c.hybrid[0].receiving_transport_servers = Some(list(&[], 101));
    c.send_connectors[0].source_transport_servers = Some(list(&["EDGE01"], 44));
    // EX01's Default Frontend presents a certificate without the TlsDomain: irrelevant here.
    c.outbound_connectors[0].tls_domain = Some("smtp.contoso.com".into());
    let findings = check(&c, NOW, Limits::default());
    assert!(of(&findings, Code::ExchangeTlsDomainNotOnCertificate).is_empty());
    let i = inconclusive_about(&findings, "TlsDomain `smtp.contoso.com`");
    assert!(i.summary.contains("EDGE01 (Edge)"), "{}", i.summary);
    // The Edge server's own connector, pasted, is the one judged.
    let mut edge = receive("EDGE01", 30);
    edge.identity = Some("EDGE01\\Default internal receive connector EDGE01".into());
    edge.name = Some("Default internal receive connector EDGE01".into());
    edge.tls_domain_capabilities = None;
    c.receive_connectors.push(edge);
    c.certificates.push(hybrid_cert("EDGE01"));
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeTlsDomainNotOnCertificate);
    assert!(
        f.evidence
            .iter()
            .any(|e| e
                .contains("receive connector `EDGE01\\Default internal receive connector EDGE01`")),
        "{:#?}",
        f.evidence
    );
    assert!(
        f.evidence
            .iter()
            .all(|e| !e.contains("Default Frontend EX01"))
    );
}

// ---------------------------------------------------------------------------------------
// R11 — the certificate domain is not an accepted domain.

#[test]
fn a_certificate_domain_outside_the_accepted_domains_warns_without_a_wrong_command() {
    let mut c = healthy();
    c.accepted_domains = accepted(&["fabrikam.com", "contoso.mail.onmicrosoft.com"]);
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeCertificateDomainNotAccepted);
    assert_eq!(f.severity, Severity::Warn);
    assert!(f.summary.contains("`mail.contoso.com`"));
    assert!(f.summary.contains("MC1226222"));
    assert!(f.evidence[1].contains("`fabrikam.com`"));
    assert!(
        commands(f)
            .iter()
            .all(|c| !c.contains("New-AcceptedDomain"))
    );
    let words = prose(f);
    assert!(words.contains("Microsoft 365 admin centre"), "{words}");
    assert!(words.contains("not from New-AcceptedDomain"));
    // A subdomain of an accepted domain, or a wildcard accepted domain, is fine.
    c.accepted_domains = accepted(&["*.contoso.com"]);
    assert!(
        of(
            &check(&c, NOW, Limits::default()),
            Code::ExchangeCertificateDomainNotAccepted
        )
        .is_empty()
    );
    // The on-premises organisation's list is not the tenant's: silent.
    c.accepted_domains = accepted(&["fabrikam.com"]);
    for d in &mut c.accepted_domains {
        d.side = Some(crate::exchange::model::Side::OnPremises);
    }
    assert!(
        of(
            &check(&c, NOW, Limits::default()),
            Code::ExchangeCertificateDomainNotAccepted
        )
        .is_empty()
    );
    // Without Get-AcceptedDomain: silent.
    c.accepted_domains.clear();
    assert!(
        of(
            &check(&c, NOW, Limits::default()),
            Code::ExchangeCertificateDomainNotAccepted
        )
        .is_empty()
    );
}

#[test]
fn with_an_ip_based_connector_the_send_certificate_names_are_checked() {
    let mut c = healthy();
    c.inbound_connectors[0].tls_sender_certificate_name = None;
    c.inbound_connectors[0].sender_ip_addresses = Some(list(&["203.0.113.5"], 61));
    c.accepted_domains = accepted(&["fabrikam.com"]);
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeCertificateDomainNotAccepted);
    assert_eq!(f.endpoint, SC_ID);
}

// ---------------------------------------------------------------------------------------
// R12 — the send connector's TLS policy.

#[test]
fn a_send_connector_that_does_not_require_or_validate_tls_warns_with_the_hcw_values() {
    let mut c = healthy();
    c.send_connectors[0].require_tls = Some(false);
    c.send_connectors[0].tls_auth_level = Some("EncryptionOnly".into());
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeSendTlsPolicy);
    assert_eq!(f.severity, Severity::Warn);
    assert!(
        f.summary
            .contains("does not require TLS, does not validate")
    );
    assert_eq!(
        commands(f),
        [format!(
            "Set-SendConnector '{SC_ID}' -RequireTLS $true -TlsAuthLevel DomainValidation -TlsDomain 'mail.protection.outlook.com'"
        )]
    );
}

#[test]
fn a_sovereign_cloud_send_connector_is_told_its_own_service_domain() {
    let mut c = healthy();
    c.send_connectors[0].smart_hosts =
        Some(list(&["contoso.mail.protection.partner.outlook.cn"], 42));
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeSendTlsPolicy);
    assert!(f.summary.contains("wrong domain"));
    assert!(commands(f)[0].ends_with("-TlsDomain 'mail.protection.partner.outlook.cn'"));
    c.send_connectors[0].tls_domain = Some("mail.protection.partner.outlook.cn".into());
    assert!(
        of(
            &check(&c, NOW, Limits::default()),
            Code::ExchangeSendTlsPolicy
        )
        .is_empty()
    );
}

#[test]
fn a_blank_tls_auth_level_counts_only_in_a_full_paste() {
    let mut c = healthy();
    c.send_connectors[0].tls_auth_level = None;
    let f = check(&c, NOW, Limits::default());
    assert!(one(&f, Code::ExchangeSendTlsPolicy).evidence[0].contains("TlsAuthLevel is blank"));
    // `| fl Name,TlsCertificateName`: nothing is known about the rest.
    c.send_connectors[0].dns_routing_enabled = None;
    assert!(
        of(
            &check(&c, NOW, Limits::default()),
            Code::ExchangeSendTlsPolicy
        )
        .is_empty()
    );
}

#[test]
fn cloud_services_mail_off_fails_and_points_at_the_wizard_only() {
    let mut c = healthy();
    c.send_connectors[0].cloud_services_mail_enabled = Some(false);
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeSendTlsPolicy);
    assert_eq!(f.severity, Severity::Fail);
    assert!(f.summary.contains("external, anonymous"));
    let words = prose(f);
    assert!(words.starts_with("Re-run the Hybrid Configuration Wizard"));
    assert!(words.contains("do not use manually"));
    // Set-SendConnector: "don't use this parameter unless … directed … by Microsoft
    // Customer Service and Support": no command for it.
    assert!(commands(f).is_empty(), "{:?}", commands(f));
}

#[test]
fn cloud_services_mail_off_on_a_plain_relay_through_eop_is_information_only() {
    // Review item 8: a non-hybrid relay to EOP rightly has it False.
    let relay = SendConnector {
        origin: origin(40),
        identity: Some("To EOP".into()),
        name: Some("To EOP".into()),
        enabled: Some(true),
        address_spaces: Some(list(&["SMTP:*;1"], 41)),
        smart_hosts: Some(list(&["contoso-com.mail.protection.outlook.com"], 42)),
        dns_routing_enabled: Some(false),
        tls_auth_level: Some("DomainValidation".into()),
        tls_domain: Some("mail.protection.outlook.com".into()),
        require_tls: Some(true),
        cloud_services_mail_enabled: Some(false),
        ..Default::default()
    };
    let c = Config {
        inputs: healthy().inputs,
        send_connectors: vec![relay],
        ..Default::default()
    };
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeSendTlsPolicy);
    assert_eq!(f.severity, Severity::Info, "{f:#?}");
    assert!(f.summary.contains("plain relay"));
    assert!(commands(f).is_empty());
    // The same connector beside a hybrid configuration, but not the coexistence connector:
    // still only information.
    let mut c = c;
    c.hybrid = vec![hybrid()];
    let f = check(&c, NOW, Limits::default());
    assert_eq!(
        one(&f, Code::ExchangeSendTlsPolicy).severity,
        Severity::Info
    );
}

// ---------------------------------------------------------------------------------------
// R14 — the hybrid configuration names another certificate.

#[test]
fn a_hybrid_configuration_left_at_the_old_certificate_warns_and_records_the_current_one() {
    let mut c = healthy();
    c.hybrid[0].tls_certificate_name = Some(text(&format!("<I>{OLD_CA}<S>{SUBJECT}"), 106));
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeHybridCertificateDrift);
    assert_eq!(f.severity, Severity::Warn);
    assert_eq!(f.endpoint, HYBRID);
    assert!(
        f.summary
            .contains("writes the hybrid configuration's value back")
    );
    assert!(
        f.evidence
            .iter()
            .any(|e| e.starts_with("paste.txt:23: receive connector"))
    );
    assert!(
        f.evidence
            .iter()
            .any(|e| e.starts_with("paste.txt:43: send connector"))
    );
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("on EX01: no pasted certificate"))
    );
    assert!(prose(f).contains("Update Secure Mail Certificate for Connectors"));
    assert_eq!(
        commands(f),
        [format!(
            "Set-HybridConfiguration -TlsCertificateName '<I>{CA}<S>{SUBJECT}'"
        )]
    );
}

#[test]
fn a_hybrid_configuration_naming_a_replaced_certificate_is_offered_the_renewal() {
    let mut c = healthy();
    let old = format!("<I>{OLD_CA}<S>{SUBJECT}");
    c.send_connectors[0].tls_certificate_name = Some(text(&old, 43));
    c.receive_connectors[0].tls_certificate_name = Some(text(&old, 23));
    c.hybrid[0].tls_certificate_name = Some(text(&old, 106));
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeHybridCertificateDrift);
    assert!(
        f.summary.contains("none of its transport servers holds"),
        "{}",
        f.summary
    );
    assert_eq!(
        commands(f),
        [format!(
            "Set-HybridConfiguration -TlsCertificateName '<I>{CA}<S>{SUBJECT}'"
        )]
    );
    // The receive connector naming nothing is the receive rules' to report, not R8's.
    assert!(of(&findings, Code::ExchangeTlsDomainNotOnCertificate).is_empty());
}

#[test]
fn case_and_spacing_do_not_make_drift() {
    let mut c = healthy();
    c.hybrid[0].tls_certificate_name = Some(text(
        &format!("<i>{}<s>{}", CA.to_uppercase(), SUBJECT.replace(", ", ",")),
        106,
    ));
    assert!(
        check(&c, NOW, Limits::default()).is_empty(),
        "{:#?}",
        check(&c, NOW, Limits::default())
    );
}

// ---------------------------------------------------------------------------------------
// R15 — endpoints.

#[test]
fn a_smart_host_the_outbound_connector_does_not_use_warns() {
    let mut c = healthy();
    c.hybrid[0].on_premises_smart_host = Some("hybrid.contoso.com".into());
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeHybridEndpointDrift);
    assert_eq!(f.severity, Severity::Warn);
    assert!(f.summary.contains("`hybrid.contoso.com`"));
    assert_eq!(
        commands(f),
        [format!(
            "Set-OutboundConnector '{OUT_ID}' -SmartHosts 'hybrid.contoso.com'"
        )]
    );
    let mut hosts = list(
        &[
            "a.contoso.com",
            "b.contoso.com",
            "c.contoso.com",
            "d.contoso.com",
        ],
        82,
    );
    hosts.truncated = true;
    c.outbound_connectors[0].smart_hosts = Some(hosts);
    let findings = check(&c, NOW, Limits::default());
    assert!(of(&findings, Code::ExchangeHybridEndpointDrift).is_empty());
    inconclusive_about(&findings, "OnPremisesSmartHost");
}

#[test]
fn sending_servers_that_differ_warn_and_cut_lists_are_inconclusive() {
    let mut c = healthy();
    c.certificates.push(hybrid_cert("EX02"));
    c.send_connectors[0].source_transport_servers = Some(list(&["EX01", "EX02"], 44));
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeHybridEndpointDrift);
    assert!(f.summary.contains("SendingTransportServers"));
    assert_eq!(
        commands(f),
        ["Set-HybridConfiguration -SendingTransportServers 'EX01','EX02'"]
    );
    let mut cut = list(&["EX01"], 102);
    cut.truncated = true;
    c.hybrid[0].sending_transport_servers = Some(cut);
    let findings = check(&c, NOW, Limits::default());
    assert!(of(&findings, Code::ExchangeHybridEndpointDrift).is_empty());
    inconclusive_about(&findings, "SendingTransportServers");
}

#[test]
fn receiving_servers_without_the_cloud_mark_warn() {
    let mut c = healthy();
    c.hybrid[0].receiving_transport_servers = Some(list(&["EX01", "EX02"], 101));
    let mut ex02 = receive("EX02", 30);
    ex02.tls_domain_capabilities = None;
    c.receive_connectors.push(ex02);
    c.certificates.push(hybrid_cert("EX02"));
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeHybridEndpointDrift);
    assert!(f.summary.contains("ReceivingTransportServers"));
    assert!(f.evidence[1].contains("`EX02` is a receiving server"));
    assert!(prose(f).contains("Hybrid Configuration Wizard"));
}

#[test]
fn edge_with_mailbox_servers_and_an_unknown_service_instance_warn() {
    let mut c = healthy();
    c.hybrid[0].edge_transport_servers = Some(list(&["EDGE01"], 103));
    c.hybrid[0].service_instance = Some("7".into());
    let findings = check(&c, NOW, Limits::default());
    let drift = of(&findings, Code::ExchangeHybridEndpointDrift);
    assert_eq!(drift.len(), 2, "{findings:#?}");
    let edge = drift.iter().find(|f| f.summary.contains("Edge")).unwrap();
    // Which list is wrong is the admin's choice: no command clears one for them.
    assert!(commands(edge).is_empty(), "{:?}", commands(edge));
    assert!(prose(edge).contains("to keep Edge"));
    assert!(prose(edge).contains("to leave Edge"));
    let si = drift
        .iter()
        .find(|f| f.summary.contains("ServiceInstance is `7`"))
        .unwrap();
    assert!(
        commands(si).is_empty(),
        "the tenant's instance is not in the paste"
    );
    c.hybrid[0].edge_transport_servers = Some(list(&[], 103));
    c.hybrid[0].service_instance = Some("1".into());
    assert!(
        of(
            &check(&c, NOW, Limits::default()),
            Code::ExchangeHybridEndpointDrift
        )
        .is_empty()
    );
}

// ---------------------------------------------------------------------------------------
// R18 — seed 000: the IP-based inbound connector.

#[test]
fn seed_000_an_ip_based_inbound_connector_warns_and_is_offered_the_certificate_name() {
    let mut c = healthy();
    c.inbound_connectors[0].tls_sender_certificate_name = None;
    c.inbound_connectors[0].connector_source = Some("AdminUI".into());
    c.inbound_connectors[0].sender_ip_addresses = Some(list(&["203.0.113.5"], 61));
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeInboundIpBased);
    assert_eq!(f.severity, Severity::Warn);
    assert_eq!(
        f.evidence,
        [format!(
            "paste.txt:61: inbound connector `{IN_ID}`: SenderIPAddresses `203.0.113.5`, no TlsSenderCertificateName"
        )]
    );
    assert!(f.summary.contains("MC1226222"));
    assert!(prose(f).contains("Hello [address]"));
    assert_eq!(
        commands(f),
        [format!(
            "Set-InboundConnector '{IN_ID}' -TlsSenderCertificateName 'mail.contoso.com'"
        )]
    );
    // Nothing else is loud about it: the send connector is right.
    let loud: Vec<_> = findings
        .iter()
        .filter(|f| f.severity > Severity::Info && f.code != Code::ExchangeInboundIpBased)
        .collect();
    assert!(loud.is_empty(), "{loud:#?}");
}

// ---------------------------------------------------------------------------------------
// R19 — risky inbound connectors.

#[test]
fn treat_messages_as_internal_is_turned_off_never_on() {
    let mut c = healthy();
    c.inbound_connectors[0].treat_messages_as_internal = Some(true);
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeInboundConnectorRisky);
    assert_eq!(f.severity, Severity::Warn);
    assert!(f.summary.contains("security risk"));
    assert!(f.evidence[1].contains("cannot be combined"));
    assert_eq!(
        commands(f),
        [format!(
            "Set-InboundConnector '{IN_ID}' -TreatMessagesAsInternal $false"
        )]
    );
    assert!(
        findings
            .iter()
            .flat_map(commands)
            .all(|c| !c.contains("TreatMessagesAsInternal $true"))
    );
}

#[test]
fn the_only_on_premises_connector_disabled_fails_and_one_of_two_warns() {
    let mut c = healthy();
    c.inbound_connectors[0].enabled = Some(false);
    let f = check(&c, NOW, Limits::default());
    let f = one(&f, Code::ExchangeInboundConnectorRisky);
    assert_eq!(f.severity, Severity::Fail);
    assert_eq!(
        commands(f),
        [format!("Set-InboundConnector '{IN_ID}' -Enabled $true")]
    );
    let mut second = inbound();
    second.identity = Some("Inbound from on-premises (new)".into());
    c.inbound_connectors.push(second);
    let f = check(&c, NOW, Limits::default());
    assert_eq!(
        one(&f, Code::ExchangeInboundConnectorRisky).severity,
        Severity::Warn
    );
}

#[test]
fn require_tls_off_on_an_on_premises_connector_is_information_only() {
    let mut c = healthy();
    c.inbound_connectors[0].require_tls = Some(false);
    let findings = check(&c, NOW, Limits::default());
    no_warnings(&findings);
    let f = one(&findings, Code::ExchangeInboundConnectorRisky);
    assert_eq!(f.severity, Severity::Info);
    assert!(f.summary.contains("only to Partner type connectors"));
    assert!(commands(f).is_empty());
}

#[test]
fn a_partner_connector_claiming_your_domain_with_restrictions_warns() {
    let mut c = healthy();
    c.inbound_connectors.push(InboundConnector {
        origin: origin(140),
        identity: Some("Partner fax gateway".into()),
        enabled: Some(true),
        connector_type: Some("Partner".into()),
        sender_domains: Some(list(&["smtp:contoso.com;1"], 141)),
        restrict_domains_to_ip_addresses: Some(true),
        ..Default::default()
    });
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeInboundConnectorRisky);
    assert_eq!(f.severity, Severity::Warn);
    assert_eq!(f.endpoint, "Partner fax gateway");
    assert!(
        f.summary
            .contains("There is a partner connector configured that matched")
    );
    assert!(f.evidence[1].contains("accepted domain `contoso.com`"));
    // Without restriction it only adds its own rules: silent.
    c.inbound_connectors[1].restrict_domains_to_ip_addresses = Some(false);
    assert!(
        of(
            &check(&c, NOW, Limits::default()),
            Code::ExchangeInboundConnectorRisky
        )
        .is_empty()
    );
}

// ---------------------------------------------------------------------------------------
// R20 — risky outbound connectors.

#[test]
fn an_outbound_connector_routing_by_mx_warns_with_the_smart_host_from_the_hybrid_configuration() {
    let mut c = healthy();
    c.outbound_connectors[0].use_mx_record = Some(true);
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeOutboundConnectorRisky);
    assert_eq!(f.severity, Severity::Warn);
    assert_eq!(
        commands(f),
        [format!(
            "Set-OutboundConnector '{OUT_ID}' -UseMXRecord $false -SmartHosts 'mail.contoso.com'"
        )]
    );
    c.hybrid.clear();
    let f = check(&c, NOW, Limits::default());
    let f = one(&f, Code::ExchangeOutboundConnectorRisky);
    assert!(commands(f).is_empty(), "no smart host known: words only");
    assert!(prose(f).contains("-UseMXRecord $false"));
}

#[test]
fn hybrid_domains_missing_from_recipient_domains_warn_but_the_tenant_domain_is_not_required() {
    let mut c = healthy();
    c.hybrid[0].domains = Some(list(
        &[
            "contoso.com",
            "fabrikam.com",
            "contoso.mail.onmicrosoft.com",
        ],
        104,
    ));
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeOutboundConnectorRisky);
    assert!(f.summary.contains("`fabrikam.com`"));
    assert!(!f.summary.contains("onmicrosoft"));
    assert_eq!(
        commands(f),
        [format!(
            "Set-OutboundConnector '{OUT_ID}' -RecipientDomains @{{Add='fabrikam.com'}}"
        )]
    );
    let mut rd = list(&["contoso.com", "a.com", "b.com", "c.com"], 81);
    rd.truncated = true;
    c.outbound_connectors[0].recipient_domains = Some(rd);
    let findings = check(&c, NOW, Limits::default());
    assert!(of(&findings, Code::ExchangeOutboundConnectorRisky).is_empty());
    inconclusive_about(&findings, "covers every hybrid domain");
    // Centralised transport: `*` covers everything.
    c.outbound_connectors[0].recipient_domains = Some(list(&["*"], 81));
    assert!(check(&c, NOW, Limits::default()).is_empty());
}

#[test]
fn disabled_rule_scoped_unvalidated_and_opportunistic_outbound_connectors() {
    let mut c = healthy();
    c.outbound_connectors[0].enabled = Some(false);
    c.outbound_connectors[0].is_transport_rule_scoped = Some(true);
    c.outbound_connectors[0].is_validated = Some(false);
    c.outbound_connectors[0].tls_settings = Some("EncryptionOnly".into());
    let findings = check(&c, NOW, Limits::default());
    let risky = of(&findings, Code::ExchangeOutboundConnectorRisky);
    let warn: Vec<_> = risky
        .iter()
        .filter(|f| f.severity == Severity::Warn)
        .collect();
    let info: Vec<_> = risky
        .iter()
        .filter(|f| f.severity == Severity::Info)
        .collect();
    assert_eq!(warn.len(), 2, "{risky:#?}");
    // TlsSettings EncryptionOnly; IsValidated False is not reported (C16: wizard-made
    // connectors are commonly never validated).
    assert_eq!(info.len(), 1, "{risky:#?}");
    assert!(risky.iter().all(|f| !f.summary.contains("IsValidated")));
    let cmds: Vec<&str> = warn.iter().flat_map(|f| commands(f)).collect();
    assert_eq!(
        cmds,
        [
            format!("Set-OutboundConnector '{OUT_ID}' -Enabled $true"),
            format!("Set-OutboundConnector '{OUT_ID}' -IsTransportRuleScoped $false"),
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Hostile values.

#[test]
fn hostile_values_never_reach_a_command() {
    let mut c = healthy();
    let evil_sc = "Outbound to Office 365\nRemove-Item C:\\ -Recurse";
    c.send_connectors[0].identity = Some(evil_sc.into());
    c.send_connectors[0].name = Some(evil_sc.into());
    c.send_connectors[0].require_tls = Some(false);
    c.send_connectors[0].cloud_services_mail_enabled = Some(true);
    c.inbound_connectors[0].identity = Some("Inbound'; Remove-Mailbox * -Confirm:$false; '".into());
    c.inbound_connectors[0].name = None;
    c.inbound_connectors[0].treat_messages_as_internal = Some(true);
    c.hybrid[0].on_premises_smart_host = Some("mail.contoso.com\u{202E}moc.live".into());
    c.outbound_connectors[0].use_mx_record = Some(true);
    let findings = check(&c, NOW, Limits::default());
    assert!(!findings.is_empty());
    for f in &findings {
        for cmd in commands(f) {
            assert!(
                !cmd.chars().any(|ch| ch.is_control() || ch == '\u{202E}'),
                "{cmd:?}"
            );
            assert!(!cmd.contains("Remove-Item"), "{cmd}");
        }
        for e in &f.evidence {
            assert!(!e.contains('\n') && !e.contains('\u{202E}'), "{e:?}");
        }
        assert!(!f.endpoint.contains('\n'));
    }
    let tls = one(&findings, Code::ExchangeSendTlsPolicy);
    assert!(commands(tls).is_empty());
    assert!(prose(tls).contains("safe on a command line"));
    let internal = findings
        .iter()
        .find(|f| f.code == Code::ExchangeInboundConnectorRisky)
        .unwrap();
    assert_eq!(
        commands(internal),
        [
            "Set-InboundConnector 'Inbound''; Remove-Mailbox * -Confirm:$false; ''' -TreatMessagesAsInternal $false"
        ]
    );
    let mx = one(&findings, Code::ExchangeOutboundConnectorRisky);
    assert!(commands(mx).is_empty(), "{:?}", commands(mx));
}

#[test]
fn odd_values_do_not_panic() {
    for v in [
        "",
        " ",
        "*",
        ":",
        ";",
        "smtp:",
        ":;",
        "é",
        "Outbound to Office 365 - ééééééééééééééééééé",
        "*.",
        ".",
        "\u{202E}",
    ] {
        let mut c = healthy();
        c.send_connectors[0].identity = Some(v.into());
        c.send_connectors[0].address_spaces = Some(List::of(&[v]));
        c.send_connectors[0].smart_hosts = Some(List::of(&[v]));
        c.send_connectors[0].fqdn = Some(Text::new(v));
        c.send_connectors[0].tls_certificate_name = Some(Text::new(v));
        c.inbound_connectors[0].tls_sender_certificate_name = Some(Text::new(v));
        c.inbound_connectors[0].sender_domains = Some(List::of(&[v]));
        c.outbound_connectors[0].tls_domain = Some(v.into());
        c.outbound_connectors[0].recipient_domains = Some(List::of(&[v]));
        c.hybrid[0].domains = Some(List::of(&[v]));
        c.hybrid[0].on_premises_smart_host = Some(v.into());
        c.hybrid[0].service_instance = Some(v.into());
        c.accepted_domains = accepted(&[v]);
        let _ = check(&c, NOW, Limits::default());
    }
    assert!(!is_hcw_send_name(
        "Outbound to Office 365 - ééééééééééééééééééé"
    ));
}

// ---------------------------------------------------------------------------------------
// Trial 2026-12 (issue 11): each case failed before its fix.

/// The value a command sets with `param` (`-TlsCertificateName '<v>'`), unquoted.
fn set_value(cmd: &str, param: &str) -> Option<String> {
    let rest = &cmd[cmd.find(&format!("{param} '"))? + param.len() + 2..];
    let mut out = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            if chars.peek() == Some(&'\'') {
                chars.next();
            } else {
                return Some(out);
            }
        }
        out.push(c);
    }
    None
}

/// No command sets a value the object already has.
fn no_command_sets_a_value_to_itself(c: &Config, findings: &[Finding]) {
    let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    let text = |t: &Option<Text>| t.as_ref().map(|t| t.value.clone());
    for f in findings {
        for cmd in commands(f) {
            let names = |id: &Option<String>| id.as_deref().is_some_and(|i| cmd.contains(i));
            let mut current: Vec<Option<String>> = Vec::new();
            let param = if let Some(v) = set_value(cmd, "-TlsCertificateName") {
                if cmd.starts_with("Set-HybridConfiguration") {
                    current.extend(c.hybrid.iter().map(|h| text(&h.tls_certificate_name)));
                } else if cmd.starts_with("Set-SendConnector") {
                    current.extend(
                        c.send_connectors
                            .iter()
                            .filter(|s| names(&s.identity))
                            .map(|s| text(&s.tls_certificate_name)),
                    );
                } else if cmd.starts_with("Set-ReceiveConnector") {
                    current.extend(
                        c.receive_connectors
                            .iter()
                            .filter(|r| names(&r.identity))
                            .map(|r| text(&r.tls_certificate_name)),
                    );
                }
                v
            } else if let Some(v) = set_value(cmd, "-TlsSenderCertificateName") {
                current.extend(
                    c.inbound_connectors
                        .iter()
                        .filter(|i| names(&i.identity))
                        .map(|i| text(&i.tls_sender_certificate_name)),
                );
                v
            } else if let Some(v) = set_value(cmd, "-TlsDomain") {
                current.extend(
                    c.outbound_connectors
                        .iter()
                        .filter(|o| names(&o.identity))
                        .map(|o| o.tls_domain.clone()),
                );
                v
            } else if let Some(v) = set_value(cmd, "-SmartHosts") {
                current.extend(
                    c.outbound_connectors
                        .iter()
                        .filter(|o| names(&o.identity))
                        .filter_map(|o| o.smart_hosts.as_ref())
                        .filter(|h| h.items.len() == 1)
                        .map(|h| Some(h.items[0].clone())),
                );
                v
            } else {
                continue;
            };
            assert!(
                !current.iter().flatten().any(|x| same(x, &param)),
                "{cmd} sets the value the object already has ({f:#?})"
            );
        }
    }
}

/// The trial's two-server hybrid: EX02 lacks the certificate the hybrid configuration, both
/// receive connectors and the send connector name.
fn two_servers() -> Config {
    let mut c = healthy();
    c.certificates.push(own("EX02"));
    c.receive_connectors.push(receive("EX02", 30));
    c.send_connectors[0].source_transport_servers = Some(list(&["EX01", "EX02"], 44));
    c.hybrid[0].receiving_transport_servers = Some(list(&["EX01", "EX02"], 101));
    c.hybrid[0].sending_transport_servers = Some(list(&["EX01", "EX02"], 102));
    c
}

#[test]
fn a3_a_certificate_missing_on_one_server_is_not_hybrid_drift() {
    let c = two_servers();
    let findings = check(&c, NOW, Limits::default());
    assert!(
        of(&findings, Code::ExchangeHybridCertificateDrift).is_empty(),
        "EX01 holds the certificate the hybrid configuration names: {findings:#?}"
    );
    // The server that lacks it is reported where it belongs.
    one(&findings, Code::ExchangeSendCertificateNotFound);
    no_command_sets_a_value_to_itself(&c, &findings);
    // Held nowhere: drift, with the renewal offered (never the value it already has).
    let mut c = two_servers();
    let old = format!("<I>{OLD_CA}<S>{SUBJECT}");
    c.hybrid[0].tls_certificate_name = Some(text(&old, 106));
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeHybridCertificateDrift);
    assert!(f.evidence.iter().any(|e| e.contains("on EX02: no pasted")));
    no_command_sets_a_value_to_itself(&c, &findings);
}

#[test]
fn a3_a_connector_whose_own_name_finds_nothing_is_not_hybrid_drift_and_gets_no_self_set() {
    // The trial's inv/recv-rev.txt: the receive connector's name is reversed, the hybrid
    // configuration is right. R1 reports the connector; the hybrid configuration is not
    // offered the value it already has.
    let mut c = healthy();
    let reversed = "<I>C=US, O=DigiCert Inc, CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1<S>C=CH, L=Zurich, O=Contoso Ltd, CN=mail.contoso.com";
    c.receive_connectors[0].tls_certificate_name = Some(text(reversed, 23));
    let findings = check(&c, NOW, Limits::default());
    assert!(
        of(&findings, Code::ExchangeHybridCertificateDrift).is_empty(),
        "{findings:#?}"
    );
    no_command_sets_a_value_to_itself(&c, &findings);
    assert!(
        findings
            .iter()
            .flat_map(commands)
            .all(|cmd| !cmd.starts_with("Set-HybridConfiguration")),
        "{findings:#?}"
    );
}

#[test]
fn a3_prose_glued_onto_the_hybrid_name_is_a_doubt_not_drift() {
    let mut c = healthy();
    c.send_connectors[0].tls_certificate_name = Some(text(
        &format!(
            "{}Since the renewal the connector does not work and we see errors",
            hybrid_name()
        ),
        43,
    ));
    let findings = check(&c, NOW, Limits::default());
    assert!(of(&findings, Code::ExchangeHybridCertificateDrift).is_empty());
    let i = inconclusive_about(&findings, "whether the hybrid configuration names");
    assert!(i.summary.contains("prose glued"), "{}", i.summary);
    assert!(prose(i).contains("| fl > file.txt"), "{}", prose(i));
    assert!(!prose(i).contains("Get-ExchangeCertificate"));
}

/// The certificate before the renewal: expired, still in the store.
fn expired_cert(server: &str) -> Certificate {
    Certificate {
        thumbprint: Some("0C7D3A2B1E9F8A7B6C5D4E3F2A1B0C9D8E7F6A5B".into()),
        status: Some("DateInvalid".into()),
        not_before: Some(date("2025-03-14T00:00:00Z")),
        not_after: Some(date("2026-03-15T23:59:59Z")),
        origin: origin(3),
        ..third_party(server, "", OLD_CA, SUBJECT, &["mail.contoso.com"])
    }
}

#[test]
fn b1_an_expired_certificate_on_the_send_connector_fails_and_points_at_the_renewal() {
    // The trial's stale2/: the old certificate is still there; the send connector and the
    // hybrid configuration name it; the renewal is in the store.
    let mut c = healthy();
    c.certificates.push(expired_cert("EX01"));
    let old = format!("<I>{OLD_CA}<S>{SUBJECT}");
    c.send_connectors[0].tls_certificate_name = Some(text(&old, 43));
    c.hybrid[0].tls_certificate_name = Some(text(&old, 106));
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeCertificateUnusable);
    assert_eq!(f.severity, Severity::Fail);
    assert_eq!(
        f.endpoint, SC_ID,
        "the send connector's, not the receive connector's"
    );
    assert!(f.summary.contains("expired on 2026-03-15"), "{}", f.summary);
    assert!(f.summary.contains("DateInvalid"));
    assert!(f.summary.contains("550 5.7.64"));
    assert_eq!(
        commands(f),
        [
            format!("Set-SendConnector '{SC_ID}' -TlsCertificateName '<I>{CA}<S>{SUBJECT}'"),
            format!("Set-HybridConfiguration -TlsCertificateName '<I>{CA}<S>{SUBJECT}'"),
        ]
    );
    assert!(prose(f).contains("choose the certificate again"));
    no_command_sets_a_value_to_itself(&c, &findings);
    // Without the renewal in the store: words, with the one-pipeline placeholder.
    c.certificates.remove(0);
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeCertificateUnusable);
    assert!(commands(f).is_empty(), "{:?}", commands(f));
    assert!(prose(f).contains("ForEach-Object { Set-SendConnector"));
    assert!(!prose(f).contains("$c ="));
}

#[test]
fn b1_b3_expiry_follows_fail_days_and_warn_days() {
    let mut c = healthy();
    c.certificates[0].not_after = Some(date("2026-12-03T23:00:00Z"));
    let limits = |warn_days, fail_days| Limits {
        warn_days,
        fail_days,
    };
    let findings = check(&c, NOW, limits(30, 7));
    let f = one(&findings, Code::ExchangeCertificateUnusable);
    assert_eq!(f.severity, Severity::Fail);
    assert!(
        f.summary.contains("expires in 1 day (NotAfter 2026-12-03)"),
        "{}",
        f.summary
    );
    let findings = check(&c, NOW, limits(30, 0));
    assert_eq!(
        one(&findings, Code::ExchangeCertificateUnusable).severity,
        Severity::Warn
    );
    let findings = check(&c, NOW, limits(0, 0));
    assert!(of(&findings, Code::ExchangeCertificateUnusable).is_empty());
    // A NotAfter that reads both ways across the window: inconclusive, never FAIL.
    c.certificates[0].not_after = Some(Date::Ambiguous {
        month_first: datetime!(2026-12-03 00:00 UTC),
        day_first: datetime!(2027-03-12 00:00 UTC),
    });
    let findings = check(&c, NOW, limits(30, 7));
    assert!(of(&findings, Code::ExchangeCertificateUnusable).is_empty());
    let i = inconclusive_about(&findings, "is usable");
    assert!(i.summary.contains("reads both ways"), "{}", i.summary);
    assert!(prose(i).contains("ToString('o')"));
}

#[test]
fn b1_a_send_certificate_without_smtp_a_key_or_a_ca_is_reported_for_the_send_connector() {
    let mut c = healthy();
    c.certificates[0].services = Some(Flags::of(&["IIS"]));
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeCertificateUnusable);
    assert_eq!(f.endpoint, SC_ID);
    assert_eq!(f.severity, Severity::Warn);
    assert_eq!(
        commands(f),
        [format!(
            "Enable-ExchangeCertificate -Server 'EX01' -Thumbprint '{THUMB}' -Services SMTP"
        )]
    );
    let mut c = healthy();
    c.certificates[0].status = Some("RevocationCheckFailure".into());
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeCertificateUnusable);
    assert_eq!(f.severity, Severity::Warn);
    assert!(commands(f)[0].contains("Test-Certificate"));
    // A self-signed certificate named in TlsCertificateName.
    let mut c = healthy();
    c.send_connectors[0].tls_certificate_name = Some(text("<I>CN=EX01<S>CN=EX01", 43));
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeCertificateUnusable);
    assert_eq!(f.severity, Severity::Fail);
    assert!(f.summary.contains("self-signed"));
}

#[test]
fn b4_a_wildcard_certificate_satisfies_a_single_name_tls_domain() {
    // The trial's wild/: certificate `*.contoso.com` only, TlsSenderCertificateName
    // `*.contoso.com`, TlsDomain `mail.contoso.com`: RFC 6125 name validation, a match.
    let mut c = healthy();
    c.certificates[0].subject = Some(Text::new("CN=*.contoso.com"));
    c.certificates[0].domains = Some(List::of(&["*.contoso.com"]));
    let name = format!("<I>{CA}<S>CN=*.contoso.com");
    c.send_connectors[0].tls_certificate_name = Some(text(&name, 43));
    c.receive_connectors[0].tls_certificate_name = Some(text(&name, 23));
    c.hybrid[0].tls_certificate_name = Some(text(&name, 106));
    c.inbound_connectors[0].tls_sender_certificate_name = Some(text("*.contoso.com", 63));
    let findings = check(&c, NOW, Limits::default());
    assert!(findings.is_empty(), "{findings:#?}");
    // TlsSenderCertificateName naming a single host against it stays a doubt.
    c.inbound_connectors[0].tls_sender_certificate_name = Some(text("mail.contoso.com", 63));
    let findings = check(&c, NOW, Limits::default());
    no_warnings(&findings);
    inconclusive_about(&findings, "presents the certificate name");
    // A wildcard TlsDomain against the bare domain stays a doubt too (the existing case in
    // a_receiving_server_whose_connector_was_not_pasted_is_inconclusive).
}

#[test]
fn b6_an_inbound_connector_without_cloud_services_mail_warns_and_points_at_the_wizard() {
    let mut c = healthy();
    c.inbound_connectors[0].cloud_services_mail_enabled = Some(false);
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeInboundConnectorRisky);
    assert_eq!(f.severity, Severity::Warn);
    assert_eq!(f.endpoint, IN_ID);
    assert!(
        f.summary.contains("not treated as internal"),
        "{}",
        f.summary
    );
    assert_eq!(f.evidence.len(), 2);
    assert!(commands(f).is_empty());
    let words = prose(f);
    assert!(words.starts_with("Re-run the Hybrid Configuration Wizard"));
    assert!(words.contains("do not use manually"));
    // The send connector without it as well: not this rule's mismatch.
    c.send_connectors[0].cloud_services_mail_enabled = Some(false);
    let findings = check(&c, NOW, Limits::default());
    assert!(of(&findings, Code::ExchangeInboundConnectorRisky).is_empty());
}

#[test]
fn c7_a_missing_receive_connector_asks_for_the_receive_connector() {
    let mut c = healthy();
    c.hybrid[0].receiving_transport_servers = Some(list(&["EX01", "EX02"], 101));
    let findings = check(&c, NOW, Limits::default());
    let i = inconclusive_about(&findings, "TlsDomain `mail.contoso.com`");
    let hint = prose(i);
    assert!(
        hint.contains("Get-ReceiveConnector -Server 'EX02' | fl"),
        "{hint}"
    );
    assert!(!hint.contains("Get-ExchangeCertificate"), "{hint}");
}

#[test]
fn c16_an_unvalidated_wizard_connector_is_not_noise() {
    let mut c = healthy();
    c.outbound_connectors[0].is_validated = Some(false);
    let findings = check(&c, NOW, Limits::default());
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn review_6_a_second_inbound_connector_for_another_sender_is_no_mismatch() {
    let mut c = healthy();
    let mut branch = inbound();
    branch.identity = Some("Scanner relay from branch office".into());
    branch.name = branch.identity.clone();
    branch.connector_source = Some("AdminUI".into());
    branch.tls_sender_certificate_name = Some(text("relay.fabrikam-branch.com", 143));
    c.inbound_connectors.push(branch);
    let findings = check(&c, NOW, Limits::default());
    assert!(
        of(&findings, Code::ExchangeSenderCertificateNameMismatch).is_empty(),
        "{findings:#?}"
    );
    // When neither matches: one FAIL, naming both, fixed on the wizard's connector.
    c.inbound_connectors[0].tls_sender_certificate_name = Some(text("smtp.contoso.com", 63));
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeSenderCertificateNameMismatch);
    assert_eq!(f.endpoint, IN_ID);
    assert!(f.summary.contains("none of the 2"), "{}", f.summary);
    assert_eq!(
        commands(f),
        [format!(
            "Set-InboundConnector '{IN_ID}' -TlsSenderCertificateName 'mail.contoso.com'"
        )]
    );
}

#[test]
fn review_14_treat_messages_as_internal_without_a_hybrid_is_information() {
    let mut c = healthy();
    c.hybrid.clear();
    c.receive_connectors.clear();
    c.send_connectors.clear();
    c.outbound_connectors.clear();
    c.inbound_connectors[0].connector_source = Some("AdminUI".into());
    c.inbound_connectors[0].cloud_services_mail_enabled = Some(false);
    c.inbound_connectors[0].treat_messages_as_internal = Some(true);
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeInboundConnectorRisky);
    assert_eq!(f.severity, Severity::Info);
    assert!(commands(f).is_empty());
    assert!(f.summary.contains("not Exchange"));
}

#[test]
fn review_1_a_property_list_without_tls_certificate_name_is_inconclusive_not_fail() {
    // `Get-SendConnector | fl Identity,AddressSpaces,SmartHosts,RequireTLS,TlsAuthLevel,TlsDomain`
    let mut c = healthy();
    let sc = &mut c.send_connectors[0];
    sc.tls_certificate_name = None;
    sc.fqdn = None;
    sc.dns_routing_enabled = None;
    sc.cloud_services_mail_enabled = None;
    sc.source_transport_servers = None;
    let findings = check(&c, NOW, Limits::default());
    assert!(
        of(&findings, Code::ExchangeSendNoCertificate).is_empty(),
        "{findings:#?}"
    );
    let i = inconclusive_about(&findings, "which certificate send connector");
    assert!(prose(i).contains("Get-SendConnector"));
}

#[test]
fn review_17_a_wrapped_certificate_name_is_read_on_the_server_in_one_pipeline() {
    let mut c = healthy();
    c.send_connectors[0].tls_certificate_name = Some(text(&format!("<I>{OLD_CA}<S>{SUBJECT}"), 43));
    c.certificates[0].issuer = Some(Text {
        wrapped: true,
        ..Text::new(CA)
    });
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeSendCertificateNotFound);
    assert_eq!(
        commands(f),
        [format!(
            "Get-ExchangeCertificate -Server 'EX01' -Thumbprint '{THUMB}' | ForEach-Object {{ Set-SendConnector '{SC_ID}' -TlsCertificateName \"<I>$($_.Issuer)<S>$($_.Subject)\" }}"
        )]
    );
    for f in &findings {
        for step in &f.fix.steps {
            let t = match step {
                Step::Prose { text } | Step::Command { text, .. } => text,
            };
            assert!(!t.contains("$c"), "{t}");
        }
    }
}

#[test]
fn a_tls_policy_command_sets_only_what_is_wrong() {
    let mut c = healthy();
    c.send_connectors[0].require_tls = Some(false);
    let findings = check(&c, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeSendTlsPolicy);
    assert_eq!(
        commands(f),
        [format!("Set-SendConnector '{SC_ID}' -RequireTLS $true")]
    );
}

#[test]
fn no_fix_in_the_suite_s_cases_sets_a_value_to_itself() {
    let mut cases = vec![healthy(), two_servers()];
    let mut c = healthy();
    c.hybrid[0].tls_certificate_name = Some(text(&format!("<I>{OLD_CA}<S>{SUBJECT}"), 106));
    cases.push(c);
    let mut c = healthy();
    c.outbound_connectors[0].tls_domain = Some("smtp.contoso.com".into());
    cases.push(c);
    let mut c = healthy();
    c.inbound_connectors[0].tls_sender_certificate_name = Some(text("smtp.contoso.com", 63));
    cases.push(c);
    let mut c = healthy();
    c.receive_connectors[0].tls_certificate_name = None;
    cases.push(c);
    let mut c = healthy();
    c.hybrid[0].on_premises_smart_host = Some("hybrid.contoso.com".into());
    cases.push(c);
    for c in &cases {
        no_command_sets_a_value_to_itself(c, &check(c, NOW, Limits::default()));
    }
}

#[test]
fn a1_a_name_that_differs_only_by_a_forum_s_link_brackets_matches() {
    // Sample 02: the forum turned `OU=http://…/` into `OU=[http://…/]`.
    const GD: &str = "CN=Go Daddy Secure Certificate Authority - G2, OU=http://certs.godaddy.com/repository/, O=\"GoDaddy.com, Inc.\", L=Scottsdale, S=Arizona, C=US";
    let bracketed = format!(
        "<I>{}<S>{SUBJECT}",
        GD.replace(
            "OU=http://certs.godaddy.com/repository/",
            "OU=[http://certs.godaddy.com/repository/]"
        )
    );
    let mut c = healthy();
    c.certificates[0].issuer = Some(Text::new(GD));
    c.receive_connectors[0].tls_certificate_name = Some(text(&format!("<I>{GD}<S>{SUBJECT}"), 23));
    c.send_connectors[0].tls_certificate_name = Some(text(&bracketed, 43));
    c.hybrid[0].tls_certificate_name = Some(text(&bracketed, 106));
    let findings = check(&c, NOW, Limits::default());
    // No CA writes a URL in brackets: the selection compares the names without them, so the
    // pasted names match the certificate and nothing is said about them.
    no_warnings(&findings);
    assert!(
        of(&findings, Code::ExchangeCheckInconclusive).is_empty(),
        "{findings:#?}"
    );
}

#[test]
fn b1_an_expired_duplicate_whose_order_the_dates_do_not_settle_is_inconclusive() {
    // Two certificates with the same issuer and subject; every NotBefore reads both ways and
    // the readings overlap: which one Exchange takes is open, so the old one's expiry is not
    // the connector's verdict.
    let mut c = healthy();
    let mut old = expired_cert("EX01");
    old.issuer = Some(Text::new(CA));
    // 4/6/2026 and 5/3/2026: month first the new one is newer (3 May > 6 April), day first
    // the old one (4 June > 5 March). Both certificates are read in the paste's one order, so
    // only when the two readings pick different certificates is the order open.
    old.not_before = Some(Date::Ambiguous {
        month_first: datetime!(2026-04-06 00:00 UTC),
        day_first: datetime!(2026-06-04 00:00 UTC),
    });
    c.certificates[0].not_before = Some(Date::Ambiguous {
        month_first: datetime!(2026-05-03 00:00 UTC),
        day_first: datetime!(2026-03-05 00:00 UTC),
    });
    c.certificates.insert(0, old);
    let findings = check(&c, NOW, Limits::default());
    assert!(
        of(&findings, Code::ExchangeCertificateUnusable).is_empty(),
        "{findings:#?}"
    );
    let i = inconclusive_about(&findings, "is usable");
    assert!(i.summary.contains("do not settle"), "{}", i.summary);
}
