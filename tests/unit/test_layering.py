"""The core never imports a platform SDK (architecture principle 3)."""

from __future__ import annotations

import subprocess
import sys

CHECK = (
    "import sys, bot.service, adapters.cli, bot.types, bot.render\n"
    "adapters.cli.build_parser()\n"
    "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('slack_bolt', 'slack_sdk', 'discord', 'microsoft_teams'))\n"
    "assert not bad, bad\n"
)


def test_bot_imports_neither_slack_nor_discord() -> None:
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_the_slack_adapter_package_itself_is_light() -> None:
    code = "import sys, adapters.slack, adapters.base\nassert 'slack_bolt' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
