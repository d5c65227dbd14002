# Lotse — the two commands are `make run` and `make test`; see README.md.
SHELL := /bin/bash
GO ?= go
GOLANGCI_VERSION := v2.15.0
BENCHSTAT_VERSION := v0.0.0-20251208221838-04cf7a2dca90
ADDR ?= :8080

.PHONY: run test test-short lint bench build fmt clean postgres

build:
	$(GO) build -o bin/lotse ./cmd/lotse

# Starts Lotse with demo data on a database "lotse" (created when missing).
run: build
	@base=$$(scripts/postgres.sh) || exit 1; \
	db=$${base%/*}/lotse?sslmode=disable; \
	if [ -z "$$DATABASE_URL" ]; then \
	  psql "$$base" -qAtc "select 1 from pg_database where datname='lotse'" | grep -q 1 || psql "$$base" -qc "create database lotse" || exit 1; \
	  export DATABASE_URL=$$db; \
	fi; \
	./bin/lotse migrate up && ./bin/lotse seed demo && \
	echo "Lotse: open http://localhost$(ADDR)/ and sign in with one of the accounts above" && \
	LOTSE_ADDR=$(ADDR) LOTSE_INSECURE_COOKIES=true LOTSE_SHUTDOWN_DELAY=0s exec ./bin/lotse serve

# Every test, against a real PostgreSQL and a real browser; nothing is skipped.
test:
	@export TEST_DATABASE_URL=$${TEST_DATABASE_URL:-$$(scripts/postgres.sh)} || exit 1; \
	export CHROMIUM=$$(scripts/chromium.sh) || exit 1; \
	$(GO) vet ./... && $(GO) test -race -count=1 -timeout 20m ./...

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	$(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION) run ./...

# Go benchmarks of the pages and API against the raw SQL; see README "Performance".
bench:
	@export TEST_DATABASE_URL=$${TEST_DATABASE_URL:-$$(scripts/postgres.sh)} || exit 1; \
	$(GO) test -run '^$$' -bench . -benchmem -count=5 -timeout 30m ./... | tee bench.txt

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin bench.txt test-output
