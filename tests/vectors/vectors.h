/* vectors.h: what the known-answer tests in tests/vectors/ share.
 *
 * - The reader for the vector text files of shared/vectors/ (kept outside
 *   the repository): finding the directory ($SRTPFWD_VECTORS,
 *   ../shared/vectors, or beside this file's path), parsing "name hex" and
 *   "counter keystream" lines, strict hex decoding.
 * - same_bytes() and CHECK_BYTES / CHECK_BYTES_LEN: byte comparisons that
 *   print want and got, since a failed known answer is only actionable with
 *   the exact bytes in the log.
 * - kat_mgr() and KAT_TEST_MAIN(): an ipsec-mb manager made on first use
 *   and freed after the tests, for tests that need no whole worker.
 */
#ifndef SRTPFWD_TEST_VECTORS_H
#define SRTPFWD_TEST_VECTORS_H

#include <ctype.h>
#include <errno.h>

#include "../test.h"

#include "dataplane/crypto.h"

/* ---- the vector file ---- */

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
static inline int
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

static inline int
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

static inline FILE *
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
static inline FILE *
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
static inline int
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

static inline const struct vec_field *
vec_get(const struct vec_file *v, const char *name)
{
	for (unsigned int k = 0; k < v->n_fields; k++)
		if (strcmp(v->f[k].name, name) == 0)
			return &v->f[k];
	fprintf(stderr, "%s: no field '%s'\n", v->path, name);
	return NULL;
}

/* ---- byte comparisons ---- */

static inline void
hex_print(const char *label, const uint8_t *p, size_t n)
{
	fprintf(stderr, "    %s ", label);
	for (size_t k = 0; k < n; k++)
		fprintf(stderr, "%02x", p[k]);
	fprintf(stderr, "\n");
}

/* Equal lengths and bytes; otherwise both byte strings go to the log. */
static inline int
same_bytes(const char *what, const uint8_t *got, size_t got_len, const uint8_t *want,
	   size_t want_len)
{
	if (got_len == want_len && memcmp(got, want, want_len) == 0)
		return 1;
	if (got_len == want_len)
		fprintf(stderr, "  %s differs (%zu bytes):\n", what, want_len);
	else
		fprintf(stderr, "  %s differs (got %zu bytes, want %zu):\n", what, got_len,
			want_len);
	hex_print("want", want, want_len);
	hex_print("got ", got, got_len);
	return 0;
}

/* @p n bytes at @p got and at @p want. */
#define CHECK_BYTES(what, got, want, n) CHECK(same_bytes(what, got, (size_t)(n), want, (size_t)(n)))

/* The same length, and then the same bytes. */
#define CHECK_BYTES_LEN(what, got, got_len, want, want_len)                                        \
	CHECK(same_bytes(what, got, (size_t)(got_len), want, (size_t)(want_len)))

/* ---- fixture: an ipsec-mb manager ---- */

static struct crypto_worker kat_cw; /* only its manager is used */

static inline IMB_MGR *
kat_mgr(void)
{
	if (kat_cw.mgr == NULL && crypto_worker_init(&kat_cw) != 0) {
		fprintf(stderr, "crypto_worker_init failed\n");
		exit(2);
	}
	return kat_cw.mgr;
}

/* main(): every TEST, then the manager freed if one was made. */
#define KAT_TEST_MAIN()                                                                            \
	int main(void)                                                                             \
	{                                                                                          \
		int bad = test_run_all();                                                          \
                                                                                                   \
		if (kat_cw.mgr != NULL)                                                            \
			crypto_worker_fini(&kat_cw);                                               \
		return bad;                                                                        \
	}

#endif
