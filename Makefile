# The two commands of the README, and the pieces they are made of.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export DJANGO_SETTINGS_MODULE := otiumwork.settings
# The demo's sandbox signs its webhook notifications with this; seed_demo stores it for the demo company.
DEMO_WEBHOOK_TOKEN := otiumwork-demo-webhook-verifier

.PHONY: demo test install install-dev browser lint conformance bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"

## make demo: install, migrate, seed the demo company and the local QuickBooks sandbox, serve on :8000
demo: install
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python -m qbsandbox seed --db var/qbsandbox.sqlite3 \
	  --webhook-url http://127.0.0.1:8000/api/qb/webhooks --verifier-token $(DEMO_WEBHOOK_TOKEN)
	@echo "Open http://127.0.0.1:8000 and log in with one of the users above."
	$(BIN)/python manage.py runserver 127.0.0.1:8000

## make test: install the test dependencies and run the whole suite (SQLite, jobs inline)
test: install-dev browser
	$(BIN)/python -m pytest

# The browser tests drive Debian's chromium (a browser download cannot be fetched here).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need /usr/bin/chromium: run 'sudo apt-get install chromium'"; \
	  fi; \
	fi

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	mkdir -p var  # the default SQLite file lives there; without it Django warns it cannot check the history
	$(BIN)/python manage.py makemigrations --check --dry-run --verbosity 0

## make conformance: python-quickbooks' integration suite against the local sandbox (../shared beside the repo)
conformance: install-dev
	$(BIN)/python ../shared/conformance/python-quickbooks/run.py

bench: install-dev
	$(BIN)/python bench/run_all.py

clean:
	rm -rf var .pytest_cache .ruff_cache .hypothesis artifacts
