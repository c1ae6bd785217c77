# artifacts-uploader against the strict jobs-API fake (tests/servers/gitlab_fake.py):
# the request as upstream sends it, every format read back by the reference tools,
# the status table, the metadata statement and what never reaches the logs.

tree() {
  mkdir -p out/sub out/empty && printf 'alpha\n' > out/a.txt && head -c 300000 /dev/urandom > out/sub/b.bin
  ln -s a.txt out/link && printf 'x' > 'out/sp ace.txt' && seq 100000 > out/sub/c.txt
}
upload() { run artifacts-uploader --url "$GL" --token "$TOKEN" --id 5 "$@"; }

t_zip_request_and_content() {
  gitlab_server; tree
  upload --path out --timeout 1h0m0s --response-header-timeout 10m0s
  expect_status 0
  expect_err "Uploading artifacts to coordinator... 201 Created"
  expect_err "out: found 8 matching artifact files and directories"
  [ "$(gl_requests)" = 1 ] || fail "$(gl_requests) requests"
  [ "$(gl_req 1 'r["violation"]')" = None ] || fail "violation: $(gl_req 1 'r["violation"]')"
  [ "$(gl_req 1 'r["target"]')" = "/api/v4/jobs/5/artifacts?" ] || fail "target $(gl_req 1 'r["target"]')"
  [ "$(gl_req 1 'r["multipart"]["filename"]')" = artifacts.zip ] || fail "file name"
  gl_req 1 '[h for h in r["headers"] if h[0].lower() == "user-agent"][0][1]' | grep -q '^gitlab-runner-helper ' ||
    fail "User-Agent: $(gl_req 1 'r["headers"]')"
  unzip -Z1 gl/jobs/5/artifacts.zip > list.txt || fail "Info-ZIP cannot read the upload"
  printf '%s\n' out/ out/a.txt out/empty/ out/link 'out/sp ace.txt' out/sub/ out/sub/b.bin out/sub/c.txt | diff -u - list.txt ||
    fail "entries differ"
  unzip -p gl/jobs/5/artifacts.zip out/sub/b.bin | cmp - out/sub/b.bin || fail "content differs"
}

t_query_name_and_type() {
  gitlab_server; tree
  upload --path out/a.txt --name 'my report' --artifact-format zip --artifact-type junit --expire-in '1 week'
  expect_status 0
  expect_err 'Uploading artifacts as "junit" to coordinator... 201 Created'
  [ "$(gl_req 1 'r["target"]')" = "/api/v4/jobs/5/artifacts?artifact_format=zip&artifact_type=junit&expire_in=1+week" ] ||
    fail "target $(gl_req 1 'r["target"]')"
  [ "$(gl_req 1 'r["multipart"]["filename"]')" = "my report.zip" ] || fail "file name"
  # the name is expanded like a path, and only its base name is used
  CI_JOB_NAME=rspec upload --path out/a.txt --name 'dir/${CI_JOB_NAME}-x' --artifact-format raw
  expect_status 0
  [ "$(gl_req 2 'r["multipart"]["filename"]')" = "rspec-x" ] || fail "raw file name $(gl_req 2 'r["multipart"]')"
  cmp gl/jobs/5/rspec-x out/a.txt || fail "raw content differs"
}

