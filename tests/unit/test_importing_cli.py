"""``gmcbot corpus import`` and ``gmcbot corpus diff`` as a user meets them: the preview,
where files go, clashes, and bad input that writes nothing and shows no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from adapters.cli import main
from tests.unit.pdf_fixture import make_scanned_pdf

DATA = Path(__file__).resolve().parent.parent / "data" / "import"
NEW_DOC = [
    "--publisher",
    "Example Hospitals Trust",
    "--in-effect",
    "2024-05-01",
    "--url",
    "https://intranet.example.nhs.uk/policies/social-media",
]


def gmcbot(data: Path, *args: str) -> int:
    return main(["--data-dir", str(data), "--embedder", "hashing", *args])


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def local_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "local"
    monkeypatch.setenv("GMCBOT_CORPUS_DIRS", str(folder))
    return folder


def test_dry_run_shows_the_preview_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = gmcbot(tmp_path, "corpus", "import", str(DATA / "numbered.txt"), "--doc-id", "gmc-sm-2024", "--dry-run")
    out = capsys.readouterr().out
    assert code == 0
    assert "found:      9 paragraphs (6 numbered, 3 sub-items) under 3 heading(s)" in out
    assert 'first:      1 (About this guidance), line 8: "This guidance explains' in out
    assert "last:       7 (Working with colleagues), line 31:" in out
    assert "gaps:       5 missing (before paragraph 6, line 28)" in out
    assert "duplicates: none" in out
    assert "replaces:   the plain-English digest of gmc-sm-2024" in out
    assert "Dry run: nothing written." in out
    assert files_under(tmp_path) == []


def test_override_goes_to_the_import_folder_and_needs_replace_the_second_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["corpus", "import", str(DATA / "guidance.html"), "--doc-id", "gmc-sm-2024"]
    assert gmcbot(tmp_path, *args) == 0
    written = tmp_path / "imported" / "gmc-sm-2024.md"
    text = written.read_text(encoding="utf-8")
    assert "source: official" in text and "title: Using social media as a medical professional" in text
    assert "## 4b\nheading: Protecting patients\u2019 information\nnumbering: confirmed" in text
    capsys.readouterr()
    assert gmcbot(tmp_path, "corpus", "list") == 0
    listing = capsys.readouterr().out
    row = next(line for line in listing.splitlines() if line.startswith("gmc-sm-2024 "))
    assert "official" in row and "8" in row.split()  # 8 imported paragraphs
    assert next(line for line in listing.splitlines() if line.startswith("gmc-sm-2013 ")).split()[4] == "digest"

    before = written.read_bytes()
    assert gmcbot(tmp_path, *args) == 1
    assert "already imported" in capsys.readouterr().err and written.read_bytes() == before
    assert gmcbot(tmp_path, *args, "--replace", "--title", "Official title") == 0
    assert "(replacing the earlier import)" in capsys.readouterr().out
    assert "title: Official title" in written.read_text(encoding="utf-8")


def test_local_policy_goes_to_the_local_folder(
    tmp_path: Path, local_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = gmcbot(
        tmp_path / "data",
        "corpus",
        "import",
        str(DATA / "notes.md"),
        "--doc-id",
        "local-sm-policy",
        "--local",
        *NEW_DOC,
    )
    assert code == 0, capsys.readouterr().err
    assert files_under(local_dir) == ["local-sm-policy.md"]
    text = (local_dir / "local-sm-policy.md").read_text(encoding="utf-8")
    assert "title: Example trust note on messaging groups" in text  # the file's own title
    assert "publisher: Example Hospitals Trust" in text and "source: official" in text
    assert "the trust's own policy" in capsys.readouterr().out


def test_local_needs_a_configured_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = gmcbot(
        tmp_path, "corpus", "import", str(DATA / "notes.md"), "--doc-id", "local-sm-policy", "--local", *NEW_DOC
    )
    assert code == 1 and "set corpus_dirs" in capsys.readouterr().err
    assert files_under(tmp_path) == []


@pytest.mark.parametrize(
    ("doc_id", "extra", "message"),
    [
        ("gmc-sm-2024", ["--local"], "is a shipped document; a trust's own policy needs a new doc id"),
        ("taken-policy", [], "is already used by"),
        ("Bad Id", [], "must be lowercase letters, digits and hyphens"),
        ("new-policy", ["--status", "superseded"], "needs --superseded-by"),
        ("new-policy", ["--superseded-by", "no-such-doc", "--status", "superseded"], "unknown document 'no-such-doc'"),
        ("new-policy", ["--in-effect", "May 2024"], "must be YYYY-MM-DD"),
    ],
)
def test_clashes_and_bad_options_are_refused_and_write_nothing(
    tmp_path: Path, local_dir: Path, capsys: pytest.CaptureFixture[str], doc_id: str, extra: list[str], message: str
) -> None:
    local_dir.mkdir()
    taken = local_dir / "taken-policy.md"
    taken.write_text(
        "# taken-policy\ntitle: T\npublisher: P\nstatus: current\nin_effect: 2024\n"
        "url: https://e.org\n\n## 1\nheading: H\nnumbering: confirmed\n\nText.\n",
        encoding="utf-8",
    )
    data = tmp_path / "data"
    code = gmcbot(data, "corpus", "import", str(DATA / "numbered.txt"), "--doc-id", doc_id, *NEW_DOC, *extra)
    err = capsys.readouterr().err
    assert code == 1 and message in err
    assert files_under(local_dir) == ["taken-policy.md"] and files_under(tmp_path / "data") == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.txt", "the file is empty"),
        ("scan.pdf", "no text layer"),
        ("no-numbers.html", "no numbered paragraphs found in this HTML file; the text starts at line 4"),
        ("missing.txt", "no such file"),
    ],
)
def test_bad_input_gives_a_clear_error_without_traceback(tmp_path: Path, name: str, message: str) -> None:
    source = DATA / name
    if name == "empty.txt":
        source = tmp_path / name
        source.write_text("")
    elif name == "scan.pdf":
        source = make_scanned_pdf(tmp_path / name)
    elif name == "missing.txt":
        source = tmp_path / name
    data = tmp_path / "data"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "adapters.cli",
            "--data-dir",
            str(data),
            "--embedder",
            "hashing",
            "corpus",
            "import",
            str(source),
            "--doc-id",
            "gmc-sm-2024",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1
    assert message in out.stderr and "Traceback" not in out.stderr
    assert not data.exists()


def test_numbering_problems_stop_the_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "dup.txt"
    source.write_text("1 First rule.\n\n2 Second rule.\n\n2 Second rule pasted again.\n", encoding="utf-8")
    args = ["corpus", "import", str(source), "--doc-id", "gmc-sm-2024"]
    assert gmcbot(tmp_path / "data", *args, "--dry-run") == 1
    assert "duplicates: 1" in capsys.readouterr().out
    assert gmcbot(tmp_path / "data", *args) == 1
    captured = capsys.readouterr()
    assert "line 5: paragraph 2 appears twice (first at line 3)" in captured.err
    assert "nothing was written" in captured.err
    assert not (tmp_path / "data").exists()


def test_a_corpus_that_would_not_load_is_rolled_back(
    tmp_path: Path, local_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The written file is checked by loading the whole corpus; on failure nothing stays."""
    local_dir.mkdir()
    (local_dir / "broken.md").write_text("# broken\ntitle: T\n", encoding="utf-8")
    data = tmp_path / "data"
    code = gmcbot(data, "corpus", "import", str(DATA / "numbered.txt"), "--doc-id", "gmc-sm-2024")
    err = capsys.readouterr().err
    assert code == 1 and "nothing was written" in err and "broken.md" in err
    assert files_under(data) == []


