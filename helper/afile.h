/* A file that appears complete or not at all: written to a temporary name next to
 * its path, then fchmod, fsync and rename. */
#ifndef CIH_AFILE_H
#define CIH_AFILE_H

#include <stddef.h>
#include <sys/types.h>

struct afile {
	int fd;
	char *tmp;
	char *path;
};

/* Creates "<path>.tmpXXXXXX" (0600). */
int afile_create(struct afile *f, const char *path);
int afile_write(struct afile *f, const void *data, size_t len);
/* Sets mode (umask not applied), fsyncs and renames onto path; f is released. */
int afile_commit(struct afile *f, mode_t mode);
/* Removes the temporary file; safe after a failed commit or create. */
void afile_abort(struct afile *f);

#endif
