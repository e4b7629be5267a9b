#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Generate the ctgate differential-test corpus (scapy scenarios + kernel oracle).

For every scenario below this writes, into the corpus folder (default: the
folder of this script, tests/data):
    NAME.pcap       the frames (deterministic: fixed addresses, ports, seeds, timestamps)
    NAME.args       ctgate-replay options, one line of shell words (only when needed)
    NAME.rules      iptables-save ruleset (IPv4, or both when no .rules6), NAME.rules6
    NAME.txt        one-line description
    NAME.expected   the kernel oracle's report (ctoracle.py)
and finally cases.txt, the sorted list of every case in the folder (all
*.pcap with an .expected, including the imported scn_* and real_* ones).

    /usr/bin/python3 make_scenarios.py                 # all scenarios (needs root: the oracle)
    /usr/bin/python3 make_scenarios.py tcp_ icmp6      # only names containing one of the words
    /usr/bin/python3 make_scenarios.py --no-oracle     # pcaps/args/rules only
    /usr/bin/python3 make_scenarios.py --rerun 'real_*'  # re-run the oracle on existing cases
    /usr/bin/python3 make_scenarios.py --list          # list the scenario names
    /usr/bin/python3 make_scenarios.py --cases-txt     # only rewrite cases.txt

The .args files use the ctgate-replay spelling (--rules/--rules6); they are
translated to the oracle's (--ruleset/--ruleset6) when the oracle runs.
The oracle lives in ../shared/oracle relative to the repository root
(override with CTORACLE=/path/to/ctoracle.py).

