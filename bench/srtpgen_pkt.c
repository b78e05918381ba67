/* srtpgen_pkt.c: srtpgen's sessions, frames, pcap and script writers (see
 * srtpgen.h). No DPDK: the frames are plain bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/ref.h"
#include "srtpgen.h"

static void set_err(char *err, size_t err_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
set_err(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

void
gen_opts_lab_addrs(struct gen_opts *o, int ip6)
{
	o->ip6 = ip6;
	gen_parse_ip(ip6 ? "fd01::2" : "10.201.0.2", ip6, o->peer[0]);
	gen_parse_ip(ip6 ? "fd01::1" : "10.201.0.1", ip6, o->local[0]);
	gen_parse_ip(ip6 ? "fd02::2" : "10.202.0.2", ip6, o->peer[1]);
	gen_parse_ip(ip6 ? "fd02::1" : "10.202.0.1", ip6, o->local[1]);
	/* af_packet.yaml: 10.201.0.1, fd01::1, 10.202.0.1, fd02::1 */
	o->addr_index[0] = ip6 ? 1 : 0;
	o->addr_index[1] = ip6 ? 3 : 2;
}

void
gen_opts_default(struct gen_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->suite[0] = o->suite[1] = SUITE_AES_CM_128_HMAC_SHA1_80;
	o->sessions = 1;
	o->size = 160;
	o->ptime_ms = 20;
	o->clock_hz = 8000;
	o->pt = 0;
	o->packets = 50;
	for (unsigned int s = 0; s < 2; s++) {
		static const uint8_t peer[2][6] = {{0x02, 0x5e, 0, 0, 0xa0, 0x02},
						   {0x02, 0x5e, 0, 0, 0xb0, 0x02}};
		static const uint8_t fwd[2][6] = {{0x02, 0x5e, 0, 0, 0xa0, 0x01},
						  {0x02, 0x5e, 0, 0, 0xb0, 0x01}};

		memcpy(o->peer_mac[s], peer[s], 6);
		memcpy(o->fwd_mac[s], fwd[s], 6);
	}
	gen_opts_lab_addrs(o, 0);
	o->local_port = 20000;
	o->peer_port = 30000;
	o->ssrc = 0x5e000000;
	o->id = 1;
}

int
gen_opts_check(const struct gen_opts *o, char *err, size_t err_len)
{
	uint64_t last;

	if (o->sessions == 0 || o->sessions > GEN_SESSIONS_MAX) {
		set_err(err, err_len, "--sessions %u: need 1..%u", o->sessions, GEN_SESSIONS_MAX);
		return -1;
	}
	if (o->size < GEN_SIZE_MIN || o->size > GEN_SIZE_MAX) {
		set_err(err, err_len, "--size %u: need %u..%u (RTP payload bytes)", o->size,
			GEN_SIZE_MIN, GEN_SIZE_MAX);
		return -1;
	}
	if (o->ptime_ms == 0 || o->ptime_ms > 1000) {
		set_err(err, err_len, "--ptime %u: need 1..1000 ms", o->ptime_ms);
		return -1;
	}
	if (o->pt > 127 || (o->pt >= 64 && o->pt <= 95)) {
		/* RFC 5761 §4: 64..95 would be taken for RTCP on a muxed port */
		set_err(err, err_len, "--pt %u: need 0..63 or 96..127", o->pt);
		return -1;
	}
	/* each leg holds its RTP port and the next (RTCP, no rtcp-mux) */
	last = (uint64_t)o->local_port + 2ull * (o->sessions - 1) + 1;
	if (o->local_port == 0 || last > 65535) {
		set_err(err, err_len,
			"--local-port %u with %u sessions: the last leg needs port %" PRIu64
			" (and + 1), over 65535",
			o->local_port, o->sessions, last - 1);
		return -1;
	}
	last = (uint64_t)o->peer_port + 2ull * (o->sessions - 1) + 1;
	if (o->peer_port == 0 || last > 65535) {
		set_err(err, err_len,
			"--peer-port %u with %u sessions: the last peer needs port %" PRIu64
			", over 65535",
			o->peer_port, o->sessions, last - 1);
		return -1;
	}
	if ((uint64_t)o->ssrc + ((uint64_t)1 << GEN_SSRC_DIR_SHIFT) + o->sessions > UINT32_MAX) {
		set_err(err, err_len, "--ssrc 0x%08x: too high for %u sessions", o->ssrc,
			o->sessions);
		return -1;
	}
	if (o->addr_index[0] > 255 || o->addr_index[1] > 255) {
		set_err(err, err_len, "local address index: need 0..255");
		return -1;
	}
	return 0;
}

