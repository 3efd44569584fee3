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
    from bot.audience import AUDIENCES, Known, profession_from
    from bot.backscan import SCAN_REASON, SCAN_RULE, HistoryItem, ScanJob, ScanResult, back_scan
    from bot.config import Settings, load_settings

    # For operator tools (the CLI, the review console): corpus, evaluation, import, audit store.
    from bot.corpus import Corpus, load_corpus
    from bot.decisions import DeclineRecord, FlagEvent
    from bot.errors import ConfigError, GmcbotError, StoreUnavailable
    from bot.evaluation import message_lines, question_lines, read_jsonl, score_messages, score_questions
    from bot.importing.diff import diff_versions, load_version, render_diff
    from bot.importing.importer import ImportRequest, commit_import, prepare_import
    from bot.importing.preview import render_preview
    from bot.jobs import Durable, Job, durable_for
    from bot.logsetup import configure_logging, quiet_body_loggers
    from bot.ratelimit import RateLimiter
    from bot.records import FeedbackRecord, FlagRecord
    from bot.render import (
        citation_line,
        citation_notes,
        render_answer,
        render_screening,
        see_also_line,
        superseded_lead_note,
    )
    from bot.retrieval import Method
    from bot.review import CONSOLE_PERMISSIONS, Decision, Permission, Role, decide, may
    from bot.review import Outcome as DecisionOutcome
    from bot.scan_state import FileCheckpoints, LastSeen, checkpoint_folder, last_seen_path
    from bot.screening import images
    from bot.screening.data import check_citations, load_screening_data
    from bot.service import GuidanceBot
    from bot.store import SqlRecords, open_records
    from bot.store.review_store import (
        IDLE_MINUTES,
        LOCK_MINUTES,
        MAX_FAILURES,
        ReviewStore,
        Session,
        check_name,
        check_role,
        open_review,
    )
    from bot.store.stats import AuditStats, audit_stats, iso_week
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
        Person,
        ProfessionReply,
        ProfessionStatus,
        Question,
        SettingsChange,
        To,
        UseCases,
    )

