# First-party plugins (plugins/pagerduty, grafana, kubernetes, ci) and the
# vendor API simulators `make demo` points them at.
#
#   make firstparty-plugins  build plugins/*/plugin.wasm (also part of `make plugins`)
#   make demo-upstreams      start `portico dev upstreams` in the background for the demo
#                            (log bin/demo-upstreams.log, pid bin/demo-upstreams.pid)
#
# The build rule itself is mk/plugins.mk's (every plugins/*/ with plugin.yaml and
# .go files); this file adds the shared plugin kit as a prerequisite, so a kit
# change rebuilds all four. The plugin.wasm outputs are not committed.

FIRSTPARTY_PLUGINS    := pagerduty grafana kubernetes ci
FIRSTPARTY_WASM       := $(patsubst %,plugins/%/plugin.wasm,$(FIRSTPARTY_PLUGINS))
FIRSTPARTY_KIT        := $(wildcard plugins/internal/kit/*.go)
DEMO_UPSTREAMS_ADDR   ?= 127.0.0.1:7070

PLUGIN_TARGETS += firstparty-plugins
DEMO_DEPS      += firstparty-plugins demo-upstreams

.PHONY: firstparty-plugins demo-upstreams demo-upstreams-stop

firstparty-plugins: $(FIRSTPARTY_WASM)

$(FIRSTPARTY_WASM): $(FIRSTPARTY_KIT)

demo-upstreams: build
	@mkdir -p bin
	@if [ -f bin/demo-upstreams.pid ] && kill -0 "$$(cat bin/demo-upstreams.pid)" 2>/dev/null; then \
	  echo "portico dev upstreams already running (pid $$(cat bin/demo-upstreams.pid))"; \
	else \
	  $(BIN) dev upstreams --listen $(DEMO_UPSTREAMS_ADDR) > bin/demo-upstreams.log 2>&1 & echo $$! > bin/demo-upstreams.pid; \
	  echo "portico dev upstreams on http://$(DEMO_UPSTREAMS_ADDR) (pid $$!, log bin/demo-upstreams.log)"; \
	fi

demo-upstreams-stop:
	@if [ -f bin/demo-upstreams.pid ]; then kill "$$(cat bin/demo-upstreams.pid)" 2>/dev/null || true; rm -f bin/demo-upstreams.pid; fi
