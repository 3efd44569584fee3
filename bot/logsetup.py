"""Logging set-up. Platform SDKs log message bodies at DEBUG, so their loggers are held
at INFO or above whatever level the bot runs at; our own records never carry message
text (only ids, categories and counts)."""

from __future__ import annotations

import json
import logging
import sys
import time

# Loggers that would write message bodies at DEBUG.
BODY_LOGGERS = ("slack_bolt", "slack_sdk", "discord", "aiohttp.access", "urllib3", "httpx", "microsoft_teams")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message (and exception type)."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + "Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            data["error"] = record.exc_info[0].__name__
        return json.dumps(data, ensure_ascii=False)


def configure_logging(level: str = "INFO", json_lines: bool = False) -> None:
    """Send logs to stderr at ``level``; keep the SDK body loggers at INFO or above."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if json_lines else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    quiet_body_loggers()
    # alembic logs "setup plugin" lines when it is first imported, which (now that
    # `gmcbot` imports the store only when a command needs it) happens after logging is
    # set up; held at WARNING like the other libraries.
    for noisy in ("sentence_transformers", "transformers", "faiss", "bm25s", "filelock", "huggingface_hub", "alembic"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))


def quiet_body_loggers() -> None:
    """Hold every logger that could write message bodies at INFO or above."""
    for name in BODY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.INFO:
            logger.setLevel(logging.INFO)
