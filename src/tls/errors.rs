//! Plain words for every error the TLS library reports: a failed handshake, a chain refused,
//! an error in the TLS session after the handshake.
//!
//! rustls's own messages are `{:?}` of its enums (`peer misbehaved: SelectedUnofferedCipherSuite`,
//! `InvalidMessage(HandshakePayloadTooLarge)`, webpki's `MaximumPathDepthExceeded`): an admin
//! cannot act on them, and the enums are `#[non_exhaustive]`, so a library update adds names
//! nobody here has seen. Every error is therefore put in a category that decides the fix
//! (only bytes that cannot be a TLS record are "not TLS"), and described in words; a name not
//! known here is spelled out in words (`selected unoffered cipher suite`), never shown raw.
//! The library's own message stays in `HandshakeError::detail`, as evidence.
//!
//! # References
//! - RFC 8446 §5.1 (record layer: 2^14-byte records, content types), §4.4.2.4 (a server that
//!   requires a client certificate aborts with `certificate_required`), §6 (alerts), §6.1
//!   (close_notify)
//! - RFC 5246 §7.4.6 (TLS 1.2: a server that requires a client certificate "may respond with a
//!   fatal handshake failure alert")
//! - RFC 5280 §4.1.2.5 (validity: UTCTime years 50-99 are 19xx), §4.2.1.9 (basic constraints),
//!   §4.2.1.10 (name constraints), §6.1 (path validation)

use rustls::{AlertDescription, CertificateError, InvalidMessage, PeerIncompatible};

use super::drive::Heard;
use super::{HandshakeError, HandshakeFailure, TrustFailure, heard};

/// The largest handshake message rustls accepts (`MAX_HANDSHAKE_SIZE` in its deframer): the
/// 16-bit bound it puts on the 24-bit length field of RFC 8446 §4. Named in the finding, so
/// an admin knows how far over the certificate chain is.
pub const MAX_HANDSHAKE_MESSAGE: usize = 0xffff;

/// At most this many CA names of a CertificateRequest are quoted: the list can hold hundreds
/// (every root the server trusts), and the first few tell an admin which PKI it expects.
pub const MAX_CA_NAMES_SHOWN: usize = 5;

