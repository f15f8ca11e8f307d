//! DANE: `policy::dane::assess` on chains made by `scripted::pki` and hand-made lookups, and
//! the rules and the certificate settle on top of it. No network, fixed `now`.

#![allow(clippy::unwrap_used)]

use time::Duration;

use super::super::tests::{NOW, assert_fix_is_usable, observed, refuse_starttls, reply, world};
use crate::diagnose::*;
use crate::evidence::Evidence;
use crate::model::Observation;
use crate::policy::dane::{
    DaneMatch, NotApplicable, TaFailureKind, Verdict, assess, leaf_record, record_text,
    short_record,
};
use crate::policy::{Answer, DnsResult, Dnssec, DomainPolicy, HostDane, ResolverTrust, Tlsa};
use crate::scripted::LeafSpec;
use crate::scripted::pki::self_signed;

const HOST: &str = "mx.test";

fn tlsa(usage: u8, selector: u8, matching: u8, data: Vec<u8>) -> Tlsa {
    Tlsa {
        usage,
        selector,
        matching,
        data,
    }
}

/// `3 s m` of `der`.
fn ee(der: &[u8], selector: u8, matching: u8) -> Tlsa {
    leaf_record(der, selector, matching).unwrap()
}

/// `2 s m` of `der`.
fn ta(der: &[u8], selector: u8, matching: u8) -> Tlsa {
    Tlsa {
        usage: 2,
        ..leaf_record(der, selector, matching).unwrap()
    }
}

/// A domain whose one host `HOST`:25 has secure addresses and a TLSA answer of `records`
/// with status `dnssec`; the MX RRset `mx`; a trusted loopback resolver.
fn domain(records: Vec<Tlsa>, dnssec: Dnssec, mx: Option<Dnssec>) -> DomainPolicy {
    DomainPolicy {
        domain: "test".into(),
        has_mx: mx.is_some(),
        resolver: ResolverTrust {
            server: "127.0.0.1:53".into(),
            trusted: true,
            why: "on loopback".into(),
        },
        mx,
        mx_hosts: vec![HOST.into()],
        dane: vec![HostDane {
            host: HOST.into(),
            port: 25,
            addresses: Dnssec::Secure,
            cnames: Vec::new(),
            tlsa: Some(DnsResult {
                name: format!("_25._tcp.{HOST}"),
                dnssec,
                answer: if records.is_empty() {
                    Answer::NoData
                } else {
                    Answer::Records(records)
                },
                cnames: Vec::new(),
            }),
            base_domain: Some(HOST.into()),
        }],
        mta_sts: None,
        tlsrpt: None,
    }
}

fn secure(records: Vec<Tlsa>) -> Vec<DomainPolicy> {
    vec![domain(records, Dnssec::Secure, Some(Dnssec::Secure))]
}

/// A healthy chain for `name` (leaf, issuing CA), trusted by the world's root.
fn healthy(name: &str) -> (Observation, Vec<Vec<u8>>) {
    let w = world();
    let chain = w.chain(&LeafSpec::valid_for(name, NOW, 90), true);
    (observed(HOST, HOST, chain.clone(), &w.trust), chain)
}

fn judged(obs: &Observation, policies: &[DomainPolicy]) -> Option<DaneMatch> {
    assess(policies, &Evidence::derive(obs.clone(), NOW), NOW)
}

/// Every finding of the endpoint: its own rules, then the DANE rules over them.
fn run(obs: &Observation, policies: &[DomainPolicy], policy: &Policy) -> Vec<Finding> {
    let e = vec![Evidence::derive(obs.clone(), NOW)];
    let mut per = vec![diagnose(&e[0], policy, NOW)];
    let dane: Vec<_> = e.iter().map(|e| assess(policies, e, NOW)).collect();
    let mut out = super::rules(policies, &e, &dane, &mut per, policy, NOW);
    out.extend(per.into_iter().flatten());
    out.iter().for_each(assert_fix_is_usable);
    out
}

fn find(f: &[Finding], code: &str) -> Option<Finding> {
    f.iter().find(|f| f.code.as_str() == code).cloned()
}

fn codes(f: &[Finding]) -> Vec<(&'static str, Severity)> {
    f.iter().map(|f| (f.code.as_str(), f.severity)).collect()
}

// --- assess ---------------------------------------------------------------------------

#[test]
fn dane_ee_matches_the_leaf_by_key_or_certificate_with_either_digest() {
    let (obs, chain) = healthy(HOST);
    for (s, m) in [(1, 1), (0, 1), (1, 2), (0, 2), (1, 0)] {
        let rec = ee(&chain[0], s, m);
        let d = judged(&obs, &secure(vec![rec.clone()])).unwrap();
        assert_eq!(d.verdict, Verdict::Match, "3 {s} {m}");
        assert_eq!(d.depth, Some(0));
        assert_eq!(d.matched.as_deref(), Some(record_text(&rec).as_str()));
        // A full key (3 1 0) is shortened in the words, kept whole in `matched`.
        assert_eq!(
            d.detail,
            format!(
                "Matched DANE EE certificate at depth 0: {}",
                short_record(&record_text(&rec))
            )
        );
        assert_eq!(d.records[0].matched, Some(0));
        assert!(d.matched_ee());
    }
    // The digests are the right length and upper-case hex, as dig shows them.
    let r = record_text(&ee(&chain[0], 1, 1));
    assert!(r.starts_with("3 1 1 ") && r.len() == 6 + 64, "{r}");
    assert_eq!(r, r.to_ascii_uppercase());
    assert_eq!(record_text(&ee(&chain[0], 1, 2)).len(), 6 + 128);
}

