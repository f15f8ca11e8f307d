//! Fixes for the MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) findings: data, built from values
//! the run saw.
//!
//! Only validated host names (the domain, MX host names that pass
//! `rules::certificate::safe_name`) and numbers go into a record or a command; a TXT string
//! or a policy body the domain serves never does (it is quoted, escaped, in the evidence).
//!
//! # References
//! - RFC 8461 §3.1 (the record and its id: senders refetch only when it changes), §3.2 (the
//!   file), §3.3 (where it is served), §5 (testing before enforce)
//! - RFC 8460 §3 (the TLS-RPT record)

use time::OffsetDateTime;

use crate::diagnose::fix::{Family, Fix, Shell};
use crate::policy::mta_sts::MAX_AGE_SHORT;

fn fix(template: &'static str, values: &[&str]) -> Fix {
    Fix::new(Family::Generic, template, values)
}

/// A fresh policy id: the time, `YYYYMMDDhhmm` (1–32 letters and digits, RFC 8461 §3.1).
pub fn new_id(now: OffsetDateTime) -> String {
    format!(
        "{:04}{:02}{:02}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute()
    )
}

/// The `_mta-sts` TXT record with `id`, in zone-file syntax.
fn record(domain: &str, id: &str) -> String {
    format!("_mta-sts.{domain}. IN TXT \"v=STSv1; id={id}\"")
}

/// A shell line that writes the policy file, CRLF line ends included.
fn write_policy(mode: &str, mx: &[String], max_age: u64) -> String {
    let mut body = format!("version: STSv1\\r\\nmode: {mode}\\r\\n");
    for h in mx {
        body.push_str(&format!("mx: {h}\\r\\n"));
    }
    body.push_str(&format!("max_age: {max_age}\\r\\n"));
    format!("printf '{body}' > mta-sts.txt")
}

fn check_command(domain: &str) -> String {
    format!("curl -sS -D - https://mta-sts.{domain}/.well-known/mta-sts.txt")
}

fn serve_at(domain: &str) -> String {
    format!(
        "Serve the file at https://mta-sts.{domain}/.well-known/mta-sts.txt: status 200, `Content-Type: text/plain`, no redirect, \
         with a certificate for mta-sts.{domain} from a public CA (the web server needs an A/AAAA record for mta-sts.{domain})."
    )
}

/// `domain` (validated) publishes no MTA-STS; `mx` are its MX host names (validated).
pub fn missing(domain: &str, mx: &[String], now: OffsetDateTime) -> Fix {
    let id = new_id(now);
    let listed = if mx.is_empty() {
        vec![format!("mail.{domain}")]
    } else {
        mx.to_vec()
    };
    fix("mta_sts::missing", &[domain, &listed.join(" ")])
        .say(format!(
            "To protect mail to {domain} against TLS being stripped, publish MTA-STS in testing mode first: the policy file listing the MX hosts \
             (each must present a certificate valid for its name), then the TXT record that announces it. max_age {MAX_AGE_SHORT} is one week, \
             the least this tool accepts without remark: RFC 8461 §3.2 recommends weeks, since a sender forgets the policy when max_age runs out \
             and an attacker who strips the TXT record then wins."
        ))
        .run(Shell::Shell, write_policy("testing", &listed, MAX_AGE_SHORT))
        .say(serve_at(domain))
        .run(Shell::DnsZone, record(domain, &id))
        .say(format!(
            "Publish TLS-RPT too, to receive the failures senders see; once the reports are clean for a few weeks, switch to `mode: enforce` \
             (keep max_age at {MAX_AGE_SHORT} or more) and publish a new id."
        ))
        .run(Shell::Shell, check_command(domain))
}

/// The `_mta-sts` record of `domain` is invalid or not the only one.
pub fn record_invalid(domain: &str, now: OffsetDateTime) -> Fix {
    let id = new_id(now);
    fix("mta_sts::record_invalid", &[domain])
        .say(format!(
            "Replace every TXT record at _mta-sts.{domain} that starts with v=STSv1 by exactly one, with an id of letters and digits \
             (RFC 8461 §3.1); a new id makes senders fetch the policy again."
        ))
        .run(Shell::DnsZone, record(domain, &id))
        .run(Shell::Shell, format!("dig +short TXT _mta-sts.{domain}"))
}

