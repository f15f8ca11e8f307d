//! What a renewal check compares with: the certificates expected (`--expect-fingerprint`) and
//! an earlier run of this tool (`--baseline`). Both are read at the edge
//! (`cli::ProbeArgs::settings`) into plain data that the rules (`diagnose::rules::renewal`)
//! compare without I/O.
//!
//! # Fingerprints
//! A SHA-256 fingerprint is accepted in the forms people paste: 64 hex digits in any case,
//! with or without colons, spaces or dashes between the bytes (`openssl x509 -fingerprint`,
//! `certutil -hashfile`, PowerShell's `[BitConverter]::ToString`), after a label such as
//! `sha256:`, `SHA256 Fingerprint=` or `sha256 Fingerprint=` (OpenSSL 1.1 and 3), or as the one
//! hex line of `certutil -hashfile`'s output. A SHA-1 thumbprint (what Windows and
//! `Get-ExchangeCertificate` show), another hash's length or a base64 pin is refused with
//! what it is and how to get the SHA-256.
//!
//! # The baseline file
//! Whatever `--format json` or `--format jsonl` wrote: one report, a batch document (its
//! `reports`), or JSON Lines (one report per line, the last line of a target winning when runs
//! were appended), in UTF-8 or in UTF-16 with a byte-order mark (what `>` writes in Windows
//! PowerShell 5.1). Anything else is refused with what it is, never read as "no endpoints":
//! another tool's JSON, another `schema_version`, the error document of a run that could not
//! start, a redacted report (its names are placeholders), a file that is empty (a `>` to the
//! same file in the same command line empties it before the run starts).
//!
//! # References
//! - OpenSSL x509(1): `-fingerprint` with `-sha256` prints `sha256 Fingerprint=AB:CD:…`
//!   (OpenSSL 3; `SHA256 Fingerprint=` before)
//! - Microsoft Learn: certutil (`-hashfile FILE SHA256`), Get-FileHash, X509Certificate2.RawData,
//!   BitConverter.ToString (bytes as `AB-CD-…`)
//! - RFC 8259 (JSON), JSON Lines (jsonlines.org), RFC 2781 §3.2 (UTF-16 byte-order mark)

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Read as _;
use std::net::IpAddr;
use std::path::Path;

use serde_json::Value;
use time::OffsetDateTime;

use crate::cert::hex;

/// The largest baseline read: a batch document of a survey of many thousands of targets fits;
/// `/dev/zero` or a wrong file does not make the run read forever.
pub const MAX_BASELINE_BYTES: u64 = 256 << 20;

/// The `schema_version` this build writes and reads.
pub const SCHEMA_VERSION: u64 = 1;

/// How to get a certificate's SHA-256 fingerprint, for the refusals.
const HOW: &str = "get it with `openssl x509 -in cert.pem -noout -fingerprint -sha256`";

/// The SHA-256 fingerprint of a certificate (of its DER encoding).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.colon())
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.colon())
    }
}

impl Fingerprint {
    /// The fingerprint of a DER certificate.
    pub fn of_der(der: &[u8]) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, der);
        let mut out = [0u8; 32];
        out.copy_from_slice(digest.as_ref());
        Fingerprint(out)
    }

    /// `AB:CD:…`, as reports write `certificate.sha256` and OpenSSL prints it.
    pub fn colon(&self) -> String {
        hex(&self.0, ":")
    }

    /// `ABCD…`, as PowerShell compares it.
    pub fn plain(&self) -> String {
        hex(&self.0, "")
    }

    /// `AB:CD:EF:01…9E:0F`: enough to tell two certificates apart in a summary line.
    pub fn short(&self) -> String {
        format!("{}…{}", hex(&self.0[..4], ":"), hex(&self.0[30..], ":"))
    }

    /// Reads a fingerprint in any of the forms the module documentation lists.
    pub fn parse(text: &str) -> Result<Self, String> {
        let value = fingerprint_value(text);
        if let Some(why) = base64_pin(&value) {
            return Err(why);
        }
        let digits: String = value
            .chars()
            .filter(|c| !matches!(c, ':' | ' ' | '-' | '\t'))
            .collect();
        if digits.is_empty() {
            return Err(format!(
                "no fingerprint given: a SHA-256 fingerprint is 64 hex digits; {HOW}"
            ));
        }
        if let Some(bad) = digits.chars().find(|c| !c.is_ascii_hexdigit()) {
            return Err(format!(
                "'{}' is not a hex digit: a SHA-256 fingerprint is 64 hex digits, colons or spaces between the bytes allowed; {HOW}",
                bad.escape_default()
            ));
        }
        match digits.len() {
            64 => {
                let mut out = [0u8; 32];
                for (i, b) in out.iter_mut().enumerate() {
                    *b = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16)
                        .map_err(|e| e.to_string())?;
                }
                Ok(Fingerprint(out))
            }
            40 => Err(sha1_refusal(&digits.to_ascii_uppercase())),
            n => Err(other_length(n)),
        }
    }
}

