//! The terminal report: verdict line first, then one block per endpoint with its findings.
//! Colour marks severity only, and only when asked for.

use std::fmt::Write as _;

use owo_colors::{OwoColorize, Style};

use super::policy::PolicyReport;
use super::{EndpointReport, MxReport, RenderOptions, Report, Run, Verdict, runs};
use crate::cert::CertInfo;
use crate::diagnose::{self, Code, Finding, Severity};
use crate::policy::Dnssec;
use crate::smtp::Direction;

pub(super) fn style_for(sev: Severity) -> Style {
    match sev {
        Severity::Info => Style::new().cyan(),
        Severity::Warn => Style::new().yellow().bold(),
        Severity::Fail => Style::new().red().bold(),
    }
}

pub(super) fn verdict_style(v: Verdict) -> Style {
    match v {
        Verdict::Pass => Style::new().green().bold(),
        Verdict::Warn => style_for(Severity::Warn),
        Verdict::Fail => style_for(Severity::Fail),
        Verdict::Unknown => Style::new().magenta().bold(),
    }
}

pub(super) fn paint(text: &str, style: Style, color: bool) -> String {
    if color {
        text.style(style).to_string()
    } else {
        text.to_string()
    }
}

fn row(out: &mut String, indent: usize, key: &str, value: &str) {
    let pad = " ".repeat(indent);
    let mut lines = value.lines();
    let _ = writeln!(out, "{pad}{key:<13} {}", lines.next().unwrap_or(""));
    for l in lines {
        let _ = writeln!(out, "{pad}{:<13} {l}", "");
    }
}

