/* sessions.c: the sessions API (see sessions.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "sessions.h"

struct sessions {
	struct session_table t;
	struct rte_rcu_qsbr *rcu;
	IMB_MGR *mgr;
	uint32_t *free_slots; /* stack of free slot numbers */
	uint32_t n_free;
	uint32_t n_used;
	uint8_t *used; /* per slot: 1 if live */
	uint8_t *port_taken; /* [n_addrs][range]: 1 if a leg owns the port */
	uint32_t cursor[LOCAL_ADDR_MAX]; /* where port allocation looks next */
	struct activity *act; /* per slot, for inactivity timeouts */
	struct neigh *neigh;
	uint64_t now_ms; /* the clock sessions_expire() was last given */
};

struct activity {
	uint32_t timeout_ms;
	uint32_t generation; /* bumped by each create in this slot */
	/* per leg: when an inbound re-key's overlap ends by itself (the
	 * sessions_expire clock); 0: no overlap; 1: started before that clock
	 * was first seen */
	uint64_t overlap_end_ms[2];
	uint64_t packets; /* forwarded on both legs when last looked at */
	uint64_t since_ms; /* when that count last moved; 0: not yet looked at */
};

#define ERR(...) snprintf(err, err_len, __VA_ARGS__)

static inline unsigned int
range(const struct sessions *ss)
{
	return (unsigned int)(ss->t.port_max - ss->t.port_min + 1u);
}

static inline uint8_t *
taken(struct sessions *ss, unsigned int addr, uint16_t port)
{
	return &ss->port_taken[(size_t)addr * range(ss) + (unsigned int)(port - ss->t.port_min)];
}

struct sessions *
sessions_new(const struct sessions_config *cfg, struct rte_rcu_qsbr *rcu, IMB_MGR *mgr, char *err,
	     size_t err_len)
{
	struct sessions *ss;
	size_t n_entries;

	if (cfg->port_min == 0 || cfg->port_max <= cfg->port_min) {
		ERR("port range %u-%u: need 1 <= min < max", cfg->port_min, cfg->port_max);
		return NULL;
	}
	if (cfg->n_addrs == 0 || cfg->n_addrs > LOCAL_ADDR_MAX) {
		ERR("%u local addresses: need 1 to %d", cfg->n_addrs, LOCAL_ADDR_MAX);
		return NULL;
	}
	if (cfg->max_sessions == 0 || cfg->max_sessions >= (1u << 30)) {
		ERR("max sessions %u: need 1 to %u", cfg->max_sessions, (1u << 30) - 1);
		return NULL;
	}
	ss = calloc(1, sizeof(*ss));
	if (ss == NULL)
		goto nomem;
	ss->rcu = rcu;
	ss->mgr = mgr;
	ss->t.port_min = cfg->port_min;
	ss->t.port_max = cfg->port_max;
	ss->t.n_addrs = cfg->n_addrs;
	memcpy(ss->t.addrs, cfg->addrs, sizeof(cfg->addrs));
	ss->t.pool_size = cfg->max_sessions + 1; /* slot 0 means "none" */
	n_entries = (size_t)cfg->n_addrs * range(ss);
	ss->t.entries = calloc(n_entries, sizeof(uint32_t));
	ss->port_taken = calloc(n_entries, 1);
	ss->t.pool = aligned_alloc(64, sizeof(struct session) * ss->t.pool_size);
	ss->free_slots = calloc(cfg->max_sessions, sizeof(uint32_t));
	ss->used = calloc(ss->t.pool_size, 1);
	ss->act = calloc(ss->t.pool_size, sizeof(*ss->act));
	ss->t.neigh_size = cfg->max_neighbours;
	if (!ss->t.entries || !ss->port_taken || !ss->t.pool || !ss->free_slots || !ss->used ||
	    !ss->act || !(ss->neigh = neigh_new(&ss->t, cfg->routes, &cfg->io)))
		goto nomem;
	memset(ss->t.pool, 0, sizeof(struct session) * ss->t.pool_size);
	/* Hand out low slots first: the pool stays dense in cache. */
	for (uint32_t s = cfg->max_sessions; s >= 1; s--)
		ss->free_slots[ss->n_free++] = s;
	return ss;
nomem:
	ERR("out of memory for %u sessions on %u addresses x %u ports", cfg->max_sessions,
	    cfg->n_addrs, cfg->port_max - cfg->port_min + 1u);
	sessions_free(ss);
	return NULL;
}

