#!/usr/bin/env python3
"""The measuring half of bench/throughput.sh (issue 13): a survey of N domains, timed against
the practical ceiling, printed as Markdown.

Python 3 standard library only; bench/throughput.sh prepares the machine (a network namespace
with only `lo`, the Postfix tier with its throughput listeners, the binaries, bench/spawn.c)
and then calls this script. Every timed process runs through bench/spawn.c (bench/runner.py's
Spawner): wall time fork to wait4, user + system CPU and peak RSS from wait4's rusage.

What it does:
  1. starts `throughput dns` (examples/throughput.rs): domains d0001.bench.test … whose MX
     hosts mxNNNN.bench.example.test point at the throughput listeners in turn; it writes the
     targets file;
  2. runs `rounds` rounds; each round runs, one after the other, the ceiling
     (`throughput ceiling`, STARTTLS), starttls-check at the default concurrency
       starttls-check --targets-file T --resolver 127.0.0.1:PORT --ca-file CA -p 2525
                      --format jsonl --concurrency 16
     the same without DNS (the MX hosts bracketed, `--resolve` for each), the implicit-TLS
     context (`throughput ceiling --implicit`), then starttls-check at the other
     concurrencies, so a disturbance of the shared machine hits the rows of a round alike,
     and the judged one most like the ceiling;
  3. checks every run: exit code 0; for ours, exactly one JSON line per target, every target
     once, each with verdict "pass" and one endpoint;
  4. prints medians per configuration and the issue's targets as PASS/MISS (never an error).

Exit status: 0 when every run succeeded, 1 when one failed, 2 when the harness broke.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runner  # noqa: E402  (bench/runner.py: Spawner, machine(), table())

PORT = 2525
IMPLICIT_PORT = 2465
RATIO_TARGET = 0.80  # ≥ 80 % of the ceiling's checks per second
CPU_TARGET_MS = 1.5  # client CPU per check
RSS_TARGET_KIB = 100_000_000 // 1024  # 100 MB (decimal), in KiB as ru_maxrss counts
DEFAULT_CONCURRENCY = 16  # the tool's default (src/settings.rs): the one the targets judge


def say(msg: str) -> None:
    print(f"throughput: {msg}", file=sys.stderr, flush=True)


@dataclass
class Run:
    wall_ms: float
    cpu_ms: float
    rss_kib: int
    ok: bool
    why: str = ""
    rate: float = float("nan")  # checks (or sessions) per second
    extra: dict = field(default_factory=dict)


def proc_cpu_s(pid: int) -> float:
    """utime + stime of a running process, in seconds (ticks of 10 ms)."""
    stat = runner.read(f"/proc/{pid}/stat")
    rest = stat[stat.rfind(")") + 2 :].split()
    return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK") if len(rest) > 12 else float("nan")


class Dns:
    """`throughput dns`, running for the whole benchmark."""

    def __init__(self, example: str, domains: int, listeners: list[str], workdir: str):
        self.targets = os.path.join(workdir, "targets.txt")
        port_file = os.path.join(workdir, "dns.addr")
        hosts_file = os.path.join(workdir, "hosts.txt")
        self.log = os.path.join(workdir, "dns.log")
        argv = [example, "dns", "--domains", str(domains), "--listeners", ",".join(listeners),
                "--targets-file", self.targets, "--hosts-file", hosts_file, "--port-file", port_file]
        self.command = runner.shell(argv)
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(self.log, "w"))
        for _ in range(200):
            if os.path.exists(port_file) and runner.read(port_file).strip():
                break
            if self.proc.poll() is not None:
                raise RuntimeError(f"throughput dns exited {self.proc.returncode}: {runner.tail(runner.read(self.log))}")
            time.sleep(0.05)
        else:
            raise RuntimeError("throughput dns did not start within 10 s")
        self.addr = runner.read(port_file).strip()
        with open(self.targets) as f:
            self.names = [l.strip() for l in f if l.strip() and not l.startswith("#")]
        # The same checks without DNS: each MX host as a bracketed target (no MX lookup),
        # its address through --resolve.
        with open(hosts_file) as f:
            self.hosts = [l.split() for l in f if l.strip()]
        self.host_targets = os.path.join(workdir, "host-targets.txt")
        with open(self.host_targets, "w") as f:
            f.write("".join(f"[{h}]\n" for h, _ in self.hosts))
        self.host_names = [f"[{h}]" for h, _ in self.hosts]

    def cpu_s(self) -> float:
        return proc_cpu_s(self.proc.pid)

    def stop(self) -> str:
        """Stops the server; its last line (how many queries it answered)."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        return runner.tail(runner.read(self.log))


