//! The selection model and the name comparisons, on the cases of the field.

#![allow(clippy::unwrap_used)]

use time::macros::datetime;

use super::*;
use crate::exchange::model::{Date, Flags};

const NOW: OffsetDateTime = datetime!(2026-12-02 12:00 UTC);
const G2: &str = "CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US";
const OLD_CA: &str = "CN=DigiCert TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US";
/// Seed 001's TlsCertificateName, with the forum post's prose glued to it.
const SEED_001: &str = "<I>CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US<S>CN=*.XXXXX.com, O=XXXXSince the fact the connector is the same for the two ports but only on port 587 I see the STARTLS option makes me wonder about some particular setting to change.";

fn cert(issuer: &str, subject: &str, domains: &[&str], not_before: &str) -> Certificate {
    Certificate {
        thumbprint: Some(format!("{:0>40}", subject.len())),
        issuer: Some(Text::new(issuer)),
        subject: Some(Text::new(subject)),
        domains: Some(List::of(domains)),
        services: Some(Flags::of(&["IIS", "SMTP"])),
        has_private_key: Some(true),
        self_signed: Some(issuer == subject),
        not_before: Some(Date::Known(
            time::OffsetDateTime::parse(not_before, &time::format_description::well_known::Rfc3339)
                .unwrap(),
        )),
        ..Default::default()
    }
}

fn config(certs: Vec<Certificate>) -> Config {
    Config {
        certificates: certs,
        ..Default::default()
    }
}

#[test]
fn dns_parse_quoted_values_and_unquoted_commas() {
    let d = Dn::parse("CN=mail.contoso.com, O=\"GoDaddy.com, Inc.\", ST=Arizona, C=US").unwrap();
    assert_eq!(d.rdns.len(), 4);
    assert_eq!(d.rdns[1].value, "GoDaddy.com, Inc.");
    assert_eq!(d.rdns[2].kind, "S");
    let d = Dn::parse("CN=x, O=Contoso, Inc.").unwrap();
    assert_eq!(d.rdns[1].value, "Contoso, Inc.");
    assert_eq!(Dn::parse("not a name"), None);
}

#[test]
fn the_seed_names_subject_is_read_with_its_glued_prose() {
    let n = parse_tls_name(&Text::new(SEED_001), InputFormat::FormatList).unwrap();
    assert!(n.glued);
    assert_eq!(n.issuer.rdns.len(), 3);
    assert_eq!(n.subject.common_name(), Some("*.XXXXX.com"));
    let clean = format!("<i>{G2}<s>CN=mail.contoso.com, O=Contoso Ltd, L=Zurich, C=CH");
    assert!(
        !parse_tls_name(&Text::new(clean), InputFormat::FormatList)
            .unwrap()
            .glued
    );
}

#[test]
fn markers_missing_or_swapped_are_problems_and_eaten_markers_are_suspected_in_pastes() {
    let eaten = format!("{OLD_CA}CN=mail.contoso.com");
    assert_eq!(
        parse_tls_name(&Text::new(eaten.clone()), InputFormat::FormatList),
        Err(NameProblem::NoMarkers { maybe_eaten: true })
    );
    assert_eq!(
        parse_tls_name(&Text::new(eaten), InputFormat::ScriptJson),
        Err(NameProblem::NoMarkers { maybe_eaten: false })
    );
    let swapped = format!("<S>CN=mail.contoso.com<I>{OLD_CA}");
    assert_eq!(
        parse_tls_name(&Text::new(swapped), InputFormat::FormatList),
        Err(NameProblem::Swapped)
    );
}

#[test]
fn a_near_miss_is_classified() {
    let renewed = cert(
        G2,
        "CN=mail.contoso.com, O=Contoso, C=CH",
        &["mail.contoso.com"],
        "2026-01-01T00:00:00Z",
    );
    let name = |s: &str| parse_tls_name(&Text::new(s), InputFormat::FormatList).unwrap();
    let same = name(&format!("<I>{G2}<S>CN=mail.contoso.com, O=Contoso, C=CH"));
    assert_eq!(compare(&same, &renewed, NOW), NameMatch::Exact);
    let old_issuer = name(&format!(
        "<I>{OLD_CA}<S>CN=mail.contoso.com, O=Contoso, C=CH"
    ));
    assert_eq!(
        compare(&old_issuer, &renewed, NOW),
        NameMatch::Near(Near::IssuerChanged)
    );
    let ov = name(&format!(
        "<I>{G2}<S>CN=mail.contoso.com, O=Contoso, L=Zurich, C=CH"
    ));
    assert_eq!(
        compare(&ov, &renewed, NOW),
        NameMatch::Near(Near::SubjectChanged)
    );
    let reversed = name(
        "<I>C=US, O=DigiCert Inc, CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1<S>C=CH, O=Contoso, CN=mail.contoso.com",
    );
    assert_eq!(
        compare(&reversed, &renewed, NOW),
        NameMatch::Near(Near::Reversed)
    );
    let case = name(&format!(
        "<I>{}<S>cn=MAIL.contoso.com, o=Contoso, c=CH",
        G2.to_uppercase()
    ));
    assert_eq!(
        compare(&case, &renewed, NOW),
        NameMatch::Exact,
        "case does not matter"
    );
}

