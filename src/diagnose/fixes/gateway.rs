//! Mail security gateways and cloud mail services: the admin console setting to change. An
//! appliance (Cisco Secure Email, a Barracuda or FortiMail unit) takes the organisation's
//! certificate in its web interface; a cloud service (Google, Mimecast, Proofpoint, Sophos
//! Email, and the cloud editions of Cisco, Barracuda and FortiMail) answers with the vendor's
//! own certificate on the vendor's host names, which the customer cannot change: there the fix
//! is the vendor's case, or the MX records. Exchange Online's fixes are in [`super::exchange`].
//!
//! # References
//! - Cisco: "User Guide for AsyncOS for Cisco Email Security Appliances", chapter "Encrypting
//!   Communication with Other MTAs" ("Assigning a Certificate to a Public or Private Listener":
//!   Network > Listeners, the Certificate field; listener TLS No / Preferred / Required, "all
//!   default mail flow policy settings ... have the tls setting set to off"); "TLS Configuration
//!   FAQ" (document 200038: Mail Policies > Mail Flow Policies, "Use TLS"); "How can you alter
//!   the ciphers that are used with SSL or TLS?" (document 117855: the `sslconfig` command,
//!   inbound SMTP method and ciphers); "Configure ESA custom SMTP banner" (document 118146)
//! - Barracuda: "Securing the Barracuda Email Security Gateway" (SSL certificates on the
//!   ADVANCED > Secure Administration page); Barracuda Campus doc 167976808 (Email Gateway
//!   Defense dropped TLS 1.0/1.1 and suites without forward secrecy)
//! - Fortinet: FortiMail Administration Guide, "Managing certificates" (System > Certificate >
//!   Local Certificate), "Configuring TLS security profiles" (Profile > Security > TLS: level,
//!   Minimum TLS version), CLI Reference "profile tls" (smtps-tls-status for what FortiMail
//!   receives), "Configuring mail server settings" (System > Mail Setting > Mail
//!   Server Settings: Host name, Local domain name); Fortinet KB "How to import certificate
//!   signed by intermediate CA" (append each intermediate to the local certificate, in order)
//! - Google Workspace Admin Help, "Require mail to be transmitted via a secure (TLS)
//!   connection" (Apps > Google Workspace > Gmail > Compliance, Secure transport (TLS)
//!   compliance; TLS 1.0 to 1.3)
//! - Mimecast, "Policies - Secure Receipt Policy Configuration" (Administration Console,
//!   Policies | Gateway Policies | Secure Receipt; TLS 1.2 and 1.3)
//! - Proofpoint Essentials, "How TLS Delivery Occurs" (TLS 1.2 or higher since April 2023)
//! - Sophos Central help, "Using TLS connections" (Sophos Email's certificate covers
//!   `*.prod.hydra.sophos.com`; Global Settings > Enforced TLS Connections); Sophos Firewall
//!   help, Email > General settings (MTA mode, SMTP TLS configuration)

use super::products::Product;
use crate::diagnose::ServerKind;
use crate::diagnose::fix::Family;

/// What a cloud service's certificate and TLS are, said once for each vendor.
macro_rules! cloud_certificate {
    ($vendor:literal) => {
        concat!(
            "this host is ",
            $vendor,
            "'s and presents ",
            $vendor,
            "'s own certificate for its own names, which you cannot replace. Check that your MX records name exactly the hosts ",
            $vendor,
            " gave you (a certificate error often means an MX record points at a name the certificate does not cover) and probe from another \
             network (TLS inspection near the probe replaces certificates); if the error stays, open a case with ",
            $vendor,
            " support with this report."
        )
    };
}

/// A cloud service's greeting name, which its certificate covers, said once for each vendor.
macro_rules! cloud_hostname {
    ($vendor:literal) => {
        concat!(
            "the name is ",
            $vendor,
            "'s and senders check its certificate against the MX host names, which it covers: nothing to change on your side."
        )
    };
}

