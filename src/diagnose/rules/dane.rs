//! DANE rules (RFC 7672): whether each endpoint's chain matches its host's secure TLSA
//! records, the DNSSEC status behind them, rollover risk, and how DANE changes what the
//! certificate findings mean (a DANE-EE match makes a self-signed or wrong-name leaf
//! acceptable to DANE senders, but not to Exchange Online).
//!
//! # References
//! - RFC 7672 §2.1 (DNSSEC failures defer), §2.2 (TLSA lookup), §2.2.1 (MX RRset status),
//!   §3.1 (usages), §3.1.1 (DANE-EE ignores names and dates), §3.1.2 (DANE-TA), §3.2.2 (names)
//! - RFC 7671 §8.1 (rollover), RFC 6698 §2.1, RFC 4035 §4.3 (secure, insecure, bogus)
//! - Microsoft Learn: How SMTP DNS-based Authentication of Named Entities (DANE) works (Exchange
//!   Online's 4.7.321–4.7.325)

use time::OffsetDateTime;

use crate::cert::{NameMatch, name_match};
use crate::diagnose::fixes::dane as fix;
use crate::diagnose::{Code, Finding, Policy, ServerKind, Severity};
use crate::evidence::Evidence;
use crate::policy::dane::{DaneMatch, NotApplicable, Verdict, short_record};
use crate::policy::dns::servfail_even_unchecked;
use crate::policy::{Answer, Dnssec, DomainPolicy, HostDane};
use crate::target::normalize_name;

/// The endpoint findings that mean "no TLS session": with secure usable TLSA records, DANE
/// senders defer there (Exchange Online: 4.7.321 starttls-not-supported).
const NO_TLS: &[Code] = &[
    Code::StarttlsNotOffered,
    Code::StarttlsRejected,
    Code::TlsHandshakeFailed,
    Code::SmtpTlsSessionFailed,
    Code::TlsLegacyOnly,
];

/// The certificate findings a DANE match may settle (see [`settle`]).
const SETTLED: &[Code] = &[
    Code::CertSelfSigned,
    Code::CertNameMismatch,
    Code::CertUntrusted,
    Code::CertChainIncomplete,
];

/// The domain-level DANE findings of `policies`; per-endpoint findings are added to
/// `per_endpoint` (parallel to `evidence` and `dane`), whose certificate findings DANE may
/// settle.
pub fn rules(
    policies: &[DomainPolicy],
    evidence: &[Evidence],
    dane: &[Option<DaneMatch>],
    per_endpoint: &mut [Vec<Finding>],
    policy: &Policy,
    now: OffsetDateTime,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in policies {
        out.extend(domain_rules(p, evidence));
    }
    for ((e, d), own) in evidence.iter().zip(dane).zip(per_endpoint.iter_mut()) {
        if let Some(d) = d {
            endpoint_rules(e, d, own, policy, now);
        }
    }
    out
}

/// The endpoints of `evidence` probed at `host`:`port`.
fn endpoints_of(evidence: &[Evidence], host: &HostDane) -> Vec<crate::model::EndpointId> {
    evidence
        .iter()
        .filter(|e| {
            e.port() == host.port
                && e.obs
                    .endpoint
                    .host
                    .name()
                    .is_some_and(|n| n.trim_end_matches('.').eq_ignore_ascii_case(&host.host))
        })
        .map(|e| e.id.clone())
        .collect()
}

fn has_records(host: &HostDane) -> bool {
    host.tlsa
        .as_ref()
        .is_some_and(|t| matches!(&t.answer, Answer::Records(r) if !r.is_empty()))
}

fn tlsa_is(host: &HostDane, status: Dnssec) -> bool {
    host.tlsa.as_ref().is_some_and(|t| t.dnssec == status)
}

