//! Hostile and broken TLS peers (issue 14, items 4-7): what the report says when the server's
//! certificate message is too large, its chain is refused for a reason that is not its
//! issuer, or the TLS session breaks after the handshake. Every chain is made at test time
//! (rcgen) and served by rustls on 127.0.0.1; the raw servers in [`raw`] script what rustls
//! servers never do on their own (cut the connection without close_notify, send a corrupt
//! record).

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::{HOST, pki, probe, probe_name, serve};
use rustls::pki_types::CertificateDer;
use starttls_check::scripted::{Ca, Leaf, LeafSpec, Scenario};
use time::OffsetDateTime;

/// The words of a finding a user reads: its summary, evidence and fix.
fn text(f: &serde_json::Value) -> String {
    format!("{}\n{}\n{}", f["summary"], f["evidence"], f["fix"])
}

/// A healthy chain of the test PKI for `spec`.
fn chain(spec: &LeafSpec) -> Leaf {
    pki().chain(spec)
}

/// The unknown-issuer advice must never be given for a chain whose issuer is not the matter.
#[track_caller]
fn no_issuer_advice(f: &serde_json::Value) {
    let fix = f["fix"].as_str().unwrap();
    assert!(
        !fix.contains("does not contain it") && !fix.contains("not a trusted root"),
        "unknown-issuer fix given: {fix}"
    );
}

// --- Item 4: an oversized certificate is not a proxy.

#[test]
fn a_certificate_with_ten_thousand_names_is_named_as_too_large_not_as_a_proxy() {
    let mut spec = LeafSpec::valid_for(HOST, pki().now, 90);
    spec.names = (0..10_000)
        .map(|i| format!("host{i:05}.mail.example.test"))
        .collect();
    spec.names.push(HOST.into());
    let leaf = chain(&spec);
    let size: usize = leaf.chain.iter().map(|c| c.len()).sum();
    assert!(size > 200_000, "the chain is {size} bytes");
    // rustls's `with_single_cert` refuses to load a certificate webpki cannot parse (its
    // length takes three bytes): the key is handed over as is, the way a server on another
    // TLS library would send it.
    let mut scenario = Scenario::postfix(HOST, &pki().healthy(HOST, 90));
    scenario.tls = Some(serving_as_is(&leaf));
    let server = serve(scenario);
    let r = probe(&server, &[]);
    let f = r.finding("tls-handshake-failed");
    let t = text(&f);
    assert!(
        t.contains("larger than the 65535 bytes") && t.contains("certificate chain"),
        "{t}"
    );
    assert!(
        !t.contains("not TLS") && !t.contains("proxy in the path"),
        "{t}"
    );
    let fix = f["fix"].as_str().unwrap();
    assert!(fix.contains("split") && fix.contains("64 KiB"), "{fix}");
    assert!(!fix.contains("inspect esmtp"), "firewall fix given: {fix}");
    assert_eq!(r.json()["endpoints"][0]["failure"]["kind"], "handshake");
}

/// A rustls server config that sends `leaf`'s chain without checking it.
fn serving_as_is(leaf: &Leaf) -> Arc<rustls::ServerConfig> {
    #[derive(Debug)]
    struct AsIs(Arc<rustls::sign::CertifiedKey>);
    impl rustls::server::ResolvesServerCert for AsIs {
        fn resolve(
            &self,
            _: rustls::server::ClientHello<'_>,
        ) -> Option<Arc<rustls::sign::CertifiedKey>> {
            Some(self.0.clone())
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = provider
        .key_provider
        .load_private_key(leaf.key.clone_key())
        .unwrap();
    let certified = rustls::sign::CertifiedKey::new(leaf.chain.clone(), key);
    Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(rustls::ALL_VERSIONS)
            .unwrap()
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(AsIs(Arc::new(certified)))),
    )
}

// --- Item 5: trust failures that are not about the issuer.

#[test]
fn a_bad_signature_on_the_leaf_says_so_and_gets_its_own_fix() {
    let mut leaf = chain(&LeafSpec::valid_for(HOST, pki().now, 90));
    let mut der = leaf.chain[0].to_vec();
    // The signature BIT STRING ends the certificate: its last byte is signature.
    let last = der.len() - 1;
    der[last] ^= 0x01;
    leaf.chain[0] = CertificateDer::from(der);
    let server = serve(Scenario::postfix(HOST, &leaf));
    let r = probe(&server, &[]);
    let f = r.finding("cert-untrusted");
    let t = text(&f);
    assert!(
        t.contains("does not verify") && t.contains("#0 CN=mail.example.test"),
        "{t}"
    );
    assert!(f["fix"].as_str().unwrap().contains("altered"), "{t}");
    no_issuer_advice(&f);
}