const struct session_table *
sessions_table(const struct sessions *ss)
{
	return &ss->t;
}

uint32_t
sessions_capacity(const struct sessions *ss)
{
	return ss->t.pool_size - 1;
}

uint32_t
sessions_timeout_ms(const struct sessions *ss, uint32_t slot)
{
	return slot < ss->t.pool_size && ss->used[slot] ? ss->act[slot].timeout_ms : 0;
}

uint32_t
sessions_generation(const struct sessions *ss, uint32_t slot)
{
	return slot < ss->t.pool_size ? ss->act[slot].generation : 0;
}

uint32_t
sessions_count(const struct sessions *ss)
{
	return ss->n_used;
}

struct neigh *
sessions_neigh(struct sessions *ss)
{
	return ss->neigh;
}

const struct session *
sessions_get(const struct sessions *ss, uint32_t slot)
{
	if (slot == 0 || slot >= ss->t.pool_size || !ss->used[slot])
		return NULL;
	return &ss->t.pool[slot];
}

static void
rcu_wait(struct sessions *ss)
{
	if (ss->rcu != NULL)
		rte_rcu_qsbr_synchronize(ss->rcu, RTE_QSBR_THRID_INVALID);
}

/* ---- validation (nothing is changed here) ---- */

static int
check_keys(const struct dir_keys *k, unsigned int leg, const char *dir, char *err, size_t err_len)
{
	const struct suite_info *s;

	if (k->suite >= SUITE_MAX) {
		ERR("leg %u %s key: unknown suite %u", leg, dir, k->suite);
		return -EINVAL;
	}
	s = &suites[k->suite];
	if (k->key_len != s->key_len || k->salt_len != s->salt_len) {
		ERR("leg %u %s key: suite %s needs a %u-byte key and a %u-byte salt, got %u+%u",
		    leg, dir, s->name, s->key_len, s->salt_len, k->key_len, k->salt_len);
		return -EINVAL;
	}
	if (k->mki_len > SRTP_MKI_MAX) {
		ERR("leg %u %s key: MKI of %u bytes, at most %d", leg, dir, k->mki_len,
		    SRTP_MKI_MAX);
		return -EINVAL;
	}
	return 0;
}

static int
check_leg(const struct sessions *ss, const struct leg_params *l, const struct leg_params *other,
	  unsigned int n, char *err, size_t err_len)
{
	int r;

	if (l->local_addr >= ss->t.n_addrs) {
		ERR("leg %u: local address %u not configured (%u configured)", n, l->local_addr,
		    ss->t.n_addrs);
		return -EINVAL;
	}
	if (l->flags & ~(LEG_RTCP_MUX | LEG_LATCH | LEG_SRTP | LEG_PASSTHROUGH)) {
		ERR("leg %u: unknown flags 0x%x", n, l->flags);
		return -EINVAL;
	}
	if ((l->flags & LEG_SRTP) && (l->flags & LEG_PASSTHROUGH)) {
		ERR("leg %u: SRTP with keys and passthrough exclude each other", n);
		return -EINVAL;
	}
	if ((l->flags & LEG_PASSTHROUGH) && (other->flags & LEG_SRTP)) {
		ERR("leg %u: a passthrough leg cannot face a leg with SRTP keys (leg %u)", n,
		    n ^ 1u);
		return -EINVAL;
	}
	if (l->dscp > 63) {
		ERR("leg %u: DSCP %u, need 0..63", n, l->dscp);
		return -EINVAL;
	}
	if (l->remote.ip6 > 1 || (l->remote.port == 0 && !(l->flags & LEG_LATCH))) {
		ERR("leg %u: remote endpoint needs a port (or latching)", n);
		return -EINVAL;
	}
	if (l->remote.port != 0 && l->remote.ip6 != ss->t.addrs[l->local_addr].ip6) {
		ERR("leg %u: remote is %s but local address %u is %s (the leg's family)", n,
		    l->remote.ip6 ? "IPv6" : "IPv4", l->local_addr,
		    ss->t.addrs[l->local_addr].ip6 ? "IPv6" : "IPv4");
		return -EINVAL;
	}
	if (!(l->flags & LEG_RTCP_MUX) && l->remote.port == UINT16_MAX) {
		ERR("leg %u: remote port 65535 leaves no port for RTCP (port + 1); use rtcp-mux",
		    n);
		return -EINVAL;
	}
	if (l->local_port != 0 &&
	    (l->local_port < ss->t.port_min || l->local_port > ss->t.port_max ||
	     (!(l->flags & LEG_RTCP_MUX) && l->local_port == ss->t.port_max))) {
		ERR("leg %u: local port %u outside the range %u-%u%s", n, l->local_port,
		    ss->t.port_min, ss->t.port_max,
		    l->flags & LEG_RTCP_MUX ? "" : " (RTCP needs port + 1)");
		return -EINVAL;
	}
	if (l->flags & LEG_SRTP) {
		if (!l->in.present || !l->out.present) {
			ERR("leg %u: SRTP needs an inbound and an outbound key", n);
			return -EINVAL;
		}
		if ((r = check_keys(&l->in, n, "inbound", err, err_len)) != 0 ||
		    (r = check_keys(&l->out, n, "outbound", err, err_len)) != 0)
			return r;
	} else if (l->in.present || l->out.present) {
		ERR("leg %u: keys given but the leg is not SRTP", n);
		return -EINVAL;
	}
	return 0;
}

