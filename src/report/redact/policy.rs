//! `--redact` for what the policy phase reports: the `policy` object (its keys are the mail
//! domains), each endpoint's `dane` and `revocation`. Learned: the domains, the resolver's
//! address, an MTA-STS id with a word in it, the DANE hosts, CNAMEs and base domains, MTA-STS mx patterns and hosts, the policy
//! URL's host, the hosts of CRL, OCSP and CA Issuers URLs of a private CA (a public CA's, the
//! issuer of the certificate naming the URL being one of [`super::PUBLIC_CAS`], are kept the
//! way its name is), the certificates a CA Issuers fetch served, and every TLSA association
//! data (a private certificate's digest identifies it: replaced like a fingerprint, by a
//! digest of the same length that is plainly not real). Then every string is rewritten.

use super::{Kind, Redactor, dn_parts, public_ca};
use crate::policy::dane::DaneMatch;
use crate::report::policy::PolicyReport;
use crate::report::{EndpointReport, Report};
use crate::revocation::{FetchSummary, RevocationReport};

/// Path words of CRL, OCSP and CA Issuers URLs that name no organisation.
const COMMON_PATH_WORDS: &[&str] = &[
    "crl",
    "crls",
    "certenroll",
    "pki",
    "ocsp",
    "aia",
    "cdp",
    "certs",
    "cert",
    "certificates",
    "repository",
    "issuer",
    "issuing",
    "root",
    "intermediate",
    "well-known",
    "mta-sts",
];

/// The host of `scheme://[user@]host[:port]/…`, when there is one.
fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => host.split(':').next()?,
    };
    (!host.is_empty()).then_some(host)
}

/// `n` written as a digest of `len` hex digits: zeros but `n` at both ends, as the fake
/// fingerprints are.
fn fake_digest(len: usize, n: usize) -> String {
    let tag = format!("{n:016x}");
    if len < 32 {
        let keep = len.min(tag.len());
        return format!("{:0>len$}", &tag[tag.len() - keep..]);
    }
    format!("{tag}{}{tag}", "0".repeat(len - 32))
}

