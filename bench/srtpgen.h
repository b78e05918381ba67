/* srtpgen.h: srtpgen's sessions and frames, shared by its pcap mode
 * (srtpgen.c) and its generator-and-sink mode (srtpgen_gen.c).
 *
 * Owns: the run's options (struct gen_opts), the sessions with their four
 * master keys each (struct gen_session: random, from getrandom), the frames
 * (Ethernet, IPv4 or IPv6, UDP, RTP, protected with libsrtp2 2.5), the pcap
 * writer and the srtpfwd-ctl script writer. Keys go to the script file
 * (mode 0600) and to libsrtp2 only; they are zeroed by gen_sessions_free().
 *
 * A session i is one srtpfwd session:
 *   leg 0: local opts.local[0] (address index opts.addr_index[0]), port
 *          opts.local_port + 2i; remote opts.peer[0]:opts.peer_port + 2i
 *   leg 1: the same on side 1
 * Direction d (0: side 0's peer sends to leg 0, srtpfwd forwards out of
 * leg 1; 1: the reverse) carries RTP with SSRC opts.ssrc + (d << 20) + i,
 * sequence numbers from (uint16_t)(i * 7919 + d * 30011) and timestamps
 * from i * 1000003 + d, stepping clock * ptime / 1000 a packet. The sender
 * of direction d protects with leg d's "in" key; srtpfwd sends with leg
 * (1 - d)'s "out" key.
 *
 * The RTP payload (opts.size bytes, at least 16) is, for packet k of
 * session i:
 *   [0..3]  i, big endian          [4..7]  k, big endian
 *   [8..15] the sender's TSC at send time (gen mode), 0 in pcaps
 *   [16..]  byte j = (uint8_t)(i * 7 + k * 13 + j)
 * so a receiver can tell every packet apart and check its bytes.
 */
#ifndef SRTPFWD_BENCH_SRTPGEN_H
#define SRTPFWD_BENCH_SRTPGEN_H

#include <stdint.h>
#include <stdio.h>

#include <srtp2/srtp.h>

#include "dataplane/crypto.h"

#define GEN_PLAIN (-1) /* a leg without SRTP */
#define GEN_SIZE_MIN 16
#define GEN_SIZE_MAX 1400 /* RTP payload: a v6 frame with a GCM tag stays under 1514 */
#define GEN_FRAME_MAX 1600
#define GEN_SSRC_DIR_SHIFT 20
#define GEN_SESSIONS_MAX (1u << GEN_SSRC_DIR_SHIFT)

struct gen_opts {
	int suite[2]; /* enum suite per leg, or GEN_PLAIN */
	unsigned int sessions;
	unsigned int size; /* RTP payload bytes */
	unsigned int ptime_ms;
	unsigned int clock_hz; /* RTP clock: 8000 G.711, 48000 Opus */
	unsigned int pt; /* RTP payload type */
	unsigned int packets; /* per session and direction (pcap mode) */
	int ip6;
	uint8_t peer_mac[2][6]; /* each side's peer: source of its frames */
	uint8_t fwd_mac[2][6]; /* srtpfwd's port on each side */
	uint8_t peer[2][16]; /* each side's peer address */
	uint8_t local[2][16]; /* srtpfwd's address on each side */
	unsigned int addr_index[2]; /* legL.addr= of the script */
	uint16_t local_port, peer_port; /* first port of each; + 2 a session */
	uint32_t ssrc;
	uint64_t id; /* first session id (the controller's handle) */
	unsigned int timeout_ms; /* session inactivity timeout; 0 never */
};

struct gen_key {
	uint8_t key[SRTP_KEY_MAX];
	uint8_t salt[SRTP_SALT_MAX];
};

struct gen_session {
	uint32_t index;
	struct gen_key in[2], out[2]; /* per leg: what its peer sends with / srtpfwd sends with */
	srtp_t tx[2]; /* direction d's sender: leg d's "in" key (NULL if leg d is plain) */
	srtp_t rx[2]; /* direction d's receiver: leg (1 - d)'s "out" key (NULL if plain) */
	uint32_t sent[2]; /* packets built in direction d */
};

/** Defaults: AES_CM_128_HMAC_SHA1_80 both legs, 1 session, 160 B, 20 ms,
 *  8 kHz, PT 0, 50 packets, IPv4, the addresses of
 *  drivers-config/netns-lab.sh and af_packet.yaml. */
