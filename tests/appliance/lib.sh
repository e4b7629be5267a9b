# SPDX-License-Identifier: BSD-3-Clause
# TAP helpers and the control-socket client for tests/appliance/{cli,console,exports}.sh.
# Needs: TOPO_DIR (topo.sh), CLI (ctgate-cli), SOCK (control socket).
n=0
fail=0
ok() {
	n=$((n + 1))
	echo "ok $n - $*"
}
notok() {
	n=$((n + 1))
	echo "not ok $n - $*"
	fail=1
}
skip() {
	n=$((n + 1))
	echo "ok $n # SKIP $*"
}
cli() {
	"$CLI" -s "$SOCK" "$@"
}
# expect_ok DESC PATTERN CLI-ARGS...: the command succeeds and its output matches PATTERN
# ("-": any output, even none).
expect_ok() {
	desc=$1
	pat=$2
	shift 2
	if cli "$@" > "$TOPO_DIR/cli.out" 2>&1 &&
			{ [ "$pat" = - ] || grep -Eq -- "$pat" "$TOPO_DIR/cli.out"; }; then
		ok "$desc"
	else
		sed 's/^/# /' "$TOPO_DIR/cli.out" | tail -n 20
		notok "$desc"
	fi
}
# expect_fail DESC RC PATTERN CLI-ARGS...: exit status RC and PATTERN on stderr/stdout.
expect_fail() {
	desc=$1
	want=$2
	pat=$3
	shift 3
	cli "$@" > "$TOPO_DIR/cli.out" 2>&1
	got=$?
	if [ "$got" = "$want" ] && grep -Eq -- "$pat" "$TOPO_DIR/cli.out"; then
		ok "$desc"
	else
		echo "# exit $got (want $want)"
		sed 's/^/# /' "$TOPO_DIR/cli.out" | tail -n 10
		notok "$desc"
	fi
}
in_ns() {
	ip netns exec "$NS_IN" "$@"
}
out_ns() {
	ip netns exec "$NS_OUT" "$@"
}
wait_http() { # ns url
	for _ in $(seq 50); do
		ip netns exec "$1" curl -s -o /dev/null --max-time 1 "$2" && return 0
		sleep 0.1
	done
	return 1
}
# wait_for FILE PATTERN [TENTHS]: until PATTERN appears in FILE.
wait_for() {
	for _ in $(seq "${3:-50}"); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
