# cache-extractor and cache-archiver against real object-store fakes through
# presigned URLs, as GitLab Runner hands them out: s3rver (S3 SigV4 query
# signing, checked by tests/servers/objstore.js) and azurite (Azure service SAS).
# Needs tests/npm's packages (scripts/install-test-deps); skips without them.

# make_zip NAME: a zip of a small tree (sub/a.txt and a symlink).
make_zip() {
  mkdir -p tree/sub && printf 'cached\n' > tree/sub/a.txt && ln -sf sub/a.txt tree/link
  (cd tree && zip -qry "../$1" .)
  rm -rf tree
}

# presign KIND ARGS...: the URL in $URL, the headers to send as --header args in HDRS.
presign() {
  objstore presign "$@" --endpoint "$ENDPOINT" >presign.txt || fail "presign $*"
  URL=$(head -1 presign.txt)
  HDRS=()
  while IFS= read -r h; do HDRS+=(--header "$h"); done < <(tail -n +2 presign.txt)
}

need_archiver() {
  cih cache-archiver --help >/dev/null 2>&1 || skip "cache-archiver not built"
}

# A small project to archive, with files older than now.
make_project() {
  mkdir -p project/dir/sub
  seq 1 5000 > project/dir/sub/data.txt && printf 'x' > project/dir/x
  touch -d '-1 hour' project/dir/sub/data.txt project/dir/x project/dir/sub project/dir
}

# expect_object KIND KEYARG KEY LOCAL CACHEKEY: the object's bytes equal LOCAL and
# its metadata cachekey is CACHEKEY (and the content type application/octet-stream).
expect_object() {
  objstore get "$1" --endpoint "$ENDPOINT" "$2" "$3" --file got.bin || fail "the object $3 is missing"
  cmp got.bin "$4" || fail "the object $3 differs from $4"
  objstore head "$1" --endpoint "$ENDPOINT" "$2" "$3" >head.json
  python3 - "$5" <<'EOF' || fail "object attributes: $(cat head.json)"
import json, sys
h = json.load(open("head.json"))
assert h["metadata"].get("cachekey") == sys.argv[1], h
assert h["contentType"] == "application/octet-stream", h
EOF
}

extracted_ok() {
  [ "$(cat sub/a.txt)" = cached ] || fail "not extracted"
  [ "$(readlink link)" = sub/a.txt ] || fail "symlink"
}

t_s3_extractor_presigned_get() {
  objstore_server s3; make_zip c.zip
  objstore put s3 --endpoint "$ENDPOINT" --key project/c.zip --file c.zip --meta cachekey=c --meta foo-bar=v
  presign s3 --key project/c.zip --method GET; get=$URL
  mkdir job && cd job
  run cache-extractor --file ../cache/c.zip --url "$get" --timeout 1
  expect_status 0
  expect_err "Downloading c from $ENDPOINT/cache/project/c.zip"
  expect_no_err "X-Amz-Signature"
  extracted_ok
  cmp ../cache/c.zip ../c.zip || fail "downloaded bytes differ"
  [ "$(cat ../cache/metadata.json)" = '{"cachekey":"c","foo-bar":"v"}' ] || fail "metadata: $(cat ../cache/metadata.json)"
  lm=$(objstore head s3 --endpoint "$ENDPOINT" --key project/c.zip | python3 -c 'import json,sys; print(json.load(sys.stdin)["lastModified"])')
  [ "$(stat -c %Y ../cache/c.zip)" = "$(date -d "$lm" +%s)" ] || fail "mtime not from Last-Modified ($lm)"
  run cache-extractor --file ../cache/c.zip --url "$get"
  expect_status 0
  expect_err "c.zip is up to date"
  expect_no_err "Downloading"
}

