//! The middlebox rules on hand-built observations: no network, no clock.

use super::super::tests::{
    NOW, World, assert_fix_is_usable, observed, refuse_starttls, reply, world,
};
use super::*;
use crate::diagnose::{Policy, diagnose};
use crate::model::{FailureKind, PhaseFailure};
use crate::scripted::pki::{self_signed, self_signed_of};
use crate::scripted::{Ca, LeafSpec};
use crate::smtp::Capabilities;
use crate::tls::TrustStore;

const HOST: &str = "mail.contoso.test";
const EXCHANGE_BANNER: &str =
    "mail.contoso.test Microsoft ESMTP MAIL Service ready at Sun, 22 Nov 2026 12:00:00 +0000";

fn codes(f: &[Finding]) -> Vec<(&'static str, Severity)> {
    f.iter().map(|f| (f.code.as_str(), f.severity)).collect()
}

fn run(obs: Observation) -> Vec<Finding> {
    let findings = diagnose(&Evidence::derive(obs, NOW), &Policy::default(), NOW);
    findings.iter().for_each(assert_fix_is_usable);
    findings
}

fn has(f: &[Finding], code: Code) -> bool {
    f.iter().any(|f| f.code == code)
}

/// A healthy conversation with a trusted certificate for [`HOST`].
fn healthy(w: &World) -> Observation {
    observed(
        HOST,
        HOST,
        w.chain(&LeafSpec::valid_for(HOST, NOW, 90), true),
        &w.trust,
    )
}

/// The same server, stopped after an EHLO reply of `lines` (no TLS).
fn plain_with_ehlo(w: &World, lines: &[&str]) -> Observation {
    let mut obs = healthy(w);
    let ehlo = reply(250, lines);
    obs.capabilities = Some(Capabilities::parse(&ehlo));
    obs.ehlo = Some(ehlo);
    obs.tls = None;
    obs.trust = None;
    obs.chain = Vec::new();
    obs.ehlo_tls = None;
    obs.starttls_reply = None;
    obs
}

#[test]
fn masked_keywords_are_the_cause_and_not_offered_the_symptom() {
    let w = world();
    let mut obs = plain_with_ehlo(
        &w,
        &[
            "mail.contoso.test Hello [192.0.2.1]",
            "PIPELINING",
            "XXXXXXXA",
            "8BITMIME",
        ],
    );
    obs.banner = Some(reply(220, &["******************************"]));
    let f = run(obs);
    assert_eq!(
        codes(&f),
        [
            ("middlebox-masked-keywords", Severity::Fail),
            ("starttls-not-offered", Severity::Fail),
        ],
        "one cause (the banner is its evidence, not a second finding), then the symptom"
    );
    assert!(f[0].fix.text().contains("allow-tls"), "{}", f[0].fix);
    assert!(
        f[0].evidence.iter().any(|e| e.contains("XXXXXXXA")),
        "{:?}",
        f[0].evidence
    );
    assert!(f[0].evidence.iter().any(|e| e.contains("masked with `*`")));
    assert!(
        f[0].fix
            .commands()
            .all(|(shell, _)| shell == crate::diagnose::Shell::CiscoAsa)
    );
}

