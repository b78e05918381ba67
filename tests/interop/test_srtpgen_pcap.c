/* test_srtpgen_pcap.c: what srtpgen's pcap mode writes, read back with
 * nothing of srtpgen's: its own pcap reader, its own parser of the
 * srtpfwd-ctl script (RFC 4568 inline keys, base64), libsrtp2 2.5 to
 * unprotect, and tests/csum.h for the checksums.
 *
 * argv[1] is the srtpgen binary. Each case runs `srtpgen pcap` into a
 * temporary directory and checks both pcaps frame by frame: Ethernet
 * addresses, IPv4 header and checksum or IPv6 header, UDP ports and
 * checksum (mandatory over IPv6), that the frame belongs to the session the
 * script gives that port, that it unprotects with that session's leg key
 * (and no longer does with one bit flipped), the RTP header (SSRCs
 * distinct across sessions and directions, sequence numbers and timestamps
 * consecutive), the payload bytes as srtpgen.h defines them, the pcap
 * times (ptime apart per session). Also: the script is mode 0600, holds a
 * create line per session with distinct ports, and no key it holds appears
 * in what srtpgen printed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../csum.h"
#include "../ref.h"
#include "../test.h"

#define SESSIONS 5
#define PACKETS 40
#define LINE_MAX_ 4096

static const char *SRTPGEN;
static char DIR_[64];

struct leg {
	unsigned int addr;
	uint16_t port, rport;
	uint8_t remote[16];
	int suite; /* enum suite, or -1 */
	uint8_t in[46], out[46]; /* key || salt, as decoded */
	char in_b64[80], out_b64[80];
};

struct sess {
	uint64_t id;
	struct leg leg[2];
};

struct expect {
	const char *name;
	const char *args; /* srtpgen options of the case */
	int ip6;
	int suite[2];
	unsigned int size, ptime_ms, clock_hz;
};

static int
b64v(int c)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c != 0 ? strchr(t, c) : NULL;

	return p != NULL ? (int)(p - t) : -1;
}

static long
b64dec(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s), len = 0, bits = 0;
	uint32_t acc = 0;

	while (n > 0 && s[n - 1] == '=')
		n--;
	for (size_t k = 0; k < n; k++) {
		int v = b64v((unsigned char)s[k]);

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

/* The script: one create line per session; @return the count. */
static int
read_script(const char *path, struct sess *s, int max)
{
	char line[LINE_MAX_];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *save = NULL, *t;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		t = strtok_r(line, " \n", &save);
		if (t == NULL || strcmp(t, "create") != 0 || n == max) {
			n = -1;
			break;
		}
		memset(&s[n], 0, sizeof(s[n]));
		s[n].leg[0].suite = s[n].leg[1].suite = -1;
		while ((t = strtok_r(NULL, " \n", &save)) != NULL) {
			char *v = strchr(t, '=');
			struct leg *l;

			if (v == NULL)
				continue;
			*v++ = '\0';
			if (strcmp(t, "id") == 0) {
				s[n].id = strtoull(v, NULL, 10);
				continue;
			}
			if (strncmp(t, "leg", 3) != 0)
				continue;
			l = &s[n].leg[t[3] == '1'];
			t += 5;
			if (strcmp(t, "addr") == 0) {
				l->addr = (unsigned int)atoi(v);
			} else if (strcmp(t, "port") == 0) {
				l->port = (uint16_t)atoi(v);
			} else if (strcmp(t, "remote") == 0) {
				char *c = strrchr(v, ':');

				*c = '\0';
				l->rport = (uint16_t)atoi(c + 1);
				if (v[0] == '[') {
					v[strlen(v) - 1] = '\0';
					inet_pton(AF_INET6, v + 1, l->remote);
				} else {
					inet_pton(AF_INET, v, l->remote);
				}
			} else if (strcmp(t, "in") == 0 || strcmp(t, "out") == 0) {
				/* SUITE:inline:BASE64 (RFC 4568 §6.1) */
				char *c = strchr(v, ':');
				int in = t[0] == 'i';

				*c = '\0';
				l->suite = suite_by_name(v);
				if (strncmp(c + 1, "inline:", 7) != 0 || l->suite < 0 ||
				    b64dec(c + 8, in ? l->in : l->out, 46) !=
					    suites[l->suite].key_len + suites[l->suite].salt_len)
					l->suite = -2;
				snprintf(in ? l->in_b64 : l->out_b64, 80, "%s", c + 8);
			}
		}
		n++;
	}
	fclose(f);
	return n;
}

struct frame {
	uint32_t sec, usec, len;
	uint8_t d[2048];
};

