# sigpool build, test and measurement targets. See README.md.
GO        ?= go
BIN       ?= bin
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
FUZZTIME  ?= 30s
BENCHTIME ?= 1s

.PHONY: all build test unit vmtest interop bench fuzz lab lint deps clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/sigpool ./cmd/sigpool

# Debian packages the tests need (tshark for conformance, qemu for kernel SCTP,
# nftables and iproute2 for path faults); installed only when missing.
deps:
	@scripts/install-deps.sh

# Everything CI runs: unit, integration and conformance tests on the host,
# then the kernel SCTP suites (transport, mxua, enrp, asap, gwc, sg) inside a qemu VM, then the
# interop cases against RSPLIB and osmo-stp (make interop); ends with a
# "test: N passed, N failed, N skipped" line.
test: deps
	@scripts/test.sh

# Host tests alone. SIGPOOL_REQUIRE_TOOLS turns a missing tshark, nft or root
# into a failure instead of a skip.
unit: deps
	SIGPOOL_REQUIRE_TOOLS=1 $(GO) test -count=1 ./...

vmtest: deps
	@scripts/vmtest.sh

# Interoperability over kernel SCTP in the VM against Debian's RSPLIB 3.4.4
# (rspregistrar, rspserver, rspterminal, hsdump) and osmo-stp 1.6.0: one
# PASS/FAIL/SKIP line per case, then "interop: N passed, N failed, N skipped".
# Downloads the peers' packages once (cached). See docs/interop.md.
interop: deps
	@scripts/interop.sh

bench:
	@scripts/bench.sh

fuzz:
	@scripts/fuzz.sh $(FUZZTIME)

# The main job on one machine: 2 registrars, 3 GWCs, an SG, ISUP and TCAP
# traffic, a GWC killed midway; prints the report with the failover time.
lab: build
	@$(BIN)/sigpool lab --dir $(BIN)/lab

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

clean:
	rm -rf $(BIN)
