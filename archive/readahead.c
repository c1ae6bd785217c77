#include "readahead.h"

#include <pthread.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../helper/error.h"

#define BLOCKS 4
#define BLOCK (1u << 20)

struct block {
	unsigned char *data;
	size_t len, pos;
};

struct readahead {
	ssize_t (*source)(void *ctx, void *buf, size_t len);
	void *ctx;
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct block b[BLOCKS];
	size_t head, tail; /* blocks filled: tail - head; consumer at head */
	bool end, stop;
	int rc;
	char msg[ERR_MSG_MAX];
};

static void *produce(void *arg)
{
	struct readahead *ra = arg;

	for (;;) {
		pthread_mutex_lock(&ra->mu);
		while (!ra->stop && ra->tail - ra->head == BLOCKS)
			pthread_cond_wait(&ra->cv, &ra->mu);
		if (ra->stop) {
			pthread_mutex_unlock(&ra->mu);
			return NULL;
		}
		struct block *b = &ra->b[ra->tail % BLOCKS];
		pthread_mutex_unlock(&ra->mu);

		size_t len = 0;
		ssize_t n = 1;
		while (len < BLOCK && (n = ra->source(ra->ctx, b->data + len, BLOCK - len)) > 0)
			len += (size_t)n;

		pthread_mutex_lock(&ra->mu);
		b->len = len;
		b->pos = 0;
		if (len)
			ra->tail++;
		if (n <= 0) {
			ra->end = true;
			if (n < 0) {
				ra->rc = (int)n;
				snprintf(ra->msg, sizeof(ra->msg), "%s", err_last()->msg);
			}
		}
		pthread_cond_broadcast(&ra->cv);
		bool done = ra->end;
		pthread_mutex_unlock(&ra->mu);
		if (done)
			return NULL;
	}
}

int readahead_start(struct readahead **out, ssize_t (*source)(void *ctx, void *buf, size_t len),
		    void *ctx)
{
	struct readahead *ra = calloc(1, sizeof(*ra));

	*out = NULL;
	if (!ra)
		return err_set(CIH_ENOMEM, "out of memory");
	ra->source = source;
	ra->ctx = ctx;
	pthread_mutex_init(&ra->mu, NULL);
	pthread_cond_init(&ra->cv, NULL);
	for (int i = 0; i < BLOCKS; i++)
		if (!(ra->b[i].data = malloc(BLOCK))) {
			readahead_stop(ra);
			return err_set(CIH_ENOMEM, "out of memory");
		}
	int e = pthread_create(&ra->tid, NULL, produce, ra);
	if (e) {
		ra->tid = 0;
		readahead_stop(ra);
		return err_errno(CIH_EOS, e, "cannot start the read-ahead thread");
	}
	*out = ra;
	return 0;
}

ssize_t readahead_read(void *arg, void *buf, size_t len)
{
	struct readahead *ra = arg;
	size_t got = 0;

	pthread_mutex_lock(&ra->mu);
	while (got < len) {
		while (ra->tail == ra->head && !ra->end)
			pthread_cond_wait(&ra->cv, &ra->mu);
		if (ra->tail == ra->head)
			break;
		struct block *b = &ra->b[ra->head % BLOCKS];
		pthread_mutex_unlock(&ra->mu);
		size_t n = b->len - b->pos < len - got ? b->len - b->pos : len - got;
		memcpy((unsigned char *)buf + got, b->data + b->pos, n);
		b->pos += n;
		got += n;
		pthread_mutex_lock(&ra->mu);
		if (b->pos == b->len) {
			ra->head++;
			pthread_cond_broadcast(&ra->cv);
		}
	}
	int rc = ra->rc;
	bool drained = ra->tail == ra->head && ra->end;
	pthread_mutex_unlock(&ra->mu);
	if (!got && drained && rc < 0)
		return err_set(rc, "%s", ra->msg);
	return (ssize_t)got;
}

void readahead_stop(struct readahead *ra)
{
	if (!ra)
		return;
	pthread_mutex_lock(&ra->mu);
	ra->stop = true;
	pthread_cond_broadcast(&ra->cv);
	pthread_mutex_unlock(&ra->mu);
	if (ra->tid)
		pthread_join(ra->tid, NULL);
	for (int i = 0; i < BLOCKS; i++)
		free(ra->b[i].data);
	pthread_mutex_destroy(&ra->mu);
	pthread_cond_destroy(&ra->cv);
	free(ra);
}
