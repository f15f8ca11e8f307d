//! `starttls-check demo`: scripted servers on 127.0.0.1, probed through the real pipeline, so
//! a newcomer sees every part of a report without any network. It succeeds when each scenario
//! produces the verdict and finding it was built to show.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::app::{Family, RunConfig, execute};
use crate::diagnose::{Code, Policy};
use crate::dns::StaticResolver;
use crate::probe::ProbeConfig;
use crate::report::{self, Format, RenderOptions, Verdict};
use crate::scripted::{Ca, LeafSpec, OnConnect, Scenario, ScriptedServer, pki};
use crate::target::{Host, Target};
use crate::tls::TrustStore;

struct Case {
    title: &'static str,
    host: &'static str,
    scenario: Scenario,
    expect: (Verdict, Code),
}

fn cases(now: OffsetDateTime) -> anyhow::Result<(Vec<Case>, Ca)> {
    let root = Ca::root("starttls-check Demo Root CA", now)?;
    let issuing = root.intermediate("starttls-check Demo Issuing CA", now)?;
    let with_chain = |spec: &LeafSpec| -> anyhow::Result<pki::Leaf> {
        let mut leaf = issuing.leaf(spec)?;
        leaf.chain.push(issuing.der());
        Ok(leaf)
    };
    let healthy = with_chain(&LeafSpec::valid_for("mail.demo.test", now, 80))?;
    let mut expired_spec = LeafSpec::valid_for("mx1.contoso.demo", now, 0);
    expired_spec.not_before = now - time::Duration::days(93);
    expired_spec.not_after = now - time::Duration::days(3);
    let expired = with_chain(&expired_spec)?;
    let self_signed = pki::self_signed(&LeafSpec {
        names: vec!["EXCH02".into()],
        ..LeafSpec::valid_for("EXCH02", now, 1800)
    })?;
    let wrong_name = with_chain(&LeafSpec::valid_for("www.fabrikam.demo", now, 200))?;
    let mut closed = Scenario::postfix("down.demo.test", &healthy);
    closed.on_connect = OnConnect::Close;
    let cases = vec![
        Case {
            title: "a healthy Postfix with a complete chain",
            host: "mail.demo.test",
            scenario: Scenario::postfix("mail.demo.test", &healthy),
            expect: (Verdict::Pass, Code::StarttlsOk),
        },
        Case {
            title: "Exchange after a missed renewal: the certificate expired 3 days ago",
            host: "mx1.contoso.demo",
            scenario: Scenario::exchange("mx1.contoso.demo", Some(&expired)),
            expect: (Verdict::Fail, Code::CertExpired),
        },
        Case {
            title: "one Exchange node behind the load balancer still presents its self-signed certificate",
            host: "mx2.contoso.demo",
            scenario: Scenario::exchange("EXCH02.contoso.local", Some(&self_signed)),
            expect: (Verdict::Fail, Code::CertSelfSigned),
        },
        Case {
            title: "a certificate for another name",
            host: "mx.wrongname.demo",
            scenario: Scenario::postfix("mx.wrongname.demo", &wrong_name),
            expect: (Verdict::Fail, Code::CertNameMismatch),
        },
        Case {
            title: "Exchange receive connector without STARTTLS (no SMTP certificate bound)",
            host: "mail.notls.demo",
            scenario: Scenario::exchange("mail.notls.demo", None),
            expect: (Verdict::Fail, Code::StarttlsNotOffered),
        },
    ];
    Ok((cases, root))
}

/// Keeps the demo's servers running for `limit` (or until Ctrl-C) and prints how to probe
/// each one, for trying the tool by hand and for benchmarks.
pub async fn serve(limit: Duration, out: &mut dyn Write) -> anyhow::Result<()> {
    let now = OffsetDateTime::now_utc();
    let (cases, root) = cases(now)?;
    let dir = std::env::temp_dir().join(format!("starttls-check-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let ca = dir.join("demo-root.pem");
    std::fs::write(&ca, root.pem())?;
    let mut servers = Vec::new();
    let mut text = String::from("Demo servers on 127.0.0.1 (Ctrl-C stops them):\n");
    for case in cases {
        let server =
            ScriptedServer::start(case.scenario, IpAddr::V4(Ipv4Addr::LOCALHOST), 0).await?;
        text.push_str(&format!(
            "\n# {} (expect {} {})\nstarttls-check {}:{} --resolve {}:127.0.0.1 --ca-file {}\n",
            case.title,
            case.expect.0.label(),
            case.expect.1,
            case.host,
            server.addr.port(),
            case.host,
            ca.display()
        ));
        servers.push(server);
    }
    report::emit(out, &text)?;
    let _ = tokio::time::timeout(limit, tokio::signal::ctrl_c()).await;
    drop(servers);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Runs the demo, writing every report to `out`. Returns whether every scenario behaved as
/// designed.
pub async fn run(format: Format, opts: RenderOptions, out: &mut dyn Write) -> anyhow::Result<bool> {
    let now = OffsetDateTime::now_utc();
    let (cases, root) = cases(now)?;
    let trust = TrustStore::from_certs([root.der()], None);
    let mut all_ok = true;
    let mut json = Vec::new();
    let total = cases.len();
    for (n, case) in cases.into_iter().enumerate() {
        let server =
            ScriptedServer::start(case.scenario, IpAddr::V4(Ipv4Addr::LOCALHOST), 0).await?;
        let cfg = RunConfig {
            targets: vec![Target {
                host: Host::Name(case.host.into()),
                port: Some(server.addr.port()),
                bracketed: false,
            }],
            ports: vec![25],
            implicit_tls: false,
            family: Family::Any,
            overrides: [(case.host.to_string(), vec![server.addr.ip()])].into(),
            probe: ProbeConfig {
                ehlo_name: None,
                local_hostname: None,
                step_timeout: Duration::from_secs(5),
                deadline: Instant::now(),
                trust: trust.clone(),
                sni_fallback: None,
            },
            overall: Duration::from_secs(20),
            policy: Policy::default(),
            concurrency: 4,
        };
        let report = execute(&cfg, &StaticResolver::default(), now).await;
        let ok = report.verdict == case.expect.0
            && report
                .findings
                .first()
                .is_some_and(|f| f.code == case.expect.1);
        all_ok &= ok;
        match format {
            Format::Json => json.push(report),
            _ => {
                let mark = if ok { "as designed" } else { "NOT as designed" };
                let header = format!(
                    "── demo {}/{total}: {} (expect {} {}: {mark}) ──\n",
                    n + 1,
                    case.title,
                    case.expect.0.label(),
                    case.expect.1
                );
                let header = if format == Format::Markdown {
                    format!("<!-- {} -->\n", header.trim())
                } else {
                    header
                };
                report::emit(
                    out,
                    &format!("{header}{}\n", report::render(&report, format, opts)),
                )?;
            }
        }
    }
    match format {
        Format::Json => report::emit(out, &format!("{}\n", serde_json::to_string_pretty(&json)?))?,
        _ => report::emit(
            out,
            &format!(
                "demo: {} — the reports above came from scripted servers on 127.0.0.1; try `starttls-check <your-mx-host>` next.\n",
                if all_ok {
                    "every scenario behaved as designed"
                } else {
                    "some scenarios did NOT behave as designed"
                }
            ),
        )?,
    }
    Ok(all_ok)
}