#[test]
fn glued_prose_is_cut_only_inside_the_last_value() {
    let name = parse_tls_name(&Text::new(SEED_001), InputFormat::FormatList).unwrap();
    // The certificate the connector was bound to, before the renewal.
    let bound = cert(
        G2,
        "CN=*.XXXXX.com, O=XXXX",
        &["*.XXXXX.com"],
        "2025-01-01T00:00:00Z",
    );
    assert_eq!(compare(&name, &bound, NOW), NameMatch::IfGlued);
    // The renewed DV certificate has no O=: the pasted name holds one, whatever was glued.
    let dv = cert(
        G2,
        "CN=*.XXXXX.com",
        &["*.XXXXX.com"],
        "2026-06-01T00:00:00Z",
    );
    assert_eq!(
        compare(&name, &dv, NOW),
        NameMatch::Near(Near::SubjectChanged)
    );
}

#[test]
fn wrapped_values_compare_without_their_spaces() {
    let mut t = Text::new(format!("<I>{G2}<S>CN=mail.contoso.com, O=Cont oso, C=CH"));
    t.wrapped = true;
    let name = parse_tls_name(&t, InputFormat::FormatList).unwrap();
    let c = cert(
        G2,
        "CN=mail.contoso.com, O=Contoso, C=CH",
        &[],
        "2026-01-01T00:00:00Z",
    );
    assert_eq!(compare(&name, &c, NOW), NameMatch::Exact);
}

#[test]
fn wildcards_cover_one_label() {
    assert!(covers("*.contoso.com", "mail.contoso.com"));
    assert!(!covers("*.contoso.com", "contoso.com"));
    assert!(!covers("*.contoso.com", "a.b.contoso.com"));
    assert!(covers("MAIL.contoso.com.", "mail.CONTOSO.com"));
}

#[test]
fn connector_patterns_follow_exchange_online() {
    let names = |n: &[&str], complete| Names {
        names: n.iter().map(|s| (*s).to_string()).collect(),
        complete,
    };
    let cert = names(&["mail.contoso.com", "autodiscover.contoso.com"], true);
    assert_eq!(
        pattern_matches("mail.contoso.com", &cert, true),
        PatternMatch::Yes("mail.contoso.com".into())
    );
    assert_eq!(
        pattern_matches("*.contoso.com", &cert, true),
        PatternMatch::Yes("mail.contoso.com".into())
    );
    assert_eq!(
        pattern_matches("smtp.contoso.com", &cert, true),
        PatternMatch::No
    );
    assert!(matches!(
        pattern_matches(
            "smtp.contoso.com",
            &names(&["mail.contoso.com"], false),
            true
        ),
        PatternMatch::Doubt(_)
    ));
    let wildcard = names(&["*.contoso.com"], true);
    assert!(matches!(
        pattern_matches("mail.contoso.com", &wildcard, true),
        PatternMatch::Doubt(_)
    ));
    assert_eq!(
        pattern_matches("*.contoso.com", &wildcard, false),
        PatternMatch::Yes("*.contoso.com".into())
    );
    let apex = names(&["contoso.com"], true);
    assert_eq!(
        pattern_matches("*.contoso.com", &apex, true),
        PatternMatch::Yes("contoso.com".into())
    );
    assert!(matches!(
        pattern_matches("*.contoso.com", &apex, false),
        PatternMatch::Doubt(_)
    ));
}

