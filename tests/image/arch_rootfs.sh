# The image's rootfs, run for real: layout, entry programs, CA install, init as
# PID 1, and the runner's stage scripts piped into gitlab-runner-build.

t_layout_and_tools() {
  img_rootfs
  [ -f rootfs/usr/bin/gitlab-runner-helper ] && [ -x rootfs/usr/bin/gitlab-runner-helper ] || fail "no helper binary"
  for l in usr/bin/git usr/bin/git-lfs usr/bin/dumb-init usr/bin/gitlab-runner-build entrypoint \
           usr/sbin/update-ca-certificates; do
    [ "$(readlink -f "rootfs/$l")" = "$(readlink -f rootfs/usr/bin/gitlab-runner-helper)" ] || fail "$l is not the helper"
  done
  [ "$(stat -c %a rootfs/tmp)" = 1777 ] || fail "/tmp is $(stat -c %a rootfs/tmp)"
  grep -q '^root:x:0:0:' rootfs/etc/passwd || fail "/etc/passwd"
  # every tool of the runner's scripts (§A8.4) and Kubernetes' wrappers, bash's features
  cat >rootfs/tmp/t.sh <<'SH'
for t in bash sh echo printf mkdir rm chmod touch find cut sort sed awk stat chown cat \
    hostname cmp cp tee ls kill sleep env grep mv ln xargs uname date id head tail wc; do
  command -v $t >/dev/null || echo "missing $t"
done
set -o pipefail; false | true && echo "pipefail off"
x=$'a\tb'; [ ${#x} = 3 ] || echo "no ANSI-C quoting"
read -r hs <<< "here string"; echo "hs=$hs"
[[ abc == a* ]] && echo "[[ ok"
mkdir -p /tmp/f/a /tmp/f/b && touch /tmp/f/a/x.txt /tmp/f/b/y.txt
find /tmp/f -name "*.txt" -type f -exec echo found {} + | wc -w
stat -c "%a %U" /tmp
printf "b 2\na 1\n" | sort -t " " -k 2 | cut -d " " -f 1 | tr "\n" ,; echo
echo "x=1" | sed -n "s/x=//p"; echo 3 4 | awk '{print $1 + $2}'; hostname
touch /tmp/o && chown 65534:65534 /tmp/o && stat -c %u /tmp/o
git version; git config --system --get filter.lfs.process
git lfs version | cut -d/ -f1
SH
  in_image bash /tmp/t.sh
  expect_status 0
  expect_out_eq "hs=here string
[[ ok
3
1777 root
a,b,
1
7
cihelper-test
65534
git version 2.49.0
git-lfs filter-process
git-lfs"
}

tls_server() {  # PORT: a TLS server with the test CA's certificate
  openssl s_server -quiet -www -accept "127.0.0.1:$1" -cert "$CIH_FIXTURES/server.pem" \
    -key "$CIH_FIXTURES/server.key" >/dev/null 2>&1 &
}

t_entrypoint_installs_the_runner_ca_for_every_tool() {
  img_rootfs
  server_retry tls_server; tport=$PORT
  base=$(grep -c 'BEGIN CERTIFICATE' rootfs/etc/ssl/certs/ca-certificates.crt)
  # before: the image does not trust the test CA
  in_image gitlab-runner-helper tls-check "https://localhost:$tport/"
  [ "$STATUS" != 0 ] || fail "the test CA was trusted before it was installed"
  expect_no_out "Updating CA certificates..."
  # a CA at a custom CA_CERTIFICATES_PATH: only the system bundle can carry it
  mkdir -p rootfs/custom && cp "$CIH_FIXTURES/ca.pem" rootfs/custom/ca.crt
  in_image CA_CERTIFICATES_PATH=/custom/ca.crt sh -c \
    "grep -c 'BEGIN CERTIFICATE' /etc/ssl/certs/ca-certificates.crt; gitlab-runner-helper tls-check https://localhost:$tport/"
  expect_status 0
  [ "$(head -1 out.txt)" = "Updating CA certificates..." ] || fail "first line: $(head -1 out.txt)"
  [ "$(sed -n 2p out.txt)" = $((base + 1)) ] || fail "bundle has $(sed -n 2p out.txt) certificates, want $((base + 1))"
  cmp -s "$CIH_FIXTURES/ca.pem" rootfs/usr/local/share/ca-certificates/ca.crt || fail "ca.crt not installed"
  # the same CA again: nothing to do
  in_image CA_CERTIFICATES_PATH=/custom/ca.crt true
  expect_status 0
  expect_no_out "Updating CA certificates..."
  # the runner's documented mount point
  rm -f rootfs/usr/local/share/ca-certificates/ca.crt
  mkdir -p rootfs/etc/gitlab-runner/certs && cp "$CIH_FIXTURES/other-ca.pem" rootfs/etc/gitlab-runner/certs/ca.crt
  in_image true
  expect_status 0
  expect_out_eq "Updating CA certificates..."
  cmp -s "$CIH_FIXTURES/other-ca.pem" rootfs/usr/local/share/ca-certificates/ca.crt || fail "the default path was not used"
  # a file that holds no certificate: a warning, and the command still runs
  echo "garbage" >rootfs/etc/gitlab-runner/certs/ca.crt
  in_image sh -c 'echo ran'
  expect_status 0
  expect_out "ran"
  expect_err "CA certificate not installed"
}

t_init_forwards_signals_and_reaps_as_pid_1() {
  img_rootfs
  cat >rootfs/tmp/t.sh <<'SH'
echo "pid1=$(tr '\0' ' ' </proc/1/cmdline)"
# orphans re-parented to PID 1 (dumb-init) must be reaped
for i in 1 2 3 4; do sh -c "sleep 0.2 &"; done
sleep 1.5
z=0; for s in /proc/[0-9]*/stat; do read -r _ _ st _ <"$s" 2>/dev/null && [ "$st" = Z ] && z=$((z+1)); done
echo "zombies=$z"
# a nested init forwards TERM to its child's whole group
cat >/tmp/child.sh <<'C'
trap 'echo child-term; exit 3' TERM
sh -c 'trap "echo grandchild-term; exit 0" TERM; while :; do sleep 0.1; done' &
while :; do sleep 0.1; done
C
dumb-init sh /tmp/child.sh &
p=$!; sleep 1; kill -TERM $p; wait $p; echo "rc=$?"; sleep 0.5
SH
  in_image sh /tmp/t.sh
  expect_status 0
  expect_out "/usr/bin/dumb-init /entrypoint sh /tmp/t.sh"   # under qemu: after the interpreter
  expect_out "zombies=0"
  expect_out "child-term"
  expect_out "grandchild-term"
  expect_out "rc=3"
  # the container's exit status is the command's
  in_image sh -c 'exit 42'
  expect_status 42
}

# The Kubernetes executor with FF_USE_DUMB_INIT_WITH_KUBERNETES_EXECUTOR: its
# init-permissions container runs this `sh -c` in the helper image, with the logs
# and scripts emptyDirs mounted; then the build container, the job's own image,
# runs `<scripts dir>/dumb-init -- <the runner's shell command>` from the volume.
# The copy must run on its own: here the build image is busybox and nothing else.
t_kubernetes_copies_dumb_init_for_the_build_container() {
  img_rootfs
  mkdir -p rootfs/scripts-7-42 rootfs/logs-7-42
  in_image --raw sh -c 'touch /logs-7-42/output.log && (chmod 777 /logs-7-42/output.log || exit 0);
cp /usr/bin/dumb-init /scripts-7-42'
  expect_status 0
  [ "$(stat -c %a rootfs/logs-7-42/output.log)" = 777 ] || fail "output.log is not mode 777"
  [ -f rootfs/scripts-7-42/dumb-init ] && [ ! -L rootfs/scripts-7-42/dumb-init ] ||
    fail "no regular file /scripts-7-42/dumb-init"
  mkdir -p job/bin job/proc job/dev job/tmp job/scripts-7-42
  cp rootfs/bin/busybox job/bin/busybox && for a in sh cat tr sleep; do ln -s busybox "job/bin/$a"; done
  cp rootfs/scripts-7-42/dumb-init job/scripts-7-42/dumb-init
  img_qemu job
  # the runner's command for the build container (kubernetes.go getContainerCommand)
  in_image --root job --raw /scripts-7-42/dumb-init -- sh -c \
    'echo "pid1=$(cat /proc/1/cmdline | tr "\0" " ")"; sh -c "sleep 0.1 &"; exit 7'
  expect_status 7
  expect_out "/scripts-7-42/dumb-init -- sh -c"
}

# The runner's stages for two jobs of one project, each stage script piped into
# gitlab-runner-build inside the image (the docker executor's helper command; the
# second job also with the Kubernetes exit-status trap): git over HTTPS with a
# private CA, the cache through a presigned-style URL, artifacts through the
# jobs API fake.
t_runner_stage_scripts_in_the_image() {
  # shellcheck disable=SC1091
  source "$CIH_TESTS/integration/git/lib/server.sh"
  img_rootfs
  git_server
  fake_server
  gitlab_server --token "$JOB_TOKEN"
  local b=/builds/group/project job k8s=""
  stage() {  # stage NAME < body: framed like the runner's, piped into gitlab-runner-build
    "$CIH_TESTS/image/stage-script" $k8s >"$1.sh"
    in_image CI_JOB_TOKEN="$JOB_TOKEN" gitlab-runner-build <"$1.sh"
    cp out.txt "$1.out"; cp err.txt "$1.err"
  }
  cache_url=${BASE/127.0.0.1/localhost}/file/cache.zip
  gl_url=${GL/127.0.0.1/localhost}
  for job in 1 2; do
    [ $job = 2 ] && k8s=--k8s
    rm -rf rootfs/builds
    "$CIH_TESTS/integration/git/lib/runner-script" --build-dir "$b" --root-dir /builds \
      --repo-url "https://gitlab-ci-token:$JOB_TOKEN@${GIT_BASE#https://}/group/project.git" \
      --server-url "$GIT_BASE" --token "$JOB_TOKEN" --ca-file "$CIH_FIXTURES/ca.pem" \
      --sha "$SHA_P4" --ref main --depth 20 --git-strategy clone --git-submodule-strategy recursive \
      --refspec +refs/heads/main:refs/remotes/origin/main >get_sources.sh
    in_image CI_JOB_TOKEN="$JOB_TOKEN" gitlab-runner-build <get_sources.sh
    expect_status 0
    [ "$(git -C "rootfs$b" rev-parse HEAD)" = "$SHA_P4" ] || fail "job $job: HEAD is not $SHA_P4"
    [ "$(stat -c %a "rootfs$b/.git")" = 777 ] || fail "umask 0000 not applied: .git is $(stat -c %a "rootfs$b/.git")"
    ! grep -rqF "$JOB_TOKEN" "rootfs$b/.git/config" || fail "the job token is in .git/config"

    stage restore_cache <<EOF
cd $b
echo "Checking cache for main-protected..."
if gitlab-runner-helper cache-extractor --file ../../../cache/group/project/main-protected/cache.zip --timeout 10 --url $cache_url; then
  echo "Successfully extracted cache"
else
  echo "Failed to extract cache"
fi
EOF
    expect_status 0
    if [ $job = 1 ]; then
      expect_out "Failed to extract cache"
    else
      expect_out "Successfully extracted cache"
      expect_out '{"command_exit_code": 0, "script": '
      cmp -s job1-deps.txt "rootfs$b/vendor/deps.txt" || fail "job 2's cache differs from job 1's"
      stage download_artifacts <<EOF
cd $b
echo "Downloading artifacts for build (1)..."
gitlab-runner-helper artifacts-downloader --url $gl_url --token \$CI_JOB_TOKEN --id 1
EOF
      expect_status 0
      cmp -s job1-app.txt "rootfs$b/dist/app.txt" || fail "the downloaded artifact differs: $(cat download_artifacts.err)"
      continue
    fi

    # the build itself (the build container's part), by the image's shell
    in_image --raw /bin/sh -c "cd $b && mkdir -p vendor dist && seq 1 3000 >vendor/deps.txt && echo built >dist/app.txt"
    expect_status 0
    cp "rootfs$b/vendor/deps.txt" job1-deps.txt
    cp "rootfs$b/dist/app.txt" job1-app.txt

    stage archive_cache <<EOF
cd $b
echo "Creating cache main-protected..."
gitlab-runner-helper cache-archiver --file ../../../cache/group/project/main-protected/cache.zip --timeout 10 --path vendor --url $cache_url
echo "Created cache"
EOF
    expect_status 0
    expect_out "Created cache"
    [ -s srv/cache.zip ] || fail "no cache uploaded: $(cat archive_cache.err)"

    stage upload_artifacts <<EOF
cd $b
echo "Uploading artifacts..."
gitlab-runner-helper artifacts-uploader --url $gl_url --token \$CI_JOB_TOKEN --id 1 --path dist --artifact-format zip --artifact-type archive
EOF
    expect_status 0
    [ -s gl/jobs/1/artifacts.zip ] || fail "no artifacts uploaded: $(cat upload_artifacts.err)"
  done
}
