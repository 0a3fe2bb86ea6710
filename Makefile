# Portico's build. `make demo` and `make test` are the two set-up commands;
# everything they need is installed by the targets themselves.
#
# Areas add their own targets in mk/*.mk (plugins, browser tests, npm compat…);
# they hook into test by appending to TEST_DEPS and into demo by DEMO_DEPS.

SHELL     := /bin/bash
.SHELLFLAGS := -o pipefail -c
GO        ?= go
BIN       := bin/portico
PG_URL    ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
export PORTICO_TEST_PG_URL ?= $(PG_URL)
export CGO_ENABLED := 0

TEST_DEPS :=
DEMO_DEPS :=
BENCH_PKGS :=
BENCH_TARGETS :=

-include mk/*.mk

.PHONY: all build demo test vet bench bench-go fmt clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/portico

demo: build $(DEMO_DEPS)
	$(BIN) serve --config examples/portico.yaml

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

test: vet $(TEST_DEPS)
	PORTICO_TEST_REQUIRE_PG=$${CI:+1} $(GO) test -count=1 -timeout 20m ./...

# Benchmark output goes to bench-results/ as well as the terminal; docs/benchmarks.md
# records the figures with their date and machine.
bench: build bench-go $(BENCH_TARGETS)

bench-go:
	@mkdir -p bench-results
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m $(BENCH_PKGS) | tee bench-results/go.txt

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
