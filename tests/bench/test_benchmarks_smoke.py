"""The benchmark suite's smoke mode runs end to end (so the benchmark code cannot rot).
Timings are not checked: only that every section ran and the report and plots exist."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.model

SECTIONS = (
    "Retrieval quality",
    "Screening quality",
    "Speed",
    "Memory",
    "Scale",
    "Faster embedding",
    "Reading images (OCR)",
)


def test_smoke_run_writes_every_section(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.__main__ import main

    assert main(["--smoke", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    report = (tmp_path / "benchmarks.md").read_text(encoding="utf-8")
    for title in SECTIONS:
        assert title in report and title in printed
    assert "Sections that failed" not in report
    for plot in ("retrieval.png", "latency.png", "scale.png", "embedding.png"):
        assert (tmp_path / "benchmarks" / plot).stat().st_size > 1000
        assert f"(benchmarks/{plot})" in report
    results = json.loads((tmp_path / "benchmarks" / "results.json").read_text(encoding="utf-8"))
    assert results["smoke"] is True and not results["failures"]
    assert results["sections"]["speed"]["ask_ms"]["p50"] > 0


def test_bad_section_name_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.__main__ import main

    with pytest.raises(SystemExit) as exc:
        main(["--only", "retrieval,nonsense"])
    assert exc.value.code == 2
    assert "unknown section(s): nonsense" in capsys.readouterr().err
