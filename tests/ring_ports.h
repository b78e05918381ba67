/* ring_ports.h: the worker path without a NIC, for tests and benchmarks.
 * A real EAL (no hugepages, no PCI, no shared config) and ethdev ports made
 * of rings: what is enqueued on a port's rx ring is received, what the port
 * transmits lands on its tx ring. Plus a builder for the Ethernet/IP/UDP
 * frames fed to them, with checksums from csum.h (independent of parse.c).
 */
#ifndef SRTPFWD_TEST_RING_PORTS_H
#define SRTPFWD_TEST_RING_PORTS_H

#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "csum.h"

/* --no-huge implies legacy memory, so no --in-memory: a private file prefix
 * and no shared config keep parallel runs apart. @return rte_eal_init's. */
static inline int
ring_eal_init(const char *prog, const char *mem_mb)
{
	static char args[11][48];
	char *argv[11];
	const char *a[11] = {prog, "--no-huge", "--no-pci",    "--no-shconf", "-m", mem_mb,
			     "-l", "0",		"--log-level", "*:warning",   NULL};

	snprintf(args[10], sizeof(args[10]), "--file-prefix=srtpfwd_%s", prog);
	for (unsigned int i = 0; i < 10; i++)
		snprintf(args[i], sizeof(args[i]), "%s", a[i]);
	for (unsigned int i = 0; i < 11; i++)
		argv[i] = args[i];
	return rte_eal_init(11, argv);
}

/* Ports 0..n-1 of rings of @p ring_size, configured and started (22.11
 * installs the rx/tx burst functions at start). @return 0 or -1. */
static inline int
ring_ports_open(struct rte_mempool *pool, unsigned int n, unsigned int ring_size,
		struct rte_ring **rx, struct rte_ring **tx, uint16_t *port,
		struct rte_ether_addr *mac)
{
	for (unsigned int p = 0; p < n; p++) {
		struct rte_eth_conf conf;
		char name[32];
		int id;

		snprintf(name, sizeof(name), "rx%u", p);
		rx[p] = rte_ring_create(name, ring_size, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "tx%u", p);
		tx[p] = rte_ring_create(name, ring_size, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "ring%u", p);
		if (rx[p] == NULL || tx[p] == NULL)
			return -1;
		id = rte_eth_from_rings(name, &rx[p], 1, &tx[p], 1, 0);
		if (id < 0)
			return -1;
		port[p] = (uint16_t)id;
		memset(&conf, 0, sizeof(conf));
		if (rte_eth_dev_configure(port[p], 1, 1, &conf) != 0 ||
		    rte_eth_rx_queue_setup(port[p], 0, 256, 0, NULL, pool) != 0 ||
		    rte_eth_tx_queue_setup(port[p], 0, 256, 0, NULL) != 0 ||
		    rte_eth_dev_start(port[p]) != 0)
			return -1;
		rte_eth_macaddr_get(port[p], &mac[p]);
	}
	return 0;
}

/* An untagged Ethernet/IPv4 or IPv6/UDP frame carrying @p msg, with valid
 * IPv4 header and UDP checksums. @return its length. */
static inline unsigned int
udp_frame(uint8_t *f, const uint8_t *dst_mac, const uint8_t *src_mac, int ip6, const uint8_t *src,
	  const uint8_t *dst, uint16_t sport, uint16_t dport, const uint8_t *msg, unsigned int len)
{
	unsigned int ihl = ip6 ? 40 : 20;
	uint8_t *ip = f + 14, *udp = ip + ihl;
	uint32_t sum;

	memcpy(f, dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	put16(f + 12, ip6 ? 0x86dd : 0x0800);
	memset(ip, 0, ihl);
	if (ip6) {
		ip[0] = 0x60;
		put16(ip + 4, 8 + len);
		ip[6] = 17;
		ip[7] = 64;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
	} else {
		ip[0] = 0x45;
		put16(ip + 2, 20 + 8 + len);
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		put16(ip + 10, (uint16_t)~ocsum_fold(ocsum_add(0, ip, 20)));
	}
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, 8 + len);
	put16(udp + 6, 0);
	memcpy(udp + 8, msg, len);
	sum = ocsum_add(0, ip + (ip6 ? 8 : 12), ip6 ? 32 : 8) + 17 + 8 + len;
	sum = ocsum_fold(ocsum_add(sum, udp, 8 + len));
	put16(udp + 6, (uint16_t)~sum ? (uint16_t)~sum : 0xffff); /* 0 is "none" */
	return 14 + ihl + 8 + len;
}

#endif
