//! # starttls-check
//!
//! Probes a mail server's STARTTLS and tells the admin whether it works, and if not, why and
//! what exactly to change.
//!
//! The pipeline runs one way, each arrow a function:
//! `target → route (dns) → endpoints → Observation (probe: the only I/O) → Evidence (derived
//! once) → Vec<Finding> (diagnose: pure rules) → Report (serde DTO) → render(format) → bytes →
//! exit code`.
//!
//! The public surface is what the binary and the tests need: the command line and the command
//! layer, the exit codes, the finding catalogue, the DNS resolvers (tested against an
//! in-process server) and the scripted servers the demo and the tests run. Everything else is
//! the crate's own.

pub mod cli;
pub mod commands;
pub mod dns;
pub mod exit;
#[doc(hidden)]
pub mod fuzzing;
pub mod scripted;

pub(crate) mod baseline;
pub(crate) mod batch;
pub(crate) mod cert;
pub(crate) mod diagnose;
pub(crate) mod engine;
pub(crate) mod evidence;
pub(crate) mod exchange;
pub(crate) mod explain;
pub(crate) mod fetch;
pub mod listen;
pub(crate) mod model;
pub(crate) mod policy;
pub(crate) mod probe;
pub(crate) mod report;
pub(crate) mod revocation;
pub(crate) mod settings;
pub(crate) mod smtp;
pub(crate) mod target;
pub(crate) mod text;
pub(crate) mod tls;

pub use cli::Cli;
pub use diagnose::catalogue;
pub use report::emit_error;
pub use tls::provider;
