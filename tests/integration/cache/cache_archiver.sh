# cache-archiver: selection, archive next to --file, metadata.json, presigned PUT
# (tests/servers/http_fake.py stores what is PUT under srv/).

# project/: a small tree with node_modules-like content, a symlink and an excluded dir.
make_project() {
  mkdir -p project/node_modules/pkg/lib project/node_modules/.bin project/build project/tmp
  (cd project &&
    seq 1 20000 > node_modules/pkg/lib/index.js && printf '{"name":"pkg"}' > node_modules/pkg/package.json &&
    ln -s ../pkg/lib/index.js node_modules/.bin/pkg && printf 'x' > build/out.o &&
    printf 'junk' > tmp/junk && chmod 755 node_modules/pkg/lib)
}

t_archives_locally_without_url() {
  make_project; cd project
  run cache-archiver --file ../cache/key/cache.zip --path node_modules --path 'build/*.o' --metadata '{"CacheKey":"k<1>","a":"b"}'
  expect_status 0
  expect_err "node_modules: found 7 matching artifact files and directories"
  expect_err "build/*.o: found 1 matching artifact files and directories"
  expect_err "No URL provided, cache will not be uploaded to shared cache server. Cache will be stored only locally."
  unzip -tqq ../cache/key/cache.zip || fail "unzip -t"
  [ "$(unzip -Z1 ../cache/key/cache.zip | tr '\n' ' ')" = "build/out.o node_modules/ node_modules/.bin/ node_modules/.bin/pkg node_modules/pkg/ node_modules/pkg/lib/ node_modules/pkg/lib/index.js node_modules/pkg/package.json " ] ||
    fail "entries: $(unzip -Z1 ../cache/key/cache.zip | tr '\n' ' ')"
  [ "$(cat ../cache/key/metadata.json)" = '{"a":"b","cachekey":"k\u003c1\u003e"}' ] || fail "metadata: $(cat ../cache/key/metadata.json)"
  [ "$(stat -c %a ../cache/key)" = 700 ] || fail "cache dir mode"
  ls ../cache/key | grep -q archive_ && fail "temporary file left"
  # nothing changed: the archive is kept as is
  touch -d '+1 hour' ../cache/key/cache.zip
  run cache-archiver --file ../cache/key/cache.zip --alternate-file ../cache/key/cache.zip --path node_modules
  expect_status 0
  expect_err "Archive is up to date!"
  # extraction by us gives the tree back
  mkdir ../out && cd ../out
  run cache-extractor --file ../cache/key/cache.zip
  expect_status 0
  [ "$(readlink node_modules/.bin/pkg)" = ../pkg/lib/index.js ] || fail "symlink"
  cmp node_modules/pkg/lib/index.js ../project/node_modules/pkg/lib/index.js || fail "content"
  [ "$(stat -c %a node_modules/pkg/lib)" = 755 ] || fail "dir mode"
}

t_excludes_untracked_and_no_files() {
  make_project; cd project
  run cache-archiver --file ../c.zip --path node_modules --exclude 'node_modules/pkg/lib/**'
  expect_status 0
  expect_err "node_modules/pkg/lib/**: excluded 2 files"
  unzip -Z1 ../c.zip | grep -q 'index.js' && fail "excluded file archived"
  run cache-archiver --file ../d.zip --path nothing-here
  expect_status 0
  expect_err "nothing-here: no matching files. Ensure that the artifact path is relative to the working directory"
  expect_err "No files to cache."
  [ ! -e ../d.zip ] || fail "an archive was written for nothing"
  run cache-archiver --file ../d.zip --path ../outside
  expect_err "processPath: artifact path is not a subpath of project directory: ../outside"
}