/* Is the port pair a leg would hold free (and in range)? */
static bool
ports_free(struct sessions *ss, unsigned int addr, uint16_t port, bool mux)
{
	if (port < ss->t.port_min || port > ss->t.port_max || *taken(ss, addr, port))
		return false;
	if (mux)
		return true;
	return port < ss->t.port_max && !*taken(ss, addr, (uint16_t)(port + 1));
}

/* An even port (RFC 3550 §11: RTP even, RTCP odd) whose pair is free. */
static int
port_pick(struct sessions *ss, unsigned int addr, bool mux, uint16_t *port)
{
	unsigned int n = range(ss);

	for (unsigned int k = 0; k < n; k++) {
		unsigned int off = (ss->cursor[addr] + k) % n;
		uint16_t p = (uint16_t)(ss->t.port_min + off);

		if (!(p & 1) && ports_free(ss, addr, p, mux)) {
			ss->cursor[addr] = (off + 2) % n;
			*port = p;
			return 0;
		}
	}
	return -EADDRINUSE;
}

static void
ports_set(struct sessions *ss, unsigned int addr, uint16_t port, bool mux, uint8_t v)
{
	*taken(ss, addr, port) = v;
	if (!mux)
		*taken(ss, addr, (uint16_t)(port + 1)) = v;
}

static struct srtp_keys *
make_keys(struct sessions *ss, const struct dir_keys *k, unsigned int leg, const char *dir,
	  char *err, size_t err_len)
{
	char why[160];
	struct srtp_keys *x =
		keys_create(ss->mgr, (enum suite)k->suite, k->key, k->key_len, k->salt, k->salt_len,
			    k->mki, k->mki_len, why, sizeof(why));

	if (x == NULL)
		ERR("leg %u %s key: %s", leg, dir, why);
	return x;
}

/* ---- create / delete ---- */

static void
unpublish(struct sessions *ss, const struct session *s)
{
	for (unsigned int l = 0; l < 2; l++) {
		const struct leg *g = &s->leg[l];

		__atomic_store_n(session_entry_at(&ss->t, g->local_addr, g->local_port), 0,
				 __ATOMIC_RELEASE);
		if (!(g->flags & LEG_RTCP_MUX))
			__atomic_store_n(session_entry_at(&ss->t, g->local_addr,
							  (uint16_t)(g->local_port + 1)),
					 0, __ATOMIC_RELEASE);
	}
}

static void
destroy_dir_keys(struct srtp_dir *d)
{
	keys_destroy(d->keys);
	if (d->prev_keys != d->keys)
		keys_destroy(d->prev_keys);
}

