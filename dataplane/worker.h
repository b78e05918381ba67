/* worker.h: a worker lcore's private state and its loop.
 *
 * Owned and written by one worker. The control thread fills the set-up part
 * before launching it and reads stats (plain loads, possibly a burst
 * stale). Nothing here is shared between workers.
 */
#ifndef SRTPFWD_WORKER_H
#define SRTPFWD_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto.h"
#include "parse.h"
#include "stats.h"
#include "tx.h"

#define WORKER_PORTS_MAX 8 /* DPDK port ids a worker polls and sends on: 0..7 */
#define RX_BURST 32

struct rte_ring;
struct rte_rcu_qsbr;
struct session_table;

struct worker {
	unsigned int id;
	/* Coarse wall clock in milliseconds, set once per loop (wraps after
	 * 49 days; compared modulo 2^32). SSRC slots use it to tell an idle
	 * stream from a live one. */
	uint32_t now_ms;
	uint64_t now_tsc; /* TSC at the start of the loop */
	uint64_t last_flush_tsc;
	/* Set up by control before launch; read-only here. */
	uint16_t n_ports;
	uint16_t ports[WORKER_PORTS_MAX];
	uint16_t rxq, txq; /* this worker's queue on every port */
	uint64_t tsc_per_ms;
	const struct session_table *table;
	struct rte_ring *punt; /* to control; single producer: this worker */
	struct rte_ring *inject; /* from control (ARP, ND, echo, held frames), or NULL */
	uint64_t tx_drain_tsc; /* 0: TX_DRAIN_US */
	struct rte_rcu_qsbr *rcu; /* NULL: no RCU (tests) */
	unsigned int rcu_id;
	struct parse_opts parse;
	bool stop; /* control: w (relaxed), worker: r */
	struct worker_stats stats;
	struct tx_buffer txbuf[WORKER_PORTS_MAX]; /* by DPDK port id */
	struct crypto_worker crypto;
};

/**
 * One loop iteration: a burst from each port through parse -> lookup ->
 * unprotect -> protect -> rewrite -> tx, frames injected by control, the tx
 * buffers when their drain timer ran out or nothing arrived, then RCU
 * quiescence.
 * @return the number of packets received.
 */
unsigned int worker_poll(struct worker *w);

/** lcore entry point (rte_eal_remote_launch): polls until w->stop. */
int worker_main(void *arg);

#endif