t_s3_extractor_missing_object_and_head_urls() {
  objstore_server s3; make_zip c.zip
  objstore put s3 --endpoint "$ENDPOINT" --key alt.zip --file c.zip --meta cachekey=alt
  presign s3 --key gone.zip --method GET; gone_get=$URL
  presign s3 --key gone.zip --method HEAD; gone_head=$URL
  presign s3 --key alt.zip --method GET; alt_get=$URL
  presign s3 --key alt.zip --method HEAD; alt_head=$URL
  mkdir -p job/cache && cp c.zip job/cache/c.zip && cd job
  # s3rver: 404 NoSuchKey
  run cache-extractor --file cache/c.zip --url "$gone_get"
  expect_status 1
  expect_err "WARNING: file does not exist"
  [ ! -e sub ] || fail "the local archive must not be extracted after a failed download"
  # presigned HEADs choose the alternate when the primary is missing
  run cache-extractor --file cache/d.zip --url "$gone_get" --head-url "$gone_head" \
    --alternate-url "$alt_get" --alternate-head-url "$alt_head"
  expect_status 0
  expect_err "Selecting alternate cache URL: primary not available"
  expect_err "Downloading d from $ENDPOINT/cache/alt.zip"
  extracted_ok
  [ "$(cat cache/metadata.json)" = '{"cachekey":"alt"}' ] || fail "metadata: $(cat cache/metadata.json)"
  # without head URLs the GET URLs are HEADed: S3 answers 403 (signed for GET), so
  # neither counts as available and the primary is taken
  run cache-extractor --file cache/e.zip --url "$alt_get" --alternate-url "$gone_get"
  expect_status 0
  expect_err "Selecting primary cache URL"
}

t_azure_extractor_sas_get() {
  objstore_server azure; make_zip c.zip
  # Azure metadata names are C# identifiers: no dashes
  objstore put azure --endpoint "$ENDPOINT" --blob project/c.zip --file c.zip --meta cachekey=c --meta foo_bar=v
  presign azure --blob project/c.zip --method GET; get=$URL
  presign azure --blob gone.zip --method GET; gone=$URL
  mkdir job && cd job
  run cache-extractor --file ../cache/c.zip --url "$get" --timeout 1
  expect_status 0
  expect_err "Downloading c from $ENDPOINT/devstoreaccount1/cache/project/c.zip"
  expect_no_err "sig="
  extracted_ok
  cmp ../cache/c.zip ../c.zip || fail "downloaded bytes differ"
  [ "$(cat ../cache/metadata.json)" = '{"cachekey":"c","foo_bar":"v"}' ] || fail "metadata: $(cat ../cache/metadata.json)"
  run cache-extractor --file ../cache/c.zip --url "$get"
  expect_status 0
  expect_err "c.zip is up to date"
  expect_no_err "Downloading"
  # a read SAS serves HEAD too (unlike an S3 GET signature)
  run cache-extractor --file ../cache/d.zip --url "$gone" --alternate-url "$get"
  expect_status 0
  expect_err "Selecting alternate cache URL: primary not available"
  # azurite: 404 BlobNotFound
  run cache-extractor --file ../cache/c.zip --url "$gone"
  expect_status 1
  expect_err "WARNING: file does not exist"
}

t_s3_archiver_presigned_put() {
  need_archiver; objstore_server s3; make_project
  presign s3 --key p/c.zip --method PUT --meta cachekey=k; put=$URL put_hdrs=("${HDRS[@]}")
  # the runner passes the signed headers, Host included (which must not be sent twice)
  [ "${put_hdrs[*]}" = "--header Host: ${ENDPOINT#http://} --header X-Amz-Meta-Cachekey: k" ] ||
    fail "PUT headers: ${put_hdrs[*]}"
  presign s3 --key p/c.zip --method HEAD; head=$URL
  cd project
  run cache-archiver --file ../cache/c.zip --path dir --url "$put" "${put_hdrs[@]}" --check-url "$head" \
    --metadata '{"cachekey":"k"}' --retry-time 0s
  expect_status 0
  expect_err "Uploading c.zip to $ENDPOINT/cache/p/c.zip"
  expect_no_err "X-Amz-Signature"
  expect_object s3 --key p/c.zip ../cache/c.zip k
  # nothing changed: the presigned HEAD finds the object
  run cache-archiver --file ../cache/c.zip --path dir --url "$put" "${put_hdrs[@]}" --check-url "$head" --retry-time 0s
  expect_status 0
  expect_err "Primary cache already exists remotely, skipping upload"
  # a GET-signed check URL: S3 answers HEAD with 403, so the archive is uploaded
  presign s3 --key p/d.zip --method PUT --meta cachekey=d; put2=$URL put2_hdrs=("${HDRS[@]}")
  presign s3 --key p/d.zip --method GET
  run cache-archiver --file ../cache/c.zip --path dir --url "$put2" "${put2_hdrs[@]}" --check-url "$URL" --retry-time 0s
  expect_status 0
  expect_err "Primary cache does not exist remotely, uploading existing archive"
  expect_object s3 --key p/d.zip ../cache/c.zip d
}

