#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Exports of a running ctgate with traffic: DPDK telemetry (/ctgate/... with
# dpdk-telemetry.py), Prometheus (/metrics checked by promtool), IPFIX records received by
# nfcapd and read back with nfdump.
# usage: exports.sh CTGATE CTGATE-CLI SRC. TAP; 77 without root, net_tap or the tools.
CTGATE=$1
CLI=$2
SRC=$3
. "$SRC/tests/appliance/topo.sh"
topo_skip_unless_possible
for t in dpdk-telemetry.py promtool nfcapd nfdump curl; do
	command -v $t > /dev/null || { echo "1..0 # SKIP $t missing (scripts/install-deps.sh)"; exit 77; }
done
trap 'topo_cleanup; [ -n "$NFPID" ] && kill $NFPID 2>/dev/null' EXIT
PY=python3
SOCK=/tmp/ctgate-exp-test-$$.sock
PREFIX=ctgexp$$
PROM_PORT=$((20000 + $$ % 20000))
IPFIX_PORT=$((40000 + $$ % 20000))
. "$SRC/tests/appliance/lib.sh"

NFDIR=$(mktemp -d /tmp/ctgate-nfcapd.XXXXXX)
nfcapd -p $IPFIX_PORT -b 127.0.0.1 -w "$NFDIR" -t 60 > "$NFDIR.log" 2>&1 &
NFPID=$!
sleep 0.5
TOPO_EAL="--file-prefix $PREFIX" \
TOPO_CONF="prometheus port $PROM_PORT
ipfix collector 127.0.0.1 $IPFIX_PORT 5" \
	topo_start 2 "0@0,(1-2)@1" "" --socket "$SOCK" || { echo "Bail out! ctgate did not start"; exit 1; }

# Traffic: pings, a TCP connection, UDP flows; then delete them (IPFIX end records).
in_ns ping -c 3 -i 0.2 10.99.1.2 > /dev/null 2>&1
(cd "$TOPO_DIR" && exec ip netns exec "$NS_OUT" $PY -m http.server 8080 --bind 10.99.1.2 \
	> "$TOPO_DIR/http.log" 2>&1) &
TOPO_PIDS="$TOPO_PIDS $!"
wait_http "$NS_IN" http://10.99.1.2:8080/ || echo "# http server not reachable"
in_ns $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.99.1.1", 41000))
for p in (7001, 7002, 7003):
    s.sendto(b"hello", ("10.99.1.2", p))'
in_ns ping -6 -c 2 -i 0.2 fd99::2 > /dev/null 2>&1
sleep 0.3

# --- DPDK telemetry ---
tel() {
	echo "$1" | dpdk-telemetry.py -f "$PREFIX" 2>&1
}
tel /ctgate/stats > "$TOPO_DIR/tel.out"
if grep -q '"/ctgate/stats": {.*"rx": [1-9]' "$TOPO_DIR/tel.out"; then
	ok "dpdk-telemetry.py /ctgate/stats"
else
	sed 's/^/# /' "$TOPO_DIR/tel.out" | tail -n 5; notok "dpdk-telemetry.py /ctgate/stats"
fi
tel / > "$TOPO_DIR/tel.out"
for ep in /ctgate/workers /ctgate/ct/stats /ctgate/pipeline/drops /ctgate/frag/stats \
		/ctgate/ct/params /ctgate/ports /ctgate/events; do
	grep -q "\"$ep\"" "$TOPO_DIR/tel.out" && ok "telemetry lists $ep" || notok "telemetry lists $ep"
done
tel /ctgate/workers,1 | grep -q '"/ctgate/workers": {.*"lcore": 2' &&
	ok "telemetry /ctgate/workers,1" || notok "telemetry /ctgate/workers,1"
tel /ctgate/ct/stats | grep -q '"count": [1-9]' && ok "telemetry /ctgate/ct/stats count" ||
	notok "telemetry /ctgate/ct/stats count"
tel /ctgate/workers,99 | grep -q '"/ctgate/workers": null' && ok "telemetry rejects a bad worker id" ||
	notok "telemetry rejects a bad worker id"
