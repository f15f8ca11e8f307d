//! The engine: plans the endpoints of every job, probes them under the concurrency and
//! per-address rules, diagnoses each job and assembles its report, and hands each report over
//! as soon as its last endpoint is done.
//!
//! A job is what one report covers: one target (batch mode makes one job per target). An
//! endpoint that several jobs share (an MX host two domains name) is probed once while it
//! is in use or among the last [`KEEP_RECENT`] probed, and its observation serves every job.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Instant;

use futures_util::StreamExt;
use time::OffsetDateTime;
use tokio::sync::{Mutex, Semaphore, mpsc};

use crate::diagnose::{self, Finding, merge, rules};
use crate::dns::Resolver;
use crate::dns::route::{self, Route};
use crate::evidence::{Evidence, ServerKind};
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
        job: usize,
        /// Its report.
        report: Box<Report>,
    },
}

/// How many recently probed endpoints stay cached after the last job that named them is
/// reported: a popular MX host (a hosting provider's) that later targets name again is then
/// not probed again, while a survey's memory stays bounded by this, not by its length.
const KEEP_RECENT: usize = 512;

/// One endpoint's probe, shared by every job that names it while it runs or is cached.
type Cell = tokio::sync::OnceCell<Option<Observation>>;

/// What a job tells the run while it works, for the progress events.
enum Tick {
    /// These endpoints (numbered within the run) are planned.
    Planned(Vec<(u64, String)>),
    /// This one is done.
    Done(u64),
}

/// What every job of a run shares: the probe settings, the limits, the probes in flight and
/// recently done, and the blocklist answers.
struct Shared<'a> {
    settings: &'a Settings,
    cfg: Arc<ProbeConfig>,
    /// One report's run has one deadline for everything; in a batch each target's DNS
    /// starts its own clock, and each probe its own when it gets its turn, so a long queue
    /// never eats a later target's time.
    run_deadline: Option<Instant>,
    limit: Arc<Semaphore>,
    per_address: std::sync::Mutex<HashMap<SocketAddr, Weak<Mutex<()>>>>,
    probes: std::sync::Mutex<HashMap<EndpointId, Weak<Cell>>>,
    recent: std::sync::Mutex<VecDeque<Arc<Cell>>>,
    blocklists: Mutex<crate::dns::dnsbl::Cache>,
    /// The CRL and CA Issuers fetches of the run, once per URL.
    fetches: crate::revocation::Cache,
    ticks: mpsc::UnboundedSender<Tick>,
    numbered: AtomicU64,
    lookups: Semaphore,
    started: Instant,
}

/// A map of weak entries: the live value for `key`, or a new one; dead entries are swept
/// when the map has doubled since the last sweep, so it stays as small as what is in use.
fn live<K: Eq + std::hash::Hash, V: Default>(
    map: &std::sync::Mutex<HashMap<K, Weak<V>>>,
    key: K,
) -> Arc<V> {
    let mut map = map
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(v) = map.get(&key).and_then(Weak::upgrade) {
        return v;
    }
    if map.len() >= 1024 && map.len() == map.capacity() {
        map.retain(|_, v| v.strong_count() > 0);
    }
    let v = Arc::new(V::default());
    map.insert(key, Arc::downgrade(&v));
    v
}

