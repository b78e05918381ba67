/* srtp.c: SRTP/SRTCP protect and unprotect over a burst (see srtp.h).
 *
 * Each function runs in three phases, as VPP's esp_decrypt does:
 *   1. per packet: lengths, key/MKI, stream, index estimate, replay check
 *      (no commit), then one ipsec-mb job into the worker's job arrays;
 *   2. one submission per (algorithm, key size) for the whole burst, so the
 *      multi-buffer lanes fill;
 *   3. per packet: compare the tag in constant time, commit ROC/replay and
 *      take an SSRC slot only if it verified, then decrypt (or write tags).
 */
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_debug.h>
#include <rte_mbuf.h>

#include "replay.h"
#include "rtp.h"
#include "srtp.h"
#include "stats.h"
#include "worker.h"

#define SRTCP_E_BIT 0x80000000u
#define SRTCP_INDEX_MAX 0x7fffffffu

/* What phase 1 learned about a packet, for phase 3. */
struct pkt {
	uint8_t *msg;
	const struct srtp_keys *keys;
	struct srtp_half *half;
	struct srtp_stream *st; /* unprotect: the SSRC's stream when phase 1 saw it */
	uint64_t index; /* 48-bit SRTP index or 31-bit SRTCP index */
	uint32_t ssrc;
	uint16_t enc_off, enc_len; /* the (de)crypted region, from msg */
	uint16_t out_len; /* message length once done */
	uint16_t tag_off; /* unprotect: where the received tag is */
	uint8_t tag_len;
	uint8_t rtcp;
	uint8_t encrypted; /* SRTP with a ciphering suite, or SRTCP with E set */
	uint8_t retried; /* unprotect: tried again with the previous key */
	uint8_t aead; /* suites[keys->suite].aead, read once */
};

/* ---- small pieces ---- */

static inline const struct srtp_keys *
dir_keys(const struct srtp_dir *d)
{
	return __atomic_load_n(&d->keys, __ATOMIC_ACQUIRE);
}

static inline const struct crypto_key *
pkt_key(const struct pkt *p)
{
	return p->rtcp ? &p->keys->rtcp : &p->keys->rtp;
}

/* RFC 3711 §4.1.1 (AES-CM) and RFC 7714 §8.1/§9.1 (GCM): the IV is the
 * session salt XOR the SSRC XOR the index, at offsets the suite defines. The
 * SRTCP index (31 bits, zero-extended) sits where the SRTP index does.
 * Done on two big-endian 64-bit words: the byte loop it replaced cost ~45
 * instructions a packet (callgrind, bench/crypto_bench, 2026-11-23). */
static inline void
build_iv(uint8_t *iv, const struct pkt *p)
{
	const struct crypto_key *k = pkt_key(p);
	uint64_t w0, w1;

	memcpy(&w0, k->salt, 8);
	memcpy(&w1, k->salt + 8, 8);
	w0 = __builtin_bswap64(w0);
	w1 = __builtin_bswap64(w1);
	if (p->aead) {
		/* 00 00 | SSRC(2..5) | index48(6..11) */
		w0 ^= (uint64_t)p->ssrc << 16 ^ (p->index >> 32);
		w1 ^= (p->index & 0xffffffffull) << 32;
	} else {
		/* SSRC(4..7) | index48(8..13) | 00 00 */
		w0 ^= p->ssrc;
		w1 ^= p->index << 16;
	}
	w0 = __builtin_bswap64(w0);
	w1 = __builtin_bswap64(w1);
	memcpy(iv, &w0, 8);
	memcpy(iv + 8, &w1, 8);
}

static inline struct srtp_stream *
stream_find(struct srtp_half *h, uint32_t ssrc)
{
	for (unsigned int k = 0; k < SSRC_SLOTS; k++)
		if (h->streams[k].ssrc == ssrc && h->streams[k].last_used != 0)
			return &h->streams[k];
	return NULL;
}

static const uint64_t window_all_seen[2] = {~0ull, ~0ull};
static const uint64_t window_empty[2] = {0, 0};

/* Where an SSRC stands: its stream, or what its tombstone remembers (top,
 * everything up to it seen), or a new stream (top 0, nothing seen). */
