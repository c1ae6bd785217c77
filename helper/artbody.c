#include "artbody.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "../archive/gzip_write.h"
#include "../archive/tar_archive.h"
#include "../archive/zip_write.h"
#include "buf.h"
#include "error.h"
#include "fdio.h"
#include "log.h"
#include "meter.h"

#define PIPE_SIZE (1 << 20)

enum stage { ST_HEAD, ST_DATA, ST_TAIL, ST_END };

struct artbody {
	struct artbody_opts o;
	const struct sel_entry *items;
	size_t n;
	char boundary[61];
	char content_type[128];
	struct buf head, tail;
	struct httpc_body body;
	struct meter meter;
	bool meter_on;
	/* the current attempt */
	enum stage stage;
	size_t pos;
	int rd;
	pthread_t thread;
	bool running;
	int producer_rc;
	char producer_err[ERR_MSG_MAX];
	int producer_code;
	int wr;
};

bool artbody_parse_format(const char *s, enum artbody_format *out)
{
	static const struct { const char *name; enum artbody_format f; } names[] = {
		{ "", ARTBODY_ZIP }, { "zip", ARTBODY_ZIP }, { "zipzstd", ARTBODY_ZIPZSTD },
		{ "gzip", ARTBODY_GZIP }, { "raw", ARTBODY_RAW }, { "tarzstd", ARTBODY_TARZSTD },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s ? s : "", names[i].name)) {
			*out = names[i].f;
			return true;
		}
	return false;
}

void artbody_filename(char *out, size_t size, const char *name, enum artbody_format f)
{
	static const char *const ext[] = { ".zip", ".zip", ".gz", "", ".tar.zst" };
	char tmp[4096];
	size_t len;
	const char *base;

	/* filepath.Base: trailing slashes dropped, then the last element */
	snprintf(tmp, sizeof(tmp), "%s", name ? name : "");
	len = strlen(tmp);
	while (len > 1 && tmp[len - 1] == '/')
		tmp[--len] = '\0';
	base = strrchr(tmp, '/') && len > 1 ? strrchr(tmp, '/') + 1 : tmp;
	if (!*base || !strcmp(base, "."))
		base = "default";
	snprintf(out, size, "%s%s", base, ext[f]);
}

