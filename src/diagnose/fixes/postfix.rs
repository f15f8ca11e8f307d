//! Postfix: every `postconf`, `postfix` and `openssl` line a fix runs on the Postfix host,
//! once, and the fixes written with them.
//!
//! Every listener is a master.cf service, and an `-o` override there beats main.cf; in the
//! field the setting that breaks one port is usually such an override. So a fix shows both
//! places (`postconf -n` for main.cf, `postconf -P` for the overrides), names the service of
//! the port when the port decides it (25 `smtp`, 587 `submission`, 465 `submissions`) and
//! otherwise looks it up with `postconf -M` into `$service_<port>`, and changes the service
//! rather than main.cf where a global change would lower another service's setting. Files are
//! the admin's (`$key`, `$chain`), checked with openssl before anything changes, and the
//! reload runs only if they exist. Logs are read where Postfix writes them: the systemd
//! journal, or the file `maillog_file` names.
//!
//! # References
//! - postconf(5): `smtpd_tls_chain_files` (key first, then the leaf and its intermediates; it
//!   replaces `smtpd_tls_cert_file`/`smtpd_tls_key_file`), `smtpd_tls_security_level`,
//!   `smtpd_tls_protocols`, `smtpd_tls_mandatory_protocols`, `tls_config_file`,
//!   `smtpd_tls_ciphers`, `smtpd_tls_exclude_ciphers`, `tls_medium_cipherlist` ("do not
//!   change"), `maillog_file`, `myhostname`, `mydestination`
//! - postconf(1): `-e` (edit main.cf), `-n` (non-defaults), `-X` (remove), `-M` (master.cf
//!   services), `-P` and `-PX` (master.cf service parameters: set, remove; no whitespace in
//!   a value)
//! - Postfix TLS_README ("Postfix TLS Support": server-side certificates, `may` and `encrypt`)
//! - master(5) (`smtp`, `submission` and `submissions` services)
//! - RFC 3207 §4 (a publicly-referenced MX must not require TLS), RFC 8996 (TLS 1.0 and 1.1
//!   deprecated)

use super::generic;
use super::{Differs, Greeting, PortMismatch, greeting_name};
use crate::diagnose::fix::{Family, Fix, Shell};

const SH: Shell = Shell::PostfixShell;

/// Makes Postfix re-read its configuration.
pub const RELOAD: &str = "postfix reload";

/// Checks the configuration and file permissions, then reloads: a typo in main.cf is caught
/// before the running Postfix reads it.
pub fn reload() -> String {
    format!("postfix check && {RELOAD}")
}

/// The master.cf service that listens on `port` when the port decides it: master(5) as
/// shipped names them `smtp` (25), `submission` (587) and `submissions` (465).
pub fn stock_service(port: u16) -> Option<&'static str> {
    match port {
        25 => Some("smtp"),
        587 => Some("submission"),
        465 => Some("submissions"),
        _ => None,
    }
}

/// The shell variable [`find_service`] sets for `port`.
fn service_variable(port: u16) -> String {
    format!("service_{port}")
}

/// Puts the name of the master.cf service listening on `port` (the first column of its
/// `postconf -M` line: `2525` or `127.0.0.1:2525`) in `$service_<port>`, and prints it, so
/// the lines that follow can use it (postconf(1), `-M`). Nothing is guessed: if no service
/// matches, the variable stays empty and those lines refuse to run.
pub fn find_service(port: u16) -> String {
    let v = service_variable(port);
    format!(
        "{v}=$(postconf -M | awk '$2 == \"inet\" && $1 ~ /(^|:){port}$/ {{print $1; exit}}'); echo \"{v}=${v}\""
    )
}

/// How prose names the service of `port`: `` `smtp` `` or "its name, looked up below".
fn service_words(port: u16) -> String {
    match stock_service(port) {
        Some(s) => format!("`{s}`"),
        None => "whose name the next line looks up".to_string(),
    }
}

