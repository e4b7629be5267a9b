#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Random (but seeded) traffic for the live differential test (live_diff.sh).

    /usr/bin/python3 live_traffic.py --seed N --out X.pcap [--flows 40]

A random mix of TCP conversations (handshake, data both ways, FIN or RST
close, or abandoned), UDP request/response, ICMP echo, ICMP errors about
earlier flows, IPv4 and IPv6 fragmented datagrams and IPv6 TCP/UDP.  Per flow,
packets are randomly dropped, duplicated, reordered with a neighbour or given
a bad checksum; then all flows are interleaved.  The same seed always gives
the same pcap.  Needs scapy (/usr/bin/python3 on Debian).
"""

import argparse
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "data"))

from make_scenarios import (Tcp, udp, frag4, frag6, l4bytes, l4bytes6, write_pcap,   # noqa: E402
                            ETH, ETH_R, C4, C4B, S4, S4B, R4, C6, S6, R6)
from scapy.all import IP, IPv6, UDP, ICMP, Raw, raw, ICMPv6EchoRequest, ICMPv6EchoReply, \
    ICMPv6DestUnreach  # noqa: E402


def perturb(rnd, pkts, p_drop, p_dup, p_swap, p_bad):
    out = []
    for p in pkts:
        if rnd.random() < p_drop:
            continue
        if rnd.random() < p_bad:
            q = p.copy()
            for layer in ("TCP", "UDP", "ICMP"):
                if q.haslayer(layer):
                    q[layer].chksum = rnd.randrange(1, 0xffff)
                    break
            out.append(q)
        out.append(p)
        if rnd.random() < p_dup:
            out.append(p.copy())
    for i in range(len(out) - 1):
        if rnd.random() < p_swap:
            out[i], out[i + 1] = out[i + 1], out[i]
    return out


def tcp_flow(rnd, v6, cport):
    c, s = ((C6, S6) if v6 else (rnd.choice([C4, C4B]), rnd.choice([S4, S4B])))
    t = Tcp(c=c, s=s, cport=cport, sport=rnd.choice([22, 80, 443, 8080, 25]),
            cseq=rnd.randrange(0, 2**32), sseq=rnd.randrange(0, 2**32), win=rnd.choice([1024, 8192, 65535]))
    opts = rnd.random() < 0.5
    p = t.handshake(copts=[("MSS", 1460), ("WScale", rnd.randrange(0, 10))] if opts else None,
                    sopts=[("MSS", 1400), ("WScale", rnd.randrange(0, 10))] if opts and rnd.random() < 0.8 else None)
    for _ in range(rnd.randrange(0, 6)):
        frm = rnd.choice("cs")
        n = rnd.randrange(1, 900)
        p.append(t.pkt(frm, "PA", bytes([rnd.randrange(256)]) * n))
        p.append(t.pkt("s" if frm == "c" else "c", "A"))
        if rnd.random() < 0.1:     # a segment from far outside the window
            p.append(t.pkt(frm, "PA", b"o" * 10, seq=t.nxt[frm] + rnd.randrange(100000, 10**7)))
    end = rnd.random()
    if end < 0.5:
        first = rnd.choice("cs")
        other = "s" if first == "c" else "c"
        p += [t.pkt(first, "FA"), t.pkt(other, "FA"), t.pkt(first, "A")]
    elif end < 0.7:
        p.append(t.pkt(rnd.choice("cs"), "R"))
    elif end < 0.8:
        p.append(t.pkt(rnd.choice("cs"), "RA"))
    return p


def udp_flow(rnd, v6, sport):
    c, s = (C6, S6) if v6 else (rnd.choice([C4, C4B]), rnd.choice([S4, S4B]))
    dport = rnd.choice([53, 123, 161, 5060, 9999])
    p = []
    for _ in range(rnd.randrange(1, 5)):
        p.append(udp(c, s, sport, dport, b"q" * rnd.randrange(1, 200)))
        if rnd.random() < 0.7:
            p.append(udp(s, c, dport, sport, b"r" * rnd.randrange(1, 400), rev=True))
    if rnd.random() < 0.2:     # ICMP port unreachable about it
        inner = raw(p[0][IPv6] if v6 else p[0][IP])
        if v6:
            p.append(ETH_R / IPv6(src=s, dst=c) / ICMPv6DestUnreach(code=4) / inner)
        else:
            p.append(ETH_R / IP(src=rnd.choice([s, R4]), dst=c) / ICMP(type=3, code=3) / inner[:rnd.choice([28, 48])])
    return p


def icmp_flow(rnd, v6, ident):
    p = []
    for seq in range(1, rnd.randrange(2, 5)):
        if v6:
            p.append(ETH / IPv6(src=C6, dst=S6) / ICMPv6EchoRequest(id=ident, seq=seq))
            if rnd.random() < 0.8:
                p.append(ETH_R / IPv6(src=S6, dst=C6) / ICMPv6EchoReply(id=ident, seq=seq))
        else:
            p.append(ETH / IP(src=C4, dst=S4) / ICMP(type=8, id=ident, seq=seq) / Raw(b"p" * 32))
            if rnd.random() < 0.8:
                p.append(ETH_R / IP(src=S4, dst=C4) / ICMP(type=0, id=ident, seq=seq) / Raw(b"p" * 32))
    return p


def frag_flow(rnd, v6, sport, ident):
    n = rnd.randrange(1500, 4000)
    if v6:
        l4 = l4bytes6(IPv6(src=C6, dst=S6) / UDP(sport=sport, dport=7000) / Raw(b"F" * n))
        cut = list(range(0, len(l4), 1232))
        pieces = [(o, 1232, o + 1232 < len(l4)) for o in cut]
        fr = frag6(C6, S6, ident, 17, l4, pieces)
        rep = udp(S6, C6, 7000, sport, b"ok", rev=True)
    else:
        l4 = l4bytes(IP(src=C4, dst=S4) / UDP(sport=sport, dport=7000) / Raw(b"F" * n))
        cut = list(range(0, len(l4), 1000))
        pieces = [(o, 1000, o + 1000 < len(l4)) for o in cut]
        fr = frag4(C4, S4, ident, 17, l4, pieces)
        rep = udp(S4, C4, 7000, sport, b"ok", rev=True)
    if rnd.random() < 0.3:
        rnd.shuffle(fr)
    return fr + [rep]


def generate(seed, nflows):
    rnd = random.Random(seed)
    flows = []
    for k in range(nflows):
        kind = rnd.random()
        v6 = rnd.random() < 0.25
        port = 30000 + k
        if kind < 0.45:
            f = tcp_flow(rnd, v6, port)
        elif kind < 0.7:
            f = udp_flow(rnd, v6, port)
        elif kind < 0.85:
            f = icmp_flow(rnd, v6, 1000 + k)
        else:
            f = frag_flow(rnd, v6, port, 2000 + k)
        flows.append(perturb(rnd, f, 0.04, 0.04, 0.05, 0.02))
    out = []
    while any(flows):
        f = rnd.choice([f for f in flows if f])
        out.append(f.pop(0))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--flows", type=int, default=40)
    a = ap.parse_args()
    pkts = generate(a.seed, a.flows)
    write_pcap(a.out, pkts)
    print("%d frames, seed %d" % (len(pkts), a.seed))


if __name__ == "__main__":
    main()
