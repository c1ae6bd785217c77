# git config and the config stack, differentially against Debian's git: the same
# commands run with real git and with ours, at the same path, and every byte of
# stdout, stderr, exit status and written files must agree.

source "$CIH_TESTS/integration/git/lib/same.sh"

t_config_set_get_unset_forms() {
  same 'g config -f x Foo.BarBaz 1' 'g config -f x foo.other 2' 'g config -f x foo.m a' \
    'g config -f x --add foo.m b' 'g config -f x foo.m c' 'g config -f x --unset foo.m' \
    'g config -f x --get foo.m' 'g config -f x --get-all foo.m' 'g config -f x foo.m' \
    'g config -f x --get nope.x' 'g config -f x --unset nope.x' 'g config -f x --unset-all nope.x' \
    'g config -f x foo.m z "^b$"' 'g config -f x --get-all foo.m "^[az]$"' 'g config -f x --get-all foo.m "!^a$"' \
    'g config -f x --replace-all foo.m R "!^a$"' 'g config -f x --unset foo.m "^a$"' \
    'g config -f x --add foo.m b' 'g config -f x --unset-all foo.m "^R$"' 'g config -f x --unset-all foo.m' \
    'g config -f x --unset foo.barbaz' 'g config -f x --unset foo.other' \
    'g config -f x foo' "g config -f x 'foo bar.x' 1" 'g config -f x foo.1x 1' 'g config -f x foo. 1' \
    'g config -f x .foo 1' "g config -f x --get-regexp '['" "g config -f x a.b c '['" \
    'g config --file=y a.b c' 'g config -fz a.b c' 'g config --file y --get-regexp "^a"' \
    'g config -f missing --unset a.b' 'g config -f missing --get a.b' 'g config -f missing -l' \
    'g config -f /nonexistent/dir/f a.b c' 'cat y'
}

t_config_subsection_case() {
  same 'g config -f x FOO.Sub.Key 3' 'g config -f x foo.sub.key2 4' 'g config -f x foo.Sub.KEY 5' \
    'g config -f x http.https://Host:8443/Path.sslCAInfo /a' 'g config -f x HTTP.https://Host:8443/Path.SSLCAINFO /b' \
    'g config -f x http.https://host:8443/Path.sslcainfo /c' 'g config -f x --get http.https://Host:8443/Path.sslcainfo' \
    'g config -f x --get-regexp "HTTP\.https://Host.*"' 'g config -f x --get-regexp "Foo.SUB.*"' \
    'printf "[old.Sub]\n\tk = 1\n" > o' 'g config -f o old.sub.k 2' 'g config -f o old.SUB.k 3' 'g config -f o -l' \
    'g config -f x "a.sub\"q\\\\s.k" v' 'g config -f x -l'
}

t_config_awkward_values() {
  same 'for v in " lead" "trail " "a#b" "a;b" "q\"q" "b\\s" "$(printf "tab\there")" "$(printf "nl\nx")" "" \
      "=eq" "x = y" "\\n" "!f(){ echo \"p=\${X}\" ; }; f"; do g config -f q --add s.v "$v"; echo "rc=$?"; done' \
    'g config -f q --get-all s.v' 'g config -f q -z --get-all s.v' 'g config -f q -l -z' \
    'g config -f q --replace-all s.v "final value "' 'cat q'
}

