/* proto_session.c: requests -> sessions API parameters (see proto_session.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proto_session.h"

int
proto_suite(unsigned int id)
{
	switch (id) {
#define X(name, value)                                                                             \
	case value: return SUITE_##name;
		FOREACH_SUITE_ID(X)
#undef X
	}
	return -1;
}

static int fail(struct proto_error *e, uint16_t status, uint16_t attr, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
fail(struct proto_error *e, uint16_t status, uint16_t attr, const char *fmt, ...)
{
	va_list ap;

	e->status = status;
	e->attr = attr;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
	return -1;
}

/* An attribute's value must be exactly @p n bytes. */
static int
want_len(const struct proto_attr_view *a, unsigned int n, const char *where, struct proto_error *e)
{
	if (a->len == n)
		return 0;
	return fail(e, PROTO_ST_BAD_ATTRIBUTE, a->type, "%s%s: %u bytes, need %u", where,
		    proto_attr_name(a->type), a->len, n);
}

/* Seen-once bookkeeping for a scope (attribute types are < 0x100). */
struct seen {
	uint8_t b[32];
};

static int
once(struct seen *s, const struct proto_attr_view *a, const char *where, struct proto_error *e)
{
	unsigned int t = a->type & 0xff;

	if (a->type > 0xff) /* no such attribute: the caller's switch says so */
		return 0;
	if (s->b[t / 8] & (1u << (t % 8)))
		return fail(e, PROTO_ST_BAD_ATTRIBUTE, a->type, "%s%s given twice", where,
			    proto_attr_name(a->type));
	s->b[t / 8] |= (uint8_t)(1u << (t % 8));
	return 0;
}

static int
has(const struct seen *s, uint16_t type)
{
	return (s->b[(type & 0xff) / 8] >> ((type & 0xff) % 8)) & 1;
}

static int
broken(struct proto_error *e, const char *where)
{
	return fail(e, PROTO_ST_BAD_MESSAGE, 0,
		    "%sattribute layout broken (a length runs past "
		    "its scope, or padding is not zero)",
		    where);
}

/* A KEY_IN / KEY_OUT. Lengths are checked against the suite; the error
 * names lengths, never bytes. */
static int
decode_key(const struct proto_attr_view *k, struct dir_keys *d, const char *where,
	   struct proto_error *e)
{
	struct proto_iter it;
	struct proto_attr_view a;
	struct seen s;
	const struct suite_info *si;
	int r, suite = -1;

	memset(&s, 0, sizeof(s));
	memset(d, 0, sizeof(*d));
	proto_iter_init(&it, k->val, k->len);
	while ((r = proto_next(&it, &a)) == 1) {
		if (once(&s, &a, where, e) != 0)
			return -1;
		switch (a.type) {
		case PROTO_A_SUITE:
			if (want_len(&a, 1, where, e) != 0)
				return -1;
			suite = proto_suite(a.val[0]);
			if (suite < 0)
				return fail(e, PROTO_ST_BAD_ATTRIBUTE, a.type,
					    "%sSUITE %u unknown (1..7: docs/protocol.md)", where,
					    a.val[0]);
			break;
		case PROTO_A_MASTER_KEY:
			if (a.len > SRTP_KEY_MAX)
				return fail(e, PROTO_ST_BAD_ATTRIBUTE, a.type,
					    "%sMASTER_KEY: %u bytes, at most %d", where, a.len,
					    SRTP_KEY_MAX);
			memcpy(d->key, a.val, a.len);
			d->key_len = (uint8_t)a.len;
			break;
		case PROTO_A_MASTER_SALT:
			if (a.len > SRTP_SALT_MAX)
				return fail(e, PROTO_ST_BAD_ATTRIBUTE, a.type,
					    "%sMASTER_SALT: %u bytes, at most %d", where, a.len,
					    SRTP_SALT_MAX);
			memcpy(d->salt, a.val, a.len);
			d->salt_len = (uint8_t)a.len;
			break;
		case PROTO_A_MKI:
			if (a.len == 0 || a.len > SRTP_MKI_MAX)
				return fail(e, PROTO_ST_BAD_ATTRIBUTE, a.type,
					    "%sMKI: %u bytes, need 1..%d", where, a.len,
					    SRTP_MKI_MAX);
			memcpy(d->mki, a.val, a.len);
			d->mki_len = (uint8_t)a.len;
			break;
		default:
			return fail(e, PROTO_ST_BAD_ATTRIBUTE, a.type,
				    "%sattribute 0x%04x (%s) does not belong in a key", where,
				    a.type, proto_attr_name(a.type));
		}
	}
	if (r < 0)
		return broken(e, where);
	if (suite < 0 || !has(&s, PROTO_A_MASTER_KEY) || !has(&s, PROTO_A_MASTER_SALT))
		return fail(e, PROTO_ST_BAD_ATTRIBUTE, k->type,
			    "%sa key needs SUITE, MASTER_KEY and MASTER_SALT", where);
	si = &suites[suite];
	if (d->key_len != si->key_len || d->salt_len != si->salt_len)
		return fail(e, PROTO_ST_BAD_ATTRIBUTE,
			    d->key_len != si->key_len ? PROTO_A_MASTER_KEY : PROTO_A_MASTER_SALT,
			    "%s%s needs a %u-byte key and a %u-byte salt, got %u and %u", where,
			    si->name, si->key_len, si->salt_len, d->key_len, d->salt_len);
	d->present = 1;
	d->suite = (uint8_t)suite;
	return 0;
}

