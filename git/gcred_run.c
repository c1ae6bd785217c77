/* credential.c's config and helpers: credential.* through gurl (every match, in
 * config order), helpers run as git runs them, fill / approve / reject. */
#include "gcred.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "../helper/fdio.h"
#include "gitcli.h"
#include "gurl.h"

extern char **environ;

struct cfg_state {
	struct gcred *c;
	char **helpers;
	size_t n;
};

static void helpers_dispose(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int config_cb(const char *key, const char *value, void *payload)
{
	struct cfg_state *s = payload;
	char **nv;
	int b;

	if (!value)
		return err_set(CIH_EUSAGE, "missing value for 'credential.%s'", key);
	if (!strcmp(key, "helper")) {
		if (!*value) {
			helpers_dispose(s->helpers, s->n);
			s->helpers = NULL;
			s->n = 0;
			return 0;
		}
		if (!(nv = realloc(s->helpers, (s->n + 1) * sizeof(*nv))))
			return err_set(CIH_ENOMEM, "out of memory");
		s->helpers = nv;
		if (!(nv[s->n] = strdup(value)))
			return err_set(CIH_ENOMEM, "out of memory");
		s->n++;
	} else if (!strcmp(key, "username")) {
		if (!s->c->username_from_proto) {
			char *u = strdup(value);

			if (!u)
				return err_set(CIH_ENOMEM, "out of memory");
			gcred_zfree(s->c->username);
			s->c->username = u;
		}
	} else if (!strcmp(key, "usehttppath")) {
		if ((b = gcred_parse_bool(value)) < 0)
			return err_set(CIH_EUSAGE, "bad boolean config value '%s' for 'credential.usehttppath'",
				       value);
		s->c->use_http_path = b;
	}
	return 0;
}

/* credential.<partial-url>.*: matched field by field against the credential. */
static int match_partial(const char *config_url, void *payload)
{
	struct cfg_state *s = payload;
	struct gcred want = { 0 };
	int m = 0;

	if (gcred_parse_url(&want, config_url, true, false) < 0) {
		char *masked = gcred_mask_url(config_url);

		gitcli_warning("skipping credential lookup for key: credential.%s", masked ? masked : "");
		free(masked);
	} else {
		m = gcred_match(&want, s->c);
	}
	gcred_dispose(&want);
	return m;
}

/* strbuf_add_percentencode(): unsafe and reserved characters as %XX. */
static void percent_encode(struct buf *b, const char *s, bool slash)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch <= 0x1F || ch >= 0x7F || (ch == '/' && slash) ||
		    strchr(" <>\"%{}|\\^`:?#[]@!$&'()*+,;=", ch))
			buf_printf(b, "%%%02X", ch);
		else
			buf_putc(b, (char)ch);
	}
}

/* The URL the config is matched against: protocol://[user@]host[/path]. */
static int config_url(const struct gcred *c, struct buf *b)
{
	buf_printf(b, "%s://", c->protocol);
	if (c->username && *c->username) {
		percent_encode(b, c->username, true);
		buf_putc(b, '@');
	}
	buf_puts(b, c->host);
	if (c->path) {
		buf_putc(b, '/');
		percent_encode(b, c->path, false);
	}
	return b->failed ? CIH_ENOMEM : 0;
}

static bool proto_is_http(const char *s)
{
	return s && (!strcmp(s, "https") || !strcmp(s, "http"));
}

int gcred_config(struct gcred *c, git_config *cfg, char ***helpers, size_t *nhelpers)
{
	struct cfg_state s = { c, NULL, 0 };
	struct gurl_walk w = { "credential", NULL, 1, match_partial, config_cb, &s };
	struct buf url = BUF_INIT;
	int rc;

	*helpers = NULL;
	*nhelpers = 0;
	if (!c->host)
		return err_set(CIH_EUSAGE, "refusing to work with credential missing host field");
	if (!c->protocol)
		return err_set(CIH_EUSAGE, "refusing to work with credential missing protocol field");
	if ((rc = config_url(c, &url)) == 0)
		rc = gurl_foreach(cfg, url.ptr, &w);
	buf_dispose(&url);
	if (rc < 0) {
		helpers_dispose(s.helpers, s.n);
		return rc;
	}
	if (!c->use_http_path && proto_is_http(c->protocol)) {
		free(c->path);
		c->path = NULL;
	}
	*helpers = s.helpers;
	*nhelpers = s.n;
	return 0;
}

/* Sends the credential to the helper's stdin, SIGPIPE ignored: a helper may
 * exit without reading. */
static int feed(int fd, const struct gcred *c)
{
	struct sigaction ign = { 0 }, old;
	struct buf b = BUF_INIT;
	int rc;

	if ((rc = gcred_format(c, &b)) == 0) {
		ign.sa_handler = SIG_IGN;
		sigaction(SIGPIPE, &ign, &old);
		fdio_write_all(fd, b.ptr, b.len);
		sigaction(SIGPIPE, &old, NULL);
	}
	if (b.ptr)
		explicit_bzero(b.ptr, b.cap);
	buf_dispose(&b);
	return rc;
}

