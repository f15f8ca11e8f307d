//! The system's root certificates, read off the critical path and only as far as needed.
//!
//! On Linux and the BSDs the system store is a bundle file (Debian:
//! `/etc/ssl/certs/ca-certificates.crt`) plus a directory of single certificates
//! (`/etc/ssl/certs`, hundreds of files and hash links), wherever `openssl-probe` finds
//! them or `SSL_CERT_FILE` / `SSL_CERT_DIR` say, the convention `rustls-native-certs`
//! follows. Reading the bundle takes about 0.5 ms; walking the directory three times that,
//! for the same certificates as a rule (measured on Debian 12: 144 in the bundle, 145 with
//! the directory). OpenSSL itself reads its directory lazily, one hash lookup at a time.
//!
//! So the roots come in two tiers: the bundle (and `--ca-file`) first, read on a thread of
//! its own as soon as the store is made, once per process, while the probes resolve,
//! connect and talk; the directories only when a chain is not fully trusted by the first
//! tier, because only then could they change the verdict. Where the system store is not
//! made of files (macOS, Windows), the platform's store is the first tier.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::OnceLock;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;

/// Where the system's roots are on this machine.
#[derive(Debug, Clone, Default)]
struct Paths {
    file: Option<PathBuf>,
    dirs: Vec<PathBuf>,
}