/// The value of a pasted fingerprint: the hex line of a multi-line paste, without quotes and
/// without a label (`sha256 Fingerprint=`, `SHA256:`).
fn fingerprint_value(text: &str) -> String {
    let mut t = text.trim();
    if t.lines().count() > 1 {
        let hexish = |l: &&str| {
            !l.is_empty()
                && l.chars()
                    .all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | ' ' | '-' | '\t'))
        };
        let lines: Vec<&str> = t.lines().map(str::trim).filter(hexish).collect();
        if let [one] = lines.as_slice() {
            t = one;
        }
    }
    t = t.trim_matches(['"', '\'']).trim();
    if let Some((label, rest)) = t.split_once('=') {
        let l = label.to_ascii_lowercase();
        let labelled = ["sha", "fingerprint", "hash", "thumbprint", "md5"]
            .iter()
            .any(|w| l.contains(w));
        if labelled
            && l.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        {
            t = rest.trim();
        }
    }
    if let Some((label, rest)) = t.split_once(':') {
        let algorithms = [
            "sha256", "sha-256", "sha2-256", "sha1", "sha-1", "sha384", "sha-384", "sha512",
            "sha-512", "md5",
        ];
        if algorithms.contains(&label.trim().to_ascii_lowercase().as_str()) {
            t = rest.trim();
        }
    }
    t.to_string()
}

/// Why a base64 value is not a fingerprint, if it looks like one.
fn base64_pin(value: &str) -> Option<String> {
    let lower = value.to_ascii_lowercase();
    let body = lower
        .strip_prefix("sha256/")
        .map_or(value, |_| &value["sha256/".len()..]);
    let base64 = body.len() == 44
        && body.ends_with('=')
        && body
            .trim_end_matches('=')
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/');
    (lower.starts_with("sha256/") || base64).then(|| {
        format!(
            "this is base64 (a public-key pin such as curl's --pinnedpubkey sha256//… hashes the key, not the certificate): \
             give the certificate's SHA-256 in hex; {HOW}"
        )
    })
}

/// The refusal of a SHA-1 thumbprint, with the commands that turn it into the SHA-256.
fn sha1_refusal(thumbprint: &str) -> String {
    format!(
        "this is a SHA-1 thumbprint (40 hex digits), what Windows and Get-ExchangeCertificate show as Thumbprint; \
         --expect-fingerprint takes the certificate's SHA-256. On the server, in PowerShell: \
         [BitConverter]::ToString([Security.Cryptography.SHA256]::Create().ComputeHash((Get-Item Cert:\\LocalMachine\\My\\{thumbprint}).RawData)) -replace '-'  \
         (or {HOW})"
    )
}

/// The refusal of a value of another length, naming the hash it is likely to be.
fn other_length(n: usize) -> String {
    let hash = match n {
        32 => " (16 bytes: an MD5 hash)",
        56 => " (28 bytes: a SHA-224 hash)",
        96 => " (48 bytes: a SHA-384 hash)",
        128 => " (64 bytes: a SHA-512 hash)",
        _ => "",
    };
    format!("{n} hex digits{hash}; a SHA-256 fingerprint has 64; {HOW}")
}

/// Why a `--baseline` file cannot be compared with.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The file cannot be read. The I/O error is part of the message, not a `source`: the
    /// run's error is written with its chain of causes, which would say it twice.
    #[error("--baseline {path}: cannot read it: {error}")]
    Read {
        /// The path as given.
        path: String,
        /// Why.
        error: std::io::Error,
    },
    /// A directory, not a file.
    #[error(
        "--baseline {path} is a directory: give the file an earlier run wrote with --format json (or jsonl)"
    )]
    Directory {
        /// The path as given.
        path: String,
    },
    /// The file is larger than [`MAX_BASELINE_BYTES`].
    #[error("--baseline {path} is larger than {} MiB: not a report of this tool", MAX_BASELINE_BYTES >> 20)]
    TooLarge {
        /// The path as given.
        path: String,
    },
    /// The file holds nothing.
    #[error(
        "--baseline {path} is empty, so there is no earlier run to compare with (a `> {path}` in the same command line empties it before the run starts: write the new run to another file)"
    )]
    Empty {
        /// The path as given.
        path: String,
    },
    /// Not UTF-8, and no UTF-16 byte-order mark.
    #[error("--baseline {path} is not text (UTF-8, or UTF-16 with a byte-order mark)")]
    Encoding {
        /// The path as given.
        path: String,
    },
    /// Not JSON, nor JSON Lines.
    #[error(
        "--baseline {path} is not JSON ({detail}): write the baseline with --format json or --format jsonl"
    )]
    NotJson {
        /// The path as given.
        path: String,
        /// What the parser said, or what the file starts with.
        detail: String,
    },
    /// JSON, but not a probe report of this tool.
    #[error("--baseline {path} is JSON, but not a probe report of starttls-check: {what}")]
    NotOurs {
        /// The path as given.
        path: String,
        /// What it is, or what it lacks.
        what: String,
    },
    /// Another `schema_version`.
    #[error(
        "--baseline {path} has schema_version {found}; this starttls-check {} reads schema_version {SCHEMA_VERSION}: take a new baseline with this version",
        env!("CARGO_PKG_VERSION")
    )]
    Schema {
        /// The path as given.
        path: String,
        /// The version it has.
        found: String,
    },
    /// The error document of a run that could not start.
    #[error(
        "--baseline {path} is the error document of a run that could not start ({message}): it holds no endpoints to compare with"
    )]
    ErrorDocument {
        /// The path as given.
        path: String,
        /// Its `error`.
        message: String,
    },
    /// A redacted report: its names and addresses are placeholders.
    #[error(
        "--baseline {path} is a redacted report (--redact): its host names and addresses are placeholders, which match no endpoint; take the baseline without --redact"
    )]
    Redacted {
        /// The path as given.
        path: String,
    },
    /// A batch document without reports.
    #[error("--baseline {path} is a batch document with no reports in it")]
    NoReports {
        /// The path as given.
        path: String,
    },
    /// No report for the target of a one-target run.
    #[error("--baseline {path} holds no report for {wanted}; it holds {has}")]
    OtherTarget {
        /// The path as given.
        path: String,
        /// The target of this run.
        wanted: String,
        /// The targets it holds, as a phrase.
        has: String,
    },
    /// The report of a one-target run was made with other options that decide the endpoints.
    #[error(
        "--baseline {path} was made with other options that decide which endpoints are probed ({}): every endpoint would be reported as gone or new. Run with the baseline's options, or make a new baseline with this run's",
        differences.join("; ")
    )]
    OtherEndpoints {
        /// The path as given.
        path: String,
        /// What differs, one phrase each (`-p 25,587 in the baseline, -p 25 in this run`).
        differences: Vec<String>,
    },
    /// The report of a one-target run saw no endpoint get as far as an EHLO reply.
    #[error(
        "--baseline {path} has nothing to compare with: no endpoint of its run of {target} got as far as an EHLO reply ({stopped}). Make the baseline where the probe reaches the server (outbound port 25 is blocked on many networks and CI runners)"
    )]
    NothingSeen {
        /// The path as given.
        path: String,
        /// The target.
        target: String,
        /// Where its endpoints stopped, as a phrase.
        stopped: String,
    },
}

