"""Images shared in a monitored Slack channel, read into memory for screening (issue 19).

:func:`image_files` picks a message's image files (``image/*``, at most
:data:`MAX_IMAGES`, each at most :data:`IMAGE_SIZE_CAP` bytes by the size Slack
declares). :func:`download` fetches a file's ``url_private_download`` (or
``url_private``) with the bot token, which needs the ``files:read`` scope. The token is
sent only to Slack's file hosts (``files.slack.com`` and other ``*.slack.com`` /
``*.slack-gov.com`` hosts over HTTPS) or to the host of ``GMCBOT_SLACK_API_URL``
(GovSlack-style hosts and the tests' fake); redirects are not followed, so the token
can't be carried elsewhere; the body is read into memory up to the cap, within
:data:`DOWNLOAD_TIMEOUT` seconds, and never written to disk.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger("adapters.slack")

IMAGE_SIZE_CAP = 8 * 1024 * 1024
MAX_IMAGES = 4
DOWNLOAD_TIMEOUT = 10
_SLACK_FILE_HOSTS = (".slack.com", ".slack-gov.com")


def screened_body(event: Any) -> Mapping[str, Any]:
    """The message an event is about: the new message of an edit, else the event."""
    if not isinstance(event, Mapping):
        return {}
    inner = event.get("message")
    return inner if event.get("subtype") == "message_changed" and isinstance(inner, Mapping) else event


def image_files(body: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(file id, url)`` of the message's image files that are small enough to read."""
    files = body.get("files")
    out: list[tuple[str, str]] = []
    for f in files if isinstance(files, list) else []:
        if not isinstance(f, Mapping) or not str(f.get("mimetype") or "").startswith("image/"):
            continue
        size = f.get("size")
        if not isinstance(size, int) or size > IMAGE_SIZE_CAP:
            log.info("slack file %s not read: size %s", f.get("id"), size)
            continue
        url = f.get("url_private_download") or f.get("url_private")
        if isinstance(url, str) and url:
            out.append((str(f.get("id") or "?"), url))
    return out[:MAX_IMAGES]


def allowed(url: str, api_url: str = "") -> bool:
    """Whether the bot token may be sent to ``url``."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and (host == "files.slack.com" or host.endswith(_SLACK_FILE_HOSTS)):
        return True
    api = urlsplit(api_url) if api_url else None
    return bool(api and api.hostname and (parts.scheme, parts.netloc) == (api.scheme, api.netloc))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def download(file_id: str, url: str, token: str, api_url: str = "") -> bytes | None:
    """The file's bytes, or None (logged by file id only) when it may not or can't be read."""
    if not token or not allowed(url, api_url):
        log.info("slack file %s not read: host not allowed", file_id)
        return None
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with _opener.open(request, timeout=DOWNLOAD_TIMEOUT) as response:
            data: bytes = response.read(IMAGE_SIZE_CAP + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        log.info("slack file %s not read: %s", file_id, type(exc).__name__)
        return None
    if len(data) > IMAGE_SIZE_CAP:
        log.info("slack file %s not read: over the cap", file_id)
        return None
    return data
