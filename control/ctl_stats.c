/* ctl_stats.c: the process counters, collected once and walked for STATS,
 * Prometheus and telemetry (see ctl_stats.h). */
#include <stdio.h>
#include <string.h>

#include "ctl_stats.h"

void
ctl_counters_collect(const struct ctl_stats_src *src, struct ctl_counters *c)
{
	memset(c, 0, offsetof(struct ctl_counters, worker));
	c->has_daemon = src->d != NULL;
	if (src->d != NULL) {
		struct sessions *ss = daemon_sessions(src->d);

		daemon_stats(src->d, &c->d);
		c->sessions = sessions_count(ss);
		c->sessions_max = sessions_capacity(ss);
		c->n_workers = daemon_n_workers(src->d);
		if (c->n_workers > RTE_MAX_LCORE)
			c->n_workers = RTE_MAX_LCORE;
		for (unsigned int k = 0; k < c->n_workers; k++) {
			const uint64_t *from = (const uint64_t *)&daemon_worker(src->d, k)->stats;
			uint64_t *to = (uint64_t *)&c->worker[k];

			/* all uint64_t, one writer each: relaxed loads */
			for (size_t i = 0; i < sizeof(c->worker[k]) / sizeof(uint64_t); i++)
				to[i] = __atomic_load_n(&from[i], __ATOMIC_RELAXED);
		}
	}
	c->has_ctl = src->srv != NULL;
	if (src->srv != NULL)
		ctl_server_stats(src->srv, &c->ctl);
	c->has_metrics = src->metrics != NULL;
	if (src->metrics != NULL)
		metrics_stats(src->metrics, &c->metrics);
	c->has_telemetry = src->tel != NULL;
	if (src->tel != NULL)
		telemetry_stats(src->tel, &c->tel);
}

/* Builds the names and labels of one group's counters. */
struct walk {
	ctl_counter_fn fn;
	void *ctx;
	char name[96];
	char metric[96];
};

static void
emit(struct walk *w, struct ctl_counter *k)
{
	w->fn(w->ctx, k);
}

static void
one(struct walk *w, enum ctl_counter_group g, const char *prefix, const char *field,
    const char *metric, enum ctl_counter_kind kind, const char *help, uint64_t v)
{
	struct ctl_counter k = {.name = w->name,
				.metric = metric,
				.help = help,
				.kind = kind,
				.group = g,
				.index = -1,
				.field = field,
				.value = v};

	snprintf(w->name, sizeof(w->name), "%s%s", prefix, field);
	emit(w, &k);
}