Addresses are documentation prefixes (192.0.2.0/24 clients, 198.51.100.0/24
servers, 203.0.113.0/24 third-party routers, 2001:db8::/32).
"""

import argparse
import fnmatch
import os
import random
import shlex
import struct
import subprocess
import sys
import tempfile
import time

from scapy.all import (Ether, Dot1Q, Dot1AD, IP, IPv6, TCP, UDP, ICMP, Raw, conf, fragment, raw,
                       IPOption_RR, IPOption_Timestamp, IPOption_Router_Alert, IPOption_NOP,
                       IPOption_EOL, IPOption_LSRR, IPOption,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, IPv6ExtHdrRouting, IPv6ExtHdrFragment,
                       HBHOptUnknown, PadN, RouterAlert, ARP, GRE, rdpcap,
                       ICMPv6EchoRequest, ICMPv6EchoReply, ICMPv6DestUnreach, ICMPv6PacketTooBig,
                       ICMPv6TimeExceeded, ICMPv6ParamProblem, ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6ND_RS,
                       ICMPv6ND_RA, ICMPv6ND_Redirect, ICMPv6MLQuery, ICMPv6MLReport, ICMPv6MLDone,
                       ICMPv6MLQuery2, ICMPv6MLReport2, ICMPv6NDOptSrcLLAddr, ICMPv6Unknown,
                       ICMPv6NIQueryNOOP, ICMPv6NIReplyNOOP, ICMPv6NIQueryName, ICMPv6NIReplyName)
from scapy.layers.sctp import (SCTP, SCTPChunkInit, SCTPChunkInitAck, SCTPChunkCookieEcho,
                               SCTPChunkCookieAck, SCTPChunkData, SCTPChunkSACK, SCTPChunkShutdown,
                               SCTPChunkShutdownAck, SCTPChunkShutdownComplete, SCTPChunkAbort,
                               SCTPChunkHeartbeatReq, SCTPChunkHeartbeatAck, SCTPChunkParamStateCookie)
from scapy.layers.ipsec import ESP, AH

conf.verb = 0
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
ORACLE = os.environ.get("CTORACLE") or os.path.normpath(os.path.join(REPO, "..", "shared", "oracle",
                                                                      "ctoracle.py"))
T0 = 1700000000.0

C4, C4B, S4, S4B, R4 = "192.0.2.1", "192.0.2.7", "198.51.100.2", "198.51.100.9", "203.0.113.1"
C6, S6, R6 = "2001:db8::1", "2001:db8:1::2", "2001:db8:2::1"
MAC_C, MAC_S = "02:00:00:00:00:01", "02:00:00:00:00:02"
ETH = Ether(src=MAC_C, dst=MAC_S)
ETH_R = Ether(src=MAC_S, dst=MAC_C)

CASES = []        # (name, fn, args, doc, rules, rules6)
CASE_FN = {}


def case(name, doc, args=(), rules=None, rules6=None):
    """Register a scenario.  fn() returns a list of frames: scapy packets, bytes,
    or Frame objects (for truncated captures / explicit timestamps)."""
    def deco(fn):
        assert not any(c[0] == name for c in CASES), name
        CASES.append((name, fn, list(args), doc, rules, rules6))
        CASE_FN[name] = fn
        return fn
    return deco


class Frame:
    """A raw frame with an optional capture length shorter than the wire length;
    t: seconds after T0."""

    def __init__(self, data, t=None, wirelen=None):
        self.data = bytes(data)
        self.time = t
        self.wirelen = wirelen if wirelen is not None else len(self.data)


def write_pcap(path, frames):
    """Deterministic pcap writer (Ethernet, microsecond timestamps)."""
    out = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1)]
    prev = None
    for i, f in enumerate(frames):
        t = None
        if isinstance(f, tuple):              # (seconds after T0, frame)
            t, f = T0 + f[0], f[1]
        if isinstance(f, Frame):
            data, wl = f.data, f.wirelen
            if f.time is not None:
                t = T0 + f.time
        elif isinstance(f, (bytes, bytearray)):
            data, wl = bytes(f), len(f)
        else:
            data = raw(f)
            wl = len(data)
        if t is None:
            t = (prev + 0.001) if prev is not None else T0
        prev = t
        sec = int(t)
        usec = int(round((t - sec) * 1e6))
        if usec >= 1000000:
            sec, usec = sec + 1, usec - 1000000
        out.append(struct.pack("<IIII", sec, usec, len(data), wl) + data)
    with open(path, "wb") as f:
        f.write(b"".join(out))


class Tcp:
    """A TCP conversation with automatic seq/ack bookkeeping (client 'c', server 's')."""

    def __init__(self, c=C4, s=S4, cport=40000, sport=80, cseq=1000, sseq=5000, win=65535, l2=None, l2r=None):
        self.v6 = ":" in c
        self.addr = {"c": c, "s": s}
        self.port = {"c": cport, "s": sport}
        self.nxt = {"c": cseq, "s": sseq}
        self.win = {"c": win, "s": win}
        self.l2 = {"c": l2 if l2 is not None else ETH, "s": l2r if l2r is not None else ETH_R}

    def l3(self, frm):
        to = "s" if frm == "c" else "c"
        if self.v6:
            return IPv6(src=self.addr[frm], dst=self.addr[to])
        return IP(src=self.addr[frm], dst=self.addr[to])

    def seg(self, frm, flags, data=b"", seq=None, ack=None, win=None, options=None, chksum=None):
        to = "s" if frm == "c" else "c"
        s = self.nxt[frm] if seq is None else seq
        a = self.nxt[to] if ack is None else ack
        tcp = TCP(sport=self.port[frm], dport=self.port[to], flags=flags, seq=s % 2**32,
                  ack=(a % 2**32) if "A" in flags else 0,
                  window=self.win[frm] if win is None else win, options=options or [])
        if chksum is not None:
            tcp.chksum = chksum
        if data:
            tcp = tcp / Raw(data)
        if seq is None:
            self.nxt[frm] = s + len(data) + (1 if "S" in flags else 0) + (1 if "F" in flags else 0)
        return tcp

    def pkt(self, frm, flags, data=b"", **kw):
        return self.l2[frm].copy() / self.l3(frm) / self.seg(frm, flags, data, **kw)

    def c(self, flags, data=b"", **kw):
        return self.pkt("c", flags, data, **kw)

    def s(self, flags, data=b"", **kw):
        return self.pkt("s", flags, data, **kw)

    def handshake(self, copts=None, sopts=None):
        return [self.c("S", options=copts), self.s("SA", options=sopts), self.c("A")]

    def close(self):
        return [self.c("FA"), self.s("FA"), self.c("A")]


def udp(src, dst, sport, dport, data=b"x" * 20, rev=False, **kw):
    l2 = ETH_R if rev else ETH
    l3 = IPv6(src=src, dst=dst) if ":" in src else IP(src=src, dst=dst)
    return l2.copy() / l3 / UDP(sport=sport, dport=dport, **kw) / Raw(data)


def ip4(src=C4, dst=S4, rev=False, **kw):
    return (ETH_R if rev else ETH).copy() / IP(src=src, dst=dst, **kw)


def ip6(src=C6, dst=S6, rev=False, **kw):
    return (ETH_R if rev else ETH).copy() / IPv6(src=src, dst=dst, **kw)


def ether_ip_bytes(l3bytes, rev=False, etype=0x0800):
    e = (ETH_R if rev else ETH)
    return raw(Ether(src=e.src, dst=e.dst, type=etype)) + bytes(l3bytes)


def csum16(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def ip_with_opts(pkt, opts):
    """Raw IPv4 bytes of pkt (no options) with the raw option bytes opts inserted (padded to 4)."""
    b = bytearray(raw(pkt))
    opts = bytes(opts) + b"\0" * (-len(opts) % 4)
    b = b[:20] + opts + b[20:]
    b[0] = 0x40 | ((20 + len(opts)) // 4)
    b[2:4] = struct.pack("!H", len(b))
    b[10:12] = b"\0\0"
    b[10:12] = struct.pack("!H", csum16(bytes(b[:20 + len(opts)])))
    return bytes(b)


def udplite4(src, dst, sport, dport, payload, coverage, bad_csum=False, rev=False, ph_proto=136):
    """UDP-Lite (IP proto 136) over IPv4; the 'length' field is the checksum coverage."""
    hdr = struct.pack("!HHHH", sport, dport, coverage, 0)
    seg = hdr + payload
    cov = len(seg) if coverage == 0 else min(coverage, len(seg))
    import socket
    ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, ph_proto, len(seg))
    c = csum16(ph + seg[:cov]) or 0xffff
    if bad_csum:
        c ^= 0x5a5a
    seg = struct.pack("!HHHH", sport, dport, coverage, c) + payload
    return (ETH_R if rev else ETH).copy() / IP(src=src, dst=dst, proto=136) / Raw(seg)


def udplite6(src, dst, sport, dport, payload, coverage, rev=False, ph_proto=136):
    import socket
    seg = struct.pack("!HHHH", sport, dport, coverage, 0) + payload
    cov = len(seg) if coverage == 0 else min(coverage, len(seg))
    ph = socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) + \
        struct.pack("!IxxxB", len(seg), ph_proto)
    c = csum16(ph + seg[:cov]) or 0xffff
    seg = struct.pack("!HHHH", sport, dport, coverage, c) + payload
    return (ETH_R if rev else ETH).copy() / IPv6(src=src, dst=dst, nh=136) / Raw(seg)


def frag4(src, dst, ident, proto, l4, pieces, rev=False, ttl=64):
    """IPv4 fragments of the L4 bytes l4: pieces = [(offset_bytes, length, mf), ...]."""
    out = []
    for off, ln, mf in pieces:
        out.append((ETH_R if rev else ETH) / IP(src=src, dst=dst, id=ident, proto=proto, ttl=ttl,
                                                flags="MF" if mf else 0, frag=off // 8) / Raw(l4[off:off + ln]))
    return out


def l4bytes(pkt):
    """The L4 bytes (with a correct checksum) of an IP()/L4 packet."""
    b = raw(pkt)
    return b[(b[0] & 15) * 4:]


def frag6(src, dst, ident, nh, l4, pieces, pre=(), rev=False):
    """IPv6 fragments: pre = extension headers placed before the fragment header."""
    out = []
    for off, ln, mf in pieces:
        p = IPv6(src=src, dst=dst)
        for h in pre:
            p = p / h.copy()
        p = p / IPv6ExtHdrFragment(nh=nh, offset=off // 8, m=1 if mf else 0, id=ident) / Raw(l4[off:off + ln])
        out.append((ETH_R if rev else ETH) / p)
    return out


def l4bytes6(pkt):
    b = raw(pkt)
    return b[40:]


# ============================================================================ 802.1Q / QinQ
@case("vlan_8021q_tcp", "TCP handshake, data and close inside 802.1Q VLAN 100 tags (both directions)")
def _():
    t = Tcp(cport=41000, l2=Ether(src=MAC_C, dst=MAC_S) / Dot1Q(vlan=100),
            l2r=Ether(src=MAC_S, dst=MAC_C) / Dot1Q(vlan=100))
    return t.handshake() + [t.c("PA", b"GET / HTTP/1.0\r\n\r\n"), t.s("PA", b"HTTP/1.0 200 OK\r\n\r\n")] + t.close()


@case("vlan_qinq_udp", "QinQ (802.1ad 0x88a8 outer + 802.1Q inner) UDP and ICMP echo, both directions")
def _():
    o = Ether(src=MAC_C, dst=MAC_S) / Dot1AD(vlan=10) / Dot1Q(vlan=20)
    r = Ether(src=MAC_S, dst=MAC_C) / Dot1AD(vlan=10) / Dot1Q(vlan=20)
    return [o / IP(src=C4, dst=S4) / UDP(sport=41001, dport=53) / Raw(b"q" * 20),
            r / IP(src=S4, dst=C4) / UDP(sport=53, dport=41001) / Raw(b"r" * 40),
            o / IP(src=C4, dst=S4) / ICMP(type=8, id=5, seq=1) / Raw(b"p" * 32),
            r / IP(src=S4, dst=C4) / ICMP(type=0, id=5, seq=1) / Raw(b"p" * 32)]


@case("vlan_mixed_tags", "one flow whose packets carry different tags (VLAN 10, none, 8100/8100 double, "
      "VLAN 20): tags are ignored, single zone, same entry; IPv6 in a VLAN tag")
def _():
    a = IP(src=C4, dst=S4) / UDP(sport=41002, dport=9000) / Raw(b"a" * 10)
    b = IP(src=S4, dst=C4) / UDP(sport=9000, dport=41002) / Raw(b"b" * 10)
    v6 = IPv6(src=C6, dst=S6) / UDP(sport=41003, dport=9000) / Raw(b"c" * 10)
    v6r = IPv6(src=S6, dst=C6) / UDP(sport=9000, dport=41003) / Raw(b"d" * 10)
    return [Ether(src=MAC_C, dst=MAC_S) / Dot1Q(vlan=10) / a,
            ETH_R / b,
            Ether(src=MAC_C, dst=MAC_S) / Dot1Q(vlan=10) / Dot1Q(vlan=11) / a,
            Ether(src=MAC_S, dst=MAC_C) / Dot1Q(vlan=20, prio=5) / b,
            Ether(src=MAC_C, dst=MAC_S) / Dot1Q(vlan=30) / v6,
            Ether(src=MAC_S, dst=MAC_C) / Dot1Q(vlan=30) / v6r]


@case("vlan_nonip", "non-IP frames (ARP, ARP in 802.1Q, LLDP, IPX-like) are SKIPPED around a UDP exchange")
def _():
    return [Ether(src=MAC_C, dst="ff:ff:ff:ff:ff:ff") / ARP(psrc=C4, pdst=S4, hwsrc=MAC_C),
            udp(C4, S4, 41004, 7, b"echo"),
            Ether(src=MAC_C, dst="ff:ff:ff:ff:ff:ff") / Dot1Q(vlan=5) / ARP(psrc=C4, pdst=S4, hwsrc=MAC_C),
            Ether(src=MAC_C, dst="01:80:c2:00:00:0e", type=0x88cc) / Raw(b"\x02\x07\x04" + b"\0" * 40),
            Ether(src=MAC_C, dst=MAC_S, type=0x8137) / Raw(b"\xff\xff" + b"\0" * 40),
            udp(S4, C4, 7, 41004, b"echo", rev=True)]


# ============================================================================ IPv4 options
@case("ipv4_opt_rr", "IPv4 record-route option on UDP both ways and on a TCP handshake")
def _():
    rr = [IPOption_RR(routers=["0.0.0.0"] * 4)]
    t = Tcp(cport=41010)
    syn = ETH / IP(src=C4, dst=S4, options=rr) / t.seg("c", "S")
    sa = ETH_R / IP(src=S4, dst=C4, options=rr) / t.seg("s", "SA")
    ack = ETH / IP(src=C4, dst=S4) / t.seg("c", "A")
    return [ETH / IP(src=C4, dst=S4, options=rr) / UDP(sport=41011, dport=53) / Raw(b"q" * 12),
            ETH_R / IP(src=S4, dst=C4, options=rr) / UDP(sport=53, dport=41011) / Raw(b"r" * 12),
            syn, sa, ack]


@case("ipv4_opt_ts", "IPv4 timestamp option (and router-alert, NOP/EOL padding) on ICMP echo and UDP")
def _():
    ts = b"\x44\x0c\x05\x00" + b"\0" * 8                 # timestamp option, room for 2 stamps
    ra = b"\x94\x04\x00\x00\x01\x01\x01\x00"              # router alert, NOP x3, EOL
    return [ether_ip_bytes(ip_with_opts(IP(src=C4, dst=S4) / ICMP(type=8, id=11, seq=1) / Raw(b"t" * 16), ts)),
            ether_ip_bytes(ip_with_opts(IP(src=S4, dst=C4) / ICMP(type=0, id=11, seq=1) / Raw(b"t" * 16), ts), rev=True),
            ether_ip_bytes(ip_with_opts(IP(src=C4, dst=S4) / UDP(sport=41012, dport=5353) / Raw(b"u" * 8), ra)),
            ETH_R / IP(src=S4, dst=C4) / UDP(sport=5353, dport=41012) / Raw(b"v" * 8)]


@case("ipv4_opt_lsrr", "IPv4 loose source route option: classified (NEW) but the router drops it after "
      "prerouting (accept_source_route=0) -> NOT-FORWARDED, entry unconfirmed, next packet NEW again")
def _():
    lsrr = b"\x83\x07\x04" + bytes(map(int, R4.split("."))) + b"\x01"     # LSRR via R4, then NOP

    def q(sport=41013):
        return IP(src=C4, dst=S4) / UDP(sport=sport, dport=69) / Raw(b"q" * 8)
    return [ether_ip_bytes(ip_with_opts(q(), lsrr)), ether_ip_bytes(ip_with_opts(q(), lsrr)), ETH / q(),
            ETH_R / IP(src=S4, dst=C4) / UDP(sport=69, dport=41013) / Raw(b"r" * 8)]


@case("ipv4_opt_unknown", "IPv4 with an unknown option type 0x9e (copied flag) and a malformed option length")
def _():
    good = ether_ip_bytes(ip_with_opts(IP(src=C4, dst=S4) / UDP(sport=41014, dport=7) / Raw(b"k"), b"\x9e\x04\x00\x00"))
    bad = ether_ip_bytes(ip_with_opts(IP(src=C4, dst=S4) / UDP(sport=41015, dport=7) / Raw(b"k"), b"\x07\x28\x04\x00"))
    return [good, udp(S4, C4, 7, 41014, b"k", rev=True), bad, udp(C4, S4, 41015, 7, b"k")]


# ============================================================================ IPv6 extension headers
@case("ipv6_ext_hbh_tcp", "IPv6 hop-by-hop options (router alert + PadN) before TCP: full handshake and close")
def _():
    t = Tcp(c=C6, s=S6, cport=41020, sport=80)
    hbh = IPv6ExtHdrHopByHop(options=[RouterAlert(value=0), PadN(optdata=b"")])
    out = []
    for i, (frm, fl, d) in enumerate([("c", "S", b""), ("s", "SA", b""), ("c", "A", b""), ("c", "PA", b"x" * 40),
                                      ("s", "A", b""), ("c", "FA", b""), ("s", "FA", b""), ("c", "A", b"")]):
        l2 = ETH if frm == "c" else ETH_R
        l3 = t.l3(frm)
        out.append(l2 / l3 / (hbh if i % 2 == 0 else IPv6ExtHdrDestOpt()) / t.seg(frm, fl, d))
    return out


@case("ipv6_ext_dstopt_udp", "IPv6 destination options header (two of them) before UDP request and reply")
def _():
    return [ETH / IPv6(src=C6, dst=S6) / IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * 4)]) /
            UDP(sport=41021, dport=53) / Raw(b"q" * 20),
            ETH_R / IPv6(src=S6, dst=C6) / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() /
            UDP(sport=53, dport=41021) / Raw(b"r" * 20)]


@case("ipv6_ext_routing", "IPv6 routing headers type 0 and type 2 with segments-left 0 before UDP; "
      "type 0 with segments-left 1 (not processed by a transit router)")
def _():
    return [ETH / IPv6(src=C6, dst=S6) / IPv6ExtHdrRouting(type=0, segleft=0, addresses=[R6]) /
            UDP(sport=41022, dport=5000) / Raw(b"a" * 10),
            ETH_R / IPv6(src=S6, dst=C6) / IPv6ExtHdrRouting(type=2, segleft=0, addresses=["2001:db8:3::3"]) /
            UDP(sport=5000, dport=41022) / Raw(b"b" * 10),
            ETH / IPv6(src=C6, dst=S6) / IPv6ExtHdrRouting(type=0, segleft=1, addresses=[R6]) /
            UDP(sport=41023, dport=5000) / Raw(b"c" * 10),
            ETH_R / IPv6(src=S6, dst=C6) / UDP(sport=5000, dport=41023) / Raw(b"d" * 10)]


@case("ipv6_ext_chain_icmp6", "IPv6 chain hop-by-hop + dest-opts + routing(segleft 0) + dest-opts before "
      "ICMPv6 echo request/reply and before UDP")
def _():
    def chain():
        return (IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() /
                IPv6ExtHdrRouting(type=0, segleft=0, addresses=[]) / IPv6ExtHdrDestOpt())
    return [ETH / IPv6(src=C6, dst=S6) / chain() / ICMPv6EchoRequest(id=21, seq=1, data=b"e" * 16),
            ETH_R / IPv6(src=S6, dst=C6) / chain() / ICMPv6EchoReply(id=21, seq=1, data=b"e" * 16),
            ETH / IPv6(src=C6, dst=S6) / chain() / UDP(sport=41024, dport=6000) / Raw(b"u" * 4),
            ETH_R / IPv6(src=S6, dst=C6) / UDP(sport=6000, dport=41024) / Raw(b"w" * 4)]


@case("ipv6_ext_ah_tcp", "IPv6 AH header before TCP (handshake) and before UDP; ESP alone is generic")
def _():
    t = Tcp(c=C6, s=S6, cport=41025, sport=22)

    def ah(frm, spi, seq, l4):     # L4 bytes with a checksum over the real addresses, behind AH
        src, dst = (C6, S6) if frm == "c" else (S6, C6)
        body = l4bytes6(IPv6(src=src, dst=dst) / l4)
        return (ETH if frm == "c" else ETH_R) / IPv6(src=src, dst=dst) / \
            AH(spi=spi, seq=seq, icv=b"\0" * 12, nh=6 if TCP in l4 else 17, payloadlen=4) / Raw(body)
    return [ah("c", 0x100, 1, t.seg("c", "S")), ah("s", 0x200, 1, t.seg("s", "SA")), ah("c", 0x100, 2, t.seg("c", "A")),
            ah("c", 0x100, 3, UDP(sport=41026, dport=500) / Raw(b"ike")),
            ETH / IPv6(src=C6, dst=S6) / ESP(spi=0x300, seq=1) / Raw(b"\0" * 32)]


@case("ipv6_ext_nonext", "IPv6 hop-by-hop followed by no-next-header (59), and a bare IPv6 with nh=59")
def _():
    return [ETH / IPv6(src=C6, dst=S6) / IPv6ExtHdrHopByHop(nh=59) / Raw(b"\0" * 8),
            ETH_R / IPv6(src=S6, dst=C6, nh=59),
            ETH / IPv6(src=C6, dst=S6, nh=59)]


# ============================================================================ TCP
@case("tcp_wscale_both", "window scaling on both SYNs (7 and 9): data within the scaled window, then a segment 900 kB ahead (more than expected) and the resulting close")
def _():
    t = Tcp(cport=41030, win=1000)
    p = t.handshake(copts=[("MSS", 1460), ("WScale", 7)], sopts=[("MSS", 1460), ("WScale", 9)])
    p += [t.s("A"), t.c("PA", b"a" * 1200), t.c("PA", b"b" * 1200), t.s("A"), t.s("PA", b"c" * 1400),
          t.c("PA", b"d" * 1000, seq=t.nxt["c"] + 60000), t.c("A"), t.c("PA", b"e" * 100, seq=t.nxt["c"] + 900000)]
    return p + t.close()


@case("tcp_wscale_one", "only the SYN carries window scale: scaling is off both ways, so data beyond "
      "the unscaled 1000-byte window is out of window")
def _():
    t = Tcp(cport=41031, win=1000)
    p = t.handshake(copts=[("MSS", 1460), ("WScale", 7)], sopts=[("MSS", 1460)])
    p += [t.c("PA", b"a" * 900), t.s("A"), t.c("PA", b"b" * 1000, seq=t.nxt["c"] + 60000),
          t.c("PA", b"c" * 50)]
    t2 = Tcp(cport=41032, win=1000)     # the reverse: only the SYN/ACK has wscale
    p += t2.handshake(copts=[("MSS", 1460)], sopts=[("WScale", 7)])
    p += [t2.s("PA", b"e" * 1000, seq=t2.nxt["s"] + 60000), t2.s("PA", b"f" * 10)]
    return p


@case("tcp_sack", "SACK-permitted in both SYNs; SACK blocks acknowledging out-of-order data, then a "
      "SACK block beyond anything sent (ACK over upper bound?)")
def _():
    t = Tcp(cport=41033)
    p = t.handshake(copts=[("MSS", 1460), ("SAckOK", b"")], sopts=[("MSS", 1460), ("SAckOK", b"")])
    base = t.nxt["c"]
    p += [t.c("PA", b"1" * 500), t.c("PA", b"2" * 500), t.c("PA", b"3" * 500)]
    p += [t.s("A", ack=base + 500, options=[("NOP", None), ("NOP", None), ("SAck", (base + 1000, base + 1500))]),
          t.c("PA", b"2" * 500, seq=base + 500),
          t.s("A", ack=base + 1500),
          t.s("A", ack=base + 1500, options=[("NOP", None), ("NOP", None), ("SAck", (base + 1500, base + 900000))]),
          t.s("A", ack=base + 1500), t.c("PA", b"4" * 10)]
    return p


@case("tcp_sack_no_permit", "SACK blocks in ACKs although SACK-permitted was not negotiated")
def _():
    t = Tcp(cport=41034)
    p = t.handshake()
    base = t.nxt["c"]
    p += [t.c("PA", b"1" * 500), t.c("PA", b"2" * 500),
          t.s("A", ack=base, options=[("NOP", None), ("NOP", None), ("SAck", (base + 500, base + 1000))]),
          t.s("A", ack=base + 1000)]
    return p + t.close()


@case("tcp_simultaneous_open", "simultaneous open: SYN both ways (SYN_SENT2), then SYN/ACKs and ACKs")
def _():
    t = Tcp(cport=41035, sport=41036)
    return [t.c("S"), t.s("S"), t.c("SA", seq=t.nxt["c"] - 1), t.s("SA", seq=t.nxt["s"] - 1),
            t.c("A"), t.s("A"), t.c("PA", b"hi"), t.s("PA", b"yo")]


@case("tcp_synack_retrans", "SYN/ACK retransmitted twice before the final ACK; SYN retransmitted after SYN/ACK")
def _():
    t = Tcp(cport=41037)
    p = [t.c("S"), t.s("SA")]
    p += [t.s("SA", seq=t.nxt["s"] - 1), t.c("S", seq=t.nxt["c"] - 1), t.s("SA", seq=t.nxt["s"] - 1), t.c("A"),
          t.c("PA", b"z" * 10)]
    return p


@case("tcp_data_before_ack", "data before the handshake completes: client data in the 3rd packet, server "
      "data before the client's ACK, and client data right after its SYN")
def _():
    t = Tcp(cport=41038)
    p = [t.c("S"), t.s("SA"), t.c("PA", b"early" * 4), t.s("PA", b"srv")]
    t2 = Tcp(cport=41039)
    p += [t2.c("S"), t2.s("SA"), t2.s("PA", b"banner\r\n"), t2.c("A"), t2.c("A")]
    t3 = Tcp(cport=41040)
    p += [t3.c("S"), t3.c("PA", b"tooearly", ack=0), t3.s("SA"), t3.c("A")]
    return p


@case("tcp_syn_with_data", "SYN carrying 20 bytes of payload (TFO-like), SYN/ACK acking it")
def _():
    t = Tcp(cport=41041)
    syn = t.c("S", b"d" * 20)
    return [syn, t.s("SA"), t.c("A"), t.c("PA", b"more")]


@case("tcp_fin_in_syn_recv", "FIN from the client while the entry is in SYN_RECV; and FIN from the server "
      "right after its SYN/ACK")
def _():
    t = Tcp(cport=41042)
    p = [t.c("S"), t.s("SA"), t.c("FA"), t.s("FA"), t.c("A")]
    t2 = Tcp(cport=41043)
    p += [t2.c("S"), t2.s("SA"), t2.s("FA"), t2.c("A"), t2.c("FA"), t2.s("A")]
    return p


@case("tcp_rst_each_state", "RST (exact seq) in SYN_SENT (orig), SYN_RECV, ESTABLISHED, FIN_WAIT, "
      "CLOSE_WAIT, LAST_ACK and TIME_WAIT, one flow each")
def _():
    p = []
    t = Tcp(cport=41050); p += [t.c("S"), t.c("R", seq=t.nxt["c"])]
    t = Tcp(cport=41051); p += [t.c("S"), t.s("SA"), t.c("R")]
    t = Tcp(cport=41052); p += t.handshake() + [t.s("R")]
    t = Tcp(cport=41053); p += t.handshake() + [t.c("FA"), t.s("RA")]
    t = Tcp(cport=41054); p += t.handshake() + [t.c("FA"), t.s("A"), t.c("R")]
    t = Tcp(cport=41055); p += t.handshake() + [t.c("FA"), t.s("FA"), t.s("R", seq=t.nxt["s"])]
    t = Tcp(cport=41056); p += t.handshake() + t.close() + [t.s("R")]
    return p


@case("tcp_rst_inexact", "in-window RST whose seq is not the expected one (challenge-ACK case), "
      "then the exact RST; RST/ACK from the server with the last ack")
def _():
    t = Tcp(cport=41057)
    p = t.handshake() + [t.c("PA", b"x" * 100), t.s("A")]
    p += [t.s("R", seq=t.nxt["s"] + 1000), t.c("A"), t.s("R", seq=t.nxt["s"] + 1000), t.s("R")]
    t2 = Tcp(cport=41058)
    p += t2.handshake() + [t2.c("PA", b"y" * 10), t2.c("RA", seq=t2.nxt["c"] + 5)]
    return p


@case("tcp_rst_before_maxack", "RST with seq below what the peer already acknowledged (invalid RST), "
      "RST answering a SYN with a wrong ack, and RST in SYN_SENT from the server without ACK")
def _():
    t = Tcp(cport=41059)
    p = t.handshake() + [t.s("PA", b"x" * 1000), t.c("A"), t.s("R", seq=t.nxt["s"] - 900), t.s("PA", b"y")]
    t2 = Tcp(cport=41060)
    p += [t2.c("S"), t2.s("RA", seq=0, ack=t2.nxt["c"] + 77), t2.s("RA", seq=0)]
    t3 = Tcp(cport=41061)
    p += [t3.c("S"), t3.s("R", seq=0)]
    return p


@case("tcp_ack_unseen_data", "ACK acknowledging data never sent (ACK over upper bound) from both sides")
def _():
    t = Tcp(cport=41062)
    p = t.handshake() + [t.c("PA", b"x" * 100)]
    p += [t.s("A", ack=t.nxt["c"] + 500000), t.s("A"), t.c("A", ack=t.nxt["s"] + 2000000), t.c("PA", b"ok")]
    return p


@case("tcp_zero_window", "receiver advertises a zero window; 1-byte window probes; window update")
def _():
    t = Tcp(cport=41063)
    p = t.handshake() + [t.c("PA", b"x" * 1000), t.s("A", win=0)]
    probe_seq = t.nxt["c"]
    p += [t.c("PA", b"y", seq=probe_seq), t.s("A", win=0), t.c("PA", b"y", seq=probe_seq),
          t.c("PA", b"zz" * 100, seq=probe_seq), t.s("A", win=8192), t.c("PA", b"y" * 100, seq=probe_seq),
          t.s("A")]
    return p


@case("tcp_retrans_many", "the same data segment retransmitted 4 times and a FIN retransmitted 3 times "
      "(retrans counter, max_retrans)")
def _():
    t = Tcp(cport=41064)
    p = t.handshake()
    s0 = t.nxt["c"]
    p += [t.c("PA", b"r" * 300)] + [t.c("PA", b"r" * 300, seq=s0) for _ in range(4)] + [t.s("A")]
    f0 = t.nxt["c"]
    p += [t.c("FA")] + [t.c("FA", seq=f0) for _ in range(3)] + [t.s("FA"), t.c("A")]
    return p


@case("tcp_reopen_time_wait", "SYN in TIME_WAIT: from the client with a higher seq (reopen), from the server "
      "(reverse direction), and SYN in CLOSE after a RST")
def _():
    t = Tcp(cport=41065)
    p = t.handshake() + t.close()
    t2 = Tcp(cport=41065, cseq=t.nxt["c"] + 100000, sseq=9000000)
    p += t2.handshake() + [t2.c("PA", b"again")]
    t3 = Tcp(cport=41066)
    p += t3.handshake() + t3.close()
    t4 = Tcp(c=S4, s=C4, cport=41066 and 80, sport=41066, cseq=333333, sseq=444444, l2=ETH_R, l2r=ETH)
    p += [t4.c("S"), t4.s("SA"), t4.c("A")]
    t5 = Tcp(cport=41067)
    p += t5.handshake() + [t5.c("R")]
    t6 = Tcp(cport=41067, cseq=77777, sseq=88888)
    p += t6.handshake()
    return p


@case("tcp_syn_after_rst_lowseq", "SYN after RST and after TIME_WAIT with a LOWER initial seq than before")
def _():
    t = Tcp(cport=41068, cseq=5000000)
    p = t.handshake() + [t.s("R")]
    t2 = Tcp(cport=41068, cseq=10, sseq=20)
    p += t2.handshake() + t2.close()
    t3 = Tcp(cport=41068, cseq=5, sseq=30)
    p += t3.handshake()
    return p


@case("tcp_keepalive", "keepalive probes (seq = snd_nxt - 1, 0 and 1 byte) and their ACKs")
def _():
    t = Tcp(cport=41069)
    p = t.handshake() + [t.c("PA", b"x" * 10), t.s("A")]
    p += [t.c("A", seq=t.nxt["c"] - 1), t.s("A"), t.c("A", b"\0", seq=t.nxt["c"] - 1), t.s("A"),
          t.s("A", seq=t.nxt["s"] - 1), t.c("A")]
    return p


@case("tcp_flag_combos", "flag combinations: URG/ECE/CWR/PSH variants (valid), FIN alone, XMAS, "
      "FIN+RST, SYN+ACK+FIN, RST+PSH+ACK")
def _():
    t = Tcp(cport=41070)
    p = [t.c("SEC")] + [t.s("SAE"), t.c("AC"), t.c("PAU", b"u" * 5), t.s("AE"), t.c("PAEC", b"e" * 3)]
    p += [t.c("F", seq=t.nxt["c"]), t.c("FSRPAU", seq=t.nxt["c"]), t.c("FR", seq=t.nxt["c"]),
          t.c("FSA", seq=t.nxt["c"]), t.c("U", seq=t.nxt["c"]), t.c("P", seq=t.nxt["c"])]
    p += [t.s("RPA")]
    return p


@case("tcp_ipv6_lifecycle", "TCP over IPv6: wscale+SACK+timestamps options, data both ways, half close with "
      "data after FIN, final ACK, then a RST on the TIME_WAIT entry")
def _():
    t = Tcp(c=C6, s=S6, cport=41071, sport=443)
    o = [("MSS", 1440), ("SAckOK", b""), ("Timestamp", (100, 0)), ("NOP", None), ("WScale", 7)]
    p = t.handshake(copts=o, sopts=[("MSS", 1440), ("SAckOK", b""), ("Timestamp", (200, 100)), ("NOP", None),
                                    ("WScale", 8)])
    p += [t.c("PA", b"c" * 700), t.s("A"), t.s("PA", b"s" * 1200), t.c("A"), t.c("FA"), t.s("A"),
          t.s("PA", b"t" * 300), t.c("A"), t.s("FA"), t.c("A"), t.c("R")]
    return p


@case("tcp_synack_bad_ack", "SYN/ACK with a wrong ack number, a bare ACK answering a SYN, then the right SYN/ACK")
def _():
    t = Tcp(cport=41072)
    return [t.c("S"), t.s("SA", ack=t.nxt["c"] + 1000, seq=t.nxt["s"]), t.s("A", seq=t.nxt["s"]),
            t.s("SA"), t.c("A")]


@case("tcp_half_close_data", "client FIN, the server keeps sending data (CLOSE_WAIT), client ACKs, "
      "server FIN, last ACK")
def _():
    t = Tcp(cport=41073)
    p = t.handshake() + [t.c("FA"), t.s("A")]
    for i in range(3):
        p += [t.s("PA", bytes([65 + i]) * 400), t.c("A")]
    return p + [t.s("FA"), t.c("A")]


@case("tcp_loose0_lifecycle", "tcp_loose=0: normal handshake works; a mid-stream ACK of another flow is INVALID",
      args=["--tcp-loose", "0"])
def _():
    t = Tcp(cport=41074)
    p = t.handshake() + [t.c("PA", b"ok"), t.s("A")]
    t2 = Tcp(cport=41075)
    p += [t2.c("A"), t2.s("PA", b"x"), t2.c("S"), t2.s("SA"), t2.c("A")]
    return p + t.close()


@case("tcp_liberal_rst", "tcp_be_liberal=1: out-of-window data accepted, out-of-window RST still INVALID",
      args=["--tcp-be-liberal", "1"])
def _():
    t = Tcp(cport=41076)
    p = t.handshake() + [t.c("PA", b"d" * 10, seq=t.nxt["c"] + 9000000), t.s("R", seq=t.nxt["s"] + 9000000),
                         t.s("A", ack=t.nxt["c"] + 9000000), t.s("R")]
    return p


@case("tcp_ignore_invalid_rst", "nf_conntrack_tcp_ignore_invalid_rst=1 via --sysctl: out-of-window RST is not "
      "INVALID", args=["--sysctl", "nf_conntrack_tcp_ignore_invalid_rst=1"])
def _():
    t = Tcp(cport=41077)
    return t.handshake() + [t.s("R", seq=t.nxt["s"] + 9000000), t.c("PA", b"alive"), t.s("R")]


@case("tcp_checksum_variants", "TCP bad checksum on data and on RST in an established flow; IPv6 TCP bad checksum")
def _():
    t = Tcp(cport=41078)
    p = t.handshake() + [t.c("PA", b"good")]
    p += [t.c("PA", b"bad!", chksum=0x1111, seq=t.nxt["c"]), t.s("R", chksum=0x2222, seq=t.nxt["s"]),
          t.s("A")]
    t6 = Tcp(c=C6, s=S6, cport=41079)
    p += [t6.c("S", chksum=0x3333, seq=t6.nxt["c"]), t6.c("S")]
    return p


@case("tcp_short_header", "TCP with data offset < 5, data offset beyond the packet, and a 10-byte TCP header")
def _():
    t = Tcp(cport=41080)
    a = t.c("S")
    a[TCP].dataofs = 4
    b = t.c("S")
    b[TCP].dataofs = 15
    c = ETH / IP(src=C4, dst=S4, proto=6) / Raw(struct.pack("!HHI", 41081, 80, 1) + b"\x50\x02")
    return [a, b, c, t.c("S")]


@case("tcp_mss_options_weird", "SYNs with odd options: bad option length, EOL in the middle, unknown kinds; "
      "the handshake still completes")
def _():
    t = Tcp(cport=41082)
    syn = t.c("S", options=[("NOP", None), (30, b"\x01\x02"), ("EOL", None)])
    sa = t.s("SA", options=[("WScale", 14), (253, b"ab")])
    return [syn, sa, t.c("A"), t.c("PA", b"x" * 2000), t.s("A")]


@case("tcp_window_shrink", "receiver shrinks its window; sender overshoots the new window slightly")
def _():
    t = Tcp(cport=41083, win=20000)
    p = t.handshake() + [t.c("PA", b"a" * 1000), t.s("A", win=2000), t.c("PA", b"b" * 1000),
                         t.c("PA", b"c" * 1500), t.c("PA", b"d" * 20000), t.s("A", win=20000)]
    return p


@case("tcp_many_flows", "30 TCP flows to 3 servers interleaved (entry numbering), half of them answered")
def _():
    rnd = random.Random(4711)
    flows = []
    for i in range(30):
        t = Tcp(cport=42000 + i, s=[S4, S4B, "198.51.100.77"][i % 3], sport=[80, 443, 25][i % 3],
                cseq=rnd.randrange(1, 2**32), sseq=rnd.randrange(1, 2**32))
        pk = [t.c("S")]
        if i % 2 == 0:
            pk += [t.s("SA"), t.c("A"), t.c("PA", b"q" * rnd.randrange(1, 200))]
        flows.append(pk)
    out = []
    while any(flows):
        f = rnd.choice([f for f in flows if f])
        out.append(f.pop(0))
    return out


# ============================================================================ UDP
@case("udp_zero_checksum", "IPv4 UDP with checksum 0 (no checksum, allowed) both ways")
def _():
    return [udp(C4, S4, 41100, 123, b"n" * 48, chksum=0), udp(S4, C4, 123, 41100, b"m" * 48, rev=True, chksum=0)]


@case("udp_bad_length", "UDP length field larger than the datagram, smaller than 8, smaller than the datagram, "
      "then a correct one")
def _():
    return [udp(C4, S4, 41101, 7, b"x" * 20, len=100), udp(C4, S4, 41102, 7, b"x" * 20, len=4),
            udp(C4, S4, 41103, 7, b"x" * 20, len=18), udp(C4, S4, 41104, 7, b"x" * 20)]


@case("udp_bad_checksum", "UDP with a wrong checksum is INVALID; the correct retry is NEW; IPv6 likewise")
def _():
    return [udp(C4, S4, 41105, 53, b"q" * 20, chksum=0xdead), udp(C4, S4, 41105, 53, b"q" * 20),
            udp(S4, C4, 53, 41105, b"r" * 20, rev=True, chksum=0xbeef), udp(S4, C4, 53, 41105, b"r" * 20, rev=True),
            udp(C6, S6, 41105, 53, b"q" * 20, chksum=0xdead), udp(C6, S6, 41105, 53, b"q" * 20)]


@case("udp_bad_checksum_nocheck", "the same packets as udp_bad_checksum with checksum verification off",
      args=["--checksum", "0"])
def _():
    return CASE_FN["udp_bad_checksum"]()


@case("udp6_zero_checksum", "IPv6 UDP with checksum 0 (forbidden in IPv6), then a correct one")
def _():
    return [udp(C6, S6, 41106, 53, b"z" * 10, chksum=0), udp(C6, S6, 41106, 53, b"z" * 10),
            udp(S6, C6, 53, 41106, b"y" * 10, rev=True, chksum=0), udp(S6, C6, 53, 41106, b"y" * 10, rev=True)]


def udplite_packets(ph):
    pl = b"L" * 32
    return [udplite4(C4, S4, 41107, 5004, pl, 0, ph_proto=ph), udplite4(S4, C4, 5004, 41107, pl, 0, rev=True, ph_proto=ph),
            udplite4(C4, S4, 41108, 5004, pl, 8, ph_proto=ph), udplite4(C4, S4, 41109, 5004, pl, 40, ph_proto=ph),
            udplite4(C4, S4, 41110, 5004, pl, 4, ph_proto=ph), udplite4(C4, S4, 41111, 5004, pl, 200, ph_proto=ph),
            udplite4(C4, S4, 41112, 5004, pl, 0, bad_csum=True, ph_proto=ph),
            udplite6(C6, S6, 41113, 5004, pl, 8, ph_proto=ph), udplite6(S6, C6, 5004, 41113, pl, 8, rev=True, ph_proto=ph)]


@case("udplite", "UDP-Lite (proto 136) with RFC 3828 checksums (pseudo-header protocol 136): coverage 0 (whole), "
      "8 (header only), full length, 4 (invalid), > length (invalid), bad checksum; IPv6 coverage 8 + reply. "
      "The kernel verifies UDP-Lite with protocol 17 in the pseudo-header, so these are INVALID")
def _():
    return udplite_packets(136)


@case("udplite_csum17", "the udplite packets with checksums computed over a protocol-17 pseudo-header "
      "(what nf_conntrack's nf_checksum_partial(..., IPPROTO_UDP) verifies): tracked like UDP")
def _():
    return udplite_packets(17)


@case("udplite_nocheck", "the RFC-correct udplite packets with --checksum 0: only the coverage checks remain",
      args=["--checksum", "0"])
def _():
    return udplite_packets(136)


@case("udp_ipv6_req_resp", "IPv6 UDP request/response/request, and a second flow")
def _():
    return [udp(C6, S6, 41114, 53, b"q" * 30), udp(S6, C6, 53, 41114, b"r" * 90, rev=True), udp(C6, S6, 41114, 53),
            udp(C6, S6, 41115, 123), udp(S6, C6, 123, 41115, rev=True)]


@case("udp_bcast_mcast", "UDP to 255.255.255.255, to 224.0.0.251 (mDNS), from 0.0.0.0 (DHCP), IPv6 to ff02::fb "
      "from fe80::1, and a unicast reply to the mDNS query")
def _():
    return [udp(C4, "255.255.255.255", 41116, 9), udp("0.0.0.0", "255.255.255.255", 68, 67, b"\1" * 240),
            udp(C4, "224.0.0.251", 5353, 5353), udp(S4, C4, 5353, 5353, rev=True),
            udp("fe80::1", "ff02::fb", 5353, 5353)]


@case("udp_port_zero", "UDP with source port 0 and with destination port 0, and their replies")
def _():
    return [udp(C4, S4, 0, 7777), udp(S4, C4, 7777, 0, rev=True), udp(C4, S4, 41117, 0), udp(S4, C4, 0, 41117, rev=True)]


@case("udp_many_flows", "40 UDP flows (DNS-like), replies to every third, repeated queries")
def _():
    rnd = random.Random(99)
    out = []
    for i in range(40):
        out.append(udp(C4 if i % 2 else C4B, S4, 43000 + i, 53, b"q" * rnd.randrange(10, 60)))
        if i % 3 == 0:
            out.append(udp(S4, C4 if i % 2 else C4B, 53, 43000 + i, b"r" * 80, rev=True))
        if i % 7 == 0:
            out.append(udp(C4 if i % 2 else C4B, S4, 43000 + i, 53, b"again"))
    return out


@case("udp_timeout_expiry", "UDP timeout 2 s (--sysctl): request, reply, 3 s pause, the reply again finds no "
      "entry (NEW in reply direction) and the request is NEW", args=["--timing", "pcap", "--sysctl",
                                                                      "nf_conntrack_udp_timeout=2"])
def _():
    return [(0.0, udp(C4, S4, 41118, 53)), (0.1, udp(S4, C4, 53, 41118, rev=True)),
            (1.0, udp(C4, S4, 41118, 53)), (4.0, udp(S4, C4, 53, 41118, rev=True)),
            (4.1, udp(C4, S4, 41118, 53))]


@case("udp_stream_timeout", "UDP stream: ASSURED after 2.5 s with udp_timeout_stream=3; a packet within 3 s "
      "keeps it, a 3.5 s pause expires it", args=["--timing", "pcap", "--sysctl", "nf_conntrack_udp_timeout_stream=3"])
def _():
    return [(0.0, udp(C4, S4, 41119, 4000)), (0.1, udp(S4, C4, 4000, 41119, rev=True)),
            (2.5, udp(C4, S4, 41119, 4000)), (5.0, udp(S4, C4, 4000, 41119, rev=True)),
            (8.5, udp(C4, S4, 41119, 4000)), (8.6, udp(S4, C4, 4000, 41119, rev=True))]


# ============================================================================ ICMP
@case("icmp_timestamp", "ICMP timestamp request/reply (13/14), then a timestamp reply without request")
def _():
    return [ip4() / ICMP(type=13, id=31, seq=1, ts_ori=1000, ts_rx=0, ts_tx=0),
            ip4(S4, C4, rev=True) / ICMP(type=14, id=31, seq=1, ts_ori=1000, ts_rx=1001, ts_tx=1002),
            ip4(S4, C4, rev=True) / ICMP(type=14, id=32, seq=1, ts_ori=1000, ts_rx=1001, ts_tx=1002)]


@case("icmp_info_request", "ICMP information request/reply (15/16) and an info reply without request")
def _():
    return [ip4() / ICMP(type=15, id=33, seq=1), ip4(S4, C4, rev=True) / ICMP(type=16, id=33, seq=1),
            ip4(S4, C4, rev=True) / ICMP(type=16, id=34, seq=9)]


@case("icmp_addr_mask", "ICMP address mask request/reply (17/18) and a mask reply without request")
def _():
    return [ip4() / ICMP(type=17, id=35, seq=1, addr_mask="0.0.0.0"),
            ip4(S4, C4, rev=True) / ICMP(type=18, id=35, seq=1, addr_mask="255.255.255.0"),
            ip4(S4, C4, rev=True) / ICMP(type=18, id=36, seq=1, addr_mask="255.255.255.0")]


@case("icmp_reply_without_request", "echo reply with no request, echo request after it with the same id, "
      "second reply, echo reply from the client side")
def _():
    return [ip4(S4, C4, rev=True) / ICMP(type=0, id=40, seq=1), ip4() / ICMP(type=8, id=40, seq=2),
            ip4(S4, C4, rev=True) / ICMP(type=0, id=40, seq=2), ip4(S4, C4, rev=True) / ICMP(type=0, id=40, seq=3),
            ip4() / ICMP(type=0, id=40, seq=2)]


@case("icmp_unknown_types", "ICMP types 1, 2, 7 (unassigned), 19, 30, 42, 253 and router adv/solicit (9/10)")
def _():
    return [ip4() / ICMP(type=t, code=0) / Raw(b"\0" * 8) for t in (1, 2, 7, 19, 30, 42, 253, 9, 10)]


@case("icmp_echo_variants", "echo with code 1, echo seq changes, same id from the other side, echo to "
      "broadcast, many ids")
def _():
    out = [ip4() / ICMP(type=8, code=1, id=50, seq=1), ip4(S4, C4, rev=True) / ICMP(type=0, code=1, id=50, seq=1),
           ip4() / ICMP(type=8, id=50, seq=2), ip4(S4, C4, rev=True) / ICMP(type=8, id=50, seq=1),
           ip4(C4, S4) / ICMP(type=0, id=50, seq=1), ip4(C4, "255.255.255.255") / ICMP(type=8, id=51, seq=1)]
    out += [ip4() / ICMP(type=8, id=60 + i, seq=1) for i in range(5)]
    return out


@case("icmp_bad_checksum", "ICMP echo with a wrong checksum: INVALID; ICMP error with a wrong checksum")
def _():
    u = IP(src=C4, dst=S4) / UDP(sport=41120, dport=33434) / Raw(b"t" * 12)
    return [ip4() / ICMP(type=8, id=70, seq=1, chksum=0x1234), ip4() / ICMP(type=8, id=70, seq=1), ETH / u,
            ip4(S4, C4, rev=True) / ICMP(type=3, code=3, chksum=0x4321) / raw(u),
            ip4(S4, C4, rev=True) / ICMP(type=3, code=3) / raw(u)]


@case("icmp_error_truncated_inner", "ICMP errors quoting the IP header + only 8 bytes of TCP (RELATED), "
      "+ 4 bytes of UDP (too short), and only part of the IP header")
def _():
    t = Tcp(cport=41121)
    p = t.handshake()
    inner = raw(IP(src=C4, dst=S4) / t.seg("c", "PA", b"x" * 50))
    u = IP(src=C4, dst=S4) / UDP(sport=41122, dport=161) / Raw(b"s" * 30)
    p += [ETH / u,
          ip4(R4, C4, rev=True) / ICMP(type=11, code=0) / inner[:28],
          ip4(S4, C4, rev=True) / ICMP(type=3, code=3) / raw(u)[:28],
          ip4(S4, C4, rev=True) / ICMP(type=3, code=3) / raw(u)[:24],
          ip4(S4, C4, rev=True) / ICMP(type=3, code=3) / raw(u)[:12]]
    return p


@case("icmp_error_spoofed_outer", "ICMP errors about a tracked UDP flow whose outer destination is not the "
      "flow's source (spoofed): INVALID; the genuine one is RELATED")
def _():
    u = IP(src=C4, dst=S4) / UDP(sport=41123, dport=9) / Raw(b"d" * 10)
    return [ETH / u, ip4(S4, C4B, rev=True) / ICMP(type=3, code=3) / raw(u),
            ip4(R4, S4) / ICMP(type=3, code=1) / raw(u),
            ip4(S4, C4, rev=True) / ICMP(type=3, code=3) / raw(u)]


@case("icmp_error_about_icmp", "ICMP errors quoting a tracked ICMP echo (RELATED), an untracked echo (INVALID), "
      "and an ICMP error quoting an ICMP error (INVALID)")
def _():
    e = IP(src=C4, dst=S4) / ICMP(type=8, id=80, seq=1) / Raw(b"p" * 20)
    e2 = IP(src=C4, dst=S4) / ICMP(type=8, id=81, seq=1) / Raw(b"p" * 20)
    err = IP(src=S4, dst=C4) / ICMP(type=3, code=3) / raw(IP(src=C4, dst=S4) / UDP(sport=1, dport=2))
    return [ETH / e, ip4(R4, C4, rev=True) / ICMP(type=11, code=0) / raw(e),
            ip4(S4, C4, rev=True) / ICMP(type=3, code=1) / raw(e),
            ip4(R4, C4, rev=True) / ICMP(type=11, code=0) / raw(e2),
            ip4(R4, S4) / ICMP(type=3, code=3) / raw(err)]


@case("icmp_error_quoting_fragment", "ICMP errors quoting the first fragment (with UDP header) and a "
      "non-first fragment of a tracked UDP datagram")
def _():
    d = IP(src=C4, dst=S4, id=999) / UDP(sport=41124, dport=7000) / Raw(b"F" * 2000)
    fr = fragment(d, fragsize=1000)
    first, second = raw(fr[0]), raw(fr[1])
    return [ETH / f for f in fr] + [ip4(S4, C4, rev=True) / ICMP(type=3, code=4, nexthopmtu=576) / first[:28],
                                    ip4(S4, C4, rev=True) / ICMP(type=11, code=1) / second[:28],
                                    ip4(S4, C4, rev=True) / ICMP(type=3, code=3) / first[:60]]


@case("icmp_error_kinds_tcp", "ICMP frag-needed, redirect, parameter problem, source quench, host unreachable, "
      "time exceeded in reply direction, all quoting one TCP flow")
def _():
    t = Tcp(cport=41125)
    p = t.handshake() + [t.c("PA", b"x" * 1400)]
    q = raw(IP(src=C4, dst=S4) / t.seg("c", "PA", b"y" * 20, seq=t.nxt["c"]))
    qr = raw(IP(src=S4, dst=C4) / t.seg("s", "A", seq=t.nxt["s"]))
    p += [ip4(R4, C4, rev=True) / ICMP(type=3, code=4, nexthopmtu=1280) / q,
          ip4(R4, C4, rev=True) / ICMP(type=5, code=1, gw=R4) / q,
          ip4(R4, C4, rev=True) / ICMP(type=12, code=0, ptr=20) / q,
          ip4(R4, C4, rev=True) / ICMP(type=4, code=0) / q,
          ip4(R4, C4, rev=True) / ICMP(type=3, code=1) / q,
          ip4(R4, S4) / ICMP(type=11, code=0) / qr, t.s("A")]
    return p


@case("icmp_timeout_expiry", "ICMP timeout 2 s (--sysctl): request/reply, 3 s pause, the reply is INVALID, "
      "a new request is NEW", args=["--timing", "pcap", "--sysctl", "nf_conntrack_icmp_timeout=2"])
def _():
    return [(0.0, ip4() / ICMP(type=8, id=90, seq=1)), (0.1, ip4(S4, C4, rev=True) / ICMP(type=0, id=90, seq=1)),
            (1.5, ip4() / ICMP(type=8, id=90, seq=2)), (4.6, ip4(S4, C4, rev=True) / ICMP(type=0, id=90, seq=2)),
            (4.7, ip4() / ICMP(type=8, id=90, seq=3))]


# ============================================================================ ICMPv6
@case("icmpv6_echo", "ICMPv6 echo request/reply, other id, reply without request, request from the server")
def _():
    return [ip6() / ICMPv6EchoRequest(id=1, seq=1, data=b"a" * 32), ip6(S6, C6, rev=True) / ICMPv6EchoReply(id=1, seq=1, data=b"a" * 32),
            ip6() / ICMPv6EchoRequest(id=2, seq=1), ip6(S6, C6, rev=True) / ICMPv6EchoReply(id=3, seq=1),
            ip6(S6, C6, rev=True) / ICMPv6EchoRequest(id=1, seq=5), ip6() / ICMPv6EchoRequest(id=1, seq=2)]


@case("icmpv6_node_info", "ICMPv6 node information query (139) and response (140), response without query")
def _():
    return [ip6() / ICMPv6NIQueryNOOP(nonce=b"\x01\x02\x03\x04\x05\x06\x07\x08"),
            ip6(S6, C6, rev=True) / ICMPv6NIReplyNOOP(nonce=b"\x01\x02\x03\x04\x05\x06\x07\x08"),
            ip6(S6, C6, rev=True) / ICMPv6NIReplyNOOP(nonce=b"\x09\x02\x03\x04\x05\x06\x07\x08")]


@case("icmpv6_errors_tcp", "ICMPv6 packet-too-big, time-exceeded, param-problem, dest-unreach quoting a "
      "TCP flow (RELATED) and quoting an unknown flow")
def _():
    t = Tcp(c=C6, s=S6, cport=41130, sport=443)
    p = t.handshake() + [t.c("PA", b"x" * 1400)]
    q = raw(IPv6(src=C6, dst=S6) / t.seg("c", "PA", b"x" * 100, seq=t.nxt["c"]))
    unk = raw(IPv6(src=C6, dst=S6) / TCP(sport=1111, dport=2222, flags="S"))
    p += [ip6(R6, C6, rev=True) / ICMPv6PacketTooBig(mtu=1280) / q,
          ip6(R6, C6, rev=True) / ICMPv6TimeExceeded(code=0) / q,
          ip6(S6, C6, rev=True) / ICMPv6ParamProblem(code=0, ptr=6) / q,
          ip6(S6, C6, rev=True) / ICMPv6DestUnreach(code=1) / q,
          ip6(R6, C6, rev=True) / ICMPv6PacketTooBig(mtu=1280) / unk, t.s("A")]
    return p


@case("icmpv6_errors_udp", "ICMPv6 errors quoting a UDP flow: port unreachable, time exceeded with a "
      "truncated quote, an error from the wrong direction, and an error quoting an ICMPv6 echo")
def _():
    u = IPv6(src=C6, dst=S6) / UDP(sport=41131, dport=33434) / Raw(b"p" * 40)
    e = IPv6(src=C6, dst=S6) / ICMPv6EchoRequest(id=7, seq=1)
    return [ETH / u, ip6(S6, C6, rev=True) / ICMPv6DestUnreach(code=4) / raw(u),
            ip6(R6, C6, rev=True) / ICMPv6TimeExceeded(code=0) / raw(u)[:48],
            ip6(R6, S6) / ICMPv6DestUnreach(code=3) / raw(u),
            ETH / e, ip6(R6, C6, rev=True) / ICMPv6TimeExceeded(code=0) / raw(e)]


@case("icmpv6_nd_mld", "ICMPv6 RS, RA, NS, NA, redirect, MLD query/report/done (v1/v2) with hop limit 255/1 "
      "and with hop limit 64")
def _():
    ll_c, ll_s = "fe80::1", "fe80::2"
    out = [ETH / IPv6(src=ll_c, dst="ff02::2", hlim=255) / ICMPv6ND_RS(),
           ETH_R / IPv6(src=ll_s, dst="ff02::1", hlim=255) / ICMPv6ND_RA(),
           ETH / IPv6(src=ll_c, dst="ff02::1:ff00:2", hlim=255) / ICMPv6ND_NS(tgt=ll_s) / ICMPv6NDOptSrcLLAddr(lladdr=MAC_C),
           ETH_R / IPv6(src=ll_s, dst=ll_c, hlim=255) / ICMPv6ND_NA(tgt=ll_s, R=0, S=1, O=1),
           ETH_R / IPv6(src=ll_s, dst=ll_c, hlim=255) / ICMPv6ND_Redirect(tgt="fe80::3", dst=S6),
           ETH / IPv6(src=ll_c, dst="ff02::1", hlim=1) / IPv6ExtHdrHopByHop(options=[RouterAlert()]) / ICMPv6MLQuery(),
           ETH / IPv6(src=ll_c, dst="ff02::fb", hlim=1) / IPv6ExtHdrHopByHop(options=[RouterAlert()]) / ICMPv6MLReport(mladdr="ff02::fb"),
           ETH / IPv6(src=ll_c, dst="ff02::2", hlim=1) / IPv6ExtHdrHopByHop(options=[RouterAlert()]) / ICMPv6MLDone(mladdr="ff02::fb"),
           ETH / IPv6(src=ll_c, dst="ff02::1", hlim=1) / IPv6ExtHdrHopByHop(options=[RouterAlert()]) / ICMPv6MLQuery2(),
           ETH / IPv6(src=ll_c, dst="ff02::16", hlim=1) / IPv6ExtHdrHopByHop(options=[RouterAlert()]) / ICMPv6MLReport2(),
           ETH / IPv6(src=C6, dst=S6, hlim=64) / ICMPv6ND_NS(tgt=S6),
           ETH_R / IPv6(src=S6, dst=C6, hlim=64) / ICMPv6ND_NA(tgt=S6),
           ETH / IPv6(src=C6, dst=S6, hlim=64) / ICMPv6ND_RS(),
           ETH / IPv6(src=C6, dst=S6, hlim=64) / ICMPv6MLQuery()]
    return out


@case("icmpv6_unknown_types", "ICMPv6 unknown/unassigned types 5, 100, 127, 150, 200, 255 and router "
      "renumbering (138), home-agent discovery (144)")
def _():
    return [ip6() / ICMPv6Unknown(type=t, code=0, msgbody=b"\0" * 8) for t in (5, 100, 127, 150, 200, 255, 138, 144)]


@case("icmpv6_bad_checksum", "ICMPv6 echo request with a wrong checksum (INVALID), then the correct one")
def _():
    return [ip6() / ICMPv6EchoRequest(id=9, seq=1, cksum=0x1234), ip6() / ICMPv6EchoRequest(id=9, seq=1),
            ip6(S6, C6, rev=True) / ICMPv6EchoReply(id=9, seq=1)]


@case("icmpv6_timeout_expiry", "ICMPv6 timeout 2 s (--sysctl): echo reply after a 3 s pause is INVALID",
      args=["--timing", "pcap", "--sysctl", "nf_conntrack_icmpv6_timeout=2"])
def _():
    return [(0.0, ip6() / ICMPv6EchoRequest(id=12, seq=1)), (0.2, ip6(S6, C6, rev=True) / ICMPv6EchoReply(id=12, seq=1)),
            (3.5, ip6(S6, C6, rev=True) / ICMPv6EchoReply(id=12, seq=1)), (3.6, ip6() / ICMPv6EchoRequest(id=12, seq=2))]


# ============================================================================ generic protocols
@case("gre_v0", "GRE version 0 (IPv4 in GRE, with key and without) both ways over IPv4 and IPv6")
def _():
    inner = IP(src="10.0.0.1", dst="10.0.0.2") / ICMP(type=8)
    return [ip4() / GRE(proto=0x0800) / inner, ip4(S4, C4, rev=True) / GRE(proto=0x0800) / inner,
            ip4() / GRE(key_present=1, key=42, proto=0x0800) / inner,
            ip4(C4B, S4) / GRE(proto=0x86dd) / Raw(b"\0" * 40),
            ip6() / GRE(proto=0x0800) / inner, ip6(S6, C6, rev=True) / GRE(proto=0x0800) / inner]


def sctp_chunks_lifecycle(c, s, sp, dp, vt_c=0x11111111, vt_s=0x22222222, l2=ETH, l2r=ETH_R):
    def C(tag, *ch):
        pk = l2 / (IPv6(src=c, dst=s) if ":" in c else IP(src=c, dst=s)) / SCTP(sport=sp, dport=dp, tag=tag)
        for x in ch:
            pk = pk / x
        return pk

    def S(tag, *ch):
        pk = l2r / (IPv6(src=s, dst=c) if ":" in c else IP(src=s, dst=c)) / SCTP(sport=dp, dport=sp, tag=tag)
        for x in ch:
            pk = pk / x
        return pk
    return C, S


@case("sctp_lifecycle", "SCTP INIT, INIT-ACK, COOKIE-ECHO, COOKIE-ACK, DATA/SACK, HEARTBEAT, SHUTDOWN, "
      "SHUTDOWN-ACK, SHUTDOWN-COMPLETE")
def _():
    C, S = sctp_chunks_lifecycle(C4, S4, 41140, 38412)
    vc, vs = 0x11111111, 0x22222222
    return [C(0, SCTPChunkInit(init_tag=vc, a_rwnd=65535, n_out_streams=2, n_in_streams=2, init_tsn=100)),
            S(vc, SCTPChunkInitAck(init_tag=vs, a_rwnd=65535, n_out_streams=2, n_in_streams=2, init_tsn=500,
                                   params=[SCTPChunkParamStateCookie(cookie=b"C" * 16)])),
            C(vs, SCTPChunkCookieEcho(cookie=b"C" * 16)), S(vc, SCTPChunkCookieAck()),
            C(vs, SCTPChunkData(tsn=100, stream_id=0, stream_seq=0, proto_id=0, data=b"hello")),
            S(vc, SCTPChunkSACK(cumul_tsn_ack=100, a_rwnd=65535)),
            S(vc, SCTPChunkHeartbeatReq()), C(vs, SCTPChunkHeartbeatAck()),
            C(vs, SCTPChunkShutdown(cumul_tsn_ack=500)), S(vc, SCTPChunkShutdownAck()),
            C(vs, SCTPChunkShutdownComplete())]


@case("sctp_abort_invalid", "SCTP INIT then ABORT; DATA without INIT; INIT with a non-zero vtag; a bad CRC32c; "
      "IPv6 INIT/INIT-ACK")
def _():
    C, S = sctp_chunks_lifecycle(C4, S4, 41141, 5000)
    p = [C(0, SCTPChunkInit(init_tag=0x1234, init_tsn=1)),
         S(0x1234, SCTPChunkInitAck(init_tag=0x5678, init_tsn=9, params=[SCTPChunkParamStateCookie(cookie=b"k" * 8)])),
         S(0x1234, SCTPChunkAbort())]
    C2, S2 = sctp_chunks_lifecycle(C4, S4, 41142, 5000)
    p += [C2(0xaaaa, SCTPChunkData(tsn=1, data=b"x")), C2(0xbbbb, SCTPChunkInit(init_tag=0x99, init_tsn=1))]
    bad = C2(0, SCTPChunkInit(init_tag=0x77, init_tsn=1))
    bad[SCTP].chksum = 0x12345678
    p += [bad]
    C6_, S6_ = sctp_chunks_lifecycle(C6, S6, 41143, 5000)
    p += [C6_(0, SCTPChunkInit(init_tag=0x4444, init_tsn=1)),
          S6_(0x4444, SCTPChunkInitAck(init_tag=0x5555, init_tsn=1, params=[SCTPChunkParamStateCookie(cookie=b"z" * 8)]))]
    return p


@case("esp_ah_alone", "ESP and AH (no transport after them) over IPv4 both ways and ESP over IPv6: generic tracking")
def _():
    return [ip4() / ESP(spi=0x1001, seq=1) / Raw(b"\0" * 40), ip4(S4, C4, rev=True) / ESP(spi=0x2002, seq=1) / Raw(b"\0" * 40),
            ip4() / ESP(spi=0x1003, seq=2) / Raw(b"\0" * 40),
            ip4() / AH(spi=0x3003, seq=1, icv=b"\0" * 12, nh=59),
            ip4(S4, C4, rev=True) / AH(spi=0x3004, seq=1, icv=b"\0" * 12, nh=59),
            ip6() / ESP(spi=0x4004, seq=1) / Raw(b"\0" * 40), ip6(S6, C6, rev=True) / ESP(spi=0x5005, seq=1) / Raw(b"\0" * 40)]


@case("proto_unknown", "IP protocols 253, 254, 143, 0 (HOPOPT in IPv4), 41 (IPv6-in-IPv4), 4 (IP-in-IP), "
      "both directions; IPv6 next-header 253")
def _():
    inner6 = IPv6(src="2001:db8:9::1", dst="2001:db8:9::2") / UDP(sport=1, dport=2)
    out = []
    for proto in (253, 254, 143, 0, 41, 4):
        body = raw(inner6) if proto == 41 else (raw(IP(src="10.1.1.1", dst="10.1.1.2") / UDP()) if proto == 4 else b"\0" * 16)
        out += [ip4(proto=proto) / Raw(body), ip4(S4, C4, rev=True, proto=proto) / Raw(body)]
    out += [ip6(nh=253) / Raw(b"\0" * 16), ip6(S6, C6, rev=True, nh=253) / Raw(b"\0" * 16)]
    return out


@case("generic_timeout_expiry", "generic protocol (253) with nf_conntrack_generic_timeout=2: after a 3 s pause "
      "the reply is NEW again", args=["--timing", "pcap", "--sysctl", "nf_conntrack_generic_timeout=2"])
def _():
    return [(0.0, ip4(proto=253) / Raw(b"g" * 8)), (0.1, ip4(S4, C4, rev=True, proto=253) / Raw(b"h" * 8)),
            (3.2, ip4(S4, C4, rev=True, proto=253) / Raw(b"h" * 8)), (3.3, ip4(proto=253) / Raw(b"g" * 8))]


# ============================================================================ malformed IP
@case("ipv4_malformed", "IPv4 bad header checksum, total length > frame, total length < header, IHL 4, "
      "IHL beyond the packet, then a good packet; trailing Ethernet padding. (No version-mismatch frame: the "
      "oracle re-frames packets by their version nibble, not by the EtherType)")
def _():
    good = IP(src=C4, dst=S4) / UDP(sport=41150, dport=7) / Raw(b"q" * 4)
    b = bytearray(raw(good))
    out = []
    bad_ck = bytearray(b); bad_ck[10:12] = b"\x12\x34"; out.append(ether_ip_bytes(bad_ck))

    def fix(x):
        x[10:12] = b"\0\0"
        x[10:12] = struct.pack("!H", csum16(bytes(x[:(x[0] & 15) * 4])))
        return x
    long_ = bytearray(b); long_[2:4] = struct.pack("!H", len(b) + 40); out.append(ether_ip_bytes(fix(long_)))
    short = bytearray(b); short[2:4] = struct.pack("!H", 16); out.append(ether_ip_bytes(fix(short)))
    ihl4 = bytearray(b); ihl4[0] = 0x44; out.append(ether_ip_bytes(fix(ihl4)))
    ihlbig = bytearray(b); ihlbig[0] = 0x4f; ihlbig[2:4] = struct.pack("!H", len(b)); out.append(ether_ip_bytes(ihlbig))
    out.append(ETH / good)
    out.append(ether_ip_bytes(raw(IP(src=S4, dst=C4) / UDP(sport=7, dport=41150) / Raw(b"r")) + b"\0" * 20, rev=True))
    return out


@case("ipv4_truncated_frames", "truncated captures (caplen < wire length) of a TCP SYN and a UDP packet, "
      "frames cut inside the IP header and inside the UDP header, then complete packets")
def _():
    syn = raw(ETH / IP(src=C4, dst=S4) / TCP(sport=41151, dport=80, flags="S", seq=1))
    u = raw(ETH / IP(src=C4, dst=S4) / UDP(sport=41152, dport=53) / Raw(b"d" * 200))
    return [Frame(syn[:40], wirelen=len(syn)), Frame(u[:100], wirelen=len(u)), Frame(u[:24]),
            Frame(u[:38]), syn, u]


@case("ipv4_ttl_and_addrs", "TTL 0 and 1 packets, loopback/zero/class-E sources and multicast destinations "
      "(classified before routing)")
def _():
    return [ip4(ttl=1) / UDP(sport=41153, dport=33434), ip4(ttl=0) / UDP(sport=41154, dport=33434),
            ip4(S4, C4, rev=True, ttl=1) / UDP(sport=33434, dport=41153),
            ip4("127.0.0.1", S4) / UDP(sport=41155, dport=9), ip4("240.0.0.1", S4) / UDP(sport=41156, dport=9),
            ip4(C4, "239.1.2.3") / UDP(sport=41157, dport=9), ip4("0.0.0.0", S4) / ICMP(type=8, id=3)]


@case("ipv6_malformed", "IPv6 payload length larger than the frame, zero payload length with data, "
      "hop limit 0, ::1 destination, then good packets")
def _():
    good = IPv6(src=C6, dst=S6) / UDP(sport=41160, dport=7) / Raw(b"q" * 4)
    b = raw(good)
    long_ = bytearray(b); long_[4:6] = struct.pack("!H", 200)
    zero = bytearray(b); zero[4:6] = b"\0\0"
    return [ether_ip_bytes(long_, etype=0x86dd), ether_ip_bytes(zero, etype=0x86dd),
            ip6(hlim=0) / UDP(sport=41161, dport=7),
            ip6(C6, "::1") / UDP(sport=41162, dport=7), ETH / good,
            ip6(S6, C6, rev=True) / UDP(sport=7, dport=41160)]


# ============================================================================ fragments
@case("frag4_overlap", "IPv4 UDP fragments that overlap (the whole queue is discarded), then a clean datagram")
def _():
    l4 = l4bytes(IP(src=C4, dst=S4) / UDP(sport=41170, dport=7000) / Raw(bytes(range(256)) * 8))
    p = frag4(C4, S4, 501, 17, l4, [(0, 1008, True), (800, 1008, True), (1808, len(l4) - 1808, False)])
    p += frag4(C4, S4, 502, 17, l4, [(0, 1008, True), (1008, len(l4) - 1008, False)])
    return p


@case("frag4_duplicate", "IPv4 exact duplicate fragment, duplicate of the completing fragment after reassembly")
def _():
    l4 = l4bytes(IP(src=C4, dst=S4) / UDP(sport=41171, dport=7000) / Raw(b"D" * 2500))
    a, b, c = frag4(C4, S4, 503, 17, l4, [(0, 1000, True), (1000, 1000, True), (2000, len(l4) - 2000, False)])
    return [a, b, b, c, c, udp(S4, C4, 7000, 41171, b"ok", rev=True)]


@case("frag4_out_of_order", "IPv4 datagram in 5 fragments delivered in a shuffled order, then the reply "
      "fragmented in reverse order")
def _():
    l4 = l4bytes(IP(src=C4, dst=S4) / UDP(sport=41172, dport=7000) / Raw(b"O" * 3900))
    fr = frag4(C4, S4, 504, 17, l4, [(i * 800, 800 if i < 4 else len(l4) - 3200, i < 4) for i in range(5)])
    order = [2, 0, 4, 1, 3]
    l4r = l4bytes(IP(src=S4, dst=C4) / UDP(sport=7000, dport=41172) / Raw(b"R" * 1500))
    frr = frag4(S4, C4, 505, 17, l4r, [(0, 800, True), (800, len(l4r) - 800, False)], rev=True)
    return [fr[i] for i in order] + frr[::-1]


@case("frag4_tiny_first", "tiny first fragments: 8 bytes (UDP header only) and a TCP SYN whose first fragment "
      "carries only 8 bytes of the TCP header")
def _():
    l4 = l4bytes(IP(src=C4, dst=S4) / UDP(sport=41173, dport=7000) / Raw(b"T" * 100))
    p = frag4(C4, S4, 506, 17, l4, [(0, 8, True), (8, len(l4) - 8, False)])
    t = Tcp(cport=41174)
    l4t = l4bytes(IP(src=C4, dst=S4) / t.seg("c", "S", options=[("MSS", 1460), ("SAckOK", b""), ("WScale", 2)]))
    p += frag4(C4, S4, 507, 6, l4t, [(0, 8, True), (8, len(l4t) - 8, False)])
    p += [t.s("SA"), t.c("A")]
    return p


@case("frag4_tcp", "fragmented TCP data segments in an established flow, in order and out of order")
def _():
    t = Tcp(cport=41175)
    p = t.handshake()
    l4 = l4bytes(IP(src=C4, dst=S4) / t.seg("c", "PA", b"1" * 3000))
    p += frag4(C4, S4, 508, 6, l4, [(0, 1480, True), (1480, 1480, True), (2960, len(l4) - 2960, False)])
    p += [t.s("A")]
    l4b = l4bytes(IP(src=S4, dst=C4) / t.seg("s", "PA", b"2" * 2000))
    p += frag4(S4, C4, 509, 6, l4b, [(1000, len(l4b) - 1000, False), (0, 1000, True)], rev=True)
    p += [t.c("A")]
    return p + t.close()


@case("frag4_icmp_echo", "fragmented ICMP echo request and fragmented echo reply")
def _():
    e = l4bytes(IP(src=C4, dst=S4) / ICMP(type=8, id=0x77, seq=1) / Raw(b"P" * 3000))
    r = l4bytes(IP(src=S4, dst=C4) / ICMP(type=0, id=0x77, seq=1) / Raw(b"P" * 3000))
    pieces = [(0, 1480, True), (1480, 1480, True), (2960, 48, False)]
    return frag4(C4, S4, 510, 1, e, pieces) + frag4(S4, C4, 511, 1, r, pieces, rev=True)


@case("frag4_oversize", "IPv4 fragments whose reassembled size exceeds 65535 bytes (dropped), then a small one")
def _():
    data = b"Z" * 1400
    out = [ip4(id=512, proto=17, flags="MF", frag=0) / Raw(struct.pack("!HHHH", 41176, 7000, 0, 0) + data),
           ip4(id=512, proto=17, flags=0, frag=65000 // 8) / Raw(data)]
    out += [udp(C4, S4, 41177, 7000)]
    return out


@case("frag4_interleaved", "fragments of two datagrams with the same IP id but different protocols/sources "
      "interleaved; a fragment with a different id never completes")
def _():
    l4a = l4bytes(IP(src=C4, dst=S4) / UDP(sport=41178, dport=7000) / Raw(b"a" * 1800))
    l4b = l4bytes(IP(src=C4, dst=S4) / ICMP(type=8, id=5, seq=5) / Raw(b"b" * 1800))
    l4c = l4bytes(IP(src=C4B, dst=S4) / UDP(sport=41179, dport=7000) / Raw(b"c" * 1800))
    pcs = [(0, 1000, True), (1000, len(l4a) - 1000, False)]
    A = frag4(C4, S4, 600, 17, l4a, pcs)
    B = frag4(C4, S4, 600, 1, l4b, [(0, 1000, True), (1000, len(l4b) - 1000, False)])
    Cc = frag4(C4B, S4, 600, 17, l4c, pcs)
    X = frag4(C4, S4, 601, 17, l4a, pcs)
    return [A[0], B[0], Cc[0], X[0], B[1], A[1], Cc[1]]


@case("frag6_ext_before_frag", "IPv6 fragments with hop-by-hop and destination options before the fragment "
      "header (UDP), and a routing header before it (TCP SYN)")
def _():
    l4 = l4bytes6(IPv6(src=C6, dst=S6) / UDP(sport=41180, dport=7000) / Raw(b"E" * 2400))
    p = frag6(C6, S6, 0x1000, 17, l4, [(0, 1232, True), (1232, len(l4) - 1232, False)],
              pre=[IPv6ExtHdrHopByHop(), IPv6ExtHdrDestOpt()])
    t = Tcp(c=C6, s=S6, cport=41181)
    l4t = l4bytes6(IPv6(src=C6, dst=S6) / t.seg("c", "S", b"s" * 1500))
    p += frag6(C6, S6, 0x1001, 6, l4t, [(0, 1000, True), (1000, len(l4t) - 1000, False)],
               pre=[IPv6ExtHdrRouting(type=0, segleft=0, addresses=[])])
    p += [udp(S6, C6, 7000, 41180, b"r", rev=True), t.s("SA"), t.c("A")]
    return p


@case("frag6_overlap", "IPv6 overlapping fragments (datagram dropped, never completed) and a duplicate")
def _():
    l4 = l4bytes6(IPv6(src=C6, dst=S6) / UDP(sport=41182, dport=7000) / Raw(b"V" * 2400))
    p = frag6(C6, S6, 0x2000, 17, l4, [(0, 1232, True), (1200, len(l4) - 1200, False)])
    p += frag6(C6, S6, 0x2001, 17, l4, [(0, 1232, True), (0, 1232, True), (1232, len(l4) - 1232, False)])
    return p


@case("frag6_atomic", "IPv6 atomic fragments (offset 0, M=0) for UDP and ICMPv6 echo, and the replies")
def _():
    l4 = l4bytes6(IPv6(src=C6, dst=S6) / UDP(sport=41183, dport=7000) / Raw(b"A" * 100))
    e = l4bytes6(IPv6(src=C6, dst=S6) / ICMPv6EchoRequest(id=44, seq=1))
    return (frag6(C6, S6, 0x3000, 17, l4, [(0, len(l4), False)]) + [udp(S6, C6, 7000, 41183, b"r", rev=True)] +
            frag6(C6, S6, 0x3001, 58, e, [(0, len(e), False)]) +
            [ip6(S6, C6, rev=True) / ICMPv6EchoReply(id=44, seq=1)])


@case("frag6_tcp_reverse", "IPv6 TCP data fragments in reverse order within an established flow, and a "
      "fragmented ICMPv6 echo")
def _():
    t = Tcp(c=C6, s=S6, cport=41184)
    p = t.handshake()
    l4 = l4bytes6(IPv6(src=C6, dst=S6) / t.seg("c", "PA", b"6" * 3000))
    fr = frag6(C6, S6, 0x4000, 6, l4, [(0, 1448, True), (1448, 1448, True), (2896, len(l4) - 2896, False)])
    p += fr[::-1] + [t.s("A")]
    e = l4bytes6(IPv6(src=C6, dst=S6) / ICMPv6EchoRequest(id=45, seq=1, data=b"e" * 2000))
    p += frag6(C6, S6, 0x4001, 58, e, [(0, 1232, True), (1232, len(e) - 1232, False)])
    return p


# ============================================================================ rulesets (--rules / --rules6)
def fw(filter_rules, raw_rules=None, policy="DROP", chains=()):
    """iptables-save text: optional raw table, filter table with FORWARD policy and user chains."""
    t = ""
    if raw_rules is not None:
        t += "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n" + raw_rules.strip() + "\nCOMMIT\n"
    t += "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD %s [0:0]\n:OUTPUT ACCEPT [0:0]\n" % policy
    t += "".join(":%s - [0:0]\n" % c for c in chains)
    if filter_rules.strip():
        t += filter_rules.strip() + "\n"
    return t + "COMMIT\n"


EST = "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"


@case("fw_multiport_ranges", "ruleset: -m multiport --dports with ranges, --sports, --ports, negated "
      "--dports with LOG; policy DROP",
      rules=fw(EST + """-A FORWARD -p tcp -m multiport --dports 20:25,80,8000:8100 -j ACCEPT
