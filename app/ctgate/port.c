/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overview
 *	Port set-up. Every configured port is probed (rte_dev_probe() with its devargs, or
 *	looked up when the EAL already probed it, e.g. a PCI device from -a), then given
 *	one rx queue per worker (at most the device's maximum) and one tx queue per
 *	worker, so a worker transmits on any port without sharing a queue.
 *
 *	RSS: when the device hashes IPv4/IPv6 TCP/UDP (dev_info.flow_type_rss_offloads),
 *	the port gets RSS with the symmetric 0x6d5a key (Woo & Park: a key made of one
 *	repeated 16-bit word gives the same Toeplitz hash for (src, dst) and (dst, src)),
 *	so both directions of a flow reach the same queue, hence usually the owner worker.
 *	Without RSS the port has one rx queue per worker anyway when the device offers it
 *	(net_tap spreads by its own hash) or a single queue; either way every worker
 *	computes the owner of what it receives and hands foreign datagrams over (worker.c).
 *
 * Ownership & synchronization
 *	Control core only, before the workers start and after they stop.
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>

#include "ctgate.h"

/* The symmetric Toeplitz key: 0x6d5a repeated (52 bytes covers the 40-byte default). */
static uint8_t sym_rss_key[52] = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d,
	0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d,
	0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

/* dispatch l3: hash the addresses only, so both directions and every fragment and port of
 * a host pair reach its owner. */
#define RSS_WANT_L3 (RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_OTHER | \
		RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_FRAG_IPV6 | RTE_ETH_RSS_NONFRAG_IPV6_OTHER)

#define RSS_WANT                                                                          \
	(RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV4_UDP |                   \
			RTE_ETH_RSS_NONFRAG_IPV6_TCP | RTE_ETH_RSS_NONFRAG_IPV6_UDP |    \
			RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_IPV6)

int
ctgate_ports_probe(struct ctgate_app *app, FILE *err)
{
	struct ctgate_conf *conf = &app->conf;

	for (uint16_t i = 0; i < conf->nb_ports; i++) {
		struct ctgate_port *p = &conf->ports[i];
		char name[CTGATE_DEVARGS];
		uint16_t pid;
		int rc;

		/* The device name is what precedes the first ',' of the devargs. */
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(p->devargs, ","), p->devargs);
		/* Already probed by the EAL (-a PCI, --vdev)? */
		if (rte_eth_dev_get_port_by_name(name, &pid) != 0) {
			rc = rte_dev_probe(p->devargs);
			if (rc != 0 || rte_eth_dev_get_port_by_name(name, &pid) != 0) {
				fprintf(err, "config:%u: cannot probe port '%s' (%s): %s\n",
						p->line, p->name, p->devargs, rte_strerror(-rc));
				return rc ? rc : -ENODEV;
			}
			p->probed_here = true;
		}
		p->port_id = pid;
		p->probed = true;
	}
	return 0;
}

