/* proto.h: the srtpfwd control protocol, version 1. The single source of
 * truth: docs/protocol.md follows this file field for field.
 *
 * Framing. Every message is a 16-byte header followed by attributes; all
 * integers are big-endian (network order).
 *
 *    0       1       2       3
 *   +-------+-------+---------------+
 *   |version| type  |     flags     |
 *   +-------+-------+---------------+
 *   |        length (whole message) |
 *   +-------------------------------+
 *   |          request id           |
 *   +---------------+---------------+
 *   |    status     |   reserved    |
 *   +---------------+---------------+
 *   | attributes (TLV) ...
 *
 * A request carries an id of the client's choosing; its response has the
 * same type, PROTO_F_RESPONSE set, the same id and a status. Events (types
 * 0x80 and up) are sent by the server to subscribed clients with id 0.
 *
 * Attributes. type (16 bits), length (16 bits, of the value only), value,
 * then zero padding to a multiple of 4 bytes. Nested attributes (a leg, a
 * key) carry attributes as their value. An attribute appears at most once
 * in its scope unless stated; unknown attribute types are an error (so a
 * typo is never silently ignored); a request changes nothing unless every
 * attribute is valid.
 *
 * No part of this file depends on DPDK: the client library uses it too.
 */
#ifndef SRTPFWD_PROTO_H
#define SRTPFWD_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION 1
#define PROTO_HDR_LEN 16
#define PROTO_MSG_MAX 65536 /* a longer message is refused before it is read */
#define PROTO_NEST_MAX 3

/* Header flags. */
#define PROTO_F_RESPONSE 0x0001

/* Message types. Requests and their responses share the type. */
#define FOREACH_MSG(X)                                                                             \
	X(HELLO, 0x01, "version negotiation; must be the first request")                           \
	X(SESSION_CREATE, 0x02, "create a session (two legs)")                                     \
	X(SESSION_UPDATE, 0x03, "update one leg: new remote, new keys, end a re-key overlap")      \
	X(SESSION_DELETE, 0x04, "delete a session; its keys are zeroed")                           \
	X(SESSION_GET, 0x05, "one session: legs, remotes, counters (never keys)")                  \
	X(SESSION_LIST, 0x06, "session handles, a page at a time")                                 \
	X(STATS, 0x07, "counters: global, per port, per worker")                                   \
	X(SUBSCRIBE, 0x08, "choose which events this connection receives")                         \
	X(EV_SESSION_TIMEOUT, 0x81, "event: a session expired for inactivity and was deleted")     \
	X(EV_PEER_LATCHED, 0x82, "event: a leg latched onto a (new) remote")                       \
	X(EV_AUTH_FAILURES, 0x83, "event: a burst of SRTP authentication failures on a leg")       \
	X(EV_KEY_LIFETIME, 0x84, "event: a key is near its packet lifetime")

enum proto_msg {
#define X(name, value, text) PROTO_MSG_##name = value,
	FOREACH_MSG(X)
#undef X
};

#define PROTO_EVENT_FIRST 0x80

/* Response status. Anything but OK carries ERROR_TEXT and, where one
 * attribute is to blame, ERROR_ATTR. */
#define FOREACH_STATUS(X)                                                                          \
	X(OK, 0, "success")                                                                        \
	X(BAD_MESSAGE, 1, "framing: length, version field, reserved bits, attribute layout")       \
	X(VERSION, 2, "no protocol version in common (HELLO)")                                     \
	X(NO_HELLO, 3, "a request before HELLO")                                                   \
	X(UNKNOWN_TYPE, 4, "unknown message type")                                                 \
	X(BAD_ATTRIBUTE, 5, "an attribute is missing, repeated, unknown or has a bad value")       \
	X(NO_SESSION, 6, "no such session")                                                        \
	X(NO_RESOURCES, 7, "no free session slot or next-hop entry")                               \
	X(ADDRESS_IN_USE, 8, "the requested local port is taken, or no port is free")              \
	X(NO_ROUTE, 9, "the remote is off link and its local address has no gateway")              \
	X(BUSY, 10, "too many requests in flight on this connection")                              \
	X(INTERNAL, 11, "the server failed; the request changed nothing")