#[test]
fn dane_ee_of_another_key_is_no_match_and_names_the_leafs_own_records() {
    let (obs, chain) = healthy(HOST);
    let (_, other) = healthy(HOST);
    for (s, m) in [(1, 1), (0, 1), (1, 2)] {
        let d = judged(&obs, &secure(vec![ee(&other[0], s, m)])).unwrap();
        assert_eq!(d.verdict, Verdict::NoMatch, "3 {s} {m}");
        assert_eq!(d.detail, "no matching DANE TLSA records");
        assert_eq!(d.records[0].matched, None);
    }
    let d = judged(&obs, &secure(vec![ee(&other[0], 1, 1)])).unwrap();
    assert_eq!(
        d.leaf_records,
        [
            record_text(&ee(&chain[0], 1, 1)),
            record_text(&ee(&chain[0], 0, 1))
        ]
    );
}

#[test]
fn dane_ta_matches_a_ca_sent_and_validates_the_chain_up_to_it() {
    let (obs, chain) = healthy(HOST);
    let rec = ta(&chain[1], 1, 1);
    let d = judged(&obs, &secure(vec![rec.clone()])).unwrap();
    assert_eq!(d.verdict, Verdict::Match, "{d:?}");
    assert_eq!(d.depth, Some(1));
    assert!(!d.matched_ee());
    assert_eq!(
        d.detail,
        format!(
            "Matched DANE TA certificate at depth 1: {}",
            record_text(&rec)
        )
    );
    // 2 0 1: the whole CA certificate.
    let d = judged(&obs, &secure(vec![ta(&chain[1], 0, 1)])).unwrap();
    assert_eq!(d.verdict, Verdict::Match);
}

#[test]
fn dane_ta_refuses_a_leaf_for_another_name_or_out_of_date() {
    // The TA is right, but the leaf names another host (RFC 7672 §3.2.2).
    let w = world();
    let chain = w.chain(&LeafSpec::valid_for("other.test", NOW, 90), true);
    let obs = observed(HOST, HOST, chain.clone(), &w.trust);
    let d = judged(&obs, &secure(vec![ta(&chain[1], 1, 1)])).unwrap();
    assert_eq!(d.verdict, Verdict::NoMatch);
    let failed = d.records[0].failed.as_deref().unwrap();
    // In words: no library debug text (`DnsName("...")`).
    assert!(
        failed.contains("certificate #1 matches") && failed.contains("does not name mx.test"),
        "{failed}"
    );
    assert!(!failed.contains("DnsName"), "{failed}");
    assert_eq!(d.records[0].failure.unwrap().kind, TaFailureKind::Name);
    assert_eq!(d.name_failure().map(|(_, depth)| depth), Some(1));
    // Dates count for DANE-TA (RFC 7672 §3.1.2): an expired leaf does not validate.
    let mut spec = LeafSpec::valid_for(HOST, NOW, 0);
    spec.not_before = NOW - Duration::days(100);
    spec.not_after = NOW - Duration::days(1);
    let chain = w.chain(&spec, true);
    let obs = observed(HOST, HOST, chain.clone(), &w.trust);
    let d = judged(&obs, &secure(vec![ta(&chain[1], 1, 1)])).unwrap();
    assert_eq!(d.verdict, Verdict::NoMatch);
    assert_eq!(d.records[0].failure.unwrap().kind, TaFailureKind::Dates);
    assert!(d.name_failure().is_none());
    // …while DANE-EE ignores them (§3.1.1).
    let d = judged(&obs, &secure(vec![ee(&chain[0], 1, 1)])).unwrap();
    assert_eq!(d.verdict, Verdict::Match);
}

#[test]
fn a_ta_record_never_matches_the_leaf_and_an_ee_record_never_a_ca() {
    let (obs, chain) = healthy(HOST);
    let d = judged(&obs, &secure(vec![ta(&chain[0], 1, 1)])).unwrap();
    assert_eq!(d.verdict, Verdict::NoMatch);
    let d = judged(&obs, &secure(vec![ee(&chain[1], 1, 1)])).unwrap();
    assert_eq!(d.verdict, Verdict::NoMatch);
}

#[test]
fn records_unusable_for_smtp_say_why() {
    let (obs, chain) = healthy(HOST);
    let good = ee(&chain[0], 1, 1).data;
    let cases = [
        (tlsa(0, 1, 1, good.clone()), "PKIX-TA"),
        (tlsa(1, 1, 1, good.clone()), "PKIX-EE"),
        (tlsa(255, 1, 1, good.clone()), "private use"),
        (tlsa(4, 1, 1, good.clone()), "usage 4"),
        (tlsa(3, 2, 1, good.clone()), "selector 2"),
        (tlsa(3, 1, 3, good.clone()), "matching type 3"),
        (tlsa(3, 1, 255, good.clone()), "matching type 255"),
        (
            tlsa(3, 1, 1, good[..31].to_vec()),
            "32 bytes, this one has 31",
        ),
        (tlsa(3, 1, 2, good.clone()), "64 bytes, this one has 32"),
        (tlsa(3, 0, 0, Vec::new()), "empty"),
    ];
    for (rec, why) in &cases {
        let d = judged(&obs, &secure(vec![rec.clone()])).unwrap();
        assert_eq!(d.verdict, Verdict::Unusable, "{why}");
        assert!(!d.records[0].usable);
        let reason = d.records[0].reason.as_deref().unwrap();
        assert!(reason.contains(why), "{reason} lacks {why}");
    }
    // One usable record among unusable ones decides.
    let d = judged(
        &obs,
        &secure(vec![tlsa(1, 1, 1, good.clone()), ee(&chain[0], 1, 1)]),
    )
    .unwrap();
    assert_eq!(d.verdict, Verdict::Match);
    assert_eq!(d.usable().count(), 1);
}

