#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Launch ctgate with working EAL memory options:
#   scripts/ctgate-run.sh [EAL options] -- --config FILE [ctgate options]
# Reserves 2 MB hugepages (CTGATE_HUGEPAGES pages, default 256, mounting hugetlbfs on
# /dev/hugepages if needed) and runs with --in-memory; when that is not possible (not
# root, no hugetlbfs, not enough free pages) or CTGATE_NO_HUGE=1, runs with --no-huge.
# It says which on stderr. CTGATE=path picks the binary (default: the newest
# build*/app/ctgate/ctgate of this checkout).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
pages=${CTGATE_HUGEPAGES:-256}
bin=${CTGATE:-}
if [ -z "$bin" ]; then
	bin=$(ls -t "$here"/build*/app/ctgate/ctgate 2>/dev/null | head -n 1)
fi
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
	echo "ctgate-run: no ctgate binary (build with meson/ninja, or set CTGATE=path)" >&2
	exit 1
fi

huge_ok() {
	[ "${CTGATE_NO_HUGE:-0}" = 1 ] && return 1
	[ "$(id -u)" = 0 ] || return 1
	f=/sys/kernel/mm/hugepages/hugepages-2048kB
	[ -d $f ] || return 1
	if ! grep -qs ' /dev/hugepages hugetlbfs ' /proc/mounts; then
		mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null ||
			return 1
	fi
	total=$(cat $f/nr_hugepages)
	free=$(cat $f/free_hugepages)
	if [ "$free" -lt "$pages" ]; then
		# Only ever raise the reservation; other programs may use the pages.
		echo $((total + pages - free)) > $f/nr_hugepages 2>/dev/null || return 1
		free=$(cat $f/free_hugepages)
	fi
	[ "$free" -ge "$pages" ]
}

if huge_ok; then
	echo "ctgate-run: using 2 MB hugepages ($(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages) free, --in-memory)" >&2
	mem="--in-memory"
else
	echo "ctgate-run: hugepages not available: running with --no-huge (malloc'd memory)" >&2
	mem="--no-huge --no-shconf -m ${CTGATE_NO_HUGE_MB:-512} --file-prefix ctgate-$$"
fi
# shellcheck disable=SC2086
exec "$bin" $mem "$@"
