/* ctl_cli.c: srtpfwd-ctl, the command line of the control protocol
 * (docs/protocol.md) on top of libsrtpfwd-ctl. No DPDK.
 *
 *   srtpfwd-ctl [-s TARGET] [--ca F --cert F --key F [--server-name NAME]]
 *               [--json] [--timeout MS] COMMAND [ARGS...]
 *   srtpfwd-ctl [...] -f FILE      one command per line ('-': stdin)
 *
 * Keys given as arguments are visible to every user (ps, /proc): pass them
 * with -f FILE (mode 0600) or -f - instead. No byte of a key, salt or MKI
 * is ever printed, errors included; the buffers that held one are zeroed.
 *
 * Exit codes: 0 success, 1 the server refused, 2 usage, 3 connection.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock_ms.h"
#include "srtpfwd_ctl.h"

#define PROG "srtpfwd-ctl"
#define DEFAULT_TARGET "/run/srtpfwd/ctl.sock"
#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define EXIT_CONN 3
#define LINE_MAX_LEN 4096
#define ARGS_MAX 64
#define LIST_PAGE 1024
#define EVENTS_KEEPALIVE_MS 500

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [-s TARGET] [--ca FILE --cert FILE --key FILE [--server-name "
		"NAME]]\n"
		"                   [--json] [--timeout MS] COMMAND [ARGS...]\n"
		"       " PROG " [options] -f FILE   (one command per line, '-' = stdin, "
		"'#' comments)\n"
		"TARGET: a unix socket path (default " DEFAULT_TARGET ", or $SRTPFWD_CTL),\n"
		"        or HOST:PORT / [V6]:PORT over TLS 1.3 (needs --ca, --cert, --key)\n"
		"commands:\n"
		"  hello\n"
		"  create id=N [timeout=MS] legL.addr=I legL.remote=IP:PORT [legL.port=P]\n"
		"         [legL.mux] [legL.latch] [legL.dscp=D] [legL.passthrough]\n"
		"         [legL.in=KEY legL.out=KEY]          (L: 0 and 1; keys make a leg SRTP)\n"
		"  update slot=N leg=L [remote=IP:PORT] [in=KEY] [out=KEY] [end-overlap]\n"
		"  delete slot=N\n"
		"  get slot=N\n"
		"  list\n"
		"  stats [slot=N]\n"
		"  events [mask=timeout,latched,auth,key|all] [count=N] [wait=SECONDS]\n"
		"KEY: SUITE:inline:BASE64[|MKI_HEX], BASE64 = key||salt as in SDES a=crypto\n"
		"     (AES_CM_128_HMAC_SHA1_80/_32, AES_256_CM_HMAC_SHA1_80/_32,\n"
		"      AEAD_AES_128_GCM, AEAD_AES_256_GCM, NULL_HMAC_SHA1_80)\n"
		"Keys on the command line are visible to other users (ps): pass them with\n"
		"-f FILE (mode 0600) or -f - (stdin).\n"
		"exit: 0 ok, 1 refused by the server, 2 usage, 3 connection/TLS/timeout\n");
}

/* ---- suites ---- */

enum {
#define X(name, value) SUITE_ID_##name = value,
	FOREACH_SUITE_ID(X)
#undef X
};

struct suite_def {
	const char *name;
	uint8_t id, key_len, salt_len;
};

/* Lengths as in RFC 4568 / RFC 6188 / RFC 7714 (docs/protocol.md). */
static const struct suite_def suite_defs[] = {
	{"AES_CM_128_HMAC_SHA1_80", SUITE_ID_AES_CM_128_HMAC_SHA1_80, 16, 14},
	{"AES_CM_128_HMAC_SHA1_32", SUITE_ID_AES_CM_128_HMAC_SHA1_32, 16, 14},
	{"AES_256_CM_HMAC_SHA1_80", SUITE_ID_AES_256_CM_HMAC_SHA1_80, 32, 14},
	{"AES_256_CM_HMAC_SHA1_32", SUITE_ID_AES_256_CM_HMAC_SHA1_32, 32, 14},
	{"AEAD_AES_128_GCM", SUITE_ID_AEAD_AES_128_GCM, 16, 12},
	{"AEAD_AES_256_GCM", SUITE_ID_AEAD_AES_256_GCM, 32, 12},
	{"NULL_HMAC_SHA1_80", SUITE_ID_NULL_HMAC_SHA1_80, 16, 14},
};

#define X(name, value) +1
_Static_assert(sizeof(suite_defs) / sizeof(suite_defs[0]) == 0 FOREACH_SUITE_ID(X),
	       "a suite of proto.h is missing here");
#undef X

static const char *
suite_name(uint8_t id)
{
	for (size_t i = 0; i < sizeof(suite_defs) / sizeof(suite_defs[0]); i++)
		if (suite_defs[i].id == id)
			return suite_defs[i].name;
	return NULL;
}

/* ---- errors ---- */

/* Usage errors are written here, then printed with the file:line prefix. */
struct perr {
	char text[320];
};

static int fail(struct perr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(struct perr *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- parsing values ---- */

static int
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		base = 16;
	}
	if (*s == '\0' || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, base);
	return errno != 0 || *end != '\0' || *out > max ? -1 : 0;
}

/* IP:PORT or [V6]:PORT. */
static int
parse_endpoint(const char *s, uint8_t *ip6, uint8_t addr[16], uint16_t *port)
{
	char host[64];
	const char *p;
	uint64_t v;

	memset(addr, 0, 16);
	if (s[0] == '[') {
		const char *e = strchr(s, ']');

		if (e == NULL || e[1] != ':' || (size_t)(e - s - 1) >= sizeof(host))
			return -1;
		memcpy(host, s + 1, (size_t)(e - s - 1));
		host[e - s - 1] = '\0';
		p = e + 2;
		if (inet_pton(AF_INET6, host, addr) != 1)
			return -1;
		*ip6 = 1;
	} else {
		const char *e = strrchr(s, ':');

		if (e == NULL || (size_t)(e - s) >= sizeof(host))
			return -1;
		memcpy(host, s, (size_t)(e - s));
		host[e - s] = '\0';
		p = e + 1;
		if (inet_pton(AF_INET, host, addr) != 1)
			return -1;
		*ip6 = 0;
	}
	if (parse_u64(p, 65535, &v) != 0 || v == 0)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static int
b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Standard base64, '=' padding optional. @return the length, or -1 (bad
 * character or length), -2 (longer than @p cap). */
static long
b64_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	size_t len = 0, bits = 0;

	while (n > 0 && s[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value((unsigned char)s[i]);

		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (len == cap)
				return -2;
			out[len++] = (uint8_t)(acc >> bits);
		}
	}
	return (long)len;
}

