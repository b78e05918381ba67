/* lookup.c: (local address, port) -> session (see lookup.h). */
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>

#include "lookup.h"
#include "stats.h"

int
lookup_local_addr(const struct session_table *t, int ip6, const uint8_t *addr, uint16_t port_id,
		  uint16_t vlan)
{
	/* A short configured list (LOCAL_ADDR_MAX): a scan beats hashing. */
	for (unsigned int a = 0; a < t->n_addrs; a++) {
		const struct local_addr *l = &t->addrs[a];

		uint64_t x[2], y[2];

		if (l->ip6 != !!ip6 || l->port_id != port_id || l->vlan != vlan)
			continue;
		/* fixed-size copies compile to loads; memcmp was a libc call
		 * (47 instructions a packet, callgrind) */
		if (!ip6) {
			uint32_t u, v;

			memcpy(&u, l->addr, 4);
			memcpy(&v, addr, 4);
			if (u == v)
				return (int)a;
			continue;
		}
		memcpy(x, l->addr, 16);
		memcpy(y, addr, 16);
		if (((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0)
			return (int)a;
	}
	return -1;
}

/* One packet. @return DROP_NONE with sess/leg/contexts set, or a reason;
 * *punt for signalling the control thread handles. */
static inline enum drop_reason
lookup_one(const struct session_table *t, struct burst *b, unsigned int i, int *punt)
{
	const uint8_t *d = rte_pktmbuf_mtod(b->pkts[i], const uint8_t *);
	const uint8_t *dst = d + b->l3_off[i] + (b->ip6[i] ? 24 : 16);
	const uint8_t *udp = d + b->msg_off[i] - 8;
	uint16_t port = (uint16_t)(udp[2] << 8 | udp[3]);
	uint32_t e, slot;
	unsigned int l, rtcp_port;
	struct session *s;
	struct leg *in, *out;
	int a = lookup_local_addr(t, b->ip6[i], dst, b->port, b->vlan[i]);

	if (unlikely(a < 0))
		return DROP_NOT_LOCAL;
	if (unlikely(port < t->port_min || port > t->port_max))
		return DROP_NO_SESSION;
	e = __atomic_load_n(session_entry_at(t, (unsigned int)a, port), __ATOMIC_ACQUIRE);
	slot = e >> 2;
	if (unlikely(slot == 0 || slot >= t->pool_size))
		return DROP_NO_SESSION;
	s = &t->pool[slot];
	l = (e >> 1) & 1;
	rtcp_port = e & 1;
	in = &s->leg[l];
	out = &s->leg[l ^ 1];

	/* Set before the checks below so their drops count against the leg. */
	b->sess[i] = s;
	b->leg[i] = (uint8_t)l;
	b->rtcp_port[i] = (uint8_t)rtcp_port;
	switch (b->kind[i]) {
	case MSG_RTP:
		if (unlikely(rtcp_port))
			return DROP_WRONG_PORT;
		break;
	case MSG_RTCP:
		if (unlikely(!rtcp_port && !(in->flags & LEG_RTCP_MUX)))
			return DROP_WRONG_PORT;
		break;
	default: /* STUN, DTLS, ZRTP: end to end on passthrough legs only */
		if (!(in->flags & LEG_PASSTHROUGH))
			*punt = 1;
		break;
	}
	/* Passthrough on either side: the endpoints do SRTP end to end, so a
	 * packet is never decrypted or encrypted here (control refuses a
	 * passthrough leg facing a leg with keys). */
	if (b->kind[i] <= MSG_RTCP && !((in->flags | out->flags) & LEG_PASSTHROUGH)) {
		b->unprotect[i] = in->flags & LEG_SRTP ? &in->in : NULL;
		b->protect[i] = out->flags & LEG_SRTP ? &out->out : NULL;
	}
	return DROP_NONE;
}

uint16_t
lookup_burst(const struct session_table *t, struct burst *b)
{
	uint16_t fwd = 0;

	for (unsigned int i = 0; i < b->n; i++) {
		enum drop_reason r;
		int punt = 0;

		b->sess[i] = NULL;
		if (b->verdict[i] != V_FWD)
			continue;
		r = lookup_one(t, b, i, &punt);
		if (unlikely(r != DROP_NONE)) {
			burst_drop(b, i, r);
		} else if (unlikely(punt)) {
			b->verdict[i] = V_PUNT;
		} else {
			fwd++;
		}
	}
	return fwd;
}
