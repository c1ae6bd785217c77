# cache-extractor: presigned download (tests/servers/http_fake.py), then extraction.

# make_cache NAME: srv/NAME holds a zip of a small tree, dated 2024-01-02 03:04:05 UTC.
make_cache() {
  mkdir -p tree/sub && printf 'cached\n' > tree/sub/a.txt && ln -sf sub/a.txt tree/link
  (cd tree && zip -qry "../srv/$1" .)
  touch -d '2024-01-02 03:04:05 UTC' "srv/$1"
  rm -rf tree
}

t_downloads_then_extracts_with_metadata() {
  fake_server; make_cache c.zip
  mkdir job && cd job
  run cache-extractor --file ../cache/c.zip --url "$BASE/file/c.zip?X-Amz-Signature=secret" --timeout 1
  expect_status 0
  expect_err "Using presigned URL for cache download"
  expect_err "Downloading c from $BASE/file/c.zip"
  expect_no_err "X-Amz-Signature"
  plain_err | grep -q 'etag="etag-' || fail "no etag field"
  [ "$(cat sub/a.txt)" = cached ] || fail "not extracted"
  [ "$(readlink link)" = sub/a.txt ] || fail "symlink"
  [ "$(stat -c %Y ../cache/c.zip)" = "$(date -d '2024-01-02 03:04:05 UTC' +%s)" ] || fail "mtime not from Last-Modified"
  [ "$(cat ../cache/metadata.json)" = '{"cachekey":"c.zip","foo-bar":"v"}' ] || fail "metadata: $(cat ../cache/metadata.json)"
  [ "$(stat -c %a ../cache/metadata.json)" = 640 ] || fail "metadata mode"
  ls ../cache | grep -q '^cache[0-9]' && fail "a temporary file was left"
  run cache-extractor --file ../cache/c.zip --url "$BASE/file/c.zip"
  expect_status 0
  expect_err "c.zip is up to date"
  expect_no_err "Downloading"
}

t_not_found_is_a_warning_and_exit_1() {
  fake_server; make_cache local.zip
  mkdir -p cache job && cp srv/local.zip cache/c.zip && cd job
  run cache-extractor --file ../cache/c.zip --url "$BASE/file/missing.zip"
  expect_status 1
  expect_err "WARNING: file does not exist"
  [ ! -e sub ] || fail "the local archive must not be extracted after a failed download"
}

t_server_errors_are_retried() {
  fake_server; make_cache c.zip
  mkdir job && cd job
  export FF_USE_PARALLEL_CACHE_TRANSFER=false  # counts requests: no range probe
  run cache-extractor --file ../cache/c.zip --url "$BASE/file/c.zip?fail=2&id=a" --retry-time 0s
  expect_status 0
  [ "$(plain_err | grep -c 'WARNING: Retrying...')" = 2 ] || fail "want two retries"
  expect_err "received: 500 Internal Server Error. Request failed with code: Boom, message: try again"
  [ -e sub/a.txt ] || fail "not extracted"
  run cache-extractor --file ../cache/d.zip --url "$BASE/file/c.zip?fail=9&id=b" --retry 1 --retry-time 0s
  expect_status 1
  [ "$(plain_err | grep -c 'Retrying...')" = 1 ] || fail "want one retry"
  expect_err "WARNING: received: 500 Internal Server Error. Request failed with code: Boom, message: try again"
}

t_alternate_url_chosen_when_newer_or_primary_missing() {
  fake_server; make_cache old.zip; make_cache new.zip
  touch -d '2025-06-01 00:00:00 UTC' srv/new.zip
  mkdir job && cd job
  run cache-extractor --file ../cache/c.zip --url "$BASE/file/old.zip" --alternate-url "$BASE/file/new.zip"
  expect_status 0
  expect_err "Selecting alternate cache URL: newer timestamp"
  expect_err "Downloading c from $BASE/file/new.zip"
  run cache-extractor --file ../cache/e.zip --url "$BASE/file/gone.zip" --alternate-url "$BASE/file/old.zip"
  expect_err "Selecting alternate cache URL: primary not available"
  run cache-extractor --file ../cache/f.zip --url "$BASE/file/new.zip" --alternate-url "$BASE/file/old.zip"
  expect_err "Selecting primary cache URL"
}

t_local_archive_without_url() {
  fake_server; make_cache c.zip
  mkdir job && cd job
  LOG_FORMAT=json run cache-extractor --file ../srv/c.zip
  expect_status 0
  expect_err "No URL provided, cache will not be downloaded from shared cache server. Instead a local version of cache will be extracted."
  expect_no_err '"level"'   # the runner format, whatever LOG_FORMAT says
  [ -e sub/a.txt ] || fail "not extracted"
}

t_missing_inputs() {
  run cache-extractor
  expect_status 1
  expect_err "WARNING: Missing cache file"
  run cache-extractor --file nope.zip
  expect_status 1
  expect_err "WARNING: Cache file does not exist"
  run cache-extractor --file x.zip --transfer-buffer-size -1
  expect_status 1
  expect_err "invalid cache transfer buffer size -1"
}