/// The `service/inet/parameter` of `port`: the stock name, or the looked-up variable (which
/// makes the shell refuse the line while it is unset).
fn service_parameter(port: u16, parameter: &str) -> String {
    match stock_service(port) {
        Some(s) => format!("{s}/inet/{parameter}"),
        None => format!("${{{}:?}}/inet/{parameter}", service_variable(port)),
    }
}

/// Quotes a shell word: single quotes when nothing in it is to be expanded, else double
/// quotes (only `$` expansions are meant; the values here never hold `"`, `\`, a backquote or
/// `!`).
fn shell_quoted(word: &str) -> String {
    if word.contains('$') {
        format!("\"{word}\"")
    } else {
        format!("'{word}'")
    }
}

/// Sets `parameter` to `value` for the service of `port` only: a master.cf `-o` override
/// (postconf(1), `-P`; the value may hold no whitespace).
pub fn set_service_parameter(port: u16, parameter: &str, value: &str) -> String {
    let arg = format!("{}={value}", service_parameter(port, parameter));
    format!("postconf -P {}", shell_quoted(&arg))
}

/// Removes `parameters` from the service of `port`, so main.cf's values apply again
/// (postconf(1), `-PX`).
pub fn drop_service_parameters(port: u16, parameters: &[&str]) -> String {
    let args: Vec<String> = parameters
        .iter()
        .map(|p| shell_quoted(&service_parameter(port, p)))
        .collect();
    format!("postconf -PX {}", args.join(" "))
}

/// Which Postfix side a certificate is for: the SMTP client (`smtp_tls_*`, what a sender
/// presents) or the SMTP server (`smtpd_tls_*`, what a listener presents).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `smtp_tls_*`.
    Client,
    /// `smtpd_tls_*`.
    Server,
}

impl Side {
    fn prefix(self) -> &'static str {
        match self {
            Side::Client => "smtp",
            Side::Server => "smtpd",
        }
    }
}

/// The one shell line that sets the key `$key` and certificate file `$chain` for `side`:
/// `first`, when given, is an `(override test, override command)` pair tried before main.cf
/// (the listener's or transport's own `-o` override, which wins). In main.cf it writes
/// `*_tls_chain_files` (the key, then the certificate and its intermediates), unless some
/// master.cf service overrides the legacy `*_tls_cert_file`/`*_tls_key_file` while main.cf
/// has no `*_tls_chain_files`: a non-empty chain_files inherited from main.cf takes
/// precedence over those overrides (postconf(5)), so that service would start presenting
/// this certificate. Then it writes the legacy pair in main.cf instead (a cert file may hold
/// the leaf followed by its intermediates), which leaves those overrides in force. The
/// caller guards the line with `test -r` on both files.
pub fn set_certificate_line(side: Side, first: Option<(&str, &str)>) -> String {
    let p = side.prefix();
    let first = match first {
        Some((test, then)) => format!("if {test}; then {then}; el"),
        None => String::new(),
    };
    format!(
        "{first}if postconf -P | grep -qE '/{p}_tls_(cert|key)_file ' && [ -z \"$(postconf -hx {p}_tls_chain_files)\" ]; \
         then postconf -e \"{p}_tls_cert_file = ${{chain:?}}\" \"{p}_tls_key_file = ${{key:?}}\"; \
         else postconf -e \"{p}_tls_chain_files = ${{key:?}}, ${{chain:?}}\"; fi"
    )
}

/// The prose sentence that goes with [`set_certificate_line`]: why main.cf may get the legacy
/// pair instead of chain_files.
pub fn set_certificate_note(side: Side) -> String {
    let p = side.prefix();
    let who = match side {
        Side::Client => "transport",
        Side::Server => "service",
    };
    format!(
        "If another master.cf {who} has its own -o {p}_tls_cert_file or {p}_tls_key_file and main.cf sets no {p}_tls_chain_files, \
         the line writes {p}_tls_cert_file and {p}_tls_key_file in main.cf instead: a {p}_tls_chain_files in main.cf would win over \
         that {who}'s overrides and make it present this certificate."
    )
}