/// An earlier run, as plain data: every report of the file, by target.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// The file, as the command line named it.
    pub source: String,
    /// What the file was: `a report`, `a batch document`, `JSON Lines`.
    pub shape: &'static str,
    /// Its reports, in file order (a target once: the last one).
    pub reports: Vec<BaselineReport>,
    by_target: HashMap<String, usize>,
}

/// One target's report in the baseline.
#[derive(Debug, Clone)]
pub struct BaselineReport {
    /// The target, as that report names it.
    pub target: String,
    /// When that report was made, as written (RFC 3339).
    pub generated_at: String,
    /// The same, read; `None` when it is not RFC 3339.
    pub generated: Option<OffsetDateTime>,
    /// The command line of that run, if it recorded one.
    pub invocation: Option<String>,
    /// Its verdict, as written.
    pub verdict: String,
    /// Its endpoints.
    pub endpoints: Vec<BaselineEndpoint>,
    /// How the options of its `invocation` that decide the endpoints differ from this run's,
    /// one phrase each; empty when they agree or cannot be read. Set at the edge
    /// (`cli`), which reads command lines.
    pub differences: Vec<String>,
}

/// The options of a run that decide which endpoints it probes: a baseline made with others
/// has other endpoints, and each would be reported as gone or new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probed {
    /// `-p`, sorted, each once.
    pub ports: Vec<u16>,
    /// `--implicit-tls`.
    pub implicit_tls: bool,
    /// `--max-mx`.
    pub max_mx: u16,
    /// `--max-addresses`.
    pub max_addresses: u16,
    /// `-4`, `-6`, or empty for both families.
    pub family: &'static str,
    /// `--no-mx`.
    pub no_mx: bool,
}

impl Probed {
    /// What differs between the baseline's options (`self`) and this run's (`now`), one
    /// phrase each: `-p 25,587 in the baseline, -p 25 in this run`.
    pub fn differences(&self, now: &Probed) -> Vec<String> {
        let ports = |p: &Probed| {
            let list: Vec<String> = p.ports.iter().map(u16::to_string).collect();
            format!("-p {}", list.join(","))
        };
        let family = |p: &Probed| match p.family {
            "" => "both address families".to_string(),
            f => f.to_string(),
        };
        let valued = [
            (ports(self), ports(now)),
            (
                format!("--max-mx {}", self.max_mx),
                format!("--max-mx {}", now.max_mx),
            ),
            (
                format!("--max-addresses {}", self.max_addresses),
                format!("--max-addresses {}", now.max_addresses),
            ),
            (family(self), family(now)),
        ];
        let mut out: Vec<String> = valued
            .into_iter()
            .filter(|(then, now)| then != now)
            .map(|(then, now)| format!("{then} in the baseline, {now} in this run"))
            .collect();
        for (name, then, now) in [
            ("--implicit-tls", self.implicit_tls, now.implicit_tls),
            ("--no-mx", self.no_mx, now.no_mx),
        ] {
            match (then, now) {
                (true, false) => out.push(format!("{name} in the baseline, not in this run")),
                (false, true) => out.push(format!("{name} in this run, not in the baseline")),
                _ => {}
            }
        }
        out
    }
}

