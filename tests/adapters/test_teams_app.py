"""The real Teams SDK app (``--insecure-local-testing``) on 127.0.0.1 port 0 against the fake
Bot Connector: questions answered with a cited card, monitored channels screened, notices
private, moderators' cards decided under the review rules, and no identifier in anything
sent, stored or logged."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from bot import wording
from bot.config import Settings
from bot.logsetup import quiet_body_loggers
from bot.store import open_records
from bot.types import Actor, Category, DocStatus, FlagStatus, Platform
from tests.adapters.teams_world import (
    MODERATOR,
    MODS,
    PERSONAL_CHAT,
    POSTER,
    WARD,
    TeamsWorld,
    aad_id,
    teams_world,
)
from tests.fakes.teams_connector import Call
from tests.generated import ADAPTER_MESSAGES, generate
from tests.privacy import identifiers_in, leaks, leaks_among, log_text, sqlite_text

QUESTION = "can I reply to a patient on Twitter?"
FLAGGED = "Patient in resus is John Carter, NHS no 943 476 5919"
IDENTIFIERS = ("John Carter", "943 476 5919", "9434765919")
ORDINARY = "Handover is at 8pm tonight in the seminar room, bring your bleep."


def card_of(call: Call) -> dict[str, Any]:
    [attachment] = call.body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    content: dict[str, Any] = attachment["content"]
    return content


def card_text(content: dict[str, Any]) -> str:
    return json.dumps(content, ensure_ascii=False).replace("\\\\", "")


def sent_text(w: TeamsWorld) -> str:
    return json.dumps([c.body for c in w.connector.calls], ensure_ascii=False)


def assert_no_identifier(w: TeamsWorld, caplog: pytest.LogCaptureFixture, extra: str = "") -> None:
    everything = "\n".join(
        [sent_text(w), str(list(w.records.flags.values())), str(w.records.feedback), log_text(caplog.records), extra]
    )
    needles = identifiers_in(FLAGGED, w.guidance.screen(FLAGGED))
    assert {n.kind for n in needles} >= {"nhs-number", "name"}
    assert leaks(needles, everything) == []
    for identifier in IDENTIFIERS:
        assert identifier not in everything


# -- asking --------------------------------------------------------------------------------------
def shows_the_answer(w: TeamsWorld, card: dict[str, Any]) -> bool:
    """The card carries the bot's own answer to QUESTION: its best citation's document title
    and paragraph heading (which paragraph that is, is the ranking's business, not the adapter's)."""
    best = w.guidance.ask(QUESTION).best
    text = card_text(card)
    return best is not None and best.document.title in text and best.paragraph.heading in text


def test_a_personal_question_gets_a_card_citing_guidance_in_force(tmp_path: Path) -> None:
    with teams_world(tmp_path) as w:
        response = w.post(w.personal(QUESTION))
        assert response.status_code == 200
        [reply] = w.connector.wait_for(1)
        assert reply.path == f"/v3/conversations/{PERSONAL_CHAT}/activities"
        assert reply.query == {}
        content = card_of(reply)
        answer = w.guidance.ask(QUESTION)
        best = answer.best
        assert best is not None and best.document.status is DocStatus.CURRENT
        text = card_text(content)
        assert best.document.title in text and best.paragraph.heading in text
        assert {"type": "Action.OpenUrl", "title": "Official guidance", "url": best.document.url} in content["actions"]


def test_a_channel_mention_is_answered_privately_with_a_targeted_message(tmp_path: Path) -> None:
    with teams_world(tmp_path) as w:
        activity = w.channel(QUESTION, mention=True)
        w.post(activity)
        [reply] = w.connector.wait_for(1)
        assert reply.path == f"/v3/conversations/{activity['conversation']['id']}/activities"
        assert reply.query == {"isTargetedActivity": ["true"]}
        assert reply.body["recipient"]["id"] == POSTER
        assert shows_the_answer(w, card_of(reply))


def test_without_targeted_messages_the_answer_goes_to_a_one_to_one_chat(tmp_path: Path) -> None:
    with teams_world(tmp_path, refuse_targeted=True) as w:
        w.post(w.channel(QUESTION, mention=True))
        calls = w.connector.wait_for(2)
        created = [c for c in w.connector.calls if c.path == "/v3/conversations"]
        assert len(created) == 1 and created[0].body["members"] == [{"id": POSTER}]
        assert created[0].body["isGroup"] is False
        delivered = [c for c in calls if c.path.startswith("/v3/conversations/a:chat-")]
        assert len(delivered) == 1 and shows_the_answer(w, card_of(delivered[0]))
        # nothing visible to the channel: the only channel call was the refused targeted one
        channel_calls = [c for c in w.connector.activities() if c.path.startswith(f"/v3/conversations/{WARD}")]
        assert all(c.query == {"isTargetedActivity": ["true"]} for c in channel_calls)


def test_a_question_carrying_an_identifier_is_never_posted_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with teams_world(tmp_path) as w:
        w.post(w.channel(f"{FLAGGED}: can I post about this case on Twitter?", mention=True))
        [reply] = w.connector.wait_for(1)
        assert reply.query == {"isTargetedActivity": ["true"]}
        assert_no_identifier(w, caplog)


def test_the_message_extension_answers_in_a_dialog_and_posts_nothing(tmp_path: Path) -> None:
    with teams_world(tmp_path) as w:
        response = w.post(w.extension(QUESTION))
        assert response.status_code == 200
        task = response.json()["task"]
        assert task["type"] == "continue"
        assert shows_the_answer(w, task["value"]["card"]["content"])
        assert w.connector.activities() == []


def test_the_bot_ignores_itself_and_other_bots(tmp_path: Path) -> None:
    with teams_world(tmp_path) as w:
        w.monitor()
        mine = w.channel(FLAGGED)
        mine["from"] = {"id": mine["recipient"]["id"], "name": "gmcbot"}
        other = w.personal(QUESTION)
        other["from"] = {"id": "28:another-bot", "name": "Other", "role": "bot"}
        assert w.post(mine).status_code == 200 and w.post(other).status_code == 200
        assert w.connector.wait_for(1, timeout=1) == []
        assert not w.records.flags


# -- watching ------------------------------------------------------------------------------------
def test_an_unmonitored_channel_is_not_screened(tmp_path: Path) -> None:
    with teams_world(tmp_path) as w:
        w.post(w.channel(FLAGGED))
        assert w.connector.wait_for(1, timeout=1) == []
        assert not w.records.flags


def test_an_ordinary_message_in_a_monitored_channel_gives_nothing(tmp_path: Path) -> None:
    with teams_world(tmp_path) as w:
        w.monitor()
        w.post(w.channel(ORDINARY))
        assert w.connector.wait_for(1, timeout=1) == []


def test_a_flagged_message_gets_a_private_notice_and_a_redacted_moderators_card(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with teams_world(tmp_path) as w:
        w.monitor()
        activity = w.channel(FLAGGED)
        w.post(activity)
        calls = w.connector.wait_for(2)
        notice = next(c for c in calls if c.query == {"isTargetedActivity": ["true"]})
        assert notice.path == f"/v3/conversations/{activity['conversation']['id']}/activities"
        assert notice.body["recipient"]["id"] == POSTER
        [moderators] = [c for c in calls if c.path == f"/v3/conversations/{MODS}/activities"]
        [record] = w.records.flags.values()
        assert record.platform == "teams" and record.channel == WARD
        mod_text = card_text(card_of(moderators))
        assert "[NHS-NUMBER]" in mod_text and record.flag_id in mod_text
        assert [a["title"] for a in card_of(moderators)["actions"]] == ["Confirm", "False alarm"]
        assert wording.category_label(Category.PATIENT_IDENTIFIABLE) in card_text(card_of(notice))
        assert_no_identifier(w, caplog)


def test_a_replayed_activity_is_handled_once(tmp_path: Path) -> None:
    with teams_world(tmp_path) as w:
        w.monitor()
        activity = w.channel(FLAGGED)
        w.post(activity)
        w.post(activity)
        w.connector.wait_for(3, timeout=1.5)
        assert len(w.records.flags) == 1
        assert len(w.connector.activities()) == 2


# -- review --------------------------------------------------------------------------------------
def flag_of(w: TeamsWorld) -> str:
    w.monitor()
    w.post(w.channel(FLAGGED))
    w.connector.wait_for(2)
    [record] = w.records.flags.values()
    return str(record.flag_id)


def test_a_moderator_confirms_from_the_moderators_channel(tmp_path: Path) -> None:
    with teams_world(tmp_path) as w:
        flag_id = flag_of(w)
        response = w.post(w.click({"role": "mod", "status": "confirmed", "flag": flag_id}, MODERATOR))
        body = response.json()
        assert body["type"] == "application/vnd.microsoft.card.adaptive"
        assert wording.outcome_line(FlagStatus.CONFIRMED, "Jo Moderator", moderator=True) in card_text(body["value"])
        assert "actions" not in body["value"]
        assert w.records.flags[flag_id].status is FlagStatus.CONFIRMED


def test_a_moderator_button_outside_the_moderators_channel_is_refused(tmp_path: Path) -> None:
    with teams_world(tmp_path) as w:
        flag_id = flag_of(w)
        response = w.post(w.click({"role": "mod", "status": "confirmed", "flag": flag_id}, MODERATOR, channel=WARD))
        body = response.json()
        assert body["type"] == "application/vnd.microsoft.activity.message"
        assert "Only moderators" in body["value"]
        assert w.records.flags[flag_id].status is FlagStatus.OPEN


def test_the_poster_answers_their_notice_and_no_one_else_can(tmp_path: Path) -> None:
    with teams_world(tmp_path) as w:
        flag_id = flag_of(w)
        data = {"role": "poster", "status": "removed", "flag": flag_id}
        refused = w.post(w.click(data, MODERATOR, channel=WARD)).json()
        assert "Only the person who posted" in refused["value"]
        assert w.records.flags[flag_id].status is FlagStatus.OPEN
        done = w.post(w.click(data, POSTER, personal=True)).json()
        assert wording.outcome_line(FlagStatus.REMOVED) in card_text(done["value"])
        assert w.records.flags[flag_id].status is FlagStatus.REMOVED


def test_a_forged_button_changes_nothing(tmp_path: Path) -> None:
    with teams_world(tmp_path) as w:
        flag_id = flag_of(w)
        body = w.post(w.click({"role": "mod", "status": "open", "flag": flag_id}, MODERATOR)).json()
        assert body["type"] == "application/vnd.microsoft.activity.message"
        body = w.post(w.click({"role": "mod", "status": "confirmed", "flag": "no-such-flag"}, MODERATOR)).json()
        assert "no longer have a record" in body["value"]
        assert w.records.flags[flag_id].status is FlagStatus.OPEN


# -- reports -------------------------------------------------------------------------------------
def test_report_to_gmcbot_flags_the_message_for_the_moderators_and_thanks_the_reporter(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with teams_world(tmp_path) as w:
        w.monitor()
        response = w.post(w.report(FLAGGED))
        task = response.json()["task"]
        assert task == {"type": "message", "value": wording.REPORT_THANKS}
        [moderators] = w.connector.wait_for(1, MODS)
        [record] = w.records.flags.values()
        assert record.channel == WARD and record.message_ref.startswith("https://teams.microsoft.com/l/message/")
        assert record.flag_id in card_text(card_of(moderators))
        assert len(w.connector.activities()) == 1  # the poster is not told who reported
        assert_no_identifier(w, caplog, json.dumps(response.json()))


def test_a_report_where_no_moderators_channel_is_set_is_recorded_for_the_console(tmp_path: Path) -> None:
    with teams_world(tmp_path) as w:
        task = w.post(w.report(ORDINARY)).json()["task"]
        assert task["value"] == wording.REPORT_RECORDED
        assert len(w.records.flags) == 1 and w.connector.activities() == []


# -- privacy proofs ------------------------------------------------------------------------------
def test_flag_and_outcome_land_in_the_sqlite_audit_trail_without_patient_data(tmp_path: Path) -> None:
    store = open_records(Settings(data_dir=tmp_path / "data"))
    try:
        with teams_world(tmp_path, records=store) as w:
            w.monitor()
            w.post(w.channel(FLAGGED))
            w.connector.wait_for(2)
            [record] = store.flags()
            w.post(w.click({"role": "mod", "status": "confirmed", "flag": record.flag_id}, MODERATOR))
            [record] = store.flags()
            assert record.platform == "teams" and record.status is FlagStatus.CONFIRMED
            needles = identifiers_in(FLAGGED, w.guidance.screen(FLAGGED))
    finally:
        store.close()
    assert needles and leaks(needles, sqlite_text(tmp_path / "data" / "gmcbot.sqlite3")) == []


def test_generated_identifiers_never_reach_teams_records_or_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 12, Teams side: generated messages (tests/generated.py, every written form)
    posted in a monitored channel with a moderators' channel, and asked of the bot; nothing
    the bot sent, stored or logged holds a generated value."""
    quiet_body_loggers()
    caplog.set_level(logging.DEBUG)
    generated = [generate(seed) for seed in range(ADAPTER_MESSAGES)]
    with teams_world(tmp_path) as w:
        w.monitor()
        for g in generated:
            assert w.post(w.channel(g.text)).status_code == 200
        for g in generated[:5]:
            w.post(w.channel(g.text, mention=True))
            w.post(w.personal(g.text))
        moderators = w.connector.activities(MODS)
        everything = "\n".join([sent_text(w), str(list(w.records.flags.values())), log_text(caplog.records)])
        assert len(moderators) >= sum(g.about_patient for g in generated)
    needles = [n for g in generated for n in g.needles]
    assert [needles[i].text for i in sorted(leaks_among(needles, everything))] == []


