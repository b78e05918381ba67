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
	uint32_t event_mask;
};

/**
 * Handle one message (the bytes its header's length covers, or fewer if
 * the client sent a bad length) and write the response into @p out.
 * @param close_after set to 1 when framing is lost: send the response,
 *        then close the connection.
 * @return the response length (always > 0), or -1 if @p cap is too small.
 */
long ctl_dispatch(struct ctl_conn *c, struct sessions *ss, const uint8_t *msg, size_t len,
		  uint8_t *out, size_t cap, int *close_after);

#endif