/// What kind of fetch failure, for the advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchFailure {
    /// mta-sts.DOMAIN did not resolve.
    Dns,
    /// No TCP connection (refused, or nothing answered in time).
    Connect,
    /// Connected, but the TLS handshake failed or did not finish.
    Tls,
    /// Connected (TLS done): no response in time, or the response stopped part way.
    Stalled,
    /// The response was still coming, too slowly to finish in time.
    Slow,
    /// A redirect.
    Redirect,
    /// A status other than 200.
    Status,
    /// Not text/plain.
    ContentType,
    /// Larger than the cap.
    Size,
    /// Anything else (a malformed response).
    Other,
}

/// The policy of `domain` could not be fetched, for `kind`.
pub fn fetch_failed(domain: &str, kind: FetchFailure) -> Fix {
    let key = format!("{kind:?}").to_ascii_lowercase();
    let advice = match kind {
        FetchFailure::Dns => format!(
            "Publish an A (and AAAA) record for mta-sts.{domain} pointing at the web server that serves the policy."
        ),
        FetchFailure::Connect => format!(
            "Make https://mta-sts.{domain} reachable from the internet on port 443: no TCP connection was made (a firewall or security \
             group dropping or refusing port 443, the A/AAAA record pointing at the wrong address, or no web server listening)."
        ),
        FetchFailure::Tls => format!(
            "The TCP connection to mta-sts.{domain}:443 was made, but the TLS handshake failed or did not finish: check the web server's \
             TLS set-up for that name (a certificate configured for mta-sts.{domain}, TLS 1.2 or 1.3 enabled, nothing else listening on 443)."
        ),
        FetchFailure::Stalled => format!(
            "mta-sts.{domain} accepted the connection but did not send the whole response in time: the network path works, so look at the \
             web server and what is behind it (a proxy waiting on a dead backend, an application hanging on this path, a CDN rule). Serving \
             the policy as a static file avoids it."
        ),
        FetchFailure::Slow => format!(
            "mta-sts.{domain} sent the response, but too slowly to finish in time: look for bandwidth or rate limits on the web server or a \
             proxy in front of it. The policy is a few hundred bytes; senders give a fetch about a minute at most (RFC 8461 §3.3)."
        ),
        FetchFailure::Redirect => format!(
            "Serve the policy itself at https://mta-sts.{domain}/.well-known/mta-sts.txt: senders follow no redirect (RFC 8461 §3.3). \
             Exempt that path from any http-to-https or host redirect rule."
        ),
        FetchFailure::Status => format!(
            "Put the policy file at /.well-known/mta-sts.txt of the mta-sts.{domain} site so it answers 200 (RFC 8461 §3.3)."
        ),
        FetchFailure::ContentType => "Make the web server send `Content-Type: text/plain` for /.well-known/mta-sts.txt (e.g. nginx \
             `default_type text/plain;` in that location, Apache `ForceType text/plain`); senders refuse other types (RFC 8461 §3.3)."
            .to_string(),
        FetchFailure::Size => format!(
            "Serve only the policy (a few lines) at https://mta-sts.{domain}/.well-known/mta-sts.txt: senders stop reading at 64 KiB."
        ),
        FetchFailure::Other => format!(
            "Serve the policy at https://mta-sts.{domain}/.well-known/mta-sts.txt as a plain HTTP/1.1 response with a Content-Length."
        ),
    };
    fix("mta_sts::fetch_failed", &[domain, &key])
        .say(advice)
        .run(Shell::Shell, check_command(domain))
}