/// The lines that show where `parameters` are set: main.cf (`postconf -n`, non-defaults) and
/// every master.cf override (`postconf -P`), then, on a port no stock service has, the
/// lookup of its service. `pattern` is an extended regular expression matching the names.
fn show_both_places(fix: Fix, port: u16, pattern: &str) -> Fix {
    let fix = fix
        .run(SH, format!("postconf -n | grep -E '^({pattern}) '"))
        .run(SH, format!("postconf -P | grep -E '/({pattern}) '"));
    let lookup = find_service(port);
    let looked_up = fix
        .steps
        .iter()
        .any(|s| matches!(s, crate::diagnose::Step::Command { text, .. } if *text == lookup));
    match stock_service(port) {
        // A fix that already looked the service up says it once.
        None if !looked_up => fix.run(SH, lookup),
        _ => fix,
    }
}

/// Postfix's warnings of the last hour, wherever it logs: the systemd journal (Debian 12 and
/// later have no /var/log/mail.log without rsyslog) or the file `maillog_file` names
/// (postconf(5), Postfix 3.4 and later). A syslog file (/var/log/mail.log, /var/log/maillog)
/// is named in prose, since which one exists differs by system.
fn show_log(fix: Fix) -> Fix {
    fix.run(
        SH,
        format!("journalctl -u 'postfix*' --since -1h --no-pager | grep -E {TLS_LOAD_ERRORS} | tail -n 20"),
    )
    .run(
        SH,
        format!("postconf -h maillog_file | xargs -r grep -hE {TLS_LOAD_ERRORS} | tail -n 20   # if Postfix logs to its own file"),
    )
}

/// What Postfix 3.x logs when it cannot load its certificate or key (and so offers no TLS, or
/// answers STARTTLS with 454): searched for by name, so handshake noise from clients does not
/// push it out of view.
const TLS_LOAD_ERRORS: &str = "'disabling TLS support|error opening chain file|cannot get .*(certificate|private key)|No server certs|cannot load'";

/// The certificate file the admin names in `$chain` (the certificate first, then its
/// intermediates): its names and dates.
const SHOW_NEW_CERTIFICATE: &str =
    "openssl x509 -noout -subject -ext subjectAltName -dates -in \"${chain:?}\"";

/// Whether the key in `$key` belongs to the certificate in `$chain`: two equal digests.
const COMPARE_KEY_AND_CERTIFICATE: &str = "openssl x509 -noout -pubkey -in \"${chain:?}\" | sha256sum; openssl pkey -pubout -in \"${key:?}\" | sha256sum";

/// Lists each certificate in `$chain` with its issuer, in file order.
const LIST_CHAIN: &str =
    "openssl crl2pkcs7 -nocrl -certfile \"${chain:?}\" | openssl pkcs7 -print_certs -noout";

/// Reloads only if the files in `$key` and `$chain` exist: `postfix check` does not look at
/// TLS files, and a reload with a missing chain file leaves smtpd without a certificate.
const RELOAD_WITH_FILES: &str =
    "test -r \"${key:?}\" && test -r \"${chain:?}\" && postfix check && postfix reload";

