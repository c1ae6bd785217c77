# The built image as registries and runtimes see it: skopeo reads every OCI
# layout and docker-archive, a real registry (Debian's docker-registry) takes
# the multi-arch index and gives back the same bytes, and a second build in
# another directory gives the same digests.

img_param() {
  python3 -c "import json,sys; v = json.load(open(sys.argv[1]))[sys.argv[2]]; print(' '.join(v) if isinstance(v, list) else v)" \
    "$CIH_IMAGE/build.json" "$1"
}
# what was built, whatever --arches chose for the per-arch tests
IMG_ARCHES=$(img_param arches)

t_skopeo_reads_every_layout_archive_and_the_index() {
  command -v skopeo >/dev/null || skip "skopeo is not installed (scripts/install-test-deps)"
  local tv a t
  tv=$(img_param tag_version)
  for a in $IMG_ARCHES; do
    t=${IMG_TOKEN[$a]}
    for ref in "oci:$CIH_IMAGE/$t/oci:$t-$tv" "oci:$CIH_IMAGE/$t/oci:$t-latest" \
               "oci:$CIH_IMAGE/oci:$t-$tv" "docker-archive:$CIH_IMAGE/$t/docker-archive.tar"; do
      skopeo inspect "$ref" >inspect.json 2>err.txt || fail "skopeo inspect $ref: $(cat err.txt)"
      skopeo inspect --config "$ref" >config.json 2>err.txt || fail "skopeo inspect --config $ref: $(cat err.txt)"
      python3 - "$a" "$ref" <<'PY' || fail "$ref: wrong fields"
import json, sys
arch, ref = sys.argv[1], sys.argv[2]
i, c = json.load(open("inspect.json")), json.load(open("config.json"))
want_variant = "v8" if arch == "arm64" else None
assert i["Architecture"] == arch and i["Os"] == "linux", (ref, i["Architecture"], i["Os"])
assert c.get("variant") == want_variant, (ref, c.get("variant"))
assert c["config"]["Entrypoint"] == ["/usr/bin/dumb-init", "/entrypoint"], c["config"]
assert c["config"]["Cmd"] == ["sh"], c["config"]
assert any(e.startswith("PATH=") and "/usr/bin" in e for e in c["config"]["Env"])
assert len(i["Layers"]) == 1
PY
    done
    tar -xOf "$CIH_IMAGE/$t/docker-archive.tar" manifest.json | grep -qF \
      "\"registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper:$t-$tv\"" ||
      fail "$t: the docker-archive lacks the runner's image name"
  done
  skopeo inspect --raw "oci:$CIH_IMAGE/oci:$tv" >index.json || fail "no multi-arch index tagged $tv"
  python3 - "$IMG_ARCHES" <<'PY' || fail "the index: $(cat index.json)"
import json, sys
idx = json.load(open("index.json"))
assert idx["mediaType"] == "application/vnd.oci.image.index.v1+json"
got = sorted((m["platform"]["os"], m["platform"]["architecture"], m["platform"].get("variant", "")) for m in idx["manifests"])
want = sorted(("linux", a, "v8" if a == "arm64" else "") for a in sys.argv[1].split())
assert got == want, got
PY
}

registry() {  # PORT: Debian's docker-registry storing into ./regdata
  cat >registry.yml <<EOF
version: 0.1
log: { level: warn }
storage: { filesystem: { rootdirectory: $PWD/regdata } }
http: { addr: "127.0.0.1:$1" }
EOF
  /usr/bin/docker-registry serve registry.yml >registry.log 2>&1 &
}

