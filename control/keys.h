/* keys.h: installed SRTP keys. Turns a master key and salt (as signalled in
 * SDES or by the controller) into an expanded struct srtp_keys that workers
 * read, and destroys it (zeroed) once RCU says no worker holds it.
 * Control thread only. Key bytes never reach an error message.
 */
#ifndef SRTPFWD_KEYS_H
#define SRTPFWD_KEYS_H

#include <stddef.h>

#include "dataplane/crypto.h"

/**
 * Validate, derive and expand a master key.
 * @param mgr an ipsec-mb manager owned by the calling thread.
 * @param err on failure, a message naming what is wrong (never key bytes).
 * @return a new key object (free with keys_destroy), or NULL with @p err set.
 */
struct srtp_keys *keys_create(IMB_MGR *mgr, enum suite suite, const uint8_t *key, size_t key_len,
			      const uint8_t *salt, size_t salt_len, const uint8_t *mki,
			      size_t mki_len, char *err, size_t err_len);

/** Zero and free a key object. NULL is ignored. Call only after RCU. */
void keys_destroy(const struct srtp_keys *k);

#endif
