/* srtpfwd_ctl.h: libsrtpfwd-ctl, the C client of srtpfwd's control protocol
 * (docs/protocol.md). What a SIP server's module links to drive srtpfwd.
 * No DPDK; OpenSSL only inside (TLS 1.3, mutual certificates).
 *
 * One handle is one connection and belongs to one thread. Calls block for
 * at most the handle's timeout. Results: 0 success; a positive value is the
 * server's enum proto_status (the request changed nothing; the server's
 * text is in srtpfwd_ctl_error()); -1 the connection failed (text in
 * srtpfwd_ctl_error(); close the handle). Writing to a peer that closed
 * raises SIGPIPE unless the program ignores it, as srtpfwd-ctl does.
 *
 * Key material passed in is copied into the request buffer only, which is
 * zeroed after sending; error texts never contain it.
 */
#ifndef SRTPFWD_CTL_H
#define SRTPFWD_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#ifdef __cplusplus
extern "C" {
#endif

struct srtpfwd_ctl;

/* TLS material for "host:port" targets (PEM files). */
struct srtpfwd_ctl_tls {
	const char *ca_file; /* the CA that signed the server */
	const char *cert_file; /* this client's certificate */
	const char *key_file; /* and its key */
	const char *server_name; /* a DNS name the server's certificate must carry */
};

/**
 * Connect and say HELLO. @p target: "unix:PATH" or a path with a '/' (unix
 * socket), or "HOST:PORT" / "[V6]:PORT" (TCP with TLS; @p tls required).
 * @return the handle, or NULL with @p err set.
 */
struct srtpfwd_ctl *srtpfwd_ctl_connect(const char *target, const struct srtpfwd_ctl_tls *tls,
					int timeout_ms, char *err, size_t err_len);
void srtpfwd_ctl_close(struct srtpfwd_ctl *c);
/** The last error's text (server's ERROR_TEXT, or what failed locally). */
const char *srtpfwd_ctl_error(const struct srtpfwd_ctl *c);
/** The attribute the server blamed in the last error, or 0. */
uint16_t srtpfwd_ctl_error_attr(const struct srtpfwd_ctl *c);
int srtpfwd_ctl_fd(const struct srtpfwd_ctl *c);

/* ---- sessions ---- */

struct srtpfwd_ctl_key {
	uint8_t suite; /* PROTO suite id; 0: no key */
	uint8_t key_len, salt_len, mki_len;
	uint8_t key[32];
	uint8_t salt[14];
	uint8_t mki[16];
};

struct srtpfwd_ctl_leg {
	uint8_t local_addr; /* index of a local address in srtpfwd's configuration */
	uint16_t local_port; /* 0: srtpfwd allocates one */
	uint8_t remote_ip6;
	uint8_t remote_addr[16]; /* IPv4 in the first 4 bytes */
	uint16_t remote_port; /* 0 with PROTO_LEG_LATCH: learn it */
	uint32_t flags; /* PROTO_LEG_* */
	uint8_t dscp;
	struct srtpfwd_ctl_key in; /* PROTO_LEG_SRTP: what the peer sends with */
	struct srtpfwd_ctl_key out; /* PROTO_LEG_SRTP: what srtpfwd sends with */
};

struct srtpfwd_ctl_session {
	uint64_t id; /* the controller's own handle */
	uint32_t timeout_ms; /* 0: never expires */
	struct srtpfwd_ctl_leg leg[2];
};

/* An update of one leg; absent parts stay as they are. */
struct srtpfwd_ctl_update {
	uint8_t has_remote;
	uint8_t remote_ip6;
	uint8_t remote_addr[16];
	uint16_t remote_port;
	struct srtpfwd_ctl_key in; /* suite 0: unchanged */
	struct srtpfwd_ctl_key out;
	uint8_t end_overlap; /* stop accepting the previous inbound key */
};

/** @p slot and @p local_port (RTP port of each leg) receive the result. */
int srtpfwd_ctl_create(struct srtpfwd_ctl *c, const struct srtpfwd_ctl_session *s, uint32_t *slot,
		       uint16_t local_port[2]);
int srtpfwd_ctl_update(struct srtpfwd_ctl *c, uint32_t slot, unsigned int leg,
		       const struct srtpfwd_ctl_update *u);
int srtpfwd_ctl_delete(struct srtpfwd_ctl *c, uint32_t slot);

/* ---- reading ---- */

/** A counter as the server names it (docs/counters.md). */
typedef void (*srtpfwd_ctl_counter_fn)(void *ctx, const char *name, uint64_t value);

struct srtpfwd_ctl_leg_info {
	uint8_t local_addr;
	uint16_t local_port;
	uint8_t remote_ip6;
	uint8_t remote_addr[16];
	uint16_t remote_port; /* where media goes now (latched or configured) */
	uint32_t flags;
	uint8_t dscp;
	uint8_t suite_in, suite_out; /* 0: none */
};

struct srtpfwd_ctl_info {
	uint32_t slot;
	uint64_t id;
	uint32_t timeout_ms;
	struct srtpfwd_ctl_leg_info leg[2];
};

/** One session; its counters go to @p fn (may be NULL). */
int srtpfwd_ctl_get(struct srtpfwd_ctl *c, uint32_t slot, struct srtpfwd_ctl_info *info,
		    srtpfwd_ctl_counter_fn fn, void *ctx);
/** Up to @p max slots from @p cursor on; @p next: the next cursor, 0 at the end. */
int srtpfwd_ctl_list(struct srtpfwd_ctl *c, uint32_t cursor, uint32_t max, uint32_t *slots,
		     uint32_t *n, uint32_t *next);
/** Global, per-port and per-worker counters (@p slot 0), or one session's. */
int srtpfwd_ctl_stats(struct srtpfwd_ctl *c, uint32_t slot, srtpfwd_ctl_counter_fn fn, void *ctx);

/* ---- events ---- */

struct srtpfwd_ctl_event {
	uint8_t type; /* PROTO_MSG_EV_* */
	uint32_t slot;
	uint64_t id;
	uint8_t leg; /* PEER_LATCHED, AUTH_FAILURES, KEY_LIFETIME */
	uint8_t remote_ip6;
	uint8_t remote_addr[16]; /* PEER_LATCHED: the new remote */
	uint16_t remote_port;
	uint64_t count; /* AUTH_FAILURES: failures in the last period; KEY_LIFETIME: packets
			   left */
};

/** Ask for events: 1 << (PROTO_MSG_EV_x - 0x80) for each; 0 stops them. */
int srtpfwd_ctl_subscribe(struct srtpfwd_ctl *c, uint32_t mask);
/** The next event: 1 with @p ev set, 0 if none came within @p timeout_ms, -1. */
int srtpfwd_ctl_event(struct srtpfwd_ctl *c, struct srtpfwd_ctl_event *ev, int timeout_ms);

/* ---- pipelining: many requests in flight on one connection ---- */

/** Build a CREATE into @p buf. @return its length, or -1 if it does not fit
 * or a key's key_len, salt_len or mki_len is larger than its array
 * (srtpfwd_ctl_create() and _update() refuse those too, sending nothing). */
long srtpfwd_ctl_build_create(uint8_t *buf, size_t cap, uint32_t request_id,
			      const struct srtpfwd_ctl_session *s);
/** Build an UPDATE of one leg (as srtpfwd_ctl_update sends it). */
long srtpfwd_ctl_build_update(uint8_t *buf, size_t cap, uint32_t request_id, uint32_t slot,
			      unsigned int leg, const struct srtpfwd_ctl_update *u);
/** Build a DELETE. */
long srtpfwd_ctl_build_delete(uint8_t *buf, size_t cap, uint32_t request_id, uint32_t slot);
/** The SLOT a CREATE's response carries (@p msg as srtpfwd_ctl_recv gave
 * it), or 0 if it has none (an error response). */
uint32_t srtpfwd_ctl_response_slot(const uint8_t *msg, const struct proto_hdr *h);
/** Send a built request. 0 or -1. */
int srtpfwd_ctl_send(struct srtpfwd_ctl *c, const uint8_t *msg, size_t len);
/**
 * Receive the next response (events are queued for srtpfwd_ctl_event).
 * @return its length with @p h filled, 0 on timeout, -1.
 */
long srtpfwd_ctl_recv(struct srtpfwd_ctl *c, uint8_t *buf, size_t cap, struct proto_hdr *h,
		      int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif
