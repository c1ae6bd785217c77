/* SHA-256 of the statement's subjects: whole files, one per thread at a time. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <mbedtls/sha256.h>

#include "error.h"
#include "slsa_internal.h"

#define BUF (256u << 10)

struct hjob {
	const struct sel_entry *const *items;
	size_t n;
	unsigned char (*digests)[32];
	pthread_mutex_t mu;
	size_t next;   /* the next item to claim */
	size_t failed; /* the first failing item so far; n when none */
	int rc;
	char msg[ERR_MSG_MAX];
};

static int hash_one(const char *path, unsigned char *buf, unsigned char out[32])
{
	mbedtls_sha256_context ctx;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), rc = 0;

	if (fd < 0)
		return err_os("open %s", path);
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	mbedtls_sha256_init(&ctx);
	mbedtls_sha256_starts(&ctx, 0);
	for (;;) {
		ssize_t r = read(fd, buf, BUF);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = err_os("read %s", path);
			break;
		}
		if (r == 0)
			break;
		mbedtls_sha256_update(&ctx, buf, (size_t)r);
	}
	if (rc == 0)
		mbedtls_sha256_finish(&ctx, out);
	mbedtls_sha256_free(&ctx);
	close(fd);
	return rc;
}

static void *worker(void *arg)
{
	struct hjob *j = arg;
	unsigned char *buf = malloc(BUF);

	for (;;) {
		pthread_mutex_lock(&j->mu);
		size_t i = j->next < j->failed ? j->next++ : j->n;
		pthread_mutex_unlock(&j->mu);
		if (i >= j->n)
			break;
		int rc = buf ? hash_one(j->items[i]->path, buf, j->digests[i])
			     : err_set(CIH_ENOMEM, "out of memory");
		if (rc < 0) {
			/* the error slot is per thread: the message is carried over */
			pthread_mutex_lock(&j->mu);
			if (i < j->failed) {
				j->failed = i;
				j->rc = rc;
				memcpy(j->msg, err_last()->msg, sizeof(j->msg));
			}
			pthread_mutex_unlock(&j->mu);
		}
	}
	free(buf);
	return NULL;
}

int slsa__hash_files(const struct sel_entry *const *items, size_t n, unsigned char (*digests)[32],
		     int threads)
{
	struct hjob j = { .items = items, .n = n, .digests = digests, .failed = n };
	pthread_t tids[64];
	int started = 0;

	if (pthread_mutex_init(&j.mu, NULL) != 0)
		return err_set(CIH_ERR, "pthread_mutex_init failed");
	if (threads > 64)
		threads = 64;
	while (started + 1 < threads && pthread_create(&tids[started], NULL, worker, &j) == 0)
		started++;
	worker(&j); /* this thread is one of them */
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	pthread_mutex_destroy(&j.mu);
	if (j.failed < n)
		return err_set(j.rc, "%s", j.msg);
	return 0;
}
