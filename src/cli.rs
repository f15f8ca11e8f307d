//! The command line. Help text comes from these doc comments; examples come first.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::baseline::{Baseline, Fingerprint, Probed};
use crate::diagnose::Policy;
use crate::diagnose::rules::renewal::IssuerPattern;
use crate::dns::route::{Family, RouteSettings};
use crate::probe::ProbeConfig;
use crate::report::Format;
use crate::settings::{self, DEADLINE_IN_TIMEOUTS, Settings, SettingsError};
use crate::target::{Host, Target};
use crate::tls::TrustStore;

/// A command line that `--help` and the manual page show, and what it does.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Example {
    /// The command as typed.
    pub(crate) line: &'static str,
    /// What it does: a phrase, shown on the line below the command.
    pub(crate) does: &'static str,
}

const fn ex(line: &'static str, does: &'static str) -> Example {
    Example { line, does }
}

/// What `--help` and the manual page say about one command beyond its options: examples
/// (shown before the options) and exit codes (after them).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Guide {
    /// The examples.
    pub(crate) examples: &'static [Example],
    /// The exit codes: a heading line, then one `  N  meaning` line per code.
    pub(crate) exit_codes: &'static str,
}

/// The probe (no subcommand).
pub(crate) const MAIN_GUIDE: Guide = Guide {
    examples: &[
        ex(
            "starttls-check contoso.com",
            "every MX host and address of the domain, port 25",
        ),
        ex(
            "starttls-check user@contoso.com -p 25,587",
            "a pasted address: its domain, two ports",
        ),
        ex(
            "starttls-check [mail.contoso.com]:587 -v",
            "this host only (no MX lookup), with the transcript",
        ),
        ex(
            "starttls-check 203.0.113.5 --expect-name mail.contoso.com",
            "an address, and a name its certificate must cover",
        ),
        ex(
            "starttls-check contoso.com --client-cert relay.pem",
            "present our certificate when asked, as a send connector does",
        ),
        ex(
            "starttls-check contoso.com --format json",
            "for CI and monitoring",
        ),
        ex(
            "starttls-check contoso.com --format markdown --redact",
            "for a ticket that leaves the organisation: names and addresses replaced",
        ),
        ex(
            "starttls-check contoso.com --format nagios",
            "a Nagios/Icinga check (--format prometheus: for node_exporter)",
        ),
        ex(
            "starttls-check contoso.com --expect-fingerprint SHA256",
            "after a renewal: every node serves the new certificate",
        ),
        ex(
            "starttls-check contoso.com --baseline before.json",
            "what changed since an earlier --format json run",
        ),
        ex(
            "starttls-check contoso.com --resolver 127.0.0.1",
            "DANE judged through a validating resolver on this machine",
        ),
        ex(
            "starttls-check contoso.com --no-policy",
            "the SMTP probes only: no DANE, MTA-STS, TLS-RPT or CRL checks",
        ),
        ex(
            "starttls-check --targets-file customers.txt",
            "a report per target: a table, then details",
        ),
        ex(
            "starttls-check --targets-file all.txt --shard 3/8",
            "one of 8 survey jobs (add --format jsonl)",
        ),
        ex(
            "starttls-check --targets-file customers.txt --format html",
            "a page to send",
        ),
        ex(
            "starttls-check explain - < ndr.txt",
            "an NDR or log line: the cause and the fix",
        ),
        ex(
            "starttls-check demo",
            "no network: probes built-in local servers",
        ),
    ],
    exit_codes: crate::exit::HELP_TABLE,
};

const DEMO_GUIDE: Guide = Guide {
    examples: &[
        ex(
            "starttls-check demo",
            "every scenario's report, for a reader",
        ),
        ex(
            "starttls-check demo --format json",
            "the same as the JSON a CI job reads",
        ),
        ex(
            "starttls-check demo --serve 600",
            "keep the servers up for 10 minutes; print how to probe each",
        ),
    ],
    exit_codes: "\
Exit codes:
  0  every scenario showed the verdict it was built to show
  2  a scenario did not
  3  the demo could not run",
};

const EXPLAIN_GUIDE: Guide = Guide {
    examples: &[
        ex(
            "starttls-check explain cert-expired",
            "what a finding code means, its causes",
        ),
        ex(
            "starttls-check explain '450 4.7.320 Certificate validation failed'",
            "a line of an NDR, quoted",
        ),
        ex(
            "starttls-check explain - < ndr.txt",
            "the text from a file (or a pipe)",
        ),
        ex(
            "starttls-check explain - --probe < ndr.txt",
            "and run the probe that confirms it",
        ),
    ],
    exit_codes: "\
Exit codes:
  0  recognised
  3  not recognised (or not a code), or a usage error
  With --probe, the probe's verdict (0 pass, 1 warn, 2 fail, 3 unknown).",
};

const EXCHANGE_CONFIG_GUIDE: Guide = Guide {
    examples: &[
        ex(
            "starttls-check exchange-config certs.txt connectors.txt",
            "fl text saved from the shells",
        ),
        ex(
            "starttls-check exchange-config - < ticket.txt",
            "a paste with several cmdlets",
        ),
        ex(
            "starttls-check exchange-config onprem.json online.json",
            "the JSON of scripts/Get-StartTlsConfig.ps1",
        ),
        ex(
            "starttls-check exchange-config certs.txt --server EX01",
            "whose certificate list it is",
        ),
        ex(
            "starttls-check exchange-config *.txt --probe",
            "and probe the hybrid endpoint",
        ),
        ex(
            "starttls-check exchange-config *.txt --probe=mail.contoso.com -p 25,587",
            "and probe that host on two ports",
        ),
    ],
    exit_codes: "\
Exit codes:
  0  consistent
  1  warnings
  2  a failure found
  3  nothing conclusive (or not recognised), or a usage error",
};

const COMPLETIONS_GUIDE: Guide = Guide {
    examples: &[
        ex(
            "source <(starttls-check completions bash)",
            "in ~/.bashrc: completion in every new bash",
        ),
        ex(
            "source <(starttls-check completions zsh)",
            "in ~/.zshrc, after compinit",
        ),
        ex(
            "starttls-check completions fish | source",
            "in ~/.config/fish/config.fish",
        ),
        ex(
            "starttls-check completions powershell | Out-String | Invoke-Expression",
            "in $PROFILE",
        ),
        ex(
            "eval (starttls-check completions elvish | slurp)",
            "in ~/.config/elvish/rc.elv",
        ),
    ],
    exit_codes: "\
Exit codes:
  0  the script was written
  3  a usage error (e.g. a shell it has no script for)",
};

const LISTEN_GUIDE: Guide = Guide {
    examples: &[
        ex(
            "starttls-check listen 2525 --once",
            "wait on 127.0.0.1:2525 for one sender and report what it presented",
        ),
        ex(
            "starttls-check listen 0.0.0.0:2525 --public --cert mx.pem --key mx.key",
            "receive from other hosts (a send connector pointed here), trusted cert",
        ),
        ex(
            "starttls-check listen 2525 --once --expect-name mail.contoso.com",
            "the sender must present a certificate for mail.contoso.com",
        ),
        ex(
            "starttls-check listen 2525 --duration 600 --format json",
            "every sender for ten minutes, as JSON",
        ),
    ],
    exit_codes: "\
Exit codes:
  0  pass     every sender used STARTTLS and presented what was expected
  1  warn     a sender needs attention (e.g. no certificate with --expect-name)
  2  fail     a sender skipped TLS, failed the handshake or sent a wrong cert
  3  unknown  no sender connected, or a usage error (e.g. cannot bind)",
};

const MAN_GUIDE: Guide = Guide {
    examples: &[
        ex("starttls-check man | man -l -", "read the manual page"),
        ex(
            "starttls-check man explain | man -l -",
            "the page of a subcommand",
        ),
        ex(
            "starttls-check man --dir /usr/local/share/man/man1",
            "install every page (then `man starttls-check`)",
        ),
    ],
    exit_codes: "\
Exit codes:
  0  the page was written (with --dir: every page)
  3  a usage error, or DIR could not be written",
};

/// The subcommands, as typed: their words are never targets.
pub(crate) const SUBCOMMANDS: [&str; 6] = [
    "demo",
    "explain",
    "exchange-config",
    "listen",
    "completions",
    "man",
];

/// The guide of a command: `None` for the probe, else the subcommand's name.
pub(crate) fn guide(subcommand: Option<&str>) -> Guide {
    match subcommand {
        Some("demo") => DEMO_GUIDE,
        Some("explain") => EXPLAIN_GUIDE,
        Some("exchange-config") => EXCHANGE_CONFIG_GUIDE,
        Some("completions") => COMPLETIONS_GUIDE,
        Some("man") => MAN_GUIDE,
        Some("listen") => LISTEN_GUIDE,
        _ => MAIN_GUIDE,
    }
}