#[test]
fn insecure_or_unvalidated_tlsa_is_not_judged_and_no_records_is_no_entry() {
    let (obs, chain) = healthy(HOST);
    let (_, other) = healthy(HOST);
    let rec = vec![ee(&other[0], 1, 1)];
    let d = judged(&obs, &[domain(rec.clone(), Dnssec::Insecure, None)]).unwrap();
    assert_eq!(
        (d.verdict, d.why),
        (Verdict::NotApplicable, Some(NotApplicable::InsecureTlsa))
    );
    let d = judged(&obs, &[domain(rec.clone(), Dnssec::NotValidated, None)]).unwrap();
    assert_eq!(
        (d.verdict, d.why),
        (Verdict::NotApplicable, Some(NotApplicable::NotValidated))
    );
    let d = judged(&obs, &[domain(Vec::new(), Dnssec::Bogus, None)]).unwrap();
    assert_eq!(d.why, Some(NotApplicable::BogusTlsa));
    // Secure NODATA: no DANE for the host, no entry.
    assert_eq!(judged(&obs, &secure(Vec::new())), None);
    // Another host or port: not this endpoint's records.
    let mut p = secure(vec![ee(&chain[0], 1, 1)]);
    p[0].dane[0].port = 587;
    assert_eq!(judged(&obs, &p), None);
    let mut p = secure(vec![ee(&chain[0], 1, 1)]);
    p[0].dane[0].host = "mx2.test".into();
    assert_eq!(judged(&obs, &p), None);
    // The host's name is matched without case or trailing dot.
    let mut p = secure(vec![ee(&chain[0], 1, 1)]);
    p[0].dane[0].host = "MX.test.".into();
    assert_eq!(judged(&obs, &p).unwrap().verdict, Verdict::Match);
}

#[test]
fn without_a_certificate_dane_is_not_judged_for_no_tls() {
    let (mut obs, chain) = healthy(HOST);
    refuse_starttls(
        &mut obs,
        454,
        "4.7.0 TLS not available due to local problem",
    );
    let d = judged(&obs, &secure(vec![ee(&chain[0], 1, 1)])).unwrap();
    assert_eq!(
        (d.verdict, d.why),
        (Verdict::NotApplicable, Some(NotApplicable::NoTls))
    );
    assert!(d.leaf_records.is_empty());
}

#[test]
fn the_json_shape_is_the_schemas() {
    let (obs, chain) = healthy(HOST);
    let d = judged(
        &obs,
        &secure(vec![tlsa(1, 1, 1, vec![1; 32]), ee(&chain[0], 1, 1)]),
    )
    .unwrap();
    let json = serde_json::to_value(&d).unwrap();
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../../docs/report.schema.json")).unwrap();
    let def = &schema["$defs"]["endpointDane"];
    assert_eq!(def["additionalProperties"], false);
    let props = def["properties"].as_object().unwrap();
    for k in json.as_object().unwrap().keys() {
        assert!(props.contains_key(k), "{k} is not in the schema");
    }
    for k in def["required"].as_array().unwrap() {
        assert!(json.get(k.as_str().unwrap()).is_some(), "{k} missing");
    }
    let rec = &schema["$defs"]["daneRecord"]["properties"];
    for r in json["records"].as_array().unwrap() {
        for k in r.as_object().unwrap().keys() {
            assert!(
                rec.get(k).is_some(),
                "record field {k} is not in the schema"
            );
        }
    }
    assert_eq!(json["verdict"], "match");
    assert_eq!(json["records"][0]["usable"], false);
    assert_eq!(json["records"][1]["matched"], 0);
}

// --- rules ----------------------------------------------------------------------------

#[test]
fn a_lone_matching_ee_record_is_ok_with_a_rollover_risk() {
    let (obs, chain) = healthy(HOST);
    let f = run(&obs, &secure(vec![ee(&chain[0], 1, 1)]), &Policy::default());
    let ok = find(&f, "dane-ok").unwrap();
    assert_eq!(ok.severity, Severity::Info);
    assert!(
        ok.evidence[0].starts_with("Matched DANE EE certificate at depth 0: 3 1 1 "),
        "{:?}",
        ok.evidence
    );
    // Information: a single 3 1 1 with key reuse is Microsoft's recommendation.
    let risk = find(&f, "dane-rollover-risk").unwrap();
    assert_eq!(risk.severity, Severity::Info);
    let zone: Vec<&str> = risk
        .fix
        .commands()
        .filter(|(s, _)| *s == Shell::DnsZone)
        .map(|(_, t)| t)
        .collect();
    assert_eq!(
        zone[0],
        format!(
            "_25._tcp.mx.test. IN TLSA {}",
            record_text(&ee(&chain[0], 1, 1))
        )
    );
    assert!(risk.fix.text().contains("RFC 7671 §8.1"));
    // The NEXT key's record, computed from the next key or its request, with the same
    // selector and matching type as the record published.
    let cmds: Vec<&str> = risk.fix.commands().map(|(_, t)| t).collect();
    assert!(
        cmds.contains(&"openssl pkey -in next.key -pubout -outform DER | openssl dgst -sha256"),
        "{cmds:?}"
    );
    assert!(cmds.contains(
        &"openssl req -in next.csr -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256"
    ));
    // Nothing that hashes the certificate sent now, which is not the next key.
    assert!(!cmds.iter().any(|c| c.contains("s_client")), "{cmds:?}");
    // The healthy PKIX chain keeps its own summary; nothing fails.
    assert!(
        f.iter().all(|f| f.severity != Severity::Fail),
        "{:?}",
        codes(&f)
    );
}

