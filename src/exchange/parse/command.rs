//! What a prompt or command line says about the output after it
//! (`[PS] C:\Windows\system32>Get-ExchangeCertificate -Server EX01 | ? {$_.Services -match 'SMTP'} | fl Thumbprint,Subject`):
//! which cmdlet ran and for which server, whether the command narrowed its output (a filtered
//! certificate list proves nothing missing), which properties it asked for, and at which
//! prompt it was typed (the Exchange Management Shell's `[PS]` says on premises).
//!
//! PowerShell reads a command as words: whitespace outside quotes, braces and parentheses
//! separates them, and a `|` outside them starts the next stage of the pipeline. Parameter
//! names may be shortened to any unambiguous start (`-Th` for `-Thumbprint`) and given their
//! value after a colon (`-Server:EX01`). Microsoft Learn, "about_Parameters", "about_Pipelines";
//! the parameters are those of "Get-ExchangeCertificate", "Where-Object", "Select-Object",
//! "Sort-Object" and "Format-List".

use super::Hint;
use crate::exchange::model::Cmdlet;

/// Which prompt a command line was typed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PromptKind {
    /// `[PS] C:\…>`: the Exchange Management Shell, which only an on-premises organisation
    /// has.
    Ems,
    /// `PS C:\…>` or `PS>`: a PowerShell prompt, which any session shows (Exchange Online
    /// PowerShell, a remote session to an on-premises server, or neither).
    PowerShell,
    /// `C:\…>`, or a bare `Get-…` line: nothing about the session.
    Other,
}

/// A prompt or command line.
pub(super) struct Prompt<'l> {
    /// The prompt it was typed at.
    pub(super) kind: PromptKind,
    /// The command, without the prompt.
    pub(super) command: &'l str,
    /// What the command says about its output (its `line` and `side` are for the caller).
    pub(super) hint: Hint,
}

/// A prompt (`[PS] C:\Windows\system32>Get-ReceiveConnector | fl`, `PS C:\> …`, `C:\> …`) or
/// a bare `Get-…` command line: what it ran.
pub(super) fn prompt(trimmed: &str) -> Option<Prompt<'_>> {
    let (kind, command) = if let Some(r) = trimmed.strip_prefix("[PS]") {
        (PromptKind::Ems, after_gt(r)?)
    } else if let Some(r) = trimmed.strip_prefix("PS ") {
        (PromptKind::PowerShell, after_gt(r)?)
    } else if let Some(r) = trimmed.strip_prefix("PS>") {
        (PromptKind::PowerShell, r.trim_start())
    } else if is_drive_prompt(trimmed) {
        (PromptKind::Other, after_gt(trimmed)?)
    } else if starts_with_ci(trimmed, "get-") && !trimmed.contains(" : ") {
        let hint = command_hint(trimmed);
        // A bare line counts only when it names a cmdlet we read.
        return hint.cmdlet.is_some().then_some(Prompt {
            kind: PromptKind::Other,
            command: trimmed,
            hint,
        });
    } else {
        return None;
    };
    Some(Prompt {
        kind,
        command,
        hint: command_hint(command),
    })
}

fn after_gt(s: &str) -> Option<&str> {
    s.find('>').map(|i| s[i + 1..].trim_start())
}

fn is_drive_prompt(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\' && s.contains('>')
}

pub(super) fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

/// What a command changes about the session, for telling which side later output is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SessionChange {
    /// `Connect-ExchangeOnline` without `-Prefix`: from now on the unprefixed Exchange
    /// cmdlets are Exchange Online's (Microsoft Learn, "Connect-ExchangeOnline").
    ConnectedOnline,
    /// `Disconnect-ExchangeOnline`.
    Disconnected,
    /// A session or snap-in that may bring on-premises cmdlets into the same window
    /// (`Import-PSSession`, `New-PSSession`, `Enter-PSSession`, `Add-PSSnapin`,
    /// `Connect-ExchangeServer`): which side a cmdlet then runs against cannot be told.
    Mixed,
}

