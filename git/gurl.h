/* git's URL matching for per-URL configuration (git-config(1) "http.<url>.*",
 * git's urlmatch.c): <section>.<url>.<key> entries whose URL matches the target,
 * the most specific one winning; <section>.<key> when none does.
 *
 * Specificity, as urlmatch.c ranks it: the longer host pattern first (an exact
 * "www.example.com" beats "*.example.com"), then the longer matching path
 * prefix, then a pattern naming the user beats one without. A pattern with a
 * user matches only URLs with that user. Entries are seen in config order, lowest
 * priority first (libgit2 iterates its levels from system up to the command
 * line's, each file top to bottom, as git does); an entry at least as specific as
 * the best one seen so far replaces it, so the last of equal specificity wins. */
#ifndef CIH_GIT_GURL_H
#define CIH_GIT_GURL_H

#include <stddef.h>

#include <git2.h>

struct gurl_values {
	char **v;
	size_t n;
};

/* The value that applies to url. CIH_ENOTFOUND when unset. *out is malloc'd; it is
 * NULL for a valueless entry ("[http] sslVerify" without '=': git's boolean true). */
int gurl_get(git_config *cfg, const char *section, const char *key, const char *url, char **out);
/* Multi-valued keys (http.extraHeader): the values as git's http.c collects them
 * through urlmatch.c: every entry that is at least as specific as the best one
 * seen before it, in config order; an empty value clears the list. A less
 * specific entry after a more specific one is dropped (git does the same).
 * credential.* is matched differently (see gcred.c): there every match applies. */
int gurl_get_all(git_config *cfg, const char *section, const char *key, const char *url,
		 struct gurl_values *out);
void gurl_values_dispose(struct gurl_values *v);

/* A URL normalised as git's url_normalize(): scheme and host lowercased, default
 * port and leading zeros dropped, %XX escapes normalised (upper case, unreserved
 * characters decoded, unsafe ones encoded), '/' added to an empty path, dot
 * segments resolved. Offsets index url; user_off and host_off are 0 when absent. */
struct gurl_info {
	char *url;
	size_t url_len, scheme_len, user_off, user_len, passwd_off, passwd_len;
	size_t host_off, host_len, port_off, port_len, path_off, path_len;
};

/* allow_globs: '*' host labels (config URLs). CIH_EUSAGE with git's reason
 * ("invalid URL scheme name or missing '://' suffix", "invalid port number"...). */
int gurl_normalize(const char *url, int allow_globs, struct gurl_info *out);
void gurl_info_dispose(struct gurl_info *i);

struct gurl_match {
	size_t host_len; /* of the pattern's host ("*.example.com" is 13) */
	size_t path_len; /* matched path prefix, with the implicit final '/' */
	int user_matched;
};

/* 1 when pattern matches url (m filled), else 0. */
int gurl_match(const struct gurl_info *url, const struct gurl_info *pattern, struct gurl_match *m);
/* < 0, 0, > 0 as a is less, as, more specific than b. */
int gurl_match_cmp(const struct gurl_match *a, const struct gurl_match *b);

/* urlmatch_config_entry(): walks cfg's <section>.* entries for url. */
struct gurl_walk {
	const char *section; /* "http" */
	const char *key;     /* only this key ("extraheader"), or NULL for every key */
	int select_all;      /* every matching entry applies (credential.c), not the best */
	/* A config URL that does not normalise (credential.<partial-url>.*): 1 when
	 * it matches, 0 when not, < 0 to stop. NULL: it never matches. */
	int (*fallback)(const char *config_url, void *payload);
	/* Each applicable entry in order: key lowercased without the URL, value NULL
	 * when valueless. < 0 stops the walk with that code. */
	int (*collect)(const char *key, const char *value, void *payload);
	void *payload;
};

int gurl_foreach(git_config *cfg, const char *url, const struct gurl_walk *w);

#endif
