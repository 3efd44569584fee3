"""Quick starts: `gmcbot --help` imports nothing heavy, `check` never imports torch, the
backend setting, and the ONNX graph's cache rules (without making a real graph)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.errors import ConfigError
from index import onnx_minilm
from index.embedders import make_embedder, resolve_backend

HEAVY = (
    "numpy",
    "torch",
    "sentence_transformers",
    "transformers",
    "sqlalchemy",
    "alembic",
    "faiss",
    "onnxruntime",
    "bm25s",
)


def _modules_after(code: str, env: dict[str, str] | None = None) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    assert out.returncode == 0, out.stderr
    return {name.split(".")[0] for name in json.loads(out.stdout.strip().splitlines()[-1])}


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import contextlib, io\nfrom adapters.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])"
    )
    loaded = _modules_after(code)
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_check_with_the_hashing_embedder_imports_no_model_library(tmp_path: Path) -> None:
    code = (
        f"import contextlib, io\nfrom adapters.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['--data-dir', {str(tmp_path)!r}, '--embedder', 'hashing', 'check', 'Bed 12 is free'])"
    )
    loaded = _modules_after(code)
    assert not loaded & {"torch", "sentence_transformers", "transformers", "faiss", "bm25s", "sqlalchemy"}


def test_cli_choices_spelled_out_match_their_sources() -> None:
    from adapters.cli.eval_cmds import METHODS
    from adapters.cli.settings_cmds import AUDIENCES, SENSITIVITIES
    from bot.audience import AUDIENCES as KNOWN_AUDIENCES
    from bot.retrieval import Method
    from bot.store.models import SENSITIVITIES as STORED

    assert METHODS == tuple(m.value for m in Method)
    assert SENSITIVITIES == STORED
    assert AUDIENCES == KNOWN_AUDIENCES


def test_auto_backend_answers_on_fp32_and_screens_on_int8() -> None:
    assert resolve_backend("auto", "answer") == "onnx-fp32"
    assert resolve_backend("auto", "screen") == "onnx-int8"
    assert resolve_backend("onnx", "answer") == "onnx-int8" and resolve_backend("torch", "screen") == "torch"
    with pytest.raises(ConfigError, match="embed_backend"):
        resolve_backend("tensorflow", "answer")
    with pytest.raises(ConfigError, match="embed_backend"):
        make_embedder("minilm", backend="tensorflow")
    assert load_settings(environ={"GMCBOT_EMBED_BACKEND": "torch"}).embed_backend == "torch"
    assert Settings().embed_backend == "auto"


def test_the_bot_picks_an_embedder_per_task(tmp_path: Path) -> None:
    from bot.service import GuidanceBot
    from index.embedders import SentenceTransformerEmbedder
    from index.onnx_minilm import OnnxMiniLM

    bot = GuidanceBot(Settings(data_dir=tmp_path))  # nothing loads until used
    assert isinstance(bot.embedder, OnnxMiniLM) and bot.embedder.variant == "fp32"
    assert isinstance(bot.screen_embedder, OnnxMiniLM) and bot.screen_embedder.variant == "int8"
    assert bot.screen_embedder.cache_dir == bot.embedder.cache_dir == (tmp_path / "models").resolve()
    torch = GuidanceBot(Settings(data_dir=tmp_path, embed_backend="torch"))
    assert isinstance(torch.embedder, SentenceTransformerEmbedder)
    assert isinstance(torch.screen_embedder, SentenceTransformerEmbedder)
    # Each task's model carries its own tuned delta.
    assert "~screen-" in torch.screen_embedder.embedder_id and "~answer-" in torch.embedder.embedder_id


def _fake_graph(folder: Path, source_sha: str, body: bytes = b"graph") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for variant, name in onnx_minilm.GRAPHS.items():
        (folder / name).write_bytes(body + variant.encode())
    manifest = {
        "recipe": onnx_minilm.RECIPE,
        "source_sha256": source_sha,
        "graph_sha256": {v: onnx_minilm._sha256(folder / n) for v, n in onnx_minilm.GRAPHS.items()},
    }
    (folder / onnx_minilm.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def test_a_cached_graph_is_used_only_while_it_matches(tmp_path: Path) -> None:
    folder = tmp_path / onnx_minilm.FOLDER
    assert onnx_minilm.check_graph(folder, "abc") == "no ONNX model yet"
    _fake_graph(folder, "abc")
    assert onnx_minilm.check_graph(folder, "abc") is None
    assert onnx_minilm.check_graph(folder, "other") == "source weights changed"
    (folder / onnx_minilm.GRAPH).write_bytes(b"tampered")
    assert "checksum" in str(onnx_minilm.check_graph(folder, "abc"))
    (folder / onnx_minilm.GRAPH).unlink()
    assert onnx_minilm.check_graph(folder, "abc") == "int8 graph file missing"


def test_a_damaged_graph_is_made_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[Path] = []

    def fake_make(folder: Path, source: Path, source_sha256: str, delta: object = None) -> dict[str, object]:
        made.append(folder)
        _fake_graph(folder, source_sha256, b"fresh")
        return {}

    monkeypatch.setattr(onnx_minilm, "make_graph", fake_make)
    told: list[str] = []
    graph, sha = onnx_minilm.ensure_graph(tmp_path, tmp_path, "abc", told.append)
    assert made and graph.read_bytes() == b"freshint8" and "Making the ONNX models" in told[0]
    again = onnx_minilm.ensure_graph(tmp_path, tmp_path, "abc", told.append)
    assert again == (graph, sha) and len(made) == 1  # reused
    graph.write_bytes(b"bit rot")
    onnx_minilm.ensure_graph(tmp_path, tmp_path, "abc", told.append)
    assert len(made) == 2 and "checksum" in told[-1]


def test_concurrent_callers_share_forward_passes() -> None:
    import threading
    import time

    import numpy as np

    from index.onnx_minilm import Coalescer

    calls: list[int] = []

    def run(texts: list[str]) -> np.ndarray:
        calls.append(len(texts))
        time.sleep(0.05)
        return np.array([[float(t)] for t in texts], dtype=np.float32)

    shared = Coalescer(run)
    results: dict[int, float] = {}

    def ask(i: int) -> None:
        results[i] = float(shared([str(i)])[0, 0])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == {i: float(i) for i in range(12)}  # each caller gets its own row back
    assert len(calls) < 12 and sum(calls) == 12  # and the passes were shared

    def broken(texts: list[str]) -> np.ndarray:
        raise RuntimeError("model failed")

    with pytest.raises(RuntimeError, match="model failed"):
        Coalescer(broken)(["x"])


def test_screening_waits_for_questions_being_embedded(tmp_path: Path) -> None:
    import threading
    import time

    from bot.service import GuidanceBot

    bot = GuidanceBot(Settings(data_dir=tmp_path, embedder="hashing"))
    bot.screen("warm up")
    order: list[str] = []
    with bot._asking():

        def screen_then_note() -> None:
            bot.screen("Bed 12 is free")
            order.append("screened")

        waiter = threading.Thread(target=screen_then_note)
        waiter.start()
        time.sleep(0.2)
        order.append("asked")
    waiter.join(5)
    assert order == ["asked", "screened"]


def test_set_up_names_the_task_each_tuned_graph_is_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from index.delta import Delta

    def fake_make(folder: Path, source: Path, source_sha256: str, delta: object = None) -> dict[str, object]:
        _fake_graph(folder, source_sha256, b"fresh")
        return {}

    monkeypatch.setattr(onnx_minilm, "make_graph", fake_make)
    monkeypatch.setattr(onnx_minilm, "check_graph", lambda folder, sha, delta=None: "no ONNX model yet")
    told: list[str] = []
    for name in ("screen", "answer"):
        onnx_minilm.ensure_graph(tmp_path, tmp_path, "abc", told.append, delta=Delta(name, "0" * 64, "abc", 2.0, {}))
    onnx_minilm.ensure_graph(tmp_path, tmp_path, "abc", told.append)
    assert "for screening (with its tuning)" in told[0]
    assert "for answering (with its tuning)" in told[1]
    assert "(untuned)" in told[2]
