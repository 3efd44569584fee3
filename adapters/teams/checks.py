"""Start-up checks for ``gmcbot serve teams`` (no SDK import, so they fail fast)."""

from __future__ import annotations

import ipaddress

from bot import ConfigError, Settings


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_credentials(settings: Settings, *, host: str, insecure: bool) -> None:
    """Fail fast with what to do next: secure mode needs the app id and secret; local
    testing needs a loopback host."""
    if insecure:
        if not is_loopback(host):
            raise ConfigError(
                f"--insecure-local-testing accepts unauthenticated activities, so it only binds a loopback "
                f"address (127.0.0.1 or ::1), not {host}; drop the flag and set GMCBOT_TEAMS_APP_ID and "
                "GMCBOT_TEAMS_APP_SECRET to serve other hosts"
            )
        return
    missing = [
        name
        for name, value in (
            ("GMCBOT_TEAMS_APP_ID", settings.teams_app_id),
            ("GMCBOT_TEAMS_APP_SECRET", settings.teams_app_secret),
        )
        if not value
    ]
    if missing:
        raise ConfigError(
            f"{' and '.join(missing)} not set: put the Azure Bot's Microsoft App ID and a client secret in the "
            "environment (see docs/teams.md), or use --insecure-local-testing on 127.0.0.1 for a local trial"
        )
