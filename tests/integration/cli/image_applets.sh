# The helper image's entry programs, run on the host: dumb-init (init duties),
# /entrypoint without a CA, gitlab-runner-build, update-ca-certificates.
# (The CA install into /etc and the chroot runs are in the image area.)

# A child script that records what reaches it: "<signal>" lines in sig.log.
write_trapper() {
  cat >trapper.sh <<'SH'
for s in TERM INT HUP USR1 USR2 QUIT; do trap "echo $s >>sig.log; [ $s = TERM ] && exit 9" $s; done
echo $$ >child.pid
sh -c 'trap "" USR1 USR2 INT HUP QUIT; trap "echo grandchild-TERM >>sig.log; exit 0" TERM; echo $$ >grandchild.pid; while :; do sleep 0.1; done' &
echo ready >ready
while :; do sleep 0.1; done
SH
}
wait_file() { for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done; fail "no $1"; }
start_init() {  # start_init ARGS...: dumb-init in the background, pid in INIT_PID
  ln -sf "$CIH_BIN" ./dumb-init
  $CIH_EXEC ./dumb-init "$@" >out.txt 2>err.txt &
  INIT_PID=$!
  PIDS+=("$INIT_PID")
}
wait_init() { wait "$INIT_PID"; STATUS=$?; }

t_dumb_init_exits_with_the_child_status() {
  run_as dumb-init sh -c 'exit 7'
  expect_status 7
  run_as dumb-init sh -c 'kill -USR1 $$'
  expect_status 138
  run_as dumb-init -- sh -c 'echo "args:$*"' x a 'b c'
  expect_status 0
  expect_out_eq "args:a b c"
}

t_dumb_init_forwards_to_the_whole_group() {
  write_trapper
  start_init sh trapper.sh
  wait_file ready
  kill -USR1 "$INIT_PID"; sleep 0.3
  kill -TERM "$INIT_PID"
  wait_init
  expect_status 9
  sleep 0.5   # the grandchild's trap runs once its sleep ends
  grep -qx USR1 sig.log || fail "USR1 not forwarded: $(cat sig.log)"
  grep -qx TERM sig.log || fail "TERM not forwarded"
  grep -qx grandchild-TERM sig.log || fail "the grandchild (same group) got no TERM"
}

t_dumb_init_single_child_signals_only_the_child() {
  write_trapper
  start_init --single-child sh trapper.sh
  wait_file ready
  kill -TERM "$INIT_PID"
  wait_init
  expect_status 9
  sleep 0.3
  ! grep -q grandchild sig.log || fail "--single-child signalled the grandchild"
  kill "$(cat grandchild.pid)" 2>/dev/null; sleep 0.5
  # DUMB_INIT_SETSID=0 is the same mode
  rm -f sig.log ready grandchild.pid
  DUMB_INIT_SETSID=0 start_init sh trapper.sh
  wait_file ready
  kill -TERM "$INIT_PID"; wait_init; sleep 0.3
  ! grep -q grandchild sig.log || fail "DUMB_INIT_SETSID=0 signalled the grandchild"
  kill "$(cat grandchild.pid)" 2>/dev/null; true
}

t_dumb_init_rewrites_and_drops_signals() {
  write_trapper
  start_init -r 15:3 -r 10:0 sh trapper.sh
  wait_file ready
  kill -USR1 "$INIT_PID"; sleep 0.3   # 10 -> dropped
  kill -TERM "$INIT_PID"; sleep 0.3   # 15 -> QUIT
  grep -qx QUIT sig.log || fail "TERM was not rewritten to QUIT: $(cat sig.log)"
  ! grep -qx USR1 sig.log || fail "USR1 was not dropped"
  ! grep -qx TERM sig.log || fail "TERM reached the child unchanged"
  kill -INT "$INIT_PID"; sleep 0.3
  grep -qx INT sig.log || fail "INT not forwarded"
  kill -KILL "$(cat child.pid)"
  wait_init
  expect_status 137
  run_as dumb-init -r 15:32 true
  expect_status 1
  expect_err "Usage: -r option takes <signum>:<signum>"
}

