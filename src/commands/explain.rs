//! `starttls-check explain [TEXT]...`: a finding code's long text, or pasted text (an NDR, a
//! queue's `LastError`, a log line) → the cause, the fix and the probe that confirms it; with
//! `--probe`, that probe run at once and joined to the answer.
//!
//! Free text is never a target: without `--probe` nothing here touches the network (no DNS,
//! no connection), and with it only the probe the engine built from what the text names runs.
//! The text is bounded ([`MAX_TEXT`], read with one byte more to know it was cut) and may be
//! anything: invalid UTF-8 arrives as `\xNN`, and the report layer escapes the rest.

use std::io::{Read, Write};

use anyhow::{Context, bail};
use clap::Parser;

use crate::cli::ProbeArgs;
use crate::exit;
use crate::explain::{self, Explanation, MAX_TEXT, ProbeSuggestion};
use crate::report::explain::{self as render, Probed};
use crate::report::{self, Format, RenderOptions, redact};
use crate::target::Target;

/// The text to explain, at most [`MAX_TEXT`] bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Input {
    /// The text (invalid UTF-8 written as `\xNN`).
    pub(crate) text: String,
    /// The input was longer than [`MAX_TEXT`] and was cut.
    pub(crate) truncated: bool,
}

/// Whether `explain`'s text comes from stdin: `-` alone, or no TEXT while stdin is not a
/// terminal (a pipe or a file).
pub(crate) fn reads_stdin(words: &[String], stdin_is_terminal: bool) -> bool {
    matches!(words, [w] if w == "-") || (words.is_empty() && !stdin_is_terminal)
}

impl Input {
    /// The words of the command line, joined with spaces.
    pub(crate) fn words(words: &[String]) -> Input {
        Input::bounded(words.join(" "), false)
    }

    /// At most [`MAX_TEXT`] bytes of `reader` (one more is read to know whether it was cut).
    pub(crate) fn read(reader: &mut dyn Read) -> anyhow::Result<Input> {
        let mut bytes = Vec::new();
        reader
            .take(MAX_TEXT as u64 + 1)
            .read_to_end(&mut bytes)
            .context("cannot read the text from stdin")?;
        let cut = bytes.len() > MAX_TEXT;
        bytes.truncate(MAX_TEXT);
        let mut text = String::with_capacity(bytes.len());
        let mut chunks = bytes.utf8_chunks().peekable();
        while let Some(chunk) = chunks.next() {
            text.push_str(chunk.valid());
            // A character cut in two at the limit is dropped, not shown as bytes.
            if cut && chunks.peek().is_none() {
                break;
            }
            for b in chunk.invalid() {
                text.push_str(&format!("\\x{b:02x}"));
            }
        }
        Ok(Input::bounded(text, cut))
    }

    /// `text` cut at [`MAX_TEXT`] bytes (on a character boundary).
    fn bounded(mut text: String, cut: bool) -> Input {
        let mut truncated = cut;
        if text.len() > MAX_TEXT {
            let mut at = MAX_TEXT;
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text.truncate(at);
            truncated = true;
        }
        Input { text, truncated }
    }
}

/// Explains `input` and writes the answer in `format`; with `probe` (the user's probe
/// options, given with `--probe`), runs the suggested probe first. Returns the exit code.
pub fn run(
    runtime: &tokio::runtime::Runtime,
    input: &Input,
    probe: Option<&ProbeArgs>,
    format: Format,
    opts: RenderOptions,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let word = input.text.trim();
    if word.is_empty() {
        bail!(
            "nothing to explain: give the text (quoted), a finding code, or `-` and the text on stdin"
        );
    }
    let mut answer: Option<Explanation> = None;
    if !word.contains(char::is_whitespace) {
        match explain::lookup_code(word) {
            Ok(code) => {
                report::emit(out, &render::render_code(code, format, probe.is_some()))?;
                return Ok(if probe.is_some() {
                    exit::UNKNOWN
                } else {
                    exit::PASS
                });
            }
            Err(near) if !near.is_empty() => {
                // A word close to a code may still be text the engine knows (`4.7.320`).
                let e = explain::explain_text(&input.text);
                if e.matches.is_empty() {
                    // The word as typed: with --redact, its addresses go.
                    let text = render::render_not_a_code(word, &near, format);
                    report::emit(out, &redact::text(&mut redact::when(opts.redact), text))?;
                    return Ok(exit::UNKNOWN);
                }
                answer = Some(e);
            }
            Err(_) => {}
        }
    }
    let mut e = answer.unwrap_or_else(|| explain::explain_text(&input.text));
    e.extracted.truncated |= input.truncated;
    respond(runtime, &e, probe, format, opts, out)
}

