/* tx.c: send, punt, or count and free (see tx.h). */
#include <rte_branch_prediction.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "session.h"
#include "stats.h"
#include "tx.h"
#include "worker.h"

static uint16_t
send_buffer(struct worker *w, uint16_t port)
{
	struct tx_buffer *tb = &w->txbuf[port];
	uint16_t k = rte_eth_tx_burst(port, w->txq, tb->pkts, tb->n);

	if (unlikely(k < tb->n)) { /* l3fwd send_burst: free what was refused */
		w->stats.drop[DROP_TX_FULL] += tb->n - k;
		rte_pktmbuf_free_bulk(&tb->pkts[k], tb->n - k);
	}
	w->stats.tx += k;
	tb->n = 0;
	return k;
}

static inline uint16_t
buffer_one(struct worker *w, uint16_t port, struct rte_mbuf *m)
{
	struct tx_buffer *tb = &w->txbuf[port];

	tb->pkts[tb->n++] = m;
	return tb->n >= TX_BURST ? send_buffer(w, port) : 0;
}

/* Per-leg counters: the arrival leg, on the port it arrived on. */
static inline void
count_leg(const struct burst *b, unsigned int i)
{
	struct leg_counters *c = &b->sess[i]->leg[b->leg[i]].rx[b->rtcp_port[i]];

	/* a frame held for its next hop is forwarded, only later (neigh.c) */
	if (b->verdict[i] == V_FWD ||
	    (b->verdict[i] == V_PUNT && b->reason[i] == DROP_NO_NEXTHOP)) {
		c->packets++;
		c->bytes += b->rx_len[i];
	} else if (b->verdict[i] == V_DROP) {
		c->dropped++;
	}
}

uint16_t
tx_burst(struct worker *w, struct burst *b)
{
	struct rte_mbuf *punt[BURST_MAX], *dead[BURST_MAX];
	uint16_t n_punt = 0, n_dead = 0, sent = 0;

	for (unsigned int i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];

		if (b->sess[i] != NULL)
			count_leg(b, i);
		if (likely(b->verdict[i] == V_FWD && b->tx_port[i] < WORKER_PORTS_MAX)) {
			sent += buffer_one(w, b->tx_port[i], m);
		} else if (b->verdict[i] == V_PUNT) {
			if (b->reason[i] != DROP_NO_NEXTHOP)
				m->hash.usr = punt_info(DROP_NONE, 0);
			punt[n_punt++] = m;
		} else {
			/* V_FWD without a port is a stage bug; count it, never leak */
			w->stats.drop[b->verdict[i] == V_DROP ? b->reason[i] : DROP_TX_FULL]++;
			dead[n_dead++] = m;
		}
	}
	if (n_punt > 0) {
		unsigned int k = w->punt == NULL ? 0
						 : rte_ring_sp_enqueue_burst(w->punt, (void **)punt,
									     n_punt, NULL);

		w->stats.punted += k;
		for (; k < n_punt; k++) {
			w->stats.drop[DROP_PUNT_FULL]++;
			dead[n_dead++] = punt[k];
		}
	}
	if (n_dead > 0)
		rte_pktmbuf_free_bulk(dead, n_dead);
	b->n = 0;
	return sent;
}

void
tx_inject(struct worker *w, struct rte_mbuf **pkts, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if (unlikely(pkts[i]->port >= WORKER_PORTS_MAX)) {
			w->stats.drop[DROP_TX_FULL]++;
			rte_pktmbuf_free(pkts[i]);
			continue;
		}
		w->stats.injected++;
		buffer_one(w, pkts[i]->port, pkts[i]);
	}
}

uint16_t
tx_flush(struct worker *w)
{
	uint16_t sent = 0;

	for (uint16_t p = 0; p < WORKER_PORTS_MAX; p++)
		if (w->txbuf[p].n > 0)
			sent += send_buffer(w, p);
	w->last_flush_tsc = w->now_tsc;
	return sent;
}
