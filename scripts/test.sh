#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The whole test suite on a fresh Debian 12 machine: installs what it needs, builds
# (gcc, -Werror), runs every meson suite, then builds again with ASan/UBSan (clang) and
# runs the unit, fuzz-corpus and replay suites under the sanitizers. Ends with one line
# "N passed, M failed" (skipped tests are reported separately and not counted as failed).
set -u
cd "$(dirname "$0")/.."
top=$PWD

if [ "$(id -u)" = 0 ]; then
	sh scripts/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
else
	echo "test.sh: not root: skipping package installation; root-only tests will skip"
fi

passed=0
failed=0
skipped=0

# Count the results of one meson test run from its JSON log.
count() {
	local log=$1/meson-logs/testlog.json
	[ -f "$log" ] || return
	local p f s
	p=$(grep -c '"result": "OK"' "$log")
	f=$(grep -cE '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log")
	s=$(grep -c '"result": "SKIP"' "$log")
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
}

run_build() {
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || {
			cat "$dir.setup.log"
			echo "test.sh: meson setup $dir failed"
			failed=$((failed + 1))
			return 1
		}
	fi
	ninja -C "$dir" || {
		echo "test.sh: build $dir failed"
		failed=$((failed + 1))
		return 1
	}
}

# 1. The normal build, every suite.
if run_build build-test -Dwerror=true -Dbuildtype=debugoptimized; then
	# The live differential test (fresh random traffic through the kernel oracle) runs
	# with CTGATE_LIVE=1; the committed corpus is always compared.
	live=(--no-suite live)
	[ "${CTGATE_LIVE:-0}" = 1 ] && live=()
	meson test -C build-test --print-errorlogs --num-processes 2 --timeout-multiplier 3 \
		"${live[@]}"
	count build-test
fi

# 2. ASan + UBSan (clang), the suites that need no root or network.
if command -v clang >/dev/null; then
	if CC=clang run_build build-asan -Db_sanitize=address,undefined -Db_lundef=false \
			-Dbuildtype=debug; then
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
			meson test -C build-asan --print-errorlogs --num-processes 2 \
			--timeout-multiplier 5 --suite unit --suite fuzz
		count build-asan
	fi
fi

echo "test.sh: $skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
