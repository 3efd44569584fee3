"""Layering: the core never imports a platform SDK (architecture principle 3), nothing in
`bot/` imports `adapters`, nothing in `index/` imports `bot`, and every adapter uses only
the public surface (`from bot import ...`)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

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


# -- the direction of every import (issue 15) ------------------------------------------------
ROOT = Path(__file__).resolve().parents[2]


def imports_of(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """Every import in a file (also inside functions): (module, names imported from it)."""
    found: list[tuple[str, tuple[str, ...]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, tuple(alias.name for alias in node.names)))
    return found


def files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_the_core_imports_no_adapter() -> None:
    bad = [
        f"{p.relative_to(ROOT)}: {m}" for p in files("bot") for m, _ in imports_of(p) if m.split(".")[0] == "adapters"
    ]
    assert bad == []


def test_the_index_imports_nothing_from_the_core() -> None:
    bad = [f"{p.relative_to(ROOT)}: {m}" for p in files("index") for m, _ in imports_of(p) if m.split(".")[0] == "bot"]
    assert bad == []


def test_adapters_use_only_the_public_surface() -> None:
    """Every adapter (Slack, Discord, the console, the CLI, the review console and any new
    platform) imports ``from bot import NAME`` with NAME in ``bot.__all__``, and nothing deeper."""
    import bot

    surface = set(bot.__all__)
    checked = files("adapters")
    assert {p.relative_to(ROOT / "adapters").parts[0] for p in checked} >= {"slack", "discord", "cli", "review_web"}
    bad = []
    for path in checked:
        for module, names in imports_of(path):
            if module == "bot":
                bad += [f"{path.relative_to(ROOT)}: bot.{n} is not public" for n in names if n not in surface]
            elif module.startswith("bot."):
                bad.append(f"{path.relative_to(ROOT)}: imports {module} (use `from bot import ...`)")
    assert bad == []


def test_the_public_surface_resolves() -> None:
    import bot

    assert sorted(bot.__all__) == sorted(bot._EXPORTS)
    for name in bot.__all__:
        assert getattr(bot, name) is not None, name


def test_importing_the_surface_is_light() -> None:
    code = "import sys, bot\nheavy = sorted(m for m in ('numpy', 'faiss', 'torch', 'onnxruntime') if m in sys.modules)\nassert not heavy, heavy"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
