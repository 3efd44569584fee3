"""``gmcbot settings``: view and change per-channel settings from the command line
(the same settings workspace admins change from chat).

    gmcbot settings channel slack C0123 --workspace T0456            # show
    gmcbot settings channel slack C0123 --workspace T0456 --monitored on --sensitivity high
    gmcbot settings list
"""

from __future__ import annotations

import argparse
import dataclasses
import json

from adapters.cli.common import records_from
from bot import ChannelSettings, Platform

# bot.store.models.SENSITIVITIES, spelled out so that `gmcbot --help` imports no
# SQLAlchemy (tests/unit/test_cli.py checks they match).
SENSITIVITIES = ("low", "normal", "high")
# bot.audience.AUDIENCES, likewise; "none" clears a channel's audience.
AUDIENCES = ("doctors", "nurses", "ahp")

ON_OFF = {"on": True, "off": False}
PLATFORMS = [p.value for p in Platform if p is not Platform.CONSOLE]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = sub.add_parser(
        "settings",
        help="view or change per-channel settings",
        description="Per-channel settings: whether the bot screens a channel, where "
        "moderator notices go, how sensitive screening is, whose guidance answers put first. "
        "Channels are not monitored until turned on.",
    )
    ssub = group.add_subparsers(dest="settings_command", metavar="ACTION", required=True)

    ch = ssub.add_parser(
        "channel",
        help="show one channel's settings, or change them",
        description="Show a channel's settings; with any of --monitored, --moderators, "
        "--sensitivity or --audience, change them and show the result.",
    )
    ch.add_argument("platform", choices=PLATFORMS, help="the chat platform")
    ch.add_argument("channel", help="the channel id (Slack C…/G…, Discord channel snowflake, Teams 19:…@thread.tacv2)")
    ch.add_argument(
        "--workspace",
        default="",
        metavar="ID",
        help="Slack team id (T…), Discord server id or Teams team id (its groupId); as the bot sees it",
    )
    ch.add_argument("--monitored", choices=sorted(ON_OFF), help="screen messages in this channel or not")
    ch.add_argument(
        "--moderators", metavar="CHANNEL", help='channel id for moderator notices ("" to use the bot-wide default)'
    )
    ch.add_argument("--sensitivity", choices=SENSITIVITIES, help="how readily screening flags messages")
    ch.add_argument(
        "--audience",
        choices=(*AUDIENCES, "none"),
        help="whose guidance answers to questions asked here put first, after a profession the question "
        "names and the asker's saved one (none: the voice model's guess, then the bot-wide default)",
    )
    ch.add_argument("--json", action="store_true", help="print JSON")
    ch.set_defaults(func=cmd_channel)

    ls = ssub.add_parser("list", help="every channel with stored settings")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(func=cmd_list)


def settings_json(s: ChannelSettings) -> dict[str, object]:
    data = dataclasses.asdict(s)
    data["platform"] = s.platform.value
    return data


def render(s: ChannelSettings) -> str:
    where = "/".join(x for x in (s.platform.value, s.workspace, s.channel) if x)
    moderators = s.moderators_channel or "(bot-wide default)"
    return (
        f"{where}: {'monitored' if s.monitored else 'not monitored'}, "
        f"moderators {moderators}, sensitivity {s.sensitivity}, audience {s.audience or '(bot-wide default)'}"
    )


def cmd_channel(args: argparse.Namespace) -> int:
    records = records_from(args)
    try:
        current = records.channel_settings(Platform(args.platform), args.workspace, args.channel)
        changed = dataclasses.replace(
            current,
            monitored=ON_OFF[args.monitored] if args.monitored is not None else current.monitored,
            moderators_channel=args.moderators.strip() if args.moderators is not None else current.moderators_channel,
            sensitivity=args.sensitivity or current.sensitivity,
            audience=current.audience if args.audience is None else ("" if args.audience == "none" else args.audience),
        )
        if changed != current:
            current = records.update_channel_settings(changed)
    finally:
        records.close()
    print(json.dumps(settings_json(current), indent=2) if args.json else render(current))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    records = records_from(args)
    try:
        rows = records.all_channel_settings()
    finally:
        records.close()
    if args.json:
        print(json.dumps([settings_json(s) for s in rows], indent=2))
    elif not rows:
        print("No channel has stored settings; every channel is unmonitored.")
    else:
        print("\n".join(render(s) for s in rows))
    return 0
