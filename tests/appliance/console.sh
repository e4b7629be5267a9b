#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The console on ctgate's terminal, driven in tmux as a person would type it (send-keys,
# capture-pane): help, Tab completion, '?', a typo, show conntrack, history (Up arrow),
# events until a key is pressed, quit (stops ctgate cleanly).
# usage: console.sh CTGATE SRC. TAP; 77 without root, net_tap or tmux.
CTGATE=$1
SRC=$2
. "$SRC/tests/appliance/topo.sh"
topo_skip_unless_possible
command -v tmux > /dev/null || { echo "1..0 # SKIP tmux missing"; exit 77; }
SESSION=ctgcon$$
SOCK=/tmp/ctgate-con-test-$$.sock
CLI=/bin/false
trap 'tmux kill-session -t $SESSION 2>/dev/null; topo_cleanup' EXIT
. "$SRC/tests/appliance/lib.sh"

# The topology, with ctgate started by hand in a tmux pane (a terminal) instead.
TOPO_DIR=$(mktemp -d /tmp/ctgate-topo.XXXXXX)
CTGATE_LOG=$TOPO_DIR/pane.txt
cat > "$TOPO_DIR/ctgate.conf" <<CONF
port add in net_tap_i$topo_id,iface=$IF_IN
port add out net_tap_o$topo_id,iface=$IF_OUT
bridge in out
workers 1
conntrack max 4096
CONF
ip netns add "$NS_IN"
ip netns add "$NS_OUT"
tmux new-session -d -s $SESSION -x 220 -y 50 \
	"CTGATE=$CTGATE $SRC/scripts/ctgate-run.sh --lcores 0@0,1@1 --no-pci --log-level=pmd.net.tap:error -- --config $TOPO_DIR/ctgate.conf --socket $SOCK; echo CTGATE-EXIT=\$?; sleep 30"
pane() {
	tmux capture-pane -p -t $SESSION -S -200 > "$TOPO_DIR/pane.txt"
}
# wait_pane PATTERN: until the pane shows PATTERN.
wait_pane() {
	for _ in $(seq 50); do
		pane
		grep -Eq -- "$1" "$TOPO_DIR/pane.txt" && return 0
		sleep 0.1
	done
	return 1
}
type_line() { # text, then Enter
	tmux send-keys -t $SESSION -l "$1"
	tmux send-keys -t $SESSION Enter
}
check_pane() { # desc pattern
	if wait_pane "$2"; then
		ok "$1"
	else
		tail -n 15 "$TOPO_DIR/pane.txt" | sed 's/^/# /'
		notok "$1"
	fi
}
if ! wait_pane "^ctgate>"; then
	echo "Bail out! no console prompt"
	cat "$TOPO_DIR/pane.txt"
	exit 1
fi
ok "the console shows its prompt"
ip link set "$IF_IN" netns "$NS_IN"
ip link set "$IF_OUT" netns "$NS_OUT"
ip -n "$NS_IN" addr add 10.99.1.1/24 dev "$IF_IN"
ip -n "$NS_OUT" addr add 10.99.1.2/24 dev "$IF_OUT"
ip -n "$NS_IN" link set "$IF_IN" up
ip -n "$NS_OUT" link set "$IF_OUT" up
in_ns ping -c 2 -i 0.2 10.99.1.2 > /dev/null 2>&1

type_line "help"
check_pane "help lists the commands" "show conntrack stats +conntrack counters per worker"
# Tab completion: "sh" Tab -> "show ", "show w" Tab -> "show workers ".
tmux send-keys -t $SESSION -l "sh"
tmux send-keys -t $SESSION Tab
check_pane "Tab completes 'sh' to 'show '" "^ctgate> show *$"
tmux send-keys -t $SESSION -l "w"
tmux send-keys -t $SESSION Tab
check_pane "Tab completes 'show w' to 'show workers '" "^ctgate> show workers *$"
tmux send-keys -t $SESSION Enter
check_pane "show workers runs" "^worker lcore socket"
tmux send-keys -t $SESSION -l "show conntrack "
tmux send-keys -t $SESSION -l "?"
check_pane "'?' shows the usage of what is typed" "conntrack -L -o extended"
tmux send-keys -t $SESSION C-u
type_line "shwo ports"
check_pane "a typo gets a clear error" "error: unknown command 'shwo'"
type_line "show conntrack -p icmp"
check_pane "show conntrack" "icmp +1 [0-9]+ src=10.99.1.1 dst=10.99.1.2 type=8 code=0"
# History: Up twice recalls "shwo ports"; fix it by retyping.
tmux send-keys -t $SESSION Up
check_pane "Up recalls the last command" "^ctgate> show conntrack -p icmp$"
tmux send-keys -t $SESSION C-u
type_line "events"
check_pane "events starts streaming" "events: press Enter to stop"
in_ns ping -c 1 10.99.1.2 > /dev/null 2>&1
if "$CTGATE" --features | grep -q '^events: available'; then
	check_pane "events shows [NEW] of a ping" "\[NEW\] ipv4 +2 icmp"
else
	check_pane "events shows [UPDATE] of a ping" "\[UPDATE\] ipv4 +2 icmp"
fi
tmux send-keys -t $SESSION Enter
check_pane "a key stops the stream" "\(events stopped\)"
type_line "set param nf_conntrack_icmp_timeout 5"
type_line "show params"
check_pane "set param / show params" "nf_conntrack_icmp_timeout = 5"
type_line "version"
check_pane "version" "^ctgate [0-9.]+ \(DPDK"
type_line "quit"
check_pane "quit stops ctgate cleanly" "mbuf leak check: OK"
check_pane "exit status 0" "CTGATE-EXIT=0"
echo "# the session, as the terminal showed it:"
grep -v '^$' "$TOPO_DIR/pane.txt" | grep -v '^\(EAL\|TELEMETRY\|tap_\|qdisc\|eth_dev\)' | sed 's/^/# /'
echo "1..$n"
exit $fail