static inline struct srtp_stream *
stream_peek(struct srtp_half *h, uint32_t ssrc, uint64_t *top, const uint64_t **window)
{
	struct srtp_stream *st = stream_find(h, ssrc);

	if (likely(st != NULL)) {
		*top = st->top;
		*window = st->window;
		return st;
	}
	*top = 0;
	*window = window_empty;
	for (unsigned int k = 0; k < SSRC_RETIRED; k++)
		if (h->retired[k].keygen != 0 && h->retired[k].ssrc == ssrc) {
			*top = h->retired[k].top;
			*window = window_all_seen;
		}
	return NULL;
}

/* Note the direction's current key: a new key restarts the lifetime count
 * and makes the tombstones made under older keys reclaimable. */
static inline void
half_key(struct srtp_half *h, const struct srtp_keys *keys)
{
	if (unlikely(h->counted_keys != keys)) {
		h->counted_keys = keys;
		h->uses = 0;
		if (++h->keygen == 0)
			h->keygen = 1;
	}
}

/* A slot for a new SSRC (policy in srtp.h, struct srtp_half).
 * @return the stream, restored from its tombstone if it had one, or NULL. */
static struct srtp_stream *
stream_claim(struct worker *w, struct srtp_half *h, uint32_t ssrc)
{
	struct srtp_stream *s = NULL;
	struct srtp_retired *back = NULL, *tomb = NULL;
	uint64_t top = 0;

	for (unsigned int k = 0; k < SSRC_RETIRED; k++)
		if (h->retired[k].keygen != 0 && h->retired[k].ssrc == ssrc)
			back = &h->retired[k];
	if (back != NULL)
		top = back->top;
	for (unsigned int k = 0; k < SSRC_SLOTS; k++)
		if (h->streams[k].last_used == 0) {
			s = &h->streams[k];
			if (back != NULL)
				back->keygen = 0;
			goto take;
		}
	/* Evict the least recently used stream idle for SSRC_IDLE_MS. A
	 * replay never refreshes a stream (only commits do), so an attacker
	 * cannot keep slots busy, nor push out a live call. */
	for (unsigned int k = 0; k < SSRC_SLOTS; k++) {
		struct srtp_stream *c = &h->streams[k];

		if ((int32_t)(w->now_ms - c->last_used) >= SSRC_IDLE_MS &&
		    (s == NULL || (int32_t)(s->last_used - c->last_used) > 0))
			s = c;
	}
	if (s == NULL)
		return NULL;
	tomb = back;
	for (unsigned int k = 0; tomb == NULL && k < SSRC_RETIRED; k++)
		if (h->retired[k].keygen != h->keygen) /* free, or an older key's */
			tomb = &h->retired[k];
	if (tomb == NULL)
		return NULL;
	tomb->ssrc = s->ssrc;
	tomb->top = s->top;
	tomb->keygen = h->keygen;
	h->cnt.evicted++;
	w->stats.ssrc_evicted++;
take:
	s->ssrc = ssrc;
	s->top = top;
	s->window[0] = s->window[1] = back != NULL ? ~0ull : 0;
	return s;
}

static inline void
stream_touch(const struct worker *w, struct srtp_stream *s)
{
	s->last_used = w->now_ms | 1; /* never 0: 0 marks a free slot */
}

/* SRTP works in place: a shared, indirect or chained mbuf would have its
 * other users see our plaintext or ciphertext. */
static inline bool
msg_writable(const struct rte_mbuf *m)
{
	return m->nb_segs == 1 && RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1;
}

static inline void
set_msg_len(struct burst *b, unsigned int i, unsigned int len)
{
	struct rte_mbuf *m = b->pkts[i];

	b->msg_len[i] = (uint16_t)len;
	m->data_len = (uint16_t)(b->msg_off[i] + len);
	m->pkt_len = m->data_len;
}

/* Bytes the message may grow by: the buffer after the message's end. */
static inline unsigned int
msg_room(const struct burst *b, unsigned int i)
{
	const struct rte_mbuf *m = b->pkts[i];

	return (unsigned int)(m->buf_len - m->data_off) - b->msg_off[i] - b->msg_len[i];
}