t_config_edits_keep_the_rest_of_the_file() {
  same 'printf "# top\n[core]\n\tbare = false ; trailing\n[Remote \"origin\"]\n  url = https://x\n[remote.Origin]\n\tfetch = a\n[empty]\n[multi]\n\tv = 1\n\tv = 2 # two\n[multi]\n\tv = 3\n[a] k = 1\n[last]\n\tk = v" > c' \
    'g config -f c remote.origin.url https://y' 'g config -f c remote.Origin.fetch b' 'g config -f c remote.origin.fetch c' \
    'g config -f c empty.k v' 'g config -f c multi.v 9 "^2$"' 'g config -f c --add multi.v 10' \
    'g config -f c --unset core.bare' 'g config -f c --unset last.k' 'g config -f c a.k 2' 'g config -f c a.new 3' \
    'g config -f c --unset-all multi.v' 'g config -f c --unset remote.origin.url' 'g config -f c new.k v' \
    'printf "[x]\n\tk = 1\n" > d; g config -f d --unset x.k' \
    'printf "\xef\xbb\xbf[bom]\r\n\tk = v\r\n" > b; g config -f b --add bom.k2 w; g config -f b -l' \
    'printf "[a\n" > bad; g config -f bad a.b c; g config -f bad --get a.b; g config -f bad -l' \
    'printf "[a]\n=x\n" > bad2; g config -f bad2 a.b c' 'printf "[a]\n\tb = \"open\n" > bad3; g config -f bad3 -l' \
    'printf "[a]\n\tb = 1\n" > ro; chmod 640 ro; g config -f ro a.c 2; stat -c %a ro' \
    'ln -s ro link; g config -f link a.d 3; test -L link && echo still-a-link' \
    'touch ro.lock; g config -f ro a.e 4; rm ro.lock'
}

t_config_runner_invocations() {
  same 'g config --global --add safe.directory /builds/group/project' \
    'g config --global --add safe.directory /builds/group/project' \
    'g config --global http.https://gitlab.example.com:8443.sslCAInfo /builds/tmp/CI_SERVER_TLS_CA_FILE' \
    'g config -f tmpl init.defaultBranch none' \
    'g config -f tmpl --replace-all include.path /builds/tmp/.gitlab-runner.ext.conf "\.gitlab-runner\.ext\.conf$"' \
    'g config -f tmpl --replace-all include.path /other/.gitlab-runner.ext.conf "\.gitlab-runner\.ext\.conf$"' \
    'g config --file ext --replace-all url.https://gitlab-ci-token:TOKEN@gitlab.example.com.insteadOf https://gitlab.example.com "^https://gitlab.example.com$"' \
    'g config --file ext --replace-all url.https://gitlab-ci-token:TOKEN2@gitlab.example.com.insteadOf https://gitlab.example.com "^https://gitlab.example.com$"' \
    'g config --file seed --add include.path "$HOME/.gitconfig"' \
    "g config -f ext --replace-all credential.https://gitlab.example.com.helper ''" \
    "g config -f ext --add credential.https://gitlab.example.com.helper '!f(){ if [ \"\$1\" = \"get\" ] ; then echo \"password=\${CI_JOB_TOKEN}\" ; fi ; } ; f'" \
    'g config -f ext --get-all credential.https://gitlab.example.com.helper' \
    '/usr/bin/git init -q repo; cd repo; g config --replace-all include.path /builds/tmp/.gitlab-runner.ext.conf "\.gitlab-runner\.ext\.conf$"; g config --file .git/config --replace-all include.path "$HOME/x.gitlab-runner.ext.conf" "\.gitlab-runner\.ext\.conf$"; g config --get-all include.path' \
    'g config --replace-all include.path /p' 'g config --local -l' 'g config a.b c' 'g config -l'
}

t_config_types_and_defaults() {
  same 'printf "[a]\n\tb = 1\n\tb = yes\n\tc\n\tk = 2k\n\tp = ~/x\n\te =\n[a \"Sub\"]\n\tb = x\n" > c' \
    'g config -f c --int --get a.k' 'g config -f c --int --get-all a.b' 'g config -f c --bool --get-all a.b' \
    'g config -f c --bool a.c' 'g config -f c --type=bool --get a.e' 'g config -f c --bool-or-int --get-all a.b' \
    'g config -f c --bool-or-str --get a.Sub.b' 'g config -f c --path --get a.p' 'g config -f c --type=path --get a.c' \
    'g config -f c --get a.c' 'g config -f c --get-regexp "a\.[ce]"' 'g config -f c --int a.n 99999999999' \
    'g config -f c --int a.n 1x' 'g config -f c --bool a.n maybe' 'g config -f c --bool a.y On' \
    'g config -f c --int a.m 1g' 'g config -f c --bool-or-int a.o 7' 'g config -f c --type=int --int a.o 7' \
    'g config -f c --bool --int a.o 7' 'g config -f c --type=nope a.o 7' 'g config -f c --default dflt --get no.such' \
    'g config -f c --default 1k --int --get no.such' 'g config -f c --default x --int --get no.such' \
    'g config -f c --default x --get-all no.such' 'g config -f c --int --get a.Sub.b'
}