/// Every help page's layout: the examples (clap's before-help) come after the usage and
/// before the options, so that a reader meets a command line first; exit codes last.
const HELP_TEMPLATE: &str = "\
{about-with-newline}
{usage-heading} {usage}

{before-help}{all-args}{after-help}";

/// The examples as `--help` shows them: each command on a line of its own, what it does on
/// the next, indented, so that neither needs a wide terminal; clap wraps a long one with the
/// same indent. Styled like clap's own headings and option names.
fn examples_help(examples: &[Example]) -> clap::builder::StyledStr {
    use std::fmt::Write as _;
    let styles = clap::builder::Styles::default();
    let (head, lit) = (styles.get_header(), styles.get_literal());
    let mut out = clap::builder::StyledStr::new();
    let _ = write!(out, "{head}Examples:{head:#}");
    for e in examples {
        let _ = write!(out, "\n  {lit}{}{lit:#}\n      {}", e.line, e.does);
    }
    out
}

/// The exit codes as help shows them, the heading styled like clap's.
fn exit_codes_help(text: &str) -> clap::builder::StyledStr {
    use std::fmt::Write as _;
    let head = *clap::builder::Styles::default().get_header();
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let mut out = clap::builder::StyledStr::new();
    let _ = write!(out, "{head}{first}{head:#}\n{rest}");
    out
}

/// Help's examples for a command (see [`guide`]).
fn before(subcommand: Option<&str>) -> clap::builder::StyledStr {
    examples_help(guide(subcommand).examples)
}

/// Help's exit codes for a command (see [`guide`]).
fn after(subcommand: Option<&str>) -> clap::builder::StyledStr {
    exit_codes_help(guide(subcommand).exit_codes)
}

/// Checks a mail domain's or server's STARTTLS and certificates, and says what exactly to
/// change.
///
/// Looks up the MX hosts, then walks banner → EHLO → STARTTLS → TLS handshake → EHLO again →
/// QUIT on every MX host × address × port at once, never sends mail, and reports each problem
/// with its evidence and a paste-ready fix in the server's own language (Exchange Management
/// Shell for Exchange, `postconf` for Postfix, Exim's main options for Exim; a gateway's admin
/// console setting).
#[derive(Debug, Parser)]
#[command(
    name = "starttls-check",
    version,
    help_template = HELP_TEMPLATE,
    before_help = before(None),
    after_help = after(None),
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Something other than a probe.
    #[command(subcommand)]
    pub(crate) command: Option<Command>,

    /// Mail domain(s) or server(s): domain, user@domain, name:port, [name], [name]:port, IP,
    /// IP:port, [IPv6]:port. A name is looked up in MX first (no MX: the name itself); a
    /// [name] in brackets is that host only (the Postfix convention).
    /// Several targets (or --targets-file) give one report each.
    #[arg(
        value_name = "TARGET",
        required_unless_present = "targets_file",
        value_hint = clap::ValueHint::Hostname
    )]
    pub(crate) targets: Vec<Target>,

    /// Probe options.
    #[command(flatten)]
    pub(crate) probe: ProbeArgs,

    /// Output options.
    #[command(flatten)]
    pub(crate) output: OutputArgs,

    /// Batch options (last: their help heading would hold every option after them).
    #[command(flatten)]
    pub(crate) batch: BatchArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Start a few scripted SMTP servers on 127.0.0.1 and probe them: see what the tool does,
    /// without any network.
    #[command(help_template = HELP_TEMPLATE, before_help = before(Some("demo")), after_help = after(Some("demo")))]
    Demo {
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,

        /// Keep the scripted servers running (until Ctrl-C, at most this many seconds) and
        /// print the command that probes each, instead of probing them.
        #[arg(long, value_name = "SECS", num_args = 0..=1, default_missing_value = "3600", value_parser = parse_secs, allow_negative_numbers = true)]
        serve: Option<f64>,
    },
    /// Paste what you have: an NDR, a queue's LastError, a message-trace detail or a log line
    /// (or one finding code, e.g. cert-expired) → the cause, the side at fault, the fix and
    /// the probe that confirms it. Never touches the network without --probe.
    #[command(help_template = HELP_TEMPLATE, before_help = before(Some("explain")), after_help = after(Some("explain")))]
    Explain {
        /// The text, its words joined with spaces; `-` (or nothing, with stdin not a
        /// terminal) reads it from stdin. Quote it: a shell splits and mangles it otherwise.
        #[arg(value_name = "TEXT")]
        text: Vec<String>,

        /// Run the probe that confirms the answer at once (with the probe options below,
        /// which win over the suggested ones) and join its findings to the answer; the exit
        /// code is then the probe's verdict.
        #[arg(long = "probe")]
        run_probe: bool,

        /// Probe options (used only with --probe).
        #[command(flatten)]
        options: Box<ProbeArgs>,

        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Paste or save the output of Get-ExchangeCertificate, Get-ReceiveConnector,
    /// Get-SendConnector, Get-HybridConfiguration and, from Exchange Online,
    /// Get-InboundConnector, Get-OutboundConnector and Get-AcceptedDomain (`| fl` text, or
    /// the JSON of scripts/Get-StartTlsConfig.ps1) → which certificate Exchange will present,
    /// what is misconfigured, and the exact Set-… command. Never touches the network without
    /// --probe.
    #[command(
        name = "exchange-config",
        help_template = HELP_TEMPLATE,
        before_help = before(Some("exchange-config")),
        after_help = after(Some("exchange-config"))
    )]
    ExchangeConfig {
        /// Files holding the output (Format-List text in any encoding PowerShell writes,
        /// or JSON); `-` (or nothing, with stdin not a terminal) reads stdin.
        #[arg(value_name = "FILE")]
        files: Vec<String>,

        /// The server a certificate list that names none came from (`Get-ExchangeCertificate
        /// | fl` does not print it).
        #[arg(long, value_name = "SERVER")]
        server: Option<String>,

        /// Also probe HOST (default: the hybrid receive connector's Fqdn when it is a public
        /// name, else the hybrid configuration's OnPremisesSmartHost) and compare the
        /// certificate it presents with the one the configuration selects. Give HOST with `=`.
        #[arg(long = "probe", value_name = "HOST", num_args = 0..=1, require_equals = true, default_missing_value = "")]
        probe_host: Option<String>,

        /// Probe options (used only with --probe).
        #[command(flatten)]
        options: Box<ProbeArgs>,

        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Receive instead of send: run a minimal SMTP server that offers STARTTLS and reports,
    /// for every sender that connects, what it offered and presented (TLS versions, ciphers,
    /// SNI, client certificate). It never accepts mail: every RCPT is refused (451, or 550
    /// with --reject permanent), DATA never reached.
    #[command(
        help_template = HELP_TEMPLATE,
        before_help = before(Some("listen")),
        after_help = after(Some("listen")),
        mut_arg("format", |a| a
            .value_parser(listen_formats())
            .help("Output format (listen writes human, json, jsonl or markdown)"))
    )]
    Listen(Box<ListenArgs>),
    /// Write a shell's completion script to stdout (bash, zsh, fish, PowerShell, Elvish).
    /// Never probes.
    #[command(
        help_template = HELP_TEMPLATE,
        before_help = before(Some("completions")),
        after_help = after(Some("completions"))
    )]
    Completions {
        /// The shell to complete in.
        #[arg(value_enum, value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Write the manual page (roff) to stdout, or every page into a directory. Never probes.
    #[command(
        help_template = HELP_TEMPLATE,
        before_help = before(Some("man")),
        after_help = after(Some("man"))
    )]
    Man {
        /// A subcommand whose page to write (starttls-check-explain(1), …) instead of
        /// starttls-check(1).
        #[arg(value_name = "COMMAND", value_parser = SUBCOMMANDS)]
        page: Option<String>,

        /// Write every page (starttls-check.1 and one per subcommand) into DIR, which must
        /// exist, and print their paths.
        #[arg(long, value_name = "DIR", conflicts_with = "page")]
        dir: Option<PathBuf>,
    },
}

/// `listen`'s options.
#[derive(Debug, Args, Clone)]
pub(crate) struct ListenArgs {
    /// Where to listen: PORT (on 127.0.0.1), ADDR:PORT or [IPv6]:PORT. A non-loopback
    /// address needs --public.
    #[arg(value_name = "[ADDR:]PORT")]
    pub(crate) listen: String,

    /// Stop after the first session.
    #[arg(long)]
    pub(crate) once: bool,

    /// Stop after this many seconds in all (up to 86400: a day, long enough for a send
    /// connector's retries).
    #[arg(long, value_name = "SECS", default_value_t = 900.0, value_parser = parse_run_secs)]
    pub(crate) duration: f64,

    /// End a session whose sender stays silent this long (per command).
    #[arg(long, value_name = "SECS", default_value_t = 60.0, value_parser = parse_secs)]
    pub(crate) session_timeout: f64,