static inline int
msg_fits(const struct burst *b, unsigned int i)
{
	return b->msg_off[i] + b->msg_len[i] <= b->pkts[i]->data_len;
}

static inline void
drop(struct burst *b, unsigned int i, struct srtp_half *h, enum drop_reason r)
{
	burst_drop(b, i, r);
	if (h == NULL)
		return;
	if (r == DROP_SRTP_AUTH)
		h->cnt.auth_fail++;
	else if (r == DROP_SRTP_REPLAY || r == DROP_SRTP_REPLAY_OLD)
		h->cnt.replay++;
	else
		h->cnt.dropped++;
}

static inline enum drop_reason
replay_reason(enum replay_result r)
{
	return r == REPLAY_SEEN ? DROP_SRTP_REPLAY : DROP_SRTP_REPLAY_OLD;
}

/* ==== unprotect ==== */

/* The key an inbound packet names by its MKI, or the current one. */
static inline const struct srtp_keys *
mki_select(const struct srtp_dir *d, const struct srtp_keys *cur, const uint8_t *mki)
{
	const struct srtp_keys *prev;

	if (memcmp(mki, cur->mki, cur->mki_len) == 0) /* cold: only keys with an MKI */
		return cur;
	prev = __atomic_load_n(&d->prev_keys, __ATOMIC_ACQUIRE);
	if (prev != NULL && prev->mki_len == cur->mki_len && prev->suite == cur->suite &&
	    memcmp(mki, prev->mki, prev->mki_len) == 0)
		return prev;
	return NULL;
}

/* Queue the authentication (and, for GCM, decryption) of one packet.
 * Always inlined: as a call it cost ~60 instructions a packet more
 * (callgrind, bench/crypto_bench AEAD_AES_128_GCM 172 B, 2026-11-23). */
static __rte_always_inline void
unprotect_queue(struct crypto_worker *cw, unsigned int i, struct pkt *p)
{
	const struct suite_info *s = &suites[p->keys->suite];
	const struct crypto_key *k = pkt_key(p);

	if (!s->aead) {
		/* The tag covers the authenticated portion; for SRTP also the
		 * ROC, written where the MKI/tag were (saved in phase 1). */
		unsigned int auth_len = p->tag_off - p->keys->mki_len;

		if (!p->rtcp) {
			wr32(p->msg + auth_len, (uint32_t)(p->index >> 16));
			auth_len += 4;
		}
		crypto_hmac_add(cw, k, p->msg, auth_len, cw->tag[i]);
		return;
	}

	const uint8_t *aad = p->msg;
	uint32_t aad_len = p->enc_off;

	build_iv(cw->iv[i], p);
	if (p->rtcp && p->encrypted) {
		/* RFC 7714 §9.3: AAD = header || E|index, not contiguous. */
		memcpy(cw->aad[i], p->msg, RTCP_HDR_LEN);
		memcpy(cw->aad[i] + RTCP_HDR_LEN, p->msg + p->out_len + GCM_TAG_LEN, 4);
		aad = cw->aad[i];
		aad_len = RTCP_HDR_LEN + 4;
	} else if (p->rtcp) {
		/* E = 0: everything is AAD (header, clear payload, E|index).
		 * Phase 1 moved E|index over the saved tag so it is contiguous. */
		aad_len = p->out_len + 4u;
	}
	crypto_fill_gcm_job(crypto_gcm_next(cw), k, s->key_len, 0, p->msg + p->enc_off, p->enc_len,
			    cw->iv[i], aad, aad_len, cw->tag[i]);
}

