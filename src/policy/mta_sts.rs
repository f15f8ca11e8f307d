//! MTA-STS (RFC 8461): the `_mta-sts` TXT record, the policy fetched from
//! `https://mta-sts.DOMAIN/.well-known/mta-sts.txt`, its syntax, and every MX matched against
//! its `mx:` patterns.
//!
//! `observe` only looks up and fetches; everything else here is a pure function of what it
//! got ([`assess`]), shared by the report and the rules (`diagnose/rules/mta_sts.rs`), so the
//! JSON and the findings can never disagree.
//!
//! # References
//! - RFC 8461 §3.1 (the TXT record), §3.2 (the policy file), §3.3 (the fetch), §4.1 (MX
//!   matching), errata 6253, 6285 (whitespace and line ends), 7282 (max_age)

use std::collections::BTreeMap;
use std::time::Instant;

use super::{Answer, DomainPolicy, MtaStsObservation, dns};
use crate::dns::Resolver;
use crate::fetch::{Fetch, FetchConfig, Redirects};

/// The largest policy body read: RFC 8461 §3.3 suggests senders cap the body (Mail::STS uses
/// 64 KiB); a bigger one is refused as a fetch failure.
pub const POLICY_CAP: usize = 64 * 1024;

/// The largest `max_age` (RFC 8461 §3.2, erratum 7282): one year of seconds.
pub const MAX_AGE_MAX: u64 = 31_557_600;

/// Below this `max_age` (a week) a policy protects little: RFC 8461 §3.2 recommends weeks or
/// more, since an attacker who strips the record after expiry wins.
pub const MAX_AGE_SHORT: u64 = 604_800;

/// The TXT lookup and, when a `v=STSv1` record is published, the policy fetch.
pub async fn observe<R: Resolver>(
    client: &dns::Client,
    domain: &str,
    fetch: &FetchConfig,
    resolver: &R,
    deadline: Instant,
) -> MtaStsObservation {
    let txt = client.txt(&format!("_mta-sts.{domain}"), deadline).await;
    let policy_url = format!("https://mta-sts.{domain}/.well-known/mta-sts.txt");
    // Senders fetch the policy only when a TXT record announces one (RFC 8461 §3.3), so a
    // missing policy host matters to nobody then; and a checker must not probe web hosts
    // the domain never pointed at.
    let announced = matches!(&txt.answer, Answer::Records(r) if r.iter().any(|t| is_sts(t)));
    let fetch = if announced {
        // Redirects are never followed for the policy (RFC 8461 §3.3).
        let f = crate::fetch::get(
            &policy_url,
            Redirects::Never,
            POLICY_CAP,
            fetch,
            resolver,
            deadline,
        );
        Some(f.await)
    } else {
        None
    };
    MtaStsObservation {
        txt,
        policy_url,
        fetch,
    }
}

/// A record that announces MTA-STS: `v=STSv1` then `;` (whitespace allowed between, RFC
/// 8461 §3.1 `sts-sep`).
fn is_sts(record: &str) -> bool {
    record
        .trim_start_matches([' ', '\t'])
        .strip_prefix("v=STSv1")
        .is_some_and(|rest| rest.trim_start_matches([' ', '\t']).starts_with(';'))
}

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Gravity {
    /// Senders read it differently, or it weakens the policy; it still works.
    Irregular,
    /// Senders reject it: the record, fetch or policy does not count.
    Invalid,
}

/// Which part a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// The `_mta-sts` TXT record.
    Record,
    /// Fetching the policy (DNS, connect, TLS, status, type, size).
    Fetch,
    /// The policy host's certificate.
    Certificate,
    /// The policy file.
    Policy,
}

/// One problem found, with the line of the policy file it is on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// Where.
    pub part: Part,
    /// How bad.
    pub gravity: Gravity,
    /// The policy file's line (1-based), for a policy problem on one line.
    pub line: Option<usize>,
    /// What is wrong, in words (server text escaped).
    pub text: String,
}

fn problem(part: Part, gravity: Gravity, line: Option<usize>, text: String) -> Problem {
    Problem {
        part,
        gravity,
        line,
        text,
    }
}

/// What the TXT records say.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordState {
    /// No record starts with `v=STSv1` (or the name does not exist).
    Missing,
    /// The lookup failed: nothing is known.
    LookupFailed,
    /// Records exist but none valid, or more than one: senders use no MTA-STS.
    Invalid,
    /// Exactly one valid record.
    Valid,
}

