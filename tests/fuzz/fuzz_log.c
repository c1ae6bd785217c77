/* Log formatting and secret masking of arbitrary bytes in every format: no crash,
 * and a registered token never reaches the output. The token is shaped like
 * GitLab's ("glcbt-" + letters and digits from the input), so that it cannot also
 * be part of the format's own text (keys, level names, timestamps, the mask). */
#include <ctype.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../helper/error.h"
#include "../../helper/log.h"
#include "../../helper/redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[1 << 16];
	char *s = malloc(size + 1), secret[48] = "glcbt-";
	size_t half = size / 2, k = 6;
	const char *msg;
	FILE *f = tmpfile();
	size_t n;

	if (!s || !f)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	s[half] = '\0'; /* first half: the token's characters; second half: the message */
	for (size_t i = 0; i < half && k < sizeof(secret) - 1; i++)
		if (isalnum((unsigned char)s[i]))
			secret[k++] = s[i];
	secret[k] = '\0';
	msg = s + half + (half < size);
	redact_add_secret(secret);
	log_set_fd(fileno(f));
	for (int fmt = LOG_FMT_RUNNER; fmt <= LOG_FMT_JSON; fmt++) {
		struct log_field field = { "error", msg };
		log_set_format((enum log_format)fmt);
		log_write(LOG_ERROR, &field, 1, "%s", msg);
	}
	err_set(CIH_ERR, "%s", msg);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	if (memmem(out, n, secret, strlen(secret)) || strstr(err_last()->msg, secret))
		abort(); /* a registered secret was written */
	fclose(f);
	redact_clear();
	free(s);
	return 0;
}