impl Shared<'_> {
    /// The deadline of work that starts now.
    fn deadline_from_now(&self) -> Instant {
        self.run_deadline
            .unwrap_or_else(|| Instant::now() + self.settings.overall)
    }

    /// The observation of `ep`: probed once for every job that names it while the probe
    /// runs or is recently done; `None` when its probe panicked (the report is made without
    /// it, as if it had not been planned).
    async fn observe<R: Resolver>(
        &self,
        ep: Endpoint,
        n: u64,
        resolver: &R,
    ) -> Option<Observation> {
        let cell = live(&self.probes, ep.id());
        let own = ep.clone();
        let mut probed_here = false;
        cell.get_or_init(|| {
            probed_here = true;
            self.probe(ep, resolver)
        })
        .await;
        // One run of one job has no later job to keep it for; a batch keeps it a while.
        let keep = probed_here && self.run_deadline.is_none();
        // The last holder takes the observation instead of copying it (its transcript and
        // chain); a cell kept for later jobs, or awaited by another, is copied from.
        let mut obs = if keep {
            let obs = cell.get().cloned().flatten();
            let mut recent = self
                .recent
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if recent.len() == KEEP_RECENT {
                recent.pop_front();
            }
            recent.push_back(cell);
            obs
        } else {
            match Arc::try_unwrap(cell) {
                Ok(only) => only.into_inner().flatten(),
                Err(shared) => shared.get().cloned().flatten(),
            }
        };
        // The probe may have been another job's: the address, port and host are the same
        // (that is the endpoint's identity), but the domain whose MX led here, and its
        // preference, are this job's own.
        if let Some(o) = &mut obs {
            o.endpoint = own;
        }
        let _ = self.ticks.send(Tick::Done(n));
        obs
    }

    /// Probes `ep` on a task of its own (both cores share the handshakes), never two
    /// connections to one address and port at once (mail servers rate-limit by client
    /// address, even when two names lead there), at most `concurrency` at once; then its
    /// blocklist answers, when called for: a phase of its own after the probe, before the
    /// rules (which stay pure).
    async fn probe<R: Resolver>(&self, ep: Endpoint, resolver: &R) -> Option<Observation> {
        let lock = live(&self.per_address, ep.address);
        let limit = self.limit.clone();
        let cfg = self.cfg.clone();
        let (run_deadline, overall) = (self.run_deadline, self.settings.overall);
        let task = tokio::spawn(async move {
            let queued = Instant::now();
            let _one_per_address = lock.lock_owned().await;
            let _permit = limit.acquire_owned().await;
            let cfg = match run_deadline {
                Some(_) => cfg,
                None => Arc::new(ProbeConfig {
                    deadline: Instant::now() + overall,
                    ..(*cfg).clone()
                }),
            };
            // A turn that comes after the run's deadline (or at its very end) is reported
            // as never started, with how long it waited, not as a connection that waited
            // no time for an answer.
            if cfg.deadline.saturating_duration_since(Instant::now()) < probe::LEAST_BUDGET {
                return probe::unstarted(ep, &cfg, queued.elapsed());
            }
            probe::probe(ep, &cfg).await
        });
        let mut obs = task.await.ok()?;
        let (step, dnsbl) = (self.settings.probe.step_timeout, &self.settings.dnsbl);
        let deadline = self.deadline_from_now();
        {
            let mut cache = self.blocklists.lock().await;
            // What the server said about itself and about us, read as the evidence layer (and
            // so the rules) reads it: dns sits below that layer and is handed the reading.
            let greeted = crate::dns::dnsbl::Greeted {
                exchange_online: ServerKind::detect(&obs) == ServerKind::ExchangeOnline,
                seen_as: crate::evidence::seen_as(&obs),
            };
            crate::dns::dnsbl::attach(
                &mut obs, greeted, dnsbl, resolver, step, deadline, &mut cache,
            )
            .await;
        }
        // The chain's CRLs and CA Issuers certificate: after this endpoint's handshake,
        // beside the other endpoints' probes.
        let policy = &self.settings.domain_policy;
        crate::revocation::attach(&mut obs, policy, resolver, &self.fetches, deadline).await;
        Some(obs)
    }

    /// One job: its routes, its endpoints' observations, its report.
    async fn job<R: Resolver>(
        &self,
        targets: Vec<Target>,
        resolver: &R,
        described: &str,
        now: OffsetDateTime,
    ) -> Report {
        let routes = {
            // Lookups have a limit of their own, so that many jobs can wait for their probes
            // without as many lookups at once.
            let _lookup = self.lookups.acquire().await;
            let deadline = self.deadline_from_now();
            route::resolve(&targets, &self.settings.routing, resolver, deadline).await
        };
        let endpoints = route::endpoints(&routes, self.settings.implicit_tls);
        let first = self
            .numbered
            .fetch_add(endpoints.len() as u64, Ordering::Relaxed);
        let numbered: Vec<(u64, Endpoint)> = (first..).zip(endpoints).collect();
        let planned = numbered.iter().map(|(n, ep)| (*n, ep.label())).collect();
        let _ = self.ticks.send(Tick::Planned(planned));
        let observed = futures_util::future::join_all(
            numbered
                .into_iter()
                .map(|(n, ep)| self.observe(ep, n, resolver)),
        );
        // The domain's policy (DNSSEC, TLSA, MTA-STS, TLS-RPT) is looked up while the probes
        // run, never after them.
        let policy = {
            let deadline = self.deadline_from_now();
            crate::policy::gather(&routes, &self.settings.domain_policy, resolver, deadline)
        };
        let (observed, policies) = tokio::join!(observed, policy);
        let observed = observed.into_iter().flatten().collect();
        // A batch runs for hours: each report is judged at the time it is made.
        let now = match self.run_deadline {
            Some(_) => now,
            None => now + self.started.elapsed(),
        };
        // A bug in a rule must cost this target's report, not every report of a survey.
        let diagnosed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let job = Job {
                targets: &targets,
                routes: &routes,
                policies: &policies,
            };
            diagnose_job(&job, observed, self.settings, described, now)
        }));
        diagnosed.unwrap_or_else(|panic| failed_report(&targets, panic.as_ref(), now))
    }
}

