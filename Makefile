# Two commands on a fresh Debian/Ubuntu machine: `make demo` and `make test`.
# Each installs what it needs: apt packages (when missing), a virtualenv, Python packages.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := dovecot-imapd chromium tesseract-ocr tesseract-ocr-eng tesseract-ocr-chi-sim poppler-utils \
  tesseract-ocr-script-latn libreoffice-writer-nogui \
  fonts-dejavu-core fonts-wqy-microhei fonts-arphic-ukai fonts-dkg-handwriting \
  fonts-liberation2 fonts-crosextra-carlito fonts-crosextra-caladea fonts-freefont-ttf
# Optional: what deploy/check.sh uses to exercise deploy/ (systemd-analyze, shellcheck, the
# compose schema, seccomp for the unit's system-call filter).
DEPLOY_APT_PACKAGES := systemd shellcheck docker-compose python3-seccomp
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint typecheck unit apt venv lock bench bench-reading clean deploy-check

apt: .stamp-apt
.stamp-apt: Makefile  # a package added to the list is installed on the next run
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	python_ok=1; $(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || python_ok=0; \
	if [ $$python_ok = 0 ]; then missing="$$missing python3-venv"; fi; \
	if [ -n "$$missing" ]; then \
	  echo "installing apt packages:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@touch $@

# The Python packages come from requirements.lock: every one pinned, with the hashes of its
# files (pip refuses a file whose hash differs); licensebot itself is installed on top.
venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml requirements.lock | .stamp-apt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q --require-hashes -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	@touch $@

# After changing a dependency in pyproject.toml: the lock again, for every platform and
# Python >= 3.11 (uv's universal resolution), with hashes from PyPI.
UV_VERSION := 0.13.8
lock:
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install -q 'uv==$(UV_VERSION)'
	.venv-lock/bin/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
	  --generate-hashes --index-url https://pypi.org/simple --no-header -o requirements.lock

demo: venv
	OMP_THREAD_LIMIT=1 $(BIN)/licensebot demo

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: venv
	$(BIN)/mypy

# One pytest-xdist worker per core (`auto`); tests that share a session- or module-wide fixture
# run on one worker (tests/parallel.py). `make test TEST_WORKERS=0` runs in one process. The 25
# slowest tests are listed at the end, for whoever makes the suite faster.
TEST_WORKERS ?= auto
test: venv lint typecheck
	OMP_THREAD_LIMIT=1 $(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadgroup --durations=25

unit: venv
	$(BIN)/pytest -q tests/unit

bench: venv
	OMP_THREAD_LIMIT=1 $(BIN)/python bench/mail_loop.py

deploy-check: venv
	@missing=""; for p in $(DEPLOY_APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing apt packages:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	OMP_THREAD_LIMIT=1 deploy/check.sh

bench-reading: venv
	OMP_THREAD_LIMIT=1 $(BIN)/python bench/reading.py --count 220 --jobs 2

clean:
	rm -rf $(VENV) .venv-lock .stamp-apt .pytest_cache .mypy_cache .ruff_cache
