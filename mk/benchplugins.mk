# Benchmark plugins of BenchmarkLanguages (host/bench_lang_test.go): one per
# language under host/testdata/bench/<lang>/, each exporting `noop` and a
# `card` with exactly one host call. Built to host/testdata/bench/<lang>/plugin.wasm
# (gitignored: /host/testdata/bench/*/plugin.wasm) with the same compiler
# invocations as mk/plugins.mk (Go) and mk/pdks.mk (C, AssemblyScript, Rust).
#
#   make bench-plugin-wasm   build the four modules (also part of `make plugins`)
#
# (Not `bench-plugins`: mk/plugins.mk already uses that name for running the
# host benchmarks, and `make plugins` must not run benchmarks.)
#
# A module that is missing makes the benchmark skip that language.
# This file is included before mk/pdks.mk and mk/plugins.mk (alphabetical), so
# prerequisites name paths literally; recipes use their variables (deferred).

BENCH_PLUGIN_DIR  := host/testdata/bench
BENCH_PLUGIN_WASM := $(addprefix $(BENCH_PLUGIN_DIR)/,go/plugin.wasm c/plugin.wasm \
                     assemblyscript/plugin.wasm rust/plugin.wasm)

PLUGIN_TARGETS += bench-plugin-wasm

.PHONY: bench-plugin-wasm
plugins: bench-plugin-wasm
# `make bench` runs BenchmarkLanguages too (BENCH_PKGS has ./host): build first.
bench-go: bench-plugin-wasm
bench-plugin-wasm: $(BENCH_PLUGIN_WASM)

$(BENCH_PLUGIN_DIR)/go/plugin.wasm: $(wildcard $(BENCH_PLUGIN_DIR)/go/*.go) $(wildcard pdk/go/*.go) go.mod bin/portico-abi-stamp
	cd $(@D) && GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -ldflags='-s -w' -o plugin.wasm.tmp .
	$(ABI_STAMP) $(@D)/plugin.wasm.tmp
	mv $(@D)/plugin.wasm.tmp $@

$(BENCH_PLUGIN_DIR)/c/plugin.wasm: $(BENCH_PLUGIN_DIR)/c/main.c $(wildcard pdk/c/*.h) | pdk-apt
	$(PDK_CLANG) --target=wasm32-wasi --sysroot=/usr -Oz -mexec-model=reactor -Wall -Wextra -Werror \
	  -Wl,--strip-all -I pdk/c -o $@ $<

$(BENCH_PLUGIN_DIR)/assemblyscript/plugin.wasm: $(wildcard $(BENCH_PLUGIN_DIR)/assemblyscript/assembly/*.ts) \
    $(wildcard pdk/assemblyscript/assembly/*.ts) pdk/assemblyscript/transform.mjs \
    pdk/assemblyscript/node_modules/.package-lock.json
	cd $(@D) && $(CURDIR)/$(PDK_ASC) assembly/index.ts \
	  --outFile $(abspath $@) --path $(CURDIR)/$(PDK_AS_DIR)/node_modules \
	  --use abort=assembly/index/myAbort --optimize --transform $(CURDIR)/$(PDK_AS_DIR)/transform.mjs

$(BENCH_PLUGIN_DIR)/rust/plugin.wasm: $(wildcard $(BENCH_PLUGIN_DIR)/rust/src/*.rs) $(BENCH_PLUGIN_DIR)/rust/Cargo.toml \
    $(wildcard pdk/rust/src/*.rs) pdk/rust/Cargo.toml | pdk-apt
	cd $(@D) && RUSTC=$(PDK_RUSTC) CARGO_TARGET_DIR=$(PDK_CARGO_DIR) \
	  $(PDK_CARGO) build --offline --locked --release --target wasm32-unknown-unknown
	cp $(PDK_CARGO_DIR)/wasm32-unknown-unknown/release/bench_rust.wasm $@