#[test]
fn a_fifty_deep_chain_is_named_too_long_with_its_length() {
    let now = pki().now;
    let mut cas: Vec<Ca> = Vec::new();
    for i in 0..49 {
        let next = cas
            .last()
            .unwrap_or(&pki().root)
            .intermediate(&format!("Deep CA {i:02}"), now)
            .unwrap();
        cas.push(next);
    }
    let mut leaf = cas
        .last()
        .unwrap()
        .leaf(&LeafSpec::valid_for(HOST, now, 90))
        .unwrap();
    leaf.chain.extend(cas.iter().rev().map(Ca::der));
    assert_eq!(leaf.chain.len(), 50);
    let server = serve(Scenario::postfix(HOST, &leaf));
    let r = probe(&server, &[]);
    let f = r.finding("cert-untrusted");
    let t = text(&f);
    assert!(
        t.contains("longer than TLS clients accept") && t.contains("sent 50 certificates"),
        "{t}"
    );
    assert!(!t.contains("MaximumPathDepthExceeded"), "{t}");
    // Item 7: the evidence lists the first certificates and counts the rest.
    assert!(
        t.contains("and 40 more certificates not listed here (the server sent 50)"),
        "{t}"
    );
    assert_eq!(f["evidence"].as_array().unwrap().len(), 12, "{t}");
    assert!(
        f["fix"]
            .as_str()
            .unwrap()
            .contains("Send only the server's certificate"),
        "{t}"
    );
    no_issuer_advice(&f);
}

#[test]
fn a_not_before_in_1950_is_named_as_a_date_webpki_cannot_represent() {
    let mut spec = LeafSpec::valid_for(HOST, pki().now, 90);
    spec.not_before = OffsetDateTime::from_unix_timestamp(-631_152_000).unwrap(); // 1950-01-01
    let leaf = chain(&spec);
    let server = serve(Scenario::postfix(HOST, &leaf));
    let r = probe(&server, &[]);
    let j = r.json();
    let f = r.finding("cert-date-unsupported");
    let t = text(&f);
    assert!(
        t.contains("1950-01-01") && t.contains("before 1970") && t.contains("rustls/webpki"),
        "{t}"
    );
    assert!(!t.contains("not valid DER"), "{t}");
    // Apart from that date the chain is sound: senders on OpenSSL accept it, so it warns.
    assert_eq!(f["severity"], "warn", "{t}");
    assert!(f["fix"].as_str().unwrap().contains("after 1970"), "{t}");
    common::assert_absent(&r, "cert-untrusted");
    assert_eq!(j["endpoints"][0]["trust"]["trusted"], true, "{j}");
}

/// Item 7: a certificate with many names shows the first ones and says how many there are.
#[test]
fn a_name_list_is_cut_with_its_count_never_silently() {
    let mut spec = LeafSpec::valid_for("other.example.test", pki().now, 90);
    spec.names = (0..100)
        .map(|i| format!("name{i:03}.other.example.test"))
        .collect();
    let server = serve(Scenario::postfix(HOST, &chain(&spec)));
    let r = probe(&server, &[]);
    let t = text(&r.finding("cert-name-mismatch"));
    assert!(
        t.contains("name019.other.example.test and 80 more (100 names in all)"),
        "{t}"
    );
    assert!(!t.contains("name020.other"), "{t}");
}

// --- Item 6: errors after the handshake.

/// A rustls server config for `leaf` that demands a client certificate from the test PKI,
/// on `versions`.
fn demanding_client_cert(
    leaf: &Leaf,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki().root.der()).unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(leaf.chain.clone(), leaf.key.clone_key())
            .unwrap(),
    )
}