t_hostile_archive_is_fatal_and_writes_nothing_outside() {
  python3 -c "
import zipfile
with zipfile.ZipFile('evil.zip', 'w') as z:
    z.writestr('ok.txt', 'fine')
    z.writestr('../escaped.txt', 'evil')"
  mkdir job && cd job
  run cache-extractor --file ../evil.zip
  expect_status 1
  expect_err "FATAL: zip '../evil.zip': '../escaped.txt': path is outside of the target"
  [ ! -e ../escaped.txt ] && [ ! -e ok.txt ] || fail "something was written"
}

t_transfer_meter_on_stdout() {
  fake_server; make_cache c.zip
  mkdir job && cd job
  TRANSFER_METER_FREQUENCY=1s run cache-extractor --file ../cache/c.zip --url "$BASE/file/c.zip"
  expect_status 0
  grep -q $'\r''Downloading cache [0-9.]* [KM]\?B/[0-9.]* [KM]\?B (' out.txt || fail "no meter line: $(cat -v out.txt)"
}

t_extractor_concurrency_from_env() {
  fake_server; make_cache c.zip
  mkdir job && cd job
  FASTZIP_EXTRACTOR_CONCURRENCY=0 run cache-extractor --file ../srv/c.zip
  expect_status 1
  expect_err "FATAL: concurrency must be at least 1"
  FASTZIP_EXTRACTOR_CONCURRENCY=two run cache-extractor --file ../srv/c.zip
  expect_status 1
  expect_err 'fastzip extractor concurrency: strconv.ParseInt: parsing "two": invalid syntax'
  FASTZIP_EXTRACTOR_CONCURRENCY=1 run cache-extractor --file ../srv/c.zip
  expect_status 0
  [ -e sub/a.txt ] || fail "not extracted"
}

t_body_cut_short_is_retried_and_leaves_nothing() {
  fake_server; make_cache c.zip
  mkdir job && cd job
  run cache-extractor --file ../cache/c.zip --url "$BASE/file/c.zip?truncate=1" --retry-time 0s
  expect_status 1
  [ "$(plain_err | grep -c 'WARNING: Retrying...')" = 2 ] || fail "want two retries"
  [ -z "$(ls ../cache 2>/dev/null)" ] || fail "left behind: $(ls ../cache)"
  [ ! -e sub ] || fail "extracted a partial download"
}

t_parallel_ranged_download() {
  fake_server
  mkdir -p tree && seq 1 60000 > tree/seq.txt && head -c 100000 /dev/urandom > tree/r.bin
  (cd tree && zip -qry ../srv/p.zip .) && rm -rf tree
  mkdir job && cd job
  run_env FF_USE_PARALLEL_CACHE_TRANSFER=true cache-extractor --file ../cache/p.zip --url "$BASE/file/p.zip" \
    --chunk-size 50000 --concurrency 4
  expect_status 0
  expect_err "Downloading p from $BASE/file/p.zip (parallel)"
  cmp ../cache/p.zip ../srv/p.zip || fail "download differs"
  [ "$(wc -l < seq.txt)" = 60000 ] || fail "not extracted"
  [ "$(cat ../cache/metadata.json)" = '{"cachekey":"p.zip","foo-bar":"v"}' ] || fail "metadata"
  run_env FF_USE_PARALLEL_CACHE_TRANSFER=1 cache-extractor --file ../cache/p.zip --url "$BASE/file/p.zip" --chunk-size 50000
  expect_err "p.zip is up to date"
  # a server that ignores Range: sequential; one that answers the wrong range: an error, retried
  run_env FF_USE_PARALLEL_CACHE_TRANSFER=true cache-extractor --file ../c2/p.zip --url "$BASE/file/p.zip?norange=1" --chunk-size 50000
  expect_status 0
  expect_err "Presigned URL did not honor Range request, using sequential download"
  cmp ../c2/p.zip ../srv/p.zip || fail "sequential fallback differs"
  run_env FF_USE_PARALLEL_CACHE_TRANSFER=true cache-extractor --file ../c3/p.zip --url "$BASE/file/p.zip?badrange=1" \
    --chunk-size 50000 --retry 1 --retry-time 0s
  expect_status 1
  expect_err "range request failed: 206"
  [ -z "$(ls ../c3 2>/dev/null)" ] || fail "left behind: $(ls ../c3)"
  # on by default (the flag unset), off when it says false or does not parse
  run_env cache-extractor --file ../c5/p.zip --url "$BASE/file/p.zip" --chunk-size 50000
  expect_err "(parallel)"
  run_env FF_USE_PARALLEL_CACHE_TRANSFER=false cache-extractor --file ../c6/p.zip --url "$BASE/file/p.zip" --chunk-size 50000
  expect_no_err "(parallel)"
  run_env FF_USE_PARALLEL_CACHE_TRANSFER=maybe cache-extractor --file ../c4/p.zip --url "$BASE/file/p.zip" --chunk-size 50000
  expect_status 0
  expect_err "Error while parsing the value of feature flag"
  expect_no_err "(parallel)"
}
