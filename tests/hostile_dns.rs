//! Broken and hostile DNS, end to end (issue 14, item 7): a raw DNS server on 127.0.0.1 that
//! answers hand-built messages (an MX naming a label with control bytes, a CNAME loop, a wrong
//! transaction ID, a truncated answer and then silence over TCP, SERVFAIL, REFUSED, thousands
//! of MX records), and the real binary pointed at it with `--resolver`. Each test asserts what
//! a user sees: the finding's code, severity, message, evidence and fix, the exit code, and for
//! a misbehaving server the wall time (one `--timeout`, not the `--deadline`).

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use hostile::Reply;
use serde_json::Value;

/// A DNS server on 127.0.0.1 (UDP and TCP on one port) whose every answer is chosen by a
/// script: a function from the question to a [`Reply`]. Messages are built by hand, so the
/// server can say what no well-formed zone can (any byte in a label, a wrong ID, TC=1).
mod hostile {
    use std::io::{Read, Write};
    use std::net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
    use std::sync::Arc;
    use std::time::Duration;

    /// One record of an answer section.
    pub struct Answer {
        /// Owner name, as raw labels; none: the question's name (a compression pointer).
        pub owner: Vec<Vec<u8>>,
        /// Record type (5 CNAME, 15 MX, 1 A).
        pub rtype: u16,
        /// RDATA, already encoded.
        pub rdata: Vec<u8>,
    }

    /// What the server does with one question.
    pub enum Reply {
        /// A normal answer with this RCODE and these records, over UDP and TCP alike.
        Records(u8, Vec<Answer>),
        /// The right answer, with the transaction ID changed.
        WrongId,
        /// Over UDP an empty answer with TC=1; over TCP, `tcp`.
        Truncated(Box<Reply>),
        /// Nothing at all (over TCP: the connection stays open).
        Silent,
        /// An answer with the right ID to a question about this other name.
        OtherQuestion(&'static str),
        /// This reply, sent after a pause (other queries are answered meanwhile).
        Delayed(std::time::Duration, Box<Reply>),
    }

    /// The question of a query: its raw labels and type.
    pub struct Question {
        pub labels: Vec<Vec<u8>>,
        pub qtype: u16,
    }

    impl Question {
        /// The name in lower case, dotted, for matching (`a.example`).
        pub fn name(&self) -> String {
            self.labels
                .iter()
                .map(|l| String::from_utf8_lossy(l).to_ascii_lowercase())
                .collect::<Vec<_>>()
                .join(".")
        }
    }

    pub type Script = Arc<dyn Fn(&Question) -> Reply + Send + Sync>;

    /// Raw labels of a dotted name (`"a.example"`).
    pub fn labels(name: &str) -> Vec<Vec<u8>> {
        name.split('.').map(|l| l.as_bytes().to_vec()).collect()
    }

    /// A name on the wire, uncompressed.
    pub fn wire_name(labels: &[Vec<u8>]) -> Vec<u8> {
        let mut out = Vec::new();
        for l in labels {
            out.push(l.len() as u8);
            out.extend_from_slice(l);
        }
        out.push(0);
        out
    }

    pub fn mx(owner: &str, preference: u16, exchange: &[Vec<u8>]) -> Answer {
        let mut rdata = preference.to_be_bytes().to_vec();
        rdata.extend(wire_name(exchange));
        Answer {
            owner: labels(owner),
            rtype: 15,
            rdata,
        }
    }

    /// A compression pointer to the question's name (offset 12), as the owner of an answer.
    pub const QUESTION_NAME: [u8; 2] = [0xc0, 0x0c];

    /// An MX for the question's name naming `label` under it, compressed (23 bytes), so that
    /// thousands fit in one 64 KiB TCP message.
    pub fn mx_below_question(preference: u16, label: &str) -> Answer {
        let mut rdata = preference.to_be_bytes().to_vec();
        rdata.push(label.len() as u8);
        rdata.extend_from_slice(label.as_bytes());
        rdata.extend_from_slice(&QUESTION_NAME);
        Answer {
            owner: Vec::new(),
            rtype: 15,
            rdata,
        }
    }

    /// A TXT record of one string.
    pub fn txt(owner: &str, text: &str) -> Answer {
        let mut rdata = vec![text.len() as u8];
        rdata.extend_from_slice(text.as_bytes());
        Answer {
            owner: labels(owner),
            rtype: 16,
            rdata,
        }
    }