    /// Stop after this many sessions (1 or more).
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = whole::<usize>(1, 1_000_000))]
    pub(crate) max_sessions: usize,

    /// The certificate to offer after STARTTLS: PEM (chain, with the key in it or in --key)
    /// or PKCS#12/PFX (password from --cert-password-env) [default: a self-signed
    /// certificate for --hostname, made at start].
    #[arg(long, value_name = "FILE")]
    pub(crate) cert: Option<PathBuf>,

    /// The private key (PEM) for --cert, when it is not in the same file.
    #[arg(long, value_name = "PEM", requires = "cert")]
    pub(crate) key: Option<PathBuf>,

    /// The environment variable holding the password of a PFX --cert.
    #[arg(long, value_name = "VAR", requires = "cert")]
    pub(crate) cert_password_env: Option<String>,

    /// The name in our greeting and in the certificate made at start [default: the first DNS
    /// name of --cert, else this machine's FQDN, else starttls-check.invalid].
    #[arg(long, value_name = "NAME")]
    pub(crate) hostname: Option<String>,

    /// A name the sender's client certificate must cover, e.g. the TlsSenderCertificateName
    /// of an Exchange Online inbound connector (repeatable). With it, a sender that presents
    /// no certificate is a WARN.
    #[arg(long, value_name = "NAME")]
    pub(crate) expect_name: Vec<String>,

    /// How RCPT is refused: temporary (451: the sender retries, its queue shows our result)
    /// or permanent (550: the sender bounces at once, with an NDR).
    #[arg(long, value_enum, default_value_t = Rejection::Temporary)]
    pub(crate) reject: Rejection,

    /// Allow binding a non-loopback address: anyone who can reach it can connect.
    #[arg(long)]
    pub(crate) public: bool,

    /// Do not look up senders' reverse names.
    #[arg(long)]
    pub(crate) no_ptr: bool,

    /// DNS server for reverse lookups, ADDR[:PORT] (repeatable) [default: the system's].
    #[arg(long, value_name = "ADDR", value_parser = parse_resolver)]
    pub(crate) resolver: Vec<std::net::SocketAddr>,

    /// Extra trusted root CA certificates (PEM) for judging senders' certificates.
    #[arg(long, value_name = "PEM")]
    pub(crate) ca_file: Vec<PathBuf>,

    /// Trust only --ca-file, not the system's roots.
    #[arg(long, requires = "ca_file")]
    pub(crate) no_system_roots: bool,

    /// Warn when a sender's client certificate has less than DAYS days left.
    #[arg(
        long,
        value_name = "DAYS",
        default_value_t = settings::DEFAULT_WARN_DAYS,
        value_parser = whole::<u32>(0, settings::MAX_DAYS),
        allow_negative_numbers = true
    )]
    pub(crate) warn_days: u32,

    /// Output options.
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// The formats `listen` writes, described as listen writes them: the page, status line and
/// metrics of probe reports (html, nagios, prometheus) are refused by clap, as a usage error.
fn listen_formats() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new([
        PossibleValue::new("human")
            .help("For a terminal: a block for each session as it ends, then the summary"),
        PossibleValue::new("json")
            .help("One JSON document when the run ends: every session and the verdict"),
        PossibleValue::new("jsonl").help("The same document on one line, when the run ends"),
        PossibleValue::new("markdown")
            .help("A block for each session as it ends, then the summary, to paste into a ticket"),
    ])
    .try_map(|s| Format::from_str(&s, false))
}

/// How `listen` refuses RCPT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Rejection {
    /// 451 4.7.0: the sender keeps the message and retries.
    Temporary,
    /// 550 5.7.0: the sender bounces the message at once.
    Permanent,
}

/// The help heading of the client-certificate options.
const CLIENT_CERT_HEADING: &str = "Client certificate (what we present)";

/// The help heading of the domain-policy options (DANE, MTA-STS, TLS-RPT, revocation).
const POLICY_HEADING: &str = "Domain TLS policy (DANE, MTA-STS, TLS-RPT, revocation)";

