//! `listen`: receive instead of send. Binds, serves senders through [`crate::listen`], has
//! each session judged by the rules and writes the report.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use time::OffsetDateTime;

use crate::cli::{ListenArgs, Rejection};
use crate::listen::identity::Identity;
use crate::listen::model::ListenRun;
use crate::listen::{self, ListenConfig, Reject, ptr::PtrLookup};
use crate::report::redact::Redactor;
use crate::report::{self, RenderOptions, redact};

/// A reverse lookup's whole budget: a slow PTR must not hold a session's report back long.
const PTR_TIMEOUT: Duration = Duration::from_secs(3);

/// Runs the listener until `--once`, `--duration`, `--max-sessions` or Ctrl-C; returns the
/// exit code.
pub(crate) fn run(
    runtime: &tokio::runtime::Runtime,
    args: &ListenArgs,
    opts: RenderOptions,
    out: &mut impl Write,
) -> anyhow::Result<u8> {
    // Refused before anything is bound or made.
    let addr = listen::parse_address(&args.listen)?;
    listen::check_public(addr, args.public)?;
    let (hostname, identity) = greeting_and_identity(args)?;
    let config = Arc::new(config(args, hostname, identity));
    let format = args.output.format;
    // `--redact`: one mapping for the run, so that a sender has the same placeholder in its
    // live block and in the summary.
    let mut redactor = redact::when(opts.redact);
    let invocation = invocation();
    let run = runtime.block_on(serve(
        addr,
        &config,
        args,
        opts,
        &mut redactor,
        &invocation,
        out,
    ))?;
    let mut report = crate::report::listen::assemble(&run, OffsetDateTime::now_utc());
    report.invocation = Some(invocation);
    redact::listen_report(&mut redactor, &mut report);
    let text = redact::text(
        &mut redactor,
        crate::report::listen::render_final(&report, format, opts),
    );
    report::emit(out, &text).context("writing the report")?;
    Ok(crate::exit::for_verdict(report.verdict))
}

/// The name in our greeting and the certificate offered after STARTTLS. With --cert, the
/// greeting names what the certificate covers unless --hostname says otherwise; without, the
/// certificate made at start is for the greeting's name. A --hostname that is no host name is
/// refused before any certificate is loaded or made.
fn greeting_and_identity(args: &ListenArgs) -> anyhow::Result<(String, Identity)> {
    let given = match &args.hostname {
        Some(h) if listen::is_host_name(h) => Some(h.to_ascii_lowercase()),
        Some(h) => anyhow::bail!(
            "--hostname {}: not a host name (letters, digits and hyphens in dot-separated labels)",
            crate::smtp::escape(h.as_bytes())
        ),
        None => None,
    };
    Ok(match &args.cert {
        Some(cert) => {
            let identity = listen::identity::load_identity(
                cert,
                args.key.as_deref(),
                args.cert_password_env.as_deref(),
            )?;
            let hostname = given
                .or_else(|| listen::hostname_of(&identity.certificate))
                .unwrap_or_else(listen::default_hostname);
            (hostname, identity)
        }
        None => {
            let hostname = given.unwrap_or_else(listen::default_hostname);
            let identity = listen::identity::generated(&hostname)?;
            (hostname, identity)
        }
    })
}

/// The listener's settings, as the command line gives them.
fn config(args: &ListenArgs, hostname: String, identity: Identity) -> ListenConfig {
    ListenConfig {
        hostname,
        identity,
        expect_names: args.expect_name.clone(),
        reject: match args.reject {
            Rejection::Temporary => Reject::Temporary,
            Rejection::Permanent => Reject::Permanent,
        },
        session_timeout: Duration::from_secs_f64(args.session_timeout),
        duration: Duration::from_secs_f64(args.duration),
        once: args.once,
        max_sessions: args.max_sessions,
        max_concurrent: listen::MAX_CONCURRENT,
        ptr: if args.no_ptr {
            PtrLookup::Off
        } else {
            PtrLookup::Dns {
                servers: args.resolver.clone(),
                timeout: PTR_TIMEOUT,
            }
        },
        public: args.public,
        ca_files: args.ca_file.clone(),
        system_roots: !args.no_system_roots,
        warn_days: i64::from(args.warn_days),
    }
}

/// Binds, says where on stderr, and serves senders until the run ends, writing each
/// session's live block to `out` as it ends; a failed write ends the run with an error once
/// the listener has stopped.
async fn serve(
    addr: SocketAddr,
    config: &Arc<ListenConfig>,
    args: &ListenArgs,
    opts: RenderOptions,
    redactor: &mut Option<Redactor>,
    invocation: &str,
    out: &mut impl Write,
) -> anyhow::Result<ListenRun> {
    let listener = listen::bind(addr).await?;
    let bound = listener.local_addr().unwrap_or(addr);
    announce(bound, config, args.public, redactor, invocation)?;
    let format = args.output.format;
    let expect = args.expect_name.clone();
    let warn_days = config.warn_days;
    let mut write_error = None;
    let on_session = |s: &listen::model::SenderSession| {
        let text = crate::report::listen::render_session_live_with(
            s,
            &expect,
            warn_days,
            OffsetDateTime::now_utc(),
            format,
            opts,
            redactor,
        );
        if !text.is_empty()
            && write_error.is_none()
            && let Err(e) = report::emit(out, &text)
        {
            write_error = Some(e);
        }
    };
    let run = listen::serve(
        listener,
        config.clone(),
        super::batch::interrupted_by_signal(),
        on_session,
    )
    .await?;
    if let Some(e) = write_error {
        return Err(anyhow::Error::from(e).context("writing a session's report"));
    }
    Ok(run)
}

/// Teaches the redactor the listener's own names, then says on stderr where we listen and
/// with which certificate (after a warning when `--public` let us bind beyond loopback).
fn announce(
    bound: SocketAddr,
    config: &ListenConfig,
    public: bool,
    redactor: &mut Option<Redactor>,
    invocation: &str,
) -> anyhow::Result<()> {
    let c = &config.identity.certificate;
    if let Some(r) = redactor.as_mut() {
        r.learn_listener(
            &bound.to_string(),
            &config.hostname,
            c,
            &config.expect_names,
            Some(invocation),
        );
    }
    let mut err = std::io::stderr().lock();
    if public {
        let warning = format!(
            "starttls-check: warning: listening on {bound}, a non-loopback address: \
             anyone who can reach it can connect (no mail is ever accepted)\n"
        );
        report::emit(&mut err, &redact::text(redactor, warning))?;
    }
    let listening = format!(
        "listening on {bound} (certificate {}, SHA-256 {}); Ctrl-C to stop\n",
        c.subject, c.sha256
    );
    report::emit(&mut err, &redact::text(redactor, listening))?;
    Ok(())
}

/// The command line as typed (the program named `starttls-check`), each word escaped and
/// quoted when a shell would split it: no secret is on it (a PFX password is read from the
/// variable --cert-password-env names).
fn invocation() -> String {
    std::iter::once("starttls-check".to_string())
        .chain(std::env::args_os().skip(1).map(|a| {
            let word = crate::smtp::escape(a.as_encoded_bytes());
            if !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.,:/=@[]+%".contains(&b))
            {
                word
            } else {
                format!("'{}'", word.replace('\'', "'\\''"))
            }
        }))
        .collect::<Vec<_>>()
        .join(" ")
}
