/* git credentials: the key=value protocol of git-credential(1) and the helpers
 * configured by credential.helper / credential.<url>.helper ("!cmd" runs through
 * /bin/sh, "/abs/path", or "name" meaning git-credential-name), with
 * credential.<url>.username and credential.useHttpPath.
 *
 * As git's credential.c: every credential.<url>.* entry that matches applies, in
 * config order (not the most specific one); <url> may be partial ("example.com",
 * "https://", "/path"). Warnings git prints on stderr (a malformed line, a URL with
 * a newline) are printed here too, with passwords masked; errors are returned
 * with git's fatal text as the message. Passwords never reach a message and are
 * zeroed before their memory is freed. */
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
	bool username_from_proto; /* the username came in, config does not replace it */
	bool use_http_path;       /* credential.useHttpPath */
};

/* The longest protocol line read (git has no limit). */
#define GCRED_LINE_MAX 65536

/* Fills protocol, host, path, username and password from a URL (the whole
 * credential is reset first, as git's "url=" does). CIH_EUSAGE "credential url
 * cannot be parsed: <url>" after git's warning. */
int gcred_from_url(struct gcred *c, const char *url);
/* Reads key=value lines until a blank line or EOF ("url=" expands; unknown keys
 * are ignored). CIH_ECORRUPT for a line without '=', with a NUL byte or longer
 * than GCRED_LINE_MAX (warning printed; what came before stays read);
 * CIH_EUSAGE for a bad url= or quit= value. */
int gcred_read(struct gcred *c, FILE *in);
/* protocol, host, path, username, password lines, as git writes them (protocol
 * and host required; CIH_EUSAGE when missing or a value holds a newline). */
int gcred_write(const struct gcred *c, FILE *out);

/* Asks the helpers in order until username and password are known. No terminal
 * prompting here: CIH_EAUTH with git's text ("could not read Username for '<url>':
 * terminal prompts disabled" with GIT_TERMINAL_PROMPT=0, else "...: No such
 * device or address", git's text without a terminal) when they stay unknown;
 * CIH_EABORT when a helper answered quit=1. */
int gcred_fill(struct gcred *c, git_config *cfg);
/* "store" to every helper, when username and password are both known. */
int gcred_approve(struct gcred *c, git_config *cfg);
/* "erase" to every helper; username and password are forgotten. */
int gcred_reject(struct gcred *c, git_config *cfg);
void gcred_dispose(struct gcred *c);

/* --- for gcred_run.c and the credential-store command --- */

/* Whether want's set fields equal have's (git's credential_match). */
bool gcred_match(const struct gcred *want, const struct gcred *have);
/* git's credential_from_url_gently(): partial URLs allowed or not, warnings
 * printed unless quiet. -1 when the URL is unusable. */
int gcred_parse_url(struct gcred *c, const char *url, bool allow_partial, bool quiet);
/* Applies the credential.* config (username, useHttpPath) and collects the
 * helpers. CIH_EUSAGE "refusing to work with credential missing host field"... */
int gcred_config(struct gcred *c, git_config *cfg, char ***helpers, size_t *nhelpers);
struct buf;
/* The lines gcred_write() writes, appended to b. */
int gcred_format(const struct gcred *c, struct buf *b);
/* git_config_bool(): 1 for true/yes/on or a non-zero integer, 0 for
 * false/no/off/"" or 0, -1 otherwise. */
int gcred_parse_bool(const char *v);
/* Frees a string after zeroing it. */
void gcred_zfree(char *s);
/* The URL with its password, if any, replaced by [MASKED] (malloc'd). */
char *gcred_mask_url(const char *url);

#endif
