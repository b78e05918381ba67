/* test_rfc_vectors.c: known answers transcribed from RFC 6188 (AES-256 for
 * SRTP) and RFC 7714 (AES-GCM for SRTP).
 *
 * Each vector is written as hex in the RFC's own grouping, so it can be
 * compared with the RFC text line by line, and cites its section. These
 * bytes are the RFCs'; if the engine disagrees, the engine is what to fix.
 *
 * RFC 7714 gives session keys and salts (no master key) for its packet
 * examples, so those tests build a struct srtp_keys straight from session
 * keys with crypto_keys_expand(), skipping the KDF, and run the packets
 * through the same burst protect/unprotect the forwarder uses.
 */
#include <ctype.h>

#include "../engine.h"
#include "vectors.h"

#include "control/kdf.h"

static struct worker *W;

/* ---- helpers ---- */

/* RFC-style hex ("8040f17b 8041f8d3", "00 01 02"): whitespace between
 * digits is ignored, anything else (or an odd count) is an error, so a typo
 * in a vector fails loudly instead of giving a shorter array. */
static int
unhex_rfc(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi = -1;

	for (; *s != '\0'; s++) {
		int v;

		if (isspace((unsigned char)*s))
			continue;
		if (!isxdigit((unsigned char)*s))
			return -1;
		v = isdigit((unsigned char)*s) ? *s - '0' : tolower((unsigned char)*s) - 'a' + 10;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == max)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? (int)n : -1;
}

