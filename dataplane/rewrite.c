/* rewrite.c: latching and egress headers (see rewrite.h). */
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "cksum.h"
#include "parse.h"
#include "rewrite.h"
#include "rtp.h"
#include "stats.h"

/* Learn the arrival leg's remote from this packet's source. The worker
 * receiving the leg is the only writer of `latched`, so it may read its own
 * copy without the counter. */
static inline void
latch(struct leg *in, const uint8_t *d, const struct burst *b, unsigned int i)
{
	const uint8_t *l3 = d + b->l3_off[i], *udp = d + b->msg_off[i] - 8;
	struct endpoint src;
	uint32_t epoch = __atomic_load_n(&in->cfg.epoch, __ATOMIC_ACQUIRE);

	memset(&src, 0, sizeof(src));
	src.ip6 = b->ip6[i];
	src.port = rd16(udp);
	memcpy(src.addr, l3 + (src.ip6 ? 8 : 12), src.ip6 ? 16 : 4);
	if (likely(in->latch.epoch == epoch && memcmp(&in->latch.remote, &src, sizeof(src)) == 0 &&
		   memcmp(in->latch.nh_mac, d + 6, 6) == 0))
		return;
	seq_write_begin(&in->latch_seq);
	in->latch.remote = src;
	memcpy(in->latch.nh_mac, d + 6, 6); /* the frame's source: peer or its router */
	in->latch.epoch = epoch;
	seq_write_end(&in->latch_seq);
}

/* Where a packet leaving on @p out goes: the latched remote and the MAC it
 * came from when the leg latches and it was latched under the current
 * configuration, else the configured remote and its next hop's MAC from
 * the neighbour table. @return 0 with @p nh_mac set; DROP_NO_NEXTHOP with
 * eg->neigh naming the unresolved entry; or another drop reason. */
static inline enum drop_reason
egress_of(const struct session_table *t, const struct leg *out, struct egress *eg, uint8_t *nh_mac)
{
	struct latch l;

	if (unlikely(!seq_read(&out->cfg_seq, eg, &out->cfg, sizeof(*eg))))
		return DROP_NO_REMOTE;
	if ((out->flags & LEG_LATCH) && seq_read(&out->latch_seq, &l, &out->latch, sizeof(l)) &&
	    l.epoch == eg->epoch && l.remote.port != 0) {
		eg->remote = l.remote;
		memcpy(nh_mac, l.nh_mac, 6);
		return DROP_NONE;
	}
	if (unlikely(eg->remote.port == 0))
		return DROP_NO_REMOTE;
	if (unlikely(eg->neigh == 0 || eg->neigh >= t->neigh_size ||
		     !neigh_mac(t->neigh, eg->neigh, nh_mac)))
		return DROP_NO_NEXTHOP;
	return DROP_NONE;
}

