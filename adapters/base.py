"""The adapter contract.

An adapter:
- MUST translate what arrives into the core's plain inputs (plain text: its platform's
  markup removed), call one operation of :class:`bot.UseCases` (``ask``,
  ``answer_again``, ``handle_message``, ``report``, ``review``, ``configure``,
  ``feedback``), render the result in its platform's idiom with the shared wording of
  :mod:`bot.wording`, and deliver it to whom the outcome names;
- MUST import from ``bot`` only its public surface (``from bot import ...``;
  ``tests/unit/test_layering.py`` checks);
- MUST pass the contract suite (``tests/adapters/contract.py``) with a driver of its own;
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
