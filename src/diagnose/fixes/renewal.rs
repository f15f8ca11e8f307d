//! Fixes for a renewal check: a node that serves another certificate than expected, a CA other
//! than intended, and what changed since a baseline run. Installing a certificate is
//! [`super::install_certificate`]'s, in the server's own language; what is added here is how to
//! find the expected certificate on the node, why a renewed file may not be served yet, and
//! the command that declares an intended change to the job.
//!
//! # References
//! - Microsoft Learn: Get-ExchangeCertificate, Enable-ExchangeCertificate, Set-ReceiveConnector
//!   and Set-SendConnector (`-TlsCertificateName <I>issuer<S>subject`), X509Certificate2.RawData,
//!   "Transport Layer Security (TLS) registry settings" (SCHANNEL protocols)
//! - postconf(5): `smtpd_tls_cert_file`, `smtpd_tls_chain_files`, `smtpd_tls_protocols`;
//!   Postfix reads the certificate when an smtpd process starts, so `postfix reload` after a
//!   renewal (certbot: `--deploy-hook`)
//! - OpenSSL x509(1) `-fingerprint -sha256`, s_client(1) `-starttls smtp`, `-tls1_3`
//! - RFC 7671 §8.1 (TLSA records across a certificate or key rollover), RFC 7672 §3.1

use std::net::{IpAddr, SocketAddr};

use super::exchange;
use crate::baseline::Fingerprint;
use crate::cert::CertInfo;
use crate::diagnose::ServerKind;
use crate::diagnose::fix::{Family, Fix, Shell, shell_word};

const SH: Shell = Shell::Shell;
const EMS: Shell = Shell::ExchangeManagementShell;
const POSTFIX: Shell = Shell::PostfixShell;
const WINDOWS: Shell = Shell::WindowsPowerShell;

fn fix(template: &'static str, values: &[&str]) -> Fix {
    Fix::new(Family::Generic, template, values)
}

/// What a command that reruns this check needs: the target, the options that reach the
/// endpoints the same way (already quoted for a POSIX shell), and the baseline file.
#[derive(Debug, Clone, Copy)]
pub struct Rerun<'a> {
    /// The target, as the report names it.
    pub target: &'a str,
    /// `cli::rerun_options`: how names resolve, trust, EHLO name, family, expectations.
    pub options: &'a [String],
    /// The options that decide which endpoints are probed (`-p`, `--implicit-tls`, caps).
    pub endpoint_options: &'a [String],
    /// The `--baseline` file, as given.
    pub baseline: &'a str,
    /// The baseline is one report (not a batch or JSON Lines of several targets).
    pub single: bool,
}

impl Rerun<'_> {
    /// `starttls-check TARGET OPTIONS… EXTRA…`.
    fn command(&self, extra: &[String]) -> String {
        let mut words = vec!["starttls-check".to_string(), shell_word(self.target)];
        words.extend(self.endpoint_options.iter().cloned());
        words.extend(self.options.iter().cloned());
        words.extend(extra.iter().cloned());
        words.join(" ")
    }

    /// What varies the sentence of [`Rerun::keep_as_baseline`], for a fix key.
    fn keep_key(&self) -> String {
        format!("{} {}", self.baseline, self.single)
    }

    /// The sentence that keeps this run as the next baseline: the file for a baseline of one
    /// report, the batch's own run for a batch's (the list is the job's).
    fn keep_as_baseline(&self, fix: Fix) -> Fix {
        if self.single {
            fix.say(format!(
                "Keep this run's JSON (--format json) as the next baseline, in place of {}.",
                self.baseline
            ))
        } else {
            fix.say(format!(
                "Keep this run as the next baseline: run the batch again without --baseline, with --format json (or jsonl) into {}.",
                self.baseline
            ))
        }
    }
}

