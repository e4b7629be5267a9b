/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CT_PRIVATE_H_
#define CT_PRIVATE_H_

#ifndef CTG_CT_INTERNAL
#error "ct_private.h is internal to lib/ct"
#endif

#include "ctg_ct.h"

/**
 * What a protocol tracker decided about a packet on a connection (the kernel's
 * NF_ACCEPT / -NF_ACCEPT / NF_REPEAT and the kill-on-RST case).
 */
enum ct_l4_verdict {
	CT_L4_ACCEPT,  /**< valid: refresh the timeout with *timeout_s, count the packet */
	CT_L4_IGNORE,  /**< accepted (ESTABLISHED/NEW), but no refresh and no accounting */
	CT_L4_INVALID, /**< no connection attached: the packet is INVALID (*reason) */
	CT_L4_REPEAT,  /**< kill the connection and track the packet again (SYN reopen) */
	CT_L4_DESTROY, /**< accepted and counted, then the connection is deleted at once */
	CT_L4_VERDICT_COUNT
};

/**
 * Protocol tracker operations (OVS's ct_l4_proto). One const instance per protocol file;
 * the core dispatches through a table indexed by IP protocol.
 */
struct ct_l4_ops {
	/**
	 * Validate the transport header before any lookup (the kernel's *_error()):
	 * length, checksum (when params->checksum), flag combinations.
	 * @return true if the packet may be tracked; false: INVALID with *reason.
	 */
	bool (*error)(const struct ctg_pkt *pkt, const struct ctg_ct_params *p, uint8_t *reason);
	/**
	 * Process a packet on connection @p c in direction @p dir. @p is_new is true when
	 * @p c was just created for this packet (unconfirmed, state zeroed, orig set): the
	 * tracker first decides whether the packet may create a connection at all.
	 * On CT_L4_ACCEPT / CT_L4_DESTROY, *timeout_s is the new timeout.
	 * The tracker may set status bits (ASSURED) and, for the kernel's
	 * nf_tcp_handle_invalid(), shorten c->expires_ns itself (it gets @p now_ns).
	 */
	enum ct_l4_verdict (*packet)(struct ctg_ct_conn *c, enum ctg_ct_dir dir,
			const struct ctg_pkt *pkt, bool is_new, const struct ctg_ct_params *p,
			uint64_t now_ns, uint64_t *timeout_s, uint8_t *reason);
};

extern const struct ct_l4_ops ct_l4_tcp_ops;

#endif /* CT_PRIVATE_H_ */
