/* tls-check <https-url|host[:port]>: shows which trust sources cihelper uses and
 * whether a verified TLS handshake with the server succeeds (cihelper's own). */
#include <stdio.h>
#include <string.h>

#include "../certs/certs.h"
#include "../net/conn.h"
#include "app.h"
#include "buf.h"
#include "error.h"
#include "flags.h"
#include "log.h"

/* Splits "https://host:port/x", "host:port", "[v6]:port" or "host" in place. */
static int parse_target(char *s, const char **host_out, const char **port)
{
	char *p, *end;

	if ((p = strstr(s, "://"))) {
		if (strncmp(s, "https://", 8)) {
			*p = '\0'; /* name the scheme only: the rest may hold credentials */
			return err_set(CIH_EUSAGE, "only https:// URLs can be checked, not %s://", s);
		}
		s = p + 3;
	}
	s[strcspn(s, "/?#")] = '\0';
	if ((p = strrchr(s, '@')))
		s = p + 1; /* user info is dropped before anything is printed */
	*port = "443";
	if (*s == '[') {
		if (!(end = strchr(s, ']')))
			return err_set(CIH_EUSAGE, "bad address '%s'", s);
		*end++ = '\0';
		*host_out = s + 1;
		if (*end == ':')
			*port = end + 1;
	} else {
		*host_out = s;
		if ((p = strchr(s, ':'))) {
			*p = '\0';
			*port = p + 1;
		}
	}
	if (!**host_out || !**port)
		return err_set(CIH_EUSAGE, "bad address '%s'", s);
	return 0;
}

static int first_response_line(struct conn *c, const char *host, struct buf *out)
{
	char line[512];
	ssize_t n;
	size_t len = 0;
	int rc;

	buf_clear(out);
	buf_printf(out, "GET / HTTP/1.1\r\nHost: %s\r\nUser-Agent: cihelper tls-check\r\n"
			"Connection: close\r\n\r\n", host);
	if ((rc = conn_write_all(c, out->ptr, out->len)) < 0)
		return rc;
	while (len < sizeof(line) - 1 && !memchr(line, '\n', len)) {
		if ((n = conn_read(c, line + len, sizeof(line) - 1 - len)) < 0)
			return (int)n;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	line[len] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	printf("response: %s\n", *line ? line : "(none)");
	return 0;
}

int cmd_tls_check(int argc, char **argv)
{
	struct certs_opts copts = { 0 };
	int64_t timeout = 10000000000;
	const struct flag flags[] = {
		{ "ca-file", NULL, FLAG_STR, &copts.ca_file, NULL, "extra trusted CA certificates (PEM)", 0, NULL },
		{ "cert-file", NULL, FLAG_STR, &copts.cert_file, NULL, "client certificate (PEM)", 0, NULL },
		{ "key-file", NULL, FLAG_STR, &copts.key_file, NULL, "client key (PEM)", 0, NULL },
		{ "insecure", NULL, FLAG_BOOL, &copts.insecure, NULL, "skip verification (dangerous)", 0, NULL },
		{ "timeout", NULL, FLAG_DURATION, &timeout, NULL, "connect and handshake timeout (default: 10s)", 0, NULL },
	};
	struct certs_tls *tls = NULL;
	struct conn *c = NULL;
	struct buf out = BUF_INIT;
	const char *port = "443";
	int rc;

	argc--, argv++;
	if (app_command_flags(flags, sizeof(flags) / sizeof(flags[0]), &argc, &argv, &rc))
		return rc;
	if (argc != 1) {
		log_fatal("expected one argument: https://host[:port] or host[:port]");
		return 1;
	}
	rc = 1;
	if (timeout < 1000000) {
		log_fatal("--timeout must be at least 1ms, not %lldns", (long long)timeout);
		goto out;
	}
	if (parse_target(argv[0], &copts.host, &port) < 0) {
		app_fatal_error(NULL);
		goto out;
	}
	if (copts.insecure)
		log_warn("TLS verification is DISABLED for %s: the server's identity is not checked",
			 copts.host);
	if (certs_tls_new(&tls, &copts) < 0) {
		app_fatal_error(NULL);
		goto out;
	}
	buf_puts(&out, "trust:\n");
	certs_tls_describe(tls, &out);
	fputs(buf_cstr(&out), stdout);
	fflush(stdout);
	buf_clear(&out);
	if (conn_open(&c, copts.host, port,
		      &(struct conn_opts){ .connect_timeout_ms = timeout / 1000000,
					   .io_timeout_ms = timeout / 1000000,
					   .tls = tls }) < 0) {
		app_fatal_error(NULL);
		goto out;
	}
	buf_printf(&out, "connected to %s:%s\n", copts.host, port);
	conn_describe(c, &out);
	fputs(buf_cstr(&out), stdout);
	fflush(stdout);
	/* TLS 1.3 servers reject a client certificate only after the handshake: one
	 * request and its status line prove the connection is really usable. */
	if (first_response_line(c, copts.host, &out) < 0) {
		app_fatal_error(NULL);
		goto out;
	}
	rc = 0;
out:
	conn_close(c);
	certs_tls_free(tls);
	buf_dispose(&out);
	return rc;
}
