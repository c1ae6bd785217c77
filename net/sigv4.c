#include "sigv4.h"

#include <mbedtls/md.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "http.h"
#include "url.h"

static void hex(const unsigned char *in, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char h[32];
	mbedtls_sha256(data, len, h, 0);
	hex(h, 32, out);
}

static int hmac(const unsigned char *key, size_t klen, const char *msg, unsigned char out[32])
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	return md && mbedtls_md_hmac(md, key, klen, (const unsigned char *)msg, strlen(msg), out) == 0
		       ? 0
		       : err_set(CIH_ERR, "sigv4: HMAC-SHA256 failed");
}

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

void sigv4_encode_key(struct buf *out, const char *key)
{
	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		if (unreserved(*p) || *p == '/')
			buf_putc(out, (char)*p);
		else
			buf_printf(out, "%%%02X", *p);
	}
}

/* A query name or value as sent, decoded ('+' is a space) for AWS's canonical form. */
static void decode(struct buf *out, const char *s, size_t n)
{
	char *plus = strndup(s, n), *dec;

	for (char *c = plus; c && *c; c++)
		if (*c == '+')
			*c = ' ';
	if (plus && (dec = url_unescape(plus, n))) {
		buf_puts(out, dec);
		free(dec);
	}
	free(plus);
}

static void encode(struct buf *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (unreserved(*p))
			buf_putc(out, (char)*p);
		else
			buf_printf(out, "%%%02X", *p);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int canonical_query(struct buf *out, const char *q)
{
	char *pairs[128];
	size_t n = 0;
	int rc = 0;

	while (q && *q && n < 128) {
		size_t len = strcspn(q, "&"), kl = strcspn(q, "=");
		struct buf name = BUF_INIT, value = BUF_INIT, enc = BUF_INIT;
		if (kl > len)
			kl = len;
		decode(&name, q, kl);
		if (kl < len)
			decode(&value, q + kl + 1, len - kl - 1);
		encode(&enc, buf_cstr(&name));
		buf_putc(&enc, '=');
		encode(&enc, buf_cstr(&value));
		pairs[n++] = strdup(buf_cstr(&enc));
		buf_dispose(&name);
		buf_dispose(&value);
		buf_dispose(&enc);
		q += len + (q[len] == '&');
	}
	qsort(pairs, n, sizeof(*pairs), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (!pairs[i])
			rc = err_set(CIH_ENOMEM, "out of memory");
		else
			buf_printf(out, "%s%s", i ? "&" : "", pairs[i]);
		free(pairs[i]);
	}
	return rc;
}

struct hdr {
	char name[128];
	const char *value;
};

static int cmp_hdr(const void *a, const void *b)
{
	return strcmp(((const struct hdr *)a)->name, ((const struct hdr *)b)->name);
}

int sigv4_sign(const struct sigv4_key *k, const char *method, const char *url,
	       const struct httpc_header *hdrs, size_t n, const char *payload_hash, time_t now,
	       struct sigv4_out *out)
{
	struct url u;
	struct buf host = BUF_INIT, creq = BUF_INIT, sts = BUF_INIT, signed_names = BUF_INIT;
	struct hdr h[40];
	size_t nh = 0;
	char date[9], scope[256], hash[65], sig[65];
	unsigned char key[32];
	struct tm tm;
	int rc;

	if (n + 4 > sizeof(h) / sizeof(h[0]))
		return err_set(CIH_EUSAGE, "sigv4: too many headers");
	if ((rc = url_parse(&u, url)) < 0)
		return rc;
	gmtime_r(&now, &tm);
	strftime(out->amz_date, sizeof(out->amz_date), "%Y%m%dT%H%M%SZ", &tm);
	memcpy(date, out->amz_date, 8);
	date[8] = '\0';
	url_host_header(&host, &u);
	h[nh++] = (struct hdr){ "host", buf_cstr(&host) };
	h[nh++] = (struct hdr){ "x-amz-date", out->amz_date };
	h[nh++] = (struct hdr){ "x-amz-content-sha256", payload_hash };
	if (k->session_token && *k->session_token)
		h[nh++] = (struct hdr){ "x-amz-security-token", k->session_token };
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(hdrs[i].name);
		if (l >= sizeof(h[0].name))
			continue;
		for (size_t c = 0; c <= l; c++)
			h[nh].name[c] = (char)(hdrs[i].name[c] >= 'A' && hdrs[i].name[c] <= 'Z' ? hdrs[i].name[c] + 32 : hdrs[i].name[c]);
		h[nh++].value = hdrs[i].value;
	}
	qsort(h, nh, sizeof(h[0]), cmp_hdr);

	/* the canonical request: the path as sent (S3 is not double-encoded) */
	char *q = strchr(u.target, '?');
	buf_printf(&creq, "%s\n%.*s\n", method, (int)(q ? (size_t)(q - u.target) : strlen(u.target)), u.target);
	if ((rc = canonical_query(&creq, q ? q + 1 : NULL)) < 0)
		goto out;
	buf_putc(&creq, '\n');
	for (size_t i = 0; i < nh; i++) {
		const char *v = h[i].value;
		size_t vl = strlen(v);
		while (vl && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			vl--;
		buf_printf(&creq, "%s:%.*s\n", h[i].name, (int)vl, v);
		buf_printf(&signed_names, "%s%s", i ? ";" : "", h[i].name);
	}
	buf_printf(&creq, "\n%s\n%s", buf_cstr(&signed_names), payload_hash);

	snprintf(scope, sizeof(scope), "%s/%s/%s/aws4_request", date, k->region, k->service);
	sigv4_sha256_hex(creq.ptr, creq.len, hash);
	buf_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%s\n%s", out->amz_date, scope, hash);

	struct buf secret = BUF_INIT;
	buf_printf(&secret, "AWS4%s", k->secret_key);
	rc = hmac((const unsigned char *)secret.ptr, secret.len, date, key);
	buf_dispose(&secret);
	if (rc < 0 || (rc = hmac(key, 32, k->region, key)) < 0 || (rc = hmac(key, 32, k->service, key)) < 0 ||
	    (rc = hmac(key, 32, "aws4_request", key)) < 0 || (rc = hmac(key, 32, buf_cstr(&sts), key)) < 0)
		goto out;
	hex(key, 32, sig);
	if ((size_t)snprintf(out->authorization, sizeof(out->authorization),
			     "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s", k->access_key,
			     scope, buf_cstr(&signed_names), sig) >= sizeof(out->authorization))
		rc = err_set(CIH_ETOOBIG, "sigv4: Authorization header too long");
out:
	url_dispose(&u);
	buf_dispose(&host);
	buf_dispose(&creq);
	buf_dispose(&sts);
	buf_dispose(&signed_names);
	return rc;
}