t_s3_archiver_signature_mismatch_is_fatal() {
  need_archiver; objstore_server s3; make_project
  presign s3 --key p/c.zip --method PUT --meta cachekey=k
  cd project
  # a signed header with another value: S3 refuses, and a 4xx is not retried
  run cache-archiver --file ../cache/c.zip --path dir --url "$URL" --header "X-Amz-Meta-Cachekey: other" --retry-time 0s
  expect_status 1
  expect_err "FATAL: received: 403 Forbidden. Request failed with code: SignatureDoesNotMatch, message: The request signature we calculated does not match the signature you provided."
  expect_no_err "Retrying"
  objstore head s3 --endpoint "$ENDPOINT" --key p/c.zip >/dev/null 2>&1 && fail "the object was stored"
  true
}

t_azure_archiver_sas_put() {
  need_archiver; objstore_server azure; make_project
  presign azure --blob p/c.zip --method PUT; put=$URL put_hdrs=("${HDRS[@]}")
  presign azure --blob p/c.zip --method GET; check=$URL
  [ "${put_hdrs[*]}" = "--header x-ms-blob-type: BlockBlob" ] || fail "PUT headers: ${put_hdrs[*]}"
  cd project
  run cache-archiver --file ../cache/c.zip --path dir --url "$put" "${put_hdrs[@]}" --header 'x-ms-meta-cachekey: k' \
    --check-url "$check" --retry-time 0s
  expect_status 0
  expect_err "Uploading c.zip to $ENDPOINT/devstoreaccount1/cache/p/c.zip"
  expect_no_err "sig="
  expect_object azure --blob p/c.zip ../cache/c.zip k
  run cache-archiver --file ../cache/c.zip --path dir --url "$put" "${put_hdrs[@]}" --check-url "$check" --retry-time 0s
  expect_status 0
  expect_err "Primary cache already exists remotely, skipping upload"
  # Azure needs x-ms-blob-type on Put Blob: without it azurite answers 400 (not retried)
  presign azure --blob p/e.zip --method PUT
  run cache-archiver --file ../cache/e.zip --path dir --url "$URL" --retry-time 0s
  expect_status 1
  expect_err "FATAL: received: 400"
  expect_no_err "Retrying"
}

t_s3_extractor_parallel_ranges() {
  objstore_server s3
  mkdir -p tree && seq 1 40000 > tree/seq.txt && (cd tree && zip -qry ../big.zip .) && rm -rf tree
  objstore put s3 --endpoint "$ENDPOINT" --key project/big.zip --file big.zip --meta cachekey=big
  presign s3 --key project/big.zip --method GET
  mkdir job && cd job
  run_env FF_USE_PARALLEL_CACHE_TRANSFER=true cache-extractor --file ../cache/big.zip --url "$URL" \
    --chunk-size 20000 --concurrency 3
  expect_status 0
  expect_err "(parallel)"
  cmp ../cache/big.zip ../big.zip || fail "download differs"
  [ "$(wc -l < seq.txt)" = 40000 ] || fail "not extracted"
  [ "$(cat ../cache/metadata.json)" = '{"cachekey":"big"}' ] || fail "metadata: $(cat ../cache/metadata.json)"
}

# s3_env FILE [SECRET]: the credentials file the runner writes for --env-file.
s3_env() {
  printf 'AWS_ACCESS_KEY_ID="S3RVER"\nAWS_PROFILE=""\nAWS_SECRET_ACCESS_KEY="%s"\nAWS_SESSION_TOKEN=""\nCACHE_METADATA="{\\"cachekey\\":\\"ignored\\"}"\n' \
    "${2:-S3RVER}" > "$1"
}

