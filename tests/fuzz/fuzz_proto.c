/* fuzz_proto.c: libFuzzer target for the control protocol's parser and
 * request validator: the header check, the attribute walk, and the
 * SESSION_CREATE / SESSION_UPDATE decoders (control/proto*.c), on any bytes.
 *
 * Invariants on every input: no crash or sanitizer report; a decoder either
 * succeeds with legs and keys inside their bounds, or fails with a status
 * and a NUL-terminated message; a message that parses re-encodes its
 * attributes to the same bytes (the layout is canonical).
 */
#include <stdlib.h>
#include <string.h>

#include "control/proto_session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_params(const struct session_params *p)
{
	for (unsigned int l = 0; l < 2; l++) {
		const struct leg_params *g = &p->leg[l];

		if (g->in.key_len > SRTP_KEY_MAX || g->in.salt_len > SRTP_SALT_MAX ||
		    g->in.mki_len > SRTP_MKI_MAX || g->dscp > 63 ||
		    (g->in.present && g->in.suite >= SUITE_MAX))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_hdr h;
	struct proto_error e;
	struct session_params p;
	struct leg_update u;
	struct proto_iter it;
	struct proto_attr_view a;
	static uint8_t out[PROTO_MSG_MAX];
	struct proto_writer w;
	char err[160];
	const uint8_t *attrs;
	size_t alen;
	uint32_t slot;
	unsigned int leg;
	int end, r;

	if (proto_hdr_parse(data, size, &h, err, sizeof(err)) != 0) {
		if (memchr(err, 0, sizeof(err)) == NULL)
			abort();
		/* still exercise the decoders on the raw bytes */
		attrs = data;
		alen = size;
	} else {
		attrs = data + PROTO_HDR_LEN;
		alen = (h.length < size ? h.length : size) - PROTO_HDR_LEN;
	}
	memset(&e, 0, sizeof(e));
	if (proto_decode_create(attrs, alen, &p, &e) == 0)
		check_params(&p);
	else if (e.status == 0 || memchr(e.text, 0, sizeof(e.text)) == NULL)
		abort();
	if (proto_decode_update(attrs, alen, &slot, &leg, &u, &end, &e) == 0 && leg > 1)
		abort();
	/* canonical layout: walk and re-encode top-level attributes */
	proto_begin(&w, out, sizeof(out), 1, 0, 0, 0);
	proto_iter_init(&it, attrs, alen);
	while ((r = proto_next(&it, &a)) == 1)
		proto_put(&w, a.type, a.val, a.len);
	if (r == 0 && proto_finish(&w) == (long)(PROTO_HDR_LEN + alen) &&
	    memcmp(out + PROTO_HDR_LEN, attrs, alen) != 0)
		abort();
	explicit_bzero(&p, sizeof(p));
	explicit_bzero(&u, sizeof(u));
	return 0;
}