/// How to probe.
#[derive(Debug, Args, Clone)]
pub(crate) struct ProbeArgs {
    /// Port(s) to probe, comma-separated; 465 means implicit TLS. A port in TARGET wins.
    #[arg(
        short,
        long,
        value_name = "PORTS",
        value_delimiter = ',',
        default_values_t = [settings::DEFAULT_PORT],
        value_parser = crate::target::parse_port,
        allow_negative_numbers = true
    )]
    pub(crate) port: Vec<u16>,

    /// Use implicit TLS (TLS from the first byte) on every port, not only 465.
    #[arg(long)]
    pub(crate) implicit_tls: bool,

    /// Name to send with EHLO [default: this machine's FQDN, else our address literal;
    /// never the target's own name].
    #[arg(long, value_name = "NAME")]
    pub(crate) ehlo_name: Option<String>,

    /// A name the certificate must cover, e.g. the TlsDomain of an Exchange Online connector
    /// (repeatable). With an IP target, the first one is also sent as SNI.
    #[arg(long, value_name = "NAME")]
    pub(crate) expect_name: Vec<String>,

    /// Present this certificate when a server asks for one, as an Exchange send connector
    /// does towards Exchange Online: PEM (the chain, with the key in it or in --client-key)
    /// or PKCS#12/PFX (password from --client-cert-password-env). The key goes into the
    /// handshake only.
    #[arg(long, value_name = "FILE", help_heading = CLIENT_CERT_HEADING)]
    pub(crate) client_cert: Option<PathBuf>,

    /// The private key (PEM) of --client-cert, when it is not in the same file.
    #[arg(long, value_name = "PEM", requires = "client_cert", help_heading = CLIENT_CERT_HEADING)]
    pub(crate) client_key: Option<PathBuf>,

    /// The environment variable that holds the password of a PFX --client-cert (never on
    /// the command line, where `ps` and shell history would show it).
    #[arg(long, value_name = "VAR", requires = "client_cert", help_heading = CLIENT_CERT_HEADING)]
    pub(crate) client_cert_password_env: Option<String>,

    /// A name the receiver matches on the certificate we present (repeatable), e.g. the
    /// TlsSenderCertificateName of an Exchange Online inbound connector. Not --expect-name,
    /// which is a name the SERVER's certificate must cover.
    #[arg(long, value_name = "NAME", requires = "client_cert", help_heading = CLIENT_CERT_HEADING)]
    pub(crate) client_cert_name: Vec<String>,

    /// Extra trusted root CA certificates (PEM), added to the system's (repeatable). The
    /// system's roots: on Linux and the BSDs OpenSSL's bundle and certificate directory, on
    /// macOS and Windows the platform's store; when SSL_CERT_FILE or SSL_CERT_DIR is set,
    /// those and nothing else.
    #[arg(long, value_name = "PEM")]
    pub(crate) ca_file: Vec<PathBuf>,

    /// Trust only --ca-file, not the system's roots.
    #[arg(long, requires = "ca_file")]
    pub(crate) no_system_roots: bool,

    /// Warn when the certificate has less than DAYS days left [default: 30, or the fail
    /// threshold when that is more].
    #[arg(long, value_name = "DAYS", value_parser = whole::<u32>(0, settings::MAX_DAYS), allow_negative_numbers = true)]
    pub(crate) warn_days: Option<u32>,

    /// Fail when the certificate has less than DAYS days left (7 days and 12 hours left is
    /// not less than 7).
    #[arg(long, value_name = "DAYS", default_value_t = settings::DEFAULT_FAIL_DAYS, value_parser = whole::<u32>(0, settings::MAX_DAYS), allow_negative_numbers = true)]
    pub(crate) fail_days: u32,

    /// The days a certificate must have left, else the run fails: --fail-days under the name
    /// renewal checks use (give one of the two).
    #[arg(long, value_name = "DAYS", conflicts_with = "fail_days", value_parser = whole::<u32>(0, settings::MAX_DAYS), allow_negative_numbers = true)]
    pub(crate) min_days: Option<u32>,

    /// Every endpoint must serve this certificate, by its SHA-256 fingerprint (repeatable: any
    /// one of them), else cert-unexpected-fingerprint. Hex in any case, with or without
    /// colons, `sha256:` or OpenSSL's `sha256 Fingerprint=` before it; from
    /// `openssl x509 -in cert.pem -noout -fingerprint -sha256`.
    #[arg(long, value_name = "SHA256", value_parser = parse_fingerprint)]
    pub(crate) expect_fingerprint: Vec<Fingerprint>,

    /// The certificate's issuer must match (repeatable: any one), else cert-unexpected-issuer:
    /// words of the issuer's CN or O (`Let's Encrypt`, `R11`; whole words, any case), or
    /// attributes of its DN (`CN=R11, O=Let's Encrypt`). A root's name matches too.
    #[arg(long, value_name = "ISSUER", value_parser = parse_issuer)]
    pub(crate) expect_issuer: Vec<IssuerPattern>,

    /// Compare with an earlier run's JSON (--format json or jsonl; one report, a batch or
    /// JSON Lines): changes of certificate, issuer, TLS version, STARTTLS and endpoints are
    /// findings (baseline-*), so CI fails on one nobody declared.
    #[arg(long, value_name = "FILE")]
    pub(crate) baseline: Option<PathBuf>,

    /// Seconds each network step may take (connect, each reply, the handshake).
    #[arg(long, value_name = "SECS", default_value_t = settings::DEFAULT_TIMEOUT_SECS, value_parser = parse_secs, overrides_with = "timeout", allow_negative_numbers = true)]
    pub(crate) timeout: f64,

    /// Seconds the whole run may take [default: 6 × --timeout]; in a batch, each target's
    /// lookups and each probe, from when it starts.
    #[arg(long, value_name = "SECS", value_parser = parse_secs, allow_negative_numbers = true)]
    pub(crate) deadline: Option<f64>,

    /// Connect to ADDR for HOST, but keep HOST for SNI and name checks (curl-style, repeatable).
    /// No DNS for HOST, and no MX lookup when HOST is a target.
    #[arg(long, value_name = "HOST:ADDR", value_parser = parse_resolve)]
    pub(crate) resolve: Vec<(String, IpAddr)>,

    /// Ask this DNS server instead of the system's resolver (repeatable; port 53 unless given).
    #[arg(long, value_name = "IP[:PORT]", value_parser = parse_resolver)]
    pub(crate) resolver: Vec<SocketAddr>,

    /// Probe names as hosts: no MX lookup (as if every name were written [in brackets]).
    #[arg(long)]
    pub(crate) no_mx: bool,

    /// Probe at most this many MX hosts per domain, in preference order.
    #[arg(long, value_name = "N", default_value_t = settings::DEFAULT_MAX_MX, value_parser = whole::<u16>(1, settings::MAX_MX_LIMIT), allow_negative_numbers = true)]
    pub(crate) max_mx: u16,

    /// Probe at most this many addresses per host.
    #[arg(long, value_name = "N", default_value_t = settings::DEFAULT_MAX_ADDRESSES, value_parser = whole::<u16>(1, settings::MAX_ADDRESSES_LIMIT), allow_negative_numbers = true)]
    pub(crate) max_addresses: u16,

    /// At most this many endpoints probed at once (over the whole run, batch too), one
    /// connection to an address and port at a time; a probe may add a short check of the other TLS mode beside a connection that has
    /// not received a byte near its timeout.
    #[arg(long, value_name = "N", default_value_t = settings::DEFAULT_CONCURRENCY, value_parser = whole::<u16>(1, 256), allow_negative_numbers = true)]
    pub(crate) concurrency: u16,

    /// Also ask whether the server requires TLS: on a connection of its own, after EHLO and
    /// without STARTTLS, send exactly `MAIL FROM:<>` (the null sender), then RSET and QUIT;
    /// never RCPT or DATA, so no mail can be sent. `530 5.7.0 Must issue a STARTTLS command
    /// first` → tls-required; a 2xx → tls-not-required (info: an internet MX must not require
    /// TLS, RFC 3207 §4).
    #[arg(long)]
    pub(crate) check_required: bool,

    /// With --check-required: TLS must be required here (e.g. the on-premises end of a
    /// hybrid connector with RequireTLS), so tls-not-required is a warning.
    #[arg(long, requires = "check_required")]
    pub(crate) expect_required: bool,
    /// Look the address the server saw this probe as (its `Hello [address]`) up in DNS
    /// blocklists, on every endpoint. `--dnsbl` alone asks Spamhaus ZEN, Barracuda and SpamCop;
    /// `--dnsbl=ZONE` asks that list (repeatable; `--dnsbl=default` adds the three). The value
    /// needs the `=`, so `--dnsbl contoso.com` probes contoso.com. Without --dnsbl the three
    /// are asked only when Exchange Online Protection withholds STARTTLS, as it does from
    /// listed senders. Asked through --resolver or the system's resolver: Spamhaus refuses
    /// queries through public resolvers (8.8.8.8, 1.1.1.1).
    #[arg(
        long,
        value_name = "ZONE",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "default",
        value_parser = parse_dnsbl_zone
    )]
    pub(crate) dnsbl: Vec<String>,

    /// Never ask DNS blocklists, not even when Exchange Online Protection withholds STARTTLS.
    #[arg(long, conflicts_with_all = ["dnsbl", "egress_ip"])]
    pub(crate) no_dnsbl: bool,

    /// The public address this machine sends from (after NAT), looked up in the blocklists
    /// when the server's greeting names none.
    #[arg(long, value_name = "IP")]
    pub(crate) egress_ip: Option<IpAddr>,

    /// Skip the domain's TLS policy: no DNSSEC or TLSA (DANE), MTA-STS or TLS-RPT lookups,
    /// no CRL or CA Issuers fetches; only the SMTP probes and the DNS they need. Without it,
    /// the policy is looked up beside the probes (each query and fetch bounded by --timeout).
    #[arg(long, help_heading = POLICY_HEADING)]
    pub(crate) no_policy: bool,

    /// Trust the AD (authenticated data) bit of the DNS server asked (the first --resolver,
    /// else the system's first name server) although it is not on loopback. DANE is judged
    /// only on answers from a validating resolver the client trusts (RFC 7672 §2.1): one on
    /// loopback always is; without this option any other reports DNSSEC as not validated
    /// (dane-dnssec-unknown). Give it only for a resolver you run, on a path you trust.
    #[arg(long, help_heading = POLICY_HEADING)]
    pub(crate) trust_resolver: bool,

    /// For the policy's HTTP(S) fetches (MTA-STS policy, CRLs, CA Issuers), connect to
    /// ADDR:PORT when a URL names HOST:PORT (curl-style, repeatable; IPv6 in brackets:
    /// `mta-sts.contoso.com:443:[::1]:8443`). SNI, Host and the name check keep HOST; SMTP
    /// is not affected (see --resolve).
    #[arg(long, value_name = "HOST:PORT:ADDR:PORT", value_parser = parse_connect_to, help_heading = POLICY_HEADING)]
    pub(crate) connect_to: Vec<crate::fetch::ConnectTo>,

    /// Only IPv4 addresses.
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,

    /// Only IPv6 addresses.
    #[arg(short = '6')]
    pub ipv6: bool,
}

/// Many targets, one report each.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Batch")]
pub(crate) struct BatchArgs {
    /// Read targets from FILE too, one per line (`#` starts a comment; `-` reads stdin).
    /// Every target gets its own report; a target given twice is checked once; a line that
    /// is no target stops the run before anything is probed.
    #[arg(long, value_name = "FILE")]
    pub(crate) targets_file: Option<PathBuf>,

    /// Check only shard I of N (1-based): the targets whose FNV-1a 64 hash, of the target
    /// as its report names it (`target`) in lower case, is I-1 modulo N. N jobs with 1/N …
    /// N/N check every target exactly once, e.g. as a Kubernetes Indexed Job.
    #[arg(long, value_name = "I/N")]
    pub(crate) shard: Option<crate::batch::Shard>,
}

/// How to report.
#[derive(Debug, Args, Clone)]
pub(crate) struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human, overrides_with = "format")]
    pub(crate) format: Format,

    /// Colour severities: auto honours NO_COLOR and never colours a pipe or file.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub(crate) color: ColorChoice,

    /// Show the SMTP transcript of every endpoint.
    #[arg(short, long)]
    pub(crate) verbose: bool,

    /// Replace host names, mail domains, addresses, private organisation names and
    /// certificate fingerprints with placeholders (domain-1, host-1, addr-1...), the same
    /// for the same value throughout: for a ticket that leaves the organisation.
    #[arg(long)]
    pub(crate) redact: bool,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

// The numeric options accept negative numbers as values (`allow_negative_numbers`), so that
// `--timeout -1` is refused here as out of range instead of by clap as an unknown argument
// `-1` to escape with `--`. Messages follow target::PortError: "X is out of range (A-B)".

/// Seconds for `--timeout`, `--deadline`, `demo --serve`: 0.05 to 3600.
fn parse_secs(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.05..=3600.0).contains(&v) => Ok(v),
        Ok(_) => Err(format!("{s} is out of range (0.05-3600 seconds)")),
        Err(_) => Err(format!("'{s}' is not a number of seconds (0.05-3600)")),
    }
}

/// `listen --duration`: like [`parse_secs`] but up to a day, so that a listener can wait for
/// a sending server's retries (minutes apart, for hours).
fn parse_run_secs(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.05..=86400.0).contains(&v) => Ok(v),
        Ok(_) => Err(format!("{s} is out of range (0.05-86400 seconds)")),
        Err(_) => Err(format!("'{s}' is not a number of seconds (0.05-86400)")),
    }
}