/// The parsed TXT side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The verdict.
    pub state: RecordState,
    /// The one MTA-STS record (escaped), when there is exactly one.
    pub text: Option<String>,
    /// Its `id`, when valid.
    pub id: Option<String>,
    /// Problems (part `record`).
    pub problems: Vec<Problem>,
}

/// Reads the `_mta-sts` TXT records (each one's strings already concatenated), RFC 8461
/// §3.1: those that do not start with `v=STSv1;` are discarded; exactly one must remain.
pub fn parse_record(records: &[String]) -> Record {
    let mut out = Record {
        state: RecordState::Missing,
        text: None,
        id: None,
        problems: Vec::new(),
    };
    let bad = |t: String| problem(Part::Record, Gravity::Invalid, None, t);
    let sts: Vec<&String> = records.iter().filter(|r| is_sts(r)).collect();
    let near: Vec<&String> = records
        .iter()
        .filter(|r| !is_sts(r) && r.trim_start().to_ascii_lowercase().starts_with("v=sts"))
        .collect();
    match sts.as_slice() {
        [] => {
            if let Some(n) = near.first() {
                out.state = RecordState::Invalid;
                out.problems.push(bad(format!(
                    "the record \"{}\" does not start with exactly `v=STSv1;` (case matters), so senders discard it",
                    crate::smtp::escape(n.as_bytes())
                )));
            }
            return out;
        }
        [one] => out.text = Some(crate::smtp::escape(one.as_bytes())),
        many => {
            out.state = RecordState::Invalid;
            out.problems.push(bad(format!(
                "{} records start with `v=STSv1;`; with more than one, senders treat the domain as having no MTA-STS: {}",
                many.len(),
                many.iter()
                    .map(|r| format!("\"{}\"", crate::smtp::escape(r.as_bytes())))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
            return out;
        }
    }
    let record = sts[0];
    let mut problems = Vec::new();
    let odd = |t: String| problem(Part::Record, Gravity::Irregular, None, t);
    if !record.starts_with("v=STSv1;") {
        // Erratum 6285: the ABNF allows whitespace around `;`, the prose says the record
        // begins with `v=STSv1;`: strict senders discard such a record.
        problems.push(odd(
            "the record does not begin with exactly `v=STSv1;` (whitespace before or inside it); the grammar allows it, but senders that follow the prose discard the record (erratum 6285)".into(),
        ));
    }
    let mut ids = Vec::new();
    for field in record.split(';').skip(1) {
        let field = field.trim_matches([' ', '\t']);
        if field.is_empty() {
            continue;
        }
        match field.split_once('=') {
            Some(("id", v)) => ids.push(v.to_string()),
            Some((k, _))
                if !k.is_empty()
                    && k.bytes().all(|b| {
                        b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.'
                    }) => {}
            _ => problems.push(bad(format!(
                "the field \"{}\" is not NAME=VALUE",
                crate::smtp::escape(field.as_bytes())
            ))),
        }
    }
    match ids.as_slice() {
        [] => problems.push(bad("the record has no `id=` field".into())),
        [id] if (1..=32).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            out.id = Some(id.clone());
        }
        [id] => problems.push(bad(format!(
            "the id \"{}\" is not 1 to 32 letters and digits",
            crate::smtp::escape(id.as_bytes())
        ))),
        _ => problems.push(bad("the record has more than one `id=` field".into())),
    }
    out.state = if problems.iter().any(|p| p.gravity == Gravity::Invalid) {
        RecordState::Invalid
    } else {
        RecordState::Valid
    };
    out.problems = problems;
    out
}

/// The policy `mode` (RFC 8461 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Senders refuse MX hosts that fail.
    Enforce,
    /// Senders report failures and deliver anyway.
    Testing,
    /// The policy is withdrawn.
    None,
}

/// A parsed policy file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Policy {
    /// `mode`, when valid.
    pub mode: Option<Mode>,
    /// `max_age`, when valid.
    pub max_age: Option<u64>,
    /// The `mx:` patterns, lower case, in order (valid ones only).
    pub mx: Vec<String>,
    /// `crlf`, `lf` or `mixed`.
    pub line_ends: String,
}

/// Whether an `mx:` pattern is well formed: a host name, or `*.` and a host name of at least
/// two labels (RFC 8461 §3.2: the wildcard is the whole leftmost label only).
pub fn valid_pattern(p: &str) -> bool {
    let rest = p.strip_prefix("*.").unwrap_or(p);
    !rest.contains('*')
        && !p.ends_with('.')
        && crate::target::normalize_name(rest).is_some()
        && (rest.len() == p.len() || rest.contains('.'))
}

