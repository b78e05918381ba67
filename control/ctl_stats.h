/* ctl_stats.h: every process counter srtpfwd exports, in one list, and the
 * one walk that STATS (docs/protocol.md), the Prometheus endpoint
 * (metrics.h) and DPDK telemetry (telemetry.h) all print from.
 * docs/counters.md documents this list; tests/unit/test_counters_doc.c
 * checks it both ways.
 *
 * Two steps, so that no reader races a writer:
 *   ctl_counters_collect() copies every counter into a struct ctl_counters.
 *     Control thread only: neighbour, session and control-server counters
 *     are the control thread's own; worker counters are read with relaxed
 *     loads (one writer each, DESIGN.md); port counters come from the PMDs.
 *   ctl_counters_walk() reads only that copy, on any thread.
 *
 * Walk order is family by family (all ports' ipackets, then all ports'
 * opackets, ...), because Prometheus needs the samples of a family
 * together; STATS promises no order.
 */
#ifndef SRTPFWD_CTL_STATS_H
#define SRTPFWD_CTL_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl_dispatch.h"
#include "ctl_server.h"
#include "daemon.h"
#include "metrics.h"
#include "telemetry.h"

/* The counter lists. X(field, metric, kind, help): field is the STATS name
 * after the group's prefix and the member of the group's struct; metric
 * the Prometheus name after "srtpfwd_" (per-port and per-worker families
 * take a label); kind COUNTER (only goes up) or GAUGE. */

/* struct worker_stats: summed over the workers (no prefix), and per worker
 * ("worker<i>.", metric "worker_" + metric, label worker). Drops are
 * "drop.<reason>" (dataplane/stats.h), metric drops_total / worker_drops_total. */
#define FOREACH_WORKER_COUNTER(X)                                                                  \
	X(rx, "rx_packets_total", COUNTER, "packets the workers received from the ports")          \
	X(tx, "tx_packets_total", COUNTER, "packets the workers handed to the ports to send")      \
	X(punted, "punted_packets_total", COUNTER,                                                 \
	  "packets handed to the control thread (ARP, ND, ICMP, not session traffic)")             \
	X(injected, "injected_frames_total", COUNTER,                                              \
	  "frames the control thread gave a worker to send (ARP, ND, echo replies)")               \
	X(srtp_unprotected, "srtp_unprotected_packets_total", COUNTER,                             \
	  "SRTP and SRTCP packets whose tag verified and that were decrypted")                     \
	X(srtp_protected, "srtp_protected_packets_total", COUNTER,                                 \
	  "RTP and RTCP packets protected into SRTP and SRTCP")                                    \
	X(ssrc_evicted, "ssrc_evicted_total", COUNTER,                                             \
	  "an SSRC slot of a stream was reused for a new SSRC")

/* struct daemon_stats: no prefix. */
#define FOREACH_DAEMON_COUNTER(X)                                                                  \
	X(expired, "sessions_expired_total", COUNTER,                                              \
	  "sessions deleted by their inactivity timeout")                                          \
	X(inject_full, "inject_full_total", COUNTER,                                               \
	  "control frames dropped because the inject ring to the workers was full")                \
	X(mbufs, "mbufs", GAUGE, "mbufs in the pool")                                              \
	X(mbufs_free, "mbufs_free", GAUGE, "mbufs free in the pool now (an mbuf leak shows here)") \
	X(punt_full_events, "punt_full_events_total", COUNTER,                                     \
	  "episodes of the punt ring being full (each logged once; drop.punt_full counts frames)") \
	X(inject_full_events, "inject_full_events_total", COUNTER,                                 \
	  "episodes of the inject ring being full (each logged once)")                             \
	X(tx_full_events, "tx_full_events_total", COUNTER,                                         \
	  "episodes of a tx queue refusing packets (each logged once; drop.tx_full counts them)")  \
	X(mbuf_exhausted_events, "mbuf_exhausted_events_total", COUNTER,                           \
	  "episodes of the mbuf pool running empty (each logged once)")                            \
	X(rx_missed_events, "rx_missed_events_total", COUNTER,                                     \
	  "episodes of a port missing frames at rx (each logged once; port imissed counts them)")

