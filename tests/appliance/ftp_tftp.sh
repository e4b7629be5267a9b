#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# FTP and TFTP through ctgate with the helpers (issue 8), end to end with real programs.
# usage: ftp_tftp.sh CTGATE CTGATE-CLI SRC WORKERS
# Ruleset: the inside may open connections, only ESTABLISHED,RELATED comes back (and
# UNTRACKED: ICMPv6 neighbour discovery, which conntrack does not track); the
# helpers are attached as kernels >= 6.0 require, by "-j CT --helper" in the raw table.
# Phase 1 (helpers): pyftpdlib outside on port 21 (IPv4 and IPv6), python ftplib inside:
# a passive (PASV, EPSV) and an active (PORT, EPRT) download each, contents checked;
# tftp-hpa inside gets and puts a file from/to in.tftpd outside (IPv4, IPv6). The data
# connections must be EXPECTED entries (ctgate-cli show conntrack --status EXPECTED), the
# summary's expect_create/expect_new must count them.
# Phase 2 (same ctgate, ruleset reloaded without the raw table): the active download and
# the TFTP get fail (the server's data connection / reply port is NEW from outside and
# dropped), while a passive download (inside-initiated) still works.
# TAP; exit 77 without root, net_tap, pyftpdlib or tftp-hpa/tftpd-hpa.
CTGATE=$1
CLI=$2
SRC=$3
WORKERS=${4:-1}
if [ "$WORKERS" -eq 1 ]; then
	LCORES="0@0,1@1"
else
	LCORES="0@0,(1-$WORKERS)@(0-1)"
fi
. "$SRC/tests/appliance/topo.sh"
topo_skip_unless_possible
PY=/usr/bin/python3
TFTPD=/usr/sbin/in.tftpd
TFTP=$(command -v tftp)
if ! $PY -c 'import pyftpdlib' 2>/dev/null; then
	echo "SKIP: python3-pyftpdlib missing"
	exit 77
fi
if [ ! -x "$TFTPD" ] || [ -z "$TFTP" ] || ! "$TFTP" -V 2>&1 | grep -q tftp-hpa; then
	echo "SKIP: tftpd-hpa / tftp-hpa missing"
	exit 77
fi
if [ ! -x "$CLI" ] || ! "$CTGATE" --features | grep -q "^rules: available"; then
	echo "SKIP: no ctgate-cli or no rules library"
	exit 77
fi
if ! "$CTGATE" --features | grep -q "^helpers:.*ftp.*tftp"; then
	echo "SKIP: this ctgate has no ftp/tftp helpers"
	exit 77
fi
trap topo_cleanup EXIT
SOCK=/tmp/ctgate-ftp-test-$$.sock
. "$SRC/tests/appliance/lib.sh"
check() {
	desc=$1
	shift
	if "$@" > "$TOPO_DIR/cmd.out" 2>&1; then
		ok "$desc"
	else
		sed 's/^/# /' "$TOPO_DIR/cmd.out" | tail -n 15
		notok "$desc"
	fi
}
# fails DESC CMD...: the command must fail.
fails() {
	desc=$1
	shift
	if "$@" > "$TOPO_DIR/cmd.out" 2>&1; then
		sed 's/^/# /' "$TOPO_DIR/cmd.out" | tail -n 15
		notok "$desc"
	else
		sed 's/^/# /' "$TOPO_DIR/cmd.out" | tail -n 2
		ok "$desc"
	fi
}

RULES_TAIL='*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A FORWARD -m conntrack --ctstate UNTRACKED -j ACCEPT
-A FORWARD -i in -m conntrack --ctstate NEW -j ACCEPT
COMMIT'
RULES_DIR=$(mktemp -d /tmp/ctgate-ftp-rules.XXXXXX)
trap 'topo_cleanup; rm -rf "$RULES_DIR"; rm -f "$SOCK"' EXIT
{
	echo "# FTP and TFTP helpers attached explicitly (kernel >= 6.0: no automatic assignment)"
	echo '*raw'
	echo ':PREROUTING ACCEPT [0:0]'
	echo ':OUTPUT ACCEPT [0:0]'
	echo '-A PREROUTING -p tcp -m tcp --dport 21 -j CT --helper ftp'
	echo '-A PREROUTING -p udp -m udp --dport 69 -j CT --helper tftp'
	echo 'COMMIT'
	echo "$RULES_TAIL"
} > "$RULES_DIR/helpers.rules"
{
	echo "# the same without the helpers"
	echo "$RULES_TAIL"
} > "$RULES_DIR/nohelpers.rules"