    pub fn cname(owner: &str, target: &str) -> Answer {
        Answer {
            owner: labels(owner),
            rtype: 5,
            rdata: wire_name(&labels(target)),
        }
    }

    fn parse(q: &[u8]) -> Option<(Question, usize)> {
        let mut i = 12;
        let mut labels = Vec::new();
        while *q.get(i)? != 0 {
            let n = usize::from(q[i]);
            labels.push(q.get(i + 1..i + 1 + n)?.to_vec());
            i += 1 + n;
        }
        let qtype = u16::from_be_bytes([*q.get(i + 1)?, *q.get(i + 2)?]);
        Some((Question { labels, qtype }, i + 5))
    }

    fn build(
        q: &[u8],
        end: usize,
        id: [u8; 2],
        tc: bool,
        rcode: u8,
        answers: &[Answer],
    ) -> Vec<u8> {
        let mut m = id.to_vec();
        m.push(0x81 | if tc { 0x02 } else { 0 });
        m.push(0x80 | rcode);
        m.extend_from_slice(&[0, 1]);
        m.extend_from_slice(&(answers.len() as u16).to_be_bytes());
        m.extend_from_slice(&[0, 0, 0, 0]);
        m.extend_from_slice(&q[12..end]);
        for a in answers {
            if a.owner.is_empty() {
                m.extend_from_slice(&QUESTION_NAME);
            } else {
                m.extend(wire_name(&a.owner));
            }
            m.extend_from_slice(&a.rtype.to_be_bytes());
            m.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
            m.extend_from_slice(&(a.rdata.len() as u16).to_be_bytes());
            m.extend_from_slice(&a.rdata);
        }
        m
    }

    /// The answer to `q` and how long to wait before sending it.
    fn respond(script: &Script, q: &[u8], tcp: bool) -> Option<(Duration, Vec<u8>)> {
        let (question, end) = parse(q)?;
        let mut reply = script(&question);
        let mut pause = Duration::ZERO;
        if let Reply::Delayed(d, then) = reply {
            pause = d;
            reply = *then;
        }
        if tcp && let Reply::Truncated(then) = reply {
            reply = *then;
        }
        build_reply(reply, q, end).map(|r| (pause, r))
    }

    fn build_reply(reply: Reply, q: &[u8], end: usize) -> Option<Vec<u8>> {
        let id = [q[0], q[1]];
        match reply {
            Reply::Records(rcode, answers) => Some(build(q, end, id, false, rcode, &answers)),
            Reply::WrongId => Some(build(q, end, [id[0] ^ 0x5a, id[1] ^ 0xa5], false, 3, &[])),
            Reply::Truncated(_) => Some(build(q, end, id, true, 0, &[])),
            Reply::Silent => None,
            Reply::OtherQuestion(other) => {
                let mut fake = q[..12].to_vec();
                fake.extend(wire_name(&labels(other)));
                fake.extend_from_slice(&q[end - 4..end]);
                Some(build(&fake, fake.len(), id, false, 0, &[]))
            }
            Reply::Delayed(_, then) => build_reply(*then, q, end),
        }
    }

    /// Starts the server; it lives as long as the test process.
    pub fn start(script: impl Fn(&Question) -> Reply + Send + Sync + 'static) -> SocketAddr {
        let script: Script = Arc::new(script);
        let (udp, tcp) = loop {
            let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
            let port = udp.local_addr().unwrap().port();
            if let Ok(tcp) = TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
                break (udp, tcp);
            }
        };
        let addr = udp.local_addr().unwrap();
        let s = script.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok((n, from)) = udp.recv_from(&mut buf) {
                match respond(&s, &buf[..n], false) {
                    Some((pause, r)) if pause.is_zero() => {
                        let _ = udp.send_to(&r, from);
                    }
                    Some((pause, r)) => {
                        let udp = udp.try_clone().unwrap();
                        std::thread::spawn(move || {
                            std::thread::sleep(pause);
                            let _ = udp.send_to(&r, from);
                        });
                    }
                    None => {}
                }
            }
        });
        std::thread::spawn(move || {
            for conn in tcp.incoming() {
                let Ok(mut conn) = conn else { continue };
                let s = script.clone();
                std::thread::spawn(move || {
                    let mut held = Vec::new();
                    loop {
                        let mut len = [0u8; 2];
                        if conn.read_exact(&mut len).is_err() {
                            return;
                        }
                        let mut q = vec![0u8; usize::from(u16::from_be_bytes(len))];
                        if conn.read_exact(&mut q).is_err() {
                            return;
                        }
                        match respond(&s, &q, true) {
                            Some((pause, r)) => {
                                std::thread::sleep(pause);
                                let mut framed = (r.len() as u16).to_be_bytes().to_vec();
                                framed.extend(r);
                                let _ = conn.write_all(&framed);
                            }
                            // Silent: keep the connection open, answer nothing.
                            None => held.push(q),
                        }
                    }
                });
            }
        });
        addr
    }
}

