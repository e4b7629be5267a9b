#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# End-to-end test of ctgate between two network namespaces with real programs.
# usage: e2e.sh CTGATE SRC WORKERS
# Phase A, no ruleset: a 10 MB HTTP download (sha256), IPv4/IPv6 ping, ping -s 4000 both
# ways (v4 and v6 fragments), ICMP port unreachable back to a UDP sender, handoffs > 0
# with several workers, SIGTERM with exit 0 and "mbuf leak check: OK".
# Phase B, config/default.rules (when the rules library links): inside may connect out,
# outside-initiated TCP and ping never reach the inside, RELATED ICMP errors pass.
# TAP output; exit 77 (skip) without root or net_tap.
CTGATE=$1
SRC=$2
WORKERS=$3
if [ "$WORKERS" -eq 1 ]; then
	LCORES="0@0,1@1"
else
	# Several worker lcores share the 2 cores of the test machine.
	LCORES="0@0,(1-$WORKERS)@(0-1)"
fi
. "$SRC/tests/appliance/topo.sh"
topo_skip_unless_possible
trap topo_cleanup EXIT
PY=python3

n=0
fail=0
ok() {
	n=$((n + 1))
	echo "ok $n - $*"
}
notok() {
	n=$((n + 1))
	echo "not ok $n - $*"
	fail=1
}
skip() {
	n=$((n + 1))
	echo "ok $n # SKIP $*"
}
check() {
	desc=$1
	shift
	if "$@" > "$TOPO_DIR/cmd.out" 2>&1; then
		ok "$desc"
	else
		sed 's/^/# /' "$TOPO_DIR/cmd.out" | tail -n 15
		notok "$desc"
	fi
}
in_ns() {
	ip netns exec "$NS_IN" "$@"
}
out_ns() {
	ip netns exec "$NS_OUT" "$@"
}

# UDP to a closed port: the ICMP port unreachable must come back (ECONNREFUSED).
udp_refused() { # ns dst
	ip netns exec "$1" $PY - "$2" <<'PYEOF'
import socket, sys
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect((sys.argv[1], 9))
for _ in range(3):
    s.send(b'hello')
    try:
        s.recv(100)
    except ConnectionRefusedError:
        print('refused: ICMP port unreachable received')
        sys.exit(0)
    except socket.timeout:
        pass
print('no ICMP error came back')
sys.exit(1)
PYEOF
}

# TCP connect must time out (the SYN is dropped), not be refused or accepted.
tcp_blocked() { # ns dst port
	ip netns exec "$1" $PY - "$2" "$3" <<'PYEOF'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
except socket.timeout:
    print('timed out: blocked'); sys.exit(0)
except OSError as e:
    print('error %s: not silently blocked' % e); sys.exit(1)
print('connected: not blocked'); sys.exit(1)
PYEOF
}

wait_http() { # ns url
	for _ in $(seq 50); do
		ip netns exec "$1" curl -s -o /dev/null --max-time 1 "$2" && return 0
		sleep 0.2
	done
	return 1
}

echo "# workers=$WORKERS lcores=$LCORES"
# ---------------------------------------------------------------- phase A: no rules
if ! topo_start "$WORKERS" "$LCORES" ""; then
	echo "Bail out! ctgate did not start"
	exit 1
fi
head -c $((10 * 1024 * 1024)) /dev/urandom > "$TOPO_DIR/big.bin"
want=$(sha256sum < "$TOPO_DIR/big.bin" | cut -d' ' -f1)
(cd "$TOPO_DIR" && exec ip netns exec "$NS_OUT" $PY -m http.server 8080 --bind 10.99.1.2 \
	> "$TOPO_DIR/http.log" 2>&1) &
TOPO_PIDS="$TOPO_PIDS $!"

check "IPv4 ping inside -> outside" in_ns ping -c 3 -i 0.2 -W 2 10.99.1.2
check "IPv6 ping inside -> outside" in_ns ping -6 -c 3 -i 0.2 -W 2 fd99::2
check "IPv4 ping -s 4000 (fragments) inside -> outside" in_ns ping -c 3 -i 0.2 -W 2 -s 4000 10.99.1.2
check "IPv4 ping -s 4000 (fragments) outside -> inside" out_ns ping -c 3 -i 0.2 -W 2 -s 4000 10.99.1.1
check "IPv6 ping -s 4000 (fragments) inside -> outside" in_ns ping -6 -c 3 -i 0.2 -W 2 -s 4000 fd99::2
check "IPv6 ping -s 4000 (fragments) outside -> inside" out_ns ping -6 -c 3 -i 0.2 -W 2 -s 4000 fd99::1
check "UDP to a closed port: ICMP port unreachable reaches the sender (IPv4)" udp_refused "$NS_IN" 10.99.1.2
check "UDP to a closed port: ICMPv6 port unreachable reaches the sender (IPv6)" udp_refused "$NS_IN" fd99::2
if wait_http "$NS_IN" http://10.99.1.2:8080/; then
	t0=$(date +%s.%N)
	in_ns curl -s --max-time 120 -o "$TOPO_DIR/got.bin" http://10.99.1.2:8080/big.bin
	t1=$(date +%s.%N)
	got=$(sha256sum < "$TOPO_DIR/got.bin" | cut -d' ' -f1)
	echo "# 10 MB in $(echo "$t1 - $t0" | bc) s"
	if [ "$got" = "$want" ]; then
		ok "10 MB HTTP download, sha256 matches"
	else
		notok "10 MB HTTP download, sha256 $got != $want"
	fi
