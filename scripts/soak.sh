#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Soak run (issue 9): one ctgate between two memif pairs for DURATION seconds while
# ctgate-gen plays legitimate clients and servers mixed with each attack profile in turn
# (syn-flood from outside and inside, midstream, oow, frag-flood, frag-tiny, icmp-spoof,
# portscan).
# Every SAMPLE seconds it records the appliance's RSS, connection count, fragment bytes
# held and drops; at the end it prints the report: legitimate flows completed and
# throughput per generator run, memory over time, drops by reason, and ctgate's exit
# (clean stop on SIGTERM under load, mbuf leak check).
#
# usage: scripts/soak.sh [DURATION_S=600] [BUILD_DIR=build] [SAMPLE_S=10]
# Environment: SOAK_RUN_S (seconds per generator run, default 60: legitimate flows are
# started for that long while the attack runs at SOAK_ATTACK_PPS, default 2000, for the
# whole run), SOAK_CT_MAX (conntrack max, 65536), SOAK_DIR (logs, default a fresh
# /tmp/ctg-soak.XXXXXX, kept). Each generator run connects to ctgate's memif ports and
# disconnects at its end: SOAK_RUN_S=2 makes a port down/up stress test of it.
# Needs root (memif, --no-huge). Output: the report on stdout.
DURATION=${1:-600}
BUILD=${2:-build}
SAMPLE=${3:-10}
CTGATE=$BUILD/app/ctgate/ctgate
GEN=$BUILD/app/ctgate-gen/ctgate-gen
CLI=$BUILD/app/ctgate-cli/ctgate-cli
MAX=${SOAK_CT_MAX:-65536}
RUN_S=${SOAK_RUN_S:-60}
APPS=${SOAK_ATTACK_PPS:-2000}

if [ "$(id -u)" != 0 ]; then
	echo "soak.sh: needs root (memif, --no-huge)" >&2
	exit 77
fi
for b in "$CTGATE" "$GEN" "$CLI"; do
	[ -x "$b" ] || { echo "soak.sh: $b not built" >&2; exit 2; }
done
DIR=${SOAK_DIR:-$(mktemp -d /tmp/ctg-soak.XXXXXX)}
mkdir -p "$DIR"
SOCK="$DIR/ctl.sock"
TAG="soak$$"

cat > "$DIR/soak.rules" <<'RULES'
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
workers 1
mempool 8192
conntrack max $MAX
control socket $SOCK
rules load soak.rules
CONF

"$CTGATE" --no-huge -m 512 --no-pci --file-prefix "ct$TAG" --lcores "0@0,1@1" \
	-- --config "$DIR/ct.conf" --no-console > "$DIR/ctgate.log" 2>&1 &
CT_PID=$!
trap 'kill -TERM "$CT_PID" 2>/dev/null; kill "$SAMPLER" 2>/dev/null' EXIT
for _ in $(seq 100); do
	grep -q "running with" "$DIR/ctgate.log" && break
	sleep 0.1
done
if ! grep -q "running with" "$DIR/ctgate.log"; then
	tail -n 20 "$DIR/ctgate.log" >&2
	kill "$CT_PID" 2>/dev/null
	exit 2
fi

cli() { "$CLI" -s "$SOCK" "$@" 2>/dev/null; }
sum_field() { tr ' ' '\n' | sed -n "s/^$1=//p" | awk '{ t += $1 } END { print t + 0 }'; }

# Sampler: t, RSS, conns, half-open, frag bytes held/queues, ct drops, pipeline drops.
sampler() {
	local t0=$SECONDS
	echo "t_s rss_kb conns early_drop ct_drop invalid frag_queues frag_bytes frag_arena_bytes"
	while kill -0 "$CT_PID" 2>/dev/null; do
		local st fr rss
		st=$(cli show conntrack stats)
		fr=$(cli show frag)
		rss=$(ps -o rss= -p "$CT_PID" | tr -d ' ')
		echo "$((SECONDS - t0)) ${rss:-0} $(echo "$st" | sum_field count)" \
			"$(echo "$st" | sum_field early_drop) $(echo "$st" | sum_field drop)" \
			"$(echo "$st" | sum_field invalid)" \
			"$(echo "$fr" | awk '/^queues now/ { print $NF }')" \
			"$(echo "$fr" | awk '/^bytes held now/ { print $NF }')" \
			"$(echo "$fr" | awk '/^arena bytes in use/ { print $NF }')"
		sleep "$SAMPLE"
	done
}
sampler > "$DIR/samples.txt" &
SAMPLER=$!