enum proto_status {
#define X(name, value, text) PROTO_ST_##name = value,
	FOREACH_STATUS(X)
#undef X
};

/* Attribute types. [scope] type: value. Strings are UTF-8 without a NUL.
 * Addresses are 4 bytes (IPv4) or 16 (IPv6): the length says which. */
#define FOREACH_ATTR(X)                                                                            \
	X(VERSION_MIN, 0x0001, "[HELLO] u8: lowest version the client speaks")                     \
	X(VERSION_MAX, 0x0002, "[HELLO] u8: highest version the client speaks")                    \
	X(VERSION, 0x0003, "[HELLO response] u8: the version chosen")                              \
	X(NAME, 0x0004, "[HELLO, both ways] string, 1..64 bytes: client or server name")           \
	X(MSG_MAX, 0x0005, "[HELLO response] u32: largest message the server reads")               \
	X(ERROR_TEXT, 0x0010, "[error responses] string: what was wrong, with context")            \
	X(ERROR_ATTR, 0x0011, "[error responses] u16: the attribute type at fault")                \
	X(SESSION_ID, 0x0020, "[CREATE, GET response, events] u64: the controller's own id")       \
	X(SLOT, 0x0021, "u32: srtpfwd's handle of a session, returned by CREATE")                  \
	X(TIMEOUT_MS, 0x0022, "[CREATE] u32: expire after this long without media; 0 never")       \
	X(LEG, 0x0023, "nested, exactly two in CREATE, one in UPDATE: a leg")                      \
	X(LEG_INDEX, 0x0024, "[LEG] u8: 0 or 1")                                                   \
	X(LOCAL_ADDR, 0x0025, "[LEG] u8: index of a configured local address")                     \
	X(LOCAL_PORT, 0x0026, "[LEG] u16: requested RTP port (even); absent: allocated")           \
	X(REMOTE_ADDR, 0x0027, "[LEG] 4 or 16 bytes: the peer's address")                          \
	X(REMOTE_PORT, 0x0028, "[LEG] u16: the peer's RTP port; 0 with LATCH: learn it")           \
	X(LEG_FLAGS, 0x0029, "[LEG] u32: PROTO_LEG_* bits")                                        \
	X(DSCP, 0x002a, "[LEG] u8: 0..63")                                                         \
	X(KEY_IN, 0x002b, "[LEG] nested: the key the peer sends with (SRTP legs)")                 \
	X(KEY_OUT, 0x002c, "[LEG] nested: the key srtpfwd sends to the peer with")                 \
	X(SUITE, 0x002d, "[KEY] u8: PROTO_SUITE_*")                                                \
	X(MASTER_KEY, 0x002e, "[KEY] 16 or 32 bytes, as the suite says")                           \
	X(MASTER_SALT, 0x002f, "[KEY] 14 or 12 bytes, as the suite says")                          \
	X(MKI, 0x0030, "[KEY] 1..16 bytes: the key's MKI, when the peer sends one")                \
	X(END_OVERLAP, 0x0031, "[UPDATE LEG] no value: stop accepting the previous inbound key")   \
	X(CURSOR, 0x0040, "[LIST] u32: first slot to report; [LIST response] next cursor, 0 done") \
	X(LIMIT, 0x0041, "[LIST] u32: at most this many slots, 1..1024")                           \
	X(EVENT_MASK, 0x0050, "[SUBSCRIBE] u32: 1 << (event type - 0x80) for each event wanted")   \
	X(EVENT_COUNT, 0x0051, "[AUTH_FAILURES, KEY_LIFETIME events] u64: failures, packets left") \
	X(COUNTER, 0x0060, "[GET, STATS responses] nested: one named counter")                     \
	X(COUNTER_NAME, 0x0061, "[COUNTER] string: the counter's name (docs/counters.md)")         \
	X(COUNTER_VALUE, 0x0062, "[COUNTER] u64")

