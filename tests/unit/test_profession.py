"""A person's saved profession (issue 14, item 3): reading what they type, the order in
which the question, the saved profession, the channel's audience, the voice model's guess
and the workspace default decide whose guidance leads, and the use case adapters call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot import (
    Actor,
    AskStatus,
    ChannelKey,
    GuidanceBot,
    Known,
    Person,
    Platform,
    ProfessionStatus,
    Question,
    Settings,
    SettingsChange,
    UseCases,
    wording,
)
from bot.audience import choose_audience, is_clear, named_audience, profession_from
from bot.records import MemoryRecords, pseudonymise
from index.embedders import HashingEmbedder

# On the real corpus with the hashing embedder, each audience's regulator leads this one.
PHOTO = "can I post a photo from work on Instagram?"
LEADS = {"doctors": "gmc-", "nurses": "nmc-", "ahp": "hcpc-"}
NURSE = Person(Platform.SLACK, "T1", Actor(user_id="U1"))


@pytest.fixture
def core(tmp_path: Path) -> UseCases:
    settings = Settings(data_dir=tmp_path, embedder="hashing", rate_limit_per_minute=100)
    return UseCases(GuidanceBot(settings, embedder=HashingEmbedder()))


# -- reading a stated profession --------------------------------------------------------------
@pytest.mark.parametrize(
    ("words", "audience"),
    [
        ("nurse", "nurses"),
        ("staff nurse", "nurses"),
        ("Midwife", "nurses"),
        ("student nurse", "nurses"),
        ("student midwife", "nurses"),
        ("HCA", "nurses"),
        ("healthcare assistant", "nurses"),
        ("nursing associate", "nurses"),
        ("physio", "ahp"),
        ("physiotherapist", "ahp"),
        ("paramedic", "ahp"),
        ("student paramedic", "ahp"),
        ("OT", "ahp"),
        ("radiographer", "ahp"),
        ("ahp", "ahp"),
        ("FY1", "doctors"),
        ("F2", "doctors"),
        ("PA", "doctors"),
        ("physician associate", "doctors"),
        ("medical student", "doctors"),
        ("doctor", "doctors"),
        ("doctors", "doctors"),
        ("GP registrar", "doctors"),
        # Doctors who give their specialty, nurses their post, psychologists their field.
        ("consultant psychiatrist", "doctors"),
        ("Anaesthetist", "doctors"),
        ("neonatologist", "doctors"),
        ("clinical fellow", "doctors"),
        ("matron", "nurses"),
        ("ward sister", "nurses"),
        ("clinical psychologist", "ahp"),
    ],
)
def test_natural_words_name_an_audience(words: str, audience: str) -> None:
    assert profession_from(words) == audience


@pytest.mark.parametrize(
    "words",
    ["", "student", "pharmacist", "GP nurse", "nurse and doctor", "my sister", "psychology student", "blah " * 50],
)
def test_words_naming_no_profession_or_several_are_not_understood(words: str) -> None:
    assert profession_from(words) is None


def test_short_forms_count_only_when_someone_states_their_profession() -> None:
    assert profession_from("PA") == "doctors" and named_audience("can my PA post this for me?") is None
    assert profession_from("OT") == "ahp" and named_audience("doing OT tonight, can I post") is None


def test_clearing_words() -> None:
    assert all(is_clear(w) for w in ("clear", " None ", "reset", "off", "forget"))
    assert not is_clear("nurse")


# -- precedence ----------------------------------------------------------------------------------
def test_precedence_question_then_saved_then_channel_then_guess_then_default() -> None:
    both = Known(profession="ahp", channel="nurses")
    assert choose_audience("I'm an FY1, can I post this?", "doctors", "nurses", both) == "doctors"
    assert choose_audience("can I post this?", "doctors", "doctors", both) == "ahp"
    assert choose_audience("can I post this?", "doctors", "doctors", Known(channel="nurses")) == "nurses"
    assert choose_audience("can I post this?", "doctors", "ahp", Known()) == "ahp"
    assert choose_audience("can I post this?", "nurses", None, Known()) == "nurses"


def test_the_known_audience_decides_whose_guidance_leads(core: UseCases) -> None:
    for audience, prefix in LEADS.items():
        answer = core.bot.ask(PHOTO, known=Known(profession=audience))
        assert answer.citations[0].id.startswith(prefix), (audience, answer.citations[0].id)
    # A profession named in the question wins over the saved one.
    named = core.bot.ask("I'm a nurse: " + PHOTO, known=Known(profession="ahp"))
    assert named.citations[0].id.startswith("nmc-")


def test_ask_many_takes_one_known_per_question(core: UseCases) -> None:
    answers = core.bot.ask_many([PHOTO, PHOTO], known=[Known(profession="nurses"), Known(profession="ahp")])
    assert [a.citations[0].id.split("-")[0] for a in answers] == ["nmc", "hcpc"]
    with pytest.raises(ValueError):
        core.bot.ask_many([PHOTO], known=[])


def test_ask_uses_the_saved_profession_then_the_channel(core: UseCases) -> None:
    seen: list[Known] = []
    real = core.bot.ask

    def spy(text: str, **kwargs: Any) -> Any:
        seen.append(kwargs["known"])
        return real(text, **kwargs)

    core.bot.ask = spy  # type: ignore[method-assign,assignment]
    q = Question(PHOTO, NURSE.actor, Platform.SLACK, "T1", "C0WARD")
    core.configure(ChannelKey(Platform.SLACK, "T1", "C0WARD"), SettingsChange(audience="ahp"), NURSE.actor)
    assert core.ask(q).answer.citations[0].id.startswith("hcpc-")  # type: ignore[union-attr]
    core.profession(NURSE, "staff nurse")
    assert core.ask(q).answer.citations[0].id.startswith("nmc-")  # type: ignore[union-attr]
    assert seen == [Known(None, "ahp"), Known("nurses", "ahp")]
    # Elsewhere (another workspace, no channel) neither applies.
    core.ask(Question(PHOTO, NURSE.actor, Platform.SLACK, "T2"))
    assert seen[-1] == Known()


def test_a_profession_saved_without_a_workspace_applies_in_every_workspace(core: UseCases) -> None:
    core.profession(Person(Platform.DISCORD, "", Actor(user_id="42")), "paramedic")
    assert core.bot.profession(Platform.DISCORD, "G1", Actor(user_id="42")) == "ahp"
    core.profession(Person(Platform.DISCORD, "G1", Actor(user_id="42")), "midwife")
    assert core.bot.profession(Platform.DISCORD, "G1", Actor(user_id="42")) == "nurses"
    assert core.bot.profession(Platform.DISCORD, "", Actor(user_id="42")) == "ahp"
    assert core.bot.profession(Platform.SLACK, "G1", Actor(user_id="42")) is None  # per platform


def test_a_records_failure_costs_the_preference_not_the_answer(core: UseCases) -> None:
    def broken(*_: Any) -> Any:
        raise RuntimeError("database away")

    core.bot.profession = broken  # type: ignore[method-assign,assignment]
    asked = core.ask(Question(PHOTO, NURSE.actor, Platform.SLACK, "T1", "C0WARD"))
    assert asked.status is AskStatus.ANSWERED
    reply = core.profession(NURSE, "")
    assert reply.status is ProfessionStatus.FAILED and reply.text == wording.SORRY


# -- the use case ----------------------------------------------------------------------------------
def test_show_save_show_clear(core: UseCases) -> None:
    shown = core.profession(NURSE, "   ")
    assert shown.status is ProfessionStatus.SHOWN and shown.audience is None
    assert "`/gmc profession nurse`" in shown.text
    saved = core.profession(NURSE, "community midwife")
    assert saved.status is ProfessionStatus.SAVED and saved.audience == "nurses"
    assert saved.text.startswith("Noted: you'll get NMC guidance first")
    again = core.profession(NURSE, "", how="/gmc-profession")
    assert again.audience == "nurses" and "NMC" in again.text and "`/gmc-profession clear`" in again.text
    cleared = core.profession(NURSE, "clear")
    assert cleared.status is ProfessionStatus.CLEARED
    assert core.profession(NURSE, "").audience is None


def test_words_not_understood_say_what_to_type_and_are_not_repeated(core: UseCases) -> None:
    core.profession(NURSE, "physio")
    reply = core.profession(NURSE, "pharmacist on ward 7, NHS 943 476 5919")
    assert reply.status is ProfessionStatus.NOT_UNDERSTOOD
    assert "`/gmc profession nurse`" in reply.text and "943" not in reply.text and "pharmacist" not in reply.text
    assert core.bot.profession(Platform.SLACK, "T1", NURSE.actor) == "ahp"  # unchanged


def test_no_user_id_saves_nothing(core: UseCases) -> None:
    nobody = Person(Platform.SLACK, "T1", Actor(user_id=""))
    assert core.profession(nobody, "nurse").status is ProfessionStatus.NOT_UNDERSTOOD
    assert core.bot.profession(Platform.SLACK, "T1", nobody.actor) is None


def test_only_the_audience_is_kept_under_a_pseudonym(core: UseCases) -> None:
    records = core.bot.records
    assert isinstance(records, MemoryRecords)
    core.ask(Question("I'm Jo Bloggs, NHS 943 476 5919, " + PHOTO, NURSE.actor, Platform.SLACK, "T1"))
    assert core.profession(NURSE, "nurse on ward 7 caring for John Carter").audience == "nurses"
    assert records.professions == {("slack", "T1", pseudonymise(records.key, "U1")): "nurses"}
    assert "U1" not in repr(records.professions) and "Carter" not in repr(records)
    assert "Bloggs" not in repr(records) and "943" not in repr(records.professions)


def test_a_channel_audience_must_be_one_the_corpus_knows(core: UseCases) -> None:
    key = ChannelKey(Platform.SLACK, "T1", "C0WARD")
    with pytest.raises(ValueError):
        core.configure(key, SettingsChange(audience="pharmacists"), NURSE.actor)
    assert core.configure(key, SettingsChange(audience="nurses"), NURSE.actor).audience == "nurses"
    assert core.configure(key, SettingsChange(audience=""), NURSE.actor).audience == ""