/// How `command` changes the session, if it does.
pub(super) fn session_change(command: &str) -> Option<SessionChange> {
    let stages = stages(command);
    let words = stages.first()?;
    let first = words.first()?.to_ascii_lowercase();
    match first.as_str() {
        "connect-exchangeonline" => {
            let prefixed = words[1..].iter().any(|w| {
                w.strip_prefix('-')
                    .map(|p| p.split(':').next().unwrap_or_default().to_ascii_lowercase())
                    .is_some_and(|p| param_is(&p, "prefix", 3))
            });
            // With `-Prefix`, the unprefixed cmdlets are not Exchange Online's.
            (!prefixed).then_some(SessionChange::ConnectedOnline)
        }
        "disconnect-exchangeonline" => Some(SessionChange::Disconnected),
        "import-pssession"
        | "new-pssession"
        | "enter-pssession"
        | "add-pssnapin"
        | "connect-exchangeserver" => Some(SessionChange::Mixed),
        _ => None,
    }
}

/// The pipeline's stages, each as its words.
fn stages(command: &str) -> Vec<Vec<&str>> {
    let mut out: Vec<Vec<&str>> = vec![Vec::new()];
    let mut quote: Option<char> = None;
    let mut depth = 0usize;
    let mut start: Option<usize> = None;
    for (i, c) in command.char_indices() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        let separates = depth == 0 && (c.is_whitespace() || c == '|');
        if separates {
            if let (Some(s), Some(stage)) = (start.take(), out.last_mut()) {
                stage.push(&command[s..i]);
            }
            if c == '|' {
                out.push(Vec::new());
            }
            continue;
        }
        if start.is_none() {
            start = Some(i);
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '{' | '(' => depth += 1,
            '}' | ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if let (Some(s), Some(stage)) = (start, out.last_mut()) {
        stage.push(&command[s..]);
    }
    out
}

/// `name` (lower case, without its `-`) is `full` or a start of it at least `min` long.
fn param_is(name: &str, full: &str, min: usize) -> bool {
    name.len() >= min && full.starts_with(name)
}

/// `-Name` or `-Name:value` → (name in lower case, the value after the colon).
fn param(word: &str) -> Option<(String, Option<&str>)> {
    let p = word.strip_prefix('-')?;
    if !p.as_bytes().first()?.is_ascii_alphabetic() {
        return None;
    }
    Some(match p.split_once(':') {
        Some((n, v)) => (n.to_ascii_lowercase(), Some(v)),
        None => (p.to_ascii_lowercase(), None),
    })
}

/// The cmdlet, `-Server`, filter and property list of a command line.
fn command_hint(command: &str) -> Hint {
    let stages = stages(command);
    let first: &[&str] = stages.first().map_or(&[], Vec::as_slice);
    let cmdlet = first.first().and_then(|w| cmdlet_named(w));
    let mut server = None;
    let mut filter = None;
    // The arguments of a cmdlet this check reads; another command's are its own business.
    if cmdlet.is_some() {
        server = cmdlet_arguments(&first[1..], &mut filter);
    }
    // The cmdlet's own narrowing comes first: `filter` keeps the first one found.
    let properties = pipeline_stages(&stages, &mut filter);
    Hint {
        cmdlet,
        server: server.filter(|_| cmdlet.is_some()),
        filter,
        properties,
        ..Hint::default()
    }
}

/// Reads the arguments of a cmdlet this check knows (`args` follow its name): returns its
/// `-Server`, and sets `filter` (unless already set) when an argument makes it return some
/// of its objects only.
fn cmdlet_arguments(args: &[&str], filter: &mut Option<String>) -> Option<String> {
    let mut server = None;
    let mut i = 0;
    while i < args.len() {
        let word = args[i];
        i += 1;
        let Some((name, inline)) = param(word) else {
            // `Get-ExchangeCertificate 3D6B…` or `Get-ReceiveConnector "EX01\Default…"`:
            // the first positional parameter names one object (Identity or Thumbprint).
            filter.get_or_insert_with(|| {
                "an identity or thumbprint given without its parameter name".to_string()
            });
            continue;
        };
        let value = match inline {
            Some(v) => Some(v),
            None if is_switch(&name) => None,
            None => match args.get(i) {
                Some(v) if !v.starts_with('-') => {
                    i += 1;
                    Some(*v)
                }
                _ => None,
            },
        };
        if name == "server" {
            if let Some(v) = value.map(|v| v.trim_matches(['\'', '"']))
                && !v.is_empty()
                && !v.starts_with('$')
            {
                server = Some(v.to_string());
            }
        } else if let Some(canonical) = narrowing_parameter(&name) {
            filter.get_or_insert_with(|| canonical.to_string());
        }
    }
    server
}

/// Reads the pipeline after the first command: sets `filter` (unless already set) when a
/// stage keeps some objects only, and returns the property list of the last stage that
/// names one (`Select-Object`, `Format-List`, `Format-Table`).
fn pipeline_stages(stages: &[Vec<&str>], filter: &mut Option<String>) -> Option<Vec<String>> {
    let mut properties = None;
    for stage in stages.iter().skip(1) {
        let Some(word) = stage.first() else {
            continue;
        };
        // `Where-Object{…}`: the script block may follow the name without a space.
        let name = word.split(['{', '(']).next().unwrap_or_default();
        match name.to_ascii_lowercase().as_str() {
            "?" | "where" | "where-object" => {
                filter.get_or_insert_with(|| "Where-Object".to_string());
            }
            "select" | "select-object" => {
                if let Some(f) = select_filter(stage) {
                    filter.get_or_insert(f);
                }
                properties = property_list(stage).or(properties);
            }
            "sort" | "sort-object" => {
                if let Some(f) = sort_filter(stage) {
                    filter.get_or_insert(f);
                }
            }
            "fl" | "format-list" | "ft" | "format-table" => {
                properties = property_list(stage).or(properties);
            }
            _ => {}
        }
    }
    properties
}

/// `Select-Object -First`, `-Last`, `-Skip` or `-Index` (as shortened as PowerShell allows)
/// in a `Select-Object` stage, named in full: it passes some objects only.
fn select_filter(stage: &[&str]) -> Option<String> {
    let p = stage[1..]
        .iter()
        .filter_map(|w| param(w))
        .find_map(|(n, _)| {
            [("first", 1), ("last", 1), ("skip", 2), ("index", 1)]
                .iter()
                .find(|(full, min)| param_is(&n, full, *min))
                .map(|(full, _)| *full)
        })?;
    let mut title = p.to_string();
    title[..1].make_ascii_uppercase();
    Some(format!("Select-Object -{title}"))
}

/// `Sort-Object -Top` or `-Bottom` in a `Sort-Object` stage, named in full: it passes some
/// objects only.
fn sort_filter(stage: &[&str]) -> Option<String> {
    let p = stage[1..]
        .iter()
        .filter_map(|w| param(w))
        .find(|(n, _)| param_is(n, "top", 1) || param_is(n, "bottom", 1))?;
    let which = if p.0.starts_with('t') {
        "Top"
    } else {
        "Bottom"
    };
    Some(format!("Sort-Object -{which}"))
}

/// A parameter (lower case) that makes a `Get-…` cmdlet return some of its objects only:
/// `-Identity`, `-Thumbprint`, `-DomainName` (shortened as far as PowerShell allows among
/// `Get-ExchangeCertificate`'s parameters), as its canonical name.
fn narrowing_parameter(name: &str) -> Option<&'static str> {
    [
        ("identity", 2, "-Identity"),
        ("thumbprint", 2, "-Thumbprint"),
        ("domainname", 7, "-DomainName"),
    ]
    .iter()
    .find(|(full, min, _)| param_is(name, full, *min))
    .map(|(_, _, canonical)| *canonical)
}

