#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Faults under load (issue 9): ctgate with 2 workers, fed at full speed from a net_pcap
# port looping 64 UDP flows on two rx queues (infinite_rx), forwarding to a net_pcap
# port that writes to /dev/null. Each worker owns about half of the flows and hands the
# others' datagrams over. Through the control socket:
#   1. "debug stall 1 1000": worker 1 stops polling for 1 s (a stuck or descheduled
#      core): worker 0's handoffs to it meet a full ring and are counted (ring_drop),
#      while the handoff message pool still serves worker 1's handoffs afterwards;
#   2. "debug mbuf-hold all": the free mbufs are taken: receive allocation fails;
#      ctgate must keep answering, and receive again once "debug mbuf-release" gave
#      them back.
# Asserts: both faults took effect, the stall's handoffs counted as ring drops, ctgate
# answered during the mbuf exhaustion, frames were received after the release, every
# frame received is accounted for (rx = tx + tx_drop + ring_drop + handoff_nomem + drop
# + shutdown_drops), ctgate stops on SIGTERM with exit 0 and "mbuf leak check: OK".
# usage: faults.sh CTGATE CTGATE_CLI; TAP; exit 77 without root or net_pcap.
CTGATE=$1
CLI=$2
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root"; exit 77; fi
for b in "$CTGATE" "$CLI"; do
	[ -x "$b" ] || { echo "1..0 # SKIP $b not built"; exit 77; }
done
PY=/usr/bin/python3
DIR=$(mktemp -d /tmp/ctg-faults.XXXXXX)
TAG="ft$$"
SOCK=$DIR/ctl.sock
# 64 UDP flows, 10.0.0.i:1024+i -> 10.1.0.1:9 (pcap, Ethernet), written without scapy.
"$PY" - "$DIR/flows.pcap" <<'PYEOF'
import struct, sys
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(64):
        udp = struct.pack('!HHHH', 1024 + i, 9, 26, 0) + b'x' * 18
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0,
                         bytes([10, 0, 0, i]), bytes([10, 1, 0, 1]))
        ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
        fr = b'\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00' + ip + udp
        f.write(struct.pack('<IIII', 0, i, len(fr), len(fr)) + fr)
PYEOF
P=$DIR/flows.pcap
cat > "$DIR/ct.conf" <<CONF
port add in net_pcap0,rx_pcap=$P,rx_pcap=$P,tx_pcap=/dev/null,tx_pcap=/dev/null,infinite_rx=1
port add out net_pcap1,rx_pcap=$P,rx_pcap=$P,tx_pcap=/dev/null,tx_pcap=/dev/null
bridge in out
workers 2
mempool 8192
control socket $SOCK
CONF
. "$(dirname "$0")/tap.sh"
start_ctgate "$CTGATE" "$DIR" "$TAG" net_pcap "$SOCK"
cli() { timeout 10 "$CLI" -s "$SOCK" "$@"; }
wsum() { cli -j show workers | grep -o "\"$1\": [0-9]*" | awk '{ t += $2 } END { print t + 0 }'; }
wone() { cli -j show workers | grep -o "\"$2\": [0-9]*" | sed -n "$(($1 + 1))p" | awk '{ print $2 + 0 }'; }

sleep 1
rd0=$(wone 0 ring_drop)
out=$(cli debug stall 1 1000)
echo "# $out"
echo "$out" | grep -q "stops polling" && ok "worker 1 stalled for 1 s" || notok "debug stall: '$out'"
sleep 1.5
rd1=$(wone 0 ring_drop)
echo "# worker 0 ring drops: $rd0 before the stall, $rd1 after"
[ $((rd1 - rd0)) -gt 4096 ] && ok "worker 0's handoffs to the stalled worker counted as ring drops (+$((rd1 - rd0)))" ||
	notok "ring drops during the stall: +$((rd1 - rd0))"
out=$(cli debug mbuf-hold all)
echo "# $out"
held=$(echo "$out" | sed -n 's/^holding \([0-9]*\) mbufs.*/\1/p')
[ "${held:-0}" -gt 1000 ] && ok "mbufs taken out of the pool ($out)" || notok "debug mbuf-hold: '$out'"
sleep 0.5
stats=$(cli show stats)
[ -n "$stats" ] && ok "ctgate answers with its mbuf pool empty" || notok "no answer with the pool empty"
out=$(cli debug mbuf-release)
echo "# $out"
rx_before=$(wsum rx)
sleep 1
rx_after=$(wsum rx)
[ "$rx_after" -gt "$rx_before" ] && ok "receiving after the release ($rx_before -> $rx_after frames)" ||
	notok "nothing received after the release ($rx_before -> $rx_after)"
kill -TERM "$PID"
wait "$PID"
rc=$?
PID=
sum() { sed -n '/ctgate: summary/,$p' "$DIR/ctgate.log" | grep "^  worker" | tr ' ' '\n' |
	sed -n "s/^$1=//p" | awk '{ t += $1 } END { print t + 0 }'; }
rx=$(sum rx); tx=$(sum tx); txd=$(sum tx_drop); rd=$(sum ring_drop); hn=$(sum handoff_nomem)
drop=$(sed -n 's/.*pipeline: forward=[0-9]* drop=\([0-9]*\).*/\1/p' "$DIR/ctgate.log" | tail -n1)
sd=$(sed -n 's/.*shutdown_drops=\([0-9]*\).*/\1/p' "$DIR/ctgate.log" | tail -n1)
echo "# rx=$rx tx=$tx tx_drop=$txd ring_drop=$rd handoff_nomem=$hn drop=$drop shutdown_drops=$sd"
[ "$hn" = 0 ] && ok "no handoff lacked a message buffer (handoff_nomem=0)" ||
	notok "handoff_nomem=$hn: a stalled worker starved the others' handoffs"
acc=$((tx + txd + rd + hn + ${drop:-0} + ${sd:-0}))
[ "$rx" -gt 0 ] && [ "$rx" = "$acc" ] && ok "every frame received is accounted for ($rx = $acc)" ||
	notok "rx $rx but tx+tx_drop+ring_drop+handoff_nomem+drop+shutdown_drops = $acc"
clean_stop "$rc" "$DIR/ctgate.log"
