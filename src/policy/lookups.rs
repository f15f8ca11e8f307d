//! The policy phase's DNS lookups as the report shows them: each mail host and port's
//! address status, TLSA base domain and TLSA records, in the words of RFC 7672.

use super::{Answer, Dnssec, DomainPolicy, HostDane, Tlsa};

/// One host and port's DANE lookups, for the report's `policy` object.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HostDaneReport {
    /// The mail host, without the trailing dot.
    pub host: String,
    /// The port probed (`_PORT._tcp`).
    pub port: u16,
    /// The DNSSEC status of the host's A/AAAA answers (RFC 7672 §2.2).
    pub address_dnssec: Dnssec,
    /// The CNAME chain of the address lookup, the expanded name last.
    pub cnames: Vec<String>,
    /// The TLSA base domain: the name whose `_PORT._tcp` holds the records (RFC 7672
    /// §2.2.2); null when none was found.
    pub base_domain: Option<String>,
    /// The TLSA lookup that decided; null when none was made (the addresses are not
    /// secure: RFC 7672 §2.2 looks TLSA up only for secure addresses).
    pub tlsa: Option<TlsaLookupReport>,
}

/// The TLSA lookup of one host and port.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TlsaLookupReport {
    /// The name asked (`_25._tcp.mx.example.com`).
    pub name: String,
    /// The DNSSEC status of the answer (of the records or of the denial).
    pub dnssec: Dnssec,
    /// What came back.
    pub outcome: TlsaOutcome,
    /// Why the lookup failed, in words; null unless `outcome` is `failed`.
    pub error: Option<String>,
    /// The records, in the order of the answer (empty unless `outcome` is `records`).
    pub records: Vec<TlsaRecordReport>,
}

/// How a TLSA lookup ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsaOutcome {
    /// Records came back.
    Records,
    /// The name does not exist.
    Nxdomain,
    /// The name exists without TLSA records.
    Nodata,
    /// No usable answer (SERVFAIL, a timeout...).
    Failed,
}

/// One TLSA record (RFC 6698 §2.1).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TlsaRecordReport {
    /// Certificate usage: 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE, 255 private use.
    pub usage: u8,
    /// Selector: 0 the full certificate, 1 the SubjectPublicKeyInfo.
    pub selector: u8,
    /// Matching type: 0 exact, 1 SHA2-256, 2 SHA2-512.
    pub matching: u8,
    /// The certificate association data, lower-case hex.
    pub data: String,
    /// The record in presentation form, as in a zone file (`3 1 1 abcd...`).
    pub text: String,
}

impl From<&Tlsa> for TlsaRecordReport {
    fn from(t: &Tlsa) -> Self {
        let data: String = t.data.iter().map(|b| format!("{b:02x}")).collect();
        TlsaRecordReport {
            usage: t.usage,
            selector: t.selector,
            matching: t.matching,
            text: format!("{} {} {} {data}", t.usage, t.selector, t.matching),
            data,
        }
    }
}

fn host_report(h: &HostDane) -> HostDaneReport {
    let tlsa = h.tlsa.as_ref().map(|r| {
        let (outcome, error, records) = match &r.answer {
            Answer::Records(v) => (
                TlsaOutcome::Records,
                None,
                v.iter().map(Into::into).collect(),
            ),
            Answer::NxDomain => (TlsaOutcome::Nxdomain, None, Vec::new()),
            Answer::NoData => (TlsaOutcome::Nodata, None, Vec::new()),
            Answer::Failed(why) => (TlsaOutcome::Failed, Some(why.clone()), Vec::new()),
        };
        TlsaLookupReport {
            name: r.name.clone(),
            dnssec: r.dnssec,
            outcome,
            error,
            records,
        }
    });
    HostDaneReport {
        host: h.host.clone(),
        port: h.port,
        address_dnssec: h.addresses,
        cnames: h.cnames.clone(),
        base_domain: h.base_domain.clone(),
        tlsa,
    }
}

/// Every host and port of `p`, for the report.
pub fn host_reports(p: &DomainPolicy) -> Vec<HostDaneReport> {
    p.dane.iter().map(host_report).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::DnsResult;

    #[test]
    fn a_record_reads_as_in_a_zone_file() {
        let h = HostDane {
            host: "mx.example".into(),
            port: 25,
            addresses: Dnssec::Secure,
            tlsa: Some(DnsResult {
                name: "_25._tcp.mx.example".into(),
                dnssec: Dnssec::Secure,
                answer: Answer::Records(vec![Tlsa {
                    usage: 3,
                    selector: 1,
                    matching: 1,
                    data: vec![0xAB, 0x01],
                }]),
                cnames: vec![],
            }),
            base_domain: Some("mx.example".into()),
            cnames: vec![],
        };
        let r = host_report(&h);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["address_dnssec"], "secure");
        assert_eq!(json["tlsa"]["outcome"], "records");
        assert_eq!(json["tlsa"]["records"][0]["data"], "ab01");
        assert_eq!(json["tlsa"]["records"][0]["text"], "3 1 1 ab01");
        assert_eq!(json["tlsa"]["error"], serde_json::Value::Null);
    }
}
