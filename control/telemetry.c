/* telemetry.c: the /srtpfwd/ telemetry commands (see telemetry.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_log.h>
#include <rte_telemetry.h>

#include "clock_ms.h"
#include "ctl_stats.h"
#include "telemetry.h"

RTE_LOG_REGISTER(telemetry_logtype, srtpfwd.telemetry, INFO);

/* A leg as telemetry shows it: addresses, ports, mode, suite names (never
 * a key), packets. */
struct tel_leg {
	uint8_t flags; /* enum leg_flag */
	uint8_t local_ip6;
	uint8_t local[16];
	uint16_t local_port;
	struct endpoint remote;
	int8_t suite_in, suite_out; /* enum suite; -1: no key */
	uint64_t packets; /* forwarded, RTP and RTCP ports */
};

struct tel_session {
	uint32_t slot;
	uint32_t timeout_ms;
	uint64_t id;
	struct tel_leg leg[2];
};

/* What the control thread copies for one request. */
struct tel_snap {
	uint32_t slot_asked; /* 0: the list */
	uint32_t n_sessions; /* in s[] */
	int64_t taken_ms;
	struct tel_session s[TELEMETRY_SESSIONS_MAX];
	struct ctl_counters c; /* last: large */
};

struct telemetry {
	const struct ctl_stats_src *src;
	pthread_mutex_t lock; /* guards what follows but want's atomic reads */
	pthread_cond_t answered;
	uint32_t want; /* telemetry: w (under lock, release); control: acquire hint */
	uint32_t want_slot; /* telemetry: w under lock */
	uint32_t done; /* control: w under lock. The request the snapshot answers */
	struct tel_snap snap; /* control: w under lock */
	struct telemetry_stats st; /* telemetry threads: atomic adds */
};

/* The callbacks are plain functions (22.11 passes them no context): this
 * is the instance they serve. tel_req_lock also makes one request at a
 * time (DPDK runs one thread per telemetry client), so tel_copy is theirs. */
static pthread_mutex_t tel_req_lock = PTHREAD_MUTEX_INITIALIZER;
static struct telemetry *tel_current;
static struct tel_snap tel_copy;
static int tel_registered;
static int64_t tel_last_stale_log;

/* ---- control thread ---- */

/* Where media leaving the leg goes now: latched under the current
 * configuration, else configured (session.h). cfg is the control thread's
 * own; the latch is a worker's, read under its sequence counter. */
static void
current_remote(const struct leg *g, struct endpoint *e)
{
	struct latch lt;

	*e = g->cfg.remote;
	if (!(g->flags & LEG_LATCH))
		return;
	while (!seq_read(&g->latch_seq, &lt, &g->latch, sizeof(lt)))
		;
	if (lt.epoch == g->cfg.epoch && lt.remote.port != 0)
		*e = lt.remote;
}

static void
summarise(struct sessions *ss, uint32_t slot, const struct session *s, struct tel_session *o)
{
	const struct session_table *t = sessions_table(ss);

	memset(o, 0, sizeof(*o));
	o->slot = slot;
	o->id = s->id;
	o->timeout_ms = sessions_timeout_ms(ss, slot);
	for (unsigned int l = 0; l < 2; l++) {
		const struct leg *g = &s->leg[l];
		struct tel_leg *ol = &o->leg[l];
		const struct srtp_keys *in = __atomic_load_n(&g->in.keys, __ATOMIC_ACQUIRE);
		const struct srtp_keys *out = __atomic_load_n(&g->out.keys, __ATOMIC_ACQUIRE);

		ol->flags = g->flags;
		if (g->local_addr < t->n_addrs) {
			ol->local_ip6 = t->addrs[g->local_addr].ip6;
			memcpy(ol->local, t->addrs[g->local_addr].addr, 16);
		}
		ol->local_port = g->local_port;
		current_remote(g, &ol->remote);
		/* the suite only: key objects are read for nothing else */
		ol->suite_in = in != NULL ? (int8_t)in->suite : -1;
		ol->suite_out = out != NULL ? (int8_t)out->suite : -1;
		ol->packets = __atomic_load_n(&g->rx[0].packets, __ATOMIC_RELAXED) +
			      __atomic_load_n(&g->rx[1].packets, __ATOMIC_RELAXED);
	}
}

