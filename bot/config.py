"""Settings: defaults < ``gmcbot.toml`` < ``GMCBOT_*`` environment < explicit overrides.

Secrets (platform tokens, the pseudonym key) come from the environment only and are
hidden from ``repr`` so a logged settings object never leaks them.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from bot.errors import ConfigError
from index.errors import default_data_dir

CONFIG_ENV = "GMCBOT_CONFIG"
DEFAULT_CONFIG_NAME = "gmcbot.toml"


@dataclass(frozen=True)
class Settings:
    """Every tunable of the bot. Field names are the TOML keys and, upper-cased with
    ``GMCBOT_`` in front, the environment variables."""

    data_dir: Path = field(default_factory=default_data_dir)
    embedder: str = "minilm"
    embed_precision: str = "auto"
    embed_backend: str = "auto"
    corpus_dirs: tuple[Path, ...] = ()
    import_dir: Path | None = None
    prefer_local: bool = False
    audience: str = "doctors"
    database_url: str = ""
    retention_days: int = 365
    ask_who: str = "your trust's information governance (IG) team"
    # Whom a declined question's asker is pointed to, by topic: "KEY=text" entries with KEY
    # one of rota, estates, it, clinical, hr, ig, regulator, education, other (bot/scope.py).
    decline_routes: tuple[str, ...] = ()
    staff_email_domains: tuple[str, ...] = ("nhs.net",)
    mrn_pattern: str = r"\b[A-Z]{1,3}\d{6,8}\b"
    log_level: str = "INFO"
    log_json: bool = False
    rate_limit_per_minute: int = 10
    slack_api_url: str = ""
    discord_api_url: str = ""
    moderators_channel: str = ""
    delete_flagged: bool = False
    slack_bot_token: str = field(default="", repr=False)
    slack_signing_secret: str = field(default="", repr=False)
    slack_app_token: str = field(default="", repr=False)
    discord_token: str = field(default="", repr=False)
    # Discord catch-up after a restart or a gateway gap (docs/discord.md): per monitored
    # channel at most this many messages, none older than this; 0 messages turns it off
    discord_catchup_max_messages: int = 500
    discord_catchup_max_age_minutes: int = 24 * 60
    # Microsoft Teams (docs/teams.md): the Azure Bot's app id and tenant; the secret from the environment
    teams_app_id: str = ""
    teams_tenant_id: str = ""
    teams_app_secret: str = field(default="", repr=False)
    pseudonym_key: str = field(default="", repr=False)
    # durable work after the acknowledgement (bot/jobs.py, docs/deploy.md)
    job_key: str = field(default="", repr=False)
    job_lease_seconds: int = 30
    job_max_age_seconds: int = 900
    work_queue_limit: int = 2000
    # review console (docs/review.md)
    review_secure_cookies: bool = False  # mark cookies Secure even when the proxy does not say https
    review_oidc_authority: str = ""  # e.g. https://login.microsoftonline.com/TENANT-ID/v2.0
    review_oidc_client_id: str = ""
    review_oidc_client_secret: str = field(default="", repr=False)

    @property
    def routes(self) -> dict[str, str]:
        """``decline_routes`` as a mapping; an unknown key or a malformed entry raises
        :class:`ConfigError`."""
        from bot.scope import DEFAULT_ROUTES

        out: dict[str, str] = {}
        for entry in self.decline_routes:
            key, sep, text = entry.partition("=")
            key = key.strip()
            if not sep or key not in DEFAULT_ROUTES or not text.strip():
                raise ConfigError(
                    f"decline_routes entry {entry!r}: use KEY=text with KEY one of {', '.join(DEFAULT_ROUTES)}"
                )
            out[key] = text.strip()
        return out

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def model_dir(self) -> Path:
        """Where models made on this machine live (the ONNX int8 graph)."""
        return self.data_dir / "models"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'gmcbot.sqlite3'}"

    @property
    def effective_import_dir(self) -> Path:
        return self.import_dir or (self.data_dir / "imported")

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


# Secrets are read from these environment variables only (never from the TOML file).
SECRET_ENV = {
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "slack_app_token": "SLACK_APP_TOKEN",
    "discord_token": "DISCORD_TOKEN",
    "teams_app_secret": "GMCBOT_TEAMS_APP_SECRET",
    "pseudonym_key": "GMCBOT_PSEUDONYM_KEY",
    "job_key": "GMCBOT_JOB_KEY",
    "review_oidc_client_secret": "GMCBOT_REVIEW_OIDC_CLIENT_SECRET",
}


def _coerce(name: str, raw: Any, target: Any, where: str) -> Any:
    """Convert a TOML or environment value to the field's type, or raise ConfigError."""
    type_name = str(target)
    try:
        if type_name in ("Path", "Path | None"):
            return Path(os.path.expanduser(str(raw)))
        if type_name == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(f"expected true or false, got {raw!r}")
        if type_name == "int":
            return int(raw)
        if type_name.startswith("tuple[Path"):
            items = raw if isinstance(raw, list) else str(raw).split(os.pathsep)
            return tuple(Path(os.path.expanduser(str(i))) for i in items if str(i).strip())
        if type_name.startswith("tuple[str"):
            items = raw if isinstance(raw, list) else str(raw).split(",")
            return tuple(str(i).strip() for i in items if str(i).strip())
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: setting '{name}' is invalid: {exc}") from None


def load_settings(
    config_path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build settings from the layers. ``config_path`` defaults to ``$GMCBOT_CONFIG`` or
    ``./gmcbot.toml`` when present. Unknown keys are errors, so typos do not pass silently."""
    env = os.environ if environ is None else environ
    known = {f.name: f for f in fields(Settings)}
    values: dict[str, Any] = {}

    path = config_path or (Path(env[CONFIG_ENV]) if env.get(CONFIG_ENV) else None)
    if path is None and Path(DEFAULT_CONFIG_NAME).is_file():
        path = Path(DEFAULT_CONFIG_NAME)
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        table = data.get("gmcbot", data)
        for key, raw in table.items():
            if key not in known or key in SECRET_ENV:
                hint = " (secrets come from the environment only)" if key in SECRET_ENV else ""
                raise ConfigError(f"{path}: unknown setting '{key}'{hint}")
            values[key] = _coerce(key, raw, known[key].type, str(path))

    for name, spec in known.items():
        if name in SECRET_ENV:
            if env.get(SECRET_ENV[name]):
                values[name] = env[SECRET_ENV[name]]
            continue
        env_name = f"GMCBOT_{name.upper()}"
        if env_name in env:
            values[name] = _coerce(name, env[env_name], spec.type, f"${env_name}")
    if "GMCBOT_CORPUS_DIRS" in env and "corpus_dirs" not in values:
        values["corpus_dirs"] = _coerce(
            "corpus_dirs", env["GMCBOT_CORPUS_DIRS"], "tuple[Path, ...]", "$GMCBOT_CORPUS_DIRS"
        )

    for key, raw in overrides.items():
        if raw is None:
            continue
        if key not in known:
            raise ConfigError(f"unknown setting '{key}'")
        values[key] = raw
    return Settings(**values)
