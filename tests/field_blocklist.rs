//! Blocklists for the address the server saw (issue 9, scope 2) and the seed 003 replay:
//! Exchange Online Protection withholds STARTTLS from a sender whose address is listed.
//!
//! The lists are an in-process DNS server on 127.0.0.1 serving `zen.spamhaus.org`,
//! `b.barracudacentral.org` and `bl.spamcop.net`, reached only through `--resolver`: it lists
//! [`LISTED`], refuses [`REFUSED`] (127.255.255.254, as Spamhaus answers a public resolver) and
//! knows nothing of [`CLEAN`]. It records every name it is asked, which proves when no lookup
//! happened. The servers are scripted on 127.0.0.1; the seen-as address is what their EHLO
//! greeting writes (`Hello [81.2.69.142]`), never where anything is sent.
//!
//! The test addresses are public-looking ones (no traffic goes to them): documentation
//! addresses such as the seed's 203.0.113.7 are never looked up, and a test says so.

#![allow(clippy::unwrap_used)]

mod common;

use std::net::IpAddr;

use common::dns::DnsServer;
use common::{HOST, Run, assert_absent, assert_verdict, pki, probe, run, serve};
use starttls_check::scripted::{Scenario, ScriptedServer};

/// Listed at ZEN (XBL and PBL set by the ISP) and at Barracuda.
const LISTED: &str = "81.2.69.142";
/// ZEN refuses the query (127.255.255.254); the others do not list it.
const REFUSED: &str = "81.2.69.160";
/// On no list.
const CLEAN: &str = "81.2.69.192";
/// Listed at ZEN (CSS) by its reversed nibbles; Barracuda and SpamCop hold no IPv6.
const LISTED_V6: &str = "2a01:4f8::1";

const EOP: &str = "contoso-com.mail.protection.outlook.com";

fn zone(origin: &str, records: &str) -> String {
    format!(
        "$ORIGIN {origin}.\n$TTL 60\n@ IN SOA ns.{origin}. hostmaster.{origin}. 1 60 60 60 60\n{records}"
    )
}

/// The three default lists, as described in the module doc.
fn lists() -> DnsServer {
    let zen = zone(
        "zen.spamhaus.org",
        "142.69.2.81 IN A 127.0.0.4\n142.69.2.81 IN A 127.0.0.10\n160.69.2.81 IN A 127.255.255.254\n\
         1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.f.4.0.1.0.a.2 IN A 127.0.0.3\n",
    );
    let barracuda = zone("b.barracudacentral.org", "142.69.2.81 IN A 127.0.0.2\n");
    let spamcop = zone("bl.spamcop.net", "");
    DnsServer::start(&[
        ("zen.spamhaus.org.", zen.as_str()),
        ("b.barracudacentral.org.", barracuda.as_str()),
        ("bl.spamcop.net.", spamcop.as_str()),
    ])
}

/// Seed 003: EOP's greeting and keywords, without STARTTLS, having seen us as `seen`.
fn eop(seen: Option<&str>) -> Scenario {
    let mut s = Scenario::exchange(EOP, None);
    s.banner =
        format!("220 {EOP} Microsoft ESMTP MAIL Service ready at Fri, 6 Dec 2013 22:01:59 +0000");
    s.keywords = [
        "SIZE 157286400",
        "PIPELINING",
        "DSN",
        "ENHANCEDSTATUSCODES",
        "AUTH",
        "8BITMIME",
        "BINARYMIME",
        "CHUNKING",
    ]
    .map(String::from)
    .to_vec();
    s.seen_as = seen.map(|a| a.parse::<IpAddr>().unwrap());
    s
}

/// Probes `host` on `server` through `--resolve`, with the lists as the only resolver.
fn probe_with(dns: &DnsServer, host: &str, server: &ScriptedServer, extra: &[&str]) -> Run {
    let resolver = dns.resolver_arg();
    let mut args = vec!["--resolver", resolver.as_str(), "--timeout", "2"];
    args.extend_from_slice(extra);
    common::probe_name(host, server.addr, &args)
}

/// The queries the lists' server got for list entries: a reversed address (`2.0.0.127.zen...`,
/// or IPv6 nibbles), whose first label is a number. The policy phase's own lookups of the
/// probed host (A/AAAA with DNSSEC, RFC 7672 §2.2) are left out: they are no blocklist query.
fn blocklist_queries(dns: &DnsServer) -> Vec<String> {
    dns.queries()
        .into_iter()
        .filter(|q| {
            q.split('.')
                .next()
                .is_some_and(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_hexdigit()))
        })
        .collect()
}