void gen_opts_default(struct gen_opts *o);
/** Set the lab's addresses for @p ip6 (called again when --ip changes them). */
void gen_opts_lab_addrs(struct gen_opts *o, int ip6);
/** @return 0, or -1 with @p err set: ports, sizes and counts in range. */
int gen_opts_check(const struct gen_opts *o, char *err, size_t err_len);

/** Make o->sessions sessions with random keys and their libsrtp2 contexts.
 *  @return the array, or NULL with @p err set. */
struct gen_session *gen_sessions_new(const struct gen_opts *o, char *err, size_t err_len);
/** The sessions of a script gen_write_script() wrote (srtpgen's layout):
 *  sets o->sessions, id, ports, peers, address indexes and suites; o->ip6
 *  must already match. @return the array, or NULL with @p err set. */
struct gen_session *gen_read_script(const char *path, struct gen_opts *o, char *err,
				    size_t err_len);
/** Zero every key and free the contexts. */
void gen_sessions_free(const struct gen_opts *o, struct gen_session *s);

static inline uint32_t
gen_ssrc(const struct gen_opts *o, unsigned int dir, uint32_t i)
{
	return o->ssrc + ((uint32_t)dir << GEN_SSRC_DIR_SHIFT) + i;
}

static inline uint16_t
gen_seq0(unsigned int dir, uint32_t i)
{
	return (uint16_t)(i * 7919u + dir * 30011u);
}

static inline uint32_t
gen_ts(const struct gen_opts *o, unsigned int dir, uint32_t i, uint32_t k)
{
	return i * 1000003u + dir + k * (o->clock_hz / 1000u * o->ptime_ms);
}

/** Sender's and receiver's UDP ports of direction @p dir, session @p i. */
static inline uint16_t
gen_local_port(const struct gen_opts *o, uint32_t i)
{
	return (uint16_t)(o->local_port + 2 * i);
}

static inline uint16_t
gen_peer_port(const struct gen_opts *o, uint32_t i)
{
	return (uint16_t)(o->peer_port + 2 * i);
}

/**
 * The next frame of session @p s in direction @p dir (its packet number
 * s->sent[dir], which is then counted): Ethernet from side dir's peer to
 * srtpfwd, IP, UDP with its checksum, RTP protected with leg dir's "in"
 * key when that leg is SRTP. @p tsc goes into the payload.
 * @return the frame's length, or 0 if libsrtp2 refused (message in @p err).
 */
unsigned int gen_frame(const struct gen_opts *o, struct gen_session *s, unsigned int dir,
		       uint64_t tsc, uint8_t *frame, char *err, size_t err_len);

/** Fill the payload of packet @p k of session @p i (see the top). */
void gen_payload(uint8_t *p, unsigned int size, uint32_t i, uint32_t k, uint64_t tsc);

/** RFC 1071 sum of the IP pseudo header plus @p len bytes of UDP at @p udp,
 *  folded and complemented (0 -> 0xffff), as it goes into the header. */
uint16_t gen_udp_cksum(int ip6, const uint8_t *src, const uint8_t *dst, const uint8_t *udp,
		       unsigned int len);
uint16_t gen_ip4_cksum(const uint8_t *ip);
/** The folded sum (not complemented) of the pseudo header and @p len bytes
 *  at @p l4: 0xffff when a received checksum verifies. */
uint16_t gen_l4_sum(int ip6, const uint8_t *src, const uint8_t *dst, uint8_t proto,
		    const uint8_t *l4, unsigned int len);

/** Write the srtpfwd-ctl script that creates the sessions (mode 0600; the
 *  file is created or truncated). @return 0, or -1 with @p err set. */
int gen_write_script(const char *path, const struct gen_opts *o, const struct gen_session *s,
		     const char *comment, char *err, size_t err_len);

/* pcap: classic format, microsecond stamps, Ethernet. */
FILE *gen_pcap_open(const char *path, char *err, size_t err_len);
int gen_pcap_write(FILE *f, uint64_t t_us, const uint8_t *frame, unsigned int len);

/** Parse "aa:bb:cc:dd:ee:ff". @return 0 or -1. */
int gen_parse_mac(const char *s, uint8_t mac[6]);
/** Parse an IPv4 or IPv6 address as @p ip6 says. @return 0 or -1. */
int gen_parse_ip(const char *s, int ip6, uint8_t addr[16]);
/** "plain", or a suite name. @return GEN_PLAIN, the suite, or -2. */
int gen_parse_suite(const char *s);
const char *gen_suite_name(int suite);

#endif