echo "# workers=$WORKERS lcores=$LCORES"
if ! topo_start "$WORKERS" "$LCORES" "$RULES_DIR/helpers.rules" --socket "$SOCK"; then
	echo "Bail out! ctgate did not start"
	exit 1
fi

# --- servers outside: pyftpdlib on 10.99.1.2:21 and [fd99::2]:21, in.tftpd on :69 ---
mkdir -p "$TOPO_DIR/ftp" "$TOPO_DIR/tftp" "$TOPO_DIR/in"
chmod 777 "$TOPO_DIR/tftp"
head -c 200000 /dev/urandom > "$TOPO_DIR/ftp/data.bin"
head -c 5000 /dev/urandom > "$TOPO_DIR/tftp/get.bin"
head -c 3000 /dev/urandom > "$TOPO_DIR/in/put.bin"
for a in 10.99.1.2 fd99::2; do
	ip netns exec "$NS_OUT" timeout 110 $PY -m pyftpdlib -i "$a" -p 21 -d "$TOPO_DIR/ftp" \
		>> "$TOPO_DIR/ftpd.log" 2>&1 &
	TOPO_PIDS="$TOPO_PIDS $!"
done
# -c: allow put to create files; -s: chroot into the folder; -u root: no user switch.
ip netns exec "$NS_OUT" timeout 110 "$TFTPD" -L -c -s -u root --address :69 "$TOPO_DIR/tftp" \
	>> "$TOPO_DIR/tftpd.log" 2>&1 &
TOPO_PIDS="$TOPO_PIDS $!"
for _ in $(seq 50); do
	[ "$(ip netns exec "$NS_OUT" ss -lntH 'sport = :21' | wc -l)" -ge 2 ] &&
		ip netns exec "$NS_OUT" ss -lnuH 'sport = :69' | grep -q . && break
	sleep 0.1
done

cat > "$TOPO_DIR/ftpc.py" <<'PYEOF'
# ftpc.py HOST passive|active FILE SHA256 TIMEOUT: download FILE, check its sha256.
import ftplib, hashlib, io, sys
host, mode, name, want, tmo = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
f = ftplib.FTP()
f.connect(host, 21, timeout=tmo)
f.login()
f.set_pasv(mode == "passive")
buf = io.BytesIO()
f.retrbinary("RETR " + name, buf.write)
got = hashlib.sha256(buf.getvalue()).hexdigest()
try:
    f.quit()
except Exception:
    pass
print("%s %s [%s]: %d bytes sha256 %s" % (mode, host, "EPSV/EPRT" if ":" in host else "PASV/PORT",
      len(buf.getvalue()), got))
sys.exit(0 if got == want else 1)
PYEOF
FTP_SHA=$(sha256sum < "$TOPO_DIR/ftp/data.bin" | cut -d' ' -f1)
ftp_get() { # host mode timeout
	ip netns exec "$NS_IN" timeout 15 $PY "$TOPO_DIR/ftpc.py" "$1" "$2" data.bin "$FTP_SHA" "$3"
}
# tftp_do HOST get|put FILE: tftp-hpa in the inside namespace, in $TOPO_DIR/in.
tftp_do() {
	rm -f "$TOPO_DIR/in/got.bin"
	if [ "$2" = get ]; then
		(cd "$TOPO_DIR/in" && ip netns exec "$NS_IN" timeout 4 "$TFTP" "$1" -m binary \
			-c get get.bin got.bin) || return 1
		cmp "$TOPO_DIR/tftp/get.bin" "$TOPO_DIR/in/got.bin"
	else
		(cd "$TOPO_DIR/in" && ip netns exec "$NS_IN" timeout 4 "$TFTP" "$1" -m binary \
			-c put put.bin "$3") || return 1
		cmp "$TOPO_DIR/in/put.bin" "$TOPO_DIR/tftp/$3"
	fi
}

