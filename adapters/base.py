"""The adapter contract.

An adapter:
- MUST translate inbound platform events into core calls and call only
  ``GuidanceBot.ask``/``screen`` and the bot's record-keeping methods;
- MUST show the citation (document, paragraph, link) with every answer and notice;
- MUST ignore its own messages and other bots';
- MUST NOT log, store or repost message text (log ids, categories and counts only);
- MUST NOT echo an identifier found by screening;
- SHOULD reply privately (ephemeral, DM) or in thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot import GuidanceBot


class Adapter(Protocol):
    name: str

    def run(self, bot: GuidanceBot) -> None:
        """Serve until stopped."""
