/* ctl_server.h: the control server. Listens on a unix socket (protected by
 * its file mode) and, optionally, on TCP with TLS 1.3 and client
 * certificates (ctl_tls.h); reads framed requests, hands each to
 * ctl_dispatch(), writes the responses, and sends events to the clients
 * that subscribed.
 *
 * Runs on the control thread, the only writer of sessions; non-blocking,
 * one poll() per call. Owns its sockets and per-client buffers.
 *
 * Limits, checked before anything is allocated for a client: at most
 * max_clients connections (more are accepted and closed at once); a
 * message's length is checked from its header before its body is read;
 * at most CTL_OUT_MAX bytes of responses and events wait for a client (it
 * is not read from meanwhile: that bounds its requests in flight), and a
 * client that leaves them unread for stall_ms is cut off. A client is also
 * cut off for: a TLS handshake not done in handshake_ms, a message begun
 * and not finished in message_ms, no HELLO within message_ms, no complete
 * message for idle_ms (HELLO serves as a keepalive), and a framing error
 * (after its BAD_MESSAGE reply). None of this touches other clients,
 * sessions or the dataplane.
 */
#ifndef SRTPFWD_CTL_SERVER_H
#define SRTPFWD_CTL_SERVER_H

#include <stdint.h>

#include "ctl_dispatch.h"
#include "ctl_tls.h"

#define CTL_OUT_MAX (4 * PROTO_MSG_MAX)

struct ctl_server_config {
	const char *unix_path; /* NULL: no unix socket */
	unsigned int unix_mode; /* file mode of the socket; 0: 0660 */
	const char *tls_listen; /* "ADDR:PORT" or "[V6]:PORT"; NULL: no TCP */
	struct ctl_tls_config tls;
	unsigned int max_clients; /* 0: 64 */
	unsigned int handshake_ms; /* 0: 5000 */
	unsigned int message_ms; /* 0: 5000 */
	unsigned int idle_ms; /* 0: 300000 */
	unsigned int stall_ms; /* 0: 10000 */
};

struct ctl_server_stats {
	uint64_t accepted;
	uint64_t refused_full; /* max_clients reached */
	uint64_t tls_failed; /* handshakes that failed or timed out */
	uint64_t requests;
	uint64_t bad_messages; /* framing errors: the client was cut off */
	uint64_t cut_slow; /* partial message, missing HELLO, or handshake too slow */
	uint64_t cut_idle;
	uint64_t cut_stalled; /* did not read its responses */
	uint64_t events_sent;
	uint64_t events_dropped; /* a subscriber's queue was full */
	unsigned int clients;
};

struct ctl_server;

/** Open the listeners. @return the server, or NULL with @p err set. */
struct ctl_server *ctl_server_new(const struct ctl_server_config *cfg, const struct ctl_env *env,
				  char *err, size_t err_len);

/**
 * Wait up to @p timeout_ms for activity, then accept, read, answer and
 * write. @return how many requests were answered.
 */
unsigned int ctl_server_poll(struct ctl_server *s, int timeout_ms);

/** Queue an event (a whole message, id 0) for every client subscribed to
 * its type. */
void ctl_server_event(struct ctl_server *s, const uint8_t *msg, size_t len);

/** The bound TCP port (useful when configured as port 0), or 0. */
uint16_t ctl_server_tls_port(const struct ctl_server *s);

void ctl_server_stats(const struct ctl_server *s, struct ctl_server_stats *st);

/** Close every connection and listener; the unix socket file is removed. */
void ctl_server_free(struct ctl_server *s);

#endif