/// `SelectedUnofferedCipherSuite` → `selected unoffered cipher suite`; an acronym stays in
/// capitals (`UnknownCA` → `unknown CA`). For names no description here knows.
pub(crate) fn words(camel: &str) -> String {
    tokens(camel)
        .into_iter()
        .map(|t| {
            if t.chars().filter(char::is_ascii_uppercase).count() > 1 {
                t
            } else {
                t.to_ascii_lowercase()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The library's message, for the evidence line: every CamelCase name in it (a rustls or
/// webpki variant, `received corrupt message of type InvalidContentType`) spelled out in
/// words, and the whole escaped (a `General` error can quote anything).
pub fn library_words(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let b = run.as_bytes();
        let camel = b.first().is_some_and(u8::is_ascii_uppercase)
            && b.windows(2)
                .any(|p| p[0].is_ascii_lowercase() && p[1].is_ascii_uppercase());
        out.push_str(&if camel { words(run) } else { run.clone() });
        run.clear();
    };
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    crate::smtp::escape(out.as_bytes())
}

/// Splits a Rust variant name into its words (`PSKIdentity` → `PSK`, `Identity`); anything
/// after the name (`(…)`, `{ … }`) is dropped.
fn tokens(camel: &str) -> Vec<String> {
    let name: String = camel
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    let chars: Vec<char> = name.chars().collect();
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1).copied();
        let boundary = c.is_ascii_uppercase()
            && prev.is_some_and(|p| {
                p.is_ascii_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_ascii_uppercase() && next.is_some_and(|n| n.is_ascii_lowercase()))
            });
        if boundary && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// An alert as the RFCs name it (`handshake_failure (40)`), so it can be looked up.
pub fn alert_name(a: AlertDescription) -> String {
    let code = u8::from(a);
    let name = match a {
        AlertDescription::Unknown(_) => return format!("unknown alert ({code})"),
        AlertDescription::UnrecognisedName => "unrecognized_name".to_string(),
        AlertDescription::EncryptedClientHelloRequired => "ech_required".to_string(),
        other => tokens(&format!("{other:?}"))
            .iter()
            .map(|t| t.to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join("_"),
    };
    format!("{name} ({code})")
}

/// What a fatal alert from the server means, for the ones that say something.
fn alert_meaning(a: AlertDescription) -> &'static str {
    use AlertDescription as A;
    match a {
        A::HandshakeFailure => {
            ": it found no acceptable set of parameters (cipher suite, key exchange, certificate)"
        }
        A::ProtocolVersion => {
            ": it does not speak the TLS versions offered (1.2 and 1.3), so at best older ones (TLS 1.0/1.1), which modern senders refuse"
        }
        A::InsufficientSecurity => ": it wants stronger parameters than offered",
        A::CertificateRequired => {
            ": it demands a client certificate (to present one, run again with --client-cert FILE)"
        }
        A::BadRecordMac | A::DecryptError | A::DecryptionFailed => {
            ": a record failed its integrity check on its side, so the bytes were altered in transit or a TLS stack is broken"
        }
        A::UnexpectedMessage | A::DecodeError | A::IllegalParameter => {
            ": it could not parse what this client sent, or did not expect it (a broken or very old TLS stack)"
        }
        A::InternalError => ": it failed internally (see its TLS log)",
        A::UnrecognisedName => ": it has no certificate for the name sent in SNI",
        A::AccessDenied => ": it refuses this client (an access rule)",
        A::UserCanceled | A::CloseNotify => ": it ended the session",
        _ => "",
    }
}

/// Words for any rustls error (a handshake or a session error).
pub fn describe_tls_error(e: &rustls::Error) -> String {
    use rustls::Error as E;
    match e {
        E::AlertReceived(a) => format!(
            "the server sent the fatal alert {}{}",
            alert_name(*a),
            alert_meaning(*a)
        ),
        E::InvalidMessage(m) => describe_invalid_message(*m),
        E::InappropriateMessage { .. } | E::InappropriateHandshakeMessage { .. } => {
            "the server sent a TLS message out of order (one the protocol does not allow at that point)".into()
        }
        E::PeerMisbehaved(p) => format!(
            "the server broke the TLS protocol ({})",
            words(&format!("{p:?}"))
        ),
        E::PeerIncompatible(p) => describe_incompatible(p),
        E::InvalidCertificate(_) | E::NoCertificatesPresented => describe_cert_error(e),
        E::DecryptError => {
            "a TLS record from the server failed its integrity check (bad_record_mac): the bytes were altered on the way (a box rewriting the stream) or the server's TLS stack is broken".into()
        }
        E::PeerSentOversizedRecord => {
            "the server sent a TLS record larger than the protocol allows (RFC 8446 §5.1: 2^14 bytes of data): a broken TLS stack, or something that is not TLS".into()
        }
        E::General(s) => format!("the TLS library failed: {}", crate::smtp::escape(s.as_bytes())),
        E::HandshakeNotComplete => "the TLS handshake did not complete".into(),
        E::InvalidCertRevocationList(_) => "a certificate revocation list is invalid".into(),
        other => format!(
            "the TLS library refused the connection ({})",
            words(&format!("{other:?}"))
        ),
    }
}

fn describe_invalid_message(m: InvalidMessage) -> String {
    use InvalidMessage as M;
    match m {
        M::InvalidContentType | M::UnknownProtocolVersion => {
            "the server answered with bytes that are not a TLS record (a plaintext reply, or a proxy in the path)".into()
        }
        M::HandshakePayloadTooLarge | M::CertificatePayloadTooLarge => format!(
            "the server sent a handshake message larger than the {MAX_HANDSHAKE_MESSAGE} bytes (64 KiB) this client accepts (rustls's limit); in a server's handshake only the certificate chain grows that large (thousands of names, or many certificates), or a request for a client certificate that lists many CA names"
        ),
        M::MessageTooLarge => {
            "the server sent a TLS record longer than the protocol allows (a broken TLS stack, or bytes that are not TLS)".into()
        }
        other => format!(
            "the server sent a malformed TLS message ({})",
            words(&format!("{other:?}"))
        ),
    }
}

fn describe_incompatible(p: &PeerIncompatible) -> String {
    use PeerIncompatible as P;
    match p {
        P::NoCipherSuitesInCommon => "the server has no cipher suite in common with this client (TLS 1.2 ECDHE with AES-GCM or ChaCha20, TLS 1.3)".into(),
        P::NoKxGroupsInCommon => "the server has no key exchange group in common with this client (X25519, P-256, P-384)".into(),
        P::NoSignatureSchemesInCommon => "the server has no signature scheme in common with this client (it signs only with algorithms rustls refuses, such as SHA-1)".into(),
        P::ServerDoesNotSupportTls12Or13 | P::SupportedVersionsExtensionRequired => {
            "the server supports only TLS versions older than 1.2 (TLS 1.0/1.1), which modern senders refuse".into()
        }
        other => format!(
            "the server lacks something TLS 1.2+ requires ({})",
            words(&format!("{other:?}"))
        ),
    }
}

/// The handshake category of a rustls error: what decides the fix.
fn handshake_kind(e: &rustls::Error) -> HandshakeFailure {
    use rustls::Error as E;
    match e {
        E::AlertReceived(AlertDescription::ProtocolVersion) => HandshakeFailure::ProtocolVersion,
        E::AlertReceived(
            AlertDescription::HandshakeFailure | AlertDescription::InsufficientSecurity,
        ) => HandshakeFailure::NoSharedCipher,
        E::AlertReceived(_) => HandshakeFailure::Alert,
        E::InvalidCertificate(_) => HandshakeFailure::WeakOrBadKey,
        E::PeerMisbehaved(
            rustls::PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme
            | rustls::PeerMisbehaved::SignedKxWithWrongAlgorithm,
        ) => HandshakeFailure::WeakOrBadKey,
        E::InvalidMessage(
            InvalidMessage::InvalidContentType | InvalidMessage::UnknownProtocolVersion,
        ) => HandshakeFailure::NotTls,
        E::InvalidMessage(
            InvalidMessage::HandshakePayloadTooLarge | InvalidMessage::CertificatePayloadTooLarge,
        ) => HandshakeFailure::MessageTooLarge,
        E::InvalidMessage(_)
        | E::InappropriateMessage { .. }
        | E::InappropriateHandshakeMessage { .. }
        | E::PeerMisbehaved(_)
        | E::DecryptError
        | E::PeerSentOversizedRecord => HandshakeFailure::ProtocolViolation,
        E::PeerIncompatible(
            PeerIncompatible::ServerDoesNotSupportTls12Or13
            | PeerIncompatible::SupportedVersionsExtensionRequired,
        ) => HandshakeFailure::ProtocolVersion,
        E::PeerIncompatible(_) => HandshakeFailure::NoSharedCipher,
        _ => HandshakeFailure::Other,
    }
}

/// The words of a handshake failure that refused the certificate we presented: the probe
/// tells that refusal from other failures by them.
pub const REFUSED_OURS: &str = "this client presented its own (--client-cert)";

/// A failed handshake, classified. `asked_for_client_cert`: the server sent a
/// CertificateRequest (with the CA names it accepts), so a refusal after it may be the
/// client certificate this tool did not send; `presented`: ours (`--client-cert`) was sent in
/// answer, so a refusal after it is a refusal of ours. `heard`: what the server sent, which
/// decides what a message too large or a hang-up means, and is shown when it is not TLS.
pub(crate) fn classify(
    e: &std::io::Error,
    asked_for_client_cert: Option<&[String]>,
    presented: bool,
    heard: &Heard,
) -> HandshakeError {
    let detail = e.to_string();
    let tls = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    // A broken pipe is the server's close seen from our side: it hung up while our flight
    // was on its way (a TLS 1.2 server refusing our empty Certificate often does).
    let closed = matches!(
        e.kind(),
        std::io::ErrorKind::UnexpectedEof
            | std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::BrokenPipe
    );
    if presented && (closed || tls.is_some_and(refuses_client)) {
        let (kind, how) = match tls {
            Some(rustls::Error::AlertReceived(a)) => (
                HandshakeFailure::Alert,
                format!("refused the handshake with the alert {}", alert_name(*a)),
            ),
            _ => (
                HandshakeFailure::Closed,
                "closed the connection".to_string(),
            ),
        };
        return HandshakeError {
            kind,
            reason: format!(
                "the server asked for a client certificate, {REFUSED_OURS}, and the server then {how}: it refused the certificate presented (RFC 5246 §7.4.6, RFC 8446 §4.4.2.4)"
            ),
            detail,
        };
    }
    if let Some(names) = asked_for_client_cert
        && (closed || tls.is_some_and(refuses_client))
    {
        return HandshakeError {
            kind: HandshakeFailure::ClientCertRequired,
            reason: client_cert_reason(tls, names),
            detail,
        };
    }
    let (kind, reason) = match tls {
        Some(t @ rustls::Error::InvalidCertificate(_)) => (
            handshake_kind(t),
            "the server's handshake signature was refused: its key is too weak (RSA under 2048 bits) or does not match the certificate".to_string(),
        ),
        Some(t) if handshake_kind(t) == HandshakeFailure::MessageTooLarge => {
            heard::too_large(heard).unwrap_or_else(|| (handshake_kind(t), describe_tls_error(t)))
        }
        Some(t) => (handshake_kind(t), describe_tls_error(t)),
        None if closed => heard::closed(heard),
        None => (HandshakeFailure::Other, detail.clone()),
    };
    // rustls reports a refused handshake signature as a misbehaving peer whose message
    // names the signature: the key is the matter, not the protocol.
    let kind = match (kind, tls) {
        (HandshakeFailure::ProtocolViolation, Some(rustls::Error::PeerMisbehaved(_)))
            if detail.contains("ignature") =>
        {
            HandshakeFailure::WeakOrBadKey
        }
        (k, _) => k,
    };
    let reason = if kind == HandshakeFailure::NotTls {
        heard::not_tls(reason, heard)
    } else {
        reason
    };
    let detail = heard::with_evidence(detail, kind, heard);
    HandshakeError {
        kind,
        reason,
        detail,
    }
}

/// The alerts servers send when the client certificate they demand is missing: RFC 8446
/// `certificate_required`, RFC 5246 `handshake_failure`, and what OpenSSL, Schannel and
/// others send instead.
fn refuses_client(e: &rustls::Error) -> bool {
    use AlertDescription as A;
    matches!(
        e,
        rustls::Error::AlertReceived(
            A::CertificateRequired
                | A::HandshakeFailure
                | A::BadCertificate
                | A::CertificateUnknown
                | A::UnsupportedCertificate
                | A::UnknownCA
                | A::AccessDenied
                | A::NoCertificate
        )
    )
}

fn client_cert_reason(tls: Option<&rustls::Error>, names: &[String]) -> String {
    let accepts = if names.is_empty() {
        String::new()
    } else {
        let shown: Vec<&str> = names
            .iter()
            .take(MAX_CA_NAMES_SHOWN)
            .map(String::as_str)
            .collect();
        let more = names.len().saturating_sub(MAX_CA_NAMES_SHOWN);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        format!(
            " (it accepts certificates issued by {}{more})",
            shown.join("; ")
        )
    };
    let alert = match tls {
        Some(rustls::Error::AlertReceived(a)) => Some(*a),
        _ => None,
    };
    // Only certificate_required says it (RFC 8446 §4.4.2.4). Many servers merely ask
    // (Postfix smtpd_tls_ask_ccert, Exchange) and go on without one: after their request, a
    // close or another alert may have any cause, and the admin must not be told to stop
    // demanding what the server does not demand.
    if alert == Some(AlertDescription::CertificateRequired) {
        return format!(
            "the server demands a client certificate: it asked for one (CertificateRequest){accepts}, this client sent none, and it then refused the handshake with the alert {}. To present one, run again with --client-cert FILE",
            alert_name(AlertDescription::CertificateRequired)
        );
    }
    let how = alert.map_or_else(
        || "closed the connection".to_string(),
        |a| format!("refused the handshake with the alert {}", alert_name(a)),
    );
    format!(
        "the server asked for a client certificate (CertificateRequest){accepts}, this client sent none, and it then {how}: probably it demands one. A server that only asks for one (Postfix smtpd_tls_ask_ccert = yes, Exchange) goes on without it, so if this one only asks, the cause is elsewhere (its TLS log for this connection says which). To present a client certificate, run again with --client-cert FILE"
    )
}

/// The server said it demands a client certificate (the alert `certificate_required`), not
/// merely refused or closed after asking for one: only then is the fix certain.
pub fn client_cert_certain(h: &HandshakeError) -> bool {
    h.kind == HandshakeFailure::ClientCertRequired
        && h.detail
            .lines()
            .next()
            .is_some_and(|l| l.contains("CertificateRequired"))
}

/// What ended a TLS session after the handshake (the probe turns it into its failure kind;
/// the TLS layer knows nothing of the probe's model).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionBreak {
    /// The server demands a client certificate (`certificate_required`).
    ClientCertRequired,
    /// Any other alert.
    Alert,
    /// A record that fails its checks, or another TLS error.
    Error,
    /// The connection ended without close_notify.
    Closed,
}

/// An error on the TLS session after the handshake (the SMTP reader or writer failed):
/// its kind and words. `None` for a plain socket error, which the caller words itself.
pub fn session_error(io: &std::io::Error) -> Option<(SessionBreak, String)> {
    let tls = io
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match tls {
        Some(rustls::Error::AlertReceived(AlertDescription::CertificateRequired)) => Some((
            SessionBreak::ClientCertRequired,
            format!(
                "the server ended the TLS session with the alert {} when this client first read from it: it demands a client certificate (a TLS 1.3 server says so only after the handshake, RFC 8446 §4.4.2.4), and this client sent none (to present one, run again with --client-cert FILE)",
                alert_name(AlertDescription::CertificateRequired)
            ),
        )),
        Some(e @ rustls::Error::AlertReceived(_)) => Some((
            SessionBreak::Alert,
            format!("after the handshake, {}", describe_tls_error(e)),
        )),
        Some(e) => Some((
            SessionBreak::Error,
            format!("after the handshake, {}", describe_tls_error(e)),
        )),
        // rustls's own words for an end of stream before close_notify.
        None if io.kind() == std::io::ErrorKind::UnexpectedEof
            && io.to_string().contains("close_notify") =>
        {
            Some((
            SessionBreak::Closed,
            "the server closed the connection without ending TLS first (no close_notify alert, RFC 8446 §6.1): the session was cut, by the server or by a box in the path".to_string(),
            ))
        }
        None if io.kind() == std::io::ErrorKind::InvalidData => Some((
            SessionBreak::Error,
            format!("the TLS session broke: {}", crate::smtp::escape(io.to_string().as_bytes())),
        )),
        None => None,
    }
}

/// Words for a certificate error (the chain check or the handshake signature).
pub fn describe_cert_error(e: &rustls::Error) -> String {
    cert_failure(e).1
}

/// The kind and the words of a certificate error.
pub(crate) fn cert_failure(e: &rustls::Error) -> (TrustFailure, String) {
    use CertificateError as C;
    use TrustFailure as T;
    let c = match e {
        rustls::Error::InvalidCertificate(c) => c,
        rustls::Error::NoCertificatesPresented => {
            return (T::NoCertificate, "the server sent no certificate".into());
        }
        other => return (T::Other, describe_tls_error(other)),
    };
    let (kind, text): (TrustFailure, &str) = match c {
        C::UnknownIssuer => (
            T::UnknownIssuer,
            "the chain does not lead to a trusted root CA",
        ),
        C::BadSignature => (
            T::BadSignature,
            "a signature in the chain does not verify: a certificate was altered after it was signed, or was not signed by the certificate sent as its issuer",
        ),
        C::BadEncoding => (
            T::Malformed,
            "a certificate in the chain is not encoded as X.509 requires (invalid DER, a malformed date, or trailing bytes)",
        ),
        C::Expired | C::ExpiredContext { .. } => {
            (T::Other, "a certificate in the chain has expired")
        }
        C::NotValidYet | C::NotValidYetContext { .. } => {
            (T::Other, "a certificate in the chain is not valid yet")
        }
        C::Revoked => (T::Other, "a certificate in the chain is revoked"),
        C::UnknownRevocationStatus
        | C::ExpiredRevocationList
        | C::ExpiredRevocationListContext { .. } => (
            T::Other,
            "the revocation status of a certificate in the chain cannot be determined",
        ),
        C::UnhandledCriticalExtension => (
            T::CriticalExtension,
            "a certificate in the chain has an extension marked critical that TLS clients do not understand, so they must refuse it (RFC 5280 §4.2)",
        ),
        #[allow(deprecated)]
        C::UnsupportedSignatureAlgorithm
        | C::UnsupportedSignatureAlgorithmContext { .. }
        | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => (
            T::UnsupportedAlgorithm,
            "the chain uses a signature algorithm that is no longer accepted (e.g. SHA-1), or one that does not fit the issuer's key",
        ),
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            (T::Other, "the certificate does not cover the name checked")
        }
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => (
            T::WrongUsage,
            "the certificate is not allowed for TLS servers (extended key usage)",
        ),
        C::InvalidOcspResponse => (
            T::Other,
            "the OCSP response stapled by the server is invalid",
        ),
        C::ApplicationVerificationFailure => (
            T::Other,
            "the certificate was refused by an application check",
        ),
        // `OtherError`'s Display is the inner error's, which for webpki is its variant name.
        C::Other(o) => return webpki_failure(&o.to_string()),
        other => {
            return (
                T::Other,
                format!(
                    "the certificate was refused ({})",
                    words(&format!("{other:?}"))
                ),
            );
        }
    };
    (kind, text.to_string())
}