static int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Does @p s look like a suite name the user typed (and not key bytes
 * pasted in the wrong place)? Only then is it echoed in an error. */
static int
echoable_suite(const char *s, size_t n)
{
	if (n == 0 || n > 24)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/* SUITE:inline:BASE64[|MKI_HEX] -> @p k. Errors name @p arg and lengths,
 * never the key's characters. */
static int
parse_key(const char *arg, const char *v, struct srtpfwd_ctl_key *k, struct perr *e)
{
	const struct suite_def *sd = NULL;
	const char *c1 = strchr(v, ':'), *b64, *bar;
	uint8_t raw[64];
	size_t slen;
	long n;

	memset(k, 0, sizeof(*k));
	slen = c1 != NULL ? (size_t)(c1 - v) : strlen(v);
	for (size_t i = 0; i < sizeof(suite_defs) / sizeof(suite_defs[0]); i++)
		if (strlen(suite_defs[i].name) == slen && strncmp(v, suite_defs[i].name, slen) == 0)
			sd = &suite_defs[i];
	if (sd == NULL) {
		if (echoable_suite(v, slen))
			return fail(e,
				    "%s: unknown suite '%.*s' (expected SUITE:inline:BASE64, SUITE "
				    "one of AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, "
				    "AES_256_CM_HMAC_SHA1_80, AES_256_CM_HMAC_SHA1_32, "
				    "AEAD_AES_128_GCM, AEAD_AES_256_GCM, NULL_HMAC_SHA1_80)",
				    arg, (int)slen, v);
		return fail(e, "%s: expected SUITE:inline:BASE64[|MKI_HEX] (value not shown)", arg);
	}
	if (c1 == NULL || strncmp(c1 + 1, "inline:", 7) != 0)
		return fail(e, "%s: expected %s:inline:BASE64[|MKI_HEX]", arg, sd->name);
	b64 = c1 + 8;
	bar = strchr(b64, '|');
	n = b64_decode(b64, bar != NULL ? (size_t)(bar - b64) : strlen(b64), raw, sizeof(raw));
	if (n == -1) {
		explicit_bzero(raw, sizeof(raw));
		return fail(e, "%s: the inline key is not valid base64", arg);
	}
	if (n != sd->key_len + sd->salt_len) {
		explicit_bzero(raw, sizeof(raw));
		if (n < 0)
			return fail(e,
				    "%s: %s needs %u bytes of key||salt (%u+%u), got more than %zu",
				    arg, sd->name, sd->key_len + sd->salt_len, sd->key_len,
				    sd->salt_len, sizeof(raw));
		return fail(e, "%s: %s needs %u bytes of key||salt (%u+%u), got %ld", arg, sd->name,
			    sd->key_len + sd->salt_len, sd->key_len, sd->salt_len, n);
	}
	k->suite = sd->id;
	k->key_len = sd->key_len;
	k->salt_len = sd->salt_len;
	memcpy(k->key, raw, sd->key_len);
	memcpy(k->salt, raw + sd->key_len, sd->salt_len);
	explicit_bzero(raw, sizeof(raw));
	if (bar != NULL) {
		size_t hl = strlen(bar + 1);

		if (hl == 0 || hl % 2 != 0 || hl / 2 > sizeof(k->mki)) {
			explicit_bzero(k, sizeof(*k));
			return fail(e, "%s: MKI: need 1..%zu bytes in hex (2..%zu hex digits)", arg,
				    sizeof(k->mki), 2 * sizeof(k->mki));
		}
		for (size_t i = 0; i < hl; i += 2) {
			int hi = hex_value((unsigned char)bar[1 + i]);
			int lo = hex_value((unsigned char)bar[2 + i]);

			if (hi < 0 || lo < 0) {
				explicit_bzero(k, sizeof(*k));
				return fail(e, "%s: MKI: not hex digits", arg);
			}
			k->mki[i / 2] = (uint8_t)(hi << 4 | lo);
		}
		k->mki_len = (uint8_t)(hl / 2);
	}
	return 0;
}

/* ---- requests ---- */

enum cmd {
	CMD_HELLO,
	CMD_CREATE,
	CMD_UPDATE,
	CMD_DELETE,
	CMD_GET,
	CMD_LIST,
	CMD_STATS,
	CMD_EVENTS,
};

static const char *const cmd_names[] = {"hello", "create", "update", "delete",
					"get",	 "list",   "stats",  "events"};

struct request {
	enum cmd cmd;
	struct srtpfwd_ctl_session s; /* create */
	uint32_t slot; /* update, delete, get, stats */
	unsigned int leg; /* update */
	struct srtpfwd_ctl_update u; /* update */
	uint32_t mask; /* events */
	uint64_t count; /* events: 0 no limit */
	int64_t wait_ms; /* events: -1 no limit */
	int keys_seen; /* a key was parsed (from argv: warn) */
};

/* name=value; a flag has no '='. Every name appears at most once. */
struct arg {
	char name[32];
	char *value; /* NULL: a flag */
};

/* Text a user typed as a name, so safe to echo: a fragment of a key
 * pasted in the wrong place is not (base64 has upper case). */
static int
is_name(const char *s)
{
	if (*s == '\0' || strlen(s) > 24)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' ||
		      *s == '-' || *s == '_'))
			return 0;
	return 1;
}

/* Split and check the names: known and each given once. @p known: the
 * names this command takes, "name=" for a value, "name" for a flag. */
