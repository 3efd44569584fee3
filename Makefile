# gmcbot: `make run` opens the console on the shipped corpus; `make test` runs every check CI runs.
# Both create .venv and install torch==2.13.0 (this machine's CPU build) before everything else.
# `make install` and `make run` also build the search index, the ONNX model screening runs on and
# the exemplar and training-message vectors in the data folder (with a progress bar; reused by every later command).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test lint bench install fuzz train calibrate train-answer-encoder train-voice train-ranker lock

# Every dependency but torch comes from requirements.lock: exact versions, each file checked
# against its SHA-256 (`make lock` regenerates it from pyproject.toml; torch and its CUDA-only
# packages are left out of it). gmcbot itself is installed without resolving anything more.
$(BIN)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# make lock: resolve pyproject.toml (with the dev and bench extras) for CPython 3.11 on Linux
# x86_64 into requirements.lock with every file's hash; torch is resolved (from /opt/wheels
# when that folder holds this machine's build) but not written.
lock: $(BIN)/.installed
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra bench --generate-hashes --no-header \
		--python-version 3.11 --python-platform x86_64-manylinux_2_28 --no-emit-package torch \
		$(if $(wildcard /opt/wheels),--find-links /opt/wheels,) -o requirements.lock.new
	{ printf '%s\n' '# gmcbot lock file: exact versions and hashes of every dependency except torch (installed' \
		'# first, from its own wheel, by `make`). Regenerate with `make lock`; install with' \
		'# pip install --no-deps --require-hashes -r requirements.lock'; cat requirements.lock.new; } > requirements.lock
	rm requirements.lock.new

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
	$(BIN)/python -m bot.screening.calibration

# make calibrate: set screening's sensitivity thresholds (low, normal, high) from the combiner's
# risk on the held-out message sets (eval/messages.jsonl, tests/data/messages_holdout*.jsonl,
# eval/blind/set_*/messages_*.jsonl); writes them into guidance_corpus/screening/classifier/combiner.json
# (about 30 s). make train runs it last.
calibrate: $(BIN)/.installed
	$(BIN)/python -m bot.screening.calibration

# make train-answer-encoder: tune answering's encoder on the corpus's asks (bot/answer_encoder_training.py,
# fixed seed; writes guidance_corpus/questions/encoder/, about 8 minutes on 2 cores), rebuild the
# index with it, then refit the voice model and the reranker, which are fitted on its vectors (the
# voice model first: the reranker's fit sees its guesses).
train-answer-encoder: $(BIN)/.installed
	$(BIN)/python -m bot.answer_encoder_training
	$(BIN)/gmcbot index build
	$(BIN)/python -m bot.voice_training
	$(BIN)/python tools/train_ranker.py

# make train-voice: the model guessing whose guidance a question reads like (bot/voice.py),
# from the corpus's asks; writes guidance_corpus/questions/voice.json (fixed seed, checksummed),
# then refits the reranker, whose fit sees the voice model's guesses.
train-voice: $(BIN)/.installed
	$(BIN)/python -m bot.voice_training
	$(BIN)/python tools/train_ranker.py

# make train-ranker: the learned reranker (bot/ranker.py) from the blind-written questions,
# each writer left out in turn for its figures; writes guidance_corpus/questions/ranker.json
# (deterministic, about a minute once the index exists).
train-ranker: $(BIN)/.installed
	$(BIN)/python tools/train_ranker.py

bench: $(BIN)/.installed
	$(BIN)/python -m benchmarks