/// What the domain's lookups say, apart from any chain: bogus answers, an insecure MX RRset
/// in front of secure TLSA records, TLSA records the resolver's word cannot vouch for.
fn domain_rules(p: &DomainPolicy, evidence: &[Evidence]) -> Vec<Finding> {
    let mut out = Vec::new();
    let resolver = format!("resolver {} ({})", p.resolver.server, p.resolver.why);
    let domain = normalize_name(&p.domain);
    // Bogus answers only from a resolver we trust: a SERVFAIL from any other server says
    // nothing about DNSSEC (RFC 7672 §2.1 relies on the client's own validating resolver).
    if p.resolver.trusted {
        out.extend(mx_bogus(p, &resolver, domain.as_deref()));
        // With an insecure MX RRset, senders do not look the TLSA records up (Postfix: "non
        // DNSSEC destination"), so a failing TLSA lookup defers nothing (RFC 7672 §2.2.1).
        let insecure_mx = p.mx == Some(Dnssec::Insecure);
        for h in &p.dane {
            out.extend(host_lookup_fails(h, evidence, insecure_mx, &resolver));
        }
    }
    out.extend(mx_insecure(p, evidence, domain.as_deref()));
    out.extend(tlsa_not_validated(
        p,
        evidence,
        &resolver,
        domain.as_deref(),
    ));
    out
}

/// dane-dnssec-bogus for the domain: its MX RRset fails validation, so DANE senders defer
/// all its mail (RFC 7672 §2.1). Asked only of a trusted resolver.
fn mx_bogus(p: &DomainPolicy, resolver: &str, domain: Option<&str>) -> Option<Finding> {
    if p.mx != Some(Dnssec::Bogus) {
        return None;
    }
    Some(Finding::new(
        Code::DaneDnssecBogus,
        Severity::Fail,
        p.domain.clone(),
        Vec::new(),
        format!(
            "DNSSEC validation of {}'s MX records fails: DANE senders defer all mail to the domain",
            p.domain
        ),
        vec![
            format!(
                "MX {}: bogus (the validating resolver answered SERVFAIL)",
                p.domain
            ),
            resolver.to_string(),
            "Exchange Online: 4.7.324 dnssec-invalid; Postfix: MX lookup error, deferred".into(),
        ],
        fix::bogus("MX", domain),
    ))
}

/// dane-dnssec-bogus for one host, asked only of a trusted resolver: a TLSA lookup that fails
/// outright, else bogus addresses or bogus TLSA records. Behind an insecure MX RRset only the
/// addresses count, since senders then never look the TLSA records up (RFC 7672 §2.2.1).
fn host_lookup_fails(
    h: &HostDane,
    evidence: &[Evidence],
    insecure_mx: bool,
    resolver: &str,
) -> Option<Finding> {
    let safe = normalize_name(&h.host);
    let owner = safe.as_deref().map(|n| fix::tlsa_owner(h.port, n));
    if h.addresses != Dnssec::Bogus
        && !insecure_mx
        && h.tlsa.as_ref().is_some_and(servfail_even_unchecked)
    {
        return Some(tlsa_servfail(h, evidence, owner.as_deref(), resolver));
    }
    let (what, qtype, name) = if h.addresses == Dnssec::Bogus {
        ("addresses (A/AAAA)", "A", safe)
    } else if tlsa_is(h, Dnssec::Bogus) && !insecure_mx {
        ("TLSA records", "TLSA", owner)
    } else {
        return None;
    };
    let measured = match h.tlsa.as_ref().map(|t| &t.answer) {
        Some(Answer::Failed(why)) if qtype == "TLSA" => why.clone(),
        _ => "the validating resolver answered SERVFAIL".into(),
    };
    Some(Finding::new(
        Code::DaneDnssecBogus,
        Severity::Fail,
        format!("{}:{}", h.host, h.port),
        endpoints_of(evidence, h),
        format!(
            "DNSSEC validation of {}'s {what} fails: DANE senders defer mail to this host",
            h.host
        ),
        vec![
            format!("{what} of {}: bogus ({measured})", h.host),
            format!("Postfix: TLSA lookup error for {}:{}", h.host, h.port),
            "Exchange Online: 4.7.324 dnssec-invalid".into(),
            resolver.to_string(),
        ],
        fix::bogus(qtype, name.as_deref()),
    ))
}