/// The steps that install a key and certificate chain for the listener of `port`: the admin
/// names the files in shell variables, checks them before anything changes, sees where the
/// listener reads its certificate (main.cf or a master.cf override, which wins), sets them
/// there (postconf(5) `smtpd_tls_chain_files`: the key, then the certificate and its
/// intermediates, Postfix 3.4 and later) and reloads only if the files exist. No path is
/// guessed, and a line run before the variables are set refuses to run.
fn install_steps(fix: Fix, port: u16, extra_check: Option<&str>) -> Fix {
    let fix = fix
        .say(
            "Set key= to the private key file and chain= to the certificate file (the certificate first, then its intermediates; \
             certbot: privkey.pem and fullchain.pem). Check them before changing anything: the names and dates must be the right ones, \
             and the two digests equal:",
        )
        .run(SH, SHOW_NEW_CERTIFICATE)
        .run(SH, COMPARE_KEY_AND_CERTIFICATE);
    let fix = match extra_check {
        Some(check) => fix.run(SH, check),
        None => fix,
    };
    let fix = fix.say(format!(
            "Then set them where the listener of port {port} reads them: main.cf, unless an -o override on its master.cf service ({}) sets them, which wins. \
             The last line changes the override when there is one and main.cf otherwise, and only when both files are readable:",
            service_words(port)
        ));
    // One guarded line, not two alternatives: pasted together, a main.cf edit and an override
    // would change the certificate of every other listener too, or add an override nobody needs.
    let pattern = "smtpd_tls_(chain_files|cert_file|key_file)";
    let has_override = format!(
        "postconf -P | grep -qE {}",
        shell_quoted(&format!("^{} ", service_parameter(port, pattern)))
    );
    let set_override = set_service_parameter(port, "smtpd_tls_chain_files", "${key:?},${chain:?}");
    let set = format!(
        "test -r \"${{key:?}}\" && test -r \"${{chain:?}}\" && {}",
        set_certificate_line(Side::Server, Some((&has_override, &set_override)))
    );
    show_both_places(fix, port, pattern)
        .run(SH, set)
        .run(SH, RELOAD_WITH_FILES)
        .say(format!(
            "smtpd_tls_chain_files replaces smtpd_tls_cert_file and smtpd_tls_key_file, which Postfix then ignores. {}",
            set_certificate_note(Side::Server)
        ))
}

/// Installs the certificate `what` asks for on the listener of `port`.
pub fn install_certificate(port: u16, what: &str) -> Fix {
    let fix = Fix::new(
        Family::Postfix,
        "postfix::install_certificate",
        &[what, &port.to_string()],
    )
    .say(what);
    install_steps(fix, port, None).say(format!(
        "With certbot, add `--deploy-hook \"{RELOAD}\"` so renewals take effect."
    ))
}

/// `454 4.7.0 TLS not available due to local problem` on `port`: Postfix could not load the
/// certificate or key it is given, and logs why (Postfix 3.7: `cannot get RSA certificate
/// from file ...: disabling TLS support`).
pub fn tls_unavailable(port: u16) -> Fix {
    let fix = Fix::new(
        Family::Postfix,
        "postfix::tls_unavailable",
        &[&port.to_string()],
    )
    .say(
        "Postfix answers `454 4.7.0 TLS not available due to local problem` when it cannot load the certificate or key it is given, \
         and logs why (`cannot get RSA certificate from file …: disabling TLS support`). Look in the log:",
    );
    let fix = show_log(fix)
        .say("Give the listener a key and certificate that exist and belong together:");
    install_steps(fix, port, None)
}

