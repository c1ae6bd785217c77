# git credential fill|approve|reject and git credential-store, compared with the
# real git (/usr/bin/git) where there is one: same stdin, same config, each with
# its own HOME; stdout, stderr, exit status and the store files must be equal.

REAL_GIT=/usr/bin/git

# A scratch HOME for each side (real/, our/) and `git` = ours first on PATH (a
# wrapper through qemu for foreign arches: -0 sets argv[0]).
setup() {
  unset GIT_TERMINAL_PROMPT GIT_ASKPASS SSH_ASKPASS GIT_CONFIG_PARAMETERS GIT_CONFIG_COUNT \
    GIT_DIR GIT_WORK_TREE XDG_CONFIG_HOME CI_JOB_TOKEN
  export GIT_CONFIG_NOSYSTEM=1
  mkdir -p bin real our
  if [ -z "$CIH_EXEC" ]; then
    ln -sf "$CIH_BIN" bin/git
  else
    printf '#!/bin/sh\nexec %s -0 git "%s" "$@"\n' "$CIH_EXEC" "$CIH_BIN" >bin/git
    chmod +x bin/git
  fi
  export PATH=$PWD/bin:$PATH
  export HOME=$PWD/our
}
need_real_git() { [ -x "$REAL_GIT" ] || skip "no real git at $REAL_GIT to compare with"; }
# config TEXT: the same ~/.gitconfig on both sides.
config() { printf '%s\n' "$1" >real/.gitconfig; printf '%s\n' "$1" >our/.gitconfig; }
# Each side runs in its HOME: relative --file paths land there.
ours() { (cd our && HOME=$PWD timeout 60 git "$@"); }
theirs() { (cd real && HOME=$PWD timeout 60 "$REAL_GIT" "$@"); }
# same STDIN ARGS...: runs both with STDIN, expects equal stdout, stderr and status.
same() {
  local in=$1; shift
  printf '%b' "$in" | theirs "$@" >real.out 2>real.err; local rs=$?
  printf '%b' "$in" | ours "$@" >out.txt 2>err.txt; STATUS=$?
  diff -u real.out out.txt >diff.txt || fail "git $* stdout differs from git's: $(cat diff.txt)"
  diff -u real.err err.txt >diff.txt || fail "git $* stderr differs from git's: $(cat diff.txt)"
  [ "$rs" = "$STATUS" ] || fail "git $*: status $STATUS, git's $rs"
}
# mine STDIN ARGS...: ours alone.
mine() {
  local in=$1; shift
  printf '%b' "$in" | ours "$@" >out.txt 2>err.txt; STATUS=$?
}
same_file() {  # path relative to each HOME
  cmp -s "real/$1" "our/$1" || fail "$1 differs: $(diff <(cat "real/$1" 2>&1) <(cat "our/$1" 2>&1))"
}

