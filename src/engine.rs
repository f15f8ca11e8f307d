//! The engine: plans the endpoints of every job, probes them under the concurrency and
//! per-address rules, diagnoses each job and assembles its report, and hands each report over
//! as soon as its last endpoint is done.
//!
//! A job is what one report covers. `check` makes one job of all its targets (one merged
//! report); batch mode will make one job per target. An endpoint that several jobs share (an
//! MX host two domains name) is probed once, and its observation serves every job.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use time::OffsetDateTime;
use tokio::sync::{Mutex, Semaphore};

use crate::diagnose::{self, Finding, merge, rules};
use crate::dns::Resolver;
use crate::dns::route::{self, Route};
use crate::evidence::Evidence;
use crate::model::{Endpoint, EndpointId, Observation};
use crate::probe::{self, ProbeConfig};
use crate::report::{self, Report};
use crate::settings::Settings;
use crate::target::Target;

/// What the engine tells its caller while it runs.
#[derive(Debug)]
pub enum Event<'a> {
    /// `done` of `total` endpoints are probed; `waiting` is one still awaited.
    Progress {
        /// Endpoints finished.
        done: usize,
        /// Endpoints planned.
        total: usize,
        /// The label of one endpoint still awaited.
        waiting: Option<&'a str>,
    },
    /// The report of job `job` (its index in the list given) is complete.
    Report {
        /// The job's index.
        #[cfg_attr(
            not(test),
            expect(dead_code, reason = "batch mode reads it; check and demo run one job")
        )]
        job: usize,
        /// Its report.
        report: Box<Report>,
    },
}

/// One job: its targets, what DNS said about them, and the probes it waits for.
struct Plan {
    targets: Vec<Target>,
    routes: Vec<Route>,
    /// Indices into the run's probe list, in report order.
    probes: Vec<usize>,
    /// How many of them are still running.
    remaining: usize,
}

/// The observations of a run, kept until the last job that needs each one has its report.
struct Observed {
    slots: Vec<Option<Observation>>,
    /// How many unreported jobs need each probe.
    users: Vec<usize>,
}

impl Observed {
    fn new(plans: &[Plan], probes: usize) -> Self {
        let mut users = vec![0; probes];
        for p in plans {
            for &i in &p.probes {
                users[i] += 1;
            }
        }
        Observed {
            slots: vec![None; probes],
            users,
        }
    }

    /// The observations of `plan`, in its order; the last job to need one takes it instead
    /// of copying it.
    fn for_job(&mut self, plan: &Plan) -> Vec<Observation> {
        plan.probes
            .iter()
            .filter_map(|&i| {
                self.users[i] -= 1;
                if self.users[i] == 0 {
                    self.slots[i].take()
                } else {
                    self.slots[i].clone()
                }
            })
            .collect()
    }
}

/// The endpoints of every job, each probed once: the probe list and, per job, its indices.
fn plan(
    jobs: Vec<Vec<Target>>,
    routes: Vec<Route>,
    settings: &Settings,
) -> (Vec<Plan>, Vec<Endpoint>) {
    let mut routes = routes.into_iter();
    let mut probes: Vec<Endpoint> = Vec::new();
    let mut index: HashMap<EndpointId, usize> = HashMap::new();
    let plans = jobs
        .into_iter()
        .map(|targets| {
            let routes: Vec<Route> = routes.by_ref().take(targets.len()).collect();
            let probes: Vec<usize> = route::endpoints(&routes, settings.implicit_tls)
                .into_iter()
                .map(|ep| {
                    *index.entry(ep.id()).or_insert_with(|| {
                        probes.push(ep);
                        probes.len() - 1
                    })
                })
                .collect();
            Plan {
                targets,
                routes,
                remaining: probes.len(),
                probes,
            }
        })
        .collect();
    (plans, probes)
}

