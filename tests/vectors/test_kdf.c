/* test_kdf.c: RFC 3711 Appendix B.3 key derivation, known answers.
 *
 * The vectors are read at run time from shared/vectors/rfc3711-kdf.txt (a
 * copy of the RFC's numbers kept outside the repository), so this file holds
 * no expected bytes of its own that could drift into agreement with kdf.c.
 * A missing file is a failure, never a skip: a KAT that silently does not
 * run is worse than none.
 */
#include "vectors.h"

#include "control/kdf.h"

/* ---- fixtures ---- */

static struct vec_file kdf_file;
static int kdf_loaded; /* 0: not tried, 1: ok, -1: failed */

/* The file's fields; NULL (and the test fails) if it is missing or short. */
static const struct vec_file *
kdf_vectors(void)
{
	static const char *const need[] = {"master_key", "master_salt", "cipher_key", "cipher_salt",
					   "auth_key"};

	if (kdf_loaded == 0) {
		kdf_loaded = vectors_load("rfc3711-kdf.txt", &kdf_file) == 0 ? 1 : -1;
		for (unsigned int k = 0; kdf_loaded == 1 && k < sizeof(need) / sizeof(need[0]); k++)
			if (vec_get(&kdf_file, need[k]) == NULL)
				kdf_loaded = -1;
	}
	return kdf_loaded == 1 ? &kdf_file : NULL;
}

/* ---- tests ---- */

/* First, so a missing file is the first thing the log says. */
TEST(vector_file_found)
{
	const struct vec_file *v = kdf_vectors();

	REQUIRE(v != NULL);
	printf("vectors: %s\n", v->path);
	/* RFC 3711 B.3 is AES-128 with a 112-bit salt; anything else means
	 * the file is not the one this test was written for. */
	CHECK_EQ(vec_get(v, "master_key")->len, 16);
	CHECK_EQ(vec_get(v, "master_salt")->len, 14);
	CHECK_EQ(vec_get(v, "cipher_key")->len, 16);
	CHECK_EQ(vec_get(v, "cipher_salt")->len, 14);
	CHECK_EQ(vec_get(v, "auth_key")->len, 94);
}

/* kdf_prf for each label the appendix gives, at the appendix's lengths:
 * the auth key in full (94 bytes), which also exercises a keystream that
 * ends mid-block after several whole blocks. */
TEST(rfc3711_b3_prf)
{
	const struct vec_file *v = kdf_vectors();
	const struct vec_field *mk, *ms, *ck, *cs, *ak;
	uint8_t out[VEC_MAX];

	REQUIRE(v != NULL);
	mk = vec_get(v, "master_key");
	ms = vec_get(v, "master_salt");
	ck = vec_get(v, "cipher_key");
	cs = vec_get(v, "cipher_salt");
	ak = vec_get(v, "auth_key");

	memset(out, 0xa5, sizeof(out));
	kdf_prf(kat_mgr(), mk->val, (unsigned)mk->len, ms->val, (unsigned)ms->len, KDF_RTP_ENC, out,
		(unsigned)ck->len);
	CHECK_BYTES("cipher_key (label 0x00)", out, ck->val, ck->len);

	memset(out, 0xa5, sizeof(out));
	kdf_prf(kat_mgr(), mk->val, (unsigned)mk->len, ms->val, (unsigned)ms->len, KDF_RTP_SALT,
		out, (unsigned)cs->len);
	CHECK_BYTES("cipher_salt (label 0x02)", out, cs->val, cs->len);
	/* Nothing written past the requested length (a 14-byte salt lives
	 * next to other keys in struct session_keys). */
	CHECK_EQ(out[cs->len], 0xa5);

	memset(out, 0xa5, sizeof(out));
	kdf_prf(kat_mgr(), mk->val, (unsigned)mk->len, ms->val, (unsigned)ms->len, KDF_RTP_AUTH,
		out, (unsigned)ak->len);
	CHECK_BYTES("auth_key (label 0x01, 94 bytes)", out, ak->val, ak->len);
	CHECK_EQ(out[ak->len], 0xa5);

	/* A shorter request is a prefix of the longer one: the KDF is a
	 * keystream, and HMAC-SHA1 takes only its first 20 bytes. */
	memset(out, 0, sizeof(out));
	kdf_prf(kat_mgr(), mk->val, (unsigned)mk->len, ms->val, (unsigned)ms->len, KDF_RTP_AUTH,
		out, SRTP_AUTH_KEY_LEN);
	CHECK_BYTES("auth_key, first 20 bytes", out, ak->val, SRTP_AUTH_KEY_LEN);
}

/* kdf_derive, as keys_create calls it, for every suite that uses RFC 3711's
 * AES-128 KDF with a 112-bit salt: they must all give the appendix's SRTP
 * keys (the tag length or NULL cipher changes nothing in derivation). */
TEST(rfc3711_b3_derive)
{
	static const enum suite s128[] = {SUITE_AES_CM_128_HMAC_SHA1_80,
					  SUITE_AES_CM_128_HMAC_SHA1_32, SUITE_NULL_HMAC_SHA1_80};
	const struct vec_file *v = kdf_vectors();
	const struct vec_field *mk, *ms, *ck, *cs, *ak;

	REQUIRE(v != NULL);
	mk = vec_get(v, "master_key");
	ms = vec_get(v, "master_salt");
	ck = vec_get(v, "cipher_key");
	cs = vec_get(v, "cipher_salt");
	ak = vec_get(v, "auth_key");

	for (unsigned int k = 0; k < sizeof(s128) / sizeof(s128[0]); k++) {
		struct session_keys out;
		uint8_t rtcp_key[16], rtcp_salt[14], rtcp_auth[SRTP_AUTH_KEY_LEN];

		REQUIRE(suites[s128[k]].key_len == mk->len && suites[s128[k]].salt_len == ms->len);
		memset(&out, 0xa5, sizeof(out));
		kdf_derive(kat_mgr(), s128[k], mk->val, ms->val, &out);
		printf("  %s\n", suites[s128[k]].name);
		CHECK_BYTES("rtp_key", out.rtp_key, ck->val, ck->len);
		CHECK_BYTES("rtp_salt", out.rtp_salt, cs->val, cs->len);
		CHECK_BYTES("rtp_auth (first 20 of the 94)", out.rtp_auth, ak->val,
			    SRTP_AUTH_KEY_LEN);

		/* B.3 gives no SRTCP keys; they must at least come from
		 * labels 3..5 (RFC 3711 §4.3.2), not reuse the SRTP ones. */
		kdf_prf(kat_mgr(), mk->val, 16, ms->val, 14, KDF_RTCP_ENC, rtcp_key, 16);
		kdf_prf(kat_mgr(), mk->val, 16, ms->val, 14, KDF_RTCP_SALT, rtcp_salt, 14);
		kdf_prf(kat_mgr(), mk->val, 16, ms->val, 14, KDF_RTCP_AUTH, rtcp_auth,
			SRTP_AUTH_KEY_LEN);
		CHECK_BYTES("rtcp_key (label 0x03)", out.rtcp_key, rtcp_key, 16);
		CHECK_BYTES("rtcp_salt (label 0x05)", out.rtcp_salt, rtcp_salt, 14);
		CHECK_BYTES("rtcp_auth (label 0x04)", out.rtcp_auth, rtcp_auth, SRTP_AUTH_KEY_LEN);
		CHECK(memcmp(out.rtcp_key, out.rtp_key, 16) != 0);
		explicit_bzero(&out, sizeof(out));
	}
}

KAT_TEST_MAIN()
