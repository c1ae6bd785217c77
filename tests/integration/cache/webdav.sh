# The bare presigned flow against a real web server: lighttpd with mod_webdav takes
# the PUT, serves GET, HEAD and ranges of static files.

# webdav_server: lighttpd on a free port serving ./dav; sets $DAV.
webdav_server() {
  command -v lighttpd >/dev/null && [ -e /usr/lib/lighttpd/mod_webdav.so ] || skip "lighttpd with mod_webdav is not installed"
  mkdir -p dav up
  server_retry webdav_lighttpd
  DAV=http://127.0.0.1:$PORT
}
webdav_lighttpd() {  # PORT
  cat > lighttpd.conf <<CONF
server.document-root = "$PWD/dav"
server.bind = "127.0.0.1"
server.port = $1
server.upload-dirs = ( "$PWD/up" )
server.errorlog = "$PWD/lighttpd.log"
server.modules = ( "mod_webdav" )
webdav.activate = "enable"
webdav.is-readonly = "disable"
mimetype.assign = ( "" => "application/octet-stream" )
CONF
  lighttpd -D -f lighttpd.conf >/dev/null 2>&1 &
}

t_webdav_put_then_get_and_ranges() {
  webdav_server
  mkdir -p project/node_modules/pkg && seq 1 100000 > project/node_modules/pkg/index.js &&
    head -c 300000 /dev/urandom > project/node_modules/pkg/blob.bin && ln -s pkg/index.js project/node_modules/main.js
  cd project
  run cache-archiver --file ../cache/c.zip --path node_modules --url "$DAV/c.zip" --check-url "$DAV/c.zip"
  expect_status 0
  expect_err "Uploading c.zip to $DAV/c.zip"
  cmp ../dav/c.zip ../cache/c.zip || fail "the server holds other bytes"
  # nothing changed, and the object is there: HEAD 200, no second upload
  run cache-archiver --file ../cache/c.zip --path node_modules --url "$DAV/c.zip" --check-url "$DAV/c.zip"
  expect_err "Primary cache already exists remotely, skipping upload"
  mkdir ../job && cd ../job
  run cache-extractor --file ../cache2/c.zip --url "$DAV/c.zip" --chunk-size 100000 --concurrency 3
  expect_status 0
  expect_err "(parallel)"
  cmp ../cache2/c.zip ../cache/c.zip || fail "download differs"
  diff -r node_modules ../project/node_modules || fail "extracted tree differs"
  run cache-extractor --file ../cache2/c.zip --url "$DAV/c.zip"
  expect_err "c.zip is up to date"
  run cache-extractor --file ../cache3/c.zip --url "$DAV/missing.zip"
  expect_status 1
  expect_err "file does not exist"
}
