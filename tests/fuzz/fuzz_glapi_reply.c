/* A GitLab API reply as the artifact commands read it: the response through the
 * client's parser, then its body turned into the logged status text (JSON message,
 * flattened message objects, object-storage XML) and the CI_DEBUG_TRACE dump. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../helper/buf.h"
#include "../../helper/glapi.h"
#include "../../helper/log.h"
#include "../../net/http_internal.h"

struct mem {
	const uint8_t *data;
	size_t size, pos;
};

static ssize_t mem_source(void *ctx, void *out, size_t size)
{
	struct mem *m = ctx;
	size_t n = 1 + m->pos % 61;

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
	static int devnull = -1;
	struct httpc_response r;
	struct mem m = { data, size, 1 };
	struct buf body = BUF_INIT, text = BUF_INIT;

	if (size < 1)
		return 0;
	if (devnull < 0) {
		devnull = open("/dev/null", O_WRONLY);
		log_set_fd(devnull);
	}
	memset(&r, 0, sizeof(r));
	if (httpc__resp_init(&r, false) < 0)
		abort();
	r.source = mem_source;
	r.source_ctx = &m;
	while (!r.headers_done)
		if (httpc__pump(&r) < 0)
			goto out;
	if (glapi_read_body(&r, &body, 64 << 10) < 0)
		goto out;
	glapi_status_text(&text, &r, body.ptr ? body.ptr : "", body.len, "POST", data[0] & 1);
	glapi_correlation_id(&r, "0123456789abcdef0123456789abcdef");
	glapi_trace_response(&r, body.ptr, body.len, NULL, 0);
out:
	buf_dispose(&body);
	buf_dispose(&text);
	httpc__resp_dispose(&r);
	return 0;
}