/// Prints a finding, where it is (`at`, when the report has more than one place), its
/// evidence and its fix. Command blocks already printed for an earlier finding are referred
/// to instead of repeated: several certificate findings share the same "install a
/// certificate" steps.
pub(super) fn finding(
    out: &mut String,
    f: &Finding,
    at: Option<&str>,
    cause: Option<&Finding>,
    color: bool,
    seen: &mut Vec<(String, &'static str)>,
) {
    let label = paint(f.severity.label(), style_for(f.severity), color);
    let at = at.map(|a| format!("{a} — ")).unwrap_or_default();
    let _ = writeln!(out, "  {label} {}  {at}{}", f.code, f.summary);
    for e in &f.evidence {
        let _ = writeln!(out, "       · {e}");
    }
    if let Some(c) = cause {
        let _ = writeln!(
            out,
            "       fix: as for {} (the same change fixes this)",
            c.code
        );
        return;
    }
    let mut lines: Vec<String> = Vec::new();
    for run in runs(&f.fix.steps) {
        match run {
            Run::Prose(text) => lines.extend(text.iter().map(|t| (*t).to_string())),
            Run::Commands(_, block) => {
                let text = block.join("\n");
                match seen.iter().find(|(b, _)| *b == text) {
                    Some((_, code)) => {
                        // Two runs of one fix may both repeat one earlier fix: say it once.
                        let note = format!("  (the same commands as for {code} above)");
                        if !lines.contains(&note) {
                            lines.push(note);
                        }
                    }
                    None => {
                        lines.extend(block.iter().map(|l| format!("  {l}")));
                        if block.len() > 2 {
                            seen.push((text, f.code.as_str()));
                        }
                    }
                }
            }
        }
    }
    // A fix that starts with a command starts it on its own line, indented like the rest.
    let mut it = lines.iter().peekable();
    let first = match it.peek() {
        Some(l) if !l.starts_with("  ") => it.next().map_or("", String::as_str),
        _ => "",
    };
    let _ = writeln!(out, "       fix: {first}");
    for l in it {
        let _ = writeln!(out, "            {l}");
    }
}

/// The session rows: banner, EHLO, STARTTLS, TLS, where the probe stopped.
fn session(out: &mut String, e: &EndpointReport) {
    let mode = match e.tls_mode {
        crate::model::TlsMode::Starttls => "STARTTLS",
        crate::model::TlsMode::Implicit => "implicit TLS",
    };
    let kind = match e.server_software {
        crate::diagnose::ServerKind::Unknown => String::new(),
        k => format!("  ({})", k.label()),
    };
    let _ = writeln!(out, "{}  {mode}{kind}", e.label);
    if let Some(b) = &e.banner {
        row(out, 2, "banner", b);
    }
    if let Some((first, rest)) = e.ehlo.split_first() {
        row(out, 2, "ehlo", first);
        if !rest.is_empty() {
            let caps: Vec<&str> = rest.iter().map(|l| l.get(4..).unwrap_or("")).collect();
            row(out, 2, "capabilities", &caps.join(", "));
        }
    }
    if let Some(offered) = e.starttls_offered {
        let s = match (offered, &e.starttls_reply) {
            (true, Some(r)) => format!("offered → {r}"),
            (true, None) => "offered".into(),
            (false, _) => "NOT offered".into(),
        };
        row(out, 2, "starttls", &s);
    }
    if let Some(t) = &e.tls {
        let kx = t
            .key_exchange
            .as_ref()
            .map(|k| format!(", {k}"))
            .unwrap_or_default();
        row(
            out,
            2,
            "tls",
            &format!("{}, {}{kx}", t.version, t.cipher_suite),
        );
    }
    if let Some(f) = &e.failure {
        row(
            out,
            2,
            "stopped",
            &format!("in {}: {}", f.phase.name(), f.message),
        );
    }
}

/// The certificate rows and the chain as sent.
fn certificate(out: &mut String, c: &CertInfo, e: &EndpointReport) {
    row(out, 2, "certificate", &c.subject);
    let names = c.names();
    row(
        out,
        4,
        "names",
        &if names.is_empty() {
            "(none)".into()
        } else {
            names.join(", ")
        },
    );
    row(out, 4, "issuer", &c.issuer);
    let left = days_left(c);
    row(
        out,
        4,
        "valid",
        &format!(
            "{} → {} ({left})",
            c.not_before.get(..10).unwrap_or(&c.not_before),
            c.not_after.get(..10).unwrap_or(&c.not_after)
        ),
    );
    let key = match &c.key_curve {
        Some(curve) => format!("{} {curve}", c.key_type),
        None => format!("{} {}", c.key_type, c.key_bits),
    };
    row(
        out,
        4,
        "key",
        &format!("{key}, signed {}", c.signature_algorithm),
    );
    row(out, 4, "sha256", &c.sha256);
    row(
        out,
        4,
        "thumbprint",
        &format!("{} (Exchange/Windows)", c.thumbprint),
    );
    if let Some(t) = &e.trust {
        let s = if t.trusted && t.valid_now {
            "trusted".to_string()
        } else if t.trusted {
            "trusted, but not valid at the time of the check (see the dates)".to_string()
        } else {
            format!("NOT trusted: {}", t.reason.clone().unwrap_or_default())
        };
        row(out, 4, "trust", &s);
    }
    let chain: Vec<String> = e
        .chain
        .iter()
        .enumerate()
        .map(|(i, c)| format!("#{i} {}  ← issued by {}", c.subject, c.issuer))
        .collect();
    row(out, 2, "chain (sent)", &chain.join("\n"));
}

/// The SMTP transcript (`-v`), server bytes already escaped.
fn transcript(out: &mut String, e: &EndpointReport) {
    let _ = writeln!(out, "\n  transcript");
    for t in &e.transcript {
        let arrow = match t.direction {
            Direction::Sent => "C:",
            Direction::Received => "S:",
            Direction::Event => "--",
        };
        let _ = writeln!(out, "  {:>6} ms  {arrow} {}", t.at_ms, t.line);
    }
}

/// `EXPIRED 3 days ago`, `79 days left`. `days_left` is rounded down, so an expired
/// certificate has -1 within a day of its end, -2 within two days: whole days since it
/// expired are one less.
pub(crate) fn days_left(c: &CertInfo) -> String {
    if c.expired {
        match -c.days_left - 1 {
            ..=0 => "EXPIRED today".to_string(),
            1 => "EXPIRED yesterday".to_string(),
            d => format!("EXPIRED {d} days ago"),
        }
    } else {
        match c.days_left {
            0 => "under a day left".to_string(),
            1 => "1 day left".to_string(),
            d => format!("{d} days left"),
        }
    }
}

/// The full block of an endpoint (`-v`): session, certificate, chain, where the probe ran
/// from, and the transcript.
fn endpoint(out: &mut String, e: &EndpointReport, opts: RenderOptions) {
    session(out, e);
    if let Some(c) = &e.certificate {
        certificate(out, c, e);
    }
    if let Some(a) = &e.client_auth {
        let mut lines = vec![a.line()];
        if opts.verbose {
            if let Some(c) = &a.certificate {
                lines.push(format!(
                    "ours: issued by {}, valid to {}, names {}",
                    c.issuer,
                    c.not_after,
                    if c.names().is_empty() {
                        "none".to_string()
                    } else {
                        c.names_shown()
                    }
                ));
            }
            if a.acceptable_ca_names.len() > 3 {
                lines.extend(
                    a.acceptable_ca_names
                        .iter()
                        .map(|n| format!("CA name: {n}")),
                );
            }
            if let Some(d) = &a.detail {
                lines.push(d.clone());
            }
        }
        let lines: Vec<String> = lines.iter().flat_map(|l| wrap(l, POLICY_WIDTH)).collect();
        row(out, 2, "client certificate", &lines.join("\n"));
    }
    if let Some(local) = &e.local_address {
        let seen = e
            .seen_as
            .as_ref()
            .map(|s| format!(" (the server saw {s})"))
            .unwrap_or_default();
        row(
            out,
            2,
            "probed from",
            &format!("{local}{seen}, EHLO {}", e.ehlo_name_sent),
        );
    }
    if let Some(r) = &e.revocation {
        let lines: Vec<String> = revocation_lines(r, true)
            .iter()
            .flat_map(|l| wrap(l, POLICY_WIDTH))
            .collect();
        row(out, 2, "revocation", &lines.join("\n"));
    }
    if opts.verbose && !e.transcript.is_empty() {
        transcript(out, e);
    }
}

/// One line for an endpoint: its verdict, what it negotiated, its certificate and until when,
/// and the codes that concern it; the detail is in the findings above (and with `-v`).
fn folded(out: &mut String, e: &EndpointReport, width: usize, report: &Report, color: bool) {
    let verdict = report.endpoint_verdict(e);
    let mine = report.findings_of(e);
    let mut facts = vec![match (&e.failure, &e.tls) {
        (Some(f), _) => format!("stopped in {}: {}", f.phase.name(), f.message),
        (None, Some(t)) => t.version.label().to_string(),
        (None, None) => "no TLS".to_string(),
    }];
    if let Some(c) = &e.certificate {
        facts.push(c.subject.clone());
        facts.push(days_left(c));
    }
    let codes: Vec<&str> = mine
        .iter()
        .filter(|f| f.severity > Severity::Info)
        .map(|f| f.code.as_str())
        .collect();
    if !codes.is_empty() {
        facts.push(codes.join(", "));
    }
    let word = paint(verdict.label(), verdict_style(verdict), color);
    let pad = " ".repeat(7usize.saturating_sub(verdict.label().len()));
    let _ = writeln!(
        out,
        "  {:<width$}  {word}{pad} {}",
        e.label,
        facts.join(", ")
    );
    // With --client-cert, what became of ours is the point of the run: said without -v.
    if let Some(a) = e.client_auth.as_ref().filter(|a| a.source.is_some()) {
        let _ = writeln!(out, "  {:<width$}  client certificate: {}", "", a.line());
    }
}

/// The MX hosts of each domain, with their verdicts, in preference order.
fn mx_table(out: &mut String, report: &Report, color: bool) {
    let real: Vec<&MxReport> = report.mx.iter().filter(|m| !m.implicit).collect();
    if real.is_empty() {
        return;
    }
    let mut domains: Vec<&str> = real.iter().map(|m| m.domain.as_str()).collect();
    domains.dedup();
    for d in domains {
        let _ = writeln!(out, "\nMX hosts of {d}");
        let rows: Vec<&&MxReport> = real.iter().filter(|m| m.domain == d).collect();
        let width = rows.iter().map(|m| m.exchange.len()).max().unwrap_or(0);
        let addrs_of = |m: &MxReport| {
            if m.addresses.is_empty() {
                "(no address)".to_string()
            } else {
                m.addresses.join(", ")
            }
        };
        let addr_width = rows.iter().map(|m| addrs_of(m).len()).max().unwrap_or(0);
        for m in rows {
            let addrs = addrs_of(m);
            let verdict = paint(m.verdict.label(), verdict_style(m.verdict), color);
            let pad = " ".repeat(7usize.saturating_sub(m.verdict.label().len()));
            let cause = m.cause.as_deref().unwrap_or("");
            let row = format!(
                "  {:>5}  {:<width$}  {:<addr_width$}  {verdict}{pad} {cause}",
                m.preference, m.exchange, addrs
            );
            let _ = writeln!(out, "{}", row.trim_end());
        }
    }
}

/// The findings in two sections: what needs action (worst first, each cause before its
/// symptoms, each with its fix), then notes (the healthy summaries only with `-v`).
fn findings(out: &mut String, report: &Report, opts: RenderOptions) {
    let single = report.endpoints.len() == 1;
    let at = |f: &'_ Finding| -> Option<String> {
        let own = single && f.endpoints.len() == 1 && f.endpoints[0] == report.endpoints[0].id;
        (!own).then(|| f.endpoint.clone())
    };
    let needs_action = |f: &&Finding| f.severity > Severity::Info || f.code.inconclusive();
    let action: Vec<&Finding> = report.findings.iter().filter(needs_action).collect();
    let notes: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| !needs_action(f) && (opts.verbose || f.code != Code::StarttlsOk))
        .collect();
    let mut seen = Vec::new();
    for (title, list) in [("Needs action", action), ("Notes", notes)] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{title}");
        for f in list {
            finding(
                out,
                f,
                at(f).as_deref(),
                diagnose::explained_by(f, &report.findings),
                opts.color,
                &mut seen,
            );
        }
    }
}