static void
fill(struct telemetry *t, uint32_t slot)
{
	struct tel_snap *sn = &t->snap;
	struct sessions *ss = t->src->d != NULL ? daemon_sessions(t->src->d) : NULL;

	sn->slot_asked = slot;
	sn->n_sessions = 0;
	sn->taken_ms = clock_ms();
	ctl_counters_collect(t->src, &sn->c);
	if (ss == NULL)
		return;
	if (slot != 0) {
		const struct session *s = sessions_get(ss, slot);

		if (s != NULL)
			summarise(ss, slot, s, &sn->s[sn->n_sessions++]);
		return;
	}
	/* the first sessions by slot; stops as soon as there are enough */
	for (uint32_t i = 1, cap = sessions_capacity(ss), left = sessions_count(ss);
	     i <= cap && left > 0 && sn->n_sessions < TELEMETRY_SESSIONS_MAX; i++) {
		const struct session *s = sessions_get(ss, i);

		if (s == NULL)
			continue;
		summarise(ss, i, s, &sn->s[sn->n_sessions++]);
		left--;
	}
}

void
telemetry_poll(struct telemetry *t)
{
	if (__atomic_load_n(&t->want, __ATOMIC_ACQUIRE) == t->done)
		return;
	/* never wait: the telemetry thread holds the lock only to post a
	 * request or copy a snapshot; try again next turn */
	if (pthread_mutex_trylock(&t->lock) != 0)
		return;
	fill(t, t->want_slot);
	t->done = t->want;
	pthread_cond_broadcast(&t->answered);
	pthread_mutex_unlock(&t->lock);
}

/* ---- telemetry threads ---- */

/* Ask the control thread for a snapshot and copy it into tel_copy.
 * @return 1 fresh, 0 stale (the last one), -1 none yet. */
static int
fetch(struct telemetry *t, uint32_t slot)
{
	struct timespec dl;
	uint32_t seq, done;
	int fresh;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += TELEMETRY_WAIT_MS / 1000;
	dl.tv_nsec += (TELEMETRY_WAIT_MS % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&t->lock);
	t->want_slot = slot;
	seq = t->want + 1;
	__atomic_store_n(&t->want, seq, __ATOMIC_RELEASE);
	while (t->done != seq)
		if (pthread_cond_timedwait(&t->answered, &t->lock, &dl) == ETIMEDOUT)
			break;
	done = t->done;
	fresh = done == seq;
	if (done != 0)
		memcpy(&tel_copy, &t->snap,
		       offsetof(struct tel_snap, c) + offsetof(struct ctl_counters, worker) +
			       t->snap.c.n_workers * sizeof(t->snap.c.worker[0]));
	pthread_mutex_unlock(&t->lock);
	if (done == 0)
		return -1;
	if (!fresh) {
		__atomic_fetch_add(&t->st.stale, 1, __ATOMIC_RELAXED);
		if (clock_ms() - tel_last_stale_log >= 1000) {
			tel_last_stale_log = clock_ms();
			rte_log(RTE_LOG_WARNING, telemetry_logtype,
				"srtpfwd.telemetry: the control thread did not answer within "
				"%d ms: answering from a snapshot %" PRId64 " ms old\n",
				TELEMETRY_WAIT_MS, clock_ms() - tel_copy.taken_ms);
		}
	}
	return fresh;
}

/* The optional numeric parameter. @return 0 absent, 1 in @p v, -1 bad. */
static int
param(const char *params, unsigned long max, uint32_t *v)
{
	char *end;
	unsigned long n;

	if (params == NULL || params[0] == '\0')
		return 0;
	if (params[0] < '0' || params[0] > '9')
		return -1;
	errno = 0;
	n = strtoul(params, &end, 10);
	if (errno != 0 || *end != '\0' || n > max)
		return -1;
	*v = (uint32_t)n;
	return 1;
}

static int
error(struct telemetry *t, struct rte_tel_data *d, const char *text)
{
	if (t != NULL)
		__atomic_fetch_add(&t->st.bad_params, 1, __ATOMIC_RELAXED);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "error", text);
	return 0;
}

/* DPDK 22.11 takes only [A-Za-z0-9_/] in names and nests containers one
 * level deep: a group's counters ("neigh.entries") go in a container named
 * for the group ("neigh": {"entries": ...}), drop reasons in "drop". */
