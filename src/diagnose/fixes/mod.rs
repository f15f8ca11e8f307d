//! The fix builders: one module per server family, called by the rules with the values they
//! saw (a port, a host, a thumbprint, a name on the certificate, the address the server saw
//! us as). A rule says what is wrong; a builder says what to change, in the language of the
//! server that must change it.
//!
//! - [`exchange`] — Exchange Server on premises and Exchange Online (Protection);
//! - [`postfix`] — Postfix;
//! - [`exim`] — Exim, in Debian's packaging and in a plain configuration;
//! - [`gateway`] — security gateways and cloud mail services (Cisco Secure Email, Barracuda,
//!   FortiMail, Google, Mimecast, Proofpoint, Sophos): the admin console setting to change;
//! - [`mta`] — Sendmail, OpenSMTPD, Haraka, hMailServer, MDaemon and Zimbra, in their own
//!   configuration words (prose, written by [`products`]);
//! - [`cisco`] — Cisco ASA `inspect esmtp` and other SMTP-inspecting middleboxes;
//! - [`generic`] — any server, DNS records, and this machine;
//! - [`dns`] — what DNS answered badly: invalid MX names, CNAME chains, broken DNS servers;
//! - [`renewal`] — a renewal check: the expected certificate or CA, changes since a baseline;
//! - [`listen`] — what a sender showed the listener, for the sending side (send connector,
//!   `smtp_tls_*`, Exim's `remote_smtp`).
//!
//! Every shell fragment (a command line, a line of configuration, a zone record) exists once,
//! as a function or constant of its family's module, so two fixes that run the same command
//! print it the same way. The functions here pick the family's builder for a server kind.
//!
//! A builder's [`FixKey`](super::fix::FixKey) names it (`family::builder`) and holds the values
//! that vary its text, so two fixes with equal keys have equal text: the merge of shared
//! findings relies on it.
//!
//! Commands are pasted as written, so only values that are safe to paste reach one: numbers,
//! thumbprints computed here, names that passed `rules::certificate::safe_name`, and values the
//! admin supplies. How the admin supplies one depends on the shell (the sweep in
//! `rules/sweep.rs` checks both):
//!
//! - **POSIX shells** (Postfix host, any shell): a shell variable that a prose step tells the
//!   admin to set (`key=`, `chain=`, `url=`) or that an earlier command sets from what the
//!   system says (`service_2525=$(postconf -M | ...)`), expanded as `"${key:?}"`, so a line
//!   pasted before the variable is set refuses to run instead of acting on an empty value. No
//!   `<placeholder>`, quoted or not (unquoted, `<` is a redirection; quoted, it would reach the
//!   configuration as text), and no file path the admin did not give.
//! - **PowerShell**: an unquoted `<placeholder>` is a parse error ("The '<' operator is
//!   reserved"), so a line that still holds one never runs; the value it feeds is computed on
//!   the same line, and a later line that would act on a missing value is guarded (`if ($c)`).
//!
//! A command that changes configuration comes after the read-only commands that show the
//! current state and check the new files. Text the server sent (a greeting, a certificate
//! subject) appears only in prose.

pub mod blocklist;
pub mod cisco;
pub mod client_cert;
pub mod dane;
pub mod dns;
pub mod exchange;
pub mod exim;
pub mod gateway;
pub mod generic;
pub mod honest;
pub mod legacy;
pub mod listen;
pub mod mta;
pub mod mta_sts;
pub mod postfix;
pub mod products;
pub mod renewal;
pub mod revocation;
pub mod trust;
pub mod wire;

use super::ServerKind;
use super::fix::Fix;
use crate::cert::CertInfo;
use crate::tls::HandshakeFailure;

/// What differs between the nodes behind one name, which decides the wording of the fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Differs {
    /// Some nodes offer STARTTLS and some do not.
    Starttls,
    /// The nodes present different certificates, some of them broken.
    Certificate,
    /// The nodes negotiate different TLS versions.
    Version,
}

impl Differs {
    /// The aspect, as a key value.
    pub fn name(self) -> &'static str {
        match self {
            Differs::Starttls => "starttls",
            Differs::Certificate => "certificate",
            Differs::Version => "version",
        }
    }
}

/// The name to greet with (a trusted name on the certificate, or a placeholder) and, when
/// there is none yet, the sentence that comes first.
fn greeting_name(on_cert: Option<&str>) -> (String, &'static str) {
    match on_cert {
        Some(name) => (name.to_string(), ""),
        None => (
            "<a name on a publicly trusted certificate>".to_string(),
            "First install a trusted certificate (see the other findings). ",
        ),
    }
}

