# artifacts-downloader against the jobs-API fake, and through its redirects against a
# real S3 peer (s3rver behind tests/servers/objstore.js) that must never see the job
# token. Artifacts are made by our uploader and by the reference zip/tar tools.

tree() {
  mkdir -p src/sub src/empty && printf 'alpha\n' > src/a.txt && head -c 200000 /dev/urandom > src/sub/b.bin
  ln -s a.txt src/link
}
# stored JOB NAME FILE: an artifact as the fake keeps it after an upload.
stored() {
  mkdir -p "gl/jobs/$1" && cp "$3" "gl/jobs/$1/$2"
  python3 - "$1" "$2" <<'PY'
import hashlib, json, os, sys
job, name = sys.argv[1], sys.argv[2]
p = os.path.join("gl/jobs", job, name)
json.dump({"filename": name, "size": os.path.getsize(p), "query": {},
           "sha256": hashlib.sha256(open(p, "rb").read()).hexdigest()},
          open(os.path.join("gl/jobs", job, "upload.json"), "w"))
PY
}
download() { run artifacts-downloader --url "$GL" --token "$TOKEN" --id "$@"; }
# download_in DIR ID ARGS...: the same with DIR (made) as the working directory; the
# output lands here as usual.
download_in() {
  local d=$1; shift
  mkdir -p "$d" && cd "$d" && download "$@"
  mv out.txt err.txt .. && cd - >/dev/null
}
same_tree() { diff -r --no-dereference src "$1/src" >diff.txt || fail "trees differ: $(cat diff.txt)"; }

t_round_trip_every_extractable_format() {
  gitlab_server; tree
  for fmt in zip zipzstd tarzstd; do
    run artifacts-uploader --url "$GL" --token "$TOKEN" --id 11 --path src --artifact-format "$fmt"
    expect_status 0
    download_in "x-$fmt" 11 --archiver-staging-dir "$PWD/stage"
    expect_status 0
    expect_err "Downloading artifacts from coordinator... ok"
    same_tree "x-$fmt"
    rm -rf gl/jobs/11
  done
  [ -z "$(ls -A stage 2>/dev/null)" ] || fail "the staging directory keeps $(ls -A stage)"
}

t_reference_archives() {
  gitlab_server; tree
  (zip -qry ref.zip src) && stored 12 artifacts.zip ref.zip
  download_in x 12
  expect_status 0
  same_tree x
  tar -cf - src | zstd -q > ref.tar.zst && stored 13 artifacts.tar.zst ref.tar.zst
  download_in y 13
  expect_status 0
  same_tree y
  gzip -c src/a.txt > a.gz && stored 14 artifacts.gz a.gz
  download 14
  expect_status 1
  expect_err '"gzip" format: unsupported archive format'
}

t_status_mapping() {
  gitlab_server
  download 20
  expect_status 1
  expect_err "Downloading artifacts from coordinator... not found"
  expect_err "FATAL: file does not exist"
  [ "$(gl_requests)" = 1 ] || fail "404 was retried"
  run artifacts-downloader --url "$GL" --token not-the-token --id 20
  expect_status 1
  expect_err "Downloading artifacts from coordinator... unauthorized"
  expect_err "FATAL: permission denied"
  expect_no_err "not-the-token"
  [ "$(gl_requests)" = 2 ] || fail "401 was retried"
  # 502 everywhere: 5 API attempts for each of the 2 helper attempts (--retry 1)
  gl_script "{\"download\": [$(printf '{"status": 502},%.0s' $(seq 9)) {\"status\": 502}]}"
  CIH_TIMEOUT=120 download 20 --retry 1 --retry-time 10ms
  expect_status 1
  expect_err "Downloading artifacts from coordinator... failed"
  expect_err "FATAL: invalid argument"
  [ "$(gl_requests)" = 12 ] || fail "$(gl_requests) requests"
  run artifacts-downloader --url "$GL"
  expect_status 1
  expect_err "Missing runner credentials (--token)"
  expect_err "Missing build ID (--id)"
  expect_err "FATAL: Incomplete arguments"
}