/* struct daemon_port_stats: "port<i>.", label port (the configured index). */
#define FOREACH_PORT_COUNTER(X)                                                                    \
	X(ipackets, "port_rx_packets_total", COUNTER, "packets the port received")                 \
	X(opackets, "port_tx_packets_total", COUNTER, "packets the port sent")                     \
	X(ibytes, "port_rx_bytes_total", COUNTER, "bytes the port received")                       \
	X(obytes, "port_tx_bytes_total", COUNTER, "bytes the port sent")                           \
	X(imissed, "port_rx_missed_total", COUNTER,                                                \
	  "packets dropped at rx because the queue had no room (overload)")                        \
	X(ierrors, "port_rx_errors_total", COUNTER, "erroneous packets received")                  \
	X(oerrors, "port_tx_errors_total", COUNTER, "packets the port failed to send")             \
	X(rx_nombuf, "port_rx_nombuf_total", COUNTER,                                              \
	  "rx failures for want of an mbuf (the pool was empty)")                                  \
	X(link_up, "port_link_up", GAUGE, "1 if the port's link is up, else 0")                    \
	X(link_changes, "port_link_changes_total", COUNTER,                                        \
	  "times the port's link went down or came up (each logged once)")

/* struct neigh_stats and the entry count: "neigh.". */
#define FOREACH_NEIGH_COUNTER(X)                                                                   \
	X(arp_replied, "neigh_arp_replied_total", COUNTER,                                         \
	  "ARP requests for a local address answered")                                             \
	X(nd_replied, "neigh_nd_replied_total", COUNTER, "IPv6 neighbour solicitations answered")  \
	X(echo_replied, "neigh_echo_replied_total", COUNTER,                                       \
	  "ICMP and ICMPv6 echo requests to a local address answered")                             \
	X(requests_sent, "neigh_requests_sent_total", COUNTER,                                     \
	  "ARP requests and neighbour solicitations sent to resolve next hops")                    \
	X(answers, "neigh_answers_total", COUNTER,                                                 \
	  "ARP replies and neighbour advertisements with a MAC received (learned from)")           \
	X(resolved, "neigh_resolved_total", COUNTER, "a next hop got or changed its MAC address")  \
	X(held, "neigh_held_total", COUNTER, "frames held while their next hop was resolved")      \
	X(held_sent, "neigh_held_sent_total", COUNTER, "held frames sent once resolved")           \
	X(held_dropped, "neigh_held_dropped_total", COUNTER,                                       \
	  "held frames dropped: queue full or the next hop never answered")                        \
	X(ignored, "neigh_ignored_total", COUNTER,                                                 \
	  "punted frames for nobody here (foreign ARP, other ICMP)")                               \
	X(malformed, "neigh_malformed_total", COUNTER,                                             \
	  "punted frames with bad lengths, checksums or hop limits")                               \
	X(no_mbuf, "neigh_no_mbuf_total", COUNTER, "replies or requests not built: no mbuf")

/* struct ctl_server_stats: "ctl.", when a control server runs. */
#define FOREACH_CTL_COUNTER(X)                                                                     \
	X(clients, "ctl_clients", GAUGE, "control connections open now")                           \
	X(accepted, "ctl_accepted_total", COUNTER, "control connections accepted")                 \
	X(refused_full, "ctl_refused_full_total", COUNTER,                                         \
	  "control connections closed at once: the client limit was reached")                      \
	X(tls_failed, "ctl_tls_failed_total", COUNTER, "TLS handshakes that failed or timed out")  \
	X(requests, "ctl_requests_total", COUNTER, "control requests answered")                    \
	X(bad_messages, "ctl_bad_messages_total", COUNTER,                                         \
	  "framing errors (the client was cut off)")                                               \
	X(cut_slow, "ctl_cut_slow_total", COUNTER,                                                 \
	  "clients cut off: partial message, no HELLO or handshake not done in time")              \
	X(cut_idle, "ctl_cut_idle_total", COUNTER, "clients cut off for idling")                   \
	X(cut_stalled, "ctl_cut_stalled_total", COUNTER,                                           \
	  "clients cut off for leaving their responses unread")                                    \
	X(events_sent, "ctl_events_sent_total", COUNTER, "events queued to subscribers")           \
	X(events_dropped, "ctl_events_dropped_total", COUNTER,                                     \
	  "events dropped: a subscriber's queue was full")

