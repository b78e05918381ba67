/* test_aes_cm.c: RFC 3711 Appendix B.2 AES-CM keystream, known answers.
 *
 * The vectors are read at run time from shared/vectors/rfc3711-aes-cm.txt (a
 * copy of the RFC's numbers kept outside the repository), so this file holds
 * no expected bytes of its own. A missing file is a failure, never a skip.
 * crypto_aes_cm_keystream() is the PRF of key derivation and the same
 * AES-CTR the dataplane runs, so these blocks pin both.
 */
#include <ctype.h>
#include <errno.h>

#include "../test.h"

#include "dataplane/crypto.h"

/* ---- the vector file (same reader as test_kdf.c) ---- */

#define VEC_FIELDS 16
#define VEC_ROWS 16
#define VEC_MAX 128
#define VEC_PATH 4096

struct vec_field {
	char name[32];
	uint8_t val[VEC_MAX];
	size_t len;
};

/* "counter  keystream" lines: two 16-byte hex values and no name. */
struct vec_row {
	uint8_t a[16], b[16];
};

struct vec_file {
	char path[VEC_PATH];
	unsigned int n_fields, n_rows;
	struct vec_field f[VEC_FIELDS];
	struct vec_row row[VEC_ROWS];
};

/* Strict hex: an odd digit count or any other character is an error, so a
 * damaged vector file fails loudly instead of yielding a shorter value. */
static int
unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0, len = strlen(s);

	if (len == 0 || len % 2 != 0 || len / 2 > max)
		return -1;
	for (size_t i = 0; i < len; i += 2) {
		unsigned int v;
		char two[3] = {s[i], s[i + 1], 0};

		if (!isxdigit((unsigned char)s[i]) || !isxdigit((unsigned char)s[i + 1]))
			return -1;
		if (sscanf(two, "%2x", &v) != 1)
			return -1;
		out[n++] = (uint8_t)v;
	}
	return (int)n;
}

static int
all_hex(const char *s, size_t want_digits)
{
	size_t n = strlen(s);

	if (n != want_digits)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static FILE *
try_open(const char *dir, const char *name, char *path)
{
	FILE *f;
	int n = snprintf(path, VEC_PATH, "%s/%s", dir, name);

	if (n < 0 || n >= VEC_PATH) {
		fprintf(stderr, "  path too long: %s/%s\n", dir, name);
		return NULL;
	}
	f = fopen(path, "r");
	if (f == NULL)
		fprintf(stderr, "  tried %s: %s\n", path, strerror(errno));
	return f;
}

/* $SRTPFWD_VECTORS if set (meson test sets it); otherwise shared/ beside
 * the repository, seen from the working directory (run from the repo root)
 * or from this source file's path as the compiler saw it (run from the
 * build directory). */
static FILE *
vectors_open(const char *name, char *path)
{
	const char *env = getenv("SRTPFWD_VECTORS");
	char dir[VEC_PATH];
	const char *slash;
	FILE *f;

	if (env != NULL && env[0] != '\0')
		return try_open(env, name, path);
	f = try_open("../shared/vectors", name, path);
	if (f != NULL)
		return f;
	slash = strrchr(__FILE__, '/');
	snprintf(dir, sizeof(dir), "%.*s/../../../shared/vectors",
		 slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".");
	return try_open(dir, name, path);
}

/* @return 0, or -1 with the reason printed. */
static int
vectors_load(const char *name, struct vec_file *v)
{
	char line[1024];
	unsigned int lineno = 0;
	FILE *f;

	memset(v, 0, sizeof(*v));
	f = vectors_open(name, v->path);
	if (f == NULL) {
		fprintf(stderr,
			"cannot find the vector file %s: set SRTPFWD_VECTORS to the "
			"directory holding it (shared/vectors)\n",
			name);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char a[256], b[512];
		int got;

		lineno++;
		got = sscanf(line, " %255s %511s", a, b);
		if (got <= 0 || a[0] == '#')
			continue;
		if (got != 2)
			goto bad;
		if (all_hex(a, 32) && all_hex(b, 32)) {
			struct vec_row *r = &v->row[v->n_rows];

			if (v->n_rows == VEC_ROWS || unhex(a, r->a, 16) != 16 ||
			    unhex(b, r->b, 16) != 16)
				goto bad;
			v->n_rows++;
			continue;
		}
		struct vec_field *fl = &v->f[v->n_fields];
		int n;

		if (v->n_fields == VEC_FIELDS || strlen(a) >= sizeof(fl->name))
			goto bad;
		n = unhex(b, fl->val, sizeof(fl->val));
		if (n < 0)
			goto bad;
		snprintf(fl->name, sizeof(fl->name), "%s", a);
		fl->len = (size_t)n;
		v->n_fields++;
	}
	fclose(f);
	return 0;
bad:
	fprintf(stderr, "%s:%u: cannot parse: %s", v->path, lineno, line);
	fclose(f);
	return -1;
}

static const struct vec_field *
vec_get(const struct vec_file *v, const char *name)
{
	for (unsigned int k = 0; k < v->n_fields; k++)
		if (strcmp(v->f[k].name, name) == 0)
			return &v->f[k];
	fprintf(stderr, "%s: no field '%s'\n", v->path, name);
	return NULL;
}

static void
hex_print(const char *label, const uint8_t *p, size_t n)
{
	fprintf(stderr, "    %s ", label);
	for (size_t k = 0; k < n; k++)
		fprintf(stderr, "%02x", p[k]);
	fprintf(stderr, "\n");
}

/* memcmp that shows both byte strings when they differ: a KAT failure is
 * only actionable with the exact bytes in the log. */
static int
same_bytes(const char *what, const uint8_t *got, const uint8_t *want, size_t n)
{
	if (memcmp(got, want, n) == 0)
		return 1;
	fprintf(stderr, "  %s differs (%zu bytes):\n", what, n);
	hex_print("want", want, n);
	hex_print("got ", got, n);
	return 0;
}

#define CHECK_BYTES(what, got, want, n) CHECK(same_bytes(what, got, want, n))

/* ---- fixtures ---- */

static struct crypto_worker cw; /* only its manager is used */

static IMB_MGR *
mgr(void)
{
	if (cw.mgr == NULL && crypto_worker_init(&cw) != 0) {
		fprintf(stderr, "crypto_worker_init failed\n");
		exit(2);
	}
	return cw.mgr;
}

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

		crypto_aes_cm_keystream(mgr(), key->val, (unsigned)key->len, v->row[r].a, out,
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
	crypto_aes_cm_keystream(mgr(), key->val, (unsigned)key->len, v->row[0].a, ks,
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
	crypto_aes_cm_keystream(mgr(), key->val, (unsigned)key->len, v->row[0].a, whole,
				sizeof(whole));
	CHECK_BYTES("first block of a 64-byte keystream", whole, v->row[0].b, 16);
	for (unsigned int len = 1; len < sizeof(part); len++) {
		memset(part, 0xa5, sizeof(part));
		crypto_aes_cm_keystream(mgr(), key->val, (unsigned)key->len, v->row[0].a, part,
					len);
		CHECK(memcmp(part, whole, len) == 0);
		CHECK_EQ(part[len], 0xa5);
	}
}

int
main(void)
{
	int bad = test_run_all();

	if (cw.mgr != NULL)
		crypto_worker_fini(&cw);
	return bad;
}