/// Postfix on `port` speaks only TLS 1.0/1.1: `smtpd_tls_protocols` (or
/// `smtpd_tls_mandatory_protocols`, at `encrypt`) excludes TLS 1.2 and 1.3, in the field as a
/// master.cf override; an OpenSSL configuration named by `tls_config_file` can cap it too
/// (postconf(5); RFC 8996 deprecates TLS 1.0 and 1.1).
pub fn allow_tls12(port: u16) -> Fix {
    let protocols = ["smtpd_tls_protocols", "smtpd_tls_mandatory_protocols"];
    let fix = Fix::new(Family::Postfix, "postfix::allow_tls12", &[&port.to_string()]).say(format!(
        "Postfix here speaks only TLS 1.0 or 1.1: smtpd_tls_protocols (or smtpd_tls_mandatory_protocols, which applies at `encrypt`) excludes \
         TLS 1.2 and 1.3, in main.cf or as an -o override on the master.cf service of port {port} ({}), which wins; an OpenSSL configuration \
         named by tls_config_file can limit it too. See where:",
        service_words(port)
    ));
    show_both_places(
        fix,
        port,
        "smtpd_tls_(mandatory_)?protocols|tls_config_(file|name)",
    )
    .say("Remove the override, so that main.cf's value applies:")
    .run(SH, drop_service_parameters(port, &protocols))
    .run(SH, reload())
    .say(format!(
        "If main.cf's value excludes TLSv1.2 or TLSv1.3 as well, remove it there too, so Postfix's default applies (`postconf -d smtpd_tls_protocols`: \
         >=TLSv1, TLS 1.0 to 1.3, on current versions; a value that keeps TLS 1.2 and 1.3, such as >=TLSv1.2, is as good): `postconf -X {}`. If this service's tls_config_file \
         names an OpenSSL configuration that limits the protocol (MaxProtocol), remove that override as well: `{}`. \
         Exchange Online and Gmail refuse TLS 1.0 and 1.1.",
        protocols.join(" "),
        drop_service_parameters(port, &["tls_config_file", "tls_config_name"])
    ))
}

/// A handshake failure alert from Postfix on `port`: usually no certificate loaded (a missing
/// chain file only logs `error opening chain file`), else cipher settings that exclude what
/// current clients offer. Postfix's cipher defaults work; the documentation advises against
/// changing `tls_medium_cipherlist` (postconf(5)).
pub fn no_shared_cipher(port: u16) -> Fix {
    let ciphers = "smtpd_tls_(mandatory_)?(ciphers|exclude_ciphers)|tls_medium_cipherlist";
    let fix = Fix::new(Family::Postfix, "postfix::no_shared_cipher", &[&port.to_string()]).say(
        "Postfix aborts the handshake with `no shared cipher` when it has no certificate loaded: a missing or unreadable smtpd_tls_chain_files \
         file only logs `error opening chain file`, and STARTTLS is still answered with 220. Look in the log:",
    );
    let fix = show_log(fix).say(
        "If it names a chain, certificate or key file (`error opening chain file`, `cannot get RSA certificate from file`), \
         point the listener at files that exist:",
    );
    let fix = install_steps(fix, port, None).say(
        "Only if the certificate loads (no such line in the log) do cipher settings exclude what current clients offer. Postfix's defaults work: \
         see what differs, undo a changed tls_medium_cipherlist, and remove an smtpd_tls_exclude_ciphers that excludes ECDHE or AESGCM:",
    );
    show_both_places(fix, port, ciphers)
        .run(SH, "postconf -X tls_medium_cipherlist")
        .run(SH, reload())
}

/// The TLS security level a listener on `port` should have: `encrypt` on the submission
/// port, whose clients are the organisation's own (master(5) as shipped), else `may`: a
/// public MX must not require TLS (RFC 3207 §4).
fn level_for(port: u16) -> &'static str {
    if port == 587 { "encrypt" } else { "may" }
}

