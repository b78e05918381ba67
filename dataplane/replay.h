/* replay.h: RFC 3711 packet index estimation (§3.3.1, Appendix A) and the
 * replay window (§3.3.2), as pure inline functions on state the caller owns.
 *
 * The window covers REPLAY_WINDOW indices ending at the highest index
 * accepted so far ("top"): bit k of bits[] says index top-k was received.
 * replay_check() has no side effects; replay_commit() is called only for a
 * packet whose tag verified (unprotect) or that is being sent (protect), the
 * contract libsrtp's rdbx.h states. The same window serves SRTP (48-bit
 * index) and SRTCP (31-bit index). DPDK-free: unit tests and the libsrtp2
 * cross-check link it without EAL.
 */
#ifndef SRTPFWD_REPLAY_H
#define SRTPFWD_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#define REPLAY_WINDOW 128

enum replay_result {
	REPLAY_OK = 0,
	REPLAY_SEEN, /* inside the window, already received */
	REPLAY_OLD, /* older than the window */
};

/**
 * Estimate the 48-bit SRTP index (ROC << 16 | SEQ) of a packet.
 *
 * RFC 3711 Appendix A, with libsrtp's start-up rule: while the highest index
 * seen is at most 2^15 the ROC is taken as 0, so a stream that begins with a
 * high SEQ or reorders around its first packet is never given ROC 2^32-1.
 *
 * @param top highest index accepted so far (0 for a new stream).
 * @param seq the packet's sequence number.
 * @param guess out: the estimated index.
 * @return guess - top (positive: newer than anything seen).
 */
static inline int64_t
srtp_index_estimate(uint64_t top, uint16_t seq, uint64_t *guess)
{
	uint32_t roc = (uint32_t)(top >> 16);
	uint16_t s_l = (uint16_t)top;
	uint32_t v = roc;

	if (top <= 0x8000) {
		*guess = seq;
		return (int64_t)seq - (int64_t)s_l;
	}
	if (s_l < 0x8000) {
		if ((int)seq - (int)s_l > 0x8000)
			v = roc - 1;
	} else if ((int)s_l - 0x8000 > (int)seq) {
		v = roc + 1;
	}
	*guess = (uint64_t)v << 16 | seq;
	return (int64_t)*guess - (int64_t)top;
}

/** Is index top+delta acceptable? No side effects. */
static inline enum replay_result
replay_check(const uint64_t bits[2], int64_t delta)
{
	uint64_t k;

	if (delta > 0)
		return REPLAY_OK;
	if (delta <= -REPLAY_WINDOW)
		return REPLAY_OLD;
	k = (uint64_t)-delta;
	return (bits[k >> 6] >> (k & 63)) & 1 ? REPLAY_SEEN : REPLAY_OK;
}

/** Record index top+delta as received; moves top forward when delta > 0. */
static inline void
replay_commit(uint64_t *top, uint64_t bits[2], int64_t delta)
{
	uint64_t k;

	if (delta > 0) {
		if (delta >= REPLAY_WINDOW) {
			bits[0] = bits[1] = 0;
		} else if (delta >= 64) {
			bits[1] = bits[0] << (delta - 64);
			bits[0] = 0;
		} else {
			bits[1] = bits[1] << delta | bits[0] >> (64 - delta);
			bits[0] <<= delta;
		}
		*top += (uint64_t)delta;
		bits[0] |= 1;
		return;
	}
	k = (uint64_t)-delta;
	bits[k >> 6] |= 1ull << (k & 63);
}

#endif