fn position(r: &Run, code: &str) -> usize {
    r.codes()
        .iter()
        .position(|c| c == code)
        .unwrap_or_else(|| panic!("no {code} in {:?}", r.codes()))
}

#[test]
fn eop_withholding_starttls_from_a_listed_address_names_the_list_first() {
    let dns = lists();
    let server = serve(eop(Some(LISTED)));
    let r = probe_with(&dns, EOP, &server, &[]);
    assert_verdict(&r, "fail", 2, "egress-ip-blocklisted", "fail");
    // The symptom stays (CI keyed on it keeps working), right after its cause.
    let symptom = r.finding("starttls-not-offered");
    assert_eq!(symptom["severity"], "fail");
    assert_eq!(position(&r, "starttls-not-offered"), 1, "{:?}", r.codes());
    let f = r.finding("egress-ip-blocklisted");
    let summary = f["summary"].as_str().unwrap();
    assert!(summary.contains(LISTED), "{summary}");
    assert!(
        summary.contains("zen.spamhaus.org (Spamhaus XBL, Spamhaus PBL, set by the ISP)"),
        "{summary}"
    );
    assert!(summary.contains("b.barracudacentral.org"), "{summary}");
    assert!(
        !summary.contains("spamcop"),
        "SpamCop does not list it: {summary}"
    );
    let evidence = f["evidence"].to_string();
    assert!(evidence.contains("127.0.0.4 = Spamhaus XBL"), "{evidence}");
    assert!(evidence.contains("CBL"), "{evidence}");
    assert!(
        evidence.contains("127.0.0.10 = Spamhaus PBL, set by the ISP"),
        "{evidence}"
    );
    assert!(
        evidence.contains("bl.spamcop.net: not listed"),
        "{evidence}"
    );
    assert!(evidence.contains("offered no STARTTLS"), "{evidence}");
    let fix = f["fix"].as_str().unwrap();
    for words in [
        "https://check.spamhaus.org/",
        "cannot delist it",
        "smart host",
        "barracudacentral.org/rbl/removal-request",
        "https://sender.office.com",
    ] {
        assert!(fix.contains(words), "fix lacks {words:?}:\n{fix}");
    }
    assert_absent(&r, "dnsbl-query-refused");
    assert!(
        blocklist_queries(&dns).contains(&"142.69.2.81.zen.spamhaus.org.".to_string()),
        "{:?}",
        blocklist_queries(&dns)
    );
    // The human report points the symptom at the cause's fix.
    let human = probe_with(&dns, EOP, &server, &["--format", "human"]);
    assert!(
        human.stdout.contains("fix: as for egress-ip-blocklisted"),
        "{}",
        human.stdout
    );
}

#[test]
fn a_refused_query_is_said_and_never_called_a_listing() {
    let dns = lists();
    let server = serve(eop(Some(REFUSED)));
    let r = probe_with(&dns, EOP, &server, &[]);
    assert_absent(&r, "egress-ip-blocklisted");
    let refused = r.finding("dnsbl-query-refused");
    assert_eq!(refused["severity"], "info");
    let summary = refused["summary"].as_str().unwrap();
    assert!(
        summary.contains("zen.spamhaus.org refused the query"),
        "{summary}"
    );
    assert!(summary.contains("127.255.255.254"), "{summary}");
    assert!(summary.contains("unknown"), "{summary}");
    let fix = refused["fix"].as_str().unwrap();
    assert!(fix.contains("public resolvers"), "{fix}");
    assert!(!r.stdout.contains("is listed"), "{}", r.stdout);
    assert!(!r.stdout.contains("LISTED ("), "{}", r.stdout);
    // The other two lists answered: not listed there.
    let clean = r.finding("egress-ip-not-listed");
    assert!(
        clean["summary"]
            .as_str()
            .unwrap()
            .contains("b.barracudacentral.org, bl.spamcop.net")
    );
    // STARTTLS is still missing: the symptom keeps its FAIL, the cause is not known.
    assert_eq!(r.json()["verdict"], "fail");
    assert_eq!(r.finding("starttls-not-offered")["severity"], "fail");
}

