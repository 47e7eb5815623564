# Atelier: two commands.
#   make run   set up everything and start Atelier at http://localhost:3000
#   make test  set up everything (plus Debian's Chromium) and run the whole suite
# Every cache stays inside this folder (.venv, .tools, .cache, .web: all git-ignored).

SHELL := /bin/bash
ROOT := $(abspath .)
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
BUN_VERSION := 1.4.4
BUN_DIR := $(ROOT)/.tools/bun
BUN := $(BUN_DIR)/node_modules/bun/bin/bun.exe
SYSTEM_PYTHON ?= python3
# Loopback by default: set HOST=0.0.0.0 to serve other machines.
HOST ?= 127.0.0.1

# Reflex must not reach for hosts this machine cannot see: no telemetry, no version
# check, bun from the npm registry (installed below), and npm's own registry setting.
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false
export REFLEX_DIR := $(ROOT)/.cache/reflex
export REFLEX_BUN_PATH := $(BUN)
export NPM_CONFIG_REGISTRY := $(shell npm config get registry 2>/dev/null)
export npm_config_cache := $(ROOT)/.cache/npm
export PIP_CACHE_DIR := $(ROOT)/.cache/pip
export BUN_INSTALL_CACHE_DIR := $(ROOT)/.cache/bun
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
export PATH := $(BUN_DIR)/node_modules/.bin:$(PATH)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test bench setup setup-dev migrate simulator clean

run: setup migrate
	$(VENV)/bin/reflex run --env prod --backend-host $(HOST)

test: setup-dev chromium
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup-dev
	$(PY) -m tests.bench.run

simulator: setup
	$(PY) -m app.simulator --port 8090

migrate: setup
	$(VENV)/bin/alembic upgrade head

setup: $(VENV)/.installed $(BUN)

setup-dev: setup $(VENV)/.installed-dev

$(VENV)/bin/python:
	$(SYSTEM_PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt | $(VENV)/bin/python
	$(PIP) install -q -r requirements-dev.txt
	touch $@

# Reflex's own bun download needs the internet; the npm package ships the binary.
$(BUN):
	mkdir -p $(BUN_DIR)
	cd $(BUN_DIR) && npm install --no-audit --no-fund --silent bun@$(BUN_VERSION)
	test -x $(BUN)

# Debian's Chromium for the browser tests (never a downloaded browser build).
.PHONY: chromium
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

clean:
	rm -rf .web .states .cache .pytest_cache