static int
split_args(const char *cmd, int argc, char **argv, const char *const *known, struct arg *a,
	   struct perr *e)
{
	for (int i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		size_t nl = eq != NULL ? (size_t)(eq - argv[i]) : strlen(argv[i]);
		int found = 0;

		/* the name only: a misspelt key argument must not echo its value */
		if (nl == 0 || nl >= sizeof(a[i].name))
			return fail(e, "%s: argument %d: expected NAME=VALUE or a flag", cmd,
				    i + 1);
		memcpy(a[i].name, argv[i], nl);
		a[i].name[nl] = '\0';
		a[i].value = eq != NULL ? argv[i] + nl + 1 : NULL;
		for (const char *const *k = known; *k != NULL; k++) {
			size_t kl = strlen(*k);
			int is_val = (*k)[kl - 1] == '=';

			if (kl - (size_t)is_val != nl || strncmp(*k, a[i].name, nl) != 0)
				continue;
			found = 1;
			if (is_val && a[i].value == NULL)
				return fail(e, "%s: '%s' needs a value (%s...)", cmd, a[i].name,
					    *k);
			if (!is_val && a[i].value != NULL)
				return fail(e, "%s: '%s' is a flag and takes no value", cmd,
					    a[i].name);
		}
		if (!found) {
			if (strncmp(a[i].name, "leg", 3) == 0 && a[i].name[3] >= '2' &&
			    a[i].name[3] <= '9')
				return fail(e, "%s: '%s': a session has leg0 and leg1 only", cmd,
					    a[i].name);
			if (!is_name(a[i].name))
				return fail(e,
					    "%s: argument %d: unknown (not shown: it may be key "
					    "material)",
					    cmd, i + 1);
			return fail(e, "%s: unknown argument '%s'", cmd, a[i].name);
		}
		for (int j = 0; j < i; j++)
			if (strcmp(a[j].name, a[i].name) == 0)
				return fail(e, "%s: '%s' given twice", cmd, a[i].name);
	}
	return 0;
}

static int
arg_u(const char *cmd, const struct arg *a, uint64_t min, uint64_t max, uint64_t *out,
      struct perr *e)
{
	if (parse_u64(a->value, max, out) != 0 || *out < min)
		return fail(e, "%s: %s='%s': expected a number %" PRIu64 "..%" PRIu64, cmd, a->name,
			    a->value, min, max);
	return 0;
}

/* The argv copy of a key is wiped once parsed: the window in which other
 * users can read it from /proc is as short as we can make it. */
static void
wipe_arg(struct arg *a)
{
	if (a->value != NULL)
		explicit_bzero(a->value, strlen(a->value));
}

static int
parse_create(int argc, char **argv, struct request *r, struct perr *e)
{
	static const char *const known[] = {"id=",	    "timeout=",	  "leg0.addr=",
					    "leg0.remote=", "leg0.port=", "leg0.mux",
					    "leg0.latch",   "leg0.dscp=", "leg0.passthrough",
					    "leg0.in=",	    "leg0.out=",  "leg1.addr=",
					    "leg1.remote=", "leg1.port=", "leg1.mux",
					    "leg1.latch",   "leg1.dscp=", "leg1.passthrough",
					    "leg1.in=",	    "leg1.out=",  NULL};
	struct arg a[ARGS_MAX];
	int have_id = 0, have_addr[2] = {0, 0}, have_remote[2] = {0, 0};
	uint64_t v;

	if (split_args("create", argc, argv, known, a, e) != 0)
		return -1;
	for (int i = 0; i < argc; i++) {
		const char *n = a[i].name;
		struct srtpfwd_ctl_leg *g;
		unsigned int l;

		if (strcmp(n, "id") == 0) {
			if (arg_u("create", &a[i], 0, UINT64_MAX, &r->s.id, e) != 0)
				return -1;
			have_id = 1;
			continue;
		}
		if (strcmp(n, "timeout") == 0) {
			if (arg_u("create", &a[i], 0, UINT32_MAX, &v, e) != 0)
				return -1;
			r->s.timeout_ms = (uint32_t)v;
			continue;
		}
		l = (unsigned int)(n[3] - '0');
		g = &r->s.leg[l];
		n += 5;
		if (strcmp(n, "addr") == 0) {
			if (arg_u("create", &a[i], 0, 255, &v, e) != 0)
				return -1;
			g->local_addr = (uint8_t)v;
			have_addr[l] = 1;
		} else if (strcmp(n, "remote") == 0) {
			if (parse_endpoint(a[i].value, &g->remote_ip6, g->remote_addr,
					   &g->remote_port) != 0)
				return fail(e,
					    "create: %s='%s': expected IP:PORT or [V6]:PORT "
					    "(port 1..65535)",
					    a[i].name, a[i].value);
			have_remote[l] = 1;
		} else if (strcmp(n, "port") == 0) {
			if (arg_u("create", &a[i], 1, 65535, &v, e) != 0)
				return -1;
			g->local_port = (uint16_t)v;
		} else if (strcmp(n, "dscp") == 0) {
			if (arg_u("create", &a[i], 0, 63, &v, e) != 0)
				return -1;
			g->dscp = (uint8_t)v;
		} else if (strcmp(n, "mux") == 0) {
			g->flags |= PROTO_LEG_RTCP_MUX;
		} else if (strcmp(n, "latch") == 0) {
			g->flags |= PROTO_LEG_LATCH;
		} else if (strcmp(n, "passthrough") == 0) {
			g->flags |= PROTO_LEG_PASSTHROUGH;
		} else { /* in, out */
			int rr =
				parse_key(a[i].name, a[i].value, n[0] == 'i' ? &g->in : &g->out, e);

			wipe_arg(&a[i]);
			if (rr != 0)
				return -1;
			g->flags |= PROTO_LEG_SRTP;
			r->keys_seen = 1;
		}
	}
	if (!have_id)
		return fail(e, "create: id=N is required (the controller's own session id)");
	for (unsigned int l = 0; l < 2; l++) {
		const struct srtpfwd_ctl_leg *g = &r->s.leg[l];

		if (!have_addr[l])
			return fail(e, "create: leg%u.addr=I is required (a local address index)",
				    l);
		if (!have_remote[l] && !(g->flags & PROTO_LEG_LATCH))
			return fail(e,
				    "create: leg%u.remote=IP:PORT is required (or leg%u.latch to "
				    "learn it)",
				    l, l);
		if ((g->in.suite != 0) != (g->out.suite != 0))
			return fail(e,
				    "create: leg%u: an SRTP leg needs both leg%u.in and leg%u.out",
				    l, l, l);
	}
	return 0;
}

