//! Hostile and broken peers on the wire (issue 14, items 1-4): bytes without a line end, TLS
//! records where a greeting was expected, lines ended with CR alone, plaintext after the
//! STARTTLS 220 whatever its timing, replies nobody asked for, and the reader's limits. Each
//! test runs the real binary against a raw server on 127.0.0.1 that follows a script, and
//! asserts what the user sees.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use common::{Run, assert_absent, probe_addr};
use serde_json::Value;

/// A raw scripted server: the first connection follows a script; any later connection (the
/// probe's follow-ups) is held open in silence, and counted.
mod raw {
    use super::*;

    /// One step of a script.
    #[derive(Clone)]
    pub enum Act {
        /// Write these bytes.
        Send(Vec<u8>),
        /// Wait this many milliseconds.
        Sleep(u64),
        /// Read one line from the client (up to LF); the script ends if the client hung up.
        Read,
        /// Keep the connection open, silent, this many milliseconds, then close.
        Hold(u64),
    }

    pub fn send(b: &[u8]) -> Act {
        Act::Send(b.to_vec())
    }

    pub struct Server {
        pub addr: SocketAddr,
        connections: Arc<AtomicUsize>,
    }

    impl Server {
        /// How many connections were accepted.
        pub fn connections(&self) -> usize {
            self.connections.load(Ordering::SeqCst)
        }
    }

    pub fn serve(script: Vec<Act>) -> Server {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        thread::spawn(move || {
            for (i, s) in l.incoming().enumerate() {
                let Ok(s) = s else { return };
                counted.fetch_add(1, Ordering::SeqCst);
                let script = script.clone();
                thread::spawn(move || {
                    if i == 0 {
                        run(s, &script);
                    } else {
                        thread::sleep(Duration::from_secs(8));
                    }
                });
            }
        });
        Server { addr, connections }
    }

    fn run(s: TcpStream, script: &[Act]) {
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut w = s;
        for act in script {
            match act {
                Act::Send(b) => {
                    if w.write_all(b).is_err() {
                        return;
                    }
                }
                Act::Sleep(ms) => thread::sleep(Duration::from_millis(*ms)),
                Act::Read => {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                }
                Act::Hold(ms) => thread::sleep(Duration::from_millis(*ms)),
            }
        }
    }
}

use raw::{Act, send};

fn probe(server: &raw::Server) -> Run {
    probe_addr(server.addr, &["--timeout", "2"])
}

fn evidence(f: &Value) -> String {
    f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn summary(f: &Value) -> String {
    f["summary"].as_str().unwrap().to_string()
}

// --- Item 1: bytes without a line end are evidence.

/// A greeting that never ends its line: still a missing greeting, but the report shows what
/// the server did send.
#[test]
fn a_banner_without_a_line_end_is_shown_as_received_so_far() {
    let s = raw::serve(vec![send(b"220 mx.example.test ESMTP"), Act::Hold(6000)]);
    let r = probe(&s);
    let f = r.finding("banner-timeout");
    let e = evidence(&f);
    assert!(e.contains("received so far (25 bytes"), "{e}");
    assert!(e.contains("220 mx.example.test ESMTP"), "{e}");
}

/// A greeting that ends its line with CR alone: no sender ever reads it. Named as a broken
/// line discipline, a failure, with the bytes, instead of "no greeting".
#[test]
fn a_banner_ended_by_a_bare_cr_is_a_broken_line_end() {
    let s = raw::serve(vec![send(b"220 mx.example.test ESMTP\r"), Act::Hold(6000)]);
    let r = probe(&s);
    let f = r.finding("smtp-reply-irregular");
    assert_eq!(f["severity"], "fail", "{}", r.stdout);
    assert!(summary(&f).contains("CR alone"), "{}", summary(&f));
    assert!(evidence(&f).contains("220 mx.example.test ESMTP\\r"));
    assert_absent(&r, "banner-timeout");
    assert_eq!(r.json()["verdict"], "fail");
}

/// TLS records where the greeting was expected: the port speaks implicit TLS, known from
/// the bytes, without a second connection.
#[test]
fn tls_records_instead_of_a_greeting_are_a_mode_mismatch() {
    // A TLS 1.2 alert record (fatal, unexpected_message), as a TLS listener sends when it
    // gives up on a client that never spoke.
    let s = raw::serve(vec![
        send(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x0a]),
        Act::Hold(6000),
    ]);
    let r = probe(&s);
    let f = r.finding("tls-mode-mismatch");
    let e = evidence(&f);
    assert!(e.contains("\\x15\\x03\\x03"), "{e}");
    assert!(e.contains("content type 21 (alert)"), "{e}");
    assert!(summary(&f).contains("implicit TLS"), "{}", summary(&f));
    assert_absent(&r, "banner-timeout");
    assert_eq!(s.connections(), 1, "the bytes decide: no second connection");
}