/// One endpoint of a baseline report: what the comparisons need, escaped for display.
#[derive(Debug, Clone)]
pub struct BaselineEndpoint {
    /// `mail.contoso.com [203.0.113.5]:25`.
    pub label: String,
    /// The host as named, lower case (an address for an address target).
    pub host: String,
    /// The mail domain whose MX led there (`None` for a host probed directly).
    pub domain: Option<String>,
    /// The address probed.
    pub address: IpAddr,
    /// The port probed.
    pub port: u16,
    /// STARTTLS advertised (`None`: implicit TLS, or EHLO never completed).
    pub starttls_offered: Option<bool>,
    /// The TLS version negotiated (`TLS 1.3`), if TLS completed.
    pub tls_version: Option<String>,
    /// The leaf certificate, if one was seen.
    pub certificate: Option<BaselineCert>,
    /// Where the probe stopped early, in words (`stopped in connect: …`).
    pub stopped: Option<String>,
}

/// The leaf certificate an endpoint of the baseline served.
#[derive(Debug, Clone)]
pub struct BaselineCert {
    /// Its SHA-256 fingerprint.
    pub sha256: Fingerprint,
    /// Its subject.
    pub subject: String,
    /// Its issuer.
    pub issuer: String,
    /// Its end of validity, as written.
    pub not_after: String,
    /// Its start of validity, read (`None` when it is not RFC 3339).
    pub not_before_at: Option<OffsetDateTime>,
    /// Its end of validity, read.
    pub not_after_at: Option<OffsetDateTime>,
}

impl BaselineReport {
    /// The date of the report (`2026-03-01`), or its `generated_at` as written.
    pub fn date(&self) -> &str {
        self.generated_at
            .get(..10)
            .filter(|_| self.generated.is_some())
            .unwrap_or(&self.generated_at)
    }

    /// Whether any endpoint got as far as something a later run can be compared with: an
    /// EHLO reply (STARTTLS offered or not), a TLS version or a certificate.
    pub fn saw_anything(&self) -> bool {
        self.endpoints.iter().any(|e| {
            e.starttls_offered.is_some() || e.tls_version.is_some() || e.certificate.is_some()
        })
    }

    /// Where its endpoints stopped, as a phrase: `mx1.contoso.com [192.0.2.1]:25 stopped in
    /// connect: …`, at most three, or that it had none.
    pub fn stopped_phrase(&self) -> String {
        const SHOWN: usize = 3;
        let mut parts: Vec<String> = self
            .endpoints
            .iter()
            .take(SHOWN)
            .map(|e| match &e.stopped {
                Some(s) => format!("{} {s}", e.label),
                None => format!("{} reached no EHLO reply", e.label),
            })
            .collect();
        match self.endpoints.len() {
            0 => return "it found no endpoint to probe".to_string(),
            n if n > SHOWN => parts.push(format!("and {} more", n - SHOWN)),
            _ => {}
        }
        parts.join("; ")
    }
}

impl Baseline {
    /// Reads and checks the file at `path`.
    pub fn load(path: &Path) -> Result<Self, BaselineError> {
        let name = path.display().to_string();
        if path.is_dir() {
            return Err(BaselineError::Directory { path: name });
        }
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_BASELINE_BYTES + 1).read_to_end(&mut bytes))
            .map_err(|error| BaselineError::Read {
                path: name.clone(),
                error,
            })?;
        if bytes.len() as u64 > MAX_BASELINE_BYTES {
            return Err(BaselineError::TooLarge { path: name });
        }
        Self::parse(&name, &bytes)
    }

    /// Reads and checks the bytes of a file named `source`.
    pub fn parse(source: &str, bytes: &[u8]) -> Result<Self, BaselineError> {
        let path = || source.to_string();
        let text = decode(bytes).ok_or_else(|| BaselineError::Encoding { path: path() })?;
        let text = text.trim_start_matches('\u{feff}').trim();
        if text.is_empty() {
            return Err(BaselineError::Empty { path: path() });
        }
        let (shape, documents) = documents(source, text)?;
        let mut reports = Vec::new();
        for (at, doc) in &documents {
            checked_document(source, at, doc)?;
            match doc.get("reports") {
                Some(Value::Array(list)) => {
                    if list.is_empty() && documents.len() == 1 {
                        return Err(BaselineError::NoReports { path: path() });
                    }
                    for (i, r) in list.iter().enumerate() {
                        let at = format!("{at}reports[{i}]");
                        checked_document(source, &at, r)?;
                        reports.push(report_of(source, &at, r)?);
                    }
                }
                _ => reports.push(report_of(source, at, doc)?),
            }
        }
        let mut by_target = HashMap::new();
        for (i, r) in reports.iter().enumerate() {
            by_target.insert(r.target.to_ascii_lowercase(), i);
        }
        Ok(Baseline {
            source: source.to_string(),
            shape,
            reports,
            by_target,
        })
    }

    /// The report of `target` (as a report names it), if the baseline holds one.
    pub fn report_for(&self, target: &str) -> Option<&BaselineReport> {
        self.by_target
            .get(&target.to_ascii_lowercase())
            .map(|&i| &self.reports[i])
    }

    /// The targets it holds, as a phrase: `contoso.com`, `3 targets: a, b, c`, at most ten named.
    pub fn targets_phrase(&self) -> String {
        let mut seen: Vec<&str> = Vec::new();
        for (i, r) in self.reports.iter().enumerate() {
            if self.by_target.get(&r.target.to_ascii_lowercase()) == Some(&i) {
                seen.push(&r.target);
            }
        }
        let named = seen.iter().take(10).copied().collect::<Vec<_>>().join(", ");
        let more = if seen.len() > 10 { ", …" } else { "" };
        match seen.len() {
            0 => "no report".to_string(),
            1 => format!("only {named}"),
            n => format!("{n} targets: {named}{more}"),
        }
    }

    /// The report of `target`, or the error a one-target run stops with.
    pub fn require(&self, target: &str) -> Result<&BaselineReport, BaselineError> {
        self.report_for(target)
            .ok_or_else(|| BaselineError::OtherTarget {
                path: self.source.clone(),
                wanted: target.to_string(),
                has: self.targets_phrase(),
            })
    }

    /// The report a one-target run compares with, or the error it stops with: none for
    /// `target`, one made with other endpoint options, or one that saw nothing to compare.
    pub fn usable_for(&self, target: &str) -> Result<&BaselineReport, BaselineError> {
        let r = self.require(target)?;
        if !r.differences.is_empty() {
            return Err(BaselineError::OtherEndpoints {
                path: self.source.clone(),
                differences: r.differences.clone(),
            });
        }
        if !r.saw_anything() {
            return Err(BaselineError::NothingSeen {
                path: self.source.clone(),
                target: r.target.clone(),
                stopped: r.stopped_phrase(),
            });
        }
        Ok(r)
    }
}

