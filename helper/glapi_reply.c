/* Reading the API's replies: error texts from JSON or XML bodies, the correlation
 * ID, the CI_DEBUG_TRACE dump. Bytes from the server: fuzzed (tests/fuzz). */
#include "glapi.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "error.h"

#define TRACE_BODY_MAX 512

int glapi_read_body(struct httpc_response *r, struct buf *body, size_t limit)
{
	char tmp[8192];
	ssize_t got;

	while (body->len < limit) {
		size_t want = limit - body->len < sizeof(tmp) ? limit - body->len : sizeof(tmp);
		if ((got = httpc_resp_read(r, tmp, want)) <= 0)
			return got < 0 ? (int)got : 0;
		if (buf_put(body, tmp, (size_t)got) < 0)
			return err_set(CIH_ENOMEM, "out of memory");
	}
	return 0;
}

static bool mime_is(struct httpc_response *r, const char *mime)
{
	const char *ct = httpc_resp_header(r, "Content-Type");
	size_t n = strlen(mime);

	if (!ct)
		return false;
	while (*ct == ' ')
		ct++;
	return !strncasecmp(ct, mime, n) && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* ErrorResponseMessage: a string, or an object of arrays flattened as
 * "k: v1; v2, k2: v3"; anything else is no message. */
static void json_message(struct buf *out, const cJSON *m)
{
	bool first = true;

	if (cJSON_IsString(m)) {
		buf_puts(out, m->valuestring);
		return;
	}
	if (!cJSON_IsObject(m))
		return;
	for (const cJSON *k = m->child; k; k = k->next) {
		if (!cJSON_IsArray(k)) {
			buf_clear(out);
			return;
		}
		buf_printf(out, "%s%s: ", first ? "" : ", ", k->string);
		first = false;
		for (const cJSON *v = k->child; v; v = v->next) {
			char *s = cJSON_IsString(v) ? NULL : cJSON_PrintUnformatted(v);
			buf_printf(out, "%s%s", v == k->child ? "" : "; ", s ? s : v->valuestring);
			free(s);
		}
	}
}

void glapi_xml_text(char *out, size_t size, const char *body, const char *tag)
{
	char open[32], close[32];
	const char *s, *e;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	out[0] = '\0';
	if ((s = strstr(body, open)) && (e = strstr(s += strlen(open), close)))
		snprintf(out, size, "%.*s", (int)(e - s), s);
}

void glapi_status_text(struct buf *out, struct httpc_response *r, const char *body, size_t len,
		       const char *method, bool xml)
{
	int status = httpc_resp_status(r);
	char line[64];

	snprintf(line, sizeof(line), "%d %s", status, httpc_status_text(status));
	if (status / 100 == 2 || !body) {
		buf_puts(out, line);
		return;
	}
	if (mime_is(r, "application/json")) {
		cJSON *j = cJSON_ParseWithLength(body, len);
		struct buf msg = BUF_INIT;
		if (j && cJSON_IsObject(j)) {
			json_message(&msg, cJSON_GetObjectItemCaseSensitive(j, "message"));
			buf_printf(out, "%s %s: %s", method, httpc_resp_url(r), line);
			if (strcmp(buf_cstr(&msg), line))
				buf_printf(out, " (%s)", buf_cstr(&msg));
		} else if (xml) {
			buf_printf(out, "%s (application/json decode error: invalid JSON)", line);
		} else {
			buf_puts(out, line);
		}
		buf_dispose(&msg);
		cJSON_Delete(j);
		return;
	}
	if (xml && (mime_is(r, "application/xml") || mime_is(r, "text/xml"))) {
		char code[256], message[512];
		glapi_xml_text(code, sizeof(code), body, "Code");
		glapi_xml_text(message, sizeof(message), body, "Message");
		if (*code)
			buf_printf(out, "%s (%s: %s)", line, code, message);
		else
			buf_puts(out, line);
		return;
	}
	buf_puts(out, line);
}

const char *glapi_correlation_id(struct httpc_response *r, const char *sent)
{
	const char *v = r ? httpc_resp_header(r, "X-Request-Id") : NULL;
	return v && *v ? v : sent;
}

static int cmp_name(const void *a, const void *b)
{
	return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_field(const void *a, const void *b)
{
	return strcmp(((const struct log_field *)a)->key, ((const struct log_field *)b)->key);
}

void glapi_trace_response(struct httpc_response *r, const char *body, size_t len,
			  const struct log_field *base, size_t nbase)
{
	const char *names[64], *name, *value;
	char *keys[64];
	struct log_field f[80];
	struct buf vals[64], bodytxt = BUF_INIT;
	size_t nn = 0, nf = 0;

	/* Go's Header map: one key per canonical name, values in order */
	for (size_t i = 0; nn < 64 && httpc_resp_header_at(r, i, &name, &value); i++) {
		bool dup = false;
		for (size_t k = 0; k < nn && !dup; k++)
			dup = !strcasecmp(names[k], name);
		if (!dup)
			names[nn++] = name;
	}
	qsort(names, nn, sizeof(names[0]), cmp_name);
	for (size_t i = 0; i < nbase && nf < 8; i++)
		f[nf++] = base[i];
	buf_put(&bodytxt, body ? body : "", body ? (len < TRACE_BODY_MAX ? len : TRACE_BODY_MAX) : 0);
	if (httpc_resp_length(r) > (int64_t)(len < TRACE_BODY_MAX ? len : TRACE_BODY_MAX))
		buf_puts(&bodytxt, "...");
	f[nf++] = (struct log_field){ "body", body ? buf_cstr(&bodytxt) : "<nil>" };
	for (size_t k = 0; k < nn; k++) {
		struct buf key = BUF_INIT;
		vals[k] = (struct buf)BUF_INIT;
		buf_putc(&vals[k], '[');
		for (size_t i = 0; httpc_resp_header_at(r, i, &name, &value); i++)
			if (!strcasecmp(name, names[k]))
				buf_printf(&vals[k], "%s%s", vals[k].len > 1 ? " " : "", value);
		buf_putc(&vals[k], ']');
		/* canonical form of the name, as Go's map key */
		buf_puts(&key, "header[");
		for (size_t i = 0, up = 1; names[k][i]; i++) {
			char c = names[k][i];
			buf_putc(&key, (char)(up && c >= 'a' && c <= 'z' ? c - 32 : !up && c >= 'A' && c <= 'Z' ? c + 32 : c));
			up = c == '-';
		}
		buf_putc(&key, ']');
		keys[k] = key.ptr; /* owned: freed below */
		f[nf++] = (struct log_field){ key.ptr ? key.ptr : "header[?]", buf_cstr(&vals[k]) };
	}
	qsort(f, nf, sizeof(f[0]), cmp_field); /* logrus prints fields sorted */
	log_write(LOG_WARN, f, nf, "received response");
	for (size_t k = 0; k < nn; k++) {
		free(keys[k]);
		buf_dispose(&vals[k]);
	}
	buf_dispose(&bodytxt);
}
