/* ctl_events.c: events for subscribed controllers (see ctl_events.h). */
#include <stdlib.h>
#include <string.h>

#include "ctl_events.h"

struct leg_watch {
	uint32_t latch_epoch;
	struct endpoint latched; /* last reported */
	uint64_t auth_fail; /* total when last looked at */
	const struct srtp_keys *warned[2]; /* [rtcp]: the out key already reported near its end */
};

struct slot_watch {
	uint32_t generation;
	struct leg_watch leg[2];
};

struct ctl_events {
	struct sessions *ss;
	struct ctl_server *srv;
	struct slot_watch *w; /* per slot */
	uint32_t n;
	uint32_t cursor; /* the next slot ctl_events_poll() looks at */
	int64_t next_slice_ms; /* when ctl_events_poll() scans again */
};

struct ctl_events *
ctl_events_new(struct sessions *ss, struct ctl_server *srv)
{
	struct ctl_events *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->ss = ss;
	e->srv = srv;
	e->n = sessions_capacity(ss) + 1;
	e->w = calloc(e->n, sizeof(*e->w));
	if (e->w == NULL) {
		free(e);
		return NULL;
	}
	return e;
}

void
ctl_events_free(struct ctl_events *e)
{
	if (e == NULL)
		return;
	free(e->w);
	free(e);
}

static void
emit(struct ctl_events *e, struct proto_writer *w)
{
	long len = proto_finish(w);

	if (len > 0 && e->srv != NULL)
		ctl_server_event(e->srv, w->buf, (size_t)len);
}

static void
begin(struct proto_writer *w, uint8_t *buf, size_t cap, uint8_t type, uint32_t slot, uint64_t id)
{
	proto_begin(w, buf, cap, type, 0, 0, PROTO_ST_OK);
	proto_put_u32(w, PROTO_A_SLOT, slot);
	proto_put_u64(w, PROTO_A_SESSION_ID, id);
}

void
ctl_events_timeout(void *ctx, uint32_t slot, uint64_t id)
{
	struct ctl_events *e = ctx;
	struct proto_writer w;
	uint8_t buf[64];

	begin(&w, buf, sizeof(buf), PROTO_MSG_EV_SESSION_TIMEOUT, slot, id);
	emit(e, &w);
}

static uint64_t
rd(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void
watch_leg(struct ctl_events *e, uint32_t slot, const struct session *s, unsigned int l,
	  struct leg_watch *lw)
{
	const struct leg *g = &s->leg[l];
	struct proto_writer w;
	uint8_t buf[128];
	uint64_t fails;

	if (g->flags & LEG_LATCH) {
		struct latch lt;

		while (!seq_read(&g->latch_seq, &lt, &g->latch, sizeof(lt)))
			;
		if (lt.remote.port != 0 &&
		    (lt.epoch != lw->latch_epoch || lt.remote.port != lw->latched.port ||
		     memcmp(lt.remote.addr, lw->latched.addr, 16) != 0)) {
			lw->latch_epoch = lt.epoch;
			lw->latched = lt.remote;
			begin(&w, buf, sizeof(buf), PROTO_MSG_EV_PEER_LATCHED, slot, s->id);
			proto_put_u8(&w, PROTO_A_LEG_INDEX, (uint8_t)l);
			proto_put(&w, PROTO_A_REMOTE_ADDR, lt.remote.addr, lt.remote.ip6 ? 16 : 4);
			proto_put_u16(&w, PROTO_A_REMOTE_PORT, lt.remote.port);
			emit(e, &w);
		}
	}
	if (!(g->flags & LEG_SRTP))
		return;
	fails = rd(&g->in.rtp.cnt.auth_fail) + rd(&g->in.rtcp.cnt.auth_fail);
	if (fails - lw->auth_fail >= CTL_AUTH_BURST) {
		begin(&w, buf, sizeof(buf), PROTO_MSG_EV_AUTH_FAILURES, slot, s->id);
		proto_put_u8(&w, PROTO_A_LEG_INDEX, (uint8_t)l);
		proto_put_u64(&w, PROTO_A_EVENT_COUNT, fails - lw->auth_fail);
		emit(e, &w);
	}
	lw->auth_fail = fails;
	for (unsigned int rtcp = 0; rtcp < 2; rtcp++) {
		const struct srtp_half *h = rtcp ? &g->out.rtcp : &g->out.rtp;
		const struct srtp_keys *k = __atomic_load_n(&h->counted_keys, __ATOMIC_ACQUIRE);
		uint64_t life = rtcp ? SRTCP_KEY_LIFETIME : SRTP_KEY_LIFETIME;
		uint64_t uses = rd(&h->uses);

		/* The counter may belong to a key just replaced: uses is
		 * reset by the worker with the key it counts, so a stale
		 * pair only delays the report to the next scan. */
		if (k == NULL || k == lw->warned[rtcp] ||
		    uses < life - (life >> CTL_KEY_NEAR_SHIFT))
			continue;
		lw->warned[rtcp] = k;
		begin(&w, buf, sizeof(buf), PROTO_MSG_EV_KEY_LIFETIME, slot, s->id);
		proto_put_u8(&w, PROTO_A_LEG_INDEX, (uint8_t)l);
		proto_put_u64(&w, PROTO_A_EVENT_COUNT, uses >= life ? 0 : life - uses);
		emit(e, &w);
	}
}

static void
scan_slot(struct ctl_events *e, uint32_t slot)
{
	const struct session *s = sessions_get(e->ss, slot);
	struct slot_watch *sw = &e->w[slot];
	uint32_t gen;

	if (s == NULL)
		return;
	gen = sessions_generation(e->ss, slot);
	if (sw->generation != gen) {
		memset(sw, 0, sizeof(*sw));
		sw->generation = gen;
	}
	for (unsigned int l = 0; l < 2; l++)
		watch_leg(e, slot, s, l, &sw->leg[l]);
}

void
ctl_events_scan(struct ctl_events *e)
{
	for (uint32_t slot = 1; slot < e->n; slot++)
		scan_slot(e, slot);
}

int
ctl_events_poll(struct ctl_events *e, int64_t now_ms)
{
	uint32_t slice = e->n / (1000 / CTL_EVENTS_SLICE_MS) + 1;

	if (now_ms < e->next_slice_ms)
		return 0;
	/* on a fixed beat, so a pass takes a second, not a second plus the
	 * loop's lateness; a loop far behind starts the beat again rather
	 * than catch up at once */
	e->next_slice_ms += CTL_EVENTS_SLICE_MS;
	if (now_ms > e->next_slice_ms + CTL_EVENTS_SLICE_MS)
		e->next_slice_ms = now_ms;
	if (e->n <= 1) /* no slot but the unused 0 */
		return 2;
	for (uint32_t k = 0; k < slice; k++) {
		if (e->cursor < 1 || e->cursor >= e->n)
			e->cursor = 1;
		scan_slot(e, e->cursor++);
		if (e->cursor >= e->n) {
			e->cursor = 1;
			return 2;
		}
	}
	return 1;
}