/* The part of a LEG shared by CREATE and UPDATE. @p create: every field
 * of a new leg; else only what an update may change. */
static int
decode_leg(const struct proto_attr_view *l, int create, unsigned int *index, struct leg_params *p,
	   struct leg_update *u, int *end_overlap, struct proto_error *e)
{
	struct proto_iter it;
	struct proto_attr_view a;
	struct seen s;
	char where[32] = "leg: ";
	const uint8_t *addr = NULL;
	unsigned int addr_len = 0, port = 0;
	uint32_t flags = 0;
	int r;

	memset(&s, 0, sizeof(s));
	*index = 2;
	/* LEG_INDEX first if it is there, so later errors can name the leg. */
	proto_iter_init(&it, l->val, l->len);
	while ((r = proto_next(&it, &a)) == 1)
		if (a.type == PROTO_A_LEG_INDEX && a.len == 1 && a.val[0] < 2) {
			*index = a.val[0];
			snprintf(where, sizeof(where), "leg %u: ", *index);
		}
	if (r < 0)
		return broken(e, "leg: ");
	proto_iter_init(&it, l->val, l->len);
	while ((r = proto_next(&it, &a)) == 1) {
		if (once(&s, &a, where, e) != 0)
			return -1;
		switch (a.type) {
		case PROTO_A_LEG_INDEX:
			if (want_len(&a, 1, where, e) != 0)
				return -1;
			if (a.val[0] > 1)
				return fail(e, PROTO_ST_BAD_ATTRIBUTE, a.type,
					    "leg: LEG_INDEX %u, need 0 or 1", a.val[0]);
			break;
		case PROTO_A_LOCAL_ADDR:
		case PROTO_A_LOCAL_PORT:
		case PROTO_A_LEG_FLAGS:
		case PROTO_A_DSCP:
			if (!create)
				return fail(e, PROTO_ST_BAD_ATTRIBUTE, a.type,
					    "%s%s cannot change after create", where,
					    proto_attr_name(a.type));
			if (a.type == PROTO_A_LOCAL_ADDR) {
				if (want_len(&a, 1, where, e) != 0)
					return -1;
				p->local_addr = a.val[0];
			} else if (a.type == PROTO_A_LOCAL_PORT) {
				if (want_len(&a, 2, where, e) != 0)
					return -1;
				p->local_port = proto_rd16(a.val);
				if (p->local_port == 0 || (p->local_port & 1))
					return fail(e, PROTO_ST_BAD_ATTRIBUTE, a.type,
						    "%sLOCAL_PORT %u: need an even port (RTP; "
						    "RTCP is the odd one above it)",
						    where, p->local_port);
			} else if (a.type == PROTO_A_LEG_FLAGS) {
				if (want_len(&a, 4, where, e) != 0)
					return -1;
				flags = proto_rd32(a.val);
				if (flags & ~(uint32_t)PROTO_LEG_ALL)
					return fail(e, PROTO_ST_BAD_ATTRIBUTE, a.type,
						    "%sLEG_FLAGS 0x%x: unknown bits 0x%x", where,
						    flags, flags & ~(uint32_t)PROTO_LEG_ALL);
			} else {
				if (want_len(&a, 1, where, e) != 0)
					return -1;
				if (a.val[0] > 63)
					return fail(e, PROTO_ST_BAD_ATTRIBUTE, a.type,
						    "%sDSCP %u, need 0..63", where, a.val[0]);
				p->dscp = a.val[0];
			}
			break;
		case PROTO_A_REMOTE_ADDR:
			if (a.len != 4 && a.len != 16)
				return fail(e, PROTO_ST_BAD_ATTRIBUTE, a.type,
					    "%sREMOTE_ADDR: %u bytes, need 4 (IPv4) or 16 (IPv6)",
					    where, a.len);
			addr = a.val;
			addr_len = a.len;
			break;
		case PROTO_A_REMOTE_PORT:
			if (want_len(&a, 2, where, e) != 0)
				return -1;
			port = proto_rd16(a.val);
			break;
		case PROTO_A_KEY_IN:
		case PROTO_A_KEY_OUT: {
			char kw[48];
			struct dir_keys *d = a.type == PROTO_A_KEY_IN
						     ? (create ? &p->in : &u->in)
						     : (create ? &p->out : &u->out);

			snprintf(kw, sizeof(kw), "%s%s: ", where, proto_attr_name(a.type));
			if (decode_key(&a, d, kw, e) != 0)
				return -1;
			break;
		}
		case PROTO_A_END_OVERLAP:
			if (create || a.len != 0)
				return fail(e, PROTO_ST_BAD_ATTRIBUTE, a.type,
					    "%sEND_OVERLAP: only in an update, with no value",
					    where);
			*end_overlap = 1;
			break;
		default:
			return fail(e, PROTO_ST_BAD_ATTRIBUTE, a.type,
				    "%sattribute 0x%04x (%s) does not belong in a leg", where,
				    a.type, proto_attr_name(a.type));
		}
	}
	if (r < 0)
		return broken(e, where);
	if (*index > 1)
		return fail(e, PROTO_ST_BAD_ATTRIBUTE, PROTO_A_LEG_INDEX,
			    "leg: LEG_INDEX (0 or 1) is required");
	if (has(&s, PROTO_A_REMOTE_ADDR) != has(&s, PROTO_A_REMOTE_PORT))
		return fail(e, PROTO_ST_BAD_ATTRIBUTE,
			    has(&s, PROTO_A_REMOTE_ADDR) ? PROTO_A_REMOTE_PORT
							 : PROTO_A_REMOTE_ADDR,
			    "%sREMOTE_ADDR and REMOTE_PORT go together", where);
	if (create) {
		if (!has(&s, PROTO_A_LOCAL_ADDR))
			return fail(e, PROTO_ST_BAD_ATTRIBUTE, PROTO_A_LOCAL_ADDR,
				    "%sLOCAL_ADDR is required", where);
		p->flags = (uint8_t)((flags & PROTO_LEG_RTCP_MUX ? LEG_RTCP_MUX : 0) |
				     (flags & PROTO_LEG_LATCH ? LEG_LATCH : 0) |
				     (flags & PROTO_LEG_SRTP ? LEG_SRTP : 0) |
				     (flags & PROTO_LEG_PASSTHROUGH ? LEG_PASSTHROUGH : 0));
		if (addr != NULL) {
			p->remote.ip6 = addr_len == 16;
			memcpy(p->remote.addr, addr, addr_len);
			p->remote.port = (uint16_t)port;
		}
	} else if (addr != NULL) {
		u->has_remote = 1;
		u->remote.ip6 = addr_len == 16;
		memcpy(u->remote.addr, addr, addr_len);
		u->remote.port = (uint16_t)port;
	}
	return 0;
}

