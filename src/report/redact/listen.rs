//! `--redact` for `listen`: what the listener names (its address, `--hostname` or this
//! machine's name, its certificate, `--expect-name`, the command line) is learned before it
//! writes its first line, then each sender's session is learned and rewritten as it ends (its
//! live block) and again in the final report, through the one mapping of the run, so that a
//! sender has the same placeholder in its block and in the summary. Learned from a session:
//! the peer's address, its PTR names, the EHLO/HELO names before and after TLS, SNI, the
//! domains of `MAIL FROM` and `RCPT TO` (their local parts are replaced wherever an `@`
//! follows them: `user-1@domain-1`), and its client certificate as a server's is (names,
//! subject and issuer attributes, fingerprints and serial). The transcript, findings, refusals
//! and handshake errors are rewritten with the rest.

use super::{Kind, Redactor};
use crate::baseline::Fingerprint;
use crate::listen::model::OurCertificate;
use crate::report::listen::{ListenReport, OurCertificateDto, SessionReport};

impl Redactor {
    /// Learns what the listener names before any sender comes: the address it is bound to,
    /// the name it greets with, its certificate, every `--expect-name`, and the command line
    /// (as `invocation` writes it), so that the `listening on …` line is already redacted.
    pub fn learn_listener(
        &mut self,
        address: &str,
        hostname: &str,
        certificate: &OurCertificate,
        expect_names: &[String],
        invocation: Option<&str>,
    ) {
        self.learn_host(address, Kind::Addr);
        self.learn_known_host(hostname);
        self.learn_our_certificate(
            &certificate.subject,
            &certificate.dns_names,
            &certificate.sha256,
        );
        for n in expect_names {
            self.learn_known_host(n);
        }
        if let Some(i) = invocation {
            self.learn_invocation(i);
        }
    }

    /// The listener's own certificate: its names, subject and issuer-less DN, and its
    /// SHA-256 (lower case with colons) numbered as a certificate.
    fn learn_our_certificate(&mut self, subject: &str, dns_names: &[String], sha256: &str) {
        for n in dns_names {
            self.learn_host(n, Kind::Host);
        }
        self.learn_dn(subject);
        if let Ok(fp) = Fingerprint::parse(sha256) {
            let n = self.cert_number(&[fp.colon()]);
            self.learn_fingerprint(&fp, n, None);
        }
    }

    /// Learns the domain of a mail address as the envelope writes it (`ceo@contoso.com`, an
    /// address literal after the `@` too); `<>` and a bare `postmaster` name none.
    fn learn_mailbox(&mut self, mailbox: &str) {
        if let Some((_, domain)) = mailbox.rsplit_once('@') {
            self.learn_host(domain.trim_end_matches('>'), Kind::Domain);
        }
    }

    /// Learns what one sender's session names.
    fn learn_session(&mut self, s: &SessionReport) {
        self.learn_host(&s.peer, Kind::Addr);
        for n in &s.ptr.names {
            self.learn_known_host(n);
        }
        for g in s.greeting.iter().chain(&s.greeting_after_tls) {
            self.learn_known_host(&g.name);
        }
        if let Some(sni) = s.client_hello.as_ref().and_then(|h| h.sni.as_ref()) {
            self.learn_known_host(sni);
        }
        for m in s.mail_from.iter().chain(&s.rcpt_to) {
            self.learn_mailbox(m);
        }
        if let Some(c) = &s.client_certificate {
            for cert in std::iter::once(&c.certificate).chain(&c.chain) {
                self.learn_cert(cert);
            }
        }
    }

    /// A session's strings through the mapping.
    fn rewrite_session(&mut self, s: &mut SessionReport) {
        s.peer = self.text(&s.peer);
        self.all(&mut s.ptr.names);
        self.opt(&mut s.ptr.detail);
        for g in s.greeting.iter_mut().chain(&mut s.greeting_after_tls) {
            g.name = self.text(&g.name);
        }
        if let Some(h) = &mut s.client_hello {
            self.opt(&mut h.sni);
            self.all(&mut h.alpn);
        }
        if let Some(e) = &mut s.handshake_error {
            e.reason = self.text(&e.reason);
            e.detail = self.text(&e.detail);
        }
        if let Some(c) = &mut s.client_certificate {
            self.cert(&mut c.certificate);
            for cert in &mut c.chain {
                self.cert(cert);
            }
            if let Some(t) = &mut c.trust {
                self.opt(&mut t.reason);
            }
        }
        self.opt(&mut s.mail_from);
        self.all(&mut s.rcpt_to);
        self.opt(&mut s.refused_with);
        self.opt(&mut s.end_detail);
        for f in &mut s.findings {
            self.finding(f);
        }
        for l in &mut s.transcript {
            l.line = self.text(&l.line);
        }
    }

    /// One session redacted in place, as it ends (its live block), after learning what it
    /// names.
    pub fn listen_session(&mut self, s: &mut SessionReport) {
        self.learn_session(s);
        self.rewrite_session(s);
    }

    /// The whole `listen` report redacted in place: everything it names is learned first
    /// (the listener, the command line, every session), then every string is rewritten.
    pub fn listen_report(&mut self, r: &mut ListenReport) {
        let l = &r.listen;
        self.learn_host(&l.address, Kind::Addr);
        let c = &l.certificate;
        self.learn_our_certificate(&c.subject, &c.dns_names, &c.sha256);
        for n in &l.expect_names {
            self.learn_known_host(n);
        }
        if let Some(i) = &r.invocation {
            self.learn_invocation(i);
        }
        for s in &r.sessions {
            self.learn_session(s);
        }
        for s in [&mut r.headline, &mut r.listen.address] {
            *s = self.text(s);
        }
        self.opt(&mut r.invocation);
        self.all(&mut r.listen.expect_names);
        self.our_certificate(&mut r.listen.certificate);
        for f in &mut r.findings {
            self.finding(f);
        }
        for s in &mut r.sessions {
            self.rewrite_session(s);
        }
    }

    fn our_certificate(&mut self, c: &mut OurCertificateDto) {
        c.subject = self.text(&c.subject);
        self.all(&mut c.dns_names);
        c.sha256 = self.text(&c.sha256);
    }
}
