"""Starting ``gmcbot serve slack --http`` on damaged data: a corrupt index file is
rebuilt (and said so) before the server reports ready; a corpus file with an error
stops the start with a clear message naming the file and line, and no traceback."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

from tests.adapters.slack_harness import SlackHarness
from tests.fakes.slack_api import RESPONSE_METHOD, FakeSlackApi
from tests.load.world import ROOT, child_env, prepare_world, served_slack


def test_a_corrupt_index_file_is_rebuilt_at_start(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    prepare_world(data_dir, "hashing")
    vectors = data_dir / "index" / "vectors.faiss"
    damaged = bytearray(vectors.read_bytes())
    middle = len(damaged) // 2
    # Inverted, not zeroed: the hashing embedder's vectors are mostly zeros, so zeroing a
    # stretch could leave the file as it was.
    damaged[middle : middle + 64] = bytes(b ^ 0xFF for b in damaged[middle : middle + 64])
    vectors.write_bytes(bytes(damaged))
    with FakeSlackApi() as fake, served_slack(fake, data_dir) as served:
        assert "Rebuilding the guidance index: vector file corrupt (checksum mismatch)" in served.log
        status, body = served.get("/healthz")
        assert (status, json.loads(body)["ready"]) == (200, True)
        harness = SlackHarness(fake, None, served.url)  # type: ignore[arg-type]  # the bot is in the child
        assert harness.command("can I post a photo of a patient's x-ray?", name="after-rebuild")[0] == 200
        reply = fake.wait_for(RESPONSE_METHOD, timeout=30)[0]
        assert "Sorry" not in reply.text_dump()
    manifest = json.loads((data_dir / "index" / "manifest.json").read_text(encoding="utf-8"))
    assert hashlib.sha256(vectors.read_bytes()).hexdigest() == manifest["vectors_sha256"]


def test_a_corpus_file_with_an_error_stops_the_start_with_a_clear_message(tmp_path: Path) -> None:
    local = tmp_path / "local"
    local.mkdir()
    (local / "ward-policy.md").write_text(
        "# ward-policy\ntitle: Ward social media policy\naudience: doctors\npublisher: Trust\nstatus: draft\n"
        "in_effect: 2024-01\nurl: https://trust.example/policy\n\n## 1\nheading: Photos\nnumbering: confirmed\n\n"
        "No photos on the ward.\n",
        encoding="utf-8",
    )
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with FakeSlackApi() as fake:
        started = time.monotonic()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "adapters.cli",
                "--data-dir",
                str(data_dir),
                "--embedder",
                "hashing",
                "serve",
                "slack",
                "--http",
                "--port",
                "0",
            ],
            cwd=ROOT,
            env=child_env(fake, "xoxb-test", {"GMCBOT_CORPUS_DIRS": str(local)}),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert proc.returncode == 1, proc.stderr
    assert "gmcbot: the guidance corpus has 1 problem(s):" in proc.stderr
    assert "ward-policy.md:1:" in proc.stderr and "unknown status 'draft'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert time.monotonic() - started < 60
