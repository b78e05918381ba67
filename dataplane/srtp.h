/* srtp.h: SRTP/SRTCP crypto contexts and the burst protect/unprotect stages.
 *
 * A struct srtp_dir is one direction of one leg: "what arrives on leg A" is
 * unprotected with A's inbound context, "what leaves on leg B" is protected
 * with B's outbound context. Per RFC 3711 the crypto context is per SSRC, so
 * each direction keeps SSRC_SLOTS streams for SRTP and, separately, for
 * SRTCP: RTCP on port+1 may be steered to a different worker than RTP, and
 * keeping the halves on their own cache lines gives each exactly one writer.
 *
 * Ownership:
 *   keys, prev_keys   control: writes (release store), then retires the old
 *                     object via RCU; worker: reads (acquire load) per packet.
 *   rtp, rtcp         worker that receives (unprotect) or sends (protect) this
 *                     leg's RTP resp. RTCP: rw; control: ro (statistics).
 * A re-key swaps keys only: every SSRC's ROC and replay window is kept
 * (RFC 3711 §3.3.1; losing the ROC is the classic one-way-audio bug).
 */
#ifndef SRTPFWD_SRTP_H
#define SRTPFWD_SRTP_H

#include <stdbool.h>
#include <stdint.h>

#include "burst.h"
#include "crypto.h"

#define SSRC_SLOTS 4 /* audio, video, RTX, a changed SSRC after hold/transfer */
#define SSRC_RETIRED 8 /* tombstones of evicted SSRCs, per key */
#define SSRC_IDLE_MS 2000 /* a stream idle this long may give its slot up */

#define SRTP_KEY_LIFETIME (1ull << 48) /* RFC 3711 §9.2 */
#define SRTCP_KEY_LIFETIME (1ull << 31)

/* One SSRC's replay and index state for SRTP or SRTCP. */
struct srtp_stream {
	uint32_t ssrc;
	uint32_t last_used; /* 0: free slot; else worker.now_ms | 1 at the last commit */
	uint64_t top; /* highest index received (rx) or sent (tx) */
	uint64_t window[2]; /* replay bitmap, see replay.h */
};
_Static_assert(sizeof(struct srtp_stream) == 32, "four streams fill two cache lines");

/* What an evicted stream leaves behind. When its SSRC comes back, its top
 * index is restored and everything up to it counts as seen: no replay of
 * its old packets is accepted, no index it sent is sent again (keystream
 * reuse), and its ROC is kept. */
struct srtp_retired {
	uint32_t ssrc;
	uint32_t keygen; /* srtp_half.keygen when retired; 0: free */
	uint64_t top;
};

struct srtp_counters {
	uint64_t packets; /* protected, or verified and unprotected */
	uint64_t bytes; /* of the plain RTP/RTCP message */
	uint64_t auth_fail;
	uint64_t replay; /* replayed or older than the window */
	uint64_t dropped; /* every other drop (MKI, length, exhausted, index reuse) */
	uint64_t evicted; /* a stream slot reused for a new SSRC */
};

/* The SRTP or SRTCP side of a direction. One writer (see top).
 * Stream slots: a new SSRC takes a free slot, or evicts the least recently
 * used stream idle for SSRC_IDLE_MS, leaving a tombstone. Tombstones made
 * under the current key are never dropped: when none can be had, a new
 * SSRC is refused (DROP_SRTP_SSRC_FULL) rather than forgetting state whose
 * loss would allow replays or keystream reuse. A re-key frees them. */
struct srtp_half {
	struct srtp_stream streams[SSRC_SLOTS];
	struct srtp_retired retired[SSRC_RETIRED];
	const struct srtp_keys *counted_keys; /* the direction's key, as last seen */
	uint64_t uses; /* packets protected under counted_keys */
	uint32_t keygen; /* bumped whenever counted_keys changes */
	uint32_t rtcp_index; /* protect: last SRTCP index sent, any SSRC */
	struct srtp_counters cnt;
} __attribute__((aligned(64)));

struct srtp_dir {
	const struct srtp_keys *keys; /* current key; NULL: none installed */
	const struct srtp_keys *prev_keys; /* unprotect only: also accepted during a re-key */
	struct srtp_half rtp;
	struct srtp_half rtcp;
} __attribute__((aligned(64)));

struct worker;

/** Clear a direction: no keys, no streams, zero counters. Control path. */
void srtp_dir_init(struct srtp_dir *d);

/**
 * Publish @p keys as the direction's key (release store). With
 * @p keep_previous the old key stays acceptable for unprotect until
 * srtp_dir_end_overlap(); otherwise it stops being used at once. Control
 * path. Every key object no longer referenced is put in @p retire: the
 * caller retires each through RCU before zeroing it.
 * @return how many entries of @p retire were filled (0..2).
 */
unsigned int srtp_dir_set_keys(struct srtp_dir *d, const struct srtp_keys *keys, bool keep_previous,
			       const struct srtp_keys *retire[2]);
/** Stop accepting the previous key. @return it (to retire), or NULL. */
const struct srtp_keys *srtp_dir_end_overlap(struct srtp_dir *d);

/**
 * Verify and decrypt, in place, every packet of @p b that has an unprotect
 * context and verdict V_FWD. RFC 3711 order: MKI, index estimate, replay
 * check, tag (constant time), then decryption; ROC, replay window and SSRC
 * slots change only for packets whose tag verified. Failed packets get
 * V_DROP and a DROP_* reason; the rest of the burst carries on.
 * @return the number of packets unprotected.
 */
uint16_t srtp_unprotect_burst(struct worker *w, struct burst *b);

/**
 * Encrypt and authenticate, in place, every packet of @p b that has a
 * protect context and verdict V_FWD; appends MKI and tag (and the SRTCP
 * E|index word), growing the mbuf. Refuses an index already sent under the
 * key (keystream reuse) and keys past their lifetime.
 * @return the number of packets protected.
 */
uint16_t srtp_protect_burst(struct worker *w, struct burst *b);

#endif