# --- phase 1: helpers attached ---
check "FTP IPv4 passive (PASV) download, contents match" ftp_get 10.99.1.2 passive 5
check "FTP IPv4 active (PORT) download, contents match" ftp_get 10.99.1.2 active 5
check "FTP IPv6 passive (EPSV) download, contents match" ftp_get fd99::2 passive 5
check "FTP IPv6 active (EPRT) download, contents match" ftp_get fd99::2 active 5
check "TFTP IPv4 get, contents match" tftp_do 10.99.1.2 get
check "TFTP IPv6 get, contents match" tftp_do fd99::2 get
# tftpd -c creates only where the folder allows it (mode 777 above)
check "TFTP IPv4 put, contents match" tftp_do 10.99.1.2 put put4.bin
check "TFTP IPv6 put, contents match" tftp_do fd99::2 put put6.bin

# The data connections are EXPECTED entries (RELATED on their first packet), each with the
# server on the far side: FTP passive from the client to the server's data port, active
# from the server to the client; TFTP from the server's new port to the client.
cli show conntrack --status EXPECTED > "$TOPO_DIR/expected.txt" 2>&1
sed 's/^/# /' "$TOPO_DIR/expected.txt"
cnt() { grep -Ec -- "$1" "$TOPO_DIR/expected.txt"; }
# the original direction (the first tuple) says who opened the data connection
T4='^ipv4 +2 tcp +6 [0-9]+ [A-Z_]+ '
T6='^ipv6 +10 tcp +6 [0-9]+ [A-Z_]+ '
n_ftp_pasv4=$(cnt "${T4}src=10\.99\.1\.1 dst=10\.99\.1\.2 ")
n_ftp_actv4=$(cnt "${T4}src=10\.99\.1\.2 dst=10\.99\.1\.1 ")
n_ftp_pasv6=$(cnt "${T6}src=fd99::1 dst=fd99::2 ")
n_ftp_actv6=$(cnt "${T6}src=fd99::2 dst=fd99::1 ")
n_tftp4=$(cnt '^ipv4 +2 udp +17 [0-9]+ src=10\.99\.1\.2 dst=10\.99\.1\.1 ')
n_tftp6=$(cnt '^ipv6 +10 udp +17 [0-9]+ src=fd99::2 dst=fd99::1 ')
echo "# EXPECTED entries: ftp pasv4=$n_ftp_pasv4 actv4=$n_ftp_actv4 pasv6=$n_ftp_pasv6" \
	"actv6=$n_ftp_actv6 tftp4=$n_tftp4 tftp6=$n_tftp6"
[ "$n_ftp_pasv4" -ge 1 ] && [ "$n_ftp_pasv6" -ge 1 ] &&
	ok "FTP passive data connections (IPv4, IPv6) are EXPECTED" ||
	notok "FTP passive data connections are EXPECTED (v4 $n_ftp_pasv4, v6 $n_ftp_pasv6)"
[ "$n_ftp_actv4" -ge 1 ] && [ "$n_ftp_actv6" -ge 1 ] &&
	ok "FTP active data connections from the server (IPv4, IPv6) are EXPECTED" ||
	notok "FTP active data connections are EXPECTED (v4 $n_ftp_actv4, v6 $n_ftp_actv6)"
[ "$n_tftp4" -ge 2 ] && [ "$n_tftp6" -ge 2 ] &&
	ok "TFTP transfers (get and put, IPv4, IPv6) are EXPECTED" ||
	notok "TFTP transfers are EXPECTED (v4 $n_tftp4, v6 $n_tftp6; want 2 each)"