/// The binary against the hostile server at `dns`, JSON out, with `--timeout`/`--deadline`;
/// returns the run and its wall time.
fn check(
    dns: std::net::SocketAddr,
    target: &str,
    timeout: &str,
    deadline: &str,
) -> (Run, Duration) {
    let resolver = dns.to_string();
    let started = Instant::now();
    let r = run(&[
        target,
        "--resolver",
        &resolver,
        "--format",
        "json",
        "--timeout",
        timeout,
        "--deadline",
        deadline,
    ]);
    (r, started.elapsed())
}

fn text(f: &Value, field: &str) -> String {
    match &f[field] {
        Value::Array(a) => a
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
            .join("\n"),
        v => v.as_str().unwrap_or_default().to_string(),
    }
}

/// Nothing the server sent reaches the output raw: no control byte other than the newlines
/// of the document itself.
fn assert_no_raw_controls(r: &Run) {
    let bad: Vec<char> = r
        .stdout
        .chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect();
    assert!(
        bad.is_empty(),
        "raw control characters {bad:?} in:\n{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("\\u001b") && !r.stdout.contains("\\u0007"),
        "{}",
        r.stdout
    );
}

/// An MX for `example.test` naming `exchange` (raw labels); nothing else exists.
fn mx_only(exchange: Vec<Vec<u8>>) -> std::net::SocketAddr {
    hostile::start(move |q| match (q.name().as_str(), q.qtype) {
        ("example.test", 15) => Reply::Records(0, vec![hostile::mx("example.test", 10, &exchange)]),
        _ => Reply::Records(3, vec![]),
    })
}

#[test]
fn an_mx_name_with_control_bytes_is_the_zones_mistake_not_the_resolvers() {
    let cases: [(&[u8], &str); 5] = [
        (b"mx\x1b[31m", "mx\\\\x1b[31m.example.test"),
        (b"mx\x07", "mx\\\\x07.example.test"),
        (b"mx\x00", "mx\\\\x00.example.test"),
        (b"mail server", "mail server.example.test"),
        (b"mx.evil", "mx\\\\x2eevil.example.test"),
    ];
    for (label, shown) in cases {
        let mut exchange = vec![label.to_vec()];
        exchange.extend(hostile::labels("example.test"));
        let dns = mx_only(exchange);
        let (r, _) = check(dns, "example.test", "3", "20");
        assert_no_raw_controls(&r);
        assert_eq!(r.code, 2, "{}", r.stdout);
        assert!(
            !r.codes().contains(&"dns-lookup-failed".to_string()),
            "{}",
            r.stdout
        );
        let f = r.finding("dns-mx-invalid");
        assert_eq!(f["severity"], "fail");
        // The JSON text escapes the backslash of our escape once more.
        let summary = serde_json::to_string(&f["summary"]).unwrap();
        assert!(
            summary.contains(&format!(
                "names \\\"{shown}\\\" (shown escaped), which is not a host name"
            )),
            "{summary}"
        );
        let evidence = serde_json::to_string(&f["evidence"]).unwrap();
        assert!(
            evidence.contains(&format!("example.test. IN MX 10 {shown}.")),
            "{evidence}"
        );
        let fix = text(&f, "fix");
        assert!(
            fix.starts_with("Correct the MX record of example.test at preference 10"),
            "{fix}"
        );
        assert!(!fix.contains("Retry"), "{fix}");
    }
}

