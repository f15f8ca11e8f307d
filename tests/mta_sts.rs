//! MTA-STS and TLS-RPT end to end: the in-process DNS server serves the domain's MX, its
//! `_mta-sts` and `_smtp._tls` TXT records and `mta-sts.DOMAIN`; a scripted https server
//! serves the policy (reached through `--connect-to`, never the real port 443); the binary
//! probes the scripted SMTP servers and judges the policy against them.
//!
//! Every report is checked against docs/report.schema.json.
//!
//! These tests need the policy DNS client's TXT lookups (`policy::dns::Client::txt`).

#![allow(clippy::unwrap_used)]

mod common;
mod schema_check;

use std::net::{IpAddr, Ipv4Addr};

use common::dns::DnsServer;
use common::*;
use serde_json::Value;
use starttls_check::scripted::http::{HttpServer, Response};
use starttls_check::scripted::{LeafSpec, Scenario, pki as spki, server_config};

const POLICY_PATH: &str = "/.well-known/mta-sts.txt";
const ENFORCE: &str =
    "version: STSv1\r\nmode: enforce\r\nmx: mx1.contoso.test\r\nmax_age: 1209600\r\n";
const RPT_OK: &str = "_smtp._tls IN TXT \"v=TLSRPTv1; rua=mailto:tls@contoso.test\"";
const STS: &str = "_mta-sts IN TXT \"v=STSv1; id=20260101\"";

fn zone(records: &str) -> DnsServer {
    let text = format!(
        "$ORIGIN contoso.test.\n$TTL 60\n@ IN SOA ns.contoso.test. hostmaster.contoso.test. 1 60 60 60 60\n\
         @ IN MX 10 mx1\nmx1 IN A 127.0.0.2\nmta-sts IN A 127.0.0.1\n{records}\n"
    );
    DnsServer::start(&[("contoso.test.", &text)])
}

struct Case {
    dns: DnsServer,
    web: HttpServer,
    smtp_port: u16,
    _smtp: Vec<std::sync::Arc<starttls_check::scripted::ScriptedServer>>,
}

/// The domain with `records` (besides MX and A), the policy route `served`, the policy host's
/// certificate trusted or not.
fn case(records: &str, served: Vec<(&str, Response)>, trusted_web: bool) -> Case {
    let name = "mx1.contoso.test";
    let (smtp, ports) = serve_group(vec![(
        Scenario::postfix(name, &pki().healthy(name, 120)),
        [127, 0, 0, 2],
        0,
    )]);
    let spec = LeafSpec::valid_for("mta-sts.contoso.test", pki().now, 120);
    let leaf = if trusted_web {
        pki().chain(&spec)
    } else {
        spki::self_signed(&spec).unwrap()
    };
    let routes = served
        .into_iter()
        .map(|(p, r)| (p.to_string(), r))
        .collect();
    let web = runtime().block_on(async {
        HttpServer::start(
            routes,
            Some(server_config(&leaf)),
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            0,
        )
        .await
        .unwrap()
    });
    Case {
        dns: zone(records),
        web,
        smtp_port: ports[0],
        _smtp: smtp,
    }
}

/// The binary on the case's domain, the policy host reached through `--connect-to`; `extra`
/// after the case's own options.
fn run_case_with(c: &Case, extra: &[&str]) -> Run {
    let connect = format!("mta-sts.contoso.test:443:127.0.0.1:{}", c.web.addr.port());
    let port = c.smtp_port.to_string();
    let mut args = vec!["-p", &port, "--connect-to", &connect];
    args.extend_from_slice(extra);
    probe_domain(&c.dns, &["contoso.test"], &args)
}

fn run_case(c: &Case) -> Run {
    let r = run_case_with(c, &[]);
    schema_check::assert_valid(&r.json(), "an MTA-STS report");
    r
}

/// The HTML page's TLS policy cell of the case's one target.
fn policy_cell(c: &Case) -> String {
    let page = run_case_with(c, &["--format", "html"]).stdout;
    let start = page
        .find("<td class=\"policy\">")
        .unwrap_or_else(|| panic!("no TLS policy column:\n{page}"));
    let cell = &page[start..];
    cell[..cell.find("</td>").unwrap()].to_owned()
}

/// The words of a policy cell's tags, each after its class: `pass:MTA-STS enforce`.
fn tags(cell: &str) -> Vec<String> {
    cell.split("<span class=\"tag ")
        .skip(1)
        .map(|t| {
            let class = &t[..t.find('"').unwrap()];
            let text = &t[t.find('>').unwrap() + 1..t.find("</span>").unwrap()];
            format!("{class}:{text}")
        })
        .collect()
}

