#!/usr/bin/env python3
"""Where a process's CPU time goes, per check: `perf script` stacks cut into phases (issue 13).

Python 3 standard library only. Input: the text of

    perf record -e cpu-clock -F HZ --call-graph dwarf,32768 -o perf.data -- COMMAND
    perf script -i perf.data -F comm,tid,ip,sym,dso > perf.txt

of a build with symbols (the release profile strips them; BENCHMARKS.md, "Throughput",
shows the build). Usage:

    perf_phases.py perf.txt --checks 1000 --hz 4000 [--label NAME]

prints three Markdown tables, in milliseconds of CPU per check (samples ÷ HZ ÷ checks):
  - phases: each sample goes to the first phase, in the order below, that has one of its
    keys anywhere in the sample's stack, so a phase includes what it calls (kernel time of
    its system calls, its allocations);
  - the same samples by where they landed (the leaf frame: kernel, allocator, RSA, …);
  - the inclusive time of a few functions named in BENCHMARKS.md.
A sample lands in one phase only; the functions table may count a sample under several.
"""

from __future__ import annotations

import argparse
import collections
import sys

# (phase, keys): the first phase with a key anywhere in the stack wins. Order matters: the
# chain check and DNS run inside the probe's and the engine's futures, so they come first.
PHASES = [
    ("start-up (loader, arguments, root store)", ["_dl_start", "root-store", "clap_builder", "LazyRoots", "load_native"]),
    ("chain check (TrustStore::check, blocking thread)", ["TrustStore::check"]),
    ("DNS client (hickory-resolver, routes)", ["hickory_", "dns::route::"]),
    ("report: JSON rendering and writing", ["report::json", "serde_json", "commands::batch::emit"]),
    ("diagnosis (evidence, rules, report model)", ["diagnose_job", "Evidence::derive", "diagnose::", "report::Report"]),
    ("TLS handshake (rustls, ring)", ["rustls::", "tokio_rustls", "ring::", "ring_core", "webpki"]),
    ("SMTP conversation and probe logic (incl. its socket calls)", ["smtp::", "probe::", "throughput::session", "throughput::expect", "throughput::command"]),
    ("tokio runtime (scheduler, I/O driver, timers)", ["tokio::"]),
]
LEAVES = [
    ("kernel", ["[kernel.kallsyms]"]),
    ("allocator (malloc, free, memcpy)", ["malloc", "free", "memmove", "memcpy", "memset", "realloc", "calloc", "unlink_chunk", "consolidate"]),
    ("RSA (ring bignum)", ["bn_", "rsa::", "LIMBS_", "limbs_"]),
    ("X25519", ["x25519", "curve25519", "fe_", "fe4", "ge_"]),
    ("SHA-2, HMAC, HKDF", ["sha512", "sha256", "sha1", "digest::"]),
    ("AES-GCM", ["aes", "gcm", "ghash"]),
    ("X.509/DER parsing", ["asn1_rs", "x509_parser", "der_parser", "nom::", "webpki::der"]),
    ("formatting, strings", ["fmt::", "format_inner", "core::str", "alloc::string"]),
    ("serde_json", ["serde_json", "serde_core"]),
]
FUNCTIONS = [
    "TrustStore::check",
    "verify_server_cert_signed_by_trust_anchor",
    "path::build",
    "Evidence::derive",
    "CertInfo::parse",
    "diagnose_job",
    "tls::handshake",
    "hickory_",
]


def stacks(path: str):
    """(comm, frames leaf first) per sample."""
    frames: list[str] = []
    comm = ""
    with open(path, errors="replace") as f:
        for line in f:
            if not line.strip():
                if frames:
                    yield comm, frames
                frames = []
            elif line.startswith("\t"):
                frames.append(line.strip())
            else:
                comm = line.split()[0]
    if frames:
        yield comm, frames


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("perf_script")
    p.add_argument("--checks", type=float, required=True, help="checks (or sessions) the recorded run made")
    p.add_argument("--hz", type=float, required=True, help="perf record -F")
    p.add_argument("--label", default="")
    args = p.parse_args()

    phases: collections.Counter[str] = collections.Counter()
    kernel: collections.Counter[str] = collections.Counter()
    leaves: collections.Counter[str] = collections.Counter()
    funcs: collections.Counter[str] = collections.Counter()
    total = 0
    for comm, frames in stacks(args.perf_script):
        total += 1
        text = "\n".join(frames)
        phase = "other"
        if comm == "root-store":
            phase = PHASES[0][0]
        else:
            phase = next((name for name, keys in PHASES if any(k in text for k in keys)), "other")
        phases[phase] += 1
        if "[kernel.kallsyms]" in frames[0]:
            kernel[phase] += 1
        leaves[next((name for name, keys in LEAVES if any(k in frames[0] for k in keys)), "other user code")] += 1
        for fn in FUNCTIONS:
            if fn in text:
                funcs[fn] += 1
    if not total:
        print("no samples", file=sys.stderr)
        return 2

    def ms(n: int) -> str:
        return f"{n / args.hz * 1000 / args.checks:.3f} ms"

    def pct(n: int) -> str:
        return f"{n / total * 100:.1f} %"

    label = f" ({args.label})" if args.label else ""
    print(f"{total} samples at {args.hz:.0f} Hz = {total / args.hz * 1000:.0f} ms of CPU = {ms(total)} per check{label}\n")
    print("| phase | share | CPU per check | of it in the kernel |\n|---|---|---|---|")
    for name, n in phases.most_common():
        print(f"| {name} | {pct(n)} | {ms(n)} | {kernel[name] / n * 100:.0f} % |")
    print("\n| where the samples landed | share | CPU per check |\n|---|---|---|")
    for name, n in leaves.most_common():
        print(f"| {name} | {pct(n)} | {ms(n)} |")
    print("\n| function (inclusive) | share | CPU per check |\n|---|---|---|")
    for fn in FUNCTIONS:
        if funcs[fn]:
            print(f"| `{fn}` | {pct(funcs[fn])} | {ms(funcs[fn])} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
