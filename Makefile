# Two commands: `make run` (set up and serve with demo data) and `make test` (set up and run every test).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install db seed translations serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first, pinned to the CPU build this machine serves; otherwise pip pulls a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed translations

translations: | $(VENV)/.installed
	$(BIN)/python scripts/i18n.py compile

db: install
	$(BIN)/flask db upgrade

seed: db
	$(BIN)/flask seed --if-empty
	$(BIN)/flask matching reindex --quiet

# One job consumer (`flask jobs worker`) runs beside the web server and stops with it. It is a
# process of its own, never a thread inside gunicorn's workers, so jobs cannot run twice.
WITH_WORKER = $(BIN)/flask jobs worker --quiet & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM;

run: seed
	$(WITH_WORKER) $(BIN)/flask run --host $(HOST) --port $(PORT)

# Two workers share login limits only through Redis: gunicorn.conf.py refuses memory:// with more than one.
serve: seed
	$(WITH_WORKER) HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache test-artifacts
