/* Secrets registry: every log line and error message is masked through here, so
 * a registered token never reaches output, whole or in part. */
#ifndef CIH_REDACT_H
#define CIH_REDACT_H

#include <stddef.h>

#define REDACT_MASK "[MASKED]"

struct buf;

/* Registers a secret (copied). Values shorter than 4 bytes are ignored: masking
 * them would garble ordinary text without protecting anything. */
int redact_add_secret(const char *secret);
/* Registers the secrets a job hands the helper: CI_JOB_TOKEN and friends. */
void redact_add_job_secrets(void);
void redact_clear(void);
/* Masks every secret in b (which may grow). */
int redact_buf(struct buf *b);
/* Copies src masked into dst (capacity cap). When the copy must be cut, a tail
 * that starts a secret is cut too, so no fragment of one survives. */
void redact_copy(char *dst, size_t cap, const char *src);

#endif