#[test]
fn an_address_on_no_list_is_said_in_the_symptoms_evidence() {
    let dns = lists();
    let server = serve(eop(Some(CLEAN)));
    let r = probe_with(&dns, EOP, &server, &[]);
    assert_absent(&r, "egress-ip-blocklisted");
    assert_absent(&r, "dnsbl-query-refused");
    assert_verdict(&r, "fail", 2, "starttls-not-offered", "fail");
    let symptom = r.finding("starttls-not-offered")["evidence"].to_string();
    assert!(
        symptom.contains(&format!("no blocklist that answered holds {CLEAN}")),
        "{symptom}"
    );
    assert!(symptom.contains("Microsoft's own list"), "{symptom}");
    // The fix does not send the admin to look up what this run just looked up.
    let fix = r.finding("starttls-not-offered")["fix"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        fix.contains("none of them lists it") && !fix.contains("look that address up"),
        "{fix}"
    );
    let note = r.finding("egress-ip-not-listed");
    assert_eq!(note["severity"], "info");
    assert!(note["summary"].as_str().unwrap().contains("do not explain"));
    assert!(note["fix"].as_str().unwrap().contains("sender.office.com"));
    assert_eq!(
        blocklist_queries(&dns).len(),
        3,
        "{:?}",
        blocklist_queries(&dns)
    );
}

#[test]
fn no_dnsbl_asks_no_list() {
    let dns = lists();
    let server = serve(eop(Some(LISTED)));
    let r = probe_with(&dns, EOP, &server, &["--no-dnsbl"]);
    assert!(
        blocklist_queries(&dns).is_empty(),
        "{:?}",
        blocklist_queries(&dns)
    );
    assert_verdict(&r, "fail", 2, "starttls-not-offered", "fail");
    for code in [
        "egress-ip-blocklisted",
        "egress-ip-not-listed",
        "egress-ip-not-checked",
    ] {
        assert_absent(&r, code);
    }
}

