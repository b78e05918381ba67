/* ctl_client.c: libsrtpfwd-ctl (see srtpfwd_ctl.h). */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clock_ms.h"
#include "ctl_addr.h"
#include "ctl_tls.h"
#include "srtpfwd_ctl.h"

#define EVENTS_QUEUED 256

struct srtpfwd_ctl {
	int fd;
	int timeout_ms;
	struct ctl_tls_ctx *tls_ctx;
	struct ctl_tls *tls;
	uint32_t next_id;
	uint16_t err_attr;
	char err[256];
	/* bytes received and not yet returned */
	uint8_t *in;
	size_t in_len;
	/* events that arrived while a response was awaited */
	struct srtpfwd_ctl_event ev[EVENTS_QUEUED];
	unsigned int ev_head, ev_n;
	uint64_t ev_lost;
	uint8_t req[PROTO_MSG_MAX];
	uint8_t rsp[PROTO_MSG_MAX];
};

#define FAIL(c, ...) (snprintf((c)->err, sizeof((c)->err), __VA_ARGS__), (c)->err_attr = 0, -1)

/* Wait for the socket until @p deadline (ms, monotonic). 1 ready, 0 timed out. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	int64_t left = deadline - clock_ms();
	int r;

	if (left < 0)
		left = 0;
	do
		r = poll(&p, 1, (int)left);
	while (r < 0 && errno == EINTR);
	return r > 0;
}

static long
raw_read(struct srtpfwd_ctl *c, void *buf, size_t len, int64_t deadline)
{
	for (;;) {
		long n;

		if (c->tls != NULL) {
			n = ctl_tls_read(c->tls, buf, len);
			if (n != CTL_TLS_AGAIN)
				return n;
			if (!wait_fd(c->fd, ctl_tls_want_write(c->tls) ? POLLOUT : POLLIN,
				     deadline))
				return CTL_TLS_AGAIN;
			continue;
		}
		n = recv(c->fd, buf, len, MSG_DONTWAIT);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -1;
		if (!wait_fd(c->fd, POLLIN, deadline))
			return CTL_TLS_AGAIN;
	}
}

int
srtpfwd_ctl_send(struct srtpfwd_ctl *c, const uint8_t *msg, size_t len)
{
	int64_t deadline = clock_ms() + c->timeout_ms;
	size_t off = 0;

	while (off < len) {
		long n;

		if (c->tls != NULL) {
			n = ctl_tls_write(c->tls, msg + off, len - off);
			if (n == CTL_TLS_AGAIN) {
				if (!wait_fd(c->fd, ctl_tls_want_write(c->tls) ? POLLOUT : POLLIN,
					     deadline))
					return FAIL(c, "send: timed out after %d ms",
						    c->timeout_ms);
				continue;
			}
		} else {
			n = send(c->fd, msg + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				if (!wait_fd(c->fd, POLLOUT, deadline))
					return FAIL(c, "send: timed out after %d ms",
						    c->timeout_ms);
				continue;
			}
		}
		if (n <= 0 && c->tls != NULL) {
			uint8_t b[64];

			/* A server that refused our certificate said why in an
			 * alert before it closed: read it (the connection is
			 * done with anyway). */
			ctl_tls_read(c->tls, b, sizeof(b));
			return FAIL(c, "send: %s", ctl_tls_error(c->tls));
		}
		if (n <= 0)
			return FAIL(c, "send: connection lost");
		off += (size_t)n;
	}
	return 0;
}

/* One whole message into c->rsp. @return its length, 0 on timeout, -1. */
static long
recv_msg(struct srtpfwd_ctl *c, struct proto_hdr *h, int timeout_ms)
{
	int64_t deadline = clock_ms() + timeout_ms;
	char perr[160];

	for (;;) {
		long n;

		if (c->in_len >= PROTO_HDR_LEN) {
			if (proto_hdr_parse(c->in, c->in_len, h, perr, sizeof(perr)) != 0)
				return FAIL(c, "server sent a broken header: %s", perr);
			if (c->in_len >= h->length) {
				memcpy(c->rsp, c->in, h->length);
				memmove(c->in, c->in + h->length, c->in_len - h->length);
				c->in_len -= h->length;
				return (long)h->length;
			}
		}
		n = raw_read(c, c->in + c->in_len, PROTO_MSG_MAX * 2 - c->in_len, deadline);
		if (n == CTL_TLS_AGAIN)
			return 0;
		if (n == 0)
			return FAIL(c, "the server closed the connection");
		if (n < 0)
			return FAIL(c, "receive: %s",
				    c->tls != NULL ? ctl_tls_error(c->tls) : "connection lost");
		c->in_len += (size_t)n;
	}
}

