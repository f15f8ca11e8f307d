#!/usr/bin/python3
"""The aiosmtpd tier of starttls-check: one aiosmtpd SMTP server per case on 127.0.0.1.

Run by tests/aiosmtpd/setup.sh (which makes the certificates), with Debian's python3 and
python3-aiosmtpd (1.4.3 on Debian 12: STARTTLS through `tls_context`, `require_starttls`,
implicit TLS through the listener's SSL context):

    /usr/bin/python3 server.py --dir DIR --log DIR/commands.log --ready DIR/ports.env \
        --case valid:2560 --case expired:2561 ...

Once every port is bound (each case loads its certificates first), READY.tmp is renamed to
READY: the tests wait for that file, so they never find a port not listening yet.

Every line a client sends (before and after STARTTLS) is written to the log as one JSON
object per line, with the connection's start and end: {"port", "case", "peer", "event":
"connect" | "line" | "close", "line"}. The tests read it to check what the probe sent.

Serves until stdin reaches end of file (the test process ended or let go of it) or SIGTERM.
Nothing is delivered: every RCPT is refused. No name is ever looked up: the socket module's
resolver functions are replaced by ones that accept IP literals only.
"""

import argparse
import asyncio
import ipaddress
import json
import os
import signal
import socket
import ssl
import sys

from aiosmtpd.smtp import SMTP

SERVER_NAME = "mail.example.test"

# --- no DNS ----------------------------------------------------------------------------------
_getaddrinfo = socket.getaddrinfo


def _literal_only(host, *args, **kwargs):
    """getaddrinfo for IP literals; any name is an error (the tier must not resolve)."""
    if host is not None:
        try:
            ipaddress.ip_address(host.decode() if isinstance(host, bytes) else host)
        except ValueError:
            raise OSError(f"the aiosmtpd tier looks no names up (asked for {host!r})") from None
    return _getaddrinfo(host, *args, **kwargs)


def _no_lookup(*args, **kwargs):
    raise OSError(f"the aiosmtpd tier looks no names up (asked for {args!r})")


socket.getaddrinfo = _literal_only
socket.getfqdn = _no_lookup
socket.gethostbyname = _no_lookup
socket.gethostbyname_ex = _no_lookup
socket.gethostbyaddr = _no_lookup
socket.getnameinfo = _no_lookup


# --- the command log ---------------------------------------------------------------------------
class CommandLog:
    """One JSON object per line, flushed at once (the tests read it while we run)."""

    def __init__(self, path):
        self.file = open(path, "a", encoding="utf-8", buffering=1)

    def write(self, port, case, peer, event, line=None):
        record = {"port": port, "case": case, "peer": f"{peer[0]}:{peer[1]}", "event": event}
        if line is not None:
            record["line"] = line.decode("utf-8", "backslashreplace")
        self.file.write(json.dumps(record) + "\n")


class Refuse:
    """aiosmtpd handler: MAIL as aiosmtpd answers it (250), every RCPT refused."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.7.1 Relaying denied (starttls-check test server)"

    async def handle_DATA(self, server, session, envelope):
        return "554 5.5.1 No valid recipients"


class LoggingSMTP(SMTP):
    """aiosmtpd's SMTP, writing every line read from the client to the command log.

    The lines are taken where aiosmtpd reads them (its StreamReader, the same object
    before and after STARTTLS), so a command it refuses (`530 Must issue a STARTTLS
    command first`) is logged too.
    """

    def __init__(self, *args, case, port, log, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        self.port = port
        self.log = log
        self.peer = ("?", 0)

    def connection_made(self, transport):
        first = self._original_transport is None and self.transport is None
        super().connection_made(transport)
        if first:
            self.peer = transport.get_extra_info("peername") or ("?", 0)
            self.log.write(self.port, self.case, self.peer, "connect")
            reader = self._reader
            read = reader.readuntil

            async def logged(*a, **kw):
                line = await read(*a, **kw)
                self.log.write(self.port, self.case, self.peer, "line", line.rstrip(b"\r\n"))
                return line

            reader.readuntil = logged

    def connection_lost(self, error):
        self.log.write(self.port, self.case, self.peer, "close")
        super().connection_lost(error)


def tls_context(cert_dir, name, pem):
    """A server context sending certs/PEM (what it holds, in order) with certs/NAME.key."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert_dir / pem, cert_dir / f"{name}.key")
    return ctx


# case name -> (key name or None, the certificate file it sends, require_starttls, implicit TLS)
CASES = {
    "valid": ("valid", "valid.chain.pem", False, False),
    "expired": ("expired", "expired.chain.pem", False, False),
    "self-signed": ("self-signed", "self-signed.pem", False, False),
    "no-starttls": (None, None, False, False),
    "require-tls": ("valid", "valid.chain.pem", True, False),
    "implicit-tls": ("valid", "valid.chain.pem", False, True),
    # The leaf the intermediate signed, without the intermediate.
    "chain-incomplete": ("valid", "valid.pem", False, False),
}


async def serve(args):
    from pathlib import Path

    cert_dir = Path(args.dir) / "certs"
    log = CommandLog(args.log)
    loop = asyncio.get_running_loop()
    servers = []
    for spec in args.case:
        case, _, port = spec.partition(":")
        key, pem, require, implicit = CASES[case]
        ctx = tls_context(cert_dir, key, pem) if key else None

        def factory(case=case, port=int(port), ctx=ctx, require=require, implicit=implicit):
            return LoggingSMTP(
                Refuse(),
                case=case,
                port=port,
                log=log,
                hostname=SERVER_NAME,
                tls_context=None if implicit else ctx,
                require_starttls=require,
                timeout=30,
            )

        servers.append(
            await loop.create_server(factory, "127.0.0.1", int(port), ssl=ctx if implicit else None)
        )
    # Every port is bound: now the tests may read the ports.
    os.replace(args.ready + ".tmp", args.ready)
    stop = loop.create_future()

    def on_stdin():
        if not sys.stdin.buffer.raw.read(4096) and not stop.done():
            stop.set_result("stdin closed")

    loop.add_reader(sys.stdin.fileno(), on_stdin)
    loop.add_signal_handler(signal.SIGTERM, lambda: stop.done() or stop.set_result("SIGTERM"))
    ports = " ".join(spec.partition(":")[2] for spec in args.case)
    print(f"aiosmtpd-server: serving ports {ports} on 127.0.0.1; close stdin to stop", file=sys.stderr, flush=True)
    why = await stop
    for s in servers:
        s.close()
    print(f"aiosmtpd-server: stopping ({why})", file=sys.stderr, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True, help="the PKI directory (tests/mta/pki.sh)")
    parser.add_argument("--log", required=True, help="the command log to append to")
    parser.add_argument("--case", action="append", required=True, help="CASE:PORT")
    parser.add_argument("--ready", required=True, help="renames READY.tmp to READY once every port is bound")
    args = parser.parse_args()
    for spec in args.case:
        if spec.partition(":")[0] not in CASES:
            parser.error(f"unknown case in {spec!r}; known: {', '.join(CASES)}")
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