/// Writes the answer to `e`; with `probe`, runs the suggested probe first and joins its
/// findings to the answer. Returns the exit code.
fn respond(
    runtime: &tokio::runtime::Runtime,
    e: &Explanation,
    probe: Option<&ProbeArgs>,
    format: Format,
    opts: RenderOptions,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let recognised = !e.matches.is_empty();
    let mut redactor = redact::when(opts.redact);
    if let Some(r) = redactor.as_mut() {
        r.learn_explanation(e);
    }
    let Some(user) = probe else {
        let text = render::render(e, Probed::NotAsked, format, opts);
        report::emit(out, &redact::text(&mut redactor, text))?;
        return Ok(if recognised {
            exit::PASS
        } else {
            exit::UNKNOWN
        });
    };
    let Some(suggestion) = e.probe.clone() else {
        let text = render::render(e, Probed::NothingToProbe, format, opts);
        report::emit(out, &redact::text(&mut redactor, text))?;
        return Ok(exit::UNKNOWN);
    };
    let (target, args) = merged(&suggestion, user)?;
    let command = command_line(&target, &args);
    let mut probe_report = super::check::probe(runtime, vec![target], &args, &mut redactor)?;
    probe_report.invocation = Some(render::visible(&command));
    redact::report(&mut redactor, &mut probe_report);
    let probed = Probed::Ran {
        command: &command,
        report: &probe_report,
    };
    let text = render::render(e, probed, format, opts);
    report::emit(out, &redact::text(&mut redactor, text))?;
    Ok(exit::for_verdict(probe_report.verdict))
}

/// A suggested probe read as the command line it is.
#[derive(Debug, Parser)]
#[command(name = "starttls-check", no_binary_name = true)]
struct Suggested {
    /// The target.
    target: Target,
    /// Its options.
    #[command(flatten)]
    probe: ProbeArgs,
}

/// The probe options' defaults, as clap gives them.
#[derive(Debug, Parser)]
#[command(name = "starttls-check", no_binary_name = true)]
struct Defaults {
    /// The options.
    #[command(flatten)]
    probe: ProbeArgs,
}

/// The suggested probe's target, and its options merged with the user's: an option the user
/// gave (anything but its default) wins; `--resolve` is merged per host, `--ca-file` adds up.
pub(crate) fn merged(
    suggestion: &ProbeSuggestion,
    user: &ProbeArgs,
) -> anyhow::Result<(Target, ProbeArgs)> {
    let words = std::iter::once(suggestion.target.as_str())
        .chain(suggestion.args.iter().map(String::as_str));
    let s = Suggested::try_parse_from(words)
        .map(|s| (s.target, s.probe))
        .map_err(|e| {
            anyhow::anyhow!(
                "the suggested probe `{}` is not a command line this tool takes: {}",
                render::visible(&suggestion.command),
                render::visible(e.render().to_string().lines().next().unwrap_or_default())
            )
        })?;
    let (target, suggested) = s;
    let d = Defaults::try_parse_from(std::iter::empty::<&str>())
        .context("the probe options have no defaults")?
        .probe;
    Ok((target, merge_options(user, &suggested, &d)))
}

