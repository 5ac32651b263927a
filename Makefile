# coredns-vpce: `make run` serves the bundled example snapshot on 127.0.0.1:1053, `make test`
# runs every test. A machine needs nothing but Go.

GO      ?= go
BINARY  := coredns
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: build run test tools vuln release image generate demo bench clean fuzz soak

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BINARY) ./cmd/coredns

run: build
	./$(BINARY) -conf Corefile.example

# The tests run as on a user's machine, whatever this one's settings: every AWS_* variable
# cleared (go vet and go test run under `env -u AWS_CA_BUNDLE -u ...`, one -u for each AWS_*
# variable set) and HOME an empty temporary directory (no ~/.aws, no other dotfile), so that nothing
# of the machine's can make a test pass. Go's own settings and caches stay (go env: GOENV,
# GOPATH, GOMODCACHE, GOCACHE). Needs Go only: a test whose program (Unbound, named, dnsmasq) is
# missing skips, unless VPCE_REQUIRE_TOOLS=1 (test/tools_test.go; make tools installs them).
test:
	@set -e; \
	export GOENV="$$($(GO) env GOENV)" GOPATH="$$($(GO) env GOPATH)" \
	  GOMODCACHE="$$($(GO) env GOMODCACHE)" GOCACHE="$$($(GO) env GOCACHE)"; \
	aws=$$(env | sed -n 's/^\(AWS_[^=]*\)=.*/\1/p'); \
	clean="env $$(for v in $$aws; do printf -- '-u %s ' "$$v"; done)"; \
	home=$$(mktemp -d); trap 'rm -rf "$$home"' EXIT; trap 'exit 130' HUP INT TERM; \
	export HOME="$$home"; \
	echo "make test: HOME=$$HOME; AWS_* cleared:" $$aws; \
	unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "make test: gofmt would change:" $$unformatted >&2; exit 1; fi; \
	echo "$(GO) vet ./..."; $$clean $(GO) vet ./...; \
	echo "$(GO) test -race -count=1 -timeout 25m ./..."; $$clean $(GO) test -race -count=1 -timeout 25m ./...

# Live mode against the EC2 fake: watch an endpoint appear (see example/demo.sh).
demo: build
	$(GO) build -o ec2fake ./cmd/ec2fake
	./example/demo.sh

# The programs some tests run (Unbound, BIND's named, dnsmasq, PowerDNS Recursor, Knot Resolver:
# docs/hybrid-dns.md's snippets, test/hybrid_test.go and test/rpz_test.go; Knot's kdig and BIND's dig: DNS over TLS and HTTPS,
# test/encrypted_test.go; QEMU's user-mode arm64 emulator, dpkg, rpm and systemd-analyze: the
# release's binaries and packages, test/release_test.go) and make bench's dnsperf, from Debian's
# packages (program:package),
# installed when missing; a package this Debian lacks is reported and left out. Needs root (or
# sudo) and apt-get; make test does not need them. (/usr/sbin is not on every PATH.)
TOOLS := unbound:unbound unbound-checkconf:unbound named:bind9 named-checkconf:bind9 pdns_recursor:pdns-recursor kresd:knot-resolver \
         dnsmasq:dnsmasq-base dnsperf:dnsperf qemu-aarch64-static:qemu-user-static \
         dpkg:dpkg rpm:rpm systemd-analyze:systemd kdig:knot-dnsutils dig:bind9-dnsutils
