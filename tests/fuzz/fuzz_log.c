/* Log formatting and secret masking of arbitrary bytes in every format. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../helper/log.h"
#include "../../helper/redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int devnull = -1;
	char *s = malloc(size + 1);
	size_t half = size / 2;

	if (!s)
		return 0;
	if (devnull < 0)
		devnull = open("/dev/null", O_WRONLY);
	log_set_fd(devnull);
	memcpy(s, data, size);
	s[size] = '\0';
	s[half] = '\0'; /* first half: a secret; second half: the message */
	redact_add_secret(s);
	for (int f = LOG_FMT_RUNNER; f <= LOG_FMT_JSON; f++) {
		struct log_field field = { "error", s + half + (half < size) };
		log_set_format((enum log_format)f);
		log_write(LOG_ERROR, &field, 1, "%s", s + half + (half < size));
	}
	redact_clear();
	free(s);
	return 0;
}