/* Phase 1 for one packet. @return 0 to go on, or a drop reason. */
static enum drop_reason
unprotect_prepare(struct worker *w, struct burst *b, unsigned int i, struct pkt *p)
{
	struct srtp_dir *d = b->unprotect[i];
	const struct srtp_keys *keys = dir_keys(d);
	const struct suite_info *s;
	unsigned int len = b->msg_len[i], mki_len, tag_len, mki_off, h;
	uint64_t top;
	const uint64_t *window;
	enum replay_result rr;
	int64_t delta;

	p->msg = rte_pktmbuf_mtod_offset(b->pkts[i], uint8_t *, b->msg_off[i]);
	p->rtcp = b->kind[i] == MSG_RTCP;
	p->half = p->rtcp ? &d->rtcp : &d->rtp;
	p->retried = 0;
	if (unlikely(keys == NULL))
		return DROP_SRTP_NO_KEY;
	if (unlikely(!msg_fits(b, i)))
		return DROP_SRTP_TOO_SHORT;
	if (unlikely(!msg_writable(b->pkts[i])))
		return DROP_MBUF_NOT_WRITABLE;
	half_key(p->half, keys);
	s = &suites[keys->suite];
	mki_len = keys->mki_len;
	tag_len = p->rtcp ? s->rtcp_tag_len : s->rtp_tag_len;
	p->tag_len = (uint8_t)tag_len;
	p->aead = s->aead;

	if (!p->rtcp) {
		if (unlikely(len < RTP_HDR_LEN + tag_len + mki_len))
			return DROP_SRTP_TOO_SHORT;
		if (unlikely(rtp_version(p->msg) != 2))
			return DROP_RTP_VERSION;
		h = rtp_header_len(p->msg, len - tag_len - mki_len);
		if (unlikely(h == 0))
			return DROP_RTP_HEADER_LEN;
		/* HMAC: ... payload | MKI | tag. GCM: ... payload | tag | MKI. */
		mki_off = len - mki_len - (s->aead ? 0 : tag_len);
		p->tag_off = (uint16_t)(s->aead ? len - mki_len - tag_len : len - tag_len);
		p->ssrc = rtp_ssrc(p->msg);
		p->enc_off = (uint16_t)h;
		p->enc_len = (uint16_t)(len - tag_len - mki_len - h);
		p->out_len = (uint16_t)(len - tag_len - mki_len);
		p->encrypted = s->encrypts;
	} else {
		uint32_t eidx;
		unsigned int idx_off;

		if (unlikely(len < RTCP_HDR_LEN + 4 + tag_len + mki_len))
			return DROP_SRTP_TOO_SHORT;
		if (unlikely(rtp_version(p->msg) != 2))
			return DROP_RTP_VERSION;
		/* HMAC: hdr | payload | E|index | MKI | tag.
		 * GCM:  hdr | payload | tag | E|index | MKI. */
		if (s->aead) {
			idx_off = len - mki_len - 4;
			mki_off = len - mki_len;
			p->tag_off = (uint16_t)(idx_off - tag_len);
		} else {
			idx_off = len - tag_len - mki_len - 4;
			mki_off = len - tag_len - mki_len;
			p->tag_off = (uint16_t)(len - tag_len);
		}
		eidx = rd32(p->msg + idx_off);
		p->ssrc = rtcp_ssrc(p->msg);
		p->index = eidx & SRTCP_INDEX_MAX;
		/* NULL_HMAC_SHA1_80 never decrypts, whatever E says (libsrtp's
		 * null cipher leaves the payload as it is). */
		p->encrypted = s->encrypts && (eidx & SRTCP_E_BIT) != 0;
		p->enc_off = RTCP_HDR_LEN;
		p->out_len = (uint16_t)(s->aead ? p->tag_off : idx_off);
		p->enc_len = (uint16_t)(p->out_len - RTCP_HDR_LEN);
		if (s->aead && !p->encrypted)
			p->enc_len = 0;
	}

	if (mki_len) {
		keys = mki_select(d, keys, p->msg + mki_off);
		if (unlikely(keys == NULL))
			return DROP_SRTP_MKI;
	}
	p->keys = keys;

	p->st = stream_peek(p->half, p->ssrc, &top, &window);
	if (!p->rtcp)
		delta = srtp_index_estimate(top, rtp_seq(p->msg), &p->index);
	else
		delta = (int64_t)p->index - (int64_t)top;
	rr = replay_check(window, delta);
	if (unlikely(rr != REPLAY_OK))
		return replay_reason(rr);

	if (!s->aead) {
		crypto_tag_copy(w->crypto.rx_tag[i], p->msg + p->tag_off, tag_len);
	} else if (p->rtcp && !p->encrypted) {
		crypto_tag_copy(w->crypto.rx_tag[i], p->msg + p->tag_off, tag_len);
		memmove(p->msg + p->out_len, p->msg + p->out_len + tag_len, 4);
	}
	unprotect_queue(&w->crypto, i, p);
	return DROP_NONE;
}

