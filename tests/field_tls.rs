//! Field diagnosis, TLS policy: `tls-legacy-only` against a real TLS 1.0 stack (Python's
//! `ssl`, behind a tiny SMTP-STARTTLS script on 127.0.0.1; skipped, loudly, without python3),
//! and `--check-required` against scripted servers, proving from the server's command log
//! exactly what it sends.

// A skipped test says so on stderr: a silent skip would look like a proof.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use common::*;
use starttls_check::scripted::Scenario;

fn postfix_replying_to_mail(reply: &str) -> Scenario {
    let mut s = Scenario::postfix(HOST, &pki().healthy(HOST, 90));
    s.mail_reply = Some(reply.to_string());
    s
}

/// The commands of the main probe, then those of the `--check-required` connection, which
/// runs after it (never at the same time: one connection per address and port).
fn split_at_second_session(cmds: &[String]) -> (&[String], &[String]) {
    let first_quit = cmds
        .iter()
        .position(|c| c == "QUIT")
        .unwrap_or_else(|| panic!("no QUIT in {cmds:?}"));
    cmds.split_at(first_quit + 1)
}

#[test]
fn check_required_sends_only_ehlo_mail_from_null_rset_quit() {
    let s = serve(postfix_replying_to_mail(
        "530 5.7.0 Must issue a STARTTLS command first",
    ));
    let r = probe(&s, &["--check-required"]);
    let cmds = s.received();
    let (main, check) = split_at_second_session(&cmds);
    let verbs = |c: &[String]| -> Vec<String> {
        c.iter()
            .map(|l| l.split(' ').next().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        verbs(main),
        ["EHLO", "STARTTLS", "EHLO", "QUIT"],
        "{cmds:?}"
    );
    // Exactly these lines, in this order, on the second connection: no STARTTLS, no RCPT,
    // no DATA, and the null sender.
    assert_eq!(check.len(), 4, "{cmds:?}");
    assert!(
        check[0].starts_with("EHLO ") && !check[0].contains(HOST),
        "{cmds:?}"
    );
    assert_eq!(&check[1..], ["MAIL FROM:<>", "RSET", "QUIT"], "{cmds:?}");
    assert_eq!(s.peak_sessions(), 1, "never two connections at once");
    assert_eq!(s.connections(), 2);

    let f = r.finding("tls-required");
    assert_eq!(f["severity"], "info");
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .contains("530 5.7.0 Must issue a STARTTLS command first"),
        "{f}"
    );
    assert_eq!(r.json()["verdict"], "pass");
    assert_eq!(r.code, 0);
    assert_absent(&r, "tls-not-required");
    // The transcript shows the second connection as sent.
    let transcript = r.json()["endpoints"][0]["transcript"].to_string();
    assert!(transcript.contains("MAIL FROM:<>"), "{transcript}");
}

#[test]
fn without_the_flag_no_mail_is_ever_sent() {
    let s = serve(postfix_replying_to_mail("250 2.1.0 Ok"));
    let r = probe(&s, &[]);
    assert_verdict(&r, "pass", 0, "starttls-ok", "info");
    let cmds = s.received();
    for verb in ["MAIL", "RCPT", "DATA", "RSET"] {
        assert!(
            !cmds
                .iter()
                .any(|c| c.to_ascii_uppercase().starts_with(verb)),
            "{verb} sent without --check-required: {cmds:?}"
        );
    }
    assert_eq!(s.connections(), 1);
    for code in ["tls-required", "tls-not-required", "tls-required-unknown"] {
        assert_absent(&r, code);
    }
}

#[test]
fn accepted_mail_from_is_info_and_warns_only_when_tls_is_expected() {
    let s = serve(postfix_replying_to_mail("250 2.1.0 Ok"));
    let r = probe(&s, &["--check-required"]);
    let f = r.finding("tls-not-required");
    assert_eq!(f["severity"], "info");
    assert!(
        f["summary"].as_str().unwrap().contains("250 2.1.0 Ok"),
        "{f}"
    );
    assert_eq!(r.json()["verdict"], "pass", "{}", r.stdout);
    assert_eq!(r.code, 0);

    let r = probe(&s, &["--check-required", "--expect-required"]);
    assert_verdict(&r, "warn", 1, "tls-not-required", "warn");
    let f = r.finding("tls-not-required");
    let fix = f["fix"].as_str().unwrap();
    // A Postfix on a port no stock service has: its service is looked up, then set to
    // `encrypt` there only.
    assert!(fix.contains("smtpd_tls_security_level=encrypt"), "{fix}");
    assert!(fix.contains("postconf -P"), "{fix}");
    let cmds = s.received();
    assert_eq!(
        cmds.iter().filter(|c| *c == "MAIL FROM:<>").count(),
        2,
        "{cmds:?}"
    );
    assert!(!cmds.iter().any(|c| c.starts_with("RCPT") || c == "DATA"));
}

