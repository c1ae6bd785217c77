#include "tls_stream.h"

#include <stdlib.h>
#include <string.h>

#include <git2.h>
#include <git2/sys/errors.h>
#include <git2/sys/stream.h>

#include "../certs/certs.h"
#include "../helper/error.h"
#include "../net/conn.h"

/* libgit2's own defaults are "none"; a stalled server must not hang a job forever.
 * The handshake has its own deadline; after it, an idle limit per read or write. */
#define DEFAULT_CONNECT_TIMEOUT_MS 30000
#define DEFAULT_IO_TIMEOUT_MS (5 * 60 * 1000)

static struct {
	char *ca_file, *cert_file, *key_file;
} files;

static int set_one(char **slot, const char *v)
{
	char *c = v ? strdup(v) : NULL;

	if (v && !c)
		return err_set(CIH_ENOMEM, "out of memory");
	free(*slot);
	*slot = c;
	return 0;
}

int gtls_set_files(const char *ca_file, const char *cert_file, const char *key_file)
{
	if (set_one(&files.ca_file, ca_file) < 0 || set_one(&files.cert_file, cert_file) < 0 ||
	    set_one(&files.key_file, key_file) < 0)
		return CIH_ENOMEM;
	return 0;
}

struct gtls {
	git_stream parent;
	char *host;
	char *port;
	git_stream *proxied; /* wrap: TLS over this already connected stream (not ours) */
	struct certs_tls *tls;
	struct conn *conn;
	git_cert_x509 cert;
};

static int report(int rc)
{
	git_error_set_str(rc == CIH_ETLS || rc == CIH_ECERT ? GIT_ERROR_SSL : GIT_ERROR_NET,
			  err_last()->msg);
	/* a verification failure is GIT_ECERTIFICATE, so certificate_check callbacks run */
	return rc == CIH_ECERT ? GIT_ECERTIFICATE : -1;
}

static ssize_t proxied_read(void *ctx, void *data, size_t len)
{
	git_stream *s = ctx;
	return s->read(s, data, len);
}

static ssize_t proxied_write(void *ctx, const void *data, size_t len)
{
	git_stream *s = ctx;
	return s->write(s, data, len, 0);
}

static int gtls_connect(git_stream *stream)
{
	struct gtls *st = (struct gtls *)stream;
	struct certs_opts co = { .host = st->host, .verify_optional = true, .ca_file = files.ca_file,
				 .cert_file = files.cert_file, .key_file = files.key_file };
	struct conn_opts o = {
		.connect_timeout_ms = stream->connect_timeout > 0 ? stream->connect_timeout
								  : DEFAULT_CONNECT_TIMEOUT_MS,
		.io_timeout_ms = stream->timeout > 0 ? stream->timeout : DEFAULT_IO_TIMEOUT_MS,
		.keep_unverified = true, /* libgit2 asks certificate_check, then closes or goes on */
	};
	int rc;

	if (!st->tls && (rc = certs_tls_new(&st->tls, &co)) < 0)
		return report(rc);
	o.tls = st->tls;
	if (st->proxied) {
		struct conn_transport t = { st->proxied, proxied_read, proxied_write };
		rc = conn_open_over(&st->conn, st->host, &t, &o);
	} else {
		rc = conn_open(&st->conn, st->host, st->port, &o);
	}
	return rc < 0 ? report(rc) : 0;
}

static int gtls_certificate(git_cert **out, git_stream *stream)
{
	struct gtls *st = (struct gtls *)stream;
	const unsigned char *der;
	size_t len;
	int rc;

	if (!st->conn)
		return report(err_set(CIH_ETLS, "no TLS connection to %s", st->host));
	if ((rc = conn_peer_cert(st->conn, &der, &len)) < 0)
		return report(rc);
	st->cert.parent.cert_type = GIT_CERT_X509;
	st->cert.data = (void *)der;
	st->cert.len = len;
	*out = &st->cert.parent;
	return 0;
}

static ssize_t gtls_read(git_stream *stream, void *data, size_t len)
{
	struct gtls *st = (struct gtls *)stream;
	ssize_t n = conn_read(st->conn, data, len);

	return n < 0 ? report((int)n) : n;
}

static ssize_t gtls_write(git_stream *stream, const char *data, size_t len, int flags)
{
	struct gtls *st = (struct gtls *)stream;
	int rc = conn_write_all(st->conn, data, len);

	(void)flags;
	return rc < 0 ? report(rc) : (ssize_t)len;
}

static int gtls_close(git_stream *stream)
{
	struct gtls *st = (struct gtls *)stream;

	conn_close(st->conn);
	st->conn = NULL;
	return 0;
}

static void gtls_free(git_stream *stream)
{
	struct gtls *st = (struct gtls *)stream;

	conn_close(st->conn);
	certs_tls_free(st->tls);
	free(st->host);
	free(st->port);
	free(st);
}

static int gtls_new(git_stream **out, const char *host, const char *port, git_stream *proxied)
{
	struct gtls *st = calloc(1, sizeof(*st));

	if (!st || !(st->host = strdup(host)) || (port && !(st->port = strdup(port)))) {
		if (st)
			free(st->host);
		free(st);
		git_error_set_oom();
		return -1;
	}
	st->proxied = proxied;
	st->parent.version = GIT_STREAM_VERSION;
	st->parent.encrypted = 1;
	st->parent.proxy_support = 0; /* libgit2 tunnels and then calls wrap */
	st->parent.connect = gtls_connect;
	st->parent.certificate = gtls_certificate;
	st->parent.read = gtls_read;
	st->parent.write = gtls_write;
	st->parent.close = gtls_close;
	st->parent.free = gtls_free;
	*out = &st->parent;
	return 0;
}

static int gtls_init(git_stream **out, const char *host, const char *port)
{
	return gtls_new(out, host, port, NULL);
}

static int gtls_wrap(git_stream **out, git_stream *in, const char *host)
{
	return gtls_new(out, host, NULL, in);
}

int gtls_register(void)
{
	git_stream_registration reg = { GIT_STREAM_VERSION, gtls_init, gtls_wrap };

	if (git_stream_register(GIT_STREAM_TLS, &reg) < 0)
		return err_set(CIH_EGIT, "cannot register the TLS stream with libgit2");
	return 0;
}