enum key_is { KEY_NAME, KEY_FIELD, KEY_REASON };

struct to_dict {
	struct rte_tel_data *d;
	unsigned int group_mask;
	int index; /* -1: any */
	bool drops; /* the drop reasons only; else everything but them */
	enum key_is key;
	uint64_t dropped; /* drops seen (summed whether shown or not) */
};

static void
add_counter(void *ctx, const struct ctl_counter *k)
{
	struct to_dict *x = ctx;

	if (!(x->group_mask & 1u << k->group) || (x->index >= 0 && k->index != x->index))
		return;
	if (k->reason != NULL)
		x->dropped += k->value;
	if ((k->reason != NULL) != x->drops)
		return;
	rte_tel_data_add_dict_u64(x->d,
				  x->key == KEY_NAME	? k->name
				  : x->key == KEY_FIELD ? k->field
							: k->reason,
				  k->value);
}

/* Add to @p d a container @p name with what @p x selects. */
static int
add_group(struct rte_tel_data *d, const char *name, struct to_dict x)
{
	struct rte_tel_data *g = rte_tel_data_alloc();

	if (g == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(g);
	x.d = g;
	ctl_counters_walk(&tel_copy.c, add_counter, &x);
	rte_tel_data_add_dict_container(d, name, g, 0);
	return 0;
}

static int
cmd_stats(struct rte_tel_data *d)
{
	const struct ctl_counters *c = &tel_copy.c;
	struct to_dict top = {.d = d,
			      .group_mask = 1u << CTL_G_SESSIONS | 1u << CTL_G_TOTAL,
			      .index = -1,
			      .key = KEY_NAME};
	static const struct {
		const char *name;
		enum ctl_counter_group g;
	} groups[] = {{"neigh", CTL_G_NEIGH},
		      {"ctl", CTL_G_CTL},
		      {"metrics", CTL_G_METRICS},
		      {"telemetry", CTL_G_TELEMETRY}};
	bool shown[] = {c->has_daemon, c->has_ctl, c->has_metrics, c->has_telemetry};

	rte_tel_data_start_dict(d);
	ctl_counters_walk(c, add_counter, &top);
	if (c->has_daemon && add_group(d, "drop",
				       (struct to_dict){.group_mask = 1u << CTL_G_TOTAL,
							.index = -1,
							.drops = true,
							.key = KEY_REASON}) != 0)
		return -ENOMEM;
	for (unsigned int i = 0; i < RTE_DIM(groups); i++)
		if (shown[i] && add_group(d, groups[i].name,
					  (struct to_dict){.group_mask = 1u << groups[i].g,
							   .index = -1,
							   .key = KEY_FIELD}) != 0)
			return -ENOMEM;
	return 0;
}

static int
cmd_ports(struct rte_tel_data *d)
{
	const struct ctl_counters *c = &tel_copy.c;

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "count", (int)c->d.n_ports);
	for (unsigned int i = 0; i < c->d.n_ports; i++) {
		struct rte_tel_data *p = rte_tel_data_alloc();
		struct to_dict x = {
			.d = p, .group_mask = 1u << CTL_G_PORT, .index = (int)i, .key = KEY_FIELD};
		char key[16];

		if (p == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(p);
		rte_tel_data_add_dict_string(p, "name", c->d.port[i].name);
		rte_tel_data_add_dict_int(p, "port_id", c->d.port[i].port_id);
		ctl_counters_walk(c, add_counter, &x);
		snprintf(key, sizeof(key), "%u", i);
		rte_tel_data_add_dict_container(d, key, p, 0);
	}
	return 0;
}

/* Without a parameter: each worker's counters and "dropped", the sum of
 * its drops. With one: that worker's counters at the top, and "drop"
 * with every reason. */
static int
cmd_workers(struct telemetry *t, const char *params, struct rte_tel_data *d)
{
	const struct ctl_counters *c = &tel_copy.c;
	uint32_t one = 0;
	int has = param(params, RTE_MAX_LCORE, &one);

	if (has < 0 || (has == 1 && one >= c->n_workers)) {
		char text[96];

		snprintf(text, sizeof(text), "parameter: a worker index below %u", c->n_workers);
		return error(t, d, text);
	}
	rte_tel_data_start_dict(d);
	if (has == 1) {
		struct to_dict x = {.d = d,
				    .group_mask = 1u << CTL_G_WORKER,
				    .index = (int)one,
				    .key = KEY_FIELD};

		rte_tel_data_add_dict_int(d, "worker", (int)one);
		ctl_counters_walk(c, add_counter, &x);
		x.drops = true;
		x.key = KEY_REASON;
		return add_group(d, "drop", x);
	}
	rte_tel_data_add_dict_int(d, "count", (int)c->n_workers);
	for (unsigned int i = 0; i < c->n_workers && i < TELEMETRY_WORKERS_MAX; i++) {
		struct rte_tel_data *w = rte_tel_data_alloc();
		struct to_dict x = {.d = w,
				    .group_mask = 1u << CTL_G_WORKER,
				    .index = (int)i,
				    .key = KEY_FIELD};
		char key[16];

		if (w == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(w);
		ctl_counters_walk(c, add_counter, &x);
		rte_tel_data_add_dict_u64(w, "dropped", x.dropped);
		snprintf(key, sizeof(key), "%u", i);
		rte_tel_data_add_dict_container(d, key, w, 0);
	}
	return 0;
}

static const char *
mode_name(uint8_t flags)
{
	return flags & LEG_PASSTHROUGH ? "passthrough" : flags & LEG_SRTP ? "srtp" : "rtp";
}

static void
add_ip(struct rte_tel_data *d, const char *key, uint8_t ip6, const uint8_t *addr)
{
	char s[INET6_ADDRSTRLEN];

	inet_ntop(ip6 ? AF_INET6 : AF_INET, addr, s, sizeof(s));
	rte_tel_data_add_dict_string(d, key, s);
}

/* One session as a flat dict ("leg0_local"): 22.11 nests one level deep. */
static struct rte_tel_data *
session_dict(const struct tel_session *s)
{
	struct rte_tel_data *d = rte_tel_data_alloc();

	if (d == NULL)
		return NULL;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "id", s->id);
	rte_tel_data_add_dict_u64(d, "timeout_ms", s->timeout_ms);
	for (unsigned int l = 0; l < 2; l++) {
		const struct tel_leg *g = &s->leg[l];
		char key[32];

#define KEY(what) (snprintf(key, sizeof(key), "leg%u_%s", l, what), key)
		add_ip(d, KEY("local"), g->local_ip6, g->local);
		rte_tel_data_add_dict_int(d, KEY("local_port"), g->local_port);
		add_ip(d, KEY("remote"), g->remote.ip6, g->remote.addr);
		rte_tel_data_add_dict_int(d, KEY("remote_port"), g->remote.port);
		rte_tel_data_add_dict_string(d, KEY("mode"), mode_name(g->flags));
		rte_tel_data_add_dict_int(d, KEY("rtcp_mux"), !!(g->flags & LEG_RTCP_MUX));
		rte_tel_data_add_dict_int(d, KEY("latch"), !!(g->flags & LEG_LATCH));
		rte_tel_data_add_dict_string(d, KEY("suite_in"),
					     g->suite_in >= 0 ? suites[g->suite_in].name : "none");
		rte_tel_data_add_dict_string(d, KEY("suite_out"),
					     g->suite_out >= 0 ? suites[g->suite_out].name
							       : "none");
		rte_tel_data_add_dict_u64(d, KEY("packets"), g->packets);
#undef KEY
	}
	return d;
}

static int
cmd_sessions(struct telemetry *t, uint32_t slot, int has, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "count", tel_copy.c.sessions);
	rte_tel_data_add_dict_u64(d, "max", tel_copy.c.sessions_max);
	if (has == 1 && (tel_copy.slot_asked != slot || tel_copy.n_sessions == 0)) {
		char text[64];

		snprintf(text, sizeof(text), "no session in slot %u", slot);
		return error(t, d, text);
	}
	rte_tel_data_add_dict_int(d, "shown", (int)tel_copy.n_sessions);
	for (unsigned int i = 0; i < tel_copy.n_sessions; i++) {
		struct rte_tel_data *s = session_dict(&tel_copy.s[i]);
		char key[16];

		if (s == NULL)
			return -ENOMEM;
		snprintf(key, sizeof(key), "%u", tel_copy.s[i].slot);
		rte_tel_data_add_dict_container(d, key, s, 0);
	}
	return 0;
}

