/* Durations and booleans come from job variables (env) as well as argv. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../helper/flags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	int64_t ns;
	bool b;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	flags_parse_duration(&ns, s);
	flags_parse_bool(&b, s);
	free(s);
	return 0;
}
