/* tx.c: send, punt, or count and free (see tx.h). */
#include <rte_branch_prediction.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "stats.h"
#include "tx.h"
#include "worker.h"

uint16_t
tx_burst(struct worker *w, struct burst *b)
{
	struct rte_mbuf *out[WORKER_PORTS_MAX][BURST_MAX], *punt[BURST_MAX], *dead[BURST_MAX];
	uint16_t n_out[WORKER_PORTS_MAX] = {0}, n_punt = 0, n_dead = 0, sent = 0;

	for (unsigned int i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];

		if (likely(b->verdict[i] == V_FWD && b->tx_port[i] < WORKER_PORTS_MAX)) {
			out[b->tx_port[i]][n_out[b->tx_port[i]]++] = m;
		} else if (b->verdict[i] == V_PUNT) {
			punt[n_punt++] = m;
		} else {
			/* V_FWD without a port is a stage bug; count it, never leak */
			w->stats.drop[b->verdict[i] == V_DROP ? b->reason[i] : DROP_TX_FULL]++;
			dead[n_dead++] = m;
		}
	}
	for (uint16_t p = 0; p < WORKER_PORTS_MAX; p++) {
		uint16_t k;

		if (n_out[p] == 0)
			continue;
		k = rte_eth_tx_burst(p, w->txq, out[p], n_out[p]);
		sent += k;
		for (; k < n_out[p]; k++) { /* l3fwd send_burst: free what was refused */
			w->stats.drop[DROP_TX_FULL]++;
			dead[n_dead++] = out[p][k];
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
	w->stats.tx += sent;
	b->n = 0;
	return sent;
}
