# fc-eventing build, test and run targets. `make test` is what CI runs.
SHELL := /usr/bin/env bash
GO ?= go
PKGS := ./...
FUNCTIONS := webhook oss-source mns-source eventbridge-source sensor
DIST := dist
CONFIG ?= config
EXAMPLES ?= examples
FUZZTIME ?= 5s

# Where built test servers (kube-apiserver, etcd) are cached, by version.
TEST_SERVERS_CACHE ?= $(HOME)/.cache/fc-eventing
export TEST_SERVERS_CACHE

.PHONY: all build cli test test-servers run bench fuzz lint soak clean

all: build

## build: every function for FC's Go runtime, into dist/<function>.zip, plus the CLI
## (CONFIG=DIR packs DIR as each function's config/; default config/, else examples/)
build: cli
	@GO="$(GO)" DIST="$(DIST)" CONFIG="$(CONFIG)" scripts/package.sh $(foreach f,$(FUNCTIONS),$(if $(wildcard functions/$(f)/*.go),$(f)))

## cli: the fceventing command into bin/
cli:
	@mkdir -p bin
	$(GO) build -o bin/fceventing ./cmd/fceventing

## test-servers: build (or reuse from the cache) the real kube-apiserver and etcd the tests start
test-servers:
	@if [ -x test/kube/build.sh ]; then test/kube/build.sh; fi

## test: every test against real parts
test: test-servers
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -timeout 25m $(PKGS)

## run: the local main job on embedded defaults: `fceventing serve` on examples/ at 127.0.0.1:12000,
## events on an embedded NATS JetStream in .data/, objects written to out/<namespace>/<name>.json
## (dry run) unless KUBECONFIG names a cluster. The example webhook secrets default to local values.
## Send an event: ./bin/fceventing emit github push --to http://127.0.0.1:12000/github/push --secret local-dev-secret
run: cli
	GITHUB_WEBHOOK_SECRET="$${GITHUB_WEBHOOK_SECRET:-local-dev-secret}" \
	REGISTRY_HOOK_TOKEN="$${REGISTRY_HOOK_TOKEN:-local-dev-token}" \
	APPROVALS_HOOK_TOKEN="$${APPROVALS_HOOK_TOKEN:-local-dev-token}" \
	GITLAB_WEBHOOK_TOKEN="$${GITLAB_WEBHOOK_TOKEN:-local-dev-token}" \
	./bin/fceventing serve --config $(EXAMPLES) $(SERVE_FLAGS)

## bench: benchmarks, each with its baseline in the same run (test/e2e: cold start against
## hello-world, webhook-to-Workflow latency against the raw create, throughput, peak memory)
bench: test-servers
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m $(PKGS)

## soak: 10,000 events from every origin through the deployed functions on real parts, with 10%
## SMQ 500s, a kube-apiserver restart and two sensor kills: zero lost, zero duplicated, figures printed
soak: test-servers
	$(GO) test -tags soak -count=1 -timeout 30m -run '^TestSoak$$' -v ./test/e2e/

## fuzz: a short run of every fuzz target
fuzz:
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$t"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

clean:
	rm -rf $(DIST) bin
