"""Buttons that survive restarts, and turning a :class:`Reply` into send arguments.

Each action button is a :class:`discord.ui.DynamicItem`: its custom id carries all the
state its click needs (citation ids, flag id), so nothing is kept in memory per message and
a click after a restart still works. Clicks are handed to the :class:`ButtonHandler` (the
cog) found on the client.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, runtime_checkable

import discord
from discord.ext import commands

from adapters.discord.translate import FEEDBACK_TEMPLATE, FLAG_TEMPLATE, SHARE_ID, ButtonSpec, Reply
from bot import FlagStatus

HANDLER_COG = "GuidanceCog"


@runtime_checkable
class ButtonHandler(Protocol):
    """What a click is handed to. Each method answers the interaction exactly once."""

    async def on_share(self, interaction: discord.Interaction) -> None: ...

    async def on_feedback(self, interaction: discord.Interaction, helpful: bool, citation_ids: str) -> None: ...

    async def on_flag_outcome(
        self, interaction: discord.Interaction, role: str, status: FlagStatus, flag_id: str
    ) -> None: ...


def _handler(interaction: discord.Interaction) -> ButtonHandler | None:
    client = interaction.client
    cog = client.get_cog(HANDLER_COG) if isinstance(client, commands.Bot) else None
    return cog if isinstance(cog, ButtonHandler) else None


def _button(spec: ButtonSpec) -> discord.ui.Button[Any]:
    if spec.url:
        return discord.ui.Button(label=spec.label, url=spec.url, style=discord.ButtonStyle.link, row=spec.row)
    style = getattr(discord.ButtonStyle, spec.style, discord.ButtonStyle.secondary)
    return discord.ui.Button(label=spec.label, custom_id=spec.custom_id, style=style, row=spec.row)


def _rebuilt(item: discord.ui.Item[Any]) -> discord.ui.Button[Any]:
    """A fresh button carrying the clicked component's label, style and id."""
    if not isinstance(item, discord.ui.Button):
        raise TypeError("gmcbot custom ids are only used on buttons")
    return discord.ui.Button(label=item.label, custom_id=item.custom_id, style=item.style)


class ShareButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=re.escape(SHARE_ID) + r"\Z"):
    """ "Share in channel" on an ephemeral answer."""

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ShareButton:
        return cls(_rebuilt(item))

    async def callback(self, interaction: discord.Interaction) -> None:
        handler = _handler(interaction)
        if handler is not None:
            await handler.on_share(interaction)


class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=FEEDBACK_TEMPLATE):
    """ "Helpful" / "Not helpful": ``gmc:fb:<1|0>:<cited ids>``."""

    def __init__(self, button: discord.ui.Button[Any], helpful: bool = False, citation_ids: str = "") -> None:
        super().__init__(button)
        self.helpful = helpful
        self.citation_ids = citation_ids

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> FeedbackButton:
        return cls(_rebuilt(item), match["helpful"] == "1", match["ids"])

    async def callback(self, interaction: discord.Interaction) -> None:
        handler = _handler(interaction)
        if handler is not None:
            await handler.on_feedback(interaction, self.helpful, self.citation_ids)


class FlagButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=FLAG_TEMPLATE):
    """A flag's outcome: ``gmc:flag:<poster|mod>:<status>:<flag id>``."""

    def __init__(
        self,
        button: discord.ui.Button[Any],
        role: str = "poster",
        status: FlagStatus = FlagStatus.FALSE_ALARM,
        flag_id: str = "",
    ) -> None:
        super().__init__(button)
        self.role = role
        self.status = status
        self.flag_id = flag_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> FlagButton:
        return cls(_rebuilt(item), match["role"], FlagStatus(match["status"]), match["flag_id"])

    async def callback(self, interaction: discord.Interaction) -> None:
        handler = _handler(interaction)
        if handler is not None:
            await handler.on_flag_outcome(interaction, self.role, self.status, self.flag_id)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (ShareButton, FeedbackButton, FlagButton)


def make_view(buttons: tuple[ButtonSpec, ...]) -> discord.ui.View | None:
    """A view of the reply's buttons, or None when it has none. Action buttons are the
    dynamic items above (registered once on the client), so the view is returned already
    stopped: discord.py then keeps nothing per message and starts no timeout task, and
    clicks still reach the dynamic items."""
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for spec in buttons:
        button = _button(spec)
        if spec.url:
            view.add_item(button)
            continue
        for cls in DYNAMIC_ITEMS:
            if cls.__discord_ui_compiled_template__.fullmatch(spec.custom_id):
                view.add_item(cls(button))
                break
        else:
            raise ValueError(f"no handler for custom id {spec.custom_id!r}")
    view.stop()
    return view


def send_kwargs(reply: Reply) -> dict[str, Any]:
    """Keyword arguments for ``send``/``send_message``/``followup.send``; mentions are
    always disabled, whatever the text contains."""
    kwargs: dict[str, Any] = {"allowed_mentions": discord.AllowedMentions.none()}
    if reply.content:
        kwargs["content"] = reply.content
    if reply.embeds:
        kwargs["embeds"] = list(reply.embeds)
    view = make_view(reply.buttons)
    if view is not None:
        kwargs["view"] = view
    return kwargs


def edit_kwargs(reply: Reply) -> dict[str, Any]:
    """Keyword arguments for ``response.edit_message``: replaces content, embeds and
    buttons (removing any the reply does not have)."""
    return {
        "content": reply.content or None,
        "embeds": list(reply.embeds),
        "view": make_view(reply.buttons),
        "allowed_mentions": discord.AllowedMentions.none(),
    }