#[test]
fn two_records_or_a_ta_record_are_no_rollover_risk() {
    let (obs, chain) = healthy(HOST);
    let (_, next) = healthy(HOST);
    for records in [
        vec![ee(&chain[0], 1, 1), ee(&next[0], 1, 1)],
        vec![ee(&chain[0], 1, 1), ta(&chain[1], 1, 1)],
    ] {
        let f = run(&obs, &secure(records), &Policy::default());
        assert!(find(&f, "dane-ok").is_some());
        assert!(find(&f, "dane-rollover-risk").is_none(), "{:?}", codes(&f));
    }
}

#[test]
fn the_same_key_by_two_digests_is_still_a_rollover_risk() {
    let (obs, chain) = healthy(HOST);
    let f = run(
        &obs,
        &secure(vec![ee(&chain[0], 1, 1), ee(&chain[0], 1, 2)]),
        &Policy::default(),
    );
    let risk = find(&f, "dane-rollover-risk").unwrap();
    assert_eq!(risk.evidence.len(), 2);
}

#[test]
fn the_rollover_fix_shows_the_records_as_published_with_their_own_matching_type() {
    let (obs, chain) = healthy(HOST);
    let published = record_text(&ee(&chain[0], 1, 2));
    let f = run(&obs, &secure(vec![ee(&chain[0], 1, 2)]), &Policy::default());
    let risk = find(&f, "dane-rollover-risk").unwrap();
    let zone: Vec<&str> = risk
        .fix
        .commands()
        .filter(|(s, _)| *s == Shell::DnsZone)
        .map(|(_, t)| t)
        .collect();
    // The 3 1 2 that is in DNS, not a 3 1 1 that is not.
    assert_eq!(
        zone,
        [format!("_25._tcp.mx.test. IN TLSA {published}").as_str()]
    );
    let cmds: Vec<&str> = risk.fix.commands().map(|(_, t)| t).collect();
    assert!(
        cmds.contains(&"openssl pkey -in next.key -pubout -outform DER | openssl dgst -sha512"),
        "{cmds:?}"
    );
}

#[test]
fn no_match_fails_and_gives_the_records_of_the_certificate_sent_now() {
    let (obs, chain) = healthy(HOST);
    let (_, old) = healthy(HOST);
    let f = run(&obs, &secure(vec![ee(&old[0], 1, 1)]), &Policy::default());
    let nm = find(&f, "dane-no-match").unwrap();
    assert_eq!(nm.severity, Severity::Fail);
    let now_311 = record_text(&ee(&chain[0], 1, 1));
    let now_301 = record_text(&ee(&chain[0], 0, 1));
    let ev = nm.evidence.join("\n");
    assert!(ev.contains(&record_text(&ee(&old[0], 1, 1))), "{ev}");
    assert!(ev.contains(&now_311) && ev.contains(&now_301), "{ev}");
    assert!(ev.contains("4.7.323"), "{ev}");
    assert!(
        nm.fix.commands().any(
            |(s, t)| s == Shell::DnsZone && t == format!("_25._tcp.mx.test. IN TLSA {now_311}")
        ),
        "{}",
        nm.fix
    );
    // Postfix: how to read the digest on the server itself.
    assert!(
        nm.fix.text().contains("postconf -h smtpd_tls_chain_files"),
        "{}",
        nm.fix
    );
    assert!(find(&f, "dane-ok").is_none());
}

#[test]
fn unusable_records_warn() {
    let (obs, chain) = healthy(HOST);
    let f = run(
        &obs,
        &secure(vec![tlsa(1, 1, 1, ee(&chain[0], 1, 1).data)]),
        &Policy::default(),
    );
    let u = find(&f, "dane-records-unusable").unwrap();
    assert_eq!(u.severity, Severity::Warn);
    assert!(u.evidence[0].contains("PKIX-EE"), "{:?}", u.evidence);
    assert!(find(&f, "dane-no-match").is_none());
}