/// Whether MX host `host` matches `pattern` (RFC 8461 §4.1): case-insensitive, no trailing
/// dot, `*.example.com` standing for exactly one more leftmost label.
pub fn mx_matches(pattern: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let pattern = pattern.to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(rest) => host
            .split_once('.')
            .is_some_and(|(first, tail)| !first.is_empty() && tail == rest),
        None => host == pattern,
    }
}

/// Parses the policy file (RFC 8461 §3.2); every problem names its line.
pub fn parse_policy(body: &[u8]) -> (Policy, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut policy = Policy {
        mode: None,
        max_age: None,
        mx: Vec::new(),
        line_ends: "crlf".into(),
    };
    let Ok(text) = std::str::from_utf8(body) else {
        problems.push(policy_invalid(None, "the policy is not UTF-8 text".into()));
        return (policy, problems);
    };
    let lines: Vec<&str> = text.split('\n').collect();
    policy.line_ends = line_ends(&lines, &mut problems).into();
    // The first line of each single-valued key, with its value: a repeat is judged against it.
    let mut seen: BTreeMap<&str, (usize, String)> = BTreeMap::new();
    for (i, raw) in lines.iter().enumerate() {
        let n = Some(i + 1);
        let Some((key, value)) = split_line(raw, n, &mut problems) else {
            continue;
        };
        if key_counts(&mut seen, key, value, i + 1, &mut problems) {
            read_value(&mut policy, key, value, n, &mut problems);
        }
    }
    judge_whole(&policy, &seen, &mut problems);
    (policy, problems)
}

/// A problem in the policy file that makes senders reject it.
fn policy_invalid(line: Option<usize>, text: String) -> Problem {
    problem(Part::Policy, Gravity::Invalid, line, text)
}

/// A problem in the policy file that senders read differently, or that weakens it.
fn policy_irregular(line: Option<usize>, text: String) -> Problem {
    problem(Part::Policy, Gravity::Irregular, line, text)
}

/// How the policy's lines end (`crlf`, `lf` or `mixed`), the text after the last `\n` not
/// counting as a line end. RFC 8461 §3.2's ABNF ends each line with CRLF; a bare LF is
/// irregular, not invalid, since erratum 6253 notes that most files use LF and most senders
/// accept it.
fn line_ends(lines: &[&str], problems: &mut Vec<Problem>) -> &'static str {
    let crlf = lines
        .iter()
        .rev()
        .skip(1)
        .filter(|l| l.ends_with('\r'))
        .count();
    let lf = lines.len().saturating_sub(1) - crlf;
    if lf > 0 {
        problems.push(policy_irregular(
            None,
            format!(
                "{lf} line(s) end with a bare LF, where RFC 8461 §3.2 writes CRLF; most senders accept it, strict ones may not (erratum 6253)"
            ),
        ));
    }
    match (crlf, lf) {
        (_, 0) => "crlf",
        (0, _) => "lf",
        _ => "mixed",
    }
}

/// Splits line `n` into a key and its value (RFC 8461 §3.2 `sts-policy-field`: a plain name,
/// `:`, the value with surrounding blanks dropped); `None` for a blank line, or for one that
/// is not `key: value` (a problem then).
fn split_line<'a>(
    raw: &'a str,
    n: Option<usize>,
    problems: &mut Vec<Problem>,
) -> Option<(&'a str, &'a str)> {
    let line = raw.trim_end_matches('\r');
    if line.trim().is_empty() {
        return None;
    }
    let shown = crate::smtp::escape(line.as_bytes());
    let Some((key, value)) = line.split_once(':') else {
        problems.push(policy_invalid(
            n,
            format!("\"{shown}\" is not `key: value`"),
        ));
        return None;
    };
    let value = value.trim_matches([' ', '\t']);
    let key_ok = key
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if key != key.trim() || !key_ok || key.is_empty() {
        problems.push(policy_invalid(
            n,
            format!("\"{shown}\": the key is not a plain name"),
        ));
        return None;
    }
    Some((key, value))
}

