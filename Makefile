# Lotse — the two commands are `make run` and `make test`; see README.md.
SHELL := /bin/bash
GO ?= go
GOLANGCI_VERSION := v2.15.0
# make run listens on LOTSE_ADDR when set, else on ADDR (`make run ADDR=:9000`).
ADDR ?= $(or $(LOTSE_ADDR),:8080)

.PHONY: run test lint bench fuzz build fmt clean drill

build:
	$(GO) build -o bin/lotse ./cmd/lotse

# Starts Lotse with demo data on a database "lotse" (created when missing). Migrations
# and seeds run as the schema owner; the server connects as lotse_server, a member of
# the least-privileged role lotse_app (README, "Database roles").
run: build
	@base=$$(scripts/postgres.sh) || exit 1; \
	if [ -z "$$DATABASE_URL" ]; then \
	  psql "$$base" -qAtc "select 1 from pg_database where datname='lotse'" | grep -q 1 || psql "$$base" -qc "create database lotse" || exit 1; \
	  psql "$$base" -qc "DO \$$\$$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lotse_app') THEN CREATE ROLE lotse_app NOLOGIN; END IF; IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lotse_server') THEN CREATE ROLE lotse_server LOGIN IN ROLE lotse_app; END IF; END \$$\$$" || exit 1; \
	  owner=$${base%/*}/lotse?sslmode=disable; \
	  export MIGRATION_DATABASE_URL=$$owner DATABASE_URL=$${owner/\/\/postgres@/\/\/lotse_server@}; \
	else \
	  scripts/createdb.sh "$${MIGRATION_DATABASE_URL:-$$DATABASE_URL}" || exit 1; \
	fi; \
	./bin/lotse migrate up && ./bin/lotse seed demo || exit 1; \
	case "$(ADDR)" in :*) url="http://localhost$(ADDR)/";; *) url="http://$(ADDR)/";; esac; \
	echo "Lotse: open $$url and sign in with one of the accounts above"; \
	LOTSE_ADDR=$(ADDR) LOTSE_INSECURE_COOKIES=true LOTSE_SHUTDOWN_DELAY=0s exec ./bin/lotse serve

# Every test, against a real PostgreSQL and a real browser; nothing is skipped.
# (A failing helper script stops the target: `export X=$$(cmd)` would hide its status.)
test:
	@if [ -z "$$TEST_DATABASE_URL" ]; then TEST_DATABASE_URL=$$(scripts/postgres.sh) || exit 1; fi; \
	CHROMIUM=$$(scripts/chromium.sh) || exit 1; \
	export TEST_DATABASE_URL CHROMIUM; \
	$(GO) vet ./... && $(GO) test -race -count=1 -timeout 20m ./...

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	$(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION) run ./...

# Benchmarks on the scale data set (README, "Performance"): a database "lotse_bench" seeded once
# with BENCH_FOUNDERS founders (about 10 consultations each), then the Go benchmarks,
# which report each HTTP answer as a ratio against the same SQL run directly (x-sql).
BENCH_FOUNDERS ?= 100000
bench: build
	@base=$$(scripts/postgres.sh) || exit 1; \
	db=$${base%/*}/lotse_bench?sslmode=disable; \
	psql "$$base" -qAtc "select 1 from pg_database where datname='lotse_bench'" | grep -q 1 || psql "$$base" -qc "create database lotse_bench" || exit 1; \
	DATABASE_URL=$$db ./bin/lotse migrate up || exit 1; \
	psql "$$db" -qAtc "select 1 from carriers where short_name='SK01'" | grep -q 1 || DATABASE_URL=$$db ./bin/lotse seed scale --founders $(BENCH_FOUNDERS) || exit 1; \
	export TEST_DATABASE_URL=$$base BENCH_DATABASE_URL=$$db; \
	$(GO) test -run '^$$' -bench . -benchmem -count=$${BENCH_COUNT:-3} -timeout 60m ./... | tee bench.txt | grep -E '^(Benchmark|ok|FAIL)'

# Each fuzz target for FUZZTIME (their seed corpora also run in every `make test`).
FUZZTIME ?= 30s
fuzz:
	@for t in FuzzIntake; do $(GO) test ./internal/api -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) || exit 1; done
	@for t in FuzzCaseFilter FuzzScreen FuzzScreenForm FuzzScreenJSON FuzzAuditFilter; do $(GO) test ./internal/httpx -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) || exit 1; done
	@for t in FuzzPasswordPolicy FuzzParseDate; do $(GO) test ./internal/domain -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) || exit 1; done
	@for t in FuzzCursor FuzzDate FuzzKeyset FuzzTimelineCursor FuzzAuditCursor; do $(GO) test ./internal/store -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) || exit 1; done
	@# FuzzWriterRoundTrip is left to its seed corpus (every make test): gathering its
	@# baseline alone outlasts a short FUZZTIME ("context deadline exceeded").
	@$(GO) test ./internal/export -run '^$$' -fuzz '^FuzzCSVCell$$' -fuzztime $(FUZZTIME)

# The operations drills (README, "Drills"): each on its own PostgreSQL clusters on free
# loopback ports, never the server on 5432; one table, exit status 1 if a promise broke.
# DRILL_ARGS e.g. -only restart,sigterm or -break replica.
drill: build
	@command -v haproxy >/dev/null || { echo "drill: haproxy is missing (Debian: apt-get install haproxy)"; exit 1; }
	$(GO) run ./cmd/drill -lotse bin/lotse $(DRILL_ARGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin bench.txt test-output
