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

void
ctl_put_counter(struct proto_writer *w, const char *name, uint64_t value)
{
	proto_nest_begin(w, PROTO_A_COUNTER);
	proto_put_str(w, PROTO_A_COUNTER_NAME, name);
	proto_put_u64(w, PROTO_A_COUNTER_VALUE, value);
	proto_nest_end(w);
}

/* Counters have one writer (a worker); control reads them as they are. */
static inline uint64_t
rd(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void
put_srtp_counters(struct proto_writer *w, unsigned int l, const char *what,
		  const struct srtp_counters *k)
{
	char name[48];

#define C(field)                                                                                   \
	do {                                                                                       \
		snprintf(name, sizeof(name), "leg%u.%s." #field, l, what);                         \
		ctl_put_counter(w, name, rd(&k->field));                                           \
	} while (0)
	C(packets);
	C(bytes);
	C(auth_fail);
	C(replay);
	C(dropped);
#undef C
}

void
ctl_put_session_counters(struct proto_writer *w, const struct session *s)
{
	static const char *const port_name[2] = {"rtp", "rtcp"};
	char name[48];

	for (unsigned int l = 0; l < 2; l++) {
		const struct leg *g = &s->leg[l];

		for (unsigned int p = 0; p < 2; p++) {
			snprintf(name, sizeof(name), "leg%u.%s.packets", l, port_name[p]);
			ctl_put_counter(w, name, rd(&g->rx[p].packets));
			snprintf(name, sizeof(name), "leg%u.%s.bytes", l, port_name[p]);
			ctl_put_counter(w, name, rd(&g->rx[p].bytes));
			snprintf(name, sizeof(name), "leg%u.%s.dropped", l, port_name[p]);
			ctl_put_counter(w, name, rd(&g->rx[p].dropped));
		}
		if (!(g->flags & LEG_SRTP))
			continue;
		put_srtp_counters(w, l, "srtp_in", &g->in.rtp.cnt);
		put_srtp_counters(w, l, "srtcp_in", &g->in.rtcp.cnt);
		put_srtp_counters(w, l, "srtp_out", &g->out.rtp.cnt);
		put_srtp_counters(w, l, "srtcp_out", &g->out.rtcp.cnt);
	}
}

/* The remote media goes to now: latched under the current configuration,
 * else configured (session.h). */
static void
current_remote(const struct leg *g, struct endpoint *e)
{
	struct egress cfg;
	struct latch lt;

	/* control writes cfg itself, so only a worker's latch write can keep
	 * seq_read() busy: retry until a copy is consistent */
	while (!seq_read(&g->cfg_seq, &cfg, &g->cfg, sizeof(cfg)))
		;
	*e = cfg.remote;
	if (!(g->flags & LEG_LATCH))
		return;
	while (!seq_read(&g->latch_seq, &lt, &g->latch, sizeof(lt)))
		;
	if (lt.epoch == cfg.epoch && lt.remote.port != 0)
		*e = lt.remote;
}

static uint8_t
suite_id(const struct srtp_keys *k)
{
	if (k == NULL)
		return 0;
	for (unsigned int id = 1; id < 16; id++)
		if (proto_suite(id) == (int)k->suite)
			return (uint8_t)id;
	return 0;
}

static uint32_t
leg_flags(uint8_t f)
{
	return (f & LEG_RTCP_MUX ? PROTO_LEG_RTCP_MUX : 0) | (f & LEG_LATCH ? PROTO_LEG_LATCH : 0) |
	       (f & LEG_SRTP ? PROTO_LEG_SRTP : 0) |
	       (f & LEG_PASSTHROUGH ? PROTO_LEG_PASSTHROUGH : 0);
}

static long
get(const struct ctl_env *env, const struct proto_hdr *h, uint32_t slot, uint8_t *out, size_t cap)
{
	const struct session *s = sessions_get(env->ss, slot);
	struct proto_writer w;
	char err[64];

	if (s == NULL) {
		snprintf(err, sizeof(err), "no session in slot %u", slot);
		return error_reply(out, cap, h->type, h->request_id, PROTO_ST_NO_SESSION, 0, err);
	}
	proto_begin(&w, out, cap, h->type, PROTO_F_RESPONSE, h->request_id, PROTO_ST_OK);
	proto_put_u32(&w, PROTO_A_SLOT, slot);
	proto_put_u64(&w, PROTO_A_SESSION_ID, s->id);
	proto_put_u32(&w, PROTO_A_TIMEOUT_MS, sessions_timeout_ms(env->ss, slot));
	for (unsigned int l = 0; l < 2; l++) {
		const struct leg *g = &s->leg[l];
		struct endpoint e;
		uint8_t suite;

		current_remote(g, &e);
		proto_nest_begin(&w, PROTO_A_LEG);
		proto_put_u8(&w, PROTO_A_LEG_INDEX, (uint8_t)l);
		proto_put_u8(&w, PROTO_A_LOCAL_ADDR, g->local_addr);
		proto_put_u16(&w, PROTO_A_LOCAL_PORT, g->local_port);
		proto_put(&w, PROTO_A_REMOTE_ADDR, e.addr, e.ip6 ? 16 : 4);
		proto_put_u16(&w, PROTO_A_REMOTE_PORT, e.port);
		proto_put_u32(&w, PROTO_A_LEG_FLAGS, leg_flags(g->flags));
		proto_put_u8(&w, PROTO_A_DSCP, g->dscp);
		/* the suites only: a key never leaves srtpfwd */
		if ((suite = suite_id(__atomic_load_n(&g->in.keys, __ATOMIC_ACQUIRE))) != 0) {
			proto_nest_begin(&w, PROTO_A_KEY_IN);
			proto_put_u8(&w, PROTO_A_SUITE, suite);
			proto_nest_end(&w);
		}
		if ((suite = suite_id(__atomic_load_n(&g->out.keys, __ATOMIC_ACQUIRE))) != 0) {
			proto_nest_begin(&w, PROTO_A_KEY_OUT);
			proto_put_u8(&w, PROTO_A_SUITE, suite);
			proto_nest_end(&w);
		}
		proto_nest_end(&w);
	}
	ctl_put_session_counters(&w, s);
	return proto_finish(&w);
}

/* LIST: CURSOR (default 1) and LIMIT (default and most 1024), both
 * optional. The response has a SLOT per live session from the cursor on
 * and the next CURSOR, 0 once the table has been walked. */
static long
list(const struct ctl_env *env, const struct proto_hdr *h, const uint8_t *attrs, size_t alen,
     uint8_t *out, size_t cap)
{
	uint32_t cursor = 1, limit = 1024, cap_slots = sessions_capacity(env->ss), n = 0, slot;
	struct proto_iter it;
	struct proto_attr_view a;
	struct proto_writer w;
	int r, seen_cursor = 0, seen_limit = 0;

	proto_iter_init(&it, attrs, alen);
	while ((r = proto_next(&it, &a)) == 1) {
		if (a.type == PROTO_A_CURSOR && a.len == 4 && !seen_cursor++) {
			cursor = proto_rd32(a.val);
		} else if (a.type == PROTO_A_LIMIT && a.len == 4 && !seen_limit++ &&
			   proto_rd32(a.val) >= 1 && proto_rd32(a.val) <= 1024) {
			limit = proto_rd32(a.val);
		} else {
			return error_reply(out, cap, h->type, h->request_id, PROTO_ST_BAD_ATTRIBUTE,
					   a.type,
					   "LIST takes CURSOR (u32) and LIMIT (u32, 1..1024), each "
					   "at most once");
		}
	}
	if (r < 0)
		return error_reply(out, cap, h->type, h->request_id, PROTO_ST_BAD_MESSAGE, 0,
				   "LIST: attribute layout broken");
	if (cursor == 0)
		cursor = 1;
	proto_begin(&w, out, cap, h->type, PROTO_F_RESPONSE, h->request_id, PROTO_ST_OK);
	for (slot = cursor; slot <= cap_slots && n < limit; slot++)
		if (sessions_get(env->ss, slot) != NULL) {
			proto_put_u32(&w, PROTO_A_SLOT, slot);
			n++;
		}
	proto_put_u32(&w, PROTO_A_CURSOR, slot > cap_slots ? 0 : slot);
	return proto_finish(&w);
}

static long
stats(const struct ctl_env *env, const struct proto_hdr *h, const uint8_t *attrs, size_t alen,
      uint8_t *out, size_t cap)
{
	struct proto_writer w;
	long reply = 0;
	uint32_t slot;

	if (alen != 0) {
		slot = one_slot(h, attrs, alen, out, cap, &reply);
		if (reply != 0)
			return reply;
		return get(env, h, slot, out, cap);
	}
	proto_begin(&w, out, cap, h->type, PROTO_F_RESPONSE, h->request_id, PROTO_ST_OK);
	ctl_put_counter(&w, "sessions", sessions_count(env->ss));
	ctl_put_counter(&w, "sessions_max", sessions_capacity(env->ss));
	if (env->stats != NULL)
		env->stats(env->stats_arg, &w);
	return proto_finish(&w);
}

static long
subscribe(struct ctl_conn *c, const struct proto_hdr *h, const uint8_t *attrs, size_t alen,
	  uint8_t *out, size_t cap)
{
	struct proto_iter it;
	struct proto_attr_view a;
	struct proto_writer w;
	char t[96];
	uint32_t mask;

	proto_iter_init(&it, attrs, alen);
	if (proto_next(&it, &a) != 1 || a.type != PROTO_A_EVENT_MASK || a.len != 4 ||
	    proto_next(&it, &a) != 0)
		return error_reply(out, cap, h->type, h->request_id, PROTO_ST_BAD_ATTRIBUTE,
				   PROTO_A_EVENT_MASK,
				   "SUBSCRIBE takes exactly one EVENT_MASK (u32)");
	mask = proto_rd32(a.val);
	if (mask & ~CTL_EVENTS_ALL) {
		snprintf(t, sizeof(t), "EVENT_MASK 0x%x: known events are 0x%x", mask,
			 CTL_EVENTS_ALL);
		return error_reply(out, cap, h->type, h->request_id, PROTO_ST_BAD_ATTRIBUTE,
				   PROTO_A_EVENT_MASK, t);
	}
	c->event_mask = mask;
	proto_begin(&w, out, cap, h->type, PROTO_F_RESPONSE, h->request_id, PROTO_ST_OK);
	return proto_finish(&w);
}

long
ctl_dispatch(struct ctl_conn *c, const struct ctl_env *env, const uint8_t *msg, size_t len,
	     uint8_t *out, size_t cap, int *close_after)
{
	struct sessions *ss = env->ss;
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
		/* what proto_hdr_parse found stands: the server passes only the
		 * header of a message whose header is broken */
		if (err[0] == '\0' && h.length > len)
			snprintf(err, sizeof(err), "header: length %u, the message has %zu bytes",
				 h.length, len);
		else if (err[0] == '\0')
			snprintf(err, sizeof(err), "header: RESPONSE flag set in a request");
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
	case PROTO_MSG_SESSION_GET:
		slot = one_slot(&h, attrs, alen, out, cap, &reply);
		return reply != 0 ? reply : get(env, &h, slot, out, cap);
	case PROTO_MSG_SESSION_LIST: return list(env, &h, attrs, alen, out, cap);
	case PROTO_MSG_STATS: return stats(env, &h, attrs, alen, out, cap);
	case PROTO_MSG_SUBSCRIBE: return subscribe(c, &h, attrs, alen, out, cap);
	default:
		snprintf(err, sizeof(err), "message type 0x%02x is not a request this server knows",
			 h.type);
		return error_reply(out, cap, h.type, h.request_id, PROTO_ST_UNKNOWN_TYPE, 0, err);
	}
}