#[test]
fn bogus_answers_fail_at_the_level_they_concern() {
    let (obs, chain) = healthy(HOST);
    // The MX RRset: the whole domain.
    let p = vec![domain(
        vec![ee(&chain[0], 1, 1)],
        Dnssec::Secure,
        Some(Dnssec::Bogus),
    )];
    let f = run(&obs, &p, &Policy::default());
    let b = find(&f, "dane-dnssec-bogus").unwrap();
    assert_eq!((b.severity, b.endpoint.as_str()), (Severity::Fail, "test"));
    assert!(b.endpoints.is_empty());
    assert!(
        b.fix
            .commands()
            .any(|(_, t)| t == "dig +dnssec +cd MX test"),
        "{}",
        b.fix
    );
    assert!(b.fix.commands().any(|(_, t)| t == "delv MX test"));
    assert!(b.fix.text().contains("RRSIG") && b.fix.text().contains("DS"));
    // The TLSA lookup: the host.
    let p = vec![domain(Vec::new(), Dnssec::Bogus, Some(Dnssec::Secure))];
    let f = run(&obs, &p, &Policy::default());
    let b = find(&f, "dane-dnssec-bogus").unwrap();
    assert_eq!(b.endpoint, "mx.test:25");
    assert_eq!(b.endpoints.len(), 1);
    assert!(b.evidence.iter().any(|l| l.contains("4.7.324")));
    assert!(
        b.fix
            .commands()
            .any(|(_, t)| t == "delv TLSA _25._tcp.mx.test")
    );
    // The addresses.
    let mut p = vec![domain(Vec::new(), Dnssec::Secure, Some(Dnssec::Secure))];
    p[0].dane[0].addresses = Dnssec::Bogus;
    p[0].dane[0].tlsa = None;
    let f = run(&obs, &p, &Policy::default());
    assert!(
        find(&f, "dane-dnssec-bogus")
            .unwrap()
            .summary
            .contains("addresses")
    );
    // Not from a resolver whose word is not trusted.
    let mut p = vec![domain(Vec::new(), Dnssec::Bogus, Some(Dnssec::Bogus))];
    p[0].resolver.trusted = false;
    let f = run(&obs, &p, &Policy::default());
    assert!(find(&f, "dane-dnssec-bogus").is_none());
}

#[test]
fn secure_tlsa_behind_an_insecure_mx_warns() {
    let (obs, chain) = healthy(HOST);
    let p = vec![domain(
        vec![ee(&chain[0], 1, 1)],
        Dnssec::Secure,
        Some(Dnssec::Insecure),
    )];
    let f = run(&obs, &p, &Policy::default());
    let w = find(&f, "dane-mx-insecure").unwrap();
    assert_eq!(w.severity, Severity::Warn);
    // Postfix smtp(8)'s words, not posttls-finger's.
    assert!(
        w.evidence
            .iter()
            .any(|l| l.contains("smtp(8): non DNSSEC destination")),
        "{:?}",
        w.evidence
    );
    assert!(
        !w.evidence
            .iter()
            .any(|l| l.contains("log verified as trusted"))
    );
    assert!(w.fix.text().contains("non DNSSEC destination") && w.fix.text().contains("DS record"));
    assert!(w.fix.commands().any(|(_, t)| t == "delv MX test"));
    // Senders do not use the records: no DANE verdict for the host (RFC 7672 §2.2.1).
    for code in ["dane-ok", "dane-rollover-risk", "dane-no-match"] {
        assert!(find(&f, code).is_none(), "{code}: {:?}", codes(&f));
    }
    let d = judged(&obs, &p).unwrap();
    assert_eq!(
        (d.verdict, d.why),
        (Verdict::NotApplicable, Some(NotApplicable::InsecureMx))
    );
    assert!(
        d.detail.starts_with("non DNSSEC destination"),
        "{}",
        d.detail
    );
    // Records that match nothing, unusable records, a bogus TLSA answer: no FAIL, no WARN
    // about them either.
    let (_, other) = healthy(HOST);
    for (records, status) in [
        (vec![ee(&other[0], 1, 1)], Dnssec::Secure),
        (
            vec![tlsa(1, 1, 1, ee(&chain[0], 1, 1).data)],
            Dnssec::Secure,
        ),
        (Vec::new(), Dnssec::Bogus),
    ] {
        let p = vec![domain(records, status, Some(Dnssec::Insecure))];
        let f = run(&obs, &p, &Policy::default());
        for code in [
            "dane-no-match",
            "dane-records-unusable",
            "dane-dnssec-bogus",
        ] {
            assert!(find(&f, code).is_none(), "{code}: {:?}", codes(&f));
        }
    }
    // A host named directly (no MX lookup) keeps host-level DANE.
    let p = vec![domain(vec![ee(&other[0], 1, 1)], Dnssec::Secure, None)];
    let f = run(&obs, &p, &Policy::default());
    assert_eq!(find(&f, "dane-no-match").unwrap().severity, Severity::Fail);
    // A secure MX RRset: no warning.
    let f = run(&obs, &secure(vec![ee(&chain[0], 1, 1)]), &Policy::default());
    assert!(find(&f, "dane-mx-insecure").is_none());
}

#[test]
fn tlsa_from_an_untrusted_resolver_is_unknown_with_the_way_to_know() {
    let (obs, chain) = healthy(HOST);
    let mut p = vec![domain(
        vec![ee(&chain[0], 1, 1)],
        Dnssec::NotValidated,
        Some(Dnssec::NotValidated),
    )];
    p[0].resolver = ResolverTrust {
        server: "192.0.2.53:53".into(),
        trusted: false,
        why: "not on loopback and --trust-resolver not given".into(),
    };
    let f = run(&obs, &p, &Policy::default());
    let u = find(&f, "dane-dnssec-unknown").unwrap();
    assert_eq!(u.severity, Severity::Info);
    let cmds: Vec<&str> = u.fix.commands().map(|(_, t)| t).collect();
    assert!(
        cmds.contains(&"starttls-check test --resolver 127.0.0.1"),
        "{cmds:?}"
    );
    assert!(cmds.contains(&"starttls-check test --trust-resolver"));
    assert!(u.fix.text().contains("unbound"));
    assert!(find(&f, "dane-ok").is_none() && find(&f, "dane-no-match").is_none());
}

