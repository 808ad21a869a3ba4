# Reachboard — the two set-up commands are `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export FLASK_APP := wsgi

.PHONY: run test bench soak soak-quick fuzz lint venv dev node openapi clients db demo clean i18n

# (Re)build the virtualenv when it is missing or older than the requirements: the runtime set for
# `make run`, the development set (tests, benchmarks, lint, types) for everything else.
$(BIN)/.installed: requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

$(BIN)/.installed-dev: $(BIN)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

# The compiled catalogs (backend/translations/<locale>/LC_MESSAGES/messages.mo, git-ignored), made
# from the .po files by every target that installs, so a fresh clone shows every language.
I18N := backend/translations
CATALOGS := $(patsubst %.po,%.mo,$(wildcard $(I18N)/*/LC_MESSAGES/messages.po))

%.mo: %.po $(BIN)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

venv: $(BIN)/.installed $(CATALOGS)

dev: $(BIN)/.installed-dev $(CATALOGS)

# Languages (docs/languages.md): extract every marked message into messages.pot, merge it into the
# sv, nb and pl catalogs (new messages arrive untranslated; tests/platform/test_translations.py
# fails until they are translated), then compile them.
i18n: venv
	$(BIN)/pybabel extract -F $(I18N)/babel.cfg -k say -k lazy_gettext --no-location --sort-output \
		--add-comments=TRANSLATORS: --project=Reachboard --copyright-holder=Reachboard \
		--width=100 -o $(I18N)/messages.pot backend dashboard
	$(BIN)/pybabel update -i $(I18N)/messages.pot -d $(I18N) --no-fuzzy-matching --ignore-obsolete --width=100
	$(BIN)/pybabel compile --statistics -d $(I18N)

# The npm tools of the OpenAPI checks (package.json, pinned by package-lock.json): Redocly CLI,
# openapi-typescript, openapi-fetch, TypeScript. Needs Node.js and npm (Debian: nodejs npm).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

node: node_modules/.installed

# The OpenAPI document as the app serves it, built with the testing settings (no database).
openapi: dev
	@mkdir -p build
	REACHBOARD_ENV=testing $(BIN)/flask openapi write --format=json build/openapi.json

# Clients an integrator would generate, into build/clients (git-ignored): Python
# (openapi-python-client) and TypeScript types (openapi-typescript) with the TypeScript test
# script compiled by tsc --strict. tests/api/test_generated_clients.py runs them against the app.
clients: dev node
	$(BIN)/python tests/clients/generate.py

db: venv
	$(BIN)/flask db upgrade

run: venv
	@mkdir -p instance
	$(BIN)/flask db upgrade
	@# Idempotent: the first run creates the demo, later runs add the days since the last one.
	$(BIN)/flask seed-demo
	@echo ""
	@echo "Reachboard on http://127.0.0.1:$(PORT)  — demo logins: see 'flask seed-demo' above,"
	@echo "  e.g. owner@demo.reachboard.test / reachboard-demo; the job consumer runs beside it (Ctrl-C stops both)"
	@echo ""
	@# gunicorn and the job consumer (python -m backend.worker), stopped together on Ctrl-C.
	PORT=$(PORT) $(BIN)/python -m backend.launcher

demo: venv
	$(BIN)/flask seed-demo

# SQLite always; PostgreSQL again (database tests) when TEST_POSTGRES_URL is set.
test: dev
	$(BIN)/python -m pytest -q
	@if [ -n "$$TEST_POSTGRES_URL" ]; then \
		echo "== database tests again on PostgreSQL =="; \
		REACHBOARD_TEST_DB=postgres $(BIN)/python -m pytest -q; \
	fi

bench: dev
	$(BIN)/python -m bench

# Mixed load for 10 minutes per database (SQLite; PostgreSQL too when BENCH_POSTGRES_URL is set or
# postgresql://postgres@127.0.0.1:5432/test answers): docs/benchmarks.md. Needs wrk (Debian: wrk).
# `make soak QUICK=1` or `make soak-quick`: one minute per database on small data (what CI runs).
# SOAK_ARGS passes options: make soak SOAK_ARGS="--minutes 3 --databases sqlite".
soak: dev
	$(BIN)/python -m bench.soak $(if $(filter 1 yes true,$(QUICK)),--quick) $(SOAK_ARGS)

soak-quick: dev
	$(BIN)/python -m bench.soak --quick $(SOAK_ARGS)

# ruff (lint and import order) and mypy (types; strict on the services and the tenant layer),
# as configured in pyproject.toml; the OpenAPI document through openapi-spec-validator and
# Redocly CLI's recommended rules (redocly.yaml), zero errors and zero warnings. CI runs it
# before the tests.
lint: dev node openapi
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/openapi-spec-validator build/openapi.json
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true node_modules/.bin/redocly lint \
		--max-problems 50 build/openapi.json

# Schemathesis against the running app on a scratch SQLite database (made and dropped by the
# test): every operation, FUZZ_EXAMPLES (default 100) cases per operation and phase, a new seed
# each run (printed; FUZZ_SEED=<n> repeats a run). tests/api/test_openapi_fuzz.py says more.
fuzz: dev
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-100} FUZZ_SEED=$${FUZZ_SEED:-$$(date +%s)} \
		$(BIN)/python -m pytest -q -s -p no:randomly tests/api/test_openapi_fuzz.py

clean:
	rm -rf $(VENV) instance .pytest_cache build node_modules