/* A classic pcap: header, then records. @return frames read, or -1. */
static int
read_pcap(const char *path, struct frame *fr, int max)
{
	FILE *f = fopen(path, "rb");
	uint32_t h[6], r[4];
	int n = 0;

	if (f == NULL || fread(h, sizeof(h), 1, f) != 1) {
		if (f != NULL)
			fclose(f);
		return -1;
	}
	/* magic (microseconds), version 2.4, snaplen, link type 1 Ethernet */
	if (h[0] != 0xa1b2c3d4 || (h[1] & 0xffff) != 2 || (h[1] >> 16) != 4 || h[5] != 1) {
		fclose(f);
		return -1;
	}
	while (n < max && fread(r, sizeof(r), 1, f) == 1) {
		if (r[2] != r[3] || r[2] > sizeof(fr[n].d) || fread(fr[n].d, r[2], 1, f) != 1) {
			n = -1;
			break;
		}
		fr[n].sec = r[0];
		fr[n].usec = r[1];
		fr[n].len = r[2];
		n++;
	}
	if (n >= 0 && fread(r, 1, 1, f) != 0)
		n = -1; /* more than expected */
	fclose(f);
	return n;
}

static unsigned int
rd16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) << 16 | rd16(p + 2);
}

/* The file's bytes contain @p needle? */
static int
file_has(const char *path, const char *needle)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static int
run_srtpgen(const char *prefix, const char *args, const char *out)
{
	char cmd[2048];
	int r;

	snprintf(cmd, sizeof(cmd), "%s pcap --out %s --sessions %d --packets %d %s > %s 2>&1",
		 SRTPGEN, prefix, SESSIONS, PACKETS, args, out);
	r = system(cmd);
	return r == -1 || !WIFEXITED(r) ? -1 : WEXITSTATUS(r);
}

static const uint8_t MAC_PEER[2][6] = {{2, 0x11, 0, 0, 0, 0xa2}, {2, 0x11, 0, 0, 0, 0xb2}};
static const uint8_t MAC_FWD[2][6] = {{2, 0x11, 0, 0, 0, 0xa1}, {2, 0x11, 0, 0, 0, 0xb1}};

