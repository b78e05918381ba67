/* srtpgen_gen.h: srtpgen's generator-and-sink mode over two DPDK ports.
 *
 * Owns its EAL, its two ports and its mbufs for the run. Port 0 faces
 * srtpfwd's leg-0 side, port 1 leg 1's; each answers ARP/ND for its side's
 * peer. With dir 0 (the default) port 0 sends the sessions' direction-0
 * frames and port 1 receives what srtpfwd forwards and checks every packet
 * (addresses, ports, checksums, SRTP with leg 1's "out" key, RTP header
 * and payload bytes); dir 1 is the reverse. One lcore does both, paced by
 * the TSC. The frames are built as they are sent (the TSC in the payload
 * gives the latency), or come from a pcap srtpgen wrote (--pcap, with the
 * sessions of its script: --script).
 */
#ifndef SRTPFWD_BENCH_SRTPGEN_GEN_H
#define SRTPFWD_BENCH_SRTPGEN_GEN_H

#include <stdint.h>

#include "srtpgen.h"

#define GEN_RATES_MAX 16

struct gen_run_opts {
	const char *ctl; /* srtpfwd's control socket (unix) */
	uint32_t rates[GEN_RATES_MAX]; /* packets per second, all sessions together */
	unsigned int n_rates;
	unsigned int duration_ms; /* per rate */
	unsigned int warmup_ms; /* longest wait for the warm-up packets */
	int keep; /* leave the sessions in srtpfwd */
	const char *script; /* sessions (and keys) from this srtpgen script, already
			       created by srtpfwd-ctl -f: none created or deleted here */
	const char *pcap; /* send this pcap's frames (once, in order) instead of building */
	unsigned int dir; /* 0: out of port 0, back on port 1; 1: the reverse */
	int fwd_mac_given[2], peer_mac_given[2];
};

/**
 * Run every rate in @p r. @p eal_argv: a program name then EAL options.
 * @return the exit code: 0 when packets came back and every one verified,
 * 1 otherwise, 2 for bad arguments.
 */
int gen_run(const struct gen_opts *o, const struct gen_run_opts *r, int eal_argc, char **eal_argv);

#endif
