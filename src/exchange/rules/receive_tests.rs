//! The on-premises rules on the cases of the field: seed 001 end to end at the rule level, and
//! for every rule its FAIL, WARN, inconclusive and silent case.

#![allow(clippy::unwrap_used)]

use time::macros::datetime;

use super::*;
use crate::exchange::model::{
    Flags, HybridConfiguration, InputFormat, InputInfo, Origin, TransportService,
};

const NOW: OffsetDateTime = datetime!(2026-12-02 12:00 UTC);
const G2: &str = "CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US";
/// Seed 001's TlsCertificateName, with the forum post's prose glued to it.
const SEED_001: &str = "<I>CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US<S>CN=*.XXXXX.com, O=XXXXSince the fact the connector is the same for the two ports but only on port 587 I see the STARTLS option makes me wonder about some particular setting to change.";
const FRONTEND_AUTH: [&str; 5] = [
    "Tls",
    "Integrated",
    "BasicAuth",
    "BasicAuthRequireTLS",
    "ExchangeServer",
];

const SELF_TP: &str = "1111111111111111111111111111111111111111";
const AUTH_TP: &str = "2222222222222222222222222222222222222222";
const OV_TP: &str = "3333333333333333333333333333333333333333";
const DV_TP: &str = "4444444444444444444444444444444444444444";

fn at(line: usize, input: usize) -> Loc {
    Loc { input, line }
}

fn text(v: &str, line: usize) -> Text {
    Text {
        value: v.to_string(),
        loc: at(line, 1),
        wrapped: false,
    }
}