t_dumb_init_reaps_orphans_as_pid_1() {
  command -v unshare >/dev/null || skip "no unshare"
  unshare -fp --mount-proc true 2>/dev/null || skip "no pid namespaces here"
  ln -sf "$CIH_BIN" ./dumb-init
  # grandchildren re-parented to PID 1 must not stay zombies
  timeout 60 unshare -fp --mount-proc $CIH_EXEC ./dumb-init sh -c '
    for i in 1 2 3 4 5; do sh -c "sleep 0.1 &"; done
    sleep 1
    n=0; for s in /proc/[0-9]*/stat; do read -r _ _ st _ <"$s" 2>/dev/null && [ "$st" = Z ] && n=$((n+1)); done
    echo "zombies=$n"' >out.txt 2>err.txt
  STATUS=$?
  expect_status 0
  expect_out_eq "zombies=0"
}

t_dumb_init_usage_errors() {
  run_as dumb-init
  expect_status 1
  expect_err "Try ./dumb-init --help for full usage."
  run_as dumb-init --version
  expect_status 0
  expect_err_eq "dumb-init v1.2.5"
  run_as dumb-init ./no-such-command
  expect_status 2
  expect_err "[dumb-init] ./no-such-command: No such file or directory"
  run_as dumb-init --help
  expect_status 0
  expect_err "--single-child"
}

t_dumb_init_child_gets_default_signal_dispositions() {
  # cihelper ignores SIGPIPE for itself; the command must not inherit that
  # (signals 1-31: a CI harness may leave real-time ones ignored, which init passes on)
  run_as dumb-init sh -c 'grep SigIgn /proc/self/status'
  expect_status 0
  mask=$(sed -n 's/^SigIgn:\t//p' out.txt)
  [ -n "$mask" ] && [ $((0x$mask & 0x7fffffff)) = 0 ] || fail "ignored signals: $mask"
  # and a pipe's writer dies of SIGPIPE as usual
  run_as dumb-init sh -c 'yes | head -n 1'
  expect_status 0
  expect_out_eq "y"
}

t_entrypoint_without_ca_just_execs() {
  CA_CERTIFICATES_PATH=$PWD/none.crt run_as entrypoint sh -c 'echo "ran:$0:$1"' a b
  expect_status 0
  expect_out_eq "ran:a:b"
  expect_no_out "Updating CA certificates"
  run_as entrypoint
  expect_status 0
  CA_CERTIFICATES_PATH=$PWD/none.crt run_as entrypoint ./nothing-here
  expect_status 127
  expect_err "exec: ./nothing-here"
  echo data >notexec
  CA_CERTIFICATES_PATH=$PWD/none.crt run_as entrypoint ./notexec
  expect_status 126
}

t_gitlab_runner_build_sets_umask_and_runs_bash_on_stdin() {
  [ -x /bin/bash ] || skip "no /bin/bash"
  ln -sf "$CIH_BIN" ./gitlab-runner-build
  printf 'umask\ntouch made\necho "shell:$BASH_VERSION$0"\n' |
    (umask 077; $CIH_EXEC ./gitlab-runner-build) >out.txt 2>err.txt
  STATUS=$?
  expect_status 0
  expect_out "0000"
  expect_out "shell:"
  [ "$(stat -c %a made)" = 666 ] || fail "file mode $(stat -c %a made), want 666"
}

t_update_ca_certificates_builds_the_bundle() {
  mkdir -p etc local/sub
  cp "$CIH_FIXTURES/ca.pem" local/ours.crt
  cp "$CIH_FIXTURES/ca.pem" local/sub/nested.crt
  echo "not a cert" >local/broken.crt
  echo ignored >local/readme.txt
  run_as update-ca-certificates --fresh --localcertsdir local --etccertsdir etc
  expect_status 0
  expect_out "Updating certificates in etc..."
  expect_err "WARNING: local/broken.crt does not contain a certificate: skipping"
  n=$(grep -c 'BEGIN CERTIFICATE' etc/ca-certificates.crt)
  [ "$n" -gt 100 ] || fail "only $n certificates in the bundle"
  [ "$(stat -c %a etc/ca-certificates.crt)" = 644 ] || fail "bundle mode"
  expect_out "$n added, 0 removed; done."
  # the local CA is in the bundle, PEM-normalised: openssl finds it last
  openssl verify -CAfile etc/ca-certificates.crt "$CIH_FIXTURES/server.pem" >verify.txt 2>&1 ||
    fail "server cert does not verify against the new bundle: $(cat verify.txt)"
  openssl crl2pkcs7 -nocrl -certfile etc/ca-certificates.crt | openssl pkcs7 -print_certs -noout |
    grep -c '^subject=' >count.txt
  [ "$(cat count.txt)" = "$n" ] || fail "openssl reads $(cat count.txt) of $n certificates"
  run_as update-ca-certificates --bogus
  expect_status 2
}
