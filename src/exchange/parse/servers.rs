//! Which server a certificate belongs to, when its object does not say, and whether what was
//! pasted of a server's certificates is its whole list.
//!
//! `Get-ExchangeCertificate` returns the local server's store unless `-Server` is given, and
//! `fl` does not print the server (Microsoft Learn, "Get-ExchangeCertificate"). So: `--server`
//! when given; else the one server the paste names anywhere (receive connectors,
//! certificates, transport services, the hybrid configuration's transport servers, send
//! connectors' source servers), marked as assumed; else unknown. A list the paste cut
//! (`{EX01, EX02...}`) names more servers than it shows, so then none is assumed.
//!
//! Names are compared by their first label, case-insensitively: receive connectors say
//! `EX01`, a certificate's `Identity` says `EX01.contoso.com`.
//!
//! A server's whole list always holds more than one certificate: Exchange 2013 and later
//! create the Auth certificate (`CN=Microsoft Exchange Server Auth Certificate`) and a
//! self-signed `CN=<server>` at setup (research note §1.2). So one certificate for a server,
//! pasted without the `Get-ExchangeCertificate` line that listed it, is an excerpt (someone
//! picked it out), and nothing may be concluded from what it lacks. A longer list without
//! those two is not taken as cut: they can be removed, so their absence proves too little.

use std::collections::HashMap;

use super::super::ParseOptions;
use crate::exchange::model::{Config, List, Loc, ParseNote, ServerName};

/// Fills in `server` for certificates that name none.
pub(super) fn resolve(config: &mut Config, opts: &ParseOptions) {
    let given = opts
        .server
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(given) = given {
        set_unnamed(config, &ServerName::Given(given.to_string()));
    }
    // Certificates just given `--server` are `Given`, not `Named`, so they do not count
    // below; `given` itself is added to the names instead.
    let Some(mut named) = named_servers(config) else {
        return;
    };
    named.extend(given);
    let Some(name) = sole_server(&named) else {
        return;
    };
    set_unnamed(config, &ServerName::Assumed(name));
}

/// Sets `server` to `server` on every certificate that names none.
fn set_unnamed(config: &mut Config, server: &ServerName) {
    for c in config
        .certificates
        .iter_mut()
        .filter(|c| c.server.is_none())
    {
        c.server = Some(server.clone());
    }
}

/// Every server the paste names, as spelled there (repeats kept); `None` when a list of
/// servers was cut, as then the paste does not show them all.
fn named_servers(config: &Config) -> Option<Vec<&str>> {
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
    let lists: Vec<&List> = config
        .hybrid
        .iter()
        .flat_map(|h| {
            [
                &h.receiving_transport_servers,
                &h.sending_transport_servers,
                &h.edge_transport_servers,
            ]
        })
        .chain(
            config
                .send_connectors
                .iter()
                .map(|s| &s.source_transport_servers),
        )
        .flatten()
        .collect();
    if lists.iter().any(|l| l.truncated) {
        // A cut list names a server it does not show.
        return None;
    }
    named.extend(
        lists
            .iter()
            .flat_map(|l| l.items.iter().map(String::as_str))
            .filter(|n| !n.trim().is_empty()),
    );
    Some(named)
}

/// The one server `named` names (compared by [`key`]), spelled as the paste spells it;
/// `None` when it names none or several.
fn sole_server(named: &[&str]) -> Option<String> {
    let mut keys: Vec<String> = named.iter().map(|n| key(n)).collect();
    keys.sort();
    keys.dedup();
    if keys.len() != 1 {
        return None;
    }
    // The short spelling when the paste has one: it is how connectors name the server.
    named
        .iter()
        .find(|n| !n.contains('.'))
        .or(named.first())
        .map(|n| n.to_string())
}

/// `ex01.contoso.com` → `EX01`.
fn key(name: &str) -> String {
    name.trim()
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase()
}

/// Marks a server's only certificate as an excerpt (`from_filtered_list`, with a note) when
/// `unlisted` says no `Get-ExchangeCertificate` line listed it (one flag per certificate, in
/// order). Certificates naming no server count as one unknown server's.
pub(super) fn excerpts(config: &mut Config, unlisted: &[bool]) {
    let mut per_server: HashMap<Option<String>, Vec<usize>> = HashMap::new();
    for (i, c) in config.certificates.iter().enumerate() {
        let server = c.server.as_ref().map(|s| key(s.name()));
        per_server.entry(server).or_default().push(i);
    }
    let mut lone: Vec<usize> = per_server
        .into_values()
        .filter_map(|v| match v[..] {
            [one] => Some(one),
            _ => None,
        })
        .filter(|i| unlisted.get(*i).copied().unwrap_or(false))
        .filter(|i| !config.certificates[*i].from_filtered_list)
        .collect();
    lone.sort_unstable();
    for (n, i) in lone.iter().enumerate() {
        let c = &mut config.certificates[*i];
        c.from_filtered_list = true;
        if n >= MAX_EXCERPT_NOTES {
            continue;
        }
        let loc = c.origin.loc;
        add_note(
            &mut config.notes,
            ParseNote {
                loc,
                message: "one certificate pasted: taken as an excerpt, not the server's whole \
                          list (every Exchange server has more than one, and no \
                          `Get-ExchangeCertificate` line shows how this one was picked)"
                    .to_string(),
            },
        );
    }
    if let Some(more) = lone.len().checked_sub(MAX_EXCERPT_NOTES).filter(|m| *m > 0)
        && let Some(last) = lone.get(MAX_EXCERPT_NOTES - 1)
    {
        let loc = config.certificates[*last].origin.loc;
        add_note(
            &mut config.notes,
            ParseNote {
                loc,
                message: format!(
                    "{more} more certificates, each the only one pasted for its server, are \
                     taken as excerpts too"
                ),
            },
        );
    }
}

/// The most "one certificate pasted" notes: past that, the paste says the same thing again.
const MAX_EXCERPT_NOTES: usize = 10;

/// Adds `note` among its input's notes in line order (they are sorted; see `tidy_notes`),
/// before the next input's.
fn add_note(notes: &mut Vec<ParseNote>, note: ParseNote) {
    let Loc { input, line } = note.loc;
    let at = notes
        .iter()
        .position(|n| {
            n.loc.input > input || (n.loc.input == input && n.loc.line > line && n.loc.line != 0)
        })
        .unwrap_or(notes.len());
    notes.insert(at, note);
}
