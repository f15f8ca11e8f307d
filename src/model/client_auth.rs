//! The client-certificate side of one handshake: whether the server asked for a certificate
//! (RFC 5246 §7.4.4, RFC 8446 §4.3.2), which CA names it accepts, whether ours
//! (`--client-cert`) was sent, and what became of it.

/// What the handshake showed about client authentication.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientAuth {
    /// The server sent a CertificateRequest.
    pub requested: bool,
    /// The CA names of the request (escaped DNs, `CN=Corp CA, O=Corp`); empty means "any".
    pub acceptable_ca_names: Vec<String>,
    /// Our certificate was sent (asked, and `--client-cert` was given).
    pub presented: bool,
    /// What became of it.
    pub outcome: ClientCertOutcome,
    /// What the server said when it refused ours, or why the outcome is not known (the
    /// alert, the failure's words), for the evidence.
    pub detail: Option<String>,
}

/// What became of the certificate we presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientCertOutcome {
    /// The server did not ask, so nothing was sent.
    #[default]
    NotRequested,
    /// Asked, but we had none to send (no `--client-cert`), and the session went on.
    NoneSent,
    /// TLS 1.2: the server checked ours in the handshake and answered EHLO over TLS.
    Accepted,
    /// TLS 1.3: the server's answer to EHLO over TLS came, so it accepted ours (in TLS 1.3 the
    /// server judges the client certificate after its own Finished, RFC 8446 §4.4.2.4).
    AcceptedAfterEhlo,
    /// The server refused it (an alert after we sent it, or a refusal of the session).
    Refused,
    /// TLS 1.3 and the session ended before EHLO over TLS was answered: not known.
    Unknown,
}
