/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the whole per-packet pipeline (lib/pkt parsing, lib/frag
 * reassembly, lib/ct tracking) on a sequence of frames.
 *
 * Input: records of [flags:1][len:2 big-endian][frame:len]. flags bit 0-2: link type
 * (mod CTG_PKT_LINK_COUNT), bit 3: advance the clock by 3 s (timeouts, UDP streams),
 * bit 4: run expiry, bit 5: the "rules" drop this packet (abort instead of confirm is
 * exercised through a tiny shard). Invariants checked: counters add up, no more live
 * connections than the table allows, every connection reported by a result exists.
 * First byte: bit 0 nf_conntrack_checksum, bit 1 ctgate's limits on (small per-zone,
 * per-source with a prefix from bits 4-6, half-open), whose gauges must return to 0.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctg_pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
release(uint64_t cookie, enum ctg_frag_reason reason, void *arg)
{
	(void)cookie;
	(void)reason;
	(*(uint64_t *)arg)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctg_ct_params params;
	struct ctg_pipeline_conf pc = { 0 };
	struct ctg_pipeline *pl;
	uint64_t now = 1000000000ULL, released = 0, n = 0;
	size_t off = 0;

	ctg_param_defaults(&ctg_ct_param_table, &params);
	params.max = 64;
	if (size > 0)
		params.checksum = data[0] & 1;
	if (size > 0 && (data[0] & 2)) {
		params.limit_per_zone = 48;
		params.limit_per_source = 4;
		params.limit_source_prefix4 = 32 - ((data[0] >> 4) & 7) * 4;
		params.limit_source_prefix6 = 128 - ((data[0] >> 4) & 7) * 16;
		params.limit_embryonic = 8;
	}
	pc.ct.capacity = 64;
	pc.ct.seed = 1;
	pc.ct_params = &params;
	pc.frag.max_datagrams = 8;
	pc.frag.max_frags = 16;
	pc.frag.max_bytes = 64 * 1024;
	pc.frag.timeout_ns_v4 = 30000000000ULL;
	pc.frag.timeout_ns_v6 = 60000000000ULL;
	pc.nb_workers = 1;
	pl = ctg_pipeline_create(&pc);
	if (pl == NULL)
		abort();

	while (off + 3 <= size) {
		uint8_t flags = data[off];
		uint32_t len = (uint32_t)data[off + 1] << 8 | data[off + 2];
		struct ctg_pipeline_pkt in = { 0 };
		struct ctg_pipeline_out out;
		uint8_t *copy;

		off += 3;
		if (len > size - off)
			len = (uint32_t)(size - off);
		/* A private copy so ASan sees reads past the frame. */
		copy = malloc(len ? len : 1);
		if (copy == NULL)
			abort();
		memcpy(copy, data + off, len);
		off += len;
		if (flags & 0x08)
			now += 3000000000ULL;
		now += 1000;
		in.data = copy;
		in.len = len;
		in.link = (uint8_t)((flags & 7) % CTG_PKT_LINK_COUNT);
		in.cookie = ++n;
		ctg_pipeline_process(pl, &in, now, &out);
		if (out.verdict >= CTG_PL_VERDICT_COUNT)
			abort();
		if (out.ct.conn != CTG_CT_NO_CONN && !out.conn_gone &&
				ctg_ct_conn_get(ctg_pipeline_ct(pl), out.ct.conn) == NULL)
			abort();
		if (out.verdict == CTG_PL_FORWARD && out.dgram_len > 65535 + 40)
			abort();
		free(copy);
		if (flags & 0x10)
			ctg_pipeline_expire(pl, now, 16, release, &released);
		if (ctg_ct_count(ctg_pipeline_ct(pl)) > 64)
			abort();
		if (ctg_ct_stats_get(ctg_pipeline_ct(pl))->embryonic >
				ctg_ct_count(ctg_pipeline_ct(pl)) + 1)
			abort();
	}
	{
		const struct ctg_pipeline_stats *st = ctg_pipeline_stats_get(pl);
		uint64_t sum = 0;

		for (int v = 0; v < CTG_PL_VERDICT_COUNT; v++)
			sum += st->verdicts[v];
		if (sum != n)
			abort();
	}
	ctg_pipeline_expire(pl, now + 1000000000000000000ULL, 1u << 20, release, &released);
	if (ctg_ct_count(ctg_pipeline_ct(pl)) != 0)
		abort();
	if (ctg_ct_stats_get(ctg_pipeline_ct(pl))->embryonic != 0)
		abort();
	if (ctg_frag_stats_get(ctg_pipeline_frag(pl))->queues != 0)
		abort();
	ctg_pipeline_destroy(pl);
	return 0;
}
