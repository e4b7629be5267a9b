#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# REJECT and LOG end to end (issue 4): real clients inside, real servers outside, a
# ruleset that rejects some services (one file without address literals: it filters
# IPv6 too, icmp -> ipv6-icmp and the reject types mapped, as the oracle loads it). The client must see the firewall's answer, not a
# timeout: curl gets a TCP reset ("Connection refused") from REJECT --reject-with
# tcp-reset, ping gets "Destination Port/Admin ... Unreachable" / "Packet filtered" from
# the ICMP rejects (IPv4 and IPv6), a UDP client gets ECONNREFUSED; the LOG rule's hits
# show in `show log` with the packet's details, and the rule counters count them.
# usage: reject_log.sh CTGATE CTGATE-CLI SRC WORKERS        TAP; exit 77 without root.
CTGATE=$1
CLI=$2
SRC=$3
WORKERS=${4:-1}
if [ "$WORKERS" -eq 1 ]; then
	LCORES="0@0,1@1"
else
	LCORES="0@0,(1-$WORKERS)@(0-1)"
fi
. "$SRC/tests/appliance/topo.sh"
topo_skip_unless_possible
PY=/usr/bin/python3
if [ ! -x "$CLI" ] || ! "$CTGATE" --features | grep -q "^rules: available"; then
	echo "SKIP: no ctgate-cli or no rules library"
	exit 77
fi
SOCK=/tmp/ctgate-reject-test-$$.sock
RULES_DIR=$(mktemp -d /tmp/ctgate-reject-rules.XXXXXX)
trap 'topo_cleanup; rm -rf "$RULES_DIR"; rm -f "$SOCK"' EXIT
. "$SRC/tests/appliance/lib.sh"

cat > "$RULES_DIR/reject.rules" <<'RULES'
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED,UNTRACKED -j ACCEPT
-A FORWARD -p tcp -m tcp --dport 8081 -j LOG --log-prefix "reject-8081 "
-A FORWARD -p tcp -m tcp --dport 8081 -j REJECT --reject-with tcp-reset
-A FORWARD -p udp -m udp --dport 9999 -j REJECT --reject-with icmp-port-unreachable
-A FORWARD -p icmp -m icmp --icmp-type echo-request -j REJECT --reject-with icmp-admin-prohibited
-A FORWARD -i in -m conntrack --ctstate NEW -j ACCEPT
COMMIT
RULES

echo "# workers=$WORKERS lcores=$LCORES"
if ! topo_start "$WORKERS" "$LCORES" "$RULES_DIR/reject.rules" --socket "$SOCK"; then
	echo "Bail out! ctgate did not start"
	exit 1
fi

# Servers outside: HTTP on 8080 (allowed) and 8081 (rejected by the firewall).
mkdir -p "$TOPO_DIR/www" && echo hello > "$TOPO_DIR/www/index.html"
for p in 8080 8081; do
	ip netns exec "$NS_OUT" timeout 60 $PY -m http.server -b :: -d "$TOPO_DIR/www" "$p" \
		> "$TOPO_DIR/http$p.log" 2>&1 &
	TOPO_PIDS="$TOPO_PIDS $!"
done
for _ in $(seq 50); do
	[ "$(ip netns exec "$NS_OUT" ss -lntH | grep -c ':808[01] ')" -ge 2 ] && break
	sleep 0.1
done

