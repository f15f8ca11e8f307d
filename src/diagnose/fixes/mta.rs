//! Mail servers this tool writes no commands for, described in their own configuration words:
//! Sendmail, OpenSMTPD, Haraka, hMailServer, MDaemon and Zimbra. Each sentence names the keys
//! or menus its source documents; the admin edits them with the product's own tools.
//!
//! Zimbra runs Postfix, but keeps its configuration in LDAP and rewrites Postfix's files from
//! it (zmconfigd), so `postconf -e` would be undone: its fixes name Zimbra's attributes and
//! `zmcertmgr` instead. A Zimbra whose banner is Postfix's default is reported as Postfix.
//!
//! # References
//! - Sendmail cf/README and cf/m4/proto.m4: `confSERVER_CERT`, `confSERVER_KEY`,
//!   `confCACERT`, `confCACERT_PATH`, `confCIPHER_LIST` (CipherList), `confSERVER_SSL_OPTIONS`
//!   (ServerSSLOptions, 8.15), `confDOMAIN_NAME` ($j), `DAEMON_OPTIONS(... M=s)` (SMTP over
//!   TLS on connect), `confDONT_BLAME_SENDMAIL` `GroupReadableKeyFile`
//! - OpenSMTPD smtpd.conf(5): `pki NAME cert FILE` (a chain may be appended to the
//!   certificate file), `pki NAME key FILE`, `listen on ... tls pki NAME` (STARTTLS),
//!   `tls-require`, `smtps`, `hostname`, `protocols`, `ciphers`; `smtpd -n` checks the file
//! - Haraka's tls plugin documentation: config/tls_key.pem and config/tls_cert.pem (the
//!   certificate, then its intermediates), `tls` in config/plugins advertises STARTTLS,
//!   config/tls.ini, config/me (the name it greets with)
//! - hMailServer documentation, "SSL/TLS" and "SSL certificate" (Settings > Advanced > SSL
//!   certificates; TCP/IP ports, Connection security: STARTTLS (Optional) / (Required));
//!   hmailserver/hmailserver `SMTPConnection::SendBanner_` and the EHLO reply (the computer
//!   name)
//! - MDaemon help, "SSL & TLS" (Security > Security Settings > SSL & TLS > MDaemon: Enable SSL,
//!   STARTTLS and STLS, the certificate to use)
//! - Zimbra: `zmcertmgr verifycrt comm KEY CERT CHAIN` / `deploycrt comm CERT CHAIN`,
//!   `zmcontrol restart`; attributes `zimbraMtaTlsSecurityLevel` ("Value for postconf
//!   smtpd_tls_security_level", ZAttrProvisioning), `zimbraMtaSmtpdTlsProtocols`,
//!   `zimbraMtaSmtpdTlsCiphers`, `zimbraMtaMyHostname`; Zimbra admin guide, "Zimbra MTA"
//!   (zmconfigd rewrites Postfix's configuration from LDAP)

use super::products::Product;
use crate::diagnose::ServerKind;
use crate::diagnose::fix::Family;

