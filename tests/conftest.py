"""Shared fixtures. Unit tests use the fast hashing embedder; tests marked ``model``
use the real MiniLM model, loaded once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# `make test` (and so CI) draws the same Hypothesis examples on every run, so a landing
# never depends on luck; `make fuzz` explores fresh random examples and remembers failures
# in .hypothesis/ so they replay until fixed.
hypothesis_settings.register_profile("repeatable", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("explore", print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

ROOT = Path(__file__).resolve().parent.parent
EVAL_DIR = ROOT / "eval"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test reads the developer's gmcbot.toml, data folder or GMCBOT_* variables."""
    for name in list(os.environ):
        if name.startswith("GMCBOT_") and name != "GMCBOT_TEST_POSTGRES_URL":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg")))
    # A subprocess (python -m adapters.cli) imports this checkout, not whichever checkout the
    # virtualenv's editable install points at (they differ in a git worktree).
    extra = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + (os.pathsep + extra if extra else ""))
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture
def settings(tmp_path: Path):
    """Settings with a private data folder and the hashing embedder."""
    from bot.config import Settings

    return Settings(data_dir=tmp_path / "data", embedder="hashing")


@pytest.fixture
def hashing_bot(settings):
    """A GuidanceBot on the real corpus with the fast deterministic embedder."""
    from bot.service import GuidanceBot
    from index.embedders import HashingEmbedder

    return GuidanceBot(settings, embedder=HashingEmbedder())


@pytest.fixture(scope="session")
def minilm(tmp_path_factory):
    """The real all-MiniLM-L6-v2 embedder answering runs on by default, with answering's
    tuning delta (one instance per session; its ONNX graphs made once, in a session folder)."""
    from guidance_corpus import ANSWER_ENCODER_DIR
    from index.embedders import make_embedder, resolve_backend

    embedder = make_embedder(
        "minilm",
        backend=resolve_backend("auto", "answer"),
        cache_dir=tmp_path_factory.mktemp("models"),
        delta_dir=ANSWER_ENCODER_DIR,
    )
    embedder.encode(["warm up"])
    return embedder


@pytest.fixture(scope="session")
def minilm_bot(minilm, tmp_path_factory):
    """A GuidanceBot with the real model in the shipped configuration (the default
    backend for each task), its index built once per session."""
    from bot.config import Settings
    from bot.service import GuidanceBot

    data_dir = tmp_path_factory.mktemp("minilm-data")
    bot = GuidanceBot(Settings(data_dir=data_dir))
    bot.warm_up()
    return bot