/// Whether this line's value counts: `mx` always (it repeats by design); `version`, `mode`
/// and `max_age` only the first time, since senders differ in which of two they keep (a
/// repeat with another value is invalid, the same value irregular); an unknown key never,
/// since senders ignore it (RFC 8461 §3.2).
fn key_counts<'a>(
    seen: &mut BTreeMap<&'a str, (usize, String)>,
    key: &'a str,
    value: &str,
    line: usize,
    problems: &mut Vec<Problem>,
) -> bool {
    match key {
        "version" | "mode" | "max_age" => {
            if let Some((first, before)) = seen.get(key) {
                let gravity = if before == value {
                    Gravity::Irregular
                } else {
                    Gravity::Invalid
                };
                problems.push(problem(
                    Part::Policy,
                    gravity,
                    Some(line),
                    format!(
                        "`{key}` again (first on line {first}); senders differ in which one counts"
                    ),
                ));
                return false;
            }
            seen.insert(key, (line, value.to_string()));
            true
        }
        "mx" => true,
        other => {
            problems.push(policy_irregular(
                Some(line),
                format!(
                    "unknown key `{}`: senders ignore it (a typo of a real key is lost)",
                    crate::smtp::escape(other.as_bytes())
                ),
            ));
            false
        }
    }
}

/// Reads one counted value into `policy`, or says why senders reject it (RFC 8461 §3.2):
/// `version` must be `STSv1`, `mode` one of three words, `max_age` at most a year of seconds
/// in at most ten digits (erratum 7282), `mx` a valid pattern ([`valid_pattern`]).
fn read_value(
    policy: &mut Policy,
    key: &str,
    value: &str,
    n: Option<usize>,
    problems: &mut Vec<Problem>,
) {
    let v = crate::smtp::escape(value.as_bytes());
    match key {
        "version" if value != "STSv1" => {
            problems.push(policy_invalid(n, format!("version is \"{v}\", not STSv1")));
        }
        "mode" => match value {
            "enforce" => policy.mode = Some(Mode::Enforce),
            "testing" => policy.mode = Some(Mode::Testing),
            "none" => policy.mode = Some(Mode::None),
            _ => problems.push(policy_invalid(
                n,
                format!("mode is \"{v}\", not enforce, testing or none"),
            )),
        },
        "max_age" => match value.parse::<u64>() {
            Ok(a) if value.len() <= 10 && a <= MAX_AGE_MAX => policy.max_age = Some(a),
            Ok(_) => problems.push(policy_invalid(
                n,
                format!("max_age is {v}, above the limit {MAX_AGE_MAX} (one year)"),
            )),
            Err(_) => problems.push(policy_invalid(
                n,
                format!("max_age is \"{v}\", not a number of seconds"),
            )),
        },
        "mx" => {
            let p = value.to_ascii_lowercase();
            if valid_pattern(&p) {
                policy.mx.push(p);
            } else {
                problems.push(policy_invalid(
                    n,
                    format!("mx \"{v}\" is not a host name or `*.` followed by one (the wildcard is only a whole leftmost label)"),
                ));
            }
        }
        _ => {}
    }
}

/// What only the whole file shows, after every line is read: a short `max_age`, a missing
/// required field, no MX host (RFC 8461 §3.2).
fn judge_whole(
    policy: &Policy,
    seen: &BTreeMap<&str, (usize, String)>,
    problems: &mut Vec<Problem>,
) {
    // A short max_age weakens a policy senders apply; `mode: none` withdraws the policy
    // (RFC 8461 §5), and a short max_age then only makes senders forget it sooner.
    if let Some(a) = policy.max_age.filter(|a| *a < MAX_AGE_SHORT)
        && policy.mode != Some(Mode::None)
    {
        // A max_age is read only from the first `max_age` line, so that line is the one.
        let max_age_line = seen.get("max_age").map(|(line, _)| *line);
        problems.push(policy_irregular(
            max_age_line,
            format!("max_age is {a} seconds (under a week): senders forget the policy soon, so an attacker who strips the TXT record wins sooner; RFC 8461 §3.2 recommends weeks: {MAX_AGE_SHORT} (one week) or more"),
        ));
    }
    for key in ["version", "mode", "max_age"] {
        if !seen.contains_key(key) {
            problems.push(policy_invalid(
                None,
                format!("the `{key}` field is missing"),
            ));
        }
    }
    // An invalid `mx:` line already says why the list is empty.
    if policy.mx.is_empty()
        && policy.mode != Some(Mode::None)
        && !problems.iter().any(|p| p.text.starts_with("mx "))
    {
        problems.push(policy_invalid(
            None,
            "no `mx:` line: the policy names no MX host".into(),
        ));
    }
}