/// The certificate of mta-sts.`domain` is not trusted or does not name it.
pub fn certificate_invalid(domain: &str) -> Fix {
    fix("mta_sts::certificate_invalid", &[domain])
        .say(format!(
            "Install on the mta-sts.{domain} web server a certificate from a public CA that names mta-sts.{domain}, with its intermediate \
             certificates (the full chain); senders check it like a browser (RFC 8461 §3.3)."
        ))
        .run(
            Shell::Shell,
            format!("openssl s_client -connect mta-sts.{domain}:443 -servername mta-sts.{domain} -showcerts </dev/null"),
        )
}

/// Why the corrected files use `max_age`.
fn max_age_note(max_age: u64) -> String {
    if max_age == MAX_AGE_SHORT {
        format!(
            "max_age {MAX_AGE_SHORT} is one week, the least this tool accepts without remark (RFC 8461 §3.2 recommends weeks: a sender \
             forgets the policy when it runs out)."
        )
    } else {
        format!("max_age {max_age} is the policy's own.")
    }
}

/// The policy file of `domain` is invalid: a corrected one from the MX hosts `mx`, in the
/// domain's `mode` (testing, said so, when its mode line is unreadable).
pub fn policy_invalid(
    domain: &str,
    mode: Option<&str>,
    mx: &[String],
    max_age: u64,
    now: OffsetDateTime,
) -> Fix {
    let (mode, which) = match mode {
        Some(m) => (
            m,
            format!("It keeps your mode ({m}); {}", max_age_note(max_age)),
        ),
        None => (
            "testing",
            format!(
                "Your mode line is not readable, so it says `mode: testing`: write `mode: enforce` if that is what you meant. {}",
                max_age_note(max_age)
            ),
        ),
    };
    fix("mta_sts::policy_invalid", &[domain, mode, &mx.join(" ")])
        .say(format!(
            "Correct the policy file at https://mta-sts.{domain}/.well-known/mta-sts.txt (RFC 8461 §3.2): the lines the evidence names. \
             A valid file for the MX hosts seen, below. {which}"
        ))
        .run(Shell::Shell, write_policy(mode, mx, max_age))
        .say("Then publish a new id, so senders fetch it again:")
        .run(Shell::DnsZone, record(domain, &new_id(now)))
}

/// The policy file of `domain` works but is irregular.
pub fn policy_irregular(domain: &str) -> Fix {
    fix("mta_sts::policy_irregular", &[domain]).say(format!(
        "Tidy the policy of {domain} as the evidence says (CRLF line ends, one line per key, no unknown keys, a max_age of weeks once it \
         works), then publish a new id in _mta-sts.{domain}."
    ))
}

/// MX hosts of `domain` match none of the policy's patterns: the corrected file lists `mx`.
pub fn mx_mismatch(
    domain: &str,
    mode: &str,
    mx: &[String],
    max_age: u64,
    now: OffsetDateTime,
) -> Fix {
    fix("mta_sts::mx_mismatch", &[domain, mode, &mx.join(" ")])
        .say(format!(
            "List every MX host of {domain} in the policy (or a `*.` pattern covering exactly one leftmost label of it). The file below keeps \
             your mode ({mode}); {}",
            max_age_note(max_age)
        ))
        .run(Shell::Shell, write_policy(mode, mx, max_age))
        .say(format!(
            "{} Then publish a NEW id: senders fetch the policy again only when the id changes (RFC 8461 §3.1), and until then keep the \
             cached one for up to max_age.",
            serve_at(domain)
        ))
        .run(Shell::DnsZone, record(domain, &new_id(now)))
        .run(Shell::Shell, check_command(domain))
}

/// The policy of `domain` is in testing mode.
pub fn mode_testing(domain: &str) -> Fix {
    fix("mta_sts::mode_testing", &[domain]).say(format!(
        "When the TLS-RPT reports for {domain} show no failures for a few weeks, set `mode: enforce` in the policy and publish a new id in \
         _mta-sts.{domain}: only then do senders refuse a downgraded connection (RFC 8461 §5)."
    ))
}

