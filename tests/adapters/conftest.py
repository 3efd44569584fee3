"""Fixtures for the adapter tests (loopback servers and fakes).

Slack: ``fake_slack`` (the fake Web API), ``slack_data_dir`` (one index for the session)
and ``slack`` (the real Bolt app over HTTP, see ``slack_harness.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.adapters.slack_harness import SlackHarness, running_slack
from tests.fakes.slack_api import FakeSlackApi


# -- Slack --------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def slack_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder shared by the Slack tests, so the hashing index is built once."""
    return tmp_path_factory.mktemp("slack-data")


@pytest.fixture
def fake_slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi(admins={"U0ADMIN"}, not_in_channel={"D0OTHERDM"}) as fake:
        yield fake


@pytest.fixture
def slack(fake_slack: FakeSlackApi, slack_data_dir: Path) -> Iterator[SlackHarness]:
    with running_slack(fake_slack, slack_data_dir) as harness:
        yield harness