#[test]
fn no_tls_with_secure_usable_tlsa_says_dane_senders_defer_on_the_failure_itself() {
    let (mut obs, chain) = healthy(HOST);
    refuse_starttls(
        &mut obs,
        454,
        "4.7.0 TLS not available due to local problem",
    );
    let f = run(&obs, &secure(vec![ee(&chain[0], 1, 1)]), &Policy::default());
    let failure = find(&f, "starttls-rejected").unwrap();
    assert!(
        failure
            .evidence
            .iter()
            .any(|l| l.contains("4.7.321") && l.contains("_25._tcp.mx.test")),
        "{:?}",
        failure.evidence
    );
    assert!(find(&f, "dane-no-match").is_none() && find(&f, "dane-ok").is_none());
    // Unusable records make TLS mandatory too, and keep their own warning.
    let f = run(
        &obs,
        &secure(vec![tlsa(1, 1, 1, ee(&chain[0], 1, 1).data)]),
        &Policy::default(),
    );
    let failure = find(&f, "starttls-rejected").unwrap();
    assert!(failure.evidence.iter().any(|l| l.contains("4.7.321")));
    assert!(find(&f, "dane-records-unusable").is_some());
    // Without TLSA records, the failure says nothing about DANE.
    let f = run(&obs, &secure(Vec::new()), &Policy::default());
    let failure = find(&f, "starttls-rejected").unwrap();
    assert!(!failure.evidence.iter().any(|l| l.contains("4.7.321")));
}

/// A self-signed leaf for `name` whose greeting is `banner`.
fn self_signed_obs(name: &str, banner: &str) -> (Observation, Vec<Vec<u8>>) {
    let w = world();
    let leaf = self_signed(&LeafSpec::valid_for(name, NOW, 90)).unwrap();
    let chain = vec![leaf.chain[0].to_vec()];
    let mut obs = observed(HOST, HOST, chain.clone(), &w.trust);
    obs.banner = Some(reply(220, &[banner]));
    (obs, chain)
}

const POSTFIX: &str = "mx.test ESMTP Postfix";
const EXCHANGE: &str =
    "mx.test Microsoft ESMTP MAIL Service ready at Sun, 22 Nov 2026 12:00:00 +0000";

#[test]
fn a_self_signed_leaf_pinned_by_dane_ee_warns_on_postfix() {
    let (obs, chain) = self_signed_obs(HOST, POSTFIX);
    assert_eq!(Evidence::derive(obs.clone(), NOW).kind, ServerKind::Postfix);
    // Without DANE it fails.
    let f = run(&obs, &secure(Vec::new()), &Policy::default());
    assert_eq!(
        find(&f, "cert-self-signed").unwrap().severity,
        Severity::Fail
    );
    let f = run(&obs, &secure(vec![ee(&chain[0], 1, 1)]), &Policy::default());
    let s = find(&f, "cert-self-signed").unwrap();
    assert_eq!(s.severity, Severity::Warn);
    assert!(
        s.summary.contains("dane-ok") && s.summary.contains("MTA-STS senders"),
        "{}",
        s.summary
    );
    assert!(
        s.evidence
            .iter()
            .any(|l| l.starts_with("dane-ok: Matched DANE EE"))
    );
    assert!(find(&f, "dane-ok").is_some());
    // A self-signed leaf that DANE does not match still fails.
    let (_, other) = self_signed_obs(HOST, POSTFIX);
    let f = run(&obs, &secure(vec![ee(&other[0], 1, 1)]), &Policy::default());
    assert_eq!(
        find(&f, "cert-self-signed").unwrap().severity,
        Severity::Fail
    );
}

#[test]
fn a_self_signed_leaf_pinned_by_dane_ee_stays_fail_on_exchange_or_with_expect_name() {
    let (obs, chain) = self_signed_obs(HOST, EXCHANGE);
    assert_eq!(
        Evidence::derive(obs.clone(), NOW).kind,
        ServerKind::Exchange
    );
    let f = run(&obs, &secure(vec![ee(&chain[0], 1, 1)]), &Policy::default());
    let s = find(&f, "cert-self-signed").unwrap();
    assert_eq!(s.severity, Severity::Fail);
    assert!(
        s.evidence
            .iter()
            .any(|l| l.contains("stays FAIL") && l.contains("Exchange"))
    );

    let (obs, chain) = self_signed_obs(HOST, POSTFIX);
    let policy = Policy {
        expected_names: vec![HOST.into()],
        ..Policy::default()
    };
    let f = run(&obs, &secure(vec![ee(&chain[0], 1, 1)]), &policy);
    let s = find(&f, "cert-self-signed").unwrap();
    assert_eq!(s.severity, Severity::Fail);
    assert!(s.evidence.iter().any(|l| l.contains("--expect-name")));
}

#[test]
fn a_wrong_name_leaf_pinned_by_dane_ee_warns_and_names_exchange_onlines_refusal() {
    let w = world();
    let chain = w.chain(&LeafSpec::valid_for("other.test", NOW, 90), true);
    let obs = observed(HOST, HOST, chain.clone(), &w.trust);
    let f = run(&obs, &secure(vec![ee(&chain[0], 1, 1)]), &Policy::default());
    let m = find(&f, "cert-name-mismatch").unwrap();
    assert_eq!(m.severity, Severity::Warn);
    assert!(
        m.summary
            .contains("Exchange Online even with DANE (4.7.325"),
        "{}",
        m.summary
    );
    let i = find(&f, "dane-exchange-online-interop").unwrap();
    assert_eq!(i.severity, Severity::Warn);
    assert!(
        i.summary.contains("4.7.325") && !i.summary.contains("4.7.322"),
        "{}",
        i.summary
    );
    assert!(i.fix.text().contains("how-smtp-dane-works"));
}

