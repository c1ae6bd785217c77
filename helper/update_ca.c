/* update-ca-certificates for the helper image, which has no Debian tooling:
 * rebuilds /etc/ssl/certs/ca-certificates.crt from the compiled-in Mozilla roots
 * and /usr/local/share/ca-certificates/ **.crt. Debian's options that name the
 * two directories are kept, so image builds (and tests) can point at a tree. */
#include <stdio.h>
#include <string.h>

#include "../certs/certs.h"
#include "error.h"
#include "update_ca.h"

static void update_ca_usage(FILE *to)
{
	fputs("usage: update-ca-certificates [OPTION]...\n"
	      "Rebuilds ETCCERTSDIR/ca-certificates.crt: Mozilla's roots (built into cihelper)\n"
	      "followed by every *.crt under LOCALCERTSDIR.\n"
	      "  -f, --fresh                 accepted; every run rebuilds from scratch\n"
	      "  -v, --verbose               list the local files added\n"
	      "      --localcertsdir DIR     default /usr/local/share/ca-certificates\n"
	      "      --etccertsdir DIR       default /etc/ssl/certs\n"
	      "  -h, --help\n", to);
}

int update_ca_main(int argc, char **argv)
{
	const char *local = "/usr/local/share/ca-certificates", *etc = "/etc/ssl/certs";
	struct certs_sysbundle_report rep = { 0, 0, BUF_INIT };
	int verbose = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-f") || !strcmp(a, "--fresh"))
			continue;
		if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
			verbose = 1;
		else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			update_ca_usage(stdout);
			return 0;
		} else if ((!strcmp(a, "--localcertsdir") || !strcmp(a, "--etccertsdir")) && i + 1 < argc) {
			*(a[2] == 'l' ? &local : &etc) = argv[++i];
		} else {
			fprintf(stderr, "update-ca-certificates: unknown argument '%s'\n", a);
			update_ca_usage(stderr);
			return 2;
		}
	}
	printf("Updating certificates in %s...\n", etc);
	fflush(stdout);
	if (certs_sysbundle_write(etc, local, &rep) < 0) {
		fprintf(stderr, "update-ca-certificates: %s\n", err_last()->msg);
		buf_dispose(&rep.skipped);
		return 1;
	}
	for (const char *p = buf_cstr(&rep.skipped); *p;) {
		size_t n = strcspn(p, "\n");
		fprintf(stderr, "WARNING: %.*s does not contain a certificate: skipping\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
	if (verbose)
		printf("%zu certificates from %s\n", rep.local, local);
	printf("%zu added, 0 removed; done.\n", rep.system + rep.local);
	buf_dispose(&rep.skipped);
	return 0;
}
