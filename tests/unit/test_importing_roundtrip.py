"""Import, build, ask: the answer cites the imported paragraph by its id and says it
quotes the official text; the index rebuilds itself because the corpus changed."""

from __future__ import annotations

import json
from pathlib import Path

from bot.config import Settings
from bot.importing.importer import ImportRequest, commit_import, prepare_import
from bot.render import citation_notes, render_answer
from bot.service import GuidanceBot
from bot.types import AnswerStatus, Citation, DocStatus
from index.embedders import HashingEmbedder

DATA = Path(__file__).resolve().parent.parent / "data" / "import"
TRUST = {
    "publisher": "Example Hospitals Trust",
    "in_effect": "2024-05-01",
    "url": "https://intranet.example.nhs.uk/policies/social-media",
}


def do_import(settings: Settings, file: str, doc_id: str, local: bool = False, **meta: str) -> Path:
    request = ImportRequest(DATA / file, doc_id, {**TRUST, **meta}, local=local)
    return commit_import(settings, prepare_import(settings, request))


def corpus_hash(settings: Settings) -> str:
    manifest = json.loads((settings.index_dir / "manifest.json").read_text(encoding="utf-8"))
    return str(manifest["corpus_hash"])


def test_local_policy_round_trip(tmp_path: Path) -> None:
    local = tmp_path / "local"
    settings = Settings(data_dir=tmp_path / "data", embedder="hashing", corpus_dirs=(local,), prefer_local=True)
    do_import(settings, "numbered.txt", "local-sm-policy", local=True)
    bot = GuidanceBot(settings, embedder=HashingEmbedder())
    assert "local-sm-policy" in bot.local_docs
    answer = bot.ask("before sharing a picture, check it does not show the layout of the pharmacy store")
    assert answer.status is not AnswerStatus.NO_MATCH
    top = answer.citations[0]
    assert top.id in ("local-sm-policy:4c", "local-sm-policy:4")
    assert top.document.source == "official"
    text = render_answer(answer)
    assert "Quoted from the official text." in text and "paragraph 4" in text
    assert "pharmacy store" in text


def test_override_round_trip_rebuilds_the_index(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", embedder="hashing")
    notices: list[str] = []
    before = GuidanceBot(settings, embedder=HashingEmbedder(), notify=notices.append)
    assert before.ask("turn off message previews on the lock screen").status is not AnswerStatus.NO_MATCH
    digest_hash = corpus_hash(settings)

    do_import(settings, "guidance.html", "gmc-sm-2024")

    after = GuidanceBot(settings, embedder=HashingEmbedder(), notify=notices.append)
    answer = after.ask("messaging app for clinical work: turn off message previews on the lock screen")
    assert any(n.startswith("Rebuilding the guidance index") for n in notices), notices
    assert corpus_hash(settings) != digest_hash
    assert corpus_hash(settings) == after.corpus.fingerprint
    top = answer.citations[0]
    assert top.id in ("gmc-sm-2024:4b", "gmc-sm-2024:4"), [c.id for c in answer.citations]
    assert top.paragraph.text.endswith("(b) turn off message previews on the lock screen; and")
    assert "Quoted from the official text." in citation_notes(top)
    # the digest's search aids stay with the paragraphs of the same confirmed number
    kept = [p for p in after.corpus.paragraphs if p.doc_id == "gmc-sm-2024" and p.asks]
    assert kept and all(p.asks == before.corpus.paragraph(p.id).asks for p in kept)  # type: ignore[union-attr]
    # the other documents are still the digest and say so
    others = [
        c
        for c in after.ask("accept a friend request from a patient on Facebook").citations
        if c.paragraph.doc_id != "gmc-sm-2024"
    ]
    assert others and all("Plain-English digest, not the official wording." in citation_notes(c) for c in others)


def test_superseded_guidance_always_says_what_replaced_it(tmp_path: Path) -> None:
    local = tmp_path / "local"
    settings = Settings(data_dir=tmp_path / "data", embedder="hashing", corpus_dirs=(local,))
    do_import(settings, "numbered-v2.txt", "local-sm-2024", local=True)
    do_import(
        settings,
        "numbered.txt",
        "local-sm-2023",
        local=True,
        status="superseded",
        superseded_by="local-sm-2024",
        superseded_on="2024-05-01",
    )
    bot = GuidanceBot(settings, embedder=HashingEmbedder())
    # paragraph 6 exists only in the old version, so the answer must come from it
    answer = bot.ask("do not mock colleagues for their views, their role or their mistakes; disagree politely")
    top = answer.citations[0]
    assert top.id == "local-sm-2023:6"
    assert "This document was superseded by local-sm-2024 on 2024-05-01" in render_answer(answer)
    # and every paragraph of every superseded document carries the note
    corpus = bot.corpus
    for p in corpus.paragraphs:
        doc = corpus.document(p.doc_id)
        if doc.status is DocStatus.SUPERSEDED:
            notes = " ".join(citation_notes(Citation(p, doc)))
            assert f"superseded by {doc.superseded_by}" in notes


def test_replacing_an_import_with_new_wording_rebuilds_on_the_corpus_hash(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", embedder="hashing")
    do_import(settings, "numbered.txt", "trust-sm")
    notices: list[str] = []
    GuidanceBot(settings, embedder=HashingEmbedder(), notify=notices.append).warm_up()
    edited = tmp_path / "edited.txt"
    edited.write_text(
        (DATA / "numbered.txt").read_text(encoding="utf-8").replace("courtesy", "kindness"), encoding="utf-8"
    )
    request = ImportRequest(edited, "trust-sm", TRUST, replace=True)
    commit_import(settings, prepare_import(settings, request))
    bot = GuidanceBot(settings, embedder=HashingEmbedder(), notify=notices.append)
    answer = bot.ask("treat colleagues with kindness online")
    assert notices[-1].startswith("Rebuilding the guidance index: corpus_hash changed")
    assert answer.citations[0].id == "trust-sm:6" and "kindness" in answer.citations[0].paragraph.text


def test_the_whole_path_through_the_command_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "GMCBOT_EMBEDDER": "hashing", "GMCBOT_DATA_DIR": str(tmp_path)}

    def gmcbot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "adapters.cli", *args], capture_output=True, text=True, env=env, timeout=120
        )

    imported = gmcbot("corpus", "import", str(DATA / "guidance.html"), "--doc-id", "gmc-sm-2024")
    assert imported.returncode == 0, imported.stderr
    asked = gmcbot("ask", "--json", "refer a journalist to the communications team before you say anything")
    assert asked.returncode == 0, asked.stderr
    top = json.loads(asked.stdout)["citations"][0]
    assert top["id"] == "gmc-sm-2024:5" and top["text"].startswith("If a journalist contacts you")