#[test]
fn a_refusal_not_about_tls_is_unknown_never_not_required() {
    for reply in [
        "550 5.7.1 Sender refused",
        "530 5.7.0 Authentication required",
        "421 4.7.0 Too many connections",
    ] {
        let s = serve(postfix_replying_to_mail(reply));
        let r = probe(&s, &["--check-required"]);
        let f = r.finding("tls-required-unknown");
        assert_eq!(f["severity"], "info", "{reply}");
        assert!(f["summary"].as_str().unwrap().contains(reply), "{f}");
        assert_absent(&r, "tls-not-required");
        assert_absent(&r, "tls-required");
        assert_eq!(r.json()["verdict"], "pass", "{reply}: {}", r.stdout);
    }
}

#[test]
fn expect_required_needs_check_required() {
    let r = run(&["mail.example.test", "--expect-required", "--format", "json"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stdout.contains("--check-required") || r.stderr.contains("--check-required"));
}

#[test]
fn help_says_what_check_required_sends() {
    let r = run(&["--help"]);
    assert_eq!(r.code, 0);
    let help = r.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains("--check-required"), "{help}");
    assert!(help.contains("MAIL FROM:<>"), "{help}");
    assert!(help.contains("never RCPT or DATA"), "{help}");
}

// ---- a real TLS 1.0 stack: Python's ssl ----------------------------------------------------

/// An SMTP server with STARTTLS whose TLS is Python's `ssl` (OpenSSL), limited by `mode`:
/// `tls10` (TLS 1.0 only, `DEFAULT:@SECLEVEL=0`), `tls10-implicit` (the same from the first
/// byte, port-465 style) or `tls12-cbc` (TLS 1.2 with one CBC suite only). It serves every connection until killed, and exits by itself after a minute.
const PYTHON_SERVER: &str = r#"
import os, socket, ssl, sys, threading
cert, key, mode = sys.argv[1], sys.argv[2], sys.argv[3]
threading.Timer(60, lambda: os._exit(0)).start()
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
if mode.startswith("tls10"):
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.maximum_version = ssl.TLSVersion.TLSv1
else:
    ctx.set_ciphers("ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0")
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
ctx.load_cert_chain(cert, key)
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(8)
print(srv.getsockname()[1], flush=True)

def readline(s):
    line = b""
    while not line.endswith(b"\n") and len(line) < 1024:
        b = s.recv(1)
        if not b:
            return None
        line += b
    return line

def talk(s, tls):
    while True:
        line = readline(s)
        if line is None:
            return
        verb = line.split(b" ")[0].strip().upper()
        if verb == b"EHLO":
            s.sendall(b"250-legacy.example.test\r\n250-PIPELINING\r\n" + (b"250 8BITMIME\r\n" if tls else b"250 STARTTLS\r\n"))
        elif verb == b"STARTTLS" and not tls:
            s.sendall(b"220 2.0.0 Ready to start TLS\r\n")
            try:
                t = ctx.wrap_socket(s, server_side=True)
            except Exception as e:
                print("handshake:", e, file=sys.stderr, flush=True)
                return
            talk(t, True)
            return
        elif verb == b"QUIT":
            s.sendall(b"221 2.0.0 Bye\r\n")
            return
        else:
            s.sendall(b"502 5.5.2 Error: command not recognized\r\n")

def handle(c):
    c.settimeout(5)
    try:
        if mode.endswith("-implicit"):
            try:
                c = ctx.wrap_socket(c, server_side=True)
            except Exception as e:
                print("handshake:", e, file=sys.stderr, flush=True)
                return
            c.sendall(b"220 legacy.example.test ESMTP\r\n")
            talk(c, True)
            return
        c.sendall(b"220 legacy.example.test ESMTP\r\n")
        talk(c, False)
    except Exception:
        pass
    finally:
        c.close()

while True:
    c, _ = srv.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
