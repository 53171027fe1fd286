# asn-monitor: the two commands a new user needs are `make demo` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV ?= .venv
# The CPU build of torch; override for a GPU machine, e.g. `make demo TORCH=torch==2.13.0+cu128`.
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
DEMO_CONFIG := examples/demo/monitor.yaml
PYTEST_WORKERS ?= auto

# Nothing may download model weights or data at run time or in tests.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: demo test lint typecheck check install install-dev clean starter-model test-tools

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet "$(TORCH)"
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# The demo starts from an empty var/demo each time, so its alert numbers are the same.
DEMO := $(BIN)/asn-monitor -c $(DEMO_CONFIG)
DEMO_REVIEWER := --reviewer "Rina (demo)"
demo: $(VENV)/.installed
	rm -rf var/demo
	$(DEMO) config check
	$(DEMO) db upgrade
	$(DEMO) watchlist import examples/demo/watchlist.csv
	$(DEMO) run --once
	$(DEMO) digest --notify
	$(DEMO) alerts confirm 6 $(DEMO_REVIEWER) --note "Akun kepala desa terverifikasi; mengajak memilih paslon 2."
	$(DEMO) alerts confirm 9 $(DEMO_REVIEWER) --note "Sembako dikaitkan dengan pilihan; pidana pemilihan."
	$(DEMO) alerts escalate 9 --to gakkumdu --ref "001/PP.01.02/K.JR-01/11/2024" $(DEMO_REVIEWER)
	$(DEMO) alerts confirm 47 $(DEMO_REVIEWER) --note "Guru PNS mengajak mencoblos nomor 1."
	$(DEMO) alerts escalate 47 --to bkn --ref "002/PP.01.02/K.JR-01/11/2024" $(DEMO_REVIEWER)
	$(DEMO) alerts dismiss 27 --reason false_positive --label political_neutral $(DEMO_REVIEWER) --note "Membahas slogan, bukan ajakan."
	$(DEMO) alerts export 9 --out var/demo/bukti
	$(DEMO) form-a
	$(DEMO) status

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

test: lint typecheck test-tools
	$(BIN)/pytest -n $(PYTEST_WORKERS) -q

# Tools some tests use from Debian: Chromium (the Form A draft is checked in a real browser)
# and systemd-analyze (the unit file's checks). Best effort: without apt or network those
# tests skip and say why.
test-tools:
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v systemd-analyze >/dev/null 2>&1 || missing="$$missing systemd"; \
	if [ -n "$$missing" ]; then \
		if command -v apt-get >/dev/null 2>&1 && apt-get update -qq >/dev/null 2>&1 \
			&& apt-get install -y -qq $$missing >/dev/null 2>&1; then echo "terpasang:$$missing"; \
		else echo "tidak terpasang:$$missing (uji yang memerlukannya dilewati)"; fi; \
	fi

# Retrains the shipped starter model from data/labelled and rewrites its evaluation report
# (about 10 minutes on 2 CPU cores). Figures in models/starter/MODEL_CARD.md come from here.
STARTER := models/starter
starter-model: $(VENV)/.installed-dev
	rm -rf var/starter-init $(STARTER)/eval
	$(BIN)/asn-monitor model init --data data/labelled/train.jsonl --out var/starter-init \
		--vocab 8000 --layers 4 --hidden 256 --heads 4 --max-length 128
	$(BIN)/asn-monitor model train --base var/starter-init --data data/labelled --out $(STARTER) \
		--epochs 30 --patience 5 --lr 5e-4 --batch-size 32 --max-length 128
	$(BIN)/asn-monitor model eval --model $(STARTER) --data data/labelled/test.jsonl \
		--valid data/labelled/valid.jsonl --train data/labelled/train.jsonl --out $(STARTER)/eval

clean:
	rm -rf var/demo .pytest_cache .mypy_cache .ruff_cache
