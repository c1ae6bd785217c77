#include "redact.h"

#include <stdio.h>
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

void redact_add_job_secrets(void)
{
	static const char *const names[] = { "CI_JOB_TOKEN", "CI_BUILD_TOKEN", "CI_REGISTRY_PASSWORD",
					     "CI_DEPENDENCY_PROXY_PASSWORD" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		redact_add_secret(getenv(names[i]));
}

void redact_clear(void)
{
	while (nsecrets)
		free(secrets[--nsecrets]);
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

/* Cuts a tail of s[0..len) that is a proper prefix of some secret. */
static size_t cut_secret_start(const char *s, size_t len)
{
	for (size_t i = 0; i < nsecrets; i++) {
		size_t slen = strlen(secrets[i]);
		for (size_t k = slen - 1 < len ? slen - 1 : len; k > 0; k--) {
			if (!memcmp(s + len - k, secrets[i], k)) {
				len -= k;
				break;
			}
		}
	}
	return len;
}

void redact_copy(char *dst, size_t cap, const char *src)
{
	struct buf b = BUF_INIT;
	size_t len;

	if (!cap)
		return;
	if (buf_puts(&b, src) < 0 || redact_buf(&b) < 0) {
		snprintf(dst, cap, "(message withheld: out of memory while masking secrets)");
		buf_dispose(&b);
		return;
	}
	len = b.len;
	if (len >= cap)
		len = cut_secret_start(b.ptr, cap - 1);
	memcpy(dst, b.ptr, len);
	dst[len] = '\0';
	buf_dispose(&b);
}
