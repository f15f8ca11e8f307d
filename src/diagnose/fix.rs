//! A fix is data: steps that are prose or a command for a named shell, and an identity (the
//! server family, the template and the values filled in) that the merge of shared findings
//! keys on. The fix builders in `fixes/` make them; renderers decide how a command looks.

/// Where a command is meant to be run.
#[expect(
    clippy::enum_variant_names,
    reason = "the shells' own names (Exchange Management Shell, Windows PowerShell)"
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shell {
    /// Exchange Management Shell on an Exchange server.
    ExchangeManagementShell,
    /// Exchange Online PowerShell (`Connect-ExchangeOnline`).
    ExchangeOnlinePowerShell,
    /// Windows PowerShell as administrator (SCHANNEL, cipher suites).
    WindowsPowerShell,
    /// A root shell on the Postfix host.
    PostfixShell,
    /// A root shell on the Exim host.
    EximShell,
    /// The Cisco ASA / FTD command line (configuration mode).
    CiscoAsa,
    /// Records for the DNS zone, in zone-file syntax.
    DnsZone,
    /// Any POSIX shell (`openssl`, `dig`).
    Shell,
}

impl Shell {
    /// How a reader calls it.
    pub fn label(self) -> &'static str {
        match self {
            Shell::ExchangeManagementShell => "Exchange Management Shell",
            Shell::ExchangeOnlinePowerShell => "Exchange Online PowerShell",
            Shell::WindowsPowerShell => "Windows PowerShell (as administrator)",
            Shell::PostfixShell => "shell on the Postfix host",
            Shell::EximShell => "shell on the Exim host",
            Shell::CiscoAsa => "Cisco ASA CLI",
            Shell::DnsZone => "DNS zone",
            Shell::Shell => "shell",
        }
    }

    /// The info string of a fenced code block (syntax highlighting in tickets).
    pub fn fence_language(self) -> &'static str {
        match self {
            Shell::ExchangeManagementShell
            | Shell::ExchangeOnlinePowerShell
            | Shell::WindowsPowerShell => "powershell",
            Shell::PostfixShell | Shell::EximShell | Shell::Shell => "sh",
            Shell::CiscoAsa | Shell::DnsZone => "text",
        }
    }
}

/// One step of a fix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Step {
    /// Words for the admin.
    Prose {
        /// One line of prose.
        text: String,
    },
    /// A command to paste, as written (built only from values that are safe to paste).
    Command {
        /// Where to run it.
        shell: Shell,
        /// The command line.
        text: String,
    },
}

/// The server family a fix is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Exchange Server on premises.
    Exchange,
    /// Exchange Online (Protection).
    ExchangeOnline,
    /// Postfix.
    Postfix,
    /// Exim.
    Exim,
    /// A mail server written for in prose: Sendmail, OpenSMTPD, Haraka, hMailServer, MDaemon,
    /// Zimbra.
    Mta,
    /// A mail security gateway or cloud mail service, changed in its admin console.
    Gateway,
    /// A Cisco ASA / FTD with ESMTP inspection.
    Cisco,
    /// Any server, DNS, or this machine.
    Generic,
}

/// What makes two fixes the same fix: the family, the template that wrote it and the values it
/// was filled with. Two findings merge only when their fixes have the same key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FixKey {
    /// The server family.
    pub family: Family,
    /// The builder's template name (`exchange::install_certificate`).
    pub template: &'static str,
    /// The values filled in, in the builder's order.
    pub values: Vec<String>,
}

/// What the admin should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// The fix's identity.
    pub key: FixKey,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

impl Fix {
    /// An empty fix for `template` of `family`, filled with `values`.
    pub fn new(family: Family, template: &'static str, values: &[&str]) -> Self {
        Fix {
            key: FixKey {
                family,
                template,
                values: values.iter().map(|v| (*v).to_string()).collect(),
            },
            steps: Vec::new(),
        }
    }