def jsonl_check(names: list[str]):
    """A run of ours counts when it exits 0 and stdout has one passing report per target."""
    want = set(names)

    def check(code: int, out: str, err: str) -> Optional[str]:
        if code != 0:
            return f"exit {code}: {runner.tail(err or out)}"
        seen: dict[str, int] = {}
        bad = []
        lines = [l for l in out.splitlines() if l.strip()]
        for n, line in enumerate(lines, 1):
            try:
                doc = json.loads(line)
            except ValueError as e:
                return f"line {n} is not JSON ({e})"
            t = doc.get("target")
            seen[t] = seen.get(t, 0) + 1
            if doc.get("verdict") != "pass" or len(doc.get("endpoints", [])) != 1:
                bad.append(f"{t}: verdict {doc.get('verdict')!r}, {len(doc.get('endpoints', []))} endpoints: {doc.get('headline')}")
        if len(lines) != len(names):
            return f"{len(lines)} JSON lines for {len(names)} targets"
        missing = sorted(want - set(seen))
        twice = sorted(t for t, k in seen.items() if k > 1)
        if missing or twice:
            return f"targets missing: {missing[:3]}…, reported twice: {twice[:3]}…"
        if bad:
            return f"{len(bad)} reports not a single passing endpoint, first: {bad[0]}"
        return None

    return check


def ceiling_check(code: int, out: str, err: str) -> Optional[str]:
    if code != 0:
        return f"exit {code}: {runner.tail(err or out)}"
    try:
        json.loads(out)
    except ValueError as e:
        return f"stdout is not JSON ({e}): {runner.tail(err)}"
    return None