/* One case: write, then check both directions. */
static void
check_case(const struct expect *e)
{
	static struct frame fr[SESSIONS * PACKETS + 1];
	static struct sess s[SESSIONS + 1];
	char prefix[128], path[160], out[160];
	uint32_t ssrcs[2 * SESSIONS];
	unsigned int n_ssrc = 0;
	uint8_t local[2][16];
	struct stat st;
	int n;

	memset(local, 0, sizeof(local));
	inet_pton(e->ip6 ? AF_INET6 : AF_INET, e->ip6 ? "2001:db8:a::1" : "192.0.2.1", local[0]);
	inet_pton(e->ip6 ? AF_INET6 : AF_INET, e->ip6 ? "2001:db8:b::1" : "198.51.100.1", local[1]);
	snprintf(prefix, sizeof(prefix), "%s/%s", DIR_, e->name);
	snprintf(out, sizeof(out), "%s.out", prefix);
	REQUIRE(run_srtpgen(prefix, e->args, out) == 0);

	snprintf(path, sizeof(path), "%s.ctl", prefix);
	REQUIRE(stat(path, &st) == 0);
	CHECK_EQ(st.st_mode & 0777, 0600);
	n = read_script(path, s, SESSIONS + 1);
	REQUIRE(n == SESSIONS);
	for (int i = 0; i < SESSIONS; i++) {
		CHECK_EQ(s[i].id, 7 + i);
		for (unsigned int l = 0; l < 2; l++) {
			const struct leg *g = &s[i].leg[l];

			CHECK_EQ(g->suite, e->suite[l]);
			CHECK_EQ(g->addr, l == 0 ? 4 : 5);
			CHECK_EQ(g->port, 21000 + 2 * i);
			CHECK_EQ(g->rport, 31000 + 2 * i);
			if (g->suite >= 0) {
				/* four keys per session, none the same, none printed */
				CHECK(memcmp(g->in, g->out, 16) != 0);
				CHECK(memcmp(g->in, s[i].leg[1 - l].in, 16) != 0);
				CHECK(i == 0 || memcmp(g->in, s[0].leg[l].in, 16) != 0);
				CHECK(!file_has(out, g->in_b64));
				CHECK(!file_has(out, g->out_b64));
			}
		}
	}
	for (unsigned int d = 0; d < 2; d++) {
		uint32_t count[SESSIONS] = {0}, ssrc_of[SESSIONS], ts0[SESSIONS];
		uint16_t seq0[SESSIONS];
		srtp_t rx[SESSIONS] = {
			NULL}; /* one inbound context per stream, as a receiver has */

		snprintf(path, sizeof(path), d == 0 ? "%s.pcap" : "%s-rev.pcap", prefix);
		n = read_pcap(path, fr, SESSIONS * PACKETS + 1);
		REQUIRE(n == SESSIONS * PACKETS);
		for (int f = 0; f < n; f++) {
			const uint8_t *p = fr[f].d, *ip = p + 14;
			const unsigned int l4 = 14 + (e->ip6 ? 40 : 20);
			const uint8_t *udp = p + l4, *src = ip + (e->ip6 ? 8 : 12),
				      *dst = ip + (e->ip6 ? 24 : 16);
			const unsigned int alen = e->ip6 ? 16 : 4;
			unsigned int udp_len = rd16(udp + 4), ts_step;
			uint8_t msg[2048], want[2048];
			int len, i = -1;
			uint32_t k, ssrc;
			srtp_t ctx;

			REQUIRE(fr[f].len == l4 + udp_len);
			CHECK_MEM(p, MAC_FWD[d], 6);
			CHECK_MEM(p + 6, MAC_PEER[d], 6);
			CHECK_EQ(rd16(p + 12), e->ip6 ? 0x86dd : 0x0800);
			if (e->ip6) {
				CHECK_EQ(ip[0] >> 4, 6);
				CHECK_EQ(rd16(ip + 4), udp_len);
				CHECK_EQ(ip[6], 17);
				CHECK_EQ(ip[7], 64);
				CHECK(rd16(udp + 6) != 0); /* RFC 8200 §8.1 */
			} else {
				CHECK_EQ(ip[0], 0x45);
				CHECK_EQ(rd16(ip + 2), 20 + udp_len);
				CHECK_EQ(rd16(ip + 6), 0x4000);
				CHECK_EQ(ip[9], 17);
				CHECK_EQ(ocsum_fold(ocsum_add(0, ip, 20)), 0xffff);
			}
			/* pseudo header + UDP (RFC 768) */
			{
				uint32_t sum = ocsum_add(0, src, alen);

				sum = ocsum_add(sum, dst, alen);
				sum += 17 + udp_len;
				CHECK_EQ(ocsum_fold(ocsum_add(sum, udp, udp_len)), 0xffff);
			}
			CHECK_MEM(dst, local[d], alen);
			for (int j = 0; j < SESSIONS; j++)
				if (rd16(udp + 2) == s[j].leg[d].port)
					i = j;
			REQUIRE(i >= 0);
			CHECK_MEM(src, s[i].leg[d].remote, alen);
			CHECK_EQ(rd16(udp), s[i].leg[d].rport);
			len = (int)udp_len - 8;
			memcpy(msg, udp + 8, (size_t)len);
			if (e->suite[d] >= 0) {
				const struct suite_info *si = &suites[e->suite[d]];
				uint8_t bad[2048];
				int bad_len = len;

				CHECK_EQ(len, 12 + (int)e->size + si->rtp_tag_len);
				if (count[i] == 0) {
					/* one flipped bit in the last byte: refused */
					memcpy(bad, msg, (size_t)len);
					bad[len - 1] ^= 1;
					ctx = ref_create((enum suite)e->suite[d], s[i].leg[d].in,
							 s[i].leg[d].in + si->key_len, 1, NULL, 0);
					CHECK(srtp_unprotect(ctx, bad, &bad_len) !=
					      srtp_err_status_ok);
					srtp_dealloc(ctx);
					rx[i] = ref_create((enum suite)e->suite[d], s[i].leg[d].in,
							   s[i].leg[d].in + si->key_len, 1, NULL,
							   0);
				}
				CHECK_EQ(srtp_unprotect(rx[i], msg, &len), srtp_err_status_ok);
			}
			REQUIRE(len == 12 + (int)e->size);
			k = count[i]++;
			ssrc = rd32(msg + 8);
			ts_step = e->clock_hz / 1000 * e->ptime_ms;
			CHECK_EQ(msg[0], 0x80);
			CHECK_EQ(msg[1], (k == 0 ? 0x80 : 0) | (e->size == 100 ? 111 : 0));
			if (k == 0) {
				/* distinct across sessions and directions */
				for (unsigned int x = 0; x < n_ssrc; x++)
					CHECK(ssrcs[x] != ssrc);
				ssrcs[n_ssrc++] = ssrc;
				ssrc_of[i] = ssrc;
				seq0[i] = (uint16_t)rd16(msg + 2);
				ts0[i] = rd32(msg + 4);
			} else {
				/* one stream: consecutive sequence numbers and timestamps */
				CHECK_EQ(ssrc, ssrc_of[i]);
				CHECK_EQ(rd16(msg + 2), (uint16_t)(seq0[i] + k));
				CHECK_EQ(rd32(msg + 4), ts0[i] + k * ts_step);
			}
			/* payload: i, k, 0 (no TSC in pcaps), then the pattern */
			memset(want, 0, 16);
			want[3] = (uint8_t)i;
			want[7] = (uint8_t)k;
			for (unsigned int j = 16; j < e->size; j++)
				want[j] = (uint8_t)(i * 7 + k * 13 + j);
			CHECK_MEM(msg + 12, want, e->size);
			/* time: packet k of session i at k * ptime + i * ptime / sessions */
			CHECK_EQ((uint64_t)fr[f].sec * 1000000 + fr[f].usec,
				 (uint64_t)k * e->ptime_ms * 1000 +
					 (uint64_t)i * e->ptime_ms * 1000 / SESSIONS);
		}
		for (int i = 0; i < SESSIONS; i++) {
			CHECK_EQ(count[i], PACKETS);
			if (rx[i] != NULL)
				srtp_dealloc(rx[i]);
		}
	}
	CHECK_EQ(n_ssrc, 2 * SESSIONS);
}