fn day(s: &str) -> Date {
    Date::Known(
        OffsetDateTime::parse(
            &format!("{s}T00:00:00Z"),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap(),
    )
}

/// A certificate as `Get-ExchangeCertificate | fl` shows it (`certs.txt`, line `line`).
fn cert(
    tp: &str,
    issuer: &str,
    subject: &str,
    domains: &[&str],
    services: &[&str],
    valid: (&str, &str),
    line: usize,
) -> Certificate {
    Certificate {
        origin: Origin {
            loc: at(line, 0),
            format: InputFormat::FormatList,
        },
        thumbprint: Some(tp.to_string()),
        issuer: Some(Text::new(issuer)),
        subject: Some(Text::new(subject)),
        domains: Some(List::of(domains)),
        services: Some(Flags::of(services)),
        status: Some("Valid".into()),
        not_before: Some(day(valid.0)),
        not_after: Some(day(valid.1)),
        self_signed: Some(issuer == subject),
        has_private_key: Some(true),
        root_ca_type: Some(
            if issuer == subject {
                "Registry"
            } else {
                "ThirdParty"
            }
            .into(),
        ),
        public_key_size: Some(2048),
        ..Default::default()
    }
}

fn self_signed_srvex01() -> Certificate {
    cert(
        SELF_TP,
        "CN=SRVEX01",
        "CN=SRVEX01",
        &["SRVEX01", "SRVEX01.domain.local"],
        &["IMAP", "POP", "IIS", "SMTP"],
        ("2020-05-01", "2030-05-01"),
        1,
    )
}

fn auth_certificate() -> Certificate {
    let mut c = cert(
        AUTH_TP,
        "CN=Microsoft Exchange Server Auth Certificate",
        "CN=Microsoft Exchange Server Auth Certificate",
        &[],
        &["SMTP"],
        ("2021-03-01", "2030-03-01"),
        20,
    );
    c.root_ca_type = Some("None".into());
    c
}

/// The OV certificate the connector was bound to, expired: Status DateInvalid.
fn old_ov() -> Certificate {
    let mut c = cert(
        OV_TP,
        G2,
        "CN=*.XXXXX.com, O=XXXX",
        &["*.XXXXX.com", "XXXXX.com"],
        &["IIS", "SMTP"],
        ("2025-01-10", "2026-01-10"),
        40,
    );
    c.status = Some("DateInvalid".into());
    c
}

/// Its renewal, issued as DV (no `O=`), imported for IIS only.
fn renewed_dv() -> Certificate {
    cert(
        DV_TP,
        G2,
        "CN=*.XXXXX.com",
        &["*.XXXXX.com", "XXXXX.com"],
        &["IIS"],
        ("2026-01-05", "2027-01-05"),
        60,
    )
}

/// Seed 001's receive connector: no Identity, the port-25 bindings, the `.local` Fqdn and the
/// TlsCertificateName with the forum's prose glued on.
fn seed_port25() -> ReceiveConnector {
    ReceiveConnector {
        origin: Origin {
            loc: at(1, 1),
            format: InputFormat::FormatList,
        },
        auth_mechanism: Some(Flags::of(&FRONTEND_AUTH)),
        bindings: Some(List::of(&["[::]:25", "0.0.0.0:25"])),
        fqdn: Some(text("SRVEX01.domain.local", 19)),
        tls_certificate_name: Some(text(SEED_001, 21)),
        ..Default::default()
    }
}

/// The Client Frontend connector on 587: no TlsCertificateName.
fn seed_port587() -> ReceiveConnector {
    ReceiveConnector {
        origin: Origin {
            loc: at(40, 1),
            format: InputFormat::FormatList,
        },
        auth_mechanism: Some(Flags::of(&FRONTEND_AUTH[..4])),
        bindings: Some(List::of(&["[::]:587", "0.0.0.0:587"])),
        fqdn: Some(text("SRVEX01.domain.local", 58)),
        ..Default::default()
    }
}

fn inputs() -> Vec<InputInfo> {
    vec![
        InputInfo {
            name: "certs.txt".into(),
            ..Default::default()
        },
        InputInfo {
            name: "connectors.txt".into(),
            ..Default::default()
        },
    ]
}

fn config(certs: Vec<Certificate>, rcs: Vec<ReceiveConnector>) -> Config {
    Config {
        inputs: inputs(),
        certificates: certs,
        receive_connectors: rcs,
        ..Default::default()
    }
}

/// A named Default Frontend connector of `server` on port 25.
fn frontend(server: &str, tls_name: Option<&str>, fqdn: &str) -> ReceiveConnector {
    ReceiveConnector {
        origin: Origin {
            loc: at(1, 1),
            format: InputFormat::FormatList,
        },
        identity: Some(format!("{server}\\Default Frontend {server}")),
        name: Some(format!("Default Frontend {server}")),
        server: Some(ServerName::Named(server.into())),
        transport_role: Some("FrontendTransport".into()),
        auth_mechanism: Some(Flags::of(&FRONTEND_AUTH)),
        bindings: Some(List::of(&["[::]:25", "0.0.0.0:25"])),
        fqdn: Some(text(fqdn, 5)),
        tls_certificate_name: tls_name.map(|n| text(n, 6)),
        ..Default::default()
    }
}

fn on(server: &str, mut c: Certificate) -> Certificate {
    c.server = Some(ServerName::Named(server.into()));
    c
}

fn mail_cert(tp: &str, services: &[&str], valid: (&str, &str)) -> Certificate {
    cert(
        tp,
        G2,
        "CN=mail.contoso.com, O=Contoso Ltd, C=CH",
        &["mail.contoso.com", "autodiscover.contoso.com"],
        services,
        valid,
        80,
    )
}

const MAIL_NAME: &str = "<I>CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US<S>CN=mail.contoso.com, O=Contoso Ltd, C=CH";

fn hybrid(receiving: &[&str]) -> HybridConfiguration {
    HybridConfiguration {
        origin: Origin {
            loc: at(100, 1),
            format: InputFormat::FormatList,
        },
        receiving_transport_servers: Some(List::of(receiving)),
        on_premises_smart_host: Some("mail.contoso.com".into()),
        tls_certificate_name: Some(text(MAIL_NAME, 110)),
        ..Default::default()
    }
}

fn with_code(findings: &[Finding], code: Code) -> Vec<&Finding> {
    findings.iter().filter(|f| f.code == code).collect()
}

fn one(findings: &[Finding], code: Code) -> &Finding {
    let f = with_code(findings, code);
    assert_eq!(f.len(), 1, "{code:?} in {findings:#?}");
    f[0]
}

fn commands(f: &Finding) -> Vec<String> {
    f.fix.commands().map(|(_, c)| c.to_string()).collect()
}

fn all_commands(findings: &[Finding]) -> Vec<String> {
    findings.iter().flat_map(commands).collect()
}

fn has_line(lines: &[String], needle: &str) -> bool {
    lines.iter().any(|l| l.contains(needle))
}

// ---------------------------------------------------------------------------------------
// Seed 001, end to end at the rule level
// ---------------------------------------------------------------------------------------

/// Seed 001 after the renewal: the forum's two connectors (25 and 587), and the self-signed,
/// Auth and renewed DV certificates.
fn seed_001_after_the_renewal() -> Vec<Finding> {
    let cfg = config(
        vec![self_signed_srvex01(), auth_certificate(), renewed_dv()],
        vec![seed_port25(), seed_port587()],
    );
    check(&cfg, NOW, Limits::default())
}

#[test]
fn seed_001_after_the_renewal_no_certificate_is_found_and_the_fix_names_the_dv_renewal() {
    let findings = seed_001_after_the_renewal();
    let f = one(&findings, Code::ExchangeReceiveCertificateNotFound);
    assert_eq!(f.severity, Severity::Fail);
    assert_eq!(
        f.endpoint,
        "receive connector on port 25 (Fqdn SRVEX01.domain.local)"
    );
    assert!(
        f.summary.starts_with(
            "Exchange offers no STARTTLS on port 25 (Event 12014 names the TlsCertificateName)"
        ),
        "{}",
        f.summary
    );
    let cmds = commands(f);
    assert_eq!(
        cmds,
        vec![
            format!("Enable-ExchangeCertificate -Thumbprint '{DV_TP}' -Services SMTP"),
            "$rc = @(Get-ReceiveConnector | Where-Object { $_.Fqdn -eq 'SRVEX01.domain.local' -and $_.Bindings -match ':25$' }); if ($rc.Count -ne 1) { throw \"the filter selects $($rc.Count) connectors, not one: use the Identity from Get-ReceiveConnector | fl Identity,Fqdn,Bindings\" }; $rc | Set-ReceiveConnector -TlsCertificateName '<I>CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US<S>CN=*.XXXXX.com'".to_string(),
            "Restart-Service MSExchangeFrontEndTransport".to_string(),
        ]
    );
    let text = f.fix.text();
    assert!(text.contains("answer No (N)"), "{text}");
    assert!(text.contains("The paste shows no Identity for this connector"));
    assert!(text.contains("Update Secure Mail Certificate for Connectors"));
    // Nothing else fails.
    assert!(
        findings
            .iter()
            .filter(|f| f.severity == Severity::Fail)
            .count()
            == 1,
        "{findings:#?}"
    );
}

#[test]
fn seed_001_after_the_renewal_the_evidence_shows_the_glued_prose_and_the_near_miss() {
    let findings = seed_001_after_the_renewal();
    let f = one(&findings, Code::ExchangeReceiveCertificateNotFound);
    assert!(has_line(
        &f.evidence,
        "connectors.txt:21: TlsCertificateName read as `<I>CN=DigiCert Global G2"
    ));
    assert!(
        has_line(
            &f.evidence,
            "(the text after `O=XXXX` looks like prose glued on by the paste)"
        ),
        "{:#?}",
        f.evidence
    );
    let near = f
        .evidence
        .iter()
        .find(|l| l.contains("near miss"))
        .expect("a near miss");
    assert!(near.starts_with("certs.txt:60: `CN=*.XXXXX.com` issued by `CN=DigiCert Global G2"));
    assert!(
        near.contains(DV_TP)
            && near.contains("NotBefore 2026-01-05")
            && near.contains("NotAfter 2027-01-05")
    );
    assert!(near.contains(Near::SubjectChanged.describe()));
    assert!(has_line(
        &f.evidence,
        "assumed: neither the connector nor the certificate list names its server"
    ));
}

#[test]
fn seed_001_after_the_renewal_port_587_falls_back_to_the_self_signed_certificate_and_says_why() {
    // Port 587 falls back to its Fqdn: the self-signed certificate, and the reason 587 offers
    // STARTTLS while 25 does not.
    let findings = seed_001_after_the_renewal();
    let info = one(&findings, Code::ExchangeReceiveFqdnFallback);
    assert_eq!(info.severity, Severity::Info);
    assert_eq!(
        info.endpoint,
        "receive connector on port 587 (Fqdn SRVEX01.domain.local)"
    );
    assert!(has_line(
        &info.evidence,
        "This is why port 587 offers STARTTLS and port 25 does not"
    ));
    assert!(has_line(&info.evidence, "is an internal name (.local)"));
}

#[test]
fn seed_001_with_the_old_certificate_still_there_it_is_chosen_and_has_expired() {
    let cfg = config(
        vec![
            self_signed_srvex01(),
            auth_certificate(),
            old_ov(),
            renewed_dv(),
        ],
        vec![seed_port25(), seed_port587()],
    );
    let findings = check(&cfg, NOW, Limits::default());
    assert!(with_code(&findings, Code::ExchangeReceiveCertificateNotFound).is_empty());
    let f = one(&findings, Code::ExchangeCertificateUnusable);
    assert_eq!(f.severity, Severity::Fail);
    assert_eq!(
        f.summary,
        "the certificate Exchange presents on port 25 is unusable: it expired on 2026-01-10 and has Status `DateInvalid`"
    );
    assert!(f.evidence[0].starts_with("certs.txt:40: `CN=*.XXXXX.com, O=XXXX`"));
    assert!(has_line(
        &f.evidence,
        "it matches once the prose glued onto the pasted name is cut off"
    ));
    assert!(has_line(&f.evidence, "Event 12016"));
    // The renewal is on the server: the fix names it.
    let cmds = commands(f);
    assert!(cmds.contains(&"$rc = @(Get-ReceiveConnector | Where-Object { $_.Fqdn -eq 'SRVEX01.domain.local' -and $_.Bindings -match ':25$' }); if ($rc.Count -ne 1) { throw \"the filter selects $($rc.Count) connectors, not one: use the Identity from Get-ReceiveConnector | fl Identity,Fqdn,Bindings\" }; $rc | Set-ReceiveConnector -TlsCertificateName '<I>CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US<S>CN=*.XXXXX.com'".to_string()), "{cmds:#?}");
    assert!(cmds.contains(&format!(
        "Enable-ExchangeCertificate -Thumbprint '{DV_TP}' -Services SMTP"
    )));
    assert!(f.fix.text().contains("ask the senders to resend"));
    // 25 does offer STARTTLS (with the expired certificate): the self-signed certificate on
    // 587 explains nothing here, and is every installation's default.
    assert!(with_code(&findings, Code::ExchangeReceiveFqdnFallback).is_empty());
}

// ---------------------------------------------------------------------------------------
// R1
// ---------------------------------------------------------------------------------------

fn ex01_config(certs: Vec<Certificate>, tls_name: Option<&str>) -> Config {
    config(
        certs.into_iter().map(|c| on("EX01", c)).collect(),
        vec![frontend("EX01", tls_name, "mail.contoso.com")],
    )
}

#[test]
fn r1_names_the_issuer_renewal_and_uses_the_identity() {
    let old_issuer = "<I>CN=DigiCert TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US<S>CN=mail.contoso.com, O=Contoso Ltd, C=CH";
    let cfg = ex01_config(
        vec![
            self_signed_srvex01(),
            mail_cert(DV_TP, &["IIS", "SMTP"], ("2026-06-01", "2027-06-01")),
        ],
        Some(old_issuer),
    );
    let findings = check(&cfg, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeReceiveCertificateNotFound);
    assert_eq!(f.endpoint, "EX01\\Default Frontend EX01");
    assert!(
        f.summary
            .contains("no certificate on EX01 has the issuer and subject it names")
    );
    assert!(has_line(&f.evidence, Near::IssuerChanged.describe()));
    assert_eq!(
        commands(f),
        vec![
            format!(
                "Set-ReceiveConnector 'EX01\\Default Frontend EX01' -TlsCertificateName '{MAIL_NAME}'"
            ),
            "Restart-Service MSExchangeFrontEndTransport".to_string(),
            "starttls-check '[mail.contoso.com]:25'".to_string(),
        ]
    );
}

#[test]
fn r1_without_a_candidate_says_what_to_look_for_and_never_invents_a_certificate() {
    let cfg = ex01_config(
        vec![self_signed_srvex01(), auth_certificate()],
        Some(MAIL_NAME),
    );
    let findings = check(&cfg, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeReceiveCertificateNotFound);
    let cmds = commands(f);
    assert_eq!(
        cmds[0],
        "Get-ExchangeCertificate -Server 'EX01' | fl Thumbprint,Subject,Issuer,CertificateDomains,Services,NotAfter,Status"
    );
    assert!(
        cmds.iter()
            .any(|c| c.contains("<thumbprint of that certificate>"))
    );
    assert!(!cmds.iter().any(|c| c.contains("-TlsCertificateName '")));
    assert!(
        f.fix
            .text()
            .contains("a certificate for `mail.contoso.com`")
    );
}

#[test]
fn r1_is_inconclusive_when_the_servers_certificates_were_not_pasted_and_silent_without_any() {
    let mut other = mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01"));
    other.server = Some(ServerName::Named("EX02".into()));
    let cfg = config(
        vec![other],
        vec![frontend("EX01", Some(MAIL_NAME), "mail.contoso.com")],
    );
    let findings = check(&cfg, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeCheckInconclusive);
    assert_eq!(f.severity, Severity::Info);
    assert!(f.summary.starts_with("could not check which certificate Exchange presents on port 25: no certificate list of EX01 was pasted"));
    assert!(f.evidence[0].starts_with("connectors.txt:6: "));
    assert!(with_code(&findings, Code::ExchangeReceiveCertificateNotFound).is_empty());
    let cfg = config(
        vec![],
        vec![frontend("EX01", Some(MAIL_NAME), "mail.contoso.com")],
    );
    assert!(check(&cfg, NOW, Limits::default()).is_empty());
}

#[test]
fn r1_is_silent_when_the_name_matches() {
    let cfg = ex01_config(
        vec![mail_cert(
            DV_TP,
            &["IIS", "SMTP"],
            ("2026-06-01", "2027-06-01"),
        )],
        Some(MAIL_NAME),
    );
    assert!(
        check(&cfg, NOW, Limits::default()).is_empty(),
        "{:#?}",
        check(&cfg, NOW, Limits::default())
    );
}

// ---------------------------------------------------------------------------------------
// R17
// ---------------------------------------------------------------------------------------

#[test]
fn r17_eaten_markers_in_a_forum_paste_are_only_suspected() {
    let eaten =
        "CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=USCN=mail.contoso.com";
    let cfg = ex01_config(
        vec![mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01"))],
        Some(eaten),
    );
    let findings = check(&cfg, NOW, Limits::default());
    assert!(with_code(&findings, Code::ExchangeTlsCertificateNameInvalid).is_empty());
    let f = one(&findings, Code::ExchangeCheckInconclusive);
    assert!(
        f.summary
            .contains("a forum or web page may have eaten them as HTML tags")
    );
    assert!(
        f.fix
            .text()
            .contains("Get-ReceiveConnector 'EX01\\Default Frontend EX01' | fl TlsCertificateName")
    );
}

#[test]
fn r17_without_markers_from_the_script_fails_and_rebuilds_the_name() {
    let no_markers =
        "CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US CN=mail.contoso.com";
    let mut cfg = ex01_config(
        vec![mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01"))],
        Some(no_markers),
    );
    cfg.receive_connectors[0].origin.format = InputFormat::ScriptJson;
    let findings = check(&cfg, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeTlsCertificateNameInvalid);
    assert_eq!(f.severity, Severity::Fail);
    assert!(f.summary.contains("it has neither <I> nor <S>"));
    assert!(commands(f).contains(&format!(
        "Set-ReceiveConnector 'EX01\\Default Frontend EX01' -TlsCertificateName '{MAIL_NAME}'"
    )));
}

#[test]
fn r17_swapped_markers_and_reversed_names_point_at_the_same_certificate() {
    let swapped = "<S>CN=mail.contoso.com, O=Contoso Ltd, C=CH<I>CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US";
    let cfg = ex01_config(
        vec![mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01"))],
        Some(swapped),
    );
    let findings = check(&cfg, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeTlsCertificateNameInvalid);
    assert!(f.summary.contains("<S> comes before <I>"));
    assert!(f.fix.text().contains("written the right way round"));
    assert!(commands(f).contains(&format!(
        "Set-ReceiveConnector 'EX01\\Default Frontend EX01' -TlsCertificateName '{MAIL_NAME}'"
    )));
    let reversed = "<I>C=US, O=DigiCert Inc, CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1<S>C=CH, O=Contoso Ltd, CN=mail.contoso.com";
    let cfg = ex01_config(
        vec![mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01"))],
        Some(reversed),
    );
    let findings = check(&cfg, NOW, Limits::default());
    assert!(with_code(&findings, Code::ExchangeReceiveCertificateNotFound).is_empty());
    let f = one(&findings, Code::ExchangeTlsCertificateNameInvalid);
    assert!(f.summary.contains("reverse order"));
    assert!(commands(f).contains(&format!(
        "Set-ReceiveConnector 'EX01\\Default Frontend EX01' -TlsCertificateName '{MAIL_NAME}'"
    )));
}

// ---------------------------------------------------------------------------------------
// R9
// ---------------------------------------------------------------------------------------

#[test]
fn r9_port_25_without_tls_fails_and_only_tls_is_added() {
    let mut rc = frontend("EX01", None, "mail.contoso.com");
    rc.auth_mechanism = Some(Flags::of(&["Integrated", "BasicAuth", "ExchangeServer"]));
    let cfg = config(vec![], vec![rc]);
    let findings = check(&cfg, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeReceiveTlsDisabled);
    assert_eq!(f.severity, Severity::Fail);
    assert_eq!(
        f.summary,
        "Exchange offers no STARTTLS on port 25: the connector's AuthMechanism lacks Tls"
    );
    assert_eq!(
        f.evidence[0],
        "connectors.txt:1: AuthMechanism `Integrated, BasicAuth, ExchangeServer`"
    );
    // What the admin chose stays (BasicAuthRequireTLS was taken off: it does not come back).
    assert_eq!(
        commands(f),
        vec![
            "Set-ReceiveConnector 'EX01\\Default Frontend EX01' -AuthMechanism Tls,Integrated,BasicAuth,ExchangeServer"
        ]
    );
    assert_eq!(
        findings.len(),
        1,
        "no certificate rule for a connector without TLS"
    );
}

fn relay(auth: &[&str]) -> ReceiveConnector {
    ReceiveConnector {
        identity: Some("EX01\\App relay".into()),
        server: Some(ServerName::Named("EX01".into())),
        transport_role: Some("FrontendTransport".into()),
        bindings: Some(List::of(&["10.0.0.5:2526"])),
        auth_mechanism: Some(Flags::of(auth)),
        ..Default::default()
    }
}

#[test]
fn r9_other_connectors_warn_and_keep_their_flags() {
    let cfg = config(vec![], vec![relay(&["None"])]);
    let f = check(&cfg, NOW, Limits::default());
    let f = one(&f, Code::ExchangeReceiveTlsDisabled);
    assert_eq!(f.severity, Severity::Warn);
    assert_eq!(
        commands(f),
        vec!["Set-ReceiveConnector 'EX01\\App relay' -AuthMechanism Tls"]
    );
    let cfg = config(vec![], vec![relay(&["ExternalAuthoritative"])]);
    let f = check(&cfg, NOW, Limits::default());
    let f = one(&f, Code::ExchangeReceiveTlsDisabled);
    assert_eq!(
        commands(f),
        vec!["Set-ReceiveConnector 'EX01\\App relay' -AuthMechanism Tls,ExternalAuthoritative"]
    );
    assert!(has_line(&f.evidence, "may be intended"));
}

#[test]
fn r9_unknown_bits_are_inconclusive_and_tls_is_silent() {
    let mut rc = relay(&[]);
    rc.auth_mechanism = Some(Flags {
        names: vec!["Integrated".into()],
        raw: "66".into(),
        unknown_bits: true,
    });
    let f = check(&config(vec![], vec![rc]), NOW, Limits::default());
    let f = one(&f, Code::ExchangeCheckInconclusive);
    assert!(
        f.summary
            .starts_with("could not check whether this connector offers STARTTLS")
    );
    assert!(
        check(
            &config(vec![], vec![relay(&["Tls"])]),
            NOW,
            Limits::default()
        )
        .is_empty()
    );
}

// ---------------------------------------------------------------------------------------
// R6, and the HubTransport connector that must never get -Fqdn
// ---------------------------------------------------------------------------------------

fn hybrid_frontend_without_name() -> ReceiveConnector {
    let mut rc = frontend("EX01", None, "EX01.contoso.local");
    rc.tls_domain_capabilities = Some(List::of(&[
        "mail.protection.outlook.com:AcceptCloudServicesMail",
    ]));
    rc
}

fn ex01_self_signed() -> Certificate {
    on(
        "EX01",
        cert(
            SELF_TP,
            "CN=EX01",
            "CN=EX01",
            &["EX01", "EX01.contoso.local"],
            &["IMAP", "POP", "IIS", "SMTP"],
            ("2022-01-01", "2027-01-01"),
            1,
        ),
    )
}

#[test]
fn r6_the_hybrid_connector_on_the_self_signed_certificate_fails_and_gets_the_ca_certificate() {
    let mut cfg = config(
        vec![
            ex01_self_signed(),
            on(
                "EX01",
                mail_cert(DV_TP, &["IIS", "SMTP"], ("2026-06-01", "2027-06-01")),
            ),
        ],
        vec![hybrid_frontend_without_name()],
    );
    cfg.hybrid.push(hybrid(&["EX01"]));
    let findings = check(&cfg, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeReceiveFqdnFallback);
    assert_eq!(f.severity, Severity::Fail);
    assert_eq!(
        f.summary,
        "Exchange presents its self-signed certificate on port 25: no TlsCertificateName, and only the self-signed certificate covers its Fqdn `EX01.contoso.local`"
    );
    assert!(has_line(
        &f.evidence,
        "`EX01.contoso.local` is an internal name (.local)"
    ));
    assert!(has_line(&f.evidence, "450 4.7.320"));
    let cmds = commands(f);
    assert_eq!(
        cmds[0],
        format!(
            "Set-ReceiveConnector 'EX01\\Default Frontend EX01' -TlsCertificateName '{MAIL_NAME}'"
        )
    );
    assert!(cmds.contains(
        &"Set-ReceiveConnector 'EX01\\Default Frontend EX01' -Fqdn 'mail.contoso.com'".to_string()
    ));
    assert!(
        f.fix
            .text()
            .contains("the certificate the hybrid configuration names")
    );
}

#[test]
fn r6_without_hybrid_evidence_warns() {
    let mut rc = frontend("EX01", None, "EX01.contoso.local");
    rc.tls_domain_capabilities = Some(List::of(&[]));
    let cfg = config(
        vec![
            ex01_self_signed(),
            on(
                "EX01",
                mail_cert(DV_TP, &["IIS", "SMTP"], ("2026-06-01", "2027-06-01")),
            ),
        ],
        vec![rc],
    );
    let findings = check(&cfg, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeReceiveFqdnFallback);
    assert_eq!(f.severity, Severity::Warn);
    assert!(
        f.fix
            .text()
            .contains("the only valid CA-issued certificate enabled for SMTP")
    );
}

#[test]
fn r6_nothing_covering_the_fqdn_means_no_starttls() {
    let cfg = config(
        vec![on(
            "EX01",
            mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01")),
        )],
        vec![frontend("EX01", None, "EX01.contoso.local")],
    );
    let findings = check(&cfg, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeReceiveFqdnFallback);
    assert_eq!(f.severity, Severity::Fail);
    assert!(f.summary.starts_with(
        "Exchange offers no STARTTLS on port 25 (Event 12014): no TlsCertificateName"
    ));
    assert_eq!(
        commands(f)[0],
        format!(
            "Set-ReceiveConnector 'EX01\\Default Frontend EX01' -TlsCertificateName '{MAIL_NAME}'"
        )
    );
}

#[test]
fn r6_a_short_server_name_without_fqdn_is_inconclusive_and_a_ca_certificate_is_silent() {
    let mut rc = frontend("EX01", None, "x");
    rc.fqdn = None;
    let cfg = config(
        vec![on(
            "EX01",
            mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01")),
        )],
        vec![rc],
    );
    let f = check(&cfg, NOW, Limits::default());
    let f = one(&f, Code::ExchangeCheckInconclusive);
    assert!(f.summary.contains("the paste shows only `EX01`"));
    let cfg = config(
        vec![on(
            "EX01",
            mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01")),
        )],
        vec![frontend("EX01", None, "mail.contoso.com")],
    );
    assert!(check(&cfg, NOW, Limits::default()).is_empty());
}

#[test]
fn a_hubtransport_connector_never_gets_an_fqdn_command() {
    let hub = |role: Option<&str>, auth: &[&str]| ReceiveConnector {
        identity: Some("EX01\\Default EX01".into()),
        name: Some("Default EX01".into()),
        server: Some(ServerName::Named("EX01".into())),
        transport_role: role.map(str::to_string),
        bindings: Some(List::of(&["[::]:2525", "0.0.0.0:2525"])),
        fqdn: Some(text("EX01.contoso.local", 3)),
        auth_mechanism: Some(Flags::of(auth)),
        ..Default::default()
    };
    for role in [Some("HubTransport"), None] {
        for auth in [&FRONTEND_AUTH[..], &["Integrated"][..]] {
            let mut cfg = config(
                vec![
                    ex01_self_signed(),
                    on(
                        "EX01",
                        mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01")),
                    ),
                ],
                vec![hub(role, auth), hybrid_frontend_without_name()],
            );
            cfg.hybrid.push(hybrid(&["EX01"]));
            let findings = check(&cfg, NOW, Limits::default());
            for f in findings
                .iter()
                .filter(|f| f.endpoint.contains("Default EX01"))
            {
                assert!(!commands(f).iter().any(|c| c.contains("-Fqdn")), "{f:#?}");
                assert_ne!(f.code, Code::ExchangeReceiveFqdnFallback);
            }
            for c in all_commands(&findings) {
                assert!(!(c.contains("-Fqdn") && c.contains("Default EX01'")), "{c}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// R4
// ---------------------------------------------------------------------------------------

fn r4(c: Certificate) -> Vec<Finding> {
    check(
        &ex01_config(vec![c], Some(MAIL_NAME)),
        NOW,
        Limits::default(),
    )
}

#[test]
fn r4_no_smtp_fails_and_enables_it_with_the_prompt_explained() {
    let findings = r4(mail_cert(DV_TP, &["IIS"], ("2026-06-01", "2027-06-01")));
    let f = one(&findings, Code::ExchangeCertificateUnusable);
    assert_eq!(f.severity, Severity::Fail);
    assert_eq!(
        f.summary,
        "the certificate Exchange presents on port 25 is unusable: it is not enabled for SMTP"
    );
    assert_eq!(
        commands(f),
        vec![format!(
            "Enable-ExchangeCertificate -Server 'EX01' -Thumbprint '{DV_TP}' -Services SMTP"
        )]
    );
    assert!(f.fix.text().contains("answer No (N)"));
}

#[test]
fn r4_no_private_key_fails() {
    let mut c = mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01"));
    c.has_private_key = Some(false);
    let f = r4(c);
    let f = one(&f, Code::ExchangeCertificateUnusable);
    assert_eq!(f.severity, Severity::Fail);
    assert!(f.summary.ends_with("it has no private key"));
    assert!(commands(f).contains(&format!("certutil -repairstore my {DV_TP}")));
}

#[test]
fn r4_expiring_warns_with_the_days_left_and_an_ambiguous_date_is_inconclusive() {
    let f = r4(mail_cert(DV_TP, &["SMTP"], ("2026-01-01", "2026-12-14")));
    let f = one(&f, Code::ExchangeCertificateUnusable);
    assert_eq!(f.severity, Severity::Warn);
    assert_eq!(
        f.summary,
        "the certificate Exchange presents on port 25 expires in 11 days (NotAfter 2026-12-14)"
    );
    let mut c = mail_cert(DV_TP, &["SMTP"], ("2026-01-01", "2027-01-01"));
    c.not_after = Some(Date::Ambiguous {
        month_first: datetime!(2026-11-12 0:00 UTC),
        day_first: datetime!(2027-12-11 0:00 UTC),
    });
    let findings = r4(c);
    assert!(with_code(&findings, Code::ExchangeCertificateUnusable).is_empty());
    let f = one(&findings, Code::ExchangeCheckInconclusive);
    assert!(
        f.summary
            .starts_with("could not check whether the certificate Exchange presents has expired")
    );
}

#[test]
fn r4_revocation_check_failure_warns_with_test_certificate() {
    let mut c = mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01"));
    c.status = Some("RevocationCheckFailure".into());
    let f = r4(c);
    let f = one(&f, Code::ExchangeCertificateUnusable);
    assert_eq!(f.severity, Severity::Warn);
    assert!(commands(f).contains(&format!(
        "Get-ChildItem Cert:\\LocalMachine\\My\\{DV_TP} | Test-Certificate | fl"
    )));
}

#[test]
fn r4_a_self_signed_certificate_named_on_the_hybrid_connector_fails() {
    let ss = ex01_self_signed();
    let findings = check(
        &ex01_config(vec![ss], Some("<I>CN=EX01<S>CN=EX01")),
        NOW,
        Limits::default(),
    );
    let f = one(&findings, Code::ExchangeCertificateUnusable);
    assert_eq!(f.severity, Severity::Fail);
    assert!(f.summary.contains("is self-signed"));
}

// ---------------------------------------------------------------------------------------
// R10
// ---------------------------------------------------------------------------------------

#[test]
fn r10_the_newest_certificate_without_smtp_warns() {
    let old = mail_cert(OV_TP, &["IIS", "SMTP"], ("2025-06-01", "2027-06-01"));
    let new = mail_cert(DV_TP, &["IIS"], ("2026-06-01", "2027-07-01"));
    let findings = check(
        &ex01_config(vec![old, new], Some(MAIL_NAME)),
        NOW,
        Limits::default(),
    );
    let f = one(&findings, Code::ExchangeCertificateDuplicate);
    assert_eq!(f.severity, Severity::Warn);
    assert!(f.summary.contains(&format!("Exchange takes the one with the newest NotBefore ({DV_TP}), which lacks SMTP ({OV_TP} has it)")), "{}", f.summary);
    assert!(commands(f).contains(&format!(
        "Enable-ExchangeCertificate -Server 'EX01' -Thumbprint '{DV_TP}' -Services SMTP"
    )));
    // R4 says the same certificate is unusable.
    assert_eq!(
        one(&findings, Code::ExchangeCertificateUnusable).severity,
        Severity::Fail
    );
}

#[test]
fn r10_two_good_copies_are_info_and_the_old_one_may_go() {
    let old = mail_cert(OV_TP, &["IIS", "SMTP"], ("2025-06-01", "2027-06-01"));
    let new = mail_cert(DV_TP, &["IIS", "SMTP"], ("2026-06-01", "2027-07-01"));
    let findings = check(
        &ex01_config(vec![old, new], Some(MAIL_NAME)),
        NOW,
        Limits::default(),
    );
    let f = one(&findings, Code::ExchangeCertificateDuplicate);
    assert_eq!(f.severity, Severity::Info);
    // An INFO never hands out a Remove-ExchangeCertificate: the old copy may still serve IIS.
    assert!(commands(f).is_empty(), "{:#?}", commands(f));
    assert!(
        f.fix.text().contains(&format!(
            "Nothing needs to change. {OV_TP} may be a copy a renewal left behind"
        )),
        "{}",
        f.fix.text()
    );
}

#[test]
fn r10_an_undated_rival_is_inconclusive() {
    let mut old = mail_cert(OV_TP, &["IIS", "SMTP"], ("2025-06-01", "2027-06-01"));
    old.not_before = None;
    let new = mail_cert(DV_TP, &["IIS", "SMTP"], ("2026-06-01", "2027-07-01"));
    let findings = check(
        &ex01_config(vec![new, old], Some(MAIL_NAME)),
        NOW,
        Limits::default(),
    );
    assert!(with_code(&findings, Code::ExchangeCertificateDuplicate).is_empty());
    let f = one(&findings, Code::ExchangeCheckInconclusive);
    assert!(
        f.summary
            .starts_with("could not check which of the 2 matching certificates Exchange takes")
    );
}

// ---------------------------------------------------------------------------------------
// R13
// ---------------------------------------------------------------------------------------

fn r13(caps: List, hc: bool) -> Vec<Finding> {
    let mut rc = frontend("EX01", Some(MAIL_NAME), "mail.contoso.com");
    rc.tls_domain_capabilities = Some(caps);
    let mut cfg = ex01_config(
        vec![mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01"))],
        None,
    );
    cfg.receive_connectors = vec![rc];
    if hc {
        cfg.hybrid.push(hybrid(&["EX01"]));
    }
    check(&cfg, NOW, Limits::default())
}

#[test]
fn r13_the_hybrid_connector_without_the_cloud_capability_warns() {
    let findings = r13(List::of(&[]), true);
    let f = one(&findings, Code::ExchangeReceiveNoCloudCapability);
    assert_eq!(f.severity, Severity::Warn);
    assert_eq!(
        commands(f),
        vec![
            "Set-ReceiveConnector 'EX01\\Default Frontend EX01' -TlsDomainCapabilities 'mail.protection.outlook.com:AcceptCloudServicesMail'"
        ]
    );
    let findings = r13(List::of(&["contoso.com:AcceptOorgProtocol"]), true);
    let f = one(&findings, Code::ExchangeReceiveNoCloudCapability);
    assert_eq!(
        commands(f),
        vec![
            "Set-ReceiveConnector 'EX01\\Default Frontend EX01' -TlsDomainCapabilities 'contoso.com:AcceptOorgProtocol','mail.protection.outlook.com:AcceptCloudServicesMail'"
        ]
    );
}

#[test]
fn r13_is_inconclusive_on_a_cut_list_and_silent_without_hybrid_or_with_the_capability() {
    let mut cut = List::of(&[
        "a.com:AcceptOorgProtocol",
        "b.com:AcceptOorgProtocol",
        "c.com:AcceptOorgProtocol",
        "d.com:AcceptOorgProtocol",
    ]);
    cut.truncated = true;
    let findings = r13(cut, true);
    assert!(with_code(&findings, Code::ExchangeReceiveNoCloudCapability).is_empty());
    assert!(
        one(&findings, Code::ExchangeCheckInconclusive)
            .summary
            .contains("TlsDomainCapabilities list is cut")
    );
    assert!(r13(List::of(&[]), false).is_empty());
    assert!(
        r13(
            List::of(&["mail.protection.outlook.com:AcceptCloudServicesMail"]),
            true
        )
        .is_empty()
    );
}

// ---------------------------------------------------------------------------------------
// R5
// ---------------------------------------------------------------------------------------

#[test]
fn r5_two_servers_naming_different_certificates_warn_and_the_odd_one_is_fixed() {
    let old_issuer = "<I>CN=DigiCert TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US<S>CN=mail.contoso.com, O=Contoso Ltd, C=CH";
    let cfg = config(
        vec![
            on(
                "EX01",
                mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01")),
            ),
            on(
                "EX02",
                mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01")),
            ),
        ],
        vec![
            frontend("EX01", Some(MAIL_NAME), "mail.contoso.com"),
            frontend("EX02", Some(old_issuer), "mail.contoso.com"),
        ],
    );
    let findings = check(&cfg, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeReceiveServerDrift);
    assert_eq!(f.severity, Severity::Warn);
    assert_eq!(f.endpoint, "Default Frontend connectors of EX01 and EX02");
    assert!(
        f.summary
            .contains("differ (TlsCertificateName and whether the certificate is found)")
    );
    assert_eq!(
        commands(f),
        vec![format!(
            "Set-ReceiveConnector 'EX02\\Default Frontend EX02' -TlsCertificateName '{MAIL_NAME}'"
        )]
    );
    // EX02's own R1 is there too.
    assert_eq!(
        one(&findings, Code::ExchangeReceiveCertificateNotFound).endpoint,
        "EX02\\Default Frontend EX02"
    );
}

#[test]
fn r5_the_same_name_on_every_server_is_silent() {
    let cfg = config(
        vec![
            on(
                "EX01",
                mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01")),
            ),
            on(
                "EX02",
                mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01")),
            ),
        ],
        vec![
            frontend("EX01", Some(MAIL_NAME), "mail.contoso.com"),
            frontend("EX02", Some(MAIL_NAME), "mail.contoso.com"),
        ],
    );
    assert!(check(&cfg, NOW, Limits::default()).is_empty());
}

// ---------------------------------------------------------------------------------------
// R16, R24
// ---------------------------------------------------------------------------------------

#[test]
fn r16_a_third_party_certificate_with_registry_root_type_warns() {
    let mut c = mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01"));
    c.root_ca_type = Some("Registry".into());
    let f = r4(c);
    let f = one(&f, Code::ExchangeCertificateRootType);
    assert_eq!(f.severity, Severity::Warn);
    assert!(f.summary.contains("RootCAType `Registry`"));
    assert!(
        commands(f)
            .iter()
            .any(|c| c.contains("Cert:\\LocalMachine\\AuthRoot"))
    );
    assert!(r4(mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01"))).is_empty());
}

#[test]
fn r24_a_small_key_warns_but_an_elliptic_curve_size_does_not() {
    let mut c = mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01"));
    c.public_key_size = Some(1024);
    let f = r4(c);
    let f = one(&f, Code::ExchangeCertificateWeak);
    assert_eq!(f.severity, Severity::Warn);
    assert_eq!(
        f.summary,
        "the certificate Exchange presents on port 25 is weak: a 1024-bit key"
    );
    let mut c = mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01"));
    c.public_key_size = Some(256);
    assert!(r4(c).is_empty());
}

#[test]
fn r24_a_sha1_signature_is_known_from_the_certificate_itself() {
    use rustls::pki_types::pem::PemObject as _;
    let der = rustls::pki_types::CertificateDer::from_pem_slice(include_bytes!(
        "../../../tests/data/sha1-leaf.pem"
    ))
    .unwrap()
    .to_vec();
    let info = crate::cert::CertInfo::parse(&der, NOW).unwrap();
    let c = Certificate {
        thumbprint: Some(info.thumbprint.clone()),
        der: Some(der),
        services: Some(Flags::of(&["SMTP"])),
        has_private_key: Some(true),
        status: Some("Valid".into()),
        ..Default::default()
    };
    let findings = check(
        &ex01_config(vec![c], Some(&info.exchange_tls_name)),
        NOW,
        Limits::default(),
    );
    let f = one(&findings, Code::ExchangeCertificateWeak);
    assert!(
        f.summary.contains("a sha1WithRSAEncryption signature"),
        "{}",
        f.summary
    );
}

// ---------------------------------------------------------------------------------------
// R23, R25
// ---------------------------------------------------------------------------------------

fn edge_config(edge_certs: Vec<Certificate>) -> Config {
    let mut cfg = ex01_config(
        vec![mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01"))],
        Some(MAIL_NAME),
    );
    cfg.certificates.extend(edge_certs);
    let mut hc = hybrid(&[]);
    hc.receiving_transport_servers = Some(List::of(&[]));
    hc.edge_transport_servers = Some(List::of(&["EDGE01"]));
    cfg.hybrid.push(hc);
    cfg
}

#[test]
fn r23_an_edge_without_the_hybrid_certificate_warns_and_one_not_pasted_is_inconclusive() {
    let findings = check(
        &edge_config(vec![on("EDGE01", ex01_self_signed())]),
        NOW,
        Limits::default(),
    );
    let f = one(&findings, Code::ExchangeEdgeCertificateDrift);
    assert_eq!(f.severity, Severity::Warn);
    assert_eq!(f.endpoint, "EDGE01");
    assert!(commands(f).contains(&format!(
        "Enable-ExchangeCertificate -Thumbprint '{DV_TP}' -Services SMTP"
    )));
    let findings = check(&edge_config(vec![]), NOW, Limits::default());
    assert!(with_code(&findings, Code::ExchangeEdgeCertificateDrift).is_empty());
    assert!(
        one(&findings, Code::ExchangeCheckInconclusive)
            .summary
            .contains("no Get-ExchangeCertificate output of EDGE01 was pasted")
    );
    let findings = check(
        &edge_config(vec![on(
            "EDGE01",
            mail_cert(OV_TP, &["SMTP"], ("2026-06-01", "2027-06-01")),
        )]),
        NOW,
        Limits::default(),
    );
    assert!(with_code(&findings, Code::ExchangeEdgeCertificateDrift).is_empty());
}

#[test]
fn r25_a_missing_internal_transport_certificate_is_info_only_with_that_servers_list() {
    let mut cfg = ex01_config(
        vec![
            mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01")),
            auth_certificate(),
        ],
        Some(MAIL_NAME),
    );
    cfg.transport_services.push(TransportService {
        origin: Origin {
            loc: at(200, 1),
            format: InputFormat::FormatList,
        },
        name: Some("EX01".into()),
        internal_transport_certificate_thumbprint: Some(SELF_TP.into()),
    });
    let findings = check(&cfg, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeInternalTransportCertificateMissing);
    assert_eq!(f.severity, Severity::Info);
    assert_eq!(commands(f), vec!["New-ExchangeCertificate -Server 'EX01'"]);
    assert!(f.fix.text().contains("answer Yes (Y)"));
    cfg.certificates.push(on("EX01", self_signed_srvex01()));
    assert!(
        with_code(
            &check(&cfg, NOW, Limits::default()),
            Code::ExchangeInternalTransportCertificateMissing
        )
        .is_empty()
    );
    // Another server's list says nothing about EX02.
    cfg.transport_services[0].name = Some("EX02".into());
    cfg.transport_services[0].internal_transport_certificate_thumbprint = Some(AUTH_TP.into());
    assert!(
        with_code(
            &check(&cfg, NOW, Limits::default()),
            Code::ExchangeInternalTransportCertificateMissing
        )
        .is_empty()
    );
}

// ---------------------------------------------------------------------------------------
// Hostile values
// ---------------------------------------------------------------------------------------

#[test]
fn hostile_values_never_reach_a_command() {
    let evil_id = "EX01\\Default Frontend EX01\n; Remove-Mailbox -Identity *";
    let bidi = "EX01\\Default Frontend \u{202E}10XE";
    let evil_name = "<I>CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US<S>CN=mail.contoso.com\u{202E}";
    for id in [evil_id, bidi] {
        let mut rc = frontend("EX01", Some(evil_name), "mail.contoso.com\n");
        rc.identity = Some(id.into());
        rc.name = Some(format!("Default Frontend \u{202E}{id}"));
        let mut evil_cert = mail_cert(DV_TP, &["IIS"], ("2026-06-01", "2027-06-01"));
        evil_cert.subject = Some(Text::new(
            "CN=mail.contoso.com\n'; Remove-Item C:\\ -Recurse; '",
        ));
        let cfg = config(vec![on("EX01", evil_cert)], vec![rc]);
        let findings = check(&cfg, NOW, Limits::default());
        assert!(!findings.is_empty());
        for c in all_commands(&findings) {
            assert!(
                !c.chars().any(|ch| ch.is_control() || ch == '\u{202E}'),
                "{c:?}"
            );
            assert!(
                !c.contains("Remove-Mailbox") && !c.contains("Remove-Item"),
                "{c}"
            );
        }
        // Prose may quote the pasted text, but a pasted newline never starts a line of its
        // own and a bidi override is written out.
        for f in &findings {
            for step in &f.fix.steps {
                if let crate::diagnose::Step::Prose { text } = step {
                    assert!(
                        !text.chars().any(|ch| ch.is_control() || ch == '\u{202E}'),
                        "{text:?}"
                    );
                    assert!(!text.starts_with("'; Remove-Item"), "{text}");
                }
            }
        }
    }
}

#[test]
fn nothing_pasted_nothing_said() {
    assert!(check(&Config::default(), NOW, Limits::default()).is_empty());
}

// ---------------------------------------------------------------------------------------
// Classification and helpers
// ---------------------------------------------------------------------------------------

#[test]
fn r6_port_587_with_nothing_covering_its_fqdn_warns() {
    let mut rc = seed_port587();
    rc.fqdn = Some(text("mail.contoso.com", 58));
    let cfg = config(vec![self_signed_srvex01()], vec![rc]);
    let findings = check(&cfg, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeReceiveFqdnFallback);
    assert_eq!(f.severity, Severity::Warn);
    assert!(
        f.summary
            .starts_with("Exchange offers no STARTTLS on port 587 (Event 12014)")
    );
    // No CA-issued certificate in the paste: the fix lists them, it invents none.
    assert!(commands(f)[0].starts_with("Get-ExchangeCertificate | fl Thumbprint"));
}

#[test]
fn a_default_frontend_connector_whose_bindings_were_not_pasted_counts_as_port_25() {
    let mut rc = frontend("EX01", None, "mail.contoso.com");
    rc.bindings = None;
    rc.auth_mechanism = Some(Flags::of(&["Integrated"]));
    let findings = check(&config(vec![], vec![rc]), NOW, Limits::default());
    let f = one(&findings, Code::ExchangeReceiveTlsDisabled);
    assert_eq!(f.severity, Severity::Fail);
    assert_eq!(
        f.summary,
        "Exchange offers no STARTTLS on this connector: the connector's AuthMechanism lacks Tls"
    );
}

#[test]
fn a_disabled_connector_is_not_judged() {
    let mut rc = frontend("EX01", None, "mail.contoso.com");
    rc.enabled = Some(false);
    rc.auth_mechanism = Some(Flags::of(&["None"]));
    assert!(check(&config(vec![], vec![rc]), NOW, Limits::default()).is_empty());
}

#[test]
fn glued_prose_is_located_at_a_capital_inside_the_first_word() {
    assert_eq!(glue_head("XXXXSince the fact the connector"), Some("XXXX"));
    assert_eq!(glue_head("ContosoSince the fact"), Some("Contoso"));
    assert_eq!(glue_head("Contoso Ltd since then we"), None);
    assert_eq!(
        clean("a\nb\u{202E}c"),
        "a\\u{000A}b\\u{202E}c",
        "controls and bidi overrides are written out"
    );
    assert_eq!(
        internal_name("SRVEX01.domain.local").as_deref(),
        Some("an internal name (.local)")
    );
    assert_eq!(internal_name("SRVEX01").as_deref(), Some("a single label"));
    assert_eq!(
        public_host("Mail.Contoso.com.").as_deref(),
        Some("mail.contoso.com")
    );
    assert_eq!(public_host("*.contoso.com"), None);
    assert_eq!(public_host("mail.contoso.com;rm"), None);
}

#[test]
fn the_cloud_capability_is_read_even_when_the_paste_split_it_at_its_comma() {
    let l = |items: &[&str]| List::of(items);
    assert_eq!(
        cloud_capable(&l(&["mail.protection.outlook.com:AcceptCloudServicesMail"])),
        Some(true)
    );
    assert_eq!(
        cloud_capable(&l(&[
            "mail.protection.outlook.com:AcceptOorgProtocol",
            "AcceptCloudServicesMail"
        ])),
        Some(true)
    );
    assert_eq!(
        cloud_capable(&l(&[
            "mail.protection.outlook.com:AcceptOorgProtocol",
            "contoso.com:AcceptCloudServicesMail"
        ])),
        Some(false)
    );
    assert_eq!(
        cloud_capable(&l(&[
            "MAIL.PROTECTION.OFFICE365.US:AcceptCloudServicesMail"
        ])),
        Some(true)
    );
}

// ---------------------------------------------------------------------------------------
// Issue 11: the Exchange admin's trial and the code review
// ---------------------------------------------------------------------------------------

/// Two servers whose Default Frontend connectors name the same certificate; only EX01 holds
/// it (the trial's `two/` set).
fn two_servers_ex02_lacking() -> Config {
    let mut cfg = config(
        vec![
            on(
                "EX01",
                mail_cert(
                    DV_TP,
                    &["IMAP", "POP", "IIS", "SMTP"],
                    ("2026-03-14", "2027-03-15"),
                ),
            ),
            on("EX01", auth_certificate()),
            on(
                "EX02",
                cert(
                    SELF_TP,
                    "CN=EX02",
                    "CN=EX02",
                    &["EX02", "EX02.contoso.com"],
                    &["IMAP", "POP", "SMTP"],
                    ("2025-01-10", "2030-01-10"),
                    3,
                ),
            ),
            on("EX02", auth_certificate()),
        ],
        vec![
            frontend("EX01", Some(MAIL_NAME), "EX01.contoso.com"),
            frontend("EX02", Some(MAIL_NAME), "EX02.contoso.com"),
        ],
    );
    cfg.hybrid.push(hybrid(&["EX01", "EX02"]));
    cfg
}

#[test]
fn a3_the_same_name_on_both_servers_is_no_drift_when_one_merely_lacks_the_certificate() {
    let findings = check(&two_servers_ex02_lacking(), NOW, Limits::default());
    assert!(
        with_code(&findings, Code::ExchangeReceiveServerDrift).is_empty(),
        "{findings:#?}"
    );
    // The missing certificate is said once, on the server that lacks it.
    assert_eq!(
        one(&findings, Code::ExchangeReceiveCertificateNotFound).endpoint,
        "EX02\\Default Frontend EX02"
    );
}

#[test]
fn a3_drift_never_sets_a_name_a_connector_already_has() {
    // EX03 names the old issuer (real drift); EX02 names the right certificate but lacks it.
    let old_issuer = "<I>CN=DigiCert TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US<S>CN=mail.contoso.com, O=Contoso Ltd, C=CH";
    let mut cfg = two_servers_ex02_lacking();
    cfg.certificates.push(on(
        "EX03",
        mail_cert(OV_TP, &["SMTP"], ("2026-03-14", "2027-03-15")),
    ));
    cfg.certificates.push(on("EX03", auth_certificate()));
    cfg.receive_connectors
        .push(frontend("EX03", Some(old_issuer), "EX03.contoso.com"));
    cfg.hybrid[0].receiving_transport_servers = Some(List::of(&["EX01", "EX02", "EX03"]));
    let findings = check(&cfg, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeReceiveServerDrift);
    let cmds = commands(f);
    assert!(
        !cmds
            .iter()
            .any(|c| c.contains("'EX02\\Default Frontend EX02'")),
        "{cmds:#?}"
    );
    assert!(cmds.contains(&format!(
        "Set-ReceiveConnector 'EX03\\Default Frontend EX03' -TlsCertificateName '{MAIL_NAME}'"
    )));
    // Every Set-ReceiveConnector -TlsCertificateName in the report changes something.
    for f in &findings {
        for c in commands(f) {
            for rc in &cfg.receive_connectors {
                let (Some(id), Some(name)) = (&rc.identity, &rc.tls_certificate_name) else {
                    continue;
                };
                assert_ne!(
                    c,
                    format!(
                        "Set-ReceiveConnector '{id}' -TlsCertificateName '{}'",
                        name.value
                    ),
                    "a no-op in {f:#?}"
                );
            }
        }
    }
}

#[test]
fn a3_drift_names_a_certificate_only_where_the_server_holds_it() {
    // EX02 names an old certificate and holds no list in the paste: the command checks first.
    let old_issuer = "<I>CN=DigiCert TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US<S>CN=mail.contoso.com, O=Contoso Ltd, C=CH";
    let cfg = config(
        vec![on(
            "EX01",
            mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01")),
        )],
        vec![
            frontend("EX01", Some(MAIL_NAME), "mail.contoso.com"),
            frontend("EX02", Some(old_issuer), "mail.contoso.com"),
        ],
    );
    let findings = check(&cfg, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeReceiveServerDrift);
    assert_eq!(
        commands(f),
        vec![format!(
            "if (Get-ExchangeCertificate -Server 'EX02' -Thumbprint '{DV_TP}' -ErrorAction SilentlyContinue) {{ Set-ReceiveConnector 'EX02\\Default Frontend EX02' -TlsCertificateName '{MAIL_NAME}' }} else {{ Write-Warning 'EX02 lacks the certificate: copy it from EX01 first' }}"
        )]
    );
    // Its list pasted, without the certificate: the copy comes first.
    let mut cfg = cfg;
    cfg.certificates.push(on("EX02", auth_certificate()));
    let findings = check(&cfg, NOW, Limits::default());
    let cmds = commands(one(&findings, Code::ExchangeReceiveServerDrift));
    assert_eq!(
        cmds.last().unwrap(),
        &format!(
            "Set-ReceiveConnector 'EX02\\Default Frontend EX02' -TlsCertificateName '{MAIL_NAME}'"
        )
    );
    assert!(cmds.contains(
        &"Import-ExchangeCertificate -Server 'EX02' -FileData $b.FileData -Password $pw -PrivateKeyExportable $true".to_string()
    ));
}

#[test]
fn a3_drift_is_judged_only_among_the_hybrid_receiving_servers() {
    let mut cfg = config(
        vec![on(
            "EX01",
            mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01")),
        )],
        vec![
            frontend("EX01", Some(MAIL_NAME), "mail.contoso.com"),
            frontend("EX09", None, "branch.contoso.com"),
        ],
    );
    cfg.hybrid.push(hybrid(&["EX01"]));
    let findings = check(&cfg, NOW, Limits::default());
    assert!(with_code(&findings, Code::ExchangeReceiveServerDrift).is_empty());
}

#[test]
fn a4_the_certificate_another_server_holds_is_copied_not_renewed() {
    let findings = check(&two_servers_ex02_lacking(), NOW, Limits::default());
    let f = one(&findings, Code::ExchangeReceiveCertificateNotFound);
    assert_eq!(f.severity, Severity::Fail);
    assert_eq!(
        f.summary,
        "Exchange offers no STARTTLS on port 25 (Event 12014 names the TlsCertificateName): EX02 does not hold the certificate it names (EX01 does)"
    );
    assert!(has_line(
        &f.evidence,
        "on EX01: certs.txt:80: `CN=mail.contoso.com"
    ));
    assert!(has_line(&f.evidence, "exactly the certificate it names"));
    assert_eq!(
        commands(f),
        vec![
            "$pw = Read-Host 'PFX password' -AsSecureString".to_string(),
            format!(
                "$b = Export-ExchangeCertificate -Server 'EX01' -Thumbprint '{DV_TP}' -BinaryEncoded -Password $pw"
            ),
            "Import-ExchangeCertificate -Server 'EX02' -FileData $b.FileData -Password $pw -PrivateKeyExportable $true".to_string(),
            format!("Enable-ExchangeCertificate -Server 'EX02' -Thumbprint '{DV_TP}' -Services SMTP"),
            "Restart-Service MSExchangeFrontEndTransport".to_string(),
            "starttls-check '[ex02.contoso.com]:25'".to_string(),
        ]
    );
    let text = f.fix.text();
    assert!(text.contains("answer No (N)"), "{text}");
    assert!(!text.contains("After a renewal"), "{text}");
    assert!(
        !commands(f)
            .iter()
            .any(|c| c.starts_with("Set-ReceiveConnector"))
    );
}

fn expiring_on(not_after: OffsetDateTime) -> Certificate {
    let mut c = mail_cert(DV_TP, &["SMTP"], ("2026-01-01", "2027-01-01"));
    c.not_after = Some(Date::Known(not_after));
    c
}

#[test]
fn b3_expiry_follows_warn_days_and_fail_days() {
    let tomorrow = datetime!(2026-12-03 23:59:59 UTC);
    let f = r4(expiring_on(tomorrow));
    let f = one(&f, Code::ExchangeCertificateUnusable);
    assert_eq!(f.severity, Severity::Fail, "the default --fail-days is 7");
    assert_eq!(
        f.summary,
        "the certificate Exchange presents on port 25 expires in 1 day (NotAfter 2026-12-03)"
    );
    assert!(has_line(
        &f.evidence,
        "thresholds: warn within 30 days, fail within 7 days"
    ));
    let cfg = ex01_config(vec![expiring_on(tomorrow)], Some(MAIL_NAME));
    let lenient = Limits {
        warn_days: 30,
        fail_days: 0,
    };
    let f = check(&cfg, NOW, lenient);
    assert_eq!(
        one(&f, Code::ExchangeCertificateUnusable).severity,
        Severity::Warn
    );
    let silent = Limits {
        warn_days: 0,
        fail_days: 0,
    };
    assert!(check(&cfg, NOW, silent).is_empty());
    let strict = Limits {
        warn_days: 400,
        fail_days: 100,
    };
    let cfg = ex01_config(
        vec![expiring_on(datetime!(2027-06-01 0:00 UTC))],
        Some(MAIL_NAME),
    );
    let f = check(&cfg, NOW, strict);
    let f = one(&f, Code::ExchangeCertificateUnusable);
    assert_eq!(f.severity, Severity::Warn);
    assert!(f.summary.contains("expires in 180 days"), "{}", f.summary);
    // A date read two ways, one reading inside --fail-days and one not: never a FAIL.
    let mut c = expiring_on(tomorrow);
    c.not_after = Some(Date::Ambiguous {
        month_first: datetime!(2026-12-05 0:00 UTC),
        day_first: datetime!(2026-12-20 0:00 UTC),
    });
    let f = r4(c);
    let f = one(&f, Code::ExchangeCertificateUnusable);
    assert_eq!(f.severity, Severity::Warn);
    assert!(
        f.summary.contains("expires in 2 or 17 days"),
        "{}",
        f.summary
    );
}

#[test]
fn c9_two_copies_far_from_expiry_never_say_one_expires_earlier() {
    // The trial: both expire on 2027-12-02, hours apart.
    let mut old = mail_cert(OV_TP, &["IIS", "SMTP"], ("2026-12-01", "2027-12-02"));
    old.not_after = Some(Date::Known(datetime!(2027-12-02 18:00 UTC)));
    let mut new = mail_cert(DV_TP, &["SMTP"], ("2026-12-02", "2027-12-02"));
    new.not_after = Some(Date::Known(datetime!(2027-12-02 06:00 UTC)));
    let findings = check(
        &ex01_config(vec![old, new], Some(MAIL_NAME)),
        NOW,
        Limits::default(),
    );
    let f = one(&findings, Code::ExchangeCertificateDuplicate);
    assert_eq!(f.severity, Severity::Info, "{}", f.summary);
    assert!(!f.summary.contains("earlier"), "{}", f.summary);
}

#[test]
fn c9_expiring_earlier_near_the_end_says_the_hours_on_the_same_day() {
    // 30 days 23 hours left (inside --warn-days 30) against 31 days 1 hour (outside): the
    // same calendar day.
    let mut old = mail_cert(OV_TP, &["IIS", "SMTP"], ("2026-06-01", "2027-06-01"));
    old.not_after = Some(Date::Known(datetime!(2027-01-02 13:00 UTC)));
    let mut new = mail_cert(DV_TP, &["SMTP"], ("2026-07-01", "2027-06-01"));
    new.not_after = Some(Date::Known(datetime!(2027-01-02 11:00 UTC)));
    let findings = check(
        &ex01_config(vec![old, new], Some(MAIL_NAME)),
        NOW,
        Limits::default(),
    );
    let f = one(&findings, Code::ExchangeCertificateDuplicate);
    assert_eq!(f.severity, Severity::Warn);
    assert!(
        f.summary.ends_with(&format!(
            "which expires 2 hours earlier (2027-01-02 11:00 UTC) than {OV_TP} (2027-01-02 13:00 UTC)"
        )),
        "{}",
        f.summary
    );
    // Both have the same issuer and subject, so the remedy is to remove the one Exchange
    // takes: it serves SMTP only, so the command is given.
    assert!(commands(f).contains(&format!(
        "Remove-ExchangeCertificate -Server 'EX01' -Thumbprint '{DV_TP}'"
    )));
}

#[test]
fn c10_the_self_signed_certificate_is_cited_with_exchange_onlines_real_strings() {
    let mut cfg = config(
        vec![ex01_self_signed()],
        vec![hybrid_frontend_without_name()],
    );
    cfg.hybrid.push(hybrid(&["EX01"]));
    let findings = check(&cfg, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeReceiveFqdnFallback);
    assert!(has_line(
        &f.evidence,
        "450 4.4.317 Cannot connect to remote server [Message=UntrustedRoot]"
    ));
    assert!(has_line(
        &f.evidence,
        "450 4.7.320 Certificate validation failed [Message=SubjectMismatch]"
    ));
    assert!(!has_line(&f.evidence, "4.4.317 … SubjectMismatch"));
}

fn client_frontend(server: &str) -> ReceiveConnector {
    ReceiveConnector {
        origin: Origin {
            loc: at(90, 1),
            format: InputFormat::FormatList,
        },
        identity: Some(format!("{server}\\Client Frontend {server}")),
        name: Some(format!("Client Frontend {server}")),
        server: Some(ServerName::Named(server.into())),
        transport_role: Some("FrontendTransport".into()),
        auth_mechanism: Some(Flags::of(&FRONTEND_AUTH[..4])),
        bindings: Some(List::of(&["[::]:587", "0.0.0.0:587"])),
        fqdn: Some(text(&format!("{server}.contoso.local"), 94)),
        ..Default::default()
    }
}

#[test]
fn c16_port_587_on_the_self_signed_certificate_is_said_only_when_it_explains_port_25() {
    let certs = || {
        vec![
            ex01_self_signed(),
            on(
                "EX01",
                mail_cert(DV_TP, &["IIS", "SMTP"], ("2026-06-01", "2027-06-01")),
            ),
        ]
    };
    // A healthy hybrid: port 25 names the CA certificate, 587 keeps setup's default.
    let cfg = config(
        certs(),
        vec![
            frontend("EX01", Some(MAIL_NAME), "mail.contoso.com"),
            client_frontend("EX01"),
        ],
    );
    assert!(check(&cfg, NOW, Limits::default()).is_empty());
    // Port 25 lacks Tls: 587 is why the admin sees STARTTLS on one port only.
    let mut rc25 = frontend("EX01", Some(MAIL_NAME), "mail.contoso.com");
    rc25.auth_mechanism = Some(Flags::of(&["Integrated", "BasicAuth", "ExchangeServer"]));
    let cfg = config(certs(), vec![rc25, client_frontend("EX01")]);
    let findings = check(&cfg, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeReceiveFqdnFallback);
    assert_eq!(f.severity, Severity::Info);
    assert!(has_line(
        &f.evidence,
        "This is why port 587 offers STARTTLS and port 25 does not: EX01\\Default Frontend EX01 lacks Tls in its AuthMechanism"
    ));
    // Markers a forum may have eaten say nothing certain about port 25: no such claim.
    let eaten =
        "CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=USCN=mail.contoso.com";
    let cfg = config(
        certs(),
        vec![
            frontend("EX01", Some(eaten), "mail.contoso.com"),
            client_frontend("EX01"),
        ],
    );
    let findings = check(&cfg, NOW, Limits::default());
    assert!(with_code(&findings, Code::ExchangeReceiveFqdnFallback).is_empty());
}

#[test]
fn b7_a_whole_list_without_a_ca_issued_smtp_certificate_warns() {
    let mut iis_only = mail_cert(DV_TP, &["IIS"], ("2026-06-01", "2027-06-01"));
    iis_only.server = Some(ServerName::Named("EX01".into()));
    let cfg = config(
        vec![ex01_self_signed(), on("EX01", auth_certificate()), iis_only],
        vec![],
    );
    let findings = check(&cfg, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeCertificateUnusable);
    assert_eq!(f.severity, Severity::Warn);
    assert_eq!(
        f.summary,
        "no CA-issued certificate is enabled for SMTP on EX01: a hybrid connector cannot present a trusted certificate"
    );
    assert_eq!(
        commands(f),
        vec![format!(
            "Enable-ExchangeCertificate -Server 'EX01' -Thumbprint '{DV_TP}' -Services SMTP"
        )]
    );
    // A CA-issued SMTP certificate: nothing to say.
    let cfg = config(
        vec![
            ex01_self_signed(),
            on("EX01", auth_certificate()),
            on(
                "EX01",
                mail_cert(DV_TP, &["IIS", "SMTP"], ("2026-06-01", "2027-06-01")),
            ),
        ],
        vec![],
    );
    assert!(check(&cfg, NOW, Limits::default()).is_empty());
}

#[test]
fn b7_a_list_that_may_be_filtered_says_nothing() {
    // One certificate (a `-Thumbprint` paste), or several without the Auth or WMSvc
    // certificate every server holds (a `-DomainName` or `Where-Object` paste).
    for certs in [
        vec![ex01_self_signed()],
        vec![
            ex01_self_signed(),
            on(
                "EX01",
                mail_cert(DV_TP, &["IIS"], ("2026-06-01", "2027-06-01")),
            ),
        ],
    ] {
        let cfg = config(certs, vec![]);
        assert!(check(&cfg, NOW, Limits::default()).is_empty());
    }
    // With a receive connector the connector rules judge what it presents.
    let cfg = config(
        vec![ex01_self_signed(), on("EX01", auth_certificate())],
        vec![frontend("EX01", Some(MAIL_NAME), "mail.contoso.com")],
    );
    assert!(
        !check(&cfg, NOW, Limits::default())
            .iter()
            .any(|f| f.summary.starts_with("no CA-issued certificate"))
    );
}

#[test]
fn review_glued_prose_after_a_leading_space_does_not_panic() {
    assert_eq!(glue_head(" éÄb and then some"), Some("é"));
    let name = "<I>CN=CA<S>CN=x, O=\" éÄb and then some more words here\"";
    let cfg = ex01_config(
        vec![mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01"))],
        Some(name),
    );
    let _ = check(&cfg, NOW, Limits::default());
}

#[test]
fn review_new_exchange_certificate_runs_on_the_certificates_server() {
    let mut c = mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01"));
    c.public_key_size = Some(1024);
    let findings = r4(c);
    let f = one(&findings, Code::ExchangeCertificateWeak);
    assert_eq!(
        commands(f)[0],
        format!(
            "$req = Get-ExchangeCertificate -Server 'EX01' -Thumbprint '{DV_TP}' | New-ExchangeCertificate -Server 'EX01' -GenerateRequest -KeySize 2048"
        )
    );
}

#[test]
fn review_a_relay_connector_scoped_to_a_few_hosts_only_warns() {
    let mut rc = relay(&["ExternalAuthoritative"]);
    rc.bindings = Some(List::of(&["0.0.0.0:25"]));
    rc.remote_ip_ranges = Some(List::of(&["10.0.5.20", "10.0.5.21"]));
    let cfg = config(vec![], vec![rc.clone()]);
    let findings = check(&cfg, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeReceiveTlsDisabled);
    assert_eq!(f.severity, Severity::Warn);
    assert!(has_line(
        &f.evidence,
        "RemoteIPRanges `{10.0.5.20, 10.0.5.21}`"
    ));
    rc.remote_ip_ranges = Some(List::of(&["0.0.0.0-255.255.255.255"]));
    let findings = check(&config(vec![], vec![rc]), NOW, Limits::default());
    assert_eq!(
        one(&findings, Code::ExchangeReceiveTlsDisabled).severity,
        Severity::Fail
    );
}

#[test]
fn review_a_one_certificate_list_never_asks_to_replace_the_internal_transport_certificate() {
    let mut cfg = ex01_config(
        vec![mail_cert(DV_TP, &["SMTP"], ("2026-06-01", "2027-06-01"))],
        Some(MAIL_NAME),
    );
    cfg.transport_services.push(TransportService {
        origin: Origin {
            loc: at(200, 1),
            format: InputFormat::FormatList,
        },
        name: Some("EX01".into()),
        internal_transport_certificate_thumbprint: Some(SELF_TP.into()),
    });
    assert!(
        with_code(
            &check(&cfg, NOW, Limits::default()),
            Code::ExchangeInternalTransportCertificateMissing
        )
        .is_empty()
    );
}

#[test]
fn review_a_placeholder_and_the_connector_it_names_are_one_line() {
    let findings = check(
        &ex01_config(vec![self_signed_srvex01()], Some(MAIL_NAME)),
        NOW,
        Limits::default(),
    );
    let f = one(&findings, Code::ExchangeReceiveCertificateNotFound);
    let cmds = commands(f);
    assert!(
        cmds.contains(&format!(
            "$c = Get-ExchangeCertificate -Server 'EX01' -Thumbprint {CHOSEN_THUMBPRINT}; if ($c) {{ Set-ReceiveConnector 'EX01\\Default Frontend EX01' -TlsCertificateName \"<I>$($c.Issuer)<S>$($c.Subject)\" }}"
        )),
        "{cmds:#?}"
    );
    assert!(!cmds.iter().any(|c| c.starts_with("Set-ReceiveConnector")));
}

#[test]
fn review_two_copies_whose_dates_read_both_ways_are_ordered_when_both_readings_agree() {
    // The old copy is pasted first and expired; the renewal starts later under either
    // reading of the dates: Exchange takes the renewal, and nothing is said of the old one.
    let mut old = mail_cert(OV_TP, &["SMTP"], ("2024-01-02", "2025-01-03"));
    old.not_before = Some(Date::Ambiguous {
        month_first: datetime!(2024-01-02 0:00 UTC),
        day_first: datetime!(2024-02-01 0:00 UTC),
    });
    old.not_after = Some(Date::Ambiguous {
        month_first: datetime!(2025-01-03 0:00 UTC),
        day_first: datetime!(2025-03-01 0:00 UTC),
    });
    old.status = Some("DateInvalid".into());
    let mut new = mail_cert(DV_TP, &["SMTP"], ("2026-02-03", "2027-03-04"));
    new.not_before = Some(Date::Ambiguous {
        month_first: datetime!(2026-02-03 0:00 UTC),
        day_first: datetime!(2026-03-02 0:00 UTC),
    });
    let findings = check(
        &ex01_config(vec![old, new], Some(MAIL_NAME)),
        NOW,
        Limits::default(),
    );
    assert!(
        with_code(&findings, Code::ExchangeCertificateUnusable).is_empty(),
        "{findings:#?}"
    );
    let f = one(&findings, Code::ExchangeCertificateDuplicate);
    assert!(
        f.summary.contains(&format!("Exchange takes {DV_TP}")),
        "{}",
        f.summary
    );
    // Readings that disagree: which one Exchange takes is not known, so neither is judged.
    let mut a = mail_cert(OV_TP, &["SMTP"], ("2026-01-01", "2027-01-01"));
    a.not_before = Some(Date::Ambiguous {
        month_first: datetime!(2026-03-04 0:00 UTC),
        day_first: datetime!(2026-04-03 0:00 UTC),
    });
    a.status = Some("DateInvalid".into());
    let mut b = mail_cert(DV_TP, &["SMTP"], ("2026-03-20", "2027-01-01"));
    b.not_before = Some(Date::Known(datetime!(2026-03-20 0:00 UTC)));
    let findings = check(
        &ex01_config(vec![a, b], Some(MAIL_NAME)),
        NOW,
        Limits::default(),
    );
    assert!(with_code(&findings, Code::ExchangeCertificateUnusable).is_empty());
    let f = one(&findings, Code::ExchangeCheckInconclusive);
    assert!(
        f.summary
            .starts_with("could not check which of the 2 matching certificates Exchange takes")
    );
}

#[test]
fn review_an_enterprise_ca_certificate_is_never_offered_to_the_hybrid_connector() {
    let mut internal = on(
        "EX01",
        cert(
            DV_TP,
            "CN=Contoso Issuing CA, DC=contoso, DC=local",
            "CN=legacy-owa.contoso.com",
            &["legacy-owa.contoso.com"],
            &["IIS"],
            ("2026-01-01", "2027-06-01"),
            80,
        ),
    );
    internal.root_ca_type = Some("Enterprise".into());
    let mut cfg = config(
        vec![ex01_self_signed(), internal],
        vec![hybrid_frontend_without_name()],
    );
    cfg.hybrid.push(hybrid(&["EX01"]));
    let findings = check(&cfg, NOW, Limits::default());
    let f = one(&findings, Code::ExchangeReceiveFqdnFallback);
    assert!(
        !all_commands(&findings)
            .iter()
            .any(|c| c.contains(DV_TP) || c.contains("legacy-owa")),
        "{:#?}",
        commands(f)
    );
    assert!(
        f.fix
            .text()
            .contains("The paste shows no certificate that can take its place")
    );
}