/// The words of a chain check, for a client certificate (`check_client`): the shared
/// reasons speak of "the server's certificate"; a self-signed leaf whose issuer is unknown is
/// named as such.
pub(crate) fn for_client(reason: &str, self_signed: bool) -> String {
    if self_signed && reason == "the chain does not lead to a trusted root CA" {
        return "the certificate presented is self-signed (its issuer is itself), and it is not trusted here".into();
    }
    const SWAPS: &[(&str, &str)] = &[
        (
            "the server's certificate is a CA certificate (basicConstraints CA:TRUE), which clients refuse as a server certificate",
            "the certificate presented is a CA certificate (basicConstraints CA:TRUE), which receivers refuse as a client certificate",
        ),
        (
            "the certificate is not allowed for TLS servers (extended key usage)",
            "the certificate presented is not allowed for TLS clients (its extended key usage lacks clientAuth)",
        ),
        (
            "the server sent no certificate",
            "no certificate was presented",
        ),
        (
            "from the server's certificate",
            "from the certificate presented",
        ),
        ("the server's names", "the certificate's names"),
        ("the server's certificate", "the certificate presented"),
        ("stapled by the server", "attached"),
        ("than TLS clients accept", "than receivers accept"),
        ("TLS clients give up", "receivers give up"),
        (
            "TLS clients do not understand",
            "receivers do not understand",
        ),
    ];
    SWAPS
        .iter()
        .fold(reason.to_string(), |r, (from, to)| r.replace(from, to))
}