/* Per-worker ("worker<i>.", label worker) or total (no prefix) worker counters. */
static void
workers(struct walk *w, const struct ctl_counters *c, int per_worker)
{
	const struct worker_stats *s = per_worker ? c->worker : &c->d.total;
	unsigned int n = per_worker ? c->n_workers : 1;
	enum ctl_counter_group g = per_worker ? CTL_G_WORKER : CTL_G_TOTAL;
	const char *mp = per_worker ? "worker_" : "";
	char field[64];

#define X(f, m, kd, text)                                                                          \
	for (unsigned int i = 0; i < n; i++) {                                                     \
		struct ctl_counter k = {.name = w->name,                                           \
					.metric = w->metric,                                       \
					.help = text,                                              \
					.kind = CTL_##kd,                                          \
					.group = g,                                                \
					.index = per_worker ? (int)i : -1,                         \
					.field = #f,                                               \
					.value = s[i].f};                                          \
                                                                                                   \
		snprintf(w->metric, sizeof(w->metric), "%s%s", mp, m);                             \
		if (per_worker)                                                                    \
			snprintf(w->name, sizeof(w->name), "worker%u." #f, i);                     \
		else                                                                               \
			snprintf(w->name, sizeof(w->name), #f);                                    \
		emit(w, &k);                                                                       \
	}
	FOREACH_WORKER_COUNTER(X)
#undef X
	for (unsigned int r = 1; r < DROP_MAX; r++) {
		const char *reason = drop_reason_name((enum drop_reason)r);

		snprintf(field, sizeof(field), "drop.%s", reason);
		snprintf(w->metric, sizeof(w->metric), "%sdrops_total", mp);
		for (unsigned int i = 0; i < n; i++) {
			struct ctl_counter k = {
				.name = w->name,
				.metric = w->metric,
				.help = "packets dropped, by reason (docs/counters.md)",
				.kind = CTL_COUNTER,
				.group = g,
				.index = per_worker ? (int)i : -1,
				.reason = reason,
				.field = field,
				.sparse = per_worker,
				.value = s[i].drop[r]};

			if (per_worker)
				snprintf(w->name, sizeof(w->name), "worker%u.%s", i, field);
			else
				snprintf(w->name, sizeof(w->name), "%s", field);
			emit(w, &k);
		}
	}
}

void
ctl_counters_walk(const struct ctl_counters *c, ctl_counter_fn fn, void *ctx)
{
	struct walk w = {.fn = fn, .ctx = ctx};

	one(&w, CTL_G_SESSIONS, "", "sessions", "sessions", CTL_GAUGE, "sessions in use",
	    c->sessions);
	one(&w, CTL_G_SESSIONS, "", "sessions_max", "sessions_max", CTL_GAUGE,
	    "session slots (limits.sessions)", c->sessions_max);
	if (c->has_daemon) {
		workers(&w, c, 0);
#define X(f, m, kd, text) one(&w, CTL_G_TOTAL, "", #f, m, CTL_##kd, text, c->d.f);
		FOREACH_DAEMON_COUNTER(X)
#undef X
#define X(f, m, kd, text)                                                                          \
	for (unsigned int i = 0; i < c->d.n_ports; i++) {                                          \
		struct ctl_counter k = {.name = w.name,                                            \
					.metric = m,                                               \
					.help = text,                                              \
					.kind = CTL_##kd,                                          \
					.group = CTL_G_PORT,                                       \
					.index = (int)i,                                           \
					.field = #f,                                               \
					.value = c->d.port[i].f};                                  \
                                                                                                   \
		snprintf(w.name, sizeof(w.name), "port%u." #f, i);                                 \
		emit(&w, &k);                                                                      \
	}
		FOREACH_PORT_COUNTER(X)
#undef X
		workers(&w, c, 1);
		one(&w, CTL_G_NEIGH, "neigh.", "entries", "neigh_entries", CTL_GAUGE,
		    "next-hop entries in use", c->d.neighbours);
#define X(f, m, kd, text) one(&w, CTL_G_NEIGH, "neigh.", #f, m, CTL_##kd, text, c->d.neigh.f);
		FOREACH_NEIGH_COUNTER(X)
#undef X
	}
	if (c->has_ctl) {
#define X(f, m, kd, text) one(&w, CTL_G_CTL, "ctl.", #f, m, CTL_##kd, text, c->ctl.f);
		FOREACH_CTL_COUNTER(X)
#undef X
	}
	if (c->has_metrics) {
#define X(f, m, kd, text) one(&w, CTL_G_METRICS, "metrics.", #f, m, CTL_##kd, text, c->metrics.f);
		FOREACH_METRICS_COUNTER(X)
#undef X
	}
	if (c->has_telemetry) {
#define X(f, m, kd, text) one(&w, CTL_G_TELEMETRY, "telemetry.", #f, m, CTL_##kd, text, c->tel.f);
		FOREACH_TELEMETRY_COUNTER(X)
#undef X
	}
}

static void
put_stats(void *ctx, const struct ctl_counter *k)
{
	if (k->group == CTL_G_SESSIONS || (k->sparse && k->value == 0))
		return;
	ctl_put_counter(ctx, k->name, k->value);
}

void
ctl_stats_put(void *arg, struct proto_writer *w)
{
	/* STATS runs on the control thread, one request at a time */
	static struct ctl_counters c;

	ctl_counters_collect(arg, &c);
	ctl_counters_walk(&c, put_stats, w);
}
