//! Fixes written in prose from a description of a product: where it keeps the certificate,
//! the switch that offers STARTTLS, the TLS versions and ciphers, the name it greets with, and
//! its log. The descriptions are tables in [`super::gateway`] (security gateways and cloud mail
//! services, changed in their admin console) and [`super::mta`] (mail servers this tool writes
//! no commands for); the functions here turn one into the fix a rule asks for.
//!
//! A description holds only what its source says (cited in the table); where a source names no
//! menu, the sentence names the console and the setting in words.

use super::Greeting;
use crate::diagnose::ServerKind;
use crate::diagnose::fix::{Family, Fix};

/// Where one product keeps each TLS setting, as sentences for the admin.
#[derive(Debug)]
pub struct Product {
    /// The server kind it describes.
    pub kind: ServerKind,
    /// Its name in prose.
    pub name: &'static str,
    /// [`Family::Gateway`] or [`Family::Mta`].
    pub family: Family,
    /// The vendor runs every host of this kind (a cloud service): its names and certificate
    /// are the vendor's, not the organisation's.
    pub cloud: bool,
    /// Where a certificate (with its intermediates) is installed and chosen for SMTP.
    pub certificate: &'static str,
    /// The setting that makes it offer STARTTLS.
    pub starttls: &'static str,
    /// Where the TLS versions and cipher suites are set.
    pub versions: &'static str,
    /// The setting that decides the name it greets with.
    pub hostname: &'static str,
    /// How it takes a change (restart, commit), and where it logs TLS errors.
    pub apply: &'static str,
}

impl Product {
    /// A fix of this product from `template` (chosen by family) filled with `values`.
    fn fix(&self, gateway: &'static str, mta: &'static str, values: &[&str]) -> Fix {
        let template = if self.family == Family::Gateway {
            gateway
        } else {
            mta
        };
        let mut all = vec![self.name];
        all.extend_from_slice(values);
        Fix::new(self.family, template, &all)
    }
}

/// The product described for `kind`, if any.
pub fn of(kind: ServerKind) -> Option<&'static Product> {
    super::gateway::GATEWAYS
        .iter()
        .chain(super::mta::MTAS)
        .find(|p| p.kind == kind)
}

/// Install the certificate `what` asks for.
pub fn install_certificate(p: &Product, port: u16, what: &str) -> Fix {
    p.fix(
        "gateway::install_certificate",
        "mta::install_certificate",
        &[what, &port.to_string()],
    )
    .say(what)
    .say(format!("On {} (port {port}): {}", p.name, p.certificate))
    .say(p.apply)
}

/// STARTTLS advertised, then refused: the certificate could not be loaded.
pub fn starttls_unavailable(p: &Product) -> Fix {
    p.fix(
        "gateway::starttls_unavailable",
        "mta::starttls_unavailable",
        &[],
    )
    .say(format!(
        "{} advertises STARTTLS but cannot start TLS: the certificate or key it is configured with is missing, unreadable or not a pair. On {}: {}",
        p.name, p.name, p.certificate
    ))
    .say(p.apply)
}

/// No STARTTLS on `port`.
pub fn enable_starttls(p: &Product, port: u16) -> Fix {
    p.fix(
        "gateway::enable_starttls",
        "mta::enable_starttls",
        &[&port.to_string()],
    )
    .say(format!("On {} (port {port}): {}", p.name, p.starttls))
    .say(p.apply)
    .say(
        "If it is configured for TLS and STARTTLS is still missing, a firewall with SMTP inspection between here and the server removes it: probe from another network to compare.",
    )
}

/// Only TLS 1.0/1.1, or no cipher suite in common.
pub fn tls_versions(p: &Product, what: &str) -> Fix {
    p.fix("gateway::tls_versions", "mta::tls_versions", &[what])
        .say(format!("{what} On {}: {}", p.name, p.versions))
        .say(p.apply)
}

/// The chain sent lacks the intermediate `missing`.
pub fn incomplete_chain(p: &Product, missing: &str) -> Fix {
    p.fix(
        "gateway::incomplete_chain",
        "mta::incomplete_chain",
        &[missing],
    )
    .say(format!(
        "The server must send its certificate followed by the intermediate certificate(s) from the CA ({missing}), up to but not including the root. On {}: {}",
        p.name, p.certificate
    ))
    .say(p.apply)
}

/// The greeting name is not on the certificate. A cloud service greets with its own host
/// names, which the organisation does not choose.
pub fn greeting_not_on_certificate(p: &Product, g: &Greeting<'_>) -> Fix {
    let (name, first) = super::greeting_name(g.on_cert);
    let optional = g.optional.to_string();
    let fix = |values: &[&str]| {
        p.fix(
            "gateway::greeting_not_on_certificate",
            "mta::greeting_not_on_certificate",
            values,
        )
    };
    if p.cloud {
        // The name on the certificate is not part of the text: the vendor's name stays.
        return fix(&[g.name, first, &optional]).say(format!(
            "{first}{}{} greets with its own host name ({}): {}",
            g.note(),
            p.name,
            g.name,
            p.hostname
        ));
    }
    fix(&[g.name, &name, &optional]).say(format!(
        "{first}{}{} greets with {}, which the certificate does not cover; make it greet with a name on the certificate ({name}). {}{}",
        g.note(),
        p.name,
        g.name,
        p.hostname,
        g.add_to_certificate()
    ))
}