-A FORWARD -p udp -m multiport --sports 5000:5010 -j ACCEPT
-A FORWARD -p udp -m multiport --ports 53,123 -j ACCEPT
-A FORWARD -p tcp -m multiport ! --dports 1:1023 -j LOG --log-prefix "high "
"""))
def _():
    p = []
    for i, port in enumerate((20, 22, 25, 26, 80, 81, 7999, 8000, 8050, 8100, 8101)):
        t = Tcp(cport=44000 + i, sport=port)
        p += [t.c("S"), t.s("SA")]
    p += [udp(C4, S4, 5005, 9999), udp(C4, S4, 5011, 9999), udp(C4, S4, 44100, 53), udp(C4, S4, 123, 44101),
          udp(S4, C4, 9999, 5011, rev=True)]
    return p


@case("fw_ctstatus", "ruleset: --ctstatus ASSURED / SEEN_REPLY / CONFIRMED / NONE with LOG and ACCEPT",
      rules=fw("""-A FORWARD -m conntrack --ctstatus ASSURED -j LOG --log-prefix "assured "
-A FORWARD -m conntrack --ctstatus CONFIRMED -j LOG --log-prefix "confirmed "
-A FORWARD -m conntrack --ctstatus SEEN_REPLY -j ACCEPT
-A FORWARD -p tcp -m tcp --syn -j ACCEPT
-A FORWARD -p udp -m conntrack --ctstatus NONE -j ACCEPT
-A FORWARD -p icmp -m conntrack --ctstatus CONFIRMED -j ACCEPT
"""))
def _():
    t = Tcp(cport=44200)
    p = t.handshake() + [t.c("PA", b"x" * 10), t.s("A")] + t.close()
    p += [udp(C4, S4, 44201, 53), udp(C4, S4, 44201, 53), udp(S4, C4, 53, 44201, rev=True), udp(C4, S4, 44201, 53)]
    p += [ip4() / ICMP(type=8, id=1, seq=1), ip4() / ICMP(type=8, id=1, seq=2)]
    return p


@case("fw_ctdir", "ruleset: --ctdir REPLY accepted, --ctdir ORIGINAL only to tcp/80, LOG for original UDP",
      rules=fw("""-A FORWARD -m conntrack --ctdir REPLY -j ACCEPT
