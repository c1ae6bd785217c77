/* Git LFS: pointer texts as git-lfs's docs/spec.md defines them (and git-lfs reads
 * them: the three v1 version URLs, extensions in ascending priority, nothing else),
 * their canonical text, the batch API's request body and the strict reading of
 * its reply (docs/api/batch.md), and RFC 3339 times for expires_at. */
#include <stdio.h>
#include <stdlib.h>

#include "../../git/lfs_batch.h"
#include "../../git/lfs_pointer.h"
#include "../../helper/buf.h"
#include "unit.h"

#define OID "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393"
#define OID2 "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
#define OID3 "a3fee2baeadf395a2c80c511823d06ca3e7664d7574cc0c8b24dc65e7546f718"
#define V1 "version https://git-lfs.github.com/spec/v1\n"
#define PTR V1 "oid sha256:" OID "\nsize 12345\n"

static int parse(const char *text, struct lfs_pointer *p)
{
	return lfs_pointer_parse(text, strlen(text), p);
}

TEST(lfs_pointer_accept_reject)
{
	static const struct { const char *text; int want; } t[] = {
		/* pointers */
		{ PTR, 1 },
		{ "", 1 },
		{ "version https://hawser.github.com/spec/v1\noid sha256:" OID "\nsize 12345\n", 1 },
		{ "version http://git-media.io/v/2\noid sha256:" OID "\nsize 12345\n", 1 },
		{ V1 "oid sha256:" OID "\nsize 0\n", 1 },
		{ V1 "oid sha256:" OID "\nsize 9223372036854775807\n", 1 },
		{ V1 "ext-0-foo sha256:" OID2 "\next-1-bar sha256:" OID3 "\noid sha256:" OID "\nsize 1\n", 1 },
		{ V1 "ext-0-a sha256:" OID2 "\next-9-z sha256:" OID3 "\noid sha256:" OID "\nsize 1\n", 1 },
		{ V1 "ext-2-a_b.c-d9 sha256:" OID2 "\noid sha256:" OID "\nsize 1\n", 1 },
		/* line endings and white space */
		{ "version https://git-lfs.github.com/spec/v1\r\noid sha256:" OID "\r\nsize 12345\r\n", 0 },
		{ V1 "oid sha256:" OID "\nsize 12345", 0 },
		{ V1 "oid sha256:" OID "\nsize 12345 \n", 0 },
		{ V1 "oid sha256:" OID " \nsize 12345\n", 0 },
		{ "version https://git-lfs.github.com/spec/v1 \noid sha256:" OID "\nsize 12345\n", 0 },
		{ V1 "oid  sha256:" OID "\nsize 12345\n", 0 },
		{ V1 "oid sha256:" OID "\nsize  12345\n", 0 },
		{ " " PTR, 0 },
		{ PTR "\n", 0 },
		{ "\n" PTR, 0 },
		/* version */
		{ "version https://git-lfs.github.com/spec/v2\noid sha256:" OID "\nsize 12345\n", 0 },
		{ "version https://git-lfs.github.com/spec/v1/\noid sha256:" OID "\nsize 12345\n", 0 },
		{ "version HTTPS://git-lfs.github.com/spec/v1\noid sha256:" OID "\nsize 12345\n", 0 },
		{ V1, 0 },
		{ "oid sha256:" OID "\nsize 12345\n", 0 },
		/* oid */
		{ V1 "oid sha256:4D7A214614AB2935C943F9E0FF69D22EADBB8F32B1258DAAA5E2CA24D17E2393\nsize 12345\n", 0 },
		{ V1 "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e239\nsize 12345\n", 0 },
		{ V1 "oid sha256:" OID "0\nsize 12345\n", 0 },
		{ V1 "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e239g\nsize 12345\n", 0 },
		{ V1 "oid sha1:4d7a214614ab2935c943f9e0ff69d22eadbb8f32\nsize 12345\n", 0 },
		{ V1 "oid sha1:" OID "\nsize 12345\n", 0 },
		{ V1 "oid " OID "\nsize 12345\n", 0 },
		{ V1 "oid sha256 " OID "\nsize 12345\n", 0 },
		/* size */
		{ V1 "oid sha256:" OID "\nsize 012345\n", 0 },
		{ V1 "oid sha256:" OID "\nsize 00\n", 0 },
		{ V1 "oid sha256:" OID "\nsize +12345\n", 0 },
		{ V1 "oid sha256:" OID "\nsize -1\n", 0 },
		{ V1 "oid sha256:" OID "\nsize 12a45\n", 0 },
		{ V1 "oid sha256:" OID "\nsize 1e3\n", 0 },
		{ V1 "oid sha256:" OID "\nsize \n", 0 },
		{ V1 "oid sha256:" OID "\nsize 9223372036854775808\n", 0 },
		{ V1 "oid sha256:" OID "\nsize 18446744073709551617\n", 0 },
		{ V1 "oid sha256:" OID "\nsize 99999999999999999999\n", 0 },
		/* keys: order, unknown, missing */
		{ V1 "size 12345\noid sha256:" OID "\n", 0 },
		{ "oid sha256:" OID "\n" V1 "size 12345\n", 0 },
		{ V1 "oid sha256:" OID "\n", 0 },
		{ V1 "size 12345\n", 0 },
		{ PTR "x-extra value\n", 0 },
		{ V1 "oid sha256:" OID "\nother value\nsize 12345\n", 0 },
		{ V1 "foo bar\noid sha256:" OID "\nsize 12345\n", 0 },
		{ PTR "size 12345\n", 0 },
		{ V1 "oid sha256:" OID "\noid sha256:" OID "\nsize 12345\n", 0 },
		{ V1 "Oid sha256:" OID "\nsize 12345\n", 0 },
		/* extensions */
		{ V1 "ext-1-foo sha256:" OID2 "\next-0-bar sha256:" OID3 "\noid sha256:" OID "\nsize 1\n", 0 },
		{ V1 "ext-0-foo sha256:" OID2 "\next-0-bar sha256:" OID3 "\noid sha256:" OID "\nsize 1\n", 0 },
		{ V1 "ext-0-foo sha256:" OID2 "\next-0-foo sha256:" OID2 "\noid sha256:" OID "\nsize 1\n", 0 },
		{ V1 "oid sha256:" OID "\next-0-foo sha256:" OID2 "\nsize 1\n", 0 },
		{ V1 "ext-0-Foo sha256:" OID2 "\noid sha256:" OID "\nsize 1\n", 0 },
		{ V1 "ext-0- sha256:" OID2 "\noid sha256:" OID "\nsize 1\n", 0 },
		{ V1 "ext-0 sha256:" OID2 "\noid sha256:" OID "\nsize 1\n", 0 },
		{ V1 "ext-a-foo sha256:" OID2 "\noid sha256:" OID "\nsize 1\n", 0 },
		{ V1 "ext-10-foo sha256:" OID2 "\noid sha256:" OID "\nsize 1\n", 0 },
		{ V1 "ext-0-foo sha256:" OID2 "x\noid sha256:" OID "\nsize 1\n", 0 },
		{ V1 "ext-0-foo sha1:" OID2 "\noid sha256:" OID "\nsize 1\n", 0 },
	};
	static const char nul[] = V1 "oid sha256:" OID "\nsize 1\0\n";
	static const char nul_free[] = V1 "oid sha256:" OID "\nsize 1\n";
	struct lfs_pointer p;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (parse(t[i].text, &p) != t[i].want)
			unit_fail(__FILE__, __LINE__, "case %zu: \"%s\" is%s a pointer", i, t[i].text,
				  t[i].want ? " not" : "");
	/* a NUL byte: not text */
	CHECK_INT(lfs_pointer_parse(nul, sizeof(nul) - 1, &p), 0);
	CHECK_INT(lfs_pointer_parse(nul_free, sizeof(nul_free) - 1, &p), 1);
}

