/* A server's response bytes through the client's parser (net/http_resp.c), handed
 * over in slices of varying size so that heads and chunks split everywhere. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../net/http_internal.h"

struct mem {
	const uint8_t *data;
	size_t size, pos;
};

static ssize_t mem_source(void *ctx, void *out, size_t size)
{
	struct mem *m = ctx;
	size_t n = 1 + m->pos % 97;

	if (n > size)
		n = size;
	if (n > m->size - m->pos)
		n = m->size - m->pos;
	memcpy(out, m->data + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct httpc_response r;
	struct mem m = { data, size, 1 };
	char body[512];

	if (size < 1)
		return 0;
	memset(&r, 0, sizeof(r));
	if (httpc__resp_init(&r, data[0] & 1) < 0)
		abort();
	r.source = mem_source;
	r.source_ctx = &m;
	while (!r.headers_done)
		if (httpc__pump(&r) < 0)
			goto out;
	httpc_resp_header(&r, "Location");
	while (httpc_resp_read(&r, body, sizeof(body)) > 0)
		;
out:
	httpc__resp_dispose(&r);
	return 0;
}