# The control connections carry the helper: the kernel's conntrack -L prints "helper=ftp"
# (see tests/data/real_tftp.expected); ctgate's listing (lib/ct/ct_print.c) does not print
# it yet, hence a TODO rather than a failure.
cli show conntrack -p tcp --dport 21 > "$TOPO_DIR/ctl.txt" 2>&1
cli show conntrack -p udp --dport 69 >> "$TOPO_DIR/ctl.txt" 2>&1
n_ctl=$(grep -c 'dport=\(21\|69\) ' "$TOPO_DIR/ctl.txt")
if [ "$n_ctl" -ge 8 ] && [ "$(grep -c 'helper=ftp' "$TOPO_DIR/ctl.txt")" -ge 4 ] &&
		[ "$(grep -c 'helper=tftp' "$TOPO_DIR/ctl.txt")" -ge 4 ]; then
	ok "show conntrack: control connections listed with helper=ftp (4) and helper=tftp (4)"
else
	n=$((n + 1))
	echo "not ok $n - show conntrack: $n_ctl control connections, listed without helper=ftp/tftp # TODO ct_print.c does not print helper="
fi
cli show conntrack stats > "$TOPO_DIR/stats1.txt" 2>&1
sum_stat() { # file name
	sed -n "s/.*\b$2=\([0-9]*\).*/\1/p" "$1" | awk '{s+=$1} END {print s+0}'
}
en1=$(sum_stat "$TOPO_DIR/stats1.txt" expect_new)
ec1=$(sum_stat "$TOPO_DIR/stats1.txt" expect_create)
# 4 FTP data connections + 4 TFTP transfers
if [ "$en1" -ge 8 ] && [ "$ec1" -ge 8 ]; then
	ok "conntrack stats: expect_create=$ec1 expect_new=$en1 (>= 8)"
else
	sed 's/^/# /' "$TOPO_DIR/stats1.txt"
	notok "conntrack stats: expect_create=$ec1 expect_new=$en1 (want >= 8)"
fi

# --- phase 2: the same ruleset without the raw table's CT --helper rules ---
drops() { # "dropped in filter FORWARD", summed over the workers' columns
	cli show stats | awk '/^ *dropped in filter FORWARD / {for (i = 5; i <= NF; i++) s += $i}
		END {print s + 0}'
}
d1=$(drops)
expect_ok "rules load without the helpers" "rules loaded" rules load "$RULES_DIR/nohelpers.rules"
fails "without helpers: FTP IPv4 active (PORT) download fails" ftp_get 10.99.1.2 active 3
fails "without helpers: FTP IPv6 active (EPRT) download fails" ftp_get fd99::2 active 3
fails "without helpers: TFTP IPv4 get fails" tftp_do 10.99.1.2 get
cli show conntrack stats > "$TOPO_DIR/stats2.txt" 2>&1
en2=$(sum_stat "$TOPO_DIR/stats2.txt" expect_new)
ec2=$(sum_stat "$TOPO_DIR/stats2.txt" expect_create)
if [ "$en2" = "$en1" ] && [ "$ec2" = "$ec1" ]; then
	ok "without helpers: no expectation created or used (expect_create=$ec2 expect_new=$en2)"
else
	notok "without helpers: expect_create $ec1 -> $ec2, expect_new $en1 -> $en2"
fi
d2=$(drops)
if [ "${d2:-0}" -gt "${d1:-0}" ]; then
	ok "without helpers: the server's packets were dropped in filter FORWARD ($d1 -> $d2)"
else
	notok "without helpers: dropped in filter FORWARD $d1 -> $d2"
fi
# an inside-initiated passive download needs no helper
check "without helpers: FTP IPv4 passive download still works" ftp_get 10.99.1.2 passive 5

topo_stop
sed -n '/ctgate: summary/,$p' "$CTGATE_LOG" | grep -E "conntrack:|pipeline:|handoffs=|leak" |
	sed 's/^/# /'
if [ "$CTGATE_RC" = 0 ] && grep -q "^mbuf leak check: OK" "$CTGATE_LOG"; then
	ok "SIGTERM: exit 0, mbuf leak check OK"
else
	notok "SIGTERM: exit $CTGATE_RC, leak check: $(grep 'leak check' "$CTGATE_LOG")"
fi
echo "1..$n"
exit $fail
