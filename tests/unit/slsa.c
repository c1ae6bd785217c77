/* The SLSA provenance statement: read back with cJSON, digests checked against
 * mbedtls and a known vector; Go's time.Parse error texts. */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <mbedtls/sha256.h>

#include "../../helper/buf.h"
#include "../../helper/slsa.h"
#include "../../helper/slsa_internal.h"
#include "../../helper/version.h"
#include "unit.h"

#define SHA256_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define META "artifacts-metadata.json"

struct items {
	struct sel_entry v[64];
	size_t n;
};

static void add(struct items *it, const char *path)
{
	CHECK(it->n < 64);
	it->v[it->n].path = (char *)path;
	memset(&it->v[it->n].st, 0, sizeof(it->v[it->n].st));
	lstat(path, &it->v[it->n].st);
	it->n++;
}

static void put(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	CHECK(f && fwrite(data, 1, len, f) == len && fclose(f) == 0);
}

static char *slurp(const char *path)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t r;
	FILE *f = fopen(path, "rb");

	CHECK(f != NULL);
	while ((r = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_put(&b, chunk, r);
	fclose(f);
	return b.ptr;
}

static cJSON *load(const char *path)
{
	char *text = slurp(path);
	cJSON *j = cJSON_Parse(text);
	free(text);
	CHECK(j != NULL);
	return j;
}

static const char *str_at(const cJSON *j, const char *dotted)
{
	char path[256], *save = NULL;

	snprintf(path, sizeof(path), "%s", dotted);
	for (char *k = strtok_r(path, ".", &save); k && j; k = strtok_r(NULL, ".", &save))
		j = cJSON_IsArray(j) ? cJSON_GetArrayItem(j, atoi(k)) : cJSON_GetObjectItemCaseSensitive(j, k);
	return j && cJSON_IsString(j) ? j->valuestring : NULL;
}

static void sha_hex(const void *data, size_t len, char out[65])
{
	unsigned char d[32];

	mbedtls_sha256(data, len, d, 0);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static const char *runner_version(void)
{
	const struct version_info *v = version_get();
	return v->version[0] == 'v' ? v->version : v->revision;
}

static struct slsa_opts opts(void)
{
	static const char *const params[] = { "FOO", "CI_JOB_ID", "source", "FOO" };
	return (struct slsa_opts){
		.job_id = 123,
		.runner_id = 7,
		.repo_url = "https://gitlab.example.com/group/project",
		.repo_digest = "0123456789abcdef0123456789abcdef01234567",
		.job_name = "build job",
		.executor_name = "docker",
		.runner_name = "runner \"one\"",
		.params = params,
		.nparams = 4,
		.started_at = "2024-05-06T09:08:09+02:00",
		.ended_at = "2024-05-06T07:18:09.5Z",
		.schema_version = "v1",
	};
}

TEST(slsa_statement_has_every_field)
{
	struct items it = { .n = 0 };
	struct slsa_opts o = opts();
	char b_sum[65], want[256];
	static const char b_data[] = "second file\n";
	struct stat st;

	CHECK(mkdir("dir", 0755) == 0);
	put("a.txt", "abc", 3);
	put("dir/b.txt", b_data, sizeof(b_data) - 1);
	put(META, "stale", 5);
	CHECK(symlink("a.txt", "link") == 0);
	sha_hex(b_data, sizeof(b_data) - 1, b_sum);
	add(&it, "link");
	add(&it, "dir/b.txt");
	add(&it, ".");
	add(&it, META);
	add(&it, "dir");
	add(&it, "a.txt");
	unit_log_capture();
	CHECK_OK(slsa_write(&o, it.v, it.n, META));
	CHECK_STR(unit_log_output(), "");
	CHECK(stat(META, &st) == 0);
	CHECK_INT(st.st_mode & 07777, 0644);

	char *text = slurp(META);
	CHECK(!strncmp(text, "{\n \"_type\": \"https://in-toto.io/Statement/v0.1\",\n \"subject\": [\n  {\n"
			     "   \"name\": \"a.txt\",\n   \"digest\": {\n    \"sha256\": \"" SHA256_ABC "\"\n",
		       180));
	CHECK(text[strlen(text) - 1] == '}');
	free(text);

	cJSON *j = load(META);
	CHECK_STR(str_at(j, "_type"), "https://in-toto.io/Statement/v0.1");
	CHECK_STR(str_at(j, "predicateType"), "https://slsa.dev/provenance/v1");
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "subject")), 2);
	CHECK_STR(str_at(j, "subject.0.name"), "a.txt");
	CHECK_STR(str_at(j, "subject.0.digest.sha256"), SHA256_ABC);
	CHECK_STR(str_at(j, "subject.1.name"), "dir/b.txt");
	CHECK_STR(str_at(j, "subject.1.digest.sha256"), b_sum);

	snprintf(want, sizeof(want), "https://gitlab.com/gitlab-org/gitlab-runner/-/blob/%s/PROVENANCE.md",
		 runner_version());
	CHECK_STR(str_at(j, "predicate.buildDefinition.buildType"), want);
	cJSON *ext = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "predicate"),
								 "buildDefinition"),
					 "externalParameters");
	const char *keys[] = { "CI_JOB_ID", "FOO", "entryPoint", "source" };
	const char *vals[] = { "", "", "build job", "https://gitlab.example.com/group/project" };
	cJSON *e = ext ? ext->child : NULL;
	for (int i = 0; i < 4; i++, e = e->next) {
		CHECK(e != NULL);
		CHECK_STR(e->string, keys[i]);
		CHECK_STR(e->valuestring, vals[i]);
	}
	CHECK(e == NULL);
	CHECK_STR(str_at(j, "predicate.buildDefinition.internalParameters.architecture"),
		  version_get()->arch);
	CHECK_STR(str_at(j, "predicate.buildDefinition.internalParameters.executor"), "docker");
	CHECK_STR(str_at(j, "predicate.buildDefinition.internalParameters.job"), "123");
	CHECK_STR(str_at(j, "predicate.buildDefinition.internalParameters.name"), "runner \"one\"");
	CHECK_STR(str_at(j, "predicate.buildDefinition.resolvedDependencies.0.uri"), o.repo_url);
	CHECK_STR(str_at(j, "predicate.buildDefinition.resolvedDependencies.0.digest.sha256"),
		  o.repo_digest);
	CHECK_STR(str_at(j, "predicate.runDetails.builder.id"),
		  "https://gitlab.example.com/group/project/-/runners/7");
	CHECK_STR(str_at(j, "predicate.runDetails.builder.version.gitlab-runner"), runner_version());
	CHECK_STR(str_at(j, "predicate.runDetails.metadata.invocationId"), "123");
	CHECK_STR(str_at(j, "predicate.runDetails.metadata.startedOn"), "2024-05-06T07:08:09Z");
	CHECK_STR(str_at(j, "predicate.runDetails.metadata.finishedOn"), "2024-05-06T07:18:09.500Z");
	/* a protobuf Struct: keys sorted */
	cJSON *md = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "predicate"),
								"runDetails"),
					"metadata");
	CHECK_STR(md->child->string, "finishedOn");
	CHECK_STR(md->child->next->string, "invocationId");
	CHECK_STR(cJSON_GetObjectItem(j, "predicate")->child->string, "buildDefinition");
	cJSON_Delete(j);
}