/// The policy of `domain` is `mode: none`: MTA-STS withdrawn.
pub fn mode_none(domain: &str) -> Fix {
    fix("mta_sts::mode_none", &[domain]).say(format!(
        "Nothing to change if {domain} means to withdraw MTA-STS: keep serving this policy and the TXT record until the longest max_age \
         any earlier policy had has run out, then remove both (RFC 8461 §8.3). To protect mail again instead, publish `mode: testing` with \
         the MX hosts and a new id, then enforce once the TLS-RPT reports are clean."
    ))
}

/// A lookup of `name` (validated: `_mta-sts.DOMAIN` or `_smtp._tls.DOMAIN`) failed.
pub fn lookup_failed(name: &str) -> Fix {
    fix("mta_sts::lookup_failed", &[name])
        .say(
            "Nothing is known about this policy. Run the check again; if the lookup keeps failing, ask the domain's authoritative name \
             servers directly (a failure there breaks it for every sender, a failure only here is the resolver this run used):",
        )
        .run(Shell::Shell, format!("dig TXT {name}"))
}

/// The run's deadline cut the policy fetch of `domain`.
pub fn deadline(domain: &str) -> Fix {
    fix("mta_sts::deadline", &[domain])
        .say(format!(
            "Nothing is known about the policy of {domain}: run again with a longer --deadline, or fetch it yourself:"
        ))
        .run(Shell::Shell, check_command(domain))
}

/// MTA-STS of `domain` is right, but MX hosts `failing` (validated) fail TLS or the
/// certificate check.
pub fn ok_but_failing(domain: &str, failing: &[String], enforced: bool) -> Fix {
    let hosts = failing.join(", ");
    let consequence = if enforced {
        "until then senders that honour MTA-STS do not deliver to it"
    } else {
        "in testing senders still deliver, but enforce would stop them"
    };
    fix("mta_sts::ok_but_failing", &[domain, &failing.join(" ")]).say(format!(
        "The policy of {domain} itself needs no change. Fix the TLS or certificate of {hosts} as its own finding says: {consequence} \
         (RFC 8461 §4.2)."
    ))
}

/// `domain` publishes no TLS-RPT record.
pub fn tlsrpt_missing(domain: &str) -> Fix {
    fix("mta_sts::tlsrpt_missing", &[domain])
        .say(format!(
            "Publish a TLS-RPT record so that senders such as Google and Microsoft mail you a daily report of the TLS failures they see \
             delivering to {domain} (RFC 8460). The address below is a PLACEHOLDER: replace tlsrpt@{domain} by a mailbox you read \
             (or an https: URL of a report service) before publishing."
        ))
        .run(Shell::DnsZone, format!("_smtp._tls.{domain}. IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@{domain}\""))
}

/// The TLS-RPT record of `domain` is invalid or not the only one.
pub fn tlsrpt_invalid(domain: &str) -> Fix {
    fix("mta_sts::tlsrpt_invalid", &[domain])
        .say(format!(
            "Keep exactly one TXT record at _smtp._tls.{domain}, starting `v=TLSRPTv1;` with `rua=` and mailto: or https: URIs (RFC 8460 §3). \
             The address below is a PLACEHOLDER: put the mailbox that should receive the reports."
        ))
        .run(Shell::DnsZone, format!("_smtp._tls.{domain}. IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@{domain}\""))
        .run(Shell::Shell, format!("dig +short TXT _smtp._tls.{domain}"))
}

/// MTA-STS works for `domain`: what to keep in mind.
pub fn ok(domain: &str) -> Fix {
    fix("mta_sts::ok", &[domain]).say(format!(
        "Nothing to change. When an MX host of {domain} changes, update the policy first and publish a new id in _mta-sts.{domain} \
         before the new host takes mail (RFC 8461 §3.1, §8.3)."
    ))
}

/// TLS-RPT works for `domain`.
pub fn tlsrpt_ok(domain: &str) -> Fix {
    fix("mta_sts::tlsrpt_ok", &[domain]).say(format!(
        "Nothing to change. Read the reports sent for {domain}: they name each sender's TLS failures by result type (RFC 8460 §4.3)."
    ))
}