/// The same bytes, then a hang-up: still a mode mismatch, not "closed the connection".
#[test]
fn tls_records_then_a_hang_up_are_a_mode_mismatch() {
    let s = raw::serve(vec![send(&[
        0x16, 0x03, 0x01, 0x00, 0x04, 0x0e, 0x00, 0x00, 0x00,
    ])]);
    let r = probe(&s);
    r.finding("tls-mode-mismatch");
    assert_absent(&r, "smtp-connection-closed");
    assert_absent(&r, "banner-timeout");
}

/// Half an EHLO reply, then silence: the lines that came are in the finding.
#[test]
fn half_an_ehlo_reply_is_shown_at_the_timeout() {
    let s = raw::serve(vec![
        send(b"220 mx.example.test ESMTP\r\n"),
        Act::Read,
        send(b"250-mx.example.test\r\n250-SIZE 1000\r\n250-STARTT"),
        Act::Hold(6000),
    ]);
    let r = probe(&s);
    let f = r.finding("smtp-timeout");
    let e = evidence(&f);
    assert!(
        e.contains("250-mx.example.test\\r\\n250-SIZE 1000\\r\\n250-STARTT"),
        "{e}"
    );
    assert!(e.contains("no complete reply"), "{e}");
}

// --- Item 4: a limit hit says so.

/// A greeting line longer than the reader's limit: the report says the limit was hit and
/// how much of the line it shows.
#[test]
fn a_line_over_the_limit_says_so_and_shows_its_start() {
    let mut long = b"220 ".to_vec();
    long.extend(std::iter::repeat_n(b'a', 6000));
    long.extend_from_slice(b"\r\n");
    let s = raw::serve(vec![Act::Send(long), Act::Hold(6000)]);
    let r = probe(&s);
    let f = r.finding("smtp-protocol-error");
    let e = evidence(&f);
    assert!(e.contains("over 4096 bytes"), "{e}");
    assert!(
        e.contains("received so far (4096 bytes, no complete reply; the first 512 shown)"),
        "{e}"
    );
    assert!(e.contains("220 aaaa"), "{e}");
}

// --- Item 2: injection whatever the timing.

/// The opening of a STARTTLS dialogue up to the server's 220 to STARTTLS.
fn up_to_starttls() -> Vec<Act> {
    vec![
        send(b"220 mx.example.test ESMTP\r\n"),
        Act::Read,
        send(b"250-mx.example.test\r\n250 STARTTLS\r\n"),
        Act::Read,
        send(b"220 2.0.0 Ready to start TLS\r\n"),
    ]
}

/// Plaintext a moment after the 220: the handshake reads it. Named as injection, with the
/// bytes, and not blamed on a broken TLS stack or a proxy.
#[test]
fn plaintext_after_a_pause_is_injection_not_a_handshake_failure() {
    let mut script = up_to_starttls();
    script.extend([Act::Sleep(150), send(b"250 injected\r\n"), Act::Hold(6000)]);
    let s = raw::serve(script);
    let r = probe(&s);
    let f = r.finding("starttls-injection");
    assert_eq!(f["severity"], "fail", "{}", r.stdout);
    assert!(
        evidence(&f).contains("250 injected\\r\\n"),
        "{}",
        evidence(&f)
    );
    assert!(evidence(&f).contains("handshake phase"), "{}", evidence(&f));
    assert_absent(&r, "tls-handshake-failed");
    assert_eq!(r.json()["findings"][0]["code"], "starttls-injection");
}

/// A TLS alert after the 220 is TLS, never injection.
#[test]
fn a_tls_alert_after_the_220_is_not_injection() {
    let mut script = up_to_starttls();
    script.extend([
        Act::Read, // part of the ClientHello
        send(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]),
    ]);
    let s = raw::serve(script);
    let r = probe(&s);
    r.finding("tls-handshake-failed");
    assert_absent(&r, "starttls-injection");
}

// --- Item 3: replies out of step.

/// A second greeting in the same packet as the first: it would be read as the EHLO reply
/// (no STARTTLS). The desync is reported; STARTTLS is not called missing.
#[test]
fn an_extra_greeting_is_a_desync_not_a_missing_starttls() {
    let s = raw::serve(vec![
        send(b"220 mx.example.test ESMTP\r\n220 mx.example.test ready\r\n"),
        Act::Read,
        send(b"250-mx.example.test\r\n250 STARTTLS\r\n"),
        Act::Read,
        send(b"454 4.7.0 TLS not available\r\n"),
        Act::Read,
        send(b"221 bye\r\n"),
    ]);
    let r = probe(&s);
    let f = r.finding("smtp-reply-desync");
    assert_eq!(f["severity"], "fail", "{}", r.stdout);
    let e = evidence(&f);
    assert!(
        e.contains("before EHLO, unasked: \"220 mx.example.test ready\\r\\n\""),
        "{e}"
    );
    assert_absent(&r, "starttls-not-offered");
}