#[test]
fn a_tls13_server_demanding_a_client_certificate_is_named_after_the_handshake() {
    let leaf = pki().healthy(HOST, 90);
    let mut scenario = Scenario::postfix(HOST, &leaf);
    scenario.tls = Some(demanding_client_cert(&leaf, &[&rustls::version::TLS13]));
    let server = serve(scenario);
    let r = probe(&server, &[]);
    let j = r.json();
    let failure = &j["endpoints"][0]["failure"];
    assert_eq!(failure["kind"], "client-cert-required", "{j}");
    assert_eq!(failure["phase"], "tls-session", "{j}");
    let f = r.finding("smtp-tls-session-failed");
    let t = text(&f);
    assert!(
        t.contains("demands a client certificate")
            && t.contains("certificate_required (116)")
            && t.contains("--client-cert"),
        "{t}"
    );
    assert!(
        f["fix"].as_str().unwrap().contains("smtpd_tls_req_ccert"),
        "{t}"
    );
    assert!(!t.contains("CertificateRequired"), "{t}");
}

/// On an implicit-TLS port the greeting is read over TLS: a TLS 1.3 server that demands a
/// client certificate says so when the greeting is first read. That is the TLS session
/// breaking, named as such, not "the probe failed during banner".
#[test]
fn an_implicit_tls_server_demanding_a_client_certificate_is_named_at_the_greeting() {
    let leaf = pki().healthy(HOST, 90);
    let mut scenario = Scenario::postfix(HOST, &leaf);
    scenario.tls = Some(demanding_client_cert(&leaf, &[&rustls::version::TLS13]));
    scenario.implicit_tls = true;
    let server = serve(scenario);
    let r = probe(&server, &["--implicit-tls"]);
    let j = r.json();
    let failure = &j["endpoints"][0]["failure"];
    assert_eq!(failure["kind"], "client-cert-required", "{j}");
    let f = r.finding("smtp-tls-session-failed");
    let t = text(&f);
    assert!(t.contains("demands a client certificate"), "{t}");
    common::assert_absent(&r, "connect-failed");
}

#[test]
fn a_tls12_server_demanding_a_client_certificate_is_named_in_the_handshake() {
    let leaf = pki().healthy(HOST, 90);
    let mut scenario = Scenario::postfix(HOST, &leaf);
    scenario.tls = Some(demanding_client_cert(&leaf, &[&rustls::version::TLS12]));
    let server = serve(scenario);
    let r = probe(&server, &[]);
    let f = r.finding("tls-handshake-failed");
    let t = text(&f);
    assert!(
        t.contains("demands a client certificate")
            && t.contains("CN=Test Root CA")
            && t.contains("--client-cert"),
        "{t}"
    );
    assert!(
        f["fix"].as_str().unwrap().contains("smtpd_tls_req_ccert"),
        "{t}"
    );
}

#[test]
fn a_connection_cut_without_close_notify_is_closed_not_unreachable() {
    let addr = raw::serve(raw::After::CloseWithoutNotify);
    let r = probe_name(HOST, addr, &[]);
    let j = r.json();
    let failure = &j["endpoints"][0]["failure"];
    assert_eq!(failure["kind"], "closed", "{j}");
    assert_eq!(failure["phase"], "tls-session", "{j}");
    let t = text(&r.finding("smtp-tls-session-failed"));
    assert!(t.contains("close_notify"), "{t}");
}

#[test]
fn a_corrupt_record_after_the_handshake_is_a_tls_error_not_unreachable() {
    let addr = raw::serve(raw::After::CorruptRecord);
    let r = probe_name(HOST, addr, &[]);
    let j = r.json();
    assert_eq!(j["endpoints"][0]["failure"]["kind"], "tls-error", "{j}");
    let f = r.finding("smtp-tls-session-failed");
    let t = text(&f);
    assert!(t.contains("integrity check"), "{t}");
    assert!(
        f["fix"].as_str().unwrap().contains("rewrites or cuts"),
        "{t}"
    );
}

/// SMTP servers scripted byte by byte around a rustls server session: they do what a broken
/// peer does after the handshake, which no well-behaved TLS server does.
mod raw {
    use std::net::{Ipv4Addr, SocketAddr};

    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;
    use tokio_rustls::TlsAcceptor;

    use super::common::{HOST, pki, runtime};

    /// What the server does once the handshake is done and the client's EHLO has arrived.
    #[derive(Debug, Clone, Copy)]
    pub enum After {
        /// Drop the TCP connection without a close_notify alert.
        CloseWithoutNotify,
        /// Send an application-data record that cannot decrypt.
        CorruptRecord,
    }