static int
port_setup(struct ctgate_app *app, struct ctgate_port *p, FILE *err)
{
	struct ctgate_conf *conf = &app->conf;
	struct rte_eth_dev_info info;
	struct rte_eth_conf pc;
	uint16_t nb_rxq, nb_txq = conf->nb_workers;
	uint16_t nb_rxd = CTGATE_RX_DESC, nb_txd = CTGATE_TX_DESC;
	int rc;

	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc != 0)
		goto fail;
	nb_rxq = (uint16_t)RTE_MIN(conf->nb_workers, info.max_rx_queues);
	if (nb_txq > info.max_tx_queues) {
		fprintf(err, "config:%u: port '%s' has %u tx queues, %u workers need one each\n",
				p->line, p->name, info.max_tx_queues, nb_txq);
		return -EINVAL;
	}
	memset(&pc, 0, sizeof(pc));
	p->rss = false;
	uint64_t want = conf->owner_mode == CTG_PL_OWNER_L3 ? RSS_WANT_L3 : RSS_WANT;

	if (nb_rxq > 1 && (info.flow_type_rss_offloads & want) != 0) {
		pc.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		pc.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads & want;
		if (info.hash_key_size > 0 && info.hash_key_size <= sizeof(sym_rss_key)) {
			pc.rx_adv_conf.rss_conf.rss_key = sym_rss_key;
			pc.rx_adv_conf.rss_conf.rss_key_len = info.hash_key_size;
		}
		p->rss = true;
	}
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		pc.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	rc = rte_eth_dev_configure(p->port_id, nb_rxq, nb_txq, &pc);
	if (rc != 0 && p->rss) {
		/* Some PMDs advertise hash types but refuse a key: retry without the key. */
		pc.rx_adv_conf.rss_conf.rss_key = NULL;
		pc.rx_adv_conf.rss_conf.rss_key_len = 0;
		rc = rte_eth_dev_configure(p->port_id, nb_rxq, nb_txq, &pc);
	}
	if (rc != 0)
		goto fail;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nb_rxd, &nb_txd);
	if (rc != 0)
		goto fail;
	p->nb_rxq = nb_rxq;
	for (uint16_t q = 0; q < nb_rxq; q++) {
		struct ctgate_worker *w = &app->workers[q];

		rc = rte_eth_rx_queue_setup(p->port_id, q, nb_rxd, (unsigned int)w->socket, NULL,
				w->mbuf_pool);
		if (rc != 0)
			goto fail;
	}
	for (uint16_t q = 0; q < nb_txq; q++) {
		rc = rte_eth_tx_queue_setup(p->port_id, q, nb_txd,
				(unsigned int)app->workers[q].socket, NULL);
		if (rc != 0)
			goto fail;
	}
	rc = rte_eth_promiscuous_enable(p->port_id);
	if (rc != 0 && rc != -ENOTSUP)
		goto fail;
	rte_eth_macaddr_get(p->port_id, &p->mac);
	rc = rte_eth_dev_start(p->port_id);
	if (rc != 0)
		goto fail;
	printf("ctgate: port %s (%s, port id %u, driver %s): %u rx queues, %u tx queues, %s\n",
			p->name, p->devargs, p->port_id, info.driver_name, nb_rxq, nb_txq,
			p->rss ? "RSS requested (symmetric key)" :
				 (nb_rxq > 1 ? "no RSS (software dispatch, device spreads queues)" :
					       "no RSS (software dispatch)"));
	return 0;
fail:
	fprintf(err, "config:%u: cannot set up port '%s': %s\n", p->line, p->name,
			rte_strerror(-rc));
	return rc;
}

int
ctgate_ports_start(struct ctgate_app *app, FILE *err)
{
	for (uint16_t i = 0; i < app->conf.nb_ports; i++) {
		int rc = port_setup(app, &app->conf.ports[i], err);

		if (rc != 0)
			return rc;
	}
	return 0;
}

void
ctgate_ports_stats(struct ctgate_app *app, FILE *out)
{
	for (uint16_t i = 0; i < app->conf.nb_ports; i++) {
		const struct ctgate_port *p = &app->conf.ports[i];
		struct rte_eth_stats s;

		if (rte_eth_stats_get(p->port_id, &s) != 0)
			continue;
		fprintf(out,
			"  port %-8s rx %" PRIu64 " pkts %" PRIu64 " bytes, tx %" PRIu64
			" pkts %" PRIu64 " bytes, rx missed %" PRIu64 ", rx errors %" PRIu64
			", rx nombuf %" PRIu64 ", tx errors %" PRIu64 "\n",
			p->name, s.ipackets, s.ibytes, s.opackets, s.obytes, s.imissed, s.ierrors,
			s.rx_nombuf, s.oerrors);
	}
}

void
ctgate_ports_close(struct ctgate_app *app)
{
	for (uint16_t i = 0; i < app->conf.nb_ports; i++) {
		struct ctgate_port *p = &app->conf.ports[i];
		struct rte_eth_dev_info info;
		struct rte_device *dev = NULL;

		if (!p->probed || !rte_eth_dev_is_valid_port(p->port_id))
			continue;
		if (rte_eth_dev_info_get(p->port_id, &info) == 0)
			dev = info.device;
		rte_eth_dev_stop(p->port_id);
		rte_eth_dev_close(p->port_id);
		if (p->probed_here && dev != NULL)
			rte_dev_remove(dev);
	}
}
