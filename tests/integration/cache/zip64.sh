# zip64: a file over 4 GiB (sparse, so cheap to make) and over 65535 entries, written
# by cache-archiver, read back by Info-ZIP, Python's zipfile and our extractor.
# Native arch only: 4.4 GB through an emulated CPU takes too long.

t_zip64_big_file_and_many_entries() {
  [ -z "$CIH_EXEC" ] || skip "4.4 GB through qemu is too slow; covered on the native arch"
  [ "$(df -Pk . | awk 'NR == 2 {print $4}')" -gt 12000000 ] || skip "needs 12 GB free for a 4.4 GB file twice"
  mkdir big && truncate -s 4400M big/sparse && printf 'end' >> big/sparse
  run cache-archiver --file a.zip --path big --compression-level fast
  expect_status 0
  python3 - <<'PY' || fail "zip64 records: $(unzip -lv a.zip | tail -3)"
import zipfile
z = zipfile.ZipFile("a.zip")
i = z.getinfo("big/sparse")
assert i.file_size == 4400 * 1024 * 1024 + 3, i.file_size
assert i.compress_size < 2**32 and i.extract_version >= 45, (i.compress_size, i.extract_version)
PY
  unzip -Z1 a.zip | grep -qx big/sparse || fail "Info-ZIP cannot list it"
  mkdir out && cd out
  run cache-extractor --file ../a.zip
  expect_status 0
  [ "$(stat -c %s big/sparse)" = 4613734403 ] && [ "$(tail -c 3 big/sparse)" = end ] || fail "extracted file differs"
  cd .. && rm -rf out big a.zip
  # 70000 entries: the zip64 end of central directory and its locator
  mkdir many && (cd many && seq -f 'f%g' 1 70000 | xargs touch)
  run cache-archiver --file m.zip --path many --compression-level fastest
  expect_status 0
  python3 -c "import zipfile; z = zipfile.ZipFile('m.zip'); assert len(z.infolist()) == 70001, len(z.infolist())" ||
    fail "entries lost"
  [ "$(unzip -Z1 m.zip | wc -l)" = 70001 ] || fail "Info-ZIP lists $(unzip -Z1 m.zip | wc -l) entries"
  mkdir out && cd out
  run cache-extractor --file ../m.zip
  expect_status 0
  [ "$(ls many | wc -l)" = 70000 ] || fail "extracted $(ls many | wc -l) files"
}