/* struct metrics_stats: "metrics.", when the HTTP listener runs. */
#define FOREACH_METRICS_COUNTER(X)                                                                 \
	X(clients, "metrics_clients", GAUGE, "HTTP connections open now")                          \
	X(accepted, "metrics_accepted_total", COUNTER, "HTTP connections accepted")                \
	X(refused_full, "metrics_refused_full_total", COUNTER,                                     \
	  "HTTP connections closed at once: the client limit was reached")                         \
	X(served, "metrics_served_total", COUNTER, "GET /metrics answered (200)")                  \
	X(bad_request, "metrics_bad_request_total", COUNTER, "malformed HTTP requests (400)")      \
	X(not_found, "metrics_not_found_total", COUNTER, "requests for another path (404)")        \
	X(bad_method, "metrics_bad_method_total", COUNTER, "requests with another method (405)")   \
	X(too_large, "metrics_too_large_total", COUNTER,                                           \
	  "request heads over the size limit (431)")                                               \
	X(bad_version, "metrics_bad_version_total", COUNTER,                                       \
	  "requests for an HTTP version other than 1.0 or 1.1 (505)")                              \
	X(timed_out, "metrics_timed_out_total", COUNTER,                                           \
	  "requests not complete within the deadline (408)")                                       \
	X(cut_stalled, "metrics_cut_stalled_total", COUNTER,                                       \
	  "connections closed because the response was not read in time")

/* struct telemetry_stats: "telemetry.", when telemetry commands are registered. */
#define FOREACH_TELEMETRY_COUNTER(X)                                                               \
	X(requests, "telemetry_requests_total", COUNTER, "/srtpfwd/ telemetry commands answered")  \
	X(stale, "telemetry_stale_total", COUNTER,                                                 \
	  "telemetry answers from an older snapshot: the control thread did not answer in time")   \
	X(bad_params, "telemetry_bad_params_total", COUNTER,                                       \
	  "telemetry commands refused for a bad parameter")

enum ctl_counter_kind { CTL_COUNTER, CTL_GAUGE };

enum ctl_counter_group {
	CTL_G_SESSIONS, /* sessions, sessions_max */
	CTL_G_TOTAL, /* workers summed, drops, daemon */
	CTL_G_PORT,
	CTL_G_WORKER,
	CTL_G_NEIGH,
	CTL_G_CTL,
	CTL_G_METRICS,
	CTL_G_TELEMETRY,
};

/* Everything ctl_counters_walk() prints: plain data, a copy. */
struct ctl_counters {
	bool has_daemon, has_ctl, has_metrics, has_telemetry;
	uint32_t sessions, sessions_max;
	struct daemon_stats d; /* totals, ports, neighbours */
	struct ctl_server_stats ctl;
	struct metrics_stats metrics;
	struct telemetry_stats tel;
	unsigned int n_workers;
	struct worker_stats worker[RTE_MAX_LCORE]; /* last: copied up to n_workers */
};

/* One counter as the walk gives it. */
struct ctl_counter {
	const char *name; /* STATS name: "rx", "port0.ipackets", "worker1.drop.srtp_auth" */
	const char *metric; /* Prometheus family after "srtpfwd_": "port_rx_packets_total" */
	const char *help;
	enum ctl_counter_kind kind;
	enum ctl_counter_group group;
	int index; /* port or worker index; -1: none */
	const char *reason; /* drop reason name, or NULL */
	const char *field; /* the name within its group: "ipackets", "drop.srtp_auth" */
	bool sparse; /* STATS leaves it out while it is zero (per-worker drops) */
	uint64_t value;
};

typedef void (*ctl_counter_fn)(void *ctx, const struct ctl_counter *k);

/* Where the counters come from. Any pointer may be NULL (not running). */
struct ctl_stats_src {
	struct daemon *d;
	struct ctl_server *srv;
	struct metrics *metrics;
	struct telemetry *tel;
};

/** Copy every counter of @p src into @p c. Control thread. */
void ctl_counters_collect(const struct ctl_stats_src *src, struct ctl_counters *c);

/** Call @p fn for each counter of @p c, family by family. Any thread. */
void ctl_counters_walk(const struct ctl_counters *c, ctl_counter_fn fn, void *ctx);

/** ctl_env.stats: @p arg is a struct ctl_stats_src. Writes every counter
 * but sessions and sessions_max, which ctl_dispatch writes itself. */
void ctl_stats_put(void *arg, struct proto_writer *w);

#endif