/* Common options: addresses and MACs of our own, so the checks above know
 * what to expect independently of srtpgen's defaults. */
#define V4 "--local0 192.0.2.1 --local1 198.51.100.1 --peer0 192.0.2.2 --peer1 198.51.100.2 "
#define V6                                                                                         \
	"--ip 6 --local0 2001:db8:a::1 --local1 2001:db8:b::1 --peer0 2001:db8:a::2 "              \
	"--peer1 2001:db8:b::2 "
#define COMMON                                                                                     \
	"--addr0 4 --addr1 5 --local-port 21000 --peer-port 31000 --id 7 "                         \
	"--peer0-mac 02:11:00:00:00:a2 --fwd0-mac 02:11:00:00:00:a1 "                              \
	"--peer1-mac 02:11:00:00:00:b2 --fwd1-mac 02:11:00:00:00:b1 "

TEST(v4_aes_cm_128_hmac_sha1_80)
{
	const struct expect e = {
		"v4cm", V4 COMMON,
		0,	{SUITE_AES_CM_128_HMAC_SHA1_80, SUITE_AES_CM_128_HMAC_SHA1_80},
		160,	20,
		8000};

	check_case(&e);
}

TEST(v6_aead_aes_128_gcm)
{
	const struct expect e = {"v6gcm", V6 COMMON "--suite AEAD_AES_128_GCM",
				 1,	  {SUITE_AEAD_AES_128_GCM, SUITE_AEAD_AES_128_GCM},
				 160,	  20,
				 8000};

	check_case(&e);
}

TEST(v4_plain_rtp)
{
	const struct expect e = {"v4plain", V4 COMMON "--suite plain", 0, {-1, -1}, 160, 20, 8000};

	check_case(&e);
}

TEST(v6_plain_rtp)
{
	const struct expect e = {"v6plain", V6 COMMON "--suite plain", 1, {-1, -1}, 160, 20, 8000};

	check_case(&e);
}

/* Opus-sized, 48 kHz, PT 111; decrypt on the way in, encrypt on the way out. */
TEST(v4_opus_gcm256_to_aes_cm_32)
{
	const struct expect e = {"v4opus",
				 V4 COMMON "--suite AEAD_AES_256_GCM --out-suite "
					   "AES_256_CM_HMAC_SHA1_32 --size 100 --clock 48000 --pt "
					   "111 --ptime 10",
				 0,
				 {SUITE_AEAD_AES_256_GCM, SUITE_AES_256_CM_HMAC_SHA1_32},
				 100,
				 10,
				 48000};

	check_case(&e);
}

TEST(v6_srtp_to_plain)
{
	const struct expect e = {"v6mixed", V6 COMMON "--out-suite plain",
				 1,	    {SUITE_AES_CM_128_HMAC_SHA1_80, -1},
				 160,	    20,
				 8000};

	check_case(&e);
}

/* Bad options: refused with exit code 2, nothing written. */
TEST(refused)
{
	static const char *const bad[] = {"--suite AES_CM_128_HMAC_SHA1_99",
					  "--size 15",
					  "--size 1401",
					  "--ip 5",
					  "--pt 72",
					  "--local-port 65530 --sessions 5",
					  "--peer0 fd01::2"};
	char prefix[128], out[160], path[200];

	for (unsigned int k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		snprintf(prefix, sizeof(prefix), "%s/bad%u", DIR_, k);
		snprintf(out, sizeof(out), "%s.out", prefix);
		CHECK_EQ(run_srtpgen(prefix, bad[k], out), 2);
		snprintf(path, sizeof(path), "%s.ctl", prefix);
		CHECK(access(path, F_OK) != 0);
		unlink(out);
	}
}

int
main(int argc, char **argv)
{
	char cmd[128];
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: test_srtpgen_pcap SRTPGEN\n");
		return 2;
	}
	SRTPGEN = argv[1];
	snprintf(DIR_, sizeof(DIR_), "/tmp/srtpgen_pcap.XXXXXX");
	if (mkdtemp(DIR_) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	rc = test_run_all();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", DIR_);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", DIR_);
	return rc;
}