/// The ASA's masks do not say which keyword they hide, and its default policy masks
/// CHUNKING and SMTPUTF8 ("others") as well as STARTTLS, all of eight letters. STARTTLS was
/// masked for certain when a mask stands before 8BITMIME (where Exchange and Postfix list
/// STARTTLS) or when the masks outnumber the other eight-letter keywords missing; otherwise
/// it may have been: a warning whose fix says how to tell, and the server keeps its own fix.
#[test]
fn an_eight_letter_mask_is_starttls_only_when_position_or_count_says_so() {
    let w = world();
    let judge = |lines: &[&str]| {
        let mut all = vec!["mail.contoso.test"];
        all.extend_from_slice(lines);
        let obs = plain_with_ehlo(&w, &all);
        (starttls_mask(&obs), run(obs))
    };
    // Postfix behind the default policy: STARTTLS, SMTPUTF8 and CHUNKING masked in place.
    let (m, f) = judge(&[
        "PIPELINING",
        "SIZE 10240000",
        "XXXXXXXA",
        "ENHANCEDSTATUSCODES",
        "8BITMIME",
        "DSN",
        "XXXXXXXB",
        "XXXXXXXC",
    ]);
    assert_eq!(m, StarttlsMask::Certain);
    assert_eq!(f[0].code, Code::MiddleboxMaskedKeywords);
    assert_eq!(f[0].severity, Severity::Fail);
    // Postfix WITHOUT STARTTLS behind it (the trial's port 2607): SMTPUTF8 and CHUNKING
    // masked after 8BITMIME, and as many masks as eight-letter keywords missing.
    let (m, f) = judge(&[
        "PIPELINING",
        "SIZE 10240000",
        "ENHANCEDSTATUSCODES",
        "8BITMIME",
        "DSN",
        "XXXXXXXA",
        "XXXXXXXB",
    ]);
    assert_eq!(m, StarttlsMask::Possible);
    let note = f
        .iter()
        .find(|x| x.code == Code::MiddleboxMaskedKeywords)
        .unwrap();
    assert_eq!(note.severity, Severity::Warn);
    assert!(note.summary.contains("may be STARTTLS"), "{}", note.summary);
    let symptom = f
        .iter()
        .find(|x| x.code == Code::StarttlsNotOffered)
        .unwrap();
    assert_eq!(f[0].code, Code::StarttlsNotOffered, "{:?}", codes(&f));
    let fix = symptom.fix.text();
    assert!(
        fix.contains("from inside the firewall") && fix.contains("smtpd_tls_security_level"),
        "how to tell, then both changes: {fix}"
    );
    // Counting alone: three eight-letter masks, only two other such keywords missing.
    let (m, _) = judge(&["XXXXXXXA", "XXXXXXXB", "XXXXXXXC", "8BITMIME"]);
    assert_eq!(m, StarttlsMask::Certain);
}

#[test]
fn any_all_x_keyword_is_masked_not_one_string() {
    let w = world();
    for word in [
        "XXXX",
        "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "XXXXXXXB",
        "XXXXXXXA",
    ] {
        let obs = plain_with_ehlo(&w, &["mail.contoso.test", "PIPELINING", word]);
        assert_eq!(masked_keywords(&obs), [word.to_string()]);
    }
    let obs = plain_with_ehlo(
        &w,
        &[
            "mail.contoso.test",
            "XEXCH50",
            "X-ANONYMOUSTLS",
            "XXA",
            "AUTH",
        ],
    );
    assert!(masked_keywords(&obs).is_empty(), "real X- keywords");
}

#[test]
fn masked_keywords_with_starttls_still_offered_are_a_note() {
    let w = world();
    let mut obs = healthy(&w);
    let ehlo = reply(
        250,
        &[
            "mail.contoso.test Hello",
            "XXXXXXXB",
            "PIPELINING",
            "STARTTLS",
        ],
    );
    obs.capabilities = Some(Capabilities::parse(&ehlo));
    obs.ehlo = Some(ehlo);
    let f = run(obs);
    assert!(
        f.iter()
            .any(|f| f.code == Code::MiddleboxMaskedKeywords && f.severity == Severity::Info),
        "{:?}",
        codes(&f)
    );
    assert!(has(&f, Code::StarttlsOk), "still healthy: {:?}", codes(&f));
}

#[test]
fn partial_masks_are_recognised_and_decorations_are_not() {
    let w = world();
    let masked = |text: &str| {
        let mut obs = healthy(&w);
        obs.banner = Some(reply(220, &[text]));
        banner_masked(&obs)
    };
    assert!(masked("****"));
    assert!(masked("*******************************************"));
    assert!(masked(
        "******************************0*0*2******0***********2*****0**0***0*00"
    ));
    assert!(masked("mail*******************************2**0"));
    assert!(!masked("mail.contoso.test ESMTP *** no UCE ***"));
    assert!(!masked("***"));
    assert!(!masked("mail.contoso.test ESMTP Postfix"));
}

