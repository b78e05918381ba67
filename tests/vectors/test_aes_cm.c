/* test_aes_cm.c: RFC 3711 Appendix B.2 AES-CM keystream, known answers.
 *
 * The vectors are read at run time from shared/vectors/rfc3711-aes-cm.txt (a
 * copy of the RFC's numbers kept outside the repository), so this file holds
 * no expected bytes of its own. A missing file is a failure, never a skip.
 * crypto_aes_cm_keystream() is the PRF of key derivation and the same
 * AES-CTR the dataplane runs, so these blocks pin both.
 */
#include "vectors.h"

#include "dataplane/crypto.h"

/* ---- fixtures ---- */

static struct vec_file cm_file;
static int cm_loaded; /* 0: not tried, 1: ok, -1: failed */

static const struct vec_file *
cm_vectors(void)
{
	static const char *const need[] = {"session_key", "session_salt", "roc", "seq", "ssrc"};

	if (cm_loaded == 0) {
		cm_loaded = vectors_load("rfc3711-aes-cm.txt", &cm_file) == 0 ? 1 : -1;
		for (unsigned int k = 0; cm_loaded == 1 && k < sizeof(need) / sizeof(need[0]); k++)
			if (vec_get(&cm_file, need[k]) == NULL)
				cm_loaded = -1;
		if (cm_loaded == 1 && cm_file.n_rows == 0) {
			fprintf(stderr, "%s: no counter/keystream lines\n", cm_file.path);
			cm_loaded = -1;
		}
	}
	return cm_loaded == 1 ? &cm_file : NULL;
}

static uint64_t
be_read(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int k = 0; k < n; k++)
		v = v << 8 | p[k];
	return v;
}

/* Blocks between the first counter line and counter @p c. The appendix's
 * counters differ only in their low bytes; the high half must match. */
static int
block_offset(const uint8_t *first, const uint8_t *c, uint64_t *off)
{
	uint64_t lo0 = be_read(first + 8, 8), lo = be_read(c + 8, 8);

	if (memcmp(first, c, 8) != 0 || lo < lo0)
		return -1;
	*off = lo - lo0;
	return 0;
}

/* ---- tests ---- */

TEST(vector_file_found)
{
	const struct vec_file *v = cm_vectors();

	REQUIRE(v != NULL);
	printf("vectors: %s (%u counter lines)\n", v->path, v->n_rows);
	CHECK_EQ(vec_get(v, "session_key")->len, 16);
	CHECK_EQ(vec_get(v, "session_salt")->len, 16); /* given "already shifted" */
	CHECK(v->n_rows >= 6);
}

/* RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16). The
 * appendix's first counter is that IV for its ROC, SEQ and SSRC; if it is
 * not, the rows below are keystream for some other packet. */
TEST(rfc3711_b2_first_counter_is_the_iv)
{
	const struct vec_file *v = cm_vectors();
	const struct vec_field *salt, *roc, *seq, *ssrc;
	uint8_t iv[16];
	uint64_t index;
	uint32_t s;

	REQUIRE(v != NULL);
	salt = vec_get(v, "session_salt");
	roc = vec_get(v, "roc");
	seq = vec_get(v, "seq");
	ssrc = vec_get(v, "ssrc");
	REQUIRE(roc->len == 4 && seq->len == 2 && ssrc->len == 4);
	index = be_read(roc->val, 4) << 16 | be_read(seq->val, 2);
	s = (uint32_t)be_read(ssrc->val, 4);
	memcpy(iv, salt->val, 16);
	for (unsigned int b = 0; b < 4; b++)
		iv[4 + b] ^= (uint8_t)(s >> (24 - 8 * b));
	for (unsigned int b = 0; b < 6; b++)
		iv[8 + b] ^= (uint8_t)(index >> (40 - 8 * b));
	CHECK_BYTES("first counter", v->row[0].a, iv, 16);
}

/* Each counter line on its own: AES-CTR started at that counter block must
 * give that keystream block first. */
TEST(rfc3711_b2_each_counter_as_iv)
{
	const struct vec_file *v = cm_vectors();
	const struct vec_field *key;

	REQUIRE(v != NULL);
	key = vec_get(v, "session_key");
	for (unsigned int r = 0; r < v->n_rows; r++) {
		uint8_t out[16];
		char what[64];

		crypto_aes_cm_keystream(kat_mgr(), key->val, (unsigned)key->len, v->row[r].a, out,
					sizeof(out));
		snprintf(what, sizeof(what), "keystream block of counter line %u", r + 1);
		CHECK_BYTES(what, out, v->row[r].b, 16);
	}
}

/* One keystream from the first counter, long enough to reach the last line
 * (0xff02 blocks for the appendix): every line's block must sit at
 * (counter - first counter) * 16. This is what a long payload or the KDF
 * sees, and it crosses the carry from ...FEFF to ...FF00. */
TEST(rfc3711_b2_one_long_keystream)
{
	const struct vec_file *v = cm_vectors();
	const struct vec_field *key;
	uint64_t last = 0, off = 0;
	uint8_t *ks;

	REQUIRE(v != NULL);
	key = vec_get(v, "session_key");
	for (unsigned int r = 0; r < v->n_rows; r++) {
		REQUIRE(block_offset(v->row[0].a, v->row[r].a, &off) == 0);
		if (off > last)
			last = off;
	}
	REQUIRE(last < (1u << 20)); /* 16 MiB at most */
	ks = malloc((last + 1) * 16);
	REQUIRE(ks != NULL);
	crypto_aes_cm_keystream(kat_mgr(), key->val, (unsigned)key->len, v->row[0].a, ks,
				(unsigned)((last + 1) * 16));
	for (unsigned int r = 0; r < v->n_rows; r++) {
		char what[80];

		block_offset(v->row[0].a, v->row[r].a, &off);
		snprintf(what, sizeof(what), "block %#" PRIx64 " of one keystream (line %u)", off,
			 r + 1);
		CHECK_BYTES(what, ks + off * 16, v->row[r].b, 16);
	}
	free(ks);
}

/* Lengths that end mid-block (the KDF asks for 14 and 94 bytes) give a
 * prefix of the whole-block keystream, and nothing is written past len. */
TEST(rfc3711_b2_partial_blocks)
{
	const struct vec_file *v = cm_vectors();
	const struct vec_field *key;
	uint8_t whole[64], part[64];

	REQUIRE(v != NULL);
	key = vec_get(v, "session_key");
	crypto_aes_cm_keystream(kat_mgr(), key->val, (unsigned)key->len, v->row[0].a, whole,
				sizeof(whole));
	CHECK_BYTES("first block of a 64-byte keystream", whole, v->row[0].b, 16);
	for (unsigned int len = 1; len < sizeof(part); len++) {
		memset(part, 0xa5, sizeof(part));
		crypto_aes_cm_keystream(kat_mgr(), key->val, (unsigned)key->len, v->row[0].a, part,
					len);
		CHECK(memcmp(part, whole, len) == 0);
		CHECK_EQ(part[len], 0xa5);
	}
}

KAT_TEST_MAIN()