TEST(slsa_no_subject_and_no_uri_are_omitted)
{
	struct items it = { .n = 0 };
	struct slsa_opts o = opts();

	o.repo_url = "";
	o.schema_version = "unknown";
	CHECK(mkdir("dir", 0755) == 0);
	add(&it, "dir");
	unit_log_capture();
	CHECK_OK(slsa_write(&o, it.v, it.n, "out.json"));
	CHECK(strstr(unit_log_output(), "WARNING: Unknown SLSA provenance version unknown, defaulting to v1"));
	cJSON *j = load("out.json");
	CHECK(!cJSON_GetObjectItem(j, "subject"));
	CHECK(!str_at(j, "predicate.buildDefinition.resolvedDependencies.0.uri"));
	CHECK_STR(str_at(j, "predicate.buildDefinition.resolvedDependencies.0.digest.sha256"),
		  o.repo_digest);
	CHECK_STR(str_at(j, "predicate.buildDefinition.externalParameters.source"), "");
	CHECK_STR(str_at(j, "predicate.runDetails.builder.id"), "/-/runners/7");
	cJSON_Delete(j);
}

TEST(slsa_many_files_hashed_in_parallel)
{
	struct items it = { .n = 0 };
	struct slsa_opts o = opts();
	static char names[40][16];
	size_t size = 1 << 20;
	unsigned char *data = malloc(size);
	char sums[40][65];

	CHECK(data != NULL);
	for (int i = 0; i < 40; i++) {
		for (size_t k = 0; k < size; k++)
			data[k] = (unsigned char)(k * 31 + (size_t)i * 7 + (k >> 9));
		snprintf(names[i], sizeof(names[i]), "f%02d.bin", i);
		put(names[i], data, size - (size_t)i);
		sha_hex(data, size - (size_t)i, sums[i]);
		add(&it, names[i]);
	}
	free(data);
	CHECK_OK(slsa_write(&o, it.v, it.n, "out.json"));
	cJSON *j = load("out.json");
	for (int i = 0; i < 40; i++) {
		char key[64];
		snprintf(key, sizeof(key), "subject.%d.name", i);
		CHECK_STR(str_at(j, key), names[i]);
		snprintf(key, sizeof(key), "subject.%d.digest.sha256", i);
		CHECK_STR(str_at(j, key), sums[i]);
	}
	cJSON_Delete(j);
}