/// The extra greeting a moment later, after EHLO went out: a 220 cannot answer EHLO, and
/// the real answer (with STARTTLS) that follows is used.
#[test]
fn a_late_extra_greeting_is_a_desync_and_the_real_answer_is_used() {
    let s = raw::serve(vec![
        send(b"220 mx.example.test ESMTP\r\n"),
        Act::Sleep(150),
        send(b"220 mx.example.test ready\r\n"),
        Act::Read,
        send(b"250-mx.example.test\r\n250 STARTTLS\r\n"),
        Act::Read,
        send(b"454 4.7.0 TLS not available\r\n"),
        Act::Read,
        send(b"221 bye\r\n"),
    ]);
    let r = probe(&s);
    let f = r.finding("smtp-reply-desync");
    assert!(
        evidence(&f).contains("in answer to EHLO, a reply that cannot answer it"),
        "{}",
        evidence(&f)
    );
    assert_absent(&r, "starttls-not-offered");
    // The real EHLO reply was read: STARTTLS was tried and refused.
    r.finding("starttls-rejected");
}

/// An extra 250 after the greeting, sent as EHLO goes out: it is taken for the EHLO reply
/// (no STARTTLS); the real EHLO reply, with STARTTLS, surfaces at QUIT. Reported as a
/// desync that hides STARTTLS, not as STARTTLS missing.
#[test]
fn an_extra_250_shows_up_at_quit_as_a_desync() {
    let s = raw::serve(vec![
        send(b"220 mx.example.test ESMTP\r\n"),
        Act::Sleep(150),
        send(b"250 mx.example.test\r\n"),
        Act::Read,
        send(b"250-mx.example.test\r\n250 STARTTLS\r\n"),
        Act::Read,
        send(b"221 bye\r\n"),
    ]);
    let r = probe(&s);
    let f = r.finding("smtp-reply-desync");
    assert_eq!(f["severity"], "fail", "{}", r.stdout);
    assert!(
        summary(&f).contains("offering STARTTLS arrived out of turn"),
        "{}",
        summary(&f)
    );
    assert!(evidence(&f).contains("250 STARTTLS"), "{}", evidence(&f));
    assert_absent(&r, "starttls-not-offered");
}

/// A clean plaintext server without STARTTLS: no desync, STARTTLS not offered.
#[test]
fn a_clean_server_has_no_desync() {
    let s = raw::serve(vec![
        send(b"220-mx.example.test ESMTP\r\n220 welcome\r\n"),
        Act::Read,
        send(b"250-mx.example.test\r\n250 SIZE 1000\r\n"),
        Act::Read,
        send(b"221 bye\r\n"),
    ]);
    let r = probe(&s);
    r.finding("starttls-not-offered");
    assert_absent(&r, "smtp-reply-desync");
}

// --- A run cut by its overall deadline reports every endpoint, each with how far it got.

/// Two silent listeners of one host, probed one at a time (`--concurrency 1`): the first
/// waits for its greeting until the run's deadline; the second's turn comes after it. Both
/// are reported, the first as cut short in the banner phase, the second as never started,
/// never as a connection that "waited 0.0s" for an answer.
#[test]
fn an_endpoint_whose_turn_comes_after_the_deadline_is_reported_as_never_started() {
    let (a, b) = (
        raw::serve(vec![Act::Hold(6000)]),
        raw::serve(vec![Act::Hold(6000)]),
    );
    let ports = format!("{},{}", a.addr.port(), b.addr.port());
    let started = std::time::Instant::now();
    let r = common::probe_ports(
        "mx.example.test",
        "127.0.0.1",
        &ports,
        &["--deadline", "1.5", "--concurrency", "1"],
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(r.code, 3, "{}", r.stdout);
    let j = r.json();
    let endpoints = j["endpoints"].as_array().unwrap();
    assert_eq!(endpoints.len(), 2, "{j:#}");
    let messages: Vec<&str> = endpoints
        .iter()
        .map(|e| e["failure"]["message"].as_str().unwrap())
        .collect();
    let phases: Vec<&str> = endpoints
        .iter()
        .map(|e| e["failure"]["phase"].as_str().unwrap())
        .collect();
    assert!(phases.contains(&"banner"), "{phases:?}");
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("not started: the run's deadline")),
        "{messages:?}"
    );
    assert!(
        !messages.iter().any(|m| m.contains("within 0.0")),
        "{messages:?}"
    );
    let summaries: Vec<String> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "probe-deadline-exceeded")
        .map(summary)
        .collect();
    assert!(
        summaries.iter().any(|s| s.contains("never connected to")),
        "{summaries:?}"
    );
    // A refusal is an answer, not a wait: the deadline never "cut it short".
    assert_absent(&r, "connect-refused");
}

/// A closed port probed with little time left is refused, and the refusal is not marked as
/// cut short by the deadline (it was the answer, however little time was left).
#[test]
fn a_refusal_near_the_deadline_is_not_cut_short() {
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let r = probe_addr(closed, &["--deadline", "1"]);
    let f = r.finding("connect-refused");
    assert!(!evidence(&f).contains("cut short"), "{f:#}");
}
