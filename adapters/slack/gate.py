"""The gate in front of Bolt on the HTTP path: a request's signature is checked before
anything parses its body, and a body Bolt could not read is refused before Bolt sees it.

- no valid signature (missing headers, wrong secret, older than five minutes): 401;
- a valid signature on a body that is not a JSON object, a form, or a form whose
  ``payload`` is a JSON object: 400;
- an interactive payload of a kind gmcbot registers nothing for (views, workflow steps,
  dialogs): 200 and nothing else (Bolt's built-in steps would fail on some malformed ones).

Each refusal is one log line naming the status and the reason, never the body, and no
traceback, so JSON logs stay one object per line. Pure functions over bytes and headers.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

log = logging.getLogger("adapters.slack")

# Interactive payload types gmcbot has listeners for (buttons, the message shortcut).
HANDLED_PAYLOADS = frozenset({"block_actions", "message_action", "shortcut"})


@dataclass(frozen=True)
class Refusal:
    """What to answer instead of passing the request on."""

    status: str
    reason: str
    body: bytes = b""


def check(secret: str, body: bytes, headers: dict[str, str]) -> Refusal | None:
    """None when the request may go on to Bolt, else the answer to give. ``headers``
    keys are lower case."""
    if body.startswith(b"ssl_check=") or b"&ssl_check=" in body:
        return Refusal("200 OK", "ssl check")  # Slack's certificate check carries no signature
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not secret or not timestamp or not signature:
        return _refuse("401 Unauthorized", "missing signature headers")
    if not SignatureVerifier(secret).is_valid(body, timestamp, signature):
        return _refuse("401 Unauthorized", "bad or expired signature")
    try:
        parsed = parse(body, headers.get("content-type", ""))
    except ValueError as exc:
        return _refuse("400 Bad Request", str(exc))
    if "payload" in parsed:
        kind = parsed["payload"].get("type")
        if kind not in HANDLED_PAYLOADS:
            log.info("slack interactive payload of kind %s ignored: no listener for it", str(kind)[:40])
            return Refusal("200 OK", "not handled")
    return None


def parse(body: bytes, content_type: str) -> dict[str, Any]:
    """The body as Bolt will read it; ValueError naming what is wrong (never the body)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("body is not UTF-8") from None
    if content_type.split(";", 1)[0].strip().lower() == "application/json":
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            raise ValueError("body is not valid JSON") from None
        if not isinstance(value, dict):
            raise ValueError("JSON body is not an object")
        return value
    try:
        form = {k: v[0] for k, v in parse_qs(text, keep_blank_values=True, strict_parsing=bool(text)).items()}
    except ValueError:
        raise ValueError("body is not a valid form") from None
    if "payload" in form:
        try:
            payload = json.loads(form["payload"])
        except json.JSONDecodeError:
            raise ValueError("form payload is not valid JSON") from None
        if not isinstance(payload, dict):
            raise ValueError("form payload is not a JSON object")
        return {"payload": payload}
    if not form.get("command") and not form.get("type"):
        raise ValueError("form is neither a command nor a payload")
    return form


def _refuse(status: str, reason: str) -> Refusal:
    log.warning("slack request refused (%s): %s", status.split()[0], reason)
    return Refusal(status, reason, reason.encode("ascii", "replace"))