int
sessions_create(struct sessions *ss, const struct session_params *p, uint32_t *slot, char *err,
		size_t err_len)
{
	struct srtp_keys *k[2][2] = {{NULL, NULL}, {NULL, NULL}};
	uint16_t port[2], nh[2];
	struct session *s;
	uint32_t n;
	int r;

	/* 1. Validate everything; allocate nothing shared yet. */
	for (unsigned int l = 0; l < 2; l++)
		if ((r = check_leg(ss, &p->leg[l], &p->leg[l ^ 1], l, err, err_len)) != 0)
			return r;
	if (ss->n_free == 0) {
		ERR("no free session slot (%u in use)", ss->n_used);
		return -ENOSPC;
	}
	/* Ports: leg 0's are marked taken at once, so leg 1 cannot pick them;
	 * every later failure gives them back. */
	for (unsigned int l = 0; l < 2; l++) {
		const struct leg_params *g = &p->leg[l];
		bool mux = g->flags & LEG_RTCP_MUX;

		r = 0;
		if (g->local_port != 0) {
			port[l] = g->local_port;
			if (!ports_free(ss, g->local_addr, port[l], mux)) {
				ERR("leg %u: local port %u%s is in use", l, port[l],
				    mux ? "" : " (or its RTCP port)");
				r = -EADDRINUSE;
			}
		} else if (port_pick(ss, g->local_addr, mux, &port[l]) != 0) {
			ERR("leg %u: no free port on local address %u", l, g->local_addr);
			r = -EADDRINUSE;
		}
		if (r != 0) {
			if (l == 1)
				ports_set(ss, p->leg[0].local_addr, port[0],
					  p->leg[0].flags & LEG_RTCP_MUX, 0);
			return r;
		}
		ports_set(ss, g->local_addr, port[l], mux, 1);
	}
	/* 2. Derive and expand keys (private memory until published). */
	for (unsigned int l = 0; l < 2; l++) {
		if (!(p->leg[l].flags & LEG_SRTP))
			continue;
		k[l][0] = make_keys(ss, &p->leg[l].in, l, "inbound", err, err_len);
		k[l][1] =
			k[l][0] ? make_keys(ss, &p->leg[l].out, l, "outbound", err, err_len) : NULL;
		if (k[l][1] == NULL) {
			for (unsigned int x = 0; x < 2; x++) {
				keys_destroy(k[x][0]);
				keys_destroy(k[x][1]);
				ports_set(ss, p->leg[x].local_addr, port[x],
					  p->leg[x].flags & LEG_RTCP_MUX, 0);
			}
			return -ENOMEM;
		}
	}
	/* 3. Next hops (may be refused: off link without a gateway, table
	 * full). A latching leg with no remote yet needs none. */
	for (unsigned int l = 0; l < 2; l++) {
		const struct leg_params *g = &p->leg[l];
		char why[160];

		nh[l] = 0;
		if (g->remote.port == 0)
			continue;
		r = neigh_ref(ss->neigh, g->local_addr, &g->remote, g->nh_mac, &nh[l], why,
			      sizeof(why));
		if (r != 0) {
			ERR("leg %u: %s", l, why);
			if (l == 1)
				neigh_unref(ss->neigh, nh[0]);
			for (unsigned int x = 0; x < 2; x++) {
				keys_destroy(k[x][0]);
				keys_destroy(k[x][1]);
				ports_set(ss, p->leg[x].local_addr, port[x],
					  p->leg[x].flags & LEG_RTCP_MUX, 0);
			}
			return r;
		}
	}
	/* 4. Fill the slot, then publish its entries. */
	n = ss->free_slots[--ss->n_free];
	s = &ss->t.pool[n];
	memset(s, 0, sizeof(*s));
	s->id = p->id;
	for (unsigned int l = 0; l < 2; l++) {
		const struct leg_params *g = &p->leg[l];
		struct leg *lg = &s->leg[l];
		const struct srtp_keys *none[2];

		lg->local_addr = g->local_addr;
		lg->flags = g->flags;
		lg->dscp = g->dscp;
		lg->local_port = port[l];
		lg->cfg.remote = g->remote;
		lg->cfg.neigh = nh[l];
		srtp_dir_init(&lg->in);
		srtp_dir_init(&lg->out);
		if (k[l][0] != NULL) {
			srtp_dir_set_keys(&lg->in, k[l][0], false, none);
			srtp_dir_set_keys(&lg->out, k[l][1], false, none);
		}
	}
	for (unsigned int l = 0; l < 2; l++) {
		const struct leg *lg = &s->leg[l];

		__atomic_store_n(session_entry_at(&ss->t, lg->local_addr, lg->local_port),
				 session_entry(n, l, 0), __ATOMIC_RELEASE);
		if (!(lg->flags & LEG_RTCP_MUX))
			__atomic_store_n(session_entry_at(&ss->t, lg->local_addr,
							  (uint16_t)(lg->local_port + 1)),
					 session_entry(n, l, 1), __ATOMIC_RELEASE);
	}
	ss->used[n] = 1;
	ss->n_used++;
	ss->act[n].timeout_ms = p->timeout_ms;
	ss->act[n].generation++;
	ss->act[n].packets = 0;
	ss->act[n].since_ms = 0;
	*slot = n;
	return 0;
}

