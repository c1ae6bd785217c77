/* Smoke test for the static deps prefix (scripts/build-deps): link every
 * library, check runtime versions against the headers, exercise each a bit. */
#include <stdio.h>
#include <string.h>
#include <git2.h>
#include <mbedtls/version.h>
#include <psa/crypto.h>
#include <zstd.h>
#include <zlib.h>
#include <cjson/cJSON.h>
#include <http_parser.h>
#include <libdeflate.h>

#if !defined(MBEDTLS_THREADING_C) || !defined(MBEDTLS_THREADING_PTHREAD)
#error "installed mbedtls headers lack cihelper_user_config.h"
#endif

#define CHECK(c) do { if (!(c)) { printf("FAILED: %s\n", #c); return 1; } } while (0)

int main(void)
{
	static const char msg[] = "cihelper deps smoke test";
	char mbed[32], sha[GIT_OID_SHA1_HEXSIZE + 1], cj[32];
	unsigned char buf[256], out[64];
	unsigned long hp = http_parser_version();
	uLongf zlen = sizeof(buf), olen = sizeof(out);
	int major, minor, rev;
	size_t n;
	git_oid oid;
	cJSON *json;

	CHECK(git_libgit2_init() == 1);
	git_libgit2_version(&major, &minor, &rev);
	CHECK(major == LIBGIT2_VERSION_MAJOR && minor == LIBGIT2_VERSION_MINOR);
	CHECK((git_libgit2_features() & (GIT_FEATURE_HTTPS | GIT_FEATURE_THREADS)) ==
	      (GIT_FEATURE_HTTPS | GIT_FEATURE_THREADS));
	CHECK(git_odb_hash(&oid, "hello\n", 6, GIT_OBJECT_BLOB) == 0);
	git_oid_tostr(sha, sizeof(sha), &oid);
	CHECK(strcmp(sha, "ce013625030ba8dba906f756967f9e9ca394464a") == 0);

	mbedtls_version_get_string(mbed);
	CHECK(strcmp(mbed, MBEDTLS_VERSION_STRING) == 0);
	CHECK(psa_crypto_init() == PSA_SUCCESS);

	CHECK(strcmp(ZSTD_versionString(), ZSTD_VERSION_STRING) == 0);
	n = ZSTD_compress(buf, sizeof(buf), msg, sizeof(msg), 3);
	CHECK(!ZSTD_isError(n));
	CHECK(ZSTD_decompress(out, sizeof(out), buf, n) == sizeof(msg) && !memcmp(out, msg, sizeof(msg)));

	CHECK(strcmp(zlibVersion(), ZLIB_VERSION) == 0);
	CHECK(compress(buf, &zlen, (const Bytef *)msg, sizeof(msg)) == Z_OK);
	CHECK(uncompress(out, &olen, buf, zlen) == Z_OK && olen == sizeof(msg));

	{ /* raw deflate both ways; zlib inflates what libdeflate wrote */
		struct libdeflate_compressor *lc = libdeflate_alloc_compressor(5);
		struct libdeflate_decompressor *ld = libdeflate_alloc_decompressor();
		z_stream z = { 0 };
		size_t got = 0;
		CHECK(lc && ld && strcmp(LIBDEFLATE_VERSION_STRING, "1.14") == 0);
		n = libdeflate_deflate_compress(lc, msg, sizeof(msg), buf, sizeof(buf));
		CHECK(n > 0);
		CHECK(libdeflate_deflate_decompress(ld, buf, n, out, sizeof(out), &got) == LIBDEFLATE_SUCCESS &&
		      got == sizeof(msg) && !memcmp(out, msg, sizeof(msg)));
		CHECK(inflateInit2(&z, -15) == Z_OK);
		z.next_in = buf, z.avail_in = (uInt)n, z.next_out = out, z.avail_out = sizeof(out);
		CHECK(inflate(&z, Z_FINISH) == Z_STREAM_END && z.total_out == sizeof(msg));
		inflateEnd(&z);
		libdeflate_free_compressor(lc);
		libdeflate_free_decompressor(ld);
	}

	snprintf(cj, sizeof(cj), "%d.%d.%d", CJSON_VERSION_MAJOR, CJSON_VERSION_MINOR, CJSON_VERSION_PATCH);
	CHECK(strcmp(cJSON_Version(), cj) == 0);
	CHECK((json = cJSON_Parse("{\"a\": [1, 2.5]}")) != NULL);
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(json, "a")) == 2);
	cJSON_Delete(json);

	CHECK(hp == (HTTP_PARSER_VERSION_MAJOR << 16 | HTTP_PARSER_VERSION_MINOR << 8 | HTTP_PARSER_VERSION_PATCH));

	printf("libgit2 %d.%d.%d\nmbedtls %s\nzstd %s\nzlib %s\ncJSON %s\nhttp_parser %lu.%lu.%lu\n",
	       major, minor, rev, mbed, ZSTD_versionString(), zlibVersion(), cJSON_Version(),
	       hp >> 16, (hp >> 8) & 255, hp & 255);
	git_libgit2_shutdown();
	puts("smoke: OK");
	return 0;
}