#[test]
fn masked_banner_fails_only_when_starttls_is_missing() {
    let w = world();
    let mut missing = plain_with_ehlo(&w, &["mail.contoso.test Hello", "PIPELINING"]);
    missing.banner = Some(reply(220, &["*****************0*0**2****"]));
    let f = run(missing);
    assert_eq!(
        codes(&f),
        [
            ("middlebox-masked-banner", Severity::Fail),
            ("starttls-not-offered", Severity::Fail),
        ]
    );
    assert!(f[0].fix.text().contains("allow-tls"));
    assert!(f[1].fix.text().contains("allow-tls"), "{}", f[1].fix);

    let mut working = healthy(&w);
    working.banner = Some(reply(220, &["*****************************"]));
    let f = run(working);
    assert_eq!(
        codes(&f),
        [
            ("middlebox-masked-banner", Severity::Info),
            ("starttls-ok", Severity::Info),
        ],
        "allow-tls is set: a note, and the endpoint stays healthy"
    );
    assert!(!f[0].fix.text().contains("allow-tls"), "{}", f[0].fix);
    assert!(f[0].fix.text().contains("no mask-banner"));
}

#[test]
fn ehlo_downgraded_needs_an_esmtp_claim() {
    let w = world();
    let f = run(plain_with_ehlo(&w, &["mail.contoso.test"]));
    assert_eq!(
        codes(&f),
        [
            ("middlebox-ehlo-downgraded", Severity::Fail),
            ("starttls-not-offered", Severity::Fail),
        ],
        "the Postfix greeting says ESMTP"
    );
    assert!(f[0].summary.contains("HELO"), "{}", f[0].summary);
    assert_eq!(f[1].fix.key.template, "cisco::ehlo_downgraded");

    let mut minimal = plain_with_ehlo(&w, &["mail.contoso.test"]);
    minimal.banner = Some(reply(220, &["mail.contoso.test Mail Service ready"]));
    let f = run(minimal);
    assert_eq!(
        codes(&f),
        [("starttls-not-offered", Severity::Fail)],
        "no ESMTP claim: a minimal server, not a device"
    );
    // A server that lists extensions, only not STARTTLS, is not downgraded.
    let f = run(plain_with_ehlo(&w, &["mail.contoso.test", "PIPELINING"]));
    assert!(!has(&f, Code::MiddleboxEhloDowngraded));
}

#[test]
fn another_port_listing_extensions_shows_the_downgrade() {
    let w = world();
    let mut p25 = plain_with_ehlo(&w, &["mail.contoso.test"]);
    p25.banner = Some(reply(220, &["mail.contoso.test Mail Service ready"]));
    let mut p587 = plain_with_ehlo(&w, &["mail.contoso.test Hello", "PIPELINING", "AUTH LOGIN"]);
    p587.endpoint.address.set_port(587);
    let seen = [Evidence::derive(p25, NOW), Evidence::derive(p587, NOW)];
    let group: Vec<&Evidence> = seen.iter().collect();
    let mut out = Vec::new();
    downgraded_elsewhere(&group, &mut out);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].code, Code::MiddleboxEhloDowngraded);
    assert_eq!(out[0].endpoints, [seen[0].id.clone()]);
    assert!(out[0].summary.contains("port 587"), "{}", out[0].summary);
    // Through the cross rules, as the engine calls them.
    let cross = super::super::cross::rules(&seen);
    assert!(
        cross
            .iter()
            .any(|f| f.code == Code::MiddleboxEhloDowngraded),
        "{:?}",
        codes(&cross)
    );
    // Alone, the port says nothing.
    let mut out = Vec::new();
    downgraded_elsewhere(&group[..1], &mut out);
    assert!(out.is_empty());
}

fn starttls_refused(w: &World, code: u16, text: &str) -> Observation {
    let mut obs = healthy(w);
    refuse_starttls(&mut obs, code, text);
    obs
}

