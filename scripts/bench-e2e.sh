#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# End-to-end throughput: ctgate-gen sends a one-way UDP stream (inside -> outside) through
#   1. dpdk-testpmd, io forwarding between two memif ports (the floor: no processing), and
#   2. ctgate with the default-style ruleset (inside may open, outside may not),
# on the same memif set-up, in the same run, and prints the Mpps received by the
# generator for each and the ratio ctgate / testpmd.
# usage: scripts/bench-e2e.sh [BUILD_DIR] [SECONDS] [FRAME_SIZE] [WORKERS]
# Needs root. The forwarder (testpmd's forwarding core or ctgate's workers) gets core 1,
# the generator core 0, the forwarder's control core shares core 0 (it sleeps).
set -u
BUILD=${1:-build}
SECS=${2:-5}
SIZE=${3:-64}
WORKERS=${4:-1}
CTGATE=$BUILD/app/ctgate/ctgate
GEN=$BUILD/app/ctgate-gen/ctgate-gen
TESTPMD=$(command -v dpdk-testpmd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ] || [ ! -x "$CTGATE" ] || [ ! -x "$GEN" ] || [ -z "$TESTPMD" ]; then
	echo "bench-e2e: needs root, $CTGATE, $GEN and dpdk-testpmd" >&2
	exit 77
fi
DIR=$(mktemp -d /tmp/ctg-bench-e2e.XXXXXX)
FWD_PID=
cleanup() {
	if [ -n "$FWD_PID" ]; then
		kill -INT "$FWD_PID" 2>/dev/null
		wait "$FWD_PID" 2>/dev/null
	fi
	rm -rf "$DIR"
}
trap cleanup EXIT
if [ "$WORKERS" -eq 1 ]; then
	FWD_LCORES="0@0,1@1"
else
	FWD_LCORES="0@0,(1-$WORKERS)@1"
fi

gen_run() { # label
	timeout $((SECS + 60)) "$GEN" --no-huge -m 1024 --no-pci --file-prefix "bgen$$" \
		--lcores 0@0 \
		--vdev="net_memif0,role=client,socket=$DIR/in.sock" \
		--vdev="net_memif1,role=client,socket=$DIR/out.sock" \
		-- --queues "$WORKERS" --profile udp --udp-mode stream --size "$SIZE" --flows 64 \
		--concurrency 64 --requests 4000000000 --duration "$SECS" --loss-ok \
		--flow-timeout-ms 1000 --settle-ms 200 > "$DIR/gen-$1.log" 2>&1
	grep "^gen: " "$DIR/gen-$1.log" | tail -n1
}
wait_for() { # file pattern
	for _ in $(seq 100); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
field() {
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# 1. testpmd io forwarding
rm -f "$DIR/in.sock" "$DIR/out.sock"
"$TESTPMD" --no-huge -m 1024 --no-pci --file-prefix "btp$$" --lcores "$FWD_LCORES" \
	--vdev="net_memif0,role=server,socket=$DIR/in.sock" \
	--vdev="net_memif1,role=server,socket=$DIR/out.sock" \
	-- --no-mlockall --total-num-mbufs 16384 --forward-mode=io --rxq "$WORKERS" \
	--txq "$WORKERS" --nb-cores "$WORKERS" --stats-period 3600 -a \
	> "$DIR/testpmd.log" 2>&1 < /dev/null &
FWD_PID=$!
wait_for "$DIR/testpmd.log" "Port 1: link state change\|Checking link statuses\|Press enter" ||
	{ echo "bench-e2e: testpmd did not start" >&2; tail "$DIR/testpmd.log" >&2; exit 1; }
sleep 0.5
tp=$(gen_run testpmd)
kill -INT "$FWD_PID"
wait "$FWD_PID"
FWD_PID=

# 2. ctgate
rm -f "$DIR/in.sock" "$DIR/out.sock"
cat > "$DIR/bench.rules" <<'RULES'
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A FORWARD -i in -m conntrack --ctstate NEW -j ACCEPT
COMMIT
RULES
cat > "$DIR/ct.conf" <<CONF
port add in net_memif0,role=server,socket=$DIR/in.sock
port add out net_memif1,role=server,socket=$DIR/out.sock
bridge in out
workers $WORKERS
mempool 16384
conntrack max 65536
rules load bench.rules
CONF
"$CTGATE" --no-huge -m 1024 --no-pci --file-prefix "bct$$" --lcores "$FWD_LCORES" \
	-- --config "$DIR/ct.conf" > "$DIR/ctgate.log" 2>&1 &
FWD_PID=$!
wait_for "$DIR/ctgate.log" "running with" ||
	{ echo "bench-e2e: ctgate did not start" >&2; tail "$DIR/ctgate.log" >&2; exit 1; }
ct=$(gen_run ctgate)
kill -TERM "$FWD_PID"
wait "$FWD_PID"
FWD_PID=

tp_mpps=$(field "$tp" mpps)
ct_mpps=$(field "$ct" mpps)
echo "bench-e2e: memif, ${SIZE}-byte frames, one-way UDP stream (64 flows), ${SECS} s, $WORKERS worker(s)"
echo "  testpmd io: $tp"
echo "  ctgate    : $ct"
grep "pipeline:\|conntrack:\|tx_drop" "$DIR/ctgate.log" | sed 's/^/  ctgate: /' | cut -c1-200
ratio=$(awk -v a="${ct_mpps:-0}" -v b="${tp_mpps:-0}" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }')
echo "bench-e2e: testpmd_mpps=${tp_mpps:-0} ctgate_mpps=${ct_mpps:-0} ratio=$ratio"
