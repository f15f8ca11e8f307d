//! The live join: agreement is a row, disagreement a finding.

#![allow(clippy::unwrap_used)]

use time::macros::datetime;

use super::*;
use crate::exchange::model::{
    Certificate, Date, Flags, List, PresentedCertificate, ServerName, Text,
};

const NOW: OffsetDateTime = datetime!(2026-12-02 12:00 UTC);
const CA: &str = "CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US";

fn config(tls_name: Option<&str>) -> Config {
    let cert = Certificate {
        server: Some(ServerName::Named("EX01".into())),
        thumbprint: Some("AAAA000000000000000000000000000000000001".into()),
        issuer: Some(Text::new(CA)),
        subject: Some(Text::new("CN=mail.contoso.com")),
        domains: Some(List::of(&["mail.contoso.com"])),
        services: Some(Flags::of(&["IIS", "SMTP"])),
        has_private_key: Some(true),
        self_signed: Some(false),
        not_before: Some(Date::Known(datetime!(2026-01-01 0:00 UTC))),
        ..Default::default()
    };
    let rc = ReceiveConnector {
        identity: Some("EX01\\Default Frontend EX01".into()),
        server: Some(ServerName::Named("EX01".into())),
        transport_role: Some("FrontendTransport".into()),
        bindings: Some(List::of(&["[::]:25", "0.0.0.0:25"])),
        fqdn: Some(Text::new("mail.contoso.com")),
        auth_mechanism: Some(Flags::of(&[
            "Tls",
            "Integrated",
            "BasicAuth",
            "BasicAuthRequireTLS",
            "ExchangeServer",
        ])),
        tls_certificate_name: tls_name.map(Text::new),
        ..Default::default()
    };
    Config {
        certificates: vec![cert],
        receive_connectors: vec![rc],
        ..Default::default()
    }
}

fn presented(thumbprint: Option<&str>, starttls: bool, greeting: &str) -> Join {
    Join {
        host: "mail.contoso.com".into(),
        why: "test".into(),
        endpoints: vec![Presented {
            endpoint: "mail.contoso.com [192.0.2.25]:25".into(),
            port: 25,
            starttls_offered: Some(starttls),
            ehlo_name: Some(greeting.into()),
            not_exchange: None,
            certificate: thumbprint.map(|t| PresentedCertificate {
                thumbprint: t.into(),
                subject: "CN=mail.contoso.com".into(),
                issuer: CA.into(),
                exchange_tls_name: String::new(),
                names: vec!["mail.contoso.com".into()],
                self_signed: false,
                not_after: datetime!(2027-01-01 0:00 UTC),
            }),
            failure: None,
        }],
    }
}

#[test]
fn the_predicted_thumbprint_presented_is_an_agreeing_row_and_no_finding() {
    let cfg = config(Some(&format!("<I>{CA}<S>CN=mail.contoso.com")));
    let join = presented(
        Some("aaaa000000000000000000000000000000000001"),
        true,
        "mail.contoso.com",
    );
    let rows = rows(&cfg, &join, NOW);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].agrees, Some(true));
    assert_eq!(
        rows[0].connector.as_deref(),
        Some("EX01\\Default Frontend EX01")
    );
    assert!(describe(&rows[0].predicted).contains("chosen by TlsCertificateName"));
    assert!(check(&cfg, &join, NOW).is_empty());
}

#[test]
fn another_certificate_presented_is_a_warning_that_names_both() {
    let cfg = config(Some(&format!("<I>{CA}<S>CN=mail.contoso.com")));
    let join = presented(
        Some("BBBB000000000000000000000000000000000002"),
        true,
        "gw.contoso.com",
    );
    let f = check(&cfg, &join, NOW);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].code, Code::ExchangePresentedCertificateUnexpected);
    assert_eq!(f[0].severity, Severity::Warn);
    assert!(
        f[0].summary
            .contains("AAAA000000000000000000000000000000000001"),
        "{}",
        f[0].summary
    );
    assert!(f[0].evidence.iter().any(|e| e.contains("BBBB0000")));
    assert!(
        f[0].fix.text().contains("greets as `gw.contoso.com`"),
        "{}",
        f[0].fix.text()
    );
}