/// A value parser for a whole number from `lo` to `hi`.
fn whole<T: TryFrom<u64>>(
    lo: u64,
    hi: u64,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static {
    move |s: &str| {
        let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("'{s}' is not a whole number ({lo}-{hi})"));
        }
        s.parse::<u64>()
            .ok()
            .filter(|v| (lo..=hi).contains(v))
            .and_then(|v| T::try_from(v).ok())
            .ok_or_else(|| format!("{s} is out of range ({lo}-{hi})"))
    }
}

/// `--expect-fingerprint`: a SHA-256 in any form people paste (see `baseline::Fingerprint`).
fn parse_fingerprint(s: &str) -> Result<Fingerprint, String> {
    Fingerprint::parse(s)
}

/// `--expect-issuer`: words or a distinguished name (see `rules::renewal::IssuerPattern`).
fn parse_issuer(s: &str) -> Result<IssuerPattern, String> {
    IssuerPattern::parse(s)
}

/// `HOST:PORT:ADDR:PORT` (`--connect-to`): the last `:PORT` is the port connected to, the
/// first field the host, the second its port, and what lies between the address (an IPv6
/// address in brackets).
fn parse_connect_to(s: &str) -> Result<crate::fetch::ConnectTo, String> {
    let usage = || {
        format!("'{s}' is not HOST:PORT:ADDR:PORT (e.g. mta-sts.contoso.com:443:127.0.0.1:8443)")
    };
    let (rest, to_port) = s.rsplit_once(':').ok_or_else(usage)?;
    let (host, rest) = rest.split_once(':').ok_or_else(usage)?;
    let (port, addr) = rest.split_once(':').ok_or_else(usage)?;
    let port: u16 = port.parse().map_err(|_| usage())?;
    let to_port: u16 = to_port.parse().map_err(|_| usage())?;
    let addr = addr
        .strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .unwrap_or(addr);
    let addr: IpAddr = addr
        .parse()
        .map_err(|_| format!("{}: '{addr}' is not an IP address", usage()))?;
    if port == 0 || to_port == 0 {
        return Err(usage());
    }
    // The host is compared with a URL's host (`fetch::Url`), which is a normalized name.
    let host = crate::target::normalize_name(host)
        .ok_or_else(|| format!("{}: '{host}' is not a host name", usage()))?;
    Ok(crate::fetch::ConnectTo {
        host,
        port,
        to: std::net::SocketAddr::new(addr, to_port),
    })
}

fn parse_resolve(s: &str) -> Result<(String, IpAddr), String> {
    let (host, addr) = s
        .split_once(':')
        .ok_or_else(|| format!("'{s}' is not HOST:ADDR (e.g. mail.contoso.com:203.0.113.5 or mail.contoso.com:[2001:db8::5])"))?;
    let host = crate::target::normalize_name(host)
        .ok_or_else(|| format!("'{host}' is not a host name"))?;
    let unbracket = |a: &str| a.trim_start_matches('[').trim_end_matches(']').to_string();
    // curl writes HOST:PORT:ADDR; accept it and ignore the port (ports come from the target).
    let addr = match (unbracket(addr).parse::<IpAddr>(), addr.split_once(':')) {
        (Ok(_), _) | (Err(_), None) => unbracket(addr),
        (Err(_), Some((_, rest))) => unbracket(rest),
    };
    addr.parse()
        .map(|ip| (host, ip))
        .map_err(|_| format!("'{addr}' is not an IP address"))
}

/// A `--dnsbl` zone (`zen.spamhaus.org`), or `default` for the default lists.
fn parse_dnsbl_zone(s: &str) -> Result<String, String> {
    if s.eq_ignore_ascii_case("default") {
        return Ok("default".into());
    }
    crate::target::normalize_name(s)
        .filter(|z| z.contains('.') && z.parse::<IpAddr>().is_err())
        .ok_or_else(|| {
            format!("'{s}' is not a blocklist's DNS zone (e.g. zen.spamhaus.org) or 'default'")
        })
}

/// The lists `--dnsbl` names, in order, `default` expanded, without repeats.
fn dnsbl_settings(args: &ProbeArgs) -> crate::dns::dnsbl::DnsblSettings {
    use crate::dns::dnsbl::{DEFAULT_ZONES, DnsblSettings};
    let mut zones: Vec<String> = Vec::new();
    for z in &args.dnsbl {
        let add: Vec<String> = if z == "default" {
            DEFAULT_ZONES.map(String::from).to_vec()
        } else {
            vec![z.clone()]
        };
        for z in add {
            if !zones.contains(&z) {
                zones.push(z);
            }
        }
    }
    DnsblSettings {
        off: args.no_dnsbl,
        asked: !args.dnsbl.is_empty(),
        zones: if zones.is_empty() {
            DEFAULT_ZONES.map(String::from).to_vec()
        } else {
            zones
        },
        egress_ip: args.egress_ip,
    }
}

fn parse_resolver(s: &str) -> Result<SocketAddr, String> {
    if let Ok(ip) = s
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        return Ok(SocketAddr::new(ip, 53));
    }
    s.parse::<SocketAddr>().map_err(|_| {
        format!("'{s}' is not IP or IP:PORT (e.g. 192.0.2.53, 127.0.0.1:5353 or [2001:db8::53]:53)")
    })
}

/// The options a suggested command must repeat to probe an endpoint the way this run did:
/// how names resolve, which roots are trusted, the EHLO name and the address family. Output,
/// timing and the ports are the suggestion's own business.
pub(crate) fn rerun_options(args: &ProbeArgs) -> Vec<String> {
    let mut out = Vec::new();
    for (host, ip) in &args.resolve {
        let addr = match ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("[{v6}]"),
        };
        out.push(format!(
            "--resolve {}",
            crate::diagnose::fix::shell_word(&format!("{host}:{addr}"))
        ));
    }
    for r in &args.resolver {
        out.push(format!(
            "--resolver {}",
            crate::diagnose::fix::shell_word(&r.to_string())
        ));
    }
    for f in &args.ca_file {
        out.push(format!(
            "--ca-file {}",
            crate::diagnose::fix::shell_word(&f.to_string_lossy())
        ));
    }
    if args.no_system_roots {
        out.push("--no-system-roots".into());
    }
    // The same certificate presented, so a suggested command sees what this run saw; the
    // password stays in its variable (only the variable's name is on a command line).
    if let Some(f) = &args.client_cert {
        out.push(format!(
            "--client-cert {}",
            crate::diagnose::fix::shell_word(&f.to_string_lossy())
        ));
        if let Some(k) = &args.client_key {
            out.push(format!(
                "--client-key {}",
                crate::diagnose::fix::shell_word(&k.to_string_lossy())
            ));
        }
        if let Some(v) = &args.client_cert_password_env {
            out.push(format!(
                "--client-cert-password-env {}",
                crate::diagnose::fix::shell_word(v)
            ));
        }
    }
    if let Some(n) = &args.ehlo_name {
        out.push(format!(
            "--ehlo-name {}",
            crate::diagnose::fix::shell_word(n)
        ));
    }
    for n in &args.expect_name {
        out.push(format!(
            "--expect-name {}",
            crate::diagnose::fix::shell_word(n)
        ));
    }
    if args.no_mx {
        out.push("--no-mx".into());
    }
    match family(args) {
        Family::V4 => out.push("-4".into()),
        Family::V6 => out.push("-6".into()),
        Family::Any => {}
    }
    for f in &args.expect_fingerprint {
        out.push(format!("--expect-fingerprint {}", f.colon()));
    }
    for i in &args.expect_issuer {
        out.push(format!(
            "--expect-issuer {}",
            crate::diagnose::fix::shell_word(&i.text)
        ));
    }
    out
}

/// The options that decide which endpoints a run probes, when not the default: a command
/// that makes the next `--baseline` must probe the same ones.
pub(crate) fn endpoint_options(args: &ProbeArgs) -> Vec<String> {
    let mut out = Vec::new();
    if args.port != [settings::DEFAULT_PORT] {
        let ports: Vec<String> = args.port.iter().map(u16::to_string).collect();
        out.push(format!("-p {}", ports.join(",")));
    }
    if args.implicit_tls {
        out.push("--implicit-tls".into());
    }
    if args.max_mx != settings::DEFAULT_MAX_MX {
        out.push(format!("--max-mx {}", args.max_mx));
    }
    if args.max_addresses != settings::DEFAULT_MAX_ADDRESSES {
        out.push(format!("--max-addresses {}", args.max_addresses));
    }
    out
}

/// The options of `args` that decide which endpoints a run probes, for comparing a
/// baseline's with this run's.
fn probed(args: &ProbeArgs) -> Probed {
    let mut ports = args.port.clone();
    ports.sort_unstable();
    ports.dedup();
    Probed {
        ports,
        implicit_tls: args.implicit_tls,
        max_mx: args.max_mx,
        max_addresses: args.max_addresses,
        family: match family(args) {
            Family::V4 => "-4",
            Family::V6 => "-6",
            Family::Any => "",
        },
        no_mx: args.no_mx,
    }
}

