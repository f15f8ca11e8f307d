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

/// The greeting began and never finished: a line without its end (`continuation` false), or
/// `220-` continuation lines whose last line never came (a greet pause, as postscreen's).
pub fn greeting_unfinished(continuation: bool) -> Fix {
    let f = fix(
        "wire::greeting_unfinished",
        &[if continuation { "continuation" } else { "line" }],
    );
    if continuation {
        f.say(
            "The server sent the first lines of its greeting (`220-`) and then paused. Postfix postscreen (`postscreen_greet_wait`, \
             6s by default with a pregreet test) and sendmail's `greet_pause` do this on purpose to catch clients that talk too early; \
             senders wait up to 5 minutes for a greeting (RFC 5321 §4.5.3.2), so mail still flows. Retry with a larger --timeout \
             (for example --timeout 30) to see the rest; if it never comes, the SMTP service or a proxy in front of it hangs mid-greeting.",
        )
    } else {
        f.say(
            "The server began its greeting and never ended the line (no CR LF came). The evidence shows the bytes it sent. A server that \
             writes its greeting without a line end, or stalls mid-line, is hung or broken, or a proxy in the path holds the rest: check \
             the SMTP service's log for this connection. If it is only slow, retry with a larger --timeout.",
        )
    }
}

/// A reply whose `code` cannot answer where it came (a `299` greeting, a `250` to STARTTLS).
pub fn wrong_code(code: u16, port: u16) -> Fix {
    let c = code.to_string();
    let f = fix("wire::wrong_code", &[&c, &port.to_string()]).say(format!(
        "A reply code {c} cannot answer here (RFC 5321 §4.2.1, §4.3.2: a greeting is 220, or 554/421 to refuse; EHLO is answered with \
         250; STARTTLS with 220). Senders treat it as a broken server and give up on the connection. Real MTAs do not send it: look \
         for a home-grown listener, a proxy or an 'SMTP fixup' rule that rewrites replies."
    ));
    look_inside(f, port)
}

/// A reply longer than this probe reads: legal SMTP. Postfix `smtp_chat.c` (`smtp_chat_resp`)
/// reads reply lines of up to `line_length_limit` (default 2048), warns `response longer than
/// %d` for a longer one and reads on, with no line count: a limit of this probe, not of every
/// sender.
pub fn over_limit(port: u16) -> Fix {
    let p = port.to_string();
    let f = fix("wire::over_limit", &[&p]).say(
        "The reply is longer than this probe reads (4096 bytes a line, 256 lines a reply), so TLS was not checked. RFC 5321 §4.5.3.1.5 \
         allows 512 octets a line and sets no line count. Whether senders get through depends on where the reply ends: Postfix's SMTP \
         client cuts a longer line at `line_length_limit` (2048 bytes by default), logs `response longer than 2048`, and reads on, with \
         no limit on the number of lines; stricter senders give up; a reply that never ends stops every sender. Real servers send a handful of short lines: shorten the greeting or the EHLO list (a banner \
         of many lines, a long AUTH or policy text). The evidence shows the start of what came.",
    );
    look_inside(f, port)
}

/// The server answered the TLS ClientHello in plaintext: it never switched to TLS after its
/// `220` to STARTTLS.
pub fn plaintext_answer(port: u16) -> Fix {
    let p = port.to_string();
    let f = fix("wire::plaintext_answer", &[&p]).say(
        "The server said `220` to STARTTLS, then read the TLS ClientHello as if it were a plaintext command and answered it in \
         plaintext: it never started TLS. Either the SMTP service answers STARTTLS without being able to switch (a home-grown or \
         broken listener), or a device in the path (an SMTP-inspecting firewall, a proxy) answers STARTTLS itself and passes the rest \
         on as plaintext. Senders that require TLS defer mail. Compare with a probe from a host next to the server.",
    );
    look_inside(f, port)
}