t_formats_read_by_reference_tools() {
  gitlab_server; tree
  upload --path out --artifact-format tarzstd --compression-level slow
  expect_status 0
  zstd -dc gl/jobs/5/artifacts.tar.zst | tar -tf - | sort > list.txt
  grep -qx out/sub/b.bin list.txt && grep -qx out/link list.txt || fail "tar lists: $(cat list.txt)"
  zstd -dc gl/jobs/5/artifacts.tar.zst | tar -xOf - out/sub/b.bin | cmp - out/sub/b.bin || fail "tar content"
  upload --path 'out/*.txt' --artifact-format gzip
  expect_status 0
  cat out/a.txt 'out/sp ace.txt' | cmp - <(gzip -dc gl/jobs/5/artifacts.gz) || fail "gzip members"
  python3 - <<'PY' || fail "gzip member headers"
import struct
d = open("gl/jobs/5/artifacts.gz", "rb").read()
assert d[:2] == b"\x1f\x8b" and d[3] & 0x18 == 0x18, d[:10]
name_end = d.index(b"\0", 10)
assert d[10:name_end] == b"a.txt", d[10:name_end]
assert d[name_end + 1:d.index(b"\0", name_end + 1)] == b"out/a.txt"
PY
  upload --path out --artifact-format gzip
  expect_status 1
  expect_err 'the "out" is not a regular file'
  upload --path 'out/*.txt' --artifact-format raw
  expect_status 1
  expect_err "only one file can be sent as raw"
  [ "$(gl_requests)" = 2 ] || fail "refused selections were sent: $(gl_requests) requests"
  upload --path out --artifact-format zipzstd --compression-level fastest
  expect_status 0
  python3 -c "
import zipfile
z = zipfile.ZipFile('gl/jobs/5/artifacts.zip')
m = {i.filename: i.compress_type for i in z.infolist()}
assert m['out/sub/c.txt'] == 93 and m['out/sub/b.bin'] == 0, m" || fail "zipzstd methods"
  upload --path out --artifact-format bogus
  expect_status 1
  expect_err "unsupported archive format: bogus"
}

t_empty_selection_and_credentials() {
  gitlab_server
  upload --path missing
  expect_status 0
  expect_err "No files to upload"
  [ "$(gl_requests)" = 0 ] || fail "a request was sent"
  run artifacts-uploader --url "$GL" --id 5 --path x
  expect_status 1
  expect_err "Missing runner credentials"
  run artifacts-uploader --url "$GL" --token "$TOKEN" --path x
  expect_status 1
  expect_err "Missing build ID"
  CI_SERVER_URL=$GL CI_JOB_TOKEN=$TOKEN CI_JOB_ID=9 run artifacts-uploader --path missing
  expect_status 0
  expect_err "No files to upload"
}

t_forbidden_and_too_large_are_final() {
  gitlab_server --max-size 1000; tree
  run artifacts-uploader --url "$GL" --token wrong-token-value --id 5 --path out/a.txt
  expect_status 1
  expect_err "Uploading artifacts to coordinator... POST $GL/api/v4/jobs/5/artifacts: 403 Forbidden"
  expect_err "permission denied"
  expect_no_err "wrong-token-value"
  expect_plain "token=$(printf wrong-token-value | sha256sum | cut -c1-9)"
  expect_no_err "wrong-tok"
  [ "$(gl_requests)" = 1 ] || fail "403 was retried"
  upload --path out/sub/b.bin
  expect_status 1
  expect_err "413 Request Entity Too Large"
  expect_err "too large"
  [ "$(gl_requests)" = 2 ] || fail "413 was retried: $(gl_requests)"
}

t_retries_regenerate_the_archive() {
  gitlab_server; tree
  # a reset, then a 500 five times (the API layer's own retries), then success
  gl_script '{"upload": [{"reset": true}, {"status": 500}, {"status": 500}, {"status": 500}, {"status": 500}, {"status": 500}]}'
  upload --path out
  expect_status 0
  [ "$(gl_requests)" = 7 ] || fail "$(gl_requests) requests, want 7"
  expect_err "Waiting before making the next call"
  expect_err "Retrying..."
  expect_err "upload failed with no response from coordinator"
  unzip -p gl/jobs/5/artifacts.zip out/sub/b.bin | cmp - out/sub/b.bin || fail "content after retries"
  # 429 with Retry-After: the wait the server asked for
  gl_script '{"generation": 2, "upload": [{"status": 429, "headers": {"Retry-After": "1"}}]}'
  rm gl/requests.jsonl
  upload --path out/a.txt
  expect_status 0
  expect_plain "duration=1s "
  [ "$(gl_requests)" = 2 ] || fail "429: $(gl_requests) requests"
}