/* libsrtp2 for one direction of one key; the key||salt copy is zeroed. */
static srtp_t
gen_srtp_new(int suite, const struct gen_key *k, int inbound, char *err, size_t err_len)
{
	srtp_policy_t p;
	unsigned char keysalt[SRTP_KEY_MAX + SRTP_SALT_MAX];
	srtp_err_status_t st;
	srtp_t ctx = NULL;

	memset(&p, 0, sizeof(p));
	ref_crypto_policy((enum suite)suite, &p.rtp, &p.rtcp);
	memcpy(keysalt, k->key, suites[suite].key_len);
	memcpy(keysalt + suites[suite].key_len, k->salt, suites[suite].salt_len);
	p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	p.window_size = 128;
	p.key = keysalt;
	st = srtp_create(&ctx, &p);
	explicit_bzero(keysalt, sizeof(keysalt));
	if (st != srtp_err_status_ok) {
		set_err(err, err_len, "libsrtp2 srtp_create(%s): error %d", suites[suite].name,
			(int)st);
		return NULL;
	}
	return ctx;
}

/* libsrtp2 contexts for every session whose keys are set. */
static int
sessions_contexts(const struct gen_opts *o, struct gen_session *s, char *err, size_t err_len)
{
	static int srtp_ready;

	if (!srtp_ready) {
		if (srtp_init() != srtp_err_status_ok) {
			set_err(err, err_len, "libsrtp2 srtp_init failed");
			return -1;
		}
		srtp_ready = 1;
	}
	for (uint32_t i = 0; i < o->sessions; i++)
		for (unsigned int d = 0; d < 2; d++) {
			if (o->suite[d] != GEN_PLAIN &&
			    (s[i].tx[d] = gen_srtp_new(o->suite[d], &s[i].in[d], 0, err,
						       err_len)) == NULL)
				return -1;
			if (o->suite[1 - d] != GEN_PLAIN &&
			    (s[i].rx[d] = gen_srtp_new(o->suite[1 - d], &s[i].out[1 - d], 1, err,
						       err_len)) == NULL)
				return -1;
		}
	return 0;
}

struct gen_session *
gen_sessions_new(const struct gen_opts *o, char *err, size_t err_len)
{
	struct gen_session *s = calloc(o->sessions, sizeof(*s));

	if (s == NULL) {
		set_err(err, err_len, "out of memory for %u sessions", o->sessions);
		return NULL;
	}
	for (uint32_t i = 0; i < o->sessions; i++) {
		s[i].index = i;
		for (unsigned int l = 0; l < 2; l++) {
			if (o->suite[l] == GEN_PLAIN)
				continue;
			if (getrandom(&s[i].in[l], sizeof(s[i].in[l]), 0) !=
				    (ssize_t)sizeof(s[i].in[l]) ||
			    getrandom(&s[i].out[l], sizeof(s[i].out[l]), 0) !=
				    (ssize_t)sizeof(s[i].out[l])) {
				set_err(err, err_len, "getrandom: %s", strerror(errno));
				gen_sessions_free(o, s);
				return NULL;
			}
		}
	}
	if (sessions_contexts(o, s, err, err_len) != 0) {
		gen_sessions_free(o, s);
		return NULL;
	}
	return s;
}

void
gen_sessions_free(const struct gen_opts *o, struct gen_session *s)
{
	if (s == NULL)
		return;
	for (uint32_t i = 0; i < o->sessions; i++)
		for (unsigned int d = 0; d < 2; d++) {
			if (s[i].tx[d] != NULL)
				srtp_dealloc(s[i].tx[d]);
			if (s[i].rx[d] != NULL)
				srtp_dealloc(s[i].rx[d]);
		}
	explicit_bzero(s, (size_t)o->sessions * sizeof(*s));
	free(s);
}

