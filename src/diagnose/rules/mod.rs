//! The rules: pure functions from evidence (or what DNS said) and `now` to findings, one file
//! per concern, each with its references. They build fixes through `fixes/`, never by
//! formatting shell text themselves.

pub mod blocklist;
pub mod certificate;
pub mod client_cert;
pub mod cross;
pub mod dane;
pub mod dns;
pub mod honest;
pub mod listen;
pub mod middlebox;
pub mod mta_sts;
pub mod renewal;
pub mod revocation;
pub mod session;
pub mod tls_policy;

#[cfg(test)]
mod fix_tests;
#[cfg(test)]
mod sweep;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod trust_tests;