static int decode_event(const uint8_t *msg, const struct proto_hdr *h,
			struct srtpfwd_ctl_event *ev);

long
srtpfwd_ctl_recv(struct srtpfwd_ctl *c, uint8_t *buf, size_t cap, struct proto_hdr *h,
		 int timeout_ms)
{
	int64_t deadline = clock_ms() + timeout_ms;

	for (;;) {
		int left = (int)(deadline - clock_ms());
		long n = recv_msg(c, h, left < 0 ? 0 : left);

		if (n <= 0)
			return n;
		if (h->type >= PROTO_EVENT_FIRST && !(h->flags & PROTO_F_RESPONSE)) {
			struct srtpfwd_ctl_event ev;

			if (decode_event(c->rsp, h, &ev) == 0) {
				if (c->ev_n == EVENTS_QUEUED) {
					c->ev_head = (c->ev_head + 1) % EVENTS_QUEUED;
					c->ev_n--;
					c->ev_lost++;
				}
				c->ev[(c->ev_head + c->ev_n++) % EVENTS_QUEUED] = ev;
			}
			continue;
		}
		if (!(h->flags & PROTO_F_RESPONSE))
			return FAIL(c, "server sent a request (type 0x%02x)", h->type);
		if ((size_t)n > cap)
			return FAIL(c, "response of %ld bytes, buffer of %zu", n, cap);
		memcpy(buf, c->rsp, (size_t)n);
		return n;
	}
}

/* Send c->req (built by @p w) and wait for its response in c->rsp.
 * @return 0, the status, or -1. The request buffer is zeroed (keys). */
static int
call(struct srtpfwd_ctl *c, struct proto_writer *w, struct proto_hdr *h)
{
	long len = proto_finish(w);
	uint32_t id = proto_rd32(c->req + 8);
	int r;

	if (len < 0)
		return FAIL(c, "request does not fit in %d bytes", PROTO_MSG_MAX);
	r = srtpfwd_ctl_send(c, c->req, (size_t)len);
	explicit_bzero(c->req, (size_t)len);
	if (r != 0)
		return -1;
	for (;;) {
		long n = srtpfwd_ctl_recv(c, c->rsp, sizeof(c->rsp), h, c->timeout_ms);

		if (n == 0)
			return FAIL(c, "no response within %d ms", c->timeout_ms);
		if (n < 0)
			return -1;
		if (h->request_id == id)
			break;
		/* a response to a request sent with srtpfwd_ctl_send: not ours */
	}
	c->err[0] = '\0';
	c->err_attr = 0;
	if (h->status != PROTO_ST_OK) {
		struct proto_iter it;
		struct proto_attr_view a;

		snprintf(c->err, sizeof(c->err), "%s", proto_status_name(h->status));
		proto_iter_init(&it, c->rsp + PROTO_HDR_LEN, h->length - PROTO_HDR_LEN);
		while (proto_next(&it, &a) == 1) {
			if (a.type == PROTO_A_ERROR_TEXT)
				snprintf(c->err, sizeof(c->err), "%s: %.*s",
					 proto_status_name(h->status), (int)a.len, a.val);
			else if (a.type == PROTO_A_ERROR_ATTR && a.len == 2)
				c->err_attr = proto_rd16(a.val);
		}
		return h->status;
	}
	return 0;
}

static void
begin(struct srtpfwd_ctl *c, struct proto_writer *w, uint8_t type)
{
	if (++c->next_id == 0)
		c->next_id = 1;
	proto_begin(w, c->req, sizeof(c->req), type, 0, c->next_id, 0);
}

static int
hello(struct srtpfwd_ctl *c)
{
	struct proto_writer w;
	struct proto_hdr h;

	begin(c, &w, PROTO_MSG_HELLO);
	proto_put_u8(&w, PROTO_A_VERSION_MIN, PROTO_VERSION);
	proto_put_u8(&w, PROTO_A_VERSION_MAX, PROTO_VERSION);
	proto_put_str(&w, PROTO_A_NAME, "libsrtpfwd-ctl");
	return call(c, &w, &h);
}

