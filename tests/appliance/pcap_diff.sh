#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Differential test: ctgate with a net_pcap port pair (rx_pcap = a capture from a real
# conversation, tx_pcap = what it forwarded) against the kernel oracle's verdicts for the
# same capture. No ruleset: every frame the oracle did not DROP must come out, fragments
# as the originals. usage: pcap_diff.sh CTGATE SRC NAME...
CTGATE=$1
SRC=$2
shift 2
here=$SRC/tests/appliance
dir=$(mktemp -d /tmp/ctgate-pcap.XXXXXX)
trap 'rm -rf "$dir"' EXIT
# An empty capture (Ethernet) as the second port's input.
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04\x00\x01\x00\x00\x00' > "$dir/empty.pcap"
echo "1..$#"
n=0
fail=0
for name in "$@"; do
	n=$((n + 1))
	in=$here/data/$name.pcap
	exp=$here/data/$name.expected
	cat > "$dir/$name.conf" <<EOC
port add a net_pcap_a$$,rx_pcap=$in,tx_pcap=$dir/$name.back.pcap
port add b net_pcap_b$$,rx_pcap=$dir/empty.pcap,tx_pcap=$dir/$name.out.pcap
bridge a b
workers 1
EOC
	if ! "$CTGATE" --no-huge --no-shconf -m 256 --file-prefix ctg-pcap-$$ -l 0-1 --no-pci \
			--log-level=error -- --config "$dir/$name.conf" --exit-idle 2 \
			> "$dir/$name.log" 2>&1; then
		sed 's/^/# /' "$dir/$name.log"
		echo "not ok $n - $name: ctgate failed"
		fail=1
		continue
	fi
	grep -E "pipeline:|conntrack:|leak" "$dir/$name.log" | sed 's/^/# /'
	if python3 "$here/pcap_diff.py" "$in" "$exp" "$dir/$name.out.pcap" &&
			grep -q "mbuf leak check: OK" "$dir/$name.log"; then
		echo "ok $n - $name: forwarded frames match the oracle"
	else
		echo "not ok $n - $name: forwarded frames differ from the oracle"
		fail=1
	fi
done
exit $fail
