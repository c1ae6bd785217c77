# Checkout and the attribute-driven conversions (eol/text/crlf, ident, core.autocrlf),
# differentially against Debian's git: ours skips libgit2's filters on a fresh
# checkout only when no attribute source can change a file (gcheckout_attr.c), so
# every source of attributes must still convert exactly as git does.
source "$CIH_TESTS/integration/git/lib/same.sh"

# src_repo FILE=CONTENT...: ./src, one commit of those files (printf escapes), SHA set
src_repo() {
  local kv f
  rm -rf src && mkdir src && /usr/bin/git init -q src
  for kv in "$@"; do
    f=src/${kv%%=*}
    mkdir -p "$(dirname "$f")"
    printf "${kv#*=}" >"$f"
  done
  rgit_src add -A && rgit_src commit -q -m one
  SHA=$(rgit_src rev-parse HEAD)
}
rgit_src() {
  env -i PATH=/usr/bin:/bin HOME=/nonexistent GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=a \
    GIT_AUTHOR_EMAIL=a@b GIT_COMMITTER_NAME=a GIT_COMMITTER_EMAIL=a@b \
    GIT_AUTHOR_DATE='1700000000 +0000' GIT_COMMITTER_DATE='1700000000 +0000' \
    /usr/bin/git -C src "$@"
}

# fetched [GIT-OPTIONS]: init ./d, fetch src, check out SHA; then real git's status
FETCH='g init -q d && g -C d fetch -q ../../src +refs/heads/*:refs/remotes/origin/*'
CHECKOUT='g -C d checkout -f -q $SHA'
STATUS='/usr/bin/git -C d status --porcelain'

t_checkout_attrs_text_eol_crlf() {
  src_repo '.gitattributes=*.txt text eol=crlf\n' 'a.txt=one\ntwo\n' 'b.bin=x\ny\n' \
    'sub/c.txt=three\n' 'mixed.txt=a\r\nb\n'
  same "$FETCH" "$CHECKOUT" "$STATUS"
  grep -q $'one\r' ours.w/d/a.txt || fail "a.txt was not converted to CRLF"
}

t_checkout_attrs_ident() {
  src_repo '.gitattributes=*.c ident\n' 'f.c=/* $Id$ */\nint x;\n' 'g.h=/* $Id$ */\n'
  same "$FETCH" "$CHECKOUT" "$STATUS"
  grep -q 'Id: [0-9a-f]\{40\}' ours.w/d/f.c || fail "ident was not expanded in f.c"
}

t_checkout_attrs_in_subdirectory() {
  src_repo '.gitattributes=# SPDX-License-Identifier: GPL-2.0\n*.c diff=cpp\n' \
    'doc/.gitattributes=*.md eol=crlf\n' 'doc/a.md=x\ny\n' 'a.md=x\ny\n' 'k.c=int\n'
  same "$FETCH" "$CHECKOUT" "$STATUS"
  grep -q $'x\r' ours.w/d/doc/a.md || fail "doc/a.md was not converted"
  ! grep -q $'\r' ours.w/d/a.md || fail "a.md was converted"
}

t_checkout_attrs_comment_words_convert_nothing() {
  # "ident", "text", "eol" in comments and in other attributes' values: no conversion
  src_repo '.gitattributes=# text eol=crlf ident\n*.c diff=cpp\n*.x foo=text\n' \
    'f.c=/* $Id$ */\r\nx\n' 'a.x=$Id$\n'
  same "$FETCH" "$CHECKOUT" "$STATUS"
  cmp -s src/f.c ours.w/d/f.c && cmp -s src/a.x ours.w/d/a.x || fail "a file was converted"
}

t_checkout_autocrlf_true() {
  src_repo 'a.txt=one\ntwo\n' 'b.bin=\000\n\n'
  same "$FETCH" 'g -c core.autocrlf=true -C d checkout -f -q $SHA' \
    '/usr/bin/git -c core.autocrlf=true -C d status --porcelain'
  grep -q $'one\r' ours.w/d/a.txt || fail "autocrlf did not convert a.txt"
}

t_checkout_info_attributes() {
  src_repo 'a.txt=one\n' 'b.c=/* $Id$ */\n'
  same "$FETCH" 'mkdir -p d/.git/info && printf "* text eol=crlf\n*.c ident\n" >d/.git/info/attributes' \
    "$CHECKOUT" "$STATUS"
  grep -q $'one\r' ours.w/d/a.txt || fail "info/attributes was not applied"
}

t_checkout_global_attributes_files() {
  src_repo 'a.txt=one\n' 'b.md=two\n'
  same "$FETCH" 'mkdir -p home/.config/git && printf "*.txt eol=crlf\n" >home/.config/git/attributes' \
    "$CHECKOUT" "$STATUS"
  grep -q $'one\r' ours.w/d/a.txt || fail "the XDG attributes file was not applied"
  same "$FETCH" 'printf "*.md eol=crlf\n" >attrs' 'g -C d config core.attributesFile "$PWD/attrs"' \
    "$CHECKOUT" "$STATUS"
  grep -q $'two\r' ours.w/d/b.md || fail "core.attributesFile was not applied"
}

t_checkout_attrs_over_previous_checkout() {
  # the second checkout is not fresh (index and files present): filters stay on
  src_repo 'a.txt=one\n'
  local first=$SHA
  printf '*.txt eol=crlf\n' >src/.gitattributes && printf 'one\nmore\n' >src/a.txt
  rgit_src add -A && rgit_src commit -q -m two && SHA=$(rgit_src rev-parse HEAD)
  same "$FETCH" "g -C d checkout -f -q $first" "$CHECKOUT" "$STATUS"
  grep -q $'more\r' ours.w/d/a.txt || fail "a.txt was not converted on the second checkout"
}
