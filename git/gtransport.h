/* What a fetch (fetch, clone, submodule update) needs around libgit2's transport:
 * the per-URL http.* configuration (user agent, extra headers, proxy, TLS files,
 * sslVerify, proactiveAuth), credentials from the URL and the credential helpers
 * (approved or rejected afterwards, as git does), and git's error messages. */
#ifndef CIH_GIT_GTRANSPORT_H
#define CIH_GIT_GTRANSPORT_H

#include <stdbool.h>

#include <git2.h>

#include "gcred.h"

struct gtransport {
	git_config *cfg;   /* borrowed */
	char *url;         /* the URL fetched from (after insteadOf) */
	char *anon;        /* the URL without user info, for messages */
	struct gcred cred; /* what the helpers gave */
	int cred_state;    /* 0 none asked, 1 given, 2 failed */
	bool insecure;
	bool prompt_failed;
	char prompt_msg[1100];
	git_strarray headers;
	char *proxy;
};

/* Reads the configuration that applies to url (cfg is the repository's stack). */
int gtransport_init(struct gtransport *t, git_config *cfg, const char *url);
void gtransport_apply(struct gtransport *t, git_remote_callbacks *cb, git_proxy_options *proxy,
		      git_strarray *headers);
/* Prints git's "fatal: ..." for the libgit2 error of a failed fetch; 128. */
int gtransport_fatal(struct gtransport *t);
/* After the transfer: approve (ok) or reject the helper's credential. */
void gtransport_finish(struct gtransport *t, bool ok);
void gtransport_dispose(struct gtransport *t);

/* url without user info (malloc'd). */
char *gtransport_anonymize(const char *url);

#endif
