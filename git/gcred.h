/* git credentials: the key=value protocol of git-credential(1) and the helpers
 * configured by credential.helper / credential.<url>.helper ("!cmd" runs through
 * /bin/sh, "/abs/path", or "name" meaning git-credential-name), with
 * credential.<url>.username and credential.useHttpPath. */
#ifndef CIH_GIT_GCRED_H
#define CIH_GIT_GCRED_H

#include <stdbool.h>
#include <stdio.h>

#include <git2.h>

struct gcred {
	char *protocol;
	char *host; /* host[:port] */
	char *path;
	char *username;
	char *password;
	char *url; /* as given, when it was */
	bool quit;
};

/* Fills protocol, host, path, username and password from a URL. */
int gcred_from_url(struct gcred *c, const char *url);
/* Reads key=value lines until a blank line or EOF ("url=" expands). */
int gcred_read(struct gcred *c, FILE *in);
int gcred_write(const struct gcred *c, FILE *out);

/* Asks the helpers in order until username and password are known. No terminal
 * prompting here: CIH_EAUTH with git's text ("could not read Username for '<url>':
 * terminal prompts disabled") when they stay unknown. */
int gcred_fill(struct gcred *c, git_config *cfg);
int gcred_approve(const struct gcred *c, git_config *cfg);
int gcred_reject(const struct gcred *c, git_config *cfg);
void gcred_dispose(struct gcred *c);

#endif
