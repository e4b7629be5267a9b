# SPDX-License-Identifier: BSD-3-Clause
# TAP and start-up helpers shared by the hardening scripts (sourced).
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; fail=1; }
# clean_stop RC LOG: ctgate's exit status and its leak check; then the TAP plan and exit.
clean_stop() {
	if [ "$1" = 0 ] && grep -q "^mbuf leak check: OK" "$2"; then
		ok "ctgate stopped cleanly, mbuf leak check OK"
	else
		notok "ctgate exit $1, $(grep 'leak check' "$2")"
	fi
	echo "1..$n"
	exit $fail
}

# start_ctgate CTGATE DIR TAG DRIVER [SOCK]: ctgate on DIR/ct.conf, 2 workers on core 1, its
# log in DIR/ctgate.log, PID set and stopped (DIR removed) at exit; waits until it runs
# (and SOCK, when given, exists). Exits 77 when DRIVER cannot be probed, 1 if no start.
start_ctgate() {
	local ctgate=$1 dir=$2 tag=$3 driver=$4 sock=${5:-}
	"$ctgate" --no-huge -m 512 --no-pci --file-prefix "ct$tag" --lcores "0@0,(1-2)@1" \
		-- --config "$dir/ct.conf" --no-console > "$dir/ctgate.log" 2>&1 &
	PID=$!
	CLEAN_DIR=$dir
	trap 'if [ -n "$PID" ]; then kill -TERM "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; fi; rm -rf "$CLEAN_DIR"' EXIT
	for _ in $(seq 100); do
		grep -q "running with" "$dir/ctgate.log" && { [ -z "$sock" ] || [ -S "$sock" ]; } && break
		sleep 0.1
	done
	if ! grep -q "running with" "$dir/ctgate.log"; then
		sed 's/^/# /' "$dir/ctgate.log" | tail -n 10
		if grep -qi "cannot probe" "$dir/ctgate.log"; then
			echo "1..0 # SKIP $driver not available"
			exit 77
		fi
		echo "not ok 1 - ctgate did not start"
		echo "1..1"
		exit 1
	fi
}