fn policy(j: &Value) -> &Value {
    &j["policy"]["contoso.test"]
}

fn severity(r: &Run, code: &str) -> String {
    r.finding(code)["severity"].as_str().unwrap().to_string()
}

#[test]
fn an_enforced_policy_that_covers_the_mx_is_ok() {
    let c = case(
        &format!("{STS}\n{RPT_OK}"),
        vec![(
            POLICY_PATH,
            Response::ok("text/plain; charset=utf-8", ENFORCE.as_bytes()),
        )],
        true,
    );
    let r = run_case(&c);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(severity(&r, "mta-sts-ok"), "info");
    assert_eq!(severity(&r, "tlsrpt-ok"), "info");
    assert_eq!(r.finding("mta-sts-ok")["tlsrpt_result"], Value::Null);
    let j = r.json();
    let m = &policy(&j)["mta_sts"];
    assert_eq!(m["record_state"], "valid");
    assert_eq!(m["id"], "20260101");
    assert_eq!(m["in_effect"], true);
    assert_eq!(m["fetch"]["status"], 200);
    assert_eq!(m["fetch"]["certificate_trusted"], true);
    assert_eq!(m["fetch"]["certificate_name_matches"], true);
    assert_eq!(m["policy"]["mode"], "enforce");
    assert_eq!(m["policy"]["max_age"], 1_209_600);
    assert_eq!(m["mx"][0]["host"], "mx1.contoso.test");
    assert_eq!(m["mx"][0]["pattern"], "mx1.contoso.test");
    assert_eq!(policy(&j)["tlsrpt"]["state"], "valid");
    let req = &c.web.requests()[0];
    assert!(
        req.starts_with("GET /.well-known/mta-sts.txt HTTP/1.0\r\n"),
        "{req}"
    );
    assert!(req.contains("Host: mta-sts.contoso.test\r\n"), "{req}");
    assert_eq!(
        tags(&policy_cell(&c)),
        ["none:no DANE", "pass:MTA-STS enforce", "pass:TLS-RPT"],
        "the HTML page's TLS policy column"
    );
}

#[test]
fn an_mx_outside_an_enforced_policy_fails_and_in_testing_warns() {
    let other = ENFORCE.replace("mx1.contoso.test", "*.mail.contoso.test");
    let c = case(
        &format!("{STS}\n{RPT_OK}"),
        vec![(POLICY_PATH, Response::ok("text/plain", other.as_bytes()))],
        true,
    );
    let r = run_case(&c);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert_eq!(r.json()["verdict"], "fail");
    let f = r.finding("mta-sts-mx-mismatch");
    assert_eq!(f["severity"], "fail");
    assert_eq!(f["tlsrpt_result"], "validation-failure");
    let fix = f["fix"].as_str().unwrap();
    assert!(fix.contains("mx: mx1.contoso.test"), "{fix}");
    assert!(
        fix.contains("_mta-sts.contoso.test. IN TXT \"v=STSv1; id="),
        "{fix}"
    );
    assert!(!fix.contains("id=20260101\""), "a NEW id: {fix}");

    let testing = other.replace("enforce", "testing");
    let c = case(
        &format!("{STS}\n{RPT_OK}"),
        vec![(POLICY_PATH, Response::ok("text/plain", testing.as_bytes()))],
        true,
    );
    let r = run_case(&c);
    assert_eq!(severity(&r, "mta-sts-mx-mismatch"), "warn");
    assert_eq!(severity(&r, "mta-sts-mode-testing"), "info");
    assert_ne!(r.code, 2, "{}", r.stdout);
}

#[test]
fn a_redirect_is_never_followed() {
    let c = case(
        &format!("{STS}\n{RPT_OK}"),
        vec![
            (POLICY_PATH, Response::redirect(302, "/moved.txt")),
            ("/moved.txt", Response::ok("text/plain", ENFORCE.as_bytes())),
        ],
        true,
    );
    let r = run_case(&c);
    let f = r.finding("mta-sts-policy-fetch-failed");
    assert_eq!(f["severity"], "warn");
    assert_eq!(f["tlsrpt_result"], "sts-policy-fetch-error");
    let ev = f["evidence"].to_string();
    assert!(ev.contains("redirect"), "{ev}");
    let asked = c.web.requests();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(!asked.iter().any(|q| q.contains("/moved.txt")), "{asked:?}");
    assert_eq!(
        policy(&r.json())["mta_sts"]["fetch"]["location"],
        "/moved.txt"
    );
}

