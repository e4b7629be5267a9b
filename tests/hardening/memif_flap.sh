#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Port down/up under load (issue 9): ctgate serves two memif ports with 2 workers; PROCS
# short-lived memif_flap clients, one after the other, each connect to both ports, send UDP
# through ctgate for HOLD_MS and tear the links down, 3 times, then exit. Every teardown
# makes ctgate's memif PMD unmap the shared region while its workers poll, and the
# process churn deschedules the workers at random points: without the unmap guard
# (app/ctgate/unmap_guard.c) ctgate died with SIGSEGV within the first 2 to 13 clients
# (8 tries).
# Asserts: links came up and traffic crossed, ctgate is alive after the last client,
# every grace period ended in time, and it stops on SIGTERM with exit 0 and
# "mbuf leak check: OK".
# usage: memif_flap.sh CTGATE MEMIF_FLAP [PROCS=150] [HOLD_MS=30]
# TAP output; exit 77 without root, binaries or net_memif.
CTGATE=$1
FLAP=$2
PROCS=${3:-150}
HOLD_MS=${4:-30}
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root"; exit 77; fi
if [ ! -x "$CTGATE" ] || [ ! -x "$FLAP" ]; then echo "1..0 # SKIP not built"; exit 77; fi
DIR=$(mktemp -d /tmp/ctg-flap.XXXXXX)
TAG="fl$$"
cat > "$DIR/ct.conf" <<CONF
port add in net_memif0,role=server,socket=$DIR/in.sock
port add out net_memif1,role=server,socket=$DIR/out.sock
bridge in out
workers 2
mempool 8192
CONF
. "$(dirname "$0")/tap.sh"
start_ctgate "$CTGATE" "$DIR" "$TAG" net_memif
died=
pids=()
for i in $(seq "$PROCS"); do
	if ! kill -0 "$PID" 2>/dev/null; then died=$i; break; fi
	# One client at a time, on alternate cores; the next one's EAL start-up overlaps
	# the last one's teardown.
	timeout 60 "$FLAP" --no-huge -m 128 --no-pci --file-prefix "fg$TAG$((i % 2))" \
		--lcores "0@$((i % 2))" -- "$DIR/in.sock" "$DIR/out.sock" 3 "$HOLD_MS" \
		> "$DIR/flap.$i.log" 2>&1 &
	pids+=($!)
	wait "${pids[@]}"
	pids=()
done
[ ${#pids[@]} -gt 0 ] && wait "${pids[@]}"
up=$(cat "$DIR"/flap.*.log | sed -n 's/^flap: .* up=\([0-9]*\) .*/\1/p' | awk '{ t += $1 } END { print t + 0 }')
recv=$(cat "$DIR"/flap.*.log | sed -n 's/^flap: .*received=\([0-9]*\).*/\1/p' | awk '{ t += $1 } END { print t + 0 }')
echo "# $PROCS clients x 3 cycles: links up in $up cycles, $recv frames came back through ctgate"
[ "$up" -ge "$PROCS" ] && ok "links came up in $up of $((PROCS * 3)) cycles" || notok "links came up in only $up cycles"
[ "$recv" -gt 0 ] && ok "traffic crossed ctgate" || notok "no traffic crossed ctgate"
if [ -z "$died" ] && kill -0 "$PID" 2>/dev/null; then
	ok "ctgate alive after $PROCS clients, $up peer disconnects under load"
else
	wait "$PID"; rc=$?; PID=
	notok "ctgate died (exit $rc) before client ${died:-$PROCS}"
	tail -n 5 "$DIR/ctgate.log" | sed 's/^/# /'
	echo "1..$n"; exit 1
fi
kill -TERM "$PID"
wait "$PID"
rc=$?
PID=
guard=$(grep "unmap guard:" "$DIR/ctgate.log")
echo "# $guard"
waits=$(echo "$guard" | sed -n 's/.*grace_periods=\([0-9]*\).*/\1/p')
[ "${waits:-0}" -gt 0 ] && echo "$guard" | grep -q " timeouts=0 " &&
	ok "every PMD unmap waited for the workers (${waits} grace periods, none timed out)" ||
	notok "unmap guard: '$guard'"
clean_stop "$rc" "$DIR/ctgate.log"
