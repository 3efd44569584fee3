"""The shipped corpus holds every required id; broken files are reported by file and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.corpus import load_corpus
from bot.errors import CorpusError
from bot.types import DocStatus, Numbering
from guidance_corpus import DOCUMENTS_DIR

SPEC_IDS = {
    "gmc-sm-2024": "1 2 4 7 9 14 15 18 19 8 20 3",
    "gmc-sm-2013": "1 2 4 5 6 7 17 18 3 8 9 10 11 12 13 14 15 16 19 20",
    "gmc-gmp-2024": "16 19 36 48 49 52 53 54 55 56 57 58 59 75c 81 82 83 84 86 87 88 89 90 93 94 95 96 22",
    "gmc-conf-2017": "117 118 119 120 121 principles",
    "gmc-rec-2011": "10 11 12 13 14 15 16 17 24",
    "bma-sm-2011": "kp1 kp2 kp3 kp4 kp5 kp6 kp7 kp8",
}
RECONSTRUCTED = {"gmc-sm-2024:8", "gmc-sm-2024:20", "gmc-sm-2024:3", "gmc-gmp-2024:22", "gmc-conf-2017:principles"} | {
    f"gmc-sm-2013:{n}" for n in "3 8 9 10 11 12 13 14 15 16 19 20".split()
}

GOOD_DOC = """# local-policy
title: Local social media policy
publisher: Example NHS Trust
status: current
in_effect: 2025-01-01
url: https://example.org/policy

## 1
heading: Scope
numbering: confirmed

Staff follow this policy on every platform.
"""


def test_shipped_corpus_has_every_required_paragraph() -> None:
    corpus = load_corpus()
    for doc_id, numbers in SPEC_IDS.items():
        for number in numbers.split():
            assert corpus.paragraph(f"{doc_id}:{number}") is not None, f"{doc_id}:{number} missing"
    for pid in RECONSTRUCTED:
        para = corpus.paragraph(pid)
        assert para is not None and para.numbering is Numbering.RECONSTRUCTED, pid
    for doc_id in ("nmc-sm", "hcpc-sm-2024", "nhse-messaging"):
        assert sum(p.doc_id == doc_id for p in corpus.paragraphs) >= 3
    old = corpus.documents["gmc-sm-2013"]
    assert old.status is DocStatus.SUPERSEDED and old.superseded_by == "gmc-sm-2024"
    assert all(d.url.startswith("http") for d in corpus.documents.values())


def test_paragraph_ids_are_stable_and_well_formed() -> None:
    first, second = load_corpus(), load_corpus()
    assert [p.id for p in first.paragraphs] == [p.id for p in second.paragraphs]
    assert first.fingerprint == second.fingerprint
    assert all(re.fullmatch(r"[a-z0-9-]+:[a-z0-9-]+", p.id) for p in first.paragraphs)


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(tmp_path: Path, text: str, name: str = "local-policy.md") -> list[str]:
    _write(tmp_path / "docs", name, text)
    with pytest.raises(CorpusError) as err:
        load_corpus(base_dir=tmp_path / "docs")
    return err.value.problems


def test_a_good_local_document_loads_beside_the_shipped_ones(tmp_path: Path) -> None:
    _write(tmp_path / "local", "local-policy.md", GOOD_DOC)
    corpus = load_corpus(extra_dirs=[tmp_path / "local"])
    assert corpus.paragraph("local-policy:1") is not None
    assert corpus.paragraph("gmc-sm-2024:18") is not None


@pytest.mark.parametrize(
    ("mutate", "line", "words"),
    [
        (lambda t: t.replace("status: current", "status: draft"), 1, "unknown status 'draft'"),
        (lambda t: t.replace("title: Local social media policy\n", ""), 1, "missing the required field 'title'"),
        (lambda t: t.replace("Staff follow this policy on every platform.\n", ""), 8, "empty text"),
        (lambda t: t.replace("numbering: confirmed\n", ""), 8, "missing the required field 'numbering'"),
        (
            lambda t: t + "\n## 1\nheading: Again\nnumbering: confirmed\n\nSame id twice.\n",
            14,
            "duplicate paragraph id 'local-policy:1'",
        ),
        (lambda t: t.replace("numbering: confirmed", "numbering: maybe"), 8, "unknown numbering 'maybe'"),
        (lambda t: t.replace("# local-policy", "# other-id"), 1, "does not match the file name"),
        (
            lambda t: t.replace("numbering: confirmed", "numbering: confirmed\nasks: " + " | ".join(["Why?"] * 9)),
            8,
            "has 9 asks",
        ),
    ],
)
def test_broken_documents_name_file_and_line(tmp_path: Path, mutate, line: int, words: str) -> None:
    problems = _problems(tmp_path, mutate(GOOD_DOC))
    assert any(f"local-policy.md:{line}:" in p and words in p for p in problems), problems


def test_a_clashing_doc_id_in_a_local_folder_is_an_error(tmp_path: Path) -> None:
    clash = GOOD_DOC.replace("# local-policy", "# gmc-sm-2024")
    _write(tmp_path / "local", "gmc-sm-2024.md", clash)
    with pytest.raises(CorpusError) as err:
        load_corpus(extra_dirs=[tmp_path / "local"])
    assert "already used" in str(err.value)


def test_non_utf8_file_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "bad.md").write_bytes(b"# bad\ntitle: \xff\xfe\n")
    with pytest.raises(CorpusError) as err:
        load_corpus(base_dir=folder)
    assert "bad.md" in str(err.value) and "UTF-8" in str(err.value)


def test_shipped_documents_folder_is_the_package_data() -> None:
    assert (DOCUMENTS_DIR / "gmc-sm-2024.md").is_file()


def test_asks_are_split_on_bars_and_change_the_fingerprint(tmp_path: Path) -> None:
    plain = GOOD_DOC
    asked = GOOD_DOC.replace(
        "numbering: confirmed", "numbering: confirmed\nasks: Does this cover X, Y and Z? |  | Can I, though?"
    )
    _write(tmp_path / "a", "local-policy.md", plain)
    _write(tmp_path / "b", "local-policy.md", asked)
    before, after = load_corpus(base_dir=tmp_path / "a"), load_corpus(base_dir=tmp_path / "b")
    para = after.paragraph("local-policy:1")
    assert para is not None and para.asks == ("Does this cover X, Y and Z?", "Can I, though?")
    assert para.text == "Staff follow this policy on every platform."
    assert before.fingerprint != after.fingerprint
