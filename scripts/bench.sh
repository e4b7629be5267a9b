#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Benchmark of the pipeline against the machine's packet-I/O floor (docs/performance.md).
#
#   scripts/bench.sh [ctgate-bench options]      e.g. --runs 5 --seconds 1 --flows 10M
#
# 1. builds a release tree (build-bench/, or $BUILD) with -Dwerror=true;
# 2. measures the floor: dpdk-testpmd io forwarding between two net_null ports on one
#    forwarding lcore (64-byte packets, no copy) for $TESTPMD_SECONDS (default 10) and
#    takes the median over its 1-second periods of Rx-pps summed over both ports;
# 3. runs every ctgate-bench workload (or those given with --workload), pinned to
#    $BENCH_CPU (default 1, the lcore testpmd forwarded on);
# 4. prints each workload's Mpps beside its ratio to the floor, and the issue-7 targets.
#
# Environment: BUILD (build directory), CTG_SRC (source tree, default this checkout),
# TESTPMD (binary, default dpdk-testpmd; TESTPMD=none skips the floor), TESTPMD_SECONDS,
# BENCH_CPU, TESTPMD_CORES (default 0,1).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
src=${CTG_SRC:-$root}
build=${BUILD:-$root/build-bench}
testpmd=${TESTPMD:-dpdk-testpmd}
tp_secs=${TESTPMD_SECONDS:-10}
cpu=${BENCH_CPU:-1}
cores=${TESTPMD_CORES:-0,1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# 1. Build.
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$src" -Dbuildtype=release -Dwerror=true >"$tmp/setup.log" 2>&1 ||
		{ cat "$tmp/setup.log"; exit 1; }
fi
ninja -C "$build" app/ctgate-bench/ctgate-bench >"$tmp/build.log" 2>&1 ||
	{ tail -40 "$tmp/build.log"; echo "bench.sh: build failed (is 'ctgate-bench' in app/meson.build?)"; exit 1; }
bench=$build/app/ctgate-bench/ctgate-bench

# 2. The testpmd floor.
floor=-
if [ "$testpmd" != none ] && command -v "$testpmd" >/dev/null 2>&1; then
	timeout -s INT $((tp_secs + 2)) "$testpmd" --no-huge -m 1024 --no-pci --no-shconf \
		--file-prefix "ctgbench$$" -l "$cores" --vdev net_null0 --vdev net_null1 -- \
		--forward-mode=io --auto-start --stats-period 1 >"$tmp/testpmd.log" 2>&1 || true
	# Rx-pps lines come per port and period; sum the two ports of each period, drop the
	# idle ones (start-up) and take the median.
	floor=$(awk '/Rx-pps:/ { v[n++] = $2 }
		END {
			for (i = 0; i + 1 < n; i += 2)
				if (v[i] > 0 && v[i + 1] > 0)
					s[m++] = v[i] + v[i + 1]
			if (m == 0) { print "-"; exit }
			for (i = 0; i < m; i++)
				for (j = i + 1; j < m; j++)
					if (s[j] < s[i]) { t = s[i]; s[i] = s[j]; s[j] = t }
			printf "%.3f\n", s[int(m / 2)] / 1e6
		}' "$tmp/testpmd.log")
	if [ "$floor" = - ]; then
		echo "bench.sh: no packet rate in testpmd's output:" >&2
		tail -20 "$tmp/testpmd.log" >&2
	fi
else
	echo "bench.sh: $testpmd not found, no floor" >&2
fi
echo "# testpmd io floor (2 x net_null, 1 forwarding lcore, 64 B): ${floor} Mpps"

# 3. The workloads.
"$bench" --cpu "$cpu" "$@" | tee "$tmp/bench.out"

# 4. Summary.
echo
awk -v floor="$floor" '
function num(v) { return v ~ /^[0-9]+(\.[0-9]+)?$/ }
/^workload=/ {
	for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	n++
	name[n] = f["workload"]; flows[n] = f["flows"]; mpps[n] = f["mpps"]
	cps[n] = f["conns_per_s"]; bpc[n] = f["bytes_per_conn"]
	if (f["workload"] == "rules-10") r10 = f["mpps"]
}
END {
	printf "%-20s %9s %9s %9s %12s %9s  %s\n", "workload", "flows", "Mpps", "x floor",
		"conns/s", "B/conn", "target"
	for (i = 1; i <= n; i++) {
		ratio = (num(mpps[i]) && num(floor) && floor > 0) ? sprintf("%.3f", mpps[i] / floor) : "-"
		t = ""; ok = ""
		if (name[i] == "hot-flow") {
			t = ">= 0.6 x floor"; if (ratio != "-") ok = (ratio >= 0.6)
		} else if (name[i] ~ /-single$/) {
			t = "(one packet a call; the target is for the burst line)"
		} else if (name[i] ~ /^established/ && flows[i] == 1000000) {
			t = ">= 10 Mpps"; if (num(mpps[i])) ok = (mpps[i] >= 10)
		} else if (name[i] ~ /^established/ && flows[i] == 10000000) {
			t = ">= 6 Mpps, <= 128 B/conn"
			if (num(mpps[i]) && num(bpc[i])) ok = (mpps[i] >= 6 && bpc[i] <= 128)
		} else if (name[i] == "new-udp") {
			t = ">= 5M conn/s"; if (num(cps[i])) ok = (cps[i] >= 5e6)
		} else if (name[i] == "tcp-lifecycle") {
			t = ">= 1M conn/s"; if (num(cps[i])) ok = (cps[i] >= 1e6)
		} else if (name[i] == "frag") {
			t = ">= 3M datagrams/s"; if (num(cps[i])) ok = (cps[i] >= 3e6)
		} else if (name[i] == "rules-10000") {
			t = ">= 0.8 x rules-10"; if (num(mpps[i]) && num(r10)) ok = (mpps[i] >= 0.8 * r10)
		}
		if (t != "")
			t = t (ok == "" ? "" : ok ? "  met" : "  MISSED")
		printf "%-20s %9s %9s %9s %12s %9s  %s\n", name[i], flows[i], mpps[i], ratio,
			cps[i], bpc[i], t
	}
}' "$tmp/bench.out"
