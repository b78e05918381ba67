/* ctl_dispatch.h: one control-protocol request in, its response out.
 *
 * The transport-free core of the control server: it owns nothing but the
 * per-connection state (negotiated version, event mask) and calls the
 * sessions API, the only writer of sessions. Control thread only. Every
 * request is decoded and validated completely before it reaches the
 * sessions API, and a refused request changes nothing (control/sessions.h).
 * Key material decoded from a request is zeroed before this returns.
 */
#ifndef SRTPFWD_CTL_DISPATCH_H
#define SRTPFWD_CTL_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "sessions.h"

#define CTL_SERVER_NAME "srtpfwd"

struct ctl_conn {
	uint8_t version; /* 0 until HELLO */
	uint32_t event_mask; /* 1 << (event type - PROTO_EVENT_FIRST) */
};

/* What requests act on. */
struct ctl_env {
	struct sessions *ss;
	/* STATS without a SLOT: write the process's counters (ports, workers,
	 * control) with ctl_put_counter. NULL: only the session count. */
	void (*stats)(void *arg, struct proto_writer *w);
	void *stats_arg;
};

/** One COUNTER attribute (name, value). */
void ctl_put_counter(struct proto_writer *w, const char *name, uint64_t value);

/** A session's counters, named leg<L>.<what> (docs/protocol.md). */
void ctl_put_session_counters(struct proto_writer *w, const struct session *s);

/** The event mask bits a server knows. */
#define CTL_EVENTS_ALL                                                                             \
	(1u << (PROTO_MSG_EV_SESSION_TIMEOUT - PROTO_EVENT_FIRST) |                                \
	 1u << (PROTO_MSG_EV_PEER_LATCHED - PROTO_EVENT_FIRST) |                                   \
	 1u << (PROTO_MSG_EV_AUTH_FAILURES - PROTO_EVENT_FIRST) |                                  \
	 1u << (PROTO_MSG_EV_KEY_LIFETIME - PROTO_EVENT_FIRST))

/**
 * Handle one message (the bytes its header's length covers, or fewer if
 * the client sent a bad length) and write the response into @p out.
 * @param close_after set to 1 when framing is lost: send the response,
 *        then close the connection.
 * @return the response length (always > 0), or -1 if @p cap is too small.
 */
long ctl_dispatch(struct ctl_conn *c, const struct ctl_env *env, const uint8_t *msg, size_t len,
		  uint8_t *out, size_t cap, int *close_after);

#endif
