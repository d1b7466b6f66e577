#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Symbolises scripts/insn-profile.sh's block counts.

Usage: insn_profile.py SYSTEM_MAP OUT_DIR REQUESTS TOP [CXXFILT]

OUT_DIR holds none.tb (not for a windowed profile), io_uring.tb and
io_uring_rs.tb (lines "<hex address> <instructions>" from
scripts/qemu-tbcount.c) and guest-*.log (the module's
/proc/kallsyms lines, prefixed "sym,"). Each block is charged to the symbol
it starts in; a backend's profile is its run minus the run without a
benchmark, divided by REQUESTS. Prints, per backend, the total, the split
between user space, the kernel and the module, the blocks run in the
kernel and module, and the TOP functions with their instructions and
blocks. A profile split by vCPU (lines with two more columns, the
instructions of vCPU 0 and of vCPU 1) also gets that split, by vCPU.
"""

import bisect
import os
import collections
import subprocess
import sys

USER_TOP = 0xFFFF800000000000


def symbols(system_map, guest_log):
    """Sorted (address, name, in_module) of the text symbols."""
    syms = []
    for line in open(system_map):
        parts = line.split()
        if len(parts) >= 3 and parts[1] in "tTwW":
            syms.append((int(parts[0], 16), parts[2], False))
    for line in open(guest_log, errors="replace"):
        parts = line.strip().split()
        # "sym,ADDR t NAME [io_uring_rs]"
        if line.startswith("sym,") and len(parts) >= 3 and parts[1] in "tT":
            syms.append((int(parts[0][4:], 16), parts[2], True))
    syms.sort()
    return syms


def profile(tb, syms):
    """Instructions and block executions by (symbol, in module); user space
    is ("<user>", False). With a split profile, also the instructions by
    vCPU, a counter each."""
    addrs = [a for a, _, _ in syms]
    counts = collections.Counter()
    blocks = collections.Counter()
    vcpus = [collections.Counter(), collections.Counter()]
    for line in open(tb):
        fields = line.split()
        addr, insns = int(fields[0], 16), int(fields[1])
        execs = int(fields[2]) if len(fields) > 2 else 0
        if addr < USER_TOP:
            key = ("<user>", False)
        else:
            i = bisect.bisect_right(addrs, addr) - 1
            key = (syms[i][1], syms[i][2]) if i >= 0 else ("?", False)
        counts[key] += insns
        blocks[key] += execs
        for c, v in enumerate(fields[3:5]):
            vcpus[c][key] += int(v)
    return counts, blocks, vcpus


def split_line(counts):
    """User space, kernel and module instructions of `counts`."""
    user = counts.get(("<user>", False), 0)
    module = sum(v for (n, m), v in counts.items() if m)
    kernel = sum(v for (n, m), v in counts.items() if not m and n != "<user>")
    return user, kernel, module


def demangle(names, cxxfilt):
    if not cxxfilt:
        return {n: n for n in names}
    res = subprocess.run([cxxfilt], input="\n".join(names), capture_output=True, text=True)
    out = res.stdout.splitlines()
    if len(out) != len(names):
        return {n: n for n in names}
    return dict(zip(names, out))


def short(name, limit=90):
    """A demangled Rust path without its crate-hash noise, cut to `limit`."""
    name = name.replace("io_uring_rs_main::", "")
    return name if len(name) <= limit else name[: limit - 3] + "..."


def main():
    system_map, out, reqs, top = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    cxxfilt = sys.argv[5] if len(sys.argv) > 5 else ""
    # A windowed profile (WINDOW=) has no run without a benchmark to
    # subtract: only the measured phase was counted.
    base = base_blocks = collections.Counter()
    base_vcpus = [collections.Counter(), collections.Counter()]
    if os.path.exists(f"{out}/none.tb"):
        base, base_blocks, base_vcpus = profile(f"{out}/none.tb",
                                                symbols(system_map, f"{out}/guest-none.log"))
    for backend in ("io_uring", "io_uring_rs"):
        run, run_blocks, vcpus = profile(f"{out}/{backend}.tb",
                                         symbols(system_map, f"{out}/guest-{backend}.log"))
        delta = {k: run[k] - base[k] for k in set(run) | set(base)}
        dblocks = {k: run_blocks[k] - base_blocks[k] for k in set(run_blocks) | set(base_blocks)}
        user, kernel, module = split_line(delta)
        total = user + module + kernel
        print(f"\n{backend}: {total / reqs:.0f} instructions a request: "
              f"user {user / reqs:.0f}, kernel {kernel / reqs:.0f}, module {module / reqs:.0f}")
        for c, (counts, idle) in enumerate(zip(vcpus, base_vcpus)):
            if counts:
                own = {key: counts[key] - idle[key] for key in set(counts) | set(idle)}
                u, k, m = split_line(own)
                print(f"{backend}: vCPU {c}: {(u + k + m) / reqs:.0f} instructions a request: "
                      f"user {u / reqs:.0f}, kernel {k / reqs:.0f}, module {m / reqs:.0f}")
        kblocks = sum(v for k, v in dblocks.items() if k[0] != "<user>")
        print(f"{backend}: {kblocks / reqs:.0f} blocks a request in the kernel and module "
              f"({sum(v for k, v in delta.items() if k[0] != '<user>') / max(kblocks, 1):.1f} "
              f"instructions a block)")
        rows = sorted(((v, k) for k, v in delta.items() if k[0] != "<user>"), reverse=True)[:top]
        names = demangle([k[0] for _, k in rows], cxxfilt)
        for v, k in rows:
            n, m = k
            print(f"{v / reqs:10.1f} {dblocks.get(k, 0) / reqs:7.1f}  "
                  f"{'M ' if m else '  '}{short(names[n])}")


if __name__ == "__main__":
    main()