static int
on_command(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct telemetry *t;
	uint32_t slot = 0;
	int r, has = 0;

	pthread_mutex_lock(&tel_req_lock);
	t = tel_current;
	if (t == NULL) {
		r = error(NULL, d, "srtpfwd is not running");
		goto out;
	}
	__atomic_fetch_add(&t->st.requests, 1, __ATOMIC_RELAXED);
	if (strcmp(cmd, "/srtpfwd/sessions") == 0) {
		has = param(params, UINT32_MAX, &slot);
		if (has < 0 || (has == 1 && slot == 0)) {
			r = error(t, d, "parameter: a session slot, from 1");
			goto out;
		}
	} else if (strcmp(cmd, "/srtpfwd/workers") != 0 && params != NULL && params[0] != '\0') {
		r = error(t, d, "this command takes no parameter");
		goto out;
	}
	if (fetch(t, slot) < 0) {
		r = error(NULL, d, "the control thread has not answered yet");
		goto out;
	}
	if (strcmp(cmd, "/srtpfwd/stats") == 0)
		r = cmd_stats(d);
	else if (strcmp(cmd, "/srtpfwd/ports") == 0)
		r = cmd_ports(d);
	else if (strcmp(cmd, "/srtpfwd/workers") == 0)
		r = cmd_workers(t, params, d);
	else
		r = cmd_sessions(t, slot, has, d);
out:
	pthread_mutex_unlock(&tel_req_lock);
	return r;
}

