//! Real-server tier: the `starttls-check` binary against aiosmtpd (Debian 12's
//! python3-aiosmtpd 1.4.3, a Python SMTP server library), one certificate or STARTTLS case
//! per port on 127.0.0.1, served by `tests/aiosmtpd/server.py` (see
//! `tests/aiosmtpd/README.md`).
//!
//! The tests start the server themselves, once per test process, through
//! `tests/aiosmtpd/setup.sh run` (a fresh PKI, then `server.py`), and it stops when the
//! process ends (`tests/mta`). Every test is `#[ignore]`d, so a plain `cargo test` skips them:
//!
//! ```text
//! sudo bash tests/aiosmtpd/setup.sh install
//! cargo test --test aiosmtpd -- --ignored
//! ```
//!
//! Without the install they fail, naming that command; they never pass silently.
//!
//! Besides the verdict, codes and exit code of each case, every test reads the server's log of
//! every line the client sent (`commands.log`) and checks what the probe sent
//! (`mta::assert_probe_etiquette`).

use serde_json::Value;

mod common;
mod mta;

use mta::{Session, Spec, cases};

/// The aiosmtpd tier: `tests/aiosmtpd/setup.sh run`, its log of every line a client sent.
static AIOSMTPD: Spec = Spec {
    name: "aiosmtpd",
    dir_var: "STARTTLS_CHECK_AIOSMTPD_DIR",
    default_dir: "/tmp/starttls-check-aiosmtpd",
    log_file: "commands.log",
    log_name: "the server's command log",
    sessions,
    ca_var: "STARTTLS_CHECK_AIOSMTPD_CA",
    check_log: |_| {},
};

/// `server.py`'s log, one JSON object a line: `{"port", "case", "peer", "event": "connect" |
/// "line" | "close", "line"}`, read as sessions (keyed by the client's address and port).
fn sessions(log: &str) -> Vec<Session> {
    let mut all: Vec<Session> = Vec::new();
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(record) = serde_json::from_str::<Value>(line) else {
            // A line being written as we read: the next look sees it whole.
            continue;
        };
        let peer = record["peer"].as_str().unwrap_or_default().to_owned();
        let port = record["port"]
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(0);
        let at = all.iter().rposition(|s| s.peer == peer && s.port == port);
        match (record["event"].as_str(), at) {
            (Some("connect"), _) => all.push(Session {
                port,
                peer,
                ..Session::default()
            }),
            (Some("line"), Some(i)) => all[i]
                .commands
                .push(record["line"].as_str().unwrap_or_default().to_owned()),
            (Some("close"), Some(i)) => all[i].closed = true,
            _ => {}
        }
    }
    all
}

#[test]
fn log_reading_and_etiquette_rules() {
    // Not a tier test (no aiosmtpd needed): the reader on lines server.py writes, and the rules.
    let log = r#"{"port": 2564, "case": "require-tls", "peer": "127.0.0.1:49136", "event": "connect"}
{"port": 2564, "case": "require-tls", "peer": "127.0.0.1:49136", "event": "line", "line": "EHLO [127.0.0.1]"}
{"port": 2560, "case": "valid", "peer": "127.0.0.1:40378", "event": "connect"}
{"port": 2564, "case": "require-tls", "peer": "127.0.0.1:49136", "event": "line", "line": "MAIL FROM:<>"}
{"port": 2564, "case": "require-tls", "peer": "127.0.0.1:49136", "event": "line", "line": "RSET"}
{"port": 2564, "case": "require-tls", "peer": "127.0.0.1:49136", "event": "line", "line": "QUIT"}
{"port": 2564, "case": "require-tls", "peer": "127.0.0.1:49136", "event": "close"}
{"port": 2560, "case": "valid", "peer": "127.0.0.1:40378", "event": "line", "line": "EH"#;
    let s = sessions(log);
    assert_eq!(s.len(), 2, "{s:?}");
    assert_eq!(
        (s[0].port, s[0].peer.as_str(), s[0].closed),
        (2564, "127.0.0.1:49136", true)
    );
    assert_eq!(
        s[0].commands,
        ["EHLO [127.0.0.1]", "MAIL FROM:<>", "RSET", "QUIT"]
    );
    assert_eq!(
        (s[1].port, s[1].closed, s[1].commands.len()),
        (2560, false, 0)
    );
    mta::etiquette_rules_refuse_what_they_should();
    mta::readiness_waits_for_every_port();
}

/// aiosmtpd's banner, and its `250 OK` to `MAIL FROM:<>`.
#[test]
#[ignore = "needs python3-aiosmtpd from tests/aiosmtpd/setup.sh install"]
fn valid_chain_passes() {
    cases::valid_chain(&AIOSMTPD, "220 mail.example.test Python SMTP 1.", "250 OK");
}

#[test]
#[ignore = "needs python3-aiosmtpd from tests/aiosmtpd/setup.sh install"]
fn expired_leaf_fails() {
    cases::expired(&AIOSMTPD);
}

#[test]
#[ignore = "needs python3-aiosmtpd from tests/aiosmtpd/setup.sh install"]
fn self_signed_leaf_fails() {
    cases::self_signed(&AIOSMTPD);
}

/// `tls_context` loaded with the leaf alone (`valid.pem`, not `valid.chain.pem`).
#[test]
#[ignore = "needs python3-aiosmtpd from tests/aiosmtpd/setup.sh install"]
fn missing_intermediate_fails() {
    cases::chain_incomplete(&AIOSMTPD);
}

/// No `tls_context`: aiosmtpd advertises no STARTTLS.
#[test]
#[ignore = "needs python3-aiosmtpd from tests/aiosmtpd/setup.sh install"]
fn starttls_off_fails() {
    cases::starttls_off(&AIOSMTPD);
}

/// `require_starttls=True`: aiosmtpd answers MAIL (and RSET) before STARTTLS with `530 Must
/// issue a STARTTLS command first`.
#[test]
#[ignore = "needs python3-aiosmtpd from tests/aiosmtpd/setup.sh install"]
fn tls_required_is_recognised() {
    cases::tls_required(&AIOSMTPD, "530 Must issue a STARTTLS command first");
}

/// The listener's SSL context (`loop.create_server(ssl=...)`).
#[test]
#[ignore = "needs python3-aiosmtpd from tests/aiosmtpd/setup.sh install"]
fn implicit_tls_passes() {
    cases::implicit_tls(&AIOSMTPD);
}

/// Issue 15, item 5 (server families): aiosmtpd's `Python SMTP 1.4.3` banner names no MTA
/// of the families table, and nothing else about it does: the family is `unknown` and the
/// fixes stay generic.
#[test]
#[ignore = "needs python3-aiosmtpd from tests/aiosmtpd/setup.sh install"]
fn aiosmtpd_is_an_unknown_server() {
    cases::software(&AIOSMTPD, "PORT_SELF_SIGNED", "unknown");
}
