/* neigh.c: next-hop resolution, ARP, ND and echo (see neigh.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dataplane/stats.h"
#include "neigh.h"

#define NEIGH_DEFAULT 4096
#define NEIGH_BACKOFF_MS 5000 /* after NEIGH_TRIES unanswered requests */
#define ICMP6_NS 135
#define ICMP6_NA 136
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2
#define NA_FLAG_SOLICITED 0x40
#define NA_FLAG_OVERRIDE 0x20

enum state { FREE = 0, INCOMPLETE, REACHABLE, STATIC };

/* Control's side of an entry; the workers see only t->neigh[i].word. */
struct entry {
	uint8_t state;
	uint8_t ip6;
	uint8_t addr; /* local address it is reached from */
	uint8_t tries;
	uint8_t n_held;
	uint8_t ip[16];
	uint32_t refs;
	uint16_t next; /* hash chain */
	uint64_t next_ms; /* next request */
	struct rte_mbuf *held[NEIGH_HOLD];
};

struct neigh {
	struct session_table *t;
	struct addr_route routes[LOCAL_ADDR_MAX];
	struct neigh_io io;
	struct entry *e; /* [t->neigh_size], entry 0 unused */
	uint16_t *buckets; /* hash heads, NEIGH_BUCKETS */
	uint16_t *free_list;
	uint32_t n_free;
	uint32_t n_buckets;
	struct neigh_stats st;
};

static uint32_t
ip_hash(int ip6, const uint8_t *ip)
{
	uint32_t h = 2166136261u; /* FNV-1a: a few hundred lookups a second */

	for (unsigned int i = 0; i < (ip6 ? 16u : 4u); i++)
		h = (h ^ ip[i]) * 16777619u;
	return h;
}

struct neigh *
neigh_new(struct session_table *t, const struct addr_route *routes, const struct neigh_io *io)
{
	struct neigh *nb = calloc(1, sizeof(*nb));
	uint32_t n = t->neigh_size != 0 ? t->neigh_size : NEIGH_DEFAULT;

	if (nb == NULL)
		return NULL;
	if (n > UINT16_MAX)
		n = UINT16_MAX;
	nb->t = t;
	memcpy(nb->routes, routes, sizeof(*routes) * t->n_addrs);
	if (io != NULL)
		nb->io = *io;
	nb->n_buckets = 1024;
	while (nb->n_buckets < n)
		nb->n_buckets <<= 1;
	nb->e = calloc(n, sizeof(*nb->e));
	nb->buckets = calloc(nb->n_buckets, sizeof(uint16_t));
	nb->free_list = calloc(n, sizeof(uint16_t));
	t->neigh = calloc(n, sizeof(*t->neigh));
	if (!nb->e || !nb->buckets || !nb->free_list || !t->neigh) {
		neigh_free(nb);
		return NULL;
	}
	t->neigh_size = n;
	for (uint32_t i = n - 1; i >= 1; i--)
		nb->free_list[nb->n_free++] = (uint16_t)i;
	return nb;
}

static void
drop_held(struct neigh *nb, struct entry *x)
{
	for (unsigned int i = 0; i < x->n_held; i++)
		rte_pktmbuf_free(x->held[i]);
	nb->st.held_dropped += x->n_held;
	x->n_held = 0;
}

void
neigh_free(struct neigh *nb)
{
	if (nb == NULL)
		return;
	if (nb->e != NULL)
		for (uint32_t i = 1; i < nb->t->neigh_size; i++)
			drop_held(nb, &nb->e[i]);
	free(nb->e);
	free(nb->buckets);
	free(nb->free_list);
	free(nb->t->neigh);
	nb->t->neigh = NULL;
	nb->t->neigh_size = 0;
	free(nb);
}

uint32_t
neigh_count(const struct neigh *nb)
{
	return nb->t->neigh_size - 1 - nb->n_free;
}

const struct neigh_stats *
neigh_stats(const struct neigh *nb)
{
	return &nb->st;
}

/* ---- frames ---- */