else
	notok "HTTP server outside not reachable"
fi
topo_stop
sed -n '/ctgate: summary/,$p' "$CTGATE_LOG" | sed 's/^/# /'
if [ "$CTGATE_RC" = 0 ] && grep -q "^mbuf leak check: OK" "$CTGATE_LOG"; then
	ok "SIGTERM: exit 0, mbuf leak check OK"
else
	notok "SIGTERM: exit $CTGATE_RC, leak check: $(grep 'leak check' "$CTGATE_LOG")"
fi
handoffs=$(topo_counter handoff_out)
ring_drops=$(topo_counter ring_drop)
if [ "$WORKERS" -gt 1 ]; then
	if [ "$handoffs" -gt 0 ]; then
		ok "software dispatch: $handoffs handoffs between $WORKERS workers ($ring_drops ring drops)"
	else
		notok "no handoffs with $WORKERS workers"
	fi
else
	if [ "$handoffs" -eq 0 ]; then
		ok "one worker: no handoffs"
	else
		notok "one worker made $handoffs handoffs"
	fi
fi
rm -f "$TOPO_DIR/big.bin" "$TOPO_DIR/got.bin"
for p in $TOPO_PIDS; do kill "$p" 2>/dev/null; done
TOPO_PIDS=

# ---------------------------------------------------------------- phase B: default rules
if ! "$CTGATE" --features | grep -q "rules: available"; then
	for d in "inside -> outside TCP with rules" "outside-initiated TCP blocked" \
			"outside-initiated ping blocked" "RELATED ICMP error with rules"; do
		skip "$d: the rules library does not link in this build"
	done
else
	[ -z "${KEEP_TOPO:-}" ] && rm -rf "$TOPO_DIR"
	TOPO_ID=${topo_id}b
	topo_id=$TOPO_ID
	NS_IN=ctg-in-$topo_id NS_OUT=ctg-out-$topo_id IF_IN=ctgi$topo_id IF_OUT=ctgo$topo_id
	if ! topo_start "$WORKERS" "$LCORES" "$SRC/config/default.rules"; then
		echo "Bail out! ctgate did not start with config/default.rules"
		exit 1
	fi
	(cd "$TOPO_DIR" && exec ip netns exec "$NS_OUT" $PY -m http.server 8080 --bind 10.99.1.2 \
		> "$TOPO_DIR/http_out.log" 2>&1) &
	TOPO_PIDS="$TOPO_PIDS $!"
	(cd "$TOPO_DIR" && exec ip netns exec "$NS_IN" $PY -m http.server 8081 --bind 10.99.1.1 \
		> "$TOPO_DIR/http_in.log" 2>&1) &
	TOPO_PIDS="$TOPO_PIDS $!"
	if wait_http "$NS_IN" http://10.99.1.2:8080/; then
		ok "inside -> outside TCP with rules (HTTP)"
	else
		notok "inside -> outside TCP with rules (HTTP)"
	fi
	check "outside-initiated TCP blocked" tcp_blocked "$NS_OUT" 10.99.1.1 8081
	if out_ns ping -c 2 -i 0.2 -W 1 10.99.1.1 > /dev/null 2>&1; then
		notok "outside-initiated ping blocked"
	else
		ok "outside-initiated ping blocked"
	fi
	check "RELATED ICMP error with rules (UDP to a closed port)" udp_refused "$NS_IN" 10.99.1.2
	# Reload the ruleset (SIGHUP) under traffic: connections survive, rules still apply.
	in_ns ping -c 20 -i 0.05 -W 1 10.99.1.2 > "$TOPO_DIR/ping_reload.out" 2>&1 &
	ping_pid=$!
	sleep 0.3
	kill -HUP "$CTGATE_PID"
	wait $ping_pid
	ping_rc=$?
	sleep 0.3
	if [ $ping_rc -eq 0 ] && [ "$(grep -c 'rules loaded' "$CTGATE_LOG")" -eq 2 ]; then
		ok "SIGHUP reload under traffic: rules reloaded, no ping lost"
	else
		sed 's/^/# /' "$TOPO_DIR/ping_reload.out" | tail -3
		notok "SIGHUP reload: ping rc=$ping_rc, $(grep -c 'rules loaded' "$CTGATE_LOG") loads"
	fi
	check "after the reload: outside-initiated TCP still blocked" tcp_blocked "$NS_OUT" 10.99.1.1 8081
	if grep -q "GET" "$TOPO_DIR/http_in.log"; then
		notok "the inside server saw a request from outside"
	else
		ok "the inside server never saw an outside-initiated request"
	fi
	topo_stop
	sed -n '/ctgate: summary/,$p' "$CTGATE_LOG" | sed 's/^/# /'
	switches=$(topo_counter rules_switch)
	if [ "$switches" -ne $((2 * WORKERS)) ]; then
		notok "every worker switched rule sets twice: rules_switch total $switches"
	fi
	if [ "$CTGATE_RC" = 0 ] && grep -q "^mbuf leak check: OK" "$CTGATE_LOG"; then
		ok "with rules: SIGTERM, exit 0, mbuf leak check OK"
	else
		notok "with rules: exit $CTGATE_RC"
	fi
fi
echo "1..$n"
exit $fail
