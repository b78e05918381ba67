/* fuzz_ctl.c: libFuzzer target for the control server's request path as a
 * connection sees it: bytes are cut into messages by their header's
 * length, exactly as ctl_server.c does, and each goes through
 * ctl_dispatch() into a real sessions table (validation, port allocation,
 * key derivation, update, delete, GET, LIST, STATS, SUBSCRIBE).
 *
 * Invariants on every input: no crash or sanitizer report; every response
 * is a well-formed message answering the request's type and id; a refused
 * request changes nothing (the session count, and every live slot's
 * handle, stay as they were); no response carries the key or salt bytes
 * the seeds use (0xa5.. / 0x5a..). The table is emptied after each input
 * so inputs stay independent.
 */
#include <stdlib.h>
#include <string.h>

#include "control/ctl_dispatch.h"
#include "tests/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct worker *W;
static struct sessions *SS;
static uint8_t OUT[PROTO_MSG_MAX];

static void
setup(void)
{
	struct sessions_config cfg;
	char err[256];

	W = engine_worker();
	memset(&cfg, 0, sizeof(cfg));
	cfg.port_min = 20000;
	cfg.port_max = 20063;
	cfg.max_sessions = 8;
	cfg.n_addrs = 2;
	cfg.addrs[0].addr[0] = 192, cfg.addrs[0].addr[2] = 2, cfg.addrs[0].addr[3] = 10;
	cfg.addrs[1].ip6 = 1, cfg.addrs[1].addr[0] = 0x20, cfg.addrs[1].addr[1] = 0x01;
	cfg.addrs[1].addr[15] = 1;
	SS = sessions_new(&cfg, NULL, W->crypto.mgr, err, sizeof(err));
	if (SS == NULL)
		abort();
}

static int
has_key_bytes(const uint8_t *p, size_t n)
{
	static const uint8_t k1[6] = {0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5};
	static const uint8_t k2[6] = {0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a};

	for (size_t i = 0; i + sizeof(k1) <= n; i++)
		if (memcmp(p + i, k1, sizeof(k1)) == 0 || memcmp(p + i, k2, sizeof(k2)) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_env env;
	struct ctl_conn c = {.version = PROTO_VERSION}; /* HELLO done, unless the input says */
	uint32_t cap;

	if (SS == NULL)
		setup();
	env = (struct ctl_env){.ss = SS};
	cap = sessions_capacity(SS);
	while (size >= PROTO_HDR_LEN) {
		uint32_t before = sessions_count(SS), len = proto_rd32(data + 4);
		uint64_t ids[9];
		struct proto_hdr h;
		char err[160];
		int close_after = 0;
		long n;

		for (uint32_t s = 1; s <= cap; s++) {
			const struct session *x = sessions_get(SS, s);

			ids[s] = x != NULL ? x->id ^ (uint64_t)x->leg[0].local_port << 48 : ~0ull;
		}
		if (len < PROTO_HDR_LEN || len > size)
			len = (uint32_t)size;
		n = ctl_dispatch(&c, &env, data, len, OUT, sizeof(OUT), &close_after);
		if (n <= 0 || proto_hdr_parse(OUT, (size_t)n, &h, err, sizeof(err)) != 0 ||
		    h.length != (uint32_t)n || !(h.flags & PROTO_F_RESPONSE))
			abort();
		if (has_key_bytes(OUT, (size_t)n))
			abort();
		if (h.status != PROTO_ST_OK) {
			if (sessions_count(SS) != before)
				abort();
			for (uint32_t s = 1; s <= cap; s++) {
				const struct session *x = sessions_get(SS, s);
				uint64_t id = x != NULL
						      ? x->id ^ (uint64_t)x->leg[0].local_port << 48
						      : ~0ull;

				if (id != ids[s])
					abort();
			}
		}
		if (close_after)
			break;
		data += len;
		size -= len;
	}
	for (uint32_t s = 1; s <= cap; s++)
		sessions_delete(SS, s);
	return 0;
}
