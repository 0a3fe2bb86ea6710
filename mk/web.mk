# web/, sdk/ and the @backstage/catalog-client compatibility test.
#
# compat-deps installs the pinned npm packages from compat/catalog-client's
# package-lock.json; `make test` then runs TestBackstageCatalogClient (web/),
# which drives a real server through every CatalogClient method.

NPM ?= npm
COMPAT_CLIENT_DIR := compat/catalog-client

.PHONY: compat-deps compat-test

compat-deps: $(COMPAT_CLIENT_DIR)/node_modules/.package-lock.json

$(COMPAT_CLIENT_DIR)/node_modules/.package-lock.json: $(COMPAT_CLIENT_DIR)/package.json $(COMPAT_CLIENT_DIR)/package-lock.json
	$(NPM) ci --prefix $(COMPAT_CLIENT_DIR) --prefer-offline --no-audit --no-fund

# Only the compatibility test, verbose.
compat-test: compat-deps
	$(GO) test -count=1 -run TestBackstageCatalogClient -v ./web/

TEST_DEPS += compat-deps