static int
connect_unix(const char *path, int timeout_ms, char *err, size_t err_len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = timeout_ms % 1000 * 1000};
	const struct timeval zero = {0, 0};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, err_len, "%s: path too long", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* A blocking unix connect waits, while the server's listen backlog
	 * is full, for as long as the send timeout says: forever unless
	 * set. The timeout is cleared again: sends poll for themselves. */
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &zero, sizeof(zero)) != 0) {
		snprintf(err, err_len, "%s: %s", path,
			 errno == EAGAIN ? "timed out (the server accepts no connection)"
					 : strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int
connect_tcp(const char *target, int timeout_ms, char *err, size_t err_len)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	char host[256];
	const char *port;
	int fd = -1, r;

	if (ctl_split_hostport(target, host, sizeof(host), &port) != 0) {
		snprintf(err, err_len,
			 target[0] == '[' ? "%s: need [V6]:PORT"
					  : "%s: need HOST:PORT or a unix socket path",
			 target);
		return -1;
	}
	r = getaddrinfo(host, port, &hints, &res);
	if (r != 0) {
		snprintf(err, err_len, "%s: %s", target, gai_strerror(r));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && wait_fd(fd, POLLOUT, clock_ms() + timeout_ms))) {
			int e = 0;
			socklen_t el = sizeof(e);

			getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
			if (e == 0) {
				/* small requests, pipelined: not held back for an ACK */
				int one = 1;

				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				break;
			}
			errno = e;
		} else if (errno == EINPROGRESS) {
			errno = ETIMEDOUT;
		}
		snprintf(err, err_len, "%s: %s", target, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

struct srtpfwd_ctl *
srtpfwd_ctl_connect(const char *target, const struct srtpfwd_ctl_tls *tls, int timeout_ms,
		    char *err, size_t err_len)
{
	struct srtpfwd_ctl *c;
	int is_unix = strncmp(target, "unix:", 5) == 0 || strchr(target, '/') != NULL;

	if (!is_unix && tls == NULL) {
		snprintf(err, err_len, "%s: TCP needs TLS (a CA, a certificate and a key)", target);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->in = malloc(PROTO_MSG_MAX * 2)) == NULL) {
		free(c);
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
	c->fd = is_unix ? connect_unix(target + (strncmp(target, "unix:", 5) == 0 ? 5 : 0),
				       c->timeout_ms, err, err_len)
			: connect_tcp(target, c->timeout_ms, err, err_len);
	if (c->fd < 0)
		goto fail;
	if (!is_unix) {
		struct ctl_tls_config cfg = {.ca_file = tls->ca_file,
					     .cert_file = tls->cert_file,
					     .key_file = tls->key_file,
					     .server_name = tls->server_name};
		int64_t deadline = clock_ms() + c->timeout_ms;
		int r;

		c->tls_ctx = ctl_tls_client_new(&cfg, err, err_len);
		if (c->tls_ctx == NULL)
			goto fail;
		c->tls = ctl_tls_new(c->tls_ctx, c->fd);
		if (c->tls == NULL) {
			snprintf(err, err_len, "out of memory");
			goto fail;
		}
		while ((r = ctl_tls_handshake(c->tls, err, err_len)) == CTL_TLS_AGAIN)
			if (!wait_fd(c->fd, ctl_tls_want_write(c->tls) ? POLLOUT : POLLIN,
				     deadline)) {
				snprintf(err, err_len, "%s: TLS handshake timed out", target);
				goto fail;
			}
		if (r != 1)
			goto fail;
	}
	if (hello(c) != 0) {
		/* With TLS 1.3 a client certificate the server refuses shows
		 * here, as an alert in place of the HELLO response. */
		snprintf(err, err_len, "%s: HELLO: %s", target, c->err);
		goto fail;
	}
	return c;
fail:
	srtpfwd_ctl_close(c);
	return NULL;
}

void
srtpfwd_ctl_close(struct srtpfwd_ctl *c)
{
	if (c == NULL)
		return;
	ctl_tls_free(c->tls);
	ctl_tls_ctx_free(c->tls_ctx);
	if (c->fd >= 0)
		close(c->fd);
	free(c->in);
	explicit_bzero(c, sizeof(*c));
	free(c);
}

const char *
srtpfwd_ctl_error(const struct srtpfwd_ctl *c)
{
	return c->err;
}

uint16_t
srtpfwd_ctl_error_attr(const struct srtpfwd_ctl *c)
{
	return c->err_attr;
}

int
srtpfwd_ctl_fd(const struct srtpfwd_ctl *c)
{
	return c->fd;
}

/* ---- encoding ---- */

/* The lengths a caller gave fit the key's arrays (they are read as
 * given: a larger one would send bytes from beyond them). The server
 * checks them against the suite. @return NULL or what is wrong. */
static const char *
key_lengths_bad(const struct srtpfwd_ctl_key *k)
{
	if (k->suite == 0)
		return NULL;
	if (k->key_len > sizeof(k->key))
		return "key_len above 32";
	if (k->salt_len > sizeof(k->salt))
		return "salt_len above 14";
	if (k->mki_len > sizeof(k->mki))
		return "mki_len above 16";
	return NULL;
}

/* The first of a direction pair's keys that is bad, or NULL. */
static const char *
pair_lengths_bad(const struct srtpfwd_ctl_key *in, const struct srtpfwd_ctl_key *out)
{
	const char *why = key_lengths_bad(in);

	return why != NULL ? why : key_lengths_bad(out);
}

static const char *
session_keys_bad(const struct srtpfwd_ctl_session *s)
{
	const char *why = pair_lengths_bad(&s->leg[0].in, &s->leg[0].out);

	return why != NULL ? why : pair_lengths_bad(&s->leg[1].in, &s->leg[1].out);
}

static void
put_key(struct proto_writer *w, uint16_t attr, const struct srtpfwd_ctl_key *k)
{
	if (k->suite == 0)
		return;
	proto_nest_begin(w, attr);
	proto_put_u8(w, PROTO_A_SUITE, k->suite);
	proto_put(w, PROTO_A_MASTER_KEY, k->key, k->key_len);
	proto_put(w, PROTO_A_MASTER_SALT, k->salt, k->salt_len);
	if (k->mki_len != 0)
		proto_put(w, PROTO_A_MKI, k->mki, k->mki_len);
	proto_nest_end(w);
}

static void
put_create(struct proto_writer *w, const struct srtpfwd_ctl_session *s)
{
	proto_put_u64(w, PROTO_A_SESSION_ID, s->id);
	proto_put_u32(w, PROTO_A_TIMEOUT_MS, s->timeout_ms);
	for (unsigned int l = 0; l < 2; l++) {
		const struct srtpfwd_ctl_leg *g = &s->leg[l];

		proto_nest_begin(w, PROTO_A_LEG);
		proto_put_u8(w, PROTO_A_LEG_INDEX, (uint8_t)l);
		proto_put_u8(w, PROTO_A_LOCAL_ADDR, g->local_addr);
		if (g->local_port != 0)
			proto_put_u16(w, PROTO_A_LOCAL_PORT, g->local_port);
		proto_put(w, PROTO_A_REMOTE_ADDR, g->remote_addr, g->remote_ip6 ? 16 : 4);
		proto_put_u16(w, PROTO_A_REMOTE_PORT, g->remote_port);
		proto_put_u32(w, PROTO_A_LEG_FLAGS, g->flags);
		if (g->dscp != 0)
			proto_put_u8(w, PROTO_A_DSCP, g->dscp);
		put_key(w, PROTO_A_KEY_IN, &g->in);
		put_key(w, PROTO_A_KEY_OUT, &g->out);
		proto_nest_end(w);
	}
}

long
srtpfwd_ctl_build_create(uint8_t *buf, size_t cap, uint32_t request_id,
			 const struct srtpfwd_ctl_session *s)
{
	struct proto_writer w;

	if (session_keys_bad(s) != NULL)
		return -1;
	proto_begin(&w, buf, cap, PROTO_MSG_SESSION_CREATE, 0, request_id, 0);
	put_create(&w, s);
	return proto_finish(&w);
}

/* ---- requests ---- */

static const uint8_t *
attrs_of(const struct srtpfwd_ctl *c, const struct proto_hdr *h, size_t *len)
{
	*len = h->length - PROTO_HDR_LEN;
	return c->rsp + PROTO_HDR_LEN;
}

int
srtpfwd_ctl_create(struct srtpfwd_ctl *c, const struct srtpfwd_ctl_session *s, uint32_t *slot,
		   uint16_t local_port[2])
{
	struct proto_writer w;
	struct proto_hdr h;
	struct proto_iter it, lt;
	struct proto_attr_view a, b;
	const uint8_t *attrs;
	size_t alen;
	const char *why;
	int r;

	if ((why = session_keys_bad(s)) != NULL)
		return FAIL(c, "CREATE not sent: %s", why);
	begin(c, &w, PROTO_MSG_SESSION_CREATE);
	put_create(&w, s);
	r = call(c, &w, &h);
	if (r != 0)
		return r;
	*slot = 0;
	attrs = attrs_of(c, &h, &alen);
	proto_iter_init(&it, attrs, alen);
	while (proto_next(&it, &a) == 1) {
		if (a.type == PROTO_A_SLOT && a.len == 4)
			*slot = proto_rd32(a.val);
		if (a.type != PROTO_A_LEG || local_port == NULL)
			continue;
		unsigned int idx = 2;
		uint16_t port = 0;

		proto_iter_init(&lt, a.val, a.len);
		while (proto_next(&lt, &b) == 1) {
			if (b.type == PROTO_A_LEG_INDEX && b.len == 1)
				idx = b.val[0];
			else if (b.type == PROTO_A_LOCAL_PORT && b.len == 2)
				port = proto_rd16(b.val);
		}
		if (idx < 2)
			local_port[idx] = port;
	}
	if (*slot == 0)
		return FAIL(c, "CREATE response without a SLOT");
	return 0;
}

static void
put_update(struct proto_writer *w, uint32_t slot, unsigned int leg,
	   const struct srtpfwd_ctl_update *u)
{
	proto_put_u32(w, PROTO_A_SLOT, slot);
	proto_nest_begin(w, PROTO_A_LEG);
	proto_put_u8(w, PROTO_A_LEG_INDEX, (uint8_t)leg);
	if (u->has_remote) {
		proto_put(w, PROTO_A_REMOTE_ADDR, u->remote_addr, u->remote_ip6 ? 16 : 4);
		proto_put_u16(w, PROTO_A_REMOTE_PORT, u->remote_port);
	}
	put_key(w, PROTO_A_KEY_IN, &u->in);
	put_key(w, PROTO_A_KEY_OUT, &u->out);
	if (u->end_overlap)
		proto_put(w, PROTO_A_END_OVERLAP, NULL, 0);
	proto_nest_end(w);
}

int
srtpfwd_ctl_update(struct srtpfwd_ctl *c, uint32_t slot, unsigned int leg,
		   const struct srtpfwd_ctl_update *u)
{
	struct proto_writer w;
	struct proto_hdr h;
	const char *why;

	if ((why = pair_lengths_bad(&u->in, &u->out)) != NULL)
		return FAIL(c, "UPDATE not sent: %s", why);
	begin(c, &w, PROTO_MSG_SESSION_UPDATE);
	put_update(&w, slot, leg, u);
	return call(c, &w, &h);
}

long
srtpfwd_ctl_build_update(uint8_t *buf, size_t cap, uint32_t request_id, uint32_t slot,
			 unsigned int leg, const struct srtpfwd_ctl_update *u)
{
	struct proto_writer w;

	if (pair_lengths_bad(&u->in, &u->out) != NULL)
		return -1;
	proto_begin(&w, buf, cap, PROTO_MSG_SESSION_UPDATE, 0, request_id, 0);
	put_update(&w, slot, leg, u);
	return proto_finish(&w);
}

long
srtpfwd_ctl_build_delete(uint8_t *buf, size_t cap, uint32_t request_id, uint32_t slot)
{
	struct proto_writer w;

	proto_begin(&w, buf, cap, PROTO_MSG_SESSION_DELETE, 0, request_id, 0);
	proto_put_u32(&w, PROTO_A_SLOT, slot);
	return proto_finish(&w);
}

uint32_t
srtpfwd_ctl_response_slot(const uint8_t *msg, const struct proto_hdr *h)
{
	struct proto_iter it;
	struct proto_attr_view a;

	if (h->length < PROTO_HDR_LEN)
		return 0;
	proto_iter_init(&it, msg + PROTO_HDR_LEN, h->length - PROTO_HDR_LEN);
	while (proto_next(&it, &a) == 1)
		if (a.type == PROTO_A_SLOT && a.len == 4)
			return proto_rd32(a.val);
	return 0;
}

static int
slot_request(struct srtpfwd_ctl *c, uint8_t type, uint32_t slot, struct proto_hdr *h)
{
	struct proto_writer w;

	begin(c, &w, type);
	if (slot != 0 || type != PROTO_MSG_STATS)
		proto_put_u32(&w, PROTO_A_SLOT, slot);
	return call(c, &w, h);
}

int
srtpfwd_ctl_delete(struct srtpfwd_ctl *c, uint32_t slot)
{
	struct proto_hdr h;

	return slot_request(c, PROTO_MSG_SESSION_DELETE, slot, &h);
}

static void
counter(const struct proto_attr_view *a, srtpfwd_ctl_counter_fn fn, void *ctx)
{
	struct proto_iter it;
	struct proto_attr_view b;
	char name[128] = "";
	uint64_t v = 0;
	int have = 0;

	proto_iter_init(&it, a->val, a->len);
	while (proto_next(&it, &b) == 1) {
		if (b.type == PROTO_A_COUNTER_NAME && b.len < sizeof(name)) {
			memcpy(name, b.val, b.len);
			name[b.len] = '\0';
		} else if (b.type == PROTO_A_COUNTER_VALUE && b.len == 8) {
			v = proto_rd64(b.val);
			have = 1;
		}
	}
	if (have && name[0] != '\0' && fn != NULL)
		fn(ctx, name, v);
}

static void
addr_of(const struct proto_attr_view *a, uint8_t *ip6, uint8_t addr[16])
{
	memset(addr, 0, 16);
	*ip6 = a->len == 16;
	if (a->len == 4 || a->len == 16)
		memcpy(addr, a->val, a->len);
}

static void
leg_info(const struct proto_attr_view *a, struct srtpfwd_ctl_info *info)
{
	struct proto_iter it, kt;
	struct proto_attr_view b, k;
	struct srtpfwd_ctl_leg_info l;
	unsigned int idx = 2;

	memset(&l, 0, sizeof(l));
	proto_iter_init(&it, a->val, a->len);
	while (proto_next(&it, &b) == 1) {
		switch (b.type) {
		case PROTO_A_LEG_INDEX: idx = b.len == 1 ? b.val[0] : 2; break;
		case PROTO_A_LOCAL_ADDR: l.local_addr = b.len == 1 ? b.val[0] : 0; break;
		case PROTO_A_LOCAL_PORT: l.local_port = b.len == 2 ? proto_rd16(b.val) : 0; break;
		case PROTO_A_REMOTE_ADDR: addr_of(&b, &l.remote_ip6, l.remote_addr); break;
		case PROTO_A_REMOTE_PORT: l.remote_port = b.len == 2 ? proto_rd16(b.val) : 0; break;
		case PROTO_A_LEG_FLAGS: l.flags = b.len == 4 ? proto_rd32(b.val) : 0; break;
		case PROTO_A_DSCP: l.dscp = b.len == 1 ? b.val[0] : 0; break;
		case PROTO_A_KEY_IN:
		case PROTO_A_KEY_OUT:
			proto_iter_init(&kt, b.val, b.len);
			while (proto_next(&kt, &k) == 1)
				if (k.type == PROTO_A_SUITE && k.len == 1)
					*(b.type == PROTO_A_KEY_IN ? &l.suite_in : &l.suite_out) =
						k.val[0];
			break;
		default: break;
		}
	}
	if (idx < 2)
		info->leg[idx] = l;
}

int
srtpfwd_ctl_get(struct srtpfwd_ctl *c, uint32_t slot, struct srtpfwd_ctl_info *info,
		srtpfwd_ctl_counter_fn fn, void *ctx)
{
	struct proto_hdr h;
	struct proto_iter it;
	struct proto_attr_view a;
	const uint8_t *attrs;
	size_t alen;
	int r = slot_request(c, PROTO_MSG_SESSION_GET, slot, &h);

	if (r != 0)
		return r;
	memset(info, 0, sizeof(*info));
	attrs = attrs_of(c, &h, &alen);
	proto_iter_init(&it, attrs, alen);
	while (proto_next(&it, &a) == 1) {
		switch (a.type) {
		case PROTO_A_SLOT: info->slot = a.len == 4 ? proto_rd32(a.val) : 0; break;
		case PROTO_A_SESSION_ID: info->id = a.len == 8 ? proto_rd64(a.val) : 0; break;
		case PROTO_A_TIMEOUT_MS:
			info->timeout_ms = a.len == 4 ? proto_rd32(a.val) : 0;
			break;
		case PROTO_A_LEG: leg_info(&a, info); break;
		case PROTO_A_COUNTER: counter(&a, fn, ctx); break;
		default: break;
		}
	}
	return 0;
}

int
srtpfwd_ctl_list(struct srtpfwd_ctl *c, uint32_t cursor, uint32_t max, uint32_t *slots, uint32_t *n,
		 uint32_t *next)
{
	struct proto_writer w;
	struct proto_hdr h;
	struct proto_iter it;
	struct proto_attr_view a;
	const uint8_t *attrs;
	size_t alen;
	int r;

	begin(c, &w, PROTO_MSG_SESSION_LIST);
	proto_put_u32(&w, PROTO_A_CURSOR, cursor);
	proto_put_u32(&w, PROTO_A_LIMIT, max);
	r = call(c, &w, &h);
	if (r != 0)
		return r;
	*n = 0;
	*next = 0;
	attrs = attrs_of(c, &h, &alen);
	proto_iter_init(&it, attrs, alen);
	while (proto_next(&it, &a) == 1) {
		if (a.type == PROTO_A_SLOT && a.len == 4 && *n < max)
			slots[(*n)++] = proto_rd32(a.val);
		else if (a.type == PROTO_A_CURSOR && a.len == 4)
			*next = proto_rd32(a.val);
	}
	return 0;
}

int
srtpfwd_ctl_stats(struct srtpfwd_ctl *c, uint32_t slot, srtpfwd_ctl_counter_fn fn, void *ctx)
{
	struct proto_hdr h;
	struct proto_iter it;
	struct proto_attr_view a;
	const uint8_t *attrs;
	size_t alen;
	int r = slot_request(c, PROTO_MSG_STATS, slot, &h);

	if (r != 0)
		return r;
	attrs = attrs_of(c, &h, &alen);
	proto_iter_init(&it, attrs, alen);
	while (proto_next(&it, &a) == 1)
		if (a.type == PROTO_A_COUNTER)
			counter(&a, fn, ctx);
	return 0;
}

int
srtpfwd_ctl_subscribe(struct srtpfwd_ctl *c, uint32_t mask)
{
	struct proto_writer w;
	struct proto_hdr h;

	begin(c, &w, PROTO_MSG_SUBSCRIBE);
	proto_put_u32(&w, PROTO_A_EVENT_MASK, mask);
	return call(c, &w, &h);
}

static int
decode_event(const uint8_t *msg, const struct proto_hdr *h, struct srtpfwd_ctl_event *ev)
{
	struct proto_iter it;
	struct proto_attr_view a;

	memset(ev, 0, sizeof(*ev));
	ev->type = h->type;
	proto_iter_init(&it, msg + PROTO_HDR_LEN, h->length - PROTO_HDR_LEN);
	while (proto_next(&it, &a) == 1) {
		switch (a.type) {
		case PROTO_A_SLOT: ev->slot = a.len == 4 ? proto_rd32(a.val) : 0; break;
		case PROTO_A_SESSION_ID: ev->id = a.len == 8 ? proto_rd64(a.val) : 0; break;
		case PROTO_A_LEG_INDEX: ev->leg = a.len == 1 ? a.val[0] : 0; break;
		case PROTO_A_REMOTE_ADDR: addr_of(&a, &ev->remote_ip6, ev->remote_addr); break;
		case PROTO_A_REMOTE_PORT:
			ev->remote_port = a.len == 2 ? proto_rd16(a.val) : 0;
			break;
		case PROTO_A_EVENT_COUNT: ev->count = a.len == 8 ? proto_rd64(a.val) : 0; break;
		default: break;
		}
	}
	return 0;
}

int
srtpfwd_ctl_event(struct srtpfwd_ctl *c, struct srtpfwd_ctl_event *ev, int timeout_ms)
{
	int64_t deadline = clock_ms() + timeout_ms;
	struct proto_hdr h;

	while (c->ev_n == 0) {
		int left = (int)(deadline - clock_ms());
		long n = recv_msg(c, &h, left < 0 ? 0 : left);

		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (h.type >= PROTO_EVENT_FIRST && !(h.flags & PROTO_F_RESPONSE) &&
		    decode_event(c->rsp, &h, ev) == 0)
			return 1;
		/* a stray response to a pipelined request: dropped */
	}
	*ev = c->ev[c->ev_head];
	c->ev_head = (c->ev_head + 1) % EVENTS_QUEUED;
	c->ev_n--;
	return 1;
}
