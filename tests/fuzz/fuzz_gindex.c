/* A fetched pack stream (untrusted): the indexer of git/gindex.h, with two worker
 * threads. Input: one byte that picks the chunk size of the appends, then the
 * stream. Checks (beyond the sanitizers): a failed stream leaves nothing in the
 * pack directory; an accepted one leaves exactly pack-<sha>.pack and .idx. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../git/gindex.h"

static char dir[64];

/* the names in dir, removed; their count */
static int sweep(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[400];
	int n = 0;

	if (!d)
		abort();
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
		n++;
	}
	closedir(d);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	git_odb_backend be = { 0 };
	git_indexer_progress stats = { 0 };
	git_odb_writepack *w;
	size_t chunk;
	int rc = 0;

	if (!size)
		return 0;
	/* made and removed for each input: nothing stays behind */
	snprintf(dir, sizeof(dir), "/dev/shm/fuzz-gindex-%d", (int)getpid());
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		abort();
	chunk = (size_t)data[0] * 3 + 1;
	data++, size--;
	if (gindex_new(&w, &be, NULL, dir, 2, NULL, NULL) < 0)
		abort();
	for (size_t off = 0; off < size && rc == 0; off += chunk)
		rc = w->append(w, data + off, size - off < chunk ? size - off : chunk, &stats);
	if (rc == 0)
		rc = w->commit(w, &stats);
	w->free(w);
	if (sweep() != (rc == 0 && stats.total_objects ? 2 : 0))
		abort();
	rmdir(dir);
	return 0;
}
