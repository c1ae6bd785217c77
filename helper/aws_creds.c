/* AWS credentials, in the SDK's order after the environment: the shared credentials
 * file (AWS_PROFILE), the container endpoint (ECS, EKS pod identity) and the EC2
 * instance role through IMDSv2. What a runner passes in --env-file comes first and
 * needs none of this; these serve the helper used by hand on a cloud machine. */
#include "aws_creds.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../net/http.h"
#include "buf.h"
#include "error.h"
#include "log.h"
#include "redact.h"

#define IMDS_TIMEOUT_MS 2000

static char *env_dup(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? strdup(v) : NULL;
}

static void set(struct aws_creds *c, const char *key, const char *secret, const char *token)
{
	c->access_key = key ? strdup(key) : NULL;
	c->secret_key = secret ? strdup(secret) : NULL;
	c->token = token && *token ? strdup(token) : NULL;
	if (c->secret_key)
		redact_add_secret(c->secret_key);
	if (c->token)
		redact_add_secret(c->token);
}

static char *trimmed(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

/* ~/.aws/credentials (or AWS_SHARED_CREDENTIALS_FILE), section AWS_PROFILE or default. */
static bool from_file(struct aws_creds *c)
{
	const char *path = getenv("AWS_SHARED_CREDENTIALS_FILE"), *home = getenv("HOME");
	const char *profile = getenv("AWS_PROFILE");
	char def[4096], line[1024], key[256] = "", secret[256] = "", token[2048] = "";
	bool in = false;
	FILE *f;

	if (!path || !*path) {
		if (!home)
			return false;
		snprintf(def, sizeof(def), "%s/.aws/credentials", home);
		path = def;
	}
	if (!profile || !*profile)
		profile = "default";
	if (!(f = fopen(path, "re")))
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *l = trimmed(line), *eq;
		if (*l == '[') {
			char *end = strchr(l, ']');
			if (end)
				*end = '\0';
			in = !strcmp(trimmed(l + 1), profile);
		} else if (in && (eq = strchr(l, '='))) {
			*eq = '\0';
			char *k = trimmed(l), *v = trimmed(eq + 1);
			if (!strcmp(k, "aws_access_key_id"))
				snprintf(key, sizeof(key), "%s", v);
			else if (!strcmp(k, "aws_secret_access_key"))
				snprintf(secret, sizeof(secret), "%s", v);
			else if (!strcmp(k, "aws_session_token"))
				snprintf(token, sizeof(token), "%s", v);
		}
	}
	fclose(f);
	if (!*key || !*secret)
		return false;
	set(c, key, secret, token);
	log_debug("s3: credentials from %s, profile %s", path, profile);
	return true;
}

/* {"AccessKeyId": ..., "SecretAccessKey": ..., "Token": ...}: both endpoints' form. */
static bool from_json(struct aws_creds *c, const char *body)
{
	cJSON *j = cJSON_Parse(body);
	const cJSON *k = cJSON_GetObjectItem(j, "AccessKeyId"), *s = cJSON_GetObjectItem(j, "SecretAccessKey");
	const cJSON *t = cJSON_GetObjectItem(j, "Token");
	bool ok = cJSON_IsString(k) && cJSON_IsString(s);

	if (ok)
		set(c, k->valuestring, s->valuestring, cJSON_IsString(t) ? t->valuestring : NULL);
	cJSON_Delete(j);
	return ok;
}

static int fetch(struct httpc *h, const char *method, const char *url, const struct httpc_header *hd,
		 size_t n, struct buf *out)
{
	struct httpc_response *r = NULL;
	char tmp[4096];
	ssize_t got;
	int rc = httpc_send(h, &(struct httpc_request){ .method = method, .url = url, .headers = hd,
						       .nheaders = n, .timeout_ms = IMDS_TIMEOUT_MS, .flags = HTTPC_NO_REDIRECTS },
			    &r);

	if (rc < 0)
		return rc;
	if (httpc_resp_status(r) != 200)
		rc = err_set(CIH_EHTTP, "%s %s: status %d", method, url, httpc_resp_status(r));
	while (rc == 0 && (got = httpc_resp_read(r, tmp, sizeof(tmp))) > 0 && out->len < (64 << 10))
		buf_put(out, tmp, (size_t)got);
	httpc_resp_free(r);
	return rc;
}