/// The mail servers described in prose.
pub const MTAS: &[Product] = &[
    Product {
        kind: ServerKind::Sendmail,
        name: "Sendmail",
        cloud: false,
        family: Family::Mta,
        certificate: "in sendmail.mc, point define(`confSERVER_CERT') at the certificate file (the certificate, then its intermediates) and \
             define(`confSERVER_KEY') at the key, with confCACERT and confCACERT_PATH naming the CA files; rebuild sendmail.cf (m4, or make in \
             /etc/mail). Sendmail refuses a key file that others can read (mode 600, or GroupReadableKeyFile in confDONT_BLAME_SENDMAIL).",
        starttls: "Sendmail offers STARTTLS as soon as it loads confSERVER_CERT and confSERVER_KEY: set both in sendmail.mc and rebuild sendmail.cf; \
             if it still does not, the log line STARTTLS=server says why.",
        versions: "the protocols come from confSERVER_SSL_OPTIONS (ServerSSLOptions, Sendmail 8.15: remove +SSL_OP_NO_TLSv1_2) and the ciphers \
             from confCIPHER_LIST (CipherList, an OpenSSL cipher list such as HIGH:!aNULL:!MD5); an OpenSSL older than 1.0.1 has no TLS 1.2.",
        hostname: "Sendmail greets with $j, set by define(`confDOMAIN_NAME') in sendmail.mc.",
        apply: "Rebuild sendmail.cf and restart sendmail; it logs TLS errors with STARTTLS=server to the mail log.",
    },
    Product {
        kind: ServerKind::Opensmtpd,
        name: "OpenSMTPD",
        cloud: false,
        family: Family::Mta,
        certificate: "in smtpd.conf, `pki NAME cert \"FILE\"` names the certificate file (append the intermediates to it) and `pki NAME key \"FILE\"` \
             the key; the listener uses it with `listen on ... tls pki NAME`.",
        starttls: "in smtpd.conf, add `tls pki NAME` to the `listen on` line of the port (`tls-require` only for your own clients: a public MX must \
             not require TLS; `smtps` for TLS from the first byte on 465), with a pki entry for a trusted certificate.",
        versions: "the `listen on` line takes `protocols` and `ciphers` (libtls syntax); remove values that exclude TLS 1.2 and 1.3.",
        hostname: "OpenSMTPD greets with the server name, or the `hostname` option of the `listen on` line.",
        apply: "Check the file with `smtpd -n`, then restart smtpd; it logs TLS errors to the mail log.",
    },
    Product {
        kind: ServerKind::Haraka,
        name: "Haraka",
        cloud: false,
        family: Family::Mta,
        certificate: "put the key in config/tls_key.pem and the certificate, followed by its intermediates, in config/tls_cert.pem (or name other \
             files with key= and cert= in config/tls.ini).",
        starttls: "enable the tls plugin (a `tls` line in config/plugins), which advertises STARTTLS once config/tls_key.pem and config/tls_cert.pem \
             load; Haraka logs `config/tls_key.pem not loaded` otherwise.",
        versions: "config/tls.ini sets the TLS options Node.js takes (ciphers, minVersion): remove values that exclude TLS 1.2 and 1.3, and run a \
             current Node.js.",
        hostname: "Haraka greets with the name in config/me.",
        apply: "Restart Haraka; it logs TLS errors to its log.",
    },
    Product {
        kind: ServerKind::Hmailserver,
        name: "hMailServer",
        cloud: false,
        family: Family::Mta,
        certificate: "in hMailServer Administrator, add the certificate file (with its intermediates) and the private key under Settings > Advanced > \
             SSL certificates, then select it for the port under Settings > Advanced > TCP/IP ports.",
        starttls: "under Settings > Advanced > TCP/IP ports, set the port's Connection security to STARTTLS (Optional) (Required only for your own \
             clients) and choose its SSL certificate.",
        versions: "the TLS versions and ciphers are under Settings > Advanced > SSL/TLS (hMailServer 5.6 and later); older versions use Windows' \
             SCHANNEL settings.",
        hostname: "hMailServer answers EHLO with the Windows computer name, and its banner with the SMTP welcome message or that name \
             (SMTPConnection in its source): give the computer its public name, or put the computer name on the certificate.",
        apply: "Save and restart the hMailServer service; errors appear in its error log.",
    },
    Product {
        kind: ServerKind::Mdaemon,
        name: "MDaemon",
        cloud: false,
        family: Family::Mta,
        certificate: "under Security > Security Settings > SSL & TLS > MDaemon, import or select the certificate (with its intermediates, in the \
             Windows certificate store) that MDaemon uses.",
        starttls: "under Security > Security Settings > SSL & TLS > MDaemon, enable SSL, STARTTLS and STLS and select a trusted certificate.",
        versions: "the SSL & TLS settings choose the TLS versions and ciphers; MDaemon uses Windows' TLS stack (SCHANNEL) on older versions.",
        hostname: "MDaemon greets with the SMTP host name of its default domain (in the Domain Manager).",
        apply: "Apply the change; MDaemon's SMTP (in) log shows each TLS error.",
    },
    Product {
        kind: ServerKind::Zimbra,
        name: "Zimbra",
        cloud: false,
        family: Family::Mta,
        certificate: "as the zimbra user, check the files with `zmcertmgr verifycrt comm KEY CERT CHAIN`, deploy them with `zmcertmgr deploycrt comm \
             CERT CHAIN` (the key first copied to /opt/zimbra/ssl/zimbra/commercial/commercial.key), and restart with `zmcontrol restart`. Do not \
             edit Postfix with postconf: Zimbra rewrites its configuration from LDAP.",
        starttls: "set `zmprov ms $(zmhostname) zimbraMtaTlsSecurityLevel may` (Zimbra's value for Postfix's smtpd_tls_security_level) as the zimbra \
             user, with a commercial certificate deployed.",
        versions: "Zimbra sets Postfix's protocols and ciphers from zimbraMtaSmtpdTlsProtocols (>=TLSv1.2) and zimbraMtaSmtpdTlsCiphers \
             (zmprov mcf).",
        hostname: "Zimbra's MTA greets with zimbraMtaMyHostname (zmprov ms).",
        apply: "Restart as the zimbra user (`zmcontrol restart`, or `zmmtactl reload` for MTA settings); Postfix logs to Zimbra's mail log.",
    },
];