static int
parse_update(int argc, char **argv, struct request *r, struct perr *e)
{
	static const char *const known[] = {
		"slot=", "leg=", "remote=", "in=", "out=", "end-overlap", NULL};
	struct arg a[ARGS_MAX];
	int have_slot = 0, have_leg = 0, change = 0;
	uint64_t v;

	if (split_args("update", argc, argv, known, a, e) != 0)
		return -1;
	for (int i = 0; i < argc; i++) {
		const char *n = a[i].name;

		if (strcmp(n, "slot") == 0) {
			if (arg_u("update", &a[i], 1, UINT32_MAX, &v, e) != 0)
				return -1;
			r->slot = (uint32_t)v;
			have_slot = 1;
		} else if (strcmp(n, "leg") == 0) {
			if (parse_u64(a[i].value, 1, &v) != 0)
				return fail(e, "update: leg='%s': expected 0 or 1", a[i].value);
			r->leg = (unsigned int)v;
			have_leg = 1;
		} else if (strcmp(n, "remote") == 0) {
			if (parse_endpoint(a[i].value, &r->u.remote_ip6, r->u.remote_addr,
					   &r->u.remote_port) != 0)
				return fail(e,
					    "update: remote='%s': expected IP:PORT or [V6]:PORT "
					    "(port 1..65535)",
					    a[i].value);
			r->u.has_remote = 1;
			change = 1;
		} else if (strcmp(n, "end-overlap") == 0) {
			r->u.end_overlap = 1;
			change = 1;
		} else {
			int rr = parse_key(n, a[i].value, n[0] == 'i' ? &r->u.in : &r->u.out, e);

			wipe_arg(&a[i]);
			if (rr != 0)
				return -1;
			r->keys_seen = 1;
			change = 1;
		}
	}
	if (!have_slot)
		return fail(e, "update: slot=N is required");
	if (!have_leg)
		return fail(e, "update: leg=L is required (0 or 1)");
	if (!change)
		return fail(e, "update: nothing to change (remote=, in=, out=, end-overlap)");
	return 0;
}

static int
parse_slot_only(const char *cmd, int argc, char **argv, int required, struct request *r,
		struct perr *e)
{
	static const char *const known[] = {"slot=", NULL};
	struct arg a[ARGS_MAX];
	uint64_t v;

	if (split_args(cmd, argc, argv, known, a, e) != 0)
		return -1;
	if (argc == 0) {
		if (required)
			return fail(e, "%s: slot=N is required", cmd);
		return 0;
	}
	if (arg_u(cmd, &a[0], 1, UINT32_MAX, &v, e) != 0)
		return -1;
	r->slot = (uint32_t)v;
	return 0;
}

static const char *const event_names[] = {"timeout", "latched", "auth", "key"};
static const uint8_t event_types[] = {PROTO_MSG_EV_SESSION_TIMEOUT, PROTO_MSG_EV_PEER_LATCHED,
				      PROTO_MSG_EV_AUTH_FAILURES, PROTO_MSG_EV_KEY_LIFETIME};

static uint32_t
event_bit(uint8_t type)
{
	return 1u << (type - PROTO_EVENT_FIRST);
}

static int
parse_events(int argc, char **argv, struct request *r, struct perr *e)
{
	static const char *const known[] = {"mask=", "count=", "wait=", NULL};
	struct arg a[ARGS_MAX];
	uint64_t v;

	r->mask = 0;
	for (size_t k = 0; k < sizeof(event_types); k++)
		r->mask |= event_bit(event_types[k]);
	r->wait_ms = -1;
	if (split_args("events", argc, argv, known, a, e) != 0)
		return -1;
	for (int i = 0; i < argc; i++) {
		const char *n = a[i].name;

		if (strcmp(n, "count") == 0) {
			if (arg_u("events", &a[i], 1, UINT64_MAX, &r->count, e) != 0)
				return -1;
		} else if (strcmp(n, "wait") == 0) {
			if (arg_u("events", &a[i], 0, 1000000, &v, e) != 0)
				return -1;
			r->wait_ms = (int64_t)v * 1000;
		} else {
			const char *p = a[i].value;

			r->mask = 0;
			while (*p != '\0') {
				size_t tl = strcspn(p, ",");
				int found = 0;

				if (tl == 3 && strncmp(p, "all", 3) == 0) {
					for (size_t k = 0; k < sizeof(event_types); k++)
						r->mask |= event_bit(event_types[k]);
					found = 1;
				}
				for (size_t k = 0; k < sizeof(event_types); k++)
					if (strlen(event_names[k]) == tl &&
					    strncmp(p, event_names[k], tl) == 0) {
						r->mask |= event_bit(event_types[k]);
						found = 1;
					}
				if (!found)
					return fail(e,
						    "events: mask: unknown event '%.*s' (expected "
						    "timeout, latched, auth, key or all, "
						    "comma-separated)",
						    (int)(tl > 32 ? 32 : tl), p);
				p += tl;
				if (*p == ',')
					p++;
			}
			if (r->mask == 0)
				return fail(e, "events: mask: expected timeout, latched, auth, key "
					       "or all");
		}
	}
	return 0;
}

/* argv[0] is the command. */
static int
parse_request(int argc, char **argv, struct request *r, struct perr *e)
{
	const char *cmd = argv[0];
	int n = -1;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < sizeof(cmd_names) / sizeof(cmd_names[0]); i++)
		if (strcmp(cmd, cmd_names[i]) == 0)
			n = (int)i;
	if (n < 0 && is_name(cmd))
		return fail(e,
			    "unknown command '%s' (hello, create, update, delete, get, list, "
			    "stats, events)",
			    cmd);
	if (n < 0)
		return fail(e, "unknown command (hello, create, update, delete, get, list, stats, "
			       "events)");
	if (argc - 1 > ARGS_MAX)
		return fail(e, "%s: more than %d arguments", cmd, ARGS_MAX);
	r->cmd = (enum cmd)n;
	argc--;
	argv++;
	switch (r->cmd) {
	case CMD_HELLO:
	case CMD_LIST:
		if (argc != 0)
			return fail(e, "%s takes no arguments", cmd);
		return 0;
	case CMD_CREATE: return parse_create(argc, argv, r, e);
	case CMD_UPDATE: return parse_update(argc, argv, r, e);
	case CMD_DELETE:
	case CMD_GET: return parse_slot_only(cmd, argc, argv, 1, r, e);
	case CMD_STATS: return parse_slot_only(cmd, argc, argv, 0, r, e);
	case CMD_EVENTS: return parse_events(argc, argv, r, e);
	}
	return -1;
}

/* ---- output ---- */

struct out {
	int json;
	int first; /* JSON: no comma before the next member */
};

/* A JSON string: escapes, and U+FFFD for bytes that are not UTF-8. */
static void
json_string(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putchar('"');
	while (*p != '\0') {
		unsigned int c = *p, n = 0;

		if (c == '"' || c == '\\') {
			printf("\\%c", c);
		} else if (c < 0x20) {
			printf("\\u%04x", c);
		} else if (c < 0x80) {
			putchar((int)c);
		} else {
			n = c >= 0xf0 && c <= 0xf4  ? 3
			    : c >= 0xe0		    ? 2
			    : c >= 0xc2 && c < 0xe0 ? 1
						    : 0;
			for (unsigned int k = 1; k <= n; k++)
				if ((p[k] & 0xc0) != 0x80)
					n = 0;
			if (n == 0) {
				fputs("\\ufffd", stdout);
			} else {
				fwrite(p, 1, n + 1, stdout);
				p += n;
			}
		}
		p++;
	}
	putchar('"');
}