/// The text of a file in UTF-8, or in UTF-16 with its byte-order mark.
fn decode(bytes: &[u8]) -> Option<Cow<'_, str>> {
    let utf16 = |rest: &[u8], le: bool| {
        let units = rest.chunks_exact(2).map(|c| {
            if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .ok()
            .map(Cow::Owned)
    };
    match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, true),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, false),
        _ => std::str::from_utf8(bytes).ok().map(Cow::Borrowed),
    }
}

/// JSON documents, each with where it is in the file (`` or `line 3: `).
type Located = Vec<(String, Value)>;

/// The JSON documents of the text, and the shape of the file: one document, or JSON Lines.
fn documents(source: &str, text: &str) -> Result<(&'static str, Located), BaselineError> {
    let not_json = |detail: String| BaselineError::NotJson {
        path: source.to_string(),
        detail,
    };
    if !text.starts_with(['{', '[']) {
        let start: String = text.chars().take(24).collect();
        return Err(not_json(format!(
            "it starts with \"{}\"",
            crate::text::braced(&start)
        )));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(v) => {
            let shape = if v.get("reports").is_some() {
                "a batch document"
            } else {
                "a report"
            };
            Ok((shape, vec![(String::new(), v)]))
        }
        Err(whole) => {
            let lines: Vec<(usize, &str)> = text
                .lines()
                .enumerate()
                .map(|(i, l)| (i + 1, l.trim()))
                .filter(|(_, l)| !l.is_empty())
                .collect();
            if lines.len() < 2 {
                return Err(not_json(whole.to_string()));
            }
            let mut out = Vec::new();
            for (n, line) in lines {
                let v = serde_json::from_str::<Value>(line)
                    .map_err(|e| not_json(format!("line {n}: {e}")))?;
                out.push((format!("line {n}: "), v));
            }
            Ok(("JSON Lines", out))
        }
    }
}

/// Refuses a document that is not this tool's, of another schema, an error document or a
/// redacted report.
fn checked_document(source: &str, at: &str, doc: &Value) -> Result<(), BaselineError> {
    let path = || source.to_string();
    let not_ours = |what: String| BaselineError::NotOurs {
        path: path(),
        what: format!("{at}{what}"),
    };
    if !doc.is_object() {
        return Err(not_ours("not an object".into()));
    }
    match doc.pointer("/tool/name").and_then(Value::as_str) {
        Some(env!("CARGO_PKG_NAME")) => {}
        Some(name) => {
            return Err(not_ours(format!(
                "it was written by \"{}\"",
                crate::text::braced(name)
            )));
        }
        None => return Err(not_ours("it has no tool.name".into())),
    }
    match doc.get("schema_version") {
        Some(Value::Number(n)) if n.as_u64() == Some(SCHEMA_VERSION) => {}
        other => {
            let found = other.map_or_else(|| "(none)".to_string(), ToString::to_string);
            return Err(BaselineError::Schema {
                path: path(),
                found: crate::text::braced(&found),
            });
        }
    }
    if let Some(e) = doc.get("error") {
        return Err(BaselineError::ErrorDocument {
            path: path(),
            message: crate::text::braced(e.as_str().unwrap_or_default()),
        });
    }
    let invocation = doc.get("invocation").and_then(Value::as_str).unwrap_or("");
    if invocation.split_whitespace().any(|w| w == "--redact") || doc.get("redacted").is_some() {
        return Err(BaselineError::Redacted { path: path() });
    }
    Ok(())
}

/// A string field, escaped for display.
fn text(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .map(crate::text::braced)
}