/// The endpoints: one line each, or in full with `-v`.
fn endpoints(out: &mut String, report: &Report, opts: RenderOptions) {
    if report.endpoints.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nEndpoints");
    let width = report
        .endpoints
        .iter()
        .map(|e| e.label.len())
        .max()
        .unwrap_or(0);
    for e in &report.endpoints {
        if opts.verbose {
            let _ = writeln!(out);
            endpoint(out, e, opts);
        } else {
            folded(out, e, width, report, opts.color);
        }
    }
}

/// A word for a DNSSEC status.
pub(super) fn dnssec_word(d: Dnssec) -> &'static str {
    match d {
        Dnssec::Secure => "secure",
        Dnssec::Insecure => "insecure",
        Dnssec::Bogus => "BOGUS",
        Dnssec::Indeterminate => "indeterminate",
        Dnssec::NotValidated => "not validated",
    }
}

/// Text from DNS, HTTP or a certificate, safe to print: hidden characters braced, and (unless
/// `full`) every long hex digest cut to its first 12 digits and `…`, so a TLSA record or a
/// detail fits a line; `-v` shows them whole.
fn policy_text(text: &str, full: bool) -> String {
    let clean = crate::text::braced(text);
    if full {
        return clean;
    }
    let mut out = String::with_capacity(clean.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 24 {
            out.push_str(&run[..12]);
            out.push('…');
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in clean.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// A date of a revocation source: the day only.
fn day(s: crate::revocation::Stamp) -> String {
    let t = crate::revocation::stamp_text(s.0);
    t.get(..10).unwrap_or(&t).to_string()
}

/// One CRL distribution point's verdict, in a few words.
fn crl_verdict(c: &crate::revocation::CrlCheck) -> String {
    use crate::revocation::crl::{Scheme, Signature};
    if let Some(f) = &c.crl {
        let mut s = match &f.revoked {
            Some(r) => format!(
                "REVOKED on {}{}",
                day(r.date),
                r.reason
                    .as_deref()
                    .map(|x| format!(" ({})", crate::text::braced(x)))
                    .unwrap_or_default()
            ),
            None => "not listed".to_string(),
        };
        match &f.signature {
            Signature::Valid => {}
            Signature::Invalid(why) => {
                let _ = write!(s, ", signature INVALID: {}", crate::text::braced(why));
            }
            Signature::IssuerKeyNotAtHand => s.push_str(", signature not checked (no issuer key)"),
        }
        match f.next_update {
            Some(n) => {
                let _ = write!(s, ", next update {}", day(n));
            }
            None => s.push_str(", no next update"),
        }
        if let Some(u) = &f.unsupported {
            let _ = write!(s, ", {} (not judged)", crate::text::braced(u));
        }
        return s;
    }
    if let Some(why) = &c.invalid {
        return format!("not a CRL: {}", crate::text::braced(why));
    }
    match (&c.fetch, c.scheme) {
        (Some(f), _) => format!(
            "unreachable: {}",
            crate::text::braced(f.error.as_deref().unwrap_or("no response"))
        ),
        (None, Scheme::Ldap) => "not fetched (LDAP)".to_string(),
        (None, _) => "not fetched".to_string(),
    }
}

/// The revocation rows of an endpoint: each certificate's CRLs, the OCSP staple, the CA
/// Issuers fetch; `full` adds the fetch details, the OCSP URLs and webpki's verdict.
pub(super) fn revocation_lines(r: &crate::revocation::RevocationReport, full: bool) -> Vec<String> {
    let o = &r.observed;
    let mut out = Vec::new();
    for c in &o.certificates {
        certificate_revocation_lines(c, full, &mut out);
    }
    out.push(staple_line(o.staple.as_ref()));
    if let Some(i) = &o.issuer_fetch {
        out.push(issuer_fetch_line(i));
    }
    if let (true, Some(w)) = (full, &o.webpki) {
        out.push(format!("webpki with the CRLs: {}", crate::text::braced(w)));
    }
    out
}

/// One certificate's CRLs (with the fetch when `full`) and, when `full`, its OCSP URLs.
fn certificate_revocation_lines(
    c: &crate::revocation::CertRevocation,
    full: bool,
    out: &mut Vec<String>,
) {
    if c.crls.is_empty() {
        out.push(format!("#{} no CRL distribution point", c.position));
    }
    for crl in &c.crls {
        out.push(format!(
            "#{} CRL {}: {}",
            c.position,
            crate::text::braced(&crl.url),
            crl_verdict(crl)
        ));
        if let (true, Some(f)) = (full, &crl.fetch) {
            let mut s = format!("     fetched in {} ms", f.elapsed_ms);
            if let Some(st) = f.status {
                let _ = write!(s, ", HTTP {st}, {} bytes", f.bytes);
            }
            for to in &f.redirects {
                let _ = write!(s, ", redirected to {}", crate::text::braced(to));
            }
            out.push(s);
        }
    }
    if full {
        for u in &c.ocsp_urls {
            out.push(format!(
                "#{} OCSP {} (listed, not queried)",
                c.position,
                crate::text::braced(u)
            ));
        }
    }
}

/// The stapled OCSP response: its status and next update, or why it could not be read.
fn staple_line(staple: Option<&crate::revocation::StapleReport>) -> String {
    let Some(s) = staple else {
        return "OCSP staple: none".to_string();
    };
    match (&s.response, &s.error) {
        (Some(resp), _) => {
            let mut t = format!(
                "OCSP staple: {}",
                crate::text::braced(
                    resp.cert_status
                        .as_deref()
                        .unwrap_or(resp.response_status.as_str())
                )
            );
            if let Some(n) = resp.next_update {
                let _ = write!(t, ", next update {}", day(n));
            }
            if s.serial_matches == Some(false) {
                t.push_str(", for ANOTHER certificate");
            }
            t
        }
        (None, e) => format!(
            "OCSP staple: unreadable ({})",
            crate::text::braced(e.as_deref().unwrap_or("?"))
        ),
    }
}

/// The CA Issuers fetch for a missing intermediate: what it served and whether that
/// completes the chain.
fn issuer_fetch_line(i: &crate::revocation::IssuerFetch) -> String {
    let what = match (&i.certificate, i.completes_chain, &i.error) {
        (Some(c), Some(true), _) => format!(
            "served {}, which completes the chain",
            crate::text::braced(&c.subject)
        ),
        (Some(c), _, _) => format!(
            "served {}, which does not complete the chain{}",
            crate::text::braced(&c.subject),
            i.reason
                .as_deref()
                .map(|r| format!(": {}", crate::text::braced(r)))
                .unwrap_or_default()
        ),
        (None, _, Some(e)) => crate::text::braced(e),
        (None, _, None) => i
            .fetch
            .as_ref()
            .and_then(|f| f.error.as_deref())
            .map_or_else(|| "no certificate".to_string(), crate::text::braced),
    };
    format!(
        "CA Issuers {} (missing above #{}): {what}",
        crate::text::braced(&i.url),
        i.position
    )
}

/// One labelled row of a domain's policy, its lines clean of hidden characters.
pub(super) struct PolicyRow {
    /// `resolver`, `mx`, `dane`, `mta-sts`, `tls-rpt`, `revocation`.
    pub key: &'static str,
    /// The first line and its continuations.
    pub lines: Vec<String>,
    /// The row only says that nothing is published or looked up (the resolver, the MX
    /// RRset's status, a host without TLSA): context, which a ticket leaves out when the
    /// domain publishes nothing at all.
    pub context: bool,
}

/// The endpoints of a policy domain: those its MX led to, or the direct host's.
fn endpoints_of<'a>(
    report: &'a Report,
    domain: &'a str,
) -> impl Iterator<Item = &'a EndpointReport> {
    report.endpoints.iter().filter(move |e| {
        e.domain
            .as_deref()
            .unwrap_or(&e.host)
            .trim_end_matches('.')
            .eq_ignore_ascii_case(domain.trim_end_matches('.'))
    })
}

/// What a domain publishes about its TLS, as rows for every text format: the resolver, the
/// MX RRset's DNSSEC, DANE per host and port with each endpoint's verdict, MTA-STS, TLS-RPT,
/// and (compact only: `-v` shows it in the endpoint's block) each endpoint's revocation.
pub(super) fn policy_rows(
    report: &Report,
    domain: &str,
    p: &PolicyReport,
    full: bool,
) -> Vec<PolicyRow> {
    let t = |s: &str| policy_text(s, full);
    let mut rows = Vec::new();
    let mut resolver = vec![format!(
        "{}, AD bit {}",
        t(&p.resolver.server),
        if p.resolver.trusted {
            "trusted"
        } else {
            "NOT trusted: DNSSEC not judged"
        }
    )];
    if full {
        resolver.push(t(&p.resolver.why));
    }
    rows.push(PolicyRow {
        key: "resolver",
        lines: resolver,
        context: true,
    });
    if let Some(d) = p.mx_dnssec {
        rows.push(PolicyRow {
            key: "mx",
            lines: vec![format!("MX RRset {}", dnssec_word(d))],
            context: true,
        });
    }
    rows.extend(p.dane.iter().map(|h| dane_row(report, domain, h, full)));
    if let Some(m) = &p.mta_sts {
        rows.push(mta_sts_row(domain, m, full));
    }
    if let Some(r) = &p.tlsrpt {
        rows.push(tlsrpt_row(domain, r, full));
    }
    if !full {
        rows.extend(revocation_rows(report, domain));
    }
    rows
}

/// The `dane` row of one host and port: its address's DNSSEC, the CNAMEs followed, the TLSA
/// lookup and records, then each endpoint's verdict. It is context only when the host
/// publishes no TLSA (or was not looked up), which a ticket leaves out.
fn dane_row(
    report: &Report,
    domain: &str,
    h: &crate::policy::lookups::HostDaneReport,
    full: bool,
) -> PolicyRow {
    use crate::policy::lookups::TlsaOutcome;
    let t = |s: &str| policy_text(s, full);
    let mut lines = vec![format!(
        "{}:{}  address {}",
        t(&h.host),
        h.port,
        dnssec_word(h.address_dnssec)
    )];
    if !h.cnames.is_empty() {
        let chain: Vec<String> = h.cnames.iter().map(|c| t(c)).collect();
        lines[0].push_str(&format!(" via CNAME {}", chain.join(" → ")));
    }
    match &h.tlsa {
        None => lines.push("TLSA not looked up (the address is not secure)".into()),
        Some(l) => {
            let what = match l.outcome {
                TlsaOutcome::Records => match l.records.len() {
                    1 => "1 record".to_string(),
                    n => format!("{n} records"),
                },
                TlsaOutcome::Nxdomain => "none (NXDOMAIN)".into(),
                TlsaOutcome::Nodata => "none (NODATA)".into(),
                TlsaOutcome::Failed => format!(
                    "lookup failed: {}",
                    t(l.error.as_deref().unwrap_or("no answer"))
                ),
            };
            lines.push(format!(
                "TLSA {} {}: {what}",
                t(&l.name),
                dnssec_word(l.dnssec)
            ));
            lines.extend(l.records.iter().map(|r| format!("  {}", t(&r.text))));
        }
    }
    lines.extend(dane_verdict_lines(report, domain, h, full));
    let context = h
        .tlsa
        .as_ref()
        .is_none_or(|l| matches!(l.outcome, TlsaOutcome::Nxdomain | TlsaOutcome::Nodata));
    PolicyRow {
        key: "dane",
        lines,
        context,
    }
}

/// The DANE verdict of each endpoint of `domain` at host `h`'s name and port, so the reader
/// sees the records and what the servers actually matched side by side.
fn dane_verdict_lines(
    report: &Report,
    domain: &str,
    h: &crate::policy::lookups::HostDaneReport,
    full: bool,
) -> Vec<String> {
    let t = |s: &str| policy_text(s, full);
    let mut lines = Vec::new();
    for e in endpoints_of(report, domain) {
        let Some(m) = &e.dane else { continue };
        if m.port != h.port
            || !m
                .host
                .trim_end_matches('.')
                .eq_ignore_ascii_case(h.host.trim_end_matches('.'))
        {
            continue;
        }
        let verdict = match m.verdict {
            crate::policy::dane::Verdict::Match => "match",
            crate::policy::dane::Verdict::NoMatch => "NO MATCH",
            crate::policy::dane::Verdict::Unusable => "unusable",
            crate::policy::dane::Verdict::NotApplicable => "not judged",
        };
        lines.push(format!("{} {verdict}: {}", t(&e.address), t(&m.detail)));
        // What to publish instead: the records the leaf served now would match.
        if full && m.verdict == crate::policy::dane::Verdict::NoMatch {
            for l in &m.leaf_records {
                lines.push(format!("  the leaf served matches {}", t(l)));
            }
        }
    }
    lines
}

/// The `mta-sts` row: the record, the policy's mode, max_age and mx patterns, and the
/// fetch (with its connection details when `full`). It is context only when no record is
/// published.
fn mta_sts_row(domain: &str, m: &crate::policy::mta_sts::MtaStsReport, full: bool) -> PolicyRow {
    use crate::policy::mta_sts::{Mode, RecordState};
    let t = |s: &str| policy_text(s, full);
    let mut lines = vec![match m.record_state {
        RecordState::Missing => format!("no record at _mta-sts.{}", t(domain)),
        RecordState::LookupFailed => "the record lookup failed".into(),
        RecordState::Invalid => format!(
            "invalid record: {}",
            t(m.record.as_deref().unwrap_or("(several)"))
        ),
        RecordState::Valid => format!("id {}", t(m.id.as_deref().unwrap_or("?"))),
    }];
    if let Some(pol) = &m.policy {
        let mode = match pol.mode {
            Some(Mode::Enforce) => "enforce",
            Some(Mode::Testing) => "testing",
            Some(Mode::None) => "none",
            None => "(no mode)",
        };
        let age = pol
            .max_age
            .map_or_else(|| "no max_age".to_string(), |a| format!("max_age {a}"));
        lines[0].push_str(&format!(
            ", mode {mode}, {age}{}",
            if m.in_effect { "" } else { " (not in effect)" }
        ));
        let mx: Vec<String> = pol.mx.iter().map(|x| t(x)).collect();
        lines.push(format!("mx {}", mx.join(", ")));
    }
    if let Some(f) = &m.fetch {
        let got = match (f.status, &f.error) {
            (Some(s), _) => format!("HTTP {s}"),
            (None, Some(e)) => format!("failed: {}", t(e)),
            (None, None) => "no response".into(),
        };
        lines.push(format!("policy {}: {got}", t(&f.url)));
        if full {
            lines.push(fetch_detail(f));
        }
    }
    PolicyRow {
        key: "mta-sts",
        context: m.record_state == RecordState::Missing,
        lines,
    }
}

/// How the policy fetch went at the connection level (address, time, TLS version and the
/// certificate's standing): what a reader needs to tell a server problem from a network one.
fn fetch_detail(f: &crate::policy::mta_sts::FetchReport) -> String {
    let t = |s: &str| policy_text(s, true);
    let mut d = format!("fetched in {} ms", f.elapsed_ms);
    if let Some(a) = &f.address {
        d = format!("from {}, {d}", t(a));
    }
    if let Some(v) = &f.tls_version {
        let _ = write!(d, ", {}", t(v));
    }
    if let Some(trusted) = f.certificate_trusted {
        d.push_str(if trusted {
            ", certificate trusted"
        } else {
            ", certificate NOT trusted"
        });
    }
    if f.certificate_name_matches == Some(false) {
        d.push_str(", certificate does NOT name the host");
    }
    d
}

/// The `tls-rpt` row: the record's state, or where reports go. Context only when no record
/// is published.
fn tlsrpt_row(domain: &str, r: &crate::policy::tlsrpt::TlsRptReport, full: bool) -> PolicyRow {
    use crate::policy::tlsrpt::TlsRptState;
    let t = |s: &str| policy_text(s, full);
    let rua: Vec<String> = r.rua.iter().map(|x| t(x)).collect();
    let line = match r.state {
        TlsRptState::Missing => format!("no record at _smtp._tls.{}", t(domain)),
        TlsRptState::LookupFailed => "the record lookup failed".into(),
        TlsRptState::Invalid => format!(
            "invalid record: {}",
            t(r.record.as_deref().unwrap_or("(several)"))
        ),
        TlsRptState::Valid => format!("rua {}", rua.join(", ")),
    };
    PolicyRow {
        key: "tls-rpt",
        context: r.state == TlsRptState::Missing,
        lines: vec![line],
    }
}

/// One `revocation` row per endpoint of `domain` that has a revocation check: the compact
/// output's only place for it (`-v` shows it in the endpoint's own block instead).
fn revocation_rows<'a>(
    report: &'a Report,
    domain: &'a str,
) -> impl Iterator<Item = PolicyRow> + 'a {
    endpoints_of(report, domain).filter_map(|e| {
        let r = e.revocation.as_ref()?;
        let mut lines = vec![policy_text(&e.label, false)];
        lines.extend(
            revocation_lines(r, false)
                .into_iter()
                .map(|l| format!("  {l}")),
        );
        Some(PolicyRow {
            key: "revocation",
            lines,
            context: false,
        })
    })
}

