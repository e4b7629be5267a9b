#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Regenerate the ctgate-replay differential-test corpus in tests/data with the
# Linux kernel oracle (../shared/oracle/ctoracle.py).  Needs root.
#
#   scripts/gen-test-data.sh                    # everything (see steps below)
#   scripts/gen-test-data.sh --real DIR         # also import real_* captures from DIR
#   scripts/gen-test-data.sh --capture          # make fresh real captures (capture_real.sh) and import them
#   scripts/gen-test-data.sh --only WORD...     # only the make_scenarios.py cases containing WORD
#
# Steps:
#   1. the oracle's own 37 scapy scenarios (scenarios.py) are regenerated in a
#      temporary folder and copied in as scn_*; their .args are translated to
#      the ctgate-replay spelling (--ruleset -> --rules, --ruleset6 -> --rules6).
#      scn_udp_notrack is dropped (ctgate-replay has no --notrack); the same
#      packets are covered by the ruleset case fw_udp_notrack_raw.
#   2. real captures real_*: imported from --real DIR / --capture when given,
#      otherwise the committed ones are kept and re-classified by the oracle.
#   3. tests/data/make_scenarios.py writes the extra scapy scenarios, runs the
#      oracle on each of them and rewrites tests/data/cases.txt.
# Environment: ORACLE_DIR (default <repo>/../shared/oracle).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=$ROOT/tests/data
ORACLE_DIR=${ORACLE_DIR:-$ROOT/../shared/oracle}
PY=/usr/bin/python3
REAL=
CAPTURE=0
ONLY=
SKIP_SCN=0

while [ $# -gt 0 ]; do
    case $1 in
    --real) REAL=$2; shift 2 ;;
    --capture) CAPTURE=1; shift ;;
    --skip-oracle-scenarios) SKIP_SCN=1; shift ;;
    --only) shift; ONLY="$*"; break ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

[ "$(id -u)" = 0 ] || { echo "gen-test-data.sh: the oracle needs root" >&2; exit 2; }
[ -f "$ORACLE_DIR/ctoracle.py" ] || { echo "gen-test-data.sh: no oracle in $ORACLE_DIR" >&2; exit 2; }
ORACLE_DIR=$(cd "$ORACLE_DIR" && pwd)
TMP=$(mktemp -d /tmp/ctg-gen.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

translate_args() {   # oracle .args -> ctgate-replay .args
    sed -e 's/--ruleset6\b/--rules6/g' -e 's/--ruleset\b/--rules/g' "$1"
}

import_case() {      # import_case SRC_DIR NAME
    src=$1 n=$2
    cp "$src/$n.pcap" "$DATA/$n.pcap"
    for ext in expected txt rules rules6; do
        rm -f "$DATA/$n.$ext"
        [ -f "$src/$n.$ext" ] && cp "$src/$n.$ext" "$DATA/$n.$ext"
    done
    rm -f "$DATA/$n.args"
    [ -f "$src/$n.args" ] && translate_args "$src/$n.args" > "$DATA/$n.args"
    [ -f "$DATA/$n.txt" ] || echo "$n" > "$DATA/$n.txt"
    return 0
}

if [ "$ONLY" = "" ] && [ $SKIP_SCN = 0 ]; then
    echo "== 1. oracle scenarios (scenarios.py) -> scn_*"
    mkdir -p "$TMP/scn"
    CTORACLE_PCAPS=$TMP/scn $PY "$ORACLE_DIR/scenarios.py" > "$TMP/scn.log" 2>&1 || true
    tail -1 "$TMP/scn.log"
    grep -q ' 0 failed' "$TMP/scn.log" || { cat "$TMP/scn.log"; echo "scenarios.py reported failures" >&2; exit 1; }
    for p in "$TMP"/scn/scn_*.pcap; do
        n=$(basename "$p" .pcap)
        [ "$n" = scn_udp_notrack ] && continue
        import_case "$TMP/scn" "$n"
    done
    rm -f "$DATA"/scn_udp_notrack.*

    echo "== 2. real captures -> real_*"
    if [ $CAPTURE = 1 ]; then
        mkdir -p "$TMP/real"
        "$ORACLE_DIR/capture_real.sh" "$TMP/real"
        REAL=$TMP/real
    fi
    if [ -n "$REAL" ]; then
        for p in "$REAL"/real_*.pcap; do
            n=$(basename "$p" .pcap)
            import_case "$REAL" "$n"
            if [ ! -f "$DATA/$n.expected" ]; then
                (cd "$DATA" && $PY make_scenarios.py --rerun "$n" >/dev/null)
            fi
        done
    else
        (cd "$DATA" && $PY make_scenarios.py --rerun 'real_*')
    fi
fi

echo "== 3. extra scenarios (tests/data/make_scenarios.py)"
# shellcheck disable=SC2086
(cd "$DATA" && CTORACLE="$ORACLE_DIR/ctoracle.py" $PY make_scenarios.py $ONLY)

echo "== checks"
bad=$(grep -l 'ORACLE-ERROR' "$DATA"/*.expected || true)
[ -z "$bad" ] || { echo "ORACLE-ERROR in: $bad" >&2; exit 1; }
big=$(find "$DATA" -name '*.pcap' -size +1M)
[ -z "$big" ] || echo "warning: pcaps over 1 MB: $big" >&2
echo "corpus: $(wc -l < "$DATA/cases.txt") cases, $(cat "$DATA"/*.pcap | wc -c) bytes of pcap"
