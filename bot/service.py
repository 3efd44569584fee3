"""``GuidanceBot``: the one way in to the core for every adapter and the CLI.

Adapters call :meth:`GuidanceBot.ask` and :meth:`GuidanceBot.screen` (plus the
record-keeping methods of the audit store); nothing else in ``bot/`` is theirs to use.
The core is synchronous and thread-safe: heavy state (corpus, model, index) loads
once, lazily, under a lock.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.answering import Thresholds, make_answer, thresholds_for
from bot.audience import NOTHING_KNOWN, Known
from bot.config import Settings
from bot.corpus import Corpus, load_corpus
from bot.metrics import Metrics
from bot.query import expand_for_search, normalise_question, question_segments
from bot.questions import QuestionRefs
from bot.ranker import DEPTH, LearnedRanker, load_ranker_for
from bot.records import MemoryRecords, Records
from bot.retrieval import Method, Ranking, Retriever
from bot.review import Decision, Role, decide
from bot.types import (
    Actor,
    Answer,
    AnswerStatus,
    ChannelSettings,
    Citation,
    Flag,
    FlagStatus,
    Message,
    Platform,
    Screening,
)
from guidance_corpus import ANSWER_ENCODER_DIR, SCREENING_ENCODER_DIR
from index.embedders import Embedder, make_embedder, resolve_backend

if TYPE_CHECKING:  # loaded on first use: a process that only answers never imports screening
    from bot.screening.identifiers import IdentifierDetector
    from bot.screening.screener import Screener

log = logging.getLogger(__name__)

# A lone UTF-16 surrogate is valid in a JSON string (``"\\ud800"``) but cannot be encoded
# as UTF-8, so it could not be stored, logged or sent on; screening sees U+FFFD instead.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Questions first: screening waits (at most this long) for questions being embedded to
# finish, so an answer never shares the cores with a screening batch (issue 20).
ASKS_FIRST_WAIT = 0.5
# How many candidates answering reads when it has no learned ranker (with one: ranker.DEPTH).
FIXED_DEPTH = 10


def storable(message: Message) -> Message:
    """``message`` with each lone surrogate in its text replaced by U+FFFD (one for one,
    so finding offsets still point into the text as received)."""
    if not _LONE_SURROGATE.search(message.text):
        return message
    return dataclasses.replace(message, text=_LONE_SURROGATE.sub("\ufffd", message.text))


def embedder_for(settings: Settings, task: str = "answer", notify: Callable[[str], None] | None = None) -> Embedder:
    """The embedder ``settings`` name for a task, ``answer`` or ``screen`` (shared per
    process; see ``index.embedders.make_embedder``): with ``embed_backend = "auto"``,
    answering runs on the float32 ONNX graph and screening on the int8 one. Screening's
    model carries the tuning delta ``make train`` made for it
    (``guidance_corpus/screening/encoder/``, :mod:`index.delta`), answering's the one
    ``make train-answer-encoder`` made (``guidance_corpus/questions/encoder/``)."""
    tuned = SCREENING_ENCODER_DIR if task == "screen" else ANSWER_ENCODER_DIR
    return make_embedder(
        settings.embedder,
        settings.embed_precision,
        resolve_backend(settings.embed_backend, task),
        settings.model_dir,
        notify=notify,
        delta_dir=tuned,
    )


class GuidanceBot:
    """Answers questions from the guidance corpus and screens staff messages."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        progress: bool = False,
        notify: Callable[[str], None] | None = None,
        records: Records | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.records: Records = records if records is not None else MemoryRecords()
        self.metrics = metrics or Metrics()
        pending = getattr(self.records, "pending", None)
        if isinstance(pending, int):  # a store with an outage queue (SqlRecords)
            self.metrics.track_pending(lambda: int(getattr(self.records, "pending", 0)))
        self.embedder = embedder or embedder_for(settings, "answer", notify)
        # Screening's embedder: the same one when given, else the task's own (ONNX int8 by default).
        self.screen_embedder = embedder or embedder_for(settings, "screen", notify)
        self._progress = progress
        self._notify = notify
        self._lock = threading.RLock()
        self._corpus: Corpus | None = None
        self._retriever: Retriever | None = None
        self._screener: Screener | None = None
        self._asks_embedding = 0
        self._turns = threading.Condition()

    # -- loading -------------------------------------------------------------------
    @property
    def corpus(self) -> Corpus:
        if self._corpus is None:
            with self._lock:
                if self._corpus is None:
                    self._corpus = load_corpus(
                        extra_dirs=self.settings.corpus_dirs,
                        override_dir=self.settings.effective_import_dir,
                    )
        return self._corpus

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            with self._lock:
                if self._retriever is None:
                    self._retriever = Retriever(
                        self.corpus,
                        self.embedder,
                        self.settings.index_dir,
                        progress=self._progress,
                        notify=self._notify,
                    )
        return self._retriever

    @property
    def ready(self) -> bool:
        """True once the corpus and index are loaded (health checks use this)."""
        return self._retriever is not None

    def warm_up(self, screening: bool = False) -> None:
        """Load corpus, model and index now, so the first question is fast (and, with
        ``screening``, the screener and its model, so the first screened message is fast too)."""
        self.retriever.embed(["warm up"])
        if screening:
            self._get_screener()
            warm = getattr(self.screen_embedder, "warm_up", None)
            if callable(warm):
                warm()

    def prepare(self, force: bool = False) -> None:
        """Make everything a later process reuses from the data folder: the search index
        (rebuilt with ``force``), the ONNX model screening runs on, and the vectors of the
        exemplars and of the training messages screening compares messages with
        (``gmcbot index build``, which ``make install`` runs)."""
        for embedder in (self.embedder, self.screen_embedder):
            make = getattr(embedder, "prepare", None)
            if callable(make):
                make()
        if force:
            self.rebuild_index()
        _ = self.retriever
        self._get_screener()

    def rebuild_index(self) -> None:
        """Rebuild the index from the corpus, even if the saved one matches."""
        with self._lock:
            self._retriever = Retriever(
                self.corpus,
                self.embedder,
                self.settings.index_dir,
                progress=self._progress,
                notify=self._notify,
                force_rebuild=True,
            )

    @functools.cached_property
    def local_docs(self) -> frozenset[str]:
        """Doc ids from the trust's own folders (``corpus_dirs``): they lead an answer they
        cover when ``prefer_local`` is on, and are cited beside it when it is off (worked
        out once: the corpus does not change during the bot's life)."""
        dirs = [d.resolve() for d in self.settings.corpus_dirs]
        return frozenset(
            d.doc_id for d in self.corpus.documents.values() if any(Path(d.path).resolve().parent == x for x in dirs)
        )

    # -- answering -----------------------------------------------------------------
    def ask(self, question: str, top: int = 3, method: Method = Method.HYBRID, known: Known = NOTHING_KNOWN) -> Answer:
        """Answer one question with up to ``top`` citations, best first; ``known`` is what
        is known of the asker (saved profession, the channel's audience)."""
        return self.ask_many([question], top=top, method=method, known=[known])[0]

    def ask_many(
        self,
        questions: Sequence[str],
        top: int = 3,
        method: Method = Method.HYBRID,
        known: Sequence[Known] | None = None,
    ) -> list[Answer]:
        """Answer several questions, embedding them in one batch; ``known`` (one per
        question, when given) is what is known of each asker."""
        if known is not None and len(known) != len(questions):
            raise ValueError("known must hold one entry per question")
        start = time.perf_counter()
        try:
            answers = self._answer_all(questions, top, method, known or [Known()] * len(questions))
        except Exception:
            self.metrics.failures.labels("ask").inc()
            raise
        self.metrics.answer_seconds.observe(time.perf_counter() - start)
        for answer in answers:
            self.metrics.answers.labels(answer.status.value).inc()
        self._note_declines(questions, answers)
        return answers

    def _answer_all(self, questions: Sequence[str], top: int, method: Method, known: Sequence[Known]) -> list[Answer]:
        ranker = self.ranker if method is Method.HYBRID else None
        depth = max(DEPTH if ranker is not None else FIXED_DEPTH, top)
        thresholds = thresholds_for(self.embedder.embedder_id)
        prepared, rankings = self.rankings(questions, depth, method)
        return [
            Answer(question, AnswerStatus.NO_MATCH, (), cut)
            if ranking is None
            else make_answer(
                question,
                self.corpus,
                ranking,
                top=top,
                thresholds=thresholds,
                truncated=cut,
                default_audience=self.settings.audience,
                prefer_docs=self.local_docs if self.settings.prefer_local else frozenset(),
                local_docs=self.local_docs,
                routes=self.settings.routes,
                known=asker,
                ranker=ranker,
            )
            for (question, cut), ranking, asker in zip(prepared, rankings, known, strict=True)
        ]

    def rankings(
        self, questions: Sequence[str], k: int = FIXED_DEPTH, method: Method = Method.HYBRID
    ) -> tuple[list[tuple[str, bool]], list[Ranking | None]]:
        """Each question normalised (``(text, truncated)``) and its ranking of ``k``
        candidates (``None`` for an empty question), embedding them in one batch; a
        question told as a story gets its best sentence's confidence
        (:meth:`_story_confidence`). What answering, and ``tools/train_ranker.py``, read."""
        prepared = [normalise_question(q) for q in questions]
        search = [expand_for_search(q) for q, _ in prepared]
        rankings: list[Ranking | None] = [None] * len(questions)
        todo = [i for i, (q, _) in enumerate(prepared) if q.strip()]
        if todo:
            retriever = self.retriever
            with self._asking():
                vectors = retriever.embed([search[i] for i in todo])
            thresholds = thresholds_for(self.embedder.embedder_id)
            for row, i in enumerate(todo):
                ranking = retriever.rank(search[i], k=k, method=method, vector=vectors[row])
                rankings[i] = self._story_confidence(search[i], ranking, thresholds)
        return prepared, rankings

    @functools.cached_property
    def ranker(self) -> LearnedRanker | None:
        """The learned ranker for the answering embedder's model (:mod:`bot.ranker`), if
        one was trained with it (else answering keeps its fixed rules)."""
        return load_ranker_for(self.embedder.embedder_id)

    def _story_confidence(self, question: str, ranking: Ranking, thresholds: Thresholds) -> Ranking:
        """A question told as a story may match no paragraph as a whole while one of its
        sentences does (the question in it, or the situation): below the decline
        threshold, the ranking's confidence becomes the best of its sentences'. The
        ranking itself, and the out-of-scope decline, stay those of the whole question."""
        if (
            ranking.confidence >= thresholds.decline_below
            or ranking.outside - ranking.inside > thresholds.outside_margin
        ):
            return ranking
        segments = question_segments(question)
        if not segments:
            return ranking
        with self._asking():
            best = self.retriever.best_support(self.retriever.embed(segments))
        return dataclasses.replace(ranking, confidence=best) if best > ranking.confidence else ranking

    @contextlib.contextmanager
    def _asking(self) -> Iterator[None]:
        with self._turns:
            self._asks_embedding += 1
        try:
            yield
        finally:
            with self._turns:
                self._asks_embedding -= 1
                if not self._asks_embedding:
                    self._turns.notify_all()

    def _after_asks(self) -> None:
        """Wait (up to :data:`ASKS_FIRST_WAIT`) while questions are being embedded."""
        with self._turns:
            self._turns.wait_for(lambda: self._asks_embedding == 0, timeout=ASKS_FIRST_WAIT)

    # -- screening -----------------------------------------------------------------
    def _get_screener(self) -> Screener:
        if self._screener is None:
            with self._lock:
                if self._screener is None:
                    from bot.screening import Screener

                    self._screener = Screener(self.settings, self.corpus, self.screen_embedder, notify=self._notify)
        return self._screener

    def screen(self, message: Message | str, sensitivity: str = "normal") -> Screening:
        """Screen one staff message; the result holds only redacted text. ``sensitivity``
        is the channel's setting: "low", "normal" or "high"."""
        return self.screen_many([message], sensitivity)[0]

    # >>> images (issue 19)
    def read_image(self, data: bytes) -> str:
        """The text to screen for an image received in a monitored channel (read in memory
        by offline OCR, :mod:`bot.screening.images`): its lines and what it looks like. An
        image that can't be read, or no OCR engine, gives ``""``; nothing read is logged."""
        from bot.screening import images

        if not images.available():
            return ""
        try:
            return images.image_text(images.read_image(data))
        except images.ImageError:
            return ""
        except Exception as exc:  # noqa: BLE001 - an unreadable image still leaves the message screened
            log.warning("image not read: %s", type(exc).__name__)
            self.metrics.failures.labels("image").inc()
            return ""

    def report(self, message: Message) -> Flag:
        """The flag for a message someone reported ("Report to gmcbot"): always a flag,
        with what screening found (at high sensitivity) and the report as its reasons."""
        from bot.screening.report import reported_flag

        flag = reported_flag(self._get_screener(), storable(message))
        self.metrics.flags.labels(flag.category.value).inc()
        return flag

    # <<< images

    def screen_many(self, messages: Sequence[Message | str], sensitivity: str = "normal") -> list[Screening]:
        """Screen several messages, batching the model work."""
        items = [storable(m if isinstance(m, Message) else Message(text=m)) for m in messages]
        try:
            screener = self._get_screener()
            self._after_asks()
            start = time.perf_counter()
            results: list[Screening] = list(screener.screen_many(items, sensitivity))
        except Exception:
            self.metrics.failures.labels("screen").inc()
            raise
        self.metrics.screening_seconds.observe(time.perf_counter() - start)
        for result in results:
            self.metrics.screenings.labels("flagged" if result.flag is not None else "clear").inc()
            if result.flag is not None:
                self.metrics.flags.labels(result.flag.category.value).inc()
        return results

    # -- records (audit trail, feedback, settings, de-duplication) ------------------
    def claim_event(self, platform: str, event_id: str) -> bool:
        """True the first time a platform event id is seen; False for retries and
        duplicates (also across processes sharing a database)."""
        return self.records.claim_event(platform, event_id)

    def record_flag(self, message: Message, flag: Flag, flag_id: str = "") -> str:
        """Store a flag (redacted text, pseudonymised user) and return its id. With
        ``flag_id`` (from :meth:`bot.jobs.Job.effect_id`) a replay stores no second flag."""
        return self.records.record_flag(message, flag, flag_id)

    def set_flag_status(self, flag_id: str, status: FlagStatus, reviewer: Actor | None = None) -> bool:
        """Record a flag's outcome; False when the flag id is unknown. This bypasses the
        rules of :mod:`bot.review` and records no event: adapters use :meth:`decide_flag`."""
        return self.records.set_flag_status(flag_id, status, reviewer)

    # >>> review of flags (bot.review): every change goes through the state machine there.
    def decide_flag(
        self,
        flag_id: str,
        status: FlagStatus,
        actor: Actor,
        acting_as: Role,
        *,
        vouched: bool = False,
        workspace: str = "",
        from_channel: str = "",
        source: str = "",
    ) -> Decision:
        """Change a flag if ``actor`` acting as ``acting_as`` may: a poster is checked by
        pseudonym; a moderator is ``vouched`` for by the adapter (a moderator role) or
        clicked in the moderators' channel of the flag's channel (``from_channel``), in
        the flag's ``workspace``. The change is recorded with the actor's pseudonym; a
        refusal's message is for the clicker only."""
        return decide(
            self.records,
            flag_id,
            status,
            actor,
            acting_as,
            vouched=vouched,
            workspace=workspace,
            from_channel=from_channel,
            default_moderators=self.settings.moderators_channel,
            source=source,
        )

    def _note_declines(self, questions: Sequence[str], answers: Sequence[Answer]) -> None:
        """Record the topic labels (never the words) of each question not answered."""
        from bot.topics import topics_of

        for question, answer in zip(questions, answers, strict=False):
            if answer.status is not AnswerStatus.ANSWERED and question.strip():
                try:
                    self.records.record_decline("", answer.status.value, topics_of(question))
                except Exception as exc:  # noqa: BLE001 - a statistic must never cost an answer
                    log.warning("could not record a declined question: %s", type(exc).__name__)

    # <<< review of flags

    def record_feedback(
        self, platform: str, actor: Actor, question: str, citation_ids: Sequence[str], helpful: bool
    ) -> None:
        """Store answer feedback; the question is reduced to its safe excerpt first."""
        self.records.record_feedback(platform, actor, self.excerpt(question), citation_ids, helpful)

    # -- references instead of text in platform payloads ------------------------------------
    def excerpt(self, text: str) -> str:
        """The safe excerpt of ``text``: identifiers and credentials as typed placeholders,
        only known-safe words kept (docs/audit.md). No model work."""
        from bot.screening.safe_excerpt import excerpt_of

        return excerpt_of(self._detector, text)

    @functools.cached_property
    def _detector(self) -> IdentifierDetector:
        """The screener's identifier detectors, without loading the model or exemplars when
        only questions need excerpts."""
        if self._screener is not None:
            return self._screener.detector
        from bot.screening.data import load_screening_data
        from bot.screening.identifiers import IdentifierDetector

        return IdentifierDetector.build(
            load_screening_data().identifiers, self.settings.staff_email_domains, self.settings.mrn_pattern
        )

    @functools.cached_property
    def questions(self) -> QuestionRefs:
        return QuestionRefs(self.excerpt)

    def question_ref(self, question: str) -> str:
        """A reference to ``question`` for a button value (which anyone who can see the
        post can read); only the question's safe excerpt is kept, in memory."""
        return self.questions.add(question)

    def record_feedback_ref(
        self, platform: str, actor: Actor, ref: str, citation_ids: Sequence[str], helpful: bool
    ) -> None:
        """Store feedback on the answer to the question ``ref`` names (see
        :meth:`question_ref`); an unknown or expired reference stores no question."""
        self.records.record_feedback(platform, actor, self.questions.get(ref), citation_ids, helpful)

    def answer_from(self, citation_ids: Sequence[str], low_confidence: bool = False) -> Answer:
        """The answer made of these cited paragraphs again (for Share and More), without
        the question: a button carries the ids, never the text. Unknown ids are skipped."""
        citations = []
        for pid in citation_ids:
            paragraph = self.corpus.paragraph(pid) if isinstance(pid, str) else None
            document = self.corpus.documents.get(pid.split(":", 1)[0]) if paragraph is not None else None
            if paragraph is not None and document is not None:
                citations.append(Citation(paragraph, document))
        if not citations:
            return Answer(question="", status=AnswerStatus.NO_MATCH)
        status = AnswerStatus.LOW_CONFIDENCE if low_confidence else AnswerStatus.ANSWERED
        return Answer(question="", status=status, citations=tuple(citations))

    def channel_settings(self, platform: Platform, workspace: str, channel: str) -> ChannelSettings:
        return self.records.channel_settings(platform, workspace, channel)

    def update_channel_settings(self, settings: ChannelSettings) -> ChannelSettings:
        return self.records.update_channel_settings(settings)

    def profession(self, platform: Platform, workspace: str, actor: Actor) -> str | None:
        """The audience ``actor`` saved as their profession in ``workspace``, else the one
        they saved with no workspace (e.g. in a Discord direct message), else ``None``."""
        found = self.records.profession(platform, workspace, actor)
        if found is None and workspace:
            found = self.records.profession(platform, "", actor)
        return found

    def set_profession(self, platform: Platform, workspace: str, actor: Actor, audience: str | None) -> None:
        """Save (or, with ``None``, forget) ``actor``'s profession: only the audience, under
        the pseudonym of their user id."""
        self.records.set_profession(platform, workspace, actor, audience)

    # -- shutdown ---------------------------------------------------------------------------
    def close(self) -> None:
        """Make a last attempt to write records waiting on a database outage and release
        the store (what still cannot be written is logged as a count). Safe to repeat."""
        close = getattr(self.records, "close", None)
        if callable(close):
            close()
