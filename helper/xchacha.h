/* XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha) over mbedTLS's ChaCha20-Poly1305:
 * HChaCha20 derives a subkey from the key and the first 16 nonce bytes, the IETF
 * AEAD then runs with nonce 0x00000000 || the last 8 nonce bytes. */
#ifndef CIH_XCHACHA_H
#define CIH_XCHACHA_H

#include <stddef.h>

#define XCHACHA_KEY_LEN 32
#define XCHACHA_NONCE_LEN 24
#define XCHACHA_TAG_LEN 16

void xchacha_hchacha20(unsigned char out[32], const unsigned char key[32],
		       const unsigned char nonce[16]);
/* out (len + XCHACHA_TAG_LEN bytes) = ciphertext || tag. aad may be NULL. */
int xchacha_seal(unsigned char *out, const unsigned char key[32],
		 const unsigned char nonce[XCHACHA_NONCE_LEN], const unsigned char *aad,
		 size_t aad_len, const unsigned char *in, size_t len);
/* in is ciphertext || tag (len >= XCHACHA_TAG_LEN); out gets len - XCHACHA_TAG_LEN
 * bytes. CIH_ECORRUPT when the tag does not verify. */
int xchacha_open(unsigned char *out, const unsigned char key[32],
		 const unsigned char nonce[XCHACHA_NONCE_LEN], const unsigned char *aad,
		 size_t aad_len, const unsigned char *in, size_t len);

#endif