/// The words of a command line quoted for a POSIX shell, as a report's `invocation` writes
/// it: `'…'` (nothing escaped inside), `"…"` (a backslash escapes `"`, `\`, `$` and a
/// backquote) and a backslash outside quotes. `None` for an unterminated quote.
fn shell_words(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let (mut word, mut in_word) = (String::new(), false);
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
                continue;
            }
            '\'' => loop {
                match chars.next()? {
                    '\'' => break,
                    c => word.push(c),
                }
            },
            '"' => loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => match chars.next()? {
                        c @ ('"' | '\\' | '$' | '`') => word.push(c),
                        c => {
                            word.push('\\');
                            word.push(c);
                        }
                    },
                    c => word.push(c),
                }
            },
            '\\' => word.extend(chars.next()),
            c => word.push(c),
        }
        in_word = true;
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

/// The endpoint options of a baseline report's `invocation`, when it is a probe's command
/// line this version reads.
fn probed_in(invocation: &str) -> Option<Probed> {
    let words = shell_words(invocation)?;
    if words.first().map(String::as_str) != Some("starttls-check") {
        return None;
    }
    let cli = Cli::try_parse_from(words).ok()?;
    cli.command.is_none().then(|| probed(&cli.probe))
}

/// The `--baseline` file, read, each report's endpoint options compared with this run's; for
/// a one-target run (`targets` not empty), it must hold that target's report, made with the
/// same endpoint options, and one that saw something to compare.
fn baseline(
    args: &ProbeArgs,
    targets: &[Target],
) -> Result<Option<std::sync::Arc<Baseline>>, SettingsError> {
    let Some(path) = &args.baseline else {
        return Ok(None);
    };
    let mut b = Baseline::load(path)?;
    let here = probed(args);
    for r in &mut b.reports {
        r.differences = r
            .invocation
            .as_deref()
            .and_then(probed_in)
            .map(|then| then.differences(&here))
            .unwrap_or_default();
    }
    if !targets.is_empty() {
        let wanted = targets
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ");
        b.usable_for(&wanted)?;
    }
    Ok(Some(std::sync::Arc::new(b)))
}

impl ProbeArgs {
    /// The fail threshold: `--min-days`, else `--fail-days` (its default when neither is
    /// given).
    pub(crate) fn fail_days(&self) -> u32 {
        self.min_days.unwrap_or(self.fail_days)
    }

    /// The fail threshold's option as typed: `--min-days` or `--fail-days`.
    fn fail_days_option(&self) -> &'static str {
        if self.min_days.is_some() {
            "--min-days"
        } else {
            "--fail-days"
        }
    }

    /// `--warn-days`, or when not given, the default raised to the fail threshold: a lone
    /// `--min-days 45` needs no `--warn-days` to go with it.
    pub(crate) fn warn_days(&self) -> u32 {
        self.warn_days
            .unwrap_or(settings::DEFAULT_WARN_DAYS.max(self.fail_days()))
    }
}

/// `--expect-name` values, normalised; a leading `*.` is kept (an Exchange Online TlsDomain
/// may be a wildcard).
fn expected_names(args: &ProbeArgs) -> Result<Vec<String>, SettingsError> {
    args.expect_name
        .iter()
        .map(|n| {
            let name = crate::target::normalize_name(n.trim_start_matches("*."))
                .ok_or_else(|| SettingsError::ExpectName(n.clone()))?;
            Ok(if n.starts_with("*.") {
                format!("*.{name}")
            } else {
                name
            })
        })
        .collect()
}

/// The identity for the handshake, and what the rules see of it.
type Presented = (
    Option<std::sync::Arc<crate::tls::client_cert::ClientIdentity>>,
    Option<std::sync::Arc<crate::diagnose::OurClientCert>>,
);