t_config_usage_errors() {
  same 'g config' 'g config --get' 'g config --get-all a b c' 'g config --bogus' 'g config -x' \
    'g config --global --local -l' 'g config -f a --global -l' 'g config --list x' 'g config --get --add a.b' \
    'g config --name-only --get a.b' 'g config --show-origin a.b c' 'g config --get=x' 'g config --file' \
    'g config --no-get' 'g config --no-bool a.b' 'g config -h' 'g config a b c d' 'g config --add a.b' \
    'g config --local a.b' 'g config --unset' 'g config -f f --unset a b c' 'g config -f f -- a.b c' 'cat f'
}

t_config_inside_and_outside_a_repository() {
  same 'g config a.b c' 'g config --get a.b' 'g config --local -l' 'g config --unset a.b' \
    '/usr/bin/git init -q r' 'cd r && g config a.b c && g config --get a.b && g config --add a.b d && g config -l --show-origin --show-scope' \
    'cd r && mkdir -p sub && cd sub && g config --show-origin --get-all a.b && g config -f rel x.y 1 && g config --show-origin -f rel -l && g config --unset-all a.b && ls' \
    'cd r/.git && g config in.gitdir 1 && g config --get in.gitdir' \
    'GIT_DIR=r/.git g config env.dir 1; GIT_DIR=r/.git g config --get env.dir' \
    'GIT_CONFIG=$PWD/envfile g config e.v 1; cat envfile'
}

t_config_global_xdg_home_system() {
  same 'g config --global a.b 1' 'mkdir -p home/.config/git && printf "[x]\n\tfrom = xdg-home\n" > home/.config/git/config' \
    'g config -l --show-origin --show-scope' 'g config --global -l' 'rm home/.gitconfig; g config --global c.d 2; g config --global -l' \
    'mkdir -p xdg/git && printf "[x]\n\tfrom = xdg\n" > xdg/git/config && XDG_CONFIG_HOME=$PWD/xdg g config -l --show-origin' \
    'XDG_CONFIG_HOME= g config -l' 'GIT_CONFIG_GLOBAL=$PWD/gg g config --global q.q 1; GIT_CONFIG_GLOBAL=$PWD/gg g config -l --show-scope' \
    'GIT_CONFIG_GLOBAL=/dev/null g config -l' \
    'printf "[s]\n\tys = 1\n" > sys; export GIT_CONFIG_SYSTEM=$PWD/sys; GIT_CONFIG_NOSYSTEM= g config -l --show-scope; GIT_CONFIG_NOSYSTEM=0 g config -l; g config --system -l; g config --system n.n 2; GIT_CONFIG_NOSYSTEM=false g config --get-all n.n' \
    'HOME= g config --global -l' '(unset HOME; g config --global -l; g config --global a.b c)'
}

t_config_includes() {
  same 'mkdir -p home/d/e; printf "[a]\n\tb = 1\n[include]\n\tpath = d/one\n[a]\n\tafter = 1\n" > home/.gitconfig' \
    'printf "[one]\n\tx = 1\n[include]\n\tpath = e/two\n\tpath = missing\n" > home/d/one' \
    'printf "[two]\n\tx = 2\n[include]\n\tpath = ~/abs\n" > home/d/e/two; printf "[abs]\n\tv = 3\n" > home/abs' \
    'g config -l --show-origin' 'g config --global -l' 'g config --global --includes -l' 'g config --get two.x' \
    'g config --no-includes --get two.x' 'g config --global --includes --get abs.v' \
    'g -c include.path=$HOME/abs -c after.param=1 config --show-origin -l' 'g -c include.path=~/d/one config --get-all two.x' \
    'g -c include.path=rel config -l' 'g -c include.path config -l' 'g -c a.b=1 -c include.path=rel config --get a.b' \
    'printf "[include]\n\tpath = loop\n" > loop; g -c include.path=$PWD/loop config -l' \
    'printf "[a]\n\tb = 1\n[include]\n\tpath\n" > incbad; g config --includes -f incbad -l' \
    '/usr/bin/git init -q r; cd r; g config include.path ../inc; printf "[r]\n\tinc = 1\n" > ../inc; g config --get r.inc; g config --local --get r.inc; g config --local --includes --get r.inc'
}

