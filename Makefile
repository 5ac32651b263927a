# coredns-vpce: `make run` serves the bundled example snapshot on 127.0.0.1:1053, `make test`
# runs every test. A machine needs nothing but Go.

GO      ?= go
BINARY  := coredns
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: build run test generate demo clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BINARY) ./cmd/coredns

run: build
	./$(BINARY) -conf Corefile.example

test:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

# Live mode against the EC2 fake: watch an endpoint appear (see example/demo.sh).
demo: build
	$(GO) build -o ec2fake ./cmd/ec2fake
	./example/demo.sh

# Regenerates the build's plugin list from plugin.cfg.
generate:
	$(GO) generate ./cmd/coredns/plugins

clean:
	rm -f $(BINARY) ec2fake
