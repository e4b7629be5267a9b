#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ctgate-cli against a running ctgate with traffic: every command (text and --json), bad
# input, events for connections the test opens and closes, rules load/show/save/zero,
# LOG lines, set param, and a listing of ~20000 entries under traffic that shows the
# time a worker spent serving one list request (max-req-us: the pause listing costs it).
# usage: cli.sh CTGATE CTGATE-CLI SRC. TAP; 77 without root or net_tap.
CTGATE=$1
CLI=$2
SRC=$3
. "$SRC/tests/appliance/topo.sh"
topo_skip_unless_possible
trap topo_cleanup EXIT
PY=python3
SOCK=/tmp/ctgate-cli-test-$$.sock
. "$SRC/tests/appliance/lib.sh"
# NEW/DESTROY events need lib/ct's event hook (ctg_ct_shard_set_event_cb).
HAVE_EVENTS=$("$CTGATE" --features | grep -c '^events: available')
ev_check() { # desc pattern
	if [ "$HAVE_EVENTS" = 0 ]; then
		skip "$1: this build has no conntrack event hook"
	elif grep -Eq -- "$2" "$TOPO_DIR/events.txt"; then
		ok "$1"
	else
		notok "$1"
	fi
}

# One worker on its own core: its pauses are its own, not a neighbour's time slice.
topo_start 1 "0@0,1@1" "" --socket "$SOCK" || { echo "Bail out! ctgate did not start"; exit 1; }


# --- traffic: ping, an HTTP server outside, UDP ---
in_ns ping -c 2 -i 0.2 10.99.1.2 > /dev/null 2>&1
(cd "$TOPO_DIR" && exec ip netns exec "$NS_OUT" $PY -m http.server 8080 --bind 10.99.1.2 \
	> "$TOPO_DIR/http.log" 2>&1) &
TOPO_PIDS="$TOPO_PIDS $!"
wait_http "$NS_IN" http://10.99.1.2:8080/ || echo "# http server not reachable"

# --- socket permissions ---
mode=$(stat -c '%a %U' "$SOCK")
[ "$mode" = "600 root" ] && ok "control socket is 0600 root ($mode)" || notok "socket mode $mode"

# --- read-only commands, text ---
expect_ok "version" "^ctgate [0-9.]+ \(DPDK" version
expect_ok "help lists every command" "show conntrack stats" help
expect_ok "help COMMAND" "conntrack -L" help show conntrack
expect_ok "show ports" "^in +[0-9]+ +out" show ports
expect_ok "show workers" "max-loop-us" show workers
expect_ok "show stats (ports, workers, drop reasons)" "dropped in filter FORWARD" show stats
expect_ok "show conntrack stats (conntrack -S)" "^worker=0 +count=[0-9]+ found=" show conntrack stats
expect_ok "show frag" "reassembled" show frag
expect_ok "show conntrack (conntrack -L -o extended)" "^ipv4 +2 icmp +1 [0-9]+ src=10.99.1.1 dst=10.99.1.2 type=8" show conntrack
expect_ok "show conntrack -p tcp --dport 8080 --state TIME_WAIT" "tcp +6 [0-9]+ TIME_WAIT src=10.99.1.1 dst=10.99.1.2 sport=[0-9]+ dport=8080" \
	show conntrack -p tcp --dport 8080 --state TIME_WAIT
expect_ok "show conntrack -s/-d/--status/--zone/--mark" "icmp" \
	show conntrack -s 10.99.1.1 -d 10.99.1.2 --status SEEN_REPLY --zone 0 --mark 0/0xff
expect_ok "show conntrack -f ipv6 (none)" "0 flow entries" show conntrack -f ipv6
expect_ok "count" "^[1-9][0-9]*$" count
expect_ok "count -p icmp" "^1$" count -p icmp
sport=$(cli show conntrack -p tcp --dport 8080 | sed -n 's/.* sport=\([0-9]*\) dport=8080.*/\1/p' | head -n 1)
expect_ok "get by tuple (either direction)" "dport=8080" get -p tcp -s 10.99.1.2 -d 10.99.1.1 --sport 8080 --dport "${sport:-1}"
icmp_id=$(cli show conntrack -p icmp | sed -n 's/.* id=\([0-9]*\) .*/\1/p' | head -n 1)
expect_ok "get -p icmp" "type=8 code=0 id=$icmp_id" get -p icmp -s 10.99.1.1 -d 10.99.1.2 --icmp-type 8 --icmp-code 0 --icmp-id "${icmp_id:-0}"
expect_ok "show expect" "expectations have been shown" show expect
expect_ok "delete expect" "expectations have been deleted" delete expect -p tcp
expect_ok "show params" "nf_conntrack_tcp_timeout_established = 432000" show params
expect_ok "rules show without rules" "no rules loaded" rules show
expect_ok "show log (empty)" "LOG records: 0" show log

