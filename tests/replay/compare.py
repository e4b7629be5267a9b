#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Compare ctgate-replay output with the kernel oracle's .expected reports.

Only the per-frame columns are compared: idx verdict dir ct l4state status
(plus rule-verdict when the expected report has that 7th column).  Header and
table lines ('#...') and everything from the first '| ' field on (packet
summary, notes) are ignored.

Usage:
  compare.py EXPECTED GOT                 compare two reports (GOT may be '-')
  compare.py --replay BIN --case NAME     run one corpus case and compare
  compare.py --replay BIN [--dir DIR]     run every case of the corpus
             [--only PATTERN] [--list] [--verbose] [--keep-going]

Case NAME means DIR/NAME.pcap, DIR/NAME.expected and optionally DIR/NAME.args
(one line of shell words: the ctgate-replay options).  The replay runs with
cwd = DIR so that relative '--rules NAME.rules' paths work:
    BIN <args> NAME.pcap
Exit status: 0 when everything matches, 1 on any mismatch, 2 on usage errors.
Standard library only; any python3 >= 3.6 runs it.
"""

import argparse
import fnmatch
import os
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DIR = os.path.normpath(os.path.join(HERE, "..", "data"))

# Options the oracle spells differently; .args files use the replay spelling,
# but accept the oracle's too.
ORACLE_TO_REPLAY = {"--ruleset": "--rules", "--ruleset6": "--rules6"}


def frame_columns(line):
    """Return the compared columns of one per-frame line, or None for a non-frame line."""
    line = line.rstrip("\r\n")
    if not line.strip() or line.lstrip().startswith("#"):
        return None
    cols = []
    for field in line.split("\t"):
        if field.startswith("|"):
            break
        cut = field.find(" | ")
        if cut >= 0:
            field = field[:cut]
            if field.strip():
                cols.append(field.strip())
            break
        cols.append(field.strip())
    if not cols:
        return None
    if len(cols) == 1 and " " in cols[0]:      # tolerate space-separated output
        cols = cols[0].split()
    if not cols[0].isdigit():                  # conntrack table lines ('c1<TAB>ipv4 ...') and others
        return None
    return cols


def parse_report(text):
    """-> (frames, has_rule_column). frames: list of column lists."""
    frames = []
    rule_col = False
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("# columns:") and "rule-verdict" in s:
            rule_col = True
        cols = frame_columns(line)
        if cols is not None:
            frames.append(cols)
    if frames and not rule_col and all(len(c) >= 7 for c in frames):
        rule_col = True
    return frames, rule_col


def compare_reports(exp_text, got_text, name="", max_diff=40, out=sys.stdout):
    """Print a readable diff; return (n_frames_expected, n_mismatches, count_error)."""
    exp, rule_col = parse_report(exp_text)
    got, _ = parse_report(got_text)
    width = 7 if rule_col else 6
    bad = 0
    shown = 0
    hdr = "idx".ljust(5)
    for i in range(max(len(exp), len(got))):
        e = exp[i][:width] if i < len(exp) else None
        g = got[i][:width] if i < len(got) else None
        if e is not None and g is not None and e == g:
            continue
        if e is not None and g is not None and len(g) < width:
            g = g + ["<missing>"] * (width - len(g))
        bad += 1
        if shown < max_diff:
            if shown == 0:
                print("  %s %s" % (hdr, "expected (kernel)  vs  got (ctgate-replay)"), file=out)
            idx = (e or g)[0]
            es = " ".join(e[1:]) if e else "<no frame>"
            gs = " ".join(g[1:]) if g else "<no frame>"
            mark = ""
            if e and g and e[0] != g[0]:
                mark = "  (got idx %s)" % g[0]
            print("  #%-4s expected: %s" % (idx, es), file=out)
            print("  %-5s      got: %s%s" % ("", gs, mark), file=out)
        shown += 1
    if shown > max_diff:
        print("  ... %d more differing frames" % (shown - max_diff), file=out)
    count_err = len(exp) != len(got)
    if count_err:
        print("  frame count differs: expected %d, got %d" % (len(exp), len(got)), file=out)
    return len(exp), bad, count_err


def read_args(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        text = " ".join(l.strip() for l in f if l.strip() and not l.lstrip().startswith("#"))
    return [ORACLE_TO_REPLAY.get(a, a) for a in shlex.split(text)]


def list_cases(d, only=None):
    names = sorted(f[:-5] for f in os.listdir(d) if f.endswith(".pcap")
                   and os.path.exists(os.path.join(d, f[:-5] + ".expected")))
    if only:
        pats = only.split(",")
        names = [n for n in names if any(fnmatch.fnmatch(n, p) or (not any(c in p for c in "*?[") and p in n)
                                         for p in pats)]
    return names


def run_case(replay, d, name, timeout, extra_args, verbose, out=sys.stdout):
    """-> (ok, n_frames, n_bad, message)"""
    exp_path = os.path.join(d, name + ".expected")
    if not os.path.exists(exp_path):
        return False, 0, 0, "no %s" % exp_path
    with open(exp_path) as f:
        exp_text = f.read()
    cmd = [replay] + read_args(os.path.join(d, name + ".args")) + list(extra_args) + [name + ".pcap"]
    if verbose:
        print("  $ (cd %s && %s)" % (d, " ".join(shlex.quote(c) for c in cmd)), file=out)
    try:
        p = subprocess.run(cmd, cwd=d, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    except FileNotFoundError:
        return False, 0, 0, "cannot execute %s" % replay
    except subprocess.TimeoutExpired:
        return False, 0, 0, "replay timed out after %d s" % timeout
    got_text = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace").strip()
    n, bad, count_err = compare_reports(exp_text, got_text, name, out=out)
    if p.returncode != 0:
        tail = err.splitlines()[-5:] if err else []
        return False, n, bad, "replay exit status %d%s" % (
            p.returncode, ("; stderr: " + " / ".join(tail)) if tail else "")
    if bad or count_err:
        return False, n, bad, ""
    return True, n, 0, ""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("files", nargs="*", help="EXPECTED GOT (two-file mode)")
    ap.add_argument("--replay", help="path of the ctgate-replay executable")
    ap.add_argument("--dir", "--data", dest="dir", default=DEFAULT_DIR, help="corpus folder (default tests/data)")
    ap.add_argument("--case", action="append", help="run only this case (repeatable)")
    ap.add_argument("--only", help="run only cases matching PATTERN (substring or glob; comma-separated list)")
    ap.add_argument("--list", action="store_true", help="list the cases (with frame counts) and exit")
    ap.add_argument("--timeout", type=int, default=120, help="per-case replay timeout in seconds")
    ap.add_argument("--arg", action="append", default=[], help="extra option passed to every replay run")
    ap.add_argument("-v", "--verbose", action="store_true", help="print the replay command lines")
    ap.add_argument("-q", "--quiet", action="store_true", help="print only failures and the total")
    a = ap.parse_args(argv)

    if a.files:
        if len(a.files) != 2:
            ap.error("two-file mode needs EXPECTED and GOT")
        with open(a.files[0]) as f:
            exp_text = f.read()
        got_text = sys.stdin.read() if a.files[1] == "-" else open(a.files[1]).read()
        n, bad, count_err = compare_reports(exp_text, got_text)
        if bad or count_err:
            print("FAIL %s (%d of %d differ)" % (os.path.basename(a.files[0]), bad, n))
            return 1
        print("PASS %s (%d packets)" % (os.path.basename(a.files[0]), n))
        return 0

    d = os.path.abspath(a.dir)
    if not os.path.isdir(d):
        ap.error("no corpus folder %s" % d)
    names = a.case if a.case else list_cases(d, a.only)
    if a.list:
        total = 0
        for n in names:
            with open(os.path.join(d, n + ".expected")) as f:
                frames, rc = parse_report(f.read())
            total += len(frames)
            args = " ".join(read_args(os.path.join(d, n + ".args")))
            print("%-40s %5d %s" % (n, len(frames), args))
        print("%d cases, %d packets" % (len(names), total))
        return 0
    if not a.replay:
        ap.error("--replay BIN is required (or give EXPECTED GOT)")
    replay = os.path.abspath(a.replay) if os.sep in a.replay else a.replay
    if not names:
        print("no cases matched")
        return 2
    npass = nfail = frames = badframes = 0
    for n in names:
        import io
        buf = io.StringIO()
        ok, nf, bad, msg = run_case(replay, d, n, a.timeout, a.arg, a.verbose, out=buf)
        frames += nf
        badframes += bad
        if ok:
            npass += 1
            if not a.quiet:
                print("PASS %s (%d packets)" % (n, nf))
        else:
            nfail += 1
            print("FAIL %s (%d of %d differ)%s" % (n, bad, nf, (": " + msg) if msg else ""))
            sys.stdout.write(buf.getvalue())
        sys.stdout.flush()
    print("%d passed, %d failed; %d packets compared, %d differ" % (npass, nfail, frames, badframes))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