/// The user's probe options, with the suggestion's where the user left the default.
fn merge_options(user: &ProbeArgs, suggested: &ProbeArgs, d: &ProbeArgs) -> ProbeArgs {
    let mut m = user.clone();
    if m.port == d.port {
        m.port.clone_from(&suggested.port);
    }
    m.implicit_tls |= suggested.implicit_tls;
    if m.ehlo_name.is_none() {
        m.ehlo_name.clone_from(&suggested.ehlo_name);
    }
    if m.expect_name.is_empty() {
        m.expect_name.clone_from(&suggested.expect_name);
    }
    for f in &suggested.ca_file {
        if !m.ca_file.contains(f) {
            m.ca_file.push(f.clone());
        }
    }
    if m.warn_days == d.warn_days {
        m.warn_days = suggested.warn_days;
    }
    if m.fail_days == d.fail_days {
        m.fail_days = suggested.fail_days;
    }
    if m.timeout == d.timeout {
        m.timeout = suggested.timeout;
    }
    if m.deadline.is_none() {
        m.deadline = suggested.deadline;
    }
    for (host, ip) in &suggested.resolve {
        if !user.resolve.iter().any(|(h, _)| h == host) {
            m.resolve.push((host.clone(), *ip));
        }
    }
    if m.resolver.is_empty() {
        m.resolver.clone_from(&suggested.resolver);
    }
    m.no_mx |= suggested.no_mx;
    if m.max_mx == d.max_mx {
        m.max_mx = suggested.max_mx;
    }
    if m.max_addresses == d.max_addresses {
        m.max_addresses = suggested.max_addresses;
    }
    if m.concurrency == d.concurrency {
        m.concurrency = suggested.concurrency;
    }
    m.check_required |= suggested.check_required;
    m.expect_required |= suggested.expect_required && m.check_required;
    if !m.no_dnsbl {
        if m.dnsbl.is_empty() {
            m.dnsbl.clone_from(&suggested.dnsbl);
        }
        if m.egress_ip.is_none() {
            m.egress_ip = suggested.egress_ip;
        }
    }
    if !m.ipv4 && !m.ipv6 {
        m.ipv4 = suggested.ipv4;
        m.ipv6 = suggested.ipv6;
    }
    m
}