/* The L2 header of a frame leaving from local address @p a. @return its length. */
static unsigned int
put_l2(uint8_t *d, const struct local_addr *a, const uint8_t *dst_mac, uint16_t type)
{
	unsigned int l2 = RTE_ETHER_HDR_LEN;

	memcpy(d, dst_mac, 6);
	memcpy(d + 6, a->mac, 6);
	if (a->vlan) {
		*(rte_be16_t *)(d + 12) = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		*(rte_be16_t *)(d + 14) = rte_cpu_to_be_16(a->vlan);
		l2 += 4;
	}
	*(rte_be16_t *)(d + l2 - 2) = rte_cpu_to_be_16(type);
	return l2;
}

static void
send_frame(struct neigh *nb, struct rte_mbuf *m, const struct local_addr *a, unsigned int len)
{
	if (len < RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN) { /* pad to the 60-byte minimum */
		memset(rte_pktmbuf_mtod(m, uint8_t *) + len, 0,
		       RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN - len);
		len = RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN;
	}
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	m->port = a->port_id;
	nb->io.send(nb->io.ctx, m);
}

static uint16_t
icmp6_cksum(const struct rte_ipv6_hdr *ip, const void *icmp, unsigned int len)
{
	uint32_t sum = rte_ipv6_phdr_cksum(ip, 0) + rte_raw_cksum(icmp, len);

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A neighbour solicitation (RFC 4861 §7.2.2) or an ARP request for @p x. */
static void
send_request(struct neigh *nb, struct entry *x)
{
	const struct local_addr *a = &nb->t->addrs[x->addr];
	struct rte_mbuf *m;
	uint8_t *d;
	unsigned int l2;

	if (nb->io.send == NULL || nb->io.alloc == NULL)
		return;
	m = nb->io.alloc(nb->io.ctx);
	if (m == NULL || rte_pktmbuf_tailroom(m) < 128) {
		rte_pktmbuf_free(m);
		nb->st.no_mbuf++;
		return;
	}
	d = rte_pktmbuf_mtod(m, uint8_t *);
	if (!x->ip6) {
		struct rte_arp_hdr *arp;
		static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

		l2 = put_l2(d, a, bcast, RTE_ETHER_TYPE_ARP);
		arp = (struct rte_arp_hdr *)(d + l2);
		arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
		arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		arp->arp_hlen = 6;
		arp->arp_plen = 4;
		arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
		memcpy(&arp->arp_data.arp_sha, a->mac, 6);
		memcpy(&arp->arp_data.arp_sip, a->addr, 4);
		memset(&arp->arp_data.arp_tha, 0, 6);
		memcpy(&arp->arp_data.arp_tip, x->ip, 4);
		send_frame(nb, m, a, l2 + sizeof(*arp));
	} else {
		/* To the solicited-node group ff02::1:ffXX:XXXX (RFC 4291 §2.7.1) */
		uint8_t mac[6] = {0x33, 0x33, 0xff, x->ip[13], x->ip[14], x->ip[15]};
		struct rte_ipv6_hdr *ip;
		uint8_t *icmp;

		l2 = put_l2(d, a, mac, RTE_ETHER_TYPE_IPV6);
		ip = (struct rte_ipv6_hdr *)(d + l2);
		icmp = (uint8_t *)(ip + 1);
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16(32);
		ip->proto = IPPROTO_ICMPV6;
		ip->hop_limits = 255;
		memcpy(ip->src_addr, a->addr, 16);
		memset(ip->dst_addr, 0, 16);
		ip->dst_addr[0] = 0xff, ip->dst_addr[1] = 0x02, ip->dst_addr[11] = 0x01;
		ip->dst_addr[12] = 0xff;
		memcpy(&ip->dst_addr[13], &x->ip[13], 3);
		memset(icmp, 0, 32);
		icmp[0] = ICMP6_NS;
		memcpy(icmp + 8, x->ip, 16);
		icmp[24] = ND_OPT_SLLA;
		icmp[25] = 1; /* in units of 8 bytes */
		memcpy(icmp + 26, a->mac, 6);
		*(uint16_t *)(icmp + 2) = icmp6_cksum(ip, icmp, 32);
		send_frame(nb, m, a, l2 + 40 + 32);
	}
	nb->st.requests_sent++;
}

/* ---- entries ---- */

static struct entry *
find(struct neigh *nb, unsigned int addr, int ip6, const uint8_t *ip, uint16_t *idx)
{
	for (uint16_t i = nb->buckets[ip_hash(ip6, ip) & (nb->n_buckets - 1)]; i != 0;
	     i = nb->e[i].next) {
		struct entry *x = &nb->e[i];

		if (x->addr == addr && x->ip6 == ip6 && memcmp(x->ip, ip, ip6 ? 16 : 4) == 0) {
			*idx = i;
			return x;
		}
	}
	return NULL;
}

static int
on_link(const struct local_addr *a, const struct addr_route *r, const uint8_t *ip)
{
	unsigned int bits = r->prefix_len, bytes = bits / 8;

	if (bits == 0)
		return 1;
	if (memcmp(a->addr, ip, bytes) != 0)
		return 0;
	if (bits % 8 == 0)
		return 1;
	return ((a->addr[bytes] ^ ip[bytes]) & (uint8_t)(0xff00 >> (bits % 8))) == 0;
}

#define ERR(...) snprintf(err, err_len, __VA_ARGS__)

int
neigh_ref(struct neigh *nb, unsigned int addr, const struct endpoint *remote,
	  const uint8_t *static_mac, uint16_t *idx, char *err, size_t err_len)
{
	const struct local_addr *a = &nb->t->addrs[addr];
	const struct addr_route *r = &nb->routes[addr];
	int is_static = static_mac != NULL && (static_mac[0] | static_mac[1] | static_mac[2] |
					       static_mac[3] | static_mac[4] | static_mac[5]);
	const uint8_t *hop = remote->addr;
	struct entry *x;
	uint16_t i;
	uint32_t h;

	if (!on_link(a, r, remote->addr)) {
		if (!r->has_gw && !is_static) {
			ERR("remote is off link of local address %u (prefix /%u) and it has no "
			    "gateway",
			    addr, r->prefix_len);
			return -EHOSTUNREACH;
		}
		if (r->has_gw)
			hop = r->gw;
	}
	x = find(nb, addr, a->ip6, hop, &i);
	if (x != NULL) {
		x->refs++;
		if (is_static && x->state != STATIC) {
			drop_held(nb, x);
			x->state = STATIC;
			__atomic_store_n(&nb->t->neigh[i].word, neigh_word(static_mac),
					 __ATOMIC_RELEASE);
		}
		*idx = i;
		return 0;
	}
	if (nb->n_free == 0) {
		ERR("neighbour table full (%u next hops)", nb->t->neigh_size - 1);
		return -ENOSPC;
	}
	i = nb->free_list[--nb->n_free];
	x = &nb->e[i];
	memset(x, 0, sizeof(*x));
	x->ip6 = a->ip6;
	x->addr = (uint8_t)addr;
	memcpy(x->ip, hop, a->ip6 ? 16 : 4);
	x->refs = 1;
	h = ip_hash(x->ip6, x->ip) & (nb->n_buckets - 1);
	x->next = nb->buckets[h];
	nb->buckets[h] = i;
	if (is_static) {
		x->state = STATIC;
		__atomic_store_n(&nb->t->neigh[i].word, neigh_word(static_mac), __ATOMIC_RELEASE);
	} else {
		x->state = INCOMPLETE;
		__atomic_store_n(&nb->t->neigh[i].word, 0, __ATOMIC_RELEASE);
		send_request(nb, x); /* at once: the call's first packets are coming */
		x->tries = 1;
		x->next_ms = 0; /* the timer sets the real time on its first pass */
	}
	*idx = i;
	return 0;
}

void
neigh_unref(struct neigh *nb, uint16_t idx)
{
	struct entry *x;
	uint16_t *p;

	if (idx == 0 || idx >= nb->t->neigh_size || nb->e[idx].state == FREE)
		return;
	x = &nb->e[idx];
	if (--x->refs > 0)
		return;
	/* Callers unreference after an RCU grace period, so no worker still
	 * reads this entry through an old egress. */
	drop_held(nb, x);
	__atomic_store_n(&nb->t->neigh[idx].word, 0, __ATOMIC_RELEASE);
	for (p = &nb->buckets[ip_hash(x->ip6, x->ip) & (nb->n_buckets - 1)]; *p != idx;
	     p = &nb->e[*p].next)
		;
	*p = x->next;
	x->state = FREE;
	nb->free_list[nb->n_free++] = idx;
}

static void
send_held(struct neigh *nb, struct entry *x, const uint8_t *mac)
{
	for (unsigned int k = 0; k < x->n_held; k++) {
		struct rte_mbuf *m = x->held[k];

		memcpy(rte_pktmbuf_mtod(m, uint8_t *), mac, 6);
		nb->io.send(nb->io.ctx, m);
	}
	nb->st.held_sent += x->n_held;
	x->n_held = 0;
}

/* A neighbour told us its MAC (ARP or NA, asked or not): update every
 * non-static entry for it on that link. New entries are never created
 * here, so a flood of ARP cannot fill the table. */
static void
learn(struct neigh *nb, uint16_t port, uint16_t vlan, int ip6, const uint8_t *ip,
      const uint8_t *mac, uint64_t now_ms)
{
	if (rte_is_multicast_ether_addr((const struct rte_ether_addr *)mac) ||
	    rte_is_zero_ether_addr((const struct rte_ether_addr *)mac))
		return;
	for (uint16_t i = nb->buckets[ip_hash(ip6, ip) & (nb->n_buckets - 1)]; i != 0;
	     i = nb->e[i].next) {
		struct entry *x = &nb->e[i];
		const struct local_addr *a = &nb->t->addrs[x->addr];
		uint64_t w = neigh_word(mac);

		if (x->ip6 != ip6 || memcmp(x->ip, ip, ip6 ? 16 : 4) != 0 || a->port_id != port ||
		    a->vlan != vlan || x->state == STATIC)
			continue;
		if (__atomic_load_n(&nb->t->neigh[i].word, __ATOMIC_RELAXED) != w) {
			__atomic_store_n(&nb->t->neigh[i].word, w, __ATOMIC_RELEASE);
			nb->st.resolved++;
		}
		x->state = REACHABLE;
		x->tries = 0;
		x->next_ms = now_ms + NEIGH_REFRESH_MS;
		send_held(nb, x, mac);
	}
}

/* ---- input ---- */

struct frame {
	uint8_t *d;
	unsigned int len, l2;
	uint16_t vlan, type;
};

static int
local_index(const struct neigh *nb, uint16_t port, uint16_t vlan, int ip6, const uint8_t *ip)
{
	for (unsigned int a = 0; a < nb->t->n_addrs; a++) {
		const struct local_addr *l = &nb->t->addrs[a];

		if (l->port_id == port && l->vlan == vlan && l->ip6 == ip6 &&
		    memcmp(l->addr, ip, ip6 ? 16 : 4) == 0)
			return (int)a;
	}
	return -1;
}

/* Turn a received frame into a reply to its sender, in place. */
static void
reply_l2(struct frame *f, const struct local_addr *a)
{
	memcpy(f->d, f->d + 6, 6);
	memcpy(f->d + 6, a->mac, 6);
}

static int
arp_input(struct neigh *nb, struct rte_mbuf *m, struct frame *f, uint64_t now_ms)
{
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(f->d + f->l2);
	uint16_t op;
	int a;

	if (f->len < f->l2 + sizeof(*arp) ||
	    arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != 6 ||
	    arp->arp_plen != 4) {
		nb->st.malformed++;
		return 0;
	}
	op = rte_be_to_cpu_16(arp->arp_opcode);
	learn(nb, m->port, f->vlan, 0, (const uint8_t *)&arp->arp_data.arp_sip,
	      arp->arp_data.arp_sha.addr_bytes, now_ms);
	if (op != RTE_ARP_OP_REQUEST) {
		/* every punted frame lands in one counter: a reply is learned
		 * from (above), anything else is ignored */
		if (op == RTE_ARP_OP_REPLY)
			nb->st.answers++;
		else
			nb->st.ignored++;
		return 0;
	}
	a = local_index(nb, m->port, f->vlan, 0, (const uint8_t *)&arp->arp_data.arp_tip);
	if (a < 0) {
		nb->st.ignored++;
		return 0;
	}
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	arp->arp_data.arp_tha = arp->arp_data.arp_sha;
	arp->arp_data.arp_tip = arp->arp_data.arp_sip;
	memcpy(&arp->arp_data.arp_sha, nb->t->addrs[a].mac, 6);
	memcpy(&arp->arp_data.arp_sip, nb->t->addrs[a].addr, 4);
	memcpy(f->d, arp->arp_data.arp_tha.addr_bytes, 6);
	memcpy(f->d + 6, nb->t->addrs[a].mac, 6);
	send_frame(nb, m, &nb->t->addrs[a], f->l2 + sizeof(*arp));
	nb->st.arp_replied++;
	return 1;
}

static int
icmp4_input(struct neigh *nb, struct rte_mbuf *m, struct frame *f)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f->d + f->l2);
	struct rte_icmp_hdr *icmp;
	unsigned int ihl, tot;
	int a;

	if (f->len < f->l2 + 20)
		goto bad;
	ihl = (ip->version_ihl & 0xf) * 4u;
	tot = rte_be_to_cpu_16(ip->total_length);
	if (ihl < 20 || tot < ihl + 8 || f->l2 + tot > f->len || rte_ipv4_cksum(ip) != 0 ||
	    ip->next_proto_id != IPPROTO_ICMP)
		goto bad;
	icmp = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
	if (rte_raw_cksum(icmp, tot - ihl) != 0xffff)
		goto bad;
	a = local_index(nb, m->port, f->vlan, 0, (const uint8_t *)&ip->dst_addr);
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0 || a < 0) {
		nb->st.ignored++;
		return 0;
	}
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, tot - ihl);
	ip->dst_addr = ip->src_addr;
	memcpy(&ip->src_addr, nb->t->addrs[a].addr, 4);
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	reply_l2(f, &nb->t->addrs[a]);
	send_frame(nb, m, &nb->t->addrs[a], f->l2 + tot);
	nb->st.echo_replied++;
	return 1;
