//! Which server a certificate belongs to, when its object does not say. `Get-ExchangeCertificate`
//! returns the local server's store unless `-Server` is given, and `fl` does not print the
//! server (Microsoft Learn, "Get-ExchangeCertificate"). So: `--server` when given; else the
//! one server the paste names anywhere (receive connectors, certificates, transport services),
//! marked as assumed; else unknown.
//!
//! Names are compared by their first label, case-insensitively: receive connectors say
//! `EX01`, a certificate's `Identity` says `EX01.contoso.com`.

use super::super::ParseOptions;
use crate::exchange::model::{Config, ServerName};

/// Fills in `server` for certificates that name none.
pub(super) fn resolve(config: &mut Config, opts: &ParseOptions) {
    let given = opts
        .server
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(given) = given {
        for c in config
            .certificates
            .iter_mut()
            .filter(|c| c.server.is_none())
        {
            c.server = Some(ServerName::Given(given.to_string()));
        }
    }
    let mut named: Vec<&str> = Vec::new();
    named.extend(
        config
            .receive_connectors
            .iter()
            .filter_map(|rc| rc.server.as_ref().map(ServerName::name)),
    );
    named.extend(config.certificates.iter().filter_map(|c| match &c.server {
        Some(ServerName::Named(s)) => Some(s.as_str()),
        _ => None,
    }));
    named.extend(
        config
            .transport_services
            .iter()
            .filter_map(|t| t.name.as_deref()),
    );
    named.extend(given);
    let mut keys: Vec<String> = named.iter().map(|n| key(n)).collect();
    keys.sort();
    keys.dedup();
    if keys.len() != 1 {
        return;
    }
    // The short spelling when the paste has one: it is how connectors name the server.
    let Some(name) = named
        .iter()
        .find(|n| !n.contains('.'))
        .or(named.first())
        .map(|n| n.to_string())
    else {
        return;
    };
    for c in config
        .certificates
        .iter_mut()
        .filter(|c| c.server.is_none())
    {
        c.server = Some(ServerName::Assumed(name.clone()));
    }
}

/// `ex01.contoso.com` → `EX01`.
fn key(name: &str) -> String {
    name.trim()
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase()
}
