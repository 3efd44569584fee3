"""Discord API payloads as the gateway and REST API send them (API v10), for the fake
server's replies and for inbound events fed to discord.py's own parsers."""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from typing import Any

DISCORD_EPOCH_MS = 1420070400000
_counter = itertools.count(1)

Json = dict[str, Any]

# Permission bits (https://discord.com/developers/docs/topics/permissions).
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
READ_MESSAGE_HISTORY = 1 << 16
MANAGE_GUILD = 1 << 5
MEMBER_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | READ_MESSAGE_HISTORY


def snowflake() -> int:
    """A fresh, increasing snowflake id."""
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_counter) & 0x3FFFFF)


def timestamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000+00:00", time.gmtime())


def user(user_id: int, name: str, bot: bool = False) -> Json:
    return {
        "id": str(user_id),
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def role(role_id: int, name: str, permissions: int) -> Json:
    return {
        "id": str(role_id),
        "name": name,
        "permissions": str(permissions),
        "position": 0,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": True,
        "flags": 0,
    }


def member(u: Json, roles: Sequence[int] = ()) -> Json:
    return {
        "user": u,
        "roles": [str(r) for r in roles],
        "joined_at": timestamp(),
        "deaf": False,
        "mute": False,
        "flags": 0,
        "nick": None,
    }


def text_channel(channel_id: int, guild_id: int, name: str, position: int = 0) -> Json:
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "parent_id": None,
        "nsfw": False,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
    }


def thread(thread_id: int, guild_id: int, parent_id: int, owner_id: int, name: str = "handover") -> Json:
    """A public thread (type 11) under a text channel."""
    return {
        "id": str(thread_id),
        "type": 11,
        "guild_id": str(guild_id),
        "parent_id": str(parent_id),
        "owner_id": str(owner_id),
        "name": name,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": timestamp(),
            "locked": False,
        },
    }


def dm_channel(channel_id: int, recipient: Json) -> Json:
    return {"id": str(channel_id), "type": 1, "recipients": [recipient], "last_message_id": None}


def guild(
    guild_id: int,
    owner_id: int,
    channels: list[Json],
    roles: list[Json],
    members: list[Json],
    threads: Sequence[Json] = (),
) -> Json:
    """A GUILD_CREATE event body."""
    return {
        "id": str(guild_id),
        "name": "Teaching hospital staff",
        "icon": None,
        "owner_id": str(owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "features": [],
        "mfa_level": 0,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": 0,
        "preferred_locale": "en-GB",
        "public_updates_channel_id": None,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "emojis": [],
        "stickers": [],
        "roles": roles,
        "channels": channels,
        "threads": list(threads),
        "members": members,
        "voice_states": [],
        "presences": [],
        "member_count": len(members),
        "large": False,
        "unavailable": False,
        "joined_at": timestamp(),
        "stage_instances": [],
        "guild_scheduled_events": [],
        "application_id": None,
        "max_members": 500000,
    }


def message(
    message_id: int,
    channel_id: int,
    author: Json,
    content: str,
    *,
    guild_id: int | None = None,
    author_member: Json | None = None,
    mentions: Sequence[Json] = (),
    mention_roles: Sequence[int] = (),
    mention_everyone: bool = False,
    embeds: Sequence[Json] = (),
    components: Sequence[Json] = (),
    attachments: Sequence[Json] = (),
    flags: int = 0,
    webhook_id: int | None = None,
    reference: Json | None = None,
) -> Json:
    """A message object (MESSAGE_CREATE body when ``guild_id`` and ``author_member`` are set)."""
    data: Json = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": timestamp(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": mention_everyone,
        "mentions": list(mentions),
        "mention_roles": [str(r) for r in mention_roles],
        "attachments": list(attachments),
        "embeds": list(embeds),
        "pinned": False,
        "type": 19 if reference else 0,
        "flags": flags,
        "components": list(components),
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    if author_member is not None:
        data["member"] = {k: v for k, v in author_member.items() if k != "user"}
    if webhook_id is not None:
        data["webhook_id"] = str(webhook_id)
    if reference is not None:
        data["message_reference"] = reference
    return data


def image_attachment(name: str = "photo.jpg") -> Json:
    return {
        "id": str(snowflake()),
        "filename": name,
        "size": 1024,
        "url": f"https://cdn.example/{name}",
        "proxy_url": f"https://media.example/{name}",
        "content_type": "image/jpeg",
        "width": 10,
        "height": 10,
    }


def interaction(
    kind: int,
    data: Json,
    *,
    app_id: int,
    user_json: Json,
    guild_id: int | None = None,
    channel: Json | None = None,
    member_json: Json | None = None,
    permissions: int = MEMBER_PERMISSIONS,
    app_permissions: int = MEMBER_PERMISSIONS,
    message_json: Json | None = None,
) -> Json:
    """An INTERACTION_CREATE body: ``kind`` 2 for a slash command, 3 for a button click."""
    body: Json = {
        "id": str(snowflake()),
        "application_id": str(app_id),
        "type": kind,
        "data": data,
        "token": f"itoken-{snowflake()}",
        "version": 1,
        "locale": "en-GB",
        "app_permissions": str(app_permissions),
        "attachment_size_limit": 8 * 1024 * 1024,
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(guild_id)} if guild_id else {"1": user_json["id"]},
        "context": 0 if guild_id else 1,
    }
    if channel is not None:
        body["channel"] = channel
        body["channel_id"] = channel["id"]
    if guild_id is not None:
        body["guild_id"] = str(guild_id)
        body["guild_locale"] = "en-GB"
        m = dict(member_json or member(user_json))
        m["user"] = user_json
        m["permissions"] = str(permissions)
        body["member"] = m
    else:
        body["user"] = user_json
    if message_json is not None:
        body["message"] = message_json
    return body


