# Social Inbox — build, test and deploy the Mattermost plugin.
# `make dist` builds the installable bundle; `make test` runs every Go and webapp test and
# the browser test.

GO            ?= go
NPM           ?= npm
PLUGIN_ID     := $(shell sed -n 's/^ *"id": *"\([^"]*\)".*/\1/p' plugin.json | head -1)
PLUGIN_VERSION:= $(shell sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' plugin.json | head -1)
BUNDLE        := dist/$(PLUGIN_ID)-$(PLUGIN_VERSION).tar.gz
ARCHES        := amd64 arm64
FUZZTIME      ?= 30s
GO_PACKAGES   := ./server/... ./build/... ./tools/...

.PHONY: all apply server webapp webapp-deps bundle dist deploy test test-go test-webapp \
        test-browser check-style bench fuzz e2e mock clean help

all: check-style test dist

help:
	@echo "make dist         build $(BUNDLE) (linux-amd64, linux-arm64, webapp)"
	@echo "make test         run every Go test (with -race), the webapp tests and the browser test"
	@echo "make test-browser load the built webapp bundle into headless Chromium (Debian's chromium)"
	@echo "                  and check the inbox, lead header and delivery state; screenshots in"
	@echo "                  webapp/browser-test/out/"
	@echo "make e2e          run the real-server tests (real Mattermost + PostgreSQL) against the bundle"
	@echo "make bench        run the benchmarks"
	@echo "make fuzz         fuzz the webhook parser for FUZZTIME (default 30s)"
	@echo "make check-style  gofmt, go vet, eslint, tsc"
	@echo "make deploy       upload and enable the bundle (MM_SERVICESETTINGS_SITEURL, MM_ADMIN_TOKEN)"

## apply: write the manifest constants generated from plugin.json.
apply:
	$(GO) run ./build/manifest apply

server: apply
	@for arch in $(ARCHES); do \
		echo "building server for linux-$$arch"; \
		CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -trimpath -o server/dist/plugin-linux-$$arch ./server || exit 1; \
	done

webapp/node_modules/.package-lock.json: webapp/package-lock.json
	cd webapp && $(NPM) ci --no-audit --no-fund
	@touch $@

webapp-deps: webapp/node_modules/.package-lock.json

webapp: apply webapp-deps
	cd webapp && $(NPM) run build

bundle:
	rm -rf dist/$(PLUGIN_ID)
	mkdir -p dist/$(PLUGIN_ID)/server/dist dist/$(PLUGIN_ID)/webapp/dist
	cp plugin.json README.md dist/$(PLUGIN_ID)/
	cp -r assets dist/$(PLUGIN_ID)/
	cp server/dist/plugin-linux-* dist/$(PLUGIN_ID)/server/dist/
	cp webapp/dist/main.js dist/$(PLUGIN_ID)/webapp/dist/
	tar -czf $(BUNDLE) -C dist $(PLUGIN_ID)
	@echo "plugin bundle: $(BUNDLE)"

## dist: the installable bundle.
dist: server webapp bundle

## deploy: upload the bundle through the REST API and enable it, as an admin would.
deploy: dist
	@test -n "$(MM_SERVICESETTINGS_SITEURL)" || (echo "set MM_SERVICESETTINGS_SITEURL, e.g. http://localhost:8065" && exit 1)
	@test -n "$(MM_ADMIN_TOKEN)" || (echo "set MM_ADMIN_TOKEN to a system admin's personal access token" && exit 1)
	curl -fsS -H "Authorization: Bearer $(MM_ADMIN_TOKEN)" -F "plugin=@$(BUNDLE)" -F force=true \
		"$(MM_SERVICESETTINGS_SITEURL)/api/v4/plugins" >/dev/null
	curl -fsS -X POST -H "Authorization: Bearer $(MM_ADMIN_TOKEN)" \
		"$(MM_SERVICESETTINGS_SITEURL)/api/v4/plugins/$(PLUGIN_ID)/enable" >/dev/null
	@echo "deployed and enabled $(PLUGIN_ID) $(PLUGIN_VERSION)"

## test: every Go test (race detector on), the webapp tests and the browser test.
test: test-go test-webapp test-browser

test-go: apply
	$(GO) test -race -count=1 $(GO_PACKAGES)

test-webapp: apply webapp-deps
	cd webapp && $(NPM) test

## test-browser: the real webapp bundle in headless Chromium (Debian's /usr/bin/chromium, or
## CHROMIUM_PATH; never a downloaded browser) on a stand-in for the Mattermost webapp
## (webapp/browser-test/). Builds the bundle and the host page first.
test-browser: webapp
	cd webapp && ./node_modules/.bin/tsc -p browser-test/tsconfig.json
	cd webapp && ./node_modules/.bin/webpack --config browser-test/webpack.host.config.js
	cd webapp && node browser-test/run.mjs

check-style: apply webapp-deps
	@out=$$(gofmt -l server build tools); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(GO_PACKAGES)
	cd webapp && $(NPM) run lint && $(NPM) run check-types

## bench: speed and memory figures (round trips, allocations, batch time).
bench: apply
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./server/...

fuzz: apply
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./server/meta

## e2e: real Mattermost server + PostgreSQL; builds the bundle first.
e2e: dist
	bash e2e/run.sh $(CURDIR)/$(BUNDLE)

mock:
	$(GO) generate ./server/...

clean:
	rm -rf dist server/dist webapp/dist webapp/browser-test/out webapp/browser-test/dist
