"""``gmcbot teams manifest``: write the Teams app package (manifest with the RSC permission
``ChannelMessage.Read.Group``, and icons) ready to upload."""

from __future__ import annotations

import argparse
from pathlib import Path

from adapters.cli.common import settings_from


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = sub.add_parser("teams", help="Microsoft Teams set-up (the app package)")
    tsub = group.add_subparsers(dest="teams_command", metavar="ACTION", required=True)
    m = tsub.add_parser(
        "manifest",
        help="write the Teams app package (manifest.json, color.png, outline.png) as a zip",
        description="Write the app package to upload in Teams (or the Teams admin centre). The bot id is the "
        "Azure Bot's Microsoft App ID (--app-id, or GMCBOT_TEAMS_APP_ID). See docs/teams.md.",
    )
    m.add_argument("--app-id", metavar="GUID", help="the Microsoft App ID (default: GMCBOT_TEAMS_APP_ID)")
    m.add_argument("--out", type=Path, default=Path("gmcbot-teams.zip"), help="where to write the zip")
    m.add_argument("--domain", default="", help="the host name gmcbot is served on (added to validDomains)")
    m.add_argument("--version", dest="app_version", default="1.0.0", help="the package version (default 1.0.0)")
    m.set_defaults(func=cmd_manifest)


def cmd_manifest(args: argparse.Namespace) -> int:
    from adapters.teams.manifest import manifest, write_package

    settings = settings_from(args)
    data = manifest(args.app_id or settings.teams_app_id, version=args.app_version, domain=args.domain)
    path = write_package(args.out, data)
    print(f"wrote {path} (bot {data['id']}, RSC {data['authorization']['permissions']['resourceSpecific'][0]['name']})")
    return 0
