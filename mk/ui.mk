# The portal (web/ui, web/graph, web/apidocs) and its browser tests
# (web/browser_test: chromedp driving Debian's Chromium).
#
#   make ui-deps       install Debian's chromium when missing (part of `make test`;
#                      in CI a missing browser fails the browser tests)
#   make screenshots   run the browser journey and write docs/screenshots/*.png
#   make ui-test       the portal's Go tests and browser tests only
#
# The browser journey uses the real plugin host with every plugin built in the
# repository, so screenshots depend on `make plugins`.

CHROMIUM        ?= /usr/bin/chromium
UI_PKGS         := ./web/ui/... ./web/graph/... ./web/apidocs/... ./web/browser_test/...
SCREENSHOTS_DIR ?= docs/screenshots

TEST_DEPS  += ui-deps
BENCH_PKGS += ./web/ui

.PHONY: ui-deps screenshots ui-test

ui-deps:
	@if [ -x "$(CHROMIUM)" ]; then :; else \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update && apt-get install -y --no-install-recommends chromium; \
	fi

screenshots: ui-deps plugins
	@mkdir -p $(SCREENSHOTS_DIR)
	PORTICO_SCREENSHOTS=$(abspath $(SCREENSHOTS_DIR)) PORTICO_TEST_REQUIRE_BROWSER=1 \
	  $(GO) test -count=1 -run 'TestPortalJourney' ./web/browser_test/
	@ls $(SCREENSHOTS_DIR)

ui-test: ui-deps plugins
	PORTICO_TEST_REQUIRE_BROWSER=1 $(GO) test -count=1 $(UI_PKGS)
