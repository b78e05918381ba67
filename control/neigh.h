/* neigh.h: next-hop resolution and the control thread's answers for local
 * addresses: ARP, IPv6 neighbour discovery, ICMP and ICMPv6 echo.
 *
 * Owns the neighbour table the workers read (dataplane/neigh.h) and is its
 * only writer; control thread only. Sessions take a reference on the next
 * hop of each configured remote (the remote itself when it is on the local
 * address's link, else the address's gateway); an unresolved entry is
 * resolved with ARP requests or neighbour solicitations, a few frames wait
 * for it (NEIGH_HOLD each), and workers see the MAC the moment it is stored.
 * Entries are refreshed while referenced and freed with their last
 * reference. Replies never carry anything but addresses.
 *
 * Frames go out through the io callbacks (the daemon hands them to a worker,
 * tests collect them), so everything here runs without an EAL.
 */
#ifndef SRTPFWD_CONTROL_NEIGH_H
#define SRTPFWD_CONTROL_NEIGH_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane/session.h"

#define NEIGH_HOLD 4 /* frames held per unresolved next hop */
#define NEIGH_RETRY_MS 1000 /* between requests while unresolved */
#define NEIGH_TRIES 3 /* requests before held frames are dropped */
#define NEIGH_REFRESH_MS 30000 /* re-ask a resolved, referenced next hop */

struct rte_mbuf;

/* How a local address reaches what is not on its link. */
struct addr_route {
	uint8_t prefix_len; /* the address's on-link prefix; 0: everything is on link */
	uint8_t has_gw;
	uint8_t gw[16]; /* IPv4 in the first 4 bytes */
};

/* Where frames come from and go: set by the owner. */
struct neigh_io {
	void *ctx;
	struct rte_mbuf *(*alloc)(void *ctx); /* a fresh mbuf, or NULL */
	void (*send)(void *ctx, struct rte_mbuf *m); /* m->port is the egress port */
};

struct neigh_stats {
	uint64_t arp_replied; /* ARP requests for a local address answered */
	uint64_t nd_replied; /* neighbour solicitations answered */
	uint64_t echo_replied; /* ICMP/ICMPv6 echo requests answered */
	uint64_t requests_sent; /* ARP requests and solicitations sent */
	uint64_t answers; /* ARP replies and advertisements with a MAC, learned from */
	uint64_t resolved; /* an entry got (or changed) its MAC */
	uint64_t held; /* frames held for an unresolved next hop */
	uint64_t held_sent; /* held frames sent after resolution */
	uint64_t held_dropped; /* held frames dropped: queue full or no answer */
	uint64_t ignored; /* punted frames for nobody here (foreign ARP, other ICMP) */
	uint64_t malformed; /* bad lengths, checksums, hop limits */
	uint64_t no_mbuf; /* a request could not be built */
};

struct neigh;

/**
 * @param t the session table: local addresses, and the neighbour entries
 *        (t->neigh, t->neigh_size) this module fills.
 * @param routes one per local address of @p t.
 */
struct neigh *neigh_new(struct session_table *t, const struct addr_route *routes,
			const struct neigh_io *io);
void neigh_free(struct neigh *nb);

/**
 * Reference the next hop towards @p remote from local address @p addr,
 * creating its entry (and asking for it) if needed. A non-zero
 * @p static_mac makes the entry static: never asked for, never changed.
 * @return 0 with @p idx set, -EHOSTUNREACH (off link, no gateway) or
 * -ENOSPC (table full), with @p err set.
 */
int neigh_ref(struct neigh *nb, unsigned int addr, const struct endpoint *remote,
	      const uint8_t *static_mac, uint16_t *idx, char *err, size_t err_len);
/** Drop a reference taken by neigh_ref (0 is ignored). */
void neigh_unref(struct neigh *nb, uint16_t idx);

/**
 * A frame a worker punted (m->hash.usr is its punt_info): ARP, ND, echo,
 * or a frame waiting for entry's MAC. Consumes @p m: sent back, held, or
 * freed and counted.
 */
void neigh_input(struct neigh *nb, struct rte_mbuf *m, uint64_t now_ms);

/** Retransmit, refresh and time out; call every few ms. */
void neigh_timer(struct neigh *nb, uint64_t now_ms);

/** Entries in use (for stats and leak checks). */
uint32_t neigh_count(const struct neigh *nb);
const struct neigh_stats *neigh_stats(const struct neigh *nb);

#endif