#[cfg(test)]
mod client_words {
    #[test]
    fn a_client_chain_is_not_called_the_servers_certificate() {
        let ca = super::for_client(
            "the server's certificate is a CA certificate (basicConstraints CA:TRUE), which clients refuse as a server certificate",
            false,
        );
        assert!(
            ca.starts_with("the certificate presented is a CA certificate"),
            "{ca}"
        );
        assert!(!ca.contains("server"), "{ca}");
        let eku = super::for_client(
            "the certificate is not allowed for TLS servers (extended key usage)",
            false,
        );
        assert!(eku.contains("TLS clients"), "{eku}");
        let own = super::for_client("the chain does not lead to a trusted root CA", true);
        assert!(own.contains("self-signed"), "{own}");
    }
}

/// webpki's errors that rustls passes on as `CertificateError::Other`, by name (the names
/// of rustls-webpki 0.103's `Error`): their category and words.
const WEBPKI_REASONS: &[(&[&str], TrustFailure, &str)] = &[
    (
        &["CaUsedAsEndEntity"],
        TrustFailure::WrongUsage,
        "the server's certificate is a CA certificate (basicConstraints CA:TRUE), which clients refuse as a server certificate",
    ),
    (
        &["EndEntityUsedAsCa"],
        TrustFailure::WrongUsage,
        "a certificate in the chain is used as an issuer but is not a CA certificate (no basicConstraints CA:TRUE)",
    ),
    (
        &["PathLenConstraintViolated"],
        TrustFailure::WrongUsage,
        "a CA certificate in the chain allows fewer CA certificates below it than the chain has (pathLenConstraint)",
    ),
    (
        &[
            "RequiredEkuNotFound",
            "RequiredEkuNotFoundContext",
            "EmptyEkuExtension",
        ],
        TrustFailure::WrongUsage,
        "the certificate is not allowed for TLS servers (extended key usage)",
    ),
    (
        &["MaximumPathDepthExceeded"],
        TrustFailure::ChainTooLong,
        "the chain is longer than TLS clients accept: rustls/webpki follows at most 6 intermediate certificates from the server's certificate to a root",
    ),
    (
        &[
            "MaximumSignatureChecksExceeded",
            "MaximumPathBuildCallsExceeded",
        ],
        TrustFailure::ChainTooLong,
        "the chain offers so many certificates that TLS clients give up building a path (rustls/webpki stops after 100 signature checks)",
    ),
    (
        &[
            "NameConstraintViolation",
            "MalformedNameConstraint",
            "MaximumNameConstraintComparisonsExceeded",
            "InvalidNetworkMaskConstraint",
        ],
        TrustFailure::NameConstraints,
        "a CA in the chain is not allowed to issue certificates for the server's names (name constraints, RFC 5280 §4.2.1.10)",
    ),
    (
        &["UnsupportedCriticalExtension"],
        TrustFailure::CriticalExtension,
        "a certificate in the chain has an extension marked critical that TLS clients do not understand, so they must refuse it (RFC 5280 §4.2)",
    ),
    (
        &[
            "BadDer",
            "UnsupportedCertVersion",
            "TrailingData",
            "MalformedExtensions",
            "ExtensionValueInvalid",
            "InvalidSerialNumber",
            "MalformedDnsIdentifier",
            "InvalidCertValidity",
            "BadDerTime",
        ],
        TrustFailure::Malformed,
        "a certificate in the chain is not encoded as X.509 requires (invalid DER, a malformed field or date)",
    ),
    (
        &[
            "UnsupportedSignatureAlgorithm",
            "UnsupportedSignatureAlgorithmContext",
            "UnsupportedSignatureAlgorithmForPublicKey",
            "UnsupportedSignatureAlgorithmForPublicKeyContext",
            "SignatureAlgorithmMismatch",
        ],
        TrustFailure::UnsupportedAlgorithm,
        "the chain uses a signature algorithm that is no longer accepted (e.g. SHA-1), or one that does not fit the issuer's key",
    ),
    (
        &["InvalidSignatureForPublicKey"],
        TrustFailure::BadSignature,
        "a signature in the chain does not verify",
    ),
    (
        &["CertDistrusted"],
        TrustFailure::Other,
        "a certificate in the chain is explicitly distrusted",
    ),
    (
        &["CertRevoked"],
        TrustFailure::Other,
        "a certificate in the chain is revoked",
    ),
    (
        &["UnknownIssuer"],
        TrustFailure::UnknownIssuer,
        "the chain does not lead to a trusted root CA",
    ),
];

