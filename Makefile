# The README's two commands are `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000
JOB_WORKERS ?= 2

.PHONY: setup run test bench mutation translations extract-core clean

$(BIN)/activate: requirements.txt requirements-dev.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt -r requirements-dev.txt
	touch $(BIN)/activate

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch node_modules/.package-lock.json

# one catalogue (messages) per module; translations/flask_admin fills gaps of Flask-Admin's (admin)
translations: $(BIN)/activate
	@for d in translations/*/; do [ -f $$d/sv/LC_MESSAGES/messages.po ] && $(BIN)/pybabel compile -d $$d -f >/dev/null; done; true
	@$(BIN)/pybabel compile -d translations/flask_admin -D admin -f >/dev/null

# re-extract the foundation's strings (babel-core.cfg) and merge them into translations/core;
# then fill the new empty msgstr in sv and de and run `make translations`
extract-core: $(BIN)/activate
	$(BIN)/pybabel extract -F babel-core.cfg -k _l -k lazy_gettext -o /tmp/core.pot .
	for l in sv de; do $(BIN)/pybabel update -i /tmp/core.pot -d translations/core -l $$l -w 100 --no-fuzzy-matching; done

setup: $(BIN)/activate node_modules/.package-lock.json translations

run: setup
	$(FLASK) init-db
	$(FLASK) demo-data --if-empty
	@echo
	@echo "Verkstad runs on http://$(HOST):$(PORT)/  (log in with the administrator above)"
	@echo
	@# the job queue's consumer runs beside gunicorn in a session of its own; Ctrl-C (or gunicorn
	@# ending) stops it too: one SIGINT, Huey's graceful stop after the running jobs
	@# threads: a request waiting for SQLite's write lock (an import's transaction) holds one
	@# thread, not a whole worker, so pages keep coming; connections kept open longer than a user
	@# pauses between clicks, so none is closed just as the next request goes out
	@setsid $(FLASK) jobs-worker --workers $(JOB_WORKERS) & worker=$$!; \
	trap 'kill -INT $$worker 2>/dev/null; wait $$worker; trap - EXIT; exit 0' EXIT INT TERM; \
	$(BIN)/gunicorn --workers 3 --threads 4 --keep-alive 10 --bind $(HOST):$(PORT) --access-logfile - "app:create_app()"

# the whole suite, in parallel with pytest-xdist (PYTEST_WORKERS=auto: one worker per core; 0 runs
# it in one process); it ends with the 20 slowest tests and the suite's wall time
PYTEST_WORKERS ?= auto
test: setup
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --durations=20

# every benchmark; each prints its medians and ratios against a baseline measured in the same run
bench: setup
	$(BIN)/python -m bench.all

# mutation testing of the pure rule modules (config in pyproject.toml): a fresh run in mutants/,
# then killed / survived / timeout per module; fails when a mutant survives. Not part of `make test`.
MUTANTS := 'services.sales.pricing.*' 'services.platform.numbering.*' 'services.platform.rights.*' \
	$(foreach f,overlaps next_quarter_hour issue_deadline display_interval status_of days_of_use _money calculate_billing,'services.bookings.bookings.x_$(f)*')
mutation: setup
	rm -rf mutants && mkdir mutants
	env -u TEST_DATABASE_URL $(BIN)/mutmut run $(MUTANTS) > mutants/run.log 2>&1 || (tail -n 40 mutants/run.log; false)
	$(BIN)/python tests/mutation_report.py $(MUTANTS)

clean:
	rm -rf $(VENV) node_modules mutants
