#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Bad configs must fail with "config:LINE: message" and a non-zero exit before any port
# starts; a good one (net_ring ports, --exit-idle) must run and stop cleanly.
# usage: config_errors.sh CTGATE SRC
CTGATE=$1
dir=$(mktemp -d /tmp/ctgate-conf.XXXXXX)
trap 'rm -rf "$dir"' EXIT
eal="--no-huge --no-shconf -m 128 --file-prefix ctg-conf-$$ -l 0-1 --no-pci --log-level=error"
n=0
fail=0

run() { # name expected-message-regex lines...
	name=$1
	want=$2
	shift 2
	printf '%s\n' "$@" > "$dir/$name.conf"
	$CTGATE $eal -- --config "$dir/$name.conf" > "$dir/$name.log" 2>&1
	rc=$?
	n=$((n + 1))
	if [ $rc -ne 0 ] && grep -Eq "^$want" "$dir/$name.log" &&
			! grep -q "^ctgate: port " "$dir/$name.log"; then
		echo "ok $n - $name: rc=$rc, $(grep -E "^$want" "$dir/$name.log")"
	else
		sed 's/^/# /' "$dir/$name.log" | tail -5
		echo "not ok $n - $name: rc=$rc, wanted '$want' and no port started"
		fail=1
	fi
}

printf 'port add a net_ring0\nport add b net_ring1\nbridge a b\n' > "$dir/good.conf"
$CTGATE $eal -- --config "$dir/good.conf" --exit-idle 1 > "$dir/good.log" 2>&1
rc=$?
if grep -q "cannot init EAL" "$dir/good.log"; then
	echo "1..0 # SKIP the EAL does not start here: $(grep EAL "$dir/good.log" | head -1)"
	exit 77
fi
n=$((n + 1))
if [ $rc -eq 0 ] && grep -q "^mbuf leak check: OK" "$dir/good.log"; then
	echo "ok $n - good config runs, stops on --exit-idle, leak check OK"
else
	sed 's/^/# /' "$dir/good.log" | tail -10
	echo "not ok $n - good config: rc=$rc"
	fail=1
fi

P='port add a net_ring0'
Q='port add b net_ring1'
run unknown_command "config:3: unknown command 'frobnicate'" "$P" "$Q" "frobnicate 1" "bridge a b"
run bad_number "config:3: bad number 'two' for workers" "$P" "$Q" "workers two" "bridge a b"
run out_of_range "config:1: workers 0 out of range" "workers 0" "$P" "$Q" "bridge a b"
run missing_port "config:3: no port 'c'" "$P" "$Q" "bridge a c"
run unbridged_port "config:1: port 'a' is not in a bridge" "$P" "$Q" "# comment" "" "workers 1"
run too_few_lcores "config:4: 3 workers need 3 worker lcores" "$P" "$Q" "bridge a b" "workers 3"
run bad_param "config:4: unknown parameter 'nf_conntrack_bogus'" "$P" "$Q" "bridge a b" \
	"set param nf_conntrack_bogus 1"
run bad_param_value "config:4: nf_conntrack_udp_timeout x out of range|config:4: bad number 'x'" \
	"$P" "$Q" "bridge a b" "set param nf_conntrack_udp_timeout x"
run usage "config:3: usage: bridge PORT PORT" "$P" "$Q" "bridge a"
run duplicate_port "config:2: port 'a' already exists" "$P" "port add a net_ring1"
run bad_device "config:1: cannot probe port 'a'" "port add a net_bogus0" "$Q" "bridge a b"
printf '*filter\n-A FORWARD -m nosuchmatch -j ACCEPT\nCOMMIT\n' > "$dir/bad.rules"
run bad_rules "config:4: cannot load rules" "$P" "$Q" "bridge a b" "rules load $dir/bad.rules"
echo "1..$n"
exit $fail
