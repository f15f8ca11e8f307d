//! Building blocks of the `exchange-config` fixes: PowerShell quoting and the way each
//! command names the object it changes. A command is built only from values that are safe
//! to paste: a value holding a control or an invisible format character is never quoted into
//! a command (the fix says what to do in words instead).

use super::model::{InboundConnector, OutboundConnector, ReceiveConnector, SendConnector};

/// `value` as a PowerShell single-quoted string (`'…'`, nothing inside expands), or `None`
/// when it holds a character that must not reach a pasted command line: a control (a newline
/// would end the command), an invisible format character (a bidi override would make the
/// command read differently from what runs), or nothing at all.
///
/// PowerShell closes a single-quoted string at any of `'` `‘` `’` `‚` `‛`; each is doubled.
pub fn ps_quote(value: &str) -> Option<String> {
    if value.is_empty() || value.chars().any(unsafe_char) {
        return None;
    }
    Some(crate::diagnose::fix::powershell_quoted(value))
}

/// A character never put into a command: controls, line and paragraph separators, and the
/// invisible format characters (zero-width, bidi embeddings and overrides, BOM, soft hyphen).
fn unsafe_char(c: char) -> bool {
    c.is_control() || crate::smtp::is_invisible(c)
}

/// How a command names a receive connector: its `Identity` when the paste shows it
/// (`'SRVEX01\Default Frontend SRVEX01'`), else `Server\Name`, else a filter on what the
/// paste does show (its `Fqdn` and its port-25 binding). `None` when nothing safe names it.
pub fn receive_connector_target(rc: &ReceiveConnector) -> Option<Target> {
    if let Some(id) = rc.identity.as_deref().and_then(ps_quote) {
        return Some(Target::Identity(id));
    }
    if let (Some(server), Some(name)) = (&rc.server, &rc.name)
        && let Some(id) = ps_quote(&format!("{}\\{}", server.name(), name))
    {
        return Some(Target::Identity(id));
    }
    let fqdn = rc.fqdn.as_ref().and_then(|f| ps_quote(&f.value))?;
    let port = rc
        .bindings
        .as_ref()
        .and_then(|b| b.items.iter().find_map(|i| super::model::binding_port(i)))?;
    let server = rc
        .server
        .as_ref()
        .and_then(|s| ps_quote(s.name()))
        .map(|s| format!(" -Server {s}"))
        .unwrap_or_default();
    Some(Target::Filter(format!(
        "Get-ReceiveConnector{server} | Where-Object {{ $_.Fqdn -eq {fqdn} -and $_.Bindings -match ':{port}$' }}"
    )))
}

/// How a command names a send, inbound or outbound connector: its `Identity`, else its
/// `Name` (these have no server prefix).
pub fn connector_target(identity: Option<&str>, name: Option<&str>) -> Option<Target> {
    identity
        .and_then(ps_quote)
        .or_else(|| name.and_then(ps_quote))
        .map(Target::Identity)
}

/// [`connector_target`] of a send connector.
pub fn send_connector_target(sc: &SendConnector) -> Option<Target> {
    connector_target(sc.identity.as_deref(), sc.name.as_deref())
}

/// [`connector_target`] of an inbound connector.
pub fn inbound_connector_target(c: &InboundConnector) -> Option<Target> {
    connector_target(c.identity.as_deref(), c.name.as_deref())
}

/// [`connector_target`] of an outbound connector.
pub fn outbound_connector_target(c: &OutboundConnector) -> Option<Target> {
    connector_target(c.identity.as_deref(), c.name.as_deref())
}

/// How a `Set-…` command names its object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A quoted identity, the cmdlet's first argument.
    Identity(String),
    /// A pipeline that yields exactly the object (`Get-ReceiveConnector | Where-Object …`),
    /// piped into the `Set-…` cmdlet.
    Filter(String),
}

impl Target {
    /// `cmdlet` applied to the object with `args` (already quoted):
    /// `Set-ReceiveConnector 'SRV\Default Frontend SRV' -TlsCertificateName '…'`, or
    /// `Get-ReceiveConnector | Where-Object {…} | Set-ReceiveConnector -TlsCertificateName '…'`.
    pub fn command(&self, cmdlet: &str, args: &str) -> String {
        match self {
            Target::Identity(id) => format!("{cmdlet} {id} {args}"),
            // One statement that refuses to run unless the filter selects exactly one
            // connector: the same Fqdn on port 25 may be every server's Default Frontend, or a
            // relay connector's default.
            Target::Filter(pipeline) => format!(
                "$rc = @({pipeline}); if ($rc.Count -ne 1) {{ throw \"the filter selects $($rc.Count) connectors, not one: use the Identity from Get-ReceiveConnector | fl Identity,Fqdn,Bindings\" }}; $rc | {cmdlet} {args}"
            ),
        }
    }

    /// The target names the object by a filter, not an identity: the fix says so.
    pub fn is_filter(&self) -> bool {
        matches!(self, Target::Filter(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::model::{List, ServerName, Text};

    #[test]
    fn quotes_double_every_single_quote_powershell_knows() {
        assert_eq!(ps_quote("O'Brien").as_deref(), Some("'O''Brien'"));
        assert_eq!(
            ps_quote("a\u{2019}b").as_deref(),
            Some("'a\u{2019}\u{2019}b'")
        );
        assert_eq!(ps_quote("$(rm)").as_deref(), Some("'$(rm)'"));
        assert_eq!(ps_quote("a\nb"), None);
        assert_eq!(ps_quote("a\u{202E}b"), None);
        assert_eq!(ps_quote(""), None);
    }

    #[test]
    fn a_receive_connector_is_named_by_identity_then_server_and_name_then_a_filter() {
        let mut rc = ReceiveConnector {
            identity: Some("SRVEX01\\Default Frontend SRVEX01".into()),
            ..Default::default()
        };
        assert_eq!(
            receive_connector_target(&rc)
                .unwrap()
                .command("Set-ReceiveConnector", "-X 1"),
            "Set-ReceiveConnector 'SRVEX01\\Default Frontend SRVEX01' -X 1"
        );
        rc.identity = None;
        rc.server = Some(ServerName::Named("EX2".into()));
        rc.name = Some("Default Frontend EX2".into());
        assert_eq!(
            receive_connector_target(&rc).unwrap(),
            Target::Identity("'EX2\\Default Frontend EX2'".into())
        );
        rc.server = None;
        assert_eq!(receive_connector_target(&rc), None);
        rc.fqdn = Some(Text::new("SRVEX01.domain.local"));
        rc.bindings = Some(List::of(&["[::]:25", "0.0.0.0:25"]));
        assert_eq!(
            receive_connector_target(&rc)
                .unwrap()
                .command("Set-ReceiveConnector", "-X 1"),
            "$rc = @(Get-ReceiveConnector | Where-Object { $_.Fqdn -eq 'SRVEX01.domain.local' -and $_.Bindings -match ':25$' }); if ($rc.Count -ne 1) { throw \"the filter selects $($rc.Count) connectors, not one: use the Identity from Get-ReceiveConnector | fl Identity,Fqdn,Bindings\" }; $rc | Set-ReceiveConnector -X 1"
        );
    }
}