t_traversal_is_refused() {
  gitlab_server
  mkdir -p evil/in && printf 'owned' > evil/x
  python3 - <<'PY'
import zipfile
with zipfile.ZipFile("evil.zip", "w") as z:
    z.writestr("ok.txt", "fine")
    z.writestr("../../escaped.txt", "owned")
PY
  stored 21 artifacts.zip evil.zip
  mkdir -p deep/stage
  download_in deep/work 21 --archiver-staging-dir "$PWD/deep/stage"
  mv deep/out.txt deep/err.txt .
  expect_status 1
  [ ! -e escaped.txt ] && [ ! -e deep/escaped.txt ] || fail "an entry escaped the working directory"
  [ -z "$(ls -A deep/stage 2>/dev/null)" ] || fail "a fatal exit left $(ls -A deep/stage)"
}

# The S3 peer logs every request it gets (OBJSTORE_LOG).
s3_with_log() {
  export OBJSTORE_LOG=$PWD/s3.log
  objstore_server s3
  unset OBJSTORE_LOG
}
no_token_at_s3() {
  [ -s s3.log ] || fail "object storage saw no request"
  ! grep -qi 'job-token' s3.log || fail "object storage got a JOB-TOKEN header: $(grep -i job-token s3.log | head -1)"
  ! grep -qF "$TOKEN" s3.log || fail "object storage saw the job token"
}

t_direct_download_from_object_storage() {
  gitlab_server; tree
  s3_with_log
  (zip -qry ref.zip src) && stored 30 artifacts.zip ref.zip
  objstore put s3 --endpoint "$ENDPOINT" --bucket cache --key artifacts/30.zip --file ref.zip >/dev/null ||
    fail "cannot seed the object store"
  objstore presign s3 --endpoint "$ENDPOINT" --bucket cache --key artifacts/30.zip --method GET | head -1 \
    > gl/jobs/30/redirect.url
  download_in x 30 --direct-download
  expect_status 0
  expect_err "Direct download from 127.0.0.1"
  same_tree x
  [ "$(gl_req 1 'r["query"]')" = "{'direct_download': ['true']}" ] || fail "first request $(gl_req 1 'r["target"]')"
  no_token_at_s3
  # the standard path follows GitLab's redirect: the token must not go along either
  : > s3.log && touch gl/jobs/30/redirect.always
  download_in y 30
  expect_status 0
  same_tree y
  no_token_at_s3
}

t_parallel_ranges_from_object_storage() {
  gitlab_server
  s3_with_log
  mkdir -p src && head -c 40000000 /dev/urandom > src/big.bin && printf 'tail' > src/t.txt
  run artifacts-uploader --url "$GL" --token "$TOKEN" --id 31 --path src --compression-level fastest
  expect_status 0
  objstore put s3 --endpoint "$ENDPOINT" --bucket cache --key a31 --file gl/jobs/31/artifacts.zip >/dev/null ||
    fail "cannot seed the object store"
  objstore presign s3 --endpoint "$ENDPOINT" --bucket cache --key a31 --method GET | head -1 > gl/jobs/31/redirect.url
  download_in x 31 --direct-download --archiver-staging-dir "$PWD/stage"
  expect_status 0
  expect_err "Artifact download: parallel, 16 streams, 16 MiB chunk size"
  same_tree x
  [ "$(grep -c '"Range"\|"range"' s3.log)" -ge 4 ] || fail "not ranged: $(wc -l < s3.log) requests"
  no_token_at_s3
  [ -z "$(ls -A stage 2>/dev/null)" ] || fail "the staging directory keeps $(ls -A stage)"
  # FF_USE_PARALLEL_ARTIFACT_TRANSFER=false: one stream
  FF_USE_PARALLEL_ARTIFACT_TRANSFER=false download_in y 31 --direct-download
  expect_status 0
  expect_no_err "parallel, 16 streams"
  same_tree y
}