int
proto_decode_create(const uint8_t *attrs, size_t len, struct session_params *p,
		    struct proto_error *e)
{
	struct proto_iter it;
	struct proto_attr_view a;
	struct seen s;
	unsigned int n_legs = 0, seen_leg = 0;
	int r;

	memset(p, 0, sizeof(*p));
	memset(&s, 0, sizeof(s));
	proto_iter_init(&it, attrs, len);
	while ((r = proto_next(&it, &a)) == 1) {
		if (a.type == PROTO_A_LEG) {
			struct leg_params lp;
			unsigned int idx;
			int dummy = 0;

			memset(&lp, 0, sizeof(lp));
			if (++n_legs > 2)
				return fail(e, PROTO_ST_BAD_ATTRIBUTE, a.type,
					    "a session has two legs, got a third");
			if (decode_leg(&a, 1, &idx, &lp, NULL, &dummy, e) != 0) {
				explicit_bzero(&lp, sizeof(lp));
				return -1;
			}
			if (seen_leg & (1u << idx)) {
				explicit_bzero(&lp, sizeof(lp));
				return fail(e, PROTO_ST_BAD_ATTRIBUTE, PROTO_A_LEG_INDEX,
					    "leg %u given twice", idx);
			}
			seen_leg |= 1u << idx;
			p->leg[idx] = lp;
			explicit_bzero(&lp, sizeof(lp));
			continue;
		}
		if (once(&s, &a, "", e) != 0)
			return -1;
		switch (a.type) {
		case PROTO_A_SESSION_ID:
			if (want_len(&a, 8, "", e) != 0)
				return -1;
			p->id = proto_rd64(a.val);
			break;
		case PROTO_A_TIMEOUT_MS:
			if (want_len(&a, 4, "", e) != 0)
				return -1;
			p->timeout_ms = proto_rd32(a.val);
			break;
		default:
			return fail(e, PROTO_ST_BAD_ATTRIBUTE, a.type,
				    "attribute 0x%04x (%s) does not belong in SESSION_CREATE",
				    a.type, proto_attr_name(a.type));
		}
	}
	if (r < 0)
		return broken(e, "");
	if (n_legs != 2)
		return fail(e, PROTO_ST_BAD_ATTRIBUTE, PROTO_A_LEG,
			    "a session needs two LEG attributes (leg 0 and leg 1), got %u", n_legs);
	if (!has(&s, PROTO_A_SESSION_ID))
		return fail(e, PROTO_ST_BAD_ATTRIBUTE, PROTO_A_SESSION_ID,
			    "SESSION_ID is required");
	return 0;
}