/// Top-level labels that no public CA issues certificates for: private use (`local`, `lan`,
/// `internal`, `corp`, `home`) and the names RFC 2606 and RFC 6761 reserve.
const NON_PUBLIC_SUFFIXES: [&str; 13] = [
    "local",
    "localdomain",
    "localhost",
    "internal",
    "intranet",
    "lan",
    "corp",
    "home",
    "private",
    "test",
    "example",
    "invalid",
    "arpa",
];

/// Whether a public CA could put `name` on a certificate: fully qualified, under a public
/// top-level domain. `srvex01.domain.local` is not.
pub fn is_public_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    match name.rsplit_once('.') {
        Some((_, tld)) => !NON_PUBLIC_SUFFIXES.contains(&tld),
        None => false,
    }
}

/// What the rules know when the EHLO greeting name is not on the certificate.
#[derive(Debug, Clone, Copy)]
pub struct Greeting<'a> {
    /// The port probed.
    pub port: u16,
    /// The name the server greets with (server text: prose only).
    pub name: &'a str,
    /// A trusted name on the certificate to greet with instead, safe to paste: the name the
    /// user expects, else the host probed, else the first safe one.
    pub on_cert: Option<&'a str>,
    /// Senders check another name, which the certificate covers: aligning the greeting is
    /// optional.
    pub optional: bool,
}

impl Greeting<'_> {
    /// The sentence that says why this is optional, when it is.
    fn note(&self) -> &'static str {
        if self.optional {
            "Nothing fails because of it: senders check the certificate against the mail host's name, which it covers. To align the greeting anyway: "
        } else {
            ""
        }
    }

    /// The closing offer to put the greeting name on the certificate, only for a name a public
    /// CA issues.
    fn add_to_certificate(&self) -> String {
        if is_public_name(self.name) {
            format!(" Or add {} to the certificate's names.", self.name)
        } else {
            String::new()
        }
    }

    /// The values that vary the text, for a fix key.
    fn key_values(&self, name: &str) -> [String; 4] {
        [
            self.port.to_string(),
            self.name.to_string(),
            name.to_string(),
            self.optional.to_string(),
        ]
    }
}