#[test]
fn starttls_answered_unrecognized_is_mangled_in_the_path() {
    let w = world();
    for (code, text) in [
        (502, "5.5.2 Error: command not recognized"),
        (500, "5.5.1 Command unrecognized: \"XXXXXXXX\""),
    ] {
        let f = run(starttls_refused(&w, code, text));
        assert_eq!(
            codes(&f),
            [
                ("middlebox-starttls-mangled", Severity::Fail),
                ("starttls-rejected", Severity::Fail),
            ]
        );
        assert!(f[0].fix.text().contains("allow-tls"));
        assert!(f[0].evidence.iter().any(|e| e.contains(text)));
    }
    let f = run(starttls_refused(
        &w,
        454,
        "4.7.0 TLS not available due to local problem",
    ));
    assert!(!has(&f, Code::MiddleboxStarttlsMangled), "{:?}", codes(&f));
}

/// Seed 002: a Barracuda in front of Exchange presents its own self-signed certificate.
fn barracuda_in_front_of_exchange(w: &World) -> Observation {
    let leaf = self_signed_of(
        &LeafSpec::valid_for("barracuda.local", NOW, 3000),
        "Barracuda Networks",
    )
    .unwrap();
    let mut obs = observed(HOST, HOST, vec![leaf.chain[0].to_vec()], &w.trust);
    obs.banner = Some(reply(220, &[EXCHANGE_BANNER]));
    obs
}

#[test]
fn an_appliance_self_signed_certificate_in_front_of_exchange_is_interception() {
    let w = world();
    let f = run(barracuda_in_front_of_exchange(&w));
    let c = codes(&f);
    assert_eq!(
        c[..2],
        [
            ("tls-interception-suspected", Severity::Fail),
            ("cert-self-signed", Severity::Fail),
        ],
        "{c:?}"
    );
    assert!(has(&f, Code::CertNameMismatch), "{c:?}");
    let t = &f[0];
    assert!(t.summary.contains("Barracuda"), "{}", t.summary);
    assert!(t.summary.contains("Exchange"), "{}", t.summary);
    assert!(
        t.evidence
            .iter()
            .any(|e| e.contains("O=Barracuda Networks"))
    );
    let fix = t.fix.text();
    assert!(
        fix.contains("on the appliance") || fix.contains("On the appliance"),
        "{fix}"
    );
    assert!(
        fix.contains("Do not change Exchange's certificate"),
        "{fix}"
    );
    assert!(fix.contains(HOST), "{fix}");
}

#[test]
fn a_self_signed_certificate_of_the_servers_own_name_is_not_interception() {
    let w = world();
    // Exchange's default certificate, named after the server.
    let own = self_signed(&LeafSpec {
        names: vec!["EXCH02".into(), "EXCH02.contoso.local".into()],
        ..LeafSpec::valid_for("EXCH02", NOW, 1800)
    })
    .unwrap();
    let mut obs = observed(HOST, HOST, vec![own.chain[0].to_vec()], &w.trust);
    obs.banner = Some(reply(220, &[EXCHANGE_BANNER]));
    let f = run(obs);
    assert!(has(&f, Code::CertSelfSigned));
    assert!(!has(&f, Code::TlsInterceptionSuspected), "{:?}", codes(&f));
    // Nor is a self-signed certificate for the host itself.
    let own = self_signed(&LeafSpec::valid_for(HOST, NOW, 100)).unwrap();
    let f = run(observed(HOST, HOST, vec![own.chain[0].to_vec()], &w.trust));
    assert!(!has(&f, Code::TlsInterceptionSuspected), "{:?}", codes(&f));
}

#[test]
fn an_appliance_that_is_the_mx_with_a_trusted_certificate_is_not_interception() {
    let w = world();
    // Barracuda's own name in the subject, issued by a trusted CA, covering the host.
    let leaf = w
        .root
        .leaf_of(
            &LeafSpec::valid_for(HOST, NOW, 200),
            "Barracuda Networks, Inc.",
        )
        .unwrap();
    let f = run(observed(HOST, HOST, vec![leaf.chain[0].to_vec()], &w.trust));
    assert_eq!(codes(&f), [("starttls-ok", Severity::Info)]);
}