-A FORWARD -p tcp -m tcp --dport 80 -m conntrack --ctdir ORIGINAL -j ACCEPT
-A FORWARD -p udp -m conntrack --ctdir ORIGINAL -j LOG --log-prefix "orig-udp "
"""))
def _():
    t = Tcp(cport=44300)
    p = t.handshake() + [t.c("PA", b"x"), t.s("PA", b"y")]
    t2 = Tcp(cport=44301, sport=81)
    p += [t2.c("S"), t2.s("SA"), udp(C4, S4, 44302, 53), udp(S4, C4, 53, 44302, rev=True)]
    return p


@case("fw_ctorig", "ruleset: --ctproto with --ctorigsrc/--ctorigdst/--ctorigsrcport/--ctorigdstport and "
      "--ctreplsrc (match both directions of a flow)",
      rules=fw("""-A FORWARD -m conntrack --ctproto tcp --ctorigsrc 192.0.2.0/24 --ctorigdstport 443 -j ACCEPT
-A FORWARD -m conntrack --ctproto udp --ctorigdst 198.51.100.2 --ctorigsrcport 5000:5100 -j ACCEPT
-A FORWARD -m conntrack --ctreplsrc 198.51.100.9 -j ACCEPT
-A FORWARD -m conntrack --ctproto icmp -j ACCEPT
"""), rules6=fw("-A FORWARD -j ACCEPT\n"))
def _():
    t = Tcp(cport=44400, sport=443)
    p = t.handshake() + [t.s("PA", b"tls")]
    t2 = Tcp(cport=44401, sport=80)
    p += [t2.c("S"), t2.s("SA")]
    p += [udp(C4, S4, 5050, 7), udp(S4, C4, 7, 5050, rev=True), udp(C4, S4, 6000, 7), udp(S4, C4, 7, 6000, rev=True),
          udp(C4, S4B, 6001, 7), udp(S4B, C4, 7, 6001, rev=True),
          ip4() / ICMP(type=8, id=2, seq=1), ip4(S4, C4, rev=True) / ICMP(type=0, id=2, seq=1)]
    return p


@case("fw_tcp_flags_option", "ruleset: -m tcp --tcp-flags masks, --tcp-option (MSS, timestamps), ! --syn",
      rules=fw("""-A FORWARD -p tcp -m tcp --tcp-flags SYN,ACK,FIN,RST SYN -m tcp --tcp-option 2 -j ACCEPT
