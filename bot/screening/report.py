"""A message someone reported ("Report to gmcbot"): always a flag for the moderators (issue 19).

The message is screened at the ``high`` sensitivity; the report itself is one more piece of
evidence (:data:`REPORT_REASON`, rule id :data:`REPORT_RULE`) at the flag threshold, so the
policy always flags it: under the category screening found strongest (or
patient-identifiable, the commonest reason to report, when it found nothing), with that category's reasons and citations
when there are any, and only the redacted text.
"""

from __future__ import annotations

from typing import Any

from bot.screening.evidence import Evidence
from bot.screening.policy import weigh
from bot.types import Category, Flag, Message

REPORT_RULE = "report:manual"
REPORT_REASON = "A member of staff reported this message for review."


def reported_flag(screener: Any, message: Message) -> Flag:
    """The flag for a reported ``message`` (``screener`` is a :class:`~bot.screening.screener.Screener`)."""
    analysis = screener.analyse_many([message], "high")[0]
    policy = screener.data.policy
    verdict = weigh(analysis.evidence, policy)
    primary = verdict.scores[0][0] if verdict.scores else Category.PATIENT_IDENTIFIABLE
    report = Evidence(primary, policy.flag_threshold, (), REPORT_REASON, REPORT_RULE, strong=True)
    screening = analysis.screening
    flag = screener.policy.decide([*analysis.evidence, report], screening.redacted, screening.findings, "high")
    assert flag is not None  # the report alone reaches the threshold
    return flag