    /// Adds prose (one line per `\n`).
    pub fn say(mut self, text: impl AsRef<str>) -> Self {
        for line in text.as_ref().lines() {
            self.steps.push(Step::Prose {
                text: line.to_string(),
            });
        }
        self
    }

    /// Adds a command for `shell`.
    pub fn run(mut self, shell: Shell, line: impl Into<String>) -> Self {
        self.steps.push(Step::Command {
            shell,
            text: line.into(),
        });
        self
    }

    /// Appends another fix's steps (its key is not part of this one's: the caller's values
    /// already determine them).
    pub fn then(mut self, other: Fix) -> Self {
        self.steps.extend(other.steps);
        self
    }

    /// Appends another fix whose text this fix's values do not determine (a note a rule adds
    /// for one server family): its template and values join this fix's key, so equal keys
    /// still mean equal text.
    pub fn followed_by(mut self, other: Fix) -> Self {
        self.key.values.push(other.key.template.to_string());
        self.key.values.extend(other.key.values);
        self.steps.extend(other.steps);
        self
    }

    /// The commands of the fix, in order.
    pub fn commands(&self) -> impl Iterator<Item = (Shell, &str)> {
        self.steps.iter().filter_map(|s| match s {
            Step::Command { shell, text } => Some((*shell, text.as_str())),
            Step::Prose { .. } => None,
        })
    }

    /// The plain-text form kept in JSON's `fix`: prose lines as they are, commands indented by
    /// two spaces.
    pub fn text(&self) -> String {
        self.steps
            .iter()
            .map(|s| match s {
                Step::Prose { text } => text.clone(),
                Step::Command { text, .. } => format!("  {text}"),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl std::fmt::Display for Fix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

/// Serialised as two fields of the finding: `fix` (the plain text, unchanged since schema 1)
/// and `steps` (the structured form).
impl serde::Serialize for Fix {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("fix", &self.text())?;
        m.serialize_entry("steps", &self.steps)?;
        m.end()
    }
}

/// `value` as a PowerShell single-quoted string: nothing inside is expanded, and each quote
/// PowerShell closes such a string at (`'` and the typographic `‘ ’ ‚ ‛`) is doubled. The
/// caller keeps control characters out (a newline would end the command).
pub fn powershell_quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// `value` as one word for a POSIX shell: bare when it holds only characters no shell
/// treats specially, else in single quotes (a `'` inside closed, escaped and reopened).
pub fn shell_word(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.,:/@%+=".contains(&b));
    if plain {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_indents_commands_and_keeps_prose() {
        let f = Fix::new(Family::Postfix, "t", &[])
            .say("Reload Postfix:")
            .run(Shell::PostfixShell, "postfix reload")
            .say("Then probe again.");
        assert_eq!(
            f.text(),
            "Reload Postfix:\n  postfix reload\nThen probe again."
        );
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["fix"], f.text());
        assert_eq!(json["steps"][1]["kind"], "command");
        assert_eq!(json["steps"][1]["shell"], "postfix-shell");
        assert_eq!(json["steps"][1]["text"], "postfix reload");
    }

    #[test]
    fn the_exim_shell_is_named_for_its_host() {
        let f = Fix::new(Family::Exim, "t", &[]).run(Shell::EximShell, "exim -bP tls_certificate");
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["steps"][0]["shell"], "exim-shell");
        assert_eq!(Shell::EximShell.label(), "shell on the Exim host");
        assert_eq!(Shell::EximShell.fence_language(), "sh");
    }

    #[test]
    fn followed_by_keeps_both_identities() {
        let base = || Fix::new(Family::Exchange, "exchange::a", &["x"]).say("A");
        let note = |v: &str| Fix::new(Family::Exchange, "exchange::b", &[v]).say(v);
        let one = base().followed_by(note("1"));
        let two = base().followed_by(note("2"));
        assert_ne!(
            one.key, two.key,
            "a note that changes the text changes the key"
        );
        assert_eq!(one.key, base().followed_by(note("1")).key);
        assert_eq!(one.key.template, "exchange::a");
        assert_eq!(one.text(), "A\n1");
    }
}