/// The columns a policy line may take after its 16-column key: lines stay within 100.
const POLICY_WIDTH: usize = 84;

/// `line` cut at spaces into lines of at most `width` characters (a longer word stays whole),
/// each continuation indented two more than the line.
fn wrap(line: &str, width: usize) -> Vec<String> {
    let indent = line.len() - line.trim_start().len();
    let mut out: Vec<String> = Vec::new();
    let mut cur = " ".repeat(indent);
    let mut empty = true;
    for word in line.split_whitespace() {
        let need = cur.chars().count() + usize::from(!empty) + word.chars().count();
        if !empty && need > width {
            out.push(std::mem::replace(&mut cur, " ".repeat(indent + 2)));
            empty = true;
        }
        if !empty {
            cur.push(' ');
        }
        cur.push_str(word);
        empty = false;
    }
    out.push(cur);
    out
}

/// The policy of each domain (when the policy phase ran), after the endpoints.
fn policy(out: &mut String, report: &Report, opts: RenderOptions) {
    for (domain, p) in &report.policy {
        let _ = writeln!(out, "\nPolicy of {}", crate::text::braced(domain));
        for r in policy_rows(report, domain, p, opts.verbose) {
            let lines: Vec<String> = r.lines.iter().flat_map(|l| wrap(l, POLICY_WIDTH)).collect();
            row(out, 2, r.key, &lines.join("\n"));
        }
    }
}

