GO      ?= go
BIN     := bin/patchbay
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
BENCHSTAT   := golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
# Binaries are static (CGO_ENABLED=0: SQLite is pure Go, the keyrings speak
# D-Bus or call the OS's own APIs): they run on any libc, cross-compile, and
# start faster, without the dynamic loader.
# release targets: GOOS/GOARCH pairs.
PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64

.PHONY: build run test bench lint fuzz man release clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/patchbay

run: build
	./$(BIN) $(ARGS)

# The whole suite: vet, then every package's tests. Tests that need a real
# Secret Service start a private D-Bus session and gnome-keyring themselves.
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

# Every benchmark 6 times, then one table (benchstat: the median of each
# figure and its spread). Keep bench.out to compare a later run with:
#   go run $(BENCHSTAT) old.out bench.out
# BENCH and PKG narrow it: make bench BENCH=Process PKG=./cmd/patchbay
BENCH ?= .
PKG   ?= ./...
bench:
	@echo "benchmarking (tens of minutes; raw output in bench.out)"
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -count 6 -timeout 90m $(PKG) > bench.out || { cat bench.out; exit 1; }
	$(GO) run $(BENCHSTAT) bench.out

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# FUZZTIME per fuzz target: the steps validators, the output sanitizer
# (termsafe) and the credential scrubber (scrub). New inputs are minimized
# for at most FUZZMINIMIZETIME, so minimizing cannot eat a target's time.
FUZZ_PKGS        := ./internal/steps ./internal/termsafe ./internal/scrub
FUZZTIME         ?= 60s
FUZZMINIMIZETIME ?= 2s
fuzz:
	for p in $(FUZZ_PKGS); do \
		for t in $$($(GO) test -list '^Fuzz' $$p | grep ^Fuzz); do \
			$(GO) test $$p -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) || exit 1; \
		done; \
	done

# The man pages, generated from the command tree with cobra's doc package:
# man/patchbay.1 and one page per command (man -l man/patchbay.1).
man:
	PATCHBAY_MAN_OUT=$(CURDIR)/man $(GO) test -count=1 -run '^TestManPage$$' ./cmd/patchbay

# Stripped, version-stamped binaries for every platform in dist/, with
# SHA256SUMS (check with: cd dist && sha256sum -c SHA256SUMS).
release:
	rm -rf dist && mkdir -p dist
	for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; ext=; [ $$os = windows ] && ext=.exe; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' \
			-o dist/patchbay-$(VERSION)-$$os-$$arch$$ext ./cmd/patchbay || exit 1; \
	done
	cd dist && sha256sum patchbay-* > SHA256SUMS && cat SHA256SUMS

clean:
	rm -rf bin dist man bench.out
