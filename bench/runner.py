#!/usr/bin/env python3
"""The measuring half of bench/compare.sh (issue 12): runs the scenarios, prints Markdown.

Python 3 standard library only. bench/compare.sh prepares the machine (packages, a network
namespace with only `lo`, the Postfix tier) and then calls this script; run on its own it
assumes all of that is done.

Every run of every tool goes through bench/spawn.c (a ~1 MB C process that forks, execs,
waits with wait4(2) and reports wall time, user+sys CPU and peak RSS): forked from Python
itself, a child's ru_maxrss would include Python's own ~6-9 MB (see spawn.c).

Scenarios (README of the harness: BENCHMARKS.md, "How to run"):
  (a) one endpoint, Postfix 127.0.0.1:2525: starttls-check --format human and --format json,
      openssl s_client, posttls-finger, alternating run by run (A B C D A B C D ...), in
      batches; sslyze and testssl.sh once each when installed.
  (b) a mail domain of 4 endpoints, one of which accepts TCP and never speaks: an in-process
      DNS server (UDP and TCP) answers the MX and A lookups, the healthy endpoints are the
      Postfix tier's bench listeners on 127.0.0.2-127.0.0.4:2525, the silent one is a
      listener of this process on 127.0.0.5:2525.
  (c) start-up: starttls-check --version against /bin/true, alternating.
  profile: strace -f -ttt of single runs of (a), cut into phases.

Exit status: 0 when every run of a mandatory tool succeeded (the issue's targets are printed
as PASS/MISS and never change it), 1 when a run failed, 2 when the harness itself broke.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import re
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from typing import Callable, Optional

HOST = "mail.example.test"
# The bench listeners of tests/postfix/setup.sh (BENCH_ADDRS) and the silent one of (b).
BENCH_PORT = 2525
SILENT_ADDR = "127.0.0.5"
DOMAIN = "bench.test"
RSS_TARGET_KIB = 20_000_000 // 1024  # 20 MB (decimal), in KiB as ru_maxrss counts
STARTUP_TARGET_MS = 5.0
DOMAIN_TARGET_RATIO = 1.1


def say(msg: str) -> None:
    print(f"runner: {msg}", file=sys.stderr, flush=True)


# --- measuring one run ---------------------------------------------------------------------


@dataclass
class Sample:
    wall_ms: float
    cpu_ms: float
    rss_kib: int
    status: str  # "exit N" or "signal NAME"
    ok: bool
    why: str = ""


class Spawner:
    """bench/spawn.c, kept running: one request per measured run."""

    def __init__(self, path: str, workdir: str):
        self.proc = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.workdir = workdir

    def run(self, argv: list[str], tag: str, timeout_s: int) -> tuple[int, float, float, int, str, str]:
        out = os.path.join(self.workdir, f"{tag}.out")
        err = os.path.join(self.workdir, f"{tag}.err")
        fields = [str(timeout_s), "/dev/null", out, err, *argv]
        req = b"".join(f.encode() + b"\0" for f in fields) + b"\0"
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(req)
        self.proc.stdin.flush()
        line = self.proc.stdout.readline().decode()
        if not line:
            raise RuntimeError("bench/spawn stopped answering")
        status, wall_ns, utime_us, stime_us, rss = (int(x) for x in line.split())
        return status, wall_ns / 1e6, (utime_us + stime_us) / 1e3, rss, out, err

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait()


def read(path: str, limit: int = 1 << 20) -> str:
    try:
        with open(path, "rb") as f:
            return f.read(limit).decode(errors="replace")
    except OSError:
        return ""


Check = Callable[[int, str, str], Optional[str]]  # (exit code, stdout, stderr) -> why it failed


@dataclass
class Tool:
    name: str
    argv: list[str]
    check: Check
    timeout_s: int = 60
    tag: str = ""

    def __post_init__(self) -> None:
        self.tag = self.tag or re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")


def measure(sp: Spawner, tool: Tool) -> Sample:
    raw, wall, cpu, rss, out, err = sp.run(tool.argv, tool.tag, tool.timeout_s)
    code = os.waitstatus_to_exitcode(raw)
    if code < 0:
        sig = -code
        name = "SIGALRM (timed out)" if sig == 14 else f"signal {sig}"
        return Sample(wall, cpu, rss, name, False, f"killed by {name}")
    stdout, stderr = read(out), read(err)
    why = tool.check(code, stdout, stderr)
    if why:
        # Keep the evidence of the first failure of each tool beside the report.
        keep = os.path.join(sp.workdir, f"failed-{tool.tag}")
        if not os.path.exists(keep + ".out"):
            shutil.copy(out, keep + ".out")
            shutil.copy(err, keep + ".err")
        why = f"{why} (output: {keep}.out/.err)"
    return Sample(wall, cpu, rss, f"exit {code}", why is None, why or "")


# --- checks: a run counts only when the tool says what a healthy server makes it say -------


def exit_in(codes: set[int], then: Optional[Check] = None) -> Check:
    def check(code: int, out: str, err: str) -> Optional[str]:
        if code not in codes:
            return f"exit {code}, expected {' or '.join(map(str, sorted(codes)))}: {tail(err or out)}"
        return then(code, out, err) if then else None

    return check


def contains(text: str, where: str = "stdout") -> Check:
    def check(code: int, out: str, err: str) -> Optional[str]:
        hay = out if where == "stdout" else out + err
        return None if text in hay else f"no '{text}' in its output: {tail(err or out)}"

    return check


def json_verdict(verdict: str, endpoints: Optional[int] = None) -> Check:
    def check(code: int, out: str, err: str) -> Optional[str]:
        try:
            doc = json.loads(out)
        except ValueError as e:
            return f"stdout is not JSON ({e}): {tail(err)}"
        if verdict and doc.get("verdict") != verdict:
            return f"verdict {doc.get('verdict')!r}, expected {verdict!r}: {doc.get('headline')}"
        if endpoints is not None and len(doc.get("endpoints", [])) != endpoints:
            return f"{len(doc.get('endpoints', []))} endpoints in the report, expected {endpoints}"
        return None

    return check


def shell(argv: list[str]) -> str:
    import shlex

    return " ".join(shlex.quote(a) for a in argv)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else ("es" if word.endswith("ch") else "s"))


def tail(text: str) -> str:
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return lines[-1][:160] if lines else "(no output)"


# --- statistics and Markdown ---------------------------------------------------------------


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def ms(x: float) -> str:
    if x != x:  # NaN
        return "–"
    return f"{x:.1f} ms" if x < 100 else f"{x:.0f} ms"


def mb(kib: float) -> str:
    return "–" if kib != kib else f"{kib / 1024:.1f} MiB"


def table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


@dataclass
class Stats:
    runs: int
    failed: int
    wall: float
    lo: float
    hi: float
    cpu: float
    rss: float
    rss_max: int
    whys: list[str] = field(default_factory=list)


def stats(samples: list[Sample]) -> Stats:
    ok = [s for s in samples if s.ok]
    walls = [s.wall_ms for s in ok]
    return Stats(
        runs=len(samples),
        failed=len(samples) - len(ok),
        wall=median(walls),
        lo=min(walls) if walls else float("nan"),
        hi=max(walls) if walls else float("nan"),
        cpu=median([s.cpu_ms for s in ok]),
        rss=median([float(s.rss_kib) for s in ok]),
        rss_max=max((s.rss_kib for s in ok), default=0),
        whys=sorted({s.why for s in samples if not s.ok}),
    )


def ok_cell(st: Stats) -> str:
    return f"{st.runs - st.failed}/{st.runs}" + (" **FAILED**" if st.failed else "")


# --- (b): an in-process DNS server and a listener that never speaks -------------------------


def dns_name(name: str) -> bytes:
    out = b""
    for label in name.strip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


class DnsServer:
    """Authoritative answers for a few names, over UDP and TCP on 127.0.0.1 (same port).

    `records` maps (name, qtype) to a list of RDATA; `zones` maps each apex to its SOA RDATA.
    A name inside a zone without records of the asked type gets NODATA, a name inside a zone
    with no records at all NXDOMAIN, both with the zone's SOA; a name outside every zone
    NXDOMAIN. Enough for hickory's MX, A and AAAA lookups.
    """

    TYPES = {"A": 1, "MX": 15, "SOA": 6, "AAAA": 28}

    def __init__(self, records: dict[tuple[str, str], list[bytes]], zones: dict[str, bytes]):
        self.records = {(n.lower().strip("."), self.TYPES[t]): v for (n, t), v in records.items()}
        self.zones = {z.lower().strip("."): soa for z, soa in zones.items()}
        self.names = {n for n, _ in self.records}
        self.queries = 0
        for _ in range(50):
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                tcp.bind(("127.0.0.1", port))
            except OSError:
                udp.close()
                tcp.close()
                continue
            tcp.listen(16)
            self.udp, self.tcp, self.port = udp, tcp, port
            break
        else:
            raise RuntimeError("no port free for both UDP and TCP on 127.0.0.1")
        threading.Thread(target=self._udp_loop, daemon=True).start()
        threading.Thread(target=self._tcp_loop, daemon=True).start()

    def answer(self, query: bytes) -> Optional[bytes]:
        if len(query) < 12:
            return None
        qid, flags, qdcount = struct.unpack("!HHH", query[:6])
        if flags & 0x8000 or qdcount != 1:
            return None
        labels, i = [], 12
        while i < len(query) and query[i] != 0:
            n = query[i]
            labels.append(query[i + 1 : i + 1 + n].decode(errors="replace"))
            i += 1 + n
        if i + 5 > len(query):
            return None
        qtype, qclass = struct.unpack("!HH", query[i + 1 : i + 5])
        question = query[12 : i + 5]
        name = ".".join(labels).lower()
        self.queries += 1
        zone = next((z for z in self.zones if name == z or name.endswith("." + z)), None)
        rdatas = self.records.get((name, qtype), [])
        if rdatas:
            rcode = 0
        elif zone is not None and (name in self.names or name == zone):
            rcode = 0  # NODATA
        else:
            rcode = 3  # NXDOMAIN
        hflags = 0x8000 | 0x0400 | (flags & 0x0100) | rcode
        answers = b"".join(
            b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, 60, len(r)) + r for r in rdatas
        )
        authority = b""
        if not rdatas and zone is not None:
            soa = self.zones[zone]
            authority = dns_name(zone) + struct.pack("!HHIH", 6, 1, 60, len(soa)) + soa
        head = struct.pack("!HHHHHH", qid, hflags, 1, len(rdatas), 1 if authority else 0, 0)
        return head + question + answers + authority

    def _udp_loop(self) -> None:
        while True:
            try:
                data, peer = self.udp.recvfrom(4096)
            except OSError:
                return
            reply = self.answer(data)
            if reply:
                self.udp.sendto(reply, peer)

    def _tcp_loop(self) -> None:
        while True:
            try:
                conn, _ = self.tcp.accept()
            except OSError:
                return
            threading.Thread(target=self._tcp_conn, args=(conn,), daemon=True).start()

    def _tcp_conn(self, conn: socket.socket) -> None:
        with conn:
            buf = b""
            while True:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                buf += chunk
                while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
                    n = struct.unpack("!H", buf[:2])[0]
                    reply = self.answer(buf[2 : 2 + n])
                    buf = buf[2 + n :]
                    if reply:
                        conn.sendall(struct.pack("!H", len(reply)) + reply)


def soa(zone: str) -> bytes:
    return dns_name("ns." + zone) + dns_name("hostmaster." + zone) + struct.pack("!IIIII", 1, 60, 60, 60, 60)


def mx_zone(addrs: list[str]) -> DnsServer:
    """bench.test: MX 10 mail.example.test, whose A records are `addrs` (no AAAA)."""
    mx = struct.pack("!H", 10) + dns_name(HOST)
    return DnsServer(
        {(DOMAIN, "MX"): [mx], (HOST, "A"): [socket.inet_aton(a) for a in addrs]},
        {DOMAIN: soa(DOMAIN), "example.test": soa("example.test")},
    )


class SilentListener:
    """Accepts TCP on addr:port and never sends a byte; reads and drops what it is sent."""

    def __init__(self, addr: str, port: int):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((addr, port))
        self.sock.listen(64)
        self.accepted = 0
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._drain, args=(conn,), daemon=True).start()

    @staticmethod
    def _drain(conn: socket.socket) -> None:
        with conn:
            try:
                while conn.recv(4096):
                    pass
            except OSError:
                pass


# --- the machine ---------------------------------------------------------------------------


def first_line(argv: list[str]) -> str:
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return "not available"
    text = (r.stdout or r.stderr).strip()
    return text.splitlines()[0] if text else "not available"


def machine(args: argparse.Namespace) -> list[tuple[str, str]]:
    cpu = "unknown"
    for line in read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = next((l.split()[1] for l in read("/proc/meminfo").splitlines() if l.startswith("MemTotal")), "0")
    with open(args.bin, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    rows = [
        ("binary", f"`{args.bin}`: {first_line([args.bin, '--version'])}, {os.path.getsize(args.bin):,} bytes, sha256 {digest}…"),
        ("CPU", f"{os.cpu_count()} × {cpu}"),
        ("RAM", f"{int(mem) / 1024 / 1024:.1f} GiB"),
        ("kernel", os.uname().release),
        ("Debian", read("/etc/debian_version").strip() or "not Debian"),
        ("rustc", first_line(["rustc", "--version"])),
        ("Postfix", first_line(["postconf", "-h", "mail_version"])),
        ("OpenSSL", first_line(["openssl", "version"])),
        ("Python (runner)", sys.version.split()[0]),
        ("load average at start", " ".join(read("/proc/loadavg").split()[:3])),
    ]
    return rows


# --- (a) one endpoint ----------------------------------------------------------------------


def ours(args: argparse.Namespace, fmt: str) -> Tool:
    argv = [args.bin, "--resolve", f"{HOST}:127.0.0.1", f"[{HOST}]:2525", "--ca-file", args.ca, "--format", fmt]
    if fmt == "json":
        check = exit_in({0}, json_verdict("pass"))
    else:
        check = exit_in({0}, contains(f"PASS [{HOST}]:2525"))
    return Tool(f"starttls-check ({fmt})", argv, check)


def single_endpoint_tools(args: argparse.Namespace) -> list[Tool]:
    tools = [ours(args, "human"), ours(args, "json")]
    tools.append(
        Tool(
            "openssl s_client",
            ["openssl", "s_client", "-starttls", "smtp", "-connect", "127.0.0.1:2525", "-servername", HOST,
             "-verify_return_error", "-CAfile", args.ca, "-verify_hostname", HOST],
            exit_in({0}, contains("Verify return code: 0 (ok)")),
        )
    )
    if shutil.which("posttls-finger"):
        # -l secure: the chain must verify against -F's CA and the name must match the
        # argument after the destination; it exits 0 also when it does not ("Untrusted TLS
        # connection established"), so the check reads its verdict line.
        tools.append(
            Tool(
                "posttls-finger",
                ["posttls-finger", "-c", "-l", "secure", "-F", args.ca, "-s", HOST, "[127.0.0.1]:2525", HOST],
                exit_in({0}, contains("Verified TLS connection established", "both")),
            )
        )
    else:
        say("posttls-finger not found: left out of (a)")
    return tools


def alternate(sp: Spawner, tools: list[Tool], batches: int, runs: int, what: str) -> dict[str, list[list[Sample]]]:
    """Runs A B C ... A B C ..., `runs` rounds per batch, after one untimed warm-up round."""
    for t in tools:
        s = measure(sp, t)
        if not s.ok:
            say(f"warm-up of {t.name} failed: {s.why}")
    res: dict[str, list[list[Sample]]] = {t.name: [] for t in tools}
    for b in range(batches):
        for t in tools:
            res[t.name].append([])
        for _ in range(runs):
            for t in tools:
                res[t.name][b].append(measure(sp, t))
        line = ", ".join(f"{t.name} {ms(stats(res[t.name][b]).wall)}" for t in tools)
        say(f"{what}: batch {b + 1}/{batches}: {line}")
    return res


def peer_tools(args: argparse.Namespace) -> list[Tool]:
    peers = []
    if args.sslyze:
        # Exit 1 is sslyze's "not compliant with Mozilla's intermediate configuration" after a
        # completed scan (Postfix's defaults still offer TLS 1.0); only a scan that did not
        # complete is a failed run. --certinfo_ca_file: our test root, so the chain can verify.
        peers.append(
            Tool(
                "sslyze",
                [args.sslyze, "--starttls", "smtp", "--sni", HOST, "--certinfo_ca_file", args.ca, "127.0.0.1:2525"],
                exit_in({0, 1}, contains("SCANS COMPLETED")),
                timeout_s=600,
            )
        )
    if args.testssl:
        # --nodns none: no lookup at all (an IP target, no rDNS, no MX, no CAA); no
        # --phone-out, so no OCSP/CRL fetches. --add-ca: our test root, so the chain can verify.
        peers.append(
            Tool(
                "testssl.sh",
                [args.testssl, "--quiet", "--color", "0", "--warnings", "off", "--nodns", "none",
                 "--add-ca", args.ca, "--starttls", "smtp", "127.0.0.1:2525"],
                # Its exit code counts what it found (7 here); >= 200 is its own error.
                exit_in(set(range(0, 200)), contains(" Done ")),
                timeout_s=1200,
            )
        )
    return peers


# --- the run -------------------------------------------------------------------------------


class Report:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.failed: list[str] = []  # mandatory tools whose runs failed
        self.targets: list[list[str]] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        print(text + "\n", flush=True)

    def target(self, name: str, figure: str, limit: str, met: Optional[bool]) -> None:
        if "nan" in figure:  # no successful run to judge: say so rather than print NaN
            figure, met = "no successful run", None
        verdict = "n/a" if met is None else ("PASS" if met else "MISS")
        self.targets.append([name, figure, limit, verdict])


def scenario_a(args: argparse.Namespace, sp: Spawner, rep: Report) -> None:
    tools = single_endpoint_tools(args)
    res = alternate(sp, tools, args.batches, args.runs, "(a)")
    rows = []
    for b in range(args.batches):
        for t in tools:
            st = stats(res[t.name][b])
            rows.append([str(b + 1), t.name, ms(st.wall), f"{ms(st.lo)} – {ms(st.hi)}", ms(st.cpu), mb(st.rss), ok_cell(st)])
            if st.failed:
                rep.failed.append(f"(a) {t.name}: {st.failed} of {st.runs} runs failed: {'; '.join(st.whys)}")
    pooled = []
    for t in tools:
        flat = [s for batch in res[t.name] for s in batch]
        st = stats(flat)
        # A delayed-ACK stall costs about 40 ms: count the runs that far from the tool's best.
        slow = sum(1 for s in flat if s.ok and s.wall_ms >= st.lo + 30)
        pooled.append([t.name, ms(st.wall), f"{ms(st.lo)} – {ms(st.hi)}", f"{slow}/{st.runs - st.failed}",
                       ms(st.cpu), mb(st.rss), mb(st.rss_max), ok_cell(st)])
    order = " ".join(chr(65 + i) for i in range(len(tools)))
    rep.add(
        f"### (a) One endpoint: Postfix on 127.0.0.1:2525 (TLS 1.3, two-certificate chain)\n\n"
        f"{plural(args.batches, 'batch')} × {args.runs} rounds; each round runs the tools in the order "
        f"{order} ({', '.join(t.name for t in tools)}), after one untimed warm-up round. "
        "Wall time is the whole process (fork to wait4), CPU is user + system.\n\n"
        + table(["batch", "tool", "median wall", "min – max", "median CPU", "median peak RSS", "runs ok"], rows)
        + "\n\nAll batches pooled (\"≥ best + 30 ms\": runs at least 30 ms slower than the tool's own "
        "fastest run, the signature of a 40 ms delayed-ACK stall):\n\n"
        + table(["tool", "median wall", "min – max", "≥ best + 30 ms", "median CPU", "median peak RSS", "max peak RSS", "runs ok"], pooled)
        + "\n\nCommands:\n\n```\n" + "\n".join(shell(t.argv) + " </dev/null" for t in tools) + "\n```"
    )
    # Target (a): in every batch, neither of our formats has a median above either peer's.
    peers = [t.name for t in tools if not t.name.startswith("starttls-check")]
    mine = [t.name for t in tools if t.name.startswith("starttls-check")]
    if {"openssl s_client", "posttls-finger"} <= set(peers):
        worst = []
        met = True
        for b in range(args.batches):
            best_peer = min(stats(res[p][b]).wall for p in peers)
            slowest = max(stats(res[m][b]).wall for m in mine)
            worst.append(f"{slowest - best_peer:+.1f}")
            met = met and slowest <= best_peer
        rep.target(
            "(a) one endpoint: no batch median of ours above posttls-finger's or openssl's",
            f"ours − fastest peer per batch: {' / '.join(worst)} ms",
            "≤ 0 ms in every batch",
            met,
        )
    else:
        rep.target("(a) one endpoint vs posttls-finger and openssl", "posttls-finger missing", "", None)
    rss = max(stats([s for batch in res[m] for s in batch]).rss_max for m in mine)
    rep.target("peak RSS, one endpoint (max over all our runs)", mb(rss) if rss else "nan",
               f"≤ 20 MB ({RSS_TARGET_KIB} KiB)", 0 < rss <= RSS_TARGET_KIB)
    if args.smoke:
        return
    peers_t = peer_tools(args)
    rows = []
    for t in peers_t:
        say(f"(a) peer {t.name}: one run (may take minutes)")
        s = measure(sp, t)
        rows.append([t.name, ms(s.wall_ms) if s.wall_ms < 10_000 else f"{s.wall_ms / 1000:.1f} s", ms(s.cpu_ms) if s.cpu_ms < 10_000 else f"{s.cpu_ms / 1000:.1f} s", mb(s.rss_kib), s.status + ("" if s.ok else f" **FAILED**: {s.why}")])
    for name, why in args.missing:
        rows.append([name, "–", "–", "–", f"not run: {why}"])
    if not rows:
        return
    rep.add(
        "### (a) Peers run once each, same endpoint\n\n"
        "Their peak RSS is that of the largest single process (testssl.sh is a bash script that "
        "runs openssl many times; CPU includes every child it waited for).\n\n"
        + table(["tool", "wall", "CPU", "peak RSS", "status"], rows)
        + ("\n\nCommands:\n\n```\n" + "\n".join(shell(t.argv) + " </dev/null" for t in peers_t) + "\n```" if peers_t else "")
    )


def scenario_b(args: argparse.Namespace, sp: Spawner, rep: Report) -> None:
    timeout = 0.5 if args.smoke else 2.0
    try:
        silent = SilentListener(SILENT_ADDR, BENCH_PORT)
    except OSError as e:
        raise RuntimeError(f"cannot listen on {SILENT_ADDR}:{BENCH_PORT} for the silent endpoint: {e}") from e
    bench = args.bench_addrs
    dead = mx_zone(bench + [SILENT_ADDR])
    healthy = mx_zone(["127.0.0.1"] + bench)

    def tool(label: str, dns: DnsServer, extra: list[str], check: Check) -> Tool:
        argv = [args.bin, DOMAIN, "-p", str(BENCH_PORT), "--timeout", f"{timeout:g}", "--resolver", f"127.0.0.1:{dns.port}",
                "--ca-file", args.ca, "--format", "json", *extra]
        return Tool(label, argv, check, timeout_s=60)

    # The silent endpoint makes the run warn or say unknown; the exact verdict is not this
    # harness's business, only that the tool reported all four endpoints and did not crash.
    t_dead = tool("4 endpoints, 1 silent", dead, [], exit_in({0, 1, 2, 3}, json_verdict("", 4)))
    t_healthy = tool("4 endpoints, all healthy", healthy, [], exit_in({0}, json_verdict("pass", 4)))
    t_serial = tool("4 endpoints, 1 silent, --concurrency 1", dead, ["--concurrency", "1"], exit_in({0, 1, 2, 3}, json_verdict("", 4)))
    rounds = 1 if args.smoke else args.domain_runs
    res = alternate(sp, [t_healthy, t_dead], 1, rounds, "(b)")
    res[t_serial.name] = [[measure(sp, t_serial) for _ in range(0 if args.smoke else 3)]]
    rows = []
    for t in (t_healthy, t_dead, t_serial):
        samples = res[t.name][0]
        if not samples:
            continue
        st = stats(samples)
        ratio = st.wall / (timeout * 1000)
        runs = " ".join(f"{s.wall_ms:.0f}" for s in samples)
        rows.append([t.name, ms(st.wall), f"{ratio:.2f}", runs, ms(st.cpu), mb(st.rss), ok_cell(st)])
        if st.failed:
            rep.failed.append(f"(b) {t.name}: {st.failed} of {st.runs} runs failed: {'; '.join(st.whys)}")
    rep.add(
        f"### (b) A domain of 4 endpoints, `--timeout {timeout:g}`\n\n"
        f"`{DOMAIN}`: MX 10 {HOST}, whose A records are Postfix bench listeners on "
        f"{', '.join(bench)}:{BENCH_PORT} and a listener on {SILENT_ADDR}:{BENCH_PORT} that accepts "
        f"and never speaks (all healthy: 127.0.0.1 instead). DNS from this process "
        f"(`--resolver 127.0.0.1:PORT`, UDP and TCP; {dead.queries + healthy.queries} queries answered). "
        f"The silent listener accepted {silent.accepted} connections. The first two set-ups alternate.\n\n"
        + table(["set-up", "median wall", "÷ timeout", "runs (ms)", "median CPU", "median peak RSS", "runs ok"], rows)
        + "\n\nCommand (PORT: the DNS server's; `--concurrency 1` added for the last set-up):\n\n```\n"
        + re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", shell(t_dead.argv)) + " </dev/null\n```"
    )
    st = stats(res[t_dead.name][0])
    rep.target(
        f"(b) domain with a silent endpoint, `--timeout {timeout:g}`",
        f"{ms(st.wall)} = {st.wall / (timeout * 1000):.2f} × timeout",
        f"≤ {DOMAIN_TARGET_RATIO} × timeout",
        st.wall <= DOMAIN_TARGET_RATIO * timeout * 1000 if not st.failed else False,
    )


def scenario_c(args: argparse.Namespace, sp: Spawner, rep: Report) -> None:
    true = shutil.which("true") if not os.path.exists("/bin/true") else "/bin/true"
    tools = [
        Tool("starttls-check --version", [args.bin, "--version"], exit_in({0}, contains("starttls-check "))),
        Tool("/bin/true", [true or "/bin/true"], exit_in({0})),
    ]
    batches, runs = (1, 5) if args.smoke else (args.batches, args.startup_runs)
    res = alternate(sp, tools, batches, runs, "(c)")
    rows, diffs = [], []
    for b in range(batches):
        a, t = stats(res[tools[0].name][b]), stats(res[tools[1].name][b])
        diffs.append(a.wall - t.wall)
        for name, st in ((tools[0].name, a), (tools[1].name, t)):
            rows.append([str(b + 1), name, ms(st.wall), f"{ms(st.lo)} – {ms(st.hi)}", ms(st.cpu), mb(st.rss), ok_cell(st)])
            if st.failed:
                rep.failed.append(f"(c) {name}: {st.failed} of {st.runs} runs failed: {'; '.join(st.whys)}")
    rep.add(
        f"### (c) Start-up: `--version` against `/bin/true`\n\n{plural(batches, 'batch')} × {runs} alternating rounds. "
        f"Difference of the medians per batch: {' / '.join(f'{d:+.2f} ms' for d in diffs)}.\n\n"
        + table(["batch", "command", "median wall", "min – max", "median CPU", "median peak RSS", "runs ok"], rows)
    )
    rep.target(
        "(c) `--version` above `/bin/true` (difference of medians, every batch)",
        " / ".join(f"{d:+.2f} ms" for d in diffs),
        f"≤ {STARTUP_TARGET_MS:g} ms",
        all(d <= STARTUP_TARGET_MS for d in diffs),
    )


# --- profile: strace -f -ttt of one run, cut into phases ------------------------------------

STRACE_LINE = re.compile(r"^(?:\[pid\s+)?(\d+)\]?\s+(\d+\.\d+)\s+(.*)$")


@dataclass
class Call:
    pid: int
    t0: float  # when the call started
    t1: float  # when it returned
    name: str
    text: str  # arguments and result


def parse_strace(path: str) -> list[Call]:
    calls, pending = [], {}
    for line in read(path, 64 << 20).splitlines():
        m = STRACE_LINE.match(line)
        if not m:
            continue
        pid, t, rest = int(m.group(1)), float(m.group(2)), m.group(3)
        dur = re.search(r"<(\d+\.\d+)>$", rest)
        if rest.startswith("<... "):
            r = re.match(r"<\.\.\. (\w+) resumed>(.*)$", rest)
            if r and pid in pending:
                t0, name, head = pending.pop(pid)
                calls.append(Call(pid, t0, t, name, head + r.group(2)))
            continue
        name_m = re.match(r"(\w+)\(", rest)
        if not name_m:
            if rest.startswith("+++ exited"):
                calls.append(Call(pid, t, t, "exited", rest))
            continue
        if rest.endswith("<unfinished ...>"):
            pending[pid] = (t, name_m.group(1), rest[: -len("<unfinished ...>")])
            continue
        calls.append(Call(pid, t, t + (float(dur.group(1)) if dur else 0.0), name_m.group(1), rest))
    calls.sort(key=lambda c: c.t0)
    return calls


def ret(c: Call) -> int:
    m = re.search(r"= (-?\d+)", c.text)
    return int(m.group(1)) if m else -1


ESCAPES = {"n": 10, "r": 13, "t": 9, "v": 11, "f": 12, "\\": 92, '"': 34}


def unescape(text: str) -> bytes:
    """A string as strace prints it, back to bytes."""
    out, i = bytearray(), 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            octal = re.match(r"[0-7]{1,3}", text[i + 1 :])
            if octal:
                out.append(int(octal.group(0), 8) & 0xFF)
                i += 1 + len(octal.group(0))
            else:
                out.append(ESCAPES.get(text[i + 1], ord(text[i + 1])))
                i += 2
        else:
            out.append(ord(text[i]) & 0xFF)
            i += 1
    return bytes(out)


def iovecs(c: Call) -> list[bytes]:
    """The buffers of a writev as far as strace printed them (rustls writes one TLS record
    per buffer, through the probe's vectored writes)."""
    return [unescape(m.group(1)) for m in re.finditer(r'iov_base="((?:\\.|[^"\\])*)"', c.text)]


def sent_bytes(c: Call) -> bytes:
    """The data of a send or read as far as strace printed it (-s), unescaped; the first
    buffer of a writev."""
    if c.name == "writev":
        bufs = iovecs(c)
        return bufs[0] if bufs else b""
    m = re.search(r'^\w+\(\d+, "((?:\\.|[^"\\])*)"', c.text)
    return unescape(m.group(1)) if m else b""


def tls_record_types(c: Call) -> list[int]:
    """The TLS record types a send carries; -1 stands for records past strace's -s limit."""
    if c.name == "writev":
        return [b[0] for b in iovecs(c) if b]
    data, total, types, i = sent_bytes(c), ret(c), [], 0
    while i + 5 <= len(data):
        types.append(data[i])
        i += 5 + struct.unpack("!H", data[i + 3 : i + 5])[0]
    if i < total:
        types.append(-1)  # more records than strace showed
    return types


Phase = tuple[str, float, str]  # (name, milliseconds, note)


def profile_phases(calls: list[Call], port: int) -> list[Phase]:
    """One run's strace, cut into phases: (name, ms, note), names stable from run to run."""
    if not calls:
        raise RuntimeError("empty strace log")
    nan = float("nan")
    start = next(c.t0 for c in calls if c.name == "execve")
    end = max((c.t0 for c in calls if c.name in ("exit_group", "exited")), default=calls[-1].t1)
    rel = lambda t: (t - start) * 1000  # noqa: E731
    clone = next((c.t0 for c in calls if c.name in ("clone3", "clone")), None)
    roots = [c for c in calls if c.name == "openat" and ("/etc/ssl/certs" in c.text or "ca-certificates" in c.text)]
    dns = [c for c in calls if c.name in ("connect", "sendto", "sendmsg", "sendmmsg") and "htons(53)" in c.text]
    conn = next((c for c in calls if c.name == "connect" and f"htons({port})" in c.text), None)
    if conn is None:
        raise RuntimeError(f"no connect() to port {port} in the strace log")
    fd = re.match(r"connect\((\d+),", conn.text).group(1)  # type: ignore[union-attr]
    io = [c for c in calls if c.t0 >= conn.t0 and c.name in ("sendto", "recvfrom", "write", "read", "writev", "readv")
          and c.text.startswith(f"{c.name}({fd},") and ret(c) > 0]
    close = next((c.t0 for c in calls if c.t0 > conn.t0 and c.name in ("close", "shutdown") and c.text.startswith(f"{c.name}({fd}")), None)
    out = next((c for c in calls if c.name in ("write", "writev") and c.text.startswith(("write(1,", "writev(1,"))), None)

    # Flights: consecutive sends, then the reads until the next send.
    flights: list[tuple[list[Call], list[Call]]] = []
    for c in io:
        sending = c.name in ("sendto", "write", "writev")
        if sending and (not flights or flights[-1][1]):
            flights.append(([c], []))
        elif sending:
            flights[-1][0].append(c)
        elif flights:
            flights[-1][1].append(c)
    banner = next((c for c in io if c.name in ("recvfrom", "read")), None)

    ph: list[Phase] = []
    ph.append(("execve → runtime threads start (first clone3)", rel(clone) if clone else nan, ""))
    if roots:
        ph.append(("root store: first file opened (ms after execve)", rel(roots[0].t0), plural(len(roots), "file")))
        ph.append(("root store: first → last file opened", (roots[-1].t1 - roots[0].t0) * 1000, ""))
        ph.append(("root store: last file opened (ms after execve)", rel(roots[-1].t1), ""))
    else:
        ph.append(("root store: first file opened (ms after execve)", nan, "none opened"))
    ph.append(("DNS: queries to port 53", float(len(dns)), "count"))
    ph.append(("first connect() (ms after execve)", rel(conn.t0), ""))
    if roots:
        critical = roots[-1].t1 <= conn.t0
        # Since issue 12 the roots are read on a thread of their own and the chain is judged
        # after the conversation, so a root store still loading here delays nothing.
        ph.append(("last root-store file opened → first connect() (< 0: still reading, beside the probe)",
                   (conn.t0 - roots[-1].t1) * 1000, "" if critical else "still loading"))
    if banner:
        ph.append(("connect() → banner read", (banner.t1 - conn.t0) * 1000, ""))
    after_tls = ["EHLO over TLS", "QUIT over TLS", "close_notify (TLS alert)"]
    state = "plain"
    hello_at = None
    for sends, recvs in flights:
        data = sent_bytes(sends[0])
        plain = re.match(rb"([A-Z]{4,8})", data)
        reads = "+".join(str(ret(r)) for r in recvs) + " B" if recvs else "nothing read"
        first = (recvs[0].t1 - sends[0].t0) * 1000 if recvs else nan
        last = (recvs[-1].t1 - sends[0].t0) * 1000 if recvs else nan
        if state == "plain" and plain:
            ph.append((f"{plain.group(1).decode()} → reply", last, reads))
        elif state == "plain" and data[:1] == b"\x16":
            hello_at = sends[0].t0
            ph.append(("TLS ClientHello → server's flight read (ServerHello … Finished)", last, reads))
            state = "handshake"
        elif state == "handshake":
            # CCS (0x14, TLS 1.3 middlebox compatibility), then the encrypted Finished (0x17);
            # a further application-data record in the same flight is the EHLO.
            types = [t for x in sends for t in tls_record_types(x)]
            with_ehlo = sum(1 for t in types if t in (0x17, -1)) >= 2
            label = "TLS client Finished" + (" + EHLO" if with_ehlo else "")
            if with_ehlo:
                after_tls.pop(0)
            if hello_at is not None:
                ph.append(("TLS handshake: ClientHello → client Finished sent", (sends[0].t1 - hello_at) * 1000, ""))
            ph.append((f"{label} → first read (session ticket)", first, reads))
            ph.append((f"{label} → last read (EHLO reply)" if with_ehlo else f"{label} → last read", last, ""))
            state = "tls"
        else:
            ph.append(((after_tls.pop(0) if after_tls else "encrypted data") + " → reply", last, reads))
    last_io = max((c.t1 for c in io), default=conn.t0)
    if close:
        last_io = max(last_io, close)
    if out:
        ph.append(("last socket call → first write to stdout (chain check, diagnosis, rendering)", (out.t0 - last_io) * 1000, ""))
        ph.append(("first write to stdout → exit_group", (end - out.t0) * 1000, ""))
    ph.append(("total, execve → exit_group (under strace)", rel(end), ""))
    return ph


def profile(args: argparse.Namespace, sp: Spawner, rep: Report) -> None:
    strace = shutil.which("strace")
    if not strace:
        raise RuntimeError("strace not found (Debian package strace); bench/compare.sh --profile installs it")
    tool = ours(args, "json")
    runs: list[list[Phase]] = []
    for i in range(args.profile):
        log = os.path.join(sp.workdir, f"strace-{i + 1}.log")
        t = Tool("strace", [strace, "-f", "-ttt", "-T", "-s", "64", "-o", log, *tool.argv], tool.check, tag=f"strace-{i + 1}")
        s = measure(sp, t)
        if not s.ok:
            rep.failed.append(f"profile run {i + 1}: {s.why}")
            continue
        runs.append(profile_phases(parse_strace(log), 2525))
    plain = [measure(sp, tool) for _ in range(max(5, args.profile))]
    st = stats(plain)
    if not runs:
        return
    names: list[str] = []
    for r in runs:
        names += [n for n, _, _ in r if n not in names]

    def cell(r: list[Phase], name: str) -> str:
        hit = next(((v, note) for n, v, note in r if n == name), None)
        if hit is None:
            return "·"
        v, note = hit
        text = "–" if v != v else (f"{v:.0f}" if note == "count" else f"{v:.2f}")
        return text + (f" ({note})" if note and note != "count" else "")

    rows = [[n, *[cell(r, n) for r in runs]] for n in names]
    rep.add(
        "### Profile: where the milliseconds go (one endpoint, `--format json`)\n\n"
        f"`strace -f -ttt -T` of {len(runs)} single runs of the command of (a) (ms; one column per run; "
        "· = the phase did not occur in that run, e.g. the EHLO reply read together with the session "
        "ticket). strace stops the process at every system call, so phases made of many calls (the root "
        "store: an open, reads and a close per file) are inflated several-fold and the total is larger "
        f"than untraced: the same command untraced, {st.runs} runs: median {ms(st.wall)} "
        f"({ms(st.lo)} – {ms(st.hi)}). Waits for the server are not inflated. Logs: "
        f"`{sp.workdir}/strace-N.log`.\n\n"
        + table(["phase", *[f"run {i + 1}" for i in range(len(runs))]], rows)
    )


# --- main ----------------------------------------------------------------------------------


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bin", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--spawn", required=True, help="the compiled bench/spawn.c")
    p.add_argument("--bench-addrs", default="127.0.0.2 127.0.0.3 127.0.0.4")
    p.add_argument("--batches", type=int, default=5)
    p.add_argument("--runs", type=int, default=21)
    p.add_argument("--startup-runs", type=int, default=51)
    p.add_argument("--domain-runs", type=int, default=5)
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--profile", type=int, default=0, help="only the strace profile, of N runs")
    p.add_argument("--sslyze", default="")
    p.add_argument("--testssl", default="")
    p.add_argument("--missing", action="append", default=[], help="NAME=why, a peer that is not installed")
    p.add_argument("--label", default="")
    p.add_argument("--command", default="", help="the command line that started the harness, for the report")
    p.add_argument("--out", default="")
    p.add_argument("--workdir", required=True)
    args = p.parse_args()
    args.bench_addrs = args.bench_addrs.split()
    args.missing = [tuple(m.split("=", 1)) for m in args.missing]
    if args.smoke:
        args.batches, args.runs = 1, 3

    rep = Report()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    kind = "profile" if args.profile else ("smoke run (figures are not a benchmark)" if args.smoke else "full run")
    rep.add(f"## {args.label or 'Harness run'}: {now}, {kind}")
    rep.add("Machine and versions:\n\n" + table(["what", "value"], [[a, b] for a, b in machine(args)]))
    if args.command:
        rep.add(f"Command: `{args.command}`")
    sp = Spawner(args.spawn, args.workdir)
    status = 0
    try:
        if args.profile:
            profile(args, sp, rep)
        else:
            scenario_a(args, sp, rep)
            scenario_b(args, sp, rep)
            scenario_c(args, sp, rep)
            rep.add(
                "### Targets of issue 12\n\n"
                + ("Smoke run: too few runs to judge; shown so the code stays exercised.\n\n" if args.smoke else "")
                + table(["target", "measured", "limit", "met"], rep.targets)
            )
        rep.add(f"Load average at the end: {' '.join(read('/proc/loadavg').split()[:3])}.")
    except (RuntimeError, OSError) as e:
        say(f"error: {e}")
        status = 2
    except Exception:  # a bug of the harness: exit 2 (not 1, a failed tool run), report kept
        import traceback

        traceback.print_exc()
        status = 2
    finally:
        sp.close()
    if rep.failed:
        rep.add("### Failed runs\n\n" + "\n".join(f"- {f}" for f in rep.failed))
        status = status or 1
    if args.out:
        with open(args.out, "w") as f:
            f.write("\n\n".join(rep.parts) + "\n")
        say(f"wrote {args.out}")
    return status


if __name__ == "__main__":
    sys.exit(main())