/// The common switches a `Get-…` line may carry; every other parameter takes a value.
fn is_switch(name: &str) -> bool {
    ["verbose", "debug"].contains(&name)
}

/// The property list of a `Format-List`, `Format-Table` or `Select-Object` stage
/// (`fl Identity,Fqdn`, `select -Property Name, Fqdn`): the first positional argument, or
/// `-Property`'s. `None` for none, or when it holds a wildcard or a calculated property
/// (`fl *`, `fl *Tls*`, `@{n=…}`): then what was printed is not a list of names.
fn property_list(stage: &[&str]) -> Option<Vec<String>> {
    // Parameters of the three cmdlets that take a value (any other is a switch: `-AutoSize`).
    const VALUED: [&str; 10] = [
        "groupby",
        "view",
        "expand",
        "first",
        "last",
        "skip",
        "skiplast",
        "index",
        "expandproperty",
        "excludeproperty",
    ];
    let mut i = 1;
    while i < stage.len() {
        let word = stage[i];
        let Some((name, inline)) = param(word) else {
            return names(&stage[i..], None);
        };
        i += 1;
        if param_is(&name, "property", 1) {
            return names(&stage[i..], inline.filter(|v| !v.is_empty()));
        }
        if inline.is_none() && VALUED.iter().any(|v| v.starts_with(name.as_str())) {
            i += 1;
        }
    }
    None
}