TEST(lfs_pointer_fields)
{
	struct lfs_pointer p;

	CHECK_INT(parse(PTR, &p), 1);
	CHECK_STR(p.oid, OID);
	CHECK_INT(p.size, 12345);
	CHECK_INT(p.next, 0);

	CHECK_INT(parse("", &p), 1);
	CHECK_STR(p.oid, lfs_empty_oid);
	CHECK_STR(p.oid, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK_INT(p.size, 0);
	CHECK_INT(p.next, 0);

	CHECK_INT(parse(V1 "ext-0-foo sha256:" OID2 "\next-3-b.a-r_1 sha256:" OID3 "\noid sha256:" OID
			   "\nsize 9223372036854775807\n", &p), 1);
	CHECK_INT(p.size, INT64_MAX);
	CHECK_INT(p.next, 2);
	CHECK_INT(p.ext[0].priority, 0);
	CHECK_STR(p.ext[0].name, "foo");
	CHECK_STR(p.ext[0].oid, OID2);
	CHECK_INT(p.ext[1].priority, 3);
	CHECK_STR(p.ext[1].name, "b.a-r_1");
	CHECK_STR(p.ext[1].oid, OID3);
	CHECK_STR(p.oid, OID);

	CHECK(lfs_oid_valid(OID, 64));
	CHECK(!lfs_oid_valid(OID, 63));
	CHECK(!lfs_oid_valid("4D7A214614AB2935C943F9E0FF69D22EADBB8F32B1258DAAA5E2CA24D17E2393", 64));
}

/* A latest-version pointer of total bytes made with 7 extensions (names padded). */
static void sized_pointer(struct buf *b, size_t total)
{
	/* 43 (version) + 76 (oid) + 7 (size 1) + 7 * 79 (ext lines without names) */
	size_t names = total - 679;

	buf_clear(b);
	buf_puts(b, V1);
	for (int i = 0; i < 7; i++) {
		size_t n = names / 7 + ((size_t)i < names % 7);

		buf_printf(b, "ext-%d-", i);
		for (size_t j = 0; j < n; j++)
			buf_putc(b, 'a');
		buf_puts(b, " sha256:" OID2 "\n");
	}
	buf_puts(b, "oid sha256:" OID "\nsize 1\n");
	CHECK_INT(b->len, total);
}

TEST(lfs_pointer_size_limit)
{
	struct buf b = BUF_INIT;
	struct lfs_pointer p;
	char text[2048];

	sized_pointer(&b, 1023);
	CHECK_INT(lfs_pointer_parse(b.ptr, b.len, &p), 1);
	CHECK_INT(p.next, 7);
	CHECK_INT(lfs_pointer_format(&p, text, sizeof(text)), 1023);
	CHECK(!memcmp(text, b.ptr, 1023));
	sized_pointer(&b, 1024);
	CHECK_INT(lfs_pointer_parse(b.ptr, b.len, &p), 0);
	buf_dispose(&b);
}

TEST(lfs_pointer_format_round_trip)
{
	static const char *const canonical[] = {
		PTR,
		V1 "oid sha256:" OID "\nsize 1\n",
		V1 "oid sha256:" OID "\nsize 9223372036854775807\n",
		V1 "ext-0-foo sha256:" OID2 "\next-1-bar.baz sha256:" OID3 "\noid sha256:" OID "\nsize 7\n",
	};
	struct lfs_pointer p, q;
	char text[LFS_POINTER_MAX + 64];
	int n;

	for (size_t i = 0; i < sizeof(canonical) / sizeof(canonical[0]); i++) {
		CHECK_INT(parse(canonical[i], &p), 1);
		CHECK_INT(lfs_pointer_format(&p, text, sizeof(text)), strlen(canonical[i]));
		CHECK_STR(text, canonical[i]);
		CHECK_INT(parse(text, &q), 1);
		CHECK(!memcmp(&p, &q, sizeof(p)));
	}
	/* the older version URLs are read, the latest written */
	CHECK_INT(parse("version https://hawser.github.com/spec/v1\noid sha256:" OID "\nsize 12345\n", &p), 1);
	CHECK_INT(lfs_pointer_format(&p, text, sizeof(text)), strlen(PTR));
	CHECK_STR(text, PTR);
	CHECK_INT(parse("version http://git-media.io/v/2\noid sha256:" OID "\nsize 12345\n", &p), 1);
	lfs_pointer_format(&p, text, sizeof(text));
	CHECK_STR(text, PTR);
	/* size 0 is the empty text, whatever the oid (git-lfs writes empty files so) */
	CHECK_INT(parse(V1 "oid sha256:" OID "\nsize 0\n", &p), 1);
	CHECK_INT(lfs_pointer_format(&p, text, sizeof(text)), 0);
	CHECK_STR(text, "");
	CHECK_INT(parse("", &p), 1);
	CHECK_INT(lfs_pointer_format(&p, text, 1), 0);
	CHECK_INT(lfs_pointer_format(&p, text, 0), -1);
	/* from fields, and the buffer's bounds */
	memset(&p, 0, sizeof(p));
	memcpy(p.oid, OID, sizeof(p.oid));
	p.size = 12345;
	n = lfs_pointer_format(&p, text, sizeof(text));
	CHECK_INT(n, strlen(PTR));
	CHECK_STR(text, PTR);
	CHECK_INT(lfs_pointer_format(&p, text, (size_t)n + 1), n);
	CHECK_STR(text, PTR);
	CHECK(lfs_pointer_format(&p, text, (size_t)n) < 0);
	CHECK(lfs_pointer_format(&p, text, 10) < 0);
}

TEST(lfs_batch_request_json)
{
	struct lfs_want w[2] = { { OID, 12345 }, { OID2, 6 } };
	struct buf b = BUF_INIT;

	CHECK_OK(lfs_batch_request(&b, "download", NULL, w, 2));
	CHECK_STR(buf_cstr(&b), "{\"operation\":\"download\",\"transfers\":[\"basic\"],\"objects\":["
				"{\"oid\":\"" OID "\",\"size\":12345},{\"oid\":\"" OID2 "\",\"size\":6}],"
				"\"hash_algo\":\"sha256\"}");
	buf_clear(&b);
	CHECK_OK(lfs_batch_request(&b, "download", "refs/heads/main", w, 1));
	CHECK_STR(buf_cstr(&b), "{\"operation\":\"download\",\"transfers\":[\"basic\"],"
				"\"ref\":{\"name\":\"refs/heads/main\"},\"objects\":["
				"{\"oid\":\"" OID "\",\"size\":12345}],\"hash_algo\":\"sha256\"}");
	/* a quote and a backslash escaped; <, > and & as Go's encoding/json writes them */
	buf_clear(&b);
	CHECK_OK(lfs_batch_request(&b, "download", "refs/heads/a\"b\\c<&>", w, 0));
	CHECK_STR(buf_cstr(&b), "{\"operation\":\"download\",\"transfers\":[\"basic\"],"
				"\"ref\":{\"name\":\"refs/heads/a\\\"b\\\\c\\u003c\\u0026\\u003e\"},"
				"\"objects\":[],\"hash_algo\":\"sha256\"}");
	buf_dispose(&b);
}

static const char reply_ok[] =
	"{\"transfer\":\"basic\",\"objects\":["
	"{\"oid\":\"" OID "\",\"size\":12345,\"authenticated\":true,\"actions\":{\"download\":{"
	"\"href\":\"https://lfs.example.com/objects/" OID "?sig=a%20b\","
	"\"header\":{\"Authorization\":\"RemoteAuth abc\",\"X-Trace\":\"1\\t2\"},"
	"\"expires_in\":3600,\"expires_at\":\"2016-11-10T15:29:07Z\"}}},"
	"{\"oid\":\"" OID2 "\",\"size\":6,\"actions\":{\"download\":{"
	"\"href\":\"http://lfs.example.com:8080/x\",\"expires_at\":\"2016-11-10T15:29:07+01:00\"}}},"
	"{\"oid\":\"" OID3 "\",\"size\":0,\"error\":{\"code\":404,\"message\":\"Object does not\\nexist\"}}"
	"],\"hash_algo\":\"sha256\"}";

TEST(lfs_batch_parse_good)
{
	struct lfs_batch_reply r;

	CHECK_OK(lfs_batch_parse(reply_ok, strlen(reply_ok), 1000000, &r));
	CHECK_INT(r.nobj, 3);
	CHECK_STR(r.obj[0].oid, OID);
	CHECK_INT(r.obj[0].size, 12345);
	CHECK(r.obj[0].authenticated);
	CHECK(r.obj[0].has_download);
	CHECK_STR(r.obj[0].download.href, "https://lfs.example.com/objects/" OID "?sig=a%20b");
	CHECK_INT(r.obj[0].download.nhdr, 2);
	CHECK_STR(r.obj[0].download.hdr[0].name, "Authorization");
	CHECK_STR(r.obj[0].download.hdr[0].value, "RemoteAuth abc");
	CHECK_STR(r.obj[0].download.hdr[1].name, "X-Trace");
	CHECK_STR(r.obj[0].download.hdr[1].value, "1\t2");
	/* expires_in, relative to now, wins over expires_at */
	CHECK_INT(r.obj[0].download.expires, 1000000 + 3600);
	CHECK_INT(r.obj[0].err_code, 0);
	CHECK(r.obj[0].err_msg == NULL);

	CHECK_STR(r.obj[1].oid, OID2);
	CHECK_INT(r.obj[1].size, 6);
	CHECK(!r.obj[1].authenticated);
	CHECK(r.obj[1].has_download);
	CHECK_STR(r.obj[1].download.href, "http://lfs.example.com:8080/x");
	CHECK_INT(r.obj[1].download.nhdr, 0);
	CHECK_INT(r.obj[1].download.expires, 1478791747 - 3600);

	CHECK_STR(r.obj[2].oid, OID3);
	CHECK_INT(r.obj[2].size, 0);
	CHECK(!r.obj[2].has_download);
	CHECK_INT(r.obj[2].err_code, 404);
	CHECK_STR(r.obj[2].err_msg, "Object does not exist");
	lfs_batch_reply_dispose(&r);
	CHECK(r.obj == NULL && r.nobj == 0);
}

/* The download action's expiry for an action object's members. */
static int64_t expiry(const char *members, int64_t now)
{
	struct buf b = BUF_INIT;
	struct lfs_batch_reply r;
	int64_t e;

	buf_printf(&b, "{\"objects\":[{\"oid\":\"" OID "\",\"size\":1,\"actions\":{\"download\":"
		       "{\"href\":\"https://x/y\"%s%s}}}]}", *members ? "," : "", members);
	if (lfs_batch_parse(b.ptr, b.len, now, &r) < 0)
		unit_fail(__FILE__, __LINE__, "%s: %s", members, err_last()->msg);
	buf_dispose(&b);
	CHECK_INT(r.nobj, 1);
	CHECK(r.obj[0].has_download);
	e = r.obj[0].download.expires;
	lfs_batch_reply_dispose(&r);
	return e;
}

TEST(lfs_batch_parse_expiry)
{
	CHECK_INT(expiry("", 5000), 0);
	CHECK_INT(expiry("\"expires_in\":60", 5000), 5060);
	CHECK_INT(expiry("\"expires_in\":-60", 5000), 4940);
	CHECK_INT(expiry("\"expires_in\":0", 5000), 0);
	CHECK_INT(expiry("\"expires_in\":null,\"expires_at\":\"2016-11-10T15:29:07Z\"", 5000), 1478791747);
	CHECK_INT(expiry("\"expires_at\":\"2016-11-10T15:29:07Z\"", 5000), 1478791747);
	CHECK_INT(expiry("\"expires_at\":\"2016-11-10T15:29:07+01:00\"", 5000), 1478788147);
	CHECK_INT(expiry("\"expires_at\":\"2016-11-10T15:29:07.999-02:30\"", 5000), 1478791747 + 9000);
	CHECK_INT(expiry("\"expires_at\":\"2016-11-10T15:29:07Z\",\"expires_in\":60", 5000), 5060);
	/* Go's zero time and the empty string: no expiry; the epoch itself has expired */
	CHECK_INT(expiry("\"expires_at\":\"0001-01-01T00:00:00Z\"", 5000), 0);
	CHECK_INT(expiry("\"expires_at\":\"\"", 5000), 0);
	CHECK_INT(expiry("\"expires_at\":null", 5000), 0);
	CHECK_INT(expiry("\"expires_at\":\"1970-01-01T00:00:00Z\"", 5000), -1);
}

/* BUG (git/lfs_batch.c:143): an expires_in that lands on the epoch (now + expires_in
 * == 0) gives expires 0, which lfs_batch.h defines as "does not expire"; an
 * already expired action. expires_at maps the epoch to -1 (line 152); so should this. */
TEST(lfs_batch_parse_expires_in_epoch)
{
	CHECK(expiry("\"expires_in\":-5000", 5000) != 0);
}

/* lfs_batch_parse's verdict on a reply: "ok" or its error message. */
static const char *verdict(const char *json)
{
	static char out[1100];
	struct lfs_batch_reply r;
	int rc = lfs_batch_parse(json, strlen(json), 1000, &r);

	if (rc == 0) {
		lfs_batch_reply_dispose(&r);
		return "ok";
	}
	if (rc != CIH_ECORRUPT)
		snprintf(out, sizeof(out), "rc %d: %s", rc, err_last()->msg);
	else
		snprintf(out, sizeof(out), "%s", err_last()->msg);
	CHECK(r.obj == NULL && r.nobj == 0);
	return out;
}

#define OBJ(members) "{\"objects\":[{\"oid\":\"" OID "\",\"size\":1" members "}]}"
#define DL(members) OBJ(",\"actions\":{\"download\":{\"href\":\"https://x/y\"" members "}}")

TEST(lfs_batch_parse_bad)
{
	static const struct { const char *json, *want; } t[] = {
		{ "{\"objects\":[]}", "ok" },
		{ "{\"transfer\":\"basic\",\"objects\":[],\"hash_algo\":\"sha256\"}", "ok" },
		{ "{\"transfer\":null,\"objects\":[],\"hash_algo\":null}", "ok" },
		{ OBJ(""), "ok" },
		{ OBJ(",\"actions\":null,\"error\":null"), "ok" },
		{ OBJ(",\"actions\":{}"), "ok" },
		{ DL(",\"header\":null"), "ok" },
		{ DL(",\"header\":{}"), "ok" },
		{ "", "not a JSON object" },
		{ "{", "not a JSON object" },
		{ "[]", "not a JSON object" },
		{ "\"objects\"", "not a JSON object" },
		{ "{}", "no objects array" },
		{ "{\"objects\":{}}", "no objects array" },
		{ "{\"objects\":null}", "no objects array" },
		{ "{\"transfer\":\"lfs-standalone-file\",\"objects\":[]}", "transfer adapter other than basic" },
		{ "{\"transfer\":\"ssh\",\"objects\":[]}", "transfer adapter other than basic" },
		{ "{\"transfer\":\"Basic\",\"objects\":[]}", "transfer adapter other than basic" },
		{ "{\"transfer\":1,\"objects\":[]}", "transfer adapter other than basic" },
		{ "{\"objects\":[],\"hash_algo\":\"sha512\"}", "unsupported hash algorithm" },
		{ "{\"objects\":[],\"hash_algo\":\"SHA256\"}", "unsupported hash algorithm" },
		{ "{\"objects\":[1]}", "an object entry that is not an object" },
		{ "{\"objects\":[{\"oid\":\"4D7A214614AB2935C943F9E0FF69D22EADBB8F32B1258DAAA5E2CA24D17E2393\","
		  "\"size\":1}]}", "an object with a bad oid" },
		{ "{\"objects\":[{\"oid\":\"" OID "0\",\"size\":1}]}", "an object with a bad oid" },
		{ "{\"objects\":[{\"oid\":\"sha256:" OID "\",\"size\":1}]}", "an object with a bad oid" },
		{ "{\"objects\":[{\"oid\":1,\"size\":1}]}", "an object with a bad oid" },
		{ "{\"objects\":[{\"size\":1}]}", "an object with a bad oid" },
		{ "{\"objects\":[{\"oid\":\"" OID "\",\"size\":-1}]}", "a bad size for object " OID },
		{ "{\"objects\":[{\"oid\":\"" OID "\",\"size\":1.5}]}", "a bad size" },
		{ "{\"objects\":[{\"oid\":\"" OID "\",\"size\":\"1\"}]}", "a bad size" },
		{ "{\"objects\":[{\"oid\":\"" OID "\",\"size\":1e300}]}", "a bad size" },
		{ "{\"objects\":[{\"oid\":\"" OID "\"}]}", "a bad size" },
		{ OBJ(",\"error\":\"gone\""), "an error that is not an object" },
		{ OBJ(",\"actions\":[]"), "actions that are not an object" },
		{ OBJ(",\"actions\":{\"download\":\"https://x/y\"}"), "an action that is not an object" },
		{ OBJ(",\"actions\":{\"download\":{\"href\":\"ftp://x/y\"}}"), "without an http(s) href" },
		{ OBJ(",\"actions\":{\"download\":{\"href\":\"file:///etc/passwd\"}}"), "without an http(s) href" },
		{ OBJ(",\"actions\":{\"download\":{\"href\":\"HTTPS://x/y\"}}"), "without an http(s) href" },
		{ OBJ(",\"actions\":{\"download\":{\"href\":\"//x/y\"}}"), "without an http(s) href" },
		{ OBJ(",\"actions\":{\"download\":{}}"), "without an http(s) href" },
		{ OBJ(",\"actions\":{\"download\":{\"href\":\"https://x/y z\"}}"), "an href with white space" },
		{ OBJ(",\"actions\":{\"download\":{\"href\":\"https://x/y\\r\\nHost: z\"}}"), "white space" },
		{ DL(",\"header\":{\"X-A\":\"a\\r\\nX-Injected: 1\"}"), "an unusable action header" },
		{ DL(",\"header\":{\"X-A\":\"a\\nb\"}"), "an unusable action header" },
		{ DL(",\"header\":{\"X-A\":\"a\\rb\"}"), "an unusable action header" },
		{ DL(",\"header\":{\"X A\":\"b\"}"), "an unusable action header" },
		{ DL(",\"header\":{\"X-A\\r\\nX-B\":\"b\"}"), "an unusable action header" },
		{ DL(",\"header\":{\"\":\"b\"}"), "an unusable action header" },
		{ DL(",\"header\":{\"X-A\":1}"), "an unusable action header" },
		{ DL(",\"header\":[\"X-A: b\"]"), "an action header that is not an object" },
		{ DL(",\"expires_in\":\"3600\""), "a bad expires_in" },
		{ DL(",\"expires_in\":1e300"), "a bad expires_in" },
		{ DL(",\"expires_at\":3600"), "a bad expires_at" },
		{ DL(",\"expires_at\":\"2016-11-10 15:29:07Z\""), "a bad expires_at" },
		{ DL(",\"expires_at\":\"tomorrow\""), "a bad expires_at" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *got = verdict(t[i].json);

		if (!strstr(got, t[i].want))
			unit_fail(__FILE__, __LINE__, "case %zu %s:\n  got  \"%s\"\n  want \"%s\"", i,
				  t[i].json, got, t[i].want);
	}
}

TEST(lfs_batch_parse_object_errors)
{
	static const char json[] =
		"{\"objects\":["
		"{\"oid\":\"" OID "\",\"size\":1,\"error\":{\"code\":404,\"message\":\"Object does not exist\"}},"
		"{\"oid\":\"" OID2 "\",\"size\":2,\"error\":{\"code\":410,\"message\":\"Gone\\r\\nnow\"},"
		"\"actions\":{\"download\":{\"href\":\"https://x/y\"}}},"
		"{\"oid\":\"" OID3 "\",\"size\":3,\"error\":{\"message\":\"no code\"}},"
		"{\"oid\":\"" OID "\",\"size\":4,\"error\":{\"code\":422}},"
		"{\"oid\":\"" OID2 "\",\"size\":5,\"error\":{\"code\":0,\"message\":\"zero\"}}"
		"]}";
	struct lfs_batch_reply r;

	CHECK_OK(lfs_batch_parse(json, strlen(json), 0, &r));
	CHECK_INT(r.nobj, 5);
	CHECK_INT(r.obj[0].err_code, 404);
	CHECK_STR(r.obj[0].err_msg, "Object does not exist");
	CHECK(!r.obj[0].has_download);
	/* an error wins over actions; control characters become spaces */
	CHECK_INT(r.obj[1].err_code, 410);
	CHECK_STR(r.obj[1].err_msg, "Gone  now");
	CHECK(!r.obj[1].has_download);
	CHECK(r.obj[1].download.href == NULL);
	/* without a usable code: 500 */
	CHECK_INT(r.obj[2].err_code, 500);
	CHECK_STR(r.obj[2].err_msg, "no code");
	CHECK_INT(r.obj[3].err_code, 422);
	CHECK_STR(r.obj[3].err_msg, "");
	CHECK_INT(r.obj[4].err_code, 500);
	lfs_batch_reply_dispose(&r);
}

TEST(lfs_batch_error_reply)
{
	static const struct { const char *json, *want; } t[] = {
		{ "{\"message\":\"Not found\",\"documentation_url\":\"https://lfs.example.com/docs\","
		  "\"request_id\":\"123\"}", "Not found" },
		{ "{\"message\":\"line 1\\nline 2\\ttab\"}", "line 1 line 2 tab" },
		{ "{\"message\":\"\"}", NULL },
		{ "{\"message\":1}", NULL },
		{ "{\"error\":\"x\"}", NULL },
		{ "[\"message\"]", NULL },
		{ "Internal Server Error", NULL },
		{ "", NULL },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *got = lfs_batch_error_message(t[i].json, strlen(t[i].json));

		if (!got != !t[i].want || (got && strcmp(got, t[i].want)))
			unit_fail(__FILE__, __LINE__, "case %zu %s:\n  got  \"%s\"\n  want \"%s\"", i,
				  t[i].json, got ? got : "(null)", t[i].want ? t[i].want : "(null)");
		free(got);
	}
}

TEST(lfs_rfc3339)
{
	static const struct { const char *s; int ok; int64_t want; } t[] = {
		{ "1970-01-01T00:00:00Z", 1, 0 },
		{ "1969-12-31T23:59:59Z", 1, -1 },
		{ "2016-01-02T15:04:05Z", 1, 1451747045 },
		{ "2016-01-02t15:04:05z", 1, 1451747045 },
		{ "2016-01-02T15:04:05.999999999Z", 1, 1451747045 },
		{ "2016-01-02T15:04:05+00:00", 1, 1451747045 },
		{ "2016-01-02T15:04:05-00:00", 1, 1451747045 },
		{ "2016-11-10T15:29:07+01:00", 1, 1478788147 },
		{ "2016-01-02T15:04:05-07:30", 1, 1451774045 },
		{ "2016-01-02T15:04:05.5+23:59", 1, 1451747045 - 86340 },
		{ "2024-02-29T12:00:00Z", 1, 1709208000 },
		{ "2000-02-29T00:00:00Z", 1, 951782400 },
		{ "2016-12-31T23:59:60Z", 1, 1483228800 }, /* a leap second, as RFC 3339 allows */
		{ "9999-12-31T23:59:59Z", 1, 253402300799 },
		{ "0001-01-01T00:00:00Z", 1, -62135596800 },
		{ "", 0, 0 },
		{ "2016-01-02", 0, 0 },
		{ "2016-01-02T15:04:05", 0, 0 },
		{ "2016-01-02 15:04:05Z", 0, 0 },
		{ "2016-01-02T15:04Z", 0, 0 },
		{ "16-01-02T15:04:05Z", 0, 0 },
		{ "2016-1-02T15:04:05Z", 0, 0 },
		{ "2016-00-02T15:04:05Z", 0, 0 },
		{ "2016-13-02T15:04:05Z", 0, 0 },
		{ "2016-01-00T15:04:05Z", 0, 0 },
		{ "2016-01-32T15:04:05Z", 0, 0 },
		{ "2016-04-31T15:04:05Z", 0, 0 },
		{ "2016-02-30T15:04:05Z", 0, 0 },
		{ "2016-01-02T24:00:00Z", 0, 0 },
		{ "2016-01-02T23:60:00Z", 0, 0 },
		{ "2016-01-02T23:59:61Z", 0, 0 },
		{ "2016-01-02T15:04:05.Z", 0, 0 },
		{ "2016-01-02T15:04:05,5Z", 0, 0 },
		{ "2016-01-02T15:04:05+0100", 0, 0 },
		{ "2016-01-02T15:04:05+01", 0, 0 },
		{ "2016-01-02T15:04:05+24:00", 0, 0 },
		{ "2016-01-02T15:04:05+01:60", 0, 0 },
		{ "2016-01-02T15:04:05ZZ", 0, 0 },
		{ "2016-01-02T15:04:05Z ", 0, 0 },
		{ " 2016-01-02T15:04:05Z", 0, 0 },
		{ "+2016-01-02T15:04:05Z", 0, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int64_t got = 42;
		int rc = lfs_parse_rfc3339(t[i].s, &got);

		if (t[i].ok ? rc != 0 || got != t[i].want : rc != -1)
			unit_fail(__FILE__, __LINE__, "case %zu \"%s\": rc %d, %lld", i, t[i].s, rc,
				  (long long)got);
	}
}

/* BUG (git/lfs_batch.c:52-56): the day is checked against 29 for every February,
 * so February 29 of a common year is taken (as March 1). RFC 3339 5.7: date-mday
 * is 01-28/29/30/31 "based on month/year"; Go's time.Parse (git-lfs) refuses it. */
TEST(lfs_rfc3339_calendar)
{
	int64_t t;

	CHECK_INT(lfs_parse_rfc3339("2023-02-29T00:00:00Z", &t), -1);
	CHECK_INT(lfs_parse_rfc3339("1900-02-29T00:00:00Z", &t), -1);
	CHECK_INT(lfs_parse_rfc3339("2100-02-29T00:00:00Z", &t), -1);
}