/// `--client-cert` read (a load error is a usage error, like a bad `--ca-file`), and what the
/// rules judge of it: its chain, `--client-cert-name`, and its chain checked for client
/// authentication against this machine's roots (the receiver's are not known here).
fn client_identity(args: &ProbeArgs, trust: &TrustStore) -> Result<Presented, SettingsError> {
    let Some(path) = &args.client_cert else {
        return Ok((None, None));
    };
    let identity = crate::tls::client_cert::ClientIdentity::load(
        path,
        args.client_key.as_deref(),
        args.client_cert_password_env.as_deref(),
    )?;
    let mut names = Vec::new();
    for n in &args.client_cert_name {
        let name = crate::target::normalize_name(n.trim_start_matches("*."))
            .ok_or_else(|| SettingsError::ClientCertName(n.clone()))?;
        let name = if n.starts_with("*.") {
            format!("*.{name}")
        } else {
            name
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let chain: Vec<Vec<u8>> = identity.chain.iter().map(|c| c.to_vec()).collect();
    let checked = trust.check_client(&chain, rustls::pki_types::UnixTime::now());
    let ours = crate::diagnose::OurClientCert {
        source: identity.source.display().to_string(),
        format: identity.format,
        chain,
        names,
        trust: Some(checked),
    };
    Ok((
        Some(std::sync::Arc::new(identity)),
        Some(std::sync::Arc::new(ours)),
    ))
}

/// `items` in order, each once.
fn dedup<T: Clone + PartialEq>(items: &[T]) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for i in items {
        if !out.contains(i) {
            out.push(i.clone());
        }
    }
    out
}

fn family(args: &ProbeArgs) -> Family {
    if args.ipv4 {
        Family::V4
    } else if args.ipv6 {
        Family::V6
    } else {
        Family::Any
    }
}

/// An address target must be of the family asked for.
fn check_family(targets: &[Target], family: Family) -> Result<(), SettingsError> {
    for t in targets {
        if let Host::Ip(ip) = &t.host
            && !family.allows(ip)
        {
            return Err(SettingsError::Family {
                target: t.to_string(),
                is: if ip.is_ipv4() { 4 } else { 6 },
                asked: if family == Family::V4 { 4 } else { 6 },
            });
        }
    }
    Ok(())
}

impl ProbeArgs {
    /// Validates the probe options into settings; `targets` are checked against `-4`/`-6`.
    pub(crate) fn settings(&self, targets: &[Target]) -> Result<Settings, SettingsError> {
        let args = self;
        if args.fail_days() > args.warn_days() {
            return Err(SettingsError::Thresholds {
                warn: args.warn_days(),
                fail: args.fail_days(),
                option: args.fail_days_option(),
            });
        }
        if let Some(n) = &args.ehlo_name
            && (n.is_empty() || !n.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(SettingsError::EhloName(n.clone()));
        }
        let expected = expected_names(args)?;
        let family = family(args);
        check_family(targets, family)?;
        let trust = TrustStore::load(&args.ca_file, !args.no_system_roots)?;
        let (identity, ours) = client_identity(args, &trust)?;
        let mut overrides: HashMap<String, Vec<IpAddr>> = HashMap::new();
        for (host, ip) in &args.resolve {
            overrides.entry(host.clone()).or_default().push(*ip);
        }
        let step = Duration::from_secs_f64(args.timeout);
        Ok(Settings {
            routing: RouteSettings {
                ports: args.port.clone(),
                family,
                overrides,
                mx: !args.no_mx,
                max_mx: usize::from(args.max_mx),
                max_addresses: usize::from(args.max_addresses),
            },
            implicit_tls: args.implicit_tls,
            resolvers: args.resolver.clone(),
            probe: ProbeConfig {
                ehlo_name: args.ehlo_name.clone(),
                local_hostname: local_hostname(),
                step_timeout: step,
                deadline: Instant::now(),
                trust: trust.clone(),
                sni_fallback: expected.iter().find(|n| !n.starts_with('*')).cloned(),
                check_required: args.check_required,
                client_cert: identity,
            },
            overall: args
                .deadline
                .map_or(step * DEADLINE_IN_TIMEOUTS, Duration::from_secs_f64),
            policy: Policy {
                warn_days: i64::from(args.warn_days()),
                fail_days: i64::from(args.fail_days()),
                expected_names: expected,
                extra_roots: !args.ca_file.is_empty(),
                expect_required: args.expect_required,
                rerun_options: rerun_options(args),
                expected_fingerprints: dedup(&args.expect_fingerprint),
                expected_issuers: dedup(&args.expect_issuer),
                baseline: baseline(args, targets)?,
                endpoint_options: endpoint_options(args),
                client_cert: ours,
            },
            concurrency: usize::from(args.concurrency),
            dnsbl: dnsbl_settings(args),
            domain_policy: crate::policy::PolicyConfig {
                enabled: !args.no_policy,
                trust_resolver: args.trust_resolver,
                dns_servers: args.resolver.clone(),
                fetch: crate::fetch::FetchConfig {
                    connect_to: args.connect_to.clone(),
                    step_timeout: step,
                    trust: trust.clone(),
                },
            },
        })
    }
}

/// The targets in a command line clap refused, as a report names them (`Target`'s display,
/// space-separated); words that are no target are left out, and the demo has none. Option
/// values are skipped by what the option takes, as clap would read them.
pub(crate) fn targets_in(words: &[String]) -> String {
    let (_, positional) = split_words(words);
    // A subcommand's words are no targets: the demo has none, explain's text is text,
    // exchange-config's are files, and completions and man write text and probe nothing.
    if positional
        .first()
        .is_some_and(|w| SUBCOMMANDS.contains(&w.as_str()))
    {
        return String::new();
    }
    positional
        .iter()
        .filter_map(|w| w.parse::<Target>().ok())
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The words of a command line, as clap reads them, in two lists: each option with its
/// value (one word or two), and the positional words.
pub(crate) fn split_words(words: &[String]) -> (Vec<Vec<&String>>, Vec<&String>) {
    use clap::CommandFactory;
    let cli = Cli::command();
    // `--dnsbl[=ZONE]` takes its value only after `=`: the next word is a target.
    let takes_value = |a: &clap::Arg| a.get_action().takes_values() && !a.is_require_equals_set();
    let long = |name: &str| cli.get_arguments().find(|a| a.get_long() == Some(name));
    let short = |c: char| cli.get_arguments().find(|a| a.get_short() == Some(c));
    let (mut options, mut positional) = (Vec::new(), Vec::new());
    let mut rest = words.iter();
    while let Some(word) = rest.next() {
        let mut option = vec![word];
        if word == "--" {
            positional.extend(rest.by_ref());
            continue;
        } else if let Some(name) = word.strip_prefix("--") {
            if !name.contains('=') && long(name).is_some_and(takes_value) {
                option.extend(rest.next());
            }
        } else if let Some(cluster) = word.strip_prefix('-').filter(|c| !c.is_empty()) {
            // `-4v`, `-p25`, `-p 25`: the first short option that takes a value takes the
            // rest of the word, or the next word when nothing follows it.
            if let Some((at, c)) = cluster
                .char_indices()
                .find(|&(_, c)| short(c).is_some_and(takes_value))
                && at + c.len_utf8() == cluster.len()
            {
                option.extend(rest.next());
            }
        } else {
            positional.push(word);
            continue;
        }
        options.push(option);
    }
    (options, positional)
}

/// This machine's host name as the system gives it (gethostname(2) on Unix, the computer's
/// DNS host name on Windows), used for EHLO when it is an FQDN (`probe::default_ehlo_name`).
fn local_hostname() -> Option<String> {
    hostname::get()
        .ok()
        .and_then(|name| name.into_string().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every subcommand has its guide and is in SUBCOMMANDS (whose words are never targets).
    #[test]
    fn every_subcommand_is_listed_and_has_its_own_guide() {
        let cli = Cli::command();
        let names: Vec<&str> = cli.get_subcommands().map(clap::Command::get_name).collect();
        assert_eq!(names, SUBCOMMANDS);
        for sub in SUBCOMMANDS {
            let g = guide(Some(sub));
            assert!(!std::ptr::eq(g.examples, MAIN_GUIDE.examples), "{sub}");
            assert!(g.examples.iter().all(|e| e.line.contains(sub)), "{sub}");
        }
    }

    /// Examples are shown as they are, one per line at 80 columns (2 columns of indent for
    /// the command, 6 for what it does); exit codes start with code 0 under a heading.
    #[test]
    fn guides_fit_80_columns() {
        for sub in std::iter::once(None).chain(SUBCOMMANDS.map(Some)) {
            let g = guide(sub);
            for e in g.examples {
                assert!(e.line.chars().count() <= 78, "{sub:?}: {}", e.line);
                assert!(e.does.chars().count() <= 74, "{sub:?}: {}", e.does);
                assert!(!e.line.contains('\n') && !e.does.contains('\n'));
            }
            let mut lines = g.exit_codes.lines();
            assert!(lines.next().is_some_and(|h| h.starts_with("Exit codes")));
            assert!(
                lines.next().is_some_and(|l| l.starts_with("  0  ")),
                "{sub:?}"
            );
            assert!(
                g.exit_codes.lines().all(|l| l.chars().count() <= 80),
                "{sub:?}"
            );
        }
    }

    #[test]
    fn numbers_out_of_range_say_so() {
        assert_eq!(parse_secs("2.5"), Ok(2.5));
        assert_eq!(
            parse_secs("-1").unwrap_err(),
            "-1 is out of range (0.05-3600 seconds)"
        );
        assert_eq!(
            parse_secs("0").unwrap_err(),
            "0 is out of range (0.05-3600 seconds)"
        );
        assert_eq!(
            parse_secs("soon").unwrap_err(),
            "'soon' is not a number of seconds (0.05-3600)"
        );
        let n = whole::<u16>(1, 100);
        assert_eq!(n("10"), Ok(10));
        assert_eq!(n("-1").unwrap_err(), "-1 is out of range (1-100)");
        assert_eq!(n("101").unwrap_err(), "101 is out of range (1-100)");
        assert_eq!(
            n("99999999999999999999999").unwrap_err(),
            "99999999999999999999999 is out of range (1-100)"
        );
        assert_eq!(n("ten").unwrap_err(), "'ten' is not a whole number (1-100)");
        assert_eq!(n("1.5").unwrap_err(), "'1.5' is not a whole number (1-100)");
        // The range fits the type: 65536 does not fit a u16.
        assert!(whole::<u16>(0, 100_000)("65536").is_err());
    }

    #[test]
    fn targets_of_a_refused_command_line() {
        let t =
            |words: &[&str]| targets_in(&words.iter().map(|w| w.to_string()).collect::<Vec<_>>());
        assert_eq!(t(&["MX.Example", "--timeout", "-1"]), "mx.example");
        assert_eq!(
            t(&["--format", "json", "a.example", "--bogus", "b.example"]),
            "a.example b.example"
        );
        assert_eq!(
            t(&[
                "-p",
                "25",
                "a.example",
                "-p25",
                "-4vp",
                "587",
                "b.example:26"
            ]),
            "a.example b.example:26"
        );
        assert_eq!(
            t(&[
                "--ca-file=x.pem",
                "bad..name",
                "ok.example",
                "mx.example:99999"
            ]),
            "ok.example"
        );
        assert_eq!(
            t(&["--resolve", "a.example:127.0.0.1", "--", "-x", "[::1]:25"]),
            "[::1]:25"
        );
        assert_eq!(t(&["demo", "--format", "json", "--bogus"]), "");
        assert_eq!(t(&["explain", "cert-expired", "mx.example", "--bogus"]), "");
        assert_eq!(t(&["completions", "mx.example", "--bogus"]), "");
        assert_eq!(t(&["man", "mx.example", "--bogus"]), "");
        assert_eq!(t(&["exchange-config", "certs.txt", "--bogus"]), "");
        assert_eq!(t(&["--format", "json"]), "");
    }

    /// What a suggested command repeats: the options that reach the endpoint the same way,
    /// each one word for a POSIX shell whatever the user typed.
    #[test]
    fn a_suggested_command_repeats_how_this_run_reached_the_endpoint() {
        let cli = Cli::try_parse_from([
            "starttls-check",
            "mail.example.test",
            "--resolve",
            "mail.example.test:[::1]",
            "--resolver",
            "127.0.0.1:5353",
            "--ca-file",
            "/tmp/my certs/it's.pem",
            "--no-system-roots",
            "--ehlo-name",
            "probe.example.net",
            "-6",
            "--format",
            "json",
            "--timeout",
            "3",
            "-p",
            "25,587",
        ])
        .unwrap();
        assert_eq!(
            rerun_options(&cli.probe),
            [
                "--resolve 'mail.example.test:[::1]'",
                "--resolver 127.0.0.1:5353",
                "--ca-file '/tmp/my certs/it'\\''s.pem'",
                "--no-system-roots",
                "--ehlo-name probe.example.net",
                "-6",
            ]
        );
    }

    /// The renewal options: what the policy and a suggested command get from them, and the
    /// thresholds with `--min-days`.
    #[test]
    fn renewal_options_parse_into_the_policy_and_the_suggested_command() {
        let hex = "5A2C7E39D1B4F6088A1C3E5F7092B4D6E8FA1C3E5F7092B4D6E8FA1C3E5F7092";
        let cli = Cli::try_parse_from([
            "starttls-check",
            "contoso.com",
            "--expect-fingerprint",
            &format!("sha256:{}", hex.to_ascii_lowercase()),
            "--expect-fingerprint",
            hex,
            "--expect-issuer",
            "Let's Encrypt",
            "--min-days",
            "45",
            "-p",
            "25,587",
        ])
        .unwrap();
        assert_eq!(cli.probe.expect_fingerprint.len(), 2);
        assert_eq!(dedup(&cli.probe.expect_fingerprint).len(), 1);
        assert_eq!((cli.probe.warn_days(), cli.probe.fail_days()), (45, 45));
        let colon = Fingerprint::parse(hex).unwrap().colon();
        let rerun = rerun_options(&cli.probe);
        assert!(
            rerun.contains(&format!("--expect-fingerprint {colon}")),
            "{rerun:?}"
        );
        assert!(
            rerun.contains(&r"--expect-issuer 'Let'\''s Encrypt'".to_string()),
            "{rerun:?}"
        );
        assert_eq!(endpoint_options(&cli.probe), ["-p 25,587"]);
        // A threshold given explicitly still has to be consistent.
        let cli = Cli::try_parse_from([
            "starttls-check",
            "contoso.com",
            "--warn-days",
            "10",
            "--min-days",
            "20",
        ])
        .unwrap();
        let e = cli.probe.settings(&[]).unwrap_err();
        assert!(matches!(
            e,
            SettingsError::Thresholds {
                warn: 10,
                fail: 20,
                ..
            }
        ));
        // The defaults stand without them.
        let cli = Cli::try_parse_from(["starttls-check", "contoso.com"]).unwrap();
        assert_eq!((cli.probe.warn_days(), cli.probe.fail_days()), (30, 7));
    }

    /// Every message about the fail threshold names the option typed: a value out of range,
    /// both spellings at once, a threshold above --warn-days.
    #[test]
    fn the_fail_threshold_is_named_as_typed() {
        let refused = |w: &[&str]| {
            let mut all = vec!["starttls-check", "contoso.com"];
            all.extend_from_slice(w);
            Cli::try_parse_from(all).unwrap_err().to_string()
        };
        let e = refused(&["--min-days", "-5"]);
        assert!(e.contains("'--min-days <DAYS>'"), "{e}");
        assert!(!e.contains("--fail-days"), "{e}");
        let e = refused(&["--fail-days", "-5"]);
        assert!(e.contains("'--fail-days <DAYS>'"), "{e}");
        let e = refused(&["--min-days", "30", "--fail-days", "20"]);
        assert!(
            e.contains("'--min-days <DAYS>'") && e.contains("'--fail-days <DAYS>'"),
            "{e}"
        );
        assert!(!e.contains("multiple times"), "{e}");
        let option = |w: &[&str]| {
            let mut all = vec!["starttls-check", "contoso.com", "--warn-days", "5"];
            all.extend_from_slice(w);
            let cli = Cli::try_parse_from(all).unwrap();
            cli.probe.settings(&[]).unwrap_err().to_string()
        };
        assert_eq!(
            option(&["--min-days", "9"]),
            "--min-days (9) must not be larger than --warn-days (5)"
        );
        assert_eq!(
            option(&["--fail-days=9"]),
            "--fail-days (9) must not be larger than --warn-days (5)"
        );
    }

    /// A baseline's command line, as `invocation` quotes it, reads back into the options
    /// that decide the endpoints; what differs from this run is said once per option.
    #[test]
    fn a_baseline_invocation_reads_back_into_its_endpoint_options() {
        assert_eq!(
            shell_words(r#"starttls-check 'a b' --ca-file '/tmp/it'\''s.pem' x\ y "q\"r""#)
                .unwrap(),
            [
                "starttls-check",
                "a b",
                "--ca-file",
                "/tmp/it's.pem",
                "x y",
                "q\"r"
            ]
        );
        assert_eq!(shell_words("starttls-check 'open"), None);
        let then = probed_in(
            "starttls-check contoso.com -p 587,25 --implicit-tls -4 --format json --baseline 'old b.json'",
        )
        .unwrap();
        assert_eq!(then.ports, [25, 587]);
        let now = Cli::try_parse_from(["starttls-check", "contoso.com", "-p", "25,587"]).unwrap();
        assert_eq!(
            then.differences(&probed(&now.probe)),
            [
                "-4 in the baseline, both address families in this run",
                "--implicit-tls in the baseline, not in this run",
            ]
        );
        assert!(then.differences(&then).is_empty());
        assert_eq!(probed_in("starttls-check demo"), None);
        assert_eq!(probed_in("curl https://example.com"), None);
    }

    #[test]
    fn a_thumbprint_given_as_a_fingerprint_is_refused_by_name() {
        let e = Cli::try_parse_from([
            "starttls-check",
            "contoso.com",
            "--expect-fingerprint",
            "D2A7F0B6C1E3A4958B7C6D5E4F3A2B1C0D9E8F7A",
        ])
        .unwrap_err();
        let text = e.to_string();
        assert!(text.contains("--expect-fingerprint <SHA256>"), "{text}");
        assert!(text.contains("SHA-1 thumbprint"), "{text}");
        assert!(
            Cli::try_parse_from(["starttls-check", "x.example", "--expect-issuer", "CN="]).is_err()
        );
    }

    #[test]
    fn dnsbl_takes_its_zone_only_after_an_equals_sign() {
        let parse = |words: &[&str]| {
            Cli::try_parse_from(std::iter::once("starttls-check").chain(words.iter().copied()))
        };
        // The word after a bare --dnsbl is a target, never a list.
        let cli = parse(&["--dnsbl", "contoso.com"]).unwrap();
        assert_eq!(cli.targets.len(), 1);
        assert_eq!(cli.probe.dnsbl, ["default"]);
        let d = dnsbl_settings(&cli.probe);
        assert!(d.asked && !d.off);
        assert_eq!(d.zones, crate::dns::dnsbl::DEFAULT_ZONES);
        let cli = parse(&["--dnsbl=bl.example.org", "--dnsbl=default", "contoso.com"]).unwrap();
        assert_eq!(
            dnsbl_settings(&cli.probe).zones,
            [
                "bl.example.org",
                "zen.spamhaus.org",
                "b.barracudacentral.org",
                "bl.spamcop.net"
            ]
        );
        // Without --dnsbl: the default lists, asked only when EOP withholds STARTTLS.
        let d = dnsbl_settings(&parse(&["contoso.com"]).unwrap().probe);
        assert!(!d.asked && !d.off);
        assert!(parse(&["--dnsbl=203.0.113.7", "contoso.com"]).is_err());
        assert!(parse(&["--dnsbl=nodot", "contoso.com"]).is_err());
        assert!(parse(&["--no-dnsbl", "--dnsbl", "contoso.com"]).is_err());
        assert!(parse(&["--no-dnsbl", "--egress-ip", "192.0.2.7", "contoso.com"]).is_err());
        let t =
            |words: &[&str]| targets_in(&words.iter().map(|w| w.to_string()).collect::<Vec<_>>());
        assert_eq!(t(&["--dnsbl", "contoso.com", "--bogus"]), "contoso.com");
        assert_eq!(
            t(&["--egress-ip", "192.0.2.7", "contoso.com", "--bogus"]),
            "contoso.com"
        );
    }

    #[test]
    fn resolve_accepts_curl_and_bracket_forms() {
        assert_eq!(
            parse_resolve("Mail.Contoso.com:203.0.113.5").unwrap(),
            ("mail.contoso.com".into(), "203.0.113.5".parse().unwrap())
        );
        assert_eq!(
            parse_resolve("mx.example:[2001:db8::5]").unwrap().1,
            "2001:db8::5".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            parse_resolve("mx.example:2001:db8::5").unwrap().1,
            "2001:db8::5".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            parse_resolve("mx.example:25:127.0.0.2").unwrap().1,
            "127.0.0.2".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            parse_resolver("127.0.0.1:5353").unwrap(),
            "127.0.0.1:5353".parse().unwrap()
        );
        assert_eq!(parse_resolver("::1").unwrap(), "[::1]:53".parse().unwrap());
        assert!(parse_resolver("ns.example").is_err());
        assert!(parse_resolve("mx.example").is_err());
        assert!(parse_resolve("mx.example:nope").is_err());
    }

    #[test]
    fn connect_to_rules_parse_like_curls() {
        let r = parse_connect_to("MTA-STS.Example.com.:443:127.0.0.1:8443").unwrap();
        assert_eq!((r.host.as_str(), r.port), ("mta-sts.example.com", 443));
        assert_eq!(r.to, "127.0.0.1:8443".parse().unwrap());
        let r = parse_connect_to("h.example:443:[::1]:8443").unwrap();
        assert_eq!(r.to, "[::1]:8443".parse().unwrap());
        for bad in [
            "h.example:443:127.0.0.1",
            "h.example:0:127.0.0.1:1",
            "h.example:443:localhost:8443",
            "bad_host!:443:127.0.0.1:8443",
            ":443:127.0.0.1:8443",
            "h.example:443:127.0.0.1:99999",
        ] {
            assert!(parse_connect_to(bad).is_err(), "{bad}");
        }
    }
}