/// Finds the certificates of this Windows server whose SHA-256 is one of `expected`, with
/// the thumbprint Exchange's cmdlets take (Microsoft Learn, X509Certificate2.RawData: the DER
/// the fingerprint hashes).
fn find_by_sha256(expected: &[Fingerprint]) -> String {
    let list = expected
        .iter()
        .map(|f| format!("'{}'", f.plain()))
        .collect::<Vec<_>>()
        .join(",");
    format!(
        "Get-ChildItem Cert:\\LocalMachine\\My | Where-Object {{ @({list}) -contains ([BitConverter]::ToString([Security.Cryptography.SHA256]::Create().ComputeHash($_.RawData)) -replace '-') }} | fl Thumbprint,Subject,Issuer,NotAfter"
    )
}

/// The steps before installing: is the expected certificate already there, and loaded?
fn already_there(fix: Fix, kind: ServerKind, expected: &[Fingerprint]) -> Fix {
    match kind {
        ServerKind::Exchange => fix
            .say("On each of these servers, see whether it already has the certificate (Exchange Management Shell). If it is listed, use its Thumbprint as the new thumbprint below and skip the import:")
            .run(EMS, find_by_sha256(expected)),
        ServerKind::Postfix => fix
            .say("On each of these hosts, see which certificate file Postfix is told to use (main.cf, or an -o override of the port's service), set cert= to that file and print its SHA-256. If it is already the expected one, Postfix has not re-read it since it changed (smtpd reads the certificate when it starts): reload, and the steps after that are not needed:")
            .run(POSTFIX, "postconf -n | grep -E '^smtpd_tls_(cert_file|chain_files) '")
            .run(POSTFIX, "postconf -P | grep -E '/smtpd_tls_(cert_file|chain_files) '")
            .run(POSTFIX, "openssl x509 -in \"${cert:?}\" -noout -fingerprint -sha256 -subject -enddate")
            .run(POSTFIX, super::postfix::reload()),
        ServerKind::ExchangeOnline => fix,
        _ => fix.say(
            "A server reads its certificate when it starts: if the node already has the new file, reload or restart its SMTP service (and the load balancer or gateway in front of it, if that ends TLS).",
        ),
    }
}

/// The endpoints of the finding serve `leaf` (or an unparsable certificate) instead of one of
/// `expected`.
pub fn serve_expected(
    kind: ServerKind,
    port: u16,
    leaf: Option<&CertInfo>,
    expected: &[Fingerprint],
) -> Fix {
    let list = expected
        .iter()
        .map(Fingerprint::colon)
        .collect::<Vec<_>>()
        .join(", ");
    let what = match expected {
        [one] => format!(
            "Install the expected certificate (SHA-256 {}) on every node of this finding.",
            one.colon()
        ),
        _ => format!(
            "Install one of the expected certificates (SHA-256 {list}) on every node of this finding."
        ),
    };
    let class = match kind {
        ServerKind::Postfix => "postfix",
        ServerKind::Exchange => "exchange",
        _ => "other",
    };
    let base = fix("renewal::serve_expected", &[&list, class]).say(
        "These endpoints completed TLS with another certificate than --expect-fingerprint names: a node that did not get the renewed certificate, or got it without loading it.",
    );
    already_there(base, kind, expected)
        .followed_by(super::install_certificate(kind, port, &what, leaf))
}

/// The certificate `leaf` comes from another CA than `wanted`; `pinned`: it is one of
/// `--expect-fingerprint`, so the option is what is wrong.
pub fn issuer_expected(
    kind: ServerKind,
    port: u16,
    leaf: &CertInfo,
    wanted: &[&str],
    pinned: bool,
) -> Fix {
    let wanted = wanted.join("; ");
    if pinned {
        return fix("renewal::issuer_option", &[&wanted, &leaf.issuer]).say(format!(
            "This certificate is one that --expect-fingerprint names, so it was installed on purpose; its issuer is {}, which no --expect-issuer ({wanted}) matches. Correct --expect-issuer: a word of the issuer's CN or O, or attributes of its DN.",
            leaf.issuer
        ));
    }
    let what = format!(
        "Get a certificate for {} from the CA you expect ({wanted}); this one was issued by {}.",
        leaf.names_shown(),
        leaf.issuer
    );
    fix("renewal::issuer_expected", &[&wanted])
        .say("The certificate comes from another CA than the job expects: an ACME client that fell back to another CA, a staging or internal CA's certificate, or an appliance in front that presents its own.")
        .followed_by(super::install_certificate(kind, port, &what, Some(leaf)))
}