/// A webpki error by name: rustls does not re-export webpki's error type, and the name is
/// all its `Debug` and `Display` give. A name not in [`WEBPKI_REASONS`] is spelled out.
fn webpki_failure(debug: &str) -> (TrustFailure, String) {
    let name: String = debug
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    WEBPKI_REASONS
        .iter()
        .find(|(names, _, _)| names.contains(&name.as_str()))
        .map_or_else(
            || {
                (
                    TrustFailure::Other,
                    format!("the certificate was refused ({})", words(&name)),
                )
            },
            |(_, kind, text)| (*kind, (*text).to_string()),
        )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use rustls::pki_types::{ServerName, UnixTime};
    use rustls::{
        CertRevocationListError, CertificateError as C, ContentType, Error as E,
        ExtendedKeyPurpose, HandshakeType, InconsistentKeys, InvalidMessage as M, OtherError,
        PeerIncompatible as I, PeerMisbehaved as P,
    };

    use super::*;

    /// An error whose Display and Debug are a webpki variant name, as webpki's are.
    #[derive(Debug)]
    struct Named(&'static str);
    impl std::fmt::Display for Named {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }
    impl std::error::Error for Named {}

    /// Every variant of rustls-webpki 0.103's `Error`, by name.
    const WEBPKI: &[&str] = &[
        "BadDer",
        "BadDerTime",
        "CaUsedAsEndEntity",
        "CertDistrusted",
        "CertExpired",
        "CertNotValidForName",
        "CertNotValidYet",
        "CertRevoked",
        "CrlExpired",
        "EmptyEkuExtension",
        "EndEntityUsedAsCa",
        "ExtensionValueInvalid",
        "InvalidCertValidity",
        "InvalidCrlNumber",
        "InvalidNetworkMaskConstraint",
        "InvalidSerialNumber",
        "InvalidCrlSignatureForPublicKey",
        "InvalidSignatureForPublicKey",
        "IssuerNotCrlSigner",
        "MalformedDnsIdentifier",
        "MalformedExtensions",
        "MalformedNameConstraint",
        "MaximumNameConstraintComparisonsExceeded",
        "MaximumPathBuildCallsExceeded",
        "MaximumPathDepthExceeded",
        "MaximumSignatureChecksExceeded",
        "NameConstraintViolation",
        "PathLenConstraintViolated",
        "RequiredEkuNotFound",
        "RequiredEkuNotFoundContext",
        "SignatureAlgorithmMismatch",
        "TrailingData",
        "UnknownIssuer",
        "UnknownRevocationStatus",
        "UnsupportedCertVersion",
        "UnsupportedCriticalExtension",
        "UnsupportedCrlIssuingDistributionPoint",
        "UnsupportedCrlVersion",
        "UnsupportedDeltaCrl",
        "UnsupportedIndirectCrl",
        "UnsupportedNameType",
        "UnsupportedRevocationReason",
        "UnsupportedRevocationReasonsPartitioning",
        "UnsupportedCrlSignatureAlgorithm",
        "UnsupportedCrlSignatureAlgorithmContext",
        "UnsupportedSignatureAlgorithm",
        "UnsupportedSignatureAlgorithmContext",
        "UnsupportedCrlSignatureAlgorithmForPublicKey",
        "UnsupportedCrlSignatureAlgorithmForPublicKeyContext",
        "UnsupportedSignatureAlgorithmForPublicKey",
        "UnsupportedSignatureAlgorithmForPublicKeyContext",
    ];

    fn misbehaved() -> Vec<P> {
        use P::*;
        vec![
            AttemptedDowngradeToTls12WhenTls13IsSupported,
            BadCertChainExtensions,
            CipherSuiteDifferedOnRetry,
            DisallowedEncryptedExtension,
            DuplicateClientHelloExtensions,
            DuplicateEncryptedExtensions,
            DuplicateHelloRetryRequestExtensions,
            DuplicateNewSessionTicketExtensions,
            DuplicateServerHelloExtensions,
            DuplicateServerNameTypes,
            EarlyDataAttemptedInSecondClientHello,
            EarlyDataExtensionWithoutResumption,
            EarlyDataOfferedWithVariedCipherSuite,
            EchAcceptanceVariedAfterRetry,
            HandshakeHashVariedAfterRetry,
            IllegalHelloRetryRequestWithEmptyCookie,
            IllegalHelloRetryRequestWithNoChanges,
            IllegalHelloRetryRequestWithOfferedGroup,
            IllegalHelloRetryRequestWithUnofferedCipherSuite,
            IllegalHelloRetryRequestWithUnofferedNamedGroup,
            IllegalHelloRetryRequestWithUnsupportedVersion,
            IllegalHelloRetryRequestWithWrongSessionId,
            IllegalHelloRetryRequestWithInvalidEch,
            IllegalMiddleboxChangeCipherSpec,
            IllegalTlsInnerPlaintext,
            IncorrectBinder,
            InvalidCertCompression,
            InvalidMaxEarlyDataSize,
            InvalidKeyShare,
            KeyEpochWithPendingFragment,
            KeyUpdateReceivedInQuicConnection,
            MessageInterleavedWithHandshakeMessage,
            MissingBinderInPskExtension,
            MissingKeyShare,
            MissingPskExtensionInSecondClientHello,
            MissingPskModesExtension,
            MissingQuicTransportParameters,
            OfferedDuplicateCertificateCompressions,
            OfferedDuplicateKeyShares,
            OfferedEarlyDataWithOldProtocolVersion,
            OfferedEmptyApplicationProtocol,
            OfferedIncorrectCompressions,
            PskExtensionMustBeLast,
            PskExtensionWithMismatchedIdsAndBinders,
            RefusedToFollowHelloRetryRequest,
            RejectedEarlyDataInterleavedWithHandshakeMessage,
            ResumptionAttemptedWithVariedEms,
            ResumptionOfferedWithVariedCipherSuite,
            ResumptionOfferedWithVariedEms,
            ResumptionOfferedWithIncompatibleCipherSuite,
            SelectedDifferentCipherSuiteAfterRetry,
            SelectedInvalidPsk,
            SelectedTls12UsingTls13VersionExtension,
            SelectedUnofferedApplicationProtocol,
            SelectedUnofferedCertCompression,
            SelectedUnofferedCipherSuite,
            SelectedUnofferedCompression,
            SelectedUnofferedKxGroup,
            SelectedUnofferedPsk,
            SelectedUnusableCipherSuiteForVersion,
            ServerEchoedCompatibilitySessionId,
            ServerHelloMustOfferUncompressedEcPoints,
            ServerNameDifferedOnRetry,
            ServerNameMustContainOneHostName,
            SignedKxWithWrongAlgorithm,
            SignedHandshakeWithUnadvertisedSigScheme,
            TooManyEmptyFragments,
            TooManyKeyUpdateRequests,
            TooManyRenegotiationRequests,
            TooManyWarningAlertsReceived,
            TooMuchEarlyDataReceived,
            UnexpectedCleartextExtension,
            UnsolicitedCertExtension,
            UnsolicitedEncryptedExtension,
            UnsolicitedSctList,
            UnsolicitedServerHelloExtension,
            WrongGroupForKeyShare,
            UnsolicitedEchExtension,
        ]
    }

    fn incompatible() -> Vec<I> {
        use I::*;
        vec![
            EcPointsExtensionRequired,
            ExtendedMasterSecretExtensionRequired,
            IncorrectCertificateTypeExtension,
            KeyShareExtensionRequired,
            NamedGroupsExtensionRequired,
            NoCertificateRequestSignatureSchemesInCommon,
            NoCipherSuitesInCommon,
            NoEcPointFormatsInCommon,
            NoKxGroupsInCommon,
            NoSignatureSchemesInCommon,
            NullCompressionRequired,
            ServerDoesNotSupportTls12Or13,
            ServerSentHelloRetryRequestWithUnknownExtension,
            ServerTlsVersionIsDisabledByOurConfig,
            SignatureAlgorithmsExtensionRequired,
            SupportedVersionsExtensionRequired,
            Tls12NotOffered,
            Tls12NotOfferedOrEnabled,
            Tls13RequiredForQuic,
            UncompressedEcPointsRequired,
            UnsolicitedCertificateTypeExtension,
            ServerRejectedEncryptedClientHello(None),
        ]
    }

    fn invalid_messages() -> Vec<M> {
        use M::*;
        // `UnsupportedKeyExchangeAlgorithm` holds a type rustls does not export: it cannot be
        // made here, and falls under the same arm as every malformed message.
        vec![
            CertificatePayloadTooLarge,
            HandshakePayloadTooLarge,
            InvalidCcs,
            InvalidContentType,
            InvalidCertificateStatusType,
            InvalidCertRequest,
            InvalidDhParams,
            InvalidEmptyPayload,
            InvalidKeyUpdate,
            InvalidServerName,
            MessageTooLarge,
            MessageTooShort,
            MissingData("x"),
            MissingKeyExchange,
            NoSignatureSchemes,
            TrailingData("x"),
            UnexpectedMessage("x"),
            UnknownProtocolVersion,
            UnsupportedCompression,
            UnsupportedCurveType,
            EmptyTicketValue,
            IllegalEmptyList("x"),
            IllegalEmptyValue,
            DuplicateExtension(0),
            PreSharedKeyIsNotFinalExtension,
            UnknownHelloRetryRequestExtension,
            UnknownCertificateExtension,
        ]
    }

    #[allow(deprecated)]
    fn certificate_errors() -> Vec<C> {
        let t = UnixTime::since_unix_epoch(std::time::Duration::from_secs(1));
        let mut v = vec![
            C::BadEncoding,
            C::Expired,
            C::ExpiredContext {
                time: t,
                not_after: t,
            },
            C::NotValidYet,
            C::NotValidYetContext {
                time: t,
                not_before: t,
            },
            C::Revoked,
            C::UnhandledCriticalExtension,
            C::UnknownIssuer,
            C::UnknownRevocationStatus,
            C::ExpiredRevocationList,
            C::ExpiredRevocationListContext {
                time: t,
                next_update: t,
            },
            C::BadSignature,
            C::UnsupportedSignatureAlgorithm,
            C::UnsupportedSignatureAlgorithmContext {
                signature_algorithm_id: vec![1],
                supported_algorithms: vec![],
            },
            C::UnsupportedSignatureAlgorithmForPublicKeyContext {
                signature_algorithm_id: vec![1],
                public_key_algorithm_id: vec![2],
            },
            C::NotValidForName,
            C::NotValidForNameContext {
                expected: ServerName::try_from("mx.test").unwrap(),
                presented: vec!["other.test".into()],
            },
            C::InvalidPurpose,
            C::InvalidPurposeContext {
                required: ExtendedKeyPurpose::ServerAuth,
                presented: vec![ExtendedKeyPurpose::ClientAuth],
            },
            C::InvalidOcspResponse,
            C::ApplicationVerificationFailure,
        ];
        v.extend(
            WEBPKI
                .iter()
                .map(|n| C::Other(OtherError(Arc::new(Named(n))))),
        );
        v
    }

    /// Every rustls error this crate can make.
    fn every_error() -> Vec<E> {
        let mut all = vec![
            E::InappropriateMessage {
                expect_types: vec![ContentType::Handshake],
                got_type: ContentType::Alert,
            },
            E::InappropriateHandshakeMessage {
                expect_types: vec![HandshakeType::Certificate],
                got_type: HandshakeType::Finished,
            },
            E::NoCertificatesPresented,
            E::UnsupportedNameType,
            E::DecryptError,
            E::EncryptError,
            E::InvalidCertRevocationList(CertRevocationListError::BadSignature),
            E::General("general".into()),
            E::FailedToGetCurrentTime,
            E::FailedToGetRandomBytes,
            E::HandshakeNotComplete,
            E::PeerSentOversizedRecord,
            E::NoApplicationProtocol,
            E::BadMaxFragmentSize,
            E::InconsistentKeys(InconsistentKeys::KeyMismatch),
            E::Other(OtherError(Arc::new(Named("SomethingNew")))),
        ];
        all.extend((0..=255u8).map(|a| E::AlertReceived(AlertDescription::from(a))));
        all.extend(invalid_messages().into_iter().map(E::InvalidMessage));
        all.extend(misbehaved().into_iter().map(E::PeerMisbehaved));
        all.extend(incompatible().into_iter().map(E::PeerIncompatible));
        all.extend(certificate_errors().into_iter().map(E::InvalidCertificate));
        all
    }

    /// The CamelCase words of a text (`MaximumPathDepthExceeded`), except the names of TLS
    /// messages and products the texts quote on purpose.
    fn camel_words(text: &str) -> Vec<String> {
        const ALLOWED: &[&str] = &["OpenSSL", "CertificateRequest", "ChaCha20", "KiB"];
        text.split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| {
                let b = w.as_bytes();
                b.first().is_some_and(u8::is_ascii_uppercase)
                    && b.windows(2)
                        .any(|p| p[0].is_ascii_lowercase() && p[1].is_ascii_uppercase())
            })
            .filter(|w| !ALLOWED.contains(w))
            .map(str::to_string)
            .collect()
    }

    /// Issue 14, item 5: every error a user can meet is said in words, never as a variant.
    #[test]
    fn no_variant_name_reaches_the_words() {
        for e in every_error() {
            let io = std::io::Error::new(std::io::ErrorKind::InvalidData, e.clone());
            let (_, session) = session_error(&io).unwrap();
            let texts = [
                describe_tls_error(&e),
                describe_cert_error(&e),
                classify(&io, None, false, &Heard::default()).reason,
                classify(&io, Some(&["CN=Corp CA".into()]), false, &Heard::default()).reason,
                session,
                // The evidence line "TLS library: …" (issue 14, T-D2).
                library_words(&classify(&io, None, false, &Heard::default()).detail),
                library_words(&e.to_string()),
            ];
            for t in texts {
                assert!(camel_words(&t).is_empty(), "{e:?} → {t}");
                assert!(!t.trim().is_empty(), "{e:?} has no words");
            }
        }
    }

    /// Only bytes that cannot be a TLS record are "not TLS": a TLS peer that misbehaves, or a
    /// certificate message too large, is not blamed on a proxy.
    #[test]
    fn only_garbage_is_not_tls() {
        for e in every_error() {
            let io = std::io::Error::new(std::io::ErrorKind::InvalidData, e.clone());
            let kind = classify(&io, None, false, &Heard::default()).kind;
            let garbage = matches!(
                e,
                E::InvalidMessage(M::InvalidContentType | M::UnknownProtocolVersion)
            );
            assert_eq!(
                kind == HandshakeFailure::NotTls,
                garbage,
                "{e:?} → {kind:?}"
            );
        }
        let too_large = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            E::InvalidMessage(M::HandshakePayloadTooLarge),
        );
        assert_eq!(
            classify(&too_large, None, false, &Heard::default()).kind,
            HandshakeFailure::MessageTooLarge
        );
    }

    /// Every webpki error has its trust category: chain length, encoding, usage are not "other".
    #[test]
    fn webpki_errors_are_categorised() {
        let kind = |n: &'static str| webpki_failure(n).0;
        assert_eq!(kind("MaximumPathDepthExceeded"), TrustFailure::ChainTooLong);
        assert_eq!(
            kind("MaximumSignatureChecksExceeded"),
            TrustFailure::ChainTooLong
        );
        assert_eq!(kind("CaUsedAsEndEntity"), TrustFailure::WrongUsage);
        assert_eq!(kind("BadDerTime"), TrustFailure::Malformed);
        assert_eq!(
            kind("NameConstraintViolation"),
            TrustFailure::NameConstraints
        );
        assert_eq!(
            kind("UnsupportedCriticalExtension"),
            TrustFailure::CriticalExtension
        );
        assert_eq!(
            webpki_failure("CrlExpired").1,
            "the certificate was refused (crl expired)"
        );
    }

    #[test]
    fn words_and_alert_names() {
        assert_eq!(
            words("SelectedUnofferedCipherSuite"),
            "selected unoffered cipher suite"
        );
        assert_eq!(words("UnknownPSKIdentity"), "unknown PSK identity");
        assert_eq!(words("Tls12NotOffered"), "tls12 not offered");
        assert_eq!(alert_name(AlertDescription::UnknownCA), "unknown_ca (48)");
        assert_eq!(
            alert_name(AlertDescription::CertificateRequired),
            "certificate_required (116)"
        );
        assert_eq!(
            alert_name(AlertDescription::from(200)),
            "unknown alert (200)"
        );
    }
}
