#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Debian 12 packages ctgate needs to build, run and test (run as root; idempotent).
set -e
need=""
for p in build-essential pkg-config meson ninja-build clang llvm \
	dpdk dpdk-dev libdpdk-dev libnuma-dev libbsd-dev libpcap-dev \
	python3 python3-scapy iproute2 nftables conntrack iptables ethtool \
	tcpdump curl iperf3 socat dnsutils iputils-ping python3-pyftpdlib \
	procps rsync libsystemd-dev libisal-dev \
	libmicrohttpd-dev prometheus nfdump tmux bc tftpd-hpa tftp-hpa; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
	echo "install-deps: installing:$need"
	export DEBIAN_FRONTEND=noninteractive
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
	apt-get update -q
	apt-get install -y -q --no-install-recommends $need
fi