/// The endpoint presented no certificate, so `option` could not be checked.
pub fn no_certificate_seen(option: &str) -> Fix {
    fix("renewal::no_certificate_seen", &[option]).say(format!(
        "The probe saw no certificate on this endpoint, so {option} could not be checked; the evidence says where it stopped. Make it complete the TLS handshake, then run the check again."
    ))
}

/// What the certificate served now is, next to the baseline's: only a certificate from a CA,
/// newer than the baseline's, is offered as a renewal to declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewCert {
    /// From a CA, not older than the baseline's: perhaps a renewal.
    Renewal,
    /// Self-signed: no CA issued it (its issuer is its own name).
    SelfSigned,
    /// Expired already.
    Expired,
    /// Issued or ending before the baseline's: a rollback to an older certificate.
    Older,
}

impl NewCert {
    /// What the summary of a change adds: `; the new one is self-signed`.
    pub fn note(self) -> &'static str {
        match self {
            NewCert::Renewal => "",
            NewCert::SelfSigned => "; the new one is self-signed",
            NewCert::Expired => "; the new one has expired",
            NewCert::Older => {
                "; it is older than the baseline's: this looks like a rollback to an older certificate"
            }
        }
    }
}

/// What a certificate change since the baseline is written from.
#[derive(Debug, Clone)]
pub struct CertChange<'a> {
    /// How to rerun the check.
    pub rerun: Rerun<'a>,
    /// The server software.
    pub kind: ServerKind,
    /// The host, when it is a name fit to paste.
    pub host: Option<String>,
    /// The port.
    pub port: u16,
    /// The certificate served now.
    pub now: Fingerprint,
    /// The job declares it (`--expect-fingerprint`), or the baseline saw none.
    pub declared: bool,
    /// What the new certificate is.
    pub new_is: NewCert,
}

/// The command that lists the DANE TLSA records of `host` on `port`.
fn tlsa(host: Option<&str>, port: u16) -> Option<String> {
    host.map(|h| format!("dig +short TLSA _{port}._tcp.{h}"))
}

/// The TLSA records, which pin a certificate, its key or its CA (`what`).
fn dane(fix: Fix, lookup: Option<&str>, what: &str) -> Fix {
    match lookup {
        Some(cmd) => fix
            .say(format!(
                "If the domain publishes DANE TLSA records for this host, they must match the {what} before senders see it (RFC 7671 §8.1); list them:"
            ))
            .run(SH, cmd),
        None => fix,
    }
}

/// The certificate differs from the baseline's.
pub fn certificate_changed(c: &CertChange<'_>) -> Fix {
    if c.declared {
        return c.rerun.keep_as_baseline(
            fix("renewal::certificate_declared", &[&c.rerun.keep_key()])
                .say("Nothing to change: the job declares this certificate."),
        );
    }
    let declare = c.rerun.command(&[
        "--expect-fingerprint".to_string(),
        c.now.colon(),
        "--baseline".to_string(),
        shell_word(c.rerun.baseline),
    ]);
    let exchange = c.kind == ServerKind::Exchange;
    let lookup = tlsa(c.host.as_deref(), c.port);
    let ex = exchange.to_string();
    let mut f = match c.new_is {
        NewCert::Renewal => fix(
            "renewal::certificate_changed",
            &[&declare, &ex, lookup.as_deref().unwrap_or_default()],
        )
            .say("If this is a renewal you made, declare it, so the job passes and a later change still warns:")
            .run(SH, declare.as_str())
            .say("If nobody renewed it, find out where it comes from: the evidence gives its subject, issuer and dates."),
        NewCert::Older => fix("renewal::certificate_older", &[&declare, &ex])
            .say("This looks like a rollback to an older certificate: the one served now was issued, or ends, before the baseline's. A node restored from an old image or backup, an old file put back, or a load balancer that sends some connections to a node that was not renewed. Find out where it comes from and install the current certificate; the evidence gives both certificates' dates.")
            .say("Only if going back to it was intended, declare it:")
            .run(SH, declare.as_str()),
        NewCert::SelfSigned => fix("renewal::certificate_self_signed", &[&ex]).say(
            "The new certificate is self-signed: no CA issued it, so it is no renewal to declare. A server falls back to a self-signed certificate of its own when it cannot load the configured one (a wrong path, a key that does not match, file permissions), or a device in front now presents its own. Find out where it comes from and install the CA-issued certificate again (see cert-self-signed).",
        ),
        NewCert::Expired => fix("renewal::certificate_expired", &[&ex]).say(
            "The new certificate has already expired, so it is no renewal to declare: an old certificate put back (a backup, an old image or snapshot of the node), or a device in front with its own. Find out where it comes from and install the current certificate (see cert-expired).",
        ),
    };
    if exchange {
        f = f.run(EMS, exchange::list_smtp_certificates());
    }
    if c.new_is != NewCert::Renewal {
        return f;
    }
    dane(
        f,
        lookup.as_deref(),
        "new certificate (usage 3) or its CA (usage 2)",
    )
}

