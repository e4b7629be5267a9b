#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Multi-core scaling of ctgate (issue 7): workers share nothing but the machine, so
#  1. engine: N ctgate-bench processes, one per core, each running the established
#     workload on its own table (what N workers do), summed and compared with N x 1;
#  2. appliance I/O path: ctgate with N workers on two net_null ports (one rx/tx queue
#     pair per worker), packets per second over all workers from two --stats samples.
# usage: scale.sh CTGATE_BENCH CTGATE [WORKER_COUNTS] [FLOWS: a table size the bench runs, 10000 or 1000000]
# Needs a machine with enough cores (e.g. 16); prints one line per measurement.
set -u
BENCH=$1
CTGATE=$2
COUNTS=${3:-"1 2 4 8 14"}
FLOWS=${4:-10000}
ncpu=$(nproc)
echo "# host:$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-) cpus=$ncpu"

base=
for n in $COUNTS; do
	[ "$n" -lt "$ncpu" ] || continue
	dir=$(mktemp -d)
	for i in $(seq 1 "$n"); do
		"$BENCH" --workload established --flows "$FLOWS" --mode burst --runs 3 \
			--seconds 1 --cpu "$i" >"$dir/$i.out" 2>&1 &
	done
	wait
	sum=$(cat "$dir"/*.out | awk -v f="$FLOWS" '/^workload=established-uniform / &&
		$0 ~ "flows="f" " { for (i = 1; i <= NF; i++) if ($i ~ /^mpps=/) {
		split($i, a, "="); s += a[2] } } END { printf "%.2f", s }')
	[ -n "$base" ] || base=$sum
	awk -v n="$n" -v s="$sum" -v b="$base" -v f="$FLOWS" 'BEGIN {
		printf "engine workers=%d established-uniform flows=%d total_mpps=%.2f " \
			"per_worker=%.2f of_linear=%.3f\n", n, f, s, s / n, s / (b * n) }'
	rm -rf "$dir"
done

base=
for n in $COUNTS; do
	[ "$n" -lt "$ncpu" ] || continue
	conf=$(mktemp)
	printf 'port add a net_null0\nport add b net_null1\nbridge a b\nworkers %s\nmempool 65536\nconntrack max 65536\n' \
		"$n" >"$conf"
	log=$(mktemp)
	timeout -s INT 9 "$CTGATE" --no-huge -m 4096 --no-shconf --no-pci -l "0-$n" -- \
		--config "$conf" --stats 2 >"$log" 2>&1
	# Every --stats sample prints one "worker K" line per worker: take the last two
	# complete samples before the summary.
	pps=$(awk -v n="$n" '/^ctgate: summary/ { stop = 1 }
		!stop && /^  worker [0-9]+ / { for (i = 1; i <= NF; i++) if ($i ~ /^rx=/) {
			split($i, a, "="); s[int(c / n)] += a[2]; c++ } }
		END { k = int(c / n); if (k >= 2) printf "%.0f", (s[k - 1] - s[k - 2]) / 2;
			else print 0 }' "$log")
	[ -n "$base" ] || base=$pps
	awk -v n="$n" -v p="$pps" -v b="$base" 'BEGIN {
		printf "appliance workers=%d net_null_bypass mpps=%.2f of_linear=%.3f\n",
			n, p / 1e6, (b > 0 ? p / (b * n) : 0) }'
	grep -E "mbuf leak" "$log"
	rm -f "$conf" "$log"
done
