/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overview
 *	A grace period between a PMD freeing a port's memory and the workers polling it.
 *
 *	DPDK 22.11's memif PMD tears a link down on the EAL interrupt thread when the peer
 *	disconnects: memif_disconnect() clears the port's "connected" flag, then unmaps the
 *	peer's shared region (memif_free_regions()). Nothing synchronises that with the
 *	burst functions, so a worker that passed the flag check inside rte_eth_rx_burst()
 *	or rte_eth_tx_burst() just before (typically one descheduled there on a busy host)
 *	reads the unmapped ring and the appliance dies with SIGSEGV. Seen in the soak and
 *	reproduced in seconds by tests/hardening/memif_flap.sh without this guard.
 *
 *	The appliance cannot hook the PMD's teardown, but it can hook the unmap: ctgate
 *	defines munmap() and exports it from the executable (meson: -Wl,--export-dynamic-
 *	symbol), so the dynamically loaded PMDs, and a statically linked DPDK, bind to it.
 *	While the workers run, an munmap() from any thread that is not a worker waits for a
 *	grace period of the workers' rte_rcu_qsbr variable before it unmaps. Each worker
 *	reports a quiescent state once per loop iteration, outside every burst call, so
 *	once all have reported after the unmap was requested, none is still inside a burst
 *	that began before it, and every later burst sees the flag the PMD cleared before it
 *	unmapped. The rest of the teardown (freeing the region records) comes after the
 *	unmap and is covered by the same grace period.
 *
 *	The wait is bounded (CTGATE_UNMAP_GRACE_MS: a worker can be stuck or descheduled for
 *	long on an oversubscribed host) and every grace period, its longest wait and every
 *	time-out are counted ("show ports" and the summary). Calls from a worker, and calls
 *	before the workers start or after they stop, unmap at once.
 *
 * Ownership & synchronization
 *	guard.v is set (release) by the control core before the workers launch and cleared
 *	after they all returned. Worker w registers, goes online and reports with
 *	rte_rcu_qsbr_*(v, w); any other thread calls rte_rcu_qsbr_start/check (multi-thread
 *	safe). The counters are atomics: several threads may unmap at once.
 */

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#include "ctgate.h"

static struct {
	_Atomic(struct rte_rcu_qsbr *) v;
	atomic_uint_fast64_t waits;	/* grace periods waited for */
	atomic_uint_fast64_t timeouts;	/* grace periods given up */
	atomic_uint_fast64_t max_wait_us;
} guard;

/* Set in a worker's thread: that thread's unmaps never wait (it would wait for itself). */
static __thread bool guard_is_worker;

int
ctgate_unmap_guard_init(unsigned int nb_workers)
{
	size_t sz = rte_rcu_qsbr_get_memsize(nb_workers);
	struct rte_rcu_qsbr *v;

	v = rte_zmalloc("ctgate_unmap_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (v == NULL)
		return -ENOMEM;
	if (rte_rcu_qsbr_init(v, nb_workers) != 0) {
		rte_free(v);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < nb_workers; i++)
		rte_rcu_qsbr_thread_register(v, i);
	atomic_store_explicit(&guard.v, v, memory_order_release);
	return 0;
}

void
ctgate_unmap_guard_fini(void)
{
	struct rte_rcu_qsbr *v = atomic_exchange(&guard.v, NULL);

	/* Called once every worker returned: an unmapper still waiting on v sees all of
	 * them offline and leaves; the memory is heap memory, never unmapped here. */
	rte_free(v);
}

void
ctgate_unmap_guard_worker_online(unsigned int worker)
{
	struct rte_rcu_qsbr *v = atomic_load_explicit(&guard.v, memory_order_acquire);

	guard_is_worker = true;
	if (v != NULL)
		rte_rcu_qsbr_thread_online(v, worker);
}

void
ctgate_unmap_guard_worker_offline(unsigned int worker)
{
	struct rte_rcu_qsbr *v = atomic_load_explicit(&guard.v, memory_order_acquire);

	if (v != NULL)
		rte_rcu_qsbr_thread_offline(v, worker);
}

void
ctgate_unmap_guard_quiescent(unsigned int worker)
{
	struct rte_rcu_qsbr *v = atomic_load_explicit(&guard.v, memory_order_relaxed);

	if (likely(v != NULL))
		rte_rcu_qsbr_quiescent(v, worker);
}

void
ctgate_unmap_guard_stats(uint64_t *waits, uint64_t *timeouts, uint64_t *max_wait_us)
{
	*waits = atomic_load(&guard.waits);
	*timeouts = atomic_load(&guard.timeouts);
	*max_wait_us = atomic_load(&guard.max_wait_us);
}

static void
grace_period(struct rte_rcu_qsbr *v)
{
	uint64_t hz = rte_get_timer_hz(), t0 = rte_get_timer_cycles();
	uint64_t limit = t0 + hz / 1000 * CTGATE_UNMAP_GRACE_MS, us, old;
	uint64_t token = rte_rcu_qsbr_start(v);

	while (rte_rcu_qsbr_check(v, token, false) == 0) {
		if (rte_get_timer_cycles() > limit) {
			atomic_fetch_add(&guard.timeouts, 1);
			break;
		}
		/* The workers may share this core: let them run to their report. */
		sched_yield();
	}
	atomic_fetch_add(&guard.waits, 1);
	us = (rte_get_timer_cycles() - t0) * 1000000 / hz;
	old = atomic_load(&guard.max_wait_us);
	while (us > old && !atomic_compare_exchange_weak(&guard.max_wait_us, &old, us))
		;
}

/* Replaces the C library's munmap() for the whole process (see the overview). */
int munmap(void *addr, size_t len);

int
munmap(void *addr, size_t len)
{
	struct rte_rcu_qsbr *v = atomic_load_explicit(&guard.v, memory_order_acquire);

	if (v != NULL && !guard_is_worker)
		grace_period(v);
	return (int)syscall(SYS_munmap, addr, len);
}
