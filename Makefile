# coredns-vpce: `make run` serves the bundled example snapshot on 127.0.0.1:1053, `make test`
# runs every test. A machine needs nothing but Go.

GO      ?= go
BINARY  := coredns
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: build run test tools image generate demo bench clean fuzz soak

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BINARY) ./cmd/coredns

run: build
	./$(BINARY) -conf Corefile.example

test: tools
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

# Live mode against the EC2 fake: watch an endpoint appear (see example/demo.sh).
demo: build
	$(GO) build -o ec2fake ./cmd/ec2fake
	./example/demo.sh

# The DNS servers test/hybrid_test.go runs docs/hybrid-dns.md's snippets in (Unbound, BIND's
# named, dnsmasq), installed from Debian's packages when missing: a machine with only Go passes
# make test. (/usr/sbin is not on every PATH.)
HYBRID_TOOLS := unbound named dnsmasq
tools:
	@(for t in $(HYBRID_TOOLS); do command -v $$t >/dev/null 2>&1 || test -x /usr/sbin/$$t || exit 1; done) || \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends unbound bind9 dnsmasq-base)

# The container image without a container engine: an OCI image layout tarball of ./coredns on an
# empty base (cmd/image; docs/kubernetes.md pushes it).
image: build
	SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct 2>/dev/null || echo 0) \
	  $(GO) run ./cmd/image -binary $(BINARY) -out dist/coredns-vpce.oci.tar -tag $(VERSION)

# dnsperf of vpce against whoami, hosts and file, 20 to 100,000 endpoints, refresh under load,
# and the plugin's Go benchmarks; writes into bench-out/ and prints one table (BENCHMARKS.md).
bench:
	$(GO) run ./cmd/vpcebench $(BENCHFLAGS)

# Fuzzes each fuzz target of plugin/vpce for FUZZTIME (make test runs only their seed corpora,
# testdata/fuzz/<target>/). A failing input is written there: keep it as a regression seed. Go
# 1.26's fuzz coordinator may fail a run at its deadline with "context deadline exceeded" and no
# failing input (golang/go#75804): that is reported, not counted as a failure.
FUZZTIME         ?= 30s
FUZZMINIMIZETIME ?= 10s
FUZZPARALLEL     ?= 2
FUZZ_TARGETS     := FuzzServeDNS FuzzSnapshot FuzzBuild
fuzz:
	@for f in $(FUZZ_TARGETS); do \
	  echo "== $$f for $(FUZZTIME)"; log=$$(mktemp); \
	  ( $(GO) test ./plugin/vpce -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) \
	      -fuzzminimizetime $(FUZZMINIMIZETIME) -parallel $(FUZZPARALLEL); echo $$? >$$log.rc ) 2>&1 | tee $$log; \
	  rc=$$(cat $$log.rc); \
	  if [ "$$rc" != 0 ]; then \
	    if grep -q 'Failing input written' $$log || ! grep -q 'context deadline exceeded' $$log; then \
	      rm -f $$log $$log.rc; exit 1; \
	    fi; \
	    echo "$$f: fuzz coordinator deadline race (golang/go#75804), no failing input: ignored"; \
	  fi; \
	  rm -f $$log $$log.rc; \
	done

# The churn test (test/churn_test.go) for SOAK: queries against a live server while the fake
# account churns and faults, every answer checked; prints the counts. Under the race detector a
# refresh of the soak's two-page listing takes about a second; SOAKFLAGS= runs without it.
SOAK        ?= 5m
SOAKTIMEOUT ?= 1h
SOAKFLAGS   ?= -race
soak:
	VPCE_SOAK=$(SOAK) $(GO) test $(SOAKFLAGS) -count=1 -v -run '^TestChurnUnderLoad$$' -timeout $(SOAKTIMEOUT) ./test

# Regenerates the build's plugin list from plugin.cfg.
generate:
	$(GO) generate ./cmd/coredns/plugins

clean:
	rm -f $(BINARY) ec2fake
