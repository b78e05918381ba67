/* main.c: the srtpfwd daemon.
 *
 *   srtpfwd [EAL options] -- --port DEV [--port DEV ...]
 *           --addr PORT:IP/PREFIX[,gw=IP][,vlan=N] [--addr ...]
 *           [--ports MIN-MAX] [--sessions N] [--stats SECONDS] [--duration SECONDS]
 *           [--ctl-unix PATH] [--ctl-tls ADDR:PORT --tls-ca F --tls-cert F --tls-key F
 *            [--tls-allow NAME ...]] [--ctl-max-clients N] [--ctl-idle SECONDS]
 *           [--metrics ADDR:PORT]
 *
 *   srtpfwd --config FILE [more EAL options] [-- --duration SECONDS]
 *   srtpfwd --check-config FILE
 *
 * The main lcore is the control thread: it runs the control server
 * (docs/protocol.md), the neighbour resolver and the inactivity timeouts;
 * every other lcore runs a worker. The YAML file (docs/config.md) and the
 * command line fill the same structs. The control thread also serves the
 * Prometheus endpoint (metrics.h) and answers the DPDK telemetry commands
 * (telemetry.h); docs/counters.md lists what they show.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "clock_ms.h"
#include "config.h"
#include "ctl_events.h"
#include "ctl_server.h"
#include "ctl_stats.h"
#include "daemon.h"
#include "metrics.h"
#include "telemetry.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [EAL options] -- --port DEV [--port DEV ...]\n"
		"          --addr PORT:IP/PREFIX[,gw=IP][,vlan=N] [--addr ...]\n"
		"          [--ports MIN-MAX] [--sessions N] [--stats SECONDS] [--duration "
		"SECONDS]\n"
		"          [--ctl-unix PATH] [--ctl-tls ADDR:PORT --tls-ca FILE --tls-cert FILE\n"
		"           --tls-key FILE [--tls-allow NAME ...]] [--ctl-max-clients N]\n"
		"          [--ctl-idle SECONDS] [--metrics ADDR:PORT]\n"
		"  DEV   PCI address, vdev (net_af_packet0,iface=veth0) or a port EAL probed\n"
		"  PORT  index of a --port, from 0\n"
		"   or: %s --config FILE [EAL options] [-- --duration SECONDS]\n"
		"   or: %s --check-config FILE\n"
		"example: %s --no-huge --no-pci -m 512 -l 0,1 -- \\\n"
		"          --port net_af_packet0,iface=veth0 --addr 0:10.0.0.1/24,gw=10.0.0.254\n",
		prog, prog, prog, prog);
}

static struct srtpfwd_config file_cfg; /* big: not on the stack */

/* --check-config FILE: load, report, exit. */
static int
check_config(const char *path)
{
	char err[512];

	if (config_load(path, &file_cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "srtpfwd: %s\n", err);
		return 2;
	}
	printf("%s: ok: ports %u, addresses %u, media ports %u-%u, sessions %u%s%s%s%s%s%s\n", path,
	       file_cfg.daemon.n_ports, file_cfg.daemon.n_addrs, file_cfg.daemon.port_min,
	       file_cfg.daemon.port_max, file_cfg.daemon.max_sessions,
	       file_cfg.ctl_unix[0] ? ", control unix:" : "", file_cfg.ctl_unix,
	       file_cfg.tls_listen[0] ? ", control tls:" : "", file_cfg.tls_listen,
	       file_cfg.metrics_listen[0] ? ", metrics http:" : "", file_cfg.metrics_listen);
	return 0;
}

/* --config FILE [EAL options]: the file's EAL arguments, then the command
 * line's. @return EAL's count of arguments used, or -1. */
static int
eal_from_config(int argc, char **argv, int *consumed)
{
	static char *eal_argv[CONFIG_EAL_MAX + 64];
	int n = 0, r;

	eal_argv[n++] = argv[0];
	for (unsigned int i = 0; i < file_cfg.n_eal; i++)
		eal_argv[n++] = file_cfg.eal[i];
	for (int i = 3; i < argc && n < (int)RTE_DIM(eal_argv) - 1; i++)
		eal_argv[n++] = argv[i];
	eal_argv[n] = NULL;
	r = rte_eal_init(n, eal_argv);
	if (r < 0)
		return -1;
	/* EAL returns the index of "--" (or of its last argument): ours
	 * start at eal_argv[r + 1], which is argv[r + 1 - n_eal + 2] */
	*consumed = r - (int)file_cfg.n_eal + 3;
	return r;
}