t_gives_up_after_three_failures() {
  gitlab_server; tree
  gl_script "{\"upload\": [$(printf '{"status": 500},%.0s' $(seq 14)) {\"status\": 500}]}"
  CIH_TIMEOUT=120 upload --path out/a.txt
  expect_status 1
  [ "$(gl_requests)" = 15 ] || fail "$(gl_requests) requests, want 3 attempts of 5"
  [ "$(grep -c 'Retrying...' err.txt)" = 2 ] || fail "retries: $(grep -c 'Retrying...' err.txt)"
  expect_err "FATAL: upload failed with no response from coordinator"
}

t_service_unavailable_gets_six_attempts() {
  gitlab_server; tree
  # 503 twice at the command level (5 API attempts each), then success
  gl_script "{\"upload\": [$(printf '{"status": 503},%.0s' $(seq 9)) {\"status\": 503}]}"
  CIH_TIMEOUT=120 upload --path out/a.txt
  expect_status 0
  [ "$(gl_requests)" = 11 ] || fail "$(gl_requests) requests"
  expect_err "service unavailable"
  [ "$(grep -c 'Retrying...' err.txt)" = 2 ] || fail "retries: $(grep -c 'Retrying...' err.txt)"
}

t_redirect_307_resends_the_body() {
  gitlab_server; tree
  gl_script '{"upload": [{"status": 307, "location": "/alt/api/v4/jobs/5/artifacts?"}]}'
  upload --path out
  expect_status 0
  [ "$(gl_requests)" = 2 ] || fail "$(gl_requests) requests"
  [ "$(gl_req 2 'r["path"]')" = /alt/api/v4/jobs/5/artifacts ] || fail "second request went to $(gl_req 2 'r["path"]')"
  [ "$(gl_req 2 'r["violation"]')" = None ] || fail "violation: $(gl_req 2 'r["violation"]')"
  unzip -p gl/jobs/5/artifacts.zip out/sub/b.bin | cmp - out/sub/b.bin || fail "content after 307"
}

t_debug_trace_never_shows_the_token() {
  gitlab_server; tree
  CI_DEBUG_TRACE=true upload --path out/a.txt
  expect_status 0
  expect_err "received response"
  expect_plain 'body={"message": "201 Created"} '
  expect_plain 'header[Content-Type]=[application/json]'
  expect_no_err "$TOKEN"
  expect_no_out "$TOKEN"
}

t_metadata_statement() {
  gitlab_server; tree
  upload --path out --generate-artifacts-metadata --runner-id 42 --repo-url https://gitlab.example.com/g/p \
    --repo-digest 0123456789abcdef0123456789abcdef01234567 --job-name build --executor-name docker \
    --runner-name r1 --metadata-parameter CI_JOB_ID --metadata-parameter FOO \
    --started-at 2026-11-23T10:00:00Z --ended-at 2026-11-23T10:05:00+01:00 --schema-version v1
  expect_status 0
  expect_err "Generating artifacts statement"
  unzip -p gl/jobs/5/artifacts.zip artifacts-metadata.json > meta.json || fail "metadata not in the archive"
  cmp meta.json artifacts-metadata.json || fail "archived metadata differs from the file"
  python3 - <<'PY' || fail "statement: $(cat meta.json)"
import hashlib, json, os
s = json.load(open("meta.json"))
assert s["_type"] == "https://in-toto.io/Statement/v0.1"
assert s["predicateType"] == "https://slsa.dev/provenance/v1"
want = {}
for root, dirs, files in os.walk("out"):
    for f in files:
        p = os.path.join(root, f)
        if os.path.isfile(p) and not os.path.islink(p):
            want[p] = hashlib.sha256(open(p, "rb").read()).hexdigest()
got = {x["name"]: x["digest"]["sha256"] for x in s["subject"]}
assert got == want, (got, want)
p = s["predicate"]
b = p["buildDefinition"]
assert b["externalParameters"] == {"entryPoint": "build", "source": "https://gitlab.example.com/g/p", "CI_JOB_ID": "", "FOO": ""}, b
assert b["internalParameters"]["executor"] == "docker" and b["internalParameters"]["job"] == "5"
assert b["resolvedDependencies"][0]["digest"]["sha256"] == "0123456789abcdef0123456789abcdef01234567"
assert p["runDetails"]["builder"]["id"] == "https://gitlab.example.com/g/p/-/runners/42"
m = p["runDetails"]["metadata"]
assert m["invocationId"] == "5" and m["startedOn"] == "2026-11-23T10:00:00Z" and m["finishedOn"] == "2026-11-23T09:05:00Z", m
PY
  # the excludes apply to the statement too
  upload --path out --generate-artifacts-metadata --exclude artifacts-metadata.json --started-at 2026-11-23T10:00:00Z \
    --ended-at 2026-11-23T10:00:00Z
  expect_status 0
  expect_err "Unknown SLSA provenance version , defaulting to v1"
  ! unzip -Z1 gl/jobs/5/artifacts.zip | grep -q metadata || fail "excluded statement was uploaded"
  upload --path out --generate-artifacts-metadata --started-at yesterday
  expect_status 1
  expect_err 'parsing time "yesterday"'
}