/// What an issuer change since the baseline is written from.
#[derive(Debug, Clone)]
pub struct IssuerChange<'a> {
    /// How to rerun the check.
    pub rerun: Rerun<'a>,
    /// The server software.
    pub kind: ServerKind,
    /// The host, when it is a name fit to paste.
    pub host: Option<String>,
    /// The port.
    pub port: u16,
    /// The SHA-1 thumbprint of the certificate served now (computed here: safe to paste).
    pub thumbprint: &'a str,
    /// A plain name of the new issuer (its CN or O) to suggest for `--expect-issuer`.
    pub issuer_name: Option<String>,
    /// The job declares it.
    pub declared: bool,
    /// What the certificate served now is: a self-signed or expired one has no CA to
    /// declare.
    pub new_is: NewCert,
}

/// Points Exchange's connectors at the certificate `thumbprint` by issuer and subject.
fn exchange_connectors(f: Fix, thumbprint: &str) -> Fix {
    f.say("Exchange names a connector's certificate by issuer and subject (TlsCertificateName <I>issuer<S>subject): a connector that still names the old issuer finds no certificate, and a receive connector then offers no STARTTLS. List them, then point them at the new certificate:")
        .run(EMS, "Get-ReceiveConnector | Where-Object { $_.TlsCertificateName } | fl Identity,TlsCertificateName")
        .run(EMS, "Get-SendConnector | Where-Object { $_.TlsCertificateName } | fl Identity,TlsCertificateName")
        .run(EMS, exchange::tls_certificate_name(thumbprint))
        .run(EMS, exchange::set_connector(exchange::CONNECTOR_FROM_ABOVE, "-TlsCertificateName $n"))
        .run(EMS, exchange::set_send_connector_certificate())
        .run(EMS, exchange::restart_transport_services())
}

