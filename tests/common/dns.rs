//! An in-process authoritative DNS server on 127.0.0.1, for tests of MX and address lookups.
//!
//! Why: MX selection, NXDOMAIN vs. NODATA, null MX (RFC 7505) and "MX points at a CNAME"
//! (RFC 5321 §5.1, RFC 2181 §10.3) can only be tested end to end with real DNS answers, and
//! tests must never use the system resolver (`/etc/resolv.conf` points off this machine).
//! So each test serves its own zones from hickory-server's `InMemoryZoneHandler` on a random
//! loopback port and hands the binary `--resolver 127.0.0.1:PORT`.
//!
//! The server listens on UDP and TCP on the same port, as a real name server does, so a
//! resolver that retries over TCP (truncation, `try_tcp_on_error`) reaches the same zones.
//! It runs on the shared test runtime (`crate::common::runtime()`), and dropping the
//! [`DnsServer`] stops it without waiting.
//!
//! The zone handler answers as an authoritative server does: NXDOMAIN for a name absent from
//! a served zone, NOERROR with an empty answer (NODATA) for a name that exists without the
//! queried type, and for a query that meets a CNAME inside the zone, the CNAME chain followed
//! by the target's records in the answer section (hickory-server 0.26 chases CNAMEs itself).
//! A name outside every served zone gets REFUSED.
//!
//! [`shared_resolver`] is the server every run of the binary gets from the harness when the
//! test does not pass its own `--resolver` (see `tests/common/mod.rs`): one per test
//! process, serving an empty root zone, so every name is NXDOMAIN. A lookup the test did not
//! plan for (a new blocklist, TLSA or PTR query) gets a definite "nothing is published" from
//! 127.0.0.1 instead of going to the system resolver.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use hickory_server::Server;
use hickory_server::net::runtime::Time;
use hickory_server::proto::rr::{LowerName, Name, RecordSet, RrKey};
use hickory_server::proto::serialize::txt::Parser;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneHandler, ZoneType};

/// How long an idle TCP client may keep its connection to the test server.
const TCP_IDLE_TIMEOUT: Duration = Duration::from_secs(5);
/// Responses buffered per TCP connection (hickory's own default stream buffer size).
const TCP_RESPONSE_BUFFER: usize = 32;
/// Attempts at finding a port free for both UDP and TCP.
const BIND_ATTEMPTS: usize = 20;

/// The empty root zone behind [`shared_resolver`]: only its SOA, so every name below it is
/// NXDOMAIN (with the SOA in the authority section, as a real negative answer has).
const EMPTY_ROOT: &str = "\
$ORIGIN .
$TTL 60
@ IN SOA ns.invalid. hostmaster.invalid. 1 60 60 60 60
";

/// The address of this test process's shared loopback DNS server (started on first use, never
/// stopped): an empty root zone, so it answers NXDOMAIN for every name. The harness passes it
/// as `--resolver` to every run of the binary that has none of its own.
pub fn shared_resolver() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| {
        let server = DnsServer::start(&[(".", EMPTY_ROOT)]);
        let addr = server.addr;
        // It serves every test of this process, so it lives as long as the process does.
        Box::leak(Box::new(server));
        addr
    })
}

/// A running authoritative server for the given zones, listening on `addr` (UDP and TCP).
pub struct DnsServer {
    /// Where to send queries: `--resolver` takes this (see [`DnsServer::resolver_arg`]).
    pub addr: SocketAddr,
    server: Option<Server<Recording>>,
    asked: Arc<Mutex<Vec<String>>>,
}

/// The catalog, recording the name of every query it is asked (so a test can prove that a
/// lookup happened, or did not).
struct Recording {
    inner: Catalog,
    asked: Arc<Mutex<Vec<String>>>,
}

// The trait is declared with `#[async_trait]`: this is the signature it expands to.
impl RequestHandler for Recording {
    fn handle_request<'life0, 'life1, 'async_trait, R, T>(
        &'life0 self,
        request: &'life1 Request,
        response_handle: R,
    ) -> Pin<Box<dyn Future<Output = ResponseInfo> + Send + 'async_trait>>
    where
        R: ResponseHandler + 'async_trait,
        T: Time + 'async_trait,
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        if let (Ok(info), Ok(mut asked)) = (request.request_info(), self.asked.lock()) {
            asked.push(info.query.name().to_string());
        }
        self.inner.handle_request::<R, T>(request, response_handle)
    }
}