/// A job's targets as its report names them.
fn target_text(targets: &[Target]) -> String {
    targets
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The report of a job whose diagnosis panicked: nothing could be judged, and the headline
/// says why, so that the user can report it.
fn failed_report(
    targets: &[Target],
    panic: &(dyn std::any::Any + Send),
    now: OffsetDateTime,
) -> Report {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    let target = target_text(targets);
    let mut report = Report::new(target.clone(), Vec::new(), Vec::new(), Vec::new(), now);
    report.headline = format!(
        "UNKNOWN {target}: starttls-check failed while judging this target (a bug; please \
         report it): {}",
        crate::smtp::escape(message.as_bytes())
    );
    report
}

/// The endpoints planned and not yet done, for the progress events.
#[derive(Default)]
struct Tally {
    planned: usize,
    waiting: BTreeMap<u64, String>,
}

impl Tally {
    fn tick(&mut self, tick: Tick) {
        match tick {
            Tick::Planned(eps) => {
                self.planned += eps.len();
                self.waiting.extend(eps);
            }
            Tick::Done(n) => {
                self.waiting.remove(&n);
            }
        }
    }

    fn event(&self) -> Event<'_> {
        Event::Progress {
            done: self.planned - self.waiting.len(),
            total: self.planned,
            waiting: self.waiting.values().next().map(String::as_str),
        }
    }
}

/// Runs `jobs` (each a list of targets that share one report) and reports each through
/// `events` as soon as it is complete; progress is reported as endpoints are planned and
/// finish. DNS lookups of several jobs run at once, as do their probes, under the limits.
/// One job runs under the run's deadline (`settings.overall` from now); in a batch, each
/// target's lookups and each probe get that much time from when they start.
pub async fn run<R: Resolver>(
    settings: &Settings,
    resolver: &R,
    now: OffsetDateTime,
    jobs: Vec<Vec<Target>>,
    events: &mut dyn FnMut(Event<'_>),
) {
    let run_deadline = (jobs.len() == 1).then(|| Instant::now() + settings.overall);
    let described = resolver.describe();
    let (ticks, mut tocks) = mpsc::unbounded_channel();
    let mut cfg = settings.probe.clone();
    if let Some(d) = run_deadline {
        cfg.deadline = d;
    }
    let shared = Shared {
        settings,
        cfg: Arc::new(cfg),
        run_deadline,
        limit: Arc::new(Semaphore::new(settings.concurrency.max(1))),
        per_address: std::sync::Mutex::default(),
        probes: std::sync::Mutex::default(),
        recent: std::sync::Mutex::default(),
        blocklists: Mutex::default(),
        fetches: crate::revocation::Cache::default(),
        ticks,
        numbered: AtomicU64::new(0),
        lookups: Semaphore::new(settings.concurrency.max(1) * 4),
        started: Instant::now(),
    };
    // Enough jobs under way that the probe slots stay busy while many of them wait for an
    // address another job holds (a provider's MX hosts share a few addresses), few enough
    // that a list of a million targets is not a million futures.
    let in_flight = settings.concurrency.max(1) * 16;
    let shared = &shared;
    let described = described.as_str();
    let mut reports =
        futures_util::stream::iter(jobs.into_iter().enumerate())
            .map(|(job, targets)| async move {
                (job, shared.job(targets, resolver, described, now).await)
            })
            .buffer_unordered(in_flight);
    let mut tally = Tally::default();
    events(tally.event());
    loop {
        tokio::select! {
            biased;
            Some(tick) = tocks.recv() => {
                tally.tick(tick);
                events(tally.event());
            }
            next = reports.next() => match next {
                Some((job, report)) => events(Event::Report { job, report: Box::new(report) }),
                None => break,
            },
        }
    }
}

/// What a job looked up before its endpoints were judged.
struct Job<'a> {
    targets: &'a [Target],
    routes: &'a [Route],
    policies: &'a [crate::policy::DomainPolicy],
}

