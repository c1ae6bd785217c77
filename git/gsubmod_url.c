/* Relative submodule URLs (gsubmod.h), apart from the repository: the pure part,
 * fuzzed on .gitmodules URLs and remote URLs. */
#include "gsubmod.h"

#include <stdlib.h>
#include <string.h>

#include "../helper/buf.h"
#include "../helper/error.h"

int gsub_resolve_relative(const char *remote, const char *url, char **out)
{
	struct buf b = BUF_INIT;
	char *base = strdup(remote);
	size_t n;

	if (!base)
		return err_set(CIH_ENOMEM, "out of memory");
	n = strlen(base);
	while (n > 1 && base[n - 1] == '/')
		base[--n] = '\0';
	for (;;) {
		if (!strncmp(url, "./", 2)) {
			url += 2;
		} else if (!strncmp(url, "../", 3)) {
			char *cut = strrchr(base, '/'), *colon = strrchr(base, ':');

			url += 3;
			if (colon && (!cut || colon > cut) && !strstr(base, "://")) {
				colon[1] = '\0'; /* host:path -> host: */
			} else if (cut && (!strstr(base, "://") || cut > strstr(base, "://") + 2)) {
				*cut = '\0';
			} else {
				int rc = err_set(CIH_EUSAGE, "cannot strip one component off url '%s'", base);

				free(base);
				return rc;
			}
		} else {
			break;
		}
	}
	n = strlen(base);
	buf_printf(&b, "%s%s%s", base, n && base[n - 1] == ':' ? "" : "/", url);
	free(base);
	if (b.failed)
		return err_set(CIH_ENOMEM, "out of memory");
	*out = b.ptr;
	return 0;
}