    /// Serves one scripted behaviour on 127.0.0.1 for every connection.
    pub fn serve(after: After) -> SocketAddr {
        let leaf = pki().healthy(HOST, 90);
        let acceptor = TlsAcceptor::from(starttls_check::scripted::server_config(&leaf));
        runtime().block_on(async move {
            let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move {
                while let Ok((tcp, _)) = listener.accept().await {
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        let _ = session(tcp, acceptor, after).await;
                    });
                }
            });
            addr
        })
    }

    async fn session(
        mut tcp: tokio::net::TcpStream,
        acceptor: TlsAcceptor,
        after: After,
    ) -> std::io::Result<()> {
        tcp.write_all(format!("220 {HOST} ESMTP\r\n").as_bytes())
            .await?;
        let mut plain = BufReader::new(&mut tcp);
        let mut line = String::new();
        plain.read_line(&mut line).await?; // EHLO
        plain
            .get_mut()
            .write_all(format!("250-{HOST}\r\n250 STARTTLS\r\n").as_bytes())
            .await?;
        line.clear();
        plain.read_line(&mut line).await?; // STARTTLS
        plain.get_mut().write_all(b"220 2.0.0 Ready\r\n").await?;
        let mut tls = acceptor.accept(tcp).await?;
        let mut buf = [0u8; 512];
        let _ = tls.read(&mut buf).await?; // EHLO over TLS
        let (mut tcp, _) = tls.into_inner();
        match after {
            After::CloseWithoutNotify => drop(tcp),
            After::CorruptRecord => {
                let mut record = vec![0x17, 0x03, 0x03, 0x00, 0x40];
                record.extend((0u8..0x40).map(|b| b.wrapping_mul(37)));
                tcp.write_all(&record).await?;
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            }
        }
        Ok(())
    }
}

// --- Round 2 (issue 14): what the server sent during a failed handshake.

