/* metrics.h: the Prometheus endpoint. A small HTTP/1.x server on a
 * configured TCP address that answers GET /metrics with every counter of
 * ctl_stats.h in the text exposition format 0.0.4, and closes the
 * connection after each response.
 *
 * Runs on the control thread, non-blocking, one poll() per call (like
 * ctl_server.h). Owns its listener, its connections and their buffers.
 * Every request is hostile until parsed: a request head is at most
 * METRICS_REQ_MAX bytes (431 beyond), must be complete within request_ms
 * of the connection (408, then closed), and the response must be read
 * within send_ms; at most max_clients connections (more are accepted and
 * closed at once). Every refusal is counted (struct metrics_stats) and
 * logged at most 10 times a second.
 */
#ifndef SRTPFWD_METRICS_H
#define SRTPFWD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_REQ_MAX 4096 /* request line and headers */

struct metrics_config {
	const char *listen; /* "ADDR:PORT" or "[V6]:PORT" */
	unsigned int max_clients; /* 0: 16 */
	unsigned int request_ms; /* 0: 2000 */
	unsigned int send_ms; /* 0: 10000 */
};

/* Written by the control thread only. */
struct metrics_stats {
	uint64_t clients; /* open now */
	uint64_t accepted;
	uint64_t refused_full;
	uint64_t served; /* 200 */
	uint64_t bad_request; /* 400 */
	uint64_t not_found; /* 404 */
	uint64_t bad_method; /* 405 */
	uint64_t too_large; /* 431 */
	uint64_t bad_version; /* 505 */
	uint64_t timed_out; /* 408 */
	uint64_t cut_stalled; /* response not read in time */
};

struct metrics;
struct ctl_stats_src;
struct ctl_counters;

/**
 * Open the listener. @p src is where the counters come from; it is read at
 * each request and must outlive the server.
 * @return the server, or NULL with @p err set ("metrics listener ADDR: why").
 */
struct metrics *metrics_new(const struct metrics_config *cfg, const struct ctl_stats_src *src,
			    char *err, size_t err_len);

/** Wait up to @p timeout_ms for activity, then accept, read, answer and
 * write. @return how many requests were answered. */
unsigned int metrics_poll(struct metrics *m, int timeout_ms);

/** The bound TCP port (useful when configured as port 0). */
uint16_t metrics_port(const struct metrics *m);

void metrics_stats(const struct metrics *m, struct metrics_stats *st);

/** Close every connection and the listener. */
void metrics_free(struct metrics *m);

/* What a request head asks for. */
enum metrics_verdict {
	METRICS_INCOMPLETE = 0, /* no end of head yet: read more */
	METRICS_OK = 200, /* GET /metrics */
	METRICS_BAD_REQUEST = 400,
	METRICS_NOT_FOUND = 404,
	METRICS_BAD_METHOD = 405,
	METRICS_TOO_LARGE = 431,
	METRICS_BAD_VERSION = 505,
};

/**
 * Judge the request head in @p buf (the first @p len bytes received).
 * Pure: no state, any input. A head is the request line and the header
 * lines up to an empty line (CRLF, or LF alone). A head not ended within
 * METRICS_REQ_MAX bytes is METRICS_TOO_LARGE.
 */
enum metrics_verdict metrics_http_parse(const char *buf, size_t len);

/* A growable output buffer. */
struct metrics_buf {
	char *p;
	size_t len, cap;
	int failed; /* out of memory: the content is incomplete */
};

/** Append @p c as the text exposition format 0.0.4 ("# HELP", "# TYPE",
 * then the samples of each family). @return 0, or -1 out of memory. */
int metrics_render(const struct ctl_counters *c, struct metrics_buf *b);

#endif