#[test]
fn other_servers_are_not_looked_up_unless_asked() {
    let dns = lists();
    let leaf = pki().healthy(common::HOST, 90);
    let mut postfix = Scenario::postfix(common::HOST, &leaf);
    postfix.seen_as = Some(LISTED.parse().unwrap());
    let healthy = serve(postfix);
    // On-premises Exchange without STARTTLS: not EOP, so no lookup either.
    let mut exchange = Scenario::exchange("exch01.contoso.com", None);
    exchange.seen_as = Some(LISTED.parse().unwrap());
    let exchange = serve(exchange);
    let r = probe_with(&dns, common::HOST, &healthy, &[]);
    assert_eq!(r.json()["verdict"], "pass", "{}", r.stdout);
    let r = probe_with(&dns, "exch01.contoso.com", &exchange, &[]);
    assert_absent(&r, "egress-ip-blocklisted");
    assert!(
        blocklist_queries(&dns).is_empty(),
        "{:?}",
        blocklist_queries(&dns)
    );

    // With --dnsbl (no value: the default lists; the next word is the target, not a zone),
    // a listing where TLS works is a warning beside the healthy summary.
    let target = format!("{}:{}", common::HOST, healthy.addr.port());
    let r = probe_with(&dns, common::HOST, &healthy, &["--dnsbl", target.as_str()]);
    assert_eq!(
        r.codes()
            .iter()
            .filter(|c| *c == "egress-ip-blocklisted")
            .count(),
        1
    );
    let f = r.finding("egress-ip-blocklisted");
    assert_eq!(f["severity"], "warn");
    assert!(
        r.codes().contains(&"starttls-ok".to_string()),
        "{:?}",
        r.codes()
    );
    assert_eq!(r.json()["verdict"], "warn");
    assert_eq!(r.code, 1);
    assert_eq!(
        blocklist_queries(&dns).len(),
        3,
        "{:?}",
        blocklist_queries(&dns)
    );

    // A listing does not explain a Postfix port without STARTTLS (Postfix does not withhold it
    // from listed clients): it warns, and the symptom keeps its own fix.
    let mut plain = Scenario::postfix(common::HOST, &leaf);
    plain.starttls = starttls_check::scripted::StartTls::NotOffered;
    plain.seen_as = Some(LISTED.parse().unwrap());
    let plain = serve(plain);
    let r = probe_with(
        &dns,
        common::HOST,
        &plain,
        &["--dnsbl", "--format", "human"],
    );
    assert!(
        r.stdout.contains("WARN egress-ip-blocklisted"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("as for egress-ip-blocklisted"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_named_list_is_the_only_one_asked() {
    let dns = lists();
    let server = serve(eop(Some(LISTED)));
    let r = probe_with(&dns, EOP, &server, &["--dnsbl=bl.spamcop.net"]);
    assert_eq!(
        blocklist_queries(&dns),
        ["142.69.2.81.bl.spamcop.net."],
        "only the list named"
    );
    assert_absent(&r, "egress-ip-blocklisted");
    assert!(
        r.finding("egress-ip-not-listed")["summary"]
            .as_str()
            .unwrap()
            .contains("bl.spamcop.net")
    );
    // A value that is no zone is a usage error, exit 3.
    let bad = probe_with(&dns, EOP, &server, &["--dnsbl=not a zone"]);
    assert_eq!(bad.code, 3, "{}{}", bad.stdout, bad.stderr);
    // --no-dnsbl and --dnsbl contradict each other.
    let both = probe_with(&dns, EOP, &server, &["--dnsbl", "--no-dnsbl"]);
    assert_eq!(both.code, 3, "{}{}", both.stdout, both.stderr);
}

#[test]
fn egress_ip_is_used_when_the_greeting_names_no_address() {
    let dns = lists();
    let mut s = eop(None);
    // A greeting line without `[address]`.
    s.ehlo_refusal = Some(format!(
        "250-{EOP}\r\n250-SIZE 157286400\r\n250-PIPELINING\r\n250 CHUNKING"
    ));
    let server = serve(s);
    let r = probe_with(&dns, EOP, &server, &[]);
    let skipped = r.finding("egress-ip-not-checked");
    assert!(
        skipped["summary"].as_str().unwrap().contains("--egress-ip"),
        "{}",
        skipped
    );
    assert!(blocklist_queries(&dns).is_empty());
    let r = probe_with(&dns, EOP, &server, &["--egress-ip", LISTED]);
    assert_verdict(&r, "fail", 2, "egress-ip-blocklisted", "fail");
    let f = r.finding("egress-ip-blocklisted");
    let evidence = f["evidence"].to_string();
    assert!(
        evidence.contains(&format!("--egress-ip {LISTED}")),
        "{evidence}"
    );
    // Second trial: found through --egress-ip, so neither the summary says "seen as" nor the
    // fix says to pass --egress-ip.
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .contains("the address given with --egress-ip"),
        "{f}"
    );
    assert!(
        !f["fix"]
            .as_str()
            .unwrap()
            .contains("pass its address with --egress-ip"),
        "{f}"
    );
    // When the greeting names the address the server saw, --egress-ip is not used, and the
    // evidence says so.
    let named = serve(eop(Some(CLEAN)));
    let r = probe_with(&dns, EOP, &named, &["--egress-ip", LISTED]);
    assert_absent(&r, "egress-ip-blocklisted");
    let note = r.finding("egress-ip-not-listed")["evidence"].to_string();
    assert!(
        note.contains(&format!("--egress-ip {LISTED} not used")),
        "{note}"
    );
}

#[test]
fn private_and_documentation_addresses_are_skipped_with_their_reason() {
    let dns = lists();
    // A server on our LAN (or NAT in between) sees a private address.
    let server = serve(eop(Some("192.168.1.10")));
    let r = probe_with(&dns, EOP, &server, &[]);
    let f = r.finding("egress-ip-not-checked");
    assert_eq!(f["severity"], "info");
    let summary = f["summary"].as_str().unwrap();
    assert!(
        summary.contains("192.168.1.10, a private address"),
        "{summary}"
    );
    assert!(f["fix"].as_str().unwrap().contains("--egress-ip"));
    let symptom = r.finding("starttls-not-offered")["evidence"].to_string();
    assert!(symptom.contains("not looked up"), "{symptom}");
    // The seed's own 203.0.113.7 is a documentation address: no sender has it.
    let seed = serve(eop(Some("203.0.113.7")));
    let r = probe_with(&dns, EOP, &seed, &[]);
    let summary = r.finding("egress-ip-not-checked")["summary"].to_string();
    assert!(summary.contains("documentation address"), "{summary}");
    assert!(
        blocklist_queries(&dns).is_empty(),
        "{:?}",
        blocklist_queries(&dns)
    );
}

#[test]
fn microsofts_own_list_is_named_from_its_reply() {
    let dns = lists();
    let mut s = eop(None);
    s.banner = format!(
        "550 5.7.606 Access denied, banned sending IP [{LISTED}]. To request removal from this list please visit https://sender.office.com/"
    );
    let server = serve(s);
    let r = probe_with(&dns, EOP, &server, &[]);
    assert_verdict(&r, "fail", 2, "egress-ip-blocklisted", "fail");
    assert_eq!(position(&r, "smtp-rejected"), 1, "{:?}", r.codes());
    let f = r.finding("egress-ip-blocklisted");
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .contains("Microsoft's own list")
    );
    assert!(
        f["fix"]
            .as_str()
            .unwrap()
            .contains("https://sender.office.com")
    );
    assert!(blocklist_queries(&dns).is_empty());
}

/// New-user trial of issue 9: a refusal at connect that names the list (Postfix's
/// `reject_rbl_client` text, Exim's "in a black list at") is the blocklist cause, read from
/// the reply without a lookup, with that list's removal advice; a 554 that names no list is
/// not.
#[test]
fn a_refusal_that_names_the_list_is_the_blocklist_cause() {
    let dns = lists();
    for (banner, zone, advice) in [
        (
            format!(
                "554 5.7.1 Service unavailable; Client host [{LISTED}] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/{LISTED}"
            ),
            "zen.spamhaus.org",
            "check.spamhaus.org",
        ),
        (
            format!("554 rejected because {LISTED} is in a black list at b.barracudacentral.org"),
            "b.barracudacentral.org",
            "removal-request",
        ),
    ] {
        let mut sc = Scenario::postfix(HOST, &pki().healthy(HOST, 90));
        sc.banner = banner;
        let server = serve(sc);
        let r = probe(&server, &["--resolver", &dns.resolver_arg()]);
        assert_verdict(&r, "fail", 2, "egress-ip-blocklisted", "fail");
        assert_eq!(position(&r, "smtp-rejected"), 1, "{:?}", r.codes());
        let f = r.finding("egress-ip-blocklisted");
        let summary = f["summary"].as_str().unwrap();
        assert!(
            summary.contains(LISTED) && summary.contains(zone),
            "{summary}"
        );
        assert!(f["fix"].as_str().unwrap().contains(advice), "{}", f["fix"]);
        assert!(blocklist_queries(&dns).is_empty(), "the reply said it all");
    }
    let mut sc = Scenario::postfix(HOST, &pki().healthy(HOST, 90));
    sc.banner = "554 5.3.2 mail.example.test Service currently unavailable".into();
    let r = probe(&serve(sc), &[]);
    assert_absent(&r, "egress-ip-blocklisted");
}

#[test]
fn a_resolver_that_never_answers_leaves_the_listing_unknown_within_the_timeout() {
    // A UDP socket that reads nothing and answers nothing (no TCP listener on its port).
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let resolver = silent.local_addr().unwrap().to_string();
    let server = serve(eop(Some(LISTED)));
    let target = format!("{EOP}:{}", server.addr.port());
    let resolve = format!("{EOP}:{}", server.addr.ip());
    let started = std::time::Instant::now();
    let r = run(&[
        target.as_str(),
        "--resolve",
        resolve.as_str(),
        "--resolver",
        resolver.as_str(),
        "--format",
        "json",
        "--timeout",
        "0.5",
    ]);
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_secs(3), "took {took:?}");
    assert_absent(&r, "egress-ip-blocklisted");
    let f = r.finding("egress-ip-not-checked");
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .contains("no blocklist could say"),
        "{f}"
    );
    assert!(f["evidence"].to_string().contains(": unknown"), "{f}");
    let symptom = r.finding("starttls-not-offered")["evidence"].to_string();
    assert!(symptom.contains("is unknown"), "{symptom}");
    assert_eq!(r.json()["verdict"], "fail");
}