-A FORWARD -p tcp -m tcp --tcp-flags SYN,ACK SYN -j DROP
-A FORWARD -p tcp -m tcp --tcp-flags FIN,SYN,RST,PSH,ACK,URG FIN,PSH,URG -j DROP
-A FORWARD -p tcp -m tcp --tcp-flags RST RST -j LOG --log-prefix "rst "
-A FORWARD -p tcp -m tcp --tcp-option 8 -j LOG --log-prefix "tsopt "
-A FORWARD -p tcp -m tcp ! --syn -m conntrack --ctstate ESTABLISHED -j ACCEPT
-A FORWARD -p tcp -m tcp ! --tcp-option 8 -j LOG --log-prefix "nots "
"""))
def _():
    t = Tcp(cport=44500)
    p = t.handshake(copts=[("MSS", 1460), ("Timestamp", (1, 0))], sopts=[("MSS", 1460), ("Timestamp", (2, 1))])
    p += [t.c("PA", b"x", options=[("NOP", None), ("NOP", None), ("Timestamp", (3, 2))]), t.c("FPU", seq=t.nxt["c"]),
          t.s("R")]
    t2 = Tcp(cport=44501)
    p += [t2.c("S"), t2.s("SA"), t2.c("A")]
    return p


ICMP_V4_RULES = fw("""-A FORWARD -p icmp -m icmp --icmp-type echo-request -j ACCEPT
-A FORWARD -p icmp -m icmp --icmp-type port-unreachable -j ACCEPT
-A FORWARD -p icmp -m icmp --icmp-type 13 -j ACCEPT
-A FORWARD -p icmp -m icmp --icmp-type timestamp-reply -j DROP
-A FORWARD -p icmp -m icmp --icmp-type destination-unreachable -j LOG --log-prefix "unreach "
-A FORWARD -p icmp -m icmp --icmp-type 3/1 -j ACCEPT
-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT
-A FORWARD -p icmp -m icmp --icmp-type any -j LOG --log-prefix "any "
""")
ICMP_V6_RULES = fw("""-A FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type echo-request -j ACCEPT
-A FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type packet-too-big -j ACCEPT
-A FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type 1/4 -j ACCEPT
-A FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type neighbour-solicitation -j ACCEPT
-A FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type time-exceeded -j LOG --log-prefix "texc "
-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT
-A FORWARD -p ipv6-icmp -m icmp6 ! --icmpv6-type echo-reply -j LOG --log-prefix "not-reply "
""")


@case("fw_icmp_types", "ruleset: -m icmp --icmp-type by name, number, type/code, 'any'; IPv4 ICMP traffic",
      rules=ICMP_V4_RULES, rules6=ICMP_V6_RULES)
def _():
    u = IP(src=C4, dst=S4) / UDP(sport=44600, dport=33434)
    return [ip4() / ICMP(type=8, id=3, seq=1), ip4(S4, C4, rev=True) / ICMP(type=0, id=3, seq=1),
            ip4() / ICMP(type=13, id=4, ts_ori=1, ts_rx=0, ts_tx=0),
            ip4(S4, C4, rev=True) / ICMP(type=14, id=4, ts_ori=1, ts_rx=2, ts_tx=3),
            ETH / u, ip4(S4, C4, rev=True) / ICMP(type=3, code=3) / raw(u),
            ip4(R4, C4, rev=True) / ICMP(type=3, code=1) / raw(u), ip4(R4, C4, rev=True) / ICMP(type=3, code=0) / raw(u),
            ip4(R4, C4, rev=True) / ICMP(type=11, code=0) / raw(u), ip4() / ICMP(type=17, id=5)]


@case("fw_icmp6_types", "ruleset: -m icmp6 --icmpv6-type by name and type/code, negated; ICMPv6 traffic "
      "incl. ND and errors", rules=ICMP_V4_RULES, rules6=ICMP_V6_RULES)
def _():
    u = IPv6(src=C6, dst=S6) / UDP(sport=44601, dport=33434)
    return [ip6() / ICMPv6EchoRequest(id=6, seq=1), ip6(S6, C6, rev=True) / ICMPv6EchoReply(id=6, seq=1),
            ETH / u, ip6(S6, C6, rev=True) / ICMPv6DestUnreach(code=4) / raw(u),
            ip6(R6, C6, rev=True) / ICMPv6DestUnreach(code=3) / raw(u),
            ip6(R6, C6, rev=True) / ICMPv6PacketTooBig(mtu=1280) / raw(u),
            ip6(R6, C6, rev=True) / ICMPv6TimeExceeded() / raw(u),
            ETH / IPv6(src=C6, dst=S6, hlim=255) / ICMPv6ND_NS(tgt=S6),
            ip6() / ICMPv6NIQueryNOOP(nonce=b"abcdefgh")]


@case("fw_iprange", "ruleset: -m iprange --src-range/--dst-range and negation, IPv4 and IPv6 (--rules6)",
      rules=fw("""-A FORWARD -m iprange --src-range 192.0.2.10-192.0.2.20 -j DROP