#[test]
fn a_cname_loop_is_named_with_its_chain_not_as_a_missing_a_record() {
    let dns = hostile::start(|q| match (q.name().as_str(), q.qtype) {
        ("example.test", 15) => Reply::Records(
            0,
            vec![hostile::mx(
                "example.test",
                10,
                &hostile::labels("a.example.test"),
            )],
        ),
        ("a.example.test", _) => Reply::Records(
            0,
            vec![
                hostile::cname("a.example.test", "b.example.test"),
                hostile::cname("b.example.test", "a.example.test"),
            ],
        ),
        ("b.example.test", _) => {
            Reply::Records(0, vec![hostile::cname("b.example.test", "a.example.test")])
        }
        _ => Reply::Records(3, vec![]),
    });
    let (r, _) = check(dns, "example.test", "3", "20");
    assert_eq!(r.code, 2, "{}", r.stdout);
    let f = r.finding("dns-mx-no-address");
    assert_eq!(
        f["summary"],
        "MX host a.example.test of example.test has no address: it is an alias, \
         a.example.test → b.example.test → a.example.test (a CNAME loop)"
    );
    let evidence = text(&f, "evidence");
    assert!(
        evidence.contains("a.example.test. IN CNAME b.example.test."),
        "{evidence}"
    );
    assert!(
        evidence.contains("b.example.test. IN CNAME a.example.test."),
        "{evidence}"
    );
    let fix = text(&f, "fix");
    assert!(
        fix.starts_with("Break the CNAME loop a.example.test → b.example.test → a.example.test:"),
        "{fix}"
    );
    assert!(!fix.contains("Add an A record"), "{fix}");
}

#[test]
fn a_cname_chain_longer_than_the_limit_is_named_as_too_long() {
    // c0 → c1 → … → c20, and c20 has an address: too far for any resolver.
    let dns = hostile::start(|q| {
        let name = q.name();
        if name == "example.test" && q.qtype == 15 {
            return Reply::Records(
                0,
                vec![hostile::mx(
                    "example.test",
                    10,
                    &hostile::labels("c0.example.test"),
                )],
            );
        }
        let n: Option<u32> = name
            .strip_suffix(".example.test")
            .and_then(|l| l.strip_prefix('c'))
            .and_then(|d| d.parse().ok());
        match n {
            Some(n) if n < 20 => Reply::Records(
                0,
                vec![hostile::cname(&name, &format!("c{}.example.test", n + 1))],
            ),
            _ => Reply::Records(3, vec![]),
        }
    });
    let (r, _) = check(dns, "example.test", "3", "20");
    assert_eq!(r.code, 2, "{}", r.stdout);
    let f = r.finding("dns-mx-no-address");
    let summary = text(&f, "summary");
    assert!(
        summary.starts_with("MX host c0.example.test of example.test has no address: it is an alias, c0.example.test → c1.example.test →"),
        "{summary}"
    );
    assert!(
        summary.ends_with("→ … (more than 8 CNAME links)"),
        "{summary}"
    );
    assert!(
        text(&f, "fix").starts_with("Shorten the CNAME chain"),
        "{f}"
    );
}

/// A server that answers every query with a wrong transaction ID.
#[test]
fn a_wrong_transaction_id_costs_one_timeout_and_is_named() {
    let dns = hostile::start(|_| Reply::WrongId);
    let (r, took) = check(dns, "example.test", "3", "30");
    // Before: three tries of the whole timeout (9 s); now one timeout (3 s).
    assert!(took < Duration::from_secs(6), "took {took:?}");
    assert_eq!(r.code, 3, "{}", r.stdout);
    let f = r.finding("dns-lookup-failed");
    let summary = text(&f, "summary");
    assert!(
        summary.starts_with(&format!(
            "could not look up the MX records of example.test: the DNS server at {dns} answered with a wrong transaction ID (0x"
        )),
        "{summary}"
    );
    assert!(
        text(&f, "fix").contains("the DNS server asked is broken"),
        "{f}"
    );
}

/// A server that truncates every UDP answer and then accepts TCP but never answers.
#[test]
fn a_truncated_answer_then_silence_over_tcp_costs_one_timeout_and_is_named() {
    let dns = hostile::start(|_| Reply::Truncated(Box::new(Reply::Silent)));
    let (r, took) = check(dns, "example.test", "3", "30");
    assert!(took < Duration::from_secs(6), "took {took:?}");
    assert_eq!(r.code, 3, "{}", r.stdout);
    let f = r.finding("dns-lookup-failed");
    assert_eq!(
        f["summary"],
        format!(
            "could not look up the MX records of example.test: the DNS server at {dns} truncated its answer (TC bit set) over UDP, \
             then accepted a TCP connection but did not answer over TCP within 3s (RFC 7766 §5)"
        )
    );
}

