/* The helper image's /entrypoint and /usr/bin/gitlab-runner-build.
 *
 * /entrypoint installs the runner's custom CA (CA_CERTIFICATES_PATH, default
 * /etc/gitlab-runner/certs/ca.crt) when it differs from the installed copy,
 * printing "Updating CA certificates..." as the upstream script does, then runs
 * its arguments. gitlab-runner-build sets umask 0000 and becomes /bin/bash, so
 * files the helper creates stay writable by the build container's user. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../certs/certs.h"
#include "afile.h"
#include "buf.h"
#include "entrypoint.h"
#include "error.h"

#define ENTRY_LOCAL_CA_DIR "/usr/local/share/ca-certificates"
#define ENTRY_LOCAL_CA ENTRY_LOCAL_CA_DIR "/ca.crt"
#define ENTRY_ETC_CERTS "/etc/ssl/certs"

/* Reads a whole small file; CIH_ENOTFOUND when it does not exist. */
static int entry_slurp(struct buf *out, const char *path)
{
	char chunk[8192];
	ssize_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return errno == ENOENT ? CIH_ENOTFOUND : err_os("cannot open '%s'", path);
	while ((n = (ssize_t)fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_put(out, chunk, (size_t)n) < 0) {
			fclose(f);
			return err_set(CIH_ENOMEM, "out of memory");
		}
	if (ferror(f)) {
		fclose(f);
		return err_os("cannot read '%s'", path);
	}
	fclose(f);
	return 0;
}

int entry_install_ca(const char *ca_path, const char *local_dir, const char *etc_dir,
		     FILE *progress)
{
	struct buf want = BUF_INIT, have = BUF_INIT, local = BUF_INIT;
	struct certs_sysbundle_report rep = { 0, 0, BUF_INIT };
	struct stat st;
	struct afile f;
	int rc;

	if (stat(ca_path, &st) < 0 || !S_ISREG(st.st_mode))
		return 0; /* [ -f "$CA_CERTIFICATES_PATH" ] */
	if ((rc = entry_slurp(&want, ca_path)) < 0 || (rc = buf_printf(&local, "%s/ca.crt", local_dir)) < 0)
		goto out;
	rc = entry_slurp(&have, buf_cstr(&local));
	if (rc == 0 && have.len == want.len && !memcmp(have.ptr, want.ptr, want.len))
		goto out; /* cmp -s: already installed */
	fputs("Updating CA certificates...\n", progress);
	fflush(progress);
	if (mkdir(local_dir, 0755) < 0 && errno != EEXIST) {
		rc = err_os("cannot create '%s'", local_dir);
		goto out;
	}
	if ((rc = afile_create(&f, buf_cstr(&local))) < 0)
		goto out;
	if ((rc = afile_write(&f, want.ptr, want.len)) < 0 || (rc = afile_commit(&f, 0644)) < 0) {
		afile_abort(&f);
		goto out;
	}
	if ((rc = certs_sysbundle_write(etc_dir, local_dir, &rep)) == 0 && rep.skipped.len)
		rc = err_set(CIH_ECORRUPT, "%s: no PEM or DER certificate in it", ca_path);
out:
	buf_dispose(&want);
	buf_dispose(&have);
	buf_dispose(&local);
	buf_dispose(&rep.skipped);
	return rc < 0 ? rc : 0;
}

/* exec as the shell's `exec "$@"`: 127 when not found, 126 when not runnable. */
static int entry_exec(const char *who, const char *file, char **argv)
{
	signal(SIGPIPE, SIG_DFL); /* main() ignores it; exec would keep that */
	fflush(NULL);
	execvp(file, argv);
	fprintf(stderr, "%s: exec: %s: %s\n", who, file, strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

int entry_main(int argc, char **argv)
{
	const char *ca = getenv("CA_CERTIFICATES_PATH");

	if (!ca || !*ca)
		ca = "/etc/gitlab-runner/certs/ca.crt";
	if (entry_install_ca(ca, ENTRY_LOCAL_CA_DIR, ENTRY_ETC_CERTS, stdout) < 0)
		fprintf(stderr, "%s: CA certificate not installed: %s\n", argv[0], err_last()->msg);
	if (argc < 2)
		return 0;
	return entry_exec(argv[0], argv[1], argv + 1);
}

int entry_build_main(int argc, char **argv)
{
	/* argv[0] becomes the shell's name, the rest passes through */
	umask(0);
	argv[0] = (char *)"/bin/bash";
	(void)argc;
	return entry_exec("gitlab-runner-build", "/bin/bash", argv);
}
