/* ctl_server.c: the control server (see ctl_server.h). */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_log.h>

#include "clock_ms.h"
#include "ctl_addr.h"
#include "ctl_server.h"
#include "log_limit.h"

RTE_LOG_REGISTER(ctl_logtype, srtpfwd.ctl, INFO);

/* One line per event, never per request; a flood of bad clients is
 * summarised: at most LOG_LIMIT_PER_S lines a second, then a count. */
#define LOG(s, level, ...)                                                                         \
	do {                                                                                       \
		if (log_limit_allow(&(s)->log, ctl_logtype, "srtpfwd.ctl"))                        \
			rte_log(RTE_LOG_##level, ctl_logtype, "srtpfwd.ctl: " __VA_ARGS__);        \
	} while (0)

/* Requests answered per client per poll: one busy client cannot starve
 * the others. */
#define BATCH 32
#define IN_FIRST 4096 /* a client's first input buffer; grown to a message's declared length */

struct client {
	int fd;
	struct ctl_tls *tls; /* NULL: unix socket */
	int handshaking;
	struct ctl_conn conn;
	uint8_t *in;
	size_t in_len, in_cap;
	uint8_t *out;
	size_t out_len, out_off;
	int64_t since_ms; /* accepted, or last complete message */
	int64_t partial_ms; /* first byte of the message being read; 0: none */
	int64_t stalled_ms; /* out full since; 0: not full */
	int closing; /* flush what is queued, then close */
	char name[80]; /* for logs: peer certificate name or "unix" */
};

struct ctl_server {
	struct ctl_server_config cfg;
	struct ctl_env env;
	int unix_fd, tcp_fd;
	char unix_path[108];
	uint16_t tcp_port;
	struct ctl_tls_ctx *tls;
	struct client *clients; /* max_clients */
	struct pollfd *pfd; /* 2 + max_clients */
	unsigned int n_clients;
	struct ctl_server_stats st;
	struct log_limit log;
};

static int
listen_unix(struct ctl_server *s, const char *path, unsigned int mode, char *err, size_t err_len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, err_len, "control socket %s: path longer than %zu bytes", path,
			 sizeof(sa.sun_path) - 1);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	/* A socket file nobody answers on is a leftover: replace it. One
	 * that answers belongs to a running srtpfwd: refuse. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		snprintf(err, err_len, "control socket %s: another server is listening on it",
			 path);
		return -1;
	}
	unlink(path);
	/* Created with no access for others, then opened up to @p mode:
	 * no window where the umask decides who may connect. */
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r != 0 || chmod(path, mode) != 0 || listen(fd, 128) != 0)
		goto fail;
	snprintf(s->unix_path, sizeof(s->unix_path), "%s", path);
	return fd;
fail:
	snprintf(err, err_len, "control socket %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static int
listen_tcp(struct ctl_server *s, const char *where, char *err, size_t err_len)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICHOST},
			*res = NULL;
	struct sockaddr_storage sa;
	socklen_t sl = sizeof(sa);
	char host[64];
	const char *port;
	int fd = -1, one = 1, r;

	if (ctl_split_hostport(where, host, sizeof(host), &port) != 0)
		goto syntax;
	r = getaddrinfo(host, port, &hints, &res);
	if (r != 0) {
		snprintf(err, err_len, "TLS listener %s: %s", where, gai_strerror(r));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 128) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
		snprintf(err, err_len, "TLS listener %s: %s", where, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	s->tcp_port = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
						     : ((struct sockaddr_in *)&sa)->sin_port);
	return fd;
syntax:
	snprintf(err, err_len, "TLS listener %s: need ADDR:PORT or [V6]:PORT", where);
	return -1;
}

