//! # starttls-check
//!
//! Probes a mail server's STARTTLS and tells the admin whether it works, and if not, why and
//! what exactly to change.
//!
//! The pipeline runs one way, each arrow a function:
//! `target → endpoints (dns) → Observation (probe: the only I/O) → Vec<Finding> (diagnose:
//! pure rules) → Report (serde DTO) → render(format) → bytes → exit code`.

pub mod cert;
pub mod cli;
pub mod commands;
pub mod diagnose;
pub mod dns;
pub mod engine;
pub mod evidence;
pub mod exit;
pub mod model;
pub mod probe;
pub mod report;
pub mod scripted;
pub mod settings;
pub mod smtp;
pub mod target;
pub mod tls;

pub use cli::Cli;
pub use diagnose::catalogue;