-A FORWARD -m iprange --dst-range 198.51.100.100-198.51.100.200 -j ACCEPT
-A FORWARD -m iprange ! --src-range 192.0.2.0-192.0.2.255 -m conntrack --ctstate NEW -j LOG --log-prefix "outside "
""" + EST + """-A FORWARD -s 192.0.2.0/24 -j ACCEPT
"""), rules6=fw("""-A FORWARD -m iprange --src-range 2001:db8::10-2001:db8::20 -j DROP
-A FORWARD -j ACCEPT
"""))
def _():
    return [udp(C4, S4, 44700, 7), udp("192.0.2.15", S4, 44701, 7), udp("192.0.2.20", S4, 44702, 7),
            udp("192.0.2.21", S4, 44703, 7), udp(R4, "198.51.100.150", 44704, 7), udp(R4, S4, 44705, 7),
            udp(S4, C4, 7, 44700, rev=True), udp("2001:db8::15", S6, 44706, 7), udp(C6, S6, 44707, 7)]


@case("fw_length", "ruleset: -m length ranges and negation on UDP (also a fragmented, reassembled datagram) "
      "and an exact ICMP length",
      rules=fw("""-A FORWARD -p udp -m length --length 0:100 -j ACCEPT
-A FORWARD -p udp -m length --length 1000:65535 -j LOG --log-prefix "big "
-A FORWARD -p udp -m length ! --length 500:600 -j DROP
-A FORWARD -p udp -j ACCEPT
-A FORWARD -p icmp -m length --length 84 -j ACCEPT
"""))
def _():
    p = [udp(C4, S4, 44800 + i, 7, b"L" * n) for i, n in enumerate((10, 72, 73, 500, 560, 572, 573, 1500))]
    l4 = l4bytes(IP(src=C4, dst=S4) / UDP(sport=44810, dport=7) / Raw(b"F" * 2000))
    p += frag4(C4, S4, 700, 17, l4, [(0, 1000, True), (1000, len(l4) - 1000, False)])
    p += [ip4() / ICMP(type=8, id=7, seq=1) / Raw(b"i" * 56), ip4() / ICMP(type=8, id=8, seq=1) / Raw(b"i" * 57)]
    return p


@case("fw_limit", "ruleset: -m limit with burst 3 (1/hour) for ICMP and burst 2 (1/min) for UDP: the first "
      "packets pass, the rest hit the DROP policy",
      rules=fw("""-A FORWARD -p icmp -m limit --limit 1/hour --limit-burst 3 -j ACCEPT