/// The issuer differs from the baseline's.
pub fn issuer_changed(c: &IssuerChange<'_>) -> Fix {
    if c.declared {
        return c.rerun.keep_as_baseline(
            fix("renewal::issuer_declared", &[&c.rerun.keep_key()])
                .say("Nothing to change: the job declares this certificate or its CA."),
        );
    }
    let thumbprint = if c.kind == ServerKind::Exchange {
        c.thumbprint
    } else {
        ""
    };
    let lookup = tlsa(c.host.as_deref(), c.port);
    let declare = c.issuer_name.as_deref().map(|name| {
        c.rerun.command(&[
            "--expect-issuer".to_string(),
            shell_word(name),
            "--baseline".to_string(),
            shell_word(c.rerun.baseline),
        ])
    });
    // A self-signed or expired certificate is no new CA to adopt: no connector to point at it,
    // no TLSA record to change, nothing to declare.
    match c.new_is {
        NewCert::SelfSigned => {
            return fix("renewal::issuer_self_signed", &[]).say(
                "The certificate is self-signed: its issuer is its own name, not a CA, so there is no new CA to declare. Install the CA-issued certificate again (see cert-self-signed and baseline-certificate-changed).",
            );
        }
        NewCert::Expired => {
            return fix("renewal::issuer_expired", &[]).say(
                "The certificate has already expired: there is no new CA to declare. Install the current certificate (see cert-expired and baseline-certificate-changed).",
            );
        }
        NewCert::Renewal | NewCert::Older => {}
    }
    let f = fix(
        "renewal::issuer_changed",
        &[
            thumbprint,
            lookup.as_deref().unwrap_or_default(),
            declare.as_deref().unwrap_or_default(),
        ],
    );
    let f = if thumbprint.is_empty() {
        f
    } else {
        exchange_connectors(f, thumbprint)
    };
    let f = dane(
        f,
        lookup.as_deref(),
        "new CA (usage 2) or certificate (usage 3)",
    );
    match declare {
        Some(cmd) => f.say("If the new CA is intended, declare it:").run(SH, cmd),
        None => f.say("If the new CA is intended, declare it with --expect-issuer."),
    }
}

/// The endpoint at `address` negotiates `now` (a version, or what the failed handshake
/// showed, in words), lower than `then` in the baseline.
pub fn version_lower(
    kind: ServerKind,
    address: SocketAddr,
    starttls: bool,
    then: &str,
    now: &str,
) -> Fix {
    let addr = address.to_string();
    let starttls_flag = if starttls { " -starttls smtp" } else { "" };
    let class = match kind {
        ServerKind::Postfix => "postfix",
        ServerKind::Exchange => "exchange",
        _ => "other",
    };
    let mut f = fix(
        "renewal::version_lower",
        &[class, &addr, &starttls.to_string(), then, now],
    )
    .say(format!(
        "The endpoint negotiated {then} in the baseline run; now: {now}. This client offers TLS 1.3 and 1.2 alike, so what answers on port {} changed (the server's software or settings, or a device in front that ends TLS). See whether it still accepts {then}:",
        address.port()
    ))
    .run(SH, format!("openssl s_client -connect {addr}{starttls_flag} {} </dev/null", s_client_flag(then)));
    f = match kind {
        ServerKind::Postfix => f
            .say("Compare the protocol settings (main.cf, and the -o overrides of master.cf) and the OpenSSL version with a node that still negotiates it:")
            .run(POSTFIX, "postconf smtpd_tls_protocols smtpd_tls_mandatory_protocols")
            .run(POSTFIX, "postconf -P | grep -i tls_protocols")
            .run(POSTFIX, "openssl version"),
        ServerKind::Exchange => f
            .say("Windows decides the protocols Exchange offers (SCHANNEL; TLS 1.3 from Windows Server 2022). Compare the protocol settings with a node that still negotiates it:")
            .run(WINDOWS, "Get-ChildItem 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols' -Recurse | Get-ItemProperty | fl PSPath,Enabled,DisabledByDefault"),
        _ => f,
    };
    f
}

/// The s_client(1) option that offers only `version` (`TLS 1.2` → `-tls1_2`).
fn s_client_flag(version: &str) -> String {
    match version.strip_prefix("TLS 1.") {
        Some("0") => "-tls1".to_string(),
        Some(minor) if minor.len() == 1 && minor.bytes().all(|b| b.is_ascii_digit()) => {
            format!("-tls1_{minor}")
        }
        _ => "-tls1_3".to_string(),
    }
}

/// STARTTLS is no longer offered; it was at the baseline of `date`.
pub fn starttls_lost(
    kind: ServerKind,
    port: u16,
    fqdn: &str,
    seen_as: Option<IpAddr>,
    date: &str,
) -> Fix {
    fix("renewal::starttls_lost", &[date])
        .say(format!(
            "STARTTLS was offered here in the baseline run of {date}: something changed since. A server that can no longer load its certificate (after a renewal: a wrong path, a key that does not match, file permissions) stops offering STARTTLS without other notice."
        ))
        .followed_by(super::starttls_not_offered(kind, port, fqdn, seen_as))
}

