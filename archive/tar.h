/* A tar entry as the tar reader yields it and the tar writer takes it. */
#ifndef CIH_ARCHIVE_TAR_H
#define CIH_ARCHIVE_TAR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#define TAR_NAME_MAX 4095 /* PATH_MAX - 1: longer names and link names are refused */

enum tar_type {
	TAR_FILE,     /* '0', '\0' (without a trailing '/'), '7' */
	TAR_DIR,      /* '5', or '\0' with a trailing '/' */
	TAR_SYMLINK,  /* '2': linkname is the target */
	TAR_HARDLINK, /* '1': linkname is an earlier entry's name */
	TAR_CHAR,     /* '3' */
	TAR_BLOCK,    /* '4' */
	TAR_FIFO,     /* '6' */
	TAR_OTHER,    /* any other typeflag (vendor types like 'D', 'M', 'V'): typeflag says which */
};

struct tar_entry {
	const char *name;     /* as stored; directories usually end in '/' */
	const char *linkname; /* "" unless a link */
	enum tar_type type;
	char typeflag;        /* the raw header byte (reader only) */
	uint32_t mode;        /* permissions with suid, sgid and sticky (07777); no type bits */
	uint32_t uid, gid;
	int64_t mtime;        /* seconds since the epoch */
	uint32_t mtime_nsec;  /* fraction from a PAX mtime (reader only; the writer keeps seconds) */
	uint64_t size;        /* body bytes: 0 for all but files and TAR_OTHER */
};

/* Go's tar.FileInfoHeader for name, st (from lstat) and, for a symlink, its target:
 * type, mode, uid, gid, size, and the mtime rounded to the nearest second. false for
 * what a tar.zst archive skips (fifos, sockets, devices). The entry points at name and
 * link; the writer adds a directory's trailing '/'. */
bool tar_entry_from_stat(struct tar_entry *e, const char *name, const struct stat *st,
			 const char *link);

#endif
