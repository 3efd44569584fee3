"""Embedder choice: precision from settings and CPU flags, and a clear error for a bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_settings
from bot.errors import ConfigError
from index.embedders import (
    HashingEmbedder,
    SentenceTransformerEmbedder,
    cpu_has_native_bf16,
    make_embedder,
    resolve_precision,
)


def _cpuinfo(tmp_path: Path, flags: str) -> Path:
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nmodel name\t: Example CPU\nflags\t\t: fpu sse2 {flags}\n\n", encoding="utf-8")
    return path


def test_native_bf16_is_read_from_the_cpu_flags(tmp_path: Path) -> None:
    assert cpu_has_native_bf16(_cpuinfo(tmp_path, "avx2 avx512f avx512_bf16"))
    assert cpu_has_native_bf16(_cpuinfo(tmp_path, "avx2 amx_tile amx_bf16"))
    assert not cpu_has_native_bf16(_cpuinfo(tmp_path, "avx2 avx512f avx512_vnni"))
    assert not cpu_has_native_bf16(tmp_path / "missing")


def test_precision_names_the_vectors_it_makes() -> None:
    assert resolve_precision("float32") == "float32"
    assert resolve_precision("auto") in ("float32", "bfloat16")
    plain = SentenceTransformerEmbedder(precision="float32")
    half = SentenceTransformerEmbedder(precision="bfloat16")
    assert plain.embedder_id != half.embedder_id and half.embedder_id.endswith("+bf16")
    assert isinstance(make_embedder("hashing", "bfloat16"), HashingEmbedder)  # no precision to choose


def test_a_bad_precision_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="embed_precision"):
        make_embedder("minilm", "float8")
    settings = load_settings(environ={"GMCBOT_EMBED_PRECISION": "bfloat16"})
    assert settings.embed_precision == "bfloat16"