/// Everything one job's report says: DNS findings, each endpoint's findings, the
/// comparisons across endpoints, the domain's policy, merged and ranked.
fn diagnose_job(
    job: &Job<'_>,
    observed: Vec<Observation>,
    settings: &Settings,
    resolver: &str,
    now: OffsetDateTime,
) -> Report {
    let (targets, routes) = (job.targets, job.routes);
    let (mut findings, host_findings) = dns_findings(routes, resolver);
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
    // DANE is derived once per endpoint: the rules judge it and the report shows it.
    let dane: Vec<Option<crate::policy::dane::DaneMatch>> = evidence
        .iter()
        .map(|e| crate::policy::dane::assess(job.policies, e, now))
        .collect();
    let policy_findings = policy_findings(job, &evidence, &dane, &mut per_endpoint, settings, now);
    let target = target_text(targets);
    let policy = &settings.policy;
    let baseline_only =
        rules::renewal::against_baseline(&target, &evidence, &mut per_endpoint, policy, now);
    // The MX table judges a host by everything said about its endpoints: the policy's
    // findings about them (a bogus TLSA answer, an MX outside the MTA-STS policy) count like
    // the comparisons across endpoints do.
    let about_hosts: Vec<Finding> = cross
        .iter()
        .chain(policy_findings.iter().filter(|f| !f.endpoints.is_empty()))
        .cloned()
        .collect();
    let mx = report::mx_reports(
        routes,
        &host_findings,
        &evidence,
        &per_endpoint,
        &about_hosts,
    );
    let ids: Vec<EndpointId> = evidence.iter().map(|e| e.id.clone()).collect();
    findings.extend(per_endpoint.into_iter().flatten());
    findings.extend(cross);
    findings.extend(baseline_only);
    findings.extend(policy_findings);
    let mut findings = merge::merge_shared(findings, &ids);
    report::order_for_reading(&mut findings, &ids);
    let endpoints = endpoint_reports(&evidence, dane, settings, now);
    let mut report = Report::new(target, findings, endpoints, mx, now);
    report.policy = report::policy::build(job.policies);
    report.probe_host = settings.probe.local_hostname.clone();
    report.expiry = report::Expiry {
        warn_days: settings.policy.warn_days,
        fail_days: settings.policy.fail_days,
    };
    report
}

/// What DNS says about the job's routes: the findings for the report, in route order, and
/// each route's per-host findings kept apart as well, because the MX table judges each
/// host by its own.
fn dns_findings(routes: &[Route], resolver: &str) -> (Vec<Finding>, Vec<Vec<Vec<Finding>>>) {
    let mut findings = Vec::new();
    let mut host_findings = Vec::new();
    for r in routes {
        findings.extend(rules::dns::route_rules(r, resolver));
        let per_host: Vec<Vec<Finding>> = r
            .hosts
            .iter()
            .map(|h| rules::dns::host_rules(r, h, resolver))
            .collect();
        findings.extend(per_host.iter().flatten().cloned());
        host_findings.push(per_host);
    }
    (findings, host_findings)
}