/// `Identity,Fqdn` / `Identity, Fqdn` / `"Identity","Fqdn"` from the words starting at
/// `words` (after `first`, when the list began after a colon).
fn names(words: &[&str], first: Option<&str>) -> Option<Vec<String>> {
    let mut words = words.iter().copied();
    let mut text = match first {
        Some(f) => f.to_string(),
        None => words.next()?.to_string(),
    };
    let mut rest = words.peekable();
    while text.ends_with(',') || rest.peek().is_some_and(|w| w.starts_with(',')) {
        match rest.next() {
            Some(w) => text.push_str(w),
            None => break,
        }
    }
    let items: Vec<String> = text
        .split(',')
        .map(|n| n.trim().trim_matches(['\'', '"']).to_string())
        .filter(|n| !n.is_empty())
        .collect();
    let plain = |n: &String| n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    (!items.is_empty() && items.iter().all(plain)).then_some(items)
}

/// The cmdlet called `name` (any case), if it is one this check reads.
pub(super) fn cmdlet_named(name: &str) -> Option<Cmdlet> {
    const ALL: [Cmdlet; 8] = [
        Cmdlet::ExchangeCertificate,
        Cmdlet::ReceiveConnector,
        Cmdlet::SendConnector,
        Cmdlet::HybridConfiguration,
        Cmdlet::InboundConnector,
        Cmdlet::OutboundConnector,
        Cmdlet::AcceptedDomain,
        Cmdlet::TransportService,
    ];
    ALL.into_iter()
        .find(|c| c.name().eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn hint(command: &str) -> Hint {
        command_hint(command)
    }

    #[test]
    fn filters_on_the_cmdlet_and_in_the_pipeline() {
        for (command, filter) in [
            ("Get-ExchangeCertificate | fl", None),
            ("Get-ExchangeCertificate -Server EX01 | Format-List", None),
            ("Get-ExchangeCertificate -Server:EX01 -Verbose", None),
            (
                "Get-ExchangeCertificate -Thumbprint 3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1 | fl",
                Some("-Thumbprint"),
            ),
            (
                "Get-ExchangeCertificate -th:3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1",
                Some("-Thumbprint"),
            ),
            (
                "Get-ExchangeCertificate -DomainName mail.contoso.com",
                Some("-DomainName"),
            ),
            (
                "Get-ExchangeCertificate -Identity EX01\\3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1",
                Some("-Identity"),
            ),
            (
                "Get-ExchangeCertificate 3D6B2F1A9C8E7D4B5A69F0E1D2C3B4A5968778E1 | fl",
                Some("an identity or thumbprint given without its parameter name"),
            ),
            (
                "Get-ExchangeCertificate -Server 'EX 01' 3D6B2F1A | fl",
                Some("an identity or thumbprint given without its parameter name"),
            ),
            (
                "Get-ExchangeCertificate | ? {$_.Services -match 'SMTP' -or $_.IsSelfSigned} | fl",
                Some("Where-Object"),
            ),
            (
                "Get-ExchangeCertificate | where Services -like '*SMTP*'",
                Some("Where-Object"),
            ),
            (
                "Get-ExchangeCertificate|Where-Object{$_.Subject -like 'CN=mail*'}|fl",
                Some("Where-Object"),
            ),
            (
                "Get-ExchangeCertificate | sort NotAfter | select -first 1 | fl",
                Some("Select-Object -First"),
            ),
            (
                "Get-ExchangeCertificate | Select-Object -Last 2",
                Some("Select-Object -Last"),
            ),
            (
                "Get-ExchangeCertificate | Sort-Object NotAfter -Top 1",
                Some("Sort-Object -Top"),
            ),
            // A `|` inside a script block or quotes is not a stage.
            (
                "Get-ExchangeCertificate | fl Subject,@{n='x';e={$_.Services | Out-String}}",
                None,
            ),
            // Another command's arguments are its own.
            (
                "$certs | ? {$_.Services -match 'SMTP'} | fl",
                Some("Where-Object"),
            ),
            (".\\Export-Certs.ps1 EX01", None),
        ] {
            assert_eq!(hint(command).filter.as_deref(), filter, "{command}");
        }
    }

    #[test]
    fn property_lists() {
        for (command, list) in [
            (
                "Get-ReceiveConnector | fl Identity,Fqdn,TlsCertificateName",
                Some(&["Identity", "Fqdn", "TlsCertificateName"][..]),
            ),
            (
                "Get-ReceiveConnector | Format-List Identity, Fqdn",
                Some(&["Identity", "Fqdn"][..]),
            ),
            (
                "Get-ReceiveConnector | Select-Object -Property Name,\"Fqdn\" | fl",
                Some(&["Name", "Fqdn"][..]),
            ),
            (
                "Get-ReceiveConnector | select -First 1 Name , Fqdn",
                Some(&["Name", "Fqdn"][..]),
            ),
            (
                "Get-SendConnector | ft -AutoSize Name,Fqdn",
                Some(&["Name", "Fqdn"][..]),
            ),
            (
                "Get-SendConnector | fl -Property:Name,Fqdn",
                Some(&["Name", "Fqdn"][..]),
            ),
            ("Get-ReceiveConnector | fl", None),
            ("Get-ReceiveConnector | fl *", None),
            ("Get-ReceiveConnector | fl *Tls*", None),
            ("Get-ReceiveConnector | fl Identity,@{n='x';e={1}}", None),
        ] {
            let got = hint(command).properties;
            let want = list.map(|l| l.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            assert_eq!(got, want, "{command}");
        }
    }

    #[test]
    fn sessions() {
        assert_eq!(
            session_change("Connect-ExchangeOnline -UserPrincipalName admin@contoso.com"),
            Some(SessionChange::ConnectedOnline)
        );
        assert_eq!(session_change("Connect-ExchangeOnline -Prefix EXO"), None);
        assert_eq!(
            session_change("Import-PSSession $s -AllowClobber"),
            Some(SessionChange::Mixed)
        );
        assert_eq!(
            session_change("Disconnect-ExchangeOnline -Confirm:$false"),
            Some(SessionChange::Disconnected)
        );
        assert_eq!(session_change("Get-AcceptedDomain"), None);
    }
}