static void
json_key(struct out *o, const char *key)
{
	if (!o->first)
		putchar(',');
	o->first = 0;
	if (key != NULL) {
		json_string(key);
		putchar(':');
	}
}

static void
json_open(struct out *o, const char *key, char brace)
{
	json_key(o, key);
	putchar(brace);
	o->first = 1;
}

static void
json_close(struct out *o, char brace)
{
	putchar(brace);
	o->first = 0;
}

static void
json_u64(struct out *o, const char *key, uint64_t v)
{
	json_key(o, key);
	printf("%" PRIu64, v);
}

static void
json_str(struct out *o, const char *key, const char *v)
{
	json_key(o, key);
	if (v == NULL)
		fputs("null", stdout);
	else
		json_string(v);
}

static void
json_begin(struct out *o, const char *cmd)
{
	o->first = 1;
	json_open(o, NULL, '{');
	json_str(o, "command", cmd);
}

static void
json_end(struct out *o)
{
	json_close(o, '}');
	putchar('\n');
}

/* An aligned table: every column but the last is padded to its widest cell. */
struct table {
	unsigned int ncol;
	size_t n, cap;
	char **cell;
};

static int
table_add(struct table *t, ...)
{
	va_list ap;

	if (t->n + t->ncol > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64 * t->ncol;
		char **c = realloc(t->cell, cap * sizeof(*c));

		if (c == NULL)
			return -1;
		t->cell = c;
		t->cap = cap;
	}
	va_start(ap, t);
	for (unsigned int i = 0; i < t->ncol; i++) {
		const char *s = va_arg(ap, const char *);

		t->cell[t->n + i] = strdup(s != NULL ? s : "-");
	}
	va_end(ap);
	t->n += t->ncol;
	return 0;
}

static void
table_print(struct table *t)
{
	size_t w[16] = {0};

	for (size_t i = 0; i < t->n; i++)
		if (t->cell[i] != NULL && strlen(t->cell[i]) > w[i % t->ncol])
			w[i % t->ncol] = strlen(t->cell[i]);
	for (size_t i = 0; i < t->n; i++) {
		const char *s = t->cell[i] != NULL ? t->cell[i] : "?";

		if (i % t->ncol == t->ncol - 1)
			printf("%s\n", s);
		else
			printf("%-*s  ", (int)w[i % t->ncol], s);
	}
}

static void
table_free(struct table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->cell[i]);
	free(t->cell);
	memset(t, 0, sizeof(*t));
}

/* Counters in the order the server sent them. */
static void
on_counter(void *ctx, const char *name, uint64_t value)
{
	char v[24];

	snprintf(v, sizeof(v), "%" PRIu64, value);
	table_add(ctx, name, v);
}

static void
counters_json(struct out *o, const char *key, const struct table *t)
{
	json_open(o, key, '{');
	for (size_t i = 0; i + 1 < t->n; i += 2) {
		uint64_t v = 0;

		if (t->cell[i] == NULL || t->cell[i + 1] == NULL)
			continue;
		parse_u64(t->cell[i + 1], UINT64_MAX, &v);
		json_u64(o, t->cell[i], v);
	}
	json_close(o, '}');
}

static void
fmt_endpoint(char *buf, size_t len, uint8_t ip6, const uint8_t addr[16], uint16_t port)
{
	char a[INET6_ADDRSTRLEN];

	if (port == 0) {
		snprintf(buf, len, "-");
		return;
	}
	inet_ntop(ip6 ? AF_INET6 : AF_INET, addr, a, sizeof(a));
	snprintf(buf, len, ip6 ? "[%s]:%u" : "%s:%u", a, port);
}

static const char *const flag_names[] = {"mux", "latch", "srtp", "passthrough"};

static void
fmt_flags(char *buf, size_t len, uint32_t flags)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int b = 0; b < 4; b++)
		if (flags & (1u << b))
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "",
						flag_names[b]);
	if (flags & ~(uint32_t)PROTO_LEG_ALL)
		snprintf(buf + off, len - off, "%s0x%x", off ? "," : "",
			 flags & ~(uint32_t)PROTO_LEG_ALL);
	if (buf[0] == '\0')
		snprintf(buf, len, "-");
}

/* ---- running requests ---- */

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct ctx {
	const char *target;
	struct srtpfwd_ctl_tls tls;
	int use_tls;
	int timeout_ms;
	struct srtpfwd_ctl *c;
	struct out o;
	const char *where; /* "FILE:LINE: " in -f mode */
};

static int
conn_error(struct ctx *x, const char *what)
{
	fprintf(stderr, PROG ": %s%s\n", x->where, what);
	return EXIT_CONN;
}

/* A library result as an exit code, with the message on stderr. */
static int
result(struct ctx *x, int r)
{
	uint16_t attr;

	if (r == 0)
		return 0;
	if (r < 0)
		return conn_error(x, srtpfwd_ctl_error(x->c));
	attr = srtpfwd_ctl_error_attr(x->c);
	/* the library's text is "STATUS: server text" */
	if (attr != 0)
		fprintf(stderr, PROG ": %s%s (attribute %s)\n", x->where, srtpfwd_ctl_error(x->c),
			proto_attr_name(attr));
	else
		fprintf(stderr, PROG ": %s%s\n", x->where, srtpfwd_ctl_error(x->c));
	return EXIT_REFUSED;
}

/* A HELLO with a request id the library never uses (it counts up from 1):
 * its response is read here, or dropped by srtpfwd_ctl_event. */
static int
send_hello(struct ctx *x, uint32_t id)
{
	struct proto_writer w;
	uint8_t req[128];
	long len;

	proto_begin(&w, req, sizeof(req), PROTO_MSG_HELLO, 0, id, 0);
	proto_put_u8(&w, PROTO_A_VERSION_MIN, PROTO_VERSION);
	proto_put_u8(&w, PROTO_A_VERSION_MAX, PROTO_VERSION);
	proto_put_str(&w, PROTO_A_NAME, PROG);
	len = proto_finish(&w);
	return len < 0 ? -1 : srtpfwd_ctl_send(x->c, req, (size_t)len);
}

/* HELLO again, to show what the server says of itself (the library keeps
 * only the connection). */
