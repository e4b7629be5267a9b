#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Compare what ctgate forwarded (a net_pcap tx_pcap) with what the kernel oracle
forwarded for the same capture.

usage: pcap_diff.py IN.pcap ORACLE.expected OUT.pcap

Expected output without a ruleset: every frame of IN.pcap whose oracle verdict is not
DROPPED, byte for byte (fragments as the originals; non-IP frames, which the oracle
skips, are bridged by ctgate, so they are expected too). Order is not compared (the
appliance releases held fragments when their datagram completes); the frames are
compared as a multiset. Prints a summary and exits 1 on any difference.
"""
import collections
import hashlib
import struct
import sys


def frames(path):
    with open(path, 'rb') as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            return []
        magic = struct.unpack('<I', hdr[:4])[0]
        if magic in (0xa1b2c3d4, 0xa1b23c4d):
            end = '<'
        elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
            end = '>'
        else:
            raise SystemExit('%s: not a pcap file' % path)
        out = []
        while True:
            rh = f.read(16)
            if len(rh) < 16:
                break
            _, _, incl, _ = struct.unpack(end + 'IIII', rh)
            out.append(f.read(incl))
        return out


def verdicts(path):
    v = {}
    with open(path) as f:
        for line in f:
            if line.startswith('#'):
                continue
            cols = line.split('\t')
            if len(cols) > 2 and cols[0].isdigit():
                v[int(cols[0])] = cols[1]
    return v


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    inp, exp, outp = sys.argv[1:]
    fin = frames(inp)
    ver = verdicts(exp)
    expected = collections.Counter()
    counts = collections.Counter()
    for i, fr in enumerate(fin, 1):
        v = ver.get(i)
        if v is None:
            raise SystemExit('oracle has no line for frame %d' % i)
        counts[v] += 1
        if v != 'DROPPED':
            expected[hashlib.sha256(fr).hexdigest()] += 1
    got = collections.Counter(hashlib.sha256(fr).hexdigest() for fr in frames(outp))
    missing = expected - got
    extra = got - expected
    print('# input %d frames, oracle verdicts %s' % (len(fin), dict(sorted(counts.items()))))
    print('# expected forwarded %d, ctgate forwarded %d, missing %d, extra %d' %
          (sum(expected.values()), sum(got.values()), sum(missing.values()),
           sum(extra.values())))
    if missing or extra:
        index = {hashlib.sha256(fr).hexdigest(): i for i, fr in enumerate(fin, 1)}
        for h in list(missing)[:10]:
            print('# missing frame %s (%s)' % (index.get(h), ver.get(index.get(h))))
        for h in list(extra)[:10]:
            print('# extra frame (input frame %s)' % index.get(h))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
