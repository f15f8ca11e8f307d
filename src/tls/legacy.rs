//! A hand-built TLS ClientHello and a reader for the server's first answer: enough to learn
//! which protocol version a server speaks when rustls (TLS 1.2 and 1.3 only) cannot
//! negotiate with it. No key exchange, no certificate, nothing encrypted: the probe sends
//! this hello, reads the ServerHello (or the alert) and hangs up.
//!
//! The hello offers TLS 1.2 as its highest version (`client_version` 0x0303, no
//! `supported_versions` extension, so a TLS 1.3 server answers with TLS 1.2), and the classic
//! suites a TLS 1.0/1.1 stack speaks (ECDHE, DHE and RSA key exchange with AES-CBC and 3DES)
//! besides the AES-GCM ones. A server picks the highest version both sides support (RFC 5246
//! §7.4.1.2, RFC 4346 §7.4.1.2): 0x0301 is TLS 1.0, 0x0302 TLS 1.1, 0x0303 TLS 1.2.
//!
//! # References
//! - RFC 5246 §6.2.1 (record layer), §7.2 (alerts), §7.4.1.2–7.4.1.3 (ClientHello,
//!   ServerHello), Appendix E.1 (negotiating with older servers)
//! - RFC 6066 §3 (server_name), RFC 4492 §5.1 (elliptic curves and point formats),
//!   RFC 5746 §3.3 (TLS_EMPTY_RENEGOTIATION_INFO_SCSV)
//! - RFC 8996 (TLS 1.0 and 1.1 deprecated)

/// The alert level that does not end a handshake (RFC 5246 §7.2).
const ALERT_WARNING: u8 = 1;

/// The most bytes read while waiting for the ServerHello: it comes first and is small; a
/// server that sends more without a complete one is not speaking TLS to us.
pub const MAX_ANSWER: usize = 16 * 1024;

