# jiceng: the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-sqlite test-postgres bench bench-http lint format messages clean

install: $(VENV)/.installed jiceng/static/vendor/.built

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "jiceng needs Python >= 3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

jiceng/static/vendor/.built: package.json package-lock.json scripts/build_static.mjs
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build
	touch $@

run: install
	$(BIN)/jiceng migrate --noinput
	$(BIN)/jiceng demo --if-empty
	@echo "jiceng: http://$(HOST):$(PORT)/  (Ctrl-C stops the server and the background worker)"
	@trap 'kill 0' INT TERM EXIT; \
	  $(BIN)/jiceng worker --interval 1 >var/worker.log 2>&1 & \
	  $(BIN)/jiceng runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m playwright --version >/dev/null
	scripts/test.sh

bench: install
	$(BIN)/python bench/run.py

# The production server under load over HTTP alone (county scale unless BENCH_SCALE says otherwise).
bench-http: install
	BENCH_ONLY=http BENCH_SCALE=$${BENCH_SCALE:-county} $(BIN)/python bench/run.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: install
	$(BIN)/jiceng makemessages -l en --ignore '.venv/*' --ignore 'node_modules/*' --ignore 'var/*' --no-obsolete
	$(BIN)/jiceng compilemessages --ignore '.venv/*' --ignore 'node_modules/*' --ignore 'var/*'
	-$(BIN)/python scripts/i18n_check.py --no-extract

clean:
	rm -rf $(VENV) node_modules jiceng/static/vendor var/static
