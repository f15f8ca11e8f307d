//! A stapled OCSP response read far enough to report it (RFC 6960 §4.2.1): the response
//! status, and of the first SingleResponse the certificate status, thisUpdate/nextUpdate and
//! the serial its CertID names. Read with the DER reader x509-parser already brings
//! (asn1-rs); the response's signature is not verified, and the report says so.

use x509_parser::der_parser::asn1_rs::{Any, Class, FromDer, Tag};

use super::Stamp;

// What a staple says is observation data, in the model layer; its old path stays valid.
pub use crate::model::revocation::Staple;

/// Why a staple could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the stapled OCSP response cannot be read: {0}")]
pub struct StapleError(pub String);

fn bad(what: &str) -> StapleError {
    StapleError(what.to_string())
}

/// One DER element of `bytes`, and what follows it.
fn next<'a>(bytes: &'a [u8], what: &str) -> Result<(Any<'a>, &'a [u8]), StapleError> {
    match Any::from_der(bytes) {
        Ok((rest, any)) => Ok((any, rest)),
        Err(_) => Err(bad(what)),
    }
}

fn expect<'a>(bytes: &'a [u8], tag: Tag, what: &str) -> Result<(Any<'a>, &'a [u8]), StapleError> {
    let (any, rest) = next(bytes, what)?;
    if any.class() != Class::Universal || any.tag() != tag {
        return Err(bad(what));
    }
    Ok((any, rest))
}

fn context(any: &Any<'_>, n: u32) -> bool {
    any.class() == Class::ContextSpecific && any.tag() == Tag(n)
}

