/* daemon.h: the srtpfwd process once EAL is up: ports, queues, mempool,
 * workers pinned to their lcores, and the control thread's loop (punted
 * frames, next-hop resolution, inactivity timeouts).
 *
 * Owns the ports, the mbuf pool, the workers (struct worker, written by
 * each worker only), the punt and inject rings, the RCU variable and the
 * sessions (control/sessions.h). Everything here runs on the main lcore;
 * the workers run dataplane/worker.c. The configuration is plain data so
 * the command line, YAML and tests fill the same struct.
 */
#ifndef SRTPFWD_DAEMON_H
#define SRTPFWD_DAEMON_H

#include <stdint.h>
#include <stdio.h>

#include "dataplane/worker.h"
#include "neigh.h"
#include "sessions.h"

#define DAEMON_DEV_MAX 256

struct daemon_port {
	/* A PCI address (0000:01:00.0), a vdev with its arguments
	 * (net_af_packet0,iface=veth0), or the name of a port EAL already
	 * probed (from -a or --vdev). */
	char dev[DAEMON_DEV_MAX];
};

struct daemon_addr {
	uint8_t port; /* index in daemon_config.ports */
	uint8_t ip6;
	uint16_t vlan; /* 0: untagged */
	uint8_t addr[16]; /* IPv4 in the first 4 bytes */
	struct addr_route route; /* prefix and gateway */
};

struct daemon_config {
	unsigned int n_ports;
	struct daemon_port ports[WORKER_PORTS_MAX];
	unsigned int n_addrs;
	struct daemon_addr addrs[LOCAL_ADDR_MAX];
	uint16_t port_min, port_max; /* the media port range */
	uint32_t max_sessions;
	uint32_t max_neighbours; /* 0: 4096 */
	uint16_t rx_desc, tx_desc; /* per queue; 0: 1024 */
	uint32_t mbufs; /* 0: sized from ports, queues and rings */
	unsigned int max_workers; /* 0: one per worker lcore */
};

struct daemon_port_stats {
	uint16_t port_id;
	char name[64];
	uint64_t ipackets, opackets, ibytes, obytes;
	uint64_t imissed; /* dropped at rx: the NIC or ring had no room (overload) */
	uint64_t ierrors, oerrors, rx_nombuf;
	uint64_t link_up; /* 1 up, 0 down (or not known yet) */
	uint64_t link_changes; /* link went down or up, after start */
};

struct daemon_stats {
	struct worker_stats total; /* every worker summed */
	unsigned int n_workers;
	uint32_t sessions;
	uint32_t neighbours;
	struct neigh_stats neigh;
	uint64_t inject_full; /* control frames dropped: the inject ring was full */
	uint64_t expired; /* sessions deleted by their inactivity timeout */
	uint64_t mbufs, mbufs_free; /* the pool's size, and what is free in it now */
	/* episodes of each fault (fault_watch.h) */
	uint64_t punt_full_events, inject_full_events, tx_full_events, mbuf_exhausted_events,
		rx_missed_events;
	unsigned int n_ports;
	struct daemon_port_stats port[WORKER_PORTS_MAX];
};

struct daemon;

/**
 * Bring up ports and queues, create the pool, rings and sessions, and
 * launch a worker on each worker lcore that has queues. EAL must be up.
 * @return the daemon, or NULL with @p err set (what, which port, why).
 */
struct daemon *daemon_start(const struct daemon_config *cfg, char *err, size_t err_len);

/**
 * One pass of the control thread: punted frames, neighbour timers, and once
 * a second the inactivity timeouts. Never blocks.
 * @return the number of punted frames handled (0: the caller may sleep).
 */
unsigned int daemon_poll(struct daemon *d);

/** Stop the workers, stop the ports, delete every session, free all. */
void daemon_stop(struct daemon *d);

/** Stop the workers and wait for them (final, exact counters); the rest
 * stays until daemon_stop(). */
void daemon_stop_workers(struct daemon *d);

/** The sessions API, for the control protocol and tests. */
struct sessions *daemon_sessions(struct daemon *d);

/** Called on each inactivity expiry (before the session is deleted). */
void daemon_on_expire(struct daemon *d, void (*cb)(void *ctx, uint32_t slot, uint64_t id),
		      void *ctx);

/** The worker structs, read-only (per-worker counters). */
unsigned int daemon_n_workers(const struct daemon *d);
const struct worker *daemon_worker(const struct daemon *d, unsigned int i);

/** DPDK port id of configured port @p i. */
uint16_t daemon_port_id(const struct daemon *d, unsigned int i);

/** Counters while traffic flows (worker counters may be a burst stale). */
void daemon_stats(struct daemon *d, struct daemon_stats *st);

/** Print @p st as a table: ports, drop reasons that are not zero, neighbours. */
void daemon_stats_print(const struct daemon_stats *st, FILE *f);

#endif
