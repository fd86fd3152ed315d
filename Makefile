# wirekit: `make demo` and `make test` bootstrap everything they need from a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
BENCH_VENV ?= .venv-bench
BPY    := $(BENCH_VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: demo test test-fast lint fmt bench peers clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[all,test,lint]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/wirekit lab tour

# Real peers (OpenSSH, Net-SNMP, vsftpd, curl, lftp, swaks, tshark, nginx, ...) come from Debian.
peers:
	@scripts/install-peers

test: $(STAMP) peers
	$(PY) -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadfile -m "not interop and not slow" $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy

fmt: $(STAMP)
	$(VENV)/bin/ruff check --fix src tests bench
	$(VENV)/bin/ruff format src tests bench

# Anchors (Scapy, dpkt, Twisted, pysnmp, paramiko, requests, ...) live only in the bench venv.
$(BENCH_VENV)/.installed: pyproject.toml bench/requirements.txt
	test -x $(BPY) || $(PYTHON) -m venv $(BENCH_VENV)
	$(BPY) -m pip install -q --upgrade pip
	$(BPY) -m pip install -q -e '.[all]' -r bench/requirements.txt
	touch $@

bench: $(BENCH_VENV)/.installed peers
	$(BPY) -m bench $(BENCH)

clean:
	rm -rf $(VENV) $(BENCH_VENV) build dist .pytest_cache .mypy_cache .ruff_cache
