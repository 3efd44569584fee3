"""The int8 ONNX graph screening runs on: made reproducibly from the packaged weights,
close to the PyTorch reference, and what the default configuration screens with."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.config import Settings
from bot.corpus import load_corpus
from bot.retrieval import passage_views
from index import onnx_minilm
from index.embedders import MINILM_WEIGHTS_SHA256, locate_minilm

pytestmark = pytest.mark.model


def test_the_graph_is_made_reproducibly(tmp_path: Path) -> None:
    source = locate_minilm()
    first = onnx_minilm.ensure_graph(tmp_path / "a", source, MINILM_WEIGHTS_SHA256)
    second = onnx_minilm.ensure_graph(tmp_path / "b", source, MINILM_WEIGHTS_SHA256)
    assert first[1] == second[1] == onnx_minilm._sha256(first[0])  # same bytes, checksum recorded
    manifest = onnx_minilm.read_manifest(first[0].parent) or {}
    assert manifest["source_sha256"] == MINILM_WEIGHTS_SHA256 and manifest["recipe"] == onnx_minilm.RECIPE


def test_vectors_stay_close_to_the_pytorch_reference(minilm, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from index.embedders import make_embedder

    corpus = load_corpus()
    texts = [t for p in corpus.paragraphs[:40] for _, t in passage_views(p, corpus.documents[p.doc_id])]
    onnx = make_embedder("minilm", backend="onnx", cache_dir=tmp_path)
    cosine = np.sum(onnx.encode(texts) * minilm.encode(texts), axis=1)
    print(f"cosine to PyTorch over {len(texts)} texts: mean {cosine.mean():.4f}, min {cosine.min():.4f}")
    assert cosine.mean() >= 0.99 and cosine.min() >= 0.97


def test_the_default_configuration_screens_on_onnx_and_answers_on_pytorch(tmp_path: Path) -> None:
    from bot.service import GuidanceBot

    bot = GuidanceBot(Settings(data_dir=tmp_path))
    assert bot.screen_embedder.embedder_id.startswith("onnx-int8/")
    assert bot.embedder.embedder_id.startswith("sentence-transformers/")
    assert bot.screen("Patient in resus is John Carter, NHS no 943 476 5919").flag is not None