PROFILES=(
	"syn_flood --profile syn-flood --legit mix"
	"syn_flood_inside --profile syn-flood --attack-from inside --legit tcp --retries 12"
	"midstream --profile midstream --legit mix"
	"oow --profile oow --legit tcp --requests 40 --concurrency 32"
	"frag_flood --profile frag-flood --legit mix"
	"frag_tiny --profile frag-tiny --legit mix"
	"icmp_spoof --profile icmp-spoof --legit mix"
	"portscan --profile portscan --legit mix"
)
END=$((SECONDS + DURATION))
run=0
: > "$DIR/gen.txt"
while [ $SECONDS -lt $END ]; do
	p=${PROFILES[$((run % ${#PROFILES[@]}))]}
	name=${p%% *}
	args=${p#* }
	left=$((END - SECONDS))
	run_s=$((left < RUN_S ? (left > 1 ? left : 1) : RUN_S))
	# shellcheck disable=SC2086
	timeout $((left + 60)) "$GEN" --no-huge -m 1024 --no-pci --file-prefix "gen$TAG" \
		--lcores "0@0" --vdev="net_memif0,role=client,socket=$DIR/in.sock" \
		--vdev="net_memif1,role=client,socket=$DIR/out.sock" \
		-- --family both --flows 0 --duration "$run_s" --attack-pps "$APPS" \
		--attack-count $((APPS * run_s)) $args > "$DIR/gen.$run.log" 2>&1
	rc=$?
	echo "$((SECONDS)) $name rc=$rc $(grep '^gen: ' "$DIR/gen.$run.log" | tail -n1)" >> "$DIR/gen.txt"
	run=$((run + 1))
done
cli show stats > "$DIR/final_stats.txt"
cli show conntrack stats > "$DIR/final_ct.txt"
cli show frag > "$DIR/final_frag.txt"
kill -TERM "$CT_PID"
wait "$CT_PID"
CT_RC=$?
wait "$SAMPLER" 2>/dev/null

field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
echo "## Soak report: $DURATION s, $run generator runs of ${RUN_S} s, attack $APPS pps," \
	"conntrack max $MAX, logs in $DIR"
echo
echo "### Generator runs (legitimate flows completed, throughput)"
echo
echo "| end s | profile | rc | flows | completed | errors | mpps | tx_mpps | p99 us | blocked_ok | attack_passed |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
while read -r t name rc rest; do
	echo "| $t | $name | ${rc#rc=} | $(field "$rest" flows) | $(field "$rest" completed) |" \
		"$(field "$rest" errors) | $(field "$rest" mpps) | $(field "$rest" tx_mpps) |" \
		"$(field "$rest" p99_us) | $(field "$rest" blocked_ok) | $(field "$rest" attack_passed) |"
done < "$DIR/gen.txt"
echo
echo "### Memory and table over time (every $SAMPLE s)"
echo
echo '```'
column -t "$DIR/samples.txt"
echo '```'
echo
echo "### Drops by reason at the end"
echo
echo '```'
sed -n '/drops by reason/,$p' "$DIR/final_stats.txt"
cat "$DIR/final_ct.txt"
grep -E "^dropped|^fragments|^reassembled" "$DIR/final_frag.txt"
echo '```'
echo
echo "### ctgate exit (SIGTERM under load)"
echo
echo '```'
echo "exit status $CT_RC"
grep -iE "mbuf leak|summary|stopp" "$DIR/ctgate.log" | head -n 5
echo '```'