int
sessions_delete(struct sessions *ss, uint32_t slot)
{
	struct session *s;

	if (sessions_get(ss, slot) == NULL)
		return -ENOENT;
	s = &ss->t.pool[slot];
	unpublish(ss, s);
	rcu_wait(ss); /* no worker holds the slot or its keys any more */
	for (unsigned int l = 0; l < 2; l++) {
		destroy_dir_keys(&s->leg[l].in);
		destroy_dir_keys(&s->leg[l].out);
		neigh_unref(ss->neigh, s->leg[l].cfg.neigh);
		ports_set(ss, s->leg[l].local_addr, s->leg[l].local_port,
			  s->leg[l].flags & LEG_RTCP_MUX, 0);
	}
	explicit_bzero(s, sizeof(*s));
	ss->used[slot] = 0;
	ss->n_used--;
	ss->free_slots[ss->n_free++] = slot;
	return 0;
}

/* ---- updates ---- */

int
sessions_update_leg(struct sessions *ss, uint32_t slot, unsigned int leg,
		    const struct leg_update *u, char *err, size_t err_len)
{
	struct srtp_keys *in = NULL, *out = NULL;
	const struct srtp_keys *retire[4];
	unsigned int n_retire = 0;
	struct leg *lg;
	uint16_t nh = 0, old_nh = 0;
	int r;

	if (sessions_get(ss, slot) == NULL || leg > 1) {
		ERR("no session %u leg %u", slot, leg);
		return -ENOENT;
	}
	lg = &ss->t.pool[slot].leg[leg];
	if ((u->in.present || u->out.present) && !(lg->flags & LEG_SRTP)) {
		ERR("leg %u: keys given but the leg is not SRTP", leg);
		return -EINVAL;
	}
	if (u->has_remote && (u->remote.ip6 > 1 || u->remote.port == 0)) {
		ERR("leg %u: remote endpoint needs a port", leg);
		return -EINVAL;
	}
	if (u->has_remote && !(lg->flags & LEG_RTCP_MUX) && u->remote.port == UINT16_MAX) {
		ERR("leg %u: remote port 65535 leaves no port for RTCP (port + 1); use rtcp-mux",
		    leg);
		return -EINVAL;
	}
	if (u->has_remote && u->remote.ip6 != ss->t.addrs[lg->local_addr].ip6) {
		ERR("leg %u: remote is %s but its local address is %s", leg,
		    u->remote.ip6 ? "IPv6" : "IPv4", u->remote.ip6 ? "IPv4" : "IPv6");
		return -EINVAL;
	}
	if ((u->in.present && (r = check_keys(&u->in, leg, "inbound", err, err_len)) != 0) ||
	    (u->out.present && (r = check_keys(&u->out, leg, "outbound", err, err_len)) != 0))
		return r;
	if (u->has_remote) {
		char why[160];

		r = neigh_ref(ss->neigh, lg->local_addr, &u->remote, u->nh_mac, &nh, why,
			      sizeof(why));
		if (r != 0) {
			ERR("leg %u: %s", leg, why);
			return r;
		}
	}
	if (u->in.present && (in = make_keys(ss, &u->in, leg, "inbound", err, err_len)) == NULL) {
		neigh_unref(ss->neigh, nh);
		return -ENOMEM;
	}
	if (u->out.present &&
	    (out = make_keys(ss, &u->out, leg, "outbound", err, err_len)) == NULL) {
		keys_destroy(in);
		neigh_unref(ss->neigh, nh);
		return -ENOMEM;
	}
	/* All checked and built: now change things. The configured egress has
	 * one writer (here) and a sequence counter; a new epoch makes the
	 * workers drop what they latched under the old one. */
	if (u->has_remote) {
		seq_write_begin(&lg->cfg_seq);
		old_nh = lg->cfg.neigh;
		lg->cfg.remote = u->remote;
		lg->cfg.neigh = nh;
		lg->cfg.epoch++;
		seq_write_end(&lg->cfg_seq);
	}
	if (in != NULL) { /* the peer may still send with the old key for a while */
		n_retire += srtp_dir_set_keys(&lg->in, in, true, &retire[n_retire]);
		ss->act[slot].overlap_end_ms[leg] =
			ss->now_ms != 0 ? ss->now_ms + SESSIONS_OVERLAP_MS : 1;
	}
	if (out != NULL) /* we switch at once */
		n_retire += srtp_dir_set_keys(&lg->out, out, false, &retire[n_retire]);
	if (n_retire > 0 || old_nh != 0) {
		rcu_wait(ss); /* no worker reads the old keys or next hop any more */
		for (unsigned int x = 0; x < n_retire; x++)
			keys_destroy(retire[x]);
		neigh_unref(ss->neigh, old_nh);
	}
	return 0;
}