#[test]
fn servfail_refused_and_silence_are_each_named_as_what_they_are() {
    let servfail = hostile::start(|_| Reply::Records(2, vec![]));
    let (r, _) = check(servfail, "example.test", "3", "20");
    let f = r.finding("dns-lookup-failed");
    assert_eq!(
        f["summary"],
        format!(
            "could not look up the MX records of example.test: the resolver {servfail} answered SERVFAIL (server failure: it could not get an answer)"
        )
    );
    assert!(text(&f, "fix").contains("dig +cd MX example.test"), "{f}");

    let refused = hostile::start(|_| Reply::Records(5, vec![]));
    let (r, _) = check(refused, "example.test", "3", "20");
    let f = r.finding("dns-lookup-failed");
    assert!(
        text(&f, "summary").ends_with("answered REFUSED (it will not answer this query for us)"),
        "{f}"
    );
    assert!(
        text(&f, "fix").starts_with("The DNS server asked refuses to answer this machine"),
        "{f}"
    );

    let silent = hostile::start(|_| Reply::Silent);
    let (r, took) = check(silent, "example.test", "2", "20");
    assert!(took < Duration::from_secs(4), "took {took:?}");
    let f = r.finding("dns-lookup-failed");
    assert_eq!(
        f["summary"],
        format!(
            "could not look up the MX records of example.test: the DNS server at {silent} did not answer within 2s"
        )
    );
    assert_eq!(r.code, 3);
}

/// `n` MX records for example.test (mx0 … mx{n-1}), too many for UDP: the server truncates
/// and sends them all over TCP; each host has the address 127.0.0.1 when `addressed`.
fn many_mx(n: u16, addressed: bool) -> std::net::SocketAddr {
    hostile::start(move |q| {
        let name = q.name();
        if name == "example.test" && q.qtype == 15 {
            let all = (0..n)
                .map(|i| hostile::mx_below_question(10 + i % 50, &format!("mx{i}")))
                .collect();
            return Reply::Truncated(Box::new(Reply::Records(0, all)));
        }
        match (name.starts_with("mx") && addressed, q.qtype) {
            (true, 1) => Reply::Records(
                0,
                vec![hostile::Answer {
                    owner: hostile::labels(&name),
                    rtype: 1,
                    rdata: vec![127, 0, 0, 1],
                }],
            ),
            (true, _) => Reply::Records(0, vec![]),
            _ => Reply::Records(3, vec![]),
        }
    })
}

#[test]
fn thousands_of_mx_records_are_bounded_and_said() {
    let dns = many_mx(2500, false);
    let (r, took) = check(dns, "example.test", "5", "30");
    assert!(took < Duration::from_secs(15), "took {took:?}");
    let f = r.finding("endpoints-capped");
    assert_eq!(
        f["summary"],
        "2490 MX hosts of example.test were not probed: the verdict covers only the rest"
    );
    let evidence = f["evidence"].as_array().unwrap();
    assert!(evidence.len() <= 21, "{} evidence lines", evidence.len());
    assert_eq!(
        evidence.last().unwrap(),
        "… and 2470 more MX records not probed (2500 in the MX set)"
    );
    assert!(
        r.stdout.len() < 200_000,
        "{} bytes of output",
        r.stdout.len()
    );
}

#[test]
fn the_largest_mx_cap_looks_every_host_up_without_blaming_the_resolver() {
    // --max-mx 100: a hundred address lookups at once must not overrun the resolver's
    // in-flight limit and come back as "the resolver failed".
    let dns = many_mx(150, true);
    let resolver = dns.to_string();
    let r = run(&[
        "example.test:1",
        "--resolver",
        &resolver,
        "--format",
        "json",
        "--timeout",
        "5",
        "--max-mx",
        "100",
    ]);
    let codes = r.codes();
    assert!(
        !codes.contains(&"dns-lookup-failed".to_string()),
        "{}",
        r.stdout
    );
}

#[test]
fn an_answer_with_records_for_another_name_is_named_not_taken_for_no_mx() {
    let dns = hostile::start(|q| match (q.name().as_str(), q.qtype) {
        ("example.test", 15) => Reply::Records(
            0,
            vec![hostile::mx(
                "elsewhere.test",
                10,
                &hostile::labels("mx.elsewhere.test"),
            )],
        ),
        ("example.test", 1) => Reply::Records(
            0,
            vec![hostile::Answer {
                owner: hostile::labels("elsewhere.test"),
                rtype: 1,
                rdata: vec![127, 0, 0, 9],
            }],
        ),
        _ => Reply::Records(3, vec![]),
    });
    let (r, _) = check(dns, "example.test", "3", "20");
    // Before: "example.test has no MX record and no address: it cannot receive mail" (fail),
    // a verdict about the domain from an answer about another name.
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert_eq!(r.codes(), ["dns-lookup-failed"], "{}", r.stdout);
    let f = r.finding("dns-lookup-failed");
    assert_eq!(
        f["summary"],
        format!(
            "could not look up the MX records of example.test: the resolver {dns} answered with records for other names only (elsewhere.test. MX)"
        )
    );
}

