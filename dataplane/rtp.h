/* rtp.h: RTP (RFC 3550) and RTCP header layout, and the length rules every
 * stage that reads an RTP header agrees on. Pure, DPDK-free, inline.
 */
#ifndef SRTPFWD_RTP_H
#define SRTPFWD_RTP_H

#include <stdint.h>
#include <string.h>

#define RTP_HDR_LEN 12
#define RTCP_HDR_LEN 8 /* V/P/RC, PT, length, sender SSRC: what SRTCP leaves in clear */

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return __builtin_bswap32(v);
}

static inline void
wr32(uint8_t *p, uint32_t v)
{
	v = __builtin_bswap32(v);
	memcpy(p, &v, 4);
}

static inline unsigned int
rtp_version(const uint8_t *p)
{
	return p[0] >> 6;
}

static inline uint16_t
rtp_seq(const uint8_t *p)
{
	return rd16(p + 2);
}

static inline uint32_t
rtp_ssrc(const uint8_t *p)
{
	return rd32(p + 8);
}

static inline uint32_t
rtcp_ssrc(const uint8_t *p)
{
	return rd32(p + 4);
}

/**
 * Length of the RTP header including CSRCs and the header extension: where
 * the payload (SRTP's encrypted portion) starts.
 * @param len bytes available from p (the caller has checked len >= 12).
 * @return the header length, or 0 if the CSRC list or extension runs past len.
 */
static inline unsigned int
rtp_header_len(const uint8_t *p, unsigned int len)
{
	unsigned int h = RTP_HDR_LEN + 4u * (p[0] & 0x0f);

	if (p[0] & 0x10) { /* X: 4-byte extension header, then length words */
		if (h + 4 > len)
			return 0;
		h += 4 + 4u * rd16(p + h + 2);
	}
	return h <= len ? h : 0;
}

#endif