int
proto_decode_update(const uint8_t *attrs, size_t len, uint32_t *slot, unsigned int *leg,
		    struct leg_update *u, int *end_overlap, struct proto_error *e)
{
	struct proto_iter it;
	struct proto_attr_view a;
	struct seen s;
	int r;

	memset(u, 0, sizeof(*u));
	memset(&s, 0, sizeof(s));
	*end_overlap = 0;
	proto_iter_init(&it, attrs, len);
	while ((r = proto_next(&it, &a)) == 1) {
		if (once(&s, &a, "", e) != 0)
			return -1;
		if (a.type == PROTO_A_SLOT) {
			if (want_len(&a, 4, "", e) != 0)
				return -1;
			*slot = proto_rd32(a.val);
		} else if (a.type == PROTO_A_LEG) {
			if (decode_leg(&a, 0, leg, NULL, u, end_overlap, e) != 0)
				return -1;
		} else {
			return fail(e, PROTO_ST_BAD_ATTRIBUTE, a.type,
				    "attribute 0x%04x (%s) does not belong in SESSION_UPDATE",
				    a.type, proto_attr_name(a.type));
		}
	}
	if (r < 0)
		return broken(e, "");
	if (!has(&s, PROTO_A_SLOT) || !has(&s, PROTO_A_LEG))
		return fail(e, PROTO_ST_BAD_ATTRIBUTE,
			    has(&s, PROTO_A_SLOT) ? PROTO_A_LEG : PROTO_A_SLOT,
			    "SESSION_UPDATE needs SLOT and one LEG");
	return 0;
}