/* The helper's answer to "get", read into c. Only a malformed line is forgiven
 * (git warns and goes on); a bad url= or quit= is fatal, as in git. */
static int answer(int fd, struct gcred *c)
{
	char vbuf[4096];
	FILE *fp = fdopen(fd, "r");
	int rc;

	if (!fp) {
		close(fd);
		return err_os("fdopen");
	}
	setvbuf(fp, vbuf, _IOFBF, sizeof(vbuf));
	rc = gcred_read(c, fp);
	fclose(fp);
	explicit_bzero(vbuf, sizeof(vbuf));
	return rc == CIH_ECORRUPT ? 0 : rc;
}

/* git's credential_do(): "!cmd", "/abs/path" or "git credential-<name>", then
 * the operation, run as `/bin/sh -c '<cmd> <op>' '<cmd> <op>'` (run-command's
 * use_shell: the command has a space, so always through the shell). The exit
 * status does not matter. */
static int run_helper(struct gcred *c, const char *helper, const char *op)
{
	bool get = !strcmp(op, "get");
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, rc = 0, status, e;
	posix_spawn_file_actions_t fa;
	struct buf cmd = BUF_INIT;
	char *argv[5];
	pid_t pid;

	if (helper[0] == '!')
		buf_puts(&cmd, helper + 1);
	else if (helper[0] == '/')
		buf_puts(&cmd, helper);
	else
		buf_printf(&cmd, "git credential-%s", helper);
	buf_printf(&cmd, " %s", op);
	if (cmd.failed)
		return CIH_ENOMEM;
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = argv[3] = cmd.ptr;
	argv[4] = NULL;

	if (pipe2(in, O_CLOEXEC) < 0 ||
	    (get ? pipe2(out, O_CLOEXEC) : (out[1] = open("/dev/null", O_WRONLY | O_CLOEXEC))) < 0) {
		rc = err_os("cannot run %s", cmd.ptr);
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	fflush(stdout);
	e = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	if (e) {
		/* as git's start_command(): reported, then the next helper */
		gitcli_error("cannot run %s: %s", cmd.ptr, strerror(e));
		goto out;
	}
	rc = feed(in[1], c);
	close(in[1]);
	in[1] = -1;
	if (rc == 0 && get) {
		rc = answer(out[0], c);
		out[0] = -1;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	buf_dispose(&cmd);
	return rc;
}

/* credential_describe(): protocol://[user@]host[/path], for the prompt text. */
static void describe(const struct gcred *c, struct buf *b)
{
	buf_printf(b, "%s://", c->protocol);
	if (c->username && *c->username)
		buf_printf(b, "%s@", c->username);
	buf_puts(b, c->host);
	if (c->path)
		buf_printf(b, "/%s", c->path);
}

/* What git's prompt would have failed with: we never prompt. */
static int no_prompt(const struct gcred *c)
{
	const char *tp = getenv("GIT_TERMINAL_PROMPT");
	struct buf d = BUF_INIT;
	int b = tp ? gcred_parse_bool(tp) : 1, rc;

	if (b < 0)
		return err_set(CIH_EUSAGE, "bad boolean config value '%s' for 'GIT_TERMINAL_PROMPT'", tp);
	describe(c, &d);
	rc = err_set(CIH_EAUTH, "could not read %s for '%s': %s", c->username ? "Password" : "Username",
		     d.ptr ? d.ptr : "", b ? strerror(ENXIO) : "terminal prompts disabled");
	buf_dispose(&d);
	return rc;
}

int gcred_fill(struct gcred *c, git_config *cfg)
{
	char **helpers;
	size_t n;
	int rc;

	if (c->username && c->password)
		return 0;
	if ((rc = gcred_config(c, cfg, &helpers, &n)) < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if ((rc = run_helper(c, helpers[i], "get")) < 0)
			break;
		if (c->username && c->password)
			break;
		if (c->quit) {
			rc = err_set(CIH_EABORT, "credential helper '%s' told us to quit", helpers[i]);
			break;
		}
	}
	helpers_dispose(helpers, n);
	if (rc < 0)
		return rc;
	if (c->username && c->password)
		return 0;
	return no_prompt(c);
}

int gcred_approve(struct gcred *c, git_config *cfg)
{
	char **helpers;
	size_t n;
	int rc;

	if (!c->username || !c->password)
		return 0;
	if ((rc = gcred_config(c, cfg, &helpers, &n)) < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = run_helper(c, helpers[i], "store");
	helpers_dispose(helpers, n);
	return rc;
}

int gcred_reject(struct gcred *c, git_config *cfg)
{
	char **helpers;
	size_t n;
	int rc;

	if ((rc = gcred_config(c, cfg, &helpers, &n)) < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = run_helper(c, helpers[i], "erase");
	helpers_dispose(helpers, n);
	gcred_zfree(c->username);
	gcred_zfree(c->password);
	c->username = c->password = NULL;
	return rc;
}