/// One report of the baseline (`at`: where it is in the file, for messages).
fn report_of(source: &str, at: &str, r: &Value) -> Result<BaselineReport, BaselineError> {
    let not_ours = |what: String| BaselineError::NotOurs {
        path: source.to_string(),
        what: format!("{at}{what}"),
    };
    let Some(Value::Array(endpoints)) = r.get("endpoints") else {
        return Err(not_ours(
            "it is no probe report (no endpoints): the output of explain or exchange-config?"
                .into(),
        ));
    };
    let target = text(r, "/target").ok_or_else(|| not_ours("it has no target".into()))?;
    let generated_at = text(r, "/generated_at").unwrap_or_default();
    let generated = OffsetDateTime::parse(
        &generated_at,
        &time::format_description::well_known::Rfc3339,
    )
    .ok();
    let endpoints = endpoints
        .iter()
        .enumerate()
        .map(|(i, e)| endpoint_of(e).map_err(|what| not_ours(format!("endpoints[{i}]: {what}"))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(BaselineReport {
        target,
        generated_at,
        generated,
        invocation: text(r, "/invocation"),
        verdict: text(r, "/verdict").unwrap_or_default(),
        endpoints,
        differences: Vec::new(),
    })
}

/// One endpoint of a baseline report, or what it lacks.
fn endpoint_of(e: &Value) -> Result<BaselineEndpoint, String> {
    let host = text(e, "/host").ok_or("it has no host")?;
    let address = e
        .get("address")
        .and_then(Value::as_str)
        .and_then(|a| a.parse::<IpAddr>().ok())
        .ok_or("its address is not an IP address")?;
    let port = e
        .get("port")
        .and_then(Value::as_u64)
        .and_then(|p| u16::try_from(p).ok())
        .ok_or("its port is not a port number")?;
    let certificate = match e.get("certificate") {
        Some(c) if c.is_object() => {
            let sha256 = c
                .get("sha256")
                .and_then(Value::as_str)
                .and_then(|s| Fingerprint::parse(s).ok())
                .ok_or("its certificate.sha256 is not a SHA-256 fingerprint")?;
            let at = |p: &str| {
                c.get(p).and_then(Value::as_str).and_then(|t| {
                    OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
                })
            };
            Some(BaselineCert {
                sha256,
                subject: text(c, "/subject").unwrap_or_default(),
                issuer: text(c, "/issuer").unwrap_or_default(),
                not_after: text(c, "/not_after").unwrap_or_default(),
                not_before_at: at("not_before"),
                not_after_at: at("not_after"),
            })
        }
        _ => None,
    };
    Ok(BaselineEndpoint {
        label: text(e, "/label").unwrap_or_else(|| format!("{host} [{address}]:{port}")),
        host: host.to_ascii_lowercase(),
        domain: text(e, "/domain"),
        address,
        port,
        starttls_offered: e.get("starttls_offered").and_then(Value::as_bool),
        tls_version: text(e, "/tls/version"),
        certificate,
        stopped: text(e, "/failure/message").map(|m| match text(e, "/failure/phase") {
            Some(phase) => format!("stopped in {phase}: {m}"),
            None => format!("stopped: {m}"),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "5A2C7E39D1B4F6088A1C3E5F7092B4D6E8FA1C3E5F7092B4D6E8FA1C3E5F7092";

    fn colon(h: &str) -> String {
        h.as_bytes()
            .chunks(2)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(":")
    }

    #[test]
    fn every_pasted_form_of_a_sha256_reads_the_same() {
        let want = Fingerprint::parse(HEX).unwrap();
        let lower = HEX.to_ascii_lowercase();
        let spaced = colon(HEX).replace(':', " ");
        let dashed = colon(HEX).replace(':', "-");
        for form in [
            colon(HEX),
            lower.clone(),
            colon(&lower),
            format!("sha256:{HEX}"),
            format!("SHA256:{}", colon(HEX)),
            format!("SHA-256: {lower}"),
            format!("sha256 Fingerprint={}", colon(HEX)),
            format!("SHA256 Fingerprint={}", colon(HEX)),
            format!("  \"{}\"  ", colon(HEX)),
            format!("'{HEX}'"),
            spaced.clone(),
            spaced.to_ascii_lowercase(),
            dashed,
            format!(
                "SHA256 hash of mail.cer:\n{}\nCertUtil: -hashfile command completed successfully.",
                spaced.to_ascii_lowercase()
            ),
        ] {
            assert_eq!(Fingerprint::parse(&form), Ok(want), "{form}");
        }
        assert_eq!(want.colon(), colon(HEX));
        assert_eq!(want.plain(), HEX);
        assert_eq!(want.short(), "5A:2C:7E:39…70:92");
    }

    #[test]
    fn a_sha1_thumbprint_is_named_with_the_way_to_its_sha256() {
        let thumb = "d2a7f0b6c1e3a4958b7c6d5e4f3a2b1c0d9e8f7a";
        let e = Fingerprint::parse(thumb).unwrap_err();
        assert!(e.contains("SHA-1 thumbprint"), "{e}");
        assert!(e.contains("Get-ExchangeCertificate"), "{e}");
        assert!(
            e.contains(r"Cert:\LocalMachine\My\D2A7F0B6C1E3A4958B7C6D5E4F3A2B1C0D9E8F7A"),
            "the command is built from the thumbprint given: {e}"
        );
        assert!(e.contains("-fingerprint -sha256"), "{e}");
        let e = Fingerprint::parse(&format!("SHA1 Fingerprint={}", colon(thumb))).unwrap_err();
        assert!(e.contains("SHA-1 thumbprint"), "{e}");
    }

    #[test]
    fn anything_but_32_bytes_of_hex_is_refused_with_what_it_is() {
        let cases = [
            ("", "no fingerprint given"),
            ("sha256:", "no fingerprint given"),
            (&HEX[..62], "62 hex digits; a SHA-256 fingerprint has 64"),
            (&format!("{HEX}00"), "66 hex digits"),
            (&HEX[..32], "MD5"),
            (&format!("{HEX}{}", &HEX[..32]), "SHA-384"),
            (&format!("{HEX}{HEX}"), "SHA-512"),
            (&HEX.replace('A', "G"), "'G' is not a hex digit"),
            (
                "sha256//YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=",
                "base64",
            ),
            ("YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=", "base64"),
            ("mail.contoso.com", "is not a hex digit"),
        ];
        for (input, says) in cases {
            let e = Fingerprint::parse(input).unwrap_err();
            assert!(e.contains(says), "{input:?}: {e}");
            assert!(e.contains("openssl x509"), "{input:?} says how: {e}");
        }
    }

    fn report(target: &str, endpoints: Value) -> Value {
        serde_json::json!({
            "schema_version": 1,
            "tool": {"name": "starttls-check", "version": "0.1.0"},
            "generated_at": "2026-03-01T12:00:00Z",
            "target": target,
            "invocation": format!("starttls-check {target} --format json"),
            "verdict": "pass",
            "endpoints": endpoints,
        })
    }

    fn endpoint(host: &str, ip: &str) -> Value {
        serde_json::json!({
            "label": format!("{host} [{ip}]:25"), "host": host, "address": ip, "port": 25,
            "starttls_offered": true, "tls": {"version": "TLS 1.3"},
            "certificate": {"sha256": colon(HEX), "subject": "CN=mx", "issuer": "CN=R3, O=Let's Encrypt", "not_after": "2026-06-01T00:00:00Z"},
            "failure": null,
        })
    }

    #[test]
    fn a_report_a_batch_and_json_lines_all_read() {
        let one = report(
            "contoso.com",
            serde_json::json!([endpoint("mx1.contoso.com", "192.0.2.1")]),
        );
        let b = Baseline::parse("one.json", one.to_string().as_bytes()).unwrap();
        assert_eq!(b.shape, "a report");
        let r = b.report_for("Contoso.com").unwrap();
        assert_eq!(r.date(), "2026-03-01");
        let e = &r.endpoints[0];
        assert_eq!((e.port, e.starttls_offered), (25, Some(true)));
        assert_eq!(e.certificate.as_ref().unwrap().sha256.plain(), HEX);
        assert_eq!(e.tls_version.as_deref(), Some("TLS 1.3"));

        let two = report("fabrikam.com", serde_json::json!([]));
        let batch = serde_json::json!({
            "schema_version": 1, "tool": {"name": "starttls-check"},
            "reports": [one, two],
        });
        let b = Baseline::parse("batch.json", batch.to_string().as_bytes()).unwrap();
        assert_eq!(b.shape, "a batch document");
        assert!(b.report_for("fabrikam.com").is_some());
        assert_eq!(b.targets_phrase(), "2 targets: contoso.com, fabrikam.com");

        // JSON Lines, appended twice: the later line of a target wins.
        let mut newer = report("contoso.com", serde_json::json!([]));
        newer["generated_at"] = "2026-04-01T00:00:00Z".into();
        let lines = format!("{one}\n{two}\n\n{newer}\n");
        let b = Baseline::parse("runs.jsonl", lines.as_bytes()).unwrap();
        assert_eq!(b.shape, "JSON Lines");
        assert_eq!(b.report_for("contoso.com").unwrap().date(), "2026-04-01");
        // Pretty JSON written by Windows PowerShell 5.1's `>`: UTF-16 LE with a BOM.
        let pretty = serde_json::to_string_pretty(&one).unwrap();
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(pretty.encode_utf16().flat_map(u16::to_le_bytes));
        assert!(Baseline::parse("ps.json", &utf16).is_ok());
        let mut bom8 = "\u{feff}".as_bytes().to_vec();
        bom8.extend(pretty.as_bytes());
        assert!(Baseline::parse("bom.json", &bom8).is_ok());
    }

    #[test]
    fn what_is_not_a_baseline_is_refused_with_what_it_is() {
        let ok = report(
            "contoso.com",
            serde_json::json!([endpoint("mx1.contoso.com", "192.0.2.1")]),
        );
        let with = |f: &dyn Fn(&mut Value)| {
            let mut v = ok.clone();
            f(&mut v);
            v.to_string()
        };
        let cases: Vec<(String, &str)> = vec![
            ("   \n".into(), "is empty"),
            ("PASS contoso.com: STARTTLS works".into(), "is not JSON (it starts with \"PASS"),
            ("{\"a\": ".into(), "is not JSON (EOF"),
            ("{\"a\": 1}\n{\"b\"".into(), "is not JSON (line 2:"),
            ("[1, 2]".into(), "not an object"),
            (with(&|v| v["tool"]["name"] = "testssl.sh".into()), "written by \"testssl.sh\""),
            (with(&|v| v["schema_version"] = 2.into()), "has schema_version 2"),
            (with(&|v| {
                v.as_object_mut().unwrap().remove("schema_version");
            }), "has schema_version (none)"),
            (with(&|v| v["error"] = "--timeout: -1 is out of range".into()), "error document of a run that could not start (--timeout"),
            (with(&|v| v["invocation"] = "starttls-check contoso.com --redact --format json".into()), "redacted"),
            (with(&|v| {
                v.as_object_mut().unwrap().remove("endpoints");
            }), "no probe report"),
            (with(&|v| v["endpoints"][0]["address"] = "host-1".into()), "endpoints[0]: its address is not an IP address"),
            (with(&|v| v["endpoints"][0]["certificate"]["sha256"] = "AB:CD".into()), "not a SHA-256"),
            (serde_json::json!({"schema_version": 1, "tool": {"name": "starttls-check"}, "reports": []}).to_string(), "no reports"),
        ];
        for (text, says) in cases {
            let e = Baseline::parse("old.json", text.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("--baseline old.json"), "{e}");
            assert!(e.contains(says), "{text}\n→ {e}\nwanted: {says}");
        }
        assert!(matches!(
            Baseline::parse("x", &[0xC3, 0x28]),
            Err(BaselineError::Encoding { .. })
        ));
        let b = Baseline::parse("old.json", ok.to_string().as_bytes()).unwrap();
        let e = b.require("fabrikam.com").unwrap_err().to_string();
        assert_eq!(
            e,
            "--baseline old.json holds no report for fabrikam.com; it holds only contoso.com"
        );
    }

    /// The run's error is written with its chain of causes (`{:#}`): the I/O error must be
    /// said once, and a directory in plain words.
    #[test]
    fn a_file_that_cannot_be_read_is_said_once() {
        let chain = |p: &Path| format!("{:#}", anyhow::Error::new(Baseline::load(p).unwrap_err()));
        let dir = std::env::temp_dir();
        let e = chain(&dir);
        assert_eq!(
            e,
            format!(
                "--baseline {} is a directory: give the file an earlier run wrote with --format json (or jsonl)",
                dir.display()
            )
        );
        let missing = dir.join("starttls-check-no-such-baseline.json");
        let e = chain(&missing);
        assert_eq!(e.matches("os error").count(), 1, "{e}");
    }

    /// A one-target run refuses a report that saw nothing (every endpoint stopped before an
    /// EHLO reply: made where port 25 is blocked) or that was made with other endpoint
    /// options, naming why.
    #[test]
    fn a_report_with_nothing_to_compare_is_refused_for_one_target() {
        let mut blocked = endpoint("mx1.contoso.com", "192.0.2.1");
        for k in ["starttls_offered", "tls", "certificate"] {
            blocked[k] = Value::Null;
        }
        blocked["failure"] = serde_json::json!({"phase": "connect", "kind": "timeout", "message": "no answer within 10.0s"});
        let r = report("contoso.com", serde_json::json!([blocked.clone()]));
        let b = Baseline::parse("old.json", r.to_string().as_bytes()).unwrap();
        assert!(!b.reports[0].saw_anything());
        let e = b.usable_for("contoso.com").unwrap_err().to_string();
        assert!(
            e.starts_with(
                "--baseline old.json has nothing to compare with: no endpoint of its run of contoso.com got as far as an EHLO reply \
                 (mx1.contoso.com [192.0.2.1]:25 stopped in connect: no answer within 10.0s)"
            ),
            "{e}"
        );
        assert!(e.contains("port 25 is blocked"), "{e}");
        let r = report("contoso.com", serde_json::json!([]));
        let b = Baseline::parse("old.json", r.to_string().as_bytes()).unwrap();
        let e = b.usable_for("contoso.com").unwrap_err().to_string();
        assert!(e.contains("(it found no endpoint to probe)"), "{e}");
        // No STARTTLS in its EHLO reply is something to compare.
        let mut plain = blocked;
        plain["starttls_offered"] = false.into();
        let r = report("contoso.com", serde_json::json!([plain]));
        let mut b = Baseline::parse("old.json", r.to_string().as_bytes()).unwrap();
        assert!(b.usable_for("contoso.com").is_ok());
        b.reports[0].differences = vec!["-p 587 in the baseline, -p 25 in this run".into()];
        assert_eq!(
            b.usable_for("contoso.com").unwrap_err().to_string(),
            "--baseline old.json was made with other options that decide which endpoints are probed \
             (-p 587 in the baseline, -p 25 in this run): every endpoint would be reported as gone or new. \
             Run with the baseline's options, or make a new baseline with this run's"
        );
    }

    #[test]
    fn endpoint_options_differ_one_phrase_each() {
        let base = Probed {
            ports: vec![25],
            implicit_tls: false,
            max_mx: 10,
            max_addresses: 8,
            family: "",
            no_mx: false,
        };
        let other = Probed {
            ports: vec![25, 465],
            implicit_tls: true,
            max_mx: 2,
            max_addresses: 8,
            family: "-6",
            no_mx: true,
        };
        assert_eq!(
            other.differences(&base),
            [
                "-p 25,465 in the baseline, -p 25 in this run",
                "--max-mx 2 in the baseline, --max-mx 10 in this run",
                "-6 in the baseline, both address families in this run",
                "--implicit-tls in the baseline, not in this run",
                "--no-mx in the baseline, not in this run",
            ]
        );
        assert_eq!(
            base.differences(&other)[3],
            "--implicit-tls in this run, not in the baseline"
        );
        assert!(base.differences(&base.clone()).is_empty());
    }
}
