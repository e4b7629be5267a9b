/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CTG_APP_PCAP_LINK_H_
#define CTG_APP_PCAP_LINK_H_

/**
 * @file
 * libpcap link type -> ctg_pkt framing, shared by the pcap-reading tools
 * (ctgate-replay, ctgate-burst-check).
 */

#include <pcap/pcap.h>

#include "ctg_pkt.h"

/** @return the enum ctg_pkt_link of a pcap_datalink() value, or -1 if unsupported. */
static inline int
ctg_pcap_link(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
		return CTG_PKT_LINK_ETHER;
	case DLT_RAW:
#ifdef DLT_IPV4
	case DLT_IPV4:
	case DLT_IPV6:
#endif
		return CTG_PKT_LINK_RAW;
	case DLT_LINUX_SLL:
		return CTG_PKT_LINK_SLL;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		return CTG_PKT_LINK_SLL2;
#endif
	case DLT_NULL:
	case DLT_LOOP:
		return CTG_PKT_LINK_NULL;
	default:
		return -1;
	}
}

#endif /* CTG_APP_PCAP_LINK_H_ */
