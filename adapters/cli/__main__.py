"""``python -m bot.cli`` runs the ``gmcbot`` command."""

from bot.cli import run

run()
