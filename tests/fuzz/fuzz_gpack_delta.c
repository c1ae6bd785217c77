/* git's delta format from a pack (untrusted): gpack_delta_apply (git/gpack_delta.c).
 * Input: one byte n, then n * 16 bytes of base (capped at what is there), the rest
 * the delta. Checks: a result has exactly the target size the delta's header gives,
 * is NUL-terminated, and a failure leaves no buffer. */
#include <stdint.h>
#include <stdlib.h>

#include "../../git/gpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t base_len, out_len = 1, src, tgt, hdr;
	unsigned char *out = (unsigned char *)"";

	if (!size)
		return 0;
	base_len = (size_t)data[0] * 16;
	if (base_len > size - 1)
		base_len = size - 1;
	if (gpack_delta_apply(data + 1, base_len, data + 1 + base_len, size - 1 - base_len, &out, &out_len) < 0) {
		if (out || out_len)
			abort();
		return 0;
	}
	if (gpack_delta_sizes(data + 1 + base_len, size - 1 - base_len, &src, &tgt, &hdr) < 0 || src != base_len ||
	    tgt != out_len || out[out_len] != '\0')
		abort();
	free(out);
	return 0;
}