/// Renders the report for a terminal in the order the reader acts on it: the verdict, the MX
/// hosts, what needs action, notes, then the endpoints (one line each; in full with `-v`).
pub fn render(report: &Report, opts: RenderOptions) -> String {
    let mut out = String::new();
    let (word, rest) = report
        .headline
        .split_once(' ')
        .unwrap_or((&report.headline, ""));
    let _ = writeln!(
        out,
        "{} {rest}",
        paint(word, verdict_style(report.verdict), opts.color)
    );
    mx_table(&mut out, report, opts.color);
    findings(&mut out, report, opts);
    endpoints(&mut out, report, opts);
    policy(&mut out, report, opts);
    if opts.tool_line {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{} {} · {}",
            report.tool.name, report.tool.version, report.generated_at
        );
    }
    out
}

/// The days-left column: a number, or `—` when no certificate was seen.
/// The widest the target column of a batch's table is padded to: a longer target is written
/// whole and pushes its own row's columns right (nothing is cut), so one long name does not
/// push every row of a survey off an 80-column terminal.
const MAX_TARGET_COLUMN: usize = 48;

fn days_cell(days: Option<i64>) -> String {
    days.map_or_else(|| "—".to_string(), |d| d.to_string())
}

/// A batch for a terminal: one line per target (target, verdict, days left, the finding
/// that decides the verdict), then the report of every target that needs action (`details`,
/// already rendered, in the rows' order), then the counts.
pub fn render_batch(
    batch: &super::batch::Batch,
    details: &[String],
    opts: RenderOptions,
) -> String {
    let mut out = String::new();
    let width = batch
        .rows
        .iter()
        .map(|r| r.target.chars().count())
        .chain([6])
        .max()
        .unwrap_or(6)
        .min(MAX_TARGET_COLUMN);
    if batch.rows.is_empty() && batch.planned == 0 {
        let _ = writeln!(
            out,
            "No target to check (this shard holds none of the list)."
        );
    } else {
        let _ = writeln!(out, "{:<width$}  VERDICT  DAYS  FINDING", "TARGET");
    }
    for r in batch.worst_first() {
        let verdict = paint(r.verdict.label(), verdict_style(r.verdict), opts.color);
        let pad = " ".repeat(7usize.saturating_sub(r.verdict.label().len()));
        let finding = r
            .primary
            .as_ref()
            .map(|p| format!("{}: {}", p.code, p.summary))
            .unwrap_or_default();
        let line = format!(
            "{:<width$}  {verdict}{pad}  {:>4}  {finding}",
            r.target,
            days_cell(r.days_left)
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
    let need = batch.rows.iter().filter(|r| r.needs_action()).count();
    if need > 0 {
        let _ = writeln!(
            out,
            "\n{} {} action:",
            need,
            if need == 1 {
                "target needs"
            } else {
                "targets need"
            }
        );
        for (r, text) in batch.needing_action(details) {
            let _ = write!(out, "\n── {} ──\n{text}", r.target);
        }
    }
    let verdict = batch.verdict();
    if let Some(note) = batch.interrupted() {
        let _ = write!(out, "\n{note}");
    }
    let _ = writeln!(
        out,
        "\n{} — worst {}",
        batch.counts.line(),
        paint(verdict.label(), verdict_style(verdict), opts.color),
    );
    if opts.tool_line {
        let _ = writeln!(
            out,
            "{} {} · {}",
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION"),
            crate::cert::rfc3339(batch.generated_at)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::scripted::LeafSpec;
    use crate::scripted::pki::self_signed;

    fn left(days: i64) -> String {
        let now = time::OffsetDateTime::now_utc();
        // Half a day past the whole days, so rounding cannot move the count.
        let mut spec = LeafSpec::valid_for("mx.example.test", now, days);
        spec.not_after += time::Duration::hours(12);
        let leaf = self_signed(&spec).unwrap();
        days_left(&CertInfo::parse(&leaf.chain[0], now).unwrap())
    }

    /// The certificate line of an endpoint says "1 day", never "1 days".
    #[test]
    fn days_left_are_counted_in_words() {
        assert_eq!(left(1), "1 day left");
        assert_eq!(left(0), "under a day left");
        assert_eq!(left(30), "30 days left");
        assert_eq!(left(-2), "EXPIRED yesterday");
        assert_eq!(left(-4), "EXPIRED 3 days ago");
    }
}