static int
run_hello(struct ctx *x)
{
	static uint8_t rsp[PROTO_MSG_MAX];
	const uint32_t id = 0x80000001u;
	struct proto_hdr h;
	struct proto_iter it;
	struct proto_attr_view a;
	char name[72] = "?";
	unsigned int version = 0;
	uint32_t msg_max = 0;
	long len;

	if (send_hello(x, id) != 0)
		return conn_error(x, srtpfwd_ctl_error(x->c));
	do {
		len = srtpfwd_ctl_recv(x->c, rsp, sizeof(rsp), &h, x->timeout_ms);
		if (len == 0)
			return conn_error(x, "HELLO: no response in time");
		if (len < 0)
			return conn_error(x, srtpfwd_ctl_error(x->c));
	} while (h.request_id != id); /* bounded: each wait has the timeout */
	if (h.status != PROTO_ST_OK) {
		fprintf(stderr, PROG ": %sHELLO: %s\n", x->where, proto_status_name(h.status));
		return EXIT_REFUSED;
	}
	proto_iter_init(&it, rsp + PROTO_HDR_LEN, h.length - PROTO_HDR_LEN);
	while (proto_next(&it, &a) == 1) {
		if (a.type == PROTO_A_NAME && a.len < sizeof(name)) {
			memcpy(name, a.val, a.len);
			name[a.len] = '\0';
		} else if (a.type == PROTO_A_VERSION && a.len == 1) {
			version = a.val[0];
		} else if (a.type == PROTO_A_MSG_MAX && a.len == 4) {
			msg_max = proto_rd32(a.val);
		}
	}
	if (x->o.json) {
		json_begin(&x->o, "hello");
		json_str(&x->o, "server", name);
		json_u64(&x->o, "version", version);
		json_u64(&x->o, "msg_max", msg_max);
		json_end(&x->o);
	} else {
		printf("server   %s\nversion  %u\nmsg_max  %" PRIu32 "\n", name, version, msg_max);
	}
	return 0;
}

static int
run_create(struct ctx *x, struct request *r)
{
	uint16_t port[2] = {0, 0};
	uint32_t slot = 0;
	int rc = result(x, srtpfwd_ctl_create(x->c, &r->s, &slot, port));

	if (rc != 0)
		return rc;
	if (x->o.json) {
		json_begin(&x->o, "create");
		json_u64(&x->o, "slot", slot);
		json_open(&x->o, "local_port", '[');
		json_u64(&x->o, NULL, port[0]);
		json_u64(&x->o, NULL, port[1]);
		json_close(&x->o, ']');
		json_end(&x->o);
	} else {
		printf("slot       %" PRIu32 "\nleg0.port  %u\nleg1.port  %u\n", slot, port[0],
		       port[1]);
	}
	return 0;
}

static int
run_simple(struct ctx *x, struct request *r)
{
	int rc;

	if (r->cmd == CMD_UPDATE)
		rc = result(x, srtpfwd_ctl_update(x->c, r->slot, r->leg, &r->u));
	else
		rc = result(x, srtpfwd_ctl_delete(x->c, r->slot));
	if (rc != 0)
		return rc;
	if (x->o.json) {
		json_begin(&x->o, cmd_names[r->cmd]);
		json_u64(&x->o, "slot", r->slot);
		if (r->cmd == CMD_UPDATE)
			json_u64(&x->o, "leg", r->leg);
		json_end(&x->o);
	} else if (r->cmd == CMD_UPDATE) {
		printf("updated slot %" PRIu32 " leg %u\n", r->slot, r->leg);
	} else {
		printf("deleted slot %" PRIu32 "\n", r->slot);
	}
	return 0;
}

static int
run_get(struct ctx *x, struct request *r)
{
	struct srtpfwd_ctl_info info;
	struct table cnt = {.ncol = 2}, legs = {.ncol = 8};
	char remote[64], flags[64], port[8], addr[8], dscp[8], leg[4];
	int rc = result(x, srtpfwd_ctl_get(x->c, r->slot, &info, on_counter, &cnt));

	if (rc != 0) {
		table_free(&cnt);
		return rc;
	}
	if (x->o.json) {
		json_begin(&x->o, "get");
		json_u64(&x->o, "slot", info.slot);
		json_u64(&x->o, "id", info.id);
		json_u64(&x->o, "timeout_ms", info.timeout_ms);
		json_open(&x->o, "legs", '[');
	} else {
		printf("slot     %" PRIu32 "\nid       %" PRIu64 "\n", info.slot, info.id);
		if (info.timeout_ms != 0)
			printf("timeout  %" PRIu32 " ms\n\n", info.timeout_ms);
		else
			printf("timeout  never\n\n");
		table_add(&legs, "leg", "addr", "port", "remote", "flags", "dscp", "in", "out");
	}
	for (unsigned int l = 0; l < 2; l++) {
		const struct srtpfwd_ctl_leg_info *g = &info.leg[l];

		fmt_endpoint(remote, sizeof(remote), g->remote_ip6, g->remote_addr, g->remote_port);
		fmt_flags(flags, sizeof(flags), g->flags);
		if (x->o.json) {
			json_open(&x->o, NULL, '{');
			json_u64(&x->o, "leg", l);
			json_u64(&x->o, "local_addr", g->local_addr);
			json_u64(&x->o, "local_port", g->local_port);
			json_str(&x->o, "remote", g->remote_port != 0 ? remote : NULL);
			json_open(&x->o, "flags", '[');
			for (unsigned int b = 0; b < 4; b++)
				if (g->flags & (1u << b))
					json_str(&x->o, NULL, flag_names[b]);
			json_close(&x->o, ']');
			json_u64(&x->o, "dscp", g->dscp);
			json_str(&x->o, "suite_in", suite_name(g->suite_in));
			json_str(&x->o, "suite_out", suite_name(g->suite_out));
			json_close(&x->o, '}');
			continue;
		}
		snprintf(leg, sizeof(leg), "%u", l);
		snprintf(addr, sizeof(addr), "%u", g->local_addr);
		snprintf(port, sizeof(port), "%u", g->local_port);
		snprintf(dscp, sizeof(dscp), "%u", g->dscp);
		table_add(&legs, leg, addr, port, remote, flags, dscp, suite_name(g->suite_in),
			  suite_name(g->suite_out));
	}
	if (x->o.json) {
		json_close(&x->o, ']');
		counters_json(&x->o, "counters", &cnt);
		json_end(&x->o);
	} else {
		table_print(&legs);
		putchar('\n');
		table_print(&cnt);
	}
	table_free(&legs);
	table_free(&cnt);
	return 0;
}