/* Declare uint8_t name[] and name_len from an RFC hex string. */
#define VEC(name, hex)                                                                             \
	uint8_t name[256];                                                                         \
	int name##_len = unhex_rfc(hex, name, sizeof(name));                                       \
	REQUIRE(name##_len > 0)

/* An expanded key object from SESSION keys, as RFC 7714 §16/§17 give them;
 * the same key and salt for SRTP and SRTCP, as in the RFC's examples. */
static struct srtp_keys *
keys_from_session(enum suite s, const uint8_t *key, const uint8_t *salt)
{
	struct session_keys raw;
	struct srtp_keys *k;

	if (posix_memalign((void **)&k, 64, sizeof(*k)) != 0)
		abort();
	memset(&raw, 0, sizeof(raw));
	memcpy(raw.rtp_key, key, suites[s].key_len);
	memcpy(raw.rtp_salt, salt, suites[s].salt_len);
	memcpy(raw.rtcp_key, key, suites[s].key_len);
	memcpy(raw.rtcp_salt, salt, suites[s].salt_len);
	crypto_keys_expand(W->crypto.mgr, s, &raw, NULL, 0, k);
	explicit_bzero(&raw, sizeof(raw));
	return k;
}

/* Make the direction's next SRTCP index for @p ssrc be @p index: the sender
 * sends top + 1, so a stream that has "sent" index - 1. The RFC's SRTCP
 * examples use index 0x5d4, not the 1 a fresh sender starts with. */
static void
set_next_srtcp_index(struct srtp_dir *d, uint32_t ssrc, uint64_t index)
{
	(void)ssrc; /* one SRTCP index sequence per direction, any SSRC */
	d->rtcp.rtcp_index = (uint32_t)(index - 1);
}

/* One packet through protect or unprotect; @return 1 if it was accepted and
 * came out as @p want, else 0 with the reason or both byte strings logged. */
static int
run_one(const char *what, struct srtp_dir *d, int protect, int rtcp, const uint8_t *in, int in_len,
	const uint8_t *want, int want_len)
{
	uint8_t buf[TEST_BUF_LEN];
	unsigned int len = (unsigned int)in_len;
	int r;

	memcpy(buf, in, (size_t)in_len);
	r = engine_one(W, d, protect, rtcp, buf, &len);
	if (r != 0) {
		fprintf(stderr, "  %s: dropped: %s\n", what, drop_reason_name((enum drop_reason)r));
		return 0;
	}
	return same_bytes(what, buf, len, want, (size_t)want_len);
}

/* @return the drop reason for @p in through unprotect (0: accepted). */
static int
unprotect_reason(struct srtp_dir *d, int rtcp, const uint8_t *in, int in_len)
{
	uint8_t buf[TEST_BUF_LEN];
	unsigned int len = (unsigned int)in_len;

	memcpy(buf, in, (size_t)in_len);
	return engine_one(W, d, 0, rtcp, buf, &len);
}

static void
dir_free(struct srtp_dir *d)
{
	free(d);
}

/* ==== RFC 6188 ==== */

/* RFC 6188 §7.1 "AES-256-CM Test Cases": session key, and counter blocks
 * with their keystream ("Session Salt: f0f1...fd0000 (already shifted)",
 * ROC, SEQ and SSRC 0, as in RFC 3711 B.2). */
static const char rfc6188_71_key[] = "57f82fe3613fd170a85ec93c40b1f092"
				     "2ec4cb0dc025b58272147cc438944a98";
static const struct {
	const char *counter, *keystream;
} rfc6188_71_rows[] = {
	{"f0f1f2f3f4f5f6f7f8f9fafbfcfd0000", "92bdd28a93c3f52511c677d08b5515a4"},
	{"f0f1f2f3f4f5f6f7f8f9fafbfcfd0001", "9da71b2378a854f67050756ded165bac"},
	{"f0f1f2f3f4f5f6f7f8f9fafbfcfd0002", "63c4868b7096d88421b563b8c94c9a31"},
	{"f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", "cea518c90fd91ced9cbb18c078a54711"},
	{"f0f1f2f3f4f5f6f7f8f9fafbfcfdff00", "3dbc4814f4da5f00a08772b63c6a046d"},
	{"f0f1f2f3f4f5f6f7f8f9fafbfcfdff01", "6eb246913062a16891433e97dd01a57f"},
};

/* RFC 6188 §7.2 "AES_256_CM_PRF Test Cases" (KDR 0, index 0). */
static const char rfc6188_72_master_key[] = "f0f04914b513f2763a1b1fa130f10e29"
					    "98f6f6e43e4309d1e622a0e332b9f1b6";
static const char rfc6188_72_master_salt[] = "3b04803de51ee7c96423ab5b78d2";
static const char rfc6188_72_cipher_key[] = "5ba1064e30ec51613cad926c5a28ef73"
					    "1ec7fb397f70a960653caf06554cd8c4";
static const char rfc6188_72_cipher_salt[] = "fa31791685ca444a9e07c6c64e93";
static const char rfc6188_72_auth_key[] = "fd9c32d39ed5fbb5a9dc96b30818454d1313dc05";

/* Each counter line as the IV of its own keystream. */
TEST(rfc6188_7_1_aes256_cm_each_counter)
{
	VEC(key, rfc6188_71_key);

	REQUIRE(key_len == 32);
	for (unsigned int r = 0; r < sizeof(rfc6188_71_rows) / sizeof(rfc6188_71_rows[0]); r++) {
		uint8_t out[16];
		char what[64];
		VEC(ctr, rfc6188_71_rows[r].counter);
		VEC(ks, rfc6188_71_rows[r].keystream);

		REQUIRE(ctr_len == 16 && ks_len == 16);
		crypto_aes_cm_keystream(W->crypto.mgr, key, 32, ctr, out, sizeof(out));
		snprintf(what, sizeof(what), "RFC 6188 7.1 block for counter ...%02x%02x", ctr[14],
			 ctr[15]);
		CHECK_BYTES_LEN(what, out, 16, ks, 16);
	}
}

/* One keystream from the first counter through ...ff01 (0xff02 blocks):
 * each line's block at (counter - first) * 16, across the ...feff carry. */
TEST(rfc6188_7_1_aes256_cm_one_keystream)
{
	const unsigned int blocks = 0xff02;
	uint8_t *ks;
	VEC(key, rfc6188_71_key);
	VEC(first, rfc6188_71_rows[0].counter);

	REQUIRE(key_len == 32 && first_len == 16);
	ks = malloc((size_t)blocks * 16);
	REQUIRE(ks != NULL);
	crypto_aes_cm_keystream(W->crypto.mgr, key, 32, first, ks, blocks * 16);
	for (unsigned int r = 0; r < sizeof(rfc6188_71_rows) / sizeof(rfc6188_71_rows[0]); r++) {
		unsigned int off;
		char what[64];
		VEC(ctr, rfc6188_71_rows[r].counter);
		VEC(want, rfc6188_71_rows[r].keystream);

		/* The rows differ from the first only in the last two bytes. */
		REQUIRE(memcmp(ctr, first, 14) == 0);
		off = (unsigned int)(ctr[14] << 8 | ctr[15]) -
		      (unsigned int)(first[14] << 8 | first[15]);
		REQUIRE(off < blocks);
		snprintf(what, sizeof(what), "RFC 6188 7.1 keystream block %#x", off);
		CHECK_BYTES_LEN(what, ks + (size_t)off * 16, 16, want, 16);
	}
	free(ks);
}

TEST(rfc6188_7_2_aes256_kdf)
{
	static const enum suite s256[] = {SUITE_AES_256_CM_HMAC_SHA1_80,
					  SUITE_AES_256_CM_HMAC_SHA1_32};
	uint8_t out[64];
	VEC(mk, rfc6188_72_master_key);
	VEC(ms, rfc6188_72_master_salt);
	VEC(ck, rfc6188_72_cipher_key);
	VEC(cs, rfc6188_72_cipher_salt);
	VEC(ak, rfc6188_72_auth_key);

	REQUIRE(mk_len == 32 && ms_len == 14 && ck_len == 32 && cs_len == 14 && ak_len == 20);
	kdf_prf(W->crypto.mgr, mk, 32, ms, 14, KDF_RTP_ENC, out, 32);
	CHECK_BYTES_LEN("RFC 6188 7.2 cipher key (label 0x00)", out, 32, ck, ck_len);
	kdf_prf(W->crypto.mgr, mk, 32, ms, 14, KDF_RTP_SALT, out, 14);
	CHECK_BYTES_LEN("RFC 6188 7.2 cipher salt (label 0x02)", out, 14, cs, cs_len);
	kdf_prf(W->crypto.mgr, mk, 32, ms, 14, KDF_RTP_AUTH, out, 20);
	CHECK_BYTES_LEN("RFC 6188 7.2 auth key (label 0x01)", out, 20, ak, ak_len);

	/* And through kdf_derive, as keys_create runs it, for both suites. */
	for (unsigned int k = 0; k < sizeof(s256) / sizeof(s256[0]); k++) {
		struct session_keys sk;

		REQUIRE(suites[s256[k]].key_len == 32 && suites[s256[k]].salt_len == 14);
		kdf_derive(W->crypto.mgr, s256[k], mk, ms, &sk);
		printf("  %s\n", suites[s256[k]].name);
		CHECK_BYTES_LEN("kdf_derive rtp_key", sk.rtp_key, 32, ck, ck_len);
		CHECK_BYTES_LEN("kdf_derive rtp_salt", sk.rtp_salt, 14, cs, cs_len);
		CHECK_BYTES_LEN("kdf_derive rtp_auth", sk.rtp_auth, 20, ak, ak_len);
		explicit_bzero(&sk, sizeof(sk));
	}
}

/* ==== RFC 7714 ==== */

/* RFC 7714 §16: "The 16-octet (128-bit) key is 00 01 02 ... 0f, and the
 * 32-octet (256-bit) key is 00 01 02 ... 1f"; the salt is "Quid pro quo".
 * §17's RTCP examples use the same keys and salt. */
static const char rfc7714_key128[] = "00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f";
static const char rfc7714_key256[] = "00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f"
				     "10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f";
static const char rfc7714_salt[] = "51756964 2070726f 2071756f";

/* RFC 7714 §16: the RTP packet every RTP example uses (ROC 0, SEQ 0xf17b,
 * SSRC 0x5501a0b2; payload "Gallia est omnis divisa in partes tres"). */
static const char rfc7714_rtp[] = "8040f17b 8041f8d3 5501a0b2 47616c6c"
				  "69612065 7374206f 6d6e6973 20646976"
				  "69736120 696e2070 61727465 73207472"
				  "6573";

/* RFC 7714 §16.1.1 "Encrypted and tagged packet" (AEAD_AES_128_GCM); also
 * §16.1.2's "Decrypting the following packet". */
static const char rfc7714_16_1_1[] = "8040f17b 8041f8d3 5501a0b2 f24de3a3"
				     "fb34de6c acba861c 9d7e4bca be633bd5"
				     "0d294e6f 42a5f47a 51c7d19b 36de3adf"
				     "8833899d 7f27beb1 6a9152cf 765ee439"
				     "0cce";

/* RFC 7714 §16.1.3 "Tagged packet" (AEAD_AES_128_GCM, authentication only). */
static const char rfc7714_16_1_3[] = "8040f17b 8041f8d3 5501a0b2 47616c6c"
				     "69612065 7374206f 6d6e6973 20646976"
				     "69736120 696e2070 61727465 73207472"
				     "65732249 3f82d2bc e397e9d7 9e3b19aa"
				     "4216";

/* RFC 7714 §16.2.1 "Encrypted and tagged packet" (AEAD_AES_256_GCM); also
 * §16.2.2's "Decrypting the following packet". */
static const char rfc7714_16_2_1[] = "8040f17b 8041f8d3 5501a0b2 32b1de78"
				     "a822fe12 ef9f78fa 332e33aa b1801238"
				     "9a58e2f3 b50b2a02 76ffae0f 1ba63799"
				     "b87b7aa3 db36dfff d6b0f9bb 7878d7a7"
				     "6c13";

/* RFC 7714 §16.2.3 "Tagged packet" (AEAD_AES_256_GCM, authentication only). */
static const char rfc7714_16_2_3[] = "8040f17b 8041f8d3 5501a0b2 47616c6c"
				     "69612065 7374206f 6d6e6973 20646976"
				     "69736120 696e2070 61727465 73207472"
				     "6573a866 d5910f88 7463067c eefec452"
				     "15d4";

/* RFC 7714 §16.1.1 / §16.2.1 "Encrypt the Plaintext": the AES-CTR key
 * blocks for IV||blk_cntr 51753c6580c2726f20718414 00000002..4. */
static const char rfc7714_16_ctr[] = "51753c6580c2726f2071841400000002";
static const char rfc7714_16_1_1_key_blocks[] = "b5 2c 8f cf 92 55 fe 09 df ce a6 73 f0 10 22 b9"
						"9e 07 52 a3 64 5a 2f 4f 2b cb d4 0a 30 b5 a5 fe"
						"45 fe 4e ad ed 40 0a 5d 1a f3 63 f9 0c e1 49 3b";
static const char rfc7714_16_2_1_key_blocks[] = "75 d0 b2 14 c1 43 de 77 9c eb 58 95 5e 40 5a d9"
						"91 e4 7b 4e f3 2b 83 d3 dc 65 0a 72 17 8d da 6a"
						"68 86 43 eb dd 08 07 98 16 3a 16 d5 e5 04 f6 3a";

/* RFC 7714 §17.1 "Encrypting the following packet" (SSRC 0x4d617273, SRTCP
 * index 0x5d4); §17.2 "Verified and decrypted packet" and §17.4 "Verified
 * packet" print the same bytes. (§17's introduction shows a slightly
 * different packet, 81c8000e...; every worked example uses this one.) */
static const char rfc7714_rtcp[] = "81c8000d 4d617273 4e545031 4e545032"
				   "52545020 0000042a 0000e930 4c756e61"
				   "deadbeef deadbeef deadbeef deadbeef"
				   "deadbeef";
#define RFC7714_RTCP_SSRC 0x4d617273u
#define RFC7714_SRTCP_INDEX 0x5d4u

/* RFC 7714 §17.1 "Encrypted and tagged packet" (AEAD_AES_128_GCM). */
static const char rfc7714_17_1[] = "81c8000d 4d617273 63e94885 dcdab67c"
				   "a727d766 2f6b7e99 7ff5c0f7 6c06f32d"
				   "c676a5f1 730d6fda 4ce09b46 86303ded"
				   "0bb9275b c84aa458 96cf4d2f c5abf872"
				   "45d9eade 800005d4";

/* RFC 7714 §17.2 "Decrypting the following packet" (AEAD_AES_256_GCM). */
static const char rfc7714_17_2[] = "81c8000d 4d617273 d50ae4d1 f5ce5d30"
				   "4ba297e4 7d470c28 2c3ece5d bffe0a50"
				   "a2eaa5c1 110555be 8415f658 c61de047"
				   "6f1b6fad 1d1eb30c 4446839f 57ff6f6c"
				   "b26ac3be 800005d4";

/* RFC 7714 §17.3 "Tagged packet" (AEAD_AES_128_GCM, E = 0). */
static const char rfc7714_17_3[] = "81c8000d 4d617273 4e545031 4e545032"
				   "52545020 0000042a 0000e930 4c756e61"
				   "deadbeef deadbeef deadbeef deadbeef"
				   "deadbeef 841dd968 3dd78ec9 2ae58790"
				   "125f62b3 000005d4";

/* RFC 7714 §17.4 "Verifying the following packet" (AEAD_AES_256_GCM, E = 0). */
static const char rfc7714_17_4[] = "81c8000d 4d617273 4e545031 4e545032"
				   "52545020 0000042a 0000e930 4c756e61"
				   "deadbeef deadbeef deadbeef deadbeef"
				   "deadbeef 91db4afb feee5a97 8fab4393"
				   "ed2615fe 000005d4";

/* The GCM counter blocks the RFC prints, through crypto_aes_cm_keystream:
 * pins AES-128/256 themselves, so a packet mismatch below can be told apart
 * from a wrong key schedule. */
TEST(rfc7714_16_gcm_ctr_key_blocks)
{
	uint8_t out[48];
	VEC(k128, rfc7714_key128);
	VEC(k256, rfc7714_key256);
	VEC(ctr, rfc7714_16_ctr);
	VEC(kb128, rfc7714_16_1_1_key_blocks);
	VEC(kb256, rfc7714_16_2_1_key_blocks);

	REQUIRE(k128_len == 16 && k256_len == 32 && ctr_len == 16);
	crypto_aes_cm_keystream(W->crypto.mgr, k128, 16, ctr, out, sizeof(out));
	CHECK_BYTES_LEN("RFC 7714 16.1.1 key blocks 0..2", out, sizeof(out), kb128, kb128_len);
	crypto_aes_cm_keystream(W->crypto.mgr, k256, 32, ctr, out, sizeof(out));
	CHECK_BYTES_LEN("RFC 7714 16.2.1 key blocks 0..2", out, sizeof(out), kb256, kb256_len);
}

/* §16.1.1 / §16.2.1: protect the RFC's packet, get the RFC's bytes; then
 * §16.1.2 / §16.2.2: unprotect the RFC's bytes, get the plaintext back. */
static void
srtp_gcm_case(enum suite s, const char *key_hex, const char *protected_hex, const char *sec_enc,
	      const char *sec_dec)
{
	struct srtp_keys *k;
	struct srtp_dir *tx, *rx;
	VEC(key, key_hex);
	VEC(salt, rfc7714_salt);
	VEC(plain, rfc7714_rtp);
	VEC(prot, protected_hex);

	REQUIRE(key_len == suites[s].key_len && salt_len == 12 && salt_len == suites[s].salt_len);
	REQUIRE(plain_len == 50 && prot_len == 66);
	k = keys_from_session(s, key, salt);
	tx = engine_dir(k);
	rx = engine_dir(k);
	CHECK(run_one(sec_enc, tx, 1, 0, plain, plain_len, prot, prot_len));
	CHECK(run_one(sec_dec, rx, 0, 0, prot, prot_len, plain, plain_len));
	/* ROC 0 and SEQ 0xf17b, as the RFC's IV has it. */
	CHECK_EQ(rx->rtp.streams[0].top, 0xf17b);
	dir_free(tx);
	dir_free(rx);
	keys_destroy(k);
}

TEST(rfc7714_16_1_srtp_aead_aes_128_gcm)
{
	srtp_gcm_case(SUITE_AEAD_AES_128_GCM, rfc7714_key128, rfc7714_16_1_1,
		      "RFC 7714 16.1.1 protect", "RFC 7714 16.1.2 unprotect");
}

TEST(rfc7714_16_2_srtp_aead_aes_256_gcm)
{
	srtp_gcm_case(SUITE_AEAD_AES_256_GCM, rfc7714_key256, rfc7714_16_2_1,
		      "RFC 7714 16.2.1 protect", "RFC 7714 16.2.2 unprotect");
}

/* §16.1.3-4 / §16.2.3-4 are SRTP with GCM authentication only (payload in
 * clear). No suite of ours sends or accepts that, so these cannot be
 * positive known answers; what they do pin is that such a packet is not
 * taken for an encrypted one (it fails authentication, never decrypts). */
TEST(rfc7714_16_x_3_tag_only_srtp_is_refused)
{
	static const struct {
		enum suite s;
		const char *key, *pkt;
	} c[] = {
		{SUITE_AEAD_AES_128_GCM, rfc7714_key128, rfc7714_16_1_3},
		{SUITE_AEAD_AES_256_GCM, rfc7714_key256, rfc7714_16_2_3},
	};

	for (unsigned int i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct srtp_keys *k;
		struct srtp_dir *rx;
		VEC(key, c[i].key);
		VEC(salt, rfc7714_salt);
		VEC(pkt, c[i].pkt);

		k = keys_from_session(c[i].s, key, salt);
		rx = engine_dir(k);
		CHECK_EQ(unprotect_reason(rx, 0, pkt, pkt_len), DROP_SRTP_AUTH);
		dir_free(rx);
		keys_destroy(k);
	}
}

/* §17.1 (128) and §17.2 (256) give the same plaintext encrypted under each
 * key at SRTCP index 0x5d4: our protect at that index must give the RFC's
 * bytes, and our unprotect of the RFC's bytes the plaintext. */
static void
srtcp_gcm_case(enum suite s, const char *key_hex, const char *protected_hex, const char *sec)
{
	struct srtp_keys *k;
	struct srtp_dir *tx, *rx;
	char what[96];
	VEC(key, key_hex);
	VEC(salt, rfc7714_salt);
	VEC(plain, rfc7714_rtcp);
	VEC(prot, protected_hex);

	REQUIRE(key_len == suites[s].key_len && salt_len == suites[s].salt_len);
	REQUIRE(plain_len == 52 && prot_len == 72);
	k = keys_from_session(s, key, salt);

	tx = engine_dir(k);
	set_next_srtcp_index(tx, RFC7714_RTCP_SSRC, RFC7714_SRTCP_INDEX);
	snprintf(what, sizeof(what), "%s protect at SRTCP index 0x5d4", sec);
	CHECK(run_one(what, tx, 1, 1, plain, plain_len, prot, prot_len));
	CHECK_EQ(tx->rtcp.rtcp_index, RFC7714_SRTCP_INDEX);

	rx = engine_dir(k);
	snprintf(what, sizeof(what), "%s unprotect", sec);
	CHECK(run_one(what, rx, 0, 1, prot, prot_len, plain, plain_len));
	CHECK_EQ(rx->rtcp.streams[0].top, RFC7714_SRTCP_INDEX);
	/* The same packet again is a replay. */
	CHECK_EQ(unprotect_reason(rx, 1, prot, prot_len), DROP_SRTP_REPLAY);

	dir_free(tx);
	dir_free(rx);
	keys_destroy(k);
}

TEST(rfc7714_17_1_srtcp_aead_aes_128_gcm)
{
	srtcp_gcm_case(SUITE_AEAD_AES_128_GCM, rfc7714_key128, rfc7714_17_1, "RFC 7714 17.1");
}

TEST(rfc7714_17_2_srtcp_aead_aes_256_gcm)
{
	srtcp_gcm_case(SUITE_AEAD_AES_256_GCM, rfc7714_key256, rfc7714_17_2, "RFC 7714 17.2");
}

/* §17.3 (128) and §17.4 (256): SRTCP tagged but not encrypted (E = 0), the
 * whole packet and the ESRTCP word as AAD (§9.3). Our sender always sets E,
 * so only our receiver can be checked: it must verify and return the
 * packet unchanged. */
TEST(rfc7714_17_3_4_srtcp_tag_only)
{
	static const struct {
		enum suite s;
		const char *key, *pkt, *sec;
	} c[] = {
		{SUITE_AEAD_AES_128_GCM, rfc7714_key128, rfc7714_17_3, "RFC 7714 17.3 unprotect"},
		{SUITE_AEAD_AES_256_GCM, rfc7714_key256, rfc7714_17_4, "RFC 7714 17.4 unprotect"},
	};

	for (unsigned int i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct srtp_keys *k;
		struct srtp_dir *rx;
		VEC(key, c[i].key);
		VEC(salt, rfc7714_salt);
		VEC(plain, rfc7714_rtcp);
		VEC(pkt, c[i].pkt);

		REQUIRE(pkt_len == 72);
		k = keys_from_session(c[i].s, key, salt);
		rx = engine_dir(k);
		CHECK(run_one(c[i].sec, rx, 0, 1, pkt, pkt_len, plain, plain_len));
		CHECK_EQ(rx->rtcp.streams[0].top, RFC7714_SRTCP_INDEX);
		dir_free(rx);
		keys_destroy(k);
	}
}

/* The RFC's packets with one bit changed anywhere (header, ciphertext, tag,
 * ESRTCP word) must not verify: the positive answers above would also pass
 * for an engine that ignored the tag. */
TEST(rfc7714_altered_packets_are_refused)
{
	static const struct {
		enum suite s;
		int rtcp;
		const char *key, *pkt;
	} c[] = {
		{SUITE_AEAD_AES_128_GCM, 0, rfc7714_key128, rfc7714_16_1_1},
		{SUITE_AEAD_AES_256_GCM, 0, rfc7714_key256, rfc7714_16_2_1},
		{SUITE_AEAD_AES_128_GCM, 1, rfc7714_key128, rfc7714_17_1},
		{SUITE_AEAD_AES_256_GCM, 1, rfc7714_key256, rfc7714_17_2},
		{SUITE_AEAD_AES_128_GCM, 1, rfc7714_key128, rfc7714_17_3},
		{SUITE_AEAD_AES_256_GCM, 1, rfc7714_key256, rfc7714_17_4},
	};

	for (unsigned int i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct srtp_keys *k;
		VEC(key, c[i].key);
		VEC(salt, rfc7714_salt);
		VEC(pkt, c[i].pkt);

		k = keys_from_session(c[i].s, key, salt);
		/* Byte 1 (PT) of the header; byte 12, the first of the RTP
		 * ciphertext or of the RTCP payload; a byte of the tag; the
		 * last byte (the tag's, or the ESRTCP word's: part of the AAD). */
		const int at[] = {1, 12, pkt_len - (c[i].rtcp ? 5 : 16), pkt_len - 1};

		for (unsigned int j = 0; j < sizeof(at) / sizeof(at[0]); j++) {
			struct srtp_dir *rx = engine_dir(k);
			uint8_t bad[256];
			int r;

			memcpy(bad, pkt, (size_t)pkt_len);
			bad[at[j]] ^= 0x01;
			r = unprotect_reason(rx, c[i].rtcp, bad, pkt_len);
			if (r != DROP_SRTP_AUTH)
				fprintf(stderr, "  case %u, byte %d flipped: reason %s\n", i, at[j],
					drop_reason_name((enum drop_reason)r));
			CHECK_EQ(r, DROP_SRTP_AUTH);
			dir_free(rx);
		}
		keys_destroy(k);
	}
}

ENGINE_TEST_MAIN(W, "")
