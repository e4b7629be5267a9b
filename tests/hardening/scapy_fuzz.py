#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Scapy fuzz campaign (issue 9): scapy's fuzz() on Ether/IP/IPv6/TCP/UDP/ICMP/ICMPv6/SCTP
# and IPv6 extension headers (fragment, hop-by-hop, routing, atomic fragments), ICMP
# errors quoting fuzzed packets, 10% truncated frames. Writes one pcap for ctgate-replay
# (every DROPPED/INVALID line must carry a reason) and the kernel oracle.
# usage: scapy_fuzz.py [COUNT=6000] [SEED=9] [OUT=fuzz.pcap]
import random, sys
from scapy.all import *
from scapy.layers.sctp import SCTP, SCTPChunkInit, SCTPChunkData
random.seed(int(sys.argv[2]) if len(sys.argv) > 2 else 9)
N = int(sys.argv[1]) if len(sys.argv) > 1 else 6000
mk = [
    lambda: Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/fuzz(IP()),
    lambda: Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/fuzz(IP(dst="10.0.0.2"))/fuzz(TCP()),
    lambda: Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="10.0.0.1", dst="10.0.0.2")/fuzz(TCP()),
    lambda: Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="10.0.0.1", dst="10.0.0.2")/fuzz(UDP())/Raw(b"x"*random.randint(0,40)),
    lambda: Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/fuzz(IP(dst="10.0.0.2"))/fuzz(UDP()),
    lambda: Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="10.0.0.1", dst="10.0.0.2")/fuzz(ICMP()),
    lambda: Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="10.0.0.3", dst="10.0.0.1")/ICMP(type=3, code=random.randint(0,15))/fuzz(IP(src="10.0.0.1", dst="10.0.0.2"))/fuzz(UDP()),
    lambda: Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="10.0.0.1", dst="10.0.0.2")/fuzz(SCTP())/fuzz(SCTPChunkInit()),
    lambda: Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="10.0.0.1", dst="10.0.0.2")/SCTP(sport=random.randint(1,65535), dport=80)/fuzz(SCTPChunkData()),
    lambda: Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/fuzz(IP(dst="10.0.0.2", flags=random.choice([0,1,2]), frag=random.randint(0,8191)))/fuzz(UDP()),
    lambda: Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/fuzz(IPv6()),
    lambda: Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IPv6(src="2001:db8::1", dst="2001:db8::2")/fuzz(TCP()),
    lambda: Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IPv6(src="2001:db8::1", dst="2001:db8::2")/fuzz(UDP()),
    lambda: Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IPv6(src="2001:db8::1", dst="2001:db8::2")/fuzz(ICMPv6EchoRequest()),
    lambda: Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IPv6(src="2001:db8::1", dst="2001:db8::2")/fuzz(ICMPv6DestUnreach())/fuzz(IPv6(src="2001:db8::2", dst="2001:db8::1"))/fuzz(UDP()),
    lambda: Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IPv6(src="fe80::1", dst="ff02::1")/fuzz(ICMPv6ND_NS()),
    lambda: Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IPv6(src="2001:db8::1", dst="2001:db8::2")/fuzz(IPv6ExtHdrFragment())/fuzz(UDP()),
    lambda: Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IPv6(src="2001:db8::1", dst="2001:db8::2")/fuzz(IPv6ExtHdrHopByHop())/fuzz(TCP()),
    lambda: Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IPv6(src="2001:db8::1", dst="2001:db8::2")/fuzz(IPv6ExtHdrRouting())/fuzz(UDP()),
    lambda: Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IPv6(src="2001:db8::1", dst="2001:db8::2")/IPv6ExtHdrFragment(offset=0, m=0, id=random.randint(0,2**32-1))/UDP(sport=1, dport=2),
    lambda: Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IPv6(src="2001:db8::1", dst="2001:db8::2")/fuzz(SCTP()),
]
pkts = []
t = 1000.0
for i in range(N):
    p = random.choice(mk)()
    try:
        b = raw(p)
    except Exception:
        continue
    if random.random() < 0.1 and len(b) > 20:  # truncate some
        b = b[:random.randint(14, len(b) - 1)]
    q = Ether(b)
    q.time = t
    t += 0.001
    pkts.append(q)
wrpcap(sys.argv[3] if len(sys.argv) > 3 else "fuzz.pcap", pkts)
print(len(pkts))