static int copy_raw(int fd, const struct sel_entry *items, size_t n)
{
	char buf[1 << 16];
	ssize_t got;
	int in, rc = 0;

	if (n == 0)
		return 0;
	if ((in = open(items[0].path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_os("open %s", items[0].path);
	while ((got = read(in, buf, sizeof(buf))) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			rc = err_os("read %s", items[0].path);
			break;
		}
		if (fdio_write_all(fd, buf, (size_t)got) < 0) {
			rc = err_os("write");
			goto out;
		}
	}
out:
	close(in);
	return rc;
}

static int produce(struct artbody *b, int fd)
{
	switch (b->o.format) {
	case ARTBODY_RAW:
		return copy_raw(fd, b->items, b->n);
	case ARTBODY_GZIP: {
		struct gzipw_stats st;
		return gzipw_write_archive(fd, b->items, b->n, &st);
	}
	case ARTBODY_TARZSTD: {
		struct tar_archive_stats st;
		return tar_archive_write(fd, b->items, b->n, level_zstd(b->o.level, false), 0, &st);
	}
	default: {
		struct zip_write_stats st;
		struct zip_write_opts zo = { .level = b->o.level, .zstd = b->o.format == ARTBODY_ZIPZSTD,
					     .concurrency = b->o.concurrency > 0 ? b->o.concurrency : 1,
					     .legacy = b->o.legacy_zip && b->o.format == ARTBODY_ZIP };
		return zip_write_archive(fd, b->items, b->n, &zo, &st);
	}
	}
}

static void *producer(void *arg)
{
	struct artbody *b = arg;

	b->producer_rc = produce(b, b->wr);
	if (b->producer_rc < 0) {
		b->producer_code = err_last()->code;
		snprintf(b->producer_err, sizeof(b->producer_err), "%s", err_last()->msg);
	}
	close(b->wr); /* the reader sees the end */
	b->wr = -1;
	return NULL;
}

static void stop(struct artbody *b)
{
	if (!b->running)
		return;
	close(b->rd); /* a producer blocked in write() gets EPIPE */
	b->rd = -1;
	pthread_join(b->thread, NULL);
	b->running = false;
}

static int start(struct artbody *b)
{
	int p[2];

	stop(b);
	if (pipe2(p, O_CLOEXEC) < 0)
		return err_os("pipe");
	(void)fcntl(p[1], F_SETPIPE_SZ, PIPE_SIZE); /* fewer wake-ups; the default works too */
	b->rd = p[0];
	b->wr = p[1];
	b->producer_rc = 0;
	b->stage = ST_HEAD;
	b->pos = 0;
	if (pthread_create(&b->thread, NULL, producer, b) != 0) {
		close(p[0]);
		close(p[1]);
		return err_set(CIH_ERR, "cannot start the archiver thread");
	}
	b->running = true;
	if (b->meter_on)
		meter_done(&b->meter);
	meter_start(&b->meter, "Uploading artifacts", 0, b->o.meter_freq_ns);
	b->meter_on = b->o.meter_freq_ns > 0;
	return 0;
}

static ssize_t from_buf(struct artbody *b, const struct buf *src, void *data, size_t size,
			enum stage next)
{
	size_t left = src->len - b->pos, n = left < size ? left : size;

	memcpy(data, src->ptr + b->pos, n);
	b->pos += n;
	if (b->pos == src->len) {
		b->stage = next;
		b->pos = 0;
	}
	return (ssize_t)n;
}

static ssize_t body_read(void *ctx, void *data, size_t size)
{
	struct artbody *b = ctx;
	ssize_t n;

	for (;;) {
		switch (b->stage) {
		case ST_HEAD:
			return from_buf(b, &b->head, data, size, ST_DATA);
		case ST_TAIL:
			return from_buf(b, &b->tail, data, size, ST_END);
		case ST_END:
			return 0;
		case ST_DATA:
			if ((n = read(b->rd, data, size)) > 0) {
				meter_add(&b->meter, (size_t)n);
				return n;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return err_os("reading the archive stream");
			pthread_join(b->thread, NULL);
			b->running = false;
			close(b->rd);
			b->rd = -1;
			if (b->producer_rc < 0)
				return err_set(b->producer_code, "%s", b->producer_err);
			b->stage = ST_TAIL;
		}
	}
}

static int body_rewind(void *ctx)
{
	return start(ctx);
}

int artbody_new(struct artbody **out, const struct artbody_opts *o, const struct sel_entry *items,
		size_t n)
{
	struct artbody *b = calloc(1, sizeof(*b));
	unsigned char r[30];
	int rc;

	*out = NULL;
	if (!b)
		return err_set(CIH_ENOMEM, "out of memory");
	b->o = *o;
	b->items = items;
	b->n = n;
	b->rd = b->wr = -1;
	/* mime/multipart: 30 random bytes in hex */
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		for (size_t i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)rand();
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(b->boundary + 2 * i, 3, "%02x", r[i]);
	snprintf(b->content_type, sizeof(b->content_type), "multipart/form-data; boundary=%s", b->boundary);
	buf_printf(&b->head, "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"", b->boundary);
	for (const char *p = o->filename; *p; p++) {
		if (*p == '\\' || *p == '"')
			buf_putc(&b->head, '\\');
		buf_putc(&b->head, *p);
	}
	buf_puts(&b->head, "\"\r\nContent-Type: application/octet-stream\r\n\r\n");
	buf_printf(&b->tail, "\r\n--%s--\r\n", b->boundary);
	b->body = (struct httpc_body){ .len = -1, .read = body_read, .rewind = body_rewind, .ctx = b };
	if (b->head.failed || b->tail.failed) {
		artbody_free(b);
		return err_set(CIH_ENOMEM, "out of memory");
	}
	if ((rc = start(b)) < 0) {
		artbody_free(b);
		return rc;
	}
	*out = b;
	return 0;
}

void artbody_free(struct artbody *b)
{
	if (!b)
		return;
	stop(b);
	if (b->rd >= 0)
		close(b->rd);
	buf_dispose(&b->head);
	buf_dispose(&b->tail);
	free(b);
}

const struct httpc_body *artbody_body(struct artbody *b)
{
	return &b->body;
}

const char *artbody_content_type(const struct artbody *b)
{
	return b->content_type;
}

void artbody_meter_done(struct artbody *b)
{
	if (b->meter_on)
		meter_done(&b->meter);
	b->meter_on = false;
}