#[test]
fn not_found_and_a_wrong_content_type_are_fetch_failures() {
    let c = case(&format!("{STS}\n{RPT_OK}"), vec![], true);
    let r = run_case(&c);
    let ev = r.finding("mta-sts-policy-fetch-failed")["evidence"].to_string();
    assert!(ev.contains("HTTP 404"), "{ev}");
    let c = case(
        &format!("{STS}\n{RPT_OK}"),
        vec![(POLICY_PATH, Response::ok("text/html", ENFORCE.as_bytes()))],
        true,
    );
    let r = run_case(&c);
    let ev = r.finding("mta-sts-policy-fetch-failed")["evidence"].to_string();
    assert!(ev.contains("text/html"), "{ev}");
    assert!(
        r.finding("mta-sts-policy-fetch-failed")["fix"]
            .as_str()
            .unwrap()
            .contains("Content-Type: text/plain")
    );
}

#[test]
fn an_untrusted_policy_host_certificate() {
    let c = case(
        &format!("{STS}\n{RPT_OK}"),
        vec![(POLICY_PATH, Response::ok("text/plain", ENFORCE.as_bytes()))],
        false,
    );
    let r = run_case(&c);
    let f = r.finding("mta-sts-policy-certificate-invalid");
    assert_eq!(f["severity"], "warn");
    assert_eq!(f["tlsrpt_result"], "sts-webpki-invalid");
    assert_absent(&r, "mta-sts-ok");
    assert_eq!(
        policy(&r.json())["mta_sts"]["fetch"]["certificate_trusted"],
        false
    );
}

#[test]
fn bad_and_duplicate_records() {
    let c = case(
        &format!("_mta-sts IN TXT \"v=STSv1; id=not-alnum!\"\n{RPT_OK}"),
        vec![(POLICY_PATH, Response::ok("text/plain", ENFORCE.as_bytes()))],
        true,
    );
    let r = run_case(&c);
    let f = r.finding("mta-sts-record-invalid");
    assert_eq!(f["severity"], "warn");
    assert_eq!(f["tlsrpt_result"], "sts-policy-invalid");
    let c = case(
        &format!("{STS}\n_mta-sts IN TXT \"v=STSv1; id=2\"\n{RPT_OK}"),
        vec![(POLICY_PATH, Response::ok("text/plain", ENFORCE.as_bytes()))],
        true,
    );
    let r = run_case(&c);
    assert!(
        r.finding("mta-sts-record-invalid")["evidence"]
            .to_string()
            .contains("2 records")
    );
    assert_eq!(policy(&r.json())["mta_sts"]["record_state"], "invalid");
    assert_eq!(
        tags(&policy_cell(&c)),
        ["none:no DANE", "fail:MTA-STS broken", "pass:TLS-RPT"],
        "a record senders cannot use is broken on the page, not absent"
    );
}

#[test]
fn missing_is_information_only_and_fetches_nothing() {
    let c = case(
        "",
        vec![(POLICY_PATH, Response::ok("text/plain", ENFORCE.as_bytes()))],
        true,
    );
    let r = run_case(&c);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(r.json()["verdict"], "pass");
    let f = r.finding("mta-sts-missing");
    assert_eq!(f["severity"], "info");
    let fix = f["fix"].as_str().unwrap();
    assert!(fix.contains("mode: testing"), "{fix}");
    assert!(fix.contains("mx: mx1.contoso.test"), "{fix}");
    assert!(
        fix.contains("_mta-sts.contoso.test. IN TXT \"v=STSv1; id="),
        "{fix}"
    );
    let t = r.finding("tlsrpt-missing");
    assert_eq!(t["severity"], "info");
    let fix = t["fix"].as_str().unwrap();
    assert!(
        fix.contains("mailto:tlsrpt@contoso.test") && fix.contains("PLACEHOLDER"),
        "{fix}"
    );
    assert!(c.web.requests().is_empty(), "no record, no fetch");
}

#[test]
fn an_invalid_tlsrpt_record() {
    let c = case(
        &format!("{STS}\n_smtp._tls IN TXT \"v=TLSRPTv1; rua=ftp://reports.contoso.test\""),
        vec![(POLICY_PATH, Response::ok("text/plain", ENFORCE.as_bytes()))],
        true,
    );
    let r = run_case(&c);
    let f = r.finding("tlsrpt-invalid");
    assert_eq!(f["severity"], "warn");
    assert!(
        f["evidence"].to_string().contains("ftp://"),
        "{}",
        f["evidence"]
    );
    assert_eq!(policy(&r.json())["tlsrpt"]["state"], "invalid");
}