enum proto_attr {
#define X(name, value, text) PROTO_A_##name = value,
	FOREACH_ATTR(X)
#undef X
};

/* LEG_FLAGS bits. */
#define PROTO_LEG_RTCP_MUX 0x1 /* RTCP on the RTP port (RFC 5761); else port + 1 */
#define PROTO_LEG_LATCH 0x2 /* learn the remote from verified media */
#define PROTO_LEG_SRTP 0x4 /* SRTP with KEY_IN and KEY_OUT */
#define PROTO_LEG_PASSTHROUGH 0x8 /* SRTP end to end, no keys here */
#define PROTO_LEG_ALL 0xf

/* SUITE values: the RFC 4568 / RFC 7714 names. */
#define FOREACH_SUITE_ID(X)                                                                        \
	X(AES_CM_128_HMAC_SHA1_80, 1)                                                              \
	X(AES_CM_128_HMAC_SHA1_32, 2)                                                              \
	X(AES_256_CM_HMAC_SHA1_80, 3)                                                              \
	X(AES_256_CM_HMAC_SHA1_32, 4)                                                              \
	X(AEAD_AES_128_GCM, 5)                                                                     \
	X(AEAD_AES_256_GCM, 6)                                                                     \
	X(NULL_HMAC_SHA1_80, 7)

struct proto_hdr {
	uint8_t version;
	uint8_t type;
	uint16_t flags;
	uint32_t length;
	uint32_t request_id;
	uint16_t status;
	uint16_t reserved;
};

/** @return the name of a message type, status or attribute, or "?". */
const char *proto_msg_name(unsigned int type);
const char *proto_status_name(unsigned int status);
const char *proto_attr_name(unsigned int type);

/**
 * Parse and check a header: version field, length within
 * [PROTO_HDR_LEN, PROTO_MSG_MAX], reserved zero, flags known.
 * @return 0, or -1 with @p err set.
 */
int proto_hdr_parse(const uint8_t *buf, size_t len, struct proto_hdr *h, char *err, size_t err_len);

/* ---- building messages ---- */

struct proto_writer {
	uint8_t *buf;
	size_t cap, len;
	size_t nest[PROTO_NEST_MAX]; /* offsets of open nested attributes */
	unsigned int depth;
	int failed; /* ran out of room or nesting: proto_finish says so */
};

void proto_begin(struct proto_writer *w, uint8_t *buf, size_t cap, uint8_t type, uint16_t flags,
		 uint32_t request_id, uint16_t status);
void proto_put(struct proto_writer *w, uint16_t attr, const void *val, size_t len);
void proto_put_u8(struct proto_writer *w, uint16_t attr, uint8_t v);
void proto_put_u16(struct proto_writer *w, uint16_t attr, uint16_t v);
void proto_put_u32(struct proto_writer *w, uint16_t attr, uint32_t v);
void proto_put_u64(struct proto_writer *w, uint16_t attr, uint64_t v);
void proto_put_str(struct proto_writer *w, uint16_t attr, const char *s);
void proto_nest_begin(struct proto_writer *w, uint16_t attr);
void proto_nest_end(struct proto_writer *w);
/** Write the length. @return the message length, or -1 if it did not fit. */
long proto_finish(struct proto_writer *w);

/* ---- reading attributes ---- */

struct proto_attr_view {
	uint16_t type;
	uint16_t len;
	const uint8_t *val;
};

struct proto_iter {
	const uint8_t *p;
	size_t left;
};

static inline void
proto_iter_init(struct proto_iter *it, const uint8_t *attrs, size_t len)
{
	it->p = attrs;
	it->left = len;
}

/**
 * The next attribute. @return 1 with @p a set, 0 at the end, -1 if the
 * layout is broken (a header or value runs past the end, or the padding is
 * not zero).
 */
int proto_next(struct proto_iter *it, struct proto_attr_view *a);

/* Big-endian integers. */
static inline uint16_t
proto_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
proto_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t
proto_rd64(const uint8_t *p)
{
	return (uint64_t)proto_rd32(p) << 32 | proto_rd32(p + 4);
}

#endif
