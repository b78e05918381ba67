/* test_ctl_server.c: the control server over real sockets. The server runs
 * in a thread of its own (the "control thread": the only one that touches
 * the sessions); the test is the client: libsrtpfwd-ctl for what a
 * controller does, raw sockets and OpenSSL directly for what a hostile or
 * broken client does.
 *
 * What workers would do to a session (latch, count packets, fail
 * authentication) is written by hand on the server thread (on_server()),
 * so the events come without a dataplane.
 *
 * Limits are small (LIM_*) so cut-offs take a few hundred ms. Every test
 * leaves no client connected; most check the server counters' deltas
 * (all of them: what is not named must not move) and the session count.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "control/ctl_events.h"
#include "control/ctl_server.h"
#include "control/ctl_stats.h"
#include "control/srtpfwd_ctl.h"
#include "engine.h"
#include "test.h"

#define LIM_CLIENTS 8
#define LIM_HANDSHAKE_MS 400
#define LIM_MESSAGE_MS 300
#define LIM_IDLE_MS 1200
#define LIM_STALL_MS 300

static struct sessions *SS;
static struct ctl_server *SRV;
static struct ctl_events *EV;
static struct ctl_stats_src SRC;
static volatile int STOP;
static char PATH[108];
static char DIR_[64]; /* certificates */
static char TLS_TARGET[32]; /* 127.0.0.1:port */

/* ---- the server thread, and running code on it ---- */

static pthread_mutex_t HOOK_MU = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t HOOK_CV = PTHREAD_COND_INITIALIZER;
static void (*HOOK)(void *);
static void *HOOK_ARG;

static void *
server_thread(void *arg)
{
	(void)arg;
	while (!STOP) {
		ctl_server_poll(SRV, 5);
		pthread_mutex_lock(&HOOK_MU);
		if (HOOK != NULL) {
			HOOK(HOOK_ARG);
			HOOK = NULL;
			pthread_cond_broadcast(&HOOK_CV);
		}
		pthread_mutex_unlock(&HOOK_MU);
		/* after the hook: what it wrote is seen by this very scan */
		ctl_events_scan(EV);
	}
	return NULL;
}