t_config_command_line_parameters() {
  same 'g -c Foo.Bar=1 -c a.B.c=2 -c v.v -c e.e= -c x.y=a=b config --list' 'g -c a.b config --bool a.b' \
    'g -c a.b= config --bool a.b' 'g -c foo=bar config -l' 'g -c =bar config -l' 'g -c foo.=bar config -l' \
    "g -c 'a.b c=1' config -l" "g -c 'a.\"x y\".c=1' config -l" "g -c ' a.b =1' config -l" \
    'g -c foo=bar config -f nf --get a.b' 'g -c foo=bar config -f x a.b c' 'g -c foo=bar config --get-all a.b' \
    'g -c foo=bar version >/dev/null' \
    "GIT_CONFIG_PARAMETERS=\"'a.b'='c' 'x.y=z' 'q.r'= 'Sec.Sub.K'='it'\\\\''s'\\\\!''\" g -c 'w.x=v!' config -l --show-origin" \
    'GIT_CONFIG_COUNT=2 GIT_CONFIG_KEY_0=k.a GIT_CONFIG_VALUE_0=1 GIT_CONFIG_KEY_1=k.b GIT_CONFIG_VALUE_1= GIT_CONFIG_PARAMETERS="'"'"'z.z'"'"'='"'"'1'"'"'" g config -l --show-scope' \
    'GIT_CONFIG_COUNT=x g config -l' 'GIT_CONFIG_COUNT=1 g config -l' 'GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=a.b g config -l' \
    'GIT_CONFIG_PARAMETERS=bad g config -l' "GIT_CONFIG_PARAMETERS=\"'a.b'x\" g config -l" \
    "GIT_CONFIG_PARAMETERS=\"'old'\" g config -l" "GIT_CONFIG_PARAMETERS=\"'a.b'='unterminated\" g config -l"
}

# What real git exports for -c is what ours reads, and the reverse: ours encodes
# as git does (tests/unit/gconf.c checks the string), so git reads it.
t_config_parameters_propagate_between_gits() {
  [ -x "$REAL_GIT" ] || skip "no $REAL_GIT to compare with"
  local ours; ours=$(ours_git)
  export HOME=$PWD GIT_CONFIG_NOSYSTEM=1
  "$REAL_GIT" -c a.b=1 -c c.d -c "w.x=it's!" -c 'A.Sub.K=v v' -c 'e.f=' -c x.y=a=b \
    -c 'alias.penv=!printenv GIT_CONFIG_PARAMETERS' penv >exported.txt || fail "git alias"
  GIT_CONFIG_PARAMETERS=$(cat exported.txt) "$ours" config -l >ours.txt 2>&1
  GIT_CONFIG_PARAMETERS=$(cat exported.txt) "$REAL_GIT" config -l >real.txt 2>&1
  diff -u real.txt ours.txt || fail "ours reads git's GIT_CONFIG_PARAMETERS differently"
  grep -qx "w.x=it's!" ours.txt || fail "value lost"
  GIT_CONFIG_PARAMETERS="'a.b'='1' 'c.d'= 'w.x'='it'\\''s'\\!''" "$REAL_GIT" config -l >real2.txt
  printf 'a.b=1\nc.d\nw.x=it'"'"'s!\n' | diff -u - real2.txt || fail "git reads our encoding differently"
}

t_config_safe_directory() {
  same '/usr/bin/git init -q r; cd r; g config a.b 1; export GIT_TEST_ASSUME_DIFFERENT_OWNER=1; g config a.b 2; g config --local -l; g config -l; g config --global --add safe.directory $PWD; g config a.b 3; g -c safe.directory= config --get a.b; g -c safe.directory=* config --get a.b; g config --global --unset-all safe.directory; g -c safe.directory=* config --get a.b; cat .git/config' \
    '/usr/bin/git init -q r2; chown -R 1234 r2 2>/dev/null || exit 0; cd r2; g config a.b 4; g -c safe.directory=* config a.b 4; SUDO_UID=1234 g config a.b 5; cat .git/config'
}