/* PORT:IP/PREFIX[,gw=IP][,vlan=N] */
static int
parse_addr(const char *arg, struct daemon_addr *a, char *err, size_t err_len)
{
	char buf[160], *ip, *opt, *slash, *save = NULL, *end;
	unsigned long v;

	memset(a, 0, sizeof(*a));
	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf)) {
		snprintf(err, err_len, "--addr %s: too long", arg);
		return -1;
	}
	ip = strchr(buf, ':');
	v = strtoul(buf, &end, 10);
	if (ip == NULL || end != ip || v >= WORKER_PORTS_MAX) {
		snprintf(err, err_len, "--addr %s: expected PORT:IP/PREFIX (PORT 0..%d)", arg,
			 WORKER_PORTS_MAX - 1);
		return -1;
	}
	a->port = (uint8_t)v;
	ip++;
	opt = strchr(ip, ',');
	if (opt != NULL)
		*opt++ = '\0';
	slash = strchr(ip, '/');
	if (slash == NULL) {
		snprintf(err, err_len, "--addr %s: expected a prefix length (IP/PREFIX)", arg);
		return -1;
	}
	*slash++ = '\0';
	if (config_parse_ip(ip, a->addr, &a->ip6) != 0) {
		snprintf(err, err_len, "--addr %s: '%s' is not an IPv4 or IPv6 address", arg, ip);
		return -1;
	}
	v = strtoul(slash, &end, 10);
	if (*slash == '\0' || *end != '\0' || v > (a->ip6 ? 128u : 32u)) {
		snprintf(err, err_len, "--addr %s: prefix '%s', need 0..%u", arg, slash,
			 a->ip6 ? 128 : 32);
		return -1;
	}
	a->route.prefix_len = (uint8_t)v;
	for (char *o = opt ? strtok_r(opt, ",", &save) : NULL; o; o = strtok_r(NULL, ",", &save)) {
		uint8_t fam;

		if (strncmp(o, "gw=", 3) == 0) {
			if (config_parse_ip(o + 3, a->route.gw, &fam) != 0 || fam != a->ip6) {
				snprintf(err, err_len,
					 "--addr %s: gateway '%s' is not an %s address", arg, o + 3,
					 a->ip6 ? "IPv6" : "IPv4");
				return -1;
			}
			a->route.has_gw = 1;
		} else if (strncmp(o, "vlan=", 5) == 0) {
			v = strtoul(o + 5, &end, 10);
			if (o[5] == '\0' || *end != '\0' || v == 0 || v > 4094) {
				snprintf(err, err_len, "--addr %s: VLAN '%s', need 1..4094", arg,
					 o + 5);
				return -1;
			}
			a->vlan = (uint16_t)v;
		} else {
			snprintf(err, err_len, "--addr %s: unknown option '%s' (gw=, vlan=)", arg,
				 o);
			return -1;
		}
	}
	return 0;
}