/// The cipher suites offered, with their IANA names, strongest kinds first.
pub const OFFERED_SUITES: [(u16, &str); 20] = [
    (0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    (0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    (0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
    (0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
    (0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"),
    (0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
    (0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"),
    (0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"),
    (0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"),
    (0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"),
    (0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"),
    (0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"),
    (0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256"),
    (0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384"),
    (0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"),
    (0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"),
    (0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256"),
    (0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    // Not a suite: says the client supports secure renegotiation (RFC 5746 §3.3).
    (0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"),
];

/// The highest version offered: TLS 1.2.
pub const HIGHEST_OFFERED: u16 = 0x0303;

const HANDSHAKE: u8 = 22;
const ALERT: u8 = 21;
const CLIENT_HELLO: u8 = 1;
const SERVER_HELLO: u8 = 2;

fn u16_be(v: u16) -> [u8; 2] {
    v.to_be_bytes()
}

/// Appends `body` preceded by its length in `width` bytes (1, 2 or 3).
fn with_len(out: &mut Vec<u8>, width: usize, body: &[u8]) {
    let len = body.len().to_be_bytes();
    out.extend_from_slice(&len[len.len() - width..]);
    out.extend_from_slice(body);
}

fn extension(out: &mut Vec<u8>, kind: u16, body: &[u8]) {
    out.extend_from_slice(&u16_be(kind));
    with_len(out, 2, body);
}

/// The ClientHello record. `sni` is sent when it is a DNS name (RFC 6066 §3: never an
/// address); `random` is the 32-byte client random.
pub fn client_hello(sni: Option<&str>, random: &[u8; 32]) -> Vec<u8> {
    let mut body = Vec::with_capacity(256);
    body.extend_from_slice(&u16_be(HIGHEST_OFFERED));
    body.extend_from_slice(random);
    body.push(0); // no session id
    let suites: Vec<u8> = OFFERED_SUITES
        .iter()
        .flat_map(|(id, _)| u16_be(*id))
        .collect();
    with_len(&mut body, 2, &suites);
    with_len(&mut body, 1, &[0]); // null compression only
    let mut ext = Vec::new();
    if let Some(name) = sni.filter(|n| n.parse::<std::net::IpAddr>().is_err() && !n.is_empty()) {
        let name = name.trim_end_matches('.').as_bytes();
        let mut entry = vec![0u8]; // host_name
        with_len(&mut entry, 2, name);
        let mut list = Vec::new();
        with_len(&mut list, 2, &entry);
        extension(&mut ext, 0x0000, &list);
    }
    // supported_groups: x25519, secp256r1, secp384r1.
    extension(
        &mut ext,
        0x000a,
        &[0x00, 0x06, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18],
    );
    // ec_point_formats: uncompressed.
    extension(&mut ext, 0x000b, &[0x01, 0x00]);
    // signature_algorithms (read by TLS 1.2 servers only): RSA and ECDSA with SHA-256,
    // SHA-384, SHA-1, and RSA-PSS with SHA-256.
    let schemes: [u16; 7] = [0x0401, 0x0403, 0x0501, 0x0503, 0x0804, 0x0201, 0x0203];
    let schemes: Vec<u8> = schemes.iter().flat_map(|s| u16_be(*s)).collect();
    let mut sig = Vec::new();
    with_len(&mut sig, 2, &schemes);
    extension(&mut ext, 0x000d, &sig);
    with_len(&mut body, 2, &ext);

    let mut handshake = vec![CLIENT_HELLO];
    with_len(&mut handshake, 3, &body);
    // The record layer says TLS 1.0, as clients do for the widest reach (RFC 5246 App. E.1).
    let mut record = vec![HANDSHAKE, 0x03, 0x01];
    with_len(&mut record, 2, &handshake);
    record
}

/// What the server answered to the hand-built hello.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerAnswer {
    /// A ServerHello: the version and the cipher suite the server chose.
    Hello {
        /// `server_version` (0x0301 TLS 1.0, 0x0302 TLS 1.1, 0x0303 TLS 1.2).
        version: u16,
        /// The cipher suite chosen.
        cipher: u16,
    },
    /// An alert (`description` per RFC 5246 §7.2: 40 handshake_failure, 70 protocol_version).
    Alert {
        /// 1 warning, 2 fatal.
        level: u8,
        /// The alert description.
        description: u8,
    },
    /// Bytes that are not a TLS handshake or alert record.
    NotTls,
}

/// The state of reading the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parse {
    /// Not enough bytes yet.
    Incomplete,
    /// The answer.
    Done(ServerAnswer),
}

/// Reads the server's first answer from the bytes received so far. Handshake records are
/// joined (a ServerHello may be split across records); the first record that is neither a
/// handshake nor an alert, or a handshake message that is not a ServerHello, is `NotTls`.
pub fn parse_answer(buf: &[u8]) -> Parse {
    let mut handshake = Vec::new();
    let mut rest = buf;
    loop {
        if rest.len() < 5 {
            return Parse::Incomplete;
        }
        let (kind, major, len) = (
            rest[0],
            rest[1],
            usize::from(u16::from_be_bytes([rest[3], rest[4]])),
        );
        if major != 3 || !matches!(kind, HANDSHAKE | ALERT) || len == 0 || len > 16 * 1024 + 2048 {
            return Parse::Done(ServerAnswer::NotTls);
        }
        // The ServerHello is read from as much of its record as has come: SChannel packs the
        // certificates into the same record, which can be larger than we care to wait for.
        let complete = rest.len() >= 5 + len;
        let fragment = &rest[5..(5 + len).min(rest.len())];
        if kind == ALERT {
            if !complete {
                return Parse::Incomplete;
            }
            if !handshake.is_empty() || fragment.len() < 2 {
                return Parse::Done(ServerAnswer::NotTls);
            }
            // A warning (`unrecognized_name` for our SNI) does not end the handshake: the
            // ServerHello follows it.
            if fragment[0] == ALERT_WARNING {
                rest = &rest[5 + len..];
                continue;
            }
            return Parse::Done(ServerAnswer::Alert {
                level: fragment[0],
                description: fragment[1],
            });
        }
        handshake.extend_from_slice(fragment);
        match server_hello(&handshake) {
            Some(answer) => return Parse::Done(answer),
            None if !complete => return Parse::Incomplete,
            None => rest = &rest[5 + len..],
        }
    }
}

/// The version and cipher of a ServerHello at the start of `handshake`, once enough of it
/// has come; `NotTls` when it is another message or malformed.
fn server_hello(handshake: &[u8]) -> Option<ServerAnswer> {
    if handshake.first().is_some_and(|&t| t != SERVER_HELLO) {
        return Some(ServerAnswer::NotTls);
    }
    // type(1) length(3) version(2) random(32) session_id_len(1) ... cipher(2)
    if handshake.len() < 4 + 2 + 32 + 1 {
        return None;
    }
    let version = u16::from_be_bytes([handshake[4], handshake[5]]);
    let sid = usize::from(handshake[38]);
    if sid > 32 {
        return Some(ServerAnswer::NotTls);
    }
    let at = 39 + sid;
    if handshake.len() < at + 2 {
        return None;
    }
    let cipher = u16::from_be_bytes([handshake[at], handshake[at + 1]]);
    Some(ServerAnswer::Hello { version, cipher })
}

/// `TLS 1.0` for 0x0301, `SSL 3.0` for 0x0300 …, else the number.
pub fn version_name(v: u16) -> String {
    match v {
        0x0300 => "SSL 3.0".into(),
        0x0301 => "TLS 1.0".into(),
        0x0302 => "TLS 1.1".into(),
        0x0303 => "TLS 1.2".into(),
        0x0304 => "TLS 1.3".into(),
        other => format!("version 0x{other:04x}"),
    }
}

/// The version is older than TLS 1.2.
pub fn is_legacy(v: u16) -> bool {
    (0x0300..0x0303).contains(&v)
}

/// The IANA name of a suite this hello offers, else its number.
pub fn cipher_name(c: u16) -> String {
    OFFERED_SUITES
        .iter()
        .find(|(id, _)| *id == c)
        .map_or_else(|| format!("suite 0x{c:04x}"), |(_, n)| (*n).to_string())
}

/// The suite is one rustls offers (ECDHE with AES-GCM; ChaCha20 is not in this hello).
pub fn modern_cipher(c: u16) -> bool {
    matches!(c, 0xc02b | 0xc02f | 0xc02c | 0xc030)
}

/// The alert's name (RFC 5246 §7.2).
pub fn alert_name(d: u8) -> String {
    match d {
        0 => "close_notify".into(),
        10 => "unexpected_message".into(),
        40 => "handshake_failure".into(),
        47 => "illegal_parameter".into(),
        50 => "decode_error".into(),
        70 => "protocol_version".into(),
        71 => "insufficient_security".into(),
        80 => "internal_error".into(),
        86 => "inappropriate_fallback".into(),
        112 => "unrecognized_name".into(),
        other => format!("alert {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello() -> Vec<u8> {
        client_hello(Some("mail.contoso.test."), &[7u8; 32])
    }

    #[test]
    fn client_hello_is_one_well_formed_record() {
        let h = hello();
        // Record: handshake, TLS 1.0 record version, length of the rest.
        assert_eq!(&h[..3], &[22, 3, 1]);
        assert_eq!(usize::from(u16::from_be_bytes([h[3], h[4]])), h.len() - 5);
        // Handshake: ClientHello, 3-byte length of the rest.
        assert_eq!(h[5], 1);
        let hs_len = (usize::from(h[6]) << 16) | (usize::from(h[7]) << 8) | usize::from(h[8]);
        assert_eq!(hs_len, h.len() - 9);
        // client_version TLS 1.2, the random, an empty session id.
        assert_eq!(&h[9..11], &[3, 3]);
        assert_eq!(&h[11..43], &[7u8; 32]);
        assert_eq!(h[43], 0);
        // The suites, each offered once, then null compression only.
        let n = usize::from(u16::from_be_bytes([h[44], h[45]]));
        assert_eq!(n, OFFERED_SUITES.len() * 2);
        let suites: Vec<u16> = h[46..46 + n]
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        assert!(suites.contains(&0xc014), "ECDHE-RSA-AES256-SHA for TLS 1.0");
        assert!(suites.contains(&0x002f), "RSA-AES128-SHA");
        assert!(suites.contains(&0x0033), "DHE-RSA-AES128-SHA");
        assert_eq!(&h[46 + n..46 + n + 2], &[1, 0]);
        // Extensions: their lengths add up to the end of the record.
        let at = 46 + n + 2;
        let ext_len = usize::from(u16::from_be_bytes([h[at], h[at + 1]]));
        assert_eq!(at + 2 + ext_len, h.len());
        let mut kinds = Vec::new();
        let mut p = at + 2;
        while p < h.len() {
            kinds.push(u16::from_be_bytes([h[p], h[p + 1]]));
            p += 4 + usize::from(u16::from_be_bytes([h[p + 2], h[p + 3]]));
        }
        assert_eq!(p, h.len());
        assert_eq!(kinds, [0x0000, 0x000a, 0x000b, 0x000d]);
        // No supported_versions (43): the server answers in client_version terms.
        assert!(!kinds.contains(&43));
    }

    #[test]
    fn sni_is_the_name_without_its_trailing_dot_and_never_an_address() {
        let h = hello();
        let name = b"mail.contoso.test";
        let found = h.windows(name.len() + 3).any(|w| {
            w[0] == 0
                && usize::from(u16::from_be_bytes([w[1], w[2]])) == name.len()
                && &w[3..] == name
        });
        assert!(found, "SNI host_name entry");
        assert!(
            !h.windows(name.len() + 1)
                .any(|w| w == b"mail.contoso.test.")
        );
        let by_ip = client_hello(Some("192.0.2.10"), &[0u8; 32]);
        let none = client_hello(None, &[0u8; 32]);
        assert_eq!(by_ip, none);
        assert_eq!(hello().len() - none.len(), 4 + 2 + 3 + name.len());
    }

    /// A ServerHello as OpenSSL sends it: version, random, a 32-byte session id, suite,
    /// compression, an extension block.
    fn server_hello(version: u16, cipher: u16) -> Vec<u8> {
        let mut body = version.to_be_bytes().to_vec();
        body.extend_from_slice(&[0xab; 32]);
        body.push(32);
        body.extend_from_slice(&[0xcd; 32]);
        body.extend_from_slice(&cipher.to_be_bytes());
        body.push(0);
        body.extend_from_slice(&[0x00, 0x05, 0xff, 0x01, 0x00, 0x01, 0x00]);
        let mut hs = vec![2];
        with_len(&mut hs, 3, &body);
        let mut rec = vec![22, 3, (version & 0xff) as u8];
        with_len(&mut rec, 2, &hs);
        rec
    }

    #[test]
    fn server_hello_version_and_suite() {
        let rec = server_hello(0x0301, 0xc014);
        assert_eq!(
            parse_answer(&rec),
            Parse::Done(ServerAnswer::Hello {
                version: 0x0301,
                cipher: 0xc014
            })
        );
        // Followed by the Certificate record in the same read: still the hello.
        let mut more = server_hello(0x0302, 0x0035);
        more.extend_from_slice(&[22, 3, 2, 0x10, 0x00, 11]);
        assert_eq!(
            parse_answer(&more),
            Parse::Done(ServerAnswer::Hello {
                version: 0x0302,
                cipher: 0x0035
            })
        );
        // Every prefix is incomplete or already the right answer, never a wrong one.
        let right = Parse::Done(ServerAnswer::Hello {
            version: 0x0301,
            cipher: 0xc014,
        });
        for cut in 0..rec.len() {
            let got = parse_answer(&rec[..cut]);
            assert!(
                got == Parse::Incomplete || got == right,
                "cut at {cut}: {got:?}"
            );
        }
        // The cipher is read once its two bytes have come: 5 + 4 + 2 + 32 + 1 + 32 + 2.
        assert_eq!(parse_answer(&rec[..78]), right);
        assert_eq!(parse_answer(&rec[..77]), Parse::Incomplete);
    }

    /// SChannel sends the ServerHello and the certificates in one record, which a long chain
    /// makes as large as a record gets: the hello is read from the part that has come.
    #[test]
    fn server_hello_at_the_start_of_a_full_record() {
        let rec = server_hello(0x0301, 0xc013);
        let hs = &rec[5..];
        let mut big = vec![22, 3, 1, 0x40, 0x00];
        big.extend_from_slice(hs);
        big.extend_from_slice(&[11, 0, 0x3f, 0x00]);
        assert_eq!(
            parse_answer(&big),
            Parse::Done(ServerAnswer::Hello {
                version: 0x0301,
                cipher: 0xc013
            })
        );
    }

    /// A warning alert (`unrecognized_name` for our SNI) before the hello does not end the
    /// handshake; a fatal one does.
    #[test]
    fn a_warning_alert_before_the_hello_is_skipped() {
        let mut answer = vec![21, 3, 1, 0, 2, 1, 112];
        answer.extend_from_slice(&server_hello(0x0301, 0xc014));
        assert_eq!(
            parse_answer(&answer),
            Parse::Done(ServerAnswer::Hello {
                version: 0x0301,
                cipher: 0xc014
            })
        );
        assert_eq!(parse_answer(&answer[..7]), Parse::Incomplete);
    }

    #[test]
    fn server_hello_split_across_records() {
        let rec = server_hello(0x0303, 0x002f);
        let hs = &rec[5..];
        let (a, b) = hs.split_at(20);
        let mut split = vec![22, 3, 3];
        with_len(&mut split, 2, a);
        split.extend_from_slice(&[22, 3, 3]);
        with_len(&mut split, 2, b);
        assert_eq!(
            parse_answer(&split),
            Parse::Done(ServerAnswer::Hello {
                version: 0x0303,
                cipher: 0x002f
            })
        );
    }

    #[test]
    fn alerts_and_other_bytes() {
        // Python's ssl at TLS 1.0 only, to rustls: fatal protocol_version.
        assert_eq!(
            parse_answer(&[21, 3, 1, 0, 2, 2, 70]),
            Parse::Done(ServerAnswer::Alert {
                level: 2,
                description: 70
            })
        );
        assert_eq!(
            parse_answer(&[21, 3, 3, 0, 2, 2, 40]),
            Parse::Done(ServerAnswer::Alert {
                level: 2,
                description: 40
            })
        );
        assert_eq!(parse_answer(&[21, 3, 3, 0, 2, 2]), Parse::Incomplete);
        assert_eq!(
            parse_answer(b"500 5.5.1 Command unrecognized\r\n"),
            Parse::Done(ServerAnswer::NotTls)
        );
        // A handshake message that is not a ServerHello.
        assert_eq!(
            parse_answer(&[22, 3, 1, 0, 4, 1, 0, 0, 0]),
            Parse::Done(ServerAnswer::NotTls)
        );
        assert_eq!(parse_answer(&[]), Parse::Incomplete);
    }

    #[test]
    fn names() {
        assert_eq!(version_name(0x0301), "TLS 1.0");
        assert_eq!(version_name(0x0302), "TLS 1.1");
        assert_eq!(version_name(0x0303), "TLS 1.2");
        assert_eq!(version_name(0x7f12), "version 0x7f12");
        assert!(is_legacy(0x0301) && is_legacy(0x0302) && is_legacy(0x0300));
        assert!(!is_legacy(0x0303));
        assert_eq!(cipher_name(0xc014), "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA");
        assert_eq!(cipher_name(0x1301), "suite 0x1301");
        assert_eq!(alert_name(70), "protocol_version");
        assert_eq!(alert_name(40), "handshake_failure");
        assert!(modern_cipher(0xc02f) && !modern_cipher(0x002f));
    }
}
