/* metrics.c: the Prometheus endpoint (see metrics.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_log.h>

#include "clock_ms.h"
#include "ctl_addr.h"
#include "ctl_stats.h"
#include "log_limit.h"
#include "metrics.h"

RTE_LOG_REGISTER(metrics_logtype, srtpfwd.metrics, INFO);

/* One line per event, never one per request: at most LOG_LIMIT_PER_S lines a
 * second, then a count of what was not logged (log_limit.h). */
#define LOG(m, level, ...)                                                                         \
	do {                                                                                       \
		if (log_limit_allow(&(m)->log, metrics_logtype, "srtpfwd.metrics"))                \
			rte_log(RTE_LOG_##level, metrics_logtype,                                  \
				"srtpfwd.metrics: " __VA_ARGS__);                                  \
	} while (0)

#define ACCEPT_BURST 16 /* connects taken per poll */
#define DRAIN_MS 1000 /* after the response: read and discard, so closing sends no RST */

enum client_state { READING, WRITING, DRAINING };

struct client {
	int fd;
	enum client_state state;
	int64_t since_ms; /* accepted */
	int64_t drain_ms; /* DRAINING since */
	size_t in_len;
	struct metrics_buf out;
	size_t out_off;
	char peer[64];
	char in[METRICS_REQ_MAX];
};

struct metrics {
	struct metrics_config cfg;
	const struct ctl_stats_src *src;
	int fd;
	uint16_t port;
	struct client *clients; /* max_clients, dense */
	unsigned int n_clients;
	struct pollfd *pfd; /* 1 + max_clients */
	struct metrics_stats st;
	struct ctl_counters *counters; /* a copy per scrape */
	struct log_limit log;
};

/* ---- the request head: a pure function ---- */