#[test]
fn seed_001_after_a_renewal_selects_nothing_and_names_the_near_miss() {
    let cfg = config(vec![
        cert(
            "CN=SRVEX01",
            "CN=SRVEX01",
            &["SRVEX01", "SRVEX01.domain.local"],
            "2020-05-01T00:00:00Z",
        ),
        cert(
            G2,
            "CN=*.XXXXX.com",
            &["*.XXXXX.com", "XXXXX.com"],
            "2026-06-01T00:00:00Z",
        ),
    ]);
    let rc_name = Text::new(SEED_001);
    match select(
        &cfg,
        Some(&rc_name),
        Some(&Text::new("SRVEX01.domain.local")),
        None,
        InputFormat::FormatList,
        NOW,
    ) {
        Selection::NotFound {
            near, assumption, ..
        } => {
            assert_eq!(near.len(), 1);
            assert_eq!(near[0].1, Near::SubjectChanged);
            assert!(assumption.unwrap().contains("same one"));
        }
        other => panic!("{other:?}"),
    }
    // Port 587 (Client Frontend): no TlsCertificateName, the .local Fqdn: the self-signed one.
    match select(
        &cfg,
        None,
        Some(&Text::new("SRVEX01.domain.local")),
        None,
        InputFormat::FormatList,
        NOW,
    ) {
        Selection::Chosen { cert, .. } => assert_eq!(cert.self_signed, Some(true)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_newest_not_before_wins_and_a_ca_certificate_beats_a_self_signed_one() {
    let old = cert(
        G2,
        "CN=mail.contoso.com",
        &["mail.contoso.com"],
        "2025-01-01T00:00:00Z",
    );
    let new = cert(
        G2,
        "CN=mail.contoso.com",
        &["mail.contoso.com"],
        "2026-01-01T00:00:00Z",
    );
    let own = cert(
        "CN=mail.contoso.com",
        "CN=mail.contoso.com",
        &["mail.contoso.com"],
        "2026-11-01T00:00:00Z",
    );
    let cfg = config(vec![old, own, new]);
    let name = Text::new(format!("<I>{G2}<S>CN=mail.contoso.com"));
    match select(&cfg, Some(&name), None, None, InputFormat::FormatList, NOW) {
        Selection::Chosen { cert, rivals, .. } => {
            assert_eq!(cert.not_before.as_ref().unwrap().earliest().year(), 2026);
            assert_eq!(rivals.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    match select(
        &cfg,
        None,
        Some(&Text::new("mail.contoso.com")),
        None,
        InputFormat::FormatList,
        NOW,
    ) {
        Selection::Chosen { cert, .. } => assert_eq!(cert.self_signed, Some(false)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn without_the_servers_certificates_the_answer_is_unknown() {
    assert!(matches!(
        select(
            &config(vec![]),
            Some(&Text::new(SEED_001)),
            None,
            None,
            InputFormat::FormatList,
            NOW
        ),
        Selection::Unknown(_)
    ));
    let mut other = cert(
        G2,
        "CN=a.contoso.com",
        &["a.contoso.com"],
        "2026-01-01T00:00:00Z",
    );
    other.server = Some(ServerName::Named("EX02".into()));
    let cfg = config(vec![other]);
    assert!(matches!(
        select(
            &cfg,
            Some(&Text::new(SEED_001)),
            None,
            Some("EX01"),
            InputFormat::FormatList,
            NOW
        ),
        Selection::Unknown(_)
    ));
    // A cut CertificateDomains list: whether some certificate covers the name is unknown.
    let mut cut = cert(
        G2,
        "CN=a.contoso.com",
        &[
            "a.contoso.com",
            "b.contoso.com",
            "c.contoso.com",
            "d.contoso.com",
        ],
        "2026-01-01T00:00:00Z",
    );
    cut.domains.as_mut().unwrap().truncated = true;
    let cfg = config(vec![cut]);
    assert!(matches!(
        select(
            &cfg,
            None,
            Some(&Text::new("mail.contoso.com")),
            None,
            InputFormat::FormatList,
            NOW
        ),
        Selection::Unknown(_)
    ));
}

#[test]
fn a_match_without_its_private_key_is_not_eligible_while_one_with_it_is() {
    let good = cert(
        G2,
        "CN=mail.contoso.com",
        &["mail.contoso.com"],
        "2025-01-01T00:00:00Z",
    );
    let mut keyless = cert(
        G2,
        "CN=mail.contoso.com",
        &["mail.contoso.com"],
        "2026-01-01T00:00:00Z",
    );
    keyless.has_private_key = Some(false);
    let cfg = config(vec![good, keyless]);
    let name = Text::new(format!("<I>{G2}<S>CN=mail.contoso.com"));
    match select(&cfg, Some(&name), None, None, InputFormat::FormatList, NOW) {
        Selection::Chosen { cert, rivals, .. } => {
            assert_eq!(cert.has_private_key, Some(true));
            assert!(rivals.is_empty());
        }
        other => panic!("{other:?}"),
    }
    // Only the keyless one: it is still what the name selects, for R4 to report.
    let mut only = cert(
        G2,
        "CN=mail.contoso.com",
        &["mail.contoso.com"],
        "2026-01-01T00:00:00Z",
    );
    only.has_private_key = Some(false);
    let cfg = config(vec![only]);
    assert!(matches!(
        select(&cfg, Some(&name), None, None, InputFormat::FormatList, NOW),
        Selection::Chosen { .. }
    ));
}

#[test]
fn a_forums_brackets_around_a_url_value_are_not_the_certificates() {
    let ca = "CN=Go Daddy Secure Certificate Authority - G2, OU=http://certs.godaddy.com/repository/, O=\"GoDaddy.com, Inc.\", L=Scottsdale, S=Arizona, C=US";
    let pasted = "<I>CN=Go Daddy Secure Certificate Authority - G2, OU=[http://certs.godaddy.com/repository/], O=\"GoDaddy.com, Inc.\", L=Scottsdale, S=Arizona, C=US<S>CN=mail.domain.com";
    let name = parse_tls_name(&Text::new(pasted), InputFormat::FormatList).unwrap();
    let c = cert(
        ca,
        "CN=mail.domain.com",
        &["mail.domain.com"],
        "2026-01-01T00:00:00Z",
    );
    assert_eq!(compare(&name, &c, NOW), NameMatch::Exact);
    // Brackets around anything but a URL stay part of the value.
    assert_ne!(fold("[not a url]", false), fold("not a url", false));
}

#[test]
fn a_property_the_paste_did_not_print_is_not_taken_as_empty() {
    use crate::exchange::model::Printed;
    let cfg = config(vec![cert(
        "CN=SRVEX01",
        "CN=SRVEX01",
        &["SRVEX01", "SRVEX01.domain.local"],
        "2023-01-01T00:00:00Z",
    )]);
    let fqdn = Text::new("SRVEX01.domain.local");
    let listed = Printed {
        names: vec!["Identity".into(), "Bindings".into(), "Fqdn".into()],
    };
    assert!(matches!(
        select_printed(
            &cfg,
            Some(&listed),
            None,
            Some(&fqdn),
            None,
            InputFormat::FormatList,
            NOW
        ),
        Selection::Unknown(_)
    ));
    let whole = Printed {
        names: vec!["Fqdn".into(), "TlsCertificateName".into()],
    };
    assert!(matches!(
        select_printed(
            &cfg,
            Some(&whole),
            None,
            Some(&fqdn),
            None,
            InputFormat::FormatList,
            NOW
        ),
        Selection::Chosen { .. }
    ));
}

#[test]
fn a_filtered_certificate_list_never_proves_a_certificate_missing() {
    let mut only = cert(
        G2,
        "CN=mail.contoso.com",
        &["mail.contoso.com"],
        "2026-01-01T00:00:00Z",
    );
    only.from_filtered_list = true;
    only.server = Some(ServerName::Named("EX01".into()));
    let cfg = config(vec![only]);
    let name = Text::new(format!("<I>{G2}<S>CN=other.contoso.com"));
    assert!(matches!(
        select(
            &cfg,
            Some(&name),
            None,
            Some("EX01"),
            InputFormat::FormatList,
            NOW
        ),
        Selection::Unknown(_)
    ));
}

#[test]
fn a_cut_name_list_that_could_outrank_the_match_leaves_the_selection_unknown() {
    let own = cert(
        "CN=SRVEX01",
        "CN=SRVEX01",
        &["SRVEX01", "mail.contoso.com"],
        "2023-01-01T00:00:00Z",
    );
    let mut cut = cert(
        G2,
        "CN=owa.contoso.com",
        &[
            "owa.contoso.com",
            "a.contoso.com",
            "b.contoso.com",
            "c.contoso.com",
        ],
        "2026-01-01T00:00:00Z",
    );
    cut.domains.as_mut().unwrap().truncated = true;
    let cfg = config(vec![own.clone(), cut]);
    let fqdn = Text::new("mail.contoso.com");
    assert!(matches!(
        select(&cfg, None, Some(&fqdn), None, InputFormat::FormatList, NOW),
        Selection::Unknown(_)
    ));
    // The same cut list on an older self-signed certificate cannot outrank a CA one.
    let ca = cert(
        G2,
        "CN=mail.contoso.com",
        &["mail.contoso.com"],
        "2026-06-01T00:00:00Z",
    );
    let mut old_cut = cert(
        "CN=X",
        "CN=X",
        &["x1", "x2", "x3", "x4"],
        "2020-01-01T00:00:00Z",
    );
    old_cut.domains.as_mut().unwrap().truncated = true;
    let cfg = config(vec![ca, old_cut]);
    assert!(matches!(
        select(&cfg, None, Some(&fqdn), None, InputFormat::FormatList, NOW),
        Selection::Chosen { .. }
    ));
}