-A FORWARD -p udp -m limit --limit 1/min --limit-burst 2 -j ACCEPT
"""))
def _():
    return ([ip4() / ICMP(type=8, id=9, seq=i) for i in range(1, 6)] +
            [udp(C4, S4, 44900 + i, 7) for i in range(4)])


@case("fw_comment", "ruleset: -m comment on accepting, stateful and dropping rules",
      rules=fw("""-A FORWARD -p tcp -m tcp --dport 22 -m comment --comment "ssh from anywhere" -j ACCEPT
-A FORWARD -m comment --comment "established" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -m comment --comment "drop the rest" -j DROP
""", policy="ACCEPT"))
def _():
    t = Tcp(cport=45000, sport=22)
    t2 = Tcp(cport=45001, sport=23)
    return t.handshake() + [t.c("PA", b"SSH-2.0")] + [t2.c("S"), t2.s("SA")]


@case("fw_mark_connmark", "ruleset: MARK in raw PREROUTING then -m mark in FORWARD; CONNMARK --set-mark and "
      "-m connmark; MARK + CONNMARK --save-mark",
      rules=fw("""-A FORWARD -m mark --mark 0x5 -j DROP
-A FORWARD -m mark --mark 0x6/0xff -j ACCEPT
-A FORWARD -m connmark --mark 0x7 -j ACCEPT
-A FORWARD -p tcp -m tcp --dport 80 -m conntrack --ctstate NEW -j CONNMARK --set-xmark 0x7/0xffffffff
-A FORWARD -p tcp -m tcp --dport 80 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -p tcp -m tcp --dport 443 -j MARK --set-xmark 0x9/0xffffffff
-A FORWARD -p tcp -m tcp --dport 443 -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff
-A FORWARD -m connmark --mark 0x9 -j ACCEPT
""", raw_rules="""-A PREROUTING -p udp -m udp --dport 5000 -j MARK --set-xmark 0x5/0xffffffff
-A PREROUTING -p udp -m udp --dport 5001 -j MARK --set-xmark 0x6/0xff
"""))
def _():
    t = Tcp(cport=45100, sport=80)
    t2 = Tcp(cport=45101, sport=443)
    t3 = Tcp(cport=45102, sport=8080)
    return (t.handshake() + [t.s("PA", b"x")] + t2.handshake() + [t2.s("PA", b"y")] + [t3.c("S"), t3.s("SA")] +
            [udp(C4, S4, 45103, 5000), udp(C4, S4, 45104, 5001), udp(S4, C4, 5001, 45104, rev=True)])


@case("fw_goto", "ruleset: -g goto into user chains (RETURN from a goto'ed chain ends the calling chain), "
      "-j jump with RETURN, LOG at the end",
      rules=fw(EST + """-A FORWARD -p tcp -j TCPCHK
-A FORWARD -p udp -g WEB
-A FORWARD -p udp -j ACCEPT
-A FORWARD -j LOG --log-prefix "end "
-A TCPCHK -p tcp -m tcp --dport 80 -g WEB
-A TCPCHK -p tcp -m tcp --dport 22 -j ACCEPT
-A TCPCHK -j RETURN
-A WEB -p tcp -m tcp --dport 80 -j ACCEPT
-A WEB -p udp -m udp --dport 53 -j ACCEPT
-A WEB -j RETURN
""", chains=("TCPCHK", "WEB")))
def _():
    p = []
    for i, port in enumerate((80, 22, 25)):
        t = Tcp(cport=45200 + i, sport=port)
        p += [t.c("S"), t.s("SA")]
    p += [udp(C4, S4, 45210, 53), udp(S4, C4, 53, 45210, rev=True), udp(C4, S4, 45211, 54), ip4() / ICMP(type=8, id=9)]
    return p


@case("fw_reject_variants", "ruleset: every REJECT --reject-with for IPv4 (tcp-reset, icmp-net/host/proto/port-"
      "unreachable, net/host/admin-prohibited) and IPv6 (no-route, addr-unreach, port-unreach, adm-prohibited)",
      rules=fw("""-A FORWARD -p tcp -m tcp --dport 1 -j REJECT --reject-with tcp-reset
-A FORWARD -p udp -m udp --dport 2 -j REJECT --reject-with icmp-net-unreachable
-A FORWARD -p udp -m udp --dport 3 -j REJECT --reject-with icmp-host-unreachable
-A FORWARD -p udp -m udp --dport 4 -j REJECT --reject-with icmp-proto-unreachable
-A FORWARD -p udp -m udp --dport 5 -j REJECT --reject-with icmp-net-prohibited
-A FORWARD -p udp -m udp --dport 6 -j REJECT --reject-with icmp-host-prohibited
-A FORWARD -p udp -m udp --dport 7 -j REJECT
-A FORWARD -p icmp -j REJECT --reject-with icmp-admin-prohibited
-A FORWARD -j ACCEPT
""", policy="ACCEPT"), rules6=fw("""-A FORWARD -p tcp -m tcp --dport 1 -j REJECT --reject-with tcp-reset
-A FORWARD -p udp -m udp --dport 2 -j REJECT --reject-with icmp6-no-route
-A FORWARD -p udp -m udp --dport 3 -j REJECT --reject-with icmp6-addr-unreachable
-A FORWARD -p udp -m udp --dport 4 -j REJECT --reject-with icmp6-port-unreachable
-A FORWARD -p udp -m udp --dport 5 -j REJECT --reject-with icmp6-adm-prohibited
-A FORWARD -p udp -m udp --dport 7 -j REJECT
-A FORWARD -j ACCEPT
""", policy="ACCEPT"))
def _():
    p = [Tcp(cport=45300, sport=1).c("S")]
    p += [udp(C4, S4, 45301, d) for d in range(2, 8)]
    p += [ip4() / ICMP(type=8, id=10), udp(C4, S4, 45302, 8)]
    p += [Tcp(c=C6, s=S6, cport=45303, sport=1).c("S")]
    p += [udp(C6, S6, 45304, d) for d in (2, 3, 4, 5, 7, 8)]
    return p


@case("fw_log_prefix", "ruleset: LOG with --log-prefix/--log-level/--log-tcp-sequence/options, LOG without "
      "prefix, INVALID logged then dropped",
      rules=fw("""-A FORWARD -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j LOG --log-prefix "SYN: " --log-level 4
-A FORWARD -p tcp -m tcp --tcp-flags RST RST -j LOG --log-prefix "RST " --log-tcp-sequence --log-tcp-options --log-ip-options
-A FORWARD -m conntrack --ctstate INVALID -j LOG --log-prefix "INVALID "
-A FORWARD -m conntrack --ctstate INVALID -j DROP
-A FORWARD -j LOG
-A FORWARD -j ACCEPT
"""))
def _():
    t = Tcp(cport=45400)
    return t.handshake() + [t.c("SF", seq=1), t.s("R"), ip4(S4, C4, rev=True) / ICMP(type=0, id=99)]


@case("fw_raw_notrack_v6", "ruleset (--rules6): raw NOTRACK for IPv6 DNS and CT --notrack for ICMPv6 echo "
      "requests; FORWARD accepts UNTRACKED, ESTABLISHED and TCP SYNs",
      rules=fw("-A FORWARD -j ACCEPT\n"),
      rules6=fw("""-A FORWARD -m conntrack --ctstate UNTRACKED -j ACCEPT
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -p tcp -m tcp --syn -j ACCEPT
""", raw_rules="""-A PREROUTING -p udp -m udp --dport 53 -j NOTRACK
-A PREROUTING -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j CT --notrack
"""))
def _():
    t = Tcp(c=C6, s=S6, cport=45500)
    return ([udp(C6, S6, 45501, 53), udp(S6, C6, 53, 45501, rev=True), ip6() / ICMPv6EchoRequest(id=11),
             ip6(S6, C6, rev=True) / ICMPv6EchoReply(id=11)] + t.handshake() + [udp(C6, S6, 45502, 54), udp(C4, S4, 45503, 53)])


@case("fw_udp_notrack_raw", "the oracle's udp_notrack scenario expressed as a ruleset: raw CT --notrack for "
      "UDP to port 53 -> UNTRACKED; UDP to 54 -> NEW",
      rules=fw("-A FORWARD -j ACCEPT\n", raw_rules="-A PREROUTING -p udp -m udp --dport 53 -j CT --notrack\n",
               policy="ACCEPT"))
def _():
    a = ETH / IP(src="192.0.2.1", dst="198.51.100.2") / UDP(sport=50002, dport=53) / Raw(b"q")
    b = ETH / IP(src="192.0.2.1", dst="198.51.100.2") / UDP(sport=50002, dport=54) / Raw(b"q")
    return [a, b]


@case("fw_state_module", "ruleset: -m state --state INVALID/ESTABLISHED,RELATED/NEW/UNTRACKED",
      rules=fw("""-A FORWARD -m state --state INVALID -j DROP
-A FORWARD -m state --state RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -p tcp -m state --state NEW -m tcp --syn -j ACCEPT
-A FORWARD -p udp -m state --state NEW -j ACCEPT
-A FORWARD -m state --state UNTRACKED -j ACCEPT
"""))
def _():
    t = Tcp(cport=45600)
    t2 = Tcp(cport=45601)
    u = IP(src=C4, dst=S4) / UDP(sport=45602, dport=9)
    return (t.handshake() + [t2.c("A"), ETH / u, ip4(S4, C4, rev=True) / ICMP(type=3, code=3) / raw(u),
                             ip4() / ICMP(type=8, id=12), ip4(S4, C4, rev=True) / ICMP(type=0, id=13)])


def ftp_dialogue(v6=False):
    c, s = (C6, S6) if v6 else (C4, S4)
    t = Tcp(c=c, s=s, cport=45700, sport=21)
    p = t.handshake()
    p += [t.s("PA", b"220 ready\r\n"), t.c("A"), t.c("PA", b"USER anonymous\r\n"), t.s("PA", b"331 Password\r\n"),
          t.c("PA", b"PASS x@y\r\n"), t.s("PA", b"230 Logged in\r\n"), t.c("PA", b"PASV\r\n"),
          t.s("PA", b"227 Entering Passive Mode (198,51,100,2,195,80)\r\n"), t.c("PA", b"LIST\r\n")]
    d = Tcp(c=c, s=s, cport=45701, sport=50000, cseq=77000, sseq=88000)
    p += [d.c("S"), d.s("SA"), d.c("A"), d.s("PA", b"-rw-r--r-- 1 ftp ftp 0 file\r\n"), d.s("FA"), d.c("FA"), d.s("A")]
    p += [t.s("PA", b"226 Done\r\n"), t.c("PA", b"QUIT\r\n")]
    return p


@case("fw_ftp_ct_helper", "ruleset: raw CT --helper ftp on port 21 (no --helper option), -m helper, "
      "--ctstatus EXPECTED, RELATED data connection accepted",
      rules=fw("""-A FORWARD -m conntrack --ctstatus EXPECTED -j LOG --log-prefix "expected "