static inline bool
unprotect_verified(const struct crypto_worker *cw, unsigned int i, const struct pkt *p)
{
	const uint8_t *rx;

	if (p->aead && !(p->rtcp && !p->encrypted))
		rx = p->msg + p->tag_off;
	else
		rx = cw->rx_tag[i];
	return crypto_tag_equal(cw->tag[i], rx, p->tag_len);
}

/* Phase 3 for a verified packet: commit index and replay state (taking a
 * slot for a new SSRC), queue decryption. @return 0 or a drop reason. */
static __rte_always_inline enum drop_reason
unprotect_commit(struct worker *w, unsigned int i, struct pkt *p)
{
	struct srtp_half *h = p->half;
	struct srtp_stream *st = p->st;
	enum replay_result rr;
	int64_t delta;

	/* An earlier packet of this burst may have taken a slot for this SSRC,
	 * or evicted the one phase 1 found. */
	if (unlikely(st == NULL || st->ssrc != p->ssrc || st->last_used == 0)) {
		st = stream_find(h, p->ssrc);
		if (st == NULL)
			st = stream_claim(w, h, p->ssrc);
		if (unlikely(st == NULL))
			return DROP_SRTP_SSRC_FULL;
	}
	/* Recheck: an earlier packet of this burst may carry the same index. */
	delta = (int64_t)p->index - (int64_t)st->top;
	rr = replay_check(st->window, delta);
	if (unlikely(rr != REPLAY_OK))
		return replay_reason(rr);
	replay_commit(&st->top, st->window, delta);
	stream_touch(w, st);
	h->cnt.packets++;
	h->cnt.bytes += p->out_len;

	if (!p->aead && p->encrypted && p->enc_len > 0) {
		build_iv(w->crypto.iv[i], p);
		crypto_ctr_add(&w->crypto, pkt_key(p), suites[p->keys->suite].key_len,
			       p->msg + p->enc_off, p->enc_len, w->crypto.iv[i]);
	}
	return DROP_NONE;
}

/* A packet whose tag failed gets one more try, in two cases:
 *  - its SRTP index, estimated in phase 1 from the state before the burst,
 *    changes once the burst's earlier packets have committed (a new SSRC
 *    whose first burst crosses SEQ 65535 -> 0: processed one by one, the
 *    packets after the wrap get ROC 1). Only verified packets commit, so a
 *    forged packet never moves another packet's estimate.
 *  - a re-key overlap without MKI: try the previous key.
 * GCM has already decrypted in place with the wrong key or IV: running the
 * same key and IV's CTR again restores the ciphertext (tag ignored).
 * @return true if the packet was requeued. */
static bool
unprotect_retry_prepare(struct worker *w, struct burst *b, unsigned int i, struct pkt *p)
{
	const struct srtp_keys *prev =
		__atomic_load_n(&b->unprotect[i]->prev_keys, __ATOMIC_ACQUIRE);
	uint64_t index = p->index, top;
	const uint64_t *window;
	bool moved = false;

	if (p->retried)
		return false;
	if (!p->rtcp) {
		int64_t delta;

		stream_peek(p->half, p->ssrc, &top, &window);
		delta = srtp_index_estimate(top, rtp_seq(p->msg), &index);
		moved = index != p->index && replay_check(window, delta) == REPLAY_OK;
	}
	/* The previous key is tried only when neither key has an MKI: with
	 * one, the packet names its key, and its layout depends on it. */
	if (!moved && (prev == NULL || prev == p->keys || prev->suite != p->keys->suite ||
		       p->keys->mki_len != 0 || prev->mki_len != 0))
		return false;
	if (p->aead && p->enc_len > 0) {
		/* The tag is discarded; rx_tag is otherwise unused for GCM. */
		crypto_fill_gcm_job(crypto_gcm_next(&w->crypto), pkt_key(p),
				    suites[p->keys->suite].key_len, 1, p->msg + p->enc_off,
				    p->enc_len, w->crypto.iv[i], p->msg, 0, w->crypto.rx_tag[i]);
	}
	if (moved)
		p->index = index;
	else
		p->keys = prev;
	p->retried = 1;
	return true;
}