static const struct {
	const char *cmd, *help;
} commands[] = {
	{"/srtpfwd/stats", "srtpfwd's counters (docs/counters.md) but per port and per worker. "
			   "No parameters"},
	{"/srtpfwd/ports", "per port: name, DPDK port id, counters. No parameters"},
	{"/srtpfwd/workers", "per worker: counters, non-zero drops. Parameter: a worker index "
			     "(every drop reason)"},
	{"/srtpfwd/sessions",
	 "the session count and the first sessions by slot. Parameter: a slot (that session)"},
};

struct telemetry *
telemetry_new(const struct ctl_stats_src *src, char *err, size_t err_len)
{
	struct telemetry *t = calloc(1, sizeof(*t));
	pthread_condattr_t ca;

	if (t == NULL) {
		snprintf(err, err_len, "telemetry: out of memory");
		return NULL;
	}
	t->src = src;
	pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->answered, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_lock(&tel_req_lock);
	if (tel_current != NULL) {
		pthread_mutex_unlock(&tel_req_lock);
		snprintf(err, err_len, "telemetry: the commands already serve another instance");
		telemetry_free(t);
		return NULL;
	}
	/* 22.11 cannot unregister: once registered, the commands stay and
	 * answer an error while no instance is current */
	for (unsigned int i = 0; i < RTE_DIM(commands) && !tel_registered; i++) {
		int r = rte_telemetry_register_cmd(commands[i].cmd, on_command, commands[i].help);

		if (r != 0) {
			pthread_mutex_unlock(&tel_req_lock);
			snprintf(err, err_len, "telemetry: registering %s: %s", commands[i].cmd,
				 strerror(-r));
			telemetry_free(t);
			return NULL;
		}
	}
	tel_registered = 1;
	tel_current = t;
	pthread_mutex_unlock(&tel_req_lock);
	rte_log(RTE_LOG_INFO, telemetry_logtype,
		"srtpfwd.telemetry: /srtpfwd/stats, /srtpfwd/ports, /srtpfwd/workers and "
		"/srtpfwd/sessions registered\n");
	return t;
}

void
telemetry_stats(const struct telemetry *t, struct telemetry_stats *st)
{
	st->requests = __atomic_load_n(&t->st.requests, __ATOMIC_RELAXED);
	st->stale = __atomic_load_n(&t->st.stale, __ATOMIC_RELAXED);
	st->bad_params = __atomic_load_n(&t->st.bad_params, __ATOMIC_RELAXED);
}

void
telemetry_free(struct telemetry *t)
{
	if (t == NULL)
		return;
	/* after this, no callback can be using t: they hold tel_req_lock */
	pthread_mutex_lock(&tel_req_lock);
	if (tel_current == t)
		tel_current = NULL;
	pthread_mutex_unlock(&tel_req_lock);
	pthread_cond_destroy(&t->answered);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
