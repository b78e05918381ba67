/* config.h: srtpfwd's YAML configuration (docs/config.md) into the plain
 * structs the daemon and the control server take.
 *
 * Loading is all or nothing: the first unknown key, wrong type or bad value
 * is reported as "file:line:col: message" and nothing of the file is
 * used. CONFIG_KEYS is the list of every key; docs/config.md documents
 * exactly these (tests/unit/test_config.c checks both ways). No DPDK calls:
 * `srtpfwd --check-config FILE` runs before EAL.
 */
#ifndef SRTPFWD_CONFIG_H
#define SRTPFWD_CONFIG_H

#include <stddef.h>

#include "ctl_server.h"
#include "daemon.h"
#include "metrics.h"

#define CONFIG_EAL_MAX 32
#define CONFIG_STR_MAX 256

/* X(path, type, default, description). "ports[]." keys belong to each item
 * of the ports list, "addresses[]." to each address. */
#define FOREACH_CONFIG_KEY(X)                                                                      \
	X("eal", "list of strings", "[]", "EAL arguments, as on a DPDK command line")              \
	X("ports", "list", "required", "the DPDK ports, in order: index 0, 1, ...")                \
	X("ports[].name", "string", "port<i>", "a name addresses can refer to")                    \
	X("ports[].dev", "string", "required",                                                     \
	  "PCI address, vdev with arguments, or a port EAL probed")                                \
	X("addresses", "list", "required", "the local addresses media uses")                       \
	X("addresses[].port", "port name or index", "required", "the port it is reached on")       \
	X("addresses[].ip", "IP/PREFIX", "required", "IPv4 or IPv6 address and on-link prefix")    \
	X("addresses[].gateway", "IP", "none", "next hop for remotes off the prefix")              \
	X("addresses[].vlan", "integer 1..4094", "untagged", "802.1Q VLAN id")                     \
	X("media_ports", "MIN-MAX", "16384-32767", "the UDP port range legs are given ports from") \
	X("queues.rx_desc", "integer 64..16384", "1024", "rx descriptors per queue, every port")   \
	X("queues.tx_desc", "integer 64..16384", "1024", "tx descriptors per queue, every port")   \
	X("workers", "integer 0..64", "0", "at most this many workers; 0: one per worker lcore")   \
	X("mbufs", "integer", "0", "mbuf pool size; 0: sized from ports, queues and rings")        \
	X("limits.sessions", "integer 1..1073741823", "10000", "session slots")                    \
	X("limits.neighbours", "integer 1..65535", "4096", "next-hop entries")                     \
	X("limits.clients", "integer 1..100000", "64", "control connections")                      \
	X("control.unix", "path", "none", "the control socket (docs/protocol.md)")                 \
	X("control.unix_mode", "octal string", "\"0660\"", "the control socket's file mode")       \
	X("control.idle_timeout_s", "integer 1..1000000", "300",                                   \
	  "cut a control client off after this long without a request")                            \
	X("control.tls.listen", "ADDR:PORT", "none",                                               \
	  "TCP listener, TLS 1.3 with client certificates")                                        \
	X("control.tls.ca", "path", "required with listen",                                        \
	  "PEM: the CA client certificates chain to")                                              \
	X("control.tls.cert", "path", "required with listen",                                      \
	  "PEM: the server's certificate chain")                                                   \
	X("control.tls.key", "path", "required with listen", "PEM: its private key")               \
	X("control.tls.allow", "list of DNS names", "any",                                         \
	  "client names allowed (subjectAltName)")                                                 \
	X("metrics.listen", "ADDR:PORT", "none",                                                   \
	  "HTTP listener for Prometheus: GET /metrics (docs/counters.md)")                         \
	X("stats_interval_s", "integer 0..86400", "10", "print counters this often; 0: never")     \
	X("log.level", "emerg|alert|crit|error|warning|notice|info|debug", "info",                 \
	  "srtpfwd's log level")

struct config_key {
	const char *path, *type, *def, *text;
};

extern const struct config_key config_keys[];
extern const unsigned int config_n_keys;

struct srtpfwd_config {
	struct daemon_config daemon;
	unsigned int n_eal;
	char eal[CONFIG_EAL_MAX][CONFIG_STR_MAX];
	char port_name[WORKER_PORTS_MAX][64];
	char ctl_unix[108];
	unsigned int ctl_unix_mode;
	unsigned int ctl_clients, ctl_idle_s;
	char tls_listen[CONFIG_STR_MAX], tls_ca[CONFIG_STR_MAX], tls_cert[CONFIG_STR_MAX],
		tls_key[CONFIG_STR_MAX];
	unsigned int n_allow;
	char tls_allow[CTL_TLS_NAMES_MAX][CONFIG_STR_MAX];
	char metrics_listen[CONFIG_STR_MAX];
	unsigned int stats_s;
	unsigned int log_level; /* RTE_LOG_* value */
};

/** Load @p path into @p c. @return 0, or -1 with @p err "file:line:col: message". */
int config_load(const char *path, struct srtpfwd_config *c, char *err, size_t err_len);

/** "1.2.3.4" or "2001:db8::1" into @p addr (16 bytes). @return 0 or -1. */
int config_parse_ip(const char *s, uint8_t addr[16], uint8_t *ip6);

/** The control server's configuration (pointing into @p c). @return 1 if
 * any listener is configured, else 0. */
int config_ctl(const struct srtpfwd_config *c, struct ctl_server_config *out);

/** The metrics listener's configuration (pointing into @p c). @return 1 if
 * one is configured, else 0. */
int config_metrics(const struct srtpfwd_config *c, struct metrics_config *out);

#endif