uint16_t
srtp_unprotect_burst(struct worker *w, struct burst *b)
{
	struct crypto_worker *cw = &w->crypto;
	struct pkt pk[BURST_MAX];
	uint16_t live[BURST_MAX], retry[BURST_MAX];
	unsigned int n_live = 0, n_retry = 0, done = 0;

	RTE_VERIFY(b->n <= BURST_MAX); /* a caller bug, never traffic */
	crypto_burst_reset(cw);
	for (unsigned int i = 0; i < b->n; i++) {
		enum drop_reason r;

		if (b->unprotect[i] == NULL || b->verdict[i] != V_FWD || b->kind[i] > MSG_RTCP)
			continue;
		r = unprotect_prepare(w, b, i, &pk[i]);
		if (unlikely(r != DROP_NONE))
			drop(b, i, pk[i].half, r);
		else
			live[n_live++] = (uint16_t)i;
	}
	crypto_hmac_run(cw, 0);
	crypto_gcm_run(cw);

	for (unsigned int k = 0; k < n_live; k++) {
		unsigned int i = live[k];

		if (unlikely(!unprotect_verified(cw, i, &pk[i]))) {
			retry[n_retry++] = (uint16_t)i;
			continue;
		}
		enum drop_reason r = unprotect_commit(w, i, &pk[i]);
		if (unlikely(r != DROP_NONE)) {
			drop(b, i, pk[i].half, r);
			continue;
		}
		/* CTR decryption (queued by commit) does not read the length. */
		set_msg_len(b, i, pk[i].out_len);
		done++;
	}

	if (unlikely(n_retry > 0)) {
		unsigned int h0 = cw->n_hmac, kept = 0;

		for (unsigned int k = 0; k < n_retry; k++) {
			unsigned int i = retry[k];

			if (unprotect_retry_prepare(w, b, i, &pk[i]))
				retry[kept++] = (uint16_t)i;
			else
				drop(b, i, pk[i].half, DROP_SRTP_AUTH);
		}
		crypto_gcm_run(cw); /* restore GCM ciphertexts */
		for (unsigned int k = 0; k < kept; k++)
			unprotect_queue(cw, retry[k], &pk[retry[k]]);
		crypto_hmac_run(cw, h0);
		crypto_gcm_run(cw);
		for (unsigned int k = 0; k < kept; k++) {
			unsigned int i = retry[k];
			enum drop_reason r = DROP_SRTP_AUTH;

			if (unprotect_verified(cw, i, &pk[i]))
				r = unprotect_commit(w, i, &pk[i]);
			if (r != DROP_NONE) {
				drop(b, i, pk[i].half, r);
				continue;
			}
			set_msg_len(b, i, pk[i].out_len);
			done++;
		}
	}

	crypto_ctr_run(cw);
	w->stats.srtp_unprotected += done;
	return (uint16_t)done;
}

/* ==== protect ==== */

