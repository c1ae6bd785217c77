#include "redact.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"

#define MAX_SECRETS 16

static char *secrets[MAX_SECRETS];
static size_t nsecrets;

int redact_add_secret(const char *secret)
{
	char *copy;

	if (!secret || strlen(secret) < 4)
		return 0;
	for (size_t i = 0; i < nsecrets; i++)
		if (!strcmp(secrets[i], secret))
			return 0;
	if (nsecrets == MAX_SECRETS)
		return err_set(CIH_ETOOBIG, "too many secrets registered");
	if (!(copy = strdup(secret)))
		return err_set(CIH_ENOMEM, "out of memory");
	secrets[nsecrets++] = copy;
	return 0;
}

void redact_clear(void)
{
	while (nsecrets)
		free(secrets[--nsecrets]);
}

static void mask_one(char *buf, size_t cap, const char *secret)
{
	size_t slen = strlen(secret), mlen = strlen(REDACT_MASK);
	char *p = buf;

	while ((p = strstr(p, secret))) {
		size_t tail = strlen(p + slen);
		size_t used = (size_t)(p - buf);

		if (used + mlen + 1 > cap) { /* no room for the mask: cut the secret off */
			*p = '\0';
			return;
		}
		if (used + mlen + tail + 1 > cap)
			tail = cap - used - mlen - 1; /* mask is never longer than cap allows */
		memmove(p + mlen, p + slen, tail);
		memcpy(p, REDACT_MASK, mlen);
		p[mlen + tail] = '\0';
		p += mlen;
	}
}

void redact_in_place(char *buf, size_t cap)
{
	if (cap < sizeof(REDACT_MASK))
		return;
	for (size_t i = 0; i < nsecrets; i++)
		mask_one(buf, cap, secrets[i]);
}

int redact_buf(struct buf *b)
{
	struct buf out = BUF_INIT;
	const char *p;
	int rc;

	for (size_t i = 0; i < nsecrets; i++) {
		if (!b->ptr || !strstr(b->ptr, secrets[i]))
			continue;
		buf_clear(&out);
		p = b->ptr;
		for (const char *hit; (hit = strstr(p, secrets[i])); p = hit + strlen(secrets[i])) {
			if ((rc = buf_put(&out, p, (size_t)(hit - p))) < 0 ||
			    (rc = buf_puts(&out, REDACT_MASK)) < 0)
				goto fail;
		}
		if ((rc = buf_puts(&out, p)) < 0)
			goto fail;
		buf_dispose(b);
		*b = out;
		out = (struct buf)BUF_INIT;
	}
	return 0;
fail:
	buf_dispose(&out);
	return rc;
}