impl Redactor {
    /// A TLSA association data, in any case: a digest nobody can look up, of the same length.
    fn learn_tlsa_data(&mut self, hex: &str) {
        if hex.len() < 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return;
        }
        if self.phrase_of(hex).is_some() || self.phrase_of(&hex.to_ascii_uppercase()).is_some() {
            return;
        }
        let n = self.tlsa + 1;
        self.tlsa = n;
        let fake = fake_digest(hex.len(), n);
        self.learn_phrase(hex, fake, true);
    }

    /// The host of a URL a certificate names: kept when that certificate's issuer is a public
    /// CA (its CRL and OCSP hosts name the CA), learned otherwise, with its parent domain.
    pub(super) fn learn_url(&mut self, url: &str, public: bool) {
        if public {
            return;
        }
        if let Some(h) = url_host(url)
            && self.learn_host(h, Kind::Host)
        {
            self.learn_parent(&h.to_ascii_lowercase());
        }
        // A private CA names its files after itself (AD CS: `ContosoIssuingCA.crl`): each
        // path segment's stem is an organisation's name, but for the words every CA uses.
        let path = url.split_once("://").and_then(|(_, r)| r.split_once('/'));
        for seg in path
            .map(|(_, p)| p)
            .unwrap_or_default()
            .split(['/', '?', '&', '='])
        {
            let stem = seg.rsplit_once('.').map_or(seg, |(s, _)| s);
            let common = COMMON_PATH_WORDS
                .iter()
                .any(|w| stem.eq_ignore_ascii_case(w));
            if stem.len() >= 4 && stem.bytes().any(|b| b.is_ascii_alphabetic()) && !common {
                self.learn_org(stem);
            }
        }
    }

    /// The `policy` object: its domains, hosts, resolver, MTA-STS and TLS-RPT names.
    fn learn_policy(&mut self, domain: &str, p: &PolicyReport) {
        self.learn_host(domain, Kind::Domain);
        self.learn_host(&p.resolver.server, Kind::Addr);
        for h in &p.dane {
            self.learn_host(&h.host, Kind::Host);
            for c in h.cnames.iter().chain(&h.base_domain) {
                self.learn_host(c, Kind::Host);
            }
            for r in h.tlsa.iter().flat_map(|t| &t.records) {
                self.learn_tlsa_data(&r.data);
            }
        }
        if let Some(m) = &p.mta_sts {
            // The id is the owner's free text: a date usually, a name sometimes (`contoso7`).
            if let Some(id) = &m.id {
                let letters = id
                    .as_bytes()
                    .windows(3)
                    .any(|w| w.iter().all(u8::is_ascii_alphabetic));
                if letters {
                    self.learn_org(id);
                }
            }
            self.learn_url(&m.policy_url, false);
            if let Some(f) = &m.fetch {
                self.learn_url(&f.url, false);
                if let Some(a) = &f.address {
                    self.learn_host(a, Kind::Addr);
                }
                for n in &f.certificate_names {
                    self.learn_host(n, Kind::Host);
                }
            }
            for x in m.policy.iter().flat_map(|p| &p.mx) {
                self.learn_host(x, Kind::Host);
            }
            for x in &m.mx {
                self.learn_host(&x.host, Kind::Host);
            }
        }
        if let Some(t) = &p.tlsrpt {
            for u in &t.rua {
                self.learn_url(u, false);
                if let Some((_, d)) = u.strip_prefix("mailto:").and_then(|a| a.rsplit_once('@')) {
                    self.learn_host(d, Kind::Domain);
                }
            }
        }
    }

    /// An endpoint's DANE match and revocation sources.
    fn learn_endpoint_policy(&mut self, e: &EndpointReport) {
        if let Some(d) = &e.dane {
            self.learn_host(&d.host, Kind::Host);
            self.learn_host(&d.base_domain, Kind::Host);
            let records = d.records.iter().map(|r| r.record.as_str());
            for r in records.chain(d.leaf_records.iter().map(String::as_str)) {
                if let Some(hex) = r.split_whitespace().nth(3) {
                    self.learn_tlsa_data(hex);
                }
            }
        }
        let Some(r) = &e.revocation else { return };
        let public = |position: usize| {
            e.chain
                .get(position)
                .is_some_and(|c| public_ca(&dn_parts(&c.issuer)))
        };
        for c in &r.observed.certificates {
            let p = public(c.position);
            for crl in &c.crls {
                self.learn_url(&crl.url, p);
                for to in crl.fetch.iter().flat_map(|f| &f.redirects) {
                    self.learn_url(to, p);
                }
                if let Some(f) = &crl.crl {
                    self.learn_dn(&f.issuer);
                }
            }
            for u in &c.ocsp_urls {
                self.learn_url(u, p);
            }
        }
        if let Some(i) = &r.observed.issuer_fetch {
            let p = public(i.position);
            self.learn_url(&i.url, p);
            if let Some(c) = &i.certificate {
                self.learn_dn(&c.subject);
                self.learn_dn(&c.issuer);
                if let Ok(fp) = crate::baseline::Fingerprint::parse(&c.sha256) {
                    let n = self.cert_number(&[fp.colon()]);
                    self.learn_fingerprint(&fp, n, None);
                }
            }
        }
    }

    /// Learns what the report's policy data names (after the endpoints: their certificates
    /// are numbered first).
    pub(super) fn learn_policy_data(&mut self, r: &Report) {
        for (d, p) in &r.policy {
            self.learn_policy(d, p);
        }
        for e in &r.endpoints {
            self.learn_endpoint_policy(e);
        }
    }

    /// The `policy` object rewritten, keys included.
    pub(super) fn policy(&mut self, r: &mut Report) {
        let old = std::mem::take(&mut r.policy);
        for (domain, mut p) in old {
            p.resolver.server = self.text(&p.resolver.server);
            p.resolver.why = self.text(&p.resolver.why);
            for h in &mut p.dane {
                h.host = self.text(&h.host);
                self.all(&mut h.cnames);
                let base = h.base_domain.clone();
                self.opt(&mut h.base_domain);
                if let Some(t) = &mut h.tlsa {
                    // `_25._tcp.` joins the host to a label the token match does not see
                    // through.
                    t.name = match (base, &h.base_domain) {
                        (Some(b), Some(fake)) if t.name == format!("_{}._tcp.{b}", h.port) => {
                            format!("_{}._tcp.{fake}", h.port)
                        }
                        _ => self.text(&t.name),
                    };
                    self.opt(&mut t.error);
                    for rec in &mut t.records {
                        rec.data = self.text(&rec.data);
                        rec.text = self.text(&rec.text);
                    }
                }
            }
            if let Some(m) = &mut p.mta_sts {
                self.opt(&mut m.record);
                self.opt(&mut m.id);
                m.policy_url = self.text(&m.policy_url);
                if let Some(f) = &mut m.fetch {
                    f.url = self.text(&f.url);
                    for s in [
                        &mut f.address,
                        &mut f.location,
                        &mut f.content_type,
                        &mut f.tls_version,
                        &mut f.error,
                    ] {
                        self.opt(s);
                    }
                    self.all(&mut f.certificate_names);
                }
                if let Some(pol) = &mut m.policy {
                    self.all(&mut pol.mx);
                }
                for x in &mut m.mx {
                    x.host = self.text(&x.host);
                    self.opt(&mut x.pattern);
                }
                for pr in &mut m.problems {
                    pr.text = self.text(&pr.text);
                }
            }
            if let Some(t) = &mut p.tlsrpt {
                self.opt(&mut t.record);
                self.all(&mut t.rua);
                self.all(&mut t.problems);
            }
            let key = self.text(&domain);
            r.policy.insert(key, p);
        }
    }

    /// An endpoint's `dane` and `revocation` rewritten.
    pub(super) fn endpoint_policy(&mut self, e: &mut EndpointReport) {
        if let Some(d) = &mut e.dane {
            self.dane(d);
        }
        // The serials by the certificate's number, as `cert` writes them, read before the
        // chain is rewritten: `e.chain` is redacted already, so the fake serial is there.
        let serials: Vec<String> = e
            .chain
            .iter()
            .map(|c| c.serial.to_ascii_lowercase())
            .collect();
        if let Some(r) = &mut e.revocation {
            self.revocation(r, &serials);
        }
    }

    fn dane(&mut self, d: &mut DaneMatch) {
        let standard = d.tlsa_name == format!("_{}._tcp.{}", d.port, d.base_domain);
        for s in [
            &mut d.host,
            &mut d.base_domain,
            &mut d.tlsa_name,
            &mut d.detail,
        ] {
            *s = self.text(s);
        }
        // `_25._tcp.` joins the host to a label the token match does not see through.
        if standard {
            d.tlsa_name = format!("_{}._tcp.{}", d.port, d.base_domain);
        }
        for r in &mut d.records {
            r.record = self.text(&r.record);
            self.opt(&mut r.reason);
            self.opt(&mut r.failed);
        }
        self.opt(&mut d.matched);
        self.all(&mut d.leaf_records);
    }

    fn fetch(&mut self, f: &mut FetchSummary) {
        self.all(&mut f.redirects);
        self.opt(&mut f.content_type);
        self.opt(&mut f.error);
    }

    fn revocation(&mut self, r: &mut RevocationReport, serials: &[String]) {
        let o = &mut r.observed;
        for c in &mut o.certificates {
            c.subject = self.text(&c.subject);
            c.serial = match serials.get(c.position) {
                Some(s) => s.clone(),
                None => self.text(&c.serial),
            };
            for crl in &mut c.crls {
                crl.url = self.text(&crl.url);
                if let Some(f) = &mut crl.fetch {
                    self.fetch(f);
                }
                if let Some(f) = &mut crl.crl {
                    f.issuer = self.text(&f.issuer);
                }
                self.opt(&mut crl.invalid);
            }
            self.all(&mut c.ocsp_urls);
        }
        if let Some(s) = &mut o.staple {
            self.opt(&mut s.error);
            if let Some(resp) = &mut s.response
                && resp.serial.is_some()
            {
                resp.serial = serials.first().cloned();
            }
        }
        self.opt(&mut o.webpki);
        if let Some(i) = &mut o.issuer_fetch {
            i.url = self.text(&i.url);
            if let Some(f) = &mut i.fetch {
                self.fetch(f);
            }
            if let Some(c) = &mut i.certificate {
                let fp = crate::baseline::Fingerprint::parse(&c.sha256).ok();
                if let Some(n) = fp.and_then(|fp| self.certs.get(&fp.colon()).copied()) {
                    c.sha256 = super::fake_fingerprints(n).0;
                }
                c.subject = self.text(&c.subject);
                c.issuer = self.text(&c.issuer);
                c.sha256 = self.text(&c.sha256);
            }
            self.opt(&mut i.error);
            self.opt(&mut i.reason);
        }
    }
}
