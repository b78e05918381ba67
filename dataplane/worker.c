/* worker.c: the run-to-completion loop (see worker.h). */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "lookup.h"
#include "parse.h"
#include "rewrite.h"
#include "srtp.h"
#include "tx.h"
#include "worker.h"

/* The packet path, top to bottom. Each stage skips what is no longer
 * V_FWD; only tx frees, sends or punts. */
static void
process_burst(struct worker *w, struct burst *b)
{
	parse_burst(&w->parse, b); /* headers, RFC 7983 demux, bad -> DROP_*   */
	lookup_burst(w->table, b); /* (addr, port) -> session, leg, contexts */
	srtp_unprotect_burst(w, b); /* index, replay, auth, decrypt, commit   */
	srtp_protect_burst(w, b); /* index, encrypt, auth, append tag       */
	rewrite_burst(w->table, b); /* latch; egress L2/L3/L4                 */
	tx_burst(w, b); /* every mbuf leaves here exactly once    */
}

/* Frames control built or held (ARP/ND replies and requests, echo replies,
 * media that waited for its next hop), sent on this worker's queues so
 * control needs no tx queue of its own. */
static void
drain_inject(struct worker *w)
{
	struct rte_mbuf *m[RX_BURST];
	unsigned int n = rte_ring_sc_dequeue_burst(w->inject, (void **)m, RX_BURST, NULL);

	if (n > 0)
		tx_inject(w, m, n);
}

unsigned int
worker_poll(struct worker *w)
{
	struct burst b;
	unsigned int total = 0;

	w->now_tsc = rte_get_timer_cycles();
	if (w->tsc_per_ms != 0)
		w->now_ms = (uint32_t)(w->now_tsc / w->tsc_per_ms);
	for (unsigned int p = 0; p < w->n_ports; p++) {
		uint16_t n = rte_eth_rx_burst(w->ports[p], w->rxq, b.pkts, RX_BURST);

		if (n == 0)
			continue;
		b.n = n;
		b.port = w->ports[p];
		for (unsigned int i = 0; i < n; i++) {
			b.verdict[i] = V_FWD;
			b.reason[i] = DROP_NONE;
			b.tx_port[i] = UINT16_MAX; /* set by rewrite */
		}
		process_burst(w, &b);
		total += n;
	}
	if (w->inject != NULL)
		drain_inject(w);
	if (total == 0 || w->now_tsc - w->last_flush_tsc >= w->tx_drain_tsc)
		tx_flush(w);
	w->stats.rx += total;
	w->stats.loops++;
	if (w->rcu != NULL)
		rte_rcu_qsbr_quiescent(w->rcu, w->rcu_id);
	return total;
}

int
worker_main(void *arg)
{
	struct worker *w = arg;

	if (w->tsc_per_ms == 0)
		w->tsc_per_ms = rte_get_timer_hz() / 1000;
	if (w->tx_drain_tsc == 0)
		w->tx_drain_tsc = rte_get_timer_hz() / 1000000 * TX_DRAIN_US;
	if (w->rcu != NULL)
		rte_rcu_qsbr_thread_online(w->rcu, w->rcu_id);
	while (!__atomic_load_n(&w->stop, __ATOMIC_RELAXED))
		worker_poll(w);
	tx_flush(w);
	if (w->rcu != NULL)
		rte_rcu_qsbr_thread_offline(w->rcu, w->rcu_id);
	return 0;
}