#[test]
fn an_mx_name_too_long_for_dns_is_a_malformed_answer_not_a_resolver_failure() {
    // Five 63-byte labels: 320 bytes, more than any DNS name may have (255).
    let dns = mx_only((0..5).map(|_| vec![b'a'; 63]).collect());
    let (r, _) = check(dns, "example.test", "3", "20");
    assert_eq!(r.code, 3, "{}", r.stdout);
    let f = r.finding("dns-lookup-failed");
    let summary = text(&f, "summary");
    assert!(
        summary.starts_with(&format!(
            "could not look up the MX records of example.test: the answer from the resolver {dns} could not be read ("
        )),
        "{summary}"
    );
    assert!(text(&f, "fix").contains("sends malformed answers"), "{f}");
}

#[test]
fn an_alias_to_a_missing_name_names_the_missing_end_of_the_chain() {
    let dns = hostile::start(|q| match (q.name().as_str(), q.qtype) {
        ("example.test", 15) => Reply::Records(
            0,
            vec![hostile::mx(
                "example.test",
                10,
                &hostile::labels("mail.example.test"),
            )],
        ),
        // A CNAME query gets the CNAME itself; an address query the CNAME and NXDOMAIN for
        // its target, as a recursive resolver answers.
        ("mail.example.test", 5) => Reply::Records(
            0,
            vec![hostile::cname("mail.example.test", "gone.example.test")],
        ),
        ("mail.example.test", _) => Reply::Records(
            3,
            vec![hostile::cname("mail.example.test", "gone.example.test")],
        ),
        _ => Reply::Records(3, vec![]),
    });
    let (r, _) = check(dns, "example.test", "3", "20");
    assert_eq!(r.code, 2, "{}", r.stdout);
    let f = r.finding("dns-mx-no-address");
    assert_eq!(
        f["summary"],
        "MX host mail.example.test of example.test has no address: it is an alias, \
         mail.example.test → gone.example.test, which does not exist (NXDOMAIN)"
    );
    let fix = text(&f, "fix");
    assert!(
        fix.starts_with("The alias mail.example.test leads to a name without an address"),
        "{fix}"
    );
}

#[test]
fn an_answer_to_another_question_is_named() {
    let dns = hostile::start(|_| Reply::OtherQuestion("bank.example"));
    let (r, took) = check(dns, "example.test", "2", "20");
    assert!(took < Duration::from_secs(4), "took {took:?}");
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert_eq!(
        r.finding("dns-lookup-failed")["summary"],
        format!(
            "could not look up the MX records of example.test: the DNS server at {dns} answered a different question \
             (for bank.example) than the one asked, an answer every resolver must discard, and sent no valid answer within 2s"
        )
    );
}

/// `reply` after `secs` seconds.
fn slow(secs: f64, reply: Reply) -> Reply {
    Reply::Delayed(Duration::from_secs_f64(secs), Box::new(reply))
}

/// A server that answers every query, but each after 1.6 s, with `--timeout 3`: slower than
/// half the timeout, well within it.
#[test]
fn a_server_answering_within_the_timeout_is_heard_however_slow() {
    let dns = hostile::start(|q| match (q.name().as_str(), q.qtype) {
        ("example.test", 15) => slow(
            1.6,
            Reply::Records(
                0,
                vec![hostile::mx(
                    "example.test",
                    10,
                    &hostile::labels("mail.example.test"),
                )],
            ),
        ),
        _ => slow(1.6, Reply::Records(3, vec![])),
    });
    let (r, took) = check(dns, "example.test", "3", "30");
    // Before: the resolver gave up on each try at 1.5 s and asked again, dropping the answer
    // to the first try: "the DNS server at … did not answer within 3s", which was false.
    assert_eq!(r.codes(), ["dns-mx-no-address"], "{}", r.stdout);
    let f = r.finding("dns-mx-no-address");
    assert_eq!(
        f["summary"],
        "MX host mail.example.test of example.test has no address: senders cannot deliver through it"
    );
    assert!(
        text(&f, "evidence").contains("mail.example.test does not exist in DNS (NXDOMAIN)"),
        "{f}"
    );
    assert!(took < Duration::from_secs(8), "took {took:?}");
}