struct ctl_server *
ctl_server_new(const struct ctl_server_config *cfg, const struct ctl_env *env, char *err,
	       size_t err_len)
{
	struct ctl_server *s;

	if (cfg->unix_path == NULL && cfg->tls_listen == NULL) {
		snprintf(err, err_len, "the control server needs a unix socket or a TLS listener");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	s->cfg = *cfg;
	s->env = *env;
	s->unix_fd = s->tcp_fd = -1;
#define DEFAULT(f, v) (s->cfg.f = s->cfg.f ? s->cfg.f : (v))
	DEFAULT(unix_mode, 0660);
	DEFAULT(max_clients, 64);
	DEFAULT(handshake_ms, 5000);
	DEFAULT(message_ms, 5000);
	DEFAULT(idle_ms, 300000);
	DEFAULT(stall_ms, 10000);
#undef DEFAULT
	s->clients = calloc(s->cfg.max_clients, sizeof(*s->clients));
	s->pfd = calloc(s->cfg.max_clients + 2, sizeof(*s->pfd));
	if (s->clients == NULL || s->pfd == NULL) {
		snprintf(err, err_len, "out of memory");
		goto fail;
	}
	/* A client that goes away while we write must not kill srtpfwd. */
	signal(SIGPIPE, SIG_IGN);
	if (cfg->tls_listen != NULL) {
		s->tls = ctl_tls_server_new(&cfg->tls, err, err_len);
		if (s->tls == NULL)
			goto fail;
		s->tcp_fd = listen_tcp(s, cfg->tls_listen, err, err_len);
		if (s->tcp_fd < 0)
			goto fail;
	}
	if (cfg->unix_path != NULL) {
		s->unix_fd = listen_unix(s, cfg->unix_path, s->cfg.unix_mode, err, err_len);
		if (s->unix_fd < 0)
			goto fail;
	}
	s->cfg.unix_path = s->cfg.tls_listen = NULL; /* not ours to keep */
	memset(&s->cfg.tls, 0, sizeof(s->cfg.tls));
	return s;
fail:
	ctl_server_free(s);
	return NULL;
}

static void
client_close(struct ctl_server *s, struct client *c)
{
	ctl_tls_free(c->tls);
	close(c->fd);
	explicit_bzero(c->in, c->in_cap); /* a request cut off may hold keys */
	free(c->in);
	free(c->out);
	*c = s->clients[--s->n_clients]; /* keep the array dense */
	memset(&s->clients[s->n_clients], 0, sizeof(*c));
}

static void
accept_one(struct ctl_server *s, int lfd, int tls)
{
	struct client *c;
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	if (s->n_clients == s->cfg.max_clients) {
		s->st.refused_full++;
		LOG(s, WARNING, "client refused: %u clients connected (the limit)\n", s->n_clients);
		close(fd);
		return;
	}
	c = &s->clients[s->n_clients];
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->in = malloc(IN_FIRST);
	c->out = malloc(CTL_OUT_MAX);
	if (c->in == NULL || c->out == NULL ||
	    (tls && (c->tls = ctl_tls_new(s->tls, fd)) == NULL)) {
		free(c->in);
		free(c->out);
		close(fd);
		return;
	}
	if (tls) {
		/* Responses are small and often written a few at a time:
		 * without this, Nagle holds each one back until the client
		 * ACKs the last, which its delayed ACK puts off by 40 ms. */
		int one = 1;

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	c->in_cap = IN_FIRST;
	c->handshaking = tls;
	c->since_ms = clock_ms();
	snprintf(c->name, sizeof(c->name), tls ? "tls" : "unix");
	s->n_clients++;
	s->st.accepted++;
}

/* Write what is queued. @return -1 if the connection is lost. */
static int
flush_out(struct client *c)
{
	while (c->out_off < c->out_len) {
		long n = c->tls != NULL ? ctl_tls_write(c->tls, c->out + c->out_off,
							c->out_len - c->out_off)
					: send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
					       MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n == CTL_TLS_AGAIN || (c->tls == NULL && n < 0 && errno == EAGAIN))
			break;
		if (n <= 0)
			return -1;
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	else if (c->out_off > CTL_OUT_MAX / 2) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	return 0;
}

/* Room for one more response of the largest size. */
static inline int
out_has_room(const struct client *c)
{
	return CTL_OUT_MAX - c->out_len >= PROTO_MSG_MAX;
}

/* Answer the whole messages buffered. @return requests answered, or -1
 * when the client is to be closed. */
static int
serve(struct ctl_server *s, struct client *c, int64_t now)
{
	int done = 0;

	while (done < BATCH && out_has_room(c) && !c->closing) {
		struct proto_hdr h;
		char perr[128];
		int close_after;
		long n;

		if (c->in_len < PROTO_HDR_LEN)
			break;
		/* The header is checked before the body is waited for or room
		 * made for it: an oversize or broken length ends here. */
		if (proto_hdr_parse(c->in, c->in_len, &h, perr, sizeof(perr)) != 0) {
			n = ctl_dispatch(&c->conn, &s->env, c->in, PROTO_HDR_LEN,
					 c->out + c->out_len, PROTO_MSG_MAX, &close_after);
			s->st.bad_messages++;
			LOG(s, NOTICE, "%s client cut off: %s\n", c->name, perr);
			if (n > 0)
				c->out_len += (size_t)n;
			c->closing = 1;
			break;
		}
		if (c->in_len < h.length) {
			if (c->in_cap < h.length) {
				/* not realloc: the old buffer may hold key bytes of
				 * this message, and is zeroed before it is freed */
				uint8_t *p = malloc(h.length);

				if (p == NULL)
					return -1;
				memcpy(p, c->in, c->in_len);
				explicit_bzero(c->in, c->in_cap);
				free(c->in);
				c->in = p;
				c->in_cap = h.length;
			}
			break;
		}
		n = ctl_dispatch(&c->conn, &s->env, c->in, h.length, c->out + c->out_len,
				 PROTO_MSG_MAX, &close_after);
		/* requests carry keys: nothing of them stays in our buffer */
		explicit_bzero(c->in, h.length);
		memmove(c->in, c->in + h.length, c->in_len - h.length);
		c->in_len -= h.length;
		explicit_bzero(c->in + c->in_len, h.length); /* the copy left behind */
		s->st.requests++;
		done++;
		if (n > 0)
			c->out_len += (size_t)n;
		c->since_ms = now;
		c->partial_ms = 0; /* what is left is the next message: its clock starts now */
		if (close_after) {
			s->st.bad_messages++;
			LOG(s, NOTICE, "%s client cut off: broken request\n", c->name);
			c->closing = 1;
		}
	}
	c->partial_ms = c->in_len == 0 ? 0 : (c->partial_ms != 0 ? c->partial_ms : now);
	return done;
}

/* Read what the socket has, up to the room the buffer has. @return -1
 * when the peer closed or failed. */
static int
read_in(struct client *c)
{
	for (int i = 0; i < 4 && c->in_len < c->in_cap; i++) {
		long n = c->tls != NULL
				 ? ctl_tls_read(c->tls, c->in + c->in_len, c->in_cap - c->in_len)
				 : recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len,
					MSG_DONTWAIT);

		if (n == CTL_TLS_AGAIN || (c->tls == NULL && n < 0 && errno == EAGAIN))
			return 0;
		if (n <= 0)
			return -1;
		c->in_len += (size_t)n;
	}
	return 0;
}

/* Deadlines. @return the reason to cut the client off, or NULL. */
static const char *
overdue(struct ctl_server *s, struct client *c, int64_t now)
{
	if (c->handshaking && now - c->since_ms > s->cfg.handshake_ms) {
		s->st.tls_failed++;
		s->st.cut_slow++;
		return "TLS handshake not finished in time";
	}
	if (c->partial_ms != 0 && now - c->partial_ms > s->cfg.message_ms) {
		s->st.cut_slow++;
		return "a message begun and not finished in time";
	}
	if (c->conn.version == 0 && !c->handshaking && now - c->since_ms > s->cfg.message_ms) {
		s->st.cut_slow++;
		return "no HELLO in time";
	}
	if (now - c->since_ms > s->cfg.idle_ms) {
		s->st.cut_idle++;
		return "idle";
	}
	if (c->stalled_ms != 0 && now - c->stalled_ms > s->cfg.stall_ms) {
		s->st.cut_stalled++;
		return "its responses went unread";
	}
	return NULL;
}

/* One client's turn after poll. @return requests answered, or -1: close. */
static int
client_io(struct ctl_server *s, struct client *c, short revents, int64_t now)
{
	char err[256];
	int n = 0;

	/* A reset during the handshake is a failed handshake: the handshake
	 * reads what came before it (often an alert saying why), fails, and
	 * is counted. */
	if ((revents & POLLNVAL) || ((revents & POLLERR) && !c->handshaking))
		return -1;
	if (c->handshaking) {
		int r = ctl_tls_handshake(c->tls, err, sizeof(err));

		if (r == CTL_TLS_AGAIN)
			return 0;
		if (r != 1) {
			s->st.tls_failed++;
			LOG(s, NOTICE, "TLS client refused: %s\n", err);
			return -1;
		}
		c->handshaking = 0;
		c->since_ms = now;
		snprintf(c->name, sizeof(c->name), "tls client '%s'", ctl_tls_peer_name(c->tls));
		LOG(s, INFO, "%s connected\n", c->name);
	}
	if (!c->closing && (revents & (POLLIN | POLLHUP) || (c->tls && ctl_tls_pending(c->tls)) ||
			    c->in_len != 0)) {
		/* A client that sent its requests and closed its side still
		 * gets the answers it can take. */
		int eof = out_has_room(c) && read_in(c) != 0;

		n = serve(s, c, now);
		if (n < 0)
			return -1;
		if (eof)
			c->closing = 1;
	}
	if (flush_out(c) != 0)
		return -1;
	if (c->closing && c->out_len == 0)
		return -1;
	c->stalled_ms = out_has_room(c) ? 0 : (c->stalled_ms != 0 ? c->stalled_ms : now);
	/* Not read from while its responses wait: a message it began is
	 * not late meanwhile (stall_ms judges it); timed again from the
	 * next read. */
	if (c->stalled_ms != 0)
		c->partial_ms = 0;
	return n;
}

unsigned int
ctl_server_poll(struct ctl_server *s, int timeout_ms)
{
	unsigned int n_fd = 0, first_client, answered = 0, n_polled;
	int64_t now;
	int r;

	if (s->unix_fd >= 0)
		s->pfd[n_fd++] = (struct pollfd){.fd = s->unix_fd, .events = POLLIN};
	if (s->tcp_fd >= 0)
		s->pfd[n_fd++] = (struct pollfd){.fd = s->tcp_fd, .events = POLLIN};
	first_client = n_fd;
	for (unsigned int i = 0; i < s->n_clients; i++) {
		struct client *c = &s->clients[i];
		short ev = 0;

		if (c->handshaking)
			ev = ctl_tls_want_write(c->tls) ? POLLOUT : POLLIN;
		else {
			if (!c->closing && out_has_room(c))
				ev |= POLLIN;
			if (c->out_len != 0 || (c->tls && ctl_tls_want_write(c->tls)))
				ev |= POLLOUT;
			/* already buffered: no need to wait */
			if ((c->tls && ctl_tls_pending(c->tls)) ||
			    (c->in_len >= PROTO_HDR_LEN && out_has_room(c) && !c->closing))
				timeout_ms = 0;
		}
		s->pfd[n_fd++] = (struct pollfd){.fd = c->fd, .events = ev};
	}
	r = poll(s->pfd, n_fd, timeout_ms);
	if (r < 0)
		return 0;
	now = clock_ms();
	n_polled = s->n_clients;
	/* Clients first (closing one moves the last into its place: walk
	 * backwards so each is visited once), then new ones. */
	for (unsigned int i = n_polled; i-- > 0;) {
		struct client *c = &s->clients[i];
		const char *why;
		int k = client_io(s, c, s->pfd[first_client + i].revents, now);

		if (k < 0) {
			client_close(s, c);
			continue;
		}
		answered += (unsigned int)k;
		why = overdue(s, c, now);
		if (why != NULL) {
			LOG(s, NOTICE, "%s cut off: %s\n", c->name, why);
			client_close(s, c);
		}
	}
	for (unsigned int i = 0; i < first_client; i++)
		if (s->pfd[i].revents & POLLIN)
			for (int k = 0; k < 16; k++) /* a burst of connects, bounded */
				accept_one(s, s->pfd[i].fd, s->pfd[i].fd == s->tcp_fd);
	return answered;
}

void
ctl_server_event(struct ctl_server *s, const uint8_t *msg, size_t len)
{
	uint32_t bit = 1u << (msg[1] - PROTO_EVENT_FIRST);

	for (unsigned int i = 0; i < s->n_clients; i++) {
		struct client *c = &s->clients[i];

		if (!(c->conn.event_mask & bit) || c->closing)
			continue;
		if (CTL_OUT_MAX - c->out_len < len) {
			s->st.events_dropped++;
			continue;
		}
		memcpy(c->out + c->out_len, msg, len);
		c->out_len += len;
		s->st.events_sent++;
		if (flush_out(c) != 0)
			c->closing = 1;
	}
}

uint16_t
ctl_server_tls_port(const struct ctl_server *s)
{
	return s->tcp_port;
}

void
ctl_server_stats(const struct ctl_server *s, struct ctl_server_stats *st)
{
	*st = s->st;
	st->clients = s->n_clients;
}

void
ctl_server_free(struct ctl_server *s)
{
	if (s == NULL)
		return;
	while (s->n_clients > 0)
		client_close(s, &s->clients[s->n_clients - 1]);
	if (s->unix_fd >= 0) {
		close(s->unix_fd);
		unlink(s->unix_path);
	}
	if (s->tcp_fd >= 0)
		close(s->tcp_fd);
	ctl_tls_ctx_free(s->tls);
	free(s->clients);
	free(s->pfd);
	free(s);
}
