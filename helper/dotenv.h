/* The cache commands' --env-file: github.com/joho/godotenv v1.5.1 Read semantics,
 * quirks included, then every key setenv()-ed into the process. */
#ifndef CIH_DOTENV_H
#define CIH_DOTENV_H

#include <stddef.h>

/* Reads path with godotenv v1.5.1 Read semantics and setenv()s every key (later keys
 * of the file win). Errors: CIH_ENOTFOUND / CIH_EOS for the file, CIH_ECORRUPT for the
 * syntax; the message "failed to read env file: <godotenv's error text>". An empty path
 * does nothing. Values of keys ending in _KEY, _TOKEN or _SECRET, or containing SECRET
 * or PASSWORD (any case), are registered with redact_add_secret(). Error messages never
 * hold a value: where godotenv quotes the file text, they give the line number. */
int dotenv_load(const char *path);
/* The parser alone, for tests: calls set(ctx, key, value) for each pair in order, after
 * the whole text parsed. A set() failure is returned as is. */
int dotenv_parse(const char *text, size_t len, int (*set)(void *ctx, const char *key, const char *value),
		 void *ctx);

#endif
