//! `starttls-check demo`: scripted servers on loopback, probed through the real pipeline, so a
//! newcomer sees every part of a report without any network. It succeeds when each scenario
//! produces the verdict and finding it was built to show.
//!
//! The domain scenario serves two MX hosts on 127.0.0.1-127.0.0.3 (Linux routes all of
//! 127.0.0.0/8 to loopback) from a built-in DNS table, so the MX lookup, the per-address probes
//! and the cross-endpoint diagnosis all run for real.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use time::OffsetDateTime;

use crate::diagnose::Code;
use crate::dns::{Mx, StaticResolver};
use crate::engine::{self, Event};
use crate::report::{self, Format, RenderOptions, Report, Verdict, redact};
use crate::scripted::{Ca, LeafSpec, Scenario, ScriptedServer, pki};
use crate::settings::Settings;
use crate::target::{Host, Target};
use crate::tls::TrustStore;

/// One scripted server of a case: a host name, its loopback address, and which of the case's
/// ports it listens on.
struct Server {
    host: &'static str,
    ip: [u8; 4],
    port: usize,
    scenario: Scenario,
}

struct Case {
    title: &'static str,
    /// A mail domain (MX lookup) or a host written in brackets.
    target: &'static str,
    /// The domain's MX records (preference, host); empty for a host target.
    mx: Vec<(u16, &'static str)>,
    servers: Vec<Server>,
    expect: (Verdict, Code),
    /// The port each port slot stands for (the demo listens on free ports, not on 25 and
    /// 587), said in the scenario's header; empty when the port plays no role.
    roles: &'static [u16],
}

impl Case {
    fn ports(&self) -> usize {
        self.servers.iter().map(|s| s.port + 1).max().unwrap_or(1)
    }
}

fn single(
    title: &'static str,
    host: &'static str,
    scenario: Scenario,
    expect: (Verdict, Code),
) -> Case {
    Case {
        title,
        target: host,
        mx: Vec::new(),
        servers: vec![Server {
            host,
            ip: [127, 0, 0, 1],
            port: 0,
            scenario,
        }],
        expect,
        roles: &[],
    }
}

/// The domain scenario: MX 10 with an expired certificate; MX 20 with two nodes behind one
/// name, one of which still presents its self-signed certificate.
fn domain_case(expired: &pki::Leaf, mx2: &pki::Leaf, self_signed: &pki::Leaf) -> Case {
    Case {
        title: "a domain with two MX hosts: mx1's certificate expired 3 days ago, and one of mx2's two nodes behind the load balancer still presents its self-signed certificate",
        target: "contoso.demo",
        mx: vec![(10, "mx1.contoso.demo"), (20, "mx2.contoso.demo")],
        servers: vec![
            Server {
                host: "mx1.contoso.demo",
                ip: [127, 0, 0, 1],
                port: 0,
                scenario: Scenario::exchange("mx1.contoso.demo", Some(expired)),
            },
            Server {
                host: "mx2.contoso.demo",
                ip: [127, 0, 0, 2],
                port: 0,
                scenario: Scenario::exchange("mx2.contoso.demo", Some(mx2)),
            },
            Server {
                host: "mx2.contoso.demo",
                ip: [127, 0, 0, 3],
                port: 0,
                scenario: Scenario::exchange("EXCH02.contoso.local", Some(self_signed)),
            },
        ],
        expect: (Verdict::Fail, Code::CertExpired),
        roles: &[],
    }
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
    let mx2 = with_chain(&LeafSpec::valid_for("mx2.contoso.demo", now, 200))?;
    let self_signed = pki::self_signed(&LeafSpec {
        names: vec!["EXCH02".into()],
        ..LeafSpec::valid_for("EXCH02", now, 1800)
    })?;
    let wrong_name = with_chain(&LeafSpec::valid_for("www.fabrikam.demo", now, 200))?;
    let hybrid = with_chain(&LeafSpec::valid_for("mail.notls.demo", now, 300))?;
    let cases = vec![
        single(
            "a healthy Postfix with a complete chain",
            "mail.demo.test",
            Scenario::postfix("mail.demo.test", &healthy),
            (Verdict::Pass, Code::StarttlsOk),
        ),
        domain_case(&expired, &mx2, &self_signed),
        single(
            "a certificate for another name",
            "mx.wrongname.demo",
            Scenario::postfix("mx.wrongname.demo", &wrong_name),
            (Verdict::Fail, Code::CertNameMismatch),
        ),
        Case {
            title: "Exchange: the port-25 receive connector offers no STARTTLS while port 587 does",
            target: "mail.notls.demo",
            mx: Vec::new(),
            servers: vec![
                Server {
                    host: "mail.notls.demo",
                    ip: [127, 0, 0, 1],
                    port: 0,
                    scenario: Scenario::exchange("mail.notls.demo", None),
                },
                Server {
                    host: "mail.notls.demo",
                    ip: [127, 0, 0, 1],
                    port: 1,
                    scenario: Scenario::exchange("mail.notls.demo", Some(&hybrid)),
                },
            ],
            expect: (Verdict::Fail, Code::StarttlsPortMismatch),
            roles: &[25, 587],
        },
    ];
    Ok((cases, root))
}

/// Starts a case's servers; the servers of one port slot share the port number on their
/// addresses. `None` when the system lacks a loopback address the case needs.
async fn start(case: &Case) -> anyhow::Result<Option<(Vec<ScriptedServer>, Vec<u16>)>> {
    'attempt: for _ in 0..20 {
        let mut ports = vec![0u16; case.ports()];
        let mut servers = Vec::new();
        for s in &case.servers {
            let ip = IpAddr::V4(Ipv4Addr::from(s.ip));
            match ScriptedServer::start(s.scenario.clone(), ip, ports[s.port]).await {
                Ok(server) => {
                    ports[s.port] = server.addr.port();
                    servers.push(server);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue 'attempt,
                Err(e) if e.kind() == std::io::ErrorKind::AddrNotAvailable => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
        return Ok(Some((servers, ports)));
    }
    anyhow::bail!(
        "could not find a free port on every loopback address for '{}'",
        case.title
    )
}

/// The table the case's names resolve through, and the target to probe.
fn resolver_and_target(case: &Case, ports: &[u16]) -> (StaticResolver, Target) {
    let mut resolver = StaticResolver::default();
    for s in &case.servers {
        let ips = resolver.hosts.entry(s.host.to_string()).or_default();
        let ip = IpAddr::V4(Ipv4Addr::from(s.ip));
        if !ips.contains(&ip) {
            ips.push(ip);
        }
    }
    if !case.mx.is_empty() {
        resolver.mx.insert(
            case.target.to_string(),
            case.mx
                .iter()
                .map(|(preference, exchange)| Mx {
                    preference: *preference,
                    exchange: (*exchange).to_string(),
                })
                .collect(),
        );
    }
    let target = Target {
        host: Host::Name(case.target.into()),
        port: (ports.len() == 1).then(|| ports[0]),
        // A host case is that host only, as `[host]` on the command line.
        bracketed: case.mx.is_empty(),
    };
    (resolver, target)
}

/// The command that probes one host of a case by hand (no DNS: `--resolve`).
fn command(case: &Case, host: &str, ports: &[u16], ca: &std::path::Path) -> String {
    let mut cmd = format!("starttls-check [{host}]");
    let used: Vec<u16> = {
        let mut v: Vec<u16> = case
            .servers
            .iter()
            .filter(|s| s.host == host)
            .map(|s| ports[s.port])
            .collect();
        v.dedup();
        v
    };
    match used.as_slice() {
        [one] => cmd.push_str(&format!(":{one}")),
        many => cmd.push_str(&format!(
            " -p {}",
            many.iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(",")
        )),
    }
    let mut ips: Vec<[u8; 4]> = case
        .servers
        .iter()
        .filter(|s| s.host == host)
        .map(|s| s.ip)
        .collect();
    ips.dedup();
    for ip in ips {
        cmd.push_str(&format!(" --resolve {host}:{}", Ipv4Addr::from(ip)));
    }
    cmd.push_str(&format!(" --ca-file {}", ca.display()));
    cmd
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
    let mut running = Vec::new();
    let mut text = String::from("Demo servers on loopback (Ctrl-C stops them):\n");
    for case in &cases {
        let Some((servers, ports)) = start(case).await? else {
            text.push_str(&format!(
                "\n# {} — skipped: this system has no 127.0.0.2/127.0.0.3\n",
                case.title
            ));
            continue;
        };
        text.push_str(&format!(
            "\n# {} (expect {} {})\n",
            case.title,
            case.expect.0.label(),
            case.expect.1
        ));
        let mut hosts: Vec<&str> = case.servers.iter().map(|s| s.host).collect();
        hosts.dedup();
        for host in hosts {
            text.push_str(&command(case, host, &ports, &ca));
            text.push('\n');
        }
        running.push(servers);
    }
    report::emit(out, &text)?;
    let _ = tokio::time::timeout(limit, tokio::signal::ctrl_c()).await;
    drop(running);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Probes one case's target through the engine, as `check` would.
async fn probe_case(
    resolver: &StaticResolver,
    target: Target,
    ports: Vec<u16>,
    trust: &TrustStore,
    now: OffsetDateTime,
) -> anyhow::Result<Report> {
    let settings = Settings::with_defaults(ports, trust.clone());
    let mut done = None;
    engine::run(&settings, resolver, now, vec![vec![target]], &mut |event| {
        if let Event::Report { report, .. } = event {
            done = Some(*report);
        }
    })
    .await;
    done.ok_or_else(|| anyhow::anyhow!("the demo run ended without a report"))
}

/// The line above a scenario's report: what it shows, whether it behaved as designed, and
/// which port plays which role (the demo listens on free ports, not on 25 and 587).
fn header(case: &Case, n: usize, total: usize, ok: bool, ports: &[u16], format: Format) -> String {
    let mark = if ok { "as designed" } else { "NOT as designed" };
    let roles: Vec<String> = ports
        .iter()
        .zip(case.roles)
        .map(|(p, r)| format!("port {p} plays port {r}"))
        .collect();
    let roles = if roles.is_empty() {
        String::new()
    } else {
        format!("; {}", roles.join(", "))
    };
    let header = format!(
        "demo {n}/{total}: {} (expect {} {}: {mark}{roles})",
        case.title,
        case.expect.0.label(),
        case.expect.1
    );
    if format == Format::Markdown {
        format!("_{header}_\n\n")
    } else {
        format!("── {header} ──\n")
    }
}

/// Runs the demo, writing every report to `out`. Returns whether every scenario behaved as
/// designed.
pub async fn run(format: Format, opts: RenderOptions, out: &mut dyn Write) -> anyhow::Result<bool> {
    let now = OffsetDateTime::now_utc();
    let (cases, root) = cases(now)?;
    let trust = TrustStore::from_certs([root.der()], None);
    let mut all_ok = true;
    let mut json = Vec::new();
    let (mut rows, mut counts) = (Vec::new(), report::batch::Counts::default());
    let total = cases.len();
    let mut redactor = redact::when(opts.redact);
    for (n, case) in cases.iter().enumerate() {
        let Some((servers, ports)) = start(case).await? else {
            let note = format!(
                "── demo {}/{total}: {} — skipped: this system has no 127.0.0.2/127.0.0.3 ──\n\n",
                n + 1,
                case.title
            );
            // A machine format's stdout holds only its document.
            match format {
                Format::Human | Format::Markdown => report::emit(out, &note)?,
                _ => report::emit(&mut std::io::stderr().lock(), &note)?,
            }
            continue;
        };
        let (resolver, target) = resolver_and_target(case, &ports);
        let mut report = probe_case(&resolver, target, ports.clone(), &trust, now).await?;
        drop(servers);
        redact::report(&mut redactor, &mut report);
        let ok = report.verdict == case.expect.0
            && report
                .findings
                .first()
                .is_some_and(|f| f.code == case.expect.1);
        all_ok &= ok;
        match format {
            Format::Json | Format::Nagios | Format::Prometheus => json.push(Box::new(report)),
            Format::Jsonl => {
                let line = redact::text(&mut redactor, report::render(&report, format, opts));
                report::emit(out, &line)?;
            }
            Format::Html => {
                counts.add(report.verdict);
                rows.push(report::batch::Row::of(&report));
            }
            Format::Human | Format::Markdown => {
                let header = header(case, n + 1, total, ok, &ports, format);
                // The tool line is said once, at the end.
                let opts = RenderOptions {
                    tool_line: false,
                    ..opts
                };
                // The next scenario's header line separates the reports; Markdown needs a blank.
                let gap = if format == Format::Markdown { "\n" } else { "" };
                let text = format!("{header}{}{gap}", report::render(&report, format, opts));
                report::emit(out, &redact::text(&mut redactor, text))?;
            }
        }
    }
    let html = report::batch::Batch {
        generated_at: now,
        planned: rows.len(),
        counts,
        rows,
    };
    finish(out, format, &json, &html, all_ok, &mut redactor)?;
    Ok(all_ok)
}

/// What the demo writes after the last scenario: the JSON array, the page, or the closing
/// lines.
fn finish(
    out: &mut dyn Write,
    format: Format,
    json: &[Box<report::Report>],
    html: &report::batch::Batch,
    all_ok: bool,
    redactor: &mut Option<redact::Redactor>,
) -> anyhow::Result<()> {
    let text = match format {
        Format::Json => report::json::pretty(json),
        Format::Jsonl => return Ok(()),
        Format::Html => report::html::render(html),
        // The scenarios as one batch: a check's status line, or one exposition. The exit
        // code still says whether every scenario behaved as designed.
        Format::Nagios | Format::Prometheus => {
            let doc =
                report::batch::Document::new(json, html.generated_at, None, json.len(), false);
            report::render_document(&doc, format, &[])
        }
        Format::Human | Format::Markdown => format!(
            "demo: {} — the reports above came from scripted servers on loopback; try `starttls-check <your-domain>` next.\n{} {} · {}\n",
            if all_ok {
                "every scenario behaved as designed"
            } else {
                "some scenarios did NOT behave as designed"
            },
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION"),
            crate::cert::rfc3339(html.generated_at)
        ),
    };
    report::emit(out, &redact::text(redactor, text))?;
    Ok(())
}