/* Run @p fn(@p arg) on the server thread, between two polls. */
static void
on_server(void (*fn)(void *), void *arg)
{
	struct timespec dl;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 5;
	pthread_mutex_lock(&HOOK_MU);
	HOOK = fn;
	HOOK_ARG = arg;
	while (HOOK != NULL)
		if (pthread_cond_timedwait(&HOOK_CV, &HOOK_MU, &dl) == ETIMEDOUT) {
			fprintf(stderr, "server thread did not run the hook in 5 s\n");
			abort();
		}
	pthread_mutex_unlock(&HOOK_MU);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- server counters ---- */

struct snap {
	struct ctl_server_stats st;
	uint32_t sessions;
};

static void
snap_hook(void *arg)
{
	struct snap *s = arg;

	ctl_server_stats(SRV, &s->st);
	s->sessions = sessions_count(SS);
}

static struct snap
snap(void)
{
	struct snap s;

	on_server(snap_hook, &s);
	return s;
}

/* The counters once @p n clients are connected (the server closes a
 * client after counting why: 0 clients means every count is in). */
static struct snap
settle(unsigned int n)
{
	struct snap s = snap();

	for (int i = 0; i < 300 && s.st.clients != n; i++) {
		usleep(10000);
		s = snap();
	}
	return s;
}

#define ANY UINT64_MAX /* a delta that depends on socket buffer sizes */

/* Every counter moved by exactly @p want (ANY: not checked), sessions by
 * @p dsess. */
static void
check_delta_at(int line, const struct snap *a, const struct snap *b,
	       const struct ctl_server_stats *want, int dsess)
{
#define F(f)                                                                                       \
	do {                                                                                       \
		test_checks++;                                                                     \
		if (want->f != ANY && b->st.f - a->st.f != want->f) {                              \
			test_failed_checks++;                                                      \
			fprintf(stderr, "%s:%d: counter " #f " moved by %llu, expected %llu\n",    \
				__FILE__, line, (unsigned long long)(b->st.f - a->st.f),           \
				(unsigned long long)want->f);                                      \
		}                                                                                  \
	} while (0)
	F(accepted);
	F(refused_full);
	F(tls_failed);
	F(requests);
	F(bad_messages);
	F(cut_slow);
	F(cut_idle);
	F(cut_stalled);
	F(events_sent);
	F(events_dropped);
#undef F
	test_checks++;
	if ((int)(b->sessions - a->sessions) != dsess) {
		test_failed_checks++;
		fprintf(stderr, "%s:%d: sessions moved by %d, expected %d\n", __FILE__, line,
			(int)(b->sessions - a->sessions), dsess);
	}
}
#define CHECK_DELTA(a, b, dsess, ...)                                                              \
	check_delta_at(__LINE__, &(a), &(b), &(struct ctl_server_stats){__VA_ARGS__}, dsess)

/* ---- library clients and sessions ---- */

static struct srtpfwd_ctl *
connect_unix(void)
{
	char err[256];
	struct srtpfwd_ctl *c = srtpfwd_ctl_connect(PATH, NULL, 2000, err, sizeof(err));

	if (c == NULL)
		fprintf(stderr, "connect: %s\n", err);
	return c;
}

static void
leg(struct srtpfwd_ctl_leg *l, uint8_t last, uint16_t port, uint32_t flags)
{
	memset(l, 0, sizeof(*l));
	l->remote_addr[0] = 198, l->remote_addr[1] = 51, l->remote_addr[2] = 100;
	l->remote_addr[3] = last;
	l->remote_port = port;
	l->flags = flags;
	if (flags & PROTO_LEG_SRTP) {
		l->in.suite = l->out.suite = 1;
		l->in.key_len = l->out.key_len = 16;
		l->in.salt_len = l->out.salt_len = 14;
		memset(l->in.key, 0xa5, 16);
		memset(l->out.key, 0x5a, 16);
	}
}

/* An SRTP leg and a plain one (or a latching one). */
static int
create(struct srtpfwd_ctl *c, uint64_t id, uint32_t timeout_ms, uint32_t leg1_flags, uint32_t *slot)
{
	struct srtpfwd_ctl_session s;
	uint16_t ports[2];

	memset(&s, 0, sizeof(s));
	s.id = id;
	s.timeout_ms = timeout_ms;
	leg(&s.leg[0], 1, 4000, PROTO_LEG_SRTP);
	leg(&s.leg[1], 2, leg1_flags & PROTO_LEG_LATCH ? 0 : 5000, leg1_flags);
	return srtpfwd_ctl_create(c, &s, slot, ports);
}

/* Counters as a GET or STATS reports them, in order. */
struct counters {
	unsigned int n;
	char name[64][32];
	uint64_t value[64];
};

static void
counter_cb(void *ctx, const char *name, uint64_t value)
{
	struct counters *k = ctx;

	if (k->n < 64) {
		snprintf(k->name[k->n], sizeof(k->name[0]), "%s", name);
		k->value[k->n++] = value;
	}
}

static int
counter_index(const struct counters *k, const char *name)
{
	for (unsigned int i = 0; i < k->n; i++)
		if (strcmp(k->name[i], name) == 0)
			return (int)i;
	return -1;
}

/* A session created before the hostile clients, checked intact after. */
static uint32_t INTACT_SLOT;
static struct srtpfwd_ctl_info INTACT_INFO;
static struct counters INTACT_CNT;

/* ---- raw unix clients ---- */

static int
raw_unix(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(sa.sun_path, PATH);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("raw connect");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int
send_all(int fd, const void *buf, size_t len)
{
	return send(fd, buf, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* @return 1 readable, 0 not within @p timeout_ms. */
static int
readable(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, timeout_ms) > 0;
}

/* Exactly @p len bytes. @return len, 0 at EOF, -1 on timeout or error. */
static long
read_full(int fd, uint8_t *buf, size_t len, int timeout_ms)
{
	int64_t dl = now_ms() + timeout_ms;
	size_t got = 0;

	while (got < len) {
		long n;

		if (!readable(fd, (int)(dl - now_ms() > 0 ? dl - now_ms() : 0)))
			return -1;
		n = recv(fd, buf + got, len - got, 0);
		if (n == 0)
			return 0;
		if (n < 0)
			return -1;
		got += (size_t)n;
	}
	return (long)len;
}

/* One message. @return its length, 0 at EOF, -1 on timeout or a broken one. */
static long
read_msg(int fd, uint8_t *buf, size_t cap, struct proto_hdr *h, int timeout_ms)
{
	char err[128];
	long r = read_full(fd, buf, PROTO_HDR_LEN, timeout_ms);

	if (r <= 0)
		return r;
	if (proto_hdr_parse(buf, PROTO_HDR_LEN, h, err, sizeof(err)) != 0 || h->length > cap) {
		fprintf(stderr, "server sent a broken header\n");
		return -1;
	}
	if (h->length > PROTO_HDR_LEN &&
	    read_full(fd, buf + PROTO_HDR_LEN, h->length - PROTO_HDR_LEN, timeout_ms) <= 0)
		return -1;
	return (long)h->length;
}

/* Ms until the server closed (what it sends first is read and dropped),
 * or -1 if it did not within @p timeout_ms. */
static long
ms_to_eof(int fd, int timeout_ms)
{
	int64_t t0 = now_ms(), dl = t0 + timeout_ms;
	uint8_t buf[4096];

	for (;;) {
		long n;

		if (!readable(fd, (int)(dl - now_ms() > 0 ? dl - now_ms() : 0)))
			return -1;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return (long)(now_ms() - t0);
		if (n < 0)
			return -1;
	}
}

static long
build_hello(uint8_t *buf, size_t cap, uint32_t id)
{
	struct proto_writer w;

	proto_begin(&w, buf, cap, PROTO_MSG_HELLO, 0, id, 0);
	proto_put_u8(&w, PROTO_A_VERSION_MIN, PROTO_VERSION);
	proto_put_u8(&w, PROTO_A_VERSION_MAX, PROTO_VERSION);
	return proto_finish(&w);
}

static long
build_get(uint8_t *buf, size_t cap, uint32_t id, uint32_t slot)
{
	struct proto_writer w;

	proto_begin(&w, buf, cap, PROTO_MSG_SESSION_GET, 0, id, 0);
	proto_put_u32(&w, PROTO_A_SLOT, slot);
	return proto_finish(&w);
}

/* A raw client that said HELLO and read the answer, or -1. */
static int
raw_hello(void)
{
	uint8_t buf[256];
	struct proto_hdr h;
	int fd = raw_unix();
	long n;

	if (fd < 0)
		return -1;
	n = build_hello(buf, sizeof(buf), 1);
	if (send_all(fd, buf, (size_t)n) != 0 || read_msg(fd, buf, sizeof(buf), &h, 2000) <= 0 ||
	    h.status != PROTO_ST_OK) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The ERROR_TEXT of a response, or "". */
static void
error_text(const uint8_t *msg, const struct proto_hdr *h, char *out, size_t cap)
{
	struct proto_iter it;
	struct proto_attr_view a;

	out[0] = '\0';
	proto_iter_init(&it, msg + PROTO_HDR_LEN, h->length - PROTO_HDR_LEN);
	while (proto_next(&it, &a) == 1)
		if (a.type == PROTO_A_ERROR_TEXT)
			snprintf(out, cap, "%.*s", (int)a.len, a.val);
}

/* ---- TLS material ---- */

static char *
dpath(char *buf, const char *file)
{
	snprintf(buf, 128, "%s/%s", DIR_, file);
	return buf;
}

/* A self-signed CA: @p name.key, @p name.crt. */
static int
make_ca(const char *name)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		 "-keyout %s.key -out %s.crt -days 2 -subj /CN=%s -addext "
		 "basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign "
		 ">/dev/null 2>&1",
		 DIR_, name, name, name);
	return system(cmd);
}

/* A key and a certificate @p name.crt for SAN DNS:@p san signed by @p ca. */
static int
issue(const char *name, const char *san, const char *ca)
{
	static unsigned int serial = 1;
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "cd %s && printf 'subjectAltName=DNS:%s\\n' > %s.ext && "
		 "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		 "-keyout %s.key -out %s.csr -subj /CN=%s 2>/dev/null && "
		 "openssl x509 -req -in %s.csr -CA %s.crt -CAkey %s.key -set_serial %u -days 2 "
		 "-extfile %s.ext -out %s.crt 2>/dev/null",
		 DIR_, san, name, name, name, san, name, ca, ca, ++serial, name, name);
	return system(cmd);
}

/* A client certificate for sip1.example from the right CA that expired
 * an hour ago (valid from two days ago): the openssl CLI of OpenSSL 3.0
 * cannot back-date. */
static int
issue_expired(void)
{
	char p[128];
	EVP_PKEY *cakey = NULL, *key = NULL;
	X509 *ca = NULL, *x = NULL;
	X509_EXTENSION *ext = NULL;
	X509V3_CTX v3;
	FILE *f;
	int ok = 0;

	if ((f = fopen(dpath(p, "ca.key"), "r")) != NULL) {
		cakey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	if ((f = fopen(dpath(p, "ca.crt"), "r")) != NULL) {
		ca = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	key = EVP_EC_gen("P-256");
	x = X509_new();
	if (cakey == NULL || ca == NULL || key == NULL || x == NULL)
		goto out;
	X509V3_set_ctx(&v3, ca, x, NULL, NULL, 0);
	if (X509_set_version(x, 2) != 1 || ASN1_INTEGER_set(X509_get_serialNumber(x), 99) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -2 * 86400) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), -3600) == NULL ||
	    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				       (const unsigned char *)"sip1.example", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, X509_get_subject_name(ca)) != 1 ||
	    X509_set_pubkey(x, key) != 1 ||
	    (ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "DNS:sip1.example")) ==
		    NULL ||
	    X509_add_ext(x, ext, -1) != 1 || X509_sign(x, cakey, EVP_sha256()) == 0)
		goto out;
	if ((f = fopen(dpath(p, "expired.crt"), "w")) == NULL)
		goto out;
	ok = PEM_write_X509(f, x);
	fclose(f);
	if ((f = fopen(dpath(p, "expired.key"), "w")) == NULL)
		goto out;
	ok = ok && PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
out:
	X509_EXTENSION_free(ext);
	X509_free(x);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(cakey);
	return ok ? 0 : -1;
}

