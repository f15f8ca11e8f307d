//! The system's root certificates, read off the critical path and only as far as needed.
//!
//! On Linux and the BSDs the system store is a bundle file (Debian:
//! `/etc/ssl/certs/ca-certificates.crt`) plus a directory of single certificates
//! (`/etc/ssl/certs`, hundreds of files and hash links), wherever `openssl-probe` finds
//! them or `SSL_CERT_FILE` / `SSL_CERT_DIR` say, the convention `rustls-native-certs`
//! follows. Reading the bundle takes about 0.6 ms; reading everything, as
//! `load_native_certs` does, about 1.5 ms, for the same roots as a rule: on stock Debian 12
//! the directory adds only `ssl-cert-snakeoil.pem` (CN=localhost, not a CA) to the bundle's
//! 144. OpenSSL itself reads its directory lazily, one hash lookup at a time.
//!
//! So the roots come in two tiers: the bundle (and `--ca-file`) first, read on a thread of
//! its own as soon as the store is made, once per process, while the probes resolve,
//! connect and talk; the directories only when the first tier does not fully trust a chain
//! (trusted, current, its top issuer a root): only then can a root found only in a
//! directory change the verdict. It can still change the path when both tiers trust a
//! chain fully (a root only in the directory that issued a certificate the bundle's roots
//! reach by a longer way); the first tier's path is kept then, a valid path all the same.
//! Where the system store is not made of files (macOS, Windows), the platform's store is
//! the first tier.

use std::collections::HashSet;
use std::ffi::OsString;
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
    /// Where the roots are on this machine; `None`: the platform keeps them elsewhere.
    fn find() -> Option<Paths> {
        Paths::from_vars(
            std::env::var_os("SSL_CERT_FILE"),
            std::env::var_os("SSL_CERT_DIR"),
        )
        .or_else(|| {
            if cfg!(any(target_os = "macos", windows)) {
                return None;
            }
            let found = openssl_probe::probe();
            Some(Paths {
                file: found.cert_file,
                dirs: distinct(found.cert_dir),
            })
        })
    }

    /// `SSL_CERT_FILE` and `SSL_CERT_DIR` (a list, split as the platform splits `PATH`):
    /// when either is set, they and nothing else, as `rustls-native-certs` does.
    fn from_vars(file: Option<OsString>, dirs: Option<OsString>) -> Option<Paths> {
        let file = file.map(PathBuf::from);
        let dirs: Vec<PathBuf> = dirs
            .map(|d| {
                std::env::split_paths(&d)
                    .filter(|p| !p.as_os_str().is_empty())
                    .collect()
            })
            .unwrap_or_default();
        (file.is_some() || !dirs.is_empty()).then_some(Paths {
            file,
            dirs: distinct(dirs),
        })
    }
}