/// Who writes the fixes for a server kind.
#[derive(Debug, Clone, Copy)]
enum Writer {
    /// Exchange Server on premises.
    Exchange,
    /// Exchange Online Protection.
    ExchangeOnline,
    Postfix,
    Exim,
    /// A gateway, cloud service or other MTA, described in [`products`].
    Product(&'static products::Product),
    /// Nobody knows the software: words for any server.
    Generic,
}

fn writer(kind: ServerKind) -> Writer {
    match kind {
        ServerKind::Exchange => Writer::Exchange,
        ServerKind::ExchangeOnline => Writer::ExchangeOnline,
        ServerKind::Postfix => Writer::Postfix,
        ServerKind::Exim => Writer::Exim,
        k => products::of(k).map_or(Writer::Generic, Writer::Product),
    }
}

/// How to install a (new) certificate on this server kind, after `what` (from
/// `generic::renew_expired` and its siblings) says which one to get. `seen` is the certificate
/// the new one replaces under the same issuer and subject, if any.
pub fn install_certificate(
    kind: ServerKind,
    port: u16,
    what: &str,
    seen: Option<&CertInfo>,
) -> Fix {
    match writer(kind) {
        Writer::Exchange => {
            exchange::install_certificate(port, what, seen.map(|c| c.exchange_tls_name.as_str()))
        }
        Writer::Postfix => postfix::install_certificate(port, what),
        Writer::Exim => exim::install_certificate(what),
        Writer::ExchangeOnline => exchange::microsofts_certificate(what),
        Writer::Product(p) => products::install_certificate(p, port, what),
        Writer::Generic => generic::install_certificate(port, what),
    }
}

/// STARTTLS is advertised but refused with a 4xx/5xx that is not "unknown command".
pub fn starttls_unavailable(kind: ServerKind, port: u16) -> Fix {
    match writer(kind) {
        Writer::Postfix => postfix::tls_unavailable(port),
        Writer::Exchange => exchange::starttls_unavailable(port),
        Writer::Exim => exim::tls_unavailable(),
        Writer::Product(p) => products::starttls_unavailable(p),
        Writer::ExchangeOnline | Writer::Generic => generic::starttls_unavailable(),
    }
}

/// STARTTLS is not offered on `port` (no middlebox signature seen). `fqdn` is the name the
/// server greets with; `seen_as` the address it says it saw us as.
pub fn starttls_not_offered(
    kind: ServerKind,
    port: u16,
    fqdn: &str,
    seen_as: Option<std::net::IpAddr>,
) -> Fix {
    match writer(kind) {
        Writer::Exchange => exchange::starttls_not_offered(port, fqdn),
        Writer::ExchangeOnline => exchange::blocklisted(seen_as),
        Writer::Postfix => postfix::enable_starttls(port),
        Writer::Exim => exim::enable_starttls(port),
        Writer::Product(p) => products::enable_starttls(p, port),
        Writer::Generic => generic::enable_starttls(port),
    }
}

/// The TLS handshake on `port` failed as `failure` says.
pub fn handshake(kind: ServerKind, port: u16, failure: HandshakeFailure) -> Fix {
    let w = writer(kind);
    match failure {
        HandshakeFailure::ProtocolVersion | HandshakeFailure::NoSharedCipher => {
            versions_or_ciphers(w, port, failure)
        }
        HandshakeFailure::WeakOrBadKey => generic::weak_server_key(),
        HandshakeFailure::NotTls | HandshakeFailure::Closed => generic::handshake_broken_off(),
        HandshakeFailure::Timeout => generic::handshake_stalled(),
        HandshakeFailure::Alert | HandshakeFailure::Other => generic::handshake_failed(),
        HandshakeFailure::MessageTooLarge => trust::oversized_handshake(),
        HandshakeFailure::ProtocolViolation => trust::protocol_violation(),
        HandshakeFailure::ClientCertRequired => trust::client_cert_required(),
    }
}

/// No TLS version (`ProtocolVersion`) or no cipher suite in common, in the words of `w`.
fn versions_or_ciphers(w: Writer, port: u16, failure: HandshakeFailure) -> Fix {
    let version = failure == HandshakeFailure::ProtocolVersion;
    match w {
        Writer::Exchange if version => exchange::enable_tls12(),
        Writer::Exchange => exchange::enable_modern_ciphers(),
        Writer::Postfix if version => postfix::allow_tls12(port),
        Writer::Postfix => postfix::no_shared_cipher(port),
        Writer::Exim if version => exim::allow_tls12(),
        Writer::Exim => exim::no_shared_cipher(),
        Writer::Product(p) if version => {
            products::tls_versions(p, "The server speaks only TLS versions older than 1.2.")
        }
        Writer::Product(p) => products::tls_versions(
            p,
            "The server has no cipher suite in common with a current client (ECDHE with AES-GCM or ChaCha20-Poly1305, or TLS 1.3).",
        ),
        Writer::ExchangeOnline | Writer::Generic if version => generic::legacy_tls_only(),
        Writer::ExchangeOnline | Writer::Generic => generic::no_shared_cipher(),
    }
}

/// The chain sent on `port` lacks the intermediate `missing` (its issuer, as named).
pub fn incomplete_chain(kind: ServerKind, port: u16, missing: &str) -> Fix {
    match writer(kind) {
        Writer::Exchange => exchange::incomplete_chain(missing),
        Writer::Postfix => postfix::incomplete_chain(port, missing),
        Writer::Exim => exim::incomplete_chain(missing),
        Writer::Product(p) => products::incomplete_chain(p, missing),
        Writer::ExchangeOnline | Writer::Generic => generic::incomplete_chain(missing),
    }
}

/// A port of fixed mode speaks the other one (`speaks`): the server's own setting for TLS
/// from the first byte, where its family has one this module writes (Exim's
/// `tls_on_connect_ports`). Follows the family-neutral fix of `honest::mode_mismatch`.
pub fn listener_mode(kind: ServerKind, port: u16, speaks: crate::model::TlsMode) -> Option<Fix> {
    match (kind, speaks) {
        (ServerKind::Exim, crate::model::TlsMode::Implicit) => Some(exim::implicit_tls_off(port)),
        (ServerKind::Exim, crate::model::TlsMode::Starttls) => Some(exim::implicit_tls_on(port)),
        _ => None,
    }
}

/// The chain sent stops at a certificate whose issuer (`issuer`) is neither sent nor trusted:
/// a missing intermediate or a private root. The fix first tells the two apart (`aia`: the
/// command from [`generic::show_issuer_and_aia`]), then says what to do in each case, so it
/// never leads with a remedy that fits only one. `ca_file`: the user gave `--ca-file`.
pub fn unsent_issuer(kind: ServerKind, port: u16, issuer: &str, aia: &str, ca_file: bool) -> Fix {
    generic::tell_intermediate_from_root(issuer, aia)
        .followed_by(generic::if_intermediate())
        .followed_by(incomplete_chain(kind, port, issuer))
        .followed_by(generic::if_private_root(ca_file))
}

/// The server greets with a name the certificate does not cover.
pub fn greeting_not_on_certificate(kind: ServerKind, greeting: &Greeting<'_>) -> Fix {
    match writer(kind) {
        Writer::Exchange => exchange::greeting_not_on_certificate(greeting),
        Writer::Postfix => postfix::greeting_not_on_certificate(greeting),
        Writer::Exim => exim::greeting_not_on_certificate(greeting),
        Writer::Product(p) => products::greeting_not_on_certificate(p, greeting),
        Writer::ExchangeOnline | Writer::Generic => generic::greeting_not_on_certificate(greeting),
    }
}

/// The certificate does not cover `expected` (--expect-name); `on_cert` is a name it has
/// (safe to paste) or a placeholder. On Exchange the name usually comes from an Exchange
/// Online connector, which can be pointed at the certificate instead; for other servers that
/// is said in a sentence, without Exchange Online commands.
pub fn expected_name_elsewhere(kind: ServerKind, expected: &str, on_cert: &str) -> Fix {
    match kind {
        ServerKind::Exchange | ServerKind::ExchangeOnline => {
            exchange::point_connectors_at(expected, on_cert)
        }
        _ => generic::expected_name_elsewhere(expected),
    }
}

/// The nodes behind `host` disagree (`differs`); the odd ones are `odd_ips`, and `good` the
/// certificate of the reference nodes (its thumbprint is copied to the odd ones).
pub fn align_nodes(
    kind: ServerKind,
    host: &str,
    odd_ips: &str,
    differs: Differs,
    good: Option<&CertInfo>,
) -> Fix {
    match (kind, differs) {
        (ServerKind::Exchange, Differs::Certificate) => {
            let thumbprint = good.map_or("<thumbprint>", |c| c.thumbprint.as_str());
            exchange::copy_certificate_to_node(host, odd_ips, thumbprint)
        }
        (ServerKind::Exchange, _) => exchange::compare_nodes(host, odd_ips, differs),
        (ServerKind::Postfix, _) => postfix::compare_nodes(host, odd_ips, differs),
        (ServerKind::Exim, _) => exim::compare_nodes(host, odd_ips, differs),
        _ => generic::compare_nodes(host, odd_ips, differs),
    }
}

/// `host` advertises STARTTLS on the `open` ports but not on the `closed` ones. TLS worked
/// with a trusted certificate for the host on the `working` ports; `cert` is the certificate
/// seen there, if any.
pub fn port_without_starttls(
    kind: ServerKind,
    host: &str,
    closed: &[u16],
    open: &[u16],
    working: &[u16],
    cert: Option<&CertInfo>,
) -> Fix {
    let subject = cert.map(|c| c.subject.as_str());
    let ports = PortMismatch {
        host,
        closed,
        open,
        working,
        subject,
    };
    match kind {
        ServerKind::Exchange => {
            // A name the working certificate covers, for a connector Fqdn: the host itself
            // (it was checked), else a name on the certificate that is safe to paste.
            let name = cert.and_then(|c| {
                super::rules::certificate::safe_name(host)
                    .filter(|h| !h.starts_with('*'))
                    .or_else(|| {
                        c.dns_names.iter().find_map(|n| {
                            super::rules::certificate::safe_name(n).filter(|n| !n.starts_with('*'))
                        })
                    })
            });
            let thumbprint = cert.map(|c| c.thumbprint.as_str());
            exchange::port_without_starttls(&ports, name.as_deref(), thumbprint)
        }
        ServerKind::Postfix => postfix::port_without_starttls(&ports),
        ServerKind::Exim => exim::port_without_starttls(&ports),
        _ => generic::port_without_starttls(host, closed, open, working, subject),
    }
}

/// What the port-mismatch fixes are written from.
#[derive(Debug, Clone, Copy)]
pub struct PortMismatch<'a> {
    /// The host (or address) probed.
    pub host: &'a str,
    /// The ports without STARTTLS.
    pub closed: &'a [u16],
    /// The ports that advertise it.
    pub open: &'a [u16],
    /// The ports where TLS completed with a trusted certificate for the host.
    pub working: &'a [u16],
    /// That certificate's subject (server text: prose only).
    pub subject: Option<&'a str>,
}

impl PortMismatch<'_> {
    /// The first sentence.
    fn intro(&self) -> String {
        generic::port_mismatch_intro(
            self.host,
            self.closed,
            self.open,
            self.working,
            self.subject,
        )
    }

    /// The values that vary the text, for a fix key.
    fn key_values(&self) -> [String; 5] {
        [
            self.host.to_string(),
            generic::list(self.closed),
            generic::list(self.open),
            generic::list(self.working),
            self.subject.unwrap_or_default().to_string(),
        ]
    }
}
