#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Malformed configuration files against `ctgate --config` (issue 9, control input).

app/ctgate/commands.c (the command parser) cannot be linked without the appliance, so
this drives the real binary: each case is a small valid config (net_null ports) with one
line mutated (missing/extra arguments, bad numbers, unknown commands, random bytes, NUL,
very long lines, startup commands twice ...). Every case must end with a clear error
(exit status 1..127 and a "config:LINE:" message on stderr) or, for the mutations that
are still valid, a clean start and stop (--exit-idle); never a signal, never a hang.
usage: config_fuzz.py CTGATE [CASES] [SEED]   TAP output; 77 without root or binary.
"""
import os
import random
import subprocess
import sys
import tempfile

BASE = [
    "port add a net_null0",
    "port add b net_null1",
    "bridge a b",
    "workers 1",
    "mempool 2048",
]
EXTRA = [
    "conntrack max 1024", "dispatch l4", "console off", "control socket off",
    "set param nf_conntrack_tcp_loose 0", "set param ctgate_limit_per_source 10",
    "prometheus port 9100", "ipfix collector 127.0.0.1 4739 60", "help", "version",
    "show params", "rules load /nonexistent.rules", "workers 2", "mempool 1024",
]
BAD_NUMS = ["-1", "0", "99999999999999999999", "0x10", "1e9", "", "nan", "4294967296",
            "18446744073709551616", "1.5", "+3", " 7", "0777", "1\t2"]


def mutate(rng, line):
    words = line.split(" ")
    k = rng.randrange(12)
    if k == 0:
        return " ".join(words[:-1])  # missing argument
    if k == 1:
        return line + " extra " * rng.randint(1, 30)
    if k == 2:
        return " ".join(w if not w.isdigit() else rng.choice(BAD_NUMS) for w in words) + \
            (" " + rng.choice(BAD_NUMS) if not any(w.isdigit() for w in words) else "")
    if k == 3:
        return rng.choice(["frobnicate", "port", "set", "show", "port delete a", "bridge a a",
                           "bridge a nonexist", "set param", "set param nope 1",
                           "set param nf_conntrack_max 0", "workers", "#", "   ", "\t\t",
                           "port add a net_null0", "port add c net_bogus0",
                           "set param ctgate_limit_source_prefix4 33"])
    if k == 4:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 200))).decode("latin-1")
    if k == 5:
        return line + "\0" + line
    if k == 6:
        return "x" * rng.choice([1000, 4096, 65536, 1 << 20])
    if k == 7:
        return line.replace(" ", rng.choice(["\t", "  ", "\v", "\r"]))
    if k == 8:
        return '"' + line + rng.choice(["", '"', "'", "\\"])
    if k == 9:
        return "set param " + rng.choice(["nf_conntrack_max", "ctgate_limit_embryonic",
                                          "nf_conntrack_tcp_timeout_established",
                                          "ctgate_limit_source_prefix6"]) + " " + \
            rng.choice(BAD_NUMS + ["1", "129", "abc"])
    if k == 10:
        return "é ü 中文 " + line
    return line[: rng.randrange(len(line) + 1)]


def main():
    if len(sys.argv) < 2 or not os.access(sys.argv[1], os.X_OK):
        print("1..0 # SKIP ctgate not built")
        return 77
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root (EAL --no-huge)")
        return 77
    ctgate = sys.argv[1]
    cases = int(sys.argv[2]) if len(sys.argv) > 2 else 150
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    tmp = tempfile.mkdtemp(prefix="ctg-cfgfuzz.")
    n = errors = started = failed = 0
    print(f"1..{cases}")
    for i in range(cases):
        lines = BASE + rng.sample(EXTRA, rng.randint(0, 3))
        j = rng.randrange(len(lines) + 1)
        src = lines[j] if j < len(lines) else rng.choice(EXTRA)
        lines.insert(j, mutate(rng, src))
        path = os.path.join(tmp, f"c{i}.conf")
        with open(path, "wb") as f:
            f.write("\n".join(lines).encode("latin-1", "replace") + b"\n")
        cmd = [ctgate, "--no-huge", "-m", "256", "--no-pci", "--file-prefix", f"cfz{os.getpid()}",
               "--lcores", "0@0,1@1", "--", "--config", path, "--no-console"]
        out = os.path.join(tmp, f"c{i}.log")
        with open(out, "wb") as lf:
            p = subprocess.Popen(cmd, stdout=lf, stderr=subprocess.STDOUT)
            try:
                rc = p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                # Still valid and running (net_null never idles): stop it with SIGTERM,
                # it must stop cleanly.
                p.terminate()
                try:
                    rc = p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
                    rc = "hang"
        with open(out, "rb") as lf:
            err = lf.read().decode("latin-1")
        if rc == 0 and "running with" not in err:
            rc = "no start"
        n += 1
        msg = [l for l in err.splitlines() if l.startswith("config:")]
        if rc == 0:
            started += 1
            print(f"ok {n} - case {i}: still valid, started, clean stop on SIGTERM")
        elif isinstance(rc, int) and 0 < rc < 128 and msg:
            errors += 1
            print(f"ok {n} - case {i}: rc={rc} {msg[0][:100]!r}")
        elif isinstance(rc, int) and 0 < rc < 128 and "EAL" in err and not msg:
            # A valid config the devices refuse (e.g. two workers on net_null): an error,
            # not a crash.
            errors += 1
            tail = [l for l in err.splitlines() if l and not l.startswith("EAL")][-1:]
            print(f"ok {n} - case {i}: rc={rc} start-up error {tail!r}")
        else:
            failed += 1
            print(f"not ok {n} - case {i}: rc={rc} line {j + 1}: {lines[j][:80]!r}")
            print("# " + "\n# ".join(err.splitlines()[-5:]))
    print(f"# {cases} malformed configs: {errors} clear errors, {started} still valid "
          f"(clean start/stop), {failed} failures")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
