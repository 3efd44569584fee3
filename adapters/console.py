"""The console adapter: questions typed at a terminal, answers printed with citations.
Lines starting with ``check `` are screened instead of answered; ``profession WORDS``
saves whose guidance comes first for the session (``profession`` shows it, ``profession
clear`` forgets it; through :meth:`bot.usecases.UseCases.profession`); ``help`` or ``?``
shows how to use it, ``quit`` leaves. Replies are wrapped to the terminal's width, between
words (a link is never split)."""

from __future__ import annotations

import shutil
import textwrap
from typing import TYPE_CHECKING, TextIO

from bot import Actor, Known, Person, Platform, UseCases, render_answer, render_screening

if TYPE_CHECKING:
    from bot import GuidanceBot

BANNER = (
    "gmcbot console: ask about UK professional guidance on social media and messaging.\n"
    "Type a question and press Enter. 'check MESSAGE' screens a message; 'profession nurse' puts "
    "your regulator's guidance first; 'help' shows how; 'quit' leaves."
)
USAGE = (
    "How to use the console:\n"
    "  QUESTION         answer from the guidance, with the cited paragraph and its link\n"
    "                   e.g. can I reply to a patient on Twitter?\n"
    "  check MESSAGE    screen a staff message for the risks the guidance names\n"
    "                   e.g. check Bed 12 is free for the next admission\n"
    "  profession WORDS your profession, for this session: your regulator's guidance first\n"
    "                   e.g. profession nurse (or midwife, HCA, physio, paramedic, FY1, PA)\n"
    "  profession       show it; 'profession clear' forgets it\n"
    "  help or ?        show this\n"
    "  quit             leave (also exit, or Ctrl+D)"
)
CHECK_USAGE = "Give the message to screen after 'check', e.g. check Bed 12 is free for the next admission"
PROFESSION_COMMAND = "profession"
# The one person at the console, as saved professions are keyed (memory only by default).
CONSOLE_PERSON = Person(Platform.CONSOLE, "", Actor(user_id="console"))
QUIT_WORDS = frozenset({"quit", "exit", ":q", "q"})
HELP_WORDS = frozenset({"help", "?", "h", "/help", "--help", "usage"})
MIN_WIDTH, MAX_WIDTH = 40, 100


def terminal_width(stream: TextIO | None = None) -> int:
    """The terminal's width (``$COLUMNS`` first), kept between 40 and 100 columns."""
    columns = shutil.get_terminal_size((88, 24)).columns
    return max(MIN_WIDTH, min(MAX_WIDTH, columns))


def wrap(text: str, width: int) -> str:
    """Each line of ``text`` wrapped at ``width`` between words, continuation lines
    indented like the line they continue (and past a bullet). Words longer than the
    width, such as links, stay whole."""
    out: list[str] = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        body = line.lstrip(" ")
        indent = " " * (len(line) - len(body))
        hang = indent + ("  " if body[:2] in ("• ", "- ", "— ") else "")
        out.extend(
            textwrap.wrap(
                body,
                width,
                initial_indent=indent,
                subsequent_indent=hang,
                break_long_words=False,
                break_on_hyphens=False,
            )
            or [line]
        )
    return "\n".join(out)


class ConsoleAdapter:
    name = "console"

    def __init__(self, stdin: TextIO, stdout: TextIO, sample: str | None = None, width: int | None = None) -> None:
        self.stdin = stdin
        self.stdout = stdout
        self.sample = sample
        self.width = width

    def _say(self, text: str) -> None:
        self.stdout.write(wrap(text, self.width or terminal_width()) + "\n")
        self.stdout.flush()

    def handle(self, bot: GuidanceBot, line: str) -> str:
        """The console's reply to one line (pure apart from the core call)."""
        words = line.split(maxsplit=1)
        first = words[0].lower() if words else ""
        if line.strip().lower() in HELP_WORDS:
            return USAGE
        if first == "check":
            rest = words[1].strip() if len(words) > 1 else ""
            return render_screening(bot.screen(rest)) if rest else CHECK_USAGE
        if first == PROFESSION_COMMAND:
            rest = words[1] if len(words) > 1 else ""
            return UseCases(bot).profession(CONSOLE_PERSON, rest, how=PROFESSION_COMMAND).text.replace("`", "'")
        width = min(88, (self.width or terminal_width()))
        saved = bot.profession(CONSOLE_PERSON.platform, CONSOLE_PERSON.workspace, CONSOLE_PERSON.actor)
        return render_answer(bot.ask(line, known=Known(profession=saved)), bot.settings.ask_who, width=width)

    def run(self, bot: GuidanceBot) -> None:
        self._say(BANNER)
        bot.warm_up()
        if self.sample:
            self._say(f"\n> {self.sample}\n")
            self._say(self.handle(bot, self.sample))
        interactive = self.stdin.isatty()
        while True:
            if interactive:
                self.stdout.write("\n> ")
                self.stdout.flush()
            line = self.stdin.readline()
            if not line:
                break
            line = line.strip()
            if not line:
                continue
            if line.lower() in QUIT_WORDS:
                break
            if not interactive:
                self._say(f"\n> {line}\n")
            self._say(self.handle(bot, line))
