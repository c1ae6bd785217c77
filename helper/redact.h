/* Secrets registry: every log line and error message passes through
 * redact_in_place(), so a registered token never reaches output. */
#ifndef CIH_REDACT_H
#define CIH_REDACT_H

#include <stddef.h>

#define REDACT_MASK "[MASKED]"

/* Registers a secret (copied). Values shorter than 4 bytes are ignored: masking
 * them would garble ordinary text without protecting anything. */
int redact_add_secret(const char *secret);
void redact_clear(void);
/* Replaces every registered secret in buf (NUL-terminated, capacity cap). */
void redact_in_place(char *buf, size_t cap);

struct buf;
/* Same for a growable buffer, which may grow. */
int redact_buf(struct buf *b);

#endif
