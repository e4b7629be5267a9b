#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Runs every ctgate-bench workload at tiny sizes and checks that each prints one line of
#   workload=NAME flows=N pkts=P mpps=X ns_per_pkt=Y cycles_per_pkt=Z conns_per_s=C
#   bytes_per_conn=B
# with sane numbers: positive, ns_per_pkt consistent with mpps, '-' exactly where a
# workload does not measure a figure. The rules-* lines may be all '-' (with a '#' note)
# while lib/rule cannot load rule sets. Speed is not checked.
set -u
bench=${1:?usage: bench_smoke.sh PATH/TO/ctgate-bench}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

"$bench" --runs 1 --seconds 0.05 --flows 1000 >"$out"
rc=$?
if [ $rc -ne 0 ]; then
	echo "FAIL: ctgate-bench exited with status $rc"
	cat "$out"
	exit 1
fi
cat "$out"

awk '
function num(v) { return v ~ /^[0-9]+(\.[0-9]+)?$/ }
function bad(msg) { print "FAIL: " msg ": " $0; err = 1 }
/^#/ { next }
{
	if ($0 !~ /^workload=[a-z0-9-]+ flows=[0-9]+ pkts=[^ ]+ mpps=[^ ]+ ns_per_pkt=[^ ]+ cycles_per_pkt=[^ ]+ conns_per_s=[^ ]+ bytes_per_conn=[^ ]+$/) {
		bad("malformed line"); next
	}
	for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	name = f["workload"]
	seen[name]++
	if (name ~ /^rules-/ && f["mpps"] == "-") {
		if (f["pkts"] != "-" || f["ns_per_pkt"] != "-" || f["cycles_per_pkt"] != "-")
			bad("partly measured skipped line")
		next
	}
	if (!num(f["pkts"]) || f["pkts"] + 0 <= 0) bad("pkts")
	if (!num(f["mpps"]) || f["mpps"] + 0 <= 0 || f["mpps"] + 0 > 1000) bad("mpps")
	if (!num(f["ns_per_pkt"]) || f["ns_per_pkt"] + 0 <= 0) bad("ns_per_pkt")
	if (!num(f["cycles_per_pkt"]) || f["cycles_per_pkt"] + 0 <= 0) bad("cycles_per_pkt")
	if (num(f["mpps"]) && num(f["ns_per_pkt"])) {
		p = f["mpps"] * f["ns_per_pkt"]
		tol = 10 + 0.00006 * f["ns_per_pkt"] * 1000	# 1% + rounding of mpps
		if (p < 1000 - tol || p > 1000 + tol) bad("mpps x ns_per_pkt is not 1000")
	}
	# NAME-single: the same workload, one ctg_pipeline_process() call a packet.
	base = name
	sub(/-single$/, "", base)
	wants_cps = base ~ /^(new-udp|tcp-lifecycle|frag|frag-only)$/
	wants_bpc = base ~ /^(established-uniform|established-zipf|new-udp|tcp-lifecycle)$/
	if (wants_cps && (!num(f["conns_per_s"]) || f["conns_per_s"] + 0 <= 0)) bad("conns_per_s")
	if (!wants_cps && f["conns_per_s"] != "-") bad("conns_per_s should be -")
	if (wants_bpc && (!num(f["bytes_per_conn"]) || f["bytes_per_conn"] + 0 < 16)) bad("bytes_per_conn")
	if (!wants_bpc && f["bytes_per_conn"] != "-") bad("bytes_per_conn should be -")
	if (base == "tcp-lifecycle" && num(f["conns_per_s"]) && num(f["mpps"])) {
		r = f["mpps"] * 1e6 / f["conns_per_s"]
		if (r < 8.5 || r > 9.5) bad("tcp-lifecycle is not 9 packets a connection")
	}
	if (base == "new-udp" && num(f["conns_per_s"]) && num(f["mpps"])) {
		r = f["mpps"] * 1e6 / f["conns_per_s"]
		if (r < 0.95 || r > 1.05) bad("new-udp is not one connection a packet")
	}
}
END {
	n = split("hot-flow established-uniform established-zipf new-udp tcp-lifecycle frag frag-only rules-0 rules-10 rules-1000 rules-10000", want, " ")
	for (i = 1; i <= n; i++)
		if (seen[want[i]] != 1) { print "FAIL: workload " want[i] " printed " seen[want[i]] + 0 " times"; err = 1 }
	exit err
}' "$out" || exit 1
echo "PASS: every workload printed one well-formed line"
