//! Replays the fuzz corpora (`fuzz/corpus/<target>/*`) on stable, through the same
//! `starttls_check::fuzzing` entry the fuzz target calls, so an input that once crashed a
//! parser (or broke one of its invariants) fails `cargo test` if the bug comes back.
//!
//! `seed_certificates` (ignored) writes the structured certificate seeds with rcgen:
//! `cargo test --test fuzz_corpus -- --ignored seed_certificates`.

use std::path::{Path, PathBuf};
use std::time::Instant;

type Entry = fn(&[u8]);

/// Every fuzz target and its entry: a corpus directory without an entry fails the test.
const TARGETS: &[(&str, Entry)] = &[
    ("reply", starttls_check::fuzzing::reply),
    ("capabilities", starttls_check::fuzzing::capabilities),
    ("certificate", starttls_check::fuzzing::certificate),
    ("target", starttls_check::fuzzing::target),
    ("explain", starttls_check::fuzzing::explain),
    ("exchange", starttls_check::fuzzing::exchange),
    ("targets_file", starttls_check::fuzzing::targets_file),
];

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Every corpus directory is a target of `fuzz/Cargo.toml` listed here, and the reverse.
#[test]
fn every_corpus_has_its_target() {
    let mut dirs: Vec<String> = std::fs::read_dir(corpus_root())
        .expect("fuzz/corpus exists")
        .map(|e| {
            e.expect("a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    dirs.sort();
    let mut known: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
    known.sort_unstable();
    assert_eq!(dirs, known, "fuzz/corpus/* and the targets differ");
}

/// Runs every input of `name`'s corpus through its entry; a panic names the file, so it can
/// be run again with `cargo fuzz run <target> <file>`.
#[expect(
    clippy::print_stderr,
    reason = "the replay time per target, shown with --nocapture"
)]
fn replay(name: &str) {
    let (_, entry) = TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .expect("a known target");
    let started = Instant::now();
    let inputs = files(&corpus_root().join(name));
    assert!(!inputs.is_empty(), "the corpus of {name} is empty");
    for path in &inputs {
        let data = std::fs::read(path).expect("a corpus file reads");
        let outcome = std::panic::catch_unwind(|| entry(&data));
        assert!(
            outcome.is_ok(),
            "{} fails its target {name}",
            path.display()
        );
    }
    eprintln!("{name}: {} inputs in {:?}", inputs.len(), started.elapsed());
}

// One test per target, so the harness replays them side by side.
#[test]
fn corpus_reply() {
    replay("reply");
}

#[test]
fn corpus_capabilities() {
    replay("capabilities");
}

#[test]
fn corpus_certificate() {
    replay("certificate");
}

#[test]
fn corpus_target() {
    replay("target");
}

#[test]
fn corpus_explain() {
    replay("explain");
}

#[test]
fn corpus_exchange() {
    replay("exchange");
}

#[test]
fn corpus_targets_file() {
    replay("targets_file");
}

#[test]
#[ignore = "writes fuzz/corpus/certificate/rcgen-*: run by hand to refresh the seeds"]
fn seed_certificates() {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384, PKCS_ED25519,
    };
    let dir = corpus_root().join("certificate");
    let write = |name: &str, der: &[u8]| {
        std::fs::write(dir.join(format!("rcgen-{name}")), der).expect("the seed is written");
    };
    let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).expect("a P-384 key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "Fuzz Root CA");
    ca.distinguished_name
        .push(DnType::OrganizationName, "Fuzz, \"Quoted\" Org");
    ca.distinguished_name.push(DnType::CountryName, "US");
    let ca_cert = ca.self_signed(&ca_key).expect("the CA signs itself");
    write("ca", ca_cert.der());
    let issuer = rcgen::Issuer::new(ca, ca_key);

    let leaf = |names: Vec<String>, alg| {
        let key = KeyPair::generate_for(alg).expect("a key");
        let mut p = CertificateParams::new(names).expect("leaf params");
        p.distinguished_name
            .push(DnType::CommonName, "mail.example.com");
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        p.signed_by(&key, &issuer).expect("the CA signs the leaf")
    };
    let healthy = leaf(vec!["mail.example.com".into()], &PKCS_ECDSA_P256_SHA256);
    write("leaf", healthy.der());
    write(
        "leaf-ed25519",
        leaf(vec!["*.example.com".into()], &PKCS_ED25519).der(),
    );
    let many = (0..100).map(|i| format!("mx{i}.example.com")).collect();
    write("leaf-100-san", leaf(many, &PKCS_ECDSA_P256_SHA256).der());
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("a key");
    let mut odd = CertificateParams::new(vec!["xn--bcher-kva.example".into(), "192.0.2.1".into()])
        .expect("params");
    odd.distinguished_name
        .push(DnType::CommonName, "evil\u{202e}moc.example\u{1b}[31m");
    write(
        "self-signed-odd-names",
        odd.self_signed(&key).expect("self-signed").der(),
    );
}

mod common;

/// Found by the `target` fuzzer (`fuzz/corpus/target/seed-fullwidth-ip`): fullwidth digits
/// and dots, as an East Asian keyboard types them, are the address they spell (UTS #46 maps
/// them to ASCII, as a browser does), probed at once, never a name sent to DNS for MX records.
#[test]
fn a_fullwidth_address_is_probed_as_that_address() {
    use starttls_check::scripted::Scenario;
    let s = common::serve(Scenario::postfix(
        common::HOST,
        &common::pki().healthy(common::HOST, 90),
    ));
    let target = format!("１２７．０．０．１:{}", s.addr.port());
    let ca = common::pki().root_file.to_string_lossy().into_owned();
    let args = [
        &target,
        "--ca-file",
        &ca,
        "--no-system-roots",
        "--format",
        "json",
    ];
    let r = common::run(&args);
    let j = r.json();
    assert_eq!(
        j["target"],
        format!("127.0.0.1:{}", s.addr.port()),
        "{}",
        r.stdout
    );
    assert_eq!(j["endpoints"][0]["address"], "127.0.0.1", "{}", r.stdout);
    assert_eq!(
        j["endpoints"][0]["mx"],
        serde_json::Value::Null,
        "no MX lookup"
    );
    assert_eq!(j["verdict"], "pass", "{}", r.stdout);
    assert_eq!(j["endpoints"][0]["starttls_offered"], true, "{}", r.stdout);
}