/// An improvement or an address that moved: nothing to change.
pub fn nothing_to_change(rerun: &Rerun<'_>) -> Fix {
    rerun.keep_as_baseline(
        fix("renewal::nothing_to_change", &[&rerun.keep_key()]).say("Nothing to change."),
    )
}

/// `dig` lookups of `domain`'s MX and `host`'s addresses.
fn lookups(mut f: Fix, domain: Option<&str>, host: Option<&str>, v6: bool) -> Fix {
    if let Some(d) = domain {
        f = f.run(SH, format!("dig +short MX {d}"));
    }
    if let Some(h) = host {
        f = f.run(
            SH,
            format!("dig +short {} {h}", if v6 { "AAAA" } else { "A" }),
        );
    }
    f
}

/// An endpoint the baseline does not have; `moved`: a new address of a host it had.
pub fn endpoint_new(
    rerun: &Rerun<'_>,
    domain: Option<String>,
    host: Option<String>,
    v6: bool,
    moved: bool,
) -> Fix {
    let (d, h) = (domain.as_deref(), host.as_deref());
    let base = fix(
        "renewal::endpoint_new",
        &[
            &rerun.keep_key(),
            d.unwrap_or_default(),
            h.unwrap_or_default(),
            &v6.to_string(),
            &moved.to_string(),
        ],
    );
    if moved {
        return rerun.keep_as_baseline(base.say(
            "Nothing to change: only the address changed, and what it serves was compared with what the host's other addresses served.",
        ));
    }
    let f = rerun.keep_as_baseline(base.say(
        "Its own findings judge this endpoint like the others. If it was added on purpose (a new MX host, port or address), keep this run as the next baseline.",
    ));
    if d.is_none() && h.is_none() {
        return f;
    }
    lookups(f.say("If not, see what DNS publishes now:"), d, h, v6)
}

/// Endpoints of the baseline this run did not probe; `served`: the host still answers on that
/// port at other addresses.
pub fn endpoint_gone(
    rerun: &Rerun<'_>,
    domain: Option<String>,
    host: Option<String>,
    v6: bool,
    served: bool,
) -> Fix {
    let (d, h) = (domain.as_deref(), host.as_deref());
    let base = fix(
        "renewal::endpoint_gone",
        &[
            &rerun.keep_key(),
            d.unwrap_or_default(),
            h.unwrap_or_default(),
            &v6.to_string(),
            &served.to_string(),
        ],
    );
    if served {
        return rerun.keep_as_baseline(base.say(
            "Nothing to change: the host's address changed, and its other addresses were compared instead.",
        ));
    }
    let f = base.say(
        "This run did not probe it: DNS no longer names the host or this address, or this run was asked for other ports, one address family or fewer MX hosts (the baseline's command line is in the evidence).",
    );
    let f = if d.is_some() || h.is_some() {
        lookups(f.say("See what DNS publishes now:"), d, h, v6)
    } else {
        f
    };
    rerun.keep_as_baseline(f.say("If it was retired on purpose:"))
}

/// The baseline holds no report for the target.
pub fn target_missing(rerun: &Rerun<'_>) -> Fix {
    let command = rerun.command(&["--format".to_string(), "json".to_string()]);
    fix("renewal::target_missing", &[rerun.baseline, &command])
        .say(format!(
            "The baseline {} was made from another list of targets. Make one that includes this target: run the batch again without --baseline, or save this target's own report as its baseline:",
            rerun.baseline
        ))
        .run(SH, command)
}

/// The baseline's report of the target cannot be compared with (made with other endpoint
/// options, or it saw nothing): a new one is needed.
pub fn incomparable(rerun: &Rerun<'_>) -> Fix {
    let command = rerun.command(&["--format".to_string(), "json".to_string()]);
    fix("renewal::incomparable", &[rerun.baseline, &command])
        .say("Nothing of this target was compared. Make its baseline again with this run's options, from where the probe reaches the server (outbound port 25 is blocked on many networks and CI runners): run the batch again without --baseline, or save this target's own report:")
        .run(SH, command)
}
