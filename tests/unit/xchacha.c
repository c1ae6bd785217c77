#include <stdio.h>
#include <stdlib.h>

#include "../../helper/xchacha.h"
#include "unit.h"

static void unhex(unsigned char *out, const char *hex)
{
	for (size_t i = 0; hex[2 * i]; i++)
		sscanf(hex + 2 * i, "%2hhx", &out[i]);
}

static void check_hex(const char *file, int line, const unsigned char *got, size_t n,
		      const char *want)
{
	char hex[1024] = "";

	for (size_t i = 0; i < n && 2 * i + 2 < sizeof(hex); i++)
		snprintf(hex + 2 * i, 3, "%02x", got[i]);
	if (strcmp(hex, want))
		unit_fail(file, line, "\n  got  %s\n  want %s", hex, want);
}
#define CHECK_HEX(got, n, want) check_hex(__FILE__, __LINE__, got, n, want)

/* draft-irtf-cfrg-xchacha-03, 2.2.1 */
TEST(xchacha_hchacha20_draft_vector)
{
	unsigned char key[32], nonce[16], out[32];

	for (int i = 0; i < 32; i++)
		key[i] = (unsigned char)i;
	unhex(nonce, "000000090000004a0000000031415927");
	xchacha_hchacha20(out, key, nonce);
	CHECK_HEX(out, 32, "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc");
}

static const char sunscreen[] = "Ladies and Gentlemen of the class of '99: If I could offer you "
				"only one tip for the future, sunscreen would be it.";
static const char sunscreen_sealed[] =
	"bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa644"
	"0bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e"
	"3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e"
	"c0875924c1c7987947deafd8780acf49";

/* draft-irtf-cfrg-xchacha-03, A.3.1 */
TEST(xchacha_aead_draft_vector)
{
	unsigned char key[32], nonce[24], aad[12], sealed[sizeof(sunscreen) - 1 + 16];
	unsigned char plain[sizeof(sunscreen)];
	size_t n = sizeof(sunscreen) - 1;

	for (int i = 0; i < 32; i++)
		key[i] = (unsigned char)(0x80 + i);
	unhex(nonce, "404142434445464748494a4b4c4d4e4f5051525354555657");
	unhex(aad, "50515253c0c1c2c3c4c5c6c7");
	CHECK_OK(xchacha_seal(sealed, key, nonce, aad, sizeof(aad), (const unsigned char *)sunscreen, n));
	CHECK_HEX(sealed, sizeof(sealed), sunscreen_sealed);
	CHECK_OK(xchacha_open(plain, key, nonce, aad, sizeof(aad), sealed, sizeof(sealed)));
	plain[n] = '\0';
	CHECK_STR((char *)plain, sunscreen);

	sealed[3] ^= 1;
	CHECK_FAILS(xchacha_open(plain, key, nonce, aad, sizeof(aad), sealed, sizeof(sealed)), CIH_ECORRUPT);
	sealed[3] ^= 1;
	nonce[23] ^= 1; /* the last 8 nonce bytes reach the AEAD */
	CHECK_FAILS(xchacha_open(plain, key, nonce, aad, sizeof(aad), sealed, sizeof(sealed)), CIH_ECORRUPT);
	nonce[23] ^= 1;
	nonce[0] ^= 1; /* the first 16 reach the subkey */
	CHECK_FAILS(xchacha_open(plain, key, nonce, aad, sizeof(aad), sealed, sizeof(sealed)), CIH_ECORRUPT);
	nonce[0] ^= 1;
	CHECK_FAILS(xchacha_open(plain, key, nonce, NULL, 0, sealed, sizeof(sealed)), CIH_ECORRUPT);
	CHECK_FAILS(xchacha_open(plain, key, nonce, aad, sizeof(aad), sealed, 15), CIH_ECORRUPT);
}