/// The MX lookup finds none at once; the host's own address lookup answers "no data" after
/// 0.8 s; CNAME queries are never answered. With `--timeout 2`, the host lookup, its alias
/// chase and its foreign-answer check together cost one timeout.
#[test]
fn an_address_lookup_with_its_alias_chase_costs_one_timeout() {
    let dns = hostile::start(|q| match q.qtype {
        15 => Reply::Records(0, vec![]),
        5 => Reply::Silent,
        _ => slow(0.8, Reply::Records(0, vec![])),
    });
    let (r, took) = check(dns, "example.test", "2", "30");
    // Before: 0.8 s, then a whole timeout more for the chase, then 0.8 s more for the
    // foreign-answer check (3.6 s; with the MX lookup's check, up to 5 timeouts per domain).
    assert!(took < Duration::from_millis(2900), "took {took:?}");
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(
        r.codes().contains(&"dns-no-address".to_string()),
        "{}",
        r.stdout
    );
}

/// MX → mx.example.test, a CNAME to target.example.test, which has an A record only; run
/// with -6.
#[test]
fn under_a_family_flag_an_alias_to_a_host_of_the_other_family_is_a_family_gap() {
    let dns = hostile::start(|q| match (q.name().as_str(), q.qtype) {
        ("example.test", 15) => Reply::Records(
            0,
            vec![hostile::mx(
                "example.test",
                10,
                &hostile::labels("mx.example.test"),
            )],
        ),
        ("mx.example.test", 1) => Reply::Records(
            0,
            vec![
                hostile::cname("mx.example.test", "target.example.test"),
                hostile::Answer {
                    owner: hostile::labels("target.example.test"),
                    rtype: 1,
                    rdata: vec![127, 0, 0, 9],
                },
            ],
        ),
        ("mx.example.test", _) => Reply::Records(
            0,
            vec![hostile::cname("mx.example.test", "target.example.test")],
        ),
        ("target.example.test", 1) => Reply::Records(
            0,
            vec![hostile::Answer {
                owner: hostile::labels("target.example.test"),
                rtype: 1,
                rdata: vec![127, 0, 0, 9],
            }],
        ),
        _ => Reply::Records(0, vec![]),
    });
    let resolver = dns.to_string();
    let r = run(&[
        "example.test",
        "-6",
        "--resolver",
        &resolver,
        "--format",
        "json",
        "--timeout",
        "3",
    ]);
    // Before: FAIL dns-mx-no-address "…target.example.test, which has no A/AAAA record",
    // telling the admin to add an A record that exists.
    assert_absent(&r, "dns-mx-no-address");
    let f = r.finding("dns-no-address");
    assert_eq!(f["severity"], "warn", "{f}");
    assert_eq!(
        f["summary"],
        "mx.example.test has no IPv6 address (AAAA record): IPv6-only senders cannot reach it, and -6 leaves nothing to probe"
    );
}

/// MX records naming localhost, and hosts whose only address is 0.0.0.0, 255.255.255.255
/// or a multicast address.
#[test]
fn an_mx_to_localhost_or_to_no_real_address_is_the_zones_mistake_and_not_probed() {
    let dns = hostile::start(|q| {
        let a = |ip: [u8; 4]| {
            Reply::Records(
                0,
                vec![hostile::Answer {
                    owner: q.labels.clone(),
                    rtype: 1,
                    rdata: ip.to_vec(),
                }],
            )
        };
        match (q.name().as_str(), q.qtype) {
            ("example.test", 15) => Reply::Records(
                0,
                [
                    "localhost",
                    "zero.example.test",
                    "bcast.example.test",
                    "mcast.example.test",
                ]
                .iter()
                .enumerate()
                .map(|(i, n)| hostile::mx("example.test", 10 * (i as u16 + 1), &hostile::labels(n)))
                .collect(),
            ),
            ("zero.example.test", 1) => a([0, 0, 0, 0]),
            ("bcast.example.test", 1) => a([255, 255, 255, 255]),
            ("mcast.example.test", 1) => a([224, 0, 0, 1]),
            _ => Reply::Records(0, vec![]),
        }
    });
    let (r, _) = check(dns, "example.test", "3", "20");
    // Before: localhost was resolved on this machine and probed ("Get a certificate that
    // covers localhost"), 0.0.0.0 connected to this machine, and the others were
    // "connect-failed: check routing".
    assert_eq!(r.codes(), ["dns-mx-invalid"; 4], "{}", r.stdout);
    assert_eq!(r.code, 2, "{}", r.stdout);
    let summaries: Vec<String> = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| text(f, "summary"))
        .collect();
    assert_eq!(summaries.len(), 4, "{summaries:?}");
    assert!(
        summaries[0].contains(
            "names localhost, which cannot be a mail host: localhost names the sender's own machine"
        ),
        "{summaries:?}"
    );
    for (s, ip) in summaries[1..].iter().zip([
        "0.0.0.0 (the unspecified",
        "255.255.255.255 (the broadcast",
        "224.0.0.1 (a multicast",
    ]) {
        assert!(s.contains(ip), "{s}");
    }
    assert!(
        !r.stdout.contains("connect-failed") && !r.stdout.contains("certificate"),
        "{}",
        r.stdout
    );
}