int
sessions_end_overlap(struct sessions *ss, uint32_t slot, unsigned int leg)
{
	const struct srtp_keys *prev;

	if (sessions_get(ss, slot) == NULL || leg > 1)
		return -ENOENT;
	ss->act[slot].overlap_end_ms[leg] = 0;
	prev = srtp_dir_end_overlap(&ss->t.pool[slot].leg[leg].in);
	if (prev != NULL) {
		rcu_wait(ss);
		keys_destroy(prev);
	}
	return 0;
}

void
sessions_free(struct sessions *ss)
{
	if (ss == NULL)
		return;
	if (ss->used != NULL)
		for (uint32_t s = 1; s < ss->t.pool_size; s++)
			if (ss->used[s])
				sessions_delete(ss, s);
	free(ss->t.entries);
	free(ss->port_taken);
	free(ss->t.pool);
	free(ss->free_slots);
	free(ss->used);
	free(ss->act);
	neigh_free(ss->neigh);
	free(ss);
}

unsigned int
sessions_expire(struct sessions *ss, uint64_t now_ms,
		void (*expired)(void *ctx, uint32_t slot, uint64_t id), void *ctx)
{
	unsigned int n = 0;

	ss->now_ms = now_ms;
	for (uint32_t slot = 1; slot < ss->t.pool_size; slot++) {
		struct activity *a = &ss->act[slot];
		const struct session *s = &ss->t.pool[slot];
		uint64_t packets = 0;

		if (!ss->used[slot])
			continue;
		/* a re-key overlap the controller never ended ends here */
		for (unsigned int l = 0; l < 2; l++) {
			if (a->overlap_end_ms[l] == 1)
				a->overlap_end_ms[l] = now_ms + SESSIONS_OVERLAP_MS;
			else if (a->overlap_end_ms[l] != 0 && now_ms >= a->overlap_end_ms[l])
				sessions_end_overlap(ss, slot, l);
		}
		if (a->timeout_ms == 0)
			continue;
		/* Plain loads of single-writer counters: a stale value only
		 * delays expiry by one pass. */
		for (unsigned int l = 0; l < 2; l++)
			for (unsigned int p = 0; p < 2; p++)
				packets +=
					__atomic_load_n(&s->leg[l].rx[p].packets, __ATOMIC_RELAXED);
		if (a->since_ms == 0 || packets != a->packets) {
			a->packets = packets;
			a->since_ms = now_ms;
			continue;
		}
		if (now_ms - a->since_ms < a->timeout_ms)
			continue;
		if (expired != NULL)
			expired(ctx, slot, s->id);
		sessions_delete(ss, slot);
		n++;
	}
	return n;
}
