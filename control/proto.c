/* proto.c: framing and attributes of the control protocol (see proto.h). */
#include <stdio.h>
#include <string.h>

#include "proto.h"

const char *
proto_msg_name(unsigned int type)
{
	switch (type) {
#define X(name, value, text)                                                                       \
	case value: return #name;
		FOREACH_MSG(X)
#undef X
	}
	return "?";
}

const char *
proto_status_name(unsigned int status)
{
	switch (status) {
#define X(name, value, text)                                                                       \
	case value: return #name;
		FOREACH_STATUS(X)
#undef X
	}
	return "?";
}

const char *
proto_attr_name(unsigned int type)
{
	switch (type) {
#define X(name, value, text)                                                                       \
	case value: return #name;
		FOREACH_ATTR(X)
#undef X
	}
	return "?";
}

int
proto_hdr_parse(const uint8_t *buf, size_t len, struct proto_hdr *h, char *err, size_t err_len)
{
	if (len < PROTO_HDR_LEN) {
		snprintf(err, err_len, "header: %zu bytes, need %d", len, PROTO_HDR_LEN);
		return -1;
	}
	h->version = buf[0];
	h->type = buf[1];
	h->flags = proto_rd16(buf + 2);
	h->length = proto_rd32(buf + 4);
	h->request_id = proto_rd32(buf + 8);
	h->status = proto_rd16(buf + 12);
	h->reserved = proto_rd16(buf + 14);
	if (h->version != PROTO_VERSION) {
		snprintf(err, err_len, "header: version %u, this server speaks %d", h->version,
			 PROTO_VERSION);
		return -1;
	}
	if (h->length < PROTO_HDR_LEN || h->length > PROTO_MSG_MAX) {
		snprintf(err, err_len, "header: length %u, need %d..%d", h->length, PROTO_HDR_LEN,
			 PROTO_MSG_MAX);
		return -1;
	}
	if (h->length % 4 != 0) {
		snprintf(err, err_len, "header: length %u is not a multiple of 4", h->length);
		return -1;
	}
	if (h->flags & ~PROTO_F_RESPONSE) {
		snprintf(err, err_len, "header: unknown flags 0x%04x", h->flags);
		return -1;
	}
	if (h->reserved != 0) {
		snprintf(err, err_len, "header: reserved field 0x%04x, must be 0", h->reserved);
		return -1;
	}
	return 0;
}

/* ---- writer ---- */

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

void
proto_begin(struct proto_writer *w, uint8_t *buf, size_t cap, uint8_t type, uint16_t flags,
	    uint32_t request_id, uint16_t status)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap < PROTO_MSG_MAX ? cap : PROTO_MSG_MAX;
	if (w->cap < PROTO_HDR_LEN) {
		w->failed = 1;
		return;
	}
	buf[0] = PROTO_VERSION;
	buf[1] = type;
	wr16(buf + 2, flags);
	wr32(buf + 4, 0);
	wr32(buf + 8, request_id);
	wr16(buf + 12, status);
	wr16(buf + 14, 0);
	w->len = PROTO_HDR_LEN;
}

static size_t
padded(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

void
proto_put(struct proto_writer *w, uint16_t attr, const void *val, size_t len)
{
	size_t total = 4 + padded(len);

	if (w->failed || len > UINT16_MAX || w->len + total > w->cap) {
		w->failed = 1;
		return;
	}
	wr16(w->buf + w->len, attr);
	wr16(w->buf + w->len + 2, (uint16_t)len);
	if (len > 0)
		memcpy(w->buf + w->len + 4, val, len);
	memset(w->buf + w->len + 4 + len, 0, padded(len) - len);
	w->len += total;
}

void
proto_put_u8(struct proto_writer *w, uint16_t attr, uint8_t v)
{
	proto_put(w, attr, &v, 1);
}

void
proto_put_u16(struct proto_writer *w, uint16_t attr, uint16_t v)
{
	uint8_t b[2];

	wr16(b, v);
	proto_put(w, attr, b, 2);
}

void
proto_put_u32(struct proto_writer *w, uint16_t attr, uint32_t v)
{
	uint8_t b[4];

	wr32(b, v);
	proto_put(w, attr, b, 4);
}

void
proto_put_u64(struct proto_writer *w, uint16_t attr, uint64_t v)
{
	uint8_t b[8];

	wr32(b, (uint32_t)(v >> 32));
	wr32(b + 4, (uint32_t)v);
	proto_put(w, attr, b, 8);
}

void
proto_put_str(struct proto_writer *w, uint16_t attr, const char *s)
{
	proto_put(w, attr, s, strlen(s));
}

void
proto_nest_begin(struct proto_writer *w, uint16_t attr)
{
	if (w->failed || w->depth >= PROTO_NEST_MAX || w->len + 4 > w->cap) {
		w->failed = 1;
		return;
	}
	w->nest[w->depth++] = w->len;
	wr16(w->buf + w->len, attr);
	wr16(w->buf + w->len + 2, 0);
	w->len += 4;
}

void
proto_nest_end(struct proto_writer *w)
{
	size_t start, vlen;

	if (w->failed || w->depth == 0) {
		w->failed = 1;
		return;
	}
	start = w->nest[--w->depth];
	vlen = w->len - start - 4; /* nested attributes are padded already */
	if (vlen > UINT16_MAX) {
		w->failed = 1;
		return;
	}
	wr16(w->buf + start + 2, (uint16_t)vlen);
}

long
proto_finish(struct proto_writer *w)
{
	if (w->failed || w->depth != 0)
		return -1;
	wr32(w->buf + 4, (uint32_t)w->len);
	return (long)w->len;
}

/* ---- reader ---- */

int
proto_next(struct proto_iter *it, struct proto_attr_view *a)
{
	size_t total;

	if (it->left == 0)
		return 0;
	if (it->left < 4)
		return -1;
	a->type = proto_rd16(it->p);
	a->len = proto_rd16(it->p + 2);
	a->val = it->p + 4;
	total = 4 + padded(a->len);
	if (total > it->left)
		return -1;
	for (size_t i = 4 + a->len; i < total; i++)
		if (it->p[i] != 0)
			return -1;
	it->p += total;
	it->left -= total;
	return 1;
}