/// A resolver slower than the run's --deadline: the headline names the deadline.
#[test]
fn a_lookup_cut_by_the_deadline_blames_the_deadline_not_the_resolver() {
    let dns = hostile::start(|_| slow(2.5, Reply::Records(3, vec![])));
    let (r, took) = check(dns, "example.test", "3", "1");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    let f = r.finding("dns-lookup-failed");
    // Before: "could not look up the MX records of example.test: the resolver … failed".
    assert_eq!(
        f["summary"],
        format!(
            "could not look up the MX records of example.test: the run's --deadline ended before the resolver {dns} answered"
        )
    );
    assert!(
        text(&f, "fix").contains("--deadline longer than the --timeout"),
        "{f}"
    );
}

/// An MX query answered with the domain's own TXT record and nothing else: a broken answer
/// that says nothing about the MX records, not "the domain has no MX" (which fell back to
/// the domain's own address and blamed the zone with dns-no-address).
#[test]
fn an_mx_query_answered_with_records_of_another_type_is_a_broken_answer_not_no_mx() {
    let dns = hostile::start(|q| match (q.name().as_str(), q.qtype) {
        ("example.test", 15) => Reply::Records(0, vec![hostile::txt("example.test", "hello")]),
        _ => Reply::Records(3, vec![]),
    });
    let (r, _) = check(dns, "example.test", "3", "20");
    assert_eq!(r.code, 3, "{}", r.stdout);
    let f = r.finding("dns-lookup-failed");
    let summary = f["summary"].as_str().unwrap();
    assert!(
        summary.contains("holds only records of other types, example.test. TXT,"),
        "{summary}"
    );
    common::assert_absent(&r, "dns-no-address");
    common::assert_absent(&r, "dns-no-mx");
}

/// A host with a real address and, beside it, addresses no host can have: the real one is
/// probed, the others are not, and the report says they were published (the second trial
/// found them silently dropped).
#[test]
fn unusable_addresses_beside_a_real_one_are_reported_not_dropped_in_silence() {
    let dns = hostile::start(|q| {
        let a = |ips: &[[u8; 4]]| {
            Reply::Records(
                0,
                ips.iter()
                    .map(|ip| hostile::Answer {
                        owner: q.labels.clone(),
                        rtype: 1,
                        rdata: ip.to_vec(),
                    })
                    .collect(),
            )
        };
        match (q.name().as_str(), q.qtype) {
            ("example.test", 15) => Reply::Records(
                0,
                vec![hostile::mx(
                    "example.test",
                    10,
                    &hostile::labels("mx.example.test"),
                )],
            ),
            ("mx.example.test", 1) => a(&[[0, 0, 0, 0], [127, 0, 0, 1], [224, 0, 0, 1]]),
            _ => Reply::Records(0, vec![]),
        }
    });
    let (r, _) = check(dns, "example.test", "3", "20");
    let f = r.finding("dns-mx-invalid");
    assert_eq!(f["severity"], "warn", "{}", r.stdout);
    let summary = f["summary"].as_str().unwrap();
    assert!(
        summary.contains("(0.0.0.0, 224.0.0.1): not probed"),
        "{summary}"
    );
    let addresses: Vec<String> = r.json()["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["address"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        addresses.iter().all(|a| a.starts_with("127.0.0.1")),
        "{addresses:?}"
    );
}
