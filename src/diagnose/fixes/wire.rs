//! Fixes for what a server does on the wire: lines ended with CR alone, replies out of step
//! with the commands, plaintext after the STARTTLS `220` that breaks the handshake. The
//! server software is unknown when its replies are broken, so these are prose: where to look,
//! and how to see the bytes from inside the network.
//!
//! # References
//! - RFC 5321 §2.3.8 (lines end with CRLF), §4.2 and §4.3.2 (one reply per command)
//! - RFC 3207 §4.2, CVE-2011-0411 (nothing may follow the STARTTLS 220 before the handshake)

use crate::diagnose::fix::{Family, Fix, Shell};

fn fix(template: &'static str, values: &[&str]) -> Fix {
    Fix::new(Family::Generic, template, values)
}

/// How to see the raw greeting from a host inside the network, line ends made visible.
fn look_inside(f: Fix, port: u16) -> Fix {
    f.say(
        "To tell the server from a device in the path, read the greeting from a host next to the server: set `host=` to the server's \
         own address there, then run this (`cat -A` shows a CR as ^M and the end of a line as $):",
    )
    .run(
        Shell::Shell,
        format!("printf 'QUIT\\r\\n' | nc -w 5 \"${{host:?}}\" {port} | cat -A"),
    )
}

/// The greeting's lines end with CR alone: no sender ever sees a complete line.
pub fn bare_cr(port: u16) -> Fix {
    let p = port.to_string();
    let f = fix("wire::bare_cr", &[&p]).say(
        "SMTP lines end with CR LF (RFC 5321 §2.3.8). This server ends them with CR alone, so a sender keeps waiting for the end of the \
         first line and gives up: no mail is delivered over this path. Mail servers do not do this on their own; look for a proxy, \
         load balancer or 'SMTP fixup' rule that rewrites line ends, or a home-grown listener writing `\\r` where it should write `\\r\\n`.",
    );
    look_inside(f, port)
}

/// Replies out of step with the commands.
pub fn desync(port: u16) -> Fix {
    let p = port.to_string();
    let f = fix("wire::desync", &[&p]).say(
        "Make the server send exactly one reply per command, and one greeting per connection. The evidence shows the extra reply: a \
         greeting sent twice usually comes from a proxy or load balancer that greets by itself and then passes the server's own \
         greeting through (turn its SMTP greeting off, or make it a plain TCP proxy); an extra line after a one-line greeting is a \
         banner written with several `220 ` lines instead of `220-` continuation lines.",
    );
    look_inside(f, port)
}

/// Plaintext after the STARTTLS 220 broke the handshake.
pub fn injection_broke_handshake() -> Fix {
    fix("wire::injection_broke_handshake", &[]).say(
        "A correct server sends nothing between its `220` to STARTTLS and the TLS handshake. This one sent text there, and the \
         handshake read it where the server's first TLS record should be, so TLS never started (the STARTTLS plaintext-injection \
         class, CVE-2011-0411). Senders that require TLS defer mail; others may send in clear text. Update the MTA, and look for \
         anything in the path that writes into SMTP sessions (a proxy, a load balancer, an 'SMTP fixup' rule).",
    )
}