t_uploads_with_headers_and_retries() {
  fake_server; make_project; cd project
  run cache-archiver --file ../cache/c.zip --path node_modules --url "$BASE/file/up.zip?X-Amz-Signature=secret&fail=1&id=u" \
    --header 'x-amz-meta-cachekey: ck' --header 'Host: evil.example' --header 'nocolon' --retry-time 0s \
    --metadata '{"cachekey":"ck"}'
  expect_status 0
  expect_err "Using presigned URL for cache upload"
  expect_err "Uploading c.zip to $BASE/file/up.zip"
  expect_no_err "secret"
  [ "$(plain_err | grep -c 'WARNING: Retrying...')" = 1 ] || fail "want one retry"
  cmp ../srv/up.zip ../cache/c.zip || fail "uploaded bytes differ"
  h=../srv/up.zip.headers.json
  python3 - "$h" "$(date -u -r ../cache/c.zip '+%a, %d %b %Y %H:%M:%S GMT')" <<'EOF' || fail "headers: $(cat $h)"
import json, sys
h = json.load(open(sys.argv[1]))
assert h["x-amz-meta-cachekey"] == "ck", h
assert h["content-type"] == "application/octet-stream", h
assert h["last-modified"] == sys.argv[2], (h, sys.argv[2])
assert h["host"].startswith("127.0.0.1:"), h
assert "transfer-encoding" not in h and int(h["content-length"]) > 100, h
EOF
}

t_size_limit_and_server_errors() {
  fake_server; make_project; cd project
  run cache-archiver --file ../c.zip --path node_modules --url "$BASE/file/big.zip" --max-uploaded-archive-size 10
  expect_status 0
  expect_err "is too big (Limit is set to 10). Cache will be stored only locally."
  [ ! -e ../srv/big.zip ] || fail "uploaded despite the limit"
  run cache-archiver --file ../d.zip --path node_modules --url "$BASE/file/x.zip?fail=9&id=e" --retry 1 --retry-time 0s
  expect_status 1
  expect_err "FATAL: received: 500 Internal Server Error. Request failed with code: Boom, message: try again"
  [ "$(plain_err | grep -c 'Retrying...')" = 1 ] || fail "want one retry"
  run cache-archiver --file ../e.zip --path node_modules --url "$BASE/status/403" --retry-time 0s
  expect_status 1
  expect_no_err "Retrying"
}

t_alternate_file_and_existing_archive() {
  fake_server; make_project; cd project
  run cache-archiver --file ../cache/old/cache.zip --path node_modules
  touch -d '+1 hour' ../cache/old/cache.zip
  run cache-archiver --file ../cache/new/cache.zip --alternate-file ../cache/old/cache.zip --path node_modules \
    --url "$BASE/file/new.zip" --check-url "$BASE/file/new.zip"
  expect_status 0
  expect_err "Renamed alternate cache file to primary"
  expect_err "Primary cache does not exist remotely, uploading existing archive"
  [ -e ../srv/new.zip ] && [ ! -e ../cache/old/cache.zip ] || fail "not renamed and uploaded"
  run cache-archiver --file ../cache/new/cache.zip --alternate-file ../cache/old/cache.zip --path node_modules \
    --url "$BASE/file/new.zip" --check-url "$BASE/file/new.zip"
  expect_err "Primary cache already exists remotely, skipping upload"
}

t_formats_levels_and_bad_input() {
  make_project; cd project
  run cache-archiver --file ../z.zip --path node_modules --compression-format ZIPZSTD --compression-level slowest
  expect_status 0
  python3 -c "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); assert any(i.compress_type==93 for i in z.infolist())" ../z.zip ||
    fail "no zstd entry"
  run_env CACHE_COMPRESSION_LEVEL=fastest cache-archiver --file ../s.zip --path node_modules
  python3 -c "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); assert all(i.compress_type==0 for i in z.infolist())" ../s.zip ||
    fail "fastest must store"
  run cache-archiver --file ../b.zip --path node_modules --compression-level turbo
  expect_err 'compression level "turbo" is invalid, falling back to default'
  run cache-archiver --path node_modules
  expect_status 1
  expect_err "Missing --file"
  run cache-archiver --file ../c.zip --path node_modules --transfer-buffer-size -1
  expect_status 1
  expect_err "invalid cache transfer buffer size -1 (CACHE_TRANSFER_BUFFER_SIZE / --transfer-buffer-size): must be positive; use 0 for default 4194304 bytes"
  run cache-archiver --file ../c.zip --path node_modules --metadata 'nope'
  expect_status 1
  run_env FASTZIP_ARCHIVER_CONCURRENCY=0 cache-archiver --file ../f.zip --path node_modules
  expect_status 1
  expect_err "concurrency must be at least 1"
  [ -z "$(ls .. | grep archive_)" ] || fail "temporary file left"
}