/// What the domain's policy decides: DANE per endpoint and MTA-STS and TLS-RPT per domain
/// come back as the policy's own findings; each chain's revocation, and whatever the policy
/// rules say about one endpoint alone, join that endpoint's findings.
fn policy_findings(
    job: &Job<'_>,
    evidence: &[Evidence],
    dane: &[Option<crate::policy::dane::DaneMatch>],
    per_endpoint: &mut [Vec<Finding>],
    settings: &Settings,
    now: OffsetDateTime,
) -> Vec<Finding> {
    let mut found = rules::dane::rules(
        job.policies,
        evidence,
        dane,
        per_endpoint,
        &settings.policy,
        now,
    );
    found.extend(rules::mta_sts::rules(
        job.policies,
        evidence,
        per_endpoint,
        now,
    ));
    for (e, own) in evidence.iter().zip(per_endpoint.iter_mut()) {
        own.extend(rules::revocation::rules(e, &settings.policy, now));
    }
    found
}

/// Each endpoint as the report shows it: its evidence, its DANE match, its chain's
/// revocation, and the client certificate it was offered, judged against the one given.
fn endpoint_reports(
    evidence: &[Evidence],
    dane: Vec<Option<crate::policy::dane::DaneMatch>>,
    settings: &Settings,
    now: OffsetDateTime,
) -> Vec<report::EndpointReport> {
    evidence
        .iter()
        .zip(dane)
        .map(|(e, dane)| {
            let mut r = report::EndpointReport::from_evidence(e);
            r.dane = dane;
            r.revocation = crate::revocation::report(e);
            r.client_auth = e.obs.client_auth.as_ref().map(|a| {
                report::ClientAuthDto::new(a, settings.policy.client_cert.as_deref(), now)
            });
            r
        })
        .collect()
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

#[cfg(test)]
mod batch_tests {
    #![allow(clippy::unwrap_used)]

    use std::net::{IpAddr, Ipv4Addr};

    use super::*;
    use crate::dns::StaticResolver;
    use crate::report::Verdict;
    use crate::scripted::{Ca, LeafSpec, Scenario, ScriptedServer};
    use crate::target::Host;
    use crate::tls::TrustStore;

    /// More jobs than the window and the lookup limit hold, on few addresses: every job is
    /// reported exactly once, and every name is its own endpoint, probed once.
    #[tokio::test]
    async fn a_long_batch_reports_every_job_once() {
        let now = OffsetDateTime::now_utc();
        let root = Ca::root("Engine Batch Root", now).unwrap();
        let mut leaf_spec = LeafSpec::valid_for("mx.batch.test", now, 90);
        leaf_spec.names = vec!["*.batch.test".into()];
        let leaf = root.leaf(&leaf_spec).unwrap();
        let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let server = ScriptedServer::start(Scenario::postfix("mx.batch.test", &leaf), loopback, 0)
            .await
            .unwrap();
        let mut resolver = StaticResolver::default();
        let n = 150;
        let jobs: Vec<Vec<Target>> = (0..n)
            .map(|i| {
                let name = format!("h{i:03}.batch.test");
                resolver.hosts.insert(name.clone(), vec![loopback]);
                vec![Target {
                    host: Host::Name(name),
                    port: None,
                    bracketed: true,
                }]
            })
            .collect();
        let mut settings = Settings::with_defaults(
            vec![server.addr.port()],
            TrustStore::from_certs([root.der()], None),
        );
        // A window of 32 jobs and 8 lookups at once: 150 jobs cross both many times.
        settings.concurrency = 2;
        let mut seen = vec![0u32; n];
        run(&settings, &resolver, now, jobs, &mut |e| {
            if let Event::Report { job, report } = e {
                seen[job] += 1;
                assert_eq!(report.verdict, Verdict::Pass, "{}", report.headline);
                assert_eq!(report.target, format!("[h{job:03}.batch.test]"));
            }
        })
        .await;
        assert!(seen.iter().all(|&c| c == 1), "{seen:?}");
        assert_eq!(server.connections(), n, "one connection per name");
    }

    #[test]
    fn the_weak_maps_sweep_what_nobody_uses() {
        let map: std::sync::Mutex<HashMap<u32, Weak<()>>> = std::sync::Mutex::default();
        let held: Vec<Arc<()>> = (0..10).map(|k| live(&map, k)).collect();
        for k in 10..5000 {
            drop(live(&map, k));
        }
        let len = map.lock().unwrap().len();
        assert!(len < 2100, "dead entries are swept: {len}");
        // A live entry is found again, not replaced.
        assert!(Arc::ptr_eq(&live(&map, 3), &held[3]));
    }
}
