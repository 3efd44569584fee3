"""``python -m adapters.cli`` runs the ``gmcbot`` command."""

from adapters.cli import run

run()
