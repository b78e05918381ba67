/* pkt.h: test mbufs in plain memory and RTP/RTCP packet builders.
 *
 * An rte_mbuf needs no EAL to be read and written by the dataplane's inline
 * helpers (mtod, data_len, tailroom), as grout's unit tests do: the struct
 * and its data live side by side here. No mempool, never freed to one.
 */
#ifndef SRTPFWD_TEST_PKT_H
#define SRTPFWD_TEST_PKT_H

#include <stdint.h>
#include <string.h>

#include <rte_mbuf.h>

#include "dataplane/burst.h"

#define TEST_BUF_LEN 2048
#define TEST_HEADROOM 128

struct test_mbuf {
	struct rte_mbuf m;
	uint8_t buf[TEST_BUF_LEN] __attribute__((aligned(64)));
};

/* Put @p len bytes into a fresh test mbuf, message at offset 0 of the data. */
static inline struct rte_mbuf *
test_mbuf_set(struct test_mbuf *t, const uint8_t *data, unsigned int len)
{
	memset(&t->m, 0, sizeof(t->m));
	t->m.buf_addr = t->buf;
	t->m.buf_len = TEST_BUF_LEN;
	t->m.data_off = TEST_HEADROOM;
	t->m.data_len = (uint16_t)len;
	t->m.pkt_len = len;
	t->m.nb_segs = 1;
	rte_mbuf_refcnt_set(&t->m, 1);
	memcpy(t->buf + TEST_HEADROOM, data, len);
	return &t->m;
}

static inline uint8_t *
test_mbuf_data(struct test_mbuf *t)
{
	return t->buf + t->m.data_off;
}

/* A burst of one packet for @p dir in one role ('u'nprotect or 'p'rotect). */
static inline void
test_burst_one(struct burst *b, struct test_mbuf *t, unsigned int len, int rtcp,
	       struct srtp_dir *unprot, struct srtp_dir *prot)
{
	memset(b, 0, sizeof(*b));
	b->n = 1;
	b->pkts[0] = &t->m;
	b->msg_off[0] = 0;
	b->msg_len[0] = (uint16_t)len;
	b->kind[0] = rtcp ? MSG_RTCP : MSG_RTP;
	b->unprotect[0] = unprot;
	b->protect[0] = prot;
}

/* An RTP packet: V=2, the given CSRC count, optional extension of ext_words
 * 32-bit words, padding bytes (P bit, last byte = count) and a payload
 * pattern derived from seq. @return its length. */
static inline unsigned int
build_rtp(uint8_t *p, uint32_t ssrc, uint16_t seq, uint32_t ts, unsigned int payload_len,
	  unsigned int cc, int ext_words, unsigned int pad)
{
	unsigned int o = 12;

	p[0] = (uint8_t)(0x80 | (pad ? 0x20 : 0) | (ext_words >= 0 ? 0x10 : 0) | (cc & 15));
	p[1] = 111; /* Opus */
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[4] = (uint8_t)(ts >> 24);
	p[5] = (uint8_t)(ts >> 16);
	p[6] = (uint8_t)(ts >> 8);
	p[7] = (uint8_t)ts;
	p[8] = (uint8_t)(ssrc >> 24);
	p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8);
	p[11] = (uint8_t)ssrc;
	for (unsigned int c = 0; c < (cc & 15); c++, o += 4)
		memset(p + o, 0xc0 + (int)c, 4);
	if (ext_words >= 0) {
		p[o] = 0xbe;
		p[o + 1] = 0xde;
		p[o + 2] = (uint8_t)(ext_words >> 8);
		p[o + 3] = (uint8_t)ext_words;
		o += 4;
		memset(p + o, 0xe5, 4u * (unsigned)ext_words);
		o += 4u * (unsigned)ext_words;
	}
	for (unsigned int k = 0; k < payload_len; k++)
		p[o + k] = (uint8_t)(seq * 7 + k * 13 + 1);
	o += payload_len;
	if (pad) {
		memset(p + o, 0, pad - 1);
		p[o + pad - 1] = (uint8_t)pad;
		o += pad;
	}
	return o;
}

/* An RTCP compound head: a sender report with @p body_len bytes after the
 * sender SSRC (multiple of 4). @return its length. */
static inline unsigned int
build_rtcp(uint8_t *p, uint32_t ssrc, unsigned int body_len, uint32_t fill)
{
	unsigned int len = 8 + body_len;

	p[0] = 0x80;
	p[1] = 200; /* SR */
	p[2] = (uint8_t)((len / 4 - 1) >> 8);
	p[3] = (uint8_t)(len / 4 - 1);
	p[4] = (uint8_t)(ssrc >> 24);
	p[5] = (uint8_t)(ssrc >> 16);
	p[6] = (uint8_t)(ssrc >> 8);
	p[7] = (uint8_t)ssrc;
	for (unsigned int k = 0; k < body_len; k++)
		p[8 + k] = (uint8_t)(fill + k * 31);
	return len;
}

#endif
