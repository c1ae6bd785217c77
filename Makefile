# cihelper: one static binary for every job of a CI helper container. See README.md.
#   make [ARCH=amd64|arm64|s390x|ppc64le|riscv64]   build build/<arch>/cihelper
#   make test [ARCH=...]     unit + integration suite (foreign arches run under qemu)
#   make test-foreign        the suite for the four non-amd64 arches
#   make image               the helper image for every arch (build/image; docker/)
#   make test-image          build it and run its suite (tests/image: chroot runs, registry)
#   make all-arches | size | demo | fuzz | check | clean
ARCHES := amd64 arm64 s390x ppc64le riscv64
FOREIGN := $(filter-out amd64,$(ARCHES))
ARCH ?= amd64
ifeq ($(filter $(ARCH),$(ARCHES)),)
$(error ARCH must be one of: $(ARCHES))
endif

B := build/$(ARCH)
# V=1 shows the full commands
Q := $(if $(V),,@)
.DEFAULT_GOAL := all
NO_DEPS_GOALS := clean help check fuzz fuzz-tools image test-image $(wildcard build/fuzz/*)
ifneq ($(filter-out $(NO_DEPS_GOALS),$(or $(MAKECMDGOALS),all)),)
DEPS := $(shell scripts/deps-prefix $(ARCH))
# A missing env.mk is remade by the rule below, then make restarts with it.
-include $(DEPS)/env.mk
$(DEPS)/env.mk:
	scripts/install-build-deps
	scripts/build-deps $(ARCH) >/dev/null
endif

VERSION := $(shell cat VERSION)
REVISION := $(shell git rev-parse -q --verify --short=8 HEAD 2>/dev/null || echo HEAD)
BRANCH := $(shell git symbolic-ref -q --short HEAD 2>/dev/null || echo HEAD)
BUILT := $(shell git log -1 --format=%cd --date=format:%Y-%m-%dT%H:%M:%S%z 2>/dev/null || echo unknown)
MUSL_VERSION := $(shell awk '$$1 == "musl" {split($$3, v, "-"); print v[1]; exit}' scripts/deps.lock)

WARN := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wvla -Wno-unused-parameter
# _FORTIFY_SOURCE needs libc support that musl does not ship; the host sanitizer
# builds (make fuzz) use it.
CFLAGS := -std=c11 -D_GNU_SOURCE -O2 $(WARN) -fstack-protector-strong \
	-ffunction-sections -fdata-sections -MMD -MP -isystem $(DEPS_INC)
LDFLAGS := -static -Wl,--gc-sections -L$(DEPS_LIB)

LIB_SRCS := $(filter-out helper/main.c,$(wildcard helper/*.c)) $(wildcard certs/*.c net/*.c git/*.c archive/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/obj/%.o) $(B)/obj/gen/ca_bundle.o
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_OBJS := $(UNIT_SRCS:%.c=$(B)/obj/%.o) $(B)/obj/gen/unit_index.o

.PHONY: all test test-foreign test-all all-arches size demo image test-image fuzz fuzz-tools check clean FORCE
all: $(B)/cihelper

$(B)/cihelper: $(B)/obj/helper/main.o $(LIB_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@.tmp $^ $(LIBS)
	$(Q)$(STRIP) -o $@ $@.tmp && rm -f $@.tmp

$(B)/unit-tests: $(UNIT_OBJS) $(LIB_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/obj/%.o: %.c $(DEPS)/env.mk
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

# Only version.o sees the revision, so a new commit recompiles one file.
$(B)/obj/helper/version.o: CFLAGS += -DCIH_VERSION='"$(VERSION)"' -DCIH_REVISION='"$(REVISION)"' \
	-DCIH_BRANCH='"$(BRANCH)"' -DCIH_BUILT='"$(BUILT)"' -DCIH_MUSL_VERSION='"$(MUSL_VERSION)"'
$(B)/obj/helper/version.o: $(B)/version.stamp
$(B)/version.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(VERSION) $(REVISION) $(BRANCH) $(BUILT)' | cmp -s - $@ || echo '$(VERSION) $(REVISION) $(BRANCH) $(BUILT)' > $@

# Generated sources are arch-independent and shared by every arch.
build/gen/ca_bundle.c: scripts/gen-ca-bundle scripts/deps.lock
	@mkdir -p $(@D)
	$(Q)scripts/fetch-sources >/dev/null
	$(Q)scripts/gen-ca-bundle "$$(scripts/fetch-sources --print-dir ca-certificates)/mozilla" $@
$(B)/obj/gen/ca_bundle.o: build/gen/ca_bundle.c $(DEPS)/env.mk
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) -O2 -c -o $@ $<
build/gen/unit_index.c: $(UNIT_SRCS) scripts/gen-test-index
	@mkdir -p $(@D)
	$(Q)scripts/gen-test-index $(UNIT_SRCS) > $@.tmp && mv $@.tmp $@
$(B)/obj/gen/unit_index.o: build/gen/unit_index.c $(DEPS)/env.mk
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

test: $(B)/cihelper $(B)/unit-tests
	scripts/run-tests --arch $(ARCH) --exec-prefix "$(QEMU)" --bin $(B)/cihelper --unit $(B)/unit-tests

test-foreign:
	@set -e; for a in $(FOREIGN); do $(MAKE) --no-print-directory ARCH=$$a test; done

test-all:
	@set -e; for a in $(ARCHES); do $(MAKE) --no-print-directory ARCH=$$a test; done

all-arches:
	@set -e; for a in $(ARCHES); do $(MAKE) --no-print-directory ARCH=$$a; done

size: all-arches
	@scripts/size-report $(ARCHES)

# The helper image: OCI layouts, docker-archives, prebuilt tarballs, multi-arch index.
image:
	scripts/build-image build/image
test-image: image
	scripts/install-test-deps
	tests/image/run --image build/image

demo: $(B)/cihelper
	scripts/demo $(B)/cihelper $(QEMU)

# libFuzzer + ASan/UBSan on the host (glibc, so _FORTIFY_SOURCE applies too).
FUZZ_SECONDS ?= 30
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SRCS := helper/buf.c helper/error.c helper/fdio.c helper/flags.c helper/log.c helper/redact.c
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -D_FORTIFY_SOURCE=2 $(WARN) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SRCS) | fuzz-tools
	@mkdir -p $(@D)
	@echo "  FUZZCC  $@"
	$(Q)clang $(FUZZ_CFLAGS) -o $@ $^
# The response parser needs http-parser, compiled from the same Debian source.
build/fuzz/fuzz_http_resp: tests/fuzz/fuzz_http_resp.c $(FUZZ_SRCS) net/http_resp.c | fuzz-tools
	@mkdir -p $(@D)
	@echo "  FUZZCC  $@"
	$(Q)scripts/fetch-sources >/dev/null
	$(Q)hp=$$(scripts/fetch-sources --print-dir http-parser) && \
	  clang -g -O1 -w -fsanitize=fuzzer-no-link,address,undefined -c -o $@.hp.o $$hp/http_parser.c && \
	  clang $(FUZZ_CFLAGS) -I$$hp -o $@ $^ $@.hp.o
# The API reply reader needs http-parser and cJSON, both from the pinned sources.
build/fuzz/fuzz_glapi_reply: tests/fuzz/fuzz_glapi_reply.c $(FUZZ_SRCS) net/http_resp.c net/status_text.c helper/glapi_reply.c | fuzz-tools
	@mkdir -p $(@D)
	@echo "  FUZZCC  $@"
	$(Q)scripts/fetch-sources >/dev/null
	$(Q)hp=$$(scripts/fetch-sources --print-dir http-parser) && cj=$$(scripts/fetch-sources --print-dir cjson) && \
	  clang -g -O1 -w -fsanitize=fuzzer-no-link,address,undefined -c -o $@.hp.o $$hp/http_parser.c && \
	  clang -g -O1 -w -fsanitize=fuzzer-no-link,address,undefined -c -o $@.cj.o $$cj/cJSON.c && \
	  mkdir -p $@.inc && cp $$cj/cJSON.h $@.inc/ && \
	  clang $(FUZZ_CFLAGS) -I$$hp -I$@.inc -o $@ $^ $@.hp.o $@.cj.o
# zip reading needs zlib and zstd: the host's (Debian's -dev packages) for this build.
build/fuzz/fuzz_zip_read: tests/fuzz/fuzz_zip_read.c $(FUZZ_SRCS) archive/zip_read.c archive/zip_entry.c archive/extract.c | fuzz-tools
	@mkdir -p $(@D)
	@echo "  FUZZCC  $@"
	$(Q)clang $(FUZZ_CFLAGS) -o $@ $^ -lz -lzstd
build/fuzz/fuzz_tar_read: tests/fuzz/fuzz_tar_read.c $(FUZZ_SRCS) archive/tar_read.c archive/zst_stream.c | fuzz-tools
	@mkdir -p $(@D)
	@echo "  FUZZCC  $@"
	$(Q)clang $(FUZZ_CFLAGS) -o $@ $^ -lzstd
build/fuzz/fuzz_dotenv: tests/fuzz/fuzz_dotenv.c $(FUZZ_SRCS) helper/dotenv.c | fuzz-tools
	@mkdir -p $(@D)
	@echo "  FUZZCC  $@"
	$(Q)clang $(FUZZ_CFLAGS) -o $@ $^
# The git look-alike's parsers: modules of git/ that call no libgit2 (gcred.h, gurl.h
# and gsubmod.h name its types: the Debian source's headers, nothing linked) and
# gitcli's message printers stubbed.
FUZZ_GIT_SRCS := $(FUZZ_SRCS) tests/fuzz/gitcli_stub.c
build/fuzz/fuzz_gconf_parse: tests/fuzz/fuzz_gconf_parse.c $(FUZZ_SRCS) git/gconf_parse.c | fuzz-tools
build/fuzz/fuzz_gconf_edit: tests/fuzz/fuzz_gconf_edit.c $(FUZZ_GIT_SRCS) git/gconf_parse.c git/gconf_edit.c | fuzz-tools
build/fuzz/fuzz_gcred_read build/fuzz/fuzz_gurl_normalize build/fuzz/fuzz_gsub_url build/fuzz/fuzz_gpack_delta: | fuzz-tools
	@mkdir -p $(@D)
	@echo "  FUZZCC  $@"
	$(Q)scripts/fetch-sources >/dev/null
	$(Q)clang $(FUZZ_CFLAGS) -I$$(scripts/fetch-sources --print-dir libgit2)/include -o $@ $(filter %.c,$^)
build/fuzz/fuzz_gcred_read: tests/fuzz/fuzz_gcred_read.c $(FUZZ_GIT_SRCS) git/gcred.c
build/fuzz/fuzz_gurl_normalize: tests/fuzz/fuzz_gurl_normalize.c $(FUZZ_SRCS) git/gurl_norm.c
build/fuzz/fuzz_gsub_url: tests/fuzz/fuzz_gsub_url.c $(FUZZ_SRCS) git/gsubmod_url.c
# pack deltas (gpack.h names libgit2's types; gpack_delta.c calls nothing of it)
build/fuzz/fuzz_gpack_delta: tests/fuzz/fuzz_gpack_delta.c $(FUZZ_SRCS) git/gpack_delta.c
# the fetched-pack indexer: libdeflate's decompressor and mbedTLS's SHA-1 compiled
# from the same Debian sources, libgit2's few calls stubbed (tests/fuzz/gindex_stub.c)
GINDEX_SRCS := git/gindex.c git/gindex_scan.c git/gindex_resolve.c git/gindex_idx.c git/gpack_zlib.c git/gpack_delta.c
build/fuzz/fuzz_gindex: tests/fuzz/fuzz_gindex.c tests/fuzz/gindex_stub.c $(FUZZ_SRCS) $(GINDEX_SRCS) | fuzz-tools
	@mkdir -p $(@D)/gindex-deps
	@echo "  FUZZCC  $@"
	$(Q)scripts/fetch-sources >/dev/null
	$(Q)ld=$$(scripts/fetch-sources --print-dir libdeflate) mb=$$(scripts/fetch-sources --print-dir mbedtls) && \
	  cd $(@D)/gindex-deps && for f in $$ld/lib/deflate_decompress.c $$ld/lib/utils.c $$ld/lib/x86/cpu_features.c \
	      $$mb/library/sha1.c $$mb/library/platform_util.c; do \
	    clang -g -O1 -w -fsanitize=fuzzer-no-link,address,undefined -I$$ld -I$$mb/include -I$$mb/library \
	      -c $$f -o $$(basename $$(dirname $$f))_$$(basename $$f .c).o || exit 1; done
	$(Q)clang $(FUZZ_CFLAGS) -I$$(scripts/fetch-sources --print-dir libgit2)/include \
	  -I$$(scripts/fetch-sources --print-dir libdeflate) -I$$(scripts/fetch-sources --print-dir mbedtls)/include \
	  -o $@ $(filter %.c,$^) $(@D)/gindex-deps/*.o -lz -lpthread
# Git LFS: pointer texts, and batch replies read with cJSON from the pinned source.
build/fuzz/fuzz_lfs_pointer: tests/fuzz/fuzz_lfs_pointer.c $(FUZZ_SRCS) git/lfs_pointer.c | fuzz-tools
build/fuzz/fuzz_lfs_batch: tests/fuzz/fuzz_lfs_batch.c $(FUZZ_SRCS) git/lfs_batch.c git/lfs_pointer.c net/httpdate.c | fuzz-tools
	@mkdir -p $(@D)
	@echo "  FUZZCC  $@"
	$(Q)scripts/fetch-sources >/dev/null
	$(Q)cj=$$(scripts/fetch-sources --print-dir cjson) && \
	  clang -g -O1 -w -fsanitize=fuzzer-no-link,address,undefined -c -o $@.cj.o $$cj/cJSON.c && \
	  mkdir -p $@.inc && cp $$cj/cJSON.h $@.inc/ && \
	  clang $(FUZZ_CFLAGS) -I$@.inc -o $@ $^ $@.cj.o
fuzz-tools:
	@scripts/install-test-deps --fuzz
fuzz: $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus/$$t; \
	  echo "== fuzz $$t ($(FUZZ_SECONDS)s)"; \
	  if ! build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=build/fuzz/$$t- \
	      build/fuzz/corpus/$$t tests/fuzz/corpus/$$t >build/fuzz/$$t.log 2>&1; then \
	    tail -n 40 build/fuzz/$$t.log; echo "fuzz $$t: FAILED (input saved as build/fuzz/$$t-*)"; exit 1; \
	  fi; tail -n 1 build/fuzz/$$t.log; \
	done

check:
	scripts/check-src

clean:
	rm -rf build

-include $(wildcard $(B)/obj/*/*.d $(B)/obj/*/*/*.d)
