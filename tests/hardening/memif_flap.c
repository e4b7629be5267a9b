/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memif_flap: fault injection for the appliance's port down/up path (issue 9).
 *
 * Plays the memif client on two sockets served by ctgate ("in" and "out") and, CYCLES
 * times: hot-plugs both client ports (rte_dev_probe), waits for their links to come up,
 * sends UDP frames in -> out for HOLD_MS while draining what ctgate forwards, then
 * tears both links down (rte_dev_remove) while ctgate's workers are still polling and
 * its last frames are in flight. Every disconnect makes ctgate's memif PMD unmap the
 * shared region under its workers: before ctgate's unmap guard (app/ctgate/unmap_guard.c)
 * this crashed a worker within a few hundred cycles on a busy 2-core machine.
 *
 * usage: memif_flap EAL-ARGS -- SOCK_IN SOCK_OUT CYCLES HOLD_MS
 * Prints one line "flap: cycles=N up=N sent=N received=N" and exits 0 when every cycle
 * brought both links up; 1 otherwise.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#define BURST 32
#define FRAME_LEN 128

static int
port_up(const char *name, const char *sock, struct rte_mempool *mp, uint16_t *pid)
{
	char devargs[512];
	struct rte_eth_conf conf;
	int rc;

	snprintf(devargs, sizeof(devargs), "%s,role=client,socket=%s", name, sock);
	rc = rte_dev_probe(devargs);
	if (rc != 0 || rte_eth_dev_get_port_by_name(name, pid) != 0) {
		fprintf(stderr, "flap: cannot probe %s: %s\n", devargs, rte_strerror(-rc));
		return -1;
	}
	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_configure(*pid, 1, 1, &conf) != 0 ||
			rte_eth_rx_queue_setup(*pid, 0, 1024, (unsigned int)rte_socket_id(), NULL, mp) != 0 ||
			rte_eth_tx_queue_setup(*pid, 0, 1024, (unsigned int)rte_socket_id(), NULL) != 0 ||
			rte_eth_dev_start(*pid) != 0) {
		fprintf(stderr, "flap: cannot start %s\n", name);
		return -1;
	}
	return 0;
}

static void
port_down(uint16_t pid)
{
	struct rte_eth_dev_info info;
	struct rte_device *dev = NULL;

	if (rte_eth_dev_info_get(pid, &info) == 0)
		dev = info.device;
	rte_eth_dev_stop(pid);
	rte_eth_dev_close(pid);
	if (dev != NULL)
		rte_dev_remove(dev);
}

static bool
link_wait(uint16_t pid, unsigned int ms)
{
	for (unsigned int i = 0; i < ms; i++) {
		struct rte_eth_link link;

		if (rte_eth_link_get_nowait(pid, &link) == 0 && link.link_status)
			return true;
		rte_delay_ms(1);
	}
	return false;
}

static struct rte_mbuf *
make_frame(struct rte_mempool *mp, uint32_t flow)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;

	if (m == NULL)
		return NULL;
	if (rte_pktmbuf_append(m, FRAME_LEN) == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	memset(rte_pktmbuf_mtod(m, void *), 0, FRAME_LEN);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	eth->src_addr.addr_bytes[0] = 0x02;
	eth->dst_addr.addr_bytes[0] = 0x02;
	eth->dst_addr.addr_bytes[5] = 0x01;
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(FRAME_LEN - sizeof(*eth));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(RTE_IPV4(10, 0, (flow >> 8) & 0xff, flow & 0xff));
	ip->dst_addr = rte_cpu_to_be_32(RTE_IPV4(10, 1, 0, 1));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp = (struct rte_udp_hdr *)(ip + 1);
	udp->src_port = rte_cpu_to_be_16((uint16_t)(1024 + (flow & 0x3fff)));
	udp->dst_port = rte_cpu_to_be_16(9);
	udp->dgram_len = rte_cpu_to_be_16(FRAME_LEN - sizeof(*eth) - sizeof(*ip));
	udp->dgram_cksum = 0;
	return m;
}

int
main(int argc, char **argv)
{
	uint64_t sent = 0, received = 0;
	unsigned int cycles, hold_ms, up = 0;
	struct rte_mempool *mp;
	int rc;

	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "flap: EAL init failed\n");
		return 2;
	}
	argc -= rc;
	argv += rc;
	if (argc != 5) {
		fprintf(stderr, "usage: memif_flap EAL-ARGS -- SOCK_IN SOCK_OUT CYCLES HOLD_MS\n");
		return 2;
	}
	cycles = (unsigned int)strtoul(argv[3], NULL, 10);
	hold_ms = (unsigned int)strtoul(argv[4], NULL, 10);
	mp = rte_pktmbuf_pool_create("flap", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
			(int)rte_socket_id());
	if (mp == NULL) {
		fprintf(stderr, "flap: no mempool\n");
		return 2;
	}
	for (unsigned int c = 0; c < cycles; c++) {
		uint16_t in, out;

		if (port_up("net_memif_flap_in", argv[1], mp, &in) != 0 ||
				port_up("net_memif_flap_out", argv[2], mp, &out) != 0)
			return 1;
		if (link_wait(in, 3000) && link_wait(out, 3000)) {
			uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() * hold_ms / 1000;

			up++;
			while (rte_get_timer_cycles() < end) {
				struct rte_mbuf *pkts[BURST];
				uint16_t n = 0, tx;

				while (n < BURST && (pkts[n] = make_frame(mp, (uint32_t)(sent + n))) != NULL)
					n++;
				tx = rte_eth_tx_burst(in, 0, pkts, n);
				if (tx < n)
					rte_pktmbuf_free_bulk(&pkts[tx], n - tx);
				sent += tx;
				for (uint16_t p = 0; p < 2; p++) {
					uint16_t rx = rte_eth_rx_burst(p == 0 ? in : out, 0, pkts, BURST);

					received += rx;
					rte_pktmbuf_free_bulk(pkts, rx);
				}
			}
		}
		/* Down while ctgate still has our last frames in its rings and tx buffers. */
		port_down(out);
		port_down(in);
	}
	printf("flap: cycles=%u up=%u sent=%" PRIu64 " received=%" PRIu64 "\n", cycles, up, sent,
			received);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return up == cycles ? 0 : 1;
}