/// dane-dnssec-bogus for a TLSA lookup that gets SERVFAIL with and without checking disabled:
/// no answer at all, which is not proof of bogus data; DANE senders still defer (RFC 7672
/// §2.1).
fn tlsa_servfail(
    h: &HostDane,
    evidence: &[Evidence],
    owner: Option<&str>,
    resolver: &str,
) -> Finding {
    let why = match h.tlsa.as_ref().map(|t| &t.answer) {
        Some(Answer::Failed(why)) => why.clone(),
        _ => String::new(),
    };
    Finding::new(
        Code::DaneDnssecBogus,
        Severity::Fail,
        format!("{}:{}", h.host, h.port),
        endpoints_of(evidence, h),
        format!(
            "the TLSA lookup for {} fails (SERVFAIL, also with DNSSEC checking disabled): DANE senders defer mail to this host",
            h.host
        ),
        vec![
            format!("TLSA _{}._tcp.{}: lookup failed: {why}", h.port, h.host),
            format!("Postfix: TLSA lookup error for {}:{}", h.host, h.port),
            "Exchange Online: likely 4.7.324 dnssec-invalid (it does not tell a failing lookup from bogus data)".into(),
            resolver.to_string(),
        ],
        fix::lookup_failed("TLSA", owner),
    )
}

/// dane-mx-insecure: secure TLSA records behind an insecure MX RRset. RFC 7672 §2.2.1: DANE
/// applies to a destination only when its MX RRset is secure. Behind an insecure MX RRset
/// senders do not use the hosts' TLSA records at all (Postfix smtp(8): "non DNSSEC
/// destination", opportunistic TLS), so the records protect nothing and no DANE verdict is
/// given for those hosts.
fn mx_insecure(p: &DomainPolicy, evidence: &[Evidence], domain: Option<&str>) -> Option<Finding> {
    let secure_tlsa: Vec<&HostDane> = p
        .dane
        .iter()
        .filter(|h| has_records(h) && tlsa_is(h, Dnssec::Secure))
        .collect();
    if p.mx != Some(Dnssec::Insecure) || secure_tlsa.is_empty() {
        return None;
    }
    let ids = secure_tlsa
        .iter()
        .flat_map(|h| endpoints_of(evidence, h))
        .collect();
    let mut ev = vec![format!("MX {}: insecure (not DNSSEC-signed)", p.domain)];
    ev.extend(secure_tlsa.iter().filter_map(|h| {
        h.tlsa
            .as_ref()
            .map(|t| format!("TLSA {}: secure, not used by senders", t.name))
    }));
    ev.push("Postfix smtp(8): non DNSSEC destination, TLS is opportunistic (\"may\"); the TLSA records are not checked".into());
    Some(Finding::new(
        Code::DaneMxInsecure,
        Severity::Warn,
        p.domain.clone(),
        ids,
        format!(
            "{}'s MX records are not DNSSEC-signed, so senders do not use its mail hosts' TLSA records: DANE does not apply to the domain",
            p.domain
        ),
        ev,
        fix::sign_domain(domain),
    ))
}