/* Phase 1 for one packet. @return 0 or a drop reason. */
static enum drop_reason
protect_prepare(struct worker *w, struct burst *b, unsigned int i, struct pkt *p)
{
	struct srtp_dir *d = b->protect[i];
	const struct srtp_keys *keys = dir_keys(d);
	const struct suite_info *s;
	unsigned int len = b->msg_len[i], grow, h;
	struct srtp_half *half;

	p->msg = rte_pktmbuf_mtod_offset(b->pkts[i], uint8_t *, b->msg_off[i]);
	p->rtcp = b->kind[i] == MSG_RTCP;
	p->half = half = p->rtcp ? &d->rtcp : &d->rtp;
	if (unlikely(keys == NULL))
		return DROP_SRTP_NO_KEY;
	if (unlikely(!msg_fits(b, i)))
		return DROP_SRTP_TOO_SHORT;
	if (unlikely(!msg_writable(b->pkts[i])))
		return DROP_MBUF_NOT_WRITABLE;
	s = &suites[keys->suite];
	p->keys = keys;
	p->tag_len = p->rtcp ? s->rtcp_tag_len : s->rtp_tag_len;
	p->encrypted = s->encrypts;
	p->aead = s->aead;

	if (!p->rtcp) {
		if (unlikely(len < RTP_HDR_LEN))
			return DROP_SRTP_TOO_SHORT;
		if (unlikely(rtp_version(p->msg) != 2))
			return DROP_RTP_VERSION;
		h = rtp_header_len(p->msg, len);
		if (unlikely(h == 0))
			return DROP_RTP_HEADER_LEN;
		grow = p->tag_len + keys->mki_len;
		if (!s->aead && grow < 4)
			grow = 4; /* the ROC is hashed from the tag's place */
		p->ssrc = rtp_ssrc(p->msg);
		p->enc_off = (uint16_t)h;
		p->enc_len = (uint16_t)(len - h);
	} else {
		if (unlikely(len < RTCP_HDR_LEN))
			return DROP_SRTP_TOO_SHORT;
		if (unlikely(rtp_version(p->msg) != 2))
			return DROP_RTP_VERSION;
		grow = 4 + p->tag_len + keys->mki_len;
		p->ssrc = rtcp_ssrc(p->msg);
		p->enc_off = RTCP_HDR_LEN;
		p->enc_len = (uint16_t)(len - RTCP_HDR_LEN);
	}
	if (unlikely(msg_room(b, i) < grow || len + grow > UINT16_MAX))
		return DROP_NO_TAILROOM;

	/* Key lifetime, counted per key object (RFC 3711 §9.2). */
	half_key(half, keys);
	if (unlikely(half->uses >= (p->rtcp ? SRTCP_KEY_LIFETIME : SRTP_KEY_LIFETIME)))
		return DROP_SRTP_KEY_EXHAUSTED;

	if (!p->rtcp) {
		struct srtp_stream *st = stream_find(half, p->ssrc);
		int64_t delta;

		if (st == NULL)
			st = stream_claim(w, half, p->ssrc);
		if (unlikely(st == NULL))
			return DROP_SRTP_SSRC_FULL;
		delta = srtp_index_estimate(st->top, rtp_seq(p->msg), &p->index);
		if (unlikely(replay_check(st->window, delta) != REPLAY_OK))
			return DROP_SRTP_INDEX_REUSE;
		replay_commit(&st->top, st->window, delta);
		stream_touch(w, st);
	} else {
		/* One SRTCP index sequence per direction, whatever the SSRC:
		 * unique under the key even when streams come and go, so no
		 * keystream is ever reused. It counts from 1, as libsrtp (and
		 * so most endpoints) does; receivers accept any start. */
		if (unlikely(half->rtcp_index >= SRTCP_INDEX_MAX))
			return DROP_SRTP_KEY_EXHAUSTED;
		p->index = ++half->rtcp_index;
	}
	half->uses++;
	half->cnt.packets++;
	half->cnt.bytes += len;

	if (p->rtcp) {
		/* E|index follows the payload (HMAC) or the GCM tag. */
		unsigned int at = len + (s->aead ? GCM_TAG_LEN : 0);

		wr32(p->msg + at, (uint32_t)p->index | (s->encrypts ? SRTCP_E_BIT : 0));
	}

	if (s->aead) {
		const uint8_t *aad = p->msg;
		uint32_t aad_len = p->enc_off;

		build_iv(w->crypto.iv[i], p);
		if (p->rtcp) {
			memcpy(w->crypto.aad[i], p->msg, RTCP_HDR_LEN);
			memcpy(w->crypto.aad[i] + RTCP_HDR_LEN, p->msg + len + GCM_TAG_LEN, 4);
			aad = w->crypto.aad[i];
			aad_len = RTCP_HDR_LEN + 4;
			p->out_len = (uint16_t)(len + GCM_TAG_LEN + 4 + keys->mki_len);
		} else {
			p->out_len = (uint16_t)(len + GCM_TAG_LEN + keys->mki_len);
		}
		crypto_fill_gcm_job(crypto_gcm_next(&w->crypto), pkt_key(p), s->key_len, 1,
				    p->msg + p->enc_off, p->enc_len, w->crypto.iv[i], aad, aad_len,
				    p->msg + len);
		return DROP_NONE;
	}

	if (s->encrypts && p->enc_len > 0) {
		build_iv(w->crypto.iv[i], p);
		crypto_ctr_add(&w->crypto, pkt_key(p), s->key_len, p->msg + p->enc_off, p->enc_len,
			       w->crypto.iv[i]);
	}
	if (!p->rtcp) {
		wr32(p->msg + len, (uint32_t)(p->index >> 16)); /* ROC, hashed, not sent */
		crypto_hmac_add(&w->crypto, pkt_key(p), p->msg, len + 4, w->crypto.tag[i]);
		p->tag_off = (uint16_t)(len + keys->mki_len);
		p->out_len = (uint16_t)(len + keys->mki_len + p->tag_len);
	} else {
		crypto_hmac_add(&w->crypto, pkt_key(p), p->msg, len + 4, w->crypto.tag[i]);
		p->tag_off = (uint16_t)(len + 4 + keys->mki_len);
		p->out_len = (uint16_t)(len + 4 + keys->mki_len + p->tag_len);
	}
	return DROP_NONE;
}