/// The probe as a command line a user can paste: the target, the ports when not the
/// default, and the options that decide how the endpoint is reached.
pub(super) fn command_line(target: &Target, args: &ProbeArgs) -> String {
    let mut words = vec![
        "starttls-check".to_string(),
        crate::diagnose::fix::shell_word(&target.to_string()),
    ];
    if args.port != [crate::settings::DEFAULT_PORT] {
        let ports: Vec<String> = args.port.iter().map(u16::to_string).collect();
        words.push(format!("-p {}", ports.join(",")));
    }
    words.extend(crate::cli::rerun_options(args));
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(words: &[&str]) -> ProbeArgs {
        Defaults::try_parse_from(words).unwrap().probe
    }

    fn suggestion(target: &str, args: &[&str]) -> ProbeSuggestion {
        ProbeSuggestion {
            target: target.into(),
            args: args.iter().map(|a| (*a).to_string()).collect(),
            command: format!("starttls-check {target} {}", args.join(" ")),
        }
    }

    #[test]
    fn stdin_is_read_for_a_dash_or_no_text_from_a_pipe() {
        let w = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        assert!(reads_stdin(&w(&["-"]), true));
        assert!(reads_stdin(&w(&[]), false));
        assert!(!reads_stdin(&w(&[]), true));
        assert!(!reads_stdin(&w(&["-", "x"]), false));
        assert!(!reads_stdin(&w(&["cert-expired"]), false));
    }

    #[test]
    fn the_text_is_bounded_and_invalid_utf8_becomes_visible() {
        let r = Input::read(&mut &b"450 4.7.320 \xff\xfe ok\x1b[2J"[..]).unwrap();
        assert_eq!(r.text, "450 4.7.320 \\xff\\xfe ok\x1b[2J");
        assert!(!r.truncated);
        // One byte over: cut, and said.
        let big = vec![b'a'; MAX_TEXT + 1];
        let r = Input::read(&mut &big[..]).unwrap();
        assert_eq!(r.text.len(), MAX_TEXT);
        assert!(r.truncated);
        // Exactly the limit: not cut.
        let r = Input::read(&mut &big[..MAX_TEXT]).unwrap();
        assert!(!r.truncated);
        // A character split by the limit is dropped, not shown as bytes.
        let mut split = vec![b'a'; MAX_TEXT - 1];
        split.extend("é and more".as_bytes());
        let r = Input::read(&mut &split[..]).unwrap();
        assert!(r.truncated && r.text.bytes().all(|b| b == b'a'));
        // Invalid bytes that grow into `\xNN` are bounded too.
        let r = Input::read(&mut &vec![0xffu8; MAX_TEXT][..]).unwrap();
        assert!(r.text.len() <= MAX_TEXT && r.truncated);
        // Words: joined, bounded on a character boundary.
        let r = Input::words(&["a".into(), "b".into()]);
        assert_eq!((r.text.as_str(), r.truncated), ("a b", false));
        let r = Input::words(&["é".repeat(MAX_TEXT)]);
        assert!(r.truncated && r.text.len() <= MAX_TEXT);
    }

    #[test]
    fn the_users_probe_options_win_over_the_suggested_ones() {
        let s = suggestion(
            "[mail.example.test]:2525",
            &[
                "--resolve",
                "mail.example.test:192.0.2.5",
                "--resolve",
                "other.example.test:192.0.2.6",
                "--expect-name",
                "mail.example.test",
                "--timeout",
                "7",
            ],
        );
        // Nothing given: the suggestion as it is.
        let (t, m) = merged(&s, &user(&[])).unwrap();
        assert_eq!(t.to_string(), "[mail.example.test]:2525");
        assert_eq!(m.resolve.len(), 2);
        assert_eq!(m.expect_name, ["mail.example.test"]);
        assert!((m.timeout - 7.0).abs() < f64::EPSILON);
        // The user's --resolve for the same host, --expect-name and --timeout win; the
        // suggestion's other host stays; --ca-file adds up.
        let u = user(&[
            "--resolve",
            "mail.example.test:127.0.0.1",
            "--expect-name",
            "hybrid.example.test",
            "--timeout",
            "1",
            "--resolver",
            "127.0.0.1:5353",
            "--ca-file",
            "/tmp/root.pem",
        ]);
        let (_, m) = merged(&s, &u).unwrap();
        assert_eq!(
            m.resolve,
            [
                (
                    "mail.example.test".to_string(),
                    "127.0.0.1".parse().unwrap()
                ),
                (
                    "other.example.test".to_string(),
                    "192.0.2.6".parse().unwrap()
                ),
            ]
        );
        assert_eq!(m.expect_name, ["hybrid.example.test"]);
        assert!((m.timeout - 1.0).abs() < f64::EPSILON);
        assert_eq!(m.resolver, ["127.0.0.1:5353".parse().unwrap()]);
        assert_eq!(m.ca_file.len(), 1);
        assert_eq!(
            command_line(&t, &m),
            "starttls-check '[mail.example.test]:2525' --resolve mail.example.test:127.0.0.1 \
             --resolve other.example.test:192.0.2.6 --resolver 127.0.0.1:5353 \
             --ca-file /tmp/root.pem --expect-name hybrid.example.test"
        );
    }

    /// `--probe` end to end below the binary (the engine of this branch recognises nothing
    /// yet, so the explanation is made by hand): the suggested probe runs against a scripted
    /// Exchange on 127.0.0.1 that presents its self-signed certificate, with the user's
    /// options, and the answer joins the text's cert-name-mismatch to the cert-self-signed the
    /// probe sees. The exit code is the probe's verdict.
    #[test]
    fn probe_runs_the_suggestion_and_joins_its_findings() {
        use crate::diagnose::Code;
        use crate::diagnose::fix::{Family, Fix};
        use crate::explain::{Extracted, Match, Side};
        use crate::scripted::{LeafSpec, Scenario, ScriptedServer, pki};

        let servers = tokio::runtime::Runtime::new().unwrap();
        let now = time::OffsetDateTime::now_utc();
        let leaf = pki::self_signed(&LeafSpec::valid_for("EXCH01", now, 365)).unwrap();
        let server = servers
            .block_on(ScriptedServer::start(
                Scenario::exchange("EXCH01.contoso.local", Some(&leaf)),
                "127.0.0.1".parse().unwrap(),
                0,
            ))
            .unwrap();
        let target = format!("[mail.example.test]:{}", server.addr.port());
        let e = Explanation {
            extracted: Extracted::default(),
            matches: vec![Match {
                code: Code::CertNameMismatch,
                side: Side::Receiver,
                matched: "450 4.7.320 Certificate validation failed".into(),
                meaning: "the certificate does not cover the name".into(),
                causes: vec![],
                fix: Fix::new(Family::Generic, "test", &[]).say("Replace it."),
            }],
            probe: Some(suggestion(
                &target,
                &["--resolve", "mail.example.test:127.0.0.1"],
            )),
        };
        // Nothing leaves loopback: an unplanned lookup goes to a closed loopback port.
        let args = user(&["--timeout", "2", "--resolver", "127.0.0.1:9"]);
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let mut out = Vec::new();
        let code = respond(
            &runtime,
            &e,
            Some(&args),
            Format::Json,
            RenderOptions::default(),
            &mut out,
        )
        .unwrap();
        let j: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(code, exit::FAIL, "{j:#}");
        assert_eq!(j["verdict"], "fail");
        let codes: Vec<&str> = j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        assert!(codes.contains(&"cert-self-signed"), "{codes:?}");
        let joined = j["joined"][0].as_str().unwrap();
        assert!(
            joined.contains("the probe sees cert-self-signed at mail.example.test [127.0.0.1]:")
                && joined.ends_with("that is the cause"),
            "{joined}"
        );
        assert!(
            j["probe_command"]
                .as_str()
                .unwrap()
                .contains("--resolve mail.example.test:127.0.0.1 --resolver 127.0.0.1:9"),
            "{j:#}"
        );
        assert_eq!(server.connections(), 1, "one probe, one connection");

        // Without --probe: no connection, exit 0 (recognised).
        let mut out = Vec::new();
        let code = respond(
            &runtime,
            &e,
            None,
            Format::Human,
            RenderOptions::default(),
            &mut out,
        )
        .unwrap();
        assert_eq!(code, exit::PASS);
        assert_eq!(server.connections(), 1, "no probe without --probe");
        // --probe with nothing to probe: said, exit 3, no connection.
        let nothing = Explanation { probe: None, ..e };
        let mut out = Vec::new();
        let code = respond(
            &runtime,
            &nothing,
            Some(&args),
            Format::Human,
            RenderOptions::default(),
            &mut out,
        )
        .unwrap();
        assert_eq!(code, exit::UNKNOWN);
        assert!(String::from_utf8_lossy(&out).contains("nothing to probe"));
        assert_eq!(server.connections(), 1);
    }

    #[test]
    fn a_suggestion_that_is_no_command_line_is_an_error_not_a_panic() {
        let s = suggestion("bad host!", &[]);
        let e = merged(&s, &user(&[])).unwrap_err();
        assert!(e.to_string().contains("not a command line"), "{e}");
        let s = suggestion("mail.example.test", &["--bogus\x1b[2J"]);
        let e = merged(&s, &user(&[])).unwrap_err().to_string();
        assert!(!e.contains('\x1b'), "{e}");
    }
}