/* ECS task roles and EKS pod identity: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI. */
static bool from_container(struct aws_creds *c, struct httpc *h)
{
	const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	char *auth = env_dup("AWS_CONTAINER_AUTHORIZATION_TOKEN"), url[2048];
	const char *auth_file = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	struct buf body = BUF_INIT;
	bool ok = false;

	if (rel && *rel)
		snprintf(url, sizeof(url), "http://169.254.170.2%s", rel);
	else if (full && *full)
		snprintf(url, sizeof(url), "%s", full);
	else
		goto out;
	if (!auth && auth_file && *auth_file) {
		FILE *f = fopen(auth_file, "re");
		char line[4096];
		if (f && fgets(line, sizeof(line), f))
			auth = strdup(trimmed(line));
		if (f)
			fclose(f);
	}
	if (auth)
		redact_add_secret(auth);
	struct httpc_header hd = { "Authorization", auth };
	if (fetch(h, "GET", url, &hd, auth ? 1 : 0, &body) == 0)
		ok = from_json(c, buf_cstr(&body));
	if (ok)
		log_debug("s3: credentials from the container endpoint");
	else
		log_with_error(LOG_DEBUG, "s3: no credentials from the container endpoint");
out:
	free(auth);
	buf_dispose(&body);
	return ok;
}

/* The EC2 instance role, IMDSv2 (a session token first). */
static bool from_imds(struct aws_creds *c, struct httpc *h)
{
	const char *base = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT"), *off = getenv("AWS_EC2_METADATA_DISABLED");
	struct buf token = BUF_INIT, role = BUF_INIT, body = BUF_INIT;
	char url[2048];
	bool ok = false;

	if (off && !strcasecmp(off, "true"))
		return false;
	if (!base || !*base)
		base = "http://169.254.169.254";
	size_t bl = strlen(base);
	while (bl && base[bl - 1] == '/')
		bl--;
	struct httpc_header ttl = { "X-aws-ec2-metadata-token-ttl-seconds", "21600" };
	snprintf(url, sizeof(url), "%.*s/latest/api/token", (int)bl, base);
	if (fetch(h, "PUT", url, &ttl, 1, &token) < 0)
		goto out;
	redact_add_secret(buf_cstr(&token));
	struct httpc_header tok = { "X-aws-ec2-metadata-token", buf_cstr(&token) };
	snprintf(url, sizeof(url), "%.*s/latest/meta-data/iam/security-credentials/", (int)bl, base);
	if (fetch(h, "GET", url, &tok, 1, &role) < 0 || !role.len)
		goto out;
	role.ptr[strcspn(role.ptr, "\r\n")] = '\0';
	snprintf(url, sizeof(url), "%.*s/latest/meta-data/iam/security-credentials/%s", (int)bl, base, role.ptr);
	if (fetch(h, "GET", url, &tok, 1, &body) == 0)
		ok = from_json(c, buf_cstr(&body));
	if (ok)
		log_debug("s3: credentials of the instance role %s", role.ptr);
out:
	if (!ok)
		log_with_error(LOG_DEBUG, "s3: no instance role credentials");
	buf_dispose(&token);
	buf_dispose(&role);
	buf_dispose(&body);
	return ok;
}

int aws_creds_load(struct aws_creds *c)
{
	struct httpc *h = NULL;
	bool ok;

	memset(c, 0, sizeof(*c));
	char *key = env_dup("AWS_ACCESS_KEY_ID"), *secret = env_dup("AWS_SECRET_ACCESS_KEY");
	char *token = env_dup("AWS_SESSION_TOKEN");
	ok = key && secret;
	if (ok)
		set(c, key, secret, token);
	free(key);
	free(secret);
	free(token);
	if (ok || from_file(c))
		return 0;
	if (httpc_new(&h, &(struct httpc_opts){ .connect_timeout_ms = IMDS_TIMEOUT_MS, .io_timeout_ms = IMDS_TIMEOUT_MS }) < 0)
		return err_last()->code;
	ok = from_container(c, h) || from_imds(c, h);
	httpc_free(h);
	if (!ok)
		return err_set(CIH_EAUTH, "s3: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a "
				      "profile in ~/.aws/credentials, or run with a container or instance role");
	return 0;
}

void aws_creds_dispose(struct aws_creds *c)
{
	free(c->access_key);
	free(c->secret_key);
	free(c->token);
	memset(c, 0, sizeof(*c));
}