# q VALUE: VALUE quoted for a config file.
q() { local v=${1//\\/\\\\}; v=${v//\"/\\\"}; printf '"%s"' "$v"; }
# A helper that shows how it was run and what it was sent, and answers.
SHOW=$(q '!printf "[%s] %s|" "$0" "$#" >&2; cat >&2; echo username=u; echo password=p')

t_runner_snippet_fills_the_job_token() {
  setup; need_real_git
  config '[credential]
	helper =
	helper = "!f(){ if [ \"$1\" = \"get\" ] ; then echo \"password=${CI_JOB_TOKEN}\" ; fi ; } ; f"
[credential "https://gitlab.example.com"]
	username = gitlab-ci-token'
  export CI_JOB_TOKEN=glcbt-secret-1234
  same 'url=https://gitlab.example.com/group/project.git\n' credential fill
  expect_out_eq "$(printf 'protocol=https\nhost=gitlab.example.com\nusername=gitlab-ci-token\npassword=glcbt-secret-1234')"
  expect_status 0
  # the runner's own reject, and the approve after a fetch, ask the snippet nothing
  same 'url=https://gitlab.example.com\nusername=gitlab-ci-token\n' credential reject
  same 'url=https://gitlab.example.com\nusername=gitlab-ci-token\npassword=x\n' credential approve
  [ ! -s out.txt ] || fail "approve wrote on stdout"
  # another host: no username from config, the prompt git would need fails
  same 'url=https://other.example.com/x.git\n' credential fill
  expect_status 128
  expect_no_err glcbt-secret-1234
}

t_helper_forms_run_as_git_runs_them() {
  setup; need_real_git
  cat >helper.sh <<'EOF'
#!/bin/sh
printf 'abs[%s] %s\n' "$*" "$#" >&2
cat >&2
echo username=abs
EOF
  chmod +x helper.sh
  config "[credential]
	helper = $SHOW
	helper = $PWD/helper.sh --opt 'a b'"
  same 'url=https://Host:443/a/b.git\n' credential fill
  same 'url=https://h.example/a/b.git\nusername=x\npassword=y\n' credential approve
  same 'protocol=https\nhost=h.example\nusername=x\n' credential reject
  same 'url=https://x:y@h.example\n' credential fill   # both known: nobody asked
  same 'host=h.example\nprotocol=http\nwwwauth[]=Basic\ncapability[]=authtype\nunknown=1\n' credential fill
}

t_empty_helper_resets_the_list() {
  setup; need_real_git
  config "[credential]
	helper = !echo first >&2
	helper =
	helper = $(q '!echo second >&2; echo password=p')
[credential \"https://h.example\"]
	helper = !echo scoped >&2
	username = su"
  same 'url=https://h.example/x\n' credential fill
  expect_status 0
  expect_err_eq "second"
  expect_out "password=p get"
}

t_url_scoped_helpers_apply_in_config_order() {
  setup; need_real_git
  # credential.* is not "most specific wins": every match applies, in order
  config "[credential \"https://h.example/deep/path\"]
	helper = !echo path >&2
	username = from-path
[credential \"h.example\"]
	helper = !echo partial-host >&2
[credential \"https://\"]
	helper = !echo partial-proto >&2
[credential \"/deep\"]
	helper = !echo partial-path >&2
[credential \"https://*.example\"]
	helper = !echo wildcard >&2
[credential \"https://other.example\"]
	helper = !echo other >&2
[credential \"http://h.example\"]
	helper = !echo http >&2
[credential \"https://bob@h.example\"]
	helper = !echo bob >&2
[credential \"https://h.example:8443\"]
	helper = !echo port >&2
[credential]
	username = last-wins"
  GIT_TERMINAL_PROMPT=0 same 'url=https://h.example/deep/path/repo.git\n' credential fill
  expect_err "could not read Password for 'https://last-wins@h.example'"
  GIT_TERMINAL_PROMPT=0 same 'url=https://bob@H.EXAMPLE:443/deep\n' credential fill
  GIT_TERMINAL_PROMPT=0 same 'url=https://h.example:8443/\n' credential fill
  GIT_TERMINAL_PROMPT=0 same 'url=https://a.h.example/\n' credential fill
}

t_use_http_path() {
  setup; need_real_git
  config "[credential]
	helper = $SHOW"
  same 'url=https://h.example/group/repo.git\n' credential fill
  expect_no_err "path="
  config "[credential]
	helper = $SHOW
	useHttpPath = true"
  same 'url=https://h.example/group/repo.git\n' credential fill
  expect_err "path=group/repo.git"
  config "[credential \"https://h.example\"]
	useHttpPath = yes
[credential]
	helper = $SHOW"
  same 'url=https://h.example/a%20b/c\n' credential fill
  same 'url=ftp://h.example/group/x\n' credential fill   # non-http keeps its path
  config "[credential]
	useHttpPath = maybe"
  same 'url=https://h.example/x\n' credential reject
}

t_quit_stops_the_helpers() {
  setup; need_real_git
  config "[credential]
	helper = $(q '!echo quit=1; echo username=q')
	helper = !echo never >&2"
  same 'url=https://h.example\n' credential fill
  expect_status 128
  expect_err "credential helper '!echo quit=1; echo username=q' told us to quit"
  config "[credential]
	helper = !echo quit=maybe"
  same 'url=https://h.example\n' credential fill
}

t_prompt_failures_match_git() {
  setup; need_real_git
  config ""
  GIT_TERMINAL_PROMPT=0 same 'url=https://h.example/a\n' credential fill
  expect_err_eq "fatal: could not read Username for 'https://h.example': terminal prompts disabled"
  GIT_TERMINAL_PROMPT=false same 'url=https://alice@h.example/a\n' credential fill
  expect_err_eq "fatal: could not read Password for 'https://alice@h.example': terminal prompts disabled"
  command -v setsid >/dev/null || skip "no setsid"
  printf 'url=https://h.example/a\n' >in.txt
  HOME=$PWD/real setsid -w "$REAL_GIT" credential fill <in.txt >real.out 2>real.err
  HOME=$PWD/our setsid -w git credential fill <in.txt >out.txt 2>err.txt; STATUS=$?
  diff -u real.err err.txt || fail "stderr without a terminal"
  expect_status 128
}

t_protocol_errors_match_git() {
  setup; need_real_git
  config ""
  same '' credential
  same '' credential -h
  same '' credential fill extra
  same 'url=https://h\n' credential frob
  same 'protocol=https\n' credential reject
  same 'host=h\n' credential reject
  same 'url=no-scheme\n' credential fill
  same 'url=https://u@h/x%0ay\n' credential fill
  # git hits a BUG() (abort: 134) writing a credential without protocol
  mine 'host=h\nusername=a\npassword=b\n' credential fill
  expect_status 134
  expect_err_eq "BUG: credential value for protocol is missing"
  same 'url=https://h\nusername=a%0ab\npassword=p\n' credential fill
  same 'username=ignored\nurl=https://u:p@h/x/\r\n\nafter=blank\n' credential fill
}

t_protocol_limits_are_ours() {
  setup
  printf '[credential]\n\thelper = !echo password=p\n' >our/.gitconfig
  mine 'url=https://h\nnotakeyvalue-secret\n' credential fill
  expect_status 128
  expect_err "warning: invalid credential line: [MASKED]"
  expect_err "fatal: unable to read credential from stdin"
  expect_no_err notakeyvalue-secret
  printf 'protocol=https\nhost=h\x00x\n' | ours credential fill >out.txt 2>err.txt; STATUS=$?
  expect_status 128
  expect_err "credential line contains a NUL byte"
  { printf 'protocol=https\nhost=h\npath='; head -c 70000 /dev/zero | tr '\0' a; printf '\n'; } |
    ours credential fill >out.txt 2>err.txt; STATUS=$?
  expect_status 128
  expect_err "credential line longer than 65536 bytes"
  # a password in a URL never reaches stderr
  mine 'url=https://u:hunter2-secret%0a@h/x\n' credential fill
  expect_status 128
  expect_no_err hunter2-secret
  expect_err "https://u:[MASKED]@h/x"
}

t_store_round_trip_is_byte_identical() {
  setup; need_real_git
  config "[credential]
	helper = store"
  local q='protocol=https\nhost=Host.example:8443\npath=a b/c:d@e%f.git\nusername=us er@x:y/z\npassword=p@ss:w/o rd%+~!\n'
  same "$q" credential-store store
  same_file .git-credentials
  [ "$(stat -c %a our/.git-credentials)" = 600 ] || fail "mode $(stat -c %a our/.git-credentials)"
  same 'protocol=https\nhost=other\nusername=x\npassword=y\n' credential-store store
  same 'protocol=https\nhost=Host.example:8443\nusername=x\npassword=y\n' credential-store store
  same_file .git-credentials
  same 'protocol=https\nhost=Host.example:8443\n' credential-store get
  same 'protocol=https\nhost=Host.example:8443\npath=a b/c:d@e%f.git\n' credential-store get
  same 'protocol=https\nhost=other\nusername=\n' credential-store get
  same 'protocol=https\nhost=other\npassword=not-checked\n' credential-store erase
  same_file .git-credentials
  same '\n' credential-store erase   # an empty pattern erases nothing
  same_file .git-credentials
  # through `git credential` and the "store" helper (git credential-store on PATH)
  same 'url=https://ci:tok%2Fen@gitlab.example.com/g/p.git\n' credential approve
  same_file .git-credentials
  same 'url=https://gitlab.example.com/other.git\n' credential fill
  expect_out "password=tok/en"
  same 'url=https://gitlab.example.com\nusername=ci\n' credential reject
  same_file .git-credentials
}

t_store_files_and_options() {
  setup; need_real_git
  config ""
  mkdir -p real/.config/git our/.config/git
  : >real/.config/git/credentials; : >our/.config/git/credentials
  # ~/.git-credentials is missing, the XDG one exists: that one is written
  same 'protocol=https\nhost=h\nusername=a\npassword=b\n' credential-store store
  same_file .config/git/credentials
  [ ! -e our/.git-credentials ] || fail "wrote ~/.git-credentials"
  same 'protocol=https\nhost=h\n' credential-store get
  expect_out_eq "$(printf 'username=a\npassword=b')"
  same 'protocol=https\nhost=h\nusername=c\npassword=d\n' credential-store --fil=f1 store
  same_file f1
  same 'protocol=https\nhost=h\n' credential-store --file f1 get
  same 'protocol=https\nhost=h\n' credential-store --file f1 --no-file get
  same 'protocol=https\nhost=h\n' credential-store -- get
  same '' credential-store
  same '' credential-store get extra
  same '' credential-store --file
  same '' credential-store --bogus get
  same '' credential-store -x get
  same '' credential-store -h
  # git shows the line; it might be a secret: masked
  mine 'protocol=https\nhost=h\nbad line\n' credential-store get
  expect_status 128
  expect_err_eq "$(printf 'warning: invalid credential line: [MASKED]\nfatal: unable to read credential')"
  same 'protocol=https\nhost=h\n' credential-store frob
}

t_store_lock_held_times_out() {
  setup; need_real_git
  config "[credentialStore]
	lockTimeoutMS = 50"
  : >real/.git-credentials.lock; : >our/.git-credentials.lock
  same 'protocol=https\nhost=h\nusername=a\npassword=b\n' credential-store store
  expect_status 128
  expect_err "unable to get credential storage lock in 50 ms: File exists"
  rm real/.git-credentials.lock our/.git-credentials.lock
  # a symlinked store is rewritten at its target
  mkdir -p real/t our/t; : >real/t/creds; : >our/t/creds
  ln -s t/creds real/.git-credentials; ln -s t/creds our/.git-credentials
  same 'protocol=https\nhost=h\nusername=a\npassword=b\n' credential-store store
  same_file t/creds
  [ -L our/.git-credentials ] || fail "the symlink was replaced"
}

t_runner_reject_line_exactly() {
  setup; need_real_git
  config "[credential]
	helper = store"
  printf 'https://gitlab-ci-token:tok@gitlab.example.com\nhttps://me:pw@gitlab.example.com\n' >real/.git-credentials
  cp real/.git-credentials our/.git-credentials
  # what the runner's get-sources script runs
  (cd our && echo $'url=https://gitlab.example.com\nusername=gitlab-ci-token' | HOME=$PWD git credential reject || true)
  (cd real && echo $'url=https://gitlab.example.com\nusername=gitlab-ci-token' | HOME=$PWD "$REAL_GIT" credential reject || true)
  same_file .git-credentials
  [ "$(cat our/.git-credentials)" = "https://me:pw@gitlab.example.com" ] || fail "$(cat our/.git-credentials)"
}

t_repository_config_applies() {
  setup
  mkdir repo && (cd repo && "${REAL_GIT}" init -q 2>/dev/null) || skip "no git to make a repository"
  printf '[credential]\n\thelper = !echo password=from-repo\n\tusername = ru\n' >>repo/.git/config
  (cd repo && printf 'url=https://h\n' | HOME=$PWD/../our git credential fill) >out.txt 2>err.txt; STATUS=$?
  expect_status 0
  expect_out "password=from-repo"
  expect_out "username=ru"
}