impl Paths {
    /// `SSL_CERT_FILE` and `SSL_CERT_DIR` when either is set (then nothing else, as
    /// `rustls-native-certs` does), else what `openssl-probe` finds. `None`: the platform
    /// keeps its roots elsewhere.
    fn find() -> Option<Paths> {
        let file = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from);
        let dirs: Vec<PathBuf> = std::env::var_os("SSL_CERT_DIR")
            .map(|d| {
                std::env::split_paths(&d)
                    .filter(|p| !p.as_os_str().is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if file.is_some() || !dirs.is_empty() {
            return Some(Paths { file, dirs });
        }
        if cfg!(any(target_os = "macos", windows)) {
            return None;
        }
        let found = openssl_probe::probe();
        Some(Paths {
            file: found.cert_file,
            dirs: found.cert_dir,
        })
    }
}

/// A set of trust anchors, with the raw DER subject of each.
#[derive(Debug)]
pub(super) struct Roots {
    /// What webpki checks against.
    pub store: RootCertStore,
    /// Raw DER subjects (tag and length included, as x509-parser's `as_raw()`), to tell
    /// "issuer missing from the chain" from "issuer is a trusted root" without a parse.
    pub subjects: HashSet<Vec<u8>>,
    /// Why the system's roots could not be loaded, if they could not.
    pub native_problem: Option<String>,
}

impl Roots {
    pub(super) fn new(
        certs: impl IntoIterator<Item = CertificateDer<'static>>,
        native_problem: Option<String>,
    ) -> Roots {
        let mut store = RootCertStore::empty();
        let mut seen = HashSet::new();
        for c in certs {
            // A system store can hold certificates webpki cannot use; skipping them matches
            // what any rustls client would trust. The same root from the bundle and the
            // directory counts once.
            if seen.insert(c.as_ref().to_vec()) {
                let _ = store.add(c);
            }
        }
        let subjects = store
            .roots
            .iter()
            .map(|anchor| der_sequence(anchor.subject.as_ref()))
            .collect();
        Roots {
            store,
            subjects,
            native_problem,
        }
    }
}

/// A DER SEQUENCE around `contents`: webpki keeps a subject's contents without the tag.
fn der_sequence(contents: &[u8]) -> Vec<u8> {
    let len = contents.len();
    let mut out = Vec::with_capacity(len + 6);
    out.push(0x30);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(contents);
    out
}

/// The roots of one process: built at most once per tier, by the loading thread or, should
/// it not have finished, by the first caller (`OnceLock` makes the others wait for it).
#[derive(Debug)]
pub(super) struct LazyRoots {
    /// `None`: only `extra` (`--no-system-roots`, tests).
    paths: Option<Option<Paths>>,
    /// `--ca-file` certificates, read up front so that a bad file is a usage error.
    extra: Vec<CertificateDer<'static>>,
    first: OnceLock<Roots>,
    all: OnceLock<Option<Roots>>,
}

impl LazyRoots {
    /// Roots to be read later: the system's (when `system`) and `extra`.
    pub(super) fn new(system: bool, extra: Vec<CertificateDer<'static>>) -> LazyRoots {
        LazyRoots {
            paths: system.then(Paths::find),
            extra,
            first: OnceLock::new(),
            all: OnceLock::new(),
        }
    }

    /// Exactly these roots, already built.
    pub(super) fn ready(roots: Roots) -> LazyRoots {
        let first = OnceLock::new();
        let _ = first.set(roots);
        let all = OnceLock::new();
        let _ = all.set(None);
        LazyRoots {
            paths: None,
            extra: Vec::new(),
            first,
            all,
        }
    }

    /// Whether there is anything to read from disk (worth a thread of its own).
    pub(super) fn reads_system(&self) -> bool {
        self.paths.is_some()
    }

    /// The first tier: the bundle (or the platform's store) and `--ca-file`. When there is
    /// no bundle, the directories are the first tier.
    pub(super) fn first(&self) -> &Roots {
        self.first.get_or_init(|| match &self.paths {
            None => Roots::new(self.extra.iter().cloned(), None),
            Some(None) => {
                let loaded = rustls_native_certs::load_native_certs();
                let problem = none_loaded(&loaded);
                Roots::new(
                    loaded.certs.into_iter().chain(self.extra.iter().cloned()),
                    problem,
                )
            }
            Some(Some(paths)) => {
                let loaded = match &paths.file {
                    Some(file) => rustls_native_certs::load_certs_from_paths(Some(file), None),
                    None => load_dirs(&paths.dirs),
                };
                let problem = if loaded.certs.is_empty() {
                    // Nothing in the bundle: the directories decide whether there are roots.
                    self.all()
                        .map_or_else(|| none_loaded(&loaded), |a| a.native_problem.clone())
                } else {
                    None
                };
                Roots::new(
                    loaded.certs.into_iter().chain(self.extra.iter().cloned()),
                    problem,
                )
            }
        })
    }

    /// Every root, directories included; `None` when that adds nothing to [`Self::first`]
    /// (no directories, or they were the first tier).
    pub(super) fn all(&self) -> Option<&Roots> {
        self.all
            .get_or_init(|| {
                let paths = self.paths.as_ref()?.as_ref()?;
                if paths.file.is_none() || paths.dirs.is_empty() {
                    return None;
                }
                let mut loaded =
                    rustls_native_certs::load_certs_from_paths(paths.file.as_deref(), None);
                let dirs = load_dirs(&paths.dirs);
                loaded.certs.extend(dirs.certs);
                loaded.errors.extend(dirs.errors);
                let problem = none_loaded(&loaded);
                Some(Roots::new(
                    loaded.certs.into_iter().chain(self.extra.iter().cloned()),
                    problem,
                ))
            })
            .as_ref()
    }
}

fn load_dirs(dirs: &[PathBuf]) -> rustls_native_certs::CertificateResult {
    let mut out = rustls_native_certs::CertificateResult::default();
    for d in dirs {
        let r = rustls_native_certs::load_certs_from_paths(None, Some(d));
        out.certs.extend(r.certs);
        out.errors.extend(r.errors);
    }
    out
}

/// Why no system root was loaded, when none was. Some unreadable files next to a usable
/// bundle are normal; no roots at all is not.
fn none_loaded(loaded: &rustls_native_certs::CertificateResult) -> Option<String> {
    loaded.certs.is_empty().then(|| {
        let errs: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
        if errs.is_empty() {
            "no system CA certificates found (install ca-certificates)".to_string()
        } else {
            format!(
                "no system CA certificates could be loaded: {}",
                errs.join("; ")
            )
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_subject_rewrapped_is_the_raw_subject_x509_parser_sees() {
        // Short and long (> 127 bytes, two-byte length) subjects.
        for cn in ["Root", &"A very long common name ".repeat(8)] {
            let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
            params
                .distinguished_name
                .push(rcgen::DnType::CommonName, cn);
            params
                .distinguished_name
                .push(rcgen::DnType::OrganizationName, "Contoso");
            params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            let key = rcgen::KeyPair::generate().unwrap();
            let cert = params.self_signed(&key).unwrap();
            let der = cert.der().clone();
            let (_, parsed) = x509_parser::parse_x509_certificate(&der).unwrap();
            let roots = Roots::new([der.clone()], None);
            assert_eq!(roots.store.roots.len(), 1);
            assert!(roots.subjects.contains(parsed.subject().as_raw()), "{cn}");
        }
    }

    #[test]
    fn the_same_root_twice_counts_once() {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let key = rcgen::KeyPair::generate().unwrap();
        let der = params.self_signed(&key).unwrap().der().clone();
        let roots = Roots::new([der.clone(), der], None);
        assert_eq!(roots.store.roots.len(), 1);
    }
}
