# Sourced by every image test after tests/integration/lib.sh. The runner exports
# CIH_IMAGE (the build-image output), ARCH (Go name) for per-arch tests.
IMG_ENV_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
declare -A IMG_TOKEN=([amd64]=x86_64 [arm64]=arm64 [s390x]=s390x [ppc64le]=ppc64le [riscv64]=riscv64)
declare -A IMG_QARCH=([amd64]="" [arm64]=aarch64 [s390x]=s390x [ppc64le]=ppc64le [riscv64]=riscv64)
IMG_ENV=()

# img_rootfs: ./rootfs from the prebuilt tarball the runner would `docker import`,
# plus what a runtime adds (/etc/hosts) and, for a foreign arch, qemu where the
# private binfmt_misc entry of nsrun.py looks for it.
img_rootfs() {
  mkdir -p rootfs
  tar -xJf "$CIH_IMAGE/helper-images/prebuilt-alpine-${IMG_TOKEN[$ARCH]}.tar.xz" -C rootfs ||
    fail "cannot extract the prebuilt tarball"
  printf '127.0.0.1 localhost\n::1 localhost ip6-localhost\n' >rootfs/etc/hosts
  printf 'cihelper-test\n' >rootfs/etc/hostname
  img_qemu rootfs
}
# img_qemu DIR: for a foreign arch, qemu where nsrun.py's binfmt_misc entry finds it.
img_qemu() {
  local q=${IMG_QARCH[$ARCH]}
  if [ -n "$q" ]; then
    mkdir -p "$1/usr/libexec/qemu-binfmt"
    cp "/usr/bin/qemu-$q-static" "$1/usr/libexec/qemu-binfmt/$q-binfmt-P"
  fi
}
# in_image [K=V...] [--root DIR] [--raw] CMD...: like `docker run IMAGE CMD...`: the
# image's ENTRYPOINT (dumb-init /entrypoint) as PID 1 in fresh namespaces, chrooted
# into ./rootfs (or DIR), environment PATH + HOME + the pairs. stdin passes through;
# stdout in out.txt, stderr in err.txt, status in $STATUS. --raw: no entrypoint.
in_image() {
  local env=(--env "PATH=$IMG_ENV_PATH" --env HOME=/root --env HOSTNAME=cihelper-test) q=${IMG_QARCH[$ARCH]}
  while [ $# -gt 0 ] && [[ $1 == *=* ]]; do env+=(--env "$1"); shift; done
  local entry=(/usr/bin/dumb-init /entrypoint) root=rootfs
  [ "${1:-}" = --root ] && { root=$2; shift 2; }
  [ "${1:-}" = --raw ] && { entry=(); shift; }
  timeout -k 10 "${CIH_TIMEOUT:-300}" python3 "$CIH_TESTS/image/nsrun.py" ${q:+--qemu "$q"} "${env[@]}" \
    "$root" "${entry[@]}" "$@" >out.txt 2>err.txt
  STATUS=$?
}