# Helm, for test/helm_test.go's rendering of deploy/helm/values.yaml with the official chart: run
# with go run (helmCommand of test/tools_test.go, the same version), so that it is neither a
# package to install nor a dependency in go.mod; make tools builds it into Go's cache once, outside
# this module, so that the test does not wait for the build.
HELM  := helm.sh/helm/v4/cmd/helm@v4.3.2
SUDO  := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
tools:
	@set -e; missing=; \
	for tp in $(TOOLS); do t=$${tp%%:*}; p=$${tp#*:}; \
	  command -v $$t >/dev/null 2>&1 || test -x /usr/sbin/$$t || missing="$$missing $$p"; \
	done; \
	missing=$$(printf '%s\n' $$missing | sort -u); \
	if [ -z "$$missing" ]; then echo "make tools: all installed"; exit 0; fi; \
	$(SUDO) apt-get update -q; \
	install=; for p in $$missing; do \
	  if apt-cache policy $$p 2>/dev/null | grep -q 'Candidate: [^(]'; then install="$$install $$p"; \
	  else echo "make tools: this Debian has no package $$p: not installed" >&2; fi; \
	done; \
	if [ -n "$$install" ]; then \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$install; \
	fi
	@echo "make tools: $(HELM)"; d=$$(mktemp -d); trap 'rm -rf "$$d"' EXIT; \
	cd "$$d" && $(GO) run $(HELM) version --short

# govulncheck: the known vulnerabilities of the code, its modules and Go's standard library. At
# the symbol level (-scan symbol) it fails (exit 3) on one the code reaches, a vulnerable
# function it calls; one only in a package it imports or a module it requires is printed
# (-show verbose, which lists the modules scanned too), not failed. GOVULNDB=file:///path scans
# against an offline copy of the database; unset, govulncheck fetches https://vuln.go.dev.
GOVULNCHECK := golang.org/x/vuln/cmd/govulncheck@v1.9.0
vuln:
	$(GO) run $(GOVULNCHECK) $(if $(GOVULNDB),-db "$(GOVULNDB)") -scan symbol -show verbose ./...

# The last commit's time: every time stamp in the release's archives, packages and image, so
# that the same commit gives the same bytes.
SOURCE_DATE_EPOCH := $(shell git log -1 --format=%ct 2>/dev/null || echo 0)

# The release, published nowhere, into dist/ (cmd/release): the binaries (built as make build
# does) of linux/amd64, linux/arm64, darwin/amd64 and darwin/arm64 in archives with README,
# LICENSE, Corefile.example and the example snapshot; .deb and .rpm packages for Linux with the
# systemd unit (packaging/, built with nfpm); a SHA-256 checksums file.
release:
	SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) $(GO) run ./cmd/release -go $(GO) -version $(VERSION) -dist dist

# The container image without a container engine: an OCI image index for linux/amd64 and
# linux/arm64 of the static binaries on an empty base, in an OCI image layout tarball
# (cmd/image; docs/kubernetes.md pushes it).
image:
	$(GO) run ./cmd/release -go $(GO) -version $(VERSION) -dist dist -targets linux/amd64,linux/arm64 -binaries-only
	SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) $(GO) run ./cmd/image -binary dist/linux_amd64/coredns -binary dist/linux_arm64/coredns \
	  -out dist/coredns-vpce.oci.tar -tag $(VERSION)

# dnsperf of vpce against whoami, hosts and file, 20 to 100,000 endpoints, refresh under load,
# and the plugin's Go benchmarks; writes into bench-out/ and prints one table (BENCHMARKS.md).
bench:
	$(GO) run ./cmd/vpcebench $(BENCHFLAGS)

# Fuzzes each fuzz target (package:target) for FUZZTIME (make test runs only their seed corpora,
# the package's testdata/fuzz/<target>/). A failing input is written there: keep it as a regression seed. Go
# 1.26's fuzz coordinator may fail a run at its deadline with "context deadline exceeded" and no
# failing input (golang/go#75804): that is reported, not counted as a failure.
FUZZTIME         ?= 30s
FUZZMINIMIZETIME ?= 10s
FUZZPARALLEL     ?= 2
FUZZ_TARGETS     := ./plugin/vpce:FuzzServeDNS ./plugin/vpce/index:FuzzSnapshot ./plugin/vpce/index:FuzzBuild \
                    ./plugin/vpce/inventory:FuzzCompactFast ./plugin/vpce/rpz:FuzzZone
fuzz:
	@for pf in $(FUZZ_TARGETS); do pkg=$${pf%%:*}; f=$${pf#*:}; \
	  echo "== $$pf for $(FUZZTIME)"; log=$$(mktemp); \
	  ( $(GO) test $$pkg -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) \
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
	rm -rf dist