/// STARTTLS is not offered on `port`: the listener has no TLS security level (`none`, or
/// empty), in the field a master.cf override, or its certificate did not load. The level is
/// set on this service only, so main.cf (and every other service) keeps its own: a main.cf
/// `encrypt` is never lowered.
pub fn enable_starttls(port: u16) -> Fix {
    let level = level_for(port);
    let why = match port {
        587 => "`encrypt` on the submission port, whose clients are your own".to_string(),
        25 => "`may` on port 25: a public MX must not require TLS".to_string(),
        _ => format!(
            "`may` for mail from anywhere; `encrypt` if only your own clients use port {port}"
        ),
    };
    let fix = Fix::new(
        Family::Postfix,
        "postfix::enable_starttls",
        &[&port.to_string()],
    )
    .say(format!(
        "Postfix offers STARTTLS only with a TLS security level and a certificate it can load. See the listener's settings in main.cf and as -o \
         overrides on the master.cf service of port {port} ({}), which win:",
        service_words(port)
    ));
    let fix = show_both_places(
        fix,
        port,
        "smtpd_tls_(security_level|chain_files|cert_file|key_file)",
    )
    .say(format!(
        "If neither place names a certificate, install one first (smtpd_tls_chain_files: the key, then the certificate and its intermediates). \
         Then set the level on this service only, so the other services (and main.cf) keep theirs: {why}."
    ))
    .run(
        SH,
        set_service_parameter(port, "smtpd_tls_security_level", level),
    )
    .run(SH, reload())
    .say(
        "If STARTTLS is still missing after the reload, Postfix found no certificate to use (a certificate that is configured but cannot be read \
         makes it answer STARTTLS with 454 instead); the log says why:",
    );
    show_log(fix)
}

/// Postfix sends exactly what its chain file holds: the intermediate `missing` must follow the
/// certificate in it (postconf(5), `smtpd_tls_chain_files`).
pub fn incomplete_chain(port: u16, missing: &str) -> Fix {
    let fix = Fix::new(
        Family::Postfix,
        "postfix::incomplete_chain",
        &[&port.to_string(), missing],
    )
    .say(format!(
        "Postfix sends exactly what its chain file holds: after the key, the certificate, then its issuer ({missing}) and any \
         intermediate above it, without the self-signed root: certbot's fullchain.pem, not cert.pem. The listing below shows each \
         certificate in the file with its issuer, in that order."
    ));
    install_steps(fix, port, Some(LIST_CHAIN))
}

/// Postfix greets with its myhostname, which the certificate does not cover. Shows where it
/// is set, then overrides it for this listener's service (postconf(1) `-P`), or, said in
/// prose, in main.cf. An override also changes what this smtpd expands `$myhostname` to
/// (the default mydestination, smtpd_banner): said, not hidden.
pub fn greeting_not_on_certificate(g: &Greeting<'_>) -> Fix {
    let (name, first) = greeting_name(g.on_cert);
    let port = g.port;
    let fix = Fix::new(
        Family::Postfix,
        "postfix::greeting_not_on_certificate",
        &g.key_values(&name).each_ref().map(String::as_str),
    )
    .say(format!(
        "{first}{}Postfix greets with myhostname ({}). It is set in main.cf, or as an -o override on the master.cf service of port {port} ({}), which wins:",
        g.note(),
        g.name,
        service_words(port)
    ))
    .run(SH, "postconf myhostname mydestination")
    .run(SH, "postconf -P | grep -E '/(myhostname|mydestination) '");
    let fix = match stock_service(port) {
        Some(_) => fix,
        None => fix.run(SH, find_service(port)),
    };
    // Without a trusted name there is nothing to set yet: no command carries a placeholder.
    let Some(name) = g.on_cert else {
        return fix.say(
            "Once a trusted certificate is installed, set myhostname for this listener to a name on it (postconf -P), or in main.cf for the whole host.",
        );
    };
    fix.say(
        "Set it for this listener only. The override also changes the name this smtpd uses wherever main.cf says $myhostname, \
         as in the default mydestination: if mail is addressed to the old name, list it in mydestination explicitly.",
    )
    .run(SH, set_service_parameter(port, "myhostname", name))
    .run(SH, reload())
    .say(format!(
        "Or set it for the whole host in main.cf, where it is also the name Postfix sends in its own EHLO: `postconf -e 'myhostname = {name}'`.{}",
        g.add_to_certificate()
    ))
}

