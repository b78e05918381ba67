/* daemon.c: ports, workers and the control loop (see daemon.h). */
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "daemon.h"
#include "fault_watch.h"
#include "log_limit.h"

RTE_LOG_REGISTER(daemon_logtype, srtpfwd.daemon, INFO);
#define DLOG(level, fmt, ...)                                                                      \
	rte_log(RTE_LOG_##level, daemon_logtype, "srtpfwd: " fmt "\n", ##__VA_ARGS__)

#define ERR(...) snprintf(err, err_len, __VA_ARGS__)

#define PUNT_RING 1024 /* per worker; a full ring is DROP_PUNT_FULL */
#define INJECT_RING 1024
#define MBUF_CACHE 256
#define TIMER_MS 10 /* neighbour timers */
#define EXPIRE_MS 1000 /* inactivity scan */
/* Fault watch (fault_watch.h): links, rings and the pool every 100 ms, the
 * PMDs' counters every second (some PMDs read them from firmware). */
#define FAULT_MS 100
#define PORT_STATS_MS 1000

/* Flow types a port must steer on destination address and port alone to
 * run more than one queue (DESIGN.md: one writer per inbound stream). */
#define RSS_DST_ONLY                                                                               \
	(RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV6_UDP | RTE_ETH_RSS_L3_DST_ONLY |   \
	 RTE_ETH_RSS_L4_DST_ONLY)

struct daemon {
	struct daemon_config cfg;
	uint16_t port_id[WORKER_PORTS_MAX];
	uint8_t port_started[WORKER_PORTS_MAX];
	unsigned int n_queues; /* per port, rx and tx: one per worker */
	struct rte_mempool *pool;
	struct rte_rcu_qsbr *rcu;
	IMB_MGR *mgr; /* key derivation on this thread */
	struct sessions *ss;
	unsigned int n_workers;
	unsigned int n_running; /* launched and not yet waited for */
	struct worker *w[RTE_MAX_LCORE];
	unsigned int lcore[RTE_MAX_LCORE];
	struct rte_ring *inject; /* to worker 0 */
	uint64_t tsc_per_ms;
	uint64_t next_timer_ms, next_expire_ms;
	uint64_t inject_full, expired;
	uint64_t next_fault_ms, next_port_stats_ms;
	struct fault_watch faults;
	uint64_t pool_empty_ticks; /* TIMER_MS ticks that found the pool empty */
	/* each port's, as of its last good read (a failed read keeps them: a
	 * sum that dipped and came back would look like a new fault) */
	uint64_t rx_nombuf[WORKER_PORTS_MAX], imissed[WORKER_PORTS_MAX];
	struct log_limit fault_log;
	struct {
		/* known: a state was read; been_up: it was up once. Until then
		 * a NIC is still negotiating, and nothing counts as a change. */
		uint8_t known, up, been_up;
		uint64_t changes;
		char kernel_if[IF_NAMESIZE]; /* net_af_packet's interface, else "" */
	} link[WORKER_PORTS_MAX];
	int ioctl_fd; /* for the kernel interfaces' flags; -1: none */
	void (*expire_cb)(void *ctx, uint32_t slot, uint64_t id);
	void *expire_ctx;
};

static uint64_t
now_ms(const struct daemon *d)
{
	return rte_get_timer_cycles() / d->tsc_per_ms;
}

/* ---- neighbour frames out ---- */

static struct rte_mbuf *
io_alloc(void *ctx)
{
	struct daemon *d = ctx;

	return rte_pktmbuf_alloc(d->pool);
}

static void
io_send(void *ctx, struct rte_mbuf *m)
{
	struct daemon *d = ctx;

	if (rte_ring_sp_enqueue(d->inject, m) != 0) {
		d->inject_full++;
		rte_pktmbuf_free(m);
	}
}

/* ---- ports ---- */

/* The port of @p dev: one EAL already has, or a device probed now. */
static int
port_find_or_probe(const char *dev, uint16_t *port_id, char *err, size_t err_len)
{
	char name[DAEMON_DEV_MAX];
	size_t n = strcspn(dev, ",");
	int r;

	memcpy(name, dev, n);
	name[n] = '\0';
	if (rte_eth_dev_get_port_by_name(name, port_id) == 0)
		return 0;
	r = rte_dev_probe(dev);
	if (r != 0) {
		ERR("port %s: probe failed: %s", dev, rte_strerror(-r));
		return -1;
	}
	if (rte_eth_dev_get_port_by_name(name, port_id) != 0) {
		/* a PCI device's ports may carry another name: take the first
		 * port whose device matches */
		uint16_t p;

		RTE_ETH_FOREACH_DEV(p)
		{
			struct rte_eth_dev_info info;

			if (rte_eth_dev_info_get(p, &info) == 0 &&
			    strcmp(rte_dev_name(info.device), name) == 0) {
				*port_id = p;
				return 0;
			}
		}
		ERR("port %s: probed, but no ethdev port appeared", dev);
		return -1;
	}
	return 0;
}

/* Can every port steer by destination address and port into n queues? */
static unsigned int
queues_possible(struct daemon *d, unsigned int want)
{
	for (unsigned int i = 0; i < d->cfg.n_ports; i++) {
		struct rte_eth_dev_info info;

		if (rte_eth_dev_info_get(d->port_id[i], &info) != 0)
			return 1;
		if (want > 1 && (info.flow_type_rss_offloads & RSS_DST_ONLY) != RSS_DST_ONLY) {
			DLOG(WARNING,
			     "port %s: no RSS on destination address + UDP port: one queue per "
			     "port, one worker",
			     d->cfg.ports[i].dev);
			return 1;
		}
		want = RTE_MIN(want, (unsigned int)RTE_MIN(info.max_rx_queues, info.max_tx_queues));
	}
	return RTE_MAX(want, 1u);
}

static int
port_setup(struct daemon *d, unsigned int i, char *err, size_t err_len)
{
	uint16_t p = d->port_id[i], rxd = d->cfg.rx_desc ? d->cfg.rx_desc : 1024,
		 txd = d->cfg.tx_desc ? d->cfg.tx_desc : 1024;
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	int r;

	memset(&conf, 0, sizeof(conf));
	if ((r = rte_eth_dev_info_get(p, &info)) != 0) {
		ERR("port %s: no device info: %s", d->cfg.ports[i].dev, rte_strerror(-r));
		return -1;
	}
	if (d->n_queues > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = RSS_DST_ONLY;
	}
	if ((r = rte_eth_dev_configure(p, (uint16_t)d->n_queues, (uint16_t)d->n_queues, &conf)) !=
	    0) {
		ERR("port %s: configure %u queues: %s", d->cfg.ports[i].dev, d->n_queues,
		    rte_strerror(-r));
		return -1;
	}
	rte_eth_dev_adjust_nb_rx_tx_desc(p, &rxd, &txd);
	for (uint16_t q = 0; q < d->n_queues; q++) {
		int socket = rte_eth_dev_socket_id(p);

		if ((r = rte_eth_rx_queue_setup(p, q, rxd, socket < 0 ? 0 : (unsigned int)socket,
						NULL, d->pool)) != 0 ||
		    (r = rte_eth_tx_queue_setup(p, q, txd, socket < 0 ? 0 : (unsigned int)socket,
						NULL)) != 0) {
			ERR("port %s: queue %u set-up: %s", d->cfg.ports[i].dev, q,
			    rte_strerror(-r));
			return -1;
		}
	}
	if ((r = rte_eth_dev_start(p)) != 0) {
		ERR("port %s: start: %s", d->cfg.ports[i].dev, rte_strerror(-r));
		return -1;
	}
	d->port_started[i] = 1;
	/* Media is addressed to our MACs, ND to multicast groups, and veths
	 * deliver whatever the peer sends: take everything, parse decides. */
	rte_eth_promiscuous_enable(p);
	rte_eth_allmulticast_enable(p);
	DLOG(INFO, "port %s: DPDK port %u, driver %s, %u queue(s), %u/%u descriptors",
	     d->cfg.ports[i].dev, p, info.driver_name, d->n_queues, rxd, txd);
	return 0;
}

/* ---- start / stop ---- */

static int
sessions_setup(struct daemon *d, char *err, size_t err_len)
{
	struct sessions_config sc;
	char why[256];

	memset(&sc, 0, sizeof(sc));
	sc.port_min = d->cfg.port_min;
	sc.port_max = d->cfg.port_max;
	sc.max_sessions = d->cfg.max_sessions;
	sc.max_neighbours = d->cfg.max_neighbours;
	sc.n_addrs = (uint8_t)d->cfg.n_addrs;
	for (unsigned int a = 0; a < d->cfg.n_addrs; a++) {
		const struct daemon_addr *c = &d->cfg.addrs[a];
		struct rte_ether_addr mac;

		sc.addrs[a].ip6 = c->ip6;
		sc.addrs[a].port_id = d->port_id[c->port];
		sc.addrs[a].vlan = c->vlan;
		memcpy(sc.addrs[a].addr, c->addr, 16);
		rte_eth_macaddr_get(d->port_id[c->port], &mac);
		memcpy(sc.addrs[a].mac, mac.addr_bytes, 6);
		sc.routes[a] = c->route;
	}
	sc.io.ctx = d;
	sc.io.alloc = io_alloc;
	sc.io.send = io_send;
	d->ss = sessions_new(&sc, d->rcu, d->mgr, why, sizeof(why));
	if (d->ss == NULL) {
		ERR("sessions: %s", why);
		return -1;
	}
	return 0;
}

static int
check_config(const struct daemon_config *c, char *err, size_t err_len)
{
	if (c->n_ports == 0 || c->n_ports > WORKER_PORTS_MAX) {
		ERR("%u ports: need 1 to %d", c->n_ports, WORKER_PORTS_MAX);
		return -1;
	}
	if (c->n_addrs == 0 || c->n_addrs > LOCAL_ADDR_MAX) {
		ERR("%u local addresses: need 1 to %d", c->n_addrs, LOCAL_ADDR_MAX);
		return -1;
	}
	for (unsigned int a = 0; a < c->n_addrs; a++) {
		const struct daemon_addr *x = &c->addrs[a];

		if (x->port >= c->n_ports) {
			ERR("local address %u: port %u not configured", a, x->port);
			return -1;
		}
		if (x->vlan > 4094) {
			ERR("local address %u: VLAN %u, need 0..4094", a, x->vlan);
			return -1;
		}
		if (x->route.prefix_len > (x->ip6 ? 128 : 32)) {
			ERR("local address %u: prefix /%u too long", a, x->route.prefix_len);
			return -1;
		}
	}
	return 0;
}

/* Where port @p i's link state comes from. net_af_packet in DPDK 22.11
 * says "up" from start to stop whatever its interface does, so for it the
 * link is the kernel interface's: up and running (carrier), read with
 * SIOCGIFFLAGS. Every other PMD answers rte_eth_link_get_nowait(). */
static void
link_source(struct daemon *d, unsigned int i)
{
	struct rte_eth_dev_info info;
	const struct rte_devargs *da;
	const char *a;
	size_t n;

	if (rte_eth_dev_info_get(d->port_id[i], &info) != 0 || info.driver_name == NULL ||
	    strcmp(info.driver_name, "net_af_packet") != 0 || info.device == NULL ||
	    (da = rte_dev_devargs(info.device)) == NULL || da->args == NULL)
		return;
	for (a = da->args; a != NULL; a = strchr(a, ','), a = a ? a + 1 : NULL)
		if (strncmp(a, "iface=", 6) == 0)
			break;
	n = a != NULL ? strcspn(a + 6, ",") : 0;
	if (n == 0 || n >= IF_NAMESIZE) {
		DLOG(NOTICE,
		     "port %u: no iface= in \"%s\": its link state is the PMD's (always up)", i,
		     da->args);
		return;
	}
	if (d->ioctl_fd < 0)
		d->ioctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (d->ioctl_fd < 0) {
		DLOG(NOTICE, "port %u: socket for SIOCGIFFLAGS: %s: its link state is the PMD's", i,
		     strerror(errno));
		return;
	}
	memcpy(d->link[i].kernel_if, a + 6, n);
	d->link[i].kernel_if[n] = '\0';
}

/* @return 1 up, 0 down, -1 not known. */
static int
link_state(struct daemon *d, unsigned int i, struct rte_eth_link *l)
{
	memset(l, 0, sizeof(*l));
	if (d->link[i].kernel_if[0] != '\0') {
		struct ifreq ifr;

		memset(&ifr, 0, sizeof(ifr));
		memcpy(ifr.ifr_name, d->link[i].kernel_if, sizeof(d->link[i].kernel_if));
		/* ENODEV: the interface is gone, which is down too */
		if (ioctl(d->ioctl_fd, SIOCGIFFLAGS, &ifr) != 0)
			return 0;
		return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
	}
	if (rte_eth_link_get_nowait(d->port_id[i], l) != 0)
		return -1;
	return l->link_status == RTE_ETH_LINK_UP;
}

struct daemon *
daemon_start(const struct daemon_config *cfg, char *err, size_t err_len)
{
	struct daemon *d;
	unsigned int lcore, want = 0, n_rings;
	uint32_t mbufs;
	size_t sz;
	int r;

	if (check_config(cfg, err, err_len) != 0)
		return NULL;
	/* Key objects come and go with every create, re-key and delete. With
	 * glibc's default trim threshold, free() hands the heap's top back to
	 * the kernel and the next create faults it in again. Measured with
	 * bench/ctl_bench's no-socket profile (10,000 creates after as many
	 * deletes): sessions_create 16.6 -> 9.1 us, a dispatched CREATE
	 * 18.7 -> 11.1 us, a dispatched re-key 8.6 -> 5.7 us. */
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		ERR("out of memory");
		return NULL;
	}
	d->ioctl_fd = -1;
	d->cfg = *cfg;
	d->tsc_per_ms = rte_get_timer_hz() / 1000;
	RTE_LCORE_FOREACH_WORKER(lcore)
	want++;
	if (cfg->max_workers != 0)
		want = RTE_MIN(want, cfg->max_workers);
	if (want == 0) {
		ERR("no worker lcore: give EAL at least two (e.g. -l 0,1); the main lcore is "
		    "the control thread");
		goto fail;
	}
	for (unsigned int i = 0; i < cfg->n_ports; i++)
		if (port_find_or_probe(cfg->ports[i].dev, &d->port_id[i], err, err_len) != 0)
			goto fail;
		else if (d->port_id[i] >= WORKER_PORTS_MAX) {
			ERR("port %s: DPDK port id %u, at most %d ports in all", cfg->ports[i].dev,
			    d->port_id[i], WORKER_PORTS_MAX);
			goto fail;
		}
	d->n_queues = queues_possible(d, want);
	d->n_workers = d->n_queues;

	/* Every descriptor may hold an mbuf, plus what sits in rings, tx
	 * buffers, bursts in flight and held frames. */
	n_rings = d->n_workers * PUNT_RING + INJECT_RING;
	mbufs = cfg->mbufs;
	if (mbufs == 0)
		mbufs = cfg->n_ports * d->n_queues *
				((cfg->rx_desc ? cfg->rx_desc : 1024u) +
				 (cfg->tx_desc ? cfg->tx_desc : 1024u) + WORKER_PORTS_MAX * 96u) +
			n_rings + 4096;
	d->pool = rte_pktmbuf_pool_create("srtpfwd_mbufs", mbufs, MBUF_CACHE, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (d->pool == NULL) {
		ERR("mbuf pool of %u: %s (hugepages? try --no-huge -m 512)", mbufs,
		    rte_strerror(rte_errno));
		goto fail;
	}
	for (unsigned int i = 0; i < cfg->n_ports; i++)
		if (port_setup(d, i, err, err_len) != 0)
			goto fail;
		else
			link_source(d, i);

	sz = rte_rcu_qsbr_get_memsize(d->n_workers);
	d->rcu = rte_zmalloc("srtpfwd_rcu", sz, RTE_CACHE_LINE_SIZE);
	if (d->rcu == NULL || rte_rcu_qsbr_init(d->rcu, d->n_workers) != 0) {
		ERR("RCU for %u workers: out of memory", d->n_workers);
		goto fail;
	}
	d->mgr = alloc_mb_mgr(0);
	if (d->mgr == NULL) {
		ERR("ipsec-mb manager: out of memory");
		goto fail;
	}
	init_mb_mgr_auto(d->mgr, NULL);
	d->inject = rte_ring_create("srtpfwd_inject", INJECT_RING, (int)rte_socket_id(),
				    RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (d->inject == NULL) {
		ERR("inject ring: %s", rte_strerror(rte_errno));
		goto fail;
	}
	if (sessions_setup(d, err, err_len) != 0)
		goto fail;

	/* Workers: one per queue, each on its own lcore. */
	lcore = rte_get_next_lcore(-1, 1, 0);
	for (unsigned int k = 0; k < d->n_workers; k++, lcore = rte_get_next_lcore(lcore, 1, 0)) {
		struct worker *w =
			rte_zmalloc_socket("srtpfwd_worker", sizeof(*w), RTE_CACHE_LINE_SIZE,
					   (int)rte_lcore_to_socket_id(lcore));
		char name[32];

		if (w == NULL || crypto_worker_init(&w->crypto) != 0) {
			rte_free(w);
			ERR("worker %u: out of memory", k);
			goto fail;
		}
		d->w[k] = w;
		d->lcore[k] = lcore;
		w->id = k;
		w->n_ports = (uint16_t)cfg->n_ports;
		for (unsigned int i = 0; i < cfg->n_ports; i++)
			w->ports[i] = d->port_id[i];
		w->rxq = w->txq = (uint16_t)k;
		w->tsc_per_ms = d->tsc_per_ms;
		w->table = sessions_table(d->ss);
		w->parse.verify_udp_csum = 1;
		snprintf(name, sizeof(name), "srtpfwd_punt%u", k);
		w->punt = rte_ring_create(name, PUNT_RING, (int)rte_socket_id(),
					  RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->punt == NULL) {
			ERR("worker %u punt ring: %s", k, rte_strerror(rte_errno));
			goto fail;
		}
		w->inject = k == 0 ? d->inject : NULL;
		w->rcu = d->rcu;
		w->rcu_id = k;
		rte_rcu_qsbr_thread_register(d->rcu, k);
	}
	for (unsigned int k = 0; k < d->n_workers; k++) {
		r = rte_eal_remote_launch(worker_main, d->w[k], d->lcore[k]);
		if (r != 0) {
			ERR("worker %u on lcore %u: launch failed: %s", k, d->lcore[k],
			    rte_strerror(-r));
			goto fail;
		}
		d->n_running = k + 1;
		DLOG(INFO, "worker %u on lcore %u (rx/tx queue %u of every port)", k, d->lcore[k],
		     k);
	}
	d->next_timer_ms = d->next_expire_ms = d->next_fault_ms = now_ms(d);
	return d;
fail:
	DLOG(ERR, "start failed: %s", err);
	daemon_stop(d);
	return NULL;
}

void
daemon_stop_workers(struct daemon *d)
{
	for (unsigned int k = 0; k < RTE_DIM(d->w) && d->w[k] != NULL; k++)
		__atomic_store_n(&d->w[k]->stop, true, __ATOMIC_RELAXED);
	for (unsigned int k = 0; k < d->n_running; k++)
		rte_eal_wait_lcore(d->lcore[k]);
	d->n_running = 0;
}

void
daemon_stop(struct daemon *d)
{
	if (d == NULL)
		return;
	daemon_stop_workers(d);
	/* Workers are gone: sessions go without RCU waits (keys zeroed). */
	sessions_free(d->ss);
	for (unsigned int k = 0; k < RTE_DIM(d->w) && d->w[k] != NULL; k++) {
		if (d->w[k]->punt != NULL) {
			struct rte_mbuf *m;

			while (rte_ring_sc_dequeue(d->w[k]->punt, (void **)&m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(d->w[k]->punt);
		}
		crypto_worker_fini(&d->w[k]->crypto);
		rte_free(d->w[k]);
	}
	if (d->inject != NULL) {
		struct rte_mbuf *m;

		while (rte_ring_sc_dequeue(d->inject, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(d->inject);
	}
	for (unsigned int i = 0; i < d->cfg.n_ports; i++)
		if (d->port_started[i]) {
			rte_eth_dev_stop(d->port_id[i]);
			rte_eth_dev_close(d->port_id[i]);
		}
	if (d->mgr != NULL)
		free_mb_mgr(d->mgr);
	rte_free(d->rcu);
	rte_mempool_free(d->pool);
	if (d->ioctl_fd >= 0)
		close(d->ioctl_fd);
	free(d);
}

/* ---- the control loop ---- */

static void
on_expire(void *ctx, uint32_t slot, uint64_t id)
{
	struct daemon *d = ctx;

	DLOG(INFO, "session %" PRIu64 " (slot %u): inactivity timeout, deleted", id, slot);
	d->expired++;
	if (d->expire_cb != NULL)
		d->expire_cb(d->expire_ctx, slot, id);
}

/* ---- faults: counted once and logged once per episode ---- */

static void
on_fault(void *ctx, enum fault_kind kind, int cleared, uint64_t lost, uint64_t ms)
{
	struct daemon *d = ctx;

	/* once per episode each way; and faults that come and go all the
	 * time still cost at most LOG_LIMIT_PER_S lines a second */
	if (!log_limit_allow(&d->fault_log, daemon_logtype, "srtpfwd"))
		return;
	if (!cleared)
		DLOG(WARNING, "fault: %s (%s growing); logged again when it clears",
		     fault_text(kind), fault_counter(kind));
	else if (ms < FAULT_MS)
		DLOG(NOTICE, "fault cleared: %s: %s +%" PRIu64 ", within one %u ms sample",
		     fault_name(kind), fault_counter(kind), lost, FAULT_MS);
	else
		DLOG(NOTICE, "fault cleared: %s: %s +%" PRIu64 " over %" PRIu64 " ms",
		     fault_name(kind), fault_counter(kind), lost, ms);
}

/* Each change is counted and logged once (at most LOG_LIMIT_PER_S lines a
 * second over all ports: a flapping link must not flood the log). Until a
 * port's link has been up once it is negotiating, not failing: that is
 * said once, and neither counted nor warned about. */
static void
watch_links(struct daemon *d)
{
	for (unsigned int i = 0; i < d->cfg.n_ports; i++) {
		struct rte_eth_link l;
		const char *dev = d->cfg.ports[i].dev;
		int n = (int)strcspn(dev, ","), st;
		uint8_t up, was_known = d->link[i].known;

		if (!d->port_started[i] || (st = link_state(d, i, &l)) < 0)
			continue;
		up = (uint8_t)st;
		if (was_known && d->link[i].up == up)
			continue;
		d->link[i].known = 1;
		d->link[i].up = up;
		if (!d->link[i].been_up) {
			if (!up && !was_known)
				DLOG(NOTICE, "port %u (%.*s): link not up yet", i, n, dev);
			if (!up)
				continue;
			d->link[i].been_up = 1;
			if (!was_known)
				continue; /* up from the start: nothing to say */
		} else {
			d->link[i].changes++;
		}
		if (!log_limit_allow(&d->fault_log, daemon_logtype, "srtpfwd"))
			continue;
		/* rte_eth_link_to_str() is still experimental in 22.11 */
		if (!up)
			DLOG(WARNING, "port %u (%.*s): link down", i, n, dev);
		else if (d->link[i].kernel_if[0] != '\0')
			DLOG(NOTICE, "port %u (%.*s): link up (interface %s)", i, n, dev,
			     d->link[i].kernel_if);
		else
			DLOG(NOTICE, "port %u (%.*s): link up, %u Mbps, %s-duplex", i, n, dev,
			     l.link_speed,
			     l.link_duplex == RTE_ETH_LINK_FULL_DUPLEX ? "full" : "half");
	}
}

static void
watch_faults(struct daemon *d, uint64_t now)
{
	uint64_t count[FAULT_MAX] = {0};

	watch_links(d);
	if (now >= d->next_port_stats_ms) {
		for (unsigned int i = 0; i < d->cfg.n_ports; i++) {
			struct rte_eth_stats e;

			if (d->port_started[i] && rte_eth_stats_get(d->port_id[i], &e) == 0) {
				d->rx_nombuf[i] = e.rx_nombuf;
				d->imissed[i] = e.imissed;
			}
		}
		d->next_port_stats_ms = now + PORT_STATS_MS;
	}
	for (unsigned int i = 0; i < d->cfg.n_ports; i++) {
		count[FAULT_MBUF_EXHAUSTED] += d->rx_nombuf[i];
		count[FAULT_RX_MISSED] += d->imissed[i];
	}
	for (unsigned int k = 0; k < d->n_workers; k++) {
		const uint64_t *drop = d->w[k]->stats.drop;

		count[FAULT_PUNT_FULL] += __atomic_load_n(&drop[DROP_PUNT_FULL], __ATOMIC_RELAXED);
		count[FAULT_TX_FULL] += __atomic_load_n(&drop[DROP_TX_FULL], __ATOMIC_RELAXED);
	}
	count[FAULT_INJECT_FULL] = d->inject_full;
	count[FAULT_MBUF_EXHAUSTED] +=
		neigh_stats(sessions_neigh(d->ss))->no_mbuf + d->pool_empty_ticks;
	fault_watch_update(&d->faults, count, now, on_fault, d);
}

unsigned int
daemon_poll(struct daemon *d)
{
	struct neigh *nb = sessions_neigh(d->ss);
	uint64_t now = now_ms(d);
	unsigned int handled = 0;
	int tick = now >= d->next_timer_ms; /* every TIMER_MS */

	/* An empty pool is what the fault looks like on PMDs that do not count
	 * rx_nombuf (net_af_packet does not). Looked at before the punted
	 * frames are freed below: they may be what holds the mbufs. */
	if (tick)
		d->pool_empty_ticks += rte_mempool_avail_count(d->pool) == 0;
	for (unsigned int k = 0; k < d->n_workers; k++) {
		struct rte_mbuf *m[32];
		unsigned int n = rte_ring_sc_dequeue_burst(d->w[k]->punt, (void **)m, 32, NULL);

		for (unsigned int i = 0; i < n; i++)
			neigh_input(nb, m[i], now);
		handled += n;
	}
	if (tick) {
		neigh_timer(nb, now);
		d->next_timer_ms = now + TIMER_MS;
	}
	if (now >= d->next_fault_ms) {
		watch_faults(d, now);
		d->next_fault_ms = now + FAULT_MS;
	}
	if (now >= d->next_expire_ms) {
		sessions_expire(d->ss, now, on_expire, d);
		d->next_expire_ms = now + EXPIRE_MS;
	}
	return handled;
}

/* ---- accessors and stats ---- */

struct sessions *
daemon_sessions(struct daemon *d)
{
	return d->ss;
}

void
daemon_on_expire(struct daemon *d, void (*cb)(void *ctx, uint32_t slot, uint64_t id), void *ctx)
{
	d->expire_cb = cb;
	d->expire_ctx = ctx;
}

unsigned int
daemon_n_workers(const struct daemon *d)
{
	return d->n_workers;
}

const struct worker *
daemon_worker(const struct daemon *d, unsigned int i)
{
	return i < d->n_workers ? d->w[i] : NULL;
}

uint16_t
daemon_port_id(const struct daemon *d, unsigned int i)
{
	return d->port_id[i];
}

void
daemon_stats(struct daemon *d, struct daemon_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->n_workers = d->n_workers;
	for (unsigned int k = 0; k < d->n_workers; k++) {
		const struct worker_stats *s = &d->w[k]->stats;
		uint64_t *dst = (uint64_t *)&st->total;
		const uint64_t *src = (const uint64_t *)s;

		/* struct worker_stats is all uint64_t counters */
		for (size_t i = 0; i < sizeof(*s) / sizeof(uint64_t); i++)
			dst[i] += __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	}
	st->sessions = sessions_count(d->ss);
	st->neighbours = neigh_count(sessions_neigh(d->ss));
	st->neigh = *neigh_stats(sessions_neigh(d->ss));
	st->inject_full = d->inject_full;
	st->expired = d->expired;
	st->mbufs = d->pool->size;
	st->mbufs_free = rte_mempool_avail_count(d->pool);
#define X(name, lower, count, quiet, text) st->lower##_events = d->faults.episodes[FAULT_##name];
	FOREACH_FAULT(X)
#undef X
	st->n_ports = d->cfg.n_ports;
	for (unsigned int i = 0; i < d->cfg.n_ports; i++) {
		struct daemon_port_stats *p = &st->port[i];
		struct rte_eth_stats e;

		p->port_id = d->port_id[i];
		p->link_up = d->link[i].up;
		p->link_changes = d->link[i].changes;
		snprintf(p->name, sizeof(p->name), "%.*s", (int)strcspn(d->cfg.ports[i].dev, ","),
			 d->cfg.ports[i].dev);
		if (rte_eth_stats_get(d->port_id[i], &e) != 0)
			continue;
		p->ipackets = e.ipackets;
		p->opackets = e.opackets;
		p->ibytes = e.ibytes;
		p->obytes = e.obytes;
		p->imissed = e.imissed;
		p->ierrors = e.ierrors;
		p->oerrors = e.oerrors;
		p->rx_nombuf = e.rx_nombuf;
	}
}

void
daemon_stats_print(const struct daemon_stats *st, FILE *f)
{
	const struct worker_stats *t = &st->total;

	fprintf(f, "%-24s %12s %12s %10s %10s %10s\n", "port", "rx", "tx", "missed", "rx_err",
		"tx_err");
	for (unsigned int i = 0; i < st->n_ports; i++)
		fprintf(f,
			"%-24s %12" PRIu64 " %12" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64
			"\n",
			st->port[i].name, st->port[i].ipackets, st->port[i].opackets,
			st->port[i].imissed, st->port[i].ierrors, st->port[i].oerrors);
	fprintf(f,
		"workers %u: rx %" PRIu64 " tx %" PRIu64 " punted %" PRIu64 " injected %" PRIu64
		" srtp_unprotected %" PRIu64 " srtp_protected %" PRIu64 "\n",
		st->n_workers, t->rx, t->tx, t->punted, t->injected, t->srtp_unprotected,
		t->srtp_protected);
	for (unsigned int r = 1; r < DROP_MAX; r++)
		if (t->drop[r] != 0)
			fprintf(f, "  drop %-20s %12" PRIu64 "  %s\n",
				drop_reason_name((enum drop_reason)r), t->drop[r],
				drop_reason_text((enum drop_reason)r));
	fprintf(f,
		"sessions %u (expired %" PRIu64 "), next hops %u: arp_replied %" PRIu64
		" nd_replied %" PRIu64 " echo_replied %" PRIu64 " requests_sent %" PRIu64
		" held %" PRIu64 " held_sent %" PRIu64 " held_dropped %" PRIu64 " ignored %" PRIu64
		" malformed %" PRIu64 "\n",
		st->sessions, st->expired, st->neighbours, st->neigh.arp_replied,
		st->neigh.nd_replied, st->neigh.echo_replied, st->neigh.requests_sent,
		st->neigh.held, st->neigh.held_sent, st->neigh.held_dropped, st->neigh.ignored,
		st->neigh.malformed);
}