#[test]
fn a_leaf_from_an_inspection_ca_is_interception_and_a_trusted_one_is_ours() {
    let w = world();
    let forti = Ca::root_of("Fortinet", "Fortinet_CA_SSL", NOW).unwrap();
    let leaf = forti.leaf(&LeafSpec::valid_for(HOST, NOW, 200)).unwrap();
    let chain = vec![leaf.chain[0].to_vec(), forti.der().to_vec()];
    let f = run(observed(HOST, HOST, chain.clone(), &w.trust));
    assert_eq!(f[0].code, Code::TlsInterceptionSuspected, "{:?}", codes(&f));
    assert_eq!(f[0].severity, Severity::Fail);
    assert!(f[0].summary.contains("Fortinet"), "{}", f[0].summary);
    assert!(f[1].code.as_str().starts_with("cert-"), "{:?}", codes(&f));

    let ours = TrustStore::from_certs([forti.der()], None);
    let f = run(observed(HOST, HOST, chain, &ours));
    assert_eq!(
        codes(&f),
        [("tls-interception-suspected", Severity::Warn)],
        "trusted here: the interception is probably on our side"
    );
    assert!(
        f[0].summary.contains("this machine trusts"),
        "{}",
        f[0].summary
    );
    assert!(f[0].fix.text().contains("Exempt SMTP"), "{}", f[0].fix);
}

/// Review of issue 9: the admin probes their own FortiMail, whose certificates come from the
/// appliance's own CA, pinned with --ca-file. That trust says nothing about this network, and
/// a certificate that covers the name is the MX's own: no interception, and an expired one
/// stays a FAIL instead of being softened as "the device's certificate".
#[test]
fn an_appliance_ca_pinned_with_ca_file_is_the_mx_not_interception() {
    let forti = Ca::root_of("Fortinet", "Fortinet_CA_SSL", NOW).unwrap();
    let pinned = Policy {
        extra_roots: true,
        ..Policy::default()
    };
    let trust = TrustStore::from_certs([forti.der()], None);
    let diagnose_with = |days_from: i64, days: i64| {
        let leaf = forti
            .leaf(&LeafSpec::valid_for(
                HOST,
                NOW + time::Duration::days(days_from),
                days,
            ))
            .unwrap();
        let chain = vec![leaf.chain[0].to_vec(), forti.der().to_vec()];
        let obs = observed(HOST, HOST, chain, &trust);
        diagnose(&Evidence::derive(obs, NOW), &pinned, NOW)
    };
    let f = diagnose_with(0, 200);
    assert_eq!(codes(&f), [("starttls-ok", Severity::Info)]);
    let f = diagnose_with(-400, 300);
    assert!(!has(&f, Code::TlsInterceptionSuspected), "{:?}", codes(&f));
    assert_eq!(
        f.iter()
            .find(|x| x.code == Code::CertExpired)
            .map(|x| x.severity),
        Some(Severity::Fail),
        "{:?}",
        codes(&f)
    );
}

#[test]
fn vendor_words_match_whole_words_in_o_and_cn_only() {
    let hit = |dn: &str| appliance_in(dn).map(|(a, _)| a.vendor);
    assert_eq!(
        hit("CN=barracuda.local, O=Barracuda Networks"),
        Some("Barracuda")
    );
    assert_eq!(
        hit("CN=Cisco Appliance Demo Certificate, O=\"Cisco Systems, Inc.\", C=US"),
        Some("Cisco")
    );
    assert_eq!(hit("CN=FortiGate, O=Fortinet"), Some("Fortinet"));
    assert_eq!(
        hit("CN=SophosApplianceCertificate_C01001ABCD"),
        Some("Sophos")
    );
    assert_eq!(hit("CN=fw, O=Check Point Software"), Some("Check Point"));
    assert_eq!(
        hit("CN=Zscaler Intermediate Root CA (zscaler.net)"),
        Some("Zscaler")
    );
    assert_eq!(hit("CN=mail.sf.test, O=City of San Francisco"), None);
    assert_eq!(
        hit("CN=mail.contoso.test, L=Cisco, O=Contoso"),
        None,
        "L is not O"
    );
    assert_eq!(
        hit("CN=\"a, b\", O=\"Contoso \"\"Cisco\"\" Ltd\""),
        Some("Cisco")
    );
}

