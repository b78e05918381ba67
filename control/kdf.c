/* kdf.c: RFC 3711 §4.3 key derivation (see kdf.h). */
#include <string.h>

#include "kdf.h"

void
kdf_prf(IMB_MGR *mgr, const uint8_t *master_key, unsigned int key_len, const uint8_t *master_salt,
	unsigned int salt_len, enum kdf_label label, uint8_t *out, unsigned int len)
{
	uint8_t iv[16] = {0};

	/* key_id = label || r with r = index DIV kdr = 0 (KDR 0): the label
	 * lands on byte 7 of the 112-bit salt, then x * 2^16. */
	memcpy(iv, master_salt, salt_len);
	iv[7] ^= (uint8_t)label;
	crypto_aes_cm_keystream(mgr, master_key, key_len, iv, out, len);
	explicit_bzero(iv, sizeof(iv)); /* the master salt, XORed with a label */
}

void
kdf_derive(IMB_MGR *mgr, enum suite suite, const uint8_t *master_key, const uint8_t *master_salt,
	   struct session_keys *out)
{
	const struct suite_info *s = &suites[suite];

	memset(out, 0, sizeof(*out));
	kdf_prf(mgr, master_key, s->key_len, master_salt, s->salt_len, KDF_RTP_ENC, out->rtp_key,
		s->key_len);
	kdf_prf(mgr, master_key, s->key_len, master_salt, s->salt_len, KDF_RTP_SALT, out->rtp_salt,
		s->salt_len);
	kdf_prf(mgr, master_key, s->key_len, master_salt, s->salt_len, KDF_RTCP_ENC, out->rtcp_key,
		s->key_len);
	kdf_prf(mgr, master_key, s->key_len, master_salt, s->salt_len, KDF_RTCP_SALT,
		out->rtcp_salt, s->salt_len);
	if (!s->aead) {
		kdf_prf(mgr, master_key, s->key_len, master_salt, s->salt_len, KDF_RTP_AUTH,
			out->rtp_auth, SRTP_AUTH_KEY_LEN);
		kdf_prf(mgr, master_key, s->key_len, master_salt, s->salt_len, KDF_RTCP_AUTH,
			out->rtcp_auth, SRTP_AUTH_KEY_LEN);
	}
}