# --- JSON ---
expect_ok "--json show workers" '^\[\{"worker": 0, "lcore": 1' --json show workers
expect_ok "--json show conntrack" '"proto": "tcp", "protonum": 6' --json show conntrack
expect_ok "--json count" '^\{"count": [0-9]+\}$' --json count
expect_ok "--json on a text command (a JSON string)" '^"Chain FORWARD|^"no rules' --json rules show
if cli --json show stats | $PY -c 'import json,sys; d=json.load(sys.stdin); assert d["workers"][0]["rx"] > 0' 2>"$TOPO_DIR/py.err"; then
	ok "--json show stats parses (python json)"
else
	sed 's/^/# /' "$TOPO_DIR/py.err"; notok "--json show stats parses"
fi

# --- bad input ---
expect_fail "unknown command" 1 "unknown command 'bogus'" bogus
expect_fail "wrong number of arguments" 1 "usage: set param NAME VALUE" set param nf_conntrack_udp_timeout
expect_fail "unknown parameter" 1 "unknown parameter 'nf_nope'" set param nf_nope 3
expect_fail "value out of range" 1 "out of range" set param nf_conntrack_tcp_loose 7
expect_fail "bad filter value" 1 "unknown protocol 'nosuch'" show conntrack -p nosuch
expect_fail "unknown filter option" 1 "unknown option '--bogus'" show conntrack --bogus 1
expect_fail "get without ports" 1 "needs --sport and --dport" get -p tcp -s 10.99.1.1 -d 10.99.1.2
expect_fail "delete needs a filter" 1 "usage: delete FILTERS" delete
expect_fail "start-up only command at run time" 1 "can only be used in the config file" workers 2
expect_fail "read-only session refuses flush" 1 "refused on a read-only session" --read-only flush
expect_fail "rules load of a missing file" 1 "previous set stays in force" rules load /nonexistent.rules
expect_fail "--json error" 1 '^\{"error": "unknown command' --json bogus
expect_fail "no socket" 2 "cannot connect to /nonexistent/ctgate.sock" -s /nonexistent/ctgate.sock version

# --- events: a TCP connection opened and closed, a UDP flow deleted ---
expect_ok "set param (published to the workers)" - set param nf_conntrack_tcp_timeout_time_wait 1
expect_ok "show params shows the new value" "nf_conntrack_tcp_timeout_time_wait = 1$" show params
timeout 20 "$CLI" -s "$SOCK" events > "$TOPO_DIR/events.txt" 2>&1 &
evpid=$!
wait_for "$TOPO_DIR/events.txt" "streaming" 30
in_ns curl -s -o /dev/null --max-time 5 http://10.99.1.2:8080/ 
in_ns $PY -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.99.1.1", 40000)); s.sendto(b"x", ("10.99.1.2", 5353))'
sleep 0.5
expect_ok "delete -p udp --dport 5353" "1 flow entries have been deleted" delete -p udp --dport 5353
[ "$HAVE_EVENTS" = 0 ] && sleep 2 || wait_for "$TOPO_DIR/events.txt" "DESTROY.*tcp.*dport=8080" 60
kill $evpid 2>/dev/null
wait $evpid 2>/dev/null
sed 's/^/# /' "$TOPO_DIR/events.txt" | head -n 12
ev_check "events: [NEW] of the TCP connection" \
	"^ +\[NEW\] ipv4 +2 tcp +6 [0-9]+ SYN_SENT src=10.99.1.1 dst=10.99.1.2 sport=[0-9]+ dport=8080"
grep -Eq "\[UPDATE\] .*tcp .* ESTABLISHED .*dport=8080" "$TOPO_DIR/events.txt" &&
	ok "events: [UPDATE] ESTABLISHED" || notok "events: [UPDATE] ESTABLISHED"
