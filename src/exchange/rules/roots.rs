//! R22: the root Exchange Online chains to. From 2026-03-15 Exchange Online's certificates
//! chain to DigiCert Global Root G2; a server that lacks that root and has Windows' root
//! auto-update turned off cannot validate them, so a send connector that validates
//! (`TlsAuthLevel DomainValidation`, as the Hybrid Configuration Wizard sets it) fails
//! (HealthChecker, TrustedRootCertificatesCheck). Only the collection script sees the root
//! store and the registry; a paste never does, and then nothing is said.

use crate::diagnose::{Code, Family, Finding, Fix, Severity, Shell};
use crate::exchange::model::Config;

/// The SHA-1 thumbprint of DigiCert Global Root G2.
const G2_THUMBPRINT: &str = "DF3C24F9BFD666761B268073FE06D1CC8D4F82A4";

/// `exchange-root-missing` for every server whose store lacks the root while root
/// auto-update is off. With auto-update on (or unknown), Windows fetches the root when a chain
/// needs it, so its absence from the store says nothing.
pub fn check(config: &Config) -> Vec<Finding> {
    config
        .root_stores
        .iter()
        .filter(|r| {
            r.has_digicert_global_root_g2 == Some(false) && r.disable_root_auto_update == Some(true)
        })
        .map(|r| {
            let evidence = vec![
                format!(
                    "{}: DigiCert Global Root G2 ({G2_THUMBPRINT}) is not in Cert:\\LocalMachine\\Root",
                    config.at(r.origin.loc)
                ),
                "DisableRootAutoUpdate is 1: Windows does not fetch missing roots".to_string(),
                "Exchange Online's certificates chain to DigiCert Global Root G2 since 2026-03-15 (HealthChecker: TrustedRootCertificatesCheck)".to_string(),
            ];
            let fix = Fix::new(Family::Exchange, "exchange_config::root_missing", &[&r.server])
                .say(format!(
                    "On {}, either let Windows fetch roots again (if a Group Policy sets DisableRootAutoUpdate, change it there instead):",
                    r.server
                ))
                .run(
                    Shell::WindowsPowerShell,
                    r"Remove-ItemProperty -Path 'HKLM:\SOFTWARE\Policies\Microsoft\SystemCertificates\AuthRoot' -Name DisableRootAutoUpdate",
                )
                .say("or install the root itself (DigiCert's download; the path is an example):")
                .run(
                    Shell::WindowsPowerShell,
                    r"Import-Certificate -FilePath 'C:\certs\DigiCertGlobalRootG2.crt' -CertStoreLocation Cert:\LocalMachine\Root",
                )
                .say("Then check that it is there:")
                .run(
                    Shell::WindowsPowerShell,
                    format!(r"Get-ChildItem Cert:\LocalMachine\Root\{G2_THUMBPRINT}"),
                );
            Finding::new(
                Code::ExchangeRootMissing,
                Severity::Warn,
                r.server.clone(),
                Vec::new(),
                format!(
                    "{} lacks DigiCert Global Root G2 and does not fetch missing roots: a send connector that validates Exchange Online's certificate fails",
                    r.server
                ),
                evidence,
                fix,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::model::RootStore;

    fn store(g2: Option<bool>, off: Option<bool>) -> Config {
        Config {
            root_stores: vec![RootStore {
                server: "EX01".into(),
                has_digicert_global_root_g2: g2,
                disable_root_auto_update: off,
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn only_a_missing_root_with_auto_update_off_is_reported() {
        let f = check(&store(Some(false), Some(true)));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, Code::ExchangeRootMissing);
        assert!(f[0].fix.text().contains(G2_THUMBPRINT));
        for (g2, off) in [
            (Some(true), Some(true)),
            (Some(false), Some(false)),
            (Some(false), None),
            (None, Some(true)),
        ] {
            assert!(check(&store(g2, off)).is_empty(), "{g2:?} {off:?}");
        }
    }
}