#[test]
fn a_stalled_policy_host_is_not_called_unreachable() {
    let c = case(
        &format!("{STS}\n{RPT_OK}"),
        vec![(POLICY_PATH, Response::Silent)],
        true,
    );
    let connect = format!("mta-sts.contoso.test:443:127.0.0.1:{}", c.web.addr.port());
    let port = c.smtp_port.to_string();
    let r = probe_domain(
        &c.dns,
        &["contoso.test"],
        &["-p", &port, "--connect-to", &connect, "--timeout", "1"],
    );
    schema_check::assert_valid(&r.json(), "a stalled policy host");
    let f = r.finding("mta-sts-policy-fetch-failed");
    let ev = f["evidence"].to_string();
    let want = format!(
        "connected to 127.0.0.1:{}, TLS 1.3 done, request sent, no HTTP status line within",
        c.web.addr.port()
    );
    assert!(ev.contains(&want), "{ev}");
    let fix = f["fix"].as_str().unwrap();
    assert!(
        fix.contains("accepted the connection") && fix.contains("web server"),
        "{fix}"
    );
    assert!(!fix.contains("firewall"), "{fix}");
}

#[test]
fn a_fetch_cut_by_the_runs_deadline_blames_nobody() {
    let c = case(
        &format!("{STS}\n{RPT_OK}"),
        vec![(POLICY_PATH, Response::Silent)],
        true,
    );
    let connect = format!("mta-sts.contoso.test:443:127.0.0.1:{}", c.web.addr.port());
    let port = c.smtp_port.to_string();
    let r = probe_domain(
        &c.dns,
        &["contoso.test"],
        &[
            "-p",
            &port,
            "--connect-to",
            &connect,
            "--timeout",
            "20",
            "--deadline",
            "3",
        ],
    );
    schema_check::assert_valid(&r.json(), "a fetch cut by the deadline");
    assert_absent(&r, "mta-sts-policy-fetch-failed");
    assert_absent(&r, "mta-sts-ok");
    let f = r.finding("policy-lookup-failed");
    assert_eq!(f["severity"], "info");
    assert!(f["summary"].as_str().unwrap().contains("--deadline"), "{f}");
    assert_eq!(
        policy(&r.json())["mta_sts"]["fetch"]["stopped_by_deadline"],
        true
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn mode_none_withdraws_and_advises_no_enforce() {
    let none = "version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n";
    let c = case(
        &format!("{STS}\n{RPT_OK}"),
        vec![(POLICY_PATH, Response::ok("text/plain", none.as_bytes()))],
        true,
    );
    let r = run_case(&c);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let f = r.finding("mta-sts-mode-testing");
    assert_eq!(f["severity"], "info");
    let text = format!("{} {}", f["summary"], f["fix"]);
    assert!(text.contains("withdraws MTA-STS"), "{text}");
    assert!(!text.contains("report failures"), "{text}");
    assert_absent(&r, "mta-sts-policy-irregular");
    assert_absent(&r, "mta-sts-mx-mismatch");
    assert_absent(&r, "mta-sts-ok");
}

#[test]
fn ok_does_not_say_nothing_to_change_beside_a_failing_mx() {
    let name = "mx1.contoso.test";
    let wrong = pki().chain(&LeafSpec::valid_for("other.contoso.test", pki().now, 120));
    let (smtp, ports) = serve_group(vec![(Scenario::postfix(name, &wrong), [127, 0, 0, 2], 0)]);
    let mut c = case(
        &format!("{STS}\n{RPT_OK}"),
        vec![(POLICY_PATH, Response::ok("text/plain", ENFORCE.as_bytes()))],
        true,
    );
    c.smtp_port = ports[0];
    c._smtp = smtp;
    let r = run_case(&c);
    assert_eq!(severity(&r, "cert-name-mismatch"), "fail");
    let ok = r.finding("mta-sts-ok");
    let summary = ok["summary"].as_str().unwrap();
    assert!(
        summary.contains("refuse to deliver to mx1.contoso.test"),
        "{summary}"
    );
    let fix = ok["fix"].as_str().unwrap();
    assert!(!fix.contains("Nothing to change"), "{fix}");
    assert!(
        fix.contains("itself needs no change") && fix.contains("mx1.contoso.test"),
        "{fix}"
    );
    // A domain finding: the headline does not end in " — contoso.test".
    assert!(
        !r.json()["headline"]
            .as_str()
            .unwrap()
            .ends_with("— contoso.test")
    );
}