ev_check "events: [DESTROY] after TIME_WAIT expired" "\[DESTROY\] .*tcp .*dport=8080"
ev_check "events: [DESTROY] of the deleted UDP flow" "\[DESTROY\] .*udp .*sport=40000 dport=5353"

# --- rules at run time ---
cat > "$TOPO_DIR/log.rules" <<'RULES'
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -p icmp -j LOG --log-prefix "ctg-icmp: "
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -p tcp --dport 9999 -j DROP
COMMIT
RULES
expect_ok "rules load FILE (publish, grace period)" "rules loaded from .*log.rules \([0-9]+ rules\)" rules load "$TOPO_DIR/log.rules"
in_ns ping -c 3 -i 0.2 10.99.1.2 > /dev/null 2>&1
expect_ok "rules show (iptables -L -v -n, counters)" "^ +[1-9][0-9]* +[0-9]+ LOG +(icmp|1) " rules show
expect_ok "rules save (iptables-save -c)" '^-c [1-9][0-9]* [0-9]+ -A FORWARD -p icmp' rules save
expect_ok "show log" "ctg-icmp: IN=in OUT=out SRC=10.99.1.1 DST=10.99.1.2 LEN=84 PROTO=1" show log
expect_ok "rules zero" "zeroed" rules zero
expect_ok "counters are zero after rules zero" '^-c 0 0 -A FORWARD -p icmp' rules save

# --- flush ---
expect_ok "flush" "has been emptied" flush
expect_ok "count after flush" "^[0-9]$" count

# --- a large table listed under traffic: the longest pause while serving requests ---
in_ns $PY - <<'PYEOF'
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.99.1.1", 50000))
for p in range(10000, 30000):
    s.sendto(b"x", ("10.99.1.2", p))
    if p % 64 == 0:
        time.sleep(0.002)
PYEOF
sleep 1
total=$(cli count)
# A first listing touches every page of the pool once (page faults are not our pause).
cli show conntrack > /dev/null
expect_ok "clear workers max" "restarted on 1 workers" clear workers max
in_ns ping -f -c 100000 -s 64 10.99.1.2 > /dev/null 2>&1 &
pingpid=$!
start=$(date +%s.%N)
cli show conntrack > "$TOPO_DIR/list.txt"
end=$(date +%s.%N)
kill $pingpid 2>/dev/null
wait $pingpid 2>/dev/null
listed=$(grep -c "^ipv4" "$TOPO_DIR/list.txt")
cli show workers > "$TOPO_DIR/workers.txt"
sed 's/^/# /' "$TOPO_DIR/workers.txt"
maxreq=$(awk '$1 == "0" { print $12 }' "$TOPO_DIR/workers.txt")
maxloop=$(awk '$1 == "0" { print $11 }' "$TOPO_DIR/workers.txt")
echo "# listed $listed of $total entries in $(echo "$end - $start" | bc) s under ping -f"
echo "# longest request served: $maxreq us; longest loop iteration (OS preemption included): $maxloop us"
[ "${listed:-0}" -ge 15000 ] && ok "listed $listed entries under traffic" || notok "listed only $listed entries (count $total)"
awk -v m="${maxreq:-999999}" 'BEGIN { exit !(m < 2000) }' &&
	ok "longest time serving one list request: $maxreq us (< 2 ms)" ||
	notok "longest time serving one list request: $maxreq us"
expect_ok "delete -p udp --sport 50000 (bounded chunks)" "[0-9]{4,} flow entries have been deleted" delete -p udp --sport 50000

# --- quit ends a session, not ctgate ---
expect_ok "quit" - quit
kill -0 "$CTGATE_PID" && ok "ctgate still runs after a client's quit" || notok "ctgate died"

topo_stop
[ "$CTGATE_RC" = 0 ] && grep -q "mbuf leak check: OK" "$CTGATE_LOG" && ok "SIGTERM: exit 0, no mbuf leak" ||
	{ tail -n 20 "$CTGATE_LOG" | sed 's/^/# /'; notok "ctgate exit $CTGATE_RC"; }
[ ! -e "$SOCK" ] && ok "socket removed at exit" || notok "socket left behind"
echo "1..$n"
exit $fail
