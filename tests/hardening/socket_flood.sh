#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Control socket flood (issue 9): CLIENTS concurrent ctgate-cli clients, each sending
# valid, malformed and state-changing-but-invalid commands. Asserts: ctgate survives and
# stays responsive, every client gets an answer or a clear error, malformed `set param`
# leaves the running parameters untouched, and ctgate stops cleanly on SIGTERM.
# usage: socket_flood.sh CTGATE CTGATE_CLI [CLIENTS=64] [ROUNDS=20]; TAP; 77 without root.
CTGATE=$1
CLI=$2
CLIENTS=${3:-64}
ROUNDS=${4:-20}
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root"; exit 77; fi
if [ ! -x "$CTGATE" ] || [ ! -x "$CLI" ]; then echo "1..0 # SKIP not built"; exit 77; fi
DIR=$(mktemp -d /tmp/ctg-sockflood.XXXXXX)
SOCK=$DIR/ctl.sock
cat > "$DIR/ct.conf" <<CONF
port add a net_null0
port add b net_null1
bridge a b
workers 1
mempool 2048
control socket $SOCK
CONF
"$CTGATE" --no-huge -m 256 --no-pci --file-prefix "sf$$" --lcores 0@0,1@1 -- \
	--config "$DIR/ct.conf" --no-console > "$DIR/ctgate.log" 2>&1 &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 100); do [ -S "$SOCK" ] && grep -q "running with" "$DIR/ctgate.log" && break; sleep 0.1; done
n=0; fail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; fail=1; }
before=$("$CLI" -s "$SOCK" show params)
[ -n "$before" ] && ok "ctgate up, params readable" || notok "ctgate not answering"
client() {
	local i=$1 r
	for r in $(seq "$ROUNDS"); do
		case $((r % 6)) in
		0) "$CLI" -s "$SOCK" show stats ;;
		1) "$CLI" -s "$SOCK" set param nf_conntrack_max -1 ;;
		2) "$CLI" -s "$SOCK" set param nope 1 ;;
		3) "$CLI" -s "$SOCK" frobnicate "$(head -c 300 /dev/urandom | tr -d '\0\n')" ;;
		4) printf 'show conntrack stats\nshow frag\nbogus\n%s\n' "$(head -c 5000 /dev/zero | tr '\0' x)" |
			"$CLI" -s "$SOCK" ;;
		5) "$CLI" -s "$SOCK" show conntrack ;;
		esac > "$DIR/client.$i.$r.out" 2>&1
		echo $? >> "$DIR/client.$i.rc"
	done
}
start=$SECONDS
for i in $(seq "$CLIENTS"); do client "$i" & done
# Raw connections that send nothing or garbage and hang up, at the same time.
for i in $(seq 50); do
	python3 -c "import socket,os;s=socket.socket(socket.AF_UNIX);s.connect('$SOCK');s.send(os.urandom(4096));s.close()" 2>/dev/null &
done
wait $(jobs -p | grep -v "^$PID\$") 2>/dev/null
elapsed=$((SECONDS - start))
kill -0 $PID 2>/dev/null && ok "ctgate alive after $CLIENTS clients x $ROUNDS commands ($elapsed s)" || notok "ctgate died"
total=$(cat "$DIR"/client.*.rc | wc -l)
crashed=$(cat "$DIR"/client.*.rc | awk '$1 >= 128' | wc -l)
answered=$(grep -l . "$DIR"/client.*.out | wc -l)
[ "$total" -eq $((CLIENTS * ROUNDS)) ] && [ "$crashed" -eq 0 ] && ok "$total commands, none killed, $answered answered" ||
	notok "$total commands of $((CLIENTS * ROUNDS)), $crashed killed"
nerr=$(grep -l -iE "unknown|usage|out of range|error|invalid" "$DIR"/client.*.out | wc -l)
[ "$nerr" -gt 0 ] && ok "$nerr malformed commands answered with a clear error" || notok "no error messages"
after=$("$CLI" -s "$SOCK" show params)
[ "$before" = "$after" ] && ok "running parameters untouched" || notok "params changed"
"$CLI" -s "$SOCK" version > /dev/null && ok "still responsive" || notok "not responsive"
kill -TERM $PID; wait $PID; rc=$?
[ $rc -eq 0 ] && ok "clean stop (rc 0)" || notok "stop rc $rc"
grep -q "mbuf leak check: OK" "$DIR/ctgate.log" && ok "mbuf leak check OK" || notok "mbuf leak check"
echo "1..$n"
exit $fail