static int
make_certs(void)
{
	if (make_ca("ca") != 0 || make_ca("otherca") != 0 ||
	    issue("server", "srtpfwd.test", "ca") != 0 ||
	    issue("good", "sip1.example", "ca") != 0 ||
	    issue("stranger", "sip2.example", "ca") != 0 ||
	    issue("foreign", "sip1.example", "otherca") != 0 || issue_expired() != 0) {
		fprintf(stderr, "could not make the test certificates in %s\n", DIR_);
		return -1;
	}
	return 0;
}

/* The certificate and key files of client @p who (good, stranger...). */
static void
client_files(const char *who, char cert[128], char key[128])
{
	snprintf(cert, 128, "%s/%s.crt", DIR_, who);
	snprintf(key, 128, "%s/%s.key", DIR_, who);
}

/* Library TLS connect as client @p who. */
static struct srtpfwd_ctl *
connect_tls(const char *who, const char *server_name, char *err, size_t err_len)
{
	char ca[128], cert[128], key[128];
	struct srtpfwd_ctl_tls t = {.ca_file = dpath(ca, "ca.crt"),
				    .cert_file = cert,
				    .key_file = key,
				    .server_name = server_name};

	client_files(who, cert, key);
	return srtpfwd_ctl_connect(TLS_TARGET, &t, 2000, err, err_len);
}

