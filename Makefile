GO      ?= go
BIN     := bin/patchbay
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build run test bench lint fuzz clean

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/patchbay

run: build
	./$(BIN) $(ARGS)

# The whole suite: vet, then every package's tests. Tests that need a real
# Secret Service start a private D-Bus session and gnome-keyring themselves.
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./... | tee bench.out

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

clean:
	rm -rf bin bench.out