def test_diff_between_an_imported_doc_id_and_a_new_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert gmcbot(tmp_path, "corpus", "import", str(DATA / "numbered.txt"), "--doc-id", "trust-sm", *NEW_DOC) == 0
    capsys.readouterr()
    assert gmcbot(tmp_path, "corpus", "diff", "trust-sm", str(DATA / "numbered-v2.txt")) == 0
    out = capsys.readouterr().out
    assert "1 added, 1 removed, 1 changed, 0 renumbered, 7 unchanged" in out
    assert "+ added 8 (Working with colleagues): Do not send work messages" in out
    assert "- removed 6 (Working with colleagues): Treat colleagues with courtesy online." in out
    assert "~ changed 3:" in out and "even [-if you leave out their-] {+without a+} name." in out


def test_diff_finds_renumbered_paragraphs_and_reads_shipped_digests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = tmp_path / "old.txt"
    new = tmp_path / "new.txt"
    old.write_text("1 Keep patient details out of every post you make.\n\n2 Ask before you photograph anyone.\n")
    new.write_text("1 Ask before you photograph anyone.\n\n2 Keep patient details out of every post you make.\n")
    assert gmcbot(tmp_path, "corpus", "diff", str(old), str(new)) == 0
    out = capsys.readouterr().out
    assert "0 added, 0 removed, 2 changed" in out  # matched by number first
    new.write_text("2 Ask before you photograph anyone.\n\n3 Keep patient details out of every post you make.\n")
    assert gmcbot(tmp_path, "corpus", "diff", str(old), str(new)) == 0
    out = capsys.readouterr().out
    assert "> renumbered 1 -> 3 (same text)" in out and "0 changed, 1 renumbered, 1 unchanged" in out
    assert gmcbot(tmp_path, "corpus", "diff", "shipped:gmc-sm-2024", "gmc-sm-2024") == 0
    assert "The two versions have the same paragraphs." in capsys.readouterr().out
    assert gmcbot(tmp_path, "corpus", "diff", "no-such-doc", "gmc-sm-2024") == 1
    assert "neither a file nor a doc id" in capsys.readouterr().err