out=$(in_ns curl -s -m 5 http://10.99.1.2:8080/ 2>&1)
[ "$out" = hello ] && ok "curl to an allowed port works" || notok "curl 8080: '$out'"

# REJECT tcp-reset: curl fails at once with "connection refused" (exit 7), not a timeout.
t0=$(date +%s%N)
in_ns curl -s -m 5 http://10.99.1.2:8081/ > /dev/null 2>&1
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" = 7 ] && [ "$ms" -lt 3000 ] && ok "REJECT tcp-reset: curl gets a reset (exit 7 in ${ms} ms)" ||
	notok "REJECT tcp-reset: curl exit $rc after ${ms} ms (want 7, fast)"
in_ns curl -s -m 5 "http://[fd99::2]:8081/" > /dev/null 2>&1
rc=$?
[ "$rc" = 7 ] && ok "REJECT tcp-reset over IPv6: curl gets a reset" ||
	notok "REJECT tcp-reset over IPv6: curl exit $rc (want 7)"

# REJECT icmp-admin-prohibited: ping reports it.
in_ns ping -c 1 -W 2 10.99.1.2 > "$TOPO_DIR/ping.out" 2>&1
if grep -qiE "Packet filtered|Communication administratively prohibited|unreachable" \
		"$TOPO_DIR/ping.out"; then
	ok "REJECT icmp-admin-prohibited: ping is told ($(grep -oiE 'Packet filtered|unreachable' "$TOPO_DIR/ping.out" | head -n1))"
else
	sed 's/^/# /' "$TOPO_DIR/ping.out"
	notok "REJECT icmp-admin-prohibited: ping saw no ICMP error"
fi
in_ns ping -6 -c 1 -W 2 fd99::2 > "$TOPO_DIR/ping6.out" 2>&1
if grep -qiE "Administratively prohibited|unreachable|Packet filtered" "$TOPO_DIR/ping6.out"; then
	ok "REJECT icmp6-adm-prohibited: ping -6 is told"
else
	sed 's/^/# /' "$TOPO_DIR/ping6.out"
	notok "REJECT icmp6-adm-prohibited: ping -6 saw no ICMPv6 error"
fi

# REJECT icmp-port-unreachable on UDP: a connected UDP socket gets ECONNREFUSED.
cat > "$TOPO_DIR/udpc.py" <<'PYEOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect(("10.99.1.2", 9999))
s.send(b"x")
try:
    s.recv(100)
    print("answer")
except ConnectionRefusedError:
    print("refused")
except socket.timeout:
    print("timeout")
PYEOF
r=$(in_ns $PY "$TOPO_DIR/udpc.py" 2>&1)
[ "$r" = refused ] && ok "REJECT icmp-port-unreachable: the UDP client gets ECONNREFUSED" ||
	notok "REJECT icmp-port-unreachable: UDP client saw '$r'"

# LOG: the hit is in `show log` with its prefix and the packet's details.
cli show log > "$TOPO_DIR/log.out" 2>&1
sed 's/^/# /' "$TOPO_DIR/log.out" | tail -n 3
grep -q "reject-8081 .*SRC=10.99.1.1 DST=10.99.1.2.*PROTO=6.*DPT=8081" "$TOPO_DIR/log.out" &&
	ok "LOG: the hit shows with prefix, addresses, protocol and port" ||
	notok "LOG: no 'reject-8081' line with the packet's details"
# Counters: the REJECT rules counted their packets; the workers sent the answers.
cli rules show > "$TOPO_DIR/rules.out" 2>&1
sed 's/^/# /' "$TOPO_DIR/rules.out" | grep -E "REJECT|LOG" | head -n 6
awk '$3 == "REJECT" && $1 > 0 { n++ } END { exit n >= 3 ? 0 : 1 }' "$TOPO_DIR/rules.out" &&
	ok "rules show: the REJECT rules counted packets" ||
	notok "rules show: REJECT counters"
topo_stop
sent=$(grep -oE "reject_sent=[0-9]+" "$CTGATE_LOG" | awk -F= '{ s += $2 } END { print s + 0 }')
[ "${sent:-0}" -ge 5 ] && ok "workers sent $sent REJECT answers" || notok "reject_sent=$sent"
if [ "$CTGATE_RC" = 0 ] && grep -q "^mbuf leak check: OK" "$CTGATE_LOG"; then
	ok "SIGTERM: exit 0, mbuf leak check OK"
else
	notok "SIGTERM: exit $CTGATE_RC"
fi
echo "1..$n"
exit $fail
