#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ctgate demo: two network namespaces with real Linux hosts on either side of ctgate
# (a transparent bridge over two net_tap ports, 2 workers on the 2 cores) and the
# default ruleset config/default.rules (inside may open connections, outside may not).
# Then real traffic: an HTTP download, ping -s 4000 (fragments), a UDP request/response
# (socat), an ICMP error (UDP to a closed port) and an outside-initiated connection that
# must fail. Prints the results and ctgate's counters, and tears everything down.
# usage: sudo scripts/demo.sh        (builds build-demo/ if no ctgate binary exists)
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
	echo "demo: needs root (network namespaces, net_tap); try: sudo $0" >&2
	exit 1
fi
CTGATE=${CTGATE:-$(ls -t "$SRC"/build*/app/ctgate/ctgate 2>/dev/null | head -n 1)}
if [ -z "$CTGATE" ] || [ ! -x "$CTGATE" ]; then
	echo "demo: building ctgate in $SRC/build-demo"
	if [ ! -d "$SRC/build-demo" ]; then
		meson setup "$SRC/build-demo" "$SRC" > /dev/null || exit 1
	fi
	ninja -C "$SRC/build-demo" app/ctgate/ctgate || exit 1
	CTGATE=$SRC/build-demo/app/ctgate/ctgate
fi
echo "demo: ctgate binary $CTGATE"
. "$SRC/tests/appliance/topo.sh"
trap topo_cleanup EXIT
topo_skip_unless_possible

RULES=$SRC/config/default.rules
if "$CTGATE" --features | grep -q "rules: available"; then
	echo "demo: rules: $RULES"
else
	echo "demo: the rules library does not link in this build: running WITHOUT rules (accept all)"
	RULES=
fi
topo_start 2 "0@0,(1-2)@(0-1)" "$RULES" || exit 1
sed -n '/^ctgate: /p' "$CTGATE_LOG" | sed 's/^/  | /'
echo "demo: inside  $NS_IN  $IF_IN  10.99.1.1 fd99::1"
echo "demo: outside $NS_OUT $IF_OUT 10.99.1.2 fd99::2"

result() { # description, command...
	d=$1
	shift
	if "$@" > /tmp/ctgate-demo-$$.out 2>&1; then
		printf '  %-58s %s\n' "$d" "yes"
	else
		printf '  %-58s %s\n' "$d" "no"
	fi
	sed 's/^/      /' /tmp/ctgate-demo-$$.out | tail -n 3
	rm -f /tmp/ctgate-demo-$$.out
}
not() {
	! "$@"
}

head -c $((5 * 1024 * 1024)) /dev/urandom > "$TOPO_DIR/file.bin"
(cd "$TOPO_DIR" && exec ip netns exec "$NS_OUT" python3 -m http.server 8080 --bind 10.99.1.2 \
	> /dev/null 2>&1) &
TOPO_PIDS="$TOPO_PIDS $!"
(cd "$TOPO_DIR" && exec ip netns exec "$NS_IN" python3 -m http.server 8081 --bind 10.99.1.1 \
	> /dev/null 2>&1) &
TOPO_PIDS="$TOPO_PIDS $!"
ip netns exec "$NS_OUT" socat UDP4-RECVFROM:5353,bind=10.99.1.2,fork EXEC:'tr a-z A-Z' &
TOPO_PIDS="$TOPO_PIDS $!"
for _ in $(seq 50); do
	ip netns exec "$NS_IN" curl -s -o /dev/null --max-time 1 http://10.99.1.2:8080/ && break
	sleep 0.2
done

download() {
	ip netns exec "$NS_IN" curl -s --max-time 60 -o "$TOPO_DIR/got.bin" \
		-w 'HTTP %{http_code}, %{size_download} bytes, %{speed_download} B/s\n' \
		http://10.99.1.2:8080/file.bin &&
		cmp -s "$TOPO_DIR/file.bin" "$TOPO_DIR/got.bin" && echo "content identical"
}
udp_echo() {
	echo "hello ctgate" | ip netns exec "$NS_IN" socat -t 2 - UDP4:10.99.1.2:5353 | grep "HELLO CTGATE"
}
udp_closed() {
	ip netns exec "$NS_IN" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.connect(("10.99.1.2", 9)); s.send(b"x")
try:
    s.recv(10)
except ConnectionRefusedError:
    print("ICMP port unreachable received (RELATED)"); raise SystemExit(0)
raise SystemExit(1)'
}
outside_connect() {
	ip netns exec "$NS_OUT" curl -s --max-time 3 -o /dev/null http://10.99.1.1:8081/
}

echo "demo: traffic"
result "HTTP download inside -> outside (5 MB)" download
result "ping inside -> outside" ip netns exec "$NS_IN" ping -c 2 -i 0.2 -W 2 10.99.1.2
result "ping -s 4000 (fragments) inside -> outside" \
	ip netns exec "$NS_IN" ping -c 2 -i 0.2 -W 2 -s 4000 10.99.1.2
result "ping6 inside -> outside" ip netns exec "$NS_IN" ping -6 -c 2 -i 0.2 -W 2 fd99::2
result "UDP request/response (socat) inside -> outside" udp_echo
result "UDP to a closed port: ICMP error back to the sender" udp_closed
if [ -n "$RULES" ]; then
	result "outside-initiated HTTP connection FAILS (wanted)" not outside_connect
	result "outside-initiated ping FAILS (wanted)" \
		not ip netns exec "$NS_OUT" ping -c 2 -i 0.2 -W 1 10.99.1.1
else
	result "outside-initiated HTTP connection (no rules: it passes)" outside_connect
fi
for p in $TOPO_PIDS; do kill "$p" 2>/dev/null; done
TOPO_PIDS=
topo_stop
echo "demo: ctgate stopped with exit code $CTGATE_RC; its counters:"
sed -n '/ctgate: summary/,$p' "$CTGATE_LOG" | sed 's/^/  | /'
