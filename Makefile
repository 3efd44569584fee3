# gmcbot: `make run` opens the console on the shipped corpus; `make test` runs every check CI runs.
# Both create .venv and install torch==2.13.0 (this machine's CPU build) before everything else.
# `make install` and `make run` also build the search index, the ONNX model screening runs on and
# the exemplar vectors in the data folder (with a progress bar; reused by every later command).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test lint bench install fuzz train

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

install: $(BIN)/.installed
	$(BIN)/gmcbot index build

run: install
	$(BIN)/gmcbot console

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

# make fuzz: fresh Hypothesis examples, and the privacy proof over 10,000 generated
# messages (make test screens a fixed sample of 400; tests/generated.py).
FUZZ_MESSAGES ?= 10000
fuzz: $(BIN)/.installed
	HYPOTHESIS_PROFILE=explore $(BIN)/python -m pytest tests/unit -k "fuzz or propert" $(ARGS)
	GMCBOT_FUZZ_MESSAGES=$(FUZZ_MESSAGES) $(BIN)/python -m pytest tests/db/test_db_generated_privacy.py \
		tests/adapters -k generated $(ARGS)

train: $(BIN)/.installed
	$(BIN)/python -m bot.screening.training

bench: $(BIN)/.installed
	$(BIN)/python -m benchmarks