/// The security gateways and cloud services, one description each.
pub const GATEWAYS: &[Product] = &[
    Product {
        kind: ServerKind::CiscoSecureEmail,
        name: "Cisco Secure Email (IronPort)",
        cloud: false,
        family: Family::Gateway,
        certificate: "in the web interface, add the certificate with its private key and intermediates under Network > Certificates, then choose it in \
             the Certificate field of the public listener under Network > Listeners; submit and commit the changes (CLI: certconfig, listenerconfig). \
             On Cisco Secure Email Cloud Gateway (*.iphmx.com hosts), Cisco operates the hosts: open a case with Cisco TAC for their certificate.",
        starttls: "under Mail Policies > Mail Flow Policies, select the public listener and set TLS to Preferred in its Default Policy Parameters \
             (and in any policy that overrides it): every default mail flow policy has TLS off. Preferred, not Required, on a public MX.",
        versions: "the CLI command sslconfig sets the inbound SMTP TLS methods and ciphers: allow TLS 1.2 (and 1.3 where AsyncOS offers it) and \
             the default cipher list.",
        hostname: "On Cisco Secure Email, the name comes from the public listener (Network > Listeners, its host name) or a Custom SMTP Banner Text \
             of the mail flow policy (Mail Policies > Mail Flow Policies).",
        apply: "Submit and commit the changes (in a cluster, at the level the setting lives); the mail logs show each TLS error.",
    },
    Product {
        kind: ServerKind::Barracuda,
        name: "Barracuda",
        cloud: false,
        family: Family::Gateway,
        certificate: "an Email Security Gateway appliance takes the trusted certificate with its private key and intermediates on its \
             ADVANCED > Secure Administration page (the appliance's SSL certificate), with SMTP over TLS enabled. Email Gateway Defense \
             (*.ess.barracudanetworks.com hosts) presents Barracuda's own certificate, which you cannot replace: check that the MX records name the \
             hosts Barracuda gave you, and open a case with Barracuda if the error stays.",
        starttls: "an Email Security Gateway appliance needs SMTP over TLS enabled in its mail protocol settings (see the page's online help) with \
             a trusted certificate installed. Barracuda Email Gateway Defense offers STARTTLS itself: if it is missing there, something in the \
             path removes it.",
        versions: "an appliance needs a current firmware; check its TLS settings in the web interface. Barracuda Email Gateway Defense dropped \
             TLS 1.0 and 1.1 and the suites without forward secrecy (Barracuda Campus, doc 167976808): an old sender fails there, not the gateway.",
        hostname: "On a Barracuda appliance, the name is the host name and default domain set in its web interface's IP configuration.",
        apply: "Save the change in the web interface; the Message Log shows the TLS result of each connection.",
    },
    Product {
        kind: ServerKind::Fortinet,
        name: "FortiMail",
        cloud: false,
        family: Family::Gateway,
        certificate: "append each intermediate certificate to the certificate file, in order (Fortinet KB \"How to import certificate signed by \
             intermediate CA\"), import it under System > Certificate > Local Certificate, and set it as the default certificate the SMTP service \
             presents. On FortiMail Cloud (*.fortimailcloud.com hosts), Fortinet operates the hosts: open a case for their certificate.",
        starttls: "make sure the SMTP service offers STARTTLS with a local certificate (the SMTP service settings under System > Mail Setting; CLI: \
             config system mailserver, smtps-tls-status), and that no TLS profile \
             applied through Policy > Access Control > Receiving sets the TLS level to None for the senders.",
        versions: "under Profile > Security > TLS, check the TLS profiles applied to receiving (Minimum TLS version: TLS 1.2), and update the \
             firmware if it predates TLS 1.2.",
        hostname: "On FortiMail, the name is the Host name and Local domain name under System > Mail Setting > Mail Server Settings.",
        apply: "The change applies when saved; the history logs (Log and Report) show the TLS result of each session.",
    },
    Product {
        kind: ServerKind::Google,
        name: "Google (Gmail, Google Workspace)",
        cloud: true,
        family: Family::Gateway,
        certificate: cloud_certificate!("Google"),
        starttls: "Google offers STARTTLS to every sender; when it is missing, something between this machine and Google removes it. To require TLS \
             from chosen senders, use the Admin console: Apps > Google Workspace > Gmail > Compliance, Secure transport (TLS) compliance.",
        versions: "Google supports TLS 1.0 to 1.3 and current cipher suites: the sender's side (or a device in its path) is the one to change.",
        hostname: cloud_hostname!("Google"),
        apply: "Settings in the Admin console take effect within an hour.",
    },
    Product {
        kind: ServerKind::Mimecast,
        name: "Mimecast",
        cloud: true,
        family: Family::Gateway,
        certificate: cloud_certificate!("Mimecast"),
        starttls: "Mimecast offers STARTTLS to senders; when it is missing, something between this machine and Mimecast removes it. To require TLS \
             from chosen senders, use the Administration Console: Policies | Gateway Policies | Secure Receipt.",
        versions: "Mimecast accepts TLS 1.2 and 1.3: the sender's side (or a device in its path) is the one to change.",
        hostname: cloud_hostname!("Mimecast"),
        apply: "A policy change in the Administration Console takes effect within minutes.",
    },
    Product {
        kind: ServerKind::Proofpoint,
        name: "Proofpoint",
        cloud: true,
        family: Family::Gateway,
        certificate: cloud_certificate!("Proofpoint"),
        starttls: "Proofpoint offers STARTTLS to senders; when it is missing, something between this machine and Proofpoint removes it. TLS \
             enforcement for chosen partners is a filter or TLS setting in the Proofpoint admin console (Essentials: an outbound or inbound filter).",
        versions: "Proofpoint Essentials accepts TLS 1.2 or higher only (since April 2023): the sender's side is the one to change.",
        hostname: cloud_hostname!("Proofpoint"),
        apply: "A change in the admin console applies when saved.",
    },
    Product {
        kind: ServerKind::Sophos,
        name: "Sophos",
        cloud: true,
        family: Family::Gateway,
        certificate: concat!(
            cloud_certificate!("Sophos"),
            " On a Sophos Firewall in MTA mode, the certificate is chosen in Email > General settings (SMTP TLS configuration)."
        ),
        starttls: "Sophos Email offers STARTTLS to senders; when it is missing, something between this machine and Sophos removes it. In Sophos \
             Central, TLS for chosen domains is under Global Settings > Enforced TLS Connections; on a Sophos Firewall, in Email > General settings.",
        versions: "Sophos Email accepts TLS 1.2 and later: the sender's side is the one to change. On a Sophos Firewall, check Email > General \
             settings (SMTP TLS configuration).",
        hostname: "the name is Sophos's: nothing to change on your side (on a Sophos Firewall, the SMTP hostname is in Email > General settings).",
        apply: "A change in Sophos Central or on the firewall applies when saved.",
    },
];
