//! Hostile and broken peers on the wire (issue 14, items 1-4): bytes without a line end, TLS
//! records where a greeting was expected, lines ended with CR alone, plaintext after the
//! STARTTLS 220 (before our ClientHello: injection; after it: an answer to it), replies nobody
//! asked for, replies with a code that cannot answer, partial greetings, and the reader's
//! limits. Each test runs the real binary against a raw server on 127.0.0.1 that follows a
//! script, and asserts what the user sees.

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
        /// Read whatever the client sent (one read, binary: a TLS ClientHello has no line).
        ReadSome,
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
                Act::ReadSome => {
                    let mut buf = [0u8; 4096];
                    if std::io::Read::read(&mut r, &mut buf).unwrap_or(0) == 0 {
                        return;
                    }
                }
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

/// A greeting whose lines end with CR alone: no sender ever reads it. Named as a broken
/// line discipline, a failure, with the bytes, instead of "no greeting".
#[test]
fn a_banner_ended_by_a_bare_cr_is_a_broken_line_end() {
    let s = raw::serve(vec![
        send(b"220-mx.example.test ESMTP\r220 ready\r"),
        Act::Hold(6000),
    ]);
    let r = probe(&s);
    let f = r.finding("smtp-reply-irregular");
    assert_eq!(f["severity"], "fail", "{}", r.stdout);
    assert!(summary(&f).contains("CR alone"), "{}", summary(&f));
    assert!(
        evidence(&f).contains("220-mx.example.test ESMTP\\r220 ready\\r"),
        "{}",
        evidence(&f)
    );
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
    let f = r.finding("smtp-reply-over-limit");
    // A long line is legal SMTP: the limit is this probe's, never "not an SMTP server", and
    // since TLS was not checked the verdict is unknown, not "works" (exit 1).
    assert_eq!(f["severity"], "warn", "{}", r.stdout);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert_eq!(r.json()["verdict"], "unknown", "{}", r.stdout);
    assert_absent(&r, "smtp-protocol-error");
    assert!(
        summary(&f).contains("longer than this probe reads"),
        "{}",
        summary(&f)
    );
    assert!(!r.stdout.contains("not an SMTP server"), "{}", r.stdout);
    assert!(!r.stdout.contains("Something other than"), "{}", r.stdout);
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

/// Issue 14 item 2: plaintext a moment after the 220 (here after our ClientHello went out)
/// is injection whatever its timing: a `250` answers nothing we sent. It is reported with its
/// bytes, and the handshake it broke is not blamed on a proxy.
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

/// The server reads our ClientHello as a command and answers it in plaintext (a server, or an
/// SMTP-inspecting box, that never switched to TLS): not CVE-2011-0411 injection.
#[test]
fn a_plaintext_answer_to_the_client_hello_is_not_injection() {
    let mut script = up_to_starttls();
    script.extend([
        Act::ReadSome, // the ClientHello
        send(b"500 5.5.1 Command unrecognized\r\n"),
        Act::Hold(6000),
    ]);
    let s = raw::serve(script);
    let r = probe(&s);
    let f = r.finding("tls-handshake-failed");
    assert_eq!(f["severity"], "fail", "{}", r.stdout);
    assert!(
        summary(&f).contains("answered our TLS ClientHello with an SMTP reply"),
        "{}",
        summary(&f)
    );
    assert!(
        evidence(&f).contains("500 5.5.1 Command unrecognized\\r\\n"),
        "{}",
        evidence(&f)
    );
    assert_absent(&r, "starttls-injection");
}

/// Plaintext in the same packet as the STARTTLS 220 was sent before the server could have
/// read our hello: that stays injection.
#[test]
fn plaintext_with_the_220_is_injection() {
    let mut script = up_to_starttls();
    script.pop();
    script.extend([
        send(b"220 2.0.0 Ready to start TLS\r\n250 injected\r\n"),
        Act::Hold(6000),
    ]);
    let s = raw::serve(script);
    let r = probe(&s);
    let f = r.finding("starttls-injection");
    assert!(evidence(&f).contains("250 injected"), "{}", evidence(&f));
}

/// Two bytes that may begin a TLS record, then silence: too few to call plaintext.
#[test]
fn two_bytes_of_a_record_header_are_not_called_plaintext() {
    let mut script = up_to_starttls();
    script.extend([Act::ReadSome, send(&[0x16, 0x03]), Act::Hold(6000)]);
    let s = raw::serve(script);
    let r = probe(&s);
    assert_absent(&r, "starttls-injection");
    let f = r.finding("tls-handshake-failed");
    assert!(
        !summary(&f).contains("did not start TLS"),
        "{}",
        summary(&f)
    );
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

/// The same server, slower: its late EHLO reply arrives only after our QUIT, as QUIT's
/// answer. Still the desync, never "STARTTLS not offered" (a loaded CI machine lost this
/// race in the test above).
#[test]
fn an_extra_250_answering_quit_is_still_a_desync() {
    let s = raw::serve(vec![
        send(b"220 mx.example.test ESMTP\r\n"),
        Act::Sleep(150),
        send(b"250 mx.example.test\r\n"),
        Act::Read,
        Act::Read,
        send(b"250-mx.example.test\r\n250 STARTTLS\r\n221 bye\r\n"),
    ]);
    let r = probe(&s);
    let f = r.finding("smtp-reply-desync");
    assert_eq!(f["severity"], "fail", "{}", r.stdout);
    assert!(
        evidence(&f).contains("in answer to QUIT"),
        "{}",
        evidence(&f)
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

// --- Round 2: one reply with a wrong code is that command's answer, not a desync.

/// A server whose EHLO reply is `200`-class but not `250` (or mixes codes): the reply is
/// EHLO's answer, not someone else's, so no desync, and the probe's own wait for a "real
/// answer" never shows up as a slow server (smtp-tarpit).
#[test]
fn an_odd_ehlo_code_is_its_answer_not_a_desync_nor_a_tarpit() {
    for ehlo in [
        &b"299-mx.trial.test\r\n299 STARTTLS\r\n"[..],
        &b"250-mx.trial.test\r\n251-PIPELINING\r\n250-STARTTLS\r\n252 SIZE 1000\r\n"[..],
    ] {
        let s = raw::serve(vec![
            send(b"220 mx.trial.test ESMTP\r\n"),
            Act::Read,
            send(ehlo),
            Act::Read,
            send(b"454 4.7.0 TLS not available\r\n"),
            Act::Read,
            send(b"221 bye\r\n"),
        ]);
        let r = probe(&s);
        assert_absent(&r, "smtp-reply-desync");
        assert_absent(&r, "smtp-tarpit");
        // The reply was taken as EHLO's: STARTTLS was tried.
        r.finding("starttls-rejected");
    }
}

/// A plaintext server without STARTTLS that answers QUIT with `250`: STARTTLS is still
/// reported missing; one odd code to QUIT hides nothing.
#[test]
fn a_250_to_quit_keeps_starttls_not_offered() {
    let s = raw::serve(vec![
        send(b"220 mx.example.test ESMTP\r\n"),
        Act::Read,
        send(b"250-mx.example.test\r\n250 SIZE 1000\r\n"),
        Act::Read,
        send(b"250 bye\r\n"),
    ]);
    let r = probe(&s);
    let f = r.finding("starttls-not-offered");
    assert_eq!(f["severity"], "fail", "{}", r.stdout);
    assert_absent(&r, "smtp-reply-desync");
}

/// A greeting repeated at QUIT is out of turn, but it is no EHLO reply: STARTTLS stays
/// reported missing beside the desync.
#[test]
fn a_greeting_at_quit_does_not_hide_a_missing_starttls() {
    let s = raw::serve(vec![
        send(b"220 mx.example.test ESMTP\r\n"),
        Act::Read,
        send(b"250-mx.example.test\r\n250 SIZE 1000\r\n"),
        Act::Read,
        send(b"220 mx.example.test ESMTP\r\n"),
        Act::Hold(3000),
    ]);
    let r = probe(&s);
    r.finding("starttls-not-offered");
    let f = r.finding("smtp-reply-desync");
    assert_ne!(f["severity"], "fail", "{}", r.stdout);
}

// --- A code that cannot answer is a protocol error, not a refusal.

/// Greetings of class 2xx (not 220) and 1xx: broken, not a refusal of our address.
#[test]
fn a_greeting_code_other_than_220_is_a_protocol_error_not_a_blocklist() {
    for (banner, code) in [
        (&b"299 mx.trial.test ESMTP\r\n"[..], "299"),
        (&b"199 mx.trial.test ESMTP\r\n"[..], "199"),
        (&b"250 OK\r\n"[..], "250"),
    ] {
        let s = raw::serve(vec![send(banner), Act::Hold(3000)]);
        let r = probe(&s);
        let f = r.finding("smtp-protocol-error");
        assert!(
            summary(&f).contains(&format!("the greeting's code is {code}, not 220")),
            "{}",
            summary(&f)
        );
        assert_absent(&r, "smtp-rejected");
        assert!(!r.stdout.contains("blocklist"), "{}", r.stdout);
    }
}

/// EHLO answered with a 3xx, STARTTLS with a 250: protocol errors naming the code.
#[test]
fn a_wrong_code_to_ehlo_or_starttls_is_a_protocol_error() {
    let s = raw::serve(vec![
        send(b"220 mx.example.test ESMTP\r\n"),
        Act::Read,
        send(b"354 go ahead\r\n"),
        Act::Hold(3000),
    ]);
    let r = probe(&s);
    let f = r.finding("smtp-protocol-error");
    assert!(
        summary(&f).contains("the answer to EHLO is 354"),
        "{}",
        summary(&f)
    );
    assert_absent(&r, "smtp-rejected");

    let s = raw::serve(vec![
        send(b"220 mx.example.test ESMTP\r\n"),
        Act::Read,
        send(b"250-mx.example.test\r\n250 STARTTLS\r\n"),
        Act::Read,
        send(b"250 ok\r\n"),
        Act::Hold(3000),
    ]);
    let r = probe(&s);
    let f = r.finding("smtp-protocol-error");
    assert!(
        summary(&f).contains("the answer to STARTTLS is 250"),
        "{}",
        summary(&f)
    );
    assert_absent(&r, "starttls-rejected");
}

/// A 421 to STARTTLS is the service closing (try later), not a certificate that cannot load.
#[test]
fn a_421_to_starttls_is_a_temporary_refusal() {
    let mut script = up_to_starttls();
    script.pop();
    script.extend([
        send(b"421 4.3.2 Service shutting down\r\n"),
        Act::Hold(3000),
    ]);
    let s = raw::serve(script);
    let r = probe(&s);
    r.finding("smtp-temporary-refusal");
    assert_absent(&r, "starttls-rejected");
}

// --- Partial greetings.

/// 17 bytes of a greeting, no line end: "part of a greeting", never "no greeting".
#[test]
fn a_partial_greeting_is_not_called_no_greeting() {
    let s = raw::serve(vec![send(b"220 mx.test ESMTP"), Act::Hold(6000)]);
    let r = probe(&s);
    let f = r.finding("banner-timeout");
    assert!(
        summary(&f).contains("sent part of a greeting"),
        "{}",
        summary(&f)
    );
    assert!(!summary(&f).contains("sent no greeting"), "{}", summary(&f));
}

/// A greeting's CR with its LF never sent: a plain timeout with the bytes, not a server
/// ending its lines with CR alone.
#[test]
fn a_trailing_cr_alone_is_a_timeout_not_a_bare_cr_server() {
    let s = raw::serve(vec![send(b"220 mx.test ESMTP\r"), Act::Hold(6000)]);
    let r = probe(&s);
    let f = r.finding("banner-timeout");
    assert!(
        evidence(&f).contains("220 mx.test ESMTP\\r"),
        "{}",
        evidence(&f)
    );
    assert_absent(&r, "smtp-reply-irregular");
}

/// A postscreen-style `220-` line, then the greet pause past --timeout: the line ended, the
/// reply did not; the summary names greet pauses.
#[test]
fn an_unfinished_multi_line_greeting_names_a_greet_pause() {
    let s = raw::serve(vec![send(b"220-mx.test ESMTP\r\n"), Act::Hold(6000)]);
    let r = probe(&s);
    let f = r.finding("banner-timeout");
    assert!(summary(&f).contains("greet pause"), "{}", summary(&f));
    assert!(!evidence(&f).contains("never ended"), "{}", evidence(&f));
    assert!(r.stdout.contains("--timeout"), "{}", r.stdout);
}

/// A 421 sent unasked is the server closing the session (RFC 5321 §3.8 allows it at any
/// time): a temporary refusal, verdict unknown, not a desync with advice about greetings sent
/// twice, nor a FAIL for the hang-up it announced (the second trial).
#[test]
fn an_unsolicited_421_is_the_server_closing_not_a_desync() {
    let s = raw::serve(vec![
        send(b"220 mx.test ESMTP\r\n"),
        Act::Read,
        send(b"250-mx.test\r\n250 STARTTLS\r\n421 4.3.2 Service shutting down\r\n"),
        Act::Sleep(200),
    ]);
    let r = probe(&s);
    let f = r.finding("smtp-temporary-refusal");
    assert!(
        summary(&f).contains("closed the session with a 421 before STARTTLS"),
        "{}",
        summary(&f)
    );
    assert!(
        evidence(&f).contains("421 4.3.2 Service shutting down"),
        "{}",
        evidence(&f)
    );
    assert_absent(&r, "smtp-reply-desync");
    assert_absent(&r, "smtp-connection-closed");
    assert_eq!(r.code, 3, "{}", r.stdout);
}
