/* sessions.h: the in-process sessions API, the only writer of session slots
 * and of the (local address, port) table the workers read (session.h).
 * Control thread only; the control protocol puts it on the wire.
 *
 * Every request is validated completely before it touches shared state: a
 * refused request changes nothing and says why in @p err (which leg, which
 * field, what was expected), never with key bytes. Publication follows
 * session.h: fill, then release-store the table entries. Removal: clear
 * entries, wait an RCU grace period (rte_rcu_qsbr_synchronize), then destroy
 * keys (zeroed) and zero the slot.
 */
#ifndef SRTPFWD_SESSIONS_H
#define SRTPFWD_SESSIONS_H

#include <stddef.h>
#include <stdint.h>

#include <rte_rcu_qsbr.h>

#include "dataplane/session.h"
#include "neigh.h"

/* One direction's SRTP key as signalled (RFC 4568 a=crypto inline key, or
 * the controller): master key, master salt, optional MKI. */
struct dir_keys {
	uint8_t present;
	uint8_t suite; /* enum suite */
	uint8_t key_len;
	uint8_t salt_len;
	uint8_t mki_len;
	uint8_t key[SRTP_KEY_MAX];
	uint8_t salt[SRTP_SALT_MAX];
	uint8_t mki[SRTP_MKI_MAX];
};

struct leg_params {
	uint8_t local_addr; /* index of a configured local address */
	uint8_t flags; /* enum leg_flag */
	uint8_t dscp; /* 0..63 */
	uint16_t local_port; /* 0: allocate an even port (and port+1) from the range */
	struct endpoint remote; /* port 0 allowed only with LEG_LATCH */
	uint8_t nh_mac[6]; /* a static next-hop MAC; all zero: resolve (neigh.h) */
	struct dir_keys in; /* LEG_SRTP: the key the peer sends with */
	struct dir_keys out; /* LEG_SRTP: the key we send to the peer with */
};

struct session_params {
	uint64_t id;
	uint32_t timeout_ms; /* no media forwarded for this long: expire; 0 never */
	struct leg_params leg[2];
};

/* What a leg update changes; absent parts stay as they are. */
struct leg_update {
	uint8_t has_remote;
	struct endpoint remote; /* a new remote also restarts latching */
	uint8_t nh_mac[6]; /* static next-hop MAC for the new remote, or zero */
	struct dir_keys in; /* new inbound key: the old one stays accepted (overlap) */
	struct dir_keys out; /* new outbound key: used at once */
};

struct sessions_config {
	uint16_t port_min, port_max; /* media port range, inclusive */
	uint8_t n_addrs;
	struct local_addr addrs[LOCAL_ADDR_MAX];
	struct addr_route routes[LOCAL_ADDR_MAX]; /* zero: every remote on link */
	uint32_t max_sessions;
	uint32_t max_neighbours; /* next hops; 0: 4096 */
	struct neigh_io io; /* how ARP/ND frames leave; zero: never sent (tests) */
};

struct sessions;

/* An inbound re-key accepts the previous key too until the controller ends
 * the overlap, or this long after the re-key (sessions_expire's clock). */
#define SESSIONS_OVERLAP_MS 30000

/**
 * Allocate the table and pool for @p cfg.
 * @param rcu the workers' QSBR variable, or NULL when no worker runs (tests).
 * @param mgr an ipsec-mb manager owned by the control thread (key derivation).
 * @return the state, or NULL with @p err set.
 */
struct sessions *sessions_new(const struct sessions_config *cfg, struct rte_rcu_qsbr *rcu,
			      IMB_MGR *mgr, char *err, size_t err_len);
/** Delete every session (keys zeroed) and free everything. */
void sessions_free(struct sessions *ss);

/** The table the workers read. */
const struct session_table *sessions_table(const struct sessions *ss);

/**
 * Create a session. @p slot receives its handle.
 * @return 0, or -EINVAL (bad request), -ENOSPC (no slot), -EADDRINUSE (port
 * taken or none free), -ENOMEM, with @p err set. Nothing changes on error.
 */
int sessions_create(struct sessions *ss, const struct session_params *p, uint32_t *slot, char *err,
		    size_t err_len);

/** Update leg @p leg of session @p slot. Same errors as create, and -ENOENT. */
int sessions_update_leg(struct sessions *ss, uint32_t slot, unsigned int leg,
			const struct leg_update *u, char *err, size_t err_len);

/** Stop accepting the previous inbound key of a leg after a re-key (it
 * also ends by itself after SESSIONS_OVERLAP_MS). */
int sessions_end_overlap(struct sessions *ss, uint32_t slot, unsigned int leg);

/** Delete session @p slot: unpublish, RCU, zero keys and slot. 0 or -ENOENT. */
int sessions_delete(struct sessions *ss, uint32_t slot);

/** The session in @p slot, or NULL. Read-only view for GET and stats. */
const struct session *sessions_get(const struct sessions *ss, uint32_t slot);

/** Sessions in use. */
uint32_t sessions_count(const struct sessions *ss);
/** Slots: valid handles are 1..capacity. */
uint32_t sessions_capacity(const struct sessions *ss);
/** The inactivity timeout the session in @p slot was created with. */
uint32_t sessions_timeout_ms(const struct sessions *ss, uint32_t slot);
/** Changes whenever a new session takes @p slot (per-slot state kept
 * elsewhere, such as event watchers, resets on a change). */
uint32_t sessions_generation(const struct sessions *ss, uint32_t slot);

/** The next-hop resolver the sessions share (ARP/ND input, its timer). */
struct neigh *sessions_neigh(struct sessions *ss);

/**
 * End every re-key overlap older than SESSIONS_OVERLAP_MS, and delete
 * every session whose timeout passed with no media forwarded on either
 * leg, calling @p expired (before deletion) for each.
 * Call about once a second. @return how many expired.
 */
unsigned int sessions_expire(struct sessions *ss, uint64_t now_ms,
			     void (*expired)(void *ctx, uint32_t slot, uint64_t id), void *ctx);

#endif