/// A finding's evidence lines, as the user reads them (not JSON-escaped).
fn evidence(f: &serde_json::Value) -> String {
    f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every CamelCase word of a report's findings (a rustls or webpki variant name), except the
/// TLS message names the texts quote on purpose. The bytes the server sent are quoted as
/// they came (random bytes of a ServerHello can spell `KaZ`), so that line is not judged.
fn camel_case_in(r: &common::Run) -> Vec<String> {
    const ALLOWED: &[&str] = &[
        "OpenSSL",
        "ServerHello",
        "ClientHello",
        "CertificateRequest",
        "ChaCha20",
        "KiB",
        "STARTTLS",
    ];
    let mut texts = Vec::new();
    for f in r.json()["findings"].as_array().unwrap() {
        texts.push(f["summary"].as_str().unwrap_or_default().to_string());
        texts.push(f["fix"].as_str().unwrap_or_default().to_string());
        for e in f["evidence"].as_array().unwrap() {
            let e = e.as_str().unwrap();
            if !e.starts_with("received from the server during the handshake") {
                texts.push(e.to_string());
            }
        }
    }
    texts
        .iter()
        .flat_map(|t| {
            t.split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| {
                    let b = w.as_bytes();
                    b.first().is_some_and(u8::is_ascii_uppercase)
                        && b.windows(2)
                            .any(|p| p[0].is_ascii_lowercase() && p[1].is_ascii_uppercase())
                })
                .filter(|w| !ALLOWED.contains(w))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// T-D2: a 4-byte record whose header claims an 8 MB ServerHello is a corrupt peer; the
/// admin is not told to split a certificate, and no rustls variant name is printed.
#[test]
fn a_server_hello_claiming_8_mb_is_corrupt_not_an_oversized_chain() {
    let addr = hs::serve(hs::Answer::Bytes(vec![
        0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0x7f, 0xff, 0xff,
    ]));
    let r = probe_name(HOST, addr, &[]);
    let f = r.finding("tls-handshake-failed");
    let t = text(&f);
    assert!(
        t.contains("ServerHello (type 2)")
            && t.contains("8388607 bytes")
            && t.contains("record of 4 bytes"),
        "{t}"
    );
    assert!(
        evidence(&f).contains(r#"9 bytes: "\x16\x03\x03\x00\x04\x02\x7f\xff\xff""#),
        "{t}"
    );
    let fix = f["fix"].as_str().unwrap();
    assert!(!fix.contains("split"), "oversized-chain fix given: {fix}");
    assert!(camel_case_in(&r).is_empty(), "{:?}\n{t}", camel_case_in(&r));
}

/// T-D4: a server that answers with a ServerHello and hangs up accepted the hello: the
/// report says a ServerHello came (version, cipher suite), never that the hello was refused.
#[test]
fn a_server_hello_then_a_hang_up_is_named_as_such_not_a_refused_hello() {
    for (tls13, version) in [(false, "TLS 1.2"), (true, "TLS 1.3")] {
        let addr = hs::serve(hs::Answer::FirstRecord { tls13 });
        let r = probe_name(HOST, addr, &[]);
        let f = r.finding("tls-handshake-failed");
        let t = text(&f);
        assert!(
            t.contains(&format!("answered with a ServerHello ({version}, TLS"))
                && t.contains("then closed"),
            "{t}"
        );
        assert!(
            !t.contains("refused this client") && !t.contains("legacy-only"),
            "{t}"
        );
        assert!(
            t.contains("received from the server during the handshake"),
            "{t}"
        );
        assert!(camel_case_in(&r).is_empty(), "{:?}\n{t}", camel_case_in(&r));
    }
}

/// T-D4: an implicit-TLS probe of a port that answers in HTTP shows what it answered.
#[test]
fn an_http_answer_to_a_client_hello_is_shown_as_evidence() {
    let addr = hs::serve_implicit(hs::Answer::Bytes(
        b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n".to_vec(),
    ));
    let r = probe_name(HOST, addr, &["--implicit-tls"]);
    let f = r.finding("tls-handshake-failed");
    let t = text(&f);
    assert!(t.contains("not a TLS record"), "{t}");
    assert!(
        evidence(&f).contains(r"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n"),
        "the bytes received are not shown: {t}"
    );
    assert!(camel_case_in(&r).is_empty(), "{:?}\n{t}", camel_case_in(&r));
}

/// R-8: a TLS 1.2 server that only asks for a client certificate and then refuses with
/// handshake_failure may refuse for another reason: "probably", the alert kept, and a fix
/// that does not assume the server demands a certificate.
#[test]
fn a_refusal_after_an_optional_certificate_request_is_only_probably_the_certificate() {
    let addr = hs::serve(hs::Answer::AskThenRefuse);
    let r = probe_name(HOST, addr, &[]);
    let f = r.finding("tls-handshake-failed");
    let t = text(&f);
    assert!(
        t.contains("asked for a client certificate")
            && t.contains("probably")
            && t.contains("handshake_failure (40)")
            && t.contains("only asks"),
        "{t}"
    );
    assert!(
        !t.contains("the server demands a client certificate"),
        "{t}"
    );
    let fix = f["fix"].as_str().unwrap();
    assert!(fix.contains("If it already only asks"), "{fix}");
    assert!(camel_case_in(&r).is_empty(), "{:?}\n{t}", camel_case_in(&r));
}

/// Servers that answer a ClientHello with scripted bytes: what no TLS library does on its
/// own. Each reads the ClientHello, answers, and closes.
mod hs {
    use std::io::{Read, Write};
    use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
    use std::sync::Arc;
    use std::time::Duration;

    use super::common::{HOST, pki};

    /// The answer to the ClientHello.
    #[derive(Debug, Clone)]
    pub enum Answer {
        /// These bytes, then close.
        Bytes(Vec<u8>),
        /// The first record a rustls server (TLS 1.2 only, or 1.3) answers, then close.
        FirstRecord { tls13: bool },
        /// A TLS 1.2 server's flight with an optional CertificateRequest; after the
        /// client's flight, the fatal alert handshake_failure.
        AskThenRefuse,
    }

    /// After a STARTTLS dialogue.
    pub fn serve(answer: Answer) -> SocketAddr {
        listen(answer, false)
    }

    /// On an implicit-TLS port: the ClientHello is the first thing read.
    pub fn serve_implicit(answer: Answer) -> SocketAddr {
        listen(answer, true)
    }

    fn listen(answer: Answer, implicit: bool) -> SocketAddr {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for tcp in listener.incoming().flatten() {
                let answer = answer.clone();
                std::thread::spawn(move || {
                    let _ = session(tcp, &answer, implicit);
                });
            }
        });
        addr
    }

    fn line(tcp: &mut TcpStream) -> std::io::Result<()> {
        let mut b = [0u8; 1];
        while tcp.read(&mut b)? == 1 && b[0] != b'\n' {}
        Ok(())
    }

    /// One TLS record, whole.
    fn record(tcp: &mut TcpStream) -> std::io::Result<Vec<u8>> {
        let mut head = [0u8; 5];
        tcp.read_exact(&mut head)?;
        let mut body = vec![0u8; usize::from(u16::from_be_bytes([head[3], head[4]]))];
        tcp.read_exact(&mut body)?;
        Ok([head.to_vec(), body].concat())
    }

    fn session(mut tcp: TcpStream, answer: &Answer, implicit: bool) -> std::io::Result<()> {
        tcp.set_read_timeout(Some(Duration::from_secs(5)))?;
        if !implicit {
            tcp.write_all(format!("220 {HOST} ESMTP\r\n").as_bytes())?;
            line(&mut tcp)?; // EHLO
            tcp.write_all(format!("250-{HOST}\r\n250 STARTTLS\r\n").as_bytes())?;
            line(&mut tcp)?; // STARTTLS
            tcp.write_all(b"220 2.0.0 Ready\r\n")?;
        }
        let hello = record(&mut tcp)?;
        match answer {
            Answer::Bytes(b) => tcp.write_all(b)?,
            Answer::FirstRecord { tls13 } => {
                let out = server_flight(&hello, *tls13, false);
                let len = usize::from(u16::from_be_bytes([out[3], out[4]]));
                tcp.write_all(&out[..5 + len])?;
            }
            Answer::AskThenRefuse => {
                tcp.write_all(&server_flight(&hello, false, true))?;
                let _ = record(&mut tcp)?; // the client's flight begins
                tcp.write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 40])?;
            }
        }
        tcp.flush()?;
        std::thread::sleep(Duration::from_millis(100));
        Ok(())
    }

    /// What a rustls server answers to `hello`: TLS 1.3 or 1.2 only, asking for an optional
    /// client certificate if `ask`.
    fn server_flight(hello: &[u8], tls13: bool, ask: bool) -> Vec<u8> {
        let leaf = pki().healthy(HOST, 90);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let versions: &[&'static rustls::SupportedProtocolVersion] = if tls13 {
            &[&rustls::version::TLS13]
        } else {
            &[&rustls::version::TLS12]
        };
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .unwrap();
        let builder = if ask {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(pki().root.der()).unwrap();
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .allow_unauthenticated()
            .build()
            .unwrap();
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let config = builder
            .with_single_cert(leaf.chain.clone(), leaf.key.clone_key())
            .unwrap();
        let mut conn = rustls::ServerConnection::new(Arc::new(config)).unwrap();
        conn.read_tls(&mut &hello[..]).unwrap();
        conn.process_new_packets().unwrap();
        let mut out = Vec::new();
        while conn.wants_write() {
            conn.write_tls(&mut out).unwrap();
        }
        out
    }
}

/// Trial: a certificate with 20 hours left said "expires in 0 days".
#[test]
fn a_certificate_expiring_within_a_day_says_its_hours() {
    let mut spec = LeafSpec::valid_for(HOST, pki().now, 1);
    spec.not_after = OffsetDateTime::now_utc() + time::Duration::hours(20);
    let server = serve(Scenario::postfix(HOST, &chain(&spec)));
    let r = probe(&server, &[]);
    let f = r.finding("cert-expires-soon");
    let summary = f["summary"].as_str().unwrap();
    assert!(
        summary.contains("expires in 19 hours") || summary.contains("expires in 20 hours"),
        "{summary}"
    );
    assert!(!summary.contains("0 days"), "{summary}");
}

/// Trial: an expired certificate for another name was to be renewed "for wrong.example";
/// the renewal must cover the host probed.
#[test]
fn renewing_an_expired_certificate_for_another_name_names_the_probed_host() {
    let mut spec = LeafSpec::valid_for("wrong.example", pki().now, 1);
    spec.not_after = OffsetDateTime::now_utc() - time::Duration::days(3);
    let server = serve(Scenario::postfix(HOST, &chain(&spec)));
    let r = probe(&server, &[]);
    let fix = r.finding("cert-expired")["fix"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        fix.contains(&format!(
            "Renew the certificate for {HOST} (the one the server sends is for wrong.example)"
        )),
        "{fix}"
    );
}
