/* --gocloud-url parsing: object URLs for every S3 addressing form and Azure. */
#include <stdlib.h>

#include "../../helper/gocloud.h"
#include "unit.h"

static void s3_env(void)
{
	setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "gocloud-unit-secret-value", 1);
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1); /* no instance role looked for */
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
}

static void expect_url(const char *gc, const char *want)
{
	struct gocloud *g;
	CHECK_OK(gocloud_open(&g, gc));
	CHECK_STR(gocloud_url(g), want);
	gocloud_close(g);
}

TEST(gocloud_s3_addressing)
{
	s3_env();
	expect_url("s3://bkt/runner/project/1/key%20one/cache.zip?awssdk=v2&region=eu-west-1",
		   "https://bkt.s3.eu-west-1.amazonaws.com/runner/project/1/key%20one/cache.zip");
	expect_url("s3://bkt/o?region=eu-west-1&use_path_style=true",
		   "https://s3.eu-west-1.amazonaws.com/bkt/o");
	expect_url("s3://bkt/o?region=us-east-2&dualstack=true", "https://bkt.s3.dualstack.us-east-2.amazonaws.com/o");
	expect_url("s3://bkt/o?region=us-east-2&accelerate=true", "https://bkt.s3-accelerate.amazonaws.com/o");
	expect_url("s3://bkt/o?region=r&endpoint=http%3A%2F%2Fminio%3A9000&use_path_style=true", "http://minio:9000/bkt/o");
	expect_url("s3://bkt/o?region=r&endpoint=https://storage.example.com", "https://bkt.storage.example.com/o");
	expect_url("s3://bkt/o?region=r&endpoint=https://storage.example.com/&hostname_immutable=true",
		   "https://storage.example.com/bkt/o");
	setenv("AWS_REGION", "ap-south-1", 1);
	expect_url("s3://bkt/o", "https://bkt.s3.ap-south-1.amazonaws.com/o");
}

TEST(gocloud_errors)
{
	struct gocloud *g;

	s3_env();
	CHECK_FAILS(gocloud_open(&g, "s3://bkt/?region=r"), CIH_EUSAGE);
	CHECK_ERR("no object name provided");
	CHECK_FAILS(gocloud_open(&g, "s3://bkt/o"), CIH_EUSAGE);
	CHECK_ERR("no region");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	CHECK_FAILS(gocloud_open(&g, "s3://bkt/o?region=r"), CIH_EAUTH);
	CHECK_ERR("AWS_SECRET_ACCESS_KEY");
	CHECK_FAILS(gocloud_open(&g, "gs://bkt/o"), CIH_EUSAGE);
	CHECK_ERR("no driver registered for \"gs\"");
	unsetenv("AZURE_STORAGE_SAS_TOKEN");
	setenv("AZURE_STORAGE_ACCOUNT", "acct", 1);
	CHECK_FAILS(gocloud_open(&g, "azblob://c/o"), CIH_EAUTH);
	CHECK_ERR("AZURE_STORAGE_SAS_TOKEN");
}

TEST(gocloud_azure_addressing)
{
	setenv("AZURE_STORAGE_ACCOUNT", "acct", 1);
	setenv("AZURE_STORAGE_SAS_TOKEN", "?sv=2021&sig=gocloudunitsig", 1);
	unsetenv("AZURE_STORAGE_DOMAIN");
	unsetenv("AZURE_STORAGE_PROTOCOL");
	unsetenv("AZURE_STORAGE_IS_LOCAL_EMULATOR");
	expect_url("azblob://cache/runner/key/cache.zip", "https://acct.blob.core.windows.net/cache/runner/key/cache.zip?sv=2021&sig=gocloudunitsig");
	setenv("AZURE_STORAGE_DOMAIN", "blob.core.chinacloudapi.cn", 1);
	expect_url("azblob://cache/o", "https://acct.blob.core.chinacloudapi.cn/cache/o?sv=2021&sig=gocloudunitsig");
	expect_url("azblob://cache/o?protocol=http&localemu=true&domain=127.0.0.1:10000",
		   "http://127.0.0.1:10000/acct/cache/o?sv=2021&sig=gocloudunitsig");
}