-A FORWARD -m helper --helper ftp -j LOG --log-prefix "ftp-helper "
-A FORWARD -m conntrack --ctstate RELATED -m helper --helper ftp -j ACCEPT
-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT
-A FORWARD -p tcp -m tcp --dport 21 --syn -j ACCEPT
""", raw_rules="-A PREROUTING -p tcp -m tcp --dport 21 -j CT --helper ftp\n"))
def _():
    return ftp_dialogue()


@case("fw_frag_match", "ruleset: -f never matches in FORWARD (datagrams are reassembled), -m length sees the "
      "reassembled length",
      rules=fw("""-A FORWARD -f -j DROP
-A FORWARD -p udp -m length --length 2000:65535 -j LOG --log-prefix "reasm "
-A FORWARD -j ACCEPT
"""), rules6=fw("-A FORWARD -j ACCEPT\n"))
def _():
    l4 = l4bytes(IP(src=C4, dst=S4) / UDP(sport=45800, dport=7) / Raw(b"f" * 3000))
    return frag4(C4, S4, 800, 17, l4, [(0, 1480, True), (1480, 1480, True), (2960, len(l4) - 2960, False)]) + \
        [udp(S4, C4, 7, 45800, rev=True)]


@case("fw_negations", "ruleset: negated -s, --dport, -p and -d in NEW-only DROP rules",
      rules=fw("""-A FORWARD ! -s 192.0.2.0/24 -m conntrack --ctstate NEW -j DROP
-A FORWARD -p tcp -m tcp ! --dport 80 -m conntrack --ctstate NEW -j DROP
-A FORWARD ! -p tcp ! -d 198.51.100.2/32 -m conntrack --ctstate NEW -j DROP
-A FORWARD -j ACCEPT
""", policy="ACCEPT"))
def _():
    t = Tcp(cport=45900)
    return (t.handshake() + [Tcp(cport=45901, sport=81).c("S"), Tcp(c=R4, cport=45902).c("S"),
                             udp(C4, S4, 45903, 7), udp(C4, S4B, 45904, 7), ip4(C4, S4B) / ICMP(type=8, id=14)])


@case("fw_ttl_dscp", "ruleset: -m ttl --ttl-lt / --ttl-eq, -m dscp, and IPv6 -m hl (--rules6); FORWARD sees the "
      "TTL/hop limit already decremented (ttl-eq 100 matches a packet that arrived with TTL 101)",
      rules=fw("""-A FORWARD -m ttl --ttl-lt 10 -j DROP
-A FORWARD -m ttl --ttl-eq 100 -j LOG --log-prefix "ttl100 "
-A FORWARD -m dscp --dscp 0x2e -j LOG --log-prefix "EF "
-A FORWARD -m dscp --dscp 0x08 -j DROP
-A FORWARD -j ACCEPT
"""), rules6=fw("""-A FORWARD -m hl --hl-lt 10 -j DROP
-A FORWARD -m dscp --dscp 0x2e -j LOG --log-prefix "EF6 "
-A FORWARD -j ACCEPT
"""))
def _():
    return [ip4(ttl=5) / UDP(sport=46000, dport=7), ip4(ttl=64) / UDP(sport=46001, dport=7),
            ip4(ttl=100) / UDP(sport=46002, dport=7), ip4(ttl=101) / UDP(sport=46008, dport=7),
            ip4(ttl=10) / UDP(sport=46009, dport=7), ip4(tos=0xb8) / UDP(sport=46003, dport=7),
            ip4(tos=0x20) / UDP(sport=46004, dport=7), ip6(hlim=5) / UDP(sport=46005, dport=7),
            ip6(tc=0xb8) / UDP(sport=46006, dport=7), ip6() / UDP(sport=46007, dport=7)]


@case("fw_ipv6_stateful", "ruleset: IPv6-only stateful firewall (--rules6): inside NEW accepted, outside "
      "dropped, ICMPv6 errors RELATED; IPv4 ruleset drops everything",
      rules=fw(""), rules6=fw(EST + """-A FORWARD -s 2001:db8::/48 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type neighbour-solicitation -j ACCEPT
"""))
def _():
    t = Tcp(c=C6, s=S6, cport=46100)
    t2 = Tcp(c=R6, s=C6, cport=46101, sport=22, l2=ETH_R, l2r=ETH)
    u = IPv6(src=C6, dst=S6) / UDP(sport=46102, dport=33434)
    return (t.handshake() + [t2.c("S"), t2.s("SA"), ETH / u, ip6(S6, C6, rev=True) / ICMPv6DestUnreach(code=4) / raw(u),
                             ETH / IPv6(src=C6, dst=S6, hlim=255) / ICMPv6ND_NS(tgt=S6), udp(C4, S4, 46103, 7)])


@case("fw_raw_drop", "ruleset: DROP in raw PREROUTING (before conntrack) by port and by source; "
      "-m conntrack --ctstate INVALID in raw matches every packet (logged)",
      rules=fw("-A FORWARD -j ACCEPT\n", policy="ACCEPT", raw_rules="""-A PREROUTING -m conntrack --ctstate INVALID -p icmp -j LOG --log-prefix "raw-invalid "
-A PREROUTING -p udp -m udp --dport 9 -j DROP
-A PREROUTING -s 192.0.2.99/32 -j DROP
"""))
def _():
    return [udp(C4, S4, 46200, 9), udp(C4, S4, 46201, 10), udp("192.0.2.99", S4, 46202, 10),
            ip4() / ICMP(type=8, id=15), ip4(S4, C4, rev=True) / ICMP(type=0, id=15), udp(S4, C4, 10, 46201, rev=True)]


@case("fw_user_chain_nested", "ruleset: nested user chains (3 levels) with RETURN, ACCEPT and DROP inside, "
      "policy ACCEPT",
      rules=fw("""-A FORWARD -j L1
-A FORWARD -p udp -j DROP
-A L1 -p tcp -j L2
-A L1 -p icmp -j ACCEPT
-A L1 -j RETURN
-A L2 -m tcp -p tcp --dport 80 -j L3
-A L2 -p tcp -m tcp --dport 81 -j DROP
-A L3 -m conntrack --ctstate NEW -j LOG --log-prefix "L3 "
-A L3 -j RETURN
""", policy="ACCEPT", chains=("L1", "L2", "L3")))
def _():
    t = Tcp(cport=46300)
    return t.handshake() + [Tcp(cport=46301, sport=81).c("S"), Tcp(cport=46302, sport=82).c("S"),
                            udp(C4, S4, 46303, 7), ip4() / ICMP(type=8, id=16)]


@case("fw_classic_timing", "ruleset + --timing pcap + UDP timeout 2 s: classic stateful firewall; the reply "
      "after the entry expired is NEW from outside and dropped",
      args=["--timing", "pcap", "--sysctl", "nf_conntrack_udp_timeout=2"],
      rules=fw(EST + "-A FORWARD -s 192.0.2.0/24 -m conntrack --ctstate NEW -j ACCEPT\n"))
def _():
    return [(0.0, udp(C4, S4, 46400, 53)), (0.1, udp(S4, C4, 53, 46400, rev=True)),
            (3.5, udp(S4, C4, 53, 46400, rev=True)), (3.6, udp(C4, S4, 46400, 53))]


# ============================================================================ more timing
@case("tcp_close_timeout_reuse", "TCP RST -> CLOSE with tcp_timeout_close=2; after 3 s an ACK of the old flow "
      "is a new loose pickup, a SYN a new entry", args=["--timing", "pcap", "--sysctl",
                                                        "nf_conntrack_tcp_timeout_close=2"])
def _():
    t = Tcp(cport=46500)
    h = t.handshake()
    p = [(0.0, h[0]), (0.01, h[1]), (0.02, h[2]), (0.03, t.c("R")), (0.5, t.c("A", seq=t.nxt["c"]))]
    p += [(3.5, t.c("A", seq=t.nxt["c"]))]
    t2 = Tcp(cport=46501)
    h2 = t2.handshake()
    p += [(3.6, h2[0]), (3.61, h2[1]), (3.62, h2[2]), (3.63, t2.c("R")), (6.8, h2[0])]
    return p


@case("tcp_unack_timeout", "TCP data never acknowledged with tcp_timeout_unacknowledged=2: after 3 s the entry "
      "is gone; the next data is a new loose pickup", args=["--timing", "pcap", "--sysctl",
                                                            "nf_conntrack_tcp_timeout_unacknowledged=2"])
def _():
    t = Tcp(cport=46502)
    h = t.handshake()
    return [(0.0, h[0]), (0.01, h[1]), (0.02, h[2]), (0.03, t.c("PA", b"x" * 100)), (0.5, t.c("PA", b"y" * 100)),
            (3.6, t.c("PA", b"z" * 100)), (3.7, t.s("A"))]


@case("tcp_syn_sent_timeout", "SYN with tcp_timeout_syn_sent=1: the SYN/ACK 2 s later finds no entry (INVALID); "
      "established timeout 2 s: mid-stream data after 3 s is NEW",
      args=["--timing", "pcap", "--sysctl", "nf_conntrack_tcp_timeout_syn_sent=1", "--sysctl",
            "nf_conntrack_tcp_timeout_established=2"])
def _():
    t = Tcp(cport=46503)
    p = [(0.0, t.c("S")), (2.0, t.s("SA"))]
    t2 = Tcp(cport=46504)
    h = t2.handshake()
    p += [(2.1, h[0]), (2.11, h[1]), (2.12, h[2]), (2.13, t2.c("PA", b"a")), (2.14, t2.s("A")),
          (5.2, t2.c("PA", b"b")), (5.3, t2.s("A"))]
    return p


@case("tcp_time_wait_timeout", "TCP TIME_WAIT with tcp_timeout_time_wait=1: after 2 s the old flow's ACK "
      "is a new loose pickup", args=["--timing", "pcap", "--sysctl", "nf_conntrack_tcp_timeout_time_wait=1"])
def _():
    t = Tcp(cport=46505)
    seq = t.handshake() + t.close()
    p = [(i * 0.01, x) for i, x in enumerate(seq)]
    p += [(2.5, t.c("A", seq=t.nxt["c"]))]
    return p


# ============================================================================ main
def oracle_args(args):
    out = []
    for a in args:
        out.append({"--rules": "--ruleset", "--rules6": "--ruleset6"}.get(a, a))
    return out


def run_oracle(outdir, name, log=print):
    """Run the oracle on outdir/name.pcap with its .args; write .expected. Returns (ok, summary)."""
    argf = os.path.join(outdir, name + ".args")
    args = shlex.split(open(argf).read()) if os.path.exists(argf) else []
    cmd = ["/usr/bin/python3", ORACLE, name + ".pcap", "-o", name + ".expected.tmp"] + oracle_args(args)
    t0 = time.time()
    p = subprocess.run(cmd, cwd=outdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                       timeout=900)
    tmp = os.path.join(outdir, name + ".expected.tmp")
    if p.returncode != 0 or not os.path.exists(tmp):
        if os.path.exists(tmp):
            os.unlink(tmp)
        return False, "oracle rc=%d: %s" % (p.returncode, p.stderr.strip()[-500:])
    text = open(tmp).read()
    if "ORACLE-ERROR" in text:
        os.unlink(tmp)
        return False, "ORACLE-ERROR in report"
    os.replace(tmp, os.path.join(outdir, name + ".expected"))
    summ = [l for l in text.splitlines() if l.startswith("# summary:")]
    rv = [l for l in text.splitlines() if l.startswith("# rule-verdicts:")]
    return True, "%.1fs %s %s" % (time.time() - t0, summ[0][11:] if summ else "",
                                  rv[0][2:] if rv else "")


def write_case(outdir, name, fn, args, doc, rules, rules6):
    frames = fn()
    write_pcap(os.path.join(outdir, name + ".pcap"), frames)
    args = list(args)
    for text, ext, opt in ((rules, ".rules", "--rules"), (rules6, ".rules6", "--rules6")):
        path = os.path.join(outdir, name + ext)
        if text:
            with open(path, "w") as f:
                f.write(text)
            args += [opt, name + ext]
        elif os.path.exists(path):
            os.unlink(path)
    argf = os.path.join(outdir, name + ".args")
    if args:
        with open(argf, "w") as f:
            f.write(" ".join(shlex.quote(a) for a in args) + "\n")
    elif os.path.exists(argf):
        os.unlink(argf)
    with open(os.path.join(outdir, name + ".txt"), "w") as f:
        f.write(doc + "\n")
    return len(frames)


def write_cases_txt(outdir):
    names = sorted(f[:-5] for f in os.listdir(outdir)
                   if f.endswith(".pcap") and os.path.exists(os.path.join(outdir, f[:-5] + ".expected")))
    with open(os.path.join(outdir, "cases.txt"), "w") as f:
        f.write("".join(n + "\n" for n in names))
    return names


def main():
    ap = argparse.ArgumentParser(description="generate the ctgate differential-test corpus")
    ap.add_argument("filters", nargs="*", help="only scenarios whose name contains one of these")
    ap.add_argument("--out", default=HERE, help="corpus folder (default: %(default)s)")
    ap.add_argument("--no-oracle", action="store_true", help="write pcaps etc. but do not run the oracle")
    ap.add_argument("--rerun", metavar="GLOB", action="append",
                    help="re-run the oracle on existing corpus cases matching GLOB (e.g. 'real_*')")
    ap.add_argument("--list", action="store_true", help="list the scenario names and exit")
    ap.add_argument("--cases-txt", action="store_true", help="only rewrite cases.txt")
    a = ap.parse_args()
    out = os.path.abspath(a.out)
    if a.list:
        for name, _, args, doc, *_ in CASES:
            print("%-32s %s" % (name, doc))
        print("%d scenarios" % len(CASES))
        return 0
    if a.cases_txt:
        print("cases.txt: %d cases" % len(write_cases_txt(out)))
        return 0
    if not a.no_oracle and os.geteuid() != 0:
        print("the oracle needs root (or use --no-oracle)", file=sys.stderr)
        return 2
    if not a.no_oracle and not os.path.exists(ORACLE):
        print("oracle not found: %s (set CTORACLE=...)" % ORACLE, file=sys.stderr)
        return 2
    os.makedirs(out, exist_ok=True)
    failed = []
    if a.rerun:
        names = sorted(f[:-5] for f in os.listdir(out) if f.endswith(".pcap")
                       and any(fnmatch.fnmatch(f[:-5], g) for g in a.rerun))
        for n in names:
            ok, msg = run_oracle(out, n)
            print("%s %s  %s" % ("OK  " if ok else "FAIL", n, msg))
            if not ok:
                failed.append(n)
    else:
        sel = [c for c in CASES if not a.filters or any(f in c[0] for f in a.filters)]
        for name, fn, args, doc, rules, rules6 in sel:
            n = write_case(out, name, fn, args, doc, rules, rules6)
            if a.no_oracle:
                print("wrote %s (%d frames)" % (name, n))
                continue
            ok, msg = run_oracle(out, name)
            print("%s %-30s %3d frames  %s" % ("OK  " if ok else "FAIL", name, n, msg))
            sys.stdout.flush()
            if not ok:
                failed.append(name)
    names = write_cases_txt(out)
    print("%d failed%s; cases.txt lists %d cases" % (len(failed), (": " + " ".join(failed)) if failed else "",
                                                     len(names)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