void
gen_payload(uint8_t *p, unsigned int size, uint32_t i, uint32_t k, uint64_t tsc)
{
	for (unsigned int b = 0; b < 4; b++) {
		p[b] = (uint8_t)(i >> (24 - 8 * b));
		p[4 + b] = (uint8_t)(k >> (24 - 8 * b));
	}
	for (unsigned int b = 0; b < 8; b++)
		p[8 + b] = (uint8_t)(tsc >> (56 - 8 * b));
	for (unsigned int j = 16; j < size; j++)
		p[j] = (uint8_t)(i * 7 + k * 13 + j);
}

static uint32_t
sum16(uint32_t sum, const uint8_t *p, unsigned int n)
{
	unsigned int k;

	for (k = 0; k + 1 < n; k += 2)
		sum += (uint32_t)p[k] << 8 | p[k + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t
gen_l4_sum(int ip6, const uint8_t *src, const uint8_t *dst, uint8_t proto, const uint8_t *l4,
	   unsigned int len)
{
	unsigned int alen = ip6 ? 16 : 4;
	uint32_t sum = 0;

	sum = sum16(sum, src, alen);
	sum = sum16(sum, dst, alen);
	sum += proto; /* RFC 768 / RFC 8200 §8.1 pseudo header */
	sum += len;
	sum = sum16(sum, l4, len);
	return fold(sum);
}

uint16_t
gen_udp_cksum(int ip6, const uint8_t *src, const uint8_t *dst, const uint8_t *udp, unsigned int len)
{
	uint16_t c = (uint16_t)~gen_l4_sum(ip6, src, dst, 17, udp, len);

	/* RFC 768: a computed 0 is sent as all ones (0 means none in IPv4) */
	return c == 0 ? 0xffff : c;
}

uint16_t
gen_ip4_cksum(const uint8_t *ip)
{
	return (uint16_t)~fold(sum16(0, ip, 20));
}

static void
wr16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
wr32(uint8_t *p, uint32_t v)
{
	wr16(p, v >> 16);
	wr16(p + 2, v & 0xffff);
}

unsigned int
gen_frame(const struct gen_opts *o, struct gen_session *s, unsigned int dir, uint64_t tsc,
	  uint8_t *frame, char *err, size_t err_len)
{
	const unsigned int l3 = 14, l4 = l3 + (o->ip6 ? 40 : 20), rtp = l4 + 8;
	uint32_t k = s->sent[dir], i = s->index;
	uint8_t *ip = frame + l3, *udp = frame + l4, *r = frame + rtp;
	int len = (int)(12 + o->size);
	unsigned int udp_len;

	memcpy(frame, o->fwd_mac[dir], 6);
	memcpy(frame + 6, o->peer_mac[dir], 6);
	wr16(frame + 12, o->ip6 ? 0x86dd : 0x0800);
	/* RTP (RFC 3550 §5.1): marker on the first packet of the stream */
	r[0] = 0x80;
	r[1] = (uint8_t)(o->pt | (k == 0 ? 0x80 : 0));
	wr16(r + 2, (uint16_t)(gen_seq0(dir, i) + k));
	wr32(r + 4, gen_ts(o, dir, i, k));
	wr32(r + 8, gen_ssrc(o, dir, i));
	gen_payload(r + 12, o->size, i, k, tsc);
	if (s->tx[dir] != NULL) {
		srtp_err_status_t st = srtp_protect(s->tx[dir], r, &len);

		if (st != srtp_err_status_ok) {
			set_err(err, err_len, "libsrtp2 srtp_protect: error %d (session %u)",
				(int)st, i);
			return 0;
		}
	}
	udp_len = 8 + (unsigned int)len;
	wr16(udp, gen_peer_port(o, i));
	wr16(udp + 2, gen_local_port(o, i));
	wr16(udp + 4, udp_len);
	wr16(udp + 6, 0);
	if (o->ip6) {
		wr32(ip, 0x60000000); /* version 6, traffic class 0, flow label 0 */
		wr16(ip + 4, udp_len);
		ip[6] = 17;
		ip[7] = 64;
		memcpy(ip + 8, o->peer[dir], 16);
		memcpy(ip + 24, o->local[dir], 16);
		/* RFC 8200 §8.1: mandatory over IPv6 */
		wr16(udp + 6, gen_udp_cksum(1, ip + 8, ip + 24, udp, udp_len));
	} else {
		ip[0] = 0x45;
		ip[1] = 0;
		wr16(ip + 2, 20 + udp_len);
		wr16(ip + 4, (uint16_t)(k + i)); /* identification */
		wr16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = 17;
		wr16(ip + 10, 0);
		memcpy(ip + 12, o->peer[dir], 4);
		memcpy(ip + 16, o->local[dir], 4);
		wr16(ip + 10, gen_ip4_cksum(ip));
		wr16(udp + 6, gen_udp_cksum(0, ip + 12, ip + 16, udp, udp_len));
	}
	s->sent[dir]++;
	return l4 + udp_len;
}

/* ---- the srtpfwd-ctl script ---- */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard base64 with padding, as in SDES a=crypto inline: keys. */
static void
b64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t o = 0, k;

	for (k = 0; k + 2 < n; k += 3) {
		uint32_t v = (uint32_t)in[k] << 16 | (uint32_t)in[k + 1] << 8 | in[k + 2];

		out[o++] = B64[v >> 18];
		out[o++] = B64[(v >> 12) & 63];
		out[o++] = B64[(v >> 6) & 63];
		out[o++] = B64[v & 63];
	}
	if (k < n) {
		uint32_t v = (uint32_t)in[k] << 16 | (k + 1 < n ? (uint32_t)in[k + 1] << 8 : 0);

		out[o++] = B64[v >> 18];
		out[o++] = B64[(v >> 12) & 63];
		out[o++] = k + 1 < n ? B64[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
}

/* " legL.NAME=SUITE:inline:BASE64" */
static int
put_key(FILE *f, unsigned int leg, const char *name, int suite, const struct gen_key *k)
{
	uint8_t raw[SRTP_KEY_MAX + SRTP_SALT_MAX];
	char b64[((SRTP_KEY_MAX + SRTP_SALT_MAX) + 2) / 3 * 4 + 1];
	int r;

	memcpy(raw, k->key, suites[suite].key_len);
	memcpy(raw + suites[suite].key_len, k->salt, suites[suite].salt_len);
	b64_encode(raw, suites[suite].key_len + suites[suite].salt_len, b64);
	r = fprintf(f, " leg%u.%s=%s:inline:%s", leg, name, suites[suite].name, b64);
	explicit_bzero(raw, sizeof(raw));
	explicit_bzero(b64, sizeof(b64));
	return r < 0 ? -1 : 0;
}

static void
fmt_remote(char *buf, size_t len, int ip6, const uint8_t *addr, uint16_t port)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(ip6 ? AF_INET6 : AF_INET, addr, a, sizeof(a));
	snprintf(buf, len, ip6 ? "[%s]:%u" : "%s:%u", a, port);
}

int
gen_write_script(const char *path, const struct gen_opts *o, const struct gen_session *s,
		 const char *comment, char *err, size_t err_len)
{
	static char iobuf[8192];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	FILE *f;
	int bad = 0;

	if (fd < 0) {
		set_err(err, err_len, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* an existing file keeps its mode through O_TRUNC: narrow it first */
	if (fchmod(fd, 0600) != 0 || (f = fdopen(fd, "w")) == NULL) {
		set_err(err, err_len, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	/* stdio's buffer holds key text: ours, zeroed after fclose */
	setvbuf(f, iobuf, _IOFBF, sizeof(iobuf));
	bad |= fprintf(f,
		       "# srtpgen: %u sessions for srtpfwd-ctl -f (keys inside: keep mode 0600)\n",
		       o->sessions) < 0;
	if (comment != NULL)
		bad |= fprintf(f, "# %s\n", comment) < 0;
	for (uint32_t i = 0; i < o->sessions && !bad; i++) {
		char remote[2][64];

		for (unsigned int l = 0; l < 2; l++)
			fmt_remote(remote[l], sizeof(remote[l]), o->ip6, o->peer[l],
				   gen_peer_port(o, i));
		bad |= fprintf(f, "create id=%" PRIu64, o->id + i) < 0;
		if (o->timeout_ms != 0)
			bad |= fprintf(f, " timeout=%u", o->timeout_ms) < 0;
		for (unsigned int l = 0; l < 2 && !bad; l++) {
			bad |= fprintf(f, " leg%u.addr=%u leg%u.port=%u leg%u.remote=%s", l,
				       o->addr_index[l], l, gen_local_port(o, i), l, remote[l]) < 0;
			if (o->suite[l] != GEN_PLAIN)
				bad |= put_key(f, l, "in", o->suite[l], &s[i].in[l]) != 0 ||
				       put_key(f, l, "out", o->suite[l], &s[i].out[l]) != 0;
		}
		bad |= fputc('\n', f) == EOF;
	}
	if (fclose(f) != 0)
		bad = 1;
	explicit_bzero(iobuf, sizeof(iobuf));
	if (bad) {
		set_err(err, err_len, "%s: write failed", path);
		return -1;
	}
	return 0;
}

/* ---- pcap ---- */

FILE *
gen_pcap_open(const char *path, char *err, size_t err_len)
{
	/* pcap file header: magic (microseconds), 2.4, zone 0, sigfigs 0,
	 * snaplen 65535, link type 1 (Ethernet); host byte order, as the
	 * magic tells readers */
	const struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t zone;
		uint32_t sigfigs, snaplen, linktype;
	} h = {0xa1b2c3d4, 2, 4, 0, 0, 65535, 1};
	FILE *f = fopen(path, "wb");

	if (f == NULL) {
		set_err(err, err_len, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fwrite(&h, sizeof(h), 1, f) != 1) {
		set_err(err, err_len, "%s: write failed", path);
		fclose(f);
		return NULL;
	}
	return f;
}

int
gen_pcap_write(FILE *f, uint64_t t_us, const uint8_t *frame, unsigned int len)
{
	const uint32_t r[4] = {(uint32_t)(t_us / 1000000), (uint32_t)(t_us % 1000000), len, len};

	return fwrite(r, sizeof(r), 1, f) == 1 && fwrite(frame, len, 1, f) == 1 ? 0 : -1;
}

/* ---- arguments ---- */

int
gen_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int v[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &tail) != 6)
		return -1;
	for (unsigned int k = 0; k < 6; k++)
		mac[k] = (uint8_t)v[k];
	return 0;
}

int
gen_parse_ip(const char *s, int ip6, uint8_t addr[16])
{
	memset(addr, 0, 16);
	return inet_pton(ip6 ? AF_INET6 : AF_INET, s, addr) == 1 ? 0 : -1;
}

int
gen_parse_suite(const char *s)
{
	if (strcmp(s, "plain") == 0)
		return GEN_PLAIN;
	return suite_by_name(s) >= 0 ? suite_by_name(s) : -2;
}

const char *
gen_suite_name(int suite)
{
	return suite == GEN_PLAIN ? "plain" : suites[suite].name;
}

/* ---- reading a script back (gen --script) ---- */

static int
b64_value(int c)
{
	const char *p = c != 0 ? strchr(B64, c) : NULL;

	return p != NULL ? (int)(p - B64) : -1;
}

/* Standard base64, '=' padding optional. @return the length, or -1. */
static long
b64_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	size_t len = 0, bits = 0;

	while (n > 0 && in[n - 1] == '=')
		n--;
	for (size_t k = 0; k < n; k++) {
		int v = b64_value((unsigned char)in[k]);

		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (len == cap)
				return -1;
			out[len++] = (uint8_t)(acc >> bits);
		}
	}
	return (long)len;
}

/* One create line of the srtpgen layout. */
struct script_line {
	uint64_t id;
	unsigned int addr[2], have_addr[2];
	uint16_t port[2], rport[2];
	int ip6[2], suite_in[2], suite_out[2];
	uint8_t remote[2][16];
	struct gen_key in[2], out[2];
};

/* SUITE:inline:BASE64 (no MKI: srtpgen writes none). */
static int
script_key(const char *v, int *suite, struct gen_key *k)
{
	const char *c = strchr(v, ':');
	char name[32];
	uint8_t raw[64];
	long n;
	int s;

	if (c == NULL || (size_t)(c - v) >= sizeof(name) || strncmp(c + 1, "inline:", 7) != 0)
		return -1;
	memcpy(name, v, (size_t)(c - v));
	name[c - v] = '\0';
	if ((s = suite_by_name(name)) < 0)
		return -1;
	n = b64_decode(c + 8, strlen(c + 8), raw, sizeof(raw));
	if (n != suites[s].key_len + suites[s].salt_len) {
		explicit_bzero(raw, sizeof(raw));
		return -1;
	}
	memset(k, 0, sizeof(*k));
	memcpy(k->key, raw, suites[s].key_len);
	memcpy(k->salt, raw + suites[s].key_len, suites[s].salt_len);
	explicit_bzero(raw, sizeof(raw));
	*suite = s;
	return 0;
}

static int
script_endpoint(const char *v, int *ip6, uint8_t addr[16], uint16_t *port)
{
	char host[64];
	const char *e;
	unsigned long p;
	char *end;

	if (v[0] == '[') {
		e = strchr(v, ']');
		if (e == NULL || e[1] != ':' || (size_t)(e - v - 1) >= sizeof(host))
			return -1;
		memcpy(host, v + 1, (size_t)(e - v - 1));
		host[e - v - 1] = '\0';
		e++;
		*ip6 = 1;
	} else {
		e = strrchr(v, ':');
		if (e == NULL || (size_t)(e - v) >= sizeof(host))
			return -1;
		memcpy(host, v, (size_t)(e - v));
		host[e - v] = '\0';
		*ip6 = 0;
	}
	p = strtoul(e + 1, &end, 10);
	if (*end != '\0' || p == 0 || p > 65535 || gen_parse_ip(host, *ip6, addr) != 0)
		return -1;
	*port = (uint16_t)p;
	return 0;
}

static int
script_parse_line(char *line, struct script_line *l)
{
	char *save = NULL, *t = strtok_r(line, " \t\r\n", &save);
	int have_id = 0;

	memset(l, 0, sizeof(*l));
	l->suite_in[0] = l->suite_in[1] = l->suite_out[0] = l->suite_out[1] = GEN_PLAIN;
	if (t == NULL || strcmp(t, "create") != 0)
		return -1;
	while ((t = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
		char *v = strchr(t, '=');
		unsigned int leg;

		if (v == NULL)
			return -1; /* flags (mux, latch, passthrough): not srtpgen's */
		*v++ = '\0';
		if (strcmp(t, "id") == 0) {
			l->id = strtoull(v, NULL, 10);
			have_id = 1;
			continue;
		}
		if (strcmp(t, "timeout") == 0)
			continue;
		if (strncmp(t, "leg", 3) != 0 || (t[3] != '0' && t[3] != '1') || t[4] != '.')
			return -1;
		leg = (unsigned int)(t[3] - '0');
		t += 5;
		if (strcmp(t, "addr") == 0) {
			l->addr[leg] = (unsigned int)strtoul(v, NULL, 10);
			l->have_addr[leg] = 1;
		} else if (strcmp(t, "port") == 0) {
			l->port[leg] = (uint16_t)strtoul(v, NULL, 10);
		} else if (strcmp(t, "remote") == 0) {
			if (script_endpoint(v, &l->ip6[leg], l->remote[leg], &l->rport[leg]) != 0)
				return -1;
		} else if (strcmp(t, "in") == 0 || strcmp(t, "out") == 0) {
			int r = t[0] == 'i' ? script_key(v, &l->suite_in[leg], &l->in[leg])
					    : script_key(v, &l->suite_out[leg], &l->out[leg]);

			explicit_bzero(v, strlen(v));
			if (r != 0)
				return -1;
		} else {
			return -1;
		}
	}
	for (unsigned int g = 0; g < 2; g++)
		if (!l->have_addr[g] || l->port[g] == 0 || l->rport[g] == 0 ||
		    l->suite_in[g] != l->suite_out[g])
			return -1;
	return have_id && l->ip6[0] == l->ip6[1] && l->port[0] == l->port[1] &&
			       l->rport[0] == l->rport[1]
		       ? 0
		       : -1;
}

struct gen_session *
gen_read_script(const char *path, struct gen_opts *o, char *err, size_t err_len)
{
	static char iobuf[8192], line[4100];
	struct gen_session *s = NULL;
	struct script_line l;
	unsigned int lineno = 0, n = 0, cap = 0;
	FILE *f = fopen(path, "r");
	int bad = 0;

	if (f == NULL) {
		set_err(err, err_len, "%s: %s", path, strerror(errno));
		return NULL;
	}
	setvbuf(f, iobuf, _IOFBF, sizeof(iobuf));
	while (!bad && fgets(line, sizeof(line), f) != NULL) {
		char *hash = strchr(line, '#');

		lineno++;
		if (hash != NULL)
			*hash = '\0';
		if (strspn(line, " \t\r\n") == strlen(line))
			continue;
		if (script_parse_line(line, &l) != 0) {
			set_err(err, err_len,
				"%s:%u: not a create line of srtpgen's layout (id=, legL.addr=, "
				"legL.port=, legL.remote=, legL.in=/out=)",
				path, lineno);
			bad = 1;
			break;
		}
		if (n == 0) {
			o->id = l.id;
			o->local_port = l.port[0];
			o->peer_port = l.rport[0];
			if (l.ip6[0] != o->ip6) {
				set_err(err, err_len, "%s: the sessions are IPv%d: give --ip %d",
					path, l.ip6[0] ? 6 : 4, l.ip6[0] ? 6 : 4);
				bad = 1;
				break;
			}
			for (unsigned int g = 0; g < 2; g++) {
				o->addr_index[g] = l.addr[g];
				memcpy(o->peer[g], l.remote[g], 16);
				o->suite[g] = l.suite_in[g];
			}
		}
		if (l.id != o->id + n || l.port[0] != o->local_port + 2 * n ||
		    l.rport[0] != o->peer_port + 2 * n || l.ip6[0] != o->ip6 ||
		    memcmp(l.remote[0], o->peer[0], 16) != 0 ||
		    memcmp(l.remote[1], o->peer[1], 16) != 0 || l.addr[0] != o->addr_index[0] ||
		    l.addr[1] != o->addr_index[1] || l.suite_in[0] != o->suite[0] ||
		    l.suite_in[1] != o->suite[1] || n == GEN_SESSIONS_MAX) {
			set_err(err, err_len,
				"%s:%u: session %u does not follow the first one's layout (id, "
				"ports + 2, addresses, suites)",
				path, lineno, n);
			bad = 1;
			break;
		}
		if (n == cap) {
			struct gen_session *grown;

			cap = cap ? 2 * cap : 64;
			grown = realloc(s, cap * sizeof(*s));
			if (grown == NULL) {
				set_err(err, err_len, "out of memory");
				bad = 1;
				break;
			}
			s = grown;
		}
		memset(&s[n], 0, sizeof(s[n]));
		s[n].index = n;
		memcpy(s[n].in, l.in, sizeof(l.in));
		memcpy(s[n].out, l.out, sizeof(l.out));
		n++;
	}
	explicit_bzero(&l, sizeof(l));
	explicit_bzero(line, sizeof(line));
	fclose(f);
	explicit_bzero(iobuf, sizeof(iobuf));
	o->sessions = n;
	if (!bad && n == 0) {
		set_err(err, err_len, "%s: no create line", path);
		bad = 1;
	}
	if (!bad &&
	    (gen_opts_check(o, err, err_len) != 0 || sessions_contexts(o, s, err, err_len) != 0))
		bad = 1;
	if (bad) {
		gen_sessions_free(o, s);
		return NULL;
	}
	return s;
}