TEST(slsa_errors_are_upstreams)
{
	struct items it = { .n = 0 };
	struct slsa_opts o = opts();

	o.started_at = "";
	put("a.txt", "abc", 3);
	add(&it, "a.txt");
	CHECK_FAILS(slsa_write(&o, it.v, it.n, "out.json"), CIH_EUSAGE);
	CHECK_STR(err_last()->msg,
		  "parsing time \"\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"\" as \"2006\"");
	CHECK(access("out.json", F_OK) != 0);

	o = opts();
	CHECK(unlink("a.txt") == 0);
	CHECK_FAILS(slsa_write(&o, it.v, it.n, "out.json"), CIH_EOS);
	CHECK_STR(err_last()->msg, "open a.txt: no such file or directory");

	it.n = 0;
	put("bad\xff", "x", 1);
	add(&it, "bad\xff");
	CHECK_FAILS(slsa_write(&o, it.v, it.n, "out.json"), CIH_EUSAGE);
	CHECK_STR(err_last()->msg,
		  "proto: field in_toto_attestation.v1.ResourceDescriptor.name contains invalid UTF-8");
	o.job_name = "job\xc3";
	CHECK_FAILS(slsa_write(&o, it.v, it.n, "out.json"), CIH_EUSAGE);
	CHECK_STR(err_last()->msg, "proto: invalid UTF-8 in string: \"job\\xc3\"");
	CHECK(access("out.json", F_OK) != 0);
}

static void parse_fails(const char *value, const char *msg)
{
	struct slsa_time t;
	char want[512];

	CHECK_FAILS(slsa__parse_time(value, &t), CIH_EUSAGE);
	snprintf(want, sizeof(want), "parsing time %s", msg);
	CHECK_STR(err_last()->msg, want);
}

static void parse_formats(const char *value, const char *want)
{
	struct slsa_time t;
	char out[40];

	CHECK_OK(slsa__parse_time(value, &t));
	CHECK_OK(slsa__format_time(&t, out));
	CHECK_STR(out, want);
}

TEST(slsa_time_parse_as_go)
{
	parse_formats("2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z");
	parse_formats("2024-01-02T3:04:05Z", "2024-01-02T03:04:05Z"); /* Go's general path */
	parse_formats("2024-01-01T00:30:00+01:00", "2023-12-31T23:30:00Z");
	parse_formats("2024-02-29T12:00:00-11:30", "2024-02-29T23:30:00Z");
	parse_formats("2024-01-02T03:04:05,123456789999+00:00", "2024-01-02T03:04:05.123456789Z");
	parse_formats("2024-01-02T03:04:05.1234Z", "2024-01-02T03:04:05.123400Z");
	parse_formats("1969-12-31T23:59:59.000000001Z", "1969-12-31T23:59:59.000000001Z");
	parse_formats("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z");
	parse_formats("9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z");

	parse_fails("2024-01-02 03:04:05Z", "\"2024-01-02 03:04:05Z\" as \"2006-01-02T15:04:05Z07:00\": "
					    "cannot parse \" 03:04:05Z\" as \"T\"");
	parse_fails("2024-01-02T03:04:05", "\"2024-01-02T03:04:05\" as \"2006-01-02T15:04:05Z07:00\": "
					   "cannot parse \"\" as \"Z07:00\"");
	parse_fails("24-01-02T03:04:05Z", "\"24-01-02T03:04:05Z\" as \"2006-01-02T15:04:05Z07:00\": "
					  "cannot parse \"24-01-02T03:04:05Z\" as \"2006\"");
	parse_fails("2024-1-02T03:04:05Z", "\"2024-1-02T03:04:05Z\" as \"2006-01-02T15:04:05Z07:00\": "
					   "cannot parse \"1-02T03:04:05Z\" as \"01\"");
	parse_fails("2024-01-02T03:04:05+0100", "\"2024-01-02T03:04:05+0100\" as "
						"\"2006-01-02T15:04:05Z07:00\": cannot parse \"+0100\" as \"Z07:00\"");
	parse_fails("2024-13-02T03:04:05Z", "\"2024-13-02T03:04:05Z\": month out of range");
	parse_fails("2023-02-29T03:04:05Z", "\"2023-02-29T03:04:05Z\": day out of range");
	parse_fails("2024-01-02T24:04:05Z", "\"2024-01-02T24:04:05Z\": hour out of range");
	parse_fails("2024-01-02T03:60:05Z", "\"2024-01-02T03:60:05Z\": minute out of range");
	parse_fails("2024-01-02T03:04:60Z", "\"2024-01-02T03:04:60Z\": second out of range");
	parse_fails("2024-01-02T03:04:05+25:00", "\"2024-01-02T03:04:05+25:00\": time zone offset hour out of range");
	parse_fails("2024-01-02T03:04:05Zjunk", "\"2024-01-02T03:04:05Zjunk\": extra text: \"junk\"");
	parse_fails("2024-01-02T03:04:05Z\xc3\xa9", "\"2024-01-02T03:04:05Z\\xc3\\xa9\": extra text: \"\\xc3\\xa9\"");

	struct slsa_time t;
	char out[40];
	CHECK_OK(slsa__parse_time("0000-06-01T00:00:00Z", &t));
	CHECK_FAILS(slsa__format_time(&t, out), CIH_EUSAGE);
	CHECK_ERR("proto: google.protobuf.Timestamp: seconds out of range -62154086400");
}