#[test]
fn no_starttls_where_the_model_gives_a_certificate_fails() {
    let cfg = config(Some(&format!("<I>{CA}<S>CN=mail.contoso.com")));
    let f = check(&cfg, &presented(None, false, "mail.contoso.com"), NOW);
    assert_eq!(f[0].severity, Severity::Fail);
    assert!(f[0].fix.text().contains("Event 12014"));
}

#[test]
fn a_predicted_missing_starttls_confirmed_by_the_probe_is_a_row_not_a_finding() {
    let cfg = config(Some(&format!("<I>{CA}<S>CN=old.contoso.com")));
    let join = presented(None, false, "mail.contoso.com");
    let rows = rows(&cfg, &join, NOW);
    assert!(matches!(rows[0].predicted, Prediction::NoStarttls { .. }));
    assert_eq!(rows[0].agrees, Some(true));
    assert!(check(&cfg, &join, NOW).is_empty());
    // The same paste, but the server that answered does offer STARTTLS: the paste is not its.
    let f = check(
        &cfg,
        &presented(Some("CCCC000000000000000000000000000000000003"), true, "x"),
        NOW,
    );
    assert_eq!(f[0].severity, Severity::Warn);
}

#[test]
fn a_port_no_pasted_connector_binds_is_unknown() {
    let cfg = config(None);
    let mut join = presented(None, true, "mail.contoso.com");
    join.endpoints[0].port = 587;
    let rows = rows(&cfg, &join, NOW);
    assert!(matches!(rows[0].predicted, Prediction::Unknown { .. }));
    assert_eq!(rows[0].agrees, None);
}

#[test]
fn two_matches_whose_dates_read_both_ways_leave_the_prediction_unknown() {
    let mut cfg = config(Some(&format!("<I>{CA}<S>CN=mail.contoso.com")));
    let mut twin = cfg.certificates[0].clone();
    twin.thumbprint = Some("BBBB000000000000000000000000000000000002".into());
    // 12/1/2026 and 12/2/2026: 1 and 2 December, or 12 January and 12 February.
    let amb = |d1: u8| Date::Ambiguous {
        month_first: time::Date::from_calendar_date(2026, time::Month::December, d1)
            .unwrap()
            .midnight()
            .assume_utc(),
        day_first: time::Date::from_calendar_date(2026, time::Month::try_from(d1).unwrap(), 12)
            .unwrap()
            .midnight()
            .assume_utc(),
    };
    cfg.certificates[0].not_before = Some(amb(1));
    twin.not_before = Some(amb(2));
    cfg.certificates.push(twin);
    // Both readings put the twin first (2 Dec > 1 Dec, 12 Feb > 12 Jan): settled.
    let join = presented(
        Some("BBBB000000000000000000000000000000000002"),
        true,
        "mail.contoso.com",
    );
    assert_eq!(rows(&cfg, &join, NOW)[0].agrees, Some(true));
    // Make the readings disagree: 12/3/2026 (3 Dec or 12 Mar) against 5/11/2026 (11 May or
    // 5 Nov): month first the first is newer, day first the twin.
    let at = |m: time::Month, d: u8| {
        time::Date::from_calendar_date(2026, m, d)
            .unwrap()
            .midnight()
            .assume_utc()
    };
    cfg.certificates[0].not_before = Some(Date::Ambiguous {
        month_first: at(time::Month::December, 3),
        day_first: at(time::Month::March, 12),
    });
    cfg.certificates[1].not_before = Some(Date::Ambiguous {
        month_first: at(time::Month::May, 11),
        day_first: at(time::Month::November, 5),
    });
    let r = &rows(&cfg, &join, NOW)[0];
    assert!(matches!(r.predicted, Prediction::Unknown { .. }), "{r:?}");
    assert_eq!(r.agrees, None);
}

#[test]
fn a_server_that_is_not_exchange_is_named_first() {
    let cfg = config(Some(&format!("<I>{CA}<S>CN=mail.contoso.com")));
    let mut join = presented(None, false, "mail.contoso.com");
    join.endpoints[0].not_exchange = Some("Postfix".into());
    let f = check(&cfg, &join, NOW);
    let text = f[0].fix.text();
    assert!(
        text.contains("shows itself as Postfix, not Exchange Server"),
        "{text}"
    );
    assert!(!text.contains("Event 12014"), "{text}");
}