t_registry_round_trip_is_byte_identical() {
  command -v skopeo >/dev/null && [ -x /usr/bin/docker-registry ] ||
    skip "skopeo and docker-registry are not installed (scripts/install-test-deps)"
  local port tv reg
  tv=$(img_param tag_version)
  mkdir -p regdata
  server_retry registry; port=$PORT
  reg=docker://127.0.0.1:$port/gitlab-org/gitlab-runner/gitlab-runner-helper
  skopeo copy -q --all --preserve-digests --dest-tls-verify=false "oci:$CIH_IMAGE/oci:$tv" "$reg:$tv" 2>err.txt ||
    fail "push of the index: $(cat err.txt)"
  for a in $IMG_ARCHES; do
    skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$CIH_IMAGE/${IMG_TOKEN[$a]}/oci:${IMG_TOKEN[$a]}-$tv" \
      "$reg:${IMG_TOKEN[$a]}-$tv" 2>err.txt || fail "push of ${IMG_TOKEN[$a]}: $(cat err.txt)"
  done
  skopeo inspect --raw --tls-verify=false "$reg:$tv" >remote-index.json || fail "no index in the registry"
  skopeo inspect --raw "oci:$CIH_IMAGE/oci:$tv" >local-index.json
  cmp -s local-index.json remote-index.json || fail "the registry's index differs from ours"
  python3 - "$IMG_ARCHES" <<'PY' || fail "the registry's index: $(cat remote-index.json)"
import json, sys
got = sorted((m["platform"]["os"], m["platform"]["architecture"], m["platform"].get("variant", ""))
             for m in json.load(open("remote-index.json"))["manifests"])
assert got == sorted(("linux", a, "v8" if a == "arm64" else "") for a in sys.argv[1].split()), got
PY
  # the runner pulls a per-arch tag: the registry resolves it to our manifest
  for a in $IMG_ARCHES; do
    [ "$(skopeo inspect --tls-verify=false --format '{{.Architecture}}' "$reg:${IMG_TOKEN[$a]}-$tv")" = "$a" ] ||
      fail "${IMG_TOKEN[$a]}-$tv: wrong architecture in the registry"
  done
  # back out: every blob and the index byte-identical to what was built
  skopeo copy -q --all --preserve-digests --src-tls-verify=false "$reg:$tv" "oci:back:$tv" 2>err.txt ||
    fail "pull: $(cat err.txt)"
  for f in back/blobs/sha256/*; do
    cmp -s "$f" "$CIH_IMAGE/oci/blobs/sha256/$(basename "$f")" || fail "blob $(basename "$f") differs or is not ours"
  done
  [ "$(ls back/blobs/sha256 | wc -l)" = "$(ls "$CIH_IMAGE/oci/blobs/sha256" | wc -l)" ] ||
    fail "$(ls back/blobs/sha256 | wc -l) blobs back, $(ls "$CIH_IMAGE/oci/blobs/sha256" | wc -l) built"
}

# The same sources built again in another directory (the binary compiled anew for
# amd64; the other arches' binaries and busybox reused): every output identical.
t_a_second_build_elsewhere_is_identical() {
  local root tv epoch
  root=$(cd "$CIH_TESTS/.." && pwd)
  tv=$(img_param tag_version) epoch=$(img_param epoch)
  mkdir src
  (cd "$root" && tar --exclude=./build --exclude=./.git -cf - .) | tar -xf - -C src
  mkdir -p src/build
  for a in $IMG_ARCHES; do
    [ "$a" = amd64 ] && continue
    mkdir -p "src/build/$a" && cp "$root/build/$a/cihelper" "src/build/$a/"
  done
  # no .git here: the revision and dates come from the environment and build.json
  (cd src && umask 077 && make -s --no-print-directory ARCH=amd64 REVISION="$(img_param revision)" \
    BRANCH="$(cd "$root" && git symbolic-ref -q --short HEAD || echo HEAD)" \
    BUILT="$(cd "$root" && git log -1 --format=%cd --date=format:%Y-%m-%dT%H:%M:%S%z 2>/dev/null || echo unknown)" \
    >make.log 2>&1) || fail "build in the copy failed: $(tail -20 src/make.log)"
  cmp -s "$root/build/amd64/cihelper" src/build/amd64/cihelper || fail "the amd64 binary differs when built elsewhere"
  (cd src && touch -d @1 build/*/cihelper && umask 077 && IMAGE_ARCHES="$IMG_ARCHES" IMAGE_TAG_VERSION="$tv" \
    SOURCE_DATE_EPOCH="$epoch" IMAGE_REVISION="$(img_param revision)" IMAGE_SKIP_MAKE=1 \
    scripts/build-image "$PWD/../again" >build.log 2>&1) || fail "build-image in the copy: $(tail -20 src/build.log)"
  (cd "$CIH_IMAGE" && find . -type f ! -name 'rootfs-*.tar' | sort | xargs sha256sum) >first.sum
  (cd again && find . -type f ! -name 'rootfs-*.tar' | sort | xargs sha256sum) >second.sum
  diff -u first.sum second.sum >sum.diff || fail "outputs differ: $(cat sum.diff)"
  for a in $IMG_ARCHES; do
    cmp -s "$CIH_IMAGE/rootfs-$a.tar" "again/rootfs-$a.tar" || fail "rootfs-$a.tar differs"
  done
}