bad:
	nb->st.malformed++;
	return 0;
}

/* The link-layer address option of type @p type in ND options, NULL if
 * absent, in *ll. @return 0, or -1 if an option has length zero or runs
 * past the message (RFC 4861 §7.1.1/§7.1.2: discard the message). */
static int
nd_lladdr(const uint8_t *opt, unsigned int len, uint8_t type, const uint8_t **ll)
{
	*ll = NULL;
	while (len >= 8) {
		unsigned int olen = opt[1] * 8u;

		if (olen == 0 || olen > len)
			return -1;
		if (opt[0] == type && olen == 8 && *ll == NULL)
			*ll = opt + 2;
		opt += olen;
		len -= olen;
	}
	return 0;
}

static int
icmp6_input(struct neigh *nb, struct rte_mbuf *m, struct frame *f, uint64_t now_ms)
{
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(f->d + f->l2);
	uint8_t *icmp = (uint8_t *)(ip + 1);
	static const uint8_t unspec[16];
	unsigned int plen;
	const uint8_t *ll;
	int a;

	if (f->len < f->l2 + 40 + 8)
		goto bad;
	plen = rte_be_to_cpu_16(ip->payload_len);
	if (ip->proto != IPPROTO_ICMPV6 || plen < 8 || f->l2 + 40 + plen > f->len ||
	    icmp6_cksum(ip, icmp, plen) != 0)
		goto bad;
	switch (icmp[0]) {
	case ICMP6_NS:
		/* RFC 4861 §7.1.1: hop limit 255 (from the link), code 0 */
		if (ip->hop_limits != 255 || icmp[1] != 0 || plen < 24)
			goto bad;
		if (nd_lladdr(icmp + 24, plen - 24, ND_OPT_SLLA, &ll) != 0 ||
		    (ll != NULL && memcmp(ip->src_addr, unspec, 16) == 0))
			goto bad;
		if (ll != NULL)
			learn(nb, m->port, f->vlan, 1, ip->src_addr, ll, now_ms);
		a = local_index(nb, m->port, f->vlan, 1, icmp + 8);
		if (a < 0) {
			nb->st.ignored++;
			return 0;
		}
		if (rte_pktmbuf_tailroom(m) + m->data_len < f->l2 + 40 + 32)
			goto bad;
		/* The advertisement goes back to the soliciting node, or to all
		 * nodes when it has no address yet (duplicate detection). */
		if (memcmp(ip->src_addr, unspec, 16) == 0) {
			static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
			static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};

			memcpy(ip->dst_addr, all_nodes, 16);
			memcpy(f->d, all_nodes_mac, 6);
			icmp[4] = NA_FLAG_OVERRIDE;
		} else {
			memcpy(ip->dst_addr, ip->src_addr, 16);
			memcpy(f->d, ll != NULL ? ll : f->d + 6, 6);
			icmp[4] = NA_FLAG_SOLICITED | NA_FLAG_OVERRIDE;
		}
		memcpy(f->d + 6, nb->t->addrs[a].mac, 6);
		memcpy(ip->src_addr, nb->t->addrs[a].addr, 16);
		ip->payload_len = rte_cpu_to_be_16(32);
		ip->hop_limits = 255;
		icmp[0] = ICMP6_NA;
		icmp[1] = 0;
		icmp[2] = icmp[3] = 0;
		icmp[5] = icmp[6] = icmp[7] = 0;
		/* target stays at icmp + 8 */
		icmp[24] = ND_OPT_TLLA;
		icmp[25] = 1;
		memcpy(icmp + 26, nb->t->addrs[a].mac, 6);
		*(uint16_t *)(icmp + 2) = icmp6_cksum(ip, icmp, 32);
		send_frame(nb, m, &nb->t->addrs[a], f->l2 + 40 + 32);
		nb->st.nd_replied++;
		return 1;
	case ICMP6_NA:
		if (ip->hop_limits != 255 || icmp[1] != 0 || plen < 24)
			goto bad;
		if (nd_lladdr(icmp + 24, plen - 24, ND_OPT_TLLA, &ll) != 0)
			goto bad;
		if (ll != NULL) {
			learn(nb, m->port, f->vlan, 1, icmp + 8, ll, now_ms);
			nb->st.answers++;
		} else {
			nb->st.ignored++;
		}
		return 0;
	case ICMP6_ECHO_REQUEST:
		a = local_index(nb, m->port, f->vlan, 1, ip->dst_addr);
		if (a < 0 || icmp[1] != 0) {
			nb->st.ignored++;
			return 0;
		}
		memcpy(ip->dst_addr, ip->src_addr, 16);
		memcpy(ip->src_addr, nb->t->addrs[a].addr, 16);
		ip->hop_limits = 64;
		icmp[0] = ICMP6_ECHO_REPLY;
		icmp[2] = icmp[3] = 0;
		*(uint16_t *)(icmp + 2) = icmp6_cksum(ip, icmp, plen);
		reply_l2(f, &nb->t->addrs[a]);
		send_frame(nb, m, &nb->t->addrs[a], f->l2 + 40 + plen);
		nb->st.echo_replied++;
		return 1;
	default: nb->st.ignored++; return 0;
	}