static int
run_list(struct ctx *x)
{
	static uint32_t page[LIST_PAGE];
	uint32_t cursor = 1, n = 0, next = 0, *all = NULL;
	size_t total = 0;
	int rc;

	/* Every page first, so a failure half way prints no partial list.
	 * Bounded: the cursor only moves forward through a 32-bit space. */
	for (;;) {
		uint32_t *grown;

		rc = result(x, srtpfwd_ctl_list(x->c, cursor, LIST_PAGE, page, &n, &next));
		if (rc != 0) {
			free(all);
			return rc;
		}
		grown = realloc(all, (total + n + 1) * sizeof(*all));
		if (grown == NULL) {
			free(all);
			return conn_error(x, "out of memory");
		}
		all = grown;
		memcpy(all + total, page, n * sizeof(*all));
		total += n;
		if (next == 0 || next <= cursor)
			break;
		cursor = next;
	}
	if (x->o.json) {
		json_begin(&x->o, "list");
		json_open(&x->o, "slots", '[');
		for (size_t i = 0; i < total; i++)
			json_u64(&x->o, NULL, all[i]);
		json_close(&x->o, ']');
		json_end(&x->o);
	} else {
		printf("slot\n");
		for (size_t i = 0; i < total; i++)
			printf("%" PRIu32 "\n", all[i]);
	}
	free(all);
	return 0;
}

static int
run_stats(struct ctx *x, struct request *r)
{
	struct table cnt = {.ncol = 2};
	int rc = result(x, srtpfwd_ctl_stats(x->c, r->slot, on_counter, &cnt));

	if (rc == 0 && x->o.json) {
		json_begin(&x->o, "stats");
		if (r->slot != 0)
			json_u64(&x->o, "slot", r->slot);
		counters_json(&x->o, "counters", &cnt);
		json_end(&x->o);
	} else if (rc == 0) {
		table_print(&cnt);
	}
	table_free(&cnt);
	return rc;
}

static void
print_event(struct out *o, const struct srtpfwd_ctl_event *ev)
{
	const char *name = "unknown";
	char remote[64];

	for (size_t k = 0; k < sizeof(event_types); k++)
		if (event_types[k] == ev->type)
			name = event_names[k];
	fmt_endpoint(remote, sizeof(remote), ev->remote_ip6, ev->remote_addr, ev->remote_port);
	if (o->json) {
		json_open(o, NULL, '{');
		json_str(o, "event", name);
		json_u64(o, "slot", ev->slot);
		json_u64(o, "id", ev->id);
		if (ev->type != PROTO_MSG_EV_SESSION_TIMEOUT)
			json_u64(o, "leg", ev->leg);
		if (ev->type == PROTO_MSG_EV_PEER_LATCHED)
			json_str(o, "remote", remote);
		if (ev->type == PROTO_MSG_EV_AUTH_FAILURES)
			json_u64(o, "failures", ev->count);
		if (ev->type == PROTO_MSG_EV_KEY_LIFETIME)
			json_u64(o, "packets_left", ev->count);
		json_close(o, '}');
	} else {
		printf("%s slot=%" PRIu32 " id=%" PRIu64, name, ev->slot, ev->id);
		if (ev->type != PROTO_MSG_EV_SESSION_TIMEOUT)
			printf(" leg=%u", ev->leg);
		if (ev->type == PROTO_MSG_EV_PEER_LATCHED)
			printf(" remote=%s", remote);
		if (ev->type == PROTO_MSG_EV_AUTH_FAILURES)
			printf(" failures=%" PRIu64, ev->count);
		if (ev->type == PROTO_MSG_EV_KEY_LIFETIME)
			printf(" packets_left=%" PRIu64, ev->count);
		putchar('\n');
	}
	fflush(stdout);
}

/* Events as they come; with --json one object whose array is written as
 * events arrive and closed at the end (count, wait, SIGINT or SIGTERM). */