/// One MX host against the policy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MxMatch {
    /// The MX host name.
    pub host: String,
    /// The first pattern it matches.
    pub pattern: Option<String>,
}

/// The fetch, as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FetchReport {
    /// The URL asked for.
    pub url: String,
    /// The address connected to.
    pub address: Option<String>,
    /// The HTTP status, when a response came.
    pub status: Option<u16>,
    /// The `Location` of a 3xx (escaped), never followed.
    pub location: Option<String>,
    /// The Content-Type (escaped).
    pub content_type: Option<String>,
    /// The body size.
    pub bytes: Option<usize>,
    /// How long it took.
    pub elapsed_ms: u64,
    /// `TLS 1.3`, when the handshake completed.
    pub tls_version: Option<String>,
    /// The chain leads to a trusted root and is current.
    pub certificate_trusted: Option<bool>,
    /// The leaf names the policy host.
    pub certificate_name_matches: Option<bool>,
    /// The names the leaf covers (escaped; SANs, else the CN), to compare with the host.
    pub certificate_names: Vec<String>,
    /// Why no response came.
    pub error: Option<String>,
    /// The run's deadline (`--deadline`) ended the fetch before its own time limit: the
    /// policy was not checked, and nothing is said against the server.
    pub stopped_by_deadline: bool,
    /// The error itself, for the rules (which advice fits the stage it stopped at).
    #[serde(skip)]
    pub failure: Option<crate::fetch::FetchError>,
}

/// MTA-STS for the report's `policy` object: the record, the fetch, the policy, the MX
/// matches, and every problem.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MtaStsReport {
    /// `missing`, `lookup_failed`, `invalid` or `valid`.
    pub record_state: RecordState,
    /// The MTA-STS TXT record (escaped), when there is exactly one.
    pub record: Option<String>,
    /// Its id.
    pub id: Option<String>,
    /// The policy URL.
    pub policy_url: String,
    /// The fetch, when one was made.
    pub fetch: Option<FetchReport>,
    /// The policy as parsed, when a body was fetched.
    pub policy: Option<Policy>,
    /// The policy can be used by senders: the record valid, the fetch good, the certificate
    /// valid, the policy file valid.
    pub in_effect: bool,
    /// Each MX host against the policy's patterns (empty without a policy).
    pub mx: Vec<MxMatch>,
    /// What is wrong.
    pub problems: Vec<Problem>,
}

/// The MX hosts of the domain (from the DANE lookups, one per host and port probed).
pub fn mx_hosts(p: &DomainPolicy) -> Vec<String> {
    p.mx_hosts.clone()
}

/// Judges the fetch: status 200 and `text/plain` only (RFC 8461 §3.3), and the certificate.
fn judge_fetch(f: &Fetch, problems: &mut Vec<Problem>) -> (FetchReport, Option<Vec<u8>>) {
    let mut r = fetch_report(f);
    if let Some(t) = &f.tls {
        judge_certificate(t, &f.url, &r.certificate_names, problems);
    }
    let resp = match &f.outcome {
        Ok(resp) => resp,
        Err(e) => {
            r.error = Some(e.to_string());
            r.failure = Some(e.clone());
            if matches!(e, crate::fetch::FetchError::Deadline(..)) {
                // Not the server's fault: the policy is unknown, not broken.
                r.stopped_by_deadline = true;
            } else {
                problems.push(fetch_invalid(e.to_string()));
            }
            return (r, None);
        }
    };
    let body = judge_response(resp, &mut r, problems);
    (r, body)
}

/// A fetch problem: senders get no policy.
fn fetch_invalid(text: String) -> Problem {
    problem(Part::Fetch, Gravity::Invalid, None, text)
}

/// The report of what the fetch saw before any response is read: where it went, how long it
/// took, and the TLS side (version, trust, the names the leaf covers).
fn fetch_report(f: &Fetch) -> FetchReport {
    FetchReport {
        url: f.url.clone(),
        address: f.address.map(|a| a.to_string()),
        status: None,
        location: None,
        content_type: None,
        bytes: None,
        elapsed_ms: u64::try_from(f.elapsed.as_millis()).unwrap_or(u64::MAX),
        tls_version: f
            .tls
            .as_ref()
            .map(|t| t.version.clone())
            .filter(|v| !v.is_empty()),
        certificate_trusted: f.tls.as_ref().map(|t| t.trust.trusted && t.trust.valid_now),
        certificate_name_matches: f.tls.as_ref().map(|t| t.name_matches),
        certificate_names: f
            .tls
            .as_ref()
            .and_then(|t| t.chain.first())
            .and_then(|der| crate::cert::CertInfo::parse(der, time::OffsetDateTime::now_utc()).ok())
            .map(|c| c.names())
            .unwrap_or_default(),
        error: None,
        stopped_by_deadline: false,
        failure: None,
    }
}

