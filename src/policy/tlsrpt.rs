//! TLS-RPT (RFC 8460): the `_smtp._tls` TXT record. The result-type vocabulary findings are
//! named in lives with the findings (`diagnose/tlsrpt_vocab.rs`).
//!
//! # References
//! - RFC 8460 §3 (the record: `v=TLSRPTv1;`, `rua=` with mailto: or https: URIs)

use super::{Answer, DnsResult, DomainPolicy};

/// What the TXT records say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsRptState {
    /// No record starts with `v=TLSRPTv1` (or the name does not exist).
    Missing,
    /// The lookup failed: nothing is known.
    LookupFailed,
    /// Records exist, but none is valid, or more than one starts right: no reports are sent.
    Invalid,
    /// Exactly one valid record.
    Valid,
}

/// TLS-RPT for the report's `policy` object.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TlsRptReport {
    /// The verdict.
    pub state: TlsRptState,
    /// The TLS-RPT record (escaped), when there is exactly one.
    pub record: Option<String>,
    /// The report URIs of `rua=` (escaped), in order.
    pub rua: Vec<String>,
    /// What is wrong, in words.
    pub problems: Vec<String>,
}

fn is_tlsrpt(record: &str) -> bool {
    record
        .strip_prefix("v=TLSRPTv1")
        .is_some_and(|rest| rest.trim_start_matches([' ', '\t']).starts_with(';'))
}

/// Reads the `_smtp._tls` TXT records (RFC 8460 §3): those not starting with `v=TLSRPTv1;`
/// are discarded; exactly one must remain, with `rua=` naming mailto: or https: URIs.
pub fn parse(records: &[String]) -> TlsRptReport {
    let esc = |s: &str| crate::smtp::escape(s.as_bytes());
    let mut out = TlsRptReport {
        state: TlsRptState::Missing,
        record: None,
        rua: Vec::new(),
        problems: Vec::new(),
    };
    let ours: Vec<&String> = records.iter().filter(|r| is_tlsrpt(r)).collect();
    let near = records
        .iter()
        .find(|r| !is_tlsrpt(r) && r.trim_start().to_ascii_lowercase().starts_with("v=tlsrpt"));
    let record = match ours.as_slice() {
        [] => {
            if let Some(n) = near {
                out.state = TlsRptState::Invalid;
                out.problems.push(format!(
                    "the record \"{}\" does not start with exactly `v=TLSRPTv1;`, so senders discard it",
                    esc(n)
                ));
            }
            return out;
        }
        [one] => *one,
        many => {
            out.state = TlsRptState::Invalid;
            out.problems.push(format!(
                "{} records start with `v=TLSRPTv1;`; with more than one, senders send no reports",
                many.len()
            ));
            return out;
        }
    };
    out.record = Some(esc(record));
    let mut rua = None;
    for field in record.split(';').skip(1) {
        let field = field.trim_matches([' ', '\t']);
        match field.split_once('=') {
            Some(("rua", v)) if rua.is_none() => rua = Some(v.to_string()),
            Some(("rua", _)) => out.problems.push("more than one `rua=` field".into()),
            Some(_) => {}
            None if field.is_empty() => {}
            None => out
                .problems
                .push(format!("the field \"{}\" is not NAME=VALUE", esc(field))),
        }
    }
    match rua {
        None => out
            .problems
            .push("no `rua=` field: the record names nowhere to send reports".into()),
        Some(v) => {
            for uri in v.split(',').map(|u| u.trim_matches([' ', '\t'])) {
                let lower = uri.to_ascii_lowercase();
                let ok = lower
                    .strip_prefix("mailto:")
                    .is_some_and(|a| a.contains('@') && !a.starts_with('@') && !a.ends_with('@'))
                    || lower.starts_with("https://") && lower.len() > 8;
                if !ok {
                    out.problems.push(format!(
                        "the report URI \"{}\" is not a mailto: address or an https: URL",
                        esc(uri)
                    ));
                }
                out.rua.push(esc(uri));
            }
        }
    }
    out.state = if out.problems.is_empty() {
        TlsRptState::Valid
    } else {
        TlsRptState::Invalid
    };
    out
}

/// The report of one lookup.
pub fn assess(txt: &DnsResult<String>) -> TlsRptReport {
    match &txt.answer {
        Answer::Records(r) => parse(r),
        Answer::NxDomain | Answer::NoData => parse(&[]),
        Answer::Failed(why) => TlsRptReport {
            state: TlsRptState::LookupFailed,
            record: None,
            rua: Vec::new(),
            problems: vec![format!(
                "the TXT lookup of {} failed: {}",
                txt.name,
                crate::smtp::escape(why.as_bytes())
            )],
        },
    }
}

/// `p`'s TLS-RPT, for the report, when it was looked up.
pub fn report(p: &DomainPolicy) -> Option<TlsRptReport> {
    p.tlsrpt.as_ref().map(assess)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn valid_missing_and_invalid_records() {
        let r = parse(&s(&[
            "v=TLSRPTv1; rua=mailto:tls@example.com,https://r.example/x",
        ]));
        assert_eq!(r.state, TlsRptState::Valid, "{:?}", r.problems);
        assert_eq!(r.rua.len(), 2);
        assert_eq!(parse(&s(&["v=spf1 -all"])).state, TlsRptState::Missing);
        for bad in [
            vec!["v=TLSRPTv1;"],
            vec!["v=TLSRPTv1; rua=ftp://x.example"],
            vec!["v=TLSRPTv1; rua=mailto:nobody"],
            vec!["v=tlsrptv1; rua=mailto:a@example.com"],
            vec![
                "v=TLSRPTv1; rua=mailto:a@example.com",
                "v=TLSRPTv1; rua=mailto:b@example.com",
            ],
        ] {
            let r = parse(&s(&bad));
            assert_eq!(r.state, TlsRptState::Invalid, "{bad:?}");
            assert!(!r.problems.is_empty());
        }
    }
}