#[test]
fn an_ipv6_address_is_asked_by_its_nibbles_where_the_list_holds_ipv6() {
    let dns = lists();
    let server = serve(eop(Some(LISTED_V6)));
    let r = probe_with(&dns, EOP, &server, &[]);
    assert_verdict(&r, "fail", 2, "egress-ip-blocklisted", "fail");
    let f = r.finding("egress-ip-blocklisted");
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .contains("zen.spamhaus.org (Spamhaus CSS)")
    );
    let evidence = f["evidence"].to_string();
    assert!(
        evidence.contains("b.barracudacentral.org: not checked: this list holds no IPv6 addresses"),
        "{evidence}"
    );
    assert!(
        evidence.contains("bl.spamcop.net: not checked"),
        "{evidence}"
    );
    assert_eq!(
        blocklist_queries(&dns),
        ["1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.f.4.0.1.0.a.2.zen.spamhaus.org."],
        "only ZEN is asked for an IPv6 address"
    );
}

/// Second trial of issue 9: with --dnsbl, an endpoint that never greeted (connection
/// refused) saw nobody: no blocklist note about a greeting that never came.
#[test]
fn an_endpoint_that_never_greeted_gets_no_blocklist_note() {
    let dns = lists();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let r = common::probe_addr(closed, &["--dnsbl", "--resolver", &dns.resolver_arg()]);
    assert_verdict(&r, "fail", 2, "connect-refused", "fail");
    for code in [
        "egress-ip-not-checked",
        "egress-ip-not-listed",
        "dnsbl-query-refused",
    ] {
        assert_absent(&r, code);
    }
    assert!(blocklist_queries(&dns).is_empty());
}
