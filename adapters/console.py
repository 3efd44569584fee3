"""The console adapter: questions typed at a terminal, answers printed with citations.
Lines starting with ``check `` are screened instead of answered."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from bot.render import render_answer, render_screening

if TYPE_CHECKING:
    from bot.service import GuidanceBot

BANNER = (
    "gmcbot console: ask about UK professional guidance on social media and messaging.\n"
    "Type a question and press Enter. 'check MESSAGE' screens a message; 'quit' leaves."
)


class ConsoleAdapter:
    name = "console"

    def __init__(self, stdin: TextIO, stdout: TextIO, sample: str | None = None) -> None:
        self.stdin = stdin
        self.stdout = stdout
        self.sample = sample

    def _say(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def handle(self, bot: GuidanceBot, line: str) -> str:
        """The console's reply to one line (pure apart from the core call)."""
        if line.lower().startswith("check "):
            return render_screening(bot.screen(line[6:]))
        return render_answer(bot.ask(line), bot.settings.ask_who)

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
            if line.lower() in ("quit", "exit", ":q"):
                break
            if not interactive:
                self._say(f"\n> {line}\n")
            self._say(self.handle(bot, line))