echo "# $(tel /ctgate/ct/stats | tail -n 1)"

# --- Prometheus ---
curl -s --max-time 5 "http://127.0.0.1:$PROM_PORT/metrics" > "$TOPO_DIR/metrics.txt"
if grep -q '^ctgate_worker_rx_total{worker="0"} [0-9]' "$TOPO_DIR/metrics.txt"; then
	ok "Prometheus scrape on 127.0.0.1:$PROM_PORT/metrics ($(wc -l < "$TOPO_DIR/metrics.txt") lines)"
else
	head -n 5 "$TOPO_DIR/metrics.txt" | sed 's/^/# /'; notok "Prometheus scrape"
fi
if promtool check metrics < "$TOPO_DIR/metrics.txt" > "$TOPO_DIR/promtool.out" 2>&1; then
	ok "promtool check metrics"
else
	sed 's/^/# /' "$TOPO_DIR/promtool.out" | head -n 20; notok "promtool check metrics"
fi
helps=$(grep -c '^# HELP' "$TOPO_DIR/metrics.txt")
types=$(grep -c '^# TYPE' "$TOPO_DIR/metrics.txt")
[ "$helps" = "$types" ] && [ "$helps" -gt 50 ] && ok "every metric has HELP and TYPE ($helps)" ||
	notok "HELP $helps, TYPE $types"
grep -E '^ctgate_(conntrack_entries|pipeline_drops_total|frag_fragments_total|port_rx_packets_total)' \
	"$TOPO_DIR/metrics.txt" | head -n 6 | sed 's/^/# /'
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PROM_PORT/nope")
[ "$code" = 404 ] && ok "other paths: 404" || notok "other paths: $code"

# --- IPFIX: end records of deleted connections, then of the rest at shutdown ---
expect_ok "delete -p udp --sport 41000" "3 flow entries have been deleted" delete -p udp --sport 41000
sleep 2
topo_stop
sleep 1
kill -TERM $NFPID; wait $NFPID 2>/dev/null; NFPID=
nfdump -R "$NFDIR" -o "fmt:%ts %te %pr %sa %sp %da %dp %pkt %byt" -6 > "$TOPO_DIR/nfdump.txt" 2>&1
sed 's/^/# /' "$TOPO_DIR/nfdump.txt" | head -n 30
# Without lib/ct's event hook only the records of connections alive at shutdown exist.
if ! "$CTGATE" --features | grep -q '^events: available'; then
	skip "deleted flows' records: this build has no conntrack event hook"
else grep -Eq 'UDP +10.99.1.1 +41000 +10.99.1.2 +7001 +1 +33' "$TOPO_DIR/nfdump.txt" &&
	ok "nfdump reads the deleted UDP flow's record (5-tuple, 1 packet, 33 bytes)" ||
	notok "nfdump: UDP flow 10.99.1.1:41000 -> 10.99.1.2:7001"
fi
grep -Eq 'TCP +10.99.1.1 +[0-9]+ +10.99.1.2 +8080 ' "$TOPO_DIR/nfdump.txt" &&
	ok "nfdump: TCP orig direction" || notok "nfdump: TCP orig direction"
grep -Eq 'TCP +10.99.1.2 +8080 +10.99.1.1 +[0-9]+ ' "$TOPO_DIR/nfdump.txt" &&
	ok "nfdump: TCP reply direction (a second record)" || notok "nfdump: TCP reply direction"
grep -Eq 'ICMP6? +fd99::1' "$TOPO_DIR/nfdump.txt" &&
	ok "nfdump: IPv6 record (template 257)" || notok "nfdump: IPv6 record"
nfdump -R "$NFDIR" -o raw 2>/dev/null | grep -m1 -i "end reason\|fwd_status\|flowEndReason" | sed 's/^/# /'
grep -q "mbuf leak check: OK" "$CTGATE_LOG" && ok "ctgate stopped cleanly" || notok "ctgate stop"
rm -rf "$NFDIR" "$NFDIR.log"
echo "1..$n"
exit $fail
