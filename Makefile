# One command for each habit. `make run` opens the app; `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := run
APP := target/debug/jiesu

.PHONY: run release test setup setup-test ui check fmt lint test-core test-ui bindings typecheck app e2e test-date test-dates bench bench-encryption bench-coldstart bench-pouchdb bench-sync bench-lookup deb icons

run: setup ui
	cargo build --release -p jiesu-app
	./target/release/jiesu

setup:
	./scripts/setup.sh

setup-test:
	./scripts/setup.sh --test

ui:
	npm --prefix ui run build

test: setup-test fmt check ui lint test-core test-ui bindings typecheck app e2e test-date

fmt:
	cargo fmt --all -- --check

# The core must stay free of the shell's and the server's stacks; the server, of the exports.
check:
	@if cargo tree -p jiesu-core -e normal --prefix none | grep -Eiq '^(tauri|wry|tao|axum|hyper|reqwest|webkit2gtk)[ -]'; then \
	  echo "jiesu-core depends on a UI or HTTP crate:"; cargo tree -p jiesu-core -e normal --prefix none | grep -Ei '^(tauri|wry|tao|axum|hyper|reqwest|webkit2gtk)[ -]'; exit 1; fi
	@echo "jiesu-core: no tauri, wry, axum or HTTP dependency"
	@if cargo tree -p jiesu-protocol -e normal --prefix none | grep -Eq '^(jiesu-core|rusqlite) '; then \
	  echo "jiesu-protocol depends on the store:"; cargo tree -p jiesu-protocol -e normal --prefix none | grep -E '^(jiesu-core|rusqlite) ' | sort -u; exit 1; fi
	@echo "jiesu-protocol: no store"
	@if cargo tree -p jiesu-server -e normal --prefix none | grep -Eq '^(jiesu-core|docx-rs|rust_xlsxwriter|icalendar|csv|ts-rs) '; then \
	  echo "jiesu-server compiles the core, the exports or ts-rs:"; cargo tree -p jiesu-server -e normal --prefix none | grep -E '^(jiesu-core|docx-rs|rust_xlsxwriter|icalendar|csv|ts-rs) ' | sort -u; exit 1; fi
	@echo "jiesu-server: jiesu-protocol only; no store, docx, xlsx, ics, csv or ts-rs"

# Clippy on every target (benches and tests too); ESLint and Prettier on the window's code.
lint:
	cargo clippy --workspace --all-targets -- -D warnings
	npm --prefix ui run lint

test-core:
	cargo test --workspace

# The window's pure TypeScript (times, labels, error sentences) under vitest, no window.
test-ui:
	npm --prefix ui test

# cargo test regenerated ui/src/bindings from the Rust types: they must match what is committed.
bindings:
	@git add -N ui/src/bindings 2>/dev/null || true
	@git diff --exit-code --stat -- ui/src/bindings || { echo "ui/src/bindings is stale: commit the regenerated files"; exit 1; }

typecheck:
	npm --prefix ui run typecheck

# The app and the two binaries the sync journey runs, in one build: one feature resolution,
# so the dependencies compile once.
app: ui
	cargo build -p jiesu-app -p jiesu-server -p jiesu-sync --bins

# Under Xvfb, on a session bus of their own (the overdue journey's notification daemon
# receives what the app sends; nothing else is activated): see tests/e2e/run.sh.
e2e: app
	JIESU_APP=$(CURDIR)/$(APP) tests/e2e/run.sh

# The core's tests and the dashboard journey again, every clock pinned to an awkward date that
# turns with the day (printed); `make test-dates` runs every test on every such date.
test-date: app
	JIESU_APP=$(CURDIR)/$(APP) scripts/awkward-dates.sh

test-dates: app
	JIESU_APP=$(CURDIR)/$(APP) scripts/awkward-dates.sh --all

bench:
	cargo bench -p jiesu-core --bench store -- --cases $${CASES:-100000}

bench-encryption:
	cargo bench -p jiesu-core --bench encryption -- --cases $${CASES:-100000} --dir $${DIR:-$(CURDIR)/target/bench-encryption}

# Cold start and idle memory of the release window (issue 22) against an empty Tauri window;
# the encrypted stores are generated once (a million: CASES="600 100000 1000000").
bench-coldstart:
	cargo build --release -p jiesu-app --bin jiesu --example empty_window
	for n in $${CASES:-600 100000}; do [ -e target/bench-$$n-encrypted/jiesu.db ] || \
	  cargo bench -p jiesu-core --bench store -- --cases $$n --encrypted --only-generate || exit 1; done
	xvfb-run -a node benches/coldstart.mjs $$(for n in $${CASES:-600 100000}; do echo --store $$n=target/bench-$$n-encrypted; done)

# The CouchDB replication protocol (PouchDB ← express-pouchdb) on the events of the plain
# store `make bench` keeps: the yardstick beside `make bench-sync`'s first sync.
bench-pouchdb:
	npm --prefix benches/pouchdb ci
	node benches/pouchdb/replicate.mjs --store target/bench-$${CASES:-100000}/jiesu.db

bench-sync:
	cargo bench -p jiesu-server --bench sync -- --cases $${CASES:-100000} --offices $${OFFICES:-10000}

# The residents' lookup page and Open311 status at a district's size (docs/BENCHMARKS.md).
bench-lookup:
	cargo bench -p jiesu-server --bench lookup -- --cases $${CASES:-1000000}

# A .deb of the release build (AppImage needs a download this network refuses; MSI and DMG
# are configured but only build on Windows and macOS).
deb: setup ui
	ui/node_modules/.bin/tauri build --bundles deb

icons:
	ui/node_modules/.bin/tauri icon icons/jiesu.svg -o icons
	rm -rf icons/android icons/ios
