"""The ONNX graphs answering (float32) and screening (int8) run on: made reproducibly from
the packaged weights, close to the PyTorch reference, and what the default configuration
uses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

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
    fp32 = onnx_minilm.ensure_graph(tmp_path / "a", source, MINILM_WEIGHTS_SHA256, variant="fp32")
    assert fp32[1] == onnx_minilm.ensure_graph(tmp_path / "b", source, MINILM_WEIGHTS_SHA256, variant="fp32")[1]
    manifest = onnx_minilm.read_manifest(first[0].parent) or {}
    assert manifest["source_sha256"] == MINILM_WEIGHTS_SHA256 and manifest["recipe"] == onnx_minilm.RECIPE


@pytest.mark.parametrize(("variant", "mean", "least"), [("fp32", 0.9999, 0.9995), ("int8", 0.99, 0.97)])
def test_vectors_stay_close_to_the_pytorch_reference(
    minilm,
    variant: str,
    mean: float,
    least: float,
) -> None:
    from index.embedders import make_embedder

    corpus = load_corpus()
    texts = [t for p in corpus.paragraphs[:40] for _, t in passage_views(p, corpus.documents[p.doc_id])]
    reference = make_embedder("minilm", "float32", backend="torch")
    onnx = make_embedder("minilm", backend=f"onnx-{variant}", cache_dir=minilm.cache_dir)
    cosine = np.sum(onnx.encode(texts) * reference.encode(texts), axis=1)
    print(
        f"{variant}: cosine to PyTorch float32 over {len(texts)} texts: mean {cosine.mean():.5f}, "
        f"min {cosine.min():.5f}"
    )
    assert cosine.mean() >= mean and cosine.min() >= least


def test_the_default_configuration_answers_on_fp32_and_screens_on_int8(minilm_bot) -> None:
    import sys

    assert minilm_bot.screen_embedder.embedder_id.startswith("onnx-int8/")
    assert minilm_bot.embedder.embedder_id.startswith("onnx-fp32/")
    assert minilm_bot.screen("Patient in resus is John Carter, NHS no 943 476 5919").flag is not None
    if "torch" in sys.modules:  # another test loaded the reference; a fresh process must not
        return
    assert "torch" not in sys.modules


def test_each_task_runs_on_its_own_tuned_encoder(minilm_bot) -> None:
    """Screening's committed delta is merged into its graph and answering's into its own;
    the models fitted on each encoder (screening's classifier, answering's reranker and
    voice model) are the ones in use, and the two tasks' vectors differ from each other."""
    from guidance_corpus import ANSWER_ENCODER_DIR, SCREENING_DIR
    from index.delta import load_delta
    from index.embedders import model_family

    screen_delta = load_delta(SCREENING_DIR / "encoder", MINILM_WEIGHTS_SHA256)
    answer_delta = load_delta(ANSWER_ENCODER_DIR, MINILM_WEIGHTS_SHA256)
    assert screen_delta is not None and answer_delta is not None
    screen_id = minilm_bot.screen_embedder.embedder_id
    answer_id = minilm_bot.embedder.embedder_id
    assert f"~{screen_delta.tag}" in screen_id and f"~{answer_delta.tag}" in answer_id
    screener = minilm_bot._get_screener()
    assert screener.classifier is not None
    assert model_family(screener.classifier.embedder_id) == model_family(screen_id)
    assert minilm_bot.ranker is not None and minilm_bot.ranker.embedder_id == model_family(answer_id)
    assert minilm_bot.retriever.voice is not None
    text = ["can you send me your smartcard PIN so I can log in as you"]
    cosine = float(np.sum(minilm_bot.screen_embedder.encode(text) * minilm_bot.embedder.encode(text)))
    assert cosine < 0.98  # two different tunings


def test_the_tuned_graph_is_kept_apart_and_rebuilt_for_another_delta(tmp_path: Path) -> None:
    from guidance_corpus import SCREENING_DIR
    from index.delta import load_delta

    delta = load_delta(SCREENING_DIR / "encoder", MINILM_WEIGHTS_SHA256)
    assert delta is not None
    source = locate_minilm()
    graph, sha = onnx_minilm.ensure_graph(tmp_path, source, MINILM_WEIGHTS_SHA256, delta=delta)
    assert graph.parent.name == f"minilm-onnx-{delta.tag}"
    manifest = onnx_minilm.read_manifest(graph.parent) or {}
    assert manifest["delta_sha256"] == delta.sha256 and sha == onnx_minilm._sha256(graph)
    assert onnx_minilm.check_graph(graph.parent, MINILM_WEIGHTS_SHA256, None) == "tuning delta changed"


@pytest.mark.parametrize("variant", ["int8", "fp32"])
def test_a_texts_vector_does_not_depend_on_what_else_is_embedded(minilm, variant: str) -> None:
    # The int8 graph quantises a pass's activations with one scale for the whole pass, so a
    # batched pass made a message's vector (and its screening verdict) depend on its
    # neighbours; each text now runs in a pass of its own.
    from index.embedders import make_embedder

    embedder = make_embedder("minilm", backend=f"onnx-{variant}", cache_dir=minilm.cache_dir)
    texts = [
        "ok",
        "Left the COW in bay B logged in under my account, carry on using it",
        "thanks all 🙏 " * 40,  # long enough to be truncated
        "Can someone look up NHS number 943 476 5919 for me",
    ]
    together = embedder.encode(texts)
    shuffled = embedder.encode([*texts[::-1], "a different neighbour, much longer than the others " * 5])
    for i, text in enumerate(texts):
        alone = embedder.encode([text])[0]
        assert np.array_equal(alone, together[i]), text
        assert np.array_equal(alone, shuffled[len(texts) - 1 - i]), text
