# Two commands for everyone: `make run` and `make test`. The rest are for editors and developers.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test index seed harm-model check lint format eval calibrate bench bench-index stress screenshots clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[dev,sentence-transformers]'
	touch $@

## Build the index if missing or stale, then serve on http://127.0.0.1:8000
# A failed build (a bad knowledge file) is reported and the previous index keeps serving.
run: $(VENV)/.installed
	-$(PY) -m bot build-index --if-stale
	$(PY) -m bot serve

# The core: everything but the channel adapters, the server and the CLI.
CORE := bot/text.py bot/diacritics.py bot/knowledge.py bot/chunking.py bot/embedders.py \
	bot/index.py bot/search.py bot/ranking.py bot/questions.py bot/compose.py bot/answer.py \
	bot/engine.py bot/evaluation.py bot/storage bot/settings.py bot/errors.py bot/safety.py \
	bot/keys.py bot/privacy.py bot/sanitize.py bot/safejson.py bot/logs.py \
	bot/faq_files.py bot/spreadsheet.py \
	bot/gaps.py bot/harm_model.py \
	bot/reports bot/inbox.py bot/limits.py bot/tickets.py \
	bot/console

## Lint, format check, types of the core, and the whole test suite
test: $(VENV)/.installed-dev
	$(PY) -m ruff check bot tests scripts benchmarks
	$(PY) -m ruff format --check bot tests scripts benchmarks
	$(PY) -m mypy $(CORE)
	$(PY) -m pytest -q

## Rebuild the index after editing knowledge/ (re-embeds only what changed)
index: $(VENV)/.installed
	$(PY) -m bot build-index

## Ship the bundled knowledge's vectors and ranker (bot/data/), so a first build takes seconds
seed: $(VENV)/.installed harm-model
	$(PY) scripts/write_seed.py

## Retrain the harmful-request model (bot/data/harm-model.json), after editing a refusal entry
harm-model: $(VENV)/.installed
	$(PY) scripts/train_harm_model.py

format: $(VENV)/.installed-dev
	$(PY) -m ruff format bot tests scripts benchmarks
	$(PY) -m ruff check --fix bot tests scripts benchmarks

## Answer quality on dev, blind-tune and blind-heldout: bm25, dense, hybrid and ranked side by side
eval: $(VENV)/.installed
	$(PY) -m bot build-index --if-stale
	$(PY) scripts/evaluate.py

## Choose the decline threshold on dev + blind-tune; write it, and the shipped ranker, to bot/data/
calibrate: $(VENV)/.installed
	$(PY) -m bot build-index --if-stale
	$(PY) scripts/calibrate.py --write

## Latency, throughput and memory (prints numbers, asserts nothing)
bench: $(VENV)/.installed-dev
	$(PY) -m bot build-index --if-stale
	$(PY) benchmarks/bench_answer.py

## Index build speed, cache reuse and size on disk
bench-index: $(VENV)/.installed
	$(PY) benchmarks/bench_index.py

## A minute of mixed traffic on the API and every webhook, abusive clients included, against
## local stand-ins (loopback only, stops by itself): speed, 429s, and every message answered once
# Other set-ups, same traffic: make stress STRESS_ARGS="--database postgresql --replicas 2"
STRESS_ARGS ?=
stress: $(VENV)/.installed-dev
	$(PY) -m bot build-index --if-stale
	$(PY) benchmarks/stress.py $(STRESS_ARGS)

## Screenshots of the editors' console for the README (docs/console-*.png), in headless Chromium
screenshots: $(VENV)/.installed-dev
	SCREENSHOTS_DIR=docs $(PY) -m pytest -q tests/test_console_browser.py

clean:
	rm -rf $(VENV) index data .pytest_cache .ruff_cache