# -- profession (issue 14) -------------------------------------------------------------------------
PHOTO = "can I post a photo from work on Instagram?"


def body_text(content: dict[str, Any]) -> str:
    """The text of a card's blocks, as shown."""
    return " ".join(str(b.get("text", "")) for b in content["body"])


def test_profession_in_a_personal_chat_is_saved_and_used_in_channels(tmp_path: Path) -> None:
    with teams_world(tmp_path) as w:
        poster = Actor(aad_id(POSTER))
        w.post(w.personal("profession"))
        [shown] = w.connector.wait_for(1)
        assert "haven't told me your profession" in card_text(card_of(shown))
        w.post(w.personal("profession student nurse"))
        saved = body_text(card_of(w.connector.wait_for(2)[1]))
        assert "Noted: you'll get NMC guidance first" in saved and '"profession clear"' in saved
        assert w.guidance.profession(Platform.TEAMS, "", poster) == "nurses"
        w.post(w.channel(PHOTO, mention=True))  # in a team channel: the same person, the same profession
        answer = w.connector.wait_for(3)[2]
        assert answer.query == {"isTargetedActivity": ["true"]}
        nmc = w.guidance.corpus.documents["nmc-sm"].url
        assert {"type": "Action.OpenUrl", "title": "Official guidance", "url": nmc} in card_of(answer)["actions"]
        w.post(w.channel("profession clear", mention=True))  # also from a channel, privately
        cleared = w.connector.wait_for(4)[3]
        assert cleared.query == {"isTargetedActivity": ["true"]} and "forgotten" in card_text(card_of(cleared))
        assert w.guidance.profession(Platform.TEAMS, "", poster) is None


def test_help_and_a_profession_not_understood_say_what_to_type(tmp_path: Path) -> None:
    with teams_world(tmp_path) as w:
        w.post(w.personal("help"))
        assert "profession nurse" in card_text(card_of(w.connector.wait_for(1)[0]))
        w.post(w.personal("profession pharmacist for John Carter"))
        reply = body_text(card_of(w.connector.wait_for(2)[1]))
        assert '"profession nurse"' in reply and "John Carter" not in reply


def test_a_channel_audience_applies_to_questions_asked_there(tmp_path: Path) -> None:
    with teams_world(tmp_path) as w:
        w.guidance.update_channel_settings(dataclasses.replace(w.channel_settings(), audience="ahp"))
        w.post(w.channel(PHOTO, mention=True))
        hcpc = w.guidance.corpus.documents["hcpc-sm-2024"].url
        actions = card_of(w.connector.wait_for(1)[0])["actions"]
        assert {"type": "Action.OpenUrl", "title": "Official guidance", "url": hcpc} in actions