static int
run_events(struct ctx *x, struct request *r)
{
	int64_t deadline = r->wait_ms >= 0 ? clock_ms() + r->wait_ms : INT64_MAX;
	struct sigaction sa, old_int, old_term;
	int64_t last_hello = clock_ms();
	uint64_t seen = 0;
	int rc = result(x, srtpfwd_ctl_subscribe(x->c, r->mask));

	if (rc != 0)
		return rc;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	interrupted = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if (x->o.json) {
		json_begin(&x->o, "events");
		json_open(&x->o, "events", '[');
		fflush(stdout);
	}
	while (!interrupted && (r->count == 0 || seen < r->count)) {
		struct srtpfwd_ctl_event ev;
		int64_t left = deadline - clock_ms();
		int got;

		if (left <= 0)
			break;
		/* The server cuts a client that sends nothing for its idle time
		 * (--ctl-idle, 1 s at the least); HELLO is the keepalive. */
		if (clock_ms() - last_hello >= EVENTS_KEEPALIVE_MS) {
			last_hello = clock_ms();
			if (send_hello(x, 0x80000002u) != 0) {
				rc = conn_error(x, srtpfwd_ctl_error(x->c));
				break;
			}
		}
		/* short waits, so a signal is noticed (the library retries EINTR) */
		got = srtpfwd_ctl_event(x->c, &ev, (int)(left < 200 ? left : 200));
		if (got < 0) {
			rc = conn_error(x, srtpfwd_ctl_error(x->c));
			break;
		}
		if (got == 1) {
			print_event(&x->o, &ev);
			seen++;
		}
	}
	if (x->o.json) {
		json_close(&x->o, ']');
		json_end(&x->o);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return rc;
}

static int
ensure_connected(struct ctx *x)
{
	char err[320];

	if (x->c != NULL)
		return 0;
	x->c = srtpfwd_ctl_connect(x->target, x->use_tls ? &x->tls : NULL, x->timeout_ms, err,
				   sizeof(err));
	if (x->c == NULL) {
		/* every message names the target it is about */
		if (strncmp(err, x->target, strlen(x->target)) != 0)
			fprintf(stderr, PROG ": %s%s: %s\n", x->where, x->target, err);
		else
			fprintf(stderr, PROG ": %s%s\n", x->where, err);
		return EXIT_CONN;
	}
	return 0;
}

static int
run(struct ctx *x, struct request *r)
{
	int rc = ensure_connected(x);

	if (rc != 0)
		return rc;
	switch (r->cmd) {
	case CMD_HELLO: rc = run_hello(x); break;
	case CMD_CREATE: rc = run_create(x, r); break;
	case CMD_UPDATE:
	case CMD_DELETE: rc = run_simple(x, r); break;
	case CMD_GET: rc = run_get(x, r); break;
	case CMD_LIST: rc = run_list(x); break;
	case CMD_STATS: rc = run_stats(x, r); break;
	case CMD_EVENTS: rc = run_events(x, r); break;
	}
	fflush(stdout);
	/* A connection error leaves the handle unusable. */
	if (rc == EXIT_CONN) {
		srtpfwd_ctl_close(x->c);
		x->c = NULL;
	}
	return rc;
}

/* One command line: parse, run, zero. */
static int
run_argv(struct ctx *x, int argc, char **argv, int from_cmdline)
{
	struct request *r = calloc(1, sizeof(*r));
	struct perr e;
	int rc;

	if (r == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		return EXIT_CONN;
	}
	if (parse_request(argc, argv, r, &e) != 0) {
		fprintf(stderr, PROG ": %s%s\n", x->where, e.text);
		rc = EXIT_USAGE;
	} else {
		if (from_cmdline && r->keys_seen)
			fprintf(stderr,
				PROG ": warning: keys on the command line are visible to "
				     "other users (ps); pass them with -f FILE (mode 0600) or "
				     "-f -\n");
		rc = run(x, r);
	}
	explicit_bzero(r, sizeof(*r)); /* the keys, if any */
	free(r);
	return rc;
}

static int
run_file(struct ctx *x, const char *path)
{
	static char line[LINE_MAX_LEN + 2], iobuf[8192];
	char where[320], *argv[ARGS_MAX + 2];
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	unsigned int lineno = 0;
	struct stat st;
	int rc = 0;

	if (f == NULL) {
		fprintf(stderr, PROG ": -f %s: %s\n", path, strerror(errno));
		return EXIT_USAGE;
	}
	/* stdio's own buffer would keep a copy of the keys after fclose */
	setvbuf(f, iobuf, _IOFBF, sizeof(iobuf));
	if (f != stdin && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & 077) != 0)
		fprintf(stderr,
			PROG ": warning: %s is readable by other users (mode %03o); keys belong "
			     "in a file of mode 0600\n",
			path, (unsigned int)(st.st_mode & 0777));
	x->where = where;
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		size_t len = strlen(line);
		int argc = 0;
		char *p, *save = NULL;

		lineno++;
		snprintf(where, sizeof(where), "%s:%u: ", strcmp(path, "-") == 0 ? "stdin" : path,
			 lineno);
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			fprintf(stderr, PROG ": %sline longer than %d bytes\n", where,
				LINE_MAX_LEN);
			rc = EXIT_USAGE;
			break;
		}
		p = strchr(line, '#');
		if (p != NULL)
			*p = '\0';
		for (p = strtok_r(line, " \t\r\n", &save); p != NULL;
		     p = strtok_r(NULL, " \t\r\n", &save)) {
			if (argc == ARGS_MAX + 1) {
				fprintf(stderr, PROG ": %smore than %d arguments\n", where,
					ARGS_MAX);
				rc = EXIT_USAGE;
				break;
			}
			argv[argc++] = p;
		}
		if (rc == 0 && argc > 0)
			rc = run_argv(x, argc, argv, 0);
		explicit_bzero(line, sizeof(line));
	}
	explicit_bzero(line, sizeof(line));
	if (rc == 0 && ferror(f)) {
		fprintf(stderr, PROG ": -f %s: read error\n", path);
		rc = EXIT_USAGE;
	}
	if (f != stdin)
		fclose(f);
	explicit_bzero(iobuf, sizeof(iobuf));
	x->where = "";
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"ca", required_argument, NULL, 'A'},
		{"cert", required_argument, NULL, 'C'},
		{"key", required_argument, NULL, 'K'},
		{"server-name", required_argument, NULL, 'N'},
		{"json", no_argument, NULL, 'j'},
		{"timeout", required_argument, NULL, 't'},
		{"file", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct ctx x;
	const char *file = NULL, *env = getenv("SRTPFWD_CTL");
	char target[512];
	uint64_t v;
	int o, rc, is_unix;

	memset(&x, 0, sizeof(x));
	x.target = env != NULL && env[0] != '\0' ? env : DEFAULT_TARGET;
	x.timeout_ms = 5000;
	x.where = "";
	/* '+': stop at the command, so its arguments are never options */
	while ((o = getopt_long(argc, argv, "+s:f:h", opts, NULL)) != -1) {
		switch (o) {
		case 's': x.target = optarg; break;
		case 'A': x.tls.ca_file = optarg; break;
		case 'C': x.tls.cert_file = optarg; break;
		case 'K': x.tls.key_file = optarg; break;
		case 'N': x.tls.server_name = optarg; break;
		case 'j': x.o.json = 1; break;
		case 'f': file = optarg; break;
		case 't':
			if (parse_u64(optarg, 3600000, &v) != 0 || v == 0) {
				fprintf(stderr,
					PROG
					": --timeout '%s': expected milliseconds, 1..3600000\n",
					optarg);
				return EXIT_USAGE;
			}
			x.timeout_ms = (int)v;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (file != NULL && optind != argc) {
		fprintf(stderr, PROG ": -f FILE and a command on the command line exclude each "
				     "other\n");
		return EXIT_USAGE;
	}
	if (file == NULL && optind == argc) {
		fprintf(stderr, PROG ": expected a COMMAND or -f FILE\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	/* A path, "unix:PATH", or HOST:PORT / [V6]:PORT; a bare name is a
	 * socket in the current directory. */
	is_unix = strncmp(x.target, "unix:", 5) == 0 || strchr(x.target, '/') != NULL ||
		  strchr(x.target, ':') == NULL;
	if (is_unix && strncmp(x.target, "unix:", 5) != 0 && strchr(x.target, '/') == NULL) {
		snprintf(target, sizeof(target), "unix:%s", x.target);
		x.target = target;
	}
	x.use_tls = x.tls.ca_file || x.tls.cert_file || x.tls.key_file || x.tls.server_name;
	if (!is_unix && !(x.tls.ca_file && x.tls.cert_file && x.tls.key_file)) {
		fprintf(stderr,
			PROG ": -s %s: TLS needs --ca, --cert and --key (there is no plaintext "
			     "TCP)\n",
			x.target);
		return EXIT_USAGE;
	}
	if (is_unix && x.use_tls) {
		fprintf(stderr, PROG ": --ca, --cert, --key, --server-name: only for a HOST:PORT "
				     "target\n");
		return EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);
	if (file != NULL)
		rc = run_file(&x, file);
	else
		rc = run_argv(&x, argc - optind, argv + optind, 1);
	srtpfwd_ctl_close(x.c);
	return rc;
}
