/* SigV4 against the worked examples of Amazon's S3 documentation
 * ("Signature Calculations for the Authorization Header"). */
#include <stdio.h>

#include "../../helper/buf.h"
#include "../../net/http.h"
#include "../../net/sigv4.h"
#include "unit.h"

static const struct sigv4_key doc_key = { "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
					  NULL, "us-east-1", "s3" };
#define DOC_TIME ((time_t)1369353600) /* 20130524T000000Z */

static void check_sig(const struct sigv4_out *o, const char *signed_headers, const char *sig)
{
	char want[512];
	snprintf(want, sizeof(want),
		 "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
		 "SignedHeaders=%s, Signature=%s", signed_headers, sig);
	CHECK_STR(o->authorization, want);
	CHECK_STR(o->amz_date, "20130524T000000Z");
}

TEST(sigv4_get_object)
{
	struct httpc_header h[] = { { "Range", "bytes=0-9" } };
	struct sigv4_out o;

	CHECK_OK(sigv4_sign(&doc_key, "GET", "https://examplebucket.s3.amazonaws.com/test.txt", h, 1,
			    SIGV4_EMPTY_SHA256, DOC_TIME, &o));
	check_sig(&o, "host;range;x-amz-content-sha256;x-amz-date",
		  "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(sigv4_put_object_with_an_encoded_key)
{
	struct httpc_header h[] = { { "Date", "Fri, 24 May 2013 00:00:00 GMT" },
				    { "x-amz-storage-class", "REDUCED_REDUNDANCY" } };
	struct sigv4_out o;
	char payload[65];
	struct buf path = BUF_INIT;

	sigv4_sha256_hex("Welcome to Amazon S3.", 21, payload);
	CHECK_STR(payload, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
	buf_puts(&path, "https://examplebucket.s3.amazonaws.com/");
	sigv4_encode_key(&path, "test$file.text");
	CHECK_STR(buf_cstr(&path), "https://examplebucket.s3.amazonaws.com/test%24file.text");
	CHECK_OK(sigv4_sign(&doc_key, "PUT", buf_cstr(&path), h, 2, payload, DOC_TIME, &o));
	check_sig(&o, "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
		  "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
	buf_dispose(&path);
}

TEST(sigv4_queries_are_canonical)
{
	struct sigv4_out o;

	CHECK_OK(sigv4_sign(&doc_key, "GET", "https://examplebucket.s3.amazonaws.com/?lifecycle", NULL, 0,
			    SIGV4_EMPTY_SHA256, DOC_TIME, &o));
	check_sig(&o, "host;x-amz-content-sha256;x-amz-date",
		  "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
	CHECK_OK(sigv4_sign(&doc_key, "GET", "https://examplebucket.s3.amazonaws.com/?prefix=J&max-keys=2",
			    NULL, 0, SIGV4_EMPTY_SHA256, DOC_TIME, &o));
	check_sig(&o, "host;x-amz-content-sha256;x-amz-date",
		  "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}
