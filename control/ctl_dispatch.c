/* ctl_dispatch.c: requests to the sessions API (see ctl_dispatch.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl_dispatch.h"
#include "proto_session.h"

/* The sessions API's errors as protocol statuses. */
static uint16_t
status_of(int r)
{
	switch (r) {
	case -EINVAL: return PROTO_ST_BAD_ATTRIBUTE;
	case -ENOENT: return PROTO_ST_NO_SESSION;
	case -ENOSPC: return PROTO_ST_NO_RESOURCES;
	case -EADDRINUSE: return PROTO_ST_ADDRESS_IN_USE;
	case -EHOSTUNREACH: return PROTO_ST_NO_ROUTE;
	default: return PROTO_ST_INTERNAL;
	}
}

static long
error_reply(uint8_t *out, size_t cap, uint8_t type, uint32_t id, uint16_t status, uint16_t attr,
	    const char *text)
{
	struct proto_writer w;

	proto_begin(&w, out, cap, type, PROTO_F_RESPONSE, id, status);
	proto_put_str(&w, PROTO_A_ERROR_TEXT, text);
	if (attr != 0)
		proto_put_u16(&w, PROTO_A_ERROR_ATTR, attr);
	return proto_finish(&w);
}

static long
hello(struct ctl_conn *c, const struct proto_hdr *h, const uint8_t *attrs, size_t alen,
      uint8_t *out, size_t cap)
{
	struct proto_iter it;
	struct proto_attr_view a;
	struct proto_writer w;
	unsigned int vmin = 0, vmax = 0;
	int r;

	proto_iter_init(&it, attrs, alen);
	while ((r = proto_next(&it, &a)) == 1) {
		if ((a.type == PROTO_A_VERSION_MIN || a.type == PROTO_A_VERSION_MAX) && a.len == 1)
			*(a.type == PROTO_A_VERSION_MIN ? &vmin : &vmax) = a.val[0];
		else if (a.type == PROTO_A_NAME && a.len >= 1 && a.len <= 64)
			continue;
		else
			return error_reply(out, cap, h->type, h->request_id, PROTO_ST_BAD_ATTRIBUTE,
					   a.type,
					   "HELLO takes VERSION_MIN, VERSION_MAX (u8) and NAME "
					   "(1..64 bytes)");
	}
	if (r < 0)
		return error_reply(out, cap, h->type, h->request_id, PROTO_ST_BAD_MESSAGE, 0,
				   "HELLO: attribute layout broken");
	if (vmin == 0 || vmax < vmin)
		return error_reply(out, cap, h->type, h->request_id, PROTO_ST_BAD_ATTRIBUTE,
				   PROTO_A_VERSION_MIN,
				   "HELLO needs VERSION_MIN and VERSION_MAX, min <= max");
	if (vmin > PROTO_VERSION || vmax < PROTO_VERSION) {
		char t[96];

		snprintf(t, sizeof(t), "client speaks %u..%u, this server speaks %d", vmin, vmax,
			 PROTO_VERSION);
		return error_reply(out, cap, h->type, h->request_id, PROTO_ST_VERSION, 0, t);
	}
	c->version = PROTO_VERSION;
	proto_begin(&w, out, cap, h->type, PROTO_F_RESPONSE, h->request_id, PROTO_ST_OK);
	proto_put_u8(&w, PROTO_A_VERSION, PROTO_VERSION);
	proto_put_str(&w, PROTO_A_NAME, CTL_SERVER_NAME);
	proto_put_u32(&w, PROTO_A_MSG_MAX, PROTO_MSG_MAX);
	return proto_finish(&w);
}

static long
create(struct sessions *ss, const struct proto_hdr *h, const uint8_t *attrs, size_t alen,
       uint8_t *out, size_t cap)
{
	struct session_params p;
	struct proto_error e;
	struct proto_writer w;
	const struct session *s;
	char why[256];
	uint32_t slot;
	int r;

	memset(&e, 0, sizeof(e));
	if (proto_decode_create(attrs, alen, &p, &e) != 0) {
		explicit_bzero(&p, sizeof(p));
		return error_reply(out, cap, h->type, h->request_id, e.status, e.attr, e.text);
	}
	r = sessions_create(ss, &p, &slot, why, sizeof(why));
	explicit_bzero(&p, sizeof(p)); /* the keys live on only as expanded key objects */
	if (r != 0)
		return error_reply(out, cap, h->type, h->request_id, status_of(r), 0, why);
	s = sessions_get(ss, slot);
	proto_begin(&w, out, cap, h->type, PROTO_F_RESPONSE, h->request_id, PROTO_ST_OK);
	proto_put_u32(&w, PROTO_A_SLOT, slot);
	for (unsigned int l = 0; l < 2; l++) {
		proto_nest_begin(&w, PROTO_A_LEG);
		proto_put_u8(&w, PROTO_A_LEG_INDEX, (uint8_t)l);
		proto_put_u16(&w, PROTO_A_LOCAL_PORT, s->leg[l].local_port);
		proto_nest_end(&w);
	}
	return proto_finish(&w);
}

