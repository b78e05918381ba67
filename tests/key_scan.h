/* key_scan.h: does a text carry a key? Searches output (logs, replies,
 * telemetry) for a master key or salt in every form a careless print
 * would give it: hex, lower or upper case, bare or separated by ' ' or
 * ':', base64 of the key, the salt or key||salt (SDES inline) at each
 * alignment, and the raw bytes (key_scan); and for pieces of one, as a
 * dump split over lines or a C array would leave them (key_scan_runs).
 * Test and demo code only.
 */
#ifndef SRTPFWD_KEY_SCAN_H
#define SRTPFWD_KEY_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline void
key_scan_hex(const uint8_t *b, size_t n, int upper, char sep, char *out)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t o = 0;

	for (size_t k = 0; k < n; k++) {
		if (k > 0 && sep != '\0')
			out[o++] = sep;
		out[o++] = digits[b[k] >> 4];
		out[o++] = digits[b[k] & 15];
	}
	out[o] = '\0';
}

/* The base64 of the whole 3-byte groups of @p b: in any base64 text that
 * holds @p b with its first byte at a group boundary, these characters
 * appear as they are. */
static inline void
key_scan_b64_groups(const uint8_t *b, size_t n, char *out)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t k = 0; k + 3 <= n; k += 3) {
		uint32_t v = (uint32_t)b[k] << 16 | (uint32_t)b[k + 1] << 8 | b[k + 2];

		out[o++] = t[v >> 18];
		out[o++] = t[(v >> 12) & 63];
		out[o++] = t[(v >> 6) & 63];
		out[o++] = t[v & 63];
	}
	out[o] = '\0';
}

/* How many forms of the key (@p key_len bytes) and salt @p text holds. */
static inline unsigned int
key_scan(const char *text, size_t len, const uint8_t *key, size_t key_len, const uint8_t *salt,
	 size_t salt_len)
{
	uint8_t ks[64];
	const struct {
		const uint8_t *b;
		size_t n;
	} parts[] = {{key, key_len}, {salt, salt_len}, {ks, key_len + salt_len}};
	char s[256];
	unsigned int found = 0;

	if (key_len + salt_len > sizeof(ks))
		return 0;
	memcpy(ks, key, key_len);
	memcpy(ks + key_len, salt, salt_len);
	for (unsigned int p = 0; p < 3; p++) {
		static const char seps[] = {'\0', ' ', ':'};

		for (unsigned int c = 0; c < 2 && p < 2; c++)
			for (unsigned int e = 0; e < 3; e++) {
				key_scan_hex(parts[p].b, parts[p].n, (int)c, seps[e], s);
				found += memmem(text, len, s, strlen(s)) != NULL;
			}
		for (unsigned int a = 0; a < 3; a++) {
			key_scan_b64_groups(parts[p].b + a, parts[p].n - a, s);
			found += memmem(text, len, s, strlen(s)) != NULL;
		}
		if (p < 2) /* raw (key||salt holds the key) */
			found += memmem(text, len, parts[p].b, parts[p].n) != NULL;
	}
	return found;
}

/* How many 8-byte runs of @p b (n >= 8), taken every 4 bytes and at its
 * end, @p text holds raw, or as hex digits with anything else between
 * them: any case, separators, "0x" or "\x" prefixes, a hexdump's line
 * breaks (a run within one line). Every piece of 11 bytes or more of @p b
 * holds such a run. @p scratch: room for @p len + 1 bytes. */
static inline unsigned int
key_scan_runs(const char *text, size_t len, const uint8_t *b, size_t n, char *scratch)
{
	size_t m = 0;
	unsigned int found = 0;

	/* the hex digits of the text, lower case, "0x" prefixes left out */
	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (c == '0' && i + 1 < len && (text[i + 1] == 'x' || text[i + 1] == 'X'))
			continue;
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))
			scratch[m++] = c;
	}
	scratch[m] = '\0';
	if (n < 8)
		return 0;
	for (size_t o = 0;; o += 4) {
		char h[17];

		if (o + 8 > n)
			o = n - 8; /* the last run ends where @p b does */
		key_scan_hex(b + o, 8, 0, '\0', h);
		found += memmem(scratch, m, h, 16) != NULL;
		found += memmem(text, len, b + o, 8) != NULL;
		if (o + 8 == n)
			break;
	}
	return found;
}

#endif
