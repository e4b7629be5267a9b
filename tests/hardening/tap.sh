# SPDX-License-Identifier: BSD-3-Clause
# TAP helpers shared by the hardening scripts (sourced).
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