/// The lower-case hex of an INTEGER's content bytes without leading zero bytes (the sign
/// byte DER adds to a serial with its top bit set), as serials are compared.
pub fn serial_hex(content: &[u8]) -> String {
    let start = content
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(content.len().saturating_sub(1));
    content[start..]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A GeneralizedTime's content (`YYYYMMDDHHMMSS[.f]Z`, RFC 5280 §4.1.2.5.2) as Unix seconds.
fn generalized(content: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(content).ok()?;
    let digits = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    if !s.ends_with('Z') || s.len() < 15 {
        return None;
    }
    let month = time::Month::try_from(u8::try_from(digits(4..6)?).ok()?).ok()?;
    let date = time::Date::from_calendar_date(
        i32::try_from(digits(0..4)?).ok()?,
        month,
        u8::try_from(digits(6..8)?).ok()?,
    )
    .ok()?;
    let t = time::Time::from_hms(
        u8::try_from(digits(8..10)?).ok()?,
        u8::try_from(digits(10..12)?).ok()?,
        u8::try_from(digits(12..14)?).ok()?,
    )
    .ok()?;
    Some(date.with_time(t).assume_utc().unix_timestamp())
}

fn time_of(any: &Any<'_>) -> Option<Stamp> {
    (any.tag() == Tag::GeneralizedTime)
        .then(|| generalized(any.data).map(Stamp))
        .flatten()
}

/// The RFC 5280 §5.3.1 CRLReason names, by code (7 is unused).
pub fn reason_name(code: u8) -> String {
    match code {
        0 => "unspecified",
        1 => "keyCompromise",
        2 => "cACompromise",
        3 => "affiliationChanged",
        4 => "superseded",
        5 => "cessationOfOperation",
        6 => "certificateHold",
        8 => "removeFromCRL",
        9 => "privilegeWithdrawn",
        10 => "aACompromise",
        _ => return format!("reason {code}"),
    }
    .to_string()
}

/// Reads a stapled OCSP response (the bytes of the CertificateStatus, RFC 6066 §8).
pub fn parse(bytes: &[u8]) -> Result<Staple, StapleError> {
    let (outer, _) = expect(bytes, Tag::Sequence, "not a DER SEQUENCE")?;
    let (status, rest) = expect(outer.data, Tag::Enumerated, "no responseStatus")?;
    let response_status = match status.data {
        [0] => "successful",
        [1] => "malformedRequest",
        [2] => "internalError",
        [3] => "tryLater",
        [5] => "sigRequired",
        [6] => "unauthorized",
        _ => "unrecognized",
    }
    .to_string();
    let mut staple = Staple {
        response_status,
        cert_status: None,
        revoked_at: None,
        reason: None,
        this_update: None,
        next_update: None,
        serial: None,
    };
    if rest.is_empty() {
        return Ok(staple);
    }
    // responseBytes [0] EXPLICIT SEQUENCE { responseType OID, response OCTET STRING }
    let (wrapped, _) = next(rest, "no responseBytes")?;
    if !context(&wrapped, 0) {
        return Err(bad("no responseBytes"));
    }
    let (rb, _) = expect(
        wrapped.data,
        Tag::Sequence,
        "responseBytes is not a SEQUENCE",
    )?;
    let (oid, rest) = expect(rb.data, Tag::Oid, "no responseType")?;
    // id-pkix-ocsp-basic, 1.3.6.1.5.5.7.48.1.1
    if oid.data != [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01] {
        return Err(bad("not a basic OCSP response"));
    }
    let (octets, _) = expect(rest, Tag::OctetString, "no response")?;
    let (basic, _) = expect(octets.data, Tag::Sequence, "BasicOCSPResponse")?;
    let (tbs, _) = expect(basic.data, Tag::Sequence, "tbsResponseData")?;
    let mut fields = tbs.data;
    let (mut item, mut rest) = next(fields, "ResponseData")?;
    if context(&item, 0) {
        (item, rest) = next(rest, "responderID")?;
    }
    // responderID [1] or [2], then producedAt.
    let _ = item;
    let (_produced, rest) = expect(rest, Tag::GeneralizedTime, "no producedAt")?;
    fields = rest;
    let (responses, _) = expect(fields, Tag::Sequence, "no responses")?;
    let (single, _) = expect(responses.data, Tag::Sequence, "no SingleResponse")?;
    let (cert_id, rest) = expect(single.data, Tag::Sequence, "no CertID")?;
    let (_alg, r) = expect(cert_id.data, Tag::Sequence, "CertID hashAlgorithm")?;
    let (_name_hash, r) = expect(r, Tag::OctetString, "CertID issuerNameHash")?;
    let (_key_hash, r) = expect(r, Tag::OctetString, "CertID issuerKeyHash")?;
    let (serial, _) = expect(r, Tag::Integer, "CertID serialNumber")?;
    staple.serial = Some(serial_hex(serial.data));
    let (status, rest) = next(rest, "no certStatus")?;
    staple.cert_status = Some(
        match (status.class(), status.tag().0) {
            (Class::ContextSpecific, 0) => "good",
            (Class::ContextSpecific, 1) => {
                let (at, more) = next(status.data, "RevokedInfo")?;
                staple.revoked_at = time_of(&at);
                if let Ok((reason, _)) = next(more, "revocationReason")
                    && context(&reason, 0)
                    && let Ok((code, _)) = expect(reason.data, Tag::Enumerated, "CRLReason")
                    && let [c] = code.data
                {
                    staple.reason = Some(reason_name(*c));
                }
                "revoked"
            }
            (Class::ContextSpecific, 2) => "unknown",
            _ => return Err(bad("certStatus")),
        }
        .to_string(),
    );
    let (this, rest) = expect(rest, Tag::GeneralizedTime, "no thisUpdate")?;
    staple.this_update = time_of(&this);
    if let Ok((n, _)) = next(rest, "nextUpdate")
        && context(&n, 0)
        && let Ok((t, _)) = expect(n.data, Tag::GeneralizedTime, "nextUpdate")
    {
        staple.next_update = time_of(&t);
    }
    Ok(staple)
}

/// A tiny DER writer, for tests here and in `revocation`: rcgen makes no OCSP response.
#[cfg(test)]
pub(crate) mod der {
    /// A TLV with `tag` around `content`.
    pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes = len.to_be_bytes();
            let skip = bytes.iter().take_while(|b| **b == 0).count();
            out.push(0x80 | (bytes.len() - skip) as u8);
            out.extend_from_slice(&bytes[skip..]);
        }
        out.extend_from_slice(content);
        out
    }

    /// A SEQUENCE of `parts`.
    pub fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
        tlv(0x30, &parts.concat())
    }

    /// A GeneralizedTime.
    pub fn gtime(s: &str) -> Vec<u8> {
        tlv(0x18, s.as_bytes())
    }

    /// A basic OCSP response about `serial` with status `status` (the encoded CertStatus),
    /// unsigned (a zero signature: the parser does not verify it).
    pub fn response(serial: &[u8], status: Vec<u8>, next_update: Option<&str>) -> Vec<u8> {
        let sha1 = seq(&[tlv(0x06, &[0x2b, 0x0e, 0x03, 0x02, 0x1a]), tlv(0x05, &[])]);
        let cert_id = seq(&[
            sha1.clone(),
            tlv(0x04, &[1; 20]),
            tlv(0x04, &[2; 20]),
            tlv(0x02, serial),
        ]);
        let mut single = vec![cert_id, status, gtime("20261201000000Z")];
        if let Some(n) = next_update {
            single.push(tlv(0xa0, &gtime(n)));
        }
        let data = seq(&[
            tlv(0xa2, &tlv(0x04, &[3; 20])),
            gtime("20261201000000Z"),
            seq(&[seq(&single)]),
        ]);
        let basic = seq(&[data, sha1, tlv(0x03, &[0, 0])]);
        let bytes = seq(&[
            tlv(
                0x06,
                &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01],
            ),
            tlv(0x04, &basic),
        ]);
        seq(&[tlv(0x0a, &[0]), tlv(0xa0, &bytes)])
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::der::*;
    use super::*;

    #[test]
    fn a_good_staple_is_read_with_its_dates_and_serial() {
        let r = response(&[0x00, 0x9a, 0x01], tlv(0x80, &[]), Some("20261208000000Z"));
        let s = parse(&r).unwrap();
        assert_eq!(s.response_status, "successful");
        assert_eq!(s.cert_status.as_deref(), Some("good"));
        assert_eq!(s.serial.as_deref(), Some("9a01"));
        assert_eq!(s.this_update, Some(Stamp(1_796_083_200)));
        assert_eq!(s.next_update, Some(Stamp(1_796_083_200 + 7 * 86_400)));
        assert_eq!(s.revoked_at, None);
    }

    #[test]
    fn a_revoked_staple_gives_its_time_and_reason() {
        let info = [gtime("20261130120000Z"), tlv(0xa0, &tlv(0x0a, &[1]))].concat();
        let r = response(&[0x05], tlv(0xa1, &info), None);
        let s = parse(&r).unwrap();
        assert_eq!(s.cert_status.as_deref(), Some("revoked"));
        assert_eq!(s.revoked_at, Some(Stamp(1_796_083_200 - 12 * 3600)));
        assert_eq!(s.reason.as_deref(), Some("keyCompromise"));
        assert_eq!(s.next_update, None);
    }

    #[test]
    fn an_unsuccessful_status_and_garbage_are_told_apart() {
        let try_later = seq(&[tlv(0x0a, &[3])]);
        let s = parse(&try_later).unwrap();
        assert_eq!(s.response_status, "tryLater");
        assert_eq!(s.cert_status, None);
        assert!(parse(b"HTTP/1.0 200 OK").is_err());
        let unknown = response(&[7], tlv(0x82, &[]), None);
        assert_eq!(
            parse(&unknown).unwrap().cert_status.as_deref(),
            Some("unknown")
        );
    }
}
