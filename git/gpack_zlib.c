/* zlib streams of pack objects inflated with libdeflate. Our libdeflate is built
 * without its zlib wrapper (scripts/build-deps: DISABLE_ZLIB), so the 2-byte header
 * and the Adler-32 trailer are handled here around raw deflate. zlib's adler32 is
 * byte-serial and took a third of the inflate time; on amd64 an SSE2 loop does it. */
#include <stdbool.h>

#include <libdeflate.h>
#include <zlib.h>

#include "gpack_int.h"

#if defined(__SSE2__)
#include <emmintrin.h>

#define ADLER_MOD 65521u
/* 32-byte blocks per reduction: keeps every 32-bit lane (the sum of running sums
 * grows with the square of the block count) clear of overflow */
#define ADLER_BLOCKS 512

static uint64_t hsum32(__m128i v)
{
	v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(1, 0, 3, 2)));
	v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(2, 3, 0, 1)));
	return (uint32_t)_mm_cvtsi128_si32(v);
}

/* Per 32-byte block: a gains the bytes, b gains 32 * a before the block plus the
 * bytes weighted 32..1. */
static uint32_t adler32_sse2(uint32_t adler, const unsigned char *p, size_t n)
{
	const __m128i zero = _mm_setzero_si128();
	const __m128i w0 = _mm_setr_epi16(32, 31, 30, 29, 28, 27, 26, 25);
	const __m128i w1 = _mm_setr_epi16(24, 23, 22, 21, 20, 19, 18, 17);
	const __m128i w2 = _mm_setr_epi16(16, 15, 14, 13, 12, 11, 10, 9);
	const __m128i w3 = _mm_setr_epi16(8, 7, 6, 5, 4, 3, 2, 1);
	uint64_t a = adler & 0xffff, b = adler >> 16;

	while (n >= 32) {
		size_t blocks = n / 32 < ADLER_BLOCKS ? n / 32 : ADLER_BLOCKS;
		__m128i s1 = zero, s1sum = zero, s2 = zero;

		n -= blocks * 32;
		b += a * 32 * blocks;
		while (blocks--) {
			__m128i x0 = _mm_loadu_si128((const __m128i *)p);
			__m128i x1 = _mm_loadu_si128((const __m128i *)(p + 16));

			s1sum = _mm_add_epi32(s1sum, s1);
			s1 = _mm_add_epi32(s1, _mm_add_epi32(_mm_sad_epu8(x0, zero), _mm_sad_epu8(x1, zero)));
			s2 = _mm_add_epi32(s2, _mm_madd_epi16(_mm_unpacklo_epi8(x0, zero), w0));
			s2 = _mm_add_epi32(s2, _mm_madd_epi16(_mm_unpackhi_epi8(x0, zero), w1));
			s2 = _mm_add_epi32(s2, _mm_madd_epi16(_mm_unpacklo_epi8(x1, zero), w2));
			s2 = _mm_add_epi32(s2, _mm_madd_epi16(_mm_unpackhi_epi8(x1, zero), w3));
			p += 32;
		}
		b += 32 * hsum32(s1sum) + hsum32(s2);
		a += hsum32(s1);
		a %= ADLER_MOD;
		b %= ADLER_MOD;
	}
	while (n--) {
		a += *p++;
		b += a;
	}
	return (uint32_t)((b % ADLER_MOD) << 16 | (a % ADLER_MOD));
}

uint32_t gpack_adler32(const unsigned char *p, size_t n)
{
	return adler32_sse2(1, p, n);
}
#else
uint32_t gpack_adler32(const unsigned char *p, size_t n)
{
	return (uint32_t)adler32_z(adler32_z(0, NULL, 0), p, n);
}
#endif

bool gpack_zlib_inflate_n(struct libdeflate_decompressor *dec, const unsigned char *in, size_t in_len,
			  unsigned char *out, size_t size, size_t *consumed)
{
	size_t used = 0, got = 0;
	const unsigned char *t;

	/* CM 8 (deflate), a window of at most 32 KiB, the check bits, no preset dictionary */
	if (in_len < 6 || (in[0] & 0x0f) != 8 || in[0] >> 4 > 7 || (in[0] << 8 | in[1]) % 31 || in[1] & 0x20)
		return false;
	if (libdeflate_deflate_decompress_ex(dec, in + 2, in_len - 6, out, size, &used, &got) !=
		    LIBDEFLATE_SUCCESS || got != size)
		return false;
	t = in + 2 + used;
	if (gpack_adler32(out, size) != ((uint32_t)t[0] << 24 | (uint32_t)t[1] << 16 | (uint32_t)t[2] << 8 | t[3]))
		return false;
	*consumed = used + 6;
	return true;
}

bool gpack_zlib_inflate(struct libdeflate_decompressor *dec, const unsigned char *in, size_t in_len,
			unsigned char *out, size_t size)
{
	size_t consumed;

	return gpack_zlib_inflate_n(dec, in, in_len, out, size, &consumed);
}
