# A real smart-HTTP git server for the git tests: lighttpd running Debian's
# git-http-backend as CGI, HTTPS with the fixture certificate (CN localhost),
# HTTP basic auth (user gitlab-ci-token, password = $JOB_TOKEN), serving the
# fixture repositories (lib/mkrepos) of a switchable server state.
# Sourced after lib.sh.
#
# git_server [--proxy]
#   Builds the fixtures and starts the server. Sets:
#     JOB_TOKEN      the only password the server accepts
#     GIT_BASE       https://localhost:<port>       (TLS, direct)
#     GIT_PLAIN_BASE http://localhost:<port>        (plain HTTP, same auth)
#     FIX            the fixture dir; SHA_* from $FIX/shas.sh are set too
#   With --proxy also tests/servers/git_fault_proxy.py (TLS) in front of the
#   plain listener, and sub-b's absolute URL in the fixtures names the proxy:
#     GIT_PROXY_BASE https://localhost:<port>
#     GIT_FAULTS     its rule file: `fault 500 2 [substr]`, `fault reset 1`
#     GIT_PROXY_LOG  one line per request it saw
# git_state 1|2      which fixture state the server serves from now on
# fault KIND COUNT [SUBSTR]   adds a rule to $GIT_FAULTS

GIT_LIB=${GIT_LIB:-$CIH_TESTS/integration/git/lib}

git_server() {
  command -v lighttpd >/dev/null && [ -e /usr/lib/lighttpd/mod_cgi.so ] &&
    [ -e /usr/lib/lighttpd/mod_openssl.so ] && [ -e /usr/lib/lighttpd/mod_authn_file.so ] ||
    skip "lighttpd with mod_cgi, mod_openssl and mod_authn_file is not installed (scripts/install-test-deps)"
  [ -x /usr/lib/git-core/git-http-backend ] || skip "git-http-backend is not installed"
  local dir=$PWD/gitsrv tls http try pid
  GIT_PROXY_BASE=""
  GITSRV=$dir
  mkdir -p "$dir/empty"
  JOB_TOKEN=${JOB_TOKEN:-glcbt-64_Tok3n$RANDOM${RANDOM}x}
  printf 'gitlab-ci-token:%s\n' "$JOB_TOKEN" >"$dir/users"
  for try in 1 2 3 4 5; do  # a port may be taken between free_port and lighttpd's bind
    tls=$(free_port); http=$(free_port)
    while [ "$http" = "$tls" ]; do http=$(free_port); done
    git_server_conf "$dir" "$tls" "$http" >"$dir/lighttpd.conf"
    lighttpd -D -f "$dir/lighttpd.conf" >"$dir/lighttpd.out" 2>&1 &
    pid=$!; PIDS+=("$pid")
    port_up "$tls" "$pid" && port_up "$http" "$pid" && break
    kill "$pid" 2>/dev/null || true
    [ "$try" != 5 ] || fail "lighttpd did not start: $(cat "$dir/lighttpd.out" "$dir/lighttpd.err" 2>/dev/null)"
  done
  GIT_BASE=https://localhost:$tls
  GIT_PLAIN_BASE=http://localhost:$http
  if [ "${1:-}" = --proxy ]; then  # before the fixtures: they name its port in sub-b's URL
    GIT_FAULTS=$dir/faults GIT_PROXY_LOG=$dir/proxy.log
    : >"$GIT_FAULTS"; : >"$GIT_PROXY_LOG"
    python3 "$CIH_TESTS/servers/git_fault_proxy.py" --cert "$CIH_FIXTURES/server.pem" \
      --key "$CIH_FIXTURES/server.key" --backend "$http" --faults "$GIT_FAULTS" --log "$GIT_PROXY_LOG" \
      >"$dir/proxy.port" 2>"$dir/proxy.err" &
    PIDS+=($!)
    started "$dir/proxy.port" "the fault proxy" "$dir/proxy.err"
    GIT_PROXY_BASE=https://localhost:$(awk '{print $2}' "$dir/proxy.port")
  fi
  FIX=$dir/fixtures
  "$GIT_LIB/mkrepos" "$FIX" "${GIT_PROXY_BASE:-$GIT_BASE}" localhost >"$dir/mkrepos.log" 2>&1 ||
    fail "cannot build the fixture repositories: $(cat "$dir/mkrepos.log")"
  # shellcheck disable=SC1091
  source "$FIX/shas.sh"
  ln -sfn "$FIX/state1" "$dir/root"
}

# git_server_conf DIR TLS_PORT HTTP_PORT: lighttpd's configuration.
git_server_conf() {
  local dir=$1 tls=$2 http=$3
  cat <<CONF
server.document-root = "$dir/empty"
server.bind = "127.0.0.1"
server.port = $http
server.errorlog = "$dir/lighttpd.err"
server.modules = ( "mod_auth", "mod_authn_file", "mod_alias", "mod_setenv", "mod_cgi", "mod_openssl", "mod_accesslog" )
accesslog.filename = "$dir/access.log"
\$SERVER["socket"] == "127.0.0.1:$tls" {
  ssl.engine = "enable"
  ssl.pemfile = "$CIH_FIXTURES/server.pem"
  ssl.privkey = "$CIH_FIXTURES/server.key"
}
auth.backend = "plain"
auth.backend.plain.userfile = "$dir/users"
auth.require = ( "/" => ( "method" => "basic", "realm" => "GitLab", "require" => "valid-user" ) )
alias.url = ( "/" => "/usr/lib/git-core/git-http-backend/" )
cgi.assign = ( "" => "" )
setenv.add-environment = ( "GIT_PROJECT_ROOT" => "$dir/root", "GIT_HTTP_EXPORT_ALL" => "1",
                           "GIT_CONFIG_NOSYSTEM" => "1", "HOME" => "$dir" )
CONF
}

git_state() { ln -sfn "$FIX/state$1" "$GITSRV/root"; }

fault() { echo "$*" >>"$GIT_FAULTS"; }
