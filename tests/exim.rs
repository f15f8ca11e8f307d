//! Real-MTA tier: the `starttls-check` binary against a real Exim 4 (Debian 12's
//! exim4-daemon-light, extracted by `tests/exim/setup.sh install`, never installed as a
//! package), one certificate or STARTTLS case per port on 127.0.0.1 (see
//! `tests/exim/README.md`).
//!
//! The tests start Exim themselves, once per test process, through `tests/exim/setup.sh run`
//! (a fresh PKI, a private configuration, Exim's debug output in a file), and it stops when
//! the process ends (`tests/mta`). Every test is `#[ignore]`d, so a plain `cargo test` skips
//! them; run as root:
//!
//! ```text
//! sudo bash tests/exim/setup.sh install
//! sudo cargo test --test exim -- --ignored
//! ```
//!
//! Without the install they fail, naming that command; they never pass silently.
//!
//! Besides the verdict, codes and exit code of each case, every test reads Exim's own record
//! of the sessions (its debug output, `PID SMTP<< command`) and checks what the probe sent
//! (`mta::assert_probe_etiquette`), and that Exim looked nothing up in DNS.

mod common;
mod mta;

use mta::{Case, Session, Spec, cases};

/// The Exim tier: `tests/exim/setup.sh run`, Exim's debug output, and no lookups in it.
static EXIM: Spec = Spec {
    name: "exim",
    dir_var: "STARTTLS_CHECK_EXIM_DIR",
    default_dir: "/tmp/starttls-check-exim",
    log_file: "debug.log",
    log_name: "Exim's debug log",
    sessions,
    ca_var: "STARTTLS_CHECK_EXIM_CA",
    check_log: expect_no_lookups,
};

/// Exim's debug output (`-d-all+receive+dns+host_lookup`, one line per event, each prefixed
/// with the process id) read as sessions. The daemon logs `SMTP connection from
/// [127.0.0.1]:CLIENT I=[127.0.0.1]:PORT` and forks a process per connection, which logs
/// `Process PID is handling incoming connection from [127.0.0.1]:CLIENT`, `SMTP<< COMMAND`
/// for every command it reads (in TLS too), and `Exim pid=PID (daemon-accept) terminating`.
fn sessions(log: &str) -> Vec<Session> {
    let mut by_pid: Vec<(u32, Session)> = Vec::new();
    let mut port_of_client: std::collections::HashMap<String, u16> = Default::default();
    for line in log.lines() {
        let line = line.trim_start();
        let Some((pid, rest)) = line.split_once(' ') else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        let rest = rest.trim_start();
        if let Some(at) = rest.find(" I=[127.0.0.1]:") {
            let client = rest[..at].rsplit(' ').next().unwrap_or_default();
            let port = rest[at + " I=[127.0.0.1]:".len()..]
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|p| p.parse().ok());
            if let Some(port) = port {
                port_of_client.insert(client.to_owned(), port);
            }
        }
        let handling = format!("Process {pid} is handling incoming connection from ");
        if let Some(client) = rest.strip_prefix(&handling) {
            by_pid.push((
                pid,
                Session {
                    peer: client.to_owned(),
                    ..Session::default()
                },
            ));
            continue;
        }
        // A pid names one session: Exim forks a new process for every connection.
        let Some((_, session)) = by_pid.iter_mut().rev().find(|(p, _)| *p == pid) else {
            continue;
        };
        if let Some(command) = rest.strip_prefix("SMTP<< ") {
            session.commands.push(command.to_owned());
        } else if rest.contains("(daemon-accept) terminating") {
            session.closed = true;
        }
    }
    by_pid
        .into_iter()
        .map(|(_, mut s)| {
            s.port = port_of_client.get(&s.peer).copied().unwrap_or(0);
            s
        })
        .collect()
}

/// Exim asked no DNS server and no host database anything: its debug output (with the `dns`
/// and `host_lookup` selectors on) has none of the lines a lookup writes.
#[track_caller]
fn expect_no_lookups(log: &str) {
    assert!(
        log.contains("-d-all+receive+dns+host_lookup"),
        "Exim's debug output does not show the selectors the lookup check relies on"
    );
    for sign in [
        "DNS lookup of",
        "looking up host name",
        "IP address lookup",
        "gethostbyname",
        "gethostbyaddr",
    ] {
        let hit = log.lines().find(|l| l.contains(sign));
        assert!(hit.is_none(), "Exim looked a name up: {hit:?}");
    }
}

