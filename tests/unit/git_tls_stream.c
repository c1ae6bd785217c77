/* libgit2 https goes through our TLS stream, hence our trust store. The server is
 * openssl s_server: it answers every GET with text/html, so a libgit2 error about
 * the content type means the TLS handshake and verification passed. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <git2.h>

#include "../../git/tls_stream.h"
#include "../../net/tcp.h"
#include "unit.h"

static pid_t server = -1;

static void stop_server(void);

static void start_server(char *port, size_t size)
{
	const char *fx = getenv("CIH_FIXTURES");
	char cert[1024], key[1024], accept_at[64];
	int fd;

	if (!fx)
		unit_skip("CIH_FIXTURES is not set (scripts/run-tests makes the test PKI)");
	snprintf(cert, sizeof(cert), "%s/server.pem", fx);
	snprintf(key, sizeof(key), "%s/server.key", fx);
	for (int attempt = 0; attempt < 5; attempt++) {
		snprintf(port, size, "%d", 20000 + (int)(getpid() * 7 + attempt * 131) % 40000);
		snprintf(accept_at, sizeof(accept_at), "127.0.0.1:%s", port);
		if ((server = fork()) == 0) {
			int null = open("/dev/null", O_WRONLY);
			dup2(null, 1);
			dup2(null, 2);
			execlp("openssl", "openssl", "s_server", "-quiet", "-www", "-accept", accept_at,
			       "-cert", cert, "-key", key, (char *)NULL);
			_exit(127);
		}
		for (int i = 0; i < 100; i++) {
			if (tcp_connect(&fd, "127.0.0.1", port, 1000) == 0) {
				close(fd);
				unit_defer(stop_server);
				return;
			}
			if (waitpid(server, NULL, WNOHANG) == server)
				break; /* port taken or openssl missing: next attempt */
			usleep(50000);
		}
		kill(server, SIGTERM);
		waitpid(server, NULL, 0);
	}
	unit_fail(__FILE__, __LINE__, "openssl s_server did not start");
}

static void stop_server(void)
{
	if (server > 0) {
		kill(server, SIGTERM);
		waitpid(server, NULL, 0);
	}
	server = -1;
}

/* libgit2 with our stream, a server, and SSL_CERT_FILE as the only root source. */
static void setup(char *port, size_t psize, char *url, size_t usize, const char *ca_name)
{
	char ca[1024];

	CHECK(git_libgit2_init() > 0);
	CHECK_OK(gtls_register());
	start_server(port, psize);
	snprintf(url, usize, "https://localhost:%s/group/repo.git", port);
	unsetenv("SSL_CERT_DIR");
	unsetenv("GIT_SSL_CAINFO");
	snprintf(ca, sizeof(ca), "%s/%s", getenv("CIH_FIXTURES"), ca_name);
	setenv("SSL_CERT_FILE", ca, 1);
}

static int seen_valid = -1, seen_type = -1;
static size_t seen_len;

/* A certificate_check callback: records what it was shown, answers *payload. */
static int check_cert(git_cert *cert, int valid, const char *host, void *payload)
{
	seen_valid = valid;
	seen_type = (int)cert->cert_type;
	seen_len = cert->cert_type == GIT_CERT_X509 ? ((git_cert_x509 *)cert)->len : 0;
	(void)host;
	return *(int *)payload;
}

static int ls_remote(const char *url, int *answer)
{
	git_remote *remote = NULL;
	git_remote_callbacks cb;
	int rc = git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);

	if (answer) {
		cb.certificate_check = check_cert;
		cb.payload = answer;
	}
	if (rc == 0)
		rc = git_remote_create_detached(&remote, url);
	if (rc == 0)
		rc = git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, NULL, NULL);
	git_remote_free(remote);
	return rc;
}

TEST(git_tls_stream_libgit2_https_uses_our_trust_store)
{
	char port[16], url[128], ca[1024], last[512];
	const char *msg;
	int rc;

	setup(port, sizeof(port), url, sizeof(url), "ca.pem");
	rc = ls_remote(url, NULL);
	msg = git_error_last() ? git_error_last()->message : "";
	if (rc == 0 || !strstr(msg, "content-type")) {
		stop_server();
		unit_fail(__FILE__, __LINE__, "trusted CA: rc %d, want a content-type error: %s", rc, msg);
	}

	snprintf(ca, sizeof(ca), "%s/other-ca.pem", getenv("CIH_FIXTURES"));
	setenv("SSL_CERT_FILE", ca, 1);
	rc = ls_remote(url, NULL);
	/* the message dies with libgit2's shutdown */
	snprintf(last, sizeof(last), "%s", git_error_last() ? git_error_last()->message : "");
	unsetenv("SSL_CERT_FILE");
	stop_server();
	git_libgit2_shutdown();
	CHECK_INT(rc, GIT_ECERTIFICATE);
	CHECK_STR(last, "tls: x509: certificate signed by unknown authority (host localhost)");
}

TEST(git_tls_stream_certificate_check_callback_sees_and_decides)
{
	char port[16], url[128], last[512];
	int accept = 0, passthrough = GIT_PASSTHROUGH, rc1, rc2;

	setup(port, sizeof(port), url, sizeof(url), "other-ca.pem");

	/* the callback accepts the unverified server: libgit2 goes on over our stream */
	rc1 = ls_remote(url, &accept);
	snprintf(last, sizeof(last), "%s", git_error_last() ? git_error_last()->message : "");
	/* it passes: our verdict and our message stand */
	rc2 = ls_remote(url, &passthrough);
	unsetenv("SSL_CERT_FILE");
	stop_server();
	CHECK(rc1 < 0);
	if (!strstr(last, "content-type"))
		unit_fail(__FILE__, __LINE__, "accepted certificate: want a content-type error, got: %s", last);
	CHECK(rc2 < 0);
	snprintf(last, sizeof(last), "%s", git_error_last() ? git_error_last()->message : "");
	git_libgit2_shutdown();
	CHECK_STR(last, "tls: x509: certificate signed by unknown authority (host localhost)");
	CHECK_INT(seen_valid, 0);
	CHECK_INT(seen_type, GIT_CERT_X509);
	CHECK(seen_len > 100);
}
