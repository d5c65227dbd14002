# Lotse — the two commands are `make run` and `make test`; see README.md.
SHELL := /bin/bash
GO ?= go
GOLANGCI_VERSION := v2.15.0
# make run listens on LOTSE_ADDR when set, else on ADDR (`make run ADDR=:9000`).
ADDR ?= $(or $(LOTSE_ADDR),:8080)

.PHONY: run test lint bench bench-quick bench-go fuzz build fmt clean drill

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
	$(GO) vet ./... && $(GO) test -race -count=1 -timeout 45m ./...

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	$(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION) run ./...

# Benchmarks on the scale data set: a database seeded once with BENCH_FOUNDERS founders
# (about 10 consultations each; vacuumed and analysed once, as autovacuum would), then
# `go run ./bench`, which prints one table measured in one run: each page an advisor or
# coordinator uses daily and the consultation write throughput at 16 clients, as HTTP ÷
# the store call (SQL) of the same request; with BENCH_OLD=<older lotse binary> also that
# binary on the same database, alternating. Results and EXPLAIN (ANALYZE, BUFFERS) of
# every statement go to bench/. `make bench-quick`: 10,000 founders, under 2 minutes.
# The Go benchmarks (demo data, export, statistics, authorization): `make bench-go`.
BENCH_FOUNDERS ?= 100000
BENCH_DB ?= lotse_bench
BENCH_FLAGS ?=
bench: build
	@base=$$(scripts/postgres.sh) || exit 1; \
	db=$${base%/*}/$(BENCH_DB)?sslmode=disable; \
	psql "$$base" -qAtc "select 1 from pg_database where datname='$(BENCH_DB)'" | grep -q 1 || psql "$$base" -qc "create database $(BENCH_DB)" || exit 1; \
	DATABASE_URL=$$db ./bin/lotse migrate up >/dev/null || exit 1; \
	if ! psql "$$db" -qAtc "select 1 from carriers where short_name='SK01'" | grep -q 1; then \
	  DATABASE_URL=$$db ./bin/lotse seed scale --founders $(BENCH_FOUNDERS) && psql "$$db" -qc 'VACUUM (ANALYZE)' || exit 1; \
	fi; \
	$(GO) run ./bench -db "$$db" -new bin/lotse $${BENCH_OLD:+-old $$BENCH_OLD} $(BENCH_FLAGS) \
	  -out bench/results-$(BENCH_FOUNDERS).md -explain bench/explain-$(BENCH_FOUNDERS).txt

bench-quick:
	@$(MAKE) --no-print-directory bench BENCH_FOUNDERS=10000 BENCH_DB=lotse_bench_quick BENCH_FLAGS="-rounds 15 -write-rounds 4"

bench-go:
	@base=$$(scripts/postgres.sh) || exit 1; \
	export TEST_DATABASE_URL=$$base; \
	psql "$$base" -qAtc "select 1 from pg_database where datname='$(BENCH_DB)'" | grep -q 1 && export BENCH_DATABASE_URL=$${base%/*}/$(BENCH_DB)?sslmode=disable; \
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