t_s3_gocloud_round_trip() {
  objstore_server s3; need_archiver; make_project
  s3_env creds.env
  gc="s3://cache/project/c.zip?awssdk=v2&region=us-east-1&endpoint=$ENDPOINT&use_path_style=true"
  cd project
  run cache-archiver --file ../cache/c.zip --path dir --gocloud-url "$gc" --env-file ../creds.env --metadata '{"cachekey":"k"}'
  expect_status 0
  expect_err "Using GoCloud URL for cache upload"
  expect_err "Uploading c.zip to s3://cache/project/c.zip"
  expect_no_err "S3RVER"
  cd ..
  objstore get s3 --endpoint "$ENDPOINT" --key project/c.zip --file got.zip && cmp got.zip cache/c.zip || fail "object differs"
  objstore head s3 --endpoint "$ENDPOINT" --key project/c.zip | grep -q '"cachekey":"k"' || fail "metadata not stored"
  mkdir job && cd job
  run cache-extractor --file ../cache2/c.zip --gocloud-url "$gc" --env-file ../creds.env
  expect_status 0
  expect_err "Using GoCloud URL for cache download"
  [ "$(cat dir/sub/data.txt | wc -l)" = 5000 ] || fail "not extracted"
  [ "$(cat ../cache2/metadata.json)" = '{"cachekey":"k"}' ] || fail "metadata.json: $(cat ../cache2/metadata.json)"
  run cache-extractor --file ../cache2/c.zip --gocloud-url "$gc" --env-file ../creds.env
  expect_err "c.zip is up to date"
  # parallel ranges, signed one by one
  run_env FF_USE_PARALLEL_CACHE_TRANSFER=true cache-extractor --file ../cache3/c.zip --gocloud-url "$gc" \
    --env-file ../creds.env --chunk-size 5000 --concurrency 3
  expect_status 0
  expect_err "(parallel)"
  cmp ../cache3/c.zip ../cache/c.zip || fail "parallel download differs"
}

t_s3_gocloud_missing_object_and_bad_credentials() {
  objstore_server s3; need_archiver; make_project
  s3_env creds.env; s3_env bad.env wrong-secret
  gc="s3://cache/none.zip?region=us-east-1&endpoint=$ENDPOINT&use_path_style=true"
  mkdir job && cd job
  # NotFound is no error: the local archive (absent here) is what counts
  run cache-extractor --file ../cache/none.zip --gocloud-url "$gc" --env-file ../creds.env
  expect_status 1
  expect_err "Cache file does not exist"
  cd ../project
  run cache-archiver --file ../cache/c.zip --path dir --gocloud-url "$gc" --env-file ../bad.env
  expect_status 1
  expect_err "SignatureDoesNotMatch"
  expect_no_err "Retrying"
  expect_no_err "wrong-secret"
  run cache-archiver --file ../cache/d.zip --path dir --gocloud-url "s3:///c.zip" --env-file ../creds.env
  expect_status 1
  run cache-archiver --file ../cache/e.zip --path dir --gocloud-url "gs://b/c.zip"
  expect_status 1
  expect_err 'no driver registered for "gs"'
}