uint16_t
srtp_protect_burst(struct worker *w, struct burst *b)
{
	struct crypto_worker *cw = &w->crypto;
	struct pkt pk[BURST_MAX];
	unsigned int done = 0;

	RTE_VERIFY(b->n <= BURST_MAX); /* a caller bug, never traffic */
	crypto_burst_reset(cw);
	for (unsigned int i = 0; i < b->n; i++) {
		enum drop_reason r;

		if (b->protect[i] == NULL || b->verdict[i] != V_FWD || b->kind[i] > MSG_RTCP)
			continue;
		r = protect_prepare(w, b, i, &pk[i]);
		if (unlikely(r != DROP_NONE))
			drop(b, i, pk[i].half, r);
	}
	/* Encrypt first: SRTP authenticates the ciphertext. */
	crypto_ctr_run(cw);
	crypto_hmac_run(cw, 0);
	crypto_gcm_run(cw);

	for (unsigned int i = 0; i < b->n; i++) {
		struct pkt *p = &pk[i];
		const struct srtp_keys *k;

		if (b->protect[i] == NULL || b->verdict[i] != V_FWD || b->kind[i] > MSG_RTCP)
			continue;
		k = p->keys;
		if (p->aead) {
			if (k->mki_len)
				memcpy(p->msg + p->out_len - k->mki_len, k->mki, k->mki_len);
		} else {
			if (k->mki_len)
				memcpy(p->msg + p->tag_off - k->mki_len, k->mki, k->mki_len);
			crypto_tag_copy(p->msg + p->tag_off, cw->tag[i], p->tag_len);
		}
		set_msg_len(b, i, p->out_len);
		done++;
	}
	w->stats.srtp_protected += done;
	return (uint16_t)done;
}

/* ==== control-side helpers ==== */

void
srtp_dir_init(struct srtp_dir *d)
{
	memset(d, 0, sizeof(*d));
}

unsigned int
srtp_dir_set_keys(struct srtp_dir *d, const struct srtp_keys *keys, bool keep_previous,
		  const struct srtp_keys *retire[2])
{
	const struct srtp_keys *old = d->keys, *old_prev = d->prev_keys;
	unsigned int n = 0;

	if (keep_previous && old != NULL && old != keys) {
		__atomic_store_n(&d->prev_keys, old, __ATOMIC_RELEASE);
		__atomic_store_n(&d->keys, keys, __ATOMIC_RELEASE);
		/* A re-key rolled back during its overlap reinstalls the
		 * previous key: it is live again, not retired. */
		if (old_prev != NULL && old_prev != keys)
			retire[n++] = old_prev;
		return n;
	}
	__atomic_store_n(&d->keys, keys, __ATOMIC_RELEASE);
	__atomic_store_n(&d->prev_keys, NULL, __ATOMIC_RELEASE);
	if (old != NULL && old != keys)
		retire[n++] = old;
	if (old_prev != NULL && old_prev != old && old_prev != keys)
		retire[n++] = old_prev;
	return n;
}

const struct srtp_keys *
srtp_dir_end_overlap(struct srtp_dir *d)
{
	const struct srtp_keys *prev = d->prev_keys;

	__atomic_store_n(&d->prev_keys, NULL, __ATOMIC_RELEASE);
	return prev;
}
