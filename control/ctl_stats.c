/* ctl_stats.c: the daemon's counters as STATS COUNTER attributes.
 * Names (docs/protocol.md): port<i>.<field>, worker<i>.<field>,
 * worker<i>.drop.<reason> (non-zero only), and the totals without a
 * prefix; neigh.<field>; ctl.<field> when a control server runs. */
#include <stdio.h>

#include "ctl_stats.h"

static void
put_worker(struct proto_writer *w, const char *prefix, const struct worker_stats *s, int all_drops)
{
	char name[96];

#define C(field)                                                                                   \
	do {                                                                                       \
		snprintf(name, sizeof(name), "%.32s" #field, prefix);                              \
		ctl_put_counter(w, name, __atomic_load_n(&s->field, __ATOMIC_RELAXED));            \
	} while (0)
	C(rx);
	C(tx);
	C(punted);
	C(injected);
	C(srtp_unprotected);
	C(srtp_protected);
	C(ssrc_evicted);
#undef C
	for (unsigned int r = 1; r < DROP_MAX; r++) {
		uint64_t v = __atomic_load_n(&s->drop[r], __ATOMIC_RELAXED);

		if (v == 0 && !all_drops)
			continue;
		snprintf(name, sizeof(name), "%.32sdrop.%s", prefix,
			 drop_reason_name((enum drop_reason)r));
		ctl_put_counter(w, name, v);
	}
}

void
ctl_stats_put(void *arg, struct proto_writer *w)
{
	const struct ctl_stats_src *src = arg;
	struct daemon_stats st;
	char name[64];

	if (src->d != NULL) {
		daemon_stats(src->d, &st);
		/* totals: every drop reason, so a client sees the whole list */
		put_worker(w, "", &st.total, 1);
		ctl_put_counter(w, "expired", st.expired);
		ctl_put_counter(w, "inject_full", st.inject_full);
		for (unsigned int i = 0; i < st.n_ports; i++) {
			const struct daemon_port_stats *p = &st.port[i];

#define C(field)                                                                                   \
	do {                                                                                       \
		snprintf(name, sizeof(name), "port%u." #field, i);                                 \
		ctl_put_counter(w, name, p->field);                                                \
	} while (0)
			C(ipackets);
			C(opackets);
			C(ibytes);
			C(obytes);
			C(imissed);
			C(ierrors);
			C(oerrors);
			C(rx_nombuf);
#undef C
		}
		for (unsigned int k = 0; k < daemon_n_workers(src->d); k++) {
			snprintf(name, sizeof(name), "worker%u.", k);
			put_worker(w, name, &daemon_worker(src->d, k)->stats, 0);
		}
		ctl_put_counter(w, "neigh.entries", st.neighbours);
#define C(field) ctl_put_counter(w, "neigh." #field, st.neigh.field)
		C(arp_replied);
		C(nd_replied);
		C(echo_replied);
		C(requests_sent);
		C(resolved);
		C(held);
		C(held_sent);
		C(held_dropped);
		C(ignored);
		C(malformed);
		C(no_mbuf);
#undef C
	}
	if (src->srv != NULL) {
		struct ctl_server_stats cs;

		ctl_server_stats(src->srv, &cs);
#define C(field) ctl_put_counter(w, "ctl." #field, cs.field)
		C(clients);
		C(accepted);
		C(refused_full);
		C(tls_failed);
		C(requests);
		C(bad_messages);
		C(cut_slow);
		C(cut_idle);
		C(cut_stalled);
		C(events_sent);
		C(events_dropped);
#undef C
	}
}