#[test]
fn an_expired_leaf_pinned_by_dane_ee_warns_like_a_wrong_name_and_names_4_7_322() {
    let w = world();
    let mut spec = LeafSpec::valid_for(HOST, NOW, 0);
    spec.not_before = NOW - Duration::days(100);
    spec.not_after = NOW - Duration::days(3);
    let chain = w.chain(&spec, true);
    let obs = observed(HOST, HOST, chain.clone(), &w.trust);
    let f = run(&obs, &secure(vec![ee(&chain[0], 1, 1)]), &Policy::default());
    // The same treatment as a wrong name: WARN, with the senders that still refuse it.
    let x = find(&f, "cert-expired").unwrap();
    assert_eq!(x.severity, Severity::Warn, "{:?}", codes(&f));
    assert!(x.summary.contains("4.7.322"), "{}", x.summary);
    assert!(x.evidence.iter().any(|l| l.starts_with("dane-ok:")));
    // …but FAIL with --expect-name (or on Exchange), as for a wrong name.
    let policy = Policy {
        expected_names: vec![HOST.into()],
        ..Policy::default()
    };
    let g = run(&obs, &secure(vec![ee(&chain[0], 1, 1)]), &policy);
    assert_eq!(find(&g, "cert-expired").unwrap().severity, Severity::Fail);
    let i = find(&f, "dane-exchange-online-interop").unwrap();
    assert!(
        i.summary.contains("4.7.322") && !i.summary.contains("4.7.325"),
        "{}",
        i.summary
    );
    // A healthy leaf: no interop note.
    let (obs, chain) = healthy(HOST);
    let f = run(&obs, &secure(vec![ee(&chain[0], 1, 1)]), &Policy::default());
    assert!(find(&f, "dane-exchange-online-interop").is_none());
}

#[test]
fn a_private_ca_pinned_by_dane_ta_makes_untrusted_a_warning() {
    // A chain trusted by nobody but pinned by a "2 1 1" record.
    let w = world();
    let chain = w.chain(&LeafSpec::valid_for(HOST, NOW, 90), true);
    let nobody = crate::tls::TrustStore::from_certs([world().root.der()], None);
    let obs = observed(HOST, HOST, chain.clone(), &nobody);
    let f = run(&obs, &secure(vec![]), &Policy::default());
    let before = f
        .iter()
        .find(|f| matches!(f.code.as_str(), "cert-untrusted" | "cert-chain-incomplete"))
        .unwrap()
        .clone();
    assert_eq!(before.severity, Severity::Fail);
    let f = run(&obs, &secure(vec![ta(&chain[1], 1, 1)]), &Policy::default());
    let after = find(&f, before.code.as_str()).unwrap();
    assert_eq!(after.severity, Severity::Warn, "{:?}", codes(&f));
    assert!(find(&f, "dane-ok").is_some());
    assert!(find(&f, "dane-rollover-risk").is_none());
}

// --- trial 1 -------------------------------------------------------------------------

#[test]
fn a_full_ta_record_of_a_root_not_sent_is_the_anchor() {
    // The server sends leaf + intermediate; the record carries the whole root (2 0 0) or its
    // whole key (2 1 0). OpenSSL: "matched TA certificate at depth 2".
    let w = world();
    let chain = w.chain(&LeafSpec::valid_for(HOST, NOW, 90), true);
    assert_eq!(chain.len(), 2);
    let obs = observed(HOST, HOST, chain.clone(), &w.trust);
    let root = w.root.der().to_vec();
    for (s, m) in [(0, 0), (1, 0)] {
        let d = judged(&obs, &secure(vec![ta(&root, s, m)])).unwrap();
        assert_eq!(d.verdict, Verdict::Match, "2 {s} {m}: {d:?}");
        assert_eq!(d.depth, Some(2));
        assert!(
            d.detail
                .starts_with("Matched DANE TA certificate at depth 2: ")
        );
        // The summary names the record without a thousand hex digits.
        assert!(d.detail.len() < 120, "{}", d.detail);
    }
    let f = run(&obs, &secure(vec![ta(&root, 0, 0)]), &Policy::default());
    let ok = find(&f, "dane-ok").unwrap();
    assert!(ok.summary.contains("does not send it"), "{}", ok.summary);
    assert!(find(&f, "dane-no-match").is_none());
    // A full record of another CA does not match.
    let other = world().root.der().to_vec();
    let d = judged(&obs, &secure(vec![ta(&other, 0, 0)])).unwrap();
    assert_eq!(d.verdict, Verdict::NoMatch);
    // The anchor in full, but a leaf for another name: the name failure.
    let chain = w.chain(&LeafSpec::valid_for("other.test", NOW, 90), true);
    let obs = observed(HOST, HOST, chain, &w.trust);
    let d = judged(&obs, &secure(vec![ta(&root, 0, 0)])).unwrap();
    assert_eq!(d.name_failure().map(|(_, depth)| depth), Some(2));
}