/// dane-dnssec-unknown: TLSA records whose DNSSEC status this run cannot know (RFC 6698
/// §A.3.1: the AD bit counts only from a trusted validating resolver).
fn tlsa_not_validated(
    p: &DomainPolicy,
    evidence: &[Evidence],
    resolver: &str,
    domain: Option<&str>,
) -> Option<Finding> {
    let unknown: Vec<&HostDane> = p
        .dane
        .iter()
        .filter(|h| has_records(h) && tlsa_is(h, Dnssec::NotValidated))
        .collect();
    if unknown.is_empty() {
        return None;
    }
    let ids = unknown
        .iter()
        .flat_map(|h| endpoints_of(evidence, h))
        .collect();
    let mut ev: Vec<String> = unknown
        .iter()
        .filter_map(|h| {
            h.tlsa
                .as_ref()
                .map(|t| format!("TLSA {}: found, not validated", t.name))
        })
        .collect();
    ev.push(resolver.to_string());
    Some(Finding::new(
        Code::DaneDnssecUnknown,
        Severity::Info,
        p.domain.clone(),
        ids,
        format!(
            "TLSA records found for {}, but the DNS server asked is not one whose DNSSEC validation this run trusts: DANE not judged",
            unknown
                .iter()
                .map(|h| h.host.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ev,
        fix::trusted_resolver(domain),
    ))
}

fn finding(
    e: &Evidence,
    code: Code,
    summary: String,
    evidence: Vec<String>,
    f: crate::diagnose::Fix,
) -> Finding {
    Finding::new(
        code,
        code.default_severity(),
        e.label.clone(),
        vec![e.id.clone()],
        summary,
        evidence,
        f,
    )
}

/// The leaf's `3 1 1` record (the first of `leaf_records`), as computed from what it sent.
fn leaf_311(d: &DaneMatch) -> Option<&str> {
    d.leaf_records
        .iter()
        .find(|r| r.starts_with("3 1 1 "))
        .map(String::as_str)
}

/// The usable records and what became of each, one line apiece.
fn record_lines(d: &DaneMatch) -> Vec<String> {
    d.records
        .iter()
        .map(|r| match (&r.reason, r.matched, &r.failed) {
            (Some(why), _, _) => format!("TLSA {} {}: unusable: {why}", d.tlsa_name, r.record),
            (None, Some(depth), _) => format!(
                "TLSA {} {}: matches the certificate at depth {depth}",
                d.tlsa_name, r.record
            ),
            (None, None, Some(why)) => format!("TLSA {} {}: {why}", d.tlsa_name, r.record),
            (None, None, None) => format!(
                "TLSA {} {}: matches no certificate sent",
                d.tlsa_name, r.record
            ),
        })
        .collect()
}

/// The DANE findings of one endpoint, added to its own (`own`): TLS missing under secure
/// records, then the verdict on its chain; a match may settle its certificate findings.
fn endpoint_rules(
    e: &Evidence,
    d: &DaneMatch,
    own: &mut Vec<Finding>,
    policy: &Policy,
    now: OffsetDateTime,
) {
    let host = normalize_name(&d.host);
    // Unusable records are still worth their own warning; nothing else can be judged.
    if tls_required_but_missing(e, d, own) && d.verdict != Verdict::Unusable {
        return;
    }
    match d.verdict {
        // Insecure TLSA is ignored by senders; not-validated is said per domain
        // (dane-dnssec-unknown), bogus per host (dane-dnssec-bogus).
        Verdict::NotApplicable => {}
        Verdict::Unusable => own.push(records_unusable(e, d, host.as_deref())),
        Verdict::NoMatch => own.push(
            ta_name_failure(e, d, host.as_deref())
                .unwrap_or_else(|| no_match(e, d, host.as_deref())),
        ),
        Verdict::Match => {
            own.push(dane_ok(e, d));
            own.extend(rollover_risk(e, d, host.as_deref()));
            if d.matched_ee() {
                interop(e, d, own, host.as_deref(), now);
            }
            settle(e, d, own, policy);
        }
    }
}

/// Whether the host publishes secure TLSA records yet no TLS session came up; if so, says so
/// on the endpoint's own no-TLS findings. DANE makes TLS mandatory, usable records or not
/// (RFC 7672 §2.2: unusable records still mean "encrypt"), so DANE senders defer. Said as
/// evidence on the endpoint's own failure (starttls-not-offered, tls-handshake-failed…)
/// rather than as dane-no-match: the records are not wrong and publishing others would change
/// nothing, the missing TLS is the one thing to fix, and a second FAIL would send the admin to
/// the zone file.
fn tls_required_but_missing(e: &Evidence, d: &DaneMatch, own: &mut [Finding]) -> bool {
    let secure_records = d.dnssec == Dnssec::Secure && !d.records.is_empty();
    let tls_up = e.obs.tls.is_some();
    if !secure_records || tls_up || d.why == Some(NotApplicable::InsecureMx) {
        return false;
    }
    let line = format!(
        "{} has secure TLSA records ({}): DANE senders require TLS here and defer (Exchange Online: 4.7.321 starttls-not-supported)",
        d.host, d.tlsa_name
    );
    for f in own.iter_mut().filter(|f| NO_TLS.contains(&f.code)) {
        if !f.evidence.contains(&line) {
            f.evidence.push(line.clone());
        }
    }
    true
}

/// dane-records-unusable: secure TLSA records of which none is usable for SMTP: TLS stays
/// mandatory (RFC 7672 §2.2) but the server is not authenticated.
fn records_unusable(e: &Evidence, d: &DaneMatch, host: Option<&str>) -> Finding {
    let records: Vec<&str> = leaf_311(d).into_iter().collect();
    let mut ev = record_lines(d);
    ev.push(
        "Postfix: TLSA records unusable; TLS is still required, the server is not authenticated"
            .into(),
    );
    finding(
        e,
        Code::DaneRecordsUnusable,
        format!(
            "none of {}'s secure TLSA records is usable for SMTP: TLS is mandatory but not authenticated",
            d.host
        ),
        ev,
        fix::replace_unusable(d.port, host, &records, e.kind),
    )
}

/// dane-no-match for a DANE-TA record that matches a CA the server sent, whose chain fails
/// only on the leaf's name (RFC 7672 §3.2.2): the record is right, the certificate is not.
/// `None` when the chain fails otherwise.
fn ta_name_failure(e: &Evidence, d: &DaneMatch, host: Option<&str>) -> Option<Finding> {
    let (r, depth) = d.name_failure()?;
    let mut ev = record_lines(d);
    let names = if d.base_domain.eq_ignore_ascii_case(&d.host) {
        d.host.clone()
    } else {
        format!("{} or {}", d.base_domain, d.host)
    };
    ev.push("OpenSSL/Postfix: no matching DANE TLSA records (the name check failed); Exchange Online: 4.7.325 certificate-host-mismatch".into());
    Some(finding(
        e,
        Code::DaneNoMatch,
        format!(
            "the chain matches {} at depth {depth}, but the certificate does not name {names}: DANE senders defer",
            short_record(&r.record)
        ),
        ev,
        fix::certificate_naming_host(host),
    ))
}

/// dane-no-match: no usable record matches the chain the server sends; the fix publishes the
/// records of the leaf sent now (and says when a DANE-TA digest names a CA left unsent, RFC
/// 7671 §5.2.2).
fn no_match(e: &Evidence, d: &DaneMatch, host: Option<&str>) -> Finding {
    let mut ev = record_lines(d);
    let records: Vec<&str> = leaf_311(d).into_iter().collect();
    ev.extend(
        d.leaf_records
            .iter()
            .map(|r| format!("the leaf sent now would match: {r}")),
    );
    let ta_unsent = d.records.iter().any(|r| r.ta_unsent);
    if ta_unsent {
        ev.push("a DANE-TA digest record names a CA certificate the server does not send; a digest is usable only for a certificate in the chain (RFC 7671 §5.2.2)".into());
    }
    ev.push(
        "OpenSSL/Postfix: no matching DANE TLSA records; Exchange Online: 4.7.323 tlsa-invalid"
            .into(),
    );
    finding(
        e,
        Code::DaneNoMatch,
        format!(
            "no TLSA record at {} matches the certificate the server sends: DANE senders defer",
            d.tlsa_name
        ),
        ev,
        fix::publish_current(d.port, host, &records, e.kind, ta_unsent),
    )
}

/// dane-ok: a secure TLSA record matches, named by what it pinned (the DANE-EE leaf, or the
/// DANE-TA CA sent or carried in full by the record).
fn dane_ok(e: &Evidence, d: &DaneMatch) -> Finding {
    finding(
        e,
        Code::DaneOk,
        format!(
            "DANE: the secure TLSA record {} matches ({})",
            short_record(d.matched.as_deref().unwrap_or_default()),
            if d.matched_ee() {
                "DANE-EE, the leaf"
            } else if d.depth.is_some_and(|n| n >= e.obs.chain.len()) {
                "DANE-TA, a trust anchor the record carries in full; the server does not send it"
            } else {
                "DANE-TA, a CA certificate sent"
            }
        ),
        vec![d.detail.clone(), format!("TLSA {}: secure", d.tlsa_name)],
        crate::diagnose::Fix::new(crate::diagnose::Family::Generic, "dane::ok", &[])
            .say("Nothing to do. Keep the TLSA records in step with the certificate: publish the next key's record before each change (RFC 7671 §8.1)."),
    )
}

/// dane-rollover-risk, RFC 7671 §8.1: records that pin only the current leaf (one record, or
/// the same key by two digests) break delivery at the next key change unless the next record
/// goes out first. A DANE-TA record survives a change of leaf key; a record that matches
/// nothing sent is taken for the next key's.
fn rollover_risk(e: &Evidence, d: &DaneMatch, host: Option<&str>) -> Option<Finding> {
    let usable: Vec<_> = d.usable().collect();
    let has_ta = usable.iter().any(|r| r.record.starts_with("2 "));
    let only_current = usable.iter().all(|r| r.matched == Some(0));
    if !only_current || has_ta {
        return None;
    }
    let published: Vec<&str> = usable.iter().map(|r| r.record.as_str()).collect();
    Some(finding(
        e,
        Code::DaneRolloverRisk,
        format!(
            "{} pins only the current key and has no DANE-TA record: at the next key change, publish the next key's record first",
            d.tlsa_name
        ),
        usable
            .iter()
            .map(|r| format!("TLSA {} {}", d.tlsa_name, short_record(&r.record)))
            .collect(),
        fix::rollover(d.port, host, &published),
    ))
}

/// RFC 7672 §3.1.1 tells senders to ignore a DANE-EE leaf's names and dates; Exchange Online
/// checks both (Microsoft Learn: 4.7.322 certificate-expired, 4.7.325
/// certificate-host-mismatch; and 4.7.323 for a leaf not yet valid).
fn interop(
    e: &Evidence,
    d: &DaneMatch,
    own: &mut Vec<Finding>,
    host: Option<&str>,
    now: OffsetDateTime,
) {
    let (Some(leaf), Some(der)) = (e.leaf(), e.obs.chain.first()) else {
        return;
    };
    let expired = leaf.not_after_at < now;
    let not_yet = leaf.not_before_at > now;
    let covers = |n: &str| name_match(der, leaf, n) == NameMatch::Covered;
    // Microsoft: the certificate must name the MX host or the recipient domain (4.7.325).
    let domain = e.obs.endpoint.via.as_ref().map(|v| v.domain.as_str());
    let wrong_name = !covers(&d.host) && !covers(&d.base_domain) && !domain.is_some_and(covers);
    if !(expired || not_yet || wrong_name) {
        return;
    }
    let mut ev = vec![d.detail.clone()];
    let mut codes = Vec::new();
    if expired {
        ev.push(format!(
            "the leaf expired {} (notAfter {})",
            crate::cert::date(leaf.not_after_at),
            leaf.not_after
        ));
        codes.push("4.7.322 certificate-expired");
    }
    if not_yet {
        ev.push(format!("the leaf is not valid before {}", leaf.not_before));
        codes.push("4.7.323 tlsa-invalid (not yet valid)");
    }
    if wrong_name {
        let names = if leaf.names().is_empty() {
            "none".to_string()
        } else {
            leaf.names_shown()
        };
        // Microsoft: the name must be the recipient domain or the MX host (4.7.325).
        let wanted = match domain.filter(|dm| !dm.eq_ignore_ascii_case(&d.host)) {
            Some(dm) => format!("neither the domain {dm} nor the MX host {}", d.host),
            None => format!("not the host {}", d.host),
        };
        ev.push(format!("the leaf names {wanted} (names: {names})"));
        codes.push("4.7.325 certificate-host-mismatch");
    }
    ev.push(format!(
        "Exchange Online refuses with {} ({})",
        codes.join(", "),
        fix::MS_LEARN_DANE
    ));
    own.push(finding(
        e,
        Code::DaneExchangeOnlineInterop,
        format!(
            "DANE-EE matches, so RFC 7672 senders deliver, but Exchange Online refuses this leaf ({})",
            codes.join(", ")
        ),
        ev,
        fix::exchange_online_interop(
            host,
            domain.and_then(normalize_name).as_deref(),
            expired || not_yet,
            wrong_name,
        ),
    ));
}

/// The issue's rule, verbatim: "Severity of the certificate findings follows the policy that
/// applies: a self-signed or wrong-name leaf matched by DANE-EE stays FAIL when the server is
/// Exchange/EOP or `--expect-name` is given (Exchange Online refuses it anyway), otherwise it
/// becomes WARN with `dane-ok` as the evidence and the senders that still refuse it named."
///
/// Applied to cert-self-signed, cert-name-mismatch, cert-untrusted and cert-chain-incomplete:
/// a DANE-EE match pins the leaf itself, so neither its issuer nor its names matter to DANE
/// senders (RFC 7672 §3.1.1); a DANE-TA match validated the chain up to the pinned CA for the
/// host's names (§3.1.2), so an untrusted or unsent root matters no more to them. An expired
/// or not-yet-valid leaf matched by DANE-EE gets the same treatment: RFC 7672 senders ignore
/// its dates as they ignore its names (§3.1.1), and Exchange Online refuses both (4.7.322,
/// 4.7.325), which `dane-exchange-online-interop` says beside it. (A DANE-TA match checks the
/// dates, so an expired leaf never reaches here through one.)
fn settle(e: &Evidence, d: &DaneMatch, own: &mut [Finding], policy: &Policy) {
    let exchange = matches!(e.kind, ServerKind::Exchange | ServerKind::ExchangeOnline);
    let keep_fail = exchange || !policy.expected_names.is_empty();
    let why_kept = if exchange {
        "the server is Exchange, whose partners and Exchange Online check the certificate itself"
    } else {
        "--expect-name asks for a certificate a PKIX sender (Exchange Online) accepts"
    };
    let dane_line = format!("dane-ok: {}", d.detail);
    for f in own.iter_mut() {
        let dates = matches!(f.code, Code::CertExpired | Code::CertNotYetValid);
        if !(SETTLED.contains(&f.code) || dates && d.matched_ee()) || f.severity != Severity::Fail {
            continue;
        }
        // Who still refuses it: senders that verify the certificate without DANE, and for a
        // wrong name or dates Exchange Online even with DANE.
        let refusers = if f.code == Code::CertNameMismatch {
            "senders that still refuse it: Exchange Online even with DANE (4.7.325 certificate-host-mismatch), MTA-STS senders (Gmail, Microsoft; RFC 8461 §4.2), senders and connectors that verify the name without DANE"
        } else if f.code == Code::CertExpired {
            "senders that still refuse it: Exchange Online even with DANE (4.7.322 certificate-expired), MTA-STS senders (Gmail, Microsoft; RFC 8461 §4.2), senders and connectors that verify the certificate without DANE"
        } else if f.code == Code::CertNotYetValid {
            "senders that still refuse it: Exchange Online even with DANE (4.7.323), MTA-STS senders (Gmail, Microsoft; RFC 8461 §4.2), senders and connectors that verify the certificate without DANE"
        } else {
            "senders that still refuse it: MTA-STS senders (Gmail, Microsoft; RFC 8461 §4.2 needs a chain to a trusted root), senders and connectors that require a trusted certificate without DANE (an Exchange connector with RequireTLS and certificate validation)"
        };
        f.evidence.push(if dates {
            format!(
                "{dane_line} (RFC 7672 senders ignore the dates of a DANE-EE leaf, RFC 7672 §3.1.1)"
            )
        } else {
            dane_line.clone()
        });
        if keep_fail {
            f.evidence
                .push(format!("stays FAIL although DANE matches: {why_kept}"));
        } else {
            f.severity = Severity::Warn;
            f.summary = format!(
                "{} — DANE senders accept it (see dane-ok); {refusers}",
                f.summary
            );
        }
    }
}

#[cfg(test)]
#[path = "dane_tests.rs"]
mod tests;
