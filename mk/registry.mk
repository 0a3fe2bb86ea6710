# Plugin registry (host/registry).
#
#   make registry-bin     build distribution/distribution v3's `registry` into bin/
#                         (~4.5 min, 79 MB; `make test` builds it only when missing —
#                         host/registry's end-to-end test runs it, and fails under CI
#                         without it)
#   make plugins-bundle   publish every built plugin (plugins/*/ and
#                         examples/plugins/*-hello with a plugin.wasm) into one OCI
#                         image layout per plugin under bin/plugins-oci/NAME (offline bundle)
#   make demo-plugins     install (or upgrade to) every bundled plugin into the demo's
#                         data directory, granting what each asks for; part of `make demo`
#                         and a no-op when no plugin is built

REGISTRY_BIN      := bin/registry
REGISTRY_VERSION  := v3.1.2
PLUGINS_OCI       := bin/plugins-oci
DEMO_CONFIG       ?= examples/portico.yaml
BUNDLE_DIRS        = $(patsubst %/plugin.wasm,%,$(wildcard plugins/*/plugin.wasm examples/plugins/*-hello/plugin.wasm))

ifeq ($(wildcard $(REGISTRY_BIN)),)
TEST_DEPS += registry-bin
endif
DEMO_DEPS += demo-plugins

.PHONY: registry-bin plugins-bundle demo-plugins

registry-bin: $(REGISTRY_BIN)

$(REGISTRY_BIN):
	@mkdir -p bin
	GOBIN=$(CURDIR)/bin $(GO) install github.com/distribution/distribution/v3/cmd/registry@$(REGISTRY_VERSION)

# SOURCE_DATE_EPOCH fixes the created annotation, so an unchanged plugin
# republishes to the same digest and demo-plugins leaves it alone.
plugins-bundle: build
	@mkdir -p $(PLUGINS_OCI)
	@set -e; export SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct 2>/dev/null || echo 0); \
	for d in $(BUNDLE_DIRS); do \
	  [ -f $$d/plugin.yaml ] || continue; \
	  $(BIN) plugin publish $$d oci:$(PLUGINS_OCI)/$$(basename $$d); \
	done

# A plugin that cannot be installed (e.g. an ABI this build lacks) is reported
# and skipped, so the demo still starts.
demo-plugins: plugins-bundle
	@for l in $(wildcard $(PLUGINS_OCI)/*/index.json); do \
	  dir=$$(dirname $$l); \
	  name=$$($(BIN) plugin inspect oci:$$dir | awk '$$1=="name:"{print $$2}'); \
	  [ -n "$$name" ] || { echo "demo-plugins: cannot read $$dir"; continue; }; \
	  $(BIN) plugin upgrade $$name oci:$$dir --yes --config $(DEMO_CONFIG) 2>/dev/null \
	    || $(BIN) plugin install oci:$$dir --yes --config $(DEMO_CONFIG) \
	    || echo "demo-plugins: $$name not installed"; \
	done
