"""``gmcbot check`` and ``gmcbot eval messages`` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ISSUE_EXAMPLE = "Patient in resus is John Carter, NHS no 943 476 5919"


def gmcbot(*args: str, data: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GMCBOT_EMBEDDER": "hashing", "GMCBOT_DATA_DIR": str(data)}
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args], input=stdin, capture_output=True, text=True, env=env, timeout=120
    )


def test_check_json_has_exactly_the_documented_keys(tmp_path: Path) -> None:
    out = gmcbot("check", "--json", ISSUE_EXAMPLE, data=tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert list(data) == [
        "flagged",
        "category",
        "categories",
        "severity",
        "reasons",
        "citations",
        "redacted",
        "findings",
    ]
    assert data["flagged"] is True
    assert data["category"] == "patient-identifiable"
    assert data["severity"] in ("low", "medium", "high")
    assert data["citations"][0]["id"].startswith("gmc-conf-2017:")
    assert data["redacted"] == "Patient in resus is [NAME], NHS no [NHS-NUMBER]"
    assert {f["kind"] for f in data["findings"]} == {"name", "nhs-number"}
    assert all(set(f) == {"kind", "start", "end"} for f in data["findings"])
    assert "943 476 5919" not in out.stdout and "John Carter" not in out.stdout


def test_check_text_never_repeats_identifiers(tmp_path: Path) -> None:
    out = gmcbot("check", ISSUE_EXAMPLE, data=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "FLAGGED: patient-identifiable" in out.stdout
    assert "paragraph 121" in out.stdout
    assert "943 476 5919" not in out.stdout + out.stderr and "John Carter" not in out.stdout + out.stderr


def test_check_ordinary_message(tmp_path: Path) -> None:
    out = gmcbot("check", "--json", "Bed 12 is now clean and free", data=tmp_path)
    data = json.loads(out.stdout)
    assert data["flagged"] is False and data["category"] is None and data["severity"] is None
    assert data["reasons"] == [] and data["citations"] == []


def test_check_reads_standard_input(tmp_path: Path) -> None:
    out = gmcbot("check", "--json", "-", data=tmp_path, stdin=ISSUE_EXAMPLE + "\n")
    assert json.loads(out.stdout)["flagged"] is True


def test_check_without_text_prints_usage(tmp_path: Path) -> None:
    out = gmcbot("check", data=tmp_path)
    assert out.returncode == 2
    assert "usage:" in out.stderr and "Traceback" not in out.stderr


def test_eval_messages_json_keys(tmp_path: Path) -> None:
    out = gmcbot("eval", "messages", "--json", str(ROOT / "eval" / "messages.jsonl"), data=tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {
        "n",
        "recall",
        "false_alarm_rate",
        "precision",
        "category_accuracy",
        "citation_accuracy",
        "lines",
    }
    assert len(data["lines"]) == data["n"]
    first = data["lines"][0]
    assert set(first) == {"id", "flagged", "category", "cited", "hit", "expected"}
    assert all("text" not in line for line in data["lines"])  # per-line results hold no message text


def test_check_jsonl_screens_a_file_in_order(tmp_path: Path) -> None:
    lines = [
        {"id": "a", "text": ISSUE_EXAMPLE},
        {"id": "b", "text": "Bed 12 is free"},
        {"id": "c", "text": "password is Winter2024!"},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    out = gmcbot("check", "--jsonl", str(source), "--json", data=tmp_path)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["flagged"] for r in rows] == [True, False, True]
    assert rows[0]["redacted"] == "Patient in resus is [NAME], NHS no [NHS-NUMBER]"
    assert "Winter2024" not in out.stdout and "Carter" not in out.stdout
    one = json.loads(gmcbot("check", "--json", lines[1]["text"], data=tmp_path).stdout)
    assert rows[1] == one


def test_check_jsonl_reports_bad_lines_in_place(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "Bed 12 is free"}\nnot json\n{"no_text": 1}\n', encoding="utf-8")
    out = gmcbot("check", "--jsonl", str(source), data=tmp_path)
    assert out.returncode == 1
    assert out.stdout.splitlines()[0].startswith("line 1: No risk found")
    assert "line 2: not a JSON object" in out.stdout and "line 3: not a JSON object" in out.stdout