t_zip64_five_gib_streamed_in_bounded_memory() {
  [ -z "$CIH_EXEC" ] || skip "5 GiB through an emulated CPU takes too long; covered on the native arch"
  [ "$(df -Pk . | awk 'NR == 2 {print $4}')" -gt 8000000 ] || skip "needs 8 GB free for the stored 5 GiB upload"
  gitlab_server
  mkdir big && truncate -s 5G big/sparse && printf 'end' >> big/sparse && printf 'small' > big/z.txt
  # peak RSS of the uploader itself, from the kernel's accounting of the child
  python3 - "$CIH_BIN" "$GL" "$TOKEN" <<'PY' > rss.txt 2> err.txt || fail "upload failed: $(cat err.txt)"
import resource, subprocess, sys
rc = subprocess.call([sys.argv[1], "artifacts-uploader", "--url", sys.argv[2], "--token", sys.argv[3],
                      "--id", "50", "--path", "big", "--compression-level", "fastest"], timeout=600)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
sys.exit(rc)
PY
  [ "$(cat rss.txt)" -le 64 ] || fail "peak RSS $(cat rss.txt) MiB for a 5 GiB upload"
  python3 - <<'PY' || fail "zip64 records: $(unzip -lv gl/jobs/50/artifacts.zip | tail -3)"
import zipfile
z = zipfile.ZipFile("gl/jobs/50/artifacts.zip")
i = z.getinfo("big/sparse")
assert i.file_size == 5 * 2**30 + 3 and i.compress_size == i.file_size, (i.file_size, i.compress_size)
assert i.extract_version >= 45 and i.header_offset < 2**32, i.extract_version
j = z.getinfo("big/z.txt")
assert j.header_offset > 2**32 and z.read("big/z.txt") == b"small", j.header_offset
with z.open(i) as f:
    f.seek(i.file_size - 3)
    assert f.read() == b"end"
PY
  rm -rf gl/jobs/50 big
}

t_timeout_bounds_each_request() {
  gitlab_server; tree
  gl_script '{"upload": [{"delay": 4}, {"delay": 4}, {"delay": 4}]}'
  CIH_TIMEOUT=60 upload --path out/a.txt --timeout 1s
  expect_status 1
  # the fake logs a request when it answers: count the attempts on our side
  [ "$(grep -c 'coordinator... error' err.txt)" = 3 ] || fail "$(grep -c 'coordinator... error' err.txt) attempts, want 3"
  plain_err | grep -q 'FATAL: couldn.t execute POST against .*tim' || fail "no timeout error"
}
