/* Relative submodule URLs from .gitmodules (untrusted) resolved against a remote
 * URL (git/gsubmod_url.c). Input: the remote, '\n', the submodule's URL. Checks:
 * the result ends with the URL stripped of its "./" and "../" steps. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../git/gsubmod.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t n = nl ? (size_t)(nl - data) : size;
	char *remote = malloc(n + 1), *url = malloc(size - n + 1), *out = NULL;
	const char *rest;

	if (!remote || !url)
		goto done;
	memcpy(remote, data, n);
	remote[n] = '\0';
	memcpy(url, data + n + !!nl, size - n - !!nl);
	url[size - n - !!nl] = '\0';
	if (gsub_resolve_relative(remote, url, &out) == 0) {
		for (rest = url; !strncmp(rest, "./", 2) || !strncmp(rest, "../", 3);)
			rest += rest[1] == '/' ? 2 : 3;
		if (strlen(out) < strlen(rest) || strcmp(out + strlen(out) - strlen(rest), rest))
			abort();
	}
done:
	free(out);
	free(remote);
	free(url);
	return 0;
}
