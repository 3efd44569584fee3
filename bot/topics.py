"""Topic labels for questions the bot declined, so IG can see what staff ask that the
corpus does not answer, without keeping the questions. Only these fixed labels are
stored (never words from the question), so no patient data can reach the table."""

from __future__ import annotations

import re

# label -> pattern on the lower-cased question; a question can have several labels.
TOPICS: dict[str, str] = {
    "facebook": r"\bfacebook|\bfb\b|\bmeta\b",
    "twitter / x": r"\btwitter|\btweet|\bx\.com\b",
    "instagram": r"\binstagram|\binsta\b",
    "tiktok": r"\btik ?tok",
    "whatsapp": r"\bwhats ?app",
    "linkedin": r"\blinked ?in",
    "youtube": r"\byoutube",
    "messaging and texts": r"\btext(?:s|ing)?\b|\bsms\b|\bmessag|\bsignal\b|\btelegram",
    "email": r"\be-?mail",
    "patients contacting staff": r"\bpatients?\b.*\b(?:contact|friend|follow|message|add)|\b(?:contact|friend|follow|message|add)\w*\b.*\bpatients?\b",
    "photos and recordings": r"\bphoto|\bpicture|\bimage|\bvideo|\brecord|\bselfie|\bcamera",
    "colleagues": r"\bcolleague|\bco-?worker|\bmanager|\bconsultant|\bnurse|\bteam\b",
    "confidentiality": r"\bconfidential|\bprivacy|\bidentif|\bgdpr|\bdata protection",
    "reviews and complaints": r"\breview|\bcomplain|\brating",
    "advertising and endorsements": r"\badverti|\bendorse|\bsponsor|\bpromot|\binfluencer",
    "opinions and politics": r"\bopinion|\bpolitic|\bstrike|\bprotest|\bcampaign",
    "anonymous accounts": r"\banonymous|\bpseudonym|\bfake account|\bburner",
    "online clinical advice": r"\badvice|\bdiagnos|\bprescri|\bconsultation",
}
_COMPILED = {label: re.compile(pattern) for label, pattern in TOPICS.items()}
OTHER = "other"


def topics_of(question: str) -> tuple[str, ...]:
    """The labels a question touches (``("other",)`` when none)."""
    text = question.lower()
    found = tuple(label for label, pattern in _COMPILED.items() if pattern.search(text))
    return found or (OTHER,)