static int
parse_args(int argc, char **argv, struct daemon_config *c, struct ctl_server_config *ctl,
	   struct metrics_config *mc, unsigned int *stats_s, unsigned int *duration_s)
{
	static const struct option opts[] = {
		{"port", required_argument, NULL, 'p'},
		{"addr", required_argument, NULL, 'a'},
		{"ports", required_argument, NULL, 'r'},
		{"sessions", required_argument, NULL, 's'},
		{"stats", required_argument, NULL, 'S'},
		{"duration", required_argument, NULL, 'd'},
		{"ctl-unix", required_argument, NULL, 'u'},
		{"ctl-tls", required_argument, NULL, 't'},
		{"tls-ca", required_argument, NULL, 'A'},
		{"tls-cert", required_argument, NULL, 'C'},
		{"tls-key", required_argument, NULL, 'K'},
		{"tls-allow", required_argument, NULL, 'N'},
		{"ctl-max-clients", required_argument, NULL, 'm'},
		{"ctl-idle", required_argument, NULL, 'i'},
		{"metrics", required_argument, NULL, 'M'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char err[256];
	int o;

	c->port_min = 16384;
	c->port_max = 32767;
	c->max_sessions = 10000;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		unsigned int a, b;

		switch (o) {
		case 'p':
			if (c->n_ports >= WORKER_PORTS_MAX ||
			    snprintf(c->ports[c->n_ports].dev, DAEMON_DEV_MAX, "%s", optarg) >=
				    DAEMON_DEV_MAX) {
				fprintf(stderr, "srtpfwd: --port %s: too many ports or too long\n",
					optarg);
				return -1;
			}
			c->n_ports++;
			break;
		case 'a':
			if (c->n_addrs >= LOCAL_ADDR_MAX) {
				fprintf(stderr, "srtpfwd: at most %d --addr\n", LOCAL_ADDR_MAX);
				return -1;
			}
			if (parse_addr(optarg, &c->addrs[c->n_addrs], err, sizeof(err)) != 0) {
				fprintf(stderr, "srtpfwd: %s\n", err);
				return -1;
			}
			c->n_addrs++;
			break;
		case 'r':
			if (sscanf(optarg, "%u-%u", &a, &b) != 2 || a == 0 || b > 65535 || a >= b) {
				fprintf(stderr,
					"srtpfwd: --ports %s: need MIN-MAX, 1 <= MIN < MAX "
					"<= 65535\n",
					optarg);
				return -1;
			}
			c->port_min = (uint16_t)a;
			c->port_max = (uint16_t)b;
			break;
		case 's':
			if (sscanf(optarg, "%u", &a) != 1 || a == 0) {
				fprintf(stderr, "srtpfwd: --sessions %s: need a positive number\n",
					optarg);
				return -1;
			}
			c->max_sessions = a;
			break;
		case 'u': ctl->unix_path = optarg; break;
		case 'M': mc->listen = optarg; break;
		case 't': ctl->tls_listen = optarg; break;
		case 'A': ctl->tls.ca_file = optarg; break;
		case 'C': ctl->tls.cert_file = optarg; break;
		case 'K': ctl->tls.key_file = optarg; break;
		case 'N':
			if (ctl->tls.n_allowed == CTL_TLS_NAMES_MAX) {
				fprintf(stderr, "srtpfwd: at most %d --tls-allow\n",
					CTL_TLS_NAMES_MAX);
				return -1;
			}
			ctl->tls.allowed_names[ctl->tls.n_allowed++] = optarg;
			break;
		case 'm':
		case 'i':
			if (sscanf(optarg, "%u", &a) != 1 || a == 0 || a > 1000000) {
				fprintf(stderr, "srtpfwd: --%s %s: need 1..1000000\n",
					o == 'm' ? "ctl-max-clients" : "ctl-idle", optarg);
				return -1;
			}
			if (o == 'm')
				ctl->max_clients = a;
			else
				ctl->idle_ms = a * 1000;
			break;
		case 'S': *stats_s = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'd': *duration_s = (unsigned int)strtoul(optarg, NULL, 10); break;
		default: return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "srtpfwd: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (c->n_ports == 0 || c->n_addrs == 0) {
		fprintf(stderr, "srtpfwd: need at least one --port and one --addr\n");
		return -1;
	}
	if (ctl->tls_listen != NULL &&
	    (ctl->tls.ca_file == NULL || ctl->tls.cert_file == NULL || ctl->tls.key_file == NULL)) {
		fprintf(stderr, "srtpfwd: --ctl-tls needs --tls-ca, --tls-cert and --tls-key "
				"(there is no plaintext TCP)\n");
		return -1;
	}
	if (ctl->tls_listen == NULL &&
	    (ctl->tls.ca_file || ctl->tls.cert_file || ctl->tls.key_file || ctl->tls.n_allowed)) {
		fprintf(stderr, "srtpfwd: --tls-* options need --ctl-tls\n");
		return -1;
	}
	return 0;
}

/* The Prometheus endpoint and the telemetry commands, once the daemon runs. */
static int
observability_start(const struct metrics_config *mc, struct ctl_stats_src *src,
		    struct metrics **metrics, struct telemetry **tel)
{
	char err[256];

	*tel = telemetry_new(src, err, sizeof(err));
	if (*tel == NULL) {
		fprintf(stderr, "srtpfwd: %s\n", err);
		return -1;
	}
	src->tel = *tel;
	if (mc->listen == NULL)
		return 0;
	*metrics = metrics_new(mc, src, err, sizeof(err));
	if (*metrics == NULL) {
		fprintf(stderr, "srtpfwd: %s\n", err);
		return -1;
	}
	src->metrics = *metrics;
	return 0;
}

int
main(int argc, char **argv)
{
	struct daemon_config cfg;
	struct ctl_server_config ctl;
	struct metrics_config mc;
	struct ctl_server *srv = NULL;
	struct ctl_events *events = NULL;
	struct metrics *metrics = NULL;
	struct telemetry *tel = NULL;
	struct ctl_stats_src stats_src = {0};
	struct daemon_stats st;
	struct daemon *d;
	unsigned int stats_s = 10, duration_s = 0;
	char err[256];
	time_t start, last;
	int n;

	if (argc == 3 && strcmp(argv[1], "--check-config") == 0)
		return check_config(argv[2]);
	memset(&cfg, 0, sizeof(cfg));
	memset(&ctl, 0, sizeof(ctl));
	memset(&mc, 0, sizeof(mc));
	if (argc >= 3 && strcmp(argv[1], "--config") == 0) {
		int rest = 0;

		if (config_load(argv[2], &file_cfg, err, sizeof(err)) != 0) {
			fprintf(stderr, "srtpfwd: %s\n", err);
			return 2;
		}
		if (eal_from_config(argc, argv, &rest) < 0) {
			fprintf(stderr, "srtpfwd: EAL: %s\n", rte_strerror(rte_errno));
			return 1;
		}
		cfg = file_cfg.daemon;
		config_ctl(&file_cfg, &ctl);
		config_metrics(&file_cfg, &mc);
		stats_s = file_cfg.stats_s;
		rte_log_set_global_level(file_cfg.log_level);
		/* after "--", only how long to run */
		for (int i = rest; i < argc; i++) {
			if (strcmp(argv[i], "--") == 0)
				continue;
			if (strcmp(argv[i], "--duration") == 0 && i + 1 < argc) {
				duration_s = (unsigned int)strtoul(argv[++i], NULL, 10);
				continue;
			}
			fprintf(stderr, "srtpfwd: with --config, '%s' belongs in the file\n",
				argv[i]);
			rte_eal_cleanup();
			return 2;
		}
	} else {
		n = rte_eal_init(argc, argv);
		if (n < 0) {
			fprintf(stderr, "srtpfwd: EAL: %s\n", rte_strerror(rte_errno));
			return 1;
		}
		argv[n] = argv[0];
		if (parse_args(argc - n, argv + n, &cfg, &ctl, &mc, &stats_s, &duration_s) != 0) {
			usage(argv[0]);
			rte_eal_cleanup();
			return 2;
		}
	}
	d = daemon_start(&cfg, err, sizeof(err));
	if (d == NULL) {
		fprintf(stderr, "srtpfwd: %s\n", err);
		rte_eal_cleanup();
		return 1;
	}
	stats_src.d = d;
	if (ctl.unix_path != NULL || ctl.tls_listen != NULL) {
		struct ctl_env env = {
			.ss = daemon_sessions(d), .stats = ctl_stats_put, .stats_arg = &stats_src};

		srv = ctl_server_new(&ctl, &env, err, sizeof(err));
		events = srv != NULL ? ctl_events_new(daemon_sessions(d), srv) : NULL;
		if (events == NULL) {
			fprintf(stderr, "srtpfwd: %s\n", srv == NULL ? err : "out of memory");
			ctl_server_free(srv);
			daemon_stop(d);
			rte_eal_cleanup();
			return 1;
		}
		stats_src.srv = srv;
		daemon_on_expire(d, ctl_events_timeout, events);
		printf("srtpfwd: control on%s%s%s%s (max %u clients)\n",
		       ctl.unix_path ? " unix:" : "", ctl.unix_path ? ctl.unix_path : "",
		       ctl.tls_listen ? " tls:" : "", ctl.tls_listen ? ctl.tls_listen : "",
		       ctl.max_clients ? ctl.max_clients : 64);
		fflush(stdout);
	}
	if (observability_start(&mc, &stats_src, &metrics, &tel) != 0) {
		telemetry_free(tel);
		ctl_events_free(events);
		ctl_server_free(srv);
		daemon_stop(d);
		rte_eal_cleanup();
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	start = last = time(NULL);
	while (!stop && (duration_s == 0 || time(NULL) - start < (time_t)duration_s)) {
		/* The control thread may wait: workers never wait for it. At
		 * most one of the polls below waits (1 ms), and only when idle. */
		unsigned int busy = daemon_poll(d);

		if (srv != NULL)
			ctl_server_poll(srv, busy ? 0 : 1);
		if (metrics != NULL)
			metrics_poll(metrics, busy || srv != NULL ? 0 : 1);
		else if (srv == NULL && busy == 0)
			usleep(1000);
		telemetry_poll(tel);
		/* events: each session looked at once a second, a slice at a
		 * time (ctl_events.h) */
		if (events != NULL)
			ctl_events_poll(events, clock_ms());
		if (stats_s != 0 && time(NULL) - last >= (time_t)stats_s) {
			last = time(NULL);
			daemon_stats(d, &st);
			daemon_stats_print(&st, stdout);
			fflush(stdout);
		}
	}
	telemetry_free(tel); /* the commands answer an error from now on */
	metrics_free(metrics);
	ctl_events_free(events);
	ctl_server_free(srv); /* clients are cut off; sessions stay until stop */
	daemon_stop_workers(d); /* the final counters add up exactly */
	daemon_stats(d, &st);
	daemon_stats_print(&st, stdout);
	daemon_stop(d);
	rte_eal_cleanup();
	return 0;
}
