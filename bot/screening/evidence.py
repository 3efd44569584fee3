"""Evidence: one reason to think a message is risky, from a detector, rule, exemplar set
or the jigsaw score. The policy turns a message's evidence into a flag."""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.types import Category


@dataclass(frozen=True)
class Evidence:
    """``reason`` is fixed wording from code or data, never text from the message.
    ``strong`` evidence (identifiers, some rules) is not lowered by mitigators."""

    category: Category
    weight: float
    cites: tuple[str, ...]
    reason: str
    source: str
    strong: bool = False

    def lowered(self, amount: float) -> Evidence:
        return self if self.strong else replace(self, weight=self.weight - amount)
