/* keys.c: master key -> expanded key object, and its destruction (keys.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdf.h"
#include "keys.h"

struct srtp_keys *
keys_create(IMB_MGR *mgr, enum suite suite, const uint8_t *key, size_t key_len, const uint8_t *salt,
	    size_t salt_len, const uint8_t *mki, size_t mki_len, char *err, size_t err_len)
{
	struct session_keys raw;
	struct srtp_keys *k;
	const struct suite_info *s;

	if ((unsigned)suite >= SUITE_MAX) {
		snprintf(err, err_len, "unknown suite %d", (int)suite);
		return NULL;
	}
	s = &suites[suite];
	if (key_len != s->key_len || salt_len != s->salt_len) {
		snprintf(err, err_len,
			 "suite %s needs a %u-byte key and a %u-byte salt, got %zu+%zu", s->name,
			 s->key_len, s->salt_len, key_len, salt_len);
		return NULL;
	}
	if (mki_len > SRTP_MKI_MAX) {
		snprintf(err, err_len, "MKI of %zu bytes is longer than the %d supported", mki_len,
			 SRTP_MKI_MAX);
		return NULL;
	}
	if (posix_memalign((void **)&k, 64, sizeof(*k)) != 0) {
		snprintf(err, err_len, "out of memory for a key (%zu bytes)", sizeof(*k));
		return NULL;
	}
	kdf_derive(mgr, suite, key, salt, &raw);
	crypto_keys_expand(mgr, suite, &raw, mki, (unsigned)mki_len, k);
	explicit_bzero(&raw, sizeof(raw));
	return k;
}

void
keys_destroy(const struct srtp_keys *k)
{
	if (k == NULL)
		return;
	explicit_bzero((void *)(uintptr_t)k, sizeof(*k));
	free((void *)(uintptr_t)k);
}
