# Plugins: `make plugins` builds every plugin in the repo to <dir>/plugin.wasm.
# Go plugins (a directory with plugin.yaml and .go files under examples/plugins
# or plugins/) are built here; other languages hook in through PLUGIN_TARGETS
# (mk/pdks.mk). The conformance corpus under host/testdata/abi/ is never
# rebuilt. `make bench-plugins` runs the host benchmarks.

GO_PLUGIN_DIRS := $(patsubst %/plugin.yaml,%,$(wildcard examples/plugins/*/plugin.yaml plugins/*/plugin.yaml))
GO_PLUGIN_DIRS := $(foreach d,$(GO_PLUGIN_DIRS),$(if $(wildcard $(d)/*.go),$(d)))
GO_PLUGIN_WASM := $(addsuffix /plugin.wasm,$(GO_PLUGIN_DIRS))
ABI_STAMP      := bin/portico-abi-stamp

PLUGIN_TARGETS += go-plugins
TEST_DEPS      += plugins
BENCH_PKGS     += ./host

.PHONY: plugins go-plugins bench-plugins
plugins: $(PLUGIN_TARGETS)

go-plugins: $(GO_PLUGIN_WASM)

$(ABI_STAMP): $(wildcard pdk/go/wasmabi/*.go pdk/go/cmd/portico-abi-stamp/*.go)
	@mkdir -p bin
	$(GO) build -o $@ ./pdk/go/cmd/portico-abi-stamp

# A Go plugin depends on its own sources and the Go PDK.
define go_plugin_rule
$(1)/plugin.wasm: $(wildcard $(1)/*.go) $(wildcard pdk/go/*.go) go.mod $(ABI_STAMP)
	cd $(1) && GOOS=wasip1 GOARCH=wasm $$(GO) build -buildmode=c-shared -trimpath -ldflags='-s -w' -o plugin.wasm.tmp .
	$(ABI_STAMP) $(1)/plugin.wasm.tmp
	mv $(1)/plugin.wasm.tmp $(1)/plugin.wasm
endef
$(foreach d,$(GO_PLUGIN_DIRS),$(eval $(call go_plugin_rule,$(d))))

bench-plugins:
	$(GO) test -run '^$$' -bench . -benchtime 2s ./host