/// Runs `jobs` (each a list of targets that share one report) and reports each through
/// `events` as soon as it is complete; progress is reported as endpoints finish.
pub async fn run<R: Resolver>(
    settings: &Settings,
    resolver: &R,
    now: OffsetDateTime,
    jobs: Vec<Vec<Target>>,
    events: &mut (dyn FnMut(Event<'_>) + Send),
) {
    let deadline = Instant::now() + settings.overall;
    let all: Vec<Target> = jobs.iter().flatten().cloned().collect();
    let routes = route::resolve(&all, &settings.routing, resolver, deadline).await;
    let described = resolver.describe();
    let (mut plans, probes) = plan(jobs, routes, settings);
    let total = probes.len();
    let labels: Vec<String> = probes.iter().map(Endpoint::label).collect();
    let mut pending: BTreeSet<usize> = (0..total).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); total];
    for (job, p) in plans.iter().enumerate() {
        for &i in &p.probes {
            dependents[i].push(job);
        }
    }
    let mut observed = Observed::new(&plans, total);
    let mut probe_cfg = settings.probe.clone();
    probe_cfg.deadline = deadline;
    let (mut set, task_index) = spawn_probes(probes, Arc::new(probe_cfg), settings.concurrency);
    let report = |job: usize,
                  plan: &Plan,
                  observed: &mut Observed,
                  events: &mut (dyn FnMut(Event<'_>) + Send)| {
        let report = diagnose_job(plan, observed.for_job(plan), settings, &described, now);
        events(Event::Report {
            job,
            report: Box::new(report),
        });
    };
    events(Event::Progress {
        done: 0,
        total,
        waiting: pending.first().map(|&i| labels[i].as_str()),
    });
    // A job with nothing to probe (NXDOMAIN, a null MX) is complete at once.
    for (job, p) in plans.iter().enumerate() {
        if p.probes.is_empty() {
            report(job, p, &mut observed, events);
        }
    }
    let mut blocklists = crate::dns::dnsbl::Cache::new();
    while let Some(joined) = set.join_next_with_id().await {
        // A probe never fails, but a panic in one must not hold back its jobs' reports: they
        // are made without it, as if it had not been planned.
        let i = match joined {
            Ok((_, (i, mut obs))) => {
                // Blocklists for the address the server saw, when called for: a phase of its
                // own after the probe, before the rules (which stay pure).
                let (step, dnsbl) = (settings.probe.step_timeout, &settings.dnsbl);
                let cache = &mut blocklists;
                crate::dns::dnsbl::attach(&mut obs, dnsbl, resolver, step, deadline, cache).await;
                observed.slots[i] = Some(obs);
                i
            }
            Err(e) => match task_index.get(&e.id()) {
                Some(&i) => i,
                None => continue,
            },
        };
        pending.remove(&i);
        events(Event::Progress {
            done: total - pending.len(),
            total,
            waiting: pending.first().map(|&i| labels[i].as_str()),
        });
        for &job in &dependents[i] {
            let p = &mut plans[job];
            p.remaining -= 1;
            if p.remaining == 0 {
                report(job, p, &mut observed, events);
            }
        }
    }
}

/// Starts every probe (with each task's probe index): at most `concurrency` at once, and never two connections to one
/// address and port (mail servers rate-limit by client address, even when two names lead
/// there).
fn spawn_probes(
    probes: Vec<Endpoint>,
    cfg: Arc<ProbeConfig>,
    concurrency: usize,
) -> (
    tokio::task::JoinSet<(usize, Observation)>,
    HashMap<tokio::task::Id, usize>,
) {
    let limit = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut per_address: HashMap<SocketAddr, Arc<Mutex<()>>> = HashMap::new();
    let mut set = tokio::task::JoinSet::new();
    let mut index = HashMap::new();
    for (i, ep) in probes.into_iter().enumerate() {
        let (cfg, limit) = (cfg.clone(), limit.clone());
        let lock = per_address.entry(ep.address).or_default().clone();
        let task = set.spawn(async move {
            let _one_per_address = lock.lock_owned().await;
            let _permit = limit.acquire_owned().await;
            (i, probe::probe(ep, &cfg).await)
        });
        index.insert(task.id(), i);
    }
    (set, index)
}

/// Everything one job's report says: DNS findings, each endpoint's findings, the
/// comparisons across endpoints, merged and ranked.
fn diagnose_job(
    plan: &Plan,
    observed: Vec<Observation>,
    settings: &Settings,
    resolver: &str,
    now: OffsetDateTime,
) -> Report {
    let mut findings = Vec::new();
    let mut host_findings = Vec::new();
    for r in &plan.routes {
        findings.extend(rules::dns::route_rules(r, resolver));
        let per_host: Vec<Vec<Finding>> = r
            .hosts
            .iter()
            .map(|h| rules::dns::host_rules(r, h, resolver))
            .collect();
        findings.extend(per_host.iter().flatten().cloned());
        host_findings.push(per_host);
    }
    if let Some(problem) = settings.probe.trust.native_problem() {
        findings.push(diagnose::diagnose_trust_store(problem));
    }
    let evidence: Vec<Evidence> = observed
        .into_iter()
        .map(|o| Evidence::derive(o, now))
        .collect();
    let cross = rules::cross::rules(&evidence);
    let mut per_endpoint: Vec<Vec<Finding>> = evidence
        .iter()
        .map(|e| diagnose::diagnose(e, &settings.policy, now))
        .collect();
    rules::honest::settle_across(
        &evidence,
        &cross,
        &mut per_endpoint,
        rules::honest::RELAY_PORT,
    );
    let mx = report::mx_reports(
        &plan.routes,
        &host_findings,
        &evidence,
        &per_endpoint,
        &cross,
    );
    let ids: Vec<EndpointId> = evidence.iter().map(|e| e.id.clone()).collect();
    findings.extend(per_endpoint.into_iter().flatten());
    findings.extend(cross);
    let mut findings = merge::merge_shared(findings, &ids);
    report::order_for_reading(&mut findings, &ids);
    let target = plan
        .targets
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    let endpoints = evidence
        .iter()
        .map(report::EndpointReport::from_evidence)
        .collect();
    let mut report = Report::new(target, findings, endpoints, mx, now);
    report.probe_host = settings.probe.local_hostname.clone();
    report
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::net::{IpAddr, Ipv4Addr};

    use super::*;
    use crate::dns::{Mx, StaticResolver};
    use crate::report::Verdict;
    use crate::scripted::{Ca, LeafSpec, OnConnect, Scenario, ScriptedServer};
    use crate::target::Host;
    use crate::tls::TrustStore;

    fn mx(host: &str) -> Vec<Mx> {
        vec![Mx {
            preference: 10,
            exchange: host.into(),
        }]
    }

    /// Two domains share one MX host, a third target is a silent host: the shared endpoint
    /// is probed once and serves both reports, and the two complete reports are handed over
    /// before the silent host's timeout ends its own.
    #[tokio::test]
    async fn each_job_gets_its_report_as_soon_as_its_endpoints_are_done() {
        let now = OffsetDateTime::now_utc();
        let root = Ca::root("Engine Test Root", now).unwrap();
        let leaf = root
            .leaf(&LeafSpec::valid_for("mx.shared.test", now, 90))
            .unwrap();
        let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let healthy =
            ScriptedServer::start(Scenario::postfix("mx.shared.test", &leaf), loopback, 0)
                .await
                .unwrap();
        let port = healthy.addr.port();
        let mut silent = Scenario::postfix("slow.test", &leaf);
        silent.on_connect = OnConnect::Silent;
        let silent =
            ScriptedServer::start(silent, IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)), port).await;
        let Ok(silent) = silent else {
            return; // no 127.0.0.2 here (not Linux): nothing to compare against
        };
        let mut resolver = StaticResolver::default();
        resolver
            .hosts
            .insert("mx.shared.test".into(), vec![loopback]);
        resolver
            .hosts
            .insert("slow.test".into(), vec![silent.addr.ip()]);
        resolver.mx.insert("a.test".into(), mx("mx.shared.test"));
        resolver.mx.insert("b.test".into(), mx("mx.shared.test"));
        let mut settings =
            Settings::with_defaults(vec![port], TrustStore::from_certs([root.der()], None));
        settings.probe.step_timeout = std::time::Duration::from_millis(700);
        let target = |name: &str, bracketed: bool| Target {
            host: Host::Name(name.into()),
            port: None,
            bracketed,
        };
        let jobs = vec![
            vec![target("slow.test", true)],
            vec![target("a.test", false)],
            vec![target("b.test", false)],
        ];
        let mut reports: Vec<(usize, Box<Report>)> = Vec::new();
        run(&settings, &resolver, now, jobs, &mut |e| {
            if let Event::Report { job, report } = e {
                reports.push((job, report));
            }
        })
        .await;
        let order: Vec<usize> = reports.iter().map(|(j, _)| *j).collect();
        assert_eq!(
            order,
            [1, 2, 0],
            "complete jobs first, the silent host last"
        );
        for (job, r) in &reports {
            match job {
                0 => assert_eq!(r.verdict, Verdict::Fail, "{}", r.headline),
                _ => {
                    assert_eq!(r.verdict, Verdict::Pass, "{}", r.headline);
                    assert_eq!(r.endpoints.len(), 1);
                }
            }
        }
        assert_eq!(reports[0].1.target, "a.test");
        assert_eq!(reports[1].1.target, "b.test");
        assert_eq!(
            healthy.connections(),
            1,
            "the MX host both domains name is probed once"
        );
    }
}