def timed(sp: runner.Spawner, argv: list[str], tag: str, check, timeout_s: int) -> tuple[Run, str, str]:
    raw, wall, cpu, rss, out, err = sp.run(argv, tag, timeout_s)
    code = os.waitstatus_to_exitcode(raw)
    # All of it: 1000 reports are about 7 MB of JSON Lines, 10000 about 70 MB.
    stdout, stderr = runner.read(out, os.path.getsize(out) + 1), runner.read(err)
    why = f"killed by signal {-code}" if code < 0 else check(code, stdout, stderr)
    if why:
        keep = os.path.join(sp.workdir, f"failed-{tag}")
        if not os.path.exists(keep + ".out"):
            os.replace(out, keep + ".out")
            os.replace(err, keep + ".err")
        why = f"{why} (output: {keep}.out/.err)"
    else:
        # A passing survey's output is checked and of no further use: 7 MB a run (50 MB
        # without DNS), a full run makes 50 of them.
        os.remove(out)
        os.remove(err)
    return Run(wall, cpu, rss, why is None, why or ""), stdout, stderr


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def rate_cell(x: float) -> str:
    return "–" if x != x else f"{x:.0f}/s"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bin", required=True)
    p.add_argument("--example", required=True, help="examples/throughput.rs, built")
    p.add_argument("--ca", required=True)
    p.add_argument("--spawn", required=True)
    p.add_argument("--workdir", required=True)
    p.add_argument("--listeners", required=True, help="the throughput listeners' addresses, space-separated")
    p.add_argument("--targets", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--concurrency", default="4 8 16 32")
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--label", default="")
    p.add_argument("--command", default="")
    p.add_argument("--out", default="")
    args = p.parse_args()
    listeners = args.listeners.split()
    concurrencies = [int(c) for c in args.concurrency.split()]
    if DEFAULT_CONCURRENCY not in concurrencies and not args.smoke:
        concurrencies.append(DEFAULT_CONCURRENCY)
    warmup = "1" if args.smoke else "2"

    rep = runner.Report()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    kind = "smoke run (figures are not a benchmark)" if args.smoke else "full run"
    rep.add(f"## {args.label or 'Throughput run'}: {now}, {kind}")
    rep.add("Machine and versions:\n\n" + runner.table(["what", "value"], [[a, b] for a, b in runner.machine(args)]))
    if args.command:
        rep.add(f"Command: `{args.command}`")

    sp = runner.Spawner(args.spawn, args.workdir)
    dns: Optional[Dns] = None
    status = 0
    try:
        dns = Dns(args.example, args.targets, listeners, args.workdir)
        say(f"DNS on {dns.addr}: {len(dns.names)} targets in {dns.targets}")
        ceiling_argv = [args.example, "ceiling", "--listeners", ",".join(listeners), "--port", str(PORT),
                        "--n", str(args.targets), "--ca", args.ca, "--warmup", warmup]
        implicit_argv = [args.example, "ceiling", "--implicit", "--listeners", ",".join(listeners),
                         "--port", str(IMPLICIT_PORT), "--n", str(args.targets), "--ca", args.ca, "--warmup", warmup]
        warm_sessions = len(listeners) * int(warmup)

        def ours_argv(c: int) -> list[str]:
            return [args.bin, "--targets-file", dns.targets, "--resolver", dns.addr, "--ca-file", args.ca,
                    "-p", str(PORT), "--format", "jsonl", "--concurrency", str(c)]

        # The default concurrency once more without DNS (the MX hosts bracketed, their
        # addresses through --resolve; --resolver still given, so that a lookup nobody
        # planned for stays on loopback): what the lookups and the DNS server cost.
        resolve = [a for h, ip in dns.hosts for a in ("--resolve", f"{h}:{ip}")]
        no_dns_c = DEFAULT_CONCURRENCY if DEFAULT_CONCURRENCY in concurrencies else concurrencies[0]
        no_dns_argv = [args.bin, "--targets-file", dns.host_targets, *resolve, "--resolver", dns.addr,
                       "--ca-file", args.ca, "-p", str(PORT), "--format", "jsonl", "--concurrency", str(no_dns_c)]
        no_dns = f"starttls-check --concurrency {no_dns_c}, no DNS (--resolve)"
        # Two --resolve words per target are more than bench/spawn.c takes (256): a script
        # that execs the command (so wait4 still measures the tool, not a shell).
        no_dns_script = os.path.join(args.workdir, "no-dns.sh")
        with open(no_dns_script, "w") as f:
            f.write("exec " + runner.shell(no_dns_argv) + "\n")

        # The judged row right after the ceiling, the row without DNS next: the closer two runs
        # are in time, the more alike the disturbances they meet on a shared machine.
        judged = DEFAULT_CONCURRENCY if DEFAULT_CONCURRENCY in concurrencies else concurrencies[0]
        ours = [(f"starttls-check --concurrency {c}", ours_argv(c), jsonl_check(dns.names)) for c in concurrencies]
        configs: list[tuple[str, list[str], object]] = [
            ("ceiling: STARTTLS", ceiling_argv, ceiling_check),
            *[o for o, c in zip(ours, concurrencies) if c == judged],
            # Every report repeats the command line (`invocation`), here 2 words per target:
            # 46 KB a report at 1000 targets, quadratic in all; beyond 2000 left out.
            *([(no_dns, ["/bin/sh", no_dns_script], jsonl_check(dns.host_names))] if args.targets <= 2000 else []),
            ("context: implicit TLS", implicit_argv, ceiling_check),
            *[o for o, c in zip(ours, concurrencies) if c != judged],
        ]
        results: dict[str, list[Run]] = {name: [] for name, _, _ in configs}
        dns_cpu: dict[str, list[float]] = {name: [] for name, _, _ in configs}
        timeout = max(120, args.targets // 5)
        for r in range(args.rounds):
            line = []
            for name, argv, check in configs:
                tag = "r%d-%s" % (r + 1, "".join(ch if ch.isalnum() else "-" for ch in name.lower()))
                before = dns.cpu_s()
                run, out, _ = timed(sp, argv, tag, check, timeout)
                dns_cpu[name].append(dns.cpu_s() - before)
                if run.ok and name.startswith(("ceiling", "context")):
                    doc = json.loads(out)
                    run.rate = float(doc["rate_per_s"])
                    run.extra = doc
                    # Its own window excludes start-up and warm-up; CPU per session from
                    # wait4 covers every session it made (and its start-up, well under 1 %).
                    run.extra["cpu_ms_per"] = run.cpu_ms / (args.targets + warm_sessions)
                elif run.ok:
                    run.rate = args.targets / (run.wall_ms / 1000)
                    run.extra["cpu_ms_per"] = run.cpu_ms / args.targets
                results[name].append(run)
                line.append(f"{name.split(':')[0].replace('starttls-check ', '')} "
                            + (rate_cell(run.rate) if run.ok else "FAILED"))
            say(f"round {r + 1}/{args.rounds}: " + ", ".join(line))

        ceiling_rate = median([x.rate for x in results["ceiling: STARTTLS"] if x.ok])
        ceiling_runs = results["ceiling: STARTTLS"]

        def paired(name: str) -> list[float]:
            """Per round, this row's rate ÷ the ceiling's of the same round: a machine that
            others share drifts, and both runs of a round see about the same drift."""
            return [x.rate / c.rate for x, c in zip(results[name], ceiling_runs) if x.ok and c.ok]

        rows = []
        for name, argv, _ in configs:
            runs = results[name]
            ok = [x for x in runs if x.ok]
            rate = median([x.rate for x in ok])
            cpu = median([x.extra["cpu_ms_per"] for x in ok])
            rss_max = max((x.rss_kib for x in ok), default=0)
            ratio = median(paired(name))
            wall = median([x.extra.get("wall_s", x.wall_ms / 1000) * 1000 for x in ok])
            rows.append([name, f"{wall:.0f} ms", rate_cell(rate), "–" if ratio != ratio else f"{ratio * 100:.0f} %",
                         "–" if cpu != cpu else f"{cpu:.3f} ms", f"{median(dns_cpu[name]) * 1000:.0f} ms",
                         runner.mb(rss_max) if ok else "–",
                         f"{len(ok)}/{len(runs)}" + (" **FAILED**" if len(ok) < len(runs) else "")])
            for x in runs:
                if not x.ok:
                    rep.failed.append(f"{name}: {x.why}")
        rep.add(
            f"### {args.targets} targets over {len(listeners)} listeners\n\n"
            f"{args.rounds} rounds; each round runs every row once, in this order. Medians over the rounds. "
            "Wall: the ceiling's own measuring window (after its warm-up); for starttls-check the whole "
            "process, fork to exit (start-up, DNS, root store, every check, every report). Rate: sessions "
            "(ceiling) or checks (ours) per second. Of ceiling: the median over the rounds of this row's "
            "rate divided by the ceiling's in the same round. CPU per check: user + system of that process (wait4) "
            "divided by its sessions or checks. DNS CPU: what the loopback DNS server spent during that "
            "run (10 ms ticks; its cores are the same two). Peak RSS: the largest over the rounds.\n\n"
            + runner.table(["configuration", "median wall", "rate", "of ceiling", "CPU per check", "DNS CPU",
                            "peak RSS", "runs ok"], rows)
        )
        lat_rows = []
        for name in ("ceiling: STARTTLS", "context: implicit TLS"):
            ok = [x for x in results[name] if x.ok]
            if ok:
                lat = {k: median([x.extra["latency_ms"][k] for x in ok]) for k in ("p50", "p90", "p99", "max")}
                lat_rows.append([name, *[f"{lat[k]:.2f} ms" for k in ("p50", "p90", "p99", "max")]])
        per_round = [[name, *[rate_cell(x.rate) if x.ok else "failed" for x in results[name]]] for name, _, _ in configs]
        rep.add("Rates round by round (a round disturbed by others on the machine shows as a column of "
                "low figures):\n\n" + runner.table(["configuration", *[f"round {i + 1}" for i in range(args.rounds)]], per_round))
        if lat_rows:
            rep.add("Session latency of the ceiling (medians over the rounds of each percentile):\n\n"
                    + runner.table(["configuration", "p50", "p90", "p99", "max"], lat_rows))

        default = f"starttls-check --concurrency {DEFAULT_CONCURRENCY}"
        if default not in results:
            default = f"starttls-check --concurrency {concurrencies[0]}"
        ok = [x for x in results[default] if x.ok]
        rate = median([x.rate for x in ok])
        cpu = median([x.extra["cpu_ms_per"] for x in ok])
        # The peak RSS target covers every run of ours, the no-DNS one included.
        ours_all = [x for name in results if name.startswith("starttls-check") for x in results[name] if x.ok]
        rss = max((x.rss_kib for x in ours_all), default=0)
        ratios = paired(default)
        ratio = median(ratios)
        rep.target(f"checks per second, `{default.replace('starttls-check ', '')}`, ÷ the ceiling's in the same round (median over the rounds)",
                   f"{ratio * 100:.0f} % (rounds: {', '.join(f'{r * 100:.0f}' for r in ratios)}); medians {rate:.0f}/s and {ceiling_rate:.0f}/s",
                   "≥ 80 %",
                   None if ratio != ratio else ratio >= RATIO_TARGET)
        rep.target(f"client CPU per check, `{default.replace('starttls-check ', '')}` (median)", f"{cpu:.3f} ms",
                   f"≤ {CPU_TARGET_MS} ms", None if cpu != cpu else cpu <= CPU_TARGET_MS)
        rep.target("peak RSS, every run of ours", runner.mb(rss) if ours_all else "nan", "≤ 100 MB (97,656 KiB)",
                   None if not ours_all else rss <= RSS_TARGET_KIB)
        rep.add("### Targets of issue 13\n\n"
                + ("Smoke run: too few checks to judge; shown so the code stays exercised.\n\n" if args.smoke else "")
                + runner.table(["target", "measured", "limit", "met"], rep.targets))
        commands = [dns.command.replace(args.workdir, "$WORK"), runner.shell(ceiling_argv), runner.shell(implicit_argv)]
        commands += [runner.shell(ours_argv(c)).replace(args.workdir, "$WORK") for c in concurrencies]
        first = " ".join(resolve[:2])
        if args.targets <= 2000:
            commands.append(runner.shell(no_dns_argv).replace(args.workdir, "$WORK")
                            .replace(runner.shell(resolve), f"{first} … (one --resolve per MX host)"))
        rep.add("Commands ($WORK: the work directory; the DNS server's port varies):\n\n```\n"
                + "\n".join(commands) + "\n```")
        rep.add(f"DNS server at the end: {dns.stop()}. Load average at the end: "
                f"{' '.join(runner.read('/proc/loadavg').split()[:3])}.")
        dns = None
    except (RuntimeError, OSError) as e:
        say(f"error: {e}")
        status = 2
    except Exception:  # a bug of the harness: exit 2, the report so far kept
        import traceback

        traceback.print_exc()
        status = 2
    finally:
        sp.close()
        if dns is not None:
            dns.stop()
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
