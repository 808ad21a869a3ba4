# Reachboard — the two set-up commands are `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export FLASK_APP := wsgi

.PHONY: run test test-sqlite test-postgres bench fuzz venv db demo clean

# (Re)build the virtualenv when it is missing or older than requirements.txt.
$(BIN)/.installed: requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

venv: $(BIN)/.installed

db: venv
	$(BIN)/flask db upgrade

run: venv
	@mkdir -p instance
	$(BIN)/flask db upgrade
	@# Idempotent: the first run creates the demo, later runs add the days since the last one.
	$(BIN)/flask seed-demo
	@echo ""
	@echo "Reachboard on http://127.0.0.1:$(PORT)  — demo logins: see 'flask seed-demo' above,"
	@echo "  e.g. owner@demo.reachboard.test / reachboard-demo"
	@echo ""
	PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

demo: venv
	$(BIN)/flask seed-demo

# SQLite always; PostgreSQL again (database tests) when TEST_POSTGRES_URL is set.
test: venv
	$(BIN)/python -m pytest -q
	@if [ -n "$$TEST_POSTGRES_URL" ]; then \
		echo "== database tests again on PostgreSQL =="; \
		REACHBOARD_TEST_DB=postgres $(BIN)/python -m pytest -q; \
	fi

bench: venv
	$(BIN)/python -m bench

# Schemathesis against the running app on a scratch SQLite database (made and dropped by the
# test): every operation, FUZZ_EXAMPLES (default 100) cases per operation and phase, a new seed
# each run (printed; FUZZ_SEED=<n> repeats a run). tests/api/test_openapi_fuzz.py says more.
fuzz: venv
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-100} FUZZ_SEED=$${FUZZ_SEED:-$$(date +%s)} \
		$(BIN)/python -m pytest -q -s -p no:randomly tests/api/test_openapi_fuzz.py

clean:
	rm -rf $(VENV) instance .pytest_cache
