/* A pack-file ODB backend for libgit2, tried before libgit2's own: objects are
 * inflated with libdeflate and delta bases are kept in an LRU cache like git's
 * (core.deltaBaseCacheLimit), so checking out a big repository reads its pack
 * about as fast as git does. Objects it does not hold (loose, alternates, packs
 * it cannot read) are left to libgit2's backends. */
#ifndef CIH_GIT_GPACK_H
#define CIH_GIT_GPACK_H

#include <stddef.h>

#include <git2.h>

/* Adds the backend to repo's odb once (a second call is a no-op); SHA-1
 * repositories only (otherwise 0 without attaching). From then on the packs that
 * libgit2 fetches into repo are indexed by gindex (gindex.h). A negative error
 * leaves the odb as it was. */
int gpack_attach(git_repository *repo);

/* git's delta format (git/gpack_delta.c, no libgit2): applies delta to base into
 * *out (malloc'd, NUL-terminated, *out_len bytes before the NUL). Every size and
 * copy is checked; malformed input is CIH_ECORRUPT with a message. */
int gpack_delta_apply(const unsigned char *base, size_t base_len, const unsigned char *delta,
		      size_t delta_len, unsigned char **out, size_t *out_len);

/* The two sizes at the start of a delta; *hdr_len is where the ops begin. */
int gpack_delta_sizes(const unsigned char *delta, size_t delta_len, size_t *src_size,
		      size_t *tgt_size, size_t *hdr_len);

/* The target size of a delta for a base of base_len bytes: checks the source size
 * and that the ops could make that much (a hostile header asks for no huge buffer). */
int gpack_delta_target(const unsigned char *delta, size_t delta_len, size_t base_len, size_t *tgt_size);

/* gpack_delta_apply into a caller's buffer of exactly tgt_size bytes (from
 * gpack_delta_target). */
int gpack_delta_apply_into(const unsigned char *base, size_t base_len, const unsigned char *delta,
			   size_t delta_len, unsigned char *out, size_t tgt_size);

#endif