fn with_bare_lf(r: &mut Reply) {
    for l in &mut r.lines {
        l.bare_lf = true;
    }
}

#[test]
fn irregular_replies_are_evidence_or_a_note() {
    let w = world();
    let mut obs = healthy(&w);
    if let Some(b) = obs.banner.as_mut() {
        with_bare_lf(b);
    }
    let f = run(obs);
    assert_eq!(
        codes(&f),
        [
            ("smtp-reply-irregular", Severity::Info),
            ("starttls-ok", Severity::Info),
        ]
    );
    assert!(f[0].evidence[0].contains("bare LF"), "{:?}", f[0].evidence);

    let mut obs = plain_with_ehlo(
        &w,
        &["mail.contoso.test", "PIPELINING", "XXXXXXXA", "8BITMIME"],
    );
    if let Some(e) = obs.ehlo.as_mut() {
        e.lines[1].code = 220;
    }
    let f = run(obs);
    assert!(!has(&f, Code::SmtpReplyIrregular), "{:?}", codes(&f));
    assert!(
        f[0].evidence
            .iter()
            .any(|e| e.contains("mixes reply codes")),
        "{:?}",
        f[0].evidence
    );
}

/// Nobody stands in front of Exchange Online: an appliance certificate there is intercepted
/// in our own network, and the certificate findings must not fail Microsoft's server.
#[test]
fn an_appliance_certificate_from_exchange_online_is_intercepted_here() {
    let w = world();
    let eop = "BN8NAM11FT012.mail.protection.outlook.com";
    let leaf = self_signed_of(&LeafSpec::valid_for("sophos.local", NOW, 900), "Sophos").unwrap();
    let mut obs = observed(eop, eop, vec![leaf.chain[0].to_vec()], &w.trust);
    obs.banner = Some(reply(
        220,
        &[&format!("{eop} Microsoft ESMTP MAIL Service ready")],
    ));
    let f = run(obs);
    assert_eq!(f[0].code, Code::TlsInterceptionSuspected, "{:?}", codes(&f));
    assert_eq!(f[0].severity, Severity::Warn);
    assert!(f[0].summary.contains("Exchange Online"), "{}", f[0].summary);
    assert!(f[0].fix.text().contains("Exempt SMTP"), "{}", f[0].fix);
    assert!(
        f.iter().all(|f| f.severity < Severity::Fail),
        "no false FAIL: {:?}",
        codes(&f)
    );
    let selfie = f.iter().find(|f| f.code == Code::CertSelfSigned).unwrap();
    assert!(
        selfie.summary.contains("intercepting device"),
        "{}",
        selfie.summary
    );
}

#[test]
fn a_masked_banner_before_a_failed_ehlo_is_a_note_with_the_firewall_fix() {
    let w = world();
    let mut obs = plain_with_ehlo(&w, &["x"]);
    obs.banner = Some(reply(220, &["**************************"]));
    obs.ehlo = None;
    obs.capabilities = None;
    obs.failure = Some(PhaseFailure {
        phase: Phase::Ehlo,
        kind: FailureKind::Timeout,
        message: "no reply".into(),
        reply: None,
        overall_deadline: false,
    });
    let f = run(obs);
    let m = f
        .iter()
        .find(|f| f.code == Code::MiddleboxMaskedBanner)
        .unwrap();
    assert_eq!(m.severity, Severity::Info);
    assert!(!m.summary.contains("passes"), "{}", m.summary);
    assert!(m.fix.text().contains("allow-tls"), "{}", m.fix);
}
