"""Screening of staff messages: identifiers, jigsaw identification, conduct; redaction and
citations. The public entry point is :class:`Screener` (``GuidanceBot`` builds one)."""

from bot.screening.data import ScreeningDataError, load_screening_data
from bot.screening.redact import redact
from bot.screening.screener import Screener

__all__ = ["Screener", "ScreeningDataError", "load_screening_data", "redact"]
