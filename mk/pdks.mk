# PDKs for C, AssemblyScript and Rust (pdk/c, pdk/assemblyscript, pdk/rust) and
# the example plugins built with them. Commands: ../shared TOOLCHAIN.md "Plugins".
#
#   make pdk-toolchains   install clang/wasi-libc, Debian's rustc/cargo and the
#                         npm packages, each only when missing (idempotent)
#   make pdk-examples     build examples/plugins/{c,assemblyscript,rust}-hello/plugin.wasm
#   make plugins          builds them too (PLUGIN_TARGETS, shared with mk/plugins.mk)
#   make pdk-test         native unit tests of the C and Rust PDKs' JSON code
#                         (part of `make test`; the Go test examples/plugins runs
#                         every example through the real host)
#
# Self-contained so tests can run `make -f mk/pdks.mk pdk-examples PDK_OUT=/tmp/x`
# to build the same way into a scratch directory.

PDK_OUT        ?= examples/plugins
PDK_CLANG      ?= clang
PDK_RUSTC      ?= /usr/bin/rustc
PDK_CARGO      ?= /usr/bin/cargo
PDK_CARGO_DIR  ?= $(CURDIR)/bin/pdk-build/rust
PDK_AS_DIR     := pdk/assemblyscript
PDK_ASC        := $(PDK_AS_DIR)/node_modules/.bin/asc
PDK_NPM_STAMP  := $(PDK_AS_DIR)/node_modules/.package-lock.json

PDK_APT_C      := clang lld wasi-libc libclang-rt-dev-wasm32
PDK_APT_RUST   := rustc libstd-rust-dev-wasm32 cargo
PDK_SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

PDK_EXAMPLES   := $(PDK_OUT)/c-hello/plugin.wasm \
                  $(PDK_OUT)/assemblyscript-hello/plugin.wasm \
                  $(PDK_OUT)/rust-hello/plugin.wasm

PLUGIN_TARGETS += pdk-examples
TEST_DEPS      += pdk-toolchains pdk-test

.PHONY: pdk-toolchains pdk-apt pdk-npm pdk-examples pdk-c-hello pdk-assemblyscript-hello pdk-rust-hello plugins \
        pdk-test

# Works whether or not mk/plugins.mk defines `plugins:` (a rule with no recipe
# only adds prerequisites).
plugins: pdk-examples

pdk-toolchains: pdk-apt pdk-npm

# apt-get update runs once, and only when something is missing.
pdk-apt:
	@missing=""; \
	for p in $(PDK_APT_C) $(PDK_APT_RUST); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "pdk-toolchains: missing$$missing and no apt-get here; install them by hand" >&2; exit 1; \
	fi; \
	echo "pdk-toolchains: installing$$missing"; \
	$(PDK_SUDO) apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $(PDK_SUDO) apt-get install -y -qq --no-install-recommends $$missing

pdk-npm: $(PDK_NPM_STAMP)

# npm writes node_modules/.package-lock.json on every install: a fresh stamp.
$(PDK_NPM_STAMP): $(PDK_AS_DIR)/package.json $(PDK_AS_DIR)/package-lock.json | pdk-apt
	cd $(PDK_AS_DIR) && npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

pdk-examples: $(PDK_EXAMPLES)
pdk-c-hello: $(PDK_OUT)/c-hello/plugin.wasm
pdk-assemblyscript-hello: $(PDK_OUT)/assemblyscript-hello/plugin.wasm
pdk-rust-hello: $(PDK_OUT)/rust-hello/plugin.wasm

# Order-only on pdk-apt so `make -j test` never compiles before the install.
$(PDK_OUT)/c-hello/plugin.wasm: examples/plugins/c-hello/main.c $(wildcard pdk/c/*.h) | pdk-apt
	@mkdir -p $(@D)
	$(PDK_CLANG) --target=wasm32-wasi --sysroot=/usr -Oz -mexec-model=reactor -Wall -Wextra -Werror \
	  -Wl,--strip-all -I pdk/c -o $@ $<

$(PDK_OUT)/assemblyscript-hello/plugin.wasm: $(wildcard examples/plugins/assemblyscript-hello/assembly/*.ts) \
    $(wildcard $(PDK_AS_DIR)/assembly/*.ts) $(PDK_AS_DIR)/transform.mjs $(PDK_NPM_STAMP)
	@mkdir -p $(@D)
	cd examples/plugins/assemblyscript-hello && $(CURDIR)/$(PDK_ASC) assembly/index.ts \
	  --outFile $(abspath $@) --path $(CURDIR)/$(PDK_AS_DIR)/node_modules \
	  --use abort=assembly/index/myAbort --optimize --transform $(CURDIR)/$(PDK_AS_DIR)/transform.mjs

$(PDK_OUT)/rust-hello/plugin.wasm: $(wildcard examples/plugins/rust-hello/src/*.rs) examples/plugins/rust-hello/Cargo.toml \
    $(wildcard pdk/rust/src/*.rs) pdk/rust/Cargo.toml | pdk-apt
	@mkdir -p $(@D)
	cd examples/plugins/rust-hello && RUSTC=$(PDK_RUSTC) CARGO_TARGET_DIR=$(PDK_CARGO_DIR) \
	  $(PDK_CARGO) build --offline --locked --release --target wasm32-unknown-unknown
	cp $(PDK_CARGO_DIR)/wasm32-unknown-unknown/release/rust_hello.wasm $@

pdk-test: | pdk-apt
	@mkdir -p $(CURDIR)/bin/pdk-build
	$(PDK_CLANG) -Wall -Wextra -Werror -Wno-unknown-attributes -I pdk/c -o bin/pdk-build/c-json-test pdk/c/json_test.c
	bin/pdk-build/c-json-test
	cd pdk/rust && RUSTC=$(PDK_RUSTC) CARGO_TARGET_DIR=$(CURDIR)/bin/pdk-build/rust-native \
	  $(PDK_CARGO) test --offline --quiet