static long
update(struct sessions *ss, const struct proto_hdr *h, const uint8_t *attrs, size_t alen,
       uint8_t *out, size_t cap)
{
	struct leg_update u;
	struct proto_error e;
	struct proto_writer w;
	char why[256];
	uint32_t slot = 0;
	unsigned int leg = 0;
	int end = 0, r = 0;

	memset(&e, 0, sizeof(e));
	if (proto_decode_update(attrs, alen, &slot, &leg, &u, &end, &e) != 0) {
		explicit_bzero(&u, sizeof(u));
		return error_reply(out, cap, h->type, h->request_id, e.status, e.attr, e.text);
	}
	if (u.has_remote || u.in.present || u.out.present)
		r = sessions_update_leg(ss, slot, leg, &u, why, sizeof(why));
	explicit_bzero(&u, sizeof(u));
	if (r == 0 && end)
		r = sessions_end_overlap(ss, slot, leg);
	if (r != 0) {
		if (r == -ENOENT)
			snprintf(why, sizeof(why), "no session in slot %u", slot);
		return error_reply(out, cap, h->type, h->request_id, status_of(r), 0, why);
	}
	proto_begin(&w, out, cap, h->type, PROTO_F_RESPONSE, h->request_id, PROTO_ST_OK);
	return proto_finish(&w);
}

/* DELETE and GET take exactly one SLOT. @return the slot, or 0 with an
 * error response written into *reply. */
static uint32_t
one_slot(const struct proto_hdr *h, const uint8_t *attrs, size_t alen, uint8_t *out, size_t cap,
	 long *reply)
{
	struct proto_iter it;
	struct proto_attr_view a;

	proto_iter_init(&it, attrs, alen);
	if (proto_next(&it, &a) != 1 || a.type != PROTO_A_SLOT || a.len != 4 ||
	    proto_next(&it, &a) != 0) {
		*reply = error_reply(out, cap, h->type, h->request_id, PROTO_ST_BAD_ATTRIBUTE,
				     PROTO_A_SLOT, "this request takes exactly one SLOT (u32)");
		return 0;
	}
	return proto_rd32(a.val);
}

long
ctl_dispatch(struct ctl_conn *c, struct sessions *ss, const uint8_t *msg, size_t len, uint8_t *out,
	     size_t cap, int *close_after)
{
	struct proto_hdr h;
	char err[160];
	const uint8_t *attrs;
	size_t alen;
	long reply = 0;
	uint32_t slot;

	*close_after = 0;
	err[0] = '\0';
	if (proto_hdr_parse(msg, len, &h, err, sizeof(err)) != 0 || h.length > len ||
	    (h.flags & PROTO_F_RESPONSE)) {
		*close_after = 1;
		if (err[0] == '\0' || h.length > len)
			snprintf(err, sizeof(err), "header: a request of %zu bytes", len);
		return error_reply(out, cap, len >= 2 ? msg[1] : 0,
				   len >= 12 ? proto_rd32(msg + 8) : 0, PROTO_ST_BAD_MESSAGE, 0,
				   err);
	}
	attrs = msg + PROTO_HDR_LEN;
	alen = h.length - PROTO_HDR_LEN;
	if (h.type == PROTO_MSG_HELLO)
		return hello(c, &h, attrs, alen, out, cap);
	if (c->version == 0)
		return error_reply(out, cap, h.type, h.request_id, PROTO_ST_NO_HELLO, 0,
				   "send HELLO first");
	switch (h.type) {
	case PROTO_MSG_SESSION_CREATE: return create(ss, &h, attrs, alen, out, cap);
	case PROTO_MSG_SESSION_UPDATE: return update(ss, &h, attrs, alen, out, cap);
	case PROTO_MSG_SESSION_DELETE:
		slot = one_slot(&h, attrs, alen, out, cap, &reply);
		if (reply != 0)
			return reply;
		if (sessions_delete(ss, slot) != 0) {
			snprintf(err, sizeof(err), "no session in slot %u", slot);
			return error_reply(out, cap, h.type, h.request_id, PROTO_ST_NO_SESSION, 0,
					   err);
		}
		{
			struct proto_writer w;

			proto_begin(&w, out, cap, h.type, PROTO_F_RESPONSE, h.request_id,
				    PROTO_ST_OK);
			return proto_finish(&w);
		}
	default:
		snprintf(err, sizeof(err), "message type 0x%02x is not served (yet): %s", h.type,
			 proto_msg_name(h.type));
		return error_reply(out, cap, h.type, h.request_id, PROTO_ST_UNKNOWN_TYPE, 0, err);
	}
}
