//! What the follow-up connections learned: the TLS version a server speaks when rustls could
//! not negotiate with it, and whether the server lets a client send mail without TLS
//! (`--check-required`). Each runs on a connection of its own after the main probe.

use crate::smtp::Reply;
use crate::tls::legacy::ServerAnswer;

/// How the hand-built legacy hello fared (`probe::legacy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegacyTls {
    /// The server answered it: a ServerHello with its version, or an alert.
    Answered(ServerAnswer),
    /// The server closed the connection without answering the hello.
    Closed,
    /// No answer to the hello within the step's timeout.
    Timeout,
    /// The follow-up did not get as far as the hello (the reason, escaped).
    NotReached(String),
}

/// What `--check-required` saw: the reply to `MAIL FROM:<>` sent without STARTTLS
/// (`probe::required`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredCheck {
    /// The reply to `MAIL FROM:<>`, if one came.
    pub mail_reply: Option<Reply>,
    /// Why no reply to `MAIL FROM:<>` was read (the greeting, EHLO or the connection failed),
    /// escaped.
    pub problem: Option<String>,
}