#[test]
fn log_reading_and_etiquette_rules() {
    // Not a tier test (no Exim needed): the reader on lines Exim 4.96 wrote, and the rules.
    let log = "30453 Connection request from 127.0.0.1 port 39716
30453   SMTP connection from [127.0.0.1]:39716 I=[127.0.0.1]:2550 (TCP/IP connection count = 1)
31387 Process 31387 is handling incoming connection from [127.0.0.1]:39716
31387 SMTP>> 220 mail.example.test ESMTP Exim 4.96 Thu, 03 Dec 2026 11:34:14 +0000
31387 SMTP<< EHLO [127.0.0.1]
31387 SMTP<< STARTTLS
31387 SMTP<< EHLO [127.0.0.1]
31387 SMTP<< QUIT
31387   SMTP connection from ([127.0.0.1]) [127.0.0.1]:39716 I=[127.0.0.1]:2550 closed by QUIT
31387 >>>>>>>>>>>>>>>> Exim pid=31387 (daemon-accept) terminating with rc=0 >>>>>>>>>>>>>>>>
 7353 Process 7353 is handling incoming connection from [127.0.0.1]:46976
30453   SMTP connection from [127.0.0.1]:46976 I=[127.0.0.1]:2555 (TCP/IP connection count = 2)
 7353 SMTP<< EHLO [127.0.0.1]
 7353 SMTP<< MAIL FROM:<>
";
    let s = sessions(log);
    assert_eq!(s.len(), 2, "{s:?}");
    assert_eq!(
        (s[0].port, s[0].peer.as_str(), s[0].closed),
        (2550, "[127.0.0.1]:39716", true)
    );
    assert_eq!(
        s[0].commands,
        ["EHLO [127.0.0.1]", "STARTTLS", "EHLO [127.0.0.1]", "QUIT"]
    );
    assert_eq!(
        (s[1].port, s[1].closed, s[1].commands.len()),
        (2555, false, 2)
    );
    mta::etiquette_rules_refuse_what_they_should();
    mta::readiness_waits_for_every_port();
    let lookup = "-d-all+receive+dns+host_lookup\n 9 DNS lookup of 1.0.0.127.in-addr.arpa (PTR)";
    assert!(std::panic::catch_unwind(|| expect_no_lookups(lookup)).is_err());
    expect_no_lookups("-d-all+receive+dns+host_lookup\n 9 SMTP<< QUIT");
}

/// Exim's banner, and its `250` to `MAIL FROM:<>`.
#[test]
#[ignore = "needs Exim from tests/exim/setup.sh install, and root"]
fn valid_chain_passes() {
    cases::valid_chain(&EXIM, "220 mail.example.test ESMTP Exim 4.", "250");
}

#[test]
#[ignore = "needs Exim from tests/exim/setup.sh install, and root"]
fn expired_leaf_fails() {
    cases::expired(&EXIM);
}

#[test]
#[ignore = "needs Exim from tests/exim/setup.sh install, and root"]
fn self_signed_leaf_fails() {
    cases::self_signed(&EXIM);
}

/// `tls_certificate` naming a file with the leaf only; the fix speaks Exim's language.
#[test]
#[ignore = "needs Exim from tests/exim/setup.sh install, and root"]
fn missing_intermediate_fails() {
    let run = cases::chain_incomplete(&EXIM);
    let fix = run.finding("cert-chain-incomplete", "fail")["fix"]
        .as_str()
        .unwrap_or_default();
    assert!(
        fix.contains("tls_certificate") && !fix.contains("postconf"),
        "Exim's fix: {fix}{}",
        run.ctx()
    );
}

/// `tls_advertise_hosts` empty for this port: no STARTTLS in Exim's EHLO reply.
#[test]
#[ignore = "needs Exim from tests/exim/setup.sh install, and root"]
fn starttls_off_fails() {
    cases::starttls_off(&EXIM);
}

/// An ACL refuses MAIL until the session is encrypted (`deny !encrypted = *`); the
/// `--check-required` connection carries EHLO, MAIL FROM:<>, RSET, QUIT and nothing else.
#[test]
#[ignore = "needs Exim from tests/exim/setup.sh install, and root"]
fn tls_required_is_recognised() {
    cases::tls_required(&EXIM, "550 Encryption required: issue STARTTLS first");
}

/// `tls_on_connect_ports`: Exim's banner comes inside TLS.
#[test]
#[ignore = "needs Exim from tests/exim/setup.sh install, and root"]
fn implicit_tls_passes() {
    let run = cases::implicit_tls(&EXIM);
    assert!(
        run.endpoint()["banner"]
            .as_str()
            .is_some_and(|b| b.contains("ESMTP Exim")),
        "Exim's banner, inside TLS{}",
        run.ctx()
    );
}

/// Issue 15, item 5 (server families): Exim is recognised from its banner and keywords, so
/// its fixes speak Exim's language.
#[test]
#[ignore = "needs Exim from tests/exim/setup.sh install, and root"]
fn exim_is_recognised_as_exim() {
    cases::software(&EXIM, "PORT_SELF_SIGNED", "exim");
    // Recognised for its fixes: Exim's own options, never Postfix's commands.
    let run = Case::new(&EXIM, "PORT_SELF_SIGNED").probe(&[]);
    let fix = run.finding("cert-self-signed", "fail")["fix"].to_string();
    assert!(fix.contains("tls_certificate"), "{fix}{}", run.ctx());
    assert!(!fix.contains("postconf"), "{fix}{}", run.ctx());
}