impl DnsServer {
    /// Serves `zones`, each `(origin, master-file text)`, e.g.
    /// `("contoso.test.", "$ORIGIN contoso.test.\n$TTL 60\n@ IN SOA ...")`.
    ///
    /// Panics on a zone that does not parse or lacks an SOA at its origin: that is a bug in
    /// the test, and the message says which zone.
    pub fn start(zones: &[(&str, &str)]) -> DnsServer {
        let mut catalog = Catalog::new();
        for &(origin, text) in zones {
            let (name, handler) = load_zone(origin, text);
            catalog.upsert(LowerName::new(&name), vec![handler]);
        }

        let (udp, tcp) = bind_udp_and_tcp();
        let addr = udp
            .local_addr()
            .unwrap_or_else(|e| panic!("test DNS server: no local address: {e}"));

        // The sockets become tokio sockets, and the server spawns its tasks, on the shared
        // test runtime: entering it makes it the "current" runtime for those calls.
        let _guard = crate::common::runtime().enter();
        let udp = tokio::net::UdpSocket::from_std(udp)
            .unwrap_or_else(|e| panic!("test DNS server: UDP socket: {e}"));
        let tcp = tokio::net::TcpListener::from_std(tcp)
            .unwrap_or_else(|e| panic!("test DNS server: TCP listener: {e}"));
        let asked = Arc::new(Mutex::new(Vec::new()));
        let mut server = Server::new(Recording {
            inner: catalog,
            asked: asked.clone(),
        });
        server.register_socket(udp);
        server.register_listener(tcp, TCP_IDLE_TIMEOUT, TCP_RESPONSE_BUFFER);

        DnsServer {
            addr,
            server: Some(server),
            asked,
        }
    }

    /// The names asked so far, in order (lower-case, fully qualified: `a.example.test.`).
    pub fn queries(&self) -> Vec<String> {
        self.asked.lock().map(|a| a.clone()).unwrap_or_default()
    }

    /// The value for `--resolver`: `"127.0.0.1:PORT"`.
    pub fn resolver_arg(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            // Ask the listeners to stop, then drop the server: dropping its task set aborts
            // whatever is still running. Nothing here blocks, so this is safe both from a
            // plain #[test] and from inside an async context on the shared runtime.
            server.shutdown_token().cancel();
            drop(server);
        }
    }
}

/// Parses one zone's master-file text into an authoritative in-memory zone handler.
fn load_zone(origin: &str, text: &str) -> (Name, Arc<dyn ZoneHandler>) {
    let mut origin_name = Name::from_str(origin)
        .unwrap_or_else(|e| panic!("test DNS server: bad zone origin {origin:?}: {e}"));
    origin_name.set_fqdn(true);

    let (name, records): (Name, BTreeMap<RrKey, RecordSet>) =
        Parser::new(text, None, Some(origin_name))
            .parse()
            .unwrap_or_else(|e| panic!("test DNS server: zone {origin} does not parse: {e}"));

    let handler: InMemoryZoneHandler =
        InMemoryZoneHandler::new(name.clone(), records, ZoneType::Primary, AxfrPolicy::Deny)
            .unwrap_or_else(|e| panic!("test DNS server: zone {origin} rejected: {e}"));
    (name, Arc::new(handler))
}

/// A UDP socket on 127.0.0.1 with a fresh port, and a TCP listener on the same port number.
fn bind_udp_and_tcp() -> (std::net::UdpSocket, std::net::TcpListener) {
    let mut last_error = None;
    for _ in 0..BIND_ATTEMPTS {
        let udp = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
            .unwrap_or_else(|e| panic!("test DNS server: cannot bind UDP on 127.0.0.1: {e}"));
        let port = udp
            .local_addr()
            .unwrap_or_else(|e| panic!("test DNS server: no local address: {e}"))
            .port();
        match std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
            Ok(tcp) => {
                udp.set_nonblocking(true)
                    .unwrap_or_else(|e| panic!("test DNS server: UDP nonblocking: {e}"));
                tcp.set_nonblocking(true)
                    .unwrap_or_else(|e| panic!("test DNS server: TCP nonblocking: {e}"));
                return (udp, tcp);
            }
            // The port is taken for TCP by someone else: drop the UDP socket, try another.
            Err(e) => last_error = Some(e),
        }
    }
    panic!(
        "test DNS server: no port free for both UDP and TCP on 127.0.0.1 after \
         {BIND_ATTEMPTS} attempts; last error: {last_error:?}"
    )
}
