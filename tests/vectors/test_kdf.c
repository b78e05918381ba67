/* test_kdf.c: RFC 3711 Appendix B.3 key derivation, known answers.
 *
 * The vectors are read at run time from shared/vectors/rfc3711-kdf.txt (a
 * copy of the RFC's numbers kept outside the repository), so this file holds
 * no expected bytes of its own that could drift into agreement with kdf.c.
 * A missing file is a failure, never a skip: a KAT that silently does not
 * run is worse than none.
 */
#include <ctype.h>
#include <errno.h>

#include "../test.h"

#include "control/kdf.h"

/* ---- the vector file (same reader as test_aes_cm.c) ---- */

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

static struct vec_file kdf_file;
static int kdf_loaded; /* 0: not tried, 1: ok, -1: failed */

/* The file's fields; NULL (and the test fails) if it is missing or short. */
static const struct vec_file *
kdf_vectors(void)
{
	static const char *const need[] = {"master_key", "master_salt", "cipher_key", "cipher_salt",
					   "auth_key"};

	if (kdf_loaded == 0) {
		kdf_loaded = vectors_load("rfc3711-kdf.txt", &kdf_file) == 0 ? 1 : -1;
		for (unsigned int k = 0; kdf_loaded == 1 && k < sizeof(need) / sizeof(need[0]); k++)
			if (vec_get(&kdf_file, need[k]) == NULL)
				kdf_loaded = -1;
	}
	return kdf_loaded == 1 ? &kdf_file : NULL;
}

/* ---- tests ---- */

/* First, so a missing file is the first thing the log says. */
TEST(vector_file_found)
{
	const struct vec_file *v = kdf_vectors();

	REQUIRE(v != NULL);
	printf("vectors: %s\n", v->path);
	/* RFC 3711 B.3 is AES-128 with a 112-bit salt; anything else means
	 * the file is not the one this test was written for. */
	CHECK_EQ(vec_get(v, "master_key")->len, 16);
	CHECK_EQ(vec_get(v, "master_salt")->len, 14);
	CHECK_EQ(vec_get(v, "cipher_key")->len, 16);
	CHECK_EQ(vec_get(v, "cipher_salt")->len, 14);
	CHECK_EQ(vec_get(v, "auth_key")->len, 94);
}

/* kdf_prf for each label the appendix gives, at the appendix's lengths:
 * the auth key in full (94 bytes), which also exercises a keystream that
 * ends mid-block after several whole blocks. */
TEST(rfc3711_b3_prf)
{
	const struct vec_file *v = kdf_vectors();
	const struct vec_field *mk, *ms, *ck, *cs, *ak;
	uint8_t out[VEC_MAX];

	REQUIRE(v != NULL);
	mk = vec_get(v, "master_key");
	ms = vec_get(v, "master_salt");
	ck = vec_get(v, "cipher_key");
	cs = vec_get(v, "cipher_salt");
	ak = vec_get(v, "auth_key");

	memset(out, 0xa5, sizeof(out));
	kdf_prf(mgr(), mk->val, (unsigned)mk->len, ms->val, (unsigned)ms->len, KDF_RTP_ENC, out,
		(unsigned)ck->len);
	CHECK_BYTES("cipher_key (label 0x00)", out, ck->val, ck->len);

	memset(out, 0xa5, sizeof(out));
	kdf_prf(mgr(), mk->val, (unsigned)mk->len, ms->val, (unsigned)ms->len, KDF_RTP_SALT, out,
		(unsigned)cs->len);
	CHECK_BYTES("cipher_salt (label 0x02)", out, cs->val, cs->len);
	/* Nothing written past the requested length (a 14-byte salt lives
	 * next to other keys in struct session_keys). */
	CHECK_EQ(out[cs->len], 0xa5);

	memset(out, 0xa5, sizeof(out));
	kdf_prf(mgr(), mk->val, (unsigned)mk->len, ms->val, (unsigned)ms->len, KDF_RTP_AUTH, out,
		(unsigned)ak->len);
	CHECK_BYTES("auth_key (label 0x01, 94 bytes)", out, ak->val, ak->len);
	CHECK_EQ(out[ak->len], 0xa5);

	/* A shorter request is a prefix of the longer one: the KDF is a
	 * keystream, and HMAC-SHA1 takes only its first 20 bytes. */
	memset(out, 0, sizeof(out));
	kdf_prf(mgr(), mk->val, (unsigned)mk->len, ms->val, (unsigned)ms->len, KDF_RTP_AUTH, out,
		SRTP_AUTH_KEY_LEN);
	CHECK_BYTES("auth_key, first 20 bytes", out, ak->val, SRTP_AUTH_KEY_LEN);
}

/* kdf_derive, as keys_create calls it, for every suite that uses RFC 3711's
 * AES-128 KDF with a 112-bit salt: they must all give the appendix's SRTP
 * keys (the tag length or NULL cipher changes nothing in derivation). */
TEST(rfc3711_b3_derive)
{
	static const enum suite s128[] = {SUITE_AES_CM_128_HMAC_SHA1_80,
					  SUITE_AES_CM_128_HMAC_SHA1_32, SUITE_NULL_HMAC_SHA1_80};
	const struct vec_file *v = kdf_vectors();
	const struct vec_field *mk, *ms, *ck, *cs, *ak;

	REQUIRE(v != NULL);
	mk = vec_get(v, "master_key");
	ms = vec_get(v, "master_salt");
	ck = vec_get(v, "cipher_key");
	cs = vec_get(v, "cipher_salt");
	ak = vec_get(v, "auth_key");

	for (unsigned int k = 0; k < sizeof(s128) / sizeof(s128[0]); k++) {
		struct session_keys out;
		uint8_t rtcp_key[16], rtcp_salt[14], rtcp_auth[SRTP_AUTH_KEY_LEN];

		REQUIRE(suites[s128[k]].key_len == mk->len && suites[s128[k]].salt_len == ms->len);
		memset(&out, 0xa5, sizeof(out));
		kdf_derive(mgr(), s128[k], mk->val, ms->val, &out);
		printf("  %s\n", suites[s128[k]].name);
		CHECK_BYTES("rtp_key", out.rtp_key, ck->val, ck->len);
		CHECK_BYTES("rtp_salt", out.rtp_salt, cs->val, cs->len);
		CHECK_BYTES("rtp_auth (first 20 of the 94)", out.rtp_auth, ak->val,
			    SRTP_AUTH_KEY_LEN);

		/* B.3 gives no SRTCP keys; they must at least come from
		 * labels 3..5 (RFC 3711 §4.3.2), not reuse the SRTP ones. */
		kdf_prf(mgr(), mk->val, 16, ms->val, 14, KDF_RTCP_ENC, rtcp_key, 16);
		kdf_prf(mgr(), mk->val, 16, ms->val, 14, KDF_RTCP_SALT, rtcp_salt, 14);
		kdf_prf(mgr(), mk->val, 16, ms->val, 14, KDF_RTCP_AUTH, rtcp_auth,
			SRTP_AUTH_KEY_LEN);
		CHECK_BYTES("rtcp_key (label 0x03)", out.rtcp_key, rtcp_key, 16);
		CHECK_BYTES("rtcp_salt (label 0x05)", out.rtcp_salt, rtcp_salt, 14);
		CHECK_BYTES("rtcp_auth (label 0x04)", out.rtcp_auth, rtcp_auth, SRTP_AUTH_KEY_LEN);
		CHECK(memcmp(out.rtcp_key, out.rtp_key, 16) != 0);
		explicit_bzero(&out, sizeof(out));
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
