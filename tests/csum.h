/* csum.h: an Internet checksum (RFC 1071) written byte by byte for the
 * tests, independent of DPDK's and of dataplane/parse.c's, so the tests that
 * build frames check parse rather than agree with it.
 */
#ifndef SRTPFWD_TEST_CSUM_H
#define SRTPFWD_TEST_CSUM_H

#include <stddef.h>
#include <stdint.h>

static inline void
put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Add big-endian 16-bit words to a running sum; an odd last byte is the
 * high half of a word whose low half is zero. */
static inline uint32_t
ocsum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static inline uint16_t
ocsum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

#endif