#[test]
fn a_digest_ta_record_of_a_root_not_sent_offers_both_ways() {
    let w = world();
    let chain = w.chain(&LeafSpec::valid_for(HOST, NOW, 90), true);
    let obs = observed(HOST, HOST, chain.clone(), &w.trust);
    let root = w.root.der().to_vec();
    let f = run(&obs, &secure(vec![ta(&root, 0, 1)]), &Policy::default());
    let nm = find(&f, "dane-no-match").unwrap();
    assert_eq!(nm.severity, Severity::Fail);
    let text = nm.fix.text();
    assert!(
        text.contains("send that CA certificate") && text.contains("\"2 0 0\""),
        "{text}"
    );
    let now_311 = record_text(&ee(&chain[0], 1, 1));
    assert!(
        nm.fix
            .commands()
            .any(|(s, t)| s == Shell::DnsZone && t.ends_with(&now_311))
    );
    assert!(nm.evidence.iter().any(|l| l.contains("RFC 7671 §5.2.2")));
    // A plain EE mismatch does not talk about sending a CA.
    let (_, old) = healthy(HOST);
    let f = run(&obs, &secure(vec![ee(&old[0], 1, 1)]), &Policy::default());
    assert!(
        !find(&f, "dane-no-match")
            .unwrap()
            .fix
            .text()
            .contains("send that CA")
    );
}

#[test]
fn a_ta_match_failing_on_the_name_says_so_and_asks_for_a_certificate_naming_the_host() {
    let w = world();
    let chain = w.chain(&LeafSpec::valid_for("wrong.example", NOW, 90), true);
    let obs = observed(HOST, HOST, chain.clone(), &w.trust);
    let rec = ta(&chain[1], 1, 1);
    let f = run(&obs, &secure(vec![rec.clone()]), &Policy::default());
    let nm = find(&f, "dane-no-match").unwrap();
    assert_eq!(nm.severity, Severity::Fail);
    assert!(
        nm.summary.starts_with(&format!(
            "the chain matches {} at depth 1, but the certificate does not name mx.test",
            record_text(&rec)
        )),
        "{}",
        nm.summary
    );
    let all = format!("{} {:?} {}", nm.summary, nm.evidence, nm.fix.text());
    assert!(all.contains("4.7.325") && !all.contains("4.7.323"), "{all}");
    assert!(!all.contains("DnsName"), "{all}");
    // The fix is a certificate naming the host, not a 3 1 1 of the wrong leaf.
    assert!(
        nm.fix.commands().all(|(s, _)| s != Shell::DnsZone),
        "{}",
        nm.fix
    );
    assert!(nm.fix.text().contains("names mx.test"), "{}", nm.fix);
}

#[test]
fn the_exchange_online_note_names_the_domain_and_the_host_and_leads_the_warnings() {
    let w = world();
    // A wrong-name leaf that also expires within 29 days.
    let chain = w.chain(&LeafSpec::valid_for("wrong.example", NOW, 29), true);
    let mut obs = observed(HOST, HOST, chain.clone(), &w.trust);
    obs.endpoint.via = Some(crate::model::Via {
        domain: "test".into(),
        preference: 10,
    });
    let mut f = run(&obs, &secure(vec![ee(&chain[0], 1, 1)]), &Policy::default());
    let i = find(&f, "dane-exchange-online-interop").unwrap();
    assert!(
        i.evidence
            .iter()
            .any(|l| l.contains("neither the domain test nor the MX host mx.test")),
        "{:?}",
        i.evidence
    );
    assert!(find(&f, "cert-expires-soon").is_some(), "{:?}", codes(&f));
    // Among the warnings, the Exchange Online refusal comes first: it is the headline.
    crate::diagnose::rank(&mut f);
    let first = f.iter().find(|f| f.severity == Severity::Warn).unwrap();
    assert_eq!(
        first.code.as_str(),
        "dane-exchange-online-interop",
        "{:?}",
        codes(&f)
    );
}

#[test]
fn a_tlsa_lookup_failing_even_unchecked_fails_as_a_lookup_error_not_bogus() {
    let (obs, _) = healthy(HOST);
    let mut p = vec![domain(
        Vec::new(),
        Dnssec::Indeterminate,
        Some(Dnssec::Secure),
    )];
    if let Some(t) = p[0].dane[0].tlsa.as_mut() {
        t.answer = Answer::Failed(format!(
            "{} (CD): the validating resolver at 127.0.0.1:53 gets no answer",
            crate::policy::dns::SERVFAIL_EVEN_UNCHECKED
        ));
    }
    let f = run(&obs, &p, &Policy::default());
    let b = find(&f, "dane-dnssec-bogus").unwrap();
    assert_eq!(b.severity, Severity::Fail);
    assert!(
        b.summary.contains("lookup") && b.summary.contains("fails"),
        "{}",
        b.summary
    );
    assert!(
        !b.summary.contains("bogus") && !b.summary.contains("validation of"),
        "{}",
        b.summary
    );
    assert!(b.evidence.iter().any(|l| l.contains("TLSA lookup error")));
    assert!(
        b.evidence.iter().any(|l| l.contains("likely 4.7.324")),
        "{:?}",
        b.evidence
    );
    assert!(
        b.fix
            .commands()
            .any(|(_, t)| t == "dig +trace TLSA _25._tcp.mx.test")
    );
    assert_eq!(
        judged(&obs, &p).unwrap().why,
        Some(NotApplicable::LookupFailed)
    );
    // A timeout (no SERVFAIL) is no finding.
    if let Some(t) = p[0].dane[0].tlsa.as_mut() {
        t.answer = Answer::Failed("the DNS server at 127.0.0.1:53: no answer".into());
    }
    let f = run(&obs, &p, &Policy::default());
    assert!(find(&f, "dane-dnssec-bogus").is_none());
}
