/* --env-file contents (godotenv syntax): any bytes parse or fail cleanly, and every
 * pair handed out is a NUL-terminated key and value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../helper/dotenv.h"

static int take(void *ctx, const char *key, const char *value)
{
	size_t *total = ctx;
	*total += strlen(key) + strlen(value);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t total = 0;
	dotenv_parse((const char *)data, size, take, &total);
	return 0;
}