t_azure_gocloud_round_trip() {
  objstore_server azure; need_archiver; make_project
  presign azure --blob project/c.zip --method PUT; put_sas=${URL#*\?}
  presign azure --blob project/c.zip --method GET; get_sas=${URL#*\?}
  host=${ENDPOINT#http://}; host=${host%%/*}
  for mode in put get; do
    sas=$put_sas; [ $mode = get ] && sas=$get_sas
    printf 'AZURE_STORAGE_ACCOUNT="devstoreaccount1"\nAZURE_STORAGE_DOMAIN="%s"\nAZURE_STORAGE_SAS_TOKEN="%s"\n' "$host" "$sas" > $mode.env
  done
  gc="azblob://cache/project/c.zip?protocol=http&localemu=true"
  cd project
  run cache-archiver --file ../cache/c.zip --path dir --gocloud-url "$gc" --env-file ../put.env --metadata '{"cachekey":"az"}'
  expect_status 0
  expect_no_err "sig="
  cd ..
  mkdir job && cd job
  run cache-extractor --file ../cache2/c.zip --gocloud-url "$gc" --env-file ../get.env
  expect_status 0
  [ "$(cat dir/sub/data.txt | wc -l)" = 5000 ] || fail "not extracted"
  cmp ../cache2/c.zip ../cache/c.zip || fail "download differs"
  grep -q '"cachekey":"az"' ../cache2/metadata.json || fail "metadata.json: $(cat ../cache2/metadata.json)"
}

# An archive over --chunk-size goes up in parts: S3 multipart, Azure blocks.
t_gocloud_uploads_in_parts() {
  objstore_server s3; need_archiver
  mkdir -p big && head -c 12000000 /dev/urandom > big/r.bin
  s3_env creds.env
  gc="s3://cache/parts.zip?region=us-east-1&endpoint=$ENDPOINT&use_path_style=true"
  run --debug cache-archiver --file c/a.zip --path big --gocloud-url "$gc" --env-file creds.env --chunk-size 5242880
  expect_status 0
  expect_err "in 3 parts of 5242880, 16 at a time"  # parallel by default
  objstore get s3 --endpoint "$ENDPOINT" --key parts.zip --file got.zip && cmp got.zip c/a.zip || fail "multipart object differs"
  gc2="s3://cache/parts2.zip?region=us-east-1&endpoint=$ENDPOINT&use_path_style=true"
  run_env FF_USE_PARALLEL_CACHE_TRANSFER=true --debug cache-archiver --file c/b.zip --path big --gocloud-url "$gc2" \
    --env-file creds.env --chunk-size 5242880 --concurrency 3 --metadata '{"cachekey":"p"}'
  expect_status 0
  expect_err "in 3 parts of 5242880, 3 at a time"
  objstore get s3 --endpoint "$ENDPOINT" --key parts2.zip --file got2.zip && cmp got2.zip c/b.zip || fail "parallel multipart object differs"
  objstore head s3 --endpoint "$ENDPOINT" --key parts2.zip | grep -q '"cachekey":"p"' || fail "metadata lost in multipart"
}

t_azure_gocloud_uploads_in_blocks() {
  objstore_server azure; need_archiver
  mkdir -p big && head -c 3000000 /dev/urandom > big/r.bin
  presign azure --blob blocks.zip --method PUT; put_sas=${URL#*\?}
  host=${ENDPOINT#http://}; host=${host%%/*}
  printf 'AZURE_STORAGE_ACCOUNT="devstoreaccount1"\nAZURE_STORAGE_DOMAIN="%s"\nAZURE_STORAGE_SAS_TOKEN="%s"\n' "$host" "$put_sas" > put.env
  run_env FF_USE_PARALLEL_CACHE_TRANSFER=true --debug cache-archiver --file c/a.zip --path big \
    --gocloud-url "azblob://cache/blocks.zip?protocol=http&localemu=true" --env-file put.env \
    --chunk-size 1000000 --concurrency 2 --metadata '{"cachekey":"blk"}'
  expect_status 0
  expect_err "in 4 parts of 1000000, 2 at a time"
  objstore get azure --endpoint "$ENDPOINT" --blob blocks.zip --file got.zip && cmp got.zip c/a.zip || fail "block blob differs"
  objstore head azure --endpoint "$ENDPOINT" --blob blocks.zip | grep -q '"cachekey":"blk"' || fail "metadata: $(objstore head azure --endpoint "$ENDPOINT" --blob blocks.zip)"
}

# Used by hand on a cloud machine: credentials from a profile, the container
# endpoint or the instance role when the environment has none.
t_s3_gocloud_credential_chain() {
  objstore_server s3; need_archiver; make_project
  python3 "$CIH_TESTS/servers/imds_fake.py" > imds.port &
  PIDS+=($!)
  started imds.port imds_fake.py
  imds=http://127.0.0.1:$(awk '{print $2}' imds.port)
  gc="s3://cache/chain.zip?region=us-east-1&endpoint=$ENDPOINT&use_path_style=true"
  printf '[default]\naws_access_key_id = nope\naws_secret_access_key = nope\n[ci]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n' > creds.ini
  cd project
  run_env AWS_SHARED_CREDENTIALS_FILE=../creds.ini AWS_PROFILE=ci AWS_EC2_METADATA_DISABLED=true \
    cache-archiver --file ../c/a.zip --path dir --gocloud-url "$gc"
  expect_status 0
  run_env AWS_CONTAINER_CREDENTIALS_FULL_URI="$imds/container-creds" AWS_CONTAINER_AUTHORIZATION_TOKEN=container-secret \
    AWS_EC2_METADATA_DISABLED=true HOME=/nonexistent cache-archiver --file ../c/b.zip --path dir --gocloud-url "$gc"
  expect_status 0
  expect_no_err "container-secret"
  run_env AWS_EC2_METADATA_SERVICE_ENDPOINT="$imds" HOME=/nonexistent cache-archiver --file ../c/c.zip --path dir --gocloud-url "$gc"
  expect_status 0
  run_env AWS_EC2_METADATA_DISABLED=true HOME=/nonexistent cache-archiver --file ../c/d.zip --path dir --gocloud-url "$gc"
  expect_status 1
  expect_err "s3: no credentials"
  cd .. && objstore get s3 --endpoint "$ENDPOINT" --key chain.zip --file got.zip && cmp got.zip c/c.zip ||
    fail "the instance-role upload is not there"
}
