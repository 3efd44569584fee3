"""Teams translation from recorded activity JSON (shaped like Microsoft's documented
activities) and the Adaptive Cards, checked against the SDK's own card model."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from microsoft_teams.cards import AdaptiveCard

from adapters.teams import cards
from adapters.teams.manifest import RSC_PERMISSION, manifest, write_package
from adapters.teams.translate import (
    Kind,
    card_action,
    extension_command,
    extension_question,
    inbound,
    message_link,
    plain_text,
    reported_message,
)
from bot import wording
from bot.errors import ConfigError
from bot.types import (
    Answer,
    AnswerStatus,
    Category,
    Citation,
    DocStatus,
    Document,
    Flag,
    FlagStatus,
    Numbering,
    Paragraph,
    Platform,
    Severity,
)

PAYLOADS = Path(__file__).parent / "payloads" / "teams"
TEAM = "0f6a1c2b-3d4e-4f5a-8b9c-1d2e3f4a5b6c"
WARD = "19:ward7channel@thread.tacv2"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / name).read_text(encoding="utf-8"))
    return data


def test_a_personal_message_is_a_question() -> None:
    turn = inbound(load("personal_message.json"))
    assert turn.kind is Kind.PERSONAL_QUESTION
    assert turn.question == "can I reply to a patient on Twitter?"
    assert turn.message.conversation.platform is Platform.TEAMS
    assert turn.message.conversation.is_direct
    assert turn.service_url == "https://smba.trafficmanager.net/uk/"
    assert turn.conversation_id == "a:1Xyz-personal-chat-id"
    assert turn.user_id == "29:1AbCdEfGhIjKlMnOpQrStUvWxYz"  # to send to them
    assert turn.message.actor.user_id == "6b1b6e8e-2f1e-4b4c-9a8e-0e2e6e9c2a11"  # who they are, everywhere


def test_a_channel_mention_is_a_question_without_the_mention() -> None:
    turn = inbound(load("channel_mention.json"))
    assert turn.kind is Kind.MENTION_QUESTION
    assert turn.question == "can I accept a friend request from a patient?"
    conv = turn.message.conversation
    assert (conv.workspace, conv.channel, conv.thread) == (TEAM, WARD, "1733508300555")
    assert not conv.is_direct
    assert turn.tenant_id == "8c5d7d6a-1b2c-4d3e-9f8a-7b6c5d4e3f21"


def test_a_channel_reply_is_screened_as_plain_text() -> None:
    turn = inbound(load("channel_reply.json"))
    assert turn.kind is Kind.CHANNEL_MESSAGE
    assert turn.message.text == "Bed 4 is fine now & going home later"
    assert turn.message.conversation.channel == WARD


def test_the_bot_itself_other_bots_and_non_messages_are_ignored() -> None:
    mine = load("channel_reply.json")
    mine["from"] = dict(mine["recipient"])
    assert inbound(mine).kind is Kind.IGNORE
    other_bot = load("channel_reply.json")
    other_bot["from"] = {"id": "28:someotherbot", "name": "Other", "role": "bot"}
    assert inbound(other_bot).kind is Kind.IGNORE
    assert inbound(load("card_action.json")).kind is Kind.IGNORE
    group = load("channel_reply.json")
    group["conversation"] = {"conversationType": "groupChat", "id": "19:group@thread.v2"}
    assert inbound(group).kind is Kind.IGNORE  # a group chat message not addressed to the bot


def test_another_persons_mention_keeps_their_name() -> None:
    text = "<at>gmcbot</at> should I tell <at>Sam Patel</at>?"
    mentions = [{"type": "mention", "mentioned": {"id": "28:bot"}, "text": "<at>gmcbot</at>"}]
    assert plain_text(text, "28:bot", mentions) == "should I tell Sam Patel?"


def test_card_actions_are_parsed_and_forged_ones_refused() -> None:
    action = card_action(load("card_action.json"))
    assert action is not None and (action.role, action.status, action.flag_id) == ("mod", "confirmed", "FLAGID")
    forged = load("card_action.json")
    forged["value"]["action"]["data"]["flag"] = "x' OR 1=1 --"
    assert card_action(forged) is None
    forged["value"]["action"]["data"] = {"role": "admin", "status": "confirmed", "flag": "F1"}
    assert card_action(forged) is None
    assert extension_question(load("extension_submit.json")) == "can I reply to a patient on Twitter?"


def test_a_reported_message_is_read_from_the_message_payload() -> None:
    activity = load("extension_submit.json")
    activity["value"] = {
        "commandId": "report",
        "commandContext": "message",
        "messagePayload": {
            "id": "1733508600000",
            "linkToMessage": "https://teams.microsoft.com/l/message/19:ward7channel@thread.tacv2/1733508600000",
            "from": {"user": {"id": "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b", "displayName": "Sam Patel"}},
            "body": {"contentType": "html", "content": "<p>Bed&nbsp;4 <b>again</b></p>"},
        },
    }
    assert extension_command(activity) == "report"
    message = reported_message(activity)
    assert message is not None and message.text == "Bed 4 again"
    assert message.actor.user_id == "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b"
    assert (message.conversation.workspace, message.conversation.channel) == (TEAM, WARD)
    assert message_link(activity).endswith("/1733508600000")
    activity["value"]["messagePayload"]["linkToMessage"] = "javascript:alert(1)"
    assert message_link(activity) == ""
    assert reported_message(load("extension_submit.json")) is None


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(), lambda c: st.lists(c) | st.dictionaries(st.text(), c)
    )
)
def test_translation_is_total(junk: Any) -> None:
    """Any JSON at all: never raises."""
    payload = junk if isinstance(junk, dict) else {"type": "message", "text": junk, "entities": junk, "from": junk}
    inbound(payload)
    card_action(payload)
    extension_question(payload)
    reported_message(payload)
    message_link(payload)


# -- cards -----------------------------------------------------------------------------------
def citation(status: DocStatus = DocStatus.CURRENT) -> Citation:
    document = Document(
        doc_id="gmc-sm",
        title="Doctors' use of social media",
        publisher="GMC",
        status=status,
        in_effect="2024-01-01",
        url="https://www.gmc-uk.org/social-media",
        source="digest",
    )
    paragraph = Paragraph(
        doc_id="gmc-sm",
        number="17",
        heading="Patients who contact you",
        text="Do not give *advice* [here](x).",
        numbering=Numbering.CONFIRMED,
    )
    return Citation(paragraph, document)


def test_answer_card_has_digest_citation_notes_and_link_and_validates() -> None:
    content = cards.answer_card(Answer("q?", AnswerStatus.ANSWERED, (citation(),)))
    AdaptiveCard.model_validate(content)
    texts = [b["text"] for b in content["body"]]
    assert any("Do not give \\*advice\\* \\[here\\](x)" in t for t in texts)  # Markdown made literal
    assert any("Doctors' use of social media" in t and "paragraph 17" in t for t in texts)
    assert any("Plain-English digest" in t for t in texts)
    assert content["actions"] == [
        {"type": "Action.OpenUrl", "title": "Official guidance", "url": "https://www.gmc-uk.org/social-media"}
    ]
    assert "q?" not in json.dumps(content)  # the question is never echoed


def test_no_match_card_says_so() -> None:
    content = cards.answer_card(Answer("q", AnswerStatus.NO_MATCH), ask_who="the IG team")
    assert "the IG team" in content["body"][0]["text"]


def flag() -> Flag:
    return Flag(
        category=Category.PATIENT_IDENTIFIABLE,
        severity=Severity.HIGH,
        reasons=("An NHS number",),
        citations=(citation(),),
        redacted="Patient in bed 4 is [NAME], NHS no [NHS-NUMBER]",
    )


def test_notice_cards_carry_ids_only_and_validate() -> None:
    poster = cards.poster_card(flag(), "F1", "Ward 7", ask_who="the IG team")
    moderators = cards.moderator_card(flag(), "F1", "Ward 7")
    for content in (poster, moderators):
        AdaptiveCard.model_validate(content)
        for action in content["actions"]:
            assert action["verb"] == "gmc.flag" and action["data"]["flag"] == "F1"
    assert [a["data"]["status"] for a in poster["actions"]] == ["removed", "false_alarm"]
    assert [a["data"]["status"] for a in moderators["actions"]] == ["confirmed", "false_alarm"]
    excerpt = moderators["body"][2]["items"][0]["text"]
    assert excerpt.replace("\\", "") == flag().redacted
    assert "NHS-NUMBER" not in json.dumps(poster)  # the poster is told what, not shown an excerpt
    done = cards.outcome_card("F1", "patient_identifiable", "[NAME]", "mod", FlagStatus.CONFIRMED, "Jo Moderator")
    AdaptiveCard.model_validate(done)
    line = wording.outcome_line(FlagStatus.CONFIRMED, "Jo Moderator", moderator=True)
    assert "actions" not in done and line in json.dumps(done)


# -- manifest -------------------------------------------------------------------------------------
def test_manifest_package_has_the_rsc_permission_and_icons(tmp_path: Path) -> None:
    app_id = "11111111-2222-3333-4444-555555555555"
    path = write_package(tmp_path / "app.zip", manifest(app_id, domain="gmcbot.example.nhs.uk"))
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == ["color.png", "manifest.json", "outline.png"]
        data = json.loads(z.read("manifest.json"))
        from PIL import Image

        color = Image.open(z.open("color.png"))
        outline = Image.open(z.open("outline.png"))
    assert color.size == (192, 192) and outline.size == (32, 32) and outline.mode == "RGBA"
    assert data["bots"][0]["botId"] == app_id and data["id"] == app_id
    assert {"name": RSC_PERMISSION, "type": "Application"} in data["authorization"]["permissions"]["resourceSpecific"]
    assert data["composeExtensions"][0]["commands"][0]["id"] == "ask"
    assert data["validDomains"] == ["gmcbot.example.nhs.uk"]
    assert len(data["name"]["short"]) <= 30 and len(data["description"]["short"]) <= 80


def test_manifest_refuses_an_app_id_that_is_not_a_guid() -> None:
    with pytest.raises(ConfigError, match="GUID"):
        manifest("not-a-guid")