/// The directories without repeats, a symlink and its target counting once (on Fedora and
/// RHEL, openssl-probe finds /etc/ssl/certs, a link, and /etc/pki/tls/certs), since each
/// walk of the second tier reads every file it holds.
fn distinct(dirs: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut seen = HashSet::new();
    dirs.into_iter()
        .filter(|d| seen.insert(std::fs::canonicalize(d).unwrap_or_else(|_| d.clone())))
        .collect()
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
pub(super) fn der_sequence(contents: &[u8]) -> Vec<u8> {
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
        LazyRoots::with_paths(system.then(Paths::find), extra)
    }

    fn with_paths(paths: Option<Option<Paths>>, extra: Vec<CertificateDer<'static>>) -> LazyRoots {
        LazyRoots {
            paths,
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
                // One walk with the bundle, so that the copy of it the directory holds (on
                // Debian, ca-certificates.crt sits in /etc/ssl/certs) is skipped by identity,
                // as load_native_certs skips it: the bundle is read again, not twice more.
                let (first_dir, more) = paths.dirs.split_first()?;
                let mut loaded = rustls_native_certs::load_certs_from_paths(
                    paths.file.as_deref(),
                    Some(first_dir),
                );
                let rest = load_dirs(more);
                loaded.certs.extend(rest.certs);
                loaded.errors.extend(rest.errors);
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

    fn ca(
        cn: &str,
    ) -> (
        CertificateDer<'static>,
        rcgen::Issuer<'static, rcgen::KeyPair>,
    ) {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let key = rcgen::KeyPair::generate().unwrap();
        let der = params.self_signed(&key).unwrap().der().clone();
        (der, rcgen::Issuer::new(params, key))
    }

    fn leaf(issuer: &rcgen::Issuer<'static, rcgen::KeyPair>, expired: bool) -> Vec<u8> {
        let mut params = rcgen::CertificateParams::new(vec!["mx.contoso.test".into()]).unwrap();
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let key = rcgen::KeyPair::generate().unwrap();
        params.signed_by(&key, issuer).unwrap().der().to_vec()
    }

    fn write_pem(path: &std::path::Path, der: &CertificateDer<'_>) {
        let pem = pem_rfc7468(der.as_ref());
        std::fs::write(path, pem).unwrap();
    }

    fn pem_rfc7468(der: &[u8]) -> String {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut b64 = String::new();
        for c in der.chunks(3) {
            let n = (u32::from(c[0]) << 16)
                | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
                | u32::from(*c.get(2).unwrap_or(&0));
            for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
                if i <= c.len() {
                    b64.push(char::from(T[((n >> shift) & 63) as usize]));
                } else {
                    b64.push('=');
                }
            }
        }
        let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
        for line in b64.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(line));
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
        out
    }

    type Issuer = rcgen::Issuer<'static, rcgen::KeyPair>;

    /// A bundle holding root A and a directory holding root B only.
    fn two_tiers(tag: &str) -> (LazyRoots, [Issuer; 2], PathBuf) {
        let dir = std::env::temp_dir().join(format!("stc-roots-{tag}-{}", std::process::id()));
        let certs = dir.join("certs");
        std::fs::create_dir_all(&certs).unwrap();
        let (a, issuer_a) = ca("Bundle Root A");
        let (b, issuer_b) = ca("Directory Root B");
        write_pem(&dir.join("bundle.pem"), &a);
        write_pem(&certs.join("b.pem"), &b);
        let paths = Paths {
            file: Some(dir.join("bundle.pem")),
            dirs: vec![certs],
        };
        (
            LazyRoots::with_paths(Some(Some(paths)), Vec::new()),
            [issuer_a, issuer_b],
            dir,
        )
    }

    #[test]
    fn the_directory_is_read_only_when_the_bundle_does_not_fully_trust_a_chain() {
        let (roots, [a, b], dir) = two_tiers("tiers");
        let store = super::super::TrustStore::with_roots(roots);
        let now = rustls::pki_types::UnixTime::now();
        // Fully trusted by the bundle: the directory stays unread.
        let r = store.check(&[leaf(&a, false)], now);
        assert!(r.trusted && r.valid_now, "{r:?}");
        assert!(store.roots.all.get().is_none(), "the directory was read");
        // Trusted but expired: a root only in the directory might give a current path.
        let r = store.check(&[leaf(&a, true)], now);
        assert!(r.trusted && !r.valid_now, "{r:?}");
        assert!(
            store.roots.all.get().is_some(),
            "the directory was not consulted"
        );
        // A root only in the directory trusts what it issued.
        let r = store.check(&[leaf(&b, false)], now);
        assert!(r.trusted && r.valid_now, "{r:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_empty_bundle_leaves_the_verdict_on_roots_to_the_directory() {
        let (roots, [_, b], dir) = two_tiers("empty");
        std::fs::write(dir.join("bundle.pem"), "").unwrap();
        let store = super::super::TrustStore::with_roots(roots);
        assert_eq!(store.native_problem(), None);
        let r = store.check(&[leaf(&b, false)], rustls::pki_types::UnixTime::now());
        assert!(r.trusted, "{r:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn ssl_cert_file_and_dir_replace_the_probed_paths() {
        assert!(Paths::from_vars(None, None).is_none());
        let p = Paths::from_vars(Some("/x/bundle.pem".into()), None).unwrap();
        assert_eq!(p.file, Some(PathBuf::from("/x/bundle.pem")));
        assert!(
            p.dirs.is_empty(),
            "no directory unless SSL_CERT_DIR names one"
        );
        let sep = if cfg!(windows) { ";" } else { ":" };
        let p = Paths::from_vars(None, Some(format!("/a{sep}{sep}/b{sep}/a").into())).unwrap();
        assert_eq!(p.file, None);
        assert_eq!(p.dirs, vec![PathBuf::from("/a"), PathBuf::from("/b")]);
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
