/* proto_session.h: control-protocol requests decoded into the sessions
 * API's parameters (control/sessions.h), and sessions encoded for replies.
 * Control thread only. Everything in a request is checked here before the
 * sessions API sees it; an error names the leg, the attribute and what was
 * expected, and never contains key, salt or MKI bytes.
 */
#ifndef SRTPFWD_PROTO_SESSION_H
#define SRTPFWD_PROTO_SESSION_H

#include "proto.h"
#include "sessions.h"

struct proto_error {
	uint16_t status; /* enum proto_status */
	uint16_t attr; /* the attribute at fault, or 0 */
	char text[240];
};

/** SESSION_CREATE attributes -> @p p. @return 0, or -1 with @p e set.
 * The caller zeroes @p p (key material) when done with it. */
int proto_decode_create(const uint8_t *attrs, size_t len, struct session_params *p,
			struct proto_error *e);

/** SESSION_UPDATE attributes -> slot, leg, update, end-overlap request. */
int proto_decode_update(const uint8_t *attrs, size_t len, uint32_t *slot, unsigned int *leg,
			struct leg_update *u, int *end_overlap, struct proto_error *e);

/** enum suite of a PROTO suite id, or -1. */
int proto_suite(unsigned int id);

#endif
