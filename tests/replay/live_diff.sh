#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Live differential test: fresh random traffic (live_traffic.py, seeded by the
# clock unless LIVE_SEED is set) is classified by the kernel oracle and by
# ctgate-replay; the per-frame columns must be identical.
#
#   tests/replay/live_diff.sh [path/to/ctgate-replay]
#   LIVE_SEED=1234 LIVE_ROUNDS=5 LIVE_FLOWS=60 tests/replay/live_diff.sh build/app/ctgate-replay/ctgate-replay
#
# Exit 77 (meson: SKIP) when the oracle (<repo>/../shared/oracle, or
# ORACLE_DIR) is missing, when not root, or without scapy in /usr/bin/python3.
# On a mismatch the pcap and both reports are kept and their folder is printed,
# together with the seed that reproduces them.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
REPLAY=${1:-$ROOT/build/app/ctgate-replay/ctgate-replay}
ORACLE_DIR=${ORACLE_DIR:-$ROOT/../shared/oracle}
PY=/usr/bin/python3
ROUNDS=${LIVE_ROUNDS:-3}
FLOWS=${LIVE_FLOWS:-40}
SEED=${LIVE_SEED:-$(date +%s)}

skip() { echo "SKIP: $*"; exit 77; }
[ -f "$ORACLE_DIR/ctoracle.py" ] || skip "kernel oracle not found at $ORACLE_DIR (set ORACLE_DIR)"
[ "$(id -u)" = 0 ] || skip "the kernel oracle needs root"
[ -x "$PY" ] && "$PY" -c 'import scapy.all' 2>/dev/null || skip "$PY has no scapy"
[ -x "$REPLAY" ] || { echo "FAIL: ctgate-replay not found: $REPLAY"; exit 1; }

TMP=$(mktemp -d /tmp/ctg-live.XXXXXX)
echo "live differential test: seed $SEED, $ROUNDS rounds, $FLOWS flows each, work dir $TMP"
fail=0
r=0
while [ "$r" -lt "$ROUNDS" ]; do
    s=$((SEED + r))
    case $((s % 3)) in
    0) args="" ;;
    1) args="--tcp-loose 0" ;;
    2) args="--tcp-be-liberal 1" ;;
    esac
    pcap=$TMP/live_$s.pcap
    if ! "$PY" "$HERE/live_traffic.py" --seed "$s" --flows "$FLOWS" --out "$pcap" > "$TMP/gen_$s.log" 2>&1; then
        cat "$TMP/gen_$s.log"; echo "FAIL: traffic generator (seed $s)"; fail=1; r=$((r + 1)); continue
    fi
    # shellcheck disable=SC2086
    if ! "$PY" "$ORACLE_DIR/ctoracle.py" $args "$pcap" -o "$TMP/live_$s.expected" 2> "$TMP/oracle_$s.log"; then
        cat "$TMP/oracle_$s.log"; echo "FAIL: oracle (seed $s)"; fail=1; r=$((r + 1)); continue
    fi
    # shellcheck disable=SC2086
    "$REPLAY" $args "$pcap" > "$TMP/live_$s.got" 2> "$TMP/replay_$s.log"
    rc=$?
    if [ $rc -ne 0 ]; then
        tail -5 "$TMP/replay_$s.log"; echo "FAIL: ctgate-replay exit status $rc (seed $s, args '$args')"; fail=1
    elif "$PY" "$HERE/compare.py" "$TMP/live_$s.expected" "$TMP/live_$s.got" > "$TMP/cmp_$s.log"; then
        echo "PASS seed $s args '$args': $(tail -1 "$TMP/cmp_$s.log")"
        rm -f "$pcap" "$TMP/live_$s.expected" "$TMP/live_$s.got" "$TMP"/*_"$s".log
    else
        cat "$TMP/cmp_$s.log"
        echo "FAIL seed $s args '$args': reproduce with LIVE_SEED=$s LIVE_ROUNDS=1 (files in $TMP)"
        fail=1
    fi
    r=$((r + 1))
done
if [ $fail = 0 ]; then
    rmdir "$TMP" 2>/dev/null || true
    echo "live differential test passed"
fi
exit $fail
