"""gmcbot core: corpus, retrieval, screening, records, and the use cases adapters call.

**The public surface.** Chat adapters (Slack, Discord, Teams, the console) import from
``bot`` itself and nothing deeper: ``from bot import UseCases, Message, Settings``.
``tests/unit/test_layering.py`` enforces it, and that nothing in ``bot/`` imports
``adapters`` nor anything in ``index/`` imports ``bot``. Names load lazily on first use,
so ``import bot`` costs nothing (the CLI starts fast).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot import wording
    from bot.config import Settings, load_settings
    from bot.errors import ConfigError, GmcbotError
    from bot.logsetup import configure_logging, quiet_body_loggers
    from bot.render import citation_line, citation_notes, render_answer, render_screening, superseded_lead_note
    from bot.review import Decision, Role
    from bot.service import GuidanceBot
    from bot.types import (
        Actor,
        Answer,
        AnswerStatus,
        Category,
        ChannelSettings,
        Citation,
        Conversation,
        DocStatus,
        Document,
        Flag,
        FlagStatus,
        Message,
        Paragraph,
        Platform,
        Screening,
        Severity,
    )
    from bot.usecases import (
        Asked,
        AskStatus,
        ChannelKey,
        Delivery,
        Handling,
        Outcome,
        Question,
        SettingsChange,
        To,
        UseCases,
    )

# name -> the module that defines it (``__all__`` below lists the same names) (a module name itself for submodules).
_EXPORTS: dict[str, str] = {
    "wording": "bot.wording",
    **dict.fromkeys(("Settings", "load_settings"), "bot.config"),
    **dict.fromkeys(("ConfigError", "GmcbotError"), "bot.errors"),
    **dict.fromkeys(("configure_logging", "quiet_body_loggers"), "bot.logsetup"),
    **dict.fromkeys(
        ("citation_line", "citation_notes", "render_answer", "render_screening", "superseded_lead_note"), "bot.render"
    ),
    **dict.fromkeys(("Decision", "Role"), "bot.review"),
    "GuidanceBot": "bot.service",
    **dict.fromkeys(
        (
            "Actor",
            "Answer",
            "AnswerStatus",
            "Category",
            "ChannelSettings",
            "Citation",
            "Conversation",
            "DocStatus",
            "Document",
            "Flag",
            "FlagStatus",
            "Message",
            "Paragraph",
            "Platform",
            "Screening",
            "Severity",
        ),
        "bot.types",
    ),
    **dict.fromkeys(
        (
            "Asked",
            "AskStatus",
            "ChannelKey",
            "Delivery",
            "Handling",
            "Outcome",
            "Question",
            "SettingsChange",
            "To",
            "UseCases",
        ),
        "bot.usecases",
    ),
}
__all__ = [
    "Actor",
    "Answer",
    "AnswerStatus",
    "AskStatus",
    "Asked",
    "Category",
    "ChannelKey",
    "ChannelSettings",
    "Citation",
    "ConfigError",
    "Conversation",
    "Decision",
    "Delivery",
    "DocStatus",
    "Document",
    "Flag",
    "FlagStatus",
    "GmcbotError",
    "GuidanceBot",
    "Handling",
    "Message",
    "Outcome",
    "Paragraph",
    "Platform",
    "Question",
    "Role",
    "Screening",
    "Settings",
    "SettingsChange",
    "Severity",
    "To",
    "UseCases",
    "citation_line",
    "citation_notes",
    "configure_logging",
    "load_settings",
    "quiet_body_loggers",
    "render_answer",
    "render_screening",
    "superseded_lead_note",
    "wording",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'bot' has no attribute {name!r}")
    loaded = importlib.import_module(module)
    value = loaded if module == f"bot.{name}" else getattr(loaded, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
