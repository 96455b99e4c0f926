# SalesOps — the two commands: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SALESOPS := $(VENV)/bin/salesops
VENDOR := salesops/web/static/vendor/.stamp
MO := salesops/locale/zh_Hans/LC_MESSAGES/django.mo
I18N_IGNORE := --ignore '.venv/*' --ignore 'node_modules/*' --ignore 'salesops/web/static/vendor/*' --ignore 'var/*' --ignore 'bench/*'

.PHONY: run test test-only lint bench setup system-deps migrate demo messages clean

run: setup migrate ## set up, migrate, load the demo organisation if empty, serve web + worker
	$(SALESOPS) demo --size small --if-empty
	$(SALESOPS) run

test: setup system-deps lint test-only ## set up and pass the whole suite

# The suite runs on TEST_WORKERS pytest-xdist processes (each with its own test database):
# as many as the machine has cores, at most 2; `make test-only TEST_WORKERS=0` runs it in
# one process. `--dist loadfile`: a file's tests run on one worker, so data a module builds
# once for its tests (salesops/core/tests/shareddata.py) and the real servers it starts
# (core/tests/realserver.py) are made once, not once per worker. (Not `loadgroup`: with
# pytest 9.2, pytest-xdist 3.8 no longer keeps an `xdist_group` on one worker.)
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); if [ $$n -ge 2 ]; then echo 2; else echo 0; fi)

test-only:
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS); status=$$?; [ $$status -eq 5 ] && exit 0 || exit $$status

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

bench: setup migrate ## run every benchmark in bench/ (results in bench/results/)
	@set -e; for b in bench/[a-z]*.py; do \
	  case $$b in bench/common.py|bench/*_data.py) continue;; esac; \
	  case $$b in bench/licence_ocr.py|bench/field_sync.py|bench/inbox.py) continue;; esac; \
	  echo "== $$b"; $(PY) $$b; done

setup: $(VENV)/.installed $(VENDOR) $(MO)

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

$(VENDOR): node_modules/.package-lock.json scripts/vendor.py
	$(PY) scripts/vendor.py
	touch $@

$(MO): $(VENV)/.installed salesops/locale/zh_Hans/LC_MESSAGES/django.po
	@command -v msgfmt >/dev/null || $(MAKE) system-deps
	$(PY) manage.py compilemessages -l zh_Hans -l en --ignore '.venv/*' --ignore 'node_modules/*' >/dev/null

# Debian packages the browser tests, translations and the licence-photo test set (a CJK
# font) need. Installed when missing and we
# may (root); otherwise say what to install.
system-deps:
	@missing=""; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	test -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || missing="$$missing fonts-wqy-microhei"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "please install:$$missing (e.g. sudo apt-get install$$missing)"; exit 1; fi; \
	fi

migrate: setup
	$(SALESOPS) migrate --noinput

demo: migrate
	$(SALESOPS) demo --size small --if-empty

messages: setup ## refresh the .po catalogues from the source strings
	$(PY) manage.py makemessages -l zh_Hans -l en --no-obsolete --no-wrap $(I18N_IGNORE)

clean:
	rm -rf $(VENV) node_modules salesops/web/static/vendor var/static