def slash_data(
    command_id: int, name: str, options: list[Json], guild_id: int | None = None, resolved: Json | None = None
) -> Json:
    data: Json = {"id": str(command_id), "name": name, "type": 1, "options": options}
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    if resolved is not None:
        data["resolved"] = resolved
    return data


def button_data(custom_id: str) -> Json:
    return {"custom_id": custom_id, "component_type": 2}


def file_attachment(name: str, url: str, size: int, content_type: str, description: str | None = None) -> Json:
    """An attachment served by the fake CDN (``FakeDiscordAPI.add_file``)."""
    data: Json = {
        "id": str(snowflake()),
        "filename": name,
        "size": size,
        "url": url,
        "proxy_url": url,
        "content_type": content_type,
    }
    if description is not None:
        data["description"] = description
    return data


def forward(
    message_id: int,
    channel_id: int,
    author: Json,
    snapshot: Json,
    *,
    guild_id: int,
    author_member: Json,
    source_channel: int,
    source_message: int,
) -> Json:
    """A forwarded message (MESSAGE_CREATE): empty content, a FORWARD reference (type 1)
    and the forwarded message in ``message_snapshots``, as Discord sends it."""
    data = message(message_id, channel_id, author, "", guild_id=guild_id, author_member=author_member)
    data["message_reference"] = {
        "type": 1,
        "message_id": str(source_message),
        "channel_id": str(source_channel),
        "guild_id": str(guild_id),
    }
    data["message_snapshots"] = [{"message": snapshot}]
    return data


def snapshot(content: str, attachments: Sequence[Json] = ()) -> Json:
    """The forwarded message inside ``message_snapshots``."""
    return {
        "type": 0,
        "content": content,
        "embeds": [],
        "attachments": list(attachments),
        "timestamp": timestamp(),
        "edited_timestamp": None,
        "flags": 0,
        "mentions": [],
        "mention_roles": [],
        "components": [],
    }


def edited(original: Json, content: str) -> Json:
    """A MESSAGE_UPDATE body: the message with new content and ``edited_timestamp`` set."""
    return {**original, "content": content, "edited_timestamp": timestamp()}