"#;

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// The Python server, killed when dropped.
struct PythonServer {
    child: Child,
    addr: SocketAddr,
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the Python server in `mode`, or says loudly why it cannot (no python3, or an
/// OpenSSL that refuses the mode) and returns None.
fn python_server(mode: &str) -> Option<PythonServer> {
    let present = Command::new("python3")
        .args(["-c", "import ssl"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !present {
        eprintln!(
            "SKIPPED: python3 with its ssl module is not available, so tls-legacy-only is not \
             proven against a real TLS 1.0 stack here (the Postfix tier's port 2539 does it)"
        );
        return None;
    }
    let leaf = pki().healthy(HOST, 90);
    let cert = write_temp("legacy-cert.pem", &pem("CERTIFICATE", &leaf.chain[0]));
    let key = write_temp("legacy-key.pem", &pem("PRIVATE KEY", leaf.key.secret_der()));
    let script = write_temp("legacy_smtp.py", PYTHON_SERVER);
    let mut child = Command::new("python3")
        .arg(&script)
        .arg(&cert)
        .arg(&key)
        .arg(mode)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn python3");
    let mut line = String::new();
    let _ = BufReader::new(child.stdout.take().unwrap()).read_line(&mut line);
    match line.trim().parse::<u16>() {
        Ok(port) => Some(PythonServer {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        }),
        Err(_) => {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            eprintln!(
                "SKIPPED: python3's ssl cannot serve {mode} here:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            None
        }
    }
}

#[test]
fn tls10_only_server_is_named_legacy_only_against_python_ssl() {
    let Some(server) = python_server("tls10") else {
        return;
    };
    let r = probe_name(HOST, server.addr, &[]);
    assert_verdict(&r, "fail", 2, "tls-legacy-only", "fail");
    let f = r.finding("tls-legacy-only");
    let summary = f["summary"].as_str().unwrap();
    assert!(summary.contains("at most TLS 1.0"), "{summary}");
    let evidence = f["evidence"].to_string();
    assert!(evidence.contains("ServerHello TLS 1.0"), "{evidence}");
    let fix = f["fix"].as_str().unwrap();
    assert!(
        fix.contains("SMTPSEND.SuspiciousRemoteServerError"),
        "{fix}"
    );
    assert!(
        fix.contains("openssl s_client -starttls smtp -tls1_2"),
        "{fix}"
    );
    // The symptom stays, right after its cause, pointing at it.
    let codes = r.codes();
    assert_eq!(
        codes[..2],
        ["tls-legacy-only", "tls-handshake-failed"],
        "{codes:?}"
    );
    let human = run(&[
        &format!("{HOST}:{}", server.addr.port()),
        "--resolve",
        &format!("{HOST}:127.0.0.1"),
        "--timeout",
        "5",
        "--color",
        "never",
    ]);
    assert!(
        human.stdout.contains("as for tls-legacy-only"),
        "{}",
        human.stdout
    );
}

#[test]
fn tls12_server_with_old_suites_is_not_legacy_only_against_python_ssl() {
    let Some(server) = python_server("tls12-cbc") else {
        return;
    };
    let r = probe_name(HOST, server.addr, &[]);
    assert_verdict(&r, "fail", 2, "tls-handshake-failed", "fail");
    assert_absent(&r, "tls-legacy-only");
    let f = r.finding("tls-handshake-failed");
    let summary = f["summary"].as_str().unwrap();
    assert!(
        summary.contains("speaks TLS 1.2")
            && summary.contains("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"),
        "{summary}"
    );
}

#[test]
fn tls10_only_implicit_tls_port_is_named_legacy_only_against_python_ssl() {
    let Some(server) = python_server("tls10-implicit") else {
        return;
    };
    let r = probe_name(HOST, server.addr, &["--implicit-tls"]);
    assert_verdict(&r, "fail", 2, "tls-legacy-only", "fail");
    let f = r.finding("tls-legacy-only");
    assert!(
        f["summary"].as_str().unwrap().contains("at most TLS 1.0"),
        "{f}"
    );
    // No SMTP before the hello on an implicit-TLS port.
    let transcript = r.json()["endpoints"][0]["transcript"].to_string();
    assert!(!transcript.contains("STARTTLS"), "{transcript}");
    // Nor in the check after the fix: `-starttls smtp` would wait for a plaintext greeting.
    let fix = f["fix"].as_str().unwrap();
    let check = fix
        .lines()
        .find(|l| l.contains("openssl s_client"))
        .unwrap_or_else(|| panic!("no s_client check in {fix}"));
    assert!(
        !check.contains("-starttls") && check.contains("-tls1_2"),
        "{check}"
    );
}

/// New-user trial of issue 9: a TLS 1.0-only SMTPS port probed for STARTTLS. The second
/// connection shows the port's mode, but its handshake failed there too: that is not
/// "nothing to change", it is a failure, and the fix says to probe with --implicit-tls for
/// the cause.
#[test]
fn a_legacy_implicit_port_probed_for_starttls_is_a_broken_mode_mismatch() {
    let Some(server) = python_server("tls10-implicit") else {
        return;
    };
    let r = probe_name(HOST, server.addr, &["--timeout", "2"]);
    assert_verdict(&r, "fail", 2, "tls-mode-mismatch", "fail");
    let f = r.finding("tls-mode-mismatch");
    assert!(
        f["summary"].as_str().unwrap().contains("fails there too"),
        "{f}"
    );
    let fix = f["fix"].as_str().unwrap();
    assert!(
        !fix.contains("Nothing needs to change") && fix.contains("--implicit-tls"),
        "{fix}"
    );
}
