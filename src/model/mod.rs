//! The shared vocabulary of the pipeline: what an endpoint is, how it is identified, and what a
//! probe observed. DNS planning, the probe, the rules and the report all import it; it imports
//! none of them, so no two of them need each other.

mod blocklist;
mod client_auth;
mod followup;
mod observation;
pub mod revocation;

pub use blocklist::{
    BlocklistCheck, CheckReason, EgressSource, ListAnswer, ListStatus, Listing, Removal, Skipped,
};
pub use client_auth::{ClientAuth, ClientCertOutcome};
pub use followup::{LegacyTls, RequiredCheck};
pub use observation::{FailureKind, Observation, Phase, PhaseFailure};
pub use observation::{ModeCheck, Waits};

use std::net::SocketAddr;

use crate::target::Host;

/// How TLS is started on an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    /// Plaintext SMTP upgraded with STARTTLS (ports 25, 587).
    Starttls,
    /// TLS from the first byte (port 465, RFC 8314).
    Implicit,
}

/// The MX record an endpoint was found through.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Via {
    /// The mail domain.
    pub domain: String,
    /// The MX preference (0 for an implicit MX).
    pub preference: u16,
}

/// What identifies an endpoint across the run: the host as named, the address and port, and
/// the TLS mode. Findings, reports and the merge join on it, never on label text. It is
/// written as its label (`mail.contoso.com [203.0.113.5]:25`) in reports and JSON.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EndpointId {
    /// The host as the user (or DNS) named it.
    pub host: Host,
    /// Where the probe connected.
    pub address: SocketAddr,
    /// STARTTLS or implicit TLS.
    pub tls_mode: TlsMode,
}

impl EndpointId {
    /// `mail.contoso.com [203.0.113.5]:25`, or `203.0.113.5:25` for an address target.
    pub fn label(&self) -> String {
        match &self.host {
            Host::Name(n) => format!("{n} [{}]:{}", self.address.ip(), self.address.port()),
            Host::Ip(_) => self.address.to_string(),
        }
    }
}

impl std::fmt::Display for EndpointId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
}

impl serde::Serialize for EndpointId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.label())
    }
}

/// One address and port of one host.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// The host as the user named it (or as DNS named it).
    pub host: Host,
    /// Where to connect.
    pub address: SocketAddr,
    /// STARTTLS or implicit TLS.
    pub tls_mode: TlsMode,
    /// The MX record that led here, if the target was a mail domain.
    pub via: Option<Via>,
}

impl Endpoint {
    /// Its identity (the MX record that led here is not part of it: an address shared by two
    /// domains is one endpoint).
    pub fn id(&self) -> EndpointId {
        EndpointId {
            host: self.host.clone(),
            address: self.address,
            tls_mode: self.tls_mode,
        }
    }

    /// `mail.contoso.com [203.0.113.5]:25`, or `203.0.113.5:25` for an address target.
    pub fn label(&self) -> String {
        self.id().label()
    }
}