# describe DIR: "path type mode size mtime sha" for everything under DIR, sorted
# (NOLINKTIME=1: without symlink mtimes, which Info-ZIP unzip does not restore).
describe() {
  (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | while read -r f; do
    if [ -L "$f" ]; then echo "$f link $(readlink "$f") $([ "${NOLINKTIME:-}" ] || stat -c %Y "$f")"
    elif [ -d "$f" ]; then echo "$f dir $(stat -c '%a %Y' "$f")"
    else echo "$f file $(stat -c '%a %s %Y' "$f") $(sha256sum <"$f" | cut -c1-16)"; fi
  done)
}

# rich/: every kind of entry cihelper archives (and a fifo it skips), whole-second times
make_rich_tree() {
  mkdir -p rich/a/b/c rich/empty-dir && (cd rich &&
    seq 1 50000 > a/seq.txt && head -c 200000 /dev/urandom > a/b/random.bin && : > a/b/c/empty &&
    printf '#!/bin/sh\n' > run.sh && chmod 750 run.sh && chmod 700 a/b &&
    printf 'x' > "$(printf 'caf\303\251 name')" && ln -s a/seq.txt link && ln -s ../../run.sh a/b/up &&
    ln -s missing dangling && mkfifo fifo && n=$(printf 'd%.0s' $(seq 120)) && mkdir "$n" &&
    echo long > "$n/$(printf 'f%.0s' $(seq 150))" &&
    find . -exec touch -h -d '2022-02-02 02:02:02' {} + && touch -h -d '2023-03-03 03:03:03' link a/seq.txt)
}

t_tarzstd_round_trip_and_gnu_tar_interop() {
  make_rich_tree
  run cache-archiver --file c/cache.zip --path rich --compression-format tarzstd
  expect_status 0
  [ "$(head -c 4 c/cache.zip | od -An -tx1 | tr -d ' ')" = 28b52ffd ] || fail "not a zstd stream"
  rm rich/fifo
  want=$(describe rich)
  mkdir ours gnu
  (cd ours && umask 077 && run cache-extractor --file ../c/cache.zip && expect_status 0) || exit 1
  [ "$(describe ours/rich)" = "$want" ] || fail "our extraction differs: $(diff <(echo "$want") <(describe ours/rich))"
  zstd -dcq c/cache.zip | tar -C gnu -xf - || fail "GNU tar cannot read it"
  [ "$(describe gnu/rich)" = "$want" ] || fail "GNU tar's extraction differs: $(diff <(echo "$want") <(describe gnu/rich))"
  # the other way: GNU tar (PAX, long names) through zstd, extracted by us
  tar --format=pax -cf - rich | zstd -q -3 -o gnu.tar.zst
  mkdir ours2 && cd ours2
  run cache-extractor --file ../gnu.tar.zst
  expect_status 0
  cd ..
  [ "$(describe ours2/rich)" = "$want" ] || fail "GNU tar archive extracted differently: $(diff <(echo "$want") <(describe ours2/rich))"
}