static int
tcp_connect(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(ctl_server_tls_port(SRV)),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = {.tv_sec = 3};

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("tcp connect");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* a refusal must come; this only bounds the test if it does not */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

enum { NOT_REFUSED, REFUSED_HANDSHAKE, REFUSED_FIRST_READ, CLIENT_BROKEN };

/* A TLS client driven with OpenSSL directly: what the library will not
 * be (no certificate, TLS 1.2). Says HELLO once connected. @return where
 * it was refused; @p why: OpenSSL's last error. */
static int
raw_tls(const char *who, int max_version, char *why, size_t why_len)
{
	char p[128], cert[128], key[128];
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;
	uint8_t buf[256];
	size_t n = 0;
	int fd = -1, r = CLIENT_BROKEN;
	long len;

	why[0] = '\0';
	if (ctx == NULL || SSL_CTX_load_verify_locations(ctx, dpath(p, "ca.crt"), NULL) != 1)
		goto out;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (max_version != 0 && SSL_CTX_set_max_proto_version(ctx, max_version) != 1)
		goto out;
	if (who != NULL) {
		client_files(who, cert, key);
		if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
			goto out;
	}
	fd = tcp_connect();
	if (fd < 0 || (ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 ||
	    SSL_set1_host(ssl, "srtpfwd.test") != 1)
		goto out;
	if (SSL_connect(ssl) != 1) {
		r = REFUSED_HANDSHAKE;
		goto out;
	}
	/* The write may fail (the server's close reset the connection)
	 * with its alert still to be read: the read says why either way. */
	len = build_hello(buf, sizeof(buf), 1);
	SSL_write_ex(ssl, buf, (size_t)len, &n);
	r = SSL_read_ex(ssl, buf, sizeof(buf), &n) == 1 ? NOT_REFUSED : REFUSED_FIRST_READ;
out:
	ERR_error_string_n(ERR_peek_last_error(), why, why_len);
	ERR_clear_error();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	return r;
}

/* ================================================================== */

TEST(create_get_list_stats_delete)
{
	struct srtpfwd_ctl *c = connect_unix();
	struct srtpfwd_ctl_session s;
	struct srtpfwd_ctl_info info;
	uint32_t slot = 0, slots[8], n = 0, next = 1;
	uint16_t ports[2] = {0, 0};

	REQUIRE(c != NULL);
	memset(&s, 0, sizeof(s));
	s.id = 4242;
	s.timeout_ms = 30000;
	leg(&s.leg[0], 1, 4000, PROTO_LEG_SRTP);
	leg(&s.leg[1], 2, 5000, 0);
	CHECK_EQ(srtpfwd_ctl_create(c, &s, &slot, ports), 0);
	CHECK(slot != 0);
	CHECK(ports[0] >= 20000 && ports[0] <= 20099 && ports[0] % 2 == 0);
	CHECK_EQ(srtpfwd_ctl_get(c, slot, &info, NULL, NULL), 0);
	CHECK_EQ(info.id, 4242);
	CHECK_EQ(info.timeout_ms, 30000);
	CHECK_EQ(info.leg[0].local_port, ports[0]);
	CHECK_EQ(info.leg[0].remote_port, 4000);
	CHECK_EQ(info.leg[0].suite_in, 1);
	CHECK_EQ(info.leg[1].suite_in, 0);
	CHECK_EQ(srtpfwd_ctl_list(c, 0, 8, slots, &n, &next), 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(slots[0], slot);
	CHECK_EQ(next, 0);
	CHECK_EQ(srtpfwd_ctl_delete(c, slot), 0);
	CHECK_EQ(srtpfwd_ctl_delete(c, slot), PROTO_ST_NO_SESSION);
	CHECK(strstr(srtpfwd_ctl_error(c), "no session in slot") != NULL);
	srtpfwd_ctl_close(c);
}

/* A key whose lengths exceed its arrays is refused by the client library
 * itself: nothing is sent (the library would otherwise read past the
 * arrays and send those bytes), the connection stays usable. */
TEST(client_refuses_oversized_key_lengths)
{
	struct srtpfwd_ctl *c = connect_unix();
	struct srtpfwd_ctl_session s;
	struct srtpfwd_ctl_update u;
	uint8_t buf[4096];
	uint32_t slot = 0;
	uint16_t ports[2];
	static const struct {
		uint8_t key_len, salt_len, mki_len;
		const char *why;
	} bad[] = {{33, 14, 0, "key_len above 32"},
		   {255, 14, 0, "key_len above 32"},
		   {16, 15, 0, "salt_len above 14"},
		   {16, 14, 17, "mki_len above 16"}};

	REQUIRE(c != NULL);
	for (unsigned int k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		memset(&s, 0, sizeof(s));
		s.id = 4300 + k;
		leg(&s.leg[0], 1, 4000, PROTO_LEG_SRTP);
		leg(&s.leg[1], 2, 5000, 0);
		s.leg[k % 2].out.suite = 1;
		s.leg[k % 2].out.key_len = bad[k].key_len;
		s.leg[k % 2].out.salt_len = bad[k].salt_len;
		s.leg[k % 2].out.mki_len = bad[k].mki_len;
		CHECK_EQ(srtpfwd_ctl_build_create(buf, sizeof(buf), 1, &s), -1);
		CHECK_EQ(srtpfwd_ctl_create(c, &s, &slot, ports), -1);
		CHECK(strstr(srtpfwd_ctl_error(c), bad[k].why) != NULL);
		memset(&u, 0, sizeof(u));
		u.in.suite = 1;
		u.in.key_len = bad[k].key_len;
		u.in.salt_len = bad[k].salt_len;
		u.in.mki_len = bad[k].mki_len;
		CHECK_EQ(srtpfwd_ctl_build_update(buf, sizeof(buf), 1, 1, 0, &u), -1);
		CHECK_EQ(srtpfwd_ctl_update(c, 1, 0, &u), -1);
		CHECK(strstr(srtpfwd_ctl_error(c), bad[k].why) != NULL);
	}
	/* the largest lengths allowed are built (the server judges them) */
	memset(&s, 0, sizeof(s));
	s.id = 4399;
	leg(&s.leg[0], 1, 4000, PROTO_LEG_SRTP);
	leg(&s.leg[1], 2, 5000, 0);
	s.leg[1].out = s.leg[0].in;
	s.leg[1].out.mki_len = 16;
	CHECK(srtpfwd_ctl_build_create(buf, sizeof(buf), 1, &s) > 0);
	/* and the connection is as it was: a good session goes through */
	leg(&s.leg[1], 2, 5000, 0);
	CHECK_EQ(srtpfwd_ctl_create(c, &s, &slot, ports), 0);
	CHECK_EQ(srtpfwd_ctl_delete(c, slot), 0);
	srtpfwd_ctl_close(c);
}

/* Made before the hostile clients; intact_after_all checks it. */
TEST(intact_session_create)
{
	struct srtpfwd_ctl *c = connect_unix();

	REQUIRE(c != NULL);
	CHECK_EQ(create(c, 777, 0, 0, &INTACT_SLOT), 0);
	CHECK_EQ(srtpfwd_ctl_get(c, INTACT_SLOT, &INTACT_INFO, counter_cb, &INTACT_CNT), 0);
	CHECK_EQ(INTACT_INFO.id, 777);
	CHECK_EQ(INTACT_CNT.n, 32); /* 6 per leg, 20 more for the SRTP one */
	srtpfwd_ctl_close(c);
	settle(0);
}

/* ---- TLS ---- */

TEST(tls_good_client)
{
	struct snap a = settle(0), b;
	struct srtpfwd_ctl_info info;
	char err[256];
	struct srtpfwd_ctl *c = connect_tls("good", "srtpfwd.test", err, sizeof(err));
	uint32_t slot = 0;

	if (c == NULL)
		fprintf(stderr, "tls connect: %s\n", err);
	REQUIRE(c != NULL);
	CHECK_EQ(create(c, 31337, 0, 0, &slot), 0);
	CHECK_EQ(srtpfwd_ctl_get(c, slot, &info, NULL, NULL), 0);
	CHECK_EQ(info.slot, slot);
	CHECK_EQ(info.id, 31337);
	CHECK_EQ(info.leg[0].remote_port, 4000);
	CHECK_EQ(info.leg[1].remote_port, 5000);
	CHECK_EQ(srtpfwd_ctl_delete(c, slot), 0);
	CHECK_EQ(srtpfwd_ctl_get(c, slot, &info, NULL, NULL), PROTO_ST_NO_SESSION);
	srtpfwd_ctl_close(c);
	b = settle(0);
	/* HELLO, CREATE, GET, DELETE, GET */
	CHECK_DELTA(a, b, 0, .accepted = 1, .requests = 5);
}

/* Each refusal: accepted, counted once as a failed handshake, no request
 * served, no session made, the connection closed. */
static void
check_refused(int line, const char *what, const struct snap *a, const char *err, const char *want)
{
	struct snap b = settle(0);

	check_delta_at(line, a, &b, &(struct ctl_server_stats){.accepted = 1, .tls_failed = 1}, 0);
	test_checks++;
	if (strstr(err, want) == NULL) {
		test_failed_checks++;
		fprintf(stderr, "%s:%d: %s: error text '%s' does not say '%s'\n", __FILE__, line,
			what, err, want);
	}
}

TEST(tls_refused_by_certificate)
{
	static const struct {
		const char *who, *server_name;
		const char *want; /* the error says so */
	} cases[] = {
		/* the server refuses the client's certificate: the library
		 * learns it from the alert that replaces the HELLO response */
		{"foreign", "srtpfwd.test", "alert unknown ca"},
		{"expired", "srtpfwd.test", "alert certificate expired"},
		{"stranger", "srtpfwd.test", "alert bad certificate"},
		/* the library refuses the server's */
		{"good", "other.test", "peer certificate: hostname mismatch"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct snap a = settle(0);
		char err[256] = "";
		struct srtpfwd_ctl *c =
			connect_tls(cases[i].who, cases[i].server_name, err, sizeof(err));

		CHECK(c == NULL);
		srtpfwd_ctl_close(c);
		printf("  %s -> %s\n", cases[i].who, err);
		check_refused(__LINE__, cases[i].who, &a, err, cases[i].want);
	}
}

TEST(tls_refused_without_certificate_or_tls13)
{
	struct snap a = settle(0);
	char why[256];
	int r;

	/* TLS 1.3: the client is done before the server has looked at its
	 * (empty) certificate; the alert arrives at its first read. */
	r = raw_tls(NULL, 0, why, sizeof(why));
	CHECK(r == REFUSED_HANDSHAKE || r == REFUSED_FIRST_READ);
	printf("  no certificate -> %s\n", why);
	check_refused(__LINE__, "no certificate", &a, why, "alert certificate required");

	a = settle(0);
	r = raw_tls("good", TLS1_2_VERSION, why, sizeof(why));
	CHECK_EQ(r, REFUSED_HANDSHAKE);
	printf("  TLS 1.2 -> %s\n", why);
	check_refused(__LINE__, "TLS 1.2", &a, why, "alert protocol version");

	/* the same client with TLS 1.3 allowed gets through */
	a = settle(0);
	CHECK_EQ(raw_tls("good", 0, why, sizeof(why)), NOT_REFUSED);
	{
		struct snap b = settle(0);

		CHECK_DELTA(a, b, 0, .accepted = 1, .requests = 1);
	}
}

TEST(tls_not_tls_and_slow_handshake)
{
	struct snap a = settle(0), b;
	static const char http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	int fd = tcp_connect();
	long ms;

	REQUIRE(fd >= 0);
	CHECK_EQ(send_all(fd, http, sizeof(http) - 1), 0);
	ms = ms_to_eof(fd, 2000);
	CHECK(ms >= 0 && ms < LIM_HANDSHAKE_MS);
	close(fd);
	b = settle(0);
	CHECK_DELTA(a, b, 0, .accepted = 1, .tls_failed = 1);

	/* connected, silent: cut once handshake_ms is over */
	a = b;
	fd = tcp_connect();
	REQUIRE(fd >= 0);
	ms = ms_to_eof(fd, 3000);
	CHECK(ms >= LIM_HANDSHAKE_MS - 20 && ms < LIM_HANDSHAKE_MS + 1000);
	close(fd);
	b = settle(0);
	CHECK_DELTA(a, b, 0, .accepted = 1, .tls_failed = 1, .cut_slow = 1);
}

/* ---- hostile clients on the unix socket ---- */

/* Send @p msg, expect a BAD_MESSAGE reply saying @p says, then EOF before
 * message_ms could have played a part. @p requests: 1 when the header
 * passed and the message was dispatched. */
static void
bad_framing(int line, const uint8_t *msg, size_t len, const char *says, uint64_t requests)
{
	struct snap a = settle(0), b;
	uint8_t buf[512];
	struct proto_hdr h;
	char text[256] = "";
	int fd = raw_unix();
	int64_t t0 = now_ms();
	long n, ms = -1;

	if (fd < 0)
		return;
	test_checks++;
	n = send_all(fd, msg, len) == 0 ? read_msg(fd, buf, sizeof(buf), &h, 2000) : -1;
	if (n > 0) {
		error_text(buf, &h, text, sizeof(text));
		ms = ms_to_eof(fd, 2000);
	}
	if (n <= 0 || h.status != PROTO_ST_BAD_MESSAGE || !(h.flags & PROTO_F_RESPONSE) ||
	    strstr(text, says) == NULL || ms < 0 || now_ms() - t0 >= LIM_MESSAGE_MS) {
		test_failed_checks++;
		fprintf(stderr, "%s:%d: expected BAD_MESSAGE '%s' then EOF at once\n", __FILE__,
			line, says);
	}
	close(fd);
	b = settle(0);
	check_delta_at(
		line, &a, &b,
		&(struct ctl_server_stats){.accepted = 1, .requests = requests, .bad_messages = 1},
		0);
}

TEST(hostile_framing)
{
	uint8_t m[64];
	long n;

	memset(m, 0xee, 32);
	bad_framing(__LINE__, m, 32, "version 238", 0);

	/* longer than PROTO_MSG_MAX: refused on its header, body never sent */
	build_get(m, sizeof(m), 7, 1);
	m[4] = 0, m[5] = 0x10, m[6] = 0, m[7] = 0; /* 1 MiB */
	bad_framing(__LINE__, m, PROTO_HDR_LEN, "length 1048576", 0);

	n = build_hello(m, sizeof(m), 1);
	m[7] = (uint8_t)(n + 2);
	memset(m + n, 0, 2);
	bad_framing(__LINE__, m, (size_t)n + 2, "not a multiple of 4", 0);

	/* a response sent to the server: a sound header, so dispatched */
	n = build_hello(m, sizeof(m), 1);
	m[3] = PROTO_F_RESPONSE;
	bad_framing(__LINE__, m, (size_t)n, "header", 1);
}

TEST(hostile_slow_and_idle)
{
	struct snap a = settle(0), b;
	uint8_t m[64];
	long ms, n;
	int fd;

	/* no HELLO at all */
	fd = raw_unix();
	REQUIRE(fd >= 0);
	ms = ms_to_eof(fd, 3000);
	CHECK(ms >= LIM_MESSAGE_MS - 20 && ms < LIM_MESSAGE_MS + 1000);
	close(fd);
	b = settle(0);
	CHECK_DELTA(a, b, 0, .accepted = 1, .cut_slow = 1);

	/* a message begun and never finished: a valid header for 64 KiB
	 * (the server makes room for it), then 8 bytes of it */
	a = b;
	fd = raw_hello();
	REQUIRE(fd >= 0);
	n = build_get(m, sizeof(m), 2, 1);
	m[4] = 0, m[5] = 1, m[6] = 0, m[7] = 0;
	CHECK_EQ(send_all(fd, m, (size_t)n), 0);
	ms = ms_to_eof(fd, 3000);
	CHECK(ms >= LIM_MESSAGE_MS - 20 && ms < LIM_MESSAGE_MS + 1000);
	close(fd);
	b = settle(0);
	CHECK_DELTA(a, b, 0, .accepted = 1, .requests = 1, .cut_slow = 1);

	/* HELLO, then nothing */
	a = b;
	fd = raw_hello();
	REQUIRE(fd >= 0);
	ms = ms_to_eof(fd, LIM_IDLE_MS + 2000);
	CHECK(ms >= LIM_IDLE_MS - 20 && ms < LIM_IDLE_MS + 1000);
	close(fd);
	b = settle(0);
	CHECK_DELTA(a, b, 0, .accepted = 1, .requests = 1, .cut_idle = 1);
}

/* Not hostile: a client that keeps requests flowing, written in pieces
 * that never end on a message boundary, is never "slow": each message is
 * finished well within message_ms, though the server always holds part of
 * the next one. */
TEST(pipelined_in_pieces_not_cut)
{
	struct snap a = settle(0), b;
	static uint8_t reqs[40 * 24 + 24];
	uint8_t m[2048];
	struct proto_hdr h;
	int64_t t0;
	size_t len = 0;
	int fd = raw_hello(), got = 0;

	REQUIRE(fd >= 0);
	for (uint32_t i = 0; i < 41; i++)
		len += (size_t)build_get(reqs + len, sizeof(reqs) - len, 10 + i, INTACT_SLOT);
	CHECK_EQ(send_all(fd, reqs, 12), 0);
	t0 = now_ms();
	/* half of the last GET, then the rest of one and half of the next */
	for (uint32_t i = 0; i < 40; i++) {
		usleep(15000);
		CHECK_EQ(send_all(fd, reqs + 12 + 24 * i, 24), 0);
		if (read_msg(fd, m, sizeof(m), &h, 2000) <= 0)
			break;
		CHECK_EQ(h.request_id, 10 + i);
		CHECK_EQ(h.status, PROTO_ST_OK);
		got++;
	}
	CHECK_EQ(got, 40);
	CHECK(now_ms() - t0 > 2 * LIM_MESSAGE_MS);
	close(fd);
	b = settle(0);
	CHECK_DELTA(a, b, 0, .accepted = 1, .requests = 41);
}

TEST(hostile_request_before_hello)
{
	struct snap a = settle(0), b;
	uint8_t m[2048];
	struct proto_hdr h;
	char text[128];
	int fd = raw_unix();
	long n;

	REQUIRE(fd >= 0);
	n = build_get(m, sizeof(m), 5, INTACT_SLOT);
	CHECK_EQ(send_all(fd, m, (size_t)n), 0);
	CHECK(read_msg(fd, m, sizeof(m), &h, 2000) > 0);
	CHECK_EQ(h.status, PROTO_ST_NO_HELLO);
	CHECK_EQ(h.request_id, 5);
	error_text(m, &h, text, sizeof(text));
	CHECK(strstr(text, "HELLO") != NULL);
	/* not cut off for it: HELLO, then the same request works */
	n = build_hello(m, sizeof(m), 6);
	CHECK_EQ(send_all(fd, m, (size_t)n), 0);
	CHECK(read_msg(fd, m, sizeof(m), &h, 2000) > 0);
	CHECK_EQ(h.status, PROTO_ST_OK);
	n = build_get(m, sizeof(m), 7, INTACT_SLOT);
	CHECK_EQ(send_all(fd, m, (size_t)n), 0);
	CHECK(read_msg(fd, m, sizeof(m), &h, 2000) > 0);
	CHECK_EQ(h.status, PROTO_ST_OK);
	CHECK_EQ(h.request_id, 7);
	close(fd);
	b = settle(0);
	CHECK_DELTA(a, b, 0, .accepted = 1, .requests = 3);
}

TEST(hostile_stalled_reader)
{
	struct snap a = settle(0), b;
	static uint8_t reqs[3000 * 24];
	struct srtpfwd_ctl_info info;
	struct srtpfwd_ctl *c;
	size_t len = 0, off = 0;
	int fd = raw_hello();

	REQUIRE(fd >= 0);
	for (uint32_t i = 0; i < 3000; i++)
		len += (size_t)build_get(reqs + len, sizeof(reqs) - len, 100 + i, INTACT_SLOT);
	/* as much as the socket takes; the server stops reading once its
	 * queue for us is full */
	while (off < len) {
		long k = send(fd, reqs + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (k <= 0)
			break;
		off += (size_t)k;
	}
	/* meanwhile another client is served as usual */
	c = connect_unix();
	REQUIRE(c != NULL);
	CHECK_EQ(srtpfwd_ctl_get(c, INTACT_SLOT, &info, NULL, NULL), 0);
	CHECK_EQ(info.id, INTACT_INFO.id);
	b = snap();
	CHECK_EQ(b.st.clients, 2);
	srtpfwd_ctl_close(c);
	b = settle(0);
	close(fd);
	CHECK_DELTA(a, b, 0, .accepted = 2, .requests = ANY, .cut_stalled = 1);
	/* HELLO and GET of the good client, the stalled one's HELLO, and
	 * more GETs than fit in the stalled client's queue, but not all */
	printf("  stalled client: %zu of 3000 GETs sent, %llu answered\n", off / 24,
	       (unsigned long long)(b.st.requests - a.st.requests - 3));
	CHECK(b.st.requests - a.st.requests - 3 >= (CTL_OUT_MAX - PROTO_MSG_MAX) / 2048);
	CHECK(b.st.requests - a.st.requests - 3 < off / 24);
}

TEST(hostile_too_many_clients)
{
	struct snap a = settle(0), b;
	int fd[LIM_CLIENTS + 2];

	/* with HELLO: only idle_ms could cut them while we count */
	for (int i = 0; i < LIM_CLIENTS; i++)
		fd[i] = raw_hello();
	b = settle(LIM_CLIENTS);
	CHECK_EQ(b.st.clients, LIM_CLIENTS);
	/* the extra ones are accepted and closed at once */
	for (int i = LIM_CLIENTS; i < LIM_CLIENTS + 2; i++) {
		long ms;

		fd[i] = raw_unix();
		ms = fd[i] >= 0 ? ms_to_eof(fd[i], 2000) : -1;
		CHECK(ms >= 0 && ms < LIM_MESSAGE_MS);
	}
	b = snap();
	CHECK_EQ(b.st.clients, LIM_CLIENTS);
	for (int i = 0; i < LIM_CLIENTS + 2; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	b = settle(0);
	CHECK_DELTA(a, b, 0, .accepted = LIM_CLIENTS, .requests = LIM_CLIENTS, .refused_full = 2);
	/* and room again */
	{
		struct srtpfwd_ctl *c = connect_unix();

		CHECK(c != NULL);
		srtpfwd_ctl_close(c);
	}
}

TEST(hostile_close_mid_response)
{
	struct snap a = settle(0), b;
	uint8_t m[16 * 1024];
	struct proto_hdr h;
	size_t len = 0;
	int fd, got = 0;

	/* requests, then our side shut: every answer still comes */
	fd = raw_unix();
	REQUIRE(fd >= 0);
	len = (size_t)build_hello(m, sizeof(m), 1);
	for (uint32_t i = 0; i < 3; i++)
		len += (size_t)build_get(m + len, sizeof(m) - len, 2 + i, INTACT_SLOT);
	CHECK_EQ(send_all(fd, m, len), 0);
	shutdown(fd, SHUT_WR);
	while (read_msg(fd, m, sizeof(m), &h, 2000) > 0 && got < 10)
		CHECK_EQ(h.request_id, (uint32_t)++got);
	CHECK_EQ(got, 4);
	close(fd);
	b = settle(0);
	CHECK_DELTA(a, b, 0, .accepted = 1, .requests = 4);

	/* requests, then gone before reading a byte of the answers */
	a = b;
	fd = raw_unix();
	REQUIRE(fd >= 0);
	len = (size_t)build_hello(m, sizeof(m), 1);
	for (uint32_t i = 0; i < 10; i++)
		len += (size_t)build_get(m + len, sizeof(m) - len, 2 + i, INTACT_SLOT);
	CHECK_EQ(send_all(fd, m, len), 0);
	close(fd);
	b = settle(0);
	CHECK_DELTA(a, b, 0, .accepted = 1, .requests = 11);

	/* many answers, a few bytes of them read, then gone */
	a = b;
	fd = raw_hello();
	REQUIRE(fd >= 0);
	{
		static uint8_t reqs[200 * 24];

		len = 0;
		for (uint32_t i = 0; i < 200; i++)
			len += (size_t)build_get(reqs + len, sizeof(reqs) - len, 2 + i,
						 INTACT_SLOT);
		CHECK_EQ(send_all(fd, reqs, len), 0);
	}
	CHECK_EQ(read_full(fd, m, 100, 2000), 100);
	close(fd);
	b = settle(0);
	CHECK_DELTA(a, b, 0, .accepted = 1, .requests = ANY);
}

/* ---- events ---- */

struct ev_hook {
	uint32_t slot;
	unsigned int what;
	uint64_t now;
	unsigned int expired;
};

enum { EV_AUTH, EV_KEY, EV_LATCH, EV_EXPIRE };

static void
event_hook(void *arg)
{
	struct ev_hook *e = arg;
	/* the worker's fields of a session: no worker runs here */
	struct session *s = (struct session *)(uintptr_t)sessions_get(SS, e->slot);
	struct leg *g;

	switch (e->what) {
	case EV_AUTH: s->leg[0].in.rtp.cnt.auth_fail += 12; break;
	case EV_KEY:
		s->leg[0].out.rtp.uses = SRTP_KEY_LIFETIME - 1000;
		s->leg[0].out.rtp.counted_keys = s->leg[0].out.keys;
		break;
	case EV_LATCH:
		g = &s->leg[1];
		seq_write_begin(&g->latch_seq);
		g->latch.epoch = g->cfg.epoch;
		g->latch.remote = (struct endpoint){.port = 6000, .addr = {203, 0, 113, 7}};
		seq_write_end(&g->latch_seq);
		break;
	case EV_EXPIRE: e->expired = sessions_expire(SS, e->now, ctl_events_timeout, EV); break;
	}
}

TEST(events)
{
	struct snap a = settle(0), b;
	struct srtpfwd_ctl *sub = connect_unix(), *other = connect_unix();
	struct srtpfwd_ctl_event ev;
	struct srtpfwd_ctl_info info;
	struct ev_hook h = {0};
	uint32_t slot = 0, tslot = 0;

	REQUIRE(sub != NULL && other != NULL);
	CHECK_EQ(srtpfwd_ctl_subscribe(sub, 1u << 12), PROTO_ST_BAD_ATTRIBUTE);
	CHECK_EQ(srtpfwd_ctl_error_attr(sub), PROTO_A_EVENT_MASK);
	CHECK(strstr(srtpfwd_ctl_error(sub), "EVENT_MASK 0x1000") != NULL);
	CHECK_EQ(srtpfwd_ctl_subscribe(sub, CTL_EVENTS_ALL), 0);
	CHECK_EQ(create(other, 900, 0, PROTO_LEG_LATCH, &slot), 0);
	CHECK_EQ(create(other, 901, 1000, 0, &tslot), 0);
	/* nothing happened yet */
	CHECK_EQ(srtpfwd_ctl_event(sub, &ev, 100), 0);

	h.slot = slot;
	h.what = EV_AUTH;
	on_server(event_hook, &h);
	REQUIRE(srtpfwd_ctl_event(sub, &ev, 2000) == 1);
	CHECK_EQ(ev.type, PROTO_MSG_EV_AUTH_FAILURES);
	CHECK_EQ(ev.slot, slot);
	CHECK_EQ(ev.id, 900);
	CHECK_EQ(ev.leg, 0);
	CHECK_EQ(ev.count, 12);

	h.what = EV_KEY;
	on_server(event_hook, &h);
	REQUIRE(srtpfwd_ctl_event(sub, &ev, 2000) == 1);
	CHECK_EQ(ev.type, PROTO_MSG_EV_KEY_LIFETIME);
	CHECK_EQ(ev.slot, slot);
	CHECK_EQ(ev.id, 900);
	CHECK_EQ(ev.leg, 0);
	CHECK_EQ(ev.count, 1000);

	h.what = EV_LATCH;
	on_server(event_hook, &h);
	REQUIRE(srtpfwd_ctl_event(sub, &ev, 2000) == 1);
	CHECK_EQ(ev.type, PROTO_MSG_EV_PEER_LATCHED);
	CHECK_EQ(ev.slot, slot);
	CHECK_EQ(ev.id, 900);
	CHECK_EQ(ev.leg, 1);
	CHECK_EQ(ev.remote_ip6, 0);
	CHECK_MEM(ev.remote_addr, ((uint8_t[16]){203, 0, 113, 7}), 16);
	CHECK_EQ(ev.remote_port, 6000);
	/* and GET reports where media goes now */
	CHECK_EQ(srtpfwd_ctl_get(other, slot, &info, NULL, NULL), 0);
	CHECK_EQ(info.leg[1].remote_port, 6000);
	CHECK_MEM(info.leg[1].remote_addr, ((uint8_t[4]){203, 0, 113, 7}), 4);

	/* expiry on a clock of our own: seen idle at t, not expired at
	 * t + timeout - 1, expired at t + timeout */
	h.what = EV_EXPIRE;
	h.now = 1000000;
	on_server(event_hook, &h);
	CHECK_EQ(h.expired, 0);
	h.now += 999;
	on_server(event_hook, &h);
	CHECK_EQ(h.expired, 0);
	h.now += 1;
	on_server(event_hook, &h);
	CHECK_EQ(h.expired, 1);
	REQUIRE(srtpfwd_ctl_event(sub, &ev, 2000) == 1);
	CHECK_EQ(ev.type, PROTO_MSG_EV_SESSION_TIMEOUT);
	CHECK_EQ(ev.slot, tslot);
	CHECK_EQ(ev.id, 901);
	CHECK_EQ(srtpfwd_ctl_get(other, tslot, &info, NULL, NULL), PROTO_ST_NO_SESSION);

	/* reported once each; the other client got none */
	CHECK_EQ(srtpfwd_ctl_event(sub, &ev, 100), 0);
	CHECK_EQ(srtpfwd_ctl_event(other, &ev, 100), 0);
	/* unsubscribed: a new burst goes unreported */
	CHECK_EQ(srtpfwd_ctl_subscribe(sub, 0), 0);
	h.what = EV_AUTH;
	on_server(event_hook, &h);
	CHECK_EQ(srtpfwd_ctl_event(sub, &ev, 100), 0);
	CHECK_EQ(srtpfwd_ctl_delete(other, slot), 0);
	srtpfwd_ctl_close(sub);
	srtpfwd_ctl_close(other);
	b = settle(0);
	/* sub: HELLO, 2 SUBSCRIBE refused and done, SUBSCRIBE 0; other:
	 * HELLO, 2 CREATE, 2 GET, DELETE */
	CHECK_DELTA(a, b, 0, .accepted = 2, .requests = 10, .events_sent = 4);
}

/* ---- LIST, STATS ---- */

TEST(list_paging)
{
	struct snap a = settle(0), s;
	struct srtpfwd_ctl *c = connect_unix();
	uint32_t mine[10], seen[32], n_seen = 0, cursor = 0, slots[3], n, next;
	int pages = 0;

	REQUIRE(c != NULL);
	for (unsigned int i = 0; i < 10; i++)
		CHECK_EQ(create(c, 5000 + i, 0, 0, &mine[i]), 0);
	s = snap();
	CHECK_EQ(s.sessions, 11); /* and the intact one */
	do {
		CHECK_EQ(srtpfwd_ctl_list(c, cursor, 3, slots, &n, &next), 0);
		CHECK(n <= 3);
		for (uint32_t i = 0; i < n && n_seen < 32; i++) {
			/* slots come in order: none twice */
			CHECK(n_seen == 0 || slots[i] > seen[n_seen - 1]);
			seen[n_seen++] = slots[i];
		}
		CHECK(next == 0 || n == 0 || next > slots[n - 1]);
		cursor = next;
		pages++;
	} while (cursor != 0 && pages < 20);
	CHECK_EQ(n_seen, 11);
	CHECK_EQ(pages, 4); /* 3 + 3 + 3 + 2: the last page, short, ends the walk */
	for (unsigned int i = 0; i < 10; i++) {
		int found = 0;

		for (uint32_t k = 0; k < n_seen; k++)
			found += seen[k] == mine[i];
		CHECK_EQ(found, 1);
	}
	{
		int found = 0;

		for (uint32_t k = 0; k < n_seen; k++)
			found += seen[k] == INTACT_SLOT;
		CHECK_EQ(found, 1);
	}
	/* LIMIT out of 1..1024 */
	CHECK_EQ(srtpfwd_ctl_list(c, 0, 0, slots, &n, &next), PROTO_ST_BAD_ATTRIBUTE);
	CHECK_EQ(srtpfwd_ctl_error_attr(c), PROTO_A_LIMIT);
	for (unsigned int i = 0; i < 10; i++)
		CHECK_EQ(srtpfwd_ctl_delete(c, mine[i]), 0);
	srtpfwd_ctl_close(c);
	s = settle(0);
	/* HELLO, 10 CREATE, the pages, the bad LIST, 10 DELETE */
	CHECK_DELTA(a, s, 0, .accepted = 1, .requests = 22 + (uint64_t)pages);
}

static void
write_counters_hook(void *arg)
{
	struct session *s = (struct session *)(uintptr_t)sessions_get(SS, *(uint32_t *)arg);

	s->leg[0].rx[0].packets = 7;
	s->leg[0].rx[0].bytes = 1400;
	s->leg[1].rx[1].dropped = 3;
	s->leg[0].in.rtp.cnt.replay = 5;
	s->leg[0].out.rtcp.cnt.packets = 2;
}

TEST(stats)
{
	struct snap a = settle(0), b;
	struct srtpfwd_ctl *c = connect_unix();
	struct counters k;
	uint32_t slot = 0;
	int i;

	REQUIRE(c != NULL);
	memset(&k, 0, sizeof(k));
	CHECK_EQ(srtpfwd_ctl_stats(c, 0, counter_cb, &k), 0);
	CHECK_EQ(counter_index(&k, "sessions"), 0);
	CHECK_EQ(k.value[0], 1);
	CHECK_EQ(counter_index(&k, "sessions_max"), 1);
	CHECK_EQ(k.value[1], 16);
	/* the control server's own counters, as srtpfwd reports them */
	i = counter_index(&k, "ctl.clients");
	CHECK(i >= 0 && k.value[i] == 1);
	CHECK(counter_index(&k, "ctl.tls_failed") >= 0);
	CHECK(counter_index(&k, "ctl.cut_stalled") >= 0);

	CHECK_EQ(create(c, 6000, 0, 0, &slot), 0);
	on_server(write_counters_hook, &slot);
	memset(&k, 0, sizeof(k));
	CHECK_EQ(srtpfwd_ctl_stats(c, slot, counter_cb, &k), 0);
	{
		static const char *const names[] = {
			"leg0.rtp.packets",	   "leg0.rtp.bytes",
			"leg0.rtp.dropped",	   "leg0.rtcp.packets",
			"leg0.rtcp.bytes",	   "leg0.rtcp.dropped",
			"leg0.srtp_in.packets",	   "leg0.srtp_in.bytes",
			"leg0.srtp_in.auth_fail",  "leg0.srtp_in.replay",
			"leg0.srtp_in.dropped",	   "leg0.srtcp_in.packets",
			"leg0.srtcp_in.bytes",	   "leg0.srtcp_in.auth_fail",
			"leg0.srtcp_in.replay",	   "leg0.srtcp_in.dropped",
			"leg0.srtp_out.packets",   "leg0.srtp_out.bytes",
			"leg0.srtp_out.auth_fail", "leg0.srtp_out.replay",
			"leg0.srtp_out.dropped",   "leg0.srtcp_out.packets",
			"leg0.srtcp_out.bytes",	   "leg0.srtcp_out.auth_fail",
			"leg0.srtcp_out.replay",   "leg0.srtcp_out.dropped",
			"leg1.rtp.packets",	   "leg1.rtp.bytes",
			"leg1.rtp.dropped",	   "leg1.rtcp.packets",
			"leg1.rtcp.bytes",	   "leg1.rtcp.dropped",
		};
		static const struct {
			const char *name;
			uint64_t v;
		} set[] = {{"leg0.rtp.packets", 7},
			   {"leg0.rtp.bytes", 1400},
			   {"leg1.rtcp.dropped", 3},
			   {"leg0.srtp_in.replay", 5},
			   {"leg0.srtcp_out.packets", 2}};

		CHECK_EQ(k.n, sizeof(names) / sizeof(names[0]));
		for (unsigned int j = 0; j < k.n && j < sizeof(names) / sizeof(names[0]); j++) {
			uint64_t want = 0;

			test_checks++;
			if (strcmp(k.name[j], names[j]) != 0) {
				test_failed_checks++;
				fprintf(stderr, "counter %u: '%s', expected '%s'\n", j, k.name[j],
					names[j]);
			}
			for (unsigned int q = 0; q < sizeof(set) / sizeof(set[0]); q++)
				if (strcmp(set[q].name, names[j]) == 0)
					want = set[q].v;
			CHECK_EQ(k.value[j], want);
		}
	}
	/* a slot with no session */
	CHECK_EQ(srtpfwd_ctl_delete(c, slot), 0);
	CHECK_EQ(srtpfwd_ctl_stats(c, slot, counter_cb, &k), PROTO_ST_NO_SESSION);
	srtpfwd_ctl_close(c);
	b = settle(0);
	/* HELLO, STATS, CREATE, STATS slot, DELETE, STATS slot */
	CHECK_DELTA(a, b, 0, .accepted = 1, .requests = 6);
}

static int
same_info(const struct srtpfwd_ctl_info *a, const struct srtpfwd_ctl_info *b)
{
	if (a->slot != b->slot || a->id != b->id || a->timeout_ms != b->timeout_ms)
		return 0;
	for (unsigned int l = 0; l < 2; l++) {
		const struct srtpfwd_ctl_leg_info *x = &a->leg[l], *y = &b->leg[l];

		if (x->local_addr != y->local_addr || x->local_port != y->local_port ||
		    x->remote_ip6 != y->remote_ip6 || memcmp(x->remote_addr, y->remote_addr, 16) ||
		    x->remote_port != y->remote_port || x->flags != y->flags ||
		    x->dscp != y->dscp || x->suite_in != y->suite_in ||
		    x->suite_out != y->suite_out)
			return 0;
	}
	return 1;
}

/* After everything above: served as ever, the first session untouched. */
TEST(intact_after_all)
{
	struct snap a = settle(0), b;
	struct srtpfwd_ctl *c = connect_unix();
	struct srtpfwd_ctl_info info;
	struct counters k;
	char err[256];

	REQUIRE(c != NULL);
	memset(&k, 0, sizeof(k));
	CHECK_EQ(srtpfwd_ctl_get(c, INTACT_SLOT, &info, counter_cb, &k), 0);
	CHECK(same_info(&info, &INTACT_INFO));
	CHECK_EQ(k.n, INTACT_CNT.n);
	CHECK_MEM(k.name, INTACT_CNT.name, sizeof(k.name));
	CHECK_MEM(k.value, INTACT_CNT.value, sizeof(k.value));
	srtpfwd_ctl_close(c);
	c = connect_tls("good", "srtpfwd.test", err, sizeof(err));
	CHECK(c != NULL);
	if (c != NULL)
		CHECK_EQ(srtpfwd_ctl_get(c, INTACT_SLOT, &info, NULL, NULL), 0);
	srtpfwd_ctl_close(c);
	b = settle(0);
	CHECK_DELTA(a, b, 0, .accepted = 2, .requests = 4);
}

int
main(void)
{
	struct sessions_config cfg;
	struct ctl_server_config sc;
	struct ctl_env env;
	struct worker *w = engine_worker();
	pthread_t th;
	char err[256], p[3][128], cmd[160];
	int bad;

	snprintf(DIR_, sizeof(DIR_), "/tmp/srtpfwd-test-ctl.XXXXXX");
	if (mkdtemp(DIR_) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	if (make_certs() != 0)
		return 1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.port_min = 20000;
	cfg.port_max = 20099;
	cfg.max_sessions = 16;
	cfg.n_addrs = 1;
	cfg.addrs[0].addr[0] = 192, cfg.addrs[0].addr[2] = 2, cfg.addrs[0].addr[3] = 10;
	SS = sessions_new(&cfg, NULL, w->crypto.mgr, err, sizeof(err));
	if (SS == NULL)
		return 1;
	snprintf(PATH, sizeof(PATH), "%s/ctl.sock", DIR_);
	memset(&sc, 0, sizeof(sc));
	sc.unix_path = PATH;
	sc.tls_listen = "127.0.0.1:0";
	sc.tls.ca_file = dpath(p[0], "ca.crt");
	sc.tls.cert_file = dpath(p[1], "server.crt");
	sc.tls.key_file = dpath(p[2], "server.key");
	sc.tls.allowed_names[0] = "sip1.example";
	sc.tls.n_allowed = 1;
	sc.max_clients = LIM_CLIENTS;
	sc.handshake_ms = LIM_HANDSHAKE_MS;
	sc.message_ms = LIM_MESSAGE_MS;
	sc.idle_ms = LIM_IDLE_MS;
	sc.stall_ms = LIM_STALL_MS;
	env = (struct ctl_env){.ss = SS, .stats = ctl_stats_put, .stats_arg = &SRC};
	SRV = ctl_server_new(&sc, &env, err, sizeof(err));
	if (SRV == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	SRC.srv = SRV;
	snprintf(TLS_TARGET, sizeof(TLS_TARGET), "127.0.0.1:%u", ctl_server_tls_port(SRV));
	EV = ctl_events_new(SS, SRV);
	pthread_create(&th, NULL, server_thread, NULL);
	bad = test_run_all();
	STOP = 1;
	pthread_join(th, NULL);
	ctl_events_free(EV);
	ctl_server_free(SRV);
	sessions_free(SS);
	engine_worker_free(w);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", DIR_);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", DIR_);
	return bad;
}