static inline enum drop_reason
rewrite_one(const struct session_table *t, struct burst *b, unsigned int i, int *hold)
{
	struct rte_mbuf *m = b->pkts[i];
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *), *h, *p;
	struct session *s = b->sess[i];
	struct leg *in = &s->leg[b->leg[i]], *out = &s->leg[b->leg[i] ^ 1];
	const struct local_addr *a = &t->addrs[out->local_addr];
	unsigned int msg_len = b->msg_len[i], l2 = RTE_ETHER_HDR_LEN + (a->vlan ? 4u : 0u);
	unsigned int hdr = l2 + (a->ip6 ? 40u : 20u) + 8u;
	/* RTCP, and STUN/DTLS that arrived on the RTCP port, leave from and to
	 * the RTCP port when the outgoing leg does not mux. */
	int rtcp_port = !(out->flags & LEG_RTCP_MUX) &&
			(b->kind[i] == MSG_RTCP || (b->kind[i] > MSG_RTCP && b->rtcp_port[i]));
	struct rte_udp_hdr *udp;
	struct egress eg;
	enum drop_reason r;
	uint8_t nh_mac[6] = {0};
	int off;

	if ((in->flags & LEG_LATCH) && b->kind[i] == MSG_RTP)
		latch(in, d, b, i);
	r = egress_of(t, out, &eg, nh_mac);
	/* Unresolved next hop: build the frame anyway and let control hold it
	 * until the neighbour answers (tx.h). No entry at all is a drop. */
	if (unlikely(r != DROP_NONE && !(r == DROP_NO_NEXTHOP && eg.neigh != 0)))
		return r;
	if (unlikely(eg.remote.ip6 != a->ip6)) /* control keeps families equal */
		return DROP_NO_REMOTE;
	/* RTCP goes to port + 1: a peer latched (or configured) on 65535 has
	 * none, and UDP port 0 is never a destination. */
	if (unlikely(rtcp_port && eg.remote.port == UINT16_MAX))
		return DROP_NO_REMOTE;
	off = (int)m->data_off + (int)b->msg_off[i] - (int)hdr;
	if (unlikely(off < 0))
		return DROP_NO_HEADROOM;

	h = (uint8_t *)m->buf_addr + off;
	memcpy(h, nh_mac, 6);
	memcpy(h + 6, a->mac, 6);
	p = h + 12;
	if (a->vlan) {
		*(rte_be16_t *)p = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		*(rte_be16_t *)(p + 2) = rte_cpu_to_be_16(a->vlan);
		p += 4;
	}
	*(rte_be16_t *)p = rte_cpu_to_be_16(a->ip6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	p += 2;
	if (!a->ip6) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;

		ip->version_ihl = 0x45;
		ip->type_of_service = (uint8_t)(out->dscp << 2);
		ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + 8 + msg_len));
		ip->packet_id = 0;
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = EGRESS_TTL;
		ip->next_proto_id = 17;
		ip->hdr_checksum = 0;
		memcpy(&ip->src_addr, a->addr, 4);
		memcpy(&ip->dst_addr, eg.remote.addr, 4);
		ip->hdr_checksum = (uint16_t)~cksum_fold(cksum_add(ip, 20, 0));
		p += 20;
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)p;

		ip->vtc_flow = rte_cpu_to_be_32(6u << 28 | (uint32_t)(out->dscp << 2) << 20);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(8 + msg_len));
		ip->proto = 17;
		ip->hop_limits = EGRESS_TTL;
		memcpy(ip->src_addr, a->addr, 16);
		memcpy(ip->dst_addr, eg.remote.addr, 16);
		p += 40;
	}
	udp = (struct rte_udp_hdr *)p;
	udp->src_port = rte_cpu_to_be_16((uint16_t)(out->local_port + rtcp_port));
	udp->dst_port = rte_cpu_to_be_16((uint16_t)(eg.remote.port + rtcp_port));
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + msg_len));
	udp->dgram_cksum = 0;
	{
		uint16_t len = (uint16_t)(8 + msg_len), c;

		/* An unchanged message keeps the sum parse took of it. */
		if (b->msg_sum[i] != 0 && b->unprotect[i] == NULL && b->protect[i] == NULL)
			c = (uint16_t)~cksum_fold(
				(uint64_t)udp_cksum_hdr_sum(h + l2, a->ip6, udp, len) +
				(b->msg_sum[i] & 0xffff));
		else
			c = (uint16_t)~udp_cksum_sum(h + l2, a->ip6, udp, len);

		udp->dgram_cksum = c == 0 ? 0xffff : c; /* 0 means "none" on IPv4 */
	}

	m->data_off = (uint16_t)off;
	m->data_len = (uint16_t)(hdr + msg_len);
	m->pkt_len = m->data_len;
	b->l3_off[i] = (uint16_t)l2;
	b->ip6[i] = a->ip6;
	b->vlan[i] = a->vlan;
	b->msg_off[i] = (uint16_t)hdr;
	b->tx_port[i] = a->port_id;
	if (unlikely(r == DROP_NO_NEXTHOP)) {
		*hold = 1;
		m->port = a->port_id;
		m->hash.usr = punt_info(DROP_NO_NEXTHOP, eg.neigh);
	}
	return r;
}

uint16_t
rewrite_burst(const struct session_table *t, struct burst *b)
{
	uint16_t fwd = 0;

	for (unsigned int i = 0; i < b->n; i++) {
		enum drop_reason r;
		int hold = 0;

		if (b->verdict[i] != V_FWD || b->sess[i] == NULL)
			continue;
		r = rewrite_one(t, b, i, &hold);
		if (unlikely(hold)) {
			b->verdict[i] = V_PUNT; /* complete frame, held by control */
			b->reason[i] = DROP_NO_NEXTHOP;
		} else if (unlikely(r != DROP_NONE))
			burst_drop(b, i, r);
		else
			fwd++;
	}
	return fwd;
}
