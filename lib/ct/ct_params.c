/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The conntrack tunables as one declarative table, named after the kernel's
 * net.netfilter.nf_conntrack_* sysctls (Documentation/networking/nf_conntrack-sysctl.rst),
 * with the kernel's defaults. Timeouts are in seconds.
 */

#include <stddef.h>

#include "ctg_ct.h"

#define P(name, field, def, min, max, help)                                              \
	{ name, offsetof(struct ctg_ct_params, field), def, min, max, help }
#define T(name, field, def) P(name, field, def, 1, 100u * 365 * 86400, "timeout (s)")

static const struct ctg_param_desc ct_params[] = {
	P("nf_conntrack_max", max, 262144, 1, 1u << 31, "connections per shard"),
	P("nf_conntrack_checksum", checksum, 1, 0, 1, "verify transport checksums"),
	P("nf_conntrack_tcp_loose", tcp_loose, 1, 0, 1, "pick up mid-stream TCP"),
	P("nf_conntrack_tcp_be_liberal", tcp_be_liberal, 0, 0, 1,
			"only RSTs are window-checked"),
	P("nf_conntrack_tcp_ignore_invalid_rst", tcp_ignore_invalid_rst, 0, 0, 1,
			"do not mark out-of-window RSTs invalid"),
	P("nf_conntrack_tcp_max_retrans", tcp_max_retrans, 3, 0, 255,
			"retransmissions before the max_retrans timeout applies"),
	T("nf_conntrack_tcp_timeout_syn_sent", tcp_timeout[CTG_CT_TCP_SYN_SENT], 120),
	T("nf_conntrack_tcp_timeout_syn_recv", tcp_timeout[CTG_CT_TCP_SYN_RECV], 60),
	T("nf_conntrack_tcp_timeout_established", tcp_timeout[CTG_CT_TCP_ESTABLISHED], 432000),
	T("nf_conntrack_tcp_timeout_fin_wait", tcp_timeout[CTG_CT_TCP_FIN_WAIT], 120),
	T("nf_conntrack_tcp_timeout_close_wait", tcp_timeout[CTG_CT_TCP_CLOSE_WAIT], 60),
	T("nf_conntrack_tcp_timeout_last_ack", tcp_timeout[CTG_CT_TCP_LAST_ACK], 30),
	T("nf_conntrack_tcp_timeout_time_wait", tcp_timeout[CTG_CT_TCP_TIME_WAIT], 120),
	T("nf_conntrack_tcp_timeout_close", tcp_timeout[CTG_CT_TCP_CLOSE], 10),
	T("nf_conntrack_tcp_timeout_syn_sent2", tcp_timeout[CTG_CT_TCP_SYN_SENT2], 120),
	T("nf_conntrack_tcp_timeout_max_retrans", tcp_timeout_max_retrans, 300),
	T("nf_conntrack_tcp_timeout_unacknowledged", tcp_timeout_unacknowledged, 300),
	T("nf_conntrack_udp_timeout", udp_timeout, 30),
	T("nf_conntrack_udp_timeout_stream", udp_timeout_stream, 120),
	T("nf_conntrack_icmp_timeout", icmp_timeout, 30),
	T("nf_conntrack_icmpv6_timeout", icmpv6_timeout, 30),
	T("nf_conntrack_generic_timeout", generic_timeout, 600),
	T("nf_conntrack_gre_timeout", gre_timeout, 30),
	T("nf_conntrack_gre_timeout_stream", gre_timeout_stream, 180),
	T("nf_conntrack_sctp_timeout_closed", sctp_timeout[CTG_CT_SCTP_CLOSED], 10),
	T("nf_conntrack_sctp_timeout_cookie_wait", sctp_timeout[CTG_CT_SCTP_COOKIE_WAIT], 3),
	T("nf_conntrack_sctp_timeout_cookie_echoed", sctp_timeout[CTG_CT_SCTP_COOKIE_ECHOED], 3),
	T("nf_conntrack_sctp_timeout_established", sctp_timeout[CTG_CT_SCTP_ESTABLISHED], 210),
	T("nf_conntrack_sctp_timeout_shutdown_sent", sctp_timeout[CTG_CT_SCTP_SHUTDOWN_SENT], 3),
	T("nf_conntrack_sctp_timeout_shutdown_recd", sctp_timeout[CTG_CT_SCTP_SHUTDOWN_RECD], 3),
	T("nf_conntrack_sctp_timeout_shutdown_ack_sent", sctp_timeout[CTG_CT_SCTP_SHUTDOWN_ACK_SENT], 3),
	T("nf_conntrack_sctp_timeout_heartbeat_sent", sctp_timeout[CTG_CT_SCTP_HEARTBEAT_SENT], 30),
	/* ctgate limits (ct_limit.c): 0 = unlimited, the default (kernel semantics). */
	P("ctgate_limit_per_zone", limit_per_zone, 0, 0, 1u << 31,
			"connections per zone and shard (0: unlimited)"),
	P("ctgate_limit_per_source", limit_per_source, 0, 0, 1u << 31,
			"connections per source prefix and shard (0: unlimited)"),
	P("ctgate_limit_source_prefix4", limit_source_prefix4, 32, 1, 32,
			"IPv4 source prefix length of ctgate_limit_per_source"),
	P("ctgate_limit_source_prefix6", limit_source_prefix6, 128, 1, 128,
			"IPv6 source prefix length of ctgate_limit_per_source"),
	P("ctgate_limit_embryonic", limit_embryonic, 0, 0, 1u << 31,
			"half-open TCP connections per shard (0: unlimited)"),
	{ NULL, 0, 0, 0, 0, NULL },
};

const struct ctg_param_table ctg_ct_param_table = {
	.module = "ct",
	.params = ct_params,
};
