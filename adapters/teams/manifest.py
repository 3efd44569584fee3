"""The Teams app package: ``manifest.json`` (schema 1.17) and the two icons, zipped ready to
upload (Teams admin centre, or "Upload a custom app" where the tenant allows it).

The manifest declares the bot in personal, team and group-chat scopes, the ``ask`` command
(message extension, answered in a dialog), "Report to gmcbot" on a message (``report``), and the resource-specific consent permission
``ChannelMessage.Read.Group``, which lets a team owner grant the bot every message of that
team's channels without an @mention (needed to screen monitored channels).

Contract: :func:`manifest` is pure; :func:`write_package` writes one zip and nothing else.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

from bot import ConfigError

SCHEMA = "https://developer.microsoft.com/en-us/json-schemas/teams/v1.17/MicrosoftTeams.schema.json"
MANIFEST_VERSION = "1.17"
RSC_PERMISSION = "ChannelMessage.Read.Group"
COLOR_SIZE = 192
OUTLINE_SIZE = 32
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DOMAIN = re.compile(r"[A-Za-z0-9.-]{1,253}")


def manifest(
    app_id: str, *, version: str = "1.0.0", name: str = "gmcbot", domain: str = "", developer_url: str = ""
) -> dict[str, Any]:
    """The manifest for the Azure Bot whose Microsoft App ID is ``app_id`` (a GUID)."""
    if not _GUID.fullmatch(app_id.strip()):
        raise ConfigError(
            "the Teams app id must be the Azure Bot's Microsoft App ID, a GUID such as "
            "00000000-0000-0000-0000-000000000000: give --app-id or set GMCBOT_TEAMS_APP_ID"
        )
    if domain and not _DOMAIN.fullmatch(domain):
        raise ConfigError(f"--domain must be a host name such as gmcbot.example.nhs.uk, got {domain!r}")
    app_id = app_id.strip().lower()
    site = developer_url or (f"https://{domain}" if domain else "https://github.com/")
    return {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id,
        "developer": {
            "name": "gmcbot",
            "websiteUrl": site,
            "privacyUrl": site,
            "termsOfUseUrl": site,
        },
        "name": {"short": name[:30], "full": "gmcbot: professional guidance on social media"[:100]},
        "description": {
            "short": "Answers from GMC, NMC and HCPC social-media guidance; screens channels for patient data."[:80],
            "full": (
                "Ask about UK professional guidance on social media and messaging and get the paragraph that "
                "answers, with its citation and link. In channels a team owner turns on, gmcbot screens messages "
                "for patient-privacy and conduct risks, tells the poster privately and alerts moderators with a "
                "redacted excerpt. It keeps no patient data."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#005EB8",
        "bots": [
            {
                "botId": app_id,
                "scopes": ["personal", "team", "groupChat"],
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [
                    {
                        "scopes": ["personal", "team", "groupChat"],
                        "commands": [
                            {"title": "can I reply to a patient on Twitter?", "description": "Ask about guidance"},
                            {
                                "title": "profession nurse",
                                "description": "Your regulator's guidance first (profession: show; profession clear)",
                            },
                            {"title": "help", "description": "How to use gmcbot"},
                        ],
                    }
                ],
            }
        ],
        "composeExtensions": [
            {
                "botId": app_id,
                "commands": [
                    {
                        "id": "ask",
                        "type": "action",
                        "title": "Ask gmcbot",
                        "description": "Ask about professional guidance on social media",
                        "context": ["compose", "commandBox"],
                        "fetchTask": False,
                        "parameters": [
                            {
                                "name": "question",
                                "title": "Question",
                                "description": "e.g. can I reply to a patient on Twitter?",
                                "inputType": "textarea",
                            }
                        ],
                    },
                    {
                        "id": "report",
                        "type": "action",
                        "title": "Report to gmcbot",
                        "description": "Send this message to the moderators for review",
                        "context": ["message"],
                        "fetchTask": False,
                        "parameters": [
                            {"name": "note", "title": "Note", "description": "Optional", "inputType": "text"}
                        ],
                    },
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [domain] if domain else [],
        "webApplicationInfo": {"id": app_id, "resource": "https://RscBasedStoreApp"},
        "authorization": {
            "permissions": {"resourceSpecific": [{"name": RSC_PERMISSION, "type": "Application"}]},
        },
    }


def icon_png(size: int, *, outline: bool) -> bytes:
    """A plain icon: NHS blue square with a white speech mark (colour), or a white mark on
    transparency (outline, as Teams requires)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (size, size), (0, 0, 0, 0) if outline else (0, 94, 184, 255))
    draw = ImageDraw.Draw(image)
    m = size // 5
    draw.rounded_rectangle((m, m, size - m, size - 2 * m), radius=max(1, size // 12), fill=(255, 255, 255, 255))
    draw.polygon(
        [(m + size // 8, size - 2 * m), (m + size // 8, size - m), (m + size // 3, size - 2 * m)], fill="white"
    )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def write_package(path: Path, data: dict[str, Any]) -> Path:
    """Write the zip (manifest.json, color.png, outline.png at its root) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        z.writestr("color.png", icon_png(COLOR_SIZE, outline=False))
        z.writestr("outline.png", icon_png(OUTLINE_SIZE, outline=True))
    return path