bad:
	nb->st.malformed++;
	return 0;
}

/* A complete egress frame waiting for its next hop. */
static int
hold(struct neigh *nb, struct rte_mbuf *m, uint16_t idx)
{
	struct entry *x;
	uint8_t mac[6];

	if (idx == 0 || idx >= nb->t->neigh_size || nb->e[idx].state == FREE) {
		nb->st.held_dropped++;
		return 0;
	}
	x = &nb->e[idx];
	if (neigh_mac(nb->t->neigh, idx, mac)) { /* resolved since the worker looked */
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), mac, 6);
		nb->io.send(nb->io.ctx, m);
		nb->st.held_sent++;
		return 1;
	}
	if (x->n_held >= NEIGH_HOLD) {
		nb->st.held_dropped++;
		return 0;
	}
	x->held[x->n_held++] = m;
	nb->st.held++;
	return 1;
}

void
neigh_input(struct neigh *nb, struct rte_mbuf *m, uint64_t now_ms)
{
	uint32_t info = m->hash.usr;
	struct frame f;
	int kept = 0;

	if ((info & 0xff) == DROP_NO_NEXTHOP) {
		if (nb->io.send != NULL && hold(nb, m, (uint16_t)(info >> 8)))
			return;
		rte_pktmbuf_free(m);
		return;
	}
	f.d = rte_pktmbuf_mtod(m, uint8_t *);
	f.len = m->data_len;
	f.vlan = 0;
	f.l2 = RTE_ETHER_HDR_LEN;
	if (m->nb_segs != 1 || f.len < RTE_ETHER_HDR_LEN) {
		nb->st.malformed++;
		rte_pktmbuf_free(m);
		return;
	}
	f.type = rte_be_to_cpu_16(*(rte_be16_t *)(f.d + 12));
	if (f.type == RTE_ETHER_TYPE_VLAN && f.len >= RTE_ETHER_HDR_LEN + 4) {
		f.vlan = rte_be_to_cpu_16(*(rte_be16_t *)(f.d + 14)) & 0xfff;
		f.type = rte_be_to_cpu_16(*(rte_be16_t *)(f.d + 16));
		f.l2 += 4;
	}
	if (nb->io.send == NULL) {
		nb->st.ignored++;
	} else if (f.type == RTE_ETHER_TYPE_ARP) {
		kept = arp_input(nb, m, &f, now_ms);
	} else if (f.type == RTE_ETHER_TYPE_IPV4 && f.len >= f.l2 + 20 &&
		   f.d[f.l2 + 9] == IPPROTO_ICMP) {
		kept = icmp4_input(nb, m, &f);
	} else if (f.type == RTE_ETHER_TYPE_IPV6 && f.len >= f.l2 + 40 &&
		   f.d[f.l2 + 6] == IPPROTO_ICMPV6) {
		kept = icmp6_input(nb, m, &f, now_ms);
	} else {
		nb->st.ignored++; /* IPv6 extension headers, STUN/DTLS on keyed legs */
	}
	if (!kept)
		rte_pktmbuf_free(m);
}

void
neigh_timer(struct neigh *nb, uint64_t now_ms)
{
	for (uint32_t i = 1; i < nb->t->neigh_size; i++) {
		struct entry *x = &nb->e[i];

		if (x->state != INCOMPLETE && x->state != REACHABLE)
			continue;
		if (x->next_ms == 0) /* just created: its first request went out */
			x->next_ms = now_ms + NEIGH_RETRY_MS;
		if (now_ms < x->next_ms)
			continue;
		if (x->state == INCOMPLETE && x->tries >= NEIGH_TRIES) {
			/* No answer: what waits is stale media; keep asking, slower. */
			drop_held(nb, x);
			x->tries = 0;
			x->next_ms = now_ms + NEIGH_BACKOFF_MS;
			continue;
		}
		/* A resolved entry keeps its MAC while re-asked: a peer that
		 * stops answering ARP keeps its media rather than losing it. */
		send_request(nb, x);
		x->tries++;
		x->next_ms = now_ms + (x->state == REACHABLE ? NEIGH_REFRESH_MS : NEIGH_RETRY_MS);
	}
}
