#include "xchacha.h"

#include <mbedtls/chachapoly.h>
#include <mbedtls/platform_util.h>
#include <stdint.h>
#include <string.h>

#include "bytes.h"
#include "error.h"

#define ROTL(v, n) ((uint32_t)((v) << (n)) | ((v) >> (32 - (n))))
#define QR(a, b, c, d)                                  \
	do {                                            \
		a += b, d ^= a, d = ROTL(d, 16);        \
		c += d, b ^= c, b = ROTL(b, 12);        \
		a += b, d ^= a, d = ROTL(d, 8);         \
		c += d, b ^= c, b = ROTL(b, 7);         \
	} while (0)

/* The ChaCha20 block function without the final addition of the input, keeping
 * words 0-3 and 12-15. */
void xchacha_hchacha20(unsigned char out[32], const unsigned char key[32],
		       const unsigned char nonce[16])
{
	uint32_t s[16] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 };

	for (int i = 0; i < 8; i++)
		s[4 + i] = rd_le32(key + 4 * i);
	for (int i = 0; i < 4; i++)
		s[12 + i] = rd_le32(nonce + 4 * i);
	for (int round = 0; round < 10; round++) {
		QR(s[0], s[4], s[8], s[12]);
		QR(s[1], s[5], s[9], s[13]);
		QR(s[2], s[6], s[10], s[14]);
		QR(s[3], s[7], s[11], s[15]);
		QR(s[0], s[5], s[10], s[15]);
		QR(s[1], s[6], s[11], s[12]);
		QR(s[2], s[7], s[8], s[13]);
		QR(s[3], s[4], s[9], s[14]);
	}
	for (int i = 0; i < 4; i++) {
		wr_le32(out + 4 * i, s[i]);
		wr_le32(out + 16 + 4 * i, s[12 + i]);
	}
	mbedtls_platform_zeroize(s, sizeof(s));
}

static int setup(mbedtls_chachapoly_context *ctx, unsigned char iv[12],
		 const unsigned char key[32], const unsigned char nonce[XCHACHA_NONCE_LEN])
{
	unsigned char subkey[32];
	int rc;

	xchacha_hchacha20(subkey, key, nonce);
	memset(iv, 0, 4);
	memcpy(iv + 4, nonce + 16, 8);
	mbedtls_chachapoly_init(ctx);
	rc = mbedtls_chachapoly_setkey(ctx, subkey);
	mbedtls_platform_zeroize(subkey, sizeof(subkey));
	return rc ? err_set(CIH_ERR, "chacha20-poly1305 key setup failed (-0x%04x)", -rc) : 0;
}

int xchacha_seal(unsigned char *out, const unsigned char key[32],
		 const unsigned char nonce[XCHACHA_NONCE_LEN], const unsigned char *aad,
		 size_t aad_len, const unsigned char *in, size_t len)
{
	mbedtls_chachapoly_context ctx;
	unsigned char iv[12];
	int rc;

	if ((rc = setup(&ctx, iv, key, nonce)) == 0 &&
	    mbedtls_chachapoly_encrypt_and_tag(&ctx, len, iv, aad, aad_len, in, out, out + len))
		rc = err_set(CIH_ERR, "chacha20-poly1305 encryption failed");
	mbedtls_chachapoly_free(&ctx);
	return rc;
}

int xchacha_open(unsigned char *out, const unsigned char key[32],
		 const unsigned char nonce[XCHACHA_NONCE_LEN], const unsigned char *aad,
		 size_t aad_len, const unsigned char *in, size_t len)
{
	mbedtls_chachapoly_context ctx;
	unsigned char iv[12];
	int rc;

	if (len < XCHACHA_TAG_LEN)
		return err_set(CIH_ECORRUPT, "encrypted message length too small");
	len -= XCHACHA_TAG_LEN;
	if ((rc = setup(&ctx, iv, key, nonce)) == 0 &&
	    mbedtls_chachapoly_auth_decrypt(&ctx, len, iv, aad, aad_len, in + len, in, out))
		rc = err_set(CIH_ECORRUPT, "message authentication failed");
	mbedtls_chachapoly_free(&ctx);
	return rc;
}