t_zip_interop_both_ways() {
  make_rich_tree; rm rich/fifo
  run cache-archiver --file ours.zip --path rich
  expect_status 0
  zip -qry info.zip rich
  want=$(NOLINKTIME=1 describe rich)
  mkdir u && (cd u && unzip -qq ../ours.zip) || fail "unzip failed"
  [ "$(NOLINKTIME=1 describe u/rich)" = "$want" ] || fail "unzip of ours differs: $(diff <(echo "$want") <(NOLINKTIME=1 describe u/rich))"
  python3 -c "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None" ours.zip || fail "python zipfile"
  mkdir x && cd x
  umask 027
  run cache-extractor --file ../info.zip
  expect_status 0
  cd ..
  [ "$(NOLINKTIME=1 describe x/rich)" = "$want" ] || fail "Info-ZIP archive extracted differently: $(diff <(echo "$want") <(NOLINKTIME=1 describe x/rich))"
}
t_hostile_tar_is_refused_and_writes_nothing_outside() {
  mkdir -p evil/sub out && ln -s /tmp evil/sub/escape
  python3 - <<'PY'
import io, tarfile, subprocess
def make(name, entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for kind, path, data in entries:
            ti = tarfile.TarInfo(path)
            if kind == "link":
                ti.type, ti.linkname = tarfile.SYMTYPE, data
                t.addfile(ti)
            else:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
    open(name + ".tar", "wb").write(buf.getvalue())
    subprocess.run(["zstd", "-q", "-f", name + ".tar", "-o", name + ".tar.zst"], check=True)
make("dotdot", [("file", "../escaped", b"x")])
make("abs", [("file", "/tmp/cih-abs-escape", b"x")])
make("through", [("link", "l", "/tmp"), ("file", "l/cih-through", b"x")])
# a device, a fifo and a setuid file: the first two skipped, the bit dropped
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
    for name, kind in (("dev", tarfile.CHRTYPE), ("pipe", tarfile.FIFOTYPE)):
        ti = tarfile.TarInfo(name); ti.type = kind; ti.devmajor, ti.devminor = 1, 3; t.addfile(ti)
    ti = tarfile.TarInfo("suid"); ti.mode = 0o4755; ti.size = 2; t.addfile(ti, io.BytesIO(b"#!"))
open("special.tar", "wb").write(buf.getvalue())
subprocess.run(["zstd", "-q", "-f", "special.tar", "-o", "special.tar.zst"], check=True)
PY
  cd out
  for a in dotdot abs through; do
    run cache-extractor --file ../$a.tar.zst
    expect_status 1
    expect_err "FATAL"
  done
  expect_err "would be written through a symlink in the archive"
  [ ! -e ../escaped ] && [ ! -e /tmp/cih-abs-escape ] && [ ! -e /tmp/cih-through ] || fail "wrote outside"
  mkdir ../sp && cd ../sp
  run cache-extractor --file ../special.tar.zst
  expect_status 0
  [ ! -e dev ] && [ ! -e pipe ] || fail "a device or fifo was created"
  [ "$(stat -c %a suid)" = 755 ] || fail "setuid kept: $(stat -c %a suid)"
  cd ../out
  head -c 1000 ../dotdot.tar.zst > ../cut.tar.zst
  run cache-extractor --file ../cut.tar.zst
  expect_status 1
  expect_err "FATAL"
}

t_upload_refused_with_4xx_is_not_retried() {
  fake_server; make_project; cd project
  run cache-archiver --file ../c.zip --path node_modules --url "$BASE/status/413" --retry-time 0s
  expect_status 1
  expect_err "FATAL: received: 413 Request Entity Too Large"
  expect_no_err "Retrying"
  [ -e ../c.zip ] || fail "the local archive must stay"
  run cache-archiver --file ../c2.zip --path node_modules --url "$BASE/status/429" --retry-time 0s
  expect_status 1
  expect_err "FATAL: received: 429 Too Many Requests"
  expect_no_err "Retrying"
  run cache-archiver --file ../d.zip --path node_modules --url "http://127.0.0.1:$(free_port)/x" --retry 1 --retry-time 0s
  expect_status 1
  [ "$(plain_err | grep -c 'Retrying...')" = 1 ] || fail "a refused connection is retried"
  expect_err "FATAL"
}
