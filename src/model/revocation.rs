//! What the revocation phase recorded about an endpoint's chain, as data: the CRL checks and
//! their fetches, the stapled OCSP response as read, the CA Issuers fetch, and the dates they
//! carry. The fetches and the reading of bytes are `revocation`'s; they sit above dns, fetch
//! and policy, and the observation only holds their result, so the types live here, below all
//! of them, and `revocation` re-exports them under their old paths. What is judged from the
//! data alone (a distribution point's [`Verdict`]) stays with it; nothing here does I/O.

/// A time as Unix seconds, shown in JSON as RFC 3339.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp(pub i64);

impl serde::Serialize for Stamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&stamp_text(self.0))
    }
}

/// Unix seconds as RFC 3339 (or the number, if out of range).
pub fn stamp_text(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .map(crate::cert::rfc3339)
        .unwrap_or_else(|_| secs.to_string())
}

/// A fetch as the report shows it: where, what came back, how long, never the body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FetchSummary {
    /// The URLs redirected to, in order.
    pub redirects: Vec<String>,
    /// The HTTP status, when a response came.
    pub status: Option<u16>,
    /// The body's size in bytes.
    pub bytes: usize,
    /// The Content-Type, escaped.
    pub content_type: Option<String>,
    /// How long it took, in milliseconds.
    pub elapsed_ms: u64,
    /// Why there was no usable response (the fetch error, or the status), escaped.
    pub error: Option<String>,
    /// The run's `--deadline` ended the fetch before an answer came: not the server's fault,
    /// so nothing is concluded from it.
    pub cut_by_deadline: bool,
}

impl FetchSummary {
    /// What became of the fetch, in words that fit after the URL: `answered HTTP 404 Not
    /// Found`, `did not answer within 3 s`, `could not be fetched: cannot connect: …`.
    pub fn outcome_words(&self) -> String {
        let error = self.error.as_deref().unwrap_or("no error");
        if self.cut_by_deadline {
            "was not checked: the run's --deadline ended the fetch".into()
        } else if self.status.is_some() {
            format!("answered {error}")
        } else {
            // The fetch's own words say how far it got ("connected to …, request sent, no
            // answer within 2 s"; "cannot connect: …").
            format!("could not be fetched: {error}")
        }
    }
}

/// One CRL distribution point of a certificate, and what came of it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CrlCheck {
    /// The URL as the certificate names it (escaped).
    pub url: String,
    /// How it is reached.
    pub scheme: Scheme,
    /// The fetch, when one was made (http and https only).
    pub fetch: Option<FetchSummary>,
    /// What the CRL says, when a CRL came.
    pub crl: Option<CrlFacts>,
    /// Why what came is not a CRL.
    pub invalid: Option<String>,
}

/// What one distribution point gives a client that checks revocation (RFC 5280 §6.3.3),
/// judged at a time: the rules and `revocation::certificate_summary` judge a certificate over all its
/// points with it, as clients do (they try the points in turn and use the first valid,
/// current CRL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A valid, current CRL that does not list the certificate.
    Good,
    /// A CRL that lists the certificate; `checked`: its signature verified.
    Revoked {
        /// The CRL's signature verified with the issuing CA's key.
        checked: bool,
    },
    /// A valid CRL past its nextUpdate (or without one): the due time, as text.
    Stale(String),
    /// What came is no CRL of the issuer: why.
    Invalid(String),
    /// A CRL kind this tool does not judge (delta, indirect).
    Unsupported(String),
    /// The fetch failed (the words of [`FetchSummary::outcome_words`]).
    Unreachable(String),
    /// The run's `--deadline` ended the fetch: not known.
    Cut,
    /// Not fetched (ldap, another scheme).
    NotFetched,
}

impl CrlCheck {
    /// What this point gives a client at `now` (Unix seconds).
    pub fn verdict(&self, now: i64) -> Verdict {
        let Some(fetch) = &self.fetch else {
            return Verdict::NotFetched;
        };
        if fetch.cut_by_deadline {
            return Verdict::Cut;
        }
        if fetch.error.is_some() {
            return Verdict::Unreachable(fetch.outcome_words());
        }
        if let Some(why) = &self.invalid {
            return Verdict::Invalid(why.clone());
        }
        let Some(crl) = &self.crl else {
            return Verdict::NotFetched;
        };
        if let Some(kind) = &crl.unsupported {
            return Verdict::Unsupported(kind.clone());
        }
        if let Signature::Invalid(why) = &crl.signature {
            return Verdict::Invalid(format!(
                "its signature does not verify with the issuing CA's key ({why})"
            ));
        }
        if !crl.issuer_matches {
            return Verdict::Invalid(format!(
                "it is the CRL of {}, not of the certificate's issuer",
                crl.issuer
            ));
        }
        if crl.revoked.is_some() {
            return Verdict::Revoked {
                checked: crl.signature == Signature::Valid,
            };
        }
        match crl.next_update {
            Some(n) if n.0 >= now => Verdict::Good,
            Some(n) => Verdict::Stale(stamp_text(n.0)),
            None => Verdict::Stale("(no nextUpdate, which RFC 5280 §5.1.2.5 requires)".into()),
        }
    }
}

/// One certificate of the chain (not the root) and its revocation sources.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CertRevocation {
    /// Its position in the chain as sent (0: the leaf).
    pub position: usize,
    /// Its subject.
    pub subject: String,
    /// Its serial (hex, lower case).
    pub serial: String,
    /// Its CRL distribution points, in order.
    pub crls: Vec<CrlCheck>,
    /// Its AIA OCSP URLs: listed, not queried.
    pub ocsp_urls: Vec<String>,
    /// The outcome in one line, judged as clients judge it over all its distribution points
    /// (`revocation::certificate_summary`): `not revoked per http://… (CRL of …, next update …)`.
    pub summary: String,
}

