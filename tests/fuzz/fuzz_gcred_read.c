/* A credential helper's answer (untrusted) through git's key=value protocol reader
 * (git/gcred.c, gcred_read), and the same bytes as a URL (url=, credential.<url>).
 * Checks: what was read and can be written reads back the same. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../git/gcred.h"
#include "../../helper/buf.h"

static int ends_cr(const char *s)
{
	return s && *s && s[strlen(s) - 1] == '\r';
}

static void same(const char *a, const char *b)
{
	if (!a != !b || (a && strcmp(a, b)))
		abort();
}

static void round_trip(const struct gcred *c)
{
	struct gcred d = { 0 };
	struct buf b = BUF_INIT;
	FILE *f;

	/* a value read may end in '\r' ("x\r\r\n"), which a reader strips, as git's */
	if (ends_cr(c->protocol) || ends_cr(c->host) || ends_cr(c->path) ||
	    ends_cr(c->username) || ends_cr(c->password))
		return;
	if (gcred_format(c, &b) == 0 && b.len) {
		if (!(f = fmemopen(b.ptr, b.len, "r")))
			abort();
		if (gcred_read(&d, f) != 0)
			abort();
		fclose(f);
		same(c->protocol, d.protocol);
		same(c->host, d.host);
		/* an empty path is written, and read back as "" */
		same(c->path, d.path);
		same(c->username, d.username);
		same(c->password, d.password);
		if (!gcred_match(c, &d) || !gcred_match(&d, c))
			abort();
	}
	buf_dispose(&b);
	gcred_dispose(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gcred c = { 0 };
	FILE *f = size ? fmemopen((void *)data, size, "r") : NULL;
	char *s;

	if (f) {
		if (gcred_read(&c, f) == 0)
			round_trip(&c);
		fclose(f);
		gcred_dispose(&c);
	}
	if ((s = malloc(size + 1))) {
		char *masked;

		memcpy(s, data, size);
		s[size] = '\0';
		gcred_parse_url(&c, s, true, false);
		gcred_dispose(&c);
		if (gcred_from_url(&c, s) == 0)
			round_trip(&c);
		gcred_dispose(&c);
		if ((masked = gcred_mask_url(s)))
			free(masked);
		gcred_parse_bool(s);
		free(s);
	}
	return 0;
}