/// Judges the policy host's certificate (RFC 8461 §3.3): senders want a chain to a trusted
/// root, current, naming the policy host; either failure makes the policy unusable.
fn judge_certificate(
    t: &crate::fetch::FetchTls,
    url: &str,
    names: &[String],
    problems: &mut Vec<Problem>,
) {
    if !(t.trust.trusted && t.trust.valid_now) {
        let why = t
            .trust
            .reason
            .clone()
            .unwrap_or_else(|| "the chain does not lead to a trusted root".into());
        problems.push(problem(
            Part::Certificate,
            Gravity::Invalid,
            None,
            format!("the certificate is not trusted: {why}"),
        ));
    }
    if !t.name_matches {
        problems.push(problem(
            Part::Certificate,
            Gravity::Invalid,
            None,
            format!(
                "the certificate does not name {} (it names: {})",
                host_of(url),
                if names.is_empty() {
                    "nothing".to_string()
                } else {
                    names.join(", ")
                }
            ),
        ));
    }
}

/// Judges the HTTP response (RFC 8461 §3.3): a redirect is never followed and any status but
/// 200 gives no policy; a 200 body is returned for parsing, and a media type other than
/// `text/plain` is a problem (the body is still parsed, to say what else is wrong).
fn judge_response(
    resp: &crate::fetch::HttpResponse,
    r: &mut FetchReport,
    problems: &mut Vec<Problem>,
) -> Option<Vec<u8>> {
    r.status = Some(resp.status);
    r.content_type = resp.header("content-type").map(str::to_string);
    r.bytes = Some(resp.body.len());
    if (300..400).contains(&resp.status) {
        r.location = resp.header("location").map(str::to_string);
        problems.push(fetch_invalid(format!(
            "HTTP {} redirect to {}: senders follow no redirect for the policy (RFC 8461 §3.3)",
            resp.status,
            r.location.as_deref().unwrap_or("(no Location)")
        )));
        return None;
    }
    if resp.status != 200 {
        problems.push(fetch_invalid(format!(
            "HTTP {} {}: only 200 counts (RFC 8461 §3.3)",
            resp.status, resp.reason
        )));
        return None;
    }
    let media = r.content_type.as_deref().map(|c| {
        c.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    match media.as_deref() {
        Some("text/plain") => {}
        Some(other) => problems.push(fetch_invalid(format!(
            "Content-Type is {other}, not text/plain: senders refuse it (RFC 8461 §3.3)"
        ))),
        None => problems.push(fetch_invalid(
            "no Content-Type; senders want text/plain (RFC 8461 §3.3)".into(),
        )),
    }
    Some(resp.body.clone())
}

fn host_of(url: &str) -> String {
    crate::fetch::Url::parse(url)
        .map(|u| u.host)
        .unwrap_or_default()
}

/// Everything MTA-STS says about `obs`, given the domain's MX hosts.
pub fn assess(obs: &MtaStsObservation, mx_hosts: &[String]) -> MtaStsReport {
    let mut out = MtaStsReport {
        record_state: RecordState::Missing,
        record: None,
        id: None,
        policy_url: obs.policy_url.clone(),
        fetch: None,
        policy: None,
        in_effect: false,
        mx: Vec::new(),
        problems: Vec::new(),
    };
    match &obs.txt.answer {
        Answer::Records(r) => {
            let rec = parse_record(r);
            out.record_state = rec.state;
            out.record = rec.text;
            out.id = rec.id;
            out.problems = rec.problems;
        }
        Answer::NxDomain | Answer::NoData => {}
        Answer::Failed(why) => {
            out.record_state = RecordState::LookupFailed;
            out.problems.push(problem(
                Part::Record,
                Gravity::Invalid,
                None,
                format!(
                    "the TXT lookup of {} failed: {}",
                    obs.txt.name,
                    crate::smtp::escape(why.as_bytes())
                ),
            ));
        }
    }
    let Some(f) = &obs.fetch else {
        return out;
    };
    let (report, body) = judge_fetch(f, &mut out.problems);
    out.fetch = Some(report);
    if let Some(body) = body {
        let (policy, problems) = parse_policy(&body);
        out.problems.extend(problems);
        out.mx = mx_hosts
            .iter()
            .map(|h| MxMatch {
                host: h.clone(),
                pattern: policy.mx.iter().find(|p| mx_matches(p, h)).cloned(),
            })
            .collect();
        out.policy = Some(policy);
    }
    out.in_effect = out.record_state == RecordState::Valid
        && out.policy.is_some()
        && !out.problems.iter().any(|p| p.gravity == Gravity::Invalid);
    out
}

/// `p`'s MTA-STS, for the report, when it was looked up.
pub fn report(p: &DomainPolicy) -> Option<MtaStsReport> {
    p.mta_sts.as_ref().map(|o| assess(o, &mx_hosts(p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn records() {
        let r = parse_record(&s(&["v=STSv1; id=20240101T01", "v=spf1 -all"]));
        assert_eq!(
            (r.state.clone(), r.id.as_deref()),
            (RecordState::Valid, Some("20240101T01"))
        );
        assert!(r.problems.is_empty());
        let r = parse_record(&s(&["v=STSv1 ; id=abc"]));
        assert_eq!(r.state, RecordState::Valid);
        assert_eq!(r.problems[0].gravity, Gravity::Irregular);
        assert_eq!(parse_record(&[]).state, RecordState::Missing);
        for bad in [
            vec!["v=STSv1; id=a", "v=STSv1; id=b"],
            vec!["v=STSv1;"],
            vec!["v=STSv1; id=has-dash"],
            vec!["v=STSv1; id=123456789012345678901234567890123"],
            vec!["v=stsv1; id=abc"],
            vec!["v=STSv1; id=a; id=b"],
        ] {
            assert_eq!(
                parse_record(&s(&bad)).state,
                RecordState::Invalid,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn matching_takes_one_label_for_the_wildcard() {
        assert!(mx_matches("*.example.com", "mx1.example.com"));
        assert!(mx_matches("*.example.com", "MX1.Example.com."));
        assert!(!mx_matches("*.example.com", "a.b.example.com"));
        assert!(!mx_matches("*.example.com", "example.com"));
        assert!(mx_matches("mail.example.com", "mail.example.com."));
        assert!(!mx_matches("mail.example.com", "mail2.example.com"));
        assert!(valid_pattern("*.example.com") && valid_pattern("mx.example.com"));
        for bad in [
            "mx*.example.com",
            "a.*.example.com",
            "*.com",
            "*",
            "mx.example.com.",
            "bad_name!",
        ] {
            assert!(!valid_pattern(bad), "{bad}");
        }
    }

    #[test]
    fn a_good_policy_in_crlf_and_lf() {
        let (p, problems) =
            parse_policy(b"version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 1209600\r\n");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(p.mode, Some(Mode::Enforce));
        assert_eq!(p.max_age, Some(1_209_600));
        assert_eq!(p.mx, vec!["mail.example.com", "*.example.net"]);
        assert_eq!(p.line_ends, "crlf");
        let (p, problems) =
            parse_policy(b"version: STSv1\nmode: testing\nmx: mail.example.com\nmax_age: 86400\n");
        assert_eq!(p.line_ends, "lf");
        assert!(
            problems.iter().all(|p| p.gravity == Gravity::Irregular),
            "{problems:?}"
        );
        assert_eq!(problems.len(), 2, "LF and the short max_age: {problems:?}");
    }

    #[test]
    fn policy_problems_name_their_lines() {
        let body = b"version: STSv2\r\nmode: strict\r\nmode: enforce\r\nmax_age: 99999999999\r\nmx: a.*.example.com\r\nfoo: bar\r\nnot a field\r\n";
        let (_, problems) = parse_policy(body);
        let at = |line: usize| {
            problems
                .iter()
                .find(|p| p.line == Some(line))
                .map(|p| (p.gravity, p.text.clone()))
        };
        assert_eq!(at(1).unwrap().0, Gravity::Invalid);
        assert!(at(2).unwrap().1.contains("strict"));
        assert_eq!(
            at(3).unwrap().0,
            Gravity::Invalid,
            "a second mode, different"
        );
        assert!(at(4).unwrap().1.contains("above the limit"));
        assert!(at(5).unwrap().1.contains("wildcard"));
        assert_eq!(at(6).unwrap().0, Gravity::Irregular);
        assert_eq!(at(7).unwrap().0, Gravity::Invalid);
        let (_, problems) = parse_policy(b"mode: enforce\r\n");
        let missing: Vec<&str> = problems.iter().map(|p| p.text.as_str()).collect();
        assert!(missing.iter().any(|t| t.contains("`version`")));
        assert!(missing.iter().any(|t| t.contains("`max_age`")));
        assert!(missing.iter().any(|t| t.contains("no `mx:`")));
    }
}

#[cfg(test)]
mod schema_tests {
    #![allow(clippy::unwrap_used)]

    use std::net::{IpAddr, Ipv4Addr};
    use std::time::Duration;

    use super::*;
    use crate::fetch::ConnectTo;
    use crate::policy::{DnsResult, Dnssec};
    use crate::scripted::http::{HttpServer, Response};
    use crate::scripted::{Ca, LeafSpec, server_config};
    use crate::tls::TrustStore;

    /// `$defs/NAME` of docs/report.schema.json, against `doc`.
    fn violation(name: &str, doc: &serde_json::Value) -> Option<String> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/report.schema.json");
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let id = schema["$id"].as_str().unwrap().to_string();
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler.set_default_draft(boon::Draft::V2020_12);
        compiler.add_resource(&id, schema).unwrap();
        let index = compiler
            .compile(&format!("{id}#/$defs/{name}"), &mut schemas)
            .unwrap();
        schemas.validate(doc, index).err().map(|e| format!("{e}"))
    }

    /// Every field filled from a real fetch, valid and not, against the schema.
    #[tokio::test]
    async fn the_schema_describes_full_reports() {
        let good =
            "version: STSv1\r\nmode: enforce\r\nmx: mx1.contoso.test\r\nmax_age: 1209600\r\n";
        let odd =
            "version: STSv1\nmode: testing\nmx: *.contoso.test\nmax_age: 600\nmode: none\nx: y\n";
        let now = time::OffsetDateTime::now_utc();
        let ca = Ca::root("Schema Root", now).unwrap();
        let leaf = ca
            .leaf(&LeafSpec::valid_for("mta-sts.contoso.test", now, 30))
            .unwrap();
        for (served, trusted) in [
            (Response::ok("text/plain", good.as_bytes()), true),
            (Response::ok("text/plain", odd.as_bytes()), false),
            (Response::redirect(301, "/x"), true),
        ] {
            let routes = vec![("/.well-known/mta-sts.txt".to_string(), served)];
            let web = HttpServer::start(
                routes,
                Some(server_config(&leaf)),
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                0,
            )
            .await
            .unwrap();
            let cfg = FetchConfig {
                connect_to: vec![ConnectTo {
                    host: "mta-sts.contoso.test".into(),
                    port: 443,
                    to: web.addr,
                }],
                step_timeout: Duration::from_secs(2),
                trust: if trusted {
                    TrustStore::from_certs([ca.der()], None)
                } else {
                    TrustStore::from_certs([], None)
                },
            };
            let url = "https://mta-sts.contoso.test/.well-known/mta-sts.txt";
            let deadline = Instant::now() + Duration::from_secs(5);
            let fetch = crate::fetch::get(
                url,
                Redirects::Never,
                POLICY_CAP,
                &cfg,
                &crate::dns::StaticResolver::default(),
                deadline,
            )
            .await;
            let obs = MtaStsObservation {
                txt: DnsResult {
                    name: "_mta-sts.contoso.test".into(),
                    dnssec: Dnssec::Insecure,
                    answer: Answer::Records(vec!["v=STSv1 ; id=1".into()]),
                    cnames: Vec::new(),
                },
                policy_url: url.into(),
                fetch: Some(fetch),
            };
            let doc = serde_json::to_value(assess(
                &obs,
                &[
                    "mx1.contoso.test".to_string(),
                    "a.b.contoso.test".to_string(),
                ],
            ))
            .unwrap();
            assert_eq!(violation("mtaSts", &doc), None, "{doc:#}");
        }
        for records in [
            vec!["v=TLSRPTv1; rua=mailto:a@contoso.test"],
            vec!["v=TLSRPTv1;"],
        ] {
            let r: Vec<String> = records.iter().map(|s| s.to_string()).collect();
            let doc = serde_json::to_value(crate::policy::tlsrpt::parse(&r)).unwrap();
            assert_eq!(violation("tlsrpt", &doc), None, "{doc:#}");
        }
    }
}