/// The stapled OCSP response.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StapleReport {
    /// Its size in bytes.
    pub bytes: usize,
    /// What it says, when it could be read.
    pub response: Option<Staple>,
    /// Why it could not be read.
    pub error: Option<String>,
    /// The serial it names is the leaf's.
    pub serial_matches: Option<bool>,
    /// Always `false`: the response's signature is not checked.
    pub signature_verified: bool,
}

/// The certificate the CA Issuers URL served.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FetchedIssuer {
    /// Its subject.
    pub subject: String,
    /// Its issuer.
    pub issuer: String,
    /// SHA-256 of its DER, colon-separated hex.
    pub sha256: String,
    /// Its DER (not in the JSON).
    #[serde(skip)]
    pub der: Vec<u8>,
}

/// The CA Issuers fetch made because the chain stops below a trusted root.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IssuerFetch {
    /// Position of the certificate whose issuer is missing (the top of the chain sent).
    pub position: usize,
    /// The CA Issuers URL (escaped).
    pub url: String,
    /// The fetch, when one was made.
    pub fetch: Option<FetchSummary>,
    /// The certificate it served.
    pub certificate: Option<FetchedIssuer>,
    /// Why no certificate could be taken from it (not http, not a certificate, `.p7c` with
    /// none...).
    pub error: Option<String>,
    /// The chain sent plus this certificate leads to a trusted root.
    pub completes_chain: Option<bool>,
    /// When it does not: the trust check's reason.
    pub reason: Option<String>,
}

/// What the revocation phase learned about one endpoint's chain.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RevocationObservation {
    /// The certificates checked (leaf and intermediates on the path, not the root).
    pub certificates: Vec<CertRevocation>,
    /// The stapled OCSP response, when the server sent one.
    pub staple: Option<StapleReport>,
    /// webpki's verdict with every CRL fetched (`WebPkiServerVerifier::with_crls`), when the
    /// chain is trusted and current and a CRL with a valid signature came: `good`,
    /// `revoked`, or webpki's error.
    pub webpki: Option<String>,
    /// The CA Issuers fetch, when the chain is incomplete.
    pub issuer_fetch: Option<IssuerFetch>,
}

/// How a distribution point's URL is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// Fetched; what Windows and Exchange use.
    Http,
    /// Fetched; Windows fetches CRLs over http, so an https-only CDP may fail there.
    Https,
    /// Not fetched: only a directory inside the organisation answers (AD CS); external
    /// senders such as Exchange Online cannot.
    Ldap,
    /// Anything else (`file:`, `ftp:`): not fetched.
    Other,
}

/// How the CRL was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// DER, as RFC 5280 §4.2.1.13 requires over http.
    Der,
    /// PEM: irregular (RFC 5280 says DER), though many clients read it.
    Pem,
}

/// The signature check of a CRL (RFC 5280 §6.3.3 (f)).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "result", content = "reason")]
pub enum Signature {
    /// It verifies with the issuing CA's key.
    Valid,
    /// It does not.
    Invalid(String),
    /// The issuing CA's certificate is neither sent nor a trusted root here.
    IssuerKeyNotAtHand,
}

/// A revoked entry for the certificate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Revoked {
    /// revocationDate (Unix seconds).
    pub date: Stamp,
    /// The reasonCode entry extension's RFC 5280 §5.3.1 name, when given.
    pub reason: Option<String>,
}

/// What a CRL fetched says about one certificate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CrlFacts {
    /// DER or PEM.
    pub encoding: Encoding,
    /// The CRL's issuer, as text.
    pub issuer: String,
    /// The issuer is the certificate's issuer (RFC 5280 §6.3.3 (b)).
    pub issuer_matches: bool,
    /// thisUpdate (Unix seconds).
    pub this_update: Stamp,
    /// nextUpdate (Unix seconds), when given (RFC 5280 §5.1.2.5 requires it).
    pub next_update: Option<Stamp>,
    /// How many entries it has.
    pub entries: usize,
    /// The signature check.
    pub signature: Signature,
    /// A CRL kind this tool does not judge (`delta CRL`, `indirect CRL`): no verdict is drawn
    /// from it, never "revoked".
    pub unsupported: Option<String>,
    /// The certificate's entry, when listed.
    pub revoked: Option<Revoked>,
}

/// What a stapled response says, as far as this tool reads it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Staple {
    /// `successful`, `malformedRequest`, `internalError`, `tryLater`, `sigRequired`,
    /// `unauthorized` (RFC 6960 §4.2.1 OCSPResponseStatus).
    pub response_status: String,
    /// `good`, `revoked` or `unknown` (RFC 6960 §2.2), of the first SingleResponse.
    pub cert_status: Option<String>,
    /// When revoked: the revocation time (Unix seconds).
    pub revoked_at: Option<Stamp>,
    /// When revoked with a reason: its RFC 5280 §5.3.1 name.
    pub reason: Option<String>,
    /// thisUpdate (Unix seconds).
    pub this_update: Option<Stamp>,
    /// nextUpdate (Unix seconds), when the responder gave one.
    pub next_update: Option<Stamp>,
    /// The serial the response is about (hex, lower case, no leading zero bytes).
    pub serial: Option<String>,
}
