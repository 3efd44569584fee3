"""Settings layering: defaults < gmcbot.toml < environment < overrides; secrets hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_settings
from bot.errors import ConfigError


def test_layers_override_in_order(tmp_path: Path) -> None:
    cfg = tmp_path / "gmcbot.toml"
    cfg.write_text('ask_who = "the IG team"\nretention_days = 30\nrate_limit_per_minute = 5\n')
    s = load_settings(cfg, environ={"GMCBOT_RETENTION_DAYS": "60"}, rate_limit_per_minute=7)
    assert s.ask_who == "the IG team" and s.retention_days == 60 and s.rate_limit_per_minute == 7


def test_secrets_come_from_environment_and_never_show_in_repr(tmp_path: Path) -> None:
    s = load_settings(environ={"SLACK_BOT_TOKEN": "xoxb-secret-value", "GMCBOT_PSEUDONYM_KEY": "k3y"})
    assert s.slack_bot_token == "xoxb-secret-value" and s.pseudonym_key == "k3y"
    assert "xoxb-secret-value" not in repr(s) and "k3y" not in repr(s)
    cfg = tmp_path / "gmcbot.toml"
    cfg.write_text('slack_bot_token = "xoxb-in-file"\n')
    with pytest.raises(ConfigError, match="environment only"):
        load_settings(cfg, environ={})


def test_bad_values_and_unknown_keys_are_clear_errors(tmp_path: Path) -> None:
    cfg = tmp_path / "gmcbot.toml"
    cfg.write_text("retention_dayz = 3\n")
    with pytest.raises(ConfigError, match="unknown setting 'retention_dayz'"):
        load_settings(cfg, environ={})
    with pytest.raises(ConfigError, match="GMCBOT_LOG_JSON"):
        load_settings(environ={"GMCBOT_LOG_JSON": "perhaps"})
    cfg.write_text("not = [toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(cfg, environ={})
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml", environ={})


def test_default_paths_follow_xdg(tmp_path: Path) -> None:
    s = load_settings(environ={"GMCBOT_DATA_DIR": str(tmp_path / "d")})
    assert s.index_dir == tmp_path / "d" / "index"
    assert s.effective_database_url.startswith("sqlite:///")
