/* The pack indexer of our fetches: libgit2 hands each received pack to the
 * highest-priority odb backend that can write one, the gpack backend, which gives
 * it to us instead of libgit2's single-threaded indexer. The stream is written to
 * a temporary file and scanned while it arrives (objects inflated with libdeflate,
 * whole objects hashed on worker threads); after the last byte the deltas are
 * resolved on worker threads (each base inflated once for all its children), thin
 * packs completed from the repository, and pack-<sha>.pack then .idx (v2) renamed
 * into place, as git index-pack does. */
#ifndef CIH_GIT_GINDEX_H
#define CIH_GIT_GINDEX_H

#include <git2.h>
#include <git2/sys/odb_backend.h>

/* A writepack for the pack directory pack_dir of odb; be is the backend that
 * answers for it: its refresh() is called once the pack is in place. threads: the
 * workers, 0 for as many as the CPUs we may run on, at most 8. */
int gindex_new(git_odb_writepack **out, git_odb_backend *be, git_odb *odb, const char *pack_dir,
	       unsigned threads, git_indexer_progress_cb progress_cb, void *progress_payload);

#endif