static int
is_tchar(unsigned char c)
{
	/* RFC 9110 §5.6.2 token characters */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* The end of the head (the byte after its empty line), or 0 if not there. */
static size_t
head_end(const char *b, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (b[i] != '\n')
			continue;
		if (i + 1 < len && b[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && b[i + 1] == '\r' && b[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

enum metrics_verdict
metrics_http_parse(const char *buf, size_t len)
{
	const unsigned char *b = (const unsigned char *)buf;
	size_t end, i = 0, m_len, t0, t_len, v0, path_len;

	if (len > METRICS_REQ_MAX)
		len = METRICS_REQ_MAX;
	end = head_end(buf, len);
	if (end == 0)
		return len == METRICS_REQ_MAX ? METRICS_TOO_LARGE : METRICS_INCOMPLETE;
	/* request-line = method SP request-target SP HTTP-version CRLF (RFC 9112 §3) */
	while (i < end && is_tchar(b[i]))
		i++;
	m_len = i;
	if (m_len == 0 || b[i] != ' ')
		return METRICS_BAD_REQUEST;
	t0 = ++i;
	while (i < end && b[i] > ' ' && b[i] < 0x7f)
		i++;
	t_len = i - t0;
	if (t_len == 0 || b[i] != ' ' || b[t0] != '/')
		return METRICS_BAD_REQUEST;
	v0 = ++i;
	while (i < end && b[i] != '\r' && b[i] != '\n')
		i++;
	if (i - v0 != 8 || memcmp(b + v0, "HTTP/", 5) != 0 || b[v0 + 5] < '0' || b[v0 + 5] > '9' ||
	    b[v0 + 6] != '.' || b[v0 + 7] < '0' || b[v0 + 7] > '9')
		return METRICS_BAD_REQUEST;
	if (b[i] == '\r' && b[++i] != '\n')
		return METRICS_BAD_REQUEST;
	i++;
	/* header lines: name ":" value; no folding, no control bytes */
	while (i < end) {
		size_t n0 = i;

		if (b[i] == '\n' || (b[i] == '\r' && b[i + 1] == '\n'))
			break; /* the empty line */
		while (i < end && is_tchar(b[i]))
			i++;
		if (i == n0 || b[i] != ':')
			return METRICS_BAD_REQUEST;
		while (i < end && b[i] != '\n') {
			if ((b[i] < ' ' && b[i] != '\t' && b[i] != '\r') || b[i] == 0x7f ||
			    (b[i] == '\r' && b[i + 1] != '\n'))
				return METRICS_BAD_REQUEST;
			i++;
		}
		i++;
	}
	if (b[v0 + 5] != '1' || (b[v0 + 7] != '0' && b[v0 + 7] != '1'))
		return METRICS_BAD_VERSION;
	if (m_len != 3 || memcmp(b, "GET", 3) != 0)
		return METRICS_BAD_METHOD;
	for (path_len = 0; path_len < t_len && b[t0 + path_len] != '?'; path_len++)
		;
	if (path_len != 8 || memcmp(b + t0, "/metrics", 8) != 0)
		return METRICS_NOT_FOUND;
	return METRICS_OK;
}

/* ---- the exposition format ---- */

static void __attribute__((format(printf, 2, 3)))
buf_printf(struct metrics_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p != NULL ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t cap = b->cap ? b->cap * 2 : 16384;
			char *p;

			while (cap - b->len <= (size_t)n)
				cap *= 2;
			p = realloc(b->p, cap);
			if (p == NULL) {
				b->failed = 1;
				return;
			}
			b->p = p;
			b->cap = cap;
		}
	}
}

static void
buf_append(struct metrics_buf *b, const char *p, size_t n)
{
	if (b->failed || n == 0)
		return;
	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap : 16384;
		char *q;

		while (cap - b->len < n)
			cap *= 2;
		q = realloc(b->p, cap);
		if (q == NULL) {
			b->failed = 1;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

struct render {
	struct metrics_buf *b;
	char family[96]; /* the one being written (k->metric may be the walk's buffer) */
};

static void
render_one(void *ctx, const struct ctl_counter *k)
{
	struct render *r = ctx;
	struct metrics_buf *b = r->b;
	const char *label = k->group == CTL_G_PORT ? "port" : "worker";

	if (strcmp(r->family, k->metric) != 0) {
		/* HELP text escapes backslash and newline; ours have neither */
		buf_printf(b, "# HELP srtpfwd_%s %s\n# TYPE srtpfwd_%s %s\n", k->metric, k->help,
			   k->metric, k->kind == CTL_GAUGE ? "gauge" : "counter");
		/* the walk keeps a family's samples together */
		snprintf(r->family, sizeof(r->family), "%s", k->metric);
	}
	/* label values are indices and drop reason names: no escaping needed */
	if (k->index >= 0 && k->reason != NULL)
		buf_printf(b, "srtpfwd_%s{%s=\"%d\",reason=\"%s\"} %" PRIu64 "\n", k->metric, label,
			   k->index, k->reason, k->value);
	else if (k->index >= 0)
		buf_printf(b, "srtpfwd_%s{%s=\"%d\"} %" PRIu64 "\n", k->metric, label, k->index,
			   k->value);
	else if (k->reason != NULL)
		buf_printf(b, "srtpfwd_%s{reason=\"%s\"} %" PRIu64 "\n", k->metric, k->reason,
			   k->value);
	else
		buf_printf(b, "srtpfwd_%s %" PRIu64 "\n", k->metric, k->value);
}

int
metrics_render(const struct ctl_counters *c, struct metrics_buf *b)
{
	struct render r = {.b = b};

	ctl_counters_walk(c, render_one, &r);
	return b->failed ? -1 : 0;
}

/* ---- the server ---- */

static int
listen_tcp(struct metrics *m, const char *where, char *err, size_t err_len)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV},
			*res = NULL;
	struct sockaddr_storage sa;
	socklen_t sl = sizeof(sa);
	char host[64];
	const char *port;
	int fd, one = 1, r;

	if (ctl_split_hostport(where, host, sizeof(host), &port) != 0) {
		snprintf(err, err_len, "metrics listener %s: need ADDR:PORT or [V6]:PORT", where);
		return -1;
	}
	r = getaddrinfo(host, port, &hints, &res);
	if (r != 0) {
		snprintf(err, err_len, "metrics listener %s: %s", where, gai_strerror(r));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 64) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
		snprintf(err, err_len, "metrics listener %s: %s", where, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	m->port = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
						 : ((struct sockaddr_in *)&sa)->sin_port);
	return fd;
}

struct metrics *
metrics_new(const struct metrics_config *cfg, const struct ctl_stats_src *src, char *err,
	    size_t err_len)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (m == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	m->cfg = *cfg;
	m->src = src;
	m->fd = -1;
#define DEFAULT(f, v) (m->cfg.f = m->cfg.f ? m->cfg.f : (v))
	DEFAULT(max_clients, 16);
	DEFAULT(request_ms, 2000);
	DEFAULT(send_ms, 10000);
#undef DEFAULT
	m->clients = calloc(m->cfg.max_clients, sizeof(*m->clients));
	m->pfd = calloc(m->cfg.max_clients + 1, sizeof(*m->pfd));
	m->counters = malloc(sizeof(*m->counters));
	if (m->clients == NULL || m->pfd == NULL || m->counters == NULL) {
		snprintf(err, err_len, "out of memory");
		goto fail;
	}
	m->fd = listen_tcp(m, cfg->listen, err, err_len);
	if (m->fd < 0)
		goto fail;
	m->cfg.listen = NULL; /* not ours to keep */
	rte_log(RTE_LOG_INFO, metrics_logtype,
		"srtpfwd.metrics: Prometheus metrics on http://%s/metrics (port %u)\n", cfg->listen,
		m->port);
	return m;
fail:
	metrics_free(m);
	return NULL;
}

static void
client_close(struct metrics *m, struct client *c)
{
	close(c->fd);
	free(c->out.p);
	*c = m->clients[--m->n_clients]; /* keep the array dense */
	m->clients[m->n_clients].out.p = NULL;
}

static const char *
reason_phrase(unsigned int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 431: return "Request Header Fields Too Large";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

/* Queue the whole response to @p c and count it. */
static void
respond(struct metrics *m, struct client *c, unsigned int status)
{
	struct metrics_buf body = {0};
	const char *text = NULL;

	switch (status) {
	case 200:
		m->st.served++;
		ctl_counters_collect(m->src, m->counters);
		if (metrics_render(m->counters, &body) != 0) {
			LOG(m, ERR, "out of memory building the response\n");
			status = 500;
			text = "out of memory\n";
		}
		break;
	case 400:
		m->st.bad_request++;
		text = "malformed request\n";
		break;
	case 404:
		m->st.not_found++;
		text = "only /metrics is served here\n";
		break;
	case 405:
		m->st.bad_method++;
		text = "only GET is allowed\n";
		break;
	case 408:
		m->st.timed_out++;
		text = "request not complete in time\n";
		break;
	case 431:
		m->st.too_large++;
		text = "request head too large\n";
		break;
	default:
		m->st.bad_version++;
		text = "HTTP/1.0 or HTTP/1.1 only\n";
		break;
	}
	if (status != 200)
		LOG(m, NOTICE, "%s: %u %s\n", c->peer, status, reason_phrase(status));
	buf_printf(&c->out,
		   "HTTP/1.1 %u %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
		   "Connection: close\r\n\r\n",
		   status, reason_phrase(status),
		   status == 200 ? "text/plain; version=0.0.4; charset=utf-8"
				 : "text/plain; charset=utf-8",
		   text != NULL ? strlen(text) : body.len, status == 405 ? "Allow: GET\r\n" : "");
	if (text != NULL)
		buf_append(&c->out, text, strlen(text));
	else
		buf_append(&c->out, body.p, body.len);
	free(body.p);
	c->state = WRITING;
	c->in_len = 0;
}

static void
accept_one(struct metrics *m, int64_t now)
{
	struct sockaddr_storage sa;
	socklen_t sl = sizeof(sa);
	struct client *c;
	char host[INET6_ADDRSTRLEN] = "?";
	int fd = accept4(m->fd, (struct sockaddr *)&sa, &sl, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	if (m->n_clients == m->cfg.max_clients) {
		m->st.refused_full++;
		LOG(m, WARNING, "connection refused: %u clients connected (the limit)\n",
		    m->n_clients);
		close(fd);
		return;
	}
	m->st.accepted++;
	c = &m->clients[m->n_clients++];
	memset(c, 0, offsetof(struct client, in));
	c->fd = fd;
	c->state = READING;
	c->since_ms = now;
	if (sa.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, host, sizeof(host));
	else if (sa.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, host, sizeof(host));
	snprintf(c->peer, sizeof(c->peer), "%s", host);
}

/* One client's turn. @return 1 answered a request, 0 nothing, -1 close it. */
static int
client_io(struct metrics *m, struct client *c, short revents, int64_t now)
{
	int answered = 0;

	if (revents & POLLNVAL)
		return -1;
	if (c->state == READING && (revents & (POLLIN | POLLHUP | POLLERR))) {
		long n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
		enum metrics_verdict v;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0)
			return -1; /* gone before asking: nothing to answer */
		c->in_len += (size_t)n;
		v = metrics_http_parse(c->in, c->in_len);
		if (v == METRICS_INCOMPLETE)
			return 0;
		respond(m, c, (unsigned int)v);
		if (c->out.failed)
			return -1;
		answered = 1; /* and write at once */
	}
	if (c->state == WRITING) {
		while (c->out_off < c->out.len) {
			long n = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off,
				      MSG_DONTWAIT | MSG_NOSIGNAL);

			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return answered;
			if (n <= 0)
				return -1;
			c->out_off += (size_t)n;
		}
		/* all sent: half-close, then read what the client still sends
		 * (the rest of an oversize request) so that close() does not
		 * reset the connection before it read the response */
		shutdown(c->fd, SHUT_WR);
		c->state = DRAINING;
		c->drain_ms = now;
		free(c->out.p);
		c->out = (struct metrics_buf){0};
		return answered;
	}
	if (c->state == DRAINING && (revents & (POLLIN | POLLHUP | POLLERR))) {
		char sink[4096];

		for (int i = 0; i < 16; i++) {
			long n = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT);

			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return 0;
			if (n <= 0)
				return -1;
		}
	}
	return 0;
}

/* Deadlines. @return 1 when the client is to be closed now. */
static int
overdue(struct metrics *m, struct client *c, int64_t now)
{
	switch (c->state) {
	case READING:
		if (now - c->since_ms > m->cfg.request_ms)
			respond(m, c, 408);
		return 0;
	case WRITING:
		if (now - c->since_ms > (int64_t)m->cfg.request_ms + m->cfg.send_ms) {
			m->st.cut_stalled++;
			LOG(m, NOTICE, "%s: cut off: the response was not read in time\n", c->peer);
			return 1;
		}
		return 0;
	default: return now - c->drain_ms > DRAIN_MS;
	}
}

unsigned int
metrics_poll(struct metrics *m, int timeout_ms)
{
	unsigned int answered = 0, n_polled;
	int64_t now;

	m->pfd[0] = (struct pollfd){.fd = m->fd, .events = POLLIN};
	for (unsigned int i = 0; i < m->n_clients; i++)
		m->pfd[1 + i] = (struct pollfd){.fd = m->clients[i].fd,
						.events = m->clients[i].state == WRITING ? POLLOUT
											 : POLLIN};
	if (poll(m->pfd, 1 + m->n_clients, timeout_ms) < 0)
		return 0;
	now = clock_ms();
	n_polled = m->n_clients;
	/* closing one moves the last into its place: walk backwards */
	for (unsigned int i = n_polled; i-- > 0;) {
		struct client *c = &m->clients[i];
		int k = client_io(m, c, m->pfd[1 + i].revents, now);

		if (k < 0 || overdue(m, c, now)) {
			client_close(m, c);
			continue;
		}
		answered += (unsigned int)k;
	}
	if (m->pfd[0].revents & POLLIN)
		for (int k = 0; k < ACCEPT_BURST; k++)
			accept_one(m, now);
	return answered;
}

uint16_t
metrics_port(const struct metrics *m)
{
	return m->port;
}

void
metrics_stats(const struct metrics *m, struct metrics_stats *st)
{
	*st = m->st;
	st->clients = m->n_clients;
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	while (m->n_clients > 0)
		client_close(m, &m->clients[m->n_clients - 1]);
	if (m->fd >= 0)
		close(m->fd);
	free(m->clients);
	free(m->pfd);
	free(m->counters);
	free(m);
}