# name -> "module" (the attribute of that name), "module:attr" (another name there) or
# "module:" (the module itself). ``__all__`` below lists the same names.
_EXPORTS: dict[str, str] = {
    "wording": "bot.wording",
    # Whose guidance leads (issue 14): the audiences and reading a stated profession.
    **dict.fromkeys(("AUDIENCES", "Known", "profession_from"), "bot.audience"),
    **dict.fromkeys(("Settings", "load_settings"), "bot.config"),
    **dict.fromkeys(("ConfigError", "GmcbotError", "StoreUnavailable"), "bot.errors"),
    **dict.fromkeys(("configure_logging", "quiet_body_loggers"), "bot.logsetup"),
    **dict.fromkeys(
        (
            "citation_line",
            "citation_notes",
            "render_answer",
            "render_screening",
            "see_also_line",
            "superseded_lead_note",
        ),
        "bot.render",
    ),
    **dict.fromkeys(("Decision", "Role"), "bot.review"),
    "GuidanceBot": "bot.service",
    # Durable work after the acknowledgement (issue 16): jobs kept until their work is done.
    **dict.fromkeys(("Durable", "Job", "durable_for"), "bot.jobs"),
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
            "Person",
            "ProfessionReply",
            "ProfessionStatus",
            "Question",
            "SettingsChange",
            "To",
            "UseCases",
        ),
        "bot.usecases",
    ),
    # For operator tools (the CLI, the review console).
    **dict.fromkeys(("Corpus", "load_corpus"), "bot.corpus"),
    **dict.fromkeys(("DeclineRecord", "FlagEvent"), "bot.decisions"),
    **dict.fromkeys(
        ("message_lines", "question_lines", "read_jsonl", "score_messages", "score_questions"), "bot.evaluation"
    ),
    **dict.fromkeys(("diff_versions", "load_version", "render_diff"), "bot.importing.diff"),
    **dict.fromkeys(("ImportRequest", "commit_import", "prepare_import"), "bot.importing.importer"),
    "render_preview": "bot.importing.preview",
    "RateLimiter": "bot.ratelimit",
    **dict.fromkeys(("FeedbackRecord", "FlagRecord"), "bot.records"),
    "Method": "bot.retrieval",
    **dict.fromkeys(("CONSOLE_PERMISSIONS", "Permission", "decide", "may"), "bot.review"),
    "DecisionOutcome": "bot.review:Outcome",
    "images": "bot.screening.images:",
    **dict.fromkeys(("check_citations", "load_screening_data"), "bot.screening.data"),
    **dict.fromkeys(("SqlRecords", "open_records"), "bot.store"),
    **dict.fromkeys(
        (
            "IDLE_MINUTES",
            "LOCK_MINUTES",
            "MAX_FAILURES",
            "ReviewStore",
            "Session",
            "check_name",
            "check_role",
            "open_review",
        ),
        "bot.store.review_store",
    ),
    **dict.fromkeys(("AuditStats", "audit_stats", "iso_week"), "bot.store.stats"),
    # The back-scan (gmcbot scan) and its history readers.
    **dict.fromkeys(("SCAN_REASON", "SCAN_RULE", "HistoryItem", "ScanJob", "ScanResult", "back_scan"), "bot.backscan"),
    **dict.fromkeys(("FileCheckpoints", "checkpoint_folder"), "bot.scan_state"),
    # The Discord catch-up after a restart: the last message id seen per channel.
    **dict.fromkeys(("LastSeen", "last_seen_path"), "bot.scan_state"),
}
__all__ = [
    "AUDIENCES",
    "Known",
    "profession_from",
    "SCAN_REASON",
    "SCAN_RULE",
    "HistoryItem",
    "ScanJob",
    "ScanResult",
    "back_scan",
    "FileCheckpoints",
    "checkpoint_folder",
    "LastSeen",
    "last_seen_path",
    "Actor",
    "Answer",
    "AnswerStatus",
    "AskStatus",
    "Asked",
    "AuditStats",
    "CONSOLE_PERMISSIONS",
    "Category",
    "ChannelKey",
    "ChannelSettings",
    "Citation",
    "ConfigError",
    "Conversation",
    "Corpus",
    "Decision",
    "DecisionOutcome",
    "DeclineRecord",
    "Delivery",
    "DocStatus",
    "Document",
    "Durable",
    "FeedbackRecord",
    "Flag",
    "FlagEvent",
    "FlagRecord",
    "FlagStatus",
    "GmcbotError",
    "GuidanceBot",
    "Handling",
    "IDLE_MINUTES",
    "ImportRequest",
    "Job",
    "LOCK_MINUTES",
    "MAX_FAILURES",
    "Message",
    "Method",
    "Outcome",
    "Paragraph",
    "Permission",
    "Person",
    "Platform",
    "ProfessionReply",
    "ProfessionStatus",
    "Question",
    "RateLimiter",
    "ReviewStore",
    "Role",
    "Screening",
    "Session",
    "Settings",
    "SettingsChange",
    "Severity",
    "SqlRecords",
    "StoreUnavailable",
    "To",
    "UseCases",
    "audit_stats",
    "check_citations",
    "check_name",
    "check_role",
    "citation_line",
    "citation_notes",
    "commit_import",
    "configure_logging",
    "decide",
    "diff_versions",
    "durable_for",
    "images",
    "iso_week",
    "load_corpus",
    "load_screening_data",
    "load_settings",
    "load_version",
    "may",
    "message_lines",
    "open_records",
    "open_review",
    "prepare_import",
    "question_lines",
    "quiet_body_loggers",
    "read_jsonl",
    "render_answer",
    "render_diff",
    "render_preview",
    "render_screening",
    "score_messages",
    "score_questions",
    "see_also_line",
    "superseded_lead_note",
    "wording",
]


def __getattr__(name: str) -> Any:
    where = _EXPORTS.get(name)
    if where is None:
        raise AttributeError(f"module 'bot' has no attribute {name!r}")
    module, _, attr = where.partition(":")
    loaded = importlib.import_module(module)
    if module == f"bot.{name}" or (where.endswith(":") and not attr):
        value: Any = loaded
    else:
        value = getattr(loaded, attr or name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
