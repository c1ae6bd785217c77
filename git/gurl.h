/* git's URL matching for per-URL configuration (git-config(1) "http.<url>.*",
 * git's urlmatch.c): <section>.<url>.<key> entries whose URL matches the target,
 * the most specific one winning; <section>.<key> when none does. */
#ifndef CIH_GIT_GURL_H
#define CIH_GIT_GURL_H

#include <stddef.h>

#include <git2.h>

struct gurl_values {
	char **v;
	size_t n;
};

/* The value that applies to url. CIH_ENOTFOUND when unset. *out is malloc'd. */
int gurl_get(git_config *cfg, const char *section, const char *key, const char *url, char **out);
/* Multi-valued keys (http.extraHeader, credential.helper): every applicable value
 * in config order, as git collects them (an empty value clears the list). */
int gurl_get_all(git_config *cfg, const char *section, const char *key, const char *url,
		 struct gurl_values *out);
void gurl_values_dispose(struct gurl_values *v);

#endif