/// The nodes behind `host` differ: compare their settings (main.cf and master.cf) and the
/// certificate each serves, and copy the good node's key and chain across.
pub fn compare_nodes(host: &str, odd_ips: &str, differs: Differs) -> Fix {
    let align = match differs {
        Differs::Certificate => {
            "Copy the good node's key and chain files to the odd node, point its settings at them as on the good node, then reload there:"
        }
        Differs::Starttls | Differs::Version => {
            "Give the odd node the good node's TLS settings (and, for the TLS version, its OpenSSL and Postfix versions), then reload there:"
        }
    };
    Fix::new(
        Family::Postfix,
        "postfix::compare_nodes",
        &[host, odd_ips, differs.name()],
    )
    .say(generic::odd_nodes(host, odd_ips, differs))
    .say("On a good node and on the odd one, compare the TLS settings of main.cf and of the master.cf services:")
    .run(SH, "postconf -n | grep -E '^smtpd_tls_'")
    .run(SH, "postconf -P | grep -E '/smtpd_tls_'")
    .say("and, with chain= set to the certificate file they name, the certificate's fingerprint:")
    .run(SH, "openssl x509 -noout -fingerprint -sha256 -in \"${chain:?}\"")
    .say(align)
    .run(SH, reload())
}

/// STARTTLS is advertised on some ports and not on the `closed` ones: each port is a master.cf
/// service, and an `-o smtpd_tls_security_level` there beats main.cf. The level is set on the
/// closed ports' services only, so main.cf (and a stricter `encrypt` anywhere) stays.
pub fn port_without_starttls(m: &PortMismatch<'_>) -> Fix {
    let (services, set, those) = if m.closed.len() == 1 {
        ("the service of", "sets", "that service")
    } else {
        ("the services of", "set", "those services")
    };
    let fix = Fix::new(
        Family::Postfix,
        "postfix::port_without_starttls",
        &m.key_values().each_ref().map(String::as_str),
    )
    .say(format!(
        "{} In Postfix each port is a master.cf service, and an -o override there beats main.cf: {services} {} {set} \
         smtpd_tls_security_level to none, or main.cf sets no level and only the other services do. See where:",
        m.intro(),
        generic::ports_words(m.closed)
    ))
    .run(SH, "postconf -n | grep -E '^smtpd_tls_security_level '")
    .run(
        SH,
        "postconf -P | grep -E '/(smtpd_tls_security_level|smtpd_tls_wrappermode) '",
    );
    let fix = m
        .closed
        .iter()
        .filter(|p| stock_service(**p).is_none())
        .fold(fix, |f, p| f.run(SH, find_service(*p)));
    let fix = fix.say(format!(
        "Set the level on {those} only, so the others (and main.cf) keep theirs: `may` where mail comes from anywhere \
         (a public MX must not require TLS, RFC 3207 §4), `encrypt` on the submission port:"
    ));
    m.closed
        .iter()
        .fold(fix, |f, p| {
            f.run(
                SH,
                set_service_parameter(*p, "smtpd_tls_security_level", level_for(*p)),
            )
        })
        .run(SH, reload())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The client line without an override to try first: the legacy pair under the guard,
    /// chain_files otherwise.
    #[test]
    fn the_main_cf_certificate_line_keeps_other_services_legacy_overrides() {
        assert_eq!(
            set_certificate_line(Side::Client, None),
            "if postconf -P | grep -qE '/smtp_tls_(cert|key)_file ' && [ -z \"$(postconf -hx smtp_tls_chain_files)\" ]; \
             then postconf -e \"smtp_tls_cert_file = ${chain:?}\" \"smtp_tls_key_file = ${key:?}\"; \
             else postconf -e \"smtp_tls_chain_files = ${key:?}, ${chain:?}\"; fi"
        );
        assert_eq!(
            set_certificate_line(Side::Server, Some(("A", "B"))),
            "if A; then B; \
             elif postconf -P | grep -qE '/smtpd_tls_(cert|key)_file ' && [ -z \"$(postconf -hx smtpd_tls_chain_files)\" ]; \
             then postconf -e \"smtpd_tls_cert_file = ${chain:?}\" \"smtpd_tls_key_file = ${key:?}\"; \
             else postconf -e \"smtpd_tls_chain_files = ${key:?}, ${chain:?}\"; fi"
        );
        assert!(
            set_certificate_note(Side::Server)
                .contains("smtpd_tls_chain_files in main.cf would win")
        );
    }

    /// Every listener certificate fix uses the line, after its own service's override.
    #[test]
    fn the_listener_certificate_fix_uses_the_guarded_line() {
        for port in [25, 2526] {
            let f = install_certificate(port, "Install a certificate.");
            let set = f
                .commands()
                .map(|(_, c)| c)
                .find(|c| c.contains("smtpd_tls_chain_files = "))
                .unwrap()
                .to_string();
            assert!(
                set.starts_with(
                    "test -r \"${key:?}\" && test -r \"${chain:?}\" && if postconf -P | grep -qE"
                ),
                "{set}"
            );
            assert!(set.contains("; elif postconf -P | grep -qE '/smtpd_tls_(cert|key)_file ' && [ -z \"$(postconf -hx smtpd_tls_chain_files)\" ]; then postconf -e \"smtpd_tls_cert_file = ${chain:?}\" \"smtpd_tls_key_file = ${key:?}\"; else"), "{set}");
            assert!(f.text().contains(&set_certificate_note(Side::Server)));
            let parses = std::process::Command::new("sh")
                .args(["-n", "-c", &set])
                .status()
                .unwrap();
            assert!(parses.success(), "sh cannot parse: {set}");
        }
    }

    /// Runs the client line under `sh` with a stand-in `postconf` (never the system's: nothing
    /// is configured) that prints `overrides` for `-P`, `chain_files` for `-hx`, and logs what
    /// `-e` would write. Unix only: the stand-in must be made executable.
    #[cfg(unix)]
    fn run_with_fake_postconf(name: &str, overrides: &str, chain_files: &str) -> String {
        let dir =
            std::env::temp_dir().join(format!("starttls-check-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("log");
        let fake = dir.join("postconf");
        std::fs::write(
            &fake,
            format!(
                "#!/bin/sh\ncase \"$1\" in\n-P) printf '%s' \"$FAKE_P\" ;;\n-hx) printf '%s' \"$FAKE_CHAIN\" ;;\n-e) shift; printf '%s\\n' \"$@\" >> '{}' ;;\n*) exit 1 ;;\nesac\n",
                log.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(set_certificate_line(Side::Client, None))
            .env("PATH", format!("{}:/usr/bin:/bin", dir.display()))
            .env("FAKE_P", overrides)
            .env("FAKE_CHAIN", chain_files)
            .env("key", "/k.pem")
            .env("chain", "/c.pem")
            .status()
            .unwrap();
        assert!(status.success());
        let out = std::fs::read_to_string(&log).unwrap_or_default();
        std::fs::remove_dir_all(&dir).unwrap();
        out
    }

    #[test]
    #[cfg(unix)]
    fn the_line_picks_the_legacy_pair_only_when_another_transport_overrides_it() {
        let other =
            "relay/unix/smtp_tls_cert_file = /o.pem\nrelay/unix/smtp_tls_key_file = /o.key\n";
        assert_eq!(
            run_with_fake_postconf("legacy", other, ""),
            "smtp_tls_cert_file = /c.pem\nsmtp_tls_key_file = /k.pem\n"
        );
        // main.cf's chain_files already wins over the overrides: keep using it.
        assert_eq!(
            run_with_fake_postconf("inforce", other, "/a.key, /a.pem"),
            "smtp_tls_chain_files = /k.pem, /c.pem\n"
        );
        assert_eq!(
            run_with_fake_postconf("none", "smtp/unix/smtp_tls_security_level = may\n", ""),
            "smtp_tls_chain_files = /k.pem, /c.pem\n"
        );
    }
}
